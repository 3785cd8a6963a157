//! Parquet input: the same figures as CSV, typed and text columns, rejections with positions.
#![cfg(feature = "parquet")]

use arrow_array::{
    Array, Date32Array, Decimal128Array, Float64Array, Int32Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema};
use nrr_core::date::Date;
use nrr_core::engine::{compute, Options};
use nrr_io::{load, LoadOptions};
use parquet::arrow::ArrowWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn report_json(
    dir: &Path,
    opts: &LoadOptions,
    (from, to): (Option<&str>, Option<&str>),
    fiscal_year_start: u32,
) -> serde_json::Value {
    let loaded = load(dir, opts).unwrap();
    assert!(loaded.rejections.is_empty(), "{:?}", loaded.rejections);
    let o = Options {
        from: from.and_then(nrr_core::date::Month::parse),
        to: to.and_then(nrr_core::date::Month::parse),
        as_of: opts.as_of,
        fiscal_year_start,
        ..Options::default()
    };
    let mut v = serde_json::to_value(compute(&loaded.dataset, &o).unwrap()).unwrap();
    v["inputs"] = serde_json::Value::Null;
    v
}

#[test]
fn every_fixture_gives_the_same_report_from_parquet() {
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("items.csv").exists() {
            continue; // invoices_* fixtures: nrr-cli's tests/parquet_invoices.rs
        }
        let args = std::fs::read_to_string(dir.join("args.txt")).unwrap();
        let words: Vec<&str> = args.split_whitespace().collect();
        let arg = |flag: &str| {
            words
                .iter()
                .position(|w| *w == flag)
                .map(|i| words[i + 1].to_string())
        };
        let opts = LoadOptions {
            currency: arg("--currency"),
            as_of: arg("--as-of").and_then(|d| Date::parse(&d)),
            ..LoadOptions::default()
        };
        // The fiscal-year fixtures give a number or a month name; only these two appear.
        let fy = match arg("--fiscal-year-start").as_deref() {
            Some("feb") => 2,
            Some(n) => n.parse().unwrap(),
            None => 1,
        };
        let (from, to) = (arg("--from"), arg("--to"));
        let tmp = tempfile::tempdir().unwrap();
        for f in ["fx.csv", "customers.csv", "customer_map.csv"] {
            if dir.join(f).exists() {
                std::fs::copy(dir.join(f), tmp.path().join(f)).unwrap();
            }
        }
        nrr_io::parquet::items_csv_to_parquet(
            &dir.join("items.csv"),
            &tmp.path().join("items.parquet"),
        )
        .unwrap();
        let window = (from.as_deref(), to.as_deref());
        let csv = report_json(&dir, &opts, window, fy);
        let pq = report_json(tmp.path(), &opts, window, fy);
        assert_eq!(csv, pq, "fixture {}", dir.display());
    }
}

fn write(path: &Path, fields: Vec<Field>, arrays: Vec<Arc<dyn Array>>) {
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
    let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn day(s: &str) -> i32 {
    Date::parse(s).unwrap().days()
}

#[test]
fn typed_columns_are_validated_with_row_positions() {
    let tmp = tempfile::tempdir().unwrap();
    let ids = StringArray::from(vec!["a", "b", "", "d", "e"]);
    // Decimal128(10, 3): 100.000, 50.500, 1.000, -2.000, 12.345
    let amounts = Decimal128Array::from(vec![100_000i128, 50_500, 1_000, -2_000, 12_345])
        .with_precision_and_scale(10, 3)
        .unwrap();
    let intervals = Int32Array::from(vec![Some(1), Some(12), Some(1), Some(1), Some(0)]);
    let starts = Date32Array::from(vec![
        Some(day("2024-01-01")),
        Some(day("2024-01-15")),
        Some(day("2024-01-01")),
        Some(day("2024-01-01")),
        None,
    ]);
    let ends = Date32Array::from(vec![None, Some(day("2024-03-01")), None, None, None]);
    write(
        &tmp.path().join("items.parquet"),
        vec![
            Field::new("customer_id", DataType::Utf8, false),
            Field::new("amount", DataType::Decimal128(10, 3), false),
            Field::new("interval_months", DataType::Int32, true),
            Field::new("start_date", DataType::Date32, true),
            Field::new("end_date", DataType::Date32, true),
        ],
        vec![
            Arc::new(ids),
            Arc::new(amounts),
            Arc::new(intervals),
            Arc::new(starts),
            Arc::new(ends),
        ],
    );
    let loaded = load(tmp.path(), &LoadOptions::default()).unwrap();
    let shown: Vec<String> = loaded.rejections.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        shown,
        [
            "items.parquet:4:customer_id: ``: expected a non-empty customer id",
            "items.parquet:5:amount: `-2.000`: expected an amount >= 0 (credits and refunds are not recurring revenue)",
            "items.parquet:6:interval_months: `0`: expected an integer >= 1 (1 monthly, 3 quarterly, 12 annual), or empty (1)",
        ]
    );
    let ds = &loaded.dataset;
    assert_eq!(
        (ds.ledger.read, ds.ledger.used, ds.ledger.rejected),
        (5, 2, 3)
    );
    let r = compute(ds, &Options::default()).unwrap();
    let jan = r
        .months
        .iter()
        .find(|m| m.month.to_string() == "2024-01")
        .unwrap();
    // a: 100.000 monthly; b: 50.500 / 12 = 4.208333...
    assert_eq!(jan.closing_mrr.to_string(), "104.21");
}

#[test]
fn text_columns_work_too_and_floats_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let s = |v: Vec<&str>| -> Arc<dyn Array> { Arc::new(StringArray::from(v)) };
    write(
        &tmp.path().join("items.parquet"),
        ["customer_id", "amount", "start_date", "end_date", "kind"]
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8, false))
            .collect(),
        vec![
            s(vec!["a", "b"]),
            s(vec!["10.00", "20.00"]),
            s(vec!["2024-01-01", "2024-02-30"]),
            s(vec!["", ""]),
            s(vec!["recurring", "recurring"]),
        ],
    );
    let loaded = load(tmp.path(), &LoadOptions::default()).unwrap();
    assert_eq!(loaded.rejections.len(), 1);
    assert_eq!(
        loaded.rejections[0].to_string(),
        "items.parquet:3:start_date: `2024-02-30`: expected a calendar date YYYY-MM-DD that exists"
    );

    let tmp = tempfile::tempdir().unwrap();
    write(
        &tmp.path().join("items.parquet"),
        vec![
            Field::new("customer_id", DataType::Utf8, false),
            Field::new("amount", DataType::Float64, false),
            Field::new("start_date", DataType::Utf8, false),
        ],
        vec![
            s(vec!["a"]),
            Arc::new(Float64Array::from(vec![10.0])),
            s(vec!["2024-01-01"]),
        ],
    );
    let err = load(tmp.path(), &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("column `amount` has type Float64"), "{err}");
}

#[test]
fn many_row_groups_read_in_parallel_match_csv_with_rejections() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    nrr_io::generate::generate(
        &nrr_io::generate::GenerateOptions {
            customers: 400,
            months: 24,
            ..Default::default()
        },
        &src,
    )
    .unwrap();
    // Splice in rejected rows (negative amounts convert to Parquet; nrr rejects them).
    let text = std::fs::read_to_string(src.join("items.csv")).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        out.push_str(line);
        out.push('\n');
        if i > 0 && i % 37 == 0 {
            out.push_str("bad,s,p,q,1,-5.00,USD,1,2024-01-01,,recurring\n");
        }
    }
    let (csv_dir, pq_dir) = (tmp.path().join("csv"), tmp.path().join("pq"));
    std::fs::create_dir_all(&csv_dir).unwrap();
    std::fs::create_dir_all(&pq_dir).unwrap();
    std::fs::write(csv_dir.join("items.csv"), &out).unwrap();
    // 50-row groups: dozens of them, decoded on all threads.
    nrr_io::parquet::items_csv_to_parquet_with(
        &csv_dir.join("items.csv"),
        &pq_dir.join("items.parquet"),
        50,
    )
    .unwrap();
    let a = load(&csv_dir, &LoadOptions::default()).unwrap();
    let b = load(&pq_dir, &LoadOptions::default()).unwrap();
    assert!(a.rejections.len() > 10);
    let lines = |l: &nrr_io::Loaded| {
        l.rejections
            .iter()
            .map(|r| (r.line, r.column.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(lines(&a), lines(&b));
    assert_eq!(a.dataset.ledger, b.dataset.ledger);
    let ra = serde_json::to_value(compute(&a.dataset, &Options::default()).unwrap()).unwrap();
    let mut rb = serde_json::to_value(compute(&b.dataset, &Options::default()).unwrap()).unwrap();
    rb["inputs"] = ra["inputs"].clone();
    assert_eq!(ra, rb);
}
