//! Special functions in log space: log-gamma, digamma, log-beta, log-sum-exp, and the small expressions the models
//! share that lose precision when written naively.

/// ln Γ(x) for x > 0 (Lanczos approximation, statrs; about 15 significant digits).
pub fn ln_gamma(x: f64) -> f64 {
    statrs::function::gamma::ln_gamma(x)
}

/// (ln |Γ(x)|, sign of Γ(x)) for any real x that is not 0 or a negative integer, by the reflection formula
/// Γ(x) Γ(1 − x) = π / sin(πx) below 1/2.
pub fn ln_gamma_signed(x: f64) -> (f64, f64) {
    if x >= 0.5 {
        return (ln_gamma(x), 1.0);
    }
    let s = (std::f64::consts::PI * x).sin();
    (std::f64::consts::PI.ln() - s.abs().ln() - ln_gamma(1.0 - x), s.signum())
}

/// ψ(x) = d ln Γ(x) / dx for x > 0 (statrs, AS 103 with the asymptotic series from x = 12).
pub fn digamma(x: f64) -> f64 {
    statrs::function::gamma::digamma(x)
}

/// ψ'(x), the trigamma function, for x > 0: the recurrence ψ'(x) = ψ'(x + 1) + 1/x² up to x ≥ 10, then the
/// asymptotic series (DLMF 5.15.8) to x^(−15), accurate to about 1e-16 relative there.
pub fn trigamma(x: f64) -> f64 {
    let (mut x, mut acc) = (x, 0.0);
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let tail = 5.0 / 66.0 - inv2 * (691.0 / 2730.0 - inv2 * 7.0 / 6.0);
    let series = 1.0 / 6.0 - inv2 * (1.0 / 30.0 - inv2 * (1.0 / 42.0 - inv2 * (1.0 / 30.0 - inv2 * tail)));
    acc + inv + 0.5 * inv2 + inv * inv2 * series
}

/// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b) for a, b > 0.
pub fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// ln(e^a + e^b) without overflow or underflow; −∞ when both are −∞.
pub fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if hi == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// The regularised incomplete beta I_x(a, b) for a, b > 0 and x in [0, 1] (statrs, continued fraction).
pub fn beta_regularized(a: f64, b: f64, x: f64) -> f64 {
    statrs::function::beta::beta_reg(a, b, x.clamp(0.0, 1.0))
}

/// (1 − (1 + u)^(−k)) / k for u ≥ 0 and any real k (its limit ln(1 + u) at k = 0), accurate for small k·ln(1+u):
/// the shape of the Pareto/NBD expectations (Schmittlein, Morrison & Colombo 1987) where k = s − 1.
pub fn one_minus_power_over(k: f64, u: f64) -> f64 {
    let l = u.ln_1p();
    let kl = k * l;
    if kl.abs() < 1e-8 { l * (1.0 - kl / 2.0) } else { -(-kl).exp_m1() / k }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values from mpmath at 30 digits.
    #[test]
    fn log_gamma_and_digamma_against_high_precision_values() {
        let cases = [
            (0.243, 1.3180435846996698495, -4.351093864423210616),
            (1.0, 0.0, -0.57721566490153286061),
            (2.5, 0.28468287047291915963, 0.70315664064524318723),
            (30.243, 72.08045543212207947, 3.3926409006928875459),
            (1000.5, 5908.6741758486774887, 6.9077553206487964271),
        ];
        for (x, lg, dg) in cases {
            assert!((ln_gamma(x) - lg).abs() <= 1e-13 * lg.abs().max(1.0), "ln_gamma({x})");
            assert!((digamma(x) - dg).abs() <= 1e-12 * dg.abs().max(1.0), "digamma({x}) = {}", digamma(x));
        }
    }

    #[test]
    fn signed_log_gamma_below_zero() {
        // Γ(-0.5) = -2 sqrt(pi), Γ(-1.5) = 4 sqrt(pi) / 3, Γ(0.25) = 3.6256099082219083119.
        let (l, s) = ln_gamma_signed(-0.5);
        assert!((l - (2.0 * std::f64::consts::PI.sqrt()).ln()).abs() < 1e-14 && s == -1.0);
        let (l, s) = ln_gamma_signed(-1.5);
        assert!((l - (4.0 * std::f64::consts::PI.sqrt() / 3.0).ln()).abs() < 1e-14 && s == 1.0);
        let (l, s) = ln_gamma_signed(0.25);
        assert!((l - 3.625_609_908_221_908_3f64.ln()).abs() < 1e-14 && s == 1.0);
    }

    #[test]
    fn trigamma_against_high_precision_values() {
        // mpmath polygamma(1, x) at 30 digits.
        for (x, want) in [
            (0.243, 18.141779787095828626),
            (1.0, 1.6449340668482264365),
            (2.5, 0.49035775610023486497),
            (12.3, 0.084695170245916407293),
            (1000.5, 0.00099999991666669583331),
        ] {
            assert!((trigamma(x) - want).abs() <= 1e-14 * want, "trigamma({x}) = {}", trigamma(x));
        }
    }

    #[test]
    fn log_add_exp_edges() {
        assert_eq!(log_add_exp(f64::NEG_INFINITY, f64::NEG_INFINITY), f64::NEG_INFINITY);
        assert_eq!(log_add_exp(0.0, f64::NEG_INFINITY), 0.0);
        assert!((log_add_exp(1000.0, 1000.0) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert!((log_add_exp(-1000.0, 0.0) - 0.0).abs() < 1e-300);
    }

    #[test]
    fn one_minus_power_over_is_continuous_through_zero() {
        let u = 3.0;
        let exact = |k: f64| (1.0 - (1.0f64 + u).powf(-k)) / k;
        assert!((one_minus_power_over(0.5, u) - exact(0.5)).abs() < 1e-15);
        assert!((one_minus_power_over(-0.4, u) - exact(-0.4)).abs() < 1e-15);
        assert!((one_minus_power_over(0.0, u) - 4f64.ln()).abs() < 1e-15);
        assert!((one_minus_power_over(1e-10, u) - 4f64.ln()).abs() < 1e-9);
        assert!((one_minus_power_over(1e-6, u) - exact(1e-6)).abs() < 1e-9);
    }
}
