//! Every rejection code of docs/input.md ("Rejection codes") is produced by some input: one
//! small data directory per code, each with one bad row, and the kind each reader chose for
//! it where it rejected the row.

use nrr_io::{load, LoadOptions, RejectionKind};
use std::collections::BTreeSet;

const ITEMS_HEADER: &str =
    "customer_id,amount,start_date,end_date,interval_months,currency,kind,unit_amount,quantity";
/// A good row, so that every directory has data beside its bad row.
const GOOD_ROW: &str = "good,100.00,2024-01-01,,1,USD,,,";

/// The one rejection of a directory holding `files` (name, contents) beside a good items.csv
/// row, read with customers.csv when `customers`.
fn rejection_of(files: &[(&str, &str)], customers: bool) -> (RejectionKind, String) {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let has_items = files.iter().any(|(name, _)| *name == "items.csv");
    if !has_items {
        let items = format!("{ITEMS_HEADER}\n{GOOD_ROW}\n");
        std::fs::write(tmp.path().join("items.csv"), items).expect("items.csv");
    }
    for (name, text) in files {
        std::fs::write(tmp.path().join(name), text).expect("a data file");
    }
    let opts = LoadOptions {
        customers,
        ..LoadOptions::default()
    };
    let loaded = load(tmp.path(), &opts).expect("the directory loads");
    assert_eq!(loaded.rejections.len(), 1, "{:?}", loaded.rejections);
    let r = &loaded.rejections[0];
    (r.kind(), r.to_string())
}

/// An items.csv of the good row and `row`.
fn items(row: &str) -> String {
    format!("{ITEMS_HEADER}\n{GOOD_ROW}\n{row}\n")
}

#[test]
fn every_rejection_code_is_produced_by_some_input() {
    use RejectionKind::*;
    let item_rows: [(&str, RejectionKind); 11] = [
        ("acme,100.00", MalformedRecord),
        (",100.00,2024-01-01,,1,USD,,,", MissingValue),
        ("acme,100.00,2024-02-30,,1,USD,,,", BadDate),
        ("acme,100.00,2024-03-01,2024-02-01,1,USD,,,", EndBeforeStart),
        ("acme,\"12,50\",2024-01-01,,1,USD,,,", BadNumber),
        ("acme,-5.00,2024-01-01,,1,USD,,,", NegativeAmount),
        ("acme,100.00,2024-01-01,,0,USD,,,", BadInterval),
        ("acme,100.00,2024-01-01,,1,US,,,", BadCurrency),
        ("acme,100.00,2024-01-01,,1,USD,refund,,", UnknownValue),
        ("acme,100.00,2024-01-01,,1,USD,,40.00,3", InconsistentAmount),
        (
            "acme,123456789012345678901,2024-01-01,,1,USD,,,",
            OutOfRange,
        ),
    ];
    let mut seen = BTreeSet::new();
    for (row, kind) in item_rows {
        let (got, shown) = rejection_of(&[("items.csv", &items(row))], false);
        assert_eq!(got, kind, "{shown}");
        seen.insert(got.code());
    }
    let customers = "customer_id,region\ngood,EU\ngood,US\n";
    let (got, shown) = rejection_of(&[("customers.csv", customers)], true);
    assert_eq!(got, Duplicate, "{shown}");
    seen.insert(got.code());
    let map = "from_customer_id,to_customer_id\ngood,good\n";
    let (got, shown) = rejection_of(&[("customer_map.csv", map)], false);
    assert_eq!(got, Other, "{shown}");
    seen.insert(got.code());
    let all: BTreeSet<&str> = RejectionKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(seen, all);
}
