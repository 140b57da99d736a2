//! `clv predict`: per-customer expected purchases over a horizon and the probability of being alive.

use super::write_output;
use anyhow::{Result, bail};
use clap::Args;
use clv::count::predict_table;
use clv::data::{TimeUnit, parse_horizon, read_summary};
use clv::fit::model_file::ModelFile;
use clv::models::check_time_kind;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  clv predict --model models/summary.bg_nbd.json summary.csv --horizon 39 -o predictions.csv
  clv predict --model pnbd.json summary.csv --horizon 1y      # converted to the model's unit
  clv predict --model models/donations.bg_bb.json data/donations/donations.csv --horizon 5

A bare horizon is in the model's time unit; a suffix (d, w, m, y) converts explicitly.";

/// Arguments of `clv predict`.
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct PredictArgs {
    /// Model file (from `clv fit`, or written by hand).
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// Summary CSV of the customers to predict for.
    summary: PathBuf,
    /// Horizon of the prediction: a number in the model's unit, or with a unit (39w, 273d, 9m, 1y).
    #[arg(long)]
    horizon: String,
    /// Write the predictions here (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Time unit of the summary when it does not record one [default: the model's]
    #[arg(long)]
    unit: Option<TimeUnit>,
    /// No report on standard error.
    #[arg(short, long)]
    quiet: bool,
}

/// Runs `clv predict`.
pub fn run(args: PredictArgs) -> Result<()> {
    let file = ModelFile::read(&args.model)?;
    let model = file.count_model().map_err(|e| anyhow::anyhow!("{}: {e}", args.model.display()))?;
    let unit = file.unit().map_err(anyhow::Error::msg)?;
    let table = read_summary(&args.summary, args.unit, unit)?;
    if table.unit != unit {
        bail!(
            "{} is in {}s but the model {} is in {}s: summarise in {}s or refit",
            args.summary.display(),
            table.unit,
            args.model.display(),
            unit,
            unit
        );
    }
    check_time_kind(&file.model, model.is_discrete(), &table)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.summary.display()))?;
    let horizon = parse_horizon(&args.horizon, unit).map_err(anyhow::Error::msg)?;
    if model.is_discrete() && horizon.fract() != 0.0 {
        bail!(
            "{} counts whole opportunities: a horizon of {horizon} {unit}s is not a whole number of them",
            file.model
        );
    }
    let rows = predict_table(model.as_ref(), &table, horizon);
    if let Some(i) = rows.iter().position(|(e, p)| !(e.is_finite() && p.is_finite())) {
        bail!(
            "no reliable prediction for customer '{}' (row {}: x = {}, t_x = {}, T = {}); nothing written",
            String::from_utf8_lossy(table.ids.get(i)),
            i + 2,
            table.frequency[i],
            table.recency[i],
            table.age[i]
        );
    }
    write_output(args.output.as_deref(), |out| {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(["customer_id", "expected_purchases", "p_alive"])?;
        for (i, (e, p)) in rows.iter().enumerate() {
            w.write_record([table.ids.get(i), e.to_string().as_bytes(), p.to_string().as_bytes()])?;
        }
        w.flush()
    })?;
    if !args.quiet {
        let total: f64 = rows.iter().map(|r| r.0).sum();
        let alive: f64 = rows.iter().map(|r| r.1).sum::<f64>() / rows.len() as f64;
        eprintln!(
            "clv predict: {} for {} customers of {}\n  horizon             {horizon} {unit}s\n  expected purchases  {total:.2} in total\n  mean P(alive)       {alive:.4}",
            file.model,
            rows.len(),
            args.summary.display()
        );
        if let Some(path) = &args.output {
            eprintln!("  written to          {}", path.display());
        }
    }
    Ok(())
}
