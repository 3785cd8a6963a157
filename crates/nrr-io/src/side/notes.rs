//! annotations.csv: notes beside periods and customers.

use crate::error::{IoError, Rejection, RejectionKind};
use crate::table::csv::open_csv;
use crate::table::display_name;
use nrr_core::date::Month;
use std::path::Path;

/// `true` for `2024-03`, `2024-Q1` or `2024`.
fn is_period_label(s: &str) -> bool {
    let b = s.as_bytes();
    let year = |y: &[u8]| y.len() == 4 && y.iter().all(u8::is_ascii_digit);
    match b.len() {
        4 => year(b),
        7 if b[4] == b'-' && b[5] == b'Q' => year(&b[..4]) && (b'1'..=b'4').contains(&b[6]),
        7 => Month::parse(s).is_some(),
        _ => false,
    }
}

/// Reads annotations.csv: `period` (or `month`), optional `customer_id`, `note`.
pub(crate) fn read(
    path: &Path,
    rejections: &mut Vec<Rejection>,
    notices: &mut Vec<String>,
) -> Result<Vec<nrr_core::report::Note>, IoError> {
    let name = display_name(path);
    let csv = open_csv(path)?;
    let cols = csv.cols();
    notices.extend(cols.check(
        path,
        "annotations.csv",
        &["period", "month", "customer_id", "note"],
    )?);
    let period = match cols.get("period") {
        Some(i) => i,
        None => cols.require(path, "month")?,
    };
    let (customer, note) = (cols.get("customer_id"), cols.require(path, "note")?);
    let mut notes = Vec::new();
    let mut rej = Vec::new();
    let bad = csv.rows(|line, rec| {
        let f = |i: usize| rec.get(i).unwrap_or("").trim();
        let mut r = |column: &str, value: &str, kind: RejectionKind, expected: &str| {
            rej.push(Rejection {
                file: name.clone(),
                line,
                column: column.into(),
                value: value.into(),
                expected: expected.into(),
                kind,
            })
        };
        if !is_period_label(f(period)) {
            return r(
                "period",
                f(period),
                RejectionKind::BadDate.or_missing(f(period)),
                "a month YYYY-MM, a quarter YYYY-Qn or a year YYYY",
            );
        }
        if f(note).is_empty() {
            return r("note", "", RejectionKind::MissingValue, "a non-empty note");
        }
        notes.push(nrr_core::report::Note {
            period: f(period).to_string(),
            customer_id: customer
                .map(f)
                .filter(|c| !c.is_empty())
                .map(str::to_string),
            note: f(note).to_string(),
        });
    })?;
    rej.extend(bad);
    rejections.extend(rej);
    Ok(notes)
}
