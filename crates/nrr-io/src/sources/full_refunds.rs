//! `--full-refunds end-service`: a full refund of an invoice ends the service of that
//! invoice's subscription lines on the day of the refund (docs/policies.md, full refunds).
//!
//! Both readers (invoices.csv and Stripe exports) note here each invoice's total and every
//! credit note or refund that names an invoice; [`InvoiceRefunds::resolve`] then decides which
//! invoices were refunded in full, and on which day:
//!
//! - credit notes and refunds of one invoice are added up **per kind**, in date order, and the
//!   invoice is refunded in full on the day the credits, or the refunds, reach its total (a
//!   credit note paid out in cash also makes a refund of the same money, so the two kinds are
//!   never added together);
//! - the invoice's total must be above 0, and the money back in the invoice's currency;
//! - anything less is a partial refund and changes nothing.
//!
//! Money back that names no invoice, an invoice not in the data, or another currency ends
//! nothing, and the report's `notices` says so.

use crate::sources::decimal::dsub;
use nrr_core::date::Date;
use nrr_core::money::Decimal;
use std::collections::HashMap;

/// Credit note or refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum BackKind {
    Credit,
    Refund,
}

/// Money handed back: a credit note or a refund.
#[derive(Clone, Debug)]
pub(crate) struct MoneyBack {
    pub(crate) kind: BackKind,
    /// The invoice it credits or refunds; `None`: it names none.
    pub(crate) invoice: Option<String>,
    /// The amount handed back (>= 0).
    pub(crate) amount: Decimal,
    /// Its currency (upper case; empty: the reporting currency, matching any).
    pub(crate) currency: String,
    /// The day it was issued.
    pub(crate) date: Date,
    /// How a notice names it: its own id (`cn-a1`, `re_123`).
    pub(crate) label: String,
}

/// One invoice's total.
#[derive(Clone, Debug)]
struct Total {
    id: String,
    /// `None` after an overflow or a second currency: cannot be compared.
    total: Option<Decimal>,
    currency: Option<String>,
}

/// The invoices and the money handed back, as read.
#[derive(Default)]
pub(crate) struct InvoiceRefunds {
    index: HashMap<String, u32>,
    totals: Vec<Total>,
    backs: Vec<MoneyBack>,
}

/// What [`InvoiceRefunds::resolve`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// Per invoice (its index from [`InvoiceRefunds::invoice`]): the day it was refunded in full.
    pub(crate) ends: HashMap<u32, Date>,
    /// Money back naming no invoice.
    pub(crate) no_invoice: Vec<String>,
    /// Money back naming an invoice that is not in the data.
    pub(crate) unknown: Vec<String>,
    /// Money back in another currency than its invoice (or of an invoice in several).
    pub(crate) not_comparable: Vec<String>,
}

fn dadd(a: Decimal, b: Decimal) -> Option<Decimal> {
    dsub(
        a,
        Decimal {
            mantissa: b.mantissa.checked_neg()?,
            decimals: b.decimals,
        },
    )
}

impl InvoiceRefunds {
    /// The index of invoice `id` (noted on first use, with a total of 0).
    pub(crate) fn invoice(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.totals.len() as u32;
        self.totals.push(Total {
            id: id.to_string(),
            total: Some(Decimal {
                mantissa: 0,
                decimals: 0,
            }),
            currency: None,
        });
        self.index.insert(id.to_string(), i);
        i
    }

    /// The invoice's id.
    pub(crate) fn id(&self, i: u32) -> &str {
        &self.totals[i as usize].id
    }

    /// Adds `amount` in `currency` (empty: the reporting currency) to invoice `i`'s total
    /// (`None`: too large to compute with; the total cannot be compared any more).
    pub(crate) fn add(&mut self, i: u32, amount: Option<Decimal>, currency: &str) {
        let t = &mut self.totals[i as usize];
        if !currency.is_empty() {
            match &t.currency {
                None => t.currency = Some(currency.to_string()),
                Some(c) if c == currency => {}
                Some(_) => t.total = None,
            }
        }
        t.total = t.total.zip(amount).and_then(|(x, a)| dadd(x, a));
    }

    /// Notes a credit note or refund.
    pub(crate) fn back(&mut self, b: MoneyBack) {
        self.backs.push(b);
    }

    /// The invoices refunded in full, with the day, and the money back that could not count.
    pub(crate) fn resolve(&self) -> Resolved {
        let mut r = Resolved::default();
        // Each listed once (a credit note of several lines is one credit note).
        let note = |list: &mut Vec<String>, s: String| {
            if !list.contains(&s) {
                list.push(s);
            }
        };
        // (invoice, kind) -> (date, amount) in input order.
        let mut by: HashMap<(u32, BackKind), Vec<(Date, Decimal)>> = HashMap::new();
        for b in &self.backs {
            let Some(inv) = &b.invoice else {
                note(&mut r.no_invoice, b.label.clone());
                continue;
            };
            let Some(&i) = self.index.get(inv) else {
                note(&mut r.unknown, format!("{} ({inv})", b.label));
                continue;
            };
            let t = &self.totals[i as usize];
            let same_currency =
                b.currency.is_empty() || t.currency.as_ref().is_none_or(|c| *c == b.currency);
            if t.total.is_none() || !same_currency {
                note(&mut r.not_comparable, format!("{} ({inv})", b.label));
                continue;
            }
            by.entry((i, b.kind)).or_default().push((b.date, b.amount));
        }
        let mut keys: Vec<(u32, BackKind)> = by.keys().copied().collect();
        keys.sort();
        for key in keys {
            let total = self.totals[key.0 as usize]
                .total
                .expect("comparable totals only");
            if total.is_zero() || total.is_negative() {
                continue;
            }
            let mut items = by.remove(&key).unwrap_or_default();
            items.sort_by_key(|x| x.0);
            let mut sum = Some(Decimal {
                mantissa: 0,
                decimals: 0,
            });
            for (date, amount) in items {
                sum = sum.and_then(|s| dadd(s, amount));
                let Some(s) = sum else { break };
                let full = dsub(s, total).is_some_and(|d| !d.is_negative());
                if full {
                    let e = r.ends.entry(key.0).or_insert(date);
                    *e = (*e).min(date);
                    break;
                }
            }
        }
        r
    }
}

/// The first ids of a list and how many more, for a notice.
pub(crate) fn listed(items: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut s = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        s.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::parse(s, 6).unwrap()
    }

    fn back(kind: BackKind, inv: &str, amount: &str, date: &str) -> MoneyBack {
        MoneyBack {
            kind,
            invoice: (!inv.is_empty()).then(|| inv.to_string()),
            amount: dec(amount),
            currency: "USD".into(),
            date: d(date),
            label: format!("{kind:?} {amount}"),
        }
    }

    /// An annual invoice of 1,200.00 (a line of 1,000.00 and tax of 200.00).
    fn annual() -> (InvoiceRefunds, u32) {
        let mut f = InvoiceRefunds::default();
        let i = f.invoice("in-1");
        f.add(i, Some(dec("1000.00")), "USD");
        f.add(i, Some(dec("200.00")), "USD");
        (f, i)
    }

    #[test]
    fn a_credit_note_for_the_whole_invoice_ends_it_on_its_date() {
        let (mut f, i) = annual();
        f.back(back(BackKind::Credit, "in-1", "1200.00", "2024-03-10"));
        assert_eq!(f.resolve().ends.get(&i), Some(&d("2024-03-10")));
    }

    #[test]
    fn a_partial_refund_changes_nothing() {
        let (mut f, _) = annual();
        f.back(back(BackKind::Refund, "in-1", "1199.99", "2024-03-10"));
        assert_eq!(f.resolve(), Resolved::default());
    }

    #[test]
    fn refunds_in_parts_end_the_invoice_when_they_reach_its_total() {
        let (mut f, i) = annual();
        // Listed out of date order: the sum reaches 1,200 with the April refund.
        f.back(back(BackKind::Refund, "in-1", "700.00", "2024-04-02"));
        f.back(back(BackKind::Refund, "in-1", "500.00", "2024-03-10"));
        assert_eq!(f.resolve().ends.get(&i), Some(&d("2024-04-02")));
    }

    #[test]
    fn a_credit_note_and_its_cash_refund_are_not_added_together() {
        // A credit note of 600 paid out as a refund of the same 600: half the invoice.
        let (mut f, _) = annual();
        f.back(back(BackKind::Credit, "in-1", "600.00", "2024-03-10"));
        f.back(back(BackKind::Refund, "in-1", "600.00", "2024-03-10"));
        assert!(f.resolve().ends.is_empty());
        // Either kind reaching the total on its own is enough: the earlier day wins.
        let (mut f, i) = annual();
        f.back(back(BackKind::Refund, "in-1", "1200.00", "2024-03-12"));
        f.back(back(BackKind::Credit, "in-1", "1200.00", "2024-03-10"));
        assert_eq!(f.resolve().ends.get(&i), Some(&d("2024-03-10")));
    }

    #[test]
    fn money_back_that_cannot_be_compared_is_listed() {
        let (mut f, _) = annual();
        f.back(back(BackKind::Refund, "", "1200.00", "2024-03-10"));
        f.back(back(BackKind::Refund, "in-9", "1200.00", "2024-03-10"));
        let mut eur = back(BackKind::Credit, "in-1", "1200.00", "2024-03-10");
        eur.currency = "EUR".into();
        f.back(eur);
        let r = f.resolve();
        assert!(r.ends.is_empty());
        assert_eq!(r.no_invoice, ["Refund 1200.00"]);
        assert_eq!(r.unknown, ["Refund 1200.00 (in-9)"]);
        assert_eq!(r.not_comparable, ["Credit 1200.00 (in-1)"]);
    }

    #[test]
    fn an_invoice_of_zero_or_in_two_currencies_is_never_refunded_in_full() {
        let mut f = InvoiceRefunds::default();
        let zero = f.invoice("in-0");
        f.add(zero, Some(dec("0.00")), "USD");
        f.back(back(BackKind::Credit, "in-0", "0.00", "2024-03-10"));
        let mixed = f.invoice("in-2");
        f.add(mixed, Some(dec("100.00")), "USD");
        f.add(mixed, Some(dec("100.00")), "EUR");
        f.back(back(BackKind::Credit, "in-2", "200.00", "2024-03-10"));
        let r = f.resolve();
        assert!(r.ends.is_empty());
        assert_eq!(r.not_comparable, ["Credit 200.00 (in-2)"]);
    }
}
