//! Which revenue input a data directory holds: detected from file names, or chosen with
//! `--source`.

use crate::error::IoError;
use crate::invoices::InvoiceFiles;
use crate::read::{display_name, LoadOptions};
use crate::snapshots::{MOVEMENTS, SNAPSHOTS};
use nrr_core::dataset::SourceKind;
use std::path::{Path, PathBuf};

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

    fn expected(self) -> &'static str {
        match self {
            Source::Items => "items.csv or items.parquet",
            Source::Mrr => "mrr.csv or mrr.parquet",
            Source::Invoices => "invoices.csv or invoices.parquet",
            Source::Snapshots => "subscription_snapshots.csv or subscription_snapshots.parquet",
            Source::Stripe => "subscriptions.json or subscriptions.jsonl",
        }
    }
}

/// Base name of the invoices file (`.csv` or `.parquet`).
const INVOICES: &str = "invoices";

/// Base name of the events file read beside the invoices (`.csv` or `.parquet`).
const EVENTS: &str = "subscription_events";

/// What [`crate::load`] reads.
pub(crate) enum Chosen {
    /// items or mrr files (the kind forced by `--source`, or detected by `discover`).
    Lines(Option<SourceKind>),
    /// invoices.csv (or .parquet) and its events file.
    Invoices(InvoiceFiles),
    /// subscription_snapshots and the movements file beside it.
    Snapshots(SnapshotFiles),
    /// Stripe subscriptions and invoices.
    Stripe(crate::stripe::StripeFiles),
}

/// The snapshots file and the movements file (if any) beside it.
#[derive(Clone, Debug)]
pub(crate) struct SnapshotFiles {
    pub(crate) snapshots: PathBuf,
    pub(crate) movements: Option<PathBuf>,
}

/// `base`/`stem.parquet` (with the `parquet` feature) or `base`/`stem.csv`, whichever exists.
fn csv_or_parquet(base: &Path, stem: &str) -> Option<PathBuf> {
    let pq = base.join(format!("{stem}.parquet"));
    if cfg!(feature = "parquet") && pq.is_file() {
        return Some(pq);
    }
    let csv = base.join(format!("{stem}.csv"));
    csv.is_file().then_some(csv)
}

fn lines_kind(s: Source) -> Option<SourceKind> {
    match s {
        Source::Items => Some(SourceKind::Items),
        Source::Mrr => Some(SourceKind::Mrr),
        Source::Invoices => None,
        Source::Snapshots => None,
        Source::Stripe => None,
    }
}

/// Picks the revenue input of `dir` (a directory or one revenue file) and checks that the
/// invoice policies fit it.
pub(crate) fn choose(dir: &Path, opts: &LoadOptions) -> Result<Chosen, IoError> {
    let chosen = detect(dir, opts.source)?;
    if !opts.timezone.is_utc() && !matches!(chosen, Chosen::Stripe(_)) {
        return Err(IoError::BadOption {
            option: "--timezone".into(),
            reason: "applies to Stripe exports only (subscriptions.json); other inputs hold \
                     dates, not timestamps"
                .into(),
        });
    }
    match &chosen {
        Chosen::Invoices(_) | Chosen::Stripe(_) => {}
        Chosen::Snapshots(_) => {
            crate::read::check_usage(opts, SNAPSHOTS)?;
            opts.invoice_policies.check_for_lines(SNAPSHOTS)?
        }
        Chosen::Lines(kind) => {
            let input = if dir.is_file() {
                display_name(dir)
            } else if *kind == Some(SourceKind::Mrr) {
                "mrr.csv".to_string()
            } else {
                "items.csv".to_string()
            };
            crate::read::check_usage(opts, &input)?;
            opts.explicit_invoice_policies
                .as_ref()
                .unwrap_or(&opts.invoice_policies)
                .check_for_lines(&input)?;
        }
    }
    Ok(chosen)
}

fn detect(dir: &Path, forced: Option<Source>) -> Result<Chosen, IoError> {
    let events_beside = |base: &Path| csv_or_parquet(base, EVENTS);
    if dir.is_file() {
        let name = display_name(dir);
        let is_invoices = match forced {
            Some(s) => s == Source::Invoices,
            None => name.starts_with("invoices"),
        };
        let is_snapshots = match forced {
            Some(s) => s == Source::Snapshots,
            None => name.starts_with(SNAPSHOTS),
        };
        let is_stripe = match forced {
            Some(s) => s == Source::Stripe,
            None => crate::stripe::is_subscriptions_file(&name),
        };
        if is_stripe {
            let base = dir.parent().unwrap_or(Path::new("."));
            return Ok(Chosen::Stripe(crate::stripe::StripeFiles::beside(
                dir.to_path_buf(),
                base,
            )));
        }
        if is_snapshots {
            let base = dir.parent().unwrap_or(Path::new("."));
            return Ok(Chosen::Snapshots(SnapshotFiles {
                snapshots: dir.to_path_buf(),
                movements: csv_or_parquet(base, MOVEMENTS),
            }));
        }
        if is_invoices {
            let base = dir.parent().unwrap_or(Path::new("."));
            return Ok(Chosen::Invoices(InvoiceFiles {
                invoices: dir.to_path_buf(),
                events: events_beside(base),
            }));
        }
        return Ok(Chosen::Lines(forced.and_then(lines_kind)));
    }
    let entries = std::fs::read_dir(dir).map_err(|source| IoError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut all = Vec::new();
    for e in entries {
        let e = e.map_err(|source| IoError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        all.push(e.file_name().to_string_lossy().into_owned());
    }
    all.sort();
    let is_data =
        |n: &str| n.ends_with(".csv") || (cfg!(feature = "parquet") && n.ends_with(".parquet"));
    // `stem.csv`, or `stem.parquet` with the `parquet` feature.
    let stem_is = |n: &str, stem: &str| {
        n.strip_suffix(".csv")
            .or_else(|| n.strip_suffix(".parquet"))
            == Some(stem)
            && is_data(n)
    };
    let files_of = |s: Source| -> Vec<String> {
        all.iter()
            .filter(|n| match s {
                Source::Items => n.starts_with("items") && is_data(n),
                Source::Mrr => n.starts_with("mrr") && is_data(n),
                Source::Invoices => stem_is(n, INVOICES),
                Source::Stripe => crate::stripe::is_subscriptions_file(n),
                Source::Snapshots => stem_is(n, SNAPSHOTS),
            })
            .cloned()
            .collect()
    };
    let present: Vec<Source> = [
        Source::Items,
        Source::Mrr,
        Source::Invoices,
        Source::Snapshots,
        Source::Stripe,
    ]
    .into_iter()
    .filter(|s| !files_of(*s).is_empty())
    .collect();
    let pick = match forced {
        Some(s) if present.contains(&s) => s,
        Some(s) => {
            return Err(IoError::SourceNotFound {
                dir: dir.to_path_buf(),
                source_name: s.name(),
                expected: s.expected(),
                found: all,
            })
        }
        None => match present.as_slice() {
            [] => {
                return Err(IoError::NoInput {
                    dir: dir.to_path_buf(),
                    found: all,
                })
            }
            [one] => *one,
            several => {
                return Err(IoError::AmbiguousInput {
                    dir: dir.to_path_buf(),
                    found: several.iter().flat_map(|s| files_of(*s)).collect(),
                })
            }
        },
    };
    Ok(match pick {
        Source::Invoices => Chosen::Invoices(InvoiceFiles {
            invoices: csv_or_parquet(dir, INVOICES)
                .unwrap_or_else(|| dir.join(format!("{INVOICES}.csv"))),
            events: events_beside(dir),
        }),
        Source::Stripe => Chosen::Stripe(crate::stripe::StripeFiles::beside(
            ["subscriptions.json", "subscriptions.jsonl"]
                .iter()
                .map(|n| dir.join(n))
                .find(|p| p.is_file())
                .unwrap_or_else(|| dir.join("subscriptions.json")),
            dir,
        )),
        Source::Snapshots => Chosen::Snapshots(SnapshotFiles {
            snapshots: csv_or_parquet(dir, SNAPSHOTS).unwrap_or_else(|| dir.join(SNAPSHOTS)),
            movements: csv_or_parquet(dir, MOVEMENTS),
        }),
        s => Chosen::Lines(lines_kind(s)),
    })
}
