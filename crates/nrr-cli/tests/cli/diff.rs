//! `nrr diff A B`: each cause alone and two together, hand-checked on fixtures; the parts of
//! every figure sum exactly to its change (property-style over several fixtures); a
//! restatement's stored diff names exactly the customer whose row changed.

use super::{nrr_in, Run};
use crate::util::fixtures_dir;
use nrr_core::diff::Dec;
use serde_json::Value;
use tempfile::TempDir;

/// A temporary directory with `data/`: the fixture's CSV files (not its notes or expected
/// report) and, when given, `data/nrr.toml`.
fn setup(fixture: &str, toml: Option<&str>) -> TempDir {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for e in std::fs::read_dir(fixtures_dir().join(fixture)).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "csv") {
            std::fs::copy(&p, data.join(p.file_name().unwrap())).unwrap();
        }
    }
    if let Some(t) = toml {
        std::fs::write(data.join("nrr.toml"), t).unwrap();
    }
    tmp
}

/// Replaces `from` by `to` in `data/NAME` (exactly once).
fn edit(tmp: &TempDir, name: &str, from: &str, to: &str) {
    let p = tmp.path().join("data").join(name);
    let text = std::fs::read_to_string(&p).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from} in {name}");
    std::fs::write(&p, text.replace(from, to)).unwrap();
}

fn run(tmp: &TempDir, args: &[&str]) -> Run {
    nrr_in(tmp.path(), args)
}

/// `nrr publish data --period P --book book` plus `window`; returns the release id.
fn publish(tmp: &TempDir, period: &str, window: &[&str]) -> String {
    let mut args = vec!["publish", "data", "--period", period, "--book", "book"];
    args.extend_from_slice(window);
    let r = run(tmp, &args);
    r.assert_code(0);
    r.stdout
        .split_whitespace()
        .nth(1)
        .expect("published ID")
        .to_string()
}

/// `nrr diff A B --format json` (every customer listed), checked: exit 0, every figure's
/// parts sum exactly to its change, and for every step the customers' changes of a month and
/// category sum to that step's part of `months[M].CATEGORY`.
fn diff(tmp: &TempDir, a: &str, b: &str) -> Value {
    let r = run(
        tmp,
        &[
            "diff", a, b, "--book", "book", "--format", "json", "--top", "100000",
        ],
    );
    r.assert_code(0);
    let d = r.json();
    check_sums(&d);
    d
}

fn dec(v: &Value) -> Option<Dec> {
    v.as_str().and_then(Dec::parse)
}

const STEPS: [&str; 5] = [
    "tool_version_a",
    "settings",
    "fx_rates",
    "input_rows",
    "tool_version_b",
];

#[track_caller]
fn check_sums(d: &Value) {
    let figures = d["figures"].as_array().unwrap();
    assert_eq!(d["figures_changed"], figures.len());
    for f in figures {
        let Some(change) = dec(&f["change"]) else {
            continue;
        };
        let sum = STEPS.iter().fold(Dec::ZERO, |s, k| {
            s.checked_add(dec(&f["parts"][k]).expect("a numeric part"))
                .unwrap()
        });
        assert_eq!(sum, change, "parts of {} do not sum: {f}", f["figure"]);
    }
    for (i, step) in d["steps"].as_array().unwrap().iter().enumerate() {
        assert_eq!(step["step"], STEPS[i]);
        let mut by: std::collections::BTreeMap<String, Dec> = Default::default();
        for c in step["customers"].as_array().unwrap() {
            for m in c["months"].as_array().unwrap() {
                let key = format!(
                    "months[{}].{}",
                    m["month"].as_str().unwrap(),
                    m["category"].as_str().unwrap()
                );
                let e = by.entry(key).or_insert(Dec::ZERO);
                *e = e.checked_add(dec(&m["change"]).unwrap()).unwrap();
            }
        }
        for (key, sum) in by {
            let part = figures
                .iter()
                .find(|f| f["figure"] == key.as_str())
                .map_or(Dec::ZERO, |f| dec(&f["parts"][STEPS[i]]).unwrap());
            // The rows carry 12 decimals, the shown figures 2: each is its exact sum rounded,
            // so the customers' sum and the shown part differ by at most a cent (and not at
            // all when every amount is whole cents, as in the hand-checked cases).
            let gap = sum.checked_sub(part).unwrap().abs();
            assert!(
                gap <= Dec::parse("0.01").unwrap(),
                "customers of {} sum to {sum}, not {part} of {key}",
                STEPS[i]
            );
        }
    }
}

/// The part of `figure` in `step` (panics when the figure did not change).
fn part(d: &Value, figure: &str, step: &str) -> String {
    let f = d["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["figure"] == figure)
        .unwrap_or_else(|| panic!("{figure} did not change"));
    f["parts"][step].as_str().unwrap().to_string()
}

fn changed(d: &Value, figure: &str) -> bool {
    d["figures"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["figure"] == figure)
}

/// The steps that moved a figure.
fn moving_steps(d: &Value) -> Vec<&str> {
    d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["figures_moved"].as_u64().unwrap() > 0)
        .map(|s| s["step"].as_str().unwrap())
        .collect()
}

/// A step's customers: (id, [(month, category, change)]).
/// (month, category, change).
type Cell = (String, String, String);

fn customers(d: &Value, step: usize) -> Vec<(String, Vec<Cell>)> {
    d["steps"][step]["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["customer_id"].as_str().unwrap().to_string(),
                c["months"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| {
                        (
                            m["month"].as_str().unwrap().to_string(),
                            m["category"].as_str().unwrap().to_string(),
                            m["change"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

fn s(x: &str) -> String {
    x.to_string()
}

const SEGMENTS_WINDOW: [&str; 4] = ["--from", "2023-12", "--to", "2024-03"];

/// One input row changed alone: corner-cafe's line (items.csv:4) goes from 300.00 to 350.00 a
/// month, 2023-11-01 to 2024-03-01. Window 2023-12..2024-03 (as-of pinned 2024-03-01).
/// - December opening and every closing until February: +50 (14,700 -> 14,750 in December);
/// - March churn 300 -> 350: +50; March closing unchanged (14,300 + 50 - 350 = 14,200 + ...);
/// - 2024-Q1 (cohort at December 14,700 -> 14,750; ending 14,200 unchanged: corner-cafe churns):
///   NRR 14,200 / 14,700 = 0.965986 -> 14,200 / 14,750 = 0.962712, a part of -0.003274.
///
/// Only the input-rows step moves; the one customer is corner-cafe, with its two lines.
#[test]
fn one_input_row_alone() {
    let tmp = setup("segments", None);
    let r1 = publish(&tmp, "2024-Q1", &SEGMENTS_WINDOW);
    assert_eq!(r1, "2024-Q1-r1");
    edit(
        &tmp,
        "items.csv",
        "corner-cafe-1,platform,starter,3,300.00",
        "corner-cafe-1,platform,starter,3,350.00",
    );
    let d = diff(&tmp, &r1, "data");
    assert_eq!(moving_steps(&d), ["input_rows"]);
    for skipped in [1, 2, 4] {
        assert!(d["steps"][skipped]["skipped"].is_string(), "{skipped}");
    }
    assert_eq!(
        part(&d, "months[2023-12].opening_mrr", "input_rows"),
        "50.00"
    );
    assert_eq!(part(&d, "months[2024-03].churn", "input_rows"), "50.00");
    assert!(!changed(&d, "months[2024-03].closing_mrr"));
    assert_eq!(
        part(&d, "periods[2024-Q1].starting_mrr", "input_rows"),
        "50.00"
    );
    assert_eq!(part(&d, "periods[2024-Q1].nrr", "input_rows"), "-0.003274");
    assert_eq!(
        customers(&d, 3),
        [(
            s("corner-cafe"),
            vec![(s("2024-03"), s("churn"), s("50.00"))]
        )]
    );
    let lines: Vec<(&str, &str)> = d["steps"][3]["customers"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["change"].as_str().unwrap(), l["at"].as_str().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [("removed", "items.csv:4"), ("added", "items.csv:4")]
    );

    // The table names the customer and the line; the CSV has one figure row per figure and
    // step, and the customer and line rows.
    let t = run(&tmp, &["diff", &r1, "data", "--book", "book"]);
    t.assert_code(0);
    assert!(t.stdout.contains("corner-cafe"), "{}", t.stdout);
    assert!(t.stdout.contains("items.csv:4"), "{}", t.stdout);
    let c = run(
        &tmp,
        &["diff", &r1, "data", "--book", "book", "--format", "csv"],
    );
    c.assert_code(0);
    assert!(c.stdout.starts_with(
        "section,step,cause,figure,customer_id,month,category,before,after,change,detail\n"
    ));
    assert!(c
        .stdout
        .contains("figure,input_rows,input_rows,months[2024-03].churn,,,,300.00,350.00,50.00,\n"));
    assert!(c
        .stdout
        .contains("customer,input_rows,input_rows,,corner-cafe,2024-03,churn,300.00,350.00,50.00,items.csv:4 items.csv:4\n"));

    // Nothing changed: exit 0, no figure.
    let same = diff(&tmp, &r1, &r1);
    assert_eq!(same["figures_changed"], 0);
}

const REACTIVATION_WINDOW: [&str; 6] = [
    "--from",
    "2024-01",
    "--to",
    "2024-06",
    "--as-of",
    "2024-06-30",
];

/// A policy alone: the same items under reactivation any-gap (r1) and as-expansion (r2).
/// From tests/fixtures/reactivation_any_gap/NOTES.md: d returns in February (80), b in March
/// (50), a in June (100). Under as-expansion each return is an expansion: the month's
/// reactivation falls by it and its expansion rises by it; openings and closings do not move.
/// Customers by size (|-x| + |+x|): a 200, d 160, b 100.
#[test]
fn a_policy_alone() {
    let tmp = setup("reactivation_any_gap", None);
    let r1 = publish(&tmp, "2024-Q2", &REACTIVATION_WINDOW);
    std::fs::write(
        tmp.path().join("data/nrr.toml"),
        "[policies]\nreactivation = \"as-expansion\"\n",
    )
    .unwrap();
    let r2 = publish(&tmp, "2024-Q2", &REACTIVATION_WINDOW);
    assert_eq!(r2, "2024-Q2-r2");
    let d = diff(&tmp, &r1, &r2);
    assert_eq!(moving_steps(&d), ["settings"]);
    let toml = &d["steps"][1]["changes"][0];
    assert_eq!(toml["file"], "nrr.toml");
    assert_eq!(toml["change"], "added");
    for (m, x) in [
        ("2024-02", "80.00"),
        ("2024-03", "50.00"),
        ("2024-06", "100.00"),
    ] {
        assert_eq!(
            part(&d, &format!("months[{m}].reactivation"), "settings"),
            format!("-{x}")
        );
        assert_eq!(part(&d, &format!("months[{m}].expansion"), "settings"), x);
        assert!(!changed(&d, &format!("months[{m}].closing_mrr")));
    }
    let got = customers(&d, 1);
    let ids: Vec<&str> = got.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(ids, ["a", "d", "b"]);
    assert_eq!(
        got[0].1,
        [
            (s("2024-06"), s("expansion"), s("100.00")),
            (s("2024-06"), s("reactivation"), s("-100.00"))
        ]
    );
}

/// Today's data against a release: an nrr.toml beside the data is read (not the release's),
/// so a policy changed there is the settings step, and `nrr verify RELEASE DATA` names the file
/// and the moved figures. A file name with an escape code is shown inert in the table.
#[test]
fn a_data_sides_own_nrr_toml_is_a_settings_change() {
    let tmp = setup("reactivation_any_gap", None);
    let odd = "notes\x1b[2J.txt";
    std::fs::write(tmp.path().join("data").join(odd), "x\n").unwrap();
    let r1 = publish(&tmp, "2024-Q2", &REACTIVATION_WINDOW);
    let r = run(&tmp, &["verify", &r1, "data", "--book", "book"]);
    r.assert_code(0);
    assert!(
        r.stdout.contains("today's data: the same input files"),
        "{}",
        r.stdout
    );

    std::fs::write(
        tmp.path().join("data/nrr.toml"),
        "[policies]\nreactivation = \"as-expansion\"\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("data").join(odd), "y\n").unwrap();
    let d = diff(&tmp, &r1, "data");
    assert_eq!(moving_steps(&d), ["settings"]);
    assert_eq!(d["b"]["config"], "data/nrr.toml");
    let toml = &d["steps"][1]["changes"][0];
    assert_eq!(
        (&toml["file"], &toml["change"]),
        (&"nrr.toml".into(), &"added".into())
    );
    assert_eq!(
        part(&d, "months[2024-06].reactivation", "settings"),
        "-100.00"
    );
    assert_eq!(part(&d, "months[2024-06].expansion", "settings"), "100.00");

    let table = run(&tmp, &["diff", &r1, "data", "--book", "book"]);
    table.assert_code(0);
    assert!(!table.stdout.contains('\x1b'), "{}", table.stdout);
    assert!(
        table.stdout.contains("notes\\u001b[2J.txt:1"),
        "{}",
        table.stdout
    );

    let r = run(&tmp, &["verify", &r1, "data", "--book", "book"]);
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("today's data: nrr.toml added (2 lines differ)")
            && r.stdout
                .contains("added line 2: reactivation = \"as-expansion\"")
            && r.stdout.contains("today's data with its settings: "),
        "{}",
        r.stdout
    );
}

/// A customer moved to another segment in customers.csv: only segment figures move, no
/// movement changes, and the customer is still named (rows only) with its changed line.
#[test]
fn a_segment_moved_in_customers_csv_names_the_customer() {
    let tmp = setup("segments", Some("segments = [\"segment\"]\n"));
    let window = ["--from", "2023-12", "--to", "2024-03"];
    let r1 = publish(&tmp, "2024-Q1", &window);
    edit(&tmp, "customers.csv", "globex,ent,apac", "globex,smb,apac");
    let d = diff(&tmp, &r1, "data");
    assert_eq!(moving_steps(&d), ["input_rows"]);
    let step = &d["steps"][3];
    assert_eq!(step["customers_changed"], 0);
    assert_eq!(step["customers_rows_only"], 1);
    assert_eq!(step["customers"][0]["customer_id"], "globex");
    assert_eq!(step["customers"][0]["size"], "0");
    let lines: Vec<&Value> = step["customers"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines.iter().all(|l| l["at"] == "customers.csv:5"),
        "{lines:?}"
    );
    assert!(!changed(&d, "months[2024-02].closing_mrr"));
    let table = run(&tmp, &["diff", &r1, "data", "--book", "book"]);
    let flat = table
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("0 customers changed (and 1 whose input rows changed, not their movements)"),
        "{}",
        table.stdout
    );
}

/// FX rates alone: fx_only_change (eurocorp 1,000 EUR a month; NOTES.md there) with the
/// 2024-02-15 rate 1.20 -> 1.30, published before (r1) and after (r2), same window and as-of.
/// - February: cur 1,000 x 1.30 = 1,300, fx 1,300 - 1,100 = +200 (was +100): part +100;
///   closing 1,700 -> 1,800;
/// - March: cc 1,300, cur 1,150, fx -150 (was -50): part -100; opening +100, closing 1,650
///   unchanged;
/// - Q1 bridge fx +50 unchanged; February's fx_impact 100 -> 200.
///
/// The one customer is eurocorp: February fx +100, March fx -100.
#[test]
fn fx_rates_alone() {
    let tmp = setup("fx_only_change", Some("currency = \"USD\"\n"));
    let window = [
        "--from",
        "2023-12",
        "--to",
        "2024-03",
        "--as-of",
        "2024-03-31",
    ];
    let r1 = publish(&tmp, "2024-Q1", &window);
    edit(&tmp, "fx.csv", "2024-02-15,EUR,1.20", "2024-02-15,EUR,1.30");
    let r2 = publish(&tmp, "2024-Q1", &window);
    let d = diff(&tmp, &r1, &r2);
    assert_eq!(moving_steps(&d), ["fx_rates"]);
    assert_eq!(
        d["steps"][3]["skipped"].as_str().unwrap(),
        "the same input files on both sides"
    );
    assert_eq!(part(&d, "months[2024-02].fx", "fx_rates"), "100.00");
    assert_eq!(
        part(&d, "months[2024-02].closing_mrr", "fx_rates"),
        "100.00"
    );
    assert_eq!(part(&d, "months[2024-03].fx", "fx_rates"), "-100.00");
    assert_eq!(
        part(&d, "months[2024-03].opening_mrr", "fx_rates"),
        "100.00"
    );
    assert!(!changed(&d, "months[2024-03].closing_mrr"));
    assert!(!changed(&d, "periods[2024-Q1].nrr"));
    assert_eq!(part(&d, "periods[2024-02].fx_impact", "fx_rates"), "100.00");
    assert_eq!(
        customers(&d, 2),
        [(
            s("eurocorp"),
            vec![
                (s("2024-02"), s("fx"), s("100.00")),
                (s("2024-03"), s("fx"), s("-100.00"))
            ]
        )]
    );
    let lines = &d["steps"][2]["changes"][0]["lines"];
    assert_eq!(lines[0]["at"], "fx.csv:3");
    assert_eq!(lines[1]["at"], "fx.csv:3");
}

/// Two causes together: r1 under any-gap; r2 under as-expansion AND b's returning line
/// (items.csv:5) at 70 instead of 50.
/// March: reactivation 50 -> 0 (settings -50, input rows 0); expansion 0 -> 50 (settings) ->
/// 70 (input rows +20): a change of +70 = 50 + 20. Closing March 330 -> 350: input rows +20.
/// The input-rows customer is b alone, with the two lines items.csv:5.
#[test]
fn a_policy_and_an_input_row_together() {
    let tmp = setup("reactivation_any_gap", None);
    let r1 = publish(&tmp, "2024-Q2", &REACTIVATION_WINDOW);
    std::fs::write(
        tmp.path().join("data/nrr.toml"),
        "[policies]\nreactivation = \"as-expansion\"\n",
    )
    .unwrap();
    edit(
        &tmp,
        "items.csv",
        "b,b-2,core,team,1,50,",
        "b,b-2,core,team,1,70,",
    );
    let r2 = publish(&tmp, "2024-Q2", &REACTIVATION_WINDOW);
    let d = diff(&tmp, &r1, &r2);
    assert_eq!(moving_steps(&d), ["settings", "input_rows"]);
    let f = d["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["figure"] == "months[2024-03].expansion")
        .unwrap();
    assert_eq!(f["a"], "0.00");
    assert_eq!(f["b"], "70.00");
    assert_eq!(f["change"], "70.00");
    assert_eq!(f["parts"]["settings"], "50.00");
    assert_eq!(f["parts"]["input_rows"], "20.00");
    assert_eq!(
        part(&d, "months[2024-03].reactivation", "settings"),
        "-50.00"
    );
    assert_eq!(
        part(&d, "months[2024-03].reactivation", "input_rows"),
        "0.00"
    );
    assert_eq!(part(&d, "months[2024-03].closing_mrr", "settings"), "0.00");
    assert_eq!(
        part(&d, "months[2024-03].closing_mrr", "input_rows"),
        "20.00"
    );
    let rows = customers(&d, 3);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "b");
    assert_eq!(rows[0].1[0], (s("2024-03"), s("expansion"), s("20.00")));
    let at: Vec<&str> = d["steps"][3]["customers"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["at"].as_str().unwrap())
        .collect();
    assert_eq!(at, ["items.csv:5", "items.csv:5"]);
}

/// The tool-version step compares a release's stored report.json and movements.csv with the
/// same pinned inputs recomputed by this tool. An older nrr cannot be run here, so the test
/// makes the release such a tool would have written: a copy of a real release whose
/// report.json says March's churn was 310.00 and whose movements.csv gives corner-cafe's
/// March churn as 310 (not 300), its manifest naming `nrr 0.0.1` and re-hashed so that the
/// release verifies. Against today's unchanged data, the only step that moves is
/// tool_version_a: March churn 310 -> 300, a part of -10, customer corner-cafe -10.
#[test]
fn tool_version_alone() {
    let tmp = setup("segments", None);
    let r1 = publish(&tmp, "2024-Q1", &SEGMENTS_WINDOW);
    // A release lives in a book under its own id: the older tool's book.
    let old_rel = format!("oldbook/releases/{r1}");
    let old = tmp.path().join(&old_rel);
    crate::util::copy_dir(&tmp.path().join("book/releases").join(&r1), &old);
    let replace = |name: &str, from: &str, to: &str| {
        let p = old.join(name);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{from} in {name}");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    };
    let report: Value =
        serde_json::from_slice(&std::fs::read(old.join("report.json")).unwrap()).unwrap();
    let mut report = report;
    let march = report["months"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|m| m["month"] == "2024-03")
        .unwrap();
    assert_eq!(march["churn"], "300.00");
    march["churn"] = Value::from("310.00");
    // The report names the tool that computed it, as release.json does.
    report["version"] = Value::from("0.0.1");
    std::fs::write(
        old.join("report.json"),
        serde_json::to_vec_pretty(&report).unwrap(),
    )
    .unwrap();
    replace(
        "movements.csv",
        "2024-03,corner-cafe,churn,,300.00,300.00",
        "2024-03,corner-cafe,churn,,310.00,310.00",
    );
    // The manifest: the tool and the digests of the two files.
    let mut manifest: Value =
        serde_json::from_slice(&std::fs::read(old.join("release.json")).unwrap()).unwrap();
    manifest["tool"] = Value::from("nrr 0.0.1");
    for f in manifest["files"].as_array_mut().unwrap() {
        let bytes = std::fs::read(old.join(f["path"].as_str().unwrap())).unwrap();
        f["sha256"] = Value::from(nrr_io::book::sha256_hex(&bytes));
        f["bytes"] = Value::from(bytes.len());
    }
    std::fs::write(
        old.join("release.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    // The release verifies as files; verify then finds the figure this tool moves.
    let v = run(&tmp, &["verify", &old_rel]);
    assert!(
        v.stdout.contains("files: every file matches release.json")
            && v.stdout
                .contains("months[2024-03].churn: published \"310.00\", now \"300.00\""),
        "{}",
        v.transcript()
    );

    let d = diff(&tmp, &old_rel, "data");
    assert_eq!(d["a"]["tool"], "nrr 0.0.1");
    assert_eq!(d["a"]["damage"], serde_json::json!([]));

    // Without the re-hash, the diff still explains, and says the release does not verify.
    std::fs::write(old.join("NOTES.txt"), "edited\n").unwrap();
    let t = run(&tmp, &["diff", &old_rel, "data"]);
    t.assert_code(0);
    assert!(
        t.stdout
            .contains("A does not verify: NOTES.txt: not part of the release"),
        "{}",
        t.stdout
    );
    std::fs::remove_file(old.join("NOTES.txt")).unwrap();
    assert_eq!(moving_steps(&d), ["tool_version_a"]);
    assert_eq!(d["figures_changed"], 1);
    assert_eq!(
        part(&d, "months[2024-03].churn", "tool_version_a"),
        "-10.00"
    );
    assert_eq!(
        customers(&d, 0),
        [(
            s("corner-cafe"),
            vec![(s("2024-03"), s("churn"), s("-10.00"))]
        )]
    );
}

/// Property-style: over several fixtures, A the fixture and B a copy with a setting changed
/// (reactivation as-expansion), fx.csv's first rate changed where there is one, and the first
/// item row's amount doubled, read as two data sides: every figure's parts sum exactly to its
/// change and every step's customers sum to its part of each month's movement
/// ([`check_sums`]).
#[test]
fn parts_sum_to_the_change_on_several_fixtures() {
    for fixture in [
        "segments",
        "reactivation_any_gap",
        "fx_only_change",
        "fx_eur_report_from_usd_rates",
        "top_customers",
        "churn_reactivation_in_quarter",
    ] {
        let args = crate::util::fixture_args(&fixtures_dir().join(fixture));
        let currency = args
            .iter()
            .position(|a| a == "--currency")
            .map(|i| format!("currency = \"{}\"\n", args[i + 1]))
            .unwrap_or_default();
        let a = setup(fixture, Some(&currency));
        let b = setup(fixture, Some(&currency));
        std::fs::write(
            b.path().join("data/nrr.toml"),
            format!("{currency}[policies]\nreactivation = \"as-expansion\"\n"),
        )
        .unwrap();
        let items = b.path().join("data/items.csv");
        let text = std::fs::read_to_string(&items).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let amount = lines[0].split(',').position(|h| h == "amount").unwrap();
        let mut cells: Vec<String> = lines[1].split(',').map(str::to_string).collect();
        let doubled = Dec::parse(&cells[amount])
            .unwrap()
            .checked_add(Dec::parse(&cells[amount]).unwrap())
            .unwrap();
        cells[amount] = doubled.to_string();
        lines[1] = cells.join(",");
        std::fs::write(&items, lines.join("\n") + "\n").unwrap();
        let fx = b.path().join("data/fx.csv");
        if fx.is_file() {
            let text = std::fs::read_to_string(&fx).unwrap();
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            lines[1] = format!("{}5", lines[1]);
            std::fs::write(&fx, lines.join("\n") + "\n").unwrap();
        }
        let (pa, pb) = (a.path().join("data"), b.path().join("data"));
        let r = run(
            &a,
            &[
                "diff",
                pa.to_str().unwrap(),
                pb.to_str().unwrap(),
                "--format",
                "json",
                "--top",
                "100000",
            ],
        );
        r.assert_code(0);
        let d = r.json();
        check_sums(&d);
        assert!(
            d["figures_changed"].as_u64().unwrap() > 0,
            "{fixture}: nothing changed"
        );
        assert!(
            !moving_steps(&d).is_empty() && d["steps"][3]["skipped"].is_null(),
            "{fixture}"
        );
    }
}

/// The ritual's restatement: r1 final after three sign-offs; one row changed; the restated
/// r2's diff.json is `nrr diff` of r1 and r2: its only moving step is the input rows, it names
/// exactly corner-cafe (the customer whose row changed) with its line, and every figure's
/// parts sum to its change.
#[test]
fn a_restatements_stored_diff_names_the_customer() {
    let tmp = setup("segments", None);
    let r1 = publish(&tmp, "2024-Q1", &SEGMENTS_WINDOW);
    for role in ["finance", "success", "marketing"] {
        run(
            &tmp,
            &[
                "signoff", &r1, "--role", role, "--by", "Tess", "--book", "book",
            ],
        )
        .assert_code(0);
    }
    run(&tmp, &["publish", "--final", &r1, "--book", "book"]).assert_code(0);
    edit(
        &tmp,
        "items.csv",
        "corner-cafe-1,platform,starter,3,300.00",
        "corner-cafe-1,platform,starter,3,350.00",
    );
    let mut args = vec![
        "publish",
        "data",
        "--period",
        "2024-Q1",
        "--book",
        "book",
        "--restate",
        "--reason",
        "corner-cafe was billed 350",
    ];
    args.extend_from_slice(&SEGMENTS_WINDOW);
    run(&tmp, &args).assert_code(0);
    let stored: Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join("book/releases/2024-Q1-r2/diff.json")).unwrap(),
    )
    .unwrap();
    check_sums(&stored);
    assert_eq!(stored["a"]["name"], "2024-Q1-r1");
    assert_eq!(stored["b"]["name"], "2024-Q1-r2");
    assert_eq!(moving_steps(&stored), ["input_rows"]);
    let named: Vec<String> = customers(&stored, 3).into_iter().map(|c| c.0).collect();
    assert_eq!(named, ["corner-cafe"]);
    assert_eq!(
        stored["steps"][3]["customers"][0]["lines"][0]["at"],
        "items.csv:4"
    );
    assert_eq!(
        part(&stored, "periods[2024-Q1].starting_mrr", "input_rows"),
        "50.00"
    );
    // The stored diff is what `nrr diff` says of the two releases (but B's tool step, which
    // diff.json skips as B was computed just then and `nrr diff` runs as a zero step).
    let now = diff(&tmp, "2024-Q1-r1", "2024-Q1-r2");
    let key = |d: &Value| -> Vec<(Value, Value, Value)> {
        d["figures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["figure"].clone(),
                    f["change"].clone(),
                    f["parts"]["input_rows"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(key(&now), key(&stored));
}

/// A name that is neither a release nor a path is a usage error (exit 2).
#[test]
fn unknown_side_is_a_usage_error() {
    let tmp = setup("segments", None);
    let r = run(&tmp, &["diff", "2024-Q9-r1", "data", "--book", "book"]);
    r.assert_code(2);
    assert!(r.stderr.contains("2024-Q9-r1"), "{}", r.transcript());
}

/// A Stripe export is named by object id: stripe_lifecycle's subscriptions.json with sub_acme's
/// quantity 1 -> 2 (price 100.00 a month), two data sides. sub_acme starts 2024-01 and ends
/// 2024-04: January's new 100 -> 200 and April's churn 100 -> 200, both +100, customer
/// cus_acme alone, with the object `subscriptions.json#sub_acme`.
#[test]
fn a_stripe_object_is_named_by_id() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    std::fs::create_dir(&a).unwrap();
    std::fs::create_dir(&b).unwrap();
    let from = fixtures_dir().join("stripe_lifecycle/subscriptions.json");
    std::fs::copy(&from, a.join("subscriptions.json")).unwrap();
    let mut subs: Value = serde_json::from_slice(&std::fs::read(&from).unwrap()).unwrap();
    let list = match subs.get_mut("data") {
        Some(d) => d,
        None => &mut subs,
    };
    let acme = &mut list[0];
    assert_eq!(acme["id"], "sub_acme");
    assert_eq!(acme["items"]["data"][0]["quantity"], 1);
    acme["items"]["data"][0]["quantity"] = Value::from(2);
    std::fs::write(
        b.join("subscriptions.json"),
        serde_json::to_vec_pretty(&subs).unwrap(),
    )
    .unwrap();
    let r = run(&tmp, &["diff", "a", "b", "--format", "json"]);
    r.assert_code(0);
    let d = r.json();
    check_sums(&d);
    assert_eq!(moving_steps(&d), ["input_rows"]);
    assert_eq!(part(&d, "months[2024-01].new", "input_rows"), "100.00");
    assert_eq!(part(&d, "months[2024-04].churn", "input_rows"), "100.00");
    assert_eq!(
        customers(&d, 3),
        [(
            s("cus_acme"),
            vec![
                (s("2024-01"), s("new"), s("100.00")),
                (s("2024-04"), s("churn"), s("100.00"))
            ]
        )]
    );
    let line = &d["steps"][3]["customers"][0]["lines"][0];
    assert_eq!(line["at"], "subscriptions.json#sub_acme");
    assert_eq!(line["change"], "changed");
}

/// An intermediate state that cannot be computed is skipped, named, and its change counted in
/// the next step: A (fx_only_change: eurocorp in EUR) against B where eurocorp is billed in GBP
/// and fx.csv has GBP rates only. A's items with B's fx.csv have no EUR rate, so the FX step
/// cannot run on its own; the input-rows step carries the whole change, which still sums.
#[test]
fn a_step_that_cannot_be_computed_counts_in_the_next() {
    let a = setup("fx_only_change", Some("currency = \"USD\"\n"));
    let b = setup("fx_only_change", Some("currency = \"USD\"\n"));
    edit(&b, "items.csv", "1000.00,EUR", "1000.00,GBP");
    std::fs::write(
        b.path().join("data/fx.csv"),
        "date,currency,rate\n2023-11-01,GBP,1.25\n",
    )
    .unwrap();
    let (pa, pb) = (a.path().join("data"), b.path().join("data"));
    let r = run(
        &a,
        &[
            "diff",
            pa.to_str().unwrap(),
            pb.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    r.assert_code(0);
    let d = r.json();
    check_sums(&d);
    let fx = &d["steps"][2];
    assert!(
        fx["skipped"]
            .as_str()
            .unwrap()
            .starts_with("A's inputs cannot be computed at this step"),
        "{fx}"
    );
    assert_eq!(fx["changes"][0]["file"], "fx.csv");
    assert_eq!(moving_steps(&d), ["input_rows"]);
    let ids: Vec<String> = customers(&d, 3).into_iter().map(|c| c.0).collect();
    assert_eq!(ids, ["eurocorp"]);
}
