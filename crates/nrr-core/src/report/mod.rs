//! Report types shared by every output (table, JSON, CSV) and any later API.
//!
//! Field names are the stable JSON keys documented in `docs/cli.md`; keys may be added, none
//! renamed.

use crate::date::Month;
use crate::money::Money;
use serde::Serialize;

/// Exact values beside shown ones: key -> exact decimal (`crate::money::exact_string`).
pub type Exact = std::collections::BTreeMap<&'static str, String>;

mod benchmark;
mod bridge;
mod ledger;
mod retention;
mod usage;

pub use benchmark::{BenchmarkComparison, BenchmarkContext};
pub use bridge::{Bridge, MonthRow};
pub use ledger::{
    Excluded, ExcludedAmount, ExcludedAmounts, MovementCheck, MovementDisagreement, OtherReading,
    Reason, RowLedger,
};
pub use retention::{
    Concentration, ContractionByReason, ExpansionByReason, Granularity, PeriodMetrics, PeriodRow,
    Retention, TopCustomer, TopCustomers, TtmRow,
};
pub use usage::{Usage, UsageMonth, UsagePeriod};

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

/// The notes of one input, to attach to the report's periods, and the name a notice gives
/// that input (the reader names it: `annotations.csv`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Notes {
    /// The notes, in input order.
    pub notes: Vec<Note>,
    /// The input's name, as a notice about its notes begins.
    pub source: String,
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
    /// The configuration file the settings were read from (`data/nrr.toml`); omitted when
    /// none was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// Every setting of the run, its value and where it came from (docs/config.md); omitted
    /// when the front end gives none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<Setting>,
}

/// One setting of a run, as the front end resolved it: the report echoes it, it decides
/// nothing here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// The setting's key as the configuration file writes it (`currency`,
    /// `policies.past_due`, `review.roles`).
    pub key: String,
    /// Its value as the flag or the file writes it.
    pub value: String,
    /// Where it came from: `flag`, `config (nrr.toml:LINE)`, `preset NAME` or `default`.
    pub source: String,
}
