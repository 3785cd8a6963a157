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
    /// What kind of problem this is, chosen where the row is rejected (its stable code:
    /// [`RejectionKind::code`]). Not part of the CLI's output.
    #[serde(skip)]
    pub kind: RejectionKind,
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

impl Rejection {
    /// What kind of problem this is, with a stable code ([`RejectionKind::code`]).
    pub fn kind(&self) -> RejectionKind {
        self.kind
    }
}

/// What a column must hold (`text`, a rejection's `expected`) and the kind of a value that
/// does not: for expectations worded by a helper (`rows::expect_decimal`).
pub(crate) struct Expected {
    pub(crate) kind: RejectionKind,
    pub(crate) text: String,
}

/// The kind of an input row's problem, chosen by the reader where it rejects the row. Each
/// has a stable code ([`RejectionKind::code`]) that scripts may rely on; the wording of a
/// rejection may change, its code does not. crates/nrr-io/tests/rejection_codes.rs produces
/// each one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectionKind {
    /// `malformed_record`: the row cannot be read as a record (a field count unlike the
    /// header's, a quote never closed, text that is not UTF-8, invalid JSON).
    MalformedRecord,
    /// `duplicate`: the same thing again: a Stripe object (overlapping pages of an export), a
    /// customer of customers.csv, an id customer_map.csv maps already.
    Duplicate,
    /// `missing_value`: a required value is empty.
    MissingValue,
    /// `bad_date`: not a date, month, period or timestamp that exists.
    BadDate,
    /// `end_before_start`: an end date or time not after (or on) its start.
    EndBeforeStart,
    /// `bad_number`: not a decimal or integer of the allowed form and precision.
    BadNumber,
    /// `negative_amount`: an amount below 0 where recurring revenue must be >= 0 (an item's
    /// amount, a subscription line's, a snapshot's or a month's MRR).
    NegativeAmount,
    /// `bad_interval`: a billing interval below 1 (or above Stripe's limit) or in an unknown
    /// unit.
    BadInterval,
    /// `bad_currency`: not a three-letter ISO 4217 code.
    BadCurrency,
    /// `unknown_value`: a word the column does not allow (kind, type, event, status, movement
    /// type, object type, and Stripe's tax behavior, usage type, billing scheme, tiers mode,
    /// rounding and coupon duration).
    UnknownValue,
    /// `inconsistent_amount`: an amount that disagrees with the row's other values
    /// (`unit_amount x quantity`, discounts and tax above the amount, a change whose sign
    /// does not fit its movement type, a Stripe line whose two shapes give different
    /// discounts or taxes).
    InconsistentAmount,
    /// `out_of_range`: a value too large to compute with exactly (more than 18 digits, too many
    /// billing periods, a quantity too large for its price).
    OutOfRange,
    /// `other`: none of the above (a Stripe field of another JSON type, a customer mapped to
    /// itself or through a chain, a value where none may be).
    Other,
}

impl RejectionKind {
    /// Every kind.
    pub const ALL: [RejectionKind; 13] = [
        RejectionKind::MalformedRecord,
        RejectionKind::Duplicate,
        RejectionKind::MissingValue,
        RejectionKind::BadDate,
        RejectionKind::EndBeforeStart,
        RejectionKind::BadNumber,
        RejectionKind::NegativeAmount,
        RejectionKind::BadInterval,
        RejectionKind::BadCurrency,
        RejectionKind::UnknownValue,
        RejectionKind::InconsistentAmount,
        RejectionKind::OutOfRange,
        RejectionKind::Other,
    ];

    /// `MissingValue` when `value` is blank (a required value left empty), else this kind: for
    /// a required column whose value failed to parse.
    pub(crate) fn or_missing(self, value: &str) -> RejectionKind {
        if value.trim().is_empty() {
            RejectionKind::MissingValue
        } else {
            self
        }
    }

    /// The stable code: snake_case, like the row ledger's exclusion reasons.
    pub fn code(self) -> &'static str {
        match self {
            RejectionKind::MalformedRecord => "malformed_record",
            RejectionKind::Duplicate => "duplicate",
            RejectionKind::MissingValue => "missing_value",
            RejectionKind::BadDate => "bad_date",
            RejectionKind::EndBeforeStart => "end_before_start",
            RejectionKind::BadNumber => "bad_number",
            RejectionKind::NegativeAmount => "negative_amount",
            RejectionKind::BadInterval => "bad_interval",
            RejectionKind::BadCurrency => "bad_currency",
            RejectionKind::UnknownValue => "unknown_value",
            RejectionKind::InconsistentAmount => "inconsistent_amount",
            RejectionKind::OutOfRange => "out_of_range",
            RejectionKind::Other => "other",
        }
    }
}

impl fmt::Display for RejectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Whether `c` is escaped by [`printable`]: a control character (C0, DEL, C1), or an
/// invisible formatting character that changes how the text around it reads: the
/// bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E, U+200F, U+202A to
/// U+202E, U+2066 to U+2069), the zero-width characters (U+200B to U+200D, U+2060, U+FEFF) and
/// the line and paragraph separators (U+2028, U+2029).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// `s` with control characters escaped as JSON escapes them (`\n`, `\t`, `\u001b`), the C1
/// controls (U+0080 to U+009F, which some terminals obey too) as `\u0080` to `\u009f`, and
/// the invisible formatting characters of [`is_unsafe_char`] (`\u202e`, a right-to-left
/// override) likewise: text from the data shown on a terminal cannot retitle it, clear it,
/// break a table's lines or show itself reversed. Borrowed when there is nothing to escape.
///
/// ```
/// assert_eq!(nrr_io::printable("a\u{1b}[2Jb"), "a\\u001b[2Jb");
/// assert_eq!(nrr_io::printable("Sam\u{202e}live"), "Sam\\u202elive");
/// assert_eq!(nrr_io::printable("plain"), "plain");
/// ```
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    let control = is_unsafe_char;
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
    /// More than one kind of revenue input is present (items, mrr, invoices): keep one, or
    /// choose one ([`LoadOptions::source`](crate::LoadOptions::source)).
    #[error("{}: more than one kind of revenue input found ({}); keep one kind in a data directory, or choose one", dir.display(), found.join(", "))]
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
    /// The input chosen ([`LoadOptions::source`](crate::LoadOptions::source)) is not in the
    /// directory.
    #[error("{}: the {source_name} input was chosen: no {expected} found{}", dir.display(), found_suffix(found))]
    SourceNotFound {
        /// The directory.
        dir: PathBuf,
        /// The chosen source's name ([`Source::name`](crate::Source::name)).
        source_name: &'static str,
        /// The file names that source reads.
        expected: &'static str,
        /// Files that were there.
        found: Vec<String>,
    },
    /// A load option that cannot apply to this input (a usage error).
    #[error(transparent)]
    Misfit(#[from] Misfit),
    /// A segment column customers.csv does not have.
    #[error("segment `{column}`: {}", unknown_segment_reason(available))]
    UnknownSegment {
        /// The requested column.
        column: String,
        /// Columns present.
        available: Vec<String>,
    },
    /// A segment by `product` or `plan` of lines that carry no such value.
    #[error("segment `{column}`: no line has a {column} (the `{column}` column of items.csv is absent or empty)")]
    NoLineColumn {
        /// `product` or `plan`.
        column: String,
    },
    /// The PostgreSQL connection or query failed.
    #[error("PostgreSQL: {message}")]
    Postgres {
        /// What went wrong, with the server's message.
        message: String,
    },
    /// PostgreSQL rows read as Stripe objects have several columns, none named `data`.
    #[error("PostgreSQL: {name}: Stripe objects are read from one column holding a Stripe object as JSON per row (or a column named data); found {}", columns.join(", "))]
    NoObjectColumn {
        /// The query's or table's name.
        name: String,
        /// The result's columns.
        columns: Vec<String>,
    },
    /// The shape of PostgreSQL rows cannot be told from their columns, and none was chosen.
    #[error("PostgreSQL: {name}: cannot tell the row shape from the columns ({}); expected {ROW_SHAPES}, or choose the shape", columns.join(", "))]
    UnknownRowShape {
        /// The query's or table's name.
        name: String,
        /// The result's columns, in order.
        columns: Vec<String>,
    },
    /// The dataset as a whole is unusable.
    #[error(transparent)]
    Core(#[from] nrr_core::CoreError),
}

/// The columns each row shape is told by, as [`IoError::UnknownRowShape`] lists them.
pub const ROW_SHAPES: &str = "invoice_id, type, service_period_start (invoices), account_id, \
     snapshot_date, mrr (snapshots), customer_id, month, mrr (mrr) or customer_id, amount, \
     start_date (items)";

/// ` (found: a, b)`, or ` (the directory is empty)`.
pub fn found_suffix(found: &[String]) -> String {
    if found.is_empty() {
        " (the directory is empty)".to_string()
    } else {
        format!(" (found: {})", found.join(", "))
    }
}

/// Why a segment column is unknown: no customers.csv attributes at all, or not this one.
pub fn unknown_segment_reason(available: &[String]) -> String {
    if available.is_empty() {
        "there is no customers.csv with attribute columns in the data directory".to_string()
    } else {
        format!(
            "customers.csv has no such column (it has: {})",
            available.join(", ")
        )
    }
}

/// A load option that does not fit the input: a usage error, in the library's terms (which
/// choice, and what the input is). The CLI words each with the flag that makes the choice
/// (nrr-cli/src/errors.rs).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Misfit {
    /// Stripe objects of a second kind given with rows not read as Stripe objects.
    #[error("Stripe {} objects go with rows read as Stripe objects only", objects.noun())]
    StripeObjectsWithoutStripe {
        /// The kind of the second objects.
        objects: StripeObjects,
    },
    /// Subscription events given with Stripe objects (their subscriptions give the events).
    #[error("subscription events go with invoice rows only; with Stripe objects the subscription objects give the events")]
    EventsWithStripe,
    /// Subscription events given with rows of another shape than invoices.
    #[error("subscription events go with invoice rows only; the rows here are {rows}")]
    EventsWithoutInvoices {
        /// The rows' shape ([`Source::name`](crate::Source::name)).
        rows: &'static str,
    },
    /// Revenue movements given with rows that are not snapshots.
    #[error("revenue movements are checked against snapshot rows (account_id, snapshot_date, mrr) only; the rows here are {rows}")]
    MovementsWithoutSnapshots {
        /// What the rows are (`Stripe objects`, `items`).
        rows: String,
    },
    /// A time zone other than UTC for an input of dates (Stripe objects hold timestamps).
    #[error("a time zone applies to Stripe objects only; other inputs hold dates, not timestamps")]
    TimezoneForDates {
        /// The input is PostgreSQL rows (else files).
        rows: bool,
    },
    /// Usage charges asked of an input that has none.
    #[error("usage charges come from invoices.csv (usage lines) and Stripe exports (metered prices) only; the revenue input here is {input}, which has no usage charges")]
    UsageWithoutUsageLines {
        /// The revenue input (`items.csv`, `postgres query (items rows)`).
        input: String,
    },
    /// Snapshot dates read as opening a day, for an input that is not snapshots.
    #[error("snapshot dates read as open apply to subscription_snapshots only; the revenue input here is {input}, which accepts only the default (close)")]
    OpenSnapshotDates {
        /// The revenue input.
        input: String,
    },
    /// `forever-only` discounts for invoices.csv, which does not say how long a discount lasts.
    #[error("forever-only discounts: invoices.csv does not say how long a discount lasts, so which discounts are forever cannot be decided from invoices alone; use `all` (the default) or `none`")]
    ForeverOnlyDiscounts,
    /// A lifecycle policy other than its default for an input it does not apply to.
    #[error("the {policy} policy `{value}` applies to invoices.csv only; the revenue input here is {input}, which accepts only the default ({default})")]
    PolicyNotDefault {
        /// The policy's name (docs/policies.md: `pauses`, `full-refunds`).
        policy: &'static str,
        /// Its value.
        value: String,
        /// Its default, the only value this input accepts.
        default: String,
        /// The revenue input.
        input: String,
    },
}

/// The Stripe objects that may come beside the subscriptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StripeObjects {
    /// `invoice` objects.
    Invoices,
    /// `credit_note` objects.
    CreditNotes,
    /// `refund` objects.
    Refunds,
}

impl StripeObjects {
    /// `invoice`, `credit note`, `refund`.
    pub fn noun(self) -> &'static str {
        match self {
            StripeObjects::Invoices => "invoice",
            StripeObjects::CreditNotes => "credit note",
            StripeObjects::Refunds => "refund",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RejectionKind;

    #[test]
    fn codes_are_distinct_snake_case() {
        let codes: std::collections::BTreeSet<&str> =
            RejectionKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes.len(), RejectionKind::ALL.len());
        assert!(codes
            .iter()
            .all(|c| c.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    }
}
