//! A release being written ([`Staging`]): staged in a hidden directory, then committed into
//! place in one rename.

use super::journal::{self, Event, Journal};
use super::{
    files, io, sha256_hex, to_json, write_synced, Book, BookError, Manifest, Release, MANIFEST,
};
use std::fs;
use std::path::{Path, PathBuf};

impl Book {
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
