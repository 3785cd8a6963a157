//! The page's tabular views: cohort heatmaps, segment comparison, reasons, the period table
//! and the definitions; and the table every chart carries.

use super::escape::text;
use super::fmt::{money, percent, ratio_value};
use nrr_core::cohort::{CohortMetric, CohortTable};
use nrr_core::money::Money;
use nrr_core::report::{Granularity, Reason, Report, Retention};
use std::fmt::Write;

/// One table cell: what it shows, its machine value (`data-v`) and class.
pub(crate) struct Cell {
    shown: String,
    value: Option<String>,
    class: &'static str,
    style: Option<String>,
    /// A drill-down key (period, category): a click lists the customers behind the cell.
    drill: Option<(String, &'static str)>,
}

impl Cell {
    /// Text from the data or a period label (escaped).
    pub(crate) fn label(s: &str) -> Cell {
        Cell {
            shown: text(s),
            value: None,
            class: "label",
            style: None,
            drill: None,
        }
    }

    /// A cohort's label, leading to the customers new in its month or quarter.
    fn cohort(label: &str) -> Cell {
        Cell {
            drill: Some((text(label), "new")),
            class: "label drillable",
            ..Cell::label(label)
        }
    }

    /// A note beside a row (escaped).
    pub(crate) fn note(s: &str) -> Cell {
        Cell {
            shown: text(s),
            value: None,
            class: "note",
            style: None,
            drill: None,
        }
    }

    /// A shown amount, its JSON string as `data-v`.
    pub(crate) fn money(m: Money) -> Cell {
        Cell {
            shown: money(m),
            value: Some(m.to_string()),
            class: "num",
            style: None,
            drill: None,
        }
    }

    /// A count.
    pub(crate) fn count(n: u64) -> Cell {
        Cell {
            shown: n.to_string(),
            value: Some(n.to_string()),
            class: "num",
            style: None,
            drill: None,
        }
    }

    /// A ratio as a percentage, the ratio as `data-v`.
    pub(crate) fn ratio(r: Option<f64>) -> Cell {
        Cell {
            shown: percent(r),
            value: Some(ratio_value(r)),
            class: "num",
            style: None,
            drill: None,
        }
    }

    /// A ratio shaded as a heatmap cell (red at 0, pale at 1, green above).
    fn heat(r: Option<f64>) -> Cell {
        let style = r.map(|v| {
            let hue = (v.clamp(0.0, 1.5) / 1.5) * 120.0;
            format!("background:hsl({hue:.0},65%,80%)")
        });
        Cell {
            style,
            ..Cell::ratio(r)
        }
    }
}

/// A table of figures (inside a closed `<details>`, so the chart comes first).
pub(crate) fn figures_table(id: &str, headers: &[&str], rows: Vec<Vec<Cell>>) -> String {
    format!(
        "<details class=\"figures\"><summary>Figures</summary>{}</details>",
        table(id, headers, rows)
    )
}

/// A plain table.
fn table(id: &str, headers: &[&str], rows: Vec<Vec<Cell>>) -> String {
    let mut out = format!("<table class=\"figures\" id=\"{id}\"><thead><tr>");
    for h in headers {
        let _ = write!(out, "<th>{}</th>", text(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for c in row {
            let _ = write!(out, "<td class=\"{}\"", c.class);
            if let Some(v) = &c.value {
                let _ = write!(out, " data-v=\"{v}\"");
            }
            if let Some(s) = &c.style {
                let _ = write!(out, " style=\"{s}\"");
            }
            if let Some((period, category)) = &c.drill {
                let _ = write!(
                    out,
                    " data-period=\"{period}\" data-category=\"{category}\" tabindex=\"0\""
                );
            }
            let _ = write!(out, ">{}</td>", c.shown);
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// The signup-cohort heatmaps (revenue and logos, by month and quarter; a switch), each with
/// its weighted-average row when given.
pub(crate) fn cohorts(out: &mut String, tables: &[CohortTable], averages: &[Vec<Option<f64>>]) {
    out.push_str("<section id=\"cohorts\"><h2>Signup cohorts</h2><div class=\"switch\" data-switch=\"cohorts\">");
    let name = |t: &CohortTable| {
        let metric = match t.metric {
            CohortMetric::Revenue => "revenue",
            CohortMetric::Logos => "logos",
        };
        let by = match t.by {
            nrr_core::cohort::CohortBy::Month => "month",
            nrr_core::cohort::CohortBy::Quarter => "quarter",
        };
        format!("{metric}-{by}")
    };
    for (i, t) in tables.iter().enumerate() {
        let n = name(t);
        let _ = write!(
            out,
            "<button type=\"button\" data-view=\"{n}\" aria-pressed=\"{}\">{}</button>",
            i == 0,
            n.replace('-', " by ")
        );
    }
    out.push_str("</div><p class=\"hint\">Revenue: the cohort's MRR at each age over its MRR at age 0, at the age-0 month's rates (expansion and reactivation included). Logos: paying customers over cohort size. The last row is the average weighted by starting MRR (revenue) or cohort size (logos), over the cohorts that reach each age. Click a cohort for its customers (those new in its month or quarter; under --reactivation window:N, customers counted new again on return are listed too).</p>");
    for (i, t) in tables.iter().enumerate() {
        let ages = t.cohorts.iter().map(|c| c.cells.len()).max().unwrap_or(0);
        let mut headers = vec![
            "Cohort".to_string(),
            "Customers".into(),
            "Starting MRR".into(),
        ];
        headers.extend((0..ages).map(|k| k.to_string()));
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        let mut rows: Vec<Vec<Cell>> = t
            .cohorts
            .iter()
            .map(|c| {
                let mut row = vec![
                    Cell::cohort(&c.cohort),
                    Cell::count(c.customers),
                    Cell::money(c.starting_mrr),
                ];
                row.extend(c.cells.iter().map(|v| Cell::heat(*v)));
                row
            })
            .collect();
        if let Some(avg) = averages.get(i).filter(|a| !a.is_empty()) {
            let mut row = vec![
                Cell::label("Weighted average"),
                Cell::label(""),
                Cell::label(""),
            ];
            row.extend(avg.iter().map(|v| Cell::heat(*v)));
            rows.push(row);
        }
        let _ = write!(
            out,
            "<figure class=\"view heatmap\" data-group=\"cohorts\" data-view=\"{}\"{}>{}</figure>",
            name(t),
            if i == 0 { "" } else { " hidden" },
            table(&format!("cohorts-{}", name(t)), &headers, rows)
        );
    }
    out.push_str("</section>");
}

/// A horizontal bar (a share of `max`) beside a figure.
fn bar(v: Option<f64>, max: f64, class: &str) -> String {
    let w = v.map_or(0.0, |v| {
        (v.max(0.0) / max.max(f64::EPSILON) * 100.0).min(100.0)
    });
    format!("<span class=\"hbar {class}\" style=\"width:{w:.1}%\"></span>")
}

/// NRR and GRR per value of every segment cut, beside the total (the latest TTM, and the
/// latest complete quarter).
pub(crate) fn segments(out: &mut String, r: &Report) {
    if r.segment_cuts.is_empty() {
        return;
    }
    out.push_str("<section id=\"segments\"><h2>Segments</h2>");
    let total_ttm = r.ttm.last().map(|t| &t.retention);
    let quarter = r
        .periods
        .iter()
        .rev()
        .find(|p| p.granularity == Granularity::Quarter)
        .map(|p| p.period.clone());
    for cut in &r.segment_cuts {
        let mut rows: Vec<(String, Option<&Retention>, Option<&Retention>)> = cut
            .values
            .iter()
            .map(|(value, f)| {
                let label = if value.is_empty() { "(none)" } else { value };
                let q = quarter
                    .as_ref()
                    .and_then(|q| f.periods.iter().find(|p| &p.period == q))
                    .map(|p| &p.retention);
                (label.to_string(), f.ttm.last().map(|t| &t.retention), q)
            })
            .collect();
        let total_q = quarter
            .as_ref()
            .and_then(|q| r.periods.iter().find(|p| &p.period == q))
            .map(|p| &p.retention);
        rows.push(("All customers".into(), total_ttm, total_q));
        let max = rows
            .iter()
            .filter_map(|(_, t, _)| t.and_then(|t| t.nrr))
            .fold(1.0f64, f64::max);
        let _ = write!(
            out,
            "<h3>By {}</h3><table class=\"figures segments\" id=\"segment-{}\"><thead><tr><th>Value</th><th>Starting MRR (TTM)</th><th>NRR (TTM)</th><th></th><th>GRR (TTM)</th><th>NRR {q}</th><th>GRR {q}</th></tr></thead><tbody>",
            text(&cut.column),
            text(&cut.column),
            q = text(quarter.as_deref().unwrap_or("quarter"))
        );
        for (label, ttm, q) in rows {
            let cells = [
                Cell::money(ttm.map_or(Money::ZERO, |t| t.starting_mrr)),
                Cell::ratio(ttm.and_then(|t| t.nrr)),
            ];
            let _ = write!(out, "<tr><td class=\"label\">{}</td>", text(&label));
            for c in cells {
                let _ = write!(
                    out,
                    "<td class=\"num\" data-v=\"{}\">{}</td>",
                    c.value.unwrap_or_default(),
                    c.shown
                );
            }
            let _ = write!(
                out,
                "<td class=\"barcell\">{}</td>",
                bar(ttm.and_then(|t| t.nrr), max, "nrr")
            );
            for v in [
                ttm.and_then(|t| t.grr),
                q.and_then(|t| t.nrr),
                q.and_then(|t| t.grr),
            ] {
                let c = Cell::ratio(v);
                let _ = write!(
                    out,
                    "<td class=\"num\" data-v=\"{}\">{}</td>",
                    c.value.unwrap_or_default(),
                    c.shown
                );
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
}

/// Cohort expansion and contraction by reason: the latest TTM as bars, every period and
/// TTM as a table.
pub(crate) fn reasons(out: &mut String, r: &Report) {
    out.push_str("<section id=\"reasons\"><h2>Expansion and contraction by reason</h2>");
    let Some(t) = r.ttm.last() else {
        out.push_str("<p>No TTM period in the window.</p></section>");
        return;
    };
    let e = &t.retention.expansion_by_reason;
    let c = &t.retention.contraction_by_reason;
    let parts: [(&str, &str, Money); 12] = [
        ("expansion", "seats", e.seats),
        ("expansion", "price", e.price),
        ("expansion", "plan", e.plan),
        ("expansion", "cross_sell", e.cross_sell),
        ("expansion", "interval", e.interval),
        ("expansion", "mixed", e.mixed),
        ("contraction", "seats", c.seats),
        ("contraction", "price", c.price),
        ("contraction", "plan", c.plan),
        ("contraction", "product_removed", c.product_removed),
        ("contraction", "interval", c.interval),
        ("contraction", "mixed", c.mixed),
    ];
    let max = parts.iter().map(|p| p.2.cents()).max().unwrap_or(0).max(1) as f64;
    let _ = write!(
        out,
        "<p class=\"hint\">Cohort expansion and contraction in the TTM to {}, at the starting month's rates; the reasons sum to each figure.</p><table class=\"figures\" id=\"reasons-ttm\"><thead><tr><th>Movement</th><th>Reason</th><th>Amount</th><th></th></tr></thead><tbody>",
        t.month
    );
    for (movement, reason, amount) in parts {
        let _ = write!(
            out,
            "<tr><td class=\"label\">{movement}</td><td class=\"label\">{reason}</td><td class=\"num\" data-v=\"{}\">{}</td><td class=\"barcell\">{}</td></tr>",
            amount,
            money(amount),
            bar(Some(amount.cents() as f64), max, movement)
        );
    }
    out.push_str("</tbody></table></section>");
}

/// Frozen-cohort retention of every month, quarter, year and TTM, with notes beside the
/// periods they name.
pub(crate) fn periods(out: &mut String, r: &Report) {
    out.push_str("<section id=\"periods\"><h2>Retention by period</h2>");
    let row = |label: &str, t: &Retention, notes: String| {
        vec![
            Cell::label(label),
            Cell::money(t.starting_mrr),
            Cell::money(t.expansion),
            Cell::money(t.contraction),
            Cell::money(t.churn),
            Cell::money(t.ending_cohort_mrr),
            Cell::ratio(t.nrr),
            Cell::ratio(t.grr),
            Cell::ratio(t.logo_churn_rate),
            Cell::note(&notes),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = r
        .periods
        .iter()
        .map(|p| {
            let notes: Vec<&str> = p.notes.iter().map(|n| n.note.as_str()).collect();
            row(&p.period, &p.retention, notes.join(" | "))
        })
        .collect();
    rows.extend(
        r.ttm
            .iter()
            .map(|t| row(&format!("TTM {}", t.month), &t.retention, String::new())),
    );
    out.push_str(&table(
        "periods-table",
        &[
            "Period",
            "Starting MRR",
            "Expansion",
            "Contraction",
            "Churn",
            "Ending MRR",
            "NRR",
            "GRR",
            "Logo churn",
            "Notes",
        ],
        rows,
    ));
    out.push_str("</section>");
}

/// Each metric's rule in a sentence or two (docs/metrics.md has them in full).
const DEFINITIONS: [(&str, &str); 9] = [
    ("MRR", "A customer's recurring revenue at a month's end: each active recurring line's amount divided by its interval in months, at the month's exchange rates."),
    ("New", "MRR of a customer in its first-ever paying month."),
    ("Reactivation", "MRR of a customer returning after at least one month at zero (under the reactivation policy shown below)."),
    ("Expansion / contraction", "The rise / fall of a paying customer's MRR from one month to the next, at constant currency (the previous month's rates)."),
    ("Churn", "The previous month's MRR of a customer whose MRR fell to zero."),
    ("FX", "The change of MRR from exchange rates alone; kept apart from the movements."),
    ("NRR", "Frozen cohort: the customers paying at the period's start; their MRR at its end over their MRR at its start, at the starting rates (expansion included, new customers excluded)."),
    ("GRR", "The same cohort's starting MRR less its contraction and churn, over its starting MRR: never above 100%."),
    ("Logo churn", "The cohort's customers at zero at the period's end, over the cohort's customers."),
];

/// Every setting of the run, its value and where it came from (docs/config.md).
fn settings(out: &mut String, r: &Report) {
    if r.settings.is_empty() {
        return;
    }
    out.push_str("<h3>Settings</h3>");
    if let Some(c) = &r.config {
        let _ = write!(out, "<p>Read from {}; flags win over the file, the file over the preset, the preset over the defaults.</p>", text(c));
    }
    out.push_str("<table class=\"figures\" id=\"settings\"><thead><tr><th>setting</th><th>value</th><th>from</th></tr></thead><tbody>");
    for st in &r.settings {
        let _ = write!(
            out,
            "<tr><th>{}</th><td class=\"label\">{}</td><td class=\"label\">{}</td></tr>",
            text(&st.key),
            text(&st.value),
            text(&st.source)
        );
    }
    out.push_str("</tbody></table>");
}

/// Definitions, the policies in force, the settings, the inputs, the row ledger and the
/// notices.
pub(crate) fn definitions(out: &mut String, r: &Report) {
    out.push_str("<section id=\"definitions\"><h2>Definitions</h2><dl>");
    for (term, rule) in DEFINITIONS {
        let _ = write!(out, "<dt>{term}</dt><dd>{rule}</dd>");
    }
    let _ = write!(
        out,
        "</dl><p>The rules in full: {}.</p><h3>Policies in force</h3><table class=\"figures\" id=\"policies\"><tbody>",
        text(r.definitions)
    );
    if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(&r.policies) {
        for (k, v) in map {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            let _ = write!(
                out,
                "<tr><th>{}</th><td class=\"label\">{}</td></tr>",
                text(&k),
                text(&v)
            );
        }
    }
    let _ = write!(
        out,
        "<tr><th>gross_margin</th><td class=\"label\">{}</td></tr><tr><th>concentration_threshold</th><td class=\"label\">{}</td></tr></tbody></table>",
        text(&r.gross_margin),
        text(&r.concentration_threshold)
    );
    settings(out, r);
    out.push_str("<h3>Inputs</h3><ul>");
    for i in &r.inputs {
        let _ = write!(out, "<li>{}</li>", text(i));
    }
    let l = &r.rows;
    let _ = write!(
        out,
        "</ul><h3>Row ledger</h3><table class=\"figures\" id=\"ledger\"><tbody><tr><th>read</th><td class=\"num\" data-v=\"{0}\">{0}</td></tr><tr><th>used</th><td class=\"num\" data-v=\"{1}\">{1}</td></tr>",
        l.read, l.used
    );
    for (r, (reason, n)) in Reason::ALL.into_iter().zip(l.excluded.fields()) {
        if n > 0 {
            let _ = write!(
                out,
                "<tr><th>excluded: {reason}</th><td class=\"num\" data-v=\"{n}\">{n}</td></tr>"
            );
            if let Some(a) = l.excluded_amounts.line(r) {
                let _ = write!(
                    out,
                    "<tr><th>excluded: {reason}, amount as written</th><td class=\"label\">{}</td></tr>",
                    text(&a)
                );
            }
        }
    }
    let _ = write!(
        out,
        "<tr><th>rejected</th><td class=\"num\" data-v=\"{0}\">{0}</td></tr></tbody></table>",
        l.rejected
    );
    if !r.notices.is_empty() {
        out.push_str("<h3>Notices</h3><ul>");
        for n in &r.notices {
            let _ = write!(out, "<li>{}</li>", text(n));
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
}
