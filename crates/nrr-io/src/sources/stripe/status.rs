//! What a subscription's status fields say about how long it runs.

use super::invoice::Invoice;
use super::subscription::{Status, Subscription};
use super::Context;
use crate::sources::invoices::{Billing, Charge, Event, EventKind};
use nrr_core::dataset::Origin;
use nrr_core::date::Date;
use std::collections::HashMap;

/// `active`, `past_due`, `unpaid` or `paused`: still running at the export.
pub(super) fn is_live(status: Status) -> bool {
    matches!(
        status,
        Status::Active | Status::PastDue | Status::Unpaid | Status::Paused
    )
}

/// The day a live subscription's service runs to (exclusive), as its object shows: a
/// scheduled `cancel_at` day; else its current period's end, and past the export's as-of date
/// unless it ends with that period (`cancel_at_period_end`).
pub(super) fn runs_until(
    s: &Subscription,
    as_of: Option<Date>,
    d: &impl Fn(i64) -> Date,
    scheduled_end: Option<Date>,
) -> Date {
    if let Some(c) = scheduled_end {
        return c;
    }
    let period_end = s.cpe.map(d).unwrap_or_else(|| d(s.start));
    match as_of.filter(|_| !s.cancel_at_period_end) {
        Some(a) => period_end.max(a.add_days(1)),
        None => period_end,
    }
}

/// When the latest invoiced (non-proration) price of subscription `sub` ends before `until`,
/// carries it on to `until` as a charge of its own (from the subscription's object, at the
/// same monthly rate), unless its invoice was refunded in full; returns whether it did.
pub(super) fn carry_last_price(
    billing: &mut Billing,
    sub: usize,
    until: Date,
    origin: Origin,
) -> bool {
    let last = billing
        .charges
        .iter()
        .filter(|c| c.sub == sub && !c.proration)
        .max_by_key(|c| (c.end, c.start));
    // A price whose invoice was refunded in full (`--full-refunds end-service`) is not
    // carried: its service ended with the refund.
    let Some(last) = last.filter(|c| c.end < until && c.refunded.is_none()) else {
        return false;
    };
    let rate = last
        .rate
        .or_else(|| crate::sources::invoices::rate_of_period(last.net, last.start, last.end));
    let Some(rate) = rate else {
        return false;
    };
    let carried = Charge {
        origin,
        sub,
        product: last.product.clone(),
        plan: last.plan.clone(),
        quantity: last.quantity,
        currency: last.currency.clone(),
        net: last.net,
        places: last.places,
        start: last.end,
        end: until,
        proration: false,
        rate: Some(rate),
        invoice: None,
        refunded: None,
    };
    billing.charges.push(carried);
    true
}

/// The time a subscription ended, when its status is `canceled`: `ended_at`, else
/// `canceled_at`, else its current period's end, else its start.
pub(super) fn ended_at(s: &Subscription) -> Option<i64> {
    (s.status == Status::Canceled)
        .then(|| s.ended_at.or(s.canceled_at).or(s.cpe).unwrap_or(s.start))
}

/// The events a subscription's status fields give (`end_ts`: [`ended_at`]).
pub(super) fn status_events(
    s: &Subscription,
    end_ts: Option<i64>,
    d: &impl Fn(i64) -> Date,
) -> Vec<(EventKind, Date)> {
    let fallback = s.cps.unwrap_or(s.start);
    let mut events: Vec<(EventKind, Date)> = Vec::new();
    if let Some(e) = end_ts {
        if let Some(c) = s.canceled_at.filter(|c| d(*c) < d(e)) {
            events.push((EventKind::CancelRequested, d(c)));
        }
        events.push((EventKind::Canceled, d(e)));
        return events;
    }
    if s.cancel_at_period_end || s.cancel_at.is_some() {
        events.push((
            EventKind::CancelRequested,
            d(s.canceled_at.unwrap_or(fallback)),
        ));
    }
    if let Some(c) = s.cancel_at.filter(|_| !s.cancel_at_period_end) {
        events.push((EventKind::Canceled, d(c)));
    }
    match s.status {
        Status::PastDue => events.push((EventKind::PastDue, d(fallback))),
        Status::Unpaid => {
            events.push((EventKind::PastDue, d(fallback)));
            events.push((EventKind::Unpaid, d(fallback)));
        }
        Status::Paused => events.push((EventKind::Paused, d(fallback))),
        _ => {}
    }
    if let Some(resumes) = s.pause_collection {
        if s.status != Status::Paused {
            events.push((EventKind::Paused, d(fallback)));
        }
        if let Some(r) = resumes {
            events.push((EventKind::Resumed, d(r)));
        }
    }
    events
}

/// Delinquency spells shown by the invoices' payment fields, per subscription.
pub(super) fn paid_late_events<'a>(
    ctx: &Context<'_>,
    invs: &'a [Invoice],
) -> HashMap<&'a str, Vec<Event>> {
    let mut paid_late: HashMap<&str, Vec<Event>> = HashMap::new();
    let Some(file) = ctx.inv_file else {
        return paid_late;
    };
    for inv in invs {
        let Some(sub_id) = inv.sub.as_deref() else {
            continue;
        };
        let Some((first, paid, uncollectible)) = inv.pay.delinquency(inv.created, ctx.as_of_ts)
        else {
            continue;
        };
        let origin = Origin {
            file,
            line: inv.line,
        };
        let from = ctx.date(first);
        let recovered = paid.map(|p| ctx.date(p));
        if recovered.is_some_and(|r| r <= from) {
            // Failed and recovered within one day: no day was delinquent.
            continue;
        }
        let evs = paid_late.entry(sub_id).or_default();
        evs.push(Event {
            origin,
            kind: EventKind::PastDue,
            date: from,
        });
        if let Some(u) = uncollectible.map(|u| ctx.date(u)).filter(|u| *u > from) {
            evs.push(Event {
                origin,
                kind: EventKind::Unpaid,
                date: u,
            });
        }
        if let Some(r) = recovered {
            evs.push(Event {
                origin,
                kind: EventKind::Resumed,
                date: r,
            });
        }
    }
    paid_late
}
