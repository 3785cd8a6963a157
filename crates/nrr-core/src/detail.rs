//! The figures behind the report's figures, for front ends a reader can drill into (the HTML
//! report, the workbook): the cohort matrices, every customer-month movement, the largest
//! customers behind each bar of the bridge, and each of those customers' months.
//!
//! Everything here is computed by the same rules as the [`Report`] (the movement rows of a
//! month and category sum exactly to the bridge's figure, docs/metrics.md "Movement rows"), so
//! a front end shows and never recomputes.

use crate::assemble::Inputs;
use crate::cohort::{cohorts_with_average, CohortBy, CohortMetric, CohortTable};
use crate::dataset::Dataset;
use crate::engine::Options;
use crate::explain::{explain_each, Explanation};
use crate::money::Money;
use crate::movements::{movements, Category, Movements};
use crate::report::{Granularity, Report};
use crate::CoreError;
use serde::Serialize;
use std::collections::BTreeMap;

/// What a drill-down front end shows beside the [`Report`].
#[derive(Clone, Debug, PartialEq)]
pub struct Detail {
    /// Revenue and logo cohorts by month, then by quarter (four tables in that order).
    pub cohorts: Vec<CohortTable>,
    /// The weighted-average row of each of `cohorts` ([`cohorts_with_average`]).
    pub cohort_averages: Vec<Vec<Option<f64>>>,
    /// Every customer-month movement of the window (no segment columns).
    pub movements: Movements,
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

/// Builds the detail of `report` (assembled from `inputs`): `top` customers per list.
pub fn detail(inputs: &Inputs<'_>, report: &Report, top: usize) -> Result<Detail, CoreError> {
    let ds = inputs.dataset;
    let options = Options {
        segment: None,
        reactivation: inputs.policies.reactivation,
        ..inputs.options.clone()
    };
    let (mut tables, mut averages) = (Vec::with_capacity(4), Vec::with_capacity(4));
    for by in [CohortBy::Month, CohortBy::Quarter] {
        for metric in [CohortMetric::Revenue, CohortMetric::Logos] {
            let (table, average) = cohorts_with_average(ds, &options, by, metric)?;
            tables.push(table);
            averages.push(average);
        }
    }
    let moves = movements(ds, &options, &[])?;
    let drill = drill_lists(&moves, report, top);
    let customers = explained(ds, &options, &drill, inputs.notes)?;
    Ok(Detail {
        cohorts: tables,
        cohort_averages: averages,
        movements: moves,
        drill,
        customers,
    })
}

/// The months and quarters of `report`, each with its first and last month.
fn periods(report: &Report) -> Vec<(String, crate::date::Month, crate::date::Month)> {
    report
        .periods
        .iter()
        .filter(|p| matches!(p.granularity, Granularity::Month | Granularity::Quarter))
        .map(|p| (p.period.clone(), p.start_month, p.end_month))
        .collect()
}

/// Sums per (period, category, customer), then the top of each (period, category).
fn drill_lists(moves: &Movements, report: &Report, top: usize) -> Vec<DrillList> {
    type Key = (usize, Category);
    let periods = periods(report);
    let denominator = moves.rows.first().map_or(1, |r| r.amount.denominator);
    let mut sums: BTreeMap<Key, BTreeMap<&str, i128>> = BTreeMap::new();
    for row in &moves.rows {
        if matches!(row.category, Category::MovedOut | Category::MovedIn) {
            continue;
        }
        // Amounts of one dataset share its denominator (the engine's scale).
        debug_assert_eq!(row.amount.denominator, denominator);
        for (k, (_, start, end)) in periods.iter().enumerate() {
            if (*start..=*end).contains(&row.month) {
                *sums
                    .entry((k, row.category))
                    .or_default()
                    .entry(row.customer_id.as_str())
                    .or_default() += row.amount.units;
            }
        }
    }
    let money = |units| Money { units, denominator };
    sums.into_iter()
        .map(|((k, category), by_customer)| {
            let total: i128 = by_customer.values().sum();
            let mut ranked: Vec<(&str, i128)> = by_customer.into_iter().collect();
            // Largest first (fx by size, its sign kept), ties to the smaller id (the map's
            // order, kept by the stable sort).
            ranked.sort_by_key(|r| std::cmp::Reverse(r.1.abs()));
            let customer_count = ranked.len() as u64;
            let listed: Vec<DrillCustomer> = ranked
                .iter()
                .take(top)
                .map(|&(id, units)| DrillCustomer {
                    customer_id: id.to_string(),
                    amount: money(units),
                })
                .collect();
            let listed_sum: i128 = listed.iter().map(|c| c.amount.units).sum();
            DrillList {
                period: periods[k].0.clone(),
                category: category.name(),
                total: money(total),
                customer_count,
                others: customer_count - listed.len() as u64,
                others_amount: money(total - listed_sum),
                customers: listed,
            }
        })
        .collect()
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
