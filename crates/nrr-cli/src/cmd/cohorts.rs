//! `nrr cohorts`: the signup-cohort retention matrix.

use crate::args::{resolve, CohortsArgs, Format};
use crate::render;
use nrr_core::engine::Options;
use std::process::ExitCode;

pub(super) fn run(a: CohortsArgs) -> anyhow::Result<ExitCode> {
    let settings = resolve::settings(&a.data, &a.window);
    let (loaded, skipped, bar) = super::load(&settings, false, false)?;
    let opts = Options {
        skipped_invalid_rows: skipped,
        ..settings.options
    };
    let table = nrr_core::cohort::cohorts(&loaded.dataset, &opts, a.by.into(), a.metric.into())?;
    let text = match a.format {
        Format::Table => render::table::cohorts(&table, render::style()),
        Format::Json => render::json(&table)?,
        Format::Csv => nrr_io::write::cohorts_csv(&table)?,
    };
    drop(bar);
    super::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}
