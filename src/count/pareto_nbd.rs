//! Pareto/NBD: Schmittlein, Morrison & Colombo (1987), "Counting Your Customers: Who Are They and What Will They
//! Do Next?", Management Science 33(1); likelihood and expectations as in Fader & Hardie (2005), "A Note on
//! Deriving the Pareto/NBD Model and Related Expressions".
//!
//! While alive a customer buys at Poisson rate λ ~ Gamma(r, α); their lifetime is exponential with rate
//! μ ~ Gamma(s, β); λ and μ are independent.
//!
//! The likelihood is written as two positive terms (no difference of near-equal 2F1 values when t_x is close to
//! T). With a = r + s + x and M = max(α, β):
//!
//!   L = Γ(r+x) α^r β^s / (Γ(r) a) · [ s (M+t_x)^(−a) F1 + (r+x) (M+T)^(−a) F2 ]
//!
//! where, for α ≥ β, F1 = 2F1(a, s+1; a+1; (α−β)/(α+t_x)) and F2 = 2F1(a, s; a+1; (α−β)/(α+T)); for α < β,
//! F1 = 2F1(a, r+x; a+1; (β−α)/(β+t_x)) and F2 = 2F1(a, r+x+1; a+1; (β−α)/(β+T)). The first term is the
//! customer dying after t_x, the second being alive at T (their sum with t_x = T is the Fader-Hardie eq. 19).

use super::CountModel;
use crate::fit::{Family, FitRows};
use crate::math::hyp2f1::{Hyp2f1Shifted, hyp2f1_shifted};
use crate::math::incomplete_gamma::upper_gamma_ratio;
use crate::math::quadrature::integrate;
use crate::math::special::{digamma, ln_gamma, log_add_exp, one_minus_power_over};

/// Pareto/NBD parameters: r, α (purchase rate), s, β (lifetime); α and β in the model's time unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParetoNbd {
    /// Shape of the Gamma distribution of λ.
    pub r: f64,
    /// Rate of the Gamma distribution of λ.
    pub alpha: f64,
    /// Shape of the Gamma distribution of μ.
    pub s: f64,
    /// Rate of the Gamma distribution of μ.
    pub beta: f64,
}

/// Parameter names in files and tables.
pub const PARAMETERS: [&str; 4] = ["r", "alpha", "s", "beta"];

/// The two log-terms of the likelihood bracket and their gradients in (r, α, s, β).
struct Terms {
    ln_dies_after_tx: f64,
    ln_alive_at_t: f64,
    d_dies: [f64; 4],
    d_alive: [f64; 4],
}

impl ParetoNbd {
    /// The model from `[r, alpha, s, beta]`.
    pub fn from_params(p: &[f64]) -> ParetoNbd {
        ParetoNbd { r: p[0], alpha: p[1], s: p[2], beta: p[3] }
    }

    /// The two terms of the bracket (see the module documentation), with gradients; `None` when a 2F1 series
    /// does not converge.
    fn terms(&self, x: f64, t_x: f64, age: f64) -> Option<Terms> {
        let Self { r, alpha, s, beta } = *self;
        let a = r + s + x;
        let alpha_larger = alpha >= beta;
        let big = if alpha_larger { alpha } else { beta };
        let gap = (alpha - beta).abs();
        let (z1, z2) = (gap / (big + t_x), gap / (big + age));
        // F's second parameter and whether it moves with r (α < β) or with s (α ≥ β).
        let (b1, b2) = if alpha_larger { (s + 1.0, s) } else { (r + x, r + x + 1.0) };
        let f1: Hyp2f1Shifted = hyp2f1_shifted(a, b1, z1).ok()?;
        let f2: Hyp2f1Shifted = hyp2f1_shifted(a, b2, z2).ok()?;
        let (ln_bt1, ln_bt2) = ((big + t_x).ln(), (big + age).ln());
        // ∂z/∂α and ∂z/∂β at a point t: for α ≥ β, z = (α−β)/(α+t); else z = (β−α)/(β+t).
        let dz = |t: f64| -> (f64, f64) {
            if alpha_larger {
                ((beta + t) / (alpha + t).powi(2), -1.0 / (alpha + t))
            } else {
                (-1.0 / (beta + t), (alpha + t) / (beta + t).powi(2))
            }
        };
        let term = |f: &Hyp2f1Shifted, ln_bt: f64, t: f64, extra: [f64; 4]| -> [f64; 4] {
            let (dz_alpha, dz_beta) = dz(t);
            let (r_moves, s_moves) = if alpha_larger { (0.0, 1.0) } else { (1.0, 0.0) };
            [
                extra[0] - ln_bt + f.d_a + r_moves * f.d_b,
                extra[1] + f.d_z * dz_alpha - if alpha_larger { a / (big + t) } else { 0.0 },
                extra[2] - ln_bt + f.d_a + s_moves * f.d_b,
                extra[3] + f.d_z * dz_beta - if alpha_larger { 0.0 } else { a / (big + t) },
            ]
        };
        Some(Terms {
            ln_dies_after_tx: s.ln() - a * ln_bt1 + f1.ln_value,
            ln_alive_at_t: (r + x).ln() - a * ln_bt2 + f2.ln_value,
            d_dies: term(&f1, ln_bt1, t_x, [0.0, 0.0, 1.0 / s, 0.0]),
            d_alive: term(&f2, ln_bt2, age, [1.0 / (r + x), 0.0, 0.0, 0.0]),
        })
    }

    /// ln L and its gradient in (r, α, s, β), given ln Γ(r + x) − ln Γ(r) and ψ(r + x) − ψ(r).
    fn log_likelihood_with(
        &self,
        x: f64,
        t_x: f64,
        age: f64,
        ln_gamma_ratio: f64,
        digamma_ratio: f64,
        g: &mut [f64],
    ) -> f64 {
        let Self { r, alpha, s, beta } = *self;
        let a = r + s + x;
        let Some(t) = self.terms(x, t_x, age) else { return f64::NAN };
        let bracket = log_add_exp(t.ln_dies_after_tx, t.ln_alive_at_t);
        let (w1, w2) = ((t.ln_dies_after_tx - bracket).exp(), (t.ln_alive_at_t - bracket).exp());
        let common = [digamma_ratio + alpha.ln() - 1.0 / a, r / alpha, beta.ln() - 1.0 / a, s / beta];
        for j in 0..4 {
            g[j] += common[j] + w1 * t.d_dies[j] + w2 * t.d_alive[j];
        }
        ln_gamma_ratio + r * alpha.ln() + s * beta.ln() - a.ln() + bracket
    }
}

impl CountModel for ParetoNbd {
    fn name(&self) -> &'static str {
        "pareto_nbd"
    }

    fn parameters(&self) -> Vec<(&'static str, f64)> {
        PARAMETERS.iter().copied().zip([self.r, self.alpha, self.s, self.beta]).collect()
    }

    fn log_likelihood(&self, x: f64, t_x: f64, age: f64) -> f64 {
        let mut g = [0.0; 4];
        self.log_likelihood_with(x, t_x, age, ln_gamma(self.r + x) - ln_gamma(self.r), 0.0, &mut g)
    }

    /// E[X(t)] = (r β)/(α (s − 1)) [1 − (β/(β + t))^(s−1)] (its limit (r β/α) ln(1 + t/β) at s = 1).
    fn expected_purchases_new(&self, t: f64) -> f64 {
        self.r * self.beta / self.alpha * one_minus_power_over(self.s - 1.0, t / self.beta)
    }

    /// E[Y(t) | x, t_x, T] without its P(alive) factor: (r + x)(β + T)/((α + T)(s − 1)) [1 − ((β + T)/(β + T + t))^(s−1)].
    fn expected_purchases_if_alive(&self, x: f64, age: f64, t: f64) -> f64 {
        let Self { r, alpha, s, beta } = *self;
        (r + x) * (beta + age) / (alpha + age) * one_minus_power_over(s - 1.0, t / (beta + age))
    }

    /// P(alive) = a (α+T)^(−(r+x)) (β+T)^(−s) / bracket, in logs (finite for x in the hundreds).
    fn p_alive(&self, x: f64, t_x: f64, age: f64) -> f64 {
        let Self { r, alpha, s, beta } = *self;
        let Some(t) = self.terms(x, t_x, age) else { return f64::NAN };
        let ln_alive = (r + s + x).ln() - (r + x) * (alpha + age).ln() - s * (beta + age).ln();
        (ln_alive - log_add_exp(t.ln_dies_after_tx, t.ln_alive_at_t)).exp().min(1.0)
    }

    /// DERT = P(alive) (r + x)/(α + T) E[1/(μ + δ)] with μ | alive ~ Gamma(s, β + T), and
    /// E[1/(μ + δ)] = (β+T)^s δ^(s−1) U(s, s; δ(β+T)) = (β + T) R(1 − s, δ(β + T)) (the closed form of Fader, Hardie &
    /// Lee 2005, JMR, with Tricomi's U written through the upper incomplete gamma ratio R).
    fn residual_purchases_if_alive(&self, x: f64, age: f64, delta: f64) -> f64 {
        let Self { r, alpha, s, beta } = *self;
        let c = beta + age;
        (r + x) / (alpha + age) * c * upper_gamma_ratio(1.0 - s, c * delta)
    }

    /// λ ~ Gamma(r, α), μ ~ Gamma(s, β); lifetime ~ Exponential(μ); Poisson purchases at rate λ while alive.
    fn draw_repeat_times(&self, rng: &mut super::SimulationRng, horizon: f64, limit: usize, times: &mut Vec<f64>) {
        use rand_distr::{Distribution, Exp, Gamma};
        let lambda = Gamma::new(self.r, 1.0 / self.alpha).map_or(0.0, |g| g.sample(rng));
        let mu = Gamma::new(self.s, 1.0 / self.beta).map_or(0.0, |g| g.sample(rng));
        let lifetime = Exp::new(mu).map_or(f64::INFINITY, |e| e.sample(rng));
        super::draw_purchases(rng, lambda, lifetime.min(horizon), limit, times, |_| false);
    }

    /// P(X(t) = n) = P(alive at t) NBD(n; r, α/(α+t)) + ∫_0^t f(τ) NBD(n; r, α/(α+τ)) dτ, where
    /// f(τ) = s β^s (β+τ)^(−s−1) is the Pareto (Lomax) density of the death time: given the death time the count
    /// is that of an NBD over the time alive. The integral is smooth and computed adaptively.
    fn probability_of_purchases(&self, t: f64, n: u32) -> f64 {
        let Self { r, alpha, s, beta } = *self;
        let nf = f64::from(n);
        let ln_coef = ln_gamma(r + nf) - ln_gamma(r) - ln_gamma(nf + 1.0);
        let nbd = |tau: f64| {
            if tau <= 0.0 {
                return if n == 0 { 1.0 } else { 0.0 };
            }
            (ln_coef + r * (alpha / (alpha + tau)).ln() + nf * (tau / (alpha + tau)).ln()).exp()
        };
        if t <= 0.0 {
            return nbd(0.0);
        }
        let survives = (s * (beta / (beta + t)).ln()).exp();
        let dies_at = |tau: f64| (s.ln() + s * beta.ln() - (s + 1.0) * (beta + tau).ln()).exp() * nbd(tau);
        survives * nbd(t) + integrate(&dies_at, 0.0, t, 1e-12)
    }
}

/// Pareto/NBD as a family for the fitting engine.
#[derive(Clone, Copy, Debug, Default)]
pub struct ParetoNbdFamily;

/// Per-distinct-x terms: ln Γ(r + x) − ln Γ(r) and ψ(r + x) − ψ(r).
pub struct ParetoNbdCache {
    per_x: Vec<(f64, f64)>,
}

impl Family for ParetoNbdFamily {
    type Cache = ParetoNbdCache;

    fn name(&self) -> &'static str {
        "pareto_nbd"
    }

    fn parameter_names(&self) -> &'static [&'static str] {
        &PARAMETERS
    }

    fn start(&self, rows: &FitRows) -> Vec<f64> {
        let scale = rows.mean_age().max(1e-3);
        vec![1.0, scale, 1.0, scale]
    }

    fn prepare(&self, p: &[f64], distinct_x: &[f64]) -> Option<ParetoNbdCache> {
        let r = p[0];
        let (lg_r, dg_r) = (ln_gamma(r), digamma(r));
        Some(ParetoNbdCache {
            per_x: distinct_x.iter().map(|&x| (ln_gamma(r + x) - lg_r, digamma(r + x) - dg_r)).collect(),
        })
    }

    fn row(&self, p: &[f64], cache: &ParetoNbdCache, rows: &FitRows, i: usize, w: f64, g: &mut [f64]) -> f64 {
        let (ln_gamma_ratio, digamma_ratio) = cache.per_x[rows.x_slot[i] as usize];
        let mut row_gradient = [0.0; 4];
        let model = ParetoNbd::from_params(p);
        let ll = model.log_likelihood_with(
            rows.x[i],
            rows.t_x[i],
            rows.age[i],
            ln_gamma_ratio,
            digamma_ratio,
            &mut row_gradient,
        );
        g.iter_mut().zip(row_gradient).for_each(|(a, b)| *a += w * b);
        w * ll
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn reference() -> Value {
        serde_json::from_str(include_str!("../../tests/reference/published.json")).unwrap()
    }

    fn close(got: f64, want: f64, tol: f64, what: &str) {
        assert!((got - want).abs() <= tol, "{what}: got {got}, want {want} (tolerance {tol})");
    }

    /// The difference form of the likelihood (Fader & Hardie's note, eqs. 19-20) by direct quadrature of the
    /// death-time integral, as an independent check of the two-term form.
    fn likelihood_by_quadrature(m: &ParetoNbd, x: f64, t_x: f64, age: f64) -> f64 {
        let ParetoNbd { r, alpha, s, beta } = *m;
        let c = (ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln()).exp();
        let alive = (alpha + age).powf(-(r + x)) * (beta + age).powf(-s);
        let dies =
            integrate(&|tau: f64| s * (alpha + tau).powf(-(r + x)) * (beta + tau).powf(-(s + 1.0)), t_x, age, 1e-13);
        (c * (alive + dies)).ln()
    }

    #[test]
    fn two_term_likelihood_matches_direct_quadrature_on_both_sides_of_alpha_equal_beta() {
        for m in [
            ParetoNbd { r: 0.55, alpha: 10.58, s: 0.61, beta: 11.67 },
            ParetoNbd { r: 0.55, alpha: 15.0, s: 0.61, beta: 3.0 },
            ParetoNbd { r: 2.0, alpha: 7.0, s: 1.5, beta: 7.0 },
        ] {
            for (x, t_x, age) in [(0.0, 0.0, 38.86), (2.0, 30.43, 38.86), (26.0, 30.86, 31.0), (5.0, 38.85, 38.86)] {
                let want = likelihood_by_quadrature(&m, x, t_x, age);
                close(
                    m.log_likelihood(x, t_x, age),
                    want,
                    1e-10 * want.abs().max(1.0),
                    &format!("{m:?} {x} {t_x} {age}"),
                );
            }
        }
    }

    #[test]
    fn btyd_walkthrough_values() {
        let r = reference();
        let w = &r["cdnow_sample"]["pareto_nbd"]["btyd_walkthrough"];
        let m = ParetoNbd::from_params(&PARAMETERS.map(|k| w["params"][k].as_f64().unwrap()));
        let c = &w["customer"];
        let (x, t_x, age) = (c["x"].as_f64().unwrap(), c["t_x"].as_f64().unwrap(), c["T"].as_f64().unwrap());
        // Printed to 4 significant digits.
        close(m.p_alive(x, t_x, age), w["p_alive"].as_f64().unwrap(), 5e-5, "P(alive)");
        // The walkthrough prints 25.46, computed from parameters it prints rounded to 4 digits; at the rounded
        // parameters the value is 25.4549135114997 (mpmath, 30 digits, Fader-Hardie difference form).
        let e = m.expected_purchases(x, t_x, age, 52.0);
        close(e, w["conditional_expected_purchases_t52"].as_f64().unwrap(), 1e-2, "E[Y(52)] as printed");
        close(e, 25.4549135114997, 1e-10, "E[Y(52)] at the printed parameters");
        close(m.p_alive(x, t_x, age), 0.997917766551906709, 1e-13, "P(alive) at the printed parameters");
        close(
            m.expected_purchases_new(52.0),
            w["new_customer_expected_purchases_t52"].as_f64().unwrap(),
            5e-4,
            "E[X(52)]",
        );
    }

    #[test]
    fn edge_cases_stay_finite() {
        let r = reference();
        let e = &r["cdnow_sample"]["pareto_nbd"]["edge_cases"];
        let f = &e["finite_p_alive"];
        let m = ParetoNbd::from_params(&PARAMETERS.map(|k| f["params"][k].as_f64().unwrap()));
        let col = |k: &str| f[k].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<f64>>();
        for ((x, t_x), age) in col("x").into_iter().zip(col("t_x")).zip(col("T")) {
            let p = m.p_alive(x, t_x, age);
            assert!(p.is_finite() && (0.0..=1.0).contains(&p), "P(alive) for x = {x}: {p}");
        }
        let mle = &r["cdnow_sample"]["pareto_nbd"]["mle"]["params"];
        let m = ParetoNbd::from_params(&PARAMETERS.map(|k| mle[k].as_f64().unwrap()));
        let (e132, e133) =
            (m.expected_purchases(132.0, 200.0, 200.0, 10.0), m.expected_purchases(133.0, 200.0, 200.0, 10.0));
        assert!(e132.is_finite() && e133.is_finite() && (e133 - e132).abs() < 0.05, "{e132} {e133}");
        close(e132, 6.21, 0.01, "x = 132");
        close(e133, 6.25, 0.01, "x = 133");
    }

    #[test]
    fn the_pmf_sums_to_one_and_its_mean_is_the_expectation() {
        let m = ParetoNbd { r: 0.55, alpha: 10.58, s: 0.61, beta: 11.67 };
        let t = 39.0;
        let p: Vec<f64> = (0..300).map(|n| m.probability_of_purchases(t, n)).collect();
        close(p.iter().sum(), 1.0, 1e-9, "sum");
        let mean: f64 = p.iter().enumerate().map(|(n, q)| n as f64 * q).sum();
        close(mean, m.expected_purchases_new(t), 1e-8, "mean");
    }

    #[test]
    fn family_gradient_matches_central_differences_on_both_sides() {
        let rows = FitRows::compress(&[0.0, 1.0, 4.0, 30.0], &[0.0, 2.5, 20.0, 37.0], &[38.0, 30.0, 35.0, 38.5]);
        let family = ParetoNbdFamily;
        for p in [[0.55, 10.58, 0.61, 11.67], [0.55, 15.0, 0.61, 3.0]] {
            let value = |p: &[f64]| {
                let cache = family.prepare(p, &rows.distinct_x).unwrap();
                (0..rows.len()).map(|i| family.row(p, &cache, &rows, i, 1.0, &mut [0.0; 4])).sum::<f64>()
            };
            let cache = family.prepare(&p, &rows.distinct_x).unwrap();
            let mut g = [0.0; 4];
            (0..rows.len()).for_each(|i| {
                family.row(&p, &cache, &rows, i, 1.0, &mut g);
            });
            for j in 0..4 {
                let h = 1e-6 * p[j];
                let (mut up, mut down) = (p, p);
                up[j] += h;
                down[j] -= h;
                close(g[j], (value(&up) - value(&down)) / (2.0 * h), 1e-6 * g[j].abs().max(1.0), PARAMETERS[j]);
            }
        }
    }
}
