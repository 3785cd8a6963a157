//! The drill-down data the page's script reads: for every bar (month or quarter, movement)
//! the customers behind it, and each of those customers' months. Amounts are integer cents.

use super::escape::{script_json, visible};
use nrr_core::detail::Detail;
use nrr_core::money::Money;
use nrr_core::report::{Bridge, Granularity, Report};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Data<'a> {
    currency: Cow<'a, str>,
    /// The window's months (a customer's `mrr` has one entry per month).
    months: Vec<String>,
    /// Key `period|category`.
    drill: BTreeMap<String, List>,
    customers: Vec<Customer<'a>>,
}

#[derive(Serialize)]
struct List {
    /// The figure the bar shows (cents).
    shown: i128,
    /// Customers with the movement in the period.
    count: u64,
    /// [customer index, cents], largest first.
    top: Vec<(usize, i128)>,
    /// Customers not listed.
    others: u64,
    /// `shown` minus the listed cents.
    others_cents: i128,
}

#[derive(Serialize)]
struct Customer<'a> {
    id: Cow<'a, str>,
    /// MRR at each month's end (cents).
    mrr: Vec<i128>,
    /// [month index, category, cents] of the months with a movement.
    moves: Vec<(usize, &'static str, i128)>,
    /// [month index, fx cents] of the months with an FX change.
    fx: Vec<(usize, i128)>,
    /// [month index, note].
    notes: Vec<(usize, Cow<'a, str>)>,
}

/// The figure of `category` in a bridge (fx signed), as shown.
fn figure(b: &Bridge, category: &str) -> Option<Money> {
    Some(match category {
        "new" => b.new,
        "reactivation" => b.reactivation,
        "expansion" => b.expansion,
        "contraction" => b.contraction,
        "churn" => b.churn,
        "fx" => b.fx,
        "paused" => b.paused?,
        "resumed" => b.resumed?,
        "moved_in" => b.moved_in?,
        "moved_out" => b.moved_out?,
        _ => return None,
    })
}

/// The shown bridge of a month or quarter label.
fn bridge_of(r: &Report, period: &str) -> Option<Bridge> {
    r.periods
        .iter()
        .find(|p| p.period == period && p.granularity != Granularity::Year)
        .map(|p| p.bridge.clone())
}

/// The drill-down data as JSON safe inside the page's `<script type="application/json">`.
pub(super) fn drill_json(r: &Report, d: &Detail) -> String {
    let index: BTreeMap<&str, usize> = d
        .customers
        .iter()
        .enumerate()
        .map(|(i, c)| (c.customer_id.as_str(), i))
        .collect();
    let mut drill = BTreeMap::new();
    for list in &d.drill {
        let Some(shown) = bridge_of(r, &list.period).and_then(|b| figure(&b, list.category)) else {
            continue;
        };
        let shown = shown.cents();
        let top: Vec<(usize, i128)> = list
            .customers
            .iter()
            .filter_map(|c| Some((*index.get(c.customer_id.as_str())?, c.amount.cents())))
            .collect();
        let listed: i128 = top.iter().map(|t| t.1).sum();
        drill.insert(
            format!("{}|{}", list.period, list.category),
            List {
                shown,
                count: list.customer_count,
                others: list.others,
                others_cents: shown - listed,
                top,
            },
        );
    }
    let customers = d
        .customers
        .iter()
        .map(|c| Customer {
            id: visible(&c.customer_id),
            mrr: c.months.iter().map(|m| m.mrr.cents()).collect(),
            moves: c
                .months
                .iter()
                .enumerate()
                .filter_map(|(i, m)| Some((i, m.movement?.name(), m.amount.cents())))
                .collect(),
            fx: c
                .months
                .iter()
                .enumerate()
                .filter(|(_, m)| !m.fx.is_zero())
                .map(|(i, m)| (i, m.fx.cents()))
                .collect(),
            notes: c
                .months
                .iter()
                .enumerate()
                .flat_map(|(i, m)| m.notes.iter().map(move |n| (i, visible(&n.note))))
                .collect(),
        })
        .collect();
    let data = Data {
        currency: visible(&r.currency),
        months: r.months.iter().map(|m| m.month.to_string()).collect(),
        drill,
        customers,
    };
    // Plain data of strings and integers: serialising it cannot fail.
    let json = serde_json::to_string(&data).unwrap_or_else(|_| "{}".to_string());
    script_json(&json)
}
