//! One customer's figures traced to input rows.

use crate::dataset::{Dataset, OPEN_END};
use crate::date::{Date, Month};
use crate::engine::{
    customer_values, group_by_customer, movement_at, window, Movement, Options, Plan, Scratch,
};
use crate::money::Money;
use crate::report::Window;
use crate::CoreError;
use serde::Serialize;

/// A customer's lines, monthly MRR and movements.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// The customer.
    pub customer_id: String,
    /// Reporting currency.
    pub currency: String,
    /// Reported months.
    pub window: Window,
    /// First month ever with MRR > 0 (decides new vs reactivation).
    pub first_month: Option<Month>,
    /// The customer's recurring lines, in input order.
    pub lines: Vec<ExplainLine>,
    /// One entry per month of the window.
    pub months: Vec<ExplainMonth>,
    /// Other ids counted as this customer by customer_map.csv (omitted when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merged_ids: Vec<MergedId>,
}

/// An id customer_map.csv counts as the explained customer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MergedId {
    /// The id as the input has it.
    pub customer_id: String,
    /// The map's row.
    pub line: u64,
    /// The row's note (`""` when none).
    pub note: String,
}

/// Lists in an explanation the ids `map` merges into its customer.
pub fn attach_customer_map(ex: &mut Explanation, map: &crate::customer_map::CustomerMap) {
    ex.merged_ids = map
        .merged_into(&ex.customer_id)
        .map(|e| MergedId {
            customer_id: e.from.clone(),
            line: e.line,
            note: e.note.clone(),
        })
        .collect();
}

/// One input line of the customer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExplainLine {
    /// `file:line` of the input row.
    pub source: String,
    /// The line's currency.
    pub currency: String,
    /// Billing interval.
    pub interval_months: u32,
    /// amount / interval_months, in the line's currency.
    pub mrr: Money,
    /// First active day.
    pub start_date: Date,
    /// First inactive day.
    pub end_date: Option<Date>,
    /// First month whose month-end snapshot includes the line (`null` if none does).
    pub first_month: Option<Month>,
    /// Last such month (`null` while open or if none).
    pub last_month: Option<Month>,
}

/// One month of the customer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExplainMonth {
    /// The month.
    pub month: Month,
    /// MRR at the month's end, at its rates.
    pub mrr: Money,
    /// The month's category, if any.
    pub movement: Option<Movement>,
    /// The category's amount (positive).
    pub amount: Money,
    /// Change from exchange rates alone.
    pub fx: Money,
    /// Lines that entered the month-end snapshot this month.
    pub lines_started: Vec<String>,
    /// Lines that left it this month.
    pub lines_ended: Vec<String>,
    /// Notes from annotations.csv for this month: about this customer, or about no customer
    /// in particular (omitted when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<crate::report::Note>,
}

/// Attaches to each month of an explanation the notes for that month that name this
/// customer or no customer.
pub fn attach_notes(ex: &mut Explanation, notes: &[crate::report::Note]) {
    for m in &mut ex.months {
        let label = m.month.to_string();
        m.notes = notes
            .iter()
            .filter(|n| {
                n.period == label && n.customer_id.as_deref().is_none_or(|c| c == ex.customer_id)
            })
            .cloned()
            .collect();
    }
}

/// Explains one customer over the window of `opts` (or the dataset's default).
pub fn explain(ds: &Dataset, opts: &Options, customer: &str) -> Result<Explanation, CoreError> {
    let mut out = explain_each(ds, opts, &[customer])?;
    // One id in, one explanation out (explain_each fails on an unknown id).
    Ok(out.remove(0))
}

/// Explains each of `customers`, in their order, over one window: the dataset is grouped by
/// customer once, so explaining thousands of customers (the drill-down of a report) costs
/// one pass over the lines, not one per customer.
pub fn explain_each(
    ds: &Dataset,
    opts: &Options,
    customers: &[&str],
) -> Result<Vec<Explanation>, CoreError> {
    let indices = customer_indices(ds, customers)?;
    let (from, to) = window(ds, opts)?;
    let plan = Plan::new(ds, from, to);
    let groups = group_by_customer(ds);
    let out = indices
        .iter()
        .zip(customers)
        .map(|(&c, &id)| explain_one(ds, opts, &plan, &groups, c, id))
        .collect::<Result<Vec<_>, _>>()?;
    plan.missing_rates(ds)?;
    Ok(out)
}

/// The index of each of `customers` in one pass over the dataset's ids (a lookup per id
/// would scan them all once per customer: quadratic for the thousands of customers a report's
/// drill-down names at a million customers).
fn customer_indices(ds: &Dataset, customers: &[&str]) -> Result<Vec<u32>, CoreError> {
    let mut wanted: std::collections::HashMap<&str, Option<u32>> =
        customers.iter().map(|&id| (id, None)).collect();
    let mut left = wanted.len();
    for (i, id) in ds.customers.iter().enumerate() {
        if left == 0 {
            break;
        }
        if let Some(slot @ None) = wanted.get_mut(id) {
            *slot = Some(i as u32);
            left -= 1;
        }
    }
    customers
        .iter()
        .map(|&id| wanted[id].ok_or_else(|| CoreError::UnknownCustomer(id.to_string())))
        .collect()
}

/// One customer's explanation, given the plan and the grouping by customer.
fn explain_one(
    ds: &Dataset,
    opts: &Options,
    plan: &Plan,
    groups: &crate::engine::Groups,
    c: u32,
    customer: &str,
) -> Result<Explanation, CoreError> {
    let (from, to) = (plan.base.plus(1), plan.base.plus(plan.slots as i32 - 1));
    let lines =
        &groups.order[groups.offsets[c as usize] as usize..groups.offsets[c as usize + 1] as usize];
    let mut scratch = Scratch::default();
    let first = customer_values(ds, plan, lines, &mut scratch)?;
    let l = &ds.lines;
    let native = ds.scale.native_denominator();
    let visible = |i: usize| l.start[i] < l.end[i];
    let out_lines = lines
        .iter()
        .map(|&i| {
            let i = i as usize;
            ExplainLine {
                source: ds.describe(l.origin[i]),
                currency: ds.currencies[usize::from(l.currency[i])].clone(),
                interval_months: l.interval[i],
                mrr: Money {
                    units: i128::from(l.mrr[i]),
                    denominator: native,
                },
                start_date: l.start_date[i],
                end_date: l.end_date[i],
                first_month: visible(i).then_some(l.start[i]),
                last_month: (visible(i) && l.end[i] != OPEN_END).then(|| l.end[i].plus(-1)),
            }
        })
        .collect();
    let money = |u| ds.scale.money(u);
    let months = (1..plan.slots)
        .map(|s| {
            let month = from.plus(s as i32 - 1);
            let (movement, fx) = match first {
                Some(f) => movement_at(ds, plan, &scratch, s, f, opts.reactivation),
                None => (None, 0),
            };
            let changed = |pick: &dyn Fn(usize) -> bool| {
                lines
                    .iter()
                    .map(|&i| i as usize)
                    .filter(|&i| visible(i) && pick(i))
                    .map(|i| ds.describe(l.origin[i]))
                    .collect()
            };
            ExplainMonth {
                month,
                mrr: money(if first.is_some() { scratch.cur[s] } else { 0 }),
                movement: movement.map(|m| m.0),
                amount: money(movement.map_or(0, |m| m.1)),
                fx: money(fx),
                lines_started: changed(&|i| l.start[i] == month),
                lines_ended: changed(&|i| l.end[i] == month),
                notes: Vec::new(),
            }
        })
        .collect();
    Ok(Explanation {
        customer_id: customer.to_string(),
        currency: ds.currency().to_string(),
        window: Window {
            start_month: from,
            end_month: to,
        },
        first_month: first,
        lines: out_lines,
        months,
        merged_ids: Vec::new(),
    })
}
