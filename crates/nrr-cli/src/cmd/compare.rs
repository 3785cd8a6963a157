//! `nrr compare`: the same data under two presets, side by side, and the customers and months
//! behind the difference.

use crate::args::{CompareArgs, DataArgs, TextFormat};
use crate::render;
use nrr_core::compare::{compare, Side};
use nrr_core::engine::{compute, window, Options};
use std::process::ExitCode;

pub fn run(a: CompareArgs) -> anyhow::Result<ExitCode> {
    let [pa, pb] = a.preset[..] else {
        anyhow::bail!(
            "nrr compare needs exactly two presets (--preset A --preset B), got {}",
            a.preset.len()
        );
    };
    let side_args = |preset| DataArgs {
        currency: a.currency.clone(),
        skip_invalid: a.skip_invalid,
        source: a.source,
        preset: Some(preset),
        ..DataArgs::for_dir(a.data.clone())
    };
    let (args_a, args_b) = (side_args(pa), side_args(pb));
    let (loaded_a, skipped_a, bar) = super::load(&args_a, false)?;
    drop(bar);
    let (loaded_b, skipped_b, bar) = super::load(&args_b, false)?;
    drop(bar);
    let options = |args: &DataArgs, skipped| Options {
        skipped_invalid_rows: skipped,
        reactivation: args.reactivation(),
        as_of: args.as_of,
        ..a.window.options()
    };
    let opts_a = options(&args_a, skipped_a);
    // Both sides over side A's window, so that the months line up.
    let (from, to) = window(&loaded_a.dataset, &opts_a)?;
    let opts_a = Options {
        from: Some(from),
        to: Some(to),
        ..opts_a
    };
    let opts_b = Options {
        from: Some(from),
        to: Some(to),
        ..options(&args_b, skipped_b)
    };
    let report = |loaded: &nrr_io::Loaded, opts: &Options, args: &DataArgs| {
        compute(&loaded.dataset, opts).map(|mut r| {
            super::echo_policies(&mut r, args, loaded);
            r
        })
    };
    let report_a = report(&loaded_a, &opts_a, &args_a)?;
    let report_b = report(&loaded_b, &opts_b, &args_b)?;
    let side_a = Side {
        label: args_a.preset_name().unwrap_or("a"),
        dataset: &loaded_a.dataset,
        options: &opts_a,
        report: &report_a,
    };
    let side_b = Side {
        label: args_b.preset_name().unwrap_or("b"),
        dataset: &loaded_b.dataset,
        options: &opts_b,
        report: &report_b,
    };
    let comparison = compare(&side_a, &side_b, a.top)?;
    let text = match a.format {
        TextFormat::Json => render::json(&comparison)?,
        TextFormat::Table => render::table::comparison(&comparison, render::style()),
    };
    super::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}
