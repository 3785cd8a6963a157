//! The movement check (revenue_movements against subscription_snapshots) as a table section.

use super::Style;
use nrr_core::report::MovementCheck;

/// `Movements checked against the snapshots`: counts, then every disagreement, largest first.
pub(crate) fn section(c: &MovementCheck, style: Style) -> String {
    let mut out = String::new();
    super::table::heading(
        &mut out,
        style,
        "Movements checked against the snapshots (revenue_movements; docs/input.md)",
    );
    let outside = if c.outside_snapshots > 0 {
        format!(
            "; {} outside the months the snapshots span, not checked",
            c.outside_snapshots
        )
    } else {
        String::new()
    };
    out.push_str(&format!(
        "{} movement rows read; {} account-months agree, {} disagree{outside}\n",
        c.movements_read,
        c.agreeing,
        c.disagreements.len()
    ));
    if let Some(o) = &c.other_reading {
        out.push_str(&format!(
            "with --snapshot-date {} instead: {} account-months would agree, {} would disagree\n",
            o.snapshot_date, o.agreeing, o.disagreeing
        ));
    }
    if !c.several_currencies.is_empty() {
        out.push_str(&format!(
            "not checked: {} movement rows of {} account(s) whose snapshots are in more than one currency: {}\n",
            c.not_checked_several_currencies,
            c.several_currencies.len(),
            nrr_io::printable(&c.several_currencies.join(", "))
        ));
    }
    if c.disagreements.is_empty() {
        return out;
    }
    let dash = || "-".to_string();
    let rows: Vec<Vec<String>> = c
        .disagreements
        .iter()
        .map(|d| {
            vec![
                d.account_id.clone(),
                d.month.to_string(),
                d.currency.clone().unwrap_or_else(dash),
                d.given_type.clone().unwrap_or_else(dash),
                d.given_amount.clone().unwrap_or_else(dash),
                d.snapshot_type.clone().unwrap_or_else(dash),
                d.snapshot_amount.clone().unwrap_or_else(dash),
                d.difference.clone(),
            ]
        })
        .collect();
    out.push_str(&super::table::grid(
        &[
            "account",
            "month",
            "currency",
            "given",
            "amount",
            "snapshots",
            "amount",
            "difference",
        ],
        &rows,
    ));
    out
}
