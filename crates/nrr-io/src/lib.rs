//! `nrr-io`: reading billing data into [`nrr_core`] and writing results.
//!
//! [`load`] reads a data directory (`items.csv` or `mrr.csv`, optional `fx.csv` and
//! `customers.csv`; Parquet twins with the `parquet` feature), validates every row, and returns
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

mod error;
pub mod generate;
#[cfg(feature = "parquet")]
pub mod parquet;
mod read;
pub mod write;

pub use error::{IoError, Rejection};
pub use read::{load, revenue_bytes, segment_spec, Attributes, LoadOptions, Loaded, Progress};
