//! Bootstrap intervals of customer equity: on data simulated from known parameters, the share of 90% intervals
//! containing the true equity (the customers' expected discounted value under the true parameters) is close to
//! 90%; and the intervals do not depend on the thread count.

use clv::count::simulate::{SimulationPlan, simulate, summary_table};
use clv::count::{BgNbd, CountModel};
use clv::data::{SummaryTable, TimeUnit};
use clv::models::ModelKind;
use clv::spend::GammaGamma;
use clv::value::bootstrap::{BootstrapPlan, bootstrap_values, refit_replicates};
use clv::value::discount::Schedule;
use clv::value::lifetime::value_customers;

const TRUTH: BgNbd = BgNbd { r: 0.5, alpha: 5.0, a: 0.8, b: 2.5 };
const SPEND: GammaGamma = GammaGamma { p: 6.0, q: 4.0, gamma: 15.0 };
const SCHEDULE: Schedule = Schedule::Continuous { annual_rate: 0.10, horizon: Some(52.0) };

/// A summary of `n` customers drawn from the truth (weeks; joining over 12 weeks, watched 52).
fn dataset(n: usize, seed: u64) -> SummaryTable {
    let plan = SimulationPlan {
        customers: n,
        seed,
        cohort: 12.0,
        observation_end: 52.0,
        max_purchases: 10_000,
        spend: Some(SPEND),
    };
    summary_table(&simulate(&TRUTH, &plan), plan.observation_end, TimeUnit::Week, false)
}

/// The bootstrap interval of equity for one dataset, and the true equity.
fn interval_and_truth(table: &SummaryTable, replicates: usize, seed: u64) -> (f64, f64, f64) {
    let count = ModelKind::BgNbd.fit(&ModelKind::BgNbd.fit_rows(table).unwrap(), None);
    let spend = ModelKind::GammaGamma.fit(&ModelKind::GammaGamma.fit_rows(table).unwrap(), None);
    let plan = BootstrapPlan { replicates, seed, level: 0.9 };
    let fits = refit_replicates(table, ModelKind::BgNbd, &count.params, Some(&spend.params), &plan);
    let segments = vec![0; table.len()];
    let b = bootstrap_values(table, ModelKind::BgNbd, &fits, &SCHEDULE, 1.0, &segments, 0.9);
    let truth: f64 =
        value_customers(&TRUTH as &dyn CountModel, &SPEND, table, &SCHEDULE, 1.0).iter().map(|v| v.clv).sum();
    (b.equity_interval.low, b.equity_interval.high, truth)
}

#[test]
fn ninety_percent_intervals_cover_the_true_equity_about_ninety_percent_of_the_time() {
    // 80 datasets of 1,000 customers, 100 replicates each. With 80 datasets the share covered has a binomial
    // standard error of 3.4 points at 90%: the test accepts 78% to 98% (about -3.5 and +2.4 standard errors).
    let datasets = 80;
    let covered = (0..datasets)
        .filter(|&k| {
            let (low, high, truth) = interval_and_truth(&dataset(1000, 1000 + k), 100, k);
            low <= truth && truth <= high
        })
        .count();
    let share = covered as f64 / datasets as f64;
    eprintln!("90% bootstrap intervals covered the true equity in {covered} of {datasets} datasets");
    assert!((0.78..=0.98).contains(&share), "covered {covered} of {datasets}");
}

#[test]
fn intervals_do_not_depend_on_the_thread_count() {
    let table = dataset(3000, 5);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let count = ModelKind::BgNbd.fit(&ModelKind::BgNbd.fit_rows(&table).unwrap(), None);
            let spend = ModelKind::GammaGamma.fit(&ModelKind::GammaGamma.fit_rows(&table).unwrap(), None);
            let plan = BootstrapPlan { replicates: 30, seed: 9, level: 0.9 };
            let fits = refit_replicates(&table, ModelKind::BgNbd, &count.params, Some(&spend.params), &plan);
            let segments: Vec<usize> = (0..table.len()).map(|i| i % 3).collect();
            bootstrap_values(&table, ModelKind::BgNbd, &fits, &SCHEDULE, 0.5, &segments, 0.8)
        })
    };
    let one = run(1);
    assert_eq!(one.failed, 0);
    assert_eq!(one.segments.len(), 3);
    assert_eq!(one, run(3));
}
