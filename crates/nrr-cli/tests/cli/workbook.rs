//! The workbook (`nrr report --format xlsx`, docs/cli.md#xlsx): every formula cell recalculated
//! by LibreOffice equals the JSON report's figure (money to the cent, ratios to 1e-9 of the
//! same arithmetic on the shown cents, and within the cents' rounding of the JSON ratio); the
//! stored results are what LibreOffice computes; segment totals equal the totals; the file is
//! byte-identical across runs and thread counts; user text never becomes a formula.
//!
//! LibreOffice does not recalculate a workbook it opens by default (it shows the stored
//! results): [`recalculate`] runs it with a fresh profile whose settings say "always
//! recalculate on load" (`OOXMLRecalcMode` 0), and [`libreoffice_really_recalculates`] proves it
//! on a workbook with a wrong stored result. Without `soffice` the tests fail (CI installs
//! Debian's `libreoffice-calc-nogui`, .ci/run). Cells are read by `workbook.py` (Python's
//! standard library).

use super::*;
mod checks;

use checks::{
    check_bridge, check_cohorts, check_retention, check_segments, formula_cells, money, Checker,
};
use std::collections::BTreeSet;

/// The reader of .xlsx files.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cli/workbook.py");

/// One cell as `workbook.py dump` gives it.
#[derive(Clone, Debug, serde::Deserialize)]
struct Cell {
    t: String,
    v: Value,
    f: Option<String>,
}

impl Cell {
    fn num(&self) -> Option<f64> {
        self.v.as_f64().filter(|_| self.t == "n")
    }
    fn text(&self) -> Option<&str> {
        self.v.as_str().filter(|_| self.t != "n")
    }
}

/// A sheet's cells by (row, column), 0-based.
type Cells = BTreeMap<(u32, u32), Cell>;

/// A workbook's sheets, in order.
struct Book {
    sheets: Vec<(String, Cells)>,
}

impl Book {
    fn read(path: &Path) -> Book {
        let out = super::util::succeed(
            Command::new("python3").args([SCRIPT, "dump"]).arg(path),
            &format!("workbook.py dump {}", path.display()),
        );
        #[derive(serde::Deserialize)]
        struct Sheet {
            name: String,
            cells: BTreeMap<String, Cell>,
        }
        #[derive(serde::Deserialize)]
        struct Dump {
            sheets: Vec<Sheet>,
        }
        let dump: Dump = serde_json::from_slice(&out.stdout).expect("workbook.py JSON");
        let sheets = dump
            .sheets
            .into_iter()
            .map(|s| {
                let cells = s
                    .cells
                    .into_iter()
                    .map(|(a1, c)| (position(&a1), c))
                    .collect();
                (s.name, cells)
            })
            .collect();
        Book { sheets }
    }

    fn sheet(&self, name: &str) -> &Cells {
        &self
            .sheets
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no sheet {name}"))
            .1
    }

    fn names(&self) -> Vec<&str> {
        self.sheets.iter().map(|(n, _)| n.as_str()).collect()
    }
}

/// `B12` as (11, 1).
fn position(a1: &str) -> (u32, u32) {
    let letters: String = a1.chars().take_while(char::is_ascii_uppercase).collect();
    let col = letters
        .bytes()
        .fold(0u32, |n, b| n * 26 + u32::from(b - b'A' + 1))
        - 1;
    let row: u32 = a1[letters.len()..].parse().expect("a cell reference");
    (row - 1, col)
}

/// The text of a cell, if it is one.
fn text(cells: &Cells, row: u32, col: u32) -> Option<&str> {
    cells.get(&(row, col)).and_then(Cell::text)
}

/// The number of a cell (an absent cell is none).
fn num(cells: &Cells, row: u32, col: u32) -> Option<f64> {
    cells.get(&(row, col)).and_then(Cell::num)
}

/// The `soffice` binary, or a failure saying how to get it.
fn soffice() -> &'static str {
    let found = Command::new("soffice")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "LibreOffice's `soffice` is not on PATH: the workbook tests recalculate the workbook in \
         it. Install Debian's `libreoffice-calc-nogui` (.ci/run does)."
    );
    "soffice"
}

/// One LibreOffice at a time: two headless instances starting together (two tests in
/// parallel, each with its own profile) have crashed with a WrappedTargetRuntimeException.
static SOFFICE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Recalculates `files` in LibreOffice headless (a fresh profile set to recalculate on load);
/// returns the recalculated files (in `tmp/recalculated`, same names).
fn recalculate(tmp: &Path, files: &[PathBuf]) -> Vec<PathBuf> {
    // A test that failed while holding the lock leaves it poisoned: the next may still run.
    let _one_at_a_time = SOFFICE.lock().unwrap_or_else(|e| e.into_inner());
    let profile = tmp.join("lo-profile");
    std::fs::create_dir_all(profile.join("user")).expect("profile dir");
    // Formula/Load: 0 = always recalculate, 1 = never (the default for OOXML), 2 = prompt.
    std::fs::write(
        profile.join("user/registrymodifications.xcu"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"#,
    )
    .expect("writing the profile");
    let out_dir = tmp.join("recalculated");
    let out = Command::new(soffice())
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--outdir",
        ])
        .arg(&out_dir)
        .args(files)
        .output()
        .expect("running soffice");
    assert!(
        out.status.success(),
        "soffice failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    files
        .iter()
        .map(|f| {
            let p = out_dir.join(f.file_name().expect("a file name"));
            assert!(
                p.exists(),
                "soffice wrote no {}: {}{}",
                p.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            p
        })
        .collect()
}

/// A case: a data directory (relative to `cwd`) and its report flags.
struct Case {
    name: String,
    cwd: PathBuf,
    data: String,
    args: Vec<String>,
}

impl Case {
    fn fixture(name: &str) -> Case {
        let root = repo_root();
        let args = std::fs::read_to_string(root.join("tests/fixtures").join(name).join("args.txt"))
            .expect("args.txt");
        Case {
            name: name.to_string(),
            cwd: root,
            data: format!("tests/fixtures/{name}"),
            args: args.split_whitespace().map(str::to_string).collect(),
        }
    }

    fn run(&self, extra: &[&str]) -> Run {
        let mut args: Vec<&str> = vec!["report", &self.data];
        args.extend(self.args.iter().map(String::as_str));
        args.extend_from_slice(extra);
        let run = nrr_in(&self.cwd, &args);
        run.assert_code(0);
        run
    }

    /// Writes the workbook to `dir/<name>.xlsx`.
    fn workbook(&self, dir: &Path) -> PathBuf {
        let path = dir.join(format!("{}.xlsx", self.name));
        let out = path.display().to_string();
        self.run(&["--format", "xlsx", "-o", &out]);
        path
    }

    /// `nrr cohorts` JSON for the four tables of the Cohorts sheet, in its order.
    fn cohorts(&self) -> Vec<Value> {
        // The report's flags without --segment (cohorts have no cuts).
        let mut flags: Vec<&str> = Vec::new();
        let mut it = self.args.iter();
        while let Some(a) = it.next() {
            if a == "--segment" {
                it.next();
            } else if a != "--usage" {
                flags.push(a);
            }
        }
        let mut out = Vec::new();
        for by in ["month", "quarter"] {
            for metric in ["revenue", "logos"] {
                let mut args = vec!["cohorts", self.data.as_str()];
                args.extend(&flags);
                args.extend(["--by", by, "--metric", metric, "--format", "json"]);
                let run = nrr_in(&self.cwd, &args);
                run.assert_code(0);
                out.push(run.json());
            }
        }
        out
    }
}

/// Generated data (500 customers, 24 months, three currencies) in `tmp/gen`.
fn generated(tmp: &Path) -> Case {
    nrr_in(
        tmp,
        &[
            "generate",
            "--customers",
            "500",
            "--months",
            "24",
            "--seed",
            "3",
            "--currencies",
            "--out",
            "gen",
        ],
    )
    .assert_code(0);
    Case {
        name: "generated".to_string(),
        cwd: tmp.to_path_buf(),
        data: "gen".to_string(),
        args: [
            "--currency",
            "USD",
            "--segment",
            "segment",
            "--segment",
            "region",
        ]
        .map(str::to_string)
        .to_vec(),
    }
}

#[test]
fn libreoffice_recalculates_every_formula_to_the_json_figures() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut cases: Vec<Case> = [
        "segments",
        "fx_expansion_same_month",
        "annual_plan",
        "invoices_pause_zero",
        "segment_by_product",
        "churn_reactivation_in_quarter",
    ]
    .into_iter()
    .map(Case::fixture)
    .collect();
    cases.push(generated(tmp.path()));
    let files: Vec<PathBuf> = cases.iter().map(|c| c.workbook(tmp.path())).collect();
    let recalculated = recalculate(tmp.path(), &files);
    for ((case, file), lo) in cases.iter().zip(&files).zip(&recalculated) {
        let json = case.run(&["--format", "json"]).json();
        let (original, book) = (Book::read(file), Book::read(lo));
        let formulas = formula_cells(&case.name, &original, &book);
        let mut ck = Checker {
            book: &book,
            json: &json,
            checked: BTreeSet::new(),
            case: &case.name,
        };
        check_retention(&mut ck);
        check_bridge(&mut ck);
        check_cohorts(&mut ck, &case.cohorts());
        check_segments(&mut ck);
        let unchecked: Vec<_> = formulas.difference(&ck.checked).collect();
        assert!(
            unchecked.is_empty(),
            "{}: formula cells not checked: {unchecked:?}",
            case.name
        );
        assert!(
            formulas.len() > 10,
            "{}: {} formulas",
            case.name,
            formulas.len()
        );
    }
}

#[test]
fn libreoffice_really_recalculates() {
    let tmp = tempfile::tempdir().expect("tmp");
    let case = Case::fixture("segments");
    let file = case.workbook(tmp.path());
    // A wrong stored NRR and closing MRR: LibreOffice must compute the right ones.
    let mut tampered = file.clone();
    for (k, (sheet, cell, wrong)) in [("Retention", "G6", "0.5"), ("Bridge", "I5", "1.23")]
        .into_iter()
        .enumerate()
    {
        let out = tmp.path().join(format!("tampered{k}.xlsx"));
        let status = Command::new("python3")
            .args([SCRIPT, "tamper"])
            .args([&tampered, &out])
            .args([sheet, cell, wrong])
            .status()
            .expect("python3");
        assert!(status.success());
        tampered = out;
    }
    let stored = Book::read(&tampered);
    assert_eq!(num(stored.sheet("Retention"), 5, 6), Some(0.5));
    assert_eq!(num(stored.sheet("Bridge"), 4, 8), Some(1.23));
    let lo = Book::read(&recalculate(tmp.path(), &[tampered])[0]);
    let json = case.run(&["--format", "json"]).json();
    assert_eq!(
        text(lo.sheet("Retention"), 5, 0),
        json["periods"][0]["period"].as_str()
    );
    assert_eq!(
        num(lo.sheet("Retention"), 5, 6),
        json["periods"][0]["nrr"].as_f64()
    );
    assert_eq!(
        text(lo.sheet("Bridge"), 4, 0),
        json["months"][0]["month"].as_str()
    );
    assert_eq!(
        num(lo.sheet("Bridge"), 4, 8),
        Some(money(&json["months"][0]["closing_mrr"]))
    );
}

#[test]
fn byte_identical_across_runs_and_threads() {
    let tmp = tempfile::tempdir().expect("tmp");
    for case in [generated(tmp.path()), Case::fixture("segments")] {
        let mut files = Vec::new();
        for (k, threads) in ["1", "2", "2"].into_iter().enumerate() {
            let out = tmp.path().join(format!("{}-{k}.xlsx", case.name));
            let mut args: Vec<String> = vec!["report".into(), case.data.clone()];
            args.extend(case.args.iter().cloned());
            args.extend(["--format", "xlsx", "-o"].map(String::from));
            args.push(out.display().to_string());
            let status = Command::new(env!("CARGO_BIN_EXE_nrr"))
                .args(&args)
                .current_dir(&case.cwd)
                .env("RAYON_NUM_THREADS", threads)
                .status()
                .expect("nrr");
            assert!(status.success());
            files.push(std::fs::read(&out).expect("the workbook"));
        }
        assert!(files[0].starts_with(b"PK"), "a zip");
        assert!(
            files[0] == files[1],
            "{}: 1 thread vs 2 threads differ",
            case.name
        );
        assert!(files[1] == files[2], "{}: two runs differ", case.name);
    }
}

/// The lines as `&str`s.
fn str_refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Hostile text a spreadsheet would read as a formula (or a number) if written carelessly. The
/// readers trim a leading tab or carriage return, which leaves a formula-like text: that must
/// stay text too.
const HOSTILE: [&str; 8] = [
    "=HYPERLINK(\"http://x\",\"y\")",
    "@SUM(1)",
    "+1+2",
    "-3",
    "=1+1",
    "0042",
    "\t=2+2",
    "\r=3+3",
];

#[test]
fn user_text_never_becomes_a_formula() {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let ids: Vec<String> = HOSTILE.iter().map(|s| quote(s)).collect();
    let mut items = vec![ITEMS_HEADER.to_string()];
    let mut customers = vec!["customer_id,segment".to_string()];
    for (k, id) in ids.iter().enumerate() {
        items.push(format!(
            "{id},s{k},{}.00,USD,1,2024-01-01,2024-0{}-01,recurring",
            100 + k,
            3 + k % 3
        ));
        customers.push(format!("{id},{}", quote(HOSTILE[(k + 1) % HOSTILE.len()])));
    }
    let annotations = [
        "period,customer_id,note".to_string(),
        format!("2024-02,,{}", quote(HOSTILE[0])),
        format!("2024-03,{},{}", ids[1], quote(HOSTILE[3])),
    ];
    let tmp = data_dir(&[
        ("items.csv", &str_refs(&items)),
        ("customers.csv", &str_refs(&customers)),
        ("annotations.csv", &str_refs(&annotations)),
    ]);
    nrr_in(
        tmp.path(),
        &[
            "report",
            "data",
            "--from",
            "2024-01",
            "--to",
            "2024-06",
            "--segment",
            "segment",
            "--format",
            "xlsx",
            "-o",
            "hostile.xlsx",
        ],
    )
    .assert_code(0);
    let file = tmp.path().join("hostile.xlsx");
    let lo = recalculate(tmp.path(), std::slice::from_ref(&file));
    for book in [Book::read(&file), Book::read(&lo[0])] {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (name, cells) in &book.sheets {
            for (at, cell) in cells {
                if let Some(f) = &cell.f {
                    // Only the workbook's own formulas: functions IF, SUM, SUMPRODUCT,
                    // ISNUMBER over cell references.
                    let mut rest = f.clone();
                    for word in ["SUMPRODUCT", "ISNUMBER", "SUM", "IF"] {
                        rest = rest.replace(word, "");
                    }
                    assert!(
                        rest.chars().all(|c| c.is_ascii_uppercase()
                            || c.is_ascii_digit()
                            || "$:(),+-*/=<>\". ".contains(c)),
                        "{name} {at:?}: unexpected formula {f}"
                    );
                    for bad in ["HYPERLINK", "1+1", "1+2", "2+2", "3+3"] {
                        assert!(!f.contains(bad), "{name} {at:?}: {f}");
                    }
                }
                for h in HOSTILE.map(str::trim) {
                    if cell.text().is_some_and(|t| t.contains(h)) {
                        assert_eq!(
                            (cell.t.as_str(), cell.f.as_ref()),
                            ("s", None),
                            "{name} {at:?}"
                        );
                    }
                    if cell.text() == Some(h) && cell.t == "s" {
                        *seen.entry(h).or_default() += 1;
                    }
                }
            }
        }
        for h in HOSTILE.map(str::trim) {
            assert!(seen.get(h).is_some_and(|&n| n > 0), "{h} not shown as text");
        }
        // The ids in the movement table, the values in the segment blocks, the notes beside
        // their periods.
        let movements = book.sheet("Movements");
        assert!(movements.values().any(|c| c.text() == Some(HOSTILE[0])));
        let segments = book.sheet("Segments");
        assert!(segments
            .iter()
            .any(|(k, c)| k.1 == 1 && c.text() == Some(HOSTILE[2])));
        let retention = book.sheet("Retention");
        assert!(retention
            .iter()
            .any(|(k, c)| k.1 == 8 && c.text().is_some_and(|t| t.contains(HOSTILE[0]))));
    }
}

/// The row ledger in the workbook's Definitions sheet and in the HTML page gives each
/// exclusion reason's amount as written beside its count (one_time_charge: two setup fees of
/// 5,000.00 and 2,500.00 USD, initech's zero-length line of 400.00).
#[test]
fn the_ledger_shows_each_exclusion_amount() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = crate::util::fixtures_dir().join("one_time_charge");
    let (xlsx, html) = (tmp.path().join("r.xlsx"), tmp.path().join("r.html"));
    for (format, out) in [("xlsx", &xlsx), ("html", &html)] {
        let status = crate::util::nrr_command()
            .arg("report")
            .arg(&dir)
            .args(crate::util::fixture_args(&dir))
            .args(["--format", format, "-o"])
            .arg(out)
            .status()
            .expect("running nrr");
        assert!(status.success());
    }
    let book = Book::read(&xlsx);
    let defs = book.sheet("Definitions");
    let value_of = |key: &str| {
        defs.iter()
            .find(|(_, c)| c.text() == Some(key))
            .and_then(|((r, col), _)| text(defs, *r, col + 1))
            .map(str::to_string)
    };
    assert_eq!(
        value_of("excluded: one_time, amount as written").as_deref(),
        Some("7500.00 USD")
    );
    assert_eq!(
        value_of("excluded: zero_length, amount as written").as_deref(),
        Some("400.00 USD")
    );
    let page = std::fs::read_to_string(&html).expect("the page");
    assert!(page.contains(
        "<th>excluded: one_time, amount as written</th><td class=\"label\">7500.00 USD</td>"
    ));
}
