//! The Gauss hypergeometric function 2F1(a, b; c; z) in log space, for the real arguments the buy-till-you-die
//! models use: z < 1, parameters from tiny to thousands.
//!
//! The power series (DLMF 15.2.1) is summed with a running rescale so that terms never overflow. For z < 0,
//! Pfaff's transformation (DLMF 15.8.1) maps the argument into [0, 1); for z in [0, 1), Euler's transformation
//! (DLMF 15.8.1) F = (1 − z)^(c−a−b) F(c − a, c − b; c; z) is used when it makes the terms decay faster, which
//! is what keeps the BG/NBD expectations (c − a − b < 0, the value growing like (1 − z)^(c−a−b)) accurate up to
//! z close to 1.

/// Most series terms summed before giving up (z = 0.9999 needs about 400,000).
const MAX_TERMS: usize = 2_000_000;

/// Why a value could not be computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Hyp2f1Error {
    /// z ≥ 1 or a parameter is not finite, or c is zero or a negative integer.
    #[error("2F1({a}, {b}; {c}; {z}) is outside the supported domain (z < 1, c not 0, -1, -2, ...)")]
    Domain {
        /// a
        a: f64,
        /// b
        b: f64,
        /// c
        c: f64,
        /// z
        z: f64,
    },
    /// The series did not converge within the term budget.
    #[error("the 2F1 series did not converge (z = {z})")]
    NoConvergence {
        /// z
        z: f64,
    },
    /// The value is zero or negative, so it has no logarithm.
    #[error("2F1 is not positive here")]
    NotPositive,
}

/// ln 2F1(a, b; c; z) for z < 1 where the value is positive.
pub fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64, Hyp2f1Error> {
    let domain = Hyp2f1Error::Domain { a, b, c, z };
    if !(a.is_finite() && b.is_finite() && c.is_finite() && z < 1.0) || (c <= 0.0 && c == c.floor()) {
        return Err(domain);
    }
    if z == 0.0 {
        return Ok(0.0);
    }
    if z < 0.0 {
        // Pfaff: F(a, b; c; z) = (1 − z)^(−a) F(a, c − b; c; z/(z − 1)), or the same with a and b exchanged;
        // take the one whose series starts smaller.
        let w = z / (z - 1.0);
        let ln_1mz = (-z).ln_1p();
        let (p, q) = if (a * (c - b)).abs() <= (b * (c - a)).abs() { (a, b) } else { (b, a) };
        return Ok(-p * ln_1mz + ln_hyp2f1_unit(p, c - q, c, w)?);
    }
    ln_hyp2f1_unit(a, b, c, z)
}

/// z in (0, 1): the direct series or Euler's transformation, whichever decays faster
/// (terms behave like n^(a+b−c−1) z^n directly and like n^(c−a−b−1) z^n after the transformation).
fn ln_hyp2f1_unit(a: f64, b: f64, c: f64, z: f64) -> Result<f64, Hyp2f1Error> {
    let terminating = |p: f64| p <= 0.0 && p == p.floor();
    if terminating(a) || terminating(b) || a + b <= c {
        ln_series(a, b, c, z)
    } else {
        Ok((c - a - b) * (-z).ln_1p() + ln_series(c - a, c - b, c, z)?)
    }
}

/// ln of the power series Σ (a)_n (b)_n / ((c)_n n!) z^n, with a running log-scale against overflow.
fn ln_series(a: f64, b: f64, c: f64, z: f64) -> Result<f64, Hyp2f1Error> {
    const RESCALE: f64 = 1e200;
    let ratio = |n: f64| (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
    // Past this index the ratios approach z monotonically, so the tail bound below holds.
    let settled = (a - c).abs() + (b - c).abs();
    let mut term = 1.0f64;
    let mut sum = 1.0f64;
    let mut ln_scale = 0.0f64;
    let mut n = 0.0f64;
    // Two terms per step: their ratios are independent, so the divisions overlap.
    while n < MAX_TERMS as f64 {
        let (r0, r1) = (ratio(n), ratio(n + 1.0));
        let t0 = term * r0;
        term = t0 * r1;
        sum += t0 + term;
        n += 2.0;
        if term == 0.0 || t0 == 0.0 {
            return finish(sum, ln_scale);
        }
        if sum.abs() > RESCALE || term.abs() > RESCALE {
            sum /= RESCALE;
            term /= RESCALE;
            ln_scale += RESCALE.ln();
        }
        // Stop once the terms decrease geometrically and are negligible: the remaining tail is bounded by
        // |term| q / (1 − q) with q = max(|ratio|, z) (written without a division).
        let q = r1.abs().max(z.abs());
        if q < 1.0 && n > settled && term.abs() * q <= 1e-17 * sum.abs() * (1.0 - q) {
            return finish(sum, ln_scale);
        }
    }
    Err(Hyp2f1Error::NoConvergence { z })
}

fn finish(sum: f64, ln_scale: f64) -> Result<f64, Hyp2f1Error> {
    if sum > 0.0 && sum.is_finite() { Ok(sum.ln() + ln_scale) } else { Err(Hyp2f1Error::NotPositive) }
}

/// 2F1(a, b; a + 1; z) for a, b > 0 and z in [0, 1), with its partial derivatives in a, b and z:
/// the function in every term of the Pareto/NBD likelihood (it equals a z^(−a) B_z(a, 1 − b), DLMF 8.17.7).
/// All terms of the series Σ a/(a + n) (b)_n / n! z^n are positive, so there is no cancellation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyp2f1Shifted {
    /// ln F.
    pub ln_value: f64,
    /// ∂ ln F / ∂a.
    pub d_a: f64,
    /// ∂ ln F / ∂b.
    pub d_b: f64,
    /// ∂ ln F / ∂z.
    pub d_z: f64,
}

/// Above this z the series needs hundreds of terms; the integral representation is used instead.
const SHIFTED_SERIES_MAX_Z: f64 = 0.9;

/// See [`Hyp2f1Shifted`]. The series for z up to 0.9; beyond, the bounded integral
/// F = ∫_0^1 (1 − z w^(1/a))^(−b) dw (from Euler's integral with u = w^(1/a)), its derivatives taken under the
/// integral sign, by adaptive Gauss-Kronrod quadrature.
pub fn hyp2f1_shifted(a: f64, b: f64, z: f64) -> Result<Hyp2f1Shifted, Hyp2f1Error> {
    if !(a > 0.0 && b > 0.0 && (0.0..1.0).contains(&z)) {
        return Err(Hyp2f1Error::Domain { a, b, c: a + 1.0, z });
    }
    let euler = b > 1.0 && a + 1.0 - b > 0.0 && a + 1.0 - b < b;
    if z > SHIFTED_SERIES_MAX_Z && !(euler && a > 20.0) {
        let distance_to_integer = (b - b.round()).abs();
        return Ok(if distance_to_integer > 1e-2 {
            hyp2f1_shifted_near_one(a, b, z)
        } else {
            hyp2f1_shifted_by_quadrature(a, b, z)
        });
    }
    if euler {
        return Ok(hyp2f1_shifted_euler(a, b, z));
    }
    // term_n = a/(a+n) * (b)_n/n! * z^n;  d ln term_n/da = 1/a − 1/(a+n);
    // d ln term_n/db = Σ_{k<n} 1/(b+k);  d ln term_n/dz = n/z.
    let mut pochhammer = 1.0f64; // (b)_n z^n / n!
    let mut d_b_log = 0.0f64; // Σ_{k<n} 1/(b + k)
    let (mut sum, mut sum_a, mut sum_b, mut sum_z) = (1.0f64, 0.0f64, 0.0f64, 0.0f64);
    let mut n = 0usize;
    loop {
        let nf = n as f64;
        pochhammer *= (b + nf) / (nf + 1.0) * z;
        d_b_log += 1.0 / (b + nf);
        n += 1;
        let nf = n as f64;
        let term = a / (a + nf) * pochhammer;
        sum += term;
        sum_a += term * (1.0 / a - 1.0 / (a + nf));
        sum_b += term * d_b_log;
        sum_z += term * nf;
        let ratio = (b + nf) / (nf + 1.0) * z;
        if term == 0.0 || (ratio < 1.0 && term * ratio / (1.0 - ratio) <= 1e-17 * sum) {
            break;
        }
        if n >= MAX_TERMS || !sum.is_finite() {
            return Err(Hyp2f1Error::NoConvergence { z });
        }
    }
    Ok(Hyp2f1Shifted {
        ln_value: sum.ln(),
        d_a: sum_a / sum,
        d_b: sum_b / sum,
        d_z: if z > 0.0 { sum_z / (z * sum) } else { a * b / (a + 1.0) },
    })
}

/// Euler's transformation F(a, b; a+1; z) = (1 − z)^(1−b) F(1, a+1−b; a+1; z): when b is large (many
/// repeat purchases) the transformed series Σ (a+1−b)_n/(a+1)_n z^n needs only a few positive terms.
fn hyp2f1_shifted_euler(a: f64, b: f64, z: f64) -> Hyp2f1Shifted {
    let c = a + 1.0 - b;
    let (mut term, mut sum, mut sum_a, mut sum_b, mut sum_z) = (1.0f64, 1.0f64, 0.0f64, 0.0f64, 0.0f64);
    let (mut d_a, mut d_b) = (0.0f64, 0.0f64);
    for n in 0..MAX_TERMS {
        let nf = n as f64;
        let ratio = (c + nf) / (a + 1.0 + nf) * z;
        term *= ratio;
        let inv_c = 1.0 / (c + nf);
        d_a += inv_c - 1.0 / (a + 1.0 + nf);
        d_b -= inv_c;
        sum += term;
        sum_a += term * d_a;
        sum_b += term * d_b;
        sum_z += term * (nf + 1.0);
        if term == 0.0 || term * ratio / (1.0 - ratio) <= 1e-17 * sum {
            break;
        }
    }
    let ln_1mz = (-z).ln_1p();
    Hyp2f1Shifted {
        ln_value: (1.0 - b) * ln_1mz + sum.ln(),
        d_a: sum_a / sum,
        d_b: -ln_1mz + sum_b / sum,
        d_z: -(1.0 - b) / (1.0 - z) + if z > 0.0 { sum_z / (z * sum) } else { c / (a + 1.0) },
    }
}

/// z near 1: the connection formula DLMF 15.8.4 with c = a + 1, which reduces to
///   F(a, b; a+1; z) = Γ(a+1) Γ(1−b)/Γ(a+1−b) z^(−a) + a/(b−1) (1−z)^(1−b) F(1, a+1−b; 2−b; 1−z),
/// a series in 1 − z (below 0.1 here), valid when b is not an integer (callers keep b at least 0.01 away).
/// The two terms are scaled by the larger magnitude before they are added.
fn hyp2f1_shifted_near_one(a: f64, b: f64, z: f64) -> Hyp2f1Shifted {
    use super::special::{digamma, ln_gamma, ln_gamma_signed};
    let w = 1.0 - z;
    let (c, d) = (a + 1.0 - b, 2.0 - b);
    // H = Σ h_n with h_{n+1} = h_n (c+n)/(d+n) w, and Σ h_n ∂ln h_n/∂a, ∂b, and Σ h_n n.
    let (mut h, mut sum, mut sum_a, mut sum_b, mut sum_n) = (1.0f64, 1.0f64, 0.0f64, 0.0f64, 0.0f64);
    let (mut d_a, mut d_b) = (0.0f64, 0.0f64);
    for n in 0..MAX_TERMS {
        let nf = n as f64;
        h *= (c + nf) / (d + nf) * w;
        d_a += 1.0 / (c + nf);
        d_b += -1.0 / (c + nf) + 1.0 / (d + nf);
        sum += h;
        sum_a += h * d_a;
        sum_b += h * d_b;
        sum_n += h * (nf + 1.0);
        if h == 0.0 || (nf > (c - d).abs() && h.abs() <= 1e-17 * sum.abs()) {
            break;
        }
    }
    let (lg_1b, sign_1b) = ln_gamma_signed(1.0 - b);
    let (lg_c, sign_c) = ln_gamma_signed(c);
    let ln_t1 = ln_gamma(a + 1.0) + lg_1b - lg_c - a * z.ln();
    let sign_t1 = sign_1b * sign_c;
    let ln_t2 = (a / (b - 1.0)).abs().ln() + (1.0 - b) * w.ln() + sum.abs().ln();
    let sign_t2 = (b - 1.0).signum() * sum.signum();
    let scale = ln_t1.max(ln_t2);
    let (t1, t2) = (sign_t1 * (ln_t1 - scale).exp(), sign_t2 * (ln_t2 - scale).exp());
    let f = t1 + t2;
    // Derivatives of each term relative to itself, then combined.
    let t1_a = digamma(a + 1.0) - digamma(c) - z.ln();
    let t1_b = -digamma(1.0 - b) + digamma(c);
    let t1_z = -a / z;
    let t2_a = 1.0 / a + sum_a / sum;
    let t2_b = -1.0 / (b - 1.0) - w.ln() + sum_b / sum;
    let t2_z = -(1.0 - b) / w - sum_n / (w * sum);
    Hyp2f1Shifted {
        ln_value: scale + f.ln(),
        d_a: (t1 * t1_a + t2 * t2_a) / f,
        d_b: (t1 * t1_b + t2 * t2_b) / f,
        d_z: (t1 * t1_z + t2 * t2_z) / f,
    }
}

fn hyp2f1_shifted_by_quadrature(a: f64, b: f64, z: f64) -> Hyp2f1Shifted {
    // With u = w^(1/a): g = 1 − z u; F = ∫ g^(−b); ∂F/∂b = −∫ ln(g) g^(−b); ∂F/∂z = b ∫ u g^(−b−1);
    // ∂F/∂a = b z ∫ g^(−b−1) ∂u/∂a with ∂u/∂a = −u ln(w)/a².
    let integrand = |w: f64| {
        if w <= 0.0 {
            return [1.0, 0.0, 0.0, 0.0];
        }
        let u = (w.ln() / a).exp();
        let g = 1.0 - z * u;
        let g_b = g.powf(-b);
        let g_b1 = g_b / g;
        [g_b, -g.ln() * g_b, b * u * g_b1, b * z * g_b1 * (-u * w.ln() / (a * a))]
    };
    let [f, f_b, f_z, f_a] = super::quadrature::integrate_many(&integrand, 0.0, 1.0, 1e-13);
    Hyp2f1Shifted { ln_value: f.ln(), d_a: f_a / f, d_b: f_b / f, d_z: f_z / f }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (a, b, c, z, ln 2F1) from mpmath.hyp2f1 at 40 digits: BG/NBD expectations at the CDNOW MLE (z up to
    /// 0.9999, x up to 200), negative z (Pfaff), the Pareto/NBD c = a + 1 shape, c − a − b near an integer,
    /// parameters in the hundreds, a terminating series.
    const CASES: [(f64, f64, f64, f64, f64); 19] = [
        (1.0, 1.0, 2.0, 0.5, 0.3266342599782809824),
        (0.2425945224, 2.4259067768, 2.218828794, 0.18471989564255406, 0.054494796591514545112),
        (0.2425945224, 2.4259067768, 2.218828794, 0.8983359635289331, 0.66032601969944766672),
        (0.2425945224, 2.4259067768, 2.218828794, 0.9464457090713926, 0.86999307101462502148),
        (2.2425945224, 4.4259067768, 4.218828794, 0.47402810917399074, 1.5204461189168748744),
        (200.2425945224, 202.4259067768, 202.218828794, 0.5, 138.94011001023299866),
        (200.2425945224, 202.4259067768, 202.218828794, 0.99, 923.10283844298887931),
        (5.2425945224, 7.4259067768, 7.218828794, 0.999, 37.574442359868632093),
        (0.2425945224, 2.4259067768, 2.218828794, 0.9999, 3.3970907519803997094),
        (1.0, 0.7929220172, 6.218828794, -100.0, -1.6553322334855090822),
        (1.0, 0.7929220172, 27.218828794, -10000.0, -3.6021608858311418216),
        (2.3, 1.5, 4.1, -0.5, -0.35659199912124996872),
        (27.16, 1.61, 28.16, 0.09, 0.14621939615775200685),
        (1.16, 26.55, 2.16, 0.6, 20.825372180582708489),
        (5.0, 7.0, 3.5, 0.9, 20.493065192698001577),
        (1.5, 1.5, 3.0000001, 0.95, 1.6608879974959979745),
        (500.0, 500.0, 1000.8, 0.9, 417.94873121560496283),
        (0.3, -2.0, 1.5, 0.7, -0.26011878743910504491),
        (30.0, 0.5, 31.0, 0.992, 1.80343783262029641),
    ];

    #[test]
    fn against_high_precision_values() {
        for (a, b, c, z, want) in CASES {
            let got = ln_hyp2f1(a, b, c, z).unwrap();
            assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "2F1({a}, {b}; {c}; {z}) = {got}, want {want}");
        }
    }

    #[test]
    fn shifted_form_matches_the_general_series_and_its_derivatives_match_differences() {
        for (a, b, z) in [
            (27.16, 1.61, 0.09),
            (1.16, 26.55, 0.6),
            (0.8, 0.3, 0.0),
            (3.0, 2.0, 0.95),
            (1.2, 1.6, 0.9999),
            (300.5, 2.5, 0.999),
            (1.1, 0.6, 0.97),
            (31.2, 30.6, 0.8),
            (31.2, 31.6, 0.3),
            (1.16, 0.55, 0.995),
            (1.16, 1.55, 0.99),
            (2.3, 2.7, 0.95),
            (0.7, 3.4, 0.93),
            (1.1, 1.004, 0.97),
        ] {
            let f = hyp2f1_shifted(a, b, z).unwrap();
            let general = ln_hyp2f1(a, b, a + 1.0, z).unwrap();
            assert!((f.ln_value - general).abs() < 1e-12 * general.abs().max(1.0), "{a} {b} {z}");
            let h = 1e-6;
            let diff = |g: &dyn Fn(f64) -> f64, x: f64| (g(x + h) - g(x - h)) / (2.0 * h);
            let d_a = diff(&|v| hyp2f1_shifted(v, b, z).unwrap().ln_value, a);
            let d_b = diff(&|v| hyp2f1_shifted(a, v, z).unwrap().ln_value, b);
            assert!((f.d_a - d_a).abs() < 1e-7 * d_a.abs().max(1.0), "d_a {} vs {d_a}", f.d_a);
            assert!((f.d_b - d_b).abs() < 1e-7 * d_b.abs().max(1.0), "d_b {} vs {d_b}", f.d_b);
            if z > 0.0 {
                let hz = 1e-4 * (1.0 - z).min(z);
                let d_z = (hyp2f1_shifted(a, b, z + hz).unwrap().ln_value
                    - hyp2f1_shifted(a, b, z - hz).unwrap().ln_value)
                    / (2.0 * hz);
                assert!((f.d_z - d_z).abs() < 1e-6 * d_z.abs().max(1.0), "d_z {} vs {d_z}", f.d_z);
            }
        }
    }

    #[test]
    fn outside_the_domain_is_an_error_not_a_number() {
        assert!(ln_hyp2f1(1.0, 1.0, 2.0, 1.0).is_err());
        assert!(ln_hyp2f1(1.0, 1.0, -2.0, 0.5).is_err());
        assert!(ln_hyp2f1(f64::NAN, 1.0, 2.0, 0.5).is_err());
        assert!(hyp2f1_shifted(1.0, 1.0, 1.0).is_err());
    }
}
