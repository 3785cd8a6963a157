//! The engine: monthly movements and frozen-cohort retention, computed customer by customer.
//!
//! Nothing here materialises customers x months. Lines are grouped by customer (a counting
//! sort); each customer's month-end MRR over the window comes from a difference array over its
//! own lines (a line adds its MRR from the month of `start_date` up to, not including, the month
//! of `end_date`); the customer's movements and cohort contributions are added to small
//! per-thread accumulators, which are merged at the end. Work is split across threads by
//! customer ranges with rayon, so the result does not depend on input order or thread count.

use crate::attribution::{reason, REASONS};
use crate::dataset::{Dataset, SourceKind};
use crate::date::{Date, Month};
use crate::money::{mul_div_round, ratio, Decimal, Money, Scale};
pub use crate::policy::Reactivation;
pub(crate) use crate::policy::Start;
use crate::report::{
    AsOf, Bridge, Granularity, MonthRow, PeriodMetrics, PeriodRow, Policies, Report, Retention,
    SegmentFigures, Segments, TtmRow, Window,
};
use crate::CoreError;
use rayon::prelude::*;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};

/// How to cut the figures by a customer attribute.
#[derive(Clone, Debug, Default)]
pub struct SegmentSpec {
    /// Attribute column name.
    pub column: String,
    /// Distinct values; a customer without one maps to `""`, which must be among them.
    pub values: Vec<String>,
    /// For each customer index, the index of its value in `values` (unused when `by_line`).
    pub of_customer: Vec<u32>,
    /// Cut by a column of the customer's lines instead of a customer attribute: the value of
    /// a customer in a month is the one with the most MRR then (ties to the smaller name).
    pub by_line: Option<LineColumn>,
    /// With `by_line`: for each dataset label index, the index of its value in `values`.
    pub of_label: Vec<u32>,
}

/// A line column a segment can be taken from (`--segment product`, `--segment plan`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineColumn {
    /// The product line.
    Product,
    /// The plan or tier.
    Plan,
}

impl SegmentSpec {
    /// A cut by the lines' product or plan. Values are the distinct labels the lines use,
    /// sorted by name (`""` for lines without one).
    pub fn by_line(ds: &Dataset, column: LineColumn) -> SegmentSpec {
        let col = match column {
            LineColumn::Product => &ds.lines.product,
            LineColumn::Plan => &ds.lines.plan,
        };
        let mut used = vec![false; ds.labels.len()];
        for &i in col {
            used[i as usize] = true;
        }
        let mut values: Vec<String> = ds
            .labels
            .iter()
            .zip(&used)
            .filter(|(_, u)| **u)
            .map(|(l, _)| l.clone())
            .collect();
        values.sort();
        values.dedup();
        let of_label = ds
            .labels
            .iter()
            .map(|l| values.binary_search(l).map_or(u32::MAX, |i| i as u32))
            .collect();
        SegmentSpec {
            column: match column {
                LineColumn::Product => "product".into(),
                LineColumn::Plan => "plan".into(),
            },
            values,
            of_customer: Vec::new(),
            by_line: Some(column),
            of_label,
        }
    }
}

/// Options for [`compute`].
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// First reported month (default: the dataset's default window).
    pub from: Option<Month>,
    /// Last reported month.
    pub to: Option<Month>,
    /// Segment cut.
    pub segment: Option<SegmentSpec>,
    /// Rejected rows that were skipped (`--skip-invalid`), echoed in the report.
    pub skipped_invalid_rows: u64,
    /// Gross margin for LTV (`--gross-margin`); 1 when not given.
    pub gross_margin: Option<crate::money::Decimal>,
    /// Share of a period's expansion or churn above which one customer is named
    /// (`--concentration`); 0.25 when not given.
    pub concentration: Option<crate::money::Decimal>,
    /// How a customer that returns after months at zero counts (`--reactivation`).
    pub reactivation: Reactivation,
    /// How many customers each period's `top_customers` lists name per movement (`--top`;
    /// totals only, not segments); 0 (the default here) lists none.
    pub top: usize,
    /// The as-of date given by the user; `None`: the data's own (see [`as_of`]).
    pub as_of: Option<Date>,
    /// Today's date, from the caller's clock: items data cannot tell a past end_date from a
    /// scheduled one, so dates after today are not taken as past. `None`: every date is past.
    pub today: Option<Date>,
    /// First month of the fiscal year, 1-12 (0 or 1: January): quarters and years start there.
    pub fiscal_year_start: u32,
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
    let (m, fx, _) = categorise(
        (scratch.cur[s - 1], scratch.cur[s], scratch.cc(s)),
        (scratch.paused_at(s - 1), scratch.paused_at(s)),
        || start_kind(ds, plan, scratch, s, first, policy),
    );
    (m, fx)
}

/// [`classify`] under the pause and reactivation rules: a churn into a pause is `Paused`, a
/// start out of one `Resumed`, and a return counted as expansion (`start` says
/// [`Start::Expansion`]) is `Expansion`, flagged by the `bool`. `start` is asked only for a
/// start from zero. The report ([`add_movement`]) and explain/compare ([`movement_at`]) both
/// categorise through here.
#[inline]
pub(crate) fn categorise(
    (prev, now, cc): (i128, i128, i128),
    (was_paused, is_paused): (bool, bool),
    start: impl FnOnce() -> Start,
) -> (Option<(Movement, i128)>, i128, bool) {
    let start = if prev == 0 && now > 0 {
        start()
    } else {
        Start::Reactivation // unused: not a start from zero
    };
    let (m, fx) = classify(prev, now, cc, start == Start::New);
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
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
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

/// Classifies one customer-month. `prev` = value(M-1, M-1), `cur` = value(M, M),
/// `cc` = value(M, M-1). Returns the category with its (positive) amount, and the fx part.
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
    cc: i128,
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
    let fx = cur - cc;
    let m = if cc > prev {
        Some((Movement::Expansion, cc - prev))
    } else if cc == 0 {
        Some((Movement::Churn, prev))
    } else if cc < prev {
        Some((Movement::Contraction, prev - cc))
    } else {
        None
    };
    (m, fx)
}

/// A period to evaluate: cohort at slot `t0`, end at slot `t1`.
#[derive(Clone, Debug)]
struct PeriodSpec {
    t0: usize,
    t1: usize,
}

/// The window laid out as slots: slot 0 is the month before the window, slot `i` is
/// `base + i`.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) base: Month,
    pub(crate) slots: usize,
    /// Per currency, per slot: rate units in force at the slot month's last day.
    pub(crate) rates: Vec<Vec<Option<i128>>>,
    /// Per currency, per slot (`currency * slots + slot`): a figure needed a rate that is
    /// not in force there.
    missed: Vec<AtomicBool>,
    periods: Vec<PeriodSpec>,
    /// `(t0, t1, index into periods)`, sorted by t0: a customer only visits the periods whose
    /// cohort month it paid in.
    by_t0: Vec<(u32, u32, u32)>,
    labels: Vec<(String, Granularity)>,
    ttm_from: usize,
    /// The periods grouped by length, when the window has at most 128 slots (see
    /// [`PeriodKind`]); empty otherwise.
    kinds: Vec<PeriodKind>,
    /// [`Options::top`].
    top: usize,
}

/// The periods of one length `len` (t1 = t0 + len): a bit mask of their t0 slots and the
/// period index per t0. A one-currency customer's value at t1 differs from its value at t0
/// only if it changed in some slot of (t0, t1], so the periods it must visit are found with
/// a few shifts of its change mask instead of a walk over every period.
#[derive(Clone, Debug)]
struct PeriodKind {
    len: usize,
    t0s: u128,
    index: Vec<u32>,
}

impl Plan {
    pub(crate) fn new(ds: &Dataset, from: Month, to: Month) -> Plan {
        Plan::with_fiscal_year(ds, from, to, 1)
    }

    /// The plan with quarters and years starting at month `fiscal` of the year (1-12; 1:
    /// calendar quarters and years, labelled `2024-Q1` and `2024`; else fiscal ones, labelled
    /// by the calendar year they end in: `FY2025-Q1` and `FY2025`).
    pub(crate) fn with_fiscal_year(ds: &Dataset, from: Month, to: Month, fiscal: u32) -> Plan {
        let fiscal = fiscal.clamp(1, 12);
        // Months since the fiscal year began (0-11), and the fiscal year's name.
        let into_year = |m: Month| (m.number() + 12 - fiscal) % 12;
        let label = |m: Month| {
            if fiscal == 1 {
                m.year().to_string()
            } else {
                format!("FY{}", m.plus(11 - into_year(m) as i32).year())
            }
        };
        let base = from.plus(-1);
        let slots = (to.index() - base.index() + 1) as usize;
        let month = |s: usize| base.plus(s as i32);
        let rates: Vec<Vec<Option<i128>>> = (0..ds.currencies.len())
            .map(|c| {
                (0..slots)
                    .map(|s| {
                        if c == usize::from(ds.reporting) {
                            Some(ds.scale.rate_one())
                        } else {
                            ds.fx.rate_on(c as u16, month(s).last_day()).map(i128::from)
                        }
                    })
                    .collect()
            })
            .collect();
        let mut periods = Vec::new();
        let mut labels = Vec::new();
        for s in 1..slots {
            periods.push(PeriodSpec { t0: s - 1, t1: s });
            labels.push((month(s).to_string(), Granularity::Month));
        }
        for s in 1..slots {
            let m = month(s);
            if into_year(m) % 3 == 0 && s + 2 < slots {
                periods.push(PeriodSpec {
                    t0: s - 1,
                    t1: s + 2,
                });
                labels.push((
                    format!("{}-Q{}", label(m), into_year(m) / 3 + 1),
                    Granularity::Quarter,
                ));
            }
        }
        for s in 1..slots {
            let m = month(s);
            if into_year(m) == 0 && s + 11 < slots {
                periods.push(PeriodSpec {
                    t0: s - 1,
                    t1: s + 11,
                });
                labels.push((label(m), Granularity::Year));
            }
        }
        let ttm_from = periods.len();
        for s in 13..slots {
            periods.push(PeriodSpec { t0: s - 12, t1: s });
        }
        let mut by_t0: Vec<(u32, u32, u32)> = periods
            .iter()
            .enumerate()
            .map(|(i, p)| (p.t0 as u32, p.t1 as u32, i as u32))
            .collect();
        by_t0.sort_unstable();
        let mut kinds: Vec<PeriodKind> = Vec::new();
        if slots <= 128 {
            for (i, p) in periods.iter().enumerate() {
                let len = p.t1 - p.t0;
                // Two periods of one length may share a t0 (a year and a TTM): each kind
                // holds at most one period per t0.
                let free = |k: &PeriodKind| k.len == len && k.t0s & (1u128 << p.t0) == 0;
                let k = match kinds.iter().position(free) {
                    Some(k) => k,
                    None => {
                        kinds.push(PeriodKind {
                            len,
                            t0s: 0,
                            index: vec![u32::MAX; slots],
                        });
                        kinds.len() - 1
                    }
                };
                kinds[k].t0s |= 1u128 << p.t0;
                kinds[k].index[p.t0] = i as u32;
            }
        }
        Plan {
            base,
            slots,
            missed: (0..rates.len() * slots)
                .map(|_| AtomicBool::new(false))
                .collect(),
            rates,
            periods,
            by_t0,
            labels,
            ttm_from,
            kinds,
            top: 0,
        }
    }

    pub(crate) fn month(&self, slot: usize) -> Month {
        self.base.plus(slot as i32)
    }

    /// How many customers a period keeps by expansion and churn (at least 1, for
    /// `concentration`), and by contraction.
    fn top_caps(&self) -> (usize, usize) {
        (self.top.max(1), self.top)
    }

    /// Every rate a figure computed with this plan needed and did not find, once per currency
    /// and month, as one error; `Ok` when there was none. Called after the figures: those
    /// computed with a missing rate (counted as 0) are then discarded.
    pub(crate) fn missing_rates(&self, ds: &Dataset) -> Result<(), CoreError> {
        let mut missing: Vec<crate::fx::MissingRate> = self
            .missed
            .iter()
            .enumerate()
            .filter(|(_, m)| m.load(Ordering::Relaxed))
            .map(|(i, _)| {
                let ccy = (i / self.slots) as u16;
                crate::fx::MissingRate {
                    currency: ds.currencies[usize::from(ccy)].clone(),
                    month: self.month(i % self.slots),
                    first: ds.fx.first_date(ccy),
                }
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort_by(|a, b| (&a.currency, a.month).cmp(&(&b.currency, b.month)));
        Err(CoreError::MissingRates {
            file: ds.fx.file.clone(),
            reporting: ds.currency().to_string(),
            missing,
        })
    }
}

/// Per-slot sums. Closing MRR and the customer count are kept as differences from the
/// previous slot (a customer adds to them only in months where its MRR changes); opening is
/// the previous slot's closing.
#[derive(Clone, Debug, Default)]
struct MonthAcc {
    exp_reason: [i128; REASONS],
    /// The part of `exp_reason` from returns counted as expansion (`as-expansion`): not in
    /// any cohort, so a one-month period's reasons leave it out.
    return_reason: [i128; REASONS],
    con_reason: [i128; REASONS],
    d_closing: i128,
    d_customers: i64,
    /// Line segments only: MRR of customers whose segment changed this month, at the
    /// previous month's value, into and out of this segment.
    moved_in: i128,
    moved_out: i128,
    new: i128,
    reactivation: i128,
    expansion: i128,
    contraction: i128,
    churn: i128,
    fx: i128,
    new_customers: u64,
    reactivated_customers: u64,
    churned_customers: u64,
    /// `--pauses zero`: MRR that stopped because the customer paused, and MRR back from a
    /// pause, with their customer counts.
    paused: i128,
    resumed: i128,
    paused_customers: u64,
    resumed_customers: u64,
}

/// Per-period sums over the period's cohort. Only customers whose value moved between t0 and
/// t1 add to them: the cohort's size and starting MRR are the month sums at t0 (every
/// customer paying at t0 is in the cohort), and its ending MRR is starting + expansion -
/// contraction - churn, so a customer whose MRR is the same at both ends costs nothing here.
#[derive(Clone, Debug, Default)]
struct PeriodAcc {
    expansion: i128,
    contraction: i128,
    churn: i128,
    /// Sum of value(t1, t1) - value(t1, t0) over the cohort (0 for one-currency customers).
    fx_impact: i128,
    churned: u64,
    /// The cohort customers with the largest expansion, contraction and churn (see
    /// [`TopList`]); the first of expansion and churn feed `concentration`.
    top_expansion: TopList,
    top_contraction: TopList,
    top_churn: TopList,
    exp_reason: [i128; REASONS],
    con_reason: [i128; REASONS],
}

/// One customer's contribution to a period's cohort sum.
#[derive(Clone, Copy, Debug, Default)]
struct Top {
    amount: i128,
    customer: u32,
}

/// The customers with the largest contributions to a sum, largest first, at most `cap` of
/// them; equal contributions go to the smaller customer id, so the list does not depend on
/// input order or thread count. Empty until offered something (no allocation).
#[derive(Clone, Debug, Default)]
struct TopList(Vec<Top>);

impl TopList {
    fn offer(&mut self, cap: usize, amount: i128, customer: u32, ids: &crate::dataset::Ids) {
        if amount <= 0 || cap == 0 {
            return;
        }
        let ahead = |t: &Top| {
            amount > t.amount || (amount == t.amount && ids.cmp_ids(customer, t.customer).is_lt())
        };
        if self.0.len() >= cap && !self.0.last().is_some_and(ahead) {
            return;
        }
        let at = self.0.iter().position(ahead).unwrap_or(self.0.len());
        self.0.insert(at, Top { amount, customer });
        self.0.truncate(cap);
    }

    /// Offers every entry of `o` (the lists of two disjoint sets of customers).
    fn merge(&mut self, cap: usize, o: &TopList, ids: &crate::dataset::Ids) {
        for t in &o.0 {
            self.offer(cap, t.amount, t.customer, ids);
        }
    }

    fn first(&self) -> Top {
        self.0.first().copied().unwrap_or_default()
    }
}

#[derive(Clone, Debug)]
struct Acc {
    months: Vec<MonthAcc>,
    periods: Vec<PeriodAcc>,
}

impl Acc {
    fn new(plan: &Plan) -> Acc {
        Acc {
            months: vec![MonthAcc::default(); plan.slots],
            periods: vec![PeriodAcc::default(); plan.periods.len()],
        }
    }

    fn merge(&mut self, o: &Acc, plan: &Plan, ids: &crate::dataset::Ids) {
        for (a, b) in self.months.iter_mut().zip(&o.months) {
            add_reasons(&mut a.exp_reason, &b.exp_reason);
            add_reasons(&mut a.return_reason, &b.return_reason);
            add_reasons(&mut a.con_reason, &b.con_reason);
            a.d_closing += b.d_closing;
            a.d_customers += b.d_customers;
            a.moved_in += b.moved_in;
            a.moved_out += b.moved_out;
            a.new += b.new;
            a.reactivation += b.reactivation;
            a.expansion += b.expansion;
            a.contraction += b.contraction;
            a.churn += b.churn;
            a.fx += b.fx;
            a.new_customers += b.new_customers;
            a.reactivated_customers += b.reactivated_customers;
            a.churned_customers += b.churned_customers;
            a.paused += b.paused;
            a.resumed += b.resumed;
            a.paused_customers += b.paused_customers;
            a.resumed_customers += b.resumed_customers;
        }
        for (a, b) in self.periods.iter_mut().zip(&o.periods) {
            a.expansion += b.expansion;
            a.contraction += b.contraction;
            a.churn += b.churn;
            a.fx_impact += b.fx_impact;
            a.churned += b.churned;
            add_reasons(&mut a.exp_reason, &b.exp_reason);
            add_reasons(&mut a.con_reason, &b.con_reason);
            let (cap, cap_contraction) = plan.top_caps();
            a.top_expansion.merge(cap, &b.top_expansion, ids);
            a.top_contraction
                .merge(cap_contraction, &b.top_contraction, ids);
            a.top_churn.merge(cap, &b.top_churn, ids);
        }
    }
}

fn add_reasons(a: &mut [i128; REASONS], b: &[i128; REASONS]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// Per-thread buffers for one customer's month-end MRR.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// Per currency of the customer: (currency, native MRR per slot).
    pub(crate) series: Vec<(u16, Vec<i128>)>,
    used: usize,
    /// value(i, i) per slot.
    pub(crate) cur: Vec<i128>,
    /// value(i, i - 1) per slot (slot 0 unused); left empty when `single_reporting`.
    pub(crate) cc: Vec<i128>,
    /// All of the customer's MRR is in the reporting currency: every rate is 1, so
    /// value(i, j) = cur[i] for any j.
    pub(crate) single_reporting: bool,
    /// When `single_reporting` and the window has at most 128 slots: bit s set when
    /// cur[s] != cur[s - 1] (s >= 1) ...
    changed: u128,
    /// ... and bit s set when cur[s] > 0. Both are `None`-like (unused) otherwise.
    paying: u128,
    /// `changed` and `paying` are valid.
    bits: bool,
    /// Line segments: the customer's segment value per slot (`u32::MAX` where it pays
    /// nothing).
    pub(crate) seg: Vec<u32>,
    /// Per slot: the customer is paused (`--pauses zero`); empty when it never is.
    pub(crate) paused: Vec<bool>,
    /// One-month periods compute their own expansion and contraction reasons (line
    /// segments) instead of taking their month's.
    own_reasons: bool,
    /// The customer's lines.
    pub(crate) lines: Vec<u32>,
    /// Per slot: index into `mask_set` of the set of the customer's lines active then.
    mask_id: Vec<u8>,
    /// The distinct sets of active lines (bit k = the customer's k-th line).
    mask_set: Vec<u64>,
    /// Reason between two sets, `mask_set.len()` squared entries; `u8::MAX` = not yet known.
    reason_cache: std::cell::RefCell<Vec<u8>>,
    /// Per slot: bit k set when the customer's k-th line is active (reused buffer).
    masks: Vec<u64>,
    /// Per distinct line set, its lines summarised by product (for expansion reasons).
    pub(crate) summaries: crate::attribution::Summaries,
}

impl Scratch {
    /// How many currencies the customer's lines are in (1 also for a customer all in the
    /// reporting currency).
    pub(crate) fn used_currencies(&self) -> usize {
        self.used
    }

    /// Whether the customer is paused at slot `s`.
    #[inline]
    pub(crate) fn paused_at(&self, s: usize) -> bool {
        self.paused.get(s).copied().unwrap_or(false)
    }

    /// The distinct-line-set ids of slots `a` and `b`, when tracked.
    pub(crate) fn set_ids(&self, a: usize, b: usize) -> Option<(usize, usize)> {
        Some((
            usize::from(*self.mask_id.get(a)?),
            usize::from(*self.mask_id.get(b)?),
        ))
    }

    /// The cached reason between slots `a` and `b`, if the customer's line sets are cached.
    pub(crate) fn cached_reason(&self, a: usize, b: usize) -> Option<usize> {
        let k = self.mask_set.len();
        let idx = usize::from(*self.mask_id.get(a)?) * k + usize::from(*self.mask_id.get(b)?);
        let v = *self.reason_cache.borrow().get(idx)?;
        (v != u8::MAX).then_some(usize::from(v))
    }

    /// Remembers the reason between slots `a` and `b`.
    pub(crate) fn cache_reason(&self, a: usize, b: usize, why: usize) {
        let k = self.mask_set.len();
        if let (Some(&x), Some(&y)) = (self.mask_id.get(a), self.mask_id.get(b)) {
            if let Some(v) = self
                .reason_cache
                .borrow_mut()
                .get_mut(usize::from(x) * k + usize::from(y))
            {
                *v = why as u8;
            }
        }
    }

    /// value(i, i - 1) for slot `i`.
    pub(crate) fn cc(&self, i: usize) -> i128 {
        if self.single_reporting {
            self.cur[i]
        } else {
            self.cc[i]
        }
    }
}

/// Lines grouped by customer: `order[offsets[c]..offsets[c + 1]]` are customer `c`'s lines.
pub(crate) struct Groups {
    pub(crate) offsets: Vec<u32>,
    pub(crate) order: Vec<u32>,
}

pub(crate) fn group_by_customer(ds: &Dataset) -> Groups {
    let n = ds.customers.len();
    let mut offsets = vec![0u32; n + 1];
    for &c in &ds.lines.customer {
        offsets[c as usize + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let mut next = offsets.clone();
    let mut order = vec![0u32; ds.lines.len()];
    for (i, &c) in ds.lines.customer.iter().enumerate() {
        order[next[c as usize] as usize] = i as u32;
        next[c as usize] += 1;
    }
    Groups { offsets, order }
}

/// Fills `scratch` with the customer's month-end values; returns the customer's first month
/// ever with MRR > 0, or `None` when it never has any.
pub(crate) fn customer_values(
    ds: &Dataset,
    plan: &Plan,
    lines: &[u32],
    scratch: &mut Scratch,
) -> Result<Option<Month>, CoreError> {
    let l = &ds.lines;
    let mut first: Option<Month> = None;
    for &i in lines {
        let i = i as usize;
        if l.start[i] < l.end[i] {
            first = Some(first.map_or(l.start[i], |f| f.min(l.start[i])));
        }
    }
    let Some(first) = first else { return Ok(None) };
    scratch.lines.clear();
    scratch.lines.extend_from_slice(lines);
    pause_slots(ds, plan, l.customer[lines[0] as usize], scratch);
    let n = plan.slots;
    scratch.used = 0;
    let base = plan.base.index();
    // Which of the customer's lines are active at each slot (one bit per line, for the
    // first 64 lines): the key of the expansion-reason cache.
    // A customer with one line never expands or contracts (the line is there or not): only
    // customers with several lines need the line sets behind expansion reasons.
    let track = lines.len() > 1;
    let mut masks = std::mem::take(&mut scratch.masks);
    masks.clear();
    if track {
        masks.resize(n, 0);
    }
    let one_currency = lines
        .iter()
        .all(|&i| l.currency[i as usize] == ds.reporting);
    scratch.bits = one_currency && n <= 128;
    if one_currency {
        // Fast path: values straight into `cur` from a difference array; the slots where
        // the value can change are the lines' first and end slots.
        let one = ds.scale.rate_one();
        let cur = &mut scratch.cur;
        cur.clear();
        cur.resize(n + 1, 0);
        let (mut edges, mut paying) = (0u128, 0u128);
        for (k, &i) in lines.iter().enumerate() {
            let i = i as usize;
            let a = (l.start[i].index() - base).max(0);
            let b = (l.end[i].index() - base).min(n as i32);
            if a >= b {
                continue;
            }
            let (a, b) = (a as usize, b as usize);
            if track && k < 64 {
                for m in &mut masks[a..b] {
                    *m |= 1 << k;
                }
            }
            let v = i128::from(l.mrr[i]) * one;
            cur[a] += v;
            cur[b] -= v;
            if scratch.bits {
                // `b` may be 128, one past the last slot: no bit (a plain shift by 128
                // overflows; release builds happened to wrap it to slot 0, which is ignored).
                edges |= 1u128 << a | 1u128.checked_shl(b as u32).unwrap_or(0);
                if v > 0 {
                    // Bits a..b (b <= 128).
                    let upto = if b == 128 {
                        u128::MAX
                    } else {
                        (1u128 << b) - 1
                    };
                    paying |= upto & !((1u128 << a) - 1);
                }
            }
        }
        let mut run = 0;
        for v in cur.iter_mut() {
            run += *v;
            *v = run;
        }
        cur.truncate(n);
        let mut changed = 0u128;
        if scratch.bits {
            let mut e = edges & !1; // slot 0 has no previous month
            while e != 0 {
                let s = e.trailing_zeros() as usize;
                e &= e - 1;
                if s < n && cur[s] != cur[s - 1] {
                    changed |= 1u128 << s;
                }
            }
        }
        scratch.changed = changed;
        scratch.paying = paying;
        scratch.cc.clear();
        scratch.single_reporting = true;
        scratch.used = 1;
        scratch.masks = masks;
        line_sets(ds, lines, scratch);
        return Ok(Some(first));
    }
    for (k, &i) in lines.iter().enumerate() {
        let i = i as usize;
        let a = (l.start[i].index() - base).max(0);
        let b = (l.end[i].index() - base).min(n as i32);
        if a >= b {
            continue;
        }
        if track && k < 64 {
            for m in &mut masks[a as usize..b as usize] {
                *m |= 1 << k;
            }
        }
        let ccy = l.currency[i];
        let k = match scratch.series[..scratch.used]
            .iter()
            .position(|s| s.0 == ccy)
        {
            Some(k) => k,
            None => {
                if scratch.used == scratch.series.len() {
                    scratch.series.push((ccy, Vec::new()));
                }
                let s = &mut scratch.series[scratch.used];
                s.0 = ccy;
                s.1.clear();
                s.1.resize(n + 1, 0);
                scratch.used += 1;
                scratch.used - 1
            }
        };
        let d = &mut scratch.series[k].1;
        d[a as usize] += i128::from(l.mrr[i]);
        d[b as usize] -= i128::from(l.mrr[i]);
    }
    scratch.masks = masks;
    line_sets(ds, lines, scratch);
    for s in &mut scratch.series[..scratch.used] {
        let mut run = 0;
        for v in s.1.iter_mut() {
            run += *v;
            *v = run;
        }
    }
    scratch.cur.clear();
    scratch.cur.resize(n, 0);
    scratch.cc.clear();
    scratch.single_reporting = scratch.used == 1 && scratch.series[0].0 == ds.reporting;
    if scratch.single_reporting || scratch.used == 0 {
        let one = ds.scale.rate_one();
        if let Some((_, series)) = scratch.series[..scratch.used].first() {
            for (c, &v) in scratch.cur.iter_mut().zip(series) {
                *c = v * one;
            }
        }
        scratch.single_reporting = true;
        return Ok(Some(first));
    }
    scratch.cc.resize(n, 0);
    for (ccy, series) in &scratch.series[..scratch.used] {
        let rates = &plan.rates[usize::from(*ccy)];
        for (s, &v) in series.iter().enumerate().take(n) {
            if v != 0 {
                scratch.cur[s] += v * rate(plan, rates, *ccy, s);
            }
        }
    }
    // cc (this month's lines at last month's rates) is only defined where the customer paid
    // last month: ask for no rate the definitions do not use.
    for (ccy, series) in &scratch.series[..scratch.used] {
        let rates = &plan.rates[usize::from(*ccy)];
        for (s, &v) in series.iter().enumerate().take(n).skip(1) {
            if v != 0 && scratch.cur[s - 1] != 0 {
                scratch.cc[s] += v * rate(plan, rates, *ccy, s - 1);
            }
        }
    }
    Ok(Some(first))
}

/// Marks the slots in which customer `c` is paused (`--pauses zero`).
fn pause_slots(ds: &Dataset, plan: &Plan, c: u32, scratch: &mut Scratch) {
    scratch.paused.clear();
    if ds.pauses.is_empty() {
        return;
    }
    let from = ds.pauses.partition_point(|p| p.customer < c);
    let base = plan.base.index();
    let n = plan.slots as i32;
    for p in ds.pauses[from..].iter().take_while(|p| p.customer == c) {
        let a = (p.start.index() - base).clamp(0, n);
        let b = (p.end.index() - base).clamp(0, n);
        if a < b {
            if scratch.paused.is_empty() {
                scratch.paused.resize(plan.slots, false);
            }
            for x in &mut scratch.paused[a as usize..b as usize] {
                *x = true;
            }
        }
    }
}

/// The customer's distinct sets of active lines (from `scratch.masks`), their per-product
/// summaries and an empty reason cache (only for customers of at most 64 lines; larger ones
/// are worked out every time).
fn line_sets(ds: &Dataset, lines: &[u32], scratch: &mut Scratch) {
    scratch.mask_set.clear();
    scratch.mask_id.clear();
    let masks = &scratch.masks;
    // A customer whose lines never change between slots never needs a reason.
    let changes = masks.windows(2).any(|w| w[0] != w[1]);
    if changes && lines.len() <= 64 {
        let mut prev: Option<(u64, usize)> = None;
        for &m in masks {
            if let Some((pm, pid)) = prev {
                if pm == m {
                    scratch.mask_id.push(pid.min(254) as u8);
                    continue;
                }
            }
            let id = match scratch.mask_set.iter().position(|&x| x == m) {
                Some(id) => id,
                None => {
                    scratch.mask_set.push(m);
                    scratch.mask_set.len() - 1
                }
            };
            scratch.mask_id.push(id.min(254) as u8);
            prev = Some((m, id));
        }
        if scratch.mask_set.len() > 254 {
            scratch.mask_set.clear();
            scratch.mask_id.clear();
        }
    }
    {
        let mut cache = scratch.reason_cache.borrow_mut();
        cache.clear();
        cache.resize(scratch.mask_set.len() * scratch.mask_set.len(), u8::MAX);
    }
    crate::attribution::summarise(ds, lines, &scratch.mask_set, &mut scratch.summaries);
}

/// The rate of `ccy` at `slot`; a rate not in force is noted in the plan (see
/// [`Plan::missing_rates`]) and counts as 0, so that one run finds every missing one.
#[inline]
fn rate(plan: &Plan, rates: &[Option<i128>], ccy: u16, slot: usize) -> i128 {
    rates[slot].unwrap_or_else(|| {
        plan.missed[usize::from(ccy) * plan.slots + slot].store(true, Ordering::Relaxed);
        0
    })
}

/// value(t1, t0): the customer's MRR at `t1` converted at `t0`'s rates.
#[inline]
pub(crate) fn value_at(plan: &Plan, scratch: &Scratch, t1: usize, t0: usize) -> i128 {
    if scratch.single_reporting {
        return scratch.cur[t1];
    }
    let mut v = 0;
    for (ccy, series) in &scratch.series[..scratch.used] {
        if series[t1] != 0 {
            v += series[t1] * rate(plan, &plan.rates[usize::from(*ccy)], *ccy, t0);
        }
    }
    v
}

fn add_customer(
    ds: &Dataset,
    plan: &Plan,
    (customer, first, policy): (u32, Month, Reactivation),
    scratch: &Scratch,
    acc: &mut Acc,
) -> Result<(), CoreError> {
    add_months(ds, plan, (first, policy), scratch, &mut acc.months);
    add_periods(ds, plan, scratch, &mut acc.periods, customer, None)
}

/// [`add_customer`] for a segment taken from the lines, which can change from month to
/// month: each month's movement goes to the segment of the month (of the previous month
/// for churn), each period's cohort contribution to the segment at t0, and a customer whose
/// segment changes moves its previous MRR out of the old segment and into the new one.
fn add_customer_by_line(
    ds: &Dataset,
    plan: &Plan,
    (customer, first, policy): (u32, Month, Reactivation),
    spec: &SegmentSpec,
    scratch: &mut Scratch,
    accs: &mut [Acc],
) -> Result<(), CoreError> {
    line_segments(ds, plan, spec, scratch)?;
    // A one-month period's cohort belongs to the segment at t0 and the month's movement to
    // the segment at t1: when they differ the month's reasons are not the cohort's, so the
    // periods find their own.
    scratch.own_reasons = true;
    let scratch = &*scratch;
    let seg = &scratch.seg;
    let one = scratch.used <= 1;
    let cur = &scratch.cur;
    if cur[0] > 0 {
        let m0 = &mut accs[seg[0] as usize].months[0];
        m0.d_closing += cur[0];
        m0.d_customers += 1;
    }
    for s in 1..plan.slots {
        let (prev, now, cc) = (cur[s - 1], cur[s], scratch.cc(s));
        let (a, b) = (seg[s - 1] as usize, seg[s] as usize);
        let moved = prev > 0 && now > 0 && a != b;
        if now == prev && cc == prev && !moved {
            continue;
        }
        if prev > 0 {
            let m = &mut accs[a].months[s];
            m.d_closing -= prev;
            m.d_customers -= 1;
        }
        if now > 0 {
            let m = &mut accs[b].months[s];
            m.d_closing += now;
            m.d_customers += 1;
        }
        if moved {
            accs[a].months[s].moved_out += prev;
            accs[b].months[s].moved_in += prev;
        }
        let h = if now > 0 { b } else { a };
        let why = || reason(ds, plan, scratch, s - 1, s, s - 1, one);
        add_movement(
            &mut accs[h].months[s],
            (prev, now, cc),
            (scratch.paused_at(s - 1), scratch.paused_at(s)),
            || start_kind(ds, plan, scratch, s, first, policy),
            why,
        );
    }
    // Each segment the customer is in at some t0, once (a customer is in a few at most).
    let mut done: Vec<u32> = Vec::new();
    for &g in &seg[..plan.slots] {
        if g == u32::MAX || done.contains(&g) {
            continue;
        }
        done.push(g);
        add_periods(
            ds,
            plan,
            scratch,
            &mut accs[g as usize].periods,
            customer,
            Some((seg, g)),
        )?;
    }
    Ok(())
}

/// Fills `scratch.seg` with the customer's segment value per slot: the value of `spec`'s
/// line column holding the most MRR at the slot (at the slot's rates), ties to the smaller
/// name; `u32::MAX` where the customer pays nothing.
pub(crate) fn line_segments(
    ds: &Dataset,
    plan: &Plan,
    spec: &SegmentSpec,
    scratch: &mut Scratch,
) -> Result<(), CoreError> {
    let l = &ds.lines;
    let col = match spec.by_line {
        Some(LineColumn::Plan) => &l.plan,
        _ => &l.product,
    };
    let value_of = |i: u32| spec.of_label[col[i as usize] as usize];
    let n = plan.slots;
    let base = plan.base.index();
    let mut seg = std::mem::take(&mut scratch.seg);
    seg.clear();
    seg.resize(n, u32::MAX);
    let lines = &scratch.lines;
    let single = lines.iter().all(|&i| value_of(i) == value_of(lines[0]));
    if single {
        let g = value_of(lines[0]);
        for (s, v) in seg.iter_mut().enumerate() {
            if scratch.cur[s] > 0 {
                *v = g;
            }
        }
    } else {
        // Per slot, the MRR of each value (few values per customer: a short list).
        let mut by_value: Vec<(u32, i128)> = Vec::new();
        for (s, slot) in seg.iter_mut().enumerate() {
            if scratch.cur[s] <= 0 {
                continue;
            }
            by_value.clear();
            for &i in lines {
                let i = i as usize;
                let (a, b) = (l.start[i].index() - base, l.end[i].index() - base);
                if !(a <= s as i32 && (s as i32) < b) {
                    continue;
                }
                let rates = &plan.rates[usize::from(l.currency[i])];
                let v = i128::from(l.mrr[i]) * rate(plan, rates, l.currency[i], s);
                let g = value_of(i as u32);
                match by_value.iter_mut().find(|x| x.0 == g) {
                    Some(x) => x.1 += v,
                    None => by_value.push((g, v)),
                }
            }
            // Values are indices into the sorted names: the smaller index is the smaller
            // name, so ties go to it.
            *slot = by_value
                .iter()
                .max_by(|x, y| x.1.cmp(&y.1).then(y.0.cmp(&x.0)))
                .map_or(u32::MAX, |x| x.0);
        }
    }
    scratch.seg = seg;
    Ok(())
}

/// Adds one customer's monthly movements (the bridge) to the per-slot sums.
fn add_months(
    ds: &Dataset,
    plan: &Plan,
    (first, policy): (Month, Reactivation),
    scratch: &Scratch,
    months: &mut [MonthAcc],
) {
    let one = scratch.used <= 1;
    let why = |s: usize| reason(ds, plan, scratch, s - 1, s, s - 1, one);
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
        let (prev, now, cc) = (cur[s - 1], cur[s], scratch.cc(s));
        if now == prev && cc == prev {
            continue; // nothing moved, not even the exchange rate
        }
        let m = &mut months[s];
        m.d_closing += now - prev;
        m.d_customers += i64::from(now > 0) - i64::from(prev > 0);
        add_movement(
            m,
            (prev, now, cc),
            (scratch.paused_at(s - 1), scratch.paused_at(s)),
            || start_kind(ds, plan, scratch, s, first, policy),
            || why(s),
        );
    }
}

/// Classifies one customer-month and adds it to the month's sums (`why`: the reason of an
/// expansion or contraction, asked only for those).
#[inline]
fn add_movement(
    m: &mut MonthAcc,
    (prev, now, cc): (i128, i128, i128),
    (was_paused, is_paused): (bool, bool),
    start: impl FnOnce() -> Start,
    why: impl Fn() -> usize,
) {
    let (movement, fx, is_return) = categorise((prev, now, cc), (was_paused, is_paused), start);
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
            let r = why();
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
            m.exp_reason[why()] += v;
        }
        Some((Movement::Contraction, v)) => {
            m.contraction += v;
            m.con_reason[why()] += v;
        }
        Some((Movement::Churn, v)) => {
            m.churn += v;
            m.churned_customers += 1;
        }
        None => {}
    }
}

/// Adds one customer's frozen-cohort contribution to every period it is in the cohort of and
/// whose end value differs from its start value (see [`PeriodAcc`]).
///
/// `only`: with line segments, `(segment per slot, g)`: only the periods whose t0 has the
/// customer in segment `g`.
fn add_periods(
    ds: &Dataset,
    plan: &Plan,
    scratch: &Scratch,
    periods: &mut [PeriodAcc],
    customer: u32,
    only: Option<(&[u32], u32)>,
) -> Result<(), CoreError> {
    let cur = &scratch.cur;
    let in_segment = |t0: usize| only.is_none_or(|(seg, g)| seg[t0] == g);
    if scratch.bits && !plan.kinds.is_empty() {
        let (changed, mut paying) = (scratch.changed, scratch.paying);
        if only.is_some() {
            for t0 in 0..cur.len() {
                if !in_segment(t0) {
                    paying &= !(1u128 << t0);
                }
            }
        }
        let (mut len, mut near) = (0, 0u128);
        for kind in &plan.kinds {
            if kind.len != len {
                len = kind.len;
                near = within(changed, len);
            }
            let mut todo = near & paying & kind.t0s;
            while todo != 0 {
                let t0 = todo.trailing_zeros() as usize;
                todo &= todo - 1;
                let t1 = t0 + kind.len;
                let (s, e) = (cur[t0], cur[t1]);
                if e != s {
                    let i = kind.index[t0] as usize;
                    add_period(
                        ds,
                        plan,
                        scratch,
                        &mut periods[i],
                        (t0, t1),
                        (s, e),
                        customer,
                    );
                }
            }
        }
        return Ok(());
    }
    let Some(lo) = cur.iter().position(|&v| v > 0) else {
        return Ok(());
    };
    let hi = cur.iter().rposition(|&v| v > 0).unwrap_or(lo);
    let from = plan.by_t0.partition_point(|&(t0, _, _)| (t0 as usize) < lo);
    for &(t0, t1, i) in &plan.by_t0[from..] {
        let (t0, t1) = (t0 as usize, t1 as usize);
        if t0 > hi {
            break;
        }
        let s = cur[t0];
        if s <= 0 || !in_segment(t0) {
            continue;
        }
        let e = if scratch.single_reporting {
            cur[t1]
        } else {
            let e = value_at(plan, scratch, t1, t0);
            periods[i as usize].fx_impact += cur[t1] - e;
            e
        };
        if e != s {
            add_period(
                ds,
                plan,
                scratch,
                &mut periods[i as usize],
                (t0, t1),
                (s, e),
                customer,
            );
        }
    }
    Ok(())
}

/// Bit t set when some bit of `changed` lies in t + 1 ..= t + len: the t0 whose period of
/// length `len` holds a change (`changed` shifted right by 1 ..= len, by doubling).
fn within(changed: u128, len: usize) -> u128 {
    let mut near = changed >> 1; // shifts 1 ..= 1
    let mut covered = 1;
    while covered < len {
        let step = covered.min(len - covered);
        near |= near >> step; // shifts 1 ..= covered + step
        covered += step;
    }
    near
}

/// Adds one cohort customer whose value moved from `s` at t0 to `e` at t1 (in t0's rates).
#[inline]
fn add_period(
    ds: &Dataset,
    plan: &Plan,
    scratch: &Scratch,
    p: &mut PeriodAcc,
    (t0, t1): (usize, usize),
    (s, e): (i128, i128),
    customer: u32,
) {
    let one = scratch.used <= 1;
    let (cap, cap_contraction) = plan.top_caps();
    let ids = &ds.customers;
    if e == 0 && scratch.paused_at(t1) {
        // Paused at t1 (`--pauses zero`): its revenue is lost to the cohort, but it did not
        // churn.
        p.contraction += s;
        p.top_contraction.offer(cap_contraction, s, customer, ids);
    } else if e == 0 {
        p.churn += s;
        p.churned += 1;
        p.top_churn.offer(cap, s, customer, ids);
    } else if e > s {
        p.expansion += e - s;
        p.top_expansion.offer(cap, e - s, customer, ids);
        // A one-month period's reasons are its month's (same snapshots, same rates):
        // `figures` takes them from the monthly sums.
        if t1 > t0 + 1 || scratch.own_reasons {
            p.exp_reason[reason(ds, plan, scratch, t0, t1, t0, one)] += e - s;
        }
    } else if e < s {
        p.contraction += s - e;
        p.top_contraction
            .offer(cap_contraction, s - e, customer, ids);
        if t1 > t0 + 1 || scratch.own_reasons {
            p.con_reason[reason(ds, plan, scratch, t0, t1, t0, one)] += s - e;
        }
    }
}

/// Computes the full report: monthly bridge, periods (months, complete quarters and years)
/// and trailing-twelve-month retention, optionally cut by a segment.
///
/// ```
/// use nrr_core::dataset::{DatasetBuilder, LineInput, Origin, SourceKind};
/// use nrr_core::{date::Date, money::Decimal, engine::{compute, Options}};
///
/// let mut b = DatasetBuilder::new(SourceKind::Items);
/// let f = b.add_file("items.csv");
/// let mut line = |c: &str, amount: &str, start: &str, end: Option<&str>| b.push_line(LineInput {
///     customer: c, currency: "USD", amount: Decimal::parse(amount, 6).unwrap(), interval: 1,
///     start: Date::parse(start).unwrap(), end: end.map(|e| Date::parse(e).unwrap()),
///     origin: Origin { file: f, line: 2 },
/// });
/// line("a", "100", "2024-01-01", Some("2024-02-01"));
/// line("a", "130", "2024-02-01", None);
/// line("b", "50", "2024-01-01", Some("2024-02-10"));
/// let ds = b.finish(None).unwrap();
/// let r = compute(&ds, &Options::default()).unwrap();
/// let feb = r.periods.iter().find(|p| p.period == "2024-02").unwrap();
/// assert_eq!(feb.retention.starting_mrr.to_string(), "150.00");
/// assert_eq!(feb.retention.expansion.to_string(), "30.00");
/// assert_eq!(feb.retention.churn.to_string(), "50.00");
/// assert_eq!(feb.retention.nrr, Some(0.866667));
/// ```
pub fn compute(ds: &Dataset, opts: &Options) -> Result<Report, CoreError> {
    let (from, to) = window(ds, opts)?;
    let mut plan = Plan::with_fiscal_year(ds, from, to, opts.fiscal_year_start);
    plan.top = opts.top;
    let groups = group_by_customer(ds);
    let n_values = opts.segment.as_ref().map_or(1, |s| s.values.len().max(1));
    let seg_of = |c: usize| {
        opts.segment
            .as_ref()
            .map_or(0, |s| s.of_customer[c] as usize)
    };

    // Customers in chunks, each chunk with its own sums and scratch buffers (moving the
    // scratch through a per-customer fold costs more than the work on most customers).
    const CHUNK: usize = 2048;
    let n_customers = ds.customers.len();
    let accs = (0..n_customers.div_ceil(CHUNK))
        .into_par_iter()
        .map(|k| {
            let mut accs = vec![Acc::new(&plan); n_values];
            let mut scratch = Scratch::default();
            for c in k * CHUNK..((k + 1) * CHUNK).min(n_customers) {
                let lines =
                    &groups.order[groups.offsets[c] as usize..groups.offsets[c + 1] as usize];
                let Some(first) = customer_values(ds, &plan, lines, &mut scratch)? else {
                    continue;
                };
                match opts.segment.as_ref().filter(|s| s.by_line.is_some()) {
                    Some(spec) => add_customer_by_line(
                        ds,
                        &plan,
                        (c as u32, first, opts.reactivation),
                        spec,
                        &mut scratch,
                        &mut accs,
                    )?,
                    None => add_customer(
                        ds,
                        &plan,
                        (c as u32, first, opts.reactivation),
                        &scratch,
                        &mut accs[seg_of(c)],
                    )?,
                }
            }
            Ok::<_, CoreError>(accs)
        })
        .try_reduce(
            || vec![Acc::new(&plan); n_values],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(&b) {
                    x.merge(y, &plan, &ds.customers);
                }
                Ok(a)
            },
        )?;

    plan.missing_rates(ds)?;
    let mut total = Acc::new(&plan);
    for a in &accs {
        total.merge(a, &plan, &ds.customers);
    }
    let gm = opts.gross_margin.unwrap_or(Decimal {
        mantissa: 1,
        decimals: 0,
    });
    let share = opts.concentration.unwrap_or(Decimal {
        mantissa: 25,
        decimals: 2,
    });
    let ctx = FigureCtx {
        moved: false,
        pauses: !ds.pauses.is_empty(),
        gm,
        share,
        ids: &ds.customers,
        top: opts.top,
    };
    let totals = figures(&ds.scale, &plan, &total, &ctx);
    let segments = opts.segment.as_ref().map(|spec| Segments {
        column: spec.column.clone(),
        values: spec
            .values
            .iter()
            .zip(&accs)
            .map(|(v, a)| {
                let ctx = FigureCtx {
                    moved: spec.by_line.is_some(),
                    top: 0,
                    ..ctx
                };
                (v.clone(), figures(&ds.scale, &plan, a, &ctx))
            })
            .collect(),
    });
    Ok(Report {
        tool: "nrr",
        version: env!("CARGO_PKG_VERSION"),
        definitions: "docs/metrics.md",
        currency: ds.currency().to_string(),
        policies: Policies {
            reactivation: opts.reactivation.label(),
            ..Policies::default()
        },
        gross_margin: crate::money::format_scaled(i128::from(gm.mantissa), gm.decimals),
        concentration_threshold: crate::money::format_scaled(
            i128::from(share.mantissa),
            share.decimals,
        ),
        window: Window {
            start_month: from,
            end_month: to,
        },
        as_of: as_of(ds, opts),
        fiscal_year_start: opts.fiscal_year_start.max(1),
        inputs: ds.files.clone(),
        rows: ds.ledger.clone(),
        skipped_invalid_rows: opts.skipped_invalid_rows,
        notices: ds.notices.clone(),
        benchmark_context: crate::benchmarks::context_for(ds.currency(), &totals),
        movement_check: None,
        usage: None,
        months: totals.months,
        periods: totals.periods,
        ttm: totals.ttm,
        segment_cuts: segments.iter().cloned().collect(),
        segments,
    })
}

/// The date the report is as of: the one given, else the latest date the data shows as
/// past (the readers' own, such as the latest invoice_date or Stripe timestamp; for items,
/// the latest start_date or end_date not after today; for mrr.csv, the last day of its latest
/// month). `None` without data.
pub fn as_of(ds: &Dataset, opts: &Options) -> Option<AsOf> {
    if let Some(date) = opts.as_of {
        return Some(AsOf {
            date,
            source: "given".into(),
        });
    }
    if let Some((date, source)) = &ds.as_of {
        return Some(AsOf {
            date: *date,
            source: source.clone(),
        });
    }
    let l = &ds.lines;
    match ds.kind {
        SourceKind::Items => {
            let past = |d: &Date| opts.today.is_none_or(|t| *d <= t);
            let latest = l
                .start_date
                .iter()
                .chain(l.end_date.iter().flatten())
                .filter(|d| past(d))
                .max()?;
            Some(AsOf {
                date: *latest,
                source: if opts.today.is_some() {
                    "the latest start_date or end_date not after today".into()
                } else {
                    "the latest start_date or end_date".into()
                },
            })
        }
        SourceKind::Mrr => {
            let last = l.start_date.iter().max()?;
            Some(AsOf {
                date: last.month().last_day(),
                source: "the last day of the latest month".into(),
            })
        }
    }
}

/// The window from the options or the dataset's default. The default ends at the as-of month
/// (never after it) when the data shows an as-of date, else at the latest month a line starts
/// or ends in.
pub fn window(ds: &Dataset, opts: &Options) -> Result<(Month, Month), CoreError> {
    let default = ds.default_window;
    let from = opts
        .from
        .or(default.map(|w| w.0))
        .ok_or(CoreError::NoData)?;
    let as_of = as_of(ds, opts);
    let default_to = as_of
        .as_ref()
        .map(|a| a.date.month())
        .or(default.map(|w| w.1));
    let to = opts.to.or(default_to).unwrap_or(from);
    if from > to {
        return Err(CoreError::BadWindow { from, to });
    }
    let months = i64::from(to.index()) - i64::from(from.index()) + 1;
    if months > i64::from(MAX_WINDOW_MONTHS) {
        // Name the lines that stretch a default end of the window.
        let l = &ds.lines;
        let line_at = |pick: &dyn Fn(usize) -> bool| {
            (0..l.len()).find(|&i| pick(i)).map(|i| {
                let o = l.origin[i];
                let file = ds.files.get(usize::from(o.file)).map_or("", String::as_str);
                format!("{file}:{}", o.line)
            })
        };
        let mut cause = Vec::new();
        if opts.from.is_none() {
            if let Some(at) = line_at(&|i| l.start[i] == from) {
                cause.push(crate::Stretch::LineStarts { at, month: from });
            }
        }
        if opts.to.is_none() {
            let ends_at = |i: usize| {
                l.start[i] == to || (l.end[i] == to && l.end[i] != crate::dataset::OPEN_END)
            };
            // The default end is the as-of month: a line there, else where that date comes
            // from.
            if let Some(d) = opts.as_of {
                cause.push(crate::Stretch::AsOfGiven(d));
            } else if let Some(at) = line_at(&ends_at) {
                cause.push(crate::Stretch::LineRuns { at, month: to });
            } else if let Some(a) = &as_of {
                cause.push(crate::Stretch::AsOfFound {
                    date: a.date,
                    source: a.source.clone(),
                });
            }
        }
        return Err(CoreError::WindowTooLong {
            from,
            to,
            months,
            cause: (!cause.is_empty()).then_some(cause),
        });
    }
    Ok((from, to))
}

/// The longest window reported: 1,200 months (100 years). A longer one (a line dated
/// 9999-12-31 for "never", a year typed as 0024) is refused with the line that stretches it,
/// as its figures would need memory for every month of every customer.
pub const MAX_WINDOW_MONTHS: u32 = 1200;

/// What `figures` needs besides the sums.
struct FigureCtx<'a> {
    /// Rows carry moved_in / moved_out (segments taken from the lines).
    moved: bool,
    /// Rows carry paused / resumed (the dataset has pauses: `--pauses zero`).
    pauses: bool,
    gm: Decimal,
    share: Decimal,
    ids: &'a crate::dataset::Ids,
    /// Entries per `top_customers` list (0: none).
    top: usize,
}

fn figures(scale: &Scale, plan: &Plan, acc: &Acc, ctx: &FigureCtx<'_>) -> SegmentFigures {
    let gm = ctx.gm;
    let m = |u: i128| scale.money(u);
    let exp = |r: &[i128; REASONS]| crate::report::ExpansionByReason {
        seats: m(r[0]),
        price: m(r[1]),
        plan: m(r[2]),
        cross_sell: m(r[3]),
        interval: m(r[4]),
        mixed: m(r[5]),
    };
    let con = |r: &[i128; REASONS]| crate::report::ContractionByReason {
        seats: m(r[0]),
        price: m(r[1]),
        plan: m(r[2]),
        product_removed: m(r[3]),
        interval: m(r[4]),
        mixed: m(r[5]),
    };
    // closing[s] and customers[s] from the per-slot differences; opening[s] = closing[s - 1].
    let mut closing = Vec::with_capacity(plan.slots);
    let mut customers = Vec::with_capacity(plan.slots);
    let (mut run, mut count) = (0i128, 0i64);
    for a in &acc.months {
        run += a.d_closing;
        count += a.d_customers;
        closing.push(run);
        customers.push(count as u64);
    }
    let months = (1..plan.slots)
        .map(|s| {
            let a = &acc.months[s];
            MonthRow {
                month: plan.month(s),
                opening_mrr: m(closing[s - 1]),
                new: m(a.new),
                reactivation: m(a.reactivation),
                expansion: m(a.expansion),
                contraction: m(a.contraction),
                churn: m(a.churn),
                fx: m(a.fx),
                moved_in: ctx.moved.then(|| m(a.moved_in)),
                moved_out: ctx.moved.then(|| m(a.moved_out)),
                paused: ctx.pauses.then(|| m(a.paused)),
                resumed: ctx.pauses.then(|| m(a.resumed)),
                closing_mrr: m(closing[s]),
                customers: customers[s],
                new_customers: a.new_customers,
                reactivated_customers: a.reactivated_customers,
                churned_customers: a.churned_customers,
                paused_customers: ctx.pauses.then_some(a.paused_customers),
                resumed_customers: ctx.pauses.then_some(a.resumed_customers),
                expansion_by_reason: exp(&a.exp_reason),
                contraction_by_reason: con(&a.con_reason),
                notes: Vec::new(),
                exact: Default::default(),
            }
        })
        .collect();
    let bridge = |spec: &PeriodSpec| {
        let ms = &acc.months[spec.t0 + 1..=spec.t1];
        let sum = |f: fn(&MonthAcc) -> i128| m(ms.iter().map(f).sum());
        Bridge {
            opening: m(closing[spec.t0]),
            new: sum(|x| x.new),
            reactivation: sum(|x| x.reactivation),
            expansion: sum(|x| x.expansion),
            contraction: sum(|x| x.contraction),
            churn: sum(|x| x.churn),
            fx: sum(|x| x.fx),
            paused: ctx.pauses.then(|| sum(|x| x.paused)),
            resumed: ctx.pauses.then(|| sum(|x| x.resumed)),
            moved_in: ctx.moved.then(|| sum(|x| x.moved_in)),
            moved_out: ctx.moved.then(|| sum(|x| x.moved_out)),
            closing: m(closing[spec.t1]),
            exact: Default::default(),
        }
    };
    // The cohort of a period is every customer paying at t0: its size and starting MRR are
    // the month sums at t0 (see `PeriodAcc`).
    let retention_of =
        |p: &PeriodAcc, spec: &PeriodSpec, er: &[i128; REASONS], cr: &[i128; REASONS]| {
            let (starting, cohort) = (closing[spec.t0], customers[spec.t0]);
            let ending = starting + p.expansion - p.contraction - p.churn;
            Retention {
                starting_mrr: m(starting),
                expansion: m(p.expansion),
                contraction: m(p.contraction),
                churn: m(p.churn),
                ending_cohort_mrr: m(ending),
                nrr: ratio(ending, starting),
                grr: ratio(starting - p.contraction - p.churn, starting),
                cohort_customers: cohort,
                churned_customers: p.churned,
                logo_churn_rate: ratio(i128::from(p.churned), i128::from(cohort)),
                fx_impact: m(p.fx_impact),
                expansion_by_reason: exp(er),
                contraction_by_reason: con(cr),
                exact: Default::default(),
            }
        };
    let retention = |p: &PeriodAcc, spec: &PeriodSpec| {
        if spec.t1 == spec.t0 + 1 && !ctx.moved {
            // The month's reasons, without returns counted as expansion (not in the cohort).
            let month = &acc.months[spec.t1];
            let mut er = month.exp_reason;
            for (x, y) in er.iter_mut().zip(&month.return_reason) {
                *x -= y;
            }
            retention_of(p, spec, &er, &month.con_reason)
        } else {
            retention_of(p, spec, &p.exp_reason, &p.con_reason)
        }
    };

    let metrics = |spec: &PeriodSpec| {
        let ms = &acc.months[spec.t0 + 1..=spec.t1];
        let sum = |f: fn(&MonthAcc) -> i128| ms.iter().map(f).sum::<i128>();
        let count = |f: fn(&MonthAcc) -> u64| ms.iter().map(f).sum::<u64>();
        let (opening, end) = (closing[spec.t0], closing[spec.t1]);
        let (churn, contraction) = (sum(|x| x.churn), sum(|x| x.contraction));
        let (expansion, reactivation, new) = (
            sum(|x| x.expansion),
            sum(|x| x.reactivation),
            sum(|x| x.new),
        );
        let customers_end = customers[spec.t1];
        let openings: i128 = closing[spec.t0..spec.t1].iter().sum();
        let denom = scale.denominator();
        let ltv = (customers_end > 0 && churn > 0)
            .then(|| {
                // LTV = (end / customers) * gm / (churn / openings), in cents, exactly rounded.
                let units = mul_div_round(
                    &[end, i128::from(gm.mantissa), openings, 100],
                    &[
                        denom,
                        10i128.pow(gm.decimals),
                        i128::from(customers_end),
                        churn,
                    ],
                )?;
                // Beyond 10^30 cents (a churn near zero against huge amounts) there is no
                // meaningful LTV, and showing it would overflow: none, as with no churn.
                (units.unsigned_abs() < 10u128.pow(30)).then_some(Money {
                    units,
                    denominator: 100,
                })
            })
            .flatten();
        PeriodMetrics {
            arr: m(12 * end),
            arpa: (customers_end > 0).then(|| Money {
                units: end,
                denominator: denom * i128::from(customers_end),
            }),
            customers_start: customers[spec.t0],
            customers_new: count(|x| x.new_customers),
            customers_reactivated: count(|x| x.reactivated_customers),
            customers_churned: count(|x| x.churned_customers),
            customers_end,
            revenue_churn_rate: ratio(churn, opening),
            net_mrr_churn_rate: ratio(churn + contraction - expansion - reactivation, opening),
            quick_ratio: ratio(new + reactivation + expansion, contraction + churn),
            ltv,
            exact: Default::default(),
        }
    };
    let concentration = |p: &PeriodAcc| {
        let mut out = Vec::new();
        for (movement, top, total) in [
            ("expansion", p.top_expansion.first(), p.expansion),
            ("churn", p.top_churn.first(), p.churn),
        ] {
            // top / total > share, compared exactly: top * 10^d > share_mantissa * total.
            let over = top.amount > 0
                && top.amount * 10i128.pow(ctx.share.decimals)
                    > i128::from(ctx.share.mantissa) * total;
            if over {
                out.push(crate::report::Concentration {
                    movement,
                    customer_id: ctx.ids.get(top.customer as usize).to_string(),
                    amount: m(top.amount),
                    share: ratio(top.amount, total),
                });
            }
        }
        out
    };
    let top_customers = |p: &PeriodAcc| {
        let list = |l: &TopList, total: i128| {
            l.0.iter()
                .take(ctx.top)
                .map(|t| crate::report::TopCustomer {
                    customer_id: ctx.ids.get(t.customer as usize).to_string(),
                    amount: m(t.amount),
                    share: ratio(t.amount, total),
                })
                .collect()
        };
        crate::report::TopCustomers {
            churn: list(&p.top_churn, p.churn),
            contraction: list(&p.top_contraction, p.contraction),
            expansion: list(&p.top_expansion, p.expansion),
        }
    };
    let mut periods = Vec::new();
    let mut ttm = Vec::new();
    for (i, spec) in plan.periods.iter().enumerate() {
        let p = &acc.periods[i];
        if i < plan.ttm_from {
            let (name, granularity) = plan.labels[i].clone();
            periods.push(PeriodRow {
                period: name,
                granularity,
                start_month: plan.month(spec.t0 + 1),
                end_month: plan.month(spec.t1),
                retention: retention(p, spec),
                bridge: bridge(spec),
                metrics: metrics(spec),
                notes: Vec::new(),
                concentration: concentration(p),
                top_customers: top_customers(p),
            });
        } else {
            ttm.push(TtmRow {
                month: plan.month(spec.t1),
                t0: plan.month(spec.t0),
                retention: retention(p, spec),
                bridge: bridge(spec),
                metrics: metrics(spec),
                concentration: concentration(p),
                top_customers: top_customers(p),
            });
        }
    }
    SegmentFigures {
        months,
        periods,
        ttm,
    }
}

/// The engine's kernels one at a time, for micro-benchmarks (`benches/kernels.rs`); not a
/// stable API.
#[doc(hidden)]
pub mod kernels {
    use super::*;

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
            let lines =
                &p.groups.order[p.groups.offsets[c] as usize..p.groups.offsets[c + 1] as usize];
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
        let mut months = vec![MonthAcc::default(); p.plan.slots];
        each(ds, p, |first, s| {
            add_months(ds, &p.plan, (first, Reactivation::AnyGap), s, &mut months)
        });
        months.iter().map(|m| m.churn).sum()
    }

    /// Sweep plus frozen-cohort retention for every period; returns the total of expansion,
    /// contraction and churn over all periods.
    pub fn retention(ds: &Dataset, p: &Prepared) -> i128 {
        let mut periods = vec![PeriodAcc::default(); p.plan.periods.len()];
        each(ds, p, |_, s| {
            let _ = add_periods(ds, &p.plan, s, &mut periods, 0, None);
        });
        periods
            .iter()
            .map(|x| x.expansion + x.contraction + x.churn)
            .sum()
    }
}

/// Attaches notes to the report's month and period rows (segments included) whose label
/// equals the note's period (`2024-03`, `2024-Q1`, `2024`).
pub fn attach_notes(report: &mut Report, notes: &[crate::report::Note]) {
    fn attach(
        f_months: &mut [MonthRow],
        f_periods: &mut [PeriodRow],
        notes: &[crate::report::Note],
    ) {
        for m in f_months.iter_mut() {
            let label = m.month.to_string();
            m.notes = notes
                .iter()
                .filter(|n| n.period == label)
                .cloned()
                .collect();
        }
        for p in f_periods.iter_mut() {
            p.notes = notes
                .iter()
                .filter(|n| n.period == p.period)
                .cloned()
                .collect();
        }
    }
    attach(&mut report.months, &mut report.periods, notes);
    // Notes for periods the report does not show are named, not dropped silently.
    let shown = |n: &crate::report::Note| {
        report
            .months
            .iter()
            .any(|m| m.month.to_string() == n.period)
            || report.periods.iter().any(|p| p.period == n.period)
    };
    let outside: Vec<&str> = notes
        .iter()
        .filter(|n| !shown(n))
        .map(|n| n.period.as_str())
        .collect();
    if !outside.is_empty() {
        let mut periods: Vec<&str> = outside.clone();
        periods.sort_unstable();
        periods.dedup();
        let more = periods.len().saturating_sub(10);
        periods.truncate(10);
        report.notices.push(format!(
            "annotations.csv: {} note{} for periods the report does not show ({}{}) {} not shown; periods are months, and quarters and years wholly inside the window",
            outside.len(),
            if outside.len() == 1 { "" } else { "s" },
            periods.join(", "),
            if more > 0 { format!(", ... and {more} more") } else { String::new() },
            if outside.len() == 1 { "is" } else { "are" },
        ));
    }
    for seg in report
        .segments
        .iter_mut()
        .chain(report.segment_cuts.iter_mut())
    {
        for f in seg.values.values_mut() {
            attach(&mut f.months, &mut f.periods, notes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::within;

    /// `within` against its definition: bit t set when a bit of `changed` is in t+1..=t+len.
    #[test]
    fn within_marks_the_t0_whose_period_holds_a_change() {
        let samples: [u128; 6] = [0, 1, 1 << 5, (1 << 5) | (1 << 40), u128::MAX, 1 << 127];
        for changed in samples {
            for len in [1usize, 2, 3, 5, 12, 13, 24, 127] {
                let mut want = 0u128;
                for t in 0..128usize {
                    if (t + 1..=(t + len).min(127)).any(|c| changed >> c & 1 == 1) {
                        want |= 1 << t;
                    }
                }
                assert_eq!(
                    within(changed, len),
                    want,
                    "changed {changed:#x}, len {len}"
                );
            }
        }
    }
}
