//! The book's lock ([`Book::lock`]) and what the writer who takes it does first: start the
//! journal of a book written before it, and complete a write that was journaled but not put
//! in place.

use super::journal::{self, Event, Journal};
use super::{
    files, io, sha256_hex, Book, BookError, FinalRecord, Signoff, FINAL, MANIFEST, SIGNOFFS,
};
use std::fs;
use std::path::{Path, PathBuf};

/// The book's lock, held until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: fs::File,
    /// The releases of a book written before the journal that taking the lock recorded in
    /// a new journal (`adopt`), as found.
    pub adopted: Vec<String>,
}

impl Book {
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
}
