//! One customer's values: its month-end MRR per slot (value(i, i)), at the previous month's
//! rates (value(i, i - 1)), per currency, its pauses and its distinct sets of active lines.

use super::attribution::{reason_between, summarise, Reason, Summaries};
use super::plan::Plan;
use crate::dataset::Dataset;
use crate::date::Month;
use crate::CoreError;
use std::sync::atomic::Ordering;

/// Per-thread buffers for one customer's month-end MRR.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// Per currency of the customer: (currency, native MRR per slot).
    pub(crate) series: Vec<(u16, Vec<i128>)>,
    pub(super) used: usize,
    /// value(i, i) per slot.
    pub(crate) cur: Vec<i128>,
    /// value(i, i - 1) per slot (slot 0 unused); left empty when `single_reporting`.
    pub(crate) constant_currency: Vec<i128>,
    /// All of the customer's MRR is in the reporting currency: every rate is 1, so
    /// value(i, j) = cur[i] for any j.
    pub(crate) single_reporting: bool,
    /// When `single_reporting` and the window has at most 128 slots: bit s set when
    /// cur[s] != cur[s - 1] (s >= 1) ...
    pub(super) changed: u128,
    /// ... and bit s set when cur[s] > 0. Both are `None`-like (unused) otherwise.
    pub(super) paying: u128,
    /// `changed` and `paying` are valid.
    pub(super) bits: bool,
    /// Line segments: the customer's segment value per slot (`u32::MAX` where it pays
    /// nothing).
    pub(crate) segments: Vec<u32>,
    /// Per slot: the customer is paused (`--pauses zero`); empty when it never is.
    pub(crate) paused: Vec<bool>,
    /// One-month periods compute their own expansion and contraction reasons (line
    /// segments) instead of taking their month's.
    pub(super) own_reasons: bool,
    /// The customer's lines.
    pub(crate) lines: Vec<u32>,
    /// Per slot: index into `mask_set` of the set of the customer's lines active then.
    pub(super) mask_id: Vec<u8>,
    /// The distinct sets of active lines (bit k = the customer's k-th line).
    pub(super) mask_set: Vec<u64>,
    /// Reason between two sets, `mask_set.len()` squared entries; `None` = not yet known.
    pub(super) reason_cache: std::cell::RefCell<Vec<Option<Reason>>>,
    /// Per slot: bit k set when the customer's k-th line is active (reused buffer).
    pub(super) masks: Vec<u64>,
    /// Per distinct line set, its lines summarised by product (for expansion reasons).
    pub(crate) summaries: Summaries,
}

impl Scratch {
    /// Whether the customer is paused at slot `s`.
    #[inline]
    pub(crate) fn paused_at(&self, s: usize) -> bool {
        self.paused.get(s).copied().unwrap_or(false)
    }

    /// The reason for the customer's change between slots `a` and `b`, its lines valued at
    /// the rates of slot `a`. A customer's set of active lines changes only a few times, so
    /// for a customer in one currency (whose reasons then do not depend on the rates) reasons
    /// are cached per pair of line sets and worked out from the sets' per-product summaries.
    pub(crate) fn reason(&self, ds: &Dataset, plan: &Plan, a: usize, b: usize) -> Reason {
        let one_currency = self.used <= 1;
        if !one_currency {
            return reason_between(ds, plan, &self.lines, a, b);
        }
        let sets = self.set_ids(a, b);
        if let Some((x, y)) = sets {
            let cached = self
                .reason_cache
                .borrow()
                .get(x * self.mask_set.len() + y)
                .copied();
            if let Some(why) = cached.flatten() {
                return why;
            }
        }
        let why = match sets.and_then(|(x, y)| self.summaries.compare(x, y)) {
            Some(why) => why,
            None => reason_between(ds, plan, &self.lines, a, b),
        };
        if let Some((x, y)) = sets {
            let mut cache = self.reason_cache.borrow_mut();
            if let Some(v) = cache.get_mut(x * self.mask_set.len() + y) {
                *v = Some(why);
            }
        }
        why
    }

    /// The distinct-line-set ids of slots `a` and `b`, when tracked.
    fn set_ids(&self, a: usize, b: usize) -> Option<(usize, usize)> {
        Some((
            usize::from(*self.mask_id.get(a)?),
            usize::from(*self.mask_id.get(b)?),
        ))
    }

    /// Per currency of the customer, its native MRR per slot. Only valid when not
    /// [`Scratch::single_reporting`] (the fast path of a customer in the reporting currency
    /// fills `cur` alone).
    pub(crate) fn native_series(&self) -> &[(u16, Vec<i128>)] {
        &self.series[..self.used]
    }

    /// value(i, i - 1) for slot `i`: the month's MRR at the previous month's rates.
    #[inline]
    pub(crate) fn at_constant_currency(&self, i: usize) -> i128 {
        if self.single_reporting {
            self.cur[i]
        } else {
            self.constant_currency[i]
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
    scratch.used = 0;
    // Which of the customer's lines are active at each slot (one bit per line, for the
    // first 64 lines): the key of the expansion-reason cache.
    // A customer with one line never expands or contracts (the line is there or not): only
    // customers with several lines need the line sets behind expansion reasons.
    let mut masks = std::mem::take(&mut scratch.masks);
    masks.clear();
    if lines.len() > 1 {
        masks.resize(plan.slots, 0);
    }
    let one_currency = lines
        .iter()
        .all(|&i| l.currency[i as usize] == ds.reporting);
    scratch.bits = one_currency && plan.slots <= 128;
    if one_currency {
        reporting_values(ds, plan, lines, &mut masks, scratch);
        scratch.masks = masks;
        line_sets(ds, lines, scratch);
        return Ok(Some(first));
    }
    native_series(ds, plan, lines, &mut masks, scratch);
    scratch.masks = masks;
    line_sets(ds, lines, scratch);
    converted_values(ds, plan, scratch);
    Ok(Some(first))
}

/// The slots `a..b` line `i` is active in, within the window; `None` when none.
#[inline]
fn active_slots(ds: &Dataset, plan: &Plan, i: usize) -> Option<(usize, usize)> {
    let base = plan.base.index();
    let a = (ds.lines.start[i].index() - base).max(0);
    let b = (ds.lines.end[i].index() - base).min(plan.slots as i32);
    (a < b).then_some((a as usize, b as usize))
}

/// The values of a customer whose lines are all in the reporting currency (the fast path):
/// straight into `cur` from a difference array, with the `changed` and `paying` bits when
/// [`Scratch::bits`]; the slots where the value can change are the lines' first and end
/// slots. `masks` (empty: not tracked) gets each line's active slots.
#[inline]
fn reporting_values(
    ds: &Dataset,
    plan: &Plan,
    lines: &[u32],
    masks: &mut [u64],
    scratch: &mut Scratch,
) {
    let l = &ds.lines;
    let n = plan.slots;
    let track = !masks.is_empty();
    let one = ds.scale.rate_one();
    let cur = &mut scratch.cur;
    cur.clear();
    cur.resize(n + 1, 0);
    let (mut edges, mut paying) = (0u128, 0u128);
    for (k, &i) in lines.iter().enumerate() {
        let i = i as usize;
        let Some((a, b)) = active_slots(ds, plan, i) else {
            continue;
        };
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
    scratch.constant_currency.clear();
    scratch.single_reporting = true;
    scratch.used = 1;
}

/// The native MRR per slot of each currency of the customer's lines (`scratch.series`, the
/// first `scratch.used`). `masks` (empty: not tracked) gets each line's active slots.
#[inline]
fn native_series(
    ds: &Dataset,
    plan: &Plan,
    lines: &[u32],
    masks: &mut [u64],
    scratch: &mut Scratch,
) {
    let l = &ds.lines;
    let n = plan.slots;
    let track = !masks.is_empty();
    for (k, &i) in lines.iter().enumerate() {
        let i = i as usize;
        let Some((a, b)) = active_slots(ds, plan, i) else {
            continue;
        };
        if track && k < 64 {
            for m in &mut masks[a..b] {
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
        d[a] += i128::from(l.mrr[i]);
        d[b] -= i128::from(l.mrr[i]);
    }
    for s in &mut scratch.series[..scratch.used] {
        let mut run = 0;
        for v in s.1.iter_mut() {
            run += *v;
            *v = run;
        }
    }
}

/// `cur` and `constant_currency` from the per-currency series, at each slot's rates and at
/// the previous slot's.
#[inline]
fn converted_values(ds: &Dataset, plan: &Plan, scratch: &mut Scratch) {
    let n = plan.slots;
    scratch.cur.clear();
    scratch.cur.resize(n, 0);
    scratch.constant_currency.clear();
    scratch.single_reporting = scratch.used == 1 && scratch.series[0].0 == ds.reporting;
    if scratch.single_reporting || scratch.used == 0 {
        let one = ds.scale.rate_one();
        if let Some((_, series)) = scratch.series[..scratch.used].first() {
            for (c, &v) in scratch.cur.iter_mut().zip(series) {
                *c = v * one;
            }
        }
        scratch.single_reporting = true;
        return;
    }
    scratch.constant_currency.resize(n, 0);
    for (ccy, series) in &scratch.series[..scratch.used] {
        let rates = &plan.rates[usize::from(*ccy)];
        for (s, &v) in series.iter().enumerate().take(n) {
            if v != 0 {
                scratch.cur[s] += v * rate(plan, rates, *ccy, s);
            }
        }
    }
    // constant_currency (this month's lines at last month's rates) is only defined where the
    // customer paid last month: ask for no rate the definitions do not use.
    for (ccy, series) in &scratch.series[..scratch.used] {
        let rates = &plan.rates[usize::from(*ccy)];
        for (s, &v) in series.iter().enumerate().take(n).skip(1) {
            if v != 0 && scratch.cur[s - 1] != 0 {
                scratch.constant_currency[s] += v * rate(plan, rates, *ccy, s - 1);
            }
        }
    }
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
        cache.resize(scratch.mask_set.len() * scratch.mask_set.len(), None);
    }
    summarise(ds, lines, &scratch.mask_set, &mut scratch.summaries);
}

/// The rate of `ccy` at `slot`; a rate not in force is noted in the plan (see
/// [`Plan::missing_rates`]) and counts as 0, so that one run finds every missing one.
#[inline]
pub(super) fn rate(plan: &Plan, rates: &[Option<i128>], ccy: u16, slot: usize) -> i128 {
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
