//! `nrr customer-months` (hidden): the rows the SQL view `nrr_customer_month` of `nrr sql`
//! must hold, computed by the engine ([`nrr_core::customer_months`]): the reference of the
//! differential test of `nrr sql` (docs/scale-out.md, "How it is checked").

use super::output;
use crate::args::{resolve, CustomerMonthsArgs};
use nrr_core::customer_months::CustomerMonths;
use nrr_core::money::Money;
use std::process::ExitCode;

/// The columns written, those of the view (docs/scale-out.md).
const COLUMNS: [&str; 8] = [
    "customer_id",
    "month",
    "month_index",
    "mrr",
    "mrr_at_previous_rates",
    "mrr_at_next_rates",
    "mrr_at_rates_3_back",
    "mrr_at_rates_12_back",
];

/// Decimals of a money cell: 2 to 12, as movements.csv writes them.
const PLACES: u32 = nrr_io::write::MOVEMENT_PLACES;

pub(super) fn run(a: CustomerMonthsArgs) -> anyhow::Result<ExitCode> {
    let settings = resolve::settings(&a.data, &a.window, &Default::default())?;
    let (loaded, _skipped, bar) = super::load(&settings, false, false)?;
    let cm = nrr_core::customer_months::customer_months(&loaded.dataset, &settings.options)?;
    bar.step("writing");
    let result = output::csv(None, |w| write_csv(&cm, w));
    drop(bar);
    result?;
    Ok(ExitCode::SUCCESS)
}

/// The rows as CSV: money in the reporting currency with 2 to 12 decimals (exact, or rounded
/// half-even at the 12th), an unknown value (a rate not known) empty. Customer ids are written
/// as the data has them, for comparison with the view's.
fn write_csv(cm: &CustomerMonths, out: &mut dyn std::io::Write) -> Result<(), csv::Error> {
    let money = |m: Option<Money>| -> Result<String, csv::Error> {
        let Some(m) = m else {
            return Ok(String::new());
        };
        m.decimal_text(PLACES).ok_or_else(|| {
            std::io::Error::other(format!("an MRR too large to write with {PLACES} decimals"))
                .into()
        })
    };
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    for r in &cm.rows {
        w.write_record([
            r.customer_id.clone(),
            r.month.to_string(),
            r.month.index().to_string(),
            money(r.mrr)?,
            money(r.at_previous_rates)?,
            money(r.at_next_rates)?,
            money(r.at_rates_3_back)?,
            money(r.at_rates_12_back)?,
        ])?;
    }
    w.flush()?;
    Ok(())
}
