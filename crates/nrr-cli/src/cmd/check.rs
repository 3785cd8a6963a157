//! `nrr check`: validation and the row ledger only.

use crate::args::{resolve, CheckArgs, TextFormat};
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
    /// With `--skip-invalid`: the rejected rows a report would leave out (every file's); 0
    /// without the flag.
    skipped_invalid_rows: usize,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notices: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    movement_check: Option<&'a nrr_core::report::MovementCheck>,
}

pub(super) fn run(a: CheckArgs) -> anyhow::Result<ExitCode> {
    let settings = resolve::data_only(&a.data)?;
    let loaded = super::load_data(&settings, &settings.load_options(true, false, None))?;
    let ds = &loaded.dataset;
    let skipped = if settings.skip_invalid {
        loaded.rejections.len()
    } else {
        0
    };
    let text = match a.format {
        TextFormat::Json => render::json_with_settings(
            &CheckReport {
                currency: ds.currency(),
                inputs: &ds.files,
                rows: &ds.ledger,
                rejections: &loaded.rejections,
                skipped_invalid_rows: skipped,
                notices: &ds.notices,
                movement_check: loaded.movement_check.as_ref(),
            },
            settings.config_shown(),
            settings.echo(ds.currency()),
        )?,
        TextFormat::Table => {
            let movements = loaded.movement_check.as_ref();
            format!(
                "nrr check: currency {}; inputs: {}\n{}{}{}{}",
                ds.currency(),
                nrr_io::printable(&ds.files.join(", ")),
                render::table::ledger(&ds.ledger),
                ds.notices
                    .iter()
                    .map(|n| format!("note: {}\n", nrr_io::printable(n)))
                    .collect::<String>(),
                super::rejection_lines(&loaded.rejections),
                movements.map_or_else(String::new, |c| render::movements::section(
                    c,
                    render::style()
                ))
            )
        }
    };
    super::emit(&text)?;
    if loaded.rejections.is_empty() || settings.skip_invalid {
        if !loaded.rejections.is_empty() {
            // As `report --skip-invalid` would: the rows are left out, the run goes on.
            eprintln!(
                "warning: --skip-invalid: {} rejected, skipped; report, explain, cohorts and \
                 compare with --skip-invalid leave them out",
                super::rows(skipped)
            );
        }
        // What `nrr report` would still refuse (a rate missing at a month end, a window too
        // long, amounts too large together) is found by computing the default report, with
        // the same as-of date (given, else found in the data as of today).
        match nrr_core::engine::compute(ds, &settings.options) {
            Ok(_) | Err(nrr_core::CoreError::NoData) => Ok(ExitCode::SUCCESS),
            Err(e) => {
                let err = anyhow::Error::from(e);
                eprintln!(
                    "error: {} (nrr report stops here)",
                    crate::errors::describe(&err)
                );
                Ok(ExitCode::from(super::exit_code_for(&err)))
            }
        }
    } else {
        eprintln!("error: {} rejected", super::rows(loaded.rejections.len()));
        Ok(ExitCode::from(1))
    }
}
