//! items.csv `unit_amount`: the line total is unit_amount x quantity, exactly; a row that also
//! gives `amount` must agree with it; `amount` alone stays the line total (docs/input.md).

use nrr_core::money::Money;
use nrr_io::{load, IoError, LoadOptions, Loaded};

const HEADER: &str = "customer_id,quantity,unit_amount,amount,interval_months,start_date";

/// Loads an items.csv of `rows` under [`HEADER`] (or `header`).
fn load_items(header: &str, rows: &[&str]) -> Result<Loaded, IoError> {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = format!("{header}\n");
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    std::fs::write(tmp.path().join("items.csv"), text).unwrap();
    load(tmp.path(), &LoadOptions::default())
}

/// Each used line's MRR, exact to 6 places.
fn line_mrr(loaded: &Loaded) -> Vec<String> {
    let ds = &loaded.dataset;
    ds.lines
        .mrr
        .iter()
        .map(|&u| {
            Money {
                units: i128::from(u),
                denominator: ds.scale.native_denominator(),
            }
            .to_string_places(6)
        })
        .collect()
}

fn rejections(loaded: &Loaded) -> Vec<String> {
    loaded.rejections.iter().map(|r| r.to_string()).collect()
}

#[test]
fn unit_amount_times_quantity_is_the_line_total_exactly() {
    let loaded = load_items(
        HEADER,
        &[
            "a,3,19.99,,1,2024-01-01",
            "b,10000,0.125,,1,2024-01-01",
            "c,3,1200.00,,12,2024-01-01",
        ],
    )
    .unwrap();
    assert_eq!(rejections(&loaded), Vec::<String>::new());
    // 59.97; 1,250.000; 3,600.00 over 12 months = 300.
    assert_eq!(
        line_mrr(&loaded),
        ["59.970000", "1250.000000", "300.000000"]
    );
    assert_eq!(loaded.dataset.lines.quantity, [3, 10000, 3]);
}

#[test]
fn an_empty_quantity_is_one_unit() {
    let loaded = load_items(HEADER, &["a,,40.00,,1,2024-01-01"]).unwrap();
    assert_eq!(line_mrr(&loaded), ["40.000000"]);
}

#[test]
fn amount_alone_is_the_line_total_whatever_the_quantity() {
    let loaded = load_items(HEADER, &["a,5,,500.00,1,2024-01-01"]).unwrap();
    assert_eq!(line_mrr(&loaded), ["500.000000"]);
}

#[test]
fn an_amount_given_with_a_unit_amount_must_equal_their_product() {
    let loaded = load_items(
        HEADER,
        &[
            "a,3,40.00,120,1,2024-01-01",
            "b,3,40.00,100.00,1,2024-01-01",
        ],
    )
    .unwrap();
    assert_eq!(line_mrr(&loaded), ["120.000000"]);
    assert_eq!(
        rejections(&loaded),
        ["items.csv:3:amount: `100.00`: expected unit_amount x quantity = 40.00 x 3 = 120.00 (or an empty amount)"]
    );
}

#[test]
fn a_row_without_either_amount_is_rejected() {
    let loaded = load_items(HEADER, &["a,3,,,1,2024-01-01"]).unwrap();
    assert_eq!(
        rejections(&loaded),
        ["items.csv:2:amount: ``: expected an amount (the line total) or a unit_amount"]
    );
}

#[test]
fn a_bad_unit_amount_is_rejected_by_its_column() {
    let loaded = load_items(
        HEADER,
        &[
            "a,3,-4.00,,1,2024-01-01",
            "b,3,4.0000001,,1,2024-01-01",
            "c,1000000000,99999999999.99,,1,2024-01-01",
        ],
    )
    .unwrap();
    assert_eq!(
        rejections(&loaded),
        [
            "items.csv:2:unit_amount: `-4.00`: expected an amount >= 0 (credits and refunds are not recurring revenue)",
            "items.csv:3:unit_amount: `4.0000001`: expected a decimal number >= 0 with at most 6 decimal places (like 1200.00)",
            "items.csv:4:unit_amount: `99999999999.99`: expected a unit_amount whose product with quantity 1000000000 has at most 18 digits",
        ]
    );
}

#[test]
fn zero_units_are_a_zero_amount_line() {
    let loaded = load_items(HEADER, &["a,0,30.00,,1,2024-01-01"]).unwrap();
    assert_eq!(loaded.dataset.ledger.excluded.zero_amount, 1);
    assert!(line_mrr(&loaded).is_empty());
}

#[test]
fn a_header_needs_amount_or_unit_amount() {
    // unit_amount alone is enough.
    let only_unit = load_items("customer_id,quantity,unit_amount,start_date", &[]);
    assert!(only_unit.is_ok());
    let err = load_items("customer_id,quantity,start_date", &[]).unwrap_err();
    assert!(
        err.to_string()
            .contains("missing required column `amount` or `unit_amount`"),
        "{err}"
    );
}
