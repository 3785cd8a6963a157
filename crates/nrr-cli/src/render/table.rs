//! Aligned plain-text tables.

use super::{Section, Sections, Style};
use nrr_core::explain::Explanation;
use nrr_core::money::Money;
use nrr_core::report::{
    Granularity, MonthRow, PeriodRow, Report, Retention, RowLedger, SegmentFigures, TtmRow,
};
use nrr_io::printable;
use std::fmt::Write;

/// `1234567.891` -> `1,234,567.89`.
pub fn money(m: Money) -> String {
    nrr_core::money::grouped(&m.to_string())
}

/// A ratio as a percentage with one decimal, `-` when undefined.
pub fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

/// Lays out rows under headers: first column left-aligned, the rest right-aligned.
pub fn grid(headers: &[&str], rows: &[Vec<String>]) -> String {
    aligned(headers, rows, 1)
}

/// Like [`grid`], with every column left-aligned (for text such as addresses).
fn left_grid(headers: &[&str], rows: &[Vec<String>]) -> String {
    aligned(headers, rows, usize::MAX)
}

/// Columns two spaces apart, each as wide as its widest cell; the first `left` columns
/// left-aligned, the rest right-aligned. Trailing spaces are trimmed. A table wider than the
/// output ([`super::width`]) is cut into blocks of columns that fit, one under the other (a
/// blank line apart), each repeating the first column.
fn aligned(headers: &[&str], rows: &[Vec<String>], left: usize) -> String {
    // Text from the data with its control characters escaped: a cell cannot break its line
    // or send the terminal a command.
    let headers: Vec<String> = headers.iter().map(|h| printable(h).into_owned()).collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| printable(c).into_owned()).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let blocks = column_blocks(&widths, super::width());
    let mut out = String::new();
    for (b, cols) in blocks.iter().enumerate() {
        if b > 0 {
            out.push('\n');
        }
        let line = |out: &mut String, cells: &dyn Fn(usize) -> String| {
            let mut l = String::new();
            for (k, &i) in cols.iter().enumerate() {
                let c = cells(i);
                let pad = " ".repeat(widths[i].saturating_sub(c.chars().count()));
                if k > 0 {
                    l.push_str("  ");
                }
                if i >= left {
                    l.push_str(&pad);
                    l.push_str(&c);
                } else {
                    l.push_str(&c);
                    l.push_str(&pad);
                }
            }
            out.push_str(l.trim_end());
            out.push('\n');
        };
        line(&mut out, &|i| {
            headers.get(i).copied().unwrap_or("").to_string()
        });
        for r in &rows {
            line(&mut out, &|i| r.get(i).cloned().unwrap_or_default());
        }
    }
    out
}

/// The columns of each block: all of them when they fit `width`, else column 0 followed by
/// as many of the next columns as fit (at least one per block).
fn column_blocks(widths: &[usize], width: usize) -> Vec<Vec<usize>> {
    let total: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
    if total <= width || widths.len() <= 2 {
        return vec![(0..widths.len()).collect()];
    }
    let mut blocks = Vec::new();
    let mut cur = vec![0];
    let mut used = widths[0];
    for (i, &w) in widths.iter().enumerate().skip(1) {
        if cur.len() > 1 && used + 2 + w > width {
            blocks.push(std::mem::replace(&mut cur, vec![0]));
            used = widths[0];
        }
        cur.push(i);
        used += 2 + w;
    }
    blocks.push(cur);
    blocks
}

/// Appends each row's notes (from annotations.csv) after its line of a grid, so the "why"
/// travels beside the number without disturbing the alignment.
fn with_notes(grid_text: String, notes: &[String]) -> String {
    if notes.iter().all(String::is_empty) {
        return grid_text;
    }
    // The rows are the last `notes.len()` lines: those of the last block when the grid is
    // cut into blocks.
    let lines: Vec<&str> = grid_text.lines().collect();
    let first_row = lines.len().saturating_sub(notes.len());
    let mut out = String::with_capacity(grid_text.len());
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        if let Some(n) = i
            .checked_sub(first_row)
            .and_then(|r| notes.get(r))
            .filter(|n| !n.is_empty())
        {
            out.push_str("  # ");
            out.push_str(&printable(n));
        }
        out.push('\n');
    }
    out
}

pub(crate) fn heading(out: &mut String, style: Style, text: &str) {
    let text = printable(text);
    let text = super::wrap(&text, super::width(), "  ");
    let text = text.trim_end();
    if style.color {
        let _ = writeln!(out, "\n\x1b[1m{text}\x1b[0m");
    } else {
        let _ = writeln!(out, "\n{text}");
    }
}

fn retention_rows<'a>(
    items: impl Iterator<Item = (String, &'a Retention)>,
    with_fx: bool,
) -> Vec<Vec<String>> {
    items
        .map(|(label, r)| {
            let mut row = vec![
                label,
                money(r.starting_mrr),
                money(r.expansion),
                money(r.contraction),
                money(r.churn),
                money(r.ending_cohort_mrr),
                percent(r.nrr),
                percent(r.grr),
                format!("{}/{}", r.churned_customers, r.cohort_customers),
            ];
            if with_fx {
                row.push(money(r.fx_impact));
            }
            row
        })
        .collect()
}

const RETENTION_HEADERS: [&str; 10] = [
    "period",
    "starting MRR",
    "expansion",
    "contraction",
    "churn",
    "ending MRR",
    "NRR",
    "GRR",
    "churned/cohort",
    "fx impact",
];

/// The ledger as one line.
pub fn ledger(rows: &RowLedger) -> String {
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

fn figures(
    out: &mut String,
    style: Style,
    f: &SegmentFigures,
    title_suffix: &str,
    sections: &Sections,
) {
    let with_fx = f
        .periods
        .iter()
        .map(|p| &p.retention)
        .chain(f.ttm.iter().map(|t| &t.retention))
        .any(|r| !r.fx_impact.is_zero());
    let headers = if with_fx {
        &RETENTION_HEADERS[..]
    } else {
        &RETENTION_HEADERS[..9]
    };
    for (g, title, section) in [
        (Granularity::Month, "Retention by month", Section::Months),
        (
            Granularity::Quarter,
            "Retention by quarter",
            Section::Quarters,
        ),
        (Granularity::Year, "Retention by year", Section::Years),
    ] {
        let ps: Vec<&PeriodRow> = f.periods.iter().filter(|p| p.granularity == g).collect();
        if ps.is_empty() || !sections.show(section) {
            continue;
        }
        heading(
            out,
            style,
            &format!("{title}{title_suffix} (frozen cohort at the month before the period)"),
        );
        let notes: Vec<String> = ps
            .iter()
            .map(|p| nrr_io::write::note_text(&p.notes))
            .collect();
        out.push_str(&with_notes(
            grid(
                headers,
                &retention_rows(ps.iter().map(|p| (p.period.clone(), &p.retention)), with_fx),
            ),
            &notes,
        ));
    }
    if !f.ttm.is_empty() && sections.show(Section::Ttm) {
        heading(
            out,
            style,
            &format!("Trailing twelve months{title_suffix} (cohort at t0 = month - 12)"),
        );
        let mut h = headers.to_vec();
        h[0] = "month";
        out.push_str(&grid(
            &h,
            &retention_rows(
                f.ttm
                    .iter()
                    .map(|t: &TtmRow| (t.month.to_string(), &t.retention)),
                with_fx,
            ),
        ));
    }
    for (g, title) in [
        (Granularity::Quarter, "Metrics by quarter"),
        (Granularity::Year, "Metrics by year"),
    ] {
        let ps: Vec<&PeriodRow> = f.periods.iter().filter(|p| p.granularity == g).collect();
        if ps.is_empty() || !sections.show(Section::Metrics) {
            continue;
        }
        heading(
            out,
            style,
            &format!("{title}{title_suffix} (docs/metrics.md)"),
        );
        let rows: Vec<Vec<String>> = ps
            .iter()
            .map(|p| {
                let m = &p.metrics;
                vec![
                    p.period.clone(),
                    money(m.arr),
                    m.arpa.map_or_else(|| "-".into(), money),
                    format!(
                        "{} +{} +{} -{} = {}",
                        m.customers_start,
                        m.customers_new,
                        m.customers_reactivated,
                        m.customers_churned,
                        m.customers_end
                    ),
                    percent(m.revenue_churn_rate),
                    percent(m.net_mrr_churn_rate),
                    // A period with no cohort (nothing paying at its start) has no
                    // meaningful quick ratio or LTV.
                    m.quick_ratio
                        .filter(|_| m.customers_start > 0)
                        .map_or_else(|| "-".into(), |q| format!("{q:.2}")),
                    m.ltv
                        .filter(|_| m.customers_start > 0)
                        .map_or_else(|| "-".into(), money),
                ]
            })
            .collect();
        out.push_str(&grid(
            &[
                "period",
                "ARR",
                "ARPA",
                "customers (start +new +react -churn = end)",
                "rev churn",
                "net MRR churn",
                "quick ratio",
                "LTV",
            ],
            &rows,
        ));
    }
    let cohort_periods: Vec<&PeriodRow> = f
        .periods
        .iter()
        .filter(|p| p.granularity != Granularity::Month)
        .collect();
    if sections.show(Section::Reasons)
        && cohort_periods
            .iter()
            .any(|p| !p.retention.expansion.is_zero() || !p.retention.contraction.is_zero())
    {
        heading(out, style, &format!("Expansion and contraction by reason{title_suffix} (cohort, t0 to t1; docs/metrics.md)"));
        let rows: Vec<Vec<String>> = cohort_periods
            .iter()
            .flat_map(|p| {
                let (e, c) = (
                    &p.retention.expansion_by_reason,
                    &p.retention.contraction_by_reason,
                );
                [
                    vec![
                        p.period.clone(),
                        "expansion".into(),
                        money(e.seats),
                        money(e.price),
                        money(e.plan),
                        money(e.cross_sell),
                        money(e.interval),
                        money(e.mixed),
                    ],
                    vec![
                        String::new(),
                        "contraction".into(),
                        money(c.seats),
                        money(c.price),
                        money(c.plan),
                        money(c.product_removed),
                        money(c.interval),
                        money(c.mixed),
                    ],
                ]
            })
            .collect();
        out.push_str(&grid(
            &[
                "period",
                "movement",
                "seats",
                "price",
                "plan",
                "cross-sell / removed",
                "interval",
                "mixed",
            ],
            &rows,
        ));
    }
    let flagged: Vec<String> = f
        .periods
        .iter()
        .filter(|p| p.granularity != Granularity::Month)
        .flat_map(|p| p.concentration.iter().map(move |c| (p.period.clone(), c)))
        .chain(f.ttm.iter().rev().take(1).flat_map(|t| {
            t.concentration
                .iter()
                .map(move |c| (format!("TTM {}", t.month), c))
        }))
        .map(|(label, c)| {
            format!(
                "  {label}: {} carries {} of {} ({})",
                id_cell(&c.customer_id),
                percent(c.share),
                c.movement,
                money(c.amount)
            )
        })
        .collect();
    if !flagged.is_empty() && sections.show(Section::Concentration) {
        heading(out, style, &format!("Concentration{title_suffix} (one customer above the --concentration share of a quarter's, year's or the latest TTM's cohort expansion or churn)"));
        for l in flagged {
            out.push_str(&super::wrap(&l, super::width(), "    "));
        }
    }
    if sections.show(Section::Top) {
        top_customers(out, style, f);
    }
    if !sections.show(Section::Bridge) {
        return;
    }
    heading(out, style, &format!("MRR bridge by month{title_suffix}"));
    let with_fx = f.months.iter().any(|m| !m.fx.is_zero());
    let mut headers = vec![
        "month",
        "opening",
        "new",
        "reactivation",
        "expansion",
        "contraction",
        "churn",
    ];
    let with_pauses = f.months.iter().any(|m| m.paused.is_some());
    if with_pauses {
        headers.extend(["paused", "resumed"]);
    }
    if with_fx {
        headers.push("fx");
    }
    headers.extend(["closing", "customers"]);
    let rows: Vec<Vec<String>> = f
        .months
        .iter()
        .map(|m: &MonthRow| {
            let mut r = vec![
                m.month.to_string(),
                money(m.opening_mrr),
                money(m.new),
                money(m.reactivation),
                money(m.expansion),
                money(m.contraction),
                money(m.churn),
            ];
            if with_pauses {
                r.push(m.paused.map(money).unwrap_or_default());
                r.push(m.resumed.map(money).unwrap_or_default());
            }
            if with_fx {
                r.push(money(m.fx));
            }
            r.push(money(m.closing_mrr));
            r.push(m.customers.to_string());
            r
        })
        .collect();
    let notes: Vec<String> = f
        .months
        .iter()
        .map(|m| nrr_io::write::note_text(&m.notes))
        .collect();
    out.push_str(&with_notes(grid(&headers, &rows), &notes));
}

/// Longest customer id shown in a table cell; longer ones are cut (JSON has them whole).
const ID_WIDTH: usize = 40;

/// A customer id as typed by a user, safe in a table: control characters (a newline, an
/// escape code) written as escapes, and at most `max` characters (the last three `...` when
/// cut).
pub fn id_cell_within(id: &str, max: usize) -> String {
    let mut out: String = id
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    if out.chars().count() > max {
        out = out.chars().take(max.saturating_sub(3)).collect::<String>() + "...";
    }
    out
}

/// [`id_cell_within`] at most [`ID_WIDTH`] characters.
pub fn id_cell(id: &str) -> String {
    id_cell_within(id, ID_WIDTH)
}

/// The "Top customers" section: the `top_customers` lists of the latest quarter, year and
/// TTM (the latest month when none of those has any), one row per customer.
fn top_customers(out: &mut String, style: Style, f: &SegmentFigures) {
    let latest = |g: Granularity| f.periods.iter().rev().find(|p| p.granularity == g);
    let year = latest(Granularity::Year);
    // The latest TTM is left out when it is the latest year (same t0 and t1: same lists).
    let ttm = f
        .ttm
        .last()
        .filter(|t| !year.is_some_and(|y| y.end_month == t.month && y.start_month == t.t0.plus(1)));
    let mut shown: Vec<(String, &nrr_core::report::TopCustomers)> = latest(Granularity::Quarter)
        .into_iter()
        .chain(year)
        .map(|p| (p.period.clone(), &p.top_customers))
        .chain(ttm.map(|t| (format!("TTM {}", t.month), &t.top_customers)))
        .collect();
    shown.retain(|(_, t)| !t.is_empty());
    if shown.is_empty() {
        shown.extend(latest(Granularity::Month).map(|p| (p.period.clone(), &p.top_customers)));
        shown.retain(|(_, t)| !t.is_empty());
    }
    if shown.is_empty() {
        return;
    }
    heading(
        out,
        style,
        "Top customers by cohort churn, contraction and expansion (--top N)",
    );
    // Ids get what the other columns leave of the width (period and movement up to 11
    // characters, amount 16, share 6, two spaces apart), between 12 and ID_WIDTH.
    let ids = super::width().saturating_sub(52).clamp(12, ID_WIDTH);
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (label, t) in shown {
        let mut first_of_period = true;
        for (movement, list) in [
            ("churn", &t.churn),
            ("contraction", &t.contraction),
            ("expansion", &t.expansion),
        ] {
            for (i, c) in list.iter().enumerate() {
                rows.push(vec![
                    if first_of_period {
                        label.clone()
                    } else {
                        String::new()
                    },
                    if i == 0 {
                        movement.to_string()
                    } else {
                        String::new()
                    },
                    id_cell_within(&c.customer_id, ids),
                    money(c.amount),
                    percent(c.share),
                ]);
                first_of_period = false;
            }
        }
    }
    out.push_str(&aligned(
        &["period", "movement", "customer", "amount", "share"],
        &rows,
        3,
    ));
}

/// The full report as text.
pub fn report(r: &Report, style: Style, sections: &Sections) -> String {
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
        .map(|l| super::wrap(l, super::width(), "  "))
        .collect();
    if sections.show(Section::Summary) {
        super::summary::section(&mut head, style, r);
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
        out.push_str(&super::wrap(&format!("note: {n}"), super::width(), "  "));
    }
    // The header's lines, kept within the width.
    let about: String = out
        .lines()
        .map(|l| super::wrap(l, super::width(), "  "))
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
    out.push_str(&super::wrap(&c.summary, super::width(), ""));
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
        out.push_str(&super::wrap(&line, super::width(), "  "));
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
        out.push_str(&super::wrap(
            &format!(
                "a customer's {} is the one with the most MRR at the cohort month; the monthly \
                 bridge by {} in JSON and CSV moves customers that switch (moved_in, moved_out)",
                cut.column, cut.column
            ),
            super::width(),
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

/// The cohort matrix: one row per cohort, one column per age, cells as percentages. On a
/// colour terminal each cell is shaded by its value (green at or above 100%, yellow from 80%,
/// red below).
pub fn cohorts(t: &nrr_core::cohort::CohortTable, style: Style) -> String {
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

/// One customer's explanation as text.
pub fn explanation(e: &Explanation, style: Style) -> String {
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
    heading(
        &mut out,
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
    heading(&mut out, style, "Months");
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
    out
}

/// `nrr compare`: the two sides' policies, movement totals and retention, then the
/// customer-months that differ, largest first.
pub fn comparison(c: &nrr_core::compare::Comparison, style: Style) -> String {
    let [a, b] = [&c.sides[0], &c.sides[1]];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "nrr compare: {a} vs {b}; currency {}, window {} to {}; policies in docs/policies.md",
        c.currency, c.window.start_month, c.window.end_month
    );
    heading(&mut out, style, "Policies");
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
    heading(&mut out, style, "Movements over the window");
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
    heading(
        &mut out,
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
    heading(
        &mut out,
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
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_gets_thousands_separators() {
        let m = |u| Money {
            units: u,
            denominator: 100,
        };
        assert_eq!(money(m(123_456_789)), "1,234,567.89");
        assert_eq!(money(m(-100_000)), "-1,000.00");
        assert_eq!(money(m(99_999)), "999.99");
        assert_eq!(money(m(0)), "0.00");
    }

    #[test]
    fn grid_aligns_columns() {
        let g = grid(
            &["a", "bb"],
            &[
                vec!["xyz".into(), "1".into()],
                vec!["x".into(), "100".into()],
            ],
        );
        assert_eq!(g, "a     bb\nxyz    1\nx    100\n");
    }
}
