//! Discounting: an annual rate given by the user, converted to the model's time unit.

use crate::data::TimeUnit;

/// Periods of each unit in a year, as the literature counts them: 365 days, 52 weeks (Fader, Hardie & Lee 2005,
/// JMR, discount at ln(1 + d)/52 a week), 12 months, 1 year.
pub fn periods_per_year(unit: TimeUnit) -> f64 {
    match unit {
        TimeUnit::Day => 365.0,
        TimeUnit::Week => 52.0,
        TimeUnit::Month => 12.0,
        TimeUnit::Year => 1.0,
    }
}

/// How future purchases are discounted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// Continuous discounting at an annual rate d: δ = ln(1 + d) per year, over an optional finite horizon (in
    /// the model's unit); `None` is the infinite horizon (DERT).
    Continuous {
        /// Annual rate (0.10 for 10% a year).
        annual_rate: f64,
        /// Horizon in the model's unit, or infinite.
        horizon: Option<f64>,
    },
    /// The discrete monthly convention of the mainstream Python package: `months` monthly steps (4.345 weeks or
    /// 30 days, or 1 month), each month's expected purchases discounted at the month's end by (1 + rate)^k.
    MonthlyCompat {
        /// Number of months.
        months: u32,
        /// Rate per month (0.01 for 1%).
        monthly_rate: f64,
    },
}

impl Schedule {
    /// The continuous rate per model time unit, ln(1 + d) / periods per year.
    pub fn rate_per_unit(annual_rate: f64, unit: TimeUnit) -> f64 {
        annual_rate.ln_1p() / periods_per_year(unit)
    }

    /// Length of one month of the monthly convention in the model's unit: 4.345 weeks, 30 days, 1 month or 1/12
    /// year.
    pub fn compat_month(unit: TimeUnit) -> f64 {
        match unit {
            TimeUnit::Week => 4.345,
            TimeUnit::Day => 30.0,
            TimeUnit::Month => 1.0,
            TimeUnit::Year => 1.0 / 12.0,
        }
    }

    /// Checks the rates: negative rates, and an undiscounted infinite horizon, are refused.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Schedule::Continuous { annual_rate, horizon } => {
                if !(annual_rate >= 0.0 && annual_rate.is_finite()) {
                    return Err(format!("the discount rate {annual_rate} must be 0 or more"));
                }
                if annual_rate == 0.0 && horizon.is_none() {
                    return Err("an undiscounted infinite horizon has no finite value (it diverges for BG/NBD when a \
                                <= 1, as on CDNOW): give a positive --discount-rate or a --horizon"
                        .into());
                }
                if horizon.is_some_and(|h| !(h > 0.0 && h.is_finite())) {
                    return Err("the horizon must be a positive length".into());
                }
                Ok(())
            }
            Schedule::MonthlyCompat { months, monthly_rate } => {
                if months == 0 {
                    return Err("--months must be at least 1".into());
                }
                if !(monthly_rate >= 0.0 && monthly_rate.is_finite()) {
                    return Err(format!("the monthly rate {monthly_rate} must be 0 or more"));
                }
                Ok(())
            }
        }
    }

    /// A sentence saying which rate, unit and horizon are used; `discrete` for a model of opportunities, whose
    /// purchases at opportunity k are discounted by e^(−δk).
    pub fn describe(&self, unit: TimeUnit, discrete: bool) -> String {
        match *self {
            Schedule::Continuous { annual_rate, horizon } => {
                let delta = Self::rate_per_unit(annual_rate, unit);
                let over = match horizon {
                    Some(h) => format!("over {}", unit.count(h)),
                    None => "over an infinite horizon".into(),
                };
                let how =
                    if discrete { "each opportunity k discounted at its end by e^(-δk)" } else { "continuously" };
                format!(
                    "{:.2}% a year, {how} (δ = ln(1 + {annual_rate})/{} = {delta:.6} per {unit}), {over}",
                    annual_rate * 100.0,
                    periods_per_year(unit)
                )
            }
            Schedule::MonthlyCompat { months, monthly_rate } => format!(
                "{months} months of {} {unit}s, each month's purchases discounted at its end by {:.2}% a month \
                 (the lifetimes package's convention)",
                Self::compat_month(unit),
                monthly_rate * 100.0
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annual_rates_convert_to_the_unit() {
        // ln(1 + d) is formed with ln_1p: equal to ln(1.15) up to rounding.
        let close = |got: f64, want: f64| assert!((got - want).abs() <= 1e-15 * want, "{got} vs {want}");
        close(Schedule::rate_per_unit(0.15, TimeUnit::Week), 1.15f64.ln() / 52.0);
        close(Schedule::rate_per_unit(0.10, TimeUnit::Month), 1.1f64.ln() / 12.0);
        close(Schedule::rate_per_unit(0.10, TimeUnit::Day), 1.1f64.ln() / 365.0);
    }

    #[test]
    fn bad_rates_are_refused() {
        assert!(Schedule::Continuous { annual_rate: -0.1, horizon: None }.validate().is_err());
        assert!(Schedule::Continuous { annual_rate: 0.0, horizon: None }.validate().is_err());
        assert!(Schedule::Continuous { annual_rate: 0.0, horizon: Some(52.0) }.validate().is_ok());
        assert!(Schedule::MonthlyCompat { months: 0, monthly_rate: 0.01 }.validate().is_err());
    }
}
