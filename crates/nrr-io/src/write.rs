//! Writers for machine formats: the report's period table, the cohort matrix, the movement
//! rows and the recurring lines (`nrr lines`) as CSV.

use nrr_core::report::{
    Bridge, Granularity, Note, PeriodMetrics, PeriodRow, Report, Retention, SegmentFigures,
};

/// CSV header of [`report_csv`]; stable, documented in docs/cli.md.
pub const PERIOD_COLUMNS: [&str; 39] = [
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
    "arr",
    "arpa",
    "customers_start",
    "customers_new",
    "customers_reactivated",
    "customers_churned",
    "customers_end",
    "revenue_churn_rate",
    "net_mrr_churn_rate",
    "quick_ratio",
    "ltv",
    "bridge_moved_in",
    "bridge_moved_out",
    "bridge_paused",
    "bridge_resumed",
    "notes",
];

/// A text cell from the data (a segment value, a note) made safe for spreadsheets: one that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a formula, so
/// it gets a leading `'` (OWASP, "CSV Injection"); a plain number such as `-5` stays as it
/// is, and so do the figures, which are never text.
pub fn text_cell(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && nrr_core::money::Decimal::parse(s, u32::MAX).is_none() {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn ratio(r: Option<f64>) -> String {
    r.map_or_else(String::new, |v| format!("{v:.6}"))
}

fn record(
    head: [String; 4],
    r: &Retention,
    b: &Bridge,
    m: &PeriodMetrics,
    notes: &[Note],
) -> Vec<String> {
    let money = |v: Option<nrr_core::money::Money>| v.map_or_else(String::new, |v| v.to_string());
    let [period, granularity, start, end] = head;
    vec![
        period,
        granularity,
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
        m.arr.to_string(),
        money(m.arpa),
        m.customers_start.to_string(),
        m.customers_new.to_string(),
        m.customers_reactivated.to_string(),
        m.customers_churned.to_string(),
        m.customers_end.to_string(),
        ratio(m.revenue_churn_rate),
        ratio(m.net_mrr_churn_rate),
        ratio(m.quick_ratio),
        money(m.ltv),
        money(b.moved_in),
        money(b.moved_out),
        money(b.paused),
        money(b.resumed),
        text_cell(&note_text(notes)).into_owned(),
    ]
}

/// Notes joined for one cell: `note` or `customer: note`, separated by ` | `.
pub fn note_text(notes: &[Note]) -> String {
    notes
        .iter()
        .map(|n| match &n.customer_id {
            Some(c) => format!("{c}: {}", n.note),
            None => n.note.clone(),
        })
        .collect::<Vec<_>>()
        .join(" | ")
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
                [
                    p.period.clone(),
                    g(p).to_string(),
                    p.start_month.to_string(),
                    p.end_month.to_string(),
                ],
                &p.retention,
                &p.bridge,
                &p.metrics,
                &p.notes,
            )
        })
        .collect();
    for t in &f.ttm {
        out.push(record(
            [
                format!("TTM {}", t.month),
                "ttm".into(),
                t.t0.plus(1).to_string(),
                t.month.to_string(),
            ],
            &t.retention,
            &t.bridge,
            &t.metrics,
            &[],
        ));
    }
    out
}

/// The period table (months, quarters, years, then TTM rows) as CSV. Ratios are fractions
/// with 6 decimals, empty when undefined. With segments, a leading `segment` column holds
/// `(all)` for the totals and each value for its rows (`column=value` when several
/// `--segment` cuts were asked for). When the report has notices, a last column `notices`
/// holds them (joined by ` | `) on every row.
pub fn report_csv(r: &Report) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let seg = r.segments.as_ref();
    let notices = (!r.notices.is_empty()).then(|| text_cell(&r.notices.join(" | ")).into_owned());
    let last = notices.as_ref().map(|_| "notices");
    if seg.is_some() {
        w.write_record(std::iter::once("segment").chain(PERIOD_COLUMNS).chain(last))?;
    } else {
        w.write_record(PERIOD_COLUMNS.into_iter().chain(last))?;
    }
    let mut w = NoticeWriter {
        w,
        notices: notices.as_deref(),
    };
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
    // One cut: the segment column holds the value; several: `column=value`.
    let several = r.segment_cuts.len() > 1;
    for cut in &r.segment_cuts {
        for (value, f) in &cut.values {
            let label = if several {
                format!("{}={value}", cut.column)
            } else {
                value.clone()
            };
            let label = text_cell(&label).into_owned();
            for rec in records(f) {
                w.write_record(std::iter::once(label.clone()).chain(rec))?;
            }
        }
    }
    let bytes = w.w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A CSV writer that ends every record with the report's notices, when it has any.
struct NoticeWriter<'a> {
    w: csv::Writer<Vec<u8>>,
    notices: Option<&'a str>,
}

impl NoticeWriter<'_> {
    fn write_record<I>(&mut self, record: I) -> Result<(), csv::Error>
    where
        I: IntoIterator<Item = String>,
    {
        let notices = self.notices.map(str::to_string);
        self.w.write_record(record.into_iter().chain(notices))
    }
}

/// The cohort matrix as CSV: `cohort,customers,starting_mrr,age_0,age_1,...`; a cell is a
/// fraction with 6 decimals, empty when undefined or beyond the cohort's last age.
pub fn cohorts_csv(t: &nrr_core::cohort::CohortTable) -> Result<String, csv::Error> {
    let ages = t.cohorts.iter().map(|c| c.cells.len()).max().unwrap_or(0);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "cohort".to_string(),
        "customers".into(),
        "starting_mrr".into(),
    ];
    header.extend((0..ages).map(|k| format!("age_{k}")));
    w.write_record(&header)?;
    for c in &t.cohorts {
        let mut rec = vec![
            c.cohort.clone(),
            c.customers.to_string(),
            c.starting_mrr.to_string(),
        ];
        rec.extend((0..ages).map(|k| {
            c.cells
                .get(k)
                .copied()
                .flatten()
                .map_or_else(String::new, |v| format!("{v:.6}"))
        }));
        w.write_record(&rec)?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Decimal places of the money columns of [`movements_csv`] and the Parquet movements file.
/// A value with more (billing intervals such as 3 or 12 make thirds) is rounded down or up at
/// the 12th so that each month's and category's rows add up to its exact figure at 12 decimals
/// ([`nrr_core::movements::Movements::scaled_amounts`]).
pub const MOVEMENT_PLACES: u32 = 12;

/// The fixed leading columns of [`movements_csv`]; one `segment_<column>` column follows for
/// each `--segment` cut. Stable, documented in docs/cli.md.
pub const MOVEMENT_COLUMNS: [&str; 6] = [
    "month",
    "customer_id",
    "category",
    "reason",
    "amount",
    "amount_at_month_rates",
];

/// The header of a movements file: [`MOVEMENT_COLUMNS`], then `segment_<column>` per cut.
pub fn movement_header(m: &nrr_core::movements::Movements) -> Vec<String> {
    MOVEMENT_COLUMNS
        .iter()
        .map(|c| c.to_string())
        .chain(m.segments.iter().map(|s| format!("segment_{}", s.column)))
        .collect()
}

/// A row's `reason` cell: the attribution reason of an expansion or contraction, the
/// `--segment` column whose value changed for `moved_out` and `moved_in`, else empty.
pub fn movement_reason<'a>(
    m: &'a nrr_core::movements::Movements,
    row: &'a nrr_core::movements::MovementRow,
) -> &'a str {
    match (row.reason, row.moved_cut) {
        (Some(r), _) => r,
        (None, Some(k)) => &m.segments[k].column,
        (None, None) => "",
    }
}

/// The rows' amounts at [`MOVEMENT_PLACES`] decimals, or an error naming why not (amounts
/// beyond what 128-bit integers hold at that scale: about 10^26).
pub fn movement_amounts(
    m: &nrr_core::movements::Movements,
) -> Result<Vec<[i128; 2]>, std::io::Error> {
    m.scaled_amounts(MOVEMENT_PLACES).ok_or_else(|| {
        std::io::Error::other(format!(
            "movement amounts too large to write with {MOVEMENT_PLACES} decimals"
        ))
    })
}

/// Every customer-month movement as CSV (docs/cli.md, `nrr movements`), written to `out` as
/// it goes. Money cells are decimal strings with 2 to [`MOVEMENT_PLACES`] decimals; text cells
/// from the data go through [`text_cell`].
pub fn movements_csv<W: std::io::Write>(
    m: &nrr_core::movements::Movements,
    out: W,
) -> Result<(), csv::Error> {
    let amounts = movement_amounts(m)?;
    let money = |v: i128| nrr_core::money::trimmed_decimal(v, MOVEMENT_PLACES);
    let mut w = csv::Writer::from_writer(out);
    w.write_record(movement_header(m))?;
    let mut rec: Vec<String> = Vec::new();
    for (row, [amount, at_month_rates]) in m.rows.iter().zip(amounts) {
        rec.clear();
        // Text from the data (ids, segment values, a --segment column as reason) made
        // spreadsheet-safe, as in the report's CSV.
        rec.extend([
            row.month.to_string(),
            text_cell(&row.customer_id).into_owned(),
            row.category.name().to_string(),
            text_cell(movement_reason(m, row)).into_owned(),
            money(amount),
            money(at_month_rates),
        ]);
        rec.extend((0..m.segments.len()).map(|k| text_cell(m.segment_value(row, k)).into_owned()));
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

/// The columns of [`lines_csv`] and the Parquet lines file: items.csv's (docs/input.md), in
/// its documented order. Stable, documented in docs/cli.md (`nrr lines`).
pub const LINE_COLUMNS: [&str; 11] = [
    "customer_id",
    "subscription_id",
    "product",
    "plan",
    "quantity",
    "amount",
    "currency",
    "interval_months",
    "start_date",
    "end_date",
    "kind",
];

/// An item row's amount as a plain decimal with 2 to 6 places, exact.
pub fn line_amount(r: &nrr_core::dataset::ItemRow<'_>) -> String {
    let max = nrr_core::money::MAX_AMOUNT_DECIMALS;
    let up = 10i128.pow(max - r.amount.decimals.min(max));
    nrr_core::money::trimmed_decimal(i128::from(r.amount.mantissa) * up, max)
}

/// Every recurring line as an items.csv row (docs/cli.md, `nrr lines`), written to `out` as
/// it goes; returns the number of rows. Text cells are written as they are (no spreadsheet
/// `'`, unlike the report's CSV): the file is input for `nrr` and SQL engines, and an id must
/// read back as itself.
pub fn lines_csv<W: std::io::Write>(
    rows: &nrr_core::dataset::ItemRows<'_>,
    out: W,
) -> Result<u64, csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(LINE_COLUMNS)?;
    let mut n = 0u64;
    for r in rows.iter() {
        let end = r.end.map_or_else(String::new, |d| d.to_string());
        w.write_record([
            r.customer,
            "",
            r.product,
            r.plan,
            &r.quantity.to_string(),
            &line_amount(&r),
            r.currency,
            &r.interval.to_string(),
            &r.start.to_string(),
            &end,
            "recurring",
        ])?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}
