//! A release's figures: computed from its pinned inputs, found by period, compared with
//! what was published.

use crate::args::{resolve, Format};
use crate::cmd::report::render_formats;
use anyhow::Context;
use nrr_io::book::{self, Release};
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

/// `nrr report` arguments for `data` read with the configuration `config` (none: no file)
/// and the window flags.
fn report_argv(
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

/// The configuration a release's inputs pin, if any.
fn pinned_config(inputs: &Path) -> Option<std::path::PathBuf> {
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
    for (format, bytes) in formats.iter().zip(rendered.bytes) {
        let name = match format {
            Format::Json => "report.json",
            Format::Html => "report.html",
            _ => "report.xlsx",
        };
        files.push((name.to_string(), bytes));
    }
    let cuts = rs
        .segments
        .iter()
        .map(|col| {
            nrr_io::segment_spec(
                &rendered.loaded.dataset,
                rendered.loaded.attributes.as_ref(),
                col,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let m = nrr_core::movements::movements(&rendered.loaded.dataset, &rs.settings.options, &cuts)?;
    let mut csv = Vec::new();
    nrr_io::write::movements_csv(&m, &mut csv)?;
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

/// A sign-off as `nrr verify` found it.
#[derive(Clone, Debug, Serialize)]
pub(super) struct SignoffCheck {
    pub role: String,
    pub by: String,
    pub at: String,
    /// `unsigned`, `valid (SHA256:...)` or why not.
    pub signature: String,
    pub notes: Vec<String>,
}

/// An input file compared with the release's copy.
#[derive(Clone, Debug, Serialize)]
pub(super) struct InputChange {
    /// Its name in the data (`items.csv`).
    pub file: String,
    /// `changed`, `added` or `removed`.
    pub change: &'static str,
    /// Changed text files: the lines that differ (`removed line 7: ...`, `added line 7: ...`),
    /// at most [`LINES_SHOWN`].
    pub lines: Vec<String>,
    /// How many lines differ in all.
    pub lines_differing: usize,
}

/// Differing lines listed per file.
const LINES_SHOWN: usize = 20;

/// What `nrr verify` found.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Verification {
    /// Everything holds.
    pub ok: bool,
    pub release: String,
    pub period: String,
    pub sha256: String,
    /// `draft` or `final`.
    pub status: &'static str,
    /// The tool that published it, and this one.
    pub published_by: String,
    pub verified_by: String,
    /// Files edited, missing or unexpected; sign-offs that do not hold.
    pub damage: Vec<String>,
    pub signoffs: Vec<SignoffCheck>,
    /// The pinned inputs recomputed with this tool: the figures that differ from the
    /// published report (a tool version change when the tools differ).
    pub recomputed_moved: Vec<Moved>,
    /// With DATA: the input files that differ from the release's copies.
    pub inputs_changed: Option<Vec<InputChange>>,
    /// With DATA: the figures today's data gives that differ from the published ones.
    pub data_moved: Option<Vec<Moved>>,
}

/// Verifies a release; with `data`, against today's data too. What the release itself gets
/// wrong (an edited, missing or unreadable file, a sign-off that does not hold, inputs that no
/// longer compute) is a line of `damage`, never an early error.
pub(super) fn verification(r: &Release, data: Option<&Path>) -> anyhow::Result<Verification> {
    let mut damage: Vec<String> = r.check()?.iter().map(ToString::to_string).collect();
    let roles = match super::roles_of(r) {
        Ok(roles) => roles.iter().map(|r| r.name()).collect::<Vec<_>>(),
        Err(e) => {
            damage.push(format!("inputs/nrr.toml: {e:#}"));
            Vec::new()
        }
    };
    let mut signoffs = Vec::new();
    // An unreadable sign-off is named by `check` above.
    for (role, s) in r.signoffs().unwrap_or_default() {
        if !roles.contains(&role.as_str()) {
            damage.push(format!(
                "signoffs/{role}.json: {role} is not a review role of this release"
            ));
        }
        let signature = if s.signature.is_none() {
            "unsigned".to_string()
        } else {
            match super::sign::verify(&s) {
                Ok(fp) => format!("valid ({fp})"),
                Err(e) => {
                    damage.push(format!("signoffs/{role}.json: {e:#}"));
                    format!("INVALID: {e:#}")
                }
            }
        };
        signoffs.push(SignoffCheck {
            role,
            by: s.by,
            at: s.at,
            signature,
            notes: s.notes,
        });
    }
    let is_final = matches!(r.final_record(), Ok(Some(_)));
    if is_final {
        for role in &roles {
            if !signoffs.iter().any(|s| s.role == *role) {
                damage.push(format!(
                    "final.json: the release is final without a sign-off by {role}"
                ));
            }
        }
    }
    let published: Option<Value> = match r
        .read("report.json")
        .map_err(anyhow::Error::from)
        .and_then(|b| Ok(serde_json::from_slice(&b)?))
    {
        Ok(v) => Some(v),
        Err(e) => {
            damage.push(format!("report.json: unreadable: {e:#}"));
            None
        }
    };
    if let Some(p) = &published {
        damage.extend(manifest_disagreements(r, p));
    }
    let inputs = r.inputs_dir();
    let window = &r.manifest.window_args;
    let config = pinned_config(&inputs);
    let mut recomputed_moved = Vec::new();
    if let Some(p) = &published {
        match recompute(&inputs, config.as_deref(), window) {
            Ok(now) => recomputed_moved = moved_figures(p, &now),
            Err(e) => damage.push(format!("inputs/: no longer computes: {e:#}")),
        }
    }
    let (inputs_changed, data_moved) = match (data, &published) {
        (Some(d), Some(p)) => {
            let today = recompute(d, config.as_deref(), window)?;
            (Some(input_changes(r, d)?), Some(moved_figures(p, &today)))
        }
        _ => (None, None),
    };
    let ok = damage.is_empty()
        && recomputed_moved.is_empty()
        && data_moved.as_ref().is_none_or(Vec::is_empty);
    Ok(Verification {
        ok,
        release: r.id().to_string(),
        period: r.manifest.period.clone(),
        sha256: r.hash.clone(),
        status: if is_final { "final" } else { "draft" },
        published_by: r.manifest.tool.clone(),
        verified_by: format!("nrr {}", env!("CARGO_PKG_VERSION")),
        damage,
        signoffs,
        recomputed_moved,
        inputs_changed,
        data_moved,
    })
}

/// What release.json says against itself and report.json: the period's figures are the
/// report's row, and each input's digest is its copy's.
fn manifest_disagreements(r: &Release, published: &Value) -> Vec<String> {
    let m = &r.manifest;
    let mut out = Vec::new();
    if published_figures(published, &m.period).as_ref() != Some(&m.figures) {
        out.push(format!(
            "release.json: its figures of {} are not report.json's",
            m.period
        ));
    }
    if published.get("rows") != Some(&m.rows) {
        out.push("release.json: its row ledger is not report.json's".to_string());
    }
    let version = published
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or("");
    if m.tool != format!("nrr {version}") {
        out.push(format!(
            "release.json: names the tool {:?}, report.json was computed by nrr {version}",
            m.tool
        ));
    }
    let has_diff = m.files.iter().any(|f| f.path == "diff.json");
    match &m.supersedes {
        Some(s) => {
            if !has_diff {
                out.push("release.json: a restatement without its diff.json".to_string());
            }
            // The superseded release, in the same book.
            let releases = r.dir.parent().unwrap_or(Path::new("."));
            match Release::open(&releases.join(&s.release)) {
                Ok(old) if old.hash == s.hash => {}
                Ok(_) => out.push(format!(
                    "release.json: supersedes {} {}, but that release's hash differs",
                    s.release, s.hash
                )),
                Err(e) => out.push(format!(
                    "release.json: supersedes {}, which the book does not hold intact: {e}",
                    s.release
                )),
            }
        }
        None if has_diff => {
            out.push("release.json: a diff.json but no release it supersedes".to_string())
        }
        None => {}
    }
    for i in &m.inputs {
        let path = format!("{}/{}", book::INPUTS, i.path);
        if !m
            .files
            .iter()
            .any(|f| f.path == path && f.sha256 == i.sha256)
        {
            out.push(format!(
                "release.json: input {} does not match its copy {path}",
                i.path
            ));
        }
    }
    out
}

/// The files of `data` against the release's input copies: by name, then line by line.
fn input_changes(r: &Release, data: &Path) -> anyhow::Result<Vec<InputChange>> {
    let mut out = Vec::new();
    let inputs = r.inputs_dir();
    let names: Vec<&str> = r.manifest.inputs.iter().map(|f| f.path.as_str()).collect();
    for f in &r.manifest.inputs {
        let now = if data.is_file() {
            if Some(f.path.as_str()) == data.file_name().and_then(|n| n.to_str()) {
                data.to_path_buf()
            } else {
                data.parent().unwrap_or(Path::new(".")).join(&f.path)
            }
        } else {
            data.join(&f.path)
        };
        if !now.is_file() {
            out.push(InputChange {
                file: f.path.clone(),
                change: "removed",
                lines: Vec::new(),
                lines_differing: 0,
            });
            continue;
        }
        if book::digest_file(&now, &f.path)?.sha256 == f.sha256 {
            continue;
        }
        let old = std::fs::read(inputs.join(&f.path))?;
        let new = std::fs::read(&now)?;
        let (lines, lines_differing) = line_changes(&old, &new);
        out.push(InputChange {
            file: f.path.clone(),
            change: "changed",
            lines,
            lines_differing,
        });
    }
    if data.is_dir() {
        let mut added = Vec::new();
        collect_names(data, "", &mut added)?;
        for name in added {
            if !names.contains(&name.as_str()) && name != "nrr.toml" {
                out.push(InputChange {
                    file: name,
                    change: "added",
                    lines: Vec::new(),
                    lines_differing: 0,
                });
            }
        }
    }
    Ok(out)
}

fn collect_names(dir: &Path, prefix: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            // A book kept inside the data directory is no input.
            if entry.path().join("releases").is_dir() {
                continue;
            }
            collect_names(&entry.path(), &format!("{prefix}{name}/"), out)?;
        } else {
            out.push(format!("{prefix}{name}"));
        }
    }
    Ok(())
}

/// The lines of `old` not in `new` and of `new` not in `old` (as multisets), with their line
/// numbers: a row changed in place shows as one removed and one added line.
fn line_changes(old: &[u8], new: &[u8]) -> (Vec<String>, usize) {
    use std::collections::HashMap;
    let split = |b: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(b)
            .lines()
            .map(str::to_string)
            .collect()
    };
    let (a, b) = (split(old), split(new));
    fn count(v: &[String]) -> HashMap<&str, usize> {
        let mut m: HashMap<&str, usize> = HashMap::new();
        for l in v {
            *m.entry(l.as_str()).or_default() += 1;
        }
        m
    }
    let (mut ca, mut cb) = (count(&a), count(&b));
    let mut removed = Vec::new();
    for (i, l) in a.iter().enumerate() {
        match cb.get_mut(l.as_str()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => removed.push(format!("removed line {}: {}", i + 1, nrr_io::printable(l))),
        }
    }
    let mut added = Vec::new();
    for (i, l) in b.iter().enumerate() {
        match ca.get_mut(l.as_str()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => added.push(format!("added line {}: {}", i + 1, nrr_io::printable(l))),
        }
    }
    let total = removed.len() + added.len();
    let mut lines: Vec<String> = removed.into_iter().chain(added).collect();
    lines.truncate(LINES_SHOWN);
    (lines, total)
}

/// Figures listed in the text output (the JSON has all).
const FIGURES_SHOWN: usize = 20;

/// `nrr verify` as text.
pub(super) fn verification_text(v: &Verification) -> String {
    let mut s = format!(
        "release {} ({}, {}), sha256 {}\n  published by {}, verified by {}\n",
        v.release,
        v.period,
        v.status,
        v.sha256,
        nrr_io::printable(&v.published_by),
        v.verified_by
    );
    if v.damage.is_empty() {
        s.push_str("files: every file matches release.json\n");
    } else {
        s.push_str("files: the release does not verify\n");
        for d in &v.damage {
            s.push_str(&format!("  {}\n", nrr_io::printable(d)));
        }
    }
    if v.signoffs.is_empty() {
        s.push_str("sign-offs: none\n");
    }
    for so in &v.signoffs {
        s.push_str(&format!(
            "sign-off: {} by {} at {}, {}\n",
            so.role,
            nrr_io::printable(&so.by),
            nrr_io::printable(&so.at),
            nrr_io::printable(&so.signature)
        ));
        for n in &so.notes {
            s.push_str(&format!("  note: {}\n", nrr_io::printable(n)));
        }
    }
    let moved = |s: &mut String, title: &str, list: &[Moved]| {
        if list.is_empty() {
            s.push_str(&format!("{title}: the published figures exactly\n"));
            return;
        }
        s.push_str(&format!("{title}: {} figures moved\n", list.len()));
        for m in list.iter().take(FIGURES_SHOWN) {
            s.push_str(&format!(
                "  {}: published {}, now {}\n",
                nrr_io::printable(&m.figure),
                m.published,
                m.now
            ));
        }
        if list.len() > FIGURES_SHOWN {
            s.push_str(&format!(
                "  ... and {} more (--format json lists all)\n",
                list.len() - FIGURES_SHOWN
            ));
        }
    };
    moved(
        &mut s,
        "the pinned inputs with this tool",
        &v.recomputed_moved,
    );
    if let Some(changes) = &v.inputs_changed {
        if changes.is_empty() {
            s.push_str("today's data: the same input files\n");
        }
        for c in changes {
            s.push_str(&format!(
                "today's data: {} {}{}\n",
                nrr_io::printable(&c.file),
                c.change,
                if c.lines_differing > 0 {
                    format!(" ({} lines differ)", c.lines_differing)
                } else {
                    String::new()
                }
            ));
            for l in &c.lines {
                s.push_str(&format!("  {l}\n"));
            }
        }
    }
    if let Some(list) = &v.data_moved {
        moved(
            &mut s,
            "today's data with the release's configuration",
            list,
        );
    }
    s.push_str(if v.ok { "verified\n" } else { "NOT verified\n" });
    s
}
