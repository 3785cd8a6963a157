//! Shown figures foot in every output format (docs/metrics.md, "Shown figures foot"): on
//! random generated datasets, the table's bridges and cohorts, and the CSV's bridges, cohorts,
//! ARR and segment sums, add up in the cents they show. (The JSON is checked, with the exact
//! values it keeps, by nrr-core's property tests.)

use crate::util::nrr_command;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

fn nrr(args: &[&str]) -> String {
    let out = nrr_command()
        .args(args)
        // One line per row, so the rows can be read back.
        .env("COLUMNS", "400")
        .output()
        .expect("nrr runs");
    assert!(
        out.status.success(),
        "nrr {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// `-1,234.56` or `-1234.56` -> cents.
fn cents(s: &str) -> i128 {
    let s = s.replace(',', "");
    let (int, frac) = s
        .split_once('.')
        .unwrap_or_else(|| panic!("not an amount: {s}"));
    assert_eq!(frac.len(), 2, "shown with 2 decimals: {s}");
    let c =
        int.trim_start_matches('-').parse::<i128>().unwrap() * 100 + frac.parse::<i128>().unwrap();
    if int.starts_with('-') {
        -c
    } else {
        c
    }
}

/// The rows of a table section whose title starts with `title`: header, then rows up to the
/// first blank line, each split on runs of spaces.
fn sections<'a>(table: &'a str, title: &str) -> Vec<Vec<Vec<&'a str>>> {
    let lines: Vec<&str> = table.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with(title) {
            let rows = lines[i + 2..]
                .iter()
                .take_while(|l| !l.trim().is_empty())
                .map(|l| l.split_whitespace().collect())
                .collect();
            out.push(rows);
        }
    }
    out
}

/// A small generated dataset whose customers are all in USD: the table has no fx column.
#[test]
fn the_table_foots_without_an_fx_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    nrr(&[
        "generate",
        "--customers",
        "81",
        "--months",
        "18",
        "--seed",
        "68157",
        "--out",
        d,
        "--currencies",
    ]);
    check(dir.path(), &[]);
}

fn check_table(table: &str) {
    let bridges = sections(table, "MRR bridge by month");
    assert!(
        !bridges.is_empty(),
        "the table has a monthly bridge:\n{table}"
    );
    for rows in bridges {
        let mut previous_closing = None;
        for r in rows {
            // month opening new reactivation expansion contraction churn [fx] closing
            // customers: the fx column is there only when exchange rates moved MRR (a small
            // generated dataset may have no customer in another currency).
            let mut v: Vec<i128> = r[1..r.len() - 1].iter().map(|s| cents(s)).collect();
            if v.len() == 7 {
                v.insert(6, 0);
            }
            assert_eq!(v.len(), 8, "a bridge row of 8 amounts: {r:?}");
            assert_eq!(
                v[0] + v[1] + v[2] + v[3] - v[4] - v[5] + v[6],
                v[7],
                "table bridge {r:?}"
            );
            if let Some(c) = previous_closing {
                assert_eq!(v[0], c, "a month opens where the last closed: {r:?}");
            }
            previous_closing = Some(v[7]);
        }
    }
    let cohorts: Vec<_> = [
        "Retention by month",
        "Retention by quarter",
        "Retention by year",
    ]
    .iter()
    .flat_map(|t| sections(table, t))
    .collect();
    assert!(!cohorts.is_empty());
    // period segment starting-MRR ...: the segments' starting MRR adds up to `(total)`.
    for rows in sections(table, "Retention by segment") {
        let mut sums: BTreeMap<&str, (i128, Option<i128>)> = BTreeMap::new();
        for r in &rows {
            // `TTM 2024-12` is one period in two words.
            let r = if r[0] == "TTM" { &r[1..] } else { &r[..] };
            let e = sums.entry(r[0]).or_default();
            if r[1] == "(total)" {
                e.1 = Some(cents(r[2]));
            } else {
                e.0 += cents(r[2]);
            }
        }
        for (period, (sum, total)) in sums {
            if let Some(t) = total {
                if sum != 0 {
                    assert_eq!(sum, t, "table segments of {period} add up to the total");
                }
            }
        }
    }
    for rows in cohorts
        .into_iter()
        .chain(sections(table, "Trailing twelve months"))
    {
        for r in rows {
            // period starting expansion contraction churn ending ...
            let v: Vec<i128> = r[1..6].iter().map(|s| cents(s)).collect();
            assert_eq!(v[0] + v[1] - v[2] - v[3], v[4], "table cohort {r:?}");
        }
    }
}

fn check_csv(csv: &str) {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let amount = |r: &[&str], name: &str| -> i128 {
        let s = r[col(name)];
        if s.is_empty() {
            0
        } else {
            cents(s)
        }
    };
    let money: Vec<&str> = header
        .iter()
        .copied()
        .filter(|h| {
            [
                "starting_mrr",
                "expansion",
                "contraction",
                "churn",
                "ending_cohort_mrr",
                "fx_impact",
                "arr",
            ]
            .contains(h)
                || (h.starts_with("bridge_") && !h.starts_with("bridge_moved"))
        })
        .collect();
    // (period) -> (segment -> row)
    let mut by_period: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for line in lines {
        // No field of these reports holds a comma or a quote (no notes in generated data).
        let r: Vec<&str> = line.split(',').collect();
        let c = amount(&r, "starting_mrr") + amount(&r, "expansion")
            - amount(&r, "contraction")
            - amount(&r, "churn");
        assert_eq!(c, amount(&r, "ending_cohort_mrr"), "csv cohort {line}");
        let b = amount(&r, "bridge_opening")
            + amount(&r, "bridge_new")
            + amount(&r, "bridge_reactivation")
            + amount(&r, "bridge_expansion")
            - amount(&r, "bridge_contraction")
            - amount(&r, "bridge_churn")
            + amount(&r, "bridge_fx")
            + amount(&r, "bridge_moved_in")
            - amount(&r, "bridge_moved_out");
        assert_eq!(b, amount(&r, "bridge_closing"), "csv bridge {line}");
        assert_eq!(
            amount(&r, "arr"),
            12 * amount(&r, "bridge_closing"),
            "csv ARR {line}"
        );
        by_period
            .entry(r[col("period")].to_string())
            .or_default()
            .insert(r[0].to_string(), r.iter().map(|s| s.to_string()).collect());
    }
    for (period, rows) in &by_period {
        let Some(total) = rows.get("(all)") else {
            continue;
        };
        let parts: Vec<&Vec<String>> = rows
            .iter()
            .filter(|(k, _)| *k != "(all)")
            .map(|(_, v)| v)
            .collect();
        if parts.is_empty() {
            continue;
        }
        for name in &money {
            let get = |r: &Vec<String>| {
                let s = &r[col(name)];
                if s.is_empty() {
                    0
                } else {
                    cents(s)
                }
            };
            let sum: i128 = parts.iter().map(|r| get(r)).sum();
            assert_eq!(
                sum,
                get(total),
                "csv {period} {name}: the segments add up to the total"
            );
        }
    }
}

fn check(dir: &Path, extra: &[&str]) {
    let d = dir.to_str().unwrap();
    let mut args = vec!["report", d, "--currency", "USD"];
    args.extend_from_slice(extra);
    let mut table = args.clone();
    table.extend_from_slice(&["--sections", "all"]);
    check_table(&nrr(&table));
    args.extend_from_slice(&["--format", "csv"]);
    check_csv(&nrr(&args));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random generated datasets (several currencies, so FX and non-terminating exact values
    /// are common): the table and the CSV foot, with and without a segment cut.
    #[test]
    fn the_table_and_the_csv_foot_on_random_data(seed in 0u64..1_000_000, customers in 50u32..400) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let (c, s) = (customers.to_string(), seed.to_string());
        nrr(&["generate", "--customers", &c, "--months", "18", "--seed", &s, "--out", d, "--currencies"]);
        check(dir.path(), &[]);
        check(dir.path(), &["--segment", "segment"]);
    }
}
