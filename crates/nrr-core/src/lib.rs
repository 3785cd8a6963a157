//! `nrr-core`: the pure revenue-retention engine behind the `nrr` command.
//!
//! No file, network or terminal access: readers in `nrr-io` fill a
//! [`dataset::DatasetBuilder`], [`engine::compute`] turns the resulting [`dataset::Dataset`]
//! into a [`report::Report`], and [`explain::explain`] traces one customer. The definitions
//! implemented here are written down in `docs/metrics.md`.
//!
//! - [`date`]: strict `YYYY-MM-DD` / `YYYY-MM` parsing and month arithmetic.
//! - [`money`]: exact integer money ([`money::Scale`], [`money::Money`]).
//! - [`dataset`]: columnar lines, FX rates, the builder.
//! - [`fx`]: the currency fx.csv is quoted in; cross and inverse rates into the reporting
//!   currency.
//! - [`engine`]: monthly movements, frozen-cohort retention, segments.
//! - [`report`]: the serialisable report types (the JSON output's schema).
//! - [`explain`]: one customer's months and the input rows behind them.
//! - [`movements`]: every customer-month movement as a row (the rows behind the bridge).
//! - [`customer_months`]: each customer's MRR per month at several months' rates, the rows of
//!   the SQL view `nrr_customer_month` (the reference of `nrr sql`'s differential test).
//! - [`diff`]: a change of figures split by cause, and the customers behind it (`nrr diff`).
//! - [`cohort`]: signup-cohort retention matrices (revenue and logos).
//! - [`policy`]: every policy choice as one typed value, and the vendor presets.
//! - [`usage`]: the `--usage` figure, usage revenue per month apart from MRR.
//! - [`benchmarks`]: published NRR figures by ARR band, read against a report (context, not a
//!   grade; `docs/benchmarks.md`).
#![warn(missing_docs)]

pub mod assemble;
pub mod benchmarks;
pub mod cohort;
pub mod compare;
pub mod customer_map;
pub mod customer_months;
pub mod dataset;
pub mod date;
pub mod detail;
pub mod diff;
pub mod engine;
pub mod explain;
pub mod foot;
pub mod fx;
pub mod money;
pub mod movements;
pub mod policy;
pub mod report;
pub mod usage;

use date::Month;

/// At most ten currency codes, then how many more.
fn some(found: &[String]) -> String {
    const SHOWN: usize = 10;
    if found.len() <= SHOWN + 2 {
        return found.join(", ");
    }
    format!(
        "{}, ... and {} more",
        found[..SHOWN].join(", "),
        found.len() - SHOWN
    )
}

/// What makes a default window as long as it is ([`CoreError::WindowTooLong`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stretch {
    /// A line starts in the window's first month.
    LineStarts {
        /// The line, `file:line`.
        at: String,
        /// The month it starts in.
        month: Month,
    },
    /// A line starts or ends in the window's last month.
    LineRuns {
        /// The line, `file:line`.
        at: String,
        /// The month it runs to.
        month: Month,
    },
    /// The window ends at the as-of date that was given.
    AsOfGiven(date::Date),
    /// The window ends at the as-of date found in the data (which can be given instead).
    AsOfFound {
        /// The date.
        date: date::Date,
        /// What in the data shows it.
        source: String,
    },
}

impl std::fmt::Display for Stretch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stretch::LineStarts { at, month } => write!(f, "{at} starts in {month}"),
            Stretch::LineRuns { at, month } => write!(f, "{at} runs to {month}"),
            Stretch::AsOfGiven(d) => write!(f, "it ends at the as-of date given, {d}"),
            Stretch::AsOfFound { date, source } => write!(
                f,
                "it ends at the as-of date {date}, {source}, which can be given instead"
            ),
        }
    }
}

/// ` (a; b)`, or nothing.
fn stretches(cause: &Option<Vec<Stretch>>) -> String {
    match cause {
        Some(c) if !c.is_empty() => {
            let parts: Vec<String> = c.iter().map(ToString::to_string).collect();
            format!(" ({})", parts.join("; "))
        }
        _ => String::new(),
    }
}

/// Errors from building a dataset or computing a report. Input-row problems are found by the
/// readers (with positions) before data reaches the core; these concern the dataset as a whole.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoreError {
    /// Several currencies and no reporting currency chosen.
    #[error("the data has {} currencies ({}); choose the reporting currency", if found.len() > 12 { found.len().to_string() } else { "several".to_string() }, some(found))]
    AmbiguousCurrency {
        /// Currencies found.
        found: Vec<String>,
    },
    /// Currencies that need a rate into the reporting currency have no rows in the rates
    /// (docs/metrics.md §13: which currency the rates are quoted in).
    #[error("{}", fx::no_rates_message(file.as_deref(), currencies, reporting, quoted))]
    NoRates {
        /// The rates file as named to the user, when one was read.
        file: Option<String>,
        /// The currencies without rows, sorted.
        currencies: Vec<String>,
        /// The reporting currency.
        reporting: String,
        /// How the rates' base currency was found.
        quoted: fx::Quoted,
    },
    /// Rates the figures need are not in force at some month ends: one entry per currency and
    /// month, sorted.
    #[error("{}", fx::missing_rates_message(file.as_deref(), reporting, missing))]
    MissingRates {
        /// The rates file as named to the user, when one was read.
        file: Option<String>,
        /// The reporting currency.
        reporting: String,
        /// The currency-months without a rate.
        missing: Vec<fx::MissingRate>,
    },
    /// Exact arithmetic would overflow.
    #[error("amounts, billing intervals and FX rates together need more precision than exact 128-bit arithmetic allows (at most 6 decimals in amounts, 10 in rates, and common intervals are expected)")]
    PrecisionOverflow,
    /// One line's amount does not fit exact arithmetic at the dataset's scale.
    #[error("{at}: the amount {amount} cannot be counted exactly together with the other lines (at most {} decimal places and billing intervals {interval_lcm} months in common; amounts up to about 10^18 / (10^places x that)): check the amount, or split the data", money::MAX_AMOUNT_DECIMALS)]
    AmountOverflow {
        /// The line's position, `file:line`.
        at: String,
        /// The amount as read.
        amount: String,
        /// The common multiple of the billing intervals.
        interval_lcm: u64,
    },
    /// The lines' MRR together, converted at the largest rate, does not fit exact 128-bit
    /// arithmetic.
    #[error("the lines' MRR together is too large for exact arithmetic at the largest FX rate; the largest line is {largest}: check its amount and the FX rates")]
    TotalOverflow {
        /// The largest line, `file:line: amount`.
        largest: String,
    },
    /// The window is longer than [`engine::MAX_WINDOW_MONTHS`].
    #[error("the window {from}..{to} is {months} months long; at most {} months are reported{}; choose the first and last months", engine::MAX_WINDOW_MONTHS, stretches(cause))]
    WindowTooLong {
        /// First month.
        from: Month,
        /// Last month.
        to: Month,
        /// Its length.
        months: i64,
        /// What stretches the default window (a line, the as-of date), when it is the
        /// default one; `None` when both months were chosen.
        cause: Option<Vec<Stretch>>,
    },
    /// The chosen first month is after the chosen last month.
    #[error("empty window: the first month {from} is after the last month {to}")]
    BadWindow {
        /// First month.
        from: Month,
        /// Last month.
        to: Month,
    },
    /// Nothing to report and no window given.
    #[error("no recurring lines to report on (choose the first and last months to report an empty window)")]
    NoData,
    /// `explain` for an id not in the data.
    #[error("customer `{0}` has no recurring lines in the data")]
    UnknownCustomer(String),
}
