//! `nrr sql`: the definitions of docs/metrics.md as one SQL script for Spark, DuckDB or
//! PostgreSQL (docs/scale-out.md). The script creates views over a table of lines in the
//! `nrr lines` shape (and optional fx and customers tables): the MRR of every customer and
//! month, its movements, the monthly bridge and the frozen-cohort retention of every month,
//! complete quarter and year, and TTM.
//!
//! Money is exact: a line's MRR is `amount * (720720 / interval_months)` in units of 1/720720
//! of its currency (720720 is the least common multiple of the intervals 1 to 16, 18, 20, 24,
//! 36, ...), so no division happens; a rate multiplies it exactly. Every money column of the
//! views is such a count of units of the reporting currency (divide by 720720 for the
//! currency). Months are integer indexes (`year * 12 + month - 1`) with a `YYYY-MM` label, so
//! the SQL needs no date arithmetic. [`dialect`] holds every difference between the engines.
//!
//! ```
//! use nrr_io::sql::{Dialect, Options};
//! let script = nrr_io::sql::script(&Options::new(Dialect::DuckDb, "lines")).unwrap();
//! assert!(script.contains("CREATE OR REPLACE VIEW nrr_retention AS"));
//! ```

mod dialect;
mod retention;
mod views;

pub use dialect::Dialect;
use nrr_core::date::Month;
use nrr_core::policy::Reactivation;

/// The unit of every money column: 1/UNITS of a currency.
pub const UNITS: u32 = 720_720;

/// What the script is generated for (`nrr sql` flags).
#[derive(Clone, Debug)]
pub struct Options {
    /// The engine.
    pub dialect: Dialect,
    /// The lines table (`nrr lines` columns), as the engine names it (may be qualified).
    pub lines: String,
    /// The fx table (fx.csv columns: `date`, `currency`, `rate`), if any.
    pub fx: Option<String>,
    /// The customers table (`customer_id` and attribute columns), if any.
    pub customers: Option<String>,
    /// Columns of the customers table to cut retention by.
    pub segments: Vec<String>,
    /// Prefix of every view name.
    pub prefix: String,
    /// The reporting currency (needed with an fx table).
    pub currency: Option<String>,
    /// First month of the window; derived from the lines when `None`.
    pub from: Option<Month>,
    /// Last month of the window; derived from the lines when `None`.
    pub to: Option<Month>,
    /// The reactivation rule compiled into the movements.
    pub reactivation: Reactivation,
    /// First month of the fiscal year (1-12): quarters and years start there.
    pub fiscal_year_start: u32,
    /// Create tables (each computed once, in order) instead of views.
    pub materialize: bool,
}

impl Options {
    /// The defaults of `nrr sql`: no fx, no customers, prefix `nrr_`, the derived window.
    pub fn new(dialect: Dialect, lines: &str) -> Options {
        Options {
            dialect,
            lines: lines.to_string(),
            fx: None,
            customers: None,
            segments: Vec::new(),
            prefix: "nrr_".to_string(),
            currency: None,
            from: None,
            to: None,
            reactivation: Reactivation::AnyGap,
            fiscal_year_start: 1,
            materialize: false,
        }
    }

    /// The full name of view `name`.
    pub(crate) fn view(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

/// Why options cannot make a script (a usage error of `nrr sql`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SqlError {
    /// A table, column or prefix that is not a plain (optionally dot-qualified) identifier.
    #[error("`{value}` is not a plain SQL identifier (letters, digits and _, not starting with a digit{qualified}) for {what}")]
    Identifier {
        /// The value given.
        value: String,
        /// The flag it was given to.
        what: &'static str,
        /// How qualification is allowed, for the message.
        qualified: &'static str,
    },
    /// The reporting currency is not three capital letters.
    #[error("`{0}` is not a currency code (three capital letters, like USD)")]
    Currency(String),
    /// An fx table without the reporting currency.
    #[error("--fx needs --currency: the reporting currency the rates convert into")]
    FxWithoutCurrency,
    /// `--segment` without a customers table.
    #[error("--segment needs --customers: the table holding the segment columns")]
    SegmentWithoutCustomers,
    /// A segment the SQL does not compute.
    #[error("--segment {0} takes its value from the lines month by month, which the SQL does not compute yet: use a customers column")]
    LineSegment(String),
    /// An input table named like a view or table the script creates, which the script would
    /// drop or replace (compared case-insensitively, by the last part of a qualified name: the
    /// script creates its names in the current schema, which may be that one).
    #[error("{what} `{value}` has the name of `{created}`, which the script creates (dropping or replacing what has that name): rename the table or choose another --prefix")]
    Collision {
        /// The flag.
        what: &'static str,
        /// The table name given.
        value: String,
        /// The name the script creates.
        created: String,
    },
    /// A segment column given twice (compared case-insensitively: both would make one view).
    #[error("--segment {0} is given twice (names are compared ignoring case: both would make the same view)")]
    SegmentTwice(String),
    /// The window ends before it starts.
    #[error("--from {from} is after --to {to}")]
    Window {
        /// `--from`.
        from: Month,
        /// `--to`.
        to: Month,
    },
}

fn plain(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn check(o: &Options) -> Result<(), SqlError> {
    let table = |value: &str, what: &'static str| {
        if value.split('.').all(plain) {
            Ok(())
        } else {
            Err(SqlError::Identifier {
                value: value.to_string(),
                what,
                qualified: "; parts joined by dots",
            })
        }
    };
    let ident = |value: &str, what: &'static str| {
        // The prefix may be empty; it is followed by a view name.
        if value.is_empty() && what == "--prefix" || plain(value) {
            Ok(())
        } else {
            Err(SqlError::Identifier {
                value: value.to_string(),
                what,
                qualified: "",
            })
        }
    };
    table(&o.lines, "--lines")?;
    if let Some(fx) = &o.fx {
        table(fx, "--fx")?;
    }
    if let Some(c) = &o.customers {
        table(c, "--customers")?;
    }
    ident(&o.prefix, "--prefix")?;
    for s in &o.segments {
        if s == "product" || s == "plan" {
            return Err(SqlError::LineSegment(s.clone()));
        }
        ident(s, "--segment")?;
    }
    if !o.segments.is_empty() && o.customers.is_none() {
        return Err(SqlError::SegmentWithoutCustomers);
    }
    if let Some(c) = &o.currency {
        if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(SqlError::Currency(c.clone()));
        }
    }
    if o.fx.is_some() && o.currency.is_none() {
        return Err(SqlError::FxWithoutCurrency);
    }
    if let (Some(from), Some(to)) = (o.from, o.to) {
        if from > to {
            return Err(SqlError::Window { from, to });
        }
    }
    let created = created(o);
    for (i, s) in o.segments.iter().enumerate() {
        if o.segments[..i].iter().any(|t| t.eq_ignore_ascii_case(s)) {
            return Err(SqlError::SegmentTwice(s.clone()));
        }
    }
    let inputs = [
        ("--lines", Some(&o.lines)),
        ("--fx", o.fx.as_ref()),
        ("--customers", o.customers.as_ref()),
    ];
    for (what, value) in inputs {
        let Some(value) = value else { continue };
        let last = value.rsplit('.').next().unwrap_or(value);
        if let Some(c) = created.iter().find(|c| c.eq_ignore_ascii_case(last)) {
            return Err(SqlError::Collision {
                what,
                value: value.clone(),
                created: c.clone(),
            });
        }
    }
    Ok(())
}

/// The names of every view (or table) the script creates, in order.
fn created(o: &Options) -> Vec<String> {
    views::all(o)
        .into_iter()
        .chain(retention::all(o))
        .map(|(name, _)| o.view(&name))
        .collect()
}

/// The whole script: a header saying what it was generated for, then every view in order.
pub fn script(o: &Options) -> Result<String, SqlError> {
    check(o)?;
    let mut s = header(o);
    // Only an fx table can lack a rate a figure needs (docs/scale-out.md).
    if let (Some(f), Some(_)) = (o.dialect.raise_function(&o.prefix), &o.fx) {
        s.push('\n');
        s.push_str(&f);
    }
    for (name, query) in views::all(o).into_iter().chain(retention::all(o)) {
        s.push('\n');
        let name = o.view(&name);
        s.push_str(&if o.materialize {
            o.dialect.table(&name, &query)
        } else {
            o.dialect.view(&name, &query)
        });
    }
    Ok(s)
}

fn header(o: &Options) -> String {
    let window = |m: Option<Month>, derived: &str| m.map_or(derived.to_string(), |m| m.to_string());
    format!(
        "-- Generated by `nrr sql` {version} for {dialect}: the definitions of docs/metrics.md as {kind}.\n\
         -- Lines: {lines}; fx: {fx}; customers: {customers}; reporting currency: {currency}.\n\
         -- Window: {from} to {to}; fiscal year from month {fys}; reactivation: {reactivation}.\n\
         -- Money columns are exact DECIMAL counts of 1/{UNITS} of the reporting currency:\n\
         -- divide by {UNITS} for the currency. Ratios are rounded half-even to 6 places.\n\
         -- Columns of every view: docs/scale-out.md.\n",
        version = env!("CARGO_PKG_VERSION"),
        kind = if o.materialize { "tables" } else { "views" },
        dialect = o.dialect.name(),
        lines = o.lines,
        fx = o.fx.as_deref().unwrap_or("none (one currency, every rate 1)"),
        customers = o.customers.as_deref().unwrap_or("none"),
        currency = o.currency.as_deref().unwrap_or("that of the lines"),
        from = window(o.from, "the first line's month"),
        to = window(o.to, "the month of the latest start_date or end_date not after CURRENT_DATE"),
        reactivation = o.reactivation.label(),
        fys = o.fiscal_year_start,
    )
}

/// `'text'` as a SQL string literal.
pub(crate) fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The `YYYY-MM` label of a month index expression.
pub(crate) fn label(d: Dialect, index: &str) -> String {
    let t = d.text();
    format!(
        "concat(CAST({} AS {t}), '-', lpad(CAST({index} % 12 + 1 AS {t}), 2, '0'))",
        d.idiv(index, "12")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(dialect: Dialect, lines: &str) -> Options {
        Options::new(dialect, lines)
    }

    #[test]
    fn an_input_table_named_like_a_created_one_is_refused() {
        let collision = |o: &Options| match script(o) {
            Err(SqlError::Collision {
                what,
                value,
                created,
            }) => Some((what, value, created)),
            _ => None,
        };
        let o = options(Dialect::Postgres, "nrr_lines");
        assert_eq!(
            collision(&o),
            Some(("--lines", "nrr_lines".into(), "nrr_lines".into()))
        );
        // Ignoring case and the qualifier.
        let o = options(Dialect::DuckDb, "raw.NRR_Movements");
        assert_eq!(
            collision(&o),
            Some((
                "--lines",
                "raw.NRR_Movements".into(),
                "nrr_movements".into()
            ))
        );
        let mut o = options(Dialect::Spark, "lines");
        o.prefix = String::new();
        assert_eq!(
            collision(&o),
            Some(("--lines", "lines".into(), "lines".into()))
        );
        let mut o = options(Dialect::Spark, "lines");
        o.customers = Some("nrr_segment_retention_region".into());
        o.segments = vec!["Region".into()];
        assert_eq!(collision(&o).map(|c| c.0), Some("--customers"));
        o.customers = Some("customers".into());
        o.fx = Some("nrr_rates".into());
        o.currency = Some("USD".into());
        assert_eq!(collision(&o).map(|c| c.0), Some("--fx"));
        // Not a created name.
        o.fx = Some("fx".into());
        assert!(script(&o).is_ok());
    }

    #[test]
    fn segment_columns_are_quoted_and_their_view_is_lowercase() {
        for (d, quoted) in [
            (Dialect::Postgres, "cu.\"Region\""),
            (Dialect::DuckDb, "cu.\"Region\""),
            (Dialect::Spark, "cu.`Region`"),
        ] {
            let mut o = options(d, "lines");
            o.customers = Some("customers".into());
            o.segments = vec!["Region".into()];
            let s = script(&o).expect("a script");
            assert!(s.contains(quoted), "{d:?}");
            assert!(!s.contains("cu.Region"), "{d:?}");
            assert!(s.contains("VIEW nrr_segment_retention_region AS"), "{d:?}");
            o.segments.push("REGION".into());
            assert_eq!(script(&o), Err(SqlError::SegmentTwice("REGION".into())));
        }
    }

    #[test]
    fn a_missing_rate_stops_the_figures_only_with_an_fx_table() {
        for (d, raise) in [
            (Dialect::Postgres, "x_raise("),
            (Dialect::DuckDb, "error("),
            (Dialect::Spark, "raise_error("),
        ] {
            let mut o = options(d, "lines");
            let s = script(&o).expect("a script");
            assert!(!s.contains(raise) && !s.contains("rate_gaps"), "{d:?}");
            o.fx = Some("fx".into());
            o.currency = Some("EUR".into());
            o.prefix = "x_".into();
            let s = script(&o).expect("a script");
            // The bridge, the movements and the retention check, and the rates (NoRates).
            let checks = s.matches(&format!("THEN CAST({raise}")).count()
                + s.matches(&format!("THEN {raise}")).count();
            assert_eq!(checks, 4, "{d:?}");
            assert!(s.contains("VIEW x_rate_gaps AS"), "{d:?}");
            assert!(s.contains("' rate into ', 'EUR', ' in force at '"), "{d:?}");
            assert_eq!(
                s.contains("CREATE OR REPLACE FUNCTION x_raise(message text)"),
                d == Dialect::Postgres,
                "{d:?}"
            );
        }
    }

    #[test]
    fn no_script_uses_floating_point() {
        for d in [Dialect::Postgres, Dialect::DuckDb, Dialect::Spark] {
            let mut o = options(d, "lines");
            o.fx = Some("fx".into());
            o.currency = Some("USD".into());
            o.customers = Some("customers".into());
            o.segments = vec!["segment".into()];
            let s = script(&o).expect("a script").to_uppercase();
            for word in ["DOUBLE", "FLOAT", "AS REAL", "ROUND(", "ROUND_EVEN"] {
                assert!(!s.contains(word), "{d:?}: {word}");
            }
        }
    }
}
