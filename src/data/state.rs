//! The summary state behind incremental summaries (`clv summarize --state FILE NEW.csv`): every purchase row of
//! the files applied so far, in canonical order, and the list of those files, in one text file written
//! atomically. New files add their rows; the summary of the state is exactly the summary of all the files read
//! together, in any order, because the rows are kept as they were read (same-day purchases merge only when the
//! summary is made) and amounts are exact.
//!
//! The rules for repeated data: a file whose purchases are already in the state (the same rows, however
//! formatted) is passed over, so that a repeated job changes nothing; a file whose days overlap a file already
//! applied is refused unless it is merged ([`Overlap::Merge`]), which adds its rows as further purchases.
//!
//! The file: a first line of JSON (format, version, whether amounts are held, the sizes of what follows, the
//! fingerprint of the purchases, the files applied), then the purchases in binary, little-endian: the customer ids
//! back to back, where each id ends (u32 each), and 16 bytes per row (customer u32, day i32 as days since
//! 1970-01-01, amount i64 in millionths). Reading it back costs little more than copying it, so an update is far
//! cheaper than re-reading the history; the fingerprint detects a damaged file.

use super::customers::IdArena;
use super::dates::Day;
use super::money::Money;
use super::purchases::{Purchase, Purchases};
use crate::output::write_atomically;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

/// The `format` of a state file's first line.
pub const STATE_FORMAT: &str = "clv-summary-state";
/// The version of the state format written by this build.
pub const STATE_VERSION: u32 = 1;

/// A file applied to the state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedFile {
    /// The file's name as given.
    pub name: String,
    /// The fingerprint of its purchases ([`Purchases::fingerprint`]).
    pub fingerprint: String,
    /// Its purchase rows.
    pub rows: u64,
    /// Its first purchase day (ISO 8601).
    pub first_day: String,
    /// Its last purchase day.
    pub last_day: String,
    /// When it was applied (UTC, ISO 8601).
    pub applied_at: String,
}

/// What to do with a file whose days overlap a file already applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlap {
    /// Refuse it: its rows may repeat purchases already counted.
    Refuse,
    /// Add its rows as further purchases (same-day purchases of a customer merge, as in any summary).
    Merge,
}

/// What applying a file did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Its purchases were added.
    Added,
    /// Its purchases were in the state already, from this file: nothing changed.
    AlreadyApplied(AppliedFile),
}

/// The first line of a state file.
#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    amounts: bool,
    customers: u64,
    id_bytes: u64,
    rows: u64,
    fingerprint: String,
    files: Vec<AppliedFile>,
}

/// Bytes per stored row.
const ROW_BYTES: usize = 16;

/// Why a state file cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The state file.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a state this build reads, or a row is malformed.
    #[error("{path}, line {line}: {message}")]
    Format {
        /// The state file.
        path: String,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
}

/// Every purchase row applied so far and the files it came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SummaryState {
    /// The files applied, in the order they were applied.
    pub files: Vec<AppliedFile>,
    /// Their purchases, together.
    pub purchases: Purchases,
}

impl SummaryState {
    /// Reads a state file.
    pub fn read(path: &Path) -> Result<SummaryState, StateError> {
        let name = path.display().to_string();
        let io = |source| StateError::Io { path: name.clone(), source };
        let format = |line: u64, message: String| StateError::Format { path: name.clone(), line, message };
        let mut reader = BufReader::new(std::fs::File::open(path).map_err(io)?);
        let mut first = String::new();
        reader.read_line(&mut first).map_err(io)?;
        let header: Header = serde_json::from_str(first.trim_end()).map_err(|e| {
            format(1, format!("not a clv summary state (its first line is not the state's header: {e})"))
        })?;
        if header.format != STATE_FORMAT || header.version > STATE_VERSION {
            return Err(format(
                1,
                format!(
                    "a '{}' of version {}, not a {STATE_FORMAT} this build reads (version {STATE_VERSION})",
                    header.format, header.version
                ),
            ));
        }
        let mut body = Vec::new();
        reader.read_to_end(&mut body).map_err(io)?;
        let (customers, id_bytes, rows) = (header.customers as usize, header.id_bytes as usize, header.rows as usize);
        let expected = id_bytes + 4 * customers + ROW_BYTES * rows;
        if body.len() != expected {
            return Err(format(
                2,
                format!(
                    "{} bytes of purchases where the header announces {expected}: the file was cut short or edited",
                    body.len()
                ),
            ));
        }
        let damaged = |what: &str| format(2, format!("the purchases are damaged ({what})"));
        let (id_text, rest) = body.split_at(id_bytes);
        let (ends, rows_bytes) = rest.split_at(4 * customers);
        let ends: Vec<u32> = ends.chunks_exact(4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes"))).collect();
        let ids = IdArena::from_raw_parts(id_text.to_vec(), ends).ok_or_else(|| damaged("customer ids"))?;
        let rows: Vec<Purchase> = rows_bytes
            .chunks_exact(ROW_BYTES)
            .map(|b| Purchase {
                customer: u32::from_le_bytes(b[0..4].try_into().expect("4 bytes")),
                day: Day(i32::from_le_bytes(b[4..8].try_into().expect("4 bytes"))),
                amount: Money(i64::from_le_bytes(b[8..16].try_into().expect("8 bytes"))),
            })
            .collect();
        let canonical = (1..ids.len()).all(|i| ids.get(i - 1) < ids.get(i))
            && rows.windows(2).all(|w| w[0] <= w[1])
            && rows.last().is_none_or(|r| (r.customer as usize) < ids.len());
        if !canonical {
            return Err(damaged("not in order"));
        }
        let purchases = Purchases { has_amounts: header.amounts, ids, rows };
        if purchases.fingerprint() != header.fingerprint {
            return Err(damaged("their fingerprint differs from the header's"));
        }
        Ok(SummaryState { files: header.files, purchases })
    }

    /// Writes the state (atomically: a reader sees the previous state or this one, never a part).
    pub fn write(&self, path: &Path) -> Result<(), StateError> {
        let p = &self.purchases;
        let (id_text, ends) = p.ids.raw_parts();
        let header = Header {
            format: STATE_FORMAT.into(),
            version: STATE_VERSION,
            amounts: p.has_amounts,
            customers: ends.len() as u64,
            id_bytes: id_text.len() as u64,
            rows: p.rows.len() as u64,
            fingerprint: p.fingerprint(),
            files: self.files.clone(),
        };
        write_atomically(path, |out| {
            serde_json::to_writer(&mut *out, &header)?;
            out.write_all(b"\n")?;
            out.write_all(id_text)?;
            ends.iter().try_for_each(|end| out.write_all(&end.to_le_bytes()))?;
            for row in &p.rows {
                let mut bytes = [0u8; ROW_BYTES];
                bytes[0..4].copy_from_slice(&row.customer.to_le_bytes());
                bytes[4..8].copy_from_slice(&row.day.0.to_le_bytes());
                bytes[8..16].copy_from_slice(&row.amount.0.to_le_bytes());
                out.write_all(&bytes)?;
            }
            Ok(())
        })
        .map_err(|source| StateError::Io { path: path.display().to_string(), source })
    }

    /// Adds the purchases of file `name`, read at `applied_at`, under the rules for repeated data (see the
    /// module); on refusal nothing changes and the error says why.
    pub fn apply(
        &mut self,
        name: &str,
        purchases: Purchases,
        overlap: Overlap,
        applied_at: &str,
    ) -> Result<Applied, String> {
        let Some((first, last)) = purchases.span() else {
            return Err(format!("{name}: no purchase rows to add"));
        };
        let fingerprint = purchases.fingerprint();
        if let Some(f) = self.files.iter().find(|f| f.fingerprint == fingerprint) {
            return Ok(Applied::AlreadyApplied(f.clone()));
        }
        let applied = !self.purchases.rows.is_empty();
        if applied && self.purchases.has_amounts != purchases.has_amounts {
            let with = |amounts: bool| if amounts { "with amounts" } else { "without amounts (count-only)" };
            return Err(format!(
                "{name} is read {} but the state holds purchases {}: give the same --amount as before",
                with(purchases.has_amounts),
                with(self.purchases.has_amounts)
            ));
        }
        let (first, last) = (first.to_string(), last.to_string());
        let overlapping = self.files.iter().find(|f| first <= f.last_day && f.first_day <= last);
        if let Some(f) = overlapping.filter(|_| overlap == Overlap::Refuse) {
            return Err(format!(
                "{name} covers {first} to {last}, which overlaps {} ({} to {}) already in the state: a file of days \
                 already applied may repeat purchases counted before, so it is refused; give --overlap merge to add \
                 its rows as further purchases",
                f.name, f.first_day, f.last_day
            ));
        }
        let rows = purchases.rows.len() as u64;
        self.purchases = if applied { std::mem::take(&mut self.purchases).combined(purchases)? } else { purchases };
        self.files.push(AppliedFile {
            name: name.to_owned(),
            fingerprint,
            rows,
            first_day: first,
            last_day: last,
            applied_at: applied_at.to_owned(),
        });
        Ok(Applied::Added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purchases(rows: &[(&str, i32, i64)]) -> Purchases {
        let mut ids = IdArena::default();
        let rows =
            rows.iter().map(|&(id, day, amount)| (ids.push(id.as_bytes()).unwrap(), Day(day), Money(amount))).collect();
        Purchases::from_parts(true, vec![(ids, rows)]).unwrap()
    }

    #[test]
    fn files_are_applied_once_and_overlapping_days_only_when_merged() {
        let mut state = SummaryState::default();
        let (first, second) = (purchases(&[("a", 10, 5), ("b", 12, 7)]), purchases(&[("a", 20, 1_500_000)]));
        assert_eq!(state.apply("second.csv", second.clone(), Overlap::Refuse, "t1"), Ok(Applied::Added));
        assert_eq!(state.apply("first.csv", first.clone(), Overlap::Refuse, "t2"), Ok(Applied::Added));
        assert_eq!(state.purchases, first.clone().combined(second.clone()).unwrap());
        let before = state.clone();
        let again = state.apply("copy.csv", first.clone(), Overlap::Merge, "t3").unwrap();
        assert!(matches!(again, Applied::AlreadyApplied(f) if f.name == "first.csv" && f.applied_at == "t2"));
        assert_eq!(state, before, "the same purchases again change nothing");
        let overlapping = state.apply("late.csv", purchases(&[("c", 11, 1)]), Overlap::Refuse, "t3").unwrap_err();
        assert!(overlapping.contains("overlaps first.csv"), "{overlapping}");
        assert_eq!(state, before, "a refused file changes nothing");
        state.apply("late.csv", purchases(&[("c", 11, 1)]), Overlap::Merge, "t3").unwrap();
        assert_eq!(state.purchases.rows.len(), 4);
    }

    #[test]
    fn a_state_is_written_and_read_back_unchanged_and_a_cut_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("clv-state-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.clv");
        let mut state = SummaryState::default();
        state
            .apply("f.csv", purchases(&[("x,1", 3, 1_250_000), ("y", 4, -10), ("x,1", 3, 1)]), Overlap::Refuse, "t")
            .unwrap();
        state.write(&path).unwrap();
        assert_eq!(SummaryState::read(&path).unwrap(), state);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let damaged = SummaryState::read(&path).unwrap_err().to_string();
        assert!(damaged.contains("fingerprint differs"), "{damaged}");
        std::fs::write(&path, &bytes[..last]).unwrap();
        let cut = SummaryState::read(&path).unwrap_err().to_string();
        assert!(cut.contains("cut short"), "{cut}");
        std::fs::write(&path, "customer,date\n1,2020-01-01\n").unwrap();
        assert!(SummaryState::read(&path).unwrap_err().to_string().contains("not a clv summary state"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
