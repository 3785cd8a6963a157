//! The `Definitions` sheet: the metric rules (docs/metrics.md wording), the policies in
//! force, the settings and where each came from, the report's facts, the inputs, the row ledger and the notices.

use super::{Sheet, Styles, XlsxError};
use nrr_core::report::{Reason, Report};
use rust_xlsxwriter::RowNum;

/// Each metric and its rule in a sentence or two (docs/metrics.md).
const RULES: [(&str, &str); 14] = [
    ("MRR", "Monthly recurring revenue at a month's end, at that month's exchange rates (docs/metrics.md sections 4-6)."),
    ("New", "A customer's MRR in its first-ever paying month."),
    ("Reactivation", "A returning customer's MRR after a month at zero (policy `reactivation`)."),
    ("Expansion", "Increase of a paying customer's MRR, in constant currency (last month's rates)."),
    ("Contraction", "Decrease of a paying customer's MRR that stays above zero (shown positive)."),
    ("Churn", "MRR of a customer that fell to zero (shown positive)."),
    ("FX", "Change of paying customers' MRR from exchange rates alone (signed)."),
    ("Bridge", "Opening + new + reactivation + expansion - contraction - churn + fx = closing, exactly (section 8)."),
    ("Cohort", "The customers with MRR > 0 at t0, the month before a period's first month; frozen: customers new or reactivated in the period are not in it (section 9)."),
    ("NRR", "Ending cohort MRR (at t1, at t0's rates) / starting cohort MRR; empty when starting is 0."),
    ("GRR", "(Starting - contraction - churn) / starting: expansion left out, so GRR <= 100% and NRR >= GRR."),
    ("TTM", "Trailing twelve months: the period M-11..M, t0 = M-12, reported when t0 lies in the window (section 11)."),
    ("Shown figures", "Amounts are shown in cents chosen so that every bridge and total foots; ratios in the JSON report come from exact amounts, the workbook's formulas from the shown cents (section 2)."),
    ("Signup cohorts", "Customers by first paying month or quarter; a cell is the cohort's MRR or paying customers at that age over age 0 (section 17)."),
];

/// Writes the sheet.
pub(super) fn sheet(mut s: Sheet<'_>, report: &Report, st: &Styles) -> Result<(), XlsxError> {
    s.ws.set_column_width(0, 28)?;
    s.ws.set_column_width(1, 100)?;
    s.text_f(0, 0, "Definitions", &st.title)?;
    s.text(1, 0, "Where the rules are written")?;
    s.text(1, 1, report.definitions)?;
    let mut row: RowNum = 3;
    s.text_f(row, 0, "Metric rules", &st.heading)?;
    row += 1;
    for (name, rule) in RULES {
        s.text_f(row, 0, name, &st.bold)?;
        s.text_f(row, 1, rule, &st.wrap)?;
        row += 1;
    }
    row = pairs(&mut s, row + 1, "Report", &facts(report), st)?;
    row = pairs(&mut s, row, "Policies in force", &policies(report), st)?;
    if !report.settings.is_empty() {
        // Every setting, its value and where it came from (docs/config.md).
        let title = match &report.config {
            Some(c) => format!("Settings (read from {c})"),
            None => "Settings".to_string(),
        };
        let settings: Vec<(String, String)> = report
            .settings
            .iter()
            .map(|st| (st.key.clone(), format!("{} (from {})", st.value, st.source)))
            .collect();
        row = pairs(&mut s, row, &title, &settings, st)?;
    }
    let inputs: Vec<(String, String)> = report
        .inputs
        .iter()
        .enumerate()
        .map(|(k, f)| (format!("Input {}", k + 1), f.clone()))
        .collect();
    row = pairs(&mut s, row, "Inputs", &inputs, st)?;
    row = pairs(&mut s, row, "Row ledger", &ledger(report), st)?;
    let notices: Vec<(String, String)> = report
        .notices
        .iter()
        .enumerate()
        .map(|(k, n)| (format!("Notice {}", k + 1), n.clone()))
        .collect();
    pairs(&mut s, row, "Notices", &notices, st)?;
    Ok(())
}

/// A titled list of name-value rows (text cells both); returns the row after it and a blank.
fn pairs(
    s: &mut Sheet<'_>,
    mut row: RowNum,
    title: &str,
    items: &[(String, String)],
    st: &Styles,
) -> Result<RowNum, XlsxError> {
    s.text_f(row, 0, title, &st.heading)?;
    row += 1;
    if items.is_empty() {
        s.text(row, 0, "(none)")?;
        row += 1;
    }
    for (name, value) in items {
        s.text_f(row, 0, name, &st.bold)?;
        s.text_f(row, 1, value, &st.wrap)?;
        row += 1;
    }
    Ok(row + 1)
}

/// The report's own facts.
fn facts(r: &Report) -> Vec<(String, String)> {
    let mut out = vec![
        ("tool".to_string(), format!("{} {}", r.tool, r.version)),
        ("currency".to_string(), r.currency.clone()),
        (
            "window".to_string(),
            format!("{} to {}", r.window.start_month, r.window.end_month),
        ),
        (
            "fiscal_year_start".to_string(),
            r.fiscal_year_start.to_string(),
        ),
        ("gross_margin".to_string(), r.gross_margin.clone()),
        (
            "concentration_threshold".to_string(),
            r.concentration_threshold.clone(),
        ),
    ];
    if let Some(a) = &r.as_of {
        out.push(("as_of".to_string(), format!("{} ({})", a.date, a.source)));
    }
    out
}

/// The policies echo, named as the JSON keys.
fn policies(r: &Report) -> Vec<(String, String)> {
    let p = &r.policies;
    let mut out = vec![
        ("churn_recognition", Some(p.churn_recognition.to_string())),
        ("reactivation", Some(p.reactivation.clone())),
        ("fx", Some(p.fx.to_string())),
        ("snapshot", Some(p.snapshot.to_string())),
        ("snapshot_date", p.snapshot_date.clone()),
        ("discounts", p.discounts.clone()),
        ("past_due", p.past_due.clone()),
        ("pauses", p.pauses.clone()),
        ("full_refunds", p.full_refunds.clone()),
        ("preset", p.preset.clone()),
    ];
    out.retain(|(_, v)| v.is_some());
    out.into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
        .collect()
}

/// The row ledger: read, used, each exclusion reason with rows, rejected, mapped, skipped.
fn ledger(r: &Report) -> Vec<(String, String)> {
    let l = &r.rows;
    let mut out = vec![
        ("read".to_string(), l.read.to_string()),
        ("used".to_string(), l.used.to_string()),
    ];
    for (r, (reason, n)) in Reason::ALL.into_iter().zip(l.excluded.fields()) {
        if n > 0 {
            out.push((format!("excluded: {reason}"), n.to_string()));
            if let Some(a) = l.excluded_amounts.line(r) {
                out.push((format!("excluded: {reason}, amount as written"), a));
            }
        }
    }
    out.push(("rejected".to_string(), l.rejected.to_string()));
    if let Some(m) = l.mapped {
        out.push(("mapped".to_string(), m.to_string()));
    }
    out.push((
        "skipped_invalid_rows".to_string(),
        r.skipped_invalid_rows.to_string(),
    ));
    out
}
