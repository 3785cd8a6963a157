//! The table layer: rows from CSV files, Parquet files and PostgreSQL queries, with no
//! knowledge of what the rows mean.

pub(crate) mod csv;
pub(crate) mod parallel;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;

use crate::error::IoError;
use std::path::Path;

pub(crate) fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

pub(crate) fn io_error(path: &Path) -> impl Fn(std::io::Error) -> IoError + '_ {
    move |source| IoError::Io {
        path: path.to_path_buf(),
        source,
    }
}
