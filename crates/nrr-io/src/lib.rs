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

mod customer_map;
mod error;
pub mod generate;
mod guard;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(feature = "postgres")]
pub mod postgres;
mod read;
mod source;
mod sources;
mod timezone;
pub mod write;

pub use error::{printable, IoError, Rejection, RejectionKind};
pub use guard::MAX_RECORD_BYTES;
pub use read::{load, revenue_bytes, segment_spec, Attributes, LoadOptions, Loaded, Progress};
pub use source::Source;
pub use sources::invoices;
pub use timezone::Timezone;
// Temporary bridge (issue 10): read.rs, source.rs and postgres.rs still name the source
// readers at their old paths; the load-pipeline restructure redirects them to `sources::`.
use sources::{snapshots, stripe};
