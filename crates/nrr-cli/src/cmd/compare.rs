//! `nrr compare`: the same data under two presets, side by side, and the customers and months
//! behind the difference.

use crate::args::{resolve, CompareArgs, Settings, TextFormat};
use crate::render;
use nrr_core::compare::{compare, Side};
use nrr_core::engine::{compute, window, Options};
use nrr_core::report::Report;
use std::process::ExitCode;

pub(super) fn run(a: CompareArgs) -> anyhow::Result<ExitCode> {
    let Some([settings_a, settings_b]) = resolve::compare(&a)? else {
        anyhow::bail!(
            "nrr compare needs exactly two presets (--preset A --preset B), got {}",
            a.preset.len()
        );
    };
    let (loaded_a, skipped_a, bar) = super::load(&settings_a, false, false)?;
    drop(bar);
    let (loaded_b, skipped_b, bar) = super::load(&settings_b, false, false)?;
    drop(bar);
    let opts_a = Options {
        skipped_invalid_rows: skipped_a,
        ..settings_a.options.clone()
    };
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
        skipped_invalid_rows: skipped_b,
        ..settings_b.options.clone()
    };
    let report_a = report(&loaded_a, &opts_a, &settings_a)?;
    let report_b = report(&loaded_b, &opts_b, &settings_b)?;
    let side_a = Side {
        label: settings_a.preset_name().unwrap_or("a"),
        dataset: &loaded_a.dataset,
        options: &opts_a,
        report: &report_a,
    };
    let side_b = Side {
        label: settings_b.preset_name().unwrap_or("b"),
        dataset: &loaded_b.dataset,
        options: &opts_b,
        report: &report_b,
    };
    let comparison = compare(&side_a, &side_b, a.top)?;
    let text = match a.format {
        TextFormat::Json => {
            // Each side's settings: the same file, each its own preset.
            #[derive(serde::Serialize)]
            struct Echoed<'a> {
                #[serde(flatten)]
                comparison: &'a nrr_core::compare::Comparison,
                #[serde(skip_serializing_if = "Option::is_none")]
                config: Option<String>,
                settings: [Vec<nrr_core::report::Setting>; 2],
            }
            render::json(&Echoed {
                comparison: &comparison,
                config: settings_a.config_shown(),
                settings: [
                    settings_a.echo(loaded_a.dataset.currency()),
                    settings_b.echo(loaded_b.dataset.currency()),
                ],
            })?
        }
        TextFormat::Table => render::table::comparison(&comparison, render::style()),
    };
    super::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// One side's figures (unfooted: compare works on the exact cents) with its policies echoed.
fn report(loaded: &nrr_io::Loaded, opts: &Options, settings: &Settings) -> anyhow::Result<Report> {
    let mut report = compute(&loaded.dataset, opts)?;
    let (policies, applied) = super::applied(settings, loaded);
    report.policies = nrr_core::report::Policies::echo(&policies, applied, settings.preset_name());
    Ok(report)
}
