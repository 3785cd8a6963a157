//! The `Movements` sheet: every customer-month movement (as `nrr movements` writes them) as
//! an Excel table with filters, up to [`MOVEMENT_ROWS_MAX`] rows.

use super::{Sheet, Styles, XlsxError};
use nrr_core::detail::Detail;
use nrr_core::movements::{Category, Movements};
use rust_xlsxwriter::{ColNum, RowNum, Table, TableColumn, TableStyle};
use std::collections::BTreeMap;

/// The most movement rows the sheet holds. A million customers make about 2.4 million rows,
/// more than a sheet's 1,048,576 and slow to write and open; `nrr movements` writes them all.
/// Above the cap the sheet keeps, for every month and category, its `k` largest rows by
/// amount (ties to the earlier row: the smaller customer id), `k` the largest number that
/// keeps the sheet within the cap; the rows stay in `nrr movements` order.
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

/// Writes the sheet.
pub(super) fn sheet(s: Sheet<'_>, detail: &Detail, st: &Styles) -> Result<(), XlsxError> {
    write(s, &detail.movements, MOVEMENT_ROWS_MAX, st)
}

/// Writes the sheet with at most `cap` rows.
fn write(mut s: Sheet<'_>, m: &Movements, cap: usize, st: &Styles) -> Result<(), XlsxError> {
    s.text_f(
        0,
        0,
        &format!("Customer-month movements, {}", m.currency),
        &st.title,
    )?;
    let (kept, per_group) = keep(m, cap);
    let total = m.rows.len();
    let note = match per_group {
        None => format!("All {total} movement rows (as `nrr movements` writes them)."),
        Some(k) => format!(
            "{} of {total} movement rows shown: the {k} largest by amount of each month and \
             category; {} rows left out (the sheet holds at most {cap}). `nrr movements DATA` \
             writes them all.",
            kept.len(),
            total - kept.len()
        ),
    };
    s.text(1, 0, &note)?;
    s.ws.set_column_width(0, 10)?;
    s.ws.set_column_width(1, 24)?;
    s.ws.set_column_range_width(2, 3, 16)?;
    s.ws.set_column_range_width(4, 5, 16)?;
    if kept.is_empty() {
        s.headers(HEADER, 0, &COLUMNS, &st.header)?;
        s.text(HEADER + 1, 0, "(no movement in the window)")?;
        return Ok(());
    }
    let scaled = m.scaled_amounts(2);
    for (i, &r) in kept.iter().enumerate() {
        let row = HEADER + 1 + i as RowNum;
        let mv = &m.rows[r];
        s.text(row, 0, &mv.month.to_string())?;
        s.text(row, 1, &mv.customer_id)?;
        s.text(row, 2, mv.category.name())?;
        if let Some(reason) = mv.reason {
            s.text(row, 3, reason)?;
        }
        // The rows' cents that add up to the report's figures; each row's own rounding
        // only if the arithmetic overflowed.
        let [amount, at_rates] = scaled
            .as_ref()
            .map_or([mv.amount.cents(), mv.amount_at_month_rates.cents()], |v| {
                v[r]
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
    let last = HEADER + kept.len() as RowNum;
    s.ws.add_table(HEADER, 0, last, COLUMNS.len() as ColNum - 1, &table)?;
    s.ws.set_freeze_panes(HEADER + 1, 0)?;
    Ok(())
}

/// The indices of the rows kept (in row order) and, when some are left out, the number kept
/// per month and category.
fn keep(m: &Movements, cap: usize) -> (Vec<usize>, Option<usize>) {
    if m.rows.len() <= cap {
        return ((0..m.rows.len()).collect(), None);
    }
    let mut groups: BTreeMap<(nrr_core::date::Month, Category), Vec<usize>> = BTreeMap::new();
    for (i, r) in m.rows.iter().enumerate() {
        groups.entry((r.month, r.category)).or_default().push(i);
    }
    for ix in groups.values_mut() {
        // Largest first (fx by size), ties to the earlier row (a stable sort).
        ix.sort_by_key(|&i| std::cmp::Reverse(m.rows[i].amount.units.abs()));
    }
    let kept_with = |k: usize| -> usize { groups.values().map(|g| g.len().min(k)).sum() };
    // The largest k with kept_with(k) <= cap: kept_with grows with k, and kept_with(0) = 0.
    let (mut lo, mut hi) = (0usize, groups.values().map(Vec::len).max().unwrap_or(0));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if kept_with(mid) <= cap {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut kept: Vec<usize> = groups
        .values()
        .flat_map(|g| g.iter().take(lo).copied())
        .collect();
    kept.sort_unstable();
    (kept, Some(lo))
}

#[cfg(test)]
pub(super) fn write_capped(
    s: Sheet<'_>,
    m: &Movements,
    cap: usize,
    st: &Styles,
) -> Result<(), XlsxError> {
    write(s, m, cap, st)
}

#[cfg(test)]
pub(super) fn kept(m: &Movements, cap: usize) -> (Vec<usize>, Option<usize>) {
    keep(m, cap)
}
