//! Naming the columns of a purchase log: by header name or by 1-based number.

use std::fmt;
use std::str::FromStr;

/// A column as the user names it: a 1-based number (`3`) or a header name (`InvoiceDate`).
/// Text made only of digits is a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnRef {
    /// 1-based column number.
    Number(usize),
    /// Header name, matched exactly, else case-insensitively when that is unambiguous.
    Name(String),
}

impl FromStr for ColumnRef {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.is_empty() {
            return Err("a column must be a header name or a 1-based number".into());
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return match text.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(ColumnRef::Number(n)),
                _ => Err(format!("column number '{text}' must be 1 or more (columns count from 1)")),
            };
        }
        Ok(ColumnRef::Name(text.to_owned()))
    }
}

impl fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnRef::Number(n) => write!(f, "{n}"),
            ColumnRef::Name(name) => write!(f, "'{name}'"),
        }
    }
}

/// A column found in the file: its 0-based index and how to name it in messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// 0-based position in each record.
    pub index: usize,
    /// The header name, when the file has a header.
    pub name: Option<String>,
    /// What the column holds for clv (`customer`, `date`, `amount`).
    pub role: &'static str,
}

impl fmt::Display for Column {
    /// `column 3 'InvoiceDate' (date)` or `column 3 (date)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "column {} '{}' ({})", self.index + 1, name, self.role),
            None => write!(f, "column {} ({})", self.index + 1, self.role),
        }
    }
}

impl ColumnRef {
    /// Finds the column in the header (when there is one). The error says what the file offers.
    pub fn resolve(&self, header: Option<&[String]>, role: &'static str) -> Result<Column, String> {
        let name_of = |index: usize| header.and_then(|h| h.get(index).cloned());
        match self {
            ColumnRef::Number(n) => {
                if let Some(h) = header
                    && *n > h.len()
                {
                    return Err(format!(
                        "the {role} column is number {n}, but the header has {} columns: {}",
                        h.len(),
                        list(h)
                    ));
                }
                Ok(Column { index: n - 1, name: name_of(n - 1), role })
            }
            ColumnRef::Name(wanted) => {
                let Some(h) = header else {
                    return Err(format!(
                        "the {role} column is given by name ('{wanted}') but the file has no header (--no-header): \
                         give its number instead"
                    ));
                };
                let exact: Vec<usize> = (0..h.len()).filter(|&i| h[i] == *wanted).collect();
                let loose: Vec<usize> = (0..h.len()).filter(|&i| h[i].eq_ignore_ascii_case(wanted)).collect();
                let found = match (exact.as_slice(), loose.as_slice()) {
                    ([i], _) | ([], [i]) => *i,
                    ([], []) => {
                        return Err(format!("no column named '{wanted}' for the {role}; the header has: {}", list(h)));
                    }
                    _ => {
                        return Err(format!(
                            "the header has more than one column named '{wanted}'; give the {role} column by number"
                        ));
                    }
                };
                Ok(Column { index: found, name: name_of(found), role })
            }
        }
    }
}

fn list(header: &[String]) -> String {
    header.iter().enumerate().map(|(i, name)| format!("{} '{}'", i + 1, name)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<String> {
        ["InvoiceNo", "CustomerID", "InvoiceDate"].iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn numbers_and_names() {
        assert_eq!("2".parse(), Ok(ColumnRef::Number(2)));
        assert_eq!("CustomerID".parse(), Ok(ColumnRef::Name("CustomerID".into())));
        assert!("0".parse::<ColumnRef>().is_err());
        assert!(" ".parse::<ColumnRef>().is_err());
    }

    #[test]
    fn resolution_against_a_header() {
        let h = header();
        let c = ColumnRef::Name("customerid".into()).resolve(Some(&h), "customer").unwrap();
        assert_eq!(c.index, 1);
        assert_eq!(c.to_string(), "column 2 'CustomerID' (customer)");
        let err = ColumnRef::Name("date".into()).resolve(Some(&h), "date").unwrap_err();
        assert!(err.contains("3 'InvoiceDate'"), "{err}");
        assert!(ColumnRef::Number(4).resolve(Some(&h), "amount").is_err());
        assert!(ColumnRef::Name("x".into()).resolve(None, "amount").is_err());
        assert_eq!(ColumnRef::Number(5).resolve(None, "amount").unwrap().to_string(), "column 5 (amount)");
    }
}
