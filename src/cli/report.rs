//! `clv report DIR`: remakes a run's `report.html` from its `run.json`, without refitting.

use anyhow::{Context, Result, bail};
use clap::Args;
use clv::output::{FolderLock, write_atomically};
use clv::report::{RUN_FORMAT_VERSION, RunRecord, html};
use std::io::Write as _;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  clv report clv-run          # rewrites clv-run/report.html from clv-run/run.json";

/// Arguments of `clv report`.
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct ReportArgs {
    /// A folder written by `clv run`.
    dir: PathBuf,
}

/// Runs `clv report`.
pub fn run(args: ReportArgs) -> Result<()> {
    if !args.dir.is_dir() {
        bail!("{} is not a folder (give the folder of a run)", args.dir.display());
    }
    let _lock = FolderLock::acquire(&args.dir)?;
    let path = args.dir.join("run.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{} is not a run folder (no readable run.json)", args.dir.display()))?;
    let record: RunRecord = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a run record of this clv version", path.display()))?;
    if record.format_version > RUN_FORMAT_VERSION {
        bail!("{}: format version {} is newer than this clv reads", path.display(), record.format_version);
    }
    let report = args.dir.join("report.html");
    write_atomically(&report, |out| out.write_all(html::render(&record).as_bytes()))
        .with_context(|| format!("cannot write {}", report.display()))?;
    eprintln!("clv report: {} remade from {}", report.display(), path.display());
    Ok(())
}
