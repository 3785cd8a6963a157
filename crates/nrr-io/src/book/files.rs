//! Digests and durable writes of a release's files.

use super::{io, BookError, FileDigest};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Read;
use std::path::Path;

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// The digest of one file, streamed (inputs may be large).
pub(super) fn digest(path: &Path, rel: &str) -> Result<FileDigest, BookError> {
    let mut f = fs::File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok(FileDigest {
        path: rel.to_string(),
        sha256: hex(&hasher.finalize()),
        bytes,
    })
}

/// Every file under `root` (recursively), by relative `/` path, with its digest; top-level
/// entries named in `skip` are left out.
pub(super) fn digest_tree(root: &Path, skip: &[&str]) -> Result<Vec<FileDigest>, BookError> {
    let mut out = Vec::new();
    walk(root, "", skip, &mut out)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn walk(
    dir: &Path,
    prefix: &str,
    skip: &[&str],
    out: &mut Vec<FileDigest>,
) -> Result<(), BookError> {
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // The final record's temporary file, left by an interrupted write, is no file of
        // the release (its sign-offs' are in signoffs/, which the caller skips).
        if prefix.is_empty() && (skip.contains(&name.as_str()) || leftover(&name, super::FINAL)) {
            continue;
        }
        let rel = format!("{prefix}{name}");
        let path = entry.path();
        let kind = entry.file_type().map_err(io(&path))?;
        if kind.is_dir() {
            walk(&path, &format!("{rel}/"), skip, out)?;
        } else {
            out.push(digest(&path, &rel)?);
        }
    }
    Ok(())
}

/// `name` is the temporary file [`super::write_atomic`] writes for `target`
/// (`.tmp-final.json-1234`).
pub(super) fn leftover(name: &str, target: &str) -> bool {
    name.strip_prefix(".tmp-")
        .and_then(|rest| rest.strip_prefix(target))
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// Syncs every file and directory under `root` to disk.
pub(super) fn sync_tree(root: &Path) -> Result<(), BookError> {
    for entry in fs::read_dir(root).map_err(io(root))? {
        let entry = entry.map_err(io(root))?;
        let path = entry.path();
        if entry.file_type().map_err(io(&path))?.is_dir() {
            sync_tree(&path)?;
        } else {
            fs::File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(io(&path))?;
        }
    }
    sync_dir(root)
}

/// Syncs a directory's entries (a rename in it) to disk.
pub(super) fn sync_dir(dir: &Path) -> Result<(), BookError> {
    fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io(dir))
}

/// Read-only: files 0444, directories 0555 (on Unix; elsewhere files read-only and
/// directories left as they are). The owner can still change them back, and root ignores
/// them: they stop a command or a program that writes a path by mistake, not a person.
pub(super) fn seal(path: &Path, dir: bool) -> Result<(), BookError> {
    set_mode(path, dir, false)
}

/// Writable again: files 0644, directories 0755.
pub(super) fn unseal(path: &Path, dir: bool) -> Result<(), BookError> {
    set_mode(path, dir, true)
}

fn set_mode(path: &Path, dir: bool, writable: bool) -> Result<(), BookError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match (dir, writable) {
            (true, true) => 0o755,
            (true, false) => 0o555,
            (false, true) => 0o644,
            (false, false) => 0o444,
        };
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(io(path))
    }
    #[cfg(not(unix))]
    {
        if dir {
            return Ok(());
        }
        let mut p = fs::metadata(path).map_err(io(path))?.permissions();
        p.set_readonly(!writable);
        fs::set_permissions(path, p).map_err(io(path))
    }
}

/// Seals every file and directory under `root`, `root` last.
pub(super) fn seal_tree(root: &Path) -> Result<(), BookError> {
    for entry in fs::read_dir(root).map_err(io(root))? {
        let entry = entry.map_err(io(root))?;
        let path = entry.path();
        if entry.file_type().map_err(io(&path))?.is_dir() {
            seal_tree(&path)?;
        } else {
            seal(&path, false)?;
        }
    }
    seal(root, true)
}

/// Unseals every directory under `root`, `root` first, so the tree can be removed (a
/// directory's entries are removed with its write permission; a file's own mode does not
/// matter). Best effort.
pub(super) fn unseal_dirs(root: &Path) {
    let _ = unseal(root, true);
    if let Ok(entries) = fs::read_dir(root) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                unseal_dirs(&entry.path());
            }
        }
    }
}

/// Removes a tree that may be sealed.
pub(super) fn remove_tree(root: &Path) -> std::io::Result<()> {
    unseal_dirs(root);
    fs::remove_dir_all(root)
}

/// Directories of a release opened for writing a new record under the lock, sealed again
/// when dropped (also on an error). A writer killed in between leaves them writable: the
/// next record written to the release seals them again; nothing reads the mode.
pub(super) struct Unsealed(Vec<std::path::PathBuf>);

impl Unsealed {
    /// Opens `dirs` (those that exist) for writing, in order.
    pub(super) fn open(dirs: &[&Path]) -> Result<Unsealed, BookError> {
        let mut opened = Unsealed(Vec::new());
        for d in dirs {
            if d.is_dir() {
                unseal(d, true)?;
                opened.0.push(d.to_path_buf());
            }
        }
        Ok(opened)
    }

    /// Adds a directory just created, to be sealed with the others.
    pub(super) fn add(&mut self, dir: &Path) {
        self.0.push(dir.to_path_buf());
    }
}

impl Drop for Unsealed {
    fn drop(&mut self) {
        for d in self.0.iter().rev() {
            let _ = seal(d, true);
        }
    }
}
