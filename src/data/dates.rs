//! Calendar days: parsing dates from purchase logs and counting whole days between them.
//!
//! The buy-till-you-die literature measures time at day resolution: a time of day is read (so that
//! `2010-12-01 08:26:00` is accepted) but ignored, and a date becomes a [`Day`], the number of days since
//! 1970-01-01 in the proleptic Gregorian calendar.

use std::fmt;

/// A calendar date as a day number: days since 1970-01-01 (negative before it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
    /// The day number of a valid year, month (1-12) and day of month; `None` for an impossible date.
    /// Uses the days-from-civil algorithm (era of 400 years, March-based years).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400) as u32;
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Day(era * 146_097 + doe as i32 - 719_468))
    }

    /// The (year, month, day) of this day number; the inverse of [`Day::from_ymd`].
    pub fn to_ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097) as u32;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe as i32 + era * 400 + i32::from(month <= 2);
        (year, month, day)
    }

    /// The same day of the month `months` later (earlier when negative), on the month's last day when it is
    /// shorter: 2024-01-31 plus one month is 2024-02-29.
    pub fn add_months(self, months: i32) -> Day {
        let (year, month, day) = self.to_ymd();
        let index = year * 12 + month as i32 - 1 + months;
        let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
        Day::from_ymd(year, month, day.min(days_in_month(year, month))).expect("a clamped day is a date")
    }

    /// Whole days from `earlier` to `self` (negative when `self` is earlier).
    pub fn days_since(self, earlier: Day) -> i32 {
        self.0 - earlier.0
    }
}

impl fmt::Display for Day {
    /// ISO 8601 calendar date, `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.to_ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// How the date column is written.
#[derive(Clone, Debug)]
pub enum DateFormat {
    /// ISO date `YYYY-MM-DD`, ISO date-time (`YYYY-MM-DD HH:MM[:SS[.fff]]`, `T` separator and a zone allowed),
    /// or `YYYYMMDD`.
    Auto,
    /// A strftime pattern such as `%d/%m/%Y` or `%m/%d/%Y %H:%M` (chrono's syntax), compiled once.
    Strftime {
        /// The pattern as the user gave it, for messages.
        pattern: String,
        /// The compiled pattern.
        items: Vec<chrono::format::Item<'static>>,
    },
}

impl DateFormat {
    /// Compiles a strftime pattern; an error names what is wrong with it.
    pub fn strftime(pattern: &str) -> Result<DateFormat, String> {
        let items: Vec<chrono::format::Item<'static>> = chrono::format::StrftimeItems::new(pattern)
            .parse_to_owned()
            .map_err(|_| format!("'{pattern}' is not a valid strftime date format"))?;
        let format = DateFormat::Strftime { pattern: pattern.to_owned(), items };
        // A pattern must at least name a full date: try it on a date it should print.
        let probe = chrono::NaiveDate::from_ymd_opt(2001, 2, 3)
            .and_then(|d| d.and_hms_opt(4, 5, 6))
            .map(|dt| dt.format(pattern).to_string());
        match probe {
            Some(text) if format.parse(text.as_bytes()).is_some() => Ok(format),
            _ => Err(format!("the date format '{pattern}' does not name a full date (year, month and day)")),
        }
    }

    /// Parses one field into a day; `None` when it does not match the format or names an impossible date.
    pub fn parse(&self, text: &[u8]) -> Option<Day> {
        match self {
            DateFormat::Auto => parse_auto(text),
            DateFormat::Strftime { items, .. } => {
                let text = std::str::from_utf8(text).ok()?;
                let mut parsed = chrono::format::Parsed::new();
                chrono::format::parse(&mut parsed, text, items.iter()).ok()?;
                let date = parsed.to_naive_date().ok()?;
                use chrono::Datelike;
                Day::from_ymd(date.year(), date.month(), date.day())
            }
        }
    }

    /// What the format expects, for error messages.
    pub fn describe(&self) -> String {
        match self {
            DateFormat::Auto => "a date as YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or YYYYMMDD (or give --date-format)".into(),
            DateFormat::Strftime { pattern, .. } => format!("a date in the format '{pattern}'"),
        }
    }
}

fn digits(text: &[u8]) -> Option<u32> {
    let mut value = 0u32;
    for &b in text {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(b - b'0');
    }
    Some(value)
}

/// The default formats: `YYYYMMDD`, `YYYY-MM-DD` optionally followed by a time of day.
fn parse_auto(text: &[u8]) -> Option<Day> {
    if text.len() == 8 {
        let year = digits(&text[0..4])?;
        return Day::from_ymd(year as i32, digits(&text[4..6])?, digits(&text[6..8])?);
    }
    if text.len() < 10 || text[4] != b'-' || text[7] != b'-' {
        return None;
    }
    let day = Day::from_ymd(digits(&text[0..4])? as i32, digits(&text[5..7])?, digits(&text[8..10])?)?;
    let rest = &text[10..];
    if rest.is_empty() || (matches!(rest[0], b' ' | b'T') && valid_time_of_day(&rest[1..])) { Some(day) } else { None }
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff`, optionally followed by `Z` or a `+hh:mm` / `-hh:mm` offset.
/// The time is checked but not used: purchases count at day resolution.
fn valid_time_of_day(text: &[u8]) -> bool {
    let clock = |t: &[u8]| {
        t.len() >= 5
            && t[2] == b':'
            && digits(&t[0..2]).is_some_and(|h| h < 24)
            && digits(&t[3..5]).is_some_and(|m| m < 60)
    };
    if !clock(text) {
        return false;
    }
    let mut rest = &text[5..];
    if rest.len() >= 3 && rest[0] == b':' {
        if digits(&rest[1..3]).is_none_or(|s| s > 60) {
            return false;
        }
        rest = &rest[3..];
        if let Some(fraction) = rest.strip_prefix(b".") {
            let n = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return false;
            }
            rest = &fraction[n..];
        }
    }
    match rest {
        [] | [b'Z'] => true,
        [b'+' | b'-', zone @ ..] => zone.len() == 5 && clock(zone) || zone.len() == 4 && digits(zone).is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_add_on_the_calendar() {
        let d = |y, m, day| Day::from_ymd(y, m, day).unwrap();
        assert_eq!(d(2024, 1, 31).add_months(1), d(2024, 2, 29));
        assert_eq!(d(2023, 1, 31).add_months(1), d(2023, 2, 28));
        assert_eq!(d(2024, 2, 29).add_months(12), d(2025, 2, 28));
        assert_eq!(d(2024, 11, 15).add_months(3), d(2025, 2, 15));
        assert_eq!(d(2024, 3, 15).add_months(-3), d(2023, 12, 15));
    }

    #[test]
    fn day_numbers_round_trip_and_match_known_dates() {
        assert_eq!(Day::from_ymd(1970, 1, 1), Some(Day(0)));
        assert_eq!(Day::from_ymd(1997, 1, 1), Some(Day(9862)));
        assert_eq!(Day::from_ymd(2000, 3, 1).unwrap().0 - Day::from_ymd(2000, 2, 28).unwrap().0, 2);
        assert_eq!(Day::from_ymd(1900, 3, 1).unwrap().0 - Day::from_ymd(1900, 2, 28).unwrap().0, 1);
        for n in (-800_000..800_000).step_by(997) {
            let (y, m, d) = Day(n).to_ymd();
            assert_eq!(Day::from_ymd(y, m, d), Some(Day(n)));
        }
        assert_eq!(Day::from_ymd(1997, 9, 30).unwrap().to_string(), "1997-09-30");
    }

    #[test]
    fn cdnow_calibration_age_is_272_days() {
        let first = Day::from_ymd(1997, 1, 1).unwrap();
        let end = Day::from_ymd(1997, 9, 30).unwrap();
        assert_eq!(end.days_since(first), 272);
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert_eq!(Day::from_ymd(1997, 2, 29), None);
        assert_eq!(Day::from_ymd(1996, 2, 29).map(|d| d.to_string()), Some("1996-02-29".into()));
        assert_eq!(Day::from_ymd(1997, 13, 1), None);
        assert_eq!(Day::from_ymd(1997, 4, 31), None);
        assert_eq!(Day::from_ymd(1997, 4, 0), None);
    }

    #[test]
    fn default_formats() {
        let auto = DateFormat::Auto;
        let want = Day::from_ymd(2010, 12, 1);
        for text in [
            "20101201",
            "2010-12-01",
            "2010-12-01 08:26",
            "2010-12-01 08:26:00",
            "2010-12-01T23:59:59.123Z",
            "2010-12-01T08:26:00+01:00",
            "2010-12-01T08:26:00-0500",
        ] {
            assert_eq!(auto.parse(text.as_bytes()), want, "{text}");
        }
        for text in [
            "",
            "2010-12-1",
            "2010/12/01",
            "20101301",
            "2010-12-01 25:00",
            "2010-12-01x",
            "1201201a",
            "2010-12-01 08:26:00 junk",
        ] {
            assert_eq!(auto.parse(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn strftime_formats_ignore_the_time_of_day() {
        let us = DateFormat::strftime("%m/%d/%Y %H:%M").unwrap();
        assert_eq!(us.parse(b"12/01/2010 08:26"), Day::from_ymd(2010, 12, 1));
        assert_eq!(us.parse(b"13/01/2010 08:26"), None);
        let eu = DateFormat::strftime("%d.%m.%Y").unwrap();
        assert_eq!(eu.parse(b"01.12.2010"), Day::from_ymd(2010, 12, 1));
        assert_eq!(eu.parse(b"31.02.2010"), None);
    }

    #[test]
    fn strftime_formats_without_a_full_date_are_refused() {
        assert!(DateFormat::strftime("%H:%M").is_err());
        assert!(DateFormat::strftime("%m/%Y").is_err());
        assert!(DateFormat::strftime("%Q").is_err());
    }
}
