//! `clv value`: what each customer and the whole base are worth, against the simple formula, by segment.

use super::progress::ProgressLine;
use super::{write_meta, write_output};
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use clv::data::{parse_horizon, read_summary};
use clv::fit::model_file::{ModelFile, model_parameters};
use clv::models::{ModelKind, check_time_kind, summary_fingerprint};
use clv::value::bootstrap::{Bootstrap, BootstrapPlan, bootstrap};
use clv::value::discount::Schedule;
use clv::value::lifetime::{reporting_horizon, value_customers};
use clv::value::segments::{Segment, decile_members, segment_index, segments_of, threshold_members};
use clv::value::sensitivity::{delta_intervals, describe_table, sensitivity_table, standard_horizons, standard_rates};
use clv::value::simple::estimate_inputs;
use std::fmt::Write as _;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  # Every customer's value at 10% a year, infinite horizon, 30% margin, with the simple formula beside it
  clv value --model models/summary.bg_nbd.json --spend models/summary.gamma_gamma.json summary.csv \\
      --discount-rate 0.10 --margin 0.3 -o values.csv

  # Three years, and the acquisition cost each decile can bear at LTV:CAC = 3 given a CAC of 20
  clv value --model m.json --spend gg.json summary.csv --horizon 3y --cac 20

  # With 90% bootstrap intervals from 200 replicates (columns clv_low, clv_high, ...; the equity's interval)
  clv value --model m.json --spend gg.json summary.csv --intervals 200 --level 0.9 --seed 7

  # The lifetimes package's convention: 12 months of 4.345 weeks at 1% a month
  clv value --model m.json --spend gg.json summary.csv --schedule monthly-compat --months 12 --monthly-rate 0.01";

/// Arguments of `clv value`.
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct ValueArgs {
    /// Purchase-count model file (bg_nbd or pareto_nbd).
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// Spend model file (gamma_gamma).
    #[arg(long, value_name = "FILE")]
    spend: PathBuf,
    /// Summary CSV of the customers to value (with monetary_value).
    summary: PathBuf,
    #[command(flatten)]
    valuation: ValuationArgs,
    /// How purchases are discounted.
    #[arg(long, value_enum, default_value = "continuous")]
    schedule: ScheduleKind,
    /// Months of the monthly-compat schedule.
    #[arg(long, default_value_t = 12)]
    months: u32,
    /// Rate per month of the monthly-compat schedule.
    #[arg(long, default_value_t = 0.01, allow_hyphen_values = true)]
    monthly_rate: f64,
    /// CLV thresholds of the segments, ascending (e.g. 10,50,100) [default: deciles]
    #[arg(long, value_delimiter = ',', value_name = "T1,T2,...")]
    segments: Option<Vec<f64>>,
    #[command(flatten)]
    interval: IntervalArgs,
    /// Add the sensitivity table: customer equity at 5%, 10%, 15% (and the chosen rate) a year over 1, 3, 5 years
    /// and no limit.
    #[arg(long)]
    sensitivity: bool,
    /// Acquisition cost of a new customer: adds LTV:CAC per segment.
    #[arg(long, conflicts_with_all = ["acquisition_spend", "new_customers"])]
    cac: Option<f64>,
    /// Acquisition spend of a period (with --new-customers: CAC = spend / customers).
    #[arg(long, requires = "new_customers")]
    acquisition_spend: Option<f64>,
    /// New customers won by that spend.
    #[arg(long, requires = "acquisition_spend")]
    new_customers: Option<f64>,
    /// Yearly retention for the simple formula (your own figure, 0 to 1) [default: estimated from the summary]
    #[arg(long)]
    retention: Option<f64>,
    /// Target LTV:CAC ratio for the highest bearable acquisition cost.
    #[arg(long, default_value_t = 3.0)]
    target_ratio: f64,
    /// Write the per-customer values here (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// No report on standard error.
    #[arg(short, long)]
    quiet: bool,
}

/// The rate, margin and horizon of a valuation: the flags `clv value` and `clv run` share.
#[derive(Args, Debug, Clone)]
pub struct ValuationArgs {
    /// Annual discount rate (0.10 = 10% a year), converted to the model's unit as ln(1 + d) / periods per year.
    #[arg(long, default_value_t = 0.10, allow_hyphen_values = true)]
    pub discount_rate: f64,
    /// Profit margin on revenue (1 values revenue).
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub margin: f64,
    /// Horizon of the valuation (model unit, or 52w, 1y, 3y) [default: infinite, needs a positive rate]
    #[arg(long)]
    pub horizon: Option<String>,
}

impl ValuationArgs {
    /// Continuous discounting at the annual rate over the horizon (in `unit`), the margin checked.
    pub fn continuous_schedule(&self, unit: clv::data::TimeUnit) -> Result<Schedule> {
        if !(self.margin >= 0.0 && self.margin.is_finite()) {
            bail!("the margin {} must be 0 or more", self.margin);
        }
        let horizon =
            self.horizon.as_deref().map(|h| parse_horizon(h, unit)).transpose().map_err(anyhow::Error::msg)?;
        Ok(Schedule::Continuous { annual_rate: self.discount_rate, horizon })
    }
}

/// Bootstrap intervals: the flags `clv value` and `clv run` share.
#[derive(Args, Debug, Clone)]
pub struct IntervalArgs {
    /// Bootstrap replicates for intervals (customers resampled, both models refitted, the base revalued): adds
    /// the *_low and *_high columns and the intervals of customer equity (with the delta method's) and of each
    /// segment's value.
    #[arg(long, value_name = "N")]
    pub intervals: Option<usize>,
    /// Coverage of the intervals (0.9: from the 5th to the 95th percentile of the replicates).
    #[arg(long, default_value_t = IntervalArgs::default().level)]
    pub level: f64,
    /// Seed of the bootstrap resampling (the same seed gives the same intervals on any thread count).
    #[arg(long, default_value_t = IntervalArgs::default().seed)]
    pub seed: u64,
}

impl Default for IntervalArgs {
    /// No intervals; 90% coverage and seed 1 when they are asked for.
    fn default() -> IntervalArgs {
        IntervalArgs { intervals: None, level: 0.9, seed: 1 }
    }
}

impl IntervalArgs {
    /// The bootstrap's plan, when intervals are asked for.
    pub fn plan(&self) -> Option<BootstrapPlan> {
        self.intervals.map(|replicates| BootstrapPlan { replicates, seed: self.seed, level: self.level })
    }
}

/// The per-customer interval columns, after the values.
const INTERVAL_COLUMNS: [&str; 6] =
    ["clv_low", "clv_high", "expected_purchases_low", "expected_purchases_high", "p_alive_low", "p_alive_high"];

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ScheduleKind {
    /// Continuous discounting at the annual rate.
    Continuous,
    /// Monthly steps discounted at each month's end, as the lifetimes Python package does.
    MonthlyCompat,
}

/// Runs `clv value`.
pub fn run(args: ValueArgs) -> Result<()> {
    let count_file = ModelFile::read(&args.model)?;
    let model = count_file.count_model().map_err(|e| anyhow::anyhow!("{}: {e}", args.model.display()))?;
    let spend_file = ModelFile::read(&args.spend)?;
    let spend = spend_file.spend_model().map_err(|e| anyhow::anyhow!("{}: {e}", args.spend.display()))?;
    let unit = count_file.unit().map_err(anyhow::Error::msg)?;
    let table = read_summary(&args.summary, None, unit)?;
    if table.unit != unit {
        bail!(
            "{} is in {}s but the model {} is in {}s",
            args.summary.display(),
            table.unit,
            args.model.display(),
            unit
        );
    }
    check_time_kind(&count_file.model, model.is_discrete(), &table)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.summary.display()))?;
    if table.monetary_value.is_none() {
        bail!("{}: no monetary_value column: valuing needs amounts (summarise with --amount)", args.summary.display());
    }
    let schedule = match args.schedule {
        ScheduleKind::Continuous => args.valuation.continuous_schedule(unit)?,
        ScheduleKind::MonthlyCompat => Schedule::MonthlyCompat { months: args.months, monthly_rate: args.monthly_rate },
    };
    schedule.validate().map_err(anyhow::Error::msg)?;
    let cac = match (args.cac, args.acquisition_spend, args.new_customers) {
        (Some(c), _, _) => Some(c),
        (None, Some(s), Some(n)) if n > 0.0 => Some(s / n),
        (None, Some(_), Some(_)) => bail!("--new-customers must be positive"),
        _ => None,
    };
    if cac.is_some_and(|c| !(c > 0.0 && c.is_finite())) || !(args.target_ratio > 0.0) {
        bail!("the acquisition cost and the target ratio must be positive");
    }
    let mut warnings = Vec::new();
    let fingerprint = summary_fingerprint(&table);
    for (file, path) in [(&count_file, &args.model), (&spend_file, &args.spend)] {
        if file.summary_fingerprint.as_ref().is_some_and(|f| *f != fingerprint) {
            warnings.push(format!("{} was fitted on another summary than {}", path.display(), args.summary.display()));
        }
    }
    if spend_file.time_unit != count_file.time_unit {
        warnings.push(format!(
            "the spend model was fitted on a summary in {}s, the count model in {}s: they come from different summaries",
            spend_file.time_unit, count_file.time_unit
        ));
    }

    let values = value_customers(model.as_ref(), &spend, &table, &schedule, args.valuation.margin);
    if let Some(i) = values.iter().position(|v| !v.clv.is_finite()) {
        bail!(
            "no reliable value for customer '{}' (row {}); nothing written",
            String::from_utf8_lossy(table.ids.get(i)),
            i + 2
        );
    }
    let clv: Vec<f64> = values.iter().map(|v| v.clv).collect();
    let alive: Vec<f64> = values.iter().map(|v| v.p_alive).collect();
    let members = match &args.segments {
        Some(t) => threshold_members(&clv, t),
        None => decile_members(&clv),
    };
    let kind: ModelKind = count_file.model.parse().map_err(anyhow::Error::msg)?;
    let count_params = count_file
        .parameters_in_order(model_parameters(&count_file.model).expect("a count model has parameters"))
        .map_err(anyhow::Error::msg)?;
    let spend_params = [spend.p, spend.q, spend.gamma];
    let intervals = match args.interval.plan() {
        Some(plan) => {
            let progress = ProgressLine::new("bootstrap", args.quiet);
            progress.show(&format!("refitting and revaluing {} replicates", plan.replicates));
            let segment_of = segment_index(&members, table.len());
            let margin = args.valuation.margin;
            let result = bootstrap(&table, kind, &count_params, &spend_params, &schedule, margin, &segment_of, &plan);
            progress.finish();
            Some(result.map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    let flat = |c: &Option<Vec<Vec<f64>>>| c.as_ref().map(|rows| rows.concat());
    let delta = match intervals {
        Some(_) => delta_intervals(
            &table,
            kind,
            &count_params,
            flat(&count_file.covariance).as_deref(),
            &spend_params,
            flat(&spend_file.covariance).as_deref(),
            &schedule,
            args.valuation.margin,
            args.interval.level,
        ),
        None => None,
    };
    let sensitivity = args.sensitivity.then(|| {
        let rates = standard_rates(args.valuation.discount_rate);
        sensitivity_table(&table, kind, &count_params, &spend, &rates, &standard_horizons(unit), &schedule)
    });
    let simple = match args.retention {
        Some(r) => estimate_inputs(&table).with_retention(r).map_err(anyhow::Error::msg)?,
        None => estimate_inputs(&table),
    };
    let simple_clv: Vec<f64> = (0..table.len()).map(|i| simple.clv(&table, i, args.valuation.margin)).collect();
    let simple_retention: Vec<f64> = (0..table.len())
        .map(|i| simple.clv_retention(&table, i, args.valuation.margin, args.valuation.discount_rate))
        .collect();
    write_output(args.output.as_deref(), |out| {
        let mut w = csv::Writer::from_writer(out);
        let mut header = vec![
            "customer_id",
            "expected_purchases",
            "p_alive",
            "expected_spend",
            "discounted_purchases",
            "clv",
            "simple_clv",
            "simple_clv_retention",
        ];
        if intervals.is_some() {
            header.extend(INTERVAL_COLUMNS);
        }
        w.write_record(&header)?;
        for (i, v) in values.iter().enumerate() {
            let mut numbers = vec![
                v.expected_purchases,
                v.p_alive,
                v.expected_spend,
                v.discounted_purchases,
                v.clv,
                simple_clv[i],
                simple_retention[i],
            ];
            if let Some(b) = &intervals {
                let c = &b.customers[i];
                numbers.extend([
                    c.clv.low,
                    c.clv.high,
                    c.expected_purchases.low,
                    c.expected_purchases.high,
                    c.p_alive.low,
                    c.p_alive.high,
                ]);
            }
            let mut record = vec![table.ids.get(i).to_vec()];
            record.extend(numbers.iter().map(|n| n.to_string().into_bytes()));
            w.write_record(&record)?;
        }
        w.flush()
    })?;
    let discounting = schedule.describe(unit, model.is_discrete());
    if let Some(path) = &args.output {
        // The values carry their assumptions: rate, unit, horizon, margin and the models used.
        let meta = serde_json::json!({
            "discounting": discounting,
            "annual_discount_rate": args.valuation.discount_rate,
            "time_unit": unit.name(),
            "expected_purchases_horizon": reporting_horizon(&schedule, unit),
            "margin": args.valuation.margin,
            "count_model": args.model.display().to_string(),
            "spend_model": args.spend.display().to_string(),
            "summary": args.summary.display().to_string(),
            "customers": table.len(),
            "warnings": warnings,
            "intervals": intervals.as_ref().map(|b| serde_json::json!({
                "method": "bootstrap: customers resampled with replacement, count and spend models refitted, percentile intervals",
                "replicates": b.replicates,
                "failed_replicates": b.failed,
                "level": b.level,
                "seed": args.interval.seed,
                "customer_equity": b.equity_interval,
                "customer_equity_delta_method": delta.map(|d| d.equity),
                "expected_purchases_delta_method": delta.map(|d| d.expected_purchases),
            })),
            "sensitivity": sensitivity,
        });
        write_meta(path, &meta)?;
    }
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    if !args.quiet {
        let segments = segments_of(&members, &clv, &alive);
        let horizon = reporting_horizon(&schedule, unit);
        eprint!(
            "{}",
            report(
                &args,
                &count_file.model,
                &table.len(),
                &discounting,
                unit,
                horizon,
                &clv,
                &simple_clv,
                &simple_retention,
                &simple.how,
                &segments,
                cac,
                intervals.as_ref()
            )
        );
        if let Some(d) = delta {
            eprintln!(
                "  delta method: {:.0}% intervals (from the fits' covariance): customer equity {:.2} to {:.2}; expected \
                 purchases over {} {:.2} to {:.2}",
                args.interval.level * 100.0,
                d.equity.low,
                d.equity.high,
                unit.count(reporting_horizon(&schedule, unit)),
                d.expected_purchases.low,
                d.expected_purchases.high
            );
        }
        if let Some(t) = &sensitivity {
            eprint!(
                "sensitivity: customer equity at margin {}\n{}",
                args.valuation.margin,
                describe_table(t, args.valuation.margin, unit)
            );
        }
        eprint!(
            "{}",
            match &args.output {
                Some(path) => format!("  written to          {}\n", path.display()),
                None => String::new(),
            }
        );
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn report(
    args: &ValueArgs,
    model: &str,
    customers: &usize,
    discounting: &str,
    unit: clv::data::TimeUnit,
    horizon: f64,
    clv: &[f64],
    simple: &[f64],
    retention: &[f64],
    how: &[String],
    segments: &[Segment],
    cac: Option<f64>,
    intervals: Option<&Bootstrap>,
) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "clv value: {customers} customers of {} ({model} + gamma_gamma)", args.summary.display());
    let _ = writeln!(t, "  discounting         {discounting}");
    let _ = writeln!(t, "  margin              {}", args.valuation.margin);
    let _ = writeln!(t, "  expected_purchases  over {}, undiscounted", unit.count(horizon));
    let sum = |v: &[f64]| v.iter().sum::<f64>();
    let _ = writeln!(t, "customer equity (sum over customers, in the input's currency)");
    let _ = writeln!(t, "  model               {:.2}", sum(clv));
    if let Some(b) = intervals {
        let _ = writeln!(
            t,
            "  {:.0}% interval        {:.2} to {:.2}  (bootstrap: {} replicates, {} failed refits left out; seed {})",
            b.level * 100.0,
            b.equity_interval.low,
            b.equity_interval.high,
            b.replicates,
            b.failed,
            args.interval.seed
        );
    }
    let _ = writeln!(
        t,
        "  simple formula      {:.2}  (AOV x purchases per year x relationship length, undiscounted)",
        sum(simple)
    );
    let _ = writeln!(
        t,
        "  simple, retention   {:.2}  (yearly value x (1 + d)/(1 + d - retention), d = {})",
        sum(retention),
        args.valuation.discount_rate
    );
    let _ = writeln!(t, "simple formula inputs, estimated from the calibration summary");
    for line in how {
        let _ = writeln!(t, "  {line}");
    }
    let _ = write!(
        t,
        "segments\n  {:<26}{:>10}{:>10}{:>12}{:>10}",
        "segment", "customers", "share", "mean clv", "P(alive)"
    );
    if cac.is_some() {
        let _ = write!(t, "{:>10}{:>12}", "LTV:CAC", "max CAC");
    }
    if let Some(b) = intervals {
        let _ = write!(t, "  value ({:.0}% interval)", b.level * 100.0);
    }
    t.push('\n');
    for (k, s) in segments.iter().enumerate() {
        let _ = write!(
            t,
            "  {:<26}{:>10}{:>9.1}%{:>12.2}{:>10.3}",
            s.label,
            s.customers,
            s.share_of_value * 100.0,
            s.mean_clv,
            s.mean_p_alive
        );
        if let Some(c) = cac {
            let _ = write!(t, "{:>10.2}{:>12.2}", s.ltv_to_cac(c), s.max_cac(args.target_ratio));
        }
        if let Some(b) = intervals {
            let _ = write!(t, "  {:.2} to {:.2}", b.segments[k].low, b.segments[k].high);
        }
        t.push('\n');
    }
    if let Some(c) = cac {
        let _ = writeln!(
            t,
            "  (CAC {c:.2}; max CAC = mean clv / {} for LTV:CAC = {})",
            args.target_ratio, args.target_ratio
        );
    }
    t
}
