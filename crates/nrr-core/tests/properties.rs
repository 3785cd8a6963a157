//! Property tests on random datasets: bridge and cohort identities, period bridges, input-order
//! and file-split invariance, single-currency FX, segment partition, and agreement with a
//! naive reference model written straight from the definitions in docs/metrics.md.
//!
//! Every comparison is on exact values (`Money::units`, or cross-multiplied when two figures
//! have different denominators), never on rounded strings.

mod common;

use common::*;
use nrr_core::dataset::{Dataset, DatasetBuilder, LineInput, Origin, SourceKind};
use nrr_core::date::{Date, Month};
use nrr_core::engine::{compute, Options, SegmentSpec};
use nrr_core::money::{Decimal, Money};
use nrr_core::report::{Bridge, Granularity, MonthRow, Report, Retention};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Random data

/// Days from 2023-01-01 to 2025-06-30.
const DAYS: i32 = 365 + 366 + 181;
/// Months 2023-01..=2025-06.
const MONTHS: i32 = 30;

fn day0() -> Date {
    date("2023-01-01")
}

fn month0() -> Month {
    month("2023-01")
}

#[derive(Clone, Debug)]
struct GenLine {
    customer: usize,
    eur: bool,
    mantissa: i64,
    decimals: u32,
    interval: u32,
    start: Date,
    end: Option<Date>,
}

#[derive(Clone, Debug)]
struct GenFx {
    date: Date,
    mantissa: i64,
    decimals: u32,
}

#[derive(Clone, Debug)]
struct Case {
    customers: usize,
    lines: Vec<GenLine>,
    /// EUR rates; empty for single-currency cases.
    fx: Vec<GenFx>,
    /// Single-currency case: lines are "" or "USD" and there is no fx.
    single: bool,
    from: Month,
    to: Month,
    /// Drives shuffles, file splits and segment assignment.
    seed: u64,
}

fn line_strategy(eur_allowed: bool) -> impl Strategy<Value = GenLine> {
    (
        prop::bool::weighted(if eur_allowed { 0.35 } else { 0.0 }),
        0u32..=2,
        1i64..=500_000,
        prop::sample::select(vec![1u32, 3, 12, 24]),
        0..DAYS,
        prop::option::weighted(0.6, 1i32..=720),
        any::<bool>(),
    )
        .prop_map(
            move |(eur, decimals, mantissa, interval, start, end, empty_ccy)| GenLine {
                customer: 0,
                // In single-currency cases the flag picks "" or "USD" instead.
                eur: if eur_allowed { eur } else { empty_ccy },
                mantissa,
                decimals,
                interval,
                start: day0().add_days(start),
                end: end.map(|n| day0().add_days(start + n)),
            },
        )
}

/// One or two rows per month from 2022-12 to 2025-06, on days 1-28, rates 0.5-2.0 with 1-4
/// decimals. Sometimes two rows share a date (the later one wins).
fn fx_strategy() -> impl Strategy<Value = Vec<GenFx>> {
    let rate = (1u32..=4).prop_flat_map(|d| {
        let p = 10i64.pow(d);
        (Just(d), p / 2..=2 * p)
    });
    let month_rows = prop::collection::vec((1u32..=28, rate, prop::bool::weighted(0.2)), 1..=2);
    prop::collection::vec(month_rows, (MONTHS + 1) as usize).prop_map(|months| {
        let mut out = Vec::new();
        for (i, rows) in months.into_iter().enumerate() {
            let m = month0().plus(i as i32 - 1);
            let mut last_day = 0;
            for (day, (decimals, mantissa), same_day) in rows {
                let day = if same_day && last_day > 0 {
                    last_day
                } else {
                    day
                };
                last_day = day;
                out.push(GenFx {
                    date: Date::from_ymd(m.year(), m.number(), day).unwrap(),
                    mantissa,
                    decimals,
                });
            }
        }
        out
    })
}

fn case_strategy(single: bool) -> impl Strategy<Value = Case> {
    let customers =
        prop::collection::vec(prop::collection::vec(line_strategy(!single), 1..=5), 1..=12);
    let fx = if single {
        Just(Vec::new()).boxed()
    } else {
        fx_strategy().boxed()
    };
    (customers, fx, 0..MONTHS, 0..MONTHS, any::<u64>()).prop_map(
        move |(customers, fx, a, b, seed)| {
            let n = customers.len();
            let lines = customers
                .into_iter()
                .enumerate()
                .flat_map(|(c, ls)| {
                    ls.into_iter().map(move |mut l| {
                        l.customer = c;
                        l
                    })
                })
                .collect();
            let (a, b) = (a.min(b), a.max(b));
            Case {
                customers: n,
                lines,
                fx,
                single,
                from: month0().plus(a),
                to: month0().plus(b),
                seed,
            }
        },
    )
}

fn any_case() -> impl Strategy<Value = Case> {
    prop_oneof![1 => case_strategy(true), 3 => case_strategy(false)]
}

fn customer_id(c: usize) -> String {
    format!("cust-{c}")
}

fn currency(case: &Case, l: &GenLine) -> &'static str {
    match (case.single, l.eur) {
        (false, true) => "EUR",
        (false, false) => "USD",
        (true, true) => "",
        (true, false) => "USD",
    }
}

/// Builds the dataset from `lines` (in that order), each with its file index.
fn dataset_from(case: &Case, lines: &[(u16, &GenLine)], files: usize) -> Dataset {
    let mut b = DatasetBuilder::new(SourceKind::Items);
    for i in 0..files {
        b.add_file(&format!("items-{i}.csv"));
    }
    let ids: Vec<String> = (0..case.customers).map(customer_id).collect();
    for (row, (file, l)) in lines.iter().enumerate() {
        b.push_line(LineInput {
            customer: &ids[l.customer],
            currency: currency(case, l),
            amount: Decimal {
                mantissa: l.mantissa,
                decimals: l.decimals,
            },
            interval: l.interval,
            start: l.start,
            end: l.end,
            origin: Origin {
                file: *file,
                line: row as u64 + 2,
            },
        });
    }
    for r in &case.fx {
        b.push_fx(
            "EUR",
            r.date,
            Decimal {
                mantissa: r.mantissa,
                decimals: r.decimals,
            },
        );
    }
    let reporting = if case.single { None } else { Some("USD") };
    let reporting = b.reporting(reporting).expect("one reporting currency");
    b.finish(&reporting).expect("generated data builds")
}

fn dataset(case: &Case) -> Dataset {
    let lines: Vec<(u16, &GenLine)> = case.lines.iter().map(|l| (0, l)).collect();
    dataset_from(case, &lines, 1)
}

fn options(case: &Case) -> Options {
    Options {
        from: Some(case.from),
        to: Some(case.to),
        ..Options::default()
    }
}

fn report(case: &Case) -> Report {
    compute(&dataset(case), &options(case)).expect("report computes")
}

/// A small deterministic generator for shuffles and assignments (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Shared checks

fn all_money(r: &Report) -> Vec<Money> {
    let mut v = Vec::new();
    for m in &r.months {
        v.extend(month_money(m));
    }
    for p in &r.periods {
        v.extend(retention_money(&p.retention));
        v.extend(bridge_money(&p.bridge));
    }
    for t in &r.ttm {
        v.extend(retention_money(&t.retention));
        v.extend(bridge_money(&t.bridge));
    }
    v
}

fn check_retention(label: &str, r: &Retention) -> Result<(), TestCaseError> {
    prop_assert_eq!(cohort_gap(r), 0, "cohort identity in {}", label);
    prop_assert!(r.expansion.units >= 0 && r.contraction.units >= 0 && r.churn.units >= 0);
    prop_assert!(r.churned_customers <= r.cohort_customers);
    if r.starting_mrr.units > 0 {
        prop_assert!(r.cohort_customers > 0);
        prop_assert!(
            r.contraction.units + r.churn.units <= r.starting_mrr.units,
            "contraction + churn > starting in {}",
            label
        );
        let (nrr, grr) = (r.nrr.unwrap(), r.grr.unwrap());
        prop_assert!(grr <= 1.0, "grr {} > 1 in {}", grr, label);
        prop_assert!(grr >= 0.0);
        prop_assert!(nrr >= grr, "nrr {} < grr {} in {}", nrr, grr, label);
        prop_assert!(r.logo_churn_rate.is_some());
    } else {
        prop_assert_eq!(r.starting_mrr.units, 0);
        prop_assert_eq!(r.cohort_customers, 0);
        prop_assert_eq!((r.nrr, r.grr, r.logo_churn_rate), (None, None, None));
        prop_assert!(r.ending_cohort_mrr.is_zero() && r.fx_impact.is_zero());
    }
    Ok(())
}

/// The period's bridge: opening of its first month, closing of its last, sums in between.
fn check_period_bridge(
    label: &str,
    r: &Report,
    start: Month,
    end: Month,
    b: &Bridge,
) -> Result<(), TestCaseError> {
    let months: Vec<&MonthRow> = r
        .months
        .iter()
        .filter(|m| m.month >= start && m.month <= end)
        .collect();
    prop_assert_eq!(
        months.len() as i32,
        end.index() - start.index() + 1,
        "{} lies in the window",
        label
    );
    let sum = |f: fn(&MonthRow) -> Money| months.iter().map(|m| f(m).units).sum::<i128>();
    prop_assert_eq!(b.opening, months[0].opening_mrr, "{} opening", label);
    prop_assert_eq!(
        b.closing,
        months[months.len() - 1].closing_mrr,
        "{} closing",
        label
    );
    prop_assert_eq!(b.new.units, sum(|m| m.new));
    prop_assert_eq!(b.reactivation.units, sum(|m| m.reactivation));
    prop_assert_eq!(b.expansion.units, sum(|m| m.expansion));
    prop_assert_eq!(b.contraction.units, sum(|m| m.contraction));
    prop_assert_eq!(b.churn.units, sum(|m| m.churn));
    prop_assert_eq!(b.fx.units, sum(|m| m.fx));
    prop_assert_eq!(bridge_gap(b), 0, "{} bridge identity", label);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// (a)-(c) identities

proptest! {
    #![proptest_config(config())]

    /// (a) opening + new + reactivation + expansion - contraction - churn + fx = closing,
    /// every month, and each month closes where the next opens.
    #[test]
    fn bridge_identity_holds_every_month(case in any_case()) {
        let r = report(&case);
        let den = r.months[0].opening_mrr.denominator;
        prop_assert!(all_money(&r).iter().all(|m| m.denominator == den));
        prop_assert_eq!(r.months.len() as i32, case.to.index() - case.from.index() + 1);
        for m in &r.months {
            prop_assert_eq!(month_bridge_gap(m), 0, "bridge identity in {}", m.month);
            for x in [m.opening_mrr, m.new, m.reactivation, m.expansion, m.contraction,
                      m.churn, m.closing_mrr] {
                prop_assert!(x.units >= 0, "negative figure in {}", m.month);
            }
        }
        for w in r.months.windows(2) {
            prop_assert_eq!(w[0].closing_mrr, w[1].opening_mrr);
        }
    }

    /// (b) every period and TTM: ending = starting + expansion - contraction - churn; with a
    /// cohort, GRR <= 1, NRR >= GRR, contraction + churn <= starting; otherwise null ratios.
    #[test]
    fn cohort_identity_and_bounds_hold_for_every_period(case in any_case()) {
        let r = report(&case);
        for p in &r.periods {
            check_retention(&p.period, &p.retention)?;
        }
        for t in &r.ttm {
            check_retention(&format!("ttm {}", t.month), &t.retention)?;
            prop_assert_eq!(t.t0, t.month.plus(-12));
            prop_assert!(t.t0 >= case.from);
        }
    }

    /// (c) each period's bridge opens at its first month's opening, closes at its last month's
    /// closing, and its movements are the sums of its months'.
    #[test]
    fn period_bridges_are_sums_of_their_months(case in any_case()) {
        let r = report(&case);
        for p in &r.periods {
            check_period_bridge(&p.period, &r, p.start_month, p.end_month, &p.bridge)?;
        }
        for t in &r.ttm {
            check_period_bridge(&format!("ttm {}", t.month), &r, t.t0.plus(1), t.month,
                &t.bridge)?;
        }
    }

    /// A one-month period's cohort is the customers with prev > 0, and its expansion,
    /// contraction, churn and fx_impact are that month's movements.
    #[test]
    fn a_one_month_period_matches_its_month(case in any_case()) {
        let r = report(&case);
        for p in r.periods.iter().filter(|p| p.granularity == Granularity::Month) {
            let m = r.months.iter().find(|m| m.month == p.start_month).unwrap();
            let ret = &p.retention;
            prop_assert_eq!(ret.starting_mrr, m.opening_mrr);
            prop_assert_eq!(ret.expansion, m.expansion);
            prop_assert_eq!(ret.contraction, m.contraction);
            prop_assert_eq!(ret.churn, m.churn);
            prop_assert_eq!(ret.fx_impact, m.fx);
            prop_assert_eq!(ret.churned_customers, m.churned_customers);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (d) invariance, (e) single currency, (f) segments

proptest! {
    #![proptest_config(config())]

    /// (d) shuffling the input lines gives an identical report.
    #[test]
    fn shuffling_lines_gives_an_identical_report(case in any_case()) {
        let base = serde_json::to_value(report(&case)).unwrap();
        let mut rng = Rng::new(case.seed);
        let mut shuffled = case.clone();
        for i in (1..shuffled.lines.len()).rev() {
            let j = rng.below(i + 1);
            shuffled.lines.swap(i, j);
        }
        let again = serde_json::to_value(report(&shuffled)).unwrap();
        prop_assert_eq!(base, again);
    }

    /// (d) splitting the lines across two source files gives the same figures.
    #[test]
    fn splitting_lines_across_two_files_gives_the_same_figures(case in any_case()) {
        let base = report(&case);
        let mut rng = Rng::new(case.seed);
        let (mut first, mut second) = (Vec::new(), Vec::new());
        for l in &case.lines {
            if rng.below(2) == 0 {
                first.push((0u16, l));
            } else {
                second.push((1u16, l));
            }
        }
        first.extend(second);
        let split = compute(&dataset_from(&case, &first, 2), &options(&case)).unwrap();
        prop_assert_eq!(&base.months, &split.months);
        prop_assert_eq!(&base.periods, &split.periods);
        prop_assert_eq!(&base.ttm, &split.ttm);
    }

    /// (e) with a single currency, fx and fx_impact are 0 everywhere.
    #[test]
    fn single_currency_data_has_no_fx(case in case_strategy(true)) {
        let r = report(&case);
        prop_assert!(r.currency == "USD" || r.currency == "XXX");
        for m in &r.months {
            prop_assert!(m.fx.is_zero(), "fx in {}", m.month);
        }
        for p in &r.periods {
            prop_assert!(p.bridge.fx.is_zero() && p.retention.fx_impact.is_zero());
        }
        for t in &r.ttm {
            prop_assert!(t.bridge.fx.is_zero() && t.retention.fx_impact.is_zero());
        }
    }

    /// (f) for a random assignment of customers to three segment values, the segments' exact
    /// figures and counts add up to the totals, and each segment equals a report computed on
    /// its customers alone.
    #[test]
    fn segments_partition_the_totals(case in any_case()) {
        let ds = dataset(&case);
        let values = ["", "mid", "top"];
        let mut rng = Rng::new(case.seed);
        let assign: Vec<usize> = (0..case.customers).map(|_| rng.below(3)).collect();
        let of_id = |id: &str| assign[id.trim_start_matches("cust-").parse::<usize>().unwrap()];
        let spec = SegmentSpec {
            column: "tier".into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            of_customer: ds.customers.iter().map(|id| of_id(id) as u32).collect(),
            ..SegmentSpec::default()
        };
        let r = compute(&ds, &Options { segment: Some(spec), ..options(&case) }).unwrap();
        let plain = report(&case);
        prop_assert_eq!(&r.months, &plain.months);
        prop_assert_eq!(&r.periods, &plain.periods);
        prop_assert_eq!(&r.ttm, &plain.ttm);

        let seg = r.segments.as_ref().unwrap();
        prop_assert_eq!(seg.values.len(), 3);
        let parts: Vec<_> = values.iter().map(|v| &seg.values[*v]).collect();
        for (i, total) in r.months.iter().enumerate() {
            for k in 0..8 {
                let sum: i128 = parts.iter().map(|p| month_money(&p.months[i])[k].units).sum();
                prop_assert_eq!(sum, month_money(total)[k].units);
            }
            for k in 0..4 {
                let sum: u64 = parts.iter().map(|p| month_counts(&p.months[i])[k]).sum();
                prop_assert_eq!(sum, month_counts(total)[k]);
            }
        }
        period_partition(&r, &parts)?;

        // Each segment is the report of its own customers (compared exactly across scales).
        for (s, value) in values.iter().enumerate() {
            let own: Vec<(u16, &GenLine)> = case.lines.iter()
                .filter(|l| assign[l.customer] == s)
                .map(|l| (0, l))
                .collect();
            let alone = compute(&dataset_from(&case, &own, 1), &options(&case)).unwrap();
            let seg_report = Report {
                months: seg.values[*value].months.clone(),
                periods: seg.values[*value].periods.clone(),
                ttm: seg.values[*value].ttm.clone(),
                segments: None,
                ..plain.clone()
            };
            let (a, b) = (all_money(&seg_report), all_money(&alone));
            prop_assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                prop_assert_eq!(x.units * y.denominator, y.units * x.denominator,
                    "segment {:?}", value);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A naive reference model, straight from the definitions

/// Reference units: 1 / (10^2 amount decimals x 24 (lcm of intervals) x 10^4 rate decimals).
const REF_DEN: i128 = 100 * 24 * 10_000;

struct Model<'a> {
    case: &'a Case,
}

impl Model<'_> {
    /// Rate in force on `day`, x 10^4: the latest row on or before it, the last row wins ties.
    fn rate(&self, eur: bool, day: Date) -> i128 {
        if !eur || self.case.single {
            return 10_000;
        }
        let mut best: Option<&GenFx> = None;
        for r in &self.case.fx {
            if r.date <= day && best.is_none_or(|b| r.date >= b.date) {
                best = Some(r);
            }
        }
        let r = best.unwrap_or_else(|| panic!("model: no EUR rate on {day}"));
        i128::from(r.mantissa) * 10i128.pow(4 - r.decimals)
    }

    /// value(c, M, R) in reference units.
    fn value(&self, c: usize, m: Month, r: Month) -> i128 {
        let (day_m, day_r) = (m.last_day(), r.last_day());
        self.case
            .lines
            .iter()
            .filter(|l| l.customer == c)
            .filter(|l| l.start <= day_m && l.end.is_none_or(|e| day_m < e))
            .map(|l| {
                let native = i128::from(l.mantissa)
                    * 10i128.pow(2 - l.decimals)
                    * i128::from(24 / l.interval);
                native * self.rate(l.eur, day_r)
            })
            .sum()
    }

    fn first_month(&self, c: usize) -> Option<Month> {
        (0..=MONTHS + 30)
            .map(|i| month0().plus(i))
            .find(|&m| self.value(c, m, m) > 0)
    }
}

#[derive(Debug, Default, PartialEq)]
struct RefMonth {
    money: [i128; 8],
    counts: [u64; 4],
}

#[derive(Debug, Default, PartialEq)]
struct RefRetention {
    starting: i128,
    expansion: i128,
    contraction: i128,
    churn: i128,
    ending: i128,
    fx_impact: i128,
    cohort: u64,
    churned: u64,
}

fn ref_month(model: &Model<'_>, firsts: &[Option<Month>], m: Month) -> RefMonth {
    let mut out = RefMonth::default();
    let p = m.plus(-1);
    for (c, first) in firsts.iter().enumerate() {
        let prev = model.value(c, p, p);
        let cur = model.value(c, m, m);
        out.money[0] += prev;
        out.money[7] += cur;
        if cur > 0 {
            out.counts[0] += 1;
        }
        if prev == 0 {
            if cur > 0 {
                if *first == Some(m) {
                    out.money[1] += cur;
                    out.counts[1] += 1;
                } else {
                    out.money[2] += cur;
                    out.counts[2] += 1;
                }
            }
            continue;
        }
        let cc = model.value(c, m, p);
        if cc > prev {
            out.money[3] += cc - prev;
        } else if cc > 0 && cc < prev {
            out.money[4] += prev - cc;
        } else if cc == 0 {
            out.money[5] += prev;
            out.counts[3] += 1;
        }
        out.money[6] += cur - cc;
    }
    out
}

fn ref_retention(model: &Model<'_>, t0: Month, t1: Month) -> RefRetention {
    let mut out = RefRetention::default();
    for c in 0..model.case.customers {
        let s = model.value(c, t0, t0);
        if s == 0 {
            continue;
        }
        let e = model.value(c, t1, t0);
        out.cohort += 1;
        out.starting += s;
        out.ending += e;
        out.fx_impact += model.value(c, t1, t1) - e;
        if e == 0 {
            out.churn += s;
            out.churned += 1;
        } else if e > s {
            out.expansion += e - s;
        } else {
            out.contraction += s - e;
        }
    }
    out
}

/// The engine's exact money equals `units` reference units.
fn same(m: Money, units: i128) -> bool {
    m.units * REF_DEN == units * m.denominator
}

/// The ratio rounded half-even to 6 places, in millionths.
fn ref_micro(num: i128, den: i128) -> Option<i128> {
    if den == 0 {
        return None;
    }
    let n = num * 1_000_000;
    let (q, r) = (n.div_euclid(den), n.rem_euclid(den));
    Some(match (2 * r).cmp(&den) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    })
}

fn micro(x: Option<f64>) -> Option<i128> {
    x.map(|v| (v * 1e6).round() as i128)
}

fn check_against_model(
    label: &str,
    model: &Model<'_>,
    t0: Month,
    t1: Month,
    got: &Retention,
) -> Result<(), TestCaseError> {
    let want = ref_retention(model, t0, t1);
    let pairs = [
        (got.starting_mrr, want.starting),
        (got.expansion, want.expansion),
        (got.contraction, want.contraction),
        (got.churn, want.churn),
        (got.ending_cohort_mrr, want.ending),
        (got.fx_impact, want.fx_impact),
    ];
    for (k, (g, w)) in pairs.iter().enumerate() {
        prop_assert!(
            same(*g, *w),
            "{} retention field {}: engine {} vs model units {}",
            label,
            k,
            g,
            w
        );
    }
    prop_assert_eq!(
        (got.cohort_customers, got.churned_customers),
        (want.cohort, want.churned)
    );
    prop_assert_eq!(micro(got.nrr), ref_micro(want.ending, want.starting));
    prop_assert_eq!(
        micro(got.grr),
        ref_micro(want.starting - want.contraction - want.churn, want.starting)
    );
    prop_assert_eq!(
        micro(got.logo_churn_rate),
        ref_micro(i128::from(want.churned), i128::from(want.cohort))
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// Every figure of the report equals the naive model's, exactly, and the report lists
    /// exactly the months, complete quarters and years, and TTMs the definitions call for.
    #[test]
    fn the_engine_agrees_with_a_naive_model_of_the_definitions(case in any_case()) {
        let r = report(&case);
        let model = Model { case: &case };
        let firsts: Vec<Option<Month>> = (0..case.customers).map(|c| model.first_month(c)).collect();

        let window: Vec<Month> = (case.from.index()..=case.to.index()).map(Month::from_index).collect();
        prop_assert_eq!(r.months.iter().map(|m| m.month).collect::<Vec<_>>(), window.clone());
        for row in &r.months {
            let want = ref_month(&model, &firsts, row.month);
            for (k, (g, w)) in month_money(row).iter().zip(want.money).enumerate() {
                prop_assert!(same(*g, w), "{} field {}: engine {} vs model units {}",
                    row.month, k, g, w);
            }
            prop_assert_eq!(month_counts(row), want.counts, "counts in {}", row.month);
        }

        // The periods the definitions call for, in the report's order.
        let mut want_periods: Vec<(String, Month, Month)> = window.iter()
            .map(|m| (m.to_string(), *m, *m)).collect();
        for m in &window {
            if matches!(m.number(), 1 | 4 | 7 | 10) && m.plus(2) <= case.to {
                want_periods.push((format!("{}-Q{}", m.year(), m.quarter()), *m, m.plus(2)));
            }
        }
        for m in &window {
            if m.number() == 1 && m.plus(11) <= case.to {
                want_periods.push((m.year().to_string(), *m, m.plus(11)));
            }
        }
        let got_periods: Vec<(String, Month, Month)> = r.periods.iter()
            .map(|p| (p.period.clone(), p.start_month, p.end_month)).collect();
        prop_assert_eq!(got_periods, want_periods);
        for p in &r.periods {
            check_against_model(&p.period, &model, p.start_month.plus(-1), p.end_month,
                &p.retention)?;
        }

        let want_ttm: Vec<Month> = window.iter().copied()
            .filter(|m| m.plus(-12) >= case.from).collect();
        prop_assert_eq!(r.ttm.iter().map(|t| t.month).collect::<Vec<_>>(), want_ttm);
        for t in &r.ttm {
            check_against_model(&format!("ttm {}", t.month), &model, t.t0, t.month,
                &t.retention)?;
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// Windows of more than 128 slots take the engine's general path (the bit-mask shortcut
    /// covers at most 128): every month, period and TTM row of a short window is the same
    /// when the window starts 130 months earlier.
    #[test]
    fn a_window_longer_than_the_bit_masks_gives_the_same_rows(case in any_case()) {
        let short = report(&case);
        let mut long_case = case.clone();
        long_case.from = case.from.plus(-130);
        let long = report(&long_case);
        for m in &short.months {
            let l = long.months.iter().find(|x| x.month == m.month).expect("month in long window");
            prop_assert_eq!(json(m), json(l), "month {}", m.month);
        }
        for p in &short.periods {
            let l = long.periods.iter().find(|x| x.period == p.period).expect("period in long window");
            prop_assert_eq!(json(p), json(l), "period {}", p.period);
        }
        for t in &short.ttm {
            let l = long.ttm.iter().find(|x| x.month == t.month).expect("ttm in long window");
            prop_assert_eq!(json(t), json(l), "ttm {}", t.month);
        }
    }
}

/// Every period and TTM figure and count of `parts` (the segments of `r`) adds up to `r`'s.
fn period_partition(
    r: &Report,
    parts: &[&nrr_core::report::SegmentFigures],
) -> Result<(), TestCaseError> {
    let blocks = |periods: &[nrr_core::report::PeriodRow], ttm: &[nrr_core::report::TtmRow]| {
        periods
            .iter()
            .map(|p| (p.retention.clone(), p.bridge.clone()))
            .chain(ttm.iter().map(|t| (t.retention.clone(), t.bridge.clone())))
            .collect::<Vec<(Retention, Bridge)>>()
    };
    let totals = blocks(&r.periods, &r.ttm);
    let part_blocks: Vec<_> = parts.iter().map(|p| blocks(&p.periods, &p.ttm)).collect();
    for (i, (ret, bridge)) in totals.iter().enumerate() {
        for k in 0..6 {
            let sum: i128 = part_blocks
                .iter()
                .map(|p| retention_money(&p[i].0)[k].units)
                .sum();
            prop_assert_eq!(sum, retention_money(ret)[k].units);
        }
        for k in 0..2 {
            let sum: u64 = part_blocks
                .iter()
                .map(|p| retention_counts(&p[i].0)[k])
                .sum();
            prop_assert_eq!(sum, retention_counts(ret)[k]);
        }
        for k in 0..8 {
            let sum: i128 = part_blocks
                .iter()
                .map(|p| bridge_money(&p[i].1)[k].units)
                .sum();
            prop_assert_eq!(sum, bridge_money(bridge)[k].units);
        }
    }
    Ok(())
}

/// A report row as JSON, for whole-row comparisons.
fn json<T: serde::Serialize>(row: &T) -> serde_json::Value {
    serde_json::to_value(row).expect("rows serialise")
}

/// The case's dataset with a product on every line, a function of the line's content (so
/// shuffles keep it): `""`, `alpha` or `beta`.
fn dataset_with_products(case: &Case) -> Dataset {
    finish(case, builder_with_products(case))
}

/// The builder of [`dataset_with_products`], before `finish`.
fn builder_with_products(case: &Case) -> DatasetBuilder {
    let mut b = DatasetBuilder::new(SourceKind::Items);
    b.add_file("items.csv");
    let ids: Vec<String> = (0..case.customers).map(customer_id).collect();
    for (row, l) in case.lines.iter().enumerate() {
        let pick = (l.mantissa + i64::from(l.start.days())).rem_euclid(3);
        let product = ["", "alpha", "beta"][pick as usize];
        b.push_line_detail(
            LineInput {
                customer: &ids[l.customer],
                currency: currency(case, l),
                amount: Decimal {
                    mantissa: l.mantissa,
                    decimals: l.decimals,
                },
                interval: l.interval,
                start: l.start,
                end: l.end,
                origin: Origin {
                    file: 0,
                    line: row as u64 + 2,
                },
            },
            nrr_core::dataset::LineDetail {
                product,
                plan: "",
                quantity: 1,
            },
        );
    }
    for r in &case.fx {
        b.push_fx(
            "EUR",
            r.date,
            Decimal {
                mantissa: r.mantissa,
                decimals: r.decimals,
            },
        );
    }
    b
}

/// `b.finish` with the case's reporting currency.
fn finish(case: &Case, b: DatasetBuilder) -> Dataset {
    let reporting = if case.single { None } else { Some("USD") };
    let reporting = b.reporting(reporting).expect("one reporting currency");
    b.finish(&reporting).expect("generated data builds")
}

proptest! {
    #![proptest_config(config())]

    /// (f') a segment taken from the lines (`--segment product`), whose value can change from
    /// month to month: the totals are unchanged; every month figure, count, period and TTM
    /// figure of the segments adds up to the total; what moves out of one segment moves into
    /// another; and each segment's bridge closes (opening + movements + moved_in - moved_out
    /// = closing, and a month opens where the previous one closed).
    #[test]
    fn product_segments_partition_the_totals(case in any_case()) {
        let ds = dataset_with_products(&case);
        let spec = SegmentSpec::by_line(&ds, nrr_core::engine::LineColumn::Product);
        let r = compute(&ds, &Options { segment: Some(spec), ..options(&case) }).unwrap();
        let plain = compute(&ds, &options(&case)).unwrap();
        prop_assert_eq!(&r.months, &plain.months);
        prop_assert_eq!(&r.periods, &plain.periods);
        prop_assert_eq!(&r.ttm, &plain.ttm);
        let seg = r.segments.as_ref().unwrap();
        let parts: Vec<_> = seg.values.values().collect();
        for (i, total) in r.months.iter().enumerate() {
            for k in 0..8 {
                let sum: i128 = parts.iter().map(|p| month_money(&p.months[i])[k].units).sum();
                prop_assert_eq!(sum, month_money(total)[k].units, "month {} field {}", total.month, k);
            }
            for k in 0..4 {
                let sum: u64 = parts.iter().map(|p| month_counts(&p.months[i])[k]).sum();
                prop_assert_eq!(sum, month_counts(total)[k]);
            }
            let moved = |f: fn(&MonthRow) -> Option<Money>| -> i128 {
                parts.iter().map(|p| f(&p.months[i]).expect("line segments carry moves").units).sum()
            };
            prop_assert_eq!(moved(|m| m.moved_in), moved(|m| m.moved_out));
            for p in &parts {
                let m = &p.months[i];
                let (mi, mo) = (m.moved_in.unwrap().units, m.moved_out.unwrap().units);
                prop_assert_eq!(month_bridge_gap(m) + mi - mo, 0, "segment bridge in {}", m.month);
                if i > 0 {
                    prop_assert_eq!(m.opening_mrr, p.months[i - 1].closing_mrr);
                }
            }
        }
        period_partition(&r, &parts)?;
    }
}

proptest! {
    #![proptest_config(config())]

    /// The reactivation rule only moves a return's money between new, reactivation and
    /// expansion: every month's bridge still closes; closing MRR, churn, contraction, fx,
    /// customer counts and the sum new + reactivation + expansion are those of `any-gap`; and
    /// every period's frozen-cohort retention (with its expansion reasons) is unchanged.
    #[test]
    fn reactivation_rules_only_move_returns_between_categories(case in any_case(), n in 0u32..6) {
        use nrr_core::policy::Reactivation;
        let base = report(&case);
        for rule in [Reactivation::Window(n), Reactivation::AsExpansion] {
            let r = compute(&dataset(&case), &Options { reactivation: rule, ..options(&case) }).unwrap();
            // Frozen cohorts never hold a return: retention is the same under every rule.
            for (p, q) in r.periods.iter().zip(&base.periods) {
                prop_assert_eq!(&p.retention, &q.retention, "period {}", p.period);
            }
            for (p, q) in r.ttm.iter().zip(&base.ttm) {
                prop_assert_eq!(&p.retention, &q.retention, "ttm {}", p.month);
            }
            for (m, b) in r.months.iter().zip(&base.months) {
                prop_assert_eq!(month_bridge_gap(m), 0);
                prop_assert_eq!(m.closing_mrr, b.closing_mrr);
                prop_assert_eq!(m.churn, b.churn);
                prop_assert_eq!(m.contraction, b.contraction);
                prop_assert_eq!(m.fx, b.fx);
                prop_assert_eq!(m.customers, b.customers);
                prop_assert_eq!(m.churned_customers, b.churned_customers);
                let inflow = |x: &MonthRow| x.new.units + x.reactivation.units + x.expansion.units;
                prop_assert_eq!(inflow(m), inflow(b));
                prop_assert_eq!(
                    m.new_customers + m.reactivated_customers,
                    b.new_customers + b.reactivated_customers
                );
                if rule == Reactivation::AsExpansion {
                    prop_assert!(m.reactivation.is_zero());
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Movement rows (`nrr movements`) and top customers (`--top`)

/// The case's dataset with products on its lines (as [`dataset_with_products`]) and, for about
/// half of the customers, a pause over up to a year of random months (so paused and resumed rows
/// occur where such a customer's MRR falls to 0 or returns inside it).
/// The capped movement list by its definition: under the cap every row (`None`); over it,
/// every month and category's `k` largest rows by amount (a stable sort: ties to the earlier
/// row), `k` the largest that fits the cap, in the full list's order.
fn largest_of_naive(
    all: &nrr_core::movements::Movements,
    cap: usize,
) -> (Option<usize>, Vec<nrr_core::movements::MovementRow>) {
    use nrr_core::movements::Category;
    use std::collections::BTreeMap;
    if all.rows.len() <= cap {
        return (None, all.rows.clone());
    }
    let mut groups: BTreeMap<(Month, Category), Vec<usize>> = BTreeMap::new();
    for (i, r) in all.rows.iter().enumerate() {
        groups.entry((r.month, r.category)).or_default().push(i);
    }
    for ix in groups.values_mut() {
        ix.sort_by_key(|&i| std::cmp::Reverse(all.rows[i].amount.units.abs()));
    }
    let kept_with = |k: usize| groups.values().map(|g| g.len().min(k)).sum::<usize>();
    let k = (0..=all.rows.len())
        .take_while(|&k| kept_with(k) <= cap)
        .last()
        .unwrap();
    let mut kept: Vec<usize> = groups
        .values()
        .flat_map(|g| g.iter().take(k).copied())
        .collect();
    kept.sort_unstable();
    (Some(k), kept.iter().map(|&i| all.rows[i].clone()).collect())
}

/// The workbook's capped list over several of the pass's chunks of customers (2,048 each):
/// 7,000 customers whose amounts tie often, ids not in index order (`cust-10` < `cust-2`).
#[test]
fn largest_movements_across_chunks_of_customers() {
    use nrr_core::movements::{largest_movements, movements};
    let mut rng = Rng::new(11);
    let mut lines = Vec::new();
    for c in 0..7000 {
        for _ in 0..1 + rng.below(3) {
            let start = rng.below(700) as i32;
            lines.push(GenLine {
                customer: c,
                eur: false,
                mantissa: [100, 250, 1000, 1250][rng.below(4)] * (1 + rng.below(3) as i64),
                decimals: 0,
                interval: 1,
                start: day0().add_days(start),
                end: (rng.below(3) > 0).then(|| day0().add_days(start + 1 + rng.below(400) as i32)),
            });
        }
    }
    let case = Case {
        customers: 7000,
        lines,
        fx: Vec::new(),
        single: true,
        from: month0(),
        to: month0().plus(MONTHS - 1),
        seed: 5,
    };
    let ds = dataset_with_products_and_pauses(&case);
    let opts = options(&case);
    let all = movements(&ds, &opts, &[]).unwrap();
    assert!(all.rows.len() > 10_000, "{} rows", all.rows.len());
    for cap in [0, 1, 500, 7_777, all.rows.len() - 1, all.rows.len()] {
        let got = largest_movements(&ds, &opts, cap).unwrap();
        assert_eq!(got.total, all.rows.len());
        let (k, want) = largest_of_naive(&all, cap);
        assert_eq!(got.per_group, k, "cap {cap}");
        assert!(got.movements.rows == want, "cap {cap}: rows differ");
    }
}

fn dataset_with_products_and_pauses(case: &Case) -> Dataset {
    let mut b = builder_with_products(case);
    let mut rng = Rng::new(case.seed ^ 0x9e37_79b9);
    for c in 0..case.customers {
        if rng.below(2) == 0 {
            let start = month0().plus(rng.below(MONTHS as usize) as i32);
            let end = start.plus(1 + rng.below(12) as i32);
            b.push_pause(&customer_id(c), start.first_day(), Some(end.first_day()));
        }
    }
    finish(case, b)
}

/// A month row's figure for a movement category, `None` when the row has no such figure.
fn month_figure(m: &MonthRow, c: nrr_core::movements::Category) -> Option<Money> {
    use nrr_core::engine::Movement as M;
    use nrr_core::movements::Category as C;
    match c {
        C::Movement(M::New) => Some(m.new),
        C::Movement(M::Reactivation) => Some(m.reactivation),
        C::Movement(M::Expansion) => Some(m.expansion),
        C::Movement(M::Contraction) => Some(m.contraction),
        C::Movement(M::Churn) => Some(m.churn),
        C::Movement(M::Paused) => m.paused,
        C::Movement(M::Resumed) => m.resumed,
        C::Fx => Some(m.fx),
        C::MovedOut => m.moved_out,
        C::MovedIn => m.moved_in,
    }
}

const CATEGORIES: [nrr_core::movements::Category; 10] = {
    use nrr_core::engine::Movement as M;
    use nrr_core::movements::Category as C;
    [
        C::Movement(M::New),
        C::Movement(M::Reactivation),
        C::Movement(M::Expansion),
        C::Movement(M::Contraction),
        C::Movement(M::Churn),
        C::Movement(M::Paused),
        C::Movement(M::Resumed),
        C::Fx,
        C::MovedOut,
        C::MovedIn,
    ]
};

/// For every month of `months` and every category, the exact sum of the rows `keep` selects
/// equals the month's figure (a category the rows lack, 0); the expansion and contraction
/// rows by reason equal the month's split; and each month's rows, signed, take opening to
/// closing in both amount columns.
fn rows_match_months(
    label: &str,
    m: &nrr_core::movements::Movements,
    months: &[MonthRow],
    keep: &dyn Fn(&nrr_core::movements::MovementRow) -> bool,
) -> Result<(), TestCaseError> {
    use nrr_core::engine::Movement as M;
    use nrr_core::movements::Category as C;
    for mr in months {
        let rows: Vec<_> = m
            .rows
            .iter()
            .filter(|r| r.month == mr.month && keep(r))
            .collect();
        for r in &rows {
            prop_assert_eq!(r.amount.denominator, mr.closing_mrr.denominator);
            prop_assert_eq!(
                r.amount_at_month_rates.denominator,
                mr.closing_mrr.denominator
            );
        }
        for c in CATEGORIES {
            let sum: i128 = rows
                .iter()
                .filter(|r| r.category == c)
                .map(|r| r.amount.units)
                .sum();
            let want = month_figure(mr, c).map_or(0, |f| f.units);
            prop_assert_eq!(sum, want, "{} {} {}", label, mr.month, c.name());
        }
        let by_reason = |c: C, name: &str| -> i128 {
            rows.iter()
                .filter(|r| r.category == c && r.reason == Some(name))
                .map(|r| r.amount.units)
                .sum()
        };
        let e = &mr.expansion_by_reason;
        for (name, v) in [
            ("seats", e.seats),
            ("price", e.price),
            ("plan", e.plan),
            ("cross_sell", e.cross_sell),
            ("interval", e.interval),
            ("mixed", e.mixed),
        ] {
            prop_assert_eq!(
                by_reason(C::Movement(M::Expansion), name),
                v.units,
                "{} {} expansion {}",
                label,
                mr.month,
                name
            );
        }
        let c = &mr.contraction_by_reason;
        for (name, v) in [
            ("seats", c.seats),
            ("price", c.price),
            ("plan", c.plan),
            ("product_removed", c.product_removed),
            ("interval", c.interval),
            ("mixed", c.mixed),
        ] {
            prop_assert_eq!(
                by_reason(C::Movement(M::Contraction), name),
                v.units,
                "{} {} contraction {}",
                label,
                mr.month,
                name
            );
        }
        let change = mr.closing_mrr.units - mr.opening_mrr.units;
        let signed = |f: fn(&nrr_core::movements::MovementRow) -> Money| -> i128 {
            rows.iter().map(|r| r.category.sign() * f(r).units).sum()
        };
        prop_assert_eq!(
            signed(|r| r.amount),
            change,
            "{} {} rolls forward",
            label,
            mr.month
        );
        prop_assert_eq!(
            signed(|r| r.amount_at_month_rates),
            change,
            "{} {} rolls forward at the month's rates",
            label,
            mr.month
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// The movement rows are the bridge's: for every month and category (paused and resumed
    /// included), the exact sum of the rows equals the report's figure, with a customer
    /// attribute cut and a product cut the same holds in every segment value (moved_in and
    /// moved_out included), both amount columns roll opening to closing, and the rows come
    /// in (month, customer id, category) order, one per key.
    #[test]
    fn movement_rows_sum_to_the_report(case in any_case(), rule in 0u32..8) {
        use nrr_core::engine::{LineColumn, Reactivation};
        let ds = dataset_with_products_and_pauses(&case);
        let reactivation = match rule {
            0..=3 => Reactivation::AnyGap,
            4 | 5 => Reactivation::Window(rule - 4),
            _ => Reactivation::AsExpansion,
        };
        let opts = Options { reactivation, ..options(&case) };
        let mut rng = Rng::new(case.seed);
        let tier = SegmentSpec {
            column: "tier".into(),
            values: ["", "mid", "top"].iter().map(|v| v.to_string()).collect(),
            of_customer: (0..ds.customers.len()).map(|_| rng.below(3) as u32).collect(),
            ..SegmentSpec::default()
        };
        let product = SegmentSpec::by_line(&ds, LineColumn::Product);
        let cuts = [tier.clone(), product.clone()];
        let m = nrr_core::movements::movements(&ds, &opts, &cuts).unwrap();
        let r = compute(&ds, &opts).unwrap();
        // The totals carry no moves: each moved_out row has its moved_in twin.
        rows_match_months("total", &m, &r.months, &|row| row.moved_cut.is_none())?;
        let moved = |c| m.rows.iter().filter(|r| r.category == c).map(|r| (r.month, r.customer_id.clone(), r.amount)).collect::<Vec<_>>();
        prop_assert_eq!(moved(nrr_core::movements::Category::MovedOut), moved(nrr_core::movements::Category::MovedIn));

        for (k, spec) in cuts.iter().enumerate() {
            let seg = compute(&ds, &Options { segment: Some(spec.clone()), ..opts.clone() }).unwrap();
            for (value, figures) in &seg.segments.as_ref().unwrap().values {
                let label = format!("{}={value}", spec.column);
                // A move belongs to the cut whose value changed.
                rows_match_months(&label, &m, &figures.months, &|row| {
                    m.segment_value(row, k) == value && row.moved_cut.is_none_or(|c| c == k)
                })?;
            }
        }

        let key = |r: &nrr_core::movements::MovementRow| {
            (r.month, r.customer_id.clone(), r.category, r.moved_cut)
        };
        for w in m.rows.windows(2) {
            prop_assert!(key(&w[0]) < key(&w[1]), "order: {:?} then {:?}", key(&w[0]), key(&w[1]));
        }
        for row in &m.rows {
            prop_assert!(row.month >= case.from && row.month <= case.to);
            prop_assert_eq!(row.segments.len(), 2);
        }
    }

    /// The workbook's capped movement list: under the cap it is every row; over it, every
    /// month and category keeps its `k` largest rows by amount (ties to the smaller customer
    /// id, as a stable sort of the full list finds them), `k` the largest that fits the cap,
    /// in the full list's order.
    #[test]
    fn largest_movements_are_the_largest_of_each_month_and_category(case in any_case(), cap in 0usize..40) {
        use nrr_core::movements::{largest_movements, movements};
        let ds = dataset_with_products_and_pauses(&case);
        let opts = options(&case);
        let all = movements(&ds, &opts, &[]).unwrap();
        let got = largest_movements(&ds, &opts, cap).unwrap();
        prop_assert_eq!(got.total, all.rows.len());
        let (k, want) = largest_of_naive(&all, cap);
        prop_assert_eq!(got.per_group, k);
        prop_assert_eq!(&got.movements.rows, &want);
    }

    /// The workbook's cohorts come from the pass that makes its movement rows, the HTML
    /// page's from a pass of their own: the two are the same, for any cap; each shows only
    /// what it asked for.
    #[test]
    fn the_workbooks_one_pass_gives_the_pages_cohorts(case in any_case(), top in 0usize..4, cap in 0usize..30) {
        use nrr_core::assemble::{assemble, Inputs};
        use nrr_core::detail::{detail, Shown};
        let ds = dataset_with_products_and_pauses(&case);
        let opts = options(&case);
        let notes = nrr_core::report::Notes::default();
        let inputs = Inputs {
            dataset: &ds,
            options: &opts,
            segments: &[],
            policies: &nrr_core::policy::Policies::default(),
            applied: nrr_core::policy::Applied::default(),
            preset: None,
            notes: &notes,
            movement_check: None,
            usage: false,
            config: None,
            settings: &[],
        };
        let report = assemble(&inputs).unwrap();
        let page = detail(&inputs, &report, Shown::Page { top }).unwrap();
        let book = detail(&inputs, &report, Shown::Workbook { movement_rows: cap }).unwrap();
        prop_assert_eq!(&page.cohorts, &book.cohorts);
        prop_assert_eq!(&page.cohort_averages, &book.cohort_averages);
        prop_assert!(page.movements.movements.rows.is_empty());
        prop_assert!(book.movements.movements.rows.len() <= cap);
        prop_assert!(book.drill.is_empty() && book.customers.is_empty());
        prop_assert!(page.drill.iter().all(|d| d.customers.len() <= top));
    }

    /// `--top N`: every period's and TTM's lists name the cohort customers with the largest
    /// churn (t0 MRR), contraction (s - e) and expansion (e - s) at t0's rates, as the naive
    /// model finds them: at most N, largest first, equal amounts in customer id order; and
    /// the first entries are the customers `concentration` would name.
    #[test]
    fn top_customers_are_the_largest_cohort_movements(case in any_case(), n in 0usize..5) {
        let r = compute(&dataset(&case), &Options { top: n, ..options(&case) }).unwrap();
        let model = Model { case: &case };
        let check = |label: String, t0: Month, t1: Month, got: &nrr_core::report::TopCustomers|
            -> Result<(), TestCaseError> {
            let mut lists: [Vec<(i128, String)>; 3] = Default::default();
            for c in 0..case.customers {
                let s = model.value(c, t0, t0);
                if s == 0 {
                    continue;
                }
                let e = model.value(c, t1, t0);
                let (k, amount) = if e == 0 { (0, s) } else if e < s { (1, s - e) } else { (2, e - s) };
                if amount > 0 {
                    lists[k].push((amount, customer_id(c)));
                }
            }
            for (list, got) in lists.iter_mut().zip([&got.churn, &got.contraction, &got.expansion]) {
                list.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                list.truncate(n);
                prop_assert_eq!(list.len(), got.len(), "{}", label);
                for ((amount, id), g) in list.iter().zip(got.iter()) {
                    prop_assert_eq!(id, &g.customer_id, "{}", label);
                    prop_assert!(same(g.amount, *amount), "{}: {} {} vs {}", label, id, g.amount, amount);
                }
            }
            Ok(())
        };
        for p in &r.periods {
            check(p.period.clone(), p.start_month.plus(-1), p.end_month, &p.top_customers)?;
            for c in &p.concentration {
                let first = if c.movement == "churn" { &p.top_customers.churn } else { &p.top_customers.expansion };
                if n > 0 {
                    prop_assert_eq!(&first[0].customer_id, &c.customer_id);
                }
            }
        }
        for t in &r.ttm {
            check(format!("ttm {}", t.month), t.t0, t.month, &t.top_customers)?;
        }
        // Segments carry no lists, and cutting does not change the totals' lists.
        let ds = dataset(&case);
        let spec = SegmentSpec {
            column: "tier".into(),
            values: vec![String::new(), "odd".into()],
            of_customer: (0..ds.customers.len() as u32).map(|c| c % 2).collect(),
            ..SegmentSpec::default()
        };
        let cut = compute(&ds, &Options { top: n, segment: Some(spec), ..options(&case) }).unwrap();
        prop_assert_eq!(&cut.periods, &r.periods);
        prop_assert_eq!(&cut.ttm, &r.ttm);
        for f in cut.segments.as_ref().unwrap().values.values() {
            prop_assert!(f.periods.iter().all(|p| p.top_customers.is_empty()));
            prop_assert!(f.ttm.iter().all(|t| t.top_customers.is_empty()));
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// The rows' amounts at 12 decimals (what the files hold): each is its exact value rounded
    /// down or up (exact when it has at most 12 decimals), moves are rounded half-even (so
    /// twins stay equal), the rounded rows of each month and category add up to their exact
    /// sum rounded half-even at 12 decimals, and those of each value of the first cut within it
    /// to their exact sum rounded down or up.
    #[test]
    fn rows_at_twelve_decimals_add_up_to_the_exact_sums(case in any_case()) {
        use nrr_core::engine::LineColumn;
        use nrr_core::movements::Category;
        let ds = dataset_with_products_and_pauses(&case);
        let cuts = [SegmentSpec::by_line(&ds, LineColumn::Product)];
        let m = nrr_core::movements::movements(&ds, &options(&case), &cuts).unwrap();
        let scaled = m.scaled_amounts(12).unwrap();
        let p = 10i128.pow(12);
        // (month, category, first cut's value or None for all): per column, (rounded, exact).
        type Sums = [(i128, i128); 2];
        let mut groups: std::collections::BTreeMap<(Month, Category, Option<u32>), Sums> =
            Default::default();
        for (row, got) in m.rows.iter().zip(&scaled) {
            let moved = matches!(row.category, Category::MovedOut | Category::MovedIn);
            for (col, exact) in [row.amount, row.amount_at_month_rates].into_iter().enumerate() {
                let (g, d) = (got[col], exact.denominator);
                // g / 10^12 is exact / d rounded down or up: |g * d - exact * 10^12| < d.
                prop_assert!((g * d - exact.units * p).abs() < d, "{:?}", row);
                if moved {
                    prop_assert_eq!(g, exact.scaled(12).unwrap());
                    continue;
                }
                for key in [(row.month, row.category, None), (row.month, row.category, Some(row.segments[0]))] {
                    let e = groups.entry(key).or_default();
                    e[col].0 += g;
                    e[col].1 += exact.units;
                }
            }
        }
        let den = ds.scale.denominator();
        for (key, cols) in groups {
            for (sum, exact) in cols {
                if key.2.is_none() {
                    let want = Money { units: exact, denominator: den }.scaled(12).unwrap();
                    prop_assert_eq!(sum, want, "{:?}", key);
                } else {
                    prop_assert!((sum * den - exact * p).abs() < den, "{:?}", key);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shown figures foot (docs/metrics.md, "Shown figures foot")

/// `"-1234.56"` -> -123456 cents; every shown amount has exactly 2 decimals.
fn cents(v: &serde_json::Value) -> i128 {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("an amount is a string: {v}"));
    let (int, frac) = s.split_once('.').expect("two decimals");
    assert_eq!(frac.len(), 2, "shown amounts have 2 decimals: {s}");
    let neg = int.starts_with('-');
    let whole: i128 = int.trim_start_matches('-').parse().expect("digits");
    let c = whole * 100 + frac.parse::<i128>().expect("digits");
    if neg {
        -c
    } else {
        c
    }
}

const FLOW_SIGNS: [(&str, i128); 10] = [
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

/// Every identity a reader can check on the shown figures of one set (totals or a segment).
fn check_shown(f: &serde_json::Value, label: &str) -> Result<(), TestCaseError> {
    let get = |o: &serde_json::Value, k: &str| o.get(k).map_or(0, cents);
    let bridge = |o: &serde_json::Value, open: &str, close: &str, what: &str| {
        let sum: i128 = get(o, open) + FLOW_SIGNS.iter().map(|(k, s)| s * get(o, k)).sum::<i128>();
        prop_assert_eq!(
            sum,
            get(o, close),
            "{} {}: the shown bridge foots",
            label,
            what
        );
        Ok(())
    };
    let reasons = |o: &serde_json::Value, what: &str| {
        for (total, parts) in [
            ("expansion", "expansion_by_reason"),
            ("contraction", "contraction_by_reason"),
        ] {
            let sum: i128 = o[parts].as_object().unwrap().values().map(cents).sum();
            prop_assert_eq!(
                sum,
                get(o, total),
                "{} {}: {} reasons add up",
                label,
                what,
                total
            );
        }
        Ok(())
    };
    let months = f["months"].as_array().unwrap();
    for (i, m) in months.iter().enumerate() {
        let what = m["month"].as_str().unwrap();
        bridge(m, "opening_mrr", "closing_mrr", what)?;
        reasons(m, what)?;
        if i > 0 {
            prop_assert_eq!(get(m, "opening_mrr"), get(&months[i - 1], "closing_mrr"));
        }
    }
    for p in f["periods"]
        .as_array()
        .unwrap()
        .iter()
        .chain(f["ttm"].as_array().unwrap())
    {
        let what = p.get("period").unwrap_or(&p["month"]).to_string();
        let cohort =
            get(p, "starting_mrr") + get(p, "expansion") - get(p, "contraction") - get(p, "churn");
        prop_assert_eq!(
            cohort,
            get(p, "ending_cohort_mrr"),
            "{} {}: the shown cohort foots",
            label,
            what
        );
        reasons(p, &what)?;
        bridge(&p["bridge"], "opening", "closing", &what)?;
        prop_assert_eq!(get(&p["metrics"], "arr"), 12 * get(&p["bridge"], "closing"));
        // A period's bridge is the sum of its months as shown.
        let (from, to) = match (p.get("start_month"), p.get("t0")) {
            (Some(s), _) => (
                s.as_str().unwrap().to_string(),
                p["end_month"].as_str().unwrap().to_string(),
            ),
            (None, Some(t0)) => (
                Month::parse(t0.as_str().unwrap())
                    .unwrap()
                    .plus(1)
                    .to_string(),
                p["month"].as_str().unwrap().to_string(),
            ),
            _ => unreachable!("a period has start_month, a TTM row t0"),
        };
        let inside: Vec<_> = months
            .iter()
            .filter(|m| (from.as_str()..=to.as_str()).contains(&m["month"].as_str().unwrap()))
            .collect();
        for (k, _) in FLOW_SIGNS {
            let sum: i128 = inside.iter().map(|m| get(m, k)).sum();
            prop_assert_eq!(
                sum,
                get(&p["bridge"], k),
                "{} {}: bridge {} is its months' sum",
                label,
                what,
                k
            );
        }
    }
    Ok(())
}

/// Every shown amount of the segments adds up to the totals' (moves add up to each other).
fn check_segment_sums(
    total: &serde_json::Value,
    parts: &[&serde_json::Value],
    path: &str,
) -> Result<(), TestCaseError> {
    const SKIP: [&str; 5] = ["exact", "notes", "concentration", "arpa", "ltv"];
    match total {
        serde_json::Value::Object(o) => {
            for (k, v) in o.iter().filter(|(k, _)| !SKIP.contains(&k.as_str())) {
                let sub: Vec<&serde_json::Value> = parts.iter().map(|p| &p[k.as_str()]).collect();
                check_segment_sums(v, &sub, &format!("{path}.{k}"))?;
            }
        }
        serde_json::Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                let sub: Vec<&serde_json::Value> = parts.iter().map(|p| &p[i]).collect();
                check_segment_sums(v, &sub, &format!("{path}[{i}]"))?;
            }
        }
        serde_json::Value::String(s) if s.contains('.') && s.parse::<f64>().is_ok() => {
            let sum: i128 = parts.iter().map(|p| cents(p)).sum();
            prop_assert_eq!(
                sum,
                cents(total),
                "{}: the segments add up to the total",
                path
            );
        }
        _ => {}
    }
    Ok(())
}

/// The value a footed row keeps for `key`: its `exact` entry, else the shown amount.
fn kept(row: &serde_json::Value, key: &str) -> String {
    let shown = key.split_once('.').map_or(&row[key], |(a, b)| &row[a][b]);
    row.get("exact")
        .and_then(|e| e.get(key))
        .unwrap_or(shown)
        .as_str()
        .unwrap()
        .to_string()
}

proptest! {
    #![proptest_config(config())]

    /// Every shown bridge, cohort identity, reason split, ARR and segment sum of a footed
    /// report foots in cents, for a customer-attribute cut and a product cut; and the JSON
    /// keeps every engine value exactly (in `exact` where the shown cents differ).
    #[test]
    fn shown_figures_foot_and_json_keeps_the_exact_values(case in any_case()) {
        let ds = dataset_with_products(&case);
        let product = SegmentSpec::by_line(&ds, nrr_core::engine::LineColumn::Product);
        let mut rng = Rng::new(case.seed);
        let tier = SegmentSpec {
            column: "tier".into(),
            values: ["", "mid", "top"].iter().map(|v| v.to_string()).collect(),
            of_customer: ds.customers.iter().map(|_| rng.below(3) as u32).collect(),
            ..SegmentSpec::default()
        };
        let exact = compute(&ds, &Options { segment: Some(tier), ..options(&case) }).unwrap();
        let mut r = exact.clone();
        r.segment_cuts = r.segments.clone().into_iter().collect();
        r.segment_cuts.extend(compute(&ds, &Options { segment: Some(product), ..options(&case) }).unwrap().segments);
        nrr_core::foot::foot(&mut r);
        let v = json(&r);
        check_shown(&v, "total")?;
        for cut in v["segment_cuts"].as_array().unwrap() {
            let parts: Vec<&serde_json::Value> = cut["values"].as_object().unwrap().values().collect();
            for (name, f) in cut["values"].as_object().unwrap() {
                check_shown(f, &format!("{}={}", cut["column"], name))?;
            }
            for key in ["months", "periods", "ttm"] {
                let sub: Vec<&serde_json::Value> = parts.iter().map(|p| &p[key]).collect();
                check_segment_sums(&v[key], &sub, key)?;
            }
        }
        // Nothing is lost: every amount is the engine's, exactly, in `exact` or as shown.
        for (m, row) in exact.months.iter().zip(v["months"].as_array().unwrap()) {
            let keys = ["opening_mrr", "new", "reactivation", "expansion", "contraction", "churn", "fx", "closing_mrr"];
            for (k, money) in keys.iter().zip(month_money(m)) {
                prop_assert_eq!(kept(row, k), nrr_core::money::exact_string(money), "{} {}", m.month, k);
            }
            prop_assert_eq!(kept(row, "expansion_by_reason.seats"),
                nrr_core::money::exact_string(m.expansion_by_reason.seats));
        }
        for (p, row) in exact.periods.iter().zip(v["periods"].as_array().unwrap()) {
            let keys = ["starting_mrr", "expansion", "contraction", "churn", "ending_cohort_mrr", "fx_impact"];
            for (k, money) in keys.iter().zip(retention_money(&p.retention)) {
                prop_assert_eq!(kept(row, k), nrr_core::money::exact_string(money), "{} {}", p.period, k);
            }
            prop_assert_eq!(kept(&row["bridge"], "closing"), nrr_core::money::exact_string(p.bridge.closing));
            prop_assert_eq!(kept(&row["metrics"], "arr"), nrr_core::money::exact_string(p.metrics.arr));
        }
    }
}
