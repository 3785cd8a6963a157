//! The figures behind the report's figures, for front ends a reader can drill into (the HTML
//! report, the workbook): the cohort matrices, every customer-month movement, the largest
//! customers behind each bar of the bridge, and each of those customers' months.
//!
//! Everything here is computed by the same rules as the [`Report`] (the movement rows of a
//! month and category sum exactly to the bridge's figure, docs/metrics.md "Movement rows"), so
//! a front end shows and never recomputes.

use crate::assemble::Inputs;
use crate::cohort::{cohorts_by, CohortBy, CohortTable};
use crate::dataset::Dataset;
use crate::engine::Options;
use crate::explain::{explain_each, Explanation};
use crate::money::Money;
use crate::movements::{largest_of, made_rows, Largest, Movements};
use crate::report::Report;
use crate::CoreError;
use serde::Serialize;

/// What a drill-down front end shows beside the [`Report`].
#[derive(Clone, Debug, PartialEq)]
pub struct Detail {
    /// Revenue and logo cohorts by month, then by quarter (four tables in that order).
    pub cohorts: Vec<CohortTable>,
    /// The weighted-average row of each of `cohorts` ([`crate::cohort::cohorts_by`]).
    pub cohort_averages: Vec<Vec<Option<f64>>>,
    /// The customer-month movements of the window (no segment columns), all of them or the
    /// largest within a cap ([`crate::movements::largest_movements`]); empty unless asked for ([`detail`]'s
    /// `movement_rows`).
    pub movements: Largest,
    /// For every month and quarter of the report and every movement category with rows: the
    /// customers behind the figure, largest first.
    pub drill: Vec<DrillList>,
    /// Every customer named in `drill`, by id: its months (what `nrr explain` shows).
    pub customers: Vec<Explanation>,
}

/// The customers behind one period's figure of one movement category.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DrillList {
    /// `2024-03` or `2024-Q1` (a label of the report's periods).
    pub period: String,
    /// `new`, `expansion`, ... (the bridge's names; `fx` signed).
    pub category: &'static str,
    /// The exact sum of every customer's amount: the bridge's figure before rounding.
    pub total: Money,
    /// Customers in the period with a movement of the category.
    pub customer_count: u64,
    /// The largest `top` customers: amount summed over the period's months, largest first,
    /// ties to the smaller id.
    pub customers: Vec<DrillCustomer>,
    /// The customers not listed, and the sum of their amounts.
    pub others: u64,
    /// `total` minus the listed amounts.
    pub others_amount: Money,
}

/// One customer of a [`DrillList`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DrillCustomer {
    /// The customer.
    pub customer_id: String,
    /// Its amount in the period (constant currency, as the bridge).
    pub amount: Money,
}

mod drill;

/// Builds the detail of `report` (assembled from `inputs`): `top` customers per list;
/// `movement_rows`: also the movement rows, at most that many ([`crate::movements::largest_movements`];
/// `movements` is empty otherwise: at a million customers the rows take a second, and only
/// the workbook lists them).
pub fn detail(
    inputs: &Inputs<'_>,
    report: &Report,
    top: usize,
    movement_rows: Option<usize>,
) -> Result<Detail, CoreError> {
    let ds = inputs.dataset;
    let options = Options {
        segment: None,
        reactivation: inputs.policies.reactivation,
        ..inputs.options.clone()
    };
    const BYS: [CohortBy; 2] = [CohortBy::Month, CohortBy::Quarter];
    // The workbook lists the movement rows: its cohorts and drill lists come from the same
    // pass over the customers; the HTML page's from a cohort pass and a drill pass that keep
    // no row.
    let (cohorts, moves, drill) = match movement_rows {
        Some(cap) => {
            let mut made = made_rows(ds, &options, &[], &BYS)?;
            let drill = drill::drill_lists_of_rows(ds, &made, report, top);
            let cohorts = std::mem::take(&mut made.cohorts);
            (cohorts, largest_of(ds, made, cap), drill)
        }
        None => (
            cohorts_by(ds, &options, &BYS)?,
            Largest {
                movements: Movements {
                    currency: ds.currency().to_string(),
                    window: report.window,
                    segments: Vec::new(),
                    rows: Vec::new(),
                },
                total: 0,
                per_group: None,
            },
            drill::drill_lists(ds, &options, report, top)?,
        ),
    };
    let (mut tables, mut averages) = (Vec::with_capacity(4), Vec::with_capacity(4));
    for pair in cohorts {
        for (table, average) in pair {
            tables.push(table);
            averages.push(average);
        }
    }
    let customers = explained(ds, &options, &drill, &inputs.notes.notes)?;
    Ok(Detail {
        cohorts: tables,
        cohort_averages: averages,
        movements: moves,
        drill,
        customers,
    })
}

/// The explanations of every customer the lists name, by id.
fn explained(
    ds: &Dataset,
    options: &Options,
    drill: &[DrillList],
    notes: &[crate::report::Note],
) -> Result<Vec<Explanation>, CoreError> {
    let mut ids: Vec<&str> = drill
        .iter()
        .flat_map(|d| d.customers.iter().map(|c| c.customer_id.as_str()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = explain_each(ds, options, &ids)?;
    for ex in &mut out {
        crate::explain::attach_notes(ex, notes);
    }
    Ok(out)
}
