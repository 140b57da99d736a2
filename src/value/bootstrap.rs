//! Intervals for a valuation by the bootstrap (Efron & Tibshirani 1993, percentile intervals): customers are
//! resampled with replacement, the count and spend models refitted on each resample (warm-started at the point
//! estimate), and the base as it is (every customer once) valued under each replicate's parameters. The spread of
//! the replicates' customer equity, segment values and per-customer figures is the uncertainty that comes from
//! having estimated the parameters on this base.
//!
//! Replicates are independent and run in parallel; replicate b draws from its own generator seeded from
//! (seed, b), and every sum runs in a fixed order, so the same seed gives the same intervals whatever the thread
//! count. Memory stays proportional to the customers: per-customer quantiles are taken chunk by chunk (a chunk's
//! customers under every replicate), never holding replicates × customers.

use super::discount::Schedule;
use super::lifetime::value_customers;
use crate::count::simulate::customer_rng;
use crate::count::{CountModel, predict_table};
use crate::data::SummaryTable;
use crate::models::ModelKind;
use crate::spend::GammaGamma;
use rand::RngExt;
use rayon::prelude::*;

/// What to bootstrap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BootstrapPlan {
    /// Replicates (resamples).
    pub replicates: usize,
    /// Seed of the resampling.
    pub seed: u64,
    /// Coverage of the intervals (0.9 for 5% to 95%).
    pub level: f64,
}

impl BootstrapPlan {
    /// Checks the plan: at least 2 replicates and a level strictly between 0 and 1.
    pub fn validate(&self) -> Result<(), String> {
        if self.replicates < 2 || !(self.level > 0.0 && self.level < 1.0) {
            return Err(
                "intervals need at least 2 replicates (200 or more for 90% intervals) and a level between 0 and 1"
                    .into(),
            );
        }
        Ok(())
    }
}

/// A low and a high end.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// One customer's intervals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CustomerIntervals {
    /// CLV.
    pub clv: Interval,
    /// Expected purchases over the valuation's reporting horizon.
    pub expected_purchases: Interval,
    /// P(alive).
    pub p_alive: Interval,
}

/// The bootstrap's results.
#[derive(Clone, Debug, PartialEq)]
pub struct Bootstrap {
    /// Coverage of the intervals.
    pub level: f64,
    /// Replicates asked for.
    pub replicates: usize,
    /// Replicates whose refit failed (neither converged nor reached a boundary limit); left out.
    pub failed: usize,
    /// Customer equity under each kept replicate, in replicate order.
    pub equity: Vec<f64>,
    /// The percentile interval of customer equity.
    pub equity_interval: Interval,
    /// The percentile interval of each segment's total value (segments as given, fixed across replicates).
    pub segments: Vec<Interval>,
    /// Every customer's intervals, in table order.
    pub customers: Vec<CustomerIntervals>,
}

/// The `q`-quantile (0..1) of `values` (sorted in place), by linear interpolation between order statistics.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let position = q.clamp(0.0, 1.0) * (values.len().saturating_sub(1)) as f64;
    let (below, above) = (position.floor() as usize, position.ceil() as usize);
    let fraction = position - below as f64;
    match values.len() {
        0 => f64::NAN,
        _ => values[below] + (values[above] - values[below]) * fraction,
    }
}

/// The percentile interval of `values` at `level`.
pub fn percentile_interval(values: &mut [f64], level: f64) -> Interval {
    let tail = (1.0 - level) / 2.0;
    Interval { low: quantile(values, tail), high: quantile(values, 1.0 - tail) }
}

/// How many times each of `n` customers is drawn in replicate `b`: n draws with replacement.
fn resample_counts(n: usize, seed: u64, b: usize) -> Vec<f64> {
    let mut rng = customer_rng(seed ^ 0xB007_57A9, b);
    let mut counts = vec![0.0; n];
    for _ in 0..n {
        counts[rng.random_range(0..n)] += 1.0;
    }
    counts
}

/// One replicate's refitted parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Replicate {
    /// The count model's.
    pub count: Vec<f64>,
    /// The spend model's (Gamma-Gamma), when a spend model was refitted.
    pub spend: Option<Vec<f64>>,
}

/// The parameters of each replicate, `None` where a refit failed. The point estimates `count` and `spend` are the
/// warm starts; without `spend` only the count model is refitted.
pub fn refit_replicates(
    table: &SummaryTable,
    kind: ModelKind,
    count: &[f64],
    spend: Option<&[f64]>,
    plan: &BootstrapPlan,
) -> Vec<Option<Replicate>> {
    (0..plan.replicates)
        .into_par_iter()
        .map(|b| {
            let weights = resample_counts(table.len(), plan.seed, b);
            let count_rows = kind.weighted_fit_rows(table, Some(&weights)).ok()?;
            let count_fit = kind.fit(&count_rows, Some(count));
            if !count_fit.diagnostics.usable() {
                return None;
            }
            let spend = match spend {
                Some(start) => {
                    let rows = ModelKind::GammaGamma.weighted_fit_rows(table, Some(&weights)).ok()?;
                    let fit = ModelKind::GammaGamma.fit(&rows, Some(start));
                    Some((fit.diagnostics.usable() && fit.params[1] > 1.0).then_some(fit.params)?)
                }
                None => None,
            };
            Some(Replicate { count: count_fit.params, spend })
        })
        .collect()
}

/// The intervals of the model's predicted holdout totals, purchases and (with refitted spend models and holdout
/// amounts) revenue, across the replicates: whether the actual totals fall inside is the test of the intervals
/// on data the models did not see.
pub fn holdout_intervals(
    table: &SummaryTable,
    kind: ModelKind,
    replicates: &[Option<Replicate>],
    level: f64,
) -> (Interval, Option<Interval>) {
    let Some(holdout) = &table.holdout else {
        return (Interval { low: f64::NAN, high: f64::NAN }, None);
    };
    let totals: Vec<(f64, Option<f64>)> = replicates
        .iter()
        .flatten()
        .map(|r| {
            let model = kind.count_model(&r.count).expect("a count model");
            let predicted = predict_table(model.as_ref(), table, holdout.duration);
            let purchases = predicted.iter().map(|p| p.0).sum();
            let revenue = match (&r.spend, &table.monetary_value, &holdout.monetary_value) {
                (Some(s), Some(m), Some(_)) => {
                    let gg = GammaGamma::from_params(s);
                    let spend = |i: usize| gg.expected_spend(f64::from(table.frequency[i]), m[i]).unwrap_or(f64::NAN);
                    Some(predicted.iter().enumerate().map(|(i, p)| p.0 * spend(i)).sum())
                }
                _ => None,
            };
            (purchases, revenue)
        })
        .collect();
    let purchases = percentile_interval(&mut totals.iter().map(|t| t.0).collect::<Vec<f64>>(), level);
    let revenue: Option<Vec<f64>> = totals.iter().map(|t| t.1).collect();
    (purchases, revenue.filter(|r| !r.is_empty()).map(|mut r| percentile_interval(&mut r, level)))
}

/// Customers valued together under every replicate (a chunk holds chunk × replicates × 24 bytes at a time).
const CHUNK: usize = 16_384;

/// Values `table` under each replicate's parameters and takes the intervals. `segment_of[i]` is customer i's
/// segment (0..segments), fixed across replicates.
pub fn bootstrap_values(
    table: &SummaryTable,
    kind: ModelKind,
    replicates: &[Option<Replicate>],
    schedule: &Schedule,
    margin: f64,
    segment_of: &[usize],
    level: f64,
) -> Bootstrap {
    let models: Vec<(Box<dyn CountModel>, GammaGamma)> = replicates
        .iter()
        .flatten()
        .filter_map(|r| {
            Some((kind.count_model(&r.count).expect("a count model"), GammaGamma::from_params(r.spend.as_ref()?)))
        })
        .collect();
    let kept = models.len();
    let segments = segment_of.iter().copied().max().map_or(0, |m| m + 1);
    let chunks: Vec<std::ops::Range<usize>> =
        (0..table.len()).step_by(CHUNK).map(|start| start..(start + CHUNK).min(table.len())).collect();
    // Per chunk: the customers' intervals, and per replicate the chunk's equity and segment sums.
    let results: Vec<(Vec<CustomerIntervals>, Vec<f64>, Vec<Vec<f64>>)> = chunks
        .par_iter()
        .map(|range| {
            let part = table.subset(range.clone());
            // Per replicate, each customer's (CLV, expected purchases, P(alive)).
            let values: Vec<Vec<[f64; 3]>> = models
                .iter()
                .map(|(count, spend)| {
                    let values = value_customers(count.as_ref(), spend, &part, schedule, margin);
                    values.iter().map(|v| [v.clv, v.expected_purchases, v.p_alive]).collect()
                })
                .collect();
            let equity: Vec<f64> = values.iter().map(|v| v.iter().map(|c| c[0]).sum()).collect();
            let segment_sums: Vec<Vec<f64>> = values
                .iter()
                .map(|v| {
                    let mut sums = vec![0.0; segments];
                    v.iter().zip(range.clone()).for_each(|(c, i)| sums[segment_of[i]] += c[0]);
                    sums
                })
                .collect();
            let customers = (0..part.len())
                .map(|k| {
                    let draws = |j: usize| {
                        percentile_interval(&mut values.iter().map(|v| v[k][j]).collect::<Vec<f64>>(), level)
                    };
                    CustomerIntervals { clv: draws(0), expected_purchases: draws(1), p_alive: draws(2) }
                })
                .collect();
            (customers, equity, segment_sums)
        })
        .collect();
    let mut equity = vec![0.0; kept];
    let mut segment_values = vec![vec![0.0; kept]; segments];
    let mut customers = Vec::with_capacity(table.len());
    for (chunk_customers, chunk_equity, chunk_segments) in results {
        customers.extend(chunk_customers);
        equity.iter_mut().zip(&chunk_equity).for_each(|(e, c)| *e += c);
        for (b, sums) in chunk_segments.iter().enumerate() {
            sums.iter().enumerate().for_each(|(s, v)| segment_values[s][b] += v);
        }
    }
    let equity_interval = percentile_interval(&mut equity.clone(), level);
    Bootstrap {
        level,
        replicates: replicates.len(),
        failed: replicates.len() - kept,
        equity,
        equity_interval,
        segments: segment_values.iter_mut().map(|v| percentile_interval(v, level)).collect(),
        customers,
    }
}

/// The whole bootstrap: refits on `plan.replicates` resamples (warm-started at `count` and `spend`), then values
/// the base under each. An error when the plan is invalid or fewer than two refits succeed.
#[allow(clippy::too_many_arguments)]
pub fn bootstrap(
    table: &SummaryTable,
    kind: ModelKind,
    count: &[f64],
    spend: &[f64],
    schedule: &Schedule,
    margin: f64,
    segment_of: &[usize],
    plan: &BootstrapPlan,
) -> Result<Bootstrap, String> {
    plan.validate()?;
    let fits = refit_replicates(table, kind, count, Some(spend), plan);
    let result = bootstrap_values(table, kind, &fits, schedule, margin, segment_of, plan.level);
    if result.equity.len() < 2 {
        return Err(format!(
            "only {} of {} bootstrap refits succeeded: no interval",
            result.equity.len(),
            plan.replicates
        ));
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let mut v = vec![4.0, 1.0, 3.0, 2.0, 5.0];
        assert_eq!(quantile(&mut v, 0.5), 3.0);
        assert_eq!(quantile(&mut v, 0.0), 1.0);
        assert_eq!(quantile(&mut v, 1.0), 5.0);
        assert_eq!(quantile(&mut v, 0.125), 1.5);
        let i = percentile_interval(&mut (1..=101).map(f64::from).collect::<Vec<_>>(), 0.9);
        // (1 − 0.9)/2 is 0.04999... in floating point: the ends are 6 and 96 to rounding.
        assert!((i.low - 6.0).abs() < 1e-9 && (i.high - 96.0).abs() < 1e-9, "{i:?}");
    }

    #[test]
    fn a_resample_draws_every_customer_on_average_once() {
        let counts = resample_counts(10_000, 7, 3);
        assert_eq!(counts.iter().sum::<f64>(), 10_000.0);
        let absent = counts.iter().filter(|&&c| c == 0.0).count() as f64 / 10_000.0;
        assert!((absent - (-1.0f64).exp()).abs() < 0.02, "{absent}");
        assert_eq!(counts, resample_counts(10_000, 7, 3));
        assert_ne!(counts, resample_counts(10_000, 7, 4));
    }
}
