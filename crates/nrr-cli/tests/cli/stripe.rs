//! Stripe exports (subscriptions.json / .jsonl, invoices.json): bad input names the file, the
//! object's line, the object id and the JSON path of the field.
use super::*;

/// A valid subscription object on one line, with `{price}` and `{extra}` to fill in.
fn sub(id: &str, fields: &str, price: &str) -> String {
    format!(
        r#"{{"id": "{id}", "object": "subscription", "customer": "cus_1", "status": "active", "start_date": 1704067200, "current_period_start": 1706745600, "current_period_end": 1709251200{fields}, "items": {{"object": "list", "data": [{{"id": "si_1", "quantity": 1{price}}}]}}}}"#
    )
}

const PRICE: &str = r#", "price": {"id": "price_1", "product": "prod_1", "currency": "usd", "unit_amount": 10000, "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"}}"#;

/// `data/subscriptions.json`: an array holding a good subscription and then `objects`,
/// one per line.
fn subs(objects: &[String]) -> TempDir {
    let mut lines = vec!["[".to_string(), format!("{},", sub("sub_good", "", PRICE))];
    let n = objects.len();
    for (i, o) in objects.iter().enumerate() {
        lines.push(if i + 1 < n {
            format!("{o},")
        } else {
            o.clone()
        });
    }
    if n == 0 {
        lines[1].pop();
    }
    lines.push("]".into());
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    data_dir(&[("subscriptions.json", &refs)])
}

#[test]
fn malformed_json() {
    let tmp = data_dir(&[(
        "subscriptions.json",
        &[
            "[",
            &format!("{},", sub("sub_1", "", PRICE)),
            r#"{"id": "sub_2" "status": "active"}"#,
            "]",
        ],
    )]);
    insta::assert_snapshot!(rejected(&tmp, &[]));
}

#[test]
fn malformed_jsonl_line() {
    let good = sub("sub_1", "", PRICE);
    let tmp = data_dir(&[(
        "subscriptions.jsonl",
        &[&good, r#"{"id": "sub_2", "status": "active""#],
    )]);
    insta::assert_snapshot!(rejected(&tmp, &[]));
}

#[test]
fn unknown_status() {
    let tmp = subs(&[sub("sub_2", "", PRICE).replace("\"active\"", "\"expired\"")]);
    insta::assert_snapshot!(rejected(&tmp, &[]));
}

#[test]
fn unknown_interval() {
    let tmp = subs(&[sub(
        "sub_123",
        "",
        &PRICE.replace("\"month\"", "\"fortnight\""),
    )]);
    insta::assert_snapshot!(rejected(&tmp, &[]));
}

#[test]
fn period_end_before_start() {
    let tmp = subs(&[sub("sub_2", "", PRICE).replace("1709251200", "1704067200")]);
    insta::assert_snapshot!(rejected(&tmp, &[]));
}

#[test]
fn missing_price() {
    let tmp = subs(&[sub("sub_2", "", "")]);
    insta::assert_snapshot!(rejected(&tmp, &[]));
}

#[test]
fn invoice_line_period_end_before_start() {
    let tmp = subs(&[]);
    let inv = r#"[{"id": "in_1", "customer": "cus_1", "subscription": "sub_good", "currency": "usd", "created": 1704067200, "lines": {"data": [{"id": "il_1", "type": "subscription", "amount": 10000, "quantity": 1, "period": {"start": 1706745600, "end": 1704067200}}]}}]"#;
    std::fs::write(tmp.path().join("data/invoices.json"), inv).unwrap();
    insta::assert_snapshot!(rejected(&tmp, &[]));
}

/// A credit note with a wrong object type, one with a negative amount and a malformed
/// line of refunds.jsonl: each a rejection naming the file, line, id and JSON path.
#[test]
fn bad_credit_note() {
    let tmp = subs(&[]);
    let notes = [
        "[",
        r#"{"id": "cn_1", "object": "credit_note", "amount": 1000, "currency": "usd", "created": 1706745600},"#,
        r#"{"id": "re_1", "object": "refund", "amount": 1000, "currency": "usd", "created": 1706745600},"#,
        r#"{"id": "cn_3", "object": "credit_note", "amount": -500, "currency": "usd", "created": 1706745600}"#,
        "]",
    ];
    std::fs::write(tmp.path().join("data/credit_notes.json"), notes.join("\n")).unwrap();
    let refunds = r#"{"id": "re_2", "object": "refund", "amount": 1000 "currency": "usd"}"#;
    std::fs::write(tmp.path().join("data/refunds.jsonl"), refunds).unwrap();
    insta::assert_snapshot!(rejected(&tmp, &[]));
    // With --skip-invalid the good credit note is counted as excluded `credit`.
    let run = nrr_in(
        tmp.path(),
        &["report", "data", "--skip-invalid", "--format", "json"],
    );
    run.assert_code(0);
    let j = run.json();
    assert_eq!(
        j["inputs"],
        serde_json::json!(["subscriptions.json", "credit_notes.json", "refunds.jsonl"])
    );
    assert_eq!(j["rows"]["read"], 5, "{}", run.transcript());
    assert_eq!(j["rows"]["rejected"], 3);
    assert_eq!(j["rows"]["excluded"]["credit"], 1);
    assert_eq!(j["months"][0]["closing_mrr"], "100.00");
}

/// `--timezone` decides the month of a timestamp near midnight: 2024-03-31T22:30:00Z is
/// 2024-04-01 00:30 in Europe/Paris (summer time since that morning), 2024-03-31 in UTC
/// and at +01:00 (Paris's winter offset).
#[test]
fn named_timezone_decides_the_month() {
    let start = 1_711_924_200; // 2024-03-31T22:30:00Z
    let end = 1_714_516_200; // 2024-04-30T22:30:00Z
    let obj = format!(
        r#"[{{"id": "sub_paris", "object": "subscription", "customer": "cus_paris", "status": "active", "start_date": {start}, "current_period_start": {start}, "current_period_end": {end}, "items": {{"data": [{{"id": "si_1", "quantity": 1{PRICE}}}]}}}}]"#
    );
    let tmp = data_dir(&[("subscriptions.json", &[&obj])]);
    let new_in = |tz: &str| {
        let window = ["--from", "2024-03", "--to", "2024-04", "--format", "json"];
        let mut args = vec!["report", "data", "--timezone", tz];
        args.extend(window);
        let run = nrr_in(tmp.path(), &args);
        run.assert_code(0);
        let months = run.json()["months"].clone();
        let new: Vec<(String, String)> = months
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let s = |k: &str| m[k].as_str().unwrap().to_string();
                (s("month"), s("new"))
            })
            .collect();
        new
    };
    let march = vec![
        ("2024-03".to_string(), "100.00".to_string()),
        ("2024-04".to_string(), "0.00".to_string()),
    ];
    let april = vec![
        ("2024-03".to_string(), "0.00".to_string()),
        ("2024-04".to_string(), "100.00".to_string()),
    ];
    assert_eq!(new_in("UTC"), march);
    assert_eq!(new_in("+01:00"), march);
    assert_eq!(new_in("Europe/Paris"), april);
    assert_eq!(new_in("+02:00"), april);
    // A name that is no zone is a usage error naming the accepted forms.
    let bad = ["report", "data", "--timezone", "Europe/Pariss"];
    let run = nrr_in(tmp.path(), &bad);
    run.assert_code(2);
    assert!(
        run.stderr.contains("IANA time zone name like Europe/Paris"),
        "{}",
        run.transcript()
    );
}

#[test]
fn good_export_is_detected_and_reported() {
    let tmp = subs(&[]);
    let run = nrr_in(tmp.path(), &["report", "data", "--format", "json"]);
    run.assert_code(0);
    let j = run.json();
    assert_eq!(j["inputs"], serde_json::json!(["subscriptions.json"]));
    assert_eq!(
        j["months"][0]["closing_mrr"],
        "100.00",
        "{}",
        run.transcript()
    );
    // --source stripe picks it too; --timezone is for Stripe only.
    let run = nrr_in(
        tmp.path(),
        &[
            "check",
            "data",
            "--source",
            "stripe",
            "--timezone",
            "+02:00",
        ],
    );
    run.assert_code(0);
    let tmp2 = items(&[]);
    for tz in ["+02:00", "Europe/Paris"] {
        let run = nrr_in(tmp2.path(), &["report", "data", "--timezone", tz]);
        run.assert_code(2);
        assert!(
            run.stderr.contains("Stripe exports only"),
            "{}",
            run.transcript()
        );
    }
}

/// A Stripe export beside items.csv: two kinds of input, `--source` picks one.
#[test]
fn stripe_and_items_together_need_source() {
    let tmp = subs(&[]);
    write_data(&tmp, "items.csv", &[ITEMS_HEADER, GOOD_ROW]);
    let picks: &[(&str, &[&str])] = &[
        ("stripe", &["subscriptions.json"]),
        ("items", &["items.csv"]),
    ];
    let found = ["items.csv", "subscriptions.json"];
    insta::assert_snapshot!(needs_source(&tmp, &found, picks));
}
