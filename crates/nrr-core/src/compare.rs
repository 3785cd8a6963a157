//! The same data under two sets of policies, side by side, and the customers and months that
//! make the two differ, largest first (`nrr compare`): the answer to "why doesn't this match
//! ChartMogul?".

use crate::dataset::Dataset;
use crate::date::Month;
use crate::engine::{customer_values, group_by_customer, movement_at, window, Movement, Options};
use crate::engine::{Plan, Scratch};
use crate::money::Money;
use crate::report::{Granularity, MonthRow, Policies, Report, Retention, Window};
use crate::CoreError;
use serde::Serialize;
use std::cmp::Ordering;

/// One side of a comparison: a label (the preset), its dataset, options and report.
pub struct Side<'a> {
    /// `chartmogul`, `maxio`, ...
    pub label: &'a str,
    /// The data read under this side's reader policies.
    pub dataset: &'a Dataset,
    /// This side's engine options (window, reactivation).
    pub options: &'a Options,
    /// This side's report.
    pub report: &'a Report,
}

/// Two reports and where they differ.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// The two sides' labels, in order.
    pub sides: [String; 2],
    /// The policies each side used.
    pub policies: [Policies; 2],
    /// Reporting currency.
    pub currency: String,
    /// Reported months (the same on both sides).
    pub window: Window,
    /// The monthly movements summed over the window, per side.
    pub movements: Vec<MovementTotals>,
    /// Retention of every complete quarter and year and the latest TTM, per side.
    pub periods: Vec<PeriodPair>,
    /// How many customer-months differ (in MRR, category or amount).
    pub differing_customer_months: u64,
    /// The largest of them (at most the requested number), largest first.
    pub customer_months: Vec<CustomerMonthDiff>,
}

/// One movement category summed over the window on both sides.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MovementTotals {
    /// `new`, `reactivation`, `expansion`, `contraction`, `churn` or `closing_mrr` (the last
    /// month's closing MRR).
    pub figure: &'static str,
    /// Side A.
    pub a: Money,
    /// Side B.
    pub b: Money,
}

/// A period's retention on both sides.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodPair {
    /// `2024-Q1`, `2024` or `TTM 2024-12`.
    pub period: String,
    /// Side A.
    pub a: Retention,
    /// Side B.
    pub b: Retention,
}

/// One customer-month on one side.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SideMonth {
    /// Month-end MRR.
    pub mrr: Money,
    /// The month's category, if any.
    pub movement: Option<Movement>,
    /// Its amount.
    pub amount: Money,
}

/// A customer-month whose figures differ between the sides.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CustomerMonthDiff {
    /// The customer.
    pub customer_id: String,
    /// The month.
    pub month: Month,
    /// Side A.
    pub a: SideMonth,
    /// Side B.
    pub b: SideMonth,
    /// The size of the difference: |MRR A - MRR B| when the MRR differs; otherwise the larger
    /// amount when the categories differ, else |amount A - amount B|.
    pub difference: Money,
}

/// Compares two sides computed over the same window. `top`: how many customer-months to list.
pub fn compare(a: &Side<'_>, b: &Side<'_>, top: usize) -> Result<Comparison, CoreError> {
    let (from, to) = window(a.dataset, a.options)?;
    let movements = totals(a.report)
        .into_iter()
        .zip(totals(b.report))
        .map(|((figure, a), (_, b))| MovementTotals { figure, a, b })
        .collect();
    let periods = pairs(a.report, b.report);
    let (count, customer_months) = differences(a, b, top)?;
    Ok(Comparison {
        sides: [a.label.to_string(), b.label.to_string()],
        policies: [a.report.policies.clone(), b.report.policies.clone()],
        currency: a.report.currency.clone(),
        window: Window {
            start_month: from,
            end_month: to,
        },
        movements,
        periods,
        differing_customer_months: count,
        customer_months,
    })
}

/// One report's movements summed over the window (each sum over the first month's
/// denominator), then its last month's closing MRR.
fn totals(r: &Report) -> [(&'static str, Money); 6] {
    let sum = |f: fn(&MonthRow) -> Money| {
        r.months
            .iter()
            .map(f)
            .reduce(|x, m| Money {
                units: x.units + m.units,
                denominator: x.denominator,
            })
            .unwrap_or(Money::ZERO)
    };
    [
        ("new", sum(|m| m.new)),
        ("reactivation", sum(|m| m.reactivation)),
        ("expansion", sum(|m| m.expansion)),
        ("contraction", sum(|m| m.contraction)),
        ("churn", sum(|m| m.churn)),
        (
            "closing_mrr",
            r.months.last().map_or(Money::ZERO, |m| m.closing_mrr),
        ),
    ]
}

/// Quarters, years and the latest TTM present on both sides.
fn pairs(a: &Report, b: &Report) -> Vec<PeriodPair> {
    let mut out: Vec<PeriodPair> = a
        .periods
        .iter()
        .filter(|p| p.granularity != Granularity::Month)
        .filter_map(|p| {
            let q = b.periods.iter().find(|q| q.period == p.period)?;
            Some(PeriodPair {
                period: p.period.clone(),
                a: p.retention.clone(),
                b: q.retention.clone(),
            })
        })
        .collect();
    if let Some(t) = a.ttm.iter().rev().find(|t| t.retention.nrr.is_some()) {
        if let Some(u) = b.ttm.iter().find(|u| u.month == t.month) {
            out.push(PeriodPair {
                period: format!("TTM {}", t.month),
                a: t.retention.clone(),
                b: u.retention.clone(),
            });
        }
    }
    out
}

/// One customer's months on one side (MRR, category and amount per month of the window).
struct CustomerMonths {
    rows: Vec<SideMonth>,
}

struct Prepared<'a> {
    ds: &'a Dataset,
    plan: Plan,
    groups: crate::engine::Groups,
    policy: crate::engine::Reactivation,
}

impl Prepared<'_> {
    fn months(
        &self,
        customer: Option<u32>,
        scratch: &mut Scratch,
    ) -> Result<CustomerMonths, CoreError> {
        let n = self.plan.slots;
        let zero = self.ds.scale.money(0);
        let empty = || SideMonth {
            mrr: zero,
            movement: None,
            amount: zero,
        };
        let Some(c) = customer else {
            return Ok(CustomerMonths {
                rows: (1..n).map(|_| empty()).collect(),
            });
        };
        let c = c as usize;
        let lines = &self.groups.order
            [self.groups.offsets[c] as usize..self.groups.offsets[c + 1] as usize];
        let Some(first) = customer_values(self.ds, &self.plan, lines, scratch)? else {
            return Ok(CustomerMonths {
                rows: (1..n).map(|_| empty()).collect(),
            });
        };
        let money = |u| self.ds.scale.money(u);
        let rows = (1..n)
            .map(|s| {
                let (m, _) = movement_at(self.ds, &self.plan, scratch, s, first, self.policy);
                SideMonth {
                    mrr: money(scratch.cur[s]),
                    movement: m.map(|m| m.0),
                    amount: money(m.map_or(0, |m| m.1)),
                }
            })
            .collect();
        Ok(CustomerMonths { rows })
    }
}

/// Every customer-month whose figures differ; returns the count and the `top` largest.
fn differences(
    a: &Side<'_>,
    b: &Side<'_>,
    top: usize,
) -> Result<(u64, Vec<CustomerMonthDiff>), CoreError> {
    let (from, to) = window(a.dataset, a.options)?;
    fn prep<'a>(s: &Side<'a>, from: Month, to: Month) -> Prepared<'a> {
        Prepared {
            ds: s.dataset,
            plan: Plan::new(s.dataset, from, to),
            groups: group_by_customer(s.dataset),
            policy: s.options.reactivation,
        }
    }
    let (pa, pb) = (prep(a, from, to), prep(b, from, to));
    let (mut sa, mut sb) = (Scratch::default(), Scratch::default());
    let mut count = 0u64;
    let mut kept: Vec<CustomerMonthDiff> = Vec::new();
    let by_size = |x: &CustomerMonthDiff, y: &CustomerMonthDiff| {
        y.difference
            .cmp_exact(x.difference)
            .then_with(|| x.customer_id.cmp(&y.customer_id))
            .then_with(|| x.month.cmp(&y.month))
    };
    let mut visit = |id: &str, ca: Option<u32>, cb: Option<u32>| -> Result<(), CoreError> {
        let (ra, rb) = (pa.months(ca, &mut sa)?, pb.months(cb, &mut sb)?);
        for (k, (x, y)) in ra.rows.into_iter().zip(rb.rows).enumerate() {
            let d_mrr = x.mrr.minus(y.mrr).abs();
            let d_amount = x.amount.minus(y.amount).abs();
            let difference = if d_mrr.units != 0 {
                d_mrr
            } else if x.movement != y.movement {
                if x.amount.cmp_exact(y.amount) == Ordering::Less {
                    y.amount
                } else {
                    x.amount
                }
            } else {
                d_amount
            };
            if difference.units == 0 && x.movement == y.movement {
                continue;
            }
            count += 1;
            kept.push(CustomerMonthDiff {
                customer_id: id.to_string(),
                month: from.plus(k as i32),
                a: x,
                b: y,
                difference,
            });
            if kept.len() > 4 * top.max(16) {
                kept.sort_by(by_size);
                kept.truncate(top);
            }
        }
        Ok(())
    };
    for (i, id) in a.dataset.customers.iter().enumerate() {
        visit(id, Some(i as u32), b.dataset.customer_index(id))?;
    }
    for (i, id) in b.dataset.customers.iter().enumerate() {
        if a.dataset.customer_index(id).is_none() {
            visit(id, None, Some(i as u32))?;
        }
    }
    pa.plan.missing_rates(pa.ds)?;
    pb.plan.missing_rates(pb.ds)?;
    kept.sort_by(by_size);
    kept.truncate(top);
    Ok((count, kept))
}
