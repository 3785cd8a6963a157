//! invoices.csv and subscription_events.csv: the fixtures under the policies their folders do
//! not run, the row ledger, how invoice lines become core lines, and source detection.

use nrr_core::date::{Date, Month};
use nrr_core::engine::{compute, Options};
use nrr_core::policy::{
    ChurnRecognition, Discounts, FullRefunds, InvoicePolicies, PastDue, Pauses,
};
use nrr_io::{load, IoError, LoadOptions, Source};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

fn with(p: InvoicePolicies) -> LoadOptions {
    LoadOptions {
        invoice_policies: p,
        ..LoadOptions::default()
    }
}

/// Each month's (month, new, reactivation, expansion, contraction, churn, closing, customers)
/// as displayed.
fn months(dir: &Path, opts: &LoadOptions, from: &str, to: &str) -> Vec<String> {
    let loaded = load(dir, opts).unwrap();
    assert!(loaded.rejections.is_empty(), "{:?}", loaded.rejections);
    let report = compute(
        &loaded.dataset,
        &Options {
            from: Month::parse(from),
            to: Month::parse(to),
            ..Options::default()
        },
    )
    .unwrap();
    report
        .months
        .iter()
        .map(|m| {
            format!(
                "{} new {} react {} exp {} contr {} churn {} close {} n {}",
                m.month,
                m.new,
                m.reactivation,
                m.expansion,
                m.contraction,
                m.churn,
                m.closing_mrr,
                m.customers
            )
        })
        .collect()
}

/// The at-request column of tests/fixtures/invoices_cancel/NOTES.md.
#[test]
fn cancel_fixture_at_request() {
    let opts = with(InvoicePolicies {
        churn_recognition: ChurnRecognition::AtRequest,
        ..InvoicePolicies::default()
    });
    assert_eq!(
        months(&fixture("invoices_cancel"), &opts, "2024-01", "2024-05"),
        [
            "2024-01 new 550.00 react 0.00 exp 0.00 contr 0.00 churn 0.00 close 550.00 n 5",
            "2024-02 new 0.00 react 0.00 exp 0.00 contr 0.00 churn 100.00 close 450.00 n 4",
            "2024-03 new 0.00 react 0.00 exp 0.00 contr 0.00 churn 200.00 close 250.00 n 3",
            "2024-04 new 0.00 react 0.00 exp 0.00 contr 0.00 churn 120.00 close 130.00 n 2",
            "2024-05 new 0.00 react 0.00 exp 0.00 contr 0.00 churn 0.00 close 130.00 n 2",
        ]
    );
}

/// The keep column of tests/fixtures/invoices_past_due/NOTES.md.
#[test]
fn past_due_fixture_kept() {
    let opts = with(InvoicePolicies {
        past_due: PastDue::Keep,
        ..InvoicePolicies::default()
    });
    assert_eq!(
        months(&fixture("invoices_past_due"), &opts, "2024-01", "2024-06"),
        [
            "2024-01 new 430.00 react 0.00 exp 0.00 contr 0.00 churn 0.00 close 430.00 n 4",
            "2024-02 new 0.00 react 0.00 exp 0.00 contr 0.00 churn 0.00 close 430.00 n 4",
            "2024-03 new 0.00 react 0.00 exp 0.00 contr 0.00 churn 0.00 close 430.00 n 4",
            "2024-04 new 0.00 react 0.00 exp 0.00 contr 0.00 churn 0.00 close 430.00 n 4",
            "2024-05 new 0.00 react 0.00 exp 0.00 contr 0.00 churn 200.00 close 230.00 n 3",
            "2024-06 new 0.00 react 0.00 exp 0.00 contr 0.00 churn 0.00 close 230.00 n 3",
        ]
    );
}

/// A shorter grace turns acme's 21-day delinquency into churn and reactivation.
#[test]
fn past_due_fixture_with_a_short_grace() {
    let opts = with(InvoicePolicies {
        past_due: PastDue::KeepDays(7),
        ..InvoicePolicies::default()
    });
    let got = months(&fixture("invoices_past_due"), &opts, "2024-01", "2024-06");
    // acme: past due 03-20, +7 = 03-27, resumed 04-10: out on 03-31, back in April.
    // initech: past due 02-10, +7 = 02-17, resumed 04-15: out in Feb and March.
    // globex: past due 03-05, +7 = 03-12, never recovered.
    // hooli: past due 06-20, +7 = 06-27 is after the as-of date 06-01: still in grace.
    assert_eq!(
        got,
        [
            "2024-01 new 430.00 react 0.00 exp 0.00 contr 0.00 churn 0.00 close 430.00 n 4",
            "2024-02 new 0.00 react 0.00 exp 0.00 contr 0.00 churn 50.00 close 380.00 n 3",
            "2024-03 new 0.00 react 0.00 exp 0.00 contr 0.00 churn 300.00 close 80.00 n 1",
            "2024-04 new 0.00 react 150.00 exp 0.00 contr 0.00 churn 0.00 close 230.00 n 3",
            "2024-05 new 0.00 react 0.00 exp 0.00 contr 0.00 churn 0.00 close 230.00 n 3",
            "2024-06 new 0.00 react 0.00 exp 0.00 contr 0.00 churn 0.00 close 230.00 n 3",
        ]
    );
}

/// Fixtures without events or discounts give the same figures under every policy: the
/// policies act only on what they name.
#[test]
fn policies_change_nothing_where_there_is_nothing_to_apply() {
    let other = with(InvoicePolicies {
        churn_recognition: ChurnRecognition::AtRequest,
        discounts: Discounts::None,
        past_due: PastDue::Churn,
        pauses: Pauses::Churn,
        full_refunds: FullRefunds::EndService,
    });
    for (name, from, to) in [
        ("invoices_intervals", "2024-01", "2024-04"),
        ("invoices_proration", "2023-12", "2024-04"),
        ("invoices_refund_credit_trial", "2024-01", "2024-04"),
        ("invoices_two_subscriptions", "2024-01", "2024-04"),
    ] {
        let dir = fixture(name);
        assert_eq!(
            months(&dir, &LoadOptions::default(), from, to),
            months(&dir, &other, from, to),
            "{name}"
        );
    }
    let usd = |p| LoadOptions {
        currency: Some("USD".into()),
        ..with(p)
    };
    let dir = fixture("invoices_fx");
    assert_eq!(
        months(&dir, &usd(InvoicePolicies::default()), "2024-01", "2024-04"),
        months(
            &dir,
            &usd(InvoicePolicies {
                discounts: Discounts::None,
                churn_recognition: ChurnRecognition::AtCancellation,
                ..InvoicePolicies::default()
            }),
            "2024-01",
            "2024-04"
        ),
    );
}

#[test]
fn every_invoice_fixture_balances_its_ledger() {
    let root = fixture("");
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("invoices.csv").exists() {
            continue;
        }
        let opts = LoadOptions {
            currency: Some("USD".into()),
            ..LoadOptions::default()
        };
        let loaded = load(&dir, &opts).unwrap();
        let l = &loaded.dataset.ledger;
        assert!(l.balances(), "{}: {l:?}", dir.display());
        assert!(loaded.invoice_policies.is_some());
    }
}

/// Consecutive invoices at one price are one line; weekly prices become amount x 13 over
/// 3 months per week; a proration moves the start of the renewal it matches.
#[test]
fn invoices_become_few_exact_lines() {
    let loaded = load(&fixture("invoices_intervals"), &LoadOptions::default()).unwrap();
    let ds = &loaded.dataset;
    let lines_of = |id: &str| -> Vec<(String, u32, Option<Date>, String)> {
        let c = ds.customer_index(id).unwrap();
        (0..ds.lines.len())
            .filter(|&i| ds.lines.customer[i] == c)
            .map(|i| {
                (
                    ds.lines.start_date[i].to_string(),
                    ds.lines.interval[i],
                    ds.lines.end_date[i],
                    ds.describe(ds.lines.origin[i]),
                )
            })
            .collect()
    };
    // acme: four monthly invoices, one open line from its first row.
    assert_eq!(
        lines_of("acme"),
        [("2024-01-01".into(), 1, None, "invoices.csv:2".into())]
    );
    // hooli: eight weekly invoices, one line at 3 months per (70 x 13) ending 2024-04-01.
    assert_eq!(
        lines_of("hooli"),
        [(
            "2024-02-05".into(),
            3,
            Date::parse("2024-04-01"),
            "invoices.csv:9".into()
        )]
    );
    // umbrella: a gap in February splits it in two.
    assert_eq!(lines_of("umbrella").len(), 2);

    let loaded = load(&fixture("invoices_proration"), &LoadOptions::default()).unwrap();
    let ds = &loaded.dataset;
    let c = ds.customer_index("acme").unwrap();
    let spans: Vec<String> = (0..ds.lines.len())
        .filter(|&i| ds.lines.customer[i] == c)
        .map(|i| {
            format!(
                "{}..{}",
                ds.lines.start_date[i],
                ds.lines.end_date[i].map_or("open".into(), |d| d.to_string())
            )
        })
        .collect();
    assert_eq!(spans, ["2023-12-15..2024-01-25", "2024-01-25..open"]);
}

/// Without invoice_date there is no as-of date: every subscription ends with its last period.
#[test]
fn without_invoice_dates_subscriptions_end_with_their_last_period() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("invoices.csv"),
        "invoice_id,customer_id,type,subscription_id,amount,service_period_start,service_period_end\n\
         in-1,acme,subscription,s1,100,2024-01-01,2024-02-01\n\
         in-2,acme,subscription,s1,100,2024-02-01,2024-03-01\n",
    )
    .unwrap();
    let loaded = load(tmp.path(), &LoadOptions::default()).unwrap();
    let ds = &loaded.dataset;
    assert_eq!(ds.lines.len(), 1);
    assert_eq!(ds.lines.end_date[0], Date::parse("2024-03-01"));
    assert_eq!(ds.lines.quantity[0], 1);
}

#[test]
fn rows_in_a_currency_without_rates_are_one_error_not_a_rejection_each() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("invoices.csv"),
        "invoice_id,customer_id,type,subscription_id,amount,currency,service_period_start,service_period_end\n\
         in-1,acme,subscription,s1,100,USD,2024-01-01,2024-02-01\n\
         in-2,brit,subscription,s2,100,GBP,2024-01-01,2024-02-01\n\
         in-3,brit,subscription,s2,100,GBP,2024-02-01,2024-03-01\n",
    )
    .unwrap();
    let opts = LoadOptions {
        currency: Some("USD".into()),
        ..LoadOptions::default()
    };
    let err = load(tmp.path(), &opts).unwrap_err();
    assert!(
        matches!(&err, IoError::Core(nrr_core::CoreError::NoRates { currencies, .. })
            if currencies == &["GBP"]),
        "{err:?}"
    );
}

#[test]
fn source_detection_and_override() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("items.csv"),
        "customer_id,amount,start_date\nacme,100,2024-01-01\n",
    )
    .unwrap();
    std::fs::write(
        d.join("invoices.csv"),
        "invoice_id,customer_id,type,subscription_id,amount,service_period_start,service_period_end\n\
         in-1,acme,subscription,s1,300,2024-01-01,2024-04-01\n",
    )
    .unwrap();
    match load(d, &LoadOptions::default()) {
        Err(IoError::AmbiguousInput { found, .. }) => {
            assert_eq!(found, ["items.csv", "invoices.csv"])
        }
        other => panic!("{other:?}"),
    }
    let pick = |s| LoadOptions {
        source: Some(s),
        ..LoadOptions::default()
    };
    let inv = load(d, &pick(Source::Invoices)).unwrap();
    assert_eq!(inv.dataset.files, ["invoices.csv"]);
    let items = load(d, &pick(Source::Items)).unwrap();
    assert_eq!(items.dataset.files, ["items.csv"]);
    assert!(items.invoice_policies.is_none());
    assert!(matches!(
        load(d, &pick(Source::Mrr)),
        Err(IoError::SourceNotFound { .. })
    ));
    // A policy at a non-default value is a usage error for items.csv.
    let bad = LoadOptions {
        source: Some(Source::Items),
        invoice_policies: InvoicePolicies {
            pauses: Pauses::Churn,
            ..InvoicePolicies::default()
        },
        ..LoadOptions::default()
    };
    assert!(matches!(
        load(d, &bad),
        Err(IoError::Misfit(nrr_io::Misfit::PolicyNotDefault { .. }))
    ));
}

/// A net amount that cannot be spread over its period exactly is rejected, not dropped.
#[test]
fn an_amount_too_large_to_spread_is_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("invoices.csv"),
        "invoice_id,customer_id,type,subscription_id,amount,service_period_start,service_period_end\n\
         in-1,acme,subscription,s1,100,2024-01-01,2024-02-01\n\
         in-2,acme,subscription,s2,999999999999999999,2024-01-01,2024-01-11\n",
    )
    .unwrap();
    let loaded = load(tmp.path(), &LoadOptions::default()).unwrap();
    let shown: Vec<String> = loaded.rejections.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        shown,
        ["invoices.csv:3:amount: `999999999999999999`: expected a net amount small enough to spread over its service period exactly"]
    );
    let l = &loaded.dataset.ledger;
    assert_eq!((l.read, l.used, l.rejected), (2, 1, 1));
}

const REFUND_HEADER: &str = "invoice_id,customer_id,type,subscription_id,amount,currency,\
                             service_period_start,service_period_end,invoice_date,\
                             reference_invoice_id\n";

/// `(month, churn, reactivation)` of the months with either, from invoices.csv `rows` under
/// `--full-refunds end-service`.
fn refund_moves(rows: &str) -> Vec<(String, String, String)> {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("invoices.csv"),
        format!("{REFUND_HEADER}{rows}"),
    )
    .unwrap();
    let opts = with(InvoicePolicies {
        full_refunds: FullRefunds::EndService,
        ..InvoicePolicies::default()
    });
    let loaded = load(tmp.path(), &opts).unwrap();
    assert!(loaded.rejections.is_empty(), "{:?}", loaded.rejections);
    let report = compute(&loaded.dataset, &Options::default()).unwrap();
    report
        .months
        .iter()
        .filter(|m| !m.churn.is_zero() || !m.reactivation.is_zero())
        .map(|m| {
            (
                m.month.to_string(),
                m.churn.to_string(),
                m.reactivation.to_string(),
            )
        })
        .collect()
}

/// A full refund of one monthly invoice of a subscription that goes on being billed (a
/// goodwill refund) is a gap: churn, then reactivation when the next paid period starts.
#[test]
fn a_full_refund_of_one_month_makes_a_gap_when_billing_goes_on() {
    let monthly = "in-1,acme,subscription,s1,100.00,USD,2024-01-01,2024-02-01,2024-01-01,\n\
                   in-2,acme,subscription,s1,100.00,USD,2024-02-01,2024-03-01,2024-02-01,\n\
                   in-3,acme,subscription,s1,100.00,USD,2024-03-01,2024-04-01,2024-03-01,\n";
    let moves = refund_moves(&format!(
        "{monthly}re-2,acme,refund,s1,-100.00,USD,,,2024-02-15,in-2\n"
    ));
    assert_eq!(
        moves,
        [
            ("2024-02".into(), "100.00".into(), "0.00".into()),
            ("2024-03".into(), "0.00".into(), "100.00".into()),
        ]
    );
    // A partial refund of February changes nothing: March's period runs past the as-of date
    // (2024-03-01), so acme never churns.
    let partial = refund_moves(&format!(
        "{monthly}re-2,acme,refund,s1,-99.99,USD,,,2024-02-15,in-2\n"
    ));
    assert!(partial.is_empty(), "{partial:?}");
}

/// Refunds in two parts end the service on the day of the part that completes the total (tax
/// lines count in the total); a credit note and a refund of the same money are not added.
#[test]
fn refunds_in_parts_end_the_service_when_they_reach_the_total() {
    let annual = "in-1,acme,subscription,s1,1100.00,USD,2024-01-01,2025-01-01,2024-01-01,\n\
                  in-1,acme,tax,,100.00,USD,,,2024-01-01,\n\
                  in-2,zed,subscription,s2,600.00,USD,2024-01-01,2025-01-01,2024-01-01,\n";
    let two_parts = refund_moves(&format!(
        "{annual}re-1,acme,refund,s1,600.00,USD,,,2024-02-10,in-1\n\
         re-2,acme,refund,s1,600.00,USD,,,2024-04-10,in-1\n"
    ));
    // acme's line is 1,100.00 / 12 = 91.67 a month; its invoice's total 1,200.00 with tax.
    assert_eq!(
        two_parts,
        [("2024-04".into(), "91.67".into(), "0.00".into())]
    );
    // 600 credited and the same 600 refunded: half of 1,200, nothing ends.
    let same_money = refund_moves(&format!(
        "{annual}cn-1,acme,credit,s1,-600.00,USD,,,2024-02-10,in-1\n\
         re-1,acme,refund,s1,600.00,USD,,,2024-02-12,in-1\n"
    ));
    assert!(same_money.is_empty(), "{same_money:?}");
}

/// `reference_invoice_id` belongs on credit and refund lines, with their date.
#[test]
fn a_reference_invoice_id_is_checked() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("invoices.csv"),
        format!(
            "{REFUND_HEADER}in-1,acme,subscription,s1,100.00,USD,2024-01-01,2024-02-01,2024-01-01,in-0\n\
             re-1,acme,refund,s1,-100.00,USD,,,,in-1\n\
             re-2,acme,refund,s1,-100.00,USD,,,2024-01-05,in-1\n"
        ),
    )
    .unwrap();
    let loaded = load(tmp.path(), &LoadOptions::default()).unwrap();
    let shown: Vec<String> = loaded.rejections.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        shown,
        [
            "invoices.csv:2:reference_invoice_id: `in-0`: expected empty: only credit and refund lines name the invoice they credit or refund",
            "invoices.csv:3:invoice_date: ``: expected the date of the credit or refund (required with reference_invoice_id)",
        ]
    );
    let l = &loaded.dataset.ledger;
    assert_eq!(
        (l.read, l.used, l.excluded.refund, l.rejected),
        (3, 0, 1, 2)
    );
    assert!(l.balances());
}
