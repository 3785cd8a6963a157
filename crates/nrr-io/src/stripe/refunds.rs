//! Credit notes and refunds of a Stripe export: `credit_notes.json` (or `.jsonl`) holding
//! `credit_note` objects and `refunds.json` (or `.jsonl`) holding `refund` objects.
//!
//! They never move MRR (docs/policies.md), but nothing is lost silently: each object is
//! read and validated (`id`, `object`, `amount`, `currency`, `created`) and counted in the row
//! ledger, excluded as `credit` or `refund`, or rejected with the file, the object's line,
//! its id and the JSON path of the field. Their times do not move the export's as-of date,
//! so adding them to an export changes no figure.

use super::{bad, currency, field, opt_ts, req_str, Bad, Objects};
use crate::error::{IoError, Rejection};
use nrr_core::dataset::DatasetBuilder;
use serde_json::Value;

/// The kind of object a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    CreditNote,
    Refund,
}

impl Kind {
    /// Stripe's `object` value.
    fn object(self) -> &'static str {
        match self {
            Kind::CreditNote => "credit_note",
            Kind::Refund => "refund",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Kind::CreditNote => "credit note",
            Kind::Refund => "refund",
        }
    }

    /// The file's name without its extension (`.json` or `.jsonl`).
    pub(super) fn stem(self) -> &'static str {
        match self {
            Kind::CreditNote => "credit_notes",
            Kind::Refund => "refunds",
        }
    }
}

/// Checks the fields every credit note and refund must hold.
fn check(v: &Value, kind: Kind) -> Result<(), Bad> {
    req_str(v, "", "id", &format!("a {} id", kind.what()))?;
    match field(v, "object") {
        None => {}
        Some(Value::String(s)) if s == kind.object() => {}
        x => {
            let other = match kind {
                Kind::CreditNote => "refunds go in refunds.json",
                Kind::Refund => "credit notes go in credit_notes.json",
            };
            return Err(bad(
                "object",
                x,
                format!("\"{}\" (a {} object; {other})", kind.object(), kind.what()),
            ));
        }
    }
    let amount = field(v, "amount");
    if amount.and_then(Value::as_i64).is_none_or(|a| a < 0) {
        return Err(bad(
            "amount",
            amount,
            "an integer >= 0 in the currency's minor units (required)",
        ));
    }
    if currency(v, "", "currency")?.is_none() {
        return Err(bad("currency", None, "a currency code (required)"));
    }
    if opt_ts(v, "", "created")?.is_none() {
        return Err(bad("created", None, "a Unix timestamp (required)"));
    }
    Ok(())
}

/// Reads `objects` (a file or rows in memory) as `kind` objects: each object is one row of the
/// ledger, excluded as `credit` or `refund` when valid, else rejected (malformed JSON: one row).
pub(super) fn read(
    objects: &Objects,
    kind: Kind,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
) -> Result<(), IoError> {
    builder.add_file(&objects.name());
    let l = &mut builder.ledger;
    let excluded = objects
        .parse(|v, _| check(v, kind), |_| 1, l, rejections)?
        .len() as u64;
    match kind {
        Kind::CreditNote => l.excluded.credit += excluded,
        Kind::Refund => l.excluded.refund += excluded,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fails(v: Value, kind: Kind) -> Option<(String, String)> {
        check(&v, kind).err().map(|b| (b.path, b.value))
    }

    #[test]
    fn credit_notes_and_refunds_are_validated() {
        let cn = json!({"id": "cn_1", "object": "credit_note", "amount": 5000,
                        "currency": "usd", "created": 1_706_745_600});
        assert_eq!(fails(cn.clone(), Kind::CreditNote), None);
        // A refund in credit_notes.json: the object type is named.
        assert_eq!(
            fails(cn.clone(), Kind::Refund),
            Some(("object".into(), "\"credit_note\"".into()))
        );
        let mut no_object = cn.clone();
        no_object.as_object_mut().unwrap().remove("object");
        assert_eq!(fails(no_object, Kind::CreditNote), None);
        let with = |k: &str, v: Value| {
            let mut x = cn.clone();
            x[k] = v;
            fails(x, Kind::CreditNote).map(|(p, _)| p)
        };
        assert_eq!(with("id", json!("")), Some("id".into()));
        assert_eq!(with("amount", json!(-1)), Some("amount".into()));
        assert_eq!(with("amount", json!("50.00")), Some("amount".into()));
        assert_eq!(with("amount", Value::Null), Some("amount".into()));
        assert_eq!(with("currency", json!("dollars")), Some("currency".into()));
        assert_eq!(with("currency", Value::Null), Some("currency".into()));
        assert_eq!(with("created", json!(-5)), Some("created".into()));
        assert_eq!(with("created", Value::Null), Some("created".into()));
        let re = json!({"id": "re_1", "object": "refund", "amount": 0,
                        "currency": "eur", "created": 0});
        assert_eq!(fails(re, Kind::Refund), None);
    }
}
