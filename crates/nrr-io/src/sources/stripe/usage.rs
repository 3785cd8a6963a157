//! `--usage` from a Stripe export: metered invoice lines as usage charges.

use super::invoice::LineKind;
use super::invoice::{Invoice, InvoiceLine};
use super::subscription::Status;
use super::subscription::Subscription;
use crate::sources::invoices::{Billing, Discounts};
use nrr_core::dataset::{DatasetBuilder, Origin};
use nrr_core::date::Date;
use std::collections::HashSet;

/// Where a usage line is placed: its period as dates, the invoice's creation date for a line
/// without one, and the invoices file index.
#[derive(Clone, Copy)]
pub(super) struct UsagePlace {
    pub(super) period: Option<(Date, Date)>,
    pub(super) created: Option<Date>,
    pub(super) file: u16,
}

/// `--usage`: a metered invoice line as a usage charge, `amount - discount_amounts (under
/// --discounts) - inclusive tax`, in the month of its last day of service.
pub(super) fn usage_line(
    billing: &mut Billing,
    inv: &Invoice,
    l: &InvoiceLine,
    place: &UsagePlace,
    discounts: Discounts,
    forever: &HashSet<&str>,
) {
    let UsagePlace {
        period,
        created,
        file,
    } = *place;
    let net = l.net(discounts, forever);
    let month =
        crate::sources::invoices::usage_month(period.map(|p| p.0), period.map(|p| p.1), created);
    let (Some(net), Some(month)) = (net, month) else {
        billing.usage_unplaced += 1;
        return;
    };
    billing.usage.push(crate::sources::invoices::UsageLine {
        origin: Origin {
            file,
            line: inv.line,
        },
        customer: inv.customer.clone(),
        currency: l.currency.clone(),
        net,
        month,
        column: format!("{}: {}.currency", inv.id, l.path),
    });
}

/// `--usage`: hands the usage charges to the builder, and says what is unknown: without an
/// invoices file, every usage amount (the figure is absent); with one, the metered items of
/// subscriptions that have no metered line in it.
pub(super) fn usage_settle(
    subs: &[Subscription],
    invs: &[Invoice],
    has_invoices: bool,
    billing: &mut Billing,
    builder: &mut DatasetBuilder,
) {
    billing.push_usage(builder);
    let metered = |s: &&Subscription| s.status != Status::Incomplete;
    if !has_invoices {
        let n: usize = subs
            .iter()
            .filter(metered)
            .map(|s| s.items.iter().filter(|i| i.price.metered).count())
            .sum();
        builder.usage_known = false;
        builder.usage_notes.push(format!(
            "no invoices.json or invoices.jsonl: usage is billed on invoices only, so its \
             amounts are unknown ({n} metered subscription item(s) in subscriptions.json)"
        ));
        return;
    }
    let billed: HashSet<&str> = invs
        .iter()
        .flat_map(|i| &i.lines)
        .filter(|l| l.kind == LineKind::Usage)
        .filter_map(|l| l.sub.as_deref())
        .collect();
    let n: usize = subs
        .iter()
        .filter(metered)
        .filter(|s| !billed.contains(s.id.as_str()))
        .map(|s| s.items.iter().filter(|i| i.price.metered).count())
        .sum();
    if n > 0 {
        builder.usage_notes.push(format!(
            "{n} metered subscription item(s) of subscriptions with no metered line in the \
             invoices file: their usage is not in the figure"
        ));
    }
}
