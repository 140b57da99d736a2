//! clv: a probabilistic customer-lifetime-value engine.
//!
//! From a log of purchases (customer, date, amount) it summarises each customer (frequency, recency, age,
//! spend; Fader, Hardie & Lee 2005 conventions), with a calibration/holdout split. The models, the valuation and
//! the reports build on [`data::SummaryTable`].

pub mod data;
pub mod output;
