//! Calendar periods as discrete transaction opportunities (Fader, Hardie & Shang 2010): a year is a calendar
//! year, a month a calendar month, a week an ISO week (Monday to Sunday), a day a day. A customer's first period
//! is their trial; the periods after it, up to the calibration end, are their opportunities.

use super::dates::Day;
use super::units::TimeUnit;

/// Numbers calendar periods of one length consecutively, so that a period index behaves like a day number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpportunityClock {
    /// The period length: day, week, month or year.
    pub unit: TimeUnit,
}

/// 1970-01-01 was a Thursday: ISO weeks start three days before it.
const MONDAY_OFFSET: i32 = 3;

impl OpportunityClock {
    /// The index of the period holding `day`: consecutive periods have consecutive indices.
    pub fn index(self, day: Day) -> i32 {
        match self.unit {
            TimeUnit::Day => day.0,
            TimeUnit::Week => (day.0 + MONDAY_OFFSET).div_euclid(7),
            TimeUnit::Month => {
                let (year, month, _) = day.to_ymd();
                year * 12 + month as i32 - 1
            }
            TimeUnit::Year => day.to_ymd().0,
        }
    }

    /// The first day of period `index`.
    pub fn start(self, index: i32) -> Day {
        let first = |year: i32, month: u32| Day::from_ymd(year, month, 1).expect("the first of a month is a date");
        match self.unit {
            TimeUnit::Day => Day(index),
            TimeUnit::Week => Day(index * 7 - MONDAY_OFFSET),
            TimeUnit::Month => first(index.div_euclid(12), index.rem_euclid(12) as u32 + 1),
            TimeUnit::Year => first(index, 1),
        }
    }

    /// The last day of period `index`.
    pub fn end(self, index: i32) -> Day {
        Day(self.start(index + 1).0 - 1)
    }

    /// Checks that `day` is the last day of a period (a calibration or observation end must be); the error
    /// names the ends of the period holding it.
    pub fn check_period_end(self, day: Day, what: &str) -> Result<i32, String> {
        let index = self.index(day);
        if self.end(index) == day {
            return Ok(index);
        }
        Err(format!(
            "the {what} {day} is not the last day of a {unit}: opportunities are whole {unit}s, so the window must end \
             with one (use {} or {})",
            self.end(index - 1),
            self.end(index),
            unit = self.unit
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Day {
        Day::from_ymd(y, m, d).unwrap()
    }

    #[test]
    fn periods_are_consecutive_and_their_ends_are_found() {
        for unit in [TimeUnit::Day, TimeUnit::Week, TimeUnit::Month, TimeUnit::Year] {
            let clock = OpportunityClock { unit };
            let mut previous = clock.index(day(1995, 1, 1));
            for n in day(1995, 1, 2).0..day(2001, 3, 1).0 {
                let index = clock.index(Day(n));
                assert!(index == previous || index == previous + 1, "{unit} at {}", Day(n));
                assert!(clock.start(index) <= Day(n) && Day(n) <= clock.end(index));
                assert_eq!(index != previous, clock.start(index) == Day(n));
                previous = index;
            }
        }
        let week = OpportunityClock { unit: TimeUnit::Week };
        assert_eq!(week.start(week.index(day(2026, 12, 3))), day(2026, 11, 30), "a Thursday's week starts Monday");
        let month = OpportunityClock { unit: TimeUnit::Month };
        assert_eq!(month.end(month.index(day(2024, 2, 10))), day(2024, 2, 29));
        let year = OpportunityClock { unit: TimeUnit::Year };
        assert_eq!(year.index(day(1997, 6, 30)) - year.index(day(1995, 12, 31)), 2);
    }

    #[test]
    fn window_ends_must_close_a_period() {
        let year = OpportunityClock { unit: TimeUnit::Year };
        assert_eq!(year.check_period_end(day(2001, 12, 31), "calibration end"), Ok(2001));
        let error = year.check_period_end(day(2001, 9, 30), "calibration end").unwrap_err();
        assert!(error.contains("2000-12-31") && error.contains("2001-12-31"), "{error}");
        let week = OpportunityClock { unit: TimeUnit::Week };
        assert!(week.check_period_end(day(2026, 12, 6), "end").is_ok(), "a Sunday closes an ISO week");
    }
}
