//! The shifted-beta-geometric retention model through the library on Fader & Hardie's (2007) cohorts.

use clv::fit::fit;
use clv::retention::sbg::{SbgFamily, ShiftedBetaGeometric};
use clv::retention::tenures::Tenures;

mod common;
use common::*;

/// Half a unit of the last decimal printed in `value` (as the reference file writes it).
fn half_last_digit(value: f64) -> f64 {
    let decimals = value.to_string().split('.').nth(1).map_or(0, str::len);
    0.5 * 10f64.powi(-(decimals as i32)) + 1e-12
}

/// The tenures of 1000 customers from the published percentages alive in years 0 to 7.
fn cohort(percent_alive: &[f64]) -> Tenures {
    Tenures::from_cohort(&percent_alive.iter().map(|p| p * 10.0).collect::<Vec<f64>>())
}

#[test]
fn both_cohorts_match_the_published_fits_and_projection() {
    let r = reference();
    for name in ["regular", "high_end"] {
        let c = &r["sbg_retention"][name];
        let percent: Vec<f64> =
            c["percent_alive_years_0_to_7"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let tenures = cohort(&percent);
        let estimate = fit(&SbgFamily, &tenures.rows(), None);
        assert!(estimate.diagnostics.converged, "{name}: {:?}", estimate.diagnostics);
        // Published to 3 or 4 decimals, the log-likelihood to 2: ours must round to the printed value.
        for (j, key) in ["alpha", "beta"].iter().enumerate() {
            let want = c["mle"][key].as_f64().unwrap();
            let got = estimate.params[j];
            assert!((got - want).abs() <= half_last_digit(want), "{name} {key}: {got} vs {want}");
        }
        let ll = c["mle"]["log_likelihood"].as_f64().unwrap();
        assert!((estimate.log_likelihood - ll).abs() <= half_last_digit(ll), "{name}: {}", estimate.log_likelihood);
        let model = ShiftedBetaGeometric::from_params(&estimate.params);
        assert!((model.log_likelihood(&tenures) - estimate.log_likelihood).abs() < 1e-9);
        // Survival starts at 100% and each year's retention rate is S(t)/S(t − 1) (S through log-gamma differences:
        // about 1e-14 of rounding).
        assert_eq!(model.survival(0), 1.0);
        assert!((model.survival(3) / model.survival(2) - model.retention_rate(3)).abs() < 1e-12);
        if let Some(projected) = c.get("projected_percent_alive_years_8_to_12") {
            for (i, want) in projected.as_array().unwrap().iter().enumerate() {
                let got = 100.0 * model.survival(8 + i as u32);
                assert!((got - want.as_f64().unwrap()).abs() <= 0.05 + 1e-9, "{name} year {}: {got} vs {want}", 8 + i);
            }
        }
    }
}

#[test]
fn residual_lifetime_is_the_discounted_sum_of_survival() {
    let m = ShiftedBetaGeometric { alpha: 0.668, beta: 3.806 };
    let d: f64 = 0.10;
    for n in [0u32, 1, 5] {
        let direct: f64 = (0..20_000).map(|k| m.survival(n + k) / m.survival(n) / (1.0 + d).powi(k as i32)).sum();
        let derl = m.discounted_expected_residual_lifetime(n, d);
        assert!((derl - direct).abs() < 1e-9 * direct, "n = {n}: {derl} vs {direct}");
    }
    // Retention rises with tenure; the residual lifetime of a longer-tenured subscriber is longer.
    assert!(m.retention_rate(2) < m.retention_rate(5));
    assert!(m.discounted_expected_residual_lifetime(5, d) > m.discounted_expected_residual_lifetime(1, d));
    assert!(m.discounted_expected_residual_lifetime(3, 0.0).is_nan(), "undiscounted: refused");
}
