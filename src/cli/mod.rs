//! The command-line interface: one file per subcommand over the library.

mod compare;
mod fit;
mod predict;
mod progress;
mod refit;
mod report;
mod retention;
mod run;
mod simulate;
mod summarize;
mod value;

use anyhow::Context;
use clap::{Parser, Subcommand};
use clv::data::SummaryTable;
use clv::data::summary_csv::{meta_of, meta_path};
use clv::output::write_atomically;
use std::io::Write;
use std::path::Path;

/// clv: customer lifetime value from a purchase log.
#[derive(Parser, Debug)]
#[command(name = "clv", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The main job: summarise, fit, predict, value, compare, and write a folder with the report.
    Run(run::RunArgs),
    /// Remake report.html of a run folder from its run.json, without refitting.
    Report(report::ReportArgs),
    /// Summarise a purchase log per customer: frequency, recency, age (T) or opportunities, mean spend, holdout.
    Summarize(summarize::SummarizeArgs),
    /// Fit a model (BG/NBD, Pareto/NBD, MBG/NBD, BG/BB, Gamma-Gamma, or the best count model) by maximum likelihood.
    Fit(fit::FitArgs),
    /// Predict per customer: expected purchases over a horizon and P(alive).
    Predict(predict::PredictArgs),
    /// Draw a synthetic purchase log (or summary), or a subscription log, from a model file.
    Simulate(simulate::SimulateArgs),
    /// Value every customer and the base: discounted CLV, the simple formula, segments, LTV:CAC.
    Value(value::ValueArgs),
    /// Fit a model again on new data, warm-started, as a new version beside the old (`latest` points at it).
    Refit(refit::RefitArgs),
    /// Backtest on the holdout: the model against the simple formula, in total, per customer and in ranking.
    Compare(compare::CompareArgs),
    /// Subscription retention: the shifted-beta-geometric on a cohort or a subscription log, projection, values.
    Retention(retention::RetentionArgs),
}

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Report(args) => report::run(args),
        Command::Refit(args) => refit::run(args),
        Command::Summarize(args) => summarize::run(args),
        Command::Fit(args) => fit::run(args),
        Command::Predict(args) => predict::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Value(args) => value::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Retention(args) => retention::run(args),
    }
}

/// A date given on the command line (YYYY-MM-DD, or the other forms the logs accept).
pub fn parse_day(text: &str) -> Result<clv::data::Day, String> {
    clv::data::DateFormat::Auto
        .parse(text.trim().as_bytes())
        .ok_or_else(|| format!("'{text}' is not a date; expected YYYY-MM-DD"))
}

/// Writes a table to `path` (atomically) or, without a path, to standard output.
pub fn write_output(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    match path {
        Some(path) => {
            write_atomically(path, |out| write(out)).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            write(&mut out).and_then(|()| out.flush()).context("cannot write to standard output")
        }
    }
}

/// Records a summary's unit and periods beside its CSV (`FILE.meta.json`), when the CSV is a regular file.
pub fn write_summary_meta(csv: &Path, table: &SummaryTable) -> anyhow::Result<()> {
    write_meta(csv, &meta_of(table))
}

/// Writes `meta` as JSON beside the output `csv` (`FILE.meta.json`), when the CSV is a regular file.
pub fn write_meta(csv: &Path, meta: &impl serde::Serialize) -> anyhow::Result<()> {
    if !std::fs::metadata(csv).is_ok_and(|m| m.is_file()) {
        return Ok(());
    }
    let path = meta_path(csv);
    write_atomically(&path, |out| Ok(serde_json::to_writer_pretty(out, meta)?))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Exit status 75 ("try again later", EX_TEMPFAIL) when the output folder is locked by another clv process.
pub const STATUS_BUSY: u8 = 75;

/// The exit status of a failed command: [`STATUS_BUSY`] when another process holds the folder,
/// [`refit::STATUS_DRIFT`] when a refit drifted past its limit, else 1.
pub fn exit_status(error: &anyhow::Error) -> u8 {
    let busy = error.chain().any(|cause| matches!(cause.downcast_ref(), Some(clv::output::LockError::Held { .. })));
    let drift = error.chain().any(|cause| cause.downcast_ref::<refit::DriftExceeded>().is_some());
    if busy {
        STATUS_BUSY
    } else if drift {
        refit::STATUS_DRIFT
    } else {
        1
    }
}

/// How a failed command's message begins: `drift` for a refit that drifted past its limit (its files are written;
/// worth a look, not a failure of the job), `error` otherwise.
pub fn status_label(status: u8) -> &'static str {
    if status == refit::STATUS_DRIFT { "drift" } else { "error" }
}

/// True when the error is a closed standard output (`clv summarize ... | head`): not a failure. The broken pipe
/// may come wrapped in a CSV writer's error.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    fn broken(cause: &(dyn std::error::Error + 'static)) -> bool {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::BrokenPipe || io.get_ref().is_some_and(|inner| broken(inner));
        }
        if let Some(csv_error) = cause.downcast_ref::<csv::Error>() {
            return matches!(csv_error.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe);
        }
        false
    }
    error.chain().any(broken)
}
