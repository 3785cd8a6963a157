//! Signup-cohort retention matrices.
//!
//! A customer's cohort is the month (or quarter) holding its first month with MRR > 0. With
//! [`CohortBy::Month`], age `k` is the month `cohort + k`; with [`CohortBy::Quarter`], age `k`
//! is the last month of quarter `cohort + k` (age 0 is the end of the cohort quarter). A
//! revenue cell is the cohort's MRR at that age divided by its MRR at age 0, both at the rates
//! of the age-0 month (constant currency), expansion and reactivation included; a logo cell is
//! the share of the cohort's customers with MRR > 0 at that age.

use crate::dataset::Dataset;
use crate::date::Month;
use crate::engine::{customer_values, group_by_customer, value_at, window, Options, Plan, Scratch};
use crate::money::{ratio, Money};
use crate::CoreError;
use rayon::prelude::*;
use serde::Serialize;

/// Cohort granularity.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CohortBy {
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
}

/// What a cell measures.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CohortMetric {
    /// Net revenue retention: MRR at age k / MRR at age 0.
    Revenue,
    /// Logo retention: customers paying at age k / cohort size.
    Logos,
}

/// One cohort's row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CohortRow {
    /// `2024-01` or `2024-Q1`.
    pub cohort: String,
    /// Customers whose first paying month falls in the cohort.
    pub customers: u64,
    /// The cohort's MRR at age 0.
    pub starting_mrr: Money,
    /// Ratios at age 0, 1, 2, ... up to the last month of the window (6 decimals; `null` for
    /// revenue when the age-0 MRR is 0).
    pub cells: Vec<Option<f64>>,
}

/// The matrix.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CohortTable {
    /// Month or quarter cohorts.
    pub by: CohortBy,
    /// Revenue or logos.
    pub metric: CohortMetric,
    /// Reporting currency.
    pub currency: String,
    /// One row per cohort, oldest first.
    pub cohorts: Vec<CohortRow>,
}

/// Sums for one cohort.
#[derive(Clone, Debug, Default)]
pub(crate) struct CohortSums {
    customers: u64,
    starting: i128,
    /// Per age: MRR at the age-0 month's rates.
    revenue: Vec<i128>,
    /// Per age: customers with MRR > 0.
    alive: Vec<u64>,
}

/// The age-0 month and the cohort label of a first paying month.
fn cohort_of(first: Month, by: CohortBy) -> (Month, String) {
    let label = match by {
        CohortBy::Month => first.to_string(),
        CohortBy::Quarter => format!("{}-Q{}", first.year(), first.quarter()),
    };
    (cohort_start(first, by), label)
}

/// The age-0 month of a first paying month (no label: called once per customer).
fn cohort_start(first: Month, by: CohortBy) -> Month {
    match by {
        CohortBy::Month => first,
        CohortBy::Quarter => first.plus(-(((first.number() - 1) % 3) as i32)),
    }
}

/// The month of age `k` for a cohort starting at `start`.
fn age_month(start: Month, k: i32, by: CohortBy) -> Month {
    match by {
        CohortBy::Month => start.plus(k),
        CohortBy::Quarter => start.plus(3 * k + 2),
    }
}

impl CohortSums {
    /// Adds the sums of another set of customers of the same cohort.
    fn add(&mut self, other: &CohortSums) {
        self.customers += other.customers;
        self.starting += other.starting;
        for (r, s) in self.revenue.iter_mut().zip(&other.revenue) {
            *r += s;
        }
        for (r, s) in self.alive.iter_mut().zip(&other.alive) {
            *r += s;
        }
    }
}

/// Builds the cohort matrix over the window of `opts` (cohorts whose first month lies in it).
pub fn cohorts(
    ds: &Dataset,
    opts: &Options,
    by: CohortBy,
    metric: CohortMetric,
) -> Result<CohortTable, CoreError> {
    let [revenue, logos] = cohorts_with_average(ds, opts, by)?;
    Ok(match metric {
        CohortMetric::Revenue => revenue.0,
        CohortMetric::Logos => logos.0,
    })
}

/// A cohort matrix and its weighted-average row.
pub type WithAverage = (CohortTable, Vec<Option<f64>>);

/// The revenue and the logo matrix of [`cohorts`] (one pass over the customers), each with
/// its weighted-average row: at each age, the cohorts that reach it summed exactly, then
/// divided once (revenue: their MRR at that age over their starting MRR; logos: their paying
/// customers over their size), 6 decimals; `null` where the denominator is 0.
pub fn cohorts_with_average(
    ds: &Dataset,
    opts: &Options,
    by: CohortBy,
) -> Result<[WithAverage; 2], CoreError> {
    let mut out = cohorts_by(ds, opts, &[by])?;
    // One grouping asked for, one returned.
    Ok(out.remove(0))
}

/// The cohorts of one granularity while they are summed.
struct Grouping {
    by: CohortBy,
    /// The first cohort's start.
    first_start: Month,
    /// Months per cohort.
    step: i32,
    /// Cohort starts in the window, oldest first.
    starts: Vec<Month>,
}

/// [`cohorts_with_average`] for several granularities in one pass over the customers.
pub fn cohorts_by(
    ds: &Dataset,
    opts: &Options,
    bys: &[CohortBy],
) -> Result<Vec<[WithAverage; 2]>, CoreError> {
    let (from, to) = window(ds, opts)?;
    let plan = Plan::new(ds, from, to);
    let groups = group_by_customer(ds);
    let pass = CohortPass::new(from, to, bys);
    let sums = (0..ds.customers.len())
        .into_par_iter()
        .with_min_len(2048)
        .try_fold(
            || (pass.start(), Scratch::default()),
            |(mut sums, mut scratch), c| {
                let lines =
                    &groups.order[groups.offsets[c] as usize..groups.offsets[c + 1] as usize];
                if let Some(first) = customer_values(ds, &plan, lines, &mut scratch)? {
                    pass.add(&mut sums, &plan, &scratch, first);
                }
                Ok::<_, CoreError>((sums, scratch))
            },
        )
        .map(|r| r.map(|(sums, _)| sums))
        .try_reduce(
            || pass.start(),
            |mut a, b| {
                CohortPass::merge(&mut a, &b);
                Ok(a)
            },
        )?;
    plan.missing_rates(ds)?;
    Ok(pass.finish(ds, &sums))
}

/// The cohort sums of some customers: per grouping, per cohort.
pub(crate) type CohortAcc = Vec<Vec<CohortSums>>;

/// The cohorts' sums collected during a pass over the customers ([`cohorts_by`], or a pass
/// that makes the movement rows at the same time).
pub(crate) struct CohortPass {
    groupings: Vec<Grouping>,
    empty: CohortAcc,
    from: Month,
    to: Month,
}

impl CohortPass {
    /// The pass over the window `from..=to`, one grouping per `bys`.
    pub(crate) fn new(from: Month, to: Month, bys: &[CohortBy]) -> CohortPass {
        let groupings: Vec<Grouping> = bys
            .iter()
            .map(|&by| {
                let first_start = cohort_of(from, by).0;
                let step = if by == CohortBy::Month { 1 } else { 3 };
                let n_cohorts = ((to.index() - first_start.index()) / step + 1).max(0) as usize;
                Grouping {
                    by,
                    first_start,
                    step,
                    starts: (0..n_cohorts)
                        .map(|i| first_start.plus(i as i32 * step))
                        .collect(),
                }
            })
            .collect();
        let empty = groupings
            .iter()
            .map(|g| {
                let ages = |start: Month| -> usize {
                    (0..)
                        .take_while(|&k| age_month(start, k, g.by) <= to)
                        .count()
                };
                g.starts
                    .iter()
                    .map(|&s| CohortSums {
                        revenue: vec![0; ages(s)],
                        alive: vec![0; ages(s)],
                        ..CohortSums::default()
                    })
                    .collect()
            })
            .collect();
        CohortPass {
            groupings,
            empty,
            from,
            to,
        }
    }

    /// Sums of no customer.
    pub(crate) fn start(&self) -> CohortAcc {
        self.empty.clone()
    }

    /// Adds one customer, whose values are in `scratch` and whose first paying month is
    /// `first` ([`customer_values`]).
    pub(crate) fn add(&self, sums: &mut CohortAcc, plan: &Plan, scratch: &Scratch, first: Month) {
        let (from, to) = (self.from, self.to);
        if first < from || first > to {
            return;
        }
        let slot = |m: Month| (m.index() - plan.base.index()) as usize;
        for (g, sums) in self.groupings.iter().zip(sums) {
            let start = cohort_start(first, g.by);
            let i = ((start.index() - g.first_start.index()) / g.step) as usize;
            let a = &mut sums[i];
            a.customers += 1;
            let age0 = age_month(start, 0, g.by);
            for k in 0..a.revenue.len() {
                let m = age_month(start, k as i32, g.by);
                if m < from {
                    continue;
                }
                let v = value_at(plan, scratch, slot(m), slot(age0.max(from)));
                if k == 0 {
                    a.starting += v;
                }
                a.revenue[k] += v;
                a.alive[k] += u64::from(scratch.cur[slot(m)] > 0);
            }
        }
    }

    /// Adds the sums of other customers.
    pub(crate) fn merge(a: &mut CohortAcc, b: &CohortAcc) {
        for (xs, ys) in a.iter_mut().zip(b) {
            for (x, y) in xs.iter_mut().zip(ys) {
                x.add(y);
            }
        }
    }

    /// The matrices of the summed customers (after the plan's missing-rate check).
    pub(crate) fn finish(&self, ds: &Dataset, sums: &CohortAcc) -> Vec<[WithAverage; 2]> {
        self.groupings
            .iter()
            .zip(sums)
            .map(|(g, sums)| {
                let table = |metric| matrix(ds, g.by, metric, &g.starts, sums);
                [table(CohortMetric::Revenue), table(CohortMetric::Logos)]
            })
            .collect()
    }
}

/// One metric's matrix and weighted-average row from the cohorts' sums.
fn matrix(
    ds: &Dataset,
    by: CohortBy,
    metric: CohortMetric,
    starts: &[Month],
    sums: &[CohortSums],
) -> WithAverage {
    let longest = sums.iter().map(|a| a.revenue.len()).max().unwrap_or(0);
    let average = (0..longest)
        .map(|k| {
            let reaching = sums.iter().filter(|a| a.revenue.len() > k);
            let (num, den) = match metric {
                CohortMetric::Revenue => {
                    reaching.fold((0, 0), |(n, d), a| (n + a.revenue[k], d + a.starting))
                }
                CohortMetric::Logos => reaching.fold((0, 0), |(n, d), a| {
                    (n + i128::from(a.alive[k]), d + i128::from(a.customers))
                }),
            };
            ratio(num, den)
        })
        .collect();
    let cohorts = starts
        .iter()
        .zip(sums)
        .map(|(&start, a)| CohortRow {
            cohort: cohort_of(start, by).1,
            customers: a.customers,
            starting_mrr: ds.scale.money(a.starting),
            cells: match metric {
                CohortMetric::Revenue => a.revenue.iter().map(|&v| ratio(v, a.starting)).collect(),
                CohortMetric::Logos => a
                    .alive
                    .iter()
                    .map(|&v| ratio(i128::from(v), i128::from(a.customers)))
                    .collect(),
            },
        })
        .collect();
    let table = CohortTable {
        by,
        metric,
        currency: ds.currency().to_string(),
        cohorts,
    };
    (table, average)
}
