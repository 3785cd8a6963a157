//! Every customer-month movement as a row: the rows behind the bridge (`nrr movements`).
//!
//! Each row is one customer's movement of one category in one month, classified by the same
//! rules as the report ([`crate::engine::compute`]), so for every month and category the
//! rows' `amount`s sum exactly to the report's figure, and with segments to each segment's
//! figure (docs/metrics.md, "Movement rows").
//!
//! Two amounts per row:
//! - `amount`: the bridge's amount, in constant currency (the report's `fx` policy): new,
//!   reactivation and resumed at the month's rates; expansion, contraction, churn and paused
//!   at the previous month's rates; an `fx` row carries the rest of the customer's change
//!   (value(M, M) - value(M, M-1), signed).
//! - `amount_at_month_rates`: the same movement with every line valued at the month's rates
//!   (last_day(M)); the `fx` row then holds what the rates did to the previous month's MRR.
//!
//! Either column, signed (contraction, churn, paused and moved_out negative), sums for each
//! customer-month to cur - prev, so both roll opening MRR forward to closing MRR.

use crate::cohort::{CohortBy, CohortPass, WithAverage};
use crate::dataset::Dataset;
use crate::date::Month;
use crate::engine::attribution::Reason;
use crate::engine::{
    categorise, customer_values, group_by_customer, line_segments, start_kind, value_at, window,
    Movement, Options, Plan, Scratch, SegmentSpec, Step,
};
use crate::money::Money;
use crate::report::Window;
use crate::CoreError;
use rayon::prelude::*;
use serde::Serialize;

mod largest;

pub(crate) use largest::largest_of;
pub use largest::{largest_movements, Largest};

/// A movement row's category: a customer-month [`Movement`], or one of the rows only the
/// movement list has. The order (the movements' own, then fx, moved_out, moved_in) is the
/// order of the rows within one customer-month.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// A movement of the bridge (with `--reactivation as-expansion`, a return is an
    /// expansion).
    Movement(Movement),
    /// Change from exchange rates alone (signed).
    Fx,
    /// `--segment product|plan`: the previous month's MRR leaving the customer's old value ...
    MovedOut,
    /// ... and entering its new one.
    MovedIn,
}

impl Category {
    /// The name written in the files (`moved_out`, ...), as the report's JSON keys.
    pub fn name(self) -> &'static str {
        match self {
            Category::Movement(m) => m.name(),
            Category::Fx => "fx",
            Category::MovedOut => "moved_out",
            Category::MovedIn => "moved_in",
        }
    }

    /// The number of categories: [`Category::index`] is below it.
    pub(crate) const COUNT: usize = 10;

    /// A dense index of the category, in [`Category`] order.
    pub(crate) fn index(self) -> usize {
        match self {
            Category::Movement(m) => match m {
                Movement::New => 0,
                Movement::Reactivation => 1,
                Movement::Expansion => 2,
                Movement::Contraction => 3,
                Movement::Churn => 4,
                Movement::Paused => 5,
                Movement::Resumed => 6,
            },
            Category::Fx => 7,
            Category::MovedOut => 8,
            Category::MovedIn => 9,
        }
    }

    /// +1 for a category that adds MRR in the bridge, -1 for one that takes it away
    /// (contraction, churn, paused, moved_out; their amounts are positive magnitudes), and +1
    /// for fx, whose amount carries its own sign.
    pub fn sign(self) -> i128 {
        match self {
            Category::Movement(Movement::Contraction | Movement::Churn | Movement::Paused)
            | Category::MovedOut => -1,
            _ => 1,
        }
    }
}

impl Serialize for Category {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl From<Movement> for Category {
    fn from(m: Movement) -> Category {
        Category::Movement(m)
    }
}

/// One customer's movement of one category in one month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovementRow {
    /// The month.
    pub month: Month,
    /// The customer.
    pub customer_id: String,
    /// The category.
    pub category: Category,
    /// Expansion and contraction: why (`seats`, `price`, `plan`, `cross_sell`,
    /// `product_removed`, `interval`, `mixed`; docs/metrics.md "Expansion quality").
    pub reason: Option<&'static str>,
    /// `moved_out` and `moved_in`: the index into [`Movements::segments`] of the cut whose
    /// value changed.
    pub moved_cut: Option<usize>,
    /// The bridge's amount, in constant currency (positive; fx signed).
    pub amount: Money,
    /// The movement with every line at the month's rates (positive in all but rare
    /// multi-currency cases; fx signed).
    pub amount_at_month_rates: Money,
    /// For each cut of [`Movements::segments`], the index of the row's value in its `values`.
    pub segments: Vec<u32>,
}

/// A segment cut the rows carry a column for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentColumn {
    /// The `--segment` column (`segment`, `region`, `product`, `plan`).
    pub column: String,
    /// Its values; a row names one by index.
    pub values: Vec<String>,
}

/// Every customer-month movement of the window, ordered by month, customer id, category (in
/// [`Category`] order) and, for moves, cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Movements {
    /// Reporting currency.
    pub currency: String,
    /// Reported months.
    pub window: Window,
    /// The segment cuts, in the order asked for.
    pub segments: Vec<SegmentColumn>,
    /// The rows.
    pub rows: Vec<MovementRow>,
}

impl Movements {
    /// The value of cut `k` on `row`.
    pub fn segment_value(&self, row: &MovementRow, k: usize) -> &str {
        &self.segments[k].values[row.segments[k] as usize]
    }

    /// Each row's `amount` and `amount_at_month_rates` in whole units of `10^-places`, for
    /// output with a fixed number of decimals. A value with at most `places` decimals is
    /// exact; any other is rounded down or up (by less than a unit) so that the rows of each
    /// month and category add up to their exact sum rounded half-even at `places`
    /// ([`crate::money::allocate`]); within that, the rows of each value of the first cut add
    /// up to their exact sum rounded down or up (the total is shared out among the values
    /// first). So a pivot of the rounded rows by month and category gives the report's exact
    /// figure at `places` decimals, not an accumulation of row roundings. `moved_out` and
    /// `moved_in` rows, twins that cancel, are each rounded half-even. `None` when the
    /// arithmetic overflows.
    pub fn scaled_amounts(&self, places: u32) -> Option<Vec<[i128; 2]>> {
        let amount = self.scaled_column(places, |r| r.amount)?;
        let at_month_rates = self.scaled_column(places, |r| r.amount_at_month_rates)?;
        Some(
            amount
                .into_iter()
                .zip(at_month_rates)
                .map(|(a, b)| [a, b])
                .collect(),
        )
    }

    /// One amount column of [`Movements::scaled_amounts`].
    fn scaled_column(&self, places: u32, value: fn(&MovementRow) -> Money) -> Option<Vec<i128>> {
        let mut out = vec![0i128; self.rows.len()];
        let value = |i: usize| value(&self.rows[i]);
        let mut start = 0;
        while start < self.rows.len() {
            let month = self.rows[start].month;
            let end = start
                + self.rows[start..]
                    .iter()
                    .position(|r| r.month != month)
                    .unwrap_or(self.rows.len() - start);
            // The month's rows by category, then by the first cut's value (one group without
            // cuts).
            let mut groups: Vec<(Category, u32, Vec<usize>)> = Vec::new();
            for i in start..end {
                let (c, v) = (
                    self.rows[i].category,
                    self.rows[i].segments.first().copied().unwrap_or(0),
                );
                match groups.iter_mut().find(|g| g.0 == c && g.1 == v) {
                    Some(g) => g.2.push(i),
                    None => groups.push((c, v, vec![i])),
                }
            }
            let mut categories: Vec<Category> = groups.iter().map(|g| g.0).collect();
            categories.sort();
            categories.dedup();
            for category in categories {
                let subs: Vec<&Vec<usize>> = groups
                    .iter()
                    .filter(|g| g.0 == category)
                    .map(|g| &g.2)
                    .collect();
                if matches!(category, Category::MovedOut | Category::MovedIn) {
                    for &i in subs.iter().copied().flatten() {
                        out[i] = value(i).scaled(places)?;
                    }
                    continue;
                }
                let den = value(subs[0][0]).denominator;
                let units =
                    |ix: &[usize]| -> Vec<i128> { ix.iter().map(|&i| value(i).units).collect() };
                let sums: Vec<i128> = subs.iter().map(|ix| units(ix).iter().sum()).collect();
                let shares = crate::money::allocate(&sums, den, places, None)?;
                for (ix, share) in subs.into_iter().zip(shares) {
                    let scaled = crate::money::allocate(&units(ix), den, places, Some(share))?;
                    for (&i, v) in ix.iter().zip(scaled) {
                        out[i] = v;
                    }
                }
            }
            start = end;
        }
        Some(out)
    }
}

/// Every customer-month movement over the window of `opts` (its `from`, `to` and
/// `reactivation`; `opts.segment` is not read), with a column for each of `cuts`.
///
/// A row's segment value is the one the report puts its amount in: a customer attribute's
/// value, or with a cut by product or plan the customer's value in the month (in the previous
/// month for churn and paused, which leave from there). A customer whose product or plan
/// changes while it pays gets a `moved_out` row in the old value and a `moved_in` row in the
/// new one, both of the previous month's MRR.
///
/// ```
/// use nrr_core::dataset::{DatasetBuilder, LineInput, Origin, SourceKind};
/// use nrr_core::{date::Date, money::Decimal, engine::Options, movements::movements};
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
/// let m = movements(&ds, &Options::default(), &[]).unwrap();
/// let feb: Vec<_> = m.rows.iter().filter(|r| r.month.to_string() == "2024-02")
///     .map(|r| (r.customer_id.as_str(), r.category.name(), r.amount.to_string())).collect();
/// assert_eq!(feb, [("a", "expansion", "30.00".to_string()), ("b", "churn", "50.00".to_string())]);
/// ```
pub fn movements(
    ds: &Dataset,
    opts: &Options,
    cuts: &[SegmentSpec],
) -> Result<Movements, CoreError> {
    let made = made_rows(ds, opts, cuts, &[], RowOrder::ById)?;
    let order = by_month_order(&made);
    Ok(made.into_movements(ds, cuts, &order))
}

/// The rows by month, then customer id, category and cut. Rows are in customer id order,
/// each customer's by month and category: a stable partition by month gives it.
fn by_month_order(made: &Made) -> Vec<At> {
    let mut by_month: Vec<Vec<At>> = vec![Vec::new(); made.plan_slots];
    for at in made.all() {
        by_month[made.slot(made.row(at))].push(at);
    }
    by_month.into_iter().flatten().collect()
}

/// A movement row before it is written out: the customer by index, amounts in units of the
/// dataset's scale. Kept small (64 bytes): a million customers make 2.4 million of them.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub(crate) amount: i128,
    at_month_rates: i128,
    /// For each cut, the index of the row's value (empty without cuts: no allocation).
    segments: Box<[u32]>,
    pub(crate) month: Month,
    pub(crate) customer: u32,
    pub(crate) category: Category,
    /// Expansion and contraction: why (named by [`Reason::name`]).
    reason: Option<Reason>,
    /// `moved_out` and `moved_in`: the cut whose value changed.
    moved_cut: Option<u16>,
}

// 96 bytes before (a `Vec` of segments, the reason as a `&str`): a third of the pass's memory.
const _: () = assert!(std::mem::size_of::<Row>() <= 64);

/// Where a row is in [`Made`]: its chunk, and its index there. Places order as the rows do.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct At {
    chunk: u32,
    index: u32,
}

impl At {
    fn new(chunk: usize, index: usize) -> At {
        // A chunk holds the rows of CHUNK customers, and there are fewer than 2^32 customers
        // (customer indices are u32): both fit.
        At {
            chunk: chunk as u32,
            index: index as u32,
        }
    }
}

/// Every row of the window, in [`RowOrder`] (each customer's by month, category, cut), in
/// the chunks the pass made them in (not copied into one vector: at a million customers that
/// copy cost as much as the pass).
pub(crate) struct Made {
    chunks: Vec<Vec<Row>>,
    /// The window's slot 0: the month before it.
    pub(crate) base: Month,
    pub(crate) plan_slots: usize,
    window: Window,
    /// The cohort matrices asked for ([`made_rows`]'s `cohorts_by`), from the same pass.
    pub(crate) cohorts: Vec<[WithAverage; 2]>,
}

impl Made {
    /// The slot of `row`'s month.
    pub(crate) fn slot(&self, row: &Row) -> usize {
        (row.month.index() - self.base.index()) as usize
    }

    /// The number of rows.
    pub(crate) fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    /// The row at `at`.
    pub(crate) fn row(&self, at: At) -> &Row {
        &self.chunks[at.chunk as usize][at.index as usize]
    }

    /// Every row's place, in row order.
    pub(crate) fn all(&self) -> impl Iterator<Item = At> + '_ {
        self.chunks
            .iter()
            .enumerate()
            .flat_map(|(c, rows)| (0..rows.len()).map(move |i| At::new(c, i)))
    }

    /// The rows at `order` as [`Movements`].
    fn into_movements(self, ds: &Dataset, cuts: &[SegmentSpec], order: &[At]) -> Movements {
        let money = |u: i128| ds.scale.money(u);
        let rows = order
            .par_iter()
            .map(|&at| {
                let r = self.row(at);
                let expansion = r.category == Category::Movement(Movement::Expansion);
                MovementRow {
                    month: r.month,
                    customer_id: ds.customers.get(r.customer as usize).to_string(),
                    category: r.category,
                    reason: r.reason.map(|why| why.name(expansion)),
                    moved_cut: r.moved_cut.map(usize::from),
                    amount: money(r.amount),
                    amount_at_month_rates: money(r.at_month_rates),
                    segments: r.segments.to_vec(),
                }
            })
            .collect();
        Movements {
            currency: ds.currency().to_string(),
            window: self.window,
            segments: cuts
                .iter()
                .map(|s| SegmentColumn {
                    column: s.column.clone(),
                    values: s.values.clone(),
                })
                .collect(),
            rows,
        }
    }
}

/// The order of the customers whose rows [`made_rows`] makes (each customer's rows are
/// adjacent, by month, category and cut).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum RowOrder {
    /// Customer id order: a stable partition by month then gives [`movements`]' order.
    ById,
    /// The dataset's customer order: no sort of a million ids, for a caller that sorts only
    /// the rows it keeps ([`largest_of`]).
    ByIndex,
}

/// Every row of the window of `opts`, with a value for each of `cuts`; in the same pass over
/// the customers, the cohort matrices of `cohorts_by` ([`crate::cohort::cohorts_by`]).
pub(crate) fn made_rows(
    ds: &Dataset,
    opts: &Options,
    cuts: &[SegmentSpec],
    cohorts_by: &[CohortBy],
    order: RowOrder,
) -> Result<Made, CoreError> {
    let (from, to) = window(ds, opts)?;
    let plan = Plan::new(ds, from, to);
    let groups = group_by_customer(ds);
    let cohort_pass = CohortPass::new(from, to, cohorts_by);
    const CHUNK: usize = 2048;
    let n = ds.customers.len();
    let mut by_id: Vec<u32> = (0..n as u32).collect();
    if order == RowOrder::ById {
        // Ids are unique: an unstable sort is exact.
        by_id.par_sort_unstable_by(|&a, &b| ds.customers.cmp_ids(a, b));
    }
    let chunks = by_id
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut rows = Vec::new();
            let mut cohorts = cohort_pass.start();
            let mut scratch = Scratch::default();
            let mut cut_values: Vec<Vec<u32>> = vec![Vec::new(); cuts.len()];
            for c in chunk.iter().map(|&c| c as usize) {
                let lines =
                    &groups.order[groups.offsets[c] as usize..groups.offsets[c + 1] as usize];
                let Some(first) = customer_values(ds, &plan, lines, &mut scratch)? else {
                    continue;
                };
                cohort_pass.add(&mut cohorts, &plan, &scratch, first);
                for (spec, seg) in cuts.iter().zip(&mut cut_values) {
                    seg.clear();
                    if spec.by_line.is_some() {
                        line_segments(ds, &plan, spec, &mut scratch)?;
                        seg.extend_from_slice(&scratch.segments);
                    }
                }
                let customer = Customer {
                    index: c,
                    first,
                    cut_values: &cut_values,
                };
                customer_rows(ds, &plan, opts, cuts, &customer, &scratch, &mut rows)?;
            }
            Ok::<_, CoreError>((rows, cohorts))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Rates a value needed and fx.csv does not give: one error for all, as the report's.
    plan.missing_rates(ds)?;
    let mut cohorts = cohort_pass.start();
    for (_, sums) in &chunks {
        CohortPass::merge(&mut cohorts, sums);
    }
    Ok(Made {
        cohorts: cohort_pass.finish(ds, &cohorts),
        chunks: chunks.into_iter().map(|(rows, _)| rows).collect(),
        base: plan.base,
        plan_slots: plan.slots,
        window: Window {
            start_month: from,
            end_month: to,
        },
    })
}

/// One customer while its rows are made.
struct Customer<'a> {
    index: usize,
    /// First paying month ever.
    first: Month,
    /// Per cut by product or plan, the customer's value per slot (empty for other cuts).
    cut_values: &'a [Vec<u32>],
}

/// Appends one customer's rows (after [`customer_values`] and the line cuts' values).
fn customer_rows(
    ds: &Dataset,
    plan: &Plan,
    opts: &Options,
    cuts: &[SegmentSpec],
    c: &Customer<'_>,
    scratch: &Scratch,
    rows: &mut Vec<Row>,
) -> Result<(), CoreError> {
    for s in 1..plan.slots {
        let step = Step::at(scratch, s);
        let (prev, now) = (step.prev, step.now);
        let moved: Vec<usize> = (0..cuts.len())
            .filter(|&k| {
                let seg = &c.cut_values[k];
                !seg.is_empty() && prev > 0 && now > 0 && seg[s - 1] != seg[s]
            })
            .collect();
        if now == prev && step.at_constant_currency == prev && moved.is_empty() {
            continue; // nothing moved, not even the exchange rate
        }
        // The segment values the report puts this month's movement in: the month's, or the
        // previous month's when the customer left (churn, paused).
        let slot = if now > 0 { s } else { s - 1 };
        let values: Vec<u32> = cuts
            .iter()
            .zip(c.cut_values)
            .map(|(spec, seg)| match spec.by_line {
                Some(_) => seg[slot],
                None => spec.of_customer[c.index],
            })
            .collect();
        let (movement, fx, is_return) = categorise(step, || {
            start_kind(ds, plan, scratch, s, c.first, opts.reactivation)
        });
        // The previous month's lines at this month's rates.
        let prev_now = if prev > 0 {
            value_at(plan, scratch, s - 1, s)
        } else {
            0
        };
        let month = plan.month(s);
        let row = |category, reason, amount, at_month_rates, values: Vec<u32>| Row {
            month,
            customer: c.index as u32,
            category,
            reason,
            moved_cut: None,
            amount,
            at_month_rates,
            segments: values.into_boxed_slice(),
        };
        let mut change_at_month_rates = 0;
        if let Some((m, v)) = movement {
            let category = Category::from(m);
            // Named when the row is written out (`Reason::name`: by the category).
            let why = || Some(scratch.reason(ds, plan, s - 1, s));
            let (reason, at_month_rates) = match m {
                Movement::Expansion if is_return => (why(), v),
                Movement::Expansion => (why(), now - prev_now),
                Movement::Contraction => (why(), prev_now - now),
                Movement::Churn | Movement::Paused => (None, prev_now),
                _ => (None, v), // new, reactivation, resumed: the month's MRR
            };
            change_at_month_rates = category.sign() * at_month_rates;
            rows.push(row(category, reason, v, at_month_rates, values.clone()));
        }
        let fx_at_month_rates = now - prev - change_at_month_rates;
        if fx != 0 || fx_at_month_rates != 0 {
            rows.push(row(
                Category::Fx,
                None,
                fx,
                fx_at_month_rates,
                values.clone(),
            ));
        }
        // Every moved_out (by cut), then every moved_in: the rows' order within a
        // customer-month is by category, then cut.
        for (category, slot) in [(Category::MovedOut, s - 1), (Category::MovedIn, s)] {
            for &k in &moved {
                let mut v = values.clone();
                v[k] = c.cut_values[k][slot];
                rows.push(Row {
                    // One cut per `--segment` flag: far fewer than 2^16.
                    moved_cut: Some(k as u16),
                    ..row(category, None, prev, prev, v)
                });
            }
        }
    }
    Ok(())
}
