//! Stripe exports in the current API shape (2025-03-31 and later), tiered prices, and
//! customer_map.csv for every source (docs/input.md).

use serde_json::Value;
use std::path::{Path, PathBuf};

use crate::util::{
    fixtures_dir as fixtures, json_of as json, nrr_output as nrr, stderr_of as stderr,
};

/// A copy of fixture `name` in a temporary directory (as `data/`).
fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("data");
    std::fs::create_dir(&dir).expect("creating data/");
    for e in std::fs::read_dir(fixtures().join(name)).expect("reading the fixture") {
        let p = e.expect("an entry").path();
        std::fs::copy(&p, dir.join(p.file_name().expect("a file name"))).expect("copying");
    }
    (tmp, dir)
}

fn args_of(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("args.txt"))
        .map(|t| t.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

fn report(dir: &Path, extra: &[&str]) -> Value {
    let d = dir.to_string_lossy().into_owned();
    let mut a: Vec<String> = vec!["report".into(), d];
    a.extend(args_of(dir));
    a.extend(["--format".into(), "json".into()]);
    a.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    json(&nrr(&refs))
}

mod stripe_current_shape {
    use super::*;

    /// Each tiered or transformed price of fixture `stripe_tiers` at its quantity, as
    /// NOTES.md works it out.
    #[test]
    fn every_tier_customer_is_priced_as_the_notes_work_it_out() {
        let dir = fixtures().join("stripe_tiers");
        let expect = [
            ("cus_vol_9", "90.00"),
            ("cus_vol_10", "100.00"),
            ("cus_vol_11", "93.00"),
            ("cus_vol_50", "405.00"),
            ("cus_vol_51", "306.00"),
            ("cus_grad_9", "90.00"),
            ("cus_grad_10", "100.00"),
            ("cus_grad_11", "113.00"),
            ("cus_grad_50", "425.00"),
            ("cus_grad_51", "431.00"),
            ("cus_pack_up", "75.00"),
            ("cus_pack_down", "50.00"),
            ("cus_base_3", "100.00"),
            ("cus_base_8", "145.00"),
        ];
        for (customer, mrr) in expect {
            let ex = json(&nrr(&[
                "explain",
                &dir.to_string_lossy(),
                "--customer",
                customer,
                "--from",
                "2024-01",
                "--to",
                "2024-01",
                "--format",
                "json",
            ]));
            assert_eq!(ex["months"][0]["mrr"], mrr, "{customer}");
        }
    }

    #[test]
    fn a_tiered_price_exported_without_its_tiers_is_rejected_with_how_to_export_them() {
        let (_tmp, dir) = copy_fixture("stripe_tiers");
        let path = dir.join("subscriptions.json");
        let mut subs: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        subs[2]["items"]["data"][0]["price"]
            .as_object_mut()
            .unwrap()
            .remove("tiers");
        std::fs::write(&path, serde_json::to_string_pretty(&subs).unwrap()).unwrap();
        let out = nrr(&["check", &dir.to_string_lossy()]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("sub_vol_11: items.data[0].price.tiers: ``: expected the price's tiers")
                && text.contains("expand[]=data.items.data.price.tiers"),
            "{text}"
        );
    }

    /// A line that says what it bills in neither shape is rejected with its JSON path, never
    /// counted as a one-time charge; a line whose two shapes disagree is rejected too.
    #[test]
    fn a_line_in_neither_shape_or_with_disagreeing_shapes_is_rejected() {
        for (edit, path, expected) in [
            (
                "neither",
                "lines.data[0].parent",
                "expected what the line bills: parent.type",
            ),
            (
                "disagree",
                "lines.data[0].type",
                "expected the kind that parent says too",
            ),
            (
                "unknown_parent",
                "lines.data[0].parent.type",
                "expected subscription_item_details or invoice_item_details",
            ),
        ] {
            let (_tmp, dir) = copy_fixture("stripe_basil_quantity");
            let p = dir.join("invoices.json");
            let mut invs: Value =
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let line = &mut invs[1]["lines"]["data"][0];
            match edit {
                "neither" => {
                    line.as_object_mut().unwrap().remove("parent");
                }
                "disagree" => line["type"] = "invoiceitem".into(),
                _ => line["parent"]["type"] = "quote_details".into(),
            }
            std::fs::write(&p, serde_json::to_string(&invs).unwrap()).unwrap();
            let out = nrr(&["check", &dir.to_string_lossy(), "--format", "json"]);
            assert_eq!(out.status.code(), Some(1), "{edit}: {}", stderr(&out));
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["rows"]["excluded"]["one_time"], 0, "{edit}");
            assert_eq!(v["rows"]["rejected"], 1, "{edit}");
            let r = &v["rejections"][0];
            assert_eq!(r["column"], format!("in_seats_2: {path}"), "{edit}");
            assert!(
                r["expected"]
                    .as_str()
                    .unwrap()
                    .starts_with(&expected["expected ".len()..]),
                "{edit}: {r}"
            );
        }
    }

    /// A discount listed in both `discount_amounts` and `pretax_credit_amounts` is taken once;
    /// a credit-balance use is no discount; amounts that disagree are rejected.
    #[test]
    fn pretax_credit_amounts_never_take_a_discount_twice() {
        let closing = |edit: &dyn Fn(&mut Value)| -> Result<Value, String> {
            let (_tmp, dir) = copy_fixture("stripe_invoice_cases_basil");
            let p = dir.join("invoices.json");
            let mut invs: Value =
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            // in_globex1: 20000 less the once coupon's 10000.
            let inv = invs["data"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|i| i["id"] == "in_globex1")
                .unwrap();
            edit(&mut inv["lines"]["data"][0]);
            std::fs::write(&p, serde_json::to_string(&invs).unwrap()).unwrap();
            let out = nrr(&[
                "report",
                &dir.to_string_lossy(),
                "--from",
                "2024-01",
                "--to",
                "2024-01",
                "--format",
                "json",
            ]);
            if out.status.success() {
                Ok(
                    serde_json::from_slice::<Value>(&out.stdout).unwrap()["months"][0]
                        ["closing_mrr"]
                        .clone(),
                )
            } else {
                Err(String::from_utf8_lossy(&out.stderr).into_owned())
            }
        };
        // As exported: listed in both, taken once (600.00 as in the classic twin).
        assert_eq!(closing(&|_| {}).unwrap(), "600.00");
        // Only in pretax_credit_amounts: still taken once.
        assert_eq!(
            closing(&|l| l["discount_amounts"] = Value::Array(vec![])).unwrap(),
            "600.00"
        );
        // A credit-balance use beside it pays the bill: no discount.
        assert_eq!(
            closing(&|l| {
                l["pretax_credit_amounts"]
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!(
                        {"amount": 5000, "type": "credit_balance_transaction",
                         "credit_balance_transaction": "cbtxn_1", "discount": null}
                    ))
            })
            .unwrap(),
            "600.00"
        );
        // The same discount with another amount: rejected.
        let e = closing(&|l| l["pretax_credit_amounts"][0]["amount"] = 9000.into()).unwrap_err();
        assert!(e.contains("1 row rejected"), "{e}");
        assert!(e.contains("pretax_credit_amounts[0].amount"), "{e}");
    }

    #[test]
    fn taxes_inclusive_come_off_and_exclusive_do_not() {
        let (_tmp, dir) = copy_fixture("stripe_invoice_cases_basil");
        let r = report(&dir, &[]);
        // umbrella 12000 with 2000 inclusive = 100.00; stark 5000 with 400 exclusive = 50.00.
        assert_eq!(r["months"][0]["new"], "600.00");
        let p = dir.join("invoices.json");
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(
            &p,
            text.replace(
                "\"tax_behavior\": \"inclusive\"",
                "\"tax_behavior\": \"included\"",
            ),
        )
        .unwrap();
        let out = nrr(&["check", &dir.to_string_lossy()]);
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("taxes[0].tax_behavior: `\"included\"`: expected inclusive or exclusive"),
            "{text}"
        );
    }
}

mod customer_map {
    use super::*;

    fn write(dir: &Path, rows: &[&str]) {
        let mut text = String::from("from_customer_id,to_customer_id,note\n");
        for r in rows {
            text.push_str(r);
            text.push('\n');
        }
        std::fs::write(dir.join("customer_map.csv"), text).unwrap();
    }

    /// For a fixture of every source: mapping one customer onto another merges them (one
    /// customer fewer, the same MRR) and the ledger counts the mapped lines.
    #[test]
    fn the_map_merges_customers_of_every_source() {
        for (fixture, from, to) in [
            ("annual_plan", "globex", "acme"),
            ("invoices_two_subscriptions", "globex", "acme"),
            ("stripe_lifecycle", "cus_hooli", "cus_initech"),
            ("stripe_invoice_cases_basil", "cus_stark", "cus_umbrella"),
            ("snapshots_movements_agree", "globex", "acme"),
        ] {
            let (_tmp, dir) = copy_fixture(fixture);
            let before = report(&dir, &[]);
            write(&dir, &[&format!("{from},{to},merged in a test")]);
            let after = report(&dir, &[]);
            let months = |r: &Value| -> Vec<(Value, u64)> {
                r["months"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| (m["closing_mrr"].clone(), m["customers"].as_u64().unwrap()))
                    .collect()
            };
            let (b, a) = (months(&before), months(&after));
            // The same MRR every month; one customer fewer in every month both had MRR, so
            // fewer customer-months in all.
            assert_eq!(
                a.iter().map(|m| &m.0).collect::<Vec<_>>(),
                b.iter().map(|m| &m.0).collect::<Vec<_>>(),
                "{fixture}"
            );
            assert!(
                a.iter().zip(&b).all(|(x, y)| x.1 <= y.1)
                    && a.iter().map(|m| m.1).sum::<u64>() < b.iter().map(|m| m.1).sum::<u64>(),
                "{fixture}: {a:?} {b:?}"
            );
            assert!(before["rows"].get("mapped").is_none(), "{fixture}");
            assert!(after["rows"]["mapped"].as_u64().unwrap() >= 1, "{fixture}");
            assert_eq!(after["rows"]["read"], before["rows"]["read"], "{fixture}");
        }
    }

    /// mrr.csv (no fixture holds one): a migration from one id to another in mid-window.
    #[test]
    fn the_map_merges_mrr_rows() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(
            dir.join("mrr.csv"),
            "customer_id,month,mrr,currency\nold-1,2024-01,100.00,USD\nold-1,2024-02,100.00,USD\n\
             new-1,2024-03,120.00,USD\nother,2024-01,50.00,USD\nother,2024-02,50.00,USD\n\
             other,2024-03,50.00,USD\n",
        )
        .unwrap();
        let march = |r: &Value| r["months"][2].clone();
        let before = report(dir, &[]);
        assert_eq!(march(&before)["churn"], "100.00");
        assert_eq!(march(&before)["new"], "120.00");
        write(dir, &["old-1,new-1,"]);
        let after = report(dir, &[]);
        assert_eq!(march(&after)["churn"], "0.00");
        assert_eq!(march(&after)["new"], "0.00");
        assert_eq!(march(&after)["expansion"], "20.00");
        assert_eq!(after["rows"]["mapped"], 2);
    }

    #[test]
    fn chains_cycles_and_duplicates_are_rejected_with_their_line() {
        let (_tmp, dir) = copy_fixture("customer_map_migration");
        write(
            &dir,
            &[
                "cb_alpha,cus_alpha,",
                "cus_alpha,cus_omega,",
                "cb_beta,cus_beta,",
                "cb_beta,cus_other,",
                "cb_gamma,cb_gamma,",
                ",cus_x,",
            ],
        );
        let out = nrr(&["check", &dir.to_string_lossy()]);
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8_lossy(&out.stdout);
        for want in [
            "customer_map.csv:2:to_customer_id: `cus_alpha`: expected the final id: line 3 and this line form a chain or a cycle",
            "customer_map.csv:3:to_customer_id: `cus_omega`: expected the final id: line 2 and this line form a chain or a cycle",
            "customer_map.csv:5:from_customer_id: `cb_beta`: expected an id not mapped already (line 4 maps it)",
            "customer_map.csv:6:to_customer_id: `cb_gamma`: expected another customer id than from_customer_id",
            "customer_map.csv:7:from_customer_id: ``: expected a customer id (required)",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
    }

    #[test]
    fn explain_shows_the_merged_ids_and_explains_a_mapped_id_as_its_target() {
        let dir = fixtures().join("customer_map_migration");
        for asked in ["cb_beta", "cus_beta"] {
            let ex = json(&nrr(&[
                "explain",
                &dir.to_string_lossy(),
                "--customer",
                asked,
                "--format",
                "json",
            ]));
            assert_eq!(ex["customer_id"], "cus_beta");
            assert_eq!(ex["merged_ids"][0]["customer_id"], "cb_beta");
            assert_eq!(ex["merged_ids"][0]["line"], 3);
            assert_eq!(ex["lines"].as_array().unwrap().len(), 2);
        }
    }

    /// customers.csv rows of a mapped id count for its target, unless the target has its own.
    #[test]
    fn segments_follow_the_map() {
        let (_tmp, dir) = copy_fixture("customer_map_migration");
        std::fs::write(
            dir.join("customers.csv"),
            "customer_id,region\ncb_alpha,emea\ncb_beta,emea\ncus_beta,amer\ncb_gamma,apac\n\
             cb_delta,emea\ncus_stable,amer\ncus_new,amer\n",
        )
        .unwrap();
        let r = report(&dir, &["--segment", "region"]);
        let values = &r["segments"]["values"];
        let q2 = |v: &str| {
            values[v]["periods"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["period"] == "2024-Q2")
                .unwrap()
                .clone()
        };
        // emea: alpha 100 and delta 50 (beta's own row says amer): delta churns.
        assert_eq!(q2("emea")["starting_mrr"], "150.00");
        assert_eq!(q2("emea")["churn"], "50.00");
        // amer: beta 200 (expands 50) and stable 500.
        assert_eq!(q2("amer")["starting_mrr"], "700.00");
        assert_eq!(q2("apac")["starting_mrr"], "300.00");
    }
}

/// Billing rules checked under every preset they touch (issue 17; the arithmetic is in each
/// fixture's NOTES.md).
mod billing_rules {
    use super::*;

    /// The months with churn, and the churn, of fixture `name` under `extra` arguments.
    fn churn_months(name: &str, extra: &[&str]) -> Vec<(String, String)> {
        let r = report(&fixtures().join(name), extra);
        r["months"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["churn"] != "0.00")
            .map(|m| {
                (
                    m["month"].as_str().unwrap().to_string(),
                    m["churn"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn a_cancel_at_inside_a_later_cycle_churns_that_month_under_every_preset() {
        let april = vec![("2024-04".to_string(), "100.00".to_string())];
        assert_eq!(churn_months("stripe_cancel_at_mid_cycle", &[]), april);
        for p in [
            "chartmogul",
            "profitwell",
            "baremetrics",
            "stripe",
            "maxio",
            "dbt",
        ] {
            assert_eq!(
                churn_months("stripe_cancel_at_mid_cycle", &["--preset", p]),
                april,
                "{p}"
            );
        }
        assert_eq!(
            churn_months(
                "stripe_cancel_at_mid_cycle",
                &["--churn-recognition", "at-request"]
            ),
            vec![("2024-03".to_string(), "100.00".to_string())]
        );
    }

    #[test]
    fn a_pause_ended_by_a_cancellation_is_churn_where_it_began_under_zero() {
        let march = vec![("2024-03".to_string(), "100.00".to_string())];
        // The fixtures' args.txt say `--pauses zero`.
        for f in [
            "invoices_pause_cancel_zero",
            "invoices_pause_cancel_same_month_zero",
        ] {
            assert_eq!(churn_months(f, &[]), march, "{f}");
            // profitwell's pauses are `zero` too.
            assert_eq!(churn_months(f, &["--preset", "profitwell"]), march, "{f}");
        }
        // keep: the price runs on until the cancellation (May); churn: March.
        let (_tmp, dir) = copy_fixture("invoices_pause_cancel_zero");
        let text = std::fs::read_to_string(dir.join("args.txt")).unwrap();
        for (pauses, month) in [("keep", "2024-05"), ("churn", "2024-03")] {
            std::fs::write(
                dir.join("args.txt"),
                text.replace("--pauses zero", &format!("--pauses {pauses}")),
            )
            .unwrap();
            let r = report(&dir, &[]);
            let churned: Vec<&str> = r["months"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["churn"] != "0.00")
                .map(|m| m["month"].as_str().unwrap())
                .collect();
            assert_eq!(churned, [month], "{pauses}");
        }
    }

    /// The annual plan cancelled at once and refunded in full (fixtures `invoices_full_refund`
    /// and `stripe_full_refund`, run under `ignore` by their args.txt): no preset turns
    /// `end-service` on, and the flag wins over every preset. Under the presets that churn at
    /// the cancellation (`stripe`, `maxio`) it churns in March either way: the option matters
    /// where revenue runs to the end of the paid period.
    #[test]
    fn a_full_refund_ends_the_service_only_when_asked_under_every_preset() {
        let month = |m: &str| vec![(m.to_string(), "100.00".to_string())];
        for f in ["invoices_full_refund", "stripe_full_refund"] {
            assert_eq!(churn_months(f, &[]), month("2025-01"), "{f}");
            assert_eq!(
                churn_months(f, &["--full-refunds", "end-service"]),
                month("2024-03"),
                "{f}"
            );
            for p in [
                "chartmogul",
                "profitwell",
                "baremetrics",
                "stripe",
                "maxio",
                "dbt",
            ] {
                let at_cancellation = matches!(p, "stripe" | "maxio");
                let by_default = if at_cancellation {
                    "2024-03"
                } else {
                    "2025-01"
                };
                let r = report(&fixtures().join(f), &["--preset", p]);
                assert_eq!(r["policies"]["full_refunds"], "ignore", "{f} {p}");
                assert_eq!(
                    churn_months(f, &["--preset", p]),
                    month(by_default),
                    "{f} {p}"
                );
                assert_eq!(
                    churn_months(f, &["--preset", p, "--full-refunds", "end-service"]),
                    month("2024-03"),
                    "{f} {p}"
                );
            }
        }
    }
}
