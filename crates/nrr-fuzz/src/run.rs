//! Running one input: write it, load it under a variant of the options, check the
//! invariants, and sum up its outcome; the memory peaks kept across runs, the readers an
//! input feeds, and the figures a worker reports.

use crate::alloc::{CURRENT, PEAK};
use crate::seeds::Input;
use crate::{MEMORY_BASE, MEMORY_FACTOR};
use std::path::Path;
use std::sync::atomic::Ordering;

/// The load options of run `variant` (currency, `--usage`, `--snapshot-date`, and invoice
/// policies where an invoice reader runs).
fn options(input: &Input, variant: u64) -> nrr_io::LoadOptions {
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
    nrr_io::LoadOptions {
        invoice_policies,
        currency: match variant % 3 {
            0 => None,
            1 => Some("USD".into()),
            _ => Some("EUR".into()),
        },
        customers: true,
        usage: variant.is_multiple_of(5),
        snapshot_date: match (variant / 5) % 3 {
            0 => None,
            1 => Some(nrr_core::policy::SnapshotDate::Close),
            _ => Some(nrr_core::policy::SnapshotDate::Open),
        },
        ..Default::default()
    }
}

/// What one run did: `Ok(signature)` of its outcome, or the broken invariant.
pub(crate) fn run(dir: &Path, input: &Input, variant: u64) -> Result<String, String> {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
    }
    for f in &input.files {
        std::fs::write(dir.join(&f.name), &f.bytes).map_err(|e| format!("writing: {e}"))?;
    }
    let opts = options(input, variant);
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
    for (reason, (key, n)) in nrr_core::report::Reason::ALL
        .into_iter()
        .zip(l.excluded.fields())
    {
        let with_amount = l.excluded_amounts.rows(reason);
        if with_amount > n {
            return Err(format!(
                "ledger: {with_amount} {key} rows with an amount, {n} excluded"
            ));
        }
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
pub(crate) type Peak = (u64, u64, u64);

/// The highest allocation peak while loading so far, and the peak nearest its bound.
pub(crate) static TOP_PEAK: std::sync::Mutex<(Peak, Peak)> =
    std::sync::Mutex::new(((0, 0, 0), (0, 0, 1)));

/// `a` nearer its bound than `b`.
pub(crate) fn nearer(a: Peak, b: Peak) -> bool {
    u128::from(a.0) * u128::from(b.2.max(1)) > u128::from(b.0) * u128::from(a.2.max(1))
}

pub(crate) fn note_peak(peak: usize, size: usize, bound: usize) {
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
pub(crate) const READERS: &[(&str, &[&str])] = &[
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
pub(crate) fn readers_of(input: &Input) -> impl Iterator<Item = usize> + '_ {
    READERS.iter().enumerate().filter_map(|(i, (_, names))| {
        input
            .files
            .iter()
            .any(|f| names.contains(&f.name.as_str()))
            .then_some(i)
    })
}

/// The process's peak resident memory (Linux `VmHWM`), in bytes; 0 when unknown.
pub(crate) fn peak_rss() -> u64 {
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
pub(crate) fn progress_line(execs: u64, corpus: usize, per_reader: &[u64]) -> String {
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

pub(crate) fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
}
