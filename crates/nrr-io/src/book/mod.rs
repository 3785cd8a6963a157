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
mod listing;
mod lock;
mod release;
mod staging;

pub use audit::{Audit, Finding};
pub use journal::{Event, Journal, JOURNAL};
pub use listing::Unreadable;
pub use lock::Lock;
pub use release::Damage;
pub use staging::Staging;

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
        let tmp = temp_beside(path);
        write_synced(&tmp, bytes)?;
        files::sync_dir(parent)?;
        event.record_sha256 = Some(sha256_hex(bytes));
        if let Err(e) = journal::append(&self.journal_path(), event) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        link_exclusive(&tmp, path)?;
        files::seal(path, false)?;
        files::sync_dir(parent)
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
    let tmp = temp_beside(path);
    write_synced(&tmp, bytes)?;
    if exclusive {
        link_exclusive(&tmp, path)?;
    } else {
        fs::rename(&tmp, path).map_err(io(path))?;
    }
    files::sync_dir(parent)
}

/// The temporary name a file is written under before it is put in place: beside it, hidden,
/// named by the file and this process (`.tmp-final.json-PID`).
fn temp_beside(path: &Path) -> PathBuf {
    let parent = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parent.join(format!(".tmp-{name}-{}", std::process::id()))
}

/// Hard-links the written `tmp` to `path`, refused when `path` exists (of two writers one gets
/// the file, the other a refusal, never an overwrite), and removes `tmp` either way.
fn link_exclusive(tmp: &Path, path: &Path) -> Result<(), BookError> {
    let linked = fs::hard_link(tmp, path);
    let _ = fs::remove_file(tmp);
    match linked {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(BookError::Refused(
            format!("{} exists already; the book is append-only", path.display()),
        )),
        other => other.map_err(io(path)),
    }
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
