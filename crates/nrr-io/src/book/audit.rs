//! The book against its journal ([`Book::audit`]): the chain holds, every release, sign-off
//! and final record the journal names is in the book with the digest it records, and every
//! one the book holds is in the journal.

use super::journal::{kind, Journal, JOURNAL};
use super::release::record_problem;
use super::{sha256_hex, Book, BookError, Release, FINAL, SIGNOFFS};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;

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

impl Book {
    /// Checks the book against its journal (see the module). Reads every release.
    pub fn audit(&self) -> Result<Audit, BookError> {
        let (releases, unreadable) = self.scan()?;
        let mut a = Audit {
            journal: self.journal()?,
            ..Audit::default()
        };
        let mut damage = |release: Option<&str>, text: String| {
            a.damage.push(Finding {
                release: release.map(str::to_string),
                text,
            })
        };
        for u in &unreadable {
            damage(
                Some(&u.id),
                format!(
                    "releases/{}/release.json: {}",
                    u.id,
                    record_problem(&u.error)
                ),
            );
        }
        let Some(j) = a.journal.clone() else {
            let with: Vec<&Release> = releases
                .iter()
                .filter(|r| r.manifest.journal_head.is_some())
                .collect();
            for r in &with {
                damage(
                    Some(r.id()),
                    format!(
                        "{JOURNAL}: missing, but release {} was published with it (its release.json names journal head {})",
                        r.id(),
                        r.manifest.journal_head.as_deref().unwrap_or("")
                    ),
                );
            }
            if with.is_empty() {
                a.notes.push(format!(
                    "no {JOURNAL}: the book was written before nrr kept one, so final.json alone records a release final; the next nrr publish, signoff or publish --final starts it with the releases as found"
                ));
                a.finals = releases
                    .iter()
                    .filter(|r| r.dir.join(FINAL).exists())
                    .map(|r| r.id().to_string())
                    .collect();
            }
            return Ok(a);
        };
        if let Some(b) = &j.broken {
            damage(None, b.clone());
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
        // What the journal records: each release's line and hash, each record's digest.
        let mut published: BTreeMap<&str, (usize, &super::Event)> = BTreeMap::new();
        let mut records: BTreeMap<(String, String), (usize, &str)> = BTreeMap::new();
        for (i, e) in j.events.iter().enumerate() {
            let n = i + 1;
            if e.event == kind::FINAL {
                a.finals.insert(e.release.clone());
            }
            if pending == Some(n) {
                continue;
            }
            if e.is_release() {
                if published.insert(&e.release, (n, e)).is_some() {
                    damage(
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
                    damage(
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
        for (id, (n, e)) in &published {
            let Some(r) = releases.iter().find(|r| r.id() == *id) else {
                if !unreadable.iter().any(|u| u.id == *id) {
                    damage(
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
                damage(
                    Some(id),
                    format!(
                        "releases/{id}/release.json: its SHA-256 {} is not the one {JOURNAL} line {n} records ({})",
                        r.hash, e.release_hash
                    ),
                );
            } else if let Some(h) = &r.manifest.journal_head {
                if e.event != kind::ADOPT && *h != e.prev {
                    damage(
                        Some(id),
                        format!(
                            "releases/{id}/release.json: names journal head {h}, but {JOURNAL} line {n} follows {}",
                            e.prev
                        ),
                    );
                }
            }
        }
        for ((id, rel), (n, sha)) in &records {
            let path = self.releases_dir().join(id).join(rel);
            match fs::read(&path) {
                Ok(b) if sha256_hex(&b) == *sha => {}
                Ok(_) => damage(
                    Some(id),
                    format!(
                        "releases/{id}/{rel}: its SHA-256 is not the one {JOURNAL} line {n} records"
                    ),
                ),
                Err(_) => damage(
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
        // What the book holds that the journal does not record.
        let pending_path = self.pending(&j).map(|(target, _)| target);
        for r in &releases {
            let id = r.id();
            if !published.contains_key(id) && pending_path.as_deref() != Some(r.dir.as_path()) {
                damage(
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
                    damage(
                        Some(id),
                        format!("releases/{id}/{rel}: not in {JOURNAL} (no command recorded it)"),
                    );
                }
            }
        }
        Ok(a)
    }
}
