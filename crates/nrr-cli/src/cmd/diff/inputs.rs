//! The input files of a side, and what differs between two sides' files: files added or
//! removed, and the lines (CSV, JSONL) or objects (JSON) added, removed or changed, each named
//! by file and line (`items.csv:8`) or object id (`invoices.json#in_123`) with its customer.

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// A side's input files by name (`items.csv`, `stripe/invoices.json`).
#[derive(Clone, Debug, Default)]
pub(crate) struct FileMap {
    files: BTreeMap<String, PathBuf>,
}

impl FileMap {
    /// The bytes of file `name`, if the side has it.
    pub(crate) fn bytes(&self, name: &str) -> anyhow::Result<Option<Vec<u8>>> {
        self.files
            .get(name)
            .map(|p| std::fs::read(p).with_context(|| format!("reading {}", p.display())))
            .transpose()
    }

    /// The path of file `name`, if the side has it.
    pub(crate) fn path(&self, name: &str) -> Option<PathBuf> {
        self.files.get(name).cloned()
    }

    /// Puts `path` as file `name` (`None`: removes it).
    pub(crate) fn replace(&mut self, name: &str, path: Option<PathBuf>) {
        match path {
            Some(p) => self.files.insert(name.to_string(), p),
            None => self.files.remove(name),
        };
    }

    /// Copies every file into `dir`, a data directory.
    pub(crate) fn copy_to(&self, dir: &Path) -> anyhow::Result<()> {
        for (name, from) in &self.files {
            let to = dir.join(name);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(from, &to).with_context(|| format!("copying {}", from.display()))?;
        }
        Ok(())
    }
}

/// A release's `inputs/`: every file but its nrr.toml.
pub(crate) fn release_files(inputs: &Path) -> anyhow::Result<FileMap> {
    let mut map = FileMap::default();
    walk(inputs, "", &mut map).with_context(|| format!("reading {}", inputs.display()))?;
    Ok(map)
}

/// DATA as `nrr publish` copies it: a directory's files but hidden ones, its nrr.toml and a
/// book inside it; one file with the side files beside it.
pub(crate) fn data_files(data: &Path) -> anyhow::Result<FileMap> {
    let mut map = FileMap::default();
    if data.is_file() {
        let name = data
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        map.files.insert(name, data.to_path_buf());
        let dir = data
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        for side in [
            "fx.csv",
            "customers.csv",
            "annotations.csv",
            "customer_map.csv",
            "subscription_events.csv",
        ] {
            if dir.join(side).is_file() {
                map.files.insert(side.to_string(), dir.join(side));
            }
        }
        return Ok(map);
    }
    walk(data, "", &mut map).with_context(|| format!("reading {}", data.display()))?;
    Ok(map)
}

fn walk(dir: &Path, prefix: &str, map: &mut FileMap) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || (prefix.is_empty() && name == "nrr.toml") {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            // A book kept inside the data directory is no input.
            if path.join("releases").is_dir() {
                continue;
            }
            walk(&path, &format!("{prefix}{name}/"), map)?;
        } else {
            map.files.insert(format!("{prefix}{name}"), path);
        }
    }
    Ok(())
}

/// One input line or object that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct LineChange {
    /// `items.csv:8` (the line in the side that has it: A's for removed, B's for added), or
    /// `invoices.json#in_123`.
    pub at: String,
    /// `removed` (in A only), `added` (in B only) or `changed` (a JSON object of the same id).
    pub change: &'static str,
    /// The line (escaped for a terminal), or the object's id.
    pub text: String,
    /// The customer it belongs to, when the file names one (`customer_id`, `customer`).
    pub customer_id: Option<String>,
}

/// One file that differs between the sides.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct InputChange {
    /// Its name (`items.csv`), `nrr.toml`, or `window` for the window flags.
    pub file: String,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    /// Its lines or objects that differ (none for a binary file such as Parquet).
    pub lines: Vec<LineChange>,
}

impl InputChange {
    /// The window flags of A against B's.
    pub(crate) fn window(a: &[String], b: &[String]) -> InputChange {
        let text = |w: &[String]| {
            if w.is_empty() {
                "(defaults)".to_string()
            } else {
                w.join(" ")
            }
        };
        InputChange {
            file: "window".into(),
            change: "changed",
            lines: vec![
                LineChange {
                    at: "window".into(),
                    change: "removed",
                    text: text(a),
                    customer_id: None,
                },
                LineChange {
                    at: "window".into(),
                    change: "added",
                    text: text(b),
                    customer_id: None,
                },
            ],
        }
    }
}

/// Every file of `a` and `b` that differs, by name.
pub(crate) fn compare(a: &FileMap, b: &FileMap) -> anyhow::Result<Vec<InputChange>> {
    let mut names: Vec<&String> = a.files.keys().chain(b.files.keys()).collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let (x, y) = (a.bytes(name)?, b.bytes(name)?);
        if x != y {
            out.push(compare_file(name, x.as_deref(), y.as_deref()));
        }
    }
    Ok(out)
}

/// File `name` as A has it (`None`: absent) against B's.
pub(crate) fn compare_file(name: &str, a: Option<&[u8]>, b: Option<&[u8]>) -> InputChange {
    let change = match (a, b) {
        (None, _) => "added",
        (_, None) => "removed",
        _ => "changed",
    };
    let lower = name.to_ascii_lowercase();
    let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    let lines = if lower.ends_with(".json") {
        json_objects(name, a, b)
    } else if lower.ends_with(".parquet") || std::str::from_utf8(a).is_err() {
        Vec::new()
    } else {
        text_lines(name, a, b)
    };
    InputChange {
        file: name.to_string(),
        change,
        lines,
    }
}

/// The lines of `a` not in `b` and of `b` not in `a` (as multisets), with their numbers: a
/// row changed in place is one removed and one added line.
fn text_lines(name: &str, a: &[u8], b: &[u8]) -> Vec<LineChange> {
    let split = |bytes: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(str::to_string)
            .collect()
    };
    let (la, lb) = (split(a), split(b));
    let count = |v: &[String]| {
        let mut m: HashMap<String, usize> = HashMap::new();
        for l in v {
            *m.entry(l.clone()).or_default() += 1;
        }
        m
    };
    let (mut ca, mut cb) = (count(&la), count(&lb));
    let jsonl = name.to_ascii_lowercase().ends_with(".jsonl");
    let customer_a = customer_column(&la);
    let customer_b = customer_column(&lb);
    let mut out = Vec::new();
    for (lines, other, change, column) in [
        (&la, &mut cb, "removed", customer_a),
        (&lb, &mut ca, "added", customer_b),
    ] {
        for (i, l) in lines.iter().enumerate() {
            match other.get_mut(l) {
                Some(n) if *n > 0 => *n -= 1,
                _ => out.push(LineChange {
                    at: format!("{name}:{}", i + 1),
                    change,
                    text: nrr_io::printable(l).into_owned(),
                    customer_id: if jsonl {
                        serde_json::from_str::<Value>(l)
                            .ok()
                            .as_ref()
                            .and_then(customer_of)
                    } else {
                        column.and_then(|c| csv_field(l, c))
                    },
                }),
            }
        }
    }
    out
}

/// The index of the `customer_id` (else `customer`) column of a CSV's header line.
fn customer_column(lines: &[String]) -> Option<usize> {
    let header = csv_fields(lines.first()?)?;
    header
        .iter()
        .position(|h| h.trim() == "customer_id")
        .or_else(|| header.iter().position(|h| h.trim() == "customer"))
}

fn csv_fields(line: &str) -> Option<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    let rec = r.records().next()?.ok()?;
    Some(rec.iter().map(str::to_string).collect())
}

fn csv_field(line: &str, i: usize) -> Option<String> {
    csv_fields(line)?.get(i).cloned()
}

/// A Stripe object's customer: `customer` as an id or an expanded object.
fn customer_of(v: &Value) -> Option<String> {
    match v.get("customer")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// The objects of a JSON export (an array, or an object whose `data` is one) by id.
fn objects(bytes: &[u8]) -> Option<Vec<(String, Value)>> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    let list = match v {
        Value::Array(a) => a,
        Value::Object(mut o) => match o.remove("data") {
            Some(Value::Array(a)) => a,
            _ => return None,
        },
        _ => return None,
    };
    list.into_iter()
        .map(|o| Some((o.get("id")?.as_str()?.to_string(), o)))
        .collect()
}

/// The objects added, removed or changed between two JSON exports, by id; nothing when
/// either is not a list of objects with ids (the file is named alone).
fn json_objects(name: &str, a: &[u8], b: &[u8]) -> Vec<LineChange> {
    let empty = |x: &[u8]| x.is_empty();
    let (oa, ob) = match (
        if empty(a) {
            Some(Vec::new())
        } else {
            objects(a)
        },
        if empty(b) {
            Some(Vec::new())
        } else {
            objects(b)
        },
    ) {
        (Some(x), Some(y)) => (x, y),
        _ => return Vec::new(),
    };
    let ma: BTreeMap<&str, &Value> = oa.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mb: BTreeMap<&str, &Value> = ob.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut out = Vec::new();
    let mut ids: Vec<&str> = ma.keys().chain(mb.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let (x, y) = (ma.get(id), mb.get(id));
        let change = match (x, y) {
            (Some(x), Some(y)) if x == y => continue,
            (Some(_), Some(_)) => "changed",
            (Some(_), None) => "removed",
            _ => "added",
        };
        out.push(LineChange {
            at: format!("{name}#{}", nrr_io::printable(id)),
            change,
            text: nrr_io::printable(id).into_owned(),
            customer_id: y.or(x).and_then(|v| customer_of(v)),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_row_is_named_with_its_line_and_customer() {
        let a = b"customer_id,amount\nacme,100\nbeta,50\n";
        let b = b"customer_id,amount\nacme,100\nbeta,60\ngamma,5\n";
        let c = compare_file("items.csv", Some(a), Some(b));
        let got: Vec<(String, &str, Option<String>)> = c
            .lines
            .iter()
            .map(|l| (l.at.clone(), l.change, l.customer_id.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("items.csv:3".into(), "removed", Some("beta".into())),
                ("items.csv:3".into(), "added", Some("beta".into())),
                ("items.csv:4".into(), "added", Some("gamma".into())),
            ]
        );
    }

    #[test]
    fn json_objects_by_id() {
        let a = br#"{"data":[{"id":"in_1","customer":"cus_a","total":5},{"id":"in_2","customer":"cus_b"}]}"#;
        let b = br#"{"data":[{"id":"in_1","customer":"cus_a","total":6}]}"#;
        let c = compare_file("invoices.json", Some(a), Some(b));
        assert_eq!(c.lines.len(), 2);
        assert_eq!(c.lines[0].at, "invoices.json#in_1");
        assert_eq!(c.lines[0].change, "changed");
        assert_eq!(c.lines[1].change, "removed");
        assert_eq!(c.lines[1].customer_id.as_deref(), Some("cus_b"));
    }
}
