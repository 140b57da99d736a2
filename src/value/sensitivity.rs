//! How a valuation moves with its assumptions and its estimates: customer equity across discount rates and
//! horizons (margin scales it in proportion), and the delta-method interval of equity from the parameters'
//! covariance (the observed information of each fit; count and spend models fitted separately, so independent).

use super::bootstrap::Interval;
use super::discount::Schedule;
use super::lifetime::value_customers;
use crate::data::SummaryTable;
use crate::models::ModelKind;
use crate::spend::GammaGamma;
use statrs::distribution::{ContinuousCDF, Normal};

/// Customer equity (margin 1) for each discount rate (columns) and horizon (rows; `None` = no limit), in the
/// table's unit, and under the valuation's own schedule for a range of margins.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SensitivityTable {
    /// Annual discount rates of the columns.
    pub rates: Vec<f64>,
    /// Horizons of the rows, in the table's unit (`None`: no limit).
    pub horizons: Vec<Option<f64>>,
    /// equity[row][column] at margin 1, in currency.
    pub equity: Vec<Vec<f64>>,
    /// (margin, equity) under the valuation's own rate and horizon, for margins from 10% to 100%.
    #[serde(default)]
    pub margins: Vec<(f64, f64)>,
}

/// The margins of a sensitivity table.
const MARGINS: [f64; 6] = [0.1, 0.2, 0.3, 0.5, 0.75, 1.0];

/// The rates of a sensitivity table: 5%, 10% and 15% a year, and `chosen` when it is none of them, ascending.
pub fn standard_rates(chosen: f64) -> Vec<f64> {
    let mut rates = vec![0.05, 0.10, 0.15];
    if !rates.iter().any(|r| (r - chosen).abs() < 1e-12) {
        rates.push(chosen);
        rates.sort_by(f64::total_cmp);
    }
    rates
}

/// The horizons of a sensitivity table in `unit`: 1, 3 and 5 years (365.25 days each) and no limit.
pub fn standard_horizons(unit: crate::data::TimeUnit) -> Vec<Option<f64>> {
    let year = 365.25 / unit.days();
    vec![Some(year), Some(3.0 * year), Some(5.0 * year), None]
}

/// The table as text: one row per horizon, one column per rate, at `margin`.
pub fn describe_table(t: &SensitivityTable, margin: f64, unit: crate::data::TimeUnit) -> String {
    let mut text = format!("  {:<14}", "horizon");
    t.rates.iter().for_each(|r| text.push_str(&format!("{:>16}", format!("{:.1}% a year", r * 100.0))));
    text.push('\n');
    let year = 365.25 / unit.days();
    for (h, row) in t.horizons.iter().zip(&t.equity) {
        let label = h.map_or("no limit".to_string(), |h| {
            let years = h / year;
            format!("{} year{}", years.round(), if (years - 1.0).abs() < 1e-9 { "" } else { "s" })
        });
        text.push_str(&format!("  {label:<14}"));
        row.iter().for_each(|e| text.push_str(&format!("{:>16.2}", e * margin)));
        text.push('\n');
    }
    let by_margin: Vec<String> = t.margins.iter().map(|(m, e)| format!("{:.0}%: {e:.2}", m * 100.0)).collect();
    text.push_str(&format!("  by margin (the valuation's rate and horizon): {}\n", by_margin.join(", ")));
    text
}

/// The equity of `table` under `kind` with `count` parameters and the spend model, for every rate and horizon,
/// and for a range of margins under `chosen`. An infinite horizon at a zero rate diverges and is left NaN.
pub fn sensitivity_table(
    table: &SummaryTable,
    kind: ModelKind,
    count: &[f64],
    spend: &GammaGamma,
    rates: &[f64],
    horizons: &[Option<f64>],
    chosen: &Schedule,
) -> SensitivityTable {
    let model = kind.count_model(count).expect("a count model");
    let at_margin_one: f64 = value_customers(model.as_ref(), spend, table, chosen, 1.0).iter().map(|v| v.clv).sum();
    let margins = MARGINS.iter().map(|&m| (m, m * at_margin_one)).collect();
    let equity = horizons
        .iter()
        .map(|&horizon| {
            rates
                .iter()
                .map(|&annual_rate| {
                    let schedule = Schedule::Continuous { annual_rate, horizon };
                    match schedule.validate() {
                        Ok(()) => {
                            value_customers(model.as_ref(), spend, table, &schedule, 1.0).iter().map(|v| v.clv).sum()
                        }
                        Err(_) => f64::NAN,
                    }
                })
                .collect()
        })
        .collect();
    SensitivityTable { rates: rates.to_vec(), horizons: horizons.to_vec(), equity, margins }
}

/// Delta-method intervals of the headline figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeltaIntervals {
    /// Customer equity, in currency.
    pub equity: Interval,
    /// Expected purchases of the base over the valuation's reporting horizon.
    pub expected_purchases: Interval,
}

/// The delta-method intervals at `level` of customer equity and of the base's expected purchases: figure ± z σ
/// with σ² = gᵀ Σ g, g the figure's gradient in the count and spend parameters (central differences, steps of
/// 1e-4 of each parameter) and Σ their block-diagonal covariance (`count_covariance`, `spend_covariance`:
/// row-major). `None` without both covariances.
#[allow(clippy::too_many_arguments)]
pub fn delta_intervals(
    table: &SummaryTable,
    kind: ModelKind,
    count: &[f64],
    count_covariance: Option<&[f64]>,
    spend: &[f64],
    spend_covariance: Option<&[f64]>,
    schedule: &Schedule,
    margin: f64,
    level: f64,
) -> Option<DeltaIntervals> {
    let (count_covariance, spend_covariance) = (count_covariance?, spend_covariance?);
    // (equity, expected purchases) under the given parameters.
    let figures = |c: &[f64], s: &[f64]| -> [f64; 2] {
        let model = kind.count_model(c).expect("a count model");
        let values = value_customers(model.as_ref(), &GammaGamma::from_params(s), table, schedule, margin);
        [values.iter().map(|v| v.clv).sum(), values.iter().map(|v| v.expected_purchases).sum()]
    };
    let point = figures(count, spend);
    let gradient = |params: &[f64], at: &dyn Fn(&[f64]) -> [f64; 2]| -> Vec<[f64; 2]> {
        (0..params.len())
            .map(|j| {
                let h = 1e-4 * params[j].abs().max(1e-8);
                let (mut up, mut down) = (params.to_vec(), params.to_vec());
                up[j] += h;
                down[j] -= h;
                let (u, d) = (at(&up), at(&down));
                [(u[0] - d[0]) / (2.0 * h), (u[1] - d[1]) / (2.0 * h)]
            })
            .collect()
    };
    let quadratic = |g: &[[f64; 2]], covariance: &[f64], k: usize| -> f64 {
        let n = g.len();
        (0..n).map(|i| (0..n).map(|j| g[i][k] * covariance[i * n + j] * g[j][k]).sum::<f64>()).sum()
    };
    let g_count = gradient(count, &|c| figures(c, spend));
    let g_spend = gradient(spend, &|s| figures(count, s));
    let z = Normal::standard().inverse_cdf(0.5 + level / 2.0);
    let interval = |k: usize| {
        let sd = (quadratic(&g_count, count_covariance, k) + quadratic(&g_spend, spend_covariance, k)).max(0.0).sqrt();
        (sd.is_finite() && point[k].is_finite()).then_some(Interval { low: point[k] - z * sd, high: point[k] + z * sd })
    };
    Some(DeltaIntervals { equity: interval(0)?, expected_purchases: interval(1)? })
}
