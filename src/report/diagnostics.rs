//! The diagnostics the field expects of a fitted purchase-count model (Fader, Hardie & Lee 2005, figures 2-4), as
//! numbers the charts and `run.json` share: the tracking of repeat purchases over calendar time, calibration
//! against holdout by frequency, frequency-recency grids, the concentration of value, and the model against the
//! simple formula by decile.

use crate::count::CountModel;
use crate::data::{Day, SummaryTable};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Repeat purchases of the whole cohort per calendar period: actual and expected by the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tracking {
    /// Length of a period in days.
    pub period_days: u32,
    /// First day of the first period (the first purchase in the data).
    pub start: String,
    /// Periods counted from `start` at which calibration ends (a fraction when mid-period).
    pub calibration_end: f64,
    /// Actual repeat purchases per period.
    pub actual: Vec<f64>,
    /// Expected repeat purchases per period: Σ over customers of the increments of E[X(t)] since their first
    /// purchase.
    pub expected: Vec<f64>,
}

/// Most periods in a tracking series: longer spans use longer periods.
const MAX_TRACKING_PERIODS: i32 = 160;

/// The tracking series of `table`'s customers from their repeat purchases per day (`repeat_by_day`, as counted by
/// the summary): periods of a week, or of four weeks when that would give more than 160 periods. `None` without
/// the period ends (a summary read from a foreign CSV).
pub fn tracking(table: &SummaryTable, repeat_by_day: &[(Day, u64)], model: &dyn CountModel) -> Option<Tracking> {
    let (calibration_end, observation_end) = (table.calibration_end?, table.observation_end?);
    let unit_days = table.unit.days();
    // Customers by first purchase day: T is whole days from the first purchase to the calibration end.
    let mut first_days: Vec<i32> =
        table.age.iter().map(|t| calibration_end.0 - (t * unit_days).round() as i32).collect();
    first_days.sort_unstable();
    let cohorts: Vec<(i32, f64)> =
        first_days.chunk_by(|a, b| a == b).map(|group| (group[0], group.len() as f64)).collect();
    let start = cohorts.first()?.0;
    let span = observation_end.0 - start + 1;
    let period_days = if (span + 6) / 7 > MAX_TRACKING_PERIODS { 28 } else { 7 };
    let periods = ((span + period_days - 1) / period_days) as usize;
    // Cumulative expected repeat purchases by the end of day `day`.
    let cumulative = |day: i32| -> f64 {
        cohorts
            .iter()
            .filter(|(first, _)| *first < day)
            .map(|(first, n)| n * model.expected_purchases_new(f64::from(day - first) / unit_days))
            .sum()
    };
    let ends: Vec<f64> = (0..periods)
        .into_par_iter()
        .map(|k| cumulative((start + (k as i32 + 1) * period_days - 1).min(observation_end.0)))
        .collect();
    let expected = ends.iter().scan(0.0, |previous, &now| Some(now - std::mem::replace(previous, now))).collect();
    let mut actual = vec![0.0; periods];
    for &(day, n) in repeat_by_day {
        if (start..=observation_end.0).contains(&day.0) {
            actual[((day.0 - start) / period_days) as usize] += n as f64;
        }
    }
    Some(Tracking {
        period_days: period_days as u32,
        start: Day(start).to_string(),
        calibration_end: f64::from(calibration_end.0 - start + 1) / f64::from(period_days),
        actual,
        expected,
    })
}

/// Mean holdout purchases of the customers with each calibration frequency: actual against the model's
/// conditional expectation (Fader, Hardie & Lee 2005, figure 4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionalExpectations {
    /// Frequency labels: 0, 1, ..., and the last as `7+`.
    pub frequency: Vec<String>,
    /// Customers in each group.
    pub customers: Vec<usize>,
    /// Mean actual holdout purchases.
    pub actual: Vec<f64>,
    /// Mean predicted holdout purchases.
    pub predicted: Vec<f64>,
}

/// Frequencies 0 to `MAX_FREQUENCY − 1` each, then one group for the rest.
const MAX_FREQUENCY: u32 = 7;

/// The calibration-against-holdout table, from each customer's predicted holdout purchases; `None` without a
/// holdout.
pub fn conditional_expectations(table: &SummaryTable, predicted: &[f64]) -> Option<ConditionalExpectations> {
    let holdout = table.holdout.as_ref()?;
    let groups = MAX_FREQUENCY as usize + 1;
    let (mut customers, mut actual, mut expected) = (vec![0usize; groups], vec![0.0; groups], vec![0.0; groups]);
    for i in 0..table.len() {
        let g = table.frequency[i].min(MAX_FREQUENCY) as usize;
        customers[g] += 1;
        actual[g] += f64::from(holdout.frequency[i]);
        expected[g] += predicted[i];
    }
    let mean = |sums: Vec<f64>| sums.iter().zip(&customers).map(|(s, &n)| s / n.max(1) as f64).collect();
    Some(ConditionalExpectations {
        frequency: (0..groups as u32)
            .map(|x| if x == MAX_FREQUENCY { format!("{x}+") } else { x.to_string() })
            .collect(),
        actual: mean(actual),
        predicted: mean(expected),
        customers,
    })
}

/// Expected purchases and P(alive) over a grid of frequency (rows, highest first) and recency (columns), for a
/// customer watched for `age` (Fader, Hardie & Lee 2005, figure 5; the frequency-recency matrices of the peers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrequencyRecencyGrid {
    /// The age T of the grid's customer, in the model's unit.
    pub age: f64,
    /// The horizon of the expected purchases, in the model's unit.
    pub horizon: f64,
    /// Frequencies of the rows, highest first.
    pub frequency: Vec<u32>,
    /// Recencies of the columns.
    pub recency: Vec<f64>,
    /// expected[row][column].
    pub expected: Vec<Vec<f64>>,
    /// p_alive[row][column].
    pub p_alive: Vec<Vec<f64>>,
}

/// The grid for frequencies 0 to the 99th percentile of the table's (at most 30), and 16 recencies from 0 to the
/// largest T. A customer without repeat purchases has recency 0 whatever the column; their row repeats it.
pub fn frequency_recency_grid(table: &SummaryTable, model: &dyn CountModel, horizon: f64) -> FrequencyRecencyGrid {
    let age = table.age.iter().fold(0.0f64, |m, &t| m.max(t));
    let mut sorted: Vec<u32> = table.frequency.clone();
    sorted.sort_unstable();
    let top = sorted.get(sorted.len().saturating_sub(1) * 99 / 100).copied().unwrap_or(0).clamp(1, 30);
    let frequency: Vec<u32> = (0..=top).rev().collect();
    let columns = 16;
    let recency: Vec<f64> = (0..columns).map(|k| age * k as f64 / (columns - 1) as f64).collect();
    let cell = |x: u32, t_x: f64| {
        let (x, t_x) = (f64::from(x), if x == 0 { 0.0 } else { t_x });
        (model.expected_purchases(x, t_x, age, horizon), model.p_alive(x, t_x, age))
    };
    let rows: Vec<Vec<(f64, f64)>> =
        frequency.par_iter().map(|&x| recency.iter().map(|&t| cell(x, t)).collect()).collect();
    FrequencyRecencyGrid {
        age,
        horizon,
        expected: rows.iter().map(|r| r.iter().map(|c| c.0).collect()).collect(),
        p_alive: rows.iter().map(|r| r.iter().map(|c| c.1).collect()).collect(),
        frequency,
        recency,
    }
}

/// How value is spread over the base: a histogram of CLV and the share of value held by the top customers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValueConcentration {
    /// Upper edges of the histogram bins, in currency (the last bin holds everything above the 99th
    /// percentile).
    pub bin_upper: Vec<f64>,
    /// Customers per bin.
    pub customers: Vec<usize>,
    /// Share of customers (ranked by CLV, highest first) at 0%, 1%, ..., 100%.
    pub top_share: Vec<f64>,
    /// Share of total value they hold.
    pub value_share: Vec<f64>,
}

/// The concentration of `clv` (20 equal bins up to the 99th percentile, and the top-share curve at every
/// percent).
pub fn value_concentration(clv: &[f64]) -> ValueConcentration {
    let mut sorted: Vec<f64> = clv.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let n = sorted.len();
    let total: f64 = sorted.iter().sum();
    let mut top_share = Vec::new();
    let mut value_share = Vec::new();
    let mut running = 0.0;
    let mut taken = 0;
    for percent in 0..=100usize {
        let upto = (n * percent).div_ceil(100).min(n);
        running += sorted[taken..upto].iter().sum::<f64>();
        taken = upto;
        top_share.push(percent as f64 / 100.0);
        value_share.push(if total > 0.0 { running / total } else { 0.0 });
    }
    let cap = sorted.get(n / 100).copied().unwrap_or(0.0).max(f64::MIN_POSITIVE);
    let bins = 20;
    let bin_upper: Vec<f64> = (1..=bins).map(|k| cap * k as f64 / bins as f64).collect();
    let mut customers = vec![0usize; bins];
    for v in &sorted {
        let k = ((v / cap * bins as f64).ceil() as usize).clamp(1, bins) - 1;
        customers[k] += 1;
    }
    ValueConcentration { bin_upper, customers, top_share, value_share }
}

/// Mean CLV of each decile of customers ranked by the model, by the model and by the simple formula.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecileComparison {
    /// Mean model CLV per decile, top decile first.
    pub model: Vec<f64>,
    /// Mean simple-formula CLV of the same customers.
    pub simple: Vec<f64>,
}

/// The model against the simple formula on the deciles of model CLV (ties by position).
pub fn decile_comparison(clv: &[f64], simple: &[f64]) -> DecileComparison {
    let mut order: Vec<usize> = (0..clv.len()).collect();
    order.sort_by(|&a, &b| clv[b].total_cmp(&clv[a]).then(a.cmp(&b)));
    let n = order.len();
    let (mut model, mut formula) = (Vec::new(), Vec::new());
    for d in 0..10 {
        let members = &order[n * d / 10..n * (d + 1) / 10];
        let count = members.len().max(1) as f64;
        model.push(members.iter().map(|&i| clv[i]).sum::<f64>() / count);
        formula.push(members.iter().map(|&i| simple[i]).sum::<f64>() / count);
    }
    DecileComparison { model, simple: formula }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concentration_of_equal_values_is_proportional() {
        let c = value_concentration(&[1.0; 200]);
        assert_eq!(c.top_share.len(), 101);
        for (s, v) in c.top_share.iter().zip(&c.value_share) {
            assert!((s - v).abs() < 1e-12);
        }
        assert_eq!(c.customers.iter().sum::<usize>(), 200);
    }

    #[test]
    fn concentration_of_one_big_customer() {
        let mut clv = vec![0.0; 99];
        clv.push(50.0);
        let c = value_concentration(&clv);
        assert_eq!(c.value_share[1], 1.0, "the top 1% holds everything");
    }

    #[test]
    fn deciles_rank_by_the_model() {
        let clv: Vec<f64> = (0..100).map(f64::from).collect();
        let simple = vec![1.0; 100];
        let d = decile_comparison(&clv, &simple);
        assert_eq!(d.model[0], 94.5);
        assert_eq!(d.model[9], 4.5);
        assert!(d.simple.iter().all(|&v| v == 1.0));
    }
}
