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

impl Rejection {
    /// What kind of problem this is, with a stable code ([`RejectionKind::code`]).
    ///
    /// Derived from what the column must hold (`expected`) and the value, so every reader's
    /// rejections get a kind without each construction site naming one; the mapping is
    /// documented in docs/input.md (Rejection codes) and pinned by tests.
    pub fn kind(&self) -> RejectionKind {
        RejectionKind::of(&self.value, &self.expected)
    }
}

/// The kind of an input row's problem. Each has a stable code ([`RejectionKind::code`]) that
/// scripts may rely on; the wording of a rejection may change, its code does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectionKind {
    /// `malformed_record`: the row cannot be read as a record (a field count unlike the
    /// header's, a quote never closed, text that is not UTF-8, invalid JSON).
    MalformedRecord,
    /// `duplicate`: the same object again (overlapping pages of an export).
    Duplicate,
    /// `missing_value`: a required value is empty.
    MissingValue,
    /// `bad_date`: not a date, month, period or timestamp that exists.
    BadDate,
    /// `end_before_start`: an end date or time not after (or on) its start.
    EndBeforeStart,
    /// `bad_number`: not a decimal or integer of the allowed form and precision.
    BadNumber,
    /// `negative_amount`: an amount below 0 where recurring revenue must be >= 0.
    NegativeAmount,
    /// `bad_interval`: a billing interval below 1 or in an unknown unit.
    BadInterval,
    /// `bad_currency`: not a three-letter ISO 4217 code.
    BadCurrency,
    /// `unknown_value`: a word the column does not allow (kind, type, event, status, movement
    /// type, object type).
    UnknownValue,
    /// `inconsistent_amount`: an amount that disagrees with the row's other values
    /// (`unit_amount x quantity`, discounts and tax above the amount, a change whose sign
    /// does not fit its movement type).
    InconsistentAmount,
    /// `out_of_range`: a value too large to compute with exactly (more than 18 digits, too many
    /// billing periods).
    OutOfRange,
    /// `other`: none of the above.
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

    /// The kind of a rejection of `value` that expected `expected`: the first rule that
    /// matches (docs/input.md, Rejection codes, describes each kind).
    fn of(value: &str, expected: &str) -> RejectionKind {
        let e = expected;
        let has = |p: &str| e.contains(p);
        let starts = |p: &str| e.starts_with(p);
        if starts("valid JSON")
            || has("fields as in the header")
            || starts("a closing quote")
            || e == "UTF-8 text"
        {
            return RejectionKind::MalformedRecord;
        }
        if starts("each object once") {
            return RejectionKind::Duplicate;
        }
        if has("small enough")
            || has("billing periods")
            || has("more than the 18 an amount may have")
        {
            return RejectionKind::OutOfRange;
        }
        let empty = value.trim().is_empty();
        if starts("a non-empty")
            || has("(required)")
            || (empty && !has("or empty") && !has("leave it null"))
        {
            return RejectionKind::MissingValue;
        }
        if starts("unit_amount x quantity") || has("no larger than amount") {
            return RejectionKind::InconsistentAmount;
        }
        if starts("the change in MRR") {
            let numeric = value
                .trim()
                .trim_start_matches(['-', '+'])
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.');
            return if numeric && !value.trim().is_empty() {
                RejectionKind::InconsistentAmount
            } else {
                RejectionKind::BadNumber
            };
        }
        if has("0001-01-01") {
            return RejectionKind::BadDate;
        }
        if has(" on or after ") || starts("a date after ") || starts("a time after ") {
            return RejectionKind::EndBeforeStart;
        }
        if has("ISO 4217") {
            return RejectionKind::BadCurrency;
        }
        if starts("an integer >= 1 (1 monthly") || starts("day, week, month or year") {
            return RejectionKind::BadInterval;
        }
        if starts("one of ")
            || starts("`recurring`, `one_time`")
            || starts("new, reactivation")
            || starts("\"")
        {
            return RejectionKind::UnknownValue;
        }
        if starts("an amount >= 0") {
            return RejectionKind::NegativeAmount;
        }
        if has("date") || has("YYYY-MM") || has("timestamp") {
            return RejectionKind::BadDate;
        }
        if has("decimal") || has("integer") || has("number") || starts("an amount") {
            return RejectionKind::BadNumber;
        }
        RejectionKind::Other
    }
}

impl fmt::Display for RejectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
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
    use super::RejectionKind::{self, *};

    /// The rejections of docs/input.md and the CLI transcripts, one of each wording.
    #[test]
    fn each_expectation_has_its_kind() {
        let cases: &[(&str, &str, RejectionKind)] = &[
            ("", "a non-empty customer id", MissingValue),
            ("12,50", "a decimal number >= 0 with at most 6 decimal places (like 1200.00)", BadNumber),
            ("01/02/2024", "a calendar date YYYY-MM-DD that exists", BadDate),
            ("-5.00", "an amount >= 0 (credits and refunds are not recurring revenue)", NegativeAmount),
            ("0", "an integer >= 1 (1 monthly, 3 quarterly, 12 annual), or empty (1)", BadInterval),
            ("2024-02-01", "a date on or after start_date 2024-03-01, or empty", EndBeforeStart),
            ("refund", "`recurring`, `one_time` or empty (recurring)", UnknownValue),
            ("US", "a three-letter ISO 4217 code like USD, or empty for the reporting currency", BadCurrency),
            ("100.00", "unit_amount x quantity = 40.00 x 3 = 120.00 (or an empty amount)", InconsistentAmount),
            ("x", "valid JSON (expected `,` or `}`)", MalformedRecord),
            ("a,b", "3 fields as in the header; the row has 2 (a short row, or an unquoted comma in a value?)", MalformedRecord),
            ("\u{fffd}", "UTF-8 text", MalformedRecord),
            ("\"x", "a closing quote: the quote opened on line 3 is never closed, so this field takes in the rest of the file, to line 5", MalformedRecord),
            ("sub_acme", "each object once: sub_acme is also on line 2 (overlapping pages of an export?); this copy is left out", Duplicate),
            ("1e99", "a Unix timestamp in seconds up to 32503679999 (2999-12-31T23:59:59Z); for no date at all, leave it null", BadDate),
            ("2024-13", "a month YYYY-MM, a quarter YYYY-Qn or a year YYYY", BadDate),
            ("0001-01-01", "a date after 0001-01-01: under --snapshot-date open a date means the end of the day before, and dates start at 0001-01-01", BadDate),
            ("2024-01-10", "a date after service_period_start 2024-01-15 (the first day not covered)", EndBeforeStart),
            ("1706745600", "a time after period.start (1706745600)", EndBeforeStart),
            ("fortnight", "day, week, month or year", BadInterval),
            ("gift", "one of subscription, one_time, proration, credit, refund, tax, usage", UnknownValue),
            ("refund", "\"credit_note\" (a credit note object; refunds go in refunds.json)", UnknownValue),
            ("upgrade", "new, reactivation, expansion, contraction or churn", UnknownValue),
            ("150.00", "discount + tax no larger than amount 100.00", InconsistentAmount),
            ("-10", "the change in MRR, a decimal > 0 for expansion (at most 6 decimal places)", InconsistentAmount),
            ("ten", "the change in MRR, a decimal < 0 for churn (at most 6 decimal places)", BadNumber),
            ("1.5", "an integer >= 0, or empty (1)", BadNumber),
            ("0", "a decimal number > 0 with at most 10 decimal places (the value of 1 unit in the currency fx.csv is quoted in)", BadNumber),
            ("123456789012345678901", "a decimal number >= 0 with at most 6 decimal places (like 1200.00); this one has 20 digits, more than the 18 an amount may have", OutOfRange),
            ("9e30", "an amount small enough to compute with exactly", OutOfRange),
            ("2024-01-01", "at most 100000 billing periods for an item, and period 100001 would start 2243-10-17: check its start_date, its interval and the export's latest timestamp (a live subscription runs on to it)", OutOfRange),
            ("null", "a price object (required)", MissingValue),
            ("", "a subscription id (subscription and proration lines need one)", MissingValue),
            ("", "an amount (the line total) or a unit_amount", MissingValue),
            ("?", "something no rule knows", Other),
        ];
        for (value, expected, kind) in cases {
            assert_eq!(RejectionKind::of(value, expected), *kind, "{expected}");
        }
    }

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
