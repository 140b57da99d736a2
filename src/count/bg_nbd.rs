//! BG/NBD: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to the Pareto/NBD
//! Model", Marketing Science 24(2), 275-284; and Hardie's note on the numerically stable log-likelihood.
//!
//! While active a customer buys at Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with
//! probability p ~ Beta(a, b).

use super::CountModel;
use crate::fit::{Family, FitRows, add_symmetric};
use crate::math::hyp2f1::ln_hyp2f1;
use crate::math::incomplete_gamma::upper_gamma_ratio;
use crate::math::quadrature::integrate;
use crate::math::special::{beta_regularized, digamma, ln_beta, ln_gamma, log_add_exp, trigamma};

/// Parameters of the beta-geometric drop-out models: r, α (purchase rate heterogeneity, α in the model's time
/// unit) and a, b (drop-out). `MODIFIED = false` is BG/NBD (drop-out possible after each repeat purchase);
/// `MODIFIED = true` is MBG/NBD (Batislam, Denizel & Filiztekin 2007: also right after the first purchase). One
/// implementation serves both: MBG/NBD is BG/NBD with the drop-out posterior shifted by one purchase.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DropoutNbd<const MODIFIED: bool> {
    /// Shape of the Gamma distribution of λ.
    pub r: f64,
    /// Rate (scale of time) of the Gamma distribution of λ.
    pub alpha: f64,
    /// First shape of the Beta distribution of p.
    pub a: f64,
    /// Second shape of the Beta distribution of p.
    pub b: f64,
}

/// BG/NBD (Fader, Hardie & Lee 2005).
pub type BgNbd = DropoutNbd<false>;

/// Parameter names in files and tables.
pub const PARAMETERS: [&str; 4] = ["r", "alpha", "a", "b"];

/// Width around a = 1 where the (a + b + x − 1)/(a − 1) [1 − ...] forms are 0/0: values there are interpolated
/// linearly between a = 1 ± this (the function is smooth in a; the error is of order this squared).
const A_NEAR_ONE: f64 = 1e-4;

impl<const MODIFIED: bool> DropoutNbd<MODIFIED> {
    /// The model from `[r, alpha, a, b]`.
    pub fn from_params(p: &[f64]) -> Self {
        Self { r: p[0], alpha: p[1], a: p[2], b: p[3] }
    }

    /// The drop-out posterior's shift: surviving x repeat purchases means x (BG/NBD) or x + 1 (MBG/NBD) survived
    /// drop-out chances.
    const SHIFT: f64 = if MODIFIED { 1.0 } else { 0.0 };

    /// ln of the odds that a customer is inactive: ln[(a/(b + x − 1)) ((α + T)/(α + t_x))^(r + x)] for x > 0
    /// (eq. 13's second term); −∞ for x = 0 (a customer without repeat purchase cannot have dropped out).
    fn ln_dropout_odds(&self, x: f64, t_x: f64, age: f64) -> f64 {
        if !MODIFIED && x == 0.0 {
            return f64::NEG_INFINITY;
        }
        self.a.ln() - (self.b + x - 1.0 + Self::SHIFT).ln()
            + (self.r + x) * ((self.alpha + age).ln() - (self.alpha + t_x).ln())
    }

    /// Evaluates `f(a)` at this model's a, interpolating across the removable singularity at a = 1.
    fn across_a_one(&self, f: impl Fn(f64) -> f64) -> f64 {
        if (self.a - 1.0).abs() >= A_NEAR_ONE {
            return f(self.a);
        }
        let (lo, hi) = (f(1.0 - A_NEAR_ONE), f(1.0 + A_NEAR_ONE));
        lo + (hi - lo) * (self.a - (1.0 - A_NEAR_ONE)) / (2.0 * A_NEAR_ONE)
    }
}

impl<const MODIFIED: bool> CountModel for DropoutNbd<MODIFIED> {
    fn name(&self) -> &'static str {
        if MODIFIED { "mbg_nbd" } else { "bg_nbd" }
    }

    fn parameters(&self) -> Vec<(&'static str, f64)> {
        PARAMETERS.iter().copied().zip([self.r, self.alpha, self.a, self.b]).collect()
    }

    /// Eq. 6 in the stable form of Hardie's note: ln A1 + ln A2 + ln(e^{ln A3} + δ e^{ln A4}).
    fn log_likelihood(&self, x: f64, t_x: f64, age: f64) -> f64 {
        let Self { r, alpha, a, b } = *self;
        let s = Self::SHIFT;
        let ln_a3 = -(r + x) * (alpha + age).ln();
        let mut tail = ln_a3;
        if MODIFIED || x > 0.0 {
            let ln_a4 = a.ln() - (b + x - 1.0 + s).ln() - (r + x) * (alpha + t_x).ln();
            tail = log_add_exp(ln_a3, ln_a4);
        }
        ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + ln_beta(a, b + x + s) - ln_beta(a, b) + tail
    }

    /// Eq. 9: E[X(t)] = E[Y(t) | x = 0, t_x = 0, T = 0]: (a + b − 1)/(a − 1) [1 − (α/(α + t))^r 2F1(r, b; a + b − 1;
    /// t/(α + t))] for BG/NBD, b/(a − 1) [1 − (α/(α + t))^r 2F1(r, b + 1; a + b; t/(α + t))] for MBG/NBD.
    fn expected_purchases_new(&self, t: f64) -> f64 {
        self.expected_purchases(0.0, 0.0, 0.0, t)
    }

    /// Eq. 10 without its P(alive) factor: (a + b + x − 1)/(a − 1) [1 − ((α + T)/(α + T + t))^(r+x)
    /// 2F1(r + x, b + x; a + b + x − 1; t/(α + T + t))], with 1 − G formed as −expm1(ln G).
    fn expected_purchases_if_alive(&self, x: f64, age: f64, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let Self { r, alpha, b, .. } = *self;
        let b = b + Self::SHIFT;
        let z = t / (alpha + age + t);
        self.across_a_one(|a| {
            let ln_f = ln_hyp2f1(r + x, b + x, a + b + x - 1.0, z).unwrap_or(f64::NAN);
            let ln_g = -(r + x) * (t / (alpha + age)).ln_1p() + ln_f;
            (a + b + x - 1.0) / (a - 1.0) * -ln_g.exp_m1()
        })
    }

    /// Eq. 13 as a logistic of the log drop-out odds: 1/(1 + e^{ln odds}), never 1/(1 + huge).
    fn p_alive(&self, x: f64, t_x: f64, age: f64) -> f64 {
        let odds = self.ln_dropout_odds(x, t_x, age);
        if odds > 0.0 { (-odds).exp() / (1.0 + (-odds).exp()) } else { 1.0 / (1.0 + odds.exp()) }
    }

    /// DERT = P(alive) E[λ/(δ + pλ)] with λ | alive ~ Gamma(r + x, α + T) and p | alive ~ Beta(a, b + x),
    /// independent (no closed form is published). The λ-expectation is in closed form:
    /// E[λ/(δ + pλ)] = (1 − φ(z))/p with z = δ(α + T)/p and φ(z) = z R(1 − r − x, z) (the upper incomplete gamma
    /// ratio); the p-expectation is integrated adaptively, p = u^(1/a) below 1/2 and p = 1 − v^(1/(b+x)) above, so
    /// that both ends of the Beta density are smooth.
    fn residual_purchases_if_alive(&self, x: f64, age: f64, delta: f64) -> f64 {
        let Self { r, alpha, a, b } = *self;
        let (k, c, b_post) = (r + x, alpha + age, b + x + Self::SHIFT);
        let one_minus_phi = |p: f64| {
            let z = c * delta / p;
            if z > 1e6 {
                // φ(z) = E[(1 + u/z)^(−k)], u ~ Exp(1): 1 − φ = k/z − k(k+1)/z² + k(k+1)(k+2)/z³ − ...
                k / z * (1.0 - (k + 1.0) / z * (1.0 - (k + 2.0) / z))
            } else {
                1.0 - z * upper_gamma_ratio(1.0 - k, z)
            }
        };
        let h = |p: f64| if p > 0.0 { one_minus_phi(p) / p } else { k / (c * delta) };
        let lower = |u: f64| {
            let p = u.powf(1.0 / a);
            h(p) * (1.0 - p).powf(b_post - 1.0) / a
        };
        let upper = |v: f64| {
            let p = 1.0 - v.powf(1.0 / b_post);
            h(p) * p.powf(a - 1.0) / b_post
        };
        let halves = integrate(&lower, 0.0, 0.5f64.powf(a), 1e-9) + integrate(&upper, 0.0, 0.5f64.powf(b_post), 1e-9);
        halves / ln_beta(a, b_post).exp()
    }

    /// λ ~ Gamma(r, α), p ~ Beta(a, b); exponential gaps at rate λ; after each repeat purchase the customer drops
    /// out with probability p (the model's story, Fader, Hardie & Lee 2005, section 3).
    fn draw_repeat_times(&self, rng: &mut super::SimulationRng, horizon: f64, limit: usize, times: &mut Vec<f64>) {
        use rand::RngExt;
        use rand_distr::{Beta, Distribution, Gamma};
        let lambda = Gamma::new(self.r, 1.0 / self.alpha).map_or(0.0, |g| g.sample(rng));
        let p = Beta::new(self.a, self.b).map_or(1.0, |b| b.sample(rng));
        // MBG/NBD: the customer may drop out right after the first purchase.
        if MODIFIED && rng.random::<f64>() < p {
            return;
        }
        super::draw_purchases(rng, lambda, horizon, limit, times, |rng| rng.random::<f64>() < p);
    }

    /// Eq. 8: the NBD term for a customer still active at t, plus (n > 0) the drop-out term, whose
    /// 1 − Σ_{j<n} NBD(j) is the NBD tail, computed as the regularised incomplete beta I_{t/(α+t)}(n, r)
    /// so that it keeps its precision when tiny.
    fn probability_of_purchases(&self, t: f64, n: u32) -> f64 {
        let Self { r, alpha, a, b } = *self;
        let nf = f64::from(n);
        if t <= 0.0 {
            return if n == 0 { 1.0 } else { 0.0 };
        }
        let ln_p = (alpha / (alpha + t)).ln();
        let ln_q = (t / (alpha + t)).ln();
        let s = Self::SHIFT;
        let active = ln_beta(a, b + nf + s) - ln_beta(a, b) + ln_gamma(r + nf) - ln_gamma(r) - ln_gamma(nf + 1.0)
            + r * ln_p
            + nf * ln_q;
        let mut p = active.exp();
        if MODIFIED || n > 0 {
            let tail = if n == 0 { 1.0 } else { beta_regularized(nf, r, t / (alpha + t)) };
            p += (ln_beta(a + 1.0, b + nf - 1.0 + s) - ln_beta(a, b)).exp() * tail;
        }
        p
    }
}

/// BG/NBD as a family for the fitting engine.
#[derive(Clone, Copy, Debug, Default)]
pub struct DropoutFamily<const MODIFIED: bool>;

/// BG/NBD for the fitting engine.
pub type BgNbdFamily = DropoutFamily<false>;

/// Per-distinct-x terms of the BG/NBD likelihood and its gradient.
pub struct BgNbdCache {
    ln_alpha: f64,
    per_x: Vec<XTerms>,
}

struct XTerms {
    /// ln Γ(r + x) − ln Γ(r) + ln B(a, b + x) − ln B(a, b).
    ln_const: f64,
    /// ψ(r + x) − ψ(r).
    d_r: f64,
    /// ψ(a + b) − ψ(a + b + x).
    d_a: f64,
    /// ψ(a + b) + ψ(b + x) − ψ(b) − ψ(a + b + x).
    d_b: f64,
    /// ln a − ln(b + x − 1) (x > 0).
    ln_a_over: f64,
    /// 1/(b + x − 1) (x > 0).
    inv_b_x1: f64,
    /// ψ'(r + x) − ψ'(r).
    h_rr: f64,
    /// ψ'(a + b) − ψ'(a + b + x): the aa and ab second derivatives.
    h_aa: f64,
    /// ψ'(a + b) + ψ'(b + x) − ψ'(b) − ψ'(a + b + x).
    h_bb: f64,
}

impl<const MODIFIED: bool> DropoutFamily<MODIFIED> {
    const SHIFT: f64 = if MODIFIED { 1.0 } else { 0.0 };

    /// `w` × ln L of row `i`, adding `w` × its gradient into `g` and, when asked, `w` × its Hessian into `h`
    /// (natural parameters r, α, a, b). ln L = K(x) + r ln α + LSE(ℓ3, ℓ4) with ℓ3 = −(r+x) ln(α+T) and
    /// ℓ4 = ln a − ln(b+x−1) − (r+x) ln(α+t_x); the Hessian of the log-sum-exp is
    /// w3 ∇²ℓ3 + w4 ∇²ℓ4 + w3 w4 (∇ℓ3 − ∇ℓ4)(∇ℓ3 − ∇ℓ4)ᵀ.
    #[allow(clippy::too_many_arguments)]
    fn accumulate(
        &self,
        p: &[f64],
        cache: &BgNbdCache,
        rows: &FitRows,
        i: usize,
        w: f64,
        g: &mut [f64],
        h: Option<&mut [f64]>,
    ) -> f64 {
        let (r, alpha, a) = (p[0], p[1], p[2]);
        let (x, t_x, age) = (rows.x[i], rows.t_x[i], rows.age[i]);
        let terms = &cache.per_x[rows.x_slot[i] as usize];
        let ln_at = (alpha + age).ln();
        let ln_a3 = -(r + x) * ln_at;
        // Weights of the two terms of the log-sum-exp (w4 = 0 for x = 0).
        let (tail, w3, w4, ln_atx) = if MODIFIED || x > 0.0 {
            let ln_atx = (alpha + t_x).ln();
            let ln_a4 = terms.ln_a_over - (r + x) * ln_atx;
            // log-sum-exp and its two weights from a single exponential.
            let e = (-(ln_a3 - ln_a4).abs()).exp();
            let (w_hi, w_lo) = (1.0 / (1.0 + e), e / (1.0 + e));
            let tail = ln_a3.max(ln_a4) + e.ln_1p();
            let (w3, w4) = if ln_a3 >= ln_a4 { (w_hi, w_lo) } else { (w_lo, w_hi) };
            (tail, w3, w4, ln_atx)
        } else {
            (ln_a3, 1.0, 0.0, 0.0)
        };
        let inv_at = 1.0 / (alpha + age);
        let inv_atx = if MODIFIED || x > 0.0 { 1.0 / (alpha + t_x) } else { 0.0 };
        g[0] += w * (terms.d_r + cache.ln_alpha - w3 * ln_at - w4 * ln_atx);
        g[1] += w * (r / alpha - (r + x) * (w3 * inv_at + w4 * inv_atx));
        g[2] += w * (terms.d_a + w4 / a);
        g[3] += w * (terms.d_b - w4 * terms.inv_b_x1);
        if let Some(h) = h {
            // ∇ℓ3 − ∇ℓ4 in (r, α, a, b).
            let diff = if MODIFIED || x > 0.0 {
                [ln_atx - ln_at, (r + x) * (inv_atx - inv_at), -1.0 / a, terms.inv_b_x1]
            } else {
                [0.0; 4]
            };
            let mut add = |j: usize, k: usize, v: f64| add_symmetric(h, 4, j, k, w * v);
            add(0, 0, terms.h_rr);
            add(0, 1, 1.0 / alpha - w3 * inv_at - w4 * inv_atx);
            add(1, 1, -r / (alpha * alpha) + (r + x) * (w3 * inv_at * inv_at + w4 * inv_atx * inv_atx));
            add(2, 2, terms.h_aa - w4 / (a * a));
            add(2, 3, terms.h_aa);
            add(3, 3, terms.h_bb + w4 * terms.inv_b_x1 * terms.inv_b_x1);
            let c = w3 * w4;
            for j in 0..4 {
                for k in j..4 {
                    add(j, k, c * diff[j] * diff[k]);
                }
            }
        }
        w * (terms.ln_const + r * cache.ln_alpha + tail)
    }
}

impl<const MODIFIED: bool> Family for DropoutFamily<MODIFIED> {
    type Cache = BgNbdCache;

    fn name(&self) -> &'static str {
        if MODIFIED { "mbg_nbd" } else { "bg_nbd" }
    }

    fn parameter_names(&self) -> &'static [&'static str] {
        &PARAMETERS
    }

    fn start(&self, rows: &FitRows) -> Vec<f64> {
        vec![1.0, rows.mean_age().max(1e-3), 1.0, 1.0]
    }

    fn prepare(&self, p: &[f64], distinct_x: &[f64]) -> Option<BgNbdCache> {
        let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
        let (lg_r, dg_r) = (ln_gamma(r), digamma(r));
        let (lg_b, dg_b, lg_ab, dg_ab) = (ln_gamma(b), digamma(b), ln_gamma(a + b), digamma(a + b));
        let (tg_r, tg_b, tg_ab) = (trigamma(r), trigamma(b), trigamma(a + b));
        let b_shift = b + Self::SHIFT;
        let per_x = distinct_x
            .iter()
            .map(|&x| XTerms {
                ln_const: ln_gamma(r + x) - lg_r + lg_ab + ln_gamma(b_shift + x) - lg_b - ln_gamma(a + b_shift + x),
                d_r: digamma(r + x) - dg_r,
                d_a: dg_ab - digamma(a + b_shift + x),
                d_b: dg_ab + digamma(b_shift + x) - dg_b - digamma(a + b_shift + x),
                // BG/NBD uses these only when x > 0 (b + x − 1 may be 0 or negative for x = 0).
                ln_a_over: if MODIFIED || x > 0.0 { a.ln() - (b_shift + x - 1.0).ln() } else { 0.0 },
                inv_b_x1: if MODIFIED || x > 0.0 { 1.0 / (b_shift + x - 1.0) } else { 0.0 },
                h_rr: trigamma(r + x) - tg_r,
                h_aa: tg_ab - trigamma(a + b_shift + x),
                h_bb: tg_ab + trigamma(b_shift + x) - tg_b - trigamma(a + b_shift + x),
            })
            .collect();
        Some(BgNbdCache { ln_alpha: alpha.ln(), per_x })
    }

    fn row(&self, p: &[f64], cache: &BgNbdCache, rows: &FitRows, i: usize, w: f64, g: &mut [f64]) -> f64 {
        self.accumulate(p, cache, rows, i, w, g, None)
    }

    fn has_hessian(&self) -> bool {
        true
    }

    #[allow(clippy::too_many_arguments)]
    fn row_with_hessian(
        &self,
        p: &[f64],
        cache: &BgNbdCache,
        rows: &FitRows,
        i: usize,
        w: f64,
        g: &mut [f64],
        h: &mut [f64],
    ) -> f64 {
        self.accumulate(p, cache, rows, i, w, g, Some(h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn reference() -> Value {
        serde_json::from_str(include_str!("../../tests/reference/published.json")).unwrap()
    }

    fn model(v: &Value) -> BgNbd {
        BgNbd::from_params(&PARAMETERS.map(|k| v[k].as_f64().unwrap()))
    }

    fn close(got: f64, want: f64, tol: f64, what: &str) {
        assert!((got - want).abs() <= tol, "{what}: got {got}, want {want} (tolerance {tol})");
    }

    #[test]
    fn stable_log_likelihood_cases_including_x_200() {
        let r = reference();
        let cases = &r["cdnow_sample"]["bg_nbd"]["stable_log_likelihood_cases"];
        let m = model(&cases["params"]);
        let age = cases["T"].as_f64().unwrap();
        for case in cases["cases"].as_array().unwrap() {
            let (x, t_x) = (case["x"].as_f64().unwrap(), case["t_x"].as_f64().unwrap());
            let want = case["loglik"].as_f64().unwrap();
            // The reference values are given to 8 significant digits.
            close(m.log_likelihood(x, t_x, age), want, 1e-7 * want.abs().max(1.0), &format!("x = {x}"));
        }
        let ll = m.log_likelihood(5000.0, 39.0, 40.0);
        assert!(ll.is_finite(), "x in the thousands: {ll}");
    }

    #[test]
    fn paper_example_customer_and_the_unconditional_table() {
        let r = reference();
        let bg = &r["cdnow_sample"]["bg_nbd"];
        let m = model(&bg["mle"]["params"]);
        let ex = &bg["paper_example_customer"];
        let f = |k: &str| ex[k].as_f64().unwrap();
        // 1.22591 at the MLE (the paper prints 1.226).
        close(m.expected_purchases(f("x"), f("t_x"), f("T"), f("t")), 1.22591, 5e-6, "example customer");
        let table = &bg["unconditional_expected_purchases_at_mle"];
        let tol = table["tolerance_abs"].as_f64().unwrap();
        for (t, want) in table["t"].as_array().unwrap().iter().zip(table["value"].as_array().unwrap()) {
            let t = t.as_f64().unwrap();
            close(m.expected_purchases_new(t), want.as_f64().unwrap(), tol, &format!("E[X({t})]"));
        }
    }

    #[test]
    fn probability_table_of_the_btyd_documentation() {
        let r = reference();
        let pmf = &r["cdnow_sample"]["bg_nbd"]["pmf_at_published_params"];
        let m = model(&pmf["params"]);
        for case in pmf["cases"].as_array().unwrap() {
            let (t, n, want) = (case["t"].as_f64().unwrap(), case["n"].as_u64().unwrap(), case["p"].as_f64().unwrap());
            // Values are printed to 6-8 significant digits.
            close(m.probability_of_purchases(t, n as u32), want, 5e-6 * want, &format!("P(X({t}) = {n})"));
        }
        let total: f64 = (0..400).map(|n| m.probability_of_purchases(30.0, n)).sum();
        close(total, 1.0, 1e-9, "probabilities sum to 1");
        let mean: f64 = (0..2000).map(|n| f64::from(n) * m.probability_of_purchases(30.0, n)).sum();
        close(mean, m.expected_purchases_new(30.0), 1e-8, "the mean of the pmf is E[X(t)]");
    }

    #[test]
    fn p_alive_edges() {
        let m = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
        assert_eq!(m.p_alive(0.0, 0.0, 38.0), 1.0);
        let p = m.p_alive(300.0, 10.0, 200.0);
        assert!((0.0..=1.0).contains(&p) && p < 1e-100, "x = 300 long inactive: {p}");
        let p = m.p_alive(300.0, 199.9, 200.0);
        assert!(p > 0.9 && p <= 1.0, "x = 300 recently active: {p}");
    }

    #[test]
    fn expectations_are_continuous_across_a_equal_one() {
        let at = |a: f64| {
            let m = BgNbd { r: 0.5, alpha: 5.0, a, b: 2.5 };
            (m.expected_purchases_new(20.0), m.expected_purchases(3.0, 20.0, 30.0, 20.0))
        };
        let (below, exact, above) = (at(1.0 - 3e-4), at(1.0), at(1.0 + 3e-4));
        assert!(exact.0.is_finite() && exact.1.is_finite());
        close(exact.0, 0.5 * (below.0 + above.0), 1e-7, "E[X(t)] at a = 1");
        close(exact.1, 0.5 * (below.1 + above.1), 1e-7, "E[Y(t)] at a = 1");
    }

    #[test]
    fn conditional_expectation_matches_a_sum_over_the_pmf_for_a_new_customer() {
        // A customer with x = 0 observed for T = 0 is a new customer: E[Y(t) | 0, 0, 0] = E[X(t)].
        let m = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
        close(m.expected_purchases(0.0, 0.0, 0.0, 52.0), m.expected_purchases_new(52.0), 1e-12, "T = 0");
    }

    #[test]
    fn family_hessian_matches_differences_of_the_gradient() {
        let rows = FitRows::compress(&[0.0, 1.0, 4.0, 30.0], &[0.0, 2.5, 20.0, 37.0], &[38.0, 30.0, 35.0, 38.5]);
        let p = [0.3, 4.0, 0.8, 2.4];
        let family = DropoutFamily::<false>;
        let gradient = |p: &[f64]| {
            let cache = family.prepare(p, &rows.distinct_x).unwrap();
            let mut g = [0.0; 4];
            (0..rows.len()).for_each(|i| {
                family.row(p, &cache, &rows, i, 1.0, &mut g);
            });
            g
        };
        let cache = family.prepare(&p, &rows.distinct_x).unwrap();
        let (mut g, mut h) = ([0.0; 4], [0.0; 16]);
        (0..rows.len()).for_each(|i| {
            family.row_with_hessian(&p, &cache, &rows, i, 1.0, &mut g, &mut h);
        });
        for k in 0..4 {
            let step = 1e-6 * p[k];
            let (mut up, mut down) = (p, p);
            up[k] += step;
            down[k] -= step;
            let (gu, gd) = (gradient(&up), gradient(&down));
            for j in 0..4 {
                let fd = (gu[j] - gd[j]) / (2.0 * step);
                close(h[j * 4 + k], fd, 1e-6 * fd.abs().max(1.0), &format!("H[{j}][{k}]"));
            }
        }
    }

    #[test]
    fn family_gradient_matches_central_differences() {
        let rows = FitRows::compress(&[0.0, 1.0, 4.0, 30.0], &[0.0, 2.5, 20.0, 37.0], &[38.0, 30.0, 35.0, 38.5]);
        let p = [0.3, 4.0, 0.8, 2.4];
        let family = DropoutFamily::<false>;
        let value = |p: &[f64]| {
            let cache = family.prepare(p, &rows.distinct_x).unwrap();
            (0..rows.len()).map(|i| family.row(p, &cache, &rows, i, 1.0, &mut [0.0; 4])).sum::<f64>()
        };
        let cache = family.prepare(&p, &rows.distinct_x).unwrap();
        let mut g = [0.0; 4];
        let total: f64 = (0..rows.len()).map(|i| family.row(&p, &cache, &rows, i, 1.0, &mut g)).sum();
        let direct: f64 =
            (0..rows.len()).map(|i| BgNbd::from_params(&p).log_likelihood(rows.x[i], rows.t_x[i], rows.age[i])).sum();
        close(total, direct, 1e-10, "the family's sum equals the model's likelihood");
        for j in 0..4 {
            let h = 1e-6 * p[j];
            let (mut up, mut down) = (p, p);
            up[j] += h;
            down[j] -= h;
            close(g[j], (value(&up) - value(&down)) / (2.0 * h), 1e-6 * g[j].abs().max(1.0), PARAMETERS[j]);
        }
    }
}
