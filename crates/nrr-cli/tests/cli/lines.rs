//! `nrr lines`: every fixture's data written as lines (CSV, and Parquet) and reported again
//! gives the figures of the report on the data itself, with the same options where they
//! still apply (docs/cli.md, `nrr lines`); the fixtures whose figures the lines cannot carry
//! (`--pauses zero`) differ exactly as documented; the output's shape is a snapshot; rejected
//! rows exit 1 and write nothing.
//!
//! **What is compared.** The report's JSON without the parts that describe the input rather
//! than the figures: `inputs` and `rows` (the files and the row ledger: the lines are other
//! rows), `notices` (what a reader noticed in its input), `policies` (the echo: the lines'
//! report applies no invoice or snapshot policy, the lines are already under them), `as_of`'s
//! `source` (given again from what `nrr lines` says; its `date` is compared),
//! `movement_check` (revenue_movements is checked against snapshots, not carried by lines)
//! and `usage` (usage charges are not recurring lines; `--usage` is not given to the lines'
//! report). Everything else is compared exactly: `currency`, `window`, `fiscal_year_start`,
//! `months`, `periods`, `ttm`, `segments`, `segment_cuts`, `benchmark_context` and the
//! other settings echoed.

use crate::util::{fixture_args, fixtures_dir, nrr_command, stderr_of, succeed};
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// Flags of `nrr report` that `nrr lines` does not take: the window and the report's own.
const REPORT_ONLY: &[&str] = &[
    "--from",
    "--to",
    "--fiscal-year-start",
    "--segment",
    "--top",
];

/// Flags the lines are already under: `nrr report` on them is not given these.
const APPLIED: &[&str] = &[
    "--source",
    "--churn-recognition",
    "--discounts",
    "--past-due",
    "--pauses",
    "--full-refunds",
    "--timezone",
    "--snapshot-date",
];

/// Flags without a value.
const SWITCHES: &[&str] = &["--usage", "--skip-invalid"];

/// Top-level keys of the report JSON that describe the input, not the figures.
const NOT_FIGURES: &[&str] = &[
    "inputs",
    "rows",
    "notices",
    "policies",
    "movement_check",
    "usage",
    "settings",
];

/// Side files a report on the lines reads again (customer_map.csv is applied in the lines).
const SIDE_FILES: &[&str] = &["fx.csv", "customers.csv", "annotations.csv"];

/// Fixtures whose figures the lines cannot carry: paused spans under `--pauses zero`
/// (docs/cli.md, `nrr lines`). (`invoices_pause_cancel_zero` and
/// `invoices_pause_cancel_same_month_zero` take `--pauses zero` too, but their pauses end in
/// a cancellation, which is churn under every reading: they round-trip.)
const PAUSES_ZERO: &[&str] = &["invoices_pause_zero", "stripe_lifecycle_pause_zero"];

/// What `nrr lines` says when the data has paused spans it cannot carry.
const PAUSES_NOTE: &str = "of --pauses zero are not in the lines";

/// A fixture's arguments split into flags (each with its value, `--flag=value` kept whole).
fn flags(args: &[String]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut flag = vec![a.clone()];
        if !a.contains('=') && !SWITCHES.contains(&a.as_str()) {
            flag.extend(it.next().cloned());
        }
        out.push(flag);
    }
    out
}

/// The flags of `args` whose name is not in `drop`, flattened.
fn without(args: &[String], drop: &[&str]) -> Vec<String> {
    flags(args)
        .into_iter()
        .filter(|f| {
            let name = f[0].split('=').next().unwrap_or_default();
            !drop.contains(&name)
        })
        .flatten()
        .collect()
}

/// `nrr report <args> --format json`, which must succeed.
fn report_json(args: &[std::ffi::OsString]) -> Value {
    let out = succeed(
        nrr_command()
            .arg("report")
            .args(args)
            .args(["--format", "json"]),
        &format!("nrr report {args:?}"),
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// The figures of a report: its JSON without [`NOT_FIGURES`], `as_of` as its date only.
fn figures(mut report: Value) -> Value {
    let o = report.as_object_mut().expect("a JSON object");
    for k in NOT_FIGURES {
        o.remove(*k);
    }
    if let Some(a) = o.get_mut("as_of") {
        *a = a["date"].clone();
    }
    report
}

/// The date of `--as-of DATE` in `nrr lines`' note about the as-of date, if it says one.
fn as_of_note(stderr: &str) -> Option<String> {
    let (_, rest) = stderr.split_once("give `nrr report` on them --as-of ")?;
    Some(rest.chars().take(10).collect())
}

/// The reports of one fixture: on the data, and on its lines written as `ext`.
pub(crate) struct RoundTrip {
    source: Value,
    lines: Value,
    /// `nrr lines`' standard error.
    stderr: String,
}

/// Writes `dir`'s lines as `lines.<ext>` in a temporary directory with the side files, and
/// reports on both, each with the fixture's options that apply to it.
fn round_trip(dir: &Path, ext: &str) -> RoundTrip {
    round_trip_from(&[dir.as_os_str().into()], dir, &fixture_args(dir), ext)
}

/// [`round_trip`] of the data that `source` reads (`DIR`, or `DIR --postgres URL --table
/// ...`), under the options `args`, with the side files of `side`.
pub(crate) fn round_trip_from(
    source: &[std::ffi::OsString],
    side: &Path,
    args: &[String],
    ext: &str,
) -> RoundTrip {
    let mut lines_args = without(args, REPORT_ONLY);
    lines_args.retain(|a| a != "--usage");
    let tmp = TempDir::new().expect("a temporary directory");
    let file = tmp.path().join(format!("lines.{ext}"));
    let out = succeed(
        nrr_command()
            .arg("lines")
            .args(source)
            .args(&lines_args)
            .arg("-o")
            .arg(&file),
        &format!("nrr lines {source:?} {}", lines_args.join(" ")),
    );
    let stderr = stderr_of(&out);
    for f in SIDE_FILES {
        if side.join(f).is_file() {
            std::fs::copy(side.join(f), tmp.path().join(f)).expect("copying a side file");
        }
    }
    let mut report_args = without(args, APPLIED);
    report_args.retain(|a| a != "--usage");
    if let Some(date) = as_of_note(&stderr) {
        report_args.extend(["--as-of".to_string(), date]);
    }
    let with = |first: &[std::ffi::OsString], rest: &[String]| -> Vec<std::ffi::OsString> {
        first
            .iter()
            .cloned()
            .chain(rest.iter().map(Into::into))
            .collect()
    };
    RoundTrip {
        source: figures(report_json(&with(source, args))),
        lines: figures(report_json(&with(&[file.into_os_string()], &report_args))),
        stderr,
    }
}

/// Every fixture folder, in name order.
fn all_fixtures() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("the fixtures directory")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 90, "fixtures: {dirs:?}");
    dirs
}

/// The fixtures whose revenue input has a file named `revenue` (`items.csv`, ...).
fn fixtures_with(revenue: &[&str]) -> Vec<PathBuf> {
    all_fixtures()
        .into_iter()
        .filter(|d| revenue.iter().any(|f| d.join(f).is_file()))
        .collect()
}

/// The first difference between two JSON values, as `path: source X, lines Y`.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                let p = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => first_difference(u, v, &p),
                    (u, v) => Some(format!("{p}: source {u:?}, lines {v:?}")),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (u, v))| first_difference(u, v, &format!("{path}[{i}]"))),
        _ => (a != b).then(|| format!("{path}: source {a}, lines {b}")),
    }
}

/// Every fixture of `dirs` round-trips through lines written as `ext`: the figures are
/// equal, except for [`PAUSES_ZERO`], whose figures differ exactly as documented (and only
/// those fixtures get the note about pauses).
fn assert_round_trips(dirs: &[PathBuf], ext: &str) {
    let mut failures = Vec::new();
    for dir in dirs {
        let name = dir.file_name().expect("a name").to_string_lossy();
        failures.extend(round_trip_failure(&name, &round_trip(dir, ext)));
    }
    assert!(!dirs.is_empty(), "no fixture checked");
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ through lines.{ext}:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
}

/// What is wrong with fixture `name`'s round trip, if anything: figures that differ, or for
/// [`PAUSES_ZERO`] a difference other than the documented one (a panic), or a note about
/// pauses where there is none.
pub(crate) fn round_trip_failure(name: &str, t: &RoundTrip) -> Option<String> {
    let paused = PAUSES_ZERO.contains(&name);
    assert_eq!(
        t.stderr.contains(PAUSES_NOTE),
        paused,
        "{name}: the note about pauses:\n{}",
        t.stderr
    );
    if paused {
        pauses_differ_as_documented(name, t);
        return None;
    }
    first_difference(&t.source, &t.lines, "$")
        .map(|d| format!("{name}: {d}\n  nrr lines said:\n{}", t.stderr))
}

#[test]
fn items_fixtures_round_trip() {
    assert_round_trips(&fixtures_with(&["items.csv"]), "csv");
}

#[test]
fn invoices_fixtures_round_trip() {
    assert_round_trips(&fixtures_with(&["invoices.csv"]), "csv");
}

#[test]
fn stripe_fixtures_round_trip() {
    let dirs = fixtures_with(&["subscriptions.json", "subscriptions.jsonl"]);
    assert_round_trips(&dirs, "csv");
}

#[test]
fn snapshots_fixtures_round_trip() {
    assert_round_trips(&fixtures_with(&["subscription_snapshots.csv"]), "csv");
}

/// Every fixture is one of the kinds above, so a new fixture is round-tripped too.
#[test]
fn every_fixture_is_round_tripped() {
    let kinds = [
        "items.csv",
        "invoices.csv",
        "subscriptions.json",
        "subscriptions.jsonl",
        "subscription_snapshots.csv",
    ];
    let missed: Vec<PathBuf> = all_fixtures()
        .into_iter()
        .filter(|d| !kinds.iter().any(|f| d.join(f).is_file()))
        .collect();
    assert!(missed.is_empty(), "fixtures of no known kind: {missed:?}");
}

/// A shown amount (`"130.00"`, `"-5.20"`) in cents; 0 when absent.
fn cents(v: &Value) -> i64 {
    let Some(s) = v.as_str() else { return 0 };
    let (int, frac) = s.split_once('.').unwrap_or((s, "00"));
    let sign = if int.starts_with('-') { -1 } else { 1 };
    let whole: i64 = int.trim_start_matches('-').parse().expect("an amount");
    let frac: i64 = format!("{frac:0<2}")[..2].parse().expect("cents");
    sign * (whole * 100 + frac)
}

/// `--pauses zero` (the fixtures of [`PAUSES_ZERO`]): the lines have no line in a paused
/// month, so a report on them counts the pause as churn and the resume as reactivation, as
/// docs/cli.md says; every other figure of the monthly bridge is the same, and so are each
/// period's starting and ending cohort MRR, NRR and GRR (a paused cohort customer's drop is
/// contraction in one and churn in the other: their sum is the same).
fn pauses_differ_as_documented(name: &str, t: &RoundTrip) {
    let (src, lines) = (&t.source, &t.lines);
    assert_ne!(src, lines, "{name}: the pauses should show");
    let months = src["months"].as_array().expect("months");
    assert_eq!(months.len(), lines["months"].as_array().map_or(0, Vec::len));
    for (s, l) in months
        .iter()
        .zip(lines["months"].as_array().expect("months"))
    {
        let at = format!("{name} {}", s["month"]);
        for same in [
            "opening_mrr",
            "closing_mrr",
            "new",
            "expansion",
            "contraction",
            "fx",
            "customers",
            "new_customers",
        ] {
            assert_eq!(s[same], l[same], "{at}: {same}");
        }
        let sum = |k: &str, m: &str| cents(&s[k]) + cents(&s[m]);
        assert_eq!(cents(&l["churn"]), sum("churn", "paused"), "{at}: churn");
        assert_eq!(
            cents(&l["reactivation"]),
            sum("reactivation", "resumed"),
            "{at}: reactivation"
        );
        let count = |v: &Value, k: &str| v[k].as_u64().unwrap_or(0);
        assert_eq!(
            count(l, "churned_customers"),
            count(s, "churned_customers") + count(s, "paused_customers"),
            "{at}: churned customers"
        );
        assert!(l.get("paused").is_none(), "{at}: paused in the lines");
    }
    let periods = |r: &Value| -> Vec<Value> {
        let mut v = r["periods"].as_array().cloned().unwrap_or_default();
        v.extend(r["ttm"].as_array().cloned().unwrap_or_default());
        v
    };
    for (s, l) in periods(src).iter().zip(periods(lines)) {
        let at = format!("{name} {} {}", s["period"], s["month"]);
        for same in [
            "starting_mrr",
            "ending_cohort_mrr",
            "nrr",
            "grr",
            "cohort_customers",
        ] {
            assert_eq!(s[same], l[same], "{at}: {same}");
        }
        let drop = |r: &Value| cents(&r["churn"]) + cents(&r["contraction"]);
        assert_eq!(drop(s), drop(&l), "{at}: churn + contraction");
    }
}

/// Writes `files` (name, text) and an `args.txt` holding `args` into a new temporary
/// directory, a fixture for [`round_trip`].
fn fixture_of(files: &[(&str, &str)], args: &str) -> TempDir {
    let tmp = TempDir::new().expect("a temporary directory");
    for (name, text) in files.iter().chain(&[("args.txt", args)]) {
        std::fs::write(tmp.path().join(name), text).expect("writing a fixture file");
    }
    tmp
}

/// The figures of a round trip are equal.
#[track_caller]
fn assert_same_figures(t: &RoundTrip) {
    if let Some(d) = first_difference(&t.source, &t.lines, "$") {
        panic!("{d}\nnrr lines said:\n{}", t.stderr);
    }
}

/// mrr.csv (the example of docs/input.md): a line per customer and month; its as-of date
/// (the last day of its latest month) is not in the lines, so `nrr lines` names it.
#[test]
fn mrr_csv_round_trips() {
    let mrr = "customer_id,month,mrr,currency\n\
               acme,2023-12,2000.00,USD\n\
               acme,2024-03,2400.00,USD\n\
               globex,2023-12,1500.00,USD\n\
               globex,2024-01,1500.00,USD\n\
               initech,2023-12,2000.00,USD\n\
               initech,2023-12,1000.00,USD\n";
    let tmp = fixture_of(&[("mrr.csv", mrr)], "");
    let t = round_trip(tmp.path(), "csv");
    assert!(
        t.stderr
            .contains("give `nrr report` on them --as-of 2024-03-31"),
        "{}",
        t.stderr
    );
    assert_same_figures(&t);
}

/// A Stripe price with sub-cent `unit_amount_decimal` (12.34567891 a month, 3 seats): the
/// charge has 8 places, more than items.csv takes, so the line is written as 100 times it
/// over 100 months, exactly the same MRR.
#[test]
fn a_sub_cent_stripe_price_round_trips_over_a_longer_interval() {
    let sub = serde_json::json!([{
        "id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "active",
        "start_date": 1704067200, "created": 1704067200, "billing_cycle_anchor": 1704067200,
        "cancel_at": null, "cancel_at_period_end": false, "canceled_at": null,
        "ended_at": null, "trial_start": null, "trial_end": null, "pause_collection": null,
        "discounts": [],
        "items": {"object": "list", "data": [{
            "id": "si_1", "object": "subscription_item", "quantity": 3,
            "current_period_start": 1709251200, "current_period_end": 1711929600,
            "price": {
                "id": "price_fine", "object": "price", "currency": "usd", "product": "prod_api",
                "billing_scheme": "per_unit", "unit_amount": null,
                "unit_amount_decimal": "1234.567891", "type": "recurring",
                "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"}
            }
        }]}
    }]);
    let tmp = fixture_of(
        &[("subscriptions.json", &sub.to_string())],
        "--from 2024-01 --to 2024-03",
    );
    let t = round_trip(tmp.path(), "csv");
    assert!(
        t.stderr
            .contains("1 line(s) charge more than 6 decimal places"),
        "{}",
        t.stderr
    );
    assert_same_figures(&t);
    assert_eq!(
        t.source["months"][0]["exact"]["new"], "37.03703673",
        "{}",
        t.source
    );
    let out = succeed(
        nrr_command().arg("lines").arg(tmp.path()),
        "nrr lines (sub-cent)",
    );
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(
        csv.contains("cus_1,,prod_api,price_fine,3,3703.703673,USD,100,2024-01-01,,recurring"),
        "{csv}"
    );
}

/// Every fixture round-trips through Parquet lines too.
#[cfg(feature = "parquet")]
#[test]
fn every_fixture_round_trips_through_parquet() {
    assert_round_trips(&all_fixtures(), "parquet");
}

/// The Parquet lines have typed columns: money as a decimal at the file's places, dates as
/// dates, counts as integers, and null where the CSV is empty.
#[cfg(feature = "parquet")]
#[test]
fn parquet_lines_have_typed_columns() {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let tmp = TempDir::new().expect("a temporary directory");
    let file = tmp.path().join("lines.parquet");
    succeed(
        nrr_command()
            .arg("lines")
            .arg(fixtures_dir().join("annual_plan"))
            .arg("-o")
            .arg(&file),
        "nrr lines -o lines.parquet",
    );
    let reader = ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&file).expect("the Parquet file"),
    )
    .expect("a Parquet file");
    let types: Vec<String> = reader
        .schema()
        .fields()
        .iter()
        .map(|f| format!("{} {} {}", f.name(), f.data_type(), f.is_nullable()))
        .collect();
    assert_eq!(
        types,
        [
            "customer_id Utf8 false",
            "subscription_id Utf8 true",
            "product Utf8 true",
            "plan Utf8 true",
            "quantity Int64 false",
            "amount Decimal128(38, 2) false",
            "currency Utf8 true",
            "interval_months Int64 false",
            "start_date Date32 false",
            "end_date Date32 true",
            "kind Utf8 false",
        ]
    );
    let rows: usize = reader
        .build()
        .expect("a reader")
        .map(|b| b.expect("a batch").num_rows())
        .sum();
    assert_eq!(rows, 7);
}

/// items.parquet as the source (the fixture `segments`, with customers.csv given again).
#[cfg(feature = "parquet")]
#[test]
fn items_parquet_round_trips() {
    let from = fixtures_dir().join("segments");
    let customers = std::fs::read_to_string(from.join("customers.csv")).expect("customers.csv");
    let args = fixture_args(&from).join(" ");
    let tmp = fixture_of(&[("customers.csv", &customers)], &args);
    nrr_io::parquet::items_csv_to_parquet(
        &from.join("items.csv"),
        &tmp.path().join("items.parquet"),
    )
    .expect("items.parquet");
    let t = round_trip(tmp.path(), "parquet");
    assert!(t.source["segments"].is_object(), "{}", t.source);
    assert_same_figures(&t);
}

/// The output on a small fixture (annual plans, a price change, a monthly line): the header
/// of items.csv, one row per line in input order, and the ledger on standard error.
#[test]
fn lines_of_a_small_fixture() {
    let run = crate::nrr(&["lines", "tests/fixtures/annual_plan"]);
    run.assert_code(0);
    insta::assert_snapshot!(run.transcript());
}

/// Invoices with `--pauses zero`: the lines after every invoice policy, and the notes on what
/// a report on them must be given (the as-of date) and cannot show (the pauses).
#[test]
fn lines_of_invoices_say_what_they_do_not_carry() {
    let run = crate::nrr(&[
        "lines",
        "tests/fixtures/invoices_pause_zero",
        "--pauses",
        "zero",
    ]);
    run.assert_code(0);
    insta::assert_snapshot!(run.transcript());
}

/// A rejected row stops `nrr lines` with exit code 1 and the rejection on standard error,
/// before anything is written; with `--skip-invalid` the other lines are written and the
/// skip is said.
#[test]
fn rejected_rows_exit_1_and_write_nothing() {
    let tmp = crate::items(&["beta,beta-1,12.345.6,USD,1,2024-01-01,,recurring"]);
    let run = crate::nrr_in(tmp.path(), &["lines", "data", "-o", "lines.csv"]);
    run.assert_code(1);
    assert!(run.stdout.is_empty(), "{}", run.transcript());
    assert!(
        !tmp.path().join("lines.csv").exists(),
        "lines.csv written despite a rejection"
    );
    insta::assert_snapshot!(run.transcript());
    let stdout = crate::nrr_in(tmp.path(), &["lines", "data"]);
    stdout.assert_code(1);
    assert!(stdout.stdout.is_empty(), "{}", stdout.transcript());
    let skip = crate::nrr_in(tmp.path(), &["lines", "data", "--skip-invalid"]);
    skip.assert_code(0);
    assert!(
        skip.stderr.contains("--skip-invalid: skipped 1 row"),
        "{}",
        skip.transcript()
    );
    assert_eq!(skip.stdout.lines().count(), 2, "{}", skip.transcript());
}

/// `-o` names a .csv or .parquet file; anything else is a usage error before any reading.
#[test]
fn output_is_csv_or_parquet() {
    let tmp = crate::items(&[]);
    let run = crate::nrr_in(tmp.path(), &["lines", "data", "-o", "lines.xlsx"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("does not end in .csv or .parquet, the formats nrr lines writes"),
        "{}",
        run.transcript()
    );
}
