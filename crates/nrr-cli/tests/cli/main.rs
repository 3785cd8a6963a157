//! The one integration test binary of the `nrr` command line (`cargo test -p nrr-cli --test
//! cli`; one binary links once). This file holds the shared snapshot helpers (`rejected!`, the
//! data directories) and a few top-level snapshot tests of bad input; every area is a module
//! of its own file: the rejections and usage errors (`reject`, `usage`, `fx`), each command on
//! a fixture (`check`, `explain`, `report`, `movements`, `top`, `cohorts`, `segment_cuts`,
//! `annotations`, `usage_figure`), the sources (`invoices`, `stripe`, `snapshots`), the
//! presets (`presets`), and:
//!
//! - [`config`]: `nrr.toml`, its precedence, its errors and `nrr init`;
//! - [`diff`]: `nrr diff`, each cause alone and two together hand-checked on fixtures, parts
//!   summing to every change, a restatement's stored diff;
//! - [`review`]: `nrr review`, each role's packet of a release;
//! - [`golden`]: every fixture folder against its hand-checked `expected.json`;
//! - [`hostile`]: the catalogue of hostile inputs, each a snapshot;
//! - [`equivalence`]: equivalent inputs give the same report;
//! - [`footing`]: shown figures foot in every format (property tests);
//! - [`docs_examples`]: every console block of the docs is run (`NRR_BLESS_DOCS`);
//! - [`stripe_shapes`]: Stripe export shapes, customer_map.csv and billing rules;
//! - [`lines`]: `nrr lines` of every fixture reports as the fixture (CSV and Parquet lines),
//!   its output and its rejections;
//! - [`parquet_invoices`]: Parquet twins of the invoices fixtures (feature `parquet`);
//! - [`publish`]: the official number: publish, sign off, final, verify, restate; a kill -9
//!   during publish and two publishes at once leave a valid book;
//! - [`postgres`]: the PostgreSQL source against a server started from `initdb` (feature
//!   `postgres`), one test per check sharing one server;
//! - [`sql`]: the `nrr sql` scripts run on DuckDB, PostgreSQL and Spark against nrr's figures
//!   ([`sql_compare`] compares them);
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

mod reject;

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
mod fx;

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

mod usage;

mod check;

mod explain;

mod report;

mod movements;

mod top;

mod cohorts;

mod segment_cuts;

mod annotations;

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
mod invoices;

/// Stripe exports (subscriptions.json / .jsonl, invoices.json): bad input names the file, the
/// object's line, the object id and the JSON path of the field.
mod stripe;

mod presets;

/// `nrr report --usage`: the separate usage figure (docs/metrics.md §19).
mod usage_figure;

/// subscription_snapshots.csv and revenue_movements.csv: a bad row of either is rejected naming
/// the file, line, column, value and what was expected (exit 1 from `report` and `check`).
mod snapshots;

mod browser;
mod config;
mod diff;
mod docs_examples;
mod equivalence;
mod footing;
mod golden;
mod hostile;
mod lines;
mod parquet_invoices;
mod postgres;
mod publish;
mod review;
mod sql;
mod sql_compare;
mod sql_missing_rates;
mod stripe_shapes;
mod util;
mod workbook;
