//! The `Segments` sheet: a block per `--segment` cut; in it, per period (months, quarters,
//! years, then TTM) a row per segment value with the period's retention figures and a total
//! row of SUM formulas, which equals the all-customer figures.

use super::retention::{figures, ratio_formulas, FIGURES};
use super::{cell, ratios, Cached, Sheet, Styles, XlsxError};
use nrr_core::report::{Report, Retention, SegmentFigures, Segments};
use rust_xlsxwriter::{ColNum, RowNum};

/// The first figure column (after Period and the value).
const FIRST: ColNum = 2;

/// Writes the sheet.
pub(super) fn sheet(mut s: Sheet<'_>, report: &Report, st: &Styles) -> Result<(), XlsxError> {
    s.text_f(
        0,
        0,
        &format!("Retention by segment, {}", report.currency),
        &st.title,
    )?;
    s.text(
        1,
        0,
        "Per period, a row per segment value, then Total: SUM formulas of the values, equal to \
         the all-customer figures of the Retention sheet. TTM rows are labelled `TTM YYYY-MM`.",
    )?;
    s.ws.set_column_width(0, 14)?;
    s.ws.set_column_width(1, 24)?;
    s.ws.set_column_range_width(FIRST, FIRST + 6, 15)?;
    let mut row: RowNum = 3;
    for cut in &report.segment_cuts {
        row = cut_block(&mut s, row, report, cut, st)?;
    }
    Ok(())
}

/// One cut's block; returns the row after it and a blank.
fn cut_block(
    s: &mut Sheet<'_>,
    mut row: RowNum,
    report: &Report,
    cut: &Segments,
    st: &Styles,
) -> Result<RowNum, XlsxError> {
    s.text_f(row, 0, "Segment cut", &st.heading)?;
    s.text_f(row, 1, &cut.column, &st.heading)?;
    row += 1;
    s.headers(row, 0, &["Period", "Value"], &st.header)?;
    s.headers(row, FIRST, &FIGURES, &st.header)?;
    row += 1;
    let periods = report.periods.iter().map(|p| {
        let label = p.period.clone();
        let pick = move |f: &SegmentFigures| {
            f.periods
                .iter()
                .find(|q| q.period == label)
                .map(|q| q.retention.clone())
        };
        (
            p.period.clone(),
            Box::new(pick) as Box<dyn Fn(&SegmentFigures) -> _>,
        )
    });
    let ttm = report.ttm.iter().map(|t| {
        let month = t.month;
        let pick = move |f: &SegmentFigures| {
            f.ttm
                .iter()
                .find(|q| q.month == month)
                .map(|q| q.retention.clone())
        };
        (
            format!("TTM {month}"),
            Box::new(pick) as Box<dyn Fn(&SegmentFigures) -> _>,
        )
    });
    for (label, pick) in periods.chain(ttm) {
        let values: Vec<(&str, Option<Retention>)> = cut
            .values
            .iter()
            .map(|(v, f)| (v.as_str(), pick(f)))
            .collect();
        row = period_rows(s, row, &label, &values, st)?;
    }
    Ok(row + 1)
}

/// A period's value rows and its total row; returns the row after them.
fn period_rows(
    s: &mut Sheet<'_>,
    mut row: RowNum,
    label: &str,
    values: &[(&str, Option<Retention>)],
    st: &Styles,
) -> Result<RowNum, XlsxError> {
    let first = row;
    let mut sums = [0i128; 5];
    for (value, retention) in values {
        s.text(row, 0, label)?;
        s.text(row, 1, value)?;
        if let Some(r) = retention {
            figures(s, row, FIRST, r, st)?;
            let amounts = [
                r.starting_mrr,
                r.expansion,
                r.contraction,
                r.churn,
                r.ending_cohort_mrr,
            ];
            for (sum, m) in sums.iter_mut().zip(amounts) {
                *sum += m.cents();
            }
        }
        row += 1;
    }
    s.text_f(row, 0, label, &st.bold)?;
    s.text_f(row, 1, "Total", &st.bold)?;
    for (k, sum) in sums.iter().enumerate() {
        let col = FIRST + k as ColNum;
        let formula = if values.is_empty() {
            "=0".to_string()
        } else {
            format!("=SUM({}:{})", cell(first, col), cell(row - 1, col))
        };
        s.formula(row, col, &formula, Cached::Cents(*sum), &st.money_bold)?;
    }
    let cached = ratios(sums[0], sums[1], sums[2], sums[3]);
    ratio_formulas(s, row, FIRST, cached, &st.percent_bold)?;
    Ok(row + 1)
}
