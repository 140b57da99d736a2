//! Fitting and predicting BG/NBD and Pareto/NBD on simulated customers: 100,000 and 1,000,000, with continuous
//! times (nearly every row distinct, so compression cannot help) and with times at day resolution.
//!
//! Run: `cargo bench --bench fit`.

use clv::count::simulate::{SimulationPlan, simulate};
use clv::count::{BgNbd, CountModel, ParetoNbd, predict_table};
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
        let plan = SimulationPlan { customers, seed: 42, cohort: 12.0, observation_end: 39.0, max_purchases: 100_000 };
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
const PNBD: ParetoNbd = ParetoNbd { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 };

fn data(kind: ModelKind, customers: usize, day_resolution: bool) -> &'static Data {
    static CACHE: OnceLock<std::sync::Mutex<Vec<(String, &'static Data)>>> = OnceLock::new();
    let key = format!("{kind:?}{customers}{day_resolution}");
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap();
    if let Some((_, d)) = cache.iter().find(|(k, _)| *k == key) {
        return d;
    }
    let model: &dyn CountModel = match kind {
        ModelKind::BgNbd | ModelKind::MbgNbd => &BG,
        _ => &PNBD,
    };
    let d: &'static Data = Box::leak(Box::new(Data::draw(model, customers, day_resolution)));
    cache.push((key, d));
    d
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
    let model: &dyn CountModel = match kind {
        ModelKind::ParetoNbd => &PNBD,
        _ => &BG,
    };
    bencher.counter(divan::counter::ItemsCount::new(customers)).bench(|| predict_table(model, &table, 39.0));
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn predict_bg_nbd(bencher: divan::Bencher, customers: usize) {
    predict_bench(bencher, ModelKind::BgNbd, customers);
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn predict_pareto_nbd(bencher: divan::Bencher, customers: usize) {
    predict_bench(bencher, ModelKind::ParetoNbd, customers);
}

fn main() {
    divan::main();
}
