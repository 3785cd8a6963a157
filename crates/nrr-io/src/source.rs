//! The kinds of revenue input ([`Source`], chosen with `--source` or detected from the file
//! names) and the file sets a reader is given.

use std::path::PathBuf;

/// A kind of revenue input (`--source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `items*.csv` / `items*.parquet`: recurring lines.
    Items,
    /// `mrr*.csv` / `mrr*.parquet`: MRR per customer and month.
    Mrr,
    /// `invoices.csv` / `.parquet` (with an optional `subscription_events.csv` / `.parquet`):
    /// invoice line items.
    Invoices,
    /// `subscription_snapshots.csv` / `.parquet` (with an optional `revenue_movements` file
    /// beside it): MRR snapshots per account and date.
    Snapshots,
    /// `subscriptions.json` or `.jsonl` (with an optional `invoices.json` or `.jsonl`):
    /// Stripe API objects.
    Stripe,
}

impl Source {
    /// The name used by `--source`.
    pub fn name(self) -> &'static str {
        match self {
            Source::Items => "items",
            Source::Mrr => "mrr",
            Source::Invoices => "invoices",
            Source::Snapshots => "snapshots",
            Source::Stripe => "stripe",
        }
    }

    /// Every source, in the order the detector lists what it found.
    pub(crate) const ALL: [Source; 5] = [
        Source::Items,
        Source::Mrr,
        Source::Invoices,
        Source::Snapshots,
        Source::Stripe,
    ];

    /// Every name any revenue input is read from, for the "no input found" error.
    pub(crate) fn all_expected() -> String {
        let all: Vec<&str> = Source::ALL.iter().map(|s| s.expected()).collect();
        all.join("; ")
    }

    /// The file names this source is read from, as the detector matches them (`items*`: every
    /// `items*.csv` part is read).
    pub(crate) fn expected(self) -> &'static str {
        match self {
            Source::Items => "items*.csv or items*.parquet",
            Source::Mrr => "mrr*.csv or mrr*.parquet",
            Source::Invoices => "invoices.csv or invoices.parquet",
            Source::Snapshots => "subscription_snapshots.csv or subscription_snapshots.parquet",
            Source::Stripe => "subscriptions.json or subscriptions.jsonl",
        }
    }
}

/// The snapshots file and the movements file (if any) beside it.
#[derive(Clone, Debug)]
pub(crate) struct SnapshotFiles {
    pub(crate) snapshots: PathBuf,
    pub(crate) movements: Option<PathBuf>,
}
