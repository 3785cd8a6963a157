//! Every policy choice in one place: each is one typed value, decided once by the front end
//! (a flag beats a preset beats the default) and echoed in the report from that value.
//! What each one does, with sources, is in docs/policies.md.
//!
//! - [`Reactivation`]: how a returning customer counts (the engine applies it).
//! - [`lifecycle`]: churn recognition, discounts, past due, pauses and full refunds (the
//!   invoice and Stripe readers apply them).
//! - [`SnapshotDate`]: how a subscription snapshot's date is read.
//! - [`presets`]: the combination each vendor documents.

pub mod lifecycle;
pub mod presets;
mod reactivation;
mod snapshot_date;

pub use lifecycle::{ChurnRecognition, Discounts, FullRefunds, InvoicePolicies, PastDue, Pauses};
pub use reactivation::{Reactivation, Start};
pub use snapshot_date::SnapshotDate;

/// The policies of one run, as resolved by the front end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policies {
    /// The lifecycle policies of the invoice and Stripe readers.
    pub invoices: InvoicePolicies,
    /// How a returning customer counts.
    pub reactivation: Reactivation,
    /// How snapshot dates are read.
    pub snapshot_date: SnapshotDate,
}

/// Which policies a run's input applied: the report echoes those only (`report::Policies::echo`) (items.csv has no
/// lifecycle to apply, only subscription_snapshots has snapshot dates).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// The lifecycle policies (invoices.csv and Stripe exports).
    pub lifecycle: bool,
    /// The snapshot-date reading (subscription_snapshots).
    pub snapshot_date: bool,
}
