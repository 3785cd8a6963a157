//! `nrr movements`: the rows behind the bridge as CSV and Parquet, exact amounts, segment columns.

use super::*;

/// `12.50` -> 12_500_000_000_000 (units of 10^-12): exact sums of the files' decimals.
fn units(s: &str) -> i128 {
    let d = nrr_core::money::Decimal::parse(s, 12)
        .unwrap_or_else(|| panic!("`{s}` is not a decimal with at most 12 places"));
    i128::from(d.mantissa) * 10i128.pow(12 - d.decimals)
}

/// The CSV's records (header first).
fn records(text: &str) -> Vec<Vec<String>> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("CSV parses").iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn csv_on_stdout() {
    let run = nrr(&[
        "movements",
        "tests/fixtures/top_customers",
        "--from",
        "2023-12",
        "--to",
        "2024-03",
    ]);
    run.assert_code(0);
    insta::assert_snapshot!(run.transcript());
}

/// Annual plans make thirds: amounts with more than 12 decimals are rounded at the 12th,
/// down or up so that each month's and category's rows add up to its exact figure there
/// (December's new is 166.666666666667: globex's row is rounded up); others keep exactly
/// the decimals they have (10.005), at least 2.
#[test]
fn amounts_keep_up_to_twelve_decimals() {
    let run = nrr(&[
        "movements",
        "tests/fixtures/annual_plan",
        "--from",
        "2023-12",
        "--to",
        "2024-03",
    ]);
    run.assert_code(0);
    insta::assert_snapshot!(run.transcript());
}

/// A customer switching product gets moved_out / moved_in rows, their reason the cut.
#[test]
fn product_cut_with_moves() {
    let run = nrr(&[
        "movements",
        "tests/fixtures/segment_by_product",
        "--from",
        "2024-01",
        "--to",
        "2024-04",
        "--segment",
        "product",
    ]);
    run.assert_code(0);
    insta::assert_snapshot!(run.transcript());
}

/// For every month and category, the file's amounts sum exactly to the report's figure
/// (in the totals and in each segment value), fx and a multi-currency fixture included.
#[test]
fn rows_sum_to_the_report_figures() {
    for fixture in [
        "fx_expansion_same_month",
        "segments",
        "reactivation_as_expansion",
        "invoices_pause_zero",
    ] {
        // Both commands take the fixture's arguments (--segment included).
        let dir = format!("tests/fixtures/{fixture}");
        let args_txt =
            std::fs::read_to_string(repo_root().join(&dir).join("args.txt")).expect("args.txt");
        let run = |cmd: &[&str]| {
            let a: Vec<&str> = cmd
                .iter()
                .copied()
                .chain(args_txt.split_whitespace())
                .collect();
            let r = nrr(&a);
            r.assert_code(0);
            r
        };
        let json = run(&["report", &dir, "--format", "json"]).json();
        let rows = records(&run(&["movements", &dir]).stdout);
        let (header, rows) = rows.split_first().expect("a header");
        let col = |n: &str| header.iter().position(|h| h == n).expect(n);
        let seg_col = header.iter().position(|h| h.starts_with("segment_"));
        let mut scopes = vec![(None, json.clone())];
        if let Some(values) = json["segments"]["values"].as_object() {
            scopes.extend(values.iter().map(|(k, v)| (Some(k.clone()), v.clone())));
        }
        for (scope, figures) in scopes {
            for month in figures["months"].as_array().expect("months") {
                let m = month["month"].as_str().unwrap();
                for cat in [
                    "new",
                    "reactivation",
                    "expansion",
                    "contraction",
                    "churn",
                    "paused",
                    "resumed",
                    "fx",
                ] {
                    let sum: i128 = rows
                        .iter()
                        .filter(|r| r[col("month")] == m && r[col("category")] == cat)
                        .filter(|r| scope.as_ref().is_none_or(|v| &r[seg_col.unwrap()] == v))
                        .map(|r| units(&r[col("amount")]))
                        .sum();
                    // The exact figure: `exact` holds it where the shown cents differ.
                    let want = month["exact"][cat]
                        .as_str()
                        .or(month[cat].as_str())
                        .map_or(0, units);
                    assert_eq!(sum, want, "{fixture} {scope:?} {m} {cat}");
                }
            }
        }
    }
}

/// `nrr movements data | head -1`: a reader that stops early is not an error (exit 0,
/// nothing on standard error), as for `report`.
#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    let tmp = tempfile::tempdir().unwrap();
    nrr_in(
        tmp.path(),
        &[
            "generate",
            "--customers",
            "3000",
            "--months",
            "24",
            "--out",
            "data",
        ],
    )
    .assert_code(0);
    let mut child = Command::new(env!("CARGO_BIN_EXE_nrr"))
        .args(["movements", "data"])
        .current_dir(tmp.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running nrr");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("month,customer_id"), "{first}");
    // The reader is dropped: the rest (far more than a pipe holds) has nowhere to go.
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn output_file_by_extension() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = repo_root().join("tests/fixtures/segments");
    let fixture = fixture.to_str().unwrap();
    let stdout = nrr_in(tmp.path(), &["movements", fixture, "--segment", "region"]);
    stdout.assert_code(0);
    let to_file = nrr_in(
        tmp.path(),
        &["movements", fixture, "--segment", "region", "-o", "m.csv"],
    );
    to_file.assert_code(0);
    assert!(to_file.stdout.is_empty(), "{}", to_file.transcript());
    let written = std::fs::read_to_string(tmp.path().join("m.csv")).unwrap();
    assert_eq!(written, stdout.stdout);

    let bad = nrr_in(tmp.path(), &["movements", fixture, "-o", "m.xlsx"]);
    bad.assert_code(2);
    assert!(
        bad.stderr
            .contains("`m.xlsx` does not end in .csv or .parquet"),
        "{}",
        bad.transcript()
    );
    assert!(!tmp.path().join("m.xlsx").exists());
}

/// `-o x.parquet`: typed columns (Decimal128(38, 12) amounts, strings elsewhere, reason
/// null when empty) holding the CSV's values, row for row.
#[cfg(feature = "parquet")]
#[test]
fn parquet_round_trip() {
    use arrow_array::{Array, Decimal128Array, StringArray};
    use arrow_schema::DataType;
    let tmp = tempfile::tempdir().unwrap();
    let fixture = repo_root().join("tests/fixtures/fx_expansion_same_month");
    let fixture = fixture.to_str().unwrap();
    let args = [
        "movements",
        fixture,
        "--currency",
        "USD",
        "--from",
        "2023-12",
    ];
    let csv = nrr_in(tmp.path(), &args);
    csv.assert_code(0);
    let mut with_o = args.to_vec();
    with_o.extend(["-o", "m.parquet"]);
    nrr_in(tmp.path(), &with_o).assert_code(0);

    let file = std::fs::File::open(tmp.path().join("m.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut back: Vec<Vec<String>> = Vec::new();
    let mut header: Vec<String> = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let schema = batch.schema();
        header = schema.fields().iter().map(|f| f.name().clone()).collect();
        for (f, want) in schema.fields().iter().zip([
            DataType::Utf8,
            DataType::Utf8,
            DataType::Utf8,
            DataType::Utf8,
            DataType::Decimal128(38, 12),
            DataType::Decimal128(38, 12),
        ]) {
            assert_eq!(f.data_type(), &want, "column {}", f.name());
        }
        for i in 0..batch.num_rows() {
            let row = (0..batch.num_columns())
                .map(|c| {
                    let a = batch.column(c);
                    if let Some(s) = a.as_any().downcast_ref::<StringArray>() {
                        if s.is_null(i) {
                            String::new()
                        } else {
                            s.value(i).to_string()
                        }
                    } else {
                        let d = a.as_any().downcast_ref::<Decimal128Array>().unwrap();
                        nrr_core::money::Money {
                            units: d.value(i),
                            denominator: 10i128.pow(12),
                        }
                        .decimal_text(12)
                        .unwrap()
                    }
                })
                .collect();
            back.push(row);
        }
    }
    let want = records(&csv.stdout);
    assert_eq!(header, want[0]);
    assert_eq!(back, want[1..]);
    assert!(back.iter().any(|r| r[2] == "fx" && r[3].is_empty()));
}
