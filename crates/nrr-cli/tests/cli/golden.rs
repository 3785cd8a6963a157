//! Golden fixtures: every folder of `tests/fixtures/` is run through `nrr report` and its JSON
//! must contain the folder's hand-checked `expected.json` as a subset. The same fixtures are
//! also checked in CSV (money columns equal to the JSON's) and as a table.

use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Output;

/// Tolerance for numbers that are not both integers.
const TOLERANCE: f64 = 1e-9;

use crate::util::{fixture_args, fixtures_dir, nrr_command};

/// Runs `nrr report <dir> <args.txt> --format <format>` (with `NO_COLOR=1`).
fn run_report(name: &str, format: &str) -> Output {
    let dir = fixtures_dir().join(name);
    let out = nrr_command()
        .arg("report")
        .arg(&dir)
        .args(fixture_args(&dir))
        .args(["--format", format])
        .output()
        .expect("running nrr");
    assert!(
        out.status.success(),
        "nrr report {name} --format {format} exited with {:?}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn report_json(name: &str) -> Value {
    let out = run_report(name, "json");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{name}: stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn expected_json(name: &str) -> Value {
    let path = fixtures_dir().join(name).join("expected.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The key that identifies an entry of an array of objects: `period`, else `month`.
fn entry_key(v: &Value) -> Option<(&'static str, &Value)> {
    let o = v.as_object()?;
    ["period", "month"]
        .into_iter()
        .find_map(|k| o.get(k).map(|val| (k, val)))
}

/// Checks that `actual` contains `expected`: objects key by key (only the expected keys),
/// arrays of objects matched by their `period` or `month` key, other arrays element by element,
/// numbers within [`TOLERANCE`] unless both are integers, everything else exactly. Every
/// difference is pushed to `diffs` as `path: expected X, actual Y`.
fn contains(expected: &Value, actual: &Value, path: &str, diffs: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = format!("{path}.{k}");
                match a.get(k) {
                    Some(av) => contains(ev, av, &p, diffs),
                    None => diffs.push(format!("{p}: expected {ev}, actual: key missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            let keyed = !e.is_empty() && e.iter().all(|v| entry_key(v).is_some());
            if keyed {
                for ev in e {
                    let (k, kv) = entry_key(ev).expect("checked above");
                    let p = format!("{path}[{k}={}]", kv.as_str().unwrap_or(&kv.to_string()));
                    // Several entries may share the key (movement_check.disagreements: one per
                    // account and month): take the one that matches, else the first.
                    let same_key: Vec<&Value> =
                        a.iter().filter(|av| av.get(k) == Some(kv)).collect();
                    let matching = same_key.iter().copied().find(|av| {
                        let mut d = Vec::new();
                        contains(ev, av, &p, &mut d);
                        d.is_empty()
                    });
                    match matching.or(same_key.first().copied()) {
                        Some(av) => contains(ev, av, &p, diffs),
                        None => diffs.push(format!("{p}: expected entry, actual: no such entry")),
                    }
                }
            } else {
                if e.len() != a.len() {
                    diffs.push(format!(
                        "{path}: expected {} elements, actual {}",
                        e.len(),
                        a.len()
                    ));
                }
                for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                    contains(ev, av, &format!("{path}[{i}]"), diffs);
                }
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            let same = match (e.as_i64(), a.as_i64(), e.as_u64(), a.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => match (e.as_f64(), a.as_f64()) {
                    (Some(x), Some(y)) => (x - y).abs() <= TOLERANCE,
                    _ => false,
                },
            };
            if !same {
                diffs.push(format!("{path}: expected {e}, actual {a}"));
            }
        }
        (e, a) if kind(e) == kind(a) => {
            if e != a {
                diffs.push(format!("{path}: expected {e}, actual {a}"));
            }
        }
        (e, a) => diffs.push(format!(
            "{path}: expected {e} ({}), actual {a} ({})",
            kind(e),
            kind(a)
        )),
    }
}

fn check_json(name: &str) {
    let expected = expected_json(name);
    let actual = report_json(name);
    let mut diffs = Vec::new();
    // `usage` is there exactly when asked for (`--usage` in args.txt).
    let asked = fixture_args(&fixtures_dir().join(name))
        .iter()
        .any(|a| a == "--usage");
    if actual.get("usage").is_some() != asked {
        diffs.push(format!(
            "$.usage: present {}, --usage given {asked}",
            !asked
        ));
    }
    contains(&expected, &actual, "$", &mut diffs);
    assert!(
        diffs.is_empty(),
        "fixture {name}: {} difference(s) from expected.json:\n  {}",
        diffs.len(),
        diffs.join("\n  ")
    );
}

/// Money columns of the CSV period table (the `bridge` object is flattened to `bridge_*`).
const CSV_MONEY: &[&str] = &[
    "starting_mrr",
    "expansion",
    "contraction",
    "churn",
    "ending_cohort_mrr",
    "fx_impact",
];
const BRIDGE_MONEY: &[&str] = &[
    "opening",
    "new",
    "reactivation",
    "expansion",
    "contraction",
    "churn",
    "fx",
    "closing",
];
const CSV_RATIOS: &[&str] = &["nrr", "grr", "logo_churn_rate"];
const CSV_COUNTS: &[&str] = &["cohort_customers", "churned_customers"];

/// The JSON entry a CSV row describes, within one set of `periods` and `ttm` arrays.
fn json_entry<'a>(scope: &'a Value, row: &dyn Fn(&str) -> &'a str) -> Option<&'a Value> {
    if row("granularity") == "ttm" {
        scope["ttm"]
            .as_array()?
            .iter()
            .find(|t| t["month"] == row("end_month"))
    } else {
        scope["periods"]
            .as_array()?
            .iter()
            .find(|p| p["period"] == row("period"))
    }
}

fn check_csv(name: &str) {
    let json = report_json(name);
    let out = run_report(name, "csv");
    // Parsed as CSV: the `notes` and `notices` columns may hold quoted commas.
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(out.stdout.as_slice());
    let records: Vec<::csv::StringRecord> = reader
        .records()
        .map(|r| r.unwrap_or_else(|e| panic!("{name}: CSV does not parse: {e}")))
        .collect();
    let (header, rows) = records.split_first().expect("a header row");
    let header: Vec<&str> = header.iter().collect();
    let col = |n: &str| header.iter().position(|h| *h == n);
    for required in ["period", "granularity", "start_month", "end_month"]
        .iter()
        .chain(CSV_MONEY)
        .chain(CSV_RATIOS)
        .chain(CSV_COUNTS)
    {
        assert!(
            col(required).is_some(),
            "{name}: CSV has no `{required}` column"
        );
    }
    let segmented = header[0] == "segment";
    let mut diffs = Vec::new();
    let mut rows_per_scope = std::collections::BTreeMap::<String, usize>::new();
    // With notices, every row ends with them, the same on each (a spreadsheet-safe text cell:
    // `'` before a leading `-`, as `--full-refunds ...`).
    let notices = json["notices"].as_array().map(|n| {
        let n: Vec<&str> = n.iter().filter_map(Value::as_str).collect();
        nrr_io::write::text_cell(&n.join(" | ")).into_owned()
    });
    assert_eq!(
        header.last() == Some(&"notices"),
        notices.is_some(),
        "{name}: a `notices` column exactly when the report has notices"
    );
    for (i, record) in rows.iter().enumerate() {
        let line_no = i + 2;
        let fields: Vec<&str> = record.iter().collect();
        assert_eq!(
            fields.len(),
            header.len(),
            "{name}: CSV line {line_no} has {} fields, the header {}: {record:?}",
            fields.len(),
            header.len()
        );
        if let Some(n) = &notices {
            assert_eq!(
                fields.last(),
                Some(&n.as_str()),
                "{name}: CSV line {line_no}"
            );
        }
        let get = |n: &str| fields[col(n).unwrap_or_else(|| panic!("no column {n}"))];
        let (scope_name, scope) = if segmented && get("segment") != "(all)" {
            let seg = get("segment");
            (seg.to_string(), &json["segments"]["values"][seg])
        } else {
            ("(all)".to_string(), &json)
        };
        *rows_per_scope.entry(scope_name.clone()).or_default() += 1;
        let here = format!("line {line_no} [{scope_name}] {}", get("period"));
        let Some(entry) = json_entry(scope, &get) else {
            diffs.push(format!("{here}: no matching JSON entry"));
            continue;
        };
        let mut same = |csv_col: &str, csv: &str, json_v: &Value| {
            let ok = match json_v {
                Value::String(s) => s == csv,
                Value::Null => csv.is_empty(),
                Value::Number(n) if n.is_u64() => csv.parse::<u64>().ok() == n.as_u64(),
                Value::Number(n) => csv
                    .parse::<f64>()
                    .is_ok_and(|c| (c - n.as_f64().unwrap_or(f64::NAN)).abs() <= TOLERANCE),
                _ => false,
            };
            if !ok {
                diffs.push(format!("{here}: {csv_col}: csv `{csv}`, json {json_v}"));
            }
        };
        for &m in CSV_MONEY.iter().chain(CSV_RATIOS).chain(CSV_COUNTS) {
            same(m, get(m), &entry[m]);
        }
        for &b in BRIDGE_MONEY {
            let c = format!("bridge_{b}");
            same(&c, get(&c), &entry["bridge"][b]);
        }
        if get("granularity") != "ttm" {
            for k in ["granularity", "start_month", "end_month"] {
                same(k, get(k), &entry[k]);
            }
        }
    }
    // Every JSON period and TTM entry has exactly one CSV row.
    let mut scopes = vec![("(all)".to_string(), &json)];
    if let Some(values) = json["segments"]["values"].as_object() {
        scopes.extend(values.iter().map(|(k, v)| (k.clone(), v)));
    }
    for (scope_name, scope) in scopes {
        let n = scope["periods"].as_array().map_or(0, Vec::len)
            + scope["ttm"].as_array().map_or(0, Vec::len);
        let got = rows_per_scope.get(&scope_name).copied().unwrap_or(0);
        if n != got {
            diffs.push(format!(
                "[{scope_name}]: JSON has {n} periods + ttm entries, CSV {got} rows"
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "fixture {name}: CSV differs from JSON:\n  {}",
        diffs.join("\n  ")
    );
}

fn check_table(name: &str) {
    let json = report_json(name);
    let has_quarter = json["periods"]
        .as_array()
        .expect("periods")
        .iter()
        .any(|p| p["granularity"] == "quarter");
    let out = run_report(name, "table");
    let text = String::from_utf8(out.stdout).expect("table is UTF-8");
    assert!(
        !text.contains('\u{1b}'),
        "{name}: escape codes with NO_COLOR=1"
    );
    assert_eq!(
        text.contains("Retention by quarter"),
        has_quarter,
        "{name}: complete quarter in window: {has_quarter}; table:\n{text}"
    );
    assert!(
        text.contains("MRR bridge by month"),
        "{name}: no monthly bridge:\n{text}"
    );
}

macro_rules! fixtures {
    ($($name:ident),* $(,)?) => {
        /// The fixture folders this file tests.
        const FIXTURES: &[&str] = &[$(stringify!($name)),*];

        mod json {
            $(#[test] fn $name() { super::check_json(stringify!($name)); })*
        }
        mod csv {
            $(#[test] fn $name() { super::check_csv(stringify!($name)); })*
        }
        mod table {
            $(#[test] fn $name() { super::check_table(stringify!($name)); })*
        }
    };
}

fixtures!(
    annual_plan,
    churn_reactivation_in_quarter,
    customer_map_migration,
    customer_map_migration_unmapped,
    fx_eur_report_from_usd_rates,
    fx_expansion_same_month,
    fx_gbp_eur_cross_from_usd_rates,
    fx_only_change,
    invoices_cancel,
    invoices_cancel_at_cancellation,
    invoices_coupons,
    invoices_coupons_gross,
    invoices_free_month,
    invoices_free_month_gross,
    invoices_monthly_window,
    as_of_future_end,
    as_of_mid_month,
    fiscal_year_february,
    fiscal_year_july,
    invoices_full_refund,
    invoices_full_refund_end_service,
    invoices_full_refund_preset_chartmogul,
    invoices_fx,
    invoices_fx_past_due_churn,
    invoices_intervals,
    invoices_intervals_as_expansion,
    invoices_multi_interval,
    invoices_multi_interval_at_cancellation,
    invoices_partial_refund_end_service,
    invoices_past_due,
    invoices_past_due_churn,
    invoices_pause,
    invoices_pause_cancel_same_month_zero,
    invoices_pause_cancel_zero,
    invoices_pause_churn,
    invoices_pause_zero,
    invoices_proration,
    invoices_proration_preset_maxio,
    invoices_quantity_discount,
    invoices_quantity_discount_gross,
    invoices_refund_credit_trial,
    invoices_refund_credit_trial_gross,
    invoices_two_subscriptions,
    invoices_two_subscriptions_at_cancellation,
    invoices_usage,
    mid_period_new_logo,
    one_time_charge,
    reactivation_any_gap,
    reactivation_as_expansion,
    reactivation_window_3,
    segment_by_product,
    segments,
    snapshots_first_of_month_close,
    snapshots_first_of_month_open,
    snapshots_mixed_dates_close,
    snapshots_mixed_dates_open,
    snapshots_movements_agree,
    snapshots_movements_as_expansion,
    snapshots_movements_disagree,
    snapshots_two_currencies,
    snapshots_two_currencies_window_1,
    stripe_amount_off_items,
    stripe_basil_quantity,
    stripe_cancel_at_mid_cycle,
    stripe_full_refund,
    stripe_full_refund_by_refund_end_service,
    stripe_full_refund_end_service,
    stripe_intervals,
    stripe_intervals_preset_stripe,
    stripe_invoice_cases,
    stripe_invoice_cases_basil,
    stripe_invoices,
    stripe_invoices_basil,
    stripe_invoices_gross,
    stripe_lifecycle,
    stripe_lifecycle_forever_only,
    stripe_lifecycle_pause_zero,
    stripe_lifecycle_policies,
    stripe_live_missing_invoice,
    stripe_mixed_shapes,
    stripe_multi_interval,
    stripe_multi_interval_policies,
    stripe_past_due_recovers,
    stripe_past_due_recovers_basil,
    stripe_past_due_recovers_churn,
    stripe_refund_credit,
    stripe_refund_credit_basil,
    stripe_refund_credit_preset_stripe,
    stripe_status_paths,
    stripe_status_paths_basil,
    stripe_status_paths_past_due_churn,
    stripe_tiers,
    stripe_usage,
    stripe_usage_basil,
    stripe_usage_gross,
    top_customers,
    ttm_year,
    unit_amount_seats,
    worked_example_100,
    worked_example_107,
    worked_example_115,
);

/// A Stripe export in the current API shape (`<classic>_basil`, written by
/// tests/tools/stripe_basil.py from its classic twin) and the export mixing both shapes
/// (`stripe_mixed_shapes`) give the same report as the classic export, `notices` aside (a
/// current-shape line names its price by id only, which a notice may mention).
#[test]
fn stripe_exports_in_the_current_shape_report_as_their_classic_twins() {
    let mut pairs: Vec<(String, String)> = FIXTURES
        .iter()
        .filter_map(|n| {
            n.strip_suffix("_basil")
                .map(|c| (c.to_string(), n.to_string()))
        })
        .collect();
    assert!(pairs.len() >= 6, "{pairs:?}");
    pairs.push(("stripe_invoice_cases".into(), "stripe_mixed_shapes".into()));
    for (classic, current) in pairs {
        let without_notices = |name: &str| {
            let mut v = report_json(name);
            v.as_object_mut()
                .expect("a report object")
                .remove("notices");
            v
        };
        assert_eq!(
            without_notices(&classic),
            without_notices(&current),
            "{current} does not report as {classic}"
        );
    }
}

#[test]
fn every_fixture_folder_is_listed() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(fixtures_dir())
        .expect("reading tests/fixtures")
        .map(|e| e.expect("a directory entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = FIXTURES.iter().map(|s| s.to_string()).collect();
    let unlisted: Vec<&String> = on_disk.difference(&listed).collect();
    let missing: Vec<&String> = listed.difference(&on_disk).collect();
    assert!(
        unlisted.is_empty() && missing.is_empty(),
        "add these fixture folders to the fixtures! list in tests/golden.rs: {unlisted:?}; \
         listed but not on disk: {missing:?}"
    );
}

#[test]
fn every_fixture_folder_has_args_and_expected_json() {
    for name in FIXTURES {
        let dir = fixtures_dir().join(name);
        for f in ["args.txt", "expected.json"] {
            assert!(dir.join(f).is_file(), "{name} has no {f}");
        }
    }
}

/// The comparison itself must find differences, or every golden test would pass vacuously.
#[test]
fn subset_comparison_reports_every_difference() {
    let expected = serde_json::json!({
        "currency": "USD",
        "rows": { "read": 3 },
        "periods": [
            { "period": "2024-Q1", "nrr": 1.15, "churn": "10.00" },
            { "period": "2024-Q2", "nrr": null },
        ],
        "months": [{ "month": "2024-01", "customers": 4 }],
    });
    let actual = serde_json::json!({
        "currency": "USD",
        "extra": true,
        "rows": { "read": 3, "used": 3 },
        "periods": [
            { "period": "2024-01", "nrr": 2.0 },
            { "period": "2024-Q1", "nrr": 1.150_000_000_1, "churn": "10.01" },
        ],
        "months": [{ "month": "2024-01", "customers": 5 }],
    });
    let mut diffs = Vec::new();
    contains(&expected, &actual, "$", &mut diffs);
    assert_eq!(
        diffs,
        [
            "$.months[month=2024-01].customers: expected 4, actual 5",
            "$.periods[period=2024-Q1].churn: expected \"10.00\", actual \"10.01\"",
            "$.periods[period=2024-Q2]: expected entry, actual: no such entry",
        ]
    );

    let mut diffs = Vec::new();
    contains(
        &serde_json::json!({"nrr": 1.0, "n": 1}),
        &serde_json::json!({"nrr": 1, "n": 1.0}),
        "$",
        &mut diffs,
    );
    // 1.0 vs 1 is within tolerance; an integer 1 vs a float 1.0 too.
    assert!(diffs.is_empty(), "{diffs:?}");

    let mut diffs = Vec::new();
    contains(
        &serde_json::json!({"nrr": null}),
        &serde_json::json!({"nrr": 0.0}),
        "$",
        &mut diffs,
    );
    assert_eq!(diffs, ["$.nrr: expected null (null), actual 0.0 (number)"]);
}
