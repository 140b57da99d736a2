//! Discounted expected purchases and customer lifetime value per customer:
//! CLV = margin × expected spend per purchase × discounted expected purchases.

use super::discount::Schedule;
use super::interpolate::smooth_values;
use crate::count::CountModel;
use crate::data::{SummaryTable, TimeUnit};
use crate::math::quadrature::integrate;
use crate::spend::GammaGamma;
use rayon::prelude::*;
use std::collections::HashMap;

/// One customer's value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CustomerValue {
    /// Expected purchases over the valuation horizon (one year when the horizon is infinite), undiscounted.
    pub expected_purchases: f64,
    /// P(alive) at the end of calibration.
    pub p_alive: f64,
    /// Expected spend per purchase (Gamma-Gamma conditional mean).
    pub expected_spend: f64,
    /// Expected purchases discounted by the schedule.
    pub discounted_purchases: f64,
    /// margin × expected spend × discounted purchases, in the input's currency.
    pub clv: f64,
}

/// Discounted expected purchases of a customer alive at T (multiply by P(alive)): the DERT given alive for the
/// infinite horizon; for a finite horizon H, ∫_0^H e^(−δt) dE[Y(t)] = e^(−δH) E[Y(H)] + δ ∫_0^H e^(−δt) E[Y(t)] dt
/// (integration by parts), or for discrete opportunities Σ_{k ≤ H} (E[Y(k)] − E[Y(k−1)]) e^(−δk); for the monthly
/// convention Σ_k (E[Y(k m)] − E[Y((k−1) m)]) / (1 + rate)^k.
pub fn discounted_if_alive(model: &dyn CountModel, x: f64, age: f64, schedule: &Schedule, unit: TimeUnit) -> f64 {
    let expected = |t: f64| model.expected_purchases_if_alive(x, age, t);
    match *schedule {
        Schedule::Continuous { annual_rate, horizon: None } => {
            model.residual_purchases_if_alive(x, age, Schedule::rate_per_unit(annual_rate, unit))
        }
        Schedule::Continuous { annual_rate, horizon: Some(h) } if model.is_discrete() => {
            let delta = Schedule::rate_per_unit(annual_rate, unit);
            discounted_steps((1..=h.floor() as u32).map(|k| (f64::from(k), (-delta * f64::from(k)).exp())), &expected)
        }
        Schedule::Continuous { annual_rate, horizon: Some(h) } => {
            let delta = Schedule::rate_per_unit(annual_rate, unit);
            let end = (-delta * h).exp() * expected(h);
            if delta == 0.0 {
                end
            } else {
                end + delta * integrate(&|t| (-delta * t).exp() * expected(t), 0.0, h, 1e-10)
            }
        }
        Schedule::MonthlyCompat { months, monthly_rate } => {
            let month = Schedule::compat_month(unit);
            let steps = (1..=months).map(|k| (f64::from(k) * month, (1.0 + monthly_rate).powi(k as i32).recip()));
            discounted_steps(steps, &expected)
        }
    }
}

/// Σ_k (E(t_k) − E(t_(k−1))) · f_k over steps (t_k, f_k) with ends t_1 < t_2 < ... (t_0 = 0): the purchases of
/// each step discounted by its factor.
fn discounted_steps(steps: impl Iterator<Item = (f64, f64)>, expected: &dyn Fn(f64) -> f64) -> f64 {
    let mut previous = 0.0;
    steps
        .map(|(t, factor)| {
            let now = expected(t);
            let increment = (now - previous) * factor;
            previous = now;
            increment
        })
        .sum()
}

/// The horizon of the undiscounted `expected_purchases` column, in the model's unit.
pub fn reporting_horizon(schedule: &Schedule, unit: TimeUnit) -> f64 {
    match *schedule {
        Schedule::Continuous { horizon: Some(h), .. } => h,
        Schedule::Continuous { horizon: None, .. } => super::discount::periods_per_year(unit),
        Schedule::MonthlyCompat { months, .. } => f64::from(months) * Schedule::compat_month(unit),
    }
}

/// Values every customer of `table` (in table order, in parallel). Given alive, discounted and expected purchases
/// depend on (x, T) only: they are computed once per distinct pair, interpolated in T for a frequency with many
/// distinct ages, and multiplied by each customer's P(alive).
pub fn value_customers(
    model: &dyn CountModel,
    spend: &GammaGamma,
    table: &SummaryTable,
    schedule: &Schedule,
    margin: f64,
) -> Vec<CustomerValue> {
    let unit = table.unit;
    let horizon = reporting_horizon(schedule, unit);
    let monetary = table.monetary_value.as_deref();
    let key = |i: usize| (f64::from(table.frequency[i]).to_bits(), table.age[i].to_bits());
    let mut keys: Vec<(u64, u64)> = (0..table.len()).map(key).collect();
    keys.par_sort_unstable();
    keys.dedup();
    let mut if_alive: HashMap<(u64, u64), (f64, f64)> = HashMap::with_capacity(keys.len());
    for group in keys.chunk_by(|a, b| a.0 == b.0) {
        let x = f64::from_bits(group[0].0);
        let ages: Vec<f64> = group.iter().map(|k| f64::from_bits(k.1)).collect();
        let discounted = smooth_values(&ages, &|t| discounted_if_alive(model, x, t, schedule, unit));
        let expected = smooth_values(&ages, &|t| model.expected_purchases_if_alive(x, t, horizon));
        if_alive.extend(group.iter().copied().zip(discounted.into_iter().zip(expected)));
    }
    (0..table.len())
        .into_par_iter()
        .map(|i| {
            let (x, t_x, age) = (f64::from(table.frequency[i]), table.recency[i], table.age[i]);
            let p_alive = model.p_alive(x, t_x, age);
            let (discounted, expected) = if_alive[&key(i)];
            let m = monetary.map_or(0.0, |m| m[i]);
            let expected_spend = spend.expected_spend(x, m).unwrap_or(f64::NAN);
            CustomerValue {
                expected_purchases: p_alive * expected,
                p_alive,
                expected_spend,
                discounted_purchases: p_alive * discounted,
                clv: margin * expected_spend * p_alive * discounted,
            }
        })
        .collect()
}
