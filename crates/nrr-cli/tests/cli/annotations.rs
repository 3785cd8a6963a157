//! annotations.csv: notes travel with the figures in every format; `nrr explain` shows them; bad rows.

use super::*;

const ITEMS: &[&str] = &[
    "customer_id,amount,start_date,end_date",
    "acme,100.00,2024-01-01,",
    "globex,50.00,2024-01-01,2024-03-01",
];

fn data(notes: &[&str]) -> TempDir {
    data_dir(&[("items.csv", ITEMS), ("annotations.csv", notes)])
}

const NOTES: &[&str] = &[
    "period,customer_id,note",
    "2024-03,globex,Moved to an in-house tool",
    "2024-Q1,,Price list unchanged",
    "2024-03,,Billing migration",
];

#[test]
fn notes_travel_with_the_figures_in_every_format() {
    let tmp = data(NOTES);
    let args = ["report", "data", "--from", "2024-01", "--to", "2024-03"];
    let table = nrr_in(tmp.path(), &args);
    table.assert_code(0);
    insta::assert_snapshot!(table.transcript());

    let json = nrr_in(tmp.path(), &[&args[..], &["--format", "json"]].concat()).json();
    let march = &json["months"][2];
    assert_eq!(march["month"], "2024-03");
    assert_eq!(march["notes"][0]["customer_id"], "globex");
    assert_eq!(march["notes"][1]["note"], "Billing migration");
    let q1 = json["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["period"] == "2024-Q1")
        .unwrap();
    assert_eq!(q1["notes"][0]["note"], "Price list unchanged");
    assert!(
        json["months"][0].get("notes").is_none(),
        "no notes key without notes"
    );

    let csv = nrr_in(tmp.path(), &[&args[..], &["--format", "csv"]].concat());
    let q1_line = csv
        .stdout
        .lines()
        .find(|l| l.starts_with("2024-Q1,"))
        .unwrap();
    assert!(q1_line.ends_with(",Price list unchanged"), "{q1_line}");
    assert!(csv.stdout.lines().next().unwrap().ends_with(",notes"));
}

#[test]
fn explain_shows_the_customer_and_general_notes() {
    let tmp = data(NOTES);
    let run = nrr_in(
        tmp.path(),
        &[
            "explain",
            "data",
            "--customer",
            "globex",
            "--from",
            "2024-01",
            "--to",
            "2024-03",
        ],
    );
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("# globex: Moved to an in-house tool | Billing migration"),
        "{}",
        run.stdout
    );
    let acme = nrr_in(
        tmp.path(),
        &["explain", "data", "--customer", "acme", "--format", "json"],
    )
    .json();
    let march = acme["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == "2024-03")
        .unwrap();
    assert_eq!(
        march["notes"].as_array().unwrap().len(),
        1,
        "only the general note for acme"
    );
}

#[test]
fn bad_annotation_rows_are_rejected() {
    let tmp = data(&[
        "period,customer_id,note",
        "2024-13,,x",
        "2024-Q5,,y",
        "2024-02,,",
    ]);
    let run = nrr_in(tmp.path(), &["report", "data"]);
    run.assert_code(1);
    insta::assert_snapshot!(run.transcript());
}
