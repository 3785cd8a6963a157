//! Billing periods of a price (boundaries anchored on a day of the month) and the MRR of a
//! price per interval, exactly.

use super::subscription::Interval;
use crate::sources::invoices::{per_interval, Length};
use nrr_core::date::{days_in_month, Date};
use nrr_core::money::Decimal;

// ---------------------------------------------------------------------------------------------
// Billing periods and prices

/// The most billing periods read for one subscription item (a daily price for 273 years, a
/// weekly one for 1,917); a subscription needing more is rejected (docs/input.md#limits).
pub(super) const MAX_PERIODS: u32 = 100_000;

/// `d` plus `n` months, on day `anchor_day` (else `d`'s day) clamped at month end, and
/// within years 1 to 9999 (timestamps are at most [`MAX_TS`], so only an absurd coupon
/// duration reaches that clamp).
pub(super) fn add_months(d: Date, n: i32, anchor_day: Option<u32>) -> Date {
    let (y, m, day) = d.ymd();
    let idx = (i64::from(y) * 12 + i64::from(m) - 1 + i64::from(n)).clamp(12, 9999 * 12 + 11);
    let (ny, nm) = ((idx / 12) as i32, (idx % 12) as u32 + 1);
    let want = anchor_day.unwrap_or(day);
    // Years 1 to 9999 and a day clamped to the month's length always exist.
    Date::from_ymd(ny, nm, want.clamp(1, days_in_month(ny, nm))).unwrap_or(Date::MAX)
}

/// Billing period boundaries of a price: `boundary(k)` for any integer `k`.
pub(super) struct Cycle {
    pub(super) anchor: Date,
    pub(super) day: u32,
    pub(super) interval: Interval,
    pub(super) count: u32,
}

impl Cycle {
    pub(super) fn boundary(&self, k: i64) -> Date {
        let c = i64::from(self.count);
        match self.interval {
            Interval::Month => add_months(self.anchor, (k * c) as i32, Some(self.day)),
            Interval::Year => add_months(self.anchor, (k * c * 12) as i32, Some(self.day)),
            Interval::Week => self.anchor.add_days((k * c * 7) as i32),
            Interval::Day => self.anchor.add_days((k * c) as i32),
        }
    }

    /// The largest `k` with `boundary(k) <= d`.
    pub(super) fn index_at(&self, d: Date) -> i64 {
        let days = f64::from(d.days() - self.anchor.days());
        let len = f64::from(self.count)
            * match self.interval {
                Interval::Day => 1.0,
                Interval::Week => 7.0,
                Interval::Month => 30.436_875,
                Interval::Year => 365.2425,
            };
        let mut k = (days / len).floor() as i64;
        while self.boundary(k) > d {
            k -= 1;
        }
        while self.boundary(k + 1) <= d {
            k += 1;
        }
        k
    }
}

/// `(amount', interval months)` with `amount' / interval` the MRR of `amount` per price
/// interval: months and years exactly, a week as 12/52 of a month, a day as 12/365.
pub(super) fn rate(amount: Decimal, interval: Interval, count: u32) -> Option<(Decimal, u32)> {
    let len = match interval {
        Interval::Month => Length::Months(count),
        Interval::Year => Length::Months(count.checked_mul(12)?),
        Interval::Week => Length::Weeks(count),
        Interval::Day => Length::Days(count),
    };
    per_interval(amount, len)
}

/// `amount x (100 - percent) / 100`, trailing zeros beyond 2 places dropped.
pub(super) fn percent_of(amount: Decimal, percent: Decimal) -> Option<Decimal> {
    let hundred = 100i64.checked_mul(10i64.checked_pow(percent.decimals)?)?;
    let mut d = Decimal {
        mantissa: amount.mantissa.checked_mul(hundred - percent.mantissa)?,
        decimals: amount.decimals + percent.decimals + 2,
    };
    while d.decimals > 2 && d.mantissa % 10 == 0 {
        d.mantissa /= 10;
        d.decimals -= 1;
    }
    (d.decimals <= 6).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::decimal::dec_str;

    #[test]
    fn prices_convert_to_exact_rates() {
        let a = Decimal::parse("70.00", 6).unwrap();
        assert_eq!(rate(a, Interval::Month, 3), Some((a, 3)));
        assert_eq!(rate(a, Interval::Year, 1), Some((a, 12)));
        assert_eq!(
            rate(a, Interval::Week, 2),
            Some((Decimal::parse("910.00", 6).unwrap(), 6))
        );
        // 10 days: x 365 / 120 = x 73 / 24.
        assert_eq!(
            rate(a, Interval::Day, 10),
            Some((Decimal::parse("5110.00", 6).unwrap(), 24))
        );
    }

    #[test]
    fn monthly_cycles_keep_the_anchor_day() {
        let c = Cycle {
            anchor: Date::parse("2024-01-31").unwrap(),
            day: 31,
            interval: Interval::Month,
            count: 1,
        };
        assert_eq!(c.boundary(1).to_string(), "2024-02-29");
        assert_eq!(c.boundary(2).to_string(), "2024-03-31");
        assert_eq!(c.boundary(-2).to_string(), "2023-11-30");
        assert_eq!(c.index_at(Date::parse("2024-03-30").unwrap()), 1);
        assert_eq!(c.index_at(Date::parse("2024-03-31").unwrap()), 2);
    }

    #[test]
    fn percent_discounts_are_exact() {
        let a = Decimal::parse("100.00", 6).unwrap();
        let p = Decimal::parse("12.5", 4).unwrap();
        assert_eq!(dec_str(percent_of(a, p).unwrap()), "87.50");
    }
}
