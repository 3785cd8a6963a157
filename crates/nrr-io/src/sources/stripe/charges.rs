//! Charges from invoice lines: a subscription with lines in the invoices file is priced by
//! them, as invoices.csv lines (periods, prorations, discount amounts).

use super::invoice::{Invoice, InvoiceLine, LineKind};
use super::payment::InvoiceStatus;
use super::subscription::{Duration, Status, Subscription};
use super::usage::{usage_line, UsagePlace};
use super::{Context, ReadState};
use crate::error::Rejection;
use crate::sources::decimal::dec_str;
use crate::sources::invoices::{Billing, Charge};
use nrr_core::dataset::{DatasetBuilder, Origin};
use nrr_core::report::Reason;
use std::collections::{HashMap, HashSet};

/// What reading one invoice line needs besides the line.
struct InvoiceLines<'a> {
    ctx: &'a Context<'a>,
    /// The invoices input's name and file index.
    name: &'a str,
    file: u16,
    status_of: HashMap<&'a str, Status>,
    /// The ids of the coupons that last forever (`--discounts forever-only`).
    forever: HashSet<&'a str>,
    /// The subscriptions with invoice lines (priced by them, not by their items).
    invoiced: HashSet<String>,
    /// Lines whose price is neither expanded nor on a subscription item.
    unknown_prices: u64,
}

/// Reads the invoice lines into charges of `billing`; returns the subscriptions they price.
pub(super) fn invoice_charges(
    ctx: &Context<'_>,
    subs: &[Subscription],
    invs: &[Invoice],
    billing: &mut Billing,
    builder: &mut DatasetBuilder,
    rej: &mut Vec<Rejection>,
) -> HashSet<String> {
    let status_of: HashMap<&str, Status> = subs.iter().map(|s| (s.id.as_str(), s.status)).collect();
    let forever: HashSet<&str> = subs
        .iter()
        .flat_map(|s| &s.discounts)
        .filter(|c| c.duration == Duration::Forever && !c.id.is_empty())
        .map(|c| c.id.as_str())
        .collect();
    let (Some(name), Some(file)) = (&ctx.inv_name, ctx.inv_file) else {
        return HashSet::new();
    };
    let mut lines = InvoiceLines {
        ctx,
        name,
        file,
        status_of,
        forever,
        invoiced: HashSet::new(),
        unknown_prices: 0,
    };
    let mut state = ReadState {
        billing,
        ledger: &mut builder.ledger,
        rej,
    };
    for inv in invs {
        // A void invoice was canceled: nothing was billed, so none of its lines shows a
        // service period (a draft is the next bill and counts like an open one).
        if inv.pay.status == Some(InvoiceStatus::Void) {
            for l in &inv.lines {
                state
                    .ledger
                    .exclude(Reason::VoidInvoice, &l.currency, l.amount);
            }
            // Its subscription is still one with invoices: priced by its other lines, not
            // by its items (all void: never billed, no MRR).
            for l in &inv.lines {
                if let (LineKind::Recurring { .. }, Some(sub)) = (l.kind, &l.sub) {
                    lines.invoiced.insert(sub.clone());
                }
            }
            continue;
        }
        for l in &inv.lines {
            lines.line(inv, l, &mut state);
        }
    }
    let unknown_prices = lines.unknown_prices;
    if unknown_prices > 0 {
        builder.notices.push(format!(
            "{unknown_prices} subscription line(s) in {} name a price that is neither expanded \
             nor on a subscription item in {}, so nothing shows whether it is metered: \
             they were read as licensed (MRR); to let nrr tell, export the invoices with \
             expand[]=data.lines.data.pricing.price_details.price (API 2025-12-15 and later)",
            ctx.inv_name.as_deref().unwrap_or("the invoices"),
            ctx.sub_name
        ));
    }
    lines.invoiced
}

impl InvoiceLines<'_> {
    /// One line of a billed invoice: a charge, excluded with a reason, or rejected.
    fn line(&mut self, inv: &Invoice, l: &InvoiceLine, state: &mut ReadState<'_>) {
        let ledger = &mut *state.ledger;
        let billing = &mut *state.billing;
        let policies = &self.ctx.opts.invoice_policies;
        let proration = match l.kind {
            LineKind::OneTime => {
                ledger.exclude(Reason::OneTime, &l.currency, l.amount);
                return;
            }
            LineKind::Usage => {
                ledger.exclude(Reason::Usage, &l.currency, l.amount);
                if self.ctx.opts.usage {
                    let place = UsagePlace {
                        period: l.period.map(|(s, e)| (self.ctx.date(s), self.ctx.date(e))),
                        created: inv.created.map(|t| self.ctx.date(t)),
                        file: self.file,
                    };
                    usage_line(billing, inv, l, &place, policies.discounts, &self.forever);
                }
                return;
            }
            LineKind::Recurring { proration } => proration,
        };
        let sub_id = l.sub.as_deref().unwrap_or("");
        if self.status_of.get(sub_id) == Some(&Status::Incomplete) {
            ledger.exclude(Reason::Incomplete, &l.currency, l.amount);
            return;
        }
        self.invoiced.insert(sub_id.to_string());
        let (s, e) = l.period.expect("checked when read");
        let (start, end) = (self.ctx.date(s), self.ctx.date(e));
        let net = l.net(policies.discounts, &self.forever);
        let Some(net) = net.filter(|n| proration || !n.is_negative()) else {
            ledger.rejected += 1;
            state.rej.push(Rejection {
                file: self.name.to_string(),
                line: inv.line,
                column: format!("{}: {}.discount_amounts", inv.id, l.path),
                value: dec_str(l.amount),
                expected: "discounts and inclusive tax no larger than amount".into(),
                kind: crate::error::RejectionKind::InconsistentAmount,
            });
            return;
        };
        if end <= start {
            ledger.exclude(Reason::ZeroLength, &l.currency, l.amount);
            return;
        }
        if net.is_zero() {
            ledger.exclude(Reason::ZeroAmount, &l.currency, l.amount);
            let _ = billing.sub(&inv.customer, sub_id);
            return;
        }
        ledger.used += 1;
        self.unknown_prices += u64::from(l.price_unknown);
        let sub = billing.sub(&inv.customer, sub_id);
        let invoice = billing
            .refunds
            .as_mut()
            .map(|refunds| refunds.invoice(&inv.id));
        billing.charges.push(Charge {
            origin: Origin {
                file: self.file,
                line: inv.line,
            },
            sub,
            product: l.product.clone(),
            plan: l.plan.clone(),
            quantity: l.quantity,
            currency: l.currency.clone(),
            net,
            places: net.decimals.max(2),
            start,
            end,
            proration,
            rate: None,
            invoice,
            refunded: None,
        });
    }
}
