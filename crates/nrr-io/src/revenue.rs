//! What a revenue reader hands the load pipeline: the lines read into a builder, the rows
//! rejected, the inputs' names, and what the reader decided about its input.

use crate::error::Rejection;
use crate::options::LoadOptions;
use nrr_core::dataset::DatasetBuilder;
use nrr_core::policy::{InvoicePolicies, SnapshotDate};
use nrr_core::report::MovementCheck;

/// A check that waits for the reporting currency (`None`: the data names none): given it,
/// the load options and the builder's notices, it returns the check of revenue_movements
/// against subscription_snapshots (and puts the snapshots' notice in its place).
pub(crate) type DeferredCheck =
    Box<dyn FnOnce(Option<&str>, &LoadOptions, &mut Vec<String>) -> MovementCheck>;

/// The revenue rows of one input, read; the load pipeline adds the side files and builds
/// the dataset.
pub(crate) struct Revenue {
    /// The lines (and notices) read.
    pub(crate) builder: DatasetBuilder,
    /// The rejected rows of the revenue inputs.
    pub(crate) rejections: Vec<Rejection>,
    /// The revenue inputs in reading order, as the builder's file indices and the rejections
    /// name them.
    pub(crate) names: Vec<String>,
    /// The invoice policies applied (invoices and Stripe input).
    pub(crate) invoice_policies: Option<InvoicePolicies>,
    /// revenue_movements read beside subscription_snapshots, to check against them once the
    /// reporting currency is decided.
    pub(crate) movements: Option<DeferredCheck>,
    /// The snapshot-date reading applied (subscription_snapshots input).
    pub(crate) snapshot_date: Option<SnapshotDate>,
}

impl Revenue {
    /// Rows read from `names` into `builder`, with nothing else decided.
    pub(crate) fn new(
        builder: DatasetBuilder,
        rejections: Vec<Rejection>,
        names: Vec<String>,
    ) -> Revenue {
        Revenue {
            builder,
            rejections,
            names,
            invoice_policies: None,
            movements: None,
            snapshot_date: None,
        }
    }
}
