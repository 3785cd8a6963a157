//! The engine's kernels one at a time, for micro-benchmarks (`benches/kernels.rs`); not a
//! stable API.

use super::movement::{add_months, Customer};
use super::plan::Plan;
use super::retention::add_periods;
use super::series::{customer_values, group_by_customer, Groups, Scratch};
use super::sums::{MonthSums, PeriodSums};
use super::Reactivation;
use crate::dataset::Dataset;
use crate::date::Month;

/// A window laid out and lines grouped by customer.
pub struct Prepared {
    plan: Plan,
    groups: Groups,
}

/// Lays out the window `from..=to` and groups lines by customer.
pub fn prepare(ds: &Dataset, from: Month, to: Month) -> Prepared {
    Prepared {
        plan: Plan::new(ds, from, to),
        groups: group_by_customer(ds),
    }
}

fn each(ds: &Dataset, p: &Prepared, mut f: impl FnMut(Month, &Scratch)) {
    let mut scratch = Scratch::default();
    for c in 0..ds.customers.len() {
        let lines = &p.groups.order[p.groups.offsets[c] as usize..p.groups.offsets[c + 1] as usize];
        if let Ok(Some(first)) = customer_values(ds, &p.plan, lines, &mut scratch) {
            f(first, &scratch);
        }
    }
}

/// Snapshot sweep only: every customer's month-end MRR; returns the sum of all values.
pub fn sweep(ds: &Dataset, p: &Prepared) -> i128 {
    let mut total = 0;
    each(ds, p, |_, s| total += s.cur.iter().sum::<i128>());
    total
}

/// Sweep plus movement classification; returns total churn.
pub fn movements(ds: &Dataset, p: &Prepared) -> i128 {
    let mut months = vec![MonthSums::default(); p.plan.slots];
    each(ds, p, |first, s| {
        let customer = Customer {
            index: 0,
            first,
            reactivation: Reactivation::AnyGap,
        };
        add_months(ds, &p.plan, customer, s, &mut months)
    });
    months.iter().map(|m| m.churn).sum()
}

/// Sweep plus frozen-cohort retention for every period; returns the total of expansion,
/// contraction and churn over all periods.
pub fn retention(ds: &Dataset, p: &Prepared) -> i128 {
    let mut periods = vec![PeriodSums::default(); p.plan.periods.len()];
    each(ds, p, |_, s| {
        let _ = add_periods(ds, &p.plan, s, &mut periods, 0, None);
    });
    periods
        .iter()
        .map(|x| x.expansion + x.contraction + x.churn)
        .sum()
}
