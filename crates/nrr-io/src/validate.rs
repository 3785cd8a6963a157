//! The validator of items and mrr rows: each row is used (a line), excluded with a counted
//! reason, or rejected with its column, value and expectation.

use crate::error::{
    Rejection,
    RejectionKind::{self, *},
};
use crate::rows::{
    expect_decimal, is_currency_code, Fields, ItemCols, Layout, MrrCols, EXPECT_AMOUNT, EXPECT_CCY,
    EXPECT_DATE,
};
use nrr_core::dataset::{DatasetBuilder, LineDetail, LineInput, Origin};
use nrr_core::date::{Date, Month};
use nrr_core::money::{Decimal, MAX_AMOUNT_DECIMALS};
use nrr_core::report::Reason;
use std::borrow::Cow;

/// Validates the items or mrr rows of one input and routes each to used (a line in the
/// builder), excluded (counted by reason) or rejected.
pub(crate) struct LineValidator<'a> {
    pub(crate) builder: &'a mut DatasetBuilder,
    pub(crate) rejections: &'a mut Vec<Rejection>,
    pub(crate) file: u16,
    pub(crate) name: String,
    pub(crate) layout: Layout,
}

/// `unit x quantity` exactly (the unit's decimal places kept); `None` beyond 18 digits.
fn unit_times_quantity(unit: Decimal, quantity: u64) -> Option<Decimal> {
    let q = i64::try_from(quantity).ok()?;
    Some(Decimal {
        mantissa: unit.mantissa.checked_mul(q)?,
        decimals: unit.decimals,
    })
}

/// `true` when two decimals are the same number (`120` and `120.00`).
fn same_value(a: Decimal, b: Decimal) -> bool {
    let scaled = |d: Decimal, to: u32| i128::from(d.mantissa) * 10i128.pow(to - d.decimals);
    let to = a.decimals.max(b.decimals);
    scaled(a, to) == scaled(b, to)
}

/// A decimal as written with its places (`4000`, 2 places: `40.00`).
fn dec_text(d: Decimal) -> String {
    nrr_core::money::format_scaled(i128::from(d.mantissa), d.decimals)
}

impl LineValidator<'_> {
    fn reject(
        &mut self,
        line: u64,
        column: &str,
        value: &str,
        kind: RejectionKind,
        expected: impl Into<String>,
    ) {
        self.builder.ledger.rejected += 1;
        self.rejections.push(Rejection {
            file: self.name.clone(),
            line,
            column: column.to_string(),
            value: value.to_string(),
            expected: expected.into(),
            kind,
        });
    }

    /// The row's customer id, or `None` after rejecting an empty one.
    fn customer_of<'r, R: Fields + ?Sized>(
        &mut self,
        line: u64,
        rec: &'r R,
        col: usize,
    ) -> Option<Cow<'r, str>> {
        let v = rec.text(col);
        if v.is_empty() {
            self.reject(
                line,
                "customer_id",
                "",
                MissingValue,
                "a non-empty customer id",
            );
            return None;
        }
        Some(v)
    }

    /// The row's currency (empty: the reporting currency), or `None` after rejecting a
    /// malformed code.
    fn currency_of<'r, R: Fields + ?Sized>(
        &mut self,
        line: u64,
        rec: &'r R,
        col: Option<usize>,
    ) -> Option<Cow<'r, str>> {
        let v = col.map_or(Cow::Borrowed(""), |i| rec.text(i));
        if !v.is_empty() && !is_currency_code(&v) {
            self.reject(line, "currency", &v, BadCurrency, EXPECT_CCY);
            return None;
        }
        Some(v)
    }

    /// Handles one data row; `rec` holds the fields in header order.
    pub(crate) fn row<R: Fields + ?Sized>(&mut self, line: u64, rec: &R) {
        self.builder.ledger.read += 1;
        let origin = Origin {
            file: self.file,
            line,
        };
        match self.layout {
            Layout::Items(cols) => self.item_row(origin, rec, cols),
            Layout::Mrr(cols) => self.mrr_row(origin, rec, cols),
        }
    }

    /// An items row: a recurring line, an exclusion (one-time, zero amount, zero length) or
    /// a rejection.
    fn item_row<R: Fields + ?Sized>(&mut self, origin: Origin, rec: &R, c: ItemCols) {
        let line = origin.line;
        let Some(customer_v) = self.customer_of(line, rec, c.customer) else {
            return;
        };
        let kind_v = c.kind.map_or(Cow::Borrowed(""), |i| rec.text(i));
        let one_time = match kind_v.as_ref() {
            "" | "recurring" => false,
            "one_time" => true,
            v => {
                return self.reject(
                    line,
                    "kind",
                    v,
                    UnknownValue,
                    "`recurring`, `one_time` or empty (recurring)",
                )
            }
        };
        let Some((amount_d, quantity_n)) = self.item_amount(line, rec, c) else {
            return;
        };
        let Some(currency_v) = self.currency_of(line, rec, c.currency) else {
            return;
        };
        let Some((interval_n, start_d, end_d)) = self.item_period(line, rec, c) else {
            return;
        };
        let reason = if one_time {
            Some(Reason::OneTime)
        } else if amount_d.is_zero() {
            Some(Reason::ZeroAmount)
        } else if end_d == Some(start_d) {
            Some(Reason::ZeroLength)
        } else {
            None
        };
        if let Some(r) = reason {
            self.builder.ledger.exclude(r, &currency_v, amount_d);
        } else {
            self.builder.ledger.used += 1;
            let product_v = c.product.map_or(Cow::Borrowed(""), |i| rec.text(i));
            let plan_v = c.plan.map_or(Cow::Borrowed(""), |i| rec.text(i));
            self.builder.push_line_detail(
                LineInput {
                    customer: &customer_v,
                    currency: &currency_v,
                    amount: amount_d,
                    interval: interval_n,
                    start: start_d,
                    end: end_d,
                    origin,
                },
                LineDetail {
                    product: &product_v,
                    plan: &plan_v,
                    quantity: quantity_n,
                },
            );
        }
    }

    /// An items row's line total and quantity: `amount` as given, or `unit_amount` x
    /// `quantity`, which a given total must equal; `None` after rejecting the row.
    fn item_amount<R: Fields + ?Sized>(
        &mut self,
        line: u64,
        rec: &R,
        c: ItemCols,
    ) -> Option<(Decimal, u64)> {
        let given = |i: Option<usize>| i.filter(|&i| !rec.is_empty(i));
        // The line total as given, and the unit price (times quantity below).
        let mut amounts = [None, None];
        for (k, (col, name)) in [(c.amount, "amount"), (c.unit_amount, "unit_amount")]
            .into_iter()
            .enumerate()
        {
            let Some(i) = given(col) else { continue };
            let Some(d) = rec.decimal(i, MAX_AMOUNT_DECIMALS) else {
                let e = expect_decimal(&rec.decimal_text(i), MAX_AMOUNT_DECIMALS, EXPECT_AMOUNT);
                self.reject(line, name, &rec.text(i), e.kind, e.text);
                return None;
            };
            if d.is_negative() {
                let v = rec.text(i);
                self.reject(
                    line,
                    name,
                    &v,
                    NegativeAmount,
                    "an amount >= 0 (credits and refunds are not recurring revenue)",
                );
                return None;
            }
            amounts[k] = Some(d);
        }
        let [total_d, unit_d] = amounts;
        let Some(given_d) = total_d.or(unit_d) else {
            let expected = match c.unit_amount {
                Some(_) => "an amount (the line total) or a unit_amount",
                None => EXPECT_AMOUNT,
            };
            self.reject(line, "amount", "", MissingValue, expected);
            return None;
        };
        let mut quantity_n = 1;
        if let Some(q) = given(c.quantity) {
            let parsed = rec.uint(q);
            quantity_n = parsed.unwrap_or(1);
            if parsed.is_none() {
                let v = rec.text(q);
                self.reject(
                    line,
                    "quantity",
                    &v,
                    BadNumber,
                    "an integer >= 0, or empty (1)",
                );
                return None;
            }
        }
        let Some(unit) = unit_d else {
            return Some((given_d, quantity_n));
        };
        let Some(product) = unit_times_quantity(unit, quantity_n) else {
            let v = rec.text(c.unit_amount.unwrap_or_default());
            let e = format!(
                "a unit_amount whose product with quantity {quantity_n} has at most 18 digits"
            );
            self.reject(line, "unit_amount", &v, OutOfRange, e);
            return None;
        };
        if total_d.is_some_and(|t| !same_value(t, product)) {
            let v = rec.text(c.amount.unwrap_or_default());
            let e = format!(
                "unit_amount x quantity = {} x {quantity_n} = {} (or an empty amount)",
                dec_text(unit),
                dec_text(product)
            );
            self.reject(line, "amount", &v, InconsistentAmount, e);
            return None;
        }
        Some((product, quantity_n))
    }

    /// An items row's billing interval in months, start date and end date (`None`: still
    /// active); `None` after rejecting the row.
    fn item_period<R: Fields + ?Sized>(
        &mut self,
        line: u64,
        rec: &R,
        c: ItemCols,
    ) -> Option<(u32, Date, Option<Date>)> {
        let given = |i: Option<usize>| i.filter(|&i| !rec.is_empty(i));
        let interval_n = match given(c.interval) {
            None => 1,
            Some(i) => match rec.uint(i) {
                Some(n) if (1..=u64::from(u32::MAX)).contains(&n) => n as u32,
                _ => {
                    let v = rec.text(i);
                    let e = "an integer >= 1 (1 monthly, 3 quarterly, 12 annual), or empty (1)";
                    self.reject(line, "interval_months", &v, BadInterval, e);
                    return None;
                }
            },
        };
        let Some(start_d) = rec.date(c.start) else {
            let v = rec.text(c.start);
            self.reject(line, "start_date", &v, BadDate.or_missing(&v), EXPECT_DATE);
            return None;
        };
        let end_d = match given(c.end) {
            None => None,
            Some(i) => match rec.date(i) {
                Some(d) if d < start_d => {
                    let v = rec.text(i);
                    let e = format!("a date on or after start_date {start_d}, or empty");
                    self.reject(line, "end_date", &v, EndBeforeStart, e);
                    return None;
                }
                Some(d) => Some(d),
                None => {
                    let v = rec.text(i);
                    let e = "a calendar date YYYY-MM-DD that exists, or empty (still active)";
                    self.reject(line, "end_date", &v, BadDate, e);
                    return None;
                }
            },
        };
        Some((interval_n, start_d, end_d))
    }

    /// An mrr row: one month of MRR as a line of that month, excluded when zero.
    fn mrr_row<R: Fields + ?Sized>(&mut self, origin: Origin, rec: &R, c: MrrCols) {
        let line = origin.line;
        let Some(customer_v) = self.customer_of(line, rec, c.customer) else {
            return;
        };
        let month_v = rec.text(c.month);
        let Some(m) = Month::parse(&month_v) else {
            let kind = BadDate.or_missing(&month_v);
            return self.reject(line, "month", &month_v, kind, "a month YYYY-MM");
        };
        let Some(amount_d) = rec.decimal(c.mrr, MAX_AMOUNT_DECIMALS) else {
            let v = rec.text(c.mrr);
            let e = expect_decimal(&rec.decimal_text(c.mrr), MAX_AMOUNT_DECIMALS, EXPECT_AMOUNT);
            return self.reject(line, "mrr", &v, e.kind.or_missing(&v), e.text);
        };
        if amount_d.is_negative() {
            return self.reject(
                line,
                "mrr",
                &rec.text(c.mrr),
                NegativeAmount,
                "an amount >= 0",
            );
        }
        let Some(currency_v) = self.currency_of(line, rec, c.currency) else {
            return;
        };
        if amount_d.is_zero() {
            self.builder
                .ledger
                .exclude(Reason::ZeroAmount, &currency_v, amount_d);
            return;
        }
        self.builder.ledger.used += 1;
        self.builder.push_line(LineInput {
            customer: &customer_v,
            currency: &currency_v,
            amount: amount_d,
            interval: 1,
            start: m.first_day(),
            end: Some(m.plus(1).first_day()),
            origin,
        });
    }
}
