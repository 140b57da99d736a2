//! From a purchase log to the summary table: blocks are read on one thread, parsed in parallel (rayon), and
//! absorbed in input order into per-customer states, so memory grows with customers, not rows.
//!
//! A log in date order within each customer (ordered by date, or by customer then date) is summarised in one
//! streaming pass. When a customer's rows go back in time, a file is read a second time holding every row
//! (16 bytes each) and sorted, which gives exactly the same summary; standard input cannot be re-read, so it
//! must be in date order within customers.

use super::columns::{Column, ColumnRef};
use super::customers::{Added, CustomerIndex, CustomerState, IdArena, IdHasher, Period, compare_ids};
use super::dates::{DateFormat, Day};
use super::error::DataError;
use super::money::Money;
use super::opportunities::OpportunityClock;
use super::parse::{NegativeAmounts, ParsedBlock, RowSpec, SkipTally, parse_block};
use super::purchases::Purchases;
use super::records::{Fields, Separator};
use super::summary::{Holdout, SummaryTable};
use super::units::TimeUnit;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::mpsc;

/// Bytes per block handed to a parsing thread.
const BLOCK_BYTES: usize = 1 << 20;
/// Blocks parsed together while the previous batch is absorbed.
const BLOCKS_PER_BATCH: usize = 8;

/// Where the purchase log comes from.
#[derive(Clone, Debug)]
pub enum Input {
    /// A file.
    File(PathBuf),
    /// Standard input (must be in date order within customers).
    Stdin,
    /// A log held in memory (such as a sample built into the binary), with the name used in messages.
    Bytes {
        /// The name used in messages.
        name: String,
        /// The log's text.
        bytes: &'static [u8],
    },
}

impl Input {
    /// The name used in messages.
    pub fn name(&self) -> String {
        match self {
            Input::File(path) => path.display().to_string(),
            Input::Stdin => "<stdin>".into(),
            Input::Bytes { name, .. } => name.clone(),
        }
    }

    fn open(&self) -> Result<(Box<dyn Read + Send>, Option<u64>), DataError> {
        match self {
            Input::File(path) => {
                let io = |source| DataError::Io { path: self.name(), source };
                let file = File::open(path).map_err(io)?;
                let size = file.metadata().map_err(io)?.len();
                Ok((Box::new(file), Some(size)))
            }
            Input::Stdin => Ok((Box::new(io::stdin()), None)),
            Input::Bytes { bytes, .. } => Ok((Box::new(io::Cursor::new(*bytes)), Some(bytes.len() as u64))),
        }
    }
}

/// The layout of a purchase log: separator, header, and which columns hold what.
#[derive(Clone, Debug)]
pub struct LogLayout {
    /// How fields are separated.
    pub separator: Separator,
    /// Whether the first line is a header.
    pub has_header: bool,
    /// The customer id column.
    pub customer: ColumnRef,
    /// The purchase date column.
    pub date: ColumnRef,
    /// The amount column; `None` for count-only logs.
    pub amount: Option<ColumnRef>,
    /// How dates are written.
    pub date_format: DateFormat,
}

/// The summary's periods and rules.
#[derive(Clone, Debug)]
pub struct SummarizeOptions {
    /// Unit of recency, T and durations.
    pub unit: TimeUnit,
    /// Last day of calibration (inclusive); default: the observation end (no holdout).
    pub calibration_end: Option<Day>,
    /// Last day observed (inclusive); default: the last date in the log. Later rows are left out.
    pub observation_end: Option<Day>,
    /// Negative amount policy.
    pub negative: NegativeAmounts,
    /// Count and leave out malformed rows instead of stopping.
    pub skip_bad_rows: bool,
    /// Summarise discrete opportunities of this calendar period (day, ISO week, month, year) instead of
    /// continuous time: x counts the periods after the first with a purchase, recency is the last such period
    /// and T (written `periods`) the number of periods after the first up to the calibration end. Needs a
    /// calibration end (and observation end, when given) on the last day of a period.
    pub opportunities: Option<TimeUnit>,
}

/// How far the reading has come, for progress displays.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Bytes of input processed.
    pub bytes: u64,
    /// Size of the input, when known.
    pub total: Option<u64>,
}

/// An account of every input row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Non-blank data rows (the header excluded).
    pub rows_read: u64,
    /// Rows in the summary (calibration and holdout) of summarised customers.
    pub rows_used: u64,
    /// Of the rows used, those merged into a purchase of the same customer on the same day.
    pub rows_merged: u64,
    /// Purchases (distinct customer-days) of summarised customers in the holdout period.
    pub holdout_purchases: u64,
    /// Rows of customers whose first purchase is after the calibration end.
    pub rows_of_later_customers: u64,
    /// Rows dated after the observation end.
    pub rows_after_observation_end: u64,
    /// Rows left out, by kind (with `--skip-bad-rows`, or negative amounts with `--negative skip`).
    pub rows_skipped: BTreeMap<&'static str, SkipTally>,
    /// Blank lines passed over.
    pub blank_lines: u64,
    /// Customers summarised.
    pub customers: u64,
    /// Customers left out because their first purchase is after the calibration end.
    pub later_customers: u64,
    /// Earliest and latest purchase day of the rows kept.
    pub first_day: Option<Day>,
    /// Latest purchase day of the rows kept.
    pub last_day: Option<Day>,
    /// False when some customer's rows were not in date order (the log was then summarised from a sorted copy).
    pub in_date_order: bool,
    /// Repeat purchase days (calibration and holdout) of the customers summarised, per calendar day, ascending:
    /// the actual series of the tracking chart. Period indices when summarising opportunities.
    pub repeat_purchases_by_day: Vec<(Day, u64)>,
}

impl IngestReport {
    /// Rows left out by `--skip-bad-rows` or `--negative skip`.
    pub fn rows_skipped_total(&self) -> u64 {
        self.rows_skipped.values().map(|t| t.count).sum()
    }
}

/// What a summary is made from: a purchase log read with its layout, or purchases already read (a summary state).
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// A purchase log.
    Log {
        /// Where it comes from.
        input: &'a Input,
        /// Its layout.
        layout: &'a LogLayout,
    },
    /// Purchases held in memory.
    Purchases(&'a Purchases),
}

/// Summarises a purchase log per customer. `progress` is called after each batch of blocks.
pub fn summarize(
    input: &Input,
    layout: &LogLayout,
    options: &SummarizeOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(SummaryTable, IngestReport), DataError> {
    summarize_source(Source::Log { input, layout }, options, progress)
}

/// Summarises purchases per customer exactly as the log they were read from would be summarised.
pub fn summarize_purchases(
    purchases: &Purchases,
    options: &SummarizeOptions,
) -> Result<(SummaryTable, IngestReport), DataError> {
    summarize_source(Source::Purchases(purchases), options, &|_| {})
}

/// Summarises a log or purchases per customer.
fn summarize_source(
    source: Source<'_>,
    options: &SummarizeOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(SummaryTable, IngestReport), DataError> {
    if let (Some(c), Some(o)) = (options.calibration_end, options.observation_end)
        && c > o
    {
        return Err(DataError::Options(format!("the calibration end {c} is after the observation end {o}")));
    }
    match options.opportunities {
        None => summarize_with_clock(source, options, None, progress),
        Some(unit) => summarize_opportunities(source, options, OpportunityClock { unit }, progress),
    }
}

/// A summary of discrete opportunities: the log is summarised with each period standing for a day (the same
/// merging, counting and splitting), then times are labelled in periods and the period ends restored as dates.
fn summarize_opportunities(
    source: Source<'_>,
    options: &SummarizeOptions,
    clock: OpportunityClock,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(SummaryTable, IngestReport), DataError> {
    let Some(calibration_end) = options.calibration_end else {
        return Err(DataError::Options(format!(
            "--opportunities {} needs --calibration-end: the last day of the last whole {} of calibration",
            clock.unit, clock.unit
        )));
    };
    let observation_end = options.observation_end.unwrap_or(calibration_end);
    let calibration_index = clock.check_period_end(calibration_end, "calibration end").map_err(DataError::Options)?;
    let observation_index = clock.check_period_end(observation_end, "observation end").map_err(DataError::Options)?;
    let indexed = SummarizeOptions {
        unit: TimeUnit::Day,
        calibration_end: Some(Day(calibration_index)),
        observation_end: Some(Day(observation_index)),
        opportunities: None,
        ..options.clone()
    };
    let (mut table, mut report) = summarize_with_clock(source, &indexed, Some(clock), progress)?;
    table.unit = clock.unit;
    table.discrete = true;
    table.calibration_end = Some(calibration_end);
    table.observation_end = Some(observation_end);
    report.first_day = report.first_day.map(|d| clock.start(d.0));
    report.last_day = report.last_day.map(|d| clock.end(d.0));
    Ok((table, report))
}

/// Reads the log (twice when a customer's rows are out of date order and the input is a file) and derives the
/// table; `clock` maps dates to period indices first.
fn summarize_with_clock(
    source: Source<'_>,
    options: &SummarizeOptions,
    clock: Option<OpportunityClock>,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(SummaryTable, IngestReport), DataError> {
    let (input, layout) = match source {
        Source::Log { input, layout } => (input, layout),
        Source::Purchases(purchases) => return absorb_purchases(purchases, options, clock)?.finish(options),
    };
    let read = |collect| read_log(input, layout, options, clock, collect, progress);
    let aggregate = match read(false)? {
        Pass::Done(aggregate) => aggregate,
        Pass::OutOfOrder { id, line } => match input {
            Input::File(_) | Input::Bytes { .. } => match read(true)? {
                Pass::Done(aggregate) => aggregate,
                Pass::OutOfOrder { .. } => unreachable!("a collecting pass never reports order"),
            },
            Input::Stdin => {
                return Err(DataError::Options(format!(
                    "{}, line {line}: customer '{id}' has a purchase dated before an earlier row of theirs; standard \
                     input must be in date order within each customer (sort it by date, or pass a file, which clv \
                     can read twice)",
                    input.name()
                )));
            }
        },
    };
    aggregate.finish(options)
}

/// Every row of a purchase log (merging nothing, in no period), to be kept in a summary state: the log's layout
/// and row rules (negative amounts, bad rows) apply; the calibration end, the observation end and opportunities of
/// `options` do not.
pub fn read_purchases(
    input: &Input,
    layout: &LogLayout,
    options: &SummarizeOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(Purchases, IngestReport), DataError> {
    let whole =
        SummarizeOptions { calibration_end: None, observation_end: None, opportunities: None, ..options.clone() };
    let Pass::Done(aggregate) = read_log(input, layout, &whole, None, true, progress)? else {
        unreachable!("a collecting pass never reports order")
    };
    let parts = aggregate
        .shards
        .into_iter()
        .map(|shard| (shard.index.into_ids(), shard.collected.expect("a collecting pass keeps the rows")))
        .collect();
    let purchases = Purchases::from_parts(layout.amount.is_some(), parts).map_err(DataError::Options)?;
    Ok((purchases, aggregate.report))
}

/// Purchases in memory absorbed as a log's rows would be: days mapped to periods by `clock`, rows after the
/// observation end counted and left out. The purchases are in customer and day order, so each shard takes a
/// contiguous run of whole customers in a single pass with no sorting, the shards in parallel.
fn absorb_purchases(
    purchases: &Purchases,
    options: &SummarizeOptions,
    clock: Option<OpportunityClock>,
) -> Result<Aggregate, DataError> {
    let rows = &purchases.rows;
    if rows.is_empty() {
        return Err(DataError::Empty { path: "the summary state".into(), what: "it holds no purchase rows" });
    }
    let mut aggregate = Aggregate::new(options.calibration_end, false, purchases.has_amounts);
    let shards = aggregate.shards.len();
    let mut cuts = vec![0];
    for k in 1..shards {
        let mut at = (rows.len() * k / shards).max(cuts[k - 1]);
        while at > 0 && at < rows.len() && rows[at].customer == rows[at - 1].customer {
            at += 1;
        }
        cuts.push(at);
    }
    cuts.push(rows.len());
    let Aggregate { shards, periods, report, hasher, .. } = &mut aggregate;
    let (periods, hasher) = (&*periods, &*hasher);
    let tallies: Vec<Result<IngestReport, DataError>> = shards
        .par_iter_mut()
        .enumerate()
        .map(|(k, shard)| {
            let mut tally = IngestReport::default();
            let mut ids = IdArena::default();
            let mut customer = None;
            for row in &rows[cuts[k]..cuts[k + 1]] {
                let day = clock.map_or(row.day, |clock| Day(clock.index(row.day)));
                tally.rows_read += 1;
                if options.observation_end.is_some_and(|end| day > end) {
                    tally.rows_after_observation_end += 1;
                    continue;
                }
                tally.first_day = Some(tally.first_day.map_or(day, |d| d.min(day)));
                tally.last_day = Some(tally.last_day.map_or(day, |d| d.max(day)));
                if customer != Some(row.customer) {
                    customer = Some(row.customer);
                    ids.push(purchases.ids.get(row.customer as usize)).map_err(DataError::Options)?;
                }
                shard.add(ids.len() as u32 - 1, day, row.amount, periods);
            }
            shard.index = CustomerIndex::from_ids(ids, hasher.clone()).map_err(DataError::Options)?;
            Ok(tally)
        })
        .collect();
    for tally in tallies {
        let tally = tally?;
        report.rows_read += tally.rows_read;
        report.rows_after_observation_end += tally.rows_after_observation_end;
        report.first_day = match (report.first_day, tally.first_day) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        report.last_day = report.last_day.max(tally.last_day);
    }
    Ok(aggregate)
}

enum Pass {
    Done(Aggregate),
    OutOfOrder { id: String, line: u64 },
}

/// Reads, parses and absorbs the whole log once.
fn read_log(
    input: &Input,
    layout: &LogLayout,
    options: &SummarizeOptions,
    clock: Option<OpportunityClock>,
    collect: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Pass, DataError> {
    let (reader, total) = input.open()?;
    let name = input.name();
    std::thread::scope(|scope| {
        let (sender, blocks) = mpsc::sync_channel::<io::Result<Vec<u8>>>(BLOCKS_PER_BATCH);
        let separator = layout.separator;
        scope.spawn(move || read_blocks(reader, separator, sender));
        let io_error = |source| DataError::Io { path: name.clone(), source };

        let mut first = match blocks.recv() {
            Ok(block) => block.map_err(io_error)?,
            Err(_) => Vec::new(),
        };
        let bom = if first.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        let (header, header_end, header_lines) = read_header(&first[bom..], layout, &name)?;
        first.drain(..bom + header_end);
        let mut aggregate = Aggregate::new(options.calibration_end, collect, layout.amount.is_some());
        let hasher = aggregate.hasher.clone();
        let spec = RowSpec {
            separator: layout.separator,
            customer: resolve(&layout.customer, header.as_deref(), "customer", &name)?,
            date: resolve(&layout.date, header.as_deref(), "date", &name)?,
            amount: layout.amount.as_ref().map(|a| resolve(a, header.as_deref(), "amount", &name)).transpose()?,
            date_format: &layout.date_format,
            observation_end: options.observation_end,
            clock,
            negative: options.negative,
            skip_bad_rows: options.skip_bad_rows,
            hasher: &hasher,
        };

        let mut next_line = 1 + header_lines;
        let mut bytes_done = (bom + header_end) as u64;
        let mut batch = vec![first];
        let mut pending: Vec<ParsedBlock> = Vec::new();
        loop {
            while batch.len() < BLOCKS_PER_BATCH {
                match blocks.recv() {
                    Ok(block) => batch.push(block.map_err(io_error)?),
                    Err(_) => break,
                }
            }
            if batch.iter().all(Vec::is_empty) && pending.is_empty() {
                break;
            }
            let (parsed, absorbed) = rayon::join(
                || batch.par_iter().map(|text| (parse_block(text, &spec), text.len())).collect::<Vec<_>>(),
                || aggregate.absorb_all(std::mem::take(&mut pending), &mut next_line, &name),
            );
            if let Some(out_of_order) = absorbed? {
                return Ok(out_of_order);
            }
            for (block, len) in parsed {
                bytes_done += len as u64;
                pending.push(block);
            }
            progress(Progress { bytes: bytes_done, total });
            batch.clear();
        }
        if aggregate.report.rows_read == 0 && aggregate.report.blank_lines == 0 && header.is_none() {
            return Err(DataError::Empty { path: name.clone(), what: "the file is empty" });
        }
        if aggregate.report.rows_read == 0 {
            return Err(DataError::Empty { path: name.clone(), what: "the file has no purchase rows" });
        }
        Ok(Pass::Done(aggregate))
    })
}

fn resolve(column: &ColumnRef, header: Option<&[String]>, role: &'static str, name: &str) -> Result<Column, DataError> {
    column.resolve(header, role).map_err(|message| DataError::Header { path: name.to_owned(), line: 1, message })
}

/// Splits the header off the first block: its names, the byte where data starts and the lines it took.
fn read_header(first: &[u8], layout: &LogLayout, name: &str) -> Result<(Option<Vec<String>>, usize, u64), DataError> {
    if !layout.has_header {
        return Ok((None, 0, 0));
    }
    let mut fields = Fields::default();
    let mut pos = 0;
    let mut lines = 0;
    while let Some(extent) = layout.separator.next_record(first, &mut pos, &mut fields) {
        lines += u64::from(extent.line_breaks);
        if !fields.is_blank(first) {
            let names =
                (0..fields.len()).map(|i| String::from_utf8_lossy(fields.get(first, i).unwrap_or(b"")).into_owned());
            return Ok((Some(names.collect()), pos, lines));
        }
    }
    Err(DataError::Empty { path: name.to_owned(), what: "the file is empty" })
}

/// The reading thread: blocks that end on a record boundary.
fn read_blocks(mut reader: Box<dyn Read + Send>, separator: Separator, sender: mpsc::SyncSender<io::Result<Vec<u8>>>) {
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let mut block = std::mem::take(&mut carry);
        let mut eof = false;
        while block.len() < BLOCK_BYTES && !eof {
            let start = block.len();
            block.resize(start + BLOCK_BYTES, 0);
            match reader.read(&mut block[start..]) {
                Ok(0) => {
                    block.truncate(start);
                    eof = true;
                }
                Ok(n) => block.truncate(start + n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => block.truncate(start),
                Err(e) => {
                    let _ = sender.send(Err(e));
                    return;
                }
            }
        }
        if eof {
            if !block.is_empty() {
                let _ = sender.send(Ok(block));
            }
            return;
        }
        match separator.complete_prefix(&block) {
            Some(cut) => {
                carry = block[cut..].to_vec();
                block.truncate(cut);
                if sender.send(Ok(block)).is_err() {
                    return;
                }
            }
            // One record longer than a block: keep reading until it ends.
            None => carry = block,
        }
    }
}

/// The customers whose id hash selects one shard, absorbed by one thread: every customer lives in exactly one
/// shard, so the shards never share state and the result does not depend on their number.
struct Shard {
    index: CustomerIndex,
    states: Vec<CustomerState>,
    /// Every kept row (customer, day, amount) when the log is not in date order within customers.
    collected: Option<Vec<(u32, Day, Money)>>,
    /// Repeat purchase days per calendar day, of the customers summarised.
    repeat_days: hashbrown::HashMap<Day, u64>,
}

/// Where a customer's rows went back in time: the line and the id.
type OutOfOrder = (u64, String);

impl Shard {
    /// Absorbs this shard's rows of `blocks` (whose first lines are `bases`); stops at the first row out of date
    /// order in streaming mode.
    fn absorb(
        &mut self,
        blocks: &[(u64, ParsedBlock)],
        shard: usize,
        shards: usize,
        periods: &Periods,
    ) -> Result<Option<OutOfOrder>, String> {
        for (base, block) in blocks {
            for row in block.rows.iter().filter(|row| shard_of(row.hash, shards) == shard) {
                let id = &block.ids[row.id_start as usize..row.id_end as usize];
                let (customer, _) = self.index.find_or_insert(id, row.hash)?;
                if let Some(collected) = &mut self.collected {
                    collected.push((customer, row.day, row.amount));
                } else if self.add(customer, row.day, row.amount, periods) == Added::OutOfOrder {
                    let line = base + u64::from(row.line_offset);
                    return Ok(Some((line, String::from_utf8_lossy(id).into_owned())));
                }
            }
        }
        Ok(None)
    }

    /// Adds a purchase of `customer` (a new customer when it is the next index), counting a new repeat purchase
    /// day of a summarised customer in the tracking series.
    fn add(&mut self, customer: u32, day: Day, amount: Money, periods: &Periods) -> Added {
        if customer as usize == self.states.len() {
            self.states.push(CustomerState::open(day, amount, periods.of(day)));
            return Added::NewDay;
        }
        let state = &mut self.states[customer as usize];
        let added = state.add(day, amount, periods.of(day));
        if added == Added::NewDay && periods.summarised(state.first) {
            *self.repeat_days.entry(day).or_default() += 1;
        }
        added
    }

    /// Folds collected rows (sorted by customer, then day, input order kept within a day) into states.
    fn fold_collected(&mut self, periods: &Periods) {
        let Some(mut collected) = self.collected.take() else { return };
        collected.par_sort_by_key(|&(customer, day, _)| (customer, day));
        self.states.clear();
        for &(customer, day, amount) in &collected {
            self.add(customer, day, amount, periods);
        }
    }
}

/// Which shard a customer id hash belongs to (bits that the hash table's buckets and tags do not use).
fn shard_of(hash: u64, shards: usize) -> usize {
    ((hash >> 32) as usize) % shards
}

/// The calibration end, which splits purchase days into calibration and holdout.
struct Periods {
    calibration_end: Option<Day>,
}

impl Periods {
    /// Whether a customer who first bought on `first` is summarised (first purchase by the calibration end).
    fn summarised(&self, first: Day) -> bool {
        self.calibration_end.is_none_or(|end| first <= end)
    }

    fn of(&self, day: Day) -> Period {
        match self.calibration_end {
            Some(end) if day > end => Period::Holdout,
            _ => Period::Calibration,
        }
    }
}

/// Per-customer states in shards, and the running report.
struct Aggregate {
    shards: Vec<Shard>,
    hasher: IdHasher,
    periods: Periods,
    has_amounts: bool,
    report: IngestReport,
}

impl Aggregate {
    fn new(calibration_end: Option<Day>, collect: bool, has_amounts: bool) -> Aggregate {
        let hasher = IdHasher::default();
        let shards = (0..rayon::current_num_threads().clamp(1, 64))
            .map(|_| Shard {
                index: CustomerIndex::with_hasher(hasher.clone()),
                states: Vec::new(),
                collected: collect.then(Vec::new),
                repeat_days: hashbrown::HashMap::new(),
            })
            .collect();
        Aggregate {
            shards,
            hasher,
            periods: Periods { calibration_end },
            has_amounts,
            report: IngestReport { in_date_order: !collect, ..IngestReport::default() },
        }
    }

    /// Absorbs parsed blocks in input order (the shards in parallel); `next_line` is the line number where the
    /// first block starts. Stops at the first malformed row, or reports the first row out of date order.
    fn absorb_all(
        &mut self,
        blocks: Vec<ParsedBlock>,
        next_line: &mut u64,
        name: &str,
    ) -> Result<Option<Pass>, DataError> {
        let mut located = Vec::with_capacity(blocks.len());
        for block in blocks {
            let base = *next_line;
            *next_line += block.line_breaks;
            self.count(&block, base);
            let fault = block.fault.clone();
            located.push((base, block));
            if let Some(fault) = fault {
                return Err(DataError::Row {
                    path: name.to_owned(),
                    line: base + fault.line_offset,
                    column: fault.column,
                    problem: fault.problem,
                });
            }
        }
        let shards = self.shards.len();
        let periods = &self.periods;
        let found: Vec<Result<Option<OutOfOrder>, String>> = self
            .shards
            .par_iter_mut()
            .enumerate()
            .map(|(k, shard)| shard.absorb(&located, k, shards, periods))
            .collect();
        let mut first: Option<OutOfOrder> = None;
        for result in found {
            if let Some(out_of_order) = result.map_err(DataError::Options)? {
                first = Some(match first {
                    Some(earlier) if earlier.0 <= out_of_order.0 => earlier,
                    _ => out_of_order,
                });
            }
        }
        Ok(first.map(|(line, id)| Pass::OutOfOrder { id, line }))
    }

    /// Adds a block's counts to the report.
    fn count(&mut self, block: &ParsedBlock, base: u64) {
        let report = &mut self.report;
        report.rows_read += block.rows_read;
        report.blank_lines += block.blank_lines;
        report.rows_after_observation_end += block.after_observation_end;
        for (kind, tally) in &block.skipped {
            let entry = report.rows_skipped.entry(kind).or_insert_with(|| SkipTally {
                first_line: base + tally.first_line,
                count: 0,
                first_message: tally.first_message.clone(),
            });
            entry.count += tally.count;
        }
        for row in &block.rows {
            report.first_day = Some(report.first_day.map_or(row.day, |d| d.min(row.day)));
            report.last_day = Some(report.last_day.map_or(row.day, |d| d.max(row.day)));
        }
    }

    /// Derives the summary table: customers in order of first purchase (ties by id), times in `unit`.
    fn finish(mut self, options: &SummarizeOptions) -> Result<(SummaryTable, IngestReport), DataError> {
        let periods = &self.periods;
        self.shards.par_iter_mut().for_each(|shard| shard.fold_collected(periods));
        let last_day = self.report.last_day.expect("a log with rows has a last day");
        let observation_end =
            options.observation_end.unwrap_or(last_day).max(options.calibration_end.unwrap_or(last_day));
        let calibration_end = options.calibration_end.unwrap_or(observation_end);
        let has_holdout = options.calibration_end.is_some() && observation_end > calibration_end;
        let unit = options.unit;
        let mut repeat_days = std::collections::BTreeMap::new();
        for shard in &self.shards {
            shard.repeat_days.iter().for_each(|(&day, &n)| *repeat_days.entry(day).or_insert(0) += n);
        }
        self.report.repeat_purchases_by_day = repeat_days.into_iter().collect();
        let (states, ids): (Vec<Vec<CustomerState>>, Vec<IdArena>) =
            self.shards.into_iter().map(|shard| (shard.states, shard.index.into_ids())).unzip();
        let state = |&(k, c): &(u32, u32)| &states[k as usize][c as usize];
        let id = |&(k, c): &(u32, u32)| ids[k as usize].get(c as usize);
        let all = states.iter().enumerate().flat_map(|(k, s)| (0..s.len() as u32).map(move |c| (k as u32, c)));
        let (order, later): (Vec<(u32, u32)>, Vec<(u32, u32)>) = all.partition(|r| state(r).first <= calibration_end);
        // The first day travels with each customer so that most comparisons touch no state.
        let mut keyed: Vec<(Day, (u32, u32))> = order.iter().map(|r| (state(r).first, *r)).collect();
        keyed.par_sort_by(|(day_a, a), (day_b, b)| day_a.cmp(day_b).then_with(|| compare_ids(id(a), id(b))));
        let order: Vec<(u32, u32)> = keyed.into_iter().map(|(_, r)| r).collect();

        let report = &mut self.report;
        report.customers = order.len() as u64;
        report.later_customers = later.len() as u64;
        report.rows_used = order.iter().map(|r| u64::from(state(r).rows)).sum();
        report.rows_of_later_customers = later.iter().map(|r| u64::from(state(r).rows)).sum();
        report.rows_merged =
            order.iter().map(|r| u64::from(state(r).rows - state(r).calibration_days - state(r).holdout_days)).sum();
        report.holdout_purchases = order.iter().map(|r| u64::from(state(r).holdout_days)).sum();
        drop(later);

        let column = |f: &dyn Fn(&CustomerState) -> f64| order.iter().map(|r| f(state(r))).collect::<Vec<f64>>();
        let has_amounts = self.has_amounts;
        let mut sorted_ids = IdArena::default();
        for r in &order {
            sorted_ids.push(id(r)).map_err(DataError::Options)?;
        }
        drop(ids);
        sorted_ids.shrink_to_fit();
        let table = SummaryTable {
            unit,
            discrete: false,
            calibration_end: Some(calibration_end),
            observation_end: Some(observation_end),
            ids: sorted_ids,
            frequency: order.iter().map(|r| state(r).calibration_days - 1).collect(),
            recency: column(&|s| unit.from_days(s.last_calibration.days_since(s.first))),
            age: column(&|s| unit.from_days(calibration_end.days_since(s.first))),
            monetary_value: has_amounts.then(|| column(&|s| s.repeat_amount.mean(s.calibration_days - 1))),
            holdout: has_holdout.then(|| Holdout {
                frequency: order.iter().map(|r| state(r).holdout_days).collect(),
                monetary_value: has_amounts.then(|| column(&|s| s.holdout_amount.mean(s.holdout_days))),
                duration: unit.from_days(observation_end.days_since(calibration_end)),
            }),
        };
        Ok((table, self.report))
    }
}
