//! BG/BB for discrete transaction opportunities: Fader, Hardie & Shang (2010), "Customer-Base Analysis in a
//! Discrete-Time Noncontractual Setting", Marketing Science 29(6), 1086-1108.
//!
//! At each of n opportunities an alive customer transacts with probability p ~ Beta(α, β), and dies before the
//! next with probability θ ~ Beta(γ, δ). A summary is (x, t_x, n): transactions, the last opportunity with one
//! (0 when none), and the number of opportunities. Times here count opportunities.

use super::{CountModel, SimulationRng};
use crate::fit::{Family, FitRows};
use crate::math::special::{digamma, ln_beta, ln_gamma, log_add_exp};

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

/// One customer's likelihood: its log, the share of it from being alive throughout, and its gradient (zeros
/// when not asked for).
struct Likelihood {
    log: f64,
    alive_share: f64,
    gradient: [f64; 4],
}

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

    /// ln L(x, t_x, n) (eq. 5), the share of L from being alive through the n opportunities, and (when
    /// `GRADIENT`) the gradient in (α, β, γ, δ). L is a sum of positive terms, alive throughout, or dying after
    /// opportunity m = t_x, ..., n − 1: ln B(α+x, β+m−x) − ln B(α, β) + ln B(γ+1, δ+m) − ln B(γ, δ). The dying
    /// terms are walked by recurrence: from m to m + 1 a term is multiplied by (β+m−x)/(α+β+m) · (δ+m)/(γ+δ+m+1)
    /// (each factor below 1) and its digamma derivatives move by reciprocals (ψ(z + 1) = ψ(z) + 1/z), so a
    /// customer costs a handful of special functions however many opportunities they had.
    fn likelihood<const GRADIENT: bool>(&self, x: f64, t_x: f64, n: f64) -> Likelihood {
        let Self { alpha, beta, gamma, delta } = *self;
        let ln_beta_maybe_gradient =
            |a: f64, b: f64| if GRADIENT { ln_beta_with_gradient(a, b) } else { (ln_beta(a, b), 0.0, 0.0) };
        let (base_p, dp_a, dp_b) = ln_beta_maybe_gradient(alpha, beta);
        let (base_t, dt_g, dt_d) = ln_beta_maybe_gradient(gamma, delta);
        let term = |m: f64, c: f64| {
            let (lp, ga, gb) = ln_beta_maybe_gradient(alpha + x, beta + m - x);
            let (lt, gg, gd) = ln_beta_maybe_gradient(gamma + c, delta + m);
            (lp - base_p + lt - base_t, [ga - dp_a, gb - dp_b, gg - dt_g, gd - dt_d])
        };
        let (alive, alive_gradient) = term(n, 0.0);
        if t_x >= n {
            return Likelihood { log: alive, alive_share: 1.0, gradient: alive_gradient };
        }
        // Dying terms relative to the first (m = t_x): weights w and gradients g by recurrence.
        let (first, mut g) = term(t_x, 1.0);
        let (mut w, mut sum_w, mut sum_wg) = (1.0, 1.0, g);
        let mut m = t_x;
        while m + 1.0 < n {
            let (p_total, t_total) = (alpha + beta + m, gamma + delta + m + 1.0);
            w *= (beta + m - x) / p_total * (delta + m) / t_total;
            sum_w += w;
            if GRADIENT {
                g[0] -= 1.0 / p_total;
                g[1] += 1.0 / (beta + m - x) - 1.0 / p_total;
                g[2] -= 1.0 / t_total;
                g[3] += 1.0 / (delta + m) - 1.0 / t_total;
                (0..4).for_each(|j| sum_wg[j] += w * g[j]);
            }
            m += 1.0;
        }
        let dying = first + sum_w.ln();
        let log = log_add_exp(alive, dying);
        let (alive_share, dying_share) = ((alive - log).exp(), (dying - log).exp());
        let gradient = std::array::from_fn(|j| alive_share * alive_gradient[j] + dying_share * sum_wg[j] / sum_w);
        Likelihood { log, alive_share, gradient }
    }

    /// B(γ, δ+m+i)/B(γ, δ+m+1) for i = 1, 2, ...: the chance that a customer alive at opportunity m + 1 is still
    /// alive at opportunity m + i, averaged over the posterior of θ (each step multiplies by (δ+m+i)/(γ+δ+m+i)).
    fn survival_after(&self, m: f64) -> impl Iterator<Item = f64> {
        let Self { gamma, delta, .. } = *self;
        (1u32..).scan(1.0, move |survival, i| {
            let now = *survival;
            let k = delta + m + f64::from(i);
            *survival *= k / (gamma + k);
            Some(now)
        })
    }
}

impl CountModel for BgBb {
    fn name(&self) -> &'static str {
        "bg_bb"
    }

    fn parameters(&self) -> Vec<(&'static str, f64)> {
        PARAMETERS.into_iter().zip([self.alpha, self.beta, self.gamma, self.delta]).collect()
    }

    fn log_likelihood(&self, x: f64, t_x: f64, age: f64) -> f64 {
        self.likelihood::<false>(x, t_x, age).log
    }

    fn is_discrete(&self) -> bool {
        true
    }

    /// E[X(n)] (eq. 9) for n = ⌊t⌋ opportunities: α/(α+β) Σ_{i=1}^{n} B(γ, δ+i)/B(γ, δ), written as the mean
    /// transaction probability times the chance of being alive at each opportunity (no singularity at γ = 1).
    fn expected_purchases_new(&self, t: f64) -> f64 {
        let opportunities = t.max(0.0).floor() as usize;
        let alive_at_one = self.delta / (self.gamma + self.delta);
        self.alpha / (self.alpha + self.beta) * alive_at_one * self.survival_after(0.0).take(opportunities).sum::<f64>()
    }

    /// Eq. 13 divided by P(alive) (eq. 11): (α+x)/(α+β+n) Σ_{i=1}^{⌊t⌋} B(γ, δ+n+i)/B(γ, δ+n+1).
    fn expected_purchases_if_alive(&self, x: f64, age: f64, t: f64) -> f64 {
        let opportunities = t.max(0.0).floor() as usize;
        (self.alpha + x) / (self.alpha + self.beta + age) * self.survival_after(age).take(opportunities).sum::<f64>()
    }

    /// P(alive at opportunity n + 1 | x, t_x, n) (eq. 11): B(α+x, β+n−x)/B(α, β) · B(γ, δ+n+1)/B(γ, δ) / L, the
    /// alive-throughout share of L times the chance of surviving one more opportunity, (δ+n)/(γ+δ+n).
    fn p_alive(&self, x: f64, t_x: f64, age: f64) -> f64 {
        let n = age;
        (self.likelihood::<false>(x, t_x, n).alive_share * (self.delta + n) / (self.gamma + self.delta + n)).min(1.0)
    }

    /// P(X(n) = k) for n = ⌊t⌋ opportunities (eq. 8): alive throughout with k transactions, or dead after
    /// opportunity i ≥ k with k transactions before, each a product of Beta functions (in log space).
    fn probability_of_purchases(&self, t: f64, k: u32) -> f64 {
        let Self { alpha, beta, gamma, delta } = *self;
        let n = t.max(0.0).floor();
        let k = f64::from(k);
        if k > n {
            return 0.0;
        }
        let ln_choose = |m: f64| ln_gamma(m + 1.0) - ln_gamma(k + 1.0) - ln_gamma(m - k + 1.0);
        let ln_p = |m: f64| ln_choose(m) + ln_beta(alpha + k, beta + m - k) - ln_beta(alpha, beta);
        let mut total = (ln_p(n) + ln_beta(gamma, delta + n) - ln_beta(gamma, delta)).exp();
        let mut i = k;
        while i < n {
            total += (ln_p(i) + ln_beta(gamma + 1.0, delta + i) - ln_beta(gamma, delta)).exp();
            i += 1.0;
        }
        total
    }

    /// DERT given alive (Fader, Hardie & Shang 2010, section 4.4): (α+x)/(α+β+n) Σ_{k≥1} B(γ, δ+n+k)/B(γ, δ+n+1)
    /// e^(−δk), the transaction at opportunity n + k discounted by e^(−δk) (δ = ln(1 + d) for a rate d per
    /// opportunity): a 2F1(1, ...; e^(−δ)) series summed directly to a 1e-15 tail bound (its terms fall faster
    /// than e^(−δk)). NaN for δ ≤ 0 (the undiscounted sum diverges when γ ≤ 1).
    fn residual_purchases_if_alive(&self, x: f64, age: f64, delta: f64) -> f64 {
        if !(delta > 0.0) {
            return f64::NAN;
        }
        let z = (-delta).exp();
        let mut sum = 0.0;
        let mut factor = 1.0;
        for survival in self.survival_after(age).take(100_000_000) {
            factor *= z;
            let term = survival * factor;
            sum += term;
            if term * z / (1.0 - z) <= 1e-15 * sum {
                break;
            }
        }
        (self.alpha + x) / (self.alpha + self.beta + age) * sum
    }

    /// Draws p ~ Beta(α, β) and θ ~ Beta(γ, δ); at each opportunity 1, 2, ..., ⌊horizon⌋ the customer first dies
    /// with probability θ, else transacts with probability p. Times are the opportunity numbers.
    fn draw_repeat_times(&self, rng: &mut SimulationRng, horizon: f64, limit: usize, times: &mut Vec<f64>) {
        use rand::RngExt;
        use rand_distr::{Beta, Distribution};
        let p = Beta::new(self.alpha, self.beta).map_or(0.0, |b| b.sample(rng));
        let theta = Beta::new(self.gamma, self.delta).map_or(1.0, |b| b.sample(rng));
        let mut opportunity = 1.0;
        while opportunity <= horizon && times.len() < limit {
            if rng.random::<f64>() < theta {
                return;
            }
            if rng.random::<f64>() < p {
                times.push(opportunity);
            }
            opportunity += 1.0;
        }
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
        let likelihood = BgBb::from_params(p).likelihood::<true>(rows.x[i], rows.t_x[i], rows.age[i]);
        g.iter_mut().zip(likelihood.gradient).for_each(|(a, b)| *a += w * b);
        w * likelihood.log
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_central_differences() {
        let p = [1.2, 0.75, 0.66, 2.8];
        for (x, t_x, n) in [(0.0, 0.0, 6.0), (2.0, 4.0, 6.0), (6.0, 6.0, 6.0), (3.0, 3.0, 10.0), (1.0, 2.0, 60.0)] {
            let g = BgBb::from_params(&p).likelihood::<true>(x, t_x, n).gradient;
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
                let now = m.expected_purchases(x, t_x, 6.0, f64::from(k));
                direct += (now - previous) / (1.0 + d).powi(k as i32);
                previous = now;
            }
            let dert = m.discounted_residual_purchases(x, t_x, 6.0, d.ln_1p());
            assert!((dert - direct).abs() < 1e-10 * direct, "({x}, {t_x}): {dert} vs {direct}");
        }
        assert!(m.discounted_residual_purchases(2.0, 4.0, 6.0, 0.0).is_nan());
        // Horizons count whole opportunities.
        assert_eq!(m.expected_purchases(2.0, 4.0, 6.0, 3.7), m.expected_purchases(2.0, 4.0, 6.0, 3.0));
    }

    #[test]
    fn conditional_expectation_is_the_posterior_mean() {
        // Independent of eqs. 11 and 13: integrate p Σ_i (1 − θ)^i P(alive at n | p, θ, history) against the
        // posterior of (p, θ) by nested quadrature.
        use crate::math::quadrature::integrate;
        let m = BgBb { alpha: 1.2, beta: 0.75, gamma: 0.66, delta: 2.8 };
        let (n, future) = (6.0, 5);
        for (x, t_x) in [(0.0, 0.0), (2.0, 4.0), (6.0, 6.0), (1.0, 1.0)] {
            let individual = |p: f64, q: f64| {
                let alive = p.powf(x) * (1.0 - p).powf(n - x) * (1.0 - q).powf(n);
                let dead: f64 = (0..(n - t_x) as i32)
                    .map(|i| {
                        p.powf(x) * (1.0 - p).powf(t_x - x + f64::from(i)) * q * (1.0 - q).powf(t_x + f64::from(i))
                    })
                    .sum();
                (alive, alive + dead)
            };
            let prior = |p: f64, q: f64| {
                ((m.alpha - 1.0) * p.ln()
                    + (m.beta - 1.0) * (1.0 - p).ln()
                    + (m.gamma - 1.0) * q.ln()
                    + (m.delta - 1.0) * (1.0 - q).ln()
                    - ln_beta(m.alpha, m.beta)
                    - ln_beta(m.gamma, m.delta))
                .exp()
            };
            let over = |f: &dyn Fn(f64, f64) -> f64| {
                integrate(&|p| integrate(&|q| f(p, q) * prior(p, q), 0.0, 1.0, 1e-12), 0.0, 1.0, 1e-12)
            };
            let evidence = over(&|p, q| individual(p, q).1);
            let expected = over(&|p, q| {
                let future_alive: f64 = (1..=future).map(|i| (1.0 - q).powi(i)).sum();
                individual(p, q).0 * p * future_alive
            }) / evidence;
            let alive = over(&|p, q| individual(p, q).0 * (1.0 - q)) / evidence;
            let got = m.expected_purchases(x, t_x, n, f64::from(future));
            assert!((got - expected).abs() < 1e-6 * expected, "({x}, {t_x}): {got} vs {expected}");
            assert!((m.p_alive(x, t_x, n) - alive).abs() < 1e-6 * alive, "P(alive) ({x}, {t_x})");
            assert!((evidence.ln() - m.log_likelihood(x, t_x, n)).abs() < 1e-6, "L ({x}, {t_x})");
        }
    }

    #[test]
    fn the_pmf_sums_to_one_and_its_mean_is_the_expectation() {
        let m = BgBb { alpha: 1.2, beta: 0.75, gamma: 0.66, delta: 2.8 };
        for n in [0u32, 1, 6, 30] {
            let t = f64::from(n) + 0.5;
            let p: Vec<f64> = (0..=n + 1).map(|k| m.probability_of_purchases(t, k)).collect();
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12, "n = {n}");
            assert_eq!(p[n as usize + 1], 0.0);
            let mean: f64 = p.iter().enumerate().map(|(k, q)| k as f64 * q).sum();
            let want = m.expected_purchases_new(t);
            assert!((mean - want).abs() < 1e-12 * want.max(1.0), "n = {n}: {mean} vs {want}");
            let fresh = m.expected_purchases(0.0, 0.0, 0.0, t);
            assert!((fresh - want).abs() < 1e-14 * want.max(1.0), "a customer at n = 0 is a new one");
        }
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
