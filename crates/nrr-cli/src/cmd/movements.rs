//! `nrr movements`: every customer-month movement, the rows behind the report's bridge.

use crate::args::{resolve, MovementsArgs};
use crate::errors::BadFlag;
use nrr_io::IoError;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// The file kinds `-o` writes, by extension.
enum Output {
    Csv,
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    Parquet,
}

fn output_kind(path: &Path) -> Result<Output, BadFlag> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => Ok(Output::Csv),
        Some("parquet") => Ok(Output::Parquet),
        _ => Err(BadFlag {
            flag: "--output".into(),
            reason: format!(
                "`{}` does not end in .csv or .parquet, the formats nrr movements writes",
                path.display()
            ),
        }),
    }
}

pub(super) fn run(a: MovementsArgs) -> anyhow::Result<ExitCode> {
    // Decide the format before reading anything: a bad name is a usage error.
    let target = a
        .output
        .map(|p| output_kind(&p).map(|k| (k, p)))
        .transpose()?;
    // Skipped rows (--skip-invalid) are stated on stderr by `load`; the file has no header
    // to carry them.
    let settings = resolve::settings(&a.data, &a.window);
    let (loaded, _skipped, bar) = super::load(&settings, !a.segment.is_empty(), false)?;
    let cuts = a
        .segment
        .iter()
        .map(|col| nrr_io::segment_spec(&loaded.dataset, loaded.attributes.as_ref(), col))
        .collect::<Result<Vec<_>, _>>()?;
    // The window, as-of date and reactivation rule exactly as `nrr report` takes them.
    let m = nrr_core::movements::movements(&loaded.dataset, &settings.options, &cuts)?;
    bar.step("writing");
    let result = match &target {
        None => {
            let out = std::io::stdout().lock();
            let mut out = std::io::BufWriter::new(out);
            nrr_io::write::movements_csv(&m, &mut out)
                .map_err(io_error)
                .and_then(|()| out.flush().map_err(anyhow::Error::from))
        }
        Some((Output::Csv, path)) => write_csv(&m, path),
        Some((Output::Parquet, path)) => write_parquet(&m, path),
    };
    drop(bar);
    result?;
    Ok(ExitCode::SUCCESS)
}

/// A CSV writer's error with its I/O error brought out (csv::Error does not name it as its
/// source), so that a closed pipe (`nrr movements data | head`) ends quietly, as for `report`.
fn io_error(e: csv::Error) -> anyhow::Error {
    if !e.is_io_error() {
        return e.into();
    }
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io.into(),
        other => anyhow::anyhow!("writing CSV: {other:?}"),
    }
}

fn write_csv(m: &nrr_core::movements::Movements, path: &Path) -> anyhow::Result<()> {
    let io = |source| IoError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut out = std::io::BufWriter::new(file);
    nrr_io::write::movements_csv(m, &mut out).map_err(|source| IoError::Csv {
        path: path.to_path_buf(),
        source,
    })?;
    out.flush().map_err(io)?;
    Ok(())
}

#[cfg(feature = "parquet")]
fn write_parquet(m: &nrr_core::movements::Movements, path: &Path) -> anyhow::Result<()> {
    nrr_io::parquet::write_movements(m, path)?;
    Ok(())
}

#[cfg(not(feature = "parquet"))]
fn write_parquet(_: &nrr_core::movements::Movements, _: &Path) -> anyhow::Result<()> {
    Err(BadFlag {
        flag: "--output".into(),
        reason: "this nrr was built without the `parquet` feature".into(),
    }
    .into())
}
