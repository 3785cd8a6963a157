//! Stripe `invoice` objects and their lines, in both shapes an export may hold, even mixed in
//! one file (docs/input.md, Stripe exports, "Invoice lines in both shapes"):
//!
//! - the classic line (API versions before 2025-03-31): `type` (`subscription` or
//!   `invoiceitem`), `proration`, `subscription`, `subscription_item`, `price` (an object),
//!   `tax_amounts[]` (`amount`, `inclusive`), and the invoice's `subscription`;
//! - the current line (2025-03-31 "basil" and later): `parent.type`
//!   (`subscription_item_details` or `invoice_item_details`) with that object's `proration`,
//!   `subscription` and `subscription_item`, `pricing.price_details` (`price`: an id or an
//!   expanded price, `product`), `pricing.unit_amount_decimal`, `taxes[]` (`amount`,
//!   `tax_behavior`), `pretax_credit_amounts[]`, and the invoice's
//!   `parent.subscription_details.subscription`.
//!
//! A line that says neither is rejected with its JSON path, never read as one-time; where a
//! line carries both, they must agree. `discount_amounts[]` is read in both shapes; a discount
//! in `pretax_credit_amounts[]` is the same discount again and is taken once.

use super::fields::{
    bad, currency, field, id_of, join, list, major, opt_id, opt_str, opt_ts, req_str, Bad,
};
use super::line_shapes::{discounts, inclusive_tax, line_price, source};
use super::payment::{paid_by, payment, Payment};
use super::subscription::{quantity, Subscription};
use crate::error::RejectionKind::*;
use crate::sources::decimal::dsub;
use crate::sources::invoices::Discounts;
use nrr_core::money::Decimal;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LineKind {
    Recurring { proration: bool },
    OneTime,
    Usage,
}

pub(super) struct InvoiceLine {
    pub(super) kind: LineKind,
    pub(super) sub: Option<String>,
    pub(super) product: String,
    pub(super) plan: String,
    pub(super) quantity: u64,
    pub(super) currency: String,
    pub(super) amount: Decimal,
    /// `(amount, discount id)` per discount.
    pub(super) discounts: Vec<(Decimal, String)>,
    /// Tax included in `amount`.
    pub(super) inclusive_tax: Decimal,
    pub(super) period: Option<(i64, i64)>,
    pub(super) path: String,
    /// A subscription line whose price the export does not show as licensed or metered (an
    /// unexpanded price id found on no subscription item): read as licensed, and counted in a
    /// notice.
    pub(super) price_unknown: bool,
}

impl InvoiceLine {
    /// The net amount: `amount - inclusive tax - discounts` (those `discounts` takes); `None`
    /// on overflow.
    pub(super) fn net(&self, discounts: Discounts, forever: &HashSet<&str>) -> Option<Decimal> {
        self.discounts
            .iter()
            .filter(|(_, id)| discounts.takes(forever.contains(id.as_str())))
            .try_fold(dsub(self.amount, self.inclusive_tax)?, |n, (amt, _)| {
                dsub(n, *amt)
            })
    }
}

pub(super) struct Invoice {
    pub(super) line: u64,
    pub(super) id: String,
    pub(super) customer: String,
    pub(super) created: Option<i64>,
    pub(super) lines: Vec<InvoiceLine>,
    /// The invoice's subscription (on the invoice, else on its first line that names one).
    pub(super) sub: Option<String>,
    pub(super) pay: Payment,
    /// The invoice's currency (upper case), when it gives one.
    pub(super) currency: Option<String>,
    /// `total` in minor units (after discounts, tax included), when given.
    pub(super) total: Option<i64>,
    /// The charges and payment intents that paid it: `charge` and `payment_intent` (API
    /// versions before 2025-03-31), and `payments.data[].payment` (later versions, when the
    /// export expands `payments`). Refunds name one of them.
    pub(super) paid_by: Vec<String>,
}

/// Whether the prices of the subscriptions' items are metered, by price id and by
/// subscription item id: a current-shape line names its price by id only, unless the export
/// expanded it.
#[derive(Default)]
pub(super) struct KnownPrices {
    by_price: HashMap<String, bool>,
    by_item: HashMap<String, bool>,
}

impl KnownPrices {
    pub(super) fn of(subs: &[Subscription]) -> KnownPrices {
        let mut k = KnownPrices::default();
        for i in subs.iter().flat_map(|s| &s.items) {
            k.by_price.insert(i.price.id.clone(), i.price.metered);
            if let Some(id) = &i.id {
                k.by_item.insert(id.clone(), i.price.metered);
            }
        }
        k
    }
}

/// The invoice's subscription: `subscription` (classic) or
/// `parent.subscription_details.subscription` (current); both must agree.
fn invoice_subscription(v: &Value) -> Result<Option<&str>, Bad> {
    let classic = opt_id(v, "", "subscription", "a subscription id")?;
    let current = match field(v, "parent") {
        None => None,
        Some(p) if p.is_object() => match opt_str(p, "parent", "type")? {
            Some("subscription_details") => {
                let dp = "parent.subscription_details";
                match field(p, "subscription_details") {
                    Some(d) if d.is_object() => opt_id(d, dp, "subscription", "a subscription id")?,
                    x => return Err(bad(dp, x, Other, "the subscription_details object")),
                }
            }
            _ => None,
        },
        Some(x) => {
            return Err(bad(
                "parent",
                Some(x),
                Other,
                "an object {type, ...} or null",
            ))
        }
    };
    if let (Some(a), Some(b)) = (classic, current) {
        if a != b {
            return Err(bad(
                "parent.subscription_details.subscription",
                Some(&Value::from(b)),
                Other,
                format!("the subscription that subscription names too ({a})"),
            ));
        }
    }
    Ok(current.or(classic))
}

/// The line's `period` `{start, end}`, when it has both.
fn period_of(l: &Value, path: &str) -> Result<Option<(i64, i64)>, Bad> {
    let Some(p) = field(l, "period") else {
        return Ok(None);
    };
    let pp = join(path, "period");
    match (opt_ts(p, &pp, "start")?, opt_ts(p, &pp, "end")?) {
        (Some(s), Some(e)) => Ok(Some((s, e))),
        _ => Ok(None),
    }
}

/// One line of invoice `inv_currency`/`inv_sub` at JSON path `path`.
fn line(
    l: &Value,
    path: &str,
    inv_currency: Option<&str>,
    inv_sub: Option<&str>,
    prices: &KnownPrices,
) -> Result<InvoiceLine, Bad> {
    let amount_v = field(l, "amount");
    let amount_minor = amount_v.and_then(Value::as_i64).ok_or_else(|| {
        bad(
            &join(path, "amount"),
            amount_v,
            BadNumber,
            "an integer amount in the currency's minor units (required)",
        )
    })?;
    let cur = match currency(l, path, "currency")?.or(inv_currency.map(str::to_string)) {
        Some(c) => c,
        None => {
            return Err(bad(
                &join(path, "currency"),
                None,
                MissingValue,
                "a currency code",
            ))
        }
    };
    let q = quantity(l, path)?;
    let src = source(l, path)?;
    let price = line_price(l, path, &cur)?;
    let metered = price
        .metered
        .or_else(|| price.id.and_then(|p| prices.by_price.get(p).copied()))
        .or_else(|| src.item.and_then(|i| prices.by_item.get(i).copied()));
    let sub = src.sub.or(inv_sub).map(str::to_string);
    let kind = if metered == Some(true) {
        LineKind::Usage
    } else if src.proration || src.subscription {
        LineKind::Recurring {
            proration: src.proration,
        }
    } else {
        LineKind::OneTime
    };
    let period = period_of(l, path)?;
    if matches!(kind, LineKind::Recurring { .. }) {
        let Some((s, e)) = period else {
            return Err(bad(
                &join(path, "period"),
                field(l, "period"),
                Other,
                "a period {start, end} (required on subscription and proration lines)",
            ));
        };
        if e <= s {
            return Err(bad(
                &join(path, "period.end"),
                Some(&Value::from(e)),
                EndBeforeStart,
                format!("a time after period.start ({s})"),
            ));
        }
        if sub.is_none() {
            return Err(bad(
                &join(path, "subscription"),
                None,
                MissingValue,
                "a subscription id (on the line or the invoice)",
            ));
        }
        if !src.proration && amount_minor < 0 {
            return Err(bad(
                &join(path, "amount"),
                amount_v,
                NegativeAmount,
                "an amount >= 0 on a subscription line",
            ));
        }
    }
    let inclusive = inclusive_tax(l, path)?;
    Ok(InvoiceLine {
        kind,
        sub,
        product: price.product.unwrap_or("").to_string(),
        plan: price.id.unwrap_or("").to_string(),
        quantity: q,
        amount: major(amount_minor, &cur),
        inclusive_tax: major(inclusive, &cur),
        discounts: discounts(l, path, &cur)?,
        currency: cur,
        period,
        path: path.to_string(),
        price_unknown: src.subscription && !src.proration && metered.is_none(),
    })
}

/// An `invoice` object (its lines in either shape).
pub(super) fn invoice(v: &Value, line_no: u64, prices: &KnownPrices) -> Result<Invoice, Bad> {
    let id = req_str(v, "", "id", "an invoice id")?.to_string();
    let customer = id_of(v, "", "customer", "a customer id")?.to_string();
    let inv_currency = currency(v, "", "currency")?;
    let inv_sub = invoice_subscription(v)?;
    let created = opt_ts(v, "", "created")?;
    let (ls, lp) = list(v, "", "lines")?;
    let mut lines = Vec::with_capacity(ls.len());
    for (j, l) in ls.iter().enumerate() {
        let path = format!("{lp}[{j}]");
        lines.push(line(l, &path, inv_currency.as_deref(), inv_sub, prices)?);
    }
    let sub = inv_sub
        .map(str::to_string)
        .or_else(|| lines.iter().find_map(|l| l.sub.clone()));
    let total = match field(v, "total") {
        None => None,
        Some(t) => Some(t.as_i64().ok_or_else(|| {
            bad(
                "total",
                Some(t),
                BadNumber,
                "an integer amount in the currency's minor units, or null",
            )
        })?),
    };
    Ok(Invoice {
        line: line_no,
        id,
        customer,
        created,
        lines,
        sub,
        pay: payment(v)?,
        currency: inv_currency,
        total,
        paid_by: paid_by(v)?,
    })
}
