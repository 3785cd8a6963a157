//! What a load is asked to do ([`LoadOptions`]) and how it tells its progress ([`Progress`]).

use crate::error::{IoError, Misfit};
use crate::source::Source;
use crate::timezone::Timezone;

/// Options for [`load`].
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Reporting currency (`--currency`).
    pub currency: Option<String>,
    /// Read and validate customers.csv (needed for segments and by `check`; skipped
    /// otherwise, as no figure depends on it).
    pub customers: bool,
    /// Told how many more bytes of the revenue files have been read (for a progress bar).
    pub progress: Option<Progress>,
    /// The revenue input to read (`--source`); detected from the file names when `None`.
    pub source: Option<Source>,
    /// The rules for invoices.csv (docs/policies.md); other inputs accept only the defaults.
    pub invoice_policies: nrr_core::policy::InvoicePolicies,
    /// `--timezone`: the zone in which Stripe timestamps are read as dates (UTC by default;
    /// Stripe input only).
    pub timezone: Timezone,
    /// The invoice policies given explicitly (the rest at defaults), when `invoice_policies`
    /// also holds a preset's: items.csv and mrr.csv are checked against these, as a preset's
    /// reader policies do not apply to them. `None`: check `invoice_policies`.
    pub explicit_invoice_policies: Option<nrr_core::policy::InvoicePolicies>,
    /// `--usage`: collect usage (metered) charges for the report's separate `usage` figure
    /// (invoices.csv and Stripe exports only; a usage error for other inputs).
    pub usage: bool,
    /// The reactivation rule (`--reactivation`): the revenue_movements check classifies
    /// returns by it, as the report does.
    pub reactivation: nrr_core::policy::Reactivation,
    /// `--snapshot-date`: what a subscription_snapshots date means. `None`: not chosen, read
    /// as `close`, with a notice when every snapshot is dated on the 1st of a month; `open`
    /// is a usage error for other inputs.
    pub snapshot_date: Option<nrr_core::policy::SnapshotDate>,
    /// The as-of date given by the user (`--as-of`): invoice and Stripe subscriptions still
    /// running are read as running to it, instead of to the latest date the data shows.
    pub as_of: Option<nrr_core::date::Date>,
}

/// The usage error for usage charges asked of an input that has no usage lines.
pub(crate) fn check_usage(opts: &LoadOptions, input: &str) -> Result<(), IoError> {
    if opts.usage {
        return Err(Misfit::UsageWithoutUsageLines {
            input: input.to_string(),
        }
        .into());
    }
    Ok(())
}

/// A callback told how many more bytes of input have been read. The sum of all calls for
/// one [`load`] is the total size of the revenue files ([`revenue_bytes`]).
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(u64) + Send + Sync>);

impl Progress {
    pub(crate) fn advance(p: Option<&Progress>, bytes: u64) {
        if let Some(p) = p {
            (p.0)(bytes);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}
