//! `nrr publish`, `nrr signoff`, `nrr verify`: the official number as releases in a book
//! (docs/publishing.md). The book itself (layout, hashes, atomic writes, the lock) is
//! [`nrr_io::book`]; this module decides what a release holds and what the ritual allows.

mod compute;
mod sign;
mod verify;

use crate::args::config::Role;
use crate::args::{PublishArgs, SignoffArgs, TextFormat, VerifyArgs};
use anyhow::Context;
use nrr_io::book::{self, Book, FinalRecord, Manifest, Release, Signoff};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `nrr publish` refuses: a usage error (exit 2) with the reason.
fn refuse(reason: String) -> anyhow::Error {
    refuse_as("nrr publish", reason)
}

/// `command` refuses: a usage error (exit 2) with the reason.
fn refuse_as(command: &str, reason: String) -> anyhow::Error {
    crate::errors::BadFlag {
        flag: command.into(),
        reason,
    }
    .into()
}

/// A choice the core asks for with a flag that `nrr publish` does not take (it reads its
/// settings from nrr.toml alone): the same refusal, pointing at nrr.toml instead.
fn pin_in_config(e: anyhow::Error) -> anyhow::Error {
    let found = e.chain().find_map(|c| {
        let core = c.downcast_ref::<nrr_core::CoreError>().or_else(|| {
            match c.downcast_ref::<nrr_io::IoError>() {
                Some(nrr_io::IoError::Core(x)) => Some(x),
                _ => None,
            }
        });
        match core {
            Some(nrr_core::CoreError::AmbiguousCurrency { found }) => Some(found.clone()),
            _ => None,
        }
    });
    match found {
        Some(found) => refuse(format!(
            "the data has several currencies ({}); a release takes its settings from nrr.toml: \
             pin the reporting currency there (for example `currency = \"{}\"`; `nrr init DATA` writes \
             a file with it)",
            nrr_io::printable(&found.join(", ")),
            nrr_io::printable(found.last().map_or("USD", String::as_str))
        )),
        None => e,
    }
}

pub(super) fn run(a: PublishArgs) -> anyhow::Result<ExitCode> {
    let book = Book::at(&a.book.book);
    if let Some(release) = &a.final_release {
        return make_final(&book, release);
    }
    // clap requires DATA and --period without --final.
    let (Some(data), Some(period)) = (a.data.as_deref(), a.period.as_deref()) else {
        return Err(refuse("give DATA and --period, or --final RELEASE".into()));
    };
    publish_draft(&book, &a, data, period)
}

/// `nrr publish DATA --period P` (a restatement with `--restate`): a new draft release of
/// `period` written to the book under its lock.
fn publish_draft(
    book: &Book,
    a: &PublishArgs,
    data: &Path,
    period: &str,
) -> anyhow::Result<ExitCode> {
    if let Some(reason) = &a.reason {
        plain_text("--reason", reason, true)?;
    }
    check_period(period)?;
    let config =
        crate::args::config::find(a.config.config.as_deref(), a.config.no_config, Some(data));
    let lock = book.lock()?;
    adopted_note(&lock, book);
    let audit = audit_period(book, period)?;
    let supersedes = superseded(book, &audit, period, a.restate)?;
    let id = book.next_id(period)?;
    let stage = book.stage(&id)?;
    let inputs = copy_inputs(&stage, data, config.as_deref(), book.root())?;
    let mut window_args = window_args(a);
    let computed =
        compute::release_report(&stage.path(book::INPUTS), &window_args).map_err(pin_in_config)?;
    // The as-of date decided from the data and today is pinned, so the release recomputes
    // to the same window on any later day.
    if a.as_of.is_none() {
        if let Some(d) = computed.as_of.as_deref() {
            window_args.extend(["--as-of".to_string(), d.to_string()]);
        }
    }
    let figures = compute::published_figures(&computed.json, period).ok_or_else(|| {
        refuse(format!(
            "the report has no period {period} (its periods: {}); give a month (2025-11), a complete quarter (2025-Q4), a complete year (2025) or TTM-YYYY-MM",
            compute::period_labels(&computed.json).join(", ")
        ))
    })?;
    for (name, bytes) in &computed.files {
        stage.write(name, bytes)?;
    }
    let diff = match &supersedes {
        Some(old) => Some(super::diff::restatement(
            old,
            &id,
            &stage.path(book::INPUTS),
            &window_args,
        )?),
        None => None,
    };
    if let Some(d) = &diff {
        stage.write("diff.json", d)?;
    }
    let manifest = Manifest {
        format: book::FORMAT,
        release: id.clone(),
        period: period.to_string(),
        created_at: now(),
        tool: format!("nrr {}", env!("CARGO_PKG_VERSION")),
        window_args,
        inputs,
        rows: computed.json.get("rows").cloned().unwrap_or_default(),
        figures,
        supersedes: supersedes.map(|s| book::Supersedes {
            release: s.id().to_string(),
            hash: s.hash.clone(),
            reason: a.reason.clone().unwrap_or_default(),
        }),
        // The journal's head, filled in by the commit under the lock.
        journal_head: None,
        files: Vec::new(),
    };
    let release = stage.commit(manifest)?;
    super::emit(&published_text(&release, book.root()))?;
    Ok(ExitCode::SUCCESS)
}

/// The book's audit: refused when it finds damage about `period` (its state is unknown),
/// with a warning on stderr for damage elsewhere.
fn audit_period(book: &Book, period: &str) -> anyhow::Result<book::Audit> {
    // The period's state is known only when its releases, their records and the journal all
    // hold: damage there stops the publish; damage elsewhere in the book is a warning.
    let audit = book.audit()?;
    let of_period = |id: &str| id.rsplit_once("-r").is_some_and(|(p, _)| p == period);
    let blocking = audit.damage_of(of_period);
    if !blocking.is_empty() {
        return Err(super::InvalidData(format!(
            "the book's state of {period} is unknown, so nothing is published:\n{}(nrr verify names the damage)",
            damage_lines(&blocking)
        ))
        .into());
    }
    let elsewhere: Vec<_> = audit
        .damage
        .iter()
        .filter(|f| !blocking.contains(f))
        .collect();
    if !elsewhere.is_empty() {
        eprint!(
            "warning: the book holds damage outside {period} (nrr verify names it):\n{}",
            damage_lines(&elsewhere)
        );
    }
    Ok(audit)
}

/// The final release of `period` a new one supersedes: its last final release with
/// `--restate`; refused when there is one without `--restate`, or none with it.
fn superseded(
    book: &Book,
    audit: &book::Audit,
    period: &str,
    restate: bool,
) -> anyhow::Result<Option<Release>> {
    let earlier = book.of_period(period)?;
    let mut last_final = None;
    for r in earlier.iter().rev() {
        // Final when the journal says so (or, in a book without one, its final.json); an
        // unreadable final record is no draft: the error stops the publish.
        if audit.finals.contains(r.id()) || r.final_record()?.is_some() {
            last_final = Some(r);
            break;
        }
    }
    match (last_final, restate) {
        (Some(f), false) => Err(refuse(format!(
            "{period} has a final release, {}; publishing it again is a restatement: add --restate --reason \"...\"",
            f.id()
        ))),
        (None, true) => Err(refuse(format!(
            "{period} has no final release to restate; publish it without --restate"
        ))),
        (Some(f), true) => Ok(Some(f.clone())),
        (None, false) => Ok(None),
    }
}

/// The window flags given (`--from`, `--to`, `--as-of`), as the manifest records them.
fn window_args(a: &PublishArgs) -> Vec<String> {
    let mut window_args = Vec::new();
    if let Some(m) = a.from {
        window_args.extend(["--from".to_string(), m.to_string()]);
    }
    if let Some(m) = a.to {
        window_args.extend(["--to".to_string(), m.to_string()]);
    }
    if let Some(d) = a.as_of {
        window_args.extend(["--as-of".to_string(), d.to_string()]);
    }
    window_args
}

/// Damage found in the book, one indented line each.
fn damage_lines(found: &[&book::Finding]) -> String {
    found
        .iter()
        .map(|f| format!("  {}\n", shown(&f.text)))
        .collect()
}

/// Says on stderr that taking the lock started the journal of a book written before it.
fn adopted_note(lock: &book::Lock, book: &Book) {
    if !lock.adopted.is_empty() {
        eprintln!(
            "note: {} had no {}: started it, recording its releases as found ({})",
            book.root().display(),
            book::JOURNAL,
            lock.adopted.join(", ")
        );
    }
}

/// The book's damage about `r` and about the journal itself, refused as `what` (`made final`).
fn refuse_damaged(book: &Book, r: &Release, what: &str) -> anyhow::Result<()> {
    let audit = book.audit()?;
    let found = audit.damage_of(|id| id == r.id());
    if found.is_empty() {
        return Ok(());
    }
    Err(super::InvalidData(format!(
        "{} does not verify against the book's journal, so it cannot be {what}:\n{}",
        shown(r.id()),
        damage_lines(&found)
    ))
    .into())
}

/// What `nrr publish` prints.
fn published_text(r: &Release, book: &Path) -> String {
    let m = &r.manifest;
    let mut s = format!(
        "published {} (draft) in {}\n  sha256 {}\n",
        m.release,
        book.display(),
        r.hash
    );
    if let Some(sup) = &m.supersedes {
        s.push_str(&format!(
            "  restates {} ({}): diff.json holds what changed\n",
            sup.release,
            nrr_io::printable(&sup.reason)
        ));
    }
    s.push_str(&compute::figures_line(&m.figures));
    s.push_str(&format!(
        "next: nrr review {id} --role finance|success|marketing, nrr signoff {id} --role ROLE --by NAME, then nrr publish --final {id}\n",
        id = m.release
    ));
    s
}

/// Text from the book (ids, names, notes) as the terminal shows it: control characters
/// escaped.
fn shown(s: &str) -> std::borrow::Cow<'_, str> {
    nrr_io::printable(s)
}

/// `--by`, `--note`, `--reason`: not empty, and one line of text without control characters
/// or invisible formatting ones such as a right-to-left override ([`nrr_io::is_unsafe_char`]):
/// the signed text has one line per field, and a name must read as it is.
fn plain_text(flag: &str, value: &str, allow_tabs: bool) -> anyhow::Result<()> {
    let bad = value
        .chars()
        .any(|c| nrr_io::is_unsafe_char(c) && !(allow_tabs && c == '\t'));
    if value.trim().is_empty() || bad {
        return Err(crate::errors::BadFlag {
            flag: flag.into(),
            reason: format!(
                "expected one line of text, found {:?}",
                nrr_io::printable(value)
            ),
        }
        .into());
    }
    Ok(())
}

/// `2025-11`, `2025-Q4`, `2025`, `FY2025`, `FY2025-Q1`, `TTM-2025-12`.
fn check_period(p: &str) -> anyhow::Result<()> {
    let year = |y: &str| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit());
    let body = p.strip_prefix("FY").unwrap_or(p);
    let ok = match p.strip_prefix("TTM-") {
        Some(m) => nrr_core::date::Month::parse(m).is_some(),
        None => match body.split_once('-') {
            None => year(body),
            Some((y, q)) if q.starts_with('Q') => year(y) && matches!(q, "Q1" | "Q2" | "Q3" | "Q4"),
            Some(_) => !p.starts_with("FY") && nrr_core::date::Month::parse(p).is_some(),
        },
    };
    if ok {
        Ok(())
    } else {
        Err(crate::errors::BadFlag {
            flag: "--period".into(),
            reason: format!(
                "expected a month (2025-11), a quarter (2025-Q4 or FY2025-Q1), a year (2025 or FY2025) or TTM-2025-12, found {}",
                nrr_io::printable(p)
            ),
        }
        .into())
    }
}

/// Copies the input files of `data` into the release's `inputs/` and the configuration read
/// as `inputs/nrr.toml`. A directory gives every file under it but hidden ones, its own
/// nrr.toml (the configuration is copied apart) and the book; one file gives itself and the
/// side files beside it. Returns the inputs' digests.
fn copy_inputs(
    stage: &book::Staging,
    data: &Path,
    config: Option<&Path>,
    book_root: &Path,
) -> anyhow::Result<Vec<book::FileDigest>> {
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    if data.is_file() {
        let name = file_name(data);
        files.push((data.to_path_buf(), name));
        let dir = data
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        for side in SIDE_FILES {
            let p = dir.join(side);
            if p.is_file() {
                files.push((p, side.to_string()));
            }
        }
    } else {
        let skip = std::fs::canonicalize(book_root).ok();
        walk(data, "", skip.as_deref(), &mut files)
            .with_context(|| format!("reading {}", data.display()))?;
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    let mut digests = Vec::with_capacity(files.len());
    for (from, rel) in &files {
        let to = format!("{}/{rel}", book::INPUTS);
        stage.copy(from, &to)?;
        digests.push(book::digest_file(&stage.path(&to), rel)?);
    }
    if let Some(c) = config {
        stage.copy(c, &format!("{}/nrr.toml", book::INPUTS))?;
    }
    Ok(digests)
}

/// The side files read beside one revenue file.
const SIDE_FILES: [&str; 5] = [
    "fx.csv",
    "customers.csv",
    "annotations.csv",
    "customer_map.csv",
    "subscription_events.csv",
];

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn walk(
    dir: &Path,
    prefix: &str,
    skip: Option<&Path>,
    out: &mut Vec<(PathBuf, String)>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.starts_with('.') || (prefix.is_empty() && name == "nrr.toml") {
            continue;
        }
        if skip.is_some() && std::fs::canonicalize(&path).ok().as_deref() == skip {
            continue;
        }
        if entry.file_type()?.is_dir() {
            walk(&path, &format!("{prefix}{name}/"), skip, out)?;
        } else if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            // A file, or a link to one (copied as the file it points to); a link to a
            // directory or to nothing is no input the readers take.
            out.push((path, format!("{prefix}{name}")));
        }
    }
    Ok(())
}

/// Now, UTC, to the second (RFC 3339). `SOURCE_DATE_EPOCH` (seconds) fixes it, for
/// reproducible examples.
fn now() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let date = nrr_core::date::Date::from_days(i32::try_from(days).unwrap_or(0));
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The roles a release needs: `[review] roles` of its pinned nrr.toml, else all three.
fn roles_of(r: &Release) -> anyhow::Result<Vec<Role>> {
    let path = r.inputs_dir().join("nrr.toml");
    if !path.is_file() {
        return Ok(Role::ALL.to_vec());
    }
    let config = crate::args::config::read(&path)?;
    Ok(config
        .review
        .roles
        .map(|r| r.value)
        .unwrap_or_else(|| Role::ALL.to_vec()))
}

/// `nrr publish --final RELEASE`.
fn make_final(book: &Book, name: &str) -> anyhow::Result<ExitCode> {
    // The release's own book is locked and searched, whatever --book says.
    let (book, r) = book.clone().owning(name)?;
    let lock = book.lock()?;
    adopted_note(&lock, &book);
    let r = Release::open(&r.dir)?;
    let audit = book.audit()?;
    // Final by the journal but without its final.json is damage, named below.
    if r.final_record()?.is_some() {
        return Err(refuse(format!("{} is final already", shown(r.id()))));
    }
    let damage = r.check()?;
    if !damage.is_empty() {
        return Err(super::InvalidData(format!(
            "{} does not verify, so it cannot be made final:\n{}",
            shown(r.id()),
            damage
                .iter()
                .map(|d| format!("  {}\n", shown(&d.to_string())))
                .collect::<String>()
        ))
        .into());
    }
    let period = r.manifest.period.as_str();
    let of_period = |id: &str| id.rsplit_once("-r").is_some_and(|(p, _)| p == period);
    let found = audit.damage_of(of_period);
    if !found.is_empty() {
        return Err(super::InvalidData(format!(
            "the book's state of {} is unknown, so {} cannot be made final:\n{}(nrr verify names the damage)",
            shown(period),
            shown(r.id()),
            damage_lines(&found)
        ))
        .into());
    }
    // A period has one final release at a time: a new one restates the latest final.
    let mut latest_final: Option<Release> = None;
    for o in book.of_period(&r.manifest.period)? {
        if o.id() != r.id() && (audit.finals.contains(o.id()) || o.final_record()?.is_some()) {
            latest_final = Some(o);
        }
    }
    if let Some(latest) = &latest_final {
        let restates_it = r
            .manifest
            .supersedes
            .as_ref()
            .is_some_and(|s| s.release == latest.id() && s.hash == latest.hash);
        if !restates_it {
            return Err(refuse(format!(
                "{} already has a final release, {}, and {} does not restate it; a new final needs a restatement of it (nrr publish DATA --period {} --restate --reason ...)",
                shown(&r.manifest.period),
                shown(latest.id()),
                shown(r.id()),
                shown(&r.manifest.period)
            )));
        }
    }
    let signoffs = r.signoffs()?;
    let mut missing = Vec::new();
    let mut digests = Vec::new();
    for role in roles_of(&r)? {
        match signoffs
            .iter()
            .find(|(n, s)| n == role.name() && s.role == role.name())
        {
            Some((n, s)) if s.release_hash == r.hash && s.release == r.id() => {
                if s.signature.is_some() {
                    sign::verify(s).with_context(|| format!("the {n} sign-off's signature"))?;
                }
                let rel = format!("{}/{n}.json", book::SIGNOFFS);
                digests.push(book::digest_file(&r.dir.join(&rel), &rel)?);
            }
            Some(_) => missing.push(format!("{} (signed another hash)", role.name())),
            None => missing.push(role.name().to_string()),
        }
    }
    if !missing.is_empty() {
        return Err(refuse(format!(
            "{} cannot be final: no sign-off of its hash by {}",
            r.id(),
            missing.join(", ")
        )));
    }
    book.make_final(
        &lock,
        &r,
        &FinalRecord {
            release: r.id().to_string(),
            release_hash: r.hash.clone(),
            at: now(),
            signoffs: digests,
        },
    )?;
    super::emit(&format!(
        "{} is final ({} sign-offs); sha256 {}\n",
        r.id(),
        r.signoffs()?.len(),
        r.hash
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `nrr signoff`.
pub(super) fn signoff(a: SignoffArgs) -> anyhow::Result<ExitCode> {
    plain_text("--by", &a.by, false)?;
    for n in &a.note {
        plain_text("--note", n, true)?;
    }
    // The release's own book is locked, whatever --book says.
    let (book, r) = Book::at(&a.book.book).owning(&a.release)?;
    let lock = book.lock()?;
    adopted_note(&lock, &book);
    let r = Release::open(&r.dir)?;
    refuse_damaged(&book, &r, "signed off")?;
    let damage = r.check()?;
    if !damage.is_empty() {
        return Err(super::InvalidData(format!(
            "{} does not verify, so it cannot be signed off:\n{}",
            r.id(),
            damage
                .iter()
                .map(|d| format!("  {d}\n"))
                .collect::<String>()
        ))
        .into());
    }
    let roles = roles_of(&r)?;
    if !roles.contains(&a.role) {
        return Err(refuse_as(
            "nrr signoff",
            format!(
                "{} is not a review role of {} (its roles: {})",
                a.role.name(),
                r.id(),
                roles
                    .iter()
                    .map(|r| r.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let mut s = Signoff {
        release: r.id().to_string(),
        release_hash: r.hash.clone(),
        role: a.role.name().to_string(),
        by: a.by.clone(),
        at: now(),
        notes: a.note.clone(),
        public_key: None,
        signature: None,
    };
    if let Some(key) = &a.sign_key {
        let (public, signature) = sign::sign(key, &s.signed_text())?;
        s.public_key = Some(public);
        s.signature = Some(signature);
    }
    let path = book.add_signoff(&lock, &r, &s)?;
    let missing: Vec<_> = {
        let given = r.signoffs()?;
        roles
            .iter()
            .filter(|role| !given.iter().any(|(n, _)| n == role.name()))
            .map(|r| r.name())
            .collect()
    };
    let mut text = format!(
        "{} signed off {} as {}{} ({})\n",
        nrr_io::printable(&s.by),
        r.id(),
        s.role,
        if s.signature.is_some() {
            ", signed"
        } else {
            ""
        },
        path.display()
    );
    if missing.is_empty() {
        text.push_str(&format!(
            "every role has signed off: nrr publish --final {}\n",
            r.id()
        ));
    } else {
        text.push_str(&format!("awaiting: {}\n", missing.join(", ")));
    }
    super::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `nrr verify`.
pub(super) fn verify(a: VerifyArgs) -> anyhow::Result<ExitCode> {
    if let Some(h) = &a.expect_head {
        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(refuse_as(
                "--expect-head",
                format!(
                    "expected a SHA-256 (64 hex digits), found {}",
                    nrr_io::printable(h)
                ),
            ));
        }
    }
    let book = Book::at(&a.book.book);
    let expect = a.expect_head.as_deref().map(str::to_ascii_lowercase);
    let v = match book.find(&a.release) {
        Ok(r) => verify::verification(&r, a.data.as_deref(), expect.as_deref())?,
        // A release.json that does not open is the release's damage (exit 1), not an error.
        Err(book::BookError::Record { path, message }) => {
            verify::unreadable(&a.release, &path, &message, expect.as_deref())?
        }
        Err(e) => return Err(e.into()),
    };
    let text = match a.format {
        TextFormat::Json => crate::render::json(&v)?,
        TextFormat::Table => verify::verification_text(&v),
    };
    super::emit(&text)?;
    Ok(if v.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
