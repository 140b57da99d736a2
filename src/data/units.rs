//! The time unit of summaries and models: every recency, age and horizon is a number of these.

use std::fmt;
use std::str::FromStr;

/// Length of a mean Gregorian month in days (365.25 / 12), the `month` unit.
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// The unit in which times are expressed: whole-day differences divided by the unit's length in days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    /// One day.
    Day,
    /// Seven days (the literature's default; CDNOW's figures are in weeks).
    Week,
    /// 365.25 / 12 = 30.4375 days.
    Month,
    /// 365.25 days (a calendar year when it counts opportunities).
    Year,
}

impl TimeUnit {
    /// Length of the unit in days.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Day => 1.0,
            TimeUnit::Week => 7.0,
            TimeUnit::Month => DAYS_PER_MONTH,
            TimeUnit::Year => 365.25,
        }
    }

    /// A whole number of days expressed in this unit.
    pub fn from_days(self, days: i32) -> f64 {
        f64::from(days) / self.days()
    }

    /// `n` of this unit in words: `1 year`, `39 weeks`, `2.5 months`.
    pub fn count(self, n: f64) -> String {
        format!("{n} {}{}", self.name(), if n == 1.0 { "" } else { "s" })
    }

    /// The unit's name as written in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
            TimeUnit::Month => "month",
            TimeUnit::Year => "year",
        }
    }
}

impl fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TimeUnit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().trim_end_matches('s') {
            "day" | "d" => Ok(TimeUnit::Day),
            "week" | "w" => Ok(TimeUnit::Week),
            "month" | "m" => Ok(TimeUnit::Month),
            "year" | "y" | "yr" => Ok(TimeUnit::Year),
            _ => Err(format!("'{text}' is not a time unit; expected day, week, month or year")),
        }
    }
}

/// A length of time such as `39` (in `unit`), `39w`, `273d`, `9m` or `3y` (365.25 days), expressed in `unit`.
/// A suffix is an explicit conversion; a bare number is taken in the model's own unit.
pub fn parse_horizon(text: &str, unit: TimeUnit) -> Result<f64, String> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let value: f64 =
        number.trim().parse().ok().filter(|v: &f64| v.is_finite() && *v >= 0.0).ok_or_else(|| {
            format!("'{text}' is not a horizon; expected a number of {unit}s, or e.g. 39w, 273d, 9m, 3y")
        })?;
    let days_per = match suffix.trim() {
        "" => return Ok(value),
        other => other.parse::<TimeUnit>().map_err(|e| format!("in horizon '{text}': {e}"))?.days(),
    };
    Ok(value * days_per / unit.days())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horizons_convert_explicitly() {
        assert_eq!(parse_horizon("39", TimeUnit::Week), Ok(39.0));
        assert_eq!(parse_horizon("273d", TimeUnit::Week), Ok(39.0));
        assert_eq!(parse_horizon("1y", TimeUnit::Month), Ok(12.0));
        assert_eq!(parse_horizon("2 weeks", TimeUnit::Day), Ok(14.0));
        assert!(parse_horizon("-3", TimeUnit::Week).is_err());
        assert!(parse_horizon("3q", TimeUnit::Week).is_err());
    }

    #[test]
    fn unit_lengths() {
        assert_eq!(TimeUnit::Week.from_days(272), 272.0 / 7.0);
        assert_eq!(TimeUnit::Day.from_days(-3), -3.0);
        assert_eq!(TimeUnit::Month.days(), 30.4375);
        assert_eq!(TimeUnit::Month.from_days(365 * 4 + 1), 48.0);
    }

    #[test]
    fn counts_are_worded() {
        assert_eq!(TimeUnit::Year.count(1.0), "1 year");
        assert_eq!(TimeUnit::Week.count(39.0), "39 weeks");
    }

    #[test]
    fn unit_names_parse() {
        assert_eq!("weeks".parse(), Ok(TimeUnit::Week));
        assert_eq!("Day".parse(), Ok(TimeUnit::Day));
        assert_eq!("month".parse(), Ok(TimeUnit::Month));
        assert_eq!("years".parse(), Ok(TimeUnit::Year));
        assert!("fortnight".parse::<TimeUnit>().is_err());
    }
}
