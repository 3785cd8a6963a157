//! The comparison of the differential test of `nrr sql` ([`crate::sql`]): every row an
//! engine read back from `nrr_customer_month`, `nrr_bridge`, `nrr_movements`, `nrr_retention`
//! and `nrr_segment_retention_*` against `nrr customer-months`, `nrr report --format json` and
//! `nrr movements`: money to the 12th decimal of nrr's exact value (exactly where the shown
//! value is exact), ratios and counts exactly; a row on one side only is a difference.

use crate::sql::{Prepared, Row, Views};
use serde_json::Value;
use std::collections::BTreeMap;

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

/// `YYYY-MM` moved by `by` months.
fn month_plus(m: &str, by: i32) -> String {
    let (y, mo) = m
        .split_once('-')
        .unwrap_or_else(|| panic!("not a month: {m}"));
    let i = y.parse::<i32>().expect("a year") * 12 + mo.parse::<i32>().expect("a month") - 1 + by;
    format!("{}-{:02}", i.div_euclid(12), i.rem_euclid(12) + 1)
}

/// A period's first and last month and t0, from its JSON: `start_month` and `end_month` of a
/// period (t0 the month before), `month` (the last) and `t0` of a TTM.
fn period_months(p: &Value, ttm: bool) -> [String; 3] {
    let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
    if ttm {
        [month_plus(&s("t0"), 1), s("month"), s("t0")]
    } else {
        [
            s("start_month"),
            s("end_month"),
            month_plus(&s("start_month"), -1),
        ]
    }
}

/// The retention rows (`periods` then `ttm` of a report or a segment) against `rows`; the
/// number of rows compared.
fn compare_periods(
    what: &str,
    j: &Value,
    rows: &[&Row],
    bridge: bool,
    diffs: &mut Vec<String>,
) -> usize {
    let mut want: Vec<(String, String, &Value, [String; 3])> = Vec::new();
    for p in j["periods"].as_array().into_iter().flatten() {
        let g = p["granularity"].as_str().unwrap_or_default();
        let months = period_months(p, false);
        want.push((
            p["period"].as_str().unwrap_or_default().into(),
            g.into(),
            p,
            months,
        ));
    }
    for p in j["ttm"].as_array().into_iter().flatten() {
        want.push((
            p["month"].as_str().unwrap_or_default().into(),
            "ttm".into(),
            p,
            period_months(p, true),
        ));
    }
    if want.len() != rows.len() {
        diffs.push(format!(
            "{what}: nrr has {} periods, SQL {}",
            want.len(),
            rows.len()
        ));
    }
    let mut compared = 0;
    for (period, g, p, months) in want {
        let Some(row) = rows
            .iter()
            .find(|r| text(r, "period") == period && text(r, "granularity") == g)
        else {
            diffs.push(format!("{what}: no SQL row for {g} {period}"));
            continue;
        };
        compared += 1;
        for (col, want) in ["start_month", "end_month", "t0"].iter().zip(&months) {
            if text(row, col) != want {
                diffs.push(format!(
                    "{what} {g} {period} {col}: nrr {want}, SQL {:?}",
                    text(row, col)
                ));
            }
        }
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
    compared
}

/// Views that may compare no row in a case: (case, view). Every other view of every case must
/// compare at least one row with nrr's, so that a comparison cannot pass on two empty sides.
const MAY_BE_EMPTY: &[(&str, &str)] = &[];

/// Every difference between the engine's views and nrr's figures, and a view that compared no
/// row (unless listed in [`MAY_BE_EMPTY`]).
pub(crate) fn differences(p: &Prepared, views: &Views) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut compared: BTreeMap<String, usize> = BTreeMap::new();
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
    let mut n = 0;
    for m in months {
        let label = m["month"].as_str().unwrap_or_default();
        match bridge.iter().find(|r| text(r, "month") == label) {
            Some(row) => {
                n += 1;
                compare(&format!("month {label}"), m, row, BRIDGE, &mut diffs);
            }
            None => diffs.push(format!("no SQL bridge row for {label}")),
        }
    }
    compared.insert("nrr_bridge".into(), n);
    let rows: Vec<&Row> = view("nrr_retention").iter().collect();
    let n = compare_periods("retention", &p.report, &rows, true, &mut diffs);
    compared.insert("nrr_retention".into(), n);
    let n = movement_differences(p, view("nrr_movements"), &mut diffs);
    compared.insert("nrr_movements".into(), n);
    let n = customer_month_differences(p, view("nrr_customer_month"), &mut diffs);
    compared.insert("nrr_customer_month".into(), n);
    let cuts: Vec<&Value> = match p.report.get("segment_cuts") {
        Some(Value::Array(c)) => c.iter().collect(),
        _ => p.report.get("segments").into_iter().collect(),
    };
    for s in &p.segments {
        let cut = cuts
            .iter()
            .find(|c| c["column"] == s.as_str())
            .expect("the segment in the JSON");
        let name = crate::sql::segment_view(s);
        let rows = view(&name);
        let values = cut["values"].as_object().expect("segment values");
        let mut n = 0;
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
            n += compare_periods(&format!("segment {s}={v}"), j, &of, false, &mut diffs);
        }
        compared.insert(name, n);
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
    for (v, n) in compared {
        if n == 0 && !MAY_BE_EMPTY.contains(&(p.name.as_str(), v.as_str())) {
            diffs.push(format!("{v}: no row compared"));
        }
    }
    diffs
}

/// `nrr_movements` against `nrr movements`: the same rows, amounts within a unit of the
/// 12th decimal (the CSV rounds each row there, by largest remainder); the number compared.
fn movement_differences(p: &Prepared, rows: &[Row], diffs: &mut Vec<String>) -> usize {
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
    let mut compared = 0;
    for m in &p.movements {
        let k = key(&m[0], &m[1], &m[2]);
        let Some(row) = sql.get(&k) else {
            diffs.push(format!("movement {k}: no SQL row"));
            continue;
        };
        compared += 1;
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
    compared
}

/// The money columns of `nrr_customer_month`: the last two with an fx table only (without one
/// every rate is 1 and the retention reads `mrr`).
const CUSTOMER_MONTH_MONEY: [&str; 5] = [
    "mrr",
    "mrr_at_previous_rates",
    "mrr_at_next_rates",
    "mrr_at_rates_3_back",
    "mrr_at_rates_12_back",
];

/// `nrr_customer_month` against `nrr customer-months`: the same columns, the same rows (by
/// customer and month: a row on one side only is a difference), `month_index` exactly, and
/// every money value within half a unit of the 12th decimal of nrr's (written exact, or
/// rounded half-even at the 12th), NULL exactly where nrr's is empty (a rate not known); the
/// number of rows compared.
fn customer_month_differences(p: &Prepared, rows: &[Row], diffs: &mut Vec<String>) -> usize {
    let (header, records) = p
        .customer_months
        .split_first()
        .expect("a header of nrr customer-months");
    let money = if p.fx.is_some() {
        &CUSTOMER_MONTH_MONEY[..]
    } else {
        &CUSTOMER_MONTH_MONEY[..3]
    };
    let mut columns: Vec<&str> = ["customer_id", "month", "month_index"]
        .iter()
        .chain(money)
        .copied()
        .collect();
    // nrr's rows as column -> value, by customer and month.
    let mut nrr: BTreeMap<(&str, &str), BTreeMap<&str, &str>> = BTreeMap::new();
    for r in records {
        let row: BTreeMap<&str, &str> = header.iter().zip(r.iter()).collect();
        let key = (row["customer_id"], row["month"]);
        assert!(
            nrr.insert(key, row).is_none(),
            "nrr customer-months: {key:?} twice"
        );
    }
    columns.sort_unstable();
    let mut sql: BTreeMap<(&str, &str), &Row> = BTreeMap::new();
    for r in rows {
        let got: Vec<&str> = r.keys().map(String::as_str).collect();
        if got != columns {
            diffs.push(format!(
                "customer_month: SQL columns {got:?}, expected {columns:?}"
            ));
            return 0;
        }
        let key = (text(r, "customer_id"), text(r, "month"));
        if sql.insert(key, r).is_some() {
            diffs.push(format!("customer_month {key:?}: more than one SQL row"));
        }
    }
    if sql.len() != nrr.len() {
        diffs.push(format!(
            "customer_month: nrr {} rows, SQL {}",
            nrr.len(),
            sql.len()
        ));
    }
    for key in sql.keys().filter(|k| !nrr.contains_key(*k)) {
        diffs.push(format!("customer_month {key:?}: SQL row not in nrr's"));
    }
    let mut compared = 0;
    for (key, want) in &nrr {
        let Some(row) = sql.get(key) else {
            diffs.push(format!("customer_month {key:?}: no SQL row"));
            continue;
        };
        compared += 1;
        if text(row, "month_index") != want["month_index"] {
            diffs.push(format!(
                "customer_month {key:?} month_index: nrr {}, SQL {:?}",
                want["month_index"],
                text(row, "month_index")
            ));
        }
        for &col in money {
            let (nrr, got) = (want[col], row[col].as_deref());
            let ok = match got {
                None => nrr.is_empty(),
                Some(v) => !nrr.is_empty() && money_matches(v, nrr, Some(nrr)),
            };
            if !ok {
                diffs.push(format!(
                    "customer_month {key:?} {col}: nrr {nrr:?}, SQL {got:?}"
                ));
            }
        }
    }
    compared
}

/// The comparison itself: a retention row whose months differ from nrr's is a difference, and
/// the rows compared are counted (a view that compares none fails [`differences`]).
#[test]
fn sql_comparison_checks_period_months_and_counts_rows() {
    let json: Value = serde_json::json!({
        "periods": [{"period": "2024-Q1", "granularity": "quarter", "start_month": "2024-01",
            "end_month": "2024-03", "starting_mrr": "1.00", "expansion": "0.00",
            "contraction": "0.00", "churn": "0.00", "ending_cohort_mrr": "1.00", "nrr": 1.0,
            "grr": 1.0, "cohort_customers": 1, "churned_customers": 0, "logo_churn_rate": 0.0,
            "fx_impact": "0.00"}],
        "ttm": [{"month": "2025-01", "t0": "2024-01", "starting_mrr": "1.00",
            "expansion": "0.00", "contraction": "0.00", "churn": "0.00",
            "ending_cohort_mrr": "1.00", "nrr": 1.0, "grr": 1.0, "cohort_customers": 1,
            "churned_customers": 0, "logo_churn_rate": 0.0, "fx_impact": "0.00"}],
    });
    let row = |period: &str, g: &str, months: [&str; 3]| -> Row {
        let mut r: Row = COHORT
            .iter()
            .map(|(_, c)| (c.to_string(), Some("0".to_string())))
            .collect();
        for (c, v) in [("starting_mrr", "720720"), ("ending_cohort_mrr", "720720")] {
            r.insert(c.into(), Some(v.into()));
        }
        for (c, v) in [("nrr", "1"), ("grr", "1"), ("cohort_customers", "1")] {
            r.insert(c.into(), Some(v.into()));
        }
        for (c, v) in [("period", period), ("granularity", g)] {
            r.insert(c.into(), Some(v.into()));
        }
        for (c, v) in ["start_month", "end_month", "t0"].iter().zip(months) {
            r.insert(c.to_string(), Some(v.into()));
        }
        r
    };
    let good = [
        row("2024-Q1", "quarter", ["2024-01", "2024-03", "2023-12"]),
        row("2025-01", "ttm", ["2024-02", "2025-01", "2024-01"]),
    ];
    let mut diffs = Vec::new();
    let rows: Vec<&Row> = good.iter().collect();
    assert_eq!(compare_periods("r", &json, &rows, false, &mut diffs), 2);
    assert!(diffs.is_empty(), "{diffs:?}");
    let bad = [
        row("2024-Q1", "quarter", ["2024-01", "2024-03", "2024-01"]),
        row("2025-01", "ttm", ["2024-01", "2025-01", "2024-01"]),
    ];
    let rows: Vec<&Row> = bad.iter().collect();
    compare_periods("r", &json, &rows, false, &mut diffs);
    assert_eq!(
        diffs,
        [
            "r quarter 2024-Q1 t0: nrr 2023-12, SQL \"2024-01\"",
            "r ttm 2025-01 start_month: nrr 2024-02, SQL \"2024-01\"",
        ]
    );
    assert_eq!(compare_periods("r", &json, &[], false, &mut Vec::new()), 0);
}
