//! The `Movements` sheet: every customer-month movement (as `nrr movements` writes them) as
//! an Excel table with filters, up to [`MOVEMENT_ROWS_MAX`] rows.

use super::{Sheet, Styles, XlsxError};
use nrr_core::detail::Detail;
use nrr_core::movements::Largest;
use rust_xlsxwriter::{ColNum, RowNum, Table, TableColumn, TableStyle};

/// The most movement rows the sheet holds. A million customers make about 2.4 million rows,
/// more than a sheet's 1,048,576 and slow to write and open; `nrr movements` writes them all.
/// Above the cap the sheet keeps, for every month and category, its `k` largest rows by
/// amount (ties to the earlier row: the smaller customer id), `k` the largest number that
/// keeps the sheet within the cap; the rows stay in `nrr movements` order
/// ([`nrr_core::movements::largest_movements`]).
pub const MOVEMENT_ROWS_MAX: usize = 100_000;

/// The table's columns.
const COLUMNS: [&str; 6] = [
    "Month",
    "Customer",
    "Category",
    "Reason",
    "Amount",
    "Amount at month rates",
];

/// The row of the table's header.
const HEADER: RowNum = 3;

/// Writes the sheet: the rows of `detail.movements` (at most [`MOVEMENT_ROWS_MAX`] when
/// [`nrr_core::detail::detail`] was asked for that many).
pub(super) fn sheet(mut s: Sheet<'_>, detail: &Detail, st: &Styles) -> Result<(), XlsxError> {
    let Largest {
        movements: m,
        total,
        per_group,
    } = &detail.movements;
    s.text_f(
        0,
        0,
        &format!("Customer-month movements, {}", m.currency),
        &st.title,
    )?;
    let note = match per_group {
        None => format!("All {total} movement rows (as `nrr movements` writes them)."),
        Some(k) => format!(
            "{} of {total} movement rows shown: the {k} largest by amount of each month and \
             category; {} rows left out. `nrr movements DATA` writes them all.",
            m.rows.len(),
            total - m.rows.len()
        ),
    };
    s.text(1, 0, &note)?;
    s.ws.set_column_width(0, 10)?;
    s.ws.set_column_width(1, 24)?;
    s.ws.set_column_range_width(2, 3, 16)?;
    s.ws.set_column_range_width(4, 5, 16)?;
    if m.rows.is_empty() {
        s.headers(HEADER, 0, &COLUMNS, &st.header)?;
        s.text(HEADER + 1, 0, "(no movement in the window)")?;
        return Ok(());
    }
    // The rows' cents that add up to their exact sum for each month and category (all rows:
    // the report's figures); each row's own rounding only if the arithmetic overflowed.
    let scaled = m.scaled_amounts(2);
    for (i, mv) in m.rows.iter().enumerate() {
        let row = HEADER + 1 + i as RowNum;
        s.text(row, 0, &mv.month.to_string())?;
        s.text(row, 1, &mv.customer_id)?;
        s.text(row, 2, mv.category.name())?;
        if let Some(reason) = mv.reason {
            s.text(row, 3, reason)?;
        }
        let [amount, at_rates] = scaled
            .as_ref()
            .map_or([mv.amount.cents(), mv.amount_at_month_rates.cents()], |v| {
                v[i]
            });
        s.cents(row, 4, amount, &st.money)?;
        s.cents(row, 5, at_rates, &st.money)?;
    }
    let columns: Vec<TableColumn> = COLUMNS
        .iter()
        .map(|h| TableColumn::new().set_header(*h))
        .collect();
    let table = Table::new()
        .set_name("Movements")
        .set_style(TableStyle::Light9)
        .set_columns(&columns);
    let last = HEADER + m.rows.len() as RowNum;
    s.ws.add_table(HEADER, 0, last, COLUMNS.len() as ColNum - 1, &table)?;
    s.ws.set_freeze_panes(HEADER + 1, 0)?;
    Ok(())
}
