//! Footing a period (or TTM) row of every set: its bridge from the months as shown, its
//! cohort, its ARR.

use super::round::{adds_up, Cents};
use super::*;

/// One period (or TTM) row of a set.
pub(super) struct Period<'a> {
    pub(super) t0: Month,
    pub(super) t1: Month,
    pub(super) retention: &'a mut Retention,
    pub(super) bridge: &'a mut Bridge,
    pub(super) metrics: &'a mut PeriodMetrics,
}

/// The totals' row of a period, exact (as computed) and shown (as footed so far).
#[derive(Clone, Copy)]
pub(super) struct PeriodTotals<'t> {
    pub(super) exact_retention: &'t Retention,
    pub(super) exact_bridge: &'t Bridge,
    pub(super) shown_retention: &'t Retention,
    pub(super) shown_bridge: &'t Bridge,
}

impl<'t> PeriodTotals<'t> {
    fn bridges(self) -> (&'t Bridge, &'t Bridge) {
        (self.exact_bridge, self.shown_bridge)
    }

    fn retentions(self) -> (&'t Retention, &'t Retention) {
        (self.exact_retention, self.shown_retention)
    }
}

/// A period of every set: its bridge (the sum of its months as shown), its cohort, ARR.
pub(super) fn foot_period(
    parts: &mut [Period<'_>],
    memos: &[Memo],
    total: Option<PeriodTotals<'_>>,
) {
    // Bridge balances: the months' shown balances.
    let balance =
        |f: fn(&Bridge) -> Money, month: fn(&Period<'_>) -> Month, tot: Option<(Cents, i128)>| {
            let from_memo: Vec<Option<i128>> = parts
                .iter()
                .zip(memos)
                .map(|(p, memo)| memo.balance(month(p), f(p.bridge)))
                .collect();
            if from_memo.iter().all(Option::is_some) {
                from_memo.into_iter().flatten().collect()
            } else {
                round_column(
                    parts.iter().map(|p| Cents::of(f(p.bridge), 1)).collect(),
                    tot,
                )
            }
        };
    let tot_bal = |f: fn(&Bridge) -> Money| {
        total
            .map(PeriodTotals::bridges)
            .map(|(e, s)| (Cents::of(f(e), 1), Cents::of(f(s), 1).round()))
    };
    let opening = balance(|b| b.opening, |p| p.t0, tot_bal(|b| b.opening));
    let closing = balance(|b| b.closing, |p| p.t1, tot_bal(|b| b.closing));
    // Movements: the sums of the months' shown movements, where the months are all there and
    // add up to the period's exactly; else rounded as a month is.
    let summed: Vec<Option<[i128; 10]>> = parts
        .iter()
        .zip(memos)
        .map(|(p, memo)| months_sum(memo, p.t0, p.t1, &bridge_flows(p.bridge)))
        .collect();
    let v: Vec<Vec<Cents>> = parts
        .iter()
        .map(|p| bridge_flows(p.bridge).to_vec())
        .collect();
    let y: Vec<Vec<i128>> = if summed.iter().all(Option::is_some) {
        summed.into_iter().flatten().map(|a| a.to_vec()).collect()
    } else {
        let row_exact: Vec<Cents> = parts
            .iter()
            .map(|p| Cents::of(p.bridge.closing.minus(p.bridge.opening), 1))
            .collect();
        let targets: Vec<i128> = closing.iter().zip(&opening).map(|(c, o)| c - o).collect();
        let cols = total
            .map(PeriodTotals::bridges)
            .map(|(e, s)| flow_columns(&bridge_flows(e), &bridge_flows(s), &v));
        round_rows(v.clone(), &row_exact, &targets, cols, FLOWS.len())
    };
    foot_cohort(parts, memos, total);
    for (k, p) in parts.iter_mut().enumerate() {
        let b = &mut *p.bridge;
        let arr_is_12x = same(p.metrics.arr, times(b.closing, 12));
        let ex = &mut b.exact;
        show(ex, "opening", &mut b.opening, opening[k]);
        show(ex, "closing", &mut b.closing, closing[k]);
        set_flows(ex, flow_fields!(mut b), &y[k]);
        let mt = &mut *p.metrics;
        let arr = if arr_is_12x {
            12 * closing[k]
        } else {
            Cents::of(mt.arr, 1).round()
        };
        show(&mut mt.exact, "arr", &mut mt.arr, arr);
        // Derived values, not sums: one too large for cents in i128 (an LTV over a churn near
        // zero) is left as computed.
        if let Some(a) = mt.arpa.as_mut() {
            if let Some(c) = Cents::try_of(*a, 1) {
                show(&mut mt.exact, "arpa", a, c.round());
            }
        }
        if let Some(l) = mt.ltv.as_mut() {
            if let Some(c) = Cents::try_of(*l, 1) {
                show(&mut mt.exact, "ltv", l, c.round());
            }
        }
    }
}

/// The shown movements of the months after `t0` up to `t1`, summed, when every one is in the
/// memo and their exact sum is the period's.
fn months_sum(memo: &Memo, t0: Month, t1: Month, exact: &[Cents; 10]) -> Option<[i128; 10]> {
    let mut sum = [0i128; 10];
    let mut parts: Vec<[Cents; 10]> = Vec::new();
    let mut m = t0.plus(1);
    while m <= t1 {
        let (e, y) = memo.flows.get(&m)?;
        for k in 0..10 {
            sum[k] += y[k];
        }
        parts.push(*e);
        m = m.plus(1);
    }
    (0..10)
        .all(|k| adds_up(&parts.iter().map(|p| p[k]).collect::<Vec<_>>(), exact[k]))
        .then_some(sum)
}

/// A period's frozen cohort in every set: starting (the shown balance at t0), ending, the
/// movements between them, FX impact, reasons.
fn foot_cohort(parts: &mut [Period<'_>], memos: &[Memo], total: Option<PeriodTotals<'_>>) {
    let tot = |f: fn(&Retention) -> Money| {
        total
            .map(PeriodTotals::retentions)
            .map(|(e, s)| (Cents::of(f(e), 1), Cents::of(f(s), 1).round()))
    };
    let from_memo: Vec<Option<i128>> = parts
        .iter()
        .zip(memos)
        .map(|(p, memo)| memo.balance(p.t0, p.retention.starting_mrr))
        .collect();
    let starting: Vec<i128> = if from_memo.iter().all(Option::is_some) {
        from_memo.into_iter().flatten().collect()
    } else {
        round_column(
            parts
                .iter()
                .map(|p| Cents::of(p.retention.starting_mrr, 1))
                .collect(),
            tot(|r| r.starting_mrr),
        )
    };
    let ending = round_column(
        parts
            .iter()
            .map(|p| Cents::of(p.retention.ending_cohort_mrr, 1))
            .collect(),
        tot(|r| r.ending_cohort_mrr),
    );
    let fx = round_column(
        parts
            .iter()
            .map(|p| Cents::of(p.retention.fx_impact, 1))
            .collect(),
        tot(|r| r.fx_impact),
    );
    let v: Vec<Vec<Cents>> = parts
        .iter()
        .map(|p| cohort_flows(p.retention).to_vec())
        .collect();
    let row_exact: Vec<Cents> = parts
        .iter()
        .map(|p| {
            Cents::of(
                p.retention
                    .ending_cohort_mrr
                    .minus(p.retention.starting_mrr),
                1,
            )
        })
        .collect();
    let targets: Vec<i128> = ending.iter().zip(&starting).map(|(e, s)| e - s).collect();
    let cols = total
        .map(PeriodTotals::retentions)
        .map(|(e, s)| pairs(&cohort_flows(e), &cohort_flows(s)));
    let y = round_rows(v.clone(), &row_exact, &targets, cols, 3);
    let exp_y = round_rows(
        parts
            .iter()
            .map(|p| exp_reasons(&p.retention.expansion_by_reason).to_vec())
            .collect(),
        &v.iter().map(|r| r[0]).collect::<Vec<_>>(),
        &y.iter().map(|r| r[0]).collect::<Vec<_>>(),
        total.map(PeriodTotals::retentions).map(|(e, s)| {
            pairs(
                &exp_reasons(&e.expansion_by_reason),
                &exp_reasons(&s.expansion_by_reason),
            )
        }),
        6,
    );
    let con_y = round_rows(
        parts
            .iter()
            .map(|p| con_reasons(&p.retention.contraction_by_reason).to_vec())
            .collect(),
        &v.iter().map(|r| negate(r[1])).collect::<Vec<_>>(),
        &y.iter().map(|r| -r[1]).collect::<Vec<_>>(),
        total.map(PeriodTotals::retentions).map(|(e, s)| {
            pairs(
                &con_reasons(&e.contraction_by_reason),
                &con_reasons(&s.contraction_by_reason),
            )
        }),
        6,
    );
    for (k, p) in parts.iter_mut().enumerate() {
        let r = &mut *p.retention;
        let ex = &mut r.exact;
        show(ex, "starting_mrr", &mut r.starting_mrr, starting[k]);
        show(ex, "ending_cohort_mrr", &mut r.ending_cohort_mrr, ending[k]);
        show(ex, "fx_impact", &mut r.fx_impact, fx[k]);
        show(ex, COHORT[0].0, &mut r.expansion, y[k][0]);
        show(ex, COHORT[1].0, &mut r.contraction, -y[k][1]);
        show(ex, COHORT[2].0, &mut r.churn, -y[k][2]);
        set_exp(ex, &mut r.expansion_by_reason, &exp_y[k]);
        set_con(ex, &mut r.contraction_by_reason, &con_y[k]);
    }
}

/// A cohort's signed flows: expansion, contraction, churn.
fn cohort_flows(r: &Retention) -> [Cents; 3] {
    [
        Cents::of(r.expansion, COHORT[0].1),
        Cents::of(r.contraction, COHORT[1].1),
        Cents::of(r.churn, COHORT[2].1),
    ]
}
