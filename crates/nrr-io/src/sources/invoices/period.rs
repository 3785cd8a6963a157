//! Service-period arithmetic: the length of a period in months, weeks or days, and the MRR of
//! an amount charged for it, exactly.

use crate::sources::decimal::dmul;
use nrr_core::date::{days_in_month, Date};
use nrr_core::money::{gcd, Decimal};

/// The length of a service period, as the MRR rule sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Length {
    /// Whole calendar months.
    Months(u32),
    /// Whole weeks (and not whole months).
    Weeks(u32),
    /// Any other number of days.
    Days(u32),
}

/// Whole calendar months from `s` to `e`: `e` falls on the same day of the month as `s`, with
/// both clamped at month end (a period anchored on the 31st runs Jan 31 - Feb 29 - Mar 31).
fn whole_months(s: Date, e: Date) -> Option<u32> {
    let (sy, sm, sd) = s.ymd();
    let (ey, em, ed) = e.ymd();
    let n = (ey * 12 + em as i32) - (sy * 12 + sm as i32);
    if n < 1 {
        return None;
    }
    let s_end = sd == days_in_month(sy, sm);
    let e_end = ed == days_in_month(ey, em);
    // Some anchor day a in 1..=31 gives sd = min(a, days(s)) and ed = min(a, days(e)).
    let ok = if s_end {
        e_end || ed >= sd
    } else {
        ed == sd.min(days_in_month(ey, em))
    };
    ok.then_some(n as u32)
}

pub(super) fn length(s: Date, e: Date) -> Length {
    if let Some(n) = whole_months(s, e) {
        return Length::Months(n);
    }
    let d = (e.days() - s.days()) as u32;
    if d.is_multiple_of(7) {
        Length::Weeks(d / 7)
    } else {
        Length::Days(d)
    }
}

/// `(amount', interval months)` such that `amount' / interval = MRR` of `net` charged for a
/// period of this length. `None` on overflow.
/// The MRR of `net` for the service period `[s, e)`, as `(amount, interval months)`.
pub(crate) fn rate_of_period(net: Decimal, s: Date, e: Date) -> Option<(Decimal, u32)> {
    per_interval(net, length(s, e))
}

pub(crate) fn per_interval(net: Decimal, len: Length) -> Option<(Decimal, u32)> {
    match len {
        Length::Months(n) => Some((net, n)),
        // 52 weeks = 12 months: net x 52 / (12 w) = net x 13 / (3 w).
        Length::Weeks(w) => Some((dmul(net, 13)?, w.checked_mul(3)?)),
        // 365 days = 12 months: net x 365 / (12 d).
        Length::Days(d) => {
            let den = u64::from(d) * 12;
            let g = gcd(365, den);
            Some((dmul(net, (365 / g) as i64)?, u32::try_from(den / g).ok()?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn whole_months_follow_the_anchor_day_clamped_at_month_end() {
        assert_eq!(length(d("2024-01-01"), d("2024-02-01")), Length::Months(1));
        assert_eq!(length(d("2024-01-15"), d("2024-04-15")), Length::Months(3));
        assert_eq!(length(d("2024-01-01"), d("2025-01-01")), Length::Months(12));
        assert_eq!(length(d("2024-01-31"), d("2024-02-29")), Length::Months(1));
        assert_eq!(length(d("2024-02-29"), d("2024-03-31")), Length::Months(1));
        assert_eq!(length(d("2024-02-29"), d("2024-03-30")), Length::Months(1));
        assert_eq!(length(d("2024-02-29"), d("2025-02-28")), Length::Months(12));
        assert_eq!(length(d("2024-01-30"), d("2024-02-29")), Length::Months(1));
        assert_eq!(length(d("2024-01-15"), d("2024-02-14")), Length::Days(30));
        assert_eq!(length(d("2024-01-01"), d("2024-01-15")), Length::Weeks(2));
        assert_eq!(length(d("2024-01-01"), d("2024-01-11")), Length::Days(10));
    }

    #[test]
    fn weekly_and_daily_periods_are_exact_fractions() {
        let net = Decimal::parse("70.00", 6).unwrap();
        // 70 x 52 / 12 = 70 x 13 / 3.
        assert_eq!(
            per_interval(net, Length::Weeks(1)),
            Some((Decimal::parse("910.00", 6).unwrap(), 3))
        );
        // 10 days: x 365 / 120 = x 73 / 24.
        assert_eq!(
            per_interval(net, Length::Days(10)),
            Some((Decimal::parse("5110.00", 6).unwrap(), 24))
        );
    }
}
