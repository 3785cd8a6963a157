//! `nrr-io`: reading billing data into [`nrr_core`] and writing results.
//!
//! [`load`] reads a data directory (`items.csv`, `mrr.csv` or `invoices.csv` with an optional
//! `subscription_events.csv`, see [`invoices`]; optional `fx.csv` and `customers.csv`; Parquet
//! twins of items and mrr with the `parquet` feature), validates every row, and returns
//! the dataset plus every [`Rejection`] with its file, line, column, value and expectation.
//! Nothing is dropped silently: each row is used, excluded with a counted reason, or rejected.
//!
//! ```no_run
//! let loaded = nrr_io::load(std::path::Path::new("data"), &nrr_io::LoadOptions::default())?;
//! assert!(loaded.rejections.is_empty());
//! let report = nrr_core::engine::compute(&loaded.dataset, &Default::default())?;
//! println!("{}", report.months.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Modules import downward. Leaves: `options`, `rows`, `validate`, `currency`, `revenue`,
//! `source`, `table` (CSV, Parquet and PostgreSQL rows), `side` (fx.csv, customers.csv,
//! annotations.csv, customer_map.csv). The source readers (`sources::{invoices, snapshots,
//! stripe}`) import only leaves. On top, `detect` picks the revenue input and `load` is the one
//! pipeline: detect, read the revenue rows, read the side files, decide the reporting
//! currency, build the dataset.

pub mod book;
mod currency;
mod detect;
mod error;
pub mod generate;
mod guard;
mod load;
mod options;
mod revenue;
mod rows;
mod side;
mod source;
mod sources;
pub mod sql;
mod table;
mod timezone;
mod validate;
pub mod write;

pub use error::{
    found_suffix, is_unsafe_char, printable, unknown_segment_reason, IoError, Misfit, Rejection,
    RejectionKind, StripeObjects, ROW_SHAPES,
};
pub use guard::MAX_RECORD_BYTES;
pub use load::{load, revenue_bytes, Loaded};
pub use options::{LoadOptions, Progress};
pub use side::customers::{segment_spec, Attributes};
pub use source::Source;
pub use sources::invoices;
#[cfg(feature = "parquet")]
pub use table::parquet;
pub use timezone::Timezone;

/// `--postgres URL`: revenue rows from a live PostgreSQL database (see
/// [`PgSource`](postgres::PgSource)), read through the same pipeline as files.
#[cfg(feature = "postgres")]
pub mod postgres {
    pub use crate::table::postgres::{PgQuery, PgSource};

    /// Loads the rows of `pg`; fx.csv, customers.csv and annotations.csv come from `side`
    /// when given. `opts.source` forces the row shape.
    pub fn load(
        pg: &PgSource,
        side: Option<&std::path::Path>,
        opts: &crate::LoadOptions,
    ) -> Result<crate::Loaded, crate::IoError> {
        crate::load::postgres::load(pg, side, opts)
    }
}
