//! Why a customer expanded or contracted: seats, price, plan, cross-sell (or product removed),
//! billing interval, or several at once.
//!
//! Between two snapshots a and b (the previous and current month, or t0 and t1 of a period),
//! the customer's active lines are grouped by product and valued at one set of rates (those
//! of the earlier snapshot), so the per-product changes add up exactly to the movement. Each
//! product whose value changed gets one reason:
//! - present only at b: `cross_sell`; only at a: `product_removed` (same slot, contraction);
//! - otherwise compare the product's lines at a and b: a different set of plans is `plan`, of
//!   billing intervals `interval`, a different total quantity `seats`; two or more of these
//!   at once is `mixed`; none of them (only the amount changed) is `price`. Sets and totals,
//!   not line lists: a second subscription to the same plan and quantity is `seats`, not a
//!   plan, interval and quantity change at once.
//!
//! The customer's whole movement goes to the one reason all its changed products share, or to
//! `mixed` when they differ. Parts therefore sum exactly to the category total.

use super::plan::Plan;
use crate::dataset::Dataset;

/// Number of reasons: the length of the per-reason sums, indexed by `reason as usize`.
pub(crate) const REASONS: usize = 6;

/// Why a customer expanded or contracted; `as usize`, the index into the per-reason sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Quantity changed within the same product and plan.
    Seats = 0,
    /// Only the amount changed.
    Price = 1,
    /// The plan changed within a product.
    Plan = 2,
    /// A product line appeared (expansion, `cross_sell`) or disappeared (contraction,
    /// `product_removed`).
    Product = 3,
    /// The billing interval changed.
    Interval = 4,
    /// Several of the above.
    Mixed = 5,
}

impl Reason {
    /// The name of the reason as the report's `expansion_by_reason` (`expansion`) or
    /// `contraction_by_reason` keys have it.
    pub(crate) fn name(self, expansion: bool) -> &'static str {
        match self {
            Reason::Seats => "seats",
            Reason::Price => "price",
            Reason::Plan => "plan",
            Reason::Product if expansion => "cross_sell",
            Reason::Product => "product_removed",
            Reason::Interval => "interval",
            Reason::Mixed => "mixed",
        }
    }
}

fn active(ds: &Dataset, plan: &Plan, i: usize, slot: usize) -> bool {
    let m = plan.base.plus(slot as i32);
    ds.lines.start[i] <= m && m < ds.lines.end[i]
}

/// What the reason compares of one product's lines: the set of plans, the set of billing
/// intervals and the total quantity, on the stack. More than `CAP` lines (rare) overflow.
#[derive(Clone, Copy, Debug, Default)]
struct Shape {
    lines: usize,
    overflow: bool,
    np: usize,
    plans: [u32; CAP],
    ni: usize,
    intervals: [u32; CAP],
    units: u64,
}

const CAP: usize = 4;

impl Shape {
    /// Adds one line.
    fn push(&mut self, plan: u32, interval: u32, quantity: u64) {
        if self.lines == CAP {
            self.overflow = true;
            return;
        }
        self.lines += 1;
        if !self.plans[..self.np].contains(&plan) {
            self.plans[self.np] = plan;
            self.np += 1;
        }
        if !self.intervals[..self.ni].contains(&interval) {
            self.intervals[self.ni] = interval;
            self.ni += 1;
        }
        self.units = self.units.saturating_add(quantity);
    }

    /// Sorts the sets, so equal sets compare equal.
    fn finish(&mut self) {
        self.plans[..self.np].sort_unstable();
        self.intervals[..self.ni].sort_unstable();
    }

    /// The reason between this (earlier) shape and `b`, when the product's value changed.
    fn reason(&self, b: &Shape) -> Reason {
        if self.overflow || b.overflow {
            return Reason::Mixed;
        }
        let changed = [
            (self.plans[..self.np] != b.plans[..b.np], Reason::Plan),
            (
                self.intervals[..self.ni] != b.intervals[..b.ni],
                Reason::Interval,
            ),
            (self.units != b.units, Reason::Seats),
        ];
        let mut which = changed.iter().filter(|c| c.0).map(|c| c.1);
        match (which.next(), which.next()) {
            (None, _) => Reason::Price,
            (Some(one), None) => one,
            _ => Reason::Mixed,
        }
    }
}

/// Lines of one product active at one snapshot: their value and [`Shape`]. A product with more
/// than `CAP` lines active at once makes the customer's change `mixed` when its value changed
/// (as in [`Summaries::compare`]).
struct Side {
    value: i128,
    shape: Shape,
}

impl Side {
    fn of(ds: &Dataset, plan: &Plan, lines: &[u32], product: u32, slot: usize, r: usize) -> Side {
        let l = &ds.lines;
        let mut s = Side {
            value: 0,
            shape: Shape::default(),
        };
        for &i in lines {
            let i = i as usize;
            if l.product[i] != product || !active(ds, plan, i, slot) {
                continue;
            }
            let rate = plan.rates[usize::from(l.currency[i])][r].unwrap_or(0);
            s.value += i128::from(l.mrr[i]) * rate;
            s.shape.push(l.plan[i], l.interval[i], l.quantity[i]);
        }
        s.shape.finish();
        s
    }
}

/// The reason for the change of a customer with `lines` between slots `a` and `b`, worked
/// out from the lines, each valued at the rates of slot `a`.
pub(crate) fn reason_between(
    ds: &Dataset,
    plan: &Plan,
    lines: &[u32],
    a: usize,
    b: usize,
) -> Reason {
    let l = &ds.lines;
    let mut seen: Vec<u32> = Vec::new();
    let mut found: Option<Reason> = None;
    for &i in lines {
        let p = l.product[i as usize];
        if seen.contains(&p) {
            continue;
        }
        seen.push(p);
        let sa = Side::of(ds, plan, lines, p, a, a);
        let sb = Side::of(ds, plan, lines, p, b, a);
        if sa.value == sb.value {
            continue;
        }
        let why = if sa.value == 0 || sb.value == 0 {
            Reason::Product
        } else {
            sa.shape.reason(&sb.shape)
        };
        match found {
            None => found = Some(why),
            Some(f) if f == why => {}
            Some(_) => return Reason::Mixed,
        }
    }
    found.unwrap_or(Reason::Mixed)
}

/// One product's lines in one line set: their native value (all in one currency) and
/// [`Shape`].
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    product: u32,
    value: i128,
    shape: Shape,
}

/// Each distinct line set of one customer summarised by product, so the reason between two
/// sets is a walk over two short sorted lists.
#[derive(Clone, Debug, Default)]
pub(crate) struct Summaries {
    entries: Vec<Entry>,
    /// `start[j]..start[j + 1]` are line set `j`'s entries, sorted by product.
    start: Vec<usize>,
}

/// Summarises each of `sets` (bit k = the customer's k-th line); empty `sets` leaves nothing.
pub(crate) fn summarise(ds: &Dataset, lines: &[u32], sets: &[u64], out: &mut Summaries) {
    let l = &ds.lines;
    out.entries.clear();
    out.start.clear();
    if sets.is_empty() {
        return;
    }
    for &set in sets {
        let from = out.entries.len();
        out.start.push(from);
        for (k, &i) in lines.iter().enumerate().take(64) {
            if set & (1 << k) == 0 {
                continue;
            }
            let i = i as usize;
            let p = l.product[i];
            let at = match out.entries[from..].iter().position(|e| e.product == p) {
                Some(x) => from + x,
                None => {
                    out.entries.push(Entry {
                        product: p,
                        ..Entry::default()
                    });
                    out.entries.len() - 1
                }
            };
            let e = &mut out.entries[at];
            e.value += i128::from(l.mrr[i]);
            e.shape.push(l.plan[i], l.interval[i], l.quantity[i]);
        }
        for e in &mut out.entries[from..] {
            e.shape.finish();
        }
        out.entries[from..].sort_unstable_by_key(|e| e.product);
    }
    out.start.push(out.entries.len());
}

impl Summaries {
    /// The reason between line sets `a` and `b`; `None` when not summarised.
    pub(crate) fn compare(&self, a: usize, b: usize) -> Option<Reason> {
        if a + 1 >= self.start.len() || b + 1 >= self.start.len() {
            return None;
        }
        let (xs, ys) = (
            &self.entries[self.start[a]..self.start[a + 1]],
            &self.entries[self.start[b]..self.start[b + 1]],
        );
        let (mut i, mut j) = (0, 0);
        let mut found: Option<Reason> = None;
        let mut note = |why: Reason| match found {
            None => {
                found = Some(why);
                true
            }
            Some(f) => f == why,
        };
        while i < xs.len() || j < ys.len() {
            let why = match (xs.get(i), ys.get(j)) {
                (Some(x), Some(y)) if x.product == y.product => {
                    i += 1;
                    j += 1;
                    if x.value == y.value {
                        continue;
                    }
                    x.shape.reason(&y.shape)
                }
                (Some(x), Some(y)) if x.product < y.product => {
                    i += 1;
                    Reason::Product
                }
                (Some(_), None) => {
                    i += 1;
                    Reason::Product
                }
                _ => {
                    j += 1;
                    Reason::Product
                }
            };
            if !note(why) {
                return Some(Reason::Mixed);
            }
        }
        Some(found.unwrap_or(Reason::Mixed))
    }
}
