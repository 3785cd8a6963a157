//! What the invoice readers collect before any line is built: subscriptions, their charges and
//! events, usage charges and invoice totals (also filled by the Stripe reader).

use crate::sources::full_refunds::{InvoiceRefunds, Resolved};
use nrr_core::dataset::{DatasetBuilder, Origin};
use nrr_core::date::Date;
use nrr_core::money::Decimal;
use nrr_core::policy::{FullRefunds, InvoicePolicies};
use std::collections::HashMap;

/// The kinds of subscription event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventKind {
    CancelRequested,
    Canceled,
    Paused,
    Resumed,
    PastDue,
    Unpaid,
}

impl EventKind {
    pub(super) fn parse(s: &str) -> Option<EventKind> {
        Some(match s {
            "cancel_requested" => EventKind::CancelRequested,
            "canceled" => EventKind::Canceled,
            "paused" => EventKind::Paused,
            "resumed" => EventKind::Resumed,
            "past_due" => EventKind::PastDue,
            "unpaid" => EventKind::Unpaid,
            _ => return None,
        })
    }
}

/// A subscription or proration line with a non-zero net amount (also built by the Stripe
/// reader, `crate::sources::stripe`).
pub(crate) struct Charge {
    pub(crate) origin: Origin,
    /// Index into `Billing::subs`.
    pub(crate) sub: usize,
    /// Product (the item key within the subscription).
    pub(crate) product: String,
    pub(crate) plan: String,
    pub(crate) quantity: u64,
    pub(crate) currency: String,
    /// amount - discount (under `--discounts all`) - tax.
    pub(crate) net: Decimal,
    /// Decimal places of `amount` as written (prorations are rounded to them).
    pub(crate) places: u32,
    pub(crate) start: Date,
    pub(crate) end: Date,
    pub(crate) proration: bool,
    /// The MRR as `(amount, interval months)` when the price says it (Stripe items); `None`:
    /// from `net` over the period's length.
    pub(crate) rate: Option<(Decimal, u32)>,
    /// `--full-refunds end-service`: the invoice it was billed on ([`InvoiceRefunds::invoice`]).
    pub(crate) invoice: Option<u32>,
    /// `--full-refunds end-service`: the day its invoice was refunded in full, when that is
    /// before `end` (its service ends then; the rate is still that of the whole period).
    pub(crate) refunded: Option<Date>,
}

impl Charge {
    /// The day its service ends: `end`, or earlier when its invoice was refunded in full.
    pub(super) fn served_end(&self) -> Date {
        self.refunded.map_or(self.end, |r| r.min(self.end))
    }
}

pub(crate) struct Event {
    pub(crate) origin: Origin,
    pub(crate) kind: EventKind,
    pub(crate) date: Date,
}

/// A subscription: one customer's subscription id.
pub(crate) struct Subscription {
    pub(crate) customer: String,
    /// The subscription id.
    pub(crate) id: String,
    pub(crate) events: Vec<Event>,
}

/// Everything read from invoices.csv and subscription_events.csv (or from Stripe objects).
#[derive(Default)]
pub(crate) struct Billing {
    pub(crate) subs: Vec<Subscription>,
    pub(super) index: HashMap<(String, String), usize>,
    /// Subscription id -> subscriptions (one per customer using it).
    pub(super) by_id: HashMap<String, Vec<usize>>,
    pub(crate) charges: Vec<Charge>,
    /// The latest invoice_date.
    pub(crate) as_of: Option<Date>,
    /// `--usage`: collect usage charges in `usage` (otherwise they are only counted).
    pub(crate) usage_asked: bool,
    /// Usage charges (`--usage` only), handed to the builder apart from the lines.
    pub(crate) usage: Vec<UsageLine>,
    /// Usage lines that could not be placed in a month (no period, no invoice date).
    pub(crate) usage_unplaced: u64,
    /// `--full-refunds end-service`: invoice totals and the credit notes and refunds that name
    /// them (`None` under `ignore`: nothing is kept).
    pub(crate) refunds: Option<InvoiceRefunds>,
}

/// A usage (metered) charge for the `--usage` figure (also built by the Stripe reader).
pub(crate) struct UsageLine {
    pub(crate) origin: Origin,
    pub(crate) customer: String,
    pub(crate) currency: String,
    /// amount - discount (under `--discounts all`) - tax; may be negative.
    pub(crate) net: Decimal,
    /// The month it counts in: the month of its last day of service.
    pub(crate) month: nrr_core::date::Month,
    /// What a rejection of the line names as its column.
    pub(crate) column: String,
}

/// The month a usage charge counts in: the month of its last day of service, the day before
/// the (exclusive) period end, not before the period start; with only a start, the start's
/// month; without a period, the month of `fallback` (the invoice date).
pub(crate) fn usage_month(
    start: Option<Date>,
    end: Option<Date>,
    fallback: Option<Date>,
) -> Option<nrr_core::date::Month> {
    let last = match (start, end) {
        (Some(s), Some(e)) => Some(e.add_days(-1).max(s)),
        (None, Some(e)) => Some(e.add_days(-1)),
        (Some(s), None) => Some(s),
        (None, None) => fallback,
    };
    last.map(Date::month)
}

impl Billing {
    /// Hands the usage charges to the builder (with a note about unplaced ones).
    pub(crate) fn push_usage(&mut self, builder: &mut DatasetBuilder) {
        for u in self.usage.drain(..) {
            builder.push_usage(nrr_core::dataset::UsageInput {
                customer: &u.customer,
                currency: &u.currency,
                month: u.month,
                amount: u.net,
                origin: u.origin,
                column: &u.column,
            });
        }
        if self.usage_unplaced > 0 {
            builder.usage_notes.push(format!(
                "{} usage line(s) with neither a service period nor an invoice date are not \
                 in the figure (no month to place them in)",
                self.usage_unplaced
            ));
        }
    }
}

impl Billing {
    /// The billing record for `policies`: under `--full-refunds end-service` it keeps invoice totals and
    /// money handed back.
    pub(crate) fn for_policies(policies: &InvoicePolicies) -> Billing {
        Billing {
            refunds: (policies.full_refunds == FullRefunds::EndService)
                .then(InvoiceRefunds::default),
            ..Billing::default()
        }
    }

    /// `--full-refunds end-service`: ends the charges of the invoices refunded in full on the
    /// day of the refund. Returns what was found (`None` under `ignore`) and the invoices whose
    /// service it ended, as `id (date)`.
    pub(crate) fn apply_full_refunds(&mut self) -> Option<(Resolved, Vec<String>)> {
        let refunds = self.refunds.as_ref()?;
        let r = refunds.resolve();
        let mut ended: Vec<(Date, u32)> = Vec::new();
        for ch in &mut self.charges {
            let Some(end) = ch.invoice.and_then(|i| r.ends.get(&i)) else {
                continue;
            };
            if *end < ch.end {
                ch.refunded = Some(*end);
                ended.push((*end, ch.invoice.unwrap_or_default()));
            }
        }
        ended.sort();
        ended.dedup();
        let ended = ended
            .into_iter()
            .map(|(d, i)| format!("{} ({d})", refunds.id(i)))
            .collect();
        Some((r, ended))
    }

    pub(crate) fn sub(&mut self, customer: &str, id: &str) -> usize {
        let key = (customer.to_string(), id.to_string());
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.subs.len();
        self.subs.push(Subscription {
            customer: customer.to_string(),
            id: id.to_string(),
            events: Vec::new(),
        });
        self.index.insert(key, i);
        self.by_id.entry(id.to_string()).or_default().push(i);
        i
    }
}
