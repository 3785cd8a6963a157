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
pub(crate) fn differences(p: &Prepared, views: &Views) -> Vec<String> {
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
    customer_month_differences(p, view("nrr_customer_month"), &mut diffs);
    let cuts: Vec<&Value> = match p.report.get("segment_cuts") {
        Some(Value::Array(c)) => c.iter().collect(),
        _ => p.report.get("segments").into_iter().collect(),
    };
    for s in &p.segments {
        let cut = cuts
            .iter()
            .find(|c| c["column"] == s.as_str())
            .expect("the segment in the JSON");
        let rows = view(&crate::sql::segment_view(s));
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
/// rounded half-even at the 12th), NULL exactly where nrr's is empty (a rate not known).
fn customer_month_differences(p: &Prepared, rows: &[Row], diffs: &mut Vec<String>) {
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
            return;
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
    for (key, want) in &nrr {
        let Some(row) = sql.get(key) else {
            diffs.push(format!("customer_month {key:?}: no SQL row"));
            continue;
        };
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
}
