//! `nrr report`: the period table, the monthly bridge, JSON or CSV.

use crate::args::{resolve, Format, ReportArgs, ReportSettings};
use crate::render;
use nrr_core::assemble::{assemble, Inputs};
use nrr_core::detail::Shown;
use nrr_core::report::Report;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

pub(super) fn run(a: ReportArgs) -> anyhow::Result<ExitCode> {
    let sections = if a.sections.is_empty() {
        render::Sections::default()
    } else {
        render::Sections(a.sections.clone())
    };
    show(
        &resolve::report(&a)?,
        a.format,
        a.output.as_deref(),
        &sections,
    )
}

/// Resolve is done: load, assemble, render.
pub(super) fn show(
    r: &ReportSettings,
    format: Format,
    output: Option<&Path>,
    sections: &render::Sections,
) -> anyhow::Result<ExitCode> {
    if format == Format::Xlsx && output.is_none() && std::io::stdout().is_terminal() {
        return Err(crate::errors::BadFlag {
            flag: "--format xlsx".into(),
            reason: "a workbook is binary: give -o FILE.xlsx (or redirect stdout)".into(),
        }
        .into());
    }
    let rendered = render_formats(r, &[format], sections)?;
    let bytes = rendered.bytes.into_iter().next().unwrap_or_default();
    let t = std::time::Instant::now();
    super::emit_to(output, &bytes)?;
    if let Some((loaded_at, computed_at)) = rendered.timings {
        eprintln!(
            "timings: load {:.3} s, compute {:.3} s, render {:.3} s",
            loaded_at.as_secs_f64(),
            (computed_at - loaded_at).as_secs_f64(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One report in several formats, and what was read for it.
pub(super) struct Rendered {
    /// Its bytes in each format asked for, in order.
    pub bytes: Vec<Vec<u8>>,
    /// The data read.
    pub loaded: nrr_io::Loaded,
    /// `NRR_TIMINGS`: when loading, and computing with rendering, ended.
    timings: Option<(std::time::Duration, std::time::Duration)>,
}

/// Resolve is done: load once, assemble once, render each format.
pub(super) fn render_formats(
    r: &ReportSettings,
    formats: &[Format],
    sections: &render::Sections,
) -> anyhow::Result<Rendered> {
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
    let settings = s.echo(loaded.dataset.currency());
    let config = s.config_shown();
    let inputs = Inputs {
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
        config: config.as_deref(),
        settings: &settings,
    };
    let report = assemble(&inputs)?;
    let detail = |format: Format| -> anyhow::Result<nrr_core::detail::Detail> {
        let shown = match format {
            Format::Xlsx => Shown::Workbook {
                movement_rows: WORKBOOK_MOVEMENT_ROWS,
            },
            _ => Shown::Page { top: DRILL_TOP },
        };
        let detail = nrr_core::detail::detail(&inputs, &report, shown)?;
        bar.step("writing");
        Ok(detail)
    };
    let mut bytes = Vec::with_capacity(formats.len());
    for &format in formats {
        bytes.push(match format {
            Format::Table => table(&report, sections).into_bytes(),
            Format::Json => render::json(&report)?.into_bytes(),
            Format::Csv => nrr_io::write::report_csv(&report)?.into_bytes(),
            Format::Html => nrr_present::html::report(&report, &detail(format)?).into_bytes(),
            Format::Xlsx => workbook(&report, &detail(format)?)?,
        });
    }
    let computed_at = t.elapsed();
    drop(bar);
    Ok(Rendered {
        bytes,
        loaded,
        timings: timings.then_some((loaded_at, computed_at)),
    })
}

/// Customers listed behind each bar of the HTML report and the workbook.
const DRILL_TOP: usize = 50;

/// The most movement rows the workbook lists (its Movements sheet).
#[cfg(feature = "xlsx")]
const WORKBOOK_MOVEMENT_ROWS: usize = nrr_present::xlsx::MOVEMENT_ROWS_MAX;
#[cfg(not(feature = "xlsx"))]
const WORKBOOK_MOVEMENT_ROWS: usize = 0; // no workbook: `workbook` refuses

/// The workbook's bytes.
fn workbook(report: &Report, detail: &nrr_core::detail::Detail) -> anyhow::Result<Vec<u8>> {
    #[cfg(feature = "xlsx")]
    return Ok(nrr_present::xlsx::workbook(report, detail)?);
    #[cfg(not(feature = "xlsx"))]
    {
        let _ = (report, detail);
        Err(crate::errors::BadFlag {
            flag: "--format xlsx".into(),
            reason: "this nrr was built without the `xlsx` feature".into(),
        }
        .into())
    }
}

/// The report as terminal tables, showing `sections`.
fn table(report: &Report, sections: &render::Sections) -> String {
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
