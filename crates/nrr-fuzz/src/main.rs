//! `nrr-fuzz`: a structured byte-mutation fuzzer for every reader of `nrr-io`, on the stable
//! toolchain (no sanitizers, no nightly, no coverage instrumentation).
//!
//! Seeds are the data directories of `tests/fixtures` (items, invoices, events, Stripe JSON and
//! JSONL, snapshots and movements, fx, customers), a few built-in ones for the inputs no fixture
//! has (mrr.csv, annotations.csv), and Parquet twins of every CSV seed written here with typed
//! columns (Date32, Int64, Decimal128, strings plain and dictionary-encoded). Each execution
//! takes a seed (or an input found earlier), mutates one or more of its files (bytes, tokens,
//! lines, CSV fields, JSON numbers and nesting, line endings, truncation; a Parquet file either
//! byte by byte or rebuilt from its mutated CSV twin), writes the directory and reads it with
//! `nrr_io::load`, then computes the report when it loaded.
//!
//! Invariants, each a finding when broken:
//! - no panic (caught and saved), no abort or crash (the supervisor sees the worker die and saves
//!   the input it was reading), no hang (no progress for `HANG_SECS`);
//! - memory: the peak allocation while loading stays under `MEMORY_FACTOR` x the input's size
//!   plus `MEMORY_BASE` bytes; any single run is capped at `MEMORY_CAP` bytes (above it the
//!   worker aborts, which is a finding);
//! - the row ledger adds up: read == used + excluded + rejected.
//!
//! Usage: `cargo run -p nrr-fuzz --release -- --seconds 1800 [--seed N] [--findings DIR]`.
//! Findings are written to `DIR/<kind>-<n>/` (the input files and `reason.txt`); the exit code
//! is 1 when there was any. `--replay DIR` reads one saved input and checks it again under
//! every variant of the options.
//!
//! At the end it prints the run's figures: executions, seeds, inputs kept, findings, how many
//! executions each reader took part in, the highest allocation peak while loading (with the
//! input's size and the share of its bound) and the workers' peak resident memory.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Peak memory while loading, as a multiple of the input's size ...
const MEMORY_FACTOR: usize = 64;
/// ... plus this many bytes (buffers, thread pool, tables of names).
const MEMORY_BASE: usize = 16 << 20;
/// No run may hold more than this; above it the allocation fails and the worker aborts.
const MEMORY_CAP: usize = 1 << 30;
/// A run without progress for this long is a hang.
const HANG_SECS: u64 = 20;
/// Inputs kept beside the seeds (each showed an outcome not seen before).
const MAX_CORPUS: usize = 4000;

// -------------------------------------------------------------------------------------------
// Counting allocator

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        if now > MEMORY_CAP {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            return std::ptr::null_mut();
        }
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: the caller's layout is passed on as given.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let grow = new_size - layout.size();
            let now = CURRENT.fetch_add(grow, Ordering::Relaxed) + grow;
            if now > MEMORY_CAP {
                CURRENT.fetch_sub(grow, Ordering::Relaxed);
                return std::ptr::null_mut();
            }
            PEAK.fetch_max(now, Ordering::Relaxed);
        } else {
            CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

// -------------------------------------------------------------------------------------------
// Random numbers (xorshift: the run is reproducible from its seed)

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

// -------------------------------------------------------------------------------------------
// Inputs

/// One file of an input directory. A Parquet file keeps the CSV it was written from, so that
/// it can be mutated as CSV and written again.
#[derive(Clone)]
struct File {
    name: String,
    bytes: Vec<u8>,
    csv_twin: Option<Vec<u8>>,
}

/// One input: a data directory.
#[derive(Clone)]
struct Input {
    origin: String,
    files: Vec<File>,
}

impl Input {
    fn size(&self) -> usize {
        self.files.iter().map(|f| f.bytes.len()).sum()
    }
}

fn is_data(name: &str) -> bool {
    name != "expected.json"
        && [".csv", ".json", ".jsonl", ".parquet"]
            .iter()
            .any(|e| name.ends_with(e))
}

/// The seeds: every fixture directory, built-in inputs, and Parquet twins of the CSV ones.
fn seeds(fixtures: &Path) -> Vec<Input> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    dirs.sort();
    for d in dirs {
        let mut files = Vec::new();
        let mut names: Vec<PathBuf> = std::fs::read_dir(&d)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        names.sort();
        for p in names {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            if let (Some(name), Ok(bytes)) = (name, std::fs::read(&p)) {
                if is_data(&name) {
                    files.push(File {
                        name,
                        bytes,
                        csv_twin: None,
                    });
                }
            }
        }
        if !files.is_empty() {
            let origin = d
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            out.push(Input { origin, files });
        }
    }
    let text = |name: &str, s: &str| File {
        name: name.to_string(),
        bytes: s.as_bytes().to_vec(),
        csv_twin: None,
    };
    out.push(Input {
        origin: "builtin-mrr".into(),
        files: vec![
            text(
                "mrr.csv",
                "customer_id,month,mrr,currency\nacme,2023-12,2000.00,USD\nacme,2024-03,2400.00,USD\nglobex,2023-12,1500.00,EUR\nglobex,2024-01,1500.00,EUR\ninitech,2023-12,2000.00,\n",
            ),
            text("fx.csv", "date,currency,rate\n2023-11-01,EUR,1.10\n2024-02-15,EUR,1.20\n"),
            text(
                "annotations.csv",
                "period,customer_id,note\n2024-Q1,,Price rise\n2024-01,acme,\"Moved to annual, restructured\"\n",
            ),
            text("customers.csv", "customer_id,segment,region\nacme,smb,emea\nglobex,ent,amer\n"),
        ],
    });
    out.push(Input {
        origin: "builtin-items".into(),
        files: vec![
            text(
                "items.csv",
                "customer_id,subscription_id,product,plan,quantity,amount,currency,interval_months,start_date,end_date,kind\r\nacme,acme-1,platform,business,2,1000.00,USD,1,2023-12-01,,recurring\r\nacme,acme-setup,onboarding,setup-fee,1,5000.00,USD,1,2024-01-15,,one_time\r\nglobex,globex-1,platform,team,3,\"750.00\",,12,2024-01-01,2025-01-01,\r\n",
            ),
            text("annotations.csv", "month,note\n2024-01,Migration week\n2030-01,Outside\n"),
            text("customers.csv", "customer_id,segment\nacme,smb\nglobex,ent\n"),
            text(
                "customer_map.csv",
                "from_customer_id,to_customer_id,note\r\nglobex,acme,\"merged, 2024\"\r\nold,acme,\r\n",
            ),
        ],
    });
    // Generated data (several currencies, fx.csv) and its snappy-compressed items.parquet, as
    // `nrr generate --parquet` writes them: a file of the size and shape users have.
    let gen = std::env::temp_dir().join(format!("nrr-fuzz-seed-{}", std::process::id()));
    let opts = nrr_io::generate::GenerateOptions {
        customers: 40,
        months: 12,
        seed: 5,
        currencies: true,
        start_year: 2023,
        start_month: 1,
    };
    if nrr_io::generate::generate(&opts, &gen).is_ok() {
        let read = |n: &str| std::fs::read(gen.join(n)).unwrap_or_default();
        let mut files = vec![
            File {
                name: "items.csv".into(),
                bytes: read("items.csv"),
                csv_twin: None,
            },
            File {
                name: "fx.csv".into(),
                bytes: read("fx.csv"),
                csv_twin: None,
            },
        ];
        out.push(Input {
            origin: "generated".into(),
            files: files.clone(),
        });
        let pq = gen.join("items.parquet");
        if nrr_io::parquet::items_csv_to_parquet_with(&gen.join("items.csv"), &pq, 64).is_ok() {
            files[0] = File {
                name: "items.parquet".into(),
                bytes: std::fs::read(&pq).unwrap_or_default(),
                csv_twin: None,
            };
            out.push(Input {
                origin: "generated-parquet".into(),
                files,
            });
        }
    }
    let _ = std::fs::remove_dir_all(&gen);
    // Parquet twins of every CSV revenue seed (the same directory, the CSV replaced).
    let parquet_stems = [
        "items",
        "mrr",
        "invoices",
        "subscription_events",
        "subscription_snapshots",
        "revenue_movements",
    ];
    let mut twins = Vec::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for s in &out {
        let mut t = s.clone();
        let mut any = false;
        for f in &mut t.files {
            let Some(stem) = f.name.strip_suffix(".csv") else {
                continue;
            };
            if !parquet_stems.contains(&stem) {
                continue;
            }
            if let Some(pq) = to_parquet(&f.bytes, &mut rng) {
                f.csv_twin = Some(std::mem::replace(&mut f.bytes, pq));
                f.name = format!("{stem}.parquet");
                any = true;
            }
        }
        if any {
            t.origin = format!("{}-parquet", s.origin);
            twins.push(t);
        }
    }
    out.extend(twins);
    out
}

/// A CSV file as Parquet: dates as Date32, counts as Int64, amounts as Decimal128(18, 6) when
/// every cell converts (else strings), other columns as strings, plain or dictionary-encoded.
fn to_parquet(csv_bytes: &[u8], rng: &mut Rng) -> Option<Vec<u8>> {
    use arrow_array::{
        Array, Date32Array, Decimal128Array, DictionaryArray, Int64Array, RecordBatch, StringArray,
    };
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_bytes);
    let header: Vec<String> = rdr.headers().ok()?.iter().map(str::to_string).collect();
    if header.is_empty() {
        return None;
    }
    let mut columns: Vec<Vec<Option<String>>> = vec![Vec::new(); header.len()];
    for rec in rdr.records() {
        let rec = rec.ok()?;
        for (i, c) in columns.iter_mut().enumerate() {
            c.push(rec.get(i).filter(|v| !v.is_empty()).map(str::to_string));
        }
    }
    let mut fields = Vec::new();
    let mut arrays: Vec<Arc<dyn Array>> = Vec::new();
    let date = |s: &str| nrr_core::date::Date::parse(s).map(nrr_core::date::Date::days);
    for (name, values) in header.iter().zip(&columns) {
        let all = |ok: &dyn Fn(&str) -> bool| values.iter().flatten().all(|v| ok(v));
        let (dt, array): (DataType, Arc<dyn Array>) = if (name.contains("date")
            || name.starts_with("service_period"))
            && all(&|v| date(v).is_some())
        {
            let a: Date32Array = values.iter().map(|v| v.as_deref().and_then(date)).collect();
            (DataType::Date32, Arc::new(a))
        } else if matches!(name.as_str(), "quantity" | "interval_months")
            && all(&|v| v.parse::<i64>().is_ok())
        {
            let a: Int64Array = values
                .iter()
                .map(|v| v.as_deref().and_then(|v| v.parse().ok()))
                .collect();
            (DataType::Int64, Arc::new(a))
        } else if matches!(
            name.as_str(),
            "amount" | "mrr" | "discount" | "tax" | "mrr_change"
        ) && all(&|v| nrr_core::money::Decimal::parse(v, 6).is_some())
        {
            let scaled = |v: &str| {
                nrr_core::money::Decimal::parse(v, 6)
                    .map(|d| i128::from(d.mantissa) * 10i128.pow(6 - d.decimals))
            };
            let a: Decimal128Array = values
                .iter()
                .map(|v| v.as_deref().and_then(scaled))
                .collect();
            let a = a.with_precision_and_scale(18, 6).ok()?;
            (DataType::Decimal128(18, 6), Arc::new(a))
        } else if rng.chance(2) {
            let a: DictionaryArray<arrow_array::types::Int32Type> =
                values.iter().map(|v| v.as_deref()).collect();
            (
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                Arc::new(a),
            )
        } else {
            let a: StringArray = values.iter().map(|v| v.as_deref()).collect();
            (DataType::Utf8, Arc::new(a))
        };
        fields.push(Field::new(name, dt, true));
        arrays.push(array);
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).ok()?;
    let mut out = Vec::new();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(1 + rng.below(4)))
        .build();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, schema, Some(props)).ok()?;
    w.write(&batch).ok()?;
    w.close().ok()?;
    Some(out)
}

// -------------------------------------------------------------------------------------------
// Mutations

const TOKENS: &[&str] = &[
    "",
    " ",
    "0",
    "-0",
    "-1",
    "1",
    "12",
    "1e400",
    "-1e400",
    "9999-12-31",
    "0000-01-01",
    "0001-01-01",
    "1970-01-01",
    "2024-02-29",
    "2024-02-30",
    "2024-13",
    "2024-Q5",
    "2024-Q1",
    "253402300799",
    "32503680000",
    "-9223372036854775808",
    "9223372036854775807",
    "18446744073709551616",
    "99999999999999999999",
    "9999999999999.999999",
    "0.0000001",
    "1.123456",
    "1095",
    "1096",
    "4294967296",
    "NaN",
    "null",
    "true",
    "\"",
    "\"\"",
    ",",
    "\r",
    "\n",
    "\r\n",
    "\u{feff}",
    "\x1b]0;x\x07",
    "=cmd|' /C calc'!A0",
    "USD",
    "EUR",
    "GBP",
    "usd",
    "JPY",
    "KWD",
    "one_time",
    "recurring",
    "subscription",
    "proration",
    "usage",
    "credit",
    "canceled",
    "past_due",
    "paused",
    "resumed",
    "trialing",
    "incomplete",
    "metered",
    "void",
    "{}",
    "[]",
    "[[[[[[[[[[[[[[[[",
    "12,50",
    "\u{ff11}",
    "\0",
    "\u{202e}",
];

const BYTES: &[u8] = b"\0\x01\x1b\x7f\xff\"',\n\r\t -+.0123456789:;[]{}eE";

fn token(rng: &mut Rng) -> Vec<u8> {
    rng.pick(TOKENS).as_bytes().to_vec()
}

/// Spans of bytes that look like one token (letters, digits and `_.:-+`).
fn token_spans(b: &[u8]) -> Vec<(usize, usize)> {
    let is = |c: u8| c.is_ascii_alphanumeric() || b"_.:-+".contains(&c);
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if is(b[i]) {
            let s = i;
            while i < b.len() && is(b[i]) {
                i += 1;
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

/// Line spans (without their `\n`).
fn line_spans(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut s = 0;
    for (i, c) in b.iter().enumerate() {
        if *c == b'\n' {
            out.push((s, i));
            s = i + 1;
        }
    }
    if s < b.len() {
        out.push((s, b.len()));
    }
    out
}

fn mutate_bytes(b: &mut Vec<u8>, rng: &mut Rng) {
    match rng.below(8) {
        0 if !b.is_empty() => {
            let i = rng.below(b.len());
            b[i] ^= 1 << rng.below(8);
        }
        1 if !b.is_empty() => {
            let i = rng.below(b.len());
            b[i] = *rng.pick(BYTES);
        }
        2 => {
            let i = rng.below(b.len() + 1);
            b.insert(i, *rng.pick(BYTES));
        }
        3 if !b.is_empty() => {
            let i = rng.below(b.len());
            let n = (1 + rng.below(16)).min(b.len() - i);
            b.drain(i..i + n);
        }
        4 if !b.is_empty() => {
            let i = rng.below(b.len());
            let n = (1 + rng.below(64)).min(b.len() - i);
            let chunk = b[i..i + n].to_vec();
            let at = rng.below(b.len() + 1);
            b.splice(at..at, chunk);
        }
        5 => {
            let i = rng.below(b.len() + 1);
            b.truncate(i);
        }
        6 if !b.is_empty() => {
            // An interesting integer written over 1, 2, 4 or 8 bytes (Parquet lengths).
            let width = [1usize, 2, 4, 8][rng.below(4)];
            let i = rng.below(b.len());
            let v: u64 = *rng.pick(&[0, 1, 0x7f, 0x80, 0xff, 0x7fff_ffff, u64::MAX, 1 << 31]);
            for k in 0..width.min(b.len() - i) {
                b[i + k] = (v >> (8 * k)) as u8;
            }
        }
        _ => {
            let i = rng.below(b.len() + 1);
            let t = token(rng);
            b.splice(i..i, t);
        }
    }
}

fn mutate_text(b: &mut Vec<u8>, rng: &mut Rng, json: bool) {
    match rng.below(12) {
        0..=3 => {
            // A token replaced by an interesting one.
            let spans = token_spans(b);
            if spans.is_empty() {
                return mutate_bytes(b, rng);
            }
            let (s, e) = *rng.pick(&spans);
            let t = if json && rng.chance(2) {
                format!("\"{}\"", String::from_utf8_lossy(&token(rng))).into_bytes()
            } else {
                token(rng)
            };
            b.splice(s..e, t);
        }
        4 => {
            // A line duplicated (a row twice, an object twice in JSONL).
            let lines = line_spans(b);
            if lines.is_empty() {
                return;
            }
            let (s, e) = *rng.pick(&lines);
            let mut l = b[s..e].to_vec();
            l.push(b'\n');
            let at = rng.pick(&lines).0;
            b.splice(at..at, l);
        }
        5 => {
            let lines = line_spans(b);
            if lines.len() > 1 {
                let (s, e) = *rng.pick(&lines[1..]);
                b.drain(s..(e + 1).min(b.len()));
            }
        }
        6 => {
            // Line endings: CRLF, CR only, or none at the end.
            let ends: [&[u8]; 3] = [b"\r\n", b"\r", b"\n\n"];
            let to = *rng.pick(&ends);
            let mut out = Vec::with_capacity(b.len() + b.len() / 16);
            for &c in b.iter() {
                if c == b'\n' {
                    out.extend_from_slice(to);
                } else {
                    out.push(c);
                }
            }
            *b = out;
        }
        7 if !json => {
            // A CSV field added or removed on one line.
            let lines = line_spans(b);
            if lines.is_empty() {
                return;
            }
            let (s, e) = *rng.pick(&lines);
            let commas: Vec<usize> = (s..e).filter(|&i| b[i] == b',').collect();
            if rng.chance(2) || commas.is_empty() {
                let mut t = vec![b','];
                t.extend(token(rng));
                b.splice(e..e, t);
            } else {
                let c = *rng.pick(&commas);
                let end = (c + 1..e).find(|&i| b[i] == b',').unwrap_or(e);
                b.drain(c..end);
            }
        }
        7 => {
            // A value wrapped in deep nesting.
            let spans = token_spans(b);
            if let Some(&(s, e)) = spans.get(rng.below(spans.len().max(1))) {
                let depth = [10usize, 127, 129, 300, 5000][rng.below(5)];
                let mut t = vec![b'['; depth];
                t.extend_from_slice(&b[s..e]);
                t.extend(std::iter::repeat_n(b']', depth));
                b.splice(s..e, t);
            }
        }
        8 => {
            // The file twice (every row or object again).
            if b.len() < 1 << 16 {
                let copy = b.clone();
                b.extend_from_slice(&copy);
            }
        }
        9 if json => {
            // A list object marked incomplete, or the BOM.
            if rng.chance(2) {
                b.splice(0..0, "\u{feff}".bytes());
            } else if let Some(i) = b.iter().rposition(|&c| c == b'}') {
                b.splice(i..i, b", \"has_more\": true".iter().copied());
            }
        }
        _ => mutate_bytes(b, rng),
    }
}

fn mutate(input: &mut Input, rng: &mut Rng) {
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        if input.files.is_empty() {
            return;
        }
        let i = rng.below(input.files.len());
        let f = &mut input.files[i];
        if f.name.ends_with(".parquet") {
            match (&mut f.csv_twin, rng.below(3)) {
                (Some(csv), 0 | 1) => {
                    mutate_text(csv, rng, false);
                    if let Some(pq) = to_parquet(csv, rng) {
                        f.bytes = pq;
                    }
                }
                _ => {
                    f.csv_twin = None;
                    mutate_bytes(&mut f.bytes, rng);
                }
            }
        } else {
            let json = f.name.ends_with(".json") || f.name.ends_with(".jsonl");
            mutate_text(&mut f.bytes, rng, json);
        }
    }
    // Rarely a side file joins or a revenue file gets a twin name.
    if rng.chance(40) {
        input.files.push(File {
            name: rng
                .pick(&[
                    "fx.csv",
                    "customers.csv",
                    "annotations.csv",
                    "customer_map.csv",
                ])
                .to_string(),
            bytes: token(rng),
            csv_twin: None,
        });
    }
}

// -------------------------------------------------------------------------------------------
// Running one input

/// What one run did: `Ok(signature)` of its outcome, or the broken invariant.
fn run(dir: &Path, input: &Input, variant: u64) -> Result<String, String> {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
    }
    for f in &input.files {
        std::fs::write(dir.join(&f.name), &f.bytes).map_err(|e| format!("writing: {e}"))?;
    }
    // Invoice policies other than the defaults only where an invoice reader runs (items and
    // mrr refuse them): pauses, churn recognition, past-due and full-refund rules.
    let invoicy = input.files.iter().any(|f| {
        ["invoices.", "subscriptions.", "subscription_events."]
            .iter()
            .any(|p| f.name.starts_with(p))
    });
    let mut invoice_policies = nrr_core::policy::InvoicePolicies::default();
    if invoicy && (variant / 15) % 2 == 1 {
        use nrr_core::policy::{ChurnRecognition, FullRefunds, PastDue, Pauses};
        let v = variant / 30;
        invoice_policies.pauses = [Pauses::Keep, Pauses::Churn, Pauses::Zero][(v % 3) as usize];
        invoice_policies.churn_recognition = [
            ChurnRecognition::AtPeriodEnd,
            ChurnRecognition::AtCancellation,
            ChurnRecognition::AtRequest,
        ][((v / 3) % 3) as usize];
        invoice_policies.past_due =
            [PastDue::Keep, PastDue::KeepDays(30), PastDue::Churn][((v / 9) % 3) as usize];
        invoice_policies.full_refunds =
            [FullRefunds::Ignore, FullRefunds::EndService][((v / 27) % 2) as usize];
    }
    let opts = nrr_io::LoadOptions {
        invoice_policies,
        currency: match variant % 3 {
            0 => None,
            1 => Some("USD".into()),
            _ => Some("EUR".into()),
        },
        customers: true,
        usage: variant % 5 == 0,
        snapshot_date: match (variant / 5) % 3 {
            0 => None,
            1 => Some(nrr_core::policy::SnapshotDate::Close),
            _ => Some(nrr_core::policy::SnapshotDate::Open),
        },
        ..Default::default()
    };
    let size = input.size();
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let loaded = nrr_io::load(dir, &opts);
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    let bound = MEMORY_FACTOR * size + MEMORY_BASE;
    note_peak(peak, size, bound);
    if peak > bound {
        return Err(format!(
            "memory: {peak} bytes at peak while loading {size} bytes (bound {bound})"
        ));
    }
    let loaded = match loaded {
        Ok(l) => l,
        Err(e) => {
            let text = e.to_string();
            let kind = text
                .split(':')
                .next_back()
                .unwrap_or("")
                .trim()
                .chars()
                .take(40);
            return Ok(format!("err:{}", kind.collect::<String>()));
        }
    };
    let l = &loaded.dataset.ledger;
    let excluded = l.excluded.total();
    if l.read != l.used + excluded + l.rejected {
        return Err(format!(
            "ledger: read {} != used {} + excluded {excluded} + rejected {}",
            l.read, l.used, l.rejected
        ));
    }
    let mut sig: Vec<String> = loaded
        .rejections
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r.column,
                r.expected.chars().take(30).collect::<String>()
            )
        })
        .collect();
    sig.sort();
    sig.dedup();
    let report = nrr_core::engine::compute(&loaded.dataset, &Default::default());
    match report {
        Ok(mut r) => {
            nrr_core::engine::attach_notes(&mut r, &loaded.notes);
            let _ = nrr_io::write::report_csv(&r);
            if let Ok(m) = nrr_core::movements::movements(&loaded.dataset, &Default::default(), &[])
            {
                let _ = nrr_io::write::movements_csv(&m, std::io::sink());
            }
            if let Some(c) = loaded.dataset.customers.iter().next() {
                let ex = nrr_core::explain::explain(&loaded.dataset, &Default::default(), c);
                if let (Ok(mut ex), Some(m)) = (ex, loaded.customer_map.as_ref()) {
                    nrr_core::explain::attach_customer_map(&mut ex, m);
                }
            }
            sig.push("report".into());
        }
        Err(e) => sig.push(format!(
            "core:{}",
            e.to_string().chars().take(30).collect::<String>()
        )),
    }
    Ok(sig.join("|"))
}

/// A peak while loading: (bytes, input size, bound).
type Peak = (u64, u64, u64);

/// The highest allocation peak while loading so far, and the peak nearest its bound.
static TOP_PEAK: std::sync::Mutex<(Peak, Peak)> = std::sync::Mutex::new(((0, 0, 0), (0, 0, 1)));

/// `a` nearer its bound than `b`.
fn nearer(a: Peak, b: Peak) -> bool {
    u128::from(a.0) * u128::from(b.2.max(1)) > u128::from(b.0) * u128::from(a.2.max(1))
}

fn note_peak(peak: usize, size: usize, bound: usize) {
    let p = (peak as u64, size as u64, bound as u64);
    if let Ok(mut t) = TOP_PEAK.lock() {
        if p.0 > t.0 .0 {
            t.0 = p;
        }
        if nearer(p, t.1) {
            t.1 = p;
        }
    }
}

/// The readers an input goes through: its revenue input and side files, by file name.
const READERS: &[(&str, &[&str])] = &[
    ("items.csv", &["items.csv"]),
    ("items.parquet", &["items.parquet"]),
    ("mrr", &["mrr.csv", "mrr.parquet"]),
    ("invoices.csv", &["invoices.csv", "invoices.parquet"]),
    (
        "events",
        &["subscription_events.csv", "subscription_events.parquet"],
    ),
    (
        "stripe.json",
        &[
            "subscriptions.json",
            "invoices.json",
            "credit_notes.json",
            "refunds.json",
        ],
    ),
    (
        "stripe.jsonl",
        &[
            "subscriptions.jsonl",
            "invoices.jsonl",
            "credit_notes.jsonl",
            "refunds.jsonl",
        ],
    ),
    (
        "snapshots",
        &[
            "subscription_snapshots.csv",
            "subscription_snapshots.parquet",
        ],
    ),
    (
        "movements",
        &["revenue_movements.csv", "revenue_movements.parquet"],
    ),
    ("fx.csv", &["fx.csv"]),
    ("customers.csv", &["customers.csv"]),
    ("annotations.csv", &["annotations.csv"]),
    ("customer_map.csv", &["customer_map.csv"]),
];

/// Which of [`READERS`] `input` has files for.
fn readers_of(input: &Input) -> impl Iterator<Item = usize> + '_ {
    READERS.iter().enumerate().filter_map(|(i, (_, names))| {
        input
            .files
            .iter()
            .any(|f| names.contains(&f.name.as_str()))
            .then_some(i)
    })
}

/// The process's peak resident memory (Linux `VmHWM`), in bytes; 0 when unknown.
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// A worker's progress line: `execs N corpus M peak BYTES SIZE BOUND share BYTES SIZE BOUND
/// rss BYTES readers a,b,...` (`peak`: the highest peak while loading; `share`: the peak
/// nearest its bound).
fn progress_line(execs: u64, corpus: usize, per_reader: &[u64]) -> String {
    let (p, s) = TOP_PEAK.lock().map_or(((0, 0, 0), (0, 0, 1)), |t| *t);
    let readers: Vec<String> = per_reader.iter().map(u64::to_string).collect();
    format!(
        "execs {execs} corpus {corpus} peak {} {} {} share {} {} {} rss {} readers {}",
        p.0,
        p.1,
        p.2,
        s.0,
        s.1,
        s.2,
        peak_rss(),
        readers.join(",")
    )
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
}

// -------------------------------------------------------------------------------------------
// Worker and supervisor

struct Args {
    seconds: u64,
    seed: u64,
    findings: PathBuf,
    fixtures: PathBuf,
    work: PathBuf,
    worker: bool,
    replay: Option<PathBuf>,
}

fn parse_args() -> Args {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut a = Args {
        seconds: 60,
        seed: 1,
        findings: root.join("target/fuzz-findings"),
        fixtures: root.join("tests/fixtures"),
        work: std::env::temp_dir().join(format!("nrr-fuzz-{}", std::process::id())),
        worker: false,
        replay: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_default();
        match k.as_str() {
            "--seconds" => a.seconds = v().parse().unwrap_or(60),
            "--seed" => a.seed = v().parse().unwrap_or(1),
            "--findings" => a.findings = PathBuf::from(v()),
            "--fixtures" => a.fixtures = PathBuf::from(v()),
            "--work" => a.work = PathBuf::from(v()),
            "--replay" => a.replay = Some(PathBuf::from(v())),
            "--worker" => a.worker = true,
            other => {
                eprintln!("nrr-fuzz: unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    a
}

fn save(findings: &Path, kind: &str, input: &Input, reason: &str) {
    let mut n = 0;
    let dir = loop {
        let d = findings.join(format!("{kind}-{n}"));
        if !d.exists() {
            break d;
        }
        n += 1;
    };
    if std::fs::create_dir_all(&dir).is_ok() {
        for f in &input.files {
            let _ = std::fs::write(dir.join(&f.name), &f.bytes);
        }
        let _ = std::fs::write(
            dir.join("reason.txt"),
            format!("{reason}\nfrom: {}\n", input.origin),
        );
    }
}

/// The worker: mutates and runs until the time is up, printing `execs N corpus M` lines.
fn worker(a: &Args) {
    let seeds = seeds(&a.fixtures);
    if seeds.is_empty() {
        eprintln!("nrr-fuzz: no seeds in {}", a.fixtures.display());
        std::process::exit(2);
    }
    let dir = a.work.join("current");
    let _ = std::fs::create_dir_all(&dir);
    // Panics are findings, reported here, not on stderr.
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng(a.seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1);
    let mut corpus: Vec<Input> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let end = Instant::now() + Duration::from_secs(a.seconds);
    let mut execs: u64 = 0;
    let mut per_reader = vec![0u64; READERS.len()];
    let mut last = Instant::now();
    let mut out = std::io::stdout();
    while Instant::now() < end {
        let from_corpus = !corpus.is_empty() && rng.chance(2);
        let mut input = if from_corpus {
            rng.pick(&corpus).clone()
        } else {
            rng.pick(&seeds).clone()
        };
        mutate(&mut input, &mut rng);
        for r in readers_of(&input) {
            per_reader[r] += 1;
        }
        let variant = rng.next();
        let outcome = std::panic::catch_unwind(|| run(&dir, &input, variant));
        execs += 1;
        match outcome {
            Ok(Ok(sig)) => {
                if seen.insert(sig) && corpus.len() < MAX_CORPUS {
                    corpus.push(input);
                }
            }
            Ok(Err(reason)) => {
                save(&a.findings, "invariant", &input, &reason);
                let _ = writeln!(out, "finding invariant {reason}");
            }
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                save(&a.findings, "panic", &input, &format!("panic: {msg}"));
                let _ = writeln!(out, "finding panic {msg}");
            }
        }
        if last.elapsed() >= Duration::from_millis(500) {
            let _ = writeln!(out, "{}", progress_line(execs, corpus.len(), &per_reader));
            let _ = out.flush();
            last = Instant::now();
        }
    }
    let _ = writeln!(out, "{}", progress_line(execs, corpus.len(), &per_reader));
    let _ = writeln!(out, "done");
}

/// Reads the input a worker left in `dir` (what it was running when it died).
fn input_in(dir: &Path) -> Input {
    let mut files = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !is_data(&name) {
                continue;
            }
            if let Ok(bytes) = std::fs::read(e.path()) {
                files.push(File {
                    name,
                    bytes,
                    csv_twin: None,
                });
            }
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Input {
        origin: "the input a worker was reading".into(),
        files,
    }
}

/// The supervisor: runs workers one after another until the time is up, restarting one that
/// dies (a crash or an abort) or stops making progress (a hang), and saving its input.
fn supervise(a: &Args) -> u64 {
    let start = Instant::now();
    let total = Duration::from_secs(a.seconds);
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("nrr-fuzz"));
    let mut execs_done: u64 = 0;
    let mut corpus_max = 0usize;
    let mut findings = 0u64;
    let mut round: u64 = 0;
    let mut per_reader = vec![0u64; READERS.len()];
    // The highest peak while loading: (bytes, input size, bound); the workers' highest RSS.
    let mut top: Peak = (0, 0, 0);
    let mut share: Peak = (0, 0, 1);
    let mut rss_max = 0u64;
    let seeds = seeds(&a.fixtures).len();
    while start.elapsed() < total {
        let left = total.saturating_sub(start.elapsed()).as_secs().max(1);
        let work = a.work.join(format!("w{round}"));
        let _ = std::fs::create_dir_all(&work);
        let child = std::process::Command::new(&exe)
            .args(["--worker", "--seconds", &left.to_string()])
            .args(["--seed", &(a.seed + round).to_string()])
            .arg("--findings")
            .arg(&a.findings)
            .arg("--fixtures")
            .arg(&a.fixtures)
            .arg("--work")
            .arg(&work)
            .stdout(std::process::Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                eprintln!("nrr-fuzz: starting a worker: {e}");
                return 1;
            }
        };
        let (tx, rx) = std::sync::mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stdout).lines() {
                    if tx.send(line.unwrap_or_default()).is_err() {
                        break;
                    }
                }
            });
        }
        let mut execs = 0u64;
        let mut readers = vec![0u64; READERS.len()];
        let mut finished = false;
        let mut hung = false;
        loop {
            match rx.recv_timeout(Duration::from_secs(HANG_SECS)) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("execs ") {
                        let parts: Vec<&str> = rest.split_whitespace().collect();
                        let num = |i: usize| parts.get(i).and_then(|n| n.parse::<u64>().ok());
                        execs = num(0).unwrap_or(execs);
                        corpus_max = corpus_max.max(num(2).unwrap_or(0) as usize);
                        if let (Some(p), Some(s), Some(b)) = (num(4), num(5), num(6)) {
                            if p > top.0 {
                                top = (p, s, b);
                            }
                        }
                        if let (Some(p), Some(s), Some(b)) = (num(8), num(9), num(10)) {
                            if nearer((p, s, b), share) {
                                share = (p, s, b);
                            }
                        }
                        rss_max = rss_max.max(num(12).unwrap_or(0));
                        if let Some(list) = parts.get(14) {
                            for (r, n) in readers.iter_mut().zip(list.split(',')) {
                                *r = n.parse().unwrap_or(*r);
                            }
                        }
                    } else if line == "done" {
                        finished = true;
                    } else if line.starts_with("finding") {
                        findings += 1;
                        eprintln!("nrr-fuzz: {line}");
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    hung = true;
                    let _ = child.kill();
                    break;
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let status = child.wait();
        execs_done += execs;
        for (t, n) in per_reader.iter_mut().zip(&readers) {
            *t += n;
        }
        let died = !finished && !status.as_ref().is_ok_and(|s| s.success());
        if hung || died {
            findings += 1;
            let kind = if hung { "hang" } else { "crash" };
            let reason = format!("{kind}: worker status {status:?}");
            eprintln!("nrr-fuzz: finding {reason}");
            save(&a.findings, kind, &input_in(&work.join("current")), &reason);
        }
        let _ = std::fs::remove_dir_all(&work);
        round += 1;
    }
    let _ = std::fs::remove_dir_all(&a.work);
    println!(
        "nrr-fuzz: {} s, {execs_done} executions ({:.0}/s), {seeds} seeds, {corpus_max} inputs kept, {findings} findings{}",
        start.elapsed().as_secs(),
        execs_done as f64 / start.elapsed().as_secs_f64().max(0.001),
        if findings > 0 {
            format!(" (in {})", a.findings.display())
        } else {
            String::new()
        }
    );
    let readers: Vec<String> = READERS
        .iter()
        .zip(&per_reader)
        .map(|((name, _), n)| format!("{name} {n}"))
        .collect();
    println!("nrr-fuzz: executions by reader: {}", readers.join(", "));
    let pct = |p: Peak| 100.0 * p.0 as f64 / p.2.max(1) as f64;
    println!(
        "nrr-fuzz: memory while loading: highest peak {} (an input of {} bytes, {:.1}% of its bound); nearest its bound {:.1}% ({} for {} bytes, bound {}); workers' peak RSS {}",
        mib(top.0),
        top.1,
        pct(top),
        pct(share),
        mib(share.0),
        share.1,
        mib(share.2),
        mib(rss_max)
    );
    findings
}

fn main() {
    let a = parse_args();
    if let Some(dir) = &a.replay {
        // Every variant of the options (currency, --usage, --snapshot-date, invoice policies):
        // the first that breaks an invariant, else the last outcome.
        let input = input_in(dir);
        let _ = std::fs::create_dir_all(&a.work);
        let mut outcome = Ok(String::new());
        for variant in 0..90 {
            outcome = run(&a.work, &input, variant);
            if outcome.is_err() {
                break;
            }
        }
        let _ = std::fs::remove_dir_all(&a.work);
        println!("{outcome:?}");
        std::process::exit(i32::from(outcome.is_err()));
    }
    if a.worker {
        worker(&a);
        return;
    }
    let findings = supervise(&a);
    std::process::exit(i32::from(findings > 0));
}
