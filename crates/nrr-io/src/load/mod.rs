//! The load pipeline, written once for every input: detect the revenue input, read its rows,
//! read the side files, decide the reporting currency, and build the dataset.
//!
//! Files go through [`load`]; PostgreSQL rows through [`postgres::load`], which hands them
//! to the same readers and the same [`finish`].

#[cfg(feature = "postgres")]
pub(crate) mod postgres;

use crate::detect::{choose, line_files, Chosen};
use crate::error::{IoError, Rejection};
use crate::options::LoadOptions;
use crate::revenue::Revenue;
use crate::side::customers::Attributes;
use crate::table::display_name;
use nrr_core::dataset::{Dataset, DatasetBuilder, SourceKind};
use std::path::{Path, PathBuf};

/// A loaded data directory.
#[derive(Debug)]
pub struct Loaded {
    /// The validated dataset (rejected rows left out).
    pub dataset: Dataset,
    /// Every rejected row of every file, in file order.
    pub rejections: Vec<Rejection>,
    /// customers.csv, if present.
    pub attributes: Option<Attributes>,
    /// annotations.csv, if present: notes shown beside periods and customer explanations.
    pub notes: nrr_core::report::Notes,
    /// The policies applied, when the input was invoices.csv (for the report's `policies`).
    pub invoice_policies: Option<nrr_core::policy::InvoicePolicies>,
    /// revenue_movements checked against subscription_snapshots, when both were read.
    pub movement_check: Option<nrr_core::report::MovementCheck>,
    /// customer_map.csv, when present: the ids merged (`nrr explain` shows them).
    pub customer_map: Option<nrr_core::customer_map::CustomerMap>,
    /// The snapshot-date reading applied, when the input was subscription_snapshots (for the
    /// report's `policies`).
    pub snapshot_date: Option<nrr_core::policy::SnapshotDate>,
}

/// Total size in bytes of the revenue files [`load`] would read from `dir`.
pub fn revenue_bytes(dir: &Path) -> u64 {
    line_files(dir)
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum()
}

/// Loads a data directory (or a single revenue file): every row used, excluded with a
/// reason, or rejected with its position.
pub fn load(dir: &Path, opts: &LoadOptions) -> Result<Loaded, IoError> {
    let base = if dir.is_file() {
        dir.parent().unwrap_or(Path::new("."))
    } else {
        dir
    };
    let revenue = match choose(dir, opts)? {
        Chosen::Invoices(inv) => read_invoices(opts, |opts, builder, rejections| {
            crate::sources::invoices::read(&inv, opts, builder, rejections)?;
            Ok(inv.paths().iter().map(|p| display_name(p)).collect())
        })?,
        Chosen::Snapshots(sf) => crate::sources::snapshots::load_files(&sf, opts)?,
        Chosen::Stripe(sf) => crate::sources::stripe::load_files(&sf, opts)?,
        Chosen::Lines(kind, files) => read_line_files(kind, &files, opts)?,
    };
    finish(revenue, Some(base), opts)
}

/// Reads items or mrr files (CSV or Parquet) in order.
fn read_line_files(
    kind: SourceKind,
    files: &[PathBuf],
    opts: &LoadOptions,
) -> Result<Revenue, IoError> {
    let mut builder = DatasetBuilder::new(kind);
    let mut rejections = Vec::new();
    let progress = opts.progress.as_ref();
    for f in files {
        if f.extension().is_some_and(|e| e == "parquet") {
            #[cfg(feature = "parquet")]
            crate::table::parquet::read_lines_parquet(
                f,
                kind,
                &mut builder,
                &mut rejections,
                progress,
            )?;
            #[cfg(not(feature = "parquet"))]
            return Err(IoError::Parquet {
                path: f.clone(),
                message: "this nrr was built without the `parquet` feature".into(),
            });
        } else {
            crate::table::parallel::read_lines_csv(
                f,
                kind,
                &mut builder,
                &mut rejections,
                progress,
            )?;
        }
    }
    let names = files.iter().map(|f| display_name(f)).collect();
    Ok(Revenue::new(builder, rejections, names))
}

/// `forever-only` discounts that come from a preset (`--preset stripe`), not from the command
/// line, become `all` for invoices.csv, which cannot tell how long a discount lasts (the
/// report's `policies` then says `all`); given explicitly, they stay and are refused there.
fn for_invoices(opts: &LoadOptions) -> LoadOptions {
    use crate::sources::invoices::Discounts;
    let mut o = opts.clone();
    let explicit = opts.explicit_invoice_policies.map(|p| p.discounts);
    if o.invoice_policies.discounts == Discounts::ForeverOnly
        && explicit.is_some_and(|d| d != Discounts::ForeverOnly)
    {
        o.invoice_policies.discounts = Discounts::All;
    }
    o
}

/// What every reader of invoice rows (files, PostgreSQL) does around `read` (which returns
/// the inputs' names): a preset's discounts made fit for invoices ([`for_invoices`]), and the
/// invoice policies used reported with the figures.
fn read_invoices(
    opts: &LoadOptions,
    read: impl FnOnce(
        &LoadOptions,
        &mut DatasetBuilder,
        &mut Vec<Rejection>,
    ) -> Result<Vec<String>, IoError>,
) -> Result<Revenue, IoError> {
    let opts = &for_invoices(opts);
    let mut builder = DatasetBuilder::new(SourceKind::Items);
    let mut rejections = Vec::new();
    let names = read(opts, &mut builder, &mut rejections)?;
    let mut revenue = Revenue::new(builder, rejections, names);
    revenue.invoice_policies = Some(opts.invoice_policies);
    Ok(revenue)
}

/// What every revenue input ends with: the side files from `base` (none without a base),
/// the rejections in reading order (revenue inputs in order, then fx.csv, customers.csv,
/// annotations.csv and customer_map.csv), the reporting currency decided once (and handed to
/// the revenue_movements check and to the core), and the dataset built (which fails once for
/// currencies without rates, not row by row).
pub(crate) fn finish(
    revenue: Revenue,
    base: Option<&Path>,
    opts: &LoadOptions,
) -> Result<Loaded, IoError> {
    let Revenue {
        mut builder,
        mut rejections,
        names,
        invoice_policies,
        movements,
        snapshot_date,
    } = revenue;
    let side = crate::side::read(base, opts.customers, &mut builder, &mut rejections)?;
    let rank = |file: &str| {
        names
            .iter()
            .position(|f| f == file)
            .unwrap_or_else(|| crate::side::rank(file, names.len()))
    };
    rejections.sort_by_key(|r| (rank(&r.file), r.line));
    let reporting = crate::currency::decide(opts, &builder)?;
    let movement_check =
        movements.map(|check| check(reporting.named(), opts, &mut builder.notices));
    let dataset = builder.finish(&reporting)?;
    Ok(Loaded {
        dataset,
        rejections,
        attributes: side.attributes,
        notes: side.notes,
        invoice_policies,
        movement_check,
        customer_map: side.customer_map,
        snapshot_date,
    })
}

/// Stripe objects through the whole pipeline (the Stripe reader's tests).
#[cfg(test)]
pub(crate) fn stripe_input(
    input: &crate::sources::stripe::StripeInput,
    side: Option<&Path>,
    opts: &LoadOptions,
) -> Result<Loaded, IoError> {
    finish(crate::sources::stripe::load_input(input, opts)?, side, opts)
}
