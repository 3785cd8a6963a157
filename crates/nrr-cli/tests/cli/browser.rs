//! `nrr report --format html` in a real headless Chromium (Debian's `chromium`, driven by
//! Playwright from PyPI; .ci/run installs both): tests/browser/check_html.py checks the page
//! against the JSON report of the same data (figures, drill-down, no network, no dialog, no
//! injected element) and writes screenshots of each view to target/html-screenshots/. The
//! page's own properties that need no browser (same bytes twice and across thread counts, size
//! at 5,000 customers) are checked here too.
//!
//! A missing browser or Playwright is a failure, not a skip: CI installs them.

use super::util::{repo_root, succeed};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs nrr with `args` in `cwd` and extra environment; panics unless it exits 0.
fn run_nrr(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Vec<u8> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nrr"));
    cmd.args(args).current_dir(cwd).envs(env.iter().copied());
    succeed(&mut cmd, &format!("nrr {args:?}")).stdout
}

/// Demo-like data: `nrr generate` with several currencies.
fn generated(dir: &Path, customers: &str, months: &str) -> PathBuf {
    let data = dir.join("data");
    run_nrr(
        dir,
        &[
            "generate",
            "--customers",
            customers,
            "--months",
            months,
            "--seed",
            "7",
            "--currencies",
            "--out",
            "data",
        ],
        &[],
    );
    data
}

/// Writes the HTML, JSON and movements of `data` (with `extra` report flags) into `out` and
/// runs the browser check; `name` names the screenshot folder.
/// `currency`: the --currency flags (movements take them too).
fn check_in_chromium(
    data: &Path,
    currency: &[&str],
    extra: &[&str],
    out: &Path,
    name: &str,
    hostile: bool,
) {
    let data_s = data.to_str().expect("UTF-8 path");
    let html = out.join("report.html");
    let json = out.join("report.json");
    let movements = out.join("movements.csv");
    let html_s = html.to_str().expect("UTF-8 path");
    let mut args = vec!["report", data_s];
    args.extend_from_slice(currency);
    args.extend_from_slice(extra);
    let mut html_args = args.clone();
    html_args.extend_from_slice(&["--format", "html", "-o", html_s]);
    run_nrr(out, &html_args, &[]);
    let mut json_args = args.clone();
    json_args.extend_from_slice(&["--format", "json"]);
    std::fs::write(&json, run_nrr(out, &json_args, &[])).expect("writing report.json");
    let mut mv_args = vec!["movements", data_s];
    mv_args.extend_from_slice(currency);
    std::fs::write(&movements, run_nrr(out, &mv_args, &[])).expect("writing movements.csv");
    let shots = repo_root().join("target/html-screenshots").join(name);
    let mut cmd = Command::new("python3");
    cmd.arg(repo_root().join("tests/browser/check_html.py"))
        .args(["--html", html_s])
        .args(["--json", json.to_str().expect("UTF-8 path")])
        .args(["--movements", movements.to_str().expect("UTF-8 path")])
        .args(["--shots", shots.to_str().expect("UTF-8 path")]);
    if hostile {
        cmd.arg("--hostile");
    }
    let result = cmd.output().expect(
        "running python3 tests/browser/check_html.py (needs Playwright from PyPI and \
         Debian's chromium; .ci/run installs them)",
    );
    assert!(
        result.status.success(),
        "the HTML report failed its checks in Chromium:\n{}\n{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}

#[test]
fn html_report_of_demo_data_shows_the_json_figures_in_chromium() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let data = generated(tmp.path(), "2000", "36");
    check_in_chromium(
        &data,
        &["--currency", "USD"],
        &["--segment", "segment"],
        tmp.path(),
        "demo",
        false,
    );
}

#[test]
fn html_report_shows_hostile_text_as_inert_text_in_chromium() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let data = repo_root().join("tests/browser/hostile");
    check_in_chromium(
        &data,
        &[],
        &["--segment", "segment", "--segment", "plan"],
        tmp.path(),
        "hostile",
        true,
    );
}

#[test]
fn html_report_is_the_same_bytes_twice_and_across_thread_counts() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let data = generated(tmp.path(), "800", "24");
    let data_s = data.to_str().expect("UTF-8 path");
    let args = [
        "report",
        data_s,
        "--currency",
        "USD",
        "--segment",
        "segment",
        "--format",
        "html",
    ];
    let one = run_nrr(tmp.path(), &args, &[("RAYON_NUM_THREADS", "1")]);
    let two = run_nrr(tmp.path(), &args, &[("RAYON_NUM_THREADS", "2")]);
    let again = run_nrr(tmp.path(), &args, &[("RAYON_NUM_THREADS", "2")]);
    assert!(one.starts_with(b"<!doctype html>"));
    assert!(one == two, "RAYON_NUM_THREADS=1 and 2 give different pages");
    assert!(two == again, "two runs give different pages");
}

#[test]
fn html_report_of_5000_customers_over_36_months_stays_under_3_mb() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let data = generated(tmp.path(), "5000", "36");
    let page = run_nrr(
        tmp.path(),
        &[
            "report",
            data.to_str().expect("UTF-8 path"),
            "--currency",
            "USD",
            "--segment",
            "segment",
            "--format",
            "html",
        ],
        &[],
    );
    assert!(
        page.len() < 3_000_000,
        "the page is {} bytes, over 3 MB",
        page.len()
    );
    // It makes no request: no external address in a src or href, and the policy says so.
    let text = String::from_utf8(page).expect("UTF-8 page");
    assert!(text.contains("default-src 'none'"));
    for needle in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "url(http",
        "@import",
    ] {
        assert!(!text.contains(needle), "the page refers to {needle}");
    }
}
