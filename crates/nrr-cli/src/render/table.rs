//! Aligned plain-text tables.

use super::Style;
use nrr_core::explain::Explanation;
use nrr_core::money::Money;
use nrr_core::report::{
    Granularity, MonthRow, PeriodRow, Report, Retention, RowLedger, SegmentFigures, TtmRow,
};
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
    aligned(headers, rows, true)
}

/// Like [`grid`], with every column left-aligned (for text such as addresses).
fn left_grid(headers: &[&str], rows: &[Vec<String>]) -> String {
    aligned(headers, rows, false)
}

/// Columns two spaces apart, each as wide as its widest cell; the first left-aligned, the
/// rest right-aligned when `right`, else left-aligned. Trailing spaces are trimmed.
fn aligned(headers: &[&str], rows: &[Vec<String>], right: bool) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::new();
        for (i, c) in cells.enumerate() {
            let pad = " ".repeat(widths[i].saturating_sub(c.chars().count()));
            if i > 0 {
                l.push_str("  ");
            }
            if i > 0 && right {
                l.push_str(&pad);
                l.push_str(c);
            } else {
                l.push_str(c);
                l.push_str(&pad);
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut out, &mut headers.iter().copied());
    for r in rows {
        line(&mut out, &mut r.iter().map(String::as_str));
    }
    out
}

/// Appends each row's notes (from annotations.csv) after its line of a grid, so the "why"
/// travels beside the number without disturbing the alignment.
fn with_notes(grid_text: String, notes: &[String]) -> String {
    if notes.iter().all(String::is_empty) {
        return grid_text;
    }
    let mut out = String::with_capacity(grid_text.len());
    for (i, line) in grid_text.lines().enumerate() {
        out.push_str(line);
        if let Some(n) = i
            .checked_sub(1)
            .and_then(|r| notes.get(r))
            .filter(|n| !n.is_empty())
        {
            out.push_str("  # ");
            out.push_str(n);
        }
        out.push('\n');
    }
    out
}

pub(crate) fn heading(out: &mut String, style: Style, text: &str) {
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

fn figures(out: &mut String, style: Style, f: &SegmentFigures, title_suffix: &str) {
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
    for (g, title) in [
        (Granularity::Month, "Retention by month"),
        (Granularity::Quarter, "Retention by quarter"),
        (Granularity::Year, "Retention by year"),
    ] {
        let ps: Vec<&PeriodRow> = f.periods.iter().filter(|p| p.granularity == g).collect();
        if ps.is_empty() {
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
    if !f.ttm.is_empty() {
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
        if ps.is_empty() {
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
                    m.quick_ratio
                        .map_or_else(|| "-".into(), |q| format!("{q:.2}")),
                    m.ltv.map_or_else(|| "-".into(), money),
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
    if cohort_periods
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
                c.customer_id,
                percent(c.share),
                c.movement,
                money(c.amount)
            )
        })
        .collect();
    if !flagged.is_empty() {
        heading(out, style, &format!("Concentration{title_suffix} (one customer above the --concentration share of a quarter's, year's or the latest TTM's cohort expansion or churn)"));
        for l in flagged {
            out.push_str(&l);
            out.push('\n');
        }
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

/// The full report as text.
pub fn report(r: &Report, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "nrr report: currency {}, window {} to {}; definitions in {}",
        r.currency, r.window.start_month, r.window.end_month, r.definitions
    );
    if let Some(a) = &r.as_of {
        let _ = writeln!(out, "as of {} ({})", a.date, a.source);
    }
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
    let _ = writeln!(out, "inputs: {}", r.inputs.join(", "));
    out.push_str(&ledger(&r.rows));
    if r.skipped_invalid_rows > 0 {
        let _ = writeln!(
            out,
            "WARNING: --skip-invalid skipped {} rejected row(s); the figures exclude them",
            r.skipped_invalid_rows
        );
    }
    for n in &r.notices {
        let _ = writeln!(out, "note: {n}");
    }
    figures(
        &mut out,
        style,
        &SegmentFigures {
            months: r.months.clone(),
            periods: r.periods.clone(),
            ttm: r.ttm.clone(),
        },
        "",
    );
    for cut in &r.segment_cuts {
        segment_view(&mut out, style, r, cut);
    }
    if let Some(c) = &r.benchmark_context {
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
    let _ = writeln!(out, "{}", c.summary);
    if c.comparisons.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = c
        .comparisons
        .iter()
        .map(|x| {
            let value = nrr_core::benchmarks::value_text(x.value_low, x.value_high);
            vec![
                if x.verified {
                    x.publisher.to_string()
                } else {
                    format!("{} (unverified)", x.publisher)
                },
                format!("{} {value}", x.statistic.replace('_', " ")),
                x.relation.to_string(),
                x.source_url.to_string(),
            ]
        })
        .collect();
    out.push_str(&left_grid(&["source", "figure", "this NRR", "page"], &rows));
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
        out.push_str(&format!(
            "a customer's {} is the one with the most MRR at the cohort month; the monthly \
             bridge by {} in JSON and CSV moves customers that switch (moved_in, moved_out)\n",
            cut.column, cut.column
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
        e.customer_id,
        e.first_month
            .map_or_else(|| "none".to_string(), |m| m.to_string()),
        e.currency
    );
    for m in &e.merged_ids {
        let note = if m.note.is_empty() {
            String::new()
        } else {
            format!(": {}", m.note)
        };
        let _ = writeln!(
            out,
            "  also counts customer {} (customer_map.csv line {}{note})",
            m.customer_id, m.line
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
