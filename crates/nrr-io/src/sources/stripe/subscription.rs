//! Subscription objects: their status, items, prices and coupons, validated into
//! [`Subscription`] values.

use super::cycle::add_months;
use super::fields::major;
use super::fields::{
    bad, currency, field, id_of, join, list, opt_bool, opt_id, opt_int, opt_str, opt_ts, req_str,
    Bad,
};
use super::pricing;
use crate::error::RejectionKind::*;
use nrr_core::date::Date;
use nrr_core::money::Decimal;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Subscriptions

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    Trialing,
    Active,
    PastDue,
    Unpaid,
    Canceled,
    Paused,
    Incomplete,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Interval {
    Day,
    Week,
    Month,
    Year,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Duration {
    Once,
    Repeating,
    Forever,
}

/// A price of a subscription item.
pub(super) struct Price {
    pub(super) id: String,
    pub(super) product: String,
    pub(super) currency: String,
    /// Per interval, in major units, for the item's quantity (`unit_amount x quantity`, or
    /// its tiers: `pricing`); 0 for a metered price.
    pub(super) amount: Decimal,
    pub(super) interval: Interval,
    pub(super) count: u32,
    pub(super) metered: bool,
}

pub(super) struct Item {
    /// `si_...`, when exported: invoice lines of the current shape name it.
    pub(super) id: Option<String>,
    pub(super) price: Price,
    pub(super) quantity: u64,
}

pub(super) struct Coupon {
    pub(super) id: String,
    pub(super) percent_off: Option<Decimal>,
    /// Major units, in `currency`.
    pub(super) amount_off: Option<(Decimal, String)>,
    pub(super) duration: Duration,
    pub(super) start: Option<i64>,
    pub(super) end: Option<i64>,
}

pub(super) struct Subscription {
    pub(super) line: u64,
    pub(super) id: String,
    pub(super) customer: String,
    pub(super) status: Status,
    pub(super) start: i64,
    pub(super) trial_end: Option<i64>,
    pub(super) anchor: Option<i64>,
    pub(super) cps: Option<i64>,
    pub(super) cpe: Option<i64>,
    pub(super) cancel_at: Option<i64>,
    pub(super) cancel_at_period_end: bool,
    pub(super) canceled_at: Option<i64>,
    pub(super) ended_at: Option<i64>,
    /// `pause_collection`: `Some(resumes_at)`.
    pub(super) pause_collection: Option<Option<i64>>,
    pub(super) items: Vec<Item>,
    pub(super) discounts: Vec<Coupon>,
    /// Past timestamps: the export was made after them (for the as-of date).
    pub(super) seen: i64,
}

pub(super) fn price(v: &Value, path: &str, quantity: u64) -> Result<Price, Bad> {
    let Some(p) = field(v, "price").filter(|p| p.is_object()) else {
        return Err(bad(
            &join(path, "price"),
            field(v, "price"),
            MissingValue,
            "a price object (required)",
        ));
    };
    let pp = join(path, "price");
    let id = req_str(p, &pp, "id", "a price id")?.to_string();
    let product = opt_id(p, &pp, "product", "a product id")?
        .unwrap_or("")
        .to_string();
    let cur = currency(p, &pp, "currency")?.ok_or_else(|| {
        bad(
            &join(&pp, "currency"),
            None,
            MissingValue,
            "a currency code (required)",
        )
    })?;
    let Some(r) = field(p, "recurring").filter(|r| r.is_object()) else {
        return Err(bad(
            &join(&pp, "recurring"),
            field(p, "recurring"),
            Other,
            "a recurring price {interval, interval_count} (a subscription item's price recurs)",
        ));
    };
    let rp = join(&pp, "recurring");
    let interval = match opt_str(r, &rp, "interval")? {
        Some("day") => Interval::Day,
        Some("week") => Interval::Week,
        Some("month") => Interval::Month,
        Some("year") => Interval::Year,
        _ => {
            return Err(bad(
                &join(&rp, "interval"),
                field(r, "interval"),
                BadInterval,
                "day, week, month or year",
            ))
        }
    };
    let count = match opt_int(
        r,
        &rp,
        "interval_count",
        BadInterval,
        "an integer from 1 to 1095",
    )? {
        None => 1,
        Some(n) if (1..=1095).contains(&n) => n as u32,
        Some(_) => {
            return Err(bad(
                &join(&rp, "interval_count"),
                field(r, "interval_count"),
                BadInterval,
                "an integer from 1 to 1095",
            ))
        }
    };
    let metered = match opt_str(r, &rp, "usage_type")? {
        None | Some("licensed") => false,
        Some("metered") => true,
        Some(_) => {
            return Err(bad(
                &join(&rp, "usage_type"),
                field(r, "usage_type"),
                UnknownValue,
                "licensed or metered",
            ))
        }
    };
    // A metered price is never MRR: what its usage costs is on the invoices (`--usage`).
    let amount = if metered {
        Decimal {
            mantissa: 0,
            decimals: 0,
        }
    } else {
        pricing::interval_amount(p, &pp, quantity, path, &cur)?
    };
    Ok(Price {
        id,
        product,
        currency: cur,
        amount,
        interval,
        count,
        metered,
    })
}

pub(super) fn quantity(v: &Value, path: &str) -> Result<u64, Bad> {
    Ok(opt_int(v, path, "quantity", BadNumber, "an integer >= 0")?.unwrap_or(1) as u64)
}

/// A coupon's `percent_off` (a number from 0 to 100), when it has one.
fn percent_off(c: &Value, cp: &str) -> Result<Option<Decimal>, Bad> {
    let Some(x) = field(c, "percent_off") else {
        return Ok(None);
    };
    let p = Decimal::parse(&x.to_string(), 4)
        .filter(|p| !p.is_negative() && p.mantissa <= 100 * 10i64.pow(p.decimals));
    let bad_percent = || {
        bad(
            &join(cp, "percent_off"),
            Some(x),
            BadNumber,
            "a number from 0 to 100",
        )
    };
    Ok(Some(p.ok_or_else(bad_percent)?))
}

pub(super) fn coupon(d: &Value, path: &str) -> Result<Coupon, Bad> {
    let Some(c) = field(d, "coupon").filter(|c| c.is_object()) else {
        return Err(bad(
            &join(path, "coupon"),
            field(d, "coupon"),
            Other,
            "a coupon object",
        ));
    };
    let cp = join(path, "coupon");
    let percent_off = percent_off(c, &cp)?;
    let amount_off = match opt_int(
        c,
        &cp,
        "amount_off",
        BadNumber,
        "an integer >= 0 in minor units",
    )? {
        None => None,
        Some(n) => {
            let cur = currency(c, &cp, "currency")?.ok_or_else(|| {
                bad(
                    &join(&cp, "currency"),
                    None,
                    MissingValue,
                    "the currency of amount_off",
                )
            })?;
            Some((major(n, &cur), cur))
        }
    };
    if percent_off.is_none() && amount_off.is_none() {
        return Err(bad(
            &cp,
            Some(c),
            Other,
            "a coupon with percent_off or amount_off",
        ));
    }
    let duration = match opt_str(c, &cp, "duration")? {
        Some("once") => Duration::Once,
        Some("repeating") => Duration::Repeating,
        Some("forever") => Duration::Forever,
        _ => {
            return Err(bad(
                &join(&cp, "duration"),
                field(c, "duration"),
                UnknownValue,
                "once, repeating or forever",
            ))
        }
    };
    let start = opt_ts(d, path, "start")?;
    let mut end = opt_ts(d, path, "end")?;
    if duration == Duration::Repeating && end.is_none() {
        let months = opt_int(c, &cp, "duration_in_months", BadNumber, "an integer >= 1")?
            .filter(|m| *m >= 1)
            .ok_or_else(|| {
                bad(
                    &join(&cp, "duration_in_months"),
                    field(c, "duration_in_months"),
                    BadNumber,
                    "an integer >= 1 for a repeating coupon without an end",
                )
            })?;
        // The end is the start plus the months (in UTC, as Stripe computes it).
        end = start.map(|s| {
            let day = s.div_euclid(86_400);
            let rest = s.rem_euclid(86_400);
            let d = add_months(Date::from_days(day as i32), months as i32, None);
            i64::from(d.days()) * 86_400 + rest
        });
    }
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            return Err(bad(
                &join(path, "end"),
                field(d, "end"),
                EndBeforeStart,
                "a time after start",
            ));
        }
    }
    Ok(Coupon {
        id: opt_str(d, path, "id")?.unwrap_or("").to_string(),
        percent_off,
        amount_off,
        duration,
        start,
        end,
    })
}

pub(super) fn subscription(v: &Value, line: u64) -> Result<Subscription, Bad> {
    let id = req_str(v, "", "id", "a subscription id")?.to_string();
    let customer = id_of(v, "", "customer", "a customer id")?.to_string();
    let status = status(v)?;
    let Items {
        items,
        first,
        path: ip,
    } = items(v)?;
    let period = |key: &str| -> Result<Option<i64>, Bad> {
        match opt_ts(v, "", key)? {
            Some(t) => Ok(Some(t)),
            None => opt_ts(first, &format!("{ip}[0]"), key),
        }
    };
    let cps = period("current_period_start")?;
    let cpe = period("current_period_end")?;
    if let (Some(s), Some(e)) = (cps, cpe) {
        if e <= s {
            return Err(bad(
                "current_period_end",
                field(v, "current_period_end").or(field(first, "current_period_end")),
                EndBeforeStart,
                format!("a time after current_period_start ({s})"),
            ));
        }
    }
    let start_date = opt_ts(v, "", "start_date")?;
    let created = opt_ts(v, "", "created")?;
    let start = start_date.or(created).ok_or_else(|| {
        bad(
            "start_date",
            None,
            MissingValue,
            "a Unix timestamp (required)",
        )
    })?;
    let trial_start = opt_ts(v, "", "trial_start")?;
    let trial_end = opt_ts(v, "", "trial_end")?;
    if let (Some(s), Some(e)) = (trial_start, trial_end) {
        if e < s {
            return Err(bad(
                "trial_end",
                field(v, "trial_end"),
                EndBeforeStart,
                format!("a time on or after trial_start ({s})"),
            ));
        }
    }
    let ended_at = opt_ts(v, "", "ended_at")?;
    if let Some(e) = ended_at.filter(|e| *e < start) {
        return Err(bad(
            "ended_at",
            Some(&Value::from(e)),
            EndBeforeStart,
            format!("a time on or after start_date ({start})"),
        ));
    }
    let pause_collection = match field(v, "pause_collection") {
        None => None,
        Some(p) if p.is_object() => Some(opt_ts(p, "pause_collection", "resumes_at")?),
        Some(x) => return Err(bad("pause_collection", Some(x), Other, "an object or null")),
    };
    let discounts = coupons(v)?;
    let canceled_at = opt_ts(v, "", "canceled_at")?;
    let seen = [
        Some(start),
        created,
        cps,
        canceled_at,
        ended_at,
        trial_start,
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(start);
    Ok(Subscription {
        line,
        id,
        customer,
        status,
        start,
        trial_end,
        anchor: opt_ts(v, "", "billing_cycle_anchor")?,
        cps,
        cpe,
        cancel_at: opt_ts(v, "", "cancel_at")?,
        cancel_at_period_end: opt_bool(v, "", "cancel_at_period_end")?,
        canceled_at,
        ended_at,
        pause_collection,
        items,
        discounts,
        seen,
    })
}

/// The subscription's `status`.
fn status(v: &Value) -> Result<Status, Bad> {
    Ok(match opt_str(v, "", "status")? {
        Some("trialing") => Status::Trialing,
        Some("active") => Status::Active,
        Some("past_due") => Status::PastDue,
        Some("unpaid") => Status::Unpaid,
        Some("canceled") => Status::Canceled,
        Some("paused") => Status::Paused,
        Some("incomplete" | "incomplete_expired") => Status::Incomplete,
        _ => {
            return Err(bad(
                "status",
                field(v, "status"),
                UnknownValue,
                "one of trialing, active, past_due, unpaid, canceled, paused, incomplete, \
                 incomplete_expired",
            ))
        }
    })
}

/// A subscription's items, the first item's value (it holds the current period since API
/// version 2025-03-31) and the items' JSON path.
struct Items<'v> {
    items: Vec<Item>,
    first: &'v Value,
    path: String,
}

/// The subscription's items (at least one).
fn items(v: &Value) -> Result<Items<'_>, Bad> {
    let (items_v, ip) = list(v, "", "items")?;
    let mut items = Vec::new();
    for (i, it) in items_v.iter().enumerate() {
        let path = format!("{ip}[{i}]");
        let q = quantity(it, &path)?;
        items.push(Item {
            id: opt_str(it, &path, "id")?.map(str::to_string),
            price: price(it, &path, q)?,
            quantity: q,
        });
    }
    if items.is_empty() {
        return Err(bad(
            "items.data",
            field(v, "items"),
            Other,
            "at least one item",
        ));
    }
    // Since API version 2025-03-31 the current period is on the items.
    Ok(Items {
        items,
        first: items_v[0],
        path: ip,
    })
}

/// The subscription's coupons: `discounts` (expanded ones) and `discount`, each once.
fn coupons(v: &Value) -> Result<Vec<Coupon>, Bad> {
    let mut discounts: Vec<Coupon> = Vec::new();
    let (ds, dp) = list(v, "", "discounts")?;
    for (i, d) in ds.iter().enumerate() {
        // Unexpanded discount ids carry no coupon: they are left out (docs/input.md).
        if d.is_object() {
            discounts.push(coupon(d, &format!("{dp}[{i}]"))?);
        }
    }
    if let Some(d) = field(v, "discount").filter(|d| d.is_object()) {
        let c = coupon(d, "discount")?;
        if c.id.is_empty() || !discounts.iter().any(|x| x.id == c.id) {
            discounts.push(c);
        }
    }
    Ok(discounts)
}
