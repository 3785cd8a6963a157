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
    /// `file:line:column: `value`: expected ...`, control characters escaped as in JSON
    /// ([`printable`]): a value cannot move the cursor, clear the screen or break the line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: `{}`: expected {}",
            printable(&self.file),
            self.line,
            printable(&self.column),
            printable(&self.value),
            printable(&self.expected)
        )
    }
}

/// `s` with control characters escaped as JSON escapes them (`\n`, `\t`, `\u001b`), and the C1
/// controls (U+0080 to U+009F, which some terminals obey too) as `\u0080` to `\u009f`:
/// text from the data shown on a terminal cannot retitle it, clear it or break a table's
/// lines. Borrowed when there is nothing to escape.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    let control = |c: char| c.is_control();
    if !s.chars().any(control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if control(c) => {
                use std::fmt::Write;
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
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
    #[error("{}: missing required column `{column}` (header has: {})", path.display(), printable(found))]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// The header's columns.
        found: String,
    },
    /// The file cannot be read as CSV: a record longer than the limit (no line breaks), ...
    #[error("{}:{line}: {}", path.display(), printable(message))]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The line where the trouble starts.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The header names a column twice, or a column its kind of file does not have but
    /// nearly does (a misspelling that would make an optional column silently absent).
    #[error("{}: {}", path.display(), printable(message))]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the column names.
        message: String,
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
    /// Both `x.json` and `x.jsonl` (Stripe objects): nrr reads one of them, and would leave
    /// the other unread.
    #[error("{}: both {} are there; keep one (nrr reads one file of each kind of Stripe object)", dir.display(), names.join(" and "))]
    Twins {
        /// The directory.
        dir: PathBuf,
        /// The two file names.
        names: Vec<String>,
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
