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
//! - [`cohort`]: signup-cohort retention matrices (revenue and logos).
//! - [`usage`]: the `--usage` figure, usage revenue per month apart from MRR.
//! - [`benchmarks`]: published NRR figures by ARR band, read against a report (context, not a
//!   grade; `docs/benchmarks.md`).
#![warn(missing_docs)]

mod attribution;
pub mod benchmarks;
pub mod cohort;
pub mod compare;
pub mod customer_map;
pub mod dataset;
pub mod date;
pub mod engine;
pub mod explain;
pub mod foot;
pub mod fx;
pub mod money;
pub mod movements;
pub mod report;
pub mod usage;

use date::Month;

/// Errors from building a dataset or computing a report. Input-row problems are found by the
/// readers (with positions) before data reaches the core; these concern the dataset as a whole.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoreError {
    /// Several currencies and no `--currency`.
    #[error("the data has several currencies ({}); choose the reporting currency with --currency", found.join(", "))]
    AmbiguousCurrency {
        /// Currencies found.
        found: Vec<String>,
    },
    /// Currencies that need a rate into the reporting currency have no rows in fx.csv
    /// (docs/metrics.md §13: which currency fx.csv is quoted in).
    #[error("{}", fx::no_rates_message(file.as_deref(), currencies, reporting, quoted))]
    NoRates {
        /// fx.csv's path, when one was read.
        file: Option<String>,
        /// The currencies without rows, sorted.
        currencies: Vec<String>,
        /// The reporting currency.
        reporting: String,
        /// How fx.csv's base currency was found.
        quoted: fx::Quoted,
    },
    /// Rates the figures need are not in force at some month ends: one entry per currency and
    /// month, sorted.
    #[error("{}", fx::missing_rates_message(file.as_deref(), reporting, missing))]
    MissingRates {
        /// fx.csv's path, when one was read.
        file: Option<String>,
        /// The reporting currency.
        reporting: String,
        /// The currency-months without a rate.
        missing: Vec<fx::MissingRate>,
    },
    /// Exact arithmetic would overflow.
    #[error("amounts, billing intervals and FX rates together need more precision than exact 128-bit arithmetic allows (at most 6 decimals in amounts, 10 in rates, and common intervals are expected)")]
    PrecisionOverflow,
    /// `--from` after `--to`.
    #[error("empty window: --from {from} is after --to {to}")]
    BadWindow {
        /// First month.
        from: Month,
        /// Last month.
        to: Month,
    },
    /// Nothing to report and no window given.
    #[error("no recurring lines to report on (give --from and --to to report an empty window)")]
    NoData,
    /// `explain` for an id not in the data.
    #[error("customer `{0}` has no recurring lines in the data")]
    UnknownCustomer(String),
}
