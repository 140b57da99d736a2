//! Backtesting on the holdout period: the model's predictions and the simple formula's, against what customers
//! actually bought, in total, per customer (MAE, RMSE) and in ranking (the share of the actual total captured by
//! the customers each method puts in its top 10% and 20%).

use super::discount::periods_per_year;
use super::simple::SimpleInputs;
use crate::count::{CountModel, predict_table};
use crate::data::SummaryTable;
use crate::spend::GammaGamma;

/// The model's and the simple formula's accuracy on the holdout period, for purchases and (with amounts and a
/// spend model) revenue.
#[derive(Clone, Debug, PartialEq)]
pub struct Backtest {
    /// Holdout purchases: (model, simple formula).
    pub purchases: (Accuracy, Accuracy),
    /// Holdout revenue: (model, simple formula).
    pub revenue: Option<(Accuracy, Accuracy)>,
    /// The model's predicted holdout purchases per customer.
    pub model_purchases: Vec<f64>,
}

/// Backtests `table`'s holdout: the model's conditional expectation of purchases over the holdout (× Gamma-Gamma
/// expected spend for revenue) against the simple formula's (each customer's own purchase rate × the holdout
/// length, within the relationship length; × their own mean spend, or the base's for customers without repeat
/// purchases). An error without a holdout, or when a prediction cannot be computed.
pub fn backtest(
    table: &SummaryTable,
    model: &dyn CountModel,
    spend: Option<&GammaGamma>,
    simple: &SimpleInputs,
) -> Result<Backtest, String> {
    let holdout =
        table.holdout.as_ref().ok_or("no holdout columns: summarise with a --calibration-end before the last date")?;
    let duration = holdout.duration;
    if !(duration > 0.0) {
        return Err(format!("the holdout has no length (duration_holdout = {duration})"));
    }
    let per_year = periods_per_year(table.unit);
    let years = (duration / per_year).min(simple.lifetime_years);
    let simple_purchases: Vec<f64> = (0..table.len())
        .map(|i| {
            let rate = if table.age[i] > 0.0 {
                f64::from(table.frequency[i]) / table.age[i] * per_year
            } else {
                simple.purchases_per_year
            };
            rate * years
        })
        .collect();
    let model_purchases: Vec<f64> = predict_table(model, table, duration).iter().map(|p| p.0).collect();
    let actual_purchases: Vec<f64> = holdout.frequency.iter().map(|&x| f64::from(x)).collect();
    let purchases = (accuracy(&model_purchases, &actual_purchases), accuracy(&simple_purchases, &actual_purchases));
    let revenue = match (spend, &holdout.monetary_value, &table.monetary_value) {
        (Some(gg), Some(spend_holdout), Some(spend)) => {
            let actual: Vec<f64> = actual_purchases.iter().zip(spend_holdout).map(|(x, m)| x * m).collect();
            let model_revenue: Vec<f64> = (0..table.len())
                .map(|i| {
                    let expected = gg.expected_spend(f64::from(table.frequency[i]), spend[i]).unwrap_or(f64::NAN);
                    model_purchases[i] * expected
                })
                .collect();
            let simple_revenue: Vec<f64> = (0..table.len())
                .map(|i| {
                    simple_purchases[i] * if table.frequency[i] > 0 { spend[i] } else { simple.average_order_value }
                })
                .collect();
            Some((accuracy(&model_revenue, &actual), accuracy(&simple_revenue, &actual)))
        }
        _ => None,
    };
    let totals = std::iter::once(&purchases).chain(revenue.as_ref());
    if totals.flat_map(|(m, s)| [m.predicted_total, s.predicted_total]).any(|t| !t.is_finite()) {
        return Err("a prediction could not be computed".into());
    }
    Ok(Backtest { purchases, revenue, model_purchases })
}

impl Backtest {
    /// Which method is closer, in words: by the mean absolute error per customer of revenue when there is revenue,
    /// else of purchases.
    pub fn verdict(&self, model: &str) -> String {
        let (what, (m, s)) = match &self.revenue {
            Some(r) => ("revenue", r),
            None => ("purchases", &self.purchases),
        };
        let winner = if m.mae < s.mae {
            format!("the model ({model}) is closer")
        } else if m.mae > s.mae {
            "the simple formula is closer".to_string()
        } else {
            "the model and the simple formula are as close".to_string()
        };
        format!(
            "{winner}: holdout {what} per customer off by {:.3} (model) against {:.3} (simple formula) on average; \
             totals {:.2} and {:.2} for {:.2} actual",
            m.mae, s.mae, m.predicted_total, s.predicted_total, m.actual_total
        )
    }
}

/// Accuracy of one method's per-customer predictions of one quantity.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Accuracy {
    /// Sum of the predictions.
    pub predicted_total: f64,
    /// Sum of the actual values.
    pub actual_total: f64,
    /// Mean absolute error per customer.
    pub mae: f64,
    /// Root mean squared error per customer.
    pub rmse: f64,
    /// Share of the actual total bought by the 10% of customers with the highest predictions.
    pub top10_capture: f64,
    /// Same for the top 20%.
    pub top20_capture: f64,
}

impl Accuracy {
    /// (predicted − actual) / actual of the totals.
    pub fn total_error(&self) -> f64 {
        (self.predicted_total - self.actual_total) / self.actual_total
    }
}

/// Share of `actual` held by the `share` of customers ranked highest by `predicted` (ties by position).
fn capture(predicted: &[f64], actual: &[f64], share: f64) -> f64 {
    let mut order: Vec<usize> = (0..predicted.len()).collect();
    order.sort_by(|&a, &b| predicted[b].total_cmp(&predicted[a]).then(a.cmp(&b)));
    let top = ((predicted.len() as f64) * share).round() as usize;
    let total: f64 = actual.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    order[..top].iter().map(|&i| actual[i]).sum::<f64>() / total
}

/// Compares `predicted` with `actual`, customer by customer.
pub fn accuracy(predicted: &[f64], actual: &[f64]) -> Accuracy {
    let n = predicted.len().max(1) as f64;
    let errors = predicted.iter().zip(actual).map(|(p, a)| p - a);
    Accuracy {
        predicted_total: predicted.iter().sum(),
        actual_total: actual.iter().sum(),
        mae: errors.clone().map(f64::abs).sum::<f64>() / n,
        rmse: (errors.map(|e| e * e).sum::<f64>() / n).sqrt(),
        top10_capture: capture(predicted, actual, 0.1),
        top20_capture: capture(predicted, actual, 0.2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_reversed_rankings() {
        let actual: Vec<f64> = (0..10).map(f64::from).collect();
        let perfect = accuracy(&actual, &actual);
        assert_eq!((perfect.mae, perfect.rmse, perfect.total_error()), (0.0, 0.0, 0.0));
        assert!((perfect.top10_capture - 9.0 / 45.0).abs() < 1e-15);
        assert!((perfect.top20_capture - 17.0 / 45.0).abs() < 1e-15);
        let reversed: Vec<f64> = actual.iter().rev().copied().collect();
        let wrong = accuracy(&reversed, &actual);
        assert_eq!(wrong.top10_capture, 0.0);
        assert!((wrong.mae - 5.0).abs() < 1e-15);
    }
}
