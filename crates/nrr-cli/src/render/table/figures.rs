//! One cut's figures as text: retention by month, quarter, year and TTM, the metrics, the
//! reasons for expansion and contraction, concentration, top customers and the bridge.

use super::grid::{
    aligned, grid, heading, id_cell, id_cell_within, money, percent, with_notes, ID_WIDTH,
};
use crate::render::{Section, Sections, Style};
use nrr_core::report::{Granularity, MonthRow, PeriodRow, Retention, SegmentFigures, TtmRow};

/// Every section of one cut's figures that `sections` shows; `title_suffix` names the cut in
/// the headings.
pub(super) fn figures(
    out: &mut String,
    style: Style,
    f: &SegmentFigures,
    title_suffix: &str,
    sections: &Sections,
) {
    retention(out, style, f, title_suffix, sections);
    if sections.show(Section::Metrics) {
        metrics(out, style, f, title_suffix);
    }
    if sections.show(Section::Reasons) {
        reasons(out, style, f, title_suffix);
    }
    if sections.show(Section::Concentration) {
        concentration(out, style, f, title_suffix);
    }
    if sections.show(Section::Top) {
        top_customers(out, style, f);
    }
    if sections.show(Section::Bridge) {
        bridge(out, style, f, title_suffix);
    }
}

/// Retention by month, quarter and year (as `sections` shows them), then the trailing twelve
/// months.
fn retention(
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
}

/// Metrics by quarter and by year (docs/metrics.md).
fn metrics(out: &mut String, style: Style, f: &SegmentFigures, title_suffix: &str) {
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
}

/// Expansion and contraction by reason, for the cohort periods that have any.
fn reasons(out: &mut String, style: Style, f: &SegmentFigures, title_suffix: &str) {
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
}

/// The customers that carry more than the concentration share of a period's movement.
fn concentration(out: &mut String, style: Style, f: &SegmentFigures, title_suffix: &str) {
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
    if !flagged.is_empty() {
        heading(out, style, &format!("Concentration{title_suffix} (one customer above the --concentration share of a quarter's, year's or the latest TTM's cohort expansion or churn)"));
        for l in flagged {
            out.push_str(&crate::render::wrap(&l, crate::render::width(), "    "));
        }
    }
}

/// The MRR bridge by month.
fn bridge(out: &mut String, style: Style, f: &SegmentFigures, title_suffix: &str) {
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
    let ids = crate::render::width()
        .saturating_sub(52)
        .clamp(12, ID_WIDTH);
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
