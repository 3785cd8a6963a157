//! subscription_snapshots.csv and revenue_movements.csv: a bad row of either is rejected naming
//! the file, line, column, value and what was expected (exit 1 from `report` and `check`).
use super::*;

/// `data/subscription_snapshots.csv` and `data/revenue_movements.csv`, each with its
/// header, a good row (acme, January) and then `snaps` / `moves`: a bad row is at line 3.
fn snapshot_data(snaps: &[&str], moves: &[&str]) -> TempDir {
    let mut s = vec![
        "account_id,snapshot_date,mrr,currency",
        "acme,2024-01-31,100.00,USD",
    ];
    s.extend_from_slice(snaps);
    let mut m = vec![
        "account_id,movement_date,movement_type,mrr_change",
        "acme,2024-01-15,new,100.00",
    ];
    m.extend_from_slice(moves);
    data_dir(&[
        ("subscription_snapshots.csv", &s),
        ("revenue_movements.csv", &m),
    ])
}

/// `name: [snapshot rows], [movement rows] => the rejection line shown`.
macro_rules! snapshot_rejections {
        ($($name:ident: [$($s:expr),*], [$($m:expr),*] => $shown:expr;)*) => {
            $(
                #[test]
                fn $name() {
                    let tmp = snapshot_data(&[$($s),*], &[$($m),*]);
                    let transcript = rejected(&tmp, &[]);
                    assert!(transcript.contains($shown), "{transcript}");
                    insta::assert_snapshot!(concat!("snapshots_", stringify!($name)), transcript);
                }
            )*
        };
    }

snapshot_rejections! {
    snapshot_date_not_a_day: ["beta,2024-02-30,10.00,USD"], []
        => "subscription_snapshots.csv:3:snapshot_date: `2024-02-30`: expected a calendar date YYYY-MM-DD that exists";
    mrr_with_decimal_comma: ["beta,2024-01-31,\"12,50\",USD"], []
        => "subscription_snapshots.csv:3:mrr: `12,50`: expected a decimal number >= 0";
    mrr_negative: ["beta,2024-01-31,-5.00,USD"], []
        => "subscription_snapshots.csv:3:mrr: `-5.00`: expected a decimal number >= 0";
    empty_account: [",2024-01-31,10.00,USD"], []
        => "subscription_snapshots.csv:3:account_id: ``: expected a non-empty account id";
    unknown_movement_type: [], ["acme,2024-02-10,upgrade,10.00"]
        => "revenue_movements.csv:3:movement_type: `upgrade`: expected new, reactivation, expansion, contraction or churn";
    churn_with_positive_change: [], ["acme,2024-02-10,churn,100.00"]
        => "revenue_movements.csv:3:mrr_change: `100.00`: expected the change in MRR, a decimal < 0 for churn";
    expansion_with_negative_change: [], ["acme,2024-02-10,expansion,-20.00"]
        => "revenue_movements.csv:3:mrr_change: `-20.00`: expected the change in MRR, a decimal > 0 for expansion";
}

/// `check --format json` lists the rejections of both files with their fields; movement
/// rows are not revenue rows, so only the snapshot row counts in the ledger.
#[test]
fn rejections_of_both_files_in_check_json() {
    let tmp = snapshot_data(
        &["beta,2024-02-30,10.00,USD"],
        &["acme,2024-02-10,contraction,0"],
    );
    let run = nrr_in(tmp.path(), &["check", "data", "--format", "json"]);
    run.assert_code(1);
    let j = run.json();
    let fields = |r: &Value| -> [String; 4] {
        ["file", "line", "column", "value"].map(|k| match &r[k] {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        })
    };
    let rejections = j["rejections"].as_array().expect("rejections");
    let got: Vec<[String; 4]> = rejections.iter().map(fields).collect();
    assert_eq!(
        got,
        [
            [
                "subscription_snapshots.csv",
                "3",
                "snapshot_date",
                "2024-02-30"
            ],
            ["revenue_movements.csv", "3", "mrr_change", "0"],
        ],
        "{}",
        run.transcript()
    );
    assert!(rejections[1]["expected"]
        .as_str()
        .is_some_and(|e| e.contains("< 0 for contraction")));
    assert_eq!(j["rows"]["read"], 2);
    assert_eq!(j["rows"]["rejected"], 1);
}

/// subscription_snapshots.csv beside invoices.csv: two kinds of input, `--source` picks
/// one (the snapshots with their movements file).
#[test]
fn snapshots_and_invoices_together_need_source() {
    let tmp = snapshot_data(&[], &[]);
    write_data(&tmp, "invoices.csv", &[invoices::HEADER, invoices::GOOD]);
    let picks: &[(&str, &[&str])] = &[
        (
            "snapshots",
            &["subscription_snapshots.csv", "revenue_movements.csv"],
        ),
        ("invoices", &["invoices.csv"]),
    ];
    let found = ["invoices.csv", "subscription_snapshots.csv"];
    insta::assert_snapshot!(needs_source(&tmp, &found, picks));
}

/// Issue 15's example (fixture `snapshots_first_of_month_close`): every snapshot dated on
/// the 1st of a month.
const FIRST_OF_MONTH: &str = "tests/fixtures/snapshots_first_of_month_close";
/// Some snapshots on the 1st, some mid-month (fixture `snapshots_mixed_dates_close`).
const MIXED: &str = "tests/fixtures/snapshots_mixed_dates_close";

/// The start of the note about the reading.
const NOTE: &str = "note: every snapshot_date is the first day of a month, read as the MRR \
                        at the close of that day (--snapshot-date close, the default)";

/// Not given, every date a 1st: the table says how the dates were read, how to switch,
/// and how many account-months agree under each reading; the policies line and the
/// movement section name the readings.
#[test]
fn first_of_month_dates_are_noted_in_the_table() {
    let run = nrr(&["report", FIRST_OF_MONTH, "--currency", "USD"]);
    run.assert_code(0);
    for needle in [
        NOTE,
        "pass --snapshot-date open: 2026-01-01 is then the closing MRR of 2025-12",
        "revenue_movements: 0 account-months agree and 6 disagree as read; with \
             --snapshot-date open, 3 agree and 0 disagree",
        "snapshot month-end, snapshot-date close",
        "with --snapshot-date open instead: 3 account-months would agree, 0 would disagree",
    ] {
        assert!(
            run.unwrapped().contains(needle),
            "{needle}:\n{}",
            run.transcript()
        );
    }
    insta::assert_snapshot!(run.transcript());
}

/// `nrr check` shows the same note, before the movement check.
#[test]
fn first_of_month_dates_are_noted_by_check() {
    let run = nrr(&["check", FIRST_OF_MONTH, "--currency", "USD"]);
    run.assert_code(0);
    assert!(run.stdout.contains(NOTE), "{}", run.transcript());
    insta::assert_snapshot!(run.transcript());
    let json = nrr(&[
        "check",
        FIRST_OF_MONTH,
        "--currency",
        "USD",
        "--format",
        "json",
    ]);
    json.assert_code(0);
    let j = json.json();
    assert_eq!(j["notices"].as_array().map(Vec::len), Some(1), "{j}");
    assert_eq!(
        j["movement_check"]["other_reading"],
        serde_json::json!({"snapshot_date": "open", "agreeing": 3, "disagreeing": 0})
    );
}

/// JSON `notices` holds the note; CSV ends every row with it in a `notices` column, after
/// the documented columns, and stays parseable.
#[test]
fn first_of_month_note_in_json_and_csv() {
    let json = nrr(&[
        "report",
        FIRST_OF_MONTH,
        "--currency",
        "USD",
        "--format",
        "json",
    ]);
    json.assert_code(0);
    let j = json.json();
    let notices: Vec<&str> = j["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(notices.len(), 1, "{j}");
    assert!(
        notices[0].starts_with(&NOTE["note: ".len()..]),
        "{}",
        notices[0]
    );
    let csv = nrr(&[
        "report",
        FIRST_OF_MONTH,
        "--currency",
        "USD",
        "--format",
        "csv",
    ]);
    csv.assert_code(0);
    let mut reader = csv::ReaderBuilder::new().from_reader(csv.stdout.as_bytes());
    let header = reader.headers().expect("a header").clone();
    let columns: Vec<&str> = header.iter().collect();
    assert_eq!(columns[columns.len() - 2..], ["notes", "notices"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert_eq!(rows.len(), 2, "{}", csv.stdout);
    for row in &rows {
        assert_eq!(row.len(), columns.len());
        assert_eq!(row.get(columns.len() - 1), Some(notices[0]));
    }
}

/// `--snapshot-date open`: 2026-01-01 is December's closing MRR, so January shows the
/// template's figures and every movement agrees; no note, as the reading was chosen.
#[test]
fn snapshot_date_open_reads_the_day_before() {
    let args = [
        "report",
        FIRST_OF_MONTH,
        "--currency",
        "USD",
        "--snapshot-date",
        "open",
    ];
    let run = nrr(&args);
    run.assert_code(0);
    assert!(!run.stdout.contains("note:"), "{}", run.transcript());
    insta::assert_snapshot!(run.transcript());
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let j = nrr(&json_args).json();
    assert!(j.get("notices").is_none(), "{j}");
    assert_eq!(j["policies"]["snapshot_date"], "open");
    assert_eq!(j["movement_check"]["agreeing"], 3);
    let csv = nrr(&[&args[..], &["--format", "csv"]].concat());
    let header = csv.stdout.lines().next().unwrap_or_default();
    assert!(header.ends_with(",notes"), "no notices column: {header}");
}

/// `--snapshot-date close` given: the same figures as the default, without the note.
#[test]
fn snapshot_date_close_given_is_not_noted() {
    let json = |more: &[&str]| {
        let mut args = vec!["report", FIRST_OF_MONTH, "--currency", "USD"];
        args.extend_from_slice(more);
        args.extend(["--format", "json"]);
        nrr(&args).json()
    };
    let (mut given, mut default) = (json(&["--snapshot-date", "close"]), json(&[]));
    assert!(given.get("notices").is_none(), "{given}");
    assert!(default.get("notices").is_some(), "{default}");
    // The echo of the settings differs too: `policies.snapshot_date` is a flag in one.
    for key in ["notices", "settings"] {
        given[key] = Value::Null;
        default[key] = Value::Null;
    }
    assert_eq!(given, default);
}

/// A table with mid-month dates as well is not noted (not every date is a 1st), but the
/// movement check still says how the other reading would fare.
#[test]
fn mixed_dates_are_not_noted_but_both_readings_are_checked() {
    let run = nrr(&["report", MIXED, "--currency", "USD", "--format", "json"]);
    run.assert_code(0);
    let j = run.json();
    assert!(j.get("notices").is_none(), "{j}");
    assert_eq!(j["movement_check"]["agreeing"], 2);
    assert_eq!(
        j["movement_check"]["other_reading"],
        serde_json::json!({"snapshot_date": "open", "agreeing": 5, "disagreeing": 0})
    );
}

/// Month-end dates: nothing to note, and no other reading (both give the same months).
#[test]
fn month_end_dates_have_no_note_and_no_other_reading() {
    let dir = "tests/fixtures/snapshots_movements_agree";
    let j = nrr(&["report", dir, "--format", "json"]).json();
    assert!(j.get("notices").is_none(), "{j}");
    assert!(j["movement_check"].get("other_reading").is_none(), "{j}");
    assert_eq!(j["policies"]["snapshot_date"], "close");
    let open = nrr(&["report", dir, "--format", "json", "--snapshot-date", "open"]).json();
    assert_eq!(open["months"], j["months"]);
}

/// `--snapshot-date open` applies to subscription_snapshots only (usage error, exit 2);
/// `close`, the default, is accepted everywhere; a value other than close or open is a
/// usage error too.
#[test]
fn snapshot_date_open_with_other_inputs_is_a_usage_error() {
    let tmp = items(&[]);
    let run = nrr_in(tmp.path(), &["report", "data", "--snapshot-date", "open"]);
    run.assert_code(2);
    insta::assert_snapshot!(run.transcript());
    nrr_in(tmp.path(), &["report", "data", "--snapshot-date", "close"]).assert_code(0);
    let bad = nrr_in(tmp.path(), &["report", "data", "--snapshot-date", "start"]);
    bad.assert_code(2);
    assert!(
        bad.stderr.contains("[possible values: close, open]"),
        "{}",
        bad.transcript()
    );
}

/// `--help` of every command that reads data documents the flag and its values.
#[test]
fn help_documents_snapshot_date() {
    for cmd in ["report", "check", "explain", "cohorts"] {
        let run = nrr(&[cmd, "--help"]);
        run.assert_code(0);
        for needle in ["--snapshot-date <close|open>", "December's closing MRR"] {
            assert!(
                run.stdout.contains(needle),
                "`nrr {cmd} --help` does not mention {needle}:\n{}",
                run.stdout
            );
        }
    }
}
