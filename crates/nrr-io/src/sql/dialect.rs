//! Everything that differs between the SQL engines, in one place: integer division, the
//! month series, text and decimal types, ratios rounded to 6 places, and how a view is
//! (re)created. The rest of the generator writes SQL that PostgreSQL 15, DuckDB and Spark SQL
//! all accept, with months as integer indexes (`year * 12 + month - 1`) so that no date
//! arithmetic is needed.

/// A SQL engine the generated script runs on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Spark SQL 3.4+ / 4.x (`spark-sql`, `spark.sql(...)`, Databricks SQL).
    Spark,
    /// DuckDB 1.x.
    DuckDb,
    /// PostgreSQL 13+.
    Postgres,
}

impl Dialect {
    /// The name used by `--dialect`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Spark => "spark",
            Dialect::DuckDb => "duckdb",
            Dialect::Postgres => "postgres",
        }
    }

    /// `a / b` for non-negative integers, truncated.
    pub(crate) fn idiv(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Spark => format!("({a} div {b})"),
            Dialect::DuckDb => format!("({a} // {b})"),
            Dialect::Postgres => format!("({a} / {b})"),
        }
    }

    /// The text type.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Dialect::Spark => "STRING",
            Dialect::DuckDb | Dialect::Postgres => "VARCHAR",
        }
    }

    /// The type of a line's MRR in units of 1/720720 of its own currency: the amount has at
    /// most 6 places. DuckDB and Spark keep DECIMAL precision at 38 at most, so the integer
    /// digits are bounded (14: a line's MRR, and a customer's in one currency, up to about
    /// 138 million of its currency) to leave room for the exchange rate's 12 places in the
    /// product; PostgreSQL's NUMERIC is unbounded.
    pub(crate) fn units(self) -> &'static str {
        match self {
            Dialect::Postgres => "NUMERIC",
            Dialect::Spark | Dialect::DuckDb => "DECIMAL(20, 6)",
        }
    }

    /// The type of an exchange rate into the reporting currency (at most 12 places: 10 as
    /// fx.csv gives them, 12 where derived).
    pub(crate) fn rate(self) -> &'static str {
        match self {
            Dialect::Postgres => "NUMERIC",
            Dialect::Spark | Dialect::DuckDb => "DECIMAL(17, 12)",
        }
    }

    /// The type of every money column of the views: units of 1/720720 of the reporting
    /// currency, with 18 places (a line's 6 times a rate's 12), so every product and sum
    /// is exact. DuckDB: 20 integer digits, totals up to about 1.4e14 of the reporting
    /// currency. Spark: 19 (about 1.4e13), because Spark gives `a - b` of two DECIMAL(p, s)
    /// the type DECIMAL(p + 1, s) and, above precision 38, rounds away places
    /// (`spark.sql.decimalOperations.allowPrecisionLoss`): the difference of two
    /// DECIMAL(38, 18) would be DECIMAL(38, 17), that of two DECIMAL(37, 18) is exact.
    pub(crate) fn money(self) -> &'static str {
        match self {
            Dialect::Postgres => "NUMERIC",
            Dialect::Spark => "DECIMAL(37, 18)",
            Dialect::DuckDb => "DECIMAL(38, 18)",
        }
    }

    /// The month index (`year * 12 + month - 1`) of a date expression.
    pub(crate) fn month_index(self, date: &str) -> String {
        let _ = self;
        format!(
            "(CAST(EXTRACT(YEAR FROM {date}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {date}) AS INTEGER) - 1)"
        )
    }

    /// A query with one column `month_index`: every integer from `lo` to `hi`, columns of
    /// the one-row view `window`.
    pub(crate) fn month_series(self, window: &str, lo: &str, hi: &str) -> String {
        match self {
            Dialect::Spark => format!(
                "SELECT explode(sequence(w.{lo}, w.{hi})) AS month_index FROM {window} w"
            ),
            Dialect::DuckDb => format!(
                "SELECT CAST(unnest(range(w.{lo}, w.{hi} + 1)) AS INTEGER) AS month_index FROM {window} w"
            ),
            Dialect::Postgres => format!(
                "SELECT CAST(g AS INTEGER) AS month_index FROM {window} w, generate_series(w.{lo}, w.{hi}) AS g"
            ),
        }
    }

    /// `num / den` rounded half-even to 6 places, NULL when `den` is 0; both non-negative
    /// money sums or counts. PostgreSQL: exact (integer quotient and remainder of the
    /// unbounded NUMERIC). DuckDB and Spark: the DOUBLE quotient of the exact sums rounded
    /// half-even, which can differ from the exact rounding only when the exact ratio lies
    /// within about 1e-15 of a half-way point.
    pub(crate) fn ratio(self, num: &str, den: &str) -> String {
        match self {
            Dialect::Postgres => {
                let n = format!("(CAST({num} AS NUMERIC) * 1000000)");
                let d = format!("CAST(NULLIF({den}, 0) AS NUMERIC)");
                let q = format!("div({n}, {d})");
                format!(
                    "CAST(({q} + CASE WHEN 2 * ({n} - {q} * {d}) > {d} OR (2 * ({n} - {q} * {d}) = {d} AND mod({q}, 2) = 1) THEN 1 ELSE 0 END) / 1000000 AS NUMERIC(20, 6))"
                )
            }
            Dialect::DuckDb => format!(
                "CAST(round_even(CAST({num} AS DOUBLE) / CAST(NULLIF({den}, 0) AS DOUBLE), 6) AS DECIMAL(20, 6))"
            ),
            Dialect::Spark => format!(
                "CAST(bround(CAST({num} AS DOUBLE) / CAST(NULLIF({den}, 0) AS DOUBLE), 6) AS DECIMAL(20, 6))"
            ),
        }
    }

    /// `a / b` for exchange rates, rounded to 12 places (derived cross and inverse rates).
    pub(crate) fn rate_quotient(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Postgres => format!(
                "CAST(round(CAST({a} AS NUMERIC(30, 10)) / NULLIF({b}, 0), 12) AS NUMERIC)"
            ),
            Dialect::DuckDb => format!(
                "CAST(round_even(CAST({a} AS DOUBLE) / CAST(NULLIF({b}, 0) AS DOUBLE), 12) AS {})",
                self.rate()
            ),
            // Spark's quotient of two DECIMAL(20, 10) has 18 places (rounded half-up),
            // rounded half-even to 12 by bround.
            Dialect::Spark => format!(
                "CAST(bround(CAST({a} AS DECIMAL(20, 10)) / CAST(NULLIF({b}, 0) AS DECIMAL(20, 10)), 12) AS {})",
                self.rate()
            ),
        }
    }

    /// The statements that (re)create table `name` as the result of `query` (`--materialize`).
    pub(crate) fn table(self, name: &str, query: &str) -> String {
        match self {
            Dialect::Postgres => {
                format!("DROP TABLE IF EXISTS {name} CASCADE;\nCREATE TABLE {name} AS\n{query};\n")
            }
            Dialect::DuckDb => format!("CREATE OR REPLACE TABLE {name} AS\n{query};\n"),
            Dialect::Spark => {
                format!("DROP TABLE IF EXISTS {name};\nCREATE TABLE {name} AS\n{query};\n")
            }
        }
    }

    /// The statements that (re)create view `name` as `query`.
    pub(crate) fn view(self, name: &str, query: &str) -> String {
        match self {
            Dialect::Postgres => {
                format!("DROP VIEW IF EXISTS {name} CASCADE;\nCREATE VIEW {name} AS\n{query};\n")
            }
            Dialect::Spark | Dialect::DuckDb => {
                format!("CREATE OR REPLACE VIEW {name} AS\n{query};\n")
            }
        }
    }
}
