//! The checks of a recalculated workbook against the JSON report (see the parent module).

use super::*;
use std::collections::HashMap;

/// A money string of the JSON as a number.
pub(super) fn money(v: &Value) -> f64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a money string: {v}"))
}

/// The checks of one workbook against the JSON, recording which formula cells they read.
pub(super) struct Checker<'a> {
    pub(super) book: &'a Book,
    pub(super) json: &'a Value,
    pub(super) checked: BTreeSet<(String, u32, u32)>,
    pub(super) case: &'a str,
}

impl Checker<'_> {
    /// Money cell equal to the JSON amount, to the cent.
    #[track_caller]
    fn money(&mut self, sheet: &str, at: (u32, u32), want: &Value) {
        let cells = self.book.sheet(sheet);
        let got = num(cells, at.0, at.1);
        let want = if want.is_null() { 0.0 } else { money(want) };
        assert!(
            got.is_some_and(|g| (g - want).abs() < 0.001),
            "{}: {sheet} {at:?}: {got:?}, JSON {want}",
            self.case
        );
        self.mark(sheet, at);
    }

    /// Count cell equal to the JSON count.
    #[track_caller]
    fn count(&mut self, sheet: &str, at: (u32, u32), want: &Value) {
        let got = num(self.book.sheet(sheet), at.0, at.1);
        assert_eq!(
            got,
            want.as_f64(),
            "{}: {sheet} {at:?}, JSON {want}",
            self.case
        );
        self.mark(sheet, at);
    }

    /// NRR and GRR cells at `at` and `at + 1` against the retention figures of `r`: equal to
    /// the formula's arithmetic on the shown cents (1e-9), and the JSON ratio within the
    /// shown cents' rounding (half a cent on each balance, over starting, plus the JSON's 6
    /// decimals); empty text when starting is 0.
    #[track_caller]
    fn ratios(&mut self, sheet: &str, at: (u32, u32), r: &Value) {
        let [s, e, c, ch] =
            ["starting_mrr", "expansion", "contraction", "churn"].map(|k| money(&r[k]));
        let cells = self.book.sheet(sheet);
        for (k, key, shown) in [
            (0, "nrr", (s + e - c - ch) / s),
            (1, "grr", (s - c - ch) / s),
        ] {
            let cell = &cells[&(at.0, at.1 + k)];
            if s == 0.0 {
                assert_eq!(cell.text(), Some(""), "{}: {sheet} {at:?} {key}", self.case);
                assert!(r[key].is_null());
            } else {
                let got = cell
                    .num()
                    .unwrap_or_else(|| panic!("{}: {sheet} {at:?} {key}: {cell:?}", self.case));
                assert!(
                    (got - shown).abs() <= 1e-9,
                    "{}: {sheet} {at:?} {key} {got} != {shown}",
                    self.case
                );
                let json = r[key].as_f64().expect("a ratio");
                let bound = 0.005 * (1.0 + json.abs()) / s.abs() + 5.000_001e-7;
                assert!(
                    (got - json).abs() <= bound,
                    "{}: {sheet} {at:?} {key} {got} vs JSON {json} (bound {bound})",
                    self.case
                );
            }
            self.mark(sheet, (at.0, at.1 + k));
        }
    }

    fn mark(&mut self, sheet: &str, at: (u32, u32)) {
        self.checked.insert((sheet.to_string(), at.0, at.1));
    }
}

/// The JSON retention row of a Retention-sheet label in `block`.
fn retention_row<'a>(json: &'a Value, block: &str, label: &str) -> &'a Value {
    let (list, key) = if block.starts_with("TTM") {
        ("ttm", "month")
    } else {
        ("periods", "period")
    };
    json[list]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r[key] == label))
        .unwrap_or_else(|| panic!("no JSON {list} row {label}"))
}

/// Retention: every period's row, figures and ratios.
pub(super) fn check_retention(ck: &mut Checker<'_>) {
    let cells = ck.book.sheet("Retention");
    let mut block = String::new();
    let mut rows = 0;
    let last_row = cells.keys().map(|k| k.0).max().unwrap_or(0);
    for row in 0..=last_row {
        let Some(a) = text(cells, row, 0) else {
            continue;
        };
        if ["Months", "Quarters", "Years"].contains(&a) || a.starts_with("TTM") {
            block = a.to_string();
            continue;
        }
        if cells.get(&(row, 6)).is_none_or(|c| c.f.is_none()) {
            continue;
        }
        let r = retention_row(ck.json, &block, a);
        for (k, key) in [
            "starting_mrr",
            "expansion",
            "contraction",
            "churn",
            "ending_cohort_mrr",
        ]
        .iter()
        .enumerate()
        {
            ck.money("Retention", (row, 1 + k as u32), &r[*key]);
        }
        ck.ratios("Retention", (row, 6), r);
        if r["granularity"] != "month" || block == "Months" {
            let notes = r["notes"].as_array().map_or(0, Vec::len);
            assert_eq!(
                text(cells, row, 8).is_some(),
                notes > 0,
                "{}: notes of {a}",
                ck.case
            );
        }
        rows += 1;
    }
    let want = ck.json["periods"].as_array().map_or(0, Vec::len)
        + ck.json["ttm"].as_array().map_or(0, Vec::len);
    assert_eq!(rows, want, "{}: Retention rows", ck.case);
}

/// Bridge: every month, every column (by its header) equal to the JSON, closing a formula.
pub(super) fn check_bridge(ck: &mut Checker<'_>) {
    let cells = ck.book.sheet("Bridge");
    let keys: HashMap<&str, &str> = [
        ("Opening MRR", "opening_mrr"),
        ("New MRR", "new"),
        ("Reactivation MRR", "reactivation"),
        ("Expansion MRR", "expansion"),
        ("Contraction MRR", "contraction"),
        ("Churn MRR", "churn"),
        ("FX MRR", "fx"),
        ("Paused MRR", "paused"),
        ("Resumed MRR", "resumed"),
        ("Moved in MRR", "moved_in"),
        ("Moved out MRR", "moved_out"),
        ("Closing MRR", "closing_mrr"),
        ("Customers", "customers"),
        ("New customers", "new_customers"),
        ("Reactivated customers", "reactivated_customers"),
        ("Churned customers", "churned_customers"),
    ]
    .into();
    let header = 3;
    // (column, JSON key, negated): the chart's helper columns hold the losses negated.
    let columns: Vec<(u32, &str, bool)> = (1..60)
        .filter_map(|c| {
            let h = text(cells, header, c)?;
            match h.strip_suffix(" (negative, chart)") {
                Some(base) => keys.get(base).map(|k| (c, *k, true)),
                None => keys.get(h).map(|k| (c, *k, false)),
            }
        })
        .collect();
    let negated = columns.iter().filter(|c| c.2).count();
    assert!(
        negated >= 2,
        "{}: Bridge chart columns for contraction and churn",
        ck.case
    );
    let closing = columns
        .iter()
        .find(|c| c.1 == "closing_mrr")
        .expect("a Closing MRR column")
        .0;
    let months = ck.json["months"].as_array().expect("months");
    for (i, m) in months.iter().enumerate() {
        let row = header + 1 + i as u32;
        assert_eq!(
            text(cells, row, 0),
            m["month"].as_str(),
            "{}: Bridge row",
            ck.case
        );
        assert!(cells[&(row, closing)].f.is_some(), "closing is a formula");
        for &(col, key, negated) in &columns {
            if key.ends_with("customers") {
                ck.count("Bridge", (row, col), &m[key]);
            } else if negated {
                let minus = format!("{:.2}", -money(&m[key]));
                ck.money("Bridge", (row, col), &Value::from(minus));
            } else {
                ck.money("Bridge", (row, col), &m[key]);
            }
        }
    }
}

/// Cohorts: each matrix's cells and its weighted-average row.
pub(super) fn check_cohorts(ck: &mut Checker<'_>, tables: &[Value]) {
    let cells = ck.book.sheet("Cohorts");
    let averages: Vec<u32> = cells
        .iter()
        .filter(|(k, c)| k.1 == 0 && c.text() == Some("Weighted average"))
        .map(|(k, _)| k.0)
        .collect();
    let nonempty: Vec<&Value> = tables
        .iter()
        .filter(|t| !t["cohorts"].as_array().expect("cohorts").is_empty())
        .collect();
    assert_eq!(averages.len(), nonempty.len(), "{}: average rows", ck.case);
    for (&avg, table) in averages.iter().zip(nonempty) {
        let cohorts = table["cohorts"].as_array().expect("cohorts");
        let first = avg - cohorts.len() as u32;
        let revenue = table["metric"] == "revenue";
        let ages = cohorts
            .iter()
            .map(|c| c["cells"].as_array().map_or(0, Vec::len))
            .max()
            .unwrap_or(0);
        let (mut customers, mut starting) = (0.0, 0.0);
        for (i, c) in cohorts.iter().enumerate() {
            let row = first + i as u32;
            assert_eq!(text(cells, row, 0), c["cohort"].as_str(), "{}", ck.case);
            customers += c["customers"].as_f64().expect("customers");
            starting += money(&c["starting_mrr"]);
            for (k, v) in c["cells"].as_array().expect("cells").iter().enumerate() {
                assert_eq!(
                    num(cells, row, 3 + k as u32),
                    v.as_f64(),
                    "{}: cohort cell",
                    ck.case
                );
            }
        }
        ck.count("Cohorts", (avg, 1), &Value::from(customers));
        ck.money("Cohorts", (avg, 2), &Value::from(format!("{starting:.2}")));
        for k in 0..ages {
            let (mut n, mut d) = (0.0, 0.0);
            for c in cohorts {
                let w = if revenue {
                    money(&c["starting_mrr"])
                } else {
                    c["customers"].as_f64().expect("customers")
                };
                if let Some(v) = c["cells"][k].as_f64() {
                    n += w * v;
                    d += w;
                }
            }
            let cell = &cells[&(avg, 3 + k as u32)];
            if d == 0.0 {
                assert_eq!(cell.text(), Some(""), "{}: empty average", ck.case);
            } else {
                let got = cell.num().expect("an average");
                assert!(
                    (got - n / d).abs() <= 1e-9,
                    "{}: average age {k}: {got} != {}",
                    ck.case,
                    n / d
                );
            }
            ck.mark("Cohorts", (avg, 3 + k as u32));
        }
    }
}

/// Segments: every total row equals the all-customer figures; one per period and cut.
pub(super) fn check_segments(ck: &mut Checker<'_>) {
    let cuts = ck.json["segment_cuts"].as_array().map_or(0, Vec::len);
    if cuts == 0 {
        assert!(!ck.book.names().contains(&"Segments"), "{}", ck.case);
        return;
    }
    let cells = ck.book.sheet("Segments");
    let totals: Vec<(u32, String)> = cells
        .iter()
        .filter(|(k, c)| k.1 == 1 && c.text() == Some("Total"))
        .map(|(k, _)| (k.0, text(cells, k.0, 0).expect("a period").to_string()))
        .collect();
    for (row, label) in &totals {
        let r = match label.strip_prefix("TTM ") {
            Some(month) => retention_row(ck.json, "TTM", month),
            None => retention_row(ck.json, "", label),
        };
        for (k, key) in [
            "starting_mrr",
            "expansion",
            "contraction",
            "churn",
            "ending_cohort_mrr",
        ]
        .iter()
        .enumerate()
        {
            ck.money("Segments", (*row, 2 + k as u32), &r[*key]);
        }
        ck.ratios("Segments", (*row, 7), r);
    }
    let per_cut = ck.json["periods"].as_array().map_or(0, Vec::len)
        + ck.json["ttm"].as_array().map_or(0, Vec::len);
    assert_eq!(totals.len(), per_cut * cuts, "{}: total rows", ck.case);
    // The value rows' ratios are the same formulas on the value's figures.
    for (&(row, col), cell) in cells {
        if col == 7 && cell.f.is_some() && text(cells, row, 1) != Some("Total") {
            let figures: Value = serde_json::json!({
                "starting_mrr": format!("{:.2}", num(cells, row, 2).unwrap_or(0.0)),
                "expansion": format!("{:.2}", num(cells, row, 3).unwrap_or(0.0)),
                "contraction": format!("{:.2}", num(cells, row, 4).unwrap_or(0.0)),
                "churn": format!("{:.2}", num(cells, row, 5).unwrap_or(0.0)),
            });
            for (k, cell) in [(0, &cells[&(row, 7)]), (1, &cells[&(row, 8)])] {
                let [s, e, c, ch] = ["starting_mrr", "expansion", "contraction", "churn"]
                    .map(|k| money(&figures[k]));
                let want = if k == 0 {
                    (s + e - c - ch) / s
                } else {
                    (s - c - ch) / s
                };
                match cell.num() {
                    Some(got) => assert!(
                        (got - want).abs() <= 1e-9,
                        "{}: Segments row {row}",
                        ck.case
                    ),
                    None => assert!(
                        s == 0.0 && cell.text() == Some(""),
                        "{}: Segments row {row}",
                        ck.case
                    ),
                }
                ck.mark("Segments", (row, 7 + k));
            }
        }
    }
}

/// Every formula cell of `original` is one of `recalculated` with the value stored equal to
/// LibreOffice's; returns them.
pub(super) fn formula_cells(
    case: &str,
    original: &Book,
    recalculated: &Book,
) -> BTreeSet<(String, u32, u32)> {
    let mut out = BTreeSet::new();
    assert_eq!(original.names(), recalculated.names(), "{case}: sheets");
    for ((name, cells), (_, lo)) in original.sheets.iter().zip(&recalculated.sheets) {
        for (&(row, col), cell) in cells {
            let Some(f) = &cell.f else { continue };
            let theirs = &lo[&(row, col)];
            assert_eq!(
                theirs.f.as_deref(),
                Some(f.as_str()),
                "{case}: {name} ({row}, {col})"
            );
            match (cell.num(), theirs.num()) {
                (Some(a), Some(b)) => assert!(
                    (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                    "{case}: {name} ({row}, {col}) {f}: stored {a}, LibreOffice {b}"
                ),
                _ => assert_eq!(
                    (cell.text(), &cell.t),
                    (theirs.text(), &theirs.t),
                    "{case}: {name} ({row}, {col}) {f}"
                ),
            }
            out.insert((name.clone(), row, col));
        }
        for (&(row, col), cell) in lo {
            assert!(
                cell.f.is_none() || cells.get(&(row, col)).is_some_and(|c| c.f.is_some()),
                "{case}: LibreOffice has a formula at {name} ({row}, {col}) the workbook has not"
            );
        }
    }
    out
}
