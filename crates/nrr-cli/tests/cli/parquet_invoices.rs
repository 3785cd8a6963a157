//! invoices.parquet and subscription_events.parquet: every `invoices_*` fixture written to
//! Parquet (string columns, and typed Date32 / Decimal128 / Int64 columns) gives the same
//! `nrr report` as its CSV files; bad Parquet rows are rejected with their row positions.
//! The same for subscription_snapshots.parquet and revenue_movements.parquet (every
//! `snapshots_*` fixture, the movement check included).
#![cfg(feature = "parquet")]

use arrow_array::{Array, Date32Array, Decimal128Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use nrr_core::date::Date;
use nrr_core::money::{Decimal, MAX_AMOUNT_DECIMALS};
use parquet::arrow::ArrowWriter;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use crate::util::{fixture_args, fixtures_dir, fixtures_named, nrr_command as nrr};

/// The `invoices_*` fixture folders, in name order.
fn invoice_fixtures() -> Vec<PathBuf> {
    fixtures_named("invoices_", 10)
}

/// The Arrow type a column is written with: typed, or every column a string.
fn column_type(name: &str, typed: bool) -> DataType {
    if !typed {
        return DataType::Utf8;
    }
    match name {
        "service_period_start"
        | "service_period_end"
        | "invoice_date"
        | "effective_date"
        | "snapshot_date"
        | "movement_date" => DataType::Date32,
        "amount" | "discount" | "tax" | "mrr" | "mrr_change" => {
            DataType::Decimal128(18, MAX_AMOUNT_DECIMALS as i8)
        }
        "quantity" => DataType::Int64,
        _ => DataType::Utf8,
    }
}

/// Writes `rows` (a header row, then data rows) to `out` as one Parquet file. Typed: empty
/// cells become nulls; strings: they stay empty strings.
fn write_parquet(rows: &[Vec<String>], out: &Path, typed: bool) {
    let (header, data) = rows.split_first().unwrap();
    let fields: Vec<Field> = header
        .iter()
        .map(|h| Field::new(h, column_type(h, typed), true))
        .collect();
    let arrays: Vec<Arc<dyn Array>> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let cells = data.iter().map(|r| r[i].as_str());
            let cell = |s: &str| (!s.is_empty()).then(|| s.to_string());
            let array: Arc<dyn Array> = match column_type(h, typed) {
                DataType::Date32 => Arc::new(Date32Array::from(
                    cells
                        .map(|s| cell(s).map(|s| Date::parse(&s).unwrap().days()))
                        .collect::<Vec<_>>(),
                )),
                DataType::Decimal128(p, s) => Arc::new(
                    Decimal128Array::from(
                        cells
                            .map(|v| {
                                cell(v).map(|v| {
                                    let d = Decimal::parse(&v, MAX_AMOUNT_DECIMALS).unwrap();
                                    i128::from(d.mantissa)
                                        * 10i128.pow(MAX_AMOUNT_DECIMALS - d.decimals)
                                })
                            })
                            .collect::<Vec<_>>(),
                    )
                    .with_precision_and_scale(p, s)
                    .unwrap(),
                ),
                DataType::Int64 => Arc::new(Int64Array::from(
                    cells
                        .map(|s| cell(s).map(|s| s.parse::<i64>().unwrap()))
                        .collect::<Vec<_>>(),
                )),
                _ if typed => Arc::new(StringArray::from(cells.map(cell).collect::<Vec<_>>())),
                _ => Arc::new(StringArray::from_iter_values(cells)),
            };
            array
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
    let mut w = ArrowWriter::try_new(std::fs::File::create(out).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// A CSV file's rows, header first.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap();
    rdr.records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// `nrr report DIR <args.txt of fixture> --format json`.
fn report_json(dir: &Path, fixture: &Path) -> Value {
    let out = nrr()
        .arg("report")
        .arg(dir)
        .args(fixture_args(fixture))
        .args(["--format", "json"])
        .output()
        .expect("running nrr");
    assert!(
        out.status.success(),
        "nrr report {} ({}) exited with {:?}\nstderr:\n{}",
        dir.display(),
        fixture.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `nrr check DIR`.
fn check(dir: &Path) -> Output {
    nrr().arg("check").arg(dir).output().expect("running nrr")
}

/// Writes the fixture's tables named `stems` (those it has) to Parquet in a new directory,
/// with the other files it needs; `with_csv` also copies the CSV twins, which the Parquet
/// files must win over.
fn parquet_twin(fixture: &Path, stems: &[&str], typed: bool, with_csv: bool) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for stem in stems {
        let csv = fixture.join(format!("{stem}.csv"));
        if csv.exists() {
            let out = tmp.path().join(format!("{stem}.parquet"));
            write_parquet(&csv_rows(&csv), &out, typed);
            if with_csv {
                std::fs::copy(&csv, tmp.path().join(format!("{stem}.csv"))).unwrap();
            }
        }
    }
    for f in ["fx.csv", "customers.csv", "annotations.csv"] {
        if fixture.join(f).exists() {
            std::fs::copy(fixture.join(f), tmp.path().join(f)).unwrap();
        }
    }
    tmp
}

fn check_every_fixture(typed: bool) {
    for fixture in invoice_fixtures() {
        let has_events = fixture.join("subscription_events.csv").exists();
        let mut csv = report_json(&fixture, &fixture);
        // Typed: Parquet files alone; strings: beside their CSV twins, which are not read.
        let tmp = parquet_twin(
            &fixture,
            &["invoices", "subscription_events"],
            typed,
            !typed,
        );
        let mut pq = report_json(tmp.path(), &fixture);
        let expected_inputs: Vec<&str> = if has_events {
            vec!["invoices.parquet", "subscription_events.parquet"]
        } else {
            vec!["invoices.parquet"]
        };
        assert_eq!(
            pq["inputs"],
            serde_json::json!(expected_inputs),
            "{}",
            fixture.display()
        );
        csv["inputs"] = Value::Null;
        pq["inputs"] = Value::Null;
        assert_eq!(
            csv,
            pq,
            "fixture {} (typed columns: {typed})",
            fixture.display()
        );
    }
}

#[test]
fn every_invoices_fixture_gives_the_same_report_from_string_parquet_columns() {
    check_every_fixture(false);
}

#[test]
fn every_invoices_fixture_gives_the_same_report_from_typed_parquet_columns() {
    check_every_fixture(true);
}

/// Every `snapshots_*` fixture from subscription_snapshots.parquet and
/// revenue_movements.parquet, typed and string columns: the same report, movement check
/// included, as from the CSV files.
#[test]
fn every_snapshots_fixture_gives_the_same_report_and_movement_check_from_parquet() {
    for typed in [false, true] {
        for fixture in fixtures_named("snapshots_", 9) {
            let mut csv = report_json(&fixture, &fixture);
            let stems = ["subscription_snapshots", "revenue_movements"];
            let tmp = parquet_twin(&fixture, &stems, typed, !typed);
            let mut pq = report_json(tmp.path(), &fixture);
            assert_eq!(
                pq["inputs"],
                serde_json::json!([
                    "subscription_snapshots.parquet",
                    "revenue_movements.parquet"
                ]),
                "{}",
                fixture.display()
            );
            assert!(pq["movement_check"].is_object(), "{}", fixture.display());
            csv["inputs"] = Value::Null;
            pq["inputs"] = Value::Null;
            assert_eq!(csv, pq, "fixture {} (typed: {typed})", fixture.display());
        }
    }
}

#[test]
fn bad_parquet_rows_are_rejected_with_their_row_numbers() {
    let header = "invoice_id,customer_id,line_id,type,subscription_id,product,plan,quantity,\
                  amount,discount,tax,currency,service_period_start,service_period_end,\
                  invoice_date";
    let rows = [
        header,
        "in-1,acme,l1,subscription,sub-acme,platform,pro,1,100.00,,,USD,2024-01-01,2024-02-01,2024-01-01",
        "in-2,acme,l1,subscription,sub-acme,platform,pro,1,-5.00,,,USD,2024-02-01,2024-03-01,2024-02-01",
        "in-3,globex,l1,subscription,sub-globex,platform,pro,1,50.00,,,USD,2024-02-01,2024-01-01,2024-02-01",
    ];
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.split(',').map(str::to_string).collect())
        .collect();
    let events: Vec<Vec<String>> = [
        "subscription_id,event,effective_date",
        "sub-acme,stopped,2024-03-01",
    ]
    .iter()
    .map(|r| r.split(',').map(str::to_string).collect())
    .collect();
    let tmp = tempfile::tempdir().unwrap();
    write_parquet(&rows, &tmp.path().join("invoices.parquet"), true);
    write_parquet(
        &events,
        &tmp.path().join("subscription_events.parquet"),
        true,
    );
    let out = check(tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let listed: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .collect();
    assert_eq!(
        listed,
        [
            "invoices.parquet:3:amount: `-5`: expected an amount >= 0 for a subscription line \
             (a credit for unused time is a proration line; a credit note is type credit)",
            "invoices.parquet:4:service_period_end: `2024-01-01`: expected a date after \
             service_period_start 2024-02-01 (the first day not covered)",
            "subscription_events.parquet:2:event: `stopped`: expected one of cancel_requested, \
             canceled, paused, resumed, past_due, unpaid",
        ],
        "{stdout}"
    );
    assert!(
        stdout.contains("inputs: invoices.parquet, subscription_events.parquet"),
        "{stdout}"
    );
}

#[test]
fn floating_point_invoice_amounts_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("invoice_id", DataType::Utf8, false),
        Field::new("amount", DataType::Float64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["in-1"])),
            Arc::new(arrow_array::Float64Array::from(vec![100.0])),
        ],
    )
    .unwrap();
    let path = tmp.path().join("invoices.parquet");
    let mut w = ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let out = check(tmp.path());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("column `amount` has type Float64"),
        "{stderr}"
    );
}

#[test]
fn source_invoices_picks_invoices_parquet_beside_other_inputs() {
    let fixture = fixtures_dir().join("invoices_cancel");
    let tmp = parquet_twin(&fixture, &["invoices", "subscription_events"], true, false);
    std::fs::copy(
        fixtures_dir().join("annual_plan/items.csv"),
        tmp.path().join("items.csv"),
    )
    .unwrap();
    let out = check(tmp.path());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invoices.parquet") && stderr.contains("items.csv"),
        "{stderr}"
    );
    let out = nrr()
        .arg("check")
        .arg(tmp.path())
        .args(["--source", "invoices", "--format", "json"])
        .output()
        .expect("running nrr");
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["inputs"],
        serde_json::json!(["invoices.parquet", "subscription_events.parquet"]),
        "{v}"
    );
}
