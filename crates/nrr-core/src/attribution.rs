//! Why a customer expanded or contracted: seats, price, plan, cross-sell (or product removed),
//! billing interval, or several at once.
//!
//! Between two snapshots a and b (the previous and current month, or t0 and t1 of a period),
//! the customer's active lines are grouped by product and valued at one set of rates (those
//! of the earlier snapshot), so the per-product changes add up exactly to the movement. Each
//! product whose value changed gets one reason:
//! - present only at b: `cross_sell`; only at a: `product_removed` (same slot, contraction);
//! - otherwise compare the product's lines at a and b: a different set of plans is `plan`, of
//!   billing intervals `interval`, of quantities `seats`; two or more of these at once is
//!   `mixed`; none of them (only the amount changed) is `price`.
//!
//! The customer's whole movement goes to the one reason all its changed products share, or to
//! `mixed` when they differ. Parts therefore sum exactly to the category total.

use crate::dataset::Dataset;
use crate::engine::{Plan, Scratch};

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
    let why = compute(ds, plan, &scratch.lines, a, b, r);
    if one_currency {
        scratch.cache_reason(a, b, why);
    }
    why
}

/// Lines of one product active at one snapshot: their value and sorted plans, intervals and
/// quantities, on the stack. A product with more than `CAP` lines active at once (rare) makes
/// the customer's change `mixed`.
struct Side {
    value: i128,
    n: usize,
    plans: [u32; CAP],
    intervals: [u32; CAP],
    quantities: [u64; CAP],
}

const CAP: usize = 4;

impl Side {
    fn of(
        ds: &Dataset,
        plan: &Plan,
        lines: &[u32],
        product: u32,
        slot: usize,
        r: usize,
    ) -> Option<Side> {
        let l = &ds.lines;
        let mut s = Side {
            value: 0,
            n: 0,
            plans: [0; CAP],
            intervals: [0; CAP],
            quantities: [0; CAP],
        };
        for &i in lines {
            let i = i as usize;
            if l.product[i] != product || !active(ds, plan, i, slot) {
                continue;
            }
            if s.n == CAP {
                return None;
            }
            let rate = plan.rates[usize::from(l.currency[i])][r].unwrap_or(0);
            s.value += i128::from(l.mrr[i]) * rate;
            s.plans[s.n] = l.plan[i];
            s.intervals[s.n] = l.interval[i];
            s.quantities[s.n] = l.quantity[i];
            s.n += 1;
        }
        s.plans[..s.n].sort_unstable();
        s.intervals[..s.n].sort_unstable();
        s.quantities[..s.n].sort_unstable();
        Some(s)
    }
}

fn compute(ds: &Dataset, plan: &Plan, lines: &[u32], a: usize, b: usize, r: usize) -> usize {
    let l = &ds.lines;
    let mut seen = [u32::MAX; 16];
    let mut n_seen = 0;
    let mut found: Option<usize> = None;
    for &i in lines {
        let p = l.product[i as usize];
        if seen[..n_seen].contains(&p) {
            continue;
        }
        if n_seen == seen.len() {
            return MIXED; // more than 16 product lines on one customer: not worth splitting
        }
        seen[n_seen] = p;
        n_seen += 1;
        let (Some(sa), Some(sb)) = (
            Side::of(ds, plan, lines, p, a, r),
            Side::of(ds, plan, lines, p, b, r),
        ) else {
            return MIXED;
        };
        if sa.value == sb.value {
            continue;
        }
        let why = if sa.value == 0 || sb.value == 0 {
            PRODUCT
        } else {
            let changed = [
                (sa.plans[..sa.n] != sb.plans[..sb.n], PLAN),
                (sa.intervals[..sa.n] != sb.intervals[..sb.n], INTERVAL),
                (sa.quantities[..sa.n] != sb.quantities[..sb.n], SEATS),
            ];
            let mut which = changed.iter().filter(|c| c.0).map(|c| c.1);
            match (which.next(), which.next()) {
                (None, _) => PRICE,
                (Some(one), None) => one,
                _ => MIXED,
            }
        };
        match found {
            None => found = Some(why),
            Some(f) if f == why => {}
            Some(_) => return MIXED,
        }
    }
    found.unwrap_or(MIXED)
}
