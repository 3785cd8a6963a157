//! The engine: monthly movements and frozen-cohort retention, computed customer by customer.
//!
//! Nothing here materialises customers x months. Lines are grouped by customer (a counting
//! sort); each customer's month-end MRR over the window comes from a difference array over its
//! own lines (a line adds its MRR from the month of `start_date` up to, not including, the month
//! of `end_date`); the customer's movements and cohort contributions are added to small
//! per-thread accumulators, which are merged at the end. Work is split across threads by
//! customer ranges with rayon, so the result does not depend on input order or thread count.
//!
//! The rooms, in the order a customer passes through them:
//! - [`plan`]: the window laid out as slots, its periods and exchange rates;
//! - [`series`]: one customer's month-end values (and its pauses and line sets);
//! - [`movement`]: the monthly category of a customer-month, added to the month sums;
//! - [`retention`]: the customer's frozen-cohort contribution to each period;
//! - [`segment`]: cuts by a customer attribute or by the lines' product or plan;
//! - [`attribution`]: why a customer expanded or contracted;
//! - [`sums`]: the per-month and per-period sums the above add to;
//! - [`figures`]: the sums turned into the report's rows;
//! - [`window`]: the reported months and the as-of date.

pub(crate) mod attribution;
mod figures;
#[doc(hidden)]
pub mod kernels;
pub(crate) mod movement;
mod notes;
pub(crate) mod plan;
mod retention;
pub(crate) mod segment;
pub(crate) mod series;
mod sums;
mod window;

pub use crate::policy::Reactivation;
pub(crate) use crate::policy::Start;
pub(crate) use movement::{categorise, movement_at, start_kind, Step};
pub use movement::{classify, Movement};
pub use notes::attach_notes;
pub(crate) use plan::Plan;
pub(crate) use segment::line_segments;
pub use segment::{LineColumn, SegmentSpec};
pub(crate) use series::{customer_values, group_by_customer, value_at, Groups, Scratch};
pub use window::{as_of, window, MAX_WINDOW_MONTHS};

use crate::dataset::Dataset;
use crate::date::{Date, Month};
use crate::money::{format_scaled, Decimal};
use crate::report::{Policies, Report, Segments, Window};
use crate::CoreError;
use figures::{figures, FigureCtx};
use movement::{add_months, Customer};
use rayon::prelude::*;
use retention::add_periods;
use segment::add_customer_by_line;
use sums::Sums;

/// The gross margin for LTV when none is given: 1.
pub const GROSS_MARGIN_DEFAULT: Decimal = Decimal {
    mantissa: 1,
    decimals: 0,
};

/// The concentration threshold when none is given: 0.25.
pub const CONCENTRATION_DEFAULT: Decimal = Decimal {
    mantissa: 25,
    decimals: 2,
};

/// Options for [`compute`].
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// First reported month (default: the dataset's default window).
    pub from: Option<Month>,
    /// Last reported month.
    pub to: Option<Month>,
    /// Segment cut.
    pub segment: Option<SegmentSpec>,
    /// Rejected rows that were skipped (`--skip-invalid`), echoed in the report.
    pub skipped_invalid_rows: u64,
    /// Gross margin for LTV (`--gross-margin`); 1 when not given.
    pub gross_margin: Option<crate::money::Decimal>,
    /// Share of a period's expansion or churn above which one customer is named
    /// (`--concentration`); 0.25 when not given.
    pub concentration: Option<crate::money::Decimal>,
    /// How a customer that returns after months at zero counts (`--reactivation`).
    pub reactivation: Reactivation,
    /// How many customers each period's `top_customers` lists name per movement (`--top`;
    /// totals only, not segments); 0 (the default here) lists none.
    pub top: usize,
    /// The as-of date given by the user; `None`: the data's own (see [`as_of`]).
    pub as_of: Option<Date>,
    /// Today's date, from the caller's clock: items data cannot tell a past end_date from a
    /// scheduled one, so dates after today are not taken as past. `None`: every date is past.
    pub today: Option<Date>,
    /// First month of the fiscal year, 1-12 (0 or 1: January): quarters and years start there.
    pub fiscal_year_start: u32,
}

/// Computes the full report: monthly bridge, periods (months, complete quarters and years)
/// and trailing-twelve-month retention, optionally cut by a segment.
///
/// ```
/// use nrr_core::dataset::{DatasetBuilder, LineInput, Origin, SourceKind};
/// use nrr_core::{date::Date, money::Decimal, engine::{compute, Options}};
///
/// let mut b = DatasetBuilder::new(SourceKind::Items);
/// let f = b.add_file("items.csv");
/// let mut line = |c: &str, amount: &str, start: &str, end: Option<&str>| b.push_line(LineInput {
///     customer: c, currency: "USD", amount: Decimal::parse(amount, 6).unwrap(), interval: 1,
///     start: Date::parse(start).unwrap(), end: end.map(|e| Date::parse(e).unwrap()),
///     origin: Origin { file: f, line: 2 },
/// });
/// line("a", "100", "2024-01-01", Some("2024-02-01"));
/// line("a", "130", "2024-02-01", None);
/// line("b", "50", "2024-01-01", Some("2024-02-10"));
/// let reporting = b.reporting(None).unwrap();
/// let ds = b.finish(&reporting).unwrap();
/// let r = compute(&ds, &Options::default()).unwrap();
/// let feb = r.periods.iter().find(|p| p.period == "2024-02").unwrap();
/// assert_eq!(feb.retention.starting_mrr.to_string(), "150.00");
/// assert_eq!(feb.retention.expansion.to_string(), "30.00");
/// assert_eq!(feb.retention.churn.to_string(), "50.00");
/// assert_eq!(feb.retention.nrr, Some(0.866667));
/// ```
pub fn compute(ds: &Dataset, opts: &Options) -> Result<Report, CoreError> {
    let (from, to) = window(ds, opts)?;
    let mut plan = Plan::with_fiscal_year(ds, from, to, opts.fiscal_year_start);
    plan.top = opts.top;
    let by_segment = sum_customers(ds, &plan, opts)?;
    plan.missing_rates(ds)?;
    let mut all = Sums::new(&plan);
    for a in &by_segment {
        all.merge(a, &plan, &ds.customers);
    }
    let gross_margin = opts.gross_margin.unwrap_or(GROSS_MARGIN_DEFAULT);
    let concentration = opts.concentration.unwrap_or(CONCENTRATION_DEFAULT);
    let ctx = FigureCtx {
        moved: false,
        pauses: !ds.pauses.is_empty(),
        gross_margin,
        concentration,
        ids: &ds.customers,
        top: opts.top,
    };
    let totals = figures(&ds.scale, &plan, &all, &ctx);
    let segments = opts.segment.as_ref().map(|spec| Segments {
        column: spec.column.clone(),
        values: spec
            .values
            .iter()
            .zip(&by_segment)
            .map(|(v, sums)| {
                let ctx = FigureCtx {
                    moved: spec.by_line.is_some(),
                    top: 0,
                    ..ctx
                };
                (v.clone(), figures(&ds.scale, &plan, sums, &ctx))
            })
            .collect(),
    });
    Ok(Report {
        tool: "nrr",
        version: env!("CARGO_PKG_VERSION"),
        definitions: "docs/metrics.md",
        currency: ds.currency().to_string(),
        policies: Policies {
            reactivation: opts.reactivation.label(),
            ..Policies::default()
        },
        gross_margin: format_scaled(i128::from(gross_margin.mantissa), gross_margin.decimals),
        concentration_threshold: format_scaled(
            i128::from(concentration.mantissa),
            concentration.decimals,
        ),
        window: Window {
            start_month: from,
            end_month: to,
        },
        as_of: as_of(ds, opts),
        fiscal_year_start: opts.fiscal_year_start.max(1),
        inputs: ds.files.clone(),
        rows: ds.ledger.clone(),
        skipped_invalid_rows: opts.skipped_invalid_rows,
        notices: ds.notices.clone(),
        benchmark_context: crate::benchmarks::context_for(ds.currency(), &totals),
        movement_check: None,
        usage: None,
        config: None,
        settings: Vec::new(),
        months: totals.months,
        periods: totals.periods,
        ttm: totals.ttm,
        segment_cuts: segments.iter().cloned().collect(),
        segments,
    })
}

/// Customers per chunk: each chunk has its own sums and scratch buffers (moving the scratch
/// through a per-customer fold costs more than the work on most customers).
const CHUNK: usize = 2048;

/// Every customer's movements and cohort contributions, summed per segment value (one set
/// of sums without segments), over chunks of customers in parallel.
fn sum_customers(ds: &Dataset, plan: &Plan, opts: &Options) -> Result<Vec<Sums>, CoreError> {
    let groups = group_by_customer(ds);
    let n_values = opts.segment.as_ref().map_or(1, |s| s.values.len().max(1));
    (0..ds.customers.len().div_ceil(CHUNK))
        .into_par_iter()
        .map(|k| sum_chunk(ds, plan, opts, &groups, k))
        .try_reduce(
            || vec![Sums::new(plan); n_values],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(&b) {
                    x.merge(y, plan, &ds.customers);
                }
                Ok(a)
            },
        )
}

/// The sums of chunk `k` of the customers (see [`sum_customers`]).
fn sum_chunk(
    ds: &Dataset,
    plan: &Plan,
    opts: &Options,
    groups: &Groups,
    k: usize,
) -> Result<Vec<Sums>, CoreError> {
    let n_values = opts.segment.as_ref().map_or(1, |s| s.values.len().max(1));
    let segment_of = |c: usize| {
        opts.segment
            .as_ref()
            .map_or(0, |s| s.of_customer[c] as usize)
    };
    let by_line = opts.segment.as_ref().filter(|s| s.by_line.is_some());
    let mut sums = vec![Sums::new(plan); n_values];
    let mut scratch = Scratch::default();
    for c in k * CHUNK..((k + 1) * CHUNK).min(ds.customers.len()) {
        let lines = &groups.order[groups.offsets[c] as usize..groups.offsets[c + 1] as usize];
        let Some(first) = customer_values(ds, plan, lines, &mut scratch)? else {
            continue;
        };
        let customer = Customer {
            index: c as u32,
            first,
            reactivation: opts.reactivation,
        };
        match by_line {
            Some(spec) => add_customer_by_line(ds, plan, customer, spec, &mut scratch, &mut sums)?,
            None => add_customer(ds, plan, customer, &scratch, &mut sums[segment_of(c)])?,
        }
    }
    Ok(sums)
}

/// Adds a customer of one segment (or of none) to its sums.
fn add_customer(
    ds: &Dataset,
    plan: &Plan,
    customer: Customer,
    scratch: &Scratch,
    sums: &mut Sums,
) -> Result<(), CoreError> {
    add_months(ds, plan, customer, scratch, &mut sums.months);
    add_periods(ds, plan, scratch, &mut sums.periods, customer.index, None)
}
