//! What a subscription item costs per billing interval, exactly: a per-unit price (with its
//! `transform_quantity`) or a tiered one (`tiers_mode` `volume` or `graduated`), in major units
//! of the price's currency (docs/input.md, Stripe exports, "Tiered prices").

use super::fields::{bad, field, join, minor_places, opt_int, opt_str, Bad};
use crate::error::RejectionKind::*;
use nrr_core::money::Decimal;
use serde_json::Value;

/// `a + b`, exact; `None` on overflow.
fn dadd(a: Decimal, b: Decimal) -> Option<Decimal> {
    let d = a.decimals.max(b.decimals);
    let up = |x: Decimal| {
        10i64
            .checked_pow(d - x.decimals)
            .and_then(|p| x.mantissa.checked_mul(p))
    };
    Some(Decimal {
        mantissa: up(a)?.checked_add(up(b)?)?,
        decimals: d,
    })
}

/// `a x n`, exact; `None` on overflow.
fn dmul(a: Decimal, n: u64) -> Option<Decimal> {
    Some(Decimal {
        mantissa: a.mantissa.checked_mul(i64::try_from(n).ok()?)?,
        decimals: a.decimals,
    })
}

const ZERO: Decimal = Decimal {
    mantissa: 0,
    decimals: 0,
};

/// A decimal string in minor units (`"1234.5"`) as major units of `currency`: at most 6
/// places once trailing zeros are dropped (Stripe writes up to 12, mostly zeros).
fn minor_decimal(s: &str, currency: &str) -> Option<Decimal> {
    let s = match s.split_once('.') {
        Some((int, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                int.to_string()
            } else {
                format!("{int}.{frac}")
            }
        }
        None => s.to_string(),
    };
    let d = Decimal::parse(&s, 6).filter(|d| !d.is_negative())?;
    Some(Decimal {
        mantissa: d.mantissa,
        decimals: d.decimals + minor_places(currency),
    })
}

/// An amount written as an integer in minor units (`key`) or as its decimal-string twin
/// (`{key}_decimal`), in major units; `None` when neither is there.
pub(super) fn minor_amount(
    v: &Value,
    path: &str,
    key: &str,
    currency: &str,
) -> Result<Option<Decimal>, Bad> {
    if let Some(x) = field(v, key) {
        return match x.as_i64() {
            Some(n) if n >= 0 => Ok(Some(Decimal {
                mantissa: n,
                decimals: minor_places(currency),
            })),
            _ => Err(bad(
                &join(path, key),
                Some(x),
                BadNumber,
                "an integer >= 0 in the currency's minor units",
            )),
        };
    }
    let dkey = format!("{key}_decimal");
    match opt_str(v, path, &dkey)? {
        None => Ok(None),
        Some(s) => minor_decimal(s, currency).map(Some).ok_or_else(|| {
            bad(
                &join(path, &dkey),
                field(v, &dkey),
                BadNumber,
                "a decimal >= 0 in minor units with at most 6 places",
            )
        }),
    }
}

/// The quantity billed: `quantity / transform_quantity.divide_by`, rounded `up` or `down`.
fn billed_quantity(p: &Value, pp: &str, quantity: u64) -> Result<u64, Bad> {
    let Some(t) = field(p, "transform_quantity") else {
        return Ok(quantity);
    };
    let tp = join(pp, "transform_quantity");
    if !t.is_object() {
        return Err(bad(
            &tp,
            Some(t),
            Other,
            "an object {divide_by, round} or null",
        ));
    }
    let divide_by = opt_int(t, &tp, "divide_by", BadNumber, "an integer >= 1")?
        .filter(|d| *d >= 1)
        .ok_or_else(|| {
            bad(
                &join(&tp, "divide_by"),
                field(t, "divide_by"),
                BadNumber,
                "an integer >= 1",
            )
        })? as u64;
    match opt_str(t, &tp, "round")? {
        Some("up") => Ok(quantity.div_ceil(divide_by)),
        Some("down") => Ok(quantity / divide_by),
        _ => Err(bad(
            &join(&tp, "round"),
            field(t, "round"),
            UnknownValue,
            "up or down",
        )),
    }
}

/// One tier: units up to and including `up_to` (`None`: no upper bound).
struct Tier {
    up_to: Option<u64>,
    unit: Decimal,
    flat: Decimal,
}

const EXPAND_TIERS: &str = "the price's tiers: Stripe leaves them out of a price unless asked, \
     so export the subscriptions with expand[]=data.items.data.price.tiers (stripe subscriptions \
     list --expand data.items.data.price.tiers)";

fn tiers(p: &Value, pp: &str, currency: &str) -> Result<Vec<Tier>, Bad> {
    let tp = join(pp, "tiers");
    let list = match field(p, "tiers") {
        None => return Err(bad(&tp, None, MissingValue, EXPAND_TIERS)),
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(x) => {
            return Err(bad(
                &tp,
                Some(x),
                MissingValue,
                "a non-empty array of tiers",
            ))
        }
    };
    let mut out: Vec<Tier> = Vec::with_capacity(list.len());
    for (i, t) in list.iter().enumerate() {
        let path = format!("{tp}[{i}]");
        let up_to = match field(t, "up_to") {
            None => None,
            Some(Value::String(s)) if s == "inf" => None,
            Some(x) => match x.as_u64() {
                Some(n) if n >= 1 => Some(n),
                _ => {
                    return Err(bad(
                        &join(&path, "up_to"),
                        Some(x),
                        BadNumber,
                        "an integer >= 1, or null (or \"inf\") on the last tier",
                    ))
                }
            },
        };
        let last = i + 1 == list.len();
        match (out.last().map(|t| t.up_to), up_to) {
            (Some(None), _) => {
                return Err(bad(
                    &join(&format!("{tp}[{}]", i - 1), "up_to"),
                    None,
                    MissingValue,
                    "an upper bound (only the last tier has none)",
                ))
            }
            (Some(Some(prev)), Some(n)) if n <= prev => {
                return Err(bad(
                    &join(&path, "up_to"),
                    field(t, "up_to"),
                    Other,
                    format!("a bound above the previous tier's ({prev})"),
                ))
            }
            _ => {}
        }
        if last && up_to.is_some() {
            return Err(bad(
                &join(&path, "up_to"),
                field(t, "up_to"),
                Other,
                "null (or \"inf\"): the last tier has no upper bound",
            ));
        }
        out.push(Tier {
            up_to,
            unit: minor_amount(t, &path, "unit_amount", currency)?.unwrap_or(ZERO),
            flat: minor_amount(t, &path, "flat_amount", currency)?.unwrap_or(ZERO),
        });
    }
    Ok(out)
}

/// `volume`: every unit at the unit amount of the tier the quantity falls in, plus that tier's
/// flat amount.
fn volume(tiers: &[Tier], q: u64) -> Option<Decimal> {
    let t = tiers.iter().find(|t| t.up_to.is_none_or(|u| q <= u))?;
    dadd(dmul(t.unit, q)?, t.flat)
}

/// `graduated`: the units in each tier at that tier's unit amount, plus the flat amount of
/// every tier the quantity reaches (the first tier's always: a base fee).
fn graduated(tiers: &[Tier], q: u64) -> Option<Decimal> {
    let mut total = ZERO;
    let mut lower = 0u64;
    for (i, t) in tiers.iter().enumerate() {
        if i > 0 && q <= lower {
            break;
        }
        let top = t.up_to.map_or(q, |u| u.min(q));
        let units = top.saturating_sub(lower);
        total = dadd(dadd(total, dmul(t.unit, units)?)?, t.flat)?;
        match t.up_to {
            Some(u) => lower = u,
            None => break,
        }
    }
    Some(total)
}

/// What one interval of the price at `p` (JSON path `pp`) costs for `quantity` units, in
/// major units of `currency`; `item` is the item's path (a quantity too large is named there).
pub(super) fn interval_amount(
    p: &Value,
    pp: &str,
    quantity: u64,
    item: &str,
    currency: &str,
) -> Result<Decimal, Bad> {
    // No value shown, and no missing one: the quantity is too large for the price.
    let too_large = || Bad {
        kind: OutOfRange,
        ..bad(
            &join(item, "quantity"),
            None,
            OutOfRange,
            "a smaller quantity",
        )
    };
    match opt_str(p, pp, "billing_scheme")? {
        None | Some("per_unit") => {
            let unit = minor_amount(p, pp, "unit_amount", currency)?.ok_or_else(|| {
                bad(
                    &join(pp, "unit_amount"),
                    None,
                    MissingValue,
                    "a unit amount (unit_amount or unit_amount_decimal) on a per_unit price",
                )
            })?;
            let q = billed_quantity(p, pp, quantity)?;
            dmul(unit, q).ok_or_else(too_large)
        }
        Some("tiered") => {
            if let Some(t) = field(p, "transform_quantity") {
                return Err(bad(
                    &join(pp, "transform_quantity"),
                    Some(t),
                    Other,
                    "null on a tiered price (Stripe does not combine them)",
                ));
            }
            let tiers = tiers(p, pp, currency)?;
            let amount = match opt_str(p, pp, "tiers_mode")? {
                Some("volume") => volume(&tiers, quantity),
                Some("graduated") => graduated(&tiers, quantity),
                _ => {
                    return Err(bad(
                        &join(pp, "tiers_mode"),
                        field(p, "tiers_mode"),
                        UnknownValue,
                        "volume or graduated on a tiered price",
                    ))
                }
            };
            amount.ok_or_else(too_large)
        }
        Some(_) => Err(bad(
            &join(pp, "billing_scheme"),
            field(p, "billing_scheme"),
            UnknownValue,
            "per_unit or tiered",
        )),
    }
}

/// How a coupon's `amount_off` (`amount`, in minor units of its currency, `places` decimals)
/// comes off items costing `items` per period (`None`: an item in another currency, which it
/// does not touch): in proportion to their amounts, in whole minor units with the leftover
/// units going to the largest remainders (ties to the earlier item), as Stripe spreads a
/// fixed discount over an invoice's lines; never more than an item costs, so an `amount_off`
/// larger than the whole brings every item to 0.
pub(super) fn spread_amount_off(
    amount: Decimal,
    places: u32,
    items: &[Option<Decimal>],
) -> Option<Vec<Decimal>> {
    let at = |d: Decimal| -> Option<i128> {
        let up = 10i128.checked_pow(places.saturating_sub(d.decimals))?;
        let down = 10i128.checked_pow(d.decimals.saturating_sub(places))?;
        // Item amounts finer than minor units count at their value in minor units, rounded
        // down (the share is what moves in whole units).
        Some(i128::from(d.mantissa).checked_mul(up)? / down)
    };
    let units: Vec<i128> = items
        .iter()
        .map(|i| i.map_or(Some(0), at))
        .collect::<Option<_>>()?;
    let total: i128 = units.iter().sum();
    let off = at(amount)?;
    let mut shares = vec![0i128; units.len()];
    if total <= 0 {
    } else if off >= total {
        shares.clone_from(&units);
    } else {
        let mut rest: Vec<(i128, usize)> = Vec::with_capacity(units.len());
        for (k, u) in units.iter().enumerate() {
            let p = off.checked_mul(*u)?;
            shares[k] = p / total;
            rest.push((p % total, k));
        }
        let left = off - shares.iter().sum::<i128>();
        rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, k) in rest.iter().take(usize::try_from(left).ok()?) {
            shares[k] += 1;
        }
    }
    shares
        .into_iter()
        .map(|m| {
            Some(Decimal {
                mantissa: i64::try_from(m).ok()?,
                decimals: places,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(price: Value, q: u64) -> Result<String, String> {
        interval_amount(&price, "price", q, "items.data[0]", "USD")
            .map(crate::sources::decimal::dec_str)
            .map_err(|b| format!("{}: {}", b.path, b.expected))
    }

    fn tiered(mode: &str) -> Value {
        // 1-10 at 5.00, 11-20 at 4.00 plus a 10.00 flat fee, 21+ at 3.00.
        serde_json::json!({
            "billing_scheme": "tiered", "tiers_mode": mode,
            "tiers": [
                {"up_to": 10, "unit_amount": 500, "flat_amount": null},
                {"up_to": 20, "unit_amount": 400, "flat_amount": 1000},
                {"up_to": null, "unit_amount_decimal": "300.000000000000", "flat_amount": 0}
            ]
        })
    }

    #[test]
    fn volume_prices_every_unit_at_the_tier_the_quantity_falls_in() {
        let p = tiered("volume");
        assert_eq!(amount(p.clone(), 9).unwrap(), "45.00");
        assert_eq!(amount(p.clone(), 10).unwrap(), "50.00");
        assert_eq!(amount(p.clone(), 11).unwrap(), "54.00"); // 11 x 4 + 10
        assert_eq!(amount(p.clone(), 20).unwrap(), "90.00");
        assert_eq!(amount(p, 21).unwrap(), "63.00"); // 21 x 3: cheaper than 20
    }

    #[test]
    fn graduated_prices_each_tier_s_units_at_its_own_amount() {
        let p = tiered("graduated");
        assert_eq!(amount(p.clone(), 10).unwrap(), "50.00");
        // 10 x 5 + 1 x 4 + 10 flat.
        assert_eq!(amount(p.clone(), 11).unwrap(), "64.00");
        assert_eq!(amount(p.clone(), 20).unwrap(), "100.00");
        // + 1 x 3 (the last tier's flat amount is 0).
        assert_eq!(amount(p, 21).unwrap(), "103.00");
    }

    #[test]
    fn a_first_tier_flat_amount_is_a_base_fee_even_at_quantity_zero() {
        let p = serde_json::json!({
            "billing_scheme": "tiered", "tiers_mode": "graduated",
            "tiers": [{"up_to": 5, "unit_amount": 0, "flat_amount": 2500},
                      {"up_to": "inf", "unit_amount": 300}]
        });
        assert_eq!(amount(p.clone(), 0).unwrap(), "25.00");
        assert_eq!(amount(p, 7).unwrap(), "31.00");
    }

    #[test]
    fn an_amount_off_is_spread_over_the_items_never_below_zero() {
        let d = |m: i64| Decimal {
            mantissa: m,
            decimals: 2,
        };
        let spread = |off: i64, items: &[Option<i64>]| -> Vec<i64> {
            let items: Vec<Option<Decimal>> = items.iter().map(|i| i.map(d)).collect();
            spread_amount_off(d(off), 2, &items)
                .unwrap()
                .iter()
                .map(|x| x.mantissa)
                .collect()
        };
        // 150.00 off 100.00 + 50.00: both to 0 (Stripe bills 0).
        assert_eq!(spread(15000, &[Some(10000), Some(5000)]), [10000, 5000]);
        assert_eq!(spread(20000, &[Some(10000), Some(5000)]), [10000, 5000]);
        // 60.00 off: 40.00 and 20.00, in proportion.
        assert_eq!(spread(6000, &[Some(10000), Some(5000)]), [4000, 2000]);
        // 10.00 off three items of 10.00: 3.34, 3.33, 3.33 (the leftover cent to the first).
        assert_eq!(
            spread(1000, &[Some(1000), Some(1000), Some(1000)]),
            [334, 333, 333]
        );
        // An item in another currency takes none of it.
        assert_eq!(spread(3000, &[Some(10000), None]), [3000, 0]);
    }

    #[test]
    fn transform_quantity_divides_and_rounds() {
        let p = |round: &str| {
            serde_json::json!({"unit_amount": 1000,
                "transform_quantity": {"divide_by": 10, "round": round}})
        };
        assert_eq!(amount(p("up"), 25).unwrap(), "30.00");
        assert_eq!(amount(p("down"), 25).unwrap(), "20.00");
        assert_eq!(amount(p("up"), 30).unwrap(), "30.00");
    }

    #[test]
    fn a_tiered_price_without_its_tiers_says_how_to_export_them() {
        let e = amount(
            serde_json::json!({"billing_scheme": "tiered", "tiers_mode": "volume"}),
            3,
        )
        .unwrap_err();
        assert!(e.starts_with("price.tiers: "), "{e}");
        assert!(e.contains("expand[]=data.items.data.price.tiers"), "{e}");
    }

    #[test]
    fn bad_tiers_are_named_by_path() {
        let e = amount(
            serde_json::json!({"billing_scheme": "tiered", "tiers_mode": "volume",
                "tiers": [{"up_to": 10, "unit_amount": 1}, {"up_to": 5, "unit_amount": 1},
                          {"up_to": null, "unit_amount": 1}]}),
            3,
        )
        .unwrap_err();
        assert!(e.starts_with("price.tiers[1].up_to: "), "{e}");
        let e = amount(
            serde_json::json!({"billing_scheme": "tiered", "tiers_mode": "volume",
                "tiers": [{"up_to": 10, "unit_amount": 1}]}),
            3,
        )
        .unwrap_err();
        assert!(e.starts_with("price.tiers[0].up_to: "), "{e}");
    }
}
