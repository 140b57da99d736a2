//! The maximum-likelihood engine shared by every model: parameters on the log scale, the log-likelihood summed
//! over distinct rows in parallel (fixed chunks added in a fixed order, so the result is bit-for-bit the same
//! whatever the thread count), BFGS then Newton ([`crate::math::optimize`]), several starts when the first does
//! not converge, and standard errors from the Hessian at the optimum.

pub mod model_file;
pub mod rows;

use crate::math::linalg::inverse_spd;
use crate::math::optimize::{Minimum, Objective, Settings, minimize, minimize_near};
use rayon::prelude::*;
pub use rows::FitRows;

/// Rows per parallel chunk: the unit of work and of the fixed summation order.
const CHUNK: usize = 4096;
/// A log-parameter that moved this far from the start (a factor of e^5 ≈ 150) while the fit found no isolated
/// optimum is heading for the boundary (0 or infinity).
const BOUNDARY_DRIFT: f64 = 5.0;
/// The gradient is flat enough there for the point reached to stand for the limit.
const BOUNDARY_GRADIENT: f64 = 1e-4;

/// A model family as the engine sees it: natural parameters (all positive) to a per-row log-likelihood and its
/// gradient. Terms that depend on x alone are prepared once per distinct x.
pub trait Family: Sync {
    /// Per-distinct-x terms for one parameter vector.
    type Cache: Sync;
    /// The model's name in files (`bg_nbd`).
    fn name(&self) -> &'static str;
    /// Parameter names in order (`r, alpha, a, b`).
    fn parameter_names(&self) -> &'static [&'static str];
    /// A starting point for the data (natural scale).
    fn start(&self, rows: &FitRows) -> Vec<f64>;
    /// Prepares the per-x terms; `None` when the parameters are unusable.
    fn prepare(&self, params: &[f64], distinct_x: &[f64]) -> Option<Self::Cache>;
    /// `weight` × ln L of row `i` of `rows`, adding `weight` × ∂ ln L / ∂θ (natural parameters) into
    /// `gradient`; NaN when it cannot be computed.
    fn row(
        &self,
        params: &[f64],
        cache: &Self::Cache,
        rows: &FitRows,
        i: usize,
        weight: f64,
        gradient: &mut [f64],
    ) -> f64;
    /// Whether [`Family::row_with_hessian`] gives the analytic Hessian (else the engine differences gradients).
    fn has_hessian(&self) -> bool {
        false
    }
    /// As [`Family::row`], also adding `weight` × ∂² ln L / ∂θ ∂θᵀ (row-major) into `hessian`.
    #[allow(clippy::too_many_arguments)]
    fn row_with_hessian(
        &self,
        params: &[f64],
        cache: &Self::Cache,
        rows: &FitRows,
        i: usize,
        weight: f64,
        gradient: &mut [f64],
        hessian: &mut [f64],
    ) -> f64 {
        let _ = (params, cache, rows, i, weight, gradient, hessian);
        f64::NAN
    }
}

/// Adds `value` to entries (j, k) and (k, j) of the n × n row-major matrix `h` (once on the diagonal): how
/// families accumulate their symmetric Hessians.
pub fn add_symmetric(h: &mut [f64], n: usize, j: usize, k: usize, value: f64) {
    h[j * n + k] += value;
    if j != k {
        h[k * n + j] += value;
    }
}

/// Diagnostics of a fit, reported in model files and on screen.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostics {
    /// Whether the gradient and Newton-decrement criteria were met at an interior optimum.
    pub converged: bool,
    /// Optimiser iterations (BFGS and Newton).
    pub iterations: usize,
    /// Likelihood evaluations (each a pass over the rows).
    pub evaluations: usize,
    /// Largest |∂ mean log-likelihood / ∂ ln θ| at the end.
    pub gradient_max_abs: f64,
    /// gᵀH⁻¹g at the end (mean log-likelihood, log parameters).
    pub newton_decrement: f64,
    /// Starting points tried.
    pub starts: usize,
    /// Parameters that went to the boundary (0 or infinity), with the direction.
    pub boundary: Vec<String>,
    /// What the optimiser said.
    pub message: String,
}

impl Diagnostics {
    /// Whether the estimate can be used: converged at an interior optimum, or at a boundary of the parameter
    /// space (a limit the data support, such as a population without drop-out), which is a model too.
    pub fn usable(&self) -> bool {
        self.converged || !self.boundary.is_empty()
    }
}

/// A fitted model: estimates, their uncertainty, the likelihood and how the optimiser got there.
#[derive(Clone, Debug)]
pub struct Estimate {
    /// Parameter names, in order.
    pub names: Vec<&'static str>,
    /// Estimates (natural scale).
    pub params: Vec<f64>,
    /// Standard errors from the observed information (NaN where unavailable).
    pub standard_errors: Vec<f64>,
    /// Covariance of the estimates (natural scale, row-major), when the Hessian is positive definite.
    pub covariance: Option<Vec<f64>>,
    /// The full log-likelihood (sum over customers).
    pub log_likelihood: f64,
    /// Customers fitted on.
    pub customers: usize,
    /// Distinct rows.
    pub distinct_rows: usize,
    /// How the optimiser fared.
    pub diagnostics: Diagnostics,
}

/// The negative mean log-likelihood as a function of log-parameters.
struct MeanNegLogLik<'a, F: Family> {
    family: &'a F,
    rows: &'a FitRows,
    total_weight: f64,
}

impl<F: Family> MeanNegLogLik<'_, F> {
    /// Σ w ln L, Σ w ∂lnL/∂θ and, when `with_hessian`, Σ w ∂²lnL/∂θ∂θᵀ at natural parameters; chunks summed
    /// in order.
    fn sums(&self, params: &[f64], with_hessian: bool) -> Option<(f64, Vec<f64>, Vec<f64>)> {
        let n = params.len();
        let cache = self.family.prepare(params, &self.rows.distinct_x)?;
        let rows = self.rows;
        let hn = if with_hessian { n * n } else { 0 };
        let chunks: Vec<(f64, Vec<f64>, Vec<f64>)> = (0..rows.len().div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let mut value = 0.0;
                let mut gradient = vec![0.0; n];
                let mut hessian = vec![0.0; hn];
                for i in c * CHUNK..((c + 1) * CHUNK).min(rows.len()) {
                    let w = rows.weight[i];
                    value += if with_hessian {
                        self.family.row_with_hessian(params, &cache, rows, i, w, &mut gradient, &mut hessian)
                    } else {
                        self.family.row(params, &cache, rows, i, w, &mut gradient)
                    };
                }
                (value, gradient, hessian)
            })
            .collect();
        let mut value = 0.0;
        let mut gradient = vec![0.0; n];
        let mut hessian = vec![0.0; hn];
        for (v, g, h) in chunks {
            value += v;
            gradient.iter_mut().zip(&g).for_each(|(a, b)| *a += b);
            hessian.iter_mut().zip(&h).for_each(|(a, b)| *a += b);
        }
        let finite = value.is_finite() && gradient.iter().chain(&hessian).all(|g| g.is_finite());
        finite.then_some((value, gradient, hessian))
    }
}

impl<F: Family> Objective for MeanNegLogLik<'_, F> {
    fn dim(&self) -> usize {
        self.family.parameter_names().len()
    }

    fn evaluate(&self, log_params: &[f64], gradient: &mut [f64]) -> Option<f64> {
        let params: Vec<f64> = log_params.iter().map(|v| v.exp()).collect();
        if params.iter().any(|p| !(p.is_finite() && *p > 0.0)) {
            return None;
        }
        let (value, g, _) = self.sums(&params, false)?;
        for j in 0..params.len() {
            gradient[j] = -params[j] * g[j] / self.total_weight;
        }
        Some(-value / self.total_weight)
    }

    fn has_hessian(&self) -> bool {
        self.family.has_hessian()
    }

    /// With θ = e^x: ∂²f/∂x_j∂x_k = −(θ_j θ_k ∂²S/∂θ_j∂θ_k + δ_jk θ_j ∂S/∂θ_j) / W for f = −S/W.
    fn evaluate_with_hessian(&self, log_params: &[f64], gradient: &mut [f64], hessian: &mut [f64]) -> Option<f64> {
        let params: Vec<f64> = log_params.iter().map(|v| v.exp()).collect();
        if !self.family.has_hessian() || params.iter().any(|p| !(p.is_finite() && *p > 0.0)) {
            return None;
        }
        let n = params.len();
        let (value, g, h) = self.sums(&params, true)?;
        for j in 0..n {
            gradient[j] = -params[j] * g[j] / self.total_weight;
            for k in 0..n {
                let diagonal = if j == k { params[j] * g[j] } else { 0.0 };
                hessian[j * n + k] = -(params[j] * params[k] * h[j * n + k] + diagonal) / self.total_weight;
            }
        }
        Some(-value / self.total_weight)
    }
}

/// The full log-likelihood Σ w ln L at natural parameters (NaN when it cannot be computed).
pub fn log_likelihood<F: Family>(family: &F, rows: &FitRows, params: &[f64]) -> f64 {
    let objective = MeanNegLogLik { family, rows, total_weight: 1.0 };
    objective.sums(params, false).map_or(f64::NAN, |(v, _, _)| v)
}

/// Fits `family` to `rows` by maximum likelihood, from `warm_start` (natural scale) when given, else from the
/// family's start; more starts are tried when one does not converge.
pub fn fit<F: Family>(family: &F, rows: &FitRows, warm_start: Option<&[f64]>) -> Estimate {
    let total_weight: f64 = rows.weight.iter().sum();
    let objective = MeanNegLogLik { family, rows, total_weight };
    let settings = Settings::default();
    let base = warm_start.map_or_else(|| family.start(rows), <[f64]>::to_vec);
    let log_base: Vec<f64> = base.iter().map(|p| p.ln()).collect();
    // Large data: fit a systematic subsample first, then Newton on all rows from there with the subsample's
    // curvature (the mean log-likelihood has the same scale on both), so that only a few passes touch all rows.
    if rows.len() > 40_000 && warm_start.is_none() {
        let sample = rows.subsample(rows.len() / 20_000);
        let sample_weight: f64 = sample.weight.iter().sum();
        let rough =
            minimize(&MeanNegLogLik { family, rows: &sample, total_weight: sample_weight }, &log_base, &settings);
        if let (true, Some(h)) = (rough.converged, rough.hessian) {
            let mut best = minimize_near(&objective, &rough.x, h, &settings);
            if best.converged {
                best.message = format!(
                    "{}; started from a fit on every {}th row ({} evaluations on the subsample)",
                    best.message,
                    rows.len() / 20_000,
                    rough.evaluations
                );
                return estimate(family, rows, &best, &log_base, 1);
            }
        }
    }
    let mut starts = vec![log_base.clone()];
    for factor in [0.1f64, 10.0, 0.01, 100.0] {
        starts.push(
            log_base
                .iter()
                .enumerate()
                .map(|(j, v)| if j % 2 == 0 { v + factor.ln() } else { v - factor.ln() })
                .collect(),
        );
    }
    let mut best: Option<Minimum> = None;
    let mut tried = 0;
    for start in &starts {
        tried += 1;
        let result = minimize(&objective, start, &settings);
        // A fit drifting to the boundary from the first start does so from the others too.
        if !result.converged && !boundary_parameters(&result, &log_base).is_empty() {
            return estimate(family, rows, &result, &log_base, tried);
        }
        let better = match &best {
            None => true,
            Some(b) => {
                (result.converged && !b.converged) || (result.converged == b.converged && result.value < b.value)
            }
        };
        if better {
            best = Some(result);
        }
        if best.as_ref().is_some_and(|b| b.converged) {
            break;
        }
    }
    let best = best.expect("at least one start");
    estimate(family, rows, &best, &log_base, tried)
}

/// The parameters heading for 0 or infinity in a fit that found no isolated optimum: far from the start,
/// with a flat gradient. Empty when the failure is of another kind.
fn boundary_parameters(result: &Minimum, log_base: &[f64]) -> Vec<usize> {
    let flat = result.gradient.iter().all(|g| g.abs() <= BOUNDARY_GRADIENT);
    if !flat {
        return Vec::new();
    }
    (0..log_base.len()).filter(|&j| (result.x[j] - log_base[j]).abs() > BOUNDARY_DRIFT).collect()
}

/// Builds the estimate: natural parameters, standard errors by the delta method from the log-scale Hessian
/// (Cov(θ) = diag(θ) (N H)⁻¹ diag(θ)), boundary detection.
fn estimate<F: Family>(family: &F, rows: &FitRows, best: &Minimum, log_base: &[f64], starts: usize) -> Estimate {
    let names = family.parameter_names().to_vec();
    let n = names.len();
    let params: Vec<f64> = best.x.iter().map(|v| v.exp()).collect();
    let total_weight: f64 = rows.weight.iter().sum();
    let at_boundary = if best.converged { Vec::new() } else { boundary_parameters(best, log_base) };
    // Covariance of the interior parameters (all of them at an interior optimum): the inverse of their block of
    // the observed information, by the delta method to the natural scale.
    let free: Vec<usize> = (0..n).filter(|j| !at_boundary.contains(j)).collect();
    let m = free.len();
    let free_covariance = best.hessian.as_ref().and_then(|h| {
        let block: Vec<f64> = (0..m * m).map(|k| h[free[k / m] * n + free[k % m]] * total_weight).collect();
        inverse_spd(&block, m)
    });
    let mut standard_errors = vec![f64::NAN; n];
    let mut covariance = None;
    if let Some(inv) = &free_covariance {
        let natural: Vec<f64> = (0..m * m).map(|k| inv[k] * params[free[k / m]] * params[free[k % m]]).collect();
        for (i, &j) in free.iter().enumerate() {
            standard_errors[j] = natural[i * m + i].sqrt();
        }
        if m == n {
            covariance = Some(natural);
        }
    }
    let boundary: Vec<String> = at_boundary
        .iter()
        .map(|&j| format!("{} -> {}", names[j], if best.x[j] > log_base[j] { "infinity" } else { "0" }))
        .collect();
    let converged = best.converged;
    let mut message = best.message.clone();
    if !boundary.is_empty() {
        message = format!(
            "the optimum is on the boundary ({}): the estimates approach the limit the data support, not an \
             interior optimum (standard errors of the other parameters only); {message}",
            boundary.join(", ")
        );
    }
    Estimate {
        names,
        log_likelihood: log_likelihood(family, rows, &params),
        params,
        standard_errors,
        covariance,
        customers: rows.customers,
        distinct_rows: rows.len(),
        diagnostics: Diagnostics {
            converged,
            iterations: best.iterations,
            evaluations: best.evaluations,
            gradient_max_abs: best.gradient.iter().fold(0.0, |m, g| m.max(g.abs())),
            newton_decrement: best.newton_decrement,
            starts,
            boundary,
            message,
        },
    }
}
