//! Model files: JSON, one per fit, written atomically. A hand-written file needs only `model`, `params` and
//! `time_unit`; everything else is recorded by `clv fit`.

use super::{Diagnostics, Estimate};
use crate::count::{BgBb, BgNbd, CountModel, MbgNbd, ParetoNbd};
use crate::data::TimeUnit;
use crate::retention::sbg::ShiftedBetaGeometric;
use crate::spend::GammaGamma;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::Path;

/// The version of the model file format written by this build.
pub const FORMAT_VERSION: u32 = 1;

/// A fitted (or hand-written) model as stored on disk.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelFile {
    /// Format version (1).
    #[serde(default = "format_version")]
    pub format_version: u32,
    /// `bg_nbd`, `pareto_nbd`, `mbg_nbd`, `bg_bb`, `gamma_gamma` or `sbg`.
    pub model: String,
    /// Estimates by name, natural scale, rates in `time_unit`.
    pub params: Map<String, Value>,
    /// Standard errors by name (null where unavailable).
    #[serde(default)]
    pub standard_errors: Map<String, Value>,
    /// Covariance of the estimates, rows and columns in the order of `params`.
    #[serde(default)]
    pub covariance: Option<Vec<Vec<f64>>>,
    /// Full log-likelihood of the data fitted, in `time_unit`.
    #[serde(default)]
    pub log_likelihood: Option<f64>,
    /// Customers fitted on.
    #[serde(default)]
    pub n_customers: Option<usize>,
    /// Distinct (x, t_x, T) rows.
    #[serde(default)]
    pub n_distinct_rows: Option<usize>,
    /// `day`, `week`, `month` or `year`: the unit of times, or the length of an opportunity (`bg_bb`) or of a
    /// contract period (`sbg`).
    pub time_unit: String,
    /// Last day of the calibration period of the data, when known.
    #[serde(default)]
    pub calibration_end: Option<String>,
    /// Fingerprint of the data fitted.
    #[serde(default)]
    pub input_fingerprint: Option<String>,
    /// The summary file fitted.
    #[serde(default)]
    pub input: Option<String>,
    /// Fingerprint of the whole summary (every customer's x, t_x, T), shared by the models fitted on it.
    #[serde(default)]
    pub summary_fingerprint: Option<String>,
    /// Whether the fit converged at an interior optimum.
    #[serde(default)]
    pub converged: Option<bool>,
    /// How the optimiser fared.
    #[serde(default)]
    pub diagnostics: Option<Diagnostics>,
    /// The clv version that wrote the file.
    #[serde(default)]
    pub clv_version: Option<String>,
    /// When the fit was made (UTC, ISO 8601).
    #[serde(default)]
    pub fitted_at: Option<String>,
    /// Seconds the fit took.
    #[serde(default)]
    pub fit_seconds: Option<f64>,
}

fn format_version() -> u32 {
    FORMAT_VERSION
}

/// A model file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ModelFileError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// The parameter names of a model, by its name in files; `None` for an unknown model.
pub fn model_parameters(model: &str) -> Option<&'static [&'static str]> {
    match model {
        "bg_nbd" => Some(&crate::count::bg_nbd::PARAMETERS),
        "pareto_nbd" => Some(&crate::count::pareto_nbd::PARAMETERS),
        "mbg_nbd" => Some(&crate::count::mbg_nbd::PARAMETERS),
        "bg_bb" => Some(&crate::count::bg_bb::PARAMETERS),
        "sbg" => Some(&crate::retention::sbg::PARAMETERS),
        "gamma_gamma" => Some(&crate::spend::gamma_gamma::PARAMETERS),
        _ => None,
    }
}

impl ModelFile {
    /// The record of a fit.
    pub fn from_estimate(model: &str, estimate: &Estimate, unit: TimeUnit, fingerprint: String) -> ModelFile {
        let named = |values: &[f64]| -> Map<String, Value> {
            estimate
                .names
                .iter()
                .zip(values)
                .map(|(k, v)| (k.to_string(), serde_json::Number::from_f64(*v).map_or(Value::Null, Value::Number)))
                .collect()
        };
        let n = estimate.names.len();
        ModelFile {
            format_version: FORMAT_VERSION,
            model: model.to_owned(),
            params: named(&estimate.params),
            standard_errors: named(&estimate.standard_errors),
            covariance: estimate.covariance.as_ref().map(|c| c.chunks(n).map(<[f64]>::to_vec).collect()),
            log_likelihood: Some(estimate.log_likelihood),
            n_customers: Some(estimate.customers),
            n_distinct_rows: Some(estimate.distinct_rows),
            time_unit: unit.name().to_owned(),
            calibration_end: None,
            input_fingerprint: Some(fingerprint),
            input: None,
            summary_fingerprint: None,
            converged: Some(estimate.diagnostics.converged),
            diagnostics: Some(estimate.diagnostics.clone()),
            clv_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            fitted_at: Some(utc_now()),
            fit_seconds: None,
        }
    }

    /// Reads and checks a model file.
    pub fn read(path: &Path) -> Result<ModelFile, ModelFileError> {
        let fail = |message: String| ModelFileError { path: path.display().to_string(), message };
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        let file: ModelFile = serde_json::from_str(&text).map_err(|e| {
            fail(format!(
                "line {}: not a clv model file ({e}); it needs at least \"model\", \"params\" and \"time_unit\"",
                e.line()
            ))
        })?;
        if file.format_version > FORMAT_VERSION {
            return Err(fail(format!(
                "format version {} is newer than this clv reads ({FORMAT_VERSION})",
                file.format_version
            )));
        }
        file.unit().map_err(fail)?;
        Ok(file)
    }

    /// Writes the file atomically (as pretty JSON), creating its folder when needed.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        crate::output::write_atomically(path, |out| Ok(serde_json::to_writer_pretty(out, self)?))
    }

    /// The time unit.
    pub fn unit(&self) -> Result<TimeUnit, String> {
        self.time_unit.parse()
    }

    /// The parameters in the order `names`, each checked to be a positive finite number.
    pub fn parameters_in_order(&self, names: &[&str]) -> Result<Vec<f64>, String> {
        names
            .iter()
            .map(|name| match self.params.get(*name).and_then(Value::as_f64) {
                Some(v) if v.is_finite() && v > 0.0 => Ok(v),
                Some(v) => Err(format!("parameter {name} = {v} must be a positive number")),
                None => Err(format!("parameter {name} is missing (a {} model needs {})", self.model, names.join(", "))),
            })
            .collect()
    }

    /// The purchase-count model this file describes; an error for a spend or retention model or an unknown name.
    pub fn count_model(&self) -> Result<Box<dyn CountModel>, String> {
        let build: fn(&[f64]) -> Box<dyn CountModel> = match self.model.as_str() {
            "bg_nbd" => |p| Box::new(BgNbd::from_params(p)),
            "mbg_nbd" => |p| Box::new(MbgNbd::from_params(p)),
            "pareto_nbd" => |p| Box::new(ParetoNbd::from_params(p)),
            "bg_bb" => |p| Box::new(BgBb::from_params(p)),
            "sbg" => {
                return Err("'sbg' is a retention model of subscriptions: use it with clv retention, or simulate \
                            subscriptions from it"
                    .into());
            }
            other => {
                return Err(format!(
                    "'{other}' is not a purchase-count model (expected bg_nbd, pareto_nbd, mbg_nbd or bg_bb)"
                ));
            }
        };
        let names = model_parameters(&self.model).expect("every count model has parameters");
        Ok(build(&self.parameters_in_order(names)?))
    }

    /// The retention model this file describes; an error for any other model.
    pub fn retention_model(&self) -> Result<ShiftedBetaGeometric, String> {
        if self.model != "sbg" {
            return Err(format!("'{}' is not a retention model (expected sbg)", self.model));
        }
        Ok(ShiftedBetaGeometric::from_params(&self.parameters_in_order(&crate::retention::sbg::PARAMETERS)?))
    }

    /// The spend model this file describes; an error for a count model or an unknown name, and for q <= 1
    /// (no finite mean spend).
    pub fn spend_model(&self) -> Result<GammaGamma, String> {
        if self.model != "gamma_gamma" {
            return Err(format!("'{}' is not a spend model (expected gamma_gamma)", self.model));
        }
        let model = GammaGamma::from_params(&self.parameters_in_order(&crate::spend::gamma_gamma::PARAMETERS)?);
        if model.q <= 1.0 {
            return Err(format!("q = {} <= 1: spend per transaction has no finite mean", model.q));
        }
        Ok(model)
    }
}

/// The current time in UTC as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_now() -> String {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let day = crate::data::Day((seconds / 86_400) as i32);
    let s = seconds % 86_400;
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}
