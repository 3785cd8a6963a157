//! PostgreSQL rows through the same pipeline as files: the rows are fetched by
//! `crate::table::postgres`, read by the reader of their shape, and finished by
//! [`super::finish`] with the side files from `side`.

use super::{finish, read_invoices};
use crate::error::{IoError, Misfit, StripeObjects};
use crate::options::{check_usage, LoadOptions};
use crate::revenue::Revenue;
use crate::rows::{Cols, Layout};
use crate::source::Source;
use crate::sources::invoices::Table;
use crate::sources::snapshots::{
    check_reading_for, MovementCols, Movements, PendingCheck, SnapshotCols, Snapshots,
};
use crate::sources::stripe::{Json, Objects, StripeInput};
use crate::table::postgres::{cols_of, fetch_rows, shape, Named, PgRows, PgSource};
use crate::validate::LineValidator;
use crate::Loaded;
use nrr_core::dataset::{DatasetBuilder, SourceKind};
use std::path::Path;

/// Loads the rows of `pg`; fx.csv, customers.csv and annotations.csv come from `side` when
/// given. `opts.source` forces the row shape.
pub(crate) fn load(
    pg: &PgSource,
    side: Option<&Path>,
    opts: &LoadOptions,
) -> Result<Loaded, IoError> {
    let stripe = opts.source == Some(Source::Stripe);
    check_queries(pg, opts, stripe)?;
    let rows = fetch_rows(pg)?;
    let revenue = if stripe {
        read_stripe(rows, opts)?
    } else {
        read_table(rows, opts)?
    };
    finish(revenue, side, opts)
}

/// The queries given must fit the rows: second Stripe objects with Stripe objects only, events
/// with invoice rows only, a time zone with Stripe objects only.
fn check_queries(pg: &PgSource, opts: &LoadOptions, stripe: bool) -> Result<(), IoError> {
    for (given, objects) in [
        (&pg.invoices, StripeObjects::Invoices),
        (&pg.credit_notes, StripeObjects::CreditNotes),
        (&pg.refunds, StripeObjects::Refunds),
    ] {
        if given.is_some() && !stripe {
            return Err(Misfit::StripeObjectsWithoutStripe { objects }.into());
        }
    }
    if stripe && pg.events.is_some() {
        return Err(Misfit::EventsWithStripe.into());
    }
    if !opts.timezone.is_utc() && !stripe {
        return Err(Misfit::TimezoneForDates { rows: true }.into());
    }
    if stripe && pg.movements.is_some() {
        return Err(movements_need_snapshots("Stripe objects"));
    }
    if stripe {
        check_reading_for(opts, "Stripe objects")?;
    }
    Ok(())
}

/// Stripe objects, one a row, through the Stripe reader.
fn read_stripe(rows: PgRows, opts: &LoadOptions) -> Result<Revenue, IoError> {
    let objects = |f: Option<Named>| {
        f.map(|n| stripe_objects(&n.name, &n.columns, &n.rows))
            .transpose()
    };
    let input = StripeInput {
        subscriptions: stripe_objects(&rows.main.name, &rows.main.columns, &rows.main.rows)?,
        invoices: objects(rows.invoices)?,
        credit_notes: objects(rows.credit_notes)?,
        refunds: objects(rows.refunds)?,
    };
    crate::sources::stripe::load_input(&input, opts)
}

/// Rows of a detected (or `--source`) shape: invoices, snapshots, items or mrr.
fn read_table(rows: PgRows, opts: &LoadOptions) -> Result<Revenue, IoError> {
    let PgRows {
        main,
        events,
        movements,
        ..
    } = rows;
    let name = main.name.clone();
    let cols = cols_of(&main.columns, &name)?;
    let source = shape(opts.source, &cols, &name)?;
    if source != Source::Snapshots && movements.is_some() {
        return Err(movements_need_snapshots(source.name()));
    }
    if source != Source::Snapshots {
        check_reading_for(opts, &format!("{name} ({} rows)", source.name()))?;
    }
    if source == Source::Invoices {
        return read_invoice_rows(&main, &cols, events.as_ref(), opts);
    }
    if events.is_some() {
        return Err(Misfit::EventsWithoutInvoices {
            rows: source.name(),
        }
        .into());
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
    crate::sources::invoices::check_for_lines(policies, &name)?;
    check_usage(opts, &name)?;
    match source {
        Source::Snapshots => read_snapshot_rows(&main, &cols, movements, opts),
        Source::Items => read_line_rows(&main, &cols, SourceKind::Items),
        _ => read_line_rows(&main, &cols, SourceKind::Mrr),
    }
}

/// Items or mrr rows through the line validator.
fn read_line_rows(main: &Named, cols: &Cols, kind: SourceKind) -> Result<Revenue, IoError> {
    let name = &main.name;
    let mut builder = DatasetBuilder::new(kind);
    let file = builder.add_file(name);
    let mut rejections = Vec::new();
    let layout = Layout::new(kind, cols, Path::new(name))?;
    let mut validator = LineValidator {
        builder: &mut builder,
        rejections: &mut rejections,
        file,
        name: name.clone(),
        layout,
    };
    for (i, r) in main.rows.iter().enumerate() {
        validator.row(i as u64 + 1, r);
    }
    Ok(Revenue::new(builder, rejections, vec![name.clone()]))
}

/// Snapshot rows (and movement rows, checked against them) through the snapshots reader.
fn read_snapshot_rows(
    main: &Named,
    cols: &Cols,
    movements: Option<Named>,
    opts: &LoadOptions,
) -> Result<Revenue, IoError> {
    let name = &main.name;
    let mut builder = DatasetBuilder::new(SourceKind::Mrr);
    let file = builder.add_file(name);
    let mut names = vec![name.clone()];
    let c = SnapshotCols::new(cols, Path::new(name))?;
    let reading = opts.snapshot_date.unwrap_or_default();
    let mut snaps = Snapshots::new(reading);
    for (i, r) in main.rows.iter().enumerate() {
        snaps.row(c, name, file, i as u64 + 1, r);
    }
    let mut fin = snaps.finish(&mut builder, reading, movements.is_some());
    let mut rejections = std::mem::take(&mut fin.rejections);
    let mut pending = None;
    if let Some(mv_rows) = movements {
        let mv_name = mv_rows.name;
        let mc = MovementCols::new(&cols_of(&mv_rows.columns, &mv_name)?, Path::new(&mv_name))?;
        let mut mv = Movements::default();
        for (i, r) in mv_rows.rows.iter().enumerate() {
            mv.row(mc, &mv_name, i as u64 + 1, r);
        }
        rejections.append(&mut mv.rejections);
        pending = Some(PendingCheck::new(
            fin,
            mv,
            mv_name,
            &mut builder,
            &mut names,
        ));
    } else {
        builder.notices.extend(fin.notice(opts.snapshot_date, None));
    }
    let mut revenue = Revenue::new(builder, rejections, names);
    revenue.movements = pending.map(PendingCheck::deferred);
    revenue.snapshot_date = Some(reading);
    Ok(revenue)
}

/// Invoice rows (and event rows) through the invoices reader, every invoice policy applying
/// as for invoices.csv.
fn read_invoice_rows(
    main: &Named,
    cols: &Cols,
    events: Option<&Named>,
    opts: &LoadOptions,
) -> Result<Revenue, IoError> {
    let invoices = Table {
        name: &main.name,
        cols,
        rows: &main.rows,
    };
    let ev_cols = events.map(|e| cols_of(&e.columns, &e.name)).transpose()?;
    let ev_table = match (events, &ev_cols) {
        (Some(e), Some(cols)) => Some(Table {
            name: &e.name,
            cols,
            rows: &e.rows,
        }),
        _ => None,
    };
    read_invoices(opts, |opts, builder, rejections| {
        crate::sources::invoices::read_tables(
            &invoices,
            ev_table.as_ref(),
            opts,
            builder,
            rejections,
        )?;
        let ev_name = events.map(|e| e.name.clone());
        Ok(std::iter::once(main.name.clone()).chain(ev_name).collect())
    })
}

fn movements_need_snapshots(rows: &str) -> IoError {
    Misfit::MovementsWithoutSnapshots {
        rows: rows.to_string(),
    }
    .into()
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
            return Err(IoError::NoObjectColumn {
                name: name.to_string(),
                columns: columns.to_vec(),
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
