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

/// `nrr generate --currencies` data reported in EUR: ARPA's exact value is
/// `closing / (denominator x customers)`, whose decimal can end only after 20-odd places
/// (the unit is `1 / (10^2 x 12 x 10^12)`, times a customer count divisible by 8). Showing
/// it multiplied the units by `10^places` in an `i128`: a panic in a debug build, a wrapped
/// figure in a release build (`"exact": {"arpa": "-0.3905..."}` beside a shown 953.11). Every
/// exact ARPA must round to the shown one, for the audit's data set (segment `mid`, period
/// 3) and for the smallest generated one found that overflowed (20 customers, 12 months).
#[test]
fn exact_arpa_with_many_decimals_rounds_to_the_shown_one() {
    use super::util::{json_of, nrr_command, nrr_output, succeed};
    let tmp = TempDir::new().unwrap();
    for (customers, months, seed, segment, long) in [
        ("20", "12", "6", None, "/periods/7/metrics"),
        (
            "3000",
            "40",
            "99",
            Some("segment"),
            "/segments/values/mid/periods/3/metrics",
        ),
    ] {
        let data = tmp.path().join(format!("gen-{customers}"));
        let data = data.to_str().unwrap();
        succeed(
            nrr_command().args([
                "generate",
                "--customers",
                customers,
                "--months",
                months,
                "--seed",
                seed,
                "--currencies",
                "--out",
                data,
            ]),
            "nrr generate",
        );
        let mut args = vec!["report", data, "--currency", "EUR", "--format", "json"];
        if let Some(s) = segment {
            args.extend(["--segment", s]);
        }
        let report = json_of(&nrr_output(&args));
        let mut seen = Vec::new();
        every_arpa(&report, String::new(), &mut seen);
        assert!(!seen.is_empty());
        for (path, shown, exact) in &seen {
            assert_eq!(
                round2(exact),
                *shown,
                "{path}: exact ARPA {exact} is not the shown {shown}"
            );
            assert!(!shown.starts_with('-') && !exact.starts_with('-'), "{path}");
        }
        let (_, shown, exact) = seen
            .iter()
            .find(|(p, ..)| p == long)
            .unwrap_or_else(|| panic!("no ARPA at {long}"));
        let places = exact.split_once('.').unwrap().1.len();
        assert!(
            places >= 20,
            "{long}: {exact} ({places} places), shown {shown}"
        );
    }
}

/// Every `(path, shown, exact)` ARPA of a report (exact: the `exact` map's, else the shown).
fn every_arpa(v: &Value, path: String, out: &mut Vec<(String, String, String)>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(shown)) = o.get("arpa") {
                let exact = o
                    .get("exact")
                    .and_then(|e| e.get("arpa"))
                    .and_then(Value::as_str)
                    .unwrap_or(shown);
                out.push((path.clone(), shown.clone(), exact.to_string()));
            }
            for (k, x) in o.iter().filter(|(k, _)| *k != "exact") {
                every_arpa(x, format!("{path}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                every_arpa(x, format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// A plain non-negative decimal string rounded half-even to 2 places, digit by digit.
fn round2(s: &str) -> String {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let frac = format!("{frac:0<2}");
    let (keep, rest) = frac.split_at(2);
    let mut digits: Vec<u8> = format!("{int}{keep}").into_bytes();
    let rest = rest.as_bytes();
    let up = match rest.first() {
        Some(b'6'..=b'9') => true,
        Some(b'5') => {
            rest[1..].iter().any(|&c| c != b'0') || (digits.last().unwrap() - b'0') % 2 == 1
        }
        _ => false,
    };
    if up {
        let mut k = digits.len();
        loop {
            if k == 0 {
                digits.insert(0, b'1');
                break;
            }
            k -= 1;
            if digits[k] == b'9' {
                digits[k] = b'0';
            } else {
                digits[k] += 1;
                break;
            }
        }
    }
    let text = String::from_utf8(digits).unwrap();
    let (i, f) = text.split_at(text.len() - 2);
    format!("{i}.{f}")
}
