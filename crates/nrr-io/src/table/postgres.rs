//! `--postgres URL`: the revenue rows of a SELECT (or a whole table) from a live PostgreSQL
//! database (feature `postgres`).
//!
//! The database is only read. The session is opened with `default_transaction_read_only=on`,
//! set again with `SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`, and the queries run in
//! one `READ ONLY` transaction that is rolled back at the end. Every query is first prepared
//! (which refuses several statements in one string and tells the result's columns), then run
//! with the simple protocol, so every value arrives as text, whatever its SQL type, and goes
//! through the same validation as a CSV cell. A rejection names `postgres query` (or the
//! table), the row number in the result (1 = the first row), the column and the value.
//!
//! The row shape is detected from the column names, as from file names for a directory:
//! `invoice_id` + `type` + `service_period_start` (invoices.csv), `account_id` +
//! `snapshot_date` (subscription_snapshots), `customer_id` + `month` + `mrr` (mrr.csv),
//! `customer_id` + `amount` + `start_date` (items.csv); `--source` overrides it (Stripe objects
//! are never detected: `--source stripe`). Invoice rows may come with a second query or table
//! of subscription events (`--events-query`, `--events-table`), read in the same transaction
//! (`REPEATABLE READ`, so both see one snapshot of the database). Snapshot rows may come with
//! a second query or table of revenue movements (`--movements-query`, `--movements-table`;
//! the columns of revenue_movements.csv), checked against the snapshots as from files; the
//! snapshot dates are read under `--snapshot-date` as from files too.
//!
//! With `--source stripe`, each row holds one Stripe `subscription` object as JSON (a `json`,
//! `jsonb` or text column: the only column, else the one named `data`), and a second query or
//! table (`--invoices-query`, `--invoices-table`) may hold `invoice` objects the same way. The
//! objects go through the Stripe reader exactly as from subscriptions.json
//! and invoices.json; a rejection names the input, the row number, the object id and the JSON
//! path.

use crate::error::IoError;
use crate::rows::{Cols, Fields};
use crate::source::Source;
use std::borrow::Cow;
use std::path::Path;

/// What to read: a query or a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PgQuery {
    /// One SELECT statement (`--query`).
    Sql(String),
    /// A table or view, `name` or `schema.name` (`--table`).
    Table(String),
}

/// A database and what to read from it.
#[derive(Clone, Debug)]
pub struct PgSource {
    /// A libpq connection string: `postgresql://user@host:port/db` or `host=... dbname=...`.
    pub url: String,
    /// The rows to read.
    pub query: PgQuery,
    /// With invoice rows: the subscription events (`--events-query`, `--events-table`).
    pub events: Option<PgQuery>,
    /// With `--source stripe`: Stripe invoice objects, one a row (`--invoices-query`,
    /// `--invoices-table`).
    pub invoices: Option<PgQuery>,
    /// With `--source stripe`: Stripe credit note objects (`--credit-notes-query`,
    /// `--credit-notes-table`).
    pub credit_notes: Option<PgQuery>,
    /// With `--source stripe`: Stripe refund objects (`--refunds-query`, `--refunds-table`).
    pub refunds: Option<PgQuery>,
    /// With snapshot rows: the revenue movements to check against them (`--movements-query`,
    /// `--movements-table`).
    pub movements: Option<PgQuery>,
}

impl PgQuery {
    /// The query of a `--…-query SQL` / `--…-table NAME` pair (the query when both are given).
    pub fn from_args(query: &Option<String>, table: &Option<String>) -> Option<PgQuery> {
        match (query, table) {
            (Some(q), _) => Some(PgQuery::Sql(q.clone())),
            (None, Some(t)) => Some(PgQuery::Table(t.clone())),
            (None, None) => None,
        }
    }

    /// How rejections and the report's `inputs` name the rows: `postgres query`, or the table.
    pub fn name(&self) -> String {
        self.role_name("")
    }

    /// How rejections and `inputs` name the rows of a second query for `role` (`events`,
    /// `invoices`, `credit notes`, `refunds`, `movements`): `postgres events query`, or the
    /// table.
    pub fn role_name(&self, role: &str) -> String {
        match self {
            PgQuery::Sql(_) if role.is_empty() => "postgres query".to_string(),
            PgQuery::Sql(_) => format!("postgres {role} query"),
            PgQuery::Table(t) => t.clone(),
        }
    }

    /// The SQL run: the query, or `SELECT * FROM "schema"."name"` with each part quoted.
    fn sql(&self) -> String {
        match self {
            PgQuery::Sql(q) => q.clone(),
            PgQuery::Table(t) => {
                let quoted: Vec<String> = t
                    .split('.')
                    .map(|p| format!("\"{}\"", p.replace('"', "\"\"")))
                    .collect();
                format!("SELECT * FROM {}", quoted.join("."))
            }
        }
    }
}

fn pg_err(what: &str, e: &postgres::Error) -> IoError {
    // The server's own message (with its detail) says more than the client's summary.
    let message = match e.as_db_error() {
        Some(db) => format!("{what}: {}", db.message()),
        None => format!("{what}: {e}"),
    };
    IoError::Postgres { message }
}

impl Fields for postgres::SimpleQueryRow {
    fn text(&self, i: usize) -> Cow<'_, str> {
        Cow::Borrowed(self.try_get(i).ok().flatten().unwrap_or(""))
    }
}

/// A query and the name rejections give its rows.
struct NamedQuery<'a> {
    query: &'a PgQuery,
    name: String,
}

/// The column names and text rows of one query.
type Fetched = (Vec<String>, Vec<postgres::SimpleQueryRow>);

/// The column names and text rows of each query (with its name), read in one read-only
/// transaction.
fn fetch(pg: &PgSource, queries: &[NamedQuery<'_>]) -> Result<Vec<Fetched>, IoError> {
    let mut config: postgres::Config = pg
        .url
        .parse()
        .map_err(|e| pg_err("the connection string", &e))?;
    let options = match config.get_options() {
        Some(o) => format!("{o} -c default_transaction_read_only=on"),
        None => "-c default_transaction_read_only=on".to_string(),
    };
    config.options(&options);
    let mut client = config
        .connect(postgres::NoTls)
        .map_err(|e| pg_err("connecting", &e))?;
    client
        .batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        .map_err(|e| pg_err("opening a read-only session", &e))?;
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .start()
        .map_err(|e| pg_err("starting a read-only transaction", &e))?;
    // Every statement is prepared before any runs. Preparing refuses several statements in one
    // string, so exactly one statement runs for each query.
    let mut prepared = Vec::new();
    for NamedQuery { query, name } in queries {
        let sql = query.sql();
        let stmt = tx.prepare(&sql).map_err(|e| pg_err(name, &e))?;
        let columns: Vec<String> = stmt
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        if columns.is_empty() {
            return Err(IoError::Postgres {
                message: format!("{name}: returns no columns; give a SELECT"),
            });
        }
        prepared.push((sql, name, columns));
    }
    let mut out = Vec::new();
    for (sql, name, columns) in prepared {
        let rows = tx
            .simple_query(&sql)
            .map_err(|e| pg_err(name, &e))?
            .into_iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => Some(r),
                _ => None,
            })
            .collect();
        out.push((columns, rows));
    }
    tx.rollback()
        .map_err(|e| pg_err("ending the transaction", &e))?;
    Ok(out)
}

/// The shape of the rows: the one chosen, else from the column names.
pub(crate) fn shape(forced: Option<Source>, cols: &Cols, name: &str) -> Result<Source, IoError> {
    let has = |c: &str| cols.get(c).is_some();
    if let Some(s) = forced {
        return Ok(s);
    }
    if has("invoice_id") && has("type") && has("service_period_start") {
        Ok(Source::Invoices)
    } else if has("account_id") && has("snapshot_date") {
        Ok(Source::Snapshots)
    } else if has("customer_id") && has("month") && has("mrr") {
        Ok(Source::Mrr)
    } else if has("customer_id") && has("amount") && has("start_date") {
        Ok(Source::Items)
    } else {
        let mut found: Vec<(&String, &usize)> = cols.map.iter().collect();
        found.sort_by_key(|f| *f.1);
        Err(IoError::UnknownRowShape {
            name: name.to_string(),
            columns: found.into_iter().map(|f| f.0.clone()).collect(),
        })
    }
}

/// The rows of every query of `pg`, with the name each is known by, fetched in one
/// read-only transaction.
pub(crate) struct PgRows {
    /// The revenue rows (`--query`, `--table`).
    pub(crate) main: Named,
    /// `--events-query`, `--events-table`.
    pub(crate) events: Option<Named>,
    /// `--invoices-query`, `--invoices-table`.
    pub(crate) invoices: Option<Named>,
    /// `--credit-notes-query`, `--credit-notes-table`.
    pub(crate) credit_notes: Option<Named>,
    /// `--refunds-query`, `--refunds-table`.
    pub(crate) refunds: Option<Named>,
    /// `--movements-query`, `--movements-table`.
    pub(crate) movements: Option<Named>,
}

/// The rows of one query and the name rejections give it.
pub(crate) struct Named {
    pub(crate) name: String,
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<postgres::SimpleQueryRow>,
}

/// Fetches the rows of every query `pg` holds.
pub(crate) fn fetch_rows(pg: &PgSource) -> Result<PgRows, IoError> {
    let mut queries = vec![NamedQuery {
        query: &pg.query,
        name: pg.query.name(),
    }];
    let optional = [
        (&pg.events, "events"),
        (&pg.invoices, "invoices"),
        (&pg.credit_notes, "credit notes"),
        (&pg.refunds, "refunds"),
        (&pg.movements, "movements"),
    ];
    for (q, role) in optional.iter() {
        if let Some(q) = q {
            queries.push(NamedQuery {
                query: q,
                name: q.role_name(role),
            });
        }
    }
    let mut fetched = fetch(pg, &queries)?
        .into_iter()
        .zip(queries.iter().map(|q| q.name.clone()));
    let mut next = |given: bool| {
        given
            .then(|| fetched.next())
            .flatten()
            .map(|((columns, rows), name)| Named {
                name,
                columns,
                rows,
            })
    };
    let main = next(true).unwrap_or_else(|| Named {
        name: pg.query.name(),
        columns: Vec::new(),
        rows: Vec::new(),
    });
    Ok(PgRows {
        main,
        events: next(pg.events.is_some()),
        invoices: next(pg.invoices.is_some()),
        credit_notes: next(pg.credit_notes.is_some()),
        refunds: next(pg.refunds.is_some()),
        movements: next(pg.movements.is_some()),
    })
}

/// The columns of a query result named `input`; a name given twice is an error, as in a file.
pub(crate) fn cols_of(columns: &[String], input: &str) -> Result<Cols, IoError> {
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let cols = Cols::new(&names);
    cols.check(Path::new(input), input, &[])?;
    Ok(cols)
}
