//! Subscription logs: one row per subscription (customer, start date, end date, blank while active), turned into
//! tenures in whole contract periods counted from each start (Fader & Hardie 2007's periods, for subscribers who
//! did not all start together).
//!
//! Rules: the end is the first day without service, so a subscription from 2020-01-01 ending 2021-01-01 lasted
//! one yearly period (T = 1) and one ending 2021-06-01 renewed once (T = 2); an end on the start day is a
//! cancellation in the first period. Subscriptions starting after the observation end are left out (counted);
//! those ending after it were active when last seen. A customer's subscriptions must not overlap (an error names
//! both lines); one that follows another is a subscription of its own (counted as a return). An end before its
//! start is an error.

use super::tenures::Tenures;
use crate::data::error::{DataError, RowProblem};
use crate::data::summary_csv::{csv_error, open_table};
use crate::data::{ColumnRef, DateFormat, Day, TimeUnit};
use std::path::Path;

/// Which columns of the log hold what, and how dates are written.
#[derive(Clone, Debug)]
pub struct SubscriptionLayout {
    /// The customer id column.
    pub customer: ColumnRef,
    /// The start date column.
    pub start: ColumnRef,
    /// The end date column (blank while active).
    pub end: ColumnRef,
    /// How dates are written.
    pub date_format: DateFormat,
}

/// One subscription as observed.
#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    /// The customer id.
    pub customer: String,
    /// Its line in the log.
    pub line: u64,
    /// The first day of service.
    pub start: Day,
    /// The first day without service, when it ended by the observation end.
    pub end: Option<Day>,
    /// Renewals made by the end (or by the observation end while active).
    pub renewals: u32,
}

impl Subscription {
    /// Whether the subscription was running at the observation end.
    pub fn is_active(&self) -> bool {
        self.end.is_none()
    }
}

/// Where every row of a subscription log went.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubscriptionReport {
    /// Data rows read.
    pub rows: u64,
    /// Subscriptions kept.
    pub subscriptions: u64,
    /// Of those, running at the observation end.
    pub active: u64,
    /// Rows left out: started after the observation end.
    pub started_after_end: u64,
    /// Subscriptions ending after the observation end (taken as active then).
    pub ended_after_end: u64,
    /// Subscriptions that follow an earlier one of the same customer.
    pub returns: u64,
    /// The observation end used (given, or the latest date in the log).
    pub observation_end: Option<Day>,
}

/// The day `k` contract periods of `unit` after `start` (calendar months and years; 7 days; 1 day).
pub fn add_periods(start: Day, unit: TimeUnit, k: u32) -> Day {
    let k = k as i32;
    match unit {
        TimeUnit::Day => Day(start.0 + k),
        TimeUnit::Week => Day(start.0 + 7 * k),
        TimeUnit::Month => start.add_months(k),
        TimeUnit::Year => start.add_months(12 * k),
    }
}

/// The number of renewals k ≥ 1 of a subscription started on `start` that fall on or before `last`: renewal
/// days start + k periods grow with k, so the count is found from an estimate by days, corrected both ways.
fn renewals_by(start: Day, unit: TimeUnit, last: Day) -> u32 {
    let mut k = (f64::from(last.days_since(start)) / unit.days()).floor().max(0.0) as u32;
    while k > 0 && add_periods(start, unit, k) > last {
        k -= 1;
    }
    while add_periods(start, unit, k + 1) <= last {
        k += 1;
    }
    k
}

/// Reads a subscription log (CSV with a header) with periods of `unit`, observed until `observation_end`
/// (default: the latest date in the log). Returns the subscriptions in file order, their tenures and the report.
pub fn read_subscriptions(
    path: &Path,
    layout: &SubscriptionLayout,
    unit: TimeUnit,
    observation_end: Option<Day>,
) -> Result<(Vec<Subscription>, Tenures, SubscriptionReport), DataError> {
    let name = path.display().to_string();
    let io = |e| csv_error(&name, e);
    let (mut reader, header) = open_table(path)?;
    let resolve = |column: &ColumnRef, role| {
        column.resolve(Some(&header), role).map_err(|message| DataError::Header {
            path: name.clone(),
            line: 1,
            message,
        })
    };
    let (customer, start, end) =
        (resolve(&layout.customer, "customer")?, resolve(&layout.start, "start")?, resolve(&layout.end, "end")?);

    let mut raw = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(io)? {
        let line = record.position().map_or(0, |p| p.line());
        let bad = |column: &crate::data::columns::Column, message: String| DataError::Row {
            path: name.clone(),
            line,
            column: column.to_string(),
            problem: RowProblem::Invalid { message },
        };
        let date = |column: &crate::data::columns::Column| -> Result<Option<Day>, DataError> {
            match record.get(column.index).unwrap_or("") {
                "" => Ok(None),
                text => layout
                    .date_format
                    .parse(text.as_bytes())
                    .map(Some)
                    .ok_or_else(|| bad(column, format!("'{text}' is not {}", layout.date_format.describe()))),
            }
        };
        let id = record.get(customer.index).unwrap_or("");
        if id.is_empty() {
            return Err(bad(&customer, "the customer id is blank".into()));
        }
        let Some(first) = date(&start)? else {
            return Err(bad(&start, "the start date is missing".into()));
        };
        let last = date(&end)?;
        if let Some(last) = last.filter(|&d| d < first) {
            return Err(bad(&end, format!("the subscription ends on {last}, before it starts on {first}")));
        }
        raw.push(Subscription { customer: id.to_owned(), line, start: first, end: last, renewals: 0 });
    }
    if raw.is_empty() {
        return Err(DataError::Empty { path: name, what: "the log has no subscriptions" });
    }
    check_overlaps(&raw, &name)?;

    let latest = raw.iter().map(|s| s.end.unwrap_or(s.start).max(s.start)).max().expect("a subscription");
    let observation_end = observation_end.unwrap_or(latest);
    let mut report =
        SubscriptionReport { rows: raw.len() as u64, observation_end: Some(observation_end), ..Default::default() };
    let mut tenures = Tenures::default();
    let mut kept = Vec::with_capacity(raw.len());
    let mut seen = std::collections::HashSet::new();
    for mut s in raw {
        if s.start > observation_end {
            report.started_after_end += 1;
            continue;
        }
        if s.end.is_some_and(|e| e > observation_end) {
            report.ended_after_end += 1;
            s.end = None;
        }
        match s.end {
            Some(end) => {
                s.renewals = renewals_by(s.start, unit, Day(end.0 - 1));
                tenures.add_cancelled(s.renewals + 1, 1.0);
            }
            None => {
                s.renewals = renewals_by(s.start, unit, observation_end);
                tenures.add_active(s.renewals, 1.0);
                report.active += 1;
            }
        }
        if !seen.insert(s.customer.clone()) {
            report.returns += 1;
        }
        report.subscriptions += 1;
        kept.push(s);
    }
    Ok((kept, tenures, report))
}

/// Refuses two subscriptions of one customer that overlap: a start before an earlier subscription's end, or
/// after a start that never ended.
fn check_overlaps(subscriptions: &[Subscription], name: &str) -> Result<(), DataError> {
    let mut order: Vec<usize> = (0..subscriptions.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&subscriptions[a], &subscriptions[b]);
        a.customer.cmp(&b.customer).then(a.start.cmp(&b.start)).then(a.line.cmp(&b.line))
    });
    for pair in order.windows(2) {
        let (earlier, later) = (&subscriptions[pair[0]], &subscriptions[pair[1]]);
        if earlier.customer != later.customer || earlier.end.is_some_and(|end| end <= later.start) {
            continue;
        }
        let until = earlier.end.map_or("still active".to_string(), |end| format!("until {end}"));
        return Err(DataError::Row {
            path: name.to_owned(),
            line: later.line,
            column: "start".into(),
            problem: RowProblem::Invalid {
                message: format!(
                    "customer '{}' has a subscription from {} while the one of line {} (from {}, {until}) runs: \
                     subscriptions of one customer must not overlap",
                    later.customer, later.start, earlier.line, earlier.start
                ),
            },
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Day {
        Day::from_ymd(y, m, d).unwrap()
    }

    #[test]
    fn renewals_count_whole_periods_before_the_end() {
        let start = day(2020, 1, 31);
        let before = |end: Day| renewals_by(start, TimeUnit::Year, Day(end.0 - 1));
        assert_eq!(before(start), 0);
        assert_eq!(before(day(2021, 1, 31)), 0, "ending on the anniversary: one period, no renewal");
        assert_eq!(before(day(2021, 2, 1)), 1);
        assert_eq!(before(day(2030, 2, 1)), 10);
        assert_eq!(renewals_by(start, TimeUnit::Month, day(2020, 3, 30)), 1, "Feb 29 (the 31st clamped)");
        assert_eq!(renewals_by(start, TimeUnit::Month, day(2020, 3, 31)), 2, "then Mar 31");
        assert_eq!(renewals_by(start, TimeUnit::Week, day(2020, 2, 14)), 2);
        assert_eq!(renewals_by(start, TimeUnit::Day, day(2023, 1, 30)), 1095);
        assert_eq!(add_periods(day(2024, 2, 29), TimeUnit::Year, 1), day(2025, 2, 28));
    }
}
