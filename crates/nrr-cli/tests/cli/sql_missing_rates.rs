//! `nrr sql` where the fx table lacks a rate a figure needs (docs/scale-out.md): the cases of
//! `tests/cli/sql_missing_rates/` make `nrr report` stop, and on DuckDB, PostgreSQL and Spark
//! reading the views those figures are in stops too, with an error naming the currency and
//! month, as does the `--materialize` script when it creates their tables; the views whose
//! figures need no missing rate are read. (The differential test, `sql.rs`, requires the cases
//! where a rate is missing and `nrr` needs none of them to keep their NULLs and figures:
//! `sql_cases/fx_rates_start_apart`.)

use crate::sql::script;
use crate::util::{nrr_output, repo_root, succeed};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use tempfile::TempDir;

/// A case and what must happen.
struct Expect {
    case: &'static str,
    /// In the error of `nrr report`.
    nrr: &'static str,
    /// In the error of every engine.
    needle: &'static str,
    /// The views whose read stops with the error.
    failing: &'static [&'static str],
    /// The views read without an error.
    readable: &'static [&'static str],
}

const CASES: &[Expect] = &[
    // `mixed` pays GBP and, from 2024-03, EUR, whose rates start on 2024-03-10: the MRR of
    // 2024-03 has its rate, but the constant-currency movement of 2024-03 needs EUR at
    // 2024-02's end (so do the retention of 2024-03 and 2024-Q1, at their t0's rates).
    Expect {
        case: "previous_month_rate",
        nrr: "EUR 2024-02: no rate into USD on or before 2024-02-29",
        needle: "nrr: no EUR rate into USD in force at ",
        failing: &["nrr_bridge", "nrr_movements", "nrr_retention"],
        readable: &["nrr_customer_month"],
    },
    // EUR rates start on 2024-01-15 and `mixed` adds EUR in 2024-02: every month's figures
    // have their rates; only 2024-Q1's retention needs EUR at its t0, 2023-12.
    Expect {
        case: "quarter_start_rate",
        nrr: "EUR 2023-12: no rate into USD on or before 2023-12-31",
        needle: "nrr: no EUR rate into USD in force at 2023-12-31 (fx table)",
        failing: &["nrr_retention"],
        readable: &["nrr_customer_month", "nrr_bridge", "nrr_movements"],
    },
    // JPY has no rows (fx.csv is in USD), though its one line ended in 2022, before the window.
    Expect {
        case: "currency_without_rows",
        nrr: "has no rates for JPY",
        needle: "nrr: the fx table has no rates for JPY",
        failing: &[
            "nrr_customer_month",
            "nrr_bridge",
            "nrr_movements",
            "nrr_retention",
        ],
        readable: &[],
    },
];

/// What an engine did: the error the script stopped with, and per view the error reading it
/// stopped with (None: it ran, it was read).
#[derive(Deserialize, Debug)]
struct Outcome {
    script: Option<String>,
    views: BTreeMap<String, Option<String>>,
}

/// A case ready to run: its lines, fx.csv and the `nrr sql` flags.
struct Ready {
    e: &'static Expect,
    tmp: TempDir,
    lines: PathBuf,
    fx: PathBuf,
    args: Vec<String>,
}

fn views(e: &Expect) -> Vec<&'static str> {
    e.failing.iter().chain(e.readable).copied().collect()
}

/// Every case with `nrr report`'s error checked.
fn ready() -> Vec<Ready> {
    CASES
        .iter()
        .map(|e| {
            let data = repo_root()
                .join("crates/nrr-cli/tests/cli/sql_missing_rates")
                .join(e.case);
            let args: Vec<String> = std::fs::read_to_string(data.join("args.txt"))
                .expect("args.txt")
                .split_whitespace()
                .map(String::from)
                .collect();
            let mut report: Vec<String> = vec!["report".into(), data.display().to_string()];
            report.extend(args.iter().cloned());
            let refs: Vec<&str> = report.iter().map(String::as_str).collect();
            let out = nrr_output(&refs);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                !out.status.success() && err.contains(e.nrr),
                "{}: nrr report must stop with `{}`: {err}",
                e.case,
                e.nrr
            );
            // items.csv has the columns of `nrr lines` and needs none of its policies
            // (`nrr lines` itself stops where fx.csv has no rows for a currency).
            let tmp = TempDir::new().expect("a temporary directory");
            let lines = data.join("items.csv");
            let mut args = args;
            args.extend(["--fx".into(), "fx".into()]);
            Ready {
                e,
                lines,
                fx: data.join("fx.csv"),
                tmp,
                args,
            }
        })
        .collect()
}

/// The forms of the script: views, then tables (`--materialize`).
const FORMS: [(&str, bool); 2] = [("views", false), ("tables", true)];

/// The script of `r` in `dialect`, as views or tables.
fn form_script(r: &Ready, dialect: &str, materialize: bool) -> PathBuf {
    let mut args = r.args.clone();
    if materialize {
        args.push("--materialize".into());
    }
    let dir = r
        .tmp
        .path()
        .join(if materialize { "tables" } else { "views" });
    std::fs::create_dir_all(&dir).expect("a directory");
    script(dialect, &args, &dir)
}

/// The differences from what `e` requires of an engine's outcome.
fn wrong(engine: &str, form: &str, e: &Expect, o: &Outcome) -> Vec<String> {
    let mut w = Vec::new();
    let at = format!("{engine}, {}, {form}", e.case);
    if form == "tables" {
        // The script stops at the first table that needs a missing rate.
        if !o.script.as_deref().is_some_and(|m| m.contains(e.needle)) {
            w.push(format!(
                "{at}: the script must stop with `{}`: {:?}",
                e.needle, o.script
            ));
        }
        return w;
    }
    if let Some(m) = &o.script {
        w.push(format!("{at}: creating the views must not stop: {m}"));
    }
    for v in e.failing {
        match o.views.get(*v) {
            Some(Some(m)) if m.contains(e.needle) => {}
            other => w.push(format!(
                "{at}: reading {v} must stop with `{}`: {other:?}",
                e.needle
            )),
        }
    }
    for v in e.readable {
        if !matches!(o.views.get(*v), Some(None)) {
            w.push(format!("{at}: {v} must be read: {:?}", o.views.get(*v)));
        }
    }
    w
}

fn assert_right(engine: &str, outcomes: &[(&Expect, &str, Outcome)]) {
    let w: Vec<String> = outcomes
        .iter()
        .flat_map(|(e, form, o)| wrong(engine, form, e, o))
        .collect();
    assert_eq!(outcomes.len(), CASES.len() * FORMS.len(), "{engine}");
    assert!(w.is_empty(), "{}", w.join("\n"));
}

#[test]
fn sql_stops_where_nrr_stops_for_a_missing_rate_on_duckdb() {
    let mut outcomes = Vec::new();
    for r in ready() {
        for (form, materialize) in FORMS {
            let sql = form_script(&r, "duckdb", materialize);
            let out = succeed(
                std::process::Command::new("python3")
                    .arg(repo_root().join("crates/nrr-cli/tests/cli/sql_duckdb.py"))
                    .arg("--errors")
                    .arg(&sql)
                    .arg(&r.lines)
                    .arg(&r.fx)
                    .arg("-")
                    .args(views(r.e)),
                "DuckDB (python3 sql_duckdb.py; .ci/run installs the duckdb package)",
            );
            let o: Outcome = serde_json::from_slice(&out.stdout).expect("the outcome as JSON");
            outcomes.push((r.e, form, o));
        }
    }
    assert_right("duckdb", &outcomes);
}

#[cfg(feature = "postgres")]
#[test]
fn sql_stops_where_nrr_stops_for_a_missing_rate_on_postgres() {
    use crate::postgres::shared_psql_try;
    use crate::sql::postgres_load;
    let mut outcomes = Vec::new();
    for r in ready() {
        for (form, materialize) in FORMS {
            let schema = format!("sql_missing_{}_{form}", r.e.case);
            postgres_load(&schema, &r.lines, Some(&r.fx), None, r.tmp.path());
            let sql = form_script(&r, "postgres", materialize);
            let script = shared_psql_try(&schema, "-f", sql.as_os_str()).err();
            let views = views(r.e)
                .into_iter()
                .map(|v| {
                    let read = format!("SELECT count(*) FROM {v}");
                    (
                        v.to_string(),
                        shared_psql_try(&schema, "-c", read.as_ref()).err(),
                    )
                })
                .collect();
            outcomes.push((r.e, form, Outcome { script, views }));
        }
    }
    assert_right("postgres", &outcomes);
}

#[test]
fn sql_stops_where_nrr_stops_for_a_missing_rate_on_spark() {
    let ready = ready();
    let mut manifest = Vec::new();
    let mut outs = Vec::new();
    for r in &ready {
        for (form, materialize) in FORMS {
            let sql = form_script(r, "spark", materialize);
            let out = sql.with_extension("json");
            manifest.push(serde_json::json!({
                "script": sql,
                "lines": r.lines,
                "fx": r.fx,
                "customers": null,
                "views": views(r.e),
                "out": out,
                "errors": true,
            }));
            outs.push((r.e, form, out));
        }
    }
    let dir = TempDir::new().expect("a temporary directory");
    let path = dir.path().join("cases.json");
    std::fs::write(&path, serde_json::to_vec(&manifest).expect("JSON")).expect("cases.json");
    let out = succeed(
        std::process::Command::new("python3")
            .arg(repo_root().join("crates/nrr-cli/tests/cli/sql_spark.py"))
            .arg(&path),
        "Spark (python3 sql_spark.py; .ci/run installs the pyspark package)",
    );
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let outcomes: Vec<(&Expect, &str, Outcome)> = outs
        .into_iter()
        .map(|(e, form, out)| {
            let text = std::fs::read(&out).expect("Spark's outcome");
            (
                e,
                form,
                serde_json::from_slice(&text).expect("the outcome as JSON"),
            )
        })
        .collect();
    assert_right("spark", &outcomes);
}
