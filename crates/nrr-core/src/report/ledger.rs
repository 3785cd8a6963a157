//! The row ledger (every input row read, used, excluded or rejected) and the check of
//! revenue_movements against subscription_snapshots.

use super::*;

/// Where each input row went. Every row read is used, excluded with a reason, or rejected.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RowLedger {
    /// Data rows read (header rows are not counted).
    pub read: u64,
    /// Rows that entered the computation.
    pub used: u64,
    /// Rows left out on purpose, by reason.
    pub excluded: Excluded,
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
        self.rejected += o.rejected;
        if let Some(m) = o.mapped {
            *self.mapped.get_or_insert(0) += m;
        }
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
