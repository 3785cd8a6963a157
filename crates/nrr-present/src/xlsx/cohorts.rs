//! The `Cohorts` sheet: the signup-cohort matrices (revenue and logos, by month and by
//! quarter, as `nrr cohorts`) as numbers with a colour scale, each with a weighted-average row
//! of formulas.

use super::{cell, column, Cached, Sheet, Styles, XlsxError};
use nrr_core::cohort::{CohortBy, CohortMetric, CohortTable};
use nrr_core::detail::Detail;
use rust_xlsxwriter::{ColNum, ConditionalFormat3ColorScale, RowNum};

/// The first age column (after Cohort, Customers, Starting MRR).
const AGE0: ColNum = 3;

/// Writes the sheet.
pub(super) fn sheet(mut s: Sheet<'_>, detail: &Detail, st: &Styles) -> Result<(), XlsxError> {
    s.text_f(0, 0, "Signup cohorts", &st.title)?;
    s.text(
        1,
        0,
        "Each cell: the cohort's MRR (revenue, at its age-0 month's rates) or its paying \
         customers (logos) at that age, over age 0 (docs/metrics.md section 17).",
    )?;
    s.ws.set_column_width(0, 18)?;
    s.ws.set_column_range_width(1, 2, 14)?;
    let mut row: RowNum = 3;
    for table in &detail.cohorts {
        row = matrix(&mut s, row, table, st)?;
    }
    Ok(())
}

/// One matrix, its title first; returns the row after it and a blank.
fn matrix(
    s: &mut Sheet<'_>,
    mut row: RowNum,
    t: &CohortTable,
    st: &Styles,
) -> Result<RowNum, XlsxError> {
    let (metric, weight_col, weighting) = match t.metric {
        CohortMetric::Revenue => (
            "Revenue retention",
            2,
            "Weighted average: each cohort's cell weighted by its Starting MRR (age-0 MRR), over \
             the cohorts that reach the age.",
        ),
        CohortMetric::Logos => (
            "Logo retention",
            1,
            "Weighted average: each cohort's cell weighted by its Customers (cohort size), over \
             the cohorts that reach the age.",
        ),
    };
    let by = match t.by {
        CohortBy::Month => "by signup month",
        CohortBy::Quarter => "by signup quarter (ages in quarters)",
    };
    s.text_f(row, 0, &format!("{metric} {by}"), &st.heading)?;
    s.text(row + 1, 0, weighting)?;
    row += 2;
    let ages = t.cohorts.iter().map(|c| c.cells.len()).max().unwrap_or(0);
    s.headers(row, 0, &["Cohort", "Customers", "Starting MRR"], &st.header)?;
    for k in 0..ages {
        s.text_f(row, AGE0 + k as ColNum, &format!("Age {k}"), &st.header)?;
    }
    row += 1;
    if t.cohorts.is_empty() {
        s.text(row, 0, "(no cohort in the window)")?;
        return Ok(row + 2);
    }
    let first = row;
    for c in &t.cohorts {
        s.text(row, 0, &c.cohort)?;
        s.count(row, 1, c.customers, &st.count)?;
        s.money(row, 2, c.starting_mrr, &st.money)?;
        for (k, v) in c.cells.iter().enumerate() {
            s.ratio(row, AGE0 + k as ColNum, *v, &st.percent)?;
        }
        row += 1;
    }
    let last = row - 1;
    if ages > 0 {
        let scale = ConditionalFormat3ColorScale::new();
        s.ws.add_conditional_format(first, AGE0, last, AGE0 + ages as ColNum - 1, &scale)?;
    }
    average_row(s, row, (first, last), (weight_col, ages), t, st)?;
    Ok(row + 2)
}

/// The weighted-average row under the cohorts `first..=last`: SUM of customers and starting
/// MRR, and per age SUMPRODUCT(weights, cells) / the weights of the cohorts with a cell.
fn average_row(
    s: &mut Sheet<'_>,
    row: RowNum,
    (first, last): (RowNum, RowNum),
    (weight_col, ages): (ColNum, usize),
    t: &CohortTable,
    st: &Styles,
) -> Result<(), XlsxError> {
    s.text_f(row, 0, "Weighted average", &st.bold)?;
    let range = |col: ColNum| format!("{}:{}", cell(first, col), cell(last, col));
    let customers: u64 = t.cohorts.iter().map(|c| c.customers).sum();
    let starting: i128 = t.cohorts.iter().map(|c| c.starting_mrr.cents()).sum();
    // Count totals are far below 2^53 (exact as f64).
    let customers_cached = Cached::Ratio(customers as f64);
    s.formula(
        row,
        1,
        &format!("=SUM({})", range(1)),
        customers_cached,
        &st.count,
    )?;
    s.formula(
        row,
        2,
        &format!("=SUM({})", range(2)),
        Cached::Cents(starting),
        &st.money_bold,
    )?;
    let w = {
        let c = column(weight_col);
        format!("${c}${}:${c}${}", first + 1, last + 1)
    };
    for k in 0..ages {
        let col = AGE0 + k as ColNum;
        let cells = range(col);
        let formula = format!(
            "=IF(SUMPRODUCT({w},--ISNUMBER({cells}))=0,\"\",\
             SUMPRODUCT({w},{cells})/SUMPRODUCT({w},--ISNUMBER({cells})))"
        );
        s.formula(row, col, &formula, weighted(t, k), &st.percent_bold)?;
    }
    Ok(())
}

/// The weighted average at age `k`, as the formula computes it.
fn weighted(t: &CohortTable, k: usize) -> Cached {
    let (mut num, mut den) = (0.0, 0.0);
    for c in &t.cohorts {
        let weight = match t.metric {
            CohortMetric::Revenue => super::cents_f64(c.starting_mrr.cents()),
            // Cohort sizes are far below 2^53 (exact as f64).
            CohortMetric::Logos => c.customers as f64,
        };
        if let Some(Some(v)) = c.cells.get(k) {
            num += weight * v;
            den += weight;
        }
    }
    if den == 0.0 {
        Cached::Empty
    } else {
        Cached::Ratio(num / den)
    }
}
