//! The `Bridge` sheet: the monthly MRR bridge, one row per month, closing MRR a live formula
//! of the opening and the movements.

use super::{cell, notes_text, Cached, Sheet, Styles, XlsxError};
use nrr_core::money::Money;
use nrr_core::report::{MonthRow, Report};
use rust_xlsxwriter::{ColNum, RowNum};

/// A movement column: its header, whether the closing formula subtracts it, and its amount
/// (`None` when the row has none).
pub(super) type Movement = (&'static str, bool, fn(&MonthRow) -> Option<Money>);

/// Every movement column, in order; the optional ones are shown when a month has them.
const MOVEMENTS: [Movement; 10] = [
    ("New MRR", false, |m| Some(m.new)),
    ("Reactivation MRR", false, |m| Some(m.reactivation)),
    ("Expansion MRR", false, |m| Some(m.expansion)),
    ("Contraction MRR", true, |m| Some(m.contraction)),
    ("Churn MRR", true, |m| Some(m.churn)),
    ("FX MRR", false, |m| Some(m.fx)),
    ("Paused MRR", true, |m| m.paused),
    ("Resumed MRR", false, |m| m.resumed),
    ("Moved in MRR", false, |m| m.moved_in),
    ("Moved out MRR", true, |m| m.moved_out),
];

/// A customer-count column: its header and its count.
type Count = (&'static str, fn(&MonthRow) -> u64);

/// The customer-count columns after the closing MRR.
const COUNTS: [Count; 4] = [
    ("Customers", |m| m.customers),
    ("New customers", |m| m.new_customers),
    ("Reactivated customers", |m| m.reactivated_customers),
    ("Churned customers", |m| m.churned_customers),
];

/// Writes the sheet.
pub(super) fn sheet(mut s: Sheet<'_>, report: &Report, st: &Styles) -> Result<(), XlsxError> {
    s.text_f(
        0,
        0,
        &format!("Monthly MRR bridge, {}", report.currency),
        &st.title,
    )?;
    s.text(
        1,
        0,
        "Closing MRR = Opening + New + Reactivation + Expansion - Contraction - Churn + FX \
         (- Paused + Resumed + Moved in - Moved out where shown), a formula of the row.",
    )?;
    let shown: Vec<&Movement> = MOVEMENTS
        .iter()
        .filter(|(_, _, amount)| report.months.iter().any(|m| amount(m).is_some()))
        .collect();
    let header_row: RowNum = 3;
    let mut col: ColNum = 0;
    s.text_f(header_row, col, "Month", &st.header)?;
    s.text_f(header_row, col + 1, "Opening MRR", &st.header)?;
    col += 2;
    for (name, _, _) in &shown {
        s.text_f(header_row, col, name, &st.header)?;
        col += 1;
    }
    let closing_col = col;
    s.text_f(header_row, closing_col, "Closing MRR", &st.header)?;
    for (k, (name, _)) in COUNTS.iter().enumerate() {
        s.text_f(header_row, closing_col + 1 + k as ColNum, name, &st.header)?;
    }
    let notes_col = closing_col + 1 + COUNTS.len() as ColNum;
    s.text_f(header_row, notes_col, "Notes", &st.header)?;
    s.ws.set_column_width(0, 12)?;
    s.ws.set_column_range_width(1, notes_col - 1, 14)?;
    s.ws.set_column_width(notes_col, 60)?;
    s.ws.set_freeze_panes(header_row + 1, 1)?;
    for (i, m) in report.months.iter().enumerate() {
        let row = header_row + 1 + i as RowNum;
        s.text(row, 0, &m.month.to_string())?;
        s.money(row, 1, m.opening_mrr, &st.money)?;
        let mut formula = format!("={}", cell(row, 1));
        for (k, (_, minus, amount)) in shown.iter().enumerate() {
            let col = 2 + k as ColNum;
            s.cents(row, col, amount(m).map_or(0, Money::cents), &st.money)?;
            formula.push(if *minus { '-' } else { '+' });
            formula.push_str(&cell(row, col));
        }
        s.formula(
            row,
            closing_col,
            &formula,
            Cached::Cents(m.closing_mrr.cents()),
            &st.money_bold,
        )?;
        for (k, (_, count)) in COUNTS.iter().enumerate() {
            s.count(row, closing_col + 1 + k as ColNum, count(m), &st.count)?;
        }
        let notes = notes_text(&m.notes);
        if !notes.is_empty() {
            s.text_f(row, notes_col, &notes, &st.wrap)?;
        }
    }
    if !report.months.is_empty() {
        super::charts::movements(&mut s, report, header_row, &shown, notes_col + 2, st)?;
    }
    Ok(())
}
