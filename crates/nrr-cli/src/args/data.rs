//! The options every command that reads data shares (`DataArgs`): the data itself, the
//! PostgreSQL source (`PgArgs`), the currency and as-of date, and the policy flags with their
//! values; and the reported window (`WindowArgs`) of those that report over one (clap
//! definitions only; [`super::resolve`] decides them).

use super::{parse_currency, parse_date, parse_month, parse_month_of_year};
use clap::{Args, ValueEnum};
use nrr_core::date::Month;
use std::path::PathBuf;

/// Options shared by commands that read a data directory.
#[derive(Args, Debug, Clone)]
pub(crate) struct DataArgs {
    /// Data directory (items.csv, mrr.csv, invoices.csv or subscription_snapshots.csv, optional
    /// fx.csv and customers.csv), or one file. With --postgres: optional, the directory of
    /// fx.csv, customers.csv and annotations.csv.
    #[arg(required_unless_present = "postgres")]
    pub data: Option<PathBuf>,
    /// The date the report is as of (YYYY-MM-DD): the default window ends at its month, and
    /// invoice and Stripe subscriptions still running are read as running to it. Default: the
    /// latest date the data shows as past (the latest invoice_date or Stripe timestamp; for
    /// items, the latest start_date or end_date not after today; for mrr.csv, its latest
    /// month). The report says which.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<nrr_core::date::Date>,
    #[command(flatten)]
    pub pg: PgArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Reporting currency (ISO 4217). Default: the only currency in the data.
    #[arg(long, value_parser = parse_currency)]
    pub currency: Option<String>,
    /// Leave rejected rows out and go on (exit 0) instead of stopping with exit code 1; the
    /// output states how many were skipped (`check` still lists them).
    #[arg(long)]
    pub skip_invalid: bool,
    /// The revenue input to read: items, mrr, invoices, snapshots or stripe. Default: detected
    /// from the file names in DATA (items*.csv, mrr*.csv, invoices.csv,
    /// subscription_snapshots.csv, subscriptions.json or .jsonl; the Parquet twins of the CSV
    /// files); needed only when DATA holds more than one kind.
    #[arg(long, value_enum)]
    pub source: Option<SourceArg>,
    /// When a cancelled subscription stops counting (invoices.csv with
    /// subscription_events.csv; docs/policies.md). Default: at-period-end.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ChurnArg::AtPeriodEnd, help_heading = INVOICE_POLICIES)]
    pub churn_recognition: ChurnArg,
    /// Whether discounts are taken off MRR (invoices.csv). Default: all.
    #[arg(long, value_enum, value_name = "WHICH", default_value_t = DiscountsArg::All, help_heading = INVOICE_POLICIES)]
    pub discounts: DiscountsArg,
    /// Past-due and unpaid subscriptions (invoices.csv with subscription_events.csv):
    /// keep:N (default keep:30) counts them for N days after they fall past due, then churns
    /// them unless they recovered (a `resumed` event); keep counts them while invoiced; churn
    /// churns them the day they fall past due.
    #[arg(long, value_name = "keep:N|keep|churn", default_value = "keep:30", value_parser = parse_past_due, help_heading = INVOICE_POLICIES)]
    pub past_due: nrr_core::policy::PastDue,
    /// Paused subscriptions (invoices.csv with subscription_events.csv). Default: keep.
    #[arg(long, value_enum, value_name = "HOW", default_value_t = PausesArg::Keep, help_heading = INVOICE_POLICIES)]
    pub pauses: PausesArg,
    /// What a full refund of an invoice does (invoices.csv and Stripe exports): ignore (the
    /// default: refunds and credit notes never move MRR) or end-service (a credit note or
    /// refund of the whole invoice ends the service of its subscription lines on its date:
    /// churn or contraction that month; a partial refund changes nothing).
    #[arg(long, value_enum, value_name = "HOW", default_value_t = FullRefundsArg::Ignore, help_heading = INVOICE_POLICIES)]
    pub full_refunds: FullRefundsArg,
    /// The time zone in which Stripe timestamps (Unix seconds) are read as dates: UTC, a
    /// fixed offset like +02:00 or -05:00, or an IANA zone name like Europe/Paris or
    /// America/New_York, whose daylight saving is followed at each timestamp (Stripe exports
    /// only). Default: UTC.
    #[arg(long, value_name = "UTC|+HH:MM|ZONE", default_value = "UTC", value_parser = parse_timezone)]
    pub timezone: nrr_io::Timezone,
    /// How a customer returning after months at zero counts (every input): any-gap
    /// (reactivation), window:N (new after more than N months at zero) or as-expansion.
    #[arg(long, value_name = "any-gap|window:N|as-expansion", default_value = "any-gap", value_parser = parse_reactivation)]
    pub reactivation: nrr_core::policy::Reactivation,
    /// What a subscription_snapshots date means: close (the MRR at the end of that day; the
    /// last snapshot of a month is that month's MRR) or open (the MRR at the start of that
    /// day, i.e. at the end of the day before: 2026-01-01 is December's closing MRR and
    /// January's starting cohort). Default: close, with a note in the report when every
    /// snapshot is dated on the 1st of a month (docs/input.md#subscription_snapshots).
    #[arg(long, value_enum, value_name = "close|open")]
    pub snapshot_date: Option<SnapshotDateArg>,
    /// Set every policy as a tool documents it (docs/policies.md#presets); policy flags given
    /// on the command line win.
    #[arg(long, value_enum, value_name = "TOOL")]
    pub preset: Option<PresetArg>,
    /// Which policy flags were given on the command line (filled by `parse`).
    #[arg(skip)]
    pub given: Given,
}

/// The reported window.
#[derive(Args, Debug, Clone, Copy)]
pub(crate) struct WindowArgs {
    /// First month (YYYY-MM). Default: the month of the earliest start_date.
    #[arg(long, value_parser = parse_month)]
    pub from: Option<Month>,
    /// Last month (YYYY-MM). Default: the month of the as-of date (never after it).
    #[arg(long, value_parser = parse_month)]
    pub to: Option<Month>,
    /// First month of the fiscal year (1-12 or jan..dec): quarters and years start there and
    /// are named by the calendar year they end in (FY2025-Q1, FY2025). Default: January
    /// (calendar quarters and years, 2024-Q1, 2024).
    #[arg(long, value_parser = parse_month_of_year)]
    pub fiscal_year_start: Option<u32>,
}

/// Policy flags given on the command line (they win over a preset).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Given {
    pub churn_recognition: bool,
    pub discounts: bool,
    pub past_due: bool,
    pub pauses: bool,
    pub full_refunds: bool,
    pub reactivation: bool,
    pub timezone: bool,
}

/// `--config FILE` / `--no-config`: the configuration file (docs/config.md).
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct ConfigArgs {
    /// Read the settings from this TOML file (docs/config.md) instead of the nrr.toml beside
    /// the data (in DATA's directory, or DATA itself when it is a directory). Flags given on
    /// the command line win over the file, which wins over the preset and the defaults.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore the nrr.toml found beside the data.
    #[arg(long)]
    pub no_config: bool,
}

/// `--preset`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PresetArg {
    /// ChartMogul.
    Chartmogul,
    /// ProfitWell / Paddle Metrics.
    Profitwell,
    /// Baremetrics.
    Baremetrics,
    /// Stripe Billing analytics.
    Stripe,
    /// Maxio (Chargify, SaaSOptics).
    Maxio,
    /// The dbt mrr-playbook.
    Dbt,
}

pub(super) fn parse_reactivation(s: &str) -> Result<nrr_core::policy::Reactivation, String> {
    nrr_core::policy::Reactivation::parse(s).ok_or_else(|| {
        format!("`{s}` is not any-gap, window:N (N months, like window:3) or as-expansion")
    })
}

fn parse_timezone(s: &str) -> Result<nrr_io::Timezone, String> {
    nrr_io::Timezone::parse(s).ok_or_else(|| {
        format!("`{s}` is not UTC, a fixed offset +HH:MM / -HH:MM (at most 14 hours) like +02:00, or an IANA time zone name like Europe/Paris")
    })
}

/// `--postgres URL` with `--query` or `--table`: the revenue rows from a live database.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct PgArgs {
    /// Read the revenue rows from PostgreSQL (read-only session and transaction), e.g.
    /// postgresql://reader@db.internal/billing or host=/run/postgresql dbname=billing. The
    /// shape (items, mrr, invoices, snapshots) is detected from the column names, or set with
    /// --source. With --source stripe, each row holds one Stripe subscription object as JSON.
    #[arg(long, value_name = "URL", help_heading = POSTGRES)]
    pub postgres: Option<String>,
    /// With --postgres: the SELECT that returns the rows.
    #[arg(long, value_name = "SQL", requires = "postgres", conflicts_with = "table", help_heading = POSTGRES)]
    pub query: Option<String>,
    /// With --postgres: a table or view (schema.name allowed) to read whole.
    #[arg(long, value_name = "NAME", requires = "postgres", help_heading = POSTGRES)]
    pub table: Option<String>,
    /// With --postgres and invoice rows: the SELECT that returns the subscription events
    /// (subscription_id, event, effective_date; the columns of subscription_events.csv).
    #[arg(long, value_name = "SQL", requires = "postgres", conflicts_with = "events_table", help_heading = POSTGRES)]
    pub events_query: Option<String>,
    /// With --postgres and invoice rows: a table or view of subscription events to read whole.
    #[arg(long, value_name = "NAME", requires = "postgres", help_heading = POSTGRES)]
    pub events_table: Option<String>,
    /// With --postgres --source stripe: the SELECT that returns Stripe invoice objects, one
    /// JSON object a row (json, jsonb or text; the only column, else the one named data).
    #[arg(long, value_name = "SQL", requires = "postgres", conflicts_with = "invoices_table", help_heading = POSTGRES)]
    pub invoices_query: Option<String>,
    /// With --postgres --source stripe: a table or view of Stripe invoice objects to read whole.
    #[arg(long, value_name = "NAME", requires = "postgres", help_heading = POSTGRES)]
    pub invoices_table: Option<String>,
    /// With --postgres --source stripe: the SELECT that returns Stripe credit note objects, one
    /// JSON object a row (never MRR; counted as credit).
    #[arg(long, value_name = "SQL", requires = "postgres", conflicts_with = "credit_notes_table", help_heading = POSTGRES)]
    pub credit_notes_query: Option<String>,
    /// With --postgres --source stripe: a table or view of Stripe credit note objects.
    #[arg(long, value_name = "NAME", requires = "postgres", help_heading = POSTGRES)]
    pub credit_notes_table: Option<String>,
    /// With --postgres --source stripe: the SELECT that returns Stripe refund objects, one JSON
    /// object a row (never MRR; counted as refund).
    #[arg(long, value_name = "SQL", requires = "postgres", conflicts_with = "refunds_table", help_heading = POSTGRES)]
    pub refunds_query: Option<String>,
    /// With --postgres --source stripe: a table or view of Stripe refund objects.
    #[arg(long, value_name = "NAME", requires = "postgres", help_heading = POSTGRES)]
    pub refunds_table: Option<String>,
    /// With --postgres and snapshot rows: the SELECT that returns revenue movements
    /// (account_id, movement_date, movement_type, mrr_change; the columns of
    /// revenue_movements.csv), checked against the snapshots.
    #[arg(long, value_name = "SQL", requires = "postgres", conflicts_with = "movements_table", help_heading = POSTGRES)]
    pub movements_query: Option<String>,
    /// With --postgres and snapshot rows: a table or view of revenue movements to read whole.
    #[arg(long, value_name = "NAME", requires = "postgres", help_heading = POSTGRES)]
    pub movements_table: Option<String>,
}

const POSTGRES: &str = "PostgreSQL (docs/input.md#postgresql)";

const INVOICE_POLICIES: &str =
    "Invoice policies (invoices.csv and Stripe exports; see docs/policies.md)";

impl DataArgs {
    /// A data directory with every option at its default.
    pub(crate) fn for_dir(data: PathBuf) -> DataArgs {
        DataArgs {
            data: Some(data),
            as_of: None,
            pg: PgArgs::default(),
            config: ConfigArgs::default(),
            currency: None,
            skip_invalid: false,
            source: None,
            churn_recognition: ChurnArg::AtPeriodEnd,
            discounts: DiscountsArg::All,
            past_due: nrr_core::policy::PastDue::default(),
            pauses: PausesArg::Keep,
            full_refunds: FullRefundsArg::Ignore,
            timezone: nrr_io::Timezone::default(),
            reactivation: nrr_core::policy::Reactivation::AnyGap,
            snapshot_date: None,
            preset: None,
            given: Given::default(),
        }
    }
}

fn parse_past_due(s: &str) -> Result<nrr_core::policy::PastDue, String> {
    nrr_core::policy::PastDue::parse(s).ok_or_else(|| {
        format!("`{s}` is not keep:N (N days from 0 to 3650, like keep:30), keep or churn")
    })
}

/// A revenue input (`--source`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SourceArg {
    /// items*.csv or items*.parquet: recurring lines.
    Items,
    /// mrr*.csv or mrr*.parquet: MRR per customer and month.
    Mrr,
    /// invoices.csv (and subscription_events.csv): invoice line items.
    Invoices,
    /// subscriptions.json or .jsonl (and invoices.json or .jsonl): Stripe API objects.
    Stripe,
    /// subscription_snapshots.csv or .parquet (and revenue_movements, checked against them).
    Snapshots,
}

/// `--snapshot-date`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SnapshotDateArg {
    /// A snapshot dated D is the MRR at the end of D (default).
    Close,
    /// A snapshot dated D is the MRR at the start of D, i.e. at the end of D - 1 day.
    Open,
}

/// `--churn-recognition`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
#[allow(clippy::enum_variant_names)] // the names are the values: at-period-end, ...
pub(crate) enum ChurnArg {
    /// Revenue counts until the paid service period in which the cancellation takes effect
    /// ends (default).
    AtPeriodEnd,
    /// Revenue stops on the date of the `canceled` event.
    AtCancellation,
    /// Revenue stops on the date of the `cancel_requested` event (else `canceled`).
    AtRequest,
}

/// `--discounts`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum DiscountsArg {
    /// MRR is net of every discount (default).
    All,
    /// Only discounts that last forever; invoices do not say how long a discount lasts, so
    /// invoices.csv rejects it.
    ForeverOnly,
    /// MRR is gross of discounts.
    None,
}

/// `--pauses`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PausesArg {
    /// A paused subscription keeps its MRR until it resumes (default).
    Keep,
    /// A pause is churn; resuming is reactivation.
    Churn,
    /// Paused revenue is 0 without churn: paused and resumed movements instead of churn and
    /// reactivation.
    Zero,
}

/// `--full-refunds`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FullRefundsArg {
    /// Refunds and credit notes never move MRR (default).
    Ignore,
    /// A full refund or credit note of an invoice ends its subscription lines on its date.
    EndService,
}
