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
use std::collections::{BTreeSet, HashMap};

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
        let out = Command::new("python3")
            .args([SCRIPT, "dump"])
            .arg(path)
            .output()
            .expect("running python3 workbook.py");
        assert!(
            out.status.success(),
            "workbook.py dump {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
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

/// Recalculates `files` in LibreOffice headless (a fresh profile set to recalculate on load);
/// returns the recalculated files (in `tmp/recalculated`, same names).
fn recalculate(tmp: &Path, files: &[PathBuf]) -> Vec<PathBuf> {
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

/// A money string of the JSON as a number.
fn money(v: &Value) -> f64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a money string: {v}"))
}

/// The checks of one workbook against the JSON, recording which formula cells they read.
struct Checker<'a> {
    book: &'a Book,
    json: &'a Value,
    checked: BTreeSet<(String, u32, u32)>,
    case: &'a str,
}

impl Checker<'_> {
    /// Money cell equal to the JSON amount, to the cent.
    #[track_caller]
    fn money(&mut self, sheet: &str, at: (u32, u32), want: &Value) {
        let cells = self.book.sheet(sheet);
        let got = num(cells, at.0, at.1);
        let want = if want.is_null() { 0.0 } else { money(want) };
        assert!(
            got.is_some_and(|g| (g - want).abs() < 0.001),
            "{}: {sheet} {at:?}: {got:?}, JSON {want}",
            self.case
        );
        self.mark(sheet, at);
    }

    /// Count cell equal to the JSON count.
    #[track_caller]
    fn count(&mut self, sheet: &str, at: (u32, u32), want: &Value) {
        let got = num(self.book.sheet(sheet), at.0, at.1);
        assert_eq!(
            got,
            want.as_f64(),
            "{}: {sheet} {at:?}, JSON {want}",
            self.case
        );
        self.mark(sheet, at);
    }

    /// NRR and GRR cells at `at` and `at + 1` against the retention figures of `r`: equal to
    /// the formula's arithmetic on the shown cents (1e-9), and the JSON ratio within the
    /// shown cents' rounding (half a cent on each balance, over starting, plus the JSON's 6
    /// decimals); empty text when starting is 0.
    #[track_caller]
    fn ratios(&mut self, sheet: &str, at: (u32, u32), r: &Value) {
        let [s, e, c, ch] =
            ["starting_mrr", "expansion", "contraction", "churn"].map(|k| money(&r[k]));
        let cells = self.book.sheet(sheet);
        for (k, key, shown) in [
            (0, "nrr", (s + e - c - ch) / s),
            (1, "grr", (s - c - ch) / s),
        ] {
            let cell = &cells[&(at.0, at.1 + k)];
            if s == 0.0 {
                assert_eq!(cell.text(), Some(""), "{}: {sheet} {at:?} {key}", self.case);
                assert!(r[key].is_null());
            } else {
                let got = cell
                    .num()
                    .unwrap_or_else(|| panic!("{}: {sheet} {at:?} {key}: {cell:?}", self.case));
                assert!(
                    (got - shown).abs() <= 1e-9,
                    "{}: {sheet} {at:?} {key} {got} != {shown}",
                    self.case
                );
                let json = r[key].as_f64().expect("a ratio");
                let bound = 0.005 * (1.0 + json.abs()) / s.abs() + 5.000_001e-7;
                assert!(
                    (got - json).abs() <= bound,
                    "{}: {sheet} {at:?} {key} {got} vs JSON {json} (bound {bound})",
                    self.case
                );
            }
            self.mark(sheet, (at.0, at.1 + k));
        }
    }

    fn mark(&mut self, sheet: &str, at: (u32, u32)) {
        self.checked.insert((sheet.to_string(), at.0, at.1));
    }
}

/// The JSON retention row of a Retention-sheet label in `block`.
fn retention_row<'a>(json: &'a Value, block: &str, label: &str) -> &'a Value {
    let (list, key) = if block.starts_with("TTM") {
        ("ttm", "month")
    } else {
        ("periods", "period")
    };
    json[list]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r[key] == label))
        .unwrap_or_else(|| panic!("no JSON {list} row {label}"))
}

/// Retention: every period's row, figures and ratios.
fn check_retention(ck: &mut Checker<'_>) {
    let cells = ck.book.sheet("Retention");
    let mut block = String::new();
    let mut rows = 0;
    let last_row = cells.keys().map(|k| k.0).max().unwrap_or(0);
    for row in 0..=last_row {
        let Some(a) = text(cells, row, 0) else {
            continue;
        };
        if ["Months", "Quarters", "Years"].contains(&a) || a.starts_with("TTM") {
            block = a.to_string();
            continue;
        }
        if cells.get(&(row, 6)).is_none_or(|c| c.f.is_none()) {
            continue;
        }
        let r = retention_row(ck.json, &block, a);
        for (k, key) in [
            "starting_mrr",
            "expansion",
            "contraction",
            "churn",
            "ending_cohort_mrr",
        ]
        .iter()
        .enumerate()
        {
            ck.money("Retention", (row, 1 + k as u32), &r[*key]);
        }
        ck.ratios("Retention", (row, 6), r);
        if r["granularity"] != "month" || block == "Months" {
            let notes = r["notes"].as_array().map_or(0, Vec::len);
            assert_eq!(
                text(cells, row, 8).is_some(),
                notes > 0,
                "{}: notes of {a}",
                ck.case
            );
        }
        rows += 1;
    }
    let want = ck.json["periods"].as_array().map_or(0, Vec::len)
        + ck.json["ttm"].as_array().map_or(0, Vec::len);
    assert_eq!(rows, want, "{}: Retention rows", ck.case);
}

/// Bridge: every month, every column (by its header) equal to the JSON, closing a formula.
fn check_bridge(ck: &mut Checker<'_>) {
    let cells = ck.book.sheet("Bridge");
    let keys: HashMap<&str, &str> = [
        ("Opening MRR", "opening_mrr"),
        ("New MRR", "new"),
        ("Reactivation MRR", "reactivation"),
        ("Expansion MRR", "expansion"),
        ("Contraction MRR", "contraction"),
        ("Churn MRR", "churn"),
        ("FX MRR", "fx"),
        ("Paused MRR", "paused"),
        ("Resumed MRR", "resumed"),
        ("Moved in MRR", "moved_in"),
        ("Moved out MRR", "moved_out"),
        ("Closing MRR", "closing_mrr"),
        ("Customers", "customers"),
        ("New customers", "new_customers"),
        ("Reactivated customers", "reactivated_customers"),
        ("Churned customers", "churned_customers"),
    ]
    .into();
    let header = 3;
    let columns: Vec<(u32, &str)> = (1..40)
        .filter_map(|c| {
            text(cells, header, c)
                .and_then(|h| keys.get(h))
                .map(|k| (c, *k))
        })
        .collect();
    let closing = columns
        .iter()
        .find(|c| c.1 == "closing_mrr")
        .expect("a Closing MRR column")
        .0;
    let months = ck.json["months"].as_array().expect("months");
    for (i, m) in months.iter().enumerate() {
        let row = header + 1 + i as u32;
        assert_eq!(
            text(cells, row, 0),
            m["month"].as_str(),
            "{}: Bridge row",
            ck.case
        );
        assert!(cells[&(row, closing)].f.is_some(), "closing is a formula");
        for &(col, key) in &columns {
            if key.ends_with("customers") {
                ck.count("Bridge", (row, col), &m[key]);
            } else {
                ck.money("Bridge", (row, col), &m[key]);
            }
        }
    }
}

/// Cohorts: each matrix's cells and its weighted-average row.
fn check_cohorts(ck: &mut Checker<'_>, tables: &[Value]) {
    let cells = ck.book.sheet("Cohorts");
    let averages: Vec<u32> = cells
        .iter()
        .filter(|(k, c)| k.1 == 0 && c.text() == Some("Weighted average"))
        .map(|(k, _)| k.0)
        .collect();
    let nonempty: Vec<&Value> = tables
        .iter()
        .filter(|t| !t["cohorts"].as_array().expect("cohorts").is_empty())
        .collect();
    assert_eq!(averages.len(), nonempty.len(), "{}: average rows", ck.case);
    for (&avg, table) in averages.iter().zip(nonempty) {
        let cohorts = table["cohorts"].as_array().expect("cohorts");
        let first = avg - cohorts.len() as u32;
        let revenue = table["metric"] == "revenue";
        let ages = cohorts
            .iter()
            .map(|c| c["cells"].as_array().map_or(0, Vec::len))
            .max()
            .unwrap_or(0);
        let (mut customers, mut starting) = (0.0, 0.0);
        for (i, c) in cohorts.iter().enumerate() {
            let row = first + i as u32;
            assert_eq!(text(cells, row, 0), c["cohort"].as_str(), "{}", ck.case);
            customers += c["customers"].as_f64().expect("customers");
            starting += money(&c["starting_mrr"]);
            for (k, v) in c["cells"].as_array().expect("cells").iter().enumerate() {
                assert_eq!(
                    num(cells, row, 3 + k as u32),
                    v.as_f64(),
                    "{}: cohort cell",
                    ck.case
                );
            }
        }
        ck.count("Cohorts", (avg, 1), &Value::from(customers));
        ck.money("Cohorts", (avg, 2), &Value::from(format!("{starting:.2}")));
        for k in 0..ages {
            let (mut n, mut d) = (0.0, 0.0);
            for c in cohorts {
                let w = if revenue {
                    money(&c["starting_mrr"])
                } else {
                    c["customers"].as_f64().expect("customers")
                };
                if let Some(v) = c["cells"][k].as_f64() {
                    n += w * v;
                    d += w;
                }
            }
            let cell = &cells[&(avg, 3 + k as u32)];
            if d == 0.0 {
                assert_eq!(cell.text(), Some(""), "{}: empty average", ck.case);
            } else {
                let got = cell.num().expect("an average");
                assert!(
                    (got - n / d).abs() <= 1e-9,
                    "{}: average age {k}: {got} != {}",
                    ck.case,
                    n / d
                );
            }
            ck.mark("Cohorts", (avg, 3 + k as u32));
        }
    }
}

/// Segments: every total row equals the all-customer figures; one per period and cut.
fn check_segments(ck: &mut Checker<'_>) {
    let cuts = ck.json["segment_cuts"].as_array().map_or(0, Vec::len);
    if cuts == 0 {
        assert!(!ck.book.names().contains(&"Segments"), "{}", ck.case);
        return;
    }
    let cells = ck.book.sheet("Segments");
    let totals: Vec<(u32, String)> = cells
        .iter()
        .filter(|(k, c)| k.1 == 1 && c.text() == Some("Total"))
        .map(|(k, _)| (k.0, text(cells, k.0, 0).expect("a period").to_string()))
        .collect();
    for (row, label) in &totals {
        let r = match label.strip_prefix("TTM ") {
            Some(month) => retention_row(ck.json, "TTM", month),
            None => retention_row(ck.json, "", label),
        };
        for (k, key) in [
            "starting_mrr",
            "expansion",
            "contraction",
            "churn",
            "ending_cohort_mrr",
        ]
        .iter()
        .enumerate()
        {
            ck.money("Segments", (*row, 2 + k as u32), &r[*key]);
        }
        ck.ratios("Segments", (*row, 7), r);
    }
    let per_cut = ck.json["periods"].as_array().map_or(0, Vec::len)
        + ck.json["ttm"].as_array().map_or(0, Vec::len);
    assert_eq!(totals.len(), per_cut * cuts, "{}: total rows", ck.case);
    // The value rows' ratios are the same formulas on the value's figures.
    for (&(row, col), cell) in cells {
        if col == 7 && cell.f.is_some() && text(cells, row, 1) != Some("Total") {
            let figures: Value = serde_json::json!({
                "starting_mrr": format!("{:.2}", num(cells, row, 2).unwrap_or(0.0)),
                "expansion": format!("{:.2}", num(cells, row, 3).unwrap_or(0.0)),
                "contraction": format!("{:.2}", num(cells, row, 4).unwrap_or(0.0)),
                "churn": format!("{:.2}", num(cells, row, 5).unwrap_or(0.0)),
            });
            for (k, cell) in [(0, &cells[&(row, 7)]), (1, &cells[&(row, 8)])] {
                let [s, e, c, ch] = ["starting_mrr", "expansion", "contraction", "churn"]
                    .map(|k| money(&figures[k]));
                let want = if k == 0 {
                    (s + e - c - ch) / s
                } else {
                    (s - c - ch) / s
                };
                match cell.num() {
                    Some(got) => assert!(
                        (got - want).abs() <= 1e-9,
                        "{}: Segments row {row}",
                        ck.case
                    ),
                    None => assert!(
                        s == 0.0 && cell.text() == Some(""),
                        "{}: Segments row {row}",
                        ck.case
                    ),
                }
                ck.mark("Segments", (row, 7 + k));
            }
        }
    }
}

/// Every formula cell of `original` is one of `recalculated` with the value stored equal to
/// LibreOffice's; returns them.
fn formula_cells(case: &str, original: &Book, recalculated: &Book) -> BTreeSet<(String, u32, u32)> {
    let mut out = BTreeSet::new();
    assert_eq!(original.names(), recalculated.names(), "{case}: sheets");
    for ((name, cells), (_, lo)) in original.sheets.iter().zip(&recalculated.sheets) {
        for (&(row, col), cell) in cells {
            let Some(f) = &cell.f else { continue };
            let theirs = &lo[&(row, col)];
            assert_eq!(
                theirs.f.as_deref(),
                Some(f.as_str()),
                "{case}: {name} ({row}, {col})"
            );
            match (cell.num(), theirs.num()) {
                (Some(a), Some(b)) => assert!(
                    (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                    "{case}: {name} ({row}, {col}) {f}: stored {a}, LibreOffice {b}"
                ),
                _ => assert_eq!(
                    (cell.text(), &cell.t),
                    (theirs.text(), &theirs.t),
                    "{case}: {name} ({row}, {col}) {f}"
                ),
            }
            out.insert((name.clone(), row, col));
        }
        for (&(row, col), cell) in lo {
            assert!(
                cell.f.is_none() || cells.get(&(row, col)).is_some_and(|c| c.f.is_some()),
                "{case}: LibreOffice has a formula at {name} ({row}, {col}) the workbook has not"
            );
        }
    }
    out
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

/// Hostile text a spreadsheet would read as a formula (or a number) if written carelessly.
const HOSTILE: [&str; 6] = [
    "=HYPERLINK(\"http://x\",\"y\")",
    "@SUM(1)",
    "+1+2",
    "-3",
    "=1+1",
    "0042",
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
                    assert!(
                        !f.contains("HYPERLINK") && !f.contains("1+1"),
                        "{name} {at:?}: {f}"
                    );
                }
                for h in HOSTILE {
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
        for h in HOSTILE {
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
