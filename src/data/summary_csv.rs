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

/// Accepted header names of each column (case-insensitive).
const ID: &[&str] = &["customer_id", "id", "customer", "cust_id"];
const FREQUENCY: &[&str] = &["frequency", "x"];
const RECENCY: &[&str] = &["recency", "t_x"];
const AGE: &[&str] = &["T", "age"];
const MONETARY: &[&str] = &["monetary_value", "zbar", "m"];
const FREQUENCY_HOLDOUT: &[&str] = &["frequency_holdout", "x_holdout"];
const MONETARY_HOLDOUT: &[&str] = &["monetary_value_holdout"];
const DURATION_HOLDOUT: &[&str] = &["duration_holdout"];

/// Reads a summary CSV in `unit`. Columns are found by name: `customer_id` (or `id`), `frequency` (or `x`),
/// `recency` (or `t_x`), `T`, and optionally `monetary_value` (or `zbar`) and the holdout columns.
pub fn read_summary_csv(path: &Path, unit: TimeUnit) -> Result<SummaryTable, DataError> {
    let name = path.display().to_string();
    let io = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(source) => DataError::Io { path: name.clone(), source },
        other => DataError::Options(format!("{name}: {other:?}")),
    };
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_path(path).map_err(io)?;
    let header: Vec<String> = reader.headers().map_err(io)?.iter().map(str::to_owned).collect();
    if header.iter().all(String::is_empty) {
        return Err(DataError::Empty { path: name, what: "the file is empty" });
    }
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
    let (id, x, t_x, age) = (require(ID)?, require(FREQUENCY)?, require(RECENCY)?, require(AGE)?);
    let monetary = find(MONETARY);
    let holdout_x = find(FREQUENCY_HOLDOUT);
    let (holdout_m, holdout_d) = (find(MONETARY_HOLDOUT), find(DURATION_HOLDOUT));

    let mut table = SummaryTable {
        unit,
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
        let customer = record.get(id).unwrap_or("");
        if customer.is_empty() {
            return Err(bad(id, "the customer id is blank".into()));
        }
        let (xv, recency, tv) = (count(x)?, number(t_x, "a time (0 or more)")?, number(age, "a time (0 or more)")?);
        if recency > tv * (1.0 + 1e-9) + 1e-12 {
            return Err(bad(t_x, format!("recency {recency} is greater than T {tv}")));
        }
        if xv == 0 && recency != 0.0 {
            return Err(bad(
                t_x,
                format!("recency {recency} with frequency 0: a customer without repeat purchases has recency 0"),
            ));
        }
        table.ids.push(customer.as_bytes()).map_err(DataError::Options)?;
        table.frequency.push(xv);
        table.recency.push(recency);
        table.age.push(tv);
        if let (Some(column), Some(values)) = (monetary, table.monetary_value.as_mut()) {
            values.push(number(column, "an amount (0 or more)")?);
        }
        if let (Some(column), Some(h)) = (holdout_x, table.holdout.as_mut()) {
            h.frequency.push(count(column)?);
            if let (Some(column), Some(values)) = (holdout_m, h.monetary_value.as_mut()) {
                values.push(number(column, "an amount (0 or more)")?);
            }
            if let Some(column) = holdout_d {
                let d = number(column, "a duration (0 or more)")?;
                if h.duration.is_nan() {
                    h.duration = d;
                } else if d != h.duration {
                    return Err(bad(
                        column,
                        format!("duration_holdout {d} differs from the first row's {}", h.duration),
                    ));
                }
            }
        }
    }
    if table.is_empty() {
        return Err(DataError::Empty { path: name, what: "the file has a header but no customers" });
    }
    Ok(table)
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
