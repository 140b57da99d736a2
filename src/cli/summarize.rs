//! `clv summarize`: a purchase log in, one summary row per customer out.

use super::progress::ProgressLine;
use super::{parse_day, write_output, write_summary_meta};
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use clv::data::{
    ColumnRef, DateFormat, Day, IngestReport, Input, LogLayout, NegativeAmounts, Separator, SummarizeOptions,
    SummaryTable, TimeUnit, parse_horizon, summarize,
};
use std::path::PathBuf;

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
    /// Purchase log (CSV or whitespace-separated text); `-` reads standard input.
    file: PathBuf,
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
    /// calibration ends that long before the observation end (or the log's last date).
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

/// What to do with negative amounts.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum NegativePolicy {
    /// Stop with an error naming the row.
    Refuse,
    /// Leave such rows out and count them.
    Skip,
}

impl LogArgs {
    /// Summarises `input` with these flags (and `opportunities`), showing progress under `progress`. With
    /// `--holdout` and no `--observation-end`, a first pass finds the log's last date.
    pub fn summarize(
        &self,
        input: &Input,
        opportunities: Option<TimeUnit>,
        progress: &ProgressLine,
    ) -> Result<(SummaryTable, IngestReport)> {
        let (layout, mut options) = self.layout_and_options()?;
        options.opportunities = opportunities;
        if let Some(length) = &self.holdout {
            let days =
                (parse_horizon(length, self.unit).map_err(anyhow::Error::msg)? * self.unit.days()).round() as i32;
            let end = match (options.observation_end, input) {
                (Some(end), _) => end,
                (None, Input::Stdin) => bail!("with standard input, --holdout needs --observation-end"),
                (None, _) => {
                    let scan = SummarizeOptions { opportunities: None, ..options.clone() };
                    let result = summarize(input, &layout, &scan, &|p| progress.update(p));
                    result?.1.last_day.expect("a summarised log has a last day")
                }
            };
            options.observation_end = Some(end);
            options.calibration_end = Some(Day(end.0 - days));
        }
        let result = summarize(input, &layout, &options, &|p| progress.update(p));
        progress.finish();
        Ok(result?)
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
    let input = if args.file.as_os_str() == "-" { Input::Stdin } else { Input::File(args.file.clone()) };
    let progress = ProgressLine::new("reading", args.quiet);
    let (table, report) = args.log.summarize(&input, args.opportunities, &progress)?;

    write_output(args.output.as_deref(), |out| table.write_csv(out))?;
    if let Some(path) = &args.output {
        write_summary_meta(path, &table)?;
    }
    if !args.quiet {
        eprint!("{}", describe(&input, &table, &report, args.output.as_ref()));
    }
    Ok(())
}

/// The report of a summary: where every row went, the periods and the unit.
fn describe(input: &Input, table: &SummaryTable, report: &IngestReport, output: Option<&PathBuf>) -> String {
    let mut text = format!("clv summarize: {}\n", input.name());
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
