//! `nrr init DATA`: a commented starting `nrr.toml` from what the data shows (its kind, its
//! currencies, customers.csv's columns, its months), every policy at its default with the
//! alternatives named, and the review roles (docs/config.md). Read back, it gives the report
//! of no file at all.

use crate::args::config::{Role, FILE_NAME};
use crate::args::{resolve, ConfigArgs, DataArgs, InitArgs};
use anyhow::Context;
use nrr_core::policy::{InvoicePolicies, Reactivation};
use nrr_io::Loaded;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(super) fn run(a: InitArgs) -> anyhow::Result<ExitCode> {
    let target = match a.output.as_deref() {
        Some(p) if p == Path::new("-") => None,
        Some(p) => Some(p.to_path_buf()),
        None => Some(beside(&a.data)),
    };
    if let Some(path) = &target {
        super::output::refuse_in_book(path, "nrr init")?;
        if path.exists() && !a.force {
            return Err(crate::errors::BadFlag {
                flag: "nrr init".into(),
                reason: format!(
                    "{} exists; pass --force to overwrite it, or -o FILE to write elsewhere",
                    path.display()
                ),
            }
            .into());
        }
    }
    let (loaded, currency) = detect(&a.data)?;
    let text = file_text(&a.data, &loaded, &currency);
    match &target {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => super::emit(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `nrr.toml` in DATA's directory (DATA itself when it is a directory).
fn beside(data: &Path) -> PathBuf {
    if data.is_dir() {
        return data.join(FILE_NAME);
    }
    data.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(FILE_NAME)
}

/// The data read with every setting at its default (no configuration file), and the
/// reporting currency to pin: the data's only one, else USD when the data has it, else the
/// first in alphabetical order.
fn detect(data: &Path) -> anyhow::Result<(Loaded, String)> {
    let read = |currency: Option<String>| -> anyhow::Result<Loaded> {
        let args = DataArgs {
            currency,
            skip_invalid: true,
            config: ConfigArgs {
                config: None,
                no_config: true,
            },
            ..DataArgs::for_dir(data.to_path_buf())
        };
        let settings = resolve::data_only(&args)?;
        super::load_data(&settings, &settings.load_options(true, false, None))
    };
    let loaded = match read(None) {
        Ok(l) => l,
        Err(e) => {
            let found = e
                .chain()
                .find_map(|c| match c.downcast_ref::<nrr_io::IoError>() {
                    Some(nrr_io::IoError::Core(nrr_core::CoreError::AmbiguousCurrency {
                        found,
                    })) => Some(found.clone()),
                    _ => match c.downcast_ref::<nrr_core::CoreError>() {
                        Some(nrr_core::CoreError::AmbiguousCurrency { found }) => {
                            Some(found.clone())
                        }
                        _ => None,
                    },
                });
            let Some(mut found) = found else {
                return Err(e);
            };
            // Rows without a currency are read in the reporting currency: not a choice.
            found.retain(|c| !c.is_empty());
            found.sort();
            let pick = found
                .iter()
                .find(|c| *c == "USD")
                .or(found.first())
                .cloned();
            read(pick)?
        }
    };
    let currency = loaded.dataset.currency().to_string();
    Ok((loaded, currency))
}

/// The revenue input the data was read as, by its first file's name.
fn source_name(loaded: &Loaded) -> &'static str {
    let first = loaded.dataset.files.first().map_or("", String::as_str);
    let kinds = [
        ("subscription_snapshots", "snapshots"),
        ("subscriptions", "stripe"),
        ("invoices", "invoices"),
        ("mrr", "mrr"),
    ];
    kinds
        .iter()
        .find(|(prefix, _)| first.starts_with(prefix))
        .map_or("items", |(_, kind)| kind)
}

/// A TOML string: quotes and backslashes escaped, control characters as `\u` escapes.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The commented file.
fn file_text(data: &Path, loaded: &Loaded, currency: &str) -> String {
    let ds = &loaded.dataset;
    let source = source_name(loaded);
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# nrr.toml: the settings every figure of this data depends on (docs/config.md)."
    );
    let months = ds.default_window.map_or_else(
        || "no months".to_string(),
        |(a, b)| format!("months {a} to {b}"),
    );
    let _ = writeln!(
        t,
        "# Written by `nrr init` from {}: {source} input ({}), {months}.",
        nrr_io::printable(&data.display().to_string()),
        nrr_io::printable(&ds.files.join(", "))
    );
    t.push_str(
        "# A flag on the command line wins over this file, which wins over the preset and the\n\
         # defaults; every report lists each setting with where it came from (JSON `settings`).\n\n",
    );
    t.push_str("# The revenue input: items, mrr, invoices, stripe or snapshots.\n");
    let _ = writeln!(t, "source = {}", quoted(source));
    let _ = writeln!(
        t,
        "# The reporting currency (the data has: {}).",
        ds.currencies
            .iter()
            .filter(|c| !c.is_empty())
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(t, "currency = {}", quoted(currency));
    if source == "stripe" {
        t.push_str("# The zone Stripe timestamps are read in: UTC, +HH:MM, or an IANA zone like Europe/Paris.\n");
        t.push_str("timezone = \"UTC\"\n");
    }
    t.push_str("# First month of the fiscal year, 1-12: quarters and years start there.\n");
    t.push_str("fiscal_year_start = 1\n");
    t.push_str("# The as-of date (--as-of): the day the figures are as of. Default: from the data (the\n# latest invoice or line date not after today). Pin it to close a period for good.\n# as_of = 2025-12-31\n");
    let columns = loaded
        .attributes
        .as_ref()
        .map(|a| a.columns.clone())
        .unwrap_or_default();
    if columns.is_empty() {
        t.push_str("# Cuts of every figure (--segment): product or plan (no customers.csv columns found).\n");
    } else {
        let _ = writeln!(
            t,
            "# Cuts of every figure (--segment): customers.csv's columns, product or plan, e.g.\n# segments = [{}]",
            columns.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(", ")
        );
    }
    t.push_str("segments = []\n");
    t.push_str(
        "# Name a customer carrying more than this share of a period's expansion or churn.\n",
    );
    t.push_str("concentration = \"0.25\"\n");
    t.push_str("# Gross margin for LTV, a fraction (0.8 for 80%).\n");
    t.push_str("gross_margin = \"1\"\n\n");
    policies(&mut t, source);
    t.push_str("\n# The review of a release (`nrr publish`): who signs off, and what they look at.\n[review]\n");
    let _ = writeln!(
        t,
        "roles = [{}]",
        Role::ALL
            .iter()
            .map(|r| quoted(r.name()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    t.push_str("# success reviews churned or contracted accounts above this amount (reporting currency).\n");
    t.push_str("churn_threshold = \"1000\"\n");
    t.push_str(
        "# marketing reviews segments whose NRR or GRR moved more than this (0.05 = 5 points).\n",
    );
    t.push_str("segment_shift_threshold = \"0.05\"\n");
    t
}

/// `[policies]`: every policy at its default, with its alternatives (docs/policies.md).
fn policies(t: &mut String, source: &str) {
    let d = InvoicePolicies::default();
    t.push_str(
        "# The policies (docs/policies.md). A preset sets them as a vendor documents them,\n",
    );
    t.push_str(
        "# the keys below override it: chartmogul, profitwell, baremetrics, stripe, maxio, dbt.\n",
    );
    t.push_str("[policies]\n# preset = \"chartmogul\"\n");
    let invoices = matches!(source, "invoices" | "stripe");
    if !invoices {
        t.push_str(
            "# The lifecycle policies act on invoices and Stripe exports; this input accepts only\n\
             # their defaults.\n",
        );
    }
    let lines = [
        (
            "When a cancelled subscription stops counting: at-period-end, at-cancellation, at-request.",
            "churn_recognition",
            d.churn_recognition.name().to_string(),
        ),
        (
            "Whether discounts come off MRR: all, none (forever-only: Stripe exports).",
            "discounts",
            d.discounts.name().to_string(),
        ),
        (
            "Past-due and unpaid subscriptions: keep:N (days of grace), keep, churn.",
            "past_due",
            d.past_due.name(),
        ),
        (
            "Paused subscriptions: keep, churn, zero (paused and resumed movements).",
            "pauses",
            d.pauses.name().to_string(),
        ),
        (
            "A full refund or credit note of an invoice: ignore, end-service.",
            "full_refunds",
            d.full_refunds.name().to_string(),
        ),
        (
            "A customer returning after months at zero: any-gap, window:N (new after N months), as-expansion.",
            "reactivation",
            Reactivation::default().label(),
        ),
    ];
    for (comment, key, value) in lines {
        let _ = writeln!(t, "# {comment}\n{key} = {}", quoted(&value));
    }
    t.push_str(
        "# What a subscription_snapshots date means: close (MRR at the end of that day), open.\n",
    );
    if source == "snapshots" {
        // Left open: unpinned, a report notes first-of-month dates and the other reading.
        t.push_str("# snapshot_date = \"close\"\n");
    } else {
        t.push_str("snapshot_date = \"close\"\n");
    }
}
