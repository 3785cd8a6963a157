//! `nrr report`: the period table, the monthly bridge, JSON or CSV.

use crate::args::{resolve, Format, ReportArgs, ReportSettings};
use crate::render;
use nrr_core::assemble::{assemble, Inputs};
use nrr_core::report::Report;
use std::process::ExitCode;

pub(super) fn run(a: ReportArgs) -> anyhow::Result<ExitCode> {
    let sections = if a.sections.is_empty() {
        render::Sections::default()
    } else {
        render::Sections(a.sections.clone())
    };
    show(&resolve::report(&a), a.format, &sections)
}

/// Resolve is done: load, assemble, render.
pub(super) fn show(
    r: &ReportSettings,
    format: Format,
    sections: &render::Sections,
) -> anyhow::Result<ExitCode> {
    let timings = std::env::var_os("NRR_TIMINGS").is_some();
    let t = std::time::Instant::now();
    let s = &r.settings;
    let (loaded, skipped, bar) = super::load(s, !r.segments.is_empty(), r.usage)?;
    let loaded_at = t.elapsed();
    let segments = r
        .segments
        .iter()
        .map(|col| nrr_io::segment_spec(&loaded.dataset, loaded.attributes.as_ref(), col))
        .collect::<Result<Vec<_>, _>>()?;
    let (policies, applied) = super::applied(s, &loaded);
    let report = assemble(&Inputs {
        dataset: &loaded.dataset,
        options: &nrr_core::engine::Options {
            skipped_invalid_rows: skipped,
            ..s.options.clone()
        },
        segments: &segments,
        policies: &policies,
        applied,
        preset: s.preset_name(),
        notes: &loaded.notes,
        movement_check: loaded.movement_check.as_ref(),
        usage: r.usage,
    })?;
    let computed_at = t.elapsed();
    let text = render_report(&report, format, sections)?;
    drop(bar);
    super::emit(&text)?;
    if timings {
        eprintln!(
            "timings: load {:.3} s, compute {:.3} s, render {:.3} s",
            loaded_at.as_secs_f64(),
            (computed_at - loaded_at).as_secs_f64(),
            (t.elapsed() - computed_at).as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The report in `format`; the table shows `sections`.
fn render_report(
    report: &Report,
    format: Format,
    sections: &render::Sections,
) -> anyhow::Result<String> {
    Ok(match format {
        Format::Table => {
            let mut t = render::table::report(report, render::style(), sections);
            // Their sentences kept within the width (their tables already fit).
            let fit = |text: String| -> String {
                text.lines()
                    .map(|l| render::wrap(l, render::width(), "  "))
                    .collect()
            };
            if let Some(c) = &report.movement_check {
                t.push_str(&fit(render::movements::section(c, render::style())));
            }
            if let Some(u) = &report.usage {
                t.push_str(&fit(render::usage::section(u, &report.currency)));
            }
            t
        }
        Format::Json => render::json(report)?,
        Format::Csv => nrr_io::write::report_csv(report)?,
    })
}
