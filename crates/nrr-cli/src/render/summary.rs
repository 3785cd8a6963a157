//! The headline of the table report: what a reader wants first, in a few short lines.

use super::table::{heading, money, percent};
use super::Style;
use nrr_core::report::{Granularity, Report};
use std::fmt::Write;

/// The "Summary" section: closing MRR and ARR at the last month, TTM NRR, GRR, logo churn and
/// quick ratio, and the latest complete quarter.
pub(crate) fn section(out: &mut String, style: Style, r: &Report) {
    let Some(last) = r.months.last() else {
        return;
    };
    heading(out, style, &format!("Summary ({})", r.currency));
    let mut rows: Vec<(String, String)> = Vec::new();
    rows.push((
        format!("closing MRR, {}", last.month),
        money(last.closing_mrr),
    ));
    let arr = r
        .periods
        .iter()
        .rev()
        .find(|p| p.granularity == Granularity::Month && p.end_month == last.month)
        .map(|p| p.metrics.arr);
    if let Some(arr) = arr {
        rows.push(("ARR (12 x closing MRR)".into(), money(arr)));
    }
    match r.ttm.last() {
        Some(t) => {
            let x = &t.retention;
            rows.push((format!("TTM NRR to {}", t.month), percent(x.nrr)));
            rows.push(("TTM GRR".into(), percent(x.grr)));
            rows.push((
                "TTM logo churn".into(),
                format!(
                    "{} ({} of {})",
                    percent(x.logo_churn_rate),
                    x.churned_customers,
                    x.cohort_customers
                ),
            ));
            rows.push((
                "TTM quick ratio".into(),
                t.metrics
                    .quick_ratio
                    .map_or_else(|| "-".into(), |q| format!("{q:.2}")),
            ));
        }
        None => rows.push((
            "TTM NRR".into(),
            format!("- (needs 13 months; the window has {})", r.months.len()),
        )),
    }
    if let Some(q) = r
        .periods
        .iter()
        .rev()
        .find(|p| p.granularity == Granularity::Quarter)
    {
        let x = &q.retention;
        rows.push((
            format!("latest quarter, {}", q.period),
            format!(
                "NRR {}, GRR {}, logo churn {}",
                percent(x.nrr),
                percent(x.grr),
                percent(x.logo_churn_rate)
            ),
        ));
    }
    let key_width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let value_width = rows
        .iter()
        .filter(|(_, v)| !v.contains(' '))
        .map(|(_, v)| v.chars().count())
        .max()
        .unwrap_or(0);
    for (k, v) in rows {
        // Figures right-aligned in one column; sentences start where the figures do.
        let v = if v.contains(' ') {
            v
        } else {
            format!("{v:>value_width$}")
        };
        let _ = writeln!(out, "  {k:<key_width$}  {v}");
    }
}
