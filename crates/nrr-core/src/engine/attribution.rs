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
use super::series::Scratch;
use crate::dataset::Dataset;

/// Number of reasons; indices into the per-reason sums.
pub(crate) const REASONS: usize = 6;
/// Quantity changed within the same product and plan.
pub(crate) const SEATS: usize = 0;
/// Only the amount changed.
pub(crate) const PRICE: usize = 1;
/// The plan changed within a product.
pub(crate) const PLAN: usize = 2;
/// A product line appeared (expansion) or disappeared (contraction).
pub(crate) const PRODUCT: usize = 3;
/// The billing interval changed.
pub(crate) const INTERVAL: usize = 4;
/// Several of the above.
pub(crate) const MIXED: usize = 5;

/// The name of reason `why` as the report's `expansion_by_reason` (`expansion`) or
/// `contraction_by_reason` keys have it.
pub(crate) fn reason_name(why: usize, expansion: bool) -> &'static str {
    match why {
        SEATS => "seats",
        PRICE => "price",
        PLAN => "plan",
        PRODUCT if expansion => "cross_sell",
        PRODUCT => "product_removed",
        INTERVAL => "interval",
        _ => "mixed",
    }
}

fn active(ds: &Dataset, plan: &Plan, i: usize, slot: usize) -> bool {
    let m = plan.base.plus(slot as i32);
    ds.lines.start[i] <= m && m < ds.lines.end[i]
}

/// The reason for the change of a customer between slots `a` and `b`, valued at the rates
/// of slot `r`. A customer's set of active lines changes only a few times, so reasons are
/// cached per pair of line sets; `one_currency` (all its lines share a currency) makes the
/// answer independent of `r`, which the cache relies on.
pub(crate) fn reason(
    ds: &Dataset,
    plan: &Plan,
    scratch: &Scratch,
    a: usize,
    b: usize,
    r: usize,
    one_currency: bool,
) -> usize {
    if one_currency {
        if let Some(why) = scratch.cached_reason(a, b) {
            return why;
        }
    }
    let summarised = if one_currency {
        scratch.set_ids(a, b)
    } else {
        None
    };
    let why = match summarised.and_then(|(x, y)| scratch.summaries.compare(x, y)) {
        Some(why) => why,
        None => compute(ds, plan, &scratch.lines, a, b, r),
    };
    if one_currency {
        scratch.cache_reason(a, b, why);
    }
    why
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
    fn reason(&self, b: &Shape) -> usize {
        if self.overflow || b.overflow {
            return MIXED;
        }
        let changed = [
            (self.plans[..self.np] != b.plans[..b.np], PLAN),
            (self.intervals[..self.ni] != b.intervals[..b.ni], INTERVAL),
            (self.units != b.units, SEATS),
        ];
        let mut which = changed.iter().filter(|c| c.0).map(|c| c.1);
        match (which.next(), which.next()) {
            (None, _) => PRICE,
            (Some(one), None) => one,
            _ => MIXED,
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

fn compute(ds: &Dataset, plan: &Plan, lines: &[u32], a: usize, b: usize, r: usize) -> usize {
    let l = &ds.lines;
    let mut seen: Vec<u32> = Vec::new();
    let mut found: Option<usize> = None;
    for &i in lines {
        let p = l.product[i as usize];
        if seen.contains(&p) {
            continue;
        }
        seen.push(p);
        let sa = Side::of(ds, plan, lines, p, a, r);
        let sb = Side::of(ds, plan, lines, p, b, r);
        if sa.value == sb.value {
            continue;
        }
        let why = if sa.value == 0 || sb.value == 0 {
            PRODUCT
        } else {
            sa.shape.reason(&sb.shape)
        };
        match found {
            None => found = Some(why),
            Some(f) if f == why => {}
            Some(_) => return MIXED,
        }
    }
    found.unwrap_or(MIXED)
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
    pub(crate) fn compare(&self, a: usize, b: usize) -> Option<usize> {
        if a + 1 >= self.start.len() || b + 1 >= self.start.len() {
            return None;
        }
        let (xs, ys) = (
            &self.entries[self.start[a]..self.start[a + 1]],
            &self.entries[self.start[b]..self.start[b + 1]],
        );
        let (mut i, mut j) = (0, 0);
        let mut found: Option<usize> = None;
        let mut note = |why: usize| match found {
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
                    PRODUCT
                }
                (Some(_), None) => {
                    i += 1;
                    PRODUCT
                }
                _ => {
                    j += 1;
                    PRODUCT
                }
            };
            if !note(why) {
                return Some(MIXED);
            }
        }
        Some(found.unwrap_or(MIXED))
    }
}
