//! Purchase logs in, per-customer summaries out: reading, validating, merging same-day purchases, and the
//! calibration/holdout split.

pub mod columns;
pub mod customers;
pub mod dates;
pub mod error;
pub mod ingest;
pub mod money;
pub mod opportunities;
pub mod parse;
pub mod purchases;
pub mod records;
pub mod state;
pub mod summary;
pub mod summary_csv;
pub mod units;

pub use columns::ColumnRef;
pub use dates::{DateFormat, Day};
pub use error::{DataError, RowProblem};
pub use ingest::{
    IngestReport, Input, LogLayout, Progress, SummarizeOptions, read_purchases, summarize, summarize_purchases,
};
pub use parse::NegativeAmounts;
pub use records::Separator;
pub use summary::{CustomerSummary, Holdout, SummaryTable};
pub use summary_csv::{SummaryMeta, read_summary, read_summary_csv};
pub use units::{TimeUnit, parse_horizon};
