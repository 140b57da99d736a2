//! `clv fit`: a summary CSV in, a model file out, and a table of estimates on screen.

use anyhow::{Context, Result, bail};
use clap::Args;
use clv::data::{TimeUnit, read_summary};
use clv::fit::model_file::ModelFile;
use clv::models::{ModelKind, summary_fingerprint};
use clv::output::write_atomically;
use std::path::{Path, PathBuf};
use std::time::Instant;

const EXAMPLES: &str = "\
Examples:
  clv fit summary.csv --model bg-nbd                 # writes models/summary.bg_nbd.json
  clv fit summary.csv --model pareto-nbd -o pnbd.json
  clv fit from_sql.csv --model bg-nbd --unit day     # a summary made elsewhere, times in days
  clv fit summary.csv --model gamma-gamma            # spend per transaction (needs monetary_value)

The summary needs columns customer_id, frequency, recency and T (any order; x, t_x also accepted).
Its time unit comes from summary.csv.meta.json when clv wrote it, else from --unit (default week).";

/// Arguments of `clv fit`.
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct FitArgs {
    /// Summary CSV (from `clv summarize`, or any table with the summary columns).
    summary: PathBuf,
    /// The model: bg-nbd, pareto-nbd, mbg-nbd (purchase counts) or gamma-gamma (spend per transaction).
    #[arg(long)]
    model: ModelKind,
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

/// Runs `clv fit`.
pub fn run(args: FitArgs) -> Result<()> {
    let table = read_summary(&args.summary, args.unit, TimeUnit::Week)?;
    let rows = args.model.fit_rows(&table).map_err(|e| anyhow::anyhow!("{}: {e}", args.summary.display()))?;
    let started = Instant::now();
    let estimate = args.model.fit(&rows, None);
    let seconds = started.elapsed().as_secs_f64();
    let d = &estimate.diagnostics;
    let at_boundary = !d.boundary.is_empty();
    if !args.quiet || !d.converged {
        eprint!("{}", describe(&args, &estimate, table.unit, seconds));
    }
    if !d.converged && !at_boundary {
        bail!(
            "the {} fit did not converge: {} (max |gradient| {:.1e} after {} iterations, {} starts); no model file written",
            args.model.file_name(),
            d.message,
            d.gradient_max_abs,
            d.iterations,
            d.starts
        );
    }
    if args.model == ModelKind::GammaGamma {
        let q = estimate.params[1];
        if q <= 1.0 {
            bail!(
                "the Gamma-Gamma fit gives q = {q:.4} <= 1: spend per transaction then has no finite mean, so no \
                 expected spend can be computed; no model file written (check for extreme spends, or value with the \
                 observed mean instead)"
            );
        }
    }
    let mut file = ModelFile::from_estimate(args.model.file_name(), &estimate, table.unit, rows.fingerprint());
    file.calibration_end = table.calibration_end.map(|d| d.to_string());
    file.input = Some(args.summary.display().to_string());
    file.summary_fingerprint = Some(summary_fingerprint(&table));
    file.fit_seconds = Some(seconds);
    let output = args.output.clone().unwrap_or_else(|| default_output(&args.summary, args.model.file_name()));
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write_atomically(&output, |out| Ok(serde_json::to_writer_pretty(out, &file)?))
        .with_context(|| format!("cannot write {}", output.display()))?;
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

fn describe(args: &FitArgs, e: &clv::fit::Estimate, unit: TimeUnit, seconds: f64) -> String {
    let d = &e.diagnostics;
    let mut text = format!(
        "clv fit: {} on {} ({} customers, {} distinct rows, time unit {unit})\n  {:<10}{:>14}{:>14}\n",
        args.model.file_name(),
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
