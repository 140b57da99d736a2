//! `clv retention`: the shifted-beta-geometric model on a subscription cohort's survival counts.

use super::write_output;
use anyhow::{Context, Result, bail};
use clap::Args;
use clv::fit::fit;
use clv::retention::sbg::{SbgFamily, ShiftedBetaGeometric, cohort_rows};
use std::fmt::Write as _;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  # A cohort of 1000 subscribers followed 7 years (period,alive: period 0 is the cohort's size)
  clv retention cohort.csv --ahead 5

  # With the value of an active subscriber by tenure: margin x fee x discounted expected residual lifetime
  clv retention cohort.csv --fee 120 --margin 0.4 --discount-rate 0.10 -o projection.csv

The discount rate is per period (the cohort's period: a year for yearly renewals).";

/// Arguments of `clv retention`.
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct RetentionArgs {
    /// Cohort CSV with columns period (0, 1, 2, ...) and alive (subscribers still active after that many periods).
    cohort: PathBuf,
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
}

/// Reads `period,alive` rows: periods 0, 1, 2, ... in order, alive counts never rising.
fn read_cohort(path: &PathBuf) -> Result<Vec<f64>> {
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

/// Runs `clv retention`.
pub fn run(args: RetentionArgs) -> Result<()> {
    if !(args.discount_rate > 0.0) || args.margin < 0.0 {
        bail!("the discount rate must be positive and the margin 0 or more");
    }
    let alive = read_cohort(&args.cohort)?;
    let lost: Vec<f64> = alive.windows(2).map(|w| w[0] - w[1]).collect();
    let remaining = alive[alive.len() - 1];
    let estimate = fit(&SbgFamily, &cohort_rows(&lost, remaining), None);
    if !estimate.diagnostics.converged {
        bail!("the sBG fit did not converge: {}", estimate.diagnostics.message);
    }
    let model = ShiftedBetaGeometric::from_params(&estimate.params);
    let observed = alive.len() as u32 - 1;
    let mut report = format!(
        "clv retention: shifted-beta-geometric on {} ({} subscribers, {observed} periods)\n",
        args.cohort.display(),
        alive[0]
    );
    for ((name, value), se) in estimate.names.iter().zip(&estimate.params).zip(&estimate.standard_errors) {
        let _ = writeln!(report, "  {name:<10}{value:>12.4}{se:>12.4}");
    }
    let _ = writeln!(report, "  log-likelihood {:.2}", estimate.log_likelihood);
    write_output(args.output.as_deref(), |out| {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(["period", "observed_percent_alive", "fitted_percent_alive", "retention_rate"])?;
        for t in 0..=observed + args.ahead {
            let observed_percent = alive.get(t as usize).map_or(String::new(), |a| (100.0 * a / alive[0]).to_string());
            let retention = if t == 0 { String::new() } else { model.retention_rate(t).to_string() };
            w.write_record([t.to_string(), observed_percent, (100.0 * model.survival(t)).to_string(), retention])?;
        }
        w.flush()
    })?;
    let projected: Vec<String> =
        (observed + 1..=observed + args.ahead).map(|t| format!("{t}: {:.1}%", 100.0 * model.survival(t))).collect();
    let _ = writeln!(report, "  projected alive  {}", projected.join(", "));
    if let Some(fee) = args.fee {
        let _ = writeln!(
            report,
            "  value of an active subscriber (margin {} x fee {fee} x discounted expected residual lifetime at {}% a period):",
            args.margin,
            args.discount_rate * 100.0
        );
        for n in [0, 1, observed / 2, observed] {
            let derl = model.discounted_expected_residual_lifetime(n, args.discount_rate);
            let _ = writeln!(
                report,
                "    after {n} renewals: {:.2} ({derl:.3} discounted payments)",
                args.margin * fee * derl
            );
        }
    }
    eprint!("{report}");
    Ok(())
}
