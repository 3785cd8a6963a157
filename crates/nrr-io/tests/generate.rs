//! Tests of the synthetic data generator: determinism, schema invariants, currencies, features.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::Path;

use nrr_io::generate::{generate, GenerateOptions};

const ITEMS_HEADER: [&str; 11] = [
    "customer_id",
    "subscription_id",
    "product",
    "plan",
    "quantity",
    "amount",
    "currency",
    "interval_months",
    "start_date",
    "end_date",
    "kind",
];

/// A parsed items.csv row.
#[derive(Debug, Clone)]
struct Item {
    customer: String,
    sub: String,
    product: String,
    quantity: u64,
    cents: u64,
    currency: String,
    interval: u32,
    start: (i32, u32, u32),
    end: Option<(i32, u32, u32)>,
    one_time: bool,
}

fn opts(customers: u64, months: u32, seed: u64, currencies: bool) -> GenerateOptions {
    GenerateOptions {
        customers,
        months,
        seed,
        currencies,
        ..GenerateOptions::default()
    }
}

fn days_in_month(y: i32, m: u32) -> u32 {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Strict YYYY-MM-DD with a valid calendar day.
fn parse_date(s: &str) -> (i32, u32, u32) {
    let b = s.as_bytes();
    assert!(
        b.len() == 10 && b[4] == b'-' && b[7] == b'-',
        "bad date {s:?}"
    );
    assert!(
        b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit()),
        "bad date {s:?}"
    );
    let y: i32 = s[0..4].parse().unwrap();
    let m: u32 = s[5..7].parse().unwrap();
    let d: u32 = s[8..10].parse().unwrap();
    assert!((1..=12).contains(&m), "bad month in {s:?}");
    assert!(d >= 1 && d <= days_in_month(y, m), "bad day in {s:?}");
    (y, m, d)
}

/// Exactly two decimals, no sign: returns cents.
fn parse_amount(s: &str) -> u64 {
    let (whole, frac) = s
        .split_once('.')
        .unwrap_or_else(|| panic!("bad amount {s:?}"));
    assert!(
        !whole.is_empty() && whole.bytes().all(|c| c.is_ascii_digit()),
        "bad amount {s:?}"
    );
    assert!(
        frac.len() == 2 && frac.bytes().all(|c| c.is_ascii_digit()),
        "bad amount {s:?}"
    );
    assert!(whole == "0" || !whole.starts_with('0'), "bad amount {s:?}");
    whole.parse::<u64>().unwrap() * 100 + frac.parse::<u64>().unwrap()
}

fn month_add(y: i32, m: u32, add: u32) -> (i32, u32) {
    let abs = y * 12 + (m as i32 - 1) + add as i32;
    (abs.div_euclid(12), abs.rem_euclid(12) as u32 + 1)
}

/// Reads items.csv and checks every per-row invariant; returns the rows.
fn read_items(dir: &Path, o: &GenerateOptions) -> Vec<Item> {
    let mut rdr = csv::Reader::from_path(dir.join("items.csv")).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, ITEMS_HEADER);
    let window_start = (o.start_year, o.start_month, 1);
    let (ey, em) = month_add(o.start_year, o.start_month, o.months);
    let window_end = (ey, em, 1);
    let width = o.customers.to_string().len();
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        assert_eq!(rec.len(), 11, "{rec:?}");
        let customer = rec[0].to_string();
        assert!(
            customer.len() == width + 1
                && customer.starts_with('c')
                && customer[1..].bytes().all(|c| c.is_ascii_digit()),
            "bad customer id {customer:?}"
        );
        let quantity: u64 = rec[4].parse().unwrap();
        let cents = parse_amount(&rec[5]);
        let currency = rec[6].to_string();
        assert!(["USD", "EUR", "GBP"].contains(&currency.as_str()));
        let interval: u32 = rec[7].parse().unwrap();
        assert!(interval >= 1);
        let start = parse_date(&rec[8]);
        let end = if rec[9].is_empty() {
            None
        } else {
            Some(parse_date(&rec[9]))
        };
        assert!(start >= window_start && start < window_end, "{rec:?}");
        if let Some(e) = end {
            assert!(start < e, "start must precede end: {rec:?}");
            assert!(e < window_end, "end outside window: {rec:?}");
        }
        let one_time = match &rec[10] {
            "recurring" => false,
            "one_time" => true,
            k => panic!("bad kind {k:?}"),
        };
        assert!(!rec[2].is_empty() && !rec[3].is_empty(), "{rec:?}");
        out.push(Item {
            customer,
            sub: rec[1].to_string(),
            product: rec[2].to_string(),
            quantity,
            cents,
            currency,
            interval,
            start,
            end,
            one_time,
        });
    }
    out
}

fn read_customers(dir: &Path) -> Vec<Vec<String>> {
    let mut rdr = csv::Reader::from_path(dir.join("customers.csv")).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, ["customer_id", "segment", "region", "plan_tier"]);
    rdr.records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

fn read_dir_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn by_customer(items: &[Item]) -> BTreeMap<&str, Vec<&Item>> {
    let mut map: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    for it in items {
        map.entry(it.customer.as_str()).or_default().push(it);
    }
    map
}

#[test]
fn same_options_give_identical_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    // More than one internal chunk, so several threads take part.
    let o = opts(20_000, 24, 7, true);
    let sa = generate(&o, a.path()).unwrap();
    let sb = generate(&o, b.path()).unwrap();
    assert_eq!(sa.item_rows, sb.item_rows);
    assert_eq!(sa.customers, 20_000);
    let fa = read_dir_bytes(a.path());
    let fb = read_dir_bytes(b.path());
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        ["customers.csv", "fx.csv", "items.csv"]
    );
    assert!(fa == fb, "outputs differ");

    // A customer's data does not depend on how many customers are generated.
    let c = tempfile::tempdir().unwrap();
    generate(&opts(200, 24, 7, true), c.path()).unwrap();
    let small = read_items(c.path(), &opts(200, 24, 7, true));
    let big = read_items(a.path(), &o);
    let strip = |s: &str| {
        s.trim_start_matches('c')
            .trim_start_matches('0')
            .to_string()
    };
    let small_rows: Vec<String> = small
        .iter()
        .map(|i| {
            format!(
                "{}|{}|{}|{:?}|{:?}",
                strip(&i.customer),
                i.cents,
                i.quantity,
                i.start,
                i.end
            )
        })
        .collect();
    let big_rows: Vec<String> = big
        .iter()
        .filter(|i| strip(&i.customer).parse::<u64>().unwrap() <= 200)
        .map(|i| {
            format!(
                "{}|{}|{}|{:?}|{:?}",
                strip(&i.customer),
                i.cents,
                i.quantity,
                i.start,
                i.end
            )
        })
        .collect();
    assert_eq!(small_rows, big_rows);

    // Another seed gives other data.
    let d = tempfile::tempdir().unwrap();
    generate(&opts(20_000, 24, 8, true), d.path()).unwrap();
    assert_ne!(fa["items.csv"], read_dir_bytes(d.path())["items.csv"]);
}

#[test]
fn rows_parse_and_satisfy_invariants() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(2000, 36, 42, true);
    let summary = generate(&o, dir.path()).unwrap();
    let items = read_items(dir.path(), &o);
    assert_eq!(summary.item_rows, items.len() as u64);
    assert_eq!(summary.files.len(), 3);

    let customers = read_customers(dir.path());
    assert_eq!(customers.len(), 2000);
    let ids: Vec<&str> = customers.iter().map(|c| c[0].as_str()).collect();
    assert_eq!(ids[0], "c0001");
    assert_eq!(ids[1999], "c2000");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids sorted and unique");
    for c in &customers {
        assert!(["smb", "mid", "ent"].contains(&c[1].as_str()), "{c:?}");
        assert!(["na", "emea", "apac"].contains(&c[2].as_str()), "{c:?}");
        assert!(!c[3].is_empty());
    }
    let groups = by_customer(&items);
    let known: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(groups.keys().copied().collect::<BTreeSet<_>>(), known);
    // Rows are grouped by customer, in customer order.
    let order: Vec<&str> = items.iter().map(|i| i.customer.as_str()).collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]));
    for lines in groups.values() {
        // One currency per customer.
        assert!(lines.iter().all(|l| l.currency == lines[0].currency));
    }
    let per_customer = items.len() as f64 / 2000.0;
    assert!(
        (1.8..=3.2).contains(&per_customer),
        "{per_customer} lines per customer"
    );
}

#[test]
fn window_crossing_years_and_leap_day() {
    let dir = tempfile::tempdir().unwrap();
    let o = GenerateOptions {
        customers: 20_000,
        months: 7,
        seed: 3,
        currencies: true,
        start_year: 2023,
        start_month: 11,
    };
    generate(&o, dir.path()).unwrap();
    let items = read_items(dir.path(), &o);
    assert!(items.iter().any(|i| i.start.0 == 2023));
    assert!(items.iter().any(|i| i.start.0 == 2024));
    assert!(items.iter().any(|i| i.end.is_some_and(|e| e.0 == 2024)));
    // Cancellations fall on any valid day, including the leap day.
    assert!(items.iter().any(|i| i.end == Some((2024, 2, 29))));
    check_fx(dir.path(), &o);

    let one = tempfile::tempdir().unwrap();
    let o1 = opts(50, 1, 1, false);
    generate(&o1, one.path()).unwrap();
    let items = read_items(one.path(), &o1);
    assert!(items.iter().all(|i| i.end.is_none()));
}

#[test]
fn degenerate_options() {
    let dir = tempfile::tempdir().unwrap();
    let s = generate(&opts(0, 12, 1, false), &dir.path().join("nested/out")).unwrap();
    assert_eq!((s.customers, s.item_rows), (0, 0));
    let text = fs::read_to_string(dir.path().join("nested/out/items.csv")).unwrap();
    assert_eq!(text.lines().count(), 1);

    let err = generate(&opts(10, 0, 1, false), dir.path()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let bad_month = GenerateOptions {
        start_month: 13,
        ..GenerateOptions::default()
    };
    let err = generate(&bad_month, dir.path()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn without_currencies_only_usd_and_no_fx() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(2000, 36, 42, false);
    let summary = generate(&o, dir.path()).unwrap();
    assert!(!dir.path().join("fx.csv").exists());
    assert_eq!(summary.files.len(), 2);
    let items = read_items(dir.path(), &o);
    assert!(items.iter().all(|i| i.currency == "USD"));
}

/// fx.csv: one row per foreign currency per month, dated the 1st, from at or before the first
/// month through the last month; 4-6 decimals; plausible rates.
fn check_fx(dir: &Path, o: &GenerateOptions) {
    let mut rdr = csv::Reader::from_path(dir.join("fx.csv")).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, ["date", "currency", "rate"]);
    let mut months: HashMap<String, BTreeSet<(i32, u32)>> = HashMap::new();
    let mut last: HashMap<String, f64> = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let (y, m, d) = parse_date(&rec[0]);
        assert_eq!(d, 1, "{rec:?}");
        let (_, frac) = rec[2].split_once('.').unwrap();
        assert!((4..=6).contains(&frac.len()), "{rec:?}");
        let rate: f64 = rec[2].parse().unwrap();
        let (lo, hi) = match &rec[1] {
            "EUR" => (0.85, 1.35),
            "GBP" => (1.0, 1.6),
            c => panic!("unexpected currency {c}"),
        };
        assert!((lo..=hi).contains(&rate), "{rec:?}");
        if let Some(prev) = last.insert(rec[1].to_string(), rate) {
            assert!(
                (rate / prev - 1.0).abs() < 0.05,
                "rates vary slowly: {rec:?}"
            );
        }
        assert!(
            months.entry(rec[1].to_string()).or_default().insert((y, m)),
            "one row per currency and month"
        );
    }
    for cur in ["EUR", "GBP"] {
        let set = &months[cur];
        assert!(*set.iter().next().unwrap() <= (o.start_year, o.start_month));
        for k in 0..o.months {
            assert!(
                set.contains(&month_add(o.start_year, o.start_month, k)),
                "{cur} month {k}"
            );
        }
    }
}

#[test]
fn with_currencies_fx_covers_every_month() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(2000, 36, 42, true);
    let summary = generate(&o, dir.path()).unwrap();
    assert_eq!(summary.files.last().unwrap(), &dir.path().join("fx.csv"));
    check_fx(dir.path(), &o);
    let items = read_items(dir.path(), &o);
    let groups = by_customer(&items);
    let foreign = groups.values().filter(|l| l[0].currency != "USD").count();
    assert!(
        (40..=200).contains(&foreign),
        "{foreign} of 2000 customers bill in EUR/GBP"
    );
    assert!(items.iter().any(|i| i.currency == "EUR"));
    assert!(items.iter().any(|i| i.currency == "GBP"));
}

#[test]
fn realistic_features_appear() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(2000, 36, 42, false);
    generate(&o, dir.path()).unwrap();
    let items = read_items(dir.path(), &o);
    let recurring: Vec<&Item> = items.iter().filter(|i| !i.one_time).collect();

    assert!(items.iter().any(|i| i.one_time), "one-time line");
    assert!(recurring.iter().any(|i| i.interval == 1), "monthly");
    assert!(recurring.iter().any(|i| i.interval == 3), "quarterly");
    assert!(recurring.iter().any(|i| i.interval == 12), "annual");
    assert!(recurring.iter().any(|i| i.end.is_none()), "open line");
    assert!(recurring.iter().any(|i| i.cents == 0), "free line");
    assert!(
        recurring
            .iter()
            .any(|i| i.interval == 12 && i.cents % 12 != 0),
        "annual amount not divisible into cents per month"
    );
    assert!(
        recurring
            .iter()
            .any(|i| i.interval == 3 && i.cents % 3 != 0),
        "quarterly amount not divisible into cents per month"
    );
    assert!(recurring.iter().any(|i| i.start.2 != 1), "mid-month start");
    assert!(
        recurring.iter().any(|i| i.end.is_some_and(|e| e.2 != 1)),
        "mid-month end"
    );
    let first_month = (o.start_year, o.start_month);
    let in_first = recurring
        .iter()
        .filter(|i| (i.start.0, i.start.1) == first_month)
        .map(|i| &i.customer)
        .collect::<BTreeSet<_>>()
        .len();
    assert!(
        (300..1000).contains(&in_first),
        "{in_first} active in month 0"
    );

    let groups = by_customer(&items);
    let signup_months: BTreeSet<(i32, u32)> = groups
        .values()
        .map(|l| l.iter().map(|i| (i.start.0, i.start.1)).min().unwrap())
        .collect();
    assert!(signup_months.len() >= 30, "sign-ups spread over the months");

    let (mut reactivated, mut churned, mut cross_sold) = (0, 0, 0);
    let (mut seat_up, mut seat_down, mut price_rise) = (0, 0, 0);
    for lines in groups.values() {
        let rec: Vec<&&Item> = lines.iter().filter(|i| !i.one_time).collect();
        // Reactivation: a line starting after every earlier line has ended.
        let mut max_end: Option<Option<(i32, u32, u32)>> = None; // None = no line yet
        let mut sorted = rec.clone();
        sorted.sort_by_key(|i| i.start);
        let mut gap = false;
        for l in &sorted {
            if let Some(Some(e)) = max_end {
                if l.start > e {
                    gap = true;
                }
            }
            max_end = Some(match (max_end, l.end) {
                (Some(None), _) | (_, None) => None,
                (Some(Some(a)), Some(b)) => Some(a.max(b)),
                (None, Some(b)) => Some(b),
            });
        }
        reactivated += usize::from(gap);
        churned += usize::from(rec.iter().all(|i| i.end.is_some()));
        // Cross-sell: two different products active on the same day.
        cross_sold += usize::from(rec.iter().any(|a| {
            rec.iter().any(|b| {
                a.product != b.product && b.start >= a.start && a.end.is_none_or(|e| b.start < e)
            })
        }));
        // Successor lines of one subscription: end_date = next start_date.
        for a in &rec {
            for b in &rec {
                if a.sub == b.sub && a.end == Some(b.start) {
                    if b.quantity > a.quantity {
                        seat_up += 1;
                    }
                    if b.quantity < a.quantity {
                        seat_down += 1;
                    }
                    if b.quantity == a.quantity && b.interval == a.interval && b.cents > a.cents {
                        price_rise += 1;
                    }
                }
            }
        }
    }
    assert!(reactivated >= 10, "{reactivated} reactivations");
    assert!(churned >= 100, "{churned} churned customers");
    assert!(cross_sold >= 50, "{cross_sold} cross-sells");
    assert!(seat_up >= 50, "{seat_up} seat increases");
    assert!(seat_down >= 20, "{seat_down} seat decreases");
    assert!(price_rise >= 20, "{price_rise} price rises");
}
