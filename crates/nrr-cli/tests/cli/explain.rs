//! `nrr explain`: one customer's months as a table and JSON, and an unknown customer.

use super::*;

const ACME: &[&str] = &[
    "explain",
    "tests/fixtures/worked_example_115",
    "--customer",
    "acme",
    "--from",
    "2023-12",
    "--to",
    "2024-03",
];

#[test]
fn table() {
    let run = nrr(ACME);
    run.assert_code(0);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn json() {
    let mut args = ACME.to_vec();
    args.extend(["--format", "json"]);
    let run = nrr(&args);
    run.assert_code(0);
    let j = run.json();
    assert_eq!(j["customer_id"], "acme");
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn unknown_customer() {
    let run = nrr(&[
        "explain",
        "tests/fixtures/worked_example_115",
        "--customer",
        "nobody",
    ]);
    run.assert_code(2);
    assert!(run.stdout.is_empty());
    insta::assert_snapshot!(run.transcript());
}
