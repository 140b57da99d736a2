//! `clv simulate`: a synthetic purchase log (or summary) drawn from a model file.

use super::{parse_day, write_output, write_summary_meta};
use anyhow::{Result, bail};
use clap::Args;
use clv::count::simulate::{SimulationPlan, simulate, summary_table};
use clv::data::opportunities::OpportunityClock;
use clv::data::{DateFormat, Day, parse_horizon};
use clv::fit::model_file::ModelFile;
use clv::retention::sbg::ShiftedBetaGeometric;
use clv::retention::simulate::{SubscriptionPlan, simulate_subscriptions};
use clv::retention::subscriptions::add_periods;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  # A purchase log like CDNOW's: 12-week cohort, observed 78 weeks, from a fitted model
  clv simulate --model models/summary.bg_nbd.json --customers 10000 --seed 7 -o log.csv
  clv summarize log.csv --calibration-end 2000-09-30 -o sim_summary.csv

  # The per-customer summary directly, in continuous time (no rounding to days)
  clv simulate --model my_model.json --customers 1000000 --seed 1 --summary -o big.csv

  # sBG: a log of 1000 yearly subscriptions all starting on 2000-01-01, watched 7 years
  clv simulate --model sbg.json --customers 1000 --start 2000-01-01 --length 7 -o subscriptions.csv

  # With amounts from a spend model (an amount column; monetary_value with --summary)
  clv simulate --model models/summary.bg_nbd.json --spend models/summary.gamma_gamma.json --customers 5000 -o log.csv

  # BG/BB: 11,104 donors all starting in 1995, six yearly opportunities after it
  clv simulate --model models/donations.bg_bb.json --customers 11104 --start 1995-01-01 --length 6 --summary

A hand-written model file needs only: {\"model\": \"bg_nbd\", \"time_unit\": \"week\",
  \"params\": {\"r\": 0.24, \"alpha\": 4.4, \"a\": 0.79, \"b\": 2.4}}";

/// Arguments of `clv simulate`.
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct SimulateArgs {
    /// Model file (fitted or hand-written).
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// Number of customers.
    #[arg(long)]
    customers: usize,
    /// Spend model file (gamma_gamma): every purchase gets an amount (an `amount` column, or `monetary_value`
    /// with --summary).
    #[arg(long, value_name = "FILE")]
    spend: Option<PathBuf>,
    /// Seed of the random draws (the same seed gives the same output on any machine and thread count).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write here (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write the per-customer summary in continuous time instead of a purchase log.
    #[arg(long)]
    summary: bool,
    /// Date of the start of the cohort window (purchase logs).
    #[arg(long, default_value = "2000-01-01", value_name = "DATE")]
    start: String,
    /// Length of the window over which first purchases are spread (model unit, or 84d, 12w, ...)
    /// [default: 12w; for bg_bb 1 period: everyone starts in the first; for sbg 0: all start on --start]
    #[arg(long, value_name = "LEN")]
    cohort: Option<String>,
    /// How long after the start everyone is observed (model unit, or 546d, 78w, ...)
    /// [default: 78w; for bg_bb 6 periods; for sbg 7 periods]
    #[arg(long, value_name = "LEN")]
    length: Option<String>,
    /// No report on standard error.
    #[arg(short, long)]
    quiet: bool,
}

/// Most repeat purchases drawn per customer.
const MAX_PURCHASES: usize = 1_000_000;

/// Runs `clv simulate`.
pub fn run(args: SimulateArgs) -> Result<()> {
    let file = ModelFile::read(&args.model)?;
    if args.customers == 0 {
        bail!("--customers must be at least 1");
    }
    if let Ok(retention) = file.retention_model() {
        return simulate_log_of_subscriptions(&args, &file, &retention);
    }
    let model = file.count_model().map_err(|e| anyhow::anyhow!("{}: {e}", args.model.display()))?;
    let unit = file.unit().map_err(anyhow::Error::msg)?;
    let discrete = model.is_discrete();
    let (cohort_text, length_text) = match discrete {
        true => (args.cohort.as_deref().unwrap_or("1"), args.length.as_deref().unwrap_or("6")),
        false => (args.cohort.as_deref().unwrap_or("12w"), args.length.as_deref().unwrap_or("78w")),
    };
    let cohort = parse_horizon(cohort_text, unit).map_err(anyhow::Error::msg)?;
    let observation_end = parse_horizon(length_text, unit).map_err(anyhow::Error::msg)?;
    if observation_end < cohort {
        bail!(
            "--length {length_text} is shorter than --cohort {cohort_text}: customers would join after the observation ends"
        );
    }
    if discrete && (cohort.fract() != 0.0 || observation_end.fract() != 0.0 || cohort == 0.0) {
        bail!(
            "{} counts opportunities: --cohort and --length must be whole numbers of {unit}s (at least 1), not \
             {cohort_text} and {length_text}",
            file.model
        );
    }
    let start = DateFormat::Auto
        .parse(args.start.as_bytes())
        .ok_or_else(|| anyhow::anyhow!("--start '{}' is not a date; expected YYYY-MM-DD", args.start))?;
    let spend = match &args.spend {
        Some(path) => {
            Some(ModelFile::read(path)?.spend_model().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    let plan = SimulationPlan {
        customers: args.customers,
        seed: args.seed,
        cohort,
        observation_end,
        max_purchases: MAX_PURCHASES,
        spend,
    };
    let customers = simulate(model.as_ref(), &plan);
    let purchases: usize = customers.iter().map(|c| c.repeats.len()).sum();
    if args.summary {
        let table = summary_table(&customers, observation_end, unit, discrete);
        write_output(args.output.as_deref(), |out| table.write_csv(out))?;
        if let Some(path) = &args.output {
            write_summary_meta(path, &table)?;
        }
    } else {
        let clock = OpportunityClock { unit };
        let first_period = clock.index(start);
        let day = |t: f64| match discrete {
            true => clock.start(first_period + t as i32).to_string(),
            false => Day(start.0 + (t * unit.days()).floor() as i32).to_string(),
        };
        write_output(args.output.as_deref(), |out| {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(if spend.is_some() {
                &["customer_id", "date", "amount"][..]
            } else {
                &["customer_id", "date"]
            })?;
            for (i, c) in customers.iter().enumerate() {
                let id = (i + 1).to_string();
                for (k, t) in std::iter::once(&c.first).chain(&c.repeats).enumerate() {
                    w.write_field(&id)?;
                    w.write_field(day(*t))?;
                    if let Some(amount) = c.amounts.get(k) {
                        w.write_field(format!("{amount:.2}"))?;
                    }
                    w.write_record(None::<&[u8]>)?;
                }
            }
            w.flush()
        })?;
    }
    if !args.quiet {
        eprintln!(
            "clv simulate: {} customers from {} ({}), seed {}\n  first purchases     uniform over {cohort} {unit}s{}\n  observed until      {observation_end} {unit}s after {start}\n  repeat purchases    {purchases}",
            customers.len(),
            args.model.display(),
            file.model,
            args.seed,
            if discrete { " (whole periods; each purchase dated on its period's first day)" } else { "" }
        );
    }
    Ok(())
}

/// A subscription log (customer_id, start, end) drawn from an sBG model: subscriptions start uniformly over
/// `--cohort` periods from `--start` [default: all on that day] and are watched for `--length` periods [default:
/// 7, as the published cohorts].
fn simulate_log_of_subscriptions(args: &SimulateArgs, file: &ModelFile, model: &ShiftedBetaGeometric) -> Result<()> {
    let unit = file.unit().map_err(anyhow::Error::msg)?;
    if args.summary {
        bail!("an sbg model simulates a subscription log; --summary is for purchase-count models");
    }
    let whole = |text: &str, what: &str| -> Result<u32> {
        let value = parse_horizon(text, unit).map_err(anyhow::Error::msg)?;
        if value.fract() != 0.0 || value > 10_000.0 {
            bail!("--{what} {text} must be a whole number of {unit}s (contract periods) for an sbg model");
        }
        Ok(value as u32)
    };
    let cohort = whole(args.cohort.as_deref().unwrap_or("0"), "cohort")?;
    let length = whole(args.length.as_deref().unwrap_or("7"), "length")?;
    if length < 2 || length < cohort {
        bail!("--length must be at least 2 periods and not shorter than --cohort");
    }
    let start = parse_day(&args.start).map_err(|e| anyhow::anyhow!("--start: {e}"))?;
    let plan = SubscriptionPlan {
        subscribers: args.customers,
        seed: args.seed,
        first_start: start,
        start_window_days: add_periods(start, unit, cohort).days_since(start) as u32,
        observation_end: add_periods(start, unit, length),
        unit,
    };
    let subscriptions = simulate_subscriptions(model, &plan);
    write_output(args.output.as_deref(), |out| {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(["customer_id", "start", "end"])?;
        for (i, (first, end)) in subscriptions.iter().enumerate() {
            let end = end.map_or(String::new(), |d| d.to_string());
            w.write_record([(i + 1).to_string(), first.to_string(), end])?;
        }
        w.flush()
    })?;
    if !args.quiet {
        let active = subscriptions.iter().filter(|s| s.1.is_none()).count();
        eprintln!(
            "clv simulate: {} subscriptions from {} (sbg), seed {}\n  starts              over {cohort} {unit}s from {start}\n  observed until      {} ({length} {unit}s)\n  active at the end   {active}",
            subscriptions.len(),
            args.model.display(),
            args.seed,
            plan.observation_end
        );
    }
    Ok(())
}
