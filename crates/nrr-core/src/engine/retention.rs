//! Frozen-cohort retention: one customer's contribution to every period whose cohort it is
//! in.

use super::plan::Plan;
use super::series::{value_at, Scratch};
use super::sums::PeriodSums;
use crate::dataset::Dataset;
use crate::CoreError;

/// Adds one customer's frozen-cohort contribution to every period it is in the cohort of and
/// whose end value differs from its start value (see [`PeriodSums`]).
///
/// `only`: with line segments, `(segment per slot, g)`: only the periods whose t0 has the
/// customer in segment `g`.
pub(super) fn add_periods(
    ds: &Dataset,
    plan: &Plan,
    scratch: &Scratch,
    periods: &mut [PeriodSums],
    customer: u32,
    only: Option<(&[u32], u32)>,
) -> Result<(), CoreError> {
    let cur = &scratch.cur;
    let in_segment = |t0: usize| only.is_none_or(|(segments, g)| segments[t0] == g);
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
                        CohortChange {
                            t0,
                            t1,
                            start: s,
                            end: e,
                            customer,
                        },
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
                CohortChange {
                    t0,
                    t1,
                    start: s,
                    end: e,
                    customer,
                },
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

/// A cohort customer whose value moved over a period: from `start` at slot `t0` to `end` at
/// slot `t1` (both at t0's rates).
#[derive(Clone, Copy, Debug)]
struct CohortChange {
    t0: usize,
    t1: usize,
    start: i128,
    end: i128,
    customer: u32,
}

/// Adds one cohort customer's change to its period's sums.
#[inline]
fn add_period(
    ds: &Dataset,
    plan: &Plan,
    scratch: &Scratch,
    p: &mut PeriodSums,
    change: CohortChange,
) {
    let CohortChange {
        t0,
        t1,
        start: s,
        end: e,
        customer,
    } = change;
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
            p.exp_reason[scratch.reason(ds, plan, t0, t1) as usize] += e - s;
        }
    } else if e < s {
        p.contraction += s - e;
        p.top_contraction
            .offer(cap_contraction, s - e, customer, ids);
        if t1 > t0 + 1 || scratch.own_reasons {
            p.con_reason[scratch.reason(ds, plan, t0, t1) as usize] += s - e;
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
