//! Notes (annotations.csv) attached to the report's rows.

use crate::report::{MonthRow, Notes, PeriodRow, Report};

/// Attaches notes to the report's month and period rows (segments included) whose label
/// equals the note's period (`2024-03`, `2024-Q1`, `2024`); notes for periods the report does
/// not show are counted in a notice that begins with their input's name (`notes.source`).
pub fn attach_notes(report: &mut Report, notes: &Notes) {
    let (source, notes) = (notes.source.as_str(), notes.notes.as_slice());
    fn attach(
        f_months: &mut [MonthRow],
        f_periods: &mut [PeriodRow],
        notes: &[crate::report::Note],
    ) {
        for m in f_months.iter_mut() {
            let label = m.month.to_string();
            m.notes = notes
                .iter()
                .filter(|n| n.period == label)
                .cloned()
                .collect();
        }
        for p in f_periods.iter_mut() {
            p.notes = notes
                .iter()
                .filter(|n| n.period == p.period)
                .cloned()
                .collect();
        }
    }
    attach(&mut report.months, &mut report.periods, notes);
    // Notes for periods the report does not show are named, not dropped silently.
    let shown = |n: &crate::report::Note| {
        report
            .months
            .iter()
            .any(|m| m.month.to_string() == n.period)
            || report.periods.iter().any(|p| p.period == n.period)
    };
    let outside: Vec<&str> = notes
        .iter()
        .filter(|n| !shown(n))
        .map(|n| n.period.as_str())
        .collect();
    if !outside.is_empty() {
        let mut periods: Vec<&str> = outside.clone();
        periods.sort_unstable();
        periods.dedup();
        let more = periods.len().saturating_sub(10);
        periods.truncate(10);
        report.notices.push(format!(
            "{source}: {} note{} for periods the report does not show ({}{}) {} not shown; periods are months, and quarters and years wholly inside the window",
            outside.len(),
            if outside.len() == 1 { "" } else { "s" },
            periods.join(", "),
            if more > 0 { format!(", ... and {more} more") } else { String::new() },
            if outside.len() == 1 { "is" } else { "are" },
        ));
    }
    for seg in report
        .segments
        .iter_mut()
        .chain(report.segment_cuts.iter_mut())
    {
        for f in seg.values.values_mut() {
            attach(&mut f.months, &mut f.periods, notes);
        }
    }
}
