//! The sums turned into the report's rows: months, periods and trailing twelve months.

use super::attribution::{Reason, REASONS};
use super::plan::{PeriodSpec, Plan};
use super::totals::{Acc, MonthAcc, PeriodAcc, TopList};
use crate::money::{mul_div_round, ratio, Decimal, Money, Scale};
use crate::report::{
    Bridge, MonthRow, PeriodMetrics, PeriodRow, Retention, SegmentFigures, TtmRow,
};

/// What `figures` needs besides the sums.
pub(super) struct FigureCtx<'a> {
    /// Rows carry moved_in / moved_out (segments taken from the lines).
    pub(super) moved: bool,
    /// Rows carry paused / resumed (the dataset has pauses: `--pauses zero`).
    pub(super) pauses: bool,
    pub(super) gm: Decimal,
    pub(super) share: Decimal,
    pub(super) ids: &'a crate::dataset::Ids,
    /// Entries per `top_customers` list (0: none).
    pub(super) top: usize,
}

pub(super) fn figures(
    scale: &Scale,
    plan: &Plan,
    acc: &Acc,
    ctx: &FigureCtx<'_>,
) -> SegmentFigures {
    let gm = ctx.gm;
    let m = |u: i128| scale.money(u);
    let exp = |r: &[i128; REASONS]| crate::report::ExpansionByReason {
        seats: m(r[Reason::Seats as usize]),
        price: m(r[Reason::Price as usize]),
        plan: m(r[Reason::Plan as usize]),
        cross_sell: m(r[Reason::Product as usize]),
        interval: m(r[Reason::Interval as usize]),
        mixed: m(r[Reason::Mixed as usize]),
    };
    let con = |r: &[i128; REASONS]| crate::report::ContractionByReason {
        seats: m(r[Reason::Seats as usize]),
        price: m(r[Reason::Price as usize]),
        plan: m(r[Reason::Plan as usize]),
        product_removed: m(r[Reason::Product as usize]),
        interval: m(r[Reason::Interval as usize]),
        mixed: m(r[Reason::Mixed as usize]),
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
