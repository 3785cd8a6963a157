//! `nrr diff` as a terminal table and as CSV (docs/cli.md, `nrr diff`).

use super::{CustomerOut, Diff, SideInfo, Step, STEPS};
use nrr_core::diff::{Dec, Leaf};
use nrr_io::printable;

/// Figures listed in the table (JSON and CSV list all).
const FIGURES_SHOWN: usize = 40;
/// Changed input lines listed per step in the table.
const LINES_SHOWN: usize = 20;

fn leaf(l: &Leaf) -> String {
    match l {
        Leaf::Number(d) => d.to_string(),
        Leaf::Text(t) => printable(t).into_owned(),
        Leaf::Absent => "-".into(),
    }
}

fn part(p: Option<Dec>) -> String {
    p.map_or_else(|| "n/a".into(), Dec::signed)
}

fn side_line(which: &str, s: &SideInfo) -> String {
    let mut line = format!("{which}: {} {}", s.kind, printable(&s.name));
    if let Some(t) = &s.tool {
        line.push_str(&format!(" ({t})"));
    }
    line.push_str(&format!(
        ", read with {}",
        s.config
            .as_deref()
            .map_or_else(|| "no nrr.toml".to_string(), |c| printable(c).into_owned())
    ));
    if !s.window_args.is_empty() {
        line.push_str(&format!(" {}", printable(&s.window_args.join(" "))));
    }
    line
}

/// The table: the sides, each step, the changed figures with their parts, and per step the
/// customers behind it.
pub(super) fn table(d: &Diff, width: usize) -> String {
    let mut out = header(d, width);
    out.push_str(&steps(d, width));
    if d.figures.is_empty() {
        out.push_str("\nno figure changed: A and B give the same report\n");
        return out;
    }
    out.push_str(&figures(d, width));
    out.push_str(&customers(d, width));
    out
}

/// `s` wrapped to `width`, continuation lines indented.
fn wrap(s: &str, width: usize) -> String {
    crate::render::wrap(s, width, "    ")
}

/// The title, each side with its damage, and the order of attribution.
fn header(d: &Diff, width: usize) -> String {
    let mut out = format!(
        "nrr diff ({}): what changed from A to B, by cause\n",
        d.tool
    );
    for (which, side) in [("A", &d.a), ("B", &d.b)] {
        out.push_str(&wrap(&side_line(which, side), width));
        for damage in &side.damage {
            out.push_str(&wrap(
                &format!("  {which} does not verify: {}", printable(damage)),
                width,
            ));
        }
    }
    out.push_str(&wrap(
        "attribution order: tool version (A), settings, FX rates, input rows, tool version (B); each step's part is the figure after it minus the figure before it, so the parts sum exactly to the change (docs/publishing.md)",
        width,
    ));
    out
}

/// The "steps" section: each step's line, then the input lines it changes.
fn steps(d: &Diff, width: usize) -> String {
    let mut out = String::from("\nsteps\n");
    for (s, (_, _, name)) in d.steps.iter().zip(STEPS) {
        out.push_str(&wrap(&step_line(s, name), width));
        for c in &s.changes {
            for l in c.lines.iter().take(LINES_SHOWN) {
                out.push_str(&wrap(
                    &format!("    {} {}: {}", l.change, printable(&l.at), l.text),
                    width,
                ));
            }
            if c.lines.len() > LINES_SHOWN {
                out.push_str(&format!(
                    "    ... and {} more lines of {}\n",
                    c.lines.len() - LINES_SHOWN,
                    printable(&c.file)
                ));
            }
        }
    }
    out
}

/// A step's line: why it was skipped, or what it moved and the files it changes.
fn step_line(s: &Step, name: &str) -> String {
    match &s.skipped {
        Some(why) => format!("  {name}: skipped, {why}"),
        None => {
            let mut l = format!(
                "  {name}: {} figure{} moved, {} customer{} changed",
                s.figures_moved,
                if s.figures_moved == 1 { "" } else { "s" },
                s.customers_changed,
                if s.customers_changed == 1 { "" } else { "s" },
            );
            if s.customers_rows_only > 0 {
                l.push_str(&format!(
                    " (and {} whose input rows changed, not their movements)",
                    s.customers_rows_only
                ));
            }
            for c in &s.changes {
                l.push_str(&format!("; {} {}", printable(&c.file), c.change));
            }
            l
        }
    }
}

/// The changed figures (at most [`FIGURES_SHOWN`]) with a part per step that moved one: as
/// aligned columns, or one block per figure when that is too wide.
fn figures(d: &Diff, width: usize) -> String {
    let active = active_steps(d);
    let mut out = format!(
        "\n{} figure{} changed\n",
        d.figures.len(),
        if d.figures.len() == 1 { "" } else { "s" }
    );
    let rows = figure_rows(d, &active);
    match columns(&rows, width) {
        Some(text) => out.push_str(&text),
        None => out.push_str(&blocks(&rows, &active, width)),
    }
    if d.figures.len() > FIGURES_SHOWN {
        out.push_str(&format!(
            "... and {} more figures (--format json or csv lists all)\n",
            d.figures.len() - FIGURES_SHOWN
        ));
    }
    out
}

/// The steps that moved a figure (the figure table's part columns), by index.
fn active_steps(d: &Diff) -> Vec<usize> {
    (0..5)
        .filter(|&i| {
            d.steps[i].skipped.is_none()
                && d.figures
                    .iter()
                    .any(|f| f.parts.list()[i].is_none_or(|p| !p.is_zero()))
        })
        .collect()
}

/// The figure table's cells: a header row, then one row per figure shown (figure, A, B,
/// change, then the part of each of the `active` steps).
fn figure_rows(d: &Diff, active: &[usize]) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = vec![["figure", "A", "B", "change"]
        .iter()
        .map(|s| s.to_string())
        .chain(active.iter().map(|&i| STEPS[i].2.to_string()))
        .collect()];
    for f in d.figures.iter().take(FIGURES_SHOWN) {
        let parts = f.parts.list();
        rows.push(
            [
                printable(&f.figure).into_owned(),
                leaf(&f.a),
                leaf(&f.b),
                part(f.change),
            ]
            .into_iter()
            .chain(active.iter().map(|&i| part(parts[i])))
            .collect(),
        );
    }
    rows
}

/// `rows` as aligned columns (the first left-aligned, the others right-aligned), or `None`
/// when they are wider than `width`.
fn columns(rows: &[Vec<String>], width: usize) -> Option<String> {
    let cols = rows[0].len();
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let total: usize = widths.iter().sum::<usize>() + 2 * (cols - 1);
    if total > width {
        return None;
    }
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            if c == 0 {
                line.push_str(&format!("{cell:<w$}", w = widths[0]));
            } else {
                line.push_str(&format!("  {cell:>w$}", w = widths[c]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    Some(out)
}

/// The figure rows (header row skipped) as one block per figure: its name, then A -> B
/// (change) and each of the `active` steps' parts, wrapped to `width`.
fn blocks(rows: &[Vec<String>], active: &[usize], width: usize) -> String {
    let mut out = String::new();
    for r in rows.iter().skip(1) {
        out.push_str(&format!("{}\n", r[0]));
        let mut l = format!("  {} -> {} ({})", r[1], r[2], r[3]);
        for (k, &i) in active.iter().enumerate() {
            l.push_str(&format!("; {} {}", STEPS[i].2, r[4 + k]));
        }
        out.push_str(&wrap(&l, width));
    }
    out
}

/// Per step that ran and lists customers (or a note why it cannot): the customers behind
/// it, each with its changed months and input lines.
fn customers(d: &Diff, width: usize) -> String {
    let mut out = String::new();
    for (s, (_, _, name)) in d.steps.iter().zip(STEPS) {
        if s.skipped.is_some() || (s.customers.is_empty() && s.customers_note.is_none()) {
            continue;
        }
        out.push_str(&format!(
            "\ncustomers behind {name} ({} of {}, largest first)\n",
            s.customers.len(),
            s.customers_changed
        ));
        if let Some(n) = &s.customers_note {
            out.push_str(&format!("  {n}\n"));
        }
        for c in &s.customers {
            out.push_str(&customer(c, width));
        }
    }
    out
}

/// One customer behind a step: its id and size of move, its months, its changed input lines.
fn customer(c: &CustomerOut, width: usize) -> String {
    let mut out = wrap(
        &format!(
            "  {} (moved {})",
            printable(&c.change.customer_id),
            c.change.size
        ),
        width,
    );
    for m in &c.change.months {
        out.push_str(&wrap(
            &format!(
                "    {} {}: {} -> {} ({})",
                m.month,
                m.category,
                m.before,
                m.after,
                m.change.signed()
            ),
            width,
        ));
    }
    for l in &c.lines {
        out.push_str(&wrap(
            &format!("    {} {}: {}", l.change, printable(&l.at), l.text),
            width,
        ));
    }
    out
}

/// The CSV: one table, `section` saying what a row is: `figure` (one row per figure and step
/// that moved it: the value before and after the step and the part), `customer` (one row per
/// customer, month and category of a step), `line` (an input line or object a step changes).
pub(super) fn csv(d: &Diff) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    let cell = |s: &str| nrr_io::write::text_cell(s).into_owned();
    for f in &d.figures {
        let parts = f.parts.list();
        for (i, (step, cause, _)) in STEPS.iter().enumerate() {
            if d.steps[i].skipped.is_some() || parts[i].is_some_and(Dec::is_zero) {
                continue;
            }
            w.write_record([
                "figure".to_string(),
                step.to_string(),
                cause.to_string(),
                cell(&f.figure),
                String::new(),
                String::new(),
                String::new(),
                leaf_csv(&f.values[i]),
                leaf_csv(&f.values[i + 1]),
                parts[i].map(|p| p.to_string()).unwrap_or_default(),
                String::new(),
            ])?;
        }
    }
    for s in &d.steps {
        for c in &s.customers {
            for m in &c.change.months {
                let lines: Vec<String> = c.lines.iter().map(|l| l.at.clone()).collect();
                w.write_record([
                    "customer".to_string(),
                    s.step.to_string(),
                    s.cause.to_string(),
                    String::new(),
                    cell(&c.change.customer_id),
                    m.month.clone(),
                    m.category.clone(),
                    m.before.to_string(),
                    m.after.to_string(),
                    m.change.to_string(),
                    cell(&lines.join(" ")),
                ])?;
            }
        }
        for c in &s.changes {
            for l in &c.lines {
                w.write_record([
                    "line".to_string(),
                    s.step.to_string(),
                    s.cause.to_string(),
                    String::new(),
                    cell(l.customer_id.as_deref().unwrap_or_default()),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    l.change.to_string(),
                    cell(&format!("{}: {}", l.at, l.text)),
                ])?;
            }
        }
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("writing the CSV: {e}"))
}

/// The CSV's columns (docs/cli.md).
const COLUMNS: [&str; 11] = [
    "section",
    "step",
    "cause",
    "figure",
    "customer_id",
    "month",
    "category",
    "before",
    "after",
    "change",
    "detail",
];

fn leaf_csv(l: &Leaf) -> String {
    match l {
        Leaf::Number(d) => d.to_string(),
        Leaf::Text(t) => nrr_io::write::text_cell(t).into_owned(),
        Leaf::Absent => String::new(),
    }
}
