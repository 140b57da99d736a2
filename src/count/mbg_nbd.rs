//! MBG/NBD: Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of models for customer
//! base analysis", International Journal of Research in Marketing 24(3), 201-209.
//!
//! As BG/NBD, but a customer may drop out right after the first purchase too, so a customer without repeat
//! purchases need not be alive. The likelihood (their eq. 3) is
//! Γ(r+x) α^r / Γ(r) · [B(a, b+x+1)/B(a, b) (α+T)^(−(r+x)) + B(a+1, b+x)/B(a, b) (α+t_x)^(−(r+x))]:
//! BG/NBD's with the drop-out posterior Beta(a, b + x + 1) in place of Beta(a, b + x). It is implemented once, in
//! [`super::bg_nbd::DropoutNbd`], for both models.

pub use super::bg_nbd::PARAMETERS;
use super::bg_nbd::{DropoutFamily, DropoutNbd};

/// MBG/NBD parameters r, α, a, b.
pub type MbgNbd = DropoutNbd<true>;

/// MBG/NBD for the fitting engine.
pub type MbgNbdFamily = DropoutFamily<true>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::CountModel;
    use crate::fit::{Family, FitRows};

    fn close(got: f64, want: f64, tol: f64, what: &str) {
        assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
    }

    #[test]
    fn a_customer_without_repeat_purchases_may_have_dropped_out() {
        let m = MbgNbd { r: 0.525, alpha: 6.183, a: 0.891, b: 1.614 };
        let p = m.p_alive(0.0, 0.0, 38.86);
        assert!(p < 1.0 && p > 0.0, "{p}");
        // At T = 0, P(alive) is the chance of surviving the first purchase, b/(a + b).
        close(m.p_alive(0.0, 0.0, 0.0), 1.614 / (0.891 + 1.614), 1e-15, "P(alive) at T = 0");
    }

    #[test]
    fn the_pmf_sums_to_one_and_its_mean_is_the_expectation() {
        let m = MbgNbd { r: 0.525, alpha: 6.183, a: 0.891, b: 1.614 };
        let p: Vec<f64> = (0..2000).map(|n| m.probability_of_purchases(30.0, n)).collect();
        close(p.iter().sum(), 1.0, 1e-9, "sum");
        let mean: f64 = p.iter().enumerate().map(|(n, q)| n as f64 * q).sum();
        close(mean, m.expected_purchases_new(30.0), 1e-8, "mean");
        close(m.expected_purchases_new(30.0), m.expected_purchases(0.0, 0.0, 0.0, 30.0), 1e-15, "E[X(t)]");
    }

    #[test]
    fn family_gradient_and_hessian_match_differences() {
        let rows = FitRows::compress(&[0.0, 1.0, 4.0, 30.0], &[0.0, 2.5, 20.0, 37.0], &[38.0, 30.0, 35.0, 38.5]);
        let p = [0.5, 6.0, 0.9, 1.6];
        let family = DropoutFamily::<true>;
        let gradient = |p: &[f64]| {
            let cache = family.prepare(p, &rows.distinct_x).unwrap();
            let mut g = [0.0; 4];
            let value: f64 = (0..rows.len()).map(|i| family.row(p, &cache, &rows, i, 1.0, &mut g)).sum();
            (value, g)
        };
        let cache = family.prepare(&p, &rows.distinct_x).unwrap();
        let (mut g, mut h) = ([0.0; 4], [0.0; 16]);
        let total: f64 =
            (0..rows.len()).map(|i| family.row_with_hessian(&p, &cache, &rows, i, 1.0, &mut g, &mut h)).sum();
        let direct: f64 =
            (0..rows.len()).map(|i| MbgNbd::from_params(&p).log_likelihood(rows.x[i], rows.t_x[i], rows.age[i])).sum();
        close(total, direct, 1e-10, "the family's sum is the model's likelihood");
        for k in 0..4 {
            let step = 1e-6 * p[k];
            let (mut up, mut down) = (p, p);
            up[k] += step;
            down[k] -= step;
            let ((fu, gu), (fd, gd)) = (gradient(&up), gradient(&down));
            let d = (fu - fd) / (2.0 * step);
            close(g[k], d, 1e-6 * d.abs().max(1.0), &format!("gradient {k}"));
            for j in 0..4 {
                let d = (gu[j] - gd[j]) / (2.0 * step);
                close(h[j * 4 + k], d, 1e-6 * d.abs().max(1.0), &format!("H[{j}][{k}]"));
            }
        }
    }
}
