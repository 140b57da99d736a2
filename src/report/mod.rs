//! The record of a run (`run.json`: settings, versions, every headline figure and the diagnostics' numbers) and
//! what is made from it: the charts ([`svg`], [`diagnostics`]) and the self-contained HTML report ([`html`]).
//! The report is rendered from the record alone, so `clv report DIR` can remake it without refitting.

pub mod diagnostics;
pub mod drift;
pub mod html;
pub mod svg;

use crate::value::bootstrap::Interval;
use crate::value::compare::Accuracy;
use crate::value::segments::Segment;
use crate::value::sensitivity::SensitivityTable;
use diagnostics::{ConditionalExpectations, DecileComparison, FrequencyRecencyGrid, Tracking, ValueConcentration};
use serde::{Deserialize, Serialize};

/// The version of the run record format written by this build.
pub const RUN_FORMAT_VERSION: u32 = 1;

/// Everything a run did and found (`run.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Format version (1).
    pub format_version: u32,
    /// The clv version that made the run.
    pub clv_version: String,
    /// When the run was made (UTC, ISO 8601).
    pub created_at: String,
    /// The purchase log.
    pub input: String,
    /// The settings.
    pub settings: Settings,
    /// Where the log's rows went.
    pub data: DataSection,
    /// The purchase-count model kept.
    pub count_model: FittedModel,
    /// Every count model fitted when the model was chosen automatically, and the rule.
    pub candidates: Vec<CandidateRow>,
    /// The rule by which the count model was kept (automatic choice), in words.
    pub choice_rule: Option<String>,
    /// The spend model (Gamma-Gamma).
    pub spend_model: FittedModel,
    /// The value of the base.
    pub value: ValueSection,
    /// The holdout comparison, when there is a holdout.
    pub comparison: Option<ComparisonSection>,
    /// The numbers behind the charts.
    pub diagnostics: DiagnosticsSection,
    /// The files the run wrote, in its folder.
    pub files: Vec<String>,
    /// What changed since the previous run in the folder (`clv run --refit`).
    #[serde(default)]
    pub drift: Option<drift::DriftSection>,
}

/// The settings of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Time unit of the summary and the models.
    pub time_unit: String,
    /// Last day of calibration.
    pub calibration_end: String,
    /// Last day observed.
    pub observation_end: String,
    /// The count model asked for (`auto` or a name).
    pub model_requested: String,
    /// Annual discount rate.
    pub annual_discount_rate: f64,
    /// Margin on revenue.
    pub margin: f64,
    /// Valuation horizon in the time unit; `None` for an infinite horizon.
    pub horizon: Option<f64>,
    /// How purchases are discounted, in words.
    pub discounting: String,
    /// Horizon of the per-customer expected purchases, in the time unit.
    pub prediction_horizon: f64,
    /// Horizon of the valuation's undiscounted expected purchases (the valuation horizon, or a year without
    /// one), in the time unit.
    #[serde(default)]
    pub reporting_horizon: f64,
}

/// Where the rows of the log went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSection {
    /// Data rows read.
    pub rows_read: u64,
    /// Rows used.
    pub rows_used: u64,
    /// Rows merged into a same-day purchase.
    pub rows_merged: u64,
    /// Rows of customers whose first purchase is after the calibration end.
    pub rows_of_later_customers: u64,
    /// Such customers.
    pub later_customers: u64,
    /// Rows dated after the observation end.
    pub rows_after_observation_end: u64,
    /// Rows skipped, by kind.
    pub rows_skipped: Vec<(String, u64)>,
    /// Customers summarised.
    pub customers: usize,
    /// Of those, with at least one repeat purchase in calibration.
    pub repeat_customers: usize,
    /// First purchase day in the data.
    pub first_day: String,
    /// Purchases (days) in the holdout period.
    pub holdout_purchases: u64,
}

/// A fitted model as reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FittedModel {
    /// The model's name in files.
    pub model: String,
    /// Its model file, in the run's folder.
    pub file: String,
    /// (name, estimate, standard error; none for a parameter at a boundary).
    pub params: Vec<(String, f64, Option<f64>)>,
    /// Log-likelihood at the estimate.
    pub log_likelihood: f64,
    /// Whether the fit converged at an interior optimum.
    pub converged: bool,
    /// Parameters at a boundary of the parameter space (0 or infinity), when the optimum is there.
    #[serde(default)]
    pub boundary: Vec<String>,
    /// Customers fitted on.
    pub customers: usize,
}

impl FittedModel {
    /// How the fit ended, in words.
    pub fn status(&self) -> String {
        if self.converged {
            "converged".into()
        } else if !self.boundary.is_empty() {
            format!(
                "at the boundary ({}): the data support the model's limit (for a drop-out parameter going to 0, a \
                 population in which nobody drops out), not an interior optimum",
                self.boundary.join(", ")
            )
        } else {
            "NOT converged".into()
        }
    }
}

/// One count model of an automatic choice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateRow {
    /// The model.
    pub model: String,
    /// Whether it converged.
    pub converged: bool,
    /// Parameters at a boundary, when the optimum is there.
    #[serde(default)]
    pub boundary: Vec<String>,
    /// Log-likelihood.
    pub log_likelihood: f64,
    /// AIC.
    pub aic: f64,
    /// BIC.
    pub bic: f64,
    /// Mean absolute error of holdout purchases per customer.
    pub holdout_mae: Option<f64>,
    /// Relative error of the holdout total.
    pub holdout_total_error: Option<f64>,
    /// Whether it was kept.
    pub kept: bool,
}

/// The value of the base.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValueSection {
    /// Sum of the customers' CLV, in currency.
    pub customer_equity: f64,
    /// The simple formula's sum.
    pub simple_equity: f64,
    /// The simple formula's retention variant, summed.
    pub simple_retention_equity: f64,
    /// Expected purchases of the base over the prediction horizon.
    pub expected_purchases: f64,
    /// Mean P(alive).
    pub mean_p_alive: f64,
    /// Deciles of CLV.
    pub segments: Vec<Segment>,
    /// How the simple formula's inputs were estimated.
    pub simple_inputs: Vec<String>,
    /// Intervals of customer equity and of each segment's value, when asked for.
    #[serde(default)]
    pub intervals: Option<IntervalSection>,
    /// Customer equity across discount rates and horizons (margin 1).
    #[serde(default)]
    pub sensitivity: Option<SensitivityTable>,
}

/// The intervals of a valuation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntervalSection {
    /// Coverage (0.9 for 90%).
    pub level: f64,
    /// Bootstrap replicates asked for.
    pub replicates: usize,
    /// Replicates whose refit failed, left out.
    pub failed: usize,
    /// Seed of the resampling.
    pub seed: u64,
    /// The bootstrap percentile interval of customer equity.
    pub equity: Interval,
    /// The delta-method interval, when both fits have a covariance.
    pub equity_delta_method: Option<Interval>,
    /// The delta-method interval of the base's expected purchases over the reporting horizon.
    #[serde(default)]
    pub expected_purchases_delta_method: Option<Interval>,
    /// The bootstrap interval of each segment's total value, in the order of `segments`.
    pub segments: Vec<Interval>,
}

/// The holdout comparison of the model with the simple formula.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparisonSection {
    /// Length of the holdout, in the time unit.
    pub holdout_length: f64,
    /// Purchases: the model's accuracy and the simple formula's.
    pub purchases: (Accuracy, Accuracy),
    /// Revenue, the same.
    pub revenue: Option<(Accuracy, Accuracy)>,
    /// Which is closer, in words.
    pub verdict: String,
}

/// The numbers behind the charts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiagnosticsSection {
    /// Repeat purchases per period, actual and expected.
    pub tracking: Option<Tracking>,
    /// Mean holdout purchases by calibration frequency.
    pub conditional: Option<ConditionalExpectations>,
    /// Frequency-recency grids.
    pub grid: FrequencyRecencyGrid,
    /// Concentration of value.
    pub concentration: ValueConcentration,
    /// Model against simple formula by decile.
    pub deciles: DecileComparison,
}
