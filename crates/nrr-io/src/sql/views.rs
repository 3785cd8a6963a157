//! The views up to the monthly bridge: the lines in units, the window, the month series, the
//! rates in force, the MRR of each customer and month, its movements and the bridge
//! (docs/metrics.md §4-§8, §12, §13, §20).

use super::{label, quote, Options, UNITS};
use nrr_core::policy::Reactivation;

/// (view name without prefix, query), in creation order.
pub(super) fn all(o: &Options) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = vec![
        ("lines".into(), lines(o)),
        ("unsupported_lines".into(), unsupported(o)),
        ("window".into(), window(o)),
        ("months".into(), months(o)),
        ("rates".into(), rates(o)),
    ];
    // Without an fx table every rate is 1 and a customer's currencies need not be kept apart:
    // the customer-month MRR comes straight from the lines (one aggregation, not two).
    if o.fx.is_some() {
        v.push(("rate_gaps".into(), rate_gaps(o)));
        v.push(("customer_currency_month".into(), customer_currency_month(o)));
    }
    v.extend([
        ("customer_month".into(), customer_month(o)),
        ("customer_steps".into(), steps(o)),
        ("movements".into(), movements(o)),
        ("bridge".into(), bridge(o)),
    ]);
    v
}

/// The reporting currency as a literal (lines without a currency are in it).
fn currency(o: &Options) -> String {
    quote(o.currency.as_deref().unwrap_or("XXX"))
}

/// §3-§5: the used lines, their MRR in units of their own currency and the months
/// `[month(start_date), month(end_date))` they are active in.
fn lines(o: &Options) -> String {
    let d = o.dialect;
    format!(
        "SELECT customer_id,\n\
         \x20 CASE WHEN currency IS NULL OR currency = '' THEN {cur} ELSE currency END AS currency,\n\
         \x20 CAST(CAST(amount AS {units}) * {factor} AS {units}) AS mrr_units,\n\
         \x20 {start} AS start_month_index,\n\
         \x20 CASE WHEN end_date IS NULL THEN NULL ELSE {end} END AS end_month_index,\n\
         \x20 start_date, end_date\n\
         FROM {table}\n\
         WHERE coalesce(kind, 'recurring') = 'recurring' AND amount > 0\n\
         \x20 AND (end_date IS NULL OR end_date > start_date)\n\
         \x20 AND {UNITS} % coalesce(interval_months, 1) = 0",
        cur = currency(o),
        units = d.units(),
        factor = d.idiv(&UNITS.to_string(), "coalesce(interval_months, 1)"),
        start = d.month_index("start_date"),
        end = d.month_index("end_date"),
        table = o.lines,
    )
}

/// Lines the units cannot hold exactly: an interval that does not divide 720720. The
/// figures leave them out, so this view must be empty.
fn unsupported(o: &Options) -> String {
    format!(
        "SELECT * FROM {table}\nWHERE coalesce(kind, 'recurring') = 'recurring' AND amount > 0\n\
         \x20 AND {UNITS} % coalesce(interval_months, 1) <> 0",
        table = o.lines
    )
}

/// §12: the window, given or derived as `nrr report` derives it from items (the first
/// line's month; the month of the latest start or end date not after today), and the first
/// month of the series (the earliest line's, or the month before the window's).
fn window(o: &Options) -> String {
    let given = |m: Option<nrr_core::date::Month>| {
        m.map_or("CAST(NULL AS INTEGER)".to_string(), |m| {
            m.index().to_string()
        })
    };
    let (from, to) = (given(o.from), given(o.to));
    format!(
        "SELECT CAST(coalesce({from}, x.first_start) AS INTEGER) AS from_month_index,\n\
         \x20 CAST(coalesce({to}, x.last_past) AS INTEGER) AS to_month_index,\n\
         \x20 CAST(least(x.first_start, coalesce({from}, x.first_start) - 1) AS INTEGER) AS first_month_index\n\
         FROM (\n\
         \x20 SELECT min(start_month_index) AS first_start,\n\
         \x20   greatest(coalesce(max(CASE WHEN start_date <= CURRENT_DATE THEN start_month_index END), -1),\n\
         \x20            coalesce(max(CASE WHEN end_date <= CURRENT_DATE THEN end_month_index END), -1)) AS last_past\n\
         \x20 FROM {lines}\n\
         ) x",
        lines = o.view("lines"),
    )
}

/// Every month from the first of the series to the end of the window, with its label.
fn months(o: &Options) -> String {
    let d = o.dialect;
    let series = d.month_series(&o.view("window"), "first_month_index", "to_month_index");
    format!(
        "SELECT s.month_index, {label} AS month\nFROM ({series}) s",
        label = label(d, "s.month_index"),
    )
}

/// §13: the rate into the reporting currency in force at each month end, for every currency
/// of the lines and the reporting currency (1). Without an fx table every rate is 1.
fn rates(o: &Options) -> String {
    let d = o.dialect;
    let r = currency(o);
    let months = o.view("months");
    let lines = o.view("lines");
    let Some(fx) = &o.fx else {
        return format!(
            "SELECT c.currency, m.month_index, CAST(1 AS {rate}) AS rate\n\
             FROM (SELECT DISTINCT currency FROM {lines}) c CROSS JOIN {months} m",
            rate = d.rate()
        );
    };
    format!(
        "WITH fx AS (\n\
         \x20 SELECT currency, CAST(rate AS DECIMAL(20, 10)) AS rate, date AS rate_date, {mi} AS month_index FROM {fx}\n\
         ), inforce AS (\n\
         \x20 SELECT currency, month_index, rate FROM (\n\
         \x20   SELECT f.currency, m.month_index, f.rate,\n\
         \x20     row_number() OVER (PARTITION BY f.currency, m.month_index ORDER BY f.rate_date DESC) AS rn\n\
         \x20   FROM fx f JOIN {months} m ON f.month_index <= m.month_index\n\
         \x20 ) t WHERE rn = 1\n\
         ), quoted AS (\n\
         \x20 SELECT CASE WHEN sum(CASE WHEN currency = {r} AND rate <> 1 THEN 1 ELSE 0 END) > 0 THEN 0 ELSE 1 END AS in_reporting FROM fx\n\
         ), listed AS (\n\
         \x20 SELECT DISTINCT currency FROM fx\n\
         ), needed AS (\n\
         \x20 SELECT DISTINCT currency FROM {lines} UNION SELECT {r} AS currency\n\
         ), unlisted AS (\n\
         \x20 SELECT count(*) AS n, {unlisted} AS list FROM needed n\n\
         \x20 WHERE n.currency <> {r} AND n.currency NOT IN (SELECT currency FROM listed)\n\
         ), at_one AS (\n\
         \x20 SELECT min(currency) AS currency FROM (\n\
         \x20   SELECT currency FROM fx WHERE currency <> {r} GROUP BY currency HAVING min(rate) = 1 AND max(rate) = 1\n\
         \x20 ) x\n\
         )\n\
         SELECT n.currency, m.month_index,\n\
         \x20 CASE WHEN n.currency = {r} THEN CAST(1 AS {rate})\n\
         \x20   WHEN q.in_reporting = 1 THEN CAST(c.rate AS {rate})\n\
         \x20   WHEN l.currency IS NOT NULL THEN {cross}\n\
         \x20   ELSE {inverse} END AS rate\n\
         FROM needed n CROSS JOIN {months} m CROSS JOIN quoted q CROSS JOIN unlisted u CROSS JOIN at_one a\n\
         LEFT JOIN listed l ON l.currency = n.currency\n\
         LEFT JOIN inforce c ON c.currency = n.currency AND c.month_index = m.month_index\n\
         LEFT JOIN inforce rr ON rr.currency = {r} AND rr.month_index = m.month_index\n\
         WHERE {no_rates}",
        unlisted = d.text_list("n.currency", ", "),
        no_rates = d.unless(
            &o.prefix,
            "u.n > 0 AND (q.in_reporting = 1 OR a.currency IS NOT NULL OR u.n > 1)",
            &no_rates_message(o),
        ),
        mi = d.month_index("date"),
        rate = d.rate(),
        cross = d.rate_quotient("c.rate", "rr.rate"),
        inverse = d.rate_quotient("1", "rr.rate"),
    )
}

/// The error of a currency of the lines that the fx table has no rows for, where `nrr`
/// stops with `NoRates` (nrr_core::fx::into_reporting): the table is read as quoted in the
/// reporting currency; or a currency other than the reporting one is listed at 1 (the base);
/// or two currencies have no rows, and only one, the base, may be left out. Columns of the
/// rates query: `u.list`, `q.in_reporting`, `a.currency`.
fn no_rates_message(o: &Options) -> String {
    let r = currency(o);
    format!(
        "concat('nrr: the fx table has no rates for ', u.list, ', which the lines are in: ',\n\
         \x20   CASE WHEN q.in_reporting = 1 THEN concat('its rates are read as the value of 1 unit in ', {r}, ', the reporting currency')\n\
         \x20     WHEN a.currency IS NOT NULL THEN concat('its rates are the value of 1 unit in ', a.currency, ', which it lists at 1')\n\
         \x20     ELSE 'its rates are the value of 1 unit in one currency, which needs no rows of its own, so at most one currency may be left out' END)"
    )
}

/// One row per month of the view in which a currency of the lines has no rate in force at the
/// month's end: the error a figure that needs one raises (where `nrr report` stops with
/// `MissingRates`), naming the currencies without one.
fn rate_gaps(o: &Options) -> String {
    let d = o.dialect;
    format!(
        "SELECT r.month_index,\n\
         \x20 concat('nrr: no ', {list}, ' rate into ', {cur}, ' in force at ', {last_day}, ' (fx table)') AS message\n\
         FROM {rates} r WHERE r.rate IS NULL\n\
         GROUP BY r.month_index",
        list = d.text_list("r.currency", " or "),
        cur = currency(o),
        last_day = d.last_day("r.month_index"),
        rates = o.view("rates"),
    )
}

/// The condition that stops a query when the month index `gap` (an expression, NULL when no
/// rate is missing) is not NULL, with the error of [`rate_gaps`] joined as `alias`.
pub(super) fn gap_check(o: &Options, gap: &str, alias: &str) -> String {
    o.dialect.unless(
        &o.prefix,
        &format!("{gap} IS NOT NULL"),
        &format!(
            "coalesce({alias}.message, 'nrr: an exchange rate a figure needs is not in the fx table')"
        ),
    )
}

/// §5-§6: each customer's MRR in units of each of its currencies, per month (only months
/// with MRR > 0). The sum keeps the type of a line's units: a product with a rate then has 18 places in
/// DuckDB and Spark (Spark would round the product of a wider sum to fewer places).
fn customer_currency_month(o: &Options) -> String {
    format!(
        "SELECT l.customer_id, l.currency, m.month_index, CAST(sum(l.mrr_units) AS {units}) AS mrr_units\n\
         FROM {lines} l JOIN {months} m\n\
         \x20 ON l.start_month_index <= m.month_index AND (l.end_month_index IS NULL OR l.end_month_index > m.month_index)\n\
         GROUP BY l.customer_id, l.currency, m.month_index",
        lines = o.view("lines"),
        months = o.view("months"),
        units = o.dialect.units(),
    )
}

/// §6: value(c, M, M), value(c, M, M-1) (constant currency) and value(c, M, M+1) (for the
/// movements' amounts at the next month's rates); with an fx table also value(c, M, M-3) and
/// value(c, M, M-12), the ending MRR at t0's rates of the quarter and year (or TTM) that end
/// in M, so that the retention needs no join with the rates.
fn customer_month(o: &Options) -> String {
    let d = o.dialect;
    let rates = o.view("rates");
    if o.fx.is_none() {
        // Every rate 1: the three values are the MRR, summed from the lines directly.
        return format!(
            "SELECT l.customer_id, m.month_index, {label} AS month,\n\
             \x20 CAST(sum(l.mrr_units) AS {money}) AS mrr,\n\
             \x20 CAST(sum(l.mrr_units) AS {money}) AS mrr_at_previous_rates,\n\
             \x20 CAST(sum(l.mrr_units) AS {money}) AS mrr_at_next_rates\n\
             FROM {lines} l JOIN {months} m\n\
             \x20 ON l.start_month_index <= m.month_index AND (l.end_month_index IS NULL OR l.end_month_index > m.month_index)\n\
             GROUP BY l.customer_id, m.month_index",
            label = label(d, "m.month_index"),
            money = d.money(),
            lines = o.view("lines"),
            months = o.view("months"),
        );
    }
    // A value needs the rate of every currency the customer pays in that month: one unknown
    // rate makes it NULL (docs/scale-out.md), never the sum of the currencies with a rate.
    let value = |r: &str, name: &str| {
        format!(
            "CASE WHEN count({r}.rate) = count(*) THEN CAST(sum(n.mrr_units * {r}.rate) AS {money}) END AS {name}",
            money = d.money()
        )
    };
    format!(
        "SELECT n.customer_id, n.month_index, {label} AS month,\n\
         \x20 {mrr},\n\
         \x20 {prev},\n\
         \x20 {next},\n\
         \x20 {back3},\n\
         \x20 {back12}\n\
         FROM {ccm} n\n\
         LEFT JOIN {rates} r ON r.currency = n.currency AND r.month_index = n.month_index\n\
         LEFT JOIN {rates} rp ON rp.currency = n.currency AND rp.month_index = n.month_index - 1\n\
         LEFT JOIN {rates} rn ON rn.currency = n.currency AND rn.month_index = n.month_index + 1\n\
         LEFT JOIN {rates} r3 ON r3.currency = n.currency AND r3.month_index = n.month_index - 3\n\
         LEFT JOIN {rates} r12 ON r12.currency = n.currency AND r12.month_index = n.month_index - 12\n\
         GROUP BY n.customer_id, n.month_index",
        label = label(d, "n.month_index"),
        mrr = value("r", "mrr"),
        prev = value("rp", "mrr_at_previous_rates"),
        next = value("rn", "mrr_at_next_rates"),
        back3 = value("r3", "mrr_at_rates_3_back"),
        back12 = value("r12", "mrr_at_rates_12_back"),
        ccm = o.view("customer_currency_month"),
    )
}

/// The category of a start from zero (prev = 0, cur > 0) after the customer's first month,
/// by the reactivation rule (docs/policies.md#reactivation).
fn returning(o: &Options) -> String {
    match o.reactivation {
        Reactivation::AnyGap => "'reactivation'".into(),
        Reactivation::AsExpansion => "'expansion'".into(),
        Reactivation::Window(n) => format!(
            "CASE WHEN s.month_index - s.last_paid_index - 1 <= {n} THEN 'reactivation' ELSE 'new' END"
        ),
    }
}

/// §7: one row per customer and window month in which it pays now or paid last month: prev,
/// cc, cur, prev at this month's rates, and its movement (new, reactivation, expansion,
/// contraction, churn) with both amounts. Each paid month makes its own row (k = 0) and, when
/// the customer does not pay the month after, that month's churn row (k = 1): one pass of the
/// window functions, where a UNION ALL of two reads of them made Spark compute them twice.
fn steps(o: &Options) -> String {
    let d = o.dialect;
    let cm = o.view("customer_month");
    // With an fx table, the previous month's lines at this month's rates are NULL where a
    // rate is missing (`nrr_movements` stops where it needs them); without one, never.
    let keep = |v: &str| {
        if o.fx.is_some() {
            v.to_string()
        } else {
            format!("coalesce({v}, 0)")
        }
    };
    // gap_month_index (with an fx table): the month of a rate that `nrr report` needs for
    // this step and the fx table lacks (a value NULL for a missing rate: the MRR of this
    // month or the previous one, or this month's at the previous month's rates while the
    // customer paid then), or NULL.
    format!(
        "WITH paid AS (\n\
         \x20 SELECT customer_id, month_index, mrr, mrr_at_previous_rates, mrr_at_next_rates,\n\
         \x20   min(month_index) OVER (PARTITION BY customer_id) AS first_month_index,\n\
         \x20   lag(month_index) OVER (PARTITION BY customer_id ORDER BY month_index) AS last_paid_index,\n\
         \x20   lag(mrr) OVER (PARTITION BY customer_id ORDER BY month_index) AS last_mrr,\n\
         \x20   lag(mrr_at_next_rates) OVER (PARTITION BY customer_id ORDER BY month_index) AS last_mrr_at_next_rates,\n\
         \x20   lead(month_index) OVER (PARTITION BY customer_id ORDER BY month_index) AS next_paid_index\n\
         \x20 FROM {cm}\n\
         ), stepped AS (\n\
         \x20 SELECT p.customer_id, p.month_index + x.k AS month_index, p.first_month_index,\n\
         \x20   CASE WHEN x.k = 0 THEN p.last_paid_index END AS last_paid_index,\n\
         \x20   CASE WHEN x.k = 1 THEN p.mrr WHEN p.last_paid_index = p.month_index - 1 THEN p.last_mrr ELSE 0 END AS prev,\n\
         \x20   CASE WHEN x.k = 0 THEN p.mrr_at_previous_rates ELSE CAST(0 AS {money}) END AS cc,\n\
         \x20   CASE WHEN x.k = 0 THEN p.mrr ELSE CAST(0 AS {money}) END AS cur,\n\
         \x20   CASE WHEN x.k = 1 THEN {next}\n\
         \x20     WHEN p.last_paid_index = p.month_index - 1 THEN {last_next} ELSE 0 END AS prev_at_month_rates\n\
         \x20 FROM paid p CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1 AS k) x\n\
         \x20 WHERE x.k = 0 OR p.next_paid_index IS NULL OR p.next_paid_index > p.month_index + 1\n\
         ), s AS (\n\
         \x20 SELECT t.* FROM stepped t\n\
         \x20 JOIN {window} w ON t.month_index BETWEEN w.from_month_index AND w.to_month_index\n\
         ), m AS (\n\
         \x20 SELECT s.*,\n\
         \x20   CASE WHEN s.prev = 0 AND s.cur > 0 THEN\n\
         \x20       CASE WHEN s.month_index = s.first_month_index THEN 'new' ELSE {returning} END\n\
         \x20     WHEN s.prev > 0 AND s.cc > s.prev THEN 'expansion'\n\
         \x20     WHEN s.prev > 0 AND s.cc > 0 AND s.cc < s.prev THEN 'contraction'\n\
         \x20     WHEN s.prev > 0 AND s.cc = 0 THEN 'churn' END AS movement,\n\
         \x20   CASE WHEN s.prev = 0 AND s.cur > 0 AND s.month_index > s.first_month_index THEN 1 ELSE 0 END AS returned\n\
         \x20 FROM s\n\
         )\n\
         SELECT m.customer_id, m.month_index, {label} AS month, m.prev, m.cc, m.cur, m.prev_at_month_rates,\n\
         \x20 m.movement, CASE WHEN m.movement IN ('new', 'reactivation') THEN 0 ELSE m.returned END AS returned,\n\
         \x20 CAST(CASE WHEN m.prev = 0 THEN m.cur WHEN m.movement = 'expansion' THEN m.cc - m.prev\n\
         \x20   WHEN m.movement = 'contraction' THEN m.prev - m.cc WHEN m.movement = 'churn' THEN m.prev END AS {money}) AS amount,\n\
         \x20 CAST(CASE WHEN m.prev = 0 THEN m.cur WHEN m.movement = 'expansion' THEN m.cur - m.prev_at_month_rates\n\
         \x20   WHEN m.movement IN ('contraction', 'churn') THEN m.prev_at_month_rates - m.cur END AS {money}) AS amount_at_month_rates,\n\
         \x20 CAST(CASE WHEN m.prev > 0 THEN m.cur - m.cc ELSE 0 END AS {money}) AS fx,\n\
         \x20 CAST(CASE WHEN m.prev = 0 THEN 0 WHEN m.movement IS NULL THEN m.cur - m.prev\n\
         \x20   ELSE m.prev_at_month_rates - m.prev END AS {money}) AS fx_at_month_rates{gap}\n\
         FROM m",
        next = keep("p.mrr_at_next_rates"),
        last_next = keep("p.last_mrr_at_next_rates"),
        gap = if o.fx.is_some() {
            ",\n\x20 CASE WHEN m.cur IS NULL THEN m.month_index\n\
             \x20   WHEN m.prev IS NULL OR (m.cc IS NULL AND m.prev > 0) THEN m.month_index - 1 END AS gap_month_index"
        } else {
            ""
        },
        window = o.view("window"),
        returning = returning(o),
        label = label(d, "m.month_index"),
        money = d.money(),
    )
}

/// §20: one row per customer, month and category, as `nrr movements` writes them (without
/// the reason and segment columns).
fn movements(o: &Options) -> String {
    let steps = o.view("customer_steps");
    // With an fx table, a step that lacks a rate `nrr movements` needs stops the query: one
    // `nrr report` needs (`gap_month_index`), or this month's for the previous month's lines
    // of a customer that moved (the amount at the month's rates).
    let first = if o.fx.is_some() {
        let gap =
            "coalesce(s.gap_month_index, CASE WHEN s.prev > 0 AND s.prev_at_month_rates IS NULL \
                   AND (s.movement IS NOT NULL OR s.fx <> 0) THEN s.month_index END)";
        format!(
            "SELECT s.month, s.month_index, s.customer_id, s.movement AS category, s.amount, s.amount_at_month_rates\n\
             FROM {steps} s LEFT JOIN {gaps} g ON g.month_index = {gap}\n\
             WHERE (s.movement IS NOT NULL OR {gap} IS NOT NULL) AND {check}",
            gaps = o.view("rate_gaps"),
            check = gap_check(o, gap, "g"),
        )
    } else {
        format!(
            "SELECT month, month_index, customer_id, movement AS category, amount, amount_at_month_rates\n\
             FROM {steps} WHERE movement IS NOT NULL"
        )
    };
    format!(
        "{first}\n\
         UNION ALL\n\
         SELECT month, month_index, customer_id, 'fx' AS category, fx AS amount, fx_at_month_rates AS amount_at_month_rates\n\
         FROM {steps} WHERE prev > 0 AND (fx <> 0 OR fx_at_month_rates <> 0)"
    )
}

/// §8: the monthly bridge of every window month, as `nrr report --format json` `months`. The
/// steps are summed per month before the join with the months (a join on the month alone
/// would send every step of a month to one place).
fn bridge(o: &Options) -> String {
    let d = o.dialect;
    let sum = |cond: &str, what: &str| format!("sum(CASE WHEN {cond} THEN {what} ELSE 0 END)");
    let count = |cond: &str| format!("sum(CASE WHEN {cond} THEN 1 ELSE 0 END)");
    let money = |col: &str| format!("CAST(coalesce(s.{col}, 0) AS {}) AS {col}", d.money());
    let int = |col: &str| format!("coalesce(s.{col}, 0) AS {col}");
    format!(
        "SELECT m.month, m.month_index,\n\
         \x20 {opening}, {new}, {react}, {exp},\n\
         \x20 {con}, {churn}, {fx}, {closing},\n\
         \x20 {customers}, {new_c},\n\
         \x20 {react_c}, {churn_c}\n\
         FROM {months} m\n\
         JOIN {window} w ON m.month_index BETWEEN w.from_month_index AND w.to_month_index\n\
         LEFT JOIN (\n\
         \x20 SELECT s.month_index, sum(s.prev) AS opening_mrr,\n\
         \x20   {s_new} AS new, {s_react} AS reactivation,\n\
         \x20   {s_exp} AS expansion, {s_con} AS contraction,\n\
         \x20   {s_churn} AS churn, sum(s.fx) AS fx, sum(s.cur) AS closing_mrr,\n\
         \x20   {s_customers} AS customers, {s_new_c} AS new_customers,\n\
         \x20   {s_react_c} AS reactivated_customers, {s_churn_c} AS churned_customers{gap}\n\
         \x20 FROM {steps} s GROUP BY s.month_index\n\
         ) s ON s.month_index = m.month_index{check}",
        gap = if o.fx.is_some() {
            ",\n\x20   min(s.gap_month_index) AS gap_month_index"
        } else {
            ""
        },
        check = if o.fx.is_some() {
            format!(
                "\nLEFT JOIN {gaps} g ON g.month_index = s.gap_month_index\nWHERE {}",
                gap_check(o, "s.gap_month_index", "g"),
                gaps = o.view("rate_gaps"),
            )
        } else {
            String::new()
        },
        opening = money("opening_mrr"),
        new = money("new"),
        react = money("reactivation"),
        exp = money("expansion"),
        con = money("contraction"),
        churn = money("churn"),
        fx = money("fx"),
        closing = money("closing_mrr"),
        customers = int("customers"),
        new_c = int("new_customers"),
        react_c = int("reactivated_customers"),
        churn_c = int("churned_customers"),
        s_new = sum("s.movement = 'new'", "s.amount"),
        s_react = sum("s.movement = 'reactivation'", "s.amount"),
        s_exp = sum("s.movement = 'expansion'", "s.amount"),
        s_con = sum("s.movement = 'contraction'", "s.amount"),
        s_churn = sum("s.movement = 'churn'", "s.amount"),
        s_customers = count("s.cur > 0"),
        s_new_c = count("s.movement = 'new'"),
        s_react_c = count("s.movement = 'reactivation' OR s.returned = 1"),
        s_churn_c = count("s.movement = 'churn'"),
        months = o.view("months"),
        window = o.view("window"),
        steps = o.view("customer_steps"),
    )
}
