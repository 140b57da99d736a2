//! The per-customer summary table (frequency, recency, age, spend) that every model is fitted on, and its CSV
//! form.

use super::customers::IdArena;
use super::dates::Day;
use super::units::TimeUnit;
use std::fmt::Write as _;
use std::io::{self, Write};

/// The names of the summary columns, in order, as written in CSV.
pub const CALIBRATION_COLUMNS: [&str; 5] = ["customer_id", "frequency", "recency", "T", "monetary_value"];
/// The name of the age column of a summary of discrete opportunities (n), as in Fader, Hardie & Shang's data.
pub const DISCRETE_AGE_COLUMN: &str = "periods";
/// The holdout columns, written after the calibration ones when a holdout period exists.
pub const HOLDOUT_COLUMNS: [&str; 3] = ["frequency_holdout", "monetary_value_holdout", "duration_holdout"];

/// One customer's summary (Fader, Hardie & Lee 2005 conventions), times in the table's [`TimeUnit`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CustomerSummary<'a> {
    /// The customer id as written in the input.
    pub id: &'a [u8],
    /// x: repeat purchase days in calibration (the first purchase is not a repeat).
    pub frequency: u32,
    /// t_x: time from the first to the last calibration purchase.
    pub recency: f64,
    /// T: time from the first purchase to the calibration end.
    pub age: f64,
    /// Mean spend of the repeat purchase days (0 when x = 0), in the input's currency; `None` for count-only
    /// logs.
    pub monetary_value: Option<f64>,
}

/// What happened after the calibration period, per customer.
#[derive(Clone, Debug, PartialEq)]
pub struct Holdout {
    /// Purchase days in the holdout period.
    pub frequency: Vec<u32>,
    /// Mean spend of the holdout purchase days (0 when none); `None` for count-only logs.
    pub monetary_value: Option<Vec<f64>>,
    /// Length of the holdout period in the table's unit (the same for every customer).
    pub duration: f64,
}

/// Summaries of all customers, column by column, in output order (first purchase, then id).
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryTable {
    /// The unit of recency, T and the holdout duration.
    pub unit: TimeUnit,
    /// Whether times count discrete opportunities (whole periods of `unit`, Fader, Hardie & Shang 2010): then
    /// recency is the last period with a transaction and age the number of opportunities n, written `periods`.
    pub discrete: bool,
    /// Last day of the calibration period, when known (a table read from a foreign CSV may not say).
    pub calibration_end: Option<Day>,
    /// Last day of the observation (holdout) period, when known.
    pub observation_end: Option<Day>,
    /// Customer ids.
    pub ids: IdArena,
    /// x per customer.
    pub frequency: Vec<u32>,
    /// t_x per customer.
    pub recency: Vec<f64>,
    /// T per customer.
    pub age: Vec<f64>,
    /// Mean repeat spend per customer, when the log has amounts.
    pub monetary_value: Option<Vec<f64>>,
    /// Holdout figures, when a holdout period exists.
    pub holdout: Option<Holdout>,
}

impl SummaryTable {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.frequency.len()
    }

    /// True when the table has no customer.
    pub fn is_empty(&self) -> bool {
        self.frequency.is_empty()
    }

    /// The customers in `range`, as a table of their own (same unit and periods).
    pub fn subset(&self, range: std::ops::Range<usize>) -> SummaryTable {
        let mut ids = IdArena::default();
        for i in range.clone() {
            ids.push(self.ids.get(i)).expect("ids of a table fit in a table");
        }
        SummaryTable {
            unit: self.unit,
            discrete: self.discrete,
            calibration_end: self.calibration_end,
            observation_end: self.observation_end,
            ids,
            frequency: self.frequency[range.clone()].to_vec(),
            recency: self.recency[range.clone()].to_vec(),
            age: self.age[range.clone()].to_vec(),
            monetary_value: self.monetary_value.as_ref().map(|m| m[range.clone()].to_vec()),
            holdout: self.holdout.as_ref().map(|h| Holdout {
                frequency: h.frequency[range.clone()].to_vec(),
                monetary_value: h.monetary_value.as_ref().map(|m| m[range.clone()].to_vec()),
                duration: h.duration,
            }),
        }
    }

    /// Customer `i`'s calibration summary.
    pub fn customer(&self, i: usize) -> CustomerSummary<'_> {
        CustomerSummary {
            id: self.ids.get(i),
            frequency: self.frequency[i],
            recency: self.recency[i],
            age: self.age[i],
            monetary_value: self.monetary_value.as_ref().map(|m| m[i]),
        }
    }

    /// The header of the CSV form: the calibration columns (without `monetary_value` for count-only logs),
    /// then the holdout columns when there is a holdout.
    pub fn csv_header(&self) -> Vec<&'static str> {
        let spend = self.monetary_value.is_some();
        let mut header: Vec<&str> = CALIBRATION_COLUMNS
            .iter()
            .map(|&c| if c == "T" && self.discrete { DISCRETE_AGE_COLUMN } else { c })
            .filter(|c| spend || *c != "monetary_value")
            .collect();
        if self.holdout.is_some() {
            header.extend(HOLDOUT_COLUMNS.iter().copied().filter(|c| spend || *c != "monetary_value_holdout"));
        }
        header
    }

    /// Writes the table as CSV with a header, one row per customer. Numbers are written in the shortest form
    /// that reads back to the same f64.
    pub fn write_csv<W: Write>(&self, out: W) -> io::Result<()> {
        let mut writer = csv::WriterBuilder::new().buffer_capacity(1 << 16).from_writer(out);
        writer.write_record(self.csv_header())?;
        let mut text = String::new();
        let mut field = |writer: &mut csv::Writer<W>, value: &dyn std::fmt::Display| -> io::Result<()> {
            text.clear();
            write!(text, "{value}").expect("writing to a String cannot fail");
            writer.write_field(&text).map_err(io::Error::from)
        };
        for i in 0..self.len() {
            writer.write_field(self.ids.get(i))?;
            field(&mut writer, &self.frequency[i])?;
            field(&mut writer, &self.recency[i])?;
            field(&mut writer, &self.age[i])?;
            if let Some(m) = &self.monetary_value {
                field(&mut writer, &m[i])?;
            }
            if let Some(h) = &self.holdout {
                field(&mut writer, &h.frequency[i])?;
                if let Some(m) = &h.monetary_value {
                    field(&mut writer, &m[i])?;
                }
                field(&mut writer, &h.duration)?;
            }
            writer.write_record(None::<&[u8]>)?;
        }
        writer.flush()
    }
}
