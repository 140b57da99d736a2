//! `clv fit`: a summary CSV in, a model file out, and a table of estimates on screen.

use anyhow::{Context, Result, bail};
use clap::Args;
use clv::data::summary_csv::read_meta;
use clv::data::{TimeUnit, read_summary};
use clv::fit::{Estimate, FitRows};
use clv::models::{Choice, ModelKind, choose_count_model};
use std::path::{Path, PathBuf};
use std::time::Instant;

const EXAMPLES: &str = "\
Examples:
  clv fit summary.csv --model bg-nbd                 # writes models/summary.bg_nbd.json
  clv fit summary.csv --model pareto-nbd -o pnbd.json
  clv fit from_sql.csv --model bg-nbd --unit day     # a summary made elsewhere, times in days
  clv fit summary.csv --model gamma-gamma            # spend per transaction (needs monetary_value)
  clv fit summary.csv --model auto                   # every count model; keeps the best (rule printed)
  clv fit data/donations/donations.csv --model bg-bb --unit year   # discrete opportunities (BG/BB)

The summary needs columns customer_id, frequency, recency and T (any order; x, t_x also accepted).
Its time unit comes from summary.csv.meta.json when clv wrote it, else from --unit (default week).
A table of discrete opportunities has `periods` instead of T (as `clv summarize --opportunities`
writes), and may have a `weights` column of customers per row instead of customer_id.";

/// Arguments of `clv fit`.
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct FitArgs {
    /// Summary CSV (from `clv summarize`, or any table with the summary columns).
    summary: PathBuf,
    /// The model: bg-nbd, pareto-nbd, mbg-nbd (purchase counts), bg-bb (discrete opportunities), gamma-gamma
    /// (spend per transaction), or auto (every purchase-count model that applies, keeping the best: lowest
    /// holdout error when the summary has a holdout, else lowest BIC).
    #[arg(long)]
    model: ModelChoice,
    /// Model file to write [default: models/<summary name>.<model>.json]
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Time unit of the summary when it does not record one [default: week]
    #[arg(long)]
    unit: Option<TimeUnit>,
    /// No table on standard error.
    #[arg(short, long)]
    quiet: bool,
}

/// A model by name, or `auto`.
#[derive(Clone, Copy, Debug)]
pub enum ModelChoice {
    /// Every applicable count model, the best kept.
    Auto,
    /// This model.
    One(ModelKind),
}

impl std::str::FromStr for ModelChoice {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.eq_ignore_ascii_case("auto") { Ok(ModelChoice::Auto) } else { text.parse().map(ModelChoice::One) }
    }
}

/// Runs `clv fit`.
pub fn run(args: FitArgs) -> Result<()> {
    let table = read_summary(&args.summary, args.unit, TimeUnit::Week)?;
    if table.discrete && args.unit.is_none() && read_meta(&args.summary)?.is_none() {
        bail!(
            "{}: a table of opportunities (it has a periods column) without {}: say how long an opportunity is \
             with --unit year (or month, week, day)",
            args.summary.display(),
            clv::data::summary_csv::meta_path(&args.summary).display()
        );
    }
    let (kind, rows, estimate, seconds) = match args.model {
        ModelChoice::One(kind) => {
            let rows = kind.fit_rows(&table).map_err(|e| anyhow::anyhow!("{}: {e}", args.summary.display()))?;
            let started = Instant::now();
            let estimate = kind.fit(&rows, None);
            (kind, rows, estimate, started.elapsed().as_secs_f64())
        }
        ModelChoice::Auto => choose(&args, &table)?,
    };
    write_fit(&args, kind, &table, &rows, &estimate, seconds)
}

/// Fits every purchase-count model that applies, prints the comparison and returns the one kept (see
/// [`choose_count_model`] for the rule).
fn choose(args: &FitArgs, table: &clv::data::SummaryTable) -> Result<(ModelKind, FitRows, Estimate, f64)> {
    let mut choice = choose_count_model(table).map_err(|e| anyhow::anyhow!("{}: {e}", args.summary.display()))?;
    if !args.quiet {
        eprint!(
            "clv fit --model auto: every purchase-count model on {}\n{}",
            args.summary.display(),
            choice_table(&choice)
        );
    }
    let best = choice.candidates.swap_remove(choice.best);
    Ok((best.kind, best.rows, best.estimate, best.seconds))
}

/// The comparison of an automatic choice: one line per model, the kept one starred, and the rule.
pub fn choice_table(choice: &Choice) -> String {
    let mut text = format!(
        "  {:<12}{:>10}{:>16}{:>14}{:>14}{:>14}{:>14}  parameters\n",
        "model", "converged", "log-likelihood", "AIC", "BIC", "holdout MAE", "holdout total"
    );
    for (i, c) in choice.candidates.iter().enumerate() {
        let (mae, total) = c
            .holdout
            .map_or(("-".into(), "-".into()), |h| (format!("{:.4}", h.mae), format!("{:+.2}%", h.total_error * 100.0)));
        let e = &c.estimate;
        let params: Vec<String> = e.names.iter().zip(&e.params).map(|(n, v)| format!("{n} {v:.4}")).collect();
        text.push_str(&format!(
            "{} {:<12}{:>10}{:>16.3}{:>14.3}{:>14.3}{:>14}{:>14}  {}\n",
            if i == choice.best { "*" } else { " " },
            c.kind.file_name(),
            if e.diagnostics.converged {
                "yes"
            } else if e.diagnostics.usable() {
                "boundary"
            } else {
                "no"
            },
            e.log_likelihood,
            c.aic,
            c.bic,
            mae,
            total,
            params.join(", ")
        ));
    }
    text.push_str(&format!(
        "  kept {} (*): {}\n",
        choice.candidates[choice.best].kind.file_name(),
        choice.rule.describe()
    ));
    text
}

/// Reports a fit and writes its model file.
fn write_fit(
    args: &FitArgs,
    kind: ModelKind,
    table: &clv::data::SummaryTable,
    rows: &FitRows,
    estimate: &Estimate,
    seconds: f64,
) -> Result<()> {
    let d = &estimate.diagnostics;
    let at_boundary = !d.boundary.is_empty();
    if !args.quiet || !d.converged {
        eprint!("{}", describe(args, kind, estimate, table, seconds));
    }
    if !d.converged && !at_boundary {
        bail!(
            "the {} fit did not converge: {} (max |gradient| {:.1e} after {} iterations, {} starts); no model file written",
            kind.file_name(),
            d.message,
            d.gradient_max_abs,
            d.iterations,
            d.starts
        );
    }
    if kind == ModelKind::GammaGamma {
        let q = estimate.params[1];
        if q <= 1.0 {
            bail!(
                "the Gamma-Gamma fit gives q = {q:.4} <= 1: spend per transaction then has no finite mean, so no \
                 expected spend can be computed; no model file written (check for extreme spends, or value with the \
                 observed mean instead)"
            );
        }
    }
    let file = kind.model_file(estimate, table, rows, &args.summary.display().to_string(), seconds);
    let output = args.output.clone().unwrap_or_else(|| default_output(&args.summary, kind.file_name()));
    file.write(&output).with_context(|| format!("cannot write {}", output.display()))?;
    if !args.quiet {
        eprintln!("  written to          {}", output.display());
    }
    Ok(())
}

/// `models/<summary stem>.<model>.json`.
fn default_output(summary: &Path, model: &str) -> PathBuf {
    let stem = summary.file_stem().map_or_else(|| "summary".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from("models").join(format!("{stem}.{model}.json"))
}

fn describe(args: &FitArgs, kind: ModelKind, e: &Estimate, table: &clv::data::SummaryTable, seconds: f64) -> String {
    let d = &e.diagnostics;
    let unit = match table.discrete {
        true => format!("opportunities of one {}", table.unit),
        false => format!("time unit {}", table.unit),
    };
    let mut text = format!(
        "clv fit: {} on {} ({} customers, {} distinct rows, {unit})\n  {:<10}{:>14}{:>14}\n",
        kind.file_name(),
        args.summary.display(),
        e.customers,
        e.distinct_rows,
        "parameter",
        "estimate",
        "std. error"
    );
    for ((name, value), se) in e.names.iter().zip(&e.params).zip(&e.standard_errors) {
        let se = if se.is_finite() { format!("{se:>14.6}") } else { format!("{:>14}", "n/a") };
        text.push_str(&format!("  {name:<10}{value:>14.6}{se}\n"));
    }
    text.push_str(&format!("  log-likelihood      {:.6}\n", e.log_likelihood));
    let status = if d.converged {
        "yes".to_string()
    } else if !d.boundary.is_empty() {
        format!("at the boundary ({})", d.boundary.join(", "))
    } else {
        "NO".to_string()
    };
    text.push_str(&format!(
        "  converged           {status} ({} iterations, {} evaluations, max |gradient| {:.1e}, {:.3} s)\n",
        d.iterations, d.evaluations, d.gradient_max_abs, seconds
    ));
    if !d.converged {
        text.push_str(&format!("  note                {}\n", d.message));
    }
    text
}
