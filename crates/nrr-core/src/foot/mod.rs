//! Shown figures foot: the cents a report shows, chosen so that every identity a reader can
//! check on the page adds up (docs/metrics.md, "Shown figures foot").
//!
//! The engine's figures are exact; a report shows them at 2 decimals, and rounding each on its
//! own leaves bridges, cohorts and segment sums a cent off. [`foot`] rounds them together:
//!
//! - balances (a month's opening and closing MRR, a cohort's starting and ending MRR) to the
//!   nearest cent, ties to even; the closing of one month is the opening of the next;
//! - the movements between two balances by largest remainder, so that they add up to the
//!   difference of the shown balances; reasons add up to their movement the same way;
//! - segments: every figure of the segments adds up to the totals' figure, and every segment's
//!   own bridge foots (controlled rounding of each segments-by-figures table);
//! - a period's bridge is the sum of its months as shown; ARR is 12 x the shown closing MRR;
//!   usage periods are the sums of their months.
//!
//! Every amount becomes its shown value; where that is not exactly the engine's value, the
//! exact value is kept in the row's `exact` map. Ratios (NRR, GRR, rates) are computed by the
//! engine from exact values and are not touched.

mod round;

use crate::date::Month;
use crate::money::{exact_string, Money};
use crate::report::{
    Bridge, ContractionByReason, Exact, ExpansionByReason, MonthRow, PeriodMetrics, PeriodRow,
    Report, Retention, SegmentFigures, TtmRow,
};
use period::{foot_period, Period, PeriodTotals};
use round::{adds_up, round_table, Cents};
use std::collections::HashMap;

/// The signed movements of a bridge, in this order (sign: + adds to the closing).
const FLOWS: [(&str, i128); 10] = [
    ("new", 1),
    ("reactivation", 1),
    ("expansion", 1),
    ("contraction", -1),
    ("churn", -1),
    ("fx", 1),
    ("moved_in", 1),
    ("moved_out", -1),
    ("paused", -1),
    ("resumed", 1),
];
/// Index of expansion and contraction in [`FLOWS`].
const EXPANSION: usize = 2;
const CONTRACTION: usize = 3;
/// A cohort's movements: expansion, contraction, churn.
const COHORT: [(&str, i128); 3] = [("expansion", 1), ("contraction", -1), ("churn", -1)];
const EXPANSION_REASONS: [&str; 6] = [
    "expansion_by_reason.seats",
    "expansion_by_reason.price",
    "expansion_by_reason.plan",
    "expansion_by_reason.cross_sell",
    "expansion_by_reason.interval",
    "expansion_by_reason.mixed",
];
const CONTRACTION_REASONS: [&str; 6] = [
    "contraction_by_reason.seats",
    "contraction_by_reason.price",
    "contraction_by_reason.plan",
    "contraction_by_reason.product_removed",
    "contraction_by_reason.interval",
    "contraction_by_reason.mixed",
];

/// Rounds every amount of the report to the cents it shows, so that what is shown foots
/// (module docs). Call once, after the report is complete and before it is rendered; ratios
/// already computed stay as the engine computed them.
pub fn foot(report: &mut Report) {
    let exact = Totals {
        months: report.months.clone(),
        periods: report.periods.clone(),
        ttm: report.ttm.clone(),
    };
    foot_sets(
        &mut [Set {
            months: &mut report.months,
            periods: &mut report.periods,
            ttm: &mut report.ttm,
        }],
        None,
    );
    let shown = Totals {
        months: report.months.clone(),
        periods: report.periods.clone(),
        ttm: report.ttm.clone(),
    };
    for cut in report
        .segments
        .iter_mut()
        .chain(report.segment_cuts.iter_mut())
    {
        let mut sets: Vec<Set<'_>> = cut.values.values_mut().map(Set::of).collect();
        foot_sets(&mut sets, Some((&exact, &shown)));
    }
    if let Some(u) = report.usage.as_mut() {
        let cents: HashMap<Month, i128> = u
            .months
            .iter()
            .map(|m| (m.month, Cents::of(m.amount, 1).round()))
            .collect();
        let spans: HashMap<&str, (Month, Month)> = report
            .periods
            .iter()
            .map(|p| (p.period.as_str(), (p.start_month, p.end_month)))
            .collect();
        for p in &mut u.periods {
            if let Some(&(from, to)) = spans.get(p.period.as_str()) {
                let sum = cents
                    .iter()
                    .filter(|(m, _)| (from..=to).contains(*m))
                    .map(|(_, c)| c)
                    .sum();
                show(&mut p.exact, "amount", &mut p.amount, sum);
            }
        }
        if let Some(total) = u.total.as_mut() {
            let sum = cents.values().sum();
            show(&mut u.exact, "total", total, sum);
        }
    }
    if let (Some(b), Some(last)) = (report.benchmark_context.as_mut(), report.months.last()) {
        let exact_last = exact.months.last().map(|m| m.closing_mrr);
        if last.month == b.arr_month && exact_last.is_some_and(|c| same(times(c, 12), b.arr)) {
            let before = crate::money::grouped(&b.arr.to_string());
            let arr = 12 * Cents::of(last.closing_mrr, 1).round();
            show(&mut b.exact, "arr", &mut b.arr, arr);
            // The one-line summary states the ARR: the shown one.
            let after = crate::money::grouped(&b.arr.to_string());
            b.summary = b.summary.replacen(&before, &after, 1);
        }
    }
}

fn times(m: Money, k: i128) -> Money {
    Money {
        units: m.units * k,
        denominator: m.denominator,
    }
}

fn same(a: Money, b: Money) -> bool {
    a.cmp_exact(b) == std::cmp::Ordering::Equal
}

/// Sets `m` to `cents` and, when that is not exactly its value, keeps the value under `key`.
fn show(exact: &mut Exact, key: &'static str, m: &mut Money, cents: i128) {
    let shown = Money {
        units: cents,
        denominator: 100,
    };
    if !same(*m, shown) {
        exact.insert(key, exact_string(*m));
    }
    *m = shown;
}

/// The exact figures of the totals before footing, and as shown after.
struct Totals {
    months: Vec<MonthRow>,
    periods: Vec<PeriodRow>,
    ttm: Vec<TtmRow>,
}

/// One set of figures: the totals, or one segment.
struct Set<'a> {
    months: &'a mut Vec<MonthRow>,
    periods: &'a mut Vec<PeriodRow>,
    ttm: &'a mut Vec<TtmRow>,
}

impl<'a> Set<'a> {
    fn of(f: &'a mut SegmentFigures) -> Set<'a> {
        Set {
            months: &mut f.months,
            periods: &mut f.periods,
            ttm: &mut f.ttm,
        }
    }
}

/// One column of a segments-by-figures table: each set's exact value, and the totals' target
/// when the sets add up to the totals exactly.
fn column(values: Vec<Cents>, total: Option<(Cents, i128)>) -> (Vec<Cents>, Option<i128>) {
    let target = total.and_then(|(exact, shown)| adds_up(&values, exact).then_some(shown));
    (values, target)
}

/// Rounds one column (a balance of every set) to its target.
fn round_column(values: Vec<Cents>, total: Option<(Cents, i128)>) -> Vec<i128> {
    let (values, target) = column(values, total);
    let v: Vec<Vec<Cents>> = values.into_iter().map(|c| vec![c]).collect();
    let rows = vec![None; v.len()];
    round_table(&v, &rows, &[target])
        .into_iter()
        .map(|r| r[0])
        .collect()
}

/// Rounds a sets-by-figures table: each set's figures add up to `row_targets` (where the
/// exact figures add up to the exact `row_exact`), each figure's column to the totals'.
fn round_rows(
    v: Vec<Vec<Cents>>,
    row_exact: &[Cents],
    row_targets: &[i128],
    totals: Option<Vec<(Cents, i128)>>,
    width: usize,
) -> Vec<Vec<i128>> {
    let rows: Vec<Option<i128>> = v
        .iter()
        .zip(row_exact.iter().zip(row_targets))
        .map(|(r, (exact, t))| adds_up(r, *exact).then_some(*t))
        .collect();
    let cols: Vec<Option<i128>> = (0..width)
        .map(|j| {
            let values: Vec<Cents> = v.iter().map(|r| r[j]).collect();
            column(values, totals.as_ref().map(|t| t[j])).1
        })
        .collect();
    round_table(&v, &rows, &cols)
}

/// Per set: month -> (exact, shown) balance at its end, and month -> shown movements.
#[derive(Default)]
struct Memo {
    balances: HashMap<Month, (Money, i128)>,
    flows: HashMap<Month, ([Cents; 10], [i128; 10])>,
}

impl Memo {
    fn balance(&self, m: Month, exact: Money) -> Option<i128> {
        self.balances
            .get(&m)
            .and_then(|(e, shown)| same(*e, exact).then_some(*shown))
    }
}

/// The ten movement fields of a month row or a bridge (their names are the same), as
/// `Option<Money>` values or, with `mut`, as `Option<&mut Money>`, in [`FLOWS`] order.
macro_rules! flow_fields {
    ($r:expr) => {
        [
            Some($r.new),
            Some($r.reactivation),
            Some($r.expansion),
            Some($r.contraction),
            Some($r.churn),
            Some($r.fx),
            $r.moved_in,
            $r.moved_out,
            $r.paused,
            $r.resumed,
        ]
    };
    (mut $r:expr) => {
        [
            Some(&mut $r.new),
            Some(&mut $r.reactivation),
            Some(&mut $r.expansion),
            Some(&mut $r.contraction),
            Some(&mut $r.churn),
            Some(&mut $r.fx),
            $r.moved_in.as_mut(),
            $r.moved_out.as_mut(),
            $r.paused.as_mut(),
            $r.resumed.as_mut(),
        ]
    };
}

fn signed(v: [Option<Money>; 10]) -> [Cents; 10] {
    std::array::from_fn(|k| Cents::of_opt(v[k], FLOWS[k].1))
}

fn month_flows(r: &MonthRow) -> [Cents; 10] {
    signed(flow_fields!(r))
}

fn bridge_flows(b: &Bridge) -> [Cents; 10] {
    signed(flow_fields!(b))
}

fn exp_reasons(r: &ExpansionByReason) -> [Cents; 6] {
    [r.seats, r.price, r.plan, r.cross_sell, r.interval, r.mixed].map(|m| Cents::of(m, 1))
}

fn con_reasons(r: &ContractionByReason) -> [Cents; 6] {
    [
        r.seats,
        r.price,
        r.plan,
        r.product_removed,
        r.interval,
        r.mixed,
    ]
    .map(|m| Cents::of(m, 1))
}

/// Sets every movement field present from signed cents (in [`FLOWS`] order).
fn set_flows(exact: &mut Exact, fields: [Option<&mut Money>; 10], y: &[i128]) {
    for (k, f) in fields.into_iter().enumerate() {
        if let Some(m) = f {
            show(exact, FLOWS[k].0, m, FLOWS[k].1 * y[k]);
        }
    }
}

fn set_exp(exact: &mut Exact, r: &mut ExpansionByReason, y: &[i128]) {
    let fields = [
        &mut r.seats,
        &mut r.price,
        &mut r.plan,
        &mut r.cross_sell,
        &mut r.interval,
        &mut r.mixed,
    ];
    for (k, m) in fields.into_iter().enumerate() {
        show(exact, EXPANSION_REASONS[k], m, y[k]);
    }
}

fn set_con(exact: &mut Exact, r: &mut ContractionByReason, y: &[i128]) {
    let fields = [
        &mut r.seats,
        &mut r.price,
        &mut r.plan,
        &mut r.product_removed,
        &mut r.interval,
        &mut r.mixed,
    ];
    for (k, m) in fields.into_iter().enumerate() {
        show(exact, CONTRACTION_REASONS[k], m, y[k]);
    }
}

/// Foots the sets together: alone when `totals` is `None` (the report's totals), else so that
/// they add up to the totals (the segments of one cut).
fn foot_sets(sets: &mut [Set<'_>], totals: Option<(&Totals, &Totals)>) {
    let months_match = totals.is_none_or(|(t, _)| {
        sets.iter().all(|s| {
            s.months.len() == t.months.len()
                && s.months
                    .iter()
                    .zip(&t.months)
                    .all(|(a, b)| a.month == b.month)
        })
    });
    let periods_match = totals.is_none_or(|(t, _)| {
        sets.iter().all(|s| {
            s.periods.len() == t.periods.len()
                && s.ttm.len() == t.ttm.len()
                && s.periods
                    .iter()
                    .zip(&t.periods)
                    .all(|(a, b)| a.period == b.period)
                && s.ttm.iter().zip(&t.ttm).all(|(a, b)| a.month == b.month)
        })
    });
    if !(months_match && periods_match) {
        // Sets laid out unlike the totals cannot be tied to them: each foots on its own.
        for s in sets.iter_mut() {
            foot_sets(std::slice::from_mut(s), None);
        }
        return;
    }
    let mut memos: Vec<Memo> = sets.iter().map(|_| Memo::default()).collect();
    let n_months = sets.first().map_or(0, |s| s.months.len());
    for m in 0..n_months {
        foot_month(sets, &mut memos, m, totals);
    }
    let n_periods = sets.first().map_or(0, |s| s.periods.len());
    for p in 0..n_periods {
        let total = totals.map(|(e, s)| {
            let (a, b) = (&e.periods[p], &s.periods[p]);
            PeriodTotals {
                exact_retention: &a.retention,
                exact_bridge: &a.bridge,
                shown_retention: &b.retention,
                shown_bridge: &b.bridge,
            }
        });
        let mut parts: Vec<Period<'_>> = sets
            .iter_mut()
            .map(|s| {
                let r = &mut s.periods[p];
                Period {
                    t0: r.start_month.plus(-1),
                    t1: r.end_month,
                    retention: &mut r.retention,
                    bridge: &mut r.bridge,
                    metrics: &mut r.metrics,
                }
            })
            .collect();
        foot_period(&mut parts, &memos, total);
    }
    let n_ttm = sets.first().map_or(0, |s| s.ttm.len());
    for p in 0..n_ttm {
        let total = totals.map(|(e, s)| {
            let (a, b) = (&e.ttm[p], &s.ttm[p]);
            PeriodTotals {
                exact_retention: &a.retention,
                exact_bridge: &a.bridge,
                shown_retention: &b.retention,
                shown_bridge: &b.bridge,
            }
        });
        let mut parts: Vec<Period<'_>> = sets
            .iter_mut()
            .map(|s| {
                let r = &mut s.ttm[p];
                Period {
                    t0: r.t0,
                    t1: r.month,
                    retention: &mut r.retention,
                    bridge: &mut r.bridge,
                    metrics: &mut r.metrics,
                }
            })
            .collect();
        foot_period(&mut parts, &memos, total);
    }
}

/// Month `m` of every set: closing, opening, movements, reasons.
fn foot_month(
    sets: &mut [Set<'_>],
    memos: &mut [Memo],
    m: usize,
    totals: Option<(&Totals, &Totals)>,
) {
    let total = totals.map(|(e, s)| (&e.months[m], &s.months[m]));
    let bal = |f: fn(&MonthRow) -> Money| {
        total.map(|(e, s)| (Cents::of(f(e), 1), Cents::of(f(s), 1).round()))
    };
    let closing = round_column(
        sets.iter()
            .map(|s| Cents::of(s.months[m].closing_mrr, 1))
            .collect(),
        bal(|r| r.closing_mrr),
    );
    let opening: Vec<i128> = if m == 0 {
        round_column(
            sets.iter()
                .map(|s| Cents::of(s.months[m].opening_mrr, 1))
                .collect(),
            bal(|r| r.opening_mrr),
        )
    } else {
        sets.iter()
            .zip(memos.iter())
            .map(|(s, memo)| {
                let r = &s.months[m];
                memo.balance(r.month.plus(-1), r.opening_mrr)
                    .unwrap_or_else(|| Cents::of(r.opening_mrr, 1).round())
            })
            .collect()
    };
    // Movements: each set's add up to closing - opening; each column to the totals'.
    let v: Vec<Vec<Cents>> = sets
        .iter()
        .map(|s| month_flows(&s.months[m]).to_vec())
        .collect();
    let row_exact: Vec<Cents> = sets
        .iter()
        .map(|s| {
            let r = &s.months[m];
            Cents::of(r.closing_mrr.minus(r.opening_mrr), 1)
        })
        .collect();
    let targets: Vec<i128> = closing.iter().zip(&opening).map(|(c, o)| c - o).collect();
    let flow_totals = total.map(|(e, s)| flow_columns(&month_flows(e), &month_flows(s), &v));
    let y = round_rows(v.clone(), &row_exact, &targets, flow_totals, FLOWS.len());
    // Reasons add up to the shown expansion and contraction.
    let exp_v: Vec<Vec<Cents>> = sets
        .iter()
        .map(|s| exp_reasons(&s.months[m].expansion_by_reason).to_vec())
        .collect();
    let con_v: Vec<Vec<Cents>> = sets
        .iter()
        .map(|s| con_reasons(&s.months[m].contraction_by_reason).to_vec())
        .collect();
    let exp_y = round_rows(
        exp_v,
        &v.iter().map(|r| r[EXPANSION]).collect::<Vec<_>>(),
        &y.iter().map(|r| r[EXPANSION]).collect::<Vec<_>>(),
        total.map(|(e, s)| {
            pairs(
                &exp_reasons(&e.expansion_by_reason),
                &exp_reasons(&s.expansion_by_reason),
            )
        }),
        6,
    );
    let con_y = round_rows(
        con_v,
        &v.iter().map(|r| negate(r[CONTRACTION])).collect::<Vec<_>>(),
        &y.iter().map(|r| -r[CONTRACTION]).collect::<Vec<_>>(),
        total.map(|(e, s)| {
            pairs(
                &con_reasons(&e.contraction_by_reason),
                &con_reasons(&s.contraction_by_reason),
            )
        }),
        6,
    );
    for (k, (s, memo)) in sets.iter_mut().zip(memos.iter_mut()).enumerate() {
        let r = &mut s.months[m];
        memo.balances
            .insert(r.month.plus(-1), (r.opening_mrr, opening[k]));
        memo.balances.insert(r.month, (r.closing_mrr, closing[k]));
        let mut yk = [0i128; 10];
        yk.copy_from_slice(&y[k]);
        memo.flows.insert(r.month, (month_flows(r), yk));
        let ex = &mut r.exact;
        show(ex, "opening_mrr", &mut r.opening_mrr, opening[k]);
        show(ex, "closing_mrr", &mut r.closing_mrr, closing[k]);
        set_flows(ex, flow_fields!(mut r), &y[k]);
        set_exp(ex, &mut r.expansion_by_reason, &exp_y[k]);
        set_con(ex, &mut r.contraction_by_reason, &con_y[k]);
    }
}

fn negate(c: Cents) -> Cents {
    c.negated()
}

/// (exact, shown) pairs of the totals' figures, in cents.
fn pairs<const N: usize>(exact: &[Cents; N], shown: &[Cents; N]) -> Vec<(Cents, i128)> {
    exact
        .iter()
        .zip(shown)
        .map(|(e, s)| (*e, s.round()))
        .collect()
}

/// The totals' movement columns; a movement the totals do not carry (segments' moves, which
/// cancel out over the segments) has as target the rounding of the segments' sum.
fn flow_columns(exact: &[Cents; 10], shown: &[Cents; 10], v: &[Vec<Cents>]) -> Vec<(Cents, i128)> {
    (0..FLOWS.len())
        .map(|k| {
            if FLOWS[k].0.starts_with("moved") {
                let sum = v.iter().fold(Cents::ZERO, |a, r| a.plus(r[k]));
                (sum, sum.round())
            } else {
                (exact[k], shown[k].round())
            }
        })
        .collect()
}

// After `flow_fields!`, which it uses.
mod period;
