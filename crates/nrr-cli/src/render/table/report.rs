//! `nrr report` as text: the title, the policies and row ledger, every figures section per
//! cut, the segment view and the benchmark context.

use super::figures::figures;
use super::grid::{grid, heading, money, percent};
use crate::render::{Section, Sections, Style};
use nrr_core::report::{Granularity, Report, Retention, RowLedger, SegmentFigures};
use nrr_io::printable;
use std::fmt::Write;

/// The ledger as one line.
pub(crate) fn ledger(rows: &RowLedger) -> String {
    let e = &rows.excluded;
    // The first three reasons always; the rest (only some inputs have them) when they occur.
    let reasons: Vec<String> = e
        .fields()
        .iter()
        .enumerate()
        .filter(|(i, (_, n))| *i < 3 || *n > 0)
        .map(|(_, (k, n))| format!("{k} {n}"))
        .collect();
    let mapped = rows.mapped.map_or_else(String::new, |m| {
        format!("; {m} used lines mapped by customer_map.csv")
    });
    format!(
        "rows: {} read, {} used, {} excluded ({}), {} rejected{mapped}\n",
        rows.read,
        rows.used,
        e.total(),
        reasons.join(", "),
        rows.rejected
    )
}

/// With a configuration file: one line counting the settings it gave and naming those the
/// flags gave over it (JSON `settings` has every value and line).
fn settings_line(r: &Report) -> Option<String> {
    let file = r.config.as_ref()?;
    let keys = |from: &dyn Fn(&str) -> bool| -> Vec<&str> {
        r.settings
            .iter()
            .filter(|s| from(&s.source))
            .map(|s| s.key.as_str())
            .collect()
    };
    let from_file = keys(&|s| s.starts_with("config ("));
    let from_flags = keys(&|s| s == "flag");
    let mut line = format!(
        "settings from {}: {} of {} (JSON `settings` lists each with its line)",
        printable(file),
        from_file.len(),
        r.settings.len()
    );
    if !from_flags.is_empty() {
        let _ = write!(line, "; from flags: {}", from_flags.join(", "));
    }
    line.push('\n');
    Some(line)
}

/// The full report as text.
pub(crate) fn report(r: &Report, style: Style, sections: &Sections) -> String {
    // The title, then the headline, then how the figures were made.
    let mut title = format!(
        "nrr report: currency {}, window {} to {}; definitions in {}",
        r.currency, r.window.start_month, r.window.end_month, r.definitions
    );
    if let Some(a) = &r.as_of {
        let _ = write!(title, "\nas of {} ({})", a.date, a.source);
    }
    let mut head: String = title
        .lines()
        .map(|l| crate::render::wrap(l, crate::render::width(), "  "))
        .collect();
    if sections.show(Section::Summary) {
        crate::render::summary::section(&mut head, style, r);
        head.push('\n');
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "policies: churn {}, reactivation {}, fx {}, snapshot {}{}",
        r.policies.churn_recognition,
        r.policies.reactivation,
        r.policies.fx,
        r.policies.snapshot,
        r.policies
            .snapshot_date
            .as_ref()
            .map_or_else(String::new, |d| format!(", snapshot-date {d}"))
    );
    if let (Some(d), Some(p), Some(z)) = (
        &r.policies.discounts,
        &r.policies.past_due,
        &r.policies.pauses,
    ) {
        let f = r.policies.full_refunds.as_deref().unwrap_or("ignore");
        let _ = writeln!(
            out,
            "invoice policies: discounts {d}, past-due {p}, pauses {z}, full-refunds {f}"
        );
    }
    if let Some(line) = settings_line(r) {
        out.push_str(&line);
    }
    if r.gross_margin != "1" {
        let _ = writeln!(out, "gross margin for LTV: {}", r.gross_margin);
    }
    let _ = writeln!(out, "inputs: {}", printable(&r.inputs.join(", ")));
    out.push_str(&ledger(&r.rows));
    if r.skipped_invalid_rows > 0 {
        let _ = writeln!(
            out,
            "WARNING: --skip-invalid skipped {} rejected row(s); the figures exclude them",
            r.skipped_invalid_rows
        );
    }
    for n in &r.notices {
        let n = printable(n);
        out.push_str(&crate::render::wrap(
            &format!("note: {n}"),
            crate::render::width(),
            "  ",
        ));
    }
    // The header's lines, kept within the width.
    let about: String = out
        .lines()
        .map(|l| crate::render::wrap(l, crate::render::width(), "  "))
        .collect();
    let mut out = head + &about;
    figures(
        &mut out,
        style,
        &SegmentFigures {
            months: r.months.clone(),
            periods: r.periods.clone(),
            ttm: r.ttm.clone(),
        },
        "",
        sections,
    );
    if sections.show(Section::Segments) {
        for cut in &r.segment_cuts {
            segment_view(&mut out, style, r, cut);
        }
    }
    if let Some(c) = r
        .benchmark_context
        .as_ref()
        .filter(|_| sections.show(Section::Context))
    {
        context(&mut out, style, c);
    }
    out
}

/// The "Context" section: where the latest TTM NRR sits against published figures, then one
/// line per figure with its source (docs/benchmarks.md).
fn context(out: &mut String, style: Style, c: &nrr_core::report::BenchmarkContext) {
    heading(
        out,
        style,
        "Context (published NRR figures, not a grade; docs/benchmarks.md)",
    );
    out.push_str(&crate::render::wrap(&c.summary, crate::render::width(), ""));
    for x in &c.comparisons {
        let value = nrr_core::benchmarks::value_text(x.value_low, x.value_high);
        let who = if x.verified {
            x.publisher.to_string()
        } else {
            format!("{} (unverified)", x.publisher)
        };
        let line = format!(
            "{who}: {} {value}; this NRR is {}",
            x.statistic.replace('_', " "),
            x.relation
        );
        out.push_str(&crate::render::wrap(&line, crate::render::width(), "  "));
        // An address is never broken: on its own line.
        let _ = writeln!(out, "  {}", x.source_url);
    }
}

/// The compact segment view: for every quarter, year and the latest TTM, each segment value's
/// starting MRR, NRR, GRR and logo churn, largest first, then the total.
fn segment_view(out: &mut String, style: Style, r: &Report, cut: &nrr_core::report::Segments) {
    heading(
        out,
        style,
        &format!(
            "Retention by {} (frozen cohort; segments sum to the total)",
            cut.column
        ),
    );
    let by_line = cut
        .values
        .values()
        .flat_map(|f| f.months.first())
        .any(|m| m.moved_in.is_some());
    if by_line {
        out.push_str(&crate::render::wrap(
            &format!(
                "a customer's {} is the one with the most MRR at the cohort month; the monthly \
                 bridge by {} in JSON and CSV moves customers that switch (moved_in, moved_out)",
                cut.column, cut.column
            ),
            crate::render::width(),
            "",
        ));
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let line = |period: &str, value: &str, x: &Retention| {
        vec![
            period.to_string(),
            value.to_string(),
            money(x.starting_mrr),
            percent(x.nrr),
            percent(x.grr),
            format!("{}/{}", x.churned_customers, x.cohort_customers),
        ]
    };
    let mut labels: Vec<(String, Option<&Retention>)> = r
        .periods
        .iter()
        .filter(|p| p.granularity != Granularity::Month)
        .map(|p| (p.period.clone(), Some(&p.retention)))
        .collect();
    if let Some(t) = r.ttm.last() {
        labels.push((format!("TTM {}", t.month), Some(&t.retention)));
    }
    for (label, total) in labels {
        let mut per_value: Vec<(&str, &Retention)> = cut
            .values
            .iter()
            .filter_map(|(v, f)| {
                let found = match label.strip_prefix("TTM ") {
                    Some(m) => f
                        .ttm
                        .iter()
                        .find(|t| t.month.to_string() == m)
                        .map(|t| &t.retention),
                    None => f
                        .periods
                        .iter()
                        .find(|p| p.period == label)
                        .map(|p| &p.retention),
                };
                found.map(|x| (if v.is_empty() { "(none)" } else { v.as_str() }, x))
            })
            .filter(|(_, x)| x.cohort_customers > 0)
            .collect();
        per_value.sort_by(|a, b| {
            b.1.starting_mrr
                .units
                .cmp(&a.1.starting_mrr.units)
                .then(a.0.cmp(b.0))
        });
        for (v, x) in per_value {
            rows.push(line(&label, v, x));
        }
        if let Some(t) = total {
            rows.push(line(&label, "(total)", t));
        }
    }
    out.push_str(&grid(
        &[
            "period",
            &cut.column,
            "starting MRR",
            "NRR",
            "GRR",
            "churned/cohort",
        ],
        &rows,
    ));
}
