//! A release as found in a book: its sign-offs, its final record, and the check of every
//! file against its manifest ([`Release::check`]).

use super::{
    files, io, read_json, sha256_hex, BookError, FinalRecord, Manifest, Release, Signoff,
    SignoffFiles, FINAL, FORMAT, INPUTS, MANIFEST, ROLES, SIGNOFFS,
};
use std::fs;
use std::path::{Path, PathBuf};

/// What [`Release::check`] found wrong with a release's files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Damage {
    /// A file's bytes differ from its digest.
    Edited(String),
    /// A file the manifest names is gone.
    Missing(String),
    /// A file the manifest does not name (outside the sign-offs and the final record).
    Unexpected(String),
    /// A sign-off approves another hash, or was changed after the final record.
    Signoff(String),
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Damage::Edited(p) => write!(f, "{p}: edited (its SHA-256 differs from release.json)"),
            Damage::Missing(p) => write!(f, "{p}: missing"),
            Damage::Unexpected(p) => write!(f, "{p}: not part of the release"),
            Damage::Signoff(s) => f.write_str(s),
        }
    }
}

impl Release {
    /// Reads the release in `dir`.
    pub fn open(dir: &Path) -> Result<Release, BookError> {
        let path = dir.join(MANIFEST);
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        if name.starts_with('.') {
            return Err(BookError::Refused(format!(
                "{} is a release being written (or left by an interrupted one), not a release",
                dir.display()
            )));
        }
        let (manifest, bytes): (Manifest, _) = read_json(&path)?;
        let plain =
            |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let numbered = manifest
            .release
            .strip_prefix(manifest.period.as_str())
            .and_then(|rest| rest.strip_prefix("-r"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !plain(&manifest.period) || !numbered {
            return Err(BookError::Record {
                path,
                message: "its release id is not PERIOD-rN of its period".into(),
            });
        }
        if manifest.release != name {
            return Err(BookError::Record {
                path,
                message: format!(
                    "names release {:?}, but its directory is {:?}",
                    manifest.release, name
                ),
            });
        }
        if manifest.format != FORMAT {
            return Err(BookError::Record {
                path,
                message: format!(
                    "format {} (this nrr reads format {FORMAT})",
                    manifest.format
                ),
            });
        }
        Ok(Release {
            dir: dir.to_path_buf(),
            manifest,
            hash: sha256_hex(&bytes),
        })
    }

    /// Its id.
    pub fn id(&self) -> &str {
        &self.manifest.release
    }

    /// The pinned data directory.
    pub fn inputs_dir(&self) -> PathBuf {
        self.dir.join(INPUTS)
    }

    /// The sign-offs given, by role name (`signoffs/ROLE.json`), and the entries of
    /// `signoffs/` that are no sign-off (any other name; the temporary files of an
    /// interrupted write are left out of both).
    pub(super) fn signoff_files(&self) -> Result<SignoffFiles, BookError> {
        let dir = self.dir.join(SIGNOFFS);
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
            Err(e) => return Err(io(&dir)(e)),
        };
        let (mut found, mut other) = (Vec::new(), Vec::new());
        for entry in entries {
            let entry = entry.map_err(io(&dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_file = entry.file_type().map_err(io(&dir))?.is_file();
            let role = name.strip_suffix(".json").filter(|r| ROLES.contains(r));
            match role {
                Some(role) if is_file => found.push((role.to_string(), entry.path())),
                _ if ROLES
                    .iter()
                    .any(|r| files::leftover(&name, &format!("{r}.json"))) => {}
                _ => other.push(format!("{SIGNOFFS}/{name}")),
            }
        }
        found.sort();
        other.sort();
        Ok((found, other))
    }

    /// The sign-offs given, by role name.
    pub fn signoffs(&self) -> Result<Vec<(String, Signoff)>, BookError> {
        let mut out = Vec::new();
        for (role, path) in self.signoff_files()?.0 {
            let (s, _): (Signoff, _) = read_json(&path)?;
            out.push((role, s));
        }
        Ok(out)
    }

    /// The final record, if the release is final.
    pub fn final_record(&self) -> Result<Option<FinalRecord>, BookError> {
        let path = self.dir.join(FINAL);
        if !path.exists() {
            return Ok(None);
        }
        Ok(Some(read_json(&path)?.0))
    }

    /// Re-hashes every file against the manifest, and the sign-offs against the release
    /// hash and the final record. Empty when the release is intact.
    pub fn check(&self) -> Result<Vec<Damage>, BookError> {
        let mut damage = Vec::new();
        let found = files::digest_tree(&self.dir, &[MANIFEST, FINAL, SIGNOFFS])?;
        for f in &self.manifest.files {
            match found.iter().find(|g| g.path == f.path) {
                None => damage.push(Damage::Missing(f.path.clone())),
                Some(g) if g.sha256 != f.sha256 => damage.push(Damage::Edited(f.path.clone())),
                Some(_) => {}
            }
        }
        for g in &found {
            if !self.manifest.files.iter().any(|f| f.path == g.path) {
                damage.push(Damage::Unexpected(g.path.clone()));
            }
        }
        let (signoff_files, strays) = self.signoff_files()?;
        damage.extend(strays.into_iter().map(Damage::Unexpected));
        for (role, path) in &signoff_files {
            let s = match read_json::<Signoff>(path) {
                Ok((s, _)) => s,
                Err(e) => {
                    damage.push(Damage::Signoff(format!(
                        "signoffs/{role}.json: {}",
                        record_problem(&e)
                    )));
                    continue;
                }
            };
            if s.release_hash != self.hash || s.release != self.manifest.release {
                damage.push(Damage::Signoff(format!(
                    "signoffs/{role}.json: approves {} {}, not this release ({} {})",
                    s.release, s.release_hash, self.manifest.release, self.hash
                )));
            }
            if s.role != *role {
                damage.push(Damage::Signoff(format!(
                    "signoffs/{role}.json: is a sign-off of the role {:?}",
                    s.role
                )));
            }
        }
        let fin = match self.final_record() {
            Ok(fin) => fin,
            Err(e) => {
                damage.push(Damage::Signoff(format!(
                    "final.json: {}",
                    record_problem(&e)
                )));
                None
            }
        };
        if let Some(fin) = fin {
            if fin.release_hash != self.hash || fin.release != self.manifest.release {
                damage.push(Damage::Signoff(format!(
                    "final.json: records {} {}, not this release ({} {})",
                    fin.release, fin.release_hash, self.manifest.release, self.hash
                )));
            }
            for s in &fin.signoffs {
                let path = self.dir.join(&s.path);
                match fs::read(&path) {
                    Ok(bytes) if sha256_hex(&bytes) == s.sha256 => {}
                    Ok(_) => damage.push(Damage::Edited(s.path.clone())),
                    Err(_) => damage.push(Damage::Missing(s.path.clone())),
                }
            }
            for (role, _) in &signoff_files {
                let rel = format!("{SIGNOFFS}/{role}.json");
                if !fin.signoffs.iter().any(|s| s.path == rel) {
                    damage.push(Damage::Signoff(format!(
                        "{rel}: not among the sign-offs final.json records (added or changed after the release went final)"
                    )));
                }
            }
        }
        Ok(damage)
    }

    /// A file of the release, read.
    pub fn read(&self, rel: &str) -> Result<Vec<u8>, BookError> {
        let path = self.dir.join(rel);
        fs::read(&path).map_err(io(&path))
    }
}

/// What is wrong with a record, without its path (the damage line names it).
pub(super) fn record_problem(e: &BookError) -> String {
    match e {
        BookError::Record { message, .. } => format!("not a valid record: {message}"),
        BookError::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}
