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
//! objects go through the Stripe reader (`crate::stripe`) exactly as from subscriptions.json
//! and invoices.json; a rejection names the input, the row number, the object id and the JSON
//! path.

use crate::error::{IoError, Rejection};
use crate::invoices::Table;
use crate::read::{finish_load, Cols, Fields, Layout, LoadOptions, Loaded, Sink};
use crate::snapshots::{
    check_given, check_reading_for, MovementCols, Movements, SnapshotCols, Snapshots,
};
use crate::source::Source;
use crate::stripe::{Json, Objects, StripeInput};
use nrr_core::dataset::{DatasetBuilder, SourceKind};
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

/// The column names and text rows of one query.
type Fetched = (Vec<String>, Vec<postgres::SimpleQueryRow>);

/// The column names and text rows of each query (with its name), read in one read-only
/// transaction.
fn fetch(pg: &PgSource, queries: &[(&PgQuery, String)]) -> Result<Vec<Fetched>, IoError> {
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
    for (query, name) in queries {
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

/// The shape of the rows: `--source`, else from the column names.
fn shape(forced: Option<Source>, cols: &Cols, name: &str) -> Result<Source, IoError> {
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
        let found: Vec<&str> = found.into_iter().map(|f| f.0.as_str()).collect();
        Err(IoError::Postgres {
            message: format!(
                "{name}: cannot tell the row shape from the columns ({}); expected invoice_id, type, service_period_start (invoices), account_id, snapshot_date, mrr (snapshots), customer_id, month, mrr (mrr) or customer_id, amount, start_date (items), or choose with --source (Stripe objects as JSON: --source stripe)",
                found.join(", ")
            ),
        })
    }
}

/// Loads the rows of `pg`; fx.csv, customers.csv and annotations.csv come from `side` when
/// given. `opts.source` forces the row shape.
pub fn load(pg: &PgSource, side: Option<&Path>, opts: &LoadOptions) -> Result<Loaded, IoError> {
    let stripe = opts.source == Some(Source::Stripe);
    for (given, option, what) in [
        (&pg.invoices, "--invoices-query/--invoices-table", "invoice"),
        (
            &pg.credit_notes,
            "--credit-notes-query/--credit-notes-table",
            "credit note",
        ),
        (&pg.refunds, "--refunds-query/--refunds-table", "refund"),
    ] {
        if given.is_some() && !stripe {
            return Err(IoError::BadOption {
                option: option.into(),
                reason: format!("Stripe {what} objects go with --source stripe only"),
            });
        }
    }
    if stripe && pg.events.is_some() {
        return Err(IoError::BadOption {
            option: "--events-query/--events-table".into(),
            reason: "subscription events go with invoice rows only; with --source stripe the \
                     subscription objects give the events (Stripe invoice objects: \
                     --invoices-query or --invoices-table)"
                .into(),
        });
    }
    if !opts.timezone.is_utc() && !stripe {
        return Err(IoError::BadOption {
            option: "--timezone".into(),
            reason: "applies to Stripe objects only (--source stripe); other inputs hold dates, \
                     not timestamps"
                .into(),
        });
    }
    if stripe && pg.movements.is_some() {
        return Err(movements_need_snapshots("Stripe objects"));
    }
    if stripe {
        check_reading_for(opts, "Stripe objects")?;
    }
    let name = pg.query.name();
    let mut queries = vec![(&pg.query, name.clone())];
    // Where each optional query's result is in `fetched`.
    let optional = [
        (&pg.events, "events"),
        (&pg.invoices, "invoices"),
        (&pg.credit_notes, "credit notes"),
        (&pg.refunds, "refunds"),
        (&pg.movements, "movements"),
    ];
    let mut slots = [None; 5];
    for (k, (q, role)) in optional.into_iter().enumerate() {
        if let Some(q) = q {
            queries.push((q, q.role_name(role)));
            slots[k] = Some(queries.len() - 1);
        }
    }
    let [ev_slot, inv_slot, cn_slot, rf_slot, mv_slot] = slots;
    let mut fetched: Vec<Option<Fetched>> = fetch(pg, &queries)?.into_iter().map(Some).collect();
    let mut take = |i: Option<usize>| {
        i.and_then(|i| Some((queries[i].1.clone(), fetched.get_mut(i)?.take()?)))
    };
    let main = take(Some(0)).map(|f| f.1).unwrap_or_default();
    let events = take(ev_slot);
    let invoices = take(inv_slot);
    let credit_notes = take(cn_slot);
    let refunds = take(rf_slot);
    let movements = take(mv_slot);
    if stripe {
        let (columns, rows) = main;
        let subscriptions = stripe_objects(&name, &columns, &rows)?;
        let objects = |f: Option<(String, Fetched)>| {
            f.map(|(name, (columns, rows))| stripe_objects(&name, &columns, &rows))
                .transpose()
        };
        let input = StripeInput {
            subscriptions,
            invoices: objects(invoices)?,
            credit_notes: objects(credit_notes)?,
            refunds: objects(refunds)?,
        };
        return crate::stripe::load_input(&input, side, opts);
    }
    let (columns, rows) = main;
    let cols = cols_of(&columns, &name)?;
    let source = shape(opts.source, &cols, &name)?;
    if source != Source::Snapshots && movements.is_some() {
        return Err(movements_need_snapshots(source.name()));
    }
    if source != Source::Snapshots {
        check_reading_for(opts, &format!("{name} ({} rows)", source.name()))?;
    }
    if source == Source::Invoices {
        return load_invoices(&name, &cols, &rows, events, side, opts);
    }
    if pg.events.is_some() {
        return Err(IoError::BadOption {
            option: "--events-query/--events-table".into(),
            reason: format!(
                "subscription events go with invoice rows only; the rows here are {}",
                source.name()
            ),
        });
    }
    // As for files: items and mrr rows are checked against the policies given explicitly (a
    // preset's reader policies do not apply to them), snapshots against all.
    let policies = match source {
        Source::Snapshots => &opts.invoice_policies,
        _ => opts
            .explicit_invoice_policies
            .as_ref()
            .unwrap_or(&opts.invoice_policies),
    };
    crate::invoices::check_for_lines(policies, &name)?;
    crate::read::check_usage(opts, &name)?;
    let path = Path::new(&name);
    let kind = if source == Source::Items {
        SourceKind::Items
    } else {
        SourceKind::Mrr
    };
    let mut builder = DatasetBuilder::new(kind);
    let file = builder.add_file(&name);
    let mut rejections: Vec<Rejection> = Vec::new();
    let mut names = vec![name.clone()];
    let mut check = None;
    let mut snapshot_date = None;
    if source == Source::Snapshots {
        let c = SnapshotCols::new(&cols, path)?;
        let reading = opts.snapshot_date.unwrap_or_default();
        let mut snaps = Snapshots::new(reading);
        for (i, r) in rows.iter().enumerate() {
            snaps.row(c, &name, file, i as u64 + 1, r);
        }
        let mut fin = snaps.finish(&mut builder, reading, movements.is_some());
        rejections = std::mem::take(&mut fin.rejections);
        if let Some((mv_name, (columns, rows))) = movements {
            let mc = MovementCols::new(&cols_of(&columns, &mv_name)?, Path::new(&mv_name))?;
            let mut mv = Movements::default();
            for (i, r) in rows.iter().enumerate() {
                mv.row(mc, &mv_name, i as u64 + 1, r);
            }
            rejections.append(&mut mv.rejections);
            check = Some(check_given(
                &fin,
                &mv,
                mv_name,
                opts,
                &mut builder,
                &mut names,
            ));
        }
        builder
            .notices
            .extend(fin.notice(opts.snapshot_date, check.as_ref()));
        snapshot_date = Some(reading);
    } else {
        let layout = Layout::new(kind, &cols, path)?;
        let mut sink = Sink {
            builder: &mut builder,
            rejections: &mut rejections,
            file,
            name: name.clone(),
            layout,
        };
        for (i, r) in rows.iter().enumerate() {
            sink.row(i as u64 + 1, r);
        }
    }
    let mut loaded = finish_load(side, &names, builder, rejections, opts)?;
    loaded.movement_check = check;
    loaded.snapshot_date = snapshot_date;
    Ok(loaded)
}

fn movements_need_snapshots(rows: &str) -> IoError {
    IoError::BadOption {
        option: "--movements-query/--movements-table".into(),
        reason: format!(
            "revenue movements are checked against snapshot rows (account_id, snapshot_date, \
             mrr) only; the rows here are {rows}"
        ),
    }
}

/// The Stripe objects of a result, one a row: the only column, else the column named `data`
/// (json, jsonb or text; NULL is an empty object, rejected for its missing id).
fn stripe_objects(
    name: &str,
    columns: &[String],
    rows: &[postgres::SimpleQueryRow],
) -> Result<Objects, IoError> {
    let col = match columns.iter().position(|c| c == "data") {
        _ if columns.len() == 1 => 0,
        Some(i) => i,
        None => {
            return Err(IoError::Postgres {
                message: format!(
                    "{name}: with --source stripe, give one column holding a Stripe object as JSON per row (or a column named data); found {}",
                    columns.join(", ")
                ),
            })
        }
    };
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let json = match r.try_get(col).ok().flatten() {
                Some(t) => Json::Text(t.to_string()),
                None => Json::Value(serde_json::Value::Object(Default::default())),
            };
            (i as u64 + 1, json)
        })
        .collect();
    Ok(Objects::Rows {
        name: name.to_string(),
        rows,
    })
}

/// The columns of a query result named `input`; a name given twice is an error, as in a file.
fn cols_of(columns: &[String], input: &str) -> Result<Cols, IoError> {
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let cols = Cols::new(&names);
    cols.check(Path::new(input), input, &[])?;
    Ok(cols)
}

/// Invoice rows (and event rows) through the invoices reader, every invoice policy applying
/// as for invoices.csv; fx.csv from `side`, as for a directory.
fn load_invoices(
    name: &str,
    cols: &Cols,
    rows: &[postgres::SimpleQueryRow],
    events: Option<(String, Fetched)>,
    side: Option<&Path>,
    opts: &LoadOptions,
) -> Result<Loaded, IoError> {
    let invoices = Table { name, cols, rows };
    let ev_cols = events
        .as_ref()
        .map(|e| cols_of(&e.1 .0, &e.0))
        .transpose()?;
    let ev_table = match (&events, &ev_cols) {
        (Some((name, (_, rows))), Some(cols)) => Some(Table { name, cols, rows }),
        _ => None,
    };
    crate::read::load_invoices(side, opts, |opts, builder, rejections| {
        crate::invoices::read_tables(&invoices, ev_table.as_ref(), opts, builder, rejections)?;
        let ev_name = events.as_ref().map(|e| e.0.clone());
        Ok(std::iter::once(name.to_string()).chain(ev_name).collect())
    })
}
