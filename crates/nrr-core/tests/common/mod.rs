//! Shared helpers for the nrr-core integration tests: build small datasets inline and read
//! exact figures back out of a report.
#![allow(dead_code)]

use nrr_core::dataset::{Dataset, DatasetBuilder, LineInput, Origin, SourceKind};
use nrr_core::date::{Date, Month};
use nrr_core::engine::{compute, Options};
use nrr_core::money::{Decimal, Money};
use nrr_core::report::{Bridge, MonthRow, PeriodRow, Report, Retention, TtmRow};
use nrr_core::CoreError;

/// `(customer, currency, amount, interval_months, start "YYYY-MM-DD", end)`.
pub(crate) type Line<'a> = (&'a str, &'a str, &'a str, u32, &'a str, Option<&'a str>);

/// `(currency, date, rate)`.
pub(crate) type Fx<'a> = (&'a str, &'a str, &'a str);

pub(crate) fn date(s: &str) -> Date {
    Date::parse(s).unwrap_or_else(|| panic!("bad date {s}"))
}

pub(crate) fn month(s: &str) -> Month {
    Month::parse(s).unwrap_or_else(|| panic!("bad month {s}"))
}

pub(crate) fn dec(s: &str) -> Decimal {
    Decimal::parse(s, 10).unwrap_or_else(|| panic!("bad decimal {s}"))
}

/// Builds a dataset from inline lines and FX rows; `reporting` is the `--currency` flag.
pub(crate) fn try_build(
    lines: &[Line<'_>],
    fx: &[Fx<'_>],
    reporting: Option<&str>,
) -> Result<Dataset, CoreError> {
    let mut b = DatasetBuilder::new(SourceKind::Items);
    let f = b.add_file("items.csv");
    for (i, &(customer, currency, amount, interval, start, end)) in lines.iter().enumerate() {
        b.push_line(LineInput {
            customer,
            currency,
            amount: dec(amount),
            interval,
            start: date(start),
            end: end.map(date),
            origin: Origin {
                file: f,
                line: i as u64 + 2,
            },
        });
    }
    for &(currency, d, rate) in fx {
        b.push_fx(currency, date(d), dec(rate));
    }
    let reporting = b.reporting(reporting)?;
    b.finish(&reporting)
}

pub(crate) fn build(lines: &[Line<'_>], fx: &[Fx<'_>], reporting: Option<&str>) -> Dataset {
    try_build(lines, fx, reporting).expect("dataset builds")
}

/// Computes the report over `from..=to`.
pub(crate) fn report_for(ds: &Dataset, from: &str, to: &str) -> Report {
    compute(ds, &window(from, to)).expect("report computes")
}

pub(crate) fn window(from: &str, to: &str) -> Options {
    Options {
        from: Some(month(from)),
        to: Some(month(to)),
        ..Options::default()
    }
}

/// Single-currency lines, default window.
pub(crate) fn usd(lines: &[Line<'_>], from: &str, to: &str) -> Report {
    report_for(&build(lines, &[], None), from, to)
}

/// `true` when `m` is exactly the decimal `s` (no rounding involved).
pub(crate) fn is_exactly(m: Money, s: &str) -> bool {
    let d = Decimal::parse(s, 18).unwrap_or_else(|| panic!("bad decimal {s}"));
    m.units * 10i128.pow(d.decimals) == i128::from(d.mantissa) * m.denominator
}

#[track_caller]
pub(crate) fn assert_exact(m: Money, s: &str) {
    assert!(
        is_exactly(m, s),
        "expected exactly {s}, got {} ({} / {})",
        m,
        m.units,
        m.denominator
    );
}

pub(crate) fn month_row<'r>(r: &'r Report, m: &str) -> &'r MonthRow {
    r.months
        .iter()
        .find(|row| row.month.to_string() == m)
        .unwrap_or_else(|| panic!("no month {m} in the report"))
}

pub(crate) fn period<'r>(r: &'r Report, name: &str) -> &'r PeriodRow {
    r.periods
        .iter()
        .find(|p| p.period == name)
        .unwrap_or_else(|| panic!("no period {name} in the report"))
}

pub(crate) fn ttm<'r>(r: &'r Report, m: &str) -> Option<&'r TtmRow> {
    r.ttm.iter().find(|t| t.month.to_string() == m)
}

/// Every money figure of a month row, in a fixed order.
pub(crate) fn month_money(m: &MonthRow) -> [Money; 8] {
    [
        m.opening_mrr,
        m.new,
        m.reactivation,
        m.expansion,
        m.contraction,
        m.churn,
        m.fx,
        m.closing_mrr,
    ]
}

/// Every count of a month row.
pub(crate) fn month_counts(m: &MonthRow) -> [u64; 4] {
    [
        m.customers,
        m.new_customers,
        m.reactivated_customers,
        m.churned_customers,
    ]
}

/// Every money figure of a retention block.
pub(crate) fn retention_money(r: &Retention) -> [Money; 6] {
    [
        r.starting_mrr,
        r.expansion,
        r.contraction,
        r.churn,
        r.ending_cohort_mrr,
        r.fx_impact,
    ]
}

pub(crate) fn retention_counts(r: &Retention) -> [u64; 2] {
    [r.cohort_customers, r.churned_customers]
}

pub(crate) fn bridge_money(b: &Bridge) -> [Money; 8] {
    [
        b.opening,
        b.new,
        b.reactivation,
        b.expansion,
        b.contraction,
        b.churn,
        b.fx,
        b.closing,
    ]
}

/// opening + new + reactivation + expansion - contraction - churn + fx - closing, in units.
pub(crate) fn month_bridge_gap(m: &MonthRow) -> i128 {
    m.opening_mrr.units + m.new.units + m.reactivation.units + m.expansion.units
        - m.contraction.units
        - m.churn.units
        + m.fx.units
        - m.closing_mrr.units
}

pub(crate) fn bridge_gap(b: &Bridge) -> i128 {
    b.opening.units + b.new.units + b.reactivation.units + b.expansion.units
        - b.contraction.units
        - b.churn.units
        + b.fx.units
        - b.closing.units
}

/// starting + expansion - contraction - churn - ending, in units.
pub(crate) fn cohort_gap(r: &Retention) -> i128 {
    r.starting_mrr.units + r.expansion.units
        - r.contraction.units
        - r.churn.units
        - r.ending_cohort_mrr.units
}
