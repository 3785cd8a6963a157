//! The period views: the reported periods, each period's frozen cohort, the retention of
//! every period and of every segment (docs/metrics.md §9, §11, §18).

use super::{label, Options};

/// (view name without prefix, query), in creation order.
pub(super) fn all(o: &Options) -> Vec<(String, String)> {
    let mut v = vec![
        ("periods".into(), periods(o)),
        ("cohort".into(), cohort(o)),
        ("retention".into(), retention(o, None)),
    ];
    for s in &o.segments {
        v.push((format!("segment_retention_{s}"), retention(o, Some(s))));
    }
    v
}

/// §11: every month of the window, every calendar quarter and year whose months all lie in
/// it, and every TTM whose t0 lies in it; `t0_month_index` is the month before the first.
fn periods(o: &Options) -> String {
    let d = o.dialect;
    let t = d.text();
    // Months since the fiscal year's first month (0-11), and the fiscal year's name: the
    // calendar year it ends in, `FY` before it unless the year starts in January.
    let f = o.fiscal_year_start.saturating_sub(1);
    let into = format!("((m.month_index % 12 + {}) % 12)", 12 - f);
    let fy = format!(
        "concat('{fy}', CAST({year} AS {t}))",
        fy = if f == 0 { "" } else { "FY" },
        year = d.idiv(&format!("(m.month_index - {into} + 11)"), "12"),
    );
    format!(
        "WITH m AS (\n\
         \x20 SELECT m.month_index, m.month FROM {months} m\n\
         \x20 JOIN {window} w ON m.month_index BETWEEN w.from_month_index AND w.to_month_index\n\
         ), w AS (SELECT * FROM {window})\n\
         SELECT m.month AS period, 'month' AS granularity, m.month_index AS start_month_index, m.month_index AS end_month_index FROM m\n\
         UNION ALL\n\
         SELECT concat({fy}, '-Q', CAST({quarter} AS {t})), 'quarter', m.month_index, m.month_index + 2\n\
         FROM m CROSS JOIN w WHERE {into} % 3 = 0 AND m.month_index + 2 <= w.to_month_index\n\
         UNION ALL\n\
         SELECT {fy}, 'year', m.month_index, m.month_index + 11\n\
         FROM m CROSS JOIN w WHERE {into} = 0 AND m.month_index + 11 <= w.to_month_index\n\
         UNION ALL\n\
         SELECT m.month, 'ttm', m.month_index - 11, m.month_index\n\
         FROM m CROSS JOIN w WHERE m.month_index - 12 >= w.from_month_index",
        months = o.view("months"),
        window = o.view("window"),
        quarter = d.idiv(&into, "3") + " + 1",
    )
}

/// §9: one row per period and cohort customer (MRR > 0 at t0): s = value(c, t0, t0),
/// e = value(c, t1, t0) and value(c, t1, t1).
fn cohort(o: &Options) -> String {
    let money = o.dialect.money();
    if o.fx.is_none() {
        // One currency, every rate 1: value(c, t1, t0) = value(c, t1, t1), the MRR at t1. No
        // join of every period's cohort with the lines and rates (at 1M customers the
        // difference between a minute and seconds on DuckDB).
        return format!(
            "WITH starts AS (\n\
             \x20 SELECT p.period, p.granularity, p.end_month_index, c.customer_id, c.mrr AS s\n\
             \x20 FROM {periods} p JOIN {cm} c ON c.month_index = p.start_month_index - 1\n\
             )\n\
             SELECT s.period, s.granularity, s.customer_id, s.s,\n\
             \x20 CAST(coalesce(c1.mrr, 0) AS {money}) AS e, CAST(coalesce(c1.mrr, 0) AS {money}) AS e_at_t1_rates\n\
             FROM starts s\n\
             LEFT JOIN {cm} c1 ON c1.customer_id = s.customer_id AND c1.month_index = s.end_month_index",
            periods = o.view("periods"),
            cm = o.view("customer_month"),
        );
    }
    format!(
        "WITH starts AS (\n\
         \x20 SELECT p.period, p.granularity, p.start_month_index, p.end_month_index, c.customer_id, c.mrr AS s\n\
         \x20 FROM {periods} p JOIN {cm} c ON c.month_index = p.start_month_index - 1\n\
         ), ends AS (\n\
         \x20 SELECT s.period, s.granularity, s.customer_id, sum(n.mrr_units * r.rate) AS e\n\
         \x20 FROM starts s\n\
         \x20 JOIN {ccm} n ON n.customer_id = s.customer_id AND n.month_index = s.end_month_index\n\
         \x20 JOIN {rates} r ON r.currency = n.currency AND r.month_index = s.start_month_index - 1\n\
         \x20 GROUP BY s.period, s.granularity, s.customer_id\n\
         )\n\
         SELECT s.period, s.granularity, s.customer_id, s.s,\n\
         \x20 CAST(coalesce(e.e, 0) AS {money}) AS e, CAST(coalesce(c1.mrr, 0) AS {money}) AS e_at_t1_rates\n\
         FROM starts s\n\
         LEFT JOIN ends e ON e.period = s.period AND e.granularity = s.granularity AND e.customer_id = s.customer_id\n\
         LEFT JOIN {cm} c1 ON c1.customer_id = s.customer_id AND c1.month_index = s.end_month_index",
        periods = o.view("periods"),
        cm = o.view("customer_month"),
        ccm = o.view("customer_currency_month"),
        rates = o.view("rates"),
    )
}

/// §9: the retention of every period (with its bridge, the sums of its months), or with
/// `segment` of every period and value of that customers column (customers without one:
/// `''`), for every value a paying customer has.
fn retention(o: &Options, segment: Option<&str>) -> String {
    let d = o.dialect;
    let money = d.money();
    let sum = |cond: &str, what: &str| {
        format!("CAST(sum(CASE WHEN {cond} THEN {what} ELSE 0 END) AS {money})")
    };
    let (seg_col, seg_key, seg_from, seg_join, values) = match (segment, &o.customers) {
        (Some(col), Some(customers)) => (
            "v.segment, ",
            "c.segment, ",
            format!(
                "(SELECT k.*, coalesce(CAST(cu.{col} AS {t}), '') AS segment FROM {cohort} k LEFT JOIN {customers} cu ON cu.customer_id = k.customer_id)",
                t = d.text(),
                cohort = o.view("cohort"),
            ),
            " AND a.segment = v.segment",
            format!(
                " CROSS JOIN (SELECT DISTINCT coalesce(CAST(cu.{col} AS {t}), '') AS segment FROM (SELECT DISTINCT customer_id FROM {cm}) x LEFT JOIN {customers} cu ON cu.customer_id = x.customer_id) v",
                t = d.text(),
                cm = o.view("customer_month"),
            ),
        ),
        _ => ("", "", o.view("cohort"), "", String::new()),
    };
    let bridge = if segment.is_some() {
        String::new()
    } else {
        format!(
            ",\n\
             \x20 b.opening AS bridge_opening, b.new AS bridge_new, b.reactivation AS bridge_reactivation,\n\
             \x20 b.expansion AS bridge_expansion, b.contraction AS bridge_contraction, b.churn AS bridge_churn,\n\
             \x20 b.fx AS bridge_fx, b.closing AS bridge_closing\n\
             FROM {periods} p{values}\n\
             LEFT JOIN agg a ON a.period = p.period AND a.granularity = p.granularity\n\
             LEFT JOIN (\n\
             \x20 SELECT p.period, p.granularity,\n\
             \x20   CAST(sum(CASE WHEN b.month_index = p.start_month_index THEN b.opening_mrr ELSE 0 END) AS {money}) AS opening,\n\
             \x20   CAST(sum(b.new) AS {money}) AS new, CAST(sum(b.reactivation) AS {money}) AS reactivation,\n\
             \x20   CAST(sum(b.expansion) AS {money}) AS expansion, CAST(sum(b.contraction) AS {money}) AS contraction,\n\
             \x20   CAST(sum(b.churn) AS {money}) AS churn, CAST(sum(b.fx) AS {money}) AS fx,\n\
             \x20   CAST(sum(CASE WHEN b.month_index = p.end_month_index THEN b.closing_mrr ELSE 0 END) AS {money}) AS closing\n\
             \x20 FROM {periods} p JOIN {bridge} b ON b.month_index BETWEEN p.start_month_index AND p.end_month_index\n\
             \x20 GROUP BY p.period, p.granularity\n\
             ) b ON b.period = p.period AND b.granularity = p.granularity",
            periods = o.view("periods"),
            bridge = o.view("bridge"),
        )
    };
    let from = if segment.is_some() {
        format!(
            "\nFROM {periods} p{values}\nLEFT JOIN agg a ON a.period = p.period AND a.granularity = p.granularity{seg_join}",
            periods = o.view("periods"),
        )
    } else {
        String::new()
    };
    let z = |col: &str| format!("coalesce(a.{col}, CAST(0 AS {money}))");
    format!(
        "WITH agg AS (\n\
         \x20 SELECT c.period, c.granularity, {seg_key}\n\
         \x20   CAST(sum(c.s) AS {money}) AS starting_mrr,\n\
         \x20   {exp} AS expansion, {con} AS contraction, {churn} AS churn,\n\
         \x20   CAST(sum(c.e) AS {money}) AS ending_cohort_mrr,\n\
         \x20   count(*) AS cohort_customers, sum(CASE WHEN c.e = 0 THEN 1 ELSE 0 END) AS churned_customers,\n\
         \x20   CAST(sum(c.e_at_t1_rates - c.e) AS {money}) AS fx_impact\n\
         \x20 FROM {seg_from} c\n\
         \x20 GROUP BY c.period, c.granularity{seg_group}\n\
         )\n\
         SELECT p.period, p.granularity, {seg_col}{start} AS start_month, {end} AS end_month, {t0} AS t0,\n\
         \x20 {starting} AS starting_mrr, {e} AS expansion, {c} AS contraction, {ch} AS churn,\n\
         \x20 {ending} AS ending_cohort_mrr,\n\
         \x20 {nrr} AS nrr, {grr} AS grr,\n\
         \x20 coalesce(a.cohort_customers, 0) AS cohort_customers, coalesce(a.churned_customers, 0) AS churned_customers,\n\
         \x20 {logo} AS logo_churn_rate, {fx} AS fx_impact{bridge}{from}",
        exp = sum("c.e > c.s", "c.e - c.s"),
        con = sum("c.e > 0 AND c.e < c.s", "c.s - c.e"),
        churn = sum("c.e = 0", "c.s"),
        seg_group = if segment.is_some() { ", c.segment" } else { "" },
        start = label(d, "p.start_month_index"),
        end = label(d, "p.end_month_index"),
        t0 = label(d, "(p.start_month_index - 1)"),
        starting = z("starting_mrr"),
        e = z("expansion"),
        c = z("contraction"),
        ch = z("churn"),
        ending = z("ending_cohort_mrr"),
        fx = z("fx_impact"),
        nrr = d.ratio("a.ending_cohort_mrr", "a.starting_mrr"),
        grr = d.ratio("a.starting_mrr - a.contraction - a.churn", "a.starting_mrr"),
        logo = d.ratio("a.churned_customers", "a.cohort_customers"),
    )
}
