//! The value layer through the library against the published values: the monthly convention of the mainstream
//! Python package (three customers and the CDNOW total), and the per-customer predictions it rests on.

use clv::count::{BgNbd, CountModel, ParetoNbd};
use clv::data::{TimeUnit, read_summary};
use clv::spend::GammaGamma;
use clv::value::discount::Schedule;
use clv::value::lifetime::value_customers;
use serde_json::Value;

mod common;
use common::*;

fn models(r: &Value) -> (BgNbd, ParetoNbd, GammaGamma) {
    let p = &r["cdnow_sample"]["customers_1_to_3"]["params_used"];
    let get = |m: &str, k: &str| p[m][k].as_f64().unwrap();
    (
        BgNbd::from_params(&["r", "alpha", "a", "b"].map(|k| get("bg_nbd", k))),
        ParetoNbd::from_params(&["r", "alpha", "s", "beta"].map(|k| get("pareto_nbd", k))),
        GammaGamma::from_params(&["p", "q", "v"].map(|k| get("gamma_gamma", k))),
    )
}

#[test]
fn monthly_convention_matches_the_three_published_customers_and_the_total() {
    let r = reference();
    let (bg, pnbd, gg) = models(&r);
    let dir = scratch("value-monthly");
    let table = read_summary(&cdnow_summary(&dir), None, TimeUnit::Week).unwrap();
    let schedule = Schedule::MonthlyCompat { months: 12, monthly_rate: 0.01 };
    let bg_values = value_customers(&bg, &gg, &table, &schedule, 1.0);
    let pnbd_values = value_customers(&pnbd, &gg, &table, &schedule, 1.0);
    let customers = &r["cdnow_sample"]["customers_1_to_3"]["values"];
    for i in 0..3 {
        let c = &customers[(i + 1).to_string()];
        let want = |k: &str| c[k].as_f64().unwrap();
        let close = |got: f64, key: &str| {
            assert!(
                (got - want(key)).abs() <= 1e-9 * want(key).abs().max(1.0),
                "customer {}: {key} = {got} vs {}",
                i + 1,
                want(key)
            )
        };
        close(bg_values[i].expected_spend, "gg_expected_avg_profit");
        close(bg_values[i].clv, "clv_bg_gg_12m");
        close(pnbd_values[i].clv, "clv_pnbd_gg_12m");
        close(bg_values[i].p_alive, "bg_p_alive");
        close(pnbd_values[i].p_alive, "pnbd_p_alive");
        let (x, t_x, t) = (want("frequency"), want("recency"), want("T"));
        close(bg.expected_purchases(x, t_x, t, 39.0), "bg_exp_purchases_39w");
        close(pnbd.expected_purchases(x, t_x, t, 39.0), "pnbd_exp_purchases_39w");
    }
    let total: f64 = bg_values.iter().map(|v| v.clv).sum();
    let want = r["cdnow_sample"]["clv_total_discrete_monthly_bg_gg"].as_f64().unwrap();
    assert!((total - want).abs() < 1e-6 * want, "CDNOW total {total} vs {want}");
}

#[test]
fn infinite_horizon_value_is_p_alive_times_dert_and_finite_horizons_approach_it() {
    let r = reference();
    let (bg, _, gg) = models(&r);
    let dir = scratch("value-dert");
    let table = read_summary(&cdnow_summary(&dir), None, TimeUnit::Week).unwrap();
    let infinite = Schedule::Continuous { annual_rate: 0.15, horizon: None };
    let values = value_customers(&bg, &gg, &table, &infinite, 0.3);
    let delta = 1.15f64.ln() / 52.0;
    for i in [0usize, 1, 2, 500] {
        let (x, t_x, t) = (f64::from(table.frequency[i]), table.recency[i], table.age[i]);
        let dert = bg.discounted_residual_purchases(x, t_x, t, delta);
        assert!((values[i].discounted_purchases - dert).abs() < 1e-12 * dert.max(1.0));
        assert!((values[i].clv - 0.3 * values[i].expected_spend * dert).abs() < 1e-9);
    }
    // A long finite horizon approaches the infinite one from below; a short one is far below.
    let customer = |h: f64| {
        let schedule = Schedule::Continuous { annual_rate: 0.15, horizon: Some(h) };
        value_customers(&bg, &gg, &table, &schedule, 0.3)[0].discounted_purchases
    };
    let (short, long) = (customer(52.0), customer(52.0 * 100.0));
    let infinite_value = values[0].discounted_purchases;
    assert!(short < long && long <= infinite_value * (1.0 + 1e-9), "{short} {long} {infinite_value}");
    assert!((long - infinite_value).abs() < 1e-3 * infinite_value, "{long} vs {infinite_value}");
}
