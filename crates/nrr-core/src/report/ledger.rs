//! The row ledger (every input row read, used, excluded or rejected) and the check of
//! revenue_movements against subscription_snapshots.

use super::*;
use crate::money::{trimmed_decimal, Decimal};

/// Where each input row went. Every row read is used, excluded with a reason, or rejected.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RowLedger {
    /// Data rows read (header rows are not counted).
    pub read: u64,
    /// Rows that entered the computation.
    pub used: u64,
    /// Rows left out on purpose, by reason.
    pub excluded: Excluded,
    /// The amounts those rows carry, by reason and currency (docs/cli.md#row-ledger); reasons
    /// without rows are omitted, and so is the key when no row was excluded.
    #[serde(skip_serializing_if = "ExcludedAmounts::is_empty")]
    pub excluded_amounts: ExcludedAmounts,
    /// Rows that failed validation.
    pub rejected: u64,
    /// With customer_map.csv: the used lines whose customer id it replaced (a line is a row of
    /// items.csv, mrr.csv or subscription_snapshots; for invoices and Stripe exports, one
    /// price spell of a subscription, built from one or more rows). Omitted without a map.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapped: Option<u64>,
}

/// Counts of rows excluded from MRR, by reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Excluded {
    /// `kind = one_time`: never recurring revenue.
    pub one_time: u64,
    /// `amount = 0`: a free line carries no MRR.
    pub zero_amount: u64,
    /// `end_date = start_date`: active for no instant at all.
    pub zero_length: u64,
    /// invoices.csv `tax` lines: tax is never revenue (omitted when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub tax: u64,
    /// invoices.csv `credit` lines and Stripe `credit_note` objects (credit notes): never a
    /// movement (omitted when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub credit: u64,
    /// invoices.csv `refund` lines and Stripe `refund` objects: never a movement (omitted
    /// when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub refund: u64,
    /// invoices.csv `usage` lines: metered charges are not recurring (omitted when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub usage: u64,
    /// subscription_events.csv rows about a subscription with no line in invoices.csv
    /// (omitted when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub unknown_subscription: u64,
    /// Stripe subscription items of a trial that has not converted (omitted when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub trial: u64,
    /// Stripe items and invoice lines of `incomplete` or `incomplete_expired` subscriptions,
    /// which never count (omitted when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub incomplete: u64,
    /// subscription_snapshots rows dated before the last snapshot of their account and month,
    /// which alone gives the month's MRR (omitted when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub superseded: u64,
    /// Stripe invoice lines of a `void` invoice: the bill was canceled, so it shows no
    /// service period (omitted when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub void_invoice: u64,
    /// Stripe subscription items of a subscription priced by its invoice lines, which count
    /// instead (omitted when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub priced_by_invoices: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Why a row was excluded: one variant per count of [`Excluded`], in the order of
/// [`Excluded::fields`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// [`Excluded::one_time`].
    OneTime,
    /// [`Excluded::zero_amount`].
    ZeroAmount,
    /// [`Excluded::zero_length`].
    ZeroLength,
    /// [`Excluded::tax`].
    Tax,
    /// [`Excluded::credit`].
    Credit,
    /// [`Excluded::refund`].
    Refund,
    /// [`Excluded::usage`].
    Usage,
    /// [`Excluded::unknown_subscription`].
    UnknownSubscription,
    /// [`Excluded::trial`].
    Trial,
    /// [`Excluded::incomplete`].
    Incomplete,
    /// [`Excluded::superseded`].
    Superseded,
    /// [`Excluded::void_invoice`].
    VoidInvoice,
    /// [`Excluded::priced_by_invoices`].
    PricedByInvoices,
}

impl Reason {
    /// Every reason, in the order of [`Excluded::fields`].
    pub const ALL: [Reason; 13] = [
        Reason::OneTime,
        Reason::ZeroAmount,
        Reason::ZeroLength,
        Reason::Tax,
        Reason::Credit,
        Reason::Refund,
        Reason::Usage,
        Reason::UnknownSubscription,
        Reason::Trial,
        Reason::Incomplete,
        Reason::Superseded,
        Reason::VoidInvoice,
        Reason::PricedByInvoices,
    ];

    /// The reason's JSON key (`one_time`, ...).
    pub fn key(self) -> &'static str {
        Excluded::default().fields()[self as usize].0
    }
}

/// The amounts of the excluded rows: per reason and currency, how many rows and the sum of
/// the amount each carries as written in its source, before any normalisation to a month
/// (items.csv `amount`, or `unit_amount` x `quantity`; mrr.csv and snapshots `mrr`;
/// invoices.csv `amount`; a Stripe line's or item's amount in major units). Exact: each sum
/// keeps the most decimal places of its amounts (at least 2).
///
/// A row that carries no amount (a subscription_events row, a metered Stripe item) is
/// counted in [`Excluded`] but not here, so a reason's rows here can be fewer than its count.
///
/// JSON: `{"one_time": [{"currency": "USD", "rows": 2, "amount": "120.00"}], ...}`, reasons in
/// the order of [`Excluded::fields`], currencies sorted; `amount` is `null` when the sum does
/// not fit in 38 digits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExcludedAmounts {
    /// Per reason (indexed by `Reason as usize`), sorted by currency.
    sums: [Vec<Sum>; 13],
}

/// One reason's rows in one currency and the sum of their amounts.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Sum {
    currency: String,
    rows: u64,
    /// The sum in units of `10^-places`; `None` once it overflowed.
    value: Option<i128>,
    places: u32,
}

impl Sum {
    /// Adds `rows` rows summing to `value` units of `10^-places`.
    fn add(&mut self, rows: u64, value: Option<i128>, places: u32) {
        self.rows += rows;
        let (a, b, p) = match places.cmp(&self.places) {
            std::cmp::Ordering::Greater => {
                (rescale(self.value, places - self.places), value, places)
            }
            _ => (
                self.value,
                rescale(value, self.places - places),
                self.places,
            ),
        };
        self.value = a.zip(b).and_then(|(a, b)| a.checked_add(b));
        self.places = p;
        // Without trailing zeros beyond 2 places, so equal sums are equal however their
        // amounts were typed (`12.5` in a CSV, `12.500000` in a Parquet decimal column).
        while let Some(v) = self.value.filter(|v| self.places > 2 && v % 10 == 0) {
            self.value = Some(v / 10);
            self.places -= 1;
        }
    }
}

/// `v` times `10^by`, `None` when it does not fit.
fn rescale(v: Option<i128>, by: u32) -> Option<i128> {
    v?.checked_mul(10i128.checked_pow(by)?)
}

/// One reason's excluded rows in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExcludedAmount {
    /// The currency the rows are in.
    pub currency: String,
    /// Rows that carry an amount.
    pub rows: u64,
    /// The sum of their amounts, exact, with at least 2 decimals; `None` when it does not
    /// fit.
    pub amount: Option<String>,
}

impl ExcludedAmounts {
    /// Records `rows` rows excluded for `reason` in `currency` whose amounts sum to `amount`.
    pub fn add(&mut self, reason: Reason, currency: &str, rows: u64, amount: Decimal) {
        self.add_sum(
            reason,
            currency,
            rows,
            Some(i128::from(amount.mantissa)),
            amount.decimals,
        );
    }

    /// Adds `rows` rows summing to `value` units of `10^-places`.
    fn add_sum(
        &mut self,
        reason: Reason,
        currency: &str,
        rows: u64,
        value: Option<i128>,
        places: u32,
    ) {
        let list = &mut self.sums[reason as usize];
        let i = match list.binary_search_by(|s| s.currency.as_str().cmp(currency)) {
            Ok(i) => i,
            Err(i) => {
                let empty = Sum {
                    currency: currency.to_string(),
                    rows: 0,
                    value: Some(0),
                    places: 2,
                };
                list.insert(i, empty);
                i
            }
        };
        list[i].add(rows, value, places);
    }

    /// Adds another set of amounts to this one.
    pub fn merge(&mut self, o: &ExcludedAmounts) {
        for r in Reason::ALL {
            for s in &o.sums[r as usize] {
                self.add_sum(r, &s.currency, s.rows, s.value, s.places);
            }
        }
    }

    /// Puts the amounts of rows that named no currency (`""`) in `code`, the reporting
    /// currency they are in.
    pub fn name_unnamed(&mut self, code: &str) {
        for r in Reason::ALL {
            let list = &mut self.sums[r as usize];
            if let Ok(i) = list.binary_search_by(|s| s.currency.as_str().cmp("")) {
                let s = list.remove(i);
                self.add_sum(r, code, s.rows, s.value, s.places);
            }
        }
    }

    /// `true` when no excluded row carries an amount.
    pub fn is_empty(&self) -> bool {
        self.sums.iter().all(Vec::is_empty)
    }

    /// A reason's rows and amounts, per currency (sorted); empty when none.
    pub fn of(&self, reason: Reason) -> Vec<ExcludedAmount> {
        self.sums[reason as usize]
            .iter()
            .map(|s| ExcludedAmount {
                currency: s.currency.clone(),
                rows: s.rows,
                amount: s.value.map(|v| trimmed_decimal(v, s.places)),
            })
            .collect()
    }

    /// A reason's amounts in one line, `7500.00 USD; -30.00 EUR` (`-` for a sum too large);
    /// `None` when no row of it carries an amount.
    pub fn line(&self, reason: Reason) -> Option<String> {
        let list = self.of(reason);
        let parts: Vec<String> = list
            .iter()
            .map(|a| format!("{} {}", a.amount.as_deref().unwrap_or("-"), a.currency))
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// How many of a reason's rows carry an amount, in every currency.
    pub fn rows(&self, reason: Reason) -> u64 {
        self.sums[reason as usize].iter().map(|s| s.rows).sum()
    }
}

impl Serialize for ExcludedAmounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let present: Vec<Reason> = Reason::ALL
            .into_iter()
            .filter(|r| !self.sums[*r as usize].is_empty())
            .collect();
        let mut m = s.serialize_map(Some(present.len()))?;
        for r in present {
            m.serialize_entry(r.key(), &self.of(r))?;
        }
        m.end()
    }
}

impl Excluded {
    /// Every reason (named as its JSON key) with its count, in field order.
    pub fn fields(&self) -> [(&'static str, u64); 13] {
        [
            ("one_time", self.one_time),
            ("zero_amount", self.zero_amount),
            ("zero_length", self.zero_length),
            ("tax", self.tax),
            ("credit", self.credit),
            ("refund", self.refund),
            ("usage", self.usage),
            ("unknown_subscription", self.unknown_subscription),
            ("trial", self.trial),
            ("incomplete", self.incomplete),
            ("superseded", self.superseded),
            ("void_invoice", self.void_invoice),
            ("priced_by_invoices", self.priced_by_invoices),
        ]
    }

    /// The counts of [`Excluded::fields`], in the same order, to update.
    fn counts_mut(&mut self) -> [&mut u64; 13] {
        [
            &mut self.one_time,
            &mut self.zero_amount,
            &mut self.zero_length,
            &mut self.tax,
            &mut self.credit,
            &mut self.refund,
            &mut self.usage,
            &mut self.unknown_subscription,
            &mut self.trial,
            &mut self.incomplete,
            &mut self.superseded,
            &mut self.void_invoice,
            &mut self.priced_by_invoices,
        ]
    }

    /// All excluded rows.
    pub fn total(&self) -> u64 {
        self.fields().iter().map(|(_, n)| n).sum()
    }
}

impl RowLedger {
    /// Adds another ledger's counts to this one.
    pub fn add(&mut self, o: &RowLedger) {
        self.read += o.read;
        self.used += o.used;
        for (count, (_, n)) in self
            .excluded
            .counts_mut()
            .into_iter()
            .zip(o.excluded.fields())
        {
            *count += n;
        }
        self.excluded_amounts.merge(&o.excluded_amounts);
        self.rejected += o.rejected;
        if let Some(m) = o.mapped {
            *self.mapped.get_or_insert(0) += m;
        }
    }

    /// Counts one row excluded for `reason`, with the amount it carries in `currency`.
    pub fn exclude(&mut self, reason: Reason, currency: &str, amount: Decimal) {
        self.exclude_rows(reason, 1, currency, amount);
    }

    /// Counts `rows` rows excluded for `reason`, whose amounts in `currency` sum to `amount`.
    pub fn exclude_rows(&mut self, reason: Reason, rows: u64, currency: &str, amount: Decimal) {
        *self.excluded.counts_mut()[reason as usize] += rows;
        self.excluded_amounts.add(reason, currency, rows, amount);
    }

    /// `true` when `read = used + excluded + rejected`.
    pub fn balances(&self) -> bool {
        self.read == self.used + self.excluded.total() + self.rejected
    }
}

/// revenue_movements checked against the movements subscription_snapshots imply
/// (docs/input.md): the JSON key `movement_check` of `nrr report` and `nrr check`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MovementCheck {
    /// Valid movement rows read.
    pub movements_read: u64,
    /// Account-months where the given movements and the snapshots agree on type and amount.
    pub agreeing: u64,
    /// Movement rows dated outside the months the snapshots span (not checked).
    pub outside_snapshots: u64,
    /// Accounts whose paid snapshots are in more than one currency: their movements cannot be
    /// compared in one currency and are not checked (sorted).
    pub several_currencies: Vec<String>,
    /// Movement rows of those accounts (not checked).
    pub not_checked_several_currencies: u64,
    /// Every account-month where they disagree, largest difference first.
    pub disagreements: Vec<MovementDisagreement>,
    /// The same check with the snapshot dates read the other way (`--snapshot-date`,
    /// docs/input.md#subscription_snapshots); omitted when no snapshot is dated on the 1st of
    /// a month, as both readings then give the same months.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_reading: Option<OtherReading>,
}

/// The movement check under the snapshot-date reading not used: how many account-months would
/// agree and disagree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OtherReading {
    /// The reading: `close` or `open`.
    pub snapshot_date: String,
    /// Account-months that would agree.
    pub agreeing: u64,
    /// Account-months that would disagree.
    pub disagreeing: u64,
}

/// One account-month where revenue_movements and the snapshots disagree. Amounts are signed
/// changes in MRR (contraction and churn negative), exact, with at least 2 decimals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MovementDisagreement {
    /// The account.
    pub account_id: String,
    /// The currency the amounts are in: the account's snapshot currency (revenue_movements
    /// has none of its own); `null` for an account without paid snapshots, or in the
    /// reporting currency when that is not named.
    pub currency: Option<String>,
    /// The month of the movement.
    pub month: Month,
    /// The given movement type; several types in one month are joined with `+`; `null` when
    /// the table has no movement for the month.
    pub given_type: Option<String>,
    /// The sum of the given `mrr_change` of the month; `null` when there is none.
    pub given_amount: Option<String>,
    /// The movement the snapshots imply (docs/metrics.md §7); `null` when MRR did not change.
    pub snapshot_type: Option<String>,
    /// Its amount; `null` when MRR did not change.
    pub snapshot_amount: Option<String>,
    /// Given amount minus the snapshots' amount (a missing side counts as 0).
    pub difference: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s, 12).expect("a decimal")
    }

    #[test]
    fn amounts_sum_exactly_per_reason_and_currency() {
        let mut l = RowLedger::default();
        l.exclude(Reason::OneTime, "USD", d("100"));
        l.exclude(Reason::OneTime, "USD", d("0.125"));
        l.exclude(Reason::OneTime, "EUR", d("-3.5"));
        l.exclude(Reason::Tax, "", d("7.10"));
        l.excluded.unknown_subscription += 1; // a row without an amount
        assert_eq!(l.excluded.one_time, 3);
        assert_eq!(l.excluded.tax, 1);
        let usd = &l.excluded_amounts.of(Reason::OneTime);
        assert_eq!(usd.len(), 2);
        assert_eq!((usd[0].currency.as_str(), usd[0].rows), ("EUR", 1));
        assert_eq!(usd[0].amount.as_deref(), Some("-3.50"));
        assert_eq!(usd[1].amount.as_deref(), Some("100.125"));
        assert_eq!(l.excluded_amounts.rows(Reason::UnknownSubscription), 0);
        l.excluded_amounts.name_unnamed("GBP");
        let tax = l.excluded_amounts.of(Reason::Tax);
        assert_eq!(
            (tax[0].currency.as_str(), tax[0].amount.as_deref()),
            ("GBP", Some("7.10"))
        );
        let json = serde_json::to_value(&l.excluded_amounts).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "one_time": [
                    {"currency": "EUR", "rows": 1, "amount": "-3.50"},
                    {"currency": "USD", "rows": 2, "amount": "100.125"}
                ],
                "tax": [{"currency": "GBP", "rows": 1, "amount": "7.10"}]
            })
        );
    }

    #[test]
    fn merged_ledgers_give_the_amounts_of_one_pass() {
        let rows = [
            ("USD", "1.5"),
            ("USD", "0.000001"),
            ("JPY", "300"),
            ("USD", "2"),
        ];
        let mut whole = RowLedger::default();
        let mut parts = [RowLedger::default(), RowLedger::default()];
        for (i, (c, a)) in rows.iter().enumerate() {
            whole.exclude(Reason::Refund, c, d(a));
            parts[i % 2].exclude(Reason::Refund, c, d(a));
        }
        let mut merged = RowLedger::default();
        merged.add(&parts[1]);
        merged.add(&parts[0]);
        assert_eq!(
            merged.excluded_amounts.of(Reason::Refund),
            whole.excluded_amounts.of(Reason::Refund)
        );
        assert_eq!(
            whole.excluded_amounts.of(Reason::Refund)[1]
                .amount
                .as_deref(),
            Some("3.500001")
        );
        assert!(merged.balances() || merged.read == 0);
        // However an amount was typed, equal sums are equal ledgers (CSV against Parquet).
        let (mut csv, mut parquet) = (RowLedger::default(), RowLedger::default());
        csv.exclude(Reason::OneTime, "USD", d("12.5"));
        parquet.exclude(Reason::OneTime, "USD", d("12.500000"));
        assert_eq!(csv, parquet);
    }

    #[test]
    fn a_sum_too_large_is_null_not_wrong() {
        let mut l = RowLedger::default();
        let big = Decimal {
            mantissa: i64::MAX,
            decimals: 0,
        };
        let fine = Decimal {
            mantissa: 1,
            decimals: 18,
        };
        // Two of the largest amounts and one at 18 places still fit, exactly.
        l.exclude(Reason::Usage, "USD", big);
        l.exclude(Reason::Usage, "USD", fine);
        l.exclude(Reason::Usage, "USD", big);
        let u = l.excluded_amounts.of(Reason::Usage);
        assert_eq!(
            (u[0].rows, u[0].amount.as_deref()),
            (3, Some("18446744073709551614.000000000000000001"))
        );
        // At 25 places they no longer do: the sum is unknown, not wrapped.
        let finer = Decimal {
            mantissa: 1,
            decimals: 25,
        };
        l.exclude(Reason::Usage, "USD", finer);
        let u = l.excluded_amounts.of(Reason::Usage);
        assert_eq!((u[0].rows, u[0].amount.as_deref()), (4, None));
        l.exclude(Reason::OneTime, "USD", big);
        assert_eq!(
            l.excluded_amounts.of(Reason::OneTime)[0].amount.as_deref(),
            Some("9223372036854775807.00")
        );
    }
}
