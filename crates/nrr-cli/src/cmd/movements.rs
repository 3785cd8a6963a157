//! `nrr movements`: every customer-month movement, the rows behind the report's bridge.

use super::output::{self, Output};
use crate::args::{resolve, MovementsArgs};
use std::path::Path;
use std::process::ExitCode;

pub(super) fn run(a: MovementsArgs) -> anyhow::Result<ExitCode> {
    // Decide the format before reading anything: a bad name is a usage error.
    let target = output::target(a.output, "nrr movements")?;
    // Skipped rows (--skip-invalid) are stated on stderr by `load`; the file has no header
    // to carry them.
    let cmd = resolve::CmdFlags {
        segments: &a.segment,
        ..Default::default()
    };
    let settings = resolve::settings(&a.data, &a.window, &cmd)?;
    let (loaded, _skipped, bar) = super::load(&settings, !settings.segments.is_empty(), false)?;
    let cuts = settings
        .segments
        .iter()
        .map(|col| nrr_io::segment_spec(&loaded.dataset, loaded.attributes.as_ref(), col))
        .collect::<Result<Vec<_>, _>>()?;
    // The window, as-of date and reactivation rule exactly as `nrr report` takes them.
    let m = nrr_core::movements::movements(&loaded.dataset, &settings.options, &cuts)?;
    bar.step("writing");
    let result = match &target {
        Some((Output::Parquet, path)) => write_parquet(&m, path),
        _ => output::csv(output::csv_path(&target), |w| {
            nrr_io::write::movements_csv(&m, w)
        }),
    };
    drop(bar);
    result?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "parquet")]
fn write_parquet(m: &nrr_core::movements::Movements, path: &Path) -> anyhow::Result<()> {
    nrr_io::parquet::write_movements(m, path)?;
    Ok(())
}

#[cfg(not(feature = "parquet"))]
fn write_parquet(_: &nrr_core::movements::Movements, _: &Path) -> anyhow::Result<()> {
    Err(output::no_parquet())
}
