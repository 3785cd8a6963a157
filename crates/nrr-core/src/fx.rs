//! Exchange rates: the currency fx.csv is quoted in, and each currency's rate into the
//! reporting currency derived from it (docs/metrics.md §13).
//!
//! Every fx.csv row gives the value of 1 unit of its `currency` in one **base** currency, the
//! same for the whole file. The rate of a currency `c` into the reporting currency `R` on a day
//! is `rate(c) / rate(R)`, each the rate in force that day, the base's own rate being 1:
//!
//! - **Quoted in R** (fx.csv has no rows for R, or rows at 1 only): `rate(c)` as written,
//!   exact, with as many places as the file's most precise rate.
//! - **Quoted in another currency B**: `rate(c) / rate(R)` (a cross rate) and `1 / rate(R)`
//!   for B itself (an inverse rate), kept to [`DERIVED_RATE_DECIMALS`] places, rounded
//!   half-even; a quotient that ends within them (1 / 1.25 = 0.8) is kept exactly. This is the
//!   only rounding before figures are shown: one shared unit for all months cannot hold every
//!   quotient exactly (the reporting currency's rate changes from month to month, and the
//!   common multiple of a few years of them overflows 128 bits), so the derived rate is
//!   fixed first and every figure is then exact in it.
//!
//! Which currency B is: a currency listed at 1 on every row; else, when R has rows, the one
//! currency of the data with no rows (a USD-based file read for a EUR report has no USD rows).
//! When every currency of the data has rows, B need not be known. Currencies that need a rate
//! and have no rows stop the run with one error ([`CoreError::NoRates`]); rates missing at
//! month ends the figures need are reported once per currency and month
//! ([`CoreError::MissingRates`]).

use crate::date::{Date, Month};
use crate::money::{div_round_half_even, Decimal};
use crate::CoreError;
use std::fmt::Write as _;

/// Decimal places kept in a derived (cross or inverse) rate.
pub const DERIVED_RATE_DECIMALS: u32 = 12;

/// Rates into the reporting currency: per currency, `(date, rate units)` sorted by date (file
/// order kept on equal dates), rate units being `rate * 10^r` for the dataset's
/// [`crate::money::Scale::rate_decimals`] `r`. The reporting currency's own list is empty.
#[derive(Clone, Debug, Default)]
pub struct FxRates {
    /// Per currency index: the rates in force from each date on.
    pub by_currency: Vec<Vec<(Date, i64)>>,
    /// fx.csv as named to the user (its path), when one was read.
    pub file: Option<String>,
}

impl FxRates {
    /// The rate in force on `day`: the latest row dated on or before it (the last such row
    /// in file order wins on equal dates).
    pub fn rate_on(&self, currency: u16, day: Date) -> Option<i64> {
        let rows = self.by_currency.get(usize::from(currency))?;
        let n = rows.partition_point(|(d, _)| *d <= day);
        n.checked_sub(1).map(|i| rows[i].1)
    }

    /// The first date a rate exists for the currency.
    pub fn first_date(&self, currency: u16) -> Option<Date> {
        self.by_currency
            .get(usize::from(currency))?
            .first()
            .map(|r| r.0)
    }
}

/// How fx.csv's base currency was found, as [`CoreError::NoRates`] explains it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Quoted {
    /// The reporting currency: fx.csv has no rows for it (`listed: false`) or rows at 1 only.
    Reporting {
        /// `true` when fx.csv lists the reporting currency at 1.
        listed: bool,
    },
    /// This currency, which fx.csv lists at 1 on every row.
    Listed(String),
    /// Not known: the reporting currency has rows and several currencies of the data have none,
    /// so at most one of them is the base.
    Unknown,
}

/// A rate the figures need that is not in force: the currency, the month whose last day it
/// is needed on, and the first date a rate of that currency exists, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingRate {
    /// The currency.
    pub currency: String,
    /// The month: its rate is the one in force on the month's last day.
    pub month: Month,
    /// The first date the currency has a rate into the reporting currency.
    pub first: Option<Date>,
}

/// What [`into_reporting`] works on.
pub(crate) struct FxInput<'a> {
    /// fx.csv rows as read: currency index, date, rate.
    pub(crate) rows: &'a [(u16, Date, Decimal)],
    /// Currency codes by index.
    pub(crate) currencies: &'a [String],
    /// The reporting currency's index.
    pub(crate) reporting: u16,
    /// Currencies, other than the reporting one, that the data holds amounts in.
    pub(crate) needed: &'a [u16],
    /// fx.csv's path, when one was read.
    pub(crate) file: Option<&'a str>,
}

/// Every currency's rates into the reporting currency under the rule of the module doc, and
/// the decimal places of their rate units.
pub(crate) fn into_reporting(input: &FxInput<'_>) -> Result<(u32, FxRates), CoreError> {
    let n = input.currencies.len();
    let code = |c: u16| input.currencies[usize::from(c)].clone();
    let r = input.rows.iter().map(|x| x.2.decimals).max().unwrap_or(0);
    let one = 10i64.checked_pow(r).ok_or(CoreError::PrecisionOverflow)?;
    let mut raw: Vec<Vec<(Date, i64)>> = vec![Vec::new(); n];
    for &(c, d, rate) in input.rows {
        let v = 10i64
            .checked_pow(r - rate.decimals)
            .and_then(|p| rate.mantissa.checked_mul(p))
            .ok_or(CoreError::PrecisionOverflow)?;
        raw[usize::from(c)].push((d, v));
    }
    for rows in &mut raw {
        rows.sort_by_key(|x| x.0); // stable: file order kept on equal dates
    }
    let rep = usize::from(input.reporting);
    let all_one = |rows: &[(Date, i64)]| rows.iter().all(|x| x.1 == one);
    let mut without: Vec<u16> = input
        .needed
        .iter()
        .copied()
        .filter(|&c| usize::from(c) != rep && raw[usize::from(c)].is_empty())
        .collect();
    without.sort_by_key(|&c| code(c));
    without.dedup();
    let no_rates = |quoted: Quoted| CoreError::NoRates {
        file: input.file.map(str::to_string),
        currencies: without.iter().map(|&c| code(c)).collect(),
        reporting: code(input.reporting),
        quoted,
    };
    let file = input.file.map(str::to_string);
    if all_one(&raw[rep]) {
        // Quoted in the reporting currency: the rates as written.
        if !without.is_empty() {
            return Err(no_rates(Quoted::Reporting {
                listed: !raw[rep].is_empty(),
            }));
        }
        raw[rep].clear();
        let rates = FxRates {
            by_currency: raw,
            file,
        };
        return Ok((r, rates));
    }
    // Quoted in another currency: which one matters only for a currency without rows.
    let listed = (0..n)
        .filter(|&c| c != rep && !raw[c].is_empty() && all_one(&raw[c]))
        .min_by_key(|&c| &input.currencies[c]);
    let base = match (listed, without.as_slice()) {
        (_, []) => None,
        (Some(b), _) => return Err(no_rates(Quoted::Listed(code(b as u16)))),
        (None, [b]) => Some(usize::from(*b)),
        (None, _) => return Err(no_rates(Quoted::Unknown)),
    };
    let mut by_currency = vec![Vec::new(); n];
    for c in (0..n).filter(|&c| c != rep) {
        let own = if Some(c) == base {
            vec![(raw[rep][0].0, one)]
        } else {
            std::mem::take(&mut raw[c])
        };
        if !own.is_empty() {
            by_currency[c] = cross(&own, &raw[rep])?;
        }
    }
    Ok((DERIVED_RATE_DECIMALS, FxRates { by_currency, file }))
}

/// `own / rep` at [`DERIVED_RATE_DECIMALS`] places, rounded half-even, from the first date
/// both are in force, with an entry wherever either changes. Both lists are sorted by date
/// and not empty.
fn cross(own: &[(Date, i64)], rep: &[(Date, i64)]) -> Result<Vec<(Date, i64)>, CoreError> {
    let in_force = |rows: &[(Date, i64)], d: Date| rows[rows.partition_point(|x| x.0 <= d) - 1].1;
    let start = own[0].0.max(rep[0].0);
    let mut dates: Vec<Date> = own
        .iter()
        .chain(rep)
        .map(|x| x.0)
        .filter(|d| *d >= start)
        .collect();
    dates.sort_unstable();
    dates.dedup();
    let scale = 10i128.pow(DERIVED_RATE_DECIMALS);
    dates
        .into_iter()
        .map(|d| {
            let q = div_round_half_even(
                i128::from(in_force(own, d)) * scale,
                i128::from(in_force(rep, d)),
            );
            // A quotient of more than 9 million, or one below 10^-12, has no exact unit here.
            i64::try_from(q)
                .ok()
                .filter(|q| *q > 0)
                .map(|q| (d, q))
                .ok_or(CoreError::PrecisionOverflow)
        })
        .collect()
}

/// Shown rates missing at most.
const SHOWN: usize = 20;

/// The message of [`CoreError::NoRates`]. Without a rates file the message names none: a
/// front end says where rates are read from.
pub fn no_rates_message(
    file: Option<&str>,
    currencies: &[String],
    reporting: &str,
    quoted: &Quoted,
) -> String {
    let list = currencies.join(", ");
    let Some(file) = file else {
        return format!(
            "no exchange rates were read, and {list} need{} rates into {reporting}, the \
             reporting currency",
            if currencies.len() == 1 { "s" } else { "" }
        );
    };
    match quoted {
        Quoted::Reporting { listed } => {
            let why = if *listed {
                format!("it lists {reporting} at 1")
            } else {
                format!("it has no rows for {reporting}")
            };
            let mut s = format!(
                "{file} has no rates for {list}: its rates are read as the value of 1 unit in \
                 {reporting}, the reporting currency, as {why}"
            );
            if let ([other], false) = (currencies, *listed) {
                let _ = write!(
                    s,
                    " (if they are in {other}, add rows for {reporting}: the value of 1 \
                     {reporting} in {other})"
                );
            }
            s
        }
        Quoted::Listed(base) => format!(
            "{file} has no rates for {list}: its rates are the value of 1 unit in {base}, \
             which it lists at 1"
        ),
        Quoted::Unknown => format!(
            "{file} has no rates for {list}: its rates are the value of 1 unit in one \
             currency, which needs no rows of its own, so at most one currency may be left \
             out (it has rows for {reporting}, the reporting currency)"
        ),
    }
}

/// The message of [`CoreError::MissingRates`]: one line per currency and month, each
/// starting with `file: ` when a rates file is named.
pub fn missing_rates_message(
    file: Option<&str>,
    reporting: &str,
    missing: &[MissingRate],
) -> String {
    let at = file.map(|f| format!("{f}: ")).unwrap_or_default();
    let n = missing.len();
    let mut s = format!(
        "no exchange rate in force at {n} month end{} the figures need (a month is converted \
         at the rate in force on its last day):",
        if n == 1 { "" } else { "s" }
    );
    for m in missing.iter().take(SHOWN) {
        let _ = write!(
            s,
            "\n  {at}{} {}: no rate into {reporting} on or before {}",
            m.currency,
            m.month,
            m.month.last_day()
        );
        if let Some(first) = m.first {
            let _ = write!(s, " ({} rates start on {first})", m.currency);
        }
    }
    if n > SHOWN {
        let _ = write!(s, "\n  ... and {} more", n - SHOWN);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::parse(s, 10).unwrap()
    }

    const CODES: [&str; 4] = ["USD", "EUR", "GBP", "CHF"];
    const USD: u16 = 0;
    const EUR: u16 = 1;
    const GBP: u16 = 2;
    const CHF: u16 = 3;

    fn convert(
        rows: &[(u16, &str, &str)],
        reporting: u16,
        needed: &[u16],
    ) -> Result<(u32, FxRates), CoreError> {
        let rows: Vec<(u16, Date, Decimal)> =
            rows.iter().map(|&(c, x, r)| (c, d(x), dec(r))).collect();
        let currencies: Vec<String> = CODES.iter().map(|c| c.to_string()).collect();
        into_reporting(&FxInput {
            rows: &rows,
            currencies: &currencies,
            reporting,
            needed,
            file: Some("data/fx.csv"),
        })
    }

    #[test]
    fn rates_quoted_in_the_reporting_currency_are_kept_as_written() {
        let (r, fx) = convert(&[(EUR, "2024-01-01", "1.1")], USD, &[EUR]).unwrap();
        assert_eq!(r, 1);
        assert_eq!(fx.rate_on(EUR, d("2024-01-31")), Some(11));
        // Rows at 1 for the reporting currency say the same: still exact, still as written.
        let rows = [(USD, "2020-01-01", "1.00"), (EUR, "2024-01-01", "1.10")];
        let (r, fx) = convert(&rows, USD, &[EUR]).unwrap();
        assert_eq!((r, fx.rate_on(EUR, d("2024-01-31"))), (2, Some(110)));
        assert!(fx.by_currency[usize::from(USD)].is_empty());
    }

    #[test]
    fn the_base_is_inverted_for_a_report_in_a_quoted_currency() {
        // A USD-based file read for a EUR report: USD, which has no rows, is the base.
        let rows = [(EUR, "2024-01-01", "1.25"), (EUR, "2024-02-01", "1.10")];
        let (r, fx) = convert(&rows, EUR, &[USD]).unwrap();
        assert_eq!(r, DERIVED_RATE_DECIMALS);
        // 1 / 1.25 = 0.8 exactly; 1 / 1.10 = 0.909090909090|90... -> 0.909090909091.
        assert_eq!(fx.rate_on(USD, d("2024-01-31")), Some(800_000_000_000));
        assert_eq!(fx.rate_on(USD, d("2024-02-29")), Some(909_090_909_091));
        assert_eq!(fx.rate_on(USD, d("2023-12-31")), None);
        assert_eq!(fx.first_date(USD), Some(d("2024-01-01")));
    }

    #[test]
    fn a_cross_rate_changes_when_either_rate_does() {
        // USD-based: GBP 1.27, EUR 1.08 then 1.10 (Feb 15); GBP 1.30 from Mar 1. GBP report.
        let rows = [
            (GBP, "2024-01-01", "1.27"),
            (EUR, "2024-01-01", "1.08"),
            (EUR, "2024-02-15", "1.10"),
            (GBP, "2024-03-01", "1.30"),
        ];
        let (_, fx) = convert(&rows, GBP, &[EUR, USD]).unwrap();
        let eur = |x| fx.rate_on(EUR, d(x));
        // 1.08 / 1.27 = 0.850393700787|40...; 1.10 / 1.27 = 0.866141732283|46...;
        // 1.10 / 1.30 = 0.846153846153|84... -> ...154.
        assert_eq!(eur("2024-01-31"), Some(850_393_700_787));
        assert_eq!(eur("2024-02-29"), Some(866_141_732_283));
        assert_eq!(eur("2024-03-31"), Some(846_153_846_154));
        // USD, the base: 1 / 1.27 = 0.787401574803|14...; 1 / 1.30 = 0.769230769230|76...
        assert_eq!(fx.rate_on(USD, d("2024-01-31")), Some(787_401_574_803));
        assert_eq!(fx.rate_on(USD, d("2024-03-31")), Some(769_230_769_231));
    }

    #[test]
    fn a_cross_rate_starts_when_both_rates_exist() {
        let rows = [(GBP, "2024-02-01", "1.25"), (EUR, "2024-01-01", "1.00")];
        let (_, fx) = convert(&rows, GBP, &[EUR]).unwrap();
        assert_eq!(fx.first_date(EUR), Some(d("2024-02-01")));
        assert_eq!(fx.rate_on(EUR, d("2024-02-29")), Some(800_000_000_000));
    }

    #[test]
    fn derived_rates_round_half_even_and_never_to_zero() {
        // 1 / 8192 = 0.000122070312|5 and 3 / 8192 = 0.000366210937|5: ties, to even.
        let rows = [
            (GBP, "2024-01-01", "8192"),
            (EUR, "2024-01-01", "1"),
            (CHF, "2024-01-01", "3"),
        ];
        let (_, fx) = convert(&rows, GBP, &[EUR, CHF]).unwrap();
        assert_eq!(fx.rate_on(EUR, d("2024-01-31")), Some(122_070_312));
        assert_eq!(fx.rate_on(CHF, d("2024-01-31")), Some(366_210_938));
        // 1 / 2000000000000 = 0.0000000000005 -> 0 at 12 places: refused, not a rate of 0.
        let rows = [
            (GBP, "2024-01-01", "2000000000000"),
            (EUR, "2024-01-01", "1"),
        ];
        assert_eq!(
            convert(&rows, GBP, &[EUR]).unwrap_err(),
            CoreError::PrecisionOverflow
        );
    }

    #[test]
    fn a_currency_listed_at_1_is_the_base() {
        // USD listed at 1, EUR report: CHF has no rows, so it has no rate (it is not the base).
        let rows = [(USD, "2024-01-01", "1"), (EUR, "2024-01-01", "1.10")];
        let err = convert(&rows, EUR, &[USD, CHF]).unwrap_err();
        assert_eq!(
            err,
            CoreError::NoRates {
                file: Some("data/fx.csv".into()),
                currencies: vec!["CHF".into()],
                reporting: "EUR".into(),
                quoted: Quoted::Listed("USD".into()),
            }
        );
        assert!(
            err.to_string().contains("in USD, which it lists at 1"),
            "{err}"
        );
    }

    #[test]
    fn currencies_without_rows_are_one_error() {
        // No rows for JPY (the reporting currency): read as quoted in JPY, so USD has none.
        let rows = [(EUR, "2024-01-01", "1.10"), (GBP, "2024-01-01", "1.27")];
        let currencies: Vec<String> = ["USD", "EUR", "GBP", "JPY"].map(String::from).into();
        let rows: Vec<(u16, Date, Decimal)> =
            rows.iter().map(|&(c, x, r)| (c, d(x), dec(r))).collect();
        let err = into_reporting(&FxInput {
            rows: &rows,
            currencies: &currencies,
            reporting: 3,
            needed: &[USD, EUR, GBP],
            file: Some("data/fx.csv"),
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "data/fx.csv has no rates for USD: its rates are read as the value of 1 unit in \
             JPY, the reporting currency, as it has no rows for JPY (if they are in USD, add \
             rows for JPY: the value of 1 JPY in USD)"
        );
        // Rows for the reporting currency and none for two others: either may be the base.
        let rows = [(GBP, "2024-01-01", "1.27")];
        let err = convert(&rows, GBP, &[USD, CHF]).unwrap_err();
        assert!(
            matches!(&err, CoreError::NoRates { currencies, quoted: Quoted::Unknown, .. }
                if currencies == &["CHF", "USD"]),
            "{err:?}"
        );
    }

    #[test]
    fn missing_rates_are_listed_once_each_and_capped() {
        let missing: Vec<MissingRate> = (0..22)
            .map(|i| MissingRate {
                currency: "EUR".into(),
                month: Month::parse("2022-01").unwrap().plus(i),
                first: Some(d("2024-01-15")),
            })
            .collect();
        let msg = missing_rates_message(Some("d/fx.csv"), "USD", &missing);
        assert!(
            msg.starts_with("no exchange rate in force at 22 month ends"),
            "{msg}"
        );
        assert!(msg.contains(
            "\n  d/fx.csv: EUR 2022-01: no rate into USD on or before 2022-01-31 (EUR rates start \
             on 2024-01-15)"
        ));
        assert!(msg.ends_with("\n  ... and 2 more"), "{msg}");
        assert_eq!(msg.lines().count(), 1 + 20 + 1);
    }
}
