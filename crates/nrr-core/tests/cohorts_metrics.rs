//! Signup cohorts and the operating metrics of a period, on hand-checked examples
//! (the same ones docs/metrics.md §16 and §17 work through).

mod common;

use common::*;
use nrr_core::cohort::{cohorts, CohortBy, CohortMetric};
use nrr_core::engine::{compute, Options};

const ABC: [Line<'static>; 3] = [
    ("a", "USD", "100", 1, "2024-01-01", None),
    ("b", "USD", "50", 1, "2024-01-01", Some("2024-03-01")),
    ("c", "USD", "200", 1, "2024-02-01", None),
];

fn cells(t: &nrr_core::cohort::CohortTable, cohort: &str) -> Vec<Option<f64>> {
    t.cohorts
        .iter()
        .find(|c| c.cohort == cohort)
        .unwrap()
        .cells
        .clone()
}

#[test]
fn month_cohorts_measure_revenue_and_logos_from_age_zero() {
    let ds = build(&ABC, &[], None);
    let opts = window("2024-01", "2024-03");
    let rev = cohorts(&ds, &opts, CohortBy::Month, CohortMetric::Revenue).unwrap();
    let names: Vec<&str> = rev.cohorts.iter().map(|c| c.cohort.as_str()).collect();
    assert_eq!(names, ["2024-01", "2024-02", "2024-03"]);
    let jan = &rev.cohorts[0];
    assert_eq!(jan.customers, 2);
    assert_exact(jan.starting_mrr, "150");
    assert_eq!(jan.cells, [Some(1.0), Some(1.0), Some(0.666667)]);
    assert_eq!(cells(&rev, "2024-02"), [Some(1.0), Some(1.0)]);
    // An empty cohort has no age-0 MRR: its cell is null, not 0.
    assert_eq!(cells(&rev, "2024-03"), [None]);
    let logos = cohorts(&ds, &opts, CohortBy::Month, CohortMetric::Logos).unwrap();
    assert_eq!(cells(&logos, "2024-01"), [Some(1.0), Some(1.0), Some(0.5)]);
}

#[test]
fn quarter_cohorts_start_at_the_end_of_the_cohort_quarter() {
    let ds = build(&ABC, &[], None);
    let opts = window("2024-01", "2024-06");
    let rev = cohorts(&ds, &opts, CohortBy::Quarter, CohortMetric::Revenue).unwrap();
    let q1 = &rev.cohorts[0];
    assert_eq!(q1.cohort, "2024-Q1");
    assert_eq!(q1.customers, 3);
    // Age 0 is March: b has left, so the cohort starts at 100 + 200.
    assert_exact(q1.starting_mrr, "300");
    assert_eq!(q1.cells, [Some(1.0), Some(1.0)]);
    let logos = cohorts(&ds, &opts, CohortBy::Quarter, CohortMetric::Logos).unwrap();
    assert_eq!(cells(&logos, "2024-Q1"), [Some(0.666667), Some(0.666667)]);
    assert_eq!(cells(&logos, "2024-Q2"), [None]);
}

#[test]
fn revenue_cohorts_are_in_constant_currency_at_age_zero_rates() {
    let ds = build(
        &[("e", "EUR", "100", 1, "2024-01-01", None)],
        &[("EUR", "2023-12-01", "1.10"), ("EUR", "2024-02-01", "1.20")],
        Some("USD"),
    );
    let rev = cohorts(
        &ds,
        &window("2024-01", "2024-02"),
        CohortBy::Month,
        CohortMetric::Revenue,
    )
    .unwrap();
    assert_exact(rev.cohorts[0].starting_mrr, "110");
    // The rate rose 9%, the customer did not: retention stays 100%.
    assert_eq!(rev.cohorts[0].cells, [Some(1.0), Some(1.0)]);
}

#[test]
fn reactivation_and_expansion_count_in_revenue_cells() {
    let ds = build(
        &[
            ("a", "USD", "100", 1, "2024-01-01", Some("2024-02-01")),
            ("a", "USD", "150", 1, "2024-03-01", None),
        ],
        &[],
        None,
    );
    let rev = cohorts(
        &ds,
        &window("2024-01", "2024-03"),
        CohortBy::Month,
        CohortMetric::Revenue,
    )
    .unwrap();
    assert_eq!(rev.cohorts[0].cells, [Some(1.0), Some(0.0), Some(1.5)]);
}

const METRICS: [Line<'static>; 3] = [
    ("a", "USD", "100", 1, "2023-12-01", None),
    ("b", "USD", "50", 1, "2023-12-01", Some("2024-03-01")),
    ("c", "USD", "30", 1, "2024-02-01", None),
];

#[test]
fn period_metrics_follow_their_formulas() {
    let ds = build(&METRICS, &[], None);
    let r = compute(&ds, &window("2023-12", "2024-03")).unwrap();
    let q1 = &period(&r, "2024-Q1").metrics;
    assert_exact(q1.arr, "1560");
    assert_exact(q1.arpa.unwrap(), "65");
    assert_eq!(
        (
            q1.customers_start,
            q1.customers_new,
            q1.customers_reactivated,
            q1.customers_churned,
            q1.customers_end
        ),
        (2, 1, 0, 1, 2)
    );
    assert_eq!(q1.revenue_churn_rate, Some(0.333333));
    assert_eq!(q1.net_mrr_churn_rate, Some(0.333333));
    assert_eq!(q1.quick_ratio, Some(0.6));
    // Monthly churn rate 50 / (150 + 150 + 180); LTV = 65 / (50 / 480) = 624.
    assert_eq!(q1.ltv.unwrap().to_string(), "624.00");
    assert_eq!(r.gross_margin, "1");

    let opts = Options {
        gross_margin: Some(dec("0.8")),
        ..window("2023-12", "2024-03")
    };
    let r = compute(&ds, &opts).unwrap();
    assert_eq!(
        period(&r, "2024-Q1").metrics.ltv.unwrap().to_string(),
        "499.20"
    );
    assert_eq!(r.gross_margin, "0.8");

    // A month without churn has no LTV and no quick ratio denominator... but February's
    // quick ratio has new MRR and nothing lost: null, not infinity.
    let feb = &period(&r, "2024-02").metrics;
    assert_eq!(feb.ltv, None);
    assert_eq!(feb.quick_ratio, None);
    assert_eq!(feb.revenue_churn_rate, Some(0.0));
}

#[test]
fn a_customer_carrying_most_of_the_expansion_is_named() {
    let lines = [
        ("big", "USD", "100", 1, "2024-01-01", Some("2024-02-01")),
        ("big", "USD", "170", 1, "2024-02-01", None),
        ("small", "USD", "100", 1, "2024-01-01", Some("2024-02-01")),
        ("small", "USD", "130", 1, "2024-02-01", None),
        ("gone", "USD", "40", 1, "2024-01-01", Some("2024-02-01")),
    ];
    let ds = build(&lines, &[], None);
    let r = compute(&ds, &window("2024-01", "2024-02")).unwrap();
    let feb = period(&r, "2024-02");
    assert_eq!(r.concentration_threshold, "0.25");
    let c: Vec<(&str, &str, String, Option<f64>)> = feb
        .concentration
        .iter()
        .map(|c| {
            (
                c.movement,
                c.customer_id.as_str(),
                c.amount.to_string(),
                c.share,
            )
        })
        .collect();
    // Expansion 70 + 30: big carries 70%. Churn 40, all from one customer.
    assert_eq!(
        c,
        [
            ("expansion", "big", "70.00".to_string(), Some(0.7)),
            ("churn", "gone", "40.00".to_string(), Some(1.0))
        ]
    );
    let opts = Options {
        concentration: Some(dec("0.75")),
        ..window("2024-01", "2024-02")
    };
    let r = compute(&ds, &opts).unwrap();
    let names: Vec<&str> = period(&r, "2024-02")
        .concentration
        .iter()
        .map(|c| c.customer_id.as_str())
        .collect();
    assert_eq!(names, ["gone"], "70% is not above 75%");
}

#[test]
fn equal_contributions_name_the_smaller_id_whatever_the_order() {
    let a = ("zeta", "USD", "100", 1, "2024-01-01", Some("2024-02-01"));
    let b = ("alpha", "USD", "100", 1, "2024-01-01", Some("2024-02-01"));
    for lines in [[a, b], [b, a]] {
        let r = compute(&build(&lines, &[], None), &window("2024-01", "2024-02")).unwrap();
        let feb = period(&r, "2024-02");
        // Each is exactly half: 50% > 25%, and the tie goes to "alpha".
        assert_eq!(feb.concentration[0].customer_id, "alpha");
        assert_eq!(feb.concentration[0].share, Some(0.5));
    }
}
