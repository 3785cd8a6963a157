//! The sums a customer adds to: per slot (the bridge) and per period (the cohort), with the
//! largest contributors of each period.

use super::attribution::REASONS;
use super::plan::Plan;
use crate::dataset::Ids;

/// Per-slot sums. Closing MRR and the customer count are kept as differences from the
/// previous slot (a customer adds to them only in months where its MRR changes); opening is
/// the previous slot's closing.
#[derive(Clone, Debug, Default)]
pub(super) struct MonthSums {
    pub(super) exp_reason: [i128; REASONS],
    /// The part of `exp_reason` from returns counted as expansion (`as-expansion`): not in
    /// any cohort, so a one-month period's reasons leave it out.
    pub(super) return_reason: [i128; REASONS],
    pub(super) con_reason: [i128; REASONS],
    pub(super) d_closing: i128,
    pub(super) d_customers: i64,
    /// Line segments only: MRR of customers whose segment changed this month, at the
    /// previous month's value, into and out of this segment.
    pub(super) moved_in: i128,
    pub(super) moved_out: i128,
    pub(super) new: i128,
    pub(super) reactivation: i128,
    pub(super) expansion: i128,
    pub(super) contraction: i128,
    pub(super) churn: i128,
    pub(super) fx: i128,
    pub(super) new_customers: u64,
    pub(super) reactivated_customers: u64,
    pub(super) churned_customers: u64,
    /// `--pauses zero`: MRR that stopped because the customer paused, and MRR back from a
    /// pause, with their customer counts.
    pub(super) paused: i128,
    pub(super) resumed: i128,
    pub(super) paused_customers: u64,
    pub(super) resumed_customers: u64,
}

/// Per-period sums over the period's cohort. Only customers whose value moved between t0 and
/// t1 add to them: the cohort's size and starting MRR are the month sums at t0 (every
/// customer paying at t0 is in the cohort), and its ending MRR is starting + expansion -
/// contraction - churn, so a customer whose MRR is the same at both ends costs nothing here.
#[derive(Clone, Debug, Default)]
pub(super) struct PeriodSums {
    pub(super) expansion: i128,
    pub(super) contraction: i128,
    pub(super) churn: i128,
    /// Sum of value(t1, t1) - value(t1, t0) over the cohort (0 for one-currency customers).
    pub(super) fx_impact: i128,
    pub(super) churned: u64,
    /// The cohort customers with the largest expansion, contraction and churn (see
    /// [`TopList`]); the first of expansion and churn feed `concentration`.
    pub(super) top_expansion: TopList,
    pub(super) top_contraction: TopList,
    pub(super) top_churn: TopList,
    pub(super) exp_reason: [i128; REASONS],
    pub(super) con_reason: [i128; REASONS],
}

/// One customer's contribution to a period's cohort sum.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Top {
    pub(super) amount: i128,
    pub(super) customer: u32,
}

/// The customers with the largest contributions to a sum, largest first, at most `cap` of
/// them; equal contributions go to the smaller customer id, so the list does not depend on
/// input order or thread count. Empty until offered something (no allocation).
#[derive(Clone, Debug, Default)]
pub(super) struct TopList(pub(super) Vec<Top>);

impl TopList {
    pub(super) fn offer(&mut self, cap: usize, amount: i128, customer: u32, ids: &Ids) {
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
    pub(super) fn merge(&mut self, cap: usize, o: &TopList, ids: &Ids) {
        for t in &o.0 {
            self.offer(cap, t.amount, t.customer, ids);
        }
    }

    pub(super) fn first(&self) -> Top {
        self.0.first().copied().unwrap_or_default()
    }
}

#[derive(Clone, Debug)]
pub(super) struct Sums {
    pub(super) months: Vec<MonthSums>,
    pub(super) periods: Vec<PeriodSums>,
}

impl Sums {
    pub(super) fn new(plan: &Plan) -> Sums {
        Sums {
            months: vec![MonthSums::default(); plan.slots],
            periods: vec![PeriodSums::default(); plan.periods.len()],
        }
    }

    pub(super) fn merge(&mut self, o: &Sums, plan: &Plan, ids: &Ids) {
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
