//! Values of a smooth function of T for many customers: computed exactly at Chebyshev nodes and interpolated
//! (Clenshaw's recurrence), after checking the interpolant against exact values; used for the DERT given alive,
//! which depends on x and T only, when a frequency has many distinct ages (continuous times).

/// Chebyshev nodes per interpolant.
const NODES: usize = 32;
/// Interpolation is used only when it saves work: more distinct ages than this.
const MIN_POINTS: usize = 3 * NODES;
/// Largest relative error accepted at the check points (else every point is computed exactly).
const CHECK_TOLERANCE: f64 = 1e-9;

/// f at each of `points` (sorted ascending, distinct): exactly when they are few, else by a Chebyshev interpolant
/// on [min, max] verified at three interior points.
pub fn smooth_values(points: &[f64], f: &(dyn Fn(f64) -> f64 + Sync)) -> Vec<f64> {
    use rayon::prelude::*;
    let exact = || points.par_iter().map(|&t| f(t)).collect();
    if points.len() < MIN_POINTS {
        return exact();
    }
    let (lo, hi) = (points[0], points[points.len() - 1]);
    let (mid, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
    let nodes: Vec<f64> =
        (0..NODES).map(|j| mid + half * (std::f64::consts::PI * (j as f64 + 0.5) / NODES as f64).cos()).collect();
    let values: Vec<f64> = nodes.par_iter().map(|&t| f(t)).collect();
    // Chebyshev coefficients (discrete cosine transform of the node values).
    let coefficients: Vec<f64> = (0..NODES)
        .map(|k| {
            let sum: f64 = (0..NODES)
                .map(|j| values[j] * (std::f64::consts::PI * k as f64 * (j as f64 + 0.5) / NODES as f64).cos())
                .sum();
            2.0 * sum / NODES as f64
        })
        .collect();
    let interpolate = |t: f64| {
        let u = (t - mid) / half;
        let (mut b1, mut b2) = (0.0, 0.0);
        for &c in coefficients.iter().skip(1).rev() {
            let b0 = 2.0 * u * b1 - b2 + c;
            b2 = b1;
            b1 = b0;
        }
        u * b1 - b2 + 0.5 * coefficients[0]
    };
    let checks = [points.len() / 4, points.len() / 2, 3 * points.len() / 4];
    let trustworthy = checks.iter().all(|&i| {
        let (want, got) = (f(points[i]), interpolate(points[i]));
        (got - want).abs() <= CHECK_TOLERANCE * want.abs().max(f64::MIN_POSITIVE)
    });
    if !trustworthy {
        return exact();
    }
    points.par_iter().map(|&t| interpolate(t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smooth_functions_are_interpolated_and_rough_ones_computed_exactly() {
        let points: Vec<f64> = (0..1000).map(|i| 27.0 + 12.0 * f64::from(i) / 999.0).collect();
        let smooth = |t: f64| 3.0 / (4.4 + t) + (t / 50.0).ln_1p();
        let values = smooth_values(&points, &smooth);
        for (t, v) in points.iter().zip(&values) {
            assert!((v - smooth(*t)).abs() < 1e-12, "{t}");
        }
        let rough = |t: f64| if t < 33.0 { 1.0 } else { 2.0 };
        let values = smooth_values(&points, &rough);
        assert!(points.iter().zip(&values).all(|(t, v)| *v == rough(*t)));
    }
}
