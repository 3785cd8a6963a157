//! Errors of the readers.

use std::fmt;
use std::path::PathBuf;

/// One input row that failed validation: where, what, and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    /// File name as shown to the user (`items.csv`).
    pub file: String,
    /// 1-based line number (Parquet: 1-based row number + 1, counting a virtual header).
    pub line: u64,
    /// Column name.
    pub column: String,
    /// The offending value as read.
    pub value: String,
    /// What the column must hold.
    pub expected: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: `{}`: expected {}",
            self.file, self.line, self.column, self.value, self.expected
        )
    }
}

/// Errors that stop reading altogether (as opposed to per-row [`Rejection`]s).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IoError {
    /// A file could not be opened or read.
    #[error("reading {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The CSV layer failed (not a row-level validation problem).
    #[error("reading {}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: csv::Error,
    },
    /// A Parquet file could not be read.
    #[error("reading {}: {message}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A required column is missing from the header.
    #[error("{}: missing required column `{column}` (header has: {found})", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// The header's columns.
        found: String,
    },
    /// The data directory holds no recognised input.
    #[error("{}: no input found: expected {expected}{}", dir.display(), if found.is_empty() { String::new() } else { format!(" (found: {})", found.join(", ")) })]
    NoInput {
        /// The directory.
        dir: PathBuf,
        /// Every name a revenue input is read from (`Source::all_expected`).
        expected: String,
        /// Files that were there.
        found: Vec<String>,
    },
    /// More than one kind of revenue input is present (items, mrr, invoices).
    #[error("{}: more than one kind of revenue input found ({}); keep one kind in a data directory, or choose one with --source items|mrr|invoices|snapshots|stripe", dir.display(), found.join(", "))]
    AmbiguousInput {
        /// The directory.
        dir: PathBuf,
        /// The candidate files.
        found: Vec<String>,
    },
    /// `--source` names an input the directory does not hold.
    #[error("{}: --source {source_name}: no {expected} found{}", dir.display(), if found.is_empty() { " (the directory is empty)".to_string() } else { format!(" (found: {})", found.join(", ")) })]
    SourceNotFound {
        /// The directory.
        dir: PathBuf,
        /// The `--source` value.
        source_name: &'static str,
        /// The file names that source reads.
        expected: &'static str,
        /// Files that were there.
        found: Vec<String>,
    },
    /// A command-line option that cannot apply to this input (a usage error).
    #[error("{option}: {reason}")]
    BadOption {
        /// The option and its value, as given.
        option: String,
        /// Why it cannot apply.
        reason: String,
    },
    /// `--segment` names a column customers.csv does not have.
    #[error("--segment `{column}`: {}", if available.is_empty() { "there is no customers.csv with attribute columns in the data directory".to_string() } else { format!("customers.csv has no such column (it has: {})", available.join(", ")) })]
    UnknownSegment {
        /// The requested column.
        column: String,
        /// Columns present.
        available: Vec<String>,
    },
    /// `--segment product|plan` on lines that carry no such value.
    #[error("--segment `{column}`: no line has a {column} (the `{column}` column of items.csv is absent or empty)")]
    NoLineColumn {
        /// `product` or `plan`.
        column: String,
    },
    /// The PostgreSQL connection or query failed (`--postgres`).
    #[error("PostgreSQL: {message}")]
    Postgres {
        /// What went wrong, with the server's message.
        message: String,
    },
    /// The dataset as a whole is unusable.
    #[error(transparent)]
    Core(#[from] nrr_core::CoreError),
}
