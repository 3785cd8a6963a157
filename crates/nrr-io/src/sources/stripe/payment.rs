//! What a Stripe invoice shows of its payment: its status, when it was finalized, paid or
//! marked uncollectible, its attempts and due date, and the charges that paid it.

use super::fields::{bad, field, list, opt_id, opt_int, opt_str, opt_ts, Bad};
use crate::error::RejectionKind::*;
use serde_json::Value;

/// The charges and payment intents that paid an invoice: `charge` and `payment_intent` (ids or
/// expanded objects), and each `payments.data[].payment`'s `charge` and `payment_intent`.
pub(super) fn paid_by(v: &Value) -> Result<Vec<String>, Bad> {
    let mut out = Vec::new();
    let mut take = |o: &Value, path: &str| -> Result<(), Bad> {
        for (key, what) in [
            ("charge", "a charge id"),
            ("payment_intent", "a payment intent id"),
        ] {
            if let Some(id) = opt_id(o, path, key, what)? {
                out.push(id.to_string());
            }
        }
        Ok(())
    };
    take(v, "")?;
    let (payments, pp) = list(v, "", "payments")?;
    for (k, p) in payments.iter().enumerate() {
        let path = format!("{pp}[{k}].payment");
        if let Some(pay) = field(p, "payment").filter(|x| x.is_object()) {
            take(pay, &path)?;
        }
    }
    Ok(out)
}

/// What an invoice shows of its payment: `status`, `status_transitions`, `attempt_count`
/// and `due_date`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Payment {
    pub(super) status: Option<InvoiceStatus>,
    finalized_at: Option<i64>,
    paid_at: Option<i64>,
    uncollectible_at: Option<i64>,
    attempt_count: i64,
    due_date: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum InvoiceStatus {
    Draft,
    Open,
    Paid,
    Uncollectible,
    Void,
}

impl Payment {
    /// The delinquency this invoice shows, as `(first failed payment, recovered, unpaid)`:
    /// - with a `due_date` (`send_invoice`): past due from the due date when it was paid
    ///   after it (`paid_at`), or is still open or uncollectible with the due date before
    ///   `as_of`;
    /// - without (`charge_automatically`): the first attempt is made when the invoice is
    ///   finalized (`finalized_at`, else `created`); it failed when there were retries
    ///   (`attempt_count` >= 2), or when the invoice is still open or uncollectible after an
    ///   attempt.
    ///
    /// A paid invoice without `paid_at`, a `draft` or `void` one shows nothing.
    pub(super) fn delinquency(
        &self,
        created: Option<i64>,
        as_of: Option<i64>,
    ) -> Option<(i64, Option<i64>, Option<i64>)> {
        let unsettled = matches!(
            self.status,
            Some(InvoiceStatus::Open) | Some(InvoiceStatus::Uncollectible)
        );
        let paid = self.status == Some(InvoiceStatus::Paid);
        if paid && self.paid_at.is_none() {
            return None;
        }
        if !paid && !unsettled {
            return None;
        }
        let first = match self.due_date {
            Some(due) => {
                let late = match self.paid_at.filter(|_| paid) {
                    Some(p) => p > due,
                    None => as_of.is_some_and(|a| a > due),
                };
                late.then_some(due)?
            }
            None => {
                let failed = self.attempt_count >= 2 || (unsettled && self.attempt_count >= 1);
                if !failed {
                    return None;
                }
                self.finalized_at.or(created)?
            }
        };
        Some((first, self.paid_at.filter(|_| paid), self.uncollectible_at))
    }
}

/// The payment fields of an invoice object.
pub(super) fn payment(v: &Value) -> Result<Payment, Bad> {
    let status = match opt_str(v, "", "status")? {
        None => None,
        Some("draft") => Some(InvoiceStatus::Draft),
        Some("open") => Some(InvoiceStatus::Open),
        Some("paid") => Some(InvoiceStatus::Paid),
        Some("uncollectible") => Some(InvoiceStatus::Uncollectible),
        Some("void") => Some(InvoiceStatus::Void),
        Some(_) => {
            return Err(bad(
                "status",
                field(v, "status"),
                UnknownValue,
                "one of draft, open, paid, uncollectible, void",
            ))
        }
    };
    let (finalized_at, paid_at, uncollectible_at) = match field(v, "status_transitions") {
        Some(st) if st.is_object() => (
            opt_ts(st, "status_transitions", "finalized_at")?,
            opt_ts(st, "status_transitions", "paid_at")?,
            opt_ts(st, "status_transitions", "marked_uncollectible_at")?,
        ),
        _ => (None, None, None),
    };
    let attempt_count = opt_int(v, "", "attempt_count", BadNumber, "an integer >= 0")?.unwrap_or(0);
    Ok(Payment {
        status,
        finalized_at,
        paid_at,
        uncollectible_at,
        attempt_count,
        due_date: opt_ts(v, "", "due_date")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoices_show_failed_payments() {
        let paid = |finalized: i64, paid: i64, attempts: i64, due: Option<i64>| Payment {
            status: Some(InvoiceStatus::Paid),
            finalized_at: Some(finalized),
            paid_at: Some(paid),
            attempt_count: attempts,
            due_date: due,
            ..Payment::default()
        };
        // Retried, then paid: delinquent from the first attempt until paid.
        assert_eq!(
            paid(100, 900, 3, None).delinquency(None, None),
            Some((100, Some(900), None))
        );
        // One attempt, settled later (a slow debit): no failure.
        assert_eq!(paid(100, 900, 1, None).delinquency(None, None), None);
        // send_invoice: late only when paid after the due date.
        assert_eq!(
            paid(100, 900, 1, Some(500)).delinquency(None, None),
            Some((500, Some(900), None))
        );
        assert_eq!(paid(100, 400, 1, Some(500)).delinquency(None, None), None);
        // Still open after an attempt, then marked uncollectible: never recovered.
        let open = Payment {
            status: Some(InvoiceStatus::Uncollectible),
            finalized_at: Some(100),
            uncollectible_at: Some(700),
            attempt_count: 4,
            ..Payment::default()
        };
        assert_eq!(open.delinquency(None, None), Some((100, None, Some(700))));
        // Open past its due date at the as-of time; not yet due: nothing.
        let due = Payment {
            status: Some(InvoiceStatus::Open),
            due_date: Some(500),
            ..Payment::default()
        };
        assert_eq!(due.delinquency(None, Some(600)), Some((500, None, None)));
        assert_eq!(due.delinquency(None, Some(400)), None);
        // Paid without paid_at, draft and void invoices show nothing.
        let mut p = paid(100, 900, 3, None);
        p.paid_at = None;
        assert_eq!(p.delinquency(None, None), None);
        p.status = Some(InvoiceStatus::Void);
        assert_eq!(p.delinquency(None, None), None);
    }
}
