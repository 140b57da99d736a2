//! The shifted-beta-geometric model of contractual retention: Fader & Hardie (2007), "How to Project Customer
//! Retention", Journal of Interactive Marketing 21(1), 76-90; valuation as in Fader & Hardie (2010),
//! "Customer-Base Valuation in a Contractual Setting: The Perils of Ignoring Heterogeneity", Marketing Science 29(1).
//!
//! Each subscriber cancels at the end of each period with probability θ ~ Beta(α, β). Periods are the contract's
//! (years, months); a cohort's survival S(t) is the share still subscribed after t periods.

use super::tenures::Tenures;
use crate::count::SimulationRng;
use crate::fit::{Family, FitRows};
use crate::math::special::{digamma, ln_beta};

/// sBG parameters α, β of the Beta distribution of the per-period cancellation probability.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShiftedBetaGeometric {
    /// First shape of the Beta distribution of θ.
    pub alpha: f64,
    /// Second shape of the Beta distribution of θ.
    pub beta: f64,
}

/// Parameter names in files and tables.
pub const PARAMETERS: [&str; 2] = ["alpha", "beta"];

impl ShiftedBetaGeometric {
    /// The model from `[alpha, beta]`.
    pub fn from_params(p: &[f64]) -> ShiftedBetaGeometric {
        ShiftedBetaGeometric { alpha: p[0], beta: p[1] }
    }

    /// P(T = t): cancelling at the end of period t ≥ 1 (eq. 3): B(α + 1, β + t − 1) / B(α, β).
    pub fn probability_of_cancelling_at(&self, t: u32) -> f64 {
        (ln_beta(self.alpha + 1.0, self.beta + f64::from(t) - 1.0) - ln_beta(self.alpha, self.beta)).exp()
    }

    /// S(t): still subscribed after t periods (eq. 4): B(α, β + t) / B(α, β).
    pub fn survival(&self, t: u32) -> f64 {
        (ln_beta(self.alpha, self.beta + f64::from(t)) - ln_beta(self.alpha, self.beta)).exp()
    }

    /// r(t) = S(t)/S(t − 1) = (β + t − 1)/(α + β + t − 1): the retention rate of period t, rising with t as the
    /// cohort sorts itself (eq. 5).
    pub fn retention_rate(&self, t: u32) -> f64 {
        let t = f64::from(t);
        (self.beta + t - 1.0) / (self.alpha + self.beta + t - 1.0)
    }

    /// Discounted expected residual lifetime, in payments, of a subscriber who has survived `periods` periods
    /// and pays at the start of every period they are subscribed (the current one undiscounted), at the rate
    /// `discount` per period: Σ_k S(n + k)/S(n) / (1 + d)^k = 2F1(1, β + n; α + β + n; 1/(1 + d)) (Fader & Hardie
    /// 2010). The series is summed directly (its terms are the discounted survival probabilities) until the
    /// remaining tail, bounded geometrically, is below 1e-15 of the sum. Infinite (refused: NaN) when d = 0.
    pub fn discounted_expected_residual_lifetime(&self, periods: u32, discount: f64) -> f64 {
        if !(discount > 0.0) {
            return f64::NAN;
        }
        let (b, c) = (self.beta + f64::from(periods), self.alpha + self.beta + f64::from(periods));
        let z = 1.0 / (1.0 + discount);
        let (mut term, mut sum) = (1.0f64, 1.0f64);
        for k in 0..10_000_000u32 {
            let k = f64::from(k);
            term *= (b + k) / (c + k) * z;
            sum += term;
            // Later ratios stay below z, so the tail is at most term z / (1 − z).
            if term * z / (1.0 - z) <= 1e-15 * sum {
                break;
            }
        }
        sum
    }

    /// Log-likelihood of subscription tenures (eq. 6, with subscriptions observed for different lengths):
    /// Σ_t cancelled_t ln P(T = t) + Σ_k active_k ln S(k).
    pub fn log_likelihood(&self, tenures: &Tenures) -> f64 {
        let cancelled = tenures.cancelled.iter().enumerate().filter(|(_, n)| **n > 0.0);
        let active = tenures.active.iter().enumerate().filter(|(_, n)| **n > 0.0);
        cancelled.map(|(i, n)| n * self.probability_of_cancelling_at(i as u32 + 1).ln()).sum::<f64>()
            + active.map(|(k, n)| n * self.survival(k as u32).ln()).sum::<f64>()
    }

    /// Draws a subscriber's tenure T ≥ 1 (the period in which they cancel): θ ~ Beta(α, β), then each period
    /// ends in cancellation with probability θ. At most `limit` (a subscriber still active then returns
    /// `limit + 1`).
    pub fn draw_tenure(&self, rng: &mut SimulationRng, limit: u32) -> u32 {
        use rand::RngExt;
        use rand_distr::{Beta, Distribution};
        let theta = Beta::new(self.alpha, self.beta).map_or(1.0, |b| b.sample(rng));
        (1..=limit).find(|_| rng.random::<f64>() < theta).unwrap_or(limit + 1)
    }
}

/// The sBG as a family for the fitting engine (rows from [`Tenures::rows`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct SbgFamily;

impl Family for SbgFamily {
    type Cache = ();

    fn name(&self) -> &'static str {
        "sbg"
    }

    fn parameter_names(&self) -> &'static [&'static str] {
        &PARAMETERS
    }

    fn start(&self, _rows: &FitRows) -> Vec<f64> {
        vec![1.0, 1.0]
    }

    fn prepare(&self, _params: &[f64], _distinct_x: &[f64]) -> Option<()> {
        Some(())
    }

    /// ln P(T = t) = ln B(α + 1, β + t − 1) − ln B(α, β), or ln S(t) = ln B(α, β + t) − ln B(α, β), with digamma
    /// derivatives.
    fn row(&self, p: &[f64], _cache: &(), rows: &FitRows, i: usize, w: f64, g: &mut [f64]) -> f64 {
        let (alpha, beta) = (p[0], p[1]);
        let t = rows.x[i];
        let (a, b) = if rows.t_x[i] > 0.0 { (alpha + 1.0, beta + t - 1.0) } else { (alpha, beta + t) };
        let (d_ab, d_base) = (digamma(a + b), digamma(alpha + beta));
        g[0] += w * (digamma(a) - d_ab - digamma(alpha) + d_base);
        g[1] += w * (digamma(b) - d_ab - digamma(beta) + d_base);
        w * (ln_beta(a, b) - ln_beta(alpha, beta))
    }
}
