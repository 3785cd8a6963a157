//! `nrr report` as terminal tables: no colour, every section within 80 columns, the demo, chosen sections.

use super::*;

const ARGS: &[&str] = &[
    "report",
    "tests/fixtures/worked_example_115",
    "--from",
    "2023-12",
    "--to",
    "2024-03",
];

#[test]
fn table_no_color() {
    let run = nrr(ARGS);
    run.assert_code(0);
    assert!(!run.stdout.contains('\u{1b}'), "escape codes with NO_COLOR");
    insta::assert_snapshot!(run.transcript());
}

/// `--sections all` shows every section, in the report's order; at 80 columns a table
/// wider than that is cut into blocks that repeat its first column.
#[test]
fn every_section_at_80_columns() {
    let mut args = ARGS.to_vec();
    args.extend(["--sections", "all"]);
    let run = nrr(&args);
    run.assert_code(0);
    let mut at = 0;
    for title in [
        "Summary (USD)",
        "Retention by month",
        "Retention by quarter",
        "Metrics by quarter",
        "Expansion and contraction by reason",
        "Concentration",
        "Top customers",
        "MRR bridge by month",
        "Context",
    ] {
        let found = run.stdout[at..]
            .find(title)
            .unwrap_or_else(|| panic!("{title} after byte {at}:\n{}", run.stdout));
        at += found;
    }
    assert!(
        run.stdout.lines().all(|l| l.chars().count() <= 80),
        "lines within 80 columns:\n{}",
        run.stdout
    );
    insta::assert_snapshot!(run.transcript());
}

/// The demo's default report starts with the summary and fits 100 columns (80 when not a
/// terminal, but for an address, which is never broken).
#[test]
fn the_demo_starts_with_the_summary_and_fits_100_columns() {
    let run = nrr(&["demo"]);
    run.assert_code(0);
    let first_section = run.stdout.split("\n\n").nth(1).unwrap_or("");
    assert!(first_section.starts_with("Summary (USD)"), "{}", run.stdout);
    for l in run.stdout.lines() {
        assert!(l.chars().count() <= 100, "over 100 columns: {l}");
    }
    assert!(run.stdout.lines().count() < 200, "{}", run.stdout);
    // Empty leading periods (no cohort) show no quick ratio or LTV.
    let all = nrr(&["demo", "--sections", "metrics"]);
    let q1: Vec<&str> = all
        .stdout
        .lines()
        .filter(|l| l.starts_with("2023-Q1"))
        .collect();
    assert!(!q1.is_empty(), "{}", all.stdout);
    assert!(q1.iter().all(|l| !l.contains("86.00")), "{}", all.stdout);
}

/// `--sections` shows only what is asked for, in the report's own order.
#[test]
fn chosen_sections_only() {
    let mut args = ARGS.to_vec();
    args.extend(["--sections", "bridge,summary"]);
    let run = nrr(&args);
    run.assert_code(0);
    let (summary, bridge) = (
        run.stdout.find("Summary (USD)").expect("summary"),
        run.stdout.find("MRR bridge by month").expect("bridge"),
    );
    assert!(summary < bridge);
    for absent in ["Retention by quarter", "Context", "Metrics by quarter"] {
        assert!(!run.stdout.contains(absent), "{absent}:\n{}", run.stdout);
    }
    let bad = nrr(&["report", "x", "--sections", "headline"]);
    bad.assert_code(2);
}

#[test]
fn csv() {
    let mut args = ARGS.to_vec();
    args.extend(["--format", "csv"]);
    let run = nrr(&args);
    run.assert_code(0);
    insta::assert_snapshot!(run.transcript());
}
