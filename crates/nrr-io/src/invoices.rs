//! `invoices.csv` (invoice line items, the shape revenue tools import) and the optional
//! `subscription_events.csv` (or their Parquet twins), turned into the core's recurring lines
//! under named policies.
//!
//! The rules are written down in `docs/input.md` (columns, validation) and `docs/policies.md`
//! (what each policy does, with examples). In short:
//!
//! - A `subscription` line's MRR is `(amount - discount - tax)` over its service period in
//!   months: whole calendar months (same day of month, clamped at month end) give `n` months;
//!   whole weeks give `w x 12 / 52` months (the line is handed to the core as `amount x 13`
//!   over `3w` months); any other length of `d` days gives `d x 12 / 365` months (`amount x
//!   365 / g` over `12d / g` months, `g` their greatest common divisor). Exact in every case.
//! - A `proration` line is never a movement of its own: it moves the date at which a price
//!   applies. A positive proration for `[s, e)` whose subscription, product, plan, quantity and
//!   currency match the next regular line starting at `e` makes that line start at `s`. An
//!   unmatched one is scaled to its full period (the regular period of the same product, else
//!   of the subscription, holding `s`): `net x full days / proration days`, rounded half-even
//!   to the proration's own decimal places (at least 2), over that period's months. A negative
//!   proration (credit for unused time) ends, at `s`, the line of its product invoiced before
//!   `s` and running past it.
//! - Within one subscription and product, the line that started last is in force
//!   (an upgrade replaces the old price from its start); consecutive periods at the same price
//!   become one line; a gap between service periods is a time without revenue.
//! - `one_time`, `tax`, `credit`, `refund` and `usage` lines never move MRR: each is excluded
//!   with its reason. A line whose net amount is 0 (a trial, a free plan, a 100% discount) is
//!   excluded as `zero_amount`. Under `--full-refunds end-service` a `credit` or `refund` line
//!   that names its invoice (`reference_invoice_id`) counts towards refunding that invoice in
//!   full, which ends the service of the invoice's lines on that day (`crate::full_refunds`).
//! - A subscription stays active until its last service period ends; when that end is after
//!   the data's as-of date (the latest `invoice_date`), the subscription is still running and
//!   stays open, unless an event ends it.
//! - Events (cancellations, pauses, delinquency) then cut or bridge revenue as the policies
//!   say ([`InvoicePolicies`]).

use crate::error::{IoError, Rejection};
use crate::full_refunds::{listed, BackKind, MoneyBack, RefundBook, Resolved};
use crate::options::{LoadOptions, Progress};
use crate::rows::{expect_decimal, Cols, Fields, EXPECT_DATE};
use crate::snapshots::each_file_row;
use crate::table::display_name;
use nrr_core::dataset::{DatasetBuilder, LineDetail, LineInput, Origin};
use nrr_core::date::{days_in_month, Date};
use nrr_core::money::{div_round_half_even, gcd, Decimal, MAX_AMOUNT_DECIMALS};
use nrr_core::policy::FullRefunds;
pub(crate) use nrr_core::policy::{ChurnRecognition, Discounts, InvoicePolicies, PastDue, Pauses};
use nrr_core::report::RowLedger;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------
// Exact decimal and period arithmetic

/// Both values with the same number of decimals.
fn align(a: Decimal, b: Decimal) -> Option<(i64, i64, u32)> {
    let d = a.decimals.max(b.decimals);
    let up = |x: Decimal| {
        10i64
            .checked_pow(d - x.decimals)
            .and_then(|p| x.mantissa.checked_mul(p))
    };
    Some((up(a)?, up(b)?, d))
}

pub(crate) fn dsub(a: Decimal, b: Decimal) -> Option<Decimal> {
    let (x, y, d) = align(a, b)?;
    Some(Decimal {
        mantissa: x.checked_sub(y)?,
        decimals: d,
    })
}

fn dmul(a: Decimal, k: i64) -> Option<Decimal> {
    Some(Decimal {
        mantissa: a.mantissa.checked_mul(k)?,
        decimals: a.decimals,
    })
}

/// The decimal as written: `-12.50`.
pub(crate) fn dec_str(d: Decimal) -> String {
    let digits = d.mantissa.unsigned_abs().to_string();
    let places = d.decimals as usize;
    let digits = format!("{digits:0>width$}", width = places + 1);
    let (int, frac) = digits.split_at(digits.len() - places);
    let sign = if d.mantissa < 0 { "-" } else { "" };
    if places == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

fn same_value(a: Decimal, b: Decimal) -> bool {
    align(a, b).is_some_and(|(x, y, _)| x == y)
}

const ZERO: Decimal = Decimal {
    mantissa: 0,
    decimals: 0,
};

/// The length of a service period, as the MRR rule sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Length {
    /// Whole calendar months.
    Months(u32),
    /// Whole weeks (and not whole months).
    Weeks(u32),
    /// Any other number of days.
    Days(u32),
}

/// Whole calendar months from `s` to `e`: `e` falls on the same day of the month as `s`, with
/// both clamped at month end (a period anchored on the 31st runs Jan 31 - Feb 29 - Mar 31).
fn whole_months(s: Date, e: Date) -> Option<u32> {
    let (sy, sm, sd) = s.ymd();
    let (ey, em, ed) = e.ymd();
    let n = (ey * 12 + em as i32) - (sy * 12 + sm as i32);
    if n < 1 {
        return None;
    }
    let s_end = sd == days_in_month(sy, sm);
    let e_end = ed == days_in_month(ey, em);
    // Some anchor day a in 1..=31 gives sd = min(a, days(s)) and ed = min(a, days(e)).
    let ok = if s_end {
        e_end || ed >= sd
    } else {
        ed == sd.min(days_in_month(ey, em))
    };
    ok.then_some(n as u32)
}

fn length(s: Date, e: Date) -> Length {
    if let Some(n) = whole_months(s, e) {
        return Length::Months(n);
    }
    let d = (e.days() - s.days()) as u32;
    if d % 7 == 0 {
        Length::Weeks(d / 7)
    } else {
        Length::Days(d)
    }
}

/// `(amount', interval months)` such that `amount' / interval = MRR` of `net` charged for a
/// period of this length. `None` on overflow.
/// The MRR of `net` for the service period `[s, e)`, as `(amount, interval months)`.
pub(crate) fn rate_of_period(net: Decimal, s: Date, e: Date) -> Option<(Decimal, u32)> {
    per_interval(net, length(s, e))
}

pub(crate) fn per_interval(net: Decimal, len: Length) -> Option<(Decimal, u32)> {
    match len {
        Length::Months(n) => Some((net, n)),
        // 52 weeks = 12 months: net x 52 / (12 w) = net x 13 / (3 w).
        Length::Weeks(w) => Some((dmul(net, 13)?, w.checked_mul(3)?)),
        // 365 days = 12 months: net x 365 / (12 d).
        Length::Days(d) => {
            let den = u64::from(d) * 12;
            let g = gcd(365, den);
            Some((dmul(net, (365 / g) as i64)?, u32::try_from(den / g).ok()?))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// The kinds of invoice line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineType {
    Subscription,
    OneTime,
    Proration,
    Credit,
    Refund,
    Tax,
    Usage,
}

impl LineType {
    fn parse(s: &str) -> Option<LineType> {
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

/// The kinds of subscription event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventKind {
    CancelRequested,
    Canceled,
    Paused,
    Resumed,
    PastDue,
    Unpaid,
}

impl EventKind {
    fn parse(s: &str) -> Option<EventKind> {
        Some(match s {
            "cancel_requested" => EventKind::CancelRequested,
            "canceled" => EventKind::Canceled,
            "paused" => EventKind::Paused,
            "resumed" => EventKind::Resumed,
            "past_due" => EventKind::PastDue,
            "unpaid" => EventKind::Unpaid,
            _ => return None,
        })
    }
}

/// A subscription or proration line with a non-zero net amount (also built by the Stripe
/// reader, `crate::stripe`).
pub(crate) struct Charge {
    pub(crate) origin: Origin,
    /// Index into `Book::subs`.
    pub(crate) sub: usize,
    /// Product (the item key within the subscription).
    pub(crate) product: String,
    pub(crate) plan: String,
    pub(crate) quantity: u64,
    pub(crate) currency: String,
    /// amount - discount (under `--discounts all`) - tax.
    pub(crate) net: Decimal,
    /// Decimal places of `amount` as written (prorations are rounded to them).
    pub(crate) places: u32,
    pub(crate) start: Date,
    pub(crate) end: Date,
    pub(crate) proration: bool,
    /// The MRR as `(amount, interval months)` when the price says it (Stripe items); `None`:
    /// from `net` over the period's length.
    pub(crate) rate: Option<(Decimal, u32)>,
    /// `--full-refunds end-service`: the invoice it was billed on ([`RefundBook::invoice`]).
    pub(crate) invoice: Option<u32>,
    /// `--full-refunds end-service`: the day its invoice was refunded in full, when that is
    /// before `end` (its service ends then; the rate is still that of the whole period).
    pub(crate) refunded: Option<Date>,
}

impl Charge {
    /// The day its service ends: `end`, or earlier when its invoice was refunded in full.
    fn served_end(&self) -> Date {
        self.refunded.map_or(self.end, |r| r.min(self.end))
    }
}

pub(crate) struct Event {
    pub(crate) origin: Origin,
    pub(crate) kind: EventKind,
    pub(crate) date: Date,
}

/// A subscription: one customer's subscription id.
pub(crate) struct Sub {
    pub(crate) customer: String,
    /// The subscription id.
    pub(crate) id: String,
    pub(crate) events: Vec<Event>,
}

/// Everything read from invoices.csv and subscription_events.csv (or from Stripe objects).
#[derive(Default)]
pub(crate) struct Book {
    pub(crate) subs: Vec<Sub>,
    index: HashMap<(String, String), usize>,
    /// Subscription id -> subscriptions (one per customer using it).
    by_id: HashMap<String, Vec<usize>>,
    pub(crate) charges: Vec<Charge>,
    /// The latest invoice_date.
    pub(crate) as_of: Option<Date>,
    /// `--usage`: collect usage charges in `usage` (otherwise they are only counted).
    pub(crate) usage_asked: bool,
    /// Usage charges (`--usage` only), handed to the builder apart from the lines.
    pub(crate) usage: Vec<UsageLine>,
    /// Usage lines that could not be placed in a month (no period, no invoice date).
    pub(crate) usage_unplaced: u64,
    /// `--full-refunds end-service`: invoice totals and the credit notes and refunds that name
    /// them (`None` under `ignore`: nothing is kept).
    pub(crate) refunds: Option<RefundBook>,
}

/// A usage (metered) charge for the `--usage` figure (also built by the Stripe reader).
pub(crate) struct UsageLine {
    pub(crate) origin: Origin,
    pub(crate) customer: String,
    pub(crate) currency: String,
    /// amount - discount (under `--discounts all`) - tax; may be negative.
    pub(crate) net: Decimal,
    /// The month it counts in: the month of its last day of service.
    pub(crate) month: nrr_core::date::Month,
    /// What a rejection of the line names as its column.
    pub(crate) column: String,
}

/// The month a usage charge counts in: the month of its last day of service, the day before
/// the (exclusive) period end, not before the period start; with only a start, the start's
/// month; without a period, the month of `fallback` (the invoice date).
pub(crate) fn usage_month(
    start: Option<Date>,
    end: Option<Date>,
    fallback: Option<Date>,
) -> Option<nrr_core::date::Month> {
    let last = match (start, end) {
        (Some(s), Some(e)) => Some(e.add_days(-1).max(s)),
        (None, Some(e)) => Some(e.add_days(-1)),
        (Some(s), None) => Some(s),
        (None, None) => fallback,
    };
    last.map(Date::month)
}

impl Book {
    /// Hands the usage charges to the builder (with a note about unplaced ones).
    pub(crate) fn push_usage(&mut self, builder: &mut DatasetBuilder) {
        for u in self.usage.drain(..) {
            builder.push_usage(nrr_core::dataset::UsageInput {
                customer: &u.customer,
                currency: &u.currency,
                month: u.month,
                amount: u.net,
                origin: u.origin,
                column: &u.column,
            });
        }
        if self.usage_unplaced > 0 {
            builder.usage_notes.push(format!(
                "{} usage line(s) with neither a service period nor an invoice date are not \
                 in the figure (no month to place them in)",
                self.usage_unplaced
            ));
        }
    }
}

impl Book {
    /// A book for `policies`: under `--full-refunds end-service` it keeps invoice totals and
    /// money handed back.
    pub(crate) fn for_policies(policies: &InvoicePolicies) -> Book {
        Book {
            refunds: (policies.full_refunds == FullRefunds::EndService).then(RefundBook::default),
            ..Book::default()
        }
    }

    /// `--full-refunds end-service`: ends the charges of the invoices refunded in full on the
    /// day of the refund. Returns what was found (`None` under `ignore`) and the invoices whose
    /// service it ended, as `id (date)`.
    pub(crate) fn apply_full_refunds(&mut self) -> Option<(Resolved, Vec<String>)> {
        let refunds = self.refunds.as_ref()?;
        let r = refunds.resolve();
        let mut ended: Vec<(Date, u32)> = Vec::new();
        for ch in &mut self.charges {
            let Some(end) = ch.invoice.and_then(|i| r.ends.get(&i)) else {
                continue;
            };
            if *end < ch.end {
                ch.refunded = Some(*end);
                ended.push((*end, ch.invoice.unwrap_or_default()));
            }
        }
        ended.sort();
        ended.dedup();
        let ended = ended
            .into_iter()
            .map(|(d, i)| format!("{} ({d})", refunds.id(i)))
            .collect();
        Some((r, ended))
    }

    pub(crate) fn sub(&mut self, customer: &str, id: &str) -> usize {
        let key = (customer.to_string(), id.to_string());
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.subs.len();
        self.subs.push(Sub {
            customer: customer.to_string(),
            id: id.to_string(),
            events: Vec::new(),
        });
        self.index.insert(key, i);
        self.by_id.entry(id.to_string()).or_default().push(i);
        i
    }
}

const EXPECT_DECIMAL: &str = "a decimal number with at most 6 decimal places (like 1200.00)";

/// Collects rejections of one file.
struct Rejects<'a> {
    name: &'a str,
    list: Vec<Rejection>,
}

impl Rejects<'_> {
    fn push(&mut self, line: u64, column: &str, value: &str, expected: impl Into<String>) {
        self.list.push(Rejection {
            file: self.name.to_string(),
            line,
            column: column.to_string(),
            value: value.to_string(),
            expected: expected.into(),
        });
    }

    /// Adds the rows that are not UTF-8 (each read and rejected), then hands the rejections
    /// over, in line order.
    fn finish(
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
struct InvoiceCols {
    invoice: usize,
    customer: usize,
    kind: usize,
    subscription: usize,
    amount: usize,
    start: usize,
    end: usize,
    product: Option<usize>,
    plan: Option<usize>,
    quantity: Option<usize>,
    discount: Option<usize>,
    tax: Option<usize>,
    currency: Option<usize>,
    invoice_date: Option<usize>,
    reference: Option<usize>,
}

impl InvoiceCols {
    /// The columns of an invoices input; `path` names it in a missing-column error.
    fn new(cols: &Cols, path: &Path) -> Result<InvoiceCols, IoError> {
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
/// database query): each row validated into the book, counted in the ledger, or rejected
/// under the input's name with its line (row) number.
struct InvoiceRows<'a> {
    c: InvoiceCols,
    file: u16,
    policies: &'a InvoicePolicies,
    rej: Rejects<'a>,
}

impl<'a> InvoiceRows<'a> {
    fn new(
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
    fn row<R: Fields + ?Sized>(
        &mut self,
        line: u64,
        rec: &R,
        book: &mut Book,
        ledger: &mut RowLedger,
    ) {
        ledger.read += 1;
        let before = self.rej.list.len();
        let outcome = invoice_row(
            line,
            &self.c,
            rec,
            self.policies,
            book,
            &mut self.rej,
            self.file,
        );
        if let Some(kind) = outcome {
            let e = &mut ledger.excluded;
            match kind {
                RowOutcome::Charge => {}
                RowOutcome::Excluded(LineType::OneTime) => e.one_time += 1,
                RowOutcome::Excluded(LineType::Tax) => e.tax += 1,
                RowOutcome::Excluded(LineType::Credit) => e.credit += 1,
                RowOutcome::Excluded(LineType::Refund) => e.refund += 1,
                RowOutcome::Excluded(LineType::Usage) => e.usage += 1,
                RowOutcome::Excluded(_) | RowOutcome::ZeroAmount => e.zero_amount += 1,
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
/// into `book`, counting every row in the ledger and rejecting bad ones.
fn read_invoices(
    path: &Path,
    file: u16,
    policies: &InvoicePolicies,
    book: &mut Book,
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
        |rows, line, rec| rows.row(line, rec, book, ledger),
    )?;
    rows.rej.finish(utf8, &mut builder.ledger, rejections);
    Ok(())
}

enum RowOutcome {
    /// A subscription or proration line kept in `book.charges` (counted as used later).
    Charge,
    /// Excluded for its type.
    Excluded(LineType),
    /// Net amount 0.
    ZeroAmount,
}

/// Validates one invoices.csv row; `None` after rejecting it.
fn invoice_row<R: Fields + ?Sized>(
    line: u64,
    c: &InvoiceCols,
    rec: &R,
    policies: &InvoicePolicies,
    book: &mut Book,
    rej: &mut Rejects<'_>,
    file: u16,
) -> Option<RowOutcome> {
    let opt = |i: Option<usize>| i.map_or(Cow::Borrowed(""), |i| rec.text(i));
    // Money as written: a typed decimal with its significant places (prorations keep them).
    let money_text = |i: Option<usize>| i.map_or(Cow::Borrowed(""), |i| rec.decimal_text(i));
    let invoice = rec.text(c.invoice);
    if invoice.is_empty() {
        rej.push(
            line,
            "invoice_id",
            "",
            "a non-empty invoice (or credit note) id",
        );
        return None;
    }
    let customer = rec.text(c.customer);
    if customer.is_empty() {
        rej.push(line, "customer_id", "", "a non-empty customer id");
        return None;
    }
    let kind_v = rec.text(c.kind);
    let Some(kind) = LineType::parse(&kind_v) else {
        rej.push(
            line,
            "type",
            &kind_v,
            "one of subscription, one_time, proration, credit, refund, tax, usage",
        );
        return None;
    };
    let amount_v = money_text(Some(c.amount));
    if amount_v.is_empty() {
        rej.push(
            line,
            "amount",
            "",
            "an amount (required): a decimal number like 1200.00",
        );
        return None;
    }
    let Some(amount) = Decimal::parse(&amount_v, MAX_AMOUNT_DECIMALS) else {
        let e = expect_decimal(&amount_v, MAX_AMOUNT_DECIMALS, EXPECT_DECIMAL);
        rej.push(line, "amount", &amount_v, e);
        return None;
    };
    let recurring = matches!(kind, LineType::Subscription | LineType::Proration);
    let money = |col: &str, i: Option<usize>, rej: &mut Rejects<'_>| -> Option<Decimal> {
        let v = money_text(i);
        if v.is_empty() {
            return Some(ZERO);
        }
        match Decimal::parse(&v, MAX_AMOUNT_DECIMALS) {
            Some(d) if kind == LineType::Subscription && d.is_negative() => {
                rej.push(line, col, &v, "a decimal number >= 0, or empty (0)");
                None
            }
            Some(d) => Some(d),
            None => {
                let base = format!("{EXPECT_DECIMAL}, or empty (0)");
                let e = expect_decimal(&v, MAX_AMOUNT_DECIMALS, &base);
                rej.push(line, col, &v, e);
                None
            }
        }
    };
    let discount = money("discount", c.discount, rej)?;
    let tax = money("tax", c.tax, rej)?;
    if kind == LineType::Subscription && amount.is_negative() {
        rej.push(
            line,
            "amount",
            &amount_v,
            "an amount >= 0 for a subscription line (a credit for unused time is a proration \
             line; a credit note is type credit)",
        );
        return None;
    }
    let currency = opt(c.currency);
    let is_code = currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase());
    if !currency.is_empty() && !is_code {
        rej.push(
            line,
            "currency",
            &currency,
            "a three-letter ISO 4217 code like USD, or empty for the reporting currency",
        );
        return None;
    }
    let quantity_v = opt(c.quantity);
    let quantity = if quantity_v.is_empty() {
        1
    } else {
        let Ok(q) = quantity_v.parse::<u64>() else {
            rej.push(
                line,
                "quantity",
                &quantity_v,
                "an integer >= 0, or empty (1)",
            );
            return None;
        };
        q
    };
    let date_opt = |col: &str, v: &str, rej: &mut Rejects<'_>| -> Option<Option<Date>> {
        if v.is_empty() {
            return Some(None);
        }
        match Date::parse(v) {
            Some(d) => Some(Some(d)),
            None => {
                rej.push(line, col, v, format!("{EXPECT_DATE}, or empty"));
                None
            }
        }
    };
    let invoice_date = date_opt("invoice_date", &opt(c.invoice_date), rej)?;
    // The invoice a credit or refund line gives money back on (`--full-refunds`).
    let reference = opt(c.reference);
    let money_back = matches!(kind, LineType::Credit | LineType::Refund);
    if !reference.is_empty() && !money_back {
        rej.push(
            line,
            "reference_invoice_id",
            &reference,
            "empty: only credit and refund lines name the invoice they credit or refund",
        );
        return None;
    }
    if !reference.is_empty() && invoice_date.is_none() {
        rej.push(
            line,
            "invoice_date",
            "",
            "the date of the credit or refund (required with reference_invoice_id)",
        );
        return None;
    }
    let sub_v = rec.text(c.subscription);
    let (start_v, end_v) = (rec.text(c.start), rec.text(c.end));
    if !recurring {
        // Validated, then left out of MRR whatever they hold.
        let start = date_opt("service_period_start", &start_v, rej)?;
        let end = date_opt("service_period_end", &end_v, rej)?;
        if kind == LineType::Usage && book.usage_asked {
            // The `--usage` figure: net of discounts (under `all`) and tax, like MRR.
            let net = dsub(amount, tax).and_then(|g| match policies.discounts {
                Discounts::None => Some(g),
                _ => dsub(g, discount),
            });
            let Some(net) = net else {
                rej.push(
                    line,
                    "amount",
                    &amount_v,
                    "an amount small enough to compute with",
                );
                return None;
            };
            match usage_month(start, end, invoice_date) {
                Some(month) => book.usage.push(UsageLine {
                    origin: Origin { file, line },
                    customer: customer.to_string(),
                    currency: currency.to_string(),
                    net,
                    month,
                    column: "currency".into(),
                }),
                None => book.usage_unplaced += 1,
            }
        }
        if let Some(d) = invoice_date {
            book.as_of = book.as_of.max(Some(d));
        }
        if !sub_v.is_empty() {
            book.sub(&customer, &sub_v);
        }
        if let Some(rb) = book.refunds.as_mut() {
            if money_back {
                rb.back(MoneyBack {
                    kind: if kind == LineType::Credit {
                        BackKind::Credit
                    } else {
                        BackKind::Refund
                    },
                    invoice: (!reference.is_empty()).then(|| reference.to_string()),
                    // A credit may be written negative or positive: the money handed back.
                    amount: Decimal {
                        mantissa: amount.mantissa.saturating_abs(),
                        decimals: amount.decimals,
                    },
                    currency: currency.to_string(),
                    // Only read with a reference, which requires the date.
                    date: invoice_date.unwrap_or(Date::from_days(0)),
                    // The credit note's or refund's own id: the same from a file, Parquet or
                    // a database.
                    label: invoice.to_string(),
                });
            } else {
                let i = rb.invoice(&invoice);
                rb.add(i, dsub(amount, discount), &currency);
            }
        }
        return Some(RowOutcome::Excluded(kind));
    }
    if sub_v.is_empty() {
        rej.push(
            line,
            "subscription_id",
            "",
            "a subscription id (subscription and proration lines need one)",
        );
        return None;
    }
    let Some(start) = Date::parse(&start_v) else {
        rej.push(line, "service_period_start", &start_v, EXPECT_DATE);
        return None;
    };
    let Some(end) = Date::parse(&end_v) else {
        rej.push(line, "service_period_end", &end_v, EXPECT_DATE);
        return None;
    };
    if end <= start {
        rej.push(
            line,
            "service_period_end",
            &end_v,
            format!("a date after service_period_start {start} (the first day not covered)"),
        );
        return None;
    }
    let Some(gross) = dsub(amount, tax) else {
        rej.push(
            line,
            "amount",
            &amount_v,
            "an amount small enough to compute with",
        );
        return None;
    };
    let Some(net) = dsub(gross, discount) else {
        rej.push(
            line,
            "amount",
            &amount_v,
            "an amount small enough to compute with",
        );
        return None;
    };
    if kind == LineType::Subscription && net.is_negative() {
        let (col, v) = if discount.is_zero() {
            ("tax", money_text(c.tax))
        } else {
            ("discount", money_text(c.discount))
        };
        rej.push(
            line,
            col,
            &v,
            format!("discount + tax no larger than amount {amount_v}"),
        );
        return None;
    }
    let net = match policies.discounts {
        Discounts::None => gross,
        _ => net,
    };
    if let Some(d) = invoice_date {
        book.as_of = book.as_of.max(Some(d));
    }
    let sub = book.sub(&customer, &sub_v);
    // The invoice's total, for `--full-refunds end-service`: amount - discount of every line.
    let inv_index = book.refunds.as_mut().map(|rb| {
        let i = rb.invoice(&invoice);
        rb.add(i, dsub(amount, discount), &currency);
        i
    });
    if net.is_zero() {
        return Some(RowOutcome::ZeroAmount);
    }
    book.charges.push(Charge {
        origin: Origin { file, line },
        sub,
        product: opt(c.product).to_string(),
        plan: opt(c.plan).to_string(),
        quantity,
        currency: currency.to_string(),
        net,
        places: net.decimals.max(2),
        start,
        end,
        proration: kind == LineType::Proration,
        rate: None,
        invoice: inv_index,
        refunded: None,
    });
    Some(RowOutcome::Charge)
}

/// The row handling of a subscription events input, whatever the rows come from.
struct EventRows<'a> {
    sub_c: usize,
    event_c: usize,
    date_c: usize,
    file: u16,
    rej: Rejects<'a>,
}

impl<'a> EventRows<'a> {
    fn new(cols: &Cols, path: &Path, name: &'a str, file: u16) -> Result<EventRows<'a>, IoError> {
        Ok(EventRows {
            sub_c: cols.require(path, "subscription_id")?,
            event_c: cols.require(path, "event")?,
            date_c: cols.require(path, "effective_date")?,
            file,
            rej: Rejects {
                name,
                list: Vec::new(),
            },
        })
    }

    /// Reads one row (`line`: its line in the file, or its row number in a query result).
    fn row<R: Fields + ?Sized>(
        &mut self,
        line: u64,
        rec: &R,
        book: &mut Book,
        ledger: &mut RowLedger,
    ) {
        ledger.read += 1;
        let (sub_v, event_v, date_v) = (
            rec.text(self.sub_c),
            rec.text(self.event_c),
            rec.text(self.date_c),
        );
        let rej = &mut self.rej;
        if sub_v.is_empty() {
            ledger.rejected += 1;
            return rej.push(line, "subscription_id", "", "a non-empty subscription id");
        }
        let Some(kind) = EventKind::parse(&event_v) else {
            ledger.rejected += 1;
            return rej.push(
                line,
                "event",
                &event_v,
                "one of cancel_requested, canceled, paused, resumed, past_due, unpaid",
            );
        };
        let Some(date) = Date::parse(&date_v) else {
            ledger.rejected += 1;
            return rej.push(line, "effective_date", &date_v, EXPECT_DATE);
        };
        let Some(subs) = book.by_id.get(sub_v.as_ref()) else {
            ledger.excluded.unknown_subscription += 1;
            return;
        };
        ledger.used += 1;
        for &s in subs {
            book.subs[s].events.push(Event {
                origin: Origin {
                    file: self.file,
                    line,
                },
                kind,
                date,
            });
        }
    }
}

/// Reads subscription_events.csv (or .parquet) into the subscriptions of `book`.
fn read_events(
    path: &Path,
    file: u16,
    book: &mut Book,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
) -> Result<(), IoError> {
    let name = display_name(path);
    let ledger = &mut builder.ledger;
    let (rows, utf8) = each_file_row(
        path,
        &["subscription_id", "event", "effective_date"],
        &mut builder.notices,
        |cols| EventRows::new(cols, path, &name, file),
        |rows, line, rec| rows.row(line, rec, book, ledger),
    )?;
    rows.rej.finish(utf8, &mut builder.ledger, rejections);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// From charges to lines

/// A stretch of time at one price: an invoiced period, a merged run of them, or a bridge.
#[derive(Clone, Debug)]
struct Seg {
    start: Date,
    /// `None`: still running.
    end: Option<Date>,
    amount: Decimal,
    interval: u32,
    plan: String,
    quantity: u64,
    currency: String,
    origin: Origin,
    /// Start of the invoiced period it came from (before a proration moved it).
    invoiced: Date,
    /// Overlay priority: the highest covering segment is in force.
    rank: (u8, Date, u64),
    /// Its end is the day its invoice was refunded in full (`--full-refunds end-service`):
    /// the service ended then, so it never stays open past the as-of date.
    refunded: bool,
}

impl Seg {
    fn same_price(&self, o: &Seg) -> bool {
        same_value(self.amount, o.amount)
            && self.interval == o.interval
            && self.plan == o.plan
            && self.quantity == o.quantity
            && self.currency == o.currency
    }

    fn covers(&self, d: Date) -> bool {
        self.start <= d && self.end.is_none_or(|e| d < e)
    }
}

/// At every instant, the covering segment of highest rank; adjacent pieces of the same
/// segment, or at the same price, are joined.
fn overlay(mut segs: Vec<Seg>) -> Vec<Seg> {
    if segs.is_empty() {
        return segs;
    }
    let mut bounds: Vec<Date> = segs
        .iter()
        .flat_map(|s| std::iter::once(s.start).chain(s.end))
        .collect();
    bounds.sort();
    bounds.dedup();
    segs.sort_by_key(|s| s.start);
    let mut out: Vec<Seg> = Vec::new();
    let mut active: Vec<usize> = Vec::new();
    let mut next = 0;
    for (i, &b) in bounds.iter().enumerate() {
        while next < segs.len() && segs[next].start <= b {
            active.push(next);
            next += 1;
        }
        active.retain(|&k| segs[k].covers(b));
        let Some(&top) = active.iter().max_by_key(|&&k| segs[k].rank) else {
            continue;
        };
        let piece_end = bounds.get(i + 1).copied();
        let mut piece = segs[top].clone();
        piece.start = b;
        piece.end = match (piece_end, segs[top].end) {
            (Some(pe), _) => Some(pe),
            (None, e) => e,
        };
        push_merged(&mut out, piece);
    }
    out
}

/// Appends `piece`, joining it to the last one when contiguous at the same price.
fn push_merged(out: &mut Vec<Seg>, piece: Seg) {
    if let Some(last) = out.last_mut() {
        if last.end == Some(piece.start) && last.same_price(&piece) {
            last.end = piece.end;
            last.refunded = piece.refunded;
            return;
        }
    }
    out.push(piece);
}

/// Removes `[from, to)` (`to = None`: for good) from every segment.
fn cut(segs: Vec<Seg>, from: Date, to: Option<Date>) -> Vec<Seg> {
    let mut out = Vec::with_capacity(segs.len());
    for s in segs {
        let ends_before = s.end.is_some_and(|e| e <= from);
        let starts_after = to.is_some_and(|t| s.start >= t);
        if ends_before || starts_after {
            out.push(s);
            continue;
        }
        if s.start < from {
            let mut a = s.clone();
            a.end = Some(from);
            out.push(a);
        }
        if let Some(t) = to {
            if s.end.is_none_or(|e| e > t) {
                let mut b = s;
                b.start = t;
                out.push(b);
            }
        }
    }
    out
}

/// How a pause or delinquency ended.
#[derive(Clone, Copy, Debug)]
enum Close {
    Resumed(Date),
    Canceled(Date),
    Open,
}

/// One subscription's charges (grouped by product) turned into lines.
struct SubLines<'a> {
    policies: &'a InvoicePolicies,
    as_of: Option<Date>,
    /// Invoiced service periods per product: `(start, end)`.
    periods: Vec<Vec<(Date, Date)>>,
    /// Segments in force per product.
    segs: Vec<Vec<Seg>>,
    /// `--pauses zero`: the paused spans (revenue removed, customer not churned).
    paused: Vec<(Date, Option<Date>)>,
    /// `--pauses keep`: a pause with no end kept a price running for good.
    kept_open_pause: bool,
}

impl SubLines<'_> {
    /// End of the paid period of product `k` that holds `d` (`d` itself when none does).
    fn paid_until(&self, k: usize, d: Date) -> Date {
        self.periods[k]
            .iter()
            .filter(|(s, e)| *s <= d && d < *e)
            .map(|p| p.1)
            .max()
            .unwrap_or(d)
    }

    /// The first invoiced period start after `d` (a restart of the subscription).
    fn restart_after(&self, d: Date) -> Option<Date> {
        self.periods
            .iter()
            .flatten()
            .map(|p| p.0)
            .filter(|s| *s > d)
            .min()
    }

    fn remove_all(&mut self, from: Date, to: Option<Date>) {
        for k in 0..self.segs.len() {
            self.remove(k, from, to);
        }
    }

    fn remove(&mut self, k: usize, from: Date, to: Option<Date>) {
        if to.is_some_and(|t| t <= from) {
            return;
        }
        let segs = std::mem::take(&mut self.segs[k]);
        self.segs[k] = cut(segs, from, to);
    }

    /// Where an unresolved state ends: at recovery, at the restart after a cancellation, or
    /// never.
    fn state_end(&self, close: Close) -> Option<Date> {
        match close {
            Close::Resumed(r) => Some(r),
            Close::Canceled(c) => self.restart_after(c),
            Close::Open => None,
        }
    }

    /// Applies the subscription's events under the policies.
    fn apply_events(&mut self, events: &mut [Event]) {
        events.sort_by_key(|e| (e.date, e.origin.line));
        let mut request: Option<Date> = None;
        let mut pause: Option<(Date, Origin)> = None;
        let mut delinquent: Option<Date> = None;
        let mut cancels: Vec<(Option<Date>, Date)> = Vec::new();
        let mut pauses: Vec<(Date, Origin, Close)> = Vec::new();
        let mut delinquencies: Vec<(Date, Close)> = Vec::new();
        for e in events.iter() {
            match e.kind {
                EventKind::CancelRequested => {
                    request.get_or_insert(e.date);
                }
                EventKind::Canceled => {
                    cancels.push((request.take(), e.date));
                    if let Some((p, o)) = pause.take() {
                        pauses.push((p, o, Close::Canceled(e.date)));
                    }
                    if let Some(d) = delinquent.take() {
                        delinquencies.push((d, Close::Canceled(e.date)));
                    }
                }
                EventKind::Paused => {
                    pause.get_or_insert((e.date, e.origin));
                }
                EventKind::Resumed => {
                    if let Some((p, o)) = pause.take() {
                        pauses.push((p, o, Close::Resumed(e.date)));
                    }
                    if let Some(d) = delinquent.take() {
                        delinquencies.push((d, Close::Resumed(e.date)));
                    }
                }
                EventKind::PastDue | EventKind::Unpaid => {
                    delinquent.get_or_insert(e.date);
                }
            }
        }
        if let Some((p, o)) = pause {
            pauses.push((p, o, Close::Open));
        }
        if let Some(d) = delinquent {
            delinquencies.push((d, Close::Open));
        }

        // Pauses kept in MRR: the price in force the day before the pause runs on until the
        // subscription resumes, filling the time it was not invoiced.
        if self.policies.pauses == Pauses::Keep {
            for &(p, origin, close) in &pauses {
                let until = match close {
                    Close::Resumed(r) | Close::Canceled(r) => Some(r),
                    Close::Open => None,
                };
                self.kept_open_pause |= until.is_none();
                for k in 0..self.segs.len() {
                    let before = p.add_days(-1);
                    let Some(prev) = self.segs[k]
                        .iter()
                        .find(|s| s.covers(before) && !s.refunded)
                    else {
                        continue;
                    };
                    let Some(from) = prev.end else { continue };
                    if until.is_some_and(|u| u <= from) {
                        continue;
                    }
                    let mut bridge = prev.clone();
                    bridge.start = from;
                    bridge.end = until;
                    bridge.origin = origin;
                    bridge.rank = (0, from, origin.line);
                    let mut all = std::mem::take(&mut self.segs[k]);
                    all.push(bridge);
                    self.segs[k] = overlay(all);
                }
            }
        }

        // Cancellations.
        let rule = self.policies.churn_recognition;
        for &(q, c) in &cancels {
            let restart = self.restart_after(c);
            for k in 0..self.segs.len() {
                let from = match rule {
                    ChurnRecognition::AtPeriodEnd => self.paid_until(k, c),
                    ChurnRecognition::AtCancellation => c,
                    ChurnRecognition::AtRequest => q.unwrap_or(c),
                };
                self.remove(k, from, restart);
            }
        }
        // A request never followed by a cancellation: withdrawn if the subscription renewed
        // after the paid period it fell in, else it ends the subscription.
        if let Some(q) = request {
            let ends: Vec<Date> = (0..self.segs.len())
                .map(|k| self.paid_until(k, q))
                .collect();
            let last = ends.iter().copied().max().unwrap_or(q);
            let renewed = self.periods.iter().flatten().any(|p| p.0 >= last);
            if !renewed {
                for (k, &e) in ends.iter().enumerate() {
                    let from = match rule {
                        ChurnRecognition::AtRequest => q,
                        _ => e,
                    };
                    self.remove(k, from, None);
                }
            }
        }

        // Pauses as churn, or as paused revenue at 0 (`zero`: the span is also marked, so
        // the engine reports paused and resumed instead of churn and reactivation).
        // Under `zero`, a pause that ends in a cancellation was churn from its first day: the
        // revenue stopped then and never came back, so it is not marked as a pause (the month
        // it began shows churn, and the bridge and the frozen cohort agree).
        if matches!(self.policies.pauses, Pauses::Churn | Pauses::Zero) {
            for &(p, _, close) in &pauses {
                let to = self.state_end(close);
                self.remove_all(p, to);
                let ended_in_cancellation = matches!(close, Close::Canceled(_));
                if self.policies.pauses == Pauses::Zero && !ended_in_cancellation {
                    self.paused.push((p, to));
                }
            }
        }

        // Delinquency.
        for &(d, close) in &delinquencies {
            let to = self.state_end(close);
            let from = match self.policies.past_due {
                PastDue::Keep => continue,
                PastDue::Churn => d,
                PastDue::KeepDays(n) => {
                    let grace_end = d.add_days(n as i32);
                    let recovered_in_time = match close {
                        Close::Resumed(r) => r <= grace_end,
                        // Cancelled within its grace: the cancellation rule decides.
                        Close::Canceled(c) => c <= grace_end,
                        Close::Open => false,
                    };
                    // Still within its grace at the data's as-of date: not churned yet.
                    let undecided =
                        matches!(close, Close::Open) && self.as_of.is_some_and(|a| grace_end > a);
                    if recovered_in_time || undecided {
                        continue;
                    }
                    grace_end
                }
            };
            self.remove_all(from, to);
        }
    }
}

/// Turns the charges of `book` into the builder's lines.
/// Returns the charges whose amount is too large to compute exactly: origin and net amount.
pub(crate) fn build_lines(
    book: &mut Book,
    policies: &InvoicePolicies,
    builder: &mut DatasetBuilder,
) -> Vec<(Origin, Decimal)> {
    let mut failed = Vec::new();
    let mut kept_open: Vec<String> = Vec::new();
    // Charges per subscription, in input order.
    let mut by_sub: Vec<Vec<usize>> = vec![Vec::new(); book.subs.len()];
    for (i, ch) in book.charges.iter().enumerate() {
        by_sub[ch.sub].push(i);
    }
    for (s, idx) in by_sub.iter().enumerate() {
        let mut events = std::mem::take(&mut book.subs[s].events);
        if idx.is_empty() {
            continue;
        }
        let charges: Vec<&Charge> = idx.iter().map(|&i| &book.charges[i]).collect();
        let SubscriptionLines {
            lines,
            paused,
            kept_open_pause,
        } = sub_lines(&charges, &mut events, book.as_of, policies, &mut failed);
        if kept_open_pause {
            kept_open.push(book.subs[s].id.clone());
        }
        let customer = &book.subs[s].customer;
        for (start, end) in paused {
            builder.push_pause(customer, start, end);
        }
        for (product, segs) in lines {
            for seg in segs {
                builder.push_line_detail(
                    LineInput {
                        customer,
                        currency: &seg.currency,
                        amount: seg.amount,
                        interval: seg.interval,
                        start: seg.start,
                        end: seg.end,
                        origin: seg.origin,
                    },
                    LineDetail {
                        product: &product,
                        plan: &seg.plan,
                        quantity: seg.quantity,
                    },
                );
            }
        }
    }
    if !kept_open.is_empty() {
        const SHOWN: usize = 10;
        let more = kept_open.len().saturating_sub(SHOWN);
        builder.notices.push(format!(
            "{} subscription(s) are paused with no resume date, and under --pauses keep their \
             price runs on for good: {}{}",
            kept_open.len(),
            kept_open[..kept_open.len().min(SHOWN)].join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    failed
}

/// A segment for a charge at `(amount, interval)`, ending when its service ends.
fn seg_of(ch: &Charge, start: Date, amount: Decimal, interval: u32, origin: Origin) -> Seg {
    Seg {
        start,
        end: Some(ch.served_end()),
        amount,
        interval,
        plan: ch.plan.clone(),
        quantity: ch.quantity,
        currency: ch.currency.clone(),
        origin,
        invoiced: ch.start,
        rank: (1, start, origin.line),
        refunded: ch.served_end() < ch.end,
    }
}

/// A positive proration scaled to its full period: `net x full days / its days`, rounded
/// half-even to the proration's decimal places, over the full period's months. Without a
/// full period, 365 / 12 days make a month.
fn scaled(ch: &Charge, full: Option<(Date, Date)>) -> Option<(Decimal, u32)> {
    let part = i128::from(ch.end.days() - ch.start.days());
    let up = 10i128.checked_pow(ch.places.checked_sub(ch.net.decimals)?)?;
    let m = i128::from(ch.net.mantissa).checked_mul(up)?;
    let (num, den, len) = match full {
        Some((fs, fe)) => (i128::from(fe.days() - fs.days()), part, length(fs, fe)),
        None => match length(ch.start, ch.end) {
            // A whole number of months or weeks is its own full period.
            len @ (Length::Months(_) | Length::Weeks(_)) => (1, 1, len),
            Length::Days(_) => (365, 12 * part, Length::Months(1)),
        },
    };
    let v = div_round_half_even(m.checked_mul(num)?, den);
    let amount = Decimal {
        mantissa: i64::try_from(v).ok()?,
        decimals: ch.places,
    };
    per_interval(amount, len)
}

/// One subscription's lines per product, and its paused spans (`--pauses zero`).
/// One subscription's lines per product, its paused spans (`--pauses zero`), and whether a
/// pause with no end kept its price running (`--pauses keep`).
struct SubscriptionLines {
    lines: Vec<(String, Vec<Seg>)>,
    paused: Vec<(Date, Option<Date>)>,
    kept_open_pause: bool,
}

/// The lines of one subscription, per product.
fn sub_lines(
    charges: &[&Charge],
    events: &mut [Event],
    as_of: Option<Date>,
    policies: &InvoicePolicies,
    failed: &mut Vec<(Origin, Decimal)>,
) -> SubscriptionLines {
    let mut products: Vec<String> = Vec::new();
    let key_of = |p: &str, products: &mut Vec<String>| match products.iter().position(|x| x == p) {
        Some(k) => k,
        None => {
            products.push(p.to_string());
            products.len() - 1
        }
    };
    let keys: Vec<usize> = charges
        .iter()
        .map(|c| key_of(&c.product, &mut products))
        .collect();
    let n = products.len();
    let mut periods: Vec<Vec<(Date, Date)>> = vec![Vec::new(); n];
    // Regular periods per product: for scaling prorations and for "paid until".
    let mut regular: Vec<Vec<(Date, Date)>> = vec![Vec::new(); n];
    for (ch, &k) in charges.iter().zip(&keys) {
        // A period refunded in full was paid until the refund (`--full-refunds end-service`).
        if (!ch.proration || !ch.net.is_negative()) && ch.served_end() > ch.start {
            periods[k].push((ch.start, ch.served_end()));
        }
        if !ch.proration {
            regular[k].push((ch.start, ch.end));
        }
    }

    // Positive prorations: the latest one matching the regular line that starts where it
    // ends moves that line's start; the others are scaled to their full period.
    let mut start_of: Vec<Option<(Date, Origin)>> = vec![None; charges.len()];
    let mut matched = vec![false; charges.len()];
    // Positive prorations by (product, end day): one look-up a regular charge, not a scan of
    // every charge (a subscription can have thousands of periods).
    let mut by_end: HashMap<(usize, Date), Vec<usize>> = HashMap::new();
    for (j, p) in charges.iter().enumerate() {
        if p.proration && !p.net.is_negative() {
            by_end.entry((keys[j], p.end)).or_default().push(j);
        }
    }
    for (i, ch) in charges.iter().enumerate() {
        if ch.proration {
            continue;
        }
        let best = by_end
            .get(&(keys[i], ch.start))
            .into_iter()
            .flatten()
            .map(|&j| (j, charges[j]))
            .filter(|(_, p)| {
                p.plan == ch.plan && p.quantity == ch.quantity && p.currency == ch.currency
            })
            .max_by_key(|(j, p)| (p.start, p.origin.line, *j));
        if let Some((j, p)) = best {
            start_of[i] = Some((p.start, p.origin));
            matched[j] = true;
        }
    }

    let mut segs: Vec<Vec<Seg>> = vec![Vec::new(); n];
    for (i, ch) in charges.iter().enumerate() {
        let k = keys[i];
        if ch.proration {
            if ch.net.is_negative() || matched[i] {
                continue;
            }
            let holds = |p: &&(Date, Date)| p.0 <= ch.start && ch.start < p.1;
            let full = regular[k]
                .iter()
                .filter(holds)
                .chain(regular.iter().flatten().filter(holds))
                .copied()
                .next();
            match scaled(ch, full) {
                Some((amount, interval)) if amount.mantissa > 0 => {
                    segs[k].push(seg_of(ch, ch.start, amount, interval, ch.origin));
                }
                Some(_) => {}
                None => failed.push((ch.origin, ch.net)),
            }
            continue;
        }
        let rate = ch
            .rate
            .or_else(|| per_interval(ch.net, length(ch.start, ch.end)));
        let Some((amount, interval)) = rate else {
            failed.push((ch.origin, ch.net));
            continue;
        };
        let (start, origin) = start_of[i].unwrap_or((ch.start, ch.origin));
        segs[k].push(seg_of(ch, start, amount, interval, origin));
    }
    // Negative prorations (credit for unused time) end the line they credit.
    for (i, ch) in charges.iter().enumerate() {
        if !(ch.proration && ch.net.is_negative()) {
            continue;
        }
        for s in &mut segs[keys[i]] {
            // Only a line invoiced before the credit's start and running past it (not the new
            // price that starts on the same day).
            if s.invoiced < ch.start && s.end.is_some_and(|e| ch.start < e) {
                s.end = Some(ch.start);
            }
        }
    }
    let segs: Vec<Vec<Seg>> = segs.into_iter().map(overlay).collect();

    let mut sl = SubLines {
        policies,
        as_of,
        periods,
        segs,
        paused: Vec::new(),
        kept_open_pause: false,
    };
    // Still running at the as-of date: the periods that end last stay open (not those whose
    // service a full refund ended).
    if let Some(a) = as_of {
        let last = sl
            .segs
            .iter()
            .flatten()
            .filter(|s| !s.refunded)
            .filter_map(|s| s.end)
            .max();
        if let Some(l) = last.filter(|l| *l > a) {
            for s in sl.segs.iter_mut().flatten() {
                if s.end == Some(l) && !s.refunded {
                    s.end = None;
                }
            }
        }
    }
    sl.apply_events(events);
    let paused = std::mem::take(&mut sl.paused);
    let kept_open_pause = sl.kept_open_pause;
    let lines = products
        .into_iter()
        .zip(sl.segs)
        .map(|(p, segs)| {
            let mut merged: Vec<Seg> = Vec::new();
            for s in segs {
                if s.end.is_some_and(|e| e <= s.start) {
                    continue;
                }
                push_merged(&mut merged, s);
            }
            (p, merged)
        })
        .collect();
    SubscriptionLines {
        lines,
        paused,
        kept_open_pause,
    }
}

// ---------------------------------------------------------------------------------------------
// Entry point

/// The files of an invoices data directory.
#[derive(Clone, Debug)]
pub(crate) struct InvoiceFiles {
    pub(crate) invoices: PathBuf,
    pub(crate) events: Option<PathBuf>,
}

impl InvoiceFiles {
    /// The files in reading order (the builder's file indices).
    pub(crate) fn paths(&self) -> Vec<PathBuf> {
        std::iter::once(self.invoices.clone())
            .chain(self.events.clone())
            .collect()
    }
}

/// Reads invoices.csv (and subscription_events.csv), or their Parquet twins, into the
/// builder: every row used, excluded with a reason, or rejected.
pub(crate) fn read(
    files: &InvoiceFiles,
    opts: &LoadOptions,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
) -> Result<(), IoError> {
    let policies = &opts.invoice_policies;
    check_for_invoices(policies)?;
    let mut book = Book {
        usage_asked: opts.usage,
        ..Book::for_policies(policies)
    };
    let inv_name = display_name(&files.invoices);
    let inv_file = builder.add_file(&inv_name);
    let mut rej = Vec::new();
    read_invoices(
        &files.invoices,
        inv_file,
        policies,
        &mut book,
        builder,
        &mut rej,
    )?;
    Progress::advance(
        opts.progress.as_ref(),
        std::fs::metadata(&files.invoices).map_or(0, |m| m.len()),
    );
    if let Some(ev) = &files.events {
        let ev_file = builder.add_file(&display_name(ev));
        read_events(ev, ev_file, &mut book, builder, &mut rej)?;
    }
    settle(book, &inv_name, opts, builder, rej, rejections)
}

/// [`read`] for rows already read (a database query): the invoice rows and, optionally, the
/// subscription event rows, under the same rules and policies. Rejections name each table's
/// `name` and its row number (1 = the first row).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn read_tables<R: Fields>(
    invoices: &Table<'_, R>,
    events: Option<&Table<'_, R>>,
    opts: &LoadOptions,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
) -> Result<(), IoError> {
    let policies = &opts.invoice_policies;
    check_for_invoices(policies)?;
    let mut book = Book {
        usage_asked: opts.usage,
        ..Book::for_policies(policies)
    };
    let mut rej = Vec::new();
    let inv_file = builder.add_file(invoices.name);
    let path = Path::new(invoices.name);
    let mut rows = InvoiceRows::new(invoices.cols, path, invoices.name, inv_file, policies)?;
    for (i, r) in invoices.rows.iter().enumerate() {
        rows.row(i as u64 + 1, r, &mut book, &mut builder.ledger);
    }
    rows.rej.finish(Vec::new(), &mut builder.ledger, &mut rej);
    if let Some(ev) = events {
        let ev_file = builder.add_file(ev.name);
        let mut rows = EventRows::new(ev.cols, Path::new(ev.name), ev.name, ev_file)?;
        for (i, r) in ev.rows.iter().enumerate() {
            rows.row(i as u64 + 1, r, &mut book, &mut builder.ledger);
        }
        rows.rej.finish(Vec::new(), &mut builder.ledger, &mut rej);
    }
    settle(book, invoices.name, opts, builder, rej, rejections)
}

/// The notices of `--full-refunds end-service` for invoices.csv: the invoices whose service a
/// full refund ended, and the credit and refund lines that could end nothing.
fn refund_notices(r: &Resolved, ended: &[String], notices: &mut Vec<String>) {
    if !ended.is_empty() {
        notices.push(format!(
            "--full-refunds end-service: {} invoice(s) refunded in full end the service of \
             their subscription lines on the day of the refund or credit: {}",
            ended.len(),
            listed(ended)
        ));
    }
    let cases = [
        (
            &r.no_invoice,
            "name no invoice (reference_invoice_id is empty)",
        ),
        (
            &r.unknown,
            "name an invoice that has no line of its own in the data",
        ),
        (
            &r.not_comparable,
            "are in another currency than the invoice they name (or it is in several)",
        ),
    ];
    for (items, why) in cases {
        if !items.is_empty() {
            notices.push(format!(
                "{} credit or refund line(s) {why}, so under --full-refunds end-service they \
                 end no service: {}",
                items.len(),
                listed(items)
            ));
        }
    }
}

/// What both entry points end with: turns the book into lines and hands the rejections over
/// (invoice rows first, by line).
fn settle(
    mut book: Book,
    inv_name: &str,
    opts: &LoadOptions,
    builder: &mut DatasetBuilder,
    mut rej: Vec<Rejection>,
    rejections: &mut Vec<Rejection>,
) -> Result<(), IoError> {
    let policies = &opts.invoice_policies;
    builder.ledger.used += book.charges.len() as u64;
    book.push_usage(builder);
    // The data's as-of date is said in the report; one given (`--as-of`) wins.
    if let Some(d) = book.as_of {
        builder.as_of = Some((d, "the latest invoice_date or event date".to_string()));
    }
    if opts.as_of.is_some() {
        book.as_of = opts.as_of;
    }
    if let Some((r, ended)) = book.apply_full_refunds() {
        refund_notices(&r, &ended, &mut builder.notices);
    }
    for (o, net) in build_lines(&mut book, policies, builder) {
        builder.ledger.used -= 1;
        builder.ledger.rejected += 1;
        rej.push(Rejection {
            file: inv_name.to_string(),
            line: o.line,
            column: "amount".into(),
            value: dec_str(net),
            expected: "a net amount small enough to spread over its service period exactly".into(),
        });
    }
    rej.sort_by_key(|r| (r.file != inv_name, r.line));
    rejections.extend(rej);
    Ok(())
}

/// Usage errors: a policy the invoices reader cannot apply.
fn check_for_invoices(policies: &InvoicePolicies) -> Result<(), IoError> {
    if policies.discounts == Discounts::ForeverOnly {
        return Err(IoError::BadOption {
            option: "--discounts forever-only".into(),
            reason: "invoices.csv does not say how long a discount lasts, so which \
                     discounts are forever cannot be decided from invoices alone; use \
                     `all` (the default) or `none`"
                .into(),
        });
    }
    Ok(())
}

/// Usage errors: a lifecycle policy other than its default for an input it does not apply to.
pub(crate) fn check_for_lines(policies: &InvoicePolicies, input: &str) -> Result<(), IoError> {
    match policies.first_not_default() {
        None => Ok(()),
        Some((policy, value, default)) => Err(IoError::BadOption {
            option: format!("--{policy} {value}"),
            reason: format!(
                "applies to invoices.csv only; the revenue input here is {input}, which \
                 accepts only the default ({default})"
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn whole_months_follow_the_anchor_day_clamped_at_month_end() {
        assert_eq!(length(d("2024-01-01"), d("2024-02-01")), Length::Months(1));
        assert_eq!(length(d("2024-01-15"), d("2024-04-15")), Length::Months(3));
        assert_eq!(length(d("2024-01-01"), d("2025-01-01")), Length::Months(12));
        assert_eq!(length(d("2024-01-31"), d("2024-02-29")), Length::Months(1));
        assert_eq!(length(d("2024-02-29"), d("2024-03-31")), Length::Months(1));
        assert_eq!(length(d("2024-02-29"), d("2024-03-30")), Length::Months(1));
        assert_eq!(length(d("2024-02-29"), d("2025-02-28")), Length::Months(12));
        assert_eq!(length(d("2024-01-30"), d("2024-02-29")), Length::Months(1));
        assert_eq!(length(d("2024-01-15"), d("2024-02-14")), Length::Days(30));
        assert_eq!(length(d("2024-01-01"), d("2024-01-15")), Length::Weeks(2));
        assert_eq!(length(d("2024-01-01"), d("2024-01-11")), Length::Days(10));
    }

    #[test]
    fn weekly_and_daily_periods_are_exact_fractions() {
        let net = Decimal::parse("70.00", 6).unwrap();
        // 70 x 52 / 12 = 70 x 13 / 3.
        assert_eq!(
            per_interval(net, Length::Weeks(1)),
            Some((Decimal::parse("910.00", 6).unwrap(), 3))
        );
        // 10 days: x 365 / 120 = x 73 / 24.
        assert_eq!(
            per_interval(net, Length::Days(10)),
            Some((Decimal::parse("5110.00", 6).unwrap(), 24))
        );
    }

    #[test]
    fn a_later_segment_wins_and_the_earlier_resumes_after_it() {
        let o = Origin { file: 0, line: 2 };
        let seg = |s: &str, e: &str, amt: &str, line: u64| Seg {
            start: d(s),
            end: Some(d(e)),
            amount: Decimal::parse(amt, 6).unwrap(),
            interval: 1,
            plan: String::new(),
            quantity: 1,
            currency: String::new(),
            origin: Origin { line, ..o },
            invoiced: d(s),
            rank: (1, d(s), line),
            refunded: false,
        };
        let out = overlay(vec![
            seg("2024-01-10", "2024-03-01", "500", 2),
            seg("2024-01-15", "2024-02-01", "300", 3),
        ]);
        let got: Vec<(String, String, i64)> = out
            .iter()
            .map(|s| {
                (
                    s.start.to_string(),
                    s.end.unwrap().to_string(),
                    s.amount.mantissa,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("2024-01-10".into(), "2024-01-15".into(), 500),
                ("2024-01-15".into(), "2024-02-01".into(), 300),
                ("2024-02-01".into(), "2024-03-01".into(), 500),
            ]
        );
    }

    #[test]
    fn decimals_print_as_written() {
        for s in ["12.50", "-0.05", "7", "0.000001", "-100.00"] {
            assert_eq!(dec_str(Decimal::parse(s, 6).unwrap()), s);
        }
    }

    /// An annual line of 1,200.00 for 2024, refunded in full on `refunded` (if any).
    fn annual(refunded: Option<&str>) -> Charge {
        Charge {
            origin: Origin { file: 0, line: 2 },
            sub: 0,
            product: "platform".into(),
            plan: "annual".into(),
            quantity: 1,
            currency: "USD".into(),
            net: Decimal::parse("1200.00", 6).unwrap(),
            places: 2,
            start: d("2024-01-01"),
            end: d("2025-01-01"),
            proration: false,
            rate: None,
            invoice: Some(0),
            refunded: refunded.map(d),
        }
    }

    /// `(start, end, amount, interval)` of each line of a one-charge subscription.
    fn lines_of(
        ch: &Charge,
        events: &mut [Event],
        as_of: &str,
    ) -> Vec<(Date, Option<Date>, Decimal, u32)> {
        let policies = InvoicePolicies {
            full_refunds: FullRefunds::EndService,
            ..InvoicePolicies::default()
        };
        let out = sub_lines(&[ch], events, Some(d(as_of)), &policies, &mut Vec::new());
        out.lines
            .into_iter()
            .flat_map(|(_, segs)| segs)
            .map(|s| (s.start, s.end, s.amount, s.interval))
            .collect()
    }

    #[test]
    fn a_line_refunded_in_full_stops_on_the_refund_day_at_its_own_rate() {
        let year = Decimal::parse("1200.00", 6).unwrap();
        // Not refunded: the year runs past the as-of date, so it stays open.
        assert_eq!(
            lines_of(&annual(None), &mut [], "2024-03-10"),
            [(d("2024-01-01"), None, year, 12)]
        );
        // Refunded on 2024-03-10: it stops then, at 1,200 over 12 months (the rate of the
        // whole period), and never stays open, even with the as-of date before the refund (a
        // Stripe credit note does not move it).
        for as_of in ["2024-03-10", "2024-02-01"] {
            assert_eq!(
                lines_of(&annual(Some("2024-03-10")), &mut [], as_of),
                [(d("2024-01-01"), Some(d("2024-03-10")), year, 12)],
                "{as_of}"
            );
        }
        // A cancellation that day, at period end: the period was paid until the refund, so
        // nothing runs on to 2025-01-01.
        let mut cancel = [Event {
            origin: Origin { file: 1, line: 2 },
            kind: EventKind::Canceled,
            date: d("2024-03-10"),
        }];
        assert_eq!(
            lines_of(&annual(Some("2024-03-10")), &mut cancel, "2024-03-10"),
            [(d("2024-01-01"), Some(d("2024-03-10")), year, 12)]
        );
        // Refunded before its service began: it never counts.
        assert!(lines_of(&annual(Some("2023-12-20")), &mut [], "2023-12-20").is_empty());
    }

    #[test]
    fn past_due_policies_parse() {
        assert_eq!(PastDue::parse("keep:30"), Some(PastDue::KeepDays(30)));
        assert_eq!(PastDue::parse("keep"), Some(PastDue::Keep));
        assert_eq!(PastDue::parse("churn"), Some(PastDue::Churn));
        assert_eq!(PastDue::parse("keep:x"), None);
        assert_eq!(PastDue::parse("keep:-1"), None);
        assert_eq!(PastDue::default().name(), "keep:30");
    }
}
