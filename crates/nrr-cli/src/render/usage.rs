//! The `--usage` figure as a table section: usage revenue per month, apart from MRR.

use super::table::{grid, money};
use nrr_core::report::Usage;

/// `Usage (not in MRR)`: every month of the window, the complete quarters and years, the
/// total, and the notes on what is not in the figure.
pub(crate) fn section(u: &Usage, currency: &str) -> String {
    let mut out = format!(
        "\nUsage (not in MRR): usage revenue by month of service, in {currency}; docs/metrics.md\n"
    );
    if u.known {
        let mut rows: Vec<Vec<String>> = u
            .months
            .iter()
            .map(|m| vec![m.month.to_string(), money(m.amount), m.charges.to_string()])
            .collect();
        rows.extend(
            u.periods
                .iter()
                .map(|p| vec![p.period.clone(), money(p.amount), String::new()]),
        );
        if let Some(t) = u.total {
            rows.push(vec!["total".into(), money(t), u.charges.to_string()]);
        }
        out.push_str(&grid(&["period", "usage", "charges"], &rows));
        if u.outside_window > 0 {
            out.push_str(&format!(
                "{} usage charge(s) outside the window are not shown\n",
                u.outside_window
            ));
        }
    } else {
        out.push_str("usage: unknown\n");
    }
    for n in &u.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}
