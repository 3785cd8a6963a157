//! Writers for machine formats: the report's period table as CSV.

use nrr_core::report::{Bridge, Granularity, PeriodRow, Report, Retention, SegmentFigures};

/// CSV header of [`report_csv`]; stable, documented in docs/cli.md.
pub const PERIOD_COLUMNS: [&str; 23] = [
    "period",
    "granularity",
    "start_month",
    "end_month",
    "starting_mrr",
    "expansion",
    "contraction",
    "churn",
    "ending_cohort_mrr",
    "nrr",
    "grr",
    "cohort_customers",
    "churned_customers",
    "logo_churn_rate",
    "fx_impact",
    "bridge_opening",
    "bridge_new",
    "bridge_reactivation",
    "bridge_expansion",
    "bridge_contraction",
    "bridge_churn",
    "bridge_fx",
    "bridge_closing",
];

fn ratio(r: Option<f64>) -> String {
    r.map_or_else(String::new, |v| format!("{v:.6}"))
}

fn record(
    period: &str,
    granularity: &str,
    start: String,
    end: String,
    r: &Retention,
    b: &Bridge,
) -> Vec<String> {
    vec![
        period.to_string(),
        granularity.to_string(),
        start,
        end,
        r.starting_mrr.to_string(),
        r.expansion.to_string(),
        r.contraction.to_string(),
        r.churn.to_string(),
        r.ending_cohort_mrr.to_string(),
        ratio(r.nrr),
        ratio(r.grr),
        r.cohort_customers.to_string(),
        r.churned_customers.to_string(),
        ratio(r.logo_churn_rate),
        r.fx_impact.to_string(),
        b.opening.to_string(),
        b.new.to_string(),
        b.reactivation.to_string(),
        b.expansion.to_string(),
        b.contraction.to_string(),
        b.churn.to_string(),
        b.fx.to_string(),
        b.closing.to_string(),
    ]
}

fn records(f: &SegmentFigures) -> Vec<Vec<String>> {
    let g = |p: &PeriodRow| match p.granularity {
        Granularity::Month => "month",
        Granularity::Quarter => "quarter",
        Granularity::Year => "year",
    };
    let mut out: Vec<Vec<String>> = f
        .periods
        .iter()
        .map(|p| {
            record(
                &p.period,
                g(p),
                p.start_month.to_string(),
                p.end_month.to_string(),
                &p.retention,
                &p.bridge,
            )
        })
        .collect();
    for t in &f.ttm {
        out.push(record(
            &format!("TTM {}", t.month),
            "ttm",
            t.t0.plus(1).to_string(),
            t.month.to_string(),
            &t.retention,
            &t.bridge,
        ));
    }
    out
}

/// The period table (months, quarters, years, then TTM rows) as CSV. Ratios are fractions
/// with 6 decimals, empty when undefined. With segments, a leading `segment` column holds
/// `(all)` for the totals and each value for its rows.
pub fn report_csv(r: &Report) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let seg = r.segments.as_ref();
    if seg.is_some() {
        w.write_record(std::iter::once("segment").chain(PERIOD_COLUMNS))?;
    } else {
        w.write_record(PERIOD_COLUMNS)?;
    }
    let total = SegmentFigures {
        months: Vec::new(),
        periods: r.periods.clone(),
        ttm: r.ttm.clone(),
    };
    for rec in records(&total) {
        if seg.is_some() {
            w.write_record(std::iter::once("(all)".to_string()).chain(rec))?;
        } else {
            w.write_record(rec)?;
        }
    }
    if let Some(seg) = seg {
        for (value, f) in &seg.values {
            for rec in records(f) {
                w.write_record(std::iter::once(value.clone()).chain(rec))?;
            }
        }
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
