//! `nrr cohorts`: revenue and logo matrices by month and quarter, CSV and JSON keys.

use super::*;

const ARGS: &[&str] = &[
    "cohorts",
    "tests/fixtures/churn_reactivation_in_quarter",
    "--from",
    "2023-06",
    "--to",
    "2024-03",
];

#[test]
fn revenue_table() {
    let run = nrr(ARGS);
    run.assert_code(0);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn logos_by_quarter_csv() {
    let mut args = ARGS.to_vec();
    args.extend(["--by", "quarter", "--metric", "logos", "--format", "csv"]);
    let run = nrr(&args);
    run.assert_code(0);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn json_keys() {
    let mut args = ARGS.to_vec();
    args.extend(["--format", "json"]);
    let run = nrr(&args);
    run.assert_code(0);
    let v = run.json();
    for key in ["by", "metric", "currency", "cohorts"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let first = &v["cohorts"][0];
    for key in ["cohort", "customers", "starting_mrr", "cells"] {
        assert!(first.get(key).is_some(), "missing cohorts[0].{key}");
    }
    assert_eq!(first["cells"][0], serde_json::json!(1.0));
}
