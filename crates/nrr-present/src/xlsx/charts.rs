//! Charts: the NRR and GRR trend beside the Retention sheet's table.

use super::{Sheet, XlsxError};
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
