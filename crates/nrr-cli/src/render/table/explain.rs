//! `nrr explain` as text: one customer's lines and months.

use super::grid::{grid, heading, money, with_notes};
use crate::render::Style;
use nrr_core::explain::Explanation;
use nrr_io::printable;
use std::fmt::Write;

/// One customer's explanation as text.
pub(crate) fn explanation(e: &Explanation, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "customer {}: first paying month {}; figures in {}",
        printable(&e.customer_id),
        e.first_month
            .map_or_else(|| "none".to_string(), |m| m.to_string()),
        e.currency
    );
    for m in &e.merged_ids {
        let note = if m.note.is_empty() {
            String::new()
        } else {
            format!(": {}", printable(&m.note))
        };
        let _ = writeln!(
            out,
            "  also counts customer {} (customer_map.csv line {}{note})",
            printable(&m.customer_id),
            m.line
        );
    }
    lines(&mut out, style, e);
    months(&mut out, style, e);
    out
}

/// The customer's lines, with the months each counts in.
fn lines(out: &mut String, style: Style, e: &Explanation) {
    heading(
        out,
        style,
        "Lines (MRR = amount / interval_months, in the line's currency)",
    );
    let rows: Vec<Vec<String>> = e
        .lines
        .iter()
        .map(|l| {
            vec![
                l.source.clone(),
                l.currency.clone(),
                l.interval_months.to_string(),
                money(l.mrr),
                l.start_date.to_string(),
                l.end_date.map_or_else(|| "open".into(), |d| d.to_string()),
                match (l.first_month, l.last_month) {
                    (None, _) => "never (starts and ends in one month)".into(),
                    (Some(f), Some(t)) => format!("{f} to {t}"),
                    (Some(f), None) => format!("{f} onward"),
                },
            ]
        })
        .collect();
    out.push_str(&grid(
        &[
            "source",
            "currency",
            "interval",
            "MRR",
            "start_date",
            "end_date",
            "in month-end MRR",
        ],
        &rows,
    ));
}

/// Month by month: MRR, the movement and the lines that changed.
fn months(out: &mut String, style: Style, e: &Explanation) {
    heading(out, style, "Months");
    let rows: Vec<Vec<String>> = e
        .months
        .iter()
        .map(|m| {
            let mut changed = Vec::new();
            if !m.lines_started.is_empty() {
                changed.push(format!("+{}", m.lines_started.join(" +")));
            }
            if !m.lines_ended.is_empty() {
                changed.push(format!("-{}", m.lines_ended.join(" -")));
            }
            vec![
                m.month.to_string(),
                money(m.mrr),
                m.movement
                    .map_or_else(String::new, |v| format!("{v:?}").to_lowercase()),
                if m.movement.is_some() {
                    money(m.amount)
                } else {
                    String::new()
                },
                if m.fx.is_zero() {
                    String::new()
                } else {
                    money(m.fx)
                },
                changed.join(" "),
            ]
        })
        .collect();
    let table = grid(
        &["month", "MRR", "movement", "amount", "fx", "lines changed"],
        &rows,
    );
    let notes: Vec<String> = e
        .months
        .iter()
        .map(|m| nrr_io::write::note_text(&m.notes))
        .collect();
    out.push_str(&with_notes(table, &notes));
}
