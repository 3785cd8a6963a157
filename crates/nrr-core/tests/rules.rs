//! One small test per definition rule of issue 2 / docs/metrics.md, each on 1-3 customers
//! built inline. Money is compared exactly (`assert_exact`), never through rounded strings,
//! unless the test is about display.

mod common;

use common::*;
use nrr_core::engine::{classify, compute, Movement, Options, SegmentSpec};
use nrr_core::fx::{MissingRate, Quoted};
use nrr_core::report::Granularity;
use nrr_core::CoreError;

// ---------------------------------------------------------------------------------------------
// Line MRR

#[test]
fn line_mrr_is_amount_over_interval_kept_exact() {
    let r = usd(
        &[
            ("a", "USD", "1000", 12, "2024-01-01", None),
            ("a", "USD", "1000", 12, "2024-01-01", None),
            ("a", "USD", "1000", 12, "2024-01-01", None),
        ],
        "2024-01",
        "2024-01",
    );
    // 1000/12 three times is 250 exactly, not 3 x 83.33 = 249.99.
    assert_exact(month_row(&r, "2024-01").closing_mrr, "250");
    assert_exact(month_row(&r, "2024-01").new, "250");
}

#[test]
fn one_annual_line_is_a_twelfth_without_per_line_rounding() {
    let r = usd(
        &[("a", "USD", "1000.00", 12, "2024-01-01", None)],
        "2024-01",
        "2024-01",
    );
    let m = month_row(&r, "2024-01").closing_mrr;
    assert_eq!(m.units * 12, 1000 * m.denominator, "exactly 1000/12");
    assert_eq!(m.to_string(), "83.33");
}

#[test]
fn line_mrr_mixes_intervals_exactly_and_rounds_half_even_only_for_display() {
    let r = usd(
        &[
            ("a", "USD", "49.99", 1, "2024-01-01", None),
            ("a", "USD", "120.06", 12, "2024-01-01", None), // 10.005
            ("b", "USD", "300", 3, "2024-01-01", None),     // 100
            ("b", "USD", "4800", 24, "2024-01-01", None),   // 200
        ],
        "2024-01",
        "2024-01",
    );
    let m = month_row(&r, "2024-01").closing_mrr;
    assert_exact(m, "359.995");
    // 359.995 -> ties to the even cent.
    assert_eq!(m.to_string(), "360.00");
}

// ---------------------------------------------------------------------------------------------
// The month-end snapshot: start_date <= last_day(M) < end_date

#[test]
fn line_ending_on_the_last_day_of_a_month_is_not_in_that_month() {
    let r = usd(
        &[("a", "USD", "100", 1, "2024-01-01", Some("2024-03-31"))],
        "2024-01",
        "2024-04",
    );
    assert_exact(month_row(&r, "2024-02").closing_mrr, "100");
    assert_exact(month_row(&r, "2024-03").closing_mrr, "0");
    assert_exact(month_row(&r, "2024-03").churn, "100");
}

#[test]
fn line_ending_on_the_first_of_the_next_month_keeps_the_month() {
    let r = usd(
        &[("a", "USD", "100", 1, "2024-01-01", Some("2024-04-01"))],
        "2024-01",
        "2024-04",
    );
    assert_exact(month_row(&r, "2024-03").closing_mrr, "100");
    assert_exact(month_row(&r, "2024-03").churn, "0");
    assert_exact(month_row(&r, "2024-04").closing_mrr, "0");
    assert_exact(month_row(&r, "2024-04").churn, "100");
}

#[test]
fn line_starting_on_the_last_day_of_a_month_is_in_that_month() {
    let r = usd(
        &[("a", "USD", "100", 1, "2024-01-31", Some("2024-02-01"))],
        "2024-01",
        "2024-02",
    );
    let jan = month_row(&r, "2024-01");
    assert_exact(jan.closing_mrr, "100");
    assert_exact(jan.new, "100");
    assert_eq!(jan.customers, 1);
    assert_exact(month_row(&r, "2024-02").churn, "100");
}

#[test]
fn line_starting_and_ending_inside_one_month_is_invisible() {
    let r = usd(
        &[
            ("a", "USD", "100", 1, "2024-01-10", Some("2024-01-25")),
            ("b", "USD", "100", 1, "2024-02-01", Some("2024-02-29")), // last day: gone at it
        ],
        "2024-01",
        "2024-03",
    );
    for m in &r.months {
        assert!(month_money(m).iter().all(|x| x.is_zero()), "{}", m.month);
        assert_eq!(month_counts(m), [0; 4], "{}", m.month);
    }
}

// ---------------------------------------------------------------------------------------------
// New and reactivation

#[test]
fn new_only_in_the_first_ever_month_and_a_return_is_reactivation() {
    let r = usd(
        &[
            ("a", "USD", "100", 1, "2024-01-01", Some("2024-03-01")),
            ("a", "USD", "70", 1, "2024-05-01", None),
        ],
        "2024-01",
        "2024-05",
    );
    let jan = month_row(&r, "2024-01");
    assert_exact(jan.new, "100");
    assert_eq!(jan.new_customers, 1);
    let may = month_row(&r, "2024-05");
    assert_exact(may.new, "0");
    assert_exact(may.reactivation, "70");
    assert_eq!((may.new_customers, may.reactivated_customers), (0, 1));
}

#[test]
fn first_month_before_the_window_makes_a_return_inside_it_a_reactivation() {
    let r = usd(
        &[
            ("a", "USD", "100", 1, "2023-06-01", Some("2023-09-01")),
            ("a", "USD", "700", 1, "2024-02-01", None),
        ],
        "2024-01",
        "2024-03",
    );
    let feb = month_row(&r, "2024-02");
    assert_exact(feb.new, "0");
    assert_exact(feb.reactivation, "700");
    assert!(r.months.iter().all(|m| m.new.is_zero()));
}

#[test]
fn reactivation_follows_any_gap_however_short_or_long() {
    let r = usd(
        &[
            // One month at 0 (February), back in March.
            ("short", "USD", "100", 1, "2024-01-01", Some("2024-02-01")),
            ("short", "USD", "100", 1, "2024-03-01", None),
            // Two years at 0.
            ("long", "USD", "50", 1, "2021-01-01", Some("2022-03-01")),
            ("long", "USD", "60", 1, "2024-03-15", None),
        ],
        "2024-01",
        "2024-03",
    );
    assert_exact(month_row(&r, "2024-02").churn, "100");
    let mar = month_row(&r, "2024-03");
    assert_exact(mar.reactivation, "160");
    assert_eq!(mar.reactivated_customers, 2);
    assert_exact(mar.new, "0");
}

// ---------------------------------------------------------------------------------------------
// Expansion, contraction, churn

#[test]
fn expansion_contraction_and_churn_amounts() {
    let r = usd(
        &[
            ("up", "USD", "100", 1, "2024-01-01", Some("2024-02-01")),
            ("up", "USD", "130", 1, "2024-02-01", None),
            ("down", "USD", "100", 1, "2024-01-01", Some("2024-02-10")),
            ("down", "USD", "60", 1, "2024-02-10", None),
            ("gone", "USD", "80", 1, "2024-01-01", Some("2024-02-01")),
        ],
        "2024-01",
        "2024-02",
    );
    let feb = month_row(&r, "2024-02");
    assert_exact(feb.expansion, "30");
    assert_exact(feb.contraction, "40");
    assert_exact(feb.churn, "80");
    assert_eq!(feb.churned_customers, 1);
    assert_eq!(feb.customers, 2);
    assert_exact(feb.opening_mrr, "280");
    assert_exact(feb.closing_mrr, "190");
}

#[test]
fn dropping_one_of_two_lines_is_contraction_not_churn() {
    let r = usd(
        &[
            ("a", "USD", "50", 1, "2024-01-01", None),
            ("a", "USD", "70", 1, "2024-01-01", Some("2024-02-01")),
        ],
        "2024-01",
        "2024-02",
    );
    let feb = month_row(&r, "2024-02");
    assert_exact(feb.contraction, "70");
    assert_exact(feb.churn, "0");
    assert_eq!(feb.churned_customers, 0);
}

#[test]
fn churn_counts_the_full_prior_mrr_of_every_line() {
    let r = usd(
        &[
            ("a", "USD", "100", 1, "2024-01-01", Some("2024-03-01")),
            ("a", "USD", "600", 12, "2024-02-01", Some("2024-03-01")), // 50
        ],
        "2024-01",
        "2024-03",
    );
    assert_exact(month_row(&r, "2024-02").expansion, "50");
    let mar = month_row(&r, "2024-03");
    assert_exact(mar.churn, "150");
    assert_exact(mar.contraction, "0");
    assert_eq!(mar.churned_customers, 1);
}

#[test]
fn classify_puts_at_most_one_category_and_fx_beside_it() {
    assert_eq!(classify(100, 90, 100, false), (None, -10));
    assert_eq!(classify(100, 100, 100, true), (None, 0));
    assert_eq!(
        classify(100, 60, 50, false),
        (Some((Movement::Contraction, 50)), 10)
    );
    assert_eq!(classify(0, 0, 0, true), (None, 0));
}

// ---------------------------------------------------------------------------------------------
// FX

const EUR_RATES: &[Fx<'static>] = &[
    ("EUR", "2023-12-01", "1.10"),
    ("EUR", "2024-02-10", "1.20"),
    ("EUR", "2024-03-05", "1.05"),
];

#[test]
fn fx_movement_is_cur_minus_cc_and_never_expansion_or_contraction() {
    let ds = build(
        &[("berlin", "EUR", "1000", 1, "2024-01-01", None)],
        EUR_RATES,
        Some("USD"),
    );
    let r = report_for(&ds, "2024-01", "2024-03");
    assert_eq!(r.currency, "USD");
    assert_exact(month_row(&r, "2024-01").new, "1100");
    let feb = month_row(&r, "2024-02");
    assert_exact(feb.fx, "100");
    assert_exact(feb.expansion, "0");
    assert_exact(feb.contraction, "0");
    let mar = month_row(&r, "2024-03");
    assert_exact(mar.fx, "-150");
    assert_exact(mar.expansion, "0");
    assert_exact(mar.contraction, "0");
    assert_exact(mar.closing_mrr, "1050");
    // A one-month period in constant currency: NRR 1, the swing is fx_impact.
    let p = period(&r, "2024-03");
    assert_eq!(p.retention.nrr, Some(1.0));
    assert_exact(p.retention.expansion, "0");
    assert_exact(p.retention.contraction, "0");
    assert_exact(p.retention.fx_impact, "-150");
}

#[test]
fn expansion_is_measured_in_constant_currency_when_amount_and_rate_change_together() {
    let ds = build(
        &[
            (
                "eurocorp",
                "EUR",
                "200",
                1,
                "2024-01-01",
                Some("2024-02-01"),
            ),
            ("eurocorp", "EUR", "300", 1, "2024-02-01", None),
        ],
        &[("EUR", "2024-01-01", "1.10"), ("EUR", "2024-02-15", "1.20")],
        Some("USD"),
    );
    let r = report_for(&ds, "2024-02", "2024-02");
    let feb = month_row(&r, "2024-02");
    assert_exact(feb.opening_mrr, "220");
    assert_exact(feb.expansion, "110"); // 100 EUR at January's 1.10
    assert_exact(feb.fx, "30"); // 300 EUR x (1.20 - 1.10)
    assert_exact(feb.closing_mrr, "360");
}

#[test]
fn monthly_churn_is_the_prior_month_value_and_cohort_churn_is_at_t0_rates() {
    let ds = build(
        &[("berlin", "EUR", "400", 1, "2023-12-01", Some("2024-03-01"))],
        &[("EUR", "2023-12-01", "1.10"), ("EUR", "2024-02-15", "1.20")],
        Some("USD"),
    );
    let r = report_for(&ds, "2024-01", "2024-03");
    assert_exact(month_row(&r, "2024-03").churn, "480");
    let q = period(&r, "2024-Q1");
    assert_exact(q.retention.churn, "440");
    assert_exact(q.bridge.churn, "480");
    assert_exact(q.bridge.fx, "40");
}

#[test]
fn fx_rate_in_force_is_the_latest_row_on_or_before_the_last_day_and_the_last_row_wins_ties() {
    let fx = [
        ("EUR", "2023-11-01", "1.10"),
        ("EUR", "2024-02-15", "1.20"),
        ("EUR", "2024-03-31", "1.25"),
        ("EUR", "2024-03-31", "1.15"),
        ("EUR", "2024-04-01", "1.50"),
    ];
    let ds = build(
        &[("a", "EUR", "1000", 1, "2024-01-01", None)],
        &fx,
        Some("USD"),
    );
    let r = report_for(&ds, "2024-01", "2024-03");
    assert_exact(month_row(&r, "2024-01").closing_mrr, "1100");
    assert_exact(month_row(&r, "2024-02").closing_mrr, "1200");
    assert_exact(month_row(&r, "2024-03").closing_mrr, "1150");
    assert_exact(month_row(&r, "2024-03").fx, "-50");

    let eur = ds.currencies.iter().position(|c| c == "EUR").unwrap() as u16;
    let on = |d: &str| ds.fx.rate_on(eur, date(d));
    // Rate units are rate x 10^r with r = 2 here.
    assert_eq!(on("2023-10-31"), None);
    assert_eq!(on("2023-11-01"), Some(110));
    assert_eq!(on("2024-02-14"), Some(110));
    assert_eq!(on("2024-02-29"), Some(120));
    assert_eq!(on("2024-03-31"), Some(115));
    assert_eq!(on("2024-04-01"), Some(150));
}

#[test]
fn a_missing_rate_at_a_needed_date_is_an_error_naming_currency_and_month() {
    // The line is active at the end of 2023-12 (the window's opening), but EUR has no row on
    // or before 2023-12-31.
    let ds = build(
        &[("a", "EUR", "1000", 1, "2023-12-01", None)],
        &[("EUR", "2024-01-15", "1.10")],
        Some("USD"),
    );
    let err = compute(&ds, &window("2024-01", "2024-02")).unwrap_err();
    assert_eq!(
        err,
        CoreError::MissingRates {
            file: None,
            reporting: "USD".into(),
            missing: vec![MissingRate {
                currency: "EUR".into(),
                month: month("2023-12"),
                first: Some(date("2024-01-15")),
            }],
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains("EUR 2023-12: no rate into USD on or before 2023-12-31"),
        "message: {msg}"
    );
}

#[test]
fn missing_rates_are_reported_once_per_currency_and_month_however_many_lines_need_them() {
    // 50 EUR customers and 50 GBP customers from 2023-10; EUR rates from 2024-01-15, GBP
    // rates from 2023-12-01: EUR lacks 2023-10, -11, -12 and GBP 2023-10, -11.
    let mut lines: Vec<(String, &str)> = Vec::new();
    for i in 0..50 {
        lines.push((format!("e{i}"), "EUR"));
        lines.push((format!("g{i}"), "GBP"));
    }
    let lines: Vec<Line<'_>> = lines
        .iter()
        .map(|(c, ccy)| (c.as_str(), *ccy, "100", 1, "2023-10-01", None))
        .collect();
    let ds = build(
        &lines,
        &[("EUR", "2024-01-15", "1.10"), ("GBP", "2023-12-01", "1.27")],
        Some("USD"),
    );
    let Err(CoreError::MissingRates { missing, .. }) = compute(&ds, &window("2023-11", "2024-02"))
    else {
        panic!("expected missing rates");
    };
    let got: Vec<String> = missing
        .iter()
        .map(|m| format!("{} {}", m.currency, m.month))
        .collect();
    assert_eq!(
        got,
        [
            "EUR 2023-10",
            "EUR 2023-11",
            "EUR 2023-12",
            "GBP 2023-10",
            "GBP 2023-11"
        ]
    );
}

#[test]
fn a_currency_without_any_rate_is_one_error() {
    let err = try_build(
        &[
            ("a", "USD", "10", 1, "2024-01-01", None),
            ("b", "GBP", "10", 1, "2024-01-01", None),
            ("c", "GBP", "10", 1, "2024-01-01", None),
        ],
        &[("EUR", "2024-01-01", "1.1")],
        Some("USD"),
    )
    .unwrap_err();
    assert_eq!(
        err,
        CoreError::NoRates {
            file: None,
            currencies: vec!["GBP".into()],
            reporting: "USD".into(),
            quoted: Quoted::Reporting { listed: false },
        }
    );
}

#[test]
fn a_report_in_a_quoted_currency_converts_at_the_inverse_rate() {
    // USD-based rates (EUR 1.25 in January, 1.10 from February 15), EUR report: USD is the
    // base, at 1 / 1.25 = 0.8 and then 1 / 1.10 = 0.909090909091 (12 places).
    let ds = build(
        &[
            ("a", "USD", "1000", 1, "2023-12-01", None),
            ("b", "EUR", "500", 1, "2023-12-01", None),
        ],
        &[("EUR", "2023-12-01", "1.25"), ("EUR", "2024-02-15", "1.10")],
        Some("EUR"),
    );
    let r = report_for(&ds, "2024-01", "2024-02");
    assert_exact(month_row(&r, "2024-01").closing_mrr, "1300");
    // 500 + 1000 x 0.909090909091 = 1409.090909091.
    assert_exact(month_row(&r, "2024-02").closing_mrr, "1409.090909091");
    assert_exact(month_row(&r, "2024-02").fx, "109.090909091");
}

#[test]
fn a_cross_rate_is_the_quotient_of_two_rates_in_the_file_base() {
    // USD-based: EUR 1.08, GBP 1.35. GBP report of a EUR line and a USD line: EUR at
    // 1.08 / 1.35 = 0.8 exactly, 1000 EUR = 800 GBP; USD at 1 / 1.35 = 0.740740740740|74...,
    // kept as 0.740740740741 (12 places), so 270 USD = 200.00000000007 GBP, not 200.
    let ds = build(
        &[
            ("a", "EUR", "1000", 1, "2024-01-01", None),
            ("b", "USD", "270", 1, "2024-01-01", None),
        ],
        &[("EUR", "2023-12-01", "1.08"), ("GBP", "2023-12-01", "1.35")],
        Some("GBP"),
    );
    let r = report_for(&ds, "2024-01", "2024-01");
    assert_exact(month_row(&r, "2024-01").new, "1000.00000000007");
    assert_eq!(month_row(&r, "2024-01").new.to_string(), "1000.00");
}

/// Spec: cc = value(c, M, M-1) enters only the movements of a customer with prev > 0. A
/// customer new in M (prev = 0) needs only the rate on last_day(M). The engine converts cc for
/// every month with active lines, so an fx.csv starting in the data's first month (rows dated
/// the 1st) fails with "no rate in force on <last day of the previous month>".
#[test]
fn a_new_customer_needs_no_rate_before_its_first_month() {
    let ds = build(
        &[("a", "EUR", "1000", 1, "2024-01-10", None)],
        &[("EUR", "2024-01-01", "1.10"), ("EUR", "2024-02-01", "1.20")],
        Some("USD"),
    );
    let r = compute(&ds, &window("2024-01", "2024-02")).expect("no rate before 2024-01 is needed");
    assert_exact(month_row(&r, "2024-01").new, "1100");
    assert_exact(month_row(&r, "2024-02").fx, "100");
}

#[test]
fn several_currencies_without_a_reporting_currency_are_ambiguous() {
    let err = try_build(
        &[
            ("a", "USD", "10", 1, "2024-01-01", None),
            ("b", "EUR", "10", 1, "2024-01-01", None),
        ],
        &[("EUR", "2024-01-01", "1.1")],
        None,
    )
    .unwrap_err();
    assert_eq!(
        err,
        CoreError::AmbiguousCurrency {
            found: vec!["EUR".into(), "USD".into()]
        }
    );
}

#[test]
fn data_without_any_currency_reports_in_xxx() {
    let ds = build(&[("a", "", "10", 1, "2024-01-01", None)], &[], None);
    assert_eq!(ds.currency(), "XXX");
    let r = report_for(&ds, "2024-01", "2024-01");
    assert_eq!(r.currency, "XXX");
    assert_exact(month_row(&r, "2024-01").closing_mrr, "10");
}

#[test]
fn the_only_currency_is_the_default_and_empty_currency_means_it() {
    let ds = build(
        &[
            ("a", "GBP", "10", 1, "2024-01-01", None),
            ("b", "", "5", 1, "2024-01-01", None),
        ],
        &[],
        None,
    );
    assert_eq!(ds.currency(), "GBP");
    let r = report_for(&ds, "2024-01", "2024-01");
    assert_exact(month_row(&r, "2024-01").closing_mrr, "15");
    assert!(r.months.iter().all(|m| m.fx.is_zero()));
}

// ---------------------------------------------------------------------------------------------
// Bridges

fn mixed_dataset() -> nrr_core::dataset::Dataset {
    build(
        &[
            (
                "eurocorp",
                "EUR",
                "200",
                1,
                "2023-11-01",
                Some("2024-02-01"),
            ),
            ("eurocorp", "EUR", "300", 1, "2024-02-01", None),
            ("acme", "USD", "1200", 12, "2023-12-01", Some("2024-03-01")),
            ("acme", "USD", "90", 1, "2024-03-01", None),
            ("acme", "USD", "33.33", 1, "2024-01-20", Some("2024-02-20")),
            ("globex", "USD", "500", 3, "2023-10-01", Some("2024-01-15")),
            ("globex", "USD", "250", 1, "2024-03-31", None),
        ],
        &[
            ("EUR", "2023-10-01", "1.0712"),
            ("EUR", "2024-01-15", "1.1"),
            ("EUR", "2024-02-15", "1.2345"),
            ("EUR", "2024-03-20", "1.15"),
        ],
        Some("USD"),
    )
}

#[test]
fn the_bridge_identity_holds_exactly_every_month() {
    let r = report_for(&mixed_dataset(), "2023-12", "2024-04");
    for m in &r.months {
        assert_eq!(month_bridge_gap(m), 0, "{}", m.month);
    }
    for w in r.months.windows(2) {
        assert_eq!(w[0].closing_mrr, w[1].opening_mrr);
    }
    // Sanity: this data does move every way.
    let any = |f: fn(&nrr_core::report::MonthRow) -> bool| r.months.iter().any(f);
    assert!(any(|m| !m.fx.is_zero()));
    assert!(any(|m| !m.expansion.is_zero()));
    assert!(any(|m| !m.contraction.is_zero()));
    assert!(any(|m| !m.churn.is_zero()));
    assert!(any(|m| !m.reactivation.is_zero()));
}

#[test]
fn a_period_bridge_is_the_sum_of_its_months() {
    let r = report_for(&mixed_dataset(), "2023-12", "2024-04");
    let q = period(&r, "2024-Q1");
    let months: Vec<_> = ["2024-01", "2024-02", "2024-03"]
        .iter()
        .map(|m| month_row(&r, m))
        .collect();
    let sum = |f: fn(&nrr_core::report::MonthRow) -> i128| months.iter().map(|m| f(m)).sum();
    let b = &q.bridge;
    assert_eq!(b.opening, months[0].opening_mrr);
    assert_eq!(b.closing, months[2].closing_mrr);
    assert_eq!(b.new.units, sum(|m| m.new.units));
    assert_eq!(b.reactivation.units, sum(|m| m.reactivation.units));
    assert_eq!(b.expansion.units, sum(|m| m.expansion.units));
    assert_eq!(b.contraction.units, sum(|m| m.contraction.units));
    assert_eq!(b.churn.units, sum(|m| m.churn.units));
    assert_eq!(b.fx.units, sum(|m| m.fx.units));
    assert_eq!(bridge_gap(b), 0);
}

// ---------------------------------------------------------------------------------------------
// Period retention

#[test]
fn the_frozen_cohort_excludes_new_logos_and_customers_at_zero_at_t0() {
    let r = usd(
        &[
            ("kept", "USD", "1000", 1, "2023-11-01", None),
            ("newlogo", "USD", "500", 1, "2024-02-01", None),
            ("back", "USD", "300", 1, "2023-06-01", Some("2023-08-01")),
            ("back", "USD", "400", 1, "2024-03-01", None),
        ],
        "2023-12",
        "2024-03",
    );
    let q = period(&r, "2024-Q1");
    assert_eq!(q.retention.cohort_customers, 1);
    assert_exact(q.retention.starting_mrr, "1000");
    assert_exact(q.retention.ending_cohort_mrr, "1000");
    assert_exact(q.retention.expansion, "0");
    assert_eq!(q.retention.nrr, Some(1.0));
    assert_eq!(q.retention.grr, Some(1.0));
    // The bridge does include them.
    assert_exact(q.bridge.new, "500");
    assert_exact(q.bridge.reactivation, "400");
    assert_exact(q.bridge.closing, "1900");
}

#[test]
fn churn_then_reactivation_inside_a_quarter_is_not_period_churn() {
    let r = usd(
        &[
            ("acme", "USD", "2000", 1, "2023-12-01", Some("2024-01-01")),
            ("acme", "USD", "2400", 1, "2024-03-01", None),
            (
                "umbrella",
                "USD",
                "1000",
                1,
                "2023-12-01",
                Some("2024-01-15"),
            ),
            ("umbrella", "USD", "800", 1, "2024-03-20", None),
            ("globex", "USD", "1500", 1, "2023-12-01", Some("2024-02-01")),
        ],
        "2023-12",
        "2024-03",
    );
    assert_exact(month_row(&r, "2024-01").churn, "3000");
    let q = period(&r, "2024-Q1");
    let ret = &q.retention;
    assert_eq!((ret.cohort_customers, ret.churned_customers), (3, 1));
    assert_exact(ret.starting_mrr, "4500");
    assert_exact(ret.expansion, "400");
    assert_exact(ret.contraction, "200");
    assert_exact(ret.churn, "1500");
    assert_exact(ret.ending_cohort_mrr, "3200");
    assert_eq!(ret.logo_churn_rate, Some(0.333333));
    assert_exact(q.bridge.churn, "4500");
    assert_exact(q.bridge.reactivation, "3200");
}

#[test]
fn nrr_grr_and_logo_churn_rate_are_null_when_starting_mrr_is_zero() {
    let r = usd(
        &[("a", "USD", "100", 1, "2024-01-01", None)],
        "2024-01",
        "2024-02",
    );
    let jan = &period(&r, "2024-01").retention;
    assert!(jan.starting_mrr.is_zero());
    assert_eq!(jan.cohort_customers, 0);
    assert_eq!((jan.nrr, jan.grr, jan.logo_churn_rate), (None, None, None));
    let feb = &period(&r, "2024-02").retention;
    assert_eq!(
        (feb.nrr, feb.grr, feb.logo_churn_rate),
        (Some(1.0), Some(1.0), Some(0.0))
    );
}

#[test]
fn only_complete_quarters_and_years_are_reported() {
    let r = usd(
        &[("a", "USD", "100", 1, "2023-01-01", None)],
        "2023-02",
        "2024-12",
    );
    let names = |g: Granularity| -> Vec<&str> {
        r.periods
            .iter()
            .filter(|p| p.granularity == g)
            .map(|p| p.period.as_str())
            .collect()
    };
    assert_eq!(names(Granularity::Month).len(), 23);
    assert_eq!(
        names(Granularity::Quarter),
        ["2023-Q2", "2023-Q3", "2023-Q4", "2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    );
    assert_eq!(names(Granularity::Year), ["2024"]);
    let y = period(&r, "2024");
    assert_eq!(y.start_month, month("2024-01"));
    assert_eq!(y.end_month, month("2024-12"));
    let q = period(&r, "2023-Q2");
    assert_eq!(
        (q.start_month, q.end_month),
        (month("2023-04"), month("2023-06"))
    );

    let r = usd(
        &[("a", "USD", "100", 1, "2023-01-01", None)],
        "2023-01",
        "2023-11",
    );
    assert!(r.periods.iter().all(|p| p.granularity != Granularity::Year));
    assert!(!r.periods.iter().any(|p| p.period == "2023-Q4"));
    assert!(r.periods.iter().any(|p| p.period == "2023-Q3"));
}

#[test]
fn ttm_is_present_only_at_months_whose_t0_lies_in_the_window() {
    let lines = [
        ("a", "USD", "100", 1, "2022-06-01", None),
        ("b", "USD", "50", 1, "2022-06-01", Some("2023-06-01")),
    ];
    let r = usd(&lines, "2023-01", "2023-12");
    assert!(r.ttm.is_empty(), "t0 = 2022-12 is outside the window");

    let r = usd(&lines, "2023-01", "2024-03");
    let got: Vec<(String, String)> = r
        .ttm
        .iter()
        .map(|t| (t.month.to_string(), t.t0.to_string()))
        .collect();
    let want = [
        ("2024-01", "2023-01"),
        ("2024-02", "2023-02"),
        ("2024-03", "2023-03"),
    ]
    .map(|(a, b)| (a.to_string(), b.to_string()));
    assert_eq!(got, want);
    let t = ttm(&r, "2024-01").unwrap();
    assert_exact(t.retention.starting_mrr, "150");
    assert_exact(t.retention.churn, "50");
    assert_eq!(t.retention.grr, Some(0.666667));
    assert_eq!(t.bridge.opening, month_row(&r, "2023-02").opening_mrr);
    assert_eq!(t.bridge.closing, month_row(&r, "2024-01").closing_mrr);
}

#[test]
fn the_ttm_at_december_equals_the_calendar_year_when_both_exist() {
    let r = report_for(&mixed_dataset(), "2023-12", "2024-12");
    let y = period(&r, "2024");
    let t = ttm(&r, "2024-12").unwrap();
    assert_eq!(t.t0, month("2023-12"));
    assert_eq!(t.retention, y.retention);
    assert_eq!(t.bridge, y.bridge);
}

// ---------------------------------------------------------------------------------------------
// The three worked examples, each a quarter of customer data (2024-Q1, t0 = 2023-12)

fn quarter(lines: &[Line<'_>]) -> nrr_core::report::Report {
    usd(lines, "2023-12", "2024-03")
}

#[test]
fn worked_example_nrr_115_grr_85() {
    let r = quarter(&[
        ("acme", "USD", "40000", 1, "2023-12-01", Some("2024-01-01")),
        ("acme", "USD", "50000", 1, "2024-01-01", Some("2024-03-01")),
        ("acme", "USD", "70000", 1, "2024-03-01", None),
        (
            "globex",
            "USD",
            "25000",
            1,
            "2023-12-01",
            Some("2024-02-01"),
        ),
        ("globex", "USD", "20000", 1, "2024-02-01", None),
        (
            "initech",
            "USD",
            "10000",
            1,
            "2023-12-01",
            Some("2024-02-15"),
        ),
        ("umbrella", "USD", "180000", 12, "2023-12-01", None),
        ("umbrella", "USD", "10000", 1, "2023-12-01", None),
        ("hooli", "USD", "3000", 1, "2024-02-10", None),
    ]);
    let q = period(&r, "2024-Q1");
    let ret = &q.retention;
    assert_exact(ret.starting_mrr, "100000");
    assert_exact(ret.expansion, "30000");
    assert_exact(ret.contraction, "5000");
    assert_exact(ret.churn, "10000");
    assert_exact(ret.ending_cohort_mrr, "115000");
    assert_eq!(ret.nrr, Some(1.15));
    assert_eq!(ret.grr, Some(0.85));
    assert_eq!(ret.logo_churn_rate, Some(0.25));
    assert_eq!((ret.cohort_customers, ret.churned_customers), (4, 1));
    assert_exact(q.bridge.new, "3000");
    assert_exact(q.bridge.closing, "118000");
}

#[test]
fn worked_example_nrr_107_grr_87() {
    let r = quarter(&[
        ("acme", "USD", "30000", 1, "2023-12-01", Some("2024-02-01")),
        ("acme", "USD", "40000", 1, "2024-02-01", Some("2024-03-01")),
        ("acme", "USD", "50000", 1, "2024-03-01", None),
        (
            "globex",
            "USD",
            "20000",
            1,
            "2023-12-01",
            Some("2024-01-15"),
        ),
        ("globex", "USD", "15000", 1, "2024-01-15", None),
        (
            "initech",
            "USD",
            "8000",
            1,
            "2023-12-01",
            Some("2024-03-01"),
        ),
        ("umbrella", "USD", "30000", 1, "2023-12-01", None),
        (
            "umbrella",
            "USD",
            "12000",
            1,
            "2023-12-01",
            Some("2024-01-01"),
        ),
        (
            "umbrella",
            "USD",
            "15000",
            1,
            "2024-01-01",
            Some("2024-02-01"),
        ),
        ("umbrella", "USD", "12000", 1, "2024-02-01", None),
        ("hooli", "USD", "2500", 1, "2024-01-05", None),
    ]);
    let q = period(&r, "2024-Q1");
    let ret = &q.retention;
    assert_exact(ret.starting_mrr, "100000");
    assert_exact(ret.expansion, "20000");
    assert_exact(ret.contraction, "5000");
    assert_exact(ret.churn, "8000");
    assert_exact(ret.ending_cohort_mrr, "107000");
    assert_eq!(ret.nrr, Some(1.07));
    assert_eq!(ret.grr, Some(0.87));
    // umbrella's add-on up and down shows in the bridge only.
    assert_exact(month_row(&r, "2024-01").expansion, "3000");
    assert_exact(q.bridge.expansion, "23000");
    assert_exact(q.bridge.contraction, "8000");
    assert_exact(q.bridge.closing, "109500");
}

#[test]
fn worked_example_nrr_100_grr_85() {
    let r = quarter(&[
        ("acme", "USD", "50000", 1, "2023-12-01", None),
        ("acme", "USD", "15000", 1, "2024-01-15", None),
        (
            "globex",
            "USD",
            "15000",
            1,
            "2023-12-01",
            Some("2024-02-01"),
        ),
        ("globex", "USD", "10000", 1, "2024-02-01", None),
        (
            "initech",
            "USD",
            "10000",
            1,
            "2023-12-01",
            Some("2024-01-31"),
        ),
        ("umbrella", "USD", "300000", 12, "2023-12-01", None),
        ("hooli", "USD", "1000", 1, "2024-03-31", None),
    ]);
    let q = period(&r, "2024-Q1");
    let ret = &q.retention;
    assert_exact(ret.starting_mrr, "100000");
    assert_exact(ret.expansion, "15000");
    assert_exact(ret.contraction, "5000");
    assert_exact(ret.churn, "10000");
    assert_exact(ret.ending_cohort_mrr, "100000");
    assert_eq!(ret.nrr, Some(1.0));
    assert_eq!(ret.grr, Some(0.85));
    assert_exact(month_row(&r, "2024-01").churn, "10000");
    assert_exact(month_row(&r, "2024-03").new, "1000");
}

// ---------------------------------------------------------------------------------------------
// Segments

#[test]
fn segments_partition_every_money_figure_and_count_exactly() {
    let ds = mixed_dataset();
    let assign = |id: &str| match id {
        "eurocorp" => 1,
        "acme" => 2,
        _ => 0, // globex has no attribute: ""
    };
    let spec = SegmentSpec {
        column: "segment".into(),
        values: vec!["".into(), "ent".into(), "smb".into()],
        of_customer: ds.customers.iter().map(assign).collect(),
        ..SegmentSpec::default()
    };
    let opts = Options {
        segment: Some(spec),
        ..window("2023-12", "2024-12")
    };
    let r = compute(&ds, &opts).unwrap();
    let plain = report_for(&ds, "2023-12", "2024-12");
    assert_eq!(
        (&r.months, &r.periods, &r.ttm),
        (&plain.months, &plain.periods, &plain.ttm)
    );
    let seg = r.segments.as_ref().unwrap();
    assert_eq!(seg.column, "segment");
    assert_eq!(
        seg.values.keys().map(String::as_str).collect::<Vec<_>>(),
        ["", "ent", "smb"]
    );
    let parts: Vec<_> = seg.values.values().collect();
    for (i, total) in r.months.iter().enumerate() {
        for k in 0..8 {
            let sum: i128 = parts
                .iter()
                .map(|p| month_money(&p.months[i])[k].units)
                .sum();
            assert_eq!(
                sum,
                month_money(total)[k].units,
                "{} field {k}",
                total.month
            );
        }
        for k in 0..4 {
            let sum: u64 = parts.iter().map(|p| month_counts(&p.months[i])[k]).sum();
            assert_eq!(sum, month_counts(total)[k], "{} count {k}", total.month);
        }
    }
    for (i, total) in r.periods.iter().enumerate() {
        for k in 0..6 {
            let sum: i128 = parts
                .iter()
                .map(|p| retention_money(&p.periods[i].retention)[k].units)
                .sum();
            assert_eq!(
                sum,
                retention_money(&total.retention)[k].units,
                "{}",
                total.period
            );
        }
        for k in 0..8 {
            let sum: i128 = parts
                .iter()
                .map(|p| bridge_money(&p.periods[i].bridge)[k].units)
                .sum();
            assert_eq!(
                sum,
                bridge_money(&total.bridge)[k].units,
                "{}",
                total.period
            );
        }
        for k in 0..2 {
            let sum: u64 = parts
                .iter()
                .map(|p| retention_counts(&p.periods[i].retention)[k])
                .sum();
            assert_eq!(
                sum,
                retention_counts(&total.retention)[k],
                "{}",
                total.period
            );
        }
    }
    // Each customer's own figures land in its segment only.
    let ent = &seg.values["ent"];
    assert!(ent.months.iter().all(|m| m.customers <= 1));
    assert!(seg.values["smb"].months.iter().all(|m| m.fx.is_zero()));
}

// ---------------------------------------------------------------------------------------------
// Window defaults

#[test]
fn the_default_window_runs_from_the_first_start_to_the_last_start_or_end() {
    let ds = build(
        &[
            ("a", "USD", "10", 1, "2023-03-15", Some("2024-07-01")),
            ("b", "USD", "10", 1, "2024-02-01", None),
        ],
        &[],
        None,
    );
    let r = compute(&ds, &Options::default()).unwrap();
    assert_eq!(r.window.start_month, month("2023-03"));
    assert_eq!(r.window.end_month, month("2024-07"));
    assert_exact(month_row(&r, "2024-07").churn, "10");
}

#[test]
fn the_first_month_opens_at_the_mrr_of_the_month_before_the_window() {
    let r = usd(
        &[
            ("a", "USD", "100", 1, "2023-05-01", Some("2024-02-01")),
            ("b", "USD", "40", 1, "2023-11-20", None),
        ],
        "2024-01",
        "2024-02",
    );
    let jan = month_row(&r, "2024-01");
    assert_exact(jan.opening_mrr, "140");
    assert_exact(jan.new, "0");
    let q = period(&r, "2024-01");
    assert_exact(q.retention.starting_mrr, "140");
    assert_eq!(q.retention.cohort_customers, 2);
    assert_exact(month_row(&r, "2024-02").churn, "100");
}

// ---------------------------------------------------------------------------------------------
// Pauses (`--pauses zero`): revenue 0 while paused, without churn

/// a pays 100 from January, is paused March and April (the reader cut its revenue and marked
/// the pause), and pays again from May; b pays 50 and really churns in March.
fn paused_report() -> nrr_core::report::Report {
    use nrr_core::dataset::{DatasetBuilder, LineInput, Origin, SourceKind};
    let mut b = DatasetBuilder::new(SourceKind::Items);
    let f = b.add_file("invoices.csv");
    let mut line = |c: &str, amount: &str, start: &str, end: Option<&str>| {
        b.push_line(LineInput {
            customer: c,
            currency: "USD",
            amount: dec(amount),
            interval: 1,
            start: date(start),
            end: end.map(date),
            origin: Origin { file: f, line: 2 },
        })
    };
    line("a", "100", "2024-01-01", Some("2024-03-01"));
    line("a", "100", "2024-05-01", None);
    line("b", "50", "2024-01-01", Some("2024-03-01"));
    b.push_pause("a", date("2024-03-01"), Some(date("2024-05-01")));
    let reporting = b.reporting(None).unwrap();
    let ds = b.finish(&reporting).unwrap();
    compute(&ds, &window("2024-01", "2024-06")).unwrap()
}

#[test]
fn a_pause_is_paused_and_resumed_not_churn_and_reactivation() {
    let r = paused_report();
    let mar = month_row(&r, "2024-03");
    assert_exact(mar.churn, "50");
    assert_eq!(mar.churned_customers, 1);
    assert_exact(mar.paused.unwrap(), "100");
    assert_eq!(mar.paused_customers, Some(1));
    assert_exact(mar.closing_mrr, "0");
    let may = month_row(&r, "2024-05");
    assert_exact(may.resumed.unwrap(), "100");
    assert_eq!(may.resumed_customers, Some(1));
    assert_exact(may.reactivation, "0");
    assert_eq!(may.reactivated_customers, 0);
    // The bridge closes with the two new movements.
    for m in &r.months {
        let gap = month_bridge_gap(m) - m.paused.unwrap().units + m.resumed.unwrap().units;
        assert_eq!(gap, 0, "bridge in {}", m.month);
    }
}

#[test]
fn a_cohort_customer_paused_at_t1_is_contraction_not_churn() {
    let r = paused_report();
    let p = r.periods.iter().find(|p| p.period == "2024-03").unwrap();
    let ret = &p.retention;
    assert_exact(ret.starting_mrr, "150");
    assert_exact(ret.contraction, "100");
    assert_exact(ret.churn, "50");
    assert_eq!(ret.churned_customers, 1);
    assert_eq!(ret.cohort_customers, 2);
    assert_eq!(ret.nrr, Some(0.0));
}
