//! The figures behind the report's figures, for front ends a reader can drill into (the HTML
//! report, the workbook): the cohort matrices, every customer-month movement, the largest
//! customers behind each bar of the bridge, and each of those customers' months.
//!
//! Everything here is computed by the same rules as the [`Report`] (the movement rows of a
//! month and category sum exactly to the bridge's figure, docs/metrics.md "Movement rows"), so
//! a front end shows and never recomputes.

use crate::assemble::Inputs;
use crate::cohort::{cohorts_by, CohortBy, CohortTable, WithAverage};
use crate::dataset::Dataset;
use crate::engine::Options;
use crate::explain::{explain_each, Explanation};
use crate::money::Money;
use crate::movements::{largest_of, made_rows, Largest, Movements, RowOrder};
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
    /// largest within a cap ([`crate::movements::largest_movements`]); empty but for
    /// [`Shown::Workbook`].
    pub movements: Largest,
    /// For every month and quarter of the report and every movement category with rows: the
    /// customers behind the figure, largest first (empty but for [`Shown::Page`]).
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

/// What a front end shows of the [`Detail`], so that only that is computed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    /// The HTML page: cohorts, and the drill lists (`top` customers each) with the listed
    /// customers' months; no movement rows.
    Page {
        /// Customers per drill list.
        top: usize,
    },
    /// The workbook: cohorts and the movement rows, at most `movement_rows`
    /// ([`crate::movements::largest_movements`]); no drill list.
    Workbook {
        /// The most movement rows listed.
        movement_rows: usize,
    },
}

/// Builds the detail of `report` (assembled from `inputs`) that `shown` asks for; the other
/// fields are empty.
///
/// The page's cohorts and drill lists come from two passes over the customers that keep no
/// row; the workbook's cohorts from the pass that makes its movement rows (a million
/// customers make 2.4 million rows, turned into strings only for those the sheet keeps).
pub fn detail(inputs: &Inputs<'_>, report: &Report, shown: Shown) -> Result<Detail, CoreError> {
    let top = match shown {
        Shown::Workbook { movement_rows } => return workbook_detail(inputs, movement_rows),
        Shown::Page { top } => top,
    };
    let ds = inputs.dataset;
    let options = options(inputs);
    let cohorts = cohorts_by(ds, &options, &BYS)?;
    let drill = drill::drill_lists(ds, &options, report, top)?;
    let customers = explained(ds, &options, &drill, &inputs.notes.notes)?;
    let no_rows = Largest {
        movements: Movements {
            currency: ds.currency().to_string(),
            window: report.window,
            segments: Vec::new(),
            rows: Vec::new(),
        },
        total: 0,
        per_group: None,
    };
    Ok(with_cohorts(cohorts, no_rows, drill, customers))
}

/// [`detail`] for [`Shown::Workbook`] (`movement_rows` the most movement rows listed). It
/// needs no [`Report`], so a caller can make it while the report is assembled from the same
/// `inputs`.
pub fn workbook_detail(inputs: &Inputs<'_>, movement_rows: usize) -> Result<Detail, CoreError> {
    let ds = inputs.dataset;
    let mut made = made_rows(ds, &options(inputs), &[], &BYS, RowOrder::ByIndex)?;
    let cohorts = std::mem::take(&mut made.cohorts);
    let rows = largest_of(ds, made, movement_rows);
    Ok(with_cohorts(cohorts, rows, Vec::new(), Vec::new()))
}

/// The cohort tables [`Detail::cohorts`] holds, by month then by quarter.
const BYS: [CohortBy; 2] = [CohortBy::Month, CohortBy::Quarter];

/// The options of the detail's passes: the report's, without a segment.
fn options(inputs: &Inputs<'_>) -> Options {
    Options {
        segment: None,
        reactivation: inputs.policies.reactivation,
        ..inputs.options.clone()
    }
}

/// The [`Detail`] of cohort matrices as the passes give them ([`BYS`], each with its average
/// row) and the rest.
fn with_cohorts(
    cohorts: Vec<[WithAverage; 2]>,
    movements: Largest,
    drill: Vec<DrillList>,
    customers: Vec<Explanation>,
) -> Detail {
    let (mut tables, mut averages) = (Vec::with_capacity(4), Vec::with_capacity(4));
    for pair in cohorts {
        for (table, average) in pair {
            tables.push(table);
            averages.push(average);
        }
    }
    Detail {
        cohorts: tables,
        cohort_averages: averages,
        movements,
        drill,
        customers,
    }
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
