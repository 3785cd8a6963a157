//! The `--usage` figure: usage (metered) revenue per month, kept apart from MRR.
//!
//! A usage charge counts whole in one month, the month of its last day of service (the
//! reader places it: docs/metrics.md, "Usage"). Each month's charges are converted at the
//! rate in force on the month's last day, as MRR is, and summed exactly. Nothing here touches
//! the lines, the movements or the bridge.

use crate::dataset::Dataset;
use crate::fx::MissingRate;
use crate::money::Money;
use crate::report::{Granularity, PeriodRow, Usage, UsageMonth, UsagePeriod, Window};
use crate::CoreError;

/// The usage figure of `window`, with sums over the complete quarters and years among
/// `periods` (the report's). Errors: a charge in another currency without a rate in force at
/// its month's end (`MissingRates`, each currency and month once), or amounts and rates too precise for exact arithmetic.
pub fn usage(ds: &Dataset, window: Window, periods: &[PeriodRow]) -> Result<Usage, CoreError> {
    if !ds.usage_known {
        return Ok(Usage {
            known: false,
            months: Vec::new(),
            periods: Vec::new(),
            total: None,
            charges: 0,
            outside_window: 0,
            notes: ds.usage_notes.clone(),
            exact: Default::default(),
        });
    }
    let (from, to) = (window.start_month, window.end_month);
    let n = usize::try_from(to.index() - from.index() + 1).unwrap_or(0);
    // One unit: 10^-a of the reporting currency, over the rates' scale.
    let a = ds
        .usage
        .iter()
        .map(|u| u.amount.decimals)
        .max()
        .unwrap_or(0);
    let rate_one = ds.scale.rate_one();
    let denominator = 10i128
        .checked_pow(a)
        .and_then(|p| p.checked_mul(rate_one))
        .ok_or(CoreError::PrecisionOverflow)?;
    let Monthly {
        units,
        counts,
        outside,
    } = monthly(ds, window, a)?;
    let money = |u: i128| Money {
        units: u,
        denominator,
    };
    let months: Vec<UsageMonth> = (0..n)
        .map(|i| UsageMonth {
            month: from.plus(i as i32),
            amount: money(units[i]),
            charges: counts[i],
        })
        .collect();
    let sum = |s: usize, e: usize| -> Result<i128, CoreError> {
        units[s..=e]
            .iter()
            .try_fold(0i128, |acc, v| acc.checked_add(*v))
            .ok_or(CoreError::PrecisionOverflow)
    };
    let mut sums = Vec::new();
    for p in periods {
        if p.granularity == Granularity::Month || p.start_month < from || p.end_month > to {
            continue;
        }
        let s = (p.start_month.index() - from.index()) as usize;
        let e = (p.end_month.index() - from.index()) as usize;
        sums.push(UsagePeriod {
            period: p.period.clone(),
            amount: money(sum(s, e)?),
            exact: Default::default(),
        });
    }
    let total = if n == 0 { 0 } else { sum(0, n - 1)? };
    Ok(Usage {
        known: true,
        months,
        periods: sums,
        total: Some(money(total)),
        charges: counts.iter().sum(),
        outside_window: outside,
        notes: ds.usage_notes.clone(),
        exact: Default::default(),
    })
}

/// Usage per reported month in units of 10^-`decimals` over the rates' scale.
struct Monthly {
    units: Vec<i128>,
    /// Charges per month.
    counts: Vec<u64>,
    /// Charges outside the window.
    outside: u64,
}

/// Sums the dataset's usage charges by month of `window`, each converted at its month's
/// last-day rate; every rate that is not in force is named in one error.
fn monthly(ds: &Dataset, window: Window, decimals: u32) -> Result<Monthly, CoreError> {
    let (from, to) = (window.start_month, window.end_month);
    let n = usize::try_from(to.index() - from.index() + 1).unwrap_or(0);
    let rate_one = ds.scale.rate_one();
    let mut units = vec![0i128; n];
    let mut counts = vec![0u64; n];
    let mut outside = 0u64;
    let mut missing = Vec::new();
    for u in &ds.usage {
        if u.month < from || u.month > to {
            outside += 1;
            continue;
        }
        let rate = if u.currency == ds.reporting {
            rate_one
        } else {
            match ds.fx.rate_on(u.currency, u.month.last_day()) {
                Some(r) => i128::from(r),
                None => {
                    missing.push(MissingRate {
                        currency: ds.currencies[usize::from(u.currency)].clone(),
                        month: u.month,
                        first: ds.fx.first_date(u.currency),
                    });
                    continue;
                }
            }
        };
        let v = 10i128
            .checked_pow(decimals - u.amount.decimals)
            .and_then(|p| p.checked_mul(i128::from(u.amount.mantissa)))
            .and_then(|v| v.checked_mul(rate))
            .ok_or(CoreError::PrecisionOverflow)?;
        let i = (u.month.index() - from.index()) as usize;
        units[i] = units[i]
            .checked_add(v)
            .ok_or(CoreError::PrecisionOverflow)?;
        counts[i] += 1;
    }
    if !missing.is_empty() {
        missing.sort_by(|a, b| (&a.currency, a.month).cmp(&(&b.currency, b.month)));
        missing.dedup();
        return Err(CoreError::MissingRates {
            file: ds.fx.file.clone(),
            reporting: ds.currency().to_string(),
            missing,
        });
    }
    Ok(Monthly {
        units,
        counts,
        outside,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{DatasetBuilder, LineInput, Origin, SourceKind, UsageInput};
    use crate::date::{Date, Month};
    use crate::money::Decimal;

    fn dataset(usage: &[(&str, &str, &str)], fx: &[(&str, &str)]) -> Dataset {
        let mut b = DatasetBuilder::new(SourceKind::Items);
        let origin = Origin { file: 0, line: 2 };
        b.push_line(LineInput {
            customer: "a",
            currency: "USD",
            amount: Decimal::parse("100", 6).unwrap(),
            interval: 1,
            start: Date::parse("2024-01-01").unwrap(),
            end: None,
            origin,
        });
        for (ccy, month, amount) in usage {
            b.push_usage(UsageInput {
                customer: "a",
                currency: ccy,
                month: Month::parse(month).unwrap(),
                amount: Decimal::parse(amount, 6).unwrap(),
                origin,
                column: "currency",
            });
        }
        for (date, rate) in fx {
            b.push_fx(
                "EUR",
                Date::parse(date).unwrap(),
                Decimal::parse(rate, 10).unwrap(),
            );
        }
        let reporting = b.reporting(Some("USD")).unwrap();
        b.finish(&reporting).unwrap()
    }

    fn window(from: &str, to: &str) -> Window {
        Window {
            start_month: Month::parse(from).unwrap(),
            end_month: Month::parse(to).unwrap(),
        }
    }

    #[test]
    fn sums_exactly_at_month_end_rates() {
        let ds = dataset(
            &[
                ("USD", "2024-01", "1.005"),
                ("", "2024-01", "-0.005"),
                ("EUR", "2024-02", "10"),
                ("USD", "2024-05", "7"),
            ],
            &[("2024-01-01", "1.1"), ("2024-02-29", "1.25")],
        );
        let u = usage(&ds, window("2024-01", "2024-03"), &[]).unwrap();
        let got: Vec<String> = u.months.iter().map(|m| m.amount.to_string()).collect();
        assert_eq!(got, ["1.00", "12.50", "0.00"]);
        assert_eq!(u.total.unwrap().to_string(), "13.50");
        assert_eq!((u.charges, u.outside_window), (3, 1));
    }

    #[test]
    fn rates_missing_at_month_ends_are_one_error_per_currency_and_month() {
        let ds = dataset(
            &[
                ("EUR", "2024-01", "10"),
                ("EUR", "2024-01", "20"),
                ("EUR", "2024-02", "10"),
                ("EUR", "2024-03", "10"),
            ],
            &[("2024-03-01", "1.1")],
        );
        let Err(CoreError::MissingRates { missing, .. }) =
            usage(&ds, window("2024-01", "2024-03"), &[])
        else {
            panic!("expected missing rates");
        };
        let got: Vec<String> = missing
            .iter()
            .map(|m| format!("{} {}", m.currency, m.month))
            .collect();
        assert_eq!(got, ["EUR 2024-01", "EUR 2024-02"]);
    }
}
