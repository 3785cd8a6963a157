//! Rejections of bad rows: listed in file and line order, whatever the check found them.

use super::*;

/// Rejections are listed in file and line order, whatever the check that found them.
#[test]
fn rejections_are_in_line_order() {
    let tmp = data_dir(&[(
        "items.csv",
        &[
            ITEMS_HEADER,
            "beta,b-1,10.00,USD,1,2024-01-01,,annual",
            "gamma,g-1,-5.00,USD,1,2024-01-01,,recurring",
            GOOD_ROW,
        ],
    )]);
    let run = nrr_in(tmp.path(), &["report", "data", "--currency", "USD"]);
    run.assert_code(1);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter_map(|l| l.trim().strip_prefix("items.csv:"))
        .collect();
    assert!(
        lines.len() == 2 && lines[0].starts_with("2:") && lines[1].starts_with("3:"),
        "{}",
        run.transcript()
    );
}

rejection_tests! {
    missing_customer_id: [",x-1,10.00,USD,1,2024-01-01,,recurring"];
    amount_with_decimal_comma: ["beta,b-1,\"12,50\",USD,1,2024-01-01,,recurring"];
    negative_amount: ["beta,b-1,-5.00,USD,1,2024-01-01,,recurring"];
    amount_with_seven_decimals: ["beta,b-1,10.1234567,USD,1,2024-01-01,,recurring"];
    interval_zero: ["beta,b-1,10.00,USD,0,2024-01-01,,recurring"];
    interval_not_a_number: ["beta,b-1,10.00,USD,abc,2024-01-01,,recurring"];
    end_before_start: ["beta,b-1,10.00,USD,1,2024-03-01,2024-02-01,recurring"];
    unknown_kind: ["beta,b-1,10.00,USD,12,2024-01-01,,annual"];
    start_date_not_a_day: ["beta,b-1,10.00,USD,1,2024-02-30,,recurring"];
    end_date_not_a_day: ["beta,b-1,10.00,USD,1,2024-01-01,2024-02-30,recurring"];
    lowercase_currency: ["beta,b-1,10.00,usd,1,2024-01-01,,recurring"];
}
