//! The models clv fits, by name: one dispatch for the command line, the model files and the fitting engine.

use crate::count::bg_bb::BgBbFamily;
use crate::count::{BgBb, BgNbd, CountModel, MbgNbd, ParetoNbd, bg_nbd::DropoutFamily, pareto_nbd::ParetoNbdFamily};
use crate::data::SummaryTable;
use crate::fit::model_file::ModelFile;
use crate::fit::{Estimate, FitRows, fit};
use crate::spend::gamma_gamma::{GammaGammaFamily, spend_rows};

/// A model clv can fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// BG/NBD purchase counts (Fader, Hardie & Lee 2005).
    BgNbd,
    /// Pareto/NBD purchase counts (Schmittlein, Morrison & Colombo 1987).
    ParetoNbd,
    /// MBG/NBD purchase counts (Batislam, Denizel & Filiztekin 2007).
    MbgNbd,
    /// BG/BB transactions at discrete opportunities (Fader, Hardie & Shang 2010).
    BgBb,
    /// Gamma-Gamma spend per transaction (Fader, Hardie & Lee 2005, JMR).
    GammaGamma,
}

impl ModelKind {
    /// The name in model files.
    pub fn file_name(self) -> &'static str {
        match self {
            ModelKind::BgNbd => "bg_nbd",
            ModelKind::ParetoNbd => "pareto_nbd",
            ModelKind::MbgNbd => "mbg_nbd",
            ModelKind::BgBb => "bg_bb",
            ModelKind::GammaGamma => "gamma_gamma",
        }
    }

    /// Whether the model counts discrete opportunities (fitted on summaries made with `--opportunities`).
    pub fn is_discrete(self) -> bool {
        matches!(self, ModelKind::BgBb)
    }

    /// The purchase-count models that apply to a summary: BG/BB for discrete opportunities, the continuous-time
    /// models otherwise.
    pub fn count_models_for(table: &SummaryTable) -> &'static [ModelKind] {
        if table.discrete { &[ModelKind::BgBb] } else { &[ModelKind::BgNbd, ModelKind::ParetoNbd, ModelKind::MbgNbd] }
    }

    /// Whether the model describes purchase counts (else spend).
    pub fn is_count(self) -> bool {
        !matches!(self, ModelKind::GammaGamma)
    }

    /// The rows the model is fitted on: (x, t_x, T) for count models; (x, mean repeat spend) of the customers
    /// with repeat purchases and positive spend for spend models. An error says why a table cannot be used.
    pub fn fit_rows(self, table: &SummaryTable) -> Result<FitRows, String> {
        self.weighted_fit_rows(table, None)
    }

    /// [`ModelKind::fit_rows`] with customer `i` counted `weights[i]` times (a bootstrap resample) when given.
    pub fn weighted_fit_rows(self, table: &SummaryTable, weights: Option<&[f64]>) -> Result<FitRows, String> {
        if self.is_count() {
            check_time_kind(self.file_name(), self.is_discrete(), table)?;
            if table.frequency.iter().all(|&x| x == 0) {
                return Err("no customer has a repeat purchase (every frequency is 0): a purchase-count model cannot \
                            be fitted; check the calibration period"
                    .into());
            }
            let x: Vec<f64> = table.frequency.iter().map(|&v| f64::from(v)).collect();
            return Ok(match weights {
                None => FitRows::compress(&x, &table.recency, &table.age),
                Some(w) => FitRows::from_counts(&x, &table.recency, &table.age, w),
            });
        }
        let Some(spend) = &table.monetary_value else {
            return Err(
                "the summary has no monetary_value column: a spend model needs amounts (summarise with --amount)"
                    .into(),
            );
        };
        let rows = spend_rows(&table.frequency, spend, weights);
        if rows.customers < 2 {
            return Err(format!(
                "{} customer(s) with repeat purchases and positive spend: too few to fit a spend model",
                rows.customers
            ));
        }
        Ok(rows)
    }

    /// The purchase-count model with these parameters; `None` for a spend model.
    pub fn count_model(self, params: &[f64]) -> Option<Box<dyn CountModel>> {
        match self {
            ModelKind::BgNbd => Some(Box::new(BgNbd::from_params(params))),
            ModelKind::ParetoNbd => Some(Box::new(ParetoNbd::from_params(params))),
            ModelKind::MbgNbd => Some(Box::new(MbgNbd::from_params(params))),
            ModelKind::BgBb => Some(Box::new(BgBb::from_params(params))),
            ModelKind::GammaGamma => None,
        }
    }

    /// The model file recording a fit of this model on `rows` of `table` (read from `input`), which took
    /// `seconds`: with the fingerprints of the rows and of the whole summary, and the calibration end.
    pub fn model_file(
        self,
        estimate: &Estimate,
        table: &SummaryTable,
        rows: &FitRows,
        input: &str,
        seconds: f64,
    ) -> ModelFile {
        let fingerprint = rows.fingerprint();
        // A count model's rows are the whole summary's (x, t_x, T): their fingerprint is the summary's.
        let whole = if self.is_count() { fingerprint.clone() } else { summary_fingerprint(table) };
        let mut file = ModelFile::from_estimate(self.file_name(), estimate, table.unit, fingerprint);
        file.calibration_end = table.calibration_end.map(|d| d.to_string());
        file.input = Some(input.to_owned());
        file.summary_fingerprint = Some(whole);
        file.fit_seconds = Some(seconds);
        file
    }

    /// The full log-likelihood of `rows` at `params` (natural scale; NaN when it cannot be computed).
    pub fn log_likelihood(self, rows: &FitRows, params: &[f64]) -> f64 {
        use crate::fit::log_likelihood;
        match self {
            ModelKind::BgNbd => log_likelihood(&DropoutFamily::<false>, rows, params),
            ModelKind::MbgNbd => log_likelihood(&DropoutFamily::<true>, rows, params),
            ModelKind::ParetoNbd => log_likelihood(&ParetoNbdFamily, rows, params),
            ModelKind::BgBb => log_likelihood(&BgBbFamily, rows, params),
            ModelKind::GammaGamma => log_likelihood(&GammaGammaFamily, rows, params),
        }
    }

    /// Fits the model to `rows` by maximum likelihood, from `warm_start` when given.
    pub fn fit(self, rows: &FitRows, warm_start: Option<&[f64]>) -> Estimate {
        match self {
            ModelKind::BgNbd => fit(&DropoutFamily::<false>, rows, warm_start),
            ModelKind::MbgNbd => fit(&DropoutFamily::<true>, rows, warm_start),
            ModelKind::ParetoNbd => fit(&ParetoNbdFamily, rows, warm_start),
            ModelKind::BgBb => fit(&BgBbFamily, rows, warm_start),
            ModelKind::GammaGamma => fit(&GammaGammaFamily, rows, warm_start),
        }
    }
}

/// How well a count model predicted the holdout period: mean absolute error of purchases per customer, and the
/// relative error of the total.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HoldoutError {
    /// Mean over customers of |predicted − actual| holdout purchases.
    pub mae: f64,
    /// (predicted total − actual total) / actual total.
    pub total_error: f64,
}

/// One model fitted by [`choose_count_model`], with the criteria it is judged by.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The model.
    pub kind: ModelKind,
    /// The rows it was fitted on.
    pub rows: FitRows,
    /// The fit.
    pub estimate: Estimate,
    /// Seconds the fit took.
    pub seconds: f64,
    /// Akaike's criterion, 2k − 2 ln L.
    pub aic: f64,
    /// Schwarz's criterion, k ln n − 2 ln L.
    pub bic: f64,
    /// The holdout error, when the summary has a holdout.
    pub holdout: Option<HoldoutError>,
}

/// The rule by which a model was kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChoiceRule {
    /// Lowest mean absolute error of holdout purchases per customer.
    HoldoutError,
    /// Lowest BIC (no holdout).
    Bic,
}

impl ChoiceRule {
    /// The rule in words.
    pub fn describe(self) -> &'static str {
        match self {
            ChoiceRule::HoldoutError => "lowest mean absolute error of holdout purchases per customer",
            ChoiceRule::Bic => "lowest BIC (the summary has no holdout)",
        }
    }
}

/// Every applicable count model fitted, and the one kept.
#[derive(Clone, Debug)]
pub struct Choice {
    /// The models fitted, in a fixed order.
    pub candidates: Vec<Candidate>,
    /// Index of the model kept.
    pub best: usize,
    /// Why it was kept.
    pub rule: ChoiceRule,
}

/// Fits every purchase-count model that applies to `table` and keeps the one with the lowest holdout error (mean
/// absolute error of holdout purchases per customer) when the table has a holdout, else the lowest BIC; a fit that
/// neither converged nor reached a boundary limit (see [`crate::fit::Diagnostics::usable`]) is never kept. An error
/// when none is usable.
pub fn choose_count_model(table: &SummaryTable) -> Result<Choice, String> {
    let mut candidates = Vec::new();
    for &kind in ModelKind::count_models_for(table) {
        let rows = kind.fit_rows(table)?;
        let started = std::time::Instant::now();
        let estimate = kind.fit(&rows, None);
        let seconds = started.elapsed().as_secs_f64();
        let k = estimate.params.len() as f64;
        let n = estimate.customers as f64;
        let (aic, bic) = (2.0 * k - 2.0 * estimate.log_likelihood, k * n.ln() - 2.0 * estimate.log_likelihood);
        let holdout = table.holdout.as_ref().and_then(|h| {
            let model = kind.count_model(&estimate.params)?;
            let predicted = crate::count::predict_table(model.as_ref(), table, h.duration);
            let mae = predicted.iter().zip(&h.frequency).map(|(p, &a)| (p.0 - f64::from(a)).abs()).sum::<f64>() / n;
            let total: f64 = predicted.iter().map(|p| p.0).sum();
            let actual: f64 = h.frequency.iter().map(|&a| f64::from(a)).sum();
            Some(HoldoutError { mae, total_error: (total - actual) / actual })
        });
        candidates.push(Candidate { kind, rows, estimate, seconds, aic, bic, holdout });
    }
    let rule = if candidates.iter().all(|c| c.holdout.is_some()) { ChoiceRule::HoldoutError } else { ChoiceRule::Bic };
    let score = |c: &Candidate| match rule {
        ChoiceRule::HoldoutError => c.holdout.map_or(f64::INFINITY, |h| h.mae),
        ChoiceRule::Bic => c.bic,
    };
    let best = (0..candidates.len())
        .filter(|&i| candidates[i].estimate.diagnostics.usable())
        .min_by(|&i, &j| score(&candidates[i]).total_cmp(&score(&candidates[j])))
        .ok_or("no purchase-count model converged (nor reached a boundary limit)")?;
    Ok(Choice { candidates, best, rule })
}

/// Checks that a count model and a summary measure time alike: a discrete-opportunity model (`discrete`) needs a
/// summary of opportunities (a `periods` column), a continuous-time model a summary with T.
pub fn check_time_kind(model: &str, discrete: bool, table: &SummaryTable) -> Result<(), String> {
    match (discrete, table.discrete) {
        (true, false) => Err(format!(
            "{model} counts discrete opportunities but the summary is in continuous time (it has T, not periods): \
             summarise with --opportunities year (or month, week, day)"
        )),
        (false, true) => Err(format!(
            "{model} is a continuous-time model but the summary counts discrete opportunities (periods): use bg-bb, \
             or summarise without --opportunities"
        )),
        _ => Ok(()),
    }
}

/// The fingerprint of a whole summary table (every customer's x, t_x and T), recorded by every model fitted on it
/// so that models fitted on different data can be told apart.
pub fn summary_fingerprint(table: &SummaryTable) -> String {
    let x: Vec<f64> = table.frequency.iter().map(|&v| f64::from(v)).collect();
    FitRows::compress(&x, &table.recency, &table.age).fingerprint()
}

impl std::str::FromStr for ModelKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().replace(['-', '/'], "_").as_str() {
            "bg_nbd" | "bgnbd" => Ok(ModelKind::BgNbd),
            "pareto_nbd" | "paretonbd" | "pnbd" => Ok(ModelKind::ParetoNbd),
            "mbg_nbd" | "mbgnbd" => Ok(ModelKind::MbgNbd),
            "bg_bb" | "bgbb" => Ok(ModelKind::BgBb),
            "gamma_gamma" | "gammagamma" | "gg" => Ok(ModelKind::GammaGamma),
            _ => Err(format!(
                "'{text}' is not a model clv fits; expected bg-nbd, pareto-nbd, mbg-nbd, bg-bb or gamma-gamma"
            )),
        }
    }
}
