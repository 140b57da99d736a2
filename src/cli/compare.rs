//! `clv compare`: the model against the simple formula on the holdout period of a summary.

use super::value::IntervalArgs;
use anyhow::{Result, bail};
use clap::Args;
use clv::data::read_summary;
use clv::fit::model_file::ModelFile;
use clv::fit::model_file::model_parameters;
use clv::models::ModelKind;
use clv::models::check_time_kind;
use clv::value::bootstrap::{Interval, holdout_intervals, refit_replicates};
use clv::value::compare::{Accuracy, backtest};
use clv::value::simple::estimate_inputs;
use std::fmt::Write as _;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  # Purchases and revenue in the 39-week CDNOW holdout: BG/NBD + Gamma-Gamma against the simple formula
  clv compare --model models/summary.bg_nbd.json --spend models/summary.gamma_gamma.json summary.csv

  # With 90% bootstrap intervals of the model's predicted totals: does the actual fall inside?
  clv compare --model models/summary.bg_nbd.json --spend models/summary.gamma_gamma.json summary.csv --intervals 200

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
    #[command(flatten)]
    interval: IntervalArgs,
}

/// Runs `clv compare`.
pub fn run(args: CompareArgs) -> Result<()> {
    let file = ModelFile::read(&args.model)?;
    let model = file.count_model().map_err(|e| anyhow::anyhow!("{}: {e}", args.model.display()))?;
    let unit = file.unit().map_err(anyhow::Error::msg)?;
    let table = read_summary(&args.summary, None, unit)?;
    check_time_kind(&file.model, model.is_discrete(), &table)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.summary.display()))?;
    let simple = match args.retention {
        Some(r) => estimate_inputs(&table).with_retention(r).map_err(anyhow::Error::msg)?,
        None => estimate_inputs(&table),
    };
    let spend = match &args.spend {
        Some(path) => {
            Some(ModelFile::read(path)?.spend_model().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    let result = backtest(&table, model.as_ref(), spend.as_ref(), &simple)
        .map_err(|e| anyhow::anyhow!("{}: {e}; nothing compared", args.summary.display()))?;
    let duration = table.holdout.as_ref().map_or(0.0, |h| h.duration);
    let mut rows = vec![("purchases", result.purchases.0.clone(), result.purchases.1.clone())];
    if let Some((m, s)) = &result.revenue {
        rows.push(("revenue", m.clone(), s.clone()));
    }
    print!("{}", verdict(&args, &file.model, table.len(), duration, unit, &rows, &simple.how));
    if let Some(plan) = args.interval.plan() {
        plan.validate().map_err(anyhow::Error::msg)?;
        let kind: ModelKind = file.model.parse().map_err(anyhow::Error::msg)?;
        let count = file
            .parameters_in_order(model_parameters(&file.model).expect("a count model"))
            .map_err(anyhow::Error::msg)?;
        let spend_params = spend.map(|g| vec![g.p, g.q, g.gamma]);
        let fits = refit_replicates(&table, kind, &count, spend_params.as_deref(), &plan);
        let kept = fits.iter().flatten().count();
        if kept < 2 {
            bail!("only {kept} of {} bootstrap refits succeeded: no interval", plan.replicates);
        }
        let (purchases, revenue) = holdout_intervals(&table, kind, &fits, plan.level);
        let inside = |i: &Interval, actual: f64| if i.low <= actual && actual <= i.high { "inside" } else { "OUTSIDE" };
        println!(
            "  {:.0}% intervals of the model's expected totals (bootstrap: {} replicates, {} refits failed; seed {}); they \
             hold the uncertainty of the estimates, not the randomness of the purchases themselves",
            plan.level * 100.0,
            plan.replicates,
            plan.replicates - kept,
            plan.seed
        );
        let mut totals = vec![("purchases", purchases, result.purchases.0.actual_total)];
        if let (Some(interval), Some((model_revenue, _))) = (revenue, &result.revenue) {
            totals.push(("revenue", interval, model_revenue.actual_total));
        }
        for (name, interval, actual) in totals {
            println!(
                "    {name:<28}{:.2} to {:.2}: the actual {actual:.2} is {}",
                interval.low,
                interval.high,
                inside(&interval, actual)
            );
        }
    }
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
