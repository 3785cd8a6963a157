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

/// `nrr report` arguments for `data` read with the configuration `config` (none: no file)
/// and the window flags: how a release's pinned inputs, or data under a release's settings,
/// are read again (`nrr publish`, `nrr verify`, `nrr diff`).
pub(super) fn report_argv(
    data: &Path,
    config: Option<&Path>,
    window_args: &[String],
) -> Vec<std::ffi::OsString> {
    let mut argv: Vec<std::ffi::OsString> = vec!["nrr report".into(), data.into()];
    match config {
        Some(c) => {
            argv.push("--config".into());
            argv.push(c.into());
        }
        None => argv.push("--no-config".into()),
    }
    argv.extend(window_args.iter().map(Into::into));
    argv
}

impl Rendered {
    /// The customer-month movements of the data read, cut as `r` asks, as `nrr movements`
    /// writes them (movements.csv).
    pub(super) fn movements_csv(&self, r: &ReportSettings) -> anyhow::Result<Vec<u8>> {
        let ds = &self.loaded.dataset;
        let cuts = r
            .segments
            .iter()
            .map(|col| nrr_io::segment_spec(ds, self.loaded.attributes.as_ref(), col))
            .collect::<Result<Vec<_>, _>>()?;
        let m = nrr_core::movements::movements(ds, &r.settings.options, &cuts)?;
        let mut csv = Vec::new();
        nrr_io::write::movements_csv(&m, &mut csv)?;
        Ok(csv)
    }
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
    // A workbook alone assembles the report alongside its Movements sheet (`workbook`).
    let assembled;
    let report = if matches!(formats, [Format::Xlsx]) {
        None
    } else {
        assembled = assemble(&inputs)?;
        Some(&assembled)
    };
    let mut bytes = Vec::with_capacity(formats.len());
    for &format in formats {
        if format == Format::Xlsx {
            bytes.push(workbook(&inputs, report, &bar)?);
            continue;
        }
        // Only a workbook alone goes without the report assembled above.
        let Some(report) = report else { continue };
        bytes.push(match format {
            Format::Table => table(report, sections).into_bytes(),
            Format::Json => render::json(report)?.into_bytes(),
            Format::Csv => nrr_io::write::report_csv(report)?.into_bytes(),
            _ => {
                let shown = Shown::Page { top: DRILL_TOP };
                let detail = nrr_core::detail::detail(&inputs, report, shown)?;
                bar.step("writing");
                nrr_present::html::report(report, &detail).into_bytes()
            }
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

/// The workbook's bytes, of `report` when it is assembled already.
///
/// The Movements sheet needs the movement rows, not the report: the rows are made first (a
/// pass over the customers on every thread), then the sheet's cells are written (one thread)
/// while the report is assembled (the others). At a million customers the cells take about
/// as long as the assembly, which so costs the workbook little.
#[cfg(feature = "xlsx")]
fn workbook(
    inputs: &Inputs<'_>,
    report: Option<&Report>,
    bar: &crate::progress::Bar,
) -> anyhow::Result<Vec<u8>> {
    use nrr_present::xlsx;
    let detail = nrr_core::detail::workbook_detail(inputs, xlsx::MOVEMENT_ROWS_MAX)?;
    let bytes = match report {
        Some(report) => {
            let sheet = xlsx::movements_sheet(&detail)?;
            bar.step("writing");
            xlsx::workbook_with(report, &detail, sheet)?
        }
        None => {
            let (report, sheet) =
                rayon::join(|| assemble(inputs), || xlsx::movements_sheet(&detail));
            let report = report?;
            bar.step("writing");
            xlsx::workbook_with(&report, &detail, sheet?)?
        }
    };
    Ok(bytes)
}

/// No workbook without the `xlsx` feature.
#[cfg(not(feature = "xlsx"))]
fn workbook(
    inputs: &Inputs<'_>,
    report: Option<&Report>,
    bar: &crate::progress::Bar,
) -> anyhow::Result<Vec<u8>> {
    let _ = (inputs, report, bar);
    Err(crate::errors::BadFlag {
        flag: "--format xlsx".into(),
        reason: "this nrr was built without the `xlsx` feature".into(),
    }
    .into())
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
