//! BG/BB for discrete transaction opportunities: Fader, Hardie & Shang (2010), "Customer-Base Analysis in a
//! Discrete-Time Noncontractual Setting", Marketing Science 29(6), 1086-1108.
//!
//! At each of n opportunities an alive customer transacts with probability p ~ Beta(α, β), and dies before the
//! next with probability θ ~ Beta(γ, δ). A summary is (x, t_x, n): transactions, the last opportunity with one
//! (0 when none), and the number of opportunities. Times here count opportunities.

use crate::fit::{Family, FitRows};
use crate::math::special::{digamma, ln_beta, log_add_exp};

/// BG/BB parameters α, β (transaction probability) and γ, δ (drop-out probability).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BgBb {
    /// First shape of the Beta distribution of p.
    pub alpha: f64,
    /// Second shape of the Beta distribution of p.
    pub beta: f64,
    /// First shape of the Beta distribution of θ.
    pub gamma: f64,
    /// Second shape of the Beta distribution of θ.
    pub delta: f64,
}

/// Parameter names in files and tables.
pub const PARAMETERS: [&str; 4] = ["alpha", "beta", "gamma", "delta"];

/// ln B(a, b) and its derivatives in a and b.
fn ln_beta_with_gradient(a: f64, b: f64) -> (f64, f64, f64) {
    let d = digamma(a + b);
    (ln_beta(a, b), digamma(a) - d, digamma(b) - d)
}

impl BgBb {
    /// The model from `[alpha, beta, gamma, delta]`.
    pub fn from_params(p: &[f64]) -> BgBb {
        BgBb { alpha: p[0], beta: p[1], gamma: p[2], delta: p[3] }
    }

    /// The log terms of the likelihood (eq. 5): alive through the n opportunities, then dying after opportunity
    /// t_x + i for i = 0 .. n − t_x − 1; each with its gradient in (α, β, γ, δ).
    fn terms(&self, x: f64, t_x: f64, n: f64) -> Vec<(f64, [f64; 4])> {
        let Self { alpha, beta, gamma, delta } = *self;
        let (base_p, dp_a, dp_b) = ln_beta_with_gradient(alpha, beta);
        let (base_t, dt_g, dt_d) = ln_beta_with_gradient(gamma, delta);
        // ln B(α+x, β+m−x) − ln B(α, β) + ln B(γ+c, δ+k) − ln B(γ, δ).
        let term = |m: f64, c: f64, k: f64| {
            let (lp, ga, gb) = ln_beta_with_gradient(alpha + x, beta + m - x);
            let (lt, gg, gd) = ln_beta_with_gradient(gamma + c, delta + k);
            (lp - base_p + lt - base_t, [ga - dp_a, gb - dp_b, gg - dt_g, gd - dt_d])
        };
        let mut terms = vec![term(n, 0.0, n)];
        let mut i = 0.0;
        while t_x + i < n {
            terms.push(term(t_x + i, 1.0, t_x + i));
            i += 1.0;
        }
        terms
    }

    /// ln L(x, t_x, n) (eq. 5), a log-sum-exp of positive terms, with its gradient.
    fn log_likelihood_with_gradient(&self, x: f64, t_x: f64, n: f64) -> (f64, [f64; 4]) {
        let terms = self.terms(x, t_x, n);
        let total = terms.iter().fold(f64::NEG_INFINITY, |acc, (l, _)| log_add_exp(acc, *l));
        let mut gradient = [0.0; 4];
        for (l, g) in &terms {
            let w = (l - total).exp();
            (0..4).for_each(|j| gradient[j] += w * g[j]);
        }
        (total, gradient)
    }

    /// ln L(x, t_x, n): the log-likelihood of one customer's summary.
    pub fn log_likelihood(&self, x: f64, t_x: f64, n: f64) -> f64 {
        self.log_likelihood_with_gradient(x, t_x, n).0
    }

    /// P(alive at opportunity n + 1 | x, t_x, n) (eq. 11):
    /// B(α+x, β+n−x)/B(α, β) · B(γ, δ+n+1)/B(γ, δ) / L.
    pub fn p_alive(&self, x: f64, t_x: f64, n: f64) -> f64 {
        let Self { alpha, beta, gamma, delta } = *self;
        let alive = ln_beta(alpha + x, beta + n - x) - ln_beta(alpha, beta) + ln_beta(gamma, delta + n + 1.0)
            - ln_beta(gamma, delta);
        (alive - self.log_likelihood(x, t_x, n)).exp().min(1.0)
    }

    /// Expected transactions in the next `future` opportunities (eq. 13):
    /// (1/L) B(α+x+1, β+n−x)/B(α, β) Σ_{i=1}^{future} B(γ, δ+n+i)/B(γ, δ), the sum written term by term (it is
    /// the probability of being alive at each future opportunity; no singularity at γ = 1).
    pub fn expected_purchases(&self, x: f64, t_x: f64, n: f64, future: u32) -> f64 {
        let Self { alpha, beta, gamma, delta } = *self;
        let ln_l = self.log_likelihood(x, t_x, n);
        let ln_p = ln_beta(alpha + x + 1.0, beta + n - x) - ln_beta(alpha, beta);
        (1..=future)
            .map(|i| (ln_p + ln_beta(gamma, delta + n + f64::from(i)) - ln_beta(gamma, delta) - ln_l).exp())
            .sum()
    }

    /// Discounted expected residual transactions (Fader, Hardie & Shang 2010, section 4.4): the transactions of
    /// opportunities n + 1, n + 2, ... discounted by (1 + d)^(−k) at opportunity n + k:
    /// (1/L) B(α+x+1, β+n−x)/B(α, β) Σ_{k≥1} B(γ, δ+n+k)/B(γ, δ) (1 + d)^(−k), a 2F1(1, ...; 1/(1 + d)) series
    /// summed directly (consecutive terms differ by the factor (δ+n+k)/(γ+δ+n+k)/(1 + d)) to a 1e-15 tail bound.
    /// NaN for d ≤ 0 (the undiscounted sum diverges when γ ≤ 1).
    pub fn discounted_residual_transactions(&self, x: f64, t_x: f64, n: f64, discount: f64) -> f64 {
        if !(discount > 0.0) {
            return f64::NAN;
        }
        let Self { alpha, beta, gamma, delta } = *self;
        let ln_first = ln_beta(alpha + x + 1.0, beta + n - x) - ln_beta(alpha, beta) + ln_beta(gamma, delta + n + 1.0)
            - ln_beta(gamma, delta)
            - self.log_likelihood(x, t_x, n);
        let z = 1.0 / (1.0 + discount);
        let (mut term, mut sum) = (z, z);
        for k in 1..10_000_000u32 {
            let m = delta + n + f64::from(k);
            term *= m / (gamma + m) * z;
            sum += term;
            if term * z / (1.0 - z) <= 1e-15 * sum {
                break;
            }
        }
        ln_first.exp() * sum
    }
}

/// BG/BB as a family for the fitting engine: rows (x, t_x, n) with n in the `age` column.
#[derive(Clone, Copy, Debug, Default)]
pub struct BgBbFamily;

impl Family for BgBbFamily {
    type Cache = ();

    fn name(&self) -> &'static str {
        "bg_bb"
    }

    fn parameter_names(&self) -> &'static [&'static str] {
        &PARAMETERS
    }

    fn start(&self, _rows: &FitRows) -> Vec<f64> {
        vec![1.0, 1.0, 1.0, 1.0]
    }

    fn prepare(&self, _params: &[f64], _distinct_x: &[f64]) -> Option<()> {
        Some(())
    }

    fn row(&self, p: &[f64], _cache: &(), rows: &FitRows, i: usize, w: f64, g: &mut [f64]) -> f64 {
        let (ll, gradient) = BgBb::from_params(p).log_likelihood_with_gradient(rows.x[i], rows.t_x[i], rows.age[i]);
        g.iter_mut().zip(gradient).for_each(|(a, b)| *a += w * b);
        w * ll
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_central_differences() {
        let p = [1.2, 0.75, 0.66, 2.8];
        for (x, t_x, n) in [(0.0, 0.0, 6.0), (2.0, 4.0, 6.0), (6.0, 6.0, 6.0), (3.0, 3.0, 10.0)] {
            let (_, g) = BgBb::from_params(&p).log_likelihood_with_gradient(x, t_x, n);
            for j in 0..4 {
                let h = 1e-6 * p[j];
                let (mut up, mut down) = (p, p);
                up[j] += h;
                down[j] -= h;
                let d = (BgBb::from_params(&up).log_likelihood(x, t_x, n)
                    - BgBb::from_params(&down).log_likelihood(x, t_x, n))
                    / (2.0 * h);
                assert!((g[j] - d).abs() < 1e-7 * d.abs().max(1.0), "{j}: {} vs {d}", g[j]);
            }
        }
    }

    #[test]
    fn discounted_residual_transactions_are_the_discounted_increments() {
        let m = BgBb { alpha: 1.2, beta: 0.75, gamma: 0.66, delta: 2.8 };
        let d: f64 = 0.10;
        for (x, t_x) in [(0.0, 0.0), (2.0, 4.0), (6.0, 6.0)] {
            let mut previous = 0.0;
            let mut direct = 0.0;
            for k in 1..=600u32 {
                let now = m.expected_purchases(x, t_x, 6.0, k);
                direct += (now - previous) / (1.0 + d).powi(k as i32);
                previous = now;
            }
            let dert = m.discounted_residual_transactions(x, t_x, 6.0, d);
            assert!((dert - direct).abs() < 1e-10 * direct, "({x}, {t_x}): {dert} vs {direct}");
        }
        assert!(m.discounted_residual_transactions(2.0, 4.0, 6.0, 0.0).is_nan());
    }

    #[test]
    fn likelihood_of_all_histories_sums_to_one() {
        // Over every (x, t_x) history pattern of n = 4 opportunities (counting the sequences behind each), the
        // probabilities sum to 1: the number of 0/1 sequences with x ones, the last at t_x, is C(t_x − 1, x − 1).
        let m = BgBb { alpha: 1.2, beta: 0.75, gamma: 0.66, delta: 2.8 };
        let n = 4u32;
        let choose = |a: u32, b: u32| (0..b).fold(1.0, |acc, k| acc * f64::from(a - k) / f64::from(k + 1));
        let mut total = m.log_likelihood(0.0, 0.0, f64::from(n)).exp();
        for t_x in 1..=n {
            for x in 1..=t_x {
                total += choose(t_x - 1, x - 1) * m.log_likelihood(f64::from(x), f64::from(t_x), f64::from(n)).exp();
            }
        }
        assert!((total - 1.0).abs() < 1e-12, "{total}");
    }
}
