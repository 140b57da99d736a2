//! Reading a summary table from CSV: clv's own output, or any table with the summary columns (one made by a
//! SQL query, say). Every value is checked; an error names the file, the line and the column.
//!
//! Beside its CSV, `clv summarize -o FILE` writes `FILE.meta.json` with the time unit and the period ends, so
//! that later commands know the unit without being told.

use super::customers::IdArena;
use super::dates::{DateFormat, Day};
use super::error::DataError;
use super::summary::{Holdout, SummaryTable};
use super::units::TimeUnit;
use std::path::{Path, PathBuf};

/// What `clv summarize` records beside a summary CSV.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SummaryMeta {
    /// Unit of recency, T and the holdout duration.
    pub time_unit: String,
    /// Last day of calibration (ISO date).
    pub calibration_end: Option<String>,
    /// Last day observed (ISO date).
    pub observation_end: Option<String>,
    /// Customers in the table.
    pub customers: usize,
}

/// Where the metadata of a summary CSV lives: `FILE.meta.json`.
pub fn meta_path(csv: &Path) -> PathBuf {
    let mut name = csv.as_os_str().to_owned();
    name.push(".meta.json");
    PathBuf::from(name)
}

/// Reads the metadata beside a summary CSV, when there is any.
pub fn read_meta(csv: &Path) -> Result<Option<SummaryMeta>, DataError> {
    let path = meta_path(csv);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| DataError::Header {
            path: path.display().to_string(),
            line: e.line() as u64,
            message: format!("not a summary metadata file: {e}"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(DataError::Io { path: path.display().to_string(), source }),
    }
}

/// A CSV error as a [`DataError`] naming the file.
pub fn csv_error(name: &str, error: csv::Error) -> DataError {
    match error.into_kind() {
        csv::ErrorKind::Io(source) => DataError::Io { path: name.to_owned(), source },
        other => DataError::Options(format!("{name}: {other:?}")),
    }
}

/// Opens a CSV table with a header (fields trimmed, rows of any length) and reads the header; an empty file is
/// an error.
pub fn open_table(path: &Path) -> Result<(csv::Reader<std::fs::File>, Vec<String>), DataError> {
    let name = path.display().to_string();
    let io = |e| csv_error(&name, e);
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_path(path).map_err(io)?;
    let header: Vec<String> = reader.headers().map_err(io)?.iter().map(str::to_owned).collect();
    if header.iter().all(String::is_empty) {
        return Err(DataError::Empty { path: name, what: "the file is empty" });
    }
    Ok((reader, header))
}

/// Accepted header names of each column (case-insensitive).
const ID: &[&str] = &["customer_id", "id", "customer", "cust_id"];
const FREQUENCY: &[&str] = &["frequency", "x"];
const RECENCY: &[&str] = &["recency", "t_x"];
const AGE: &[&str] = &["T", "age"];
/// The age column of a summary of discrete opportunities (n, as in Fader, Hardie & Shang's tables).
const OPPORTUNITIES: &[&str] = &["periods", "n", "opportunities"];
/// Customers sharing a row's pattern (a table of patterns with counts, like the donations data).
const WEIGHTS: &[&str] = &["weights", "weight", "customers", "count"];
/// Most customers a table of patterns may expand to.
const MAX_CUSTOMERS: u64 = 100_000_000;
const MONETARY: &[&str] = &["monetary_value", "zbar", "m"];
const FREQUENCY_HOLDOUT: &[&str] = &["frequency_holdout", "x_holdout"];
const MONETARY_HOLDOUT: &[&str] = &["monetary_value_holdout"];
const DURATION_HOLDOUT: &[&str] = &["duration_holdout"];

/// Reads a summary CSV in `unit`. Columns are found by name: `customer_id` (or `id`), `frequency` (or `x`),
/// `recency` (or `t_x`), `T`, and optionally `monetary_value` (or `zbar`) and the holdout columns.
///
/// A table with `periods` (or `n`) instead of `T` counts discrete opportunities: every time is then a whole
/// number, x ≤ t_x ≤ n. A `weights` (or `customers`) column makes each row a pattern shared by that many
/// customers; the row stands for them all (ids `ID-1`, `ID-2`, ..., or `rowLINE-k` without an id column).
pub fn read_summary_csv(path: &Path, unit: TimeUnit) -> Result<SummaryTable, DataError> {
    let name = path.display().to_string();
    let io = |e| csv_error(&name, e);
    let (mut reader, header) = open_table(path)?;
    let find = |names: &[&str]| header.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)));
    let require = |names: &[&str]| {
        find(names).ok_or_else(|| DataError::Header {
            path: name.clone(),
            line: 1,
            message: format!(
                "no column named {} (a summary needs customer_id, frequency, recency and T); the header has: {}",
                names.join(" or "),
                header.join(", ")
            ),
        })
    };
    let weights = find(WEIGHTS);
    let id = if weights.is_some() { find(ID) } else { Some(require(ID)?) };
    let (x, t_x) = (require(FREQUENCY)?, require(RECENCY)?);
    let (age, discrete) = match (find(AGE), find(OPPORTUNITIES)) {
        (Some(column), _) => (column, false),
        (None, Some(column)) => (column, true),
        (None, None) => (require(AGE)?, false),
    };
    let monetary = find(MONETARY);
    let holdout_x = find(FREQUENCY_HOLDOUT);
    let (holdout_m, holdout_d) = (find(MONETARY_HOLDOUT), find(DURATION_HOLDOUT));

    let mut table = SummaryTable {
        unit,
        discrete,
        calibration_end: None,
        observation_end: None,
        ids: IdArena::default(),
        frequency: Vec::new(),
        recency: Vec::new(),
        age: Vec::new(),
        monetary_value: monetary.map(|_| Vec::new()),
        holdout: holdout_x.map(|_| Holdout {
            frequency: Vec::new(),
            monetary_value: holdout_m.map(|_| Vec::new()),
            duration: f64::NAN,
        }),
    };
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(io)? {
        let line = record.position().map_or(0, |p| p.line());
        let bad = |column: usize, problem: String| DataError::Row {
            path: name.clone(),
            line,
            column: format!("column {} '{}'", column + 1, header[column]),
            problem: super::error::RowProblem::Invalid { message: problem },
        };
        let number = |column: usize, what: &str| -> Result<f64, DataError> {
            let text = record.get(column).unwrap_or("");
            if text.is_empty() {
                return Err(bad(column, format!("missing value; expected {what}")));
            }
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                _ => Err(bad(column, format!("'{text}' is not {what}"))),
            }
        };
        let count = |column: usize| -> Result<u32, DataError> {
            let v = number(column, "a whole number of purchases (0 or more)")?;
            if v.fract() != 0.0 || v > f64::from(u32::MAX) {
                return Err(bad(column, format!("'{v}' is not a whole number of purchases")));
            }
            Ok(v as u32)
        };
        let customer = match id {
            Some(column) => match record.get(column).unwrap_or("") {
                "" => return Err(bad(column, "the customer id is blank".into())),
                text => text.to_owned(),
            },
            None => format!("row{line}"),
        };
        let (xv, recency, tv) = (count(x)?, number(t_x, "a time (0 or more)")?, number(age, "a time (0 or more)")?);
        if recency > tv * (1.0 + 1e-9) + 1e-12 {
            return Err(bad(t_x, format!("recency {recency} is greater than {} {tv}", header[age])));
        }
        if xv == 0 && recency != 0.0 {
            return Err(bad(
                t_x,
                format!("recency {recency} with frequency 0: a customer without repeat purchases has recency 0"),
            ));
        }
        if discrete {
            for (column, value) in [(t_x, recency), (age, tv)] {
                if value.fract() != 0.0 {
                    return Err(bad(column, format!("'{value}' is not a whole number of opportunities")));
                }
            }
            if f64::from(xv) > recency {
                return Err(bad(x, format!("{xv} transactions by opportunity {recency}: at most one per opportunity")));
            }
        }
        let copies = match weights {
            Some(column) => count(column)?,
            None => 1,
        };
        if table.len() as u64 + u64::from(copies) > MAX_CUSTOMERS {
            return Err(bad(weights.unwrap_or(x), format!("the table holds more than {MAX_CUSTOMERS} customers")));
        }
        let monetary_value = monetary.map(|column| number(column, "an amount (0 or more)")).transpose()?;
        let holdout_values = match holdout_x {
            Some(column) => Some((
                count(column)?,
                holdout_m.map(|column| number(column, "an amount (0 or more)")).transpose()?,
                holdout_d.map(|column| number(column, "a duration (0 or more)").map(|d| (column, d))).transpose()?,
            )),
            None => None,
        };
        for k in 1..=copies {
            let name = if copies == 1 { customer.clone() } else { format!("{customer}-{k}") };
            table.ids.push(name.as_bytes()).map_err(DataError::Options)?;
            table.frequency.push(xv);
            table.recency.push(recency);
            table.age.push(tv);
            if let (Some(value), Some(values)) = (monetary_value, table.monetary_value.as_mut()) {
                values.push(value);
            }
            if let (Some((frequency, spend, _)), Some(h)) = (holdout_values, table.holdout.as_mut()) {
                h.frequency.push(frequency);
                if let (Some(value), Some(values)) = (spend, h.monetary_value.as_mut()) {
                    values.push(value);
                }
            }
        }
        if let (Some((_, _, Some((column, d)))), Some(h)) = (holdout_values, table.holdout.as_mut()) {
            if h.duration.is_nan() {
                h.duration = d;
            } else if d != h.duration {
                return Err(bad(column, format!("duration_holdout {d} differs from the first row's {}", h.duration)));
            }
        }
    }
    if table.is_empty() {
        return Err(DataError::Empty { path: name, what: "the file has a header but no customers" });
    }
    Ok(table)
}

/// True when `path` is a per-customer summary rather than a purchase log: its metadata file (`FILE.meta.json`)
/// is beside it, or its first line is a CSV header naming a frequency and a recency column.
pub fn is_summary(path: &Path) -> bool {
    if meta_path(path).is_file() {
        return true;
    }
    let Ok((_, header)) = open_table(path) else { return false };
    let has = |names: &[&str]| header.iter().any(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)));
    has(FREQUENCY) && has(RECENCY)
}

/// Reads a summary CSV with its unit: from `FILE.meta.json` when present (a different `--unit` is refused),
/// else `unit_flag`, else `default`. Period ends come from the metadata.
pub fn read_summary(path: &Path, unit_flag: Option<TimeUnit>, default: TimeUnit) -> Result<SummaryTable, DataError> {
    let meta = read_meta(path)?;
    let unit = match (&meta, unit_flag) {
        (Some(meta), flag) => {
            let recorded: TimeUnit = meta.time_unit.parse().map_err(DataError::Options)?;
            if let Some(flag) = flag.filter(|f| *f != recorded) {
                return Err(DataError::Options(format!(
                    "{}: the summary is in {recorded}s (see {}), not in {flag}s: summarise again with --unit {flag}",
                    path.display(),
                    meta_path(path).display()
                )));
            }
            recorded
        }
        (None, flag) => flag.unwrap_or(default),
    };
    let mut table = read_summary_csv(path, unit)?;
    if let Some(meta) = meta {
        let day = |text: &Option<String>| text.as_deref().and_then(|t| DateFormat::Auto.parse(t.as_bytes()));
        table.calibration_end = day(&meta.calibration_end);
        table.observation_end = day(&meta.observation_end);
    }
    Ok(table)
}

/// The metadata to record for a table.
pub fn meta_of(table: &SummaryTable) -> SummaryMeta {
    SummaryMeta {
        time_unit: table.unit.name().to_owned(),
        calibration_end: table.calibration_end.map(|d: Day| d.to_string()),
        observation_end: table.observation_end.map(|d| d.to_string()),
        customers: table.len(),
    }
}
