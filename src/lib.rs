//! clv: a probabilistic customer-lifetime-value engine.
//!
//! From a log of purchases (customer, date, amount) it summarises each customer (frequency, recency, age,
//! spend; Fader, Hardie & Lee 2005 conventions) with a calibration/holdout split ([`data`]), fits the
//! "buy till you die" models by maximum likelihood ([`fit`], [`count`], [`spend`], [`retention`], by name in
//! [`models`]), predicts and values per customer ([`value`]), and reports it all ([`report`]).

pub mod count;
pub mod data;
pub mod fit;
pub mod math;
pub mod models;
pub mod output;
pub mod report;
pub mod retention;
pub mod spend;
pub mod value;
