//! `clv retention`: the shifted-beta-geometric model on a cohort's survival counts or on a subscription log.

use super::{parse_day, write_output};
use anyhow::{Context, Result, bail};
use clap::Args;
use clv::data::{ColumnRef, DateFormat, Day, TimeUnit};
use clv::fit::model_file::ModelFile;
use clv::fit::{Estimate, fit};
use clv::retention::sbg::{SbgFamily, ShiftedBetaGeometric};
use clv::retention::subscriptions::{Subscription, SubscriptionLayout, SubscriptionReport, read_subscriptions};
use clv::retention::tenures::Tenures;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const EXAMPLES: &str = "\
Examples:
  # A cohort of 1000 subscribers followed 7 years (period,alive: period 0 is the cohort's size)
  clv retention cohort.csv --ahead 5

  # With the value of an active subscriber by tenure: margin x fee x discounted expected residual lifetime
  clv retention cohort.csv --fee 120 --margin 0.4 --discount-rate 0.10 -o projection.csv

  # A subscription log (customer_id,start,end; end blank while active), monthly contracts, each subscriber's
  # renewal chance and value, and the model saved for later
  clv retention --subscriptions subs.csv --period month --observation-end 2026-11-30 \\
      --fee 15 --margin 0.6 --discount-rate 0.01 --subscribers subscribers.csv --save-model sbg.json

The discount rate is per period (the contract's period: a year for yearly renewals). In a log, the end is
the first day without service; tenures count whole periods from each start (calendar months and years);
subscriptions starting after the observation end are left out, those ending after it count as active;
a customer's subscriptions must not overlap, and one following another counts as a new subscription.";

/// Arguments of `clv retention`.
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct RetentionArgs {
    /// Cohort CSV with columns period (0, 1, 2, ...) and alive (subscribers still active after that many periods).
    #[arg(required_unless_present = "subscriptions")]
    cohort: Option<PathBuf>,
    /// A subscription log instead of a cohort: CSV with a header, one row per subscription.
    #[arg(long, value_name = "FILE", conflicts_with = "cohort")]
    subscriptions: Option<PathBuf>,
    /// Length of a contract period: year, month, week or day.
    #[arg(long, default_value = "year")]
    period: TimeUnit,
    /// Customer id column of the log: header name or 1-based number.
    #[arg(long, value_name = "COL", default_value = "customer_id")]
    customer: ColumnRef,
    /// Start date column of the log.
    #[arg(long, value_name = "COL", default_value = "start")]
    start: ColumnRef,
    /// End date column of the log (the first day without service; blank while active).
    #[arg(long, value_name = "COL", default_value = "end")]
    end: ColumnRef,
    /// strftime format of the log's dates [default: YYYY-MM-DD and the other forms summarize accepts]
    #[arg(long, value_name = "FMT")]
    date_format: Option<String>,
    /// Last day observed in the log [default: its latest date]
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    observation_end: Option<Day>,
    /// Periods to project beyond the last observed.
    #[arg(long, default_value_t = 5)]
    ahead: u32,
    /// Fee per period paid by an active subscriber (adds subscriber values).
    #[arg(long)]
    fee: Option<f64>,
    /// Margin on the fee.
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    margin: f64,
    /// Discount rate per period for subscriber values.
    #[arg(long, default_value_t = 0.10, allow_hyphen_values = true)]
    discount_rate: f64,
    /// Write the observed, fitted and projected survival here (CSV) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write each subscription of the log with its tenure, renewal probability, discounted expected residual
    /// lifetime and value here (CSV).
    #[arg(long, value_name = "FILE", requires = "subscriptions")]
    subscribers: Option<PathBuf>,
    /// Write the fitted model file here (model sbg, time unit the period).
    #[arg(long, value_name = "FILE")]
    save_model: Option<PathBuf>,
    /// No report on standard error.
    #[arg(short, long)]
    quiet: bool,
}

/// Reads `period,alive` rows: periods 0, 1, 2, ... in order, alive counts never rising.
fn read_cohort(path: &Path) -> Result<Vec<f64>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let header: Vec<String> = reader.headers()?.iter().map(str::to_lowercase).collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(period), Some(alive)) = (column("period"), column("alive")) else {
        bail!(
            "{}, line 1: the cohort needs columns period and alive; the header has: {}",
            path.display(),
            header.join(", ")
        );
    };
    let mut counts = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        let number = |i: usize, what: &str| -> Result<f64> {
            let text = record.get(i).unwrap_or("");
            text.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0).ok_or_else(|| {
                anyhow::anyhow!("{}, line {line}, column '{}': '{text}' is not {what}", path.display(), header[i])
            })
        };
        let p = number(period, "a period number (0, 1, 2, ...)")?;
        if p != counts.len() as f64 {
            bail!("{}, line {line}: period {p} is out of order; expected {}", path.display(), counts.len());
        }
        let a = number(alive, "a count of active subscribers")?;
        if counts.last().is_some_and(|&previous| a > previous) {
            bail!(
                "{}, line {line}: {a} subscribers alive after {p} periods is more than the {} before",
                path.display(),
                counts[counts.len() - 1]
            );
        }
        counts.push(a);
    }
    if counts.len() < 3 {
        bail!("{}: at least two periods after period 0 are needed to fit retention", path.display());
    }
    Ok(counts)
}

/// The tenures to fit, with the log's subscriptions and report when the input is a log.
fn read_tenures(args: &RetentionArgs) -> Result<(Tenures, Option<(Vec<Subscription>, SubscriptionReport)>)> {
    let Some(path) = &args.subscriptions else {
        let cohort = args.cohort.as_deref().expect("clap requires a cohort or a log");
        return Ok((Tenures::from_cohort(&read_cohort(cohort)?), None));
    };
    let layout = SubscriptionLayout {
        customer: args.customer.clone(),
        start: args.start.clone(),
        end: args.end.clone(),
        date_format: match &args.date_format {
            Some(pattern) => DateFormat::strftime(pattern).map_err(anyhow::Error::msg)?,
            None => DateFormat::Auto,
        },
    };
    let (subscriptions, tenures, report) = read_subscriptions(path, &layout, args.period, args.observation_end)?;
    if tenures.periods_observed() < 2 {
        bail!(
            "{}: subscriptions are followed for at most {} {}(s): at least two periods are needed to fit retention \
             (is --period right?)",
            path.display(),
            tenures.periods_observed(),
            args.period
        );
    }
    Ok((tenures, Some((subscriptions, report))))
}

/// Runs `clv retention`.
pub fn run(args: RetentionArgs) -> Result<()> {
    if !(args.discount_rate > 0.0) || args.margin < 0.0 || args.fee.is_some_and(|f| !(f >= 0.0)) {
        bail!("the discount rate must be positive, and the margin and the fee 0 or more");
    }
    let (tenures, log) = read_tenures(&args)?;
    if !args.quiet {
        eprint!("{}", describe_data(&args, &tenures, log.as_ref().map(|l| &l.1)));
    }
    let rows = tenures.rows();
    let started = std::time::Instant::now();
    let estimate = fit(&SbgFamily, &rows, None);
    let seconds = started.elapsed().as_secs_f64();
    if !estimate.diagnostics.converged {
        bail!("the sBG fit did not converge: {}; nothing written", estimate.diagnostics.message);
    }
    let model = ShiftedBetaGeometric::from_params(&estimate.params);
    let observed = tenures.observed_survival();
    let last = tenures.periods_observed();
    write_output(args.output.as_deref(), |out| {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(["period", "observed_percent_alive", "fitted_percent_alive", "retention_rate"])?;
        for t in 0..=last + args.ahead {
            let observed_percent = observed.get(t as usize).map_or(String::new(), |s| (100.0 * s).to_string());
            let retention = if t == 0 { String::new() } else { model.retention_rate(t).to_string() };
            w.write_record([t.to_string(), observed_percent, (100.0 * model.survival(t)).to_string(), retention])?;
        }
        w.flush()
    })?;
    if let (Some(path), Some((subscriptions, _))) = (&args.subscribers, &log) {
        write_subscribers(path, subscriptions, &model, &args)?;
    }
    if let Some(path) = &args.save_model {
        let input = args.subscriptions.as_ref().or(args.cohort.as_ref()).expect("an input");
        let mut file = ModelFile::from_estimate("sbg", &estimate, args.period, rows.fingerprint());
        file.input = Some(input.display().to_string());
        file.fit_seconds = Some(seconds);
        file.write(path).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if !args.quiet {
        eprint!("{}", describe_fit(&args, &tenures, &estimate, &model));
    }
    Ok(())
}

/// Each subscription of the log: its tenure and, while active, the chance of renewing at the end of the current
/// period, the discounted expected residual lifetime (in payments) and the value.
fn write_subscribers(
    path: &Path,
    subscriptions: &[Subscription],
    model: &ShiftedBetaGeometric,
    args: &RetentionArgs,
) -> Result<()> {
    write_output(Some(path), |out| {
        let mut w = csv::Writer::from_writer(out);
        let mut header = vec!["customer_id", "start", "end", "renewals", "active", "p_renew", "discounted_lifetime"];
        if args.fee.is_some() {
            header.push("value");
        }
        w.write_record(&header)?;
        for s in subscriptions {
            let end = s.end.map_or(String::new(), |d| d.to_string());
            let mut record = vec![s.customer.clone(), s.start.to_string(), end, s.renewals.to_string()];
            if s.is_active() {
                let lifetime = model.discounted_expected_residual_lifetime(s.renewals, args.discount_rate);
                record.extend(["1".into(), model.retention_rate(s.renewals + 1).to_string(), lifetime.to_string()]);
                if let Some(fee) = args.fee {
                    record.push((args.margin * fee * lifetime).to_string());
                }
            } else {
                record.extend(["0".into(), String::new(), String::new()]);
                if args.fee.is_some() {
                    record.push("0".into());
                }
            }
            w.write_record(&record)?;
        }
        w.flush()
    })
}

/// The first part of the report: what was read.
fn describe_data(args: &RetentionArgs, tenures: &Tenures, log: Option<&SubscriptionReport>) -> String {
    let input = args.subscriptions.as_ref().or(args.cohort.as_ref()).expect("an input");
    let mut report = format!(
        "clv retention: shifted-beta-geometric on {} ({} subscriptions, up to {} {}s)\n",
        input.display(),
        tenures.subscriptions(),
        tenures.periods_observed(),
        args.period
    );
    if let Some(r) = log {
        let end = r.observation_end.map_or(String::new(), |d| d.to_string());
        let _ = writeln!(report, "  observed until   {end}");
        let _ = writeln!(
            report,
            "  subscriptions    {} read, {} kept ({} active at the end, {} of them ending later), {} left out \
             (starting after the end), {} following an earlier one of the same customer",
            r.rows, r.subscriptions, r.active, r.ended_after_end, r.started_after_end, r.returns
        );
    }
    report
}

/// The rest of the report: the fit, the projection and subscriber values.
fn describe_fit(args: &RetentionArgs, tenures: &Tenures, estimate: &Estimate, model: &ShiftedBetaGeometric) -> String {
    let last = tenures.periods_observed();
    let mut report = String::new();
    let _ = writeln!(report, "  {:<10}{:>12}{:>12}", "parameter", "estimate", "std. error");
    for ((name, value), se) in estimate.names.iter().zip(&estimate.params).zip(&estimate.standard_errors) {
        let _ = writeln!(report, "  {name:<10}{value:>12.4}{se:>12.4}");
    }
    let _ = writeln!(report, "  log-likelihood {:.2}", estimate.log_likelihood);
    let projected: Vec<String> =
        (last + 1..=last + args.ahead).map(|t| format!("{t}: {:.1}%", 100.0 * model.survival(t))).collect();
    let _ = writeln!(report, "  projected alive  {}", projected.join(", "));
    if let Some(fee) = args.fee {
        let _ = writeln!(
            report,
            "  value of an active subscriber (margin {} x fee {fee} x discounted expected residual lifetime at {}% a \
             period):",
            args.margin,
            args.discount_rate * 100.0
        );
        for n in [0, 1, last / 2, last] {
            let lifetime = model.discounted_expected_residual_lifetime(n, args.discount_rate);
            let _ = writeln!(
                report,
                "    after {n} renewal{}: {:.2} ({lifetime:.3} discounted payments)",
                if n == 1 { "" } else { "s" },
                args.margin * fee * lifetime
            );
        }
    }
    if let Some(path) = &args.save_model {
        let _ = writeln!(report, "  model written to {}", path.display());
    }
    report
}
