//! Charges from a subscription object: its status events, and, when no invoice line prices
//! it, its current items, each cut into billing periods from `start_date` (from `trial_end`
//! after a trial; from the resume date, or never, when a pause starts on or before that day)
//! until the subscription ends, less the coupons in force at each period's start.

use super::cycle::{percent_of, rate, Cycle, MAX_PERIODS};
use super::fields::minor_places;
use super::pricing;
use super::status::{carry_last_price, ended_at, is_live, runs_until, status_events};
use super::subscription::{Duration, Item, Status, Subscription};
use super::{Context, ReadState};
use crate::error::Rejection;
use crate::sources::decimal::dsub;
use crate::sources::invoices::{Charge, Event, EventKind};
use nrr_core::dataset::Origin;
use nrr_core::date::Date;
use nrr_core::money::Decimal;
use nrr_core::report::{Reason, RowLedger};
use std::collections::HashMap;

/// One subscription's events, and its charges from its items when `invoiced` is false (no
/// invoice line prices it); `paid_late`: its delinquency events from invoice payments.
/// Returns whether a live subscription's last invoiced price was carried to its period's end.
pub(super) fn subscription_charges(
    ctx: &Context<'_>,
    s: &Subscription,
    invoiced: bool,
    paid_late: Option<Vec<Event>>,
    state: &mut ReadState<'_>,
) -> bool {
    let origin = Origin {
        file: ctx.sub_file,
        line: s.line,
    };
    let licensed: Vec<&Item> = s.items.iter().filter(|i| !i.price.metered).collect();
    state.ledger.excluded.usage += (s.items.len() - licensed.len()) as u64;
    if s.status == Status::Incomplete {
        exclude_items(state.ledger, Reason::Incomplete, &licensed);
        return false;
    }
    let billing = &mut *state.billing;
    let sub = billing.sub(&s.customer, &s.id);
    let d = |t: i64| ctx.date(t);
    let end_ts = ended_at(s);
    let events = status_events(s, end_ts, &d);
    billing.subs[sub]
        .events
        .extend(
            events
                .into_iter()
                .map(|(kind, date)| Event { origin, kind, date }),
        );
    if let Some(evs) = paid_late {
        billing.subs[sub].events.extend(evs);
    }
    // A scheduled end (`cancel_at`, not at the period's end) is prorated by Stripe: the
    // period holding it is paid up to that day only, not to the period's end.
    let scheduled_end = s
        .cancel_at
        .filter(|_| !s.cancel_at_period_end)
        .map(d)
        .filter(|c| end_ts.is_none_or(|e| d(e) == *c));
    if invoiced {
        // Its invoice lines price it; its items are not counted twice.
        exclude_items(state.ledger, Reason::PricedByInvoices, &licensed);
        // A live subscription runs on past a missing invoice: its last invoiced price
        // carries to its current period's end (docs/input.md, Stripe exports).
        if is_live(s.status) {
            let until = runs_until(s, ctx.as_of, &d, scheduled_end);
            return carry_last_price(billing, sub, until, origin);
        }
        return false;
    }
    let Some(span) = paid_span(ctx, s, end_ts, scheduled_end, sub, state) else {
        return false;
    };
    let items = ItemPricing::new(ctx, s, &licensed, sub, span, scheduled_end, state.billing);
    items.price(&licensed, state);
    false
}

/// When a subscription priced by its items pays: from `from` (its first paid day) to `stop`
/// (exclusive).
struct PaidSpan {
    origin: Origin,
    from: Date,
    stop: Date,
}

/// Counts each of `items` (licensed items of one subscription) excluded for `reason`, with
/// its price's amount per interval as the amount it carries.
fn exclude_items(ledger: &mut RowLedger, reason: Reason, items: &[&Item]) {
    for i in items {
        ledger.exclude(reason, &i.price.currency, i.price.amount);
    }
}

/// The span the items of subscription `sub` are in force, after its trial and any pause
/// that starts the paid time; `None` when there is none (each item then excluded).
fn paid_span(
    ctx: &Context<'_>,
    s: &Subscription,
    end_ts: Option<i64>,
    scheduled_end: Option<Date>,
    sub: usize,
    state: &mut ReadState<'_>,
) -> Option<PaidSpan> {
    let d = |t: i64| ctx.date(t);
    let origin = Origin {
        file: ctx.sub_file,
        line: s.line,
    };
    let licensed: Vec<&Item> = s.items.iter().filter(|i| !i.price.metered).collect();
    let fallback = s.cps.unwrap_or(s.start);
    let trial = s.trial_end.filter(|t| *t > s.start);
    let mut paid_from = d(trial.unwrap_or(s.start));
    // A pause (status `paused`, or `pause_collection`) from the first paid day or earlier:
    // no price was in force the day before it, so none runs on through it under any
    // `--pauses` value; the items are in force from the resume date, if any, else never.
    // Stripe's `paused` status is a trial that ended without a payment method: never
    // paid, a trial that did not convert (docs/policies.md, pauses; trials). Nothing
    // paying was paused, so the object's pause events go (under `zero` its first MRR is
    // new, not resumed). Only after a trial: without one the first period was paid at
    // `start_date`, and a `pause_collection` taken to start with that period (its start is
    // not recorded) pauses a paying subscription.
    let mut never_paid = false;
    let mut resumes: Option<Date> = None;
    let paused = end_ts.is_none()
        && (s.status == Status::Paused || (trial.is_some() && s.pause_collection.is_some()));
    if paused && d(fallback) <= paid_from {
        state.billing.subs[sub].events.retain(|e| {
            e.origin != origin || !matches!(e.kind, EventKind::Paused | EventKind::Resumed)
        });
        match s.pause_collection.flatten().map(d) {
            Some(r) => {
                paid_from = paid_from.max(r);
                resumes = Some(paid_from);
            }
            None => never_paid = true,
        }
    }
    if s.status == Status::Trialing {
        exclude_items(state.ledger, Reason::Trial, &licensed);
        return None;
    }
    let stop = match end_ts {
        Some(e) => d(e),
        None => {
            let mut stop = runs_until(s, ctx.as_of, &d, scheduled_end).max(paid_from);
            if let Some(r) = resumes.filter(|_| scheduled_end.is_none()) {
                // Resuming after the current period: it runs on from then.
                stop = stop.max(r.add_days(1));
            }
            stop
        }
    };
    if never_paid || stop <= paid_from {
        let reason = match trial {
            Some(_) => Reason::Trial,
            None => Reason::ZeroLength,
        };
        exclude_items(state.ledger, reason, &licensed);
        return None;
    }
    Some(PaidSpan {
        origin,
        from: paid_from,
        stop,
    })
}

/// The pricing of one subscription's licensed items over its paid span.
struct ItemPricing<'a> {
    ctx: &'a Context<'a>,
    s: &'a Subscription,
    sub: usize,
    span: PaidSpan,
    scheduled_end: Option<Date>,
    /// How many licensed items have each product (a product twice is named with its price).
    products: HashMap<&'a str, usize>,
    /// Each coupon's amount_off per item (none for percent coupons).
    amount_off_shares: Vec<Vec<Decimal>>,
    /// The subscription's last event: periods after it that keep the same price are one
    /// charge.
    last_event: Option<Date>,
}

/// The billing periods of one item: its price, its index among the licensed items.
struct ItemPeriods<'i> {
    item: &'i Item,
    n: usize,
    product: String,
    cycle: Cycle,
}

impl<'a> ItemPricing<'a> {
    fn new(
        ctx: &'a Context<'a>,
        s: &'a Subscription,
        licensed: &[&'a Item],
        sub: usize,
        span: PaidSpan,
        scheduled_end: Option<Date>,
        billing: &crate::sources::invoices::Billing,
    ) -> ItemPricing<'a> {
        let mut products: HashMap<&str, usize> = HashMap::new();
        for i in licensed {
            *products.entry(i.price.product.as_str()).or_default() += 1;
        }
        let amount_off_shares: Vec<Vec<Decimal>> = s
            .discounts
            .iter()
            .map(|c| match &c.amount_off {
                Some((amt, cur)) => {
                    let items: Vec<Option<Decimal>> = licensed
                        .iter()
                        .map(|i| (i.price.currency == *cur).then_some(i.price.amount))
                        .collect();
                    // `None` only past i64 minor units, which no parsed amount reaches.
                    pricing::spread_amount_off(*amt, minor_places(cur), &items).unwrap_or_default()
                }
                None => Vec::new(),
            })
            .collect();
        // Periods after the subscription's last event that keep the same price are one
        // charge: no event asks where they start or end (the paid period holding a
        // cancellation, the restart after it), and a line joins them anyway. A live
        // subscription runs on to the export's as-of date, which one far-off timestamp can put
        // centuries away.
        let last_event = billing.subs[sub].events.iter().map(|e| e.date).max();
        ItemPricing {
            ctx,
            s,
            sub,
            span,
            scheduled_end,
            products,
            amount_off_shares,
            last_event,
        }
    }

    /// Charges of every licensed item; a subscription needing more than [`MAX_PERIODS`]
    /// periods for an item is rejected whole.
    fn price(&self, licensed: &[&Item], state: &mut ReadState<'_>) {
        let charges_before = state.billing.charges.len();
        let used_before = state.ledger.used;
        let mut zeros: Vec<&Item> = Vec::new();
        let mut too_many: Option<(String, Date)> = None;
        for (n, item) in licensed.iter().enumerate() {
            let periods = self.periods_of(item, n);
            match self.charge_periods(&periods, state) {
                Ok(true) => state.ledger.used += 1,
                Ok(false) => zeros.push(item),
                Err(at) => {
                    let x = self.s.items.iter().position(|x| std::ptr::eq(x, *item));
                    too_many = Some((format!("items.data[{}]", x.unwrap_or(n)), at));
                    break;
                }
            }
        }
        let Some((path, at)) = too_many else {
            exclude_items(state.ledger, Reason::ZeroAmount, &zeros);
            return;
        };
        // Rejected whole, rather than cut short at the limit without a word.
        state.billing.charges.truncate(charges_before);
        state.ledger.used = used_before;
        state.ledger.rejected += licensed.len() as u64;
        let s = self.s;
        state.rej.push(Rejection {
            file: self.ctx.sub_name.clone(),
            line: s.line,
            column: format!("{}: {path}.price.recurring", s.id),
            value: format!("{} to {}", self.span.from, self.span.stop),
            expected: format!(
                "at most {MAX_PERIODS} billing periods for an item, and period {} would \
                 start {at}: check its start_date, its interval and the export's latest \
                 timestamp (a live subscription runs on to it)",
                MAX_PERIODS + 1
            ),
            kind: crate::error::RejectionKind::OutOfRange,
        });
    }

    /// Item `n`'s product name and billing cycle.
    fn periods_of<'i>(&self, item: &'i Item, n: usize) -> ItemPeriods<'i> {
        let s = self.s;
        let p = &item.price;
        let anchor_ts = s.anchor.or(s.cps).unwrap_or(s.start);
        let anchor = self.ctx.date(anchor_ts);
        let cycle = Cycle {
            anchor,
            day: anchor.ymd().2,
            interval: p.interval,
            count: p.count,
        };
        let product = if self.products[p.product.as_str()] > 1 {
            format!("{} ({})", p.product, p.id)
        } else {
            p.product.clone()
        };
        ItemPeriods {
            item,
            n,
            product,
            cycle,
        }
    }

    /// Pushes the charges of one item's billing periods; returns whether any had a price, or
    /// the start of the period past [`MAX_PERIODS`].
    fn charge_periods(
        &self,
        periods: &ItemPeriods<'_>,
        state: &mut ReadState<'_>,
    ) -> Result<bool, Date> {
        let (p, cycle) = (&periods.item.price, &periods.cycle);
        let (paid_from, stop) = (self.span.from, self.span.stop);
        let mut k = cycle.index_at(paid_from);
        let mut first_once: HashMap<usize, Date> = HashMap::new();
        let mut any = false;
        let mut count = 0;
        let mut last: Option<usize> = None;
        loop {
            let (b0, b1) = (cycle.boundary(k), cycle.boundary(k + 1));
            if b0 >= stop {
                return Ok(any);
            }
            if count == MAX_PERIODS {
                return Err(b0);
            }
            count += 1;
            k += 1;
            let start = b0.max(paid_from);
            let Some(net) = self.discounted(periods, start, &mut first_once) else {
                continue;
            };
            if net.is_zero() {
                continue;
            }
            let Some(r) = rate(net, p.interval, p.count) else {
                continue;
            };
            any = true;
            let end = self.scheduled_end.map_or(b1, |c| b1.min(c));
            if let Some(prev) = last.and_then(|i| state.billing.charges.get_mut(i)) {
                let after_events = self.last_event.is_none_or(|e| prev.start > e);
                if after_events && prev.end == start && prev.net == net && prev.rate == Some(r) {
                    prev.end = end;
                    continue;
                }
            }
            last = Some(state.billing.charges.len());
            state.billing.charges.push(Charge {
                origin: self.span.origin,
                sub: self.sub,
                product: periods.product.clone(),
                plan: p.id.clone(),
                quantity: periods.item.quantity,
                currency: p.currency.clone(),
                net,
                places: net.decimals.max(2),
                start,
                end,
                proration: false,
                rate: Some(r),
                invoice: None,
                refunded: None,
            });
        }
    }

    /// The item's price for the period starting `start`, less the coupons in force then
    /// (under `--discounts`); `None` on overflow. `first_once`: the period each `once` coupon
    /// applies to.
    fn discounted(
        &self,
        periods: &ItemPeriods<'_>,
        start: Date,
        first_once: &mut HashMap<usize, Date>,
    ) -> Option<Decimal> {
        let d = |t: i64| self.ctx.date(t);
        let paid_from = self.span.from;
        let cycle = &periods.cycle;
        let policies = &self.ctx.opts.invoice_policies;
        let mut net = Some(periods.item.price.amount);
        for (ci, c) in self.s.discounts.iter().enumerate() {
            let take = policies.discounts.takes(c.duration == Duration::Forever);
            let from = c.start.map_or(paid_from, d);
            let active = match c.duration {
                Duration::Once => {
                    *first_once.entry(ci).or_insert_with(|| {
                        // The first period starting on or after the coupon's start.
                        let mut j = cycle.index_at(from);
                        if cycle.boundary(j) < from {
                            j += 1;
                        }
                        cycle.boundary(j).max(paid_from)
                    }) == start
                }
                _ => from <= start && c.end.is_none_or(|e| start < d(e)),
            };
            if !(take && active) {
                continue;
            }
            if let Some(pct) = c.percent_off {
                net = net.and_then(|x| percent_of(x, pct));
            }
            // A fixed amount comes off the items in proportion to their amounts.
            if let Some(share) = self.amount_off_shares[ci].get(periods.n) {
                net = net.and_then(|x| dsub(x, *share)).map(|x| {
                    if x.is_negative() {
                        Decimal {
                            mantissa: 0,
                            decimals: 0,
                        }
                    } else {
                        x
                    }
                });
            }
        }
        net
    }
}
