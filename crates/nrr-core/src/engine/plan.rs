//! The window laid out as slots: its months, the periods to evaluate and the exchange rates
//! in force at each month's end.

use crate::dataset::Dataset;
use crate::date::Month;
use crate::report::Granularity;
use crate::CoreError;
use std::sync::atomic::{AtomicBool, Ordering};

/// A period to evaluate: cohort at slot `t0`, end at slot `t1`.
#[derive(Clone, Debug)]
pub(super) struct PeriodSpec {
    pub(super) t0: usize,
    pub(super) t1: usize,
}

/// The window laid out as slots: slot 0 is the month before the window, slot `i` is
/// `base + i`.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) base: Month,
    pub(crate) slots: usize,
    /// Per currency, per slot: rate units in force at the slot month's last day.
    pub(crate) rates: Vec<Vec<Option<i128>>>,
    /// Per currency, per slot (`currency * slots + slot`): a figure needed a rate that is
    /// not in force there.
    pub(super) missed: Vec<AtomicBool>,
    pub(super) periods: Vec<PeriodSpec>,
    /// `(t0, t1, index into periods)`, sorted by t0: a customer only visits the periods whose
    /// cohort month it paid in.
    pub(super) by_t0: Vec<(u32, u32, u32)>,
    pub(super) labels: Vec<(String, Granularity)>,
    pub(super) ttm_from: usize,
    /// The periods grouped by length, when the window has at most 128 slots (see
    /// [`PeriodKind`]); empty otherwise.
    pub(super) kinds: Vec<PeriodKind>,
    /// [`Options::top`].
    pub(super) top: usize,
}

/// The periods of one length `len` (t1 = t0 + len): a bit mask of their t0 slots and the
/// period index per t0. A one-currency customer's value at t1 differs from its value at t0
/// only if it changed in some slot of (t0, t1], so the periods it must visit are found with
/// a few shifts of its change mask instead of a walk over every period.
#[derive(Clone, Debug)]
pub(super) struct PeriodKind {
    pub(super) len: usize,
    pub(super) t0s: u128,
    pub(super) index: Vec<u32>,
}

impl Plan {
    pub(crate) fn new(ds: &Dataset, from: Month, to: Month) -> Plan {
        Plan::with_fiscal_year(ds, from, to, 1)
    }

    /// The plan with quarters and years starting at month `fiscal` of the year (1-12; 1:
    /// calendar quarters and years, labelled `2024-Q1` and `2024`; else fiscal ones, labelled
    /// by the calendar year they end in: `FY2025-Q1` and `FY2025`).
    pub(crate) fn with_fiscal_year(ds: &Dataset, from: Month, to: Month, fiscal: u32) -> Plan {
        let fiscal = fiscal.clamp(1, 12);
        // Months since the fiscal year began (0-11), and the fiscal year's name.
        let into_year = |m: Month| (m.number() + 12 - fiscal) % 12;
        let label = |m: Month| {
            if fiscal == 1 {
                m.year().to_string()
            } else {
                format!("FY{}", m.plus(11 - into_year(m) as i32).year())
            }
        };
        let base = from.plus(-1);
        let slots = (to.index() - base.index() + 1) as usize;
        let month = |s: usize| base.plus(s as i32);
        let rates = rates_by_slot(ds, base, slots);
        let mut periods = Vec::new();
        let mut labels = Vec::new();
        for s in 1..slots {
            periods.push(PeriodSpec { t0: s - 1, t1: s });
            labels.push((month(s).to_string(), Granularity::Month));
        }
        for s in 1..slots {
            let m = month(s);
            if into_year(m) % 3 == 0 && s + 2 < slots {
                periods.push(PeriodSpec {
                    t0: s - 1,
                    t1: s + 2,
                });
                labels.push((
                    format!("{}-Q{}", label(m), into_year(m) / 3 + 1),
                    Granularity::Quarter,
                ));
            }
        }
        for s in 1..slots {
            let m = month(s);
            if into_year(m) == 0 && s + 11 < slots {
                periods.push(PeriodSpec {
                    t0: s - 1,
                    t1: s + 11,
                });
                labels.push((label(m), Granularity::Year));
            }
        }
        let ttm_from = periods.len();
        for s in 13..slots {
            periods.push(PeriodSpec { t0: s - 12, t1: s });
        }
        let mut by_t0: Vec<(u32, u32, u32)> = periods
            .iter()
            .enumerate()
            .map(|(i, p)| (p.t0 as u32, p.t1 as u32, i as u32))
            .collect();
        by_t0.sort_unstable();
        let kinds = period_kinds(&periods, slots);
        Plan {
            base,
            slots,
            missed: (0..rates.len() * slots)
                .map(|_| AtomicBool::new(false))
                .collect(),
            rates,
            periods,
            by_t0,
            labels,
            ttm_from,
            kinds,
            top: 0,
        }
    }

    pub(crate) fn month(&self, slot: usize) -> Month {
        self.base.plus(slot as i32)
    }

    /// How many customers a period keeps by expansion and churn (at least 1, for
    /// `concentration`), and by contraction.
    pub(super) fn top_caps(&self) -> (usize, usize) {
        (self.top.max(1), self.top)
    }

    /// Every rate a figure computed with this plan needed and did not find, once per currency
    /// and month, as one error; `Ok` when there was none. Called after the figures: those
    /// computed with a missing rate (counted as 0) are then discarded.
    pub(crate) fn missing_rates(&self, ds: &Dataset) -> Result<(), CoreError> {
        let mut missing: Vec<crate::fx::MissingRate> = self
            .missed
            .iter()
            .enumerate()
            .filter(|(_, m)| m.load(Ordering::Relaxed))
            .map(|(i, _)| {
                let ccy = (i / self.slots) as u16;
                crate::fx::MissingRate {
                    currency: ds.currencies[usize::from(ccy)].clone(),
                    month: self.month(i % self.slots),
                    first: ds.fx.first_date(ccy),
                }
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort_by(|a, b| (&a.currency, a.month).cmp(&(&b.currency, b.month)));
        Err(CoreError::MissingRates {
            file: ds.fx.file.clone(),
            reporting: ds.currency().to_string(),
            missing,
        })
    }
}

/// Per currency, per slot: the rate units in force at the slot month's last day (the
/// reporting currency's are 1).
fn rates_by_slot(ds: &Dataset, base: Month, slots: usize) -> Vec<Vec<Option<i128>>> {
    (0..ds.currencies.len())
        .map(|c| {
            (0..slots)
                .map(|s| {
                    if c == usize::from(ds.reporting) {
                        Some(ds.scale.rate_one())
                    } else {
                        let month = base.plus(s as i32);
                        ds.fx.rate_on(c as u16, month.last_day()).map(i128::from)
                    }
                })
                .collect()
        })
        .collect()
}

/// The periods grouped by length (see [`PeriodKind`]), when the window has at most 128
/// slots; empty otherwise.
fn period_kinds(periods: &[PeriodSpec], slots: usize) -> Vec<PeriodKind> {
    let mut kinds: Vec<PeriodKind> = Vec::new();
    if slots <= 128 {
        for (i, p) in periods.iter().enumerate() {
            let len = p.t1 - p.t0;
            // Two periods of one length may share a t0 (a year and a TTM): each kind
            // holds at most one period per t0.
            let free = |k: &PeriodKind| k.len == len && k.t0s & (1u128 << p.t0) == 0;
            let k = match kinds.iter().position(free) {
                Some(k) => k,
                None => {
                    kinds.push(PeriodKind {
                        len,
                        t0s: 0,
                        index: vec![u32::MAX; slots],
                    });
                    kinds.len() - 1
                }
            };
            kinds[k].t0s |= 1u128 << p.t0;
            kinds[k].index[p.t0] = i as u32;
        }
    }
    kinds
}
