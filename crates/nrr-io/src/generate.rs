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

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

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

// ---------------------------------------------------------------------------------------------
// Pseudo-random numbers: SplitMix64, one independent stream per customer.

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

struct Rng(u64);

impl Rng {
    fn stream(seed: u64, stream: u64) -> Rng {
        Rng(mix(seed
            ^ mix(stream
                .wrapping_mul(GOLDEN)
                .wrapping_add(0x632B_E59B_D9B4_E019))))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `bp` / 10 000.
    fn chance(&mut self, bp: u64) -> bool {
        self.below(10_000) < bp
    }

    /// Index drawn with the given integer weights.
    fn pick(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

// ---------------------------------------------------------------------------------------------
// Calendar.

/// Window context shared by all workers.
struct Ctx {
    seed: u64,
    months: u32,
    currencies: bool,
    /// `year * 12 + (month - 1)` of window month 0.
    first: i64,
    id_width: usize,
    /// Per window month: "YYYY-MM-" and the number of days.
    month_prefix: Vec<([u8; 8], u32)>,
}

impl Ctx {
    fn new(opts: &GenerateOptions) -> Ctx {
        let first = i64::from(opts.start_year) * 12 + i64::from(opts.start_month) - 1;
        let month_prefix = (0..opts.months)
            .map(|m| month_info(first + i64::from(m)))
            .collect();
        Ctx {
            seed: opts.seed,
            months: opts.months,
            currencies: opts.currencies,
            first,
            id_width: digits(opts.customers.max(1)),
            month_prefix,
        }
    }

    fn dim(&self, m: u32) -> u32 {
        self.month_prefix[m as usize].1
    }
}

fn month_info(abs: i64) -> ([u8; 8], u32) {
    let year = abs.div_euclid(12);
    let month = abs.rem_euclid(12) + 1;
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let dim = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let mut p = [0u8; 8];
    let y = year as u32;
    p[0] = b'0' + (y / 1000 % 10) as u8;
    p[1] = b'0' + (y / 100 % 10) as u8;
    p[2] = b'0' + (y / 10 % 10) as u8;
    p[3] = b'0' + (y % 10) as u8;
    p[4] = b'-';
    p[5] = b'0' + (month / 10) as u8;
    p[6] = b'0' + (month % 10) as u8;
    p[7] = b'-';
    (p, dim)
}

/// A date inside the window: window month index and day of month. Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct D {
    m: u32,
    day: u32,
}

// ---------------------------------------------------------------------------------------------
// Catalogue.

const SEGMENTS: [&str; 3] = ["smb", "mid", "ent"];
const REGIONS: [&str; 3] = ["na", "emea", "apac"];
const CURRENCIES: [&str; 3] = ["USD", "EUR", "GBP"];

const PLAN_FREE: u8 = 0;
const PLAN_STARTER: u8 = 1;
const PLAN_ENTERPRISE: u8 = 4;
const PLAN_SERVICES: u8 = 5;
const PLANS: [&str; 6] = [
    "free",
    "starter",
    "growth",
    "scale",
    "enterprise",
    "services",
];
/// List price per seat and month, in cents, for plans 0..=4 of the core product.
const PLAN_UNIT: [u64; 5] = [0, 1200, 2900, 5900, 9900];

const PROD_CORE: u8 = 0;
const PROD_ANALYTICS: u8 = 1;
const PROD_AUTOMATION: u8 = 2;
const PROD_SANDBOX: u8 = 3;
const PROD_ONBOARDING: u8 = 4;
const PROD_TRAINING: u8 = 5;
const PRODUCTS: [&str; 6] = [
    "core",
    "analytics",
    "automation",
    "sandbox",
    "onboarding",
    "training",
];
/// List price per seat and month, in cents, of the add-on products.
const PRODUCT_UNIT: [u64; 4] = [0, 900, 1900, 0];

const SMB: usize = 0;
const MID: usize = 1;

#[derive(Debug, Clone, Copy)]
struct Line {
    start: D,
    end: Option<D>,
    amount: u64,
    qty: u32,
    /// Subscription number within the customer; 0 = none (one-time charges).
    sub: u32,
    interval: u8,
    product: u8,
    plan: u8,
    one_time: bool,
}

/// An active recurring line and what is needed to reprice it.
#[derive(Debug, Clone, Copy)]
struct Track {
    line: usize,
    /// Current list price per seat and month, in cents.
    unit: u64,
    /// Window month of the last price change.
    price_m: u32,
}

/// Billing discount in basis points by interval.
fn interval_discount(interval: u8) -> u64 {
    match interval {
        12 => 1500,
        3 => 500,
        _ => 0,
    }
}

// ---------------------------------------------------------------------------------------------
// Per-customer simulation.

struct Sim<'a> {
    ctx: &'a Ctx,
    rng: Rng,
    lines: &'a mut Vec<Line>,
    segment: usize,
    /// Negotiated discount in basis points.
    discount: u64,
    subs: u32,
}

impl Sim<'_> {
    fn amount(&self, qty: u32, unit: u64, interval: u8) -> u64 {
        let bp = (self.discount + interval_discount(interval)).min(9000);
        let gross = u128::from(qty) * u128::from(unit) * u128::from(interval);
        ((gross * u128::from(10_000 - bp) + 5_000) / 10_000) as u64
    }

    /// A start day: the 1st about half the time, else the 2nd to the 28th (valid in every month,
    /// so anniversaries always exist).
    fn start_day(&mut self) -> u32 {
        if self.rng.chance(5500) {
            1
        } else {
            self.rng.range(2, 28) as u32
        }
    }

    /// An end day for a cancellation: any valid day of month `m`.
    fn end_day(&mut self, m: u32) -> u32 {
        if self.rng.chance(4000) {
            1
        } else {
            self.rng.range(2, u64::from(self.ctx.dim(m))) as u32
        }
    }

    fn pick_interval(&mut self) -> u8 {
        const W: [[u64; 3]; 3] = [[75, 10, 15], [50, 20, 30], [15, 15, 70]];
        [1, 3, 12][self.rng.pick(&W[self.segment])]
    }

    fn pick_qty(&mut self) -> u32 {
        match self.segment {
            SMB => self.rng.range(1, 8) as u32,
            MID => self.rng.range(5, 60) as u32,
            _ => self.rng.range(40, 400) as u32,
        }
    }

    fn pick_plan(&mut self) -> u8 {
        let hi = self.rng.chance(3000);
        match (self.segment, hi) {
            (SMB, false) => 1,
            (SMB, true) | (MID, false) => 2,
            (MID, true) | (_, false) => 3,
            (_, true) => 4,
        }
    }

    fn new_sub(&mut self) -> u32 {
        self.subs += 1;
        self.subs
    }

    fn open(&mut self, line: Line, unit: u64) -> Track {
        self.lines.push(line);
        Track {
            line: self.lines.len() - 1,
            unit,
            price_m: line.start.m,
        }
    }

    /// Opens a paid (or free) core subscription at `at`.
    fn open_core(&mut self, at: D, free: bool, plan: u8) -> Track {
        let sub = self.new_sub();
        let (plan, interval, qty) = if free {
            (PLAN_FREE, 1, self.rng.range(1, 3) as u32)
        } else {
            (plan, self.pick_interval(), self.pick_qty())
        };
        let unit = PLAN_UNIT[plan as usize];
        let amount = self.amount(qty, unit, interval);
        self.open(
            Line {
                start: at,
                end: None,
                amount,
                qty,
                sub,
                interval,
                product: PROD_CORE,
                plan,
                one_time: false,
            },
            unit,
        )
    }

    fn one_time(&mut self, at: D, product: u8, amount: u64) {
        self.lines.push(Line {
            start: at,
            end: None,
            amount,
            qty: 1,
            sub: 0,
            interval: 1,
            product,
            plan: PLAN_SERVICES,
            one_time: true,
        });
    }

    fn onboarding_fee(&mut self, at: D) {
        let amount = match self.segment {
            SMB => 25_000,
            MID => 150_000,
            _ => self.rng.range(5, 25) * 100_000,
        };
        self.one_time(at, PROD_ONBOARDING, amount);
    }

    fn end(&mut self, t: Track, at: D) {
        debug_assert!(self.lines[t.line].start < at);
        self.lines[t.line].end = Some(at);
    }

    /// Ends the tracked line at `at` and starts its successor there with `qty`, `unit`, `plan`
    /// and `interval` (amount recomputed).
    fn replace(&mut self, t: &mut Track, at: D, qty: u32, unit: u64, plan: u8, interval: u8) {
        let old = self.lines[t.line];
        self.end(*t, at);
        let amount = if unit == t.unit && qty == old.qty && interval == old.interval {
            old.amount
        } else {
            self.amount(qty, unit, interval)
        };
        if unit != t.unit {
            t.price_m = at.m;
        }
        t.unit = unit;
        self.lines.push(Line {
            start: at,
            end: None,
            amount,
            qty,
            interval,
            plan,
            ..old
        });
        t.line = self.lines.len() - 1;
    }

    /// One month of events of the primary (core) subscription. Returns the churn date if it
    /// churned this month.
    fn step_primary(&mut self, p: &mut Track, m: u32) -> Option<D> {
        let line = self.lines[p.line];
        let interval = u32::from(line.interval);
        let age = m - line.start.m;
        let renewal = age % interval == 0;
        let renewal_date = D {
            m,
            day: line.start.day,
        };

        if line.plan == PLAN_FREE {
            if self.rng.chance(350) {
                let at = D {
                    m,
                    day: self.end_day(m),
                };
                self.end(*p, at);
                return Some(at);
            }
            if self.rng.chance(700) {
                let at = D {
                    m,
                    day: self.start_day(),
                };
                let unit = PLAN_UNIT[PLAN_STARTER as usize];
                self.replace(p, at, line.qty, unit, PLAN_STARTER, 1);
            }
            return None;
        }

        // Churn: monthly plans any month on any day, longer terms at renewal.
        let hazard = [200u64, 120, 60][self.segment];
        if interval == 1 {
            if self.rng.chance(hazard) {
                let at = D {
                    m,
                    day: self.end_day(m),
                };
                self.end(*p, at);
                return Some(at);
            }
        } else if renewal && self.rng.chance(hazard * u64::from(interval) * 3 / 4) {
            self.end(*p, renewal_date);
            return Some(renewal_date);
        }

        // At most one change of the primary line a month.
        let r = self.rng.below(10_000);
        let expand = [140u64, 190, 180][self.segment];
        let downgrade = if interval == 1 {
            80
        } else if renewal {
            1000
        } else {
            0
        };
        // Price reviews once a year after a year at the same price, at a renewal.
        let since = m - p.price_m;
        let price_rise = if renewal && since >= 12 && since % 12 < interval {
            2500
        } else {
            0
        };
        let upgrade = if line.plan < PLAN_ENTERPRISE { 45 } else { 0 };
        let to_annual = if interval == 1 && age >= 3 { 50 } else { 0 };
        let mut edge = 0;
        let mut hit = |w: u64| {
            edge += w;
            r < edge && r >= edge - w
        };
        if hit(price_rise) {
            let unit = (p.unit * self.rng.range(103, 110)).div_ceil(100);
            self.replace(p, renewal_date, line.qty, unit, line.plan, line.interval);
        } else if hit(expand) {
            let add = (line.qty as u64 * self.rng.range(5, 40) / 100).max(1) as u32;
            let at = D {
                m,
                day: self.start_day(),
            };
            self.replace(p, at, line.qty + add, p.unit, line.plan, line.interval);
        } else if hit(downgrade) {
            let at = if interval == 1 {
                D {
                    m,
                    day: self.start_day(),
                }
            } else {
                renewal_date
            };
            if line.qty > 1 {
                let cut = (line.qty as u64 * self.rng.range(10, 40) / 100).max(1) as u32;
                self.replace(p, at, line.qty - cut, p.unit, line.plan, line.interval);
            } else if line.plan > PLAN_STARTER {
                let plan = line.plan - 1;
                let unit = PLAN_UNIT[plan as usize];
                self.replace(p, at, line.qty, unit, plan, line.interval);
            }
        } else if hit(upgrade) {
            let plan = line.plan + 1;
            let unit = PLAN_UNIT[plan as usize].max(p.unit);
            let at = D {
                m,
                day: self.start_day(),
            };
            self.replace(p, at, line.qty, unit, plan, line.interval);
        } else if hit(to_annual) {
            self.replace(p, renewal_date, line.qty, p.unit, line.plan, 12);
        }
        None
    }

    /// One month of events of a cross-sold line. Returns false when it ended.
    fn step_secondary(&mut self, s: &mut Track, m: u32) -> bool {
        let line = self.lines[s.line];
        let interval = u32::from(line.interval);
        let renewal = (m - line.start.m) % interval == 0;
        let churn = if interval == 1 {
            90
        } else if renewal {
            90 * u64::from(interval) * 3 / 4
        } else {
            0
        };
        if self.rng.chance(churn) {
            let at = if interval == 1 {
                D {
                    m,
                    day: self.end_day(m),
                }
            } else {
                D {
                    m,
                    day: line.start.day,
                }
            };
            self.end(*s, at);
            return false;
        }
        if line.product != PROD_SANDBOX && self.rng.chance(150) {
            let add = (line.qty as u64 * self.rng.range(10, 50) / 100).max(1) as u32;
            let at = D {
                m,
                day: self.start_day(),
            };
            self.replace(s, at, line.qty + add, s.unit, line.plan, line.interval);
        }
        true
    }

    fn cross_sell(&mut self, p: &Track, m: u32) -> Track {
        let base = self.lines[p.line];
        let product = [PROD_ANALYTICS, PROD_AUTOMATION, PROD_SANDBOX][self.rng.pick(&[60, 30, 10])];
        let sub = self.new_sub();
        let at = D {
            m,
            day: self.start_day(),
        };
        let unit = PRODUCT_UNIT[product as usize];
        let (qty, plan) = if product == PROD_SANDBOX {
            (1, PLAN_FREE)
        } else {
            let q = (base.qty as u64 * self.rng.range(20, 100) / 100).max(1) as u32;
            (q, base.plan)
        };
        let amount = self.amount(qty, unit, base.interval);
        self.open(
            Line {
                start: at,
                end: None,
                amount,
                qty,
                sub,
                interval: base.interval,
                product,
                plan,
                one_time: false,
            },
            unit,
        )
    }
}

/// Per-customer attributes written to `customers.csv`.
struct Profile {
    segment: usize,
    region: usize,
    tier: u8,
    currency: usize,
}

/// Simulates customer `idx` (0-based) into `lines` (cleared first), sorted by start date.
fn simulate(ctx: &Ctx, idx: u64, lines: &mut Vec<Line>) -> Profile {
    lines.clear();
    let mut rng = Rng::stream(ctx.seed, idx);
    let segment = rng.pick(&[62, 28, 10]);
    let region = rng.pick(&[50, 32, 18]);
    let currency = if ctx.currencies && rng.chance(500) {
        if region == 1 || rng.chance(3000) {
            1 + rng.pick(&[65, 35])
        } else {
            2
        }
    } else {
        0
    };
    let discount = match segment {
        SMB => {
            if rng.chance(1500) {
                1000
            } else {
                0
            }
        }
        MID => rng.range(0, 1200),
        _ => rng.range(500, 2500),
    };
    let months = ctx.months;
    let signup_m = if months == 1 || rng.chance(3000) {
        0
    } else {
        rng.range(1, u64::from(months) - 1) as u32
    };
    let mut sim = Sim {
        ctx,
        rng,
        lines,
        segment,
        discount,
        subs: 0,
    };

    let free = segment == SMB && sim.rng.chance(900);
    let tier = if free { PLAN_FREE } else { sim.pick_plan() };
    let at = D {
        m: signup_m,
        day: sim.start_day(),
    };
    let mut primary = Some(sim.open_core(at, free, tier));
    let onboarding = [700u64, 3500, 7000][segment];
    if !free && sim.rng.chance(onboarding) {
        sim.onboarding_fee(at);
    }
    let mut secondary: Option<Track> = None;
    let mut reactivate_at: Option<u32> = None;
    let mut plan = tier;

    for m in signup_m + 1..months {
        if let Some(mut p) = primary {
            if let Some(churned) = sim.step_primary(&mut p, m) {
                if let Some(s) = secondary.take() {
                    sim.end(s, churned);
                }
                plan = sim.lines[p.line].plan.max(PLAN_STARTER);
                primary = None;
                if sim.rng.chance(3500) {
                    reactivate_at = Some(m + sim.rng.range(2, 9) as u32);
                }
                continue;
            }
            let is_free = sim.lines[p.line].plan == PLAN_FREE;
            match secondary {
                Some(mut s) => {
                    secondary = sim.step_secondary(&mut s, m).then_some(s);
                }
                None if !is_free && sim.rng.chance(130) => {
                    secondary = Some(sim.cross_sell(&p, m));
                }
                None => {}
            }
            if !is_free && sim.rng.chance(25) {
                let at = D {
                    m,
                    day: sim.start_day(),
                };
                let amount = sim.rng.range(4, 40) * 5_000;
                sim.one_time(at, PROD_TRAINING, amount);
            }
            primary = Some(p);
        } else if reactivate_at == Some(m) {
            reactivate_at = None;
            let at = D {
                m,
                day: sim.start_day(),
            };
            primary = Some(sim.open_core(at, false, plan));
            if sim.rng.chance(1500) {
                sim.onboarding_fee(at);
            }
        }
    }
    // Stable: lines starting on the same day keep their creation order.
    sim.lines.sort_by_key(|l| l.start);
    Profile {
        segment,
        region,
        tier,
        currency,
    }
}

// ---------------------------------------------------------------------------------------------
// Formatting.

fn digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn push_padded(buf: &mut Vec<u8>, n: u64, width: usize) {
    for _ in digits(n)..width {
        buf.push(b'0');
    }
    push_u64(buf, n);
}

fn push_cents(buf: &mut Vec<u8>, cents: u64) {
    push_u64(buf, cents / 100);
    let c = (cents % 100) as u8;
    buf.extend_from_slice(&[b'.', b'0' + c / 10, b'0' + c % 10]);
}

fn push_date(buf: &mut Vec<u8>, ctx: &Ctx, d: D) {
    buf.extend_from_slice(&ctx.month_prefix[d.m as usize].0);
    buf.extend_from_slice(&[b'0' + (d.day / 10) as u8, b'0' + (d.day % 10) as u8]);
}

/// Output of one chunk of customers; buffers are reused across chunks.
#[derive(Default)]
struct ChunkOut {
    items: Vec<u8>,
    customers: Vec<u8>,
    rows: u64,
    lines: Vec<Line>,
}

impl ChunkOut {
    fn fill(&mut self, ctx: &Ctx, lo: u64, hi: u64) {
        self.items.clear();
        self.customers.clear();
        self.rows = 0;
        let mut id = [0u8; 24];
        for idx in lo..hi {
            let profile = simulate(ctx, idx, &mut self.lines);
            let id = customer_id(&mut id, idx + 1, ctx.id_width);

            let c = &mut self.customers;
            c.extend_from_slice(id);
            c.push(b',');
            c.extend_from_slice(SEGMENTS[profile.segment].as_bytes());
            c.push(b',');
            c.extend_from_slice(REGIONS[profile.region].as_bytes());
            c.push(b',');
            c.extend_from_slice(PLANS[profile.tier as usize].as_bytes());
            c.push(b'\n');

            let cur = CURRENCIES[profile.currency].as_bytes();
            let b = &mut self.items;
            for l in &self.lines {
                b.extend_from_slice(id);
                b.push(b',');
                if l.sub > 0 {
                    b.extend_from_slice(id);
                    b.extend_from_slice(b"-s");
                    push_u64(b, u64::from(l.sub));
                }
                b.push(b',');
                b.extend_from_slice(PRODUCTS[l.product as usize].as_bytes());
                b.push(b',');
                b.extend_from_slice(PLANS[l.plan as usize].as_bytes());
                b.push(b',');
                push_u64(b, u64::from(l.qty));
                b.push(b',');
                push_cents(b, l.amount);
                b.push(b',');
                b.extend_from_slice(cur);
                b.push(b',');
                push_u64(b, u64::from(l.interval));
                b.push(b',');
                push_date(b, ctx, l.start);
                b.push(b',');
                if let Some(e) = l.end {
                    push_date(b, ctx, e);
                }
                b.extend_from_slice(if l.one_time {
                    b",one_time\n"
                } else {
                    b",recurring\n"
                });
            }
            self.rows += self.lines.len() as u64;
        }
    }
}

/// Writes `c` + `n` zero-padded to `width` into `buf`, returning the written prefix.
fn customer_id(buf: &mut [u8; 24], n: u64, width: usize) -> &[u8] {
    buf[0] = b'c';
    let w = width.max(digits(n));
    let mut x = n;
    for i in (1..=w).rev() {
        buf[i] = b'0' + (x % 10) as u8;
        x /= 10;
    }
    &buf[..=w]
}

// ---------------------------------------------------------------------------------------------
// FX rates.

/// One row per foreign currency per month, dated the 1st, from the month before the window to
/// its last month: a mean-reverting random walk around typical USD rates, 6 decimals.
fn fx_csv(ctx: &Ctx) -> Vec<u8> {
    const BASE: [u64; 2] = [1_080_000, 1_270_000]; // EUR, GBP in millionths of USD
    let mut rngs = [
        Rng::stream(ctx.seed, u64::MAX),
        Rng::stream(ctx.seed, u64::MAX - 1),
    ];
    let mut rate = [0u64; 2];
    for k in 0..2 {
        rate[k] = BASE[k] - 20_000 + rngs[k].below(40_001);
    }
    let mut out = Vec::with_capacity(64 * (ctx.months as usize + 1) * 2);
    out.extend_from_slice(FX_HEADER.as_bytes());
    out.push(b'\n');
    for m in -1..i64::from(ctx.months) {
        let (prefix, _) = month_info(ctx.first + m);
        for k in 0..2 {
            out.extend_from_slice(&prefix);
            out.extend_from_slice(b"01,");
            out.extend_from_slice(CURRENCIES[k + 1].as_bytes());
            out.push(b',');
            push_u64(&mut out, rate[k] / 1_000_000);
            out.push(b'.');
            push_padded(&mut out, rate[k] % 1_000_000, 6);
            out.push(b'\n');
            // Next month: up to +-1.5%, pulled 10% of the way back towards the base rate.
            let step = rngs[k].below(30_001) as i64 - 15_000; // ppm
            let r = rate[k] as i64;
            let pull = (BASE[k] as i64 - r) / 10;
            rate[k] = (r + r * step / 1_000_000 + pull).max(100_000) as u64;
        }
    }
    out
}
