//! The book: the published releases of the official number (docs/publishing.md).
//!
//! A book is a directory (default `nrr-book/`):
//!
//! ```text
//! nrr-book/
//!   .lock                        held while a command writes (publish, signoff, final)
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
//! place in one step ([`Book::publish`]): a killed writer leaves only a staging directory,
//! which no command reads and the next writer removes. Writers hold `.lock`, so two at once
//! take turns. Nothing here edits or deletes a release.

mod files;
mod release;

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

    /// Takes the book's lock (creating the book), waiting while another writer holds it.
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
        Ok(Lock { _file: file })
    }

    /// Every release of the book, by id (a missing book has none).
    pub fn releases(&self) -> Result<Vec<Release>, BookError> {
        let dir = self.releases_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&dir)(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io(&dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.path().join(MANIFEST).is_file() {
                continue;
            }
            out.push(Release::open(&entry.path())?);
        }
        out.sort_by(|a, b| release_order(&a.manifest.release, &b.manifest.release));
        Ok(out)
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

    /// The next release id of `period` (`2025-Q4-r3` after r1 and r2). Call with the lock held.
    pub fn next_id(&self, period: &str) -> Result<String, BookError> {
        let n = self
            .of_period(period)?
            .iter()
            .filter_map(|r| sequence(&r.manifest.release))
            .max()
            .unwrap_or(0);
        Ok(format!("{period}-r{}", n + 1))
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
                    fs::remove_dir_all(&p).map_err(io(&p))?;
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

    /// Digests every file written, fills `manifest.files`, writes the manifest, syncs it all
    /// to disk and renames the staging directory into place: the release appears whole or
    /// not at all. Returns it.
    pub fn commit(self, mut manifest: Manifest) -> Result<Release, BookError> {
        manifest.files = files::digest_tree(&self.tmp, &[MANIFEST])?;
        let bytes = to_json(&manifest);
        let path = self.tmp.join(MANIFEST);
        write_synced(&path, &bytes)?;
        files::sync_tree(&self.tmp)?;
        if self.target.exists() {
            return Err(BookError::Refused(format!(
                "{} exists already; a release is never overwritten",
                self.target.display()
            )));
        }
        fs::rename(&self.tmp, &self.target).map_err(io(&self.target))?;
        if let Some(parent) = self.target.parent() {
            files::sync_dir(parent)?;
        }
        Ok(Release {
            dir: self.target.clone(),
            hash: sha256_hex(&bytes),
            manifest,
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Not committed (an error on the way): the staging directory goes. Best effort: a
        // leftover is never read as a release and the next writer removes it.
        if self.tmp.exists() {
            let _ = fs::remove_dir_all(&self.tmp);
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
