//! `customer_map.csv` beside any revenue input: `from_customer_id`, `to_customer_id`, optional
//! `note`. Every line, pause, customers.csv row and annotation of a `from` id counts under its
//! `to` id (docs/input.md, customer_map.csv); bad rows are rejected with their line.

use super::customers::Attributes;
use crate::error::{IoError, Rejection, RejectionKind};
use crate::table::csv::open_csv;
use crate::table::display_name;
use nrr_core::customer_map::{CustomerMap, MapEntry, MapProblem};
use nrr_core::report::Note;
use std::path::Path;

/// The file's name in a data directory.
pub(crate) const FILE: &str = "customer_map.csv";

/// The columns of the file.
const COLUMNS: &[&str] = &["from_customer_id", "to_customer_id", "note"];

/// Reads the map; rejected rows go to `rejections` (and are not in the map), notices about
/// the header (a column that is not read) to `notices`.
pub(crate) fn read(
    path: &Path,
    rejections: &mut Vec<Rejection>,
    notices: &mut Vec<String>,
) -> Result<CustomerMap, IoError> {
    let name = display_name(path);
    let csv = open_csv(path)?;
    let cols = csv.cols();
    notices.extend(cols.check(path, FILE, COLUMNS)?);
    let from_col = cols.require(path, "from_customer_id")?;
    let to_col = cols.require(path, "to_customer_id")?;
    let note_col = cols.get("note");
    let mut rows = Vec::new();
    let mut rej = Vec::new();
    let bad = csv.rows(|line, rec| {
        let cell = |i: usize| rec.get(i).unwrap_or("").trim();
        let (from, to) = (cell(from_col), cell(to_col));
        for (column, value) in [("from_customer_id", from), ("to_customer_id", to)] {
            if value.is_empty() {
                rej.push(Rejection {
                    file: name.clone(),
                    line,
                    column: column.into(),
                    value: String::new(),
                    expected: "a customer id (required)".into(),
                    kind: RejectionKind::MissingValue,
                });
                return;
            }
        }
        rows.push(MapEntry {
            from: from.to_string(),
            to: to.to_string(),
            line,
            note: note_col.map_or("", cell).to_string(),
        });
    })?;
    rej.extend(bad);
    let (map, refused) = CustomerMap::build(rows);
    for (r, problem) in refused {
        let (column, value, kind, expected) = match problem {
            MapProblem::ToItself => (
                "to_customer_id",
                r.to,
                RejectionKind::Other,
                "another customer id than from_customer_id".to_string(),
            ),
            MapProblem::Duplicate { line } => (
                "from_customer_id",
                r.from,
                RejectionKind::Duplicate,
                format!("an id not mapped already (line {line} maps it)"),
            ),
            MapProblem::Chain { line } => (
                "to_customer_id",
                r.to,
                RejectionKind::Other,
                format!(
                    "the final id: line {line} and this line form a chain or a cycle; map \
                     every id straight to the one it ends as"
                ),
            ),
        };
        rej.push(Rejection {
            file: name.clone(),
            line: r.line,
            column: column.into(),
            value,
            expected,
            kind,
        });
    }
    rej.sort_by_key(|r| r.line);
    rejections.extend(rej);
    Ok(map)
}

/// customers.csv rows of mapped ids count for their targets; where a target has its own row,
/// that row is kept.
pub(crate) fn merge_attributes(map: &CustomerMap, attrs: &mut Attributes) {
    let mapped: Vec<String> = attrs
        .values
        .keys()
        .filter(|id| map.target(id).is_some())
        .cloned()
        .collect();
    for from in mapped {
        let Some(values) = attrs.values.remove(&from) else {
            continue;
        };
        if let Some(to) = map.target(&from) {
            attrs.values.entry(to.to_string()).or_insert(values);
        }
    }
}

/// Annotations naming a mapped id name its target.
pub(crate) fn merge_notes(map: &CustomerMap, notes: &mut [Note]) {
    for n in notes {
        if let Some(to) = n.customer_id.as_deref().and_then(|c| map.target(c)) {
            n.customer_id = Some(to.to_string());
        }
    }
}
