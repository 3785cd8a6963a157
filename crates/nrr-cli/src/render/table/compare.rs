//! `nrr compare` as text: the two sides' policies, movements and retention, then the
//! customer-months that differ.

use super::grid::{grid, heading, left_grid, money, percent};
use crate::render::Style;
use nrr_core::compare::Comparison;
use std::fmt::Write;

/// `nrr compare`: the two sides' policies, movement totals and retention, then the
/// customer-months that differ, largest first.
pub(crate) fn comparison(c: &Comparison, style: Style) -> String {
    let [a, b] = [&c.sides[0], &c.sides[1]];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "nrr compare: {a} vs {b}; currency {}, window {} to {}; policies in docs/policies.md",
        c.currency, c.window.start_month, c.window.end_month
    );
    policies(&mut out, style, c);
    movements(&mut out, style, c);
    retention(&mut out, style, c);
    customer_months(&mut out, style, c);
    out
}

/// The policies of each side, `differs` where they part.
fn policies(out: &mut String, style: Style, c: &Comparison) {
    let [a, b] = [&c.sides[0], &c.sides[1]];
    heading(out, style, "Policies");
    // The reader policies, churn recognition among them, act on invoices.csv and Stripe
    // exports only (they echo `discounts`); items.csv, mrr.csv and subscription_snapshots
    // already hold their result, whatever a preset says, so they show `-` there.
    let pol = |p: &nrr_core::report::Policies| {
        let applies = p.discounts.is_some();
        [
            if applies {
                p.churn_recognition.to_string()
            } else {
                "-".into()
            },
            p.reactivation.clone(),
            p.discounts.clone().unwrap_or_else(|| "-".into()),
            p.past_due.clone().unwrap_or_else(|| "-".into()),
            p.pauses.clone().unwrap_or_else(|| "-".into()),
            p.full_refunds.clone().unwrap_or_else(|| "-".into()),
        ]
    };
    let (pa, pb) = (pol(&c.policies[0]), pol(&c.policies[1]));
    let names = [
        "churn recognition",
        "reactivation",
        "discounts",
        "past due",
        "pauses",
        "full refunds",
    ];
    let rows: Vec<Vec<String>> = names
        .iter()
        .zip(pa.iter().zip(&pb))
        .map(|(n, (x, y))| {
            let mark = if x == y { "" } else { "differs" };
            vec![n.to_string(), x.clone(), y.clone(), mark.to_string()]
        })
        .collect();
    out.push_str(&left_grid(&["policy", a, b, ""], &rows));
    if pa.iter().chain(&pb).any(|v| v == "-") {
        out.push_str(
            "(\"-\": the reader policy does not apply to this input; items.csv, mrr.csv and snapshots hold its result)\n",
        );
    }
}

/// Each movement's total over the window, and the difference.
fn movements(out: &mut String, style: Style, c: &Comparison) {
    let [a, b] = [&c.sides[0], &c.sides[1]];
    heading(out, style, "Movements over the window");
    let rows: Vec<Vec<String>> = c
        .movements
        .iter()
        .map(|m| {
            vec![
                m.figure.to_string(),
                money(m.a),
                money(m.b),
                money(m.b.minus(m.a)),
            ]
        })
        .collect();
    out.push_str(&grid(&["figure", a, b, &format!("{b} - {a}")], &rows));
}

/// Starting MRR, NRR and GRR of each side for the quarters, years and latest TTM.
fn retention(out: &mut String, style: Style, c: &Comparison) {
    let [a, b] = [&c.sides[0], &c.sides[1]];
    heading(
        out,
        style,
        "Retention (frozen cohort; quarters, years and the latest TTM)",
    );
    let rows: Vec<Vec<String>> = c
        .periods
        .iter()
        .map(|p| {
            vec![
                p.period.clone(),
                money(p.a.starting_mrr),
                money(p.b.starting_mrr),
                percent(p.a.nrr),
                percent(p.b.nrr),
                percent(p.a.grr),
                percent(p.b.grr),
            ]
        })
        .collect();
    let h = |what: &str, side: &str| format!("{what} {side}");
    let heads = [
        "period".to_string(),
        h("starting", a),
        h("starting", b),
        h("NRR", a),
        h("NRR", b),
        h("GRR", a),
        h("GRR", b),
    ];
    let heads: Vec<&str> = heads.iter().map(String::as_str).collect();
    out.push_str(&grid(&heads, &rows));
}

/// The customer-months that differ, largest first.
fn customer_months(out: &mut String, style: Style, c: &Comparison) {
    let [a, b] = [&c.sides[0], &c.sides[1]];
    heading(
        out,
        style,
        &format!(
            "Customer-months that differ: {} in all; the {} largest",
            c.differing_customer_months,
            c.customer_months.len()
        ),
    );
    let side = |s: &nrr_core::compare::SideMonth| match s.movement {
        Some(m) => format!(
            "{} {} (MRR {})",
            serde_json::to_value(m)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            money(s.amount),
            money(s.mrr)
        ),
        None => format!("MRR {}", money(s.mrr)),
    };
    let rows: Vec<Vec<String>> = c
        .customer_months
        .iter()
        .map(|d| {
            vec![
                d.customer_id.clone(),
                d.month.to_string(),
                side(&d.a),
                side(&d.b),
                money(d.difference),
            ]
        })
        .collect();
    out.push_str(&left_grid(
        &["customer", "month", a, b, "difference"],
        &rows,
    ));
}
