//! `nrr check`: good and bad data, as a table and as JSON.

use super::*;

#[test]
fn good_data() {
    let run = nrr(&["check", "tests/fixtures/worked_example_115"]);
    run.assert_code(0);
    assert!(run.stdout.contains("rows: 9 read"), "{}", run.transcript());
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn good_data_json() {
    let run = nrr(&[
        "check",
        "tests/fixtures/one_time_charge",
        "--format",
        "json",
    ]);
    run.assert_code(0);
    let j = run.json();
    assert_eq!(j["rejections"], serde_json::json!([]));
    insta::assert_snapshot!(run.transcript());
}

fn bad_data() -> TempDir {
    items(&[
        "beta,b-1,-5.00,USD,1,2024-01-01,,recurring",
        "gamma,g-1,10.00,USD,1,2024-02-30,,recurring",
        "delta,d-1,10.00,USD,1,2024-01-01,,one_time",
    ])
}

#[test]
fn bad_data_lists_rejections() {
    let tmp = bad_data();
    let run = nrr_in(tmp.path(), &["check", "data"]);
    run.assert_code(1);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn bad_data_json() {
    let tmp = bad_data();
    let run = nrr_in(tmp.path(), &["check", "data", "--format", "json"]);
    run.assert_code(1);
    let j = run.json();
    assert_eq!(j["rejections"].as_array().map(Vec::len), Some(2));
    let rows = &j["rows"];
    assert_eq!(rows["read"], 4);
    assert_eq!(rows["rejected"], 2);
    assert_eq!(rows["excluded"]["one_time"], 1);
    insta::assert_snapshot!(run.transcript());
}
