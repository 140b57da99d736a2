//! Fitting and predicting the purchase-count models on simulated customers: 100,000 and 1,000,000, with
//! continuous times (nearly every row distinct, so compression cannot help) and with times at day resolution;
//! BG/BB on monthly opportunities; and the sBG from a subscription log of 1,000,000 rows, read and fitted.
//!
//! Run: `cargo bench --bench fit`.

use clv::count::simulate::{SimulationPlan, simulate};
use clv::count::{BgBb, BgNbd, CountModel, ParetoNbd, predict_table};
use clv::data::customers::IdArena;
use clv::data::{SummaryTable, TimeUnit};
use clv::fit::FitRows;
use clv::models::ModelKind;
use std::sync::OnceLock;

/// Simulated summaries in weeks from the CDNOW estimates: (x, t_x, T) per customer.
struct Data {
    x: Vec<f64>,
    t_x: Vec<f64>,
    age: Vec<f64>,
}

impl Data {
    fn draw(model: &dyn CountModel, customers: usize, day_resolution: bool) -> Data {
        // Weeks for the continuous-time models; months for BG/BB (joining over 6, observed to month 24).
        let (cohort, observation_end) = if model.is_discrete() { (6.0, 24.0) } else { (12.0, 39.0) };
        let plan = SimulationPlan { customers, seed: 42, cohort, observation_end, max_purchases: 100_000, spend: None };
        let round = |t: f64| if day_resolution { (t * 7.0).floor() / 7.0 } else { t };
        let (mut x, mut t_x, mut age) = (Vec::new(), Vec::new(), Vec::new());
        for c in simulate(model, &plan) {
            let first = round(c.first);
            x.push(c.repeats.len() as f64);
            t_x.push(c.repeats.last().map_or(0.0, |t| round(*t) - first));
            age.push(round(plan.observation_end) - first);
        }
        Data { x, t_x, age }
    }

    fn table(&self) -> SummaryTable {
        let mut ids = IdArena::default();
        (0..self.x.len()).for_each(|i| {
            ids.push(i.to_string().as_bytes()).unwrap();
        });
        SummaryTable {
            unit: TimeUnit::Week,
            discrete: false,
            calibration_end: None,
            observation_end: None,
            ids,
            frequency: self.x.iter().map(|&v| v as u32).collect(),
            recency: self.t_x.clone(),
            age: self.age.clone(),
            monetary_value: None,
            holdout: None,
        }
    }
}

const BG: BgNbd = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const BGBB: BgBb = BgBb { alpha: 1.2, beta: 0.75, gamma: 0.66, delta: 2.8 };
const PNBD: ParetoNbd = ParetoNbd { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 };

fn data(kind: ModelKind, customers: usize, day_resolution: bool) -> &'static Data {
    static CACHE: OnceLock<std::sync::Mutex<Vec<(String, &'static Data)>>> = OnceLock::new();
    let key = format!("{kind:?}{customers}{day_resolution}");
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap();
    if let Some((_, d)) = cache.iter().find(|(k, _)| *k == key) {
        return d;
    }
    let d: &'static Data = Box::leak(Box::new(Data::draw(truth(kind), customers, day_resolution)));
    cache.push((key, d));
    d
}

/// The model the data of `kind` are drawn from.
fn truth(kind: ModelKind) -> &'static dyn CountModel {
    match kind {
        ModelKind::ParetoNbd => &PNBD,
        ModelKind::BgBb => &BGBB,
        _ => &BG,
    }
}

const SIZES: [usize; 2] = [100_000, 1_000_000];

fn fit_bench(bencher: divan::Bencher, kind: ModelKind, customers: usize, day_resolution: bool) {
    let d = data(kind, customers, day_resolution);
    bencher.bench(|| {
        let rows = FitRows::compress(&d.x, &d.t_x, &d.age);
        let e = kind.fit(&rows, None);
        assert!(e.diagnostics.converged);
        e
    });
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn fit_bg_nbd_continuous(bencher: divan::Bencher, customers: usize) {
    fit_bench(bencher, ModelKind::BgNbd, customers, false);
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn fit_bg_nbd_days(bencher: divan::Bencher, customers: usize) {
    fit_bench(bencher, ModelKind::BgNbd, customers, true);
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn fit_mbg_nbd_continuous(bencher: divan::Bencher, customers: usize) {
    fit_bench(bencher, ModelKind::MbgNbd, customers, false);
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn fit_bg_bb_months(bencher: divan::Bencher, customers: usize) {
    fit_bench(bencher, ModelKind::BgBb, customers, false);
}

#[divan::bench(args = SIZES, sample_count = 3, sample_size = 1)]
fn fit_pareto_nbd_continuous(bencher: divan::Bencher, customers: usize) {
    fit_bench(bencher, ModelKind::ParetoNbd, customers, false);
}

#[divan::bench(args = SIZES, sample_count = 3, sample_size = 1)]
fn fit_pareto_nbd_days(bencher: divan::Bencher, customers: usize) {
    fit_bench(bencher, ModelKind::ParetoNbd, customers, true);
}

fn predict_bench(bencher: divan::Bencher, kind: ModelKind, customers: usize) {
    let table = data(kind, customers, false).table();
    // 39 weeks, or 12 monthly opportunities.
    let horizon = if kind.is_discrete() { 12.0 } else { 39.0 };
    bencher.counter(divan::counter::ItemsCount::new(customers)).bench(|| predict_table(truth(kind), &table, horizon));
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn predict_bg_nbd(bencher: divan::Bencher, customers: usize) {
    predict_bench(bencher, ModelKind::BgNbd, customers);
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn predict_pareto_nbd(bencher: divan::Bencher, customers: usize) {
    predict_bench(bencher, ModelKind::ParetoNbd, customers);
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn predict_bg_bb(bencher: divan::Bencher, customers: usize) {
    predict_bench(bencher, ModelKind::BgBb, customers);
}

/// Reads a log of 1,000,000 monthly subscriptions (starting over two years, watched three) and fits the sBG.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn sbg_from_a_log_of_1m_subscriptions(bencher: divan::Bencher) {
    use clv::data::{ColumnRef, DateFormat, Day};
    use clv::retention::sbg::{SbgFamily, ShiftedBetaGeometric};
    use clv::retention::simulate::{SubscriptionPlan, simulate_subscriptions};
    use clv::retention::subscriptions::{SubscriptionLayout, read_subscriptions};
    use std::fmt::Write as _;
    let start = Day::from_ymd(2020, 1, 1).unwrap();
    let plan = SubscriptionPlan {
        subscribers: 1_000_000,
        seed: 42,
        first_start: start,
        start_window_days: 731,
        observation_end: Day::from_ymd(2022, 12, 31).unwrap(),
        unit: TimeUnit::Month,
    };
    let mut text = String::from("customer_id,start,end\n");
    for (i, (first, end)) in
        simulate_subscriptions(&ShiftedBetaGeometric { alpha: 1.3, beta: 6.5 }, &plan).iter().enumerate()
    {
        let _ = writeln!(text, "{i},{first},{}", end.map_or(String::new(), |d| d.to_string()));
    }
    let path = std::env::temp_dir().join(format!("clv-bench-subscriptions-{}.csv", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let layout = SubscriptionLayout {
        customer: "customer_id".parse::<ColumnRef>().unwrap(),
        start: "start".parse().unwrap(),
        end: "end".parse().unwrap(),
        date_format: DateFormat::Auto,
    };
    bencher.counter(divan::counter::ItemsCount::new(plan.subscribers)).bench(|| {
        let (_, tenures, _) = read_subscriptions(&path, &layout, TimeUnit::Month, None).unwrap();
        let e = clv::fit::fit(&SbgFamily, &tenures.rows(), None);
        assert!(e.diagnostics.converged);
        e
    });
    let _ = std::fs::remove_file(&path);
}

fn main() {
    divan::main();
}
