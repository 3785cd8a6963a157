//! The parallel CSV path (blocks cut at newlines, parts parsed on all threads) must give
//! exactly what the sequential path gives: the same dataset, ledger and rejections with the
//! same line numbers. Quoting one field forces the sequential path for comparison.

use nrr_core::engine::{compute, Options};
use nrr_io::generate::{generate, GenerateOptions};
use nrr_io::{load, LoadOptions};
use std::path::Path;

/// Writes items.csv with some invalid rows spliced in; `quote` wraps customer ids in quotes.
fn write_items(src: &Path, dir: &Path, quote: bool) {
    let text = std::fs::read_to_string(src.join("items.csv")).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let line = if quote && i > 0 {
            let (id, rest) = line.split_once(',').unwrap();
            format!("\"{id}\",{rest}")
        } else {
            line.to_string()
        };
        out.push_str(&line);
        out.push('\n');
        if i > 0 && i % 997 == 0 {
            out.push_str("bad,s,p,q,1,-5.00,USD,1,2024-01-01,,recurring\n");
            out.push_str("bad2,s,p,q,1,5.00,USD,1,2024-02-30,,recurring\n");
        }
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("items.csv"), out).unwrap();
}

#[test]
fn parallel_and_sequential_paths_agree_across_many_blocks() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    generate(
        &GenerateOptions {
            customers: 3000,
            months: 24,
            ..Default::default()
        },
        &src,
    )
    .unwrap();
    let (plain, quoted) = (tmp.path().join("plain"), tmp.path().join("quoted"));
    write_items(&src, &plain, false);
    write_items(&src, &quoted, true);
    // Tiny blocks: hundreds of block boundaries, each cut at a newline.
    std::env::set_var("NRR_CSV_BLOCK_BYTES", "4096");
    let opts = LoadOptions::default();
    let a = load(&plain, &opts).unwrap();
    let b = load(&quoted, &opts).unwrap();
    std::env::remove_var("NRR_CSV_BLOCK_BYTES");
    assert!(a.rejections.len() > 10, "{}", a.rejections.len());
    assert_eq!(a.rejections, b.rejections);
    assert_eq!(a.dataset.ledger, b.dataset.ledger);
    assert!(a.dataset.ledger.balances());
    let ids_a: Vec<&str> = a.dataset.customers.iter().collect();
    let ids_b: Vec<&str> = b.dataset.customers.iter().collect();
    assert_eq!(ids_a, ids_b);
    assert_eq!(a.dataset.lines.origin, b.dataset.lines.origin);
    let ra = serde_json::to_value(compute(&a.dataset, &Options::default()).unwrap()).unwrap();
    let rb = serde_json::to_value(compute(&b.dataset, &Options::default()).unwrap()).unwrap();
    assert_eq!(ra, rb);
    // The line numbers point at the spliced rows.
    let text = std::fs::read_to_string(plain.join("items.csv")).unwrap();
    for r in &a.rejections {
        let line = text.lines().nth(r.line as usize - 1).unwrap();
        assert!(line.starts_with("bad"), "line {} is {line}", r.line);
    }
}
