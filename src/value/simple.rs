//! The simple formula of the business literature: CLV = average order value × purchases per year × average
//! relationship length in years, and its retention-based variant margin × yearly value × (1 + d)/(1 + d − r)
//! (the perpetuity of a yearly value retained at rate r and discounted at d, paid at the start of each year).
//! Every input is estimated from the calibration summary, and the estimate says how.

use super::discount::periods_per_year;
use crate::data::SummaryTable;

/// The base-level inputs of the simple formula, with how each was estimated.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SimpleInputs {
    /// Mean value of a repeat purchase over the base, Σ x m / Σ x, in currency.
    pub average_order_value: f64,
    /// Repeat purchases per customer per year over the base, Σ x / Σ T × periods per year.
    pub purchases_per_year: f64,
    /// Share of customers retained per year (see `how`).
    pub retention: f64,
    /// Average relationship length in years, 1 / (1 − retention).
    pub lifetime_years: f64,
    /// Sentences saying how each input was estimated.
    pub how: Vec<String>,
}

/// Longest relationship the formula will assume (a retention of 1 would make it infinite).
const MAX_LIFETIME_YEARS: f64 = 100.0;

/// Estimates the inputs from a calibration summary with amounts.
pub fn estimate_inputs(table: &SummaryTable) -> SimpleInputs {
    let unit = table.unit;
    let per_year = periods_per_year(unit);
    let spend = table.monetary_value.as_deref().unwrap_or(&[]);
    let repeats: f64 = table.frequency.iter().map(|&x| f64::from(x)).sum();
    let revenue: f64 = table.frequency.iter().zip(spend).map(|(&x, m)| f64::from(x) * m).sum();
    let exposure: f64 = table.age.iter().sum();
    let average_order_value = if repeats > 0.0 { revenue / repeats } else { 0.0 };
    let purchases_per_year = repeats / exposure * per_year;
    // Retention: among customers watched for at least a window W (a year, or half the longest T when less data),
    // the share who bought in the last W; scaled to a year.
    let longest = table.age.iter().fold(0.0f64, |m, &t| m.max(t));
    let window = per_year.min(longest / 2.0);
    let watched: Vec<usize> = (0..table.len()).filter(|&i| table.age[i] >= window).collect();
    let active =
        watched.iter().filter(|&&i| table.frequency[i] > 0 && table.age[i] - table.recency[i] <= window).count();
    let share = if watched.is_empty() { 0.0 } else { active as f64 / watched.len() as f64 };
    let retention = share.powf(per_year / window).min(1.0 - 1.0 / MAX_LIFETIME_YEARS);
    let lifetime_years = 1.0 / (1.0 - retention);
    let how = vec![
        format!(
            "average order value {average_order_value:.2}: mean of the {repeats} repeat purchases (Σ x·m / Σ x); a customer's own mean when they have repeat purchases"
        ),
        format!(
            "purchases per year {purchases_per_year:.3}: repeat purchases over the base's total time watched (Σ x / Σ T × {per_year}); a customer's own x / T when T > 0"
        ),
        format!(
            "retention {retention:.3} a year: {active} of the {} customers watched at least {window:.1} {unit}s bought in the last {window:.1} {unit}s ({:.1}%), scaled to a year",
            watched.len(),
            share * 100.0
        ),
        format!("relationship length {lifetime_years:.2} years: 1 / (1 − retention), at most {MAX_LIFETIME_YEARS}"),
    ];
    SimpleInputs { average_order_value, purchases_per_year, retention, lifetime_years, how }
}

impl SimpleInputs {
    /// The same inputs with a yearly retention the user knows (their own churn figure), in [0, 1).
    pub fn with_retention(mut self, retention: f64) -> Result<SimpleInputs, String> {
        if !(0.0..1.0).contains(&retention) {
            return Err(format!("the retention {retention} must be at least 0 and below 1 (a yearly share)"));
        }
        self.retention = retention;
        self.lifetime_years = 1.0 / (1.0 - retention);
        self.how[2] = format!("retention {retention:.3} a year: given (--retention)");
        self.how[3] = format!("relationship length {:.2} years: 1 / (1 − retention)", self.lifetime_years);
        Ok(self)
    }

    /// The customer's yearly value: their own average order value and purchase rate (base values when they have
    /// no repeat purchase or no time watched), × margin.
    pub fn yearly_value(&self, table: &SummaryTable, i: usize, margin: f64) -> f64 {
        let x = f64::from(table.frequency[i]);
        let aov = match &table.monetary_value {
            Some(m) if x > 0.0 => m[i],
            _ => self.average_order_value,
        };
        let rate =
            if table.age[i] > 0.0 { x / table.age[i] * periods_per_year(table.unit) } else { self.purchases_per_year };
        margin * aov * rate
    }

    /// AOV × purchases per year × relationship length (× margin), for customer `i`.
    pub fn clv(&self, table: &SummaryTable, i: usize, margin: f64) -> f64 {
        self.yearly_value(table, i, margin) * self.lifetime_years
    }

    /// Yearly value × (1 + d)/(1 + d − retention), for customer `i` at the annual rate `d`.
    pub fn clv_retention(&self, table: &SummaryTable, i: usize, margin: f64, annual_rate: f64) -> f64 {
        self.yearly_value(table, i, margin) * (1.0 + annual_rate) / (1.0 + annual_rate - self.retention)
    }
}
