//! `nrr cohorts`: the signup-cohort retention matrix.

use crate::args::{resolve, CohortFormat, CohortsArgs};
use crate::render;
use nrr_core::engine::Options;
use std::process::ExitCode;

pub(super) fn run(a: CohortsArgs) -> anyhow::Result<ExitCode> {
    let settings = resolve::settings(&a.data, &a.window, &Default::default())?;
    let (loaded, skipped, bar) = super::load(&settings, false, false)?;
    let opts = Options {
        skipped_invalid_rows: skipped,
        ..settings.options.clone()
    };
    let table = nrr_core::cohort::cohorts(&loaded.dataset, &opts, a.by.into(), a.metric.into())?;
    let text = match a.format {
        CohortFormat::Table => render::table::cohorts(&table, render::style()),
        CohortFormat::Json => render::json_with_settings(
            &table,
            settings.config_shown(),
            settings.echo(loaded.dataset.currency()),
        )?,
        CohortFormat::Csv => nrr_io::write::cohorts_csv(&table)?,
        CohortFormat::Html => nrr_present::html::cohorts(std::slice::from_ref(&table)),
    };
    drop(bar);
    super::emit_to(a.output.as_deref(), text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
