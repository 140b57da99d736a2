//! Errors of reading purchase logs and summaries: each names the file, the line, the column and what was
//! expected.

use std::io;

/// What is wrong with one row of a purchase log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowProblem {
    /// The row ends before the column (it has `fields` fields).
    MissingField {
        /// Number of fields the row has.
        fields: usize,
    },
    /// The date field does not match the expected format.
    BadDate {
        /// The field's text.
        text: String,
        /// What was expected, e.g. "a date as YYYY-MM-DD ...".
        expected: String,
    },
    /// The amount field is not a finite number.
    BadAmount {
        /// The field's text.
        text: String,
    },
    /// The amount is negative (a return or a cancellation) and negative amounts are refused.
    NegativeAmount {
        /// The field's text.
        text: String,
    },
    /// The customer id is empty.
    BlankId,
    /// A value of a summary table is missing, malformed or inconsistent.
    Invalid {
        /// What is wrong and what was expected.
        message: String,
    },
}

impl RowProblem {
    /// A short label for the report's count of skipped rows.
    pub fn kind(&self) -> &'static str {
        match self {
            RowProblem::MissingField { .. } => "missing field",
            RowProblem::BadDate { .. } => "unparseable date",
            RowProblem::BadAmount { .. } => "non-numeric amount",
            RowProblem::NegativeAmount { .. } => "negative amount",
            RowProblem::BlankId => "blank customer id",
            RowProblem::Invalid { .. } => "invalid value",
        }
    }

    /// The explanation shown after the file, line and column.
    pub fn describe(&self) -> String {
        match self {
            RowProblem::MissingField { fields } => {
                format!("missing: the row has only {fields} field{}", if *fields == 1 { "" } else { "s" })
            }
            RowProblem::BadDate { text, expected } => format!("'{text}' is not {expected}"),
            RowProblem::BadAmount { text } => {
                format!("'{text}' is not a number; expected an amount such as 12.50")
            }
            RowProblem::NegativeAmount { text } => format!(
                "the amount {text} is negative (a return or cancellation); pass --negative skip to leave such rows \
                 out (they are counted in the report)"
            ),
            RowProblem::BlankId => "the customer id is blank".into(),
            RowProblem::Invalid { message } => message.clone(),
        }
    }
}

/// An error reading an input table.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The file holds nothing (or only a header).
    #[error("{path}: {what}")]
    Empty {
        /// The file.
        path: String,
        /// "the file is empty" or "the file has a header but no rows".
        what: &'static str,
    },
    /// The header does not offer a requested column, or the options contradict the file.
    #[error("{path}, line {line}: {message}")]
    Header {
        /// The file.
        path: String,
        /// 1-based line number of the header.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A row is malformed.
    #[error("{path}, line {line}, {column}: {}", problem.describe())]
    Row {
        /// The file.
        path: String,
        /// 1-based line number where the row starts.
        line: u64,
        /// The column, as `column 3 'InvoiceDate' (date)`.
        column: String,
        /// What is wrong.
        problem: RowProblem,
    },
    /// The options cannot be satisfied.
    #[error("{0}")]
    Options(String),
}
