//! `nrr verify`: a release's files, sign-offs, records and figures checked, and with DATA
//! today's data compared with the release's inputs.

use super::compute::{moved_figures, pinned_config, published_figures, recompute, Moved};
use nrr_io::book::{self, Book, Release};
use serde::Serialize;
use serde_json::Value;
use std::path::Path;

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
    /// The book the release is in, against its journal (`None`: a release directory outside
    /// a book).
    pub book: Option<BookCheck>,
}

/// The book against its journal, as `nrr verify` found it.
#[derive(Clone, Debug, Serialize)]
pub(super) struct BookCheck {
    /// The journal's lines (`None`: the book has no journal).
    pub journal_lines: Option<usize>,
    /// Its head: the SHA-256 of its last line (64 zeros for none).
    pub head: Option<String>,
    /// With --expect-head: the line whose hash it is (`None`: no line is).
    pub expected_head_line: Option<usize>,
    /// What does not hold, anywhere in the book (each names the file).
    pub damage: Vec<String>,
    /// What holds but is worth saying.
    pub notes: Vec<String>,
    /// The releases the journal records final.
    #[serde(skip)]
    pub finals: Vec<String>,
}

/// The book holding the release directory `dir` (`BOOK/releases/ID`), if it is in one.
fn book_of(dir: &Path) -> Option<Book> {
    let releases = dir.parent()?;
    if releases.file_name()? != "releases" {
        return None;
    }
    Some(Book::at(releases.parent().unwrap_or(Path::new("."))))
}

/// The book's audit as verify shows it; with `expect`, the line of that head, or damage.
fn book_check(
    book: Option<Book>,
    expect: Option<&str>,
    skip: impl Fn(&str) -> bool,
) -> anyhow::Result<Option<BookCheck>> {
    let Some(book) = book else {
        return Ok(None);
    };
    let audit = book.audit()?;
    let mut damage: Vec<String> = audit
        .damage
        .iter()
        .map(|f| f.text.clone())
        .filter(|t| !skip(t))
        .collect();
    let expected_head_line = match (expect, &audit.journal) {
        (Some(h), Some(j)) => j.position(h),
        _ => None,
    };
    if let (Some(h), None) = (expect, expected_head_line) {
        damage.push(format!(
            "{}: holds no line with the expected head {h}: a line up to it was removed or rewritten since it was noted{}",
            book::JOURNAL,
            if audit.journal.is_none() { " (the book has no journal)" } else { "" }
        ));
    }
    Ok(Some(BookCheck {
        journal_lines: audit.journal.as_ref().map(|j| j.events.len()),
        head: audit.journal.as_ref().map(|j| j.head.clone()),
        expected_head_line,
        damage,
        notes: audit.notes,
        finals: audit.finals.into_iter().collect(),
    }))
}

/// `nrr verify` of a release whose release.json does not open: its damage, and the book's.
pub(super) fn unreadable(
    name: &str,
    manifest: &Path,
    message: &str,
    expect: Option<&str>,
) -> anyhow::Result<Verification> {
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let id = dir
        .file_name()
        .map_or_else(|| name.to_string(), |n| n.to_string_lossy().into_owned());
    let sha256 = std::fs::read(manifest)
        .map(|b| book::sha256_hex(&b))
        .unwrap_or_default();
    let own = format!("releases/{id}/{}: ", book::MANIFEST);
    let check = book_check(book_of(dir), expect, |t| t.starts_with(&own))?;
    Ok(Verification {
        ok: false,
        period: id
            .rsplit_once("-r")
            .map_or_else(String::new, |(p, _)| p.to_string()),
        release: id,
        sha256,
        status: "unreadable",
        published_by: String::new(),
        verified_by: format!("nrr {}", env!("CARGO_PKG_VERSION")),
        damage: vec![format!("{}: not a valid record: {message}", book::MANIFEST)],
        signoffs: Vec::new(),
        recomputed_moved: Vec::new(),
        inputs_changed: None,
        data_moved: None,
        book: check,
    })
}

/// Verifies a release; with `data`, against today's data too. What the release itself gets
/// wrong (an edited, missing or unreadable file, a sign-off that does not hold, inputs that no
/// longer compute) is a line of `damage`, never an early error.
pub(super) fn verification(
    r: &Release,
    data: Option<&Path>,
    expect: Option<&str>,
) -> anyhow::Result<Verification> {
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
    let check = book_check(book_of(&r.dir), expect, |_| false)?;
    // Final by its final.json, or by the journal when that is gone (named as damage).
    let is_final = matches!(r.final_record(), Ok(Some(_)))
        || check
            .as_ref()
            .is_some_and(|c| c.finals.iter().any(|f| f == r.id()));
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
            // Today's data is read with its own nrr.toml when it has one (a changed setting
            // is a change of today's data, named with the files), else with the release's.
            let own = crate::args::config::find(None, false, Some(d));
            let today = recompute(d, own.as_deref().or(config.as_deref()), window)?;
            let mut changes = input_changes(r, d)?;
            changes.extend(config_change(config.as_deref(), own.as_deref())?);
            (Some(changes), Some(moved_figures(p, &today)))
        }
        _ => (None, None),
    };
    let ok = damage.is_empty()
        && check.as_ref().is_none_or(|c| c.damage.is_empty())
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
        book: check,
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
                // A restatement supersedes a final release: one whose final record is gone
                // was made a draft again by hand.
                Ok(old) if old.hash == s.hash => match old.final_record() {
                    Ok(Some(f)) if f.release_hash == old.hash => {}
                    Ok(Some(_)) => out.push(format!(
                        "release.json: supersedes {}, whose final.json records another hash",
                        s.release
                    )),
                    Ok(None) => out.push(format!(
                        "release.json: supersedes {}, which is not final (its final.json is missing)",
                        s.release
                    )),
                    Err(e) => out.push(format!(
                        "release.json: supersedes {}, whose final.json does not read: {e}",
                        s.release
                    )),
                },
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

/// Today's nrr.toml (`own`, beside the data) against the release's pinned one: `None` when
/// the data has none (it is read with the release's) or the same bytes.
fn config_change(pinned: Option<&Path>, own: Option<&Path>) -> anyhow::Result<Option<InputChange>> {
    let Some(own) = own else {
        return Ok(None);
    };
    let now = std::fs::read(own)?;
    let before = pinned.map(std::fs::read).transpose()?;
    if before.as_deref() == Some(now.as_slice()) {
        return Ok(None);
    }
    let (lines, lines_differing) = line_changes(before.as_deref().unwrap_or_default(), &now);
    Ok(Some(InputChange {
        file: "nrr.toml".into(),
        change: if before.is_some() { "changed" } else { "added" },
        lines,
        lines_differing,
    }))
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
        if v.published_by.is_empty() {
            std::borrow::Cow::Borrowed("(unknown)")
        } else {
            nrr_io::printable(&v.published_by)
        },
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
    if let Some(b) = &v.book {
        match (b.journal_lines, &b.head) {
            (Some(n), Some(head)) => {
                let lines = if n == 1 { "line" } else { "lines" };
                s.push_str(&format!("journal: {n} {lines}, head {head}\n"));
                if let Some(line) = b.expected_head_line {
                    s.push_str(&format!("  the expected head is line {line}\n"));
                }
            }
            _ => s.push_str("journal: none\n"),
        }
        for n in &b.notes {
            s.push_str(&format!("  note: {}\n", nrr_io::printable(n)));
        }
        if !b.damage.is_empty() {
            s.push_str("book: the book does not verify against its journal\n");
            for d in &b.damage {
                s.push_str(&format!("  {}\n", nrr_io::printable(d)));
            }
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
    // A release whose manifest does not open is not recomputed.
    if v.status != "unreadable" {
        moved(
            &mut s,
            "the pinned inputs with this tool",
            &v.recomputed_moved,
        );
    }
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
        moved(&mut s, "today's data with its settings", list);
    }
    s.push_str(if v.ok { "verified\n" } else { "NOT verified\n" });
    s
}
