//! Purchase-count models ("buy till you die"): each file is one model implementing [`CountModel`] for
//! predictions and [`crate::fit::Family`] for fitting. Times are in the model's unit; x is the number of repeat
//! purchases, t_x the recency and T (`age`) the time since the first purchase.

pub mod bg_bb;
pub mod bg_nbd;
pub mod mbg_nbd;
pub mod pareto_nbd;
pub mod simulate;

pub use bg_bb::BgBb;
pub use bg_nbd::BgNbd;
pub use mbg_nbd::MbgNbd;
pub use pareto_nbd::ParetoNbd;

/// What every purchase-count model predicts. Functions return NaN when a value cannot be computed (callers
/// check and refuse to print it).
pub trait CountModel: Sync + Send {
    /// The model's name in files (`bg_nbd`, `pareto_nbd`).
    fn name(&self) -> &'static str;
    /// Parameter names and values, in the model's order.
    fn parameters(&self) -> Vec<(&'static str, f64)>;
    /// ln L(x, t_x, T): the log-likelihood of one customer's summary.
    fn log_likelihood(&self, x: f64, t_x: f64, age: f64) -> f64;
    /// Whether the model counts discrete opportunities (times are whole periods, horizons are floored to them)
    /// rather than continuous time.
    fn is_discrete(&self) -> bool {
        false
    }
    /// E[X(t)]: expected purchases in (0, t] of a customer drawn at random from the population at time 0.
    fn expected_purchases_new(&self, t: f64) -> f64;
    /// E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] of a customer with this summary
    /// = P(alive) × [`CountModel::expected_purchases_if_alive`].
    fn expected_purchases(&self, x: f64, t_x: f64, age: f64, t: f64) -> f64 {
        self.p_alive(x, t_x, age) * self.expected_purchases_if_alive(x, age, t)
    }
    /// Expected purchases in (T, T + t] of a customer known to be alive at T: it depends on x and T only (not on
    /// t_x), so it can be computed once per distinct (x, T).
    fn expected_purchases_if_alive(&self, x: f64, age: f64, t: f64) -> f64;
    /// P(alive at T | x, t_x, T).
    fn p_alive(&self, x: f64, t_x: f64, age: f64) -> f64;
    /// P(X(t) = n) for a customer drawn at random at time 0.
    fn probability_of_purchases(&self, t: f64, n: u32) -> f64;
    /// DERT: the discounted expected residual purchases of a customer with this summary, over an infinite horizon,
    /// discounted continuously at `delta` per time unit: E[∫_T^∞ e^(−δ(τ−T)) dN(τ) | x, t_x, T] (Fader, Hardie &
    /// Lee 2005, JMR) = P(alive) × [`CountModel::residual_purchases_if_alive`]. NaN when it cannot be computed.
    fn discounted_residual_purchases(&self, x: f64, t_x: f64, age: f64, delta: f64) -> f64 {
        self.p_alive(x, t_x, age) * self.residual_purchases_if_alive(x, age, delta)
    }
    /// The DERT of a customer known to be alive at T: it depends on x and T only (not on t_x), so it can be
    /// computed once per distinct (x, T).
    fn residual_purchases_if_alive(&self, x: f64, age: f64, delta: f64) -> f64;
    /// Draws a new customer from the population and appends the times of their repeat purchases in
    /// (0, horizon] to `times` (the first purchase is at 0 and is not included); at most `limit` purchases.
    fn draw_repeat_times(&self, rng: &mut SimulationRng, horizon: f64, limit: usize, times: &mut Vec<f64>);
}

/// The random generator of simulations: xoshiro256++, a stable, documented algorithm, so that a seed gives the
/// same draws in every build.
pub type SimulationRng = rand::rngs::Xoshiro256PlusPlus;

/// Appends the times of a Poisson process at `rate` in (0, end] to `times` (at most `limit` in all), stopping
/// early when `drops_out` says so after a purchase: the purchase story both count models share.
pub fn draw_purchases(
    rng: &mut SimulationRng,
    rate: f64,
    end: f64,
    limit: usize,
    times: &mut Vec<f64>,
    mut drops_out: impl FnMut(&mut SimulationRng) -> bool,
) {
    use rand_distr::{Distribution, Exp};
    let Ok(gap) = Exp::new(rate) else { return };
    let mut t = 0.0;
    while times.len() < limit {
        t += gap.sample(rng);
        if t > end {
            return;
        }
        times.push(t);
        if drops_out(rng) {
            return;
        }
    }
}

/// Expected purchases over `horizon` and P(alive), per customer of `table`, in table order (in parallel).
pub fn predict_table(model: &dyn CountModel, table: &crate::data::SummaryTable, horizon: f64) -> Vec<(f64, f64)> {
    use rayon::prelude::*;
    (0..table.len())
        .into_par_iter()
        .map(|i| {
            let (x, t_x, age) = (f64::from(table.frequency[i]), table.recency[i], table.age[i]);
            let alive = model.p_alive(x, t_x, age);
            (alive * model.expected_purchases_if_alive(x, age, horizon), alive)
        })
        .collect()
}
