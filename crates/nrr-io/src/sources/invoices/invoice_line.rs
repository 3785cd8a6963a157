//! One invoice line: its fields validated in order, then a charge of the billing (a
//! subscription or proration line) or excluded for its type, with what a usage, credit or
//! refund line adds to `--usage` and `--full-refunds`.

use super::charges::{usage_month, Billing, Charge, UsageLine};
use super::rows::{InvoiceCols, LineType, Rejects, RowOutcome, EXPECT_DECIMAL};
use crate::error::RejectionKind::*;
use crate::rows::{Fields, EXPECT_DATE};
use crate::sources::decimal::{dsub, ZERO};
use crate::sources::full_refunds::{BackKind, InvoiceRefunds, MoneyBack};
use nrr_core::dataset::Origin;
use nrr_core::date::Date;
use nrr_core::money::{Decimal, MAX_AMOUNT_DECIMALS};
use nrr_core::policy::{Discounts, InvoicePolicies};
use std::borrow::Cow;

/// Validates one invoices.csv row; `None` after rejecting it.
pub(super) fn invoice_row<R: Fields + ?Sized>(
    line: u64,
    c: &InvoiceCols,
    rec: &R,
    policies: &InvoicePolicies,
    billing: &mut Billing,
    rej: &mut Rejects<'_>,
    file: u16,
) -> Option<RowOutcome> {
    let row = Row { line, rec, c };
    let fields = row.line_fields(rej)?;
    if matches!(fields.kind, LineType::Subscription | LineType::Proration) {
        row.recurring_line(&fields, policies, billing, rej, file)
    } else {
        row.excluded_line(&fields, policies, billing, rej, file)
    }
}

/// One row being read: its line (or row number), its fields and the columns.
struct Row<'r, R: ?Sized> {
    line: u64,
    rec: &'r R,
    c: &'r InvoiceCols,
}

/// The fields every invoice line has, validated.
struct LineFields<'r> {
    invoice: Cow<'r, str>,
    customer: Cow<'r, str>,
    kind: LineType,
    /// The amount as written.
    amount_v: Cow<'r, str>,
    amount: Decimal,
    discount: Decimal,
    tax: Decimal,
    currency: Cow<'r, str>,
    quantity: u64,
    invoice_date: Option<Date>,
    /// The invoice a credit or refund line gives money back on (`--full-refunds`).
    reference: Cow<'r, str>,
    subscription: Cow<'r, str>,
}

impl<'r, R: Fields + ?Sized> Row<'r, R> {
    /// An optional column's text (empty when the column is absent).
    fn opt(&self, i: Option<usize>) -> Cow<'r, str> {
        i.map_or(Cow::Borrowed(""), |i| self.rec.text(i))
    }

    /// Money as written: a typed decimal with its significant places (prorations keep them).
    fn money_text(&self, i: Option<usize>) -> Cow<'r, str> {
        i.map_or(Cow::Borrowed(""), |i| self.rec.decimal_text(i))
    }

    /// An optional money column (empty: 0); a subscription line's is not negative.
    fn money(
        &self,
        col: &str,
        i: Option<usize>,
        kind: LineType,
        rej: &mut Rejects<'_>,
    ) -> Option<Decimal> {
        let line = self.line;
        let v = self.money_text(i);
        if v.is_empty() {
            return Some(ZERO);
        }
        match Decimal::parse(&v, MAX_AMOUNT_DECIMALS) {
            Some(d) if kind == LineType::Subscription && d.is_negative() => {
                rej.push(
                    line,
                    col,
                    &v,
                    BadNumber,
                    "a decimal number >= 0, or empty (0)",
                );
                None
            }
            Some(d) => Some(d),
            None => {
                let base = format!("{EXPECT_DECIMAL}, or empty (0)");
                let e = crate::rows::expect_decimal(&v, MAX_AMOUNT_DECIMALS, &base);
                rej.push(line, col, &v, e.kind, e.text);
                None
            }
        }
    }

    /// An optional date: `Some(None)` when empty, `None` after rejecting it.
    fn date_opt(&self, col: &str, v: &str, rej: &mut Rejects<'_>) -> Option<Option<Date>> {
        if v.is_empty() {
            return Some(None);
        }
        match Date::parse(v) {
            Some(d) => Some(Some(d)),
            None => {
                rej.push(
                    self.line,
                    col,
                    v,
                    BadDate,
                    format!("{EXPECT_DATE}, or empty"),
                );
                None
            }
        }
    }

    /// The ids and the line type; `None` after rejecting the row.
    fn ids(&self, rej: &mut Rejects<'_>) -> Option<(Cow<'r, str>, Cow<'r, str>, LineType)> {
        let (line, c, rec) = (self.line, self.c, self.rec);
        let invoice = rec.text(c.invoice);
        if invoice.is_empty() {
            rej.push(
                line,
                "invoice_id",
                "",
                MissingValue,
                "a non-empty invoice (or credit note) id",
            );
            return None;
        }
        let customer = rec.text(c.customer);
        if customer.is_empty() {
            rej.push(
                line,
                "customer_id",
                "",
                MissingValue,
                "a non-empty customer id",
            );
            return None;
        }
        let kind_v = rec.text(c.kind);
        let Some(kind) = LineType::parse(&kind_v) else {
            rej.push(
                line,
                "type",
                &kind_v,
                UnknownValue.or_missing(&kind_v),
                "one of subscription, one_time, proration, credit, refund, tax, usage",
            );
            return None;
        };
        Some((invoice, customer, kind))
    }

    /// The fields every line has, in the order they are checked; `None` after rejecting the
    /// row.
    fn line_fields(&self, rej: &mut Rejects<'_>) -> Option<LineFields<'r>> {
        let (line, c, rec) = (self.line, self.c, self.rec);
        let (invoice, customer, kind) = self.ids(rej)?;
        let amount_v = self.money_text(Some(c.amount));
        if amount_v.is_empty() {
            rej.push(
                line,
                "amount",
                "",
                MissingValue,
                "an amount (required): a decimal number like 1200.00",
            );
            return None;
        }
        let Some(amount) = Decimal::parse(&amount_v, MAX_AMOUNT_DECIMALS) else {
            let e = crate::rows::expect_decimal(&amount_v, MAX_AMOUNT_DECIMALS, EXPECT_DECIMAL);
            rej.push(line, "amount", &amount_v, e.kind, e.text);
            return None;
        };
        let discount = self.money("discount", c.discount, kind, rej)?;
        let tax = self.money("tax", c.tax, kind, rej)?;
        if kind == LineType::Subscription && amount.is_negative() {
            rej.push(
                line,
                "amount",
                &amount_v,
                NegativeAmount,
                "an amount >= 0 for a subscription line (a credit for unused time is a proration \
                 line; a credit note is type credit)",
            );
            return None;
        }
        let currency = self.opt(c.currency);
        let is_code = currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase());
        if !currency.is_empty() && !is_code {
            rej.push(
                line,
                "currency",
                &currency,
                BadCurrency,
                "a three-letter ISO 4217 code like USD, or empty for the reporting currency",
            );
            return None;
        }
        let quantity = self.quantity(rej)?;
        let invoice_date = self.date_opt("invoice_date", &self.opt(c.invoice_date), rej)?;
        let reference = self.reference(kind, invoice_date, rej)?;
        Some(LineFields {
            invoice,
            customer,
            kind,
            amount_v,
            amount,
            discount,
            tax,
            currency,
            quantity,
            invoice_date,
            reference,
            subscription: rec.text(c.subscription),
        })
    }

    /// The quantity (empty: 1); `None` after rejecting it.
    fn quantity(&self, rej: &mut Rejects<'_>) -> Option<u64> {
        let quantity_v = self.opt(self.c.quantity);
        if quantity_v.is_empty() {
            return Some(1);
        }
        let Ok(q) = quantity_v.parse::<u64>() else {
            rej.push(
                self.line,
                "quantity",
                &quantity_v,
                BadNumber,
                "an integer >= 0, or empty (1)",
            );
            return None;
        };
        Some(q)
    }

    /// The invoice a credit or refund line gives money back on; `None` after rejecting it.
    fn reference(
        &self,
        kind: LineType,
        invoice_date: Option<Date>,
        rej: &mut Rejects<'_>,
    ) -> Option<Cow<'r, str>> {
        let reference = self.opt(self.c.reference);
        let money_back = matches!(kind, LineType::Credit | LineType::Refund);
        if !reference.is_empty() && !money_back {
            rej.push(
                self.line,
                "reference_invoice_id",
                &reference,
                Other,
                "empty: only credit and refund lines name the invoice they credit or refund",
            );
            return None;
        }
        if !reference.is_empty() && invoice_date.is_none() {
            rej.push(
                self.line,
                "invoice_date",
                "",
                MissingValue,
                "the date of the credit or refund (required with reference_invoice_id)",
            );
            return None;
        }
        Some(reference)
    }

    /// A line that never moves MRR: validated, then left out of MRR whatever it holds (a
    /// usage line counts in `--usage`, a credit or refund towards `--full-refunds`).
    fn excluded_line(
        &self,
        f: &LineFields<'r>,
        policies: &InvoicePolicies,
        billing: &mut Billing,
        rej: &mut Rejects<'_>,
        file: u16,
    ) -> Option<RowOutcome> {
        let (line, c, rec) = (self.line, self.c, self.rec);
        let start = self.date_opt("service_period_start", &rec.text(c.start), rej)?;
        let end = self.date_opt("service_period_end", &rec.text(c.end), rej)?;
        if f.kind == LineType::Usage && billing.usage_asked {
            // The `--usage` figure: net of discounts (under `all`) and tax, like MRR.
            let net = dsub(f.amount, f.tax).and_then(|g| match policies.discounts {
                Discounts::None => Some(g),
                _ => dsub(g, f.discount),
            });
            let Some(net) = net else {
                rej.push(
                    line,
                    "amount",
                    &f.amount_v,
                    OutOfRange,
                    "an amount small enough to compute with",
                );
                return None;
            };
            match usage_month(start, end, f.invoice_date) {
                Some(month) => billing.usage.push(UsageLine {
                    origin: Origin { file, line },
                    customer: f.customer.to_string(),
                    currency: f.currency.to_string(),
                    net,
                    month,
                    column: "currency".into(),
                }),
                None => billing.usage_unplaced += 1,
            }
        }
        if let Some(d) = f.invoice_date {
            billing.as_of = billing.as_of.max(Some(d));
        }
        if !f.subscription.is_empty() {
            billing.sub(&f.customer, &f.subscription);
        }
        if let Some(refunds) = billing.refunds.as_mut() {
            note_refund(refunds, f);
        }
        Some(RowOutcome::Excluded {
            kind: f.kind,
            amount: f.amount,
            currency: f.currency.to_string(),
        })
    }

    /// A subscription or proration line: a charge of the billing, or excluded as `zero_amount`.
    fn recurring_line(
        &self,
        f: &LineFields<'r>,
        policies: &InvoicePolicies,
        billing: &mut Billing,
        rej: &mut Rejects<'_>,
        file: u16,
    ) -> Option<RowOutcome> {
        let (line, c) = (self.line, self.c);
        let (start, end) = self.period(f, rej)?;
        let too_large = "an amount small enough to compute with";
        let Some(gross) = dsub(f.amount, f.tax) else {
            rej.push(line, "amount", &f.amount_v, OutOfRange, too_large);
            return None;
        };
        let Some(net) = dsub(gross, f.discount) else {
            rej.push(line, "amount", &f.amount_v, OutOfRange, too_large);
            return None;
        };
        if f.kind == LineType::Subscription && net.is_negative() {
            let (col, v) = if f.discount.is_zero() {
                ("tax", self.money_text(c.tax))
            } else {
                ("discount", self.money_text(c.discount))
            };
            rej.push(
                line,
                col,
                &v,
                InconsistentAmount,
                format!("discount + tax no larger than amount {}", f.amount_v),
            );
            return None;
        }
        let net = match policies.discounts {
            Discounts::None => gross,
            _ => net,
        };
        if let Some(d) = f.invoice_date {
            billing.as_of = billing.as_of.max(Some(d));
        }
        let sub = billing.sub(&f.customer, &f.subscription);
        // The invoice's total, for `--full-refunds end-service`: amount - discount of every line.
        let inv_index = billing.refunds.as_mut().map(|refunds| {
            let i = refunds.invoice(&f.invoice);
            refunds.add(i, dsub(f.amount, f.discount), &f.currency);
            i
        });
        if net.is_zero() {
            return Some(RowOutcome::ZeroAmount {
                amount: f.amount,
                currency: f.currency.to_string(),
            });
        }
        billing.charges.push(Charge {
            origin: Origin { file, line },
            sub,
            product: self.opt(c.product).to_string(),
            plan: self.opt(c.plan).to_string(),
            quantity: f.quantity,
            currency: f.currency.to_string(),
            net,
            places: net.decimals.max(2),
            start,
            end,
            proration: f.kind == LineType::Proration,
            rate: None,
            invoice: inv_index,
            refunded: None,
        });
        Some(RowOutcome::Charge)
    }

    /// A recurring line's subscription and service period `[start, end)`; `None` after
    /// rejecting the row.
    fn period(&self, f: &LineFields<'r>, rej: &mut Rejects<'_>) -> Option<(Date, Date)> {
        let (line, c, rec) = (self.line, self.c, self.rec);
        if f.subscription.is_empty() {
            rej.push(
                line,
                "subscription_id",
                "",
                MissingValue,
                "a subscription id (subscription and proration lines need one)",
            );
            return None;
        }
        let (start_v, end_v) = (rec.text(c.start), rec.text(c.end));
        let Some(start) = Date::parse(&start_v) else {
            let kind = BadDate.or_missing(&start_v);
            rej.push(line, "service_period_start", &start_v, kind, EXPECT_DATE);
            return None;
        };
        let Some(end) = Date::parse(&end_v) else {
            let kind = BadDate.or_missing(&end_v);
            rej.push(line, "service_period_end", &end_v, kind, EXPECT_DATE);
            return None;
        };
        if end <= start {
            rej.push(
                line,
                "service_period_end",
                &end_v,
                EndBeforeStart,
                format!("a date after service_period_start {start} (the first day not covered)"),
            );
            return None;
        }
        Some((start, end))
    }
}

/// `--full-refunds end-service`: a credit or refund line is money handed back; any other
/// line adds to its invoice's total.
fn note_refund(refunds: &mut InvoiceRefunds, f: &LineFields<'_>) {
    let money_back = matches!(f.kind, LineType::Credit | LineType::Refund);
    if !money_back {
        let i = refunds.invoice(&f.invoice);
        refunds.add(i, dsub(f.amount, f.discount), &f.currency);
        return;
    }
    refunds.back(MoneyBack {
        kind: if f.kind == LineType::Credit {
            BackKind::Credit
        } else {
            BackKind::Refund
        },
        invoice: (!f.reference.is_empty()).then(|| f.reference.to_string()),
        // A credit may be written negative or positive: the money handed back.
        amount: Decimal {
            mantissa: f.amount.mantissa.saturating_abs(),
            decimals: f.amount.decimals,
        },
        currency: f.currency.to_string(),
        // Only read with a reference, which requires the date.
        date: f.invoice_date.unwrap_or(Date::from_days(0)),
        // The credit note's or refund's own id: the same from a file, Parquet or a database.
        label: f.invoice.to_string(),
    });
}
