//! The one integration test binary of the `nrr` command line (`cargo test -p nrr-cli --test
//! cli`; one binary links once). This file holds the snapshot tests of exit code, standard
//! output and standard error for every bad-input rejection, the usage and I/O errors, and the
//! main commands on a fixture, in a module per area; the other areas are modules of their
//! own files:
//!
//! - [`config`]: `nrr.toml`, its precedence, its errors and `nrr init`;
//! - [`golden`]: every fixture folder against its hand-checked `expected.json`;
//! - [`hostile`]: the catalogue of hostile inputs, each a snapshot;
//! - [`equivalence`]: equivalent inputs give the same report;
//! - [`footing`]: shown figures foot in every format (property tests);
//! - [`docs_examples`]: every console block of the docs is run (`NRR_BLESS_DOCS`);
//! - [`stripe_shapes`]: Stripe export shapes, customer_map.csv and billing rules;
//! - [`lines`]: `nrr lines` of every fixture reports as the fixture (CSV and Parquet lines),
//!   its output and its rejections;
//! - [`parquet_invoices`]: Parquet twins of the invoices fixtures (feature `parquet`);
//! - [`postgres`]: the PostgreSQL source against a server started from `initdb` (feature
//!   `postgres`), one test per check sharing one server;
//! - [`workbook`]: the `--format xlsx` workbook recalculated in LibreOffice, byte identity and
//!   hostile text;
//! - [`browser`]: the `--format html` page in headless Chromium, byte identity and size;
//! - [`util`]: the helpers the modules share (the repository's paths, a fixture's arguments,
//!   running `nrr`).
//!
//! Snapshots live in `tests/cli/snapshots/`, named after the module path (`cli__hostile__...`).
//! To regenerate after an intended change of output, run
//! `INSTA_UPDATE=always cargo test -p nrr-cli --test cli` and review the diff of the `.snap`
//! files before committing them.
//!
//! Data directories are written to temporary directories; commands run with the temporary
//! directory as working directory and a relative `data` path, so no machine-specific path
//! appears in the output (any that does is replaced by `[TMP]`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;
use util::repo_root;

/// Header of the items.csv files written by these tests.
const ITEMS_HEADER: &str =
    "customer_id,subscription_id,amount,currency,interval_months,start_date,end_date,kind";
/// A valid row, so that each case has exactly one bad row (at line 3).
const GOOD_ROW: &str = "acme,acme-1,100.00,USD,1,2024-01-01,,recurring";

/// The outcome of one `nrr` run.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// Paths to replace by `[TMP]` in the transcript.
    hide: Vec<PathBuf>,
}

impl Run {
    /// stdout with wrapped lines joined again (a line break and the two-space indent of a
    /// continuation read as one space), for finding a sentence whatever the width.
    fn unwrapped(&self) -> String {
        self.stdout.replace("\n  ", " ")
    }

    /// Exit code, stdout and stderr, as one text for a snapshot.
    fn transcript(&self) -> String {
        let mut s = format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code
                .map_or_else(|| "signal".to_string(), |c| c.to_string()),
            self.stdout,
            self.stderr
        );
        for p in &self.hide {
            // Canonical and given spellings of the directory may differ (symlinked /tmp).
            for spelling in [p.canonicalize().ok(), Some(p.clone())]
                .into_iter()
                .flatten()
            {
                s = s.replace(&spelling.display().to_string(), "[TMP]");
            }
        }
        s
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.transcript()))
    }

    #[track_caller]
    fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit code:\n{}",
            self.transcript()
        );
        self
    }
}

/// Runs `nrr args...` in `cwd` with `NO_COLOR=1`.
fn nrr_in(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_nrr"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("running nrr");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        hide: vec![cwd.to_path_buf()],
    }
}

/// Runs `nrr args...` from the repository root.
fn nrr(args: &[&str]) -> Run {
    nrr_in(&repo_root(), args)
}

/// A temporary directory holding `data/` with the given files (name, lines).
fn data_dir(files: &[(&str, &[&str])]) -> TempDir {
    let tmp = tempfile::tempdir().expect("temporary directory");
    std::fs::create_dir(tmp.path().join("data")).expect("creating data/");
    for (name, lines) in files {
        write_data(&tmp, name, lines);
    }
    tmp
}

/// Writes `data/name` in `tmp`, one line each.
fn write_data(tmp: &TempDir, name: &str, lines: &[&str]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(tmp.path().join("data").join(name), text).expect("writing a data file");
}

/// A directory holding two kinds of revenue input: without `--source`, `report` and `check`
/// stop with exit code 2, naming every file `found` and suggesting `--source`; with each
/// `--source S` of `picks`, the report reads exactly the inputs given. Returns the transcript
/// of the refused `report`.
#[track_caller]
fn needs_source(tmp: &TempDir, found: &[&str], picks: &[(&str, &[&str])]) -> String {
    let refused = |cmd: &str| {
        let run = nrr_in(tmp.path(), &[cmd, "data"]);
        run.assert_code(2);
        assert!(run.stdout.is_empty(), "{}", run.transcript());
        let listed = format!("({})", found.join(", "));
        assert!(
            run.stderr.contains(&listed) && run.stderr.contains("--source"),
            "{cmd}: expected {listed} and --source:\n{}",
            run.transcript()
        );
        run
    };
    refused("check");
    for (source, inputs) in picks {
        let args = ["report", "data", "--source", source, "--format", "json"];
        let run = nrr_in(tmp.path(), &args);
        run.assert_code(0);
        assert_eq!(
            run.json()["inputs"],
            serde_json::json!(inputs),
            "--source {source}"
        );
    }
    refused("report").transcript()
}

/// `data/items.csv` with the header, a good row and then `rows`.
fn items(rows: &[&str]) -> TempDir {
    let mut lines = vec![ITEMS_HEADER, GOOD_ROW];
    lines.extend_from_slice(rows);
    data_dir(&[("items.csv", &lines)])
}

/// A data directory whose rows are rejected: `report` must exit 1 with the rejections on stderr
/// and nothing on stdout, in every format and for `explain` too; `check` must exit 1 and list
/// the same rejections on stdout. Returns the transcript of `nrr report data <extra>`.
#[track_caller]
fn rejected(tmp: &TempDir, extra: &[&str]) -> String {
    let dir = tmp.path();
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    let run = |args: &[&str]| {
        let args = with(args);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        nrr_in(dir, &refs)
    };
    let report = run(&["report", "data"]);
    report.assert_code(1);
    assert!(
        report.stdout.is_empty(),
        "figures printed despite rejections:\n{}",
        report.transcript()
    );
    assert!(
        report.stderr.contains("no figures computed"),
        "{}",
        report.transcript()
    );
    let shown: Vec<&str> = report
        .stderr
        .lines()
        .filter(|l| l.starts_with("  ") && (l.contains(".csv:") || l.contains(".json")))
        .map(str::trim)
        .collect();
    assert!(
        !shown.is_empty(),
        "no rejection listed:\n{}",
        report.transcript()
    );

    for args in [
        &["report", "data", "--format", "json"][..],
        &["report", "data", "--format", "csv"],
        &["explain", "data", "--customer", "acme"],
        &["movements", "data"],
    ] {
        let r = run(args);
        r.assert_code(1);
        assert!(r.stdout.is_empty(), "{args:?} printed:\n{}", r.transcript());
        assert_eq!(r.stderr, report.stderr, "{args:?}: different rejections");
    }

    let check = run(&["check", "data"]);
    check.assert_code(1);
    for line in &shown {
        assert!(
            check.stdout.contains(line),
            "check does not list `{line}`:\n{}",
            check.transcript()
        );
    }
    report.transcript()
}

macro_rules! rejection_tests {
    ($($name:ident: [$($row:expr),* $(,)?] $(, args = [$($arg:expr),*])?;)*) => {
        $(
            #[test]
            fn $name() {
                let tmp = items(&[$($row),*]);
                let args: &[&str] = &[$($($arg),*)?];
                insta::assert_snapshot!(stringify!($name), rejected(&tmp, args));
            }
        )*
    };
}

mod reject {
    use super::*;

    /// Rejections are listed in file and line order, whatever the check that found them.
    #[test]
    fn rejections_are_in_line_order() {
        let tmp = data_dir(&[(
            "items.csv",
            &[
                ITEMS_HEADER,
                "beta,b-1,10.00,USD,1,2024-01-01,,annual",
                "gamma,g-1,-5.00,USD,1,2024-01-01,,recurring",
                GOOD_ROW,
            ],
        )]);
        let run = nrr_in(tmp.path(), &["report", "data", "--currency", "USD"]);
        run.assert_code(1);
        let lines: Vec<&str> = run
            .stderr
            .lines()
            .filter_map(|l| l.trim().strip_prefix("items.csv:"))
            .collect();
        assert!(
            lines.len() == 2 && lines[0].starts_with("2:") && lines[1].starts_with("3:"),
            "{}",
            run.transcript()
        );
    }

    rejection_tests! {
        missing_customer_id: [",x-1,10.00,USD,1,2024-01-01,,recurring"];
        amount_with_decimal_comma: ["beta,b-1,\"12,50\",USD,1,2024-01-01,,recurring"];
        negative_amount: ["beta,b-1,-5.00,USD,1,2024-01-01,,recurring"];
        amount_with_seven_decimals: ["beta,b-1,10.1234567,USD,1,2024-01-01,,recurring"];
        interval_zero: ["beta,b-1,10.00,USD,0,2024-01-01,,recurring"];
        interval_not_a_number: ["beta,b-1,10.00,USD,abc,2024-01-01,,recurring"];
        end_before_start: ["beta,b-1,10.00,USD,1,2024-03-01,2024-02-01,recurring"];
        unknown_kind: ["beta,b-1,10.00,USD,12,2024-01-01,,annual"];
        start_date_not_a_day: ["beta,b-1,10.00,USD,1,2024-02-30,,recurring"];
        end_date_not_a_day: ["beta,b-1,10.00,USD,1,2024-01-01,2024-02-30,recurring"];
        lowercase_currency: ["beta,b-1,10.00,usd,1,2024-01-01,,recurring"];
    }
}

/// items.csv with `unit_amount`: the line total is unit_amount x quantity, and a row that also
/// gives `amount` must agree with it exactly (`120` = `120.00`).
#[test]
fn reject_amount_that_is_not_unit_amount_times_quantity() {
    let tmp = data_dir(&[(
        "items.csv",
        &[
            "customer_id,subscription_id,quantity,unit_amount,amount,currency,start_date",
            "acme,acme-1,3,40.00,120,USD,2024-01-01",
            "beta,beta-1,3,40.00,100.00,USD,2024-01-01",
            "gamma,gamma-1,2,12.50,,USD,2024-01-01",
            "delta,delta-1,2,,,USD,2024-01-01",
        ],
    )]);
    insta::assert_snapshot!(rejected(&tmp, &[]));
}

/// fx.csv: a currency of the data without rates, and rates missing at month ends, stop the
/// run with one message per currency (and month), naming fx.csv; never one per row (exit 1).
mod fx {
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
}

#[test]
fn reject_bad_fx_rows() {
    let tmp = data_dir(&[
        (
            "items.csv",
            &[
                ITEMS_HEADER,
                GOOD_ROW,
                "beta,b-1,10.00,EUR,1,2024-01-01,,recurring",
            ],
        ),
        (
            "fx.csv",
            &[
                "date,currency,rate",
                "2023-12-01,EUR,1.08",
                "2024-01-01,EUR,0",
                "2024-13-01,EUR,1.1",
            ],
        ),
    ]);
    insta::assert_snapshot!(rejected(&tmp, &["--currency", "USD"]));
}

#[test]
fn reject_invalid_utf8() {
    let tmp = items(&[]);
    let path = tmp.path().join("data/items.csv");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"b\xffeta,b-1,10.00,USD,1,2024-01-01,,recurring\n");
    std::fs::write(&path, bytes).unwrap();
    insta::assert_snapshot!(rejected(&tmp, &[]));
}

#[test]
fn reject_25_rows_shows_first_20() {
    let rows: Vec<String> = (1..=25)
        .map(|i| format!("c{i:02},c{i:02}-1,-{i}.00,USD,1,2024-01-01,,recurring"))
        .collect();
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let tmp = items(&refs);
    let t = rejected(&tmp, &[]);
    assert_eq!(t.matches("items.csv:").count(), 20, "{t}");
    assert!(t.contains("... and 5 more rejected rows"), "{t}");
    insta::assert_snapshot!(t);
}

#[test]
fn missing_required_column_is_a_usage_error() {
    let tmp = data_dir(&[("items.csv", &["customer_id,start_date", "acme,2024-01-01"])]);
    let run = nrr_in(tmp.path(), &["report", "data"]);
    run.assert_code(2);
    assert!(run.stdout.is_empty());
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn mrr_csv_rejections() {
    let tmp = data_dir(&[(
        "mrr.csv",
        &[
            "customer_id,month,mrr",
            "acme,2024-01,100.00",
            "beta,2024-13,10.00",
            "gamma,2024-01,-1",
            ",2024-01,5",
        ],
    )]);
    insta::assert_snapshot!(rejected(&tmp, &[]));
}

#[test]
fn skip_invalid_reports_without_the_bad_row() {
    let tmp = items(&["beta,b-1,-5.00,USD,1,2024-01-01,,recurring"]);
    let run = nrr_in(
        tmp.path(),
        &["report", "data", "--skip-invalid", "--format", "json"],
    );
    run.assert_code(0);
    let j = run.json();
    assert_eq!(j["skipped_invalid_rows"], 1, "{}", run.transcript());
    assert_eq!(j["rows"]["rejected"], 1);
    assert_eq!(j["rows"]["read"], 2);
    assert_eq!(j["rows"]["used"], 1);
    assert_eq!(j["months"][0]["closing_mrr"], "100.00");
    assert!(run.stderr.contains("skip"), "{}", run.transcript());
    insta::assert_snapshot!(format!("exit: {:?}\n--- stderr\n{}", run.code, run.stderr));

    // The table states it too.
    let table = nrr_in(tmp.path(), &["report", "data", "--skip-invalid"]);
    table.assert_code(0);
    assert!(
        table.stdout.to_lowercase().contains("skipped"),
        "{}",
        table.transcript()
    );
}

/// `nrr check --skip-invalid`: the rejections are still listed, but the check passes (exit 0)
/// and says they are skipped, as `report --skip-invalid` would skip them.
#[test]
fn check_skip_invalid_lists_and_skips() {
    let tmp = items(&["beta,b-1,-5.00,USD,1,2024-01-01,,recurring"]);
    nrr_in(tmp.path(), &["check", "data"]).assert_code(1);
    let run = nrr_in(tmp.path(), &["check", "data", "--skip-invalid"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("items.csv:3:amount"),
        "{}",
        run.transcript()
    );
    assert!(
        run.stderr
            .contains("--skip-invalid: 1 row rejected, skipped"),
        "{}",
        run.transcript()
    );
    let json = nrr_in(
        tmp.path(),
        &["check", "data", "--skip-invalid", "--format", "json"],
    );
    json.assert_code(0);
    assert_eq!(json.json()["skipped_invalid_rows"], 1);
    let without = nrr_in(tmp.path(), &["check", "data", "--format", "json"]);
    assert_eq!(without.json()["skipped_invalid_rows"], 0);
}

mod usage {
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
}

mod check {
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
}

mod explain {
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
}

mod report {
    use super::*;

    const ARGS: &[&str] = &[
        "report",
        "tests/fixtures/worked_example_115",
        "--from",
        "2023-12",
        "--to",
        "2024-03",
    ];

    #[test]
    fn table_no_color() {
        let run = nrr(ARGS);
        run.assert_code(0);
        assert!(!run.stdout.contains('\u{1b}'), "escape codes with NO_COLOR");
        insta::assert_snapshot!(run.transcript());
    }

    /// `--sections all` shows every section, in the report's order; at 80 columns a table
    /// wider than that is cut into blocks that repeat its first column.
    #[test]
    fn every_section_at_80_columns() {
        let mut args = ARGS.to_vec();
        args.extend(["--sections", "all"]);
        let run = nrr(&args);
        run.assert_code(0);
        let mut at = 0;
        for title in [
            "Summary (USD)",
            "Retention by month",
            "Retention by quarter",
            "Metrics by quarter",
            "Expansion and contraction by reason",
            "Concentration",
            "Top customers",
            "MRR bridge by month",
            "Context",
        ] {
            let found = run.stdout[at..]
                .find(title)
                .unwrap_or_else(|| panic!("{title} after byte {at}:\n{}", run.stdout));
            at += found;
        }
        assert!(
            run.stdout.lines().all(|l| l.chars().count() <= 80),
            "lines within 80 columns:\n{}",
            run.stdout
        );
        insta::assert_snapshot!(run.transcript());
    }

    /// The demo's default report starts with the summary and fits 100 columns (80 when not a
    /// terminal, but for an address, which is never broken).
    #[test]
    fn the_demo_starts_with_the_summary_and_fits_100_columns() {
        let run = nrr(&["demo"]);
        run.assert_code(0);
        let first_section = run.stdout.split("\n\n").nth(1).unwrap_or("");
        assert!(first_section.starts_with("Summary (USD)"), "{}", run.stdout);
        for l in run.stdout.lines() {
            assert!(l.chars().count() <= 100, "over 100 columns: {l}");
        }
        assert!(run.stdout.lines().count() < 200, "{}", run.stdout);
        // Empty leading periods (no cohort) show no quick ratio or LTV.
        let all = nrr(&["demo", "--sections", "metrics"]);
        let q1: Vec<&str> = all
            .stdout
            .lines()
            .filter(|l| l.starts_with("2023-Q1"))
            .collect();
        assert!(!q1.is_empty(), "{}", all.stdout);
        assert!(q1.iter().all(|l| !l.contains("86.00")), "{}", all.stdout);
    }

    /// `--sections` shows only what is asked for, in the report's own order.
    #[test]
    fn chosen_sections_only() {
        let mut args = ARGS.to_vec();
        args.extend(["--sections", "bridge,summary"]);
        let run = nrr(&args);
        run.assert_code(0);
        let (summary, bridge) = (
            run.stdout.find("Summary (USD)").expect("summary"),
            run.stdout.find("MRR bridge by month").expect("bridge"),
        );
        assert!(summary < bridge);
        for absent in ["Retention by quarter", "Context", "Metrics by quarter"] {
            assert!(!run.stdout.contains(absent), "{absent}:\n{}", run.stdout);
        }
        let bad = nrr(&["report", "x", "--sections", "headline"]);
        bad.assert_code(2);
    }

    #[test]
    fn csv() {
        let mut args = ARGS.to_vec();
        args.extend(["--format", "csv"]);
        let run = nrr(&args);
        run.assert_code(0);
        insta::assert_snapshot!(run.transcript());
    }
}

mod movements {
    use super::*;

    /// `12.50` -> 12_500_000_000_000 (units of 10^-12): exact sums of the files' decimals.
    fn units(s: &str) -> i128 {
        let d = nrr_core::money::Decimal::parse(s, 12)
            .unwrap_or_else(|| panic!("`{s}` is not a decimal with at most 12 places"));
        i128::from(d.mantissa) * 10i128.pow(12 - d.decimals)
    }

    /// The CSV's records (header first).
    fn records(text: &str) -> Vec<Vec<String>> {
        ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.expect("CSV parses").iter().map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn csv_on_stdout() {
        let run = nrr(&[
            "movements",
            "tests/fixtures/top_customers",
            "--from",
            "2023-12",
            "--to",
            "2024-03",
        ]);
        run.assert_code(0);
        insta::assert_snapshot!(run.transcript());
    }

    /// Annual plans make thirds: amounts with more than 12 decimals are rounded at the 12th,
    /// down or up so that each month's and category's rows add up to its exact figure there
    /// (December's new is 166.666666666667: globex's row is rounded up); others keep exactly
    /// the decimals they have (10.005), at least 2.
    #[test]
    fn amounts_keep_up_to_twelve_decimals() {
        let run = nrr(&[
            "movements",
            "tests/fixtures/annual_plan",
            "--from",
            "2023-12",
            "--to",
            "2024-03",
        ]);
        run.assert_code(0);
        insta::assert_snapshot!(run.transcript());
    }

    /// A customer switching product gets moved_out / moved_in rows, their reason the cut.
    #[test]
    fn product_cut_with_moves() {
        let run = nrr(&[
            "movements",
            "tests/fixtures/segment_by_product",
            "--from",
            "2024-01",
            "--to",
            "2024-04",
            "--segment",
            "product",
        ]);
        run.assert_code(0);
        insta::assert_snapshot!(run.transcript());
    }

    /// For every month and category, the file's amounts sum exactly to the report's figure
    /// (in the totals and in each segment value), fx and a multi-currency fixture included.
    #[test]
    fn rows_sum_to_the_report_figures() {
        for fixture in [
            "fx_expansion_same_month",
            "segments",
            "reactivation_as_expansion",
            "invoices_pause_zero",
        ] {
            // Both commands take the fixture's arguments (--segment included).
            let dir = format!("tests/fixtures/{fixture}");
            let args_txt =
                std::fs::read_to_string(repo_root().join(&dir).join("args.txt")).expect("args.txt");
            let run = |cmd: &[&str]| {
                let a: Vec<&str> = cmd
                    .iter()
                    .copied()
                    .chain(args_txt.split_whitespace())
                    .collect();
                let r = nrr(&a);
                r.assert_code(0);
                r
            };
            let json = run(&["report", &dir, "--format", "json"]).json();
            let rows = records(&run(&["movements", &dir]).stdout);
            let (header, rows) = rows.split_first().expect("a header");
            let col = |n: &str| header.iter().position(|h| h == n).expect(n);
            let seg_col = header.iter().position(|h| h.starts_with("segment_"));
            let mut scopes = vec![(None, json.clone())];
            if let Some(values) = json["segments"]["values"].as_object() {
                scopes.extend(values.iter().map(|(k, v)| (Some(k.clone()), v.clone())));
            }
            for (scope, figures) in scopes {
                for month in figures["months"].as_array().expect("months") {
                    let m = month["month"].as_str().unwrap();
                    for cat in [
                        "new",
                        "reactivation",
                        "expansion",
                        "contraction",
                        "churn",
                        "paused",
                        "resumed",
                        "fx",
                    ] {
                        let sum: i128 = rows
                            .iter()
                            .filter(|r| r[col("month")] == m && r[col("category")] == cat)
                            .filter(|r| scope.as_ref().is_none_or(|v| &r[seg_col.unwrap()] == v))
                            .map(|r| units(&r[col("amount")]))
                            .sum();
                        // The exact figure: `exact` holds it where the shown cents differ.
                        let want = month["exact"][cat]
                            .as_str()
                            .or(month[cat].as_str())
                            .map_or(0, units);
                        assert_eq!(sum, want, "{fixture} {scope:?} {m} {cat}");
                    }
                }
            }
        }
    }

    /// `nrr movements data | head -1`: a reader that stops early is not an error (exit 0,
    /// nothing on standard error), as for `report`.
    #[test]
    fn a_closed_pipe_ends_quietly() {
        use std::io::{BufRead, BufReader};
        let tmp = tempfile::tempdir().unwrap();
        nrr_in(
            tmp.path(),
            &[
                "generate",
                "--customers",
                "3000",
                "--months",
                "24",
                "--out",
                "data",
            ],
        )
        .assert_code(0);
        let mut child = Command::new(env!("CARGO_BIN_EXE_nrr"))
            .args(["movements", "data"])
            .current_dir(tmp.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("running nrr");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.starts_with("month,customer_id"), "{first}");
        // The reader is dropped: the rest (far more than a pipe holds) has nowhere to go.
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn output_file_by_extension() {
        let tmp = tempfile::tempdir().unwrap();
        let fixture = repo_root().join("tests/fixtures/segments");
        let fixture = fixture.to_str().unwrap();
        let stdout = nrr_in(tmp.path(), &["movements", fixture, "--segment", "region"]);
        stdout.assert_code(0);
        let to_file = nrr_in(
            tmp.path(),
            &["movements", fixture, "--segment", "region", "-o", "m.csv"],
        );
        to_file.assert_code(0);
        assert!(to_file.stdout.is_empty(), "{}", to_file.transcript());
        let written = std::fs::read_to_string(tmp.path().join("m.csv")).unwrap();
        assert_eq!(written, stdout.stdout);

        let bad = nrr_in(tmp.path(), &["movements", fixture, "-o", "m.xlsx"]);
        bad.assert_code(2);
        assert!(
            bad.stderr
                .contains("`m.xlsx` does not end in .csv or .parquet"),
            "{}",
            bad.transcript()
        );
        assert!(!tmp.path().join("m.xlsx").exists());
    }

    /// `-o x.parquet`: typed columns (Decimal128(38, 12) amounts, strings elsewhere, reason
    /// null when empty) holding the CSV's values, row for row.
    #[cfg(feature = "parquet")]
    #[test]
    fn parquet_round_trip() {
        use arrow_array::{Array, Decimal128Array, StringArray};
        use arrow_schema::DataType;
        let tmp = tempfile::tempdir().unwrap();
        let fixture = repo_root().join("tests/fixtures/fx_expansion_same_month");
        let fixture = fixture.to_str().unwrap();
        let args = [
            "movements",
            fixture,
            "--currency",
            "USD",
            "--from",
            "2023-12",
        ];
        let csv = nrr_in(tmp.path(), &args);
        csv.assert_code(0);
        let mut with_o = args.to_vec();
        with_o.extend(["-o", "m.parquet"]);
        nrr_in(tmp.path(), &with_o).assert_code(0);

        let file = std::fs::File::open(tmp.path().join("m.parquet")).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        let mut back: Vec<Vec<String>> = Vec::new();
        let mut header: Vec<String> = Vec::new();
        for batch in reader {
            let batch = batch.unwrap();
            let schema = batch.schema();
            header = schema.fields().iter().map(|f| f.name().clone()).collect();
            for (f, want) in schema.fields().iter().zip([
                DataType::Utf8,
                DataType::Utf8,
                DataType::Utf8,
                DataType::Utf8,
                DataType::Decimal128(38, 12),
                DataType::Decimal128(38, 12),
            ]) {
                assert_eq!(f.data_type(), &want, "column {}", f.name());
            }
            for i in 0..batch.num_rows() {
                let row = (0..batch.num_columns())
                    .map(|c| {
                        let a = batch.column(c);
                        if let Some(s) = a.as_any().downcast_ref::<StringArray>() {
                            if s.is_null(i) {
                                String::new()
                            } else {
                                s.value(i).to_string()
                            }
                        } else {
                            let d = a.as_any().downcast_ref::<Decimal128Array>().unwrap();
                            nrr_core::money::Money {
                                units: d.value(i),
                                denominator: 10i128.pow(12),
                            }
                            .decimal_text(12)
                            .unwrap()
                        }
                    })
                    .collect();
                back.push(row);
            }
        }
        let want = records(&csv.stdout);
        assert_eq!(header, want[0]);
        assert_eq!(back, want[1..]);
        assert!(back.iter().any(|r| r[2] == "fx" && r[3].is_empty()));
    }
}

mod top {
    use super::*;

    #[test]
    fn top_zero_turns_the_lists_off() {
        let args = ["report", "tests/fixtures/top_customers", "--top", "0"];
        let json = nrr(&[&args[..], &["--format", "json"]].concat());
        json.assert_code(0);
        assert!(
            !json.stdout.contains("top_customers"),
            "{}",
            json.transcript()
        );
        // Concentration does not depend on the lists.
        assert!(json.stdout.contains("\"concentration\""));
        let table = nrr(&args);
        table.assert_code(0);
        assert!(
            !table.stdout.contains("Top customers"),
            "{}",
            table.transcript()
        );
    }

    /// Ids are user-typed: an escape code or a newline in one is shown escaped in the table
    /// (JSON keeps it whole), and a very long one is cut.
    #[test]
    fn ids_are_escaped_and_cut_in_the_table() {
        let long = "x".repeat(60);
        let rows = [
            ITEMS_HEADER.to_string(),
            "\"red\u{1b}[31m\",s1,500.00,USD,1,2024-01-01,2024-03-01,recurring".to_string(),
            format!("{long},s2,100.00,USD,1,2024-01-01,2024-03-01,recurring"),
            "\"two\nlines\",s3,50.00,USD,1,2024-01-01,,recurring".to_string(),
        ];
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let tmp = data_dir(&[("items.csv", &rows)]);
        // The `top` section is one of the default ones.
        let run = nrr_in(
            tmp.path(),
            &[
                "report", "data", "--from", "2024-01", "--to", "2024-03", "--top", "5",
            ],
        );
        run.assert_code(0);
        assert!(!run.stdout.contains('\u{1b}'), "{}", run.transcript());
        let section = run
            .stdout
            .split("Top customers")
            .nth(1)
            .expect("a Top customers section");
        assert!(section.contains("red\\u{1b}[31m"), "{section}");
        // At 80 columns (not a terminal) ids get 80 - 52 = 28 characters.
        assert!(
            section.contains(&format!("{}...", "x".repeat(25))),
            "{section}"
        );
        assert!(!section.contains(&"x".repeat(26)), "{section}");
        assert!(!section.contains(&long));
        // The section ends at the next blank line; none of its lines is over 80 columns.
        let section = section.split("\n\n").next().unwrap_or_default();
        for line in section.lines() {
            assert!(line.chars().count() <= 80, "longer than 80 columns: {line}");
        }
        let off = nrr_in(
            tmp.path(),
            &["report", "data", "--from", "2024-01", "--top", "0"],
        );
        assert!(
            !off.stdout.contains("Top customers"),
            "{}",
            off.transcript()
        );
        let json = nrr_in(
            tmp.path(),
            &[
                "report", "data", "--from", "2024-01", "--to", "2024-03", "--format", "json",
            ],
        );
        assert!(json.stdout.contains(&long));
    }
}

mod cohorts {
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
}

mod segment_cuts {
    use super::*;

    const ARGS: &[&str] = &[
        "report",
        "tests/fixtures/segments",
        "--from",
        "2023-12",
        "--to",
        "2024-03",
        "--segment",
        "segment",
        "--segment",
        "region",
    ];

    fn cents(v: &Value) -> i64 {
        let s = v.as_str().expect("money string");
        let (i, f) = s.split_once('.').expect("two decimals");
        let sign = if i.starts_with('-') { -1 } else { 1 };
        i.parse::<i64>().unwrap() * 100 + sign * f.parse::<i64>().unwrap()
    }

    #[test]
    fn compact_table_per_cut() {
        let run = nrr(ARGS);
        run.assert_code(0);
        let view: String = run
            .stdout
            .lines()
            .skip_while(|l| !l.starts_with("Retention by segment"))
            .collect::<Vec<_>>()
            .join("\n");
        insta::assert_snapshot!(view);
    }

    #[test]
    fn every_cut_partitions_the_totals() {
        let json = nrr(&[ARGS, &["--format", "json"]].concat()).json();
        let cuts = json["segment_cuts"].as_array().unwrap();
        assert_eq!(cuts.len(), 2);
        assert_eq!(json["segments"], cuts[0], "`segments` is the first cut");
        for cut in cuts {
            for (i, total) in json["periods"].as_array().unwrap().iter().enumerate() {
                for key in [
                    "starting_mrr",
                    "expansion",
                    "contraction",
                    "churn",
                    "ending_cohort_mrr",
                ] {
                    let sum: i64 = cut["values"]
                        .as_object()
                        .unwrap()
                        .values()
                        .map(|f| cents(&f["periods"][i][key]))
                        .sum();
                    // Each segment's figure is rounded on its own: allow a cent per value.
                    let n = cut["values"].as_object().unwrap().len() as i64;
                    assert!(
                        (sum - cents(&total[key])).abs() <= n,
                        "{} {} {key}",
                        cut["column"],
                        total["period"]
                    );
                }
                let count: u64 = cut["values"]
                    .as_object()
                    .unwrap()
                    .values()
                    .map(|f| f["periods"][i]["cohort_customers"].as_u64().unwrap())
                    .sum();
                assert_eq!(count, total["cohort_customers"].as_u64().unwrap());
            }
        }
        let csv = nrr(&[ARGS, &["--format", "csv"]].concat());
        assert!(
            csv.stdout.contains("\nregion=apac,2024-Q1,"),
            "{}",
            csv.stdout
        );
    }
}

mod annotations {
    use super::*;

    const ITEMS: &[&str] = &[
        "customer_id,amount,start_date,end_date",
        "acme,100.00,2024-01-01,",
        "globex,50.00,2024-01-01,2024-03-01",
    ];

    fn data(notes: &[&str]) -> TempDir {
        data_dir(&[("items.csv", ITEMS), ("annotations.csv", notes)])
    }

    const NOTES: &[&str] = &[
        "period,customer_id,note",
        "2024-03,globex,Moved to an in-house tool",
        "2024-Q1,,Price list unchanged",
        "2024-03,,Billing migration",
    ];

    #[test]
    fn notes_travel_with_the_figures_in_every_format() {
        let tmp = data(NOTES);
        let args = ["report", "data", "--from", "2024-01", "--to", "2024-03"];
        let table = nrr_in(tmp.path(), &args);
        table.assert_code(0);
        insta::assert_snapshot!(table.transcript());

        let json = nrr_in(tmp.path(), &[&args[..], &["--format", "json"]].concat()).json();
        let march = &json["months"][2];
        assert_eq!(march["month"], "2024-03");
        assert_eq!(march["notes"][0]["customer_id"], "globex");
        assert_eq!(march["notes"][1]["note"], "Billing migration");
        let q1 = json["periods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["period"] == "2024-Q1")
            .unwrap();
        assert_eq!(q1["notes"][0]["note"], "Price list unchanged");
        assert!(
            json["months"][0].get("notes").is_none(),
            "no notes key without notes"
        );

        let csv = nrr_in(tmp.path(), &[&args[..], &["--format", "csv"]].concat());
        let q1_line = csv
            .stdout
            .lines()
            .find(|l| l.starts_with("2024-Q1,"))
            .unwrap();
        assert!(q1_line.ends_with(",Price list unchanged"), "{q1_line}");
        assert!(csv.stdout.lines().next().unwrap().ends_with(",notes"));
    }

    #[test]
    fn explain_shows_the_customer_and_general_notes() {
        let tmp = data(NOTES);
        let run = nrr_in(
            tmp.path(),
            &[
                "explain",
                "data",
                "--customer",
                "globex",
                "--from",
                "2024-01",
                "--to",
                "2024-03",
            ],
        );
        run.assert_code(0);
        assert!(
            run.stdout
                .contains("# globex: Moved to an in-house tool | Billing migration"),
            "{}",
            run.stdout
        );
        let acme = nrr_in(
            tmp.path(),
            &["explain", "data", "--customer", "acme", "--format", "json"],
        )
        .json();
        let march = acme["months"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["month"] == "2024-03")
            .unwrap();
        assert_eq!(
            march["notes"].as_array().unwrap().len(),
            1,
            "only the general note for acme"
        );
    }

    #[test]
    fn bad_annotation_rows_are_rejected() {
        let tmp = data(&[
            "period,customer_id,note",
            "2024-13,,x",
            "2024-Q5,,y",
            "2024-02,,",
        ]);
        let run = nrr_in(tmp.path(), &["report", "data"]);
        run.assert_code(1);
        insta::assert_snapshot!(run.transcript());
    }
}

#[test]
fn help_has_examples() {
    for args in [
        &["--help"][..],
        &["report", "--help"],
        &["explain", "--help"],
        &["check", "--help"],
        &["generate", "--help"],
        &["demo", "--help"],
        &["cohorts", "--help"],
        &["movements", "--help"],
    ] {
        let run = nrr(args);
        run.assert_code(0);
        assert!(
            run.stdout.contains("Examples"),
            "`nrr {}` has no examples:\n{}",
            args.join(" "),
            run.stdout
        );
    }
}

/// All files of a directory, by name.
fn read_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("reading a generated directory")
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn generate_is_deterministic_and_reportable() {
    let tmp = tempfile::tempdir().unwrap();
    let gen = |out: &str| {
        nrr_in(
            tmp.path(),
            &[
                "generate",
                "--customers",
                "50",
                "--months",
                "12",
                "--seed",
                "3",
                "--out",
                out,
            ],
        )
        .assert_code(0);
    };
    gen("a");
    gen("b");
    let a = read_files(&tmp.path().join("a"));
    let b = read_files(&tmp.path().join("b"));
    assert!(a.contains_key("items.csv"), "files: {:?}", a.keys());
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "different file sets"
    );
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between two runs");
    }

    let run = nrr_in(
        tmp.path(),
        &["report", "a", "--currency", "USD", "--format", "json"],
    );
    run.assert_code(0);
    let j = run.json();
    let rows = &j["rows"];
    let n = |v: &Value| v.as_u64().expect("a count");
    let excluded: u64 = rows["excluded"]
        .as_object()
        .expect("excluded")
        .values()
        .map(n)
        .sum();
    assert_eq!(
        n(&rows["read"]),
        n(&rows["used"]) + excluded + n(&rows["rejected"]),
        "ledger does not add up: {rows}"
    );
    assert!(n(&rows["used"]) > 0);
}

#[test]
fn demo_prints_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let run = nrr_in(tmp.path(), &["demo", "demo-data", "--customers", "200"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("Retention by quarter"),
        "{}",
        run.transcript()
    );
    assert!(tmp.path().join("demo-data/items.csv").is_file());
}

/// invoices.csv and subscription_events.csv: rejections, source detection, the policy flags.
mod invoices {
    use super::*;

    /// Header of the invoices.csv files written by these tests.
    pub(super) const HEADER: &str = "invoice_id,customer_id,line_id,type,subscription_id,product,plan,quantity,amount,discount,tax,currency,service_period_start,service_period_end,invoice_date";
    /// A valid row, so that each case has exactly one bad row (at line 3).
    pub(super) const GOOD: &str = "in-1,acme,l1,subscription,sub-1,platform,pro,1,100.00,,,USD,2024-01-01,2024-02-01,2024-01-01";

    /// `data/invoices.csv` with the header, a good row and then `rows`, and, when `events` is
    /// not empty, `data/subscription_events.csv` with them.
    fn invoices(rows: &[&str], events: &[&str]) -> TempDir {
        let mut lines = vec![HEADER, GOOD];
        lines.extend_from_slice(rows);
        let mut ev = vec!["subscription_id,event,effective_date"];
        ev.extend_from_slice(events);
        if events.is_empty() {
            data_dir(&[("invoices.csv", &lines)])
        } else {
            data_dir(&[("invoices.csv", &lines), ("subscription_events.csv", &ev)])
        }
    }

    macro_rules! invoice_rejections {
        ($($name:ident: [$($row:expr),* $(,)?] $(, events = [$($ev:expr),*])?;)*) => {
            $(
                #[test]
                fn $name() {
                    let events: &[&str] = &[$($($ev),*)?];
                    let tmp = invoices(&[$($row),*], events);
                    insta::assert_snapshot!(
                        concat!("invoices_", stringify!($name)),
                        rejected(&tmp, &[])
                    );
                }
            )*
        };
    }

    invoice_rejections! {
        amount_not_a_number: ["in-2,beta,l1,subscription,sub-2,platform,pro,1,12.5.0,,,USD,2024-01-01,2024-02-01,2024-01-01"];
        amount_missing: ["in-2,beta,l1,subscription,sub-2,platform,pro,1,,,,USD,2024-01-01,2024-02-01,2024-01-01"];
        discount_not_a_number: ["in-2,beta,l1,subscription,sub-2,platform,pro,1,100.00,ten,,USD,2024-01-01,2024-02-01,2024-01-01"];
        discount_above_amount: ["in-2,beta,l1,subscription,sub-2,platform,pro,1,100.00,120.00,,USD,2024-01-01,2024-02-01,2024-01-01"];
        negative_subscription_amount: ["in-2,beta,l1,subscription,sub-2,platform,pro,1,-100.00,,,USD,2024-01-01,2024-02-01,2024-01-01"];
        unknown_type: ["in-2,beta,l1,discount,sub-2,platform,pro,1,100.00,,,USD,2024-01-01,2024-02-01,2024-01-01"];
        period_end_before_start: ["in-2,beta,l1,subscription,sub-2,platform,pro,1,100.00,,,USD,2024-02-01,2024-01-01,2024-01-01"];
        period_end_equal_to_start: ["in-2,beta,l1,proration,sub-2,platform,pro,1,40.00,,,USD,2024-01-15,2024-01-15,2024-01-15"];
        period_start_not_a_day: ["in-2,beta,l1,subscription,sub-2,platform,pro,1,100.00,,,USD,2024-02-30,2024-03-30,2024-01-01"];
        subscription_without_id: ["in-2,beta,l1,subscription,,platform,pro,1,100.00,,,USD,2024-01-01,2024-02-01,2024-01-01"];
        quantity_not_an_integer: ["in-2,beta,l1,subscription,sub-2,platform,pro,2.5,100.00,,,USD,2024-01-01,2024-02-01,2024-01-01"];
        unknown_event: [], events = ["sub-1,cancelled,2024-01-20"];
        event_date_not_a_day: [], events = ["sub-1,canceled,2024-01-32"];
    }

    /// A refund, credit, tax, usage or one-time line may carry a negative amount and no
    /// service period: it is excluded with its reason, never rejected.
    #[test]
    fn non_recurring_lines_are_excluded_by_type() {
        let tmp = invoices(
            &[
                "in-1,acme,l2,tax,,,,,20.00,,,USD,,,2024-01-01",
                "cn-1,acme,l1,credit,sub-1,platform,pro,1,-30.00,,,USD,,,2024-01-10",
                "re-1,acme,l1,refund,sub-1,platform,pro,1,-100.00,,,USD,,,2024-01-12",
                "in-1,acme,l3,usage,sub-1,api,calls,1000,12.34,,,USD,2024-01-01,2024-02-01,2024-01-01",
                "in-1,acme,l4,one_time,,onboarding,setup,1,500.00,,,USD,,,2024-01-01",
                "in-2,beta,l1,subscription,sub-2,platform,trial,1,0.00,,,USD,2024-01-01,2024-01-15,2024-01-01",
            ],
            &["sub-9,canceled,2024-01-20"],
        );
        let run = nrr_in(tmp.path(), &["check", "data", "--format", "json"]);
        run.assert_code(0);
        let j = run.json();
        assert_eq!(
            j["rows"],
            serde_json::json!({
                "read": 8, "used": 1, "rejected": 0,
                "excluded": {
                    "one_time": 1, "zero_amount": 1, "zero_length": 0, "tax": 1,
                    "credit": 1, "refund": 1, "usage": 1, "unknown_subscription": 1
                }
            }),
            "{}",
            run.transcript()
        );
        assert_eq!(
            j["inputs"],
            serde_json::json!(["invoices.csv", "subscription_events.csv"])
        );
        let table = nrr_in(tmp.path(), &["check", "data"]);
        insta::assert_snapshot!(table.transcript());
    }

    #[test]
    fn items_and_invoices_together_need_source() {
        let tmp = data_dir(&[
            ("items.csv", &[ITEMS_HEADER, GOOD_ROW]),
            ("invoices.csv", &[HEADER, GOOD]),
        ]);
        let picks: &[(&str, &[&str])] =
            &[("invoices", &["invoices.csv"]), ("items", &["items.csv"])];
        insta::assert_snapshot!(needs_source(&tmp, &["items.csv", "invoices.csv"], picks));
    }

    #[test]
    fn source_that_is_not_there() {
        let tmp = data_dir(&[("items.csv", &[ITEMS_HEADER, GOOD_ROW])]);
        let run = nrr_in(tmp.path(), &["report", "data", "--source", "invoices"]);
        run.assert_code(2);
        insta::assert_snapshot!(run.transcript());
    }

    #[test]
    fn one_invoices_file_given_directly() {
        let tmp = invoices(&[], &[]);
        let run = nrr_in(
            tmp.path(),
            &["report", "data/invoices.csv", "--format", "json"],
        );
        run.assert_code(0);
        assert_eq!(run.json()["months"][0]["closing_mrr"], "100.00");
    }

    /// Policies apply to invoices.csv only: any other value than the default is a usage error
    /// with items.csv; the default itself is accepted.
    #[test]
    fn invoice_policies_with_items_are_usage_errors() {
        let tmp = items(&[]);
        for flag in [
            &["--churn-recognition", "at-request"][..],
            &["--discounts", "none"],
            &["--past-due", "churn"],
            &["--pauses", "churn"],
            &["--full-refunds", "end-service"],
        ] {
            let mut args = vec!["report", "data"];
            args.extend_from_slice(flag);
            let run = nrr_in(tmp.path(), &args);
            run.assert_code(2);
            assert!(
                run.stderr.contains("applies to invoices.csv only"),
                "{}",
                run.transcript()
            );
        }
        let run = nrr_in(
            tmp.path(),
            &[
                "report",
                "data",
                "--discounts",
                "all",
                "--past-due",
                "keep:30",
            ],
        );
        run.assert_code(0);
        let run = nrr_in(tmp.path(), &["report", "data", "--discounts", "none"]);
        insta::assert_snapshot!(run.transcript());
    }

    #[test]
    fn forever_only_discounts_cannot_be_decided_from_invoices() {
        let tmp = invoices(&[], &[]);
        let run = nrr_in(
            tmp.path(),
            &["report", "data", "--discounts", "forever-only"],
        );
        run.assert_code(2);
        insta::assert_snapshot!(run.transcript());
    }

    #[test]
    fn malformed_past_due_is_a_usage_error() {
        let tmp = invoices(&[], &[]);
        let run = nrr_in(tmp.path(), &["report", "data", "--past-due", "keep:soon"]);
        run.assert_code(2);
        assert!(run.stderr.contains("keep:N"), "{}", run.transcript());
    }

    #[test]
    fn policies_are_echoed_in_json_and_table() {
        let tmp = invoices(&[], &[]);
        let run = nrr_in(
            tmp.path(),
            &[
                "report",
                "data",
                "--format",
                "json",
                "--churn-recognition",
                "at-cancellation",
                "--discounts",
                "none",
                "--past-due",
                "keep:14",
                "--pauses",
                "churn",
                "--full-refunds",
                "end-service",
            ],
        );
        run.assert_code(0);
        assert_eq!(
            run.json()["policies"],
            serde_json::json!({
                "churn_recognition": "at-cancellation", "reactivation": "any-gap",
                "fx": "constant-currency", "snapshot": "month-end", "discounts": "none",
                "past_due": "keep:14", "pauses": "churn", "full_refunds": "end-service"
            })
        );
        let table = nrr_in(tmp.path(), &["report", "data"]);
        assert!(
            table.unwrapped().contains(
                "invoice policies: discounts all, past-due keep:30, pauses keep, full-refunds ignore"
            ),
            "{}",
            table.transcript()
        );
    }

    #[test]
    fn help_names_the_policy_values_and_defaults() {
        for cmd in ["report", "check", "explain"] {
            let run = nrr(&[cmd, "--help"]);
            run.assert_code(0);
            for needle in [
                "--source",
                "--churn-recognition",
                "at-period-end",
                "at-cancellation",
                "at-request",
                "--discounts",
                "forever-only",
                "--past-due",
                "keep:30",
                "--pauses",
                "--full-refunds",
                "end-service",
                "docs/policies.md",
            ] {
                assert!(
                    run.stdout.contains(needle),
                    "`nrr {cmd} --help` does not mention {needle}:\n{}",
                    run.stdout
                );
            }
        }
    }
}

/// Stripe exports (subscriptions.json / .jsonl, invoices.json): bad input names the file, the
/// object's line, the object id and the JSON path of the field.
mod stripe {
    use super::*;

    /// A valid subscription object on one line, with `{price}` and `{extra}` to fill in.
    fn sub(id: &str, fields: &str, price: &str) -> String {
        format!(
            r#"{{"id": "{id}", "object": "subscription", "customer": "cus_1", "status": "active", "start_date": 1704067200, "current_period_start": 1706745600, "current_period_end": 1709251200{fields}, "items": {{"object": "list", "data": [{{"id": "si_1", "quantity": 1{price}}}]}}}}"#
        )
    }

    const PRICE: &str = r#", "price": {"id": "price_1", "product": "prod_1", "currency": "usd", "unit_amount": 10000, "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"}}"#;

    /// `data/subscriptions.json`: an array holding a good subscription and then `objects`,
    /// one per line.
    fn subs(objects: &[String]) -> TempDir {
        let mut lines = vec!["[".to_string(), format!("{},", sub("sub_good", "", PRICE))];
        let n = objects.len();
        for (i, o) in objects.iter().enumerate() {
            lines.push(if i + 1 < n {
                format!("{o},")
            } else {
                o.clone()
            });
        }
        if n == 0 {
            lines[1].pop();
        }
        lines.push("]".into());
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        data_dir(&[("subscriptions.json", &refs)])
    }

    #[test]
    fn malformed_json() {
        let tmp = data_dir(&[(
            "subscriptions.json",
            &[
                "[",
                &format!("{},", sub("sub_1", "", PRICE)),
                r#"{"id": "sub_2" "status": "active"}"#,
                "]",
            ],
        )]);
        insta::assert_snapshot!(rejected(&tmp, &[]));
    }

    #[test]
    fn malformed_jsonl_line() {
        let good = sub("sub_1", "", PRICE);
        let tmp = data_dir(&[(
            "subscriptions.jsonl",
            &[&good, r#"{"id": "sub_2", "status": "active""#],
        )]);
        insta::assert_snapshot!(rejected(&tmp, &[]));
    }

    #[test]
    fn unknown_status() {
        let tmp = subs(&[sub("sub_2", "", PRICE).replace("\"active\"", "\"expired\"")]);
        insta::assert_snapshot!(rejected(&tmp, &[]));
    }

    #[test]
    fn unknown_interval() {
        let tmp = subs(&[sub(
            "sub_123",
            "",
            &PRICE.replace("\"month\"", "\"fortnight\""),
        )]);
        insta::assert_snapshot!(rejected(&tmp, &[]));
    }

    #[test]
    fn period_end_before_start() {
        let tmp = subs(&[sub("sub_2", "", PRICE).replace("1709251200", "1704067200")]);
        insta::assert_snapshot!(rejected(&tmp, &[]));
    }

    #[test]
    fn missing_price() {
        let tmp = subs(&[sub("sub_2", "", "")]);
        insta::assert_snapshot!(rejected(&tmp, &[]));
    }

    #[test]
    fn invoice_line_period_end_before_start() {
        let tmp = subs(&[]);
        let inv = r#"[{"id": "in_1", "customer": "cus_1", "subscription": "sub_good", "currency": "usd", "created": 1704067200, "lines": {"data": [{"id": "il_1", "type": "subscription", "amount": 10000, "quantity": 1, "period": {"start": 1706745600, "end": 1704067200}}]}}]"#;
        std::fs::write(tmp.path().join("data/invoices.json"), inv).unwrap();
        insta::assert_snapshot!(rejected(&tmp, &[]));
    }

    /// A credit note with a wrong object type, one with a negative amount and a malformed
    /// line of refunds.jsonl: each a rejection naming the file, line, id and JSON path.
    #[test]
    fn bad_credit_note() {
        let tmp = subs(&[]);
        let notes = [
            "[",
            r#"{"id": "cn_1", "object": "credit_note", "amount": 1000, "currency": "usd", "created": 1706745600},"#,
            r#"{"id": "re_1", "object": "refund", "amount": 1000, "currency": "usd", "created": 1706745600},"#,
            r#"{"id": "cn_3", "object": "credit_note", "amount": -500, "currency": "usd", "created": 1706745600}"#,
            "]",
        ];
        std::fs::write(tmp.path().join("data/credit_notes.json"), notes.join("\n")).unwrap();
        let refunds = r#"{"id": "re_2", "object": "refund", "amount": 1000 "currency": "usd"}"#;
        std::fs::write(tmp.path().join("data/refunds.jsonl"), refunds).unwrap();
        insta::assert_snapshot!(rejected(&tmp, &[]));
        // With --skip-invalid the good credit note is counted as excluded `credit`.
        let run = nrr_in(
            tmp.path(),
            &["report", "data", "--skip-invalid", "--format", "json"],
        );
        run.assert_code(0);
        let j = run.json();
        assert_eq!(
            j["inputs"],
            serde_json::json!(["subscriptions.json", "credit_notes.json", "refunds.jsonl"])
        );
        assert_eq!(j["rows"]["read"], 5, "{}", run.transcript());
        assert_eq!(j["rows"]["rejected"], 3);
        assert_eq!(j["rows"]["excluded"]["credit"], 1);
        assert_eq!(j["months"][0]["closing_mrr"], "100.00");
    }

    /// `--timezone` decides the month of a timestamp near midnight: 2024-03-31T22:30:00Z is
    /// 2024-04-01 00:30 in Europe/Paris (summer time since that morning), 2024-03-31 in UTC
    /// and at +01:00 (Paris's winter offset).
    #[test]
    fn named_timezone_decides_the_month() {
        let start = 1_711_924_200; // 2024-03-31T22:30:00Z
        let end = 1_714_516_200; // 2024-04-30T22:30:00Z
        let obj = format!(
            r#"[{{"id": "sub_paris", "object": "subscription", "customer": "cus_paris", "status": "active", "start_date": {start}, "current_period_start": {start}, "current_period_end": {end}, "items": {{"data": [{{"id": "si_1", "quantity": 1{PRICE}}}]}}}}]"#
        );
        let tmp = data_dir(&[("subscriptions.json", &[&obj])]);
        let new_in = |tz: &str| {
            let window = ["--from", "2024-03", "--to", "2024-04", "--format", "json"];
            let mut args = vec!["report", "data", "--timezone", tz];
            args.extend(window);
            let run = nrr_in(tmp.path(), &args);
            run.assert_code(0);
            let months = run.json()["months"].clone();
            let new: Vec<(String, String)> = months
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    let s = |k: &str| m[k].as_str().unwrap().to_string();
                    (s("month"), s("new"))
                })
                .collect();
            new
        };
        let march = vec![
            ("2024-03".to_string(), "100.00".to_string()),
            ("2024-04".to_string(), "0.00".to_string()),
        ];
        let april = vec![
            ("2024-03".to_string(), "0.00".to_string()),
            ("2024-04".to_string(), "100.00".to_string()),
        ];
        assert_eq!(new_in("UTC"), march);
        assert_eq!(new_in("+01:00"), march);
        assert_eq!(new_in("Europe/Paris"), april);
        assert_eq!(new_in("+02:00"), april);
        // A name that is no zone is a usage error naming the accepted forms.
        let bad = ["report", "data", "--timezone", "Europe/Pariss"];
        let run = nrr_in(tmp.path(), &bad);
        run.assert_code(2);
        assert!(
            run.stderr.contains("IANA time zone name like Europe/Paris"),
            "{}",
            run.transcript()
        );
    }

    #[test]
    fn good_export_is_detected_and_reported() {
        let tmp = subs(&[]);
        let run = nrr_in(tmp.path(), &["report", "data", "--format", "json"]);
        run.assert_code(0);
        let j = run.json();
        assert_eq!(j["inputs"], serde_json::json!(["subscriptions.json"]));
        assert_eq!(
            j["months"][0]["closing_mrr"],
            "100.00",
            "{}",
            run.transcript()
        );
        // --source stripe picks it too; --timezone is for Stripe only.
        let run = nrr_in(
            tmp.path(),
            &[
                "check",
                "data",
                "--source",
                "stripe",
                "--timezone",
                "+02:00",
            ],
        );
        run.assert_code(0);
        let tmp2 = items(&[]);
        for tz in ["+02:00", "Europe/Paris"] {
            let run = nrr_in(tmp2.path(), &["report", "data", "--timezone", tz]);
            run.assert_code(2);
            assert!(
                run.stderr.contains("Stripe exports only"),
                "{}",
                run.transcript()
            );
        }
    }

    /// A Stripe export beside items.csv: two kinds of input, `--source` picks one.
    #[test]
    fn stripe_and_items_together_need_source() {
        let tmp = subs(&[]);
        write_data(&tmp, "items.csv", &[ITEMS_HEADER, GOOD_ROW]);
        let picks: &[(&str, &[&str])] = &[
            ("stripe", &["subscriptions.json"]),
            ("items", &["items.csv"]),
        ];
        let found = ["items.csv", "subscriptions.json"];
        insta::assert_snapshot!(needs_source(&tmp, &found, picks));
    }
}

mod presets {
    use super::*;

    const DATA: &str = "tests/fixtures/reactivation_any_gap";

    /// `--preset` sets the reactivation rule and is echoed; a flag given on the command line
    /// wins over it.
    #[test]
    fn preset_sets_the_policies_and_a_flag_wins() {
        let run = nrr(&["report", DATA, "--preset", "maxio", "--format", "json"]);
        run.assert_code(0);
        let p = &run.json()["policies"];
        assert_eq!(p["preset"], "maxio");
        assert_eq!(p["reactivation"], "window:3");

        let run = nrr(&[
            "report",
            DATA,
            "--preset",
            "maxio",
            "--reactivation",
            "any-gap",
            "--format",
            "json",
        ]);
        run.assert_code(0);
        assert_eq!(run.json()["policies"]["reactivation"], "any-gap");
    }

    /// items.csv already holds the reader policies' result: a preset's reader policies do not
    /// apply to it (no usage error), while the same flag given explicitly is refused.
    #[test]
    fn reader_policies_of_a_preset_do_not_apply_to_items() {
        nrr(&["report", DATA, "--preset", "stripe", "--format", "json"]).assert_code(0);
        nrr(&["report", DATA, "--churn-recognition", "at-cancellation"]).assert_code(2);
    }

    #[test]
    fn unknown_reactivation_rule() {
        let run = nrr(&["report", DATA, "--reactivation", "window"]);
        run.assert_code(2);
        insta::assert_snapshot!(run.transcript());
    }

    /// `nrr compare DATA --preset A --preset B` over 2024-01 to 2024-06, in `format`.
    fn compare(data: &str, presets: [&str; 2], format: &str) -> Run {
        let [a, b] = presets;
        let window = ["--from", "2024-01", "--to", "2024-06"];
        let args = [
            &["compare", data, "--preset", a, "--preset", b][..],
            &window,
        ];
        let run = nrr(&[&args.concat()[..], &["--format", format]].concat());
        run.assert_code(0);
        run
    }

    /// What a comparison must show, hand-checked from the fixture's NOTES.md.
    struct Expected<'a> {
        /// The policies on which the presets differ (JSON keys; the table marks these rows,
        /// and only these, `differs`).
        differing: &'a [&'a str],
        /// Movement figures over the window: (figure, side A, side B).
        totals: &'a [[&'a str; 3]],
        /// Period NRR: (period, side A, side B).
        nrr: &'a [(&'a str, f64, f64)],
        /// Every differing customer-month, largest first: customer, month, category on each
        /// side (`-` for none) and the difference.
        listed: &'a [[&'a str; 5]],
    }

    #[track_caller]
    fn check_compare(data: &str, presets: [&str; 2], want: &Expected<'_>) {
        let c = compare(data, presets, "json").json();
        assert_eq!(c["sides"], serde_json::json!(presets));
        let [pa, pb] = [&c["policies"][0], &c["policies"][1]];
        let keys = pa.as_object().expect("policies").keys();
        let differing: Vec<&String> = keys.filter(|k| *k != "preset" && pa[k] != pb[k]).collect();
        assert_eq!(differing, want.differing, "policies {pa} and {pb}");
        for [figure, a, b] in want.totals {
            let m = c["movements"]
                .as_array()
                .expect("movements")
                .iter()
                .find(|m| m["figure"] == *figure)
                .unwrap_or_else(|| panic!("no movement figure {figure}"));
            assert_eq!([&m["a"], &m["b"]], [a, b], "{figure}");
        }
        for (period, a, b) in want.nrr {
            let p = c["periods"]
                .as_array()
                .expect("periods")
                .iter()
                .find(|p| p["period"] == *period)
                .unwrap_or_else(|| panic!("no period {period}"));
            assert_eq!([&p["a"]["nrr"], &p["b"]["nrr"]], [a, b], "{period}");
        }
        let name = |v: &Value| v.as_str().unwrap_or("-").to_string();
        let listed: Vec<[String; 5]> = c["customer_months"]
            .as_array()
            .expect("customer_months")
            .iter()
            .map(|d| {
                [&d["customer_id"], &d["month"], &d["a"]["movement"]]
                    .map(name)
                    .into_iter()
                    .chain([name(&d["b"]["movement"]), name(&d["difference"])])
                    .collect::<Vec<_>>()
                    .try_into()
                    .expect("five fields")
            })
            .collect();
        assert_eq!(listed, want.listed);
        assert_eq!(c["differing_customer_months"], want.listed.len());

        // The table marks the same policies.
        let table = compare(data, presets, "table").stdout;
        let marked: Vec<String> = table
            .lines()
            .skip_while(|l| *l != "Policies")
            .take_while(|l| !l.is_empty())
            .filter_map(|l| l.strip_suffix("differs"))
            .map(|l| l.split("  ").next().unwrap_or("").replace(' ', "_"))
            .collect();
        assert_eq!(marked, want.differing, "{table}");
        // The "-" note only when a reader policy does not apply (items and mrr input).
        let dashes = table
            .lines()
            .skip_while(|l| *l != "Policies")
            .take_while(|l| !l.is_empty())
            .any(|l| l.split("  ").any(|cell| cell.trim() == "-"));
        assert_eq!(
            table.contains("(\"-\": the reader policy"),
            dashes,
            "{table}"
        );
    }

    /// ChartMogul (any gap) against Maxio (reactivation within 3 months, else new): d's
    /// return after 6 months (Feb) and a's after 4 (Jun) are new business under Maxio; b's
    /// after 1 month stays a reactivation. Largest first: a (100), then d (80).
    #[test]
    fn compare_chartmogul_and_maxio() {
        check_compare(
            DATA,
            ["chartmogul", "maxio"],
            &Expected {
                differing: &["reactivation"],
                totals: &[
                    ["reactivation", "230.00", "50.00"],
                    ["new", "150.00", "330.00"],
                    ["closing_mrr", "430.00", "430.00"],
                ],
                nrr: &[],
                listed: &[
                    ["a", "2024-06", "reactivation", "new", "100.00"],
                    ["d", "2024-02", "reactivation", "new", "80.00"],
                ],
            },
        );
    }

    /// invoices.csv (fixture `invoices_past_due`, its NOTES.md): ChartMogul keeps past-due
    /// revenue (`keep`), Baremetrics churns it after 30 days (`keep:30`); nothing else differs.
    /// globex (200, past due 03-05, never recovered, cancelled 05-01) leaves on 04-04 under
    /// keep:30 (MRR 200 vs 0 in April) and churns in May under keep (both 0 in May: the
    /// larger amount, 200); initech (50, past due 02-10, recovered 04-15) is out on 03-31
    /// under keep:30 only (50) and reactivates in April (50). acme recovered within 30 days
    /// and hooli is still in its grace: no difference. Q2: keep 230 / 430 = 0.534884;
    /// keep:30 cohort at March without initech, 180 / 380 = 0.473684.
    #[test]
    fn compare_past_due_on_invoices() {
        check_compare(
            "tests/fixtures/invoices_past_due",
            ["chartmogul", "baremetrics"],
            &Expected {
                differing: &["past_due"],
                totals: &[
                    ["new", "430.00", "430.00"],
                    ["reactivation", "0.00", "50.00"],
                    ["churn", "200.00", "250.00"],
                    ["closing_mrr", "230.00", "230.00"],
                ],
                nrr: &[("2024-Q2", 0.534884, 0.473684)],
                listed: &[
                    ["globex", "2024-04", "-", "churn", "200.00"],
                    ["globex", "2024-05", "churn", "-", "200.00"],
                    ["initech", "2024-03", "-", "churn", "50.00"],
                    ["initech", "2024-04", "-", "reactivation", "50.00"],
                ],
            },
        );
    }

    /// A Stripe export (fixture `stripe_lifecycle`; NOTES.md there and in
    /// `stripe_lifecycle_forever_only` and `stripe_lifecycle_policies`): ChartMogul
    /// (at-period-end, every coupon, pauses keep) against Stripe (at-cancellation,
    /// forever coupons only, pauses churn); past due is `keep` on both sides.
    /// - globex, cancelled immediately on 03-10: churn in March (Stripe) or April (200 each).
    /// - wayne's 100% repeating coupon (to 04-01) is not taken by Stripe: 120 from January,
    ///   against new in April under ChartMogul (120 in each of January to April).
    /// - hooli's 100% `once` coupon (February): new in February (Stripe) or March (80 each).
    /// - initech's 50% repeating coupon (to 03-01): 100 from January under Stripe, 50 then an
    ///   expansion of 50 in March under ChartMogul; stark's 50% `once` coupon the same a month
    ///   earlier; lex's second subscription (cancelled 02-15, paid to 03-01) is a contraction
    ///   in February (Stripe) or March (50 each).
    /// - massive, paused 04-01 and resumed 06-01: churn and reactivation under Stripe (40 in
    ///   April, May and June).
    ///
    /// Window totals: new 950 vs 1,050, expansion 100 vs 0, churn 300 vs 340 (massive),
    /// reactivation 0 vs 40, both close at 700. Q2: 580 / 880 = 0.659091 against 700 / 800 =
    /// 0.875.
    #[test]
    fn compare_churn_discounts_and_pauses_on_stripe() {
        check_compare(
            "tests/fixtures/stripe_lifecycle",
            ["chartmogul", "stripe"],
            &Expected {
                differing: &["churn_recognition", "discounts", "pauses"],
                totals: &[
                    ["new", "950.00", "1050.00"],
                    ["reactivation", "0.00", "40.00"],
                    ["expansion", "100.00", "0.00"],
                    ["contraction", "50.00", "50.00"],
                    ["churn", "300.00", "340.00"],
                    ["closing_mrr", "700.00", "700.00"],
                ],
                nrr: &[("2024-Q2", 0.659091, 0.875)],
                listed: &[
                    ["cus_globex", "2024-03", "-", "churn", "200.00"],
                    ["cus_globex", "2024-04", "churn", "-", "200.00"],
                    ["cus_wayne", "2024-01", "-", "new", "120.00"],
                    ["cus_wayne", "2024-02", "-", "-", "120.00"],
                    ["cus_wayne", "2024-03", "-", "-", "120.00"],
                    ["cus_wayne", "2024-04", "new", "-", "120.00"],
                    ["cus_hooli", "2024-02", "-", "new", "80.00"],
                    ["cus_hooli", "2024-03", "new", "-", "80.00"],
                    ["cus_initech", "2024-01", "new", "new", "50.00"],
                    ["cus_initech", "2024-02", "-", "-", "50.00"],
                    ["cus_initech", "2024-03", "expansion", "-", "50.00"],
                    ["cus_lex", "2024-02", "-", "contraction", "50.00"],
                    ["cus_lex", "2024-03", "contraction", "-", "50.00"],
                    ["cus_stark", "2024-01", "new", "new", "50.00"],
                    ["cus_stark", "2024-02", "expansion", "-", "50.00"],
                    ["cus_massive", "2024-04", "-", "churn", "40.00"],
                    ["cus_massive", "2024-05", "-", "-", "40.00"],
                    ["cus_massive", "2024-06", "-", "reactivation", "40.00"],
                ],
            },
        );
    }

    /// The churn-recognition row of `nrr compare`'s table: a reader policy like the others,
    /// so `-` where it does not apply (items.csv holds ended lines, whatever the preset says;
    /// docs/policies.md#presets), and the preset's value on a Stripe export (maxio:
    /// at-cancellation, chartmogul: at-period-end).
    #[test]
    fn compare_shows_churn_recognition_only_where_it_applies() {
        let row = |data: &str| {
            let table = compare(data, ["chartmogul", "maxio"], "table").stdout;
            let line = table
                .lines()
                .find(|l| l.starts_with("churn recognition"))
                .unwrap_or_else(|| panic!("no churn recognition row:\n{table}"))
                .to_string();
            line.split_whitespace()
                .skip(2)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(row(DATA), "- -");
        assert_eq!(
            row("tests/fixtures/stripe_lifecycle"),
            "at-period-end at-cancellation differs"
        );
    }

    #[test]
    fn compare_table() {
        let run = compare(DATA, ["chartmogul", "maxio"], "table");
        insta::assert_snapshot!(run.transcript());
    }

    /// With invoices.csv the stripe preset's forever-only discounts cannot be decided: the
    /// preset falls back to `all` and says so; given explicitly, the option is refused.
    #[test]
    fn stripe_preset_on_invoices_uses_all_discounts() {
        let data = "tests/fixtures/invoices_quantity_discount";
        let run = nrr(&[
            "compare",
            data,
            "--preset",
            "chartmogul",
            "--preset",
            "stripe",
            "--format",
            "json",
        ]);
        run.assert_code(0);
        assert_eq!(run.json()["policies"][1]["discounts"], "all");
        nrr(&["report", data, "--discounts", "forever-only"]).assert_code(2);
    }

    #[test]
    fn compare_needs_two_presets() {
        let run = nrr(&["compare", DATA, "--preset", "chartmogul"]);
        run.assert_code(2);
        insta::assert_snapshot!(run.transcript());
    }
}

/// `nrr report --usage`: the separate usage figure (docs/metrics.md §19).
mod usage_figure {
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
}

/// subscription_snapshots.csv and revenue_movements.csv: a bad row of either is rejected naming
/// the file, line, column, value and what was expected (exit 1 from `report` and `check`).
mod snapshots {
    use super::*;

    /// `data/subscription_snapshots.csv` and `data/revenue_movements.csv`, each with its
    /// header, a good row (acme, January) and then `snaps` / `moves`: a bad row is at line 3.
    fn snapshot_data(snaps: &[&str], moves: &[&str]) -> TempDir {
        let mut s = vec![
            "account_id,snapshot_date,mrr,currency",
            "acme,2024-01-31,100.00,USD",
        ];
        s.extend_from_slice(snaps);
        let mut m = vec![
            "account_id,movement_date,movement_type,mrr_change",
            "acme,2024-01-15,new,100.00",
        ];
        m.extend_from_slice(moves);
        data_dir(&[
            ("subscription_snapshots.csv", &s),
            ("revenue_movements.csv", &m),
        ])
    }

    /// `name: [snapshot rows], [movement rows] => the rejection line shown`.
    macro_rules! snapshot_rejections {
        ($($name:ident: [$($s:expr),*], [$($m:expr),*] => $shown:expr;)*) => {
            $(
                #[test]
                fn $name() {
                    let tmp = snapshot_data(&[$($s),*], &[$($m),*]);
                    let transcript = rejected(&tmp, &[]);
                    assert!(transcript.contains($shown), "{transcript}");
                    insta::assert_snapshot!(concat!("snapshots_", stringify!($name)), transcript);
                }
            )*
        };
    }

    snapshot_rejections! {
        snapshot_date_not_a_day: ["beta,2024-02-30,10.00,USD"], []
            => "subscription_snapshots.csv:3:snapshot_date: `2024-02-30`: expected a calendar date YYYY-MM-DD that exists";
        mrr_with_decimal_comma: ["beta,2024-01-31,\"12,50\",USD"], []
            => "subscription_snapshots.csv:3:mrr: `12,50`: expected a decimal number >= 0";
        mrr_negative: ["beta,2024-01-31,-5.00,USD"], []
            => "subscription_snapshots.csv:3:mrr: `-5.00`: expected a decimal number >= 0";
        empty_account: [",2024-01-31,10.00,USD"], []
            => "subscription_snapshots.csv:3:account_id: ``: expected a non-empty account id";
        unknown_movement_type: [], ["acme,2024-02-10,upgrade,10.00"]
            => "revenue_movements.csv:3:movement_type: `upgrade`: expected new, reactivation, expansion, contraction or churn";
        churn_with_positive_change: [], ["acme,2024-02-10,churn,100.00"]
            => "revenue_movements.csv:3:mrr_change: `100.00`: expected the change in MRR, a decimal < 0 for churn";
        expansion_with_negative_change: [], ["acme,2024-02-10,expansion,-20.00"]
            => "revenue_movements.csv:3:mrr_change: `-20.00`: expected the change in MRR, a decimal > 0 for expansion";
    }

    /// `check --format json` lists the rejections of both files with their fields; movement
    /// rows are not revenue rows, so only the snapshot row counts in the ledger.
    #[test]
    fn rejections_of_both_files_in_check_json() {
        let tmp = snapshot_data(
            &["beta,2024-02-30,10.00,USD"],
            &["acme,2024-02-10,contraction,0"],
        );
        let run = nrr_in(tmp.path(), &["check", "data", "--format", "json"]);
        run.assert_code(1);
        let j = run.json();
        let fields = |r: &Value| -> [String; 4] {
            ["file", "line", "column", "value"].map(|k| match &r[k] {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            })
        };
        let rejections = j["rejections"].as_array().expect("rejections");
        let got: Vec<[String; 4]> = rejections.iter().map(fields).collect();
        assert_eq!(
            got,
            [
                [
                    "subscription_snapshots.csv",
                    "3",
                    "snapshot_date",
                    "2024-02-30"
                ],
                ["revenue_movements.csv", "3", "mrr_change", "0"],
            ],
            "{}",
            run.transcript()
        );
        assert!(rejections[1]["expected"]
            .as_str()
            .is_some_and(|e| e.contains("< 0 for contraction")));
        assert_eq!(j["rows"]["read"], 2);
        assert_eq!(j["rows"]["rejected"], 1);
    }

    /// subscription_snapshots.csv beside invoices.csv: two kinds of input, `--source` picks
    /// one (the snapshots with their movements file).
    #[test]
    fn snapshots_and_invoices_together_need_source() {
        let tmp = snapshot_data(&[], &[]);
        write_data(&tmp, "invoices.csv", &[invoices::HEADER, invoices::GOOD]);
        let picks: &[(&str, &[&str])] = &[
            (
                "snapshots",
                &["subscription_snapshots.csv", "revenue_movements.csv"],
            ),
            ("invoices", &["invoices.csv"]),
        ];
        let found = ["invoices.csv", "subscription_snapshots.csv"];
        insta::assert_snapshot!(needs_source(&tmp, &found, picks));
    }

    /// Issue 15's example (fixture `snapshots_first_of_month_close`): every snapshot dated on
    /// the 1st of a month.
    const FIRST_OF_MONTH: &str = "tests/fixtures/snapshots_first_of_month_close";
    /// Some snapshots on the 1st, some mid-month (fixture `snapshots_mixed_dates_close`).
    const MIXED: &str = "tests/fixtures/snapshots_mixed_dates_close";

    /// The start of the note about the reading.
    const NOTE: &str = "note: every snapshot_date is the first day of a month, read as the MRR \
                        at the close of that day (--snapshot-date close, the default)";

    /// Not given, every date a 1st: the table says how the dates were read, how to switch,
    /// and how many account-months agree under each reading; the policies line and the
    /// movement section name the readings.
    #[test]
    fn first_of_month_dates_are_noted_in_the_table() {
        let run = nrr(&["report", FIRST_OF_MONTH, "--currency", "USD"]);
        run.assert_code(0);
        for needle in [
            NOTE,
            "pass --snapshot-date open: 2026-01-01 is then the closing MRR of 2025-12",
            "revenue_movements: 0 account-months agree and 6 disagree as read; with \
             --snapshot-date open, 3 agree and 0 disagree",
            "snapshot month-end, snapshot-date close",
            "with --snapshot-date open instead: 3 account-months would agree, 0 would disagree",
        ] {
            assert!(
                run.unwrapped().contains(needle),
                "{needle}:\n{}",
                run.transcript()
            );
        }
        insta::assert_snapshot!(run.transcript());
    }

    /// `nrr check` shows the same note, before the movement check.
    #[test]
    fn first_of_month_dates_are_noted_by_check() {
        let run = nrr(&["check", FIRST_OF_MONTH, "--currency", "USD"]);
        run.assert_code(0);
        assert!(run.stdout.contains(NOTE), "{}", run.transcript());
        insta::assert_snapshot!(run.transcript());
        let json = nrr(&[
            "check",
            FIRST_OF_MONTH,
            "--currency",
            "USD",
            "--format",
            "json",
        ]);
        json.assert_code(0);
        let j = json.json();
        assert_eq!(j["notices"].as_array().map(Vec::len), Some(1), "{j}");
        assert_eq!(
            j["movement_check"]["other_reading"],
            serde_json::json!({"snapshot_date": "open", "agreeing": 3, "disagreeing": 0})
        );
    }

    /// JSON `notices` holds the note; CSV ends every row with it in a `notices` column, after
    /// the documented columns, and stays parseable.
    #[test]
    fn first_of_month_note_in_json_and_csv() {
        let json = nrr(&[
            "report",
            FIRST_OF_MONTH,
            "--currency",
            "USD",
            "--format",
            "json",
        ]);
        json.assert_code(0);
        let j = json.json();
        let notices: Vec<&str> = j["notices"]
            .as_array()
            .expect("notices")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(notices.len(), 1, "{j}");
        assert!(
            notices[0].starts_with(&NOTE["note: ".len()..]),
            "{}",
            notices[0]
        );
        let csv = nrr(&[
            "report",
            FIRST_OF_MONTH,
            "--currency",
            "USD",
            "--format",
            "csv",
        ]);
        csv.assert_code(0);
        let mut reader = csv::ReaderBuilder::new().from_reader(csv.stdout.as_bytes());
        let header = reader.headers().expect("a header").clone();
        let columns: Vec<&str> = header.iter().collect();
        assert_eq!(columns[columns.len() - 2..], ["notes", "notices"]);
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
        assert_eq!(rows.len(), 2, "{}", csv.stdout);
        for row in &rows {
            assert_eq!(row.len(), columns.len());
            assert_eq!(row.get(columns.len() - 1), Some(notices[0]));
        }
    }

    /// `--snapshot-date open`: 2026-01-01 is December's closing MRR, so January shows the
    /// template's figures and every movement agrees; no note, as the reading was chosen.
    #[test]
    fn snapshot_date_open_reads_the_day_before() {
        let args = [
            "report",
            FIRST_OF_MONTH,
            "--currency",
            "USD",
            "--snapshot-date",
            "open",
        ];
        let run = nrr(&args);
        run.assert_code(0);
        assert!(!run.stdout.contains("note:"), "{}", run.transcript());
        insta::assert_snapshot!(run.transcript());
        let mut json_args = args.to_vec();
        json_args.extend(["--format", "json"]);
        let j = nrr(&json_args).json();
        assert!(j.get("notices").is_none(), "{j}");
        assert_eq!(j["policies"]["snapshot_date"], "open");
        assert_eq!(j["movement_check"]["agreeing"], 3);
        let csv = nrr(&[&args[..], &["--format", "csv"]].concat());
        let header = csv.stdout.lines().next().unwrap_or_default();
        assert!(header.ends_with(",notes"), "no notices column: {header}");
    }

    /// `--snapshot-date close` given: the same figures as the default, without the note.
    #[test]
    fn snapshot_date_close_given_is_not_noted() {
        let json = |more: &[&str]| {
            let mut args = vec!["report", FIRST_OF_MONTH, "--currency", "USD"];
            args.extend_from_slice(more);
            args.extend(["--format", "json"]);
            nrr(&args).json()
        };
        let (mut given, mut default) = (json(&["--snapshot-date", "close"]), json(&[]));
        assert!(given.get("notices").is_none(), "{given}");
        assert!(default.get("notices").is_some(), "{default}");
        // The echo of the settings differs too: `policies.snapshot_date` is a flag in one.
        for key in ["notices", "settings"] {
            given[key] = Value::Null;
            default[key] = Value::Null;
        }
        assert_eq!(given, default);
    }

    /// A table with mid-month dates as well is not noted (not every date is a 1st), but the
    /// movement check still says how the other reading would fare.
    #[test]
    fn mixed_dates_are_not_noted_but_both_readings_are_checked() {
        let run = nrr(&["report", MIXED, "--currency", "USD", "--format", "json"]);
        run.assert_code(0);
        let j = run.json();
        assert!(j.get("notices").is_none(), "{j}");
        assert_eq!(j["movement_check"]["agreeing"], 2);
        assert_eq!(
            j["movement_check"]["other_reading"],
            serde_json::json!({"snapshot_date": "open", "agreeing": 5, "disagreeing": 0})
        );
    }

    /// Month-end dates: nothing to note, and no other reading (both give the same months).
    #[test]
    fn month_end_dates_have_no_note_and_no_other_reading() {
        let dir = "tests/fixtures/snapshots_movements_agree";
        let j = nrr(&["report", dir, "--format", "json"]).json();
        assert!(j.get("notices").is_none(), "{j}");
        assert!(j["movement_check"].get("other_reading").is_none(), "{j}");
        assert_eq!(j["policies"]["snapshot_date"], "close");
        let open = nrr(&["report", dir, "--format", "json", "--snapshot-date", "open"]).json();
        assert_eq!(open["months"], j["months"]);
    }

    /// `--snapshot-date open` applies to subscription_snapshots only (usage error, exit 2);
    /// `close`, the default, is accepted everywhere; a value other than close or open is a
    /// usage error too.
    #[test]
    fn snapshot_date_open_with_other_inputs_is_a_usage_error() {
        let tmp = items(&[]);
        let run = nrr_in(tmp.path(), &["report", "data", "--snapshot-date", "open"]);
        run.assert_code(2);
        insta::assert_snapshot!(run.transcript());
        nrr_in(tmp.path(), &["report", "data", "--snapshot-date", "close"]).assert_code(0);
        let bad = nrr_in(tmp.path(), &["report", "data", "--snapshot-date", "start"]);
        bad.assert_code(2);
        assert!(
            bad.stderr.contains("[possible values: close, open]"),
            "{}",
            bad.transcript()
        );
    }

    /// `--help` of every command that reads data documents the flag and its values.
    #[test]
    fn help_documents_snapshot_date() {
        for cmd in ["report", "check", "explain", "cohorts"] {
            let run = nrr(&[cmd, "--help"]);
            run.assert_code(0);
            for needle in ["--snapshot-date <close|open>", "December's closing MRR"] {
                assert!(
                    run.stdout.contains(needle),
                    "`nrr {cmd} --help` does not mention {needle}:\n{}",
                    run.stdout
                );
            }
        }
    }
}

mod browser;
mod config;
mod docs_examples;
mod equivalence;
mod footing;
mod golden;
mod hostile;
mod lines;
mod parquet_invoices;
mod postgres;
mod stripe_shapes;
mod util;
mod workbook;
