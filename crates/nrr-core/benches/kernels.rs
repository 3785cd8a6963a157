//! Micro-benchmarks of the engine's kernels on 100,000 synthetic customers over 36 months:
//! `cargo bench -p nrr-core`. Whole-tool timings against DuckDB live in `bench/run.sh`.

use nrr_core::dataset::{Dataset, DatasetBuilder, LineInput, Origin, SourceKind};
use nrr_core::date::Month;
use nrr_core::engine::{classify, compute, kernels, Options};
use nrr_core::money::Decimal;
use std::sync::OnceLock;

const CUSTOMERS: u32 = 100_000;

/// A deterministic dataset: each customer has 1-4 lines (monthly or annual), some ending.
fn dataset() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut b = DatasetBuilder::new(SourceKind::Items);
        let file = b.add_file("items.csv");
        let base = Month::parse("2023-01").unwrap();
        for c in 0..CUSTOMERS {
            let id = format!("c{c:07}");
            let mut start = base
                .plus(next(30) as i32)
                .first_day()
                .add_days(next(28) as i32);
            for _ in 0..=next(4) {
                let end = (next(3) > 0).then(|| start.add_days(30 + next(700) as i32));
                let annual = next(5) == 0;
                b.push_line(LineInput {
                    customer: &id,
                    currency: "USD",
                    amount: Decimal {
                        mantissa: 1000 + next(500_000) as i64,
                        decimals: 2,
                    },
                    interval: if annual { 12 } else { 1 },
                    start,
                    end,
                    origin: Origin { file, line: 2 },
                });
                start = end.unwrap_or(start).add_days(next(90) as i32);
            }
        }
        let reporting = b.reporting(None).unwrap();
        b.finish(&reporting).unwrap()
    })
}

fn window() -> (Month, Month) {
    (
        Month::parse("2023-01").unwrap(),
        Month::parse("2025-12").unwrap(),
    )
}

fn main() {
    divan::main();
}

/// Per-customer month-end MRR from difference arrays.
#[divan::bench]
fn snapshot_sweep(bencher: divan::Bencher) {
    let ds = dataset();
    let (from, to) = window();
    let p = kernels::prepare(ds, from, to);
    bencher.bench(|| kernels::sweep(ds, &p));
}

/// Sweep plus monthly movement classification.
#[divan::bench]
fn movement_classification(bencher: divan::Bencher) {
    let ds = dataset();
    let (from, to) = window();
    let p = kernels::prepare(ds, from, to);
    bencher.bench(|| kernels::movements(ds, &p));
}

/// Sweep plus frozen-cohort retention for 36 months, 12 quarters, 3 years and 25 TTM points.
#[divan::bench]
fn cohort_retention(bencher: divan::Bencher) {
    let ds = dataset();
    let (from, to) = window();
    let p = kernels::prepare(ds, from, to);
    bencher.bench(|| kernels::retention(ds, &p));
}

/// The whole report, in parallel.
#[divan::bench]
fn full_report(bencher: divan::Bencher) {
    let ds = dataset();
    let (from, to) = window();
    let opts = Options {
        from: Some(from),
        to: Some(to),
        ..Options::default()
    };
    bencher.bench(|| compute(ds, &opts).unwrap());
}

/// One classification (the innermost rule).
#[divan::bench]
fn classify_one() -> usize {
    let mut n = 0;
    for (prev, cur, cc) in [
        (0, 50, 50),
        (100, 120, 110),
        (80, 0, 0),
        (100, 90, 90),
        (100, 100, 100),
    ] {
        n += usize::from(classify(divan::black_box(prev), cur, cc, false).0.is_some());
    }
    n
}
