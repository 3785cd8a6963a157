//! The book: the published releases of the official number (docs/publishing.md).
//!
//! A book is a directory (default `nrr-book/`):
//!
//! ```text
//! nrr-book/
//!   .lock                        held while a command writes (publish, signoff, final)
//!   journal.jsonl                every release, sign-off and final record, hash-chained
//!   releases/
//!     2025-Q4-r1/
//!       release.json             the manifest: every other file of the release with its SHA-256
//!       inputs/                  a copy of the input files and the pinned nrr.toml: a data
//!                                directory `nrr report` reads to the published figures
//!       report.json              the full report (`nrr report --format json`)
//!       customer_months.csv      MRR and movements per customer and month
//!       report.html, report.xlsx the renderings
//!       diff.json                a restatement only: its diff against the release it supersedes
//!       signoffs/finance.json    added by `nrr signoff`, one per role (not in the manifest)
//!       final.json               added by `nrr publish --final` (not in the manifest)
//!     .tmp-2025-Q4-r2-1234/      a release being written: never read as a release
//! ```
//!
//! The release's hash is the SHA-256 of its `release.json`, which names the SHA-256 of every
//! other file it holds, so the hash pins them all. Sign-offs and the final record name the
//! hash they approve. A release is written into a hidden staging directory and renamed into
//! place in one step ([`Staging::commit`]): a killed writer leaves only a staging directory,
//! which no command reads and the next writer removes. Writers hold `.lock`, so two at once
//! take turns. Every write is journaled first (`journal.jsonl`, [`journal`]), and a release's
//! files and directories are read-only once written. Nothing here edits or deletes a release.

mod audit;
mod files;
pub mod journal;
mod release;

pub use audit::{Audit, Finding};
pub use journal::{Event, Journal, JOURNAL};
pub use release::Damage;

pub use files::sha256_hex;

use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The manifest's file name.
pub const MANIFEST: &str = "release.json";
/// The final record's file name.
pub const FINAL: &str = "final.json";
/// The sign-offs' directory.
pub const SIGNOFFS: &str = "signoffs";
/// The pinned inputs' directory.
pub const INPUTS: &str = "inputs";
/// The manifest format this version writes and reads.
pub const FORMAT: u32 = 1;
/// The review roles a sign-off may be of (`signoffs/ROLE.json`).
pub const ROLES: [&str; 3] = ["finance", "success", "marketing"];

/// Something went wrong with the book.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    /// A file of the book could not be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A record of the book does not parse.
    #[error("{}: not a valid record: {message}", path.display())]
    Record {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// No release of that name.
    #[error("no release {name} in {} (releases: {})", book.display(), if known.is_empty() { "none".to_string() } else { known.join(", ") })]
    NoRelease {
        /// What was asked for.
        name: String,
        /// The book.
        book: PathBuf,
        /// The releases it holds.
        known: Vec<String>,
    },
    /// The action breaks a rule of the ritual (signing a final release, a second sign-off...).
    #[error("{0}")]
    Refused(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BookError + '_ {
    move |source| BookError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A file of a release and its digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// Its path inside the release (`inputs/items.csv`), `/`-separated.
    pub path: String,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
}

/// The release a restatement supersedes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supersedes {
    /// Its id.
    pub release: String,
    /// Its hash.
    pub hash: String,
    /// Why it was restated (`--reason`).
    pub reason: String,
}

/// `release.json`: what a release is, and every file it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// The release's id: the period and a sequence number (`2025-Q4-r1`).
    pub release: String,
    /// The period it publishes: a month (`2025-11`), a quarter (`2025-Q4`), a year (`2025`)
    /// or trailing twelve months (`TTM-2025-12`), as the report labels it.
    pub period: String,
    /// When it was written (UTC, RFC 3339).
    pub created_at: String,
    /// The tool and version that computed it (`nrr 0.1.0`).
    pub tool: String,
    /// The window flags the figures were computed with (`--from`, `--to`, `--as-of`), so
    /// `inputs/` with its `nrr.toml` and these give the report again.
    pub window_args: Vec<String>,
    /// The input files as read (their names in `inputs/`), with their digests.
    pub inputs: Vec<FileDigest>,
    /// The row ledger of the run (the report's `rows`).
    pub rows: serde_json::Value,
    /// The period's figures as published (its row of the report).
    pub figures: serde_json::Value,
    /// A restatement: the release it supersedes and why.
    pub supersedes: Option<Supersedes>,
    /// The book's journal head when the release was published (the SHA-256 of its last line,
    /// or 64 zeros for none): absent in a release published before the journal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_head: Option<String>,
    /// Every file of the release but the manifest, the sign-offs and the final record.
    pub files: Vec<FileDigest>,
}

/// `signoffs/ROLE.json`: one role's approval of a release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signoff {
    /// The release approved.
    pub release: String,
    /// Its hash, as the signer saw it.
    pub release_hash: String,
    /// `finance`, `success` or `marketing`.
    pub role: String,
    /// Who (`--by`).
    pub by: String,
    /// When (UTC, RFC 3339).
    pub at: String,
    /// Notes given with the approval: the release's annotations.
    pub notes: Vec<String>,
    /// With `--sign-key`: the public key the signature verifies with (OpenSSH format).
    pub public_key: Option<String>,
    /// With `--sign-key`: an `ssh-keygen -Y sign` signature (namespace `nrr-release`) of
    /// [`Signoff::signed_text`].
    pub signature: Option<String>,
}

impl Signoff {
    /// The text a signature signs: release, hash, role, signer and notes, one per line.
    pub fn signed_text(&self) -> String {
        let mut s = format!(
            "nrr release {}\nsha256 {}\nrole {}\nby {}\nat {}\n",
            self.release, self.release_hash, self.role, self.by, self.at
        );
        for n in &self.notes {
            s.push_str("note ");
            s.push_str(&n.replace('\n', " "));
            s.push('\n');
        }
        s
    }
}

/// `final.json`: the release made final, with the sign-offs that allowed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalRecord {
    /// The release.
    pub release: String,
    /// Its hash.
    pub release_hash: String,
    /// When (UTC, RFC 3339).
    pub at: String,
    /// Each sign-off file (`signoffs/finance.json`) with its digest.
    pub signoffs: Vec<FileDigest>,
}

/// A book of releases.
#[derive(Clone, Debug)]
pub struct Book {
    root: PathBuf,
}

/// A release as found in a book.
#[derive(Clone, Debug)]
pub struct Release {
    /// Its directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// SHA-256 of its manifest's bytes: the release's hash.
    pub hash: String,
}

/// `signoffs/`: each sign-off file by role, and the entries that are no sign-off.
type SignoffFiles = (Vec<(String, PathBuf)>, Vec<String>);

/// The book's lock, held until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: fs::File,
    /// The releases of a book written before the journal that taking the lock recorded in
    /// a new journal (`adopt`), as found.
    pub adopted: Vec<String>,
}

/// A directory of `releases/` that looks like a release (it holds a `release.json`) but does
/// not open as one.
#[derive(Debug)]
pub struct Unreadable {
    /// Its directory name.
    pub id: String,
    /// Why it does not open (names the file).
    pub error: BookError,
}

impl Unreadable {
    /// The period its name gives (`2025-Q4` of `2025-Q4-r3`), if any.
    pub fn period(&self) -> Option<&str> {
        self.id.rsplit_once("-r").map(|(p, _)| p)
    }
}

impl Book {
    /// The book at `root` (it need not exist yet).
    pub fn at(root: impl Into<PathBuf>) -> Book {
        Book { root: root.into() }
    }

    /// Its directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn releases_dir(&self) -> PathBuf {
        self.root.join("releases")
    }

    /// Its journal's path.
    pub fn journal_path(&self) -> PathBuf {
        self.root.join(JOURNAL)
    }

    /// Its journal; `None` when it has none.
    pub fn journal(&self) -> Result<Option<Journal>, BookError> {
        Journal::read(&self.journal_path())
    }

    /// Takes the book's lock (creating the book), waiting while another writer holds it.
    /// Then, for the writer: a book written before the journal gets one, recording its
    /// releases as found ([`Lock::adopted`]); a book whose journal is missing while its
    /// releases name one is refused; and a write the journal records but whose writer was
    /// killed before putting its file in place is completed.
    pub fn lock(&self) -> Result<Lock, BookError> {
        let dir = self.releases_dir();
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = self.root.join(".lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        file.lock().map_err(io(&path))?;
        let adopted = self.start_journal()?;
        self.complete_interrupted()?;
        Ok(Lock {
            _file: file,
            adopted,
        })
    }

    /// A book without a journal: refused when a release was published with one (the journal
    /// was removed), else a journal recording each release, its sign-offs and its final record
    /// as found (`adopt`, `signoff`, `final`). Returns the releases adopted.
    fn start_journal(&self) -> Result<Vec<String>, BookError> {
        if self.journal_path().exists() {
            return Ok(Vec::new());
        }
        let releases = self.releases()?;
        if let Some(r) = releases.iter().find(|r| r.manifest.journal_head.is_some()) {
            return Err(BookError::Refused(format!(
                "{}: missing, but release {} was published with it: the book is damaged (nrr verify names it)",
                self.journal_path().display(),
                r.id()
            )));
        }
        let path = self.journal_path();
        let mut adopted = Vec::new();
        for r in &releases {
            let at = &r.manifest.created_at;
            journal::append(&path, Event::new(journal::kind::ADOPT, r.id(), &r.hash, at))?;
            for (role, file) in r.signoff_files()?.0 {
                let bytes = fs::read(&file).map_err(io(&file))?;
                let at = serde_json::from_slice::<Signoff>(&bytes)
                    .map(|s| s.at)
                    .unwrap_or_default();
                let mut e = Event::new(journal::kind::SIGNOFF, r.id(), &r.hash, &at);
                e.role = Some(role);
                e.record_sha256 = Some(sha256_hex(&bytes));
                journal::append(&path, e)?;
            }
            let fin = r.dir.join(FINAL);
            if fin.exists() {
                let bytes = fs::read(&fin).map_err(io(&fin))?;
                let at = serde_json::from_slice::<FinalRecord>(&bytes)
                    .map(|f| f.at)
                    .unwrap_or_default();
                let mut e = Event::new(journal::kind::FINAL, r.id(), &r.hash, &at);
                e.record_sha256 = Some(sha256_hex(&bytes));
                journal::append(&path, e)?;
            }
            adopted.push(r.id().to_string());
        }
        Ok(adopted)
    }

    /// The file the journal's last event records, and the temporary copy of it an
    /// interrupted writer left, when the file is not in place and the copy holds it.
    pub(crate) fn pending(&self, journal: &Journal) -> Option<(PathBuf, PathBuf)> {
        let e = journal.events.last()?;
        let releases = self.releases_dir();
        let (target, want) = if e.is_release() {
            (releases.join(&e.release), &e.release_hash)
        } else {
            let dir = releases.join(&e.release);
            let target = match (e.event.as_str(), &e.role) {
                (journal::kind::SIGNOFF, Some(role)) => {
                    dir.join(SIGNOFFS).join(format!("{role}.json"))
                }
                (journal::kind::FINAL, _) => dir.join(FINAL),
                _ => return None,
            };
            (target, e.record_sha256.as_ref()?)
        };
        if target.exists() {
            return None;
        }
        let parent = target.parent()?;
        let name = target.file_name()?.to_string_lossy().into_owned();
        for entry in fs::read_dir(parent).ok()?.flatten() {
            let entry_name = entry.file_name().to_string_lossy().into_owned();
            let p = entry.path();
            let bytes = if e.is_release() {
                let staged = entry_name
                    .strip_prefix(&format!(".tmp-{name}-"))
                    .is_some_and(|pid| pid.bytes().all(|b| b.is_ascii_digit()));
                if !staged {
                    continue;
                }
                fs::read(p.join(MANIFEST))
            } else {
                if !files::leftover(&entry_name, &name) {
                    continue;
                }
                fs::read(&p)
            };
            if bytes.is_ok_and(|b| sha256_hex(&b) == *want) {
                return Some((target, p));
            }
        }
        None
    }

    /// Puts in place what the journal's last event records, when its writer was killed after
    /// journaling it (see [`journal`]). Call with the lock held.
    fn complete_interrupted(&self) -> Result<(), BookError> {
        let Some(j) = self.journal()? else {
            return Ok(());
        };
        let Some((target, tmp)) = self.pending(&j) else {
            return Ok(());
        };
        let parent = target.parent().unwrap_or(Path::new("."));
        if tmp.is_dir() {
            fs::rename(&tmp, &target).map_err(io(&target))?;
        } else {
            let release = if parent.file_name().is_some_and(|n| n == SIGNOFFS) {
                parent.parent().unwrap_or(Path::new("."))
            } else {
                parent
            };
            let _open = files::Unsealed::open(&[release, parent])?;
            fs::hard_link(&tmp, &target).map_err(io(&target))?;
            let _ = fs::remove_file(&tmp);
            files::seal(&target, false)?;
        }
        files::sync_dir(parent)
    }

    /// Every release of the book that opens, by id (a missing book has none); those that do
    /// not are left out ([`Book::scan`] names them).
    pub fn releases(&self) -> Result<Vec<Release>, BookError> {
        Ok(self.scan()?.0)
    }

    /// Every release of the book, by id, and the directories of `releases/` holding a
    /// `release.json` that do not open as a release (a damaged manifest).
    pub fn scan(&self) -> Result<(Vec<Release>, Vec<Unreadable>), BookError> {
        let dir = self.releases_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), Vec::new()))
            }
            Err(e) => return Err(io(&dir)(e)),
        };
        let (mut out, mut bad) = (Vec::new(), Vec::new());
        for entry in entries {
            let entry = entry.map_err(io(&dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.path().join(MANIFEST).is_file() {
                continue;
            }
            match Release::open(&entry.path()) {
                Ok(r) => out.push(r),
                Err(e @ BookError::Record { .. }) => bad.push(Unreadable { id: name, error: e }),
                Err(e) => return Err(e),
            }
        }
        out.sort_by(|a, b| release_order(&a.manifest.release, &b.manifest.release));
        bad.sort_by(|a, b| release_order(&a.id, &b.id));
        Ok((out, bad))
    }

    /// The release `name` names: an id of this book, else a release directory's path.
    pub fn find(&self, name: &str) -> Result<Release, BookError> {
        let dir = self.releases_dir().join(name);
        if !name.starts_with('.') && !name.contains(['/', '\\']) && dir.join(MANIFEST).is_file() {
            return Release::open(&dir);
        }
        let as_path = Path::new(name);
        if as_path.join(MANIFEST).is_file() {
            return Release::open(as_path);
        }
        Err(BookError::NoRelease {
            name: name.to_string(),
            book: self.root.clone(),
            known: self
                .releases()?
                .into_iter()
                .map(|r| r.manifest.release)
                .collect(),
        })
    }

    /// The book that holds the release `name` names, and the release: the release's own book
    /// when `name` is a release directory's path (`BOOK/releases/ID`), so a command that
    /// writes locks and checks the book the release is in, whatever `--book` says.
    pub fn owning(self, name: &str) -> Result<(Book, Release), BookError> {
        let r = self.find(name)?;
        let releases = r.dir.parent().unwrap_or(Path::new("."));
        let in_a_book = releases.file_name().is_some_and(|n| n == "releases");
        let root = releases.parent().unwrap_or(Path::new("."));
        if !in_a_book {
            return Err(BookError::Refused(format!(
                "{} is not inside a book (BOOK/releases/ID)",
                r.dir.display()
            )));
        }
        let same = |a: &Path, b: &Path| match (fs::canonicalize(a), fs::canonicalize(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if same(root, &self.root) {
            Ok((self, r))
        } else {
            Ok((Book::at(root), r))
        }
    }

    /// The releases of one period, oldest first.
    pub fn of_period(&self, period: &str) -> Result<Vec<Release>, BookError> {
        Ok(self
            .releases()?
            .into_iter()
            .filter(|r| r.manifest.period == period)
            .collect())
    }

    /// The next release id of `period` (`2025-Q4-r3` after r1 and r2): after every release
    /// of the period the book holds, readable or not, and every one its journal names. Call
    /// with the lock held.
    pub fn next_id(&self, period: &str) -> Result<String, BookError> {
        let (intact, unreadable) = self.scan()?;
        let journaled = self.journal()?.map(|j| j.events).unwrap_or_default();
        let of_period = |id: &str| id.rsplit_once("-r").is_some_and(|(p, _)| p == period);
        let n = intact
            .iter()
            .map(|r| r.id().to_string())
            .chain(unreadable.into_iter().map(|u| u.id))
            .chain(journaled.into_iter().map(|e| e.release))
            .filter(|id| of_period(id))
            .filter_map(|id| sequence(&id))
            .max()
            .unwrap_or(0);
        Ok(format!("{period}-r{}", n + 1))
    }

    /// Records `signoff` as `signoffs/ROLE.json` of `r`: journaled first, then placed (never
    /// over an existing file) and sealed. Refused when the release is final.
    pub fn add_signoff(
        &self,
        _lock: &Lock,
        r: &Release,
        signoff: &Signoff,
    ) -> Result<PathBuf, BookError> {
        if r.final_record()?.is_some() || self.journaled_final(r.id())? {
            return Err(BookError::Refused(format!(
                "release {} is final: it takes no more sign-offs",
                r.id()
            )));
        }
        let path = r.dir.join(SIGNOFFS).join(format!("{}.json", signoff.role));
        if path.exists() {
            return Err(BookError::Refused(format!(
                "{} has signed off release {} already ({}); the book is append-only",
                signoff.role,
                r.id(),
                path.display()
            )));
        }
        let mut e = Event::new(journal::kind::SIGNOFF, r.id(), &r.hash, &signoff.at);
        e.role = Some(signoff.role.clone());
        self.place(r, &path, &to_json(signoff), e)?;
        Ok(path)
    }

    /// Records `r` final (`final.json`): journaled first, then placed and sealed. Call after
    /// checking the sign-offs.
    pub fn make_final(
        &self,
        _lock: &Lock,
        r: &Release,
        record: &FinalRecord,
    ) -> Result<(), BookError> {
        let e = Event::new(journal::kind::FINAL, r.id(), &r.hash, &record.at);
        self.place(r, &r.dir.join(FINAL), &to_json(record), e)
    }

    /// The journal records `id` final.
    fn journaled_final(&self, id: &str) -> Result<bool, BookError> {
        Ok(self.journal()?.is_some_and(|j| {
            j.events
                .iter()
                .any(|e| e.event == journal::kind::FINAL && e.release == id)
        }))
    }

    /// Writes a new record of release `r` at `path`: its bytes under a temporary name,
    /// synced; `event` journaled with their digest; then linked into place (refused if the
    /// file exists) and sealed. The release's directories are writable only meanwhile.
    fn place(
        &self,
        r: &Release,
        path: &Path,
        bytes: &[u8],
        mut event: Event,
    ) -> Result<(), BookError> {
        let parent = path.parent().unwrap_or(Path::new("."));
        let mut open = files::Unsealed::open(&[&r.dir, parent])?;
        if !parent.exists() {
            fs::create_dir_all(parent).map_err(io(parent))?;
            open.add(parent);
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = parent.join(format!(".tmp-{name}-{}", std::process::id()));
        write_synced(&tmp, bytes)?;
        files::sync_dir(parent)?;
        event.record_sha256 = Some(sha256_hex(bytes));
        if let Err(e) = journal::append(&self.journal_path(), event) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        let linked = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(BookError::Refused(format!(
                    "{} exists already; the book is append-only",
                    path.display()
                )))
            }
            other => other.map_err(io(path))?,
        }
        files::seal(path, false)?;
        files::sync_dir(parent)
    }

    /// A staging directory for release `id`, removing what killed writers left. Call with
    /// the lock held.
    pub fn stage(&self, id: &str) -> Result<Staging, BookError> {
        let dir = self.releases_dir();
        for entry in fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                let p = entry.path();
                if entry.file_type().map_err(io(&p))?.is_dir() {
                    files::remove_tree(&p).map_err(io(&p))?;
                } else {
                    fs::remove_file(&p).map_err(io(&p))?;
                }
            }
        }
        let tmp = dir.join(format!(".tmp-{id}-{}", std::process::id()));
        fs::create_dir_all(&tmp).map_err(io(&tmp))?;
        Ok(Staging {
            tmp,
            target: dir.join(id),
            journal: self.journal_path(),
        })
    }
}

/// `2025-Q4-r12` -> 12.
fn sequence(id: &str) -> Option<u32> {
    id.rsplit_once("-r").and_then(|(_, n)| n.parse().ok())
}

/// Releases by period, then sequence number (r2 before r10).
fn release_order(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |id: &str| {
        let (p, _) = id.rsplit_once("-r").unwrap_or((id, ""));
        (p.to_string(), sequence(id).unwrap_or(0))
    };
    key(a).cmp(&key(b))
}

/// A release being written: files go in, then [`Staging::commit`] hashes them, writes the
/// manifest and renames the directory into place.
#[derive(Debug)]
pub struct Staging {
    tmp: PathBuf,
    target: PathBuf,
    journal: PathBuf,
}

impl Staging {
    /// Where a file of the release goes (`inputs/items.csv`).
    pub fn path(&self, rel: &str) -> PathBuf {
        self.tmp.join(rel)
    }

    /// Writes a file of the release.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), BookError> {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io(parent))?;
        }
        fs::write(&path, bytes).map_err(io(&path))
    }

    /// Copies a file into the release.
    pub fn copy(&self, from: &Path, rel: &str) -> Result<(), BookError> {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io(parent))?;
        }
        fs::copy(from, &path).map_err(io(from))?;
        Ok(())
    }

    /// Digests every file written, fills `manifest.files` and `manifest.journal_head`, writes
    /// the manifest, makes the release read-only, syncs it all to disk, journals it
    /// (`publish`, or `restate` for a restatement) and renames the staging directory into
    /// place: the release appears whole or not at all. Returns it.
    pub fn commit(mut self, mut manifest: Manifest) -> Result<Release, BookError> {
        manifest.files = files::digest_tree(&self.tmp, &[MANIFEST])?;
        let journal = Journal::read(&self.journal)?.unwrap_or_else(Journal::empty);
        if let Some(b) = &journal.broken {
            return Err(BookError::Refused(format!(
                "{b}; the book's journal is damaged, so nothing more is written to the book (nrr verify names the damage)"
            )));
        }
        manifest.journal_head = Some(journal.head.clone());
        let bytes = to_json(&manifest);
        let path = self.tmp.join(MANIFEST);
        write_synced(&path, &bytes)?;
        files::seal_tree(&self.tmp)?;
        files::sync_tree(&self.tmp)?;
        if self.target.exists() {
            return Err(BookError::Refused(format!(
                "{} exists already; a release is never overwritten",
                self.target.display()
            )));
        }
        let hash = sha256_hex(&bytes);
        let mut event = Event::new(
            if manifest.supersedes.is_some() {
                journal::kind::RESTATE
            } else {
                journal::kind::PUBLISH
            },
            &manifest.release,
            &hash,
            &manifest.created_at,
        );
        event.supersedes = manifest.supersedes.as_ref().map(|s| s.release.clone());
        journal::append(&self.journal, event)?;
        if let Err(e) = fs::rename(&self.tmp, &self.target) {
            // Journaled: the staging directory stays for the next writer to put in place.
            self.tmp = PathBuf::new();
            return Err(io(&self.target)(e));
        }
        if let Some(parent) = self.target.parent() {
            files::sync_dir(parent)?;
        }
        Ok(Release {
            dir: self.target.clone(),
            hash,
            manifest,
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Not committed (an error on the way): the staging directory goes. Best effort: a
        // leftover is never read as a release and the next writer removes it.
        if self.tmp.exists() {
            let _ = files::remove_tree(&self.tmp);
        }
    }
}

/// Pretty JSON with a final newline (stable: struct fields in declaration order).
pub fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing these plain structs (strings, numbers, JSON values) cannot fail.
    let mut v = serde_json::to_vec_pretty(value).expect("plain records serialize");
    v.push(b'\n');
    v
}

/// Writes `bytes` to `path` durably and atomically: a temporary file beside it, synced, then
/// renamed over `path`, or, when `exclusive`, hard-linked to `path`, which fails when `path`
/// exists (so of two writers one gets the file and the other a refusal, never an overwrite).
pub fn write_atomic(path: &Path, bytes: &[u8], exclusive: bool) -> Result<(), BookError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io(parent))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".tmp-{name}-{}", std::process::id()));
    write_synced(&tmp, bytes)?;
    let placed = if exclusive {
        let linked = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(BookError::Refused(format!(
                    "{} exists already; the book is append-only",
                    path.display()
                )))
            }
            other => other,
        }
    } else {
        fs::rename(&tmp, path)
    };
    placed.map_err(io(path))?;
    files::sync_dir(parent)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), BookError> {
    let mut f = fs::File::create(path).map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<(T, Vec<u8>), BookError> {
    let bytes = fs::read(path).map_err(io(path))?;
    let value = serde_json::from_slice(&bytes).map_err(|e| BookError::Record {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok((value, bytes))
}

/// Digest of a file.
pub fn digest_file(path: &Path, rel: &str) -> Result<FileDigest, BookError> {
    files::digest(path, rel)
}

#[cfg(test)]
mod tests;
