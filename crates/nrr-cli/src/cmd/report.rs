//! `nrr report`: the period table, the monthly bridge, JSON or CSV.

use crate::args::{Format, ReportArgs};
use crate::render;
use nrr_core::engine::{compute, Options};
use std::process::ExitCode;

pub fn run(a: ReportArgs) -> anyhow::Result<ExitCode> {
    let timings = std::env::var_os("NRR_TIMINGS").is_some();
    let t = std::time::Instant::now();
    let (loaded, skipped, bar) = super::load_with(&a.data, !a.segment.is_empty(), a.usage)?;
    let loaded_at = t.elapsed();
    let spec =
        |col: &String| nrr_io::segment_spec(&loaded.dataset, loaded.attributes.as_ref(), col);
    let opts = Options {
        segment: a.segment.first().map(spec).transpose()?,
        skipped_invalid_rows: skipped,
        reactivation: a.data.reactivation(),
        gross_margin: a.gross_margin,
        concentration: a.concentration,
        top: a.top,
        as_of: a.data.as_of,
        ..a.window.options()
    };
    let mut report = compute(&loaded.dataset, &opts)?;
    // Further cuts: one pass each (the totals they recompute are identical).
    for col in a.segment.iter().skip(1) {
        let more = compute(
            &loaded.dataset,
            &Options {
                segment: Some(spec(col)?),
                ..opts.clone()
            },
        )?;
        report.segment_cuts.extend(more.segments);
    }
    nrr_core::engine::attach_notes(&mut report, &loaded.notes);
    super::echo_policies(&mut report, &a.data, &loaded);
    report.movement_check = loaded.movement_check.clone();
    if a.usage {
        report.usage = Some(nrr_core::usage::usage(
            &loaded.dataset,
            report.window,
            &report.periods,
        )?);
    }
    // Every output shows the same footed cents (docs/metrics.md, "Shown figures foot").
    nrr_core::foot::foot(&mut report);
    let computed_at = t.elapsed();
    let text = match a.format {
        Format::Table => {
            let sections = if a.sections.is_empty() {
                render::Sections::default()
            } else {
                render::Sections(a.sections.clone())
            };
            let mut t = render::table::report(&report, render::style(), &sections);
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
        Format::Json => render::json(&report)?,
        Format::Csv => nrr_io::write::report_csv(&report)?,
    };
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
