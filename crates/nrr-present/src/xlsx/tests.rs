//! Layout basics of the workbook, read back from its zip (the LibreOffice round trip and the
//! figures are tested in crates/nrr-cli/tests/cli/workbook.rs).

use super::*;
use nrr_core::assemble::{assemble, Inputs};
use nrr_core::dataset::{DatasetBuilder, LineInput, Origin, SourceKind};
use nrr_core::date::{Date, Month};
use nrr_core::engine::Options;
use nrr_core::money::Decimal;
use nrr_core::movements::{Category, Largest, MovementRow, Movements};
use nrr_core::report::{Note, Window};
use std::io::Read;

/// Three customers over 2024-01..2024-04: an expansion, a churn, a hostile id and a note.
fn sample() -> (Report, Detail) {
    let mut b = DatasetBuilder::new(SourceKind::Items);
    let f = b.add_file("items.csv");
    let mut line = |c: &str, amount: &str, start: &str, end: Option<&str>| {
        b.push_line(LineInput {
            customer: c,
            currency: "USD",
            amount: Decimal::parse(amount, 6).expect("an amount"),
            interval: 1,
            start: Date::parse(start).expect("a date"),
            end: end.map(|e| Date::parse(e).expect("a date")),
            origin: Origin { file: f, line: 2 },
        })
    };
    line("a", "100", "2023-12-01", Some("2024-02-01"));
    line("a", "130", "2024-02-01", None);
    line("b", "50", "2023-12-01", Some("2024-03-10"));
    line("=1+1", "70", "2024-01-01", None);
    let reporting = b.reporting(None).expect("one currency");
    let ds = b.finish(&reporting).expect("a dataset");
    let options = Options {
        from: Month::parse("2024-01"),
        to: Month::parse("2024-04"),
        ..Options::default()
    };
    let notes = nrr_core::report::Notes {
        notes: vec![Note {
            period: "2024-02".into(),
            customer_id: None,
            note: "@SUM(1)".into(),
        }],
        source: "annotations.csv".into(),
    };
    let inputs = Inputs {
        dataset: &ds,
        options: &options,
        segments: &[],
        policies: &nrr_core::policy::Policies::default(),
        applied: nrr_core::policy::Applied::default(),
        preset: None,
        notes: &notes,
        movement_check: None,
        usage: false,
        config: None,
        settings: &[],
    };
    let report = assemble(&inputs).expect("a report");
    let detail = nrr_core::detail::detail(
        &inputs,
        &report,
        nrr_core::detail::Shown::Workbook {
            movement_rows: MOVEMENT_ROWS_MAX,
        },
    )
    .expect("the detail");
    (report, detail)
}

/// The text of every file of the workbook, by name.
fn files(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("an entry");
        let mut text = String::new();
        f.read_to_string(&mut text).expect("UTF-8 XML");
        out.insert(f.name().to_string(), text);
    }
    out
}

use std::collections::BTreeMap;

#[test]
fn sheets_in_order_without_segments() {
    let (report, detail) = sample();
    let files = files(&workbook(&report, &detail).expect("a workbook"));
    let book = &files["xl/workbook.xml"];
    let names: Vec<&str> = book
        .split("<sheet name=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').expect("a quote")])
        .collect();
    assert_eq!(
        names,
        ["Retention", "Bridge", "Cohorts", "Movements", "Definitions"]
    );
}

#[test]
fn retention_rows_carry_live_ratios_with_their_values() {
    let (report, detail) = sample();
    let files = files(&workbook(&report, &detail).expect("a workbook"));
    let sheet = &files["xl/worksheets/sheet1.xml"];
    // Row 6 is 2024-01, the first month (title, note, blank, block title, header before it):
    // starting 150, nothing moves.
    assert!(
        sheet.contains(r#"<c r="G6" s="5"><f>IF(B6=0,"",(B6+C6-D6-E6)/B6)</f><v>1</v></c>"#),
        "{sheet}"
    );
    assert!(sheet.contains(r#"<f>IF(B6=0,"",(B6-D6-E6)/B6)</f><v>1</v>"#));
    // 2024-02: a expands by 30 on 220 (a, b and the 2024-01 newcomer): NRR 250 / 220.
    let nrr = format!(
        r#"<f>IF(B7=0,"",(B7+C7-D7-E7)/B7)</f><v>{}</v>"#,
        250.0 / 220.0
    );
    assert!(sheet.contains(&nrr), "{nrr}");
    let strings = &files["xl/sharedStrings.xml"];
    for text in [
        "Period",
        "Starting MRR",
        "NRR",
        "GRR",
        "Notes",
        "Quarters",
        "@SUM(1)",
    ] {
        assert!(strings.contains(&format!(">{text}<")), "{text}");
    }
}

#[test]
fn bridge_closing_is_a_formula_of_its_row() {
    let (report, detail) = sample();
    let files = files(&workbook(&report, &detail).expect("a workbook"));
    let sheet = &files["xl/worksheets/sheet2.xml"];
    // Month, Opening, New, Reactivation, Expansion, Contraction, Churn, FX, Closing.
    assert!(
        sheet.contains("<f>B5+C5+D5+E5-F5-G5+H5</f><v>220.00</v>"),
        "{sheet}"
    );
}

#[test]
fn user_text_is_a_string_cell() {
    let (report, detail) = sample();
    let files = files(&workbook(&report, &detail).expect("a workbook"));
    assert!(files["xl/sharedStrings.xml"].contains("<t>=1+1</t>"));
    for (name, text) in &files {
        assert!(
            !text.contains("<f>=1+1") && !text.contains("<f>1+1"),
            "{name}"
        );
    }
}

#[test]
fn same_report_same_bytes_and_no_clock() {
    let (report, detail) = sample();
    let a = workbook(&report, &detail).expect("a workbook");
    let b = workbook(&report, &detail).expect("a workbook");
    assert!(a == b);
    let core = &files(&a)["docProps/core.xml"];
    assert!(core.contains("2000-01-01T00:00:00Z"), "{core}");
}

/// Rows of one month: `sizes[k]` customers of category `k` (new, expansion), amounts 1, 2, ...
fn movements(sizes: [usize; 2]) -> Movements {
    let month = Month::parse("2024-01").expect("a month");
    let categories = [
        Category::Movement(nrr_core::engine::Movement::New),
        Category::Movement(nrr_core::engine::Movement::Expansion),
    ];
    let mut rows = Vec::new();
    for (k, n) in sizes.into_iter().enumerate() {
        for i in 0..n {
            let amount = Money {
                units: (i as i128 + 1) * 100,
                denominator: 100,
            };
            rows.push(MovementRow {
                month,
                customer_id: format!("c{k}{i}"),
                category: categories[k],
                reason: None,
                moved_cut: None,
                amount,
                amount_at_month_rates: amount,
                segments: Vec::new(),
            });
        }
    }
    Movements {
        currency: "USD".into(),
        window: Window {
            start_month: month,
            end_month: month,
        },
        segments: Vec::new(),
        rows,
    }
}

#[test]
fn a_capped_movements_sheet_says_what_it_left_out() {
    let (report, mut detail) = sample();
    detail.movements = Largest {
        movements: movements([2, 2]),
        total: 6,
        per_group: Some(2),
    };
    let files = files(&workbook(&report, &detail).expect("a workbook"));
    let strings = &files["xl/sharedStrings.xml"];
    assert!(
        strings.contains(
            "4 of 6 movement rows shown: the 2 largest by amount of each month and category; 2 \
             rows left out. `nrr movements DATA` writes them all."
        ),
        "{strings}"
    );
    assert!(files["xl/tables/table1.xml"].contains(r#"ref="A4:F8""#));
}

#[test]
fn cents_are_written_exactly() {
    assert_eq!(cents_text(-1234), "-12.34");
    assert_eq!(cents_text(5), "0.05");
    assert_eq!(cell(0, 27), "AB1");
    assert_eq!(
        ratios(15000, 3000, 0, 0),
        (Cached::Ratio(1.2), Cached::Ratio(1.0))
    );
    assert_eq!(ratios(0, 0, 0, 0), (Cached::Empty, Cached::Empty));
}

#[test]
fn the_nrr_trend_charts_read_the_retention_cells() {
    let (report, detail) = sample();
    let files = files(&workbook(&report, &detail).expect("a workbook"));
    let chart = &files["xl/charts/chart1.xml"];
    // The four months of the first block, rows 6 to 9: NRR in G, GRR in H.
    assert!(chart.contains("Retention!$G$6:$G$9"), "{chart}");
    assert!(chart.contains("Retention!$H$6:$H$9"));
    assert!(chart.contains("Retention!$A$6:$A$9"));
    // No TTM in a four-month window: no TTM chart.
    assert!(!files.values().any(|f| f.contains("TTM NRR and GRR")));
}

#[test]
fn the_movements_chart_draws_losses_below_zero() {
    let (report, detail) = sample();
    let files = files(&workbook(&report, &detail).expect("a workbook"));
    let chart = &files["xl/charts/chart2.xml"];
    // Gains from their Bridge columns (new in C), contraction and churn from the helper
    // columns P and Q after Notes (N) and an empty column.
    assert!(chart.contains("Bridge!$C$5:$C$8"), "{chart}");
    assert!(chart.contains("Bridge!$P$5:$P$8") && chart.contains("Bridge!$Q$5:$Q$8"));
    let sheet = &files["xl/worksheets/sheet2.xml"];
    // 2024-03: b (50) churns.
    assert!(sheet.contains("<f>-G7</f><v>-50.00</v>"), "{sheet}");
}

/// The Definitions sheet echoes every setting with its source and the file read; a value
/// typed in the file stays a string cell.
#[test]
fn the_definitions_sheet_echoes_the_settings() {
    let (mut report, detail) = sample();
    report.config = Some("data/nrr.toml".into());
    report.settings = vec![
        nrr_core::report::Setting {
            key: "currency".into(),
            value: "USD".into(),
            source: "config (nrr.toml:1)".into(),
        },
        nrr_core::report::Setting {
            key: "segments".into(),
            value: "=2+2".into(),
            source: "flag".into(),
        },
    ];
    let files = files(&workbook(&report, &detail).expect("a workbook"));
    let strings = &files["xl/sharedStrings.xml"];
    assert!(
        strings.contains("Settings (read from data/nrr.toml)"),
        "{strings}"
    );
    assert!(strings.contains("USD (from config (nrr.toml:1))"));
    assert!(strings.contains("=2+2 (from flag)"));
    for (name, text) in &files {
        assert!(
            !text.contains("<f>=2+2") && !text.contains("<f>2+2"),
            "{name}"
        );
    }
}
