//! What a subscription's status fields say about how long it runs.

use super::subscription::{Status, Subscription};
use crate::sources::invoices::{Book, Charge};
use nrr_core::dataset::Origin;
use nrr_core::date::Date;

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
pub(super) fn carry_last_price(book: &mut Book, sub: usize, until: Date, origin: Origin) -> bool {
    let last = book
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
    book.charges.push(carried);
    true
}
