//! Synthetic customers drawn from a purchase-count model: for recovery tests, benchmarks, and users who want to
//! see what a model implies. Customers join uniformly over a cohort window and are watched until a common end.

use super::{CountModel, SimulationRng};
use crate::data::customers::IdArena;
use crate::data::{SummaryTable, TimeUnit};
use crate::spend::GammaGamma;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// Who is simulated and for how long (times in the model's unit, from the start of the cohort window).
#[derive(Clone, Copy, Debug)]
pub struct SimulationPlan {
    /// Number of customers.
    pub customers: usize,
    /// Seed: the same seed gives the same customers, whatever the thread count.
    pub seed: u64,
    /// First purchases are uniform over [0, cohort).
    pub cohort: f64,
    /// Everyone is observed until this time.
    pub observation_end: f64,
    /// Most repeat purchases drawn per customer (a guard against extreme rates).
    pub max_purchases: usize,
    /// A spend model: when given, every purchase (the first included) gets an amount.
    pub spend: Option<GammaGamma>,
}

/// One simulated customer: when they first bought and when they bought again (times since the start).
#[derive(Clone, Debug, PartialEq)]
pub struct SimulatedCustomer {
    /// Time of the first purchase.
    pub first: f64,
    /// Times of the repeat purchases (absolute, ascending).
    pub repeats: Vec<f64>,
    /// Amounts of the first and the repeat purchases, in order; empty without a spend model.
    pub amounts: Vec<f64>,
}

/// The generator of customer `i` of a simulation with `seed`: each customer has their own stream, so the draws do
/// not depend on the order or the threads in which customers are simulated.
pub fn customer_rng(seed: u64, i: usize) -> SimulationRng {
    SimulationRng::seed_from_u64(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Draws `plan.customers` customers from `model`. Customer i uses its own generator seeded from (seed, i).
/// For a model of discrete opportunities first purchases fall at the start of a whole period (uniform over the
/// periods 0 .. ⌈cohort⌉ − 1), so that every time is a whole number of periods.
pub fn simulate(model: &dyn CountModel, plan: &SimulationPlan) -> Vec<SimulatedCustomer> {
    (0..plan.customers)
        .into_par_iter()
        .map(|i| {
            let mut rng = customer_rng(plan.seed, i);
            let uniform = plan.cohort * rng.random::<f64>();
            let first = if model.is_discrete() { uniform.floor() } else { uniform };
            let mut repeats = Vec::new();
            model.draw_repeat_times(&mut rng, plan.observation_end - first, plan.max_purchases, &mut repeats);
            repeats.iter_mut().for_each(|t| *t += first);
            let amounts = plan.spend.map_or_else(Vec::new, |spend| spend.draw_amounts(&mut rng, repeats.len() + 1));
            SimulatedCustomer { first, repeats, amounts }
        })
        .collect()
}

impl SimulatedCustomer {
    /// The mean amount of the repeat purchases (0 without any); `None` when the purchases have no amounts.
    pub fn mean_repeat_spend(&self) -> Option<f64> {
        let repeats = self.amounts.get(1..)?;
        Some(if repeats.is_empty() { 0.0 } else { repeats.iter().sum::<f64>() / repeats.len() as f64 })
    }

    /// (x, t_x, T) in continuous time at the observation end.
    pub fn summary(&self, observation_end: f64) -> (f64, f64, f64) {
        let last = self.repeats.last().map_or(self.first, |t| *t);
        (self.repeats.len() as f64, last - self.first, observation_end - self.first)
    }
}

/// The summary of simulated customers at `end` (times in `unit`; whole periods when `discrete`), in simulation
/// order, ids 1, 2, ...; with `monetary_value` (mean repeat spend) when the purchases have amounts.
pub fn summary_table(customers: &[SimulatedCustomer], end: f64, unit: TimeUnit, discrete: bool) -> SummaryTable {
    let mut ids = IdArena::default();
    let (mut frequency, mut recency, mut age, mut spend) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, c) in customers.iter().enumerate() {
        ids.push((i + 1).to_string().as_bytes()).expect("ids fit");
        let (x, t_x, t) = c.summary(end);
        frequency.push(x as u32);
        recency.push(t_x);
        age.push(t);
        spend.extend(c.mean_repeat_spend());
    }
    SummaryTable {
        unit,
        discrete,
        calibration_end: None,
        observation_end: None,
        ids,
        frequency,
        recency,
        age,
        monetary_value: (spend.len() == customers.len() && !spend.is_empty()).then_some(spend),
        holdout: None,
    }
}
