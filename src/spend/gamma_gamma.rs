//! Gamma-Gamma spend model: Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base
//! Analysis", Journal of Marketing Research 42(4), 415-430; Fader & Hardie (2013), "The Gamma-Gamma Model of
//! Monetary Value".
//!
//! A customer's spend per transaction is Gamma(p, ν) with ν ~ Gamma(q, γ) across customers, independent of the
//! purchase process. The mean m of x transactions is then Gamma(p x, ν x); the model is fitted on the customers
//! with at least one repeat purchase and positive mean repeat spend.

use crate::fit::{Family, FitRows, add_symmetric};
use crate::math::special::{digamma, ln_gamma, trigamma};

/// Gamma-Gamma parameters: p (shape of spend per transaction), q and γ (shape and scale of ν; γ in currency).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GammaGamma {
    /// Shape of the Gamma distribution of a transaction's value.
    pub p: f64,
    /// Shape of the Gamma distribution of ν.
    pub q: f64,
    /// Rate-scale of the Gamma distribution of ν, in the input's currency.
    pub gamma: f64,
}

/// Parameter names in files and tables.
pub const PARAMETERS: [&str; 3] = ["p", "q", "gamma"];

impl GammaGamma {
    /// The model from `[p, q, gamma]`.
    pub fn from_params(v: &[f64]) -> GammaGamma {
        GammaGamma { p: v[0], q: v[1], gamma: v[2] }
    }

    /// ln f(m | x): the density of the mean m of x transactions (Fader & Hardie 2013, eq. 4):
    /// Γ(px+q)/(Γ(px) Γ(q)) γ^q m^(px−1) x^(px) / (γ + m x)^(px+q).
    pub fn log_likelihood(&self, x: f64, m: f64) -> f64 {
        let Self { p, q, gamma } = *self;
        ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q) + q * gamma.ln() + (p * x - 1.0) * m.ln() + p * x * x.ln()
            - (p * x + q) * (gamma + m * x).ln()
    }

    /// The population mean spend per transaction, p γ / (q − 1); `None` when q ≤ 1 (the mean is infinite).
    pub fn population_mean(&self) -> Option<f64> {
        (self.q > 1.0).then(|| self.p * self.gamma / (self.q - 1.0))
    }

    /// E[M | m, x] = p (γ + m x) / (p x + q − 1) (Fader & Hardie 2013, eq. 5): a weighted mean of the population
    /// mean and the customer's observed mean; the population mean for x = 0. `None` when q ≤ 1.
    pub fn expected_spend(&self, x: f64, m: f64) -> Option<f64> {
        let mean = self.population_mean()?;
        if x <= 0.0 {
            return Some(mean);
        }
        Some(self.p * (self.gamma + m * x) / (self.p * x + self.q - 1.0))
    }
}

impl GammaGamma {
    /// Draws a customer's ν ~ Gamma(q, rate γ), then `count` transaction values ~ Gamma(p, rate ν), in currency.
    pub fn draw_amounts(&self, rng: &mut crate::count::SimulationRng, count: usize) -> Vec<f64> {
        use rand_distr::{Distribution, Gamma};
        let Ok(nu) = Gamma::new(self.q, 1.0 / self.gamma).map(|g| g.sample(rng)) else { return vec![f64::NAN; count] };
        match Gamma::new(self.p, 1.0 / nu) {
            Ok(value) => (0..count).map(|_| value.sample(rng)).collect(),
            Err(_) => vec![f64::NAN; count],
        }
    }
}

/// Gamma-Gamma as a family for the fitting engine: rows are (x, m) with m in the `t_x` column.
#[derive(Clone, Copy, Debug, Default)]
pub struct GammaGammaFamily;

/// Per-distinct-x terms: ln x and ln Γ(px + q) − ln Γ(px) with digamma and trigamma differences.
pub struct GammaGammaCache {
    per_x: Vec<XTerms>,
    ln_gamma_q: f64,
    digamma_q: f64,
    trigamma_q: f64,
    ln_scale: f64,
}

struct XTerms {
    ln_x: f64,
    ln_ratio: f64,
    /// ψ(px + q) − ψ(px), ψ(px + q).
    d_px: f64,
    d_pxq: f64,
    /// ψ'(px + q) − ψ'(px), ψ'(px + q).
    h_px: f64,
    h_pxq: f64,
}

impl GammaGammaFamily {
    /// `w` × ln f(m | x) of row `i` with its gradient and, when asked, its Hessian in (p, q, γ).
    #[allow(clippy::too_many_arguments)]
    fn accumulate(
        &self,
        v: &[f64],
        cache: &GammaGammaCache,
        rows: &FitRows,
        i: usize,
        w: f64,
        g: &mut [f64],
        h: Option<&mut [f64]>,
    ) -> f64 {
        let (p, q, gamma) = (v[0], v[1], v[2]);
        let (x, m) = (rows.x[i], rows.t_x[i]);
        let t = &cache.per_x[rows.x_slot[i] as usize];
        let denominator = gamma + m * x;
        let ln_den = denominator.ln();
        let ln_m = m.ln();
        g[0] += w * x * (t.d_px + ln_m + t.ln_x - ln_den);
        g[1] += w * (t.d_pxq - cache.digamma_q + cache.ln_scale - ln_den);
        g[2] += w * (q / gamma - (p * x + q) / denominator);
        if let Some(h) = h {
            let mut add = |j: usize, k: usize, value: f64| add_symmetric(h, 3, j, k, w * value);
            add(0, 0, x * x * t.h_px);
            add(0, 1, x * t.h_pxq);
            add(0, 2, -x / denominator);
            add(1, 1, t.h_pxq - cache.trigamma_q);
            add(1, 2, 1.0 / gamma - 1.0 / denominator);
            add(2, 2, -q / (gamma * gamma) + (p * x + q) / (denominator * denominator));
        }
        w * (t.ln_ratio - cache.ln_gamma_q + q * cache.ln_scale + (p * x - 1.0) * ln_m + p * x * t.ln_x
            - (p * x + q) * ln_den)
    }
}

impl Family for GammaGammaFamily {
    type Cache = GammaGammaCache;

    fn name(&self) -> &'static str {
        "gamma_gamma"
    }

    fn parameter_names(&self) -> &'static [&'static str] {
        &PARAMETERS
    }

    /// p = 1, q = 2 and γ at the mean spend: a population mean equal to the observed mean.
    fn start(&self, rows: &FitRows) -> Vec<f64> {
        let weight: f64 = rows.weight.iter().sum();
        let mean = rows.t_x.iter().zip(&rows.weight).map(|(m, w)| m * w).sum::<f64>() / weight;
        vec![1.0, 2.0, mean.max(1e-6)]
    }

    fn prepare(&self, v: &[f64], distinct_x: &[f64]) -> Option<GammaGammaCache> {
        let (p, q, gamma) = (v[0], v[1], v[2]);
        let per_x = distinct_x
            .iter()
            .map(|&x| XTerms {
                ln_x: x.ln(),
                ln_ratio: ln_gamma(p * x + q) - ln_gamma(p * x),
                d_px: digamma(p * x + q) - digamma(p * x),
                d_pxq: digamma(p * x + q),
                h_px: trigamma(p * x + q) - trigamma(p * x),
                h_pxq: trigamma(p * x + q),
            })
            .collect();
        Some(GammaGammaCache {
            per_x,
            ln_gamma_q: ln_gamma(q),
            digamma_q: digamma(q),
            trigamma_q: trigamma(q),
            ln_scale: gamma.ln(),
        })
    }

    fn row(&self, v: &[f64], cache: &GammaGammaCache, rows: &FitRows, i: usize, w: f64, g: &mut [f64]) -> f64 {
        self.accumulate(v, cache, rows, i, w, g, None)
    }

    fn has_hessian(&self) -> bool {
        true
    }

    fn row_with_hessian(
        &self,
        v: &[f64],
        cache: &GammaGammaCache,
        rows: &FitRows,
        i: usize,
        w: f64,
        g: &mut [f64],
        h: &mut [f64],
    ) -> f64 {
        self.accumulate(v, cache, rows, i, w, g, Some(h))
    }
}

/// The rows a spend model is fitted on: customers with x > 0 and a positive mean spend, as (x, m); each counted
/// `weights[i]` times when given (a bootstrap resample), else once.
pub fn spend_rows(frequency: &[u32], monetary_value: &[f64], weights: Option<&[f64]>) -> FitRows {
    let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
    let kept: Vec<usize> =
        (0..frequency.len()).filter(|&i| frequency[i] > 0 && monetary_value[i] > 0.0 && weight(i) > 0.0).collect();
    let x: Vec<f64> = kept.iter().map(|&i| f64::from(frequency[i])).collect();
    let m: Vec<f64> = kept.iter().map(|&i| monetary_value[i]).collect();
    let zeros = vec![0.0; x.len()];
    match weights {
        None => FitRows::compress(&x, &m, &zeros),
        Some(_) => FitRows::from_counts(&x, &m, &zeros, &kept.iter().map(|&i| weight(i)).collect::<Vec<f64>>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_and_hessian_match_differences() {
        let rows = FitRows::compress(&[1.0, 2.0, 7.0, 2.0], &[10.0, 35.5, 20.1, 12.0], &[0.0; 4]);
        let v = [6.2, 3.7, 15.4];
        let family = GammaGammaFamily;
        let gradient = |v: &[f64]| {
            let cache = family.prepare(v, &rows.distinct_x).unwrap();
            let mut g = [0.0; 3];
            let value: f64 = (0..rows.len()).map(|i| family.row(v, &cache, &rows, i, 1.0, &mut g)).sum();
            (value, g)
        };
        let cache = family.prepare(&v, &rows.distinct_x).unwrap();
        let (mut g, mut h) = ([0.0; 3], [0.0; 9]);
        let total: f64 =
            (0..rows.len()).map(|i| family.row_with_hessian(&v, &cache, &rows, i, 1.0, &mut g, &mut h)).sum();
        let direct: f64 =
            (0..rows.len()).map(|i| GammaGamma::from_params(&v).log_likelihood(rows.x[i], rows.t_x[i])).sum();
        assert!((total - direct).abs() < 1e-10);
        for k in 0..3 {
            let step = 1e-6 * v[k];
            let (mut up, mut down) = (v, v);
            up[k] += step;
            down[k] -= step;
            let ((fu, gu), (fd, gd)) = (gradient(&up), gradient(&down));
            let d = (fu - fd) / (2.0 * step);
            assert!((g[k] - d).abs() < 1e-6 * d.abs().max(1.0), "gradient {k}: {} vs {d}", g[k]);
            for j in 0..3 {
                let d = (gu[j] - gd[j]) / (2.0 * step);
                assert!((h[j * 3 + k] - d).abs() < 1e-6 * d.abs().max(1.0), "H[{j}][{k}]: {} vs {d}", h[j * 3 + k]);
            }
        }
    }

    #[test]
    fn expected_spend_and_the_infinite_mean() {
        let m = GammaGamma { p: 6.0, q: 4.0, gamma: 15.0 };
        assert_eq!(m.population_mean(), Some(30.0));
        assert_eq!(m.expected_spend(0.0, 0.0), Some(30.0));
        // Weighted between the population mean 30 and the observed 50: weight px/(px+q−1) = 12/15 on 50.
        assert!((m.expected_spend(2.0, 50.0).unwrap() - (0.2 * 30.0 + 0.8 * 50.0)).abs() < 1e-12);
        assert_eq!(GammaGamma { p: 6.0, q: 0.9, gamma: 15.0 }.expected_spend(2.0, 50.0), None);
    }
}
