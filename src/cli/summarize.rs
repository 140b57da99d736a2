//! `clv summarize`: a purchase log in, one summary row per customer out.

use super::progress::ProgressLine;
use super::{parse_day, write_output, write_summary_meta};
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use clv::data::parse::SkipTally;
use clv::data::purchases::Purchases;
use clv::data::state::{Applied, Overlap, SummaryState};
use clv::data::{
    ColumnRef, DateFormat, Day, IngestReport, Input, LogLayout, NegativeAmounts, Separator, SummarizeOptions,
    SummaryTable, TimeUnit, parse_horizon, read_purchases, summarize, summarize_purchases,
};
use clv::fit::model_file::utc_now;
use clv::output::FolderLock;
use std::path::{Path, PathBuf};

const EXAMPLES: &str = "\
Examples:
  # CDNOW sample: no header, runs of spaces; calibration to 1997-09-30, holdout to 1998-06-30
  clv summarize data/cdnow/CDNOW_sample.txt --whitespace --no-header \\
      --customer 2 --date 3 --amount 5 \\
      --calibration-end 1997-09-30 --observation-end 1998-06-30 -o summary.csv

  # Discrete opportunities (BG/BB): did each customer buy in each calendar year after their first?
  clv summarize gifts.csv --customer donor --date date --opportunities year \
      --calibration-end 2001-12-31 --observation-end 2006-12-31 -o yearly.csv

  # A CSV export with a header and US dates; returns left out and counted
  clv summarize orders.csv --customer CustomerID --date OrderDate --amount Total \\
      --date-format '%m/%d/%Y %H:%M' --negative skip --unit day -o summary.csv

  # Incremental: keep every purchase read in orders.state; each night add the new export only
  clv summarize --state orders.state orders-2026-12-01.csv --amount Total -o summary.csv
  clv summarize --state orders.state orders-2026-12-02.csv --amount Total -o summary.csv
  clv summarize --state orders.state --amount Total --holdout 26w -o summary.csv   # no new file

With --state, the summary is exactly the summary of every file applied so far read
together, in any order. A file whose purchases are in the state already is passed over
(said, status 0: a repeated job changes nothing); a file whose days overlap a file
applied before is refused (it may repeat purchases), unless --overlap merge adds its
rows as further purchases. The state is written last and
atomically, after the summary.

Conventions: purchases on the same day merge into one (amounts summed); frequency
counts repeat purchase days in calibration; recency and T are whole days divided by
the unit (week = 7 days, month = 365.25/12 days); monetary_value is the mean of the
repeat purchases (0 when there are none). With --opportunities, purchases in the same
period merge instead; frequency counts the periods after the first with a purchase,
recency is the last such period and `periods` the number of periods after the first
one up to the calibration end, which must be a period's last day.";

/// Arguments of `clv summarize`.
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct SummarizeArgs {
    /// Purchase log (CSV or whitespace-separated text); `-` reads standard input; several logs (of one layout) are
    /// read together as one. With --state: the new files to add to the state (none: summarise the state as it is).
    files: Vec<PathBuf>,
    #[command(flatten)]
    store: StateArgs,
    /// Write the summary CSV here (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    log: LogArgs,
    /// Summarise discrete opportunities (calendar day, ISO week, month or year) for BG/BB instead of
    /// continuous time; needs --calibration-end on a period's last day.
    #[arg(long, value_name = "PERIOD", conflicts_with = "unit")]
    opportunities: Option<TimeUnit>,
    /// No report or progress on standard error.
    #[arg(short, long)]
    quiet: bool,
}

/// A summary state that keeps every purchase read: the flags `clv summarize`, `clv run` and `clv refit` share.
#[derive(Args, Debug, Clone)]
pub struct StateArgs {
    /// Keep every purchase read in this summary state file (created by its first use), add the new files'
    /// purchases to it, and use them all; the state is written only when the command has succeeded.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// With --state: a new file whose days overlap a file applied before is refused (it may repeat purchases), or
    /// merged (its rows added as further purchases).
    #[arg(long, value_enum, default_value = "refuse", requires = "state")]
    pub overlap: OverlapPolicy,
}

/// How to read a purchase log and split its periods: the flags `clv summarize` and `clv run` share.
#[derive(Args, Debug, Clone)]
pub struct LogArgs {
    /// Customer id column: header name or 1-based number.
    #[arg(long, value_name = "COL", default_value = "1")]
    pub customer: ColumnRef,
    /// Purchase date column: header name or 1-based number.
    #[arg(long, value_name = "COL", default_value = "2")]
    pub date: ColumnRef,
    /// Amount column (spend per row); leave out for count-only logs (no monetary columns then).
    #[arg(long, value_name = "COL")]
    pub amount: Option<ColumnRef>,
    /// Field delimiter: one character, or `tab`.
    #[arg(long, value_name = "C", default_value = ",", conflicts_with = "whitespace")]
    pub delimiter: String,
    /// Fields are separated by runs of spaces or tabs (CDNOW's files).
    #[arg(long)]
    pub whitespace: bool,
    /// The file has no header line: name columns by number.
    #[arg(long)]
    pub no_header: bool,
    /// strftime format of the date column, e.g. `%d/%m/%Y` [default: YYYY-MM-DD, YYYY-MM-DD HH:MM:SS, YYYYMMDD]
    #[arg(long, value_name = "FMT")]
    pub date_format: Option<String>,
    /// Time unit of recency, T and the holdout duration.
    #[arg(long, default_value = "week")]
    pub unit: TimeUnit,
    /// Last day of the calibration period (inclusive); later purchases form the holdout.
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub calibration_end: Option<Day>,
    /// A holdout of this length at the end of the data (39w, 273d, 9m, 1y; a bare number is in --unit): the
    /// calibration ends that long before the observation end (or the log's last date, the log then held in memory
    /// at 16 bytes a row).
    #[arg(long, value_name = "LEN", conflicts_with = "calibration_end")]
    pub holdout: Option<String>,
    /// Last day observed (inclusive); later rows are left out and counted [default: the last date in the file]
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub observation_end: Option<Day>,
    /// Rows with a negative amount (returns, cancellations): refuse them with an error, or skip and count them.
    #[arg(long, value_enum, default_value = "refuse")]
    pub negative: NegativePolicy,
    /// Leave out malformed rows (bad date, bad amount, blank id, missing field) and count them, instead of
    /// stopping at the first.
    #[arg(long)]
    pub skip_bad_rows: bool,
}

/// What to do with a file whose days overlap a file already in the state.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OverlapPolicy {
    /// Refuse it with an error naming both files.
    Refuse,
    /// Add its rows as further purchases.
    Merge,
}

/// What to do with negative amounts.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum NegativePolicy {
    /// Stop with an error naming the row.
    Refuse,
    /// Leave such rows out and count them.
    Skip,
}

impl LogArgs {
    /// Summarises `inputs`, read together as one log, with these flags (and `opportunities`), showing progress
    /// under `progress`. One log is summarised in a streaming pass; several logs, or one with `--holdout` and no
    /// `--observation-end`, are read once and their rows held (16 bytes each) until the last date is known.
    pub fn summarize(
        &self,
        inputs: &[Input],
        opportunities: Option<TimeUnit>,
        progress: &ProgressLine,
    ) -> Result<(SummaryTable, IngestReport)> {
        let (layout, mut options) = self.layout_and_options()?;
        options.opportunities = opportunities;
        if let [input] = inputs
            && (self.holdout.is_none() || options.observation_end.is_some())
        {
            self.place_holdout(&mut options, || unreachable!("the observation end is given"))?;
            let result = summarize(input, &layout, &options, &|p| progress.update(p));
            progress.finish();
            return Ok(result?);
        }
        // Where the files' rows went: rows read, skipped and blank lines are the files'.
        let mut read = IngestReport::default();
        let mut every: Option<Purchases> = None;
        for input in inputs {
            let (purchases, report) = read_purchases(input, &layout, &options, &|p| progress.update(p))?;
            read.rows_read += report.rows_read;
            read.blank_lines += report.blank_lines;
            for (kind, mut tally) in report.rows_skipped {
                if inputs.len() > 1 {
                    tally.first_message = format!("{}: {}", input.name(), tally.first_message);
                }
                let total = read.rows_skipped.entry(kind).or_insert_with(|| SkipTally { count: 0, ..tally.clone() });
                total.count += tally.count;
            }
            every = Some(match every {
                None => purchases,
                Some(so_far) => so_far.combined(purchases).map_err(|e| anyhow::anyhow!("{}: {e}", input.name()))?,
            });
        }
        progress.finish();
        let purchases = every.context("give a purchase log")?;
        let last_day = purchases.span().map(|(_, last)| last);
        self.place_holdout(&mut options, || last_day.context("the log has no purchase rows"))?;
        let (table, mut report) = summarize_purchases(&purchases, &options)?;
        report.rows_read = read.rows_read;
        report.rows_skipped = read.rows_skipped;
        report.blank_lines = read.blank_lines;
        Ok((table, report))
    }

    /// With `--holdout LEN`: the observation end (given, or the data's last day, found by `last_day`) and the
    /// calibration end LEN before it.
    fn place_holdout(&self, options: &mut SummarizeOptions, last_day: impl FnOnce() -> Result<Day>) -> Result<()> {
        let Some(length) = &self.holdout else { return Ok(()) };
        let days = (parse_horizon(length, self.unit).map_err(anyhow::Error::msg)? * self.unit.days()).round() as i32;
        let end = match options.observation_end {
            Some(end) => end,
            None => last_day()?,
        };
        options.observation_end = Some(end);
        options.calibration_end = Some(Day(end.0 - days));
        Ok(())
    }

    /// The layout of the log and the summary's options (continuous time).
    pub fn layout_and_options(&self) -> Result<(LogLayout, SummarizeOptions)> {
        let date_format = match &self.date_format {
            Some(pattern) => DateFormat::strftime(pattern).map_err(anyhow::Error::msg)?,
            None => DateFormat::Auto,
        };
        let separator = match (self.whitespace, self.delimiter.as_str()) {
            (true, _) => Separator::Whitespace,
            (false, "tab" | "\\t" | "\t") => Separator::Byte(b'\t'),
            (false, d) if d.len() == 1 && d != "\"" && d != "\n" => Separator::Byte(d.as_bytes()[0]),
            (false, d) => anyhow::bail!("--delimiter must be one character (or `tab`), not '{d}'"),
        };
        let layout = LogLayout {
            separator,
            has_header: !self.no_header,
            customer: self.customer.clone(),
            date: self.date.clone(),
            amount: self.amount.clone(),
            date_format,
        };
        let options = SummarizeOptions {
            unit: self.unit,
            calibration_end: self.calibration_end,
            observation_end: self.observation_end,
            negative: match self.negative {
                NegativePolicy::Refuse => NegativeAmounts::Refuse,
                NegativePolicy::Skip => NegativeAmounts::Skip,
            },
            skip_bad_rows: self.skip_bad_rows,
            opportunities: None,
        };
        Ok((layout, options))
    }
}

/// Runs `clv summarize`.
pub fn run(args: SummarizeArgs) -> Result<()> {
    if let Some(state) = &args.store.state {
        return run_with_state(&args, state);
    }
    let inputs = inputs_of(&args.files)?;
    let progress = ProgressLine::new("reading", args.quiet);
    let (table, report) = args.log.summarize(&inputs, args.opportunities, &progress)?;

    write_output(args.output.as_deref(), |out| table.write_csv(out))?;
    if let Some(path) = &args.output {
        write_summary_meta(path, &table)?;
    }
    if !args.quiet {
        eprint!("{}", describe(&names_of(&inputs), &table, &report, args.output.as_ref()));
    }
    Ok(())
}

/// The purchase logs named on the command line (`-` for standard input, once at most), read together.
pub fn inputs_of(files: &[PathBuf]) -> Result<Vec<Input>> {
    if files.is_empty() {
        bail!("give a purchase log (or --state FILE to summarise a state)");
    }
    if files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        bail!("standard input (-) can be read once only");
    }
    Ok(files.iter().map(|f| if f.as_os_str() == "-" { Input::Stdin } else { Input::File(f.clone()) }).collect())
}

/// The name of logs read together, for reports: their names joined.
pub fn names_of(inputs: &[Input]) -> String {
    inputs.iter().map(Input::name).collect::<Vec<_>>().join(" + ")
}

/// `clv summarize --state STATE [NEW...]`: the new files' purchases added to the state, all of them summarised;
/// the summary is written first and the state last, so a failure or a kill leaves the previous state whole.
fn run_with_state(args: &SummarizeArgs, path: &Path) -> Result<()> {
    let progress = ProgressLine::new("reading", args.quiet);
    let (update, table, report) =
        StateUpdate::apply(&args.log, path, &args.files, args.store.overlap, args.opportunities, None, &progress)?;
    write_output(args.output.as_deref(), |out| table.write_csv(out))?;
    if let Some(output) = &args.output {
        write_summary_meta(output, &table)?;
    }
    update.write()?;
    if !args.quiet {
        let mut text = describe(&update.name(), &table, &report, args.output.as_ref());
        for file in &update.added {
            text.push_str(&format!("  {:<22}{file}\n", "added"));
        }
        for file in &update.passed_over {
            text.push_str(&format!("  {:<22}{file}\n", "not added"));
        }
        eprint!("{text}");
    }
    Ok(())
}

/// A summary state with new files applied, in memory until [`StateUpdate::write`]; its folder locked meanwhile.
pub struct StateUpdate {
    path: PathBuf,
    state: SummaryState,
    /// The files added, each with its rows (and rows skipped), for the report.
    pub added: Vec<String>,
    /// The files passed over because their purchases were in the state already, said for the report.
    pub passed_over: Vec<String>,
    _lock: Option<FolderLock>,
}

impl StateUpdate {
    /// Reads the state at `path` (a new one when it does not exist and files are given), applies `files` read
    /// with the log flags, and summarises every purchase with the flags' periods (and `opportunities`). The
    /// state's folder is locked unless it is `locked` already (by the caller).
    pub fn apply(
        log: &LogArgs,
        path: &Path,
        files: &[PathBuf],
        overlap: OverlapPolicy,
        opportunities: Option<TimeUnit>,
        locked: Option<&Path>,
        progress: &ProgressLine,
    ) -> Result<(StateUpdate, SummaryTable, IngestReport)> {
        let folder = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let same = |a: &Path, b: &Path| a.canonicalize().ok().is_some_and(|a| b.canonicalize().ok() == Some(a));
        let lock = match locked {
            Some(held) if same(held, folder) => None,
            _ => Some(FolderLock::acquire(folder)?),
        };
        let mut state = if path.exists() {
            SummaryState::read(path)?
        } else if files.is_empty() {
            bail!("{}: no such state: give the files to start it with", path.display());
        } else {
            SummaryState::default()
        };
        let (layout, mut options) = log.layout_and_options()?;
        let overlap = match overlap {
            OverlapPolicy::Refuse => Overlap::Refuse,
            OverlapPolicy::Merge => Overlap::Merge,
        };
        let applied_at = utc_now();
        let (mut added, mut passed_over) = (Vec::new(), Vec::new());
        for file in files {
            if file.as_os_str() == "-" {
                bail!("--state takes files, not standard input (a file can be recognised when it comes again)");
            }
            let input = Input::File(file.clone());
            let (purchases, report) = read_purchases(&input, &layout, &options, &|p| progress.update(p))?;
            let rows = purchases.rows.len();
            match state.apply(&input.name(), purchases, overlap, &applied_at).map_err(anyhow::Error::msg)? {
                Applied::Added => added.push(format!("{} ({rows} rows{})", input.name(), skipped(&report))),
                Applied::AlreadyApplied(f) => passed_over.push(format!(
                    "{}: its purchases are in the state already (from {} at {}); passed over",
                    input.name(),
                    f.name,
                    f.applied_at
                )),
            }
        }
        progress.finish();
        options.opportunities = opportunities;
        let last_day = state.purchases.span().map(|(_, last)| last);
        log.place_holdout(&mut options, || last_day.context("the state holds no purchases"))?;
        let (table, report) = summarize_purchases(&state.purchases, &options)?;
        Ok((StateUpdate { path: path.to_owned(), state, added, passed_over, _lock: lock }, table, report))
    }

    /// The state's name in reports: its path, files and rows.
    pub fn name(&self) -> String {
        let files = self.state.files.len();
        format!("{} (summary state: {files} files, {} rows)", self.path.display(), self.state.purchases.rows.len())
    }

    /// Writes the state (atomically) when files were added.
    pub fn write(&self) -> Result<()> {
        if !self.added.is_empty() {
            self.state.write(&self.path)?;
        }
        Ok(())
    }
}

/// ", k rows skipped" when a file's rows were left out by --skip-bad-rows or --negative skip.
fn skipped(report: &IngestReport) -> String {
    match report.rows_skipped_total() {
        0 => String::new(),
        n => format!(", {n} skipped"),
    }
}

/// The report of a summary: where every row went, the periods and the unit.
fn describe(input: &str, table: &SummaryTable, report: &IngestReport, output: Option<&PathBuf>) -> String {
    let mut text = format!("clv summarize: {input}\n");
    let mut line = |label: &str, value: String| text.push_str(&format!("  {label:<22}{value}\n"));
    line("rows read", report.rows_read.to_string());
    let merged =
        if table.discrete { format!("a purchase of the same {}", table.unit) } else { "a same-day purchase".into() };
    line(
        "rows used",
        format!("{} ({} merged into {merged} of the same customer)", report.rows_used, report.rows_merged),
    );
    if report.later_customers > 0 {
        line(
            "rows left out",
            format!(
                "{} (of {} customer{} whose first purchase is after the calibration end)",
                report.rows_of_later_customers,
                report.later_customers,
                if report.later_customers == 1 { "" } else { "s" }
            ),
        );
    }
    if report.rows_after_observation_end > 0 {
        line("rows left out", format!("{} dated after the observation end", report.rows_after_observation_end));
    }
    for (kind, tally) in &report.rows_skipped {
        line(
            "rows skipped",
            format!("{} ({kind}; first at line {}: {})", tally.count, tally.first_line, tally.first_message),
        );
    }
    if report.blank_lines > 0 {
        line("blank lines", report.blank_lines.to_string());
    }
    if !report.in_date_order {
        line("order", "not in date order within customers: summarised from a sorted copy".into());
    }
    line("customers", report.customers.to_string());
    let cal_end = table.calibration_end.map(|d| d.to_string()).unwrap_or_default();
    let first = report.first_day.map(|d| d.to_string()).unwrap_or_default();
    line("calibration", format!("{first} to {cal_end}"));
    if let (Some(h), Some(end)) = (&table.holdout, table.observation_end) {
        line(
            "holdout",
            format!("to {end} ({} {}s; {} purchases)", round(h.duration), table.unit, report.holdout_purchases),
        );
    }
    let unit = match table.unit {
        TimeUnit::Week if table.discrete => "opportunities: ISO weeks (Monday to Sunday)".to_string(),
        unit if table.discrete => format!("opportunities: calendar {unit}s"),
        TimeUnit::Day => "day".to_string(),
        other => format!("{other} ({} days)", other.days()),
    };
    line("unit", unit);
    if table.monetary_value.is_none() {
        line("amounts", "none (count-only log: no monetary columns)".into());
    }
    if let Some(path) = output {
        line("written to", path.display().to_string());
    }
    text
}

fn round(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}
