//! Valuing 1,000,000 simulated customers (continuous times, BG/NBD and Gamma-Gamma at the CDNOW estimates):
//! infinite horizon at 10% a year (DERT), three years, and the monthly convention.
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

fn main() {
    divan::main();
}
