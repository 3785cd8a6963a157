//! `nrr cohorts` as text: the cohort matrix.

use super::grid::{grid, money, percent};
use crate::render::Style;
use std::fmt::Write;

/// The cohort matrix: one row per cohort, one column per age, cells as percentages. On a
/// colour terminal each cell is shaded by its value (green at or above 100%, yellow from 80%,
/// red below).
pub(crate) fn cohorts(t: &nrr_core::cohort::CohortTable, style: Style) -> String {
    use nrr_core::cohort::{CohortBy, CohortMetric};
    let mut out = String::new();
    let what = match t.metric {
        CohortMetric::Revenue => {
            "net revenue retention (MRR at age k / MRR at age 0, at age-0 exchange rates)"
        }
        CohortMetric::Logos => "logo retention (paying customers at age k / cohort size)",
    };
    let unit = if t.by == CohortBy::Month {
        "months"
    } else {
        "quarters"
    };
    let _ = writeln!(
        out,
        "nrr cohorts: {what}; currency {}; age in {unit}",
        t.currency
    );
    let ages = t.cohorts.iter().map(|c| c.cells.len()).max().unwrap_or(0);
    let mut headers: Vec<String> = vec!["cohort".into(), "customers".into(), "starting MRR".into()];
    headers.extend((0..ages).map(|k| k.to_string()));
    let rows: Vec<Vec<String>> = t
        .cohorts
        .iter()
        .map(|c| {
            let mut r = vec![
                c.cohort.clone(),
                c.customers.to_string(),
                money(c.starting_mrr),
            ];
            r.extend((0..ages).map(|k| c.cells.get(k).map_or_else(String::new, |v| percent(*v))));
            r
        })
        .collect();
    let h: Vec<&str> = headers.iter().map(String::as_str).collect();
    let plain = grid(&h, &rows);
    if !style.color {
        out.push_str(&plain);
        return out;
    }
    // Colour the cells after alignment, so escape codes do not disturb the widths.
    for (li, line) in plain.lines().enumerate() {
        if li == 0 {
            let _ = writeln!(out, "{line}");
            continue;
        }
        let cohort = &t.cohorts[li - 1];
        let mut colored = String::new();
        let mut rest = line;
        // Skip the three leading columns.
        for _ in 0..3 {
            let trimmed = rest.trim_start();
            let lead = rest.len() - trimmed.len();
            let end = trimmed.find(' ').unwrap_or(trimmed.len());
            colored.push_str(&rest[..lead + end]);
            rest = &rest[lead + end..];
        }
        for cell in &cohort.cells {
            let trimmed = rest.trim_start();
            let lead = rest.len() - trimmed.len();
            let end = trimmed.find(' ').unwrap_or(trimmed.len());
            colored.push_str(&rest[..lead]);
            let code = match cell {
                Some(v) if *v >= 1.0 => "32",
                Some(v) if *v >= 0.8 => "33",
                Some(_) => "31",
                None => "0",
            };
            let _ = write!(colored, "\x1b[{code}m{}\x1b[0m", &trimmed[..end]);
            rest = &trimmed[end..];
        }
        colored.push_str(rest);
        let _ = writeln!(out, "{colored}");
    }
    out
}
