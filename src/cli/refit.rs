//! `clv refit`: a model fitted again on new data, warm-started from the previous fit, written as a new version
//! beside the old (never over it), with `<name>.latest.json` pointing at the newest. The same data again give no
//! new version. A run folder is refitted whole, as `clv run --refit` does.

use super::progress::ProgressLine;
use super::run::FolderRefit;
use super::summarize::{LogArgs, StateArgs, StateUpdate, inputs_of, names_of};
use anyhow::{Context, Result, bail};
use clap::Args;
use clv::data::summary_csv::is_summary;
use clv::data::{SummaryTable, TimeUnit, read_summary};
use clv::fit::model_file::{ModelFile, model_parameters, utc_now};
use clv::models::ModelKind;
use clv::output::{FolderLock, write_atomically};
use clv::report::drift::{largest_change, parameter_changes};
use std::path::{Path, PathBuf};
use std::time::Instant;

const EXAMPLES: &str = "\
Examples:
  # Last week's BG/NBD on this week's summary: models/summary.bg_nbd.2026-12-03.1a2b3c4d.json and
  # models/summary.bg_nbd.latest.json (run it again on the same summary: 'unchanged', nothing written)
  clv refit --previous models/summary.bg_nbd.json summary.csv

  # The same from purchase logs, read together with the log flags (in the model's time unit)
  clv refit --previous models/summary.bg_nbd.latest.json orders-2026.csv orders-2027.csv \\
      --customer CustomerID --date OrderDate --amount Total --max-drift 2

  # Only the day's export: the other purchases come from a summary state (see clv summarize --state)
  clv refit --previous models/summary.bg_nbd.latest.json --state orders.state exports/2026-12-02.csv \\
      --customer CustomerID --date OrderDate --amount Total

  # A run folder (clv run --out orders-run): refitted as `clv run --refit` does, with the run's own
  # discount rate, margin, horizon and intervals; the drift report in the terminal, run.json and report.html
  clv refit --previous orders-run orders.csv --customer CustomerID --date OrderDate --amount Total --holdout 26w

A new model version goes beside the previous one; its name carries the date and the data's fingerprint.
Exit statuses: 0 done or unchanged, 1 failed (nothing written), 3 drift beyond --max-drift (written all the
same), 75 another clv process holds the folder.";

/// Arguments of `clv refit`.
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct RefitArgs {
    /// The previous fit: a model file (any version), the `<base>.latest.json` pointer written by an earlier refit,
    /// or a run folder (written by `clv run --out DIR`), refitted as `clv run --refit` does.
    #[arg(long, value_name = "MODEL|DIR")]
    previous: PathBuf,
    /// The new data: a summary CSV (from `clv summarize -o`, in the model's time unit), or purchase logs read
    /// together with the log flags. With --state: the new files to add to the state (none: the state as it is).
    /// A run folder takes logs [default: the bundled CDNOW sample, for a run made from it].
    files: Vec<PathBuf>,
    #[command(flatten)]
    store: StateArgs,
    #[command(flatten)]
    log: LogArgs,
    /// Exit with status 3 (after writing the new version) when a parameter moved by more than this many of its
    /// standard errors.
    #[arg(long, value_name = "SE")]
    max_drift: Option<f64>,
    /// Print the drift summary as JSON on standard output.
    #[arg(long)]
    json: bool,
    /// No report on standard error.
    #[arg(short, long)]
    quiet: bool,
}

/// Exit status when a refit's parameters drifted more than `--max-drift` standard errors.
pub const STATUS_DRIFT: u8 = 3;

/// The error of a refit that drifted too far (the new version is written all the same).
#[derive(Debug, thiserror::Error)]
#[error("{parameter} moved by {change:.2} standard errors, more than --max-drift {limit}")]
pub struct DriftExceeded {
    /// The parameter that moved most.
    pub parameter: String,
    /// Its change in standard errors (absolute).
    pub change: f64,
    /// The limit.
    pub limit: f64,
}

/// Where a refit writes: the previous file's folder, its name without a version, and the pointer file.
struct Names {
    dir: PathBuf,
    base: String,
}

impl Names {
    /// `models/summary.bg_nbd.json` or `models/summary.bg_nbd.2026-12-01.1a2b3c4d.json` -> base
    /// `summary.bg_nbd` in `models`.
    fn of(previous: &Path) -> Names {
        let dir = previous
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let stem = previous.file_stem().map_or_else(|| "model".into(), |s| s.to_string_lossy().into_owned());
        let parts: Vec<&str> = stem.split('.').collect();
        let versioned = parts.len() >= 3 && {
            let (date, print) = (parts[parts.len() - 2], parts[parts.len() - 1]);
            date.len() == 10
                && date.as_bytes()[4] == b'-'
                && print.len() == 8
                && print.bytes().all(|b| b.is_ascii_hexdigit())
        };
        let base =
            if versioned { parts[..parts.len() - 2].join(".") } else { stem.trim_end_matches(".latest").to_string() };
        Names { dir, base }
    }

    fn version(&self, date: &str, fingerprint: &str) -> PathBuf {
        self.dir.join(format!("{}.{date}.{}.json", self.base, &fingerprint[..8.min(fingerprint.len())]))
    }

    fn latest(&self) -> PathBuf {
        self.dir.join(format!("{}.latest.json", self.base))
    }
}

/// The model file `path` names: itself, or the version a `latest` pointer (`{"model_file": ...}`) names, in the
/// pointer's folder.
fn resolve_previous(path: &Path) -> Result<PathBuf> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let pointer: Option<String> = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("model_file").and_then(serde_json::Value::as_str).map(str::to_owned));
    Ok(match pointer {
        Some(name) => path.parent().map_or_else(|| PathBuf::from(&name), |dir| dir.join(&name)),
        None => path.to_path_buf(),
    })
}

/// Writes the `latest` pointer: the newest version's file name (in the pointer's folder), its model, when it was
/// fitted, its data's fingerprint, and the version it replaced.
fn write_pointer(latest: &Path, version: &Path, file: &ModelFile, previous: Option<&Path>) -> Result<()> {
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    let pointer = serde_json::json!({
        "model_file": name(version),
        "model": file.model,
        "fitted_at": file.fitted_at,
        "input_fingerprint": file.input_fingerprint,
        "previous": previous.and_then(name),
    });
    write_atomically(latest, |out| Ok(serde_json::to_writer_pretty(out, &pointer)?))
        .with_context(|| format!("cannot write {}", latest.display()))
}

/// The data of a model file's refit: a summary CSV, or purchase logs (or a state) summarised with the log flags,
/// in the previous model's time unit (by opportunity for a discrete model), with the state to write on success.
fn new_summary(
    args: &RefitArgs,
    kind: ModelKind,
    unit: TimeUnit,
    locked: &Path,
) -> Result<(SummaryTable, String, Option<StateUpdate>)> {
    if args.store.state.is_none()
        && let [file] = args.files.as_slice()
        && is_summary(file)
    {
        return Ok((read_summary(file, None, unit)?, file.display().to_string(), None));
    }
    if args.store.state.is_none() && args.files.is_empty() {
        bail!("give the new data: a summary CSV, purchase logs, or --state FILE");
    }
    let opportunities = kind.is_discrete().then_some(unit);
    if opportunities.is_none() && args.log.unit != unit {
        bail!(
            "{} was fitted in {unit}s: give --unit {unit} to summarise the logs in its unit",
            args.previous.display()
        );
    }
    let progress = ProgressLine::new("clv refit: reading", args.quiet);
    match &args.store.state {
        Some(path) => {
            let (update, table, _) = StateUpdate::apply(
                &args.log,
                path,
                &args.files,
                args.store.overlap,
                opportunities,
                Some(locked),
                &progress,
            )?;
            Ok((table, update.name(), Some(update)))
        }
        None => {
            let inputs = inputs_of(&args.files)?;
            let (table, _) = args.log.summarize(&inputs, opportunities, &progress)?;
            Ok((table, names_of(&inputs), None))
        }
    }
}

/// Runs `clv refit`: a run folder through `clv run --refit`, a model file here.
pub fn run(mut args: RefitArgs) -> Result<()> {
    if args.previous.is_dir() {
        let folder = FolderRefit {
            out: args.previous,
            files: args.files,
            store: args.store,
            log: args.log,
            max_drift: args.max_drift,
            json: args.json,
            quiet: args.quiet,
        };
        return super::run::refit_folder(folder);
    }
    args.previous = resolve_previous(&args.previous)?;
    let previous = ModelFile::read(&args.previous)?;
    let kind: ModelKind = previous.model.parse().map_err(|e| anyhow::anyhow!("{}: {e}", args.previous.display()))?;
    let names = model_parameters(&previous.model).expect("a model clv fits has parameters");
    let start = previous.parameters_in_order(names).map_err(|e| anyhow::anyhow!("{}: {e}", args.previous.display()))?;
    let unit = previous.unit().map_err(anyhow::Error::msg)?;
    let file_names = Names::of(&args.previous);
    let _lock = FolderLock::acquire(&file_names.dir)?;
    let (table, data_name, state_update) = new_summary(&args, kind, unit, &file_names.dir)?;
    if table.unit != unit {
        bail!("{data_name} is in {}s but {} was fitted in {}s", table.unit, args.previous.display(), unit);
    }
    let rows = kind.fit_rows(&table).map_err(|e| anyhow::anyhow!("{data_name}: {e}"))?;
    let fingerprint = rows.fingerprint();
    // Already fitted on these data: by the previous file itself, or by today's version of these data.
    let todays = file_names.version(&utc_now()[..10], &fingerprint);
    let fitted_before = |file: &ModelFile| file.input_fingerprint.as_deref() == Some(fingerprint.as_str());
    let done = if fitted_before(&previous) {
        Some(args.previous.clone())
    } else {
        ModelFile::read(&todays).ok().filter(|f| fitted_before(f)).map(|_| todays.clone())
    };
    if let Some(done) = done {
        if let Some(update) = &state_update {
            update.write()?;
        }
        if args.json {
            println!("{}", serde_json::json!({"unchanged": true, "model_file": done.display().to_string()}));
        }
        if !args.quiet {
            eprintln!(
                "clv refit: unchanged: {data_name} holds the data {} was fitted on (fingerprint {fingerprint}); no new \
                 version",
                done.display()
            );
        }
        // A first refit on unchanged data starts the pointer, so that scheduled jobs can follow it from then on; a
        // pointer that names another version (a refit killed between writing its version and the pointer) is
        // brought up to the version of these data.
        let latest = file_names.latest();
        let named = resolve_previous(&latest).ok().filter(|_| latest.exists());
        if named.as_deref() != Some(done.as_path()) {
            let previous = named.filter(|n| n != &done);
            write_pointer(&latest, &done, &ModelFile::read(&done)?, previous.as_deref())?;
        }
        return Ok(());
    }
    let started = Instant::now();
    let estimate = kind.fit(&rows, Some(&start));
    let seconds = started.elapsed().as_secs_f64();
    if !estimate.diagnostics.usable() {
        bail!("the {} refit did not converge: {}; nothing written", kind.file_name(), estimate.diagnostics.message);
    }
    let file = kind.model_file(&estimate, &table, &rows, &data_name, seconds);
    let target = todays;
    file.write(&target).with_context(|| format!("cannot write {}", target.display()))?;
    let latest = file_names.latest();
    write_pointer(&latest, &target, &file, Some(&args.previous))?;
    if let Some(update) = &state_update {
        update.write().context("the new version is written, but the summary state could not be updated")?;
    }
    // Each parameter's change in its new standard errors, and how much better the refit explains the new data.
    let changes =
        parameter_changes(kind.file_name(), &estimate.names, &start, &estimate.params, &estimate.standard_errors);
    let gain = estimate.log_likelihood - kind.log_likelihood(&rows, &start);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "unchanged": false,
                "model_file": target.display().to_string(),
                "latest": latest.display().to_string(),
                "previous": args.previous.display().to_string(),
                "parameters": changes,
                "log_likelihood": estimate.log_likelihood,
                "log_likelihood_gain_over_previous_parameters": gain,
            }))?
        );
    }
    if !args.quiet {
        let mut text = format!(
            "clv refit: {} on {} ({} customers), warm-started from {}\n  {:<10}{:>14}{:>14}{:>16}\n",
            kind.file_name(),
            data_name,
            estimate.customers,
            args.previous.display(),
            "parameter",
            "previous",
            "new",
            "change in SEs"
        );
        for c in &changes {
            let change = c.change_in_se.map_or("n/a".into(), |z| format!("{z:+.2}"));
            text.push_str(&format!("  {:<10}{:>14.6}{:>14.6}{change:>16}\n", c.name, c.previous, c.new));
        }
        text.push_str(&format!(
            "  log-likelihood      {:.6} ({:+.3} over the previous parameters on these data; {} iterations)\n  written to          {}\n  latest              {}\n",
            estimate.log_likelihood,
            gain,
            estimate.diagnostics.iterations,
            target.display(),
            latest.display()
        ));
        eprint!("{text}");
    }
    if let Some(limit) = args.max_drift {
        let worst = largest_change(&changes).and_then(|c| Some((c, c.change_in_se?.abs())));
        if let Some((c, change)) = worst.filter(|(_, change)| *change > limit) {
            return Err(DriftExceeded { parameter: c.name.clone(), change, limit }.into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_keep_their_base_name() {
        let plain = Names::of(Path::new("models/summary.bg_nbd.json"));
        assert_eq!((plain.dir.as_path(), plain.base.as_str()), (Path::new("models"), "summary.bg_nbd"));
        let versioned = Names::of(Path::new("models/summary.bg_nbd.2026-12-01.1a2b3c4d.json"));
        assert_eq!(versioned.base, "summary.bg_nbd");
        assert_eq!(
            versioned.version("2026-12-03", "0123456789abcdef"),
            Path::new("models/summary.bg_nbd.2026-12-03.01234567.json")
        );
        assert_eq!(versioned.latest(), Path::new("models/summary.bg_nbd.latest.json"));
        assert_eq!(Names::of(Path::new("m.json")).dir, Path::new("."));
    }
}
