//! The window: its months, their `YYYY-MM-` prefixes and day counts, and dates inside it.

use super::GenerateOptions;

/// Window context shared by all workers.
pub(super) struct Ctx {
    pub(super) seed: u64,
    pub(super) months: u32,
    pub(super) currencies: bool,
    /// `year * 12 + (month - 1)` of window month 0.
    pub(super) first: i64,
    pub(super) id_width: usize,
    /// Per window month: "YYYY-MM-" and the number of days.
    pub(super) month_prefix: Vec<([u8; 8], u32)>,
}

impl Ctx {
    pub(super) fn new(opts: &GenerateOptions) -> Ctx {
        let first = i64::from(opts.start_year) * 12 + i64::from(opts.start_month) - 1;
        let month_prefix = (0..opts.months)
            .map(|m| month_info(first + i64::from(m)))
            .collect();
        Ctx {
            seed: opts.seed,
            months: opts.months,
            currencies: opts.currencies,
            first,
            id_width: digits(opts.customers.max(1)),
            month_prefix,
        }
    }

    pub(super) fn dim(&self, m: u32) -> u32 {
        self.month_prefix[m as usize].1
    }
}

pub(super) fn month_info(abs: i64) -> ([u8; 8], u32) {
    let year = abs.div_euclid(12);
    let month = abs.rem_euclid(12) + 1;
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let dim = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let mut p = [0u8; 8];
    let y = year as u32;
    p[0] = b'0' + (y / 1000 % 10) as u8;
    p[1] = b'0' + (y / 100 % 10) as u8;
    p[2] = b'0' + (y / 10 % 10) as u8;
    p[3] = b'0' + (y % 10) as u8;
    p[4] = b'-';
    p[5] = b'0' + (month / 10) as u8;
    p[6] = b'0' + (month % 10) as u8;
    p[7] = b'-';
    (p, dim)
}

/// A date inside the window: window month index and day of month. Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct WindowDate {
    pub(super) m: u32,
    pub(super) day: u32,
}

pub(super) fn digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}
