//! The customers behind each bar of the bridge, in one parallel pass over the customers: per
//! customer its movements by month (the engine's [`categorise`], as [`crate::movements`]
//! classifies them), summed into each month and quarter; per (period, category) the total,
//! the count and the largest customers, kept by customer index (ids are read only for the
//! listed ones).

use super::{DrillCustomer, DrillList};
use crate::dataset::Dataset;
use crate::date::Month;
use crate::engine::{
    categorise, customer_values, group_by_customer, start_kind, window, Options, Plan, Scratch,
    Step,
};
use crate::movements::Category;
use crate::report::{Granularity, Report};
use crate::CoreError;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// One (period, category)'s sums over some customers.
#[derive(Clone, Debug, Default)]
struct Acc {
    total: i128,
    count: u64,
    /// Candidates for the top: (units, customer index); cut to the top now and then.
    top: Vec<(i128, u32)>,
}

/// Largest first (by size: fx keeps its sign), ties to the smaller id.
fn order(ds: &Dataset) -> impl Fn(&(i128, u32), &(i128, u32)) -> Ordering + '_ {
    |a, b| {
        b.0.abs()
            .cmp(&a.0.abs())
            .then_with(|| ds.customers.cmp_ids(a.1, b.1))
    }
}

/// Keeps the `top` first of `v` in [`order`], sorted.
fn cut(ds: &Dataset, v: &mut Vec<(i128, u32)>, top: usize) {
    if top == 0 {
        v.clear();
        return;
    }
    if v.len() > top {
        v.select_nth_unstable_by(top - 1, order(ds));
        v.truncate(top);
    }
    v.sort_by(order(ds));
}

impl Acc {
    fn add(&mut self, units: i128, customer: u32, ds: &Dataset, top: usize) {
        self.total += units;
        self.count += 1;
        self.top.push((units, customer));
        if self.top.len() >= 4 * top.max(16) {
            cut(ds, &mut self.top, top);
        }
    }

    fn merge(&mut self, other: Acc, ds: &Dataset, top: usize) {
        self.total += other.total;
        self.count += other.count;
        self.top.extend(other.top);
        cut(ds, &mut self.top, top);
    }
}

type Key = (usize, Category);

/// The report's months and quarters, and for each slot of the window starting at `base` the
/// indices of those it belongs to.
fn periods_of_slots(
    report: &Report,
    base: Month,
    slots: usize,
) -> (Vec<&crate::report::PeriodRow>, Vec<Vec<usize>>) {
    let periods: Vec<&crate::report::PeriodRow> = report
        .periods
        .iter()
        .filter(|p| matches!(p.granularity, Granularity::Month | Granularity::Quarter))
        .collect();
    let of_slot = (0..slots)
        .map(|s| {
            let m = base.plus(s as i32);
            (0..periods.len())
                .filter(|&k| periods[k].start_month <= m && m <= periods[k].end_month)
                .collect()
        })
        .collect();
    (periods, of_slot)
}

/// One customer's movements summed into the periods, then added to `accs`.
struct CustomerSums<'a> {
    ds: &'a Dataset,
    of_slot: &'a [Vec<usize>],
    top: usize,
    mine: BTreeMap<Key, i128>,
}

impl CustomerSums<'_> {
    /// Adds customer `c`'s movements `(slot, category, units)` to `accs`.
    fn add(
        &mut self,
        accs: &mut BTreeMap<Key, Acc>,
        c: u32,
        moves: impl Iterator<Item = (usize, Category, i128)>,
    ) {
        self.mine.clear();
        for (s, category, units) in moves {
            for &p in &self.of_slot[s] {
                *self.mine.entry((p, category)).or_default() += units;
            }
        }
        // A customer whose fx nets to zero over a quarter is not behind its bar.
        for (&key, &units) in self.mine.iter().filter(|(_, &u)| u != 0) {
            accs.entry(key)
                .or_default()
                .add(units, c, self.ds, self.top);
        }
    }
}

/// Merges the chunks' sums.
fn merged(
    ds: &Dataset,
    top: usize,
    mut a: BTreeMap<Key, Acc>,
    b: BTreeMap<Key, Acc>,
) -> BTreeMap<Key, Acc> {
    for (key, acc) in b {
        a.entry(key).or_default().merge(acc, ds, top);
    }
    a
}

/// The drill lists of the report's months and quarters: `top` customers each.
pub(super) fn drill_lists(
    ds: &Dataset,
    opts: &Options,
    report: &Report,
    top: usize,
) -> Result<Vec<DrillList>, CoreError> {
    let (from, to) = window(ds, opts)?;
    let plan = Plan::new(ds, from, to);
    let groups = group_by_customer(ds);
    let (periods, of_slot) = periods_of_slots(report, plan.base, plan.slots);
    const CHUNK: usize = 4096;
    let n = ds.customers.len();
    let accs = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|k| {
            let mut accs: BTreeMap<Key, Acc> = BTreeMap::new();
            let mut scratch = Scratch::default();
            let mut sums = CustomerSums {
                ds,
                of_slot: &of_slot,
                top,
                mine: BTreeMap::new(),
            };
            let mut moves = Vec::new();
            for c in k * CHUNK..((k + 1) * CHUNK).min(n) {
                let lines =
                    &groups.order[groups.offsets[c] as usize..groups.offsets[c + 1] as usize];
                let Some(first) = customer_values(ds, &plan, lines, &mut scratch)? else {
                    continue;
                };
                moves.clear();
                for s in 1..plan.slots {
                    let step = Step::at(&scratch, s);
                    if step.now == step.prev && step.at_constant_currency == step.prev {
                        continue;
                    }
                    let (movement, fx, _) = categorise(step, || {
                        start_kind(ds, &plan, &scratch, s, first, opts.reactivation)
                    });
                    if let Some((m, v)) = movement {
                        moves.push((s, Category::from(m), v));
                    }
                    if fx != 0 {
                        moves.push((s, Category::Fx, fx));
                    }
                }
                sums.add(&mut accs, c as u32, moves.iter().copied());
            }
            Ok::<_, CoreError>(accs)
        })
        .try_reduce(BTreeMap::new, |a, b| Ok(merged(ds, top, a, b)))?;
    plan.missing_rates(ds)?;
    Ok(lists(ds, &periods, accs, top))
}

/// The lists of the summed periods.
fn lists(
    ds: &Dataset,
    periods: &[&crate::report::PeriodRow],
    accs: BTreeMap<Key, Acc>,
    top: usize,
) -> Vec<DrillList> {
    let money = |units| ds.scale.money(units);
    accs.into_iter()
        .map(|((p, category), mut acc)| {
            cut(ds, &mut acc.top, top);
            let listed: i128 = acc.top.iter().map(|t| t.0).sum();
            DrillList {
                period: periods[p].period.clone(),
                category: category.name(),
                total: money(acc.total),
                customer_count: acc.count,
                others: acc.count - acc.top.len() as u64,
                others_amount: money(acc.total - listed),
                customers: acc
                    .top
                    .iter()
                    .map(|&(units, c)| DrillCustomer {
                        customer_id: ds.customers.get(c as usize).to_string(),
                        amount: money(units),
                    })
                    .collect(),
            }
        })
        .collect()
}
