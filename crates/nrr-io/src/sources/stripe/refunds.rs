//! Credit notes and refunds of a Stripe export: `credit_notes.json` (or `.jsonl`) holding
//! `credit_note` objects and `refunds.json` (or `.jsonl`) holding `refund` objects.
//!
//! They never move MRR (docs/policies.md), but nothing is lost silently: each object is
//! read and validated (`id`, `object`, `amount`, `currency`, `created`, and the fields that
//! link it to an invoice: `invoice`, `charge`, `payment_intent`, `total`, `effective_at`,
//! `status`) and counted in the row ledger, excluded as `credit` or `refund`, or rejected with
//! the file, the object's line, its id and the JSON path of the field. Their times do not move
//! the export's as-of date, so adding them to an export changes no figure under the default
//! `--full-refunds ignore`. Under `end-service` the caller links each one to its invoice
//! (`Back`): a full refund ends the service of that invoice's lines.

use super::fields::{bad, currency, date_of, field, major, opt_id, opt_str, opt_ts, req_str, Bad};
use super::invoice::Invoice;
use super::objects::Objects;
use crate::error::RejectionKind::*;
use crate::error::{IoError, Rejection};
use crate::sources::full_refunds::{listed, BackKind, InvoiceRefunds, MoneyBack, Resolved};
use crate::Timezone;
use nrr_core::dataset::DatasetBuilder;
use nrr_core::report::Reason;
use serde_json::Value;
use std::collections::HashMap;

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

/// A credit note or refund as `--full-refunds` reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Back {
    pub(super) id: String,
    pub(super) kind: Kind,
    /// Money handed back, in minor units: a credit note's `total` (tax and discounts in),
    /// else its `amount`; a refund's `amount`.
    pub(super) amount: i64,
    /// Upper case.
    pub(super) currency: String,
    /// A credit note's `effective_at`, else `created`; a refund's `created`.
    pub(super) at: i64,
    /// A credit note's `invoice`.
    pub(super) invoice: Option<String>,
    /// A refund's `charge` and `payment_intent`.
    pub(super) charge: Option<String>,
    pub(super) payment_intent: Option<String>,
    /// Money was handed back: not a `void` credit note, nor a `failed` or `canceled` refund.
    pub(super) counts: bool,
}

/// Checks the fields every credit note and refund must hold, and reads what links it to an
/// invoice.
fn check(v: &Value, kind: Kind) -> Result<Back, Bad> {
    let id = req_str(v, "", "id", &format!("a {} id", kind.what()))?;
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
                UnknownValue,
                format!("\"{}\" (a {} object; {other})", kind.object(), kind.what()),
            ));
        }
    }
    let amount_v = field(v, "amount");
    let Some(amount) = amount_v.and_then(Value::as_i64).filter(|a| *a >= 0) else {
        return Err(bad(
            "amount",
            amount_v,
            BadNumber,
            "an integer >= 0 in the currency's minor units (required)",
        ));
    };
    let Some(cur) = currency(v, "", "currency")? else {
        return Err(bad(
            "currency",
            None,
            MissingValue,
            "a currency code (required)",
        ));
    };
    let Some(created) = opt_ts(v, "", "created")? else {
        return Err(bad(
            "created",
            None,
            MissingValue,
            "a Unix timestamp (required)",
        ));
    };
    let status = opt_str(v, "", "status")?;
    let link = |key: &str, what: &str| opt_id(v, "", key, what).map(|x| x.map(str::to_string));
    Ok(match kind {
        Kind::CreditNote => {
            let total_v = field(v, "total");
            let total = match total_v {
                None => None,
                Some(t) => Some(t.as_i64().filter(|t| *t >= 0).ok_or_else(|| {
                    bad(
                        "total",
                        total_v,
                        BadNumber,
                        "an integer >= 0 in the currency's minor units, or null",
                    )
                })?),
            };
            Back {
                id: id.to_string(),
                kind,
                amount: total.unwrap_or(amount),
                currency: cur,
                at: opt_ts(v, "", "effective_at")?.unwrap_or(created),
                invoice: link("invoice", "an invoice id")?,
                charge: None,
                payment_intent: None,
                counts: status != Some("void"),
            }
        }
        Kind::Refund => Back {
            id: id.to_string(),
            kind,
            amount,
            currency: cur,
            at: created,
            invoice: None,
            charge: link("charge", "a charge id")?,
            payment_intent: link("payment_intent", "a payment intent id")?,
            counts: !matches!(status, Some("failed" | "canceled")),
        },
    })
}

/// Reads `objects` (a file or rows in memory) as `kind` objects: each object is one row of the
/// ledger, excluded as `credit` or `refund` when valid, else rejected (malformed JSON: one row).
/// Returns the valid ones.
pub(super) fn read(
    objects: &Objects,
    kind: Kind,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
) -> Result<Vec<Back>, IoError> {
    builder.add_file(&objects.name());
    let l = &mut builder.ledger;
    let backs = objects.parse(|v, _| check(v, kind), |_| 1, l, rejections)?;
    let reason = match kind {
        Kind::CreditNote => Reason::Credit,
        Kind::Refund => Reason::Refund,
    };
    for b in &backs {
        l.exclude(reason, &b.currency, major(b.amount, &b.currency));
    }
    Ok(backs)
}

/// `--full-refunds end-service`: notes each credit note (by its `invoice`) and refund (by the
/// invoice its `charge` or `payment_intent` paid) that handed money back; a void credit note, a
/// failed or canceled refund hand nothing back and are left out.
pub(super) fn link_money_back(
    refunds: &mut InvoiceRefunds,
    backs: &[Back],
    invs: &[Invoice],
    tz: &Timezone,
) {
    let paid_by: HashMap<&str, &str> = invs
        .iter()
        .flat_map(|i| i.paid_by.iter().map(move |p| (p.as_str(), i.id.as_str())))
        .collect();
    for b in backs.iter().filter(|b| b.counts) {
        let (kind, invoice) = match b.kind {
            Kind::CreditNote => (BackKind::Credit, b.invoice.clone()),
            Kind::Refund => (
                BackKind::Refund,
                b.charge
                    .iter()
                    .chain(&b.payment_intent)
                    .find_map(|p| paid_by.get(p.as_str()))
                    .map(|i| i.to_string()),
            ),
        };
        refunds.back(MoneyBack {
            kind,
            invoice,
            amount: major(b.amount, &b.currency),
            currency: b.currency.clone(),
            date: date_of(b.at, tz),
            label: b.id.clone(),
        });
    }
}

/// The notices of `--full-refunds end-service` for a Stripe export: the invoices whose service
/// a full refund ended, and the credit notes and refunds that could end nothing.
pub(super) fn refund_notices(
    r: &Resolved,
    ended: &[String],
    invoices: &str,
    notices: &mut Vec<String>,
) {
    if !ended.is_empty() {
        notices.push(format!(
            "--full-refunds end-service: {} invoice(s) refunded in full end the service of \
             their subscription lines on the day of the refund or credit note: {}",
            ended.len(),
            listed(ended)
        ));
    }
    let unmatched: Vec<String> = r.no_invoice.iter().chain(&r.unknown).cloned().collect();
    if !unmatched.is_empty() {
        notices.push(format!(
            "{} credit note(s) or refund(s) match no invoice in {invoices} (a credit note by its \
             invoice, a refund by the charge or payment_intent that paid the invoice), so under \
             --full-refunds end-service they end no service: {}",
            unmatched.len(),
            listed(&unmatched)
        ));
    }
    if !r.not_comparable.is_empty() {
        notices.push(format!(
            "{} credit note(s) or refund(s) are in another currency than their invoice, so \
             under --full-refunds end-service they end no service: {}",
            r.not_comparable.len(),
            listed(&r.not_comparable)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fails(v: Value, kind: Kind) -> Option<(String, String)> {
        check(&v, kind).err().map(|b| (b.path, b.value))
    }

    #[test]
    fn the_links_to_an_invoice_are_read() {
        let cn = json!({"id": "cn_1", "object": "credit_note", "amount": 100000,
                        "total": 120000, "currency": "usd", "created": 1_710_100_000,
                        "effective_at": 1_710_028_800, "invoice": {"id": "in_1"},
                        "status": "issued"});
        let b = check(&cn, Kind::CreditNote).ok().unwrap();
        // total (tax in) over amount, effective_at over created, an expanded invoice's id.
        assert_eq!(
            (b.amount, b.at, b.invoice.as_deref(), b.counts),
            (120000, 1_710_028_800, Some("in_1"), true)
        );
        assert_eq!(b.currency, "USD");
        let mut void = cn.clone();
        void["status"] = json!("void");
        assert!(!check(&void, Kind::CreditNote).ok().unwrap().counts);
        let mut bad_total = cn.clone();
        bad_total["total"] = json!("1200.00");
        assert_eq!(
            fails(bad_total, Kind::CreditNote).map(|x| x.0),
            Some("total".into())
        );
        let re = json!({"id": "re_1", "object": "refund", "amount": 120000, "currency": "usd",
                        "created": 1_710_028_800, "charge": "ch_1",
                        "payment_intent": {"id": "pi_1"}, "status": "succeeded"});
        let b = check(&re, Kind::Refund).ok().unwrap();
        assert_eq!(
            (b.charge.as_deref(), b.payment_intent.as_deref(), b.counts),
            (Some("ch_1"), Some("pi_1"), true)
        );
        for status in ["failed", "canceled"] {
            let mut r = re.clone();
            r["status"] = json!(status);
            assert!(!check(&r, Kind::Refund).ok().unwrap().counts, "{status}");
        }
        let mut bad_charge = re.clone();
        bad_charge["charge"] = json!(5);
        assert_eq!(
            fails(bad_charge, Kind::Refund).map(|x| x.0),
            Some("charge".into())
        );
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
