//! Everything that differs between the SQL engines, in one place: integer division, the
//! month series, text and decimal types, exact quotients rounded half-even (ratios and derived
//! rates: no value passes through floating point), and how a view is (re)created. The rest of
//! the generator writes SQL that PostgreSQL 15, DuckDB and Spark SQL all accept, with months as
//! integer indexes (`year * 12 + month - 1`) so that no date arithmetic is needed.

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

    /// `name` as a quoted identifier, so that its case is kept: PostgreSQL folds an unquoted
    /// `Region` to `region`, which does not find a column created as `"Region"`.
    pub(crate) fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            Dialect::DuckDb | Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
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

    /// The integer type the exact quotients are computed in: PostgreSQL's unbounded NUMERIC,
    /// DuckDB's 128-bit HUGEINT, Spark's DECIMAL(38, 0) (Spark has no integer wider than 64
    /// bits; a DECIMAL of scale 0 keeps every digit through `*`, `div` and `%`).
    fn int(self) -> &'static str {
        match self {
            Dialect::Postgres => "NUMERIC",
            Dialect::DuckDb => "HUGEINT",
            Dialect::Spark => "DECIMAL(38, 0)",
        }
    }

    /// A non-negative value of the money type (at most 18 places) as an exact integer: its
    /// count of 10^-18. No engine divides DECIMALs exactly (DuckDB's `/` and `//` give a
    /// DOUBLE; Spark's `/` rounds half-up to at most 38 digits), so quotients are taken of
    /// integers. Spark: the integer and fractional parts are scaled apart, each product typed
    /// to fit 38 digits (Spark would round away places of a wider product).
    pub(crate) fn atto(self, x: &str) -> String {
        const E18: &str = "1000000000000000000";
        match self {
            Dialect::Postgres => format!("({x} * {E18})"),
            Dialect::DuckDb => format!(
                "(CAST(trunc({x}) AS HUGEINT) * {E18} + CAST(({x} - trunc({x})) * {E18} AS HUGEINT))"
            ),
            Dialect::Spark => {
                let int = format!("CAST(floor({x}) AS DECIMAL(19, 0))");
                let e = format!("CAST({E18} AS DECIMAL(19, 0))");
                format!(
                    "({int} * {e} + CAST(CAST({x} - {int} AS DECIMAL(18, 18)) * {e} AS DECIMAL(18, 0)))"
                )
            }
        }
    }

    /// `n * 10^(sum of steps) / d` rounded half-even to an integer (nrr's rounding,
    /// `nrr_core::money::div_round_half_even`), for non-negative integers `n` and `d`; NULL
    /// when `d` is 0. Long division: the integer part, then for each step the remainder times
    /// 10^step divided again, so nothing grows beyond 10^step times `d`; the last remainder
    /// decides the rounding, and a tie goes to the even result (the parity of the last step's
    /// digits, every earlier part being multiplied by an even power of 10).
    fn quotient(self, n: &str, d: &str, steps: &[u32]) -> String {
        let d = format!("NULLIF({d}, 0)");
        let div = |a: &str| match self {
            Dialect::Postgres => format!("div({a}, {d})"),
            Dialect::Spark | Dialect::DuckDb => self.idiv(a, &d),
        };
        let mut q = div(n);
        let mut last = q.clone();
        let mut r = format!("({n} % {d})");
        for &k in steps {
            let scale = 10u64.pow(k);
            let t = format!("({r} * {scale})");
            last = div(&t);
            q = format!("({q} * {scale} + {last})");
            r = format!("({t} % {d})");
        }
        format!(
            "({q} + CASE WHEN 2 * {r} > {d} OR (2 * {r} = {d} AND {last} % 2 = 1) THEN 1 ELSE 0 END)"
        )
    }

    /// `num / den` rounded half-even to 6 places, NULL when `den` is 0, exactly as nrr rounds
    /// a ratio (`nrr_core::money::ratio`); `num` and `den` are non-negative integers (counts,
    /// or money as [`Dialect::atto`] gives it). One place a step: a remainder times 10 stays
    /// within Spark's 38 digits for every value of its money type (below 10^19 units), and
    /// within DuckDB's HUGEINT while `den` is below about 1.7e19 units (2.4e13 of the reporting
    /// currency; three places a step would have bounded it at about 1.4e11).
    pub(crate) fn ratio(self, num: &str, den: &str) -> String {
        let q = self.quotient(num, den, &[1; 6]);
        let ty = match self {
            Dialect::Postgres => "NUMERIC(20, 6)",
            Dialect::Spark | Dialect::DuckDb => "DECIMAL(20, 6)",
        };
        format!("CAST(CAST({q} AS DECIMAL(20, 0)) * 0.000001 AS {ty})")
    }

    /// `a / b` for exchange rates (DECIMAL(20, 10), or a literal), rounded half-even to 12
    /// places exactly as nrr derives cross and inverse rates (`nrr_core::fx`): the quotient of
    /// their integer counts of 10^-10.
    pub(crate) fn rate_quotient(self, a: &str, b: &str) -> String {
        let int = self.int();
        let units = |x: &str| format!("CAST(CAST({x} AS DECIMAL(20, 10)) * 10000000000 AS {int})");
        let q = self.quotient(&units(a), &units(b), &[12]);
        format!(
            "CAST(CAST({q} AS DECIMAL(20, 0)) * 0.000000000001 AS {})",
            self.rate()
        )
    }

    /// A condition that is TRUE, or stops the query with the error `message` (a text
    /// expression) in a row where `cond` holds: DuckDB `error`, Spark `raise_error`, and in
    /// PostgreSQL, which has no such expression, the function `raise` (with the views' prefix)
    /// that the script creates ([`Dialect::raise_function`]). Used in a `WHERE`, so that every
    /// read of the view computes it, whichever columns it selects.
    pub(crate) fn unless(self, prefix: &str, cond: &str, message: &str) -> String {
        let raise = match self {
            Dialect::Spark => format!("CAST(raise_error({message}) AS BOOLEAN)"),
            Dialect::DuckDb => format!("CAST(error({message}) AS BOOLEAN)"),
            Dialect::Postgres => format!("{prefix}raise({message})"),
        };
        format!("CASE WHEN {cond} THEN {raise} ELSE TRUE END")
    }

    /// The statement creating the function [`Dialect::unless`] calls, if the dialect needs one
    /// (PostgreSQL: `RAISE` is a PL/pgSQL statement, not an expression).
    pub(crate) fn raise_function(self, prefix: &str) -> Option<String> {
        match self {
            Dialect::Postgres => Some(format!(
                "CREATE OR REPLACE FUNCTION {prefix}raise(message text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$ BEGIN RAISE EXCEPTION '%', message; END $$;\n"
            )),
            Dialect::Spark | Dialect::DuckDb => None,
        }
    }

    /// The distinct values of text column `col` of a group, sorted, joined by `sep`.
    pub(crate) fn text_list(self, col: &str, sep: &str) -> String {
        match self {
            Dialect::Spark => format!("array_join(array_sort(collect_set({col})), '{sep}')"),
            Dialect::DuckDb | Dialect::Postgres => {
                format!("string_agg(DISTINCT {col}, '{sep}' ORDER BY {col})")
            }
        }
    }

    /// The last day of the month of index `index` (`year * 12 + month - 1`) as `YYYY-MM-DD`.
    pub(crate) fn last_day(self, index: &str) -> String {
        let first = format!(
            "make_date(CAST({} AS INTEGER), CAST({index} % 12 + 1 AS INTEGER), 1)",
            self.idiv(index, "12")
        );
        match self {
            Dialect::Postgres => {
                format!("CAST(CAST({first} + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) AS VARCHAR)")
            }
            Dialect::Spark | Dialect::DuckDb => {
                format!("CAST(last_day({first}) AS {})", self.text())
            }
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
