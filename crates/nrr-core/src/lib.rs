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
pub mod money;
pub mod movements;
pub mod report;
pub mod usage;

use date::{Date, Month};

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
    /// A rate needed for conversion is not in fx.csv.
    #[error("no exchange rate for `{currency}`{}: add rows for it to fx.csv", date.map(|d| format!(" in force on {d}")).unwrap_or_default())]
    NoRate {
        /// The currency.
        currency: String,
        /// The day a rate was needed, when known.
        date: Option<Date>,
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
