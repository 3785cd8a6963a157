//! Reading whole Stripe exports: objects in memory and in files, void invoices, pauses.

use super::*;

#[test]
fn objects_in_memory_read_as_the_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/stripe_invoices");
    let opts = LoadOptions {
        currency: Some("USD".into()),
        ..LoadOptions::default()
    };
    let files = StripeFiles::beside(dir.join("subscriptions.json"), &dir).unwrap();
    let from_files = crate::load::stripe_input(&files.input(), Some(&dir), &opts).unwrap();
    let objects = |file: &str| -> Vec<Value> {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        match serde_json::from_str(&text).unwrap() {
            Value::Array(a) => a,
            v => v["data"].as_array().unwrap().clone(),
        }
    };
    // Subscriptions as parsed values, invoices as JSON text, the last one malformed.
    let subs: Vec<(u64, Json)> = objects("subscriptions.json")
        .into_iter()
        .enumerate()
        .map(|(i, v)| (i as u64 + 1, Json::Value(v)))
        .collect();
    let mut invs: Vec<(u64, Json)> = objects("invoices.json")
        .into_iter()
        .enumerate()
        .map(|(i, v)| (i as u64 + 1, Json::Text(v.to_string())))
        .collect();
    let n = invs.len() as u64;
    let input = StripeInput {
        subscriptions: Objects::Rows {
            name: "subs".into(),
            rows: subs,
        },
        invoices: Some(Objects::Rows {
            name: "invs".into(),
            rows: invs.clone(),
        }),
        credit_notes: None,
        refunds: None,
    };
    let from_rows = crate::load::stripe_input(&input, Some(&dir), &opts).unwrap();
    assert!(from_rows.rejections.is_empty());
    assert_eq!(from_rows.dataset.ledger, from_files.dataset.ledger);
    assert_eq!(from_rows.dataset.files, ["subs", "invs"]);
    assert_eq!(
        from_rows.dataset.lines.len(),
        from_files.dataset.lines.len()
    );
    invs.push((n + 1, Json::Text("{\"id\": \"in_x\",".into())));
    let input = StripeInput {
        invoices: Some(Objects::Rows {
            name: "invs".into(),
            rows: invs,
        }),
        ..input
    };
    let rej = crate::load::stripe_input(&input, Some(&dir), &opts)
        .unwrap()
        .rejections;
    assert_eq!(rej.len(), 1);
    assert_eq!((rej[0].file.as_str(), rej[0].line), ("invs", n + 1));
    assert!(rej[0].expected.starts_with("valid JSON"), "{:?}", rej[0]);
}

/// The lines of a `void` invoice show no service period (the bill was canceled): they are
/// excluded as `void_invoice`; a draft counts like any other bill.
#[test]
fn void_invoice_lines_show_no_service() {
    // 2024-01-01, 2024-02-01, 2024-03-01, 2024-04-01.
    let days = [
        1_704_067_200i64,
        1_706_745_600,
        1_709_251_200,
        1_711_929_600,
    ];
    let sub = |id: &str| {
        serde_json::json!({
            "id": format!("sub_{id}"), "object": "subscription", "customer": format!("cus_{id}"),
            "status": "canceled",
            "start_date": days[0], "created": days[0], "canceled_at": days[3],
            "ended_at": days[3], "current_period_start": days[2], "current_period_end": days[3],
            "items": {"data": [{"quantity": 1, "price": {
                "id": "price_m", "product": "prod", "currency": "usd", "unit_amount": 5000,
                "recurring": {"interval": "month", "interval_count": 1}}}]}
        })
    };
    let invoice = |id: &str, status: &str, month: usize| {
        let of = if id.starts_with("in_b") { "b" } else { "a" };
        serde_json::json!({
            "id": id, "object": "invoice", "customer": format!("cus_{of}"),
            "subscription": format!("sub_{of}"),
            "currency": "usd", "created": days[month], "status": status,
            "lines": {"data": [{"type": "subscription", "amount": 5000, "quantity": 1,
                "proration": false,
                "period": {"start": days[month], "end": days[month + 1]}}]}
        })
    };
    let rows = |vals: Vec<serde_json::Value>, name: &str| Objects::Rows {
        name: name.into(),
        rows: vals
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i as u64 + 1, Json::Value(v)))
            .collect(),
    };
    let input = StripeInput {
        // b's only invoice is void: it was never billed, and is not priced from its item.
        subscriptions: rows(vec![sub("a"), sub("b")], "subs"),
        invoices: Some(rows(
            vec![
                invoice("in_jan", "paid", 0),
                invoice("in_feb", "void", 1),
                invoice("in_mar", "draft", 2),
                invoice("in_b_jan", "void", 0),
            ],
            "invs",
        )),
        credit_notes: None,
        refunds: None,
    };
    let loaded = crate::load::stripe_input(&input, None, &LoadOptions::default()).unwrap();
    assert!(loaded.rejections.is_empty(), "{:?}", loaded.rejections);
    let ds = &loaded.dataset;
    let mut starts: Vec<String> = (0..ds.lines.len())
        .map(|i| ds.lines.start_date[i].to_string())
        .collect();
    starts.sort();
    assert_eq!(starts, ["2024-01-01", "2024-03-01"]);
    assert_eq!(ds.ledger.excluded.void_invoice, 2);
    // Two invoice lines; each subscription's item gives its status and events, and is
    // excluded as priced by its invoices.
    assert_eq!(ds.ledger.used, 2);
    assert_eq!(ds.ledger.excluded.priced_by_invoices, 2);
    assert!(ds.ledger.balances(), "{:?}", ds.ledger);
}

/// Stripe pauses a subscription whose trial ends without a payment method (`status:
/// paused`): it never paid, so no price was in force the day before the pause and
/// `--pauses keep` has nothing to keep (docs/policies.md, pauses; trials that do not
/// convert never make a customer). Fixture `stripe_status_paths`, globex.
#[test]
fn a_pause_from_the_end_of_a_trial_keeps_no_price() {
    // 2024-01-01, 2024-02-01, 2024-03-01, 2024-04-01, 2024-05-01.
    let (jan, feb, mar, apr, may) = (
        1_704_067_200i64,
        1_706_745_600i64,
        1_709_251_200i64,
        1_711_929_600i64,
        1_714_521_600i64,
    );
    let sub = |id: &str, status: &str, start: i64, trial: Option<(i64, i64)>, cps: i64| {
        serde_json::json!({
            "id": id, "object": "subscription", "customer": format!("cus_{id}"),
            "status": status, "start_date": start, "created": start,
            "current_period_start": cps, "current_period_end": cps + 2_678_400,
            "trial_start": trial.map(|t| t.0), "trial_end": trial.map(|t| t.1),
            "pause_collection": null,
            "items": {"data": [{"quantity": 1, "price": {
                "id": "price_m", "product": "prod", "currency": "usd", "unit_amount": 5000,
                "recurring": {"interval": "month", "interval_count": 1}}}]}
        })
    };
    // Paused at the end of its trial (current period from the trial's end).
    let paused_trial = sub("paused_trial", "paused", feb, Some((feb, mar)), mar);
    // The same with the pause taken to start at the trial's own period.
    let paused_trial_early = sub("paused_trial_early", "paused", feb, Some((feb, mar)), feb);
    // Collection paused from the trial's end until 04-01: priced from 04-01 only.
    let mut resumes = sub("resumes", "active", feb, Some((feb, mar)), mar);
    resumes["pause_collection"] = serde_json::json!({"behavior": "void", "resumes_at": apr});
    // Paid from 01-01, collection paused from 03-01: keeps its price (unchanged rule).
    let mut paid = sub("paid_then_paused", "active", jan, None, mar);
    paid["pause_collection"] = serde_json::json!({"behavior": "void", "resumes_at": null});
    // No trial, collection paused in its first period: that period was paid at its start,
    // so it keeps its price from 04-01 (the pause applies under --pauses).
    let mut first = sub("first_period_paused", "active", apr, None, apr);
    first["pause_collection"] = serde_json::json!({"behavior": "void", "resumes_at": null});
    // Sets the as-of date after every pause start.
    let clock = sub("clock", "active", jan, None, may);
    let rows = [
        paused_trial,
        paused_trial_early,
        resumes,
        paid,
        first,
        clock,
    ]
    .into_iter()
    .enumerate()
    .map(|(i, v)| (i as u64 + 1, Json::Value(v)))
    .collect();
    let input = StripeInput {
        subscriptions: Objects::Rows {
            name: "subs".into(),
            rows,
        },
        invoices: None,
        credit_notes: None,
        refunds: None,
    };
    let loaded = crate::load::stripe_input(&input, None, &LoadOptions::default()).unwrap();
    assert!(loaded.rejections.is_empty(), "{:?}", loaded.rejections);
    let ds = &loaded.dataset;
    let first_day = |customer: &str| -> Option<String> {
        let c = ds.customers.index_of(customer)?;
        (0..ds.lines.len())
            .filter(|&i| ds.lines.customer[i] == c)
            .map(|i| ds.lines.start_date[i])
            .min()
            .map(|d| d.to_string())
    };
    assert_eq!(first_day("cus_paused_trial"), None);
    assert_eq!(first_day("cus_paused_trial_early"), None);
    assert_eq!(first_day("cus_resumes").as_deref(), Some("2024-04-01"));
    assert_eq!(
        first_day("cus_paid_then_paused").as_deref(),
        Some("2024-01-01")
    );
    assert_eq!(first_day("cus_clock").as_deref(), Some("2024-01-01"));
    assert_eq!(
        first_day("cus_first_period_paused").as_deref(),
        Some("2024-04-01")
    );
    assert_eq!(ds.ledger.excluded.trial, 2);
    assert_eq!(ds.ledger.used, 4);

    // `--pauses zero`: a pause before the first paid day pauses nothing (its first MRR
    // is new, not resumed); the pause of a paying subscription is still one.
    let mut opts = LoadOptions::default();
    opts.invoice_policies.pauses = nrr_core::policy::Pauses::Zero;
    let ds = crate::load::stripe_input(&input, None, &opts)
        .unwrap()
        .dataset;
    let paused: Vec<&str> = ds
        .pauses
        .iter()
        .map(|p| ds.customers.get(p.customer as usize))
        .collect();
    assert_eq!(paused, ["cus_paid_then_paused", "cus_first_period_paused"]);
}
