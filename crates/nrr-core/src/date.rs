//! Calendar dates and months without a date library.
//!
//! Only the Gregorian calendar arithmetic `nrr` needs: strict `YYYY-MM-DD` and `YYYY-MM`
//! parsing (so `2024-02-30` is rejected), day counts and month indices.

use serde::{Serialize, Serializer};
use std::fmt;

/// A calendar day, stored as days since 1970-01-01.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

/// A calendar month, stored as `year * 12 + (month - 1)`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(i32);

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Number of days in month `m` (1-12) of year `y`.
pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// In 64 bits: any `i32` day count works (a Parquet `Date32` far outside years 1 to 9999 is
/// still shown as its date, as in a rejection), and its year fits an `i32`.
fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = i64::from(z) + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

impl Date {
    /// The date for a year, month (1-12) and day, or `None` when it does not exist.
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) || !(1..=9999).contains(&y) {
            return None;
        }
        Some(Date(days_from_civil(y, m, d)))
    }

    /// Parses exactly `YYYY-MM-DD`.
    ///
    /// ```
    /// use nrr_core::date::Date;
    /// assert!(Date::parse("2024-02-29").is_some());
    /// assert!(Date::parse("2024-02-30").is_none());
    /// assert!(Date::parse("2024-2-3").is_none());
    /// ```
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let y = digits(&b[0..4])? as i32;
        Date::from_ymd(y, digits(&b[5..7])?, digits(&b[8..10])?)
    }

    /// Year, month (1-12), day.
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    /// The month holding this date.
    pub fn month(self) -> Month {
        let (y, m, _) = self.ymd();
        Month(y * 12 + m as i32 - 1)
    }

    /// The date `days` days after 1970-01-01 (Arrow's `Date32`).
    pub fn from_days(days: i32) -> Date {
        Date(days)
    }

    /// The first date `nrr` accepts: 0001-01-01 (dates are years 1 to 9999, as in
    /// `YYYY-MM-DD`).
    pub const MIN: Date = Date(-719_162);
    /// The last date `nrr` accepts: 9999-12-31.
    pub const MAX: Date = Date(2_932_896);

    /// [`Date::from_days`] for a day count that may lie outside years 1 to 9999 (a Parquet
    /// `Date32` can hold any year within about 5.8 million of 1970): `None` outside.
    ///
    /// ```
    /// use nrr_core::date::Date;
    /// assert_eq!(Date::try_from_days(0).unwrap().to_string(), "1970-01-01");
    /// assert_eq!(Date::try_from_days(2_932_896).unwrap().to_string(), "9999-12-31");
    /// assert!(Date::try_from_days(2_932_897).is_none());
    /// assert!(Date::try_from_days(i32::MIN).is_none());
    /// ```
    pub fn try_from_days(days: i32) -> Option<Date> {
        (Date::MIN.0..=Date::MAX.0)
            .contains(&days)
            .then_some(Date(days))
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i32 {
        self.0
    }

    /// The date `n` days later (or earlier when negative).
    pub fn add_days(self, n: i32) -> Date {
        Date(self.0 + n)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Month {
    /// A month far in the future standing for "no end".
    pub const OPEN_END: Month = Month(i32::MAX / 4);

    /// The month for a year and month number (1-12).
    pub fn new(y: i32, m: u32) -> Option<Month> {
        if !(1..=12).contains(&m) || !(1..=9999).contains(&y) {
            return None;
        }
        Some(Month(y * 12 + m as i32 - 1))
    }

    /// Parses exactly `YYYY-MM`.
    ///
    /// ```
    /// use nrr_core::date::Month;
    /// assert_eq!(Month::parse("2024-03").unwrap().to_string(), "2024-03");
    /// assert!(Month::parse("2024-13").is_none());
    /// ```
    pub fn parse(s: &str) -> Option<Month> {
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' {
            return None;
        }
        Month::new(digits(&b[0..4])? as i32, digits(&b[5..7])?)
    }

    /// The month's index (`year * 12 + month - 1`), convenient for arithmetic.
    pub fn index(self) -> i32 {
        self.0
    }

    /// The month with the given index.
    pub fn from_index(i: i32) -> Month {
        Month(i)
    }

    /// Calendar year.
    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// Month number, 1-12.
    pub fn number(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }

    /// The month `n` months later (earlier when negative).
    pub fn plus(self, n: i32) -> Month {
        Month(self.0 + n)
    }

    /// First day of the month.
    pub fn first_day(self) -> Date {
        Date(days_from_civil(self.year(), self.number(), 1))
    }

    /// Last day of the month: the instant whose snapshot defines the month's MRR.
    pub fn last_day(self) -> Date {
        let (y, m) = (self.year(), self.number());
        Date(days_from_civil(y, m, days_in_month(y, m)))
    }

    /// Calendar quarter, 1-4.
    pub fn quarter(self) -> u32 {
        (self.number() - 1) / 3 + 1
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.number())
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        let start = Date::parse("1900-01-01").unwrap().days();
        for z in start..start + 146_097 {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(Date::from_ymd(y, m, d).unwrap().days(), z);
        }
    }

    #[test]
    fn rejects_impossible_dates() {
        for bad in [
            "2024-02-30",
            "2023-02-29",
            "2024-04-31",
            "2024-00-10",
            "2024-13-01",
            "24-01-01",
            "2024/01/01",
            "2024-01-1x",
            "",
        ] {
            assert!(Date::parse(bad).is_none(), "{bad}");
        }
        assert!(Date::parse("2000-02-29").is_some());
        assert!(Date::parse("1900-02-29").is_none());
    }

    #[test]
    fn min_and_max_are_the_ends_of_years_1_and_9999() {
        assert_eq!(Date::from_ymd(1, 1, 1), Some(Date::MIN));
        // Any day count has a date to show, without overflow (Parquet Date32 extremes).
        assert_eq!(Date::from_days(i32::MAX).to_string(), "5881580-07-11");
        assert_eq!(Date::from_days(i32::MIN).to_string(), "-5877641-06-23");
        assert_eq!(Date::from_ymd(9999, 12, 31), Some(Date::MAX));
    }

    #[test]
    fn month_arithmetic_and_last_day() {
        let m = Month::parse("2024-02").unwrap();
        assert_eq!(m.last_day().to_string(), "2024-02-29");
        assert_eq!(m.plus(-2).to_string(), "2023-12");
        assert_eq!(m.plus(11).to_string(), "2025-01");
        assert_eq!(Date::parse("2024-02-15").unwrap().month(), m);
        assert_eq!(m.quarter(), 1);
        assert_eq!(Month::parse("2024-12").unwrap().quarter(), 4);
    }
}
