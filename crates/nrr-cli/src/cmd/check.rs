//! `nrr check`: validation and the row ledger only.

use crate::args::{CheckArgs, TextFormat};
use crate::render;
use nrr_core::report::RowLedger;
use nrr_io::Rejection;
use serde::Serialize;
use std::process::ExitCode;

/// `nrr check --format json`.
#[derive(Serialize)]
struct CheckReport<'a> {
    currency: &'a str,
    inputs: &'a [String],
    rows: &'a RowLedger,
    rejections: &'a [Rejection],
}

pub fn run(a: CheckArgs) -> anyhow::Result<ExitCode> {
    let opts = nrr_io::LoadOptions {
        currency: a.data.currency.clone(),
        customers: true,
        progress: None,
        source: a.data.source(),
        invoice_policies: a.data.invoice_policies(),
    };
    let loaded = nrr_io::load(&a.data.data, &opts)?;
    let ds = &loaded.dataset;
    let text = match a.format {
        TextFormat::Json => render::json(&CheckReport {
            currency: ds.currency(),
            inputs: &ds.files,
            rows: &ds.ledger,
            rejections: &loaded.rejections,
        })?,
        TextFormat::Table => format!(
            "nrr check: currency {}; inputs: {}\n{}{}",
            ds.currency(),
            ds.files.join(", "),
            render::table::ledger(&ds.ledger),
            super::rejection_lines(&loaded.rejections)
        ),
    };
    super::emit(&text)?;
    if loaded.rejections.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: {} rejected", super::rows(loaded.rejections.len()));
        Ok(ExitCode::from(1))
    }
}
