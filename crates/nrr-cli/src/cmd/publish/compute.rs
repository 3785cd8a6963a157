//! A release's figures: computed from its pinned inputs, found by period, compared with
//! what was published.

use crate::args::{resolve, Format};
use crate::cmd::report::{render_formats, report_argv};
use anyhow::Context;
use nrr_io::book;
use serde::Serialize;
use serde_json::Value;
use std::path::Path;

/// The report of a release's inputs, in the files a release keeps.
pub(super) struct Computed {
    /// The JSON report, parsed.
    pub json: Value,
    /// Its as-of date (`YYYY-MM-DD`), if any.
    pub as_of: Option<String>,
    /// `report.json`, `report.html`, `report.xlsx`, `movements.csv`, `customer_months.csv`
    /// with their bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

/// The configuration a release's inputs pin, if any.
pub(super) fn pinned_config(inputs: &Path) -> Option<std::path::PathBuf> {
    let c = inputs.join("nrr.toml");
    c.is_file().then_some(c)
}

/// Computes the report of a release's `inputs/` (read with its pinned nrr.toml) in every
/// format a release keeps, and its customer-month movements.
pub(super) fn release_report(inputs: &Path, window_args: &[String]) -> anyhow::Result<Computed> {
    let argv = report_argv(inputs, pinned_config(inputs).as_deref(), window_args);
    let args = crate::args::report_args(argv).context("the release's report arguments")?;
    let mut rs = resolve::report(&args)?;
    // The report names its configuration as the release holds it, not where it was staged.
    if rs.settings.config.is_some() {
        rs.settings.config = Some(format!("{}/nrr.toml", book::INPUTS).into());
    }
    let mut formats = vec![Format::Json, Format::Html];
    if cfg!(feature = "xlsx") {
        formats.push(Format::Xlsx);
    }
    let rendered = render_formats(&rs, &formats, &crate::render::Sections::default())?;
    let json: Value = serde_json::from_slice(&rendered.bytes[0]).context("the JSON report")?;
    let as_of = json
        .pointer("/as_of/date")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut files = Vec::new();
    let csv = rendered.movements_csv(&rs)?;
    for (format, bytes) in formats.iter().zip(rendered.bytes) {
        let name = match format {
            Format::Json => "report.json",
            Format::Html => "report.html",
            _ => "report.xlsx",
        };
        files.push((name.to_string(), bytes));
    }
    files.push(("movements.csv".to_string(), csv));
    files.push((
        "customer_months.csv".to_string(),
        customer_months_csv(&rendered.loaded.dataset, &rs.settings.options)?,
    ));
    Ok(Computed { json, as_of, files })
}

/// Customers explained at a time, so the table is written in bounded memory.
const CUSTOMERS_PER_PASS: usize = 10_000;

/// `customer_months.csv`: each customer's MRR at each month's end (at that month's rates)
/// and the month's movement (what `nrr explain` shows), one row per customer and month of the
/// window with MRR, a movement or an FX change; amounts with 2 to 12 decimals, as
/// movements.csv.
fn customer_months_csv(
    ds: &nrr_core::dataset::Dataset,
    opts: &nrr_core::engine::Options,
) -> anyhow::Result<Vec<u8>> {
    const PLACES: u32 = nrr_io::write::MOVEMENT_PLACES;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["customer_id", "month", "mrr", "movement", "amount", "fx"])?;
    // 2 to 12 decimals, as movements.csv writes them.
    let money = |m: nrr_core::money::Money| {
        m.scaled(PLACES).map_or_else(
            || m.to_string_places(PLACES),
            |v| nrr_core::money::trimmed_decimal(v, PLACES),
        )
    };
    let ids: Vec<&str> = ds.customers.iter().collect();
    for chunk in ids.chunks(CUSTOMERS_PER_PASS) {
        for ex in nrr_core::explain::explain_each(ds, opts, chunk)? {
            let id = nrr_io::write::text_cell(&ex.customer_id);
            for m in &ex.months {
                if m.mrr.is_zero() && m.movement.is_none() && m.fx.is_zero() {
                    continue;
                }
                w.write_record([
                    id.as_ref(),
                    &m.month.to_string(),
                    &money(m.mrr),
                    m.movement.map_or("", |v| v.name()),
                    &money(m.amount),
                    &money(m.fx),
                ])?;
            }
        }
    }
    Ok(w.into_inner().map_err(|e| e.into_error())?)
}

/// The JSON report of `data` read with `config` and the window flags (today's tool).
pub(super) fn recompute(
    data: &Path,
    config: Option<&Path>,
    window_args: &[String],
) -> anyhow::Result<Value> {
    let args = crate::args::report_args(report_argv(data, config, window_args))
        .context("the release's report arguments")?;
    let rs = resolve::report(&args)?;
    let rendered = render_formats(&rs, &[Format::Json], &crate::render::Sections::default())?;
    serde_json::from_slice(&rendered.bytes[0]).context("the JSON report")
}

/// The row of `period` in a JSON report: `periods` by label, or `ttm` for `TTM-YYYY-MM`.
pub(super) fn published_figures(report: &Value, period: &str) -> Option<Value> {
    let (list, key, label) = match period.strip_prefix("TTM-") {
        Some(m) => ("ttm", "month", m),
        None => ("periods", "period", period),
    };
    report
        .get(list)?
        .as_array()?
        .iter()
        .find(|row| row.get(key).and_then(Value::as_str) == Some(label))
        .cloned()
}

/// Every period a report can publish.
pub(super) fn period_labels(report: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for row in report
        .get("periods")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(p) = row.get("period").and_then(Value::as_str) {
            out.push(p.to_string());
        }
    }
    for row in report
        .get("ttm")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(m) = row.get("month").and_then(Value::as_str) {
            out.push(format!("TTM-{m}"));
        }
    }
    out
}

/// One line of a period's headline figures.
pub(super) fn figures_line(f: &Value) -> String {
    let s = |k: &str| match f.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => "-".into(),
    };
    format!(
        "  NRR {}, GRR {}, starting MRR {}, expansion {}, contraction {}, churn {}, ending MRR {}\n",
        s("nrr"),
        s("grr"),
        s("starting_mrr"),
        s("expansion"),
        s("contraction"),
        s("churn"),
        s("ending_cohort_mrr")
    )
}

/// One figure that differs between two reports.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Moved {
    /// Where: `periods[2025-Q4].nrr`, `months[2025-11].churn`.
    pub figure: String,
    /// As published (`null`: absent).
    pub published: Value,
    /// As computed now (`null`: absent).
    pub now: Value,
}

/// The report sections that hold figures (not metadata such as paths or the as-of source).
const FIGURE_SECTIONS: [&str; 4] = ["months", "periods", "ttm", "segment_cuts"];

/// Every figure of the figure sections that differs, in report order.
pub(super) fn moved_figures(published: &Value, now: &Value) -> Vec<Moved> {
    let mut out = Vec::new();
    for section in FIGURE_SECTIONS {
        leaves(
            section,
            published.get(section).unwrap_or(&Value::Null),
            now.get(section).unwrap_or(&Value::Null),
            &mut out,
        );
    }
    out
}

/// An array element's label: its period, month, value or segment column, else its index.
fn label(v: &Value, i: usize) -> String {
    for key in ["period", "month", "column", "value", "segment"] {
        if let Some(s) = v.get(key).and_then(Value::as_str) {
            return s.to_string();
        }
    }
    i.to_string()
}

fn leaves(path: &str, a: &Value, b: &Value, out: &mut Vec<Moved>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                leaves(
                    &format!("{path}.{k}"),
                    va,
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
            for (k, vb) in y {
                if !x.contains_key(k) {
                    leaves(&format!("{path}.{k}"), &Value::Null, vb, out);
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            let labelled = |v: &[Value]| -> Vec<(String, Value)> {
                v.iter()
                    .enumerate()
                    .map(|(i, e)| (label(e, i), e.clone()))
                    .collect()
            };
            let (lx, ly) = (labelled(x), labelled(y));
            for (k, va) in &lx {
                let vb = ly
                    .iter()
                    .find(|(l, _)| l == k)
                    .map_or(&Value::Null, |(_, v)| v);
                leaves(&format!("{path}[{k}]"), va, vb, out);
            }
            for (k, vb) in &ly {
                if !lx.iter().any(|(l, _)| l == k) {
                    leaves(&format!("{path}[{k}]"), &Value::Null, vb, out);
                }
            }
        }
        _ if a == b => {}
        _ => out.push(Moved {
            figure: path.to_string(),
            published: a.clone(),
            now: b.clone(),
        }),
    }
}
