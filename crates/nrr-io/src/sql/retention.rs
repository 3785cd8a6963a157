//! The period views: the reported periods, and the retention of every period and of every
//! segment (docs/metrics.md §9, §11, §18).
//!
//! A period's frozen cohort is the customers paying at its t0, and a period ends 1 (month),
//! 3 (quarter) or 12 (year, TTM) months after its t0. So each customer-month row at t0
//! carries, by window functions over the customer's months (a RANGE frame of exactly k
//! months ahead, NULL when the customer does not pay then), its ending MRR for those three
//! offsets; the sums per t0 are then picked by each period's length. No row per period and
//! cohort customer is made, and no join of the cohorts with the customer-months.

use super::{label, Options};

/// (view name without prefix, query), in creation order.
pub(super) fn all(o: &Options) -> Vec<(String, String)> {
    let mut v = vec![
        ("periods".into(), periods(o)),
        ("retention".into(), retention(o, None)),
    ];
    for s in &o.segments {
        v.push((segment_view(s), retention(o, Some(s))));
    }
    v
}

/// The view of segment column `column`, without the prefix: lowercase, as PostgreSQL folds
/// an unquoted name (so `--segment Region` makes `nrr_segment_retention_region` everywhere).
pub(super) fn segment_view(column: &str) -> String {
    format!("segment_retention_{}", column.to_ascii_lowercase())
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

/// The offsets from t0 to t1 of the periods: a month, a quarter, a year or TTM.
const OFFSETS: [u32; 3] = [1, 3, 12];

/// §9: one row per customer and month M it pays in (a cohort at t0 = M), with s =
/// value(c, t0, t0) and, for each offset k, `e_k` = value(c, t0 + k, t0) and `e_k_t1` =
/// value(c, t0 + k, t0 + k) (with an fx table only: without one both are the MRR at t0 + k),
/// 0 when it does not pay at t0 + k. With an fx table customer_month holds value(c, M, M - k).
fn cohort(o: &Options) -> String {
    let money = o.dialect.money();
    let ahead = |col: &str, k: u32| {
        format!(
            "CAST(coalesce(max({col}) OVER (PARTITION BY customer_id ORDER BY month_index RANGE BETWEEN {k} FOLLOWING AND {k} FOLLOWING), 0) AS {money})"
        )
    };
    let null_ahead = |col: &str, k: u32| {
        format!(
            "max(CASE WHEN {col} IS NULL THEN 1 ELSE 0 END) OVER (PARTITION BY customer_id ORDER BY month_index RANGE BETWEEN {k} FOLLOWING AND {k} FOLLOWING)"
        )
    };
    let mut cols = String::new();
    for k in OFFSETS {
        let at_t0 = match (o.fx.is_some(), k) {
            (false, _) => "mrr".to_string(),
            (true, 1) => "mrr_at_previous_rates".to_string(),
            (true, k) => format!("mrr_at_rates_{k}_back"),
        };
        cols.push_str(&format!(",\n\x20 {} AS e_{k}", ahead(&at_t0, k)));
        if o.fx.is_some() {
            cols.push_str(&format!(",\n\x20 {} AS e_{k}_t1", ahead("mrr", k)));
            // A row k months on whose value at t0's rates (or at its own) is NULL: a rate
            // the fx table lacks, at t0 (or t0 + k).
            cols.push_str(&format!(
                ",\n\x20 {} AS gap_{k},\n\x20 {} AS gap_{k}_t1",
                null_ahead(&at_t0, k),
                null_ahead("mrr", k)
            ));
        }
    }
    format!(
        "SELECT customer_id, month_index, mrr AS s{cols}\nFROM {cm}",
        cm = o.view("customer_month"),
    )
}

/// §9: the retention of every period (with its bridge, the sums of its months), or with
/// `segment` of every period and value of that customers column (customers without one:
/// `''`), for every value a paying customer has. The ratios are exact quotients of integers
/// ([`super::Dialect::ratio`]): `picked` gives the money sums they need as counts of 10^-18.
fn retention(o: &Options, segment: Option<&str>) -> String {
    let d = o.dialect;
    let money = d.money();
    let seg = SegmentParts::of(o, segment);
    // The rows: every period with its bridge, or every period and segment value.
    let rows = if segment.is_some() {
        format!(
            "\nFROM {periods} p{values}\nLEFT JOIN picked a ON a.period = p.period AND a.granularity = p.granularity{join}",
            periods = o.view("periods"),
            values = seg.values,
            join = seg.join,
        )
    } else {
        period_bridge(o)
    };
    let z = |col: &str| format!("coalesce(a.{col}, CAST(0 AS {money}))");
    format!(
        "WITH cohort AS (\n\
         \x20 {cohort}\n\
         ), agg AS (\n\
         \x20 SELECT {seg_key}c.month_index,\n\
         \x20   CAST(sum(c.s) AS {money}) AS starting_mrr, count(*) AS cohort_customers{sums}\n\
         \x20 FROM {seg_from} c\n\
         \x20 GROUP BY c.month_index{seg_group}\n\
         ), picked AS (\n\
         \x20 SELECT x.*, {starting_atto} AS starting_atto, {ending_atto} AS ending_atto,\n\
         \x20   {starting_atto} - {contraction_atto} - {churn_atto} AS retained_atto\n\
         \x20 FROM (\n\
         \x20   SELECT p.period, p.granularity, {a_seg}a.starting_mrr, a.cohort_customers,\n\
         \x20     {picked}\n\
         \x20   FROM {periods} p JOIN agg a ON a.month_index = p.start_month_index - 1\n\
         \x20 ) x\n\
         )\n\
         SELECT p.period, p.granularity, {seg_col}{start} AS start_month, {end} AS end_month, {t0} AS t0,\n\
         \x20 {starting} AS starting_mrr, {e} AS expansion, {c} AS contraction, {ch} AS churn,\n\
         \x20 {ending} AS ending_cohort_mrr,\n\
         \x20 {nrr} AS nrr, {grr} AS grr,\n\
         \x20 coalesce(a.cohort_customers, 0) AS cohort_customers, coalesce(a.churned_customers, 0) AS churned_customers,\n\
         \x20 {logo} AS logo_churn_rate, {fx} AS fx_impact{rows}{check}",
        check = check(o),
        cohort = cohort(o).replace('\n', "\n\x20 "),
        seg_key = seg.key,
        sums = offset_sums(o),
        seg_from = seg.from,
        seg_group = if segment.is_some() { ", c.segment" } else { "" },
        a_seg = if segment.is_some() { "a.segment, " } else { "" },
        picked = picked_columns(o),
        periods = o.view("periods"),
        seg_col = seg.column,
        start = label(d, "p.start_month_index"),
        end = label(d, "p.end_month_index"),
        t0 = label(d, "(p.start_month_index - 1)"),
        starting = z("starting_mrr"),
        e = z("expansion"),
        c = z("contraction"),
        ch = z("churn"),
        ending = z("ending_cohort_mrr"),
        fx = z("fx_impact"),
        starting_atto = d.atto("x.starting_mrr"),
        ending_atto = d.atto("x.ending_cohort_mrr"),
        contraction_atto = d.atto("x.contraction"),
        churn_atto = d.atto("x.churn"),
        nrr = d.ratio("a.ending_atto", "a.starting_atto"),
        grr = d.ratio("a.retained_atto", "a.starting_atto"),
        logo = d.ratio("a.churned_customers", "a.cohort_customers"),
    )
}

/// With an fx table: the joins and condition that stop the retention where a period's figures
/// need a rate the fx table lacks (`nrr report` stops with `MissingRates`): the starting MRR
/// or a cohort customer's MRR at t1 at t0's rates (a rate at t0), or its MRR at t1 (at t1).
fn check(o: &Options) -> String {
    if o.fx.is_none() {
        return String::new();
    }
    let gaps = o.view("rate_gaps");
    let gap = "CASE WHEN a.gap_t0 = 1 THEN p.start_month_index - 1 WHEN a.gap_t1 = 1 THEN p.end_month_index END";
    format!(
        "\nLEFT JOIN {gaps} g ON g.month_index = {gap}\nWHERE {}",
        super::views::gap_check(o, gap, "g")
    )
}

/// The pieces of a retention query that a segment adds (all empty, and the cohort read as
/// it is, for the whole retention).
struct SegmentParts {
    /// The segment column of the result (`v.segment, `).
    column: &'static str,
    /// The segment among the keys of the sums per t0 (`c.segment, `).
    key: &'static str,
    /// What the sums per t0 read: the cohort, with each customer's segment value.
    from: String,
    /// The condition that joins a period's sums to its segment value.
    join: &'static str,
    /// A cross join of the periods with every segment value a paying customer has.
    values: String,
}

impl SegmentParts {
    fn of(o: &Options, segment: Option<&str>) -> SegmentParts {
        let (Some(col), Some(customers)) = (segment, &o.customers) else {
            return SegmentParts {
                column: "",
                key: "",
                from: "cohort".to_string(),
                join: "",
                values: String::new(),
            };
        };
        let t = o.dialect.text();
        let col = o.dialect.ident(col);
        SegmentParts {
            column: "v.segment, ",
            key: "c.segment, ",
            from: format!(
                "(SELECT k.*, coalesce(CAST(cu.{col} AS {t}), '') AS segment FROM cohort k LEFT JOIN {customers} cu ON cu.customer_id = k.customer_id)"
            ),
            join: " AND a.segment = v.segment",
            values: format!(
                " CROSS JOIN (SELECT DISTINCT coalesce(CAST(cu.{col} AS {t}), '') AS segment FROM (SELECT DISTINCT customer_id FROM {cm}) x LEFT JOIN {customers} cu ON cu.customer_id = x.customer_id) v",
                cm = o.view("customer_month"),
            ),
        }
    }
}

/// The bridge columns of `nrr_retention` and its rows: every period, its retention (`picked`)
/// and its bridge, the sums of the bridge's months (the opening of the first, the closing of
/// the last).
fn period_bridge(o: &Options) -> String {
    let money = o.dialect.money();
    format!(
        ",\n\
         \x20 b.opening AS bridge_opening, b.new AS bridge_new, b.reactivation AS bridge_reactivation,\n\
         \x20 b.expansion AS bridge_expansion, b.contraction AS bridge_contraction, b.churn AS bridge_churn,\n\
         \x20 b.fx AS bridge_fx, b.closing AS bridge_closing\n\
         FROM {periods} p\n\
         LEFT JOIN picked a ON a.period = p.period AND a.granularity = p.granularity\n\
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
}

/// The sums per t0 (and segment value) for each offset k: `expansion_k`, `contraction_k`,
/// `churn_k`, `ending_cohort_mrr_k`, `churned_customers_k` and `fx_impact_k`, each column
/// after `,\n`.
fn offset_sums(o: &Options) -> String {
    let money = o.dialect.money();
    let sum = |cond: &str, what: &str| {
        format!("CAST(sum(CASE WHEN {cond} THEN {what} ELSE 0 END) AS {money})")
    };
    let mut sums = String::new();
    for k in OFFSETS {
        // Without an fx table value(c, t1, t1) = value(c, t1, t0): the fx impact is 0.
        let e = format!("c.e_{k}");
        let e1 = if o.fx.is_some() {
            format!("c.e_{k}_t1")
        } else {
            e.clone()
        };
        sums.push_str(&format!(
            ",\n\x20   {exp} AS expansion_{k}, {con} AS contraction_{k}, {churn} AS churn_{k},\n\
             \x20   CAST(sum({e}) AS {money}) AS ending_cohort_mrr_{k}, sum(CASE WHEN {e} = 0 THEN 1 ELSE 0 END) AS churned_customers_{k},\n\
             \x20   CAST(sum({e1} - {e}) AS {money}) AS fx_impact_{k}{gaps}",
            gaps = if o.fx.is_some() {
                format!(
                    ",\n\x20   max(CASE WHEN c.s IS NULL OR c.gap_{k} = 1 THEN 1 ELSE 0 END) AS gap_t0_{k}, \
                     max(CASE WHEN c.gap_{k}_t1 = 1 THEN 1 ELSE 0 END) AS gap_t1_{k}"
                )
            } else {
                String::new()
            },
            exp = sum(&format!("{e} > c.s"), &format!("{e} - c.s")),
            con = sum(&format!("{e} > 0 AND {e} < c.s"), &format!("c.s - {e}")),
            churn = sum(&format!("{e} = 0"), "c.s"),
        ));
    }
    sums
}

/// A period's sums: those of its t0 for its length (a month, a quarter, else a year or TTM),
/// one column a line.
fn picked_columns(o: &Options) -> String {
    let pick = |col: &str| {
        let [k1, k3, k12] = OFFSETS;
        format!(
            "CASE p.end_month_index - p.start_month_index WHEN {} THEN a.{col}_{k1} WHEN {} THEN a.{col}_{k3} ELSE a.{col}_{k12} END AS {col}",
            k1 - 1,
            k3 - 1
        )
    };
    let mut cols = vec![
        "expansion",
        "contraction",
        "churn",
        "ending_cohort_mrr",
        "churned_customers",
        "fx_impact",
    ];
    if o.fx.is_some() {
        cols.extend(["gap_t0", "gap_t1"]);
    }
    cols.into_iter()
        .map(pick)
        .collect::<Vec<_>>()
        .join(",\n\x20     ")
}
