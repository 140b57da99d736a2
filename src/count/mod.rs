//! Purchase-count models ("buy till you die"): each file is one model implementing [`CountModel`] for
//! predictions and [`crate::fit::Family`] for fitting. Times are in the model's unit; x is the number of repeat
//! purchases, t_x the recency and T (`age`) the time since the first purchase.

pub mod bg_nbd;
pub mod pareto_nbd;

pub use bg_nbd::BgNbd;
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
    /// E[X(t)]: expected purchases in (0, t] of a customer drawn at random from the population at time 0.
    fn expected_purchases_new(&self, t: f64) -> f64;
    /// E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] of a customer with this summary.
    fn expected_purchases(&self, x: f64, t_x: f64, age: f64, t: f64) -> f64;
    /// P(alive at T | x, t_x, T).
    fn p_alive(&self, x: f64, t_x: f64, age: f64) -> f64;
    /// P(X(t) = n) for a customer drawn at random at time 0.
    fn probability_of_purchases(&self, t: f64, n: u32) -> f64;
}
