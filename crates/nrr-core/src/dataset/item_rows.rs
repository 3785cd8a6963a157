//! The dataset's recurring lines given back as the items.csv rows that read into the same
//! lines (`nrr lines`): whatever the source (items, mrr.csv, invoices, Stripe, snapshots),
//! once every reader policy has been applied.
//!
//! A line's MRR is kept in native units, `1 / (10^a * L)` of its currency ([`Scale`]); its
//! charge per billing interval, `mrr x interval / (10^a * L)`, is then an exact decimal with
//! at most `a` places (it is the amount the reader pushed). items.csv takes at most
//! [`MAX_AMOUNT_DECIMALS`] places: a charge that needs more (a Stripe price with sub-cent
//! `unit_amount_decimal`) is written as `10^k` times the charge over `10^k` times the interval,
//! the same MRR exactly.

use super::{Dataset, NO_CURRENCY};
use crate::date::Date;
use crate::money::{Decimal, Scale, MAX_AMOUNT_DECIMALS};
use crate::CoreError;

/// One recurring line as an items.csv row (`kind` recurring, no `subscription_id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemRow<'a> {
    /// `customer_id` (after customer_map.csv, when one was read).
    pub customer: &'a str,
    /// `product` (`""` when not known).
    pub product: &'a str,
    /// `plan` (`""` when not known).
    pub plan: &'a str,
    /// `quantity` (1 when not known).
    pub quantity: u64,
    /// `amount`: the charge per `interval` months, exact, at most
    /// [`MAX_AMOUNT_DECIMALS`] places, no trailing zeros.
    pub amount: Decimal,
    /// `currency`: the line's own; `""` when the data names no currency at all.
    pub currency: &'a str,
    /// `interval_months`.
    pub interval: u32,
    /// `start_date`.
    pub start: Date,
    /// `end_date` (exclusive), `None` when open.
    pub end: Option<Date>,
}

/// Every line of a dataset as an [`ItemRow`], in the dataset's line order (the input's).
#[derive(Debug)]
pub struct ItemRows<'a> {
    ds: &'a Dataset,
    /// Lines whose charge needs more than [`MAX_AMOUNT_DECIMALS`] places, with the interval
    /// they are written with, by line index (ascending).
    widened: Vec<(usize, u32)>,
}

/// A line's charge per `interval` months (`mrr` native units at `scale`) as an exact decimal
/// without trailing zeros, and how many powers of ten it is over [`MAX_AMOUNT_DECIMALS`].
fn charge(mrr: i64, interval: u32, scale: &Scale) -> (Decimal, u32) {
    // mrr = mantissa x 10^(a - d) x (L / interval), so mrr x interval / L is exact and no
    // larger than mrr (interval <= L): the cast to i64 cannot truncate.
    let units = i128::from(mrr) * i128::from(interval) / i128::from(scale.interval_lcm);
    let mut mantissa = units as i64;
    let mut decimals = scale.amount_decimals;
    while decimals > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        decimals -= 1;
    }
    let over = decimals.saturating_sub(MAX_AMOUNT_DECIMALS);
    let amount = Decimal {
        mantissa,
        decimals: decimals - over,
    };
    (amount, over)
}

impl<'a> ItemRows<'a> {
    /// The rows of `ds`; an error when a charge with more than [`MAX_AMOUNT_DECIMALS`] places
    /// would need an interval beyond `u32` months to be written exactly.
    pub fn new(ds: &'a Dataset) -> Result<ItemRows<'a>, CoreError> {
        let l = &ds.lines;
        let mut widened = Vec::new();
        for i in 0..l.len() {
            let (_, over) = charge(l.mrr[i], l.interval[i], &ds.scale);
            if over > 0 {
                let interval = 10u32
                    .checked_pow(over)
                    .and_then(|p| p.checked_mul(l.interval[i]))
                    .ok_or(CoreError::PrecisionOverflow)?;
                widened.push((i, interval));
            }
        }
        Ok(ItemRows { ds, widened })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ds.lines.len()
    }

    /// `true` when there are none.
    pub fn is_empty(&self) -> bool {
        self.ds.lines.is_empty()
    }

    /// How many lines are written over a longer interval than their own (their charge needs
    /// more than [`MAX_AMOUNT_DECIMALS`] places).
    pub fn widened(&self) -> usize {
        self.widened.len()
    }

    /// The rows, in line order.
    pub fn iter(&self) -> impl Iterator<Item = ItemRow<'a>> + '_ {
        let ds = self.ds;
        let l = &ds.lines;
        let unnamed = ds.currency() == NO_CURRENCY;
        let mut widened = self.widened.iter().peekable();
        (0..l.len()).map(move |i| {
            let (amount, _) = charge(l.mrr[i], l.interval[i], &ds.scale);
            let interval = match widened.next_if(|w| w.0 == i) {
                Some(&(_, wide)) => wide,
                None => l.interval[i],
            };
            let currency = &ds.currencies[usize::from(l.currency[i])];
            ItemRow {
                customer: ds.customers.get(l.customer[i] as usize),
                product: &ds.labels[l.product[i] as usize],
                plan: &ds.labels[l.plan[i] as usize],
                quantity: l.quantity[i],
                amount,
                // Data without any currency is reported in XXX; written as it came, empty.
                currency: if unnamed && l.currency[i] == ds.reporting {
                    ""
                } else {
                    currency
                },
                interval,
                start: l.start_date[i],
                end: l.end_date[i],
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{DatasetBuilder, LineDetail, LineInput, Origin, Reporting, SourceKind};

    fn date(s: &str) -> Date {
        Date::parse(s).expect("a date")
    }

    fn line<'a>(
        customer: &'a str,
        currency: &'a str,
        amount: &str,
        interval: u32,
    ) -> LineInput<'a> {
        LineInput {
            customer,
            currency,
            amount: Decimal::parse(amount, 9).expect("a decimal"),
            interval,
            start: date("2024-01-01"),
            end: None,
            origin: Origin { file: 0, line: 2 },
        }
    }

    fn rows(lines: &[LineInput<'_>], reporting: Reporting) -> Vec<(String, String, u32)> {
        let mut b = DatasetBuilder::new(SourceKind::Items);
        for l in lines {
            b.push_line_detail(l.clone(), LineDetail::default());
        }
        let ds = b.finish(&reporting).expect("a dataset");
        let rows = ItemRows::new(&ds).expect("rows");
        rows.iter()
            .map(|r| {
                let a =
                    crate::money::format_scaled(i128::from(r.amount.mantissa), r.amount.decimals);
                (a, r.currency.to_string(), r.interval)
            })
            .collect()
    }

    #[test]
    fn charges_come_back_exactly_over_their_own_interval() {
        let got = rows(
            &[
                line("a", "USD", "1000.00", 12),
                line("b", "USD", "99.9", 1),
                line("c", "USD", "0.125", 3),
            ],
            Reporting::Code("USD".into()),
        );
        let want = [("1000", 12), ("99.9", 1), ("0.125", 3)];
        for ((a, ccy, i), (wa, wi)) in got.iter().zip(want) {
            assert_eq!((a.as_str(), ccy.as_str(), *i), (wa, "USD", wi));
        }
    }

    #[test]
    fn a_charge_beyond_six_places_is_written_over_a_longer_interval() {
        // 12.34567891 a month (a sub-cent Stripe price): 12.345679 would not be exact.
        let got = rows(
            &[line("a", "USD", "12.34567891", 1)],
            Reporting::Code("USD".into()),
        );
        assert_eq!(got, [("1234.567891".to_string(), "USD".to_string(), 100)]);
    }

    #[test]
    fn lines_without_a_currency_stay_without_one() {
        let got = rows(&[line("a", "", "10", 1)], Reporting::Unnamed);
        assert_eq!(got, [("10".to_string(), String::new(), 1)]);
        let named = rows(&[line("a", "", "10", 1)], Reporting::Code("EUR".into()));
        assert_eq!(named, [("10".to_string(), "EUR".to_string(), 1)]);
    }
}
