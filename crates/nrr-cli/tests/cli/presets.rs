//! `--preset`: the policies a preset sets, a flag beats it, where its reader policies do not apply, `nrr compare`.

use super::*;

const DATA: &str = "tests/fixtures/reactivation_any_gap";

/// `--preset` sets the reactivation rule and is echoed; a flag given on the command line
/// wins over it.
#[test]
fn preset_sets_the_policies_and_a_flag_wins() {
    let run = nrr(&["report", DATA, "--preset", "maxio", "--format", "json"]);
    run.assert_code(0);
    let p = &run.json()["policies"];
    assert_eq!(p["preset"], "maxio");
    assert_eq!(p["reactivation"], "window:3");

    let run = nrr(&[
        "report",
        DATA,
        "--preset",
        "maxio",
        "--reactivation",
        "any-gap",
        "--format",
        "json",
    ]);
    run.assert_code(0);
    assert_eq!(run.json()["policies"]["reactivation"], "any-gap");
}

/// items.csv already holds the reader policies' result: a preset's reader policies do not
/// apply to it (no usage error), while the same flag given explicitly is refused.
#[test]
fn reader_policies_of_a_preset_do_not_apply_to_items() {
    nrr(&["report", DATA, "--preset", "stripe", "--format", "json"]).assert_code(0);
    nrr(&["report", DATA, "--churn-recognition", "at-cancellation"]).assert_code(2);
}

#[test]
fn unknown_reactivation_rule() {
    let run = nrr(&["report", DATA, "--reactivation", "window"]);
    run.assert_code(2);
    insta::assert_snapshot!(run.transcript());
}

/// `nrr compare DATA --preset A --preset B` over 2024-01 to 2024-06, in `format`.
fn compare(data: &str, presets: [&str; 2], format: &str) -> Run {
    let [a, b] = presets;
    let window = ["--from", "2024-01", "--to", "2024-06"];
    let args = [
        &["compare", data, "--preset", a, "--preset", b][..],
        &window,
    ];
    let run = nrr(&[&args.concat()[..], &["--format", format]].concat());
    run.assert_code(0);
    run
}

/// What a comparison must show, hand-checked from the fixture's NOTES.md.
struct Expected<'a> {
    /// The policies on which the presets differ (JSON keys; the table marks these rows,
    /// and only these, `differs`).
    differing: &'a [&'a str],
    /// Movement figures over the window: (figure, side A, side B).
    totals: &'a [[&'a str; 3]],
    /// Period NRR: (period, side A, side B).
    nrr: &'a [(&'a str, f64, f64)],
    /// Every differing customer-month, largest first: customer, month, category on each
    /// side (`-` for none) and the difference.
    listed: &'a [[&'a str; 5]],
}

#[track_caller]
fn check_compare(data: &str, presets: [&str; 2], want: &Expected<'_>) {
    let c = compare(data, presets, "json").json();
    assert_eq!(c["sides"], serde_json::json!(presets));
    let [pa, pb] = [&c["policies"][0], &c["policies"][1]];
    let keys = pa.as_object().expect("policies").keys();
    let differing: Vec<&String> = keys.filter(|k| *k != "preset" && pa[k] != pb[k]).collect();
    assert_eq!(differing, want.differing, "policies {pa} and {pb}");
    for [figure, a, b] in want.totals {
        let m = c["movements"]
            .as_array()
            .expect("movements")
            .iter()
            .find(|m| m["figure"] == *figure)
            .unwrap_or_else(|| panic!("no movement figure {figure}"));
        assert_eq!([&m["a"], &m["b"]], [a, b], "{figure}");
    }
    for (period, a, b) in want.nrr {
        let p = c["periods"]
            .as_array()
            .expect("periods")
            .iter()
            .find(|p| p["period"] == *period)
            .unwrap_or_else(|| panic!("no period {period}"));
        assert_eq!([&p["a"]["nrr"], &p["b"]["nrr"]], [a, b], "{period}");
    }
    let name = |v: &Value| v.as_str().unwrap_or("-").to_string();
    let listed: Vec<[String; 5]> = c["customer_months"]
        .as_array()
        .expect("customer_months")
        .iter()
        .map(|d| {
            [&d["customer_id"], &d["month"], &d["a"]["movement"]]
                .map(name)
                .into_iter()
                .chain([name(&d["b"]["movement"]), name(&d["difference"])])
                .collect::<Vec<_>>()
                .try_into()
                .expect("five fields")
        })
        .collect();
    assert_eq!(listed, want.listed);
    assert_eq!(c["differing_customer_months"], want.listed.len());

    // The table marks the same policies.
    let table = compare(data, presets, "table").stdout;
    let marked: Vec<String> = table
        .lines()
        .skip_while(|l| *l != "Policies")
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_suffix("differs"))
        .map(|l| l.split("  ").next().unwrap_or("").replace(' ', "_"))
        .collect();
    assert_eq!(marked, want.differing, "{table}");
    // The "-" note only when a reader policy does not apply (items and mrr input).
    let dashes = table
        .lines()
        .skip_while(|l| *l != "Policies")
        .take_while(|l| !l.is_empty())
        .any(|l| l.split("  ").any(|cell| cell.trim() == "-"));
    assert_eq!(
        table.contains("(\"-\": the reader policy"),
        dashes,
        "{table}"
    );
}

/// ChartMogul (any gap) against Maxio (reactivation within 3 months, else new): d's
/// return after 6 months (Feb) and a's after 4 (Jun) are new business under Maxio; b's
/// after 1 month stays a reactivation. Largest first: a (100), then d (80).
#[test]
fn compare_chartmogul_and_maxio() {
    check_compare(
        DATA,
        ["chartmogul", "maxio"],
        &Expected {
            differing: &["reactivation"],
            totals: &[
                ["reactivation", "230.00", "50.00"],
                ["new", "150.00", "330.00"],
                ["closing_mrr", "430.00", "430.00"],
            ],
            nrr: &[],
            listed: &[
                ["a", "2024-06", "reactivation", "new", "100.00"],
                ["d", "2024-02", "reactivation", "new", "80.00"],
            ],
        },
    );
}

/// invoices.csv (fixture `invoices_past_due`, its NOTES.md): ChartMogul keeps past-due
/// revenue (`keep`), Baremetrics churns it after 30 days (`keep:30`); nothing else differs.
/// globex (200, past due 03-05, never recovered, cancelled 05-01) leaves on 04-04 under
/// keep:30 (MRR 200 vs 0 in April) and churns in May under keep (both 0 in May: the
/// larger amount, 200); initech (50, past due 02-10, recovered 04-15) is out on 03-31
/// under keep:30 only (50) and reactivates in April (50). acme recovered within 30 days
/// and hooli is still in its grace: no difference. Q2: keep 230 / 430 = 0.534884;
/// keep:30 cohort at March without initech, 180 / 380 = 0.473684.
#[test]
fn compare_past_due_on_invoices() {
    check_compare(
        "tests/fixtures/invoices_past_due",
        ["chartmogul", "baremetrics"],
        &Expected {
            differing: &["past_due"],
            totals: &[
                ["new", "430.00", "430.00"],
                ["reactivation", "0.00", "50.00"],
                ["churn", "200.00", "250.00"],
                ["closing_mrr", "230.00", "230.00"],
            ],
            nrr: &[("2024-Q2", 0.534884, 0.473684)],
            listed: &[
                ["globex", "2024-04", "-", "churn", "200.00"],
                ["globex", "2024-05", "churn", "-", "200.00"],
                ["initech", "2024-03", "-", "churn", "50.00"],
                ["initech", "2024-04", "-", "reactivation", "50.00"],
            ],
        },
    );
}

/// A Stripe export (fixture `stripe_lifecycle`; NOTES.md there and in
/// `stripe_lifecycle_forever_only` and `stripe_lifecycle_policies`): ChartMogul
/// (at-period-end, every coupon, pauses keep) against Stripe (at-cancellation,
/// forever coupons only, pauses churn); past due is `keep` on both sides.
/// - globex, cancelled immediately on 03-10: churn in March (Stripe) or April (200 each).
/// - wayne's 100% repeating coupon (to 04-01) is not taken by Stripe: 120 from January,
///   against new in April under ChartMogul (120 in each of January to April).
/// - hooli's 100% `once` coupon (February): new in February (Stripe) or March (80 each).
/// - initech's 50% repeating coupon (to 03-01): 100 from January under Stripe, 50 then an
///   expansion of 50 in March under ChartMogul; stark's 50% `once` coupon the same a month
///   earlier; lex's second subscription (cancelled 02-15, paid to 03-01) is a contraction
///   in February (Stripe) or March (50 each).
/// - massive, paused 04-01 and resumed 06-01: churn and reactivation under Stripe (40 in
///   April, May and June).
///
/// Window totals: new 950 vs 1,050, expansion 100 vs 0, churn 300 vs 340 (massive),
/// reactivation 0 vs 40, both close at 700. Q2: 580 / 880 = 0.659091 against 700 / 800 =
/// 0.875.
#[test]
fn compare_churn_discounts_and_pauses_on_stripe() {
    check_compare(
        "tests/fixtures/stripe_lifecycle",
        ["chartmogul", "stripe"],
        &Expected {
            differing: &["churn_recognition", "discounts", "pauses"],
            totals: &[
                ["new", "950.00", "1050.00"],
                ["reactivation", "0.00", "40.00"],
                ["expansion", "100.00", "0.00"],
                ["contraction", "50.00", "50.00"],
                ["churn", "300.00", "340.00"],
                ["closing_mrr", "700.00", "700.00"],
            ],
            nrr: &[("2024-Q2", 0.659091, 0.875)],
            listed: &[
                ["cus_globex", "2024-03", "-", "churn", "200.00"],
                ["cus_globex", "2024-04", "churn", "-", "200.00"],
                ["cus_wayne", "2024-01", "-", "new", "120.00"],
                ["cus_wayne", "2024-02", "-", "-", "120.00"],
                ["cus_wayne", "2024-03", "-", "-", "120.00"],
                ["cus_wayne", "2024-04", "new", "-", "120.00"],
                ["cus_hooli", "2024-02", "-", "new", "80.00"],
                ["cus_hooli", "2024-03", "new", "-", "80.00"],
                ["cus_initech", "2024-01", "new", "new", "50.00"],
                ["cus_initech", "2024-02", "-", "-", "50.00"],
                ["cus_initech", "2024-03", "expansion", "-", "50.00"],
                ["cus_lex", "2024-02", "-", "contraction", "50.00"],
                ["cus_lex", "2024-03", "contraction", "-", "50.00"],
                ["cus_stark", "2024-01", "new", "new", "50.00"],
                ["cus_stark", "2024-02", "expansion", "-", "50.00"],
                ["cus_massive", "2024-04", "-", "churn", "40.00"],
                ["cus_massive", "2024-05", "-", "-", "40.00"],
                ["cus_massive", "2024-06", "-", "reactivation", "40.00"],
            ],
        },
    );
}

/// The churn-recognition row of `nrr compare`'s table: a reader policy like the others,
/// so `-` where it does not apply (items.csv holds ended lines, whatever the preset says;
/// docs/policies.md#presets), and the preset's value on a Stripe export (maxio:
/// at-cancellation, chartmogul: at-period-end).
#[test]
fn compare_shows_churn_recognition_only_where_it_applies() {
    let row = |data: &str| {
        let table = compare(data, ["chartmogul", "maxio"], "table").stdout;
        let line = table
            .lines()
            .find(|l| l.starts_with("churn recognition"))
            .unwrap_or_else(|| panic!("no churn recognition row:\n{table}"))
            .to_string();
        line.split_whitespace()
            .skip(2)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(row(DATA), "- -");
    assert_eq!(
        row("tests/fixtures/stripe_lifecycle"),
        "at-period-end at-cancellation differs"
    );
}

#[test]
fn compare_table() {
    let run = compare(DATA, ["chartmogul", "maxio"], "table");
    insta::assert_snapshot!(run.transcript());
}

/// With invoices.csv the stripe preset's forever-only discounts cannot be decided: the
/// preset falls back to `all` and says so; given explicitly, the option is refused.
#[test]
fn stripe_preset_on_invoices_uses_all_discounts() {
    let data = "tests/fixtures/invoices_quantity_discount";
    let run = nrr(&[
        "compare",
        data,
        "--preset",
        "chartmogul",
        "--preset",
        "stripe",
        "--format",
        "json",
    ]);
    run.assert_code(0);
    assert_eq!(run.json()["policies"][1]["discounts"], "all");
    nrr(&["report", data, "--discounts", "forever-only"]).assert_code(2);
}

#[test]
fn compare_needs_two_presets() {
    let run = nrr(&["compare", DATA, "--preset", "chartmogul"]);
    run.assert_code(2);
    insta::assert_snapshot!(run.transcript());
}
