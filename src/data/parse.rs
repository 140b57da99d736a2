//! Turning a block of purchase-log text into parsed rows (customer id, day, amount), in parallel with other
//! blocks. Line numbers are counted within the block; the aggregator adds the block's first line.

use super::columns::Column;
use super::customers::{CustomerIndex, IdHasher};
use super::dates::{DateFormat, Day};
use super::error::RowProblem;
use super::money::Money;
use super::opportunities::OpportunityClock;
use super::records::{Fields, Separator};
use std::collections::BTreeMap;

/// What to do with rows whose amount is negative (returns, cancellations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NegativeAmounts {
    /// Stop with an error naming the row (the default: a summary of spend must not silently net returns).
    Refuse,
    /// Leave such rows out and count them in the report.
    Skip,
}

/// Everything a parsing thread needs to know about the columns and the rules.
pub struct RowSpec<'a> {
    /// How fields are separated.
    pub separator: Separator,
    /// The customer id column.
    pub customer: Column,
    /// The date column.
    pub date: Column,
    /// The amount column, when the log has amounts.
    pub amount: Option<Column>,
    /// How dates are written.
    pub date_format: &'a DateFormat,
    /// Rows after this day are left out (counted).
    pub observation_end: Option<Day>,
    /// When set, each date becomes the index of its period (opportunity), compared with `observation_end` as
    /// such.
    pub clock: Option<OpportunityClock>,
    /// Negative amount policy.
    pub negative: NegativeAmounts,
    /// Bad rows are counted and left out instead of stopping the run.
    pub skip_bad_rows: bool,
    /// The hasher of the customer index, so that lookups need no rehash.
    pub hasher: &'a IdHasher,
}

/// A parsed row: the id is a range of the block's id buffer.
#[derive(Clone, Copy, Debug)]
pub struct ParsedRow {
    /// Hash of the id under the index's hasher.
    pub hash: u64,
    /// Start of the id in [`ParsedBlock::ids`].
    pub id_start: u32,
    /// End of the id in [`ParsedBlock::ids`].
    pub id_end: u32,
    /// Line breaks in the block before this row (its line is the block's first line plus this).
    pub line_offset: u32,
    /// Purchase day.
    pub day: Day,
    /// Amount (0 for count-only logs).
    pub amount: Money,
}

/// A row left out, for the report: how many of this kind and the first one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkipTally {
    /// Rows of this kind.
    pub count: u64,
    /// Line of the first such row (block-relative until absorbed, then absolute).
    pub first_line: u64,
    /// The first such row's problem, as a message with its column.
    pub first_message: String,
}

/// A problem that stops the run, located in the block.
#[derive(Clone, Debug)]
pub struct RowFault {
    /// Line breaks in the block before the row.
    pub line_offset: u64,
    /// The column, as displayed in messages.
    pub column: String,
    /// What is wrong.
    pub problem: RowProblem,
}

/// The parsed content of one block.
#[derive(Default)]
pub struct ParsedBlock {
    /// Rows kept, in input order.
    pub rows: Vec<ParsedRow>,
    /// The kept rows' ids, back to back.
    pub ids: Vec<u8>,
    /// Line breaks in the whole block.
    pub line_breaks: u64,
    /// Non-blank records read.
    pub rows_read: u64,
    /// Blank lines passed over.
    pub blank_lines: u64,
    /// Rows dated after the observation end.
    pub after_observation_end: u64,
    /// Rows left out, by kind.
    pub skipped: BTreeMap<&'static str, SkipTally>,
    /// The problem that stopped parsing, when bad rows are not skipped.
    pub fault: Option<RowFault>,
}

/// Parses `text`, a whole number of records, under `spec`.
pub fn parse_block(text: &[u8], spec: &RowSpec<'_>) -> ParsedBlock {
    let mut block = ParsedBlock { rows: Vec::with_capacity(text.len() / 24), ..ParsedBlock::default() };
    let mut fields = Fields::default();
    let mut pos = 0;
    let mut line_offset = 0u64;
    while let Some(extent) = spec.separator.next_record(text, &mut pos, &mut fields) {
        let row_line = line_offset;
        line_offset += u64::from(extent.line_breaks);
        if fields.is_blank(text) {
            block.blank_lines += 1;
            continue;
        }
        block.rows_read += 1;
        match parse_row(text, &fields, spec) {
            Ok(Some((id, day, amount))) => {
                let id_start = block.ids.len() as u32;
                block.ids.extend_from_slice(id);
                block.rows.push(ParsedRow {
                    hash: CustomerIndex::hash_id(spec.hasher, id),
                    id_start,
                    id_end: block.ids.len() as u32,
                    line_offset: row_line as u32,
                    day,
                    amount,
                });
            }
            Ok(None) => block.after_observation_end += 1,
            Err((column, problem)) => {
                let skip = spec.skip_bad_rows && !matches!(problem, RowProblem::NegativeAmount { .. })
                    || spec.negative == NegativeAmounts::Skip && matches!(problem, RowProblem::NegativeAmount { .. });
                if !skip {
                    block.fault = Some(RowFault { line_offset: row_line, column: column.to_string(), problem });
                    break;
                }
                block.skipped.entry(problem.kind()).and_modify(|t| t.count += 1).or_insert_with(|| SkipTally {
                    count: 1,
                    first_line: row_line,
                    first_message: format!("{column}: {}", problem.describe()),
                });
            }
        }
    }
    block.line_breaks = line_offset;
    block
}

type Parsed<'t> = Option<(&'t [u8], Day, Money)>;

/// One row: `Ok(None)` when it is dated after the observation end.
fn parse_row<'t>(text: &'t [u8], fields: &'t Fields, spec: &RowSpec<'_>) -> Result<Parsed<'t>, (Column, RowProblem)> {
    let field = |column: &Column| {
        fields
            .get(text, column.index)
            .ok_or_else(|| (column.clone(), RowProblem::MissingField { fields: fields.len() }))
    };
    let id = field(&spec.customer)?;
    if id.is_empty() {
        return Err((spec.customer.clone(), RowProblem::BlankId));
    }
    let date_text = field(&spec.date)?;
    let day = spec.date_format.parse(date_text).ok_or_else(|| {
        let problem = RowProblem::BadDate { text: lossy(date_text), expected: spec.date_format.describe() };
        (spec.date.clone(), problem)
    })?;
    let amount = match &spec.amount {
        None => Money::default(),
        Some(column) => {
            let amount_text = field(column)?;
            let amount = Money::parse(amount_text)
                .ok_or_else(|| (column.clone(), RowProblem::BadAmount { text: lossy(amount_text) }))?;
            if amount.is_negative() {
                return Err((column.clone(), RowProblem::NegativeAmount { text: lossy(amount_text) }));
            }
            amount
        }
    };
    let day = spec.clock.map_or(day, |clock| Day(clock.index(day)));
    if spec.observation_end.is_some_and(|end| day > end) {
        return Ok(None);
    }
    Ok(Some((id, day, amount)))
}

fn lossy(bytes: &[u8]) -> String {
    const SHOWN: usize = 60;
    let text = String::from_utf8_lossy(bytes);
    if text.chars().count() > SHOWN {
        format!("{}...", text.chars().take(SHOWN).collect::<String>())
    } else {
        text.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::columns::ColumnRef;

    fn spec<'a>(format: &'a DateFormat, hasher: &'a IdHasher, negative: NegativeAmounts, skip: bool) -> RowSpec<'a> {
        let header: Vec<String> = ["id", "date", "amount"].iter().map(|s| s.to_string()).collect();
        let col = |r: &str, role| ColumnRef::Name(r.into()).resolve(Some(&header), role).unwrap();
        RowSpec {
            separator: Separator::Byte(b','),
            customer: col("id", "customer"),
            date: col("date", "date"),
            amount: Some(col("amount", "amount")),
            date_format: format,
            observation_end: Day::from_ymd(2020, 12, 31),
            clock: None,
            negative,
            skip_bad_rows: skip,
            hasher,
        }
    }

    #[test]
    fn rows_are_parsed_and_counted() {
        let (format, hasher) = (DateFormat::Auto, IdHasher::default());
        let text = b"a,2020-01-02,10.5\n\nb,2021-01-01,3\nc,2020-02-02 10:00:00,0\n";
        let block = parse_block(text, &spec(&format, &hasher, NegativeAmounts::Refuse, false));
        assert!(block.fault.is_none());
        assert_eq!((block.rows_read, block.blank_lines, block.after_observation_end, block.line_breaks), (3, 1, 1, 4));
        assert_eq!(block.rows.len(), 2);
        let second = block.rows[1];
        assert_eq!(&block.ids[second.id_start as usize..second.id_end as usize], b"c");
        assert_eq!((second.line_offset, second.day, second.amount), (3, Day::from_ymd(2020, 2, 2).unwrap(), Money(0)));
    }

    #[test]
    fn the_first_bad_row_stops_parsing_with_its_line_and_column() {
        let (format, hasher) = (DateFormat::Auto, IdHasher::default());
        let text = b"a,2020-01-02,10.5\na,2020-13-02,1\nb,2020-01-02,x\n";
        let block = parse_block(text, &spec(&format, &hasher, NegativeAmounts::Refuse, false));
        let fault = block.fault.unwrap();
        assert_eq!(fault.line_offset, 1);
        assert_eq!(fault.column, "column 2 'date' (date)");
        assert!(matches!(fault.problem, RowProblem::BadDate { ref text, .. } if text == "2020-13-02"));
    }

    #[test]
    fn bad_rows_are_counted_by_kind_when_skipped() {
        let (format, hasher) = (DateFormat::Auto, IdHasher::default());
        let text = b"a,2020-01-02,x\n,2020-01-02,1\nb,2020-01-02\nb,2020-01-02,-4\nb,2020-01-03,NaN\nb,2020-01-04,2\n";
        let block = parse_block(text, &spec(&format, &hasher, NegativeAmounts::Skip, true));
        assert!(block.fault.is_none());
        assert_eq!(block.rows.len(), 1);
        let count = |kind| block.skipped.get(kind).map(|t| t.count);
        assert_eq!(count("non-numeric amount"), Some(2));
        assert_eq!(count("blank customer id"), Some(1));
        assert_eq!(count("missing field"), Some(1));
        assert_eq!(count("negative amount"), Some(1));
        assert_eq!(block.skipped["missing field"].first_line, 2);
    }

    #[test]
    fn negative_amounts_are_refused_unless_skipped_explicitly() {
        let (format, hasher) = (DateFormat::Auto, IdHasher::default());
        let text = b"a,2020-01-02,-1.5\n";
        let block = parse_block(text, &spec(&format, &hasher, NegativeAmounts::Refuse, true));
        assert!(matches!(block.fault.unwrap().problem, RowProblem::NegativeAmount { .. }));
    }
}
