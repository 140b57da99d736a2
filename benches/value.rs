//! Valuing 1,000,000 simulated customers (continuous times, BG/NBD and Gamma-Gamma at the CDNOW estimates):
//! infinite horizon at 10% a year (DERT), three years, and the monthly convention; and 200 bootstrap replicates
//! (refits and revaluation) on the CDNOW sample and on 100,000 simulated customers.
//!
//! Run: `cargo bench --bench value`.

use clv::count::BgNbd;
use clv::count::simulate::{SimulationPlan, simulate, summary_table};
use clv::data::{SummaryTable, TimeUnit};
use clv::spend::GammaGamma;
use clv::value::discount::Schedule;
use clv::value::lifetime::value_customers;
use std::sync::OnceLock;

const BG: BgNbd = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const GG: GammaGamma = GammaGamma { p: 6.25, q: 3.74, gamma: 15.44 };

fn table() -> &'static SummaryTable {
    static TABLE: OnceLock<SummaryTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let plan = SimulationPlan {
            customers: 1_000_000,
            seed: 3,
            cohort: 12.0,
            observation_end: 39.0,
            max_purchases: 100_000,
            spend: Some(GG),
        };
        summary_table(&simulate(&BG, &plan), plan.observation_end, TimeUnit::Week, false)
    })
}

fn run(bencher: divan::Bencher, schedule: Schedule) {
    let table = table();
    bencher
        .counter(divan::counter::ItemsCount::new(table.len()))
        .bench(|| value_customers(&BG, &GG, table, &schedule, 0.3));
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn value_1m_infinite_horizon(bencher: divan::Bencher) {
    run(bencher, Schedule::Continuous { annual_rate: 0.10, horizon: None });
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn value_1m_three_years(bencher: divan::Bencher) {
    run(bencher, Schedule::Continuous { annual_rate: 0.10, horizon: Some(156.0) });
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn value_1m_monthly_compat(bencher: divan::Bencher) {
    run(bencher, Schedule::MonthlyCompat { months: 12, monthly_rate: 0.01 });
}

/// 200 replicates: both models refitted on each resample, the base valued under each (infinite horizon, 10%).
fn bootstrap_bench(bencher: divan::Bencher, table: &SummaryTable) {
    use clv::models::ModelKind;
    use clv::value::bootstrap::{BootstrapPlan, bootstrap};
    let count = ModelKind::BgNbd.fit(&ModelKind::BgNbd.fit_rows(table).unwrap(), None).params;
    let spend = ModelKind::GammaGamma.fit(&ModelKind::GammaGamma.fit_rows(table).unwrap(), None).params;
    let schedule = Schedule::Continuous { annual_rate: 0.10, horizon: None };
    let plan = BootstrapPlan { replicates: 200, seed: 1, level: 0.9 };
    let segments = vec![0; table.len()];
    bencher.bench(|| bootstrap(table, ModelKind::BgNbd, &count, &spend, &schedule, 1.0, &segments, &plan).unwrap());
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn bootstrap_200_cdnow(bencher: divan::Bencher) {
    use clv::data::{DateFormat, Day, Input, LogLayout, NegativeAmounts, Separator, SummarizeOptions, summarize};
    let layout = LogLayout {
        separator: Separator::Whitespace,
        has_header: false,
        customer: "2".parse().unwrap(),
        date: "3".parse().unwrap(),
        amount: Some("5".parse().unwrap()),
        date_format: DateFormat::Auto,
    };
    let options = SummarizeOptions {
        unit: TimeUnit::Week,
        calibration_end: Day::from_ymd(1997, 9, 30),
        observation_end: Day::from_ymd(1998, 6, 30),
        negative: NegativeAmounts::Refuse,
        skip_bad_rows: false,
        opportunities: None,
    };
    let input = Input::File(concat!(env!("CARGO_MANIFEST_DIR"), "/data/cdnow/CDNOW_sample.txt").into());
    let (table, _) = summarize(&input, &layout, &options, &|_| {}).unwrap();
    bootstrap_bench(bencher, &table);
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn bootstrap_200_simulated_100k(bencher: divan::Bencher) {
    let plan = SimulationPlan {
        customers: 100_000,
        seed: 4,
        cohort: 12.0,
        observation_end: 39.0,
        max_purchases: 100_000,
        spend: Some(GG),
    };
    bootstrap_bench(bencher, &summary_table(&simulate(&BG, &plan), plan.observation_end, TimeUnit::Week, false));
}

fn main() {
    divan::main();
}
