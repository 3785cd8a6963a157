//! `nrr review RELEASE --role R`: each role's packet of a release published from a fixture,
//! hand-checked, its tables as snapshots (docs/publishing.md#review-packets).

use super::util::{copy_dir, fixtures_dir};
use super::*;

/// A book in a temporary directory, with `data/` copied from a fixture.
struct Bench {
    tmp: TempDir,
}

impl Bench {
    /// `fixture` copied to `data/`, with `toml` as its nrr.toml when given.
    fn new(fixture: &str, toml: Option<&str>) -> Bench {
        let tmp = tempfile::tempdir().expect("temporary directory");
        copy_dir(&fixtures_dir().join(fixture), &tmp.path().join("data"));
        let b = Bench { tmp };
        if let Some(t) = toml {
            b.write("data/nrr.toml", t);
        }
        b
    }

    /// An empty `data/`.
    fn empty() -> Bench {
        let tmp = tempfile::tempdir().expect("temporary directory");
        std::fs::create_dir(tmp.path().join("data")).expect("data/");
        Bench { tmp }
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.tmp.path().join(rel), text).expect("writing a file");
    }

    /// `nrr args...` in the directory, with a fixed clock for the records.
    fn nrr(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_nrr"))
            .args(args)
            .current_dir(self.tmp.path())
            .env("NO_COLOR", "1")
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .env_remove("COLUMNS")
            .output()
            .expect("running nrr");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
            hide: vec![self.tmp.path().to_path_buf()],
        }
    }

    /// Publishes `data/` for `period` with the extra flags; returns the release id.
    fn publish(&self, period: &str, extra: &[&str]) -> String {
        let mut args = vec!["publish", "data", "--period", period];
        args.extend_from_slice(extra);
        self.nrr(&args).assert_code(0);
        format!("{period}-r1")
    }

    fn review(&self, release: &str, role: &str, json: bool) -> Run {
        let mut args = vec!["review", release, "--role", role];
        if json {
            args.extend(["--format", "json"]);
        }
        let run = self.nrr(&args);
        run.assert_code(0);
        run
    }
}

/// A transcript without the release hash and the tool version (they change with the tool).
fn stable(run: &Run) -> String {
    let mut t = run.transcript();
    t = t.replace(
        &format!("nrr {}", env!("CARGO_PKG_VERSION")),
        "nrr [VERSION]",
    );
    let mut out = String::new();
    for line in t.lines() {
        match line.find("sha256 ") {
            Some(i) => {
                out.push_str(&line[..i]);
                out.push_str("sha256 [SHA]");
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// one_time_charge: acme's 5,000.00 setup fee and umbrella's 2,500.00 are one_time,
/// globex's free line is zero_amount (0.00), initech's line starting and ending 2024-02-01 is
/// zero_length (400.00): the amounts the items reader recorded, as written.
#[test]
fn finance_lists_policies_and_the_ledger_with_amounts() {
    let b = Bench::new("one_time_charge", None);
    let id = b.publish("2024-Q1", &["--from", "2023-12", "--to", "2024-03"]);
    let j = b.review(&id, "finance", true).json();
    assert_eq!(j["role"], "finance");
    assert_eq!(j["matches_published"], true);
    let f = &j["finance"];
    assert_eq!(f["policies"]["reactivation"], "any-gap");
    assert_eq!(f["policies"]["churn_recognition"], "at-period-end");
    assert!(f["settings"].as_array().is_some_and(|s| s.len() == 19));
    let l = &f["ledger"];
    assert_eq!((l["read"].as_u64(), l["used"].as_u64()), (Some(6), Some(2)));
    assert_eq!(l["excluded"], 4);
    let ex = l["exclusions"].as_array().expect("exclusions");
    let amount = |reason: &str| {
        let e = ex
            .iter()
            .find(|e| e["reason"] == reason)
            .expect("the reason");
        assert_eq!(e["without_amount"], 0);
        (e["rows"].as_u64(), e["amounts"].clone())
    };
    let usd = |n: u64, a: &str| serde_json::json!([{"currency": "USD", "rows": n, "amount": a}]);
    assert_eq!(amount("one_time"), (Some(2), usd(2, "7500.00")));
    assert_eq!(amount("zero_amount"), (Some(1), usd(1, "0.00")));
    assert_eq!(amount("zero_length"), (Some(1), usd(1, "400.00")));
    assert!(f["movement_check"].is_null());
    let run = b.review(&id, "finance", false);
    insta::assert_snapshot!(stable(&run));
}

/// The amounts come from the readers, so every source has them: a Stripe export (trial and
/// incomplete items, an item priced by its invoice lines) and subscription snapshots (in two
/// currencies), with the amounts hand-checked in the fixtures' NOTES.md; a subscription_events
/// row carries no amount and is counted as such.
#[test]
fn finance_has_the_amounts_of_stripe_snapshots_and_events() {
    let exclusions = |fixture: &str, period: &str, window: &[&str]| {
        let b = Bench::new(fixture, Some("currency = \"USD\"\n"));
        let events = b.tmp.path().join("data/subscription_events.csv");
        if let Ok(mut text) = std::fs::read_to_string(&events) {
            text.push_str("sub-unknown,canceled,2024-01-20\n");
            std::fs::write(&events, text).expect("writing the events");
        }
        let id = b.publish(period, window);
        let j = b.review(&id, "finance", true).json();
        let ex = j["finance"]["ledger"]["exclusions"].clone();
        let text = b.review(&id, "finance", false).stdout;
        (ex, text)
    };
    let find = |ex: &serde_json::Value, reason: &str| {
        let e = ex
            .as_array()
            .expect("exclusions")
            .iter()
            .find(|e| e["reason"] == reason)
            .unwrap_or_else(|| panic!("{reason} in {ex}"))
            .clone();
        (
            e["rows"].as_u64(),
            e["amounts"].clone(),
            e["without_amount"].as_u64(),
        )
    };
    let one =
        |c: &str, n: u64, a: &str| serde_json::json!([{"currency": c, "rows": n, "amount": a}]);
    let (ex, text) = exclusions(
        "stripe_status_paths",
        "2024-Q2",
        &["--from", "2024-01", "--to", "2024-06"],
    );
    assert_eq!(
        find(&ex, "trial"),
        (Some(2), one("USD", 2, "140.00"), Some(0))
    );
    assert_eq!(
        find(&ex, "incomplete"),
        (Some(1), one("USD", 1, "100.00"), Some(0))
    );
    assert_eq!(
        find(&ex, "priced_by_invoices"),
        (Some(1), one("USD", 1, "150.00"), Some(0))
    );
    assert!(text.contains("140.00 USD"), "{text}");
    let (ex, _) = exclusions("snapshots_two_currencies", "2024-Q1", &[]);
    assert_eq!(
        find(&ex, "superseded"),
        (Some(2), one("EUR", 2, "700.00"), Some(0))
    );
    let (ex, text) = exclusions(
        "invoices_cancel",
        "2024-Q1",
        &["--from", "2024-01", "--to", "2024-05"],
    );
    let (rows, _, without) = find(&ex, "unknown_subscription");
    assert_eq!(without, rows);
    assert!(text.contains("carry no amount"), "{text}");
}

/// reactivation_any_gap: a returns in 2024-06 after four months at zero: a reactivation in
/// force, new under window:3, expansion under as-expansion.
#[test]
fn finance_names_the_reactivation_a_policy_would_reclassify() {
    let b = Bench::new("reactivation_any_gap", None);
    let id = b.publish("2024-Q2", &["--from", "2024-01", "--to", "2024-06"]);
    let j = b.review(&id, "finance", true).json();
    let alts = j["finance"]["policy_dependence"]
        .as_array()
        .expect("alternatives");
    let alt = |v: &str| {
        alts.iter()
            .find(|a| a["policy"] == "reactivation" && a["alternative"] == v)
            .expect("the alternative")
            .clone()
    };
    for (value, becomes) in [("as-expansion", "expansion"), ("window:3", "new")] {
        let a = alt(value);
        assert_eq!(a["in_force"], "any-gap");
        assert_eq!(a["customer_months"], 1, "{a}");
        let c = &a["changes"][0];
        assert_eq!(c["customer_id"], "a");
        assert_eq!(c["month"], "2024-06");
        assert_eq!(c["a"]["movement"], "reactivation");
        assert_eq!(c["b"]["movement"], becomes);
        assert_eq!(c["difference"], "100.00");
    }
    assert_eq!(
        alts.len(),
        2,
        "items.csv applies only the reactivation rule"
    );
}

/// invoices_past_due (NOTES.md): under keep:30 globex churns in April (unpaid 2024-03-26,
/// cancelled 2024-05-01, 30 days of grace from 2024-03-05); under churn it churns at once in
/// March (outside Q2), acme is out from 2024-03-20 to its payment on 2024-04-10 (reactivated
/// in April), hooli churns in June (past due 2024-06-20).
#[test]
fn finance_names_the_past_due_customers_keep_vs_churn() {
    let b = Bench::new("invoices_past_due", None);
    let id = b.publish("2024-Q2", &["--from", "2024-01", "--to", "2024-06"]);
    let j = b.review(&id, "finance", true).json();
    let a = j["finance"]["policy_dependence"]
        .as_array()
        .expect("alternatives")
        .iter()
        .find(|a| a["policy"] == "past_due" && a["alternative"] == "churn")
        .expect("past_due churn")
        .clone();
    assert_eq!(a["in_force"], "keep:30");
    let got: Vec<(String, String, Value, Value, String)> = a["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["customer_id"].as_str().unwrap_or("").to_string(),
                c["month"].as_str().unwrap_or("").to_string(),
                c["a"]["movement"].clone(),
                c["b"]["movement"].clone(),
                c["difference"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let s = |x: &str| x.to_string();
    assert_eq!(
        got,
        vec![
            (
                s("globex"),
                s("2024-04"),
                "churn".into(),
                Value::Null,
                s("200.00")
            ),
            (
                s("acme"),
                s("2024-04"),
                Value::Null,
                "reactivation".into(),
                s("100.00")
            ),
            (
                s("hooli"),
                s("2024-06"),
                Value::Null,
                "churn".into(),
                s("80.00")
            ),
        ]
    );
    assert_eq!(a["more"], 0);
    let forever = j["finance"]["policy_dependence"]
        .as_array()
        .expect("alternatives")
        .iter()
        .find(|a| a["alternative"] == "forever-only")
        .expect("forever-only")
        .clone();
    assert!(forever["error"].as_str().is_some(), "{forever}");
    let run = b.review(&id, "finance", false);
    insta::assert_snapshot!(stable(&run));
}

const SEGMENTS_TOML: &str = "segments = [\"segment\"]\n\n[review]\nchurn_threshold = \"250\"\n";

/// segments, 2024-Q1 (NOTES.md): megacorp contracts 500.00 (5,000 -> 4,500), corner-cafe
/// churns 300.00; nothing else churns or contracts. Above 250 both are listed, largest first;
/// above 400 only megacorp.
#[test]
fn success_lists_accounts_above_the_threshold_and_takes_notes() {
    let b = Bench::new("segments", Some(SEGMENTS_TOML));
    let id = b.publish("2024-Q1", &["--from", "2023-12", "--to", "2024-03"]);
    let j = b.review(&id, "success", true).json();
    let s = &j["success"];
    assert_eq!(s["churn_threshold"], "250");
    let listed: Vec<(Value, Value, Value, Value)> = s["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| {
            (
                a["customer_id"].clone(),
                a["movement"].clone(),
                a["amount"].clone(),
                a["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (
                "megacorp".into(),
                "contraction".into(),
                "500.00".into(),
                "awaiting a note".into()
            ),
            (
                "corner-cafe".into(),
                "churn".into(),
                "300.00".into(),
                "awaiting a note".into()
            ),
        ]
    );
    assert_eq!(s["below_threshold"]["accounts"], 0);
    // The explanation: megacorp's months from t0 (2023-12) on, its contraction in January.
    let ex = &s["accounts"][0]["explanation"];
    assert_eq!(ex["customer_id"], "megacorp");
    assert_eq!(ex["months"][0]["month"], "2023-12");
    assert_eq!(ex["months"][1]["movement"], "contraction");
    assert_eq!(ex["months"][1]["amount"], "500.00");
    insta::assert_snapshot!("success_awaiting", stable(&b.review(&id, "success", false)));

    b.nrr(&[
        "signoff",
        &id,
        "--role",
        "success",
        "--by",
        "Sam",
        "--note",
        "megacorp: budget cut, confirmed with the customer",
        "--note",
        "a remark about no one",
    ])
    .assert_code(0);
    let j = b.review(&id, "success", true).json();
    let a = &j["success"]["accounts"][0];
    assert_eq!(a["status"], "noted");
    assert_eq!(
        a["notes"][0]["text"],
        "budget cut, confirmed with the customer"
    );
    assert_eq!(a["notes"][0]["by"], "Sam");
    assert_eq!(j["success"]["accounts"][1]["status"], "awaiting a note");
    let run = b.review(&id, "success", false);
    let text = run.unwrapped();
    assert!(
        text.contains("note (success sign-off by Sam, 2026-01-01T00:00:00Z): budget cut"),
        "{text}"
    );
    assert!(text.contains("--note \"corner-cafe: ...\""), "{text}");
    assert!(!text.contains("--note \"megacorp: ...\""), "{text}");
    insta::assert_snapshot!("success_noted", stable(&run));

    // A higher threshold in another release's nrr.toml.
    let b = Bench::new("segments", Some("[review]\nchurn_threshold = \"400\"\n"));
    let id = b.publish("2024-Q1", &["--from", "2023-12", "--to", "2024-03"]);
    let j = b.review(&id, "success", true).json();
    let accounts = j["success"]["accounts"].as_array().expect("accounts");
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["customer_id"], "megacorp");
    assert_eq!(j["success"]["below_threshold"]["accounts"], 1);
    assert_eq!(j["success"]["below_threshold"]["amount"], "300.00");
}

/// A generated dataset cut by segment: the values listed are exactly those whose NRR or GRR
/// in report.json moved more than 5 points against 2025-Q1 or 2024-Q2, computed here from the
/// release's report.json.
#[test]
fn marketing_lists_the_segment_values_that_moved() {
    let b = Bench::empty();
    b.nrr(&[
        "generate",
        "--customers",
        "300",
        "--months",
        "30",
        "--seed",
        "3",
        "--out",
        "gen",
    ])
    .assert_code(0);
    std::fs::remove_dir(b.tmp.path().join("data")).expect("removing data/");
    std::fs::rename(b.tmp.path().join("gen"), b.tmp.path().join("data")).expect("data/");
    b.write("data/nrr.toml", "segments = [\"segment\"]\n");
    let id = b.publish("2025-Q2", &[]);
    let j = b.review(&id, "marketing", true).json();
    let m = &j["marketing"];
    assert_eq!(m["previous"]["period"], "2025-Q1");
    assert_eq!(m["year_earlier"]["period"], "2024-Q2");
    assert_eq!(m["previous"]["available"], true);

    let report: Value = serde_json::from_slice(
        &std::fs::read(
            b.tmp
                .path()
                .join("nrr-book/releases/2025-Q2-r1/report.json"),
        )
        .expect("report.json"),
    )
    .expect("JSON");
    let values = report["segment_cuts"][0]["values"]
        .as_object()
        .expect("segment values");
    let figure = |v: &str, period: &str, metric: &str| -> Option<f64> {
        values[v]["periods"]
            .as_array()?
            .iter()
            .find(|p| p["period"] == period)?[metric]
            .as_f64()
    };
    // Hand-checked: ent's NRR in 2025-Q2 is the report's, and it moved from 98.0% a year
    // earlier (+5.7 points).
    let ent = m["cuts"][0]["shifts"]
        .as_array()
        .expect("shifts")
        .iter()
        .find(|s| s["value"] == "ent" && s["metric"] == "nrr")
        .expect("ent NRR moved")
        .clone();
    assert_eq!(ent["now"].as_f64(), figure("ent", "2025-Q2", "nrr"));
    assert_eq!(
        ent["year_earlier"].as_f64(),
        figure("ent", "2024-Q2", "nrr")
    );
    assert_eq!(ent["now"], 1.037244);
    assert_eq!(ent["year_earlier"], 0.980344);
    // Every value and metric that moved more than 0.05, from report.json.
    let mut expected = Vec::new();
    for v in values.keys() {
        for metric in ["nrr", "grr"] {
            let now = figure(v, "2025-Q2", metric);
            let moved = ["2025-Q1", "2024-Q2"]
                .iter()
                .any(|p| match (now, figure(v, p, metric)) {
                    (Some(n), Some(o)) => ((n - o) * 1e6).round().abs() > 50_000.0,
                    _ => false,
                });
            if moved {
                expected.push(format!("{v} {metric}"));
            }
        }
    }
    let got: Vec<String> = m["cuts"][0]["shifts"]
        .as_array()
        .expect("shifts")
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["value"].as_str().unwrap_or(""),
                s["metric"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert!(!got.is_empty());
    insta::assert_snapshot!(stable(&b.review(&id, "marketing", false)));
}

/// The segments fixture: a year before 2024-Q1 is outside the window, which the packet says;
/// without a segment cut, it says so.
#[test]
fn marketing_says_when_there_is_nothing_to_compare() {
    let b = Bench::new("segments", Some(SEGMENTS_TOML));
    let id = b.publish("2024-Q1", &[]);
    let j = b.review(&id, "marketing", true).json();
    assert_eq!(j["marketing"]["year_earlier"]["period"], "2023-Q1");
    assert_eq!(j["marketing"]["year_earlier"]["available"], false);
    insta::assert_snapshot!(
        "marketing_outside_window",
        stable(&b.review(&id, "marketing", false))
    );

    let b = Bench::new("segments", None);
    let id = b.publish("2024-Q1", &[]);
    let run = b.review(&id, "marketing", false);
    assert!(
        run.unwrapped().contains("the release has no segment cut"),
        "{}",
        run.transcript()
    );
    assert_eq!(
        b.review(&id, "marketing", true).json()["marketing"]["cuts"],
        serde_json::json!([])
    );
}

/// A customer id holding a terminal escape and a line break churns above the threshold: the
/// packet prints it escaped.
#[test]
fn hostile_customer_id_prints_inert() {
    let b = Bench::empty();
    b.write(
        "data/items.csv",
        "customer_id,subscription_id,amount,currency,interval_months,start_date,end_date,kind\n\
         acme,acme-1,100.00,USD,1,2023-12-01,,recurring\n\
         \"evil\x1b]0;pwned\x07\nid\",e-1,2000.00,USD,1,2023-12-01,2024-03-01,recurring\n",
    );
    let id = b.publish("2024-Q1", &["--from", "2023-12", "--to", "2024-03"]);
    let run = b.review(&id, "success", false);
    assert!(!run.stdout.contains('\x1b') && !run.stdout.contains('\x07'));
    assert!(
        run.stdout.contains("evil\\u001b]0;pwned\\u0007\\nid"),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!(stable(&run));
    let j = b.review(&id, "success", true).json();
    assert_eq!(
        j["success"]["accounts"][0]["customer_id"],
        "evil\x1b]0;pwned\x07\nid"
    );
    assert_eq!(j["success"]["accounts"][0]["status"], "awaiting a note");

    // A note cannot hold the control characters, so it names the id as the packet shows it;
    // a name or note with a right-to-left override is refused, as a control character is.
    for (by, note) in [("Sam\u{202e}evil", "ok"), ("Sam", "ok\u{200b}")] {
        let args = [
            "signoff", &id, "--role", "success", "--by", by, "--note", note,
        ];
        let run = b.nrr(&args);
        run.assert_code(2);
        assert!(
            run.stderr.contains("expected one line of text"),
            "{}",
            run.stderr
        );
    }
    b.nrr(&[
        "signoff",
        &id,
        "--role",
        "success",
        "--by",
        "Sam",
        "--note",
        "evil\\u001b]0;pwned\\u0007\\nid: a test account, closed",
    ])
    .assert_code(0);
    let j = b.review(&id, "success", true).json();
    let a = &j["success"]["accounts"][0];
    assert_eq!(a["status"], "noted");
    assert_eq!(a["notes"][0]["text"], "a test account, closed");
}

/// An unknown release is a usage error; a role not among the release's [review] roles is shown
/// for information.
#[test]
fn unknown_release_and_roles_outside_the_review() {
    let b = Bench::new("segments", Some("[review]\nroles = [\"finance\"]\n"));
    let id = b.publish("2024-Q1", &[]);
    let run = b.nrr(&["review", "2023-Q4-r1", "--role", "finance"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("no release 2023-Q4-r1"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    b.nrr(&["review", &id, "--role", "legal"]).assert_code(2);
    let j = b.review(&id, "marketing", true).json();
    assert_eq!(j["review_role"], false);
    assert_eq!(j["roles"], serde_json::json!(["finance"]));
    let run = b.review(&id, "marketing", false);
    assert!(run
        .unwrapped()
        .contains("marketing is not a review role of this release"));
    assert_eq!(b.review(&id, "finance", true).json()["review_role"], true);
}
