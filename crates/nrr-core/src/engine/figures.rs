//! The sums turned into the report's rows: months, periods and trailing twelve months.

use super::attribution::{Reason, REASONS};
use super::plan::{PeriodSpec, Plan};
use super::sums::{MonthSums, PeriodSums, Sums, TopList};
use crate::dataset::Ids;
use crate::money::{
    cmp_products, gcd_i128, mul_div_round, mul_div_round_half_even, ratio, Decimal, Money, Scale,
};
use crate::report::{
    Bridge, Concentration, ContractionByReason, ExpansionByReason, MonthRow, PeriodMetrics,
    PeriodRow, Retention, SegmentFigures, TopCustomer, TopCustomers, TtmRow,
};

/// What `figures` needs besides the sums.
pub(super) struct FigureCtx<'a> {
    /// Rows carry moved_in / moved_out (segments taken from the lines).
    pub(super) moved: bool,
    /// Rows carry paused / resumed (the dataset has pauses: `--pauses zero`).
    pub(super) pauses: bool,
    /// Gross margin for LTV.
    pub(super) gross_margin: Decimal,
    /// Share of a period's expansion or churn above which one customer is named.
    pub(super) concentration: Decimal,
    pub(super) ids: &'a Ids,
    /// Entries per `top_customers` list (0: none).
    pub(super) top: usize,
}

/// The report's rows of one set of sums (the totals or one segment).
pub(super) fn figures(
    scale: &Scale,
    plan: &Plan,
    totals: &Sums,
    ctx: &FigureCtx<'_>,
) -> SegmentFigures {
    let rows = Rows::new(scale, plan, totals, ctx);
    let months = (1..plan.slots).map(|s| rows.month(s)).collect();
    let mut periods = Vec::new();
    let mut ttm = Vec::new();
    for (i, spec) in plan.periods.iter().enumerate() {
        let p = &totals.periods[i];
        if i < plan.ttm_from {
            let (name, granularity) = plan.labels[i].clone();
            periods.push(PeriodRow {
                period: name,
                granularity,
                start_month: plan.month(spec.t0 + 1),
                end_month: plan.month(spec.t1),
                retention: rows.retention(p, spec),
                bridge: rows.bridge(spec),
                metrics: rows.metrics(spec),
                notes: Vec::new(),
                concentration: rows.concentration(p),
                top_customers: rows.top_customers(p),
            });
        } else {
            ttm.push(TtmRow {
                month: plan.month(spec.t1),
                t0: plan.month(spec.t0),
                retention: rows.retention(p, spec),
                bridge: rows.bridge(spec),
                metrics: rows.metrics(spec),
                concentration: rows.concentration(p),
                top_customers: rows.top_customers(p),
            });
        }
    }
    SegmentFigures {
        months,
        periods,
        ttm,
    }
}

/// The sums with the running closing MRR and customer count per slot, turning into rows.
struct Rows<'a> {
    scale: &'a Scale,
    plan: &'a Plan,
    totals: &'a Sums,
    ctx: &'a FigureCtx<'a>,
    /// Closing MRR per slot; a slot's opening MRR is the previous slot's closing.
    closing: Vec<i128>,
    /// Paying customers per slot.
    customers: Vec<u64>,
}

impl<'a> Rows<'a> {
    fn new(scale: &'a Scale, plan: &'a Plan, totals: &'a Sums, ctx: &'a FigureCtx<'a>) -> Self {
        // closing[s] and customers[s] from the per-slot differences.
        let mut closing = Vec::with_capacity(plan.slots);
        let mut customers = Vec::with_capacity(plan.slots);
        let (mut run, mut count) = (0i128, 0i64);
        for a in &totals.months {
            run += a.d_closing;
            count += a.d_customers;
            closing.push(run);
            customers.push(count as u64);
        }
        Rows {
            scale,
            plan,
            totals,
            ctx,
            closing,
            customers,
        }
    }

    fn money(&self, units: i128) -> Money {
        self.scale.money(units)
    }

    fn expansion_by_reason(&self, r: &[i128; REASONS]) -> ExpansionByReason {
        let m = |why: Reason| self.money(r[why as usize]);
        ExpansionByReason {
            seats: m(Reason::Seats),
            price: m(Reason::Price),
            plan: m(Reason::Plan),
            cross_sell: m(Reason::Product),
            interval: m(Reason::Interval),
            mixed: m(Reason::Mixed),
        }
    }

    fn contraction_by_reason(&self, r: &[i128; REASONS]) -> ContractionByReason {
        let m = |why: Reason| self.money(r[why as usize]);
        ContractionByReason {
            seats: m(Reason::Seats),
            price: m(Reason::Price),
            plan: m(Reason::Plan),
            product_removed: m(Reason::Product),
            interval: m(Reason::Interval),
            mixed: m(Reason::Mixed),
        }
    }

    /// The bridge row of slot `s`.
    fn month(&self, s: usize) -> MonthRow {
        let (ctx, a) = (self.ctx, &self.totals.months[s]);
        let m = |u: i128| self.money(u);
        MonthRow {
            month: self.plan.month(s),
            opening_mrr: m(self.closing[s - 1]),
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
            closing_mrr: m(self.closing[s]),
            customers: self.customers[s],
            new_customers: a.new_customers,
            reactivated_customers: a.reactivated_customers,
            churned_customers: a.churned_customers,
            paused_customers: ctx.pauses.then_some(a.paused_customers),
            resumed_customers: ctx.pauses.then_some(a.resumed_customers),
            expansion_by_reason: self.expansion_by_reason(&a.exp_reason),
            contraction_by_reason: self.contraction_by_reason(&a.con_reason),
            notes: Vec::new(),
            exact: Default::default(),
        }
    }

    /// The months of a period (t0 + 1 ..= t1).
    fn months_of(&self, spec: &PeriodSpec) -> &'a [MonthSums] {
        &self.totals.months[spec.t0 + 1..=spec.t1]
    }

    fn bridge(&self, spec: &PeriodSpec) -> Bridge {
        let ctx = self.ctx;
        let ms = self.months_of(spec);
        let sum = |f: fn(&MonthSums) -> i128| self.money(ms.iter().map(f).sum());
        Bridge {
            opening: self.money(self.closing[spec.t0]),
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
            closing: self.money(self.closing[spec.t1]),
            exact: Default::default(),
        }
    }

    /// The period's frozen-cohort retention. A one-month period takes its reasons from the
    /// month, without returns counted as expansion (not in the cohort); with segments moved
    /// between (line segments) the period has its own.
    fn retention(&self, p: &PeriodSums, spec: &PeriodSpec) -> Retention {
        if spec.t1 == spec.t0 + 1 && !self.ctx.moved {
            let month = &self.totals.months[spec.t1];
            let mut exp_reason = month.exp_reason;
            for (x, y) in exp_reason.iter_mut().zip(&month.return_reason) {
                *x -= y;
            }
            self.retention_with(p, spec, &exp_reason, &month.con_reason)
        } else {
            self.retention_with(p, spec, &p.exp_reason, &p.con_reason)
        }
    }

    /// The cohort of a period is every customer paying at t0: its size and starting MRR are
    /// the month sums at t0 (see `PeriodSums`).
    fn retention_with(
        &self,
        p: &PeriodSums,
        spec: &PeriodSpec,
        exp_reason: &[i128; REASONS],
        con_reason: &[i128; REASONS],
    ) -> Retention {
        let m = |u: i128| self.money(u);
        let (starting, cohort) = (self.closing[spec.t0], self.customers[spec.t0]);
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
            expansion_by_reason: self.expansion_by_reason(exp_reason),
            contraction_by_reason: self.contraction_by_reason(con_reason),
            exact: Default::default(),
        }
    }

    fn metrics(&self, spec: &PeriodSpec) -> PeriodMetrics {
        let ms = self.months_of(spec);
        let sum = |f: fn(&MonthSums) -> i128| ms.iter().map(f).sum::<i128>();
        let count = |f: fn(&MonthSums) -> u64| ms.iter().map(f).sum::<u64>();
        let (opening, end) = (self.closing[spec.t0], self.closing[spec.t1]);
        let (churn, contraction) = (sum(|x| x.churn), sum(|x| x.contraction));
        let (expansion, reactivation, new) = (
            sum(|x| x.expansion),
            sum(|x| x.reactivation),
            sum(|x| x.new),
        );
        let customers_end = self.customers[spec.t1];
        let denom = self.scale.denominator();
        PeriodMetrics {
            arr: self.money(12 * end),
            arpa: (customers_end > 0).then(|| arpa(end, denom, customers_end)),
            customers_start: self.customers[spec.t0],
            customers_new: count(|x| x.new_customers),
            customers_reactivated: count(|x| x.reactivated_customers),
            customers_churned: count(|x| x.churned_customers),
            customers_end,
            revenue_churn_rate: ratio(churn, opening),
            net_mrr_churn_rate: ratio(churn + contraction - expansion - reactivation, opening),
            quick_ratio: ratio(new + reactivation + expansion, contraction + churn),
            ltv: self.ltv(spec, churn),
            exact: Default::default(),
        }
    }

    /// LTV = (end / customers) * gross margin / (churn / openings), in cents, exactly
    /// rounded; `None` without customers at the end or without churn.
    fn ltv(&self, spec: &PeriodSpec, churn: i128) -> Option<Money> {
        let gm = self.ctx.gross_margin;
        let end = self.closing[spec.t1];
        let customers_end = self.customers[spec.t1];
        if customers_end == 0 || churn <= 0 {
            return None;
        }
        let openings: i128 = self.closing[spec.t0..spec.t1].iter().sum();
        let units = mul_div_round(
            &[end, i128::from(gm.mantissa), openings, 100],
            &[
                self.scale.denominator(),
                10i128.pow(gm.decimals),
                i128::from(customers_end),
                churn,
            ],
        )?;
        // Beyond 10^30 cents (a churn near zero against huge amounts) there is no meaningful
        // LTV, and showing it would overflow: none, as with no churn.
        (units.unsigned_abs() < 10u128.pow(30)).then_some(Money {
            units,
            denominator: 100,
        })
    }

    /// The customers whose expansion or churn is over the concentration share of the
    /// period's.
    fn concentration(&self, p: &PeriodSums) -> Vec<Concentration> {
        let share = self.ctx.concentration;
        let mut out = Vec::new();
        for (movement, top, total) in [
            ("expansion", p.top_expansion.first(), p.expansion),
            ("churn", p.top_churn.first(), p.churn),
        ] {
            // top / total > share, compared exactly: top * 10^d > share_mantissa * total.
            // (256-bit products: amounts near the engine's bound times 10^d overflow i128.)
            let over = top.amount > 0
                && cmp_products(
                    top.amount,
                    10i128.pow(share.decimals),
                    i128::from(share.mantissa),
                    total,
                ) == std::cmp::Ordering::Greater;
            if over {
                out.push(Concentration {
                    movement,
                    customer_id: self.ctx.ids.get(top.customer as usize).to_string(),
                    amount: self.money(top.amount),
                    share: ratio(top.amount, total),
                });
            }
        }
        out
    }

    fn top_customers(&self, p: &PeriodSums) -> TopCustomers {
        let list = |l: &TopList, total: i128| {
            l.0.iter()
                .take(self.ctx.top)
                .map(|t| TopCustomer {
                    customer_id: self.ctx.ids.get(t.customer as usize).to_string(),
                    amount: self.money(t.amount),
                    share: ratio(t.amount, total),
                })
                .collect()
        };
        TopCustomers {
            churn: list(&p.top_churn, p.churn),
            contraction: list(&p.top_contraction, p.contraction),
            expansion: list(&p.top_expansion, p.expansion),
        }
    }
}

/// ARPA, `end / (denominator x customers)`, exactly: the fraction is reduced by the common
/// factor of `end` and `customers` when the plain denominator does not fit in an `i128`.
/// When even the reduced one does not (a scale's denominator near 10^38 / customers), ARPA
/// is rounded half-even to the dataset's own unit (`1 / denominator`: below 10^-12 of a
/// currency unit), never wrapped.
fn arpa(end: i128, denominator: i128, customers: u64) -> Money {
    let customers = i128::from(customers);
    if let Some(d) = denominator.checked_mul(customers) {
        return Money {
            units: end,
            denominator: d,
        };
    }
    let g = gcd_i128(end, customers);
    if let Some(d) = denominator.checked_mul(customers / g) {
        return Money {
            units: end / g,
            denominator: d,
        };
    }
    Money {
        // |end| / customers < |end|: always fits.
        units: mul_div_round_half_even(end, 1, customers).unwrap_or(end),
        denominator,
    }
}

#[cfg(test)]
mod arpa_tests {
    use super::arpa;
    use crate::money::Money;

    #[test]
    fn arpa_does_not_overflow_its_denominator() {
        let den = 10i128.pow(36);
        // 1000 customers x 10^36 overflows; 10^38 / 1000 reduces to 10^35 / 1.
        assert_eq!(
            arpa(10i128.pow(38), den, 1_000),
            Money {
                units: 10i128.pow(35),
                denominator: den
            }
        );
        // Coprime: rounded to the dataset's unit.
        assert_eq!(
            arpa(den + 1, den, 1_000),
            Money {
                units: den / 1_000,
                denominator: den
            }
        );
        assert_eq!(
            arpa(7, 100, 3),
            Money {
                units: 7,
                denominator: 300
            }
        );
    }
}
