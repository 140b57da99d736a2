//! Backtesting on the holdout period: the model's predictions and the simple formula's, against what customers
//! actually bought, in total, per customer (MAE, RMSE) and in ranking (the share of the actual total captured by
//! the customers each method puts in its top 10% and 20%).

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
