//! A Stripe invoice line's fields in its two shapes (docs/input.md, Stripe exports, "Invoice
//! lines in both shapes"): what it bills ([`source`]), its price ([`line_price`]), its
//! inclusive tax ([`inclusive_tax`]) and its discounts ([`discounts`]), read from the classic
//! fields or the current ones, which must agree where a line carries both.

use super::fields::{bad, field, join, list, major, opt_bool, opt_id, opt_int, opt_str, Bad};
use super::pricing;
use crate::error::RejectionKind::*;
use nrr_core::money::Decimal;
use serde_json::Value;

/// What a line says it bills.
#[derive(Clone, Copy)]
pub(super) struct Source<'v> {
    /// A subscription line (else an invoice item).
    pub(super) subscription: bool,
    pub(super) proration: bool,
    pub(super) sub: Option<&'v str>,
    pub(super) item: Option<&'v str>,
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
pub(super) fn source<'v>(l: &'v Value, path: &str) -> Result<Source<'v>, Bad> {
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
pub(super) struct LinePrice<'v> {
    pub(super) id: Option<&'v str>,
    pub(super) product: Option<&'v str>,
    /// `None` when no expanded price shows it.
    pub(super) metered: Option<bool>,
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
pub(super) fn line_price<'v>(
    l: &'v Value,
    path: &str,
    currency: &str,
) -> Result<LinePrice<'v>, Bad> {
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
pub(super) fn inclusive_tax(l: &Value, path: &str) -> Result<i64, Bad> {
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
pub(super) fn discounts(
    l: &Value,
    path: &str,
    currency: &str,
) -> Result<Vec<(Decimal, String)>, Bad> {
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
