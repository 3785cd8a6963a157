//! `nrr lines`: the recurring lines any source becomes once every reader policy is applied,
//! as items.csv rows that `nrr report` reads back to the same figures (docs/cli.md, `nrr
//! lines`).

use super::output::{self, Output, Target};
use crate::args::{resolve, LinesArgs, Settings};
use nrr_core::dataset::{ItemRows, SourceKind};
use nrr_io::Loaded;
use std::path::Path;
use std::process::ExitCode;

pub(super) fn run(a: LinesArgs) -> anyhow::Result<ExitCode> {
    // Decide the format before reading anything: a bad name is a usage error.
    let target = output::target(a.output, "nrr lines")?;
    // The lines are not windowed: a report on them needs every month before its window.
    let settings = resolve::data_only(&a.data)?;
    let (loaded, _skipped, bar) = super::load(&settings, false, false)?;
    let rows = ItemRows::new(&loaded.dataset)?;
    bar.step("writing");
    let result = match &target {
        Some((Output::Parquet, path)) => write_parquet(&rows, path),
        _ => output::csv(output::csv_path(&target), |w| {
            nrr_io::write::lines_csv(&rows, w)
        }),
    };
    drop(bar);
    let written = result?;
    eprint!("{}", summary(&settings, &loaded, &rows, written, &target));
    Ok(ExitCode::SUCCESS)
}

/// What standard error says after the lines are written: how many, from what, the row
/// ledger, the readers' notices, and what a report on the lines must be told again or
/// cannot show.
fn summary(
    settings: &Settings,
    loaded: &Loaded,
    rows: &ItemRows<'_>,
    written: u64,
    target: &Target,
) -> String {
    let ds = &loaded.dataset;
    let to = match target {
        Some((_, path)) => path.display().to_string(),
        None => "standard output".into(),
    };
    let mut s = format!(
        "nrr lines: {written} line{} to {}; currency {}; inputs: {}\n{}",
        if written == 1 { "" } else { "s" },
        nrr_io::printable(&to),
        ds.currency(),
        nrr_io::printable(&ds.files.join(", ")),
        crate::render::table::ledger(&ds.ledger),
    );
    let notes = ds
        .notices
        .iter()
        .cloned()
        .chain(lines_notes(settings, loaded, rows));
    for n in notes {
        s.push_str(&format!("note: {}\n", nrr_io::printable(&n)));
    }
    s
}

/// What the lines do not carry, each said only when it matters for this data
/// (docs/cli.md, `nrr lines`).
fn lines_notes(settings: &Settings, loaded: &Loaded, rows: &ItemRows<'_>) -> Vec<String> {
    let ds = &loaded.dataset;
    let mut notes = Vec::new();
    // Items find their as-of date in their dates; every other source in its own way.
    let own_as_of = ds.kind == SourceKind::Mrr || ds.as_of.is_some();
    if let Some(a) = nrr_core::engine::as_of(ds, &settings.options).filter(|_| own_as_of) {
        notes.push(format!(
            "the lines do not carry the as-of date {} ({}), which ends the default window: \
             give `nrr report` on them --as-of {}",
            a.date, a.source, a.date
        ));
    }
    if !ds.pauses.is_empty() {
        notes.push(format!(
            "{} pause(s) of --pauses zero are not in the lines, whose paused months have no \
             line: `nrr report` on them counts churn and reactivation where this data counts \
             paused and resumed",
            ds.pauses.len()
        ));
    }
    if loaded.movement_check.is_some() {
        notes.push(
            "revenue_movements is checked against the snapshots by `nrr report` on this data; \
             the lines do not carry it"
                .into(),
        );
    }
    if loaded.customer_map.is_some() {
        notes.push(
            "customer_map.csv is applied: the lines name each merged customer by its target id \
             (a report on them needs the map no more)"
                .into(),
        );
    }
    if rows.widened() > 0 {
        notes.push(format!(
            "{} line(s) charge more than {} decimal places per billing interval: each is \
             written as 10^k times its charge over 10^k times its interval_months, the same MRR",
            rows.widened(),
            nrr_core::money::MAX_AMOUNT_DECIMALS
        ));
    }
    notes
}

#[cfg(feature = "parquet")]
fn write_parquet(rows: &ItemRows<'_>, path: &Path) -> anyhow::Result<u64> {
    Ok(nrr_io::parquet::write_lines(rows, path)?)
}

#[cfg(not(feature = "parquet"))]
fn write_parquet(_: &ItemRows<'_>, _: &Path) -> anyhow::Result<u64> {
    Err(output::no_parquet())
}
