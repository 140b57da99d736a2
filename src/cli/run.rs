//! `clv run`: the main job. A purchase log in; a folder out with the summary, the model files, every customer's
//! figures, the HTML report and `run.json`; a short summary on the terminal (or JSON with `--json`).
//!
//! Every file is first written to a staging folder inside the output folder and moved into place only when all
//! steps have succeeded: a run that fails leaves the earlier files untouched and says which step failed.

use super::fit::ModelChoice;
use super::progress::ProgressLine;
use super::refit::DriftExceeded;
use super::summarize::{LogArgs, NegativePolicy, StateArgs, StateUpdate, inputs_of, names_of};
use super::value::{IntervalArgs, ValuationArgs};
use anyhow::{Context, Result, bail};
use clap::Args;
use clv::count::CountModel;
use clv::data::{IngestReport, Input, SummaryTable, TimeUnit};
use clv::fit::Estimate;
use clv::fit::model_file::{ModelFile, model_parameters};
use clv::models::{ModelKind, choose_count_model};
use clv::output::{FolderLock, write_atomically};
use clv::report::diagnostics::{
    conditional_expectations, decile_comparison, frequency_recency_grid, tracking, value_concentration,
};
use clv::report::drift::{
    CustomerFigures, DriftSection, LAPSED_BELOW, compare_customers, parameter_changes, read_customers,
};
use clv::report::{
    CandidateRow, ComparisonSection, DataSection, DiagnosticsSection, FittedModel, IntervalSection, RUN_FORMAT_VERSION,
    RunRecord, Settings, ValueSection, html,
};
use clv::spend::GammaGamma;
use clv::value::bootstrap::{Bootstrap, bootstrap};
use clv::value::compare::backtest;
use clv::value::discount::Schedule;
use clv::value::lifetime::{reporting_horizon, value_customers};
use clv::value::segments::{decile_members, deciles, segment_index};
use clv::value::sensitivity::{
    DeltaIntervals, SensitivityTable, delta_intervals, sensitivity_table, standard_horizons, standard_rates,
};
use clv::value::simple::{SimpleInputs, estimate_inputs};
use std::collections::HashMap;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

const EXAMPLES: &str = "\
Examples:
  # The bundled CDNOW sample (calibration to 1997-09-30, holdout to 1998-06-30, weeks) into clv-run/
  clv run

  # Your log: a holdout of its last 26 weeks, BG/NBD, 10% a year, 30% margin, three years
  clv run orders.csv --customer CustomerID --date OrderDate --amount Total --holdout 26w \\
      --model bg-nbd --discount-rate 0.10 --margin 0.3 --horizon 3y --out orders-run

  # Again into the same folder (replacing the earlier run), with the summary as JSON for a pipeline
  clv run orders.csv --amount Total --calibration-end 2025-06-30 --out orders-run --force --json

  # Nightly: refit the folder's run on the grown log, say what changed, status 3 past 3 standard errors
  clv run orders.csv --customer CustomerID --date OrderDate --amount Total --out orders-run --refit --max-drift 3

  # The same from a summary state: only the day's export is read
  clv run --state orders.state exports/2026-12-02.csv --customer CustomerID --date OrderDate --amount Total \\
      --out orders-run --refit --max-drift 3

Writes into the folder: summary.csv (+ .meta.json), model.<count model>.json, model.gamma_gamma.json,
customers.csv (every per-customer figure), report.html (open it in a browser) and run.json.
`clv report DIR` remakes report.html from run.json without refitting. With --refit, the previous run's files
are kept in DIR/history/<its time>/ and the report and run.json gain a section on what changed.";

/// Arguments of `clv run`.
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct RunArgs {
    /// Purchase log; several logs (of one layout) are read together as one [default: the bundled CDNOW sample, read
    /// with its own layout and periods; the log flags are then not used]. With --state: the new files to add to the
    /// state (none: the state as it is).
    files: Vec<PathBuf>,
    #[command(flatten)]
    store: StateArgs,
    /// Folder to write into (created when missing).
    #[arg(long, value_name = "DIR", default_value = "clv-run")]
    out: PathBuf,
    #[command(flatten)]
    log: LogArgs,
    /// Purchase-count model: auto (every one; the best kept by holdout error, else BIC), bg-nbd, pareto-nbd or
    /// mbg-nbd [default: auto; with --refit, the previous run's model]
    #[arg(long)]
    model: Option<ModelChoice>,
    #[command(flatten)]
    valuation: ValuationArgs,
    #[command(flatten)]
    interval: IntervalArgs,
    /// Replace a run already in the folder.
    #[arg(long)]
    force: bool,
    /// Refit the run already in the folder on this log: keep its models (warm-started from its estimates), keep
    /// its files in DIR/history/<its time>/, and report what changed (parameters in standard errors, customer
    /// equity, the customers who moved most, new and lapsed customers). The same data and settings again:
    /// "unchanged", nothing written.
    #[arg(long, conflicts_with = "force")]
    refit: bool,
    /// With --refit: exit with status 3 (after writing) when a parameter moved by more than this many of its
    /// standard errors.
    #[arg(long, value_name = "SE", requires = "refit")]
    max_drift: Option<f64>,
    /// Print the run record as JSON on standard output instead of the summary.
    #[arg(long)]
    json: bool,
    /// No progress on standard error.
    #[arg(short, long)]
    quiet: bool,
}

/// The bundled CDNOW sample, built into the binary so that `clv run` works from any folder.
const CDNOW_SAMPLE: &[u8] = include_bytes!("../../data/cdnow/CDNOW_sample.txt");

/// The steps of a run, for progress and for saying which failed.
const STEPS: [&str; 6] = [
    "reading and summarising the log",
    "fitting the purchase-count model",
    "fitting the spend model",
    "predicting and valuing every customer",
    "comparing with the simple formula on the holdout",
    "writing the files and the report",
];

/// Shows each step on a terminal and names the step that failed.
struct Steps {
    show: bool,
    out: PathBuf,
}

impl Steps {
    fn run<T>(&self, index: usize, work: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.show {
            eprint!("\r\x1b[Kclv run [{}/{}] {}...", index + 1, STEPS.len(), STEPS[index]);
            let _ = std::io::stderr().flush();
        }
        let result = work().with_context(|| {
            format!(
                "clv run stopped at step {} of {} ({}); nothing in {} was changed",
                index + 1,
                STEPS.len(),
                STEPS[index],
                self.out.display()
            )
        });
        if self.show && (result.is_err() || index + 1 == STEPS.len()) {
            eprint!("\r\x1b[K");
        }
        result
    }
}

/// The inputs and the log flags: the given logs (read together), or the bundled sample with its own layout and
/// periods (a state is read in step 1 instead).
fn inputs_and_log(args: &RunArgs) -> Result<(Vec<Input>, LogArgs)> {
    if let Some(state) = &args.store.state {
        return Ok((vec![Input::File(state.clone())], args.log.clone()));
    }
    if !args.files.is_empty() {
        return Ok((inputs_of(&args.files)?, args.log.clone()));
    }
    let day = |text: &str| super::parse_day(text).map_err(anyhow::Error::msg);
    let log = LogArgs {
        customer: "2".parse().map_err(anyhow::Error::msg)?,
        date: "3".parse().map_err(anyhow::Error::msg)?,
        amount: Some("5".parse().map_err(anyhow::Error::msg)?),
        delimiter: ",".into(),
        whitespace: true,
        no_header: true,
        date_format: None,
        unit: TimeUnit::Week,
        calibration_end: Some(day("1997-09-30")?),
        holdout: None,
        observation_end: Some(day("1998-06-30")?),
        negative: NegativePolicy::Refuse,
        skip_bad_rows: false,
    };
    Ok((vec![Input::Bytes { name: "CDNOW sample (bundled)".into(), bytes: CDNOW_SAMPLE }], log))
}

/// A count model fitted: the kind, its fit, and the automatic choice's table when there was one.
struct CountFit {
    kind: ModelKind,
    rows: clv::fit::FitRows,
    estimate: Estimate,
    seconds: f64,
    candidates: Vec<CandidateRow>,
    rule: Option<String>,
}

/// Fits the count model `choice` asks for; a single model starts from `start` when given (a refit's warm start).
fn fit_count(choice: ModelChoice, table: &SummaryTable, start: Option<&[f64]>) -> Result<CountFit> {
    let fitted = match choice {
        ModelChoice::Auto => {
            let mut choice = choose_count_model(table).map_err(anyhow::Error::msg)?;
            let candidates = choice
                .candidates
                .iter()
                .enumerate()
                .map(|(i, c)| CandidateRow {
                    model: c.kind.file_name().into(),
                    converged: c.estimate.diagnostics.converged,
                    boundary: c.estimate.diagnostics.boundary.clone(),
                    log_likelihood: c.estimate.log_likelihood,
                    aic: c.aic,
                    bic: c.bic,
                    holdout_mae: c.holdout.map(|h| h.mae),
                    holdout_total_error: c.holdout.map(|h| h.total_error),
                    kept: i == choice.best,
                })
                .collect();
            let rule = Some(choice.rule.describe().to_string());
            let best = choice.candidates.swap_remove(choice.best);
            CountFit {
                kind: best.kind,
                rows: best.rows,
                estimate: best.estimate,
                seconds: best.seconds,
                candidates,
                rule,
            }
        }
        ModelChoice::One(kind) => {
            if !kind.is_count() || kind.is_discrete() {
                bail!(
                    "--model {} is not a continuous-time purchase-count model (auto, bg-nbd, pareto-nbd, mbg-nbd)",
                    kind.file_name()
                );
            }
            let rows = kind.fit_rows(table).map_err(anyhow::Error::msg)?;
            let started = Instant::now();
            let estimate = kind.fit(&rows, start);
            CountFit {
                kind,
                rows,
                estimate,
                seconds: started.elapsed().as_secs_f64(),
                candidates: Vec::new(),
                rule: None,
            }
        }
    };
    let d = &fitted.estimate.diagnostics;
    if !d.usable() {
        bail!("the {} fit did not converge: {}", fitted.kind.file_name(), d.message);
    }
    Ok(fitted)
}

fn fitted_model(kind: ModelKind, estimate: &Estimate, file: &str) -> FittedModel {
    FittedModel {
        model: kind.file_name().into(),
        file: file.into(),
        params: estimate
            .names
            .iter()
            .zip(&estimate.params)
            .zip(&estimate.standard_errors)
            .map(|((n, v), se)| (n.to_string(), *v, se.is_finite().then_some(*se)))
            .collect(),
        log_likelihood: estimate.log_likelihood,
        converged: estimate.diagnostics.converged,
        boundary: estimate.diagnostics.boundary.clone(),
        customers: estimate.customers,
    }
}

/// The files of a run, written into a staging folder inside the output folder and moved into place together.
struct Staging {
    dir: PathBuf,
    out: PathBuf,
    files: Vec<String>,
    /// The previous run's files, gathered in the staging folder under this name (`history/<time>`), moved to the
    /// output folder's `history/` first.
    kept: Option<String>,
}

impl Staging {
    fn new(out: &Path) -> Result<Staging> {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        // Staging folders of runs that were killed: the lock is ours, so nobody else is using them.
        for entry in std::fs::read_dir(out).with_context(|| format!("cannot read {}", out.display()))?.flatten() {
            if entry.file_name().to_string_lossy().starts_with(".clv-run-") {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let dir = out.join(format!(".clv-run-{}", std::process::id()));
        std::fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Staging { dir, out: out.to_owned(), files: Vec::new(), kept: None })
    }

    /// Gathers the previous run's files (linked, or copied where links are not possible) to be kept in
    /// `history/<its creation time>` of the output folder; returns that folder's name relative to the output.
    fn keep_previous(&mut self, previous: &RunRecord) -> Result<String> {
        let stamp: String = previous.created_at.chars().filter(|c| *c != ':').collect();
        let history = self.out.join("history");
        let name = (1..)
            .map(|k| if k == 1 { format!("history/{stamp}") } else { format!("history/{stamp}-{k}") })
            .find(|name| !self.out.join(name).exists() && !history.join(name).exists())
            .expect("a free name");
        let target = self.dir.join(&name);
        std::fs::create_dir_all(&target).with_context(|| format!("cannot create {}", target.display()))?;
        for file in &previous.files {
            let source = self.out.join(file);
            if source.is_file() {
                let copy = target.join(file);
                std::fs::hard_link(&source, &copy)
                    .or_else(|_| std::fs::copy(&source, &copy).map(|_| ()))
                    .with_context(|| format!("cannot keep {} in {}", source.display(), target.display()))?;
            }
        }
        self.kept = Some(name.clone());
        Ok(name)
    }

    fn write(&mut self, name: &str, write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> Result<()> {
        let path = self.dir.join(name);
        write_atomically(&path, |out| write(out)).with_context(|| format!("cannot write {}", path.display()))?;
        self.files.push(name.to_owned());
        Ok(())
    }

    /// Moves every file into the output folder, `run.json` last.
    fn commit(mut self) -> Result<Vec<String>> {
        if let Some(kept) = &self.kept {
            let target = self.out.join(kept);
            std::fs::create_dir_all(self.out.join("history")).context("cannot create the history folder")?;
            std::fs::rename(self.dir.join(kept), &target)
                .with_context(|| format!("cannot move the previous run to {}", target.display()))?;
        }
        self.files.sort_by_key(|name| name == "run.json");
        for name in &self.files {
            let target = self.out.join(name);
            std::fs::rename(self.dir.join(name), &target)
                .with_context(|| format!("cannot move {} into place", target.display()))?;
        }
        let _ = std::fs::remove_dir(&self.dir);
        Ok(std::mem::take(&mut self.files))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `clv run`.
pub fn run(args: RunArgs) -> Result<()> {
    // One run at a time in a folder: a second waits for nobody, it exits with status 75 and says who holds it.
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let _lock = FolderLock::acquire(&args.out)?;
    let previous = if args.refit { Some(PreviousRun::load(&args.out)?) } else { None };
    if !args.refit && args.out.join("run.json").exists() && !args.force {
        bail!(
            "{} holds another run (run.json): give --refit to refit it on this log and see what changed, --force to \
             replace it, or another --out folder",
            args.out.display()
        );
    }
    let steps = Steps { show: !args.quiet && std::io::stderr().is_terminal(), out: args.out.clone() };
    let (inputs, log) = inputs_and_log(&args)?;
    let schedule = args.valuation.continuous_schedule(log.unit)?;
    schedule.validate().map_err(anyhow::Error::msg)?;
    let choice = match (args.model, &previous) {
        (None, None) => ModelChoice::Auto,
        (Some(choice), None) => choice,
        (choice, Some(p)) => {
            if choice.is_some_and(|c| !matches!(c, ModelChoice::One(kind) if kind == p.count_kind)) {
                bail!(
                    "the run in {} used {}: --refit keeps its model (give --force to start afresh with another)",
                    args.out.display(),
                    p.count_kind.file_name()
                );
            }
            if p.record.settings.time_unit != log.unit.name() {
                bail!(
                    "the run in {} is in {}s: --refit keeps the time unit (give --unit {})",
                    args.out.display(),
                    p.record.settings.time_unit,
                    p.record.settings.time_unit
                );
            }
            ModelChoice::One(p.count_kind)
        }
    };

    let (table, report, state_update) = steps.run(0, || {
        if log.amount.is_none() {
            bail!("clv run values customers, so the log needs amounts: give --amount COL");
        }
        let progress = ProgressLine::new("clv run [1/6] reading", !steps.show);
        match &args.store.state {
            Some(path) => {
                let (update, table, report) =
                    StateUpdate::apply(&log, path, &args.files, args.store.overlap, None, Some(&args.out), &progress)?;
                Ok((table, report, Some(update)))
            }
            None => log.summarize(&inputs, None, &progress).map(|(table, report)| (table, report, None)),
        }
    })?;
    let input_name = state_update.as_ref().map_or_else(|| names_of(&inputs), StateUpdate::name);
    if let Some(p) = &previous
        && p.unchanged(&table, &run_settings(&args, choice, &table, &schedule))?
    {
        // Files whose purchases change nothing in the run (all after the observation end, say) are still
        // recorded in the state.
        let recorded = state_update.as_ref().is_some_and(|u| !u.added.is_empty());
        if let Some(update) = &state_update {
            update.write()?;
        }
        if args.json {
            println!("{}", serde_json::json!({"unchanged": true, "run": args.out.display().to_string()}));
        } else if !args.quiet {
            eprintln!(
                "clv run: unchanged: the run in {} was made from the same data and settings; nothing written{}",
                args.out.display(),
                if recorded { " but the summary state, which records the files added" } else { "" }
            );
        }
        return Ok(());
    }
    let count = steps.run(1, || fit_count(choice, &table, previous.as_ref().map(|p| p.count_params.as_slice())))?;
    let model = count.kind.count_model(&count.estimate.params).expect("a count model");
    let (spend_rows, spend_estimate, spend_seconds, spend) = steps.run(2, || {
        let rows = ModelKind::GammaGamma.fit_rows(&table).map_err(anyhow::Error::msg)?;
        let started = Instant::now();
        let estimate = ModelKind::GammaGamma.fit(&rows, previous.as_ref().map(|p| p.spend_params.as_slice()));
        if !estimate.diagnostics.converged {
            bail!("the Gamma-Gamma fit did not converge: {}", estimate.diagnostics.message);
        }
        let spend = GammaGamma::from_params(&estimate.params);
        if spend.population_mean().is_none() {
            bail!("the Gamma-Gamma fit gives q = {:.4} <= 1: spend per purchase has no finite mean", spend.q);
        }
        Ok((rows, estimate, started.elapsed().as_secs_f64(), spend))
    })?;
    let simple = estimate_inputs(&table);
    let (values, simple_clv, uncertainty) = steps.run(3, || {
        let values = value_customers(model.as_ref(), &spend, &table, &schedule, args.valuation.margin);
        if let Some(i) = values.iter().position(|v| !v.clv.is_finite()) {
            bail!("no reliable value for customer '{}'", String::from_utf8_lossy(table.ids.get(i)));
        }
        let simple_clv: Vec<f64> = (0..table.len()).map(|i| simple.clv(&table, i, args.valuation.margin)).collect();
        let uncertainty = uncertainty(&args, &table, &count, &spend_estimate, &values, &schedule)?;
        Ok((values, simple_clv, uncertainty))
    })?;
    let comparison = steps.run(4, || match &table.holdout {
        None => Ok(None),
        Some(_) => backtest(&table, model.as_ref(), Some(&spend), &simple).map(Some).map_err(anyhow::Error::msg),
    })?;
    let record = steps.run(5, || {
        let mut staging = Staging::new(&args.out)?;
        let drift = match &previous {
            Some(p) => {
                let kept_in = staging.keep_previous(&p.record)?;
                Some(p.drift(
                    &table,
                    &values,
                    &count,
                    &spend_estimate,
                    &run_settings(&args, choice, &table, &schedule),
                    kept_in,
                    args.max_drift,
                ))
            }
            None => None,
        };
        let count_name = format!("model.{}.json", count.kind.file_name());
        let spend_name = "model.gamma_gamma.json".to_string();
        let record = build_record(
            &args,
            choice,
            &input_name,
            &table,
            &report,
            &count,
            model.as_ref(),
            (&spend_estimate, &spend_name),
            &count_name,
            &values,
            &simple_clv,
            &simple,
            comparison.as_ref(),
            &schedule,
            &uncertainty,
        );
        staging.write("summary.csv", |out| table.write_csv(out))?;
        let meta = clv::data::summary_csv::meta_of(&table);
        staging.write("summary.csv.meta.json", |out| Ok(serde_json::to_writer_pretty(out, &meta)?))?;
        let count_file = count.kind.model_file(&count.estimate, &table, &count.rows, &input_name, count.seconds);
        let spend_file =
            ModelKind::GammaGamma.model_file(&spend_estimate, &table, &spend_rows, &input_name, spend_seconds);
        for (name, file) in [(&count_name, &count_file), (&spend_name, &spend_file)] {
            staging.write(name, |out| Ok(serde_json::to_writer_pretty(out, file)?))?;
        }
        staging.write("customers.csv", |out| {
            let horizons = (record.settings.prediction_horizon, reporting_horizon(&schedule, table.unit));
            let bootstrap = uncertainty.bootstrap.as_ref();
            write_customers(out, &table, &values, &simple_clv, horizons, comparison.as_ref(), bootstrap)
        })?;
        let mut record = record;
        record.drift = drift;
        record.files = [
            "summary.csv",
            "summary.csv.meta.json",
            &count_name,
            &spend_name,
            "customers.csv",
            "report.html",
            "run.json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        staging.write("report.html", |out| out.write_all(html::render(&record).as_bytes()))?;
        staging.write("run.json", |out| Ok(serde_json::to_writer_pretty(out, &record)?))?;
        staging.commit()?;
        Ok(record)
    })?;
    if let Some(update) = &state_update {
        update.write().context("the run is in place, but the summary state could not be updated")?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&record)?);
    } else {
        print!("{}", terminal_summary(&record, &args.out));
    }
    if let Some(c) = record.drift.as_ref().and_then(DriftSection::exceeded) {
        let limit = args.max_drift.unwrap_or_default();
        let change = c.change_in_se.unwrap_or_default().abs();
        return Err(DriftExceeded { parameter: format!("{} of {}", c.name, c.model), change, limit }.into());
    }
    Ok(())
}

/// `clv refit --previous DIR`: what the refit of a run folder is given.
pub struct FolderRefit {
    /// The run folder.
    pub out: PathBuf,
    /// The logs (or, with a state, the new files).
    pub files: Vec<PathBuf>,
    /// The summary state, when the purchases come from one.
    pub store: StateArgs,
    /// How to read the logs and split their periods.
    pub log: LogArgs,
    /// Status 3 past this many standard errors.
    pub max_drift: Option<f64>,
    /// The run record as JSON on standard output.
    pub json: bool,
    /// No progress.
    pub quiet: bool,
}

/// Refits the run in a folder as `clv run --refit` does, with the run's own valuation settings (discount rate,
/// margin, horizon) and intervals (replicates, level, seed), read from its `run.json`.
pub fn refit_folder(refit: FolderRefit) -> Result<()> {
    let record = PreviousRun::record(&refit.out)?;
    let settings = &record.settings;
    let valuation = ValuationArgs {
        discount_rate: settings.annual_discount_rate,
        margin: settings.margin,
        horizon: settings.horizon.map(|h| h.to_string()),
    };
    let interval = match &record.value.intervals {
        Some(i) => IntervalArgs { intervals: Some(i.replicates), level: i.level, seed: i.seed },
        None => IntervalArgs::default(),
    };
    run(RunArgs {
        files: refit.files,
        store: refit.store,
        out: refit.out,
        log: refit.log,
        model: None,
        valuation,
        interval,
        force: false,
        refit: true,
        max_drift: refit.max_drift,
        json: refit.json,
        quiet: refit.quiet,
    })
}

/// The settings of this run, as its record states them.
fn run_settings(args: &RunArgs, choice: ModelChoice, table: &SummaryTable, schedule: &Schedule) -> Settings {
    let unit = table.unit;
    let day = |d: Option<clv::data::Day>| d.map(|d| d.to_string()).unwrap_or_default();
    Settings {
        time_unit: unit.name().into(),
        calibration_end: day(table.calibration_end),
        observation_end: day(table.observation_end),
        model_requested: match choice {
            ModelChoice::Auto => "auto".into(),
            ModelChoice::One(kind) => kind.file_name().into(),
        },
        annual_discount_rate: args.valuation.discount_rate,
        margin: args.valuation.margin,
        horizon: match schedule {
            Schedule::Continuous { horizon, .. } => *horizon,
            Schedule::MonthlyCompat { .. } => None,
        },
        discounting: schedule.describe(unit, false),
        prediction_horizon: table.holdout.as_ref().map_or(reporting_horizon(schedule, unit), |h| h.duration),
        reporting_horizon: reporting_horizon(schedule, unit),
    }
}

/// The run already in the folder, for `--refit`: its record, its models' estimates and its customers' figures.
struct PreviousRun {
    record: RunRecord,
    count_kind: ModelKind,
    count_params: Vec<f64>,
    count_fingerprint: Option<String>,
    spend_params: Vec<f64>,
    spend_fingerprint: Option<String>,
    customers: HashMap<String, CustomerFigures>,
}

impl PreviousRun {
    /// The run record in `out`, for a refit.
    fn record(out: &Path) -> Result<RunRecord> {
        let path = out.join("run.json");
        if !path.exists() {
            bail!("--refit: {} holds no run (no run.json): run once without --refit first", out.display());
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a run record", path.display()))
    }

    fn load(out: &Path) -> Result<PreviousRun> {
        let record = PreviousRun::record(out)?;
        let model = |fitted: &FittedModel| -> Result<(ModelKind, Vec<f64>, Option<String>)> {
            let path = out.join(&fitted.file);
            let file = ModelFile::read(&path)?;
            let kind: ModelKind = file.model.parse().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let names = model_parameters(&file.model).expect("a model clv fits has parameters");
            let params = file.parameters_in_order(names).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Ok((kind, params, file.input_fingerprint))
        };
        let (count_kind, count_params, count_fingerprint) = model(&record.count_model)?;
        let (_, spend_params, spend_fingerprint) = model(&record.spend_model)?;
        let customers = read_customers(&out.join("customers.csv")).map_err(anyhow::Error::msg)?;
        Ok(PreviousRun {
            record,
            count_kind,
            count_params,
            count_fingerprint,
            spend_params,
            spend_fingerprint,
            customers,
        })
    }

    /// True when the previous run was made from the same data (the models' fingerprints) and settings.
    fn unchanged(&self, table: &SummaryTable, settings: &Settings) -> Result<bool> {
        let same_data = |kind: ModelKind, fingerprint: &Option<String>| -> Result<bool> {
            let rows = kind.fit_rows(table).map_err(anyhow::Error::msg)?;
            Ok(fingerprint.as_deref() == Some(rows.fingerprint().as_str()))
        };
        let before = &self.record.settings;
        let same_settings = before.calibration_end == settings.calibration_end
            && before.observation_end == settings.observation_end
            && self.settings_changed(settings).is_empty();
        Ok(same_settings
            && same_data(self.count_kind, &self.count_fingerprint)?
            && same_data(ModelKind::GammaGamma, &self.spend_fingerprint)?)
    }

    /// The valuation settings that differ from the previous run's, in words.
    fn settings_changed(&self, now: &Settings) -> Vec<String> {
        let then = &self.record.settings;
        let mut changed = Vec::new();
        if then.annual_discount_rate != now.annual_discount_rate {
            changed.push(format!("discount rate {} -> {} a year", then.annual_discount_rate, now.annual_discount_rate));
        }
        if then.margin != now.margin {
            changed.push(format!("margin {} -> {}", then.margin, now.margin));
        }
        if then.horizon != now.horizon {
            let horizon = |h: Option<f64>| h.map_or("no limit".to_string(), |h| format!("{h} {}s", now.time_unit));
            changed.push(format!("horizon {} -> {}", horizon(then.horizon), horizon(now.horizon)));
        }
        changed
    }

    /// What changed: parameters, log-likelihood, and the customers compared with the previous run's.
    #[allow(clippy::too_many_arguments)]
    fn drift(
        &self,
        table: &SummaryTable,
        values: &[clv::value::lifetime::CustomerValue],
        count: &CountFit,
        spend: &Estimate,
        settings: &Settings,
        kept_in: String,
        max_drift: Option<f64>,
    ) -> DriftSection {
        let e = &count.estimate;
        let mut parameters =
            parameter_changes(count.kind.file_name(), &e.names, &self.count_params, &e.params, &e.standard_errors);
        parameters.extend(parameter_changes(
            ModelKind::GammaGamma.file_name(),
            &spend.names,
            &self.spend_params,
            &spend.params,
            &spend.standard_errors,
        ));
        let current = values.iter().enumerate().map(|(i, v)| {
            let id = String::from_utf8_lossy(table.ids.get(i)).into_owned();
            (id, CustomerFigures { clv: v.clv, p_alive: v.p_alive, frequency: f64::from(table.frequency[i]) })
        });
        DriftSection {
            previous_created_at: self.record.created_at.clone(),
            previous_calibration_end: self.record.settings.calibration_end.clone(),
            previous_kept_in: kept_in,
            settings_changed: self.settings_changed(settings),
            parameters,
            log_likelihood: e.log_likelihood,
            previous_parameters_log_likelihood: count.kind.log_likelihood(&count.rows, &self.count_params),
            customers: compare_customers(&self.customers, current),
            max_drift,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn build_record(
    args: &RunArgs,
    choice: ModelChoice,
    input: &str,
    table: &SummaryTable,
    report: &IngestReport,
    count: &CountFit,
    model: &dyn CountModel,
    spend: (&Estimate, &str),
    count_file: &str,
    values: &[clv::value::lifetime::CustomerValue],
    simple_clv: &[f64],
    simple: &SimpleInputs,
    comparison: Option<&clv::value::compare::Backtest>,
    schedule: &Schedule,
    uncertainty: &Uncertainty,
) -> RunRecord {
    let unit = table.unit;
    let prediction_horizon = table.holdout.as_ref().map_or(reporting_horizon(schedule, unit), |h| h.duration);
    let clv: Vec<f64> = values.iter().map(|v| v.clv).collect();
    let alive: Vec<f64> = values.iter().map(|v| v.p_alive).collect();
    let predicted: Vec<f64> = match comparison {
        Some(c) => c.model_purchases.clone(),
        None => values.iter().map(|v| v.expected_purchases).collect(),
    };
    let day = |d: Option<clv::data::Day>| d.map(|d| d.to_string()).unwrap_or_default();
    let n = table.len().max(1) as f64;
    RunRecord {
        format_version: RUN_FORMAT_VERSION,
        clv_version: env!("CARGO_PKG_VERSION").into(),
        created_at: clv::fit::model_file::utc_now(),
        input: input.to_owned(),
        settings: run_settings(args, choice, table, schedule),
        data: DataSection {
            rows_read: report.rows_read,
            rows_used: report.rows_used,
            rows_merged: report.rows_merged,
            rows_of_later_customers: report.rows_of_later_customers,
            later_customers: report.later_customers,
            rows_after_observation_end: report.rows_after_observation_end,
            rows_skipped: report.rows_skipped.iter().map(|(k, t)| (k.to_string(), t.count)).collect(),
            customers: table.len(),
            repeat_customers: table.frequency.iter().filter(|&&x| x > 0).count(),
            first_day: day(report.first_day),
            holdout_purchases: report.holdout_purchases,
        },
        count_model: fitted_model(count.kind, &count.estimate, count_file),
        candidates: count.candidates.clone(),
        choice_rule: count.rule.clone(),
        spend_model: fitted_model(ModelKind::GammaGamma, spend.0, spend.1),
        value: ValueSection {
            customer_equity: clv.iter().sum(),
            simple_equity: simple_clv.iter().sum(),
            simple_retention_equity: (0..table.len())
                .map(|i| simple.clv_retention(table, i, args.valuation.margin, args.valuation.discount_rate))
                .sum(),
            expected_purchases: predicted.iter().sum(),
            mean_p_alive: alive.iter().sum::<f64>() / n,
            segments: deciles(&clv, &alive),
            simple_inputs: simple.how.clone(),
            intervals: uncertainty.bootstrap.as_ref().map(|b| IntervalSection {
                level: b.level,
                replicates: b.replicates,
                failed: b.failed,
                seed: args.interval.seed,
                equity: b.equity_interval,
                equity_delta_method: uncertainty.delta.map(|d| d.equity),
                expected_purchases_delta_method: uncertainty.delta.map(|d| d.expected_purchases),
                segments: b.segments.clone(),
            }),
            sensitivity: Some(uncertainty.sensitivity.clone()),
        },
        comparison: comparison.map(|c| ComparisonSection {
            holdout_length: prediction_horizon,
            purchases: c.purchases.clone(),
            revenue: c.revenue.clone(),
            verdict: c.verdict(count.kind.file_name()),
        }),
        diagnostics: DiagnosticsSection {
            tracking: tracking(table, &report.repeat_purchases_by_day, model),
            conditional: conditional_expectations(table, &predicted),
            grid: frequency_recency_grid(table, model, prediction_horizon),
            concentration: value_concentration(&clv),
            deciles: decile_comparison(&clv, simple_clv),
        },
        files: Vec::new(),
        drift: None,
    }
}

/// What a run knows of its valuation's uncertainty: bootstrap and delta-method intervals when asked for, and the
/// sensitivity to the rate and the horizon.
struct Uncertainty {
    bootstrap: Option<Bootstrap>,
    delta: Option<DeltaIntervals>,
    sensitivity: SensitivityTable,
}

fn uncertainty(
    args: &RunArgs,
    table: &SummaryTable,
    count: &CountFit,
    spend: &Estimate,
    values: &[clv::value::lifetime::CustomerValue],
    schedule: &Schedule,
) -> Result<Uncertainty> {
    let rates = standard_rates(args.valuation.discount_rate);
    let gamma_gamma = GammaGamma::from_params(&spend.params);
    let sensitivity = sensitivity_table(
        table,
        count.kind,
        &count.estimate.params,
        &gamma_gamma,
        &rates,
        &standard_horizons(table.unit),
        schedule,
    );
    let Some(plan) = args.interval.plan() else {
        return Ok(Uncertainty { bootstrap: None, delta: None, sensitivity });
    };
    let clv: Vec<f64> = values.iter().map(|v| v.clv).collect();
    let segment_of = segment_index(&decile_members(&clv), table.len());
    let margin = args.valuation.margin;
    let bootstrap =
        bootstrap(table, count.kind, &count.estimate.params, &spend.params, schedule, margin, &segment_of, &plan)
            .map_err(anyhow::Error::msg)?;
    let delta = delta_intervals(
        table,
        count.kind,
        &count.estimate.params,
        count.estimate.covariance.as_deref(),
        &spend.params,
        spend.covariance.as_deref(),
        schedule,
        margin,
        args.interval.level,
    );
    Ok(Uncertainty { bootstrap: Some(bootstrap), delta, sensitivity })
}

/// `customers.csv`: the summary columns and every per-customer figure, with each customer's decile of CLV
/// (1 = the most valuable tenth).
fn write_customers(
    out: &mut dyn std::io::Write,
    table: &SummaryTable,
    values: &[clv::value::lifetime::CustomerValue],
    simple_clv: &[f64],
    (horizon, reporting): (f64, f64),
    comparison: Option<&clv::value::compare::Backtest>,
    intervals: Option<&Bootstrap>,
) -> std::io::Result<()> {
    // The deciles of the report's segment table, numbered from 1 (the most valuable tenth).
    let clv: Vec<f64> = values.iter().map(|v| v.clv).collect();
    let decile = segment_index(&decile_members(&clv), values.len());
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["customer_id", "frequency", "recency", "T", "monetary_value"];
    if table.holdout.is_some() {
        header.push("frequency_holdout");
    }
    let purchases = format!("expected_purchases_{horizon}");
    header.extend([
        "p_alive",
        purchases.as_str(),
        "expected_spend",
        "discounted_purchases",
        "clv",
        "simple_clv",
        "decile",
    ]);
    // The bootstrap's expected purchases are over the valuation's reporting horizon (a year for no limit).
    let purchases_ends =
        [format!("expected_purchases_{reporting}_low"), format!("expected_purchases_{reporting}_high")];
    if intervals.is_some() {
        header.extend(["clv_low", "clv_high", &purchases_ends[0], &purchases_ends[1], "p_alive_low", "p_alive_high"]);
    }
    w.write_record(&header)?;
    let spend = table.monetary_value.as_deref().unwrap_or(&[]);
    for (i, v) in values.iter().enumerate() {
        let mut record = vec![
            String::from_utf8_lossy(table.ids.get(i)).into_owned(),
            table.frequency[i].to_string(),
            table.recency[i].to_string(),
            table.age[i].to_string(),
            spend.get(i).map_or(String::new(), f64::to_string),
        ];
        if let Some(h) = &table.holdout {
            record.push(h.frequency[i].to_string());
        }
        let expected = comparison.map_or(v.expected_purchases, |c| c.model_purchases[i]);
        record.extend(
            [v.p_alive, expected, v.expected_spend, v.discounted_purchases, v.clv, simple_clv[i]]
                .map(|x| x.to_string()),
        );
        record.push((decile[i] + 1).to_string());
        if let Some(b) = intervals {
            let c = &b.customers[i];
            let ends = [c.clv, c.expected_purchases, c.p_alive];
            record.extend(ends.iter().flat_map(|e| [e.low.to_string(), e.high.to_string()]));
        }
        w.write_record(&record)?;
    }
    w.flush()
}

/// What changed since the previous run, in a few lines.
fn drift_lines(d: &DriftSection, out: &Path) -> String {
    let e = &d.customers.equity;
    let c = &d.customers.counts;
    let moves: Vec<String> = d
        .parameters
        .iter()
        .map(|p| format!("{} {}", p.name, p.change_in_se.map_or("n/a".into(), |z| format!("{z:+.2}"))))
        .collect();
    let relative = if e.previous != 0.0 {
        format!(" ({:+.1}%)", 100.0 * (e.new - e.previous) / e.previous)
    } else {
        String::new()
    };
    let mut text = format!(
        "  since              the run of {} (calibration to {}), kept in {}\n  parameters (SEs)   {}\n  log-likelihood     {:+.3} over the previous estimates on these data\n  equity change      {:+.2}{relative}: customers in both runs {:+.2}, {} new customers {:+.2}, {} gone {:+.2}\n  customers          {} lapsed (P(alive) fell below {}), {} revived\n",
        d.previous_created_at,
        d.previous_calibration_end,
        out.join(&d.previous_kept_in).display(),
        moves.join(", "),
        d.log_likelihood - d.previous_parameters_log_likelihood,
        e.new - e.previous,
        e.continuing_new - e.continuing_previous,
        c.new,
        e.new_customers,
        c.gone,
        -e.gone_customers,
        c.lapsed,
        LAPSED_BELOW,
        c.revived
    );
    if !d.settings_changed.is_empty() {
        text.push_str(&format!("  settings changed   {}\n", d.settings_changed.join("; ")));
    }
    if let Some(m) = d.customers.movers.first() {
        text.push_str(&format!(
            "  moved most         customer {}: CLV {:.2} -> {:.2} (see the report for the {} who moved most)\n",
            m.id,
            m.clv.0,
            m.clv.1,
            d.customers.movers.len()
        ));
    }
    if let (Some(limit), Some(p)) = (d.max_drift, d.exceeded()) {
        text.push_str(&format!(
            "  DRIFT              {} of {} moved {:.2} standard errors, more than --max-drift {limit}\n",
            p.name,
            p.model,
            p.change_in_se.unwrap_or_default().abs()
        ));
    }
    text
}

/// The few lines a person reads after a run.
fn terminal_summary(r: &RunRecord, out: &Path) -> String {
    let mut text = format!(
        "clv run: {} customers from {} ({} to {}, holdout to {}, {}s)\n",
        r.data.customers,
        r.input,
        r.data.first_day,
        r.settings.calibration_end,
        r.settings.observation_end,
        r.settings.time_unit
    );
    let params: Vec<String> = r
        .count_model
        .params
        .iter()
        .map(|(n, v, se)| format!("{n} {v:.4} ({})", se.map_or("n/a".into(), |se| format!("{se:.4}"))))
        .collect();
    text.push_str(&format!(
        "  model              {}: {} (log-likelihood {:.2}){}\n",
        r.count_model.model,
        params.join(", "),
        r.count_model.log_likelihood,
        r.choice_rule.as_ref().map_or(String::new(), |rule| format!("; kept for the {rule}"))
    ));
    if !r.count_model.boundary.is_empty() {
        text.push_str(&format!("  note               {}\n", r.count_model.status()));
    }
    text.push_str(&format!(
        "  customer equity    {:.2} ({}, margin {})\n  simple formula     {:.2}\n",
        r.value.customer_equity, r.settings.discounting, r.settings.margin, r.value.simple_equity
    ));
    if let Some(i) = &r.value.intervals {
        let delta =
            i.equity_delta_method.map_or(String::new(), |d| format!("; delta method {:.2} to {:.2}", d.low, d.high));
        text.push_str(&format!(
            "  {:.0}% interval       {:.2} to {:.2} (bootstrap, {} replicates){delta}\n",
            i.level * 100.0,
            i.equity.low,
            i.equity.high,
            i.replicates
        ));
    }
    if let Some(c) = &r.comparison {
        text.push_str(&format!("  holdout            {}\n", c.verdict));
    }
    if let Some(d) = &r.drift {
        text.push_str(&drift_lines(d, out));
    }
    text.push_str(&format!("  files              {} (open {}/report.html)\n", out.display(), out.display()));
    text
}
