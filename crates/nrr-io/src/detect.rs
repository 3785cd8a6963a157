//! Which revenue input a data directory holds: detected from file names, or chosen with
//! `--source`; and whether the options given fit it.

use crate::error::{IoError, Misfit};
use crate::options::{check_usage, LoadOptions};
use crate::source::{SnapshotFiles, Source};
use crate::sources::invoices::InvoiceFiles;
use crate::sources::snapshots::{MOVEMENTS, SNAPSHOTS};
use crate::table::display_name;
use nrr_core::dataset::SourceKind;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Base name of the invoices file (`.csv` or `.parquet`).
const INVOICES: &str = "invoices";

/// Base name of the events file read beside the invoices (`.csv` or `.parquet`).
const EVENTS: &str = "subscription_events";

/// The revenue input the load pipeline reads.
pub(crate) enum Chosen {
    /// items or mrr files (the kind forced by `--source`, or detected), in reading order.
    Lines(SourceKind, Vec<PathBuf>),
    /// invoices.csv (or .parquet) and its events file.
    Invoices(InvoiceFiles),
    /// subscription_snapshots and the movements file beside it.
    Snapshots(SnapshotFiles),
    /// Stripe subscriptions and invoices.
    Stripe(crate::sources::stripe::StripeFiles),
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
/// invoice policies and `--snapshot-date` fit it.
pub(crate) fn choose(dir: &Path, opts: &LoadOptions) -> Result<Chosen, IoError> {
    let chosen = detect(dir, opts.source)?;
    if !opts.timezone.is_utc() && !matches!(chosen, Chosen::Stripe(_)) {
        return Err(Misfit::TimezoneForDates { rows: false }.into());
    }
    match &chosen {
        Chosen::Invoices(_) => crate::sources::snapshots::check_reading_for(opts, "invoices.csv")?,
        Chosen::Stripe(_) => crate::sources::snapshots::check_reading_for(opts, "a Stripe export")?,
        Chosen::Snapshots(_) => {
            check_usage(opts, SNAPSHOTS)?;
            crate::sources::invoices::check_for_lines(&opts.invoice_policies, SNAPSHOTS)?
        }
        Chosen::Lines(kind, _) => {
            let input = if dir.is_file() {
                display_name(dir)
            } else if *kind == SourceKind::Mrr {
                "mrr.csv".to_string()
            } else {
                "items.csv".to_string()
            };
            check_usage(opts, &input)?;
            crate::sources::snapshots::check_reading_for(opts, &input)?;
            let policies = opts.explicit_invoice_policies.as_ref();
            crate::sources::invoices::check_for_lines(
                policies.unwrap_or(&opts.invoice_policies),
                &input,
            )?;
        }
    }
    Ok(chosen)
}

/// The items or mrr files [`choose`] would pick in `dir` without `--source` (none for other
/// inputs or when it would fail).
pub(crate) fn line_files(dir: &Path) -> Vec<PathBuf> {
    match detect(dir, None) {
        Ok(Chosen::Lines(_, files)) => files,
        _ => Vec::new(),
    }
}

/// The revenue input of `dir`: a directory, or one revenue file.
fn detect(dir: &Path, forced: Option<Source>) -> Result<Chosen, IoError> {
    if dir.is_file() {
        detect_file(dir, forced)
    } else {
        detect_in_dir(dir, forced)
    }
}

/// The revenue input a single file is: from `--source`, else from its name.
fn detect_file(dir: &Path, forced: Option<Source>) -> Result<Chosen, IoError> {
    let events_beside = |base: &Path| csv_or_parquet(base, EVENTS);
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
        None => crate::sources::stripe::is_subscriptions_file(&name),
    };
    if is_stripe {
        let base = dir.parent().unwrap_or(Path::new("."));
        return Ok(Chosen::Stripe(crate::sources::stripe::StripeFiles::beside(
            dir.to_path_buf(),
            base,
        )?));
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
    let kind = match forced.and_then(lines_kind) {
        Some(k) => k,
        None if name.starts_with("mrr") => SourceKind::Mrr,
        None => SourceKind::Items,
    };
    Ok(Chosen::Lines(kind, vec![dir.to_path_buf()]))
}

/// The revenue input of a directory: the one source whose files are there, or `--source`.
fn detect_in_dir(dir: &Path, forced: Option<Source>) -> Result<Chosen, IoError> {
    let events_beside = |base: &Path| csv_or_parquet(base, EVENTS);
    let all = dir_names(dir)?;
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
                Source::Stripe => crate::sources::stripe::is_subscriptions_file(n),
                Source::Snapshots => stem_is(n, SNAPSHOTS),
            })
            .cloned()
            .collect()
    };
    let present: Vec<Source> = Source::ALL
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
                    expected: Source::all_expected(),
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
        Source::Stripe => Chosen::Stripe(crate::sources::stripe::StripeFiles::beside(
            crate::sources::stripe::json_beside(dir, "subscriptions")?
                .unwrap_or_else(|| dir.join("subscriptions.json")),
            dir,
        )?),
        Source::Snapshots => Chosen::Snapshots(SnapshotFiles {
            snapshots: csv_or_parquet(dir, SNAPSHOTS).unwrap_or_else(|| dir.join(SNAPSHOTS)),
            movements: csv_or_parquet(dir, MOVEMENTS),
        }),
        s => {
            // A CSV and its Parquet twin hold the same rows: Parquet is read when both exist.
            let files = files_of(s);
            let twins: BTreeSet<&str> = files
                .iter()
                .filter_map(|f| f.strip_suffix(".parquet"))
                .collect();
            let files = files
                .iter()
                .filter(|f| !f.strip_suffix(".csv").is_some_and(|s| twins.contains(s)))
                .map(|f| dir.join(f))
                .collect();
            // Only items and mrr remain here.
            Chosen::Lines(lines_kind(s).unwrap_or(SourceKind::Items), files)
        }
    })
}

/// The names of the files in `dir`, sorted.
fn dir_names(dir: &Path) -> Result<Vec<String>, IoError> {
    let io = |source| IoError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io)? {
        all.push(e.map_err(io)?.file_name().to_string_lossy().into_owned());
    }
    all.sort();
    Ok(all)
}

/// A name a revenue table is read from: `.csv`, or `.parquet` with the `parquet` feature.
fn is_data(n: &str) -> bool {
    n.ends_with(".csv") || (cfg!(feature = "parquet") && n.ends_with(".parquet"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of file name the detector accepts, with the source it selects (`.parquet`
    /// only with the `parquet` feature).
    fn accepted() -> Vec<(Source, &'static str)> {
        let mut names = vec![
            (Source::Items, "items.csv"),
            (Source::Items, "items-2024.csv"),
            (Source::Mrr, "mrr.csv"),
            (Source::Mrr, "mrr-2024.csv"),
            (Source::Invoices, "invoices.csv"),
            (Source::Snapshots, "subscription_snapshots.csv"),
            (Source::Stripe, "subscriptions.json"),
            (Source::Stripe, "subscriptions.jsonl"),
        ];
        if cfg!(feature = "parquet") {
            names.extend([
                (Source::Items, "items.parquet"),
                (Source::Items, "items-2024.parquet"),
                (Source::Mrr, "mrr.parquet"),
                (Source::Invoices, "invoices.parquet"),
                (Source::Snapshots, "subscription_snapshots.parquet"),
            ]);
        }
        names
    }

    /// A temporary directory holding one empty file `name`.
    fn dir_with(name: &str) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().expect("temporary directory");
        std::fs::write(tmp.path().join(name), "").expect("writing a file");
        tmp
    }

    fn source_of(chosen: &Chosen) -> Source {
        match chosen {
            Chosen::Lines(SourceKind::Items, _) => Source::Items,
            Chosen::Lines(SourceKind::Mrr, _) => Source::Mrr,
            Chosen::Invoices(_) => Source::Invoices,
            Chosen::Snapshots(_) => Source::Snapshots,
            Chosen::Stripe(_) => Source::Stripe,
        }
    }

    /// `pattern` (`items*.csv`, `invoices.csv`) matches `name`.
    fn matches(pattern: &str, name: &str) -> bool {
        match pattern.split_once('*') {
            Some((head, tail)) => name.starts_with(head) && name.ends_with(tail),
            None => pattern == name,
        }
    }

    /// The patterns of `Source::expected` (`a or b`, `a, b or c`).
    fn patterns(s: Source) -> Vec<&'static str> {
        s.expected()
            .split(" or ")
            .flat_map(|p| p.split(", "))
            .collect()
    }

    #[test]
    fn every_accepted_name_is_detected_alone_and_with_its_source() {
        for (source, name) in accepted() {
            let tmp = dir_with(name);
            let found = detect(tmp.path(), None).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(source_of(&found), source, "{name} alone");
            let forced = detect(tmp.path(), Some(source)).expect("--source");
            assert_eq!(source_of(&forced), source, "{name} with --source");
        }
    }

    /// The names a `--source` error lists cover every name that source is read from.
    #[test]
    fn expected_names_cover_every_accepted_name() {
        for (source, name) in accepted() {
            assert!(
                patterns(source).iter().any(|p| matches(p, name)),
                "{name} is read as {} but `{}` does not name it",
                source.name(),
                source.expected()
            );
        }
        let tmp = tempfile::tempdir().expect("temporary directory");
        for source in Source::ALL {
            let err = detect(tmp.path(), Some(source))
                .err()
                .expect("nothing there");
            assert!(err.to_string().contains(source.expected()), "{err}");
        }
    }

    /// Files beside a revenue input (or near misses of its name) are no revenue input.
    #[test]
    fn other_names_are_no_input() {
        for name in [
            "items.txt",
            "notes.csv",
            "fx.csv",
            "customers.csv",
            "annotations.csv",
            "subscription_events.csv",
            "revenue_movements.csv",
            "invoices.json",
            "invoices-2024.csv",
            "subscriptions.csv",
            "credit_notes.json",
        ] {
            let tmp = dir_with(name);
            match detect(tmp.path(), None) {
                Err(IoError::NoInput { found, .. }) => assert_eq!(found, [name]),
                Err(e) => panic!("{name}: {e}"),
                Ok(c) => panic!("{name} read as {}", source_of(&c).name()),
            }
        }
    }

    /// The "no input found" message lists every name the detector accepts (it once omitted
    /// the items*/mrr* parts, invoices.parquet, subscription_snapshots.parquet and
    /// subscriptions.jsonl).
    #[test]
    fn no_input_message_lists_every_accepted_name() {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let err = detect(tmp.path(), None).err().expect("an empty directory");
        let text = err.to_string();
        for source in Source::ALL {
            for p in patterns(source) {
                assert!(text.contains(p), "`{text}` does not name {p}");
            }
        }
    }
}
