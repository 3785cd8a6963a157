//! `journal.jsonl`: the book's append-only, hash-chained record of what was written to it.
//!
//! One line per event (a release published or restated, a sign-off, a release made final,
//! a release adopted when a book written before the journal got one), each a JSON object
//! naming the release, its hash, the time and the SHA-256 of the line before it (`prev`; the
//! first line's is [`GENESIS`]). So each line pins every line before it, and the hash of the
//! last line, the **head**, pins the whole journal.
//!
//! Lines are appended under the book's lock, one `write` of the whole line and its newline,
//! then synced. A writer killed mid-line leaves a last line without its newline: a torn line,
//! read as not written and cut off by the next writer. Writers journal an event **before**
//! putting its file in place (write-ahead): the file is first written whole and synced under a
//! temporary name, the line is appended, then the file is renamed or linked into place. A
//! writer killed between the two leaves the journal naming a file that only its temporary copy
//! holds; the next writer, under the lock, puts it in place ([`super::Book::lock`]), and until
//! then `nrr verify` says so without calling it damage.

use super::{io, sha256_hex, BookError};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// The journal's file name, at the book's root.
pub const JOURNAL: &str = "journal.jsonl";

/// The `prev` of the first line: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The kinds of event.
pub mod kind {
    /// A draft release published.
    pub const PUBLISH: &str = "publish";
    /// A restatement published (a draft that supersedes a final release).
    pub const RESTATE: &str = "restate";
    /// A sign-off recorded.
    pub const SIGNOFF: &str = "signoff";
    /// A release made final.
    pub const FINAL: &str = "final";
    /// A release found in a book written before the journal, recorded as it was found.
    pub const ADOPT: &str = "adopt";
}

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Its line number, from 1.
    pub seq: u64,
    /// SHA-256 of the line before it (its bytes and newline), or [`GENESIS`].
    pub prev: String,
    /// One of [`kind`].
    pub event: String,
    /// The release.
    pub release: String,
    /// Its hash.
    pub release_hash: String,
    /// A restatement: the release it supersedes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<String>,
    /// A sign-off: its role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// A sign-off or final: SHA-256 of the record written (`signoffs/ROLE.json`, `final.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_sha256: Option<String>,
    /// When (UTC, RFC 3339), as the record or manifest says.
    pub at: String,
}

impl Event {
    /// An event to append (its `seq` and `prev` are filled in by the append).
    pub fn new(event: &str, release: &str, release_hash: &str, at: &str) -> Event {
        Event {
            seq: 0,
            prev: String::new(),
            event: event.to_string(),
            release: release.to_string(),
            release_hash: release_hash.to_string(),
            supersedes: None,
            role: None,
            record_sha256: None,
            at: at.to_string(),
        }
    }

    /// Publishes a release (publish, restate or adopt).
    pub fn is_release(&self) -> bool {
        matches!(
            self.event.as_str(),
            kind::PUBLISH | kind::RESTATE | kind::ADOPT
        )
    }
}

/// The journal as read: its intact lines, and what is wrong past them.
#[derive(Clone, Debug, Default)]
pub struct Journal {
    /// The lines whose chain holds, in order.
    pub events: Vec<Event>,
    /// SHA-256 of the last intact line ([`GENESIS`] when none): the journal's head.
    pub head: String,
    /// The hash of each intact line, in order (to find a head given earlier).
    pub hashes: Vec<String>,
    /// Where the chain breaks (`journal.jsonl line 4: ...`): the lines from there on are not
    /// read.
    pub broken: Option<String>,
    /// The file ends in a line without its newline (an interrupted append): not part of it.
    pub torn: bool,
    /// The length of the complete lines, in bytes (where the next line goes).
    complete: u64,
}

impl Journal {
    /// No lines yet.
    pub fn empty() -> Journal {
        Journal {
            head: GENESIS.to_string(),
            ..Journal::default()
        }
    }

    /// Reads the journal at `path`; `None` when there is none.
    pub fn read(path: &Path) -> Result<Option<Journal>, BookError> {
        let bytes = match fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(path)(e)),
        };
        Ok(Some(Journal::parse(&bytes)))
    }

    fn parse(bytes: &[u8]) -> Journal {
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let mut j = Journal {
            head: GENESIS.to_string(),
            torn: complete < bytes.len(),
            complete: complete as u64,
            ..Journal::default()
        };
        for (i, line) in bytes[..complete]
            .split_inclusive(|&b| b == b'\n')
            .enumerate()
        {
            let n = i + 1;
            let problem = match serde_json::from_slice::<Event>(line) {
                Err(e) => Some(format!("not a valid record: {e}")),
                Ok(e) if e.seq != n as u64 => Some(format!("numbered {}, not {n}", e.seq)),
                Ok(e) if e.prev != j.head => Some(format!(
                    "its prev {} is not the SHA-256 of the line before it ({}): a line before it was edited, removed or inserted",
                    e.prev, j.head
                )),
                Ok(e) => {
                    j.head = sha256_hex(line);
                    j.hashes.push(j.head.clone());
                    j.events.push(e);
                    None
                }
            };
            if let Some(p) = problem {
                j.broken = Some(format!("{JOURNAL} line {n}: {p}"));
                break;
            }
        }
        j
    }

    /// The line number (from 1) whose hash is `head`, if any.
    pub fn position(&self, head: &str) -> Option<usize> {
        if head == GENESIS {
            return Some(0);
        }
        self.hashes.iter().position(|h| h == head).map(|i| i + 1)
    }
}

/// Appends `event` to the journal at `path` (created when absent), numbered and chained to
/// the last line; a torn last line is cut off first. Refused when the chain is broken. Call
/// with the book's lock held. Returns the event as written and the new head.
pub(super) fn append(path: &Path, mut event: Event) -> Result<(Event, String), BookError> {
    let existed = path.exists();
    let mut f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io(path))?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).map_err(io(path))?;
    let j = Journal::parse(&bytes);
    if let Some(b) = &j.broken {
        return Err(BookError::Refused(format!(
            "{b}; the book's journal is damaged, so nothing more is written to the book (nrr verify names the damage)"
        )));
    }
    if j.torn {
        f.set_len(j.complete).map_err(io(path))?;
    }
    event.seq = j.events.len() as u64 + 1;
    event.prev = j.head.clone();
    // Serializing a plain record cannot fail.
    let mut line = serde_json::to_vec(&event).expect("plain records serialize");
    line.push(b'\n');
    f.seek(SeekFrom::Start(j.complete)).map_err(io(path))?;
    f.write_all(&line).map_err(io(path))?;
    f.sync_all().map_err(io(path))?;
    if !existed {
        if let Some(parent) = path.parent() {
            super::files::sync_dir(parent)?;
        }
    }
    Ok((event, sha256_hex(&line)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_not_written_and_the_next_append_cuts_it() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join(JOURNAL);
        let (a, head_a) =
            append(&path, Event::new(kind::PUBLISH, "2025-Q4-r1", "aa", "t")).expect("a");
        assert_eq!((a.seq, a.prev.as_str()), (1, GENESIS));
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open");
        f.write_all(b"{\"seq\":2,\"prev\":\"").expect("torn");
        let j = Journal::read(&path).expect("read").expect("some");
        assert!(j.torn && j.broken.is_none());
        assert_eq!((j.events.len(), j.head.as_str()), (1, head_a.as_str()));
        let (b, head_b) =
            append(&path, Event::new(kind::FINAL, "2025-Q4-r1", "aa", "t")).expect("b");
        assert_eq!((b.seq, b.prev.as_str()), (2, head_a.as_str()));
        let j = Journal::read(&path).expect("read").expect("some");
        assert!(!j.torn && j.broken.is_none());
        assert_eq!(j.head, head_b);
        assert_eq!(j.position(&head_a), Some(1));
    }

    #[test]
    fn a_removed_line_breaks_the_chain_and_stops_writers() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join(JOURNAL);
        for e in [kind::PUBLISH, kind::SIGNOFF, kind::FINAL] {
            append(&path, Event::new(e, "2025-Q4-r1", "aa", "t")).expect("append");
        }
        let text = fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        fs::write(&path, format!("{}\n{}\n", lines[0], lines[2])).expect("cut");
        let j = Journal::read(&path).expect("read").expect("some");
        assert_eq!(j.events.len(), 1);
        assert!(
            j.broken
                .as_deref()
                .is_some_and(|b| b.starts_with("journal.jsonl line 2: numbered 3")),
            "{:?}",
            j.broken
        );
        let err = append(&path, Event::new(kind::PUBLISH, "x-r1", "bb", "t")).expect_err("refused");
        assert!(err.to_string().contains("journal is damaged"), "{err}");
    }
}
