//! The data files a command writes (`nrr movements`, `nrr lines`): `-o FILE.csv` or
//! `-o FILE.parquet`, chosen by extension before anything is read, else CSV on stdout.

use crate::errors::BadFlag;
use nrr_io::IoError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file kinds `-o` writes, by extension.
pub(crate) enum Output {
    Csv,
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    Parquet,
}

/// Where the rows go: stdout (CSV), or a file of a kind.
pub(crate) type Target = Option<(Output, PathBuf)>;

/// The target of `-o` (`output`) for `command` (`nrr movements`): a usage error for a name
/// that does not end in .csv or .parquet (any case).
pub(crate) fn target(output: Option<PathBuf>, command: &str) -> Result<Target, BadFlag> {
    let Some(path) = output else {
        return Ok(None);
    };
    refuse_in_book(&path, "--output")?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => Ok(Some((Output::Csv, path))),
        Some("parquet") => Ok(Some((Output::Parquet, path))),
        _ => Err(BadFlag {
            flag: "--output".into(),
            reason: format!(
                "`{}` does not end in .csv or .parquet, the formats {command} writes",
                path.display()
            ),
        }),
    }
}

/// The CSV file of `target`, `None` for stdout (or a Parquet target).
pub(crate) fn csv_path(target: &Target) -> Option<&Path> {
    match target {
        Some((Output::Csv, path)) => Some(path),
        _ => None,
    }
}

/// Writes CSV through `write` to `path`, or to stdout without one (a closed pipe, as in
/// `nrr lines data | head`, ends quietly as for `report`).
pub(crate) fn csv<T>(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> Result<T, csv::Error>,
) -> anyhow::Result<T> {
    let Some(path) = path else {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let value = write(&mut out).map_err(io_error)?;
        out.flush()?;
        return Ok(value);
    };
    let io = |source| IoError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut out = std::io::BufWriter::new(file);
    let value = write(&mut out).map_err(|source| IoError::Csv {
        path: path.to_path_buf(),
        source,
    })?;
    out.flush().map_err(io)?;
    Ok(value)
}

/// A CSV writer's error with its I/O error brought out (csv::Error does not name it as its
/// source), so that a closed pipe is recognised.
fn io_error(e: csv::Error) -> anyhow::Error {
    if !e.is_io_error() {
        return e.into();
    }
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io.into(),
        other => anyhow::anyhow!("writing CSV: {other:?}"),
    }
}

/// The error for `-o FILE.parquet` from an `nrr` built without the `parquet` feature.
#[cfg(not(feature = "parquet"))]
pub(crate) fn no_parquet() -> anyhow::Error {
    BadFlag {
        flag: "--output".into(),
        reason: "this nrr was built without the `parquet` feature".into(),
    }
    .into()
}

/// A file a command would write inside a book is refused (a usage error): under a release
/// directory (a directory holding `release.json`, at any depth) or in a book's own directory
/// (one holding `journal.jsonl` and `releases/`). A release is never edited
/// (docs/publishing.md); its files are also read-only, which root does not heed.
pub(crate) fn refuse_in_book(path: &Path, flag: &str) -> Result<(), BadFlag> {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    for dir in abs.ancestors().skip(1) {
        let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let release = real.join(nrr_io::book::MANIFEST).is_file();
        let book = real.join(nrr_io::book::JOURNAL).is_file() && real.join("releases").is_dir();
        if release || book {
            return Err(BadFlag {
                flag: flag.into(),
                reason: format!(
                    "`{}` is inside {} {}; a book is written only by nrr publish and nrr signoff, and a release is never edited",
                    path.display(),
                    if release { "the release" } else { "the book" },
                    dir.display()
                ),
            });
        }
    }
    Ok(())
}
