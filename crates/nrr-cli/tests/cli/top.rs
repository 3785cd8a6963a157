//! `--top N`: the largest customers behind each movement, turned off, escaped and cut in the table.

use super::*;

#[test]
fn top_zero_turns_the_lists_off() {
    let args = ["report", "tests/fixtures/top_customers", "--top", "0"];
    let json = nrr(&[&args[..], &["--format", "json"]].concat());
    json.assert_code(0);
    assert!(
        !json.stdout.contains("top_customers"),
        "{}",
        json.transcript()
    );
    // Concentration does not depend on the lists.
    assert!(json.stdout.contains("\"concentration\""));
    let table = nrr(&args);
    table.assert_code(0);
    assert!(
        !table.stdout.contains("Top customers"),
        "{}",
        table.transcript()
    );
}

/// Ids are user-typed: an escape code or a newline in one is shown escaped in the table
/// (JSON keeps it whole), and a very long one is cut.
#[test]
fn ids_are_escaped_and_cut_in_the_table() {
    let long = "x".repeat(60);
    let rows = [
        ITEMS_HEADER.to_string(),
        "\"red\u{1b}[31m\",s1,500.00,USD,1,2024-01-01,2024-03-01,recurring".to_string(),
        format!("{long},s2,100.00,USD,1,2024-01-01,2024-03-01,recurring"),
        "\"two\nlines\",s3,50.00,USD,1,2024-01-01,,recurring".to_string(),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let tmp = data_dir(&[("items.csv", &rows)]);
    // The `top` section is one of the default ones.
    let run = nrr_in(
        tmp.path(),
        &[
            "report", "data", "--from", "2024-01", "--to", "2024-03", "--top", "5",
        ],
    );
    run.assert_code(0);
    assert!(!run.stdout.contains('\u{1b}'), "{}", run.transcript());
    let section = run
        .stdout
        .split("Top customers")
        .nth(1)
        .expect("a Top customers section");
    assert!(section.contains("red\\u{1b}[31m"), "{section}");
    // At 80 columns (not a terminal) ids get 80 - 52 = 28 characters.
    assert!(
        section.contains(&format!("{}...", "x".repeat(25))),
        "{section}"
    );
    assert!(!section.contains(&"x".repeat(26)), "{section}");
    assert!(!section.contains(&long));
    // The section ends at the next blank line; none of its lines is over 80 columns.
    let section = section.split("\n\n").next().unwrap_or_default();
    for line in section.lines() {
        assert!(line.chars().count() <= 80, "longer than 80 columns: {line}");
    }
    let off = nrr_in(
        tmp.path(),
        &["report", "data", "--from", "2024-01", "--top", "0"],
    );
    assert!(
        !off.stdout.contains("Top customers"),
        "{}",
        off.transcript()
    );
    let json = nrr_in(
        tmp.path(),
        &[
            "report", "data", "--from", "2024-01", "--to", "2024-03", "--format", "json",
        ],
    );
    assert!(json.stdout.contains(&long));
}
