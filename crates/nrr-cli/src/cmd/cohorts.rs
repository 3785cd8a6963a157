//! `nrr cohorts`: the signup-cohort retention matrix.

use crate::args::{CohortsArgs, Format};
use crate::render;
use nrr_core::engine::Options;
use std::process::ExitCode;

pub fn run(a: CohortsArgs) -> anyhow::Result<ExitCode> {
    let (loaded, skipped, bar) = super::load(&a.data, false)?;
    let opts = Options {
        skipped_invalid_rows: skipped,
        reactivation: a.data.reactivation(),
        as_of: a.data.as_of,
        ..a.window.options()
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
