//! Stripe objects as given: files (`.json` lists or `.jsonl`, each object with its line) or
//! objects in memory (a database), parsed one by one so that malformed JSON is a rejection.

use super::fields::Bad;
use crate::error::{IoError, Rejection, RejectionKind};
use crate::table::display_name;
use nrr_core::report::RowLedger;
use serde_json::value::RawValue;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One object given in memory: JSON already parsed, or its text (parsed here, so malformed
/// JSON is a rejection like in a file).
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) enum Json {
    /// A parsed value.
    Value(Value),
    /// The JSON text of one object.
    Text(String),
}

/// Where the objects of one kind come from.
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) enum Objects {
    /// A `.json` (array or list object) or `.jsonl` file.
    File(PathBuf),
    /// Objects in memory: the input's name (for rejections and `inputs`) and each object with
    /// its row number (the "line" of rejections).
    Rows {
        name: String,
        rows: Vec<(u64, Json)>,
    },
}

impl Objects {
    /// How rejections and the report's `inputs` name the input.
    pub(crate) fn name(&self) -> String {
        match self {
            Objects::File(p) => display_name(p),
            Objects::Rows { name, .. } => name.clone(),
        }
    }

    /// Bytes read, for progress.
    pub(super) fn size(&self) -> u64 {
        match self {
            Objects::File(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
            Objects::Rows { rows, .. } => rows
                .iter()
                .map(|(_, j)| match j {
                    Json::Text(t) => t.len() as u64,
                    Json::Value(_) => 0,
                })
                .sum(),
        }
    }

    /// The objects with their positions; malformed JSON is a rejection (one a file, one a
    /// row in memory).
    pub(super) fn read(&self, rejections: &mut Vec<Rejection>) -> Result<Vec<FileObject>, IoError> {
        let (name, rows) = match self {
            Objects::File(p) => return read_objects(p, rejections),
            Objects::Rows { name, rows } => (name, rows),
        };
        let mut out = Vec::new();
        for (index, (row, json)) in rows.iter().enumerate() {
            let value = match json {
                Json::Value(v) => v.clone(),
                Json::Text(t) => match serde_json::from_str::<Value>(t) {
                    Ok(v) => v,
                    Err(e) => {
                        let l = t.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
                        rejections.push(malformed(name, *row, e.column(), l, &e));
                        continue;
                    }
                },
            };
            out.push(FileObject {
                line: *row,
                index,
                value,
            });
        }
        Ok(out)
    }
}

impl Objects {
    /// A `.json` file holding a list object that says `"has_more": true`: one page of a
    /// longer list, so the export is incomplete.
    pub(super) fn has_more(&self) -> bool {
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            has_more: bool,
        }
        let Objects::File(p) = self else { return false };
        if p.extension().is_some_and(|e| e == "jsonl") {
            return false;
        }
        std::fs::read_to_string(p).is_ok_and(|t| {
            let t = t.strip_prefix('\u{feff}').unwrap_or(&t).trim_start();
            t.starts_with('{') && serde_json::from_str::<Page>(t).is_ok_and(|pg| pg.has_more)
        })
    }

    /// The objects parsed by `parse` (`rows`: the ledger rows of a parsed one), every row
    /// counted as read; malformed JSON and a bad field are rejected, one row each.
    pub(super) fn parse<T>(
        &self,
        parse: impl Fn(&Value, u64) -> Result<T, Bad>,
        rows: impl Fn(&T) -> usize,
        ledger: &mut RowLedger,
        rejections: &mut Vec<Rejection>,
    ) -> Result<Vec<T>, IoError> {
        let name = self.name();
        let before = rejections.len();
        let objs = self.read(rejections)?;
        let bad_json = (rejections.len() - before) as u64;
        ledger.read += bad_json;
        ledger.rejected += bad_json;
        let mut out = Vec::new();
        for o in &objs {
            match parse(&o.value, o.line) {
                Ok(t) => {
                    ledger.read += rows(&t) as u64;
                    out.push(t);
                }
                Err(b) => {
                    ledger.read += 1;
                    ledger.rejected += 1;
                    rejections.push(Rejection {
                        file: name.clone(),
                        line: o.line,
                        column: format!("{}: {}", obj_id(o), b.path),
                        value: b.value,
                        expected: b.expected,
                        kind: b.kind,
                    });
                }
            }
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// Reading objects with their positions

/// One top-level object of a file.
pub(super) struct FileObject {
    /// The line where it starts.
    line: u64,
    /// Its index in the file.
    index: usize,
    value: Value,
}

/// The JSON error's message without serde_json's " at line L column C".
pub(super) fn json_message(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    if msg.starts_with("recursion limit exceeded") {
        return "arrays and objects nested at most 127 deep".to_string();
    }
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    }
}

/// A rejection for malformed JSON at `line`, `column` of `text_line`.
pub(super) fn malformed(
    file: &str,
    line: u64,
    column: usize,
    text_line: &str,
    e: &serde_json::Error,
) -> Rejection {
    let from = column.saturating_sub(1).min(text_line.len());
    let from = (0..=from)
        .rev()
        .find(|i| text_line.is_char_boundary(*i))
        .unwrap_or(0);
    let snippet: String = text_line[from..].chars().take(20).collect();
    Rejection {
        file: file.to_string(),
        line,
        column: format!("column {column}"),
        value: snippet,
        expected: format!("valid JSON ({})", json_message(e)),
        kind: RejectionKind::MalformedRecord,
    }
}

/// The objects of a `.json` file (an array, or a list object `{"object": "list", "data":
/// [...]}`) or a `.jsonl` file (one object a line). Malformed JSON is one rejection.
pub(super) fn read_objects(
    path: &Path,
    rejections: &mut Vec<Rejection>,
) -> Result<Vec<FileObject>, IoError> {
    let name = display_name(path);
    let text = std::fs::read_to_string(path).map_err(|source| IoError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // A byte order mark (some editors write one) is no JSON, but no reason to refuse it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = Vec::new();
    if path.extension().is_some_and(|e| e == "jsonl") {
        for (i, l) in text.lines().enumerate() {
            if l.trim().is_empty() {
                continue;
            }
            let line = i as u64 + 1;
            match serde_json::from_str::<Value>(l) {
                Ok(value) => out.push(FileObject {
                    line,
                    index: out.len(),
                    value,
                }),
                Err(e) => rejections.push(malformed(&name, line, e.column(), l, &e)),
            }
        }
        return Ok(out);
    }
    #[derive(serde::Deserialize)]
    struct List<'a> {
        #[serde(borrow)]
        data: Vec<&'a RawValue>,
    }
    let parsed = if text.trim_start().starts_with('{') {
        serde_json::from_str::<List<'_>>(text).map(|l| l.data)
    } else {
        serde_json::from_str::<Vec<&RawValue>>(text)
    };
    let raws = match parsed {
        Ok(r) => r,
        Err(e) => {
            let l = text.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
            rejections.push(malformed(&name, e.line() as u64, e.column(), l, &e));
            return Ok(out);
        }
    };
    let base = text.as_ptr() as usize;
    let mut line = 1u64;
    let mut pos = 0usize;
    for (index, raw) in raws.into_iter().enumerate() {
        let at = raw.get().as_ptr() as usize - base;
        line += text.as_bytes()[pos..at]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        pos = at;
        // Well-formed, but a value may still be refused: nesting deeper than serde_json's
        // limit (128) or a number out of range (1e400), even in a field nrr does not read.
        match serde_json::from_str(raw.get()) {
            Ok(value) => out.push(FileObject { line, index, value }),
            Err(e) => {
                // Line and column in the file: the object's first line starts mid-line.
                let (l, col) = if e.line() <= 1 {
                    let from = text[..at].rfind('\n').map_or(0, |i| i + 1);
                    let full = text[from..].lines().next().unwrap_or("");
                    (full, at - from + e.column())
                } else {
                    let l = raw.get().lines().nth(e.line() - 1).unwrap_or("");
                    (l, e.column())
                };
                let at_line = line + e.line().saturating_sub(1) as u64;
                rejections.push(malformed(&name, at_line, col, l, &e));
            }
        }
    }
    Ok(out)
}

/// Rejects the copy at `line` of object `id` first seen at `first`: its `rows` are left out.
pub(super) fn twice(
    rej: &mut Vec<Rejection>,
    ledger: &mut RowLedger,
    file: &str,
    id: &str,
    line: u64,
    first: u64,
    rows: usize,
) {
    // Its rows were counted as read; one without rows counts as one row, as a bad object.
    if rows == 0 {
        ledger.read += 1;
    }
    ledger.rejected += rows.max(1) as u64;
    rej.push(Rejection {
        file: file.to_string(),
        line,
        column: format!("{id}: id"),
        value: format!("\"{id}\""),
        expected: format!(
            "each object once: {id} is also on line {first} (overlapping pages of an export?); \
             this copy is left out"
        ),
        kind: RejectionKind::Duplicate,
    });
}

/// The object's id for messages, else its position.
pub(super) fn obj_id(o: &FileObject) -> String {
    match o.value.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => format!("[{}]", o.index),
    }
}
