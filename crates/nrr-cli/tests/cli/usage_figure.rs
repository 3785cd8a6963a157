//! `nrr report --usage`: the separate usage figure (docs/metrics.md §19).
use super::*;

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).expect("JSON on stdout")
}

#[test]
fn without_the_flag_there_is_no_usage_key() {
    for dir in [
        "tests/fixtures/invoices_usage",
        "tests/fixtures/stripe_usage",
    ] {
        let run = nrr(&["report", dir, "--currency", "USD", "--format", "json"]);
        run.assert_code(0);
        assert!(json(&run).get("usage").is_none(), "{dir}: {}", run.stdout);
    }
}

#[test]
fn stripe_without_invoices_has_no_usage_amounts() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    std::fs::copy(
        repo_root().join("tests/fixtures/stripe_usage/subscriptions.json"),
        tmp.path().join("subscriptions.json"),
    )
    .expect("copying subscriptions.json");
    let run = nrr_in(tmp.path(), &["report", ".", "--usage", "--format", "json"]);
    run.assert_code(0);
    let u = &json(&run)["usage"];
    assert_eq!(u["known"], false);
    assert_eq!(u["total"], serde_json::Value::Null);
    assert_eq!(u["months"].as_array().map(Vec::len), Some(0));
    let note = u["notes"][0].as_str().expect("a note");
    assert!(
        note.contains("unknown") && note.contains("2 metered"),
        "{note}"
    );
    let table = nrr_in(tmp.path(), &["report", ".", "--usage"]);
    table.assert_code(0);
    assert!(
        table.stdout.contains("Usage (not in MRR)"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("usage: unknown"), "{}", table.stdout);
}

#[test]
fn usage_with_items_is_a_usage_error() {
    let tmp = items(&[]);
    let run = nrr_in(tmp.path(), &["report", "data", "--usage"]);
    run.assert_code(2);
    assert!(run.stderr.contains("--usage"), "{}", run.stderr);
}

#[test]
fn a_usage_line_without_rates_stops_the_run_only_when_asked() {
    let tmp = data_dir(&[(
            "invoices.csv",
            &[
                "invoice_id,customer_id,type,subscription_id,amount,currency,service_period_start,service_period_end",
                "in-1,acme,subscription,sub-1,100.00,USD,2024-01-01,2024-02-01",
                "in-1,acme,usage,sub-1,9.00,GBP,2024-01-01,2024-02-01",
            ],
        )]);
    nrr_in(tmp.path(), &["report", "data"]).assert_code(0);
    // Asked for, the charge needs a GBP rate: one error, as for a line, which
    // --skip-invalid (about rows) does not skip.
    for extra in [&[][..], &["--skip-invalid"]] {
        let mut args = vec!["report", "data", "--usage"];
        args.extend_from_slice(extra);
        let run = nrr_in(tmp.path(), &args);
        run.assert_code(1);
        assert!(
            run.stderr
                .contains("no fx.csv was read, and GBP needs rates into USD"),
            "{}",
            run.stderr
        );
    }
}
