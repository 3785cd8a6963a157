//! fx.csv: a currency of the data without rates, and rates missing at month ends, stop the
//! run with one message per currency (and month), naming fx.csv; never one per row (exit 1).
use super::*;

/// EUR rows and no fx.csv at all: one error, however many rows.
#[test]
fn a_currency_without_rates_is_one_error() {
    let tmp = items(&[
        "beta,b-1,10.00,EUR,1,2024-01-01,,recurring",
        "gamma,g-1,20.00,EUR,1,2024-01-01,,recurring",
    ]);
    let run = nrr_in(tmp.path(), &["report", "data", "--currency", "USD"]);
    run.assert_code(1);
    assert!(run.stdout.is_empty());
    insta::assert_snapshot!(run.transcript());
}

/// A USD-based fx.csv (EUR, GBP rows) read for a JPY report: no rows for JPY, so the file
/// reads as quoted in JPY and USD has none; one error that says so and how to fix it.
#[test]
fn a_reporting_currency_without_rates_is_one_error() {
    let tmp = data_dir(&[
        (
            "items.csv",
            &[
                ITEMS_HEADER,
                GOOD_ROW,
                "beta,b-1,10.00,EUR,1,2024-01-01,,recurring",
                "gamma,g-1,20.00,GBP,1,2024-01-01,,recurring",
            ],
        ),
        (
            "fx.csv",
            &[
                "date,currency,rate",
                "2023-12-01,EUR,1.08",
                "2023-12-01,GBP,1.27",
            ],
        ),
    ]);
    let run = nrr_in(tmp.path(), &["report", "data", "--currency", "JPY"]);
    run.assert_code(1);
    insta::assert_snapshot!(run.transcript());
    // The same file reads for a EUR or GBP report: USD, with no rows, is its base.
    for code in ["EUR", "GBP", "USD"] {
        nrr_in(tmp.path(), &["report", "data", "--currency", code]).assert_code(0);
    }
}

/// Three EUR customers from 2023-10 with EUR rates from 2024-01-15, two GBP customers from
/// 2023-11 with GBP rates from 2023-12-01: one line per currency and month, for the
/// report, cohorts and explain alike.
#[test]
fn missing_rates_are_listed_once_per_currency_and_month() {
    let tmp = data_dir(&[
        (
            "items.csv",
            &[
                ITEMS_HEADER,
                "e1,e1-1,100.00,EUR,1,2023-10-01,,recurring",
                "e2,e2-1,100.00,EUR,1,2023-10-01,,recurring",
                "e3,e3-1,100.00,EUR,1,2023-10-01,,recurring",
                "g1,g1-1,100.00,GBP,1,2023-11-01,,recurring",
                "g2,g2-1,100.00,GBP,1,2023-11-01,,recurring",
            ],
        ),
        (
            "fx.csv",
            &[
                "date,currency,rate",
                "2024-01-15,EUR,1.10",
                "2023-12-01,GBP,1.27",
            ],
        ),
    ]);
    let window = ["--currency", "USD", "--from", "2023-11", "--to", "2024-02"];
    let run = |cmd: &[&str]| {
        let args: Vec<&str> = cmd.iter().chain(&window).copied().collect();
        let run = nrr_in(tmp.path(), &args);
        run.assert_code(1);
        run
    };
    let report = run(&["report", "data"]);
    insta::assert_snapshot!(report.transcript());
    assert_eq!(run(&["cohorts", "data"]).stderr, report.stderr);
    let explain = run(&["explain", "data", "--customer", "e1"]);
    assert!(
        explain.stderr.contains("EUR 2023-12: no rate into USD"),
        "{}",
        explain.transcript()
    );
}
