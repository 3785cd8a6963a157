//! Each customer's MRR per month at the rates of that month and of the months around it: the
//! rows of the view `nrr_customer_month` that `nrr sql` creates (docs/scale-out.md), as the
//! engine computes them. The differential test of `nrr sql` requires the view to hold exactly
//! these rows and values; the hidden command `nrr customer-months` writes them.
//!
//! The months are those of the view: from the month before the window, or from the first
//! month a line starts in when that is earlier, to the window's last month. A customer has a
//! row in each of them in which it pays. Its MRR there is valued at the rates in force at the
//! end of that month (`mrr`), of the previous and the next month, and of 3 and 12 months
//! before: the constant-currency values the movements and the retention use. A value is
//! `None` when a rate it needs is not known: not in force at that month's end, or, with an fx
//! table, at a month outside the view's months (the view's rates cover those months only).
//! Without an fx table every rate is 1.

use crate::dataset::Dataset;
use crate::date::Month;
use crate::engine::{customer_values, group_by_customer, window, Options, Plan, Scratch};
use crate::money::Money;
use crate::CoreError;

/// One customer's MRR in one month, in the reporting currency, valued at the rates of several
/// months (value(c, M, R): the lines of M at R's rates).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerMonth {
    /// The customer.
    pub customer_id: String,
    /// The month M.
    pub month: Month,
    /// value(c, M, M).
    pub mrr: Option<Money>,
    /// value(c, M, M - 1).
    pub at_previous_rates: Option<Money>,
    /// value(c, M, M + 1).
    pub at_next_rates: Option<Money>,
    /// value(c, M, M - 3).
    pub at_rates_3_back: Option<Money>,
    /// value(c, M, M - 12).
    pub at_rates_12_back: Option<Money>,
}

/// The rows of `nrr_customer_month` and the months they span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerMonths {
    /// The view's first month: the month before the window, or the first month a line starts
    /// in when that is earlier.
    pub first: Month,
    /// The window's last month.
    pub last: Month,
    /// One row per customer and month it pays in, by customer id and month.
    pub rows: Vec<CustomerMonth>,
}

/// The rows of `nrr_customer_month` for the window of `opts` (its `from`, `to`, as-of date).
///
/// ```
/// use nrr_core::dataset::{DatasetBuilder, LineInput, Origin, SourceKind};
/// use nrr_core::{date::Date, money::Decimal, engine::Options};
///
/// let mut b = DatasetBuilder::new(SourceKind::Items);
/// let f = b.add_file("items.csv");
/// b.push_line(LineInput {
///     customer: "a", currency: "USD", amount: Decimal::parse("120", 6).unwrap(), interval: 12,
///     start: Date::parse("2024-01-01").unwrap(), end: Some(Date::parse("2024-03-01").unwrap()),
///     origin: Origin { file: f, line: 2 },
/// });
/// let reporting = b.reporting(None).unwrap();
/// let ds = b.finish(&reporting).unwrap();
/// let cm = nrr_core::customer_months::customer_months(&ds, &Options::default()).unwrap();
/// let rows: Vec<_> = cm.rows.iter().map(|r| (r.month.to_string(), r.mrr.unwrap().to_string())).collect();
/// assert_eq!(rows, [("2024-01".to_string(), "10.00".to_string()), ("2024-02".to_string(), "10.00".to_string())]);
/// ```
pub fn customer_months(ds: &Dataset, opts: &Options) -> Result<CustomerMonths, CoreError> {
    let (from, to) = window(ds, opts)?;
    let before = from.plus(-1);
    let first = ds
        .lines
        .start
        .iter()
        .copied()
        .min()
        .map_or(before, |s| s.min(before));
    // Slot 0 is the view's first month, the last slot the window's last.
    let plan = Plan::new(ds, first.plus(1), to);
    let groups = group_by_customer(ds);
    let mut order: Vec<u32> = (0..ds.customers.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| ds.customers.cmp_ids(a, b));
    let rates = Rates {
        ds,
        plan: &plan,
        with_fx: ds.fx.file.is_some(),
    };
    let mut scratch = Scratch::default();
    let mut rows = Vec::new();
    for c in order {
        let c = c as usize;
        let lines = &groups.order[groups.offsets[c] as usize..groups.offsets[c + 1] as usize];
        if lines.is_empty() || customer_values(ds, &plan, lines, &mut scratch)?.is_none() {
            continue;
        }
        for s in (0..plan.slots).filter(|&s| pays(&scratch, s)) {
            let at = |k: i32| rates.value(&scratch, s, k);
            rows.push(CustomerMonth {
                customer_id: ds.customers.get(c).to_string(),
                month: plan.month(s),
                mrr: at(0),
                at_previous_rates: at(-1),
                at_next_rates: at(1),
                at_rates_3_back: at(-3),
                at_rates_12_back: at(-12),
            });
        }
    }
    Ok(CustomerMonths {
        first,
        last: to,
        rows,
    })
}

/// Whether the customer of `scratch` has MRR in slot `s` (in any of its currencies).
fn pays(scratch: &Scratch, s: usize) -> bool {
    if scratch.single_reporting {
        scratch.cur[s] != 0
    } else {
        scratch.native_series().iter().any(|(_, v)| v[s] != 0)
    }
}

/// The rates of the view's months.
struct Rates<'a> {
    ds: &'a Dataset,
    plan: &'a Plan,
    /// The data has an fx table: rates are known for the plan's months only. Without one
    /// every rate is 1, in every month.
    with_fx: bool,
}

impl Rates<'_> {
    /// value(c, s, s + k) for the customer of `scratch`; `None` when a rate it needs is not
    /// known.
    fn value(&self, scratch: &Scratch, s: usize, k: i32) -> Option<Money> {
        let r = usize::try_from(s as i64 + i64::from(k))
            .ok()
            .filter(|&r| r < self.plan.slots);
        let units = if scratch.single_reporting {
            // Every rate of the reporting currency is 1.
            if self.with_fx && r.is_none() {
                return None;
            }
            scratch.cur[s]
        } else {
            let r = r?;
            let mut v = 0i128;
            for (ccy, series) in scratch.native_series() {
                if series[s] != 0 {
                    v += series[s] * self.plan.rates[usize::from(*ccy)][r]?;
                }
            }
            v
        };
        Some(self.ds.scale.money(units))
    }
}
