//! `nrr diff A B`: every figure that differs between two releases, or a release and today's
//! data, split by cause in a fixed order (docs/publishing.md, "What changed: nrr diff").
//!
//! The chain of states, each a full recomputation (the pure attribution is
//! [`nrr_core::diff`]):
//!
//! 0. A as stored (a release's report.json and movements.csv; A's recomputation for data);
//! 1. A's inputs, A's nrr.toml and window, computed by this tool (step `tool_version_a`);
//! 2. A's inputs under B's nrr.toml and window (step `settings`);
//! 3. then B's fx.csv in place of A's, in a temporary copy of A's inputs (step `fx_rates`);
//! 4. B's inputs entirely: B recomputed (step `input_rows`);
//! 5. B as stored (step `tool_version_b`).
//!
//! A step whose cause is the same on both sides is skipped: its state is the one before.

mod chain;
mod inputs;
mod render;

use crate::args::{resolve, DiffArgs, DiffFormat, Format};
use crate::cmd::report::render_formats;
use anyhow::Context;
use chain::Chain;
use inputs::{FileMap, InputChange};
use nrr_core::diff::{self as core, CustomerChange, Dec, Leaf, MoveRow};
use nrr_io::book::{Book, Release};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The steps, in the fixed order of attribution: (step, cause, what it changes).
pub(crate) const STEPS: [(&str, &str, &str); 5] = [
    ("tool_version_a", "tool_version", "tool version (A)"),
    ("settings", "settings", "settings"),
    ("fx_rates", "fx_rates", "FX rates"),
    ("input_rows", "input_rows", "input rows"),
    ("tool_version_b", "tool_version", "tool version (B)"),
];

/// One side of a diff.
pub(crate) struct Side {
    /// The release id, or the data path as given.
    label: String,
    /// A release's hash (none while it is being published).
    hash: Option<String>,
    /// The tool that computed a release.
    tool: Option<String>,
    /// A release's pinned window flags; `None` for data.
    window: Option<Vec<String>>,
    /// A release's pinned nrr.toml, if it has one.
    pinned: Option<PathBuf>,
    /// A stored release's files that do not verify (`nrr verify`); empty when intact.
    damage: Vec<String>,
    /// The data directory to read: a release's `inputs/`, or DATA.
    data: PathBuf,
    /// Its input files by name.
    files: FileMap,
    /// A release's stored report and movements; `None` for data, or a release computed just
    /// now (a restatement being published).
    stored: Option<State>,
}

impl Side {
    /// A release of the book.
    pub(crate) fn release(r: &Release) -> anyhow::Result<Side> {
        let report: Value = serde_json::from_slice(&r.read("report.json")?)
            .with_context(|| format!("{}/report.json", r.dir.display()))?;
        let moves = match r.read("movements.csv") {
            Ok(bytes) => Some(
                parse_movements(&bytes)
                    .with_context(|| format!("{}/movements.csv", r.dir.display()))?,
            ),
            Err(_) => None,
        };
        let mut side = Side::fresh(
            r.id(),
            &r.inputs_dir(),
            &r.manifest.window_args,
            Some(r.hash.clone()),
        )?;
        side.tool = Some(r.manifest.tool.clone());
        side.damage = r.check()?.iter().map(ToString::to_string).collect();
        side.stored = Some(State { report, moves });
        Ok(side)
    }

    /// A release being published (`id`, its `inputs/` and window): its report is the one this
    /// tool computes, so it has no tool-version step.
    pub(crate) fn fresh(
        id: &str,
        inputs: &Path,
        window: &[String],
        hash: Option<String>,
    ) -> anyhow::Result<Side> {
        let pinned = inputs.join("nrr.toml");
        Ok(Side {
            label: id.to_string(),
            hash,
            tool: Some(format!("nrr {}", env!("CARGO_PKG_VERSION"))),
            window: Some(window.to_vec()),
            pinned: pinned.is_file().then_some(pinned),
            damage: Vec::new(),
            files: inputs::release_files(inputs)?,
            data: inputs.to_path_buf(),
            stored: None,
        })
    }

    /// A data directory (or one revenue file).
    fn data(path: &Path) -> anyhow::Result<Side> {
        Ok(Side {
            label: path.display().to_string(),
            hash: None,
            tool: None,
            window: None,
            pinned: None,
            damage: Vec::new(),
            files: inputs::data_files(path)?,
            data: path.to_path_buf(),
            stored: None,
        })
    }

    fn is_release(&self) -> bool {
        self.window.is_some()
    }
}

/// A state of the chain: a JSON report and its customer-month movements.
#[derive(Clone)]
struct State {
    report: Value,
    /// `None`: a stored release without movements.csv.
    moves: Option<Vec<MoveRow>>,
}

/// A side as the diff describes it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct SideInfo {
    /// `release` or `data`.
    pub kind: &'static str,
    /// The release id, or the data path as given.
    pub name: String,
    /// A release's hash.
    pub sha256: Option<String>,
    /// The tool that computed a release.
    pub tool: Option<String>,
    /// The nrr.toml it is read with (a release's `inputs/nrr.toml`), or none.
    pub config: Option<String>,
    /// The window flags it is computed with.
    pub window_args: Vec<String>,
    /// A release whose files do not match its release.json: each damage as `nrr verify`
    /// names it (the diff still reads the files as they are). Empty when intact.
    pub damage: Vec<String>,
}

/// One customer behind a step, with the input lines of it that changed.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct CustomerOut {
    #[serde(flatten)]
    pub change: CustomerChange,
    /// Input rows step: this customer's input lines added, removed or changed.
    pub lines: Vec<inputs::LineChange>,
}

/// One step of the chain.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Step {
    /// `tool_version_a`, `settings`, `fx_rates`, `input_rows`, `tool_version_b`.
    pub step: &'static str,
    /// `tool_version`, `settings`, `fx_rates` or `input_rows`.
    pub cause: &'static str,
    /// Why it was skipped (its cause is the same on both sides), or `null`.
    pub skipped: Option<String>,
    /// What the step changes: the files (nrr.toml, fx.csv, inputs) and their lines.
    pub changes: Vec<InputChange>,
    /// How many figures the step moves.
    pub figures_moved: usize,
    /// How many customers' movements the step changes.
    pub customers_changed: usize,
    /// Input rows step: how many customers have input rows that changed while their
    /// movements did not (a segment moved in customers.csv: the segment figures move); they
    /// are listed after the others, with no months.
    pub customers_rows_only: usize,
    /// The largest of them (`--top`), largest first.
    pub customers: Vec<CustomerOut>,
    /// Set when the customers cannot be listed (a stored release without movements.csv).
    pub customers_note: Option<String>,
}

/// The parts of a figure's change, one per step (zero for a skipped step; `null` where the
/// figure is text or absent on a side).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Parts {
    pub tool_version_a: Option<Dec>,
    pub settings: Option<Dec>,
    pub fx_rates: Option<Dec>,
    pub input_rows: Option<Dec>,
    pub tool_version_b: Option<Dec>,
}

/// One figure that changed.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct FigureOut {
    pub figure: String,
    pub a: Leaf,
    pub b: Leaf,
    pub change: Option<Dec>,
    pub parts: Parts,
    /// Every state's value, in step order (A as stored, then after each step).
    #[serde(skip)]
    pub values: Vec<Leaf>,
}

/// `nrr diff --format json`, and a restatement's `diff.json`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Diff {
    /// This tool (`nrr 0.1.0`): the one every recomputation ran with.
    pub tool: String,
    pub a: SideInfo,
    pub b: SideInfo,
    /// The steps in attribution order, always five.
    pub steps: Vec<Step>,
    /// How many figures differ between A and B or move in a step.
    pub figures_changed: usize,
    /// Those figures, in report order.
    pub figures: Vec<FigureOut>,
}

pub(super) fn run(a: DiffArgs) -> anyhow::Result<ExitCode> {
    let book = Book::at(&a.book.book);
    let side_a = open_side(&book, &a.a)?;
    let side_b = open_side(&book, &a.b)?;
    let d = diff(&side_a, &side_b, a.top)?;
    let bytes = match a.format {
        DiffFormat::Json => crate::render::json(&d)?.into_bytes(),
        DiffFormat::Csv => render::csv(&d)?,
        DiffFormat::Table => render::table(&d, crate::render::width()).into_bytes(),
    };
    super::emit_to(a.output.as_deref(), &bytes)?;
    Ok(ExitCode::SUCCESS)
}

/// A release (directory, or id in the book) or a data path.
fn open_side(book: &Book, name: &str) -> anyhow::Result<Side> {
    let path = Path::new(name);
    if path.join(nrr_io::book::MANIFEST).is_file() || !path.exists() {
        let r = book.find(name).map_err(|e| crate::errors::BadFlag {
            flag: format!("nrr diff {}", nrr_io::printable(name)),
            reason: format!("neither a data directory nor a release: {e}"),
        })?;
        return Side::release(&r);
    }
    Side::data(path)
}

/// The effective configuration and window of each side: a release its own; data its own
/// nrr.toml when it has one, else the release's on the other side, with that release's window
/// (the default window when both sides are data).
fn settings_of(me: &Side, other: &Side) -> (Option<PathBuf>, Vec<String>) {
    if let Some(w) = &me.window {
        return (me.pinned.clone(), w.clone());
    }
    let own = crate::args::config::find(None, false, Some(&me.data));
    match &other.window {
        Some(w) => (own.or_else(|| other.pinned.clone()), w.clone()),
        None => (own, Vec::new()),
    }
}

fn info(s: &Side, config: &Option<PathBuf>, window: &[String]) -> SideInfo {
    SideInfo {
        kind: if s.is_release() { "release" } else { "data" },
        name: s.label.clone(),
        sha256: s.hash.clone(),
        tool: s.tool.clone(),
        config: config.as_ref().map(|c| {
            if s.is_release() && Some(c) == s.pinned.as_ref() {
                "inputs/nrr.toml".to_string()
            } else {
                c.display().to_string()
            }
        }),
        window_args: window.to_vec(),
        damage: s.damage.clone(),
    }
}

/// The diff of `a` and `b`, listing at most `top` customers per step.
pub(crate) fn diff(a: &Side, b: &Side, top: usize) -> anyhow::Result<Diff> {
    let (cfg_a, win_a) = settings_of(a, b);
    let (cfg_b, win_b) = settings_of(b, a);
    let (toml_a, toml_b) = (read_config(&cfg_a)?, read_config(&cfg_b)?);

    // 0, 1: A as stored, A recomputed.
    let mut chain = Chain::start(a, compute(&a.data, cfg_a.as_deref(), &win_a)?);
    // 2: settings.
    let changes = setting_changes((&toml_a, &toml_b), (&win_a, &win_b));
    chain.settings(a, changes, cfg_b.as_deref(), &win_b);
    // 3: FX rates.
    let swapped = chain.fx_rates(a, b, cfg_b.as_deref(), &win_b)?;
    // 4: input rows.
    chain.input_rows(&swapped, b, cfg_b.as_deref(), &win_b)?;
    // 5: B as stored.
    chain.tool_version_b(b);

    let Chain { states, mut steps } = chain;
    let leaves: Vec<Vec<(String, Leaf)>> =
        states.iter().map(|s| figure_leaves(&s.report)).collect();
    let figures = core::attribute(&leaves);
    for (i, step) in steps.iter_mut().enumerate() {
        fill_step(step, i, &figures, (&states[i], &states[i + 1]), top)?;
    }
    let figures = figures_out(figures, &steps);
    Ok(Diff {
        tool: format!("nrr {}", env!("CARGO_PKG_VERSION")),
        a: info(a, &cfg_a, &win_a),
        b: info(b, &cfg_b, &win_b),
        steps,
        figures_changed: figures.len(),
        figures,
    })
}

/// The bytes of the nrr.toml at `config`, if any.
fn read_config(config: &Option<PathBuf>) -> anyhow::Result<Option<Vec<u8>>> {
    config
        .as_ref()
        .map(|p| std::fs::read(p).with_context(|| format!("reading {}", p.display())))
        .transpose()
}

/// What differs in the settings of A and B: their nrr.toml files (bytes, `None`: no file)
/// and their window flags.
fn setting_changes(
    toml: (&Option<Vec<u8>>, &Option<Vec<u8>>),
    window: (&[String], &[String]),
) -> Vec<InputChange> {
    let mut changes = Vec::new();
    if toml.0 != toml.1 {
        changes.push(inputs::compare_file(
            "nrr.toml",
            toml.0.as_deref(),
            toml.1.as_deref(),
        ));
    }
    if window.0 != window.1 {
        changes.push(InputChange::window(window.0, window.1));
    }
    changes
}

/// Fills in step `i` of the chain, which leads from `states.0` to `states.1`: its name and
/// cause and, unless skipped, how many `figures` it moves and the customers it changes (at
/// most `top` listed, each with its changed input lines).
fn fill_step(
    step: &mut Step,
    i: usize,
    figures: &[core::FigureChange],
    states: (&State, &State),
    top: usize,
) -> anyhow::Result<()> {
    let (id, cause, _) = STEPS[i];
    step.step = id;
    step.cause = cause;
    if step.skipped.is_some() {
        return Ok(());
    }
    step.figures_moved = figures
        .iter()
        .filter(|f| f.values[i] != f.values[i + 1])
        .count();
    match (&states.0.moves, &states.1.moves) {
        (Some(before), Some(after)) => {
            let mut all = core::customer_changes(before, after)
                .context("customer changes beyond exact 128-bit arithmetic")?;
            step.customers_changed = all.len();
            if cause == "input_rows" {
                let rows_only = rows_only_customers(&step.changes, &all);
                step.customers_rows_only = rows_only.len();
                all.extend(rows_only);
            }
            step.customers = all
                .into_iter()
                .take(top)
                .map(|c| CustomerOut {
                    lines: step
                        .changes
                        .iter()
                        .flat_map(|f| &f.lines)
                        .filter(|l| {
                            cause == "input_rows"
                                && l.customer_id.as_deref() == Some(c.customer_id.as_str())
                        })
                        .cloned()
                        .collect(),
                    change: c,
                })
                .collect();
        }
        _ => {
            step.customers_note =
                Some("the stored release has no movements.csv: no customers listed".into())
        }
    }
    Ok(())
}

/// The customers named by changed input lines (`changes`) that are not among the customers
/// whose movements changed (`moved`), by id: each with size zero and no months.
fn rows_only_customers(changes: &[InputChange], moved: &[CustomerChange]) -> Vec<CustomerChange> {
    let mut ids: Vec<&str> = changes
        .iter()
        .flat_map(|c| &c.lines)
        .filter_map(|l| l.customer_id.as_deref())
        .filter(|id| !moved.iter().any(|m| m.customer_id == *id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .map(|id| CustomerChange {
            customer_id: id.to_string(),
            size: Dec::ZERO,
            months: Vec::new(),
        })
        .collect()
}

/// The figures as the diff lists them: a skipped step's part is zero.
fn figures_out(figures: Vec<core::FigureChange>, steps: &[Step]) -> Vec<FigureOut> {
    figures
        .into_iter()
        .map(|f| {
            let zero_if_skipped = |i: usize| {
                if steps[i].skipped.is_some() {
                    Some(Dec::ZERO)
                } else {
                    f.parts[i]
                }
            };
            FigureOut {
                parts: Parts {
                    tool_version_a: zero_if_skipped(0),
                    settings: zero_if_skipped(1),
                    fx_rates: zero_if_skipped(2),
                    input_rows: zero_if_skipped(3),
                    tool_version_b: zero_if_skipped(4),
                },
                figure: f.figure,
                a: f.a,
                b: f.b,
                change: f.change,
                values: f.values,
            }
        })
        .collect()
}

impl Parts {
    /// The parts in step order.
    pub(crate) fn list(&self) -> [Option<Dec>; 5] {
        [
            self.tool_version_a,
            self.settings,
            self.fx_rates,
            self.input_rows,
            self.tool_version_b,
        ]
    }
}

/// Why an intermediate state (A's inputs under B's settings, or with B's fx.csv) is skipped
/// when it cannot be computed: a setting of B that A's inputs refuse, a currency of A without
/// a rate in B's fx.csv. Its change is then counted in the next step that runs, and the parts
/// still sum to the change.
fn not_computable(e: &anyhow::Error) -> String {
    format!(
        "A's inputs cannot be computed at this step ({}): its change counts in the next step",
        crate::errors::describe(e)
    )
}

/// A restatement's stored diff (`diff.json`): the superseded release against the one being
/// published (`id`, its staged `inputs/` and window flags).
pub(crate) fn restatement(
    old: &Release,
    id: &str,
    inputs: &Path,
    window: &[String],
) -> anyhow::Result<Vec<u8>> {
    let d = diff(
        &Side::release(old)?,
        &Side::fresh(id, inputs, window, None)?,
        RESTATEMENT_TOP,
    )?;
    Ok(nrr_io::book::to_json(&d))
}

/// Customers per step a restatement's diff.json lists.
const RESTATEMENT_TOP: usize = 100;

/// The report and movements of `data` read with `config` (none: no file) and the window
/// flags, computed by this tool.
fn compute(data: &Path, config: Option<&Path>, window: &[String]) -> anyhow::Result<State> {
    let argv = crate::cmd::report::report_argv(data, config, window);
    let args = crate::args::report_args(argv).context("the diff's report arguments")?;
    let rs = resolve::report(&args)?;
    let rendered = render_formats(&rs, &[Format::Json], &crate::render::Sections::default())?;
    let report: Value = serde_json::from_slice(&rendered.bytes[0]).context("the JSON report")?;
    // Written and read back as movements.csv, so a recomputation and a stored release's
    // file are compared at the same precision and with the same spelling of ids.
    let csv = rendered.movements_csv(&rs)?;
    Ok(State {
        report,
        moves: Some(parse_movements(&csv)?),
    })
}

/// The rows of a movements.csv (its month, customer_id, category and amount columns); the
/// `moved_out`/`moved_in` twins of segment moves, which cancel, are left out.
fn parse_movements(bytes: &[u8]) -> anyhow::Result<Vec<MoveRow>> {
    let mut r = csv::Reader::from_reader(bytes);
    let header = r.headers()?.clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("no column {name}"))
    };
    let (m, c, k, a) = (
        col("month")?,
        col("customer_id")?,
        col("category")?,
        col("amount")?,
    );
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec?;
        let field = |i: usize| rec.get(i).unwrap_or_default();
        if matches!(field(k), "moved_out" | "moved_in") {
            continue;
        }
        out.push(MoveRow {
            customer_id: field(c).to_string(),
            month: field(m).to_string(),
            category: field(k).to_string(),
            amount: Dec::parse(field(a))
                .with_context(|| format!("amount {:?} is not a decimal", field(a)))?,
        });
    }
    Ok(out)
}

/// The report sections that hold figures.
const FIGURE_SECTIONS: [&str; 4] = ["months", "periods", "ttm", "segment_cuts"];

/// Every figure of a JSON report as (path, value), in report order.
fn figure_leaves(report: &Value) -> Vec<(String, Leaf)> {
    let mut out = Vec::new();
    for section in FIGURE_SECTIONS {
        if let Some(v) = report.get(section) {
            walk(section, v, &mut out);
        }
    }
    out
}

/// An array element's label: its period, month, column, value, segment or customer, else its
/// index (so a customer entering a top list is a figure that appears, not a shifted index).
fn label(v: &Value, i: usize) -> String {
    for key in [
        "period",
        "month",
        "column",
        "value",
        "segment",
        "customer_id",
    ] {
        if let Some(s) = v.get(key).and_then(Value::as_str) {
            return s.to_string();
        }
    }
    i.to_string()
}

fn walk(path: &str, v: &Value, out: &mut Vec<(String, Leaf)>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                walk(&format!("{path}.{k}"), x, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                walk(&format!("{path}[{}]", label(x, i)), x, out);
            }
        }
        Value::Null => out.push((path.to_string(), Leaf::Absent)),
        Value::String(s) => out.push((
            path.to_string(),
            Dec::parse(s).map_or_else(|| Leaf::Text(s.clone()), Leaf::Number),
        )),
        Value::Number(n) => {
            let s = n.to_string();
            out.push((
                path.to_string(),
                Dec::parse(&s).map_or(Leaf::Text(s), Leaf::Number),
            ));
        }
        Value::Bool(b) => out.push((path.to_string(), Leaf::Text(b.to_string()))),
    }
}
