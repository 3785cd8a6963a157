//! `nrr sql`: the generated script of each dialect is a snapshot, and a differential test
//! runs it on real engines, DuckDB (the PyPI package, through `sql_duckdb.py`) and
//! PostgreSQL (the server of [`crate::postgres`], shared), for every items fixture and for
//! generated data (5,000 customers in three currencies, with a segment): `nrr lines` of the
//! data loaded as the `lines` table (with fx.csv and customers.csv), the script run, and every
//! row of `nrr_bridge`, `nrr_movements`, `nrr_retention` and `nrr_segment_retention_*` read
//! back and required equal to `nrr report --format json` and `nrr movements`: money to the
//! 12th decimal of the JSON's `exact` value (exactly where the shown value is exact), ratios
//! and counts exactly. A figure that differs fails the test; an engine that is missing fails
//! it too (`.ci/run` installs both).

use crate::util::{fixture_args, fixtures_dir, json_of, nrr_command, nrr_output, succeed};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tempfile::TempDir;

/// One row of a view: column -> text (None: NULL).
type Row = BTreeMap<String, Option<String>>;
/// View name -> rows.
type Views = BTreeMap<String, Vec<Row>>;

/// One dataset and the options of its report.
struct Case {
    name: String,
    data: PathBuf,
    args: Vec<String>,
}

/// The value of `--flag` in `args`.
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// Every `--flag` value in `args`.
fn flags<'a>(args: &'a [String], name: &str) -> Vec<&'a str> {
    args.windows(2)
        .filter(|w| w[0] == name)
        .map(|w| w[1].as_str())
        .collect()
}

/// The items.csv fixtures.
fn item_cases() -> Vec<Case> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("the fixtures directory")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.join("items.csv").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 25, "items fixtures: {dirs:?}");
    dirs.into_iter()
        .map(|d| Case {
            name: d
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned(),
            args: fixture_args(&d),
            data: d,
        })
        .collect()
}

/// `nrr generate --customers 5000 --currencies` in `tmp`, reported in USD by segment.
fn generated_case(tmp: &Path) -> Case {
    let out = tmp.join("generated");
    succeed(
        nrr_command()
            .args([
                "generate",
                "--customers",
                "5000",
                "--currencies",
                "--seed",
                "7",
                "--out",
            ])
            .arg(&out),
        "nrr generate",
    );
    Case {
        name: "generated_5k".into(),
        data: out,
        args: ["--currency", "USD", "--segment", "segment"]
            .map(String::from)
            .to_vec(),
    }
}

/// What the engines are compared with, and the files they load.
struct Prepared {
    report: Value,
    movements: Vec<csv::StringRecord>,
    lines: PathBuf,
    fx: Option<PathBuf>,
    customers: Option<PathBuf>,
    segments: Vec<String>,
    sql_args: Vec<String>,
}

fn prepare(case: &Case, tmp: &Path) -> Prepared {
    let a = &case.args;
    let currency: Vec<String> = flag(a, "--currency")
        .map(|c| vec!["--currency".into(), c.into()])
        .unwrap_or_default();
    let lines = tmp.join("lines.csv");
    succeed(
        nrr_command()
            .arg("lines")
            .arg(&case.data)
            .args(&currency)
            .arg("-o")
            .arg(&lines),
        &format!("nrr lines {}", case.name),
    );
    let mut report_args: Vec<String> = vec!["report".into(), case.data.display().to_string()];
    report_args.extend(a.iter().cloned());
    report_args.extend(["--format".into(), "json".into()]);
    let refs: Vec<&str> = report_args.iter().map(String::as_str).collect();
    let report = json_of(&nrr_output(&refs));
    let mut mov: Vec<String> = vec!["movements".into(), case.data.display().to_string()];
    for f in ["--from", "--to", "--as-of", "--currency", "--reactivation"] {
        if let Some(v) = flag(a, f) {
            mov.extend([f.into(), v.into()]);
        }
    }
    let refs: Vec<&str> = mov.iter().map(String::as_str).collect();
    let out = nrr_output(&refs);
    assert!(out.status.success(), "nrr movements {}", case.name);
    let movements = csv::Reader::from_reader(&out.stdout[..])
        .records()
        .map(|r| r.expect("a movement row"))
        .collect();

    let side = |f: &str| Some(case.data.join(f)).filter(|p| p.is_file());
    let (fx, customers) = (side("fx.csv"), side("customers.csv"));
    let segments: Vec<String> = flags(a, "--segment")
        .into_iter()
        .filter(|s| *s != "product" && *s != "plan")
        .map(String::from)
        .collect();
    let mut sql_args: Vec<String> = vec![
        "--currency".into(),
        report["currency"].as_str().expect("currency").into(),
    ];
    if ["--from", "--to", "--as-of"]
        .iter()
        .any(|f| flag(a, f).is_some())
    {
        for (f, k) in [("--from", "start_month"), ("--to", "end_month")] {
            sql_args.extend([
                f.into(),
                report["window"][k].as_str().expect("window").into(),
            ]);
        }
    }
    for f in ["--reactivation", "--fiscal-year-start"] {
        if let Some(v) = flag(a, f) {
            sql_args.extend([f.into(), v.into()]);
        }
    }
    if fx.is_some() {
        sql_args.extend(["--fx".into(), "fx".into()]);
    }
    if customers.is_some() {
        sql_args.extend(["--customers".into(), "customers".into()]);
        for s in &segments {
            sql_args.extend(["--segment".into(), s.clone()]);
        }
    }
    Prepared {
        report,
        movements,
        lines,
        fx,
        customers,
        segments,
        sql_args,
    }
}

/// `nrr sql --dialect DIALECT args...`, written to `tmp/DIALECT.sql`.
fn script(dialect: &str, args: &[String], tmp: &Path) -> PathBuf {
    let out = succeed(
        nrr_command().args(["sql", "--dialect", dialect]).args(args),
        "nrr sql",
    );
    let path = tmp.join(format!("{dialect}.sql"));
    std::fs::write(&path, &out.stdout).expect("writing the script");
    path
}

fn view_names(p: &Prepared) -> Vec<String> {
    let mut v: Vec<String> = [
        "nrr_bridge",
        "nrr_movements",
        "nrr_retention",
        "nrr_unsupported_lines",
    ]
    .map(String::from)
    .to_vec();
    v.extend(
        p.segments
            .iter()
            .map(|s| format!("nrr_segment_retention_{s}")),
    );
    v
}

/// The views as DuckDB computes them.
fn duckdb_views(p: &Prepared, tmp: &Path) -> Views {
    let sql = script("duckdb", &p.sql_args, tmp);
    let dash = PathBuf::from("-");
    let out = succeed(
        std::process::Command::new("python3")
            .arg(crate::util::repo_root().join("crates/nrr-cli/tests/cli/sql_duckdb.py"))
            .arg(&sql)
            .arg(&p.lines)
            .arg(p.fx.as_ref().unwrap_or(&dash))
            .arg(p.customers.as_ref().unwrap_or(&dash))
            .args(view_names(p)),
        "DuckDB (python3 sql_duckdb.py; .ci/run installs the duckdb package)",
    );
    serde_json::from_slice(&out.stdout).expect("the views as JSON")
}

/// fx.csv with one row per currency and date, the last of the file (nrr's rule).
fn fx_deduplicated(fx: &Path, to: &Path) {
    let mut last: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut r = csv::Reader::from_path(fx).expect("fx.csv");
    let h = r.headers().expect("a header").clone();
    let col = |n: &str| h.iter().position(|c| c == n).expect("an fx.csv column");
    let (d, c, v) = (col("date"), col("currency"), col("rate"));
    for row in r.records() {
        let row = row.expect("an fx row");
        last.insert(
            (row[c].trim().into(), row[d].trim().into()),
            row[v].trim().into(),
        );
    }
    let mut text = String::from("date,currency,rate\n");
    for ((c, d), v) in last {
        text.push_str(&format!("{d},{c},{v}\n"));
    }
    std::fs::write(to, text).expect("writing fx");
}

/// The views as PostgreSQL computes them, in schema `schema`.
#[cfg(feature = "postgres")]
fn postgres_views(p: &Prepared, schema: &str, tmp: &Path) -> Views {
    use crate::postgres::{shared_psql as psql, shared_psql_file};
    psql(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ));
    psql(&format!(
        "CREATE TABLE {schema}.lines (customer_id text, subscription_id text, product text, plan text, \
         quantity bigint, amount numeric, currency text, interval_months integer, start_date date, \
         end_date date, kind text)"
    ));
    psql(&format!(
        "\\copy {schema}.lines FROM '{}' WITH (FORMAT csv, HEADER true)",
        p.lines.display()
    ));
    if let Some(fx) = &p.fx {
        let dedup = tmp.join("fx-pg.csv");
        fx_deduplicated(fx, &dedup);
        psql(&format!(
            "CREATE TABLE {schema}.fx (date date, currency text, rate numeric)"
        ));
        psql(&format!(
            "\\copy {schema}.fx FROM '{}' WITH (FORMAT csv, HEADER true)",
            dedup.display()
        ));
    }
    if let Some(c) = &p.customers {
        let text = std::fs::read_to_string(c).expect("customers.csv");
        let header = text.lines().next().expect("a header");
        let cols: Vec<String> = header.split(',').map(|c| format!("{c} text")).collect();
        psql(&format!(
            "CREATE TABLE {schema}.customers ({})",
            cols.join(", ")
        ));
        psql(&format!(
            "\\copy {schema}.customers FROM '{}' WITH (FORMAT csv, HEADER true)",
            c.display()
        ));
    }
    // Tables: PostgreSQL computes a chain of views again on every read (minutes for the
    // fixtures); the views themselves are run on DuckDB.
    let mut args = p.sql_args.clone();
    args.push("--materialize".into());
    let sql = script("postgres", &args, tmp);
    shared_psql_file(schema, &sql);
    view_names(p)
        .into_iter()
        .map(|v| {
            let json = psql(&format!(
                "SELECT coalesce(json_agg(r), '[]') FROM (SELECT (SELECT json_object_agg(key, value) \
                 FROM json_each_text(row_to_json(t))) AS r FROM {schema}.{v} t) x"
            ));
            let rows: Vec<Row> = serde_json::from_str(&json).expect("rows as JSON");
            (v, rows)
        })
        .collect()
}

/// A decimal string as an integer count of 10^-18.
fn atto(s: &str) -> i128 {
    let (neg, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    assert!(frac.len() <= 18, "more than 18 decimals: {s}");
    let digits = format!("{int}{frac:0<18}");
    let v: i128 = digits
        .parse()
        .unwrap_or_else(|_| panic!("not a decimal: {s}"));
    if neg {
        -v
    } else {
        v
    }
}

/// Whether SQL units (`sql`, 1/720720 of the currency) are the JSON's figure: within half a
/// unit of the 12th decimal of `exact` when the JSON gives one, else exactly `shown`.
fn money_matches(sql: &str, shown: &str, exact: Option<&str>) -> bool {
    let got = atto(sql);
    match exact {
        Some(e) => (got - atto(e) * 720_720).abs() <= 720_720 * 500_000,
        None => got == atto(shown) * 720_720,
    }
}

/// Compares the JSON figures of `json` (with its `exact` object) to the SQL row `row`;
/// `pairs` maps JSON keys to SQL columns. Every difference is pushed to `diffs`.
fn compare(what: &str, json: &Value, row: &Row, pairs: &[(&str, &str)], diffs: &mut Vec<String>) {
    for (j, s) in pairs {
        let sql = row
            .get(*s)
            .unwrap_or_else(|| panic!("{what}: no column {s}"))
            .as_deref();
        let want = &json[*j];
        let ok = match (want, sql) {
            (Value::Null, None) => true,
            (Value::String(shown), Some(sql)) => {
                money_matches(sql, shown, json["exact"][*j].as_str())
            }
            (Value::Number(n), Some(sql)) => {
                let w = n.as_f64().expect("a number");
                sql.parse::<f64>().is_ok_and(|g| (g - w).abs() < 1e-9)
            }
            _ => false,
        };
        if !ok {
            diffs.push(format!(
                "{what} {j}: nrr {want} (exact {}), SQL {sql:?}",
                json["exact"][*j]
            ));
        }
    }
}

const BRIDGE: &[(&str, &str)] = &[
    ("opening_mrr", "opening_mrr"),
    ("new", "new"),
    ("reactivation", "reactivation"),
    ("expansion", "expansion"),
    ("contraction", "contraction"),
    ("churn", "churn"),
    ("fx", "fx"),
    ("closing_mrr", "closing_mrr"),
    ("customers", "customers"),
    ("new_customers", "new_customers"),
    ("reactivated_customers", "reactivated_customers"),
    ("churned_customers", "churned_customers"),
];

const COHORT: &[(&str, &str)] = &[
    ("starting_mrr", "starting_mrr"),
    ("expansion", "expansion"),
    ("contraction", "contraction"),
    ("churn", "churn"),
    ("ending_cohort_mrr", "ending_cohort_mrr"),
    ("nrr", "nrr"),
    ("grr", "grr"),
    ("cohort_customers", "cohort_customers"),
    ("churned_customers", "churned_customers"),
    ("logo_churn_rate", "logo_churn_rate"),
    ("fx_impact", "fx_impact"),
];

const PERIOD_BRIDGE: &[(&str, &str)] = &[
    ("opening", "bridge_opening"),
    ("new", "bridge_new"),
    ("reactivation", "bridge_reactivation"),
    ("expansion", "bridge_expansion"),
    ("contraction", "bridge_contraction"),
    ("churn", "bridge_churn"),
    ("fx", "bridge_fx"),
    ("closing", "bridge_closing"),
];

fn text<'a>(row: &'a Row, col: &str) -> &'a str {
    row.get(col).and_then(|v| v.as_deref()).unwrap_or_default()
}

/// The retention rows (`periods` then `ttm` of a report or a segment) against `rows`.
fn compare_periods(what: &str, j: &Value, rows: &[&Row], bridge: bool, diffs: &mut Vec<String>) {
    let mut want: Vec<(String, String, &Value)> = Vec::new();
    for p in j["periods"].as_array().into_iter().flatten() {
        let g = p["granularity"].as_str().unwrap_or_default();
        want.push((p["period"].as_str().unwrap_or_default().into(), g.into(), p));
    }
    for p in j["ttm"].as_array().into_iter().flatten() {
        want.push((
            p["month"].as_str().unwrap_or_default().into(),
            "ttm".into(),
            p,
        ));
    }
    if want.len() != rows.len() {
        diffs.push(format!(
            "{what}: nrr has {} periods, SQL {}",
            want.len(),
            rows.len()
        ));
    }
    for (period, g, p) in want {
        let Some(row) = rows
            .iter()
            .find(|r| text(r, "period") == period && text(r, "granularity") == g)
        else {
            diffs.push(format!("{what}: no SQL row for {g} {period}"));
            continue;
        };
        compare(&format!("{what} {g} {period}"), p, row, COHORT, diffs);
        if bridge {
            compare(
                &format!("{what} {g} {period} bridge"),
                &p["bridge"],
                row,
                PERIOD_BRIDGE,
                diffs,
            );
        }
    }
}

/// Every difference between the engine's views and nrr's figures.
fn differences(p: &Prepared, views: &Views) -> Vec<String> {
    let mut diffs = Vec::new();
    let view = |n: &str| views.get(n).unwrap_or_else(|| panic!("view {n} not read"));
    if !view("nrr_unsupported_lines").is_empty() {
        diffs.push("nrr_unsupported_lines is not empty".into());
    }
    let months = p.report["months"].as_array().expect("months");
    let bridge = view("nrr_bridge");
    if months.len() != bridge.len() {
        diffs.push(format!(
            "months: nrr {}, SQL {}",
            months.len(),
            bridge.len()
        ));
    }
    for m in months {
        let label = m["month"].as_str().unwrap_or_default();
        match bridge.iter().find(|r| text(r, "month") == label) {
            Some(row) => compare(&format!("month {label}"), m, row, BRIDGE, &mut diffs),
            None => diffs.push(format!("no SQL bridge row for {label}")),
        }
    }
    let rows: Vec<&Row> = view("nrr_retention").iter().collect();
    compare_periods("retention", &p.report, &rows, true, &mut diffs);
    movement_differences(p, view("nrr_movements"), &mut diffs);
    let cuts: Vec<&Value> = match p.report.get("segment_cuts") {
        Some(Value::Array(c)) => c.iter().collect(),
        _ => p.report.get("segments").into_iter().collect(),
    };
    for s in &p.segments {
        let cut = cuts
            .iter()
            .find(|c| c["column"] == s.as_str())
            .expect("the segment in the JSON");
        let rows = view(&format!("nrr_segment_retention_{s}"));
        let values = cut["values"].as_object().expect("segment values");
        for (v, j) in values {
            let of: Vec<&Row> = rows.iter().filter(|r| text(r, "segment") == v).collect();
            // nrr lists values no paying customer has (all cohorts empty); the SQL does not.
            let empty = |k: &str| {
                j[k].as_array()
                    .into_iter()
                    .flatten()
                    .all(|p| p["cohort_customers"] == 0)
            };
            if of.is_empty() && empty("periods") && empty("ttm") {
                continue;
            }
            compare_periods(&format!("segment {s}={v}"), j, &of, false, &mut diffs);
        }
        for r in rows
            .iter()
            .filter(|r| !values.contains_key(text(r, "segment")))
        {
            if text(r, "cohort_customers") != "0" {
                diffs.push(format!(
                    "segment {s}: SQL value {:?} not in nrr's",
                    text(r, "segment")
                ));
            }
        }
    }
    diffs
}

/// `nrr_movements` against `nrr movements`: the same rows, amounts within a unit of the
/// 12th decimal (the CSV rounds each row there, by largest remainder).
fn movement_differences(p: &Prepared, rows: &[Row], diffs: &mut Vec<String>) {
    let key = |m: &str, c: &str, k: &str| format!("{m} {c} {k}");
    let sql: BTreeMap<String, &Row> = rows
        .iter()
        .map(|r| {
            (
                key(
                    text(r, "month"),
                    text(r, "customer_id"),
                    text(r, "category"),
                ),
                r,
            )
        })
        .collect();
    if sql.len() != p.movements.len() {
        diffs.push(format!(
            "movements: nrr {} rows, SQL {}",
            p.movements.len(),
            sql.len()
        ));
    }
    for m in &p.movements {
        let k = key(&m[0], &m[1], &m[2]);
        let Some(row) = sql.get(&k) else {
            diffs.push(format!("movement {k}: no SQL row"));
            continue;
        };
        for (i, col) in [(4, "amount"), (5, "amount_at_month_rates")] {
            let got = atto(text(row, col));
            let want = atto(&m[i]) * 720_720;
            if (got - want).abs() > 720_720 * 1_000_000 {
                diffs.push(format!(
                    "movement {k} {col}: nrr {}, SQL {}",
                    &m[i],
                    text(row, col)
                ));
            }
        }
    }
}

/// Runs every case on one engine; fails with every difference of every case.
fn run_engine(engine: &str, cases: &[Case], run: &dyn Fn(&Prepared, &str, &Path) -> Views) {
    let started = Instant::now();
    let mut failures = Vec::new();
    for case in cases {
        let tmp = TempDir::new().expect("a temporary directory");
        let p = prepare(case, tmp.path());
        let views = run(&p, &format!("sql_{}", case.name), tmp.path());
        let diffs = differences(&p, &views);
        if !diffs.is_empty() {
            let shown: Vec<&String> = diffs.iter().take(8).collect();
            failures.push(format!(
                "{} ({} differences): {shown:#?}",
                case.name,
                diffs.len()
            ));
        }
    }
    eprintln!(
        "{engine}: {} cases in {:.1?}",
        cases.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{engine}: {} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn sql_on_duckdb_equals_nrr_on_every_items_fixture() {
    run_engine("duckdb", &item_cases(), &|p, _, tmp| duckdb_views(p, tmp));
}

#[test]
fn sql_on_duckdb_equals_nrr_on_generated_data() {
    let tmp = TempDir::new().expect("a temporary directory");
    run_engine("duckdb", &[generated_case(tmp.path())], &|p, _, tmp| {
        duckdb_views(p, tmp)
    });
}

#[cfg(feature = "postgres")]
#[test]
fn sql_on_postgres_equals_nrr_on_every_items_fixture() {
    run_engine("postgres", &item_cases(), &postgres_views);
}

#[cfg(feature = "postgres")]
#[test]
fn sql_on_postgres_equals_nrr_on_generated_data() {
    let tmp = TempDir::new().expect("a temporary directory");
    run_engine("postgres", &[generated_case(tmp.path())], &postgres_views);
}

/// The script of each dialect, with every option, is a snapshot.
#[test]
fn sql_scripts_of_each_dialect() {
    for d in ["duckdb", "postgres", "spark"] {
        let out = succeed(
            nrr_command().args([
                "sql",
                "--dialect",
                d,
                "--fx",
                "fx",
                "--currency",
                "USD",
                "--customers",
                "customers",
                "--segment",
                "segment",
                "--from",
                "2024-01",
                "--to",
                "2024-12",
            ]),
            "nrr sql",
        );
        let text = String::from_utf8(out.stdout).expect("UTF-8");
        let text = text.replacen(env!("CARGO_PKG_VERSION"), "[VERSION]", 1);
        insta::assert_snapshot!(format!("script_{d}"), text);
    }
}

/// `--materialize`: every view of the script becomes a table of the same query, in the same
/// order.
#[test]
fn materialized_scripts_create_the_same_queries_as_tables() {
    for (d, table) in [
        ("duckdb", "CREATE OR REPLACE TABLE"),
        ("postgres", "CREATE TABLE"),
        ("spark", "CREATE TABLE"),
    ] {
        let script = |extra: &[&str]| {
            let out = succeed(
                nrr_command().args(["sql", "--dialect", d]).args(extra),
                "nrr sql",
            );
            String::from_utf8(out.stdout).expect("UTF-8")
        };
        let (views, tables) = (script(&[]), script(&["--materialize"]));
        let creates = |text: &str, what: &str| -> Vec<String> {
            text.lines()
                .filter_map(|l| l.strip_prefix(what))
                .map(|rest| rest.trim().to_string())
                .collect()
        };
        let view = if d == "postgres" {
            "CREATE VIEW"
        } else {
            "CREATE OR REPLACE VIEW"
        };
        let (v, t) = (creates(&views, view), creates(&tables, table));
        assert!(v.len() >= 10 && v == t, "{d}: {v:?} vs {t:?}");
        assert!(!tables.contains(" VIEW "), "{d}: {tables}");
        // The queries are the same text.
        let body = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| !l.starts_with("--") && !l.contains(" VIEW ") && !l.contains(" TABLE "))
                .map(String::from)
                .collect()
        };
        assert_eq!(body(&views), body(&tables), "{d}");
    }
}

/// Bad flags are usage errors (exit 2) naming what is wrong.
#[test]
fn sql_usage_errors() {
    for (args, needle) in [
        (&["--fx", "fx"][..], "--fx needs --currency"),
        (&["--segment", "segment"], "--segment needs --customers"),
        (
            &["--customers", "c", "--segment", "product"],
            "--segment product",
        ),
        (&["--lines", "a;drop"], "not a plain SQL identifier"),
        (&["--from", "2024-05", "--to", "2024-01"], "is after --to"),
    ] {
        let out = nrr_command()
            .args(["sql", "--dialect", "duckdb"])
            .args(args)
            .output()
            .expect("nrr");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}
