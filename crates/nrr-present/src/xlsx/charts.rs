//! Charts: the NRR and GRR trend beside the Retention sheet's table, the monthly movements as
//! stacked columns under the Bridge table.

use super::bridge::Movement;
use super::{cell, Cached, Sheet, Styles, XlsxError};
use nrr_core::money::Money;
use nrr_core::report::Report;
use rust_xlsxwriter::{Chart, ChartLegendPosition, ColNum, RowNum};

/// A line chart of NRR (column G) and GRR (column H) over the Retention rows `first..=last`,
/// the periods (column A) as categories, placed at `at`.
pub(super) fn nrr_trend(
    s: &mut Sheet<'_>,
    at: (RowNum, ColNum),
    title: &str,
    (first, last): (RowNum, RowNum),
) -> Result<(), XlsxError> {
    let mut chart = Chart::new_line();
    chart.title().set_name(title);
    for (name, col) in [("NRR", 6), ("GRR", 7)] {
        chart
            .add_series()
            .set_name(name)
            .set_categories(("Retention", first, 0, last, 0))
            .set_values(("Retention", first, col, last, col));
    }
    chart.y_axis().set_num_format("0%");
    chart.legend().set_position(ChartLegendPosition::Bottom);
    chart.set_width(640).set_height(320);
    s.ws.insert_chart(at.0, at.1, &chart)?;
    Ok(())
}

/// The Bridge's movements as stacked columns, one per month: gains above zero, losses
/// (contraction, churn, paused, moved out) below, from helper columns from `helper` on that
/// negate them (`=-F5`, headed `Contraction MRR (negative, chart)`); the chart goes under the
/// table. `shown` are the Bridge's movement columns, from column C on.
pub(super) fn movements(
    s: &mut Sheet<'_>,
    report: &Report,
    header: RowNum,
    shown: &[&Movement],
    helper: ColNum,
    st: &Styles,
) -> Result<(), XlsxError> {
    let (first, last) = (header + 1, header + report.months.len() as RowNum);
    let mut chart = Chart::new(rust_xlsxwriter::ChartType::ColumnStacked);
    chart.title().set_name("MRR movements by month");
    let mut next = helper;
    for (k, (name, minus, amount)) in shown.iter().enumerate() {
        let mut col = 2 + k as ColNum;
        if *minus {
            s.text_f(
                header,
                next,
                &format!("{name} (negative, chart)"),
                &st.header,
            )?;
            for (i, m) in report.months.iter().enumerate() {
                let row = first + i as RowNum;
                let cents = -amount(m).map_or(0, Money::cents);
                let formula = format!("=-{}", cell(row, col));
                s.formula(row, next, &formula, Cached::Cents(cents), &st.money)?;
            }
            col = next;
            next += 1;
        }
        chart
            .add_series()
            .set_name(name.trim_end_matches(" MRR"))
            .set_categories(("Bridge", first, 0, last, 0))
            .set_values(("Bridge", first, col, last, col));
    }
    s.ws.set_column_range_width(helper, next.max(helper + 1) - 1, 14)?;
    chart.y_axis().set_num_format("#,##0");
    chart.legend().set_position(ChartLegendPosition::Bottom);
    chart.set_width(800).set_height(360);
    s.ws.insert_chart(last + 3, 1, &chart)?;
    Ok(())
}
