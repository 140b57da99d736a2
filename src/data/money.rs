//! Amounts of money held exactly, as whole millionths of the input's currency unit, so that sums do not depend
//! on the order of the rows (an unsorted log, or one split in several files, gives the same summary to the
//! last digit).

use std::fmt;
use std::ops::AddAssign;

/// Millionths per currency unit.
const SCALE: i64 = 1_000_000;

/// An amount in millionths of the input's currency unit (exact for decimals of up to six places).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(pub i64);

impl Money {
    /// Parses a decimal amount: optional sign, digits, optional fraction (`12.50`, `-3`, `.5`); an exponent
    /// (`1.2e3`) is accepted too. Digits beyond the sixth decimal are rounded half away from zero.
    /// `None` for anything else (`NaN`, `inf`, `1,5`, empty) or beyond ±9.2 trillion.
    pub fn parse(text: &[u8]) -> Option<Money> {
        let (negative, digits) = match text.split_first()? {
            (b'-', rest) => (true, rest),
            (b'+', rest) => (false, rest),
            _ => (false, text),
        };
        let magnitude = parse_plain(digits).or_else(|| parse_exponent(digits))?;
        Some(Money(if negative { -magnitude } else { magnitude }))
    }

    /// The amount in currency units.
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / SCALE as f64
    }

    /// `self / n` in currency units (0 when `n` is 0): the mean of `n` purchases summing to `self`.
    pub fn mean(self, n: u32) -> f64 {
        if n == 0 { 0.0 } else { self.0 as f64 / (f64::from(n) * SCALE as f64) }
    }

    /// True when the amount is below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Money {
    /// The amount as a decimal, exactly (`-12.5`, `3`, `0.000001`): [`Money::parse`] reads it back unchanged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let (whole, fraction) = (magnitude / SCALE as u64, magnitude % SCALE as u64);
        if fraction == 0 {
            write!(f, "{sign}{whole}")
        } else {
            write!(f, "{sign}{whole}.{}", format!("{fraction:06}").trim_end_matches('0'))
        }
    }
}

impl AddAssign for Money {
    /// Sums amounts, saturating at ±9.2 trillion currency units rather than wrapping.
    fn add_assign(&mut self, other: Money) {
        self.0 = self.0.saturating_add(other.0);
    }
}

/// `123`, `123.45`, `.5`, `5.`: digits with at most one point; no sign, no exponent.
fn parse_plain(text: &[u8]) -> Option<i64> {
    let mut units: i64 = 0;
    let mut fraction: i64 = 0;
    let mut places = 0u32;
    let mut seen_point = false;
    let mut digits = 0usize;
    let mut round_up = false;
    for &b in text {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                let d = i64::from(b - b'0');
                if !seen_point {
                    units = units.checked_mul(10)?.checked_add(d)?;
                } else if places < 6 {
                    fraction = fraction * 10 + d;
                    places += 1;
                } else if places == 6 {
                    round_up = d >= 5;
                    places += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    let fraction = fraction * 10i64.pow(6 - places.min(6)) + i64::from(round_up);
    units.checked_mul(SCALE)?.checked_add(fraction)
}

/// Forms with an exponent, through f64 (exact enough for any amount a purchase log holds).
fn parse_exponent(text: &[u8]) -> Option<i64> {
    if !text.iter().any(|&b| b == b'e' || b == b'E') || !text.first()?.is_ascii_digit() && text[0] != b'.' {
        return None;
    }
    let value: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    let scaled = (value * SCALE as f64).round();
    (value.is_finite() && scaled.abs() < 9.2e18).then_some(scaled as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Option<i64> {
        Money::parse(text.as_bytes()).map(|m| m.0)
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(parse("29.33"), Some(29_330_000));
        assert_eq!(parse("-3"), Some(-3_000_000));
        assert_eq!(parse("+.5"), Some(500_000));
        assert_eq!(parse("7."), Some(7_000_000));
        assert_eq!(parse("0.0000015"), Some(2));
        assert_eq!(parse("0.0000014"), Some(1));
        assert_eq!(parse("1.5e3"), Some(1_500_000_000));
        assert_eq!(parse("00012.300"), Some(12_300_000));
    }

    #[test]
    fn amounts_are_written_exactly_and_read_back() {
        for text in ["-12.5", "3", "0.000001", "29.33", "-0.1", "9200000000000"] {
            let money = Money::parse(text.as_bytes()).unwrap();
            assert_eq!(money.to_string(), text);
            assert_eq!(Money::parse(money.to_string().as_bytes()), Some(money));
        }
        assert_eq!(Money(i64::MIN + 1).to_string(), "-9223372036854.775807");
    }

    #[test]
    fn non_numbers_are_refused() {
        for text in ["", "-", ".", "1,5", "1.2.3", "NaN", "inf", "-inf", "12 50", "$5", "1e999", "99999999999999999999"]
        {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn sums_do_not_depend_on_order() {
        let amounts = ["0.1", "0.2", "0.3", "1e-1", "12.345678"];
        let total = |order: &[usize]| {
            let mut sum = Money::default();
            for &i in order {
                sum += Money::parse(amounts[i].as_bytes()).unwrap();
            }
            sum
        };
        assert_eq!(total(&[0, 1, 2, 3, 4]), total(&[4, 2, 0, 3, 1]));
        assert_eq!(total(&[0, 1, 2]).mean(3), 0.2);
        assert_eq!(Money(44_690_000).mean(2), 22.345);
        assert_eq!(Money(5).mean(0), 0.0);
    }
}
