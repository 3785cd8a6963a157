//! The monthly movement of one customer-month (new, reactivation, expansion, contraction,
//! churn, paused, resumed) and its addition to the month sums.

use super::attribution::Reason;
use super::plan::Plan;
use super::series::Scratch;
use super::sums::MonthSums;
use super::{Reactivation, Start};
use crate::dataset::Dataset;
use crate::date::Month;
use serde::Serialize;

/// A paying customer while its movements are added to the sums.
#[derive(Clone, Copy, Debug)]
pub(super) struct Customer {
    /// Index into the dataset's customers.
    pub(super) index: u32,
    /// The first month it ever paid (decides new against reactivation).
    pub(super) first: Month,
    /// How a return after months at zero counts.
    pub(super) reactivation: Reactivation,
}

/// One customer-month as the movement rules read it: its values either side of the month
/// and whether it is paused at each end.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Step {
    /// value(M-1, M-1): the previous month's MRR at that month's rates.
    pub(crate) prev: i128,
    /// value(M, M): the month's MRR at its own rates.
    pub(crate) now: i128,
    /// value(M, M-1): the month's MRR at the previous month's rates (constant currency).
    pub(crate) at_constant_currency: i128,
    /// Paused in the previous month (`--pauses zero`).
    pub(crate) was_paused: bool,
    /// Paused in the month.
    pub(crate) is_paused: bool,
}

impl Step {
    /// The customer's step into slot `s` (1..slots), after
    /// [`customer_values`](super::series::customer_values).
    #[inline]
    pub(crate) fn at(scratch: &Scratch, s: usize) -> Step {
        Step {
            prev: scratch.cur[s - 1],
            now: scratch.cur[s],
            at_constant_currency: scratch.at_constant_currency(s),
            was_paused: scratch.paused_at(s - 1),
            is_paused: scratch.paused_at(s),
        }
    }
}

/// How a start from zero at slot `s` counts under `policy`; `first` is the customer's first
/// month ever with MRR > 0. Only meaningful when the value at `s - 1` is 0 and at `s` is > 0.
pub(crate) fn start_kind(
    ds: &Dataset,
    plan: &Plan,
    scratch: &Scratch,
    s: usize,
    first: Month,
    policy: Reactivation,
) -> Start {
    policy.start(plan.month(s) == first, || {
        months_at_zero_before(ds, plan, scratch, s)
    })
}

/// One customer's movement in slot `s` (1..slots) under `policy`, after
/// [`customer_values`]: the category (as reported: a return under `as-expansion` is
/// expansion) with its amount, and the fx part. `first` is the customer's first paying month.
pub(crate) fn movement_at(
    ds: &Dataset,
    plan: &Plan,
    scratch: &Scratch,
    s: usize,
    first: Month,
    policy: Reactivation,
) -> (Option<(Movement, i128)>, i128) {
    let (m, fx, _) = categorise(Step::at(scratch, s), || {
        start_kind(ds, plan, scratch, s, first, policy)
    });
    (m, fx)
}

/// [`classify`] under the pause and reactivation rules: a churn into a pause is `Paused`, a
/// start out of one `Resumed`, and a return counted as expansion (`start` says
/// [`Start::Expansion`]) is `Expansion`, flagged by the `bool`. `start` is asked only for a
/// start from zero. The report ([`add_movement`]) and explain/compare ([`movement_at`]) both
/// categorise through here.
#[inline]
pub(crate) fn categorise(
    step: Step,
    start: impl FnOnce() -> Start,
) -> (Option<(Movement, i128)>, i128, bool) {
    let Step {
        prev,
        now,
        at_constant_currency,
        was_paused,
        is_paused,
    } = step;
    let start = if prev == 0 && now > 0 {
        start()
    } else {
        Start::Reactivation // unused: not a start from zero
    };
    let (m, fx) = classify(prev, now, at_constant_currency, start == Start::New);
    let m = match m {
        Some((Movement::Churn, v)) if is_paused => Some((Movement::Paused, v)),
        Some((Movement::New | Movement::Reactivation, v)) if was_paused => {
            Some((Movement::Resumed, v))
        }
        Some((Movement::Reactivation, v)) if start == Start::Expansion => {
            return (Some((Movement::Expansion, v)), fx, true);
        }
        m => m,
    };
    (m, fx, false)
}

/// The number of months at zero right before slot `s` (the customer paid before them).
fn months_at_zero_before(ds: &Dataset, plan: &Plan, scratch: &Scratch, s: usize) -> i32 {
    if let Some(t) = scratch.cur[..s].iter().rposition(|&v| v > 0) {
        return (s - t - 1) as i32;
    }
    // The last paying month is before the window: the latest month a line covered.
    let month = plan.month(s);
    let l = &ds.lines;
    let last = scratch
        .lines
        .iter()
        .map(|&i| i as usize)
        .filter(|&i| l.start[i] < l.end[i] && l.start[i] < month)
        .map(|i| l.end[i].min(month).plus(-1))
        .max();
    last.map_or(0, |m| month.index() - m.index() - 1)
}

/// A monthly movement category.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Movement {
    /// First-ever month with MRR > 0.
    New,
    /// MRR > 0 again after a month at 0.
    Reactivation,
    /// Constant-currency increase.
    Expansion,
    /// Constant-currency decrease, still above 0.
    Contraction,
    /// Fell to 0.
    Churn,
    /// Fell to 0 while paused (`--pauses zero`): not churned.
    Paused,
    /// Back above 0 after a pause (`--pauses zero`).
    Resumed,
}

impl Movement {
    /// The category's name, as the JSON output and the movement files write it.
    pub fn name(self) -> &'static str {
        match self {
            Movement::New => "new",
            Movement::Reactivation => "reactivation",
            Movement::Expansion => "expansion",
            Movement::Contraction => "contraction",
            Movement::Churn => "churn",
            Movement::Paused => "paused",
            Movement::Resumed => "resumed",
        }
    }
}

/// Classifies one customer-month. `prev` = value(M-1, M-1), `cur` = value(M, M),
/// `at_constant_currency` = value(M, M-1). Returns the category with its (positive) amount, and the fx part.
///
/// ```
/// use nrr_core::engine::{classify, Movement};
/// assert_eq!(classify(100, 120, 110, false), (Some((Movement::Expansion, 10)), 10));
/// assert_eq!(classify(0, 50, 50, true), (Some((Movement::New, 50)), 0));
/// assert_eq!(classify(0, 50, 50, false), (Some((Movement::Reactivation, 50)), 0));
/// assert_eq!(classify(80, 0, 0, false), (Some((Movement::Churn, 80)), 0));
/// assert_eq!(classify(80, 88, 80, false), (None, 8));
/// ```
pub fn classify(
    prev: i128,
    cur: i128,
    at_constant_currency: i128,
    first_month: bool,
) -> (Option<(Movement, i128)>, i128) {
    if prev == 0 {
        if cur > 0 {
            let m = if first_month {
                Movement::New
            } else {
                Movement::Reactivation
            };
            return (Some((m, cur)), 0);
        }
        return (None, 0);
    }
    let fx = cur - at_constant_currency;
    let m = if at_constant_currency > prev {
        Some((Movement::Expansion, at_constant_currency - prev))
    } else if at_constant_currency == 0 {
        Some((Movement::Churn, prev))
    } else if at_constant_currency < prev {
        Some((Movement::Contraction, prev - at_constant_currency))
    } else {
        None
    };
    (m, fx)
}

/// Adds one customer's monthly movements (the bridge) to the per-slot sums.
pub(super) fn add_months(
    ds: &Dataset,
    plan: &Plan,
    customer: Customer,
    scratch: &Scratch,
    months: &mut [MonthSums],
) {
    let why = |s: usize| scratch.reason(ds, plan, s - 1, s);
    let cur = &scratch.cur;
    let m0 = &mut months[0];
    m0.d_closing += cur[0];
    m0.d_customers += i64::from(cur[0] > 0);
    // The slots to visit: where the value changed, when known; otherwise all.
    let mut todo = if scratch.bits {
        scratch.changed
    } else {
        u128::MAX
    };
    let mut next = 0usize;
    loop {
        let s = if scratch.bits {
            if todo == 0 {
                break;
            }
            let s = todo.trailing_zeros() as usize;
            todo &= todo - 1;
            s
        } else {
            next += 1;
            if next >= plan.slots {
                break;
            }
            next
        };
        let (prev, now) = (cur[s - 1], cur[s]);
        let at_constant_currency = scratch.at_constant_currency(s);
        if now == prev && at_constant_currency == prev {
            continue; // nothing moved, not even the exchange rate
        }
        let m = &mut months[s];
        m.d_closing += now - prev;
        m.d_customers += i64::from(now > 0) - i64::from(prev > 0);
        let step = Step {
            prev,
            now,
            at_constant_currency,
            was_paused: scratch.paused_at(s - 1),
            is_paused: scratch.paused_at(s),
        };
        add_movement(
            m,
            step,
            || start_kind(ds, plan, scratch, s, customer.first, customer.reactivation),
            || why(s),
        );
    }
}

/// Classifies one customer-month and adds it to the month's sums (`why`: the reason of an
/// expansion or contraction, asked only for those).
#[inline]
pub(super) fn add_movement(
    m: &mut MonthSums,
    step: Step,
    start: impl FnOnce() -> Start,
    why: impl Fn() -> Reason,
) {
    let (movement, fx, is_return) = categorise(step, start);
    m.fx += fx;
    match movement {
        Some((Movement::Paused, v)) => {
            m.paused += v;
            m.paused_customers += 1;
        }
        Some((Movement::Resumed, v)) => {
            m.resumed += v;
            m.resumed_customers += 1;
        }
        Some((Movement::New, v)) => {
            m.new += v;
            m.new_customers += 1;
        }
        Some((Movement::Expansion, v)) if is_return => {
            let r = why() as usize;
            m.expansion += v;
            m.exp_reason[r] += v;
            m.return_reason[r] += v;
            m.reactivated_customers += 1;
        }
        Some((Movement::Reactivation, v)) => {
            m.reactivation += v;
            m.reactivated_customers += 1;
        }
        Some((Movement::Expansion, v)) => {
            m.expansion += v;
            m.exp_reason[why() as usize] += v;
        }
        Some((Movement::Contraction, v)) => {
            m.contraction += v;
            m.con_reason[why() as usize] += v;
        }
        Some((Movement::Churn, v)) => {
            m.churn += v;
            m.churned_customers += 1;
        }
        None => {}
    }
}
