//! Equivalent inputs give the same report:
//! - an `mrr.csv` and an `items.csv` describing the same customers;
//! - one `items.csv` and the same rows split across `items.csv` and `items-2.csv`;
//! - the same rows in another order.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

const ITEMS_HEADER: &str =
    "customer_id,subscription_id,product,quantity,amount,currency,interval_months,start_date,end_date,kind";

/// The item lines. Their month-end MRR, month by month, is written out in [`MRR_SPANS`].
const ITEMS: &[&str] = &[
    // acme: monthly 500 from 2023-11; an annual add-on (1200 / 12 = 100.00 a month) from Feb.
    "acme,acme-1,platform,5,500.00,USD,1,2023-11-01,,recurring",
    "acme,acme-2,analytics,1,1200.00,USD,12,2024-02-01,,recurring",
    // beta: churns in 2024-03 (last active day 2024-02-29), reactivates mid-May.
    "beta,beta-1,platform,3,300.00,USD,1,2023-12-01,2024-03-01,recurring",
    "beta,beta-2,platform,3,350.00,USD,1,2024-05-10,,recurring",
    // gamma: new mid-January, contracts in April, expands again in September.
    "gamma,gamma-1,platform,2,200.00,USD,1,2024-01-15,2024-04-01,recurring",
    "gamma,gamma-2,platform,1,150.00,USD,1,2024-04-01,2024-09-01,recurring",
    "gamma,gamma-3,platform,4,400.00,,1,2024-09-01,,",
    // delta: quarterly 900 (300.00 a month); ends 2024-06-20, so not active at the end of June.
    "delta,delta-1,platform,1,900.00,USD,3,2023-12-01,2024-06-20,recurring",
    // epsilon: reactivates after a gap of several months; a line that ends mid-month counts
    // only where it is active on the last day.
    "epsilon,eps-1,platform,1,80.00,USD,1,2023-11-20,2024-01-10,recurring",
    "epsilon,eps-2,platform,1,90.00,USD,1,2024-07-01,2024-10-15,recurring",
    // Excluded rows: a one-time charge, a free line, a zero-length line.
    "acme,acme-setup,onboarding,1,5000.00,USD,1,2024-03-03,,one_time",
    "beta,beta-free,addon,1,0.00,USD,1,2024-01-01,,recurring",
    "gamma,gamma-0,platform,1,70.00,USD,1,2024-02-05,2024-02-05,recurring",
];

/// (customer, first month, last month, MRR): the month-end MRR the items above describe,
/// from their first month to 2024-12 (the end of the windows tested). Overlapping spans for one
/// customer and month become several mrr.csv rows, which must be summed.
const MRR_SPANS: &[(&str, &str, &str, &str)] = &[
    ("acme", "2023-11", "2024-12", "500.00"),
    ("acme", "2024-02", "2024-12", "100.00"),
    ("beta", "2023-12", "2024-02", "300.00"),
    ("beta", "2024-05", "2024-12", "350.00"),
    ("gamma", "2024-01", "2024-03", "200.00"),
    ("gamma", "2024-04", "2024-08", "150.00"),
    ("gamma", "2024-09", "2024-12", "400.00"),
    ("delta", "2023-12", "2024-05", "300.00"),
    ("epsilon", "2023-11", "2023-12", "80.00"),
    ("epsilon", "2024-07", "2024-09", "90.00"),
];

/// Windows tested: all the data (with two TTM points), and one that starts after some
/// customers' first month (so `new` and `reactivation` depend on history before the window).
const WINDOWS: &[(&str, &str)] = &[("2023-11", "2024-12"), ("2024-03", "2024-12")];

fn month_range(first: &str, last: &str) -> Vec<String> {
    let parse = |m: &str| {
        let (y, mo) = m.split_once('-').expect("YYYY-MM");
        y.parse::<i32>().unwrap() * 12 + mo.parse::<i32>().unwrap() - 1
    };
    (parse(first)..=parse(last))
        .map(|i| format!("{:04}-{:02}", i.div_euclid(12), i.rem_euclid(12) + 1))
        .collect()
}

/// mrr.csv rows, one per customer, month and span.
fn mrr_rows() -> Vec<String> {
    let mut rows = Vec::new();
    for (customer, first, last, mrr) in MRR_SPANS {
        for m in month_range(first, last) {
            rows.push(format!("{customer},{m},{mrr},USD"));
        }
    }
    rows
}

fn write(dir: &Path, name: &str, header: &str, rows: &[impl AsRef<str>]) {
    let mut text = String::from(header);
    text.push('\n');
    for r in rows {
        text.push_str(r.as_ref());
        text.push('\n');
    }
    std::fs::write(dir.join(name), text).expect("writing a data file");
}

/// `nrr report <dir> --from --to --format json`, parsed; panics unless it exits 0.
fn report(dir: &Path, (from, to): (&str, &str)) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_nrr"))
        .arg("report")
        .arg(dir)
        .args(["--from", from, "--to", to, "--format", "json"])
        .output()
        .expect("running nrr");
    assert!(
        out.status.success(),
        "nrr report {} exited with {:?}:\n{}",
        dir.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// Asserts that the given keys of two reports are equal, naming the first differing entry.
#[track_caller]
fn assert_same(a: &Value, b: &Value, keys: &[&str], what: &str) {
    for &k in keys {
        let (x, y) = (&a[k], &b[k]);
        if x == y {
            continue;
        }
        let detail = match (x.as_array(), y.as_array()) {
            (Some(xs), Some(ys)) => xs
                .iter()
                .zip(ys)
                .find(|(p, q)| p != q)
                .map(|(p, q)| format!("first difference:\n  {p}\nvs\n  {q}"))
                .unwrap_or_else(|| format!("lengths {} vs {}", xs.len(), ys.len())),
            _ => format!("{x}\nvs\n{y}"),
        };
        panic!("{what}: `{k}` differs; {detail}");
    }
}

/// Deterministic shuffle (Fisher–Yates with a fixed linear congruential generator).
fn shuffled<T: Clone>(v: &[T], mut seed: u64) -> Vec<T> {
    let mut v = v.to_vec();
    for i in (1..v.len()).rev() {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = ((seed >> 33) % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}

/// The report without `expansion_by_reason` / `contraction_by_reason` anywhere.
fn without_reasons(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("expansion_by_reason");
                m.remove("contraction_by_reason");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

#[test]
fn mrr_csv_and_items_csv_give_the_same_report() {
    let tmp = tempfile::tempdir().unwrap();
    let (items_dir, mrr_dir) = (tmp.path().join("items"), tmp.path().join("mrr"));
    std::fs::create_dir(&items_dir).unwrap();
    std::fs::create_dir(&mrr_dir).unwrap();
    write(&items_dir, "items.csv", ITEMS_HEADER, ITEMS);
    let rows = mrr_rows();
    write(&mrr_dir, "mrr.csv", "customer_id,month,mrr,currency", &rows);

    for &w in WINDOWS {
        // mrr.csv carries no product, plan, quantity or interval, so only the split of
        // expansion and contraction by reason can differ; every figure must agree.
        let from_items = without_reasons(report(&items_dir, w));
        let from_mrr = without_reasons(report(&mrr_dir, w));
        assert_same(
            &from_items,
            &from_mrr,
            &["currency", "window", "months", "periods", "ttm"],
            &format!("items.csv vs mrr.csv, window {w:?}"),
        );
        // The data is not trivial: every movement occurs, and the full window has TTM points.
        if w == WINDOWS[0] {
            let months = from_items["months"].as_array().unwrap();
            for movement in ["new", "reactivation", "expansion", "contraction", "churn"] {
                assert!(
                    months.iter().any(|m| m[movement] != "0.00"),
                    "no {movement} in the test data"
                );
            }
            assert_eq!(from_items["ttm"].as_array().map(Vec::len), Some(2));
        }
    }
    // The annual line contributes exactly 100.00 a month, and summing works: acme's two rows.
    let full = report(&mrr_dir, WINDOWS[0]);
    let feb = full["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == "2024-02")
        .expect("2024-02");
    assert_eq!(feb["expansion"], "100.00", "{feb}");
}

#[test]
fn rows_split_across_two_files_give_the_same_report() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    std::fs::create_dir(&one).unwrap();
    std::fs::create_dir(&two).unwrap();
    write(&one, "items.csv", ITEMS_HEADER, ITEMS);
    // Every other row to the second file, so each customer's lines are split too.
    let a: Vec<&str> = ITEMS.iter().copied().step_by(2).collect();
    let b: Vec<&str> = ITEMS.iter().copied().skip(1).step_by(2).collect();
    write(&two, "items.csv", ITEMS_HEADER, &a);
    write(&two, "items-2.csv", ITEMS_HEADER, &b);

    for &w in WINDOWS {
        let r1 = report(&one, w);
        let r2 = report(&two, w);
        assert_same(
            &r1,
            &r2,
            &["currency", "window", "rows", "months", "periods", "ttm"],
            &format!("one file vs two files, window {w:?}"),
        );
        assert_eq!(r2["rows"]["read"], ITEMS.len());
    }
}

#[test]
fn shuffled_rows_give_the_same_report() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs: Vec<_> = ["items", "items-shuffled", "mrr", "mrr-shuffled"]
        .iter()
        .map(|d| {
            let p = tmp.path().join(d);
            std::fs::create_dir(&p).unwrap();
            p
        })
        .collect();
    let mrr = mrr_rows();
    write(&dirs[0], "items.csv", ITEMS_HEADER, ITEMS);
    write(&dirs[1], "items.csv", ITEMS_HEADER, &shuffled(ITEMS, 7));
    write(&dirs[2], "mrr.csv", "customer_id,month,mrr,currency", &mrr);
    write(
        &dirs[3],
        "mrr.csv",
        "customer_id,month,mrr,currency",
        &shuffled(&mrr, 11),
    );
    assert_ne!(
        shuffled(ITEMS, 7),
        ITEMS,
        "the shuffle must change the order"
    );

    for &w in WINDOWS {
        for pair in [(0, 1), (2, 3)] {
            let x = report(&dirs[pair.0], w);
            let y = report(&dirs[pair.1], w);
            // Everything but the explicit line positions is the same.
            let keys: Vec<&str> = x.as_object().unwrap().keys().map(String::as_str).collect();
            assert_same(&x, &y, &keys, &format!("shuffled {pair:?}, window {w:?}"));
        }
    }
}
