//! The page's charted views: header, headline tiles, movements over time, the waterfall
//! bridge and the NRR/GRR trend, each followed by its figures as a table.

use super::chart::{self, Axis, Line, Series, Step};
use super::escape::text;
use super::fmt::{money, money_cents, percent, ratio_value};
use super::tables::{figures_table, Cell};
use nrr_core::money::Money;
use nrr_core::report::{Bridge, Granularity, MonthRow, Report};
use std::fmt::Write;

/// Title, window, as-of date, inputs, currency and the policies in one line.
pub(super) fn header(out: &mut String, r: &Report) {
    let as_of = r.as_of.as_ref().map_or_else(
        || "not known".to_string(),
        |a| format!("{} ({})", a.date, text(&a.source)),
    );
    let _ = write!(
        out,
        "<header><h1>Revenue retention, {} to {}</h1><p class=\"meta\">Reporting currency <b>{}</b> · as of {} · inputs: {} · computed by {} {} under the definitions of {}</p></header>",
        r.window.start_month,
        r.window.end_month,
        text(&r.currency),
        as_of,
        text(&r.inputs.join(", ")),
        r.tool,
        r.version,
        r.definitions,
    );
    if r.skipped_invalid_rows > 0 {
        let _ = write!(
            out,
            "<p class=\"warning\">{} rejected rows were skipped (--skip-invalid): the figures exclude them.</p>",
            r.skipped_invalid_rows
        );
    }
}

/// A tile: a label, the figure, its change against the previous period.
fn tile(out: &mut String, id: &str, label: &str, value: &str, v: &str, change: &str) {
    let _ = write!(
        out,
        "<div class=\"tile\" id=\"tile-{id}\"><div class=\"tile-label\">{label}</div><div class=\"tile-value\" data-v=\"{v}\">{value}</div><div class=\"tile-change\">{change}</div></div>"
    );
}

/// Closing MRR and ARR of the last month, TTM NRR and GRR, TTM logo churn, each with its
/// change against the month before.
pub(super) fn tiles(out: &mut String, r: &Report) {
    out.push_str("<section id=\"headline\"><h2>Headline</h2><div class=\"tiles\">");
    let last = r.months.last();
    let prev = r.months.len().checked_sub(2).map(|i| &r.months[i]);
    let delta = |now: Money, before: Option<Money>, what: &str| {
        before.map_or_else(String::new, |b| {
            let d = now.cents() - b.cents();
            format!(
                "{}{} vs {what}",
                if d >= 0 { "+" } else { "" },
                money_cents(d)
            )
        })
    };
    if let Some(m) = last {
        let before = prev.map(|p| p.month.to_string()).unwrap_or_default();
        tile(
            out,
            "mrr",
            &format!("MRR ({}), end of {}", text(&r.currency), m.month),
            &money(m.closing_mrr),
            &m.closing_mrr.to_string(),
            &delta(m.closing_mrr, prev.map(|p| p.closing_mrr), &before),
        );
        let arr = |row: &MonthRow| Money {
            units: row.closing_mrr.cents() * 12,
            denominator: 100,
        };
        tile(
            out,
            "arr",
            &format!("ARR ({}), end of {}", text(&r.currency), m.month),
            &money(arr(m)),
            &arr(m).to_string(),
            &delta(arr(m), prev.map(arr), &before),
        );
    }
    let ttm = r.ttm.last();
    let ttm_prev = r.ttm.len().checked_sub(2).map(|i| &r.ttm[i]);
    let points = |now: Option<f64>, before: Option<f64>, what: String| match (now, before) {
        (Some(a), Some(b)) => format!("{:+.1} pts vs {what}", (a - b) * 100.0),
        _ => String::new(),
    };
    if let Some(t) = ttm {
        let before = ttm_prev
            .map(|p| format!("TTM to {}", p.month))
            .unwrap_or_default();
        let label = |what: &str| format!("{what}, TTM to {}", t.month);
        let rows = [
            (
                "nrr",
                "NRR",
                t.retention.nrr,
                ttm_prev.and_then(|p| p.retention.nrr),
            ),
            (
                "grr",
                "GRR",
                t.retention.grr,
                ttm_prev.and_then(|p| p.retention.grr),
            ),
            (
                "logo-churn",
                "Logo churn",
                t.retention.logo_churn_rate,
                ttm_prev.and_then(|p| p.retention.logo_churn_rate),
            ),
        ];
        for (id, what, now, was) in rows {
            tile(
                out,
                id,
                &label(what),
                &percent(now),
                &ratio_value(now),
                &points(now, was, before.clone()),
            );
        }
    }
    out.push_str("</div></section>");
}

/// The movements of a bridge by name, in the order the bars stack: adding first, then
/// taking away, then fx (signed, split by its sign so it stacks apart).
fn movement_series(rows: &[(&str, &Bridge)]) -> Vec<Series> {
    type Pick = fn(&Bridge) -> Option<Money>;
    let kinds: [(&'static str, &'static str, i8, Pick); 9] = [
        ("new", "New", 1, |b| Some(b.new)),
        ("reactivation", "Reactivation", 1, |b| Some(b.reactivation)),
        ("expansion", "Expansion", 1, |b| Some(b.expansion)),
        ("resumed", "Resumed", 1, |b| b.resumed),
        ("moved_in", "Moved in", 1, |b| b.moved_in),
        ("contraction", "Contraction", -1, |b| Some(b.contraction)),
        ("churn", "Churn", -1, |b| Some(b.churn)),
        ("paused", "Paused", -1, |b| b.paused),
        ("moved_out", "Moved out", -1, |b| b.moved_out),
    ];
    let mut out: Vec<Series> = kinds
        .iter()
        .filter(|k| rows.iter().any(|(_, b)| k.3(b).is_some()))
        .map(|&(name, label, sign, pick)| Series {
            name,
            label,
            sign,
            values: rows
                .iter()
                .map(|(_, b)| pick(b).map_or(0, Money::cents))
                .collect(),
        })
        .collect();
    let fx: Vec<i128> = rows.iter().map(|(_, b)| b.fx.cents()).collect();
    out.push(Series {
        name: "fx",
        label: "FX",
        sign: 1,
        values: fx.iter().map(|v| (*v).max(0)).collect(),
    });
    out.push(Series {
        name: "fx",
        label: "FX",
        sign: -1,
        values: fx.iter().map(|v| (-*v).max(0)).collect(),
    });
    out
}

/// A month's bridge as a [`Bridge`] (to chart months and periods alike).
fn month_bridge(m: &MonthRow) -> Bridge {
    Bridge {
        opening: m.opening_mrr,
        new: m.new,
        reactivation: m.reactivation,
        expansion: m.expansion,
        contraction: m.contraction,
        churn: m.churn,
        fx: m.fx,
        paused: m.paused,
        resumed: m.resumed,
        moved_in: m.moved_in,
        moved_out: m.moved_out,
        closing: m.closing_mrr,
        exact: Default::default(),
    }
}

/// The bridges of one granularity, with their labels and notes.
struct Bridges {
    labels: Vec<String>,
    bridges: Vec<Bridge>,
    notes: Vec<Vec<String>>,
}

/// The bridges of the months, then of the complete quarters.
fn bridges(r: &Report) -> [Bridges; 2] {
    let note_texts = |notes: &[nrr_core::report::Note]| -> Vec<String> {
        notes.iter().map(|n| n.note.clone()).collect()
    };
    let months = Bridges {
        labels: r.months.iter().map(|m| m.month.to_string()).collect(),
        bridges: r.months.iter().map(month_bridge).collect(),
        notes: r.months.iter().map(|m| note_texts(&m.notes)).collect(),
    };
    let quarters: Vec<_> = r
        .periods
        .iter()
        .filter(|p| p.granularity == Granularity::Quarter)
        .collect();
    let quarters = Bridges {
        labels: quarters.iter().map(|p| p.period.clone()).collect(),
        bridges: quarters.iter().map(|p| p.bridge.clone()).collect(),
        notes: quarters.iter().map(|p| note_texts(&p.notes)).collect(),
    };
    [months, quarters]
}

/// Stacked bars of the movements by month and by quarter (a switch), the net change as a
/// line, every bar leading to its customers; and the figures as a table.
pub(super) fn movements(out: &mut String, r: &Report) {
    out.push_str("<section id=\"movements\"><h2>MRR movements</h2><div class=\"switch\" data-switch=\"movements\"><button type=\"button\" data-view=\"month\" aria-pressed=\"true\">Months</button><button type=\"button\" data-view=\"quarter\" aria-pressed=\"false\">Quarters</button></div><p class=\"hint\">New, reactivation and expansion above zero; contraction and churn below; FX hatched, apart; the line is the net change of MRR. Click a bar for the customers behind it.</p>");
    for (view, b) in ["month", "quarter"].iter().zip(bridges(r)) {
        let (labels, rows, notes) = (b.labels, b.bridges, b.notes);
        let named: Vec<(&str, &Bridge)> = labels.iter().map(String::as_str).zip(&rows).collect();
        let series = movement_series(&named);
        let net: Vec<i128> = rows
            .iter()
            .map(|b| b.closing.cents() - b.opening.cents())
            .collect();
        let axis = Axis {
            labels: &labels,
            notes: &notes,
        };
        let _ = write!(
            out,
            "<figure class=\"view\" data-group=\"movements\" data-view=\"{view}\"{}>",
            if *view == "month" { "" } else { " hidden" }
        );
        out.push_str(&chart::stacked(
            &format!("movements-{view}"),
            &format!("MRR movements by {view}"),
            &axis,
            &series,
            Some(("Net change", &net)),
        ));
        legend(out, &series);
        out.push_str(&bridge_table(&format!("bridge-{view}"), &named, &notes));
        out.push_str("</figure>");
    }
    out.push_str("</section>");
}

/// The legend of a movements chart.
fn legend(out: &mut String, series: &[Series]) {
    out.push_str("<ul class=\"legend\">");
    let mut seen = Vec::new();
    for s in series {
        if !seen.contains(&s.name) {
            seen.push(s.name);
            let _ = write!(
                out,
                "<li><span class=\"swatch m-{}\"></span>{}</li>",
                s.name, s.label
            );
        }
    }
    out.push_str("<li><span class=\"swatch net\"></span>Net change</li></ul>");
}

/// The bridge rows as a table: opening, movements, closing, notes.
fn bridge_table(id: &str, rows: &[(&str, &Bridge)], notes: &[Vec<String>]) -> String {
    let optional = |pick: fn(&Bridge) -> Option<Money>| rows.iter().any(|(_, b)| pick(b).is_some());
    let mut headers = vec!["Period", "Opening", "New", "Reactivation", "Expansion"];
    headers.extend(["Contraction", "Churn"]);
    let (paused, moved) = (optional(|b| b.paused), optional(|b| b.moved_in));
    if paused {
        headers.extend(["Paused", "Resumed"]);
    }
    if moved {
        headers.extend(["Moved in", "Moved out"]);
    }
    headers.extend(["FX", "Closing", "Notes"]);
    let body = rows
        .iter()
        .zip(notes)
        .map(|((label, b), notes)| {
            let mut row = vec![
                Cell::label(label),
                Cell::money(b.opening),
                Cell::money(b.new),
                Cell::money(b.reactivation),
                Cell::money(b.expansion),
                Cell::money(b.contraction),
                Cell::money(b.churn),
            ];
            let zero = |m: Option<Money>| Cell::money(m.unwrap_or(Money::ZERO));
            if paused {
                row.extend([zero(b.paused), zero(b.resumed)]);
            }
            if moved {
                row.extend([zero(b.moved_in), zero(b.moved_out)]);
            }
            row.extend([
                Cell::money(b.fx),
                Cell::money(b.closing),
                Cell::note(&notes.join(" | ")),
            ]);
            row
        })
        .collect();
    figures_table(id, &headers, body)
}

/// The waterfall steps of one bridge.
fn steps(b: &Bridge) -> Vec<Step> {
    let change = |name, label, m: Money, sign: i128| Step {
        name,
        label,
        cents: sign * m.cents(),
        balance: false,
    };
    let mut s = vec![Step {
        name: "opening",
        label: "Opening",
        cents: b.opening.cents(),
        balance: true,
    }];
    s.push(change("new", "New", b.new, 1));
    s.push(change("reactivation", "Reactiv.", b.reactivation, 1));
    s.push(change("expansion", "Expansion", b.expansion, 1));
    s.push(change("contraction", "Contract.", b.contraction, -1));
    s.push(change("churn", "Churn", b.churn, -1));
    if let (Some(p), Some(r)) = (b.paused, b.resumed) {
        s.push(change("paused", "Paused", p, -1));
        s.push(change("resumed", "Resumed", r, 1));
    }
    if let (Some(i), Some(o)) = (b.moved_in, b.moved_out) {
        s.push(change("moved_in", "Moved in", i, 1));
        s.push(change("moved_out", "Moved out", o, -1));
    }
    s.push(change("fx", "FX", b.fx, 1));
    s.push(Step {
        name: "closing",
        label: "Closing",
        cents: b.closing.cents(),
        balance: true,
    });
    s
}

/// A waterfall for every month, quarter and year and the latest TTM, one shown at a time (a
/// list to choose from; the latest quarter first shown, else the latest month).
pub(super) fn waterfalls(out: &mut String, r: &Report) {
    let mut views: Vec<(String, Bridge, bool)> = r
        .periods
        .iter()
        .map(|p| {
            let drill = p.granularity != Granularity::Year;
            (p.period.clone(), p.bridge.clone(), drill)
        })
        .collect();
    if let Some(t) = r.ttm.last() {
        views.push((format!("TTM to {}", t.month), t.bridge.clone(), false));
    }
    let chosen = r
        .periods
        .iter()
        .rev()
        .find(|p| p.granularity == Granularity::Quarter)
        .or(r
            .periods
            .iter()
            .rev()
            .find(|p| p.granularity == Granularity::Month))
        .map(|p| p.period.clone())
        .unwrap_or_default();
    out.push_str("<section id=\"waterfall\"><h2>MRR bridge</h2><label>Period <select id=\"waterfall-period\">");
    for (label, _, _) in &views {
        let _ = write!(
            out,
            "<option value=\"{0}\"{1}>{0}</option>",
            text(label),
            if *label == chosen { " selected" } else { "" }
        );
    }
    out.push_str("</select></label>");
    for (i, (label, bridge, drill)) in views.iter().enumerate() {
        let _ = write!(
            out,
            "<figure class=\"view\" data-group=\"waterfall\" data-view=\"{}\"{}>",
            text(label),
            if *label == chosen { "" } else { " hidden" }
        );
        let steps = steps(bridge);
        out.push_str(&chart::waterfall(
            &format!("waterfall-{i}"),
            label,
            &steps,
            *drill,
        ));
        let rows = steps
            .iter()
            .map(|s| {
                let amount = Money {
                    units: s.cents,
                    denominator: 100,
                };
                vec![Cell::label(s.label), Cell::money(amount)]
            })
            .collect();
        out.push_str(&figures_table(
            &format!("waterfall-table-{i}"),
            &["Step", "Amount"],
            rows,
        ));
        out.push_str("</figure>");
    }
    out.push_str("</section>");
}

/// NRR and GRR by month, quarter and TTM (a switch); the TTM view with the published
/// benchmark figures for the ARR band as reference lines, named with their source.
pub(super) fn trend(out: &mut String, r: &Report) {
    out.push_str("<section id=\"trend\"><h2>NRR and GRR</h2><div class=\"switch\" data-switch=\"trend\"><button type=\"button\" data-view=\"ttm\" aria-pressed=\"true\">TTM</button><button type=\"button\" data-view=\"quarter\" aria-pressed=\"false\">Quarters</button><button type=\"button\" data-view=\"month\" aria-pressed=\"false\">Months</button></div>");
    let mut references = Vec::new();
    if let Some(b) = &r.benchmark_context {
        for c in &b.comparisons {
            for v in std::iter::once(c.value_low).chain(c.value_high) {
                if let Ok(p) = v.parse::<f64>() {
                    references.push((
                        format!("{} {} {v}% ({})", c.publisher, c.statistic, c.population),
                        p / 100.0,
                    ));
                }
            }
        }
    }
    type View<'a> = (&'a str, Vec<String>, Vec<Option<f64>>, Vec<Option<f64>>);
    let ttm: View = (
        "ttm",
        r.ttm.iter().map(|t| t.month.to_string()).collect(),
        r.ttm.iter().map(|t| t.retention.nrr).collect(),
        r.ttm.iter().map(|t| t.retention.grr).collect(),
    );
    let of = |g: Granularity, name: &'static str| -> View<'static> {
        let rows = r.periods.iter().filter(|p| p.granularity == g);
        (
            name,
            rows.clone().map(|p| p.period.clone()).collect(),
            rows.clone().map(|p| p.retention.nrr).collect(),
            rows.map(|p| p.retention.grr).collect(),
        )
    };
    let views = [
        ttm,
        of(Granularity::Quarter, "quarter"),
        of(Granularity::Month, "month"),
    ];
    for (view, labels, nrr, grr) in &views {
        let notes = vec![Vec::new(); labels.len()];
        let refs: &[(String, f64)] = if *view == "ttm" { &references } else { &[] };
        let _ = write!(
            out,
            "<figure class=\"view\" data-group=\"trend\" data-view=\"{view}\"{}>",
            if *view == "ttm" { "" } else { " hidden" }
        );
        out.push_str(&chart::lines(
            &format!("trend-{view}"),
            &format!("NRR and GRR, {view}"),
            &Axis {
                labels,
                notes: &notes,
            },
            &[
                Line {
                    class: "nrr",
                    label: "NRR",
                    values: nrr,
                },
                Line {
                    class: "grr",
                    label: "GRR",
                    values: grr,
                },
            ],
            refs,
        ));
        out.push_str("<ul class=\"legend\"><li><span class=\"swatch nrr\"></span>NRR</li><li><span class=\"swatch grr\"></span>GRR</li></ul>");
        let rows = labels
            .iter()
            .zip(nrr.iter().zip(grr))
            .map(|(l, (n, g))| vec![Cell::label(l), Cell::ratio(*n), Cell::ratio(*g)])
            .collect();
        out.push_str(&figures_table(
            &format!("trend-table-{view}"),
            &["Period", "NRR", "GRR"],
            rows,
        ));
        out.push_str("</figure>");
    }
    if let Some(b) = &r.benchmark_context {
        let _ = write!(
            out,
            "<p class=\"context\">{}</p><ul class=\"sources\">",
            text(&b.summary)
        );
        for c in &b.comparisons {
            let _ = write!(
                out,
                "<li>{}: {} {}{}% for {} ({}, {})</li>",
                text(c.publisher),
                text(c.statistic),
                text(c.value_low),
                c.value_high.map(|h| format!("-{h}")).unwrap_or_default(),
                text(c.population),
                text(c.source_title),
                text(c.source_url)
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
}
