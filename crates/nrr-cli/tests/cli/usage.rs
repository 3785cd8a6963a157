//! Usage and I/O errors (exit 2): bad flags, missing or empty data, inputs that cannot go together.

use super::*;

/// docs/cli.md: a malformed `--currency` (`usd`, `dollars`, `US`) is a usage error (exit 2),
/// not a reporting currency that leaves every row without a rate (exit 1).
#[test]
fn malformed_currency_flag_is_a_usage_error() {
    for code in ["usd", "dollars", "US"] {
        let run = nrr(&[
            "report",
            "tests/fixtures/worked_example_115",
            "--currency",
            code,
        ]);
        run.assert_code(2);
    }
}

#[test]
fn nonexistent_data_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let run = nrr_in(tmp.path(), &["report", "no-such-dir"]);
    run.assert_code(2);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn empty_dir_lists_what_it_found() {
    let tmp = data_dir(&[("notes.txt", &["hello"]), ("items.txt", &["x"])]);
    let run = nrr_in(tmp.path(), &["report", "data"]);
    run.assert_code(2);
    assert!(run.stderr.contains("notes.txt"), "{}", run.transcript());
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn items_and_mrr_together() {
    let tmp = data_dir(&[
        ("items.csv", &[ITEMS_HEADER, GOOD_ROW]),
        ("mrr.csv", &["customer_id,month,mrr", "acme,2024-01,100"]),
    ]);
    let picks: &[(&str, &[&str])] = &[("items", &["items.csv"]), ("mrr", &["mrr.csv"])];
    insta::assert_snapshot!(needs_source(&tmp, &["items.csv", "mrr.csv"], picks));
}

/// A directory with no file at all: nothing found, and `--source` says the directory is
/// empty.
#[test]
fn truly_empty_dir() {
    let tmp = data_dir(&[]);
    let run = nrr_in(tmp.path(), &["report", "data"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("no input found") && !run.stderr.contains("(found:"),
        "{}",
        run.transcript()
    );
    let forced = nrr_in(tmp.path(), &["check", "data", "--source", "snapshots"]);
    forced.assert_code(2);
    assert!(
        forced.stderr.contains("(the directory is empty)"),
        "{}",
        forced.transcript()
    );
    insta::assert_snapshot!(format!("{}{}", run.transcript(), forced.transcript()));
}

#[test]
fn several_currencies_without_currency_flag() {
    let tmp = items(&["beta,b-1,10.00,EUR,1,2024-01-01,,recurring"]);
    let run = nrr_in(tmp.path(), &["report", "data"]);
    run.assert_code(2);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn from_after_to() {
    let run = nrr(&[
        "report",
        "tests/fixtures/worked_example_115",
        "--from",
        "2024-03",
        "--to",
        "2024-01",
    ]);
    run.assert_code(2);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn month_13() {
    let run = nrr(&[
        "report",
        "tests/fixtures/worked_example_115",
        "--from",
        "2024-13",
    ]);
    run.assert_code(2);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn unknown_segment_column() {
    let run = nrr(&[
        "report",
        "tests/fixtures/segments",
        "--segment",
        "nosuchcolumn",
    ]);
    run.assert_code(2);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn segment_without_customers_csv() {
    let tmp = items(&[]);
    let run = nrr_in(tmp.path(), &["report", "data", "--segment", "segment"]);
    run.assert_code(2);
    insta::assert_snapshot!(run.transcript());
}
