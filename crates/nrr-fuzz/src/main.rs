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
//! - the row ledger adds up: read == used + excluded + rejected, and no reason has more rows
//!   with an amount (`excluded_amounts`) than rows excluded.
//!
//! Usage: `cargo run -p nrr-fuzz --release -- --seconds 1800 [--seed N] [--findings DIR]`.
//! Findings are written to `DIR/<kind>-<n>/` (the input files and `reason.txt`); the exit code
//! is 1 when there was any. `--replay DIR` reads one saved input and checks it again under
//! every variant of the options.
//!
//! At the end it prints the run's figures: executions, seeds, inputs kept, findings, how many
//! executions each reader took part in, the highest allocation peak while loading (with the
//! input's size and the share of its bound) and the workers' peak resident memory.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

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

mod alloc;
mod mutate;
mod rng;
mod run;
mod seeds;

use mutate::mutate;
use rng::Rng;
use run::{mib, nearer, progress_line, readers_of, run, Peak, READERS};
use seeds::{is_data, seeds, File, Input};

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
    let mut t = Totals::default();
    let mut round: u64 = 0;
    let seeds = seeds(&a.fixtures).len();
    while start.elapsed() < total {
        let left = total.saturating_sub(start.elapsed()).as_secs().max(1);
        let work = a.work.join(format!("w{round}"));
        let _ = std::fs::create_dir_all(&work);
        let mut child = match spawn_worker(a, &exe, left, round, &work) {
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
        let mut w = WorkerRun {
            execs: 0,
            readers: vec![0u64; READERS.len()],
        };
        let mut finished = false;
        let mut hung = false;
        loop {
            match rx.recv_timeout(Duration::from_secs(HANG_SECS)) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("execs ") {
                        t.progress(rest, &mut w);
                    } else if line == "done" {
                        finished = true;
                    } else if line.starts_with("finding") {
                        t.findings += 1;
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
        t.execs_done += w.execs;
        for (total, n) in t.per_reader.iter_mut().zip(&w.readers) {
            *total += n;
        }
        let died = !finished && !status.as_ref().is_ok_and(|s| s.success());
        if hung || died {
            t.findings += 1;
            let kind = if hung { "hang" } else { "crash" };
            let reason = format!("{kind}: worker status {status:?}");
            eprintln!("nrr-fuzz: finding {reason}");
            save(&a.findings, kind, &input_in(&work.join("current")), &reason);
        }
        let _ = std::fs::remove_dir_all(&work);
        round += 1;
    }
    let _ = std::fs::remove_dir_all(&a.work);
    t.print(start, seeds, &a.findings);
    t.findings
}

/// Starts worker `round` for the `left` seconds, in `work`, its stdout piped.
fn spawn_worker(
    a: &Args,
    exe: &Path,
    left: u64,
    round: u64,
    work: &Path,
) -> std::io::Result<std::process::Child> {
    std::process::Command::new(exe)
        .args(["--worker", "--seconds", &left.to_string()])
        .args(["--seed", &(a.seed + round).to_string()])
        .arg("--findings")
        .arg(&a.findings)
        .arg("--fixtures")
        .arg(&a.fixtures)
        .arg("--work")
        .arg(work)
        .stdout(std::process::Stdio::piped())
        .spawn()
}

/// What the current worker has reported: its executions and executions by reader.
struct WorkerRun {
    execs: u64,
    readers: Vec<u64>,
}

/// The supervisor's sums over every worker.
struct Totals {
    execs_done: u64,
    corpus_max: usize,
    findings: u64,
    per_reader: Vec<u64>,
    /// The highest peak while loading: (bytes, input size, bound).
    top: Peak,
    /// The peak nearest its bound.
    share: Peak,
    /// The workers' highest RSS.
    rss_max: u64,
}

impl Default for Totals {
    fn default() -> Totals {
        Totals {
            execs_done: 0,
            corpus_max: 0,
            findings: 0,
            per_reader: vec![0u64; READERS.len()],
            top: (0, 0, 0),
            share: (0, 0, 1),
            rss_max: 0,
        }
    }
}

impl Totals {
    /// A worker's progress line (after `execs `): its executions, the corpus size, its peaks,
    /// its RSS and its executions by reader.
    fn progress(&mut self, rest: &str, w: &mut WorkerRun) {
        let parts: Vec<&str> = rest.split_whitespace().collect();
        let num = |i: usize| parts.get(i).and_then(|n| n.parse::<u64>().ok());
        w.execs = num(0).unwrap_or(w.execs);
        self.corpus_max = self.corpus_max.max(num(2).unwrap_or(0) as usize);
        if let (Some(p), Some(s), Some(b)) = (num(4), num(5), num(6)) {
            if p > self.top.0 {
                self.top = (p, s, b);
            }
        }
        if let (Some(p), Some(s), Some(b)) = (num(8), num(9), num(10)) {
            if nearer((p, s, b), self.share) {
                self.share = (p, s, b);
            }
        }
        self.rss_max = self.rss_max.max(num(12).unwrap_or(0));
        if let Some(list) = parts.get(14) {
            for (r, n) in w.readers.iter_mut().zip(list.split(',')) {
                *r = n.parse().unwrap_or(*r);
            }
        }
    }

    /// The run's figures, at the end.
    fn print(&self, start: Instant, seeds: usize, findings_dir: &Path) {
        let (execs_done, corpus_max, findings) = (self.execs_done, self.corpus_max, self.findings);
        println!(
            "nrr-fuzz: {} s, {execs_done} executions ({:.0}/s), {seeds} seeds, {corpus_max} inputs kept, {findings} findings{}",
            start.elapsed().as_secs(),
            execs_done as f64 / start.elapsed().as_secs_f64().max(0.001),
            if findings > 0 {
                format!(" (in {})", findings_dir.display())
            } else {
                String::new()
            }
        );
        let readers: Vec<String> = READERS
            .iter()
            .zip(&self.per_reader)
            .map(|((name, _), n)| format!("{name} {n}"))
            .collect();
        println!("nrr-fuzz: executions by reader: {}", readers.join(", "));
        let pct = |p: Peak| 100.0 * p.0 as f64 / p.2.max(1) as f64;
        let (top, share) = (self.top, self.share);
        println!(
            "nrr-fuzz: memory while loading: highest peak {} (an input of {} bytes, {:.1}% of its bound); nearest its bound {:.1}% ({} for {} bytes, bound {}); workers' peak RSS {}",
            mib(top.0),
            top.1,
            pct(top),
            pct(share),
            mib(share.0),
            share.1,
            mib(share.2),
            mib(self.rss_max)
        );
    }
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
