//! How a subscription snapshot's date is read (docs/policies.md#snapshot-dates).

use crate::date::Date;

/// What a `snapshot_date` means (`--snapshot-date`, docs/input.md#subscription_snapshots).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SnapshotDate {
    /// The MRR at the end of that day: the last snapshot dated in a month is that month's MRR
    /// (the default).
    #[default]
    Close,
    /// The MRR at the start of that day, i.e. at the end of the day before: a snapshot dated
    /// 2026-01-01 is December's closing MRR and January's starting cohort.
    Open,
}

impl SnapshotDate {
    /// Parses `close` or `open`.
    pub fn parse(s: &str) -> Option<SnapshotDate> {
        match s {
            "close" => Some(SnapshotDate::Close),
            "open" => Some(SnapshotDate::Open),
            _ => None,
        }
    }

    /// The name echoed in the report's `policies` (`close`, `open`).
    pub fn name(self) -> &'static str {
        match self {
            SnapshotDate::Close => "close",
            SnapshotDate::Open => "open",
        }
    }

    /// The other reading.
    pub fn other(self) -> SnapshotDate {
        match self {
            SnapshotDate::Close => SnapshotDate::Open,
            SnapshotDate::Open => SnapshotDate::Close,
        }
    }

    /// The day at whose end a snapshot dated `date` gives the MRR.
    pub fn day(self, date: Date) -> Date {
        match self {
            SnapshotDate::Close => date,
            SnapshotDate::Open => date.add_days(-1),
        }
    }
}
