//! The book against its journal ([`Book::audit`]): the chain holds, every release, sign-off
//! and final record the journal names is in the book with the digest it records, and every
//! one the book holds is in the journal.

use super::journal::{kind, Journal, JOURNAL};
use super::release::record_problem;
use super::{sha256_hex, Book, BookError, Event, Release, Unreadable, FINAL, SIGNOFFS};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Something wrong with the book, naming the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The release it is about (`None`: the journal itself).
    pub release: Option<String>,
    /// What is wrong (`releases/2025-Q4-r1/final.json: missing, but ...`).
    pub text: String,
}

/// What [`Book::audit`] found.
#[derive(Clone, Debug, Default)]
pub struct Audit {
    /// The journal as read (`None`: the book has none).
    pub journal: Option<Journal>,
    /// The releases the journal records final.
    pub finals: BTreeSet<String>,
    /// What does not hold.
    pub damage: Vec<Finding>,
    /// What holds but is worth saying (no journal; a torn last line; an interrupted write the
    /// next writer completes).
    pub notes: Vec<String>,
}

impl Audit {
    /// The damage about the journal itself and about the releases `about` accepts.
    pub fn damage_of(&self, about: impl Fn(&str) -> bool) -> Vec<&Finding> {
        self.damage
            .iter()
            .filter(|f| f.release.as_deref().is_none_or(&about))
            .collect()
    }
}

/// What the journal records: each release's line and the line itself, by id.
type Published<'j> = BTreeMap<&'j str, (usize, &'j Event)>;
/// What the journal records: each record's line and digest, by release and path.
type Records<'j> = BTreeMap<(String, String), (usize, &'j str)>;

impl Book {
    /// Checks the book against its journal (see the module). Reads every release.
    pub fn audit(&self) -> Result<Audit, BookError> {
        let (releases, unreadable) = self.scan()?;
        let mut a = Audit {
            journal: self.journal()?,
            ..Audit::default()
        };
        for u in &unreadable {
            a.damage(
                Some(&u.id),
                format!(
                    "releases/{}/release.json: {}",
                    u.id,
                    record_problem(&u.error)
                ),
            );
        }
        let Some(j) = a.journal.clone() else {
            a.without_journal(&releases);
            return Ok(a);
        };
        if let Some(b) = &j.broken {
            a.damage(None, b.clone());
        }
        if j.torn {
            a.notes.push(format!(
                "{JOURNAL}: its last line is torn (an interrupted write) and is not part of it; the next writer cuts it"
            ));
        }
        let pending = self.pending(&j).map(|_| j.events.len());
        if let (Some(n), Some(e)) = (pending, j.events.last()) {
            a.notes.push(format!(
                "{JOURNAL} line {n}: the {} of {} is journaled, its file still under a temporary name (an interrupted write): the next nrr publish, signoff or publish --final puts it in place",
                e.event, e.release
            ));
        }
        let (published, records) = a.journaled(&j, pending);
        a.check_published(&published, &releases, &unreadable);
        a.check_records(&self.releases_dir(), &records);
        // What the book holds that the journal does not record.
        let pending_path = self.pending(&j).map(|(target, _)| target);
        a.check_unjournaled(&releases, &published, &records, pending_path.as_deref())?;
        Ok(a)
    }
}

impl Audit {
    /// Records damage about `release` (`None`: the journal itself).
    fn damage(&mut self, release: Option<&str>, text: String) {
        self.damage.push(Finding {
            release: release.map(str::to_string),
            text,
        })
    }

    /// A book without a journal: damage for each release published with one, else a note
    /// and the releases whose `final.json` records them final.
    fn without_journal(&mut self, releases: &[Release]) {
        let with: Vec<&Release> = releases
            .iter()
            .filter(|r| r.manifest.journal_head.is_some())
            .collect();
        for r in &with {
            self.damage(
                Some(r.id()),
                format!(
                    "{JOURNAL}: missing, but release {} was published with it (its release.json names journal head {})",
                    r.id(),
                    r.manifest.journal_head.as_deref().unwrap_or("")
                ),
            );
        }
        if with.is_empty() {
            self.notes.push(format!(
                "no {JOURNAL}: the book was written before nrr kept one, so final.json alone records a release final; the next nrr publish, signoff or publish --final starts it with the releases as found"
            ));
            self.finals = releases
                .iter()
                .filter(|r| r.dir.join(FINAL).exists())
                .map(|r| r.id().to_string())
                .collect();
        }
    }

    /// What the journal records: each release's line and hash, each record's digest (the
    /// `pending` line, an interrupted write, left out). Fills [`Audit::finals`] and names a
    /// release published twice and an event of no known kind.
    fn journaled<'j>(
        &mut self,
        j: &'j Journal,
        pending: Option<usize>,
    ) -> (Published<'j>, Records<'j>) {
        let mut published: Published<'j> = BTreeMap::new();
        let mut records: Records<'j> = BTreeMap::new();
        for (i, e) in j.events.iter().enumerate() {
            let n = i + 1;
            if e.event == kind::FINAL {
                self.finals.insert(e.release.clone());
            }
            if pending == Some(n) {
                continue;
            }
            if e.is_release() {
                if published.insert(&e.release, (n, e)).is_some() {
                    self.damage(
                        Some(&e.release),
                        format!("{JOURNAL} line {n}: publishes {} a second time", e.release),
                    );
                }
                continue;
            }
            let rel = match (e.event.as_str(), &e.role) {
                (kind::SIGNOFF, Some(role)) => format!("{SIGNOFFS}/{role}.json"),
                (kind::FINAL, _) => FINAL.to_string(),
                _ => {
                    self.damage(
                        None,
                        format!(
                            "{JOURNAL} line {n}: an event of no known kind ({:?})",
                            e.event
                        ),
                    );
                    continue;
                }
            };
            let sha = e.record_sha256.as_deref().unwrap_or("");
            records.insert((e.release.clone(), rel), (n, sha));
        }
        (published, records)
    }

    /// Each release the journal records is in the book, with the hash it records and the
    /// journal head before its line.
    fn check_published(
        &mut self,
        published: &Published<'_>,
        releases: &[Release],
        unreadable: &[Unreadable],
    ) {
        for (id, (n, e)) in published {
            let Some(r) = releases.iter().find(|r| r.id() == *id) else {
                if !unreadable.iter().any(|u| u.id == *id) {
                    self.damage(
                        Some(id),
                        format!(
                            "releases/{id}: {JOURNAL} line {n} records it (sha256 {}), but the book does not hold it",
                            e.release_hash
                        ),
                    );
                }
                continue;
            };
            if r.hash != e.release_hash {
                self.damage(
                    Some(id),
                    format!(
                        "releases/{id}/release.json: its SHA-256 {} is not the one {JOURNAL} line {n} records ({})",
                        r.hash, e.release_hash
                    ),
                );
            } else if let Some(h) = &r.manifest.journal_head {
                if e.event != kind::ADOPT && *h != e.prev {
                    self.damage(
                        Some(id),
                        format!(
                            "releases/{id}/release.json: names journal head {h}, but {JOURNAL} line {n} follows {}",
                            e.prev
                        ),
                    );
                }
            }
        }
    }

    /// Each sign-off and final record the journal records is under `releases_dir` with the
    /// digest it records.
    fn check_records(&mut self, releases_dir: &Path, records: &Records<'_>) {
        for ((id, rel), (n, sha)) in records {
            let path = releases_dir.join(id).join(rel);
            match fs::read(&path) {
                Ok(b) if sha256_hex(&b) == *sha => {}
                Ok(_) => self.damage(
                    Some(id),
                    format!(
                        "releases/{id}/{rel}: its SHA-256 is not the one {JOURNAL} line {n} records"
                    ),
                ),
                Err(_) => self.damage(
                    Some(id),
                    format!(
                        "releases/{id}/{rel}: missing, but {JOURNAL} line {n} records it{}",
                        if rel == FINAL {
                            format!(" ({id} was made final)")
                        } else {
                            String::new()
                        }
                    ),
                ),
            }
        }
    }

    /// Each release, sign-off and final record the book holds is in the journal (a release
    /// at `pending_path`, journaled by an interrupted write, counts as recorded).
    fn check_unjournaled(
        &mut self,
        releases: &[Release],
        published: &Published<'_>,
        records: &Records<'_>,
        pending_path: Option<&Path>,
    ) -> Result<(), BookError> {
        for r in releases {
            let id = r.id();
            if !published.contains_key(id) && pending_path != Some(r.dir.as_path()) {
                self.damage(
                    Some(id),
                    format!("releases/{id}: not in {JOURNAL} (no nrr publish recorded it)"),
                );
                continue;
            }
            let mut held: Vec<String> = r
                .signoff_files()?
                .0
                .into_iter()
                .map(|(role, _)| format!("{SIGNOFFS}/{role}.json"))
                .collect();
            if r.dir.join(FINAL).exists() {
                held.push(FINAL.to_string());
            }
            for rel in held {
                if !records.contains_key(&(id.to_string(), rel.clone())) {
                    self.damage(
                        Some(id),
                        format!("releases/{id}/{rel}: not in {JOURNAL} (no command recorded it)"),
                    );
                }
            }
        }
        Ok(())
    }
}
