//! Report types shared by every output (table, JSON, CSV) and any later API.
//!
//! Field names are the stable JSON keys documented in `docs/cli.md`; keys may be added, none
//! renamed.

use crate::date::Month;
use crate::money::Money;
use serde::Serialize;

/// Exact values beside shown ones: key -> exact decimal (`crate::money::exact_string`).
pub type Exact = std::collections::BTreeMap<&'static str, String>;

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

/// The analysis window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    /// First reported month.
    pub start_month: Month,
    /// Last reported month.
    pub end_month: Month,
}

/// The named rules a report was computed under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policies {
    /// When revenue stops counting.
    pub churn_recognition: &'static str,
    /// When a returning customer counts as reactivation: `any-gap`, `window:N` or
    /// `as-expansion`.
    pub reactivation: String,
    /// How currency conversion enters the figures.
    pub fx: &'static str,
    /// Which instant defines a month's MRR.
    pub snapshot: &'static str,
    /// subscription_snapshots only: what a `snapshot_date` means, `close` (the MRR at the end
    /// of that day) or `open` (at its start: the end of the day before); omitted otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_date: Option<String>,
    /// invoices.csv only: `all` (MRR net of discounts) or `none` (gross); omitted otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discounts: Option<String>,
    /// invoices.csv only: past-due subscriptions, `keep:N` (days of grace), `keep` or `churn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub past_due: Option<String>,
    /// invoices.csv only: paused subscriptions, `keep` or `churn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pauses: Option<String>,
    /// invoices.csv and Stripe exports only: invoices refunded in full, `ignore` or
    /// `end-service`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_refunds: Option<String>,
    /// The `--preset` the policies came from, if any (docs/policies.md#presets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
}

impl Policies {
    /// The echo of a run's typed policies, named as the flags name them. `applied`: which
    /// ones the input applied (the others are left out); `preset`: the preset they came from,
    /// if any.
    pub fn echo(
        policies: &crate::policy::Policies,
        applied: crate::policy::Applied,
        preset: Option<&str>,
    ) -> Policies {
        let lifecycle = applied.lifecycle.then_some(&policies.invoices);
        Policies {
            churn_recognition: lifecycle
                .copied()
                .unwrap_or_default()
                .churn_recognition
                .name(),
            reactivation: policies.reactivation.label(),
            fx: "constant-currency",
            snapshot: "month-end",
            snapshot_date: applied
                .snapshot_date
                .then(|| policies.snapshot_date.name().to_string()),
            discounts: lifecycle.map(|p| p.discounts.name().to_string()),
            past_due: lifecycle.map(|p| p.past_due.name()),
            pauses: lifecycle.map(|p| p.pauses.name().to_string()),
            full_refunds: lifecycle.map(|p| p.full_refunds.name().to_string()),
            preset: preset.map(str::to_string),
        }
    }
}

impl Default for Policies {
    /// The echo of the default policies, none of the input-specific ones applied.
    fn default() -> Self {
        Policies::echo(
            &crate::policy::Policies::default(),
            crate::policy::Applied::default(),
            None,
        )
    }
}

/// A note from annotations.csv: the "why did Q3 drop" that travels with the number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    /// `2024-03`, `2024-Q3` or `2024`.
    pub period: String,
    /// The customer it is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The note.
    pub note: String,
}

/// One month of the MRR bridge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthRow {
    /// The month.
    pub month: Month,
    /// MRR at the end of the previous month, at that month's rates.
    pub opening_mrr: Money,
    /// First-ever paying month of a customer.
    pub new: Money,
    /// A returning customer's MRR after a month at zero.
    pub reactivation: Money,
    /// Increase of existing customers, constant currency.
    pub expansion: Money,
    /// Decrease of existing customers that stay above zero (positive magnitude).
    pub contraction: Money,
    /// MRR of customers that fell to zero (positive magnitude).
    pub churn: Money,
    /// Change from exchange rates alone.
    pub fx: Money,
    /// Segments taken from the lines (`--segment product|plan`) only: the previous month's
    /// MRR of customers whose segment changed this month, moved into this segment ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_in: Option<Money>,
    /// ... and out of it. opening + new + reactivation + expansion - contraction - churn + fx
    /// + moved_in - moved_out = closing, in every segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_out: Option<Money>,
    /// `--pauses zero` only: MRR of customers that paused this month (not churned) ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<Money>,
    /// ... and of customers back from a pause. With them, opening + new + reactivation +
    /// expansion - contraction - churn - paused + resumed + fx = closing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed: Option<Money>,
    /// MRR at the end of the month, at its rates.
    pub closing_mrr: Money,
    /// Customers with MRR > 0 at the end of the month.
    pub customers: u64,
    /// Customers counted as new.
    pub new_customers: u64,
    /// Customers counted as reactivated.
    pub reactivated_customers: u64,
    /// Customers counted as churned.
    pub churned_customers: u64,
    /// `--pauses zero` only: customers that paused this month.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_customers: Option<u64>,
    /// `--pauses zero` only: customers back from a pause this month.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_customers: Option<u64>,
    /// Expansion by reason.
    pub expansion_by_reason: ExpansionByReason,
    /// Contraction by reason.
    pub contraction_by_reason: ContractionByReason,
    /// Notes from annotations.csv for this month (omitted when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// The exact value of every amount above whose shown (footed, 2-decimal) value is not
    /// exactly it, by key (`"expansion_by_reason.seats"` for a nested one); omitted when none
    /// (docs/metrics.md, "Shown figures foot").
    #[serde(skip_serializing_if = "Exact::is_empty")]
    pub exact: Exact,
}

/// The sum of a run of months' movements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bridge {
    /// Opening MRR of the first month.
    pub opening: Money,
    /// Sum of new.
    pub new: Money,
    /// Sum of reactivation.
    pub reactivation: Money,
    /// Sum of expansion.
    pub expansion: Money,
    /// Sum of contraction (positive).
    pub contraction: Money,
    /// Sum of churn (positive).
    pub churn: Money,
    /// Sum of fx.
    pub fx: Money,
    /// Sum of paused (`--pauses zero` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<Money>,
    /// Sum of resumed (`--pauses zero` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed: Option<Money>,
    /// Sum of moved_in (segments taken from the lines only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_in: Option<Money>,
    /// Sum of moved_out (segments taken from the lines only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_out: Option<Money>,
    /// Closing MRR of the last month.
    pub closing: Money,
    /// The exact value of every amount above whose shown (footed, 2-decimal) value is not
    /// exactly it, by key (`"expansion_by_reason.seats"` for a nested one); omitted when none
    /// (docs/metrics.md, "Shown figures foot").
    #[serde(skip_serializing_if = "Exact::is_empty")]
    pub exact: Exact,
}

/// Frozen-cohort retention between t0 and t1.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Retention {
    /// Cohort MRR at t0.
    pub starting_mrr: Money,
    /// Growth of cohort customers still paying at t1, at t0's rates.
    pub expansion: Money,
    /// Decline of cohort customers still paying at t1 (positive).
    pub contraction: Money,
    /// t0 MRR of cohort customers at zero at t1 (positive).
    pub churn: Money,
    /// Cohort MRR at t1, at t0's rates.
    pub ending_cohort_mrr: Money,
    /// ending / starting; `null` when starting is 0.
    pub nrr: Option<f64>,
    /// (starting - contraction - churn) / starting; `null` when starting is 0.
    pub grr: Option<f64>,
    /// Customers with MRR > 0 at t0.
    pub cohort_customers: u64,
    /// Cohort customers with MRR 0 at t1.
    pub churned_customers: u64,
    /// churned / cohort customers; `null` for an empty cohort.
    pub logo_churn_rate: Option<f64>,
    /// Cohort MRR at t1 at t1's rates minus at t0's rates.
    pub fx_impact: Money,
    /// Cohort expansion by reason.
    pub expansion_by_reason: ExpansionByReason,
    /// Cohort contraction by reason.
    pub contraction_by_reason: ContractionByReason,
    /// The exact value of every amount above whose shown (footed, 2-decimal) value is not
    /// exactly it, by key (`"expansion_by_reason.seats"` for a nested one); omitted when none
    /// (docs/metrics.md, "Shown figures foot").
    #[serde(skip_serializing_if = "Exact::is_empty")]
    pub exact: Exact,
}

/// Operating metrics of a period, from its bridge and customer counts (docs/metrics.md).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodMetrics {
    /// 12 x closing MRR.
    pub arr: Money,
    /// Closing MRR / customers at the end; `null` without customers.
    pub arpa: Option<Money>,
    /// Customers with MRR > 0 at the end of the month before the period.
    pub customers_start: u64,
    /// New customers in the period's months.
    pub customers_new: u64,
    /// Reactivations in the period's months.
    pub customers_reactivated: u64,
    /// Churn events in the period's months (a customer churning twice counts twice).
    pub customers_churned: u64,
    /// Customers with MRR > 0 at the end of the period.
    pub customers_end: u64,
    /// Bridge churn / opening MRR.
    pub revenue_churn_rate: Option<f64>,
    /// (churn + contraction - expansion - reactivation) / opening MRR.
    pub net_mrr_churn_rate: Option<f64>,
    /// (new + reactivation + expansion) / (contraction + churn).
    pub quick_ratio: Option<f64>,
    /// ARPA x gross margin / monthly revenue churn rate (sum of churn / sum of opening MRR
    /// over the period's months); `null` without churn or customers.
    pub ltv: Option<Money>,
    /// The exact value of every amount above whose shown (footed, 2-decimal) value is not
    /// exactly it, by key (`"expansion_by_reason.seats"` for a nested one); omitted when none
    /// (docs/metrics.md, "Shown figures foot").
    #[serde(skip_serializing_if = "Exact::is_empty")]
    pub exact: Exact,
}

/// One customer carrying more than the configured share of a period's cohort expansion or
/// churn: worth a look before the figure is read as a trend.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Concentration {
    /// `expansion` or `churn`.
    pub movement: &'static str,
    /// The customer.
    pub customer_id: String,
    /// Its contribution.
    pub amount: Money,
    /// Its share of the period's total for that movement (6 decimals).
    pub share: Option<f64>,
}

/// The cohort customers that churned, contracted and expanded the most in a period (`--top N`,
/// docs/metrics.md "Top customers"): each list is largest first, ties to the smaller customer
/// id, at most N long. Amounts are parts of the period's cohort `churn`, `contraction` and
/// `expansion` (at t0's rates). Empty lists are omitted, and the whole object when all are.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TopCustomers {
    /// By churn: their MRR at t0.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub churn: Vec<TopCustomer>,
    /// By contraction: t0 MRR minus t1 MRR at t0's rates (a customer paused at t1 under
    /// `--pauses zero` contracts by its t0 MRR, as in the cohort figure).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contraction: Vec<TopCustomer>,
    /// By expansion: t1 MRR at t0's rates minus t0 MRR.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expansion: Vec<TopCustomer>,
}

impl TopCustomers {
    /// `true` when every list is empty.
    pub fn is_empty(&self) -> bool {
        self.churn.is_empty() && self.contraction.is_empty() && self.expansion.is_empty()
    }
}

/// One entry of a [`TopCustomers`] list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopCustomer {
    /// The customer.
    pub customer_id: String,
    /// Its contribution (positive).
    pub amount: Money,
    /// Its share of the period's cohort figure for the movement (6 decimals).
    pub share: Option<f64>,
}

/// Expansion split by why it happened (docs/metrics.md): the parts sum to the expansion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpansionByReason {
    /// More seats or units on the same product and plan.
    pub seats: Money,
    /// Same product, plan, quantity and interval; only the amount rose.
    pub price: Money,
    /// A move to another plan of the same product.
    pub plan: Money,
    /// A product line the customer did not have before.
    pub cross_sell: Money,
    /// A change of billing interval.
    pub interval: Money,
    /// Several of these at once.
    pub mixed: Money,
}

/// Contraction split by why it happened: the parts sum to the contraction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContractionByReason {
    /// Fewer seats or units on the same product and plan.
    pub seats: Money,
    /// Only the amount fell.
    pub price: Money,
    /// A move to another plan of the same product.
    pub plan: Money,
    /// A product line the customer dropped.
    pub product_removed: Money,
    /// A change of billing interval.
    pub interval: Money,
    /// Several of these at once.
    pub mixed: Money,
}

/// Granularity of a reported period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// One calendar month.
    Month,
    /// A complete calendar quarter.
    Quarter,
    /// A complete calendar year.
    Year,
}

/// A reported period: month, quarter or year.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodRow {
    /// `2024-03`, `2024-Q1` or `2024`.
    pub period: String,
    /// Month, quarter or year.
    pub granularity: Granularity,
    /// First month of the period.
    pub start_month: Month,
    /// Last month of the period (t1).
    pub end_month: Month,
    /// Frozen-cohort retention.
    #[serde(flatten)]
    pub retention: Retention,
    /// The period's MRR bridge.
    pub bridge: Bridge,
    /// ARR, ARPA, customer counts, churn rates, quick ratio, LTV.
    pub metrics: PeriodMetrics,
    /// Notes from annotations.csv for this period (omitted when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// Customers above the concentration threshold (omitted when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub concentration: Vec<Concentration>,
    /// The top churned, contracted and expanded cohort customers (`--top`; totals only;
    /// omitted when none).
    #[serde(skip_serializing_if = "TopCustomers::is_empty")]
    pub top_customers: TopCustomers,
}

/// Trailing-twelve-month retention at one month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TtmRow {
    /// t1.
    pub month: Month,
    /// The month twelve months earlier.
    pub t0: Month,
    /// Frozen-cohort retention.
    #[serde(flatten)]
    pub retention: Retention,
    /// The twelve months' MRR bridge.
    pub bridge: Bridge,
    /// ARR, ARPA, customer counts, churn rates, quick ratio, LTV over the twelve months.
    pub metrics: PeriodMetrics,
    /// Customers above the concentration threshold (omitted when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub concentration: Vec<Concentration>,
    /// The top churned, contracted and expanded cohort customers (`--top`; totals only;
    /// omitted when none).
    #[serde(skip_serializing_if = "TopCustomers::is_empty")]
    pub top_customers: TopCustomers,
}

/// Figures for one segment value (the same shape as the totals).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SegmentFigures {
    /// Monthly bridge.
    pub months: Vec<MonthRow>,
    /// Periods.
    pub periods: Vec<PeriodRow>,
    /// TTM.
    pub ttm: Vec<TtmRow>,
}

/// Figures cut by one customer attribute.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Segments {
    /// The attribute column of customers.csv.
    pub column: String,
    /// Figures per value (a customer without a value has `""`).
    pub values: std::collections::BTreeMap<String, SegmentFigures>,
}

/// The date the report is as of: the window ends at its month, never after it
/// (docs/metrics.md, "The reporting window").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AsOf {
    /// The date.
    pub date: crate::date::Date,
    /// Where it comes from: `given` (`--as-of`), or what in the data shows it as past
    /// (`the latest invoice_date`, `the latest Stripe timestamp`, `the latest start_date or
    /// end_date not after today`).
    pub source: String,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Always `nrr`.
    pub tool: &'static str,
    /// Version of the tool that computed it.
    pub version: &'static str,
    /// Where the definitions are written down.
    pub definitions: &'static str,
    /// Reporting currency.
    pub currency: String,
    /// Rules in force.
    pub policies: Policies,
    /// Gross margin used for LTV (`--gross-margin`, default 1).
    pub gross_margin: String,
    /// Share of a period's cohort expansion or churn above which one customer is named
    /// (`--concentration`, default 0.25).
    pub concentration_threshold: String,
    /// Reported months.
    pub window: Window,
    /// The as-of date and where it comes from; `null` when neither given nor known (a
    /// window given in full with `--from` and `--to` over data that shows none).
    pub as_of: Option<AsOf>,
    /// First month of the fiscal year (1 = January): quarters and years start there.
    pub fiscal_year_start: u32,
    /// Input files the lines were read from.
    pub inputs: Vec<String>,
    /// Where every input row went.
    pub rows: RowLedger,
    /// Rejected rows skipped under `--skip-invalid` (0 otherwise).
    pub skipped_invalid_rows: u64,
    /// What the readers read in a way worth knowing: a reading they chose where the input
    /// allows two, or something the input does not show (omitted when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    /// Monthly bridge.
    pub months: Vec<MonthRow>,
    /// Months, complete quarters and complete years.
    pub periods: Vec<PeriodRow>,
    /// Trailing twelve months.
    pub ttm: Vec<TtmRow>,
    /// Segment cut by the first `--segment` column, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<Segments>,
    /// Every segment cut asked for, in the order of the `--segment` flags (the first is
    /// `segments` again).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub segment_cuts: Vec<Segments>,
    /// Where the latest TTM NRR sits against published figures for the business's ARR band
    /// (docs/benchmarks.md): context, not a grade. Omitted when the report has no months.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub benchmark_context: Option<BenchmarkContext>,
    /// subscription_snapshots input with revenue_movements: the given movements checked
    /// against the snapshots (docs/input.md). Omitted otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub movement_check: Option<MovementCheck>,
    /// `--usage` only: usage (metered) revenue per month, apart from MRR. Omitted otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// `--usage`: usage (metered) revenue per month, a figure of its own: never part of MRR, of
/// any movement or of the bridge identities (docs/metrics.md, "Usage").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// `false` when the input holds no usage amounts (a Stripe export without invoices):
    /// `months` and `periods` are then empty and `total` is `null`; `notes` say why.
    pub known: bool,
    /// Every month of the window: the usage billed for service in it, in the reporting
    /// currency at the month-end rate.
    pub months: Vec<UsageMonth>,
    /// The sums over each complete quarter and year of the window (as in `periods`).
    pub periods: Vec<UsagePeriod>,
    /// The sum over the window; `null` when unknown.
    pub total: Option<Money>,
    /// Usage charges counted in the window.
    pub charges: u64,
    /// Usage charges read whose month is outside the window (not in any figure).
    pub outside_window: u64,
    /// What is not in the figure, and why (omitted when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The exact value of an amount above whose shown value is not exactly it, by key;
    /// omitted when none (docs/metrics.md, "Shown figures foot").
    #[serde(skip_serializing_if = "Exact::is_empty")]
    pub exact: Exact,
}

/// One month of usage revenue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UsageMonth {
    /// The month.
    pub month: Month,
    /// Usage revenue of the month (0.00 when none), in the reporting currency.
    pub amount: Money,
    /// Usage charges placed in the month.
    pub charges: u64,
}

/// Usage revenue of a complete quarter or year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UsagePeriod {
    /// `2024-Q1` or `2024`.
    pub period: String,
    /// The sum of its months.
    pub amount: Money,
    /// The exact value of an amount above whose shown value is not exactly it, by key;
    /// omitted when none (docs/metrics.md, "Shown figures foot").
    #[serde(skip_serializing_if = "Exact::is_empty")]
    pub exact: Exact,
}

/// The latest TTM NRR read against the published figures of `crates/nrr-core/data/
/// nrr_benchmarks.csv` (docs/benchmarks.md).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BenchmarkContext {
    /// 12 x closing MRR of `arr_month`, in the reporting currency.
    pub arr: Money,
    /// The last month of the window.
    pub arr_month: Month,
    /// The ARR band the figures are read for (`"$1M-$3M"`); `null` when the report is not in
    /// USD (the bands are in USD) or no published figure covers this ARR.
    pub arr_band: Option<String>,
    /// Reporting currency.
    pub currency: String,
    /// The last TTM month with an NRR; `null` when there is none.
    pub ttm_month: Option<Month>,
    /// That TTM NRR (a fraction, 6 decimals); `null` when there is none.
    pub ttm_nrr: Option<f64>,
    /// One entry per published figure that applies, band figures first; empty without a TTM
    /// NRR.
    pub comparisons: Vec<BenchmarkComparison>,
    /// One plain line saying all of the above.
    pub summary: String,
    /// The exact value of an amount above whose shown value is not exactly it, by key;
    /// omitted when none (docs/metrics.md, "Shown figures foot").
    #[serde(skip_serializing_if = "Exact::is_empty")]
    pub exact: Exact,
}

/// The TTM NRR against one published figure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BenchmarkComparison {
    /// The figure's `id` in the data file.
    pub id: &'static str,
    /// `top_quartile`, `median`, `range` or `threshold`.
    pub statistic: &'static str,
    /// The figure in percent as published (`"94"`), or the low end of a range.
    pub value_low: &'static str,
    /// The high end of a range; `null` for a single figure.
    pub value_high: Option<&'static str>,
    /// Who the figure describes.
    pub population: &'static str,
    /// Who published it.
    pub publisher: &'static str,
    /// The page that states it.
    pub source_title: &'static str,
    /// Its address.
    pub source_url: &'static str,
    /// `false` when the stating page was not located (docs/benchmarks.md).
    pub verified: bool,
    /// Where the TTM NRR sits: `above`, `below`, `equal` (single figures) or `within` (a range,
    /// ends included).
    pub relation: &'static str,
}
