//! customers.csv: attributes per customer, and the segment cuts made from them.

use crate::error::{IoError, Rejection, RejectionKind};
use crate::table::csv::open_csv;
use crate::table::display_name;
use nrr_core::dataset::Dataset;
use nrr_core::engine::SegmentSpec;
use std::collections::HashMap;
use std::path::Path;

/// Customer attributes from `customers.csv`.
#[derive(Clone, Debug, Default)]
pub struct Attributes {
    /// Attribute column names (customer_id excluded).
    pub columns: Vec<String>,
    /// Values per customer id, in `columns` order.
    pub values: rustc_hash::FxHashMap<String, Vec<String>>,
}

/// Reads customers.csv.
pub(crate) fn read(path: &Path, rejections: &mut Vec<Rejection>) -> Result<Attributes, IoError> {
    let name = display_name(path);
    let csv = open_csv(path)?;
    let cols = csv.cols();
    cols.check(path, "customers.csv", &[])?;
    let id_col = cols.require(path, "customer_id")?;
    let mut attrs = Attributes {
        columns: csv
            .header
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != id_col)
            .map(|(_, s)| s.clone())
            .collect(),
        values: Default::default(),
    };
    let mut rej = Vec::new();
    let bad = csv.rows(|line, rec| {
        let id = rec.get(id_col).unwrap_or("").trim();
        let mut r = |kind: RejectionKind, expected: &str| {
            rej.push(Rejection {
                file: name.clone(),
                line,
                column: "customer_id".into(),
                value: id.into(),
                expected: expected.into(),
                kind,
            })
        };
        if id.is_empty() {
            return r(RejectionKind::MissingValue, "a non-empty customer id");
        }
        if attrs.values.contains_key(id) {
            return r(RejectionKind::Duplicate, "each customer once");
        }
        let vals = (0..attrs.columns.len() + 1)
            .filter(|i| *i != id_col)
            .map(|i| rec.get(i).unwrap_or("").trim().to_string())
            .collect();
        attrs.values.insert(id.to_string(), vals);
    })?;
    rej.extend(bad);
    rej.sort_by_key(|r| r.line);
    rejections.extend(rej);
    Ok(attrs)
}

/// Builds a segment cut from a customers.csv column.
pub fn segment_spec(
    dataset: &Dataset,
    attributes: Option<&Attributes>,
    column: &str,
) -> Result<SegmentSpec, IoError> {
    // `product` and `plan` come from the lines (a customer's value may change by month).
    let line_column = match column {
        "product" => Some(nrr_core::engine::LineColumn::Product),
        "plan" => Some(nrr_core::engine::LineColumn::Plan),
        _ => None,
    };
    if let Some(lc) = line_column {
        let spec = SegmentSpec::by_line(dataset, lc);
        if spec.values.iter().all(String::is_empty) {
            return Err(IoError::NoLineColumn {
                column: column.to_string(),
            });
        }
        return Ok(spec);
    }
    let unknown = |a: Option<&Attributes>| IoError::UnknownSegment {
        column: column.to_string(),
        available: a.map(|a| a.columns.clone()).unwrap_or_default(),
    };
    let attrs = attributes.ok_or_else(|| unknown(None))?;
    let col = attrs
        .columns
        .iter()
        .position(|c| c == column)
        .ok_or_else(|| unknown(Some(attrs)))?;
    let mut values: Vec<String> = vec![String::new()];
    let mut index: HashMap<String, u32> = HashMap::from([(String::new(), 0)]);
    let of_customer = dataset
        .customers
        .iter()
        .map(|c| {
            let v = attrs
                .values
                .get(c)
                .and_then(|vals| vals.get(col))
                .map_or("", String::as_str);
            *index.entry(v.to_string()).or_insert_with(|| {
                values.push(v.to_string());
                (values.len() - 1) as u32
            })
        })
        .collect();
    Ok(SegmentSpec {
        column: column.to_string(),
        values,
        of_customer,
        ..SegmentSpec::default()
    })
}
