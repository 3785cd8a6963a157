//! Command-line arguments (clap definitions only). Strings are parsed into typed values here,
//! once; [`resolve`] turns them, with the preset and the defaults, into one [`Settings`].

pub(crate) mod config;
mod data;
mod echo;
pub(crate) mod resolve;

pub(crate) use data::*;

pub(crate) use echo::{Echo, Origin};
pub(crate) use resolve::{ReportSettings, Settings};

use clap::{Args, Parser, Subcommand, ValueEnum};
use nrr_core::date::Month;
use std::path::PathBuf;

/// nrr: exact revenue retention (NRR, GRR, the MRR bridge) from subscription billing data.
///
/// Definitions: docs/metrics.md. Exit codes: 0 ok, 1 invalid data, 2 usage or I/O error.
#[derive(Parser, Debug)]
#[command(name = "nrr", version, about, long_about = None, after_help = "Examples:\n  nrr demo\n  nrr generate --customers 10000 --months 36 --seed 7 --out data\n  nrr report data\n  nrr report data --format json --from 2024-01 --to 2024-12\n  nrr explain data --customer c00042\n  nrr check data")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Compute the MRR bridge and frozen-cohort NRR/GRR by month, quarter, year and TTM.
    #[command(
        after_help = "Examples:\n  nrr report data\n  nrr report data --format json > report.json\n  nrr report data --format csv --from 2024-01 --to 2024-12\n  nrr report data --segment segment --segment region\n  nrr report data --segment product   # by product line, month by month\n  nrr report data --currency USD   # data in several currencies, rates in fx.csv\n  nrr report warehouse --source snapshots   # subscription_snapshots.csv (+ revenue_movements.csv)\n  nrr report warehouse --snapshot-date open   # snapshot_date 2026-01-01 = January's starting cohort\n  nrr report --postgres postgresql://reader@db/billing --query \"SELECT account_id, snapshot_date, mrr FROM snapshots\"\n  nrr report config --postgres \"$DATABASE_URL\" --table items   # fx.csv, customers.csv in config\n  nrr report --postgres \"$DATABASE_URL\" --source stripe --query \"SELECT data FROM stripe.subscriptions\" --invoices-query \"SELECT data FROM stripe.invoices\"\n\nDATA is a directory holding items.csv (or mrr.csv; Parquet twins too), and optionally\nfx.csv and customers.csv. See docs/input.md and docs/metrics.md."
    )]
    Report(ReportArgs),
    /// Every customer-month movement (new, reactivation, expansion, contraction, churn, fx,
    /// ...) as rows that sum to the report's bridge: CSV on stdout, or a .csv or .parquet file.
    #[command(
        after_help = "Examples:\n  nrr movements data > movements.csv\n  nrr movements data -o movements.parquet --segment segment\n  nrr movements data --from 2024-01 --to 2024-12 --currency USD -o movements.csv\n\nColumns: month, customer_id, category, reason, amount (constant currency, as in the\nbridge), amount_at_month_rates, then segment_<column> per --segment. For every month and\ncategory the amounts sum to the report's figure (docs/cli.md, docs/metrics.md)."
    )]
    Movements(MovementsArgs),
    /// Each customer's MRR per month at the rates of that month and of the months around it:
    /// the rows the view nrr_customer_month of `nrr sql` must hold, as CSV on stdout. Hidden:
    /// the reference of the differential test of `nrr sql` (docs/scale-out.md).
    #[command(hide = true)]
    CustomerMonths(CustomerMonthsArgs),
    /// The recurring lines the data becomes once every policy is applied, as items.csv rows:
    /// CSV on stdout, or a .csv or .parquet file that `nrr report` reads back to the same
    /// figures.
    #[command(
        after_help = "Examples:\n  nrr lines data > lines.csv\n  nrr lines data -o lines.parquet\n  nrr lines warehouse --currency USD --snapshot-date open -o warehouse-lines.csv\n  nrr report warehouse-lines.csv --currency USD --as-of 2026-01-31\n\nColumns: those of items.csv (docs/input.md): customer_id, subscription_id (empty),\nproduct, plan, quantity, amount (the exact charge per interval_months, in the line's own\ncurrency), currency, interval_months, start_date, end_date, kind (recurring).\n\n`nrr report` on the lines gives the figures of `nrr report` on the data when given the\nsame --currency, fx.csv, customers.csv, --reactivation (or --preset), window and --as-of\n(standard error names the as-of date when the lines cannot carry it); the invoice, Stripe\nand snapshot policies and customer_map.csv are already applied. The lines cannot carry\n--pauses zero (paused and resumed become churn and reactivation), the revenue_movements\ncheck or --usage charges. A lines file is read as items.csv unless its name starts\nwith mrr, invoices or subscription_snapshots (docs/cli.md#nrr-lines)."
    )]
    Lines(LinesArgs),
    /// Signup-cohort retention matrix: revenue (NRR) or logos, by month or quarter.
    #[command(
        after_help = "Examples:\n  nrr cohorts data\n  nrr cohorts data --by quarter --metric logos\n  nrr cohorts data --format csv > cohorts.csv\n\nA customer's cohort is the month (or quarter) of its first month with MRR > 0. Age k is\nmonth cohort+k (with --by quarter: the last month of quarter cohort+k). Revenue cells are\nthe cohort's MRR at age k over its MRR at age 0, at the age-0 month's exchange rates\n(expansion and reactivation included); logo cells are paying customers over cohort size."
    )]
    Cohorts(CohortsArgs),
    /// Trace one customer: its lines, monthly MRR, and each month's movement.
    #[command(
        after_help = "Examples:\n  nrr explain data --customer c00042\n  nrr explain data --customer c00042 --from 2024-01 --to 2024-06 --format json\n\nCustomer ids are those of the data: `nrr generate --customers 10000` writes c00001 to c10000."
    )]
    Explain(ExplainArgs),
    /// The same data under two presets side by side, and the customers and months that make
    /// the figures differ, largest first ("why doesn't this match ChartMogul?").
    #[command(
        after_help = "Examples:\n  nrr compare data --preset chartmogul --preset maxio\n  nrr compare data --preset profitwell --preset stripe --top 50 --format json\n\nEach preset sets the policies its tool documents (docs/policies.md#presets); with\nitems.csv or mrr.csv only the reactivation rule differs between presets."
    )]
    Compare(CompareArgs),
    /// Validate the data and print the row ledger (read / used / excluded / rejected).
    #[command(
        after_help = "Examples:\n  nrr check data\n  nrr check data --format json\n  nrr check warehouse   # subscription_snapshots.csv: lists revenue_movements disagreements\n  nrr check --postgres postgresql://reader@db/billing --table analytics.mrr_by_month\n  nrr check --postgres \"$DATABASE_URL\" --table subscription_snapshots --movements-table revenue_movements"
    )]
    Check(CheckArgs),
    /// Write a commented starting nrr.toml for DATA (docs/config.md): its source kind and
    /// currency, customers.csv's columns as candidate segments, every policy at its default
    /// with the alternatives, and the review roles.
    #[command(
        after_help = "Examples:\n  nrr init data   # writes data/nrr.toml\n  nrr init data -o -   # to stdout\n  nrr init data -o team.toml --force\n\nA file written by nrr init gives the same report as no file; edit it to pin what\nyour figures depend on. Commands that read DATA read nrr.toml beside it (--config FILE\nto read another, --no-config to ignore it)."
    )]
    Init(InitArgs),
    /// Record a draft release of a period's official figures in the book (docs/publishing.md),
    /// or with --final make a signed-off release final.
    #[command(
        after_help = "Examples:\n  nrr publish data --period 2025-Q4\n  nrr signoff 2025-Q4-r1 --role finance --by \"Dana Reyes\"\n  nrr signoff 2025-Q4-r1 --role success --by \"Sam Ortiz\"\n  nrr signoff 2025-Q4-r1 --role marketing --by \"Kim Lee\"\n  nrr publish --final 2025-Q4-r1\n  nrr publish data --period 2025-Q4 --restate --reason \"late credit note for c00042\"\n  nrr publish data --period TTM-2025-12 --book finance/nrr-book\n\nA release keeps a copy of the input files, the nrr.toml they were read with, the report\n(JSON, HTML, XLSX), the customer-month movements and MRR, each with its SHA-256 in release.json;\nit pins the as-of date. PERIOD is a month (2025-11), a quarter (2025-Q4), a year (2025) or\nTTM-2025-12, as the report labels it. Publishing a period that has a final release is a\nrestatement (--restate --reason). See docs/publishing.md."
    )]
    Publish(PublishArgs),
    /// Record one role's approval of a release (who, when, its hash; optionally signed).
    #[command(
        after_help = "Examples:\n  nrr publish data --period 2025-11\n  nrr signoff 2025-11-r1 --role finance --by \"Dana Reyes\"\n  nrr signoff 2025-11-r1 --role success --by Sam --note \"c00042: budget cut, confirmed\"\n\nThe roles a release needs are [review] roles of its nrr.toml (default: finance, success,\nmarketing), each once. --sign-key ~/.ssh/id_ed25519 signs with ssh-keygen -Y sign\n(namespace nrr-release); nrr verify checks the signature. A note CUSTOMER: text\nannotates that customer in the review."
    )]
    Signoff(SignoffArgs),
    /// Check a release: every file against its SHA-256, the sign-offs and their signatures, and
    /// (with DATA) whether today's data and tool give the published figures.
    #[command(
        after_help = "Examples:\n  nrr verify 2025-Q4-r1\n  nrr verify 2025-Q4-r1 data\n  nrr verify nrr-book/releases/2025-Q4-r1 --format json\n\nExit code 0: intact (and with DATA, the same figures); 1: a file edited or missing, a\nsign-off or signature that does not hold, or figures that moved."
    )]
    Verify(VerifyArgs),
    /// Explain every figure that differs between two releases, or a release and today's data,
    /// split by cause (tool version, settings, FX rates, input rows) so the parts sum exactly
    /// to the change, with the customers and input lines behind each (docs/publishing.md).
    #[command(
        after_help = "Examples:\n  nrr diff 2025-Q4-r1 2025-Q4-r2\n  nrr diff 2025-Q4-r1 data   # today's data against the release\n  nrr diff 2025-Q4-r1 data --format json -o diff.json\n  nrr diff old-data new-data --format csv --top 50\n\nA and B are each a release (its id in --book, or its directory) or a data directory.\nA data side is read with its own nrr.toml (else the release's on the other side)\nand the window of the release on the other side.\nExit code 0 whether or not figures differ; 2 for usage errors."
    )]
    Diff(DiffArgs),
    /// Print one role's review packet of a release (docs/publishing.md#review-packets):
    /// finance, success or marketing, computed from the release's pinned inputs.
    #[command(
        after_help = "Examples:\n  nrr review 2025-Q4-r1 --role finance\n  nrr review TTM-2025-12-r1 --role success --book finance/nrr-book\n  nrr review 2025-Q4-r1 --role marketing --format json\n\nfinance: the policies, the row ledger with each exclusion's amount, the revenue_movements\ncheck, expansion and contraction by reason, and the customers whose movements another\npolicy value would change. success: churned and contracted accounts above\n[review] churn_threshold with their explanation and sign-off notes. marketing: segment\nvalues whose NRR or GRR moved more than [review] segment_shift_threshold."
    )]
    Review(ReviewArgs),
    /// Write a deterministic, realistic synthetic dataset (items.csv, customers.csv, fx.csv).
    #[command(
        after_help = "Examples:\n  nrr generate --customers 100000 --months 36 --seed 1 --out data-100k\n  nrr generate --customers 5000 --out demo --currencies"
    )]
    Generate(GenerateArgs),
    /// Print one SQL script (Spark, DuckDB or PostgreSQL) that creates, over a table of
    /// `nrr lines`, views with the same figures: customer-month MRR, movements, the monthly
    /// bridge and frozen-cohort retention.
    #[command(
        after_help = "Examples:\n  nrr lines data -o lines.parquet && nrr sql --dialect duckdb > nrr.sql\n  nrr sql --dialect postgres --lines billing.lines --fx billing.fx --currency USD\n  nrr sql --dialect spark --customers customers --segment segment --from 2024-01 --to 2024-12\n\nViews (prefix nrr_): customer_month, movements, bridge, retention,\nsegment_retention_<COLUMN>; money as exact DECIMAL counts of 1/720720 of the reporting\ncurrency. Columns and how to run it: docs/scale-out.md."
    )]
    Sql(SqlArgs),
    /// Generate a demo dataset and print its report: the quickest way to see nrr at work.
    #[command(after_help = "Examples:\n  nrr demo\n  nrr demo ./demo-data --format json")]
    Demo(DemoArgs),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Aligned tables for a terminal.
    Table,
    /// One JSON object (stable keys, see docs/cli.md).
    Json,
    /// The period table as CSV.
    Csv,
    /// One self-contained HTML page with charts and drill-down (docs/cli.md#html); best with
    /// -o FILE.
    Html,
    /// An Excel workbook with live formulas (docs/cli.md#xlsx); needs -o FILE or a redirected
    /// stdout.
    Xlsx,
}

/// Formats of `nrr cohorts`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CohortFormat {
    /// Aligned tables for a terminal.
    Table,
    /// One JSON object.
    Json,
    /// The matrix as CSV.
    Csv,
    /// One self-contained HTML page: the matrix as a heatmap.
    Html,
}

/// Formats of commands without a CSV form.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum TextFormat {
    /// Aligned text for a terminal.
    Table,
    /// One JSON object.
    Json,
}

fn parse_currency(s: &str) -> Result<String, String> {
    if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a three-letter ISO 4217 code in capitals, like USD"
        ))
    }
}

fn parse_margin(s: &str) -> Result<nrr_core::money::Decimal, String> {
    nrr_core::money::Decimal::parse(s, 6)
        .filter(|d| !d.is_negative() && d.mantissa <= 10i64.pow(d.decimals))
        .ok_or_else(|| {
            format!("`{s}` is not a fraction between 0 and 1 (like 0.8) with at most 6 decimals")
        })
}

fn parse_month(s: &str) -> Result<Month, String> {
    Month::parse(s).ok_or_else(|| format!("`{s}` is not a month YYYY-MM"))
}

fn parse_date(s: &str) -> Result<nrr_core::date::Date, String> {
    nrr_core::date::Date::parse(s).ok_or_else(|| format!("`{s}` is not a date YYYY-MM-DD"))
}

/// `1`-`12`, or a month's name or its first three letters (`feb`, `July`).
fn parse_month_of_year(s: &str) -> Result<u32, String> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let lower = s.trim().to_ascii_lowercase();
    if let Ok(n) = lower.parse::<u32>() {
        if (1..=12).contains(&n) {
            return Ok(n);
        }
    }
    NAMES
        .iter()
        .position(|n| lower.len() >= 3 && n.starts_with(&lower))
        .map(|i| i as u32 + 1)
        .ok_or_else(|| format!("`{s}` is not a month of the year (1-12, or jan..dec)"))
}

/// `nrr sql`: the engine, the tables and what to compile into the script.
#[derive(Args, Debug, Clone)]
pub(crate) struct SqlArgs {
    /// The SQL engine the script is for.
    #[arg(long, value_enum)]
    pub dialect: DialectArg,
    /// The table of lines (the columns `nrr lines` writes).
    #[arg(long, value_name = "TABLE", default_value = "lines")]
    pub lines: String,
    /// The table of exchange rates (fx.csv's columns: date, currency, rate; one row per
    /// currency and date). Needs --currency.
    #[arg(long, value_name = "TABLE")]
    pub fx: Option<String>,
    /// The table of customer attributes (customers.csv's columns), for --segment.
    #[arg(long, value_name = "TABLE")]
    pub customers: Option<String>,
    /// Repeatable: a column of the customers table; adds the view
    /// <prefix>segment_retention_<COLUMN>.
    #[arg(long, value_name = "COLUMN")]
    pub segment: Vec<String>,
    /// Prefix of every view name.
    #[arg(long, default_value = "nrr_")]
    pub prefix: String,
    /// Reporting currency (lines without a currency are in it; the fx table converts into it).
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    /// First month of the window (YYYY-MM), baked into the script. Default: the month of the
    /// earliest start_date of the lines table, derived when the script runs.
    #[arg(long, value_parser = parse_month)]
    pub from: Option<Month>,
    /// Last month of the window (YYYY-MM), baked into the script. Default: the month of the
    /// latest start_date or end_date not after the engine's CURRENT_DATE.
    #[arg(long, value_parser = parse_month)]
    pub to: Option<Month>,
    /// How a customer paying again after months at zero counts: any-gap (reactivation),
    /// window:N (new after more than N months at zero) or as-expansion.
    #[arg(long, value_name = "any-gap|window:N|as-expansion", default_value = "any-gap", value_parser = data::parse_reactivation)]
    pub reactivation: nrr_core::policy::Reactivation,
    /// First month of the fiscal year (1-12 or jan..dec), as for `nrr report`.
    #[arg(long, value_name = "MONTH", default_value = "1", value_parser = parse_month_of_year)]
    pub fiscal_year_start: u32,
    /// Create tables instead of views: each computed once, in order (for dashboards, and for
    /// engines such as PostgreSQL that compute a chain of views again on every read).
    #[arg(long)]
    pub materialize: bool,
}

/// `--dialect`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum DialectArg {
    /// Spark SQL (spark-sql, spark.sql(...), Databricks SQL).
    Spark,
    /// DuckDB.
    Duckdb,
    /// PostgreSQL.
    Postgres,
}

#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the output to this file instead of stdout (any format; xlsx needs it unless
    /// stdout is redirected).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Cut every figure by this customers.csv column, or by `product` or `plan` of the lines
    /// (a customer's product or plan with the most MRR, month by month); segments sum to the
    /// totals. Repeat for several cuts.
    #[arg(long)]
    pub segment: Vec<String>,
    /// Gross margin used for LTV, as a fraction (0.8 for 80%).
    #[arg(long, value_parser = parse_margin, allow_negative_numbers = true)]
    pub gross_margin: Option<nrr_core::money::Decimal>,
    /// Name a customer that carries more than this share of a period's expansion or churn
    /// (a fraction; default 0.25).
    #[arg(long, value_parser = parse_margin, allow_negative_numbers = true)]
    pub concentration: Option<nrr_core::money::Decimal>,
    /// Name the N cohort customers with the largest churn, contraction and expansion of every
    /// period and TTM (JSON `top_customers`; the table's `top` section, one of the default
    /// sections, shows the latest quarter, year and TTM). 0 turns the lists off.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub top: usize,
    /// Also report usage (metered) revenue per month, apart from MRR: invoices.csv `usage`
    /// lines or Stripe invoice lines of metered prices (docs/metrics.md, "Usage").
    #[arg(long)]
    pub usage: bool,
    /// Table only: the sections to show, in the report's order, comma-separated (summary,
    /// months, quarters, years, ttm, metrics, reasons, concentration, top, bridge, segments,
    /// context, all). Default: summary,quarters,years,top,bridge,segments,context.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub sections: Vec<crate::render::Section>,
}

#[derive(Args, Debug)]
pub(crate) struct MovementsArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// A column per cut, as `nrr report --segment` cuts: a customers.csv column, or `product`
    /// or `plan` of the lines (then moved_out / moved_in rows for customers that switch).
    /// Repeat for several.
    #[arg(long)]
    pub segment: Vec<String>,
    /// Write to this file instead of stdout: `.csv`, or `.parquet` (typed columns).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct CustomerMonthsArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub window: WindowArgs,
}

#[derive(Args, Debug)]
pub(crate) struct LinesArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Write to this file instead of stdout: `.csv`, or `.parquet` (typed columns).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Cohort granularity.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum By {
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
}

impl From<By> for nrr_core::cohort::CohortBy {
    fn from(b: By) -> Self {
        match b {
            By::Month => nrr_core::cohort::CohortBy::Month,
            By::Quarter => nrr_core::cohort::CohortBy::Quarter,
        }
    }
}

/// What a cohort cell measures.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Metric {
    /// MRR at age k / MRR at age 0.
    Revenue,
    /// Paying customers at age k / cohort size.
    Logos,
}

impl From<Metric> for nrr_core::cohort::CohortMetric {
    fn from(m: Metric) -> Self {
        match m {
            Metric::Revenue => nrr_core::cohort::CohortMetric::Revenue,
            Metric::Logos => nrr_core::cohort::CohortMetric::Logos,
        }
    }
}

#[derive(Args, Debug)]
pub(crate) struct CohortsArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Cohorts by month or by quarter.
    #[arg(long, value_enum, default_value_t = By::Month)]
    pub by: By,
    /// Revenue retention or logo retention.
    #[arg(long, value_enum, default_value_t = Metric::Revenue)]
    pub metric: Metric,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CohortFormat::Table)]
    pub format: CohortFormat,
    /// Write the output to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct ExplainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// The customer_id to explain.
    #[arg(long)]
    pub customer: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextFormat::Table)]
    pub format: TextFormat,
}

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextFormat::Table)]
    pub format: TextFormat,
}

#[derive(Args, Debug)]
pub(crate) struct InitArgs {
    /// Data directory (as for `nrr report`), or one revenue file.
    pub data: PathBuf,
    /// Write to this file instead of nrr.toml beside the data; `-` for stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// The book's directory (`--book`).
#[derive(Args, Debug)]
pub(crate) struct BookArgs {
    /// The book: the directory of published releases.
    #[arg(long, value_name = "DIR", default_value = "nrr-book")]
    pub book: PathBuf,
}

#[derive(Args, Debug)]
pub(crate) struct PublishArgs {
    /// Data directory (as for `nrr report`), or one revenue file.
    #[arg(
        required_unless_present = "final_release",
        conflicts_with = "final_release"
    )]
    pub data: Option<PathBuf>,
    /// The period to publish: 2025-11, 2025-Q4, 2025 (FY2025 with a fiscal year) or
    /// TTM-2025-12.
    #[arg(long, required_unless_present = "final_release")]
    pub period: Option<String>,
    #[command(flatten)]
    pub book: BookArgs,
    /// Make this release final: every role of its [review] roles must have signed off its
    /// hash. A final release is never changed.
    #[arg(long = "final", value_name = "RELEASE", conflicts_with_all = ["period", "restate"])]
    pub final_release: Option<String>,
    /// Publish a period that has a final release again: the new release supersedes it and
    /// stores their diff.
    #[arg(long, requires = "reason")]
    pub restate: bool,
    /// Why the period is restated (with --restate).
    #[arg(long, requires = "restate")]
    pub reason: Option<String>,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// First month (YYYY-MM) of the report. Default: the month of the earliest start_date.
    #[arg(long, value_parser = parse_month)]
    pub from: Option<Month>,
    /// Last month (YYYY-MM). Default: the month of the as-of date.
    #[arg(long, value_parser = parse_month)]
    pub to: Option<Month>,
    /// The as-of date (YYYY-MM-DD). Default: as `nrr report` decides it; the release pins it.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<nrr_core::date::Date>,
}

#[derive(Args, Debug)]
pub(crate) struct SignoffArgs {
    /// The release: its id in the book (2025-Q4-r1) or its directory.
    pub release: String,
    #[command(flatten)]
    pub book: BookArgs,
    /// The role signing off.
    #[arg(long, value_enum)]
    pub role: config::Role,
    /// Who signs off.
    #[arg(long)]
    pub by: String,
    /// A note for the record (repeatable); `CUSTOMER: text` annotates that customer.
    #[arg(long)]
    pub note: Vec<String>,
    /// Sign with this SSH private key (`ssh-keygen -Y sign`); `nrr verify` checks it.
    #[arg(long, value_name = "KEY")]
    pub sign_key: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The release: its id in the book (2025-Q4-r1) or its directory.
    pub release: String,
    /// Also recompute the release's period from this data (with its own nrr.toml, else the
    /// release's, and the release's window) and compare the files and figures.
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub book: BookArgs,
    /// A journal head noted earlier (the SHA-256 `nrr verify` printed): the book's journal must
    /// still hold that line, so no line up to it was removed or rewritten since.
    #[arg(long, value_name = "SHA256")]
    pub expect_head: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextFormat::Table)]
    pub format: TextFormat,
}

/// `nrr review`.
#[derive(Args, Debug)]
pub(crate) struct ReviewArgs {
    /// The release: its id in the book (2025-Q4-r1) or its directory.
    pub release: String,
    #[command(flatten)]
    pub book: BookArgs,
    /// Whose packet: finance, success or marketing.
    #[arg(long, value_enum)]
    pub role: config::Role,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextFormat::Table)]
    pub format: TextFormat,
    /// finance: the customer-months listed per policy alternative (the rest are counted).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
}

#[derive(Args, Debug)]
pub(crate) struct GenerateArgs {
    /// Number of customers.
    #[arg(long, default_value_t = 1000)]
    pub customers: u64,
    /// Number of months.
    #[arg(long, default_value_t = 36)]
    pub months: u32,
    /// Random seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output directory (created if missing). Files already there are not overwritten
    /// unless --force is given.
    #[arg(long)]
    pub out: PathBuf,
    /// Overwrite items.csv, customers.csv, fx.csv and items.parquet in --out if they exist.
    #[arg(long)]
    pub force: bool,
    /// Bill a few customers in EUR and GBP and write monthly fx.csv rates.
    #[arg(long)]
    pub currencies: bool,
    /// First month of the data (YYYY-MM).
    #[arg(long, value_parser = parse_month, default_value = "2023-01")]
    pub start: Month,
    /// Also write items.parquet (typed columns) beside items.csv.
    #[arg(long)]
    pub parquet: bool,
}

#[derive(Args, Debug)]
pub(crate) struct CompareArgs {
    /// Data directory (as for `nrr report`), or one revenue file.
    pub data: PathBuf,
    /// The two presets to compare: --preset A --preset B.
    #[arg(long, value_enum, value_name = "TOOL", required = true)]
    pub preset: Vec<PresetArg>,
    /// Reporting currency (ISO 4217). Default: the only currency in the data.
    #[arg(long, value_parser = parse_currency)]
    pub currency: Option<String>,
    /// Compare even when rows are rejected.
    #[arg(long)]
    pub skip_invalid: bool,
    /// The revenue input to read (as for `nrr report`).
    #[arg(long, value_enum)]
    pub source: Option<SourceArg>,
    #[command(flatten)]
    pub window: WindowArgs,
    /// The configuration file: its currency, source, timezone and fiscal year apply to both
    /// sides; its policies and preset do not (each side is its preset).
    #[command(flatten)]
    pub config: ConfigArgs,
    /// How many differing customer-months to list.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextFormat::Table)]
    pub format: TextFormat,
}

#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// Where to write the demo data (default: a temporary directory, removed afterwards).
    pub dir: Option<PathBuf>,
    /// Number of demo customers.
    #[arg(long, default_value_t = 2000)]
    pub customers: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Table only: the sections to show (as `nrr report --sections`).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub sections: Vec<crate::render::Section>,
}

/// Parses the command line, noting which policy flags were given (they win over a preset).
/// `nrr report` arguments from an argument list (the first item is the program name): how
/// publishing computes a release's report from its pinned inputs.
pub(crate) fn report_args<I, T>(argv: I) -> Result<ReportArgs, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    #[derive(Parser, Debug)]
    #[command(name = "nrr report")]
    struct ReportOnly {
        #[command(flatten)]
        a: ReportArgs,
    }
    Ok(ReportOnly::try_parse_from(argv)?.a)
}

pub(crate) fn parse() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    if let Some((_, sub)) = matches.subcommand() {
        let given = |id: &str| {
            sub.try_get_raw(id).is_ok_and(|v| v.is_some())
                && sub.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
        };
        let g = Given {
            churn_recognition: given("churn_recognition"),
            discounts: given("discounts"),
            past_due: given("past_due"),
            pauses: given("pauses"),
            full_refunds: given("full_refunds"),
            reactivation: given("reactivation"),
            timezone: given("timezone"),
        };
        match &mut cli.command {
            Command::Report(a) => a.data.given = g,
            Command::Movements(a) => a.data.given = g,
            Command::CustomerMonths(a) => a.data.given = g,
            Command::Lines(a) => a.data.given = g,
            Command::Cohorts(a) => a.data.given = g,
            Command::Explain(a) => a.data.given = g,
            Command::Check(a) => a.data.given = g,
            _ => {}
        }
    }
    cli
}

/// Formats of `nrr diff`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum DiffFormat {
    /// Aligned text for a terminal.
    Table,
    /// One JSON object (docs/cli.md, `nrr diff`).
    Json,
    /// One CSV table: figure, customer and line rows (docs/cli.md, `nrr diff`).
    Csv,
}

#[derive(Args, Debug)]
pub(crate) struct DiffArgs {
    /// A: a release (its id in the book, or its directory) or a data directory.
    pub a: String,
    /// B: a release or a data directory.
    pub b: String,
    #[command(flatten)]
    pub book: BookArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// How many customers to list per cause, largest first.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}
