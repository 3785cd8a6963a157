//! Expansion and contraction attributed to seats, price, plan, cross-sell / product removed,
//! interval or mixed (docs/metrics.md, "Expansion quality"), on hand-checked one-change cases.

mod common;

use common::*;
use nrr_core::dataset::{DatasetBuilder, LineDetail, LineInput, Origin, SourceKind};
use nrr_core::engine::compute;
use nrr_core::report::Report;

/// `(customer, product, plan, quantity, amount, interval, start, end)`.
type Item<'a> = (
    &'a str,
    &'a str,
    &'a str,
    u64,
    &'a str,
    u32,
    &'a str,
    Option<&'a str>,
);

fn report(items: &[Item<'_>], from: &str, to: &str) -> Report {
    report_in(items, &[], from, to)
}

/// [`report`] with some lines in EUR (by index in `items`) at a rate of 1 (EUR -> USD), so
/// the customer takes the several-currency path.
fn report_in(items: &[Item<'_>], eur: &[usize], from: &str, to: &str) -> Report {
    let mut b = DatasetBuilder::new(SourceKind::Items);
    let f = b.add_file("items.csv");
    b.push_fx("EUR", date("2023-12-01"), dec("1"));
    for (i, &(customer, product, plan, quantity, amount, interval, start, end)) in
        items.iter().enumerate()
    {
        b.push_line_detail(
            LineInput {
                customer,
                currency: if eur.contains(&i) { "EUR" } else { "USD" },
                amount: dec(amount),
                interval,
                start: date(start),
                end: end.map(date),
                origin: Origin {
                    file: f,
                    line: i as u64 + 2,
                },
            },
            LineDetail {
                product,
                plan,
                quantity,
            },
        );
    }
    let reporting = b.reporting(Some("USD")).unwrap();
    compute(&b.finish(&reporting).unwrap(), &window(from, to)).unwrap()
}

/// The February movement of a customer whose lines change on 2024-02-01.
fn feb(items: &[Item<'_>]) -> (String, [String; 6], [String; 6]) {
    let r = report(items, "2024-01", "2024-02");
    let m = month_row(&r, "2024-02");
    let e = &m.expansion_by_reason;
    let c = &m.contraction_by_reason;
    (
        format!("+{} -{}", m.expansion, m.contraction),
        [e.seats, e.price, e.plan, e.cross_sell, e.interval, e.mixed].map(|x| x.to_string()),
        [
            c.seats,
            c.price,
            c.plan,
            c.product_removed,
            c.interval,
            c.mixed,
        ]
        .map(|x| x.to_string()),
    )
}

const Z: &str = "0.00";

fn only(i: usize, v: &str) -> [String; 6] {
    let mut a = [Z; 6].map(String::from);
    a[i] = v.to_string();
    a
}

const JAN: &str = "2024-01-01";
const FEB: &str = "2024-02-01";

#[test]
fn more_seats_on_the_same_plan_is_seats() {
    let r = feb(&[
        ("a", "core", "pro", 5, "500", 1, JAN, Some(FEB)),
        ("a", "core", "pro", 7, "700", 1, FEB, None),
    ]);
    assert_eq!(r, ("+200.00 -0.00".into(), only(0, "200.00"), only(0, Z)));
}

#[test]
fn fewer_seats_is_seats_contraction() {
    let r = feb(&[
        ("a", "core", "pro", 5, "500", 1, JAN, Some(FEB)),
        ("a", "core", "pro", 4, "400", 1, FEB, None),
    ]);
    assert_eq!(r, ("+0.00 -100.00".into(), only(0, Z), only(0, "100.00")));
}

#[test]
fn only_the_amount_changing_is_price() {
    let r = feb(&[
        ("a", "core", "pro", 5, "500", 1, JAN, Some(FEB)),
        ("a", "core", "pro", 5, "550", 1, FEB, None),
    ]);
    assert_eq!(r, ("+50.00 -0.00".into(), only(1, "50.00"), only(0, Z)));
}

/// A second subscription to the same plan and quantity adds units of that plan: `seats`
/// (plans and intervals compare as sets, quantities as the product's total), not a plan,
/// interval and quantity change at once (`mixed`), nor a price rise.
#[test]
fn a_second_subscription_to_the_same_plan_is_seats() {
    let r = feb(&[
        ("a", "core", "team", 1, "50", 1, JAN, None),
        ("a", "core", "team", 1, "50", 1, FEB, None),
    ]);
    assert_eq!(r, ("+50.00 -0.00".into(), only(0, "50.00"), only(0, Z)));
    let r = feb(&[
        ("a", "core", "team", 1, "50", 1, JAN, None),
        ("a", "core", "team", 1, "50", 1, JAN, Some(FEB)),
    ]);
    assert_eq!(r, ("+0.00 -50.00".into(), only(0, Z), only(0, "50.00")));
}

/// Units moved between two lines of one plan, the total kept: only the amount changed.
#[test]
fn the_same_total_quantity_split_differently_is_price() {
    let r = feb(&[
        ("a", "core", "pro", 2, "200", 1, JAN, Some(FEB)),
        ("a", "core", "pro", 3, "300", 1, JAN, Some(FEB)),
        ("a", "core", "pro", 1, "120", 1, FEB, None),
        ("a", "core", "pro", 4, "400", 1, FEB, None),
    ]);
    assert_eq!(r, ("+20.00 -0.00".into(), only(1, "20.00"), only(0, Z)));
}

#[test]
fn another_plan_of_the_same_product_is_plan() {
    let r = feb(&[
        ("a", "core", "pro", 5, "500", 1, JAN, Some(FEB)),
        ("a", "core", "enterprise", 5, "800", 1, FEB, None),
    ]);
    assert_eq!(r, ("+300.00 -0.00".into(), only(2, "300.00"), only(0, Z)));
}

#[test]
fn a_new_product_line_is_cross_sell_and_a_dropped_one_product_removed() {
    let r = feb(&[
        ("a", "core", "pro", 5, "500", 1, JAN, None),
        ("a", "analytics", "basic", 1, "100", 1, FEB, None),
    ]);
    assert_eq!(r, ("+100.00 -0.00".into(), only(3, "100.00"), only(0, Z)));
    let r = feb(&[
        ("a", "core", "pro", 5, "500", 1, JAN, None),
        ("a", "analytics", "basic", 1, "100", 1, JAN, Some(FEB)),
    ]);
    assert_eq!(r, ("+0.00 -100.00".into(), only(0, Z), only(3, "100.00")));
}

#[test]
fn a_new_billing_interval_is_interval() {
    // 100 a month becomes 1080 a year (90 a month).
    let r = feb(&[
        ("a", "core", "pro", 5, "100", 1, JAN, Some(FEB)),
        ("a", "core", "pro", 5, "1080", 12, FEB, None),
    ]);
    assert_eq!(r, ("+0.00 -10.00".into(), only(0, Z), only(4, "10.00")));
}

#[test]
fn several_reasons_at_once_are_mixed() {
    // Seats on core and a cross-sell in the same month.
    let r = feb(&[
        ("a", "core", "pro", 5, "500", 1, JAN, Some(FEB)),
        ("a", "core", "pro", 7, "700", 1, FEB, None),
        ("a", "analytics", "basic", 1, "100", 1, FEB, None),
    ]);
    assert_eq!(r, ("+300.00 -0.00".into(), only(5, "300.00"), only(0, Z)));
    // Plan and seats on one product.
    let r = feb(&[
        ("a", "core", "pro", 5, "500", 1, JAN, Some(FEB)),
        ("a", "core", "enterprise", 8, "900", 1, FEB, None),
    ]);
    assert_eq!(r, ("+400.00 -0.00".into(), only(5, "400.00"), only(0, Z)));
}

#[test]
fn period_retention_is_attributed_between_t0_and_t1_and_parts_sum_to_totals() {
    let items = [
        ("a", "core", "pro", 5, "500", 1, "2023-12-01", Some(FEB)),
        ("a", "core", "pro", 7, "700", 1, FEB, None),
        ("b", "core", "pro", 2, "200", 1, "2023-12-01", None),
        ("b", "analytics", "basic", 1, "50", 1, "2024-03-01", None),
        (
            "c",
            "core",
            "team",
            3,
            "300",
            1,
            "2023-12-01",
            Some("2024-03-01"),
        ),
        ("c", "core", "starter", 3, "150", 1, "2024-03-01", None),
    ];
    let r = report(&items, "2023-12", "2024-03");
    let q1 = &period(&r, "2024-Q1").retention;
    let e = &q1.expansion_by_reason;
    let c = &q1.contraction_by_reason;
    assert_exact(e.seats, "200");
    assert_exact(e.cross_sell, "50");
    assert_exact(c.plan, "150");
    assert_exact(q1.expansion, "250");
    assert_exact(q1.contraction, "150");
    for m in &r.months {
        let e = &m.expansion_by_reason;
        let sum = [e.seats, e.price, e.plan, e.cross_sell, e.interval, e.mixed]
            .iter()
            .map(|x| x.units)
            .sum::<i128>();
        assert_eq!(sum, m.expansion.units, "{}", m.month);
        let c = &m.contraction_by_reason;
        let sum = [
            c.seats,
            c.price,
            c.plan,
            c.product_removed,
            c.interval,
            c.mixed,
        ]
        .iter()
        .map(|x| x.units)
        .sum::<i128>();
        assert_eq!(sum, m.contraction.units, "{}", m.month);
    }
}

/// A product with more than 4 lines active at once is `mixed` only when its own value changed,
/// on both paths (one currency: line-set summaries; several: line by line): here it does not,
/// and the seat change on the other product is `seats`.
#[test]
fn an_unchanged_product_with_many_lines_does_not_make_the_change_mixed() {
    let mut items: Vec<Item<'_>> = (0..5)
        .map(|_| ("a", "addon", "x", 1, "10", 1, JAN, None))
        .collect();
    items.push(("a", "core", "pro", 5, "500", 1, JAN, Some(FEB)));
    items.push(("a", "core", "pro", 7, "700", 1, FEB, None));
    for eur in [vec![], vec![0]] {
        let r = report_in(&items, &eur, "2024-01", "2024-02");
        let m = month_row(&r, "2024-02");
        assert_eq!(m.expansion.to_string(), "200.00", "EUR lines {eur:?}");
        assert_eq!(
            m.expansion_by_reason.seats.to_string(),
            "200.00",
            "EUR lines {eur:?}"
        );
        assert_eq!(
            m.expansion_by_reason.mixed.to_string(),
            "0.00",
            "EUR lines {eur:?}"
        );
    }
}

/// `--segment product` with more than 128 products: a customer on a product whose segment
/// index is 128 or more counts once in each period, like any other (segment sums equal the
/// totals, and the totals are those without segments; it was once counted at every month it
/// spent in the segment). Products `p000` .. `p130`, one customer each; the last one expands
/// in March.
#[test]
fn segments_beyond_128_values_count_each_period_once() {
    let names: Vec<(String, String)> = (0..=130)
        .map(|i| (format!("c{i:03}"), format!("p{i:03}")))
        .collect();
    let mut items: Vec<Item<'_>> = names
        .iter()
        .map(|(c, p)| (c.as_str(), p.as_str(), "x", 1, "100", 1, "2023-11-01", None))
        .collect();
    let last = items.len() - 1;
    items[last].7 = Some("2024-03-01");
    items.push(("c130", "p130", "x", 2, "150", 1, "2024-03-01", None));
    let mut b = DatasetBuilder::new(SourceKind::Items);
    b.add_file("items.csv");
    for (i, &(customer, product, plan, quantity, amount, interval, start, end)) in
        items.iter().enumerate()
    {
        b.push_line_detail(
            LineInput {
                customer,
                currency: "USD",
                amount: dec(amount),
                interval,
                start: date(start),
                end: end.map(date),
                origin: Origin {
                    file: 0,
                    line: i as u64 + 2,
                },
            },
            LineDetail {
                product,
                plan,
                quantity,
            },
        );
    }
    let reporting = b.reporting(None).unwrap();
    let ds = b.finish(&reporting).unwrap();
    let spec = nrr_core::engine::SegmentSpec::by_line(&ds, nrr_core::engine::LineColumn::Product);
    let opts = nrr_core::engine::Options {
        segment: Some(spec),
        ..window("2023-11", "2024-06")
    };
    let r = compute(&ds, &opts).unwrap();
    // The totals with segments are those without.
    let plain = compute(&ds, &window("2023-11", "2024-06")).unwrap();
    assert_eq!(r.periods, plain.periods);
    let seg = r.segments.as_ref().unwrap();
    assert_eq!(seg.values.len(), 131);
    for (i, p) in r.periods.iter().enumerate() {
        let sum = |f: fn(&nrr_core::report::Retention) -> i128| -> i128 {
            seg.values
                .values()
                .map(|s| f(&s.periods[i].retention))
                .sum()
        };
        let total = &p.retention;
        assert_eq!(
            sum(|r| r.starting_mrr.units),
            total.starting_mrr.units,
            "{}",
            p.period
        );
        assert_eq!(
            sum(|r| r.expansion.units),
            total.expansion.units,
            "{}",
            p.period
        );
        assert_eq!(
            sum(|r| r.ending_cohort_mrr.units),
            total.ending_cohort_mrr.units,
            "{}",
            p.period
        );
    }
    let q1 = r.periods.iter().find(|p| p.period == "2024-Q1").unwrap();
    assert_eq!(q1.retention.expansion.to_string(), "50.00");
    let last = &seg.values["p130"];
    let q1 = last.periods.iter().find(|p| p.period == "2024-Q1").unwrap();
    assert_eq!(q1.retention.expansion.to_string(), "50.00");
}
