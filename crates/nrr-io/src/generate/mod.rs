//! Deterministic synthetic data generator behind `nrr generate` and `nrr demo`.
//!
//! Writes `items.csv`, `customers.csv` and (with [`GenerateOptions::currencies`]) `fx.csv` in
//! the input schema of `nrr report`. Every customer is simulated month by month from its own
//! pseudo-random stream, seeded from `(seed, customer index)`, so the output is byte-identical for
//! the same options whatever the number of threads used to produce it.
//!
//! The simulated behaviour covers what a real subscription book contains: sign-ups spread over
//! the window (about a third of the customers already active in the first month), monthly,
//! quarterly and annual billing, seat growth and downgrades, plan upgrades, cross-sell of a second
//! product, price rises, switches from monthly to annual billing, churn, reactivation after a gap
//! of a few months, one-time charges (onboarding, training), mid-month starts and ends, free lines
//! (amount `0.00`), discounted amounts that do not divide into whole cents per month and lines
//! still open at the end of the window (empty `end_date`). A change to a recurring line ends it
//! and starts its successor on the same day (`end_date` of the old line = `start_date` of the new
//! one). All dates lie inside the window: from the first day of the first month up to, but not
//! including, the first day of the month after the last one.

mod calendar;
mod catalogue;
mod fx;
mod random;
mod simulate;
mod text;

use calendar::Ctx;
use fx::fx_csv;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use text::ChunkOut;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Number of customers (ids `c1..cN`, zero-padded to the width of N).
    pub customers: u64,
    /// Number of months in the window (at least 1).
    pub months: u32,
    /// Seed of the pseudo-random streams.
    pub seed: u64,
    /// When true about 5% of the customers bill in EUR or GBP and `fx.csv` is written.
    pub currencies: bool,
    /// Calendar year of the first month.
    pub start_year: i32,
    /// Calendar month (1-12) of the first month.
    pub start_month: u32,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            customers: 1000,
            months: 36,
            seed: 42,
            currencies: false,
            start_year: 2023,
            start_month: 1,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Customers written to `customers.csv` (every one has at least one line).
    pub customers: u64,
    /// Data rows written to `items.csv`.
    pub item_rows: u64,
    /// Files written, in order: `items.csv`, `customers.csv`, then `fx.csv` if any.
    pub files: Vec<PathBuf>,
}

/// Header of `items.csv`.
pub const ITEMS_HEADER: &str = "customer_id,subscription_id,product,plan,quantity,amount,currency,interval_months,start_date,end_date,kind";
/// Header of `customers.csv`.
pub const CUSTOMERS_HEADER: &str = "customer_id,segment,region,plan_tier";
/// Header of `fx.csv`.
pub const FX_HEADER: &str = "date,currency,rate";

/// Customers generated per work unit; output does not depend on it.
const CHUNK: u64 = 8192;

/// Generates the data set described by `opts` into `out_dir` (created if needed).
///
/// Errors: `InvalidInput` when `months` is 0, `start_month` is not 1-12 or the window does not
/// fit in years 1..=9999; otherwise any I/O error.
pub fn generate(opts: &GenerateOptions, out_dir: &Path) -> io::Result<GenerateSummary> {
    validate(opts)?;
    fs::create_dir_all(out_dir)?;
    let ctx = Ctx::new(opts);

    let items_path = out_dir.join("items.csv");
    let customers_path = out_dir.join("customers.csv");
    let mut items = BufWriter::with_capacity(1 << 20, File::create(&items_path)?);
    let mut custs = BufWriter::with_capacity(1 << 20, File::create(&customers_path)?);
    items.write_all(ITEMS_HEADER.as_bytes())?;
    items.write_all(b"\n")?;
    custs.write_all(CUSTOMERS_HEADER.as_bytes())?;
    custs.write_all(b"\n")?;

    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 16) as u64;
    let n = opts.customers;
    let chunks = n.div_ceil(CHUNK);
    let mut item_rows = 0u64;
    if threads <= 1 || chunks <= 1 {
        let mut out = ChunkOut::default();
        for c in 0..chunks {
            let lo = c * CHUNK;
            out.fill(&ctx, lo, (lo + CHUNK).min(n));
            items.write_all(&out.items)?;
            custs.write_all(&out.customers)?;
            item_rows += out.rows;
        }
    } else {
        // Rounds of `threads` chunks generated in parallel, written in customer order.
        let mut pool: Vec<ChunkOut> = (0..threads).map(|_| ChunkOut::default()).collect();
        let mut next = 0u64;
        while next < chunks {
            let round = (chunks - next).min(threads);
            let ctx_ref = &ctx;
            let filled: Vec<ChunkOut> = std::thread::scope(|s| {
                let handles: Vec<_> = pool
                    .drain(..round as usize)
                    .enumerate()
                    .map(|(k, mut out)| {
                        let lo = (next + k as u64) * CHUNK;
                        s.spawn(move || {
                            out.fill(ctx_ref, lo, (lo + CHUNK).min(n));
                            out
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("generator thread panicked"))
                    .collect()
            });
            for out in filled {
                items.write_all(&out.items)?;
                custs.write_all(&out.customers)?;
                item_rows += out.rows;
                pool.push(out);
            }
            next += round;
        }
    }
    items.flush()?;
    custs.flush()?;
    drop(items);
    drop(custs);

    let mut files = vec![items_path, customers_path];
    if opts.currencies {
        let fx_path = out_dir.join("fx.csv");
        let mut fx = BufWriter::new(File::create(&fx_path)?);
        fx.write_all(&fx_csv(&ctx))?;
        fx.flush()?;
        files.push(fx_path);
    }
    Ok(GenerateSummary {
        customers: n,
        item_rows,
        files,
    })
}

fn validate(opts: &GenerateOptions) -> io::Result<()> {
    let bad = |msg: String| Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
    if opts.months == 0 {
        return bad("generate: months must be at least 1".into());
    }
    if !(1..=12).contains(&opts.start_month) {
        return bad(format!(
            "generate: start month must be 1-12, got {}",
            opts.start_month
        ));
    }
    let first = i64::from(opts.start_year) * 12 + i64::from(opts.start_month) - 1;
    let last = first + i64::from(opts.months); // month after the window
    if first - 1 < 12 || last >= 10_000 * 12 {
        return bad("generate: the window must lie within years 1 to 9999".into());
    }
    Ok(())
}
