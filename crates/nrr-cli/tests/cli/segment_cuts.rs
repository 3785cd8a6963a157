//! Several `--segment` cuts: a compact table per cut; every cut partitions the totals.

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
