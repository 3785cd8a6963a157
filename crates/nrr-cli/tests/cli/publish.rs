//! The official number (docs/publishing.md): `nrr publish`, `nrr signoff`, `nrr publish
//! --final` and `nrr verify` walked end to end on fixture data, the book's damage named by
//! verify, and its reliability: a `kill -9` during publish and two publishes at once leave a
//! book that verifies, and a book copied elsewhere verifies there.

use super::{nrr_in, Run};
use crate::util::{copy_dir, fixtures_dir};
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// A fixed clock for the records (`SOURCE_DATE_EPOCH`): 2026-01-05T09:00:00Z.
const EPOCH: &str = "1767603600";

/// `nrr args...` in `cwd` with the fixed clock.
fn nrr_at(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_nrr"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .output()
        .expect("running nrr");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        hide: vec![cwd.to_path_buf()],
    }
}

/// `data/`: the `segments` fixture (six customers, 2023-06 to 2024-03, one churn, one
/// contraction) with an nrr.toml cutting by segment.
fn book_fixture() -> TempDir {
    let tmp = tempfile::tempdir().expect("temporary directory");
    copy_dir(&fixtures_dir().join("segments"), &tmp.path().join("data"));
    std::fs::write(
        tmp.path().join("data/nrr.toml"),
        "segments = [\"segment\"]\n\n[review]\nchurn_threshold = \"100\"\n",
    )
    .expect("writing nrr.toml");
    tmp
}

/// `text` with every SHA-256 (64 hex digits) shown as `[SHA256]`.
fn hex_hidden(text: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    for c in text.chars().chain(std::iter::once('\n')) {
        if c.is_ascii_hexdigit() {
            word.push(c);
            continue;
        }
        out.push_str(if word.len() == 64 { "[SHA256]" } else { &word });
        word.clear();
        out.push(c);
    }
    out.pop();
    out
}

fn release_dir(tmp: &TempDir, id: &str) -> PathBuf {
    tmp.path().join("nrr-book/releases").join(id)
}

/// Every release directory of the book (not the hidden staging ones).
fn releases(book: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(book.join("releases"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn the_ritual_from_draft_to_final() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    let mut walk = String::new();
    let mut step = |args: &[&str], code: i32| {
        let run = nrr_at(cwd, args);
        run.assert_code(code);
        walk.push_str(&format!("$ nrr {}\n{}\n", args.join(" "), run.transcript()));
        run
    };
    step(&["publish", "data", "--period", "2024-Q1"], 0);
    // A final before any sign-off, then with two of three, fails naming who is missing.
    let none = step(&["publish", "--final", "2024-Q1-r1"], 2);
    assert!(none
        .stderr
        .contains("no sign-off of its hash by finance, success, marketing"));
    step(
        &[
            "signoff",
            "2024-Q1-r1",
            "--role",
            "finance",
            "--by",
            "Dana Reyes",
        ],
        0,
    );
    step(
        &[
            "signoff",
            "2024-Q1-r1",
            "--role",
            "success",
            "--by",
            "Sam Ortiz",
            "--note",
            "bluebird: downgraded after a budget cut, confirmed with the account owner",
        ],
        0,
    );
    let two = step(&["publish", "--final", "2024-Q1-r1"], 2);
    assert!(two.stderr.contains("no sign-off of its hash by marketing"));
    // A second sign-off of one role is refused: the book is append-only.
    step(
        &[
            "signoff",
            "2024-Q1-r1",
            "--role",
            "finance",
            "--by",
            "Someone Else",
        ],
        2,
    );
    step(
        &[
            "signoff",
            "2024-Q1-r1",
            "--role",
            "marketing",
            "--by",
            "Kim Lee",
        ],
        0,
    );
    step(&["publish", "--final", "2024-Q1-r1"], 0);
    // Final is final: no more sign-offs, no second publish of the period without --restate.
    step(
        &[
            "signoff",
            "2024-Q1-r1",
            "--role",
            "marketing",
            "--by",
            "Late",
        ],
        2,
    );
    step(&["publish", "data", "--period", "2024-Q1"], 2);
    let verified = step(&["verify", "2024-Q1-r1"], 0);
    // One hash throughout: the draft's, the final's, the verified one (the journal's head
    // aside: the hash of its last line).
    let hashes: std::collections::BTreeSet<&str> = walk
        .lines()
        .filter(|l| !l.starts_with("journal: "))
        .flat_map(|l| l.split(|c: char| !c.is_ascii_hexdigit()))
        .filter(|w| w.len() == 64)
        .collect();
    assert_eq!(hashes.len(), 1, "{walk}");
    assert!(verified
        .stdout
        .contains(hashes.iter().next().expect("a hash")));
    // Hashes change with every byte of the report; the walk's words are what is pinned.
    insta::assert_snapshot!(hex_hidden(&walk));

    // The release keeps what the issue lists, each file named with its SHA-256.
    let dir = release_dir(&tmp, "2024-Q1-r1");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("release.json")).expect("manifest"))
            .expect("JSON");
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    for f in [
        "inputs/items.csv",
        "inputs/customers.csv",
        "inputs/nrr.toml",
        "report.json",
        "report.html",
        "report.xlsx",
        "movements.csv",
        "customer_months.csv",
    ] {
        assert!(files.contains(&f), "{f} missing from {files:?}");
    }
    // The customer-month table: MRR and movement per customer and month (corner-cafe's
    // churn in March, NOTES.md of tests/fixtures/segments).
    let months = std::fs::read_to_string(dir.join("customer_months.csv")).expect("table");
    assert!(months.starts_with("customer_id,month,mrr,movement,amount,fx\n"));
    assert!(months.contains("\ncorner-cafe,2024-03,0.00,churn,300.00,0.00\n"));
    assert!(months.contains("\nmegacorp,2024-01,4500.00,contraction,500.00,0.00\n"));
    assert_eq!(manifest["period"], "2024-Q1");
    assert_eq!(manifest["figures"]["nrr"], 0.965986);
    assert_eq!(
        manifest["window_args"],
        serde_json::json!(["--as-of", "2024-03-01"])
    );
    // The published figures are those of `nrr report` on the data.
    let report = nrr_in(
        cwd,
        &[
            "report",
            "data",
            "--format",
            "json",
            "--as-of",
            "2024-03-01",
        ],
    );
    let q1 = report.json()["periods"]
        .as_array()
        .expect("periods")
        .iter()
        .find(|p| p["period"] == "2024-Q1")
        .cloned()
        .expect("2024-Q1");
    assert_eq!(manifest["figures"], q1);
}

#[test]
fn verify_names_an_edited_book_file_and_a_changed_input_row() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    nrr_at(cwd, &["publish", "data", "--period", "2024-Q1"]).assert_code(0);
    let dir = release_dir(&tmp, "2024-Q1-r1");

    // One input row changed in today's data: verify with DATA names the file, the line and
    // the figures that moved (newco's December price: new MRR 1000.00 -> 1010.00).
    let items = cwd.join("data/items.csv");
    let text = std::fs::read_to_string(&items).expect("items");
    let line = "newco,newco-1,platform,business,10,1000.00,USD,1,2023-12-01,2024-03-01,recurring";
    assert!(text.contains(line), "the fixture changed");
    std::fs::write(
        &items,
        text.replace(line, &line.replace("1000.00", "1010.00")),
    )
    .expect("edit");
    let run = nrr_at(cwd, &["verify", "2024-Q1-r1", "data"]);
    run.assert_code(1);
    assert!(run
        .stdout
        .contains("today's data: items.csv changed (2 lines differ)"));
    assert!(run.stdout.contains(&format!("removed line 8: {line}")));
    assert!(run
        .stdout
        .contains("months[2023-12].new: published \"1000.00\", now \"1010.00\""));
    assert!(run.stdout.contains("NOT verified"));
    let j = nrr_at(cwd, &["verify", "2024-Q1-r1", "data", "--format", "json"]);
    let moved = j.json()["data_moved"].as_array().expect("moved").clone();
    assert!(moved
        .iter()
        .any(|m| m["figure"] == "periods[2024-Q1].starting_mrr"
            && m["published"] == "14700.00"
            && m["now"] == "14710.00"));
    // Without DATA the release itself still verifies.
    nrr_at(cwd, &["verify", "2024-Q1-r1"]).assert_code(0);

    // A file of the book edited, one removed, one added: each named.
    std::fs::write(dir.join("report.html"), "<p>edited</p>").expect("edit");
    std::fs::remove_file(dir.join("movements.csv")).expect("remove");
    std::fs::write(dir.join("inputs/extra.csv"), "x\n").expect("add");
    let run = nrr_at(cwd, &["verify", "2024-Q1-r1"]);
    run.assert_code(1);
    insta::assert_snapshot!(hex_hidden(&run.transcript()));
    // And a damaged release takes no sign-off and cannot be made final.
    let s = nrr_at(
        cwd,
        &["signoff", "2024-Q1-r1", "--role", "finance", "--by", "Dana"],
    );
    s.assert_code(1);
    assert!(s.stderr.contains("report.html: edited"), "{}", s.stderr);
}

#[test]
fn an_edited_input_copy_fails_verify_even_with_figures_unchanged() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    nrr_at(cwd, &["publish", "data", "--period", "2024-Q1"]).assert_code(0);
    let notes = release_dir(&tmp, "2024-Q1-r1").join("inputs/NOTES.md");
    std::fs::write(&notes, "rewritten\n").expect("edit");
    let run = nrr_at(cwd, &["verify", "2024-Q1-r1"]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("inputs/NOTES.md: edited"),
        "{}",
        run.stdout
    );
}

/// A key pair for `ssh-keygen -Y sign`.
fn ssh_key(dir: &Path) -> PathBuf {
    let key = dir.join("id_ed25519");
    let out = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "finance@example",
            "-f",
        ])
        .arg(&key)
        .output()
        .expect("ssh-keygen (OpenSSH) is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    key
}

#[test]
fn a_signed_signoff_verifies_and_a_forged_one_does_not() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    let key = ssh_key(cwd);
    nrr_at(cwd, &["publish", "data", "--period", "2024-Q1"]).assert_code(0);
    let key_arg = key.display().to_string();
    let run = nrr_at(
        cwd,
        &[
            "signoff",
            "2024-Q1-r1",
            "--role",
            "finance",
            "--by",
            "Dana",
            "--sign-key",
            &key_arg,
        ],
    );
    run.assert_code(0);
    assert!(run.stdout.contains("as finance, signed"));
    let ok = nrr_at(cwd, &["verify", "2024-Q1-r1", "--format", "json"]);
    ok.assert_code(0);
    let sig = ok.json()["signoffs"][0]["signature"]
        .as_str()
        .expect("signature")
        .to_string();
    assert!(sig.starts_with("valid (SHA256:"), "{sig}");
    // Someone changes who signed: the signature no longer holds.
    let path = release_dir(&tmp, "2024-Q1-r1").join("signoffs/finance.json");
    let text = std::fs::read_to_string(&path).expect("sign-off");
    std::fs::write(&path, text.replace("\"Dana\"", "\"Mallory\"")).expect("forge");
    let bad = nrr_at(cwd, &["verify", "2024-Q1-r1"]);
    bad.assert_code(1);
    assert!(bad
        .stdout
        .contains("signoffs/finance.json: the signature does not verify"));
    // The journal holds the sign-off's digest: the forged file is named, and the ritual
    // stops there.
    assert!(
        bad.stdout.contains(
            "releases/2024-Q1-r1/signoffs/finance.json: its SHA-256 is not the one journal.jsonl line 2 records"
        ),
        "{}",
        bad.stdout
    );
    let more = nrr_at(
        cwd,
        &["signoff", "2024-Q1-r1", "--role", "success", "--by", "X"],
    );
    more.assert_code(1);
    assert!(
        more.stderr.contains("signoffs/finance.json: its SHA-256"),
        "{}",
        more.stderr
    );
    let fin = nrr_at(cwd, &["publish", "--final", "2024-Q1-r1"]);
    fin.assert_code(1);
}

#[test]
fn a_restatement_needs_a_reason_and_links_the_release_it_supersedes() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    nrr_at(cwd, &["publish", "data", "--period", "2024-Q1"]).assert_code(0);
    for role in ["finance", "success", "marketing"] {
        nrr_at(cwd, &["signoff", "2024-Q1-r1", "--role", role, "--by", "X"]).assert_code(0);
    }
    nrr_at(cwd, &["publish", "--final", "2024-Q1-r1"]).assert_code(0);
    let items = cwd.join("data/items.csv");
    let text = std::fs::read_to_string(&items).expect("items");
    std::fs::write(
        &items,
        text.replace(",1000.00,USD,1,2023-12-01", ",1010.00,USD,1,2023-12-01"),
    )
    .expect("edit");
    let refused = nrr_at(cwd, &["publish", "data", "--period", "2024-Q1"]);
    refused.assert_code(2);
    assert!(refused.stderr.contains("has a final release, 2024-Q1-r1"));
    let run = nrr_at(
        cwd,
        &[
            "publish",
            "data",
            "--period",
            "2024-Q1",
            "--restate",
            "--reason",
            "newco's price corrected",
        ],
    );
    run.assert_code(0);
    assert!(run
        .stdout
        .contains("restates 2024-Q1-r1 (newco's price corrected)"));
    let dir = release_dir(&tmp, "2024-Q1-r2");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("release.json")).expect("manifest"))
            .expect("JSON");
    assert_eq!(manifest["supersedes"]["release"], "2024-Q1-r1");
    assert_eq!(manifest["supersedes"]["reason"], "newco's price corrected");
    assert!(dir.join("diff.json").is_file());
    // History is append-only: the superseded release is still there and still verifies.
    nrr_at(cwd, &["verify", "2024-Q1-r1"]).assert_code(0);
    nrr_at(cwd, &["verify", "2024-Q1-r2"]).assert_code(0);
}

/// 4,000 generated customers over 24 months: a publish long enough to be killed mid-way.
fn generated(cwd: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_nrr"))
        .args([
            "generate",
            "--customers",
            "4000",
            "--months",
            "24",
            "--seed",
            "5",
            "--out",
            "data",
        ])
        .current_dir(cwd)
        .output()
        .expect("nrr generate");
    assert!(out.status.success());
}

fn publish_command(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nrr"));
    c.args(["publish", "data", "--period", "2024-Q4"])
        .current_dir(cwd)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    c
}

/// Every release of the book verifies, and the book lists no partial one.
fn assert_book_valid(cwd: &Path) -> Vec<String> {
    let ids = releases(&cwd.join("nrr-book"));
    for id in &ids {
        let run = nrr_at(cwd, &["verify", id]);
        run.assert_code(0);
    }
    ids
}

/// Whether the staging directory of the publish `pid` holds a file of the release itself
/// (report.json, ... at its top: written after the report is computed, while its inputs/ is
/// copied before): a kill that leaves one landed while the release was being written.
fn writing(book: &Path, pid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir(book.join("releases")) else {
        return false;
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(".tmp-") && name.ends_with(&format!("-{pid}"))
        })
        .any(|d| {
            std::fs::read_dir(d.path()).is_ok_and(|files| {
                files
                    .filter_map(|e| e.ok())
                    .any(|e| e.file_type().is_ok_and(|t| t.is_file()))
            })
        })
}

#[test]
fn a_kill_9_during_publish_leaves_the_book_valid() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let cwd = tmp.path();
    let book = cwd.join("nrr-book");
    generated(cwd);
    // How long a whole publish takes here, to kill at points spread across it.
    let t = std::time::Instant::now();
    let full = publish_command(cwd).output().expect("publish");
    assert!(
        full.status.success(),
        "{}",
        String::from_utf8_lossy(&full.stderr)
    );
    let whole = t.elapsed();
    let mut mid_write = 0;
    let mut killed = 0;
    for i in 1..=12u32 {
        let mut child = publish_command(cwd).spawn().expect("publish");
        if i <= 8 {
            // Eight kills at points spread across the run.
            std::thread::sleep(whole * i / 9);
        } else {
            // Four once the release's own files are being written (the short last part of
            // the run: computing comes first), 0 to 3 ms after the first appears.
            while child.try_wait().ok().flatten().is_none() && !writing(&book, child.id()) {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            std::thread::sleep(std::time::Duration::from_millis(u64::from(i - 9)));
        }
        if child.kill().is_ok() {
            killed += 1;
        }
        let _ = child.wait();
        if writing(&book, child.id()) {
            mid_write += 1;
        }
        let ids = assert_book_valid(cwd);
        assert!(!ids.is_empty());
    }
    assert!(
        killed > 0 && mid_write > 0,
        "no kill landed mid-write ({killed} kills)"
    );
    // The next publish clears what the killed ones left and numbers on.
    let next = publish_command(cwd).output().expect("publish");
    assert!(next.status.success());
    let ids = assert_book_valid(cwd);
    let leftovers = std::fs::read_dir(cwd.join("nrr-book/releases"))
        .expect("releases")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
        .count();
    assert_eq!(leftovers, 0);
    // Release numbers are consecutive: no killed publish took one.
    let n = ids.len();
    assert_eq!(
        ids.last().map(String::as_str),
        Some(format!("2024-Q4-r{n}").as_str())
    );
}

#[test]
fn two_publishes_at_once_both_end_consistent() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let cwd = tmp.path();
    generated(cwd);
    let a = publish_command(cwd).spawn().expect("publish");
    let b = publish_command(cwd).spawn().expect("publish");
    let (a, b) = (
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
    );
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let ids = assert_book_valid(cwd);
    assert_eq!(ids, ["2024-Q4-r1", "2024-Q4-r2"]);
    // The same data twice: the two releases hold the same figures.
    let fig = |id: &str| -> serde_json::Value {
        let m: serde_json::Value = serde_json::from_slice(
            &std::fs::read(cwd.join("nrr-book/releases").join(id).join("release.json"))
                .expect("manifest"),
        )
        .expect("JSON");
        m["figures"].clone()
    };
    assert_eq!(fig("2024-Q4-r1"), fig("2024-Q4-r2"));
}

#[test]
fn a_book_copied_to_another_place_verifies_there() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    nrr_at(cwd, &["publish", "data", "--period", "2024-Q1"]).assert_code(0);
    nrr_at(
        cwd,
        &["signoff", "2024-Q1-r1", "--role", "finance", "--by", "Dana"],
    )
    .assert_code(0);
    let other = tempfile::tempdir().expect("temporary directory");
    copy_dir(&cwd.join("nrr-book"), &other.path().join("copied-book"));
    // The original data is gone: the copy needs nothing outside itself.
    drop(tmp);
    let run = nrr_at(
        other.path(),
        &["verify", "2024-Q1-r1", "--book", "copied-book"],
    );
    run.assert_code(0);
    assert!(run
        .stdout
        .contains("the pinned inputs with this tool: the published figures exactly"));
    let by_path = nrr_at(other.path(), &["verify", "copied-book/releases/2024-Q1-r1"]);
    by_path.assert_code(0);
}

#[test]
fn publish_refuses_a_period_the_report_does_not_have() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    let bad = nrr_at(cwd, &["publish", "data", "--period", "2024-Q5"]);
    bad.assert_code(2);
    let absent = nrr_at(cwd, &["publish", "data", "--period", "2022-Q1"]);
    absent.assert_code(2);
    assert!(absent.stderr.contains("the report has no period 2022-Q1"));
    // Nothing was left in the book.
    assert!(releases(&cwd.join("nrr-book")).is_empty());
    insta::assert_snapshot!(format!("{}{}", bad.transcript(), absent.transcript()));
}

/// release.json edited consistently with nothing else (no sign-off pins its hash yet): its
/// figures no longer match report.json, and verify says so.
#[test]
fn an_edited_manifest_fails_verify() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    nrr_at(cwd, &["publish", "data", "--period", "2024-Q1"]).assert_code(0);
    let path = release_dir(&tmp, "2024-Q1-r1").join("release.json");
    let text = std::fs::read_to_string(&path).expect("manifest");
    assert!(text.contains("\"nrr\": 0.965986"));
    std::fs::write(
        &path,
        text.replacen("\"nrr\": 0.965986", "\"nrr\": 1.065986", 1),
    )
    .expect("edit");
    let run = nrr_at(cwd, &["verify", "2024-Q1-r1"]);
    run.assert_code(1);
    assert!(
        run.stdout
            .contains("release.json: its figures of 2024-Q1 are not report.json's"),
        "{}",
        run.stdout
    );
}

/// Signs `id` off by every role and makes it final.
fn finalize(cwd: &Path, id: &str) {
    for role in ["finance", "success", "marketing"] {
        nrr_at(cwd, &["signoff", id, "--role", role, "--by", "X"]).assert_code(0);
    }
    nrr_at(cwd, &["publish", "--final", id]).assert_code(0);
}

/// `data2/`: the quarter-close data with megacorp's January price corrected.
fn corrected(cwd: &Path) {
    copy_dir(&cwd.join("data"), &cwd.join("data2"));
    let items = cwd.join("data2/items.csv");
    let text = std::fs::read_to_string(&items).expect("items");
    std::fs::write(
        &items,
        text.replace(",4500.00,USD,1,2024-01-01", ",4400.00,USD,1,2024-01-01"),
    )
    .expect("edit");
}

/// One final at a time: a restatement of the latest final may go final, a second
/// restatement of the same final may not, and a restatement of a restatement may.
#[test]
fn a_period_has_one_final_release_at_a_time() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    corrected(cwd);
    nrr_at(cwd, &["publish", "data", "--period", "2024-Q1"]).assert_code(0);
    finalize(cwd, "2024-Q1-r1");
    let restate = |reason: &str| {
        nrr_at(
            cwd,
            &[
                "publish",
                "data2",
                "--period",
                "2024-Q1",
                "--restate",
                "--reason",
                reason,
            ],
        )
        .assert_code(0);
    };
    restate("first correction");
    restate("second correction of r1");
    finalize(cwd, "2024-Q1-r2");
    for role in ["finance", "success", "marketing"] {
        nrr_at(cwd, &["signoff", "2024-Q1-r3", "--role", role, "--by", "X"]).assert_code(0);
    }
    let twice = nrr_at(cwd, &["publish", "--final", "2024-Q1-r3"]);
    twice.assert_code(2);
    assert!(
        twice.stderr.contains(
            "already has a final release, 2024-Q1-r2, and 2024-Q1-r3 does not restate it"
        ),
        "{}",
        twice.stderr
    );
    // Given as a path from another directory with another --book, the release's own book
    // is the one checked.
    let other = tempfile::tempdir().expect("temporary directory");
    let path = release_dir(&tmp, "2024-Q1-r3").display().to_string();
    let by_path = nrr_at(
        other.path(),
        &["publish", "--final", &path, "--book", "empty"],
    );
    by_path.assert_code(2);
    assert!(by_path
        .stderr
        .contains("already has a final release, 2024-Q1-r2"));
    // A restatement of the restatement goes final.
    restate("restating r2");
    finalize(cwd, "2024-Q1-r4");
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(release_dir(&tmp, "2024-Q1-r4").join("release.json")).expect("manifest"),
    )
    .expect("JSON");
    assert_eq!(m["supersedes"]["release"], "2024-Q1-r2");
    for id in ["2024-Q1-r1", "2024-Q1-r2", "2024-Q1-r3", "2024-Q1-r4"] {
        nrr_at(cwd, &["verify", id]).assert_code(0);
    }
}

/// What the review found the ritual let through, each refused or named now.
#[test]
fn the_ritual_refuses_what_would_bypass_it() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    nrr_at(cwd, &["publish", "data", "--period", "2024-Q1"]).assert_code(0);
    let dir = release_dir(&tmp, "2024-Q1-r1");
    // Empty or multi-line names and notes.
    for args in [["--by", ""], ["--by", "Dana\nReyes"]] {
        let mut a = vec!["signoff", "2024-Q1-r1", "--role", "finance"];
        a.extend(args);
        nrr_at(cwd, &a).assert_code(2);
    }
    let note = nrr_at(
        cwd,
        &[
            "signoff",
            "2024-Q1-r1",
            "--role",
            "finance",
            "--by",
            "D",
            "--note",
            "a\nb",
        ],
    );
    note.assert_code(2);
    let reason = nrr_at(
        cwd,
        &[
            "publish",
            "data",
            "--period",
            "2024-Q1",
            "--restate",
            "--reason",
            " ",
        ],
    );
    reason.assert_code(2);
    // One sign-off copied to the other roles' names does not make the release final.
    nrr_at(
        cwd,
        &["signoff", "2024-Q1-r1", "--role", "finance", "--by", "Dana"],
    )
    .assert_code(0);
    for role in ["success", "marketing"] {
        std::fs::copy(
            dir.join("signoffs/finance.json"),
            dir.join(format!("signoffs/{role}.json")),
        )
        .expect("copy");
    }
    let fin = nrr_at(cwd, &["publish", "--final", "2024-Q1-r1"]);
    fin.assert_code(1);
    assert!(
        fin.stderr
            .contains("signoffs/success.json: is a sign-off of the role \"finance\""),
        "{}",
        fin.stderr
    );
    let v = nrr_at(cwd, &["verify", "2024-Q1-r1"]);
    v.assert_code(1);
    for role in ["success", "marketing"] {
        std::fs::remove_file(dir.join(format!("signoffs/{role}.json"))).expect("remove");
    }
    // An input copy that no longer parses is named by verify (exit 1), not an error.
    std::fs::write(dir.join("inputs/items.csv"), "garbage\0\n").expect("garble");
    let v = nrr_at(cwd, &["verify", "2024-Q1-r1"]);
    v.assert_code(1);
    assert!(
        v.stdout.contains("inputs/items.csv: edited"),
        "{}",
        v.stdout
    );
    assert!(
        v.stdout.contains("inputs/: no longer computes"),
        "{}",
        v.stdout
    );
    // A review packet of a damaged release is refused.
    let r = nrr_at(cwd, &["review", "2024-Q1-r1", "--role", "success"]);
    r.assert_code(1);
    assert!(r.stderr.contains("does not verify"), "{}", r.stderr);
}

/// A final record that no longer parses does not make the period publishable as a draft.
#[test]
fn an_unreadable_final_record_is_not_a_draft() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    nrr_at(cwd, &["publish", "data", "--period", "2024-Q1"]).assert_code(0);
    finalize(cwd, "2024-Q1-r1");
    std::fs::write(release_dir(&tmp, "2024-Q1-r1").join("final.json"), "").expect("truncate");
    let again = nrr_at(cwd, &["publish", "data", "--period", "2024-Q1"]);
    assert_ne!(again.code, Some(0), "{}", again.transcript());
    assert!(releases(&cwd.join("nrr-book")).len() == 1);
    let v = nrr_at(cwd, &["verify", "2024-Q1-r1"]);
    v.assert_code(1);
    assert!(
        v.stdout.contains("final.json: not a valid record"),
        "{}",
        v.stdout
    );
}

/// publish takes no `--currency`: on data in several currencies without a pinned one, its
/// refusal points at nrr.toml, not at a flag it would refuse; with the currency pinned it
/// publishes.
#[test]
fn several_currencies_without_a_pinned_one_point_at_nrr_toml() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    copy_dir(
        &fixtures_dir().join("snapshots_two_currencies"),
        &tmp.path().join("data"),
    );
    let run = nrr_at(tmp.path(), &["publish", "data", "--period", "2024-Q1"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("nrr.toml") && !run.stderr.contains("--currency"),
        "{}",
        run.transcript()
    );
    assert!(!tmp.path().join("nrr-book/releases/2024-Q1-r1").exists());
    std::fs::write(tmp.path().join("data/nrr.toml"), "currency = \"USD\"\n").expect("nrr.toml");
    nrr_at(tmp.path(), &["publish", "data", "--period", "2024-Q1"]).assert_code(0);
}

/// The journal's head as `nrr verify` prints it.
fn journal_head(cwd: &Path, id: &str) -> String {
    let run = nrr_at(cwd, &["verify", id]);
    run.stdout
        .lines()
        .find_map(|l| l.strip_prefix("journal: "))
        .and_then(|l| l.split("head ").nth(1))
        .expect("a journal line")
        .to_string()
}

/// Deleting a final release's final.json does not make it a draft again: the journal records
/// it final, verify names the missing file, and the period cannot be published again nor its
/// restatement verify. Truncating the journal as well is caught by a head noted earlier.
#[test]
fn a_removed_final_record_does_not_make_the_release_a_draft() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    corrected(cwd);
    nrr_at(cwd, &["publish", "data", "--period", "2024-Q1"]).assert_code(0);
    finalize(cwd, "2024-Q1-r1");
    nrr_at(
        cwd,
        &[
            "publish",
            "data2",
            "--period",
            "2024-Q1",
            "--restate",
            "--reason",
            "fix",
        ],
    )
    .assert_code(0);
    let head = journal_head(cwd, "2024-Q1-r1");
    let dir = release_dir(&tmp, "2024-Q1-r1");
    std::fs::remove_file(dir.join("final.json")).expect("rm final.json");
    let v = nrr_at(cwd, &["verify", "2024-Q1-r1"]);
    v.assert_code(1);
    assert!(
        v.stdout.starts_with("release 2024-Q1-r1 (2024-Q1, final)"),
        "{}",
        v.stdout
    );
    assert!(
        v.stdout.contains(
            "releases/2024-Q1-r1/final.json: missing, but journal.jsonl line 5 records it (2024-Q1-r1 was made final)"
        ),
        "{}",
        v.stdout
    );
    // The restatement names the release it supersedes as no longer final.
    let r2 = nrr_at(cwd, &["verify", "2024-Q1-r2"]);
    r2.assert_code(1);
    assert!(
        r2.stdout.contains(
            "release.json: supersedes 2024-Q1-r1, which is not final (its final.json is missing)"
        ),
        "{}",
        r2.stdout
    );
    // Neither a draft nor a restatement of the period is published, nor r2 made final.
    for extra in [&[][..], &["--restate", "--reason", "again"][..]] {
        let mut args = vec!["publish", "data", "--period", "2024-Q1"];
        args.extend(extra);
        let run = nrr_at(cwd, &args);
        run.assert_code(1);
        assert!(
            run.stderr
                .contains("the book's state of 2024-Q1 is unknown")
                && run
                    .stderr
                    .contains("releases/2024-Q1-r1/final.json: missing"),
            "{}",
            run.stderr
        );
    }
    for role in ["finance", "success", "marketing"] {
        nrr_at(cwd, &["signoff", "2024-Q1-r2", "--role", role, "--by", "X"]).assert_code(0);
    }
    nrr_at(cwd, &["publish", "--final", "2024-Q1-r2"]).assert_code(1);
    assert_eq!(
        releases(&cwd.join("nrr-book")),
        ["2024-Q1-r1", "2024-Q1-r2"]
    );
    // The limit: cut the journal back to before the final as well, and the book is
    // consistent again; only a head noted outside the book tells.
    let journal = cwd.join("nrr-book/journal.jsonl");
    let text = std::fs::read_to_string(&journal).expect("journal");
    let kept: Vec<&str> = text.lines().take(4).collect();
    std::fs::write(&journal, format!("{}\n", kept.join("\n"))).expect("cut");
    std::fs::remove_dir_all(release_dir(&tmp, "2024-Q1-r2")).expect("rm r2");
    nrr_at(cwd, &["verify", "2024-Q1-r1"]).assert_code(0);
    let expect = nrr_at(cwd, &["verify", "2024-Q1-r1", "--expect-head", &head]);
    expect.assert_code(1);
    assert!(
        expect.stdout.contains(&format!(
            "journal.jsonl: holds no line with the expected head {head}"
        )),
        "{}",
        expect.stdout
    );
}

/// A noted head that the journal still holds verifies, however many lines came after it.
#[test]
fn an_expected_head_verifies_while_the_journal_holds_it() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    nrr_at(cwd, &["publish", "data", "--period", "2024-Q1"]).assert_code(0);
    let head = journal_head(cwd, "2024-Q1-r1");
    finalize(cwd, "2024-Q1-r1");
    let run = nrr_at(cwd, &["verify", "2024-Q1-r1", "--expect-head", &head]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("the expected head is line 1"),
        "{}",
        run.stdout
    );
    nrr_at(cwd, &["verify", "2024-Q1-r1", "--expect-head", "abc"]).assert_code(2);
}

/// A release.json that no longer parses: verify names it (exit 1), a publish of another
/// period goes ahead with a warning naming it, and one of its own period is refused.
#[test]
fn a_damaged_manifest_blocks_its_own_period_only() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    nrr_at(cwd, &["publish", "data", "--period", "2023-Q4"]).assert_code(0);
    std::fs::write(
        release_dir(&tmp, "2023-Q4-r1").join("release.json"),
        "garbage",
    )
    .expect("garble");
    let other = nrr_at(cwd, &["publish", "data", "--period", "2024-02"]);
    other.assert_code(0);
    assert!(
        other
            .stderr
            .contains("warning: the book holds damage outside 2024-02")
            && other
                .stderr
                .contains("releases/2023-Q4-r1/release.json: not a valid record"),
        "{}",
        other.stderr
    );
    let v = nrr_at(cwd, &["verify", "2023-Q4-r1"]);
    v.assert_code(1);
    assert!(
        v.stdout
            .contains("release.json: not a valid record: expected value"),
        "{}",
        v.stdout
    );
    let same = nrr_at(cwd, &["publish", "data", "--period", "2023-Q4"]);
    same.assert_code(1);
    assert!(
        same.stderr
            .contains("the book's state of 2023-Q4 is unknown")
            && same
                .stderr
                .contains("releases/2023-Q4-r1/release.json: not a valid record"),
        "{}",
        same.stderr
    );
    assert_eq!(
        releases(&cwd.join("nrr-book")),
        ["2023-Q4-r1", "2024-02-r1"]
    );
}

/// Other commands do not write into a book: `-o` inside a release (or the book's own
/// directory) is a usage error, and a release's files are read-only.
#[test]
fn other_commands_do_not_write_into_a_release() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    nrr_at(cwd, &["publish", "data", "--period", "2024-Q1"]).assert_code(0);
    let dir = release_dir(&tmp, "2024-Q1-r1");
    let before = std::fs::read(dir.join("report.html")).expect("report.html");
    for args in [
        &[
            "report",
            "data",
            "--format",
            "html",
            "-o",
            "nrr-book/releases/2024-Q1-r1/report.html",
        ][..],
        &[
            "movements",
            "data",
            "-o",
            "nrr-book/releases/2024-Q1-r1/inputs/m.csv",
        ][..],
        &["report", "data", "-o", "nrr-book/journal.jsonl"][..],
    ] {
        let run = nrr_at(cwd, args);
        run.assert_code(2);
        assert!(run.stderr.contains("is inside the"), "{}", run.stderr);
    }
    assert_eq!(
        std::fs::read(dir.join("report.html")).expect("report.html"),
        before
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o555);
        assert_eq!(mode(&dir.join("report.html")), 0o444);
        assert_eq!(mode(&dir.join("inputs/items.csv")), 0o444);
    }
    nrr_at(cwd, &["verify", "2024-Q1-r1"]).assert_code(0);
}

/// A book written before the journal verifies, saying it has none; the next writer starts
/// the journal with its releases as found.
#[test]
fn a_book_without_a_journal_verifies_and_the_next_writer_starts_one() {
    let tmp = book_fixture();
    let cwd = tmp.path();
    nrr_at(cwd, &["publish", "data", "--period", "2024-Q1"]).assert_code(0);
    // What an nrr before the journal wrote: no journal, no journal_head in release.json.
    let manifest = release_dir(&tmp, "2024-Q1-r1").join("release.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let old: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("\"journal_head\""))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(old, text);
    std::fs::write(&manifest, old).expect("old manifest");
    std::fs::remove_file(cwd.join("nrr-book/journal.jsonl")).expect("rm journal");
    let v = nrr_at(cwd, &["verify", "2024-Q1-r1"]);
    v.assert_code(0);
    assert!(
        v.stdout.contains(
            "journal: none\n  note: no journal.jsonl: the book was written before nrr kept one"
        ),
        "{}",
        v.stdout
    );
    let s = nrr_at(
        cwd,
        &["signoff", "2024-Q1-r1", "--role", "finance", "--by", "Dana"],
    );
    s.assert_code(0);
    assert!(
        s.stderr
            .contains("started it, recording its releases as found (2024-Q1-r1)"),
        "{}",
        s.stderr
    );
    let v = nrr_at(cwd, &["verify", "2024-Q1-r1"]);
    v.assert_code(0);
    assert!(v.stdout.contains("journal: 2 lines, head"), "{}", v.stdout);
}
