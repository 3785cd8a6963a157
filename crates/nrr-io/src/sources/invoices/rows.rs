//! invoices.csv rows (or their Parquet or database twins): each validated into a charge of the
//! billing, excluded for its type, or rejected.

use super::charges::Billing;
use super::invoice_line::invoice_row;
use crate::error::{IoError, Rejection, RejectionKind};
use crate::rows::{Cols, Fields};
use crate::sources::snapshots::each_file_row;
use crate::table::display_name;
use nrr_core::dataset::DatasetBuilder;
use nrr_core::money::Decimal;
use nrr_core::policy::InvoicePolicies;
use nrr_core::report::{Reason, RowLedger};
use std::path::Path;

/// The kinds of invoice line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LineType {
    Subscription,
    OneTime,
    Proration,
    Credit,
    Refund,
    Tax,
    Usage,
}

impl LineType {
    pub(super) fn parse(s: &str) -> Option<LineType> {
        Some(match s {
            "subscription" => LineType::Subscription,
            "one_time" => LineType::OneTime,
            "proration" => LineType::Proration,
            "credit" => LineType::Credit,
            "refund" => LineType::Refund,
            "tax" => LineType::Tax,
            "usage" => LineType::Usage,
            _ => return None,
        })
    }
}
pub(super) const EXPECT_DECIMAL: &str =
    "a decimal number with at most 6 decimal places (like 1200.00)";

/// Collects rejections of one file.
pub(super) struct Rejects<'a> {
    pub(super) name: &'a str,
    pub(super) list: Vec<Rejection>,
}

impl Rejects<'_> {
    pub(super) fn push(
        &mut self,
        line: u64,
        column: &str,
        value: &str,
        kind: RejectionKind,
        expected: impl Into<String>,
    ) {
        self.list.push(Rejection {
            file: self.name.to_string(),
            line,
            column: column.to_string(),
            value: value.to_string(),
            expected: expected.into(),
            kind,
        });
    }

    /// Adds the rows that are not UTF-8 (each read and rejected), then hands the rejections
    /// over, in line order.
    pub(super) fn finish(
        mut self,
        utf8: Vec<Rejection>,
        ledger: &mut RowLedger,
        rejections: &mut Vec<Rejection>,
    ) {
        ledger.read += utf8.len() as u64;
        ledger.rejected += utf8.len() as u64;
        self.list.extend(utf8);
        self.list.sort_by_key(|r| r.line);
        rejections.extend(self.list);
    }
}

/// The columns of invoices.csv.
const INVOICE_COLUMNS: &[&str] = &[
    "invoice_id",
    "customer_id",
    "line_id",
    "type",
    "subscription_id",
    "product",
    "plan",
    "quantity",
    "amount",
    "discount",
    "tax",
    "currency",
    "service_period_start",
    "service_period_end",
    "invoice_date",
    "reference_invoice_id",
];

/// Column positions of invoices.csv.
pub(super) struct InvoiceCols {
    pub(super) invoice: usize,
    pub(super) customer: usize,
    pub(super) kind: usize,
    pub(super) subscription: usize,
    pub(super) amount: usize,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) product: Option<usize>,
    pub(super) plan: Option<usize>,
    pub(super) quantity: Option<usize>,
    pub(super) discount: Option<usize>,
    pub(super) tax: Option<usize>,
    pub(super) currency: Option<usize>,
    pub(super) invoice_date: Option<usize>,
    pub(super) reference: Option<usize>,
}

impl InvoiceCols {
    /// The columns of an invoices input; `path` names it in a missing-column error.
    pub(super) fn new(cols: &Cols, path: &Path) -> Result<InvoiceCols, IoError> {
        Ok(InvoiceCols {
            invoice: cols.require(path, "invoice_id")?,
            customer: cols.require(path, "customer_id")?,
            kind: cols.require(path, "type")?,
            subscription: cols.require(path, "subscription_id")?,
            amount: cols.require(path, "amount")?,
            start: cols.require(path, "service_period_start")?,
            end: cols.require(path, "service_period_end")?,
            product: cols.get("product"),
            plan: cols.get("plan"),
            quantity: cols.get("quantity"),
            discount: cols.get("discount"),
            tax: cols.get("tax"),
            currency: cols.get("currency"),
            invoice_date: cols.get("invoice_date"),
            reference: cols.get("reference_invoice_id"),
        })
    }
}

/// The row handling of an invoices input, whatever the rows come from (a CSV file, a
/// database query): each row validated into the billing, counted in the ledger, or rejected
/// under the input's name with its line (row) number.
pub(super) struct InvoiceRows<'a> {
    c: InvoiceCols,
    file: u16,
    policies: &'a InvoicePolicies,
    pub(super) rej: Rejects<'a>,
}

impl<'a> InvoiceRows<'a> {
    pub(super) fn new(
        cols: &Cols,
        path: &Path,
        name: &'a str,
        file: u16,
        policies: &'a InvoicePolicies,
    ) -> Result<InvoiceRows<'a>, IoError> {
        Ok(InvoiceRows {
            c: InvoiceCols::new(cols, path)?,
            file,
            policies,
            rej: Rejects {
                name,
                list: Vec::new(),
            },
        })
    }

    /// Reads one row (`line`: its line in the file, or its row number in a query result).
    pub(super) fn row<R: Fields + ?Sized>(
        &mut self,
        line: u64,
        rec: &R,
        billing: &mut Billing,
        ledger: &mut RowLedger,
    ) {
        ledger.read += 1;
        let before = self.rej.list.len();
        let outcome = invoice_row(
            line,
            &self.c,
            rec,
            self.policies,
            billing,
            &mut self.rej,
            self.file,
        );
        match outcome {
            None | Some(RowOutcome::Charge) => {}
            Some(RowOutcome::Excluded {
                kind,
                amount,
                currency,
            }) => {
                let reason = match kind {
                    LineType::OneTime => Reason::OneTime,
                    LineType::Tax => Reason::Tax,
                    LineType::Credit => Reason::Credit,
                    LineType::Refund => Reason::Refund,
                    LineType::Usage => Reason::Usage,
                    _ => Reason::ZeroAmount,
                };
                ledger.exclude(reason, &currency, amount);
            }
            Some(RowOutcome::ZeroAmount { amount, currency }) => {
                ledger.exclude(Reason::ZeroAmount, &currency, amount)
            }
        }
        if self.rej.list.len() > before {
            ledger.rejected += 1;
        }
    }
}

/// Rows already read (from a database): the input's name (in rejections and `inputs`), its
/// columns and its rows, numbered from 1.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) struct Table<'a, R> {
    pub(crate) name: &'a str,
    pub(crate) cols: &'a Cols,
    pub(crate) rows: &'a [R],
}

/// Reads invoices.csv (or invoices.parquet: rows numbered as lines, the first row is line 2)
/// into `billing`, counting every row in the ledger and rejecting bad ones.
pub(super) fn read_invoices(
    path: &Path,
    file: u16,
    policies: &InvoicePolicies,
    billing: &mut Billing,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
) -> Result<(), IoError> {
    let name = display_name(path);
    let ledger = &mut builder.ledger;
    let (rows, utf8) = each_file_row(
        path,
        INVOICE_COLUMNS,
        &mut builder.notices,
        |cols| InvoiceRows::new(cols, path, &name, file, policies),
        |rows, line, rec| rows.row(line, rec, billing, ledger),
    )?;
    rows.rej.finish(utf8, &mut builder.ledger, rejections);
    Ok(())
}

pub(super) enum RowOutcome {
    /// A subscription or proration line kept in `billing.charges` (counted as used later).
    Charge,
    /// Excluded for its type, with the amount and currency as written.
    Excluded {
        kind: LineType,
        amount: Decimal,
        currency: String,
    },
    /// Net amount 0 (the amount as written, before discount and tax, and its currency).
    ZeroAmount { amount: Decimal, currency: String },
}
