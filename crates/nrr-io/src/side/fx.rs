//! fx.csv: exchange rates, kept as given; the core finds the rates into the reporting currency.

use crate::error::{IoError, Rejection, RejectionKind};
use crate::rows::{is_currency_code, EXPECT_DATE};
use crate::table::csv::open_csv;
use crate::table::display_name;
use nrr_core::dataset::DatasetBuilder;
use nrr_core::date::Date;
use nrr_core::money::{Decimal, MAX_RATE_DECIMALS};
use std::path::Path;

/// Reads fx.csv into the builder, rejecting bad rows. Rows for any currency are kept, the
/// reporting currency's too: which currency the file is quoted in, and the rates into the
/// reporting currency that follow, are the core's rule (`nrr_core::fx`).
pub(crate) fn read(
    path: &Path,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
) -> Result<(), IoError> {
    let name = display_name(path);
    builder.set_fx_file(&path.display().to_string());
    let csv = open_csv(path)?;
    let cols = csv.cols();
    builder
        .notices
        .extend(cols.check(path, "fx.csv", &["date", "currency", "rate"])?);
    let idx = (
        cols.require(path, "date")?,
        cols.require(path, "currency")?,
        cols.require(path, "rate")?,
    );
    let mut rej = Vec::new();
    let bad = csv.rows(|line, rec| {
        let f = |i: usize| rec.get(i).unwrap_or("").trim();
        let mut r = |column: &str, value: &str, kind: RejectionKind, expected: &str| {
            let kind = kind.or_missing(value);
            rej.push(Rejection { file: name.clone(), line, column: column.into(), value: value.into(), expected: expected.into(), kind })
        };
        let Some(date) = Date::parse(f(idx.0)) else { return r("date", f(idx.0), RejectionKind::BadDate, EXPECT_DATE) };
        let ccy = f(idx.1);
        if !is_currency_code(ccy) {
            return r("currency", ccy, RejectionKind::BadCurrency, "a three-letter ISO 4217 code like EUR");
        }
        let Some(rate) = Decimal::parse(f(idx.2), MAX_RATE_DECIMALS).filter(|d| d.mantissa > 0) else {
            return r("rate", f(idx.2), RejectionKind::BadNumber, "a decimal number > 0 with at most 10 decimal places (the value of 1 unit in the currency fx.csv is quoted in)");
        };
        builder.push_fx(ccy, date, rate);
    })?;
    rej.extend(bad);
    rej.sort_by_key(|r| r.line);
    rejections.extend(rej);
    Ok(())
}
