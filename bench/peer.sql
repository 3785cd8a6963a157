-- The peer: how a careful analyst computes nrr's figures in warehouse SQL (DuckDB dialect).
-- Parameters (substituted by peer.py): {items} = path of items.csv, {from_month} and
-- {to_month} = first days of the first and last reported months.
--
-- Same definitions as docs/metrics.md for single-currency data: month-end snapshots
-- (start_date <= last_day(month) < end_date), movements from LAG over a dense customer-month
-- series (dbt mrr-playbook style), and frozen-cohort retention by joining the t0 and t1
-- snapshots. Money stays exact: MRR is kept as DECIMAL in units of 1/720720 (the least common
-- multiple of every billing interval from 1 to 16 months, and of 18, 20, 24, 36, ...), so no
-- division happens in SQL; peer.py divides the final sums. (A first version divided
-- amount / interval_months into DOUBLE and drifted by more than a cent at 10M customers.)

CREATE OR REPLACE TEMP TABLE items AS
SELECT * FROM read_csv('{items}', header = true, columns = {
    'customer_id': 'VARCHAR', 'subscription_id': 'VARCHAR', 'product': 'VARCHAR',
    'plan': 'VARCHAR', 'quantity': 'BIGINT', 'amount': 'DECIMAL(18,6)', 'currency': 'VARCHAR',
    'interval_months': 'INTEGER', 'start_date': 'DATE', 'end_date': 'DATE', 'kind': 'VARCHAR'});

CREATE OR REPLACE TEMP TABLE lines AS
SELECT customer_id,
       CAST(amount AS DECIMAL(38, 6)) * (720720 // coalesce(interval_months, 1)) AS mrr,
       start_date, end_date
FROM items
WHERE coalesce(kind, 'recurring') = 'recurring'
  AND amount > 0
  AND (end_date IS NULL OR end_date > start_date);

-- Month spine: from the earliest line (first_month needs all history) to the window end.
CREATE OR REPLACE TEMP TABLE spine AS
SELECT m::DATE AS month, last_day(m::DATE) AS month_end
FROM range(
    least((SELECT date_trunc('month', min(start_date)) FROM lines), DATE '{from_month}' - INTERVAL 1 MONTH),
    DATE '{to_month}' + INTERVAL 1 MONTH,
    INTERVAL 1 MONTH) t(m);

-- MRR per customer-month (only months with MRR > 0).
CREATE OR REPLACE TEMP TABLE cm AS
SELECT l.customer_id, s.month, sum(l.mrr) AS mrr
FROM lines l
JOIN spine s ON l.start_date <= s.month_end AND (l.end_date IS NULL OR l.end_date > s.month_end)
GROUP BY ALL;

-- Dense series from each customer's first month to the window end, LAG to the previous month.
CREATE OR REPLACE TEMP TABLE moves AS
WITH first AS (SELECT customer_id, min(month) AS first_month FROM cm GROUP BY ALL),
dense AS (
    SELECT f.customer_id, s.month, f.first_month, coalesce(cm.mrr, 0) AS cur
    FROM first f
    JOIN spine s ON s.month >= f.first_month
    LEFT JOIN cm ON cm.customer_id = f.customer_id AND cm.month = s.month
)
SELECT customer_id, month, first_month, cur,
       coalesce(lag(cur) OVER (PARTITION BY customer_id ORDER BY month), 0) AS prev
FROM dense;

CREATE OR REPLACE TEMP TABLE months AS
SELECT month,
    sum(prev) AS opening_mrr,
    sum(CASE WHEN prev = 0 AND cur > 0 AND month = first_month THEN cur ELSE 0 END) AS new,
    sum(CASE WHEN prev = 0 AND cur > 0 AND month > first_month THEN cur ELSE 0 END) AS reactivation,
    sum(CASE WHEN prev > 0 AND cur > prev THEN cur - prev ELSE 0 END) AS expansion,
    sum(CASE WHEN prev > 0 AND cur > 0 AND cur < prev THEN prev - cur ELSE 0 END) AS contraction,
    sum(CASE WHEN prev > 0 AND cur = 0 THEN prev ELSE 0 END) AS churn,
    sum(cur) AS closing_mrr,
    count(*) FILTER (WHERE cur > 0) AS customers
FROM moves
WHERE month BETWEEN DATE '{from_month}' AND DATE '{to_month}'
GROUP BY ALL;

-- Reported periods: every month, complete quarters and years, TTM where t0 is in the window.
CREATE OR REPLACE TEMP TABLE periods AS
WITH w AS (SELECT month AS m FROM spine WHERE month BETWEEN DATE '{from_month}' AND DATE '{to_month}')
SELECT strftime(m, '%Y-%m') AS period, 'month' AS granularity, m AS start_month, m AS t1 FROM w
UNION ALL
SELECT strftime(m, '%Y') || '-Q' || quarter(m), 'quarter', m, (m + INTERVAL 2 MONTH)::DATE FROM w
WHERE month(m) IN (1, 4, 7, 10) AND m + INTERVAL 2 MONTH <= DATE '{to_month}'
UNION ALL
SELECT strftime(m, '%Y'), 'year', m, (m + INTERVAL 11 MONTH)::DATE FROM w
WHERE month(m) = 1 AND m + INTERVAL 11 MONTH <= DATE '{to_month}'
UNION ALL
SELECT strftime(m, '%Y-%m'), 'ttm', (m - INTERVAL 11 MONTH)::DATE, m FROM w
WHERE m - INTERVAL 12 MONTH >= DATE '{from_month}';

-- Frozen cohort: customers with MRR > 0 at t0, their MRR at t1.
CREATE OR REPLACE TEMP TABLE retention AS
WITH p AS (SELECT *, (start_month - INTERVAL 1 MONTH)::DATE AS t0 FROM periods),
pairs AS (
    SELECT p.period, p.granularity, a.mrr AS s, coalesce(b.mrr, 0) AS e
    FROM p
    JOIN cm a ON a.month = p.t0
    LEFT JOIN cm b ON b.customer_id = a.customer_id AND b.month = p.t1
),
agg AS (
    SELECT period, granularity,
        sum(s) AS starting_mrr,
        sum(CASE WHEN e > s THEN e - s ELSE 0 END) AS expansion,
        sum(CASE WHEN e > 0 AND e < s THEN s - e ELSE 0 END) AS contraction,
        sum(CASE WHEN e = 0 THEN s ELSE 0 END) AS churn,
        sum(e) AS ending_cohort_mrr,
        count(*) AS cohort_customers,
        count(*) FILTER (WHERE e = 0) AS churned_customers
    FROM pairs GROUP BY ALL
),
bridge AS (
    SELECT p.period, p.granularity,
        sum(mo.new) AS b_new, sum(mo.reactivation) AS b_reactivation,
        sum(mo.expansion) AS b_expansion, sum(mo.contraction) AS b_contraction,
        sum(mo.churn) AS b_churn,
        arg_min(mo.opening_mrr, mo.month) AS b_opening, arg_max(mo.closing_mrr, mo.month) AS b_closing
    FROM p JOIN months mo ON mo.month BETWEEN p.start_month AND p.t1
    GROUP BY ALL
)
SELECT p.period, p.granularity, strftime(p.t1, '%Y-%m') AS end_month,
    coalesce(a.starting_mrr, 0) AS starting_mrr, coalesce(a.expansion, 0) AS expansion,
    coalesce(a.contraction, 0) AS contraction, coalesce(a.churn, 0) AS churn,
    coalesce(a.ending_cohort_mrr, 0) AS ending_cohort_mrr,
    CAST(a.ending_cohort_mrr AS DOUBLE) / nullif(CAST(a.starting_mrr AS DOUBLE), 0) AS nrr,
    CAST(a.starting_mrr - a.contraction - a.churn AS DOUBLE) / nullif(CAST(a.starting_mrr AS DOUBLE), 0) AS grr,
    coalesce(a.cohort_customers, 0) AS cohort_customers,
    coalesce(a.churned_customers, 0) AS churned_customers,
    b.b_opening, b.b_new, b.b_reactivation, b.b_expansion, b.b_contraction, b.b_churn, b.b_closing
FROM p
LEFT JOIN agg a USING (period, granularity)
LEFT JOIN bridge b USING (period, granularity);
