//! Synthetic subscription logs drawn from a shifted-beta-geometric model: for recovery tests and for users who
//! want to see what a retention model implies.

use super::sbg::ShiftedBetaGeometric;
use super::subscriptions::add_periods;
use crate::count::simulate::customer_rng;
use crate::data::{Day, TimeUnit};
use rand::RngExt;
use rayon::prelude::*;

/// Who subscribes, when, and until when they are watched.
#[derive(Clone, Copy, Debug)]
pub struct SubscriptionPlan {
    /// Number of subscriptions.
    pub subscribers: usize,
    /// Seed: the same seed gives the same log, whatever the thread count.
    pub seed: u64,
    /// First day of the window over which subscriptions start.
    pub first_start: Day,
    /// Starts are uniform over this many days from `first_start`.
    pub start_window_days: u32,
    /// The last day observed.
    pub observation_end: Day,
    /// The contract period.
    pub unit: TimeUnit,
}

/// Draws the subscriptions of `plan`: (start, end), the end (the first day without service, start + T periods)
/// present when it falls on or before the observation end.
pub fn simulate_subscriptions(model: &ShiftedBetaGeometric, plan: &SubscriptionPlan) -> Vec<(Day, Option<Day>)> {
    (0..plan.subscribers)
        .into_par_iter()
        .map(|i| {
            let mut rng = customer_rng(plan.seed, i);
            let offset = (f64::from(plan.start_window_days) * rng.random::<f64>()) as i32;
            let start = Day(plan.first_start.0 + offset);
            // Enough periods to pass the observation end from any start in the window (a subscriber still active
            // then gets limit + 1, whose end is after the observation end).
            let limit = (f64::from(plan.observation_end.days_since(plan.first_start)) / plan.unit.days()) as u32 + 2;
            let tenure = model.draw_tenure(&mut rng, limit);
            let end = add_periods(start, plan.unit, tenure);
            (start, (end <= plan.observation_end).then_some(end))
        })
        .collect()
}
