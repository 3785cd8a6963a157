//! Every command that README.md and docs/*.md show runs here, and so do the examples of
//! `nrr --help` and of every subcommand's `--help`: the docs cannot drift from the program.
//!
//! The conventions (trycmd's markdown format, without its dependencies), for fenced blocks:
//!
//! - ` ```console `: a transcript. A line `$ nrr ...` is a command (a line ending in `\`
//!   continues it); an optional next line `? N` (or `? failed`) is the exit code it must end
//!   with (0 when absent); the lines up to the next `$ ` line are its expected output, standard
//!   output and standard error as they interleave. A line `...` stands for any number of
//!   lines (none included) and `[..]` for any text within one line. Trailing blank lines and
//!   trailing spaces do not count.
//! - ` ```sh `: commands whose output is not shown; each must exit 0. Blank lines and `#`
//!   comments are skipped, a trailing `\` continues a command. A command is an `nrr` command,
//!   or a shell loop over one (`for r in a b; do nrr ... $r; done`).
//! - An HTML comment on the line before the fence gives a directive:
//!   `<!-- docs-test: skip: REASON -->` does not run the block (a reason is required:
//!   a synopsis, a command that needs a PostgreSQL server); `<!-- docs-test: file: PATH -->`
//!   requires the block to equal the repository file PATH (example input files stay the
//!   files the text walks through).
//! - Any other block (```csv, ```json, plain) is not run, and may not hold an `nrr` command:
//!   a command shown must run, or say why not.
//!
//! Commands run through `sh -c` (so `> report.json` and quotes work) with the built `nrr` first
//! on `PATH`, `NO_COLOR=1`, no `COLUMNS`, in a fresh directory per markdown file where the
//! blocks run in order (a block may use the data an earlier one generated). That directory
//! links `tests` and `docs` to the repository's, so `tests/fixtures/...` and `docs/examples/...`
//! paths work as written.
//!
//! **Regenerating the outputs.** After an intended change of output, run
//! `NRR_BLESS_DOCS=1 cargo test -p nrr-cli --test cli docs_examples`: every console block's
//! expected output is rewritten in place from the actual output, and every `file:` block from
//! its file. An excerpt (a block with `...`) keeps its shape where it can: each run of shown
//! lines is found again in the new output by its first line (the first run at the start of the
//! output, the last at its end, when the block does not begin or end with `...`). When that
//! fails the whole output is written and the test names the block to trim by hand. Exit codes
//! are never rewritten. Review the diff before committing.

#![cfg(unix)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::util::repo_root as root;

fn bless() -> bool {
    std::env::var_os("NRR_BLESS_DOCS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// What a block of a markdown file is for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Console,
    Sh,
    Skip(String),
    File(String),
    Other,
}

/// A fenced block: `fence` is the index of its opening line, `body` its lines (the closing
/// fence excluded).
#[derive(Debug)]
struct Block {
    fence: usize,
    kind: Kind,
    body: Vec<String>,
}

impl Block {
    /// 1-based line number of the first body line.
    fn first_line(&self) -> usize {
        self.fence + 2
    }
}

/// The fenced blocks of a markdown text, in order. Unterminated fences are a failure.
fn blocks(text: &str, name: &str, failures: &mut Vec<String>) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(info) = lines[i].strip_prefix("```") else {
            i += 1;
            continue;
        };
        let fence = i;
        let directive = i
            .checked_sub(1)
            .and_then(|p| lines[p].trim().strip_prefix("<!-- docs-test:"))
            .and_then(|d| d.strip_suffix("-->"))
            .map(str::trim);
        let kind = match directive {
            Some(d) => {
                if let Some(reason) = d.strip_prefix("skip:") {
                    if reason.trim().is_empty() {
                        failures.push(format!("{name}:{}: a skip needs a reason", fence + 1));
                    }
                    Kind::Skip(reason.trim().to_string())
                } else if let Some(path) = d.strip_prefix("file:") {
                    Kind::File(path.trim().to_string())
                } else {
                    failures.push(format!("{name}:{}: unknown directive `{d}`", fence));
                    Kind::Other
                }
            }
            None => match info.trim() {
                "console" => Kind::Console,
                "sh" => Kind::Sh,
                _ => Kind::Other,
            },
        };
        let mut j = i + 1;
        while j < lines.len() && !lines[j].starts_with("```") {
            j += 1;
        }
        if j == lines.len() {
            failures.push(format!("{name}:{}: the block is never closed", fence + 1));
        }
        out.push(Block {
            fence,
            kind,
            body: lines[i + 1..j].iter().map(|l| l.to_string()).collect(),
        });
        i = j + 1;
    }
    out
}

/// Whether one expected line matches an actual line (`[..]`: any text within the line).
fn line_matches(pattern: &str, actual: &str) -> bool {
    let pattern = pattern.trim_end();
    if !pattern.contains("[..]") {
        return pattern == actual;
    }
    let parts: Vec<&str> = pattern.split("[..]").collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !actual.starts_with(first) || actual.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &actual[first.len()..];
    if !rest.ends_with(last) {
        return false;
    }
    rest = &rest[..rest.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(k) => rest = &rest[k + part.len()..],
            None => return false,
        }
    }
    true
}

/// Whether the expected lines match the actual ones (`...`: any number of lines).
fn lines_match(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e.trim_end() == "..." => {
            (0..=actual.len()).any(|k| lines_match(rest, &actual[k..]))
        }
        Some((e, rest)) => {
            !actual.is_empty() && line_matches(e, &actual[0]) && lines_match(rest, &actual[1..])
        }
    }
}

/// Lines without trailing spaces, trailing blank lines dropped.
fn normalise(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

/// The expected output rewritten from the actual one, keeping the excerpt's shape (see the
/// module documentation). `None` when the shape cannot be kept.
///
/// The expected lines are read as paragraphs (runs of lines between blank lines and `...`).
/// The first paragraph, unless the block begins with `...`, is found at the start of the
/// output; each later one by the first of its lines found again after the previous one. A
/// paragraph followed by `...` keeps its length (it was cut short); any other takes the whole
/// paragraph of the new output. Skipped output becomes `...`.
fn reshape(expected: &[String], actual: &[String]) -> Option<Vec<String>> {
    let is_gap = |l: &String| l.trim_end() == "...";
    let blank = |l: &String| l.trim().is_empty();
    if !expected.iter().any(is_gap) {
        let keeps = expected.len() == actual.len()
            && expected.iter().zip(actual).all(|(e, a)| line_matches(e, a));
        return Some(if keeps {
            expected.to_vec()
        } else {
            actual.to_vec()
        });
    }
    // Paragraphs, each with whether a `...` precedes and follows it.
    let mut paras: Vec<(bool, &[String], bool)> = Vec::new();
    let mut gap_before = false;
    let mut i = 0;
    while i < expected.len() {
        if is_gap(&expected[i]) {
            gap_before = true;
            if let Some(last) = paras.last_mut() {
                if i > 0 && !blank(&expected[i - 1]) {
                    last.2 = true;
                }
            }
            i += 1;
        } else if blank(&expected[i]) {
            i += 1;
        } else {
            let start = i;
            while i < expected.len() && !blank(&expected[i]) && !is_gap(&expected[i]) {
                i += 1;
            }
            paras.push((gap_before, &expected[start..i], false));
            gap_before = false;
        }
    }
    let trailing_gap = gap_before;
    let mut out: Vec<String> = Vec::new();
    let mut pos = 0;
    for (k, &(gap, para, cut)) in paras.iter().enumerate() {
        // Where the paragraph is found again: by its first line, else by any of its lines.
        let found = |pos: usize| {
            (0..para.len()).find_map(|j| {
                let q = pos
                    + actual[pos..]
                        .iter()
                        .position(|a| line_matches(&para[j], a))?;
                (q >= pos + j).then(|| q - j)
            })
        };
        // The opening paragraph starts the output: what the output now prints before it (a
        // new section at the top) is kept with it.
        let (start, from) = if k == 0 && !gap {
            (0, found(0).unwrap_or(0))
        } else {
            let q = found(pos)?;
            (q, q)
        };
        let between = &actual[pos..start];
        if gap || between.iter().any(|l| !blank(l)) {
            out.push("...".into());
            let trailing_blanks = between.iter().rev().take_while(|l| blank(l)).count();
            out.extend(between[between.len() - trailing_blanks..].iter().cloned());
        } else {
            out.extend(between.iter().cloned());
        }
        let para_end = from
            + actual[from..]
                .iter()
                .position(blank)
                .unwrap_or(actual.len() - from);
        let end = if cut {
            (from + para.len()).min(para_end)
        } else {
            para_end
        };
        for (i, a) in actual[start..end].iter().enumerate() {
            // Keep a `[..]` line that still matches.
            match (start + i).checked_sub(from).and_then(|j| para.get(j)) {
                Some(e) if e.contains("[..]") && line_matches(e, a) => out.push(e.clone()),
                _ => out.push(a.clone()),
            }
        }
        pos = end;
        if cut {
            out.push("...".into());
        }
    }
    let rest = &actual[pos..];
    if out.last().is_some_and(|l| l == "...") {
        // Already covered.
    } else if trailing_gap || rest.iter().any(|l| !blank(l)) {
        out.push("...".into());
    }
    // A `...` already pushed for a cut paragraph is not doubled by the next one.
    out.dedup_by(|a, b| a == "..." && b == "...");
    lines_match(&out, actual).then_some(out)
}

/// A fresh directory to run a file's commands in, with `tests` and `docs` linked in.
fn sandbox() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    for name in ["tests", "docs"] {
        std::os::unix::fs::symlink(root().join(name), dir.path().join(name))
            .expect("linking into the sandbox");
    }
    dir
}

/// Runs one shell command line in `cwd`; returns its exit code and its output (standard
/// output and standard error, interleaved as written).
fn run(cmd: &str, cwd: &Path) -> (Option<i32>, String) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_nrr"));
    let path = std::env::join_paths(
        std::iter::once(bin.parent().expect("bin dir").to_path_buf()).chain(
            std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
    )
    .expect("PATH");
    let out_dir = tempfile::tempdir().expect("temporary directory");
    let out_path = out_dir.path().join("out");
    let file = std::fs::File::create(&out_path).expect("output file");
    let status = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(cwd)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .env_remove("NRR_TIMINGS")
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("output file"))
        .stderr(file)
        .status()
        .expect("running sh");
    let text = std::fs::read_to_string(&out_path).expect("reading the output");
    (status.code(), text)
}

/// The command lines of a block: `\` continues a line; `#` comments and blank lines (in `sh`
/// blocks) are dropped. Returns (index of the command's first body line, command).
fn commands(body: &[String]) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut open = false;
    for (i, line) in body.iter().enumerate() {
        let t = line.trim_end();
        if open {
            let last = &mut out.last_mut().expect("an open command").1;
            last.push(' ');
            last.push_str(t.trim_end_matches('\\').trim());
        } else {
            let l = t.trim_start();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            out.push((i, t.trim_end_matches('\\').trim().to_string()));
        }
        open = t.ends_with('\\');
    }
    out
}

/// Whether a line shows an `nrr` command.
fn shows_a_command(line: &str) -> bool {
    let l = line.trim_start();
    let l = l.strip_prefix("$ ").unwrap_or(l);
    // A shell loop over one nrr command (`for r in a b; do nrr ... $r; done`) is one too.
    let l = match l.strip_prefix("for ").and_then(|r| r.split_once("; do ")) {
        Some((_, body)) if body.ends_with("; done") => body,
        _ => l,
    };
    l.starts_with("nrr ") || l == "nrr"
}

/// One command of a console block.
struct Step {
    /// Body index of the `$` line.
    at: usize,
    cmd: String,
    /// `Some(code)`, or `None` for `? failed` (any non-zero code).
    code: Option<i32>,
    /// Body indices of the expected output.
    output: std::ops::Range<usize>,
}

fn steps(body: &[String], name: &str, b: &Block, failures: &mut Vec<String>) -> Vec<Step> {
    let mut out = Vec::new();
    let mut i = 0;
    if body.first().is_some_and(|l| !l.starts_with("$ ")) {
        failures.push(format!(
            "{name}:{}: a console block starts with a `$ nrr ...` line",
            b.first_line()
        ));
        return out;
    }
    while i < body.len() {
        let at = i;
        let mut cmd = body[i][2..].trim_end().to_string();
        while cmd.ends_with('\\') && i + 1 < body.len() {
            cmd.pop();
            i += 1;
            cmd = format!("{} {}", cmd.trim_end(), body[i].trim());
        }
        i += 1;
        let mut code = Some(0);
        if let Some(status) = body.get(i).and_then(|l| l.strip_prefix("? ")) {
            code = match status.trim() {
                "failed" => None,
                "success" => Some(0),
                n => match n.parse() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        failures.push(format!(
                            "{name}:{}: `? {n}`: expected an exit code or `failed`",
                            b.first_line() + i
                        ));
                        Some(0)
                    }
                },
            };
            i += 1;
        }
        let start = i;
        while i < body.len() && !body[i].starts_with("$ ") {
            i += 1;
        }
        out.push(Step {
            at,
            cmd,
            code,
            output: start..i,
        });
    }
    out
}

/// Runs every block of one markdown file (relative to the repository root); returns the
/// failures. With `NRR_BLESS_DOCS`, rewrites the file's expected outputs.
fn check_file(rel: &str) -> Vec<String> {
    let path = root().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let mut failures = Vec::new();
    let blocks = blocks(&text, rel, &mut failures);
    let dir = sandbox();
    // (first body line index in the file, body length, new body), applied at the end.
    let mut edits: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for b in &blocks {
        let line = b.first_line();
        match &b.kind {
            Kind::Skip(_) => {}
            Kind::Other => {
                if let Some(k) = b.body.iter().position(|l| shows_a_command(l)) {
                    failures.push(format!(
                        "{rel}:{}: `{}` is shown but not run: make the block ```console or \
                         ```sh, or mark it <!-- docs-test: skip: REASON -->",
                        line + k,
                        b.body[k].trim()
                    ));
                }
            }
            Kind::File(file) => {
                let want = std::fs::read_to_string(root().join(file))
                    .unwrap_or_else(|e| panic!("{rel}:{line}: {file}: {e}"));
                let want = normalise(&want);
                if normalise(&b.body.join("\n")) != want {
                    if bless() {
                        edits.push((b.fence + 1, b.body.len(), want));
                    } else {
                        failures.push(format!("{rel}:{line}: the block is not {file}"));
                    }
                }
            }
            Kind::Sh => {
                for (k, cmd) in commands(&b.body) {
                    if !shows_a_command(&cmd) {
                        failures.push(format!("{rel}:{}: not an nrr command: {cmd}", line + k));
                        continue;
                    }
                    let (code, out) = run(&cmd, dir.path());
                    if code != Some(0) {
                        failures.push(format!(
                            "{rel}:{}: `{cmd}` exited with {code:?}:\n{out}",
                            line + k
                        ));
                    }
                }
            }
            Kind::Console => {
                let mut body = b.body.clone();
                let mut changed = false;
                let steps = steps(&b.body, rel, b, &mut failures);
                // Rewrite from the last step, so that earlier indices stay valid.
                let mut replacements = Vec::new();
                for s in &steps {
                    if !shows_a_command(&s.cmd) {
                        failures.push(format!(
                            "{rel}:{}: not an nrr command: {}",
                            line + s.at,
                            s.cmd
                        ));
                        continue;
                    }
                    let (code, out) = run(&s.cmd, dir.path());
                    let code_ok = match s.code {
                        Some(want) => code == Some(want),
                        None => code.is_some_and(|c| c != 0),
                    };
                    if !code_ok {
                        failures.push(format!(
                            "{rel}:{}: `{}` exited with {code:?}, the docs say {}:\n{out}",
                            line + s.at,
                            s.cmd,
                            s.code.map_or("failed".into(), |c| c.to_string())
                        ));
                    }
                    let expected = normalise(&b.body[s.output.clone()].join("\n"));
                    let actual = normalise(&out);
                    if lines_match(&expected, &actual) {
                        continue;
                    }
                    if bless() {
                        let new = reshape(&expected, &actual).unwrap_or_else(|| {
                            failures.push(format!(
                                "{rel}:{}: NRR_BLESS_DOCS wrote the whole output of `{}`: \
                                 the excerpt could not be found again; trim it by hand",
                                line + s.at,
                                s.cmd
                            ));
                            actual.clone()
                        });
                        replacements.push((s.output.clone(), new));
                    } else {
                        failures.push(format!(
                            "{rel}:{}: the output of `{}` differs from the docs\n{}",
                            line + s.at,
                            s.cmd,
                            diff(&expected, &actual)
                        ));
                    }
                }
                for (range, new) in replacements.into_iter().rev() {
                    // Keep one blank line before the next command, as written.
                    let blank = range.end > range.start
                        && range.end < body.len()
                        && body[range.end - 1].trim().is_empty();
                    let mut new = new;
                    if blank {
                        new.push(String::new());
                    }
                    body.splice(range, new);
                    changed = true;
                }
                if changed {
                    edits.push((b.fence + 1, b.body.len(), body));
                }
            }
        }
    }
    if !edits.is_empty() {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (start, len, new) in edits.into_iter().rev() {
            lines.splice(start..start + len, new);
        }
        let mut new_text = lines.join("\n");
        if text.ends_with('\n') {
            new_text.push('\n');
        }
        std::fs::write(&path, new_text).unwrap_or_else(|e| panic!("{rel}: {e}"));
        eprintln!("NRR_BLESS_DOCS: rewrote {rel}");
    }
    failures
}

/// Expected and actual lines, side by side from the first difference.
fn diff(expected: &[String], actual: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "--- expected (docs)");
    for l in expected {
        let _ = writeln!(s, "  {l}");
    }
    let _ = writeln!(s, "--- actual");
    for l in actual {
        let _ = writeln!(s, "  {l}");
    }
    let _ = writeln!(
        s,
        "(NRR_BLESS_DOCS=1 cargo test -p nrr-cli --test cli docs_examples rewrites the docs)"
    );
    s
}

#[track_caller]
fn assert_file_runs(rel: &str) {
    let failures = check_file(rel);
    assert!(
        failures.is_empty(),
        "{} failure(s) in {rel}:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The markdown files under test; a new file in docs/ must be added here.
const FILES: [&str; 10] = [
    "README.md",
    "docs/architecture.md",
    "docs/benchmarks.md",
    "docs/cli.md",
    "docs/config.md",
    "docs/input.md",
    "docs/metrics.md",
    "docs/policies.md",
    "docs/publishing.md",
    "docs/scale-out.md",
];

#[test]
fn every_doc_is_covered() {
    let mut found: BTreeSet<String> = ["README.md".to_string()].into();
    for e in std::fs::read_dir(root().join("docs")).expect("docs/") {
        let p = e.expect("docs entry").path();
        if p.extension().is_some_and(|x| x == "md") {
            let name = p.file_name().expect("name").to_string_lossy();
            found.insert(format!("docs/{name}"));
        }
    }
    let listed: BTreeSet<String> = FILES.iter().map(|s| s.to_string()).collect();
    assert_eq!(found, listed, "add new docs to FILES in this test");
}

#[test]
fn architecture() {
    assert_file_runs("docs/architecture.md");
}

#[test]
fn readme() {
    assert_file_runs("README.md");
}

#[test]
fn docs_config() {
    assert_file_runs("docs/config.md");
}

#[test]
fn docs_benchmarks() {
    assert_file_runs("docs/benchmarks.md");
}

#[test]
fn docs_cli() {
    assert_file_runs("docs/cli.md");
}

#[test]
fn docs_input() {
    assert_file_runs("docs/input.md");
}

#[test]
fn docs_metrics() {
    assert_file_runs("docs/metrics.md");
}

#[test]
fn docs_publishing() {
    assert_file_runs("docs/publishing.md");
}

#[test]
fn docs_scale_out() {
    assert_file_runs("docs/scale-out.md");
}

#[test]
fn docs_policies() {
    assert_file_runs("docs/policies.md");
}

/// The `Examples:` of `nrr [SUBCOMMAND] --help`: each command, its wrapped continuation lines
/// joined.
fn help_examples(sub: &str, dir: &Path) -> Vec<String> {
    let (code, help) = run(&format!("nrr {sub} --help"), dir);
    assert_eq!(code, Some(0), "nrr {sub} --help:\n{help}");
    let mut out: Vec<String> = Vec::new();
    let mut lines = help.lines().skip_while(|l| l.trim() != "Examples:").skip(1);
    for l in lines.by_ref() {
        if l.trim().is_empty() {
            break;
        }
        let l = l.trim();
        if l.starts_with("nrr ") || l == "nrr" {
            out.push(l.to_string());
        } else if let Some(last) = out.last_mut() {
            // clap wraps a long example at a space.
            last.push(' ');
            last.push_str(l);
        }
    }
    assert!(
        !out.is_empty(),
        "nrr {sub} --help shows no examples:\n{help}"
    );
    out
}

/// Every example of `nrr --help` and of each subcommand's `--help` runs and exits 0, in one
/// directory, in order: the top-level examples first, whose `nrr generate ... --out data`
/// makes the `data` the others read. `warehouse` holds a subscription_snapshots.csv with a
/// revenue_movements.csv (fixture `snapshots_first_of_month_open`). Examples that read a
/// PostgreSQL server (`--postgres`) are not run (tests/postgres.rs covers that reader).
#[test]
fn help_examples_run() {
    let dir = sandbox();
    let warehouse = dir.path().join("warehouse");
    std::fs::create_dir(&warehouse).expect("warehouse");
    for f in ["subscription_snapshots.csv", "revenue_movements.csv"] {
        std::fs::copy(
            root()
                .join("tests/fixtures/snapshots_first_of_month_open")
                .join(f),
            warehouse.join(f),
        )
        .expect("copying the warehouse fixture");
    }
    let mut failures = Vec::new();
    let mut ran = 0;
    for sub in [
        "", "report", "cohorts", "explain", "compare", "check", "lines", "generate", "demo",
        "publish", "review", "signoff", "verify",
    ] {
        let examples = help_examples(sub, dir.path());
        let help = format!("nrr {sub} --help").replace("  ", " ");
        let mut ran_here = 0;
        for cmd in examples {
            if cmd.contains("--postgres") {
                continue;
            }
            let (code, out) = run(&cmd, dir.path());
            ran_here += 1;
            if code != Some(0) {
                failures.push(format!("{help}: `{cmd}` exited with {code:?}:\n{out}"));
            }
        }
        assert!(ran_here > 0, "{help}: no example ran");
        ran += ran_here;
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} --help examples failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The matcher itself: `...` and `[..]`, and the reshaping of an excerpt.
#[test]
fn matcher() {
    let v = |s: &[&str]| s.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    let actual = v(&["head", "a", "b", "c", "tail 1.5"]);
    assert!(lines_match(&v(&["head", "...", "tail [..]"]), &actual));
    assert!(lines_match(&v(&["...", "b", "...", "tail 1.5"]), &actual));
    assert!(lines_match(
        &v(&["head", "a", "b", "c", "tail 1.5", "..."]),
        &actual
    ));
    assert!(!lines_match(&v(&["head", "b", "..."]), &actual));
    assert!(!lines_match(&v(&["head", "..."]), &v(&[])));
    assert!(line_matches("a [..] c [..]", "a b c d"));
    assert!(!line_matches("a [..] c", "a b d"));
    assert!(!line_matches("ab[..]ba", "aba"));
    // Reshaping keeps the runs, found again by their first lines.
    let new = v(&["head2", "x", "b", "c2", "y", "tail 2.0"]);
    assert_eq!(
        reshape(&v(&["head", "...", "b", "c", "...", "tail [..]"]), &new),
        Some(v(&["head2", "...", "b", "c2", "...", "tail [..]"]))
    );
    assert_eq!(reshape(&v(&["...", "gone", "..."]), &new), None);
    assert_eq!(reshape(&v(&["head"]), &new), Some(new.clone()));
    // Paragraphs: a section cut short keeps its length, a whole one takes the new length, a
    // section that moved away from its neighbour gets a `...`.
    let expected = v(&["top", "", "A", "1", "...", "", "B", "1", "2"]);
    let actual = v(&[
        "top2", "new", "", "X", "", "A", "1", "2", "", "B", "1", "2", "3",
    ]);
    assert_eq!(
        reshape(&expected, &actual),
        Some(v(&[
            "top2", "new", "...", "", "A", "1", "...", "", "B", "1", "2", "3"
        ]))
    );
    // A section new at the top is kept with the opening one.
    let actual = v(&[
        "Summary", "s", "", "top", "", "A", "1", "2", "", "B", "1", "2",
    ]);
    assert_eq!(
        reshape(&expected, &actual),
        Some(v(&[
            "Summary", "s", "", "top", "", "A", "1", "...", "", "B", "1", "2"
        ]))
    );
}

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces to `-`.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// docs/metrics.md: its sections are numbered 1, 2, ... in the order they appear, and its
/// contents list every section and subsection, in order, with working anchors.
#[test]
fn metrics_contents_list_every_section_in_order() {
    let text = std::fs::read_to_string(root().join("docs/metrics.md")).expect("metrics.md");
    let mut want = Vec::new();
    let mut number = 0;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            number += 1;
            let (n, title) = h.split_once(". ").unwrap_or(("", h));
            assert_eq!(n, number.to_string(), "section `{h}` is out of order");
            want.push(format!("{n}. [{title}](#{})", anchor(h)));
        } else if let Some(h) = line.strip_prefix("### ") {
            want.push(format!("    - [{h}](#{})", anchor(h)));
        }
    }
    let contents: Vec<String> = text
        .lines()
        .skip_while(|l| *l != "Contents:")
        .skip(2)
        .take_while(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(contents, want, "docs/metrics.md's contents");
}
