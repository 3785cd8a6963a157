//! The releases a book holds: listed, found by name or period, and numbered.

use super::{io, Book, BookError, Release, MANIFEST};
use std::fs;
use std::path::Path;

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
