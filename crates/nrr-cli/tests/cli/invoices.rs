//! invoices.csv and subscription_events.csv: rejections, source detection, the policy flags.
use super::*;

/// Header of the invoices.csv files written by these tests.
pub(super) const HEADER: &str = "invoice_id,customer_id,line_id,type,subscription_id,product,plan,quantity,amount,discount,tax,currency,service_period_start,service_period_end,invoice_date";
/// A valid row, so that each case has exactly one bad row (at line 3).
pub(super) const GOOD: &str =
    "in-1,acme,l1,subscription,sub-1,platform,pro,1,100.00,,,USD,2024-01-01,2024-02-01,2024-01-01";

/// `data/invoices.csv` with the header, a good row and then `rows`, and, when `events` is
/// not empty, `data/subscription_events.csv` with them.
fn invoices(rows: &[&str], events: &[&str]) -> TempDir {
    let mut lines = vec![HEADER, GOOD];
    lines.extend_from_slice(rows);
    let mut ev = vec!["subscription_id,event,effective_date"];
    ev.extend_from_slice(events);
    if events.is_empty() {
        data_dir(&[("invoices.csv", &lines)])
    } else {
        data_dir(&[("invoices.csv", &lines), ("subscription_events.csv", &ev)])
    }
}

macro_rules! invoice_rejections {
        ($($name:ident: [$($row:expr),* $(,)?] $(, events = [$($ev:expr),*])?;)*) => {
            $(
                #[test]
                fn $name() {
                    let events: &[&str] = &[$($($ev),*)?];
                    let tmp = invoices(&[$($row),*], events);
                    insta::assert_snapshot!(
                        concat!("invoices_", stringify!($name)),
                        rejected(&tmp, &[])
                    );
                }
            )*
        };
    }

invoice_rejections! {
    amount_not_a_number: ["in-2,beta,l1,subscription,sub-2,platform,pro,1,12.5.0,,,USD,2024-01-01,2024-02-01,2024-01-01"];
    amount_missing: ["in-2,beta,l1,subscription,sub-2,platform,pro,1,,,,USD,2024-01-01,2024-02-01,2024-01-01"];
    discount_not_a_number: ["in-2,beta,l1,subscription,sub-2,platform,pro,1,100.00,ten,,USD,2024-01-01,2024-02-01,2024-01-01"];
    discount_above_amount: ["in-2,beta,l1,subscription,sub-2,platform,pro,1,100.00,120.00,,USD,2024-01-01,2024-02-01,2024-01-01"];
    negative_subscription_amount: ["in-2,beta,l1,subscription,sub-2,platform,pro,1,-100.00,,,USD,2024-01-01,2024-02-01,2024-01-01"];
    unknown_type: ["in-2,beta,l1,discount,sub-2,platform,pro,1,100.00,,,USD,2024-01-01,2024-02-01,2024-01-01"];
    period_end_before_start: ["in-2,beta,l1,subscription,sub-2,platform,pro,1,100.00,,,USD,2024-02-01,2024-01-01,2024-01-01"];
    period_end_equal_to_start: ["in-2,beta,l1,proration,sub-2,platform,pro,1,40.00,,,USD,2024-01-15,2024-01-15,2024-01-15"];
    period_start_not_a_day: ["in-2,beta,l1,subscription,sub-2,platform,pro,1,100.00,,,USD,2024-02-30,2024-03-30,2024-01-01"];
    subscription_without_id: ["in-2,beta,l1,subscription,,platform,pro,1,100.00,,,USD,2024-01-01,2024-02-01,2024-01-01"];
    quantity_not_an_integer: ["in-2,beta,l1,subscription,sub-2,platform,pro,2.5,100.00,,,USD,2024-01-01,2024-02-01,2024-01-01"];
    unknown_event: [], events = ["sub-1,cancelled,2024-01-20"];
    event_date_not_a_day: [], events = ["sub-1,canceled,2024-01-32"];
}

/// A refund, credit, tax, usage or one-time line may carry a negative amount and no
/// service period: it is excluded with its reason, never rejected.
#[test]
fn non_recurring_lines_are_excluded_by_type() {
    let tmp = invoices(
            &[
                "in-1,acme,l2,tax,,,,,20.00,,,USD,,,2024-01-01",
                "cn-1,acme,l1,credit,sub-1,platform,pro,1,-30.00,,,USD,,,2024-01-10",
                "re-1,acme,l1,refund,sub-1,platform,pro,1,-100.00,,,USD,,,2024-01-12",
                "in-1,acme,l3,usage,sub-1,api,calls,1000,12.34,,,USD,2024-01-01,2024-02-01,2024-01-01",
                "in-1,acme,l4,one_time,,onboarding,setup,1,500.00,,,USD,,,2024-01-01",
                "in-2,beta,l1,subscription,sub-2,platform,trial,1,0.00,,,USD,2024-01-01,2024-01-15,2024-01-01",
            ],
            &["sub-9,canceled,2024-01-20"],
        );
    let run = nrr_in(tmp.path(), &["check", "data", "--format", "json"]);
    run.assert_code(0);
    let j = run.json();
    assert_eq!(
        j["rows"],
        serde_json::json!({
            "read": 8, "used": 1, "rejected": 0,
            "excluded": {
                "one_time": 1, "zero_amount": 1, "zero_length": 0, "tax": 1,
                "credit": 1, "refund": 1, "usage": 1, "unknown_subscription": 1
            },
            // Each line's amount as written; the subscription_events row carries none.
            "excluded_amounts": {
                "one_time": [{"currency": "USD", "rows": 1, "amount": "500.00"}],
                "zero_amount": [{"currency": "USD", "rows": 1, "amount": "0.00"}],
                "tax": [{"currency": "USD", "rows": 1, "amount": "20.00"}],
                "credit": [{"currency": "USD", "rows": 1, "amount": "-30.00"}],
                "refund": [{"currency": "USD", "rows": 1, "amount": "-100.00"}],
                "usage": [{"currency": "USD", "rows": 1, "amount": "12.34"}]
            }
        }),
        "{}",
        run.transcript()
    );
    assert_eq!(
        j["inputs"],
        serde_json::json!(["invoices.csv", "subscription_events.csv"])
    );
    let table = nrr_in(tmp.path(), &["check", "data"]);
    insta::assert_snapshot!(table.transcript());
}

#[test]
fn items_and_invoices_together_need_source() {
    let tmp = data_dir(&[
        ("items.csv", &[ITEMS_HEADER, GOOD_ROW]),
        ("invoices.csv", &[HEADER, GOOD]),
    ]);
    let picks: &[(&str, &[&str])] = &[("invoices", &["invoices.csv"]), ("items", &["items.csv"])];
    insta::assert_snapshot!(needs_source(&tmp, &["items.csv", "invoices.csv"], picks));
}

#[test]
fn source_that_is_not_there() {
    let tmp = data_dir(&[("items.csv", &[ITEMS_HEADER, GOOD_ROW])]);
    let run = nrr_in(tmp.path(), &["report", "data", "--source", "invoices"]);
    run.assert_code(2);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn one_invoices_file_given_directly() {
    let tmp = invoices(&[], &[]);
    let run = nrr_in(
        tmp.path(),
        &["report", "data/invoices.csv", "--format", "json"],
    );
    run.assert_code(0);
    assert_eq!(run.json()["months"][0]["closing_mrr"], "100.00");
}

/// Policies apply to invoices.csv only: any other value than the default is a usage error
/// with items.csv; the default itself is accepted.
#[test]
fn invoice_policies_with_items_are_usage_errors() {
    let tmp = items(&[]);
    for flag in [
        &["--churn-recognition", "at-request"][..],
        &["--discounts", "none"],
        &["--past-due", "churn"],
        &["--pauses", "churn"],
        &["--full-refunds", "end-service"],
    ] {
        let mut args = vec!["report", "data"];
        args.extend_from_slice(flag);
        let run = nrr_in(tmp.path(), &args);
        run.assert_code(2);
        assert!(
            run.stderr.contains("applies to invoices.csv only"),
            "{}",
            run.transcript()
        );
    }
    let run = nrr_in(
        tmp.path(),
        &[
            "report",
            "data",
            "--discounts",
            "all",
            "--past-due",
            "keep:30",
        ],
    );
    run.assert_code(0);
    let run = nrr_in(tmp.path(), &["report", "data", "--discounts", "none"]);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn forever_only_discounts_cannot_be_decided_from_invoices() {
    let tmp = invoices(&[], &[]);
    let run = nrr_in(
        tmp.path(),
        &["report", "data", "--discounts", "forever-only"],
    );
    run.assert_code(2);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn malformed_past_due_is_a_usage_error() {
    let tmp = invoices(&[], &[]);
    let run = nrr_in(tmp.path(), &["report", "data", "--past-due", "keep:soon"]);
    run.assert_code(2);
    assert!(run.stderr.contains("keep:N"), "{}", run.transcript());
}

#[test]
fn policies_are_echoed_in_json_and_table() {
    let tmp = invoices(&[], &[]);
    let run = nrr_in(
        tmp.path(),
        &[
            "report",
            "data",
            "--format",
            "json",
            "--churn-recognition",
            "at-cancellation",
            "--discounts",
            "none",
            "--past-due",
            "keep:14",
            "--pauses",
            "churn",
            "--full-refunds",
            "end-service",
        ],
    );
    run.assert_code(0);
    assert_eq!(
        run.json()["policies"],
        serde_json::json!({
            "churn_recognition": "at-cancellation", "reactivation": "any-gap",
            "fx": "constant-currency", "snapshot": "month-end", "discounts": "none",
            "past_due": "keep:14", "pauses": "churn", "full_refunds": "end-service"
        })
    );
    let table = nrr_in(tmp.path(), &["report", "data"]);
    assert!(
        table.unwrapped().contains(
            "invoice policies: discounts all, past-due keep:30, pauses keep, full-refunds ignore"
        ),
        "{}",
        table.transcript()
    );
}

#[test]
fn help_names_the_policy_values_and_defaults() {
    for cmd in ["report", "check", "explain"] {
        let run = nrr(&[cmd, "--help"]);
        run.assert_code(0);
        for needle in [
            "--source",
            "--churn-recognition",
            "at-period-end",
            "at-cancellation",
            "at-request",
            "--discounts",
            "forever-only",
            "--past-due",
            "keep:30",
            "--pauses",
            "--full-refunds",
            "end-service",
            "docs/policies.md",
        ] {
            assert!(
                run.stdout.contains(needle),
                "`nrr {cmd} --help` does not mention {needle}:\n{}",
                run.stdout
            );
        }
    }
}
