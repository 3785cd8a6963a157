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
    bad, currency, field, id_of, join, list, major, opt_bool, opt_id, opt_int, opt_str, opt_ts,
    req_str, Bad,
};
use super::payment::{paid_by, payment, Payment};
use super::pricing;
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

/// What a line says it bills.
#[derive(Clone, Copy)]
struct Source<'v> {
    /// A subscription line (else an invoice item).
    subscription: bool,
    proration: bool,
    sub: Option<&'v str>,
    item: Option<&'v str>,
}

/// The classic fields: `type`, `proration`, `subscription`, `subscription_item`.
fn classic_source<'v>(l: &'v Value, path: &str) -> Result<Option<Source<'v>>, Bad> {
    let subscription = match opt_str(l, path, "type")? {
        None => return Ok(None),
        Some("subscription") => true,
        Some("invoiceitem") => false,
        Some(_) => {
            return Err(bad(
                &join(path, "type"),
                field(l, "type"),
                UnknownValue,
                "subscription or invoiceitem",
            ))
        }
    };
    Ok(Some(Source {
        subscription,
        proration: opt_bool(l, path, "proration")?,
        sub: opt_id(l, path, "subscription", "a subscription id")?,
        item: opt_id(l, path, "subscription_item", "a subscription item id")?,
    }))
}

/// The current fields: `parent.type` and the object it names.
fn parent_source<'v>(l: &'v Value, path: &str) -> Result<Option<Source<'v>>, Bad> {
    let Some(parent) = field(l, "parent") else {
        return Ok(None);
    };
    let pp = join(path, "parent");
    if !parent.is_object() {
        return Err(bad(
            &pp,
            Some(parent),
            Other,
            "an object {type, ...} or null",
        ));
    }
    let kind = opt_str(parent, &pp, "type")?;
    let subscription = match kind {
        Some("subscription_item_details") => true,
        Some("invoice_item_details") => false,
        _ => {
            return Err(bad(
                &join(&pp, "type"),
                field(parent, "type"),
                UnknownValue,
                "subscription_item_details or invoice_item_details",
            ))
        }
    };
    let key = kind.unwrap_or_default();
    let dp = join(&pp, key);
    let Some(details) = field(parent, key).filter(|d| d.is_object()) else {
        return Err(bad(
            &dp,
            field(parent, key),
            Other,
            format!("the {key} object that parent.type names"),
        ));
    };
    Ok(Some(Source {
        subscription,
        proration: opt_bool(details, &dp, "proration")?,
        sub: opt_id(details, &dp, "subscription", "a subscription id")?,
        item: opt_id(details, &dp, "subscription_item", "a subscription item id")?,
    }))
}

/// The line's source from either shape; both must agree where a line carries both.
fn source<'v>(l: &'v Value, path: &str) -> Result<Source<'v>, Bad> {
    match (classic_source(l, path)?, parent_source(l, path)?) {
        (None, None) => Err(bad(
            &join(path, "parent"),
            None,
            MissingValue,
            "what the line bills: parent.type (API 2025-03-31 and later) or type (earlier \
             versions)",
        )),
        (Some(c), None) => Ok(c),
        (None, Some(p)) => Ok(p),
        (Some(c), Some(p)) => {
            let conflict = |key: &str, what: &str| {
                Err(bad(
                    &join(path, key),
                    field(l, key),
                    Other,
                    format!("{what} that parent says too (the line carries both shapes)"),
                ))
            };
            if c.subscription != p.subscription {
                return conflict("type", "the kind");
            }
            if field(l, "proration").is_some() && c.proration != p.proration {
                return conflict("proration", "the proration flag");
            }
            if matches!((c.sub, p.sub), (Some(a), Some(b)) if a != b) {
                return conflict("subscription", "the subscription");
            }
            Ok(Source {
                sub: p.sub.or(c.sub),
                item: p.item.or(c.item),
                ..p
            })
        }
    }
}

/// What a line shows of its price.
#[derive(Clone, Copy, Default)]
struct LinePrice<'v> {
    id: Option<&'v str>,
    product: Option<&'v str>,
    /// `None` when no expanded price shows it.
    metered: Option<bool>,
}

impl<'v> LinePrice<'v> {
    /// An expanded price: its id, product and whether it is metered (a one-time price is not).
    fn expanded(p: &'v Value, pp: &str) -> Result<LinePrice<'v>, Bad> {
        let metered = match field(p, "recurring") {
            Some(r) => opt_str(r, &join(pp, "recurring"), "usage_type")? == Some("metered"),
            None => false,
        };
        Ok(LinePrice {
            id: opt_str(p, pp, "id")?,
            product: opt_id(p, pp, "product", "a product id")?,
            metered: Some(metered),
        })
    }

    /// Fills what `self` lacks from `other`.
    fn or(self, other: LinePrice<'v>) -> LinePrice<'v> {
        LinePrice {
            id: self.id.or(other.id),
            product: self.product.or(other.product),
            metered: self.metered.or(other.metered),
        }
    }
}

/// The line's price, from the classic `price` object or from `pricing.price_details`
/// (`price` an id or an expanded price, `product` an id); both must name the same price.
fn line_price<'v>(l: &'v Value, path: &str, currency: &str) -> Result<LinePrice<'v>, Bad> {
    let classic = match field(l, "price") {
        None => None,
        Some(p) if p.is_object() => Some(LinePrice::expanded(p, &join(path, "price"))?),
        Some(Value::String(id)) => Some(LinePrice {
            id: Some(id.as_str()),
            ..LinePrice::default()
        }),
        Some(x) => {
            return Err(bad(
                &join(path, "price"),
                Some(x),
                Other,
                "a price object, a price id or null",
            ))
        }
    };
    let current = match field(l, "pricing") {
        None => None,
        Some(p) if p.is_object() => Some(pricing_details(p, &join(path, "pricing"), currency)?),
        Some(x) => {
            return Err(bad(
                &join(path, "pricing"),
                Some(x),
                Other,
                "an object {type, price_details} or null",
            ))
        }
    };
    match (classic, current) {
        (Some(a), Some(b)) => {
            if matches!((a.id, b.id), (Some(x), Some(y)) if x != y) {
                return Err(bad(
                    &join(path, "pricing.price_details.price"),
                    None,
                    MissingValue,
                    "the price that price names too (the line carries both shapes)",
                ));
            }
            Ok(b.or(a))
        }
        (a, b) => Ok(b.or(a).unwrap_or_default()),
    }
}

/// `pricing` (at path `pp`): `price_details` names the price; another type (Stripe may add
/// some) names none.
fn pricing_details<'v>(p: &'v Value, pp: &str, currency: &str) -> Result<LinePrice<'v>, Bad> {
    // Read to check it; `amount` is what was billed.
    pricing::minor_amount(p, pp, "unit_amount", currency)?;
    if opt_str(p, pp, "type")? != Some("price_details") {
        return Ok(LinePrice::default());
    }
    let dp = join(pp, "price_details");
    let Some(d) = field(p, "price_details").filter(|d| d.is_object()) else {
        return Err(bad(
            &dp,
            field(p, "price_details"),
            Other,
            "the price_details object that pricing.type names",
        ));
    };
    let named = LinePrice {
        product: opt_id(d, &dp, "product", "a product id")?,
        ..LinePrice::default()
    };
    match field(d, "price") {
        Some(x) if x.is_object() => Ok(named.or(LinePrice::expanded(x, &join(&dp, "price"))?)),
        _ => Ok(LinePrice {
            id: opt_str(d, &dp, "price")?,
            ..named
        }),
    }
}

/// The tax included in the line's `amount`, in minor units: from `tax_amounts[]` (`inclusive`)
/// or `taxes[]` (`tax_behavior: inclusive`); where a line has both, they must agree.
fn inclusive_tax(l: &Value, path: &str) -> Result<i64, Bad> {
    let amount = |t: &Value, p: &str| {
        opt_int(t, p, "amount", BadNumber, "an integer >= 0 in minor units").map(|a| a.unwrap_or(0))
    };
    let (classic, cp) = list(l, path, "tax_amounts")?;
    let mut old = 0i64;
    for (k, t) in classic.iter().enumerate() {
        let p = format!("{cp}[{k}]");
        if opt_bool(t, &p, "inclusive")? {
            old = old.saturating_add(amount(t, &p)?);
        }
    }
    let (current, tp) = list(l, path, "taxes")?;
    let mut new = 0i64;
    for (k, t) in current.iter().enumerate() {
        let p = format!("{tp}[{k}]");
        match opt_str(t, &p, "tax_behavior")? {
            Some("inclusive") => new = new.saturating_add(amount(t, &p)?),
            Some("exclusive") => {
                amount(t, &p)?;
            }
            _ => {
                return Err(bad(
                    &join(&p, "tax_behavior"),
                    field(t, "tax_behavior"),
                    UnknownValue,
                    "inclusive or exclusive",
                ))
            }
        }
    }
    if !classic.is_empty() && !current.is_empty() && old != new {
        return Err(bad(
            &tp,
            field(l, "taxes"),
            InconsistentAmount,
            format!("the same inclusive tax as tax_amounts ({old})"),
        ));
    }
    Ok(if current.is_empty() { old } else { new })
}

/// The line's discounts as `(amount, discount id)`: `discount_amounts[]`, and the discounts of
/// `pretax_credit_amounts[]` that `discount_amounts` does not already hold (the same discount
/// is listed in both; it is taken once). Credit-balance uses (`credit_balance_transaction`)
/// pay the bill rather than lower the price: they are not discounts.
fn discounts(l: &Value, path: &str, currency: &str) -> Result<Vec<(Decimal, String)>, Bad> {
    let mut out: Vec<(Decimal, String)> = Vec::new();
    let (das, dap) = list(l, path, "discount_amounts")?;
    for (k, da) in das.iter().enumerate() {
        let p = format!("{dap}[{k}]");
        let a = opt_int(
            da,
            &p,
            "amount",
            BadNumber,
            "an integer >= 0 in minor units",
        )?
        .unwrap_or(0);
        let d = opt_id(da, &p, "discount", "a discount id")?.unwrap_or("");
        out.push((major(a, currency), d.to_string()));
    }
    let listed = out.len();
    let (pcs, pcp) = list(l, path, "pretax_credit_amounts")?;
    for (k, pc) in pcs.iter().enumerate() {
        let p = format!("{pcp}[{k}]");
        let a = opt_int(
            pc,
            &p,
            "amount",
            BadNumber,
            "an integer >= 0 in minor units",
        )?
        .unwrap_or(0);
        match opt_str(pc, &p, "type")? {
            Some("discount") => {}
            Some("credit_balance_transaction") => continue,
            _ => {
                return Err(bad(
                    &join(&p, "type"),
                    field(pc, "type"),
                    UnknownValue,
                    "discount or credit_balance_transaction",
                ))
            }
        }
        let d = opt_id(pc, &p, "discount", "a discount id")?.unwrap_or("");
        let amount = major(a, currency);
        if listed == 0 {
            out.push((amount, d.to_string()));
            continue;
        }
        // The same discount as one of discount_amounts: by id, else (no id) by amount.
        let same = out[..listed]
            .iter()
            .find(|(_, id)| !d.is_empty() && id == d)
            .or_else(|| {
                out[..listed]
                    .iter()
                    .find(|(x, id)| d.is_empty() && id.is_empty() && *x == amount)
            });
        match same {
            Some((x, _)) if *x == amount => {}
            Some((x, _)) => {
                return Err(bad(
                    &join(&p, "amount"),
                    field(pc, "amount"),
                    InconsistentAmount,
                    format!(
                        "the amount discount_amounts gives this discount ({})",
                        x.mantissa
                    ),
                ))
            }
            None => {
                return Err(bad(
                    &p,
                    Some(pc),
                    Other,
                    "a discount that discount_amounts lists too (the line lists its discounts \
                     in both)",
                ))
            }
        }
    }
    Ok(out)
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
    let period = match field(l, "period") {
        Some(p) => {
            let pp = join(path, "period");
            match (opt_ts(p, &pp, "start")?, opt_ts(p, &pp, "end")?) {
                (Some(s), Some(e)) => Some((s, e)),
                _ => None,
            }
        }
        None => None,
    };
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
