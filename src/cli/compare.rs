//! `clv compare`: the model against the simple formula on the holdout period of a summary.

use anyhow::{Result, bail};
use clap::Args;
use clv::count::predict_table;
use clv::data::read_summary;
use clv::fit::model_file::ModelFile;
use clv::models::check_time_kind;
use clv::value::compare::{Accuracy, accuracy};
use clv::value::discount::periods_per_year;
use clv::value::simple::estimate_inputs;
use std::fmt::Write as _;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  # Purchases and revenue in the 39-week CDNOW holdout: BG/NBD + Gamma-Gamma against the simple formula
  clv compare --model models/summary.bg_nbd.json --spend models/summary.gamma_gamma.json summary.csv

The summary needs the holdout columns (summarise with --calibration-end before the last date).";

/// Arguments of `clv compare`.
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct CompareArgs {
    /// Purchase-count model file, fitted on the calibration period.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// Spend model file (gamma_gamma): adds the revenue comparison.
    #[arg(long, value_name = "FILE")]
    spend: Option<PathBuf>,
    /// Summary CSV with frequency_holdout, duration_holdout (and monetary_value_holdout for revenue).
    summary: PathBuf,
    /// Yearly retention for the simple formula (your own figure, 0 to 1) [default: estimated from the summary]
    #[arg(long)]
    retention: Option<f64>,
}

/// Runs `clv compare`.
pub fn run(args: CompareArgs) -> Result<()> {
    let file = ModelFile::read(&args.model)?;
    let model = file.count_model().map_err(|e| anyhow::anyhow!("{}: {e}", args.model.display()))?;
    let unit = file.unit().map_err(anyhow::Error::msg)?;
    let table = read_summary(&args.summary, None, unit)?;
    check_time_kind(&file.model, model.is_discrete(), &table)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.summary.display()))?;
    let Some(holdout) = &table.holdout else {
        bail!(
            "{} has no holdout columns: summarise with a --calibration-end before the last date",
            args.summary.display()
        );
    };
    let duration = holdout.duration;
    if !(duration > 0.0) {
        bail!("{}: the holdout has no length (duration_holdout = {duration})", args.summary.display());
    }
    let simple = match args.retention {
        Some(r) => estimate_inputs(&table).with_retention(r).map_err(anyhow::Error::msg)?,
        None => estimate_inputs(&table),
    };
    // The simple formula's purchases: the customer's own rate, for the holdout (within the relationship length).
    let years = (duration / periods_per_year(unit)).min(simple.lifetime_years);
    let simple_purchases: Vec<f64> = (0..table.len())
        .map(|i| {
            let rate = if table.age[i] > 0.0 {
                f64::from(table.frequency[i]) / table.age[i] * periods_per_year(unit)
            } else {
                simple.purchases_per_year
            };
            rate * years
        })
        .collect();
    let model_purchases: Vec<f64> = predict_table(model.as_ref(), &table, duration).iter().map(|p| p.0).collect();
    let actual_purchases: Vec<f64> = holdout.frequency.iter().map(|&x| f64::from(x)).collect();
    let mut rows = vec![(
        "purchases",
        accuracy(&model_purchases, &actual_purchases),
        accuracy(&simple_purchases, &actual_purchases),
    )];

    if let (Some(spend_path), Some(spend_holdout), Some(spend)) =
        (&args.spend, &holdout.monetary_value, &table.monetary_value)
    {
        let gg =
            ModelFile::read(spend_path)?.spend_model().map_err(|e| anyhow::anyhow!("{}: {e}", spend_path.display()))?;
        let actual: Vec<f64> = actual_purchases.iter().zip(spend_holdout).map(|(x, m)| x * m).collect();
        let model_revenue: Vec<f64> = (0..table.len())
            .map(|i| {
                model_purchases[i] * gg.expected_spend(f64::from(table.frequency[i]), spend[i]).unwrap_or(f64::NAN)
            })
            .collect();
        let simple_revenue: Vec<f64> = (0..table.len())
            .map(|i| simple_purchases[i] * if table.frequency[i] > 0 { spend[i] } else { simple.average_order_value })
            .collect();
        rows.push(("revenue", accuracy(&model_revenue, &actual), accuracy(&simple_revenue, &actual)));
    }
    if rows.iter().any(|(_, m, s)| !(m.predicted_total.is_finite() && s.predicted_total.is_finite())) {
        bail!("a prediction could not be computed; nothing compared");
    }
    print!("{}", verdict(&args, &file.model, table.len(), duration, unit, &rows, &simple.how));
    Ok(())
}

fn verdict(
    args: &CompareArgs,
    model: &str,
    customers: usize,
    duration: f64,
    unit: clv::data::TimeUnit,
    rows: &[(&str, Accuracy, Accuracy)],
    how: &[String],
) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "clv compare: {model} against the simple formula on the holdout of {}", args.summary.display());
    let _ = writeln!(t, "  {customers} customers, holdout {}", unit.count(duration));
    let _ = writeln!(t, "  {:<26}{:>14}{:>14}{:>12}", "measure", model, "simple", "closer");
    for (quantity, m, s) in rows {
        let line = |t: &mut String, name: &str, a: f64, b: f64, lower_is_better: Option<bool>, percent: bool| {
            let better = match lower_is_better {
                Some(_) if a == b => "tie",
                Some(lower) if (a < b) == lower => model,
                Some(_) => "simple",
                None => "",
            };
            let (a, b) = if percent { (a * 100.0, b * 100.0) } else { (a, b) };
            let unit = if percent { "%" } else { "" };
            let _ = writeln!(t, "  {name:<26}{:>13.2}{unit:1}{:>13.2}{unit:1}{better:>12}", a, b);
        };
        let _ = writeln!(t, "  {quantity}: actual total {:.2}", m.actual_total);
        line(&mut t, "  predicted total", m.predicted_total, s.predicted_total, None, false);
        line(&mut t, "  error of the total", m.total_error().abs(), s.total_error().abs(), Some(true), true);
        line(&mut t, "  MAE per customer", m.mae, s.mae, Some(true), false);
        line(&mut t, "  RMSE per customer", m.rmse, s.rmse, Some(true), false);
        line(&mut t, "  top 10% capture", m.top10_capture, s.top10_capture, Some(false), true);
        line(&mut t, "  top 20% capture", m.top20_capture, s.top20_capture, Some(false), true);
    }
    let _ = writeln!(
        t,
        "  simple formula: each customer's own purchase rate x the holdout (within the relationship length)"
    );
    for line in how {
        let _ = writeln!(t, "    {line}");
    }
    t
}
