//! The `Retention` sheet: one row per period (Period, Starting MRR, Expansion MRR, Contraction
//! MRR, Churn MRR, Ending MRR, NRR, GRR, Notes), a block each for months, quarters, years and
//! TTM; NRR and GRR are live formulas of the row's cells.

use super::{cell, notes_text, ratios, Cached, Sheet, Styles, XlsxError};
use nrr_core::report::{Granularity, Report, Retention};
use rust_xlsxwriter::{ColNum, RowNum};

/// The columns after the period's label, in order.
pub(super) const FIGURES: [&str; 7] = [
    "Starting MRR",
    "Expansion MRR",
    "Contraction MRR",
    "Churn MRR",
    "Ending MRR",
    "NRR",
    "GRR",
];

/// Writes the sheet.
pub(super) fn sheet(mut s: Sheet<'_>, report: &Report, st: &Styles) -> Result<(), XlsxError> {
    s.text_f(
        0,
        0,
        &format!("Frozen-cohort retention, {}", report.currency),
        &st.title,
    )?;
    s.text(
        1,
        0,
        "NRR = (Starting + Expansion - Contraction - Churn) / Starting; GRR = (Starting - \
         Contraction - Churn) / Starting; empty when Starting is 0. The formulas work on the \
         shown cents; the JSON report's ratios come from the exact amounts (docs/metrics.md).",
    )?;
    s.ws.set_column_width(0, 16)?;
    s.ws.set_column_range_width(1, 7, 15)?;
    s.ws.set_column_width(8, 60)?;
    let mut row: RowNum = 3;
    let mut months = None;
    for (title, granularity) in [
        ("Months", Granularity::Month),
        ("Quarters", Granularity::Quarter),
        ("Years", Granularity::Year),
    ] {
        let periods: Vec<_> = report
            .periods
            .iter()
            .filter(|p| p.granularity == granularity)
            .map(|p| (p.period.clone(), &p.retention, notes_text(&p.notes)))
            .collect();
        let (next, rows) = block(&mut s, row, title, &periods, st)?;
        if granularity == Granularity::Month {
            months = rows;
        }
        row = next;
    }
    let ttm: Vec<_> = report
        .ttm
        .iter()
        .map(|t| (t.month.to_string(), &t.retention, String::new()))
        .collect();
    let (_, ttm_rows) = block(
        &mut s,
        row,
        "TTM (trailing twelve months to the month shown)",
        &ttm,
        st,
    )?;
    // Charts beside the table: the monthly and TTM NRR and GRR.
    let mut at = 3;
    for (title, rows) in [
        ("Monthly NRR and GRR", months),
        ("TTM NRR and GRR", ttm_rows),
    ] {
        if let Some(rows) = rows {
            super::charts::nrr_trend(&mut s, (at, 10), title, rows)?;
            at += 20;
        }
    }
    Ok(())
}

/// One block: its title, header and a row per period; returns the row after it and a blank,
/// and the first and last period rows (`None` without periods).
fn block(
    s: &mut Sheet<'_>,
    mut row: RowNum,
    title: &str,
    periods: &[(String, &Retention, String)],
    st: &Styles,
) -> Result<(RowNum, Option<(RowNum, RowNum)>), XlsxError> {
    s.text_f(row, 0, title, &st.heading)?;
    row += 1;
    s.text_f(row, 0, "Period", &st.header)?;
    s.headers(row, 1, &FIGURES, &st.header)?;
    s.text_f(row, 8, "Notes", &st.header)?;
    row += 1;
    if periods.is_empty() {
        s.text(row, 0, "(none in the window)")?;
        return Ok((row + 2, None));
    }
    let first = row;
    for (label, retention, notes) in periods {
        s.text(row, 0, label)?;
        figures(s, row, 1, retention, st)?;
        if !notes.is_empty() {
            s.text_f(row, 8, notes, &st.wrap)?;
        }
        row += 1;
    }
    Ok((row + 1, Some((first, row - 1))))
}

/// Starting, expansion, contraction, churn and ending MRR from column `col` on, then NRR and
/// GRR as formulas of them.
pub(super) fn figures(
    s: &mut Sheet<'_>,
    row: RowNum,
    col: ColNum,
    r: &Retention,
    st: &Styles,
) -> Result<(), XlsxError> {
    let amounts = [
        r.starting_mrr,
        r.expansion,
        r.contraction,
        r.churn,
        r.ending_cohort_mrr,
    ];
    for (k, m) in amounts.into_iter().enumerate() {
        s.money(row, col + k as ColNum, m, &st.money)?;
    }
    let (nrr, grr) = ratios(
        r.starting_mrr.cents(),
        r.expansion.cents(),
        r.contraction.cents(),
        r.churn.cents(),
    );
    ratio_formulas(s, row, col, (nrr, grr), &st.percent)
}

/// NRR and GRR in columns `col + 5` and `col + 6`, of starting, expansion, contraction and
/// churn in `col..col + 4`.
pub(super) fn ratio_formulas(
    s: &mut Sheet<'_>,
    row: RowNum,
    col: ColNum,
    (nrr, grr): (Cached, Cached),
    f: &rust_xlsxwriter::Format,
) -> Result<(), XlsxError> {
    let [b, c, d, e] = [0, 1, 2, 3].map(|k| cell(row, col + k));
    s.formula(
        row,
        col + 5,
        &format!("=IF({b}=0,\"\",({b}+{c}-{d}-{e})/{b})"),
        nrr,
        f,
    )?;
    s.formula(
        row,
        col + 6,
        &format!("=IF({b}=0,\"\",({b}-{d}-{e})/{b})"),
        grr,
        f,
    )
}
