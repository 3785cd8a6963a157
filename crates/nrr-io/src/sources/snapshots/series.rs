//! Snapshot rows and the month-end MRR series they give under a reading of their dates.

use super::{account_and_date, reject, scaled, KeyColumns, RowAt};
use crate::error::{IoError, Rejection, RejectionKind};
use crate::rows::{is_currency_code, Cols, Fields, EXPECT_AMOUNT, EXPECT_CCY};
use nrr_core::dataset::{DatasetBuilder, LineInput, Origin};
use nrr_core::date::{Date, Month};
use nrr_core::money::{Decimal, MAX_AMOUNT_DECIMALS};
use nrr_core::policy::SnapshotDate;
use nrr_core::report::{MovementCheck, Reason};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// Column positions of a snapshots table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SnapshotCols {
    account: usize,
    date: usize,
    mrr: usize,
    currency: Option<usize>,
}

impl SnapshotCols {
    pub(crate) fn new(cols: &Cols, path: &Path) -> Result<SnapshotCols, IoError> {
        Ok(SnapshotCols {
            account: cols.require(path, "account_id")?,
            date: cols.require(path, "snapshot_date")?,
            mrr: cols.require(path, "mrr")?,
            currency: cols.get("currency"),
        })
    }
}

/// One valid snapshot row.
struct SnapshotRow {
    account: String,
    date: Date,
    mrr: Decimal,
    currency: String,
    origin: Origin,
}

/// Collects and validates the rows of a snapshots table; [`Snapshots::finish`] picks each
/// month's snapshot and hands the lines to the builder.
#[derive(Default)]
pub(crate) struct Snapshots {
    /// How the dates are read: under `open`, 0001-01-01 would mean the end of a day before the
    /// first date nrr accepts, and is rejected.
    reading: SnapshotDate,
    rows: Vec<SnapshotRow>,
    pub(super) read: u64,
    /// Rejected rows, in reading order.
    pub(crate) rejections: Vec<Rejection>,
}

impl Snapshots {
    /// No rows yet; dates read as `reading` says.
    pub(crate) fn new(reading: SnapshotDate) -> Snapshots {
        Snapshots {
            reading,
            ..Snapshots::default()
        }
    }

    /// Validates one row of the table `name` (registered in the builder as `file`).
    pub(crate) fn row<R: Fields + ?Sized>(
        &mut self,
        c: SnapshotCols,
        name: &str,
        file: u16,
        line: u64,
        rec: &R,
    ) {
        self.read += 1;
        let rej = &mut self.rejections;
        let columns = KeyColumns {
            account: c.account,
            date: c.date,
            date_header: "snapshot_date",
        };
        let at = RowAt { name, line };
        let Some((account, date)) = account_and_date(rec, columns, at, rej) else {
            return;
        };
        if self.reading == SnapshotDate::Open && date == Date::MIN {
            let expected = "a date after 0001-01-01: under --snapshot-date open a date means the \
                            end of the day before, and dates start at 0001-01-01";
            return reject(
                rej,
                name,
                line,
                "snapshot_date",
                &rec.text(c.date),
                RejectionKind::BadDate,
                expected,
            );
        }
        let mrr = match rec.decimal(c.mrr, MAX_AMOUNT_DECIMALS) {
            Some(d) if !d.is_negative() => d,
            Some(_) => {
                let kind = RejectionKind::NegativeAmount;
                return reject(
                    rej,
                    name,
                    line,
                    "mrr",
                    &rec.text(c.mrr),
                    kind,
                    EXPECT_AMOUNT,
                );
            }
            None => {
                let e = crate::rows::expect_decimal(
                    &rec.decimal_text(c.mrr),
                    MAX_AMOUNT_DECIMALS,
                    EXPECT_AMOUNT,
                );
                let value = rec.text(c.mrr);
                let kind = e.kind.or_missing(&value);
                return reject(rej, name, line, "mrr", &value, kind, &e.text);
            }
        };
        let currency = c
            .currency
            .map_or(String::new(), |i| rec.text(i).into_owned());
        if !currency.is_empty() && !is_currency_code(&currency) {
            let kind = RejectionKind::BadCurrency;
            return reject(rej, name, line, "currency", &currency, kind, EXPECT_CCY);
        }
        self.rows.push(SnapshotRow {
            account: account.into_owned(),
            date,
            mrr,
            currency,
            origin: Origin { file, line },
        });
    }

    /// Picks each account-month's snapshot (the last day in the month under `reading`),
    /// counts every row in the ledger, pushes the month lines, and returns the month-end MRR
    /// per account (in 10^-6 units, in the snapshots' own currency) for [`check_movements`];
    /// with `other`, also the month-end MRR under the other reading when some snapshot is
    /// dated on the 1st of a month (otherwise both readings give the same months).
    pub(crate) fn finish(
        self,
        builder: &mut DatasetBuilder,
        reading: SnapshotDate,
        other: bool,
    ) -> Finished {
        let ledger = &mut builder.ledger;
        ledger.read += self.read;
        ledger.rejected += self.rejections.len() as u64;
        let mut series = Series::default();
        pick(&self.rows, reading, |s, month| {
            let Some(m) = month else {
                builder
                    .ledger
                    .exclude(Reason::Superseded, &s.currency, s.mrr);
                return;
            };
            series.add(s, m);
            if s.mrr.is_zero() {
                builder
                    .ledger
                    .exclude(Reason::ZeroAmount, &s.currency, s.mrr);
                return;
            }
            builder.ledger.used += 1;
            builder.push_line(LineInput {
                customer: &s.account,
                currency: &s.currency,
                amount: s.mrr,
                interval: 1,
                start: m.first_day(),
                end: Some(m.plus(1).first_day()),
                origin: s.origin,
            });
        });
        let is_first = |s: &SnapshotRow| s.date.ymd().2 == 1;
        let some_first = self.rows.iter().any(is_first);
        let earliest = self.rows.iter().map(|s| s.date).min();
        series.check_from = earliest.map(Date::month);
        let other = (other && some_first).then(|| {
            let mut o = Series::default();
            pick(&self.rows, reading.other(), |s, month| {
                if let Some(m) = month {
                    o.add(s, m);
                }
            });
            o.check_from = series.check_from;
            o
        });
        Finished {
            series,
            other,
            rejections: self.rejections,
            reading,
            all_first: some_first && self.rows.iter().all(is_first),
            earliest,
        }
    }
}

/// Calls `each(row, Some(month))` for every row on its account's last day of a month under
/// `reading` (the row then gives that month's MRR), and `each(row, None)` for every other row
/// (`superseded`).
fn pick<'a>(
    rows: &'a [SnapshotRow],
    reading: SnapshotDate,
    mut each: impl FnMut(&'a SnapshotRow, Option<Month>),
) {
    let mut last: HashMap<(&str, Month), Date> = HashMap::new();
    for s in rows {
        let day = reading.day(s.date);
        let d = last.entry((&s.account, day.month())).or_insert(day);
        *d = (*d).max(day);
    }
    for s in rows {
        let day = reading.day(s.date);
        let m = day.month();
        each(s, (last[&(s.account.as_str(), m)] == day).then_some(m));
    }
}

/// The snapshots read: their month-end MRR under the reading used (and under the other one,
/// when asked for and different), and what the notice about the reading needs.
pub(crate) struct Finished {
    pub(super) series: Series,
    pub(super) other: Option<Series>,
    /// Rejected rows, in reading order.
    pub(crate) rejections: Vec<Rejection>,
    /// The reading used.
    pub(crate) reading: SnapshotDate,
    /// Every valid snapshot (at least one) is dated on the 1st of a month.
    all_first: bool,
    /// The earliest snapshot date.
    earliest: Option<Date>,
}

impl Finished {
    /// The notice when the reading was not chosen (`given`) and every snapshot is dated on
    /// the 1st of a month: how the dates were read, what the other reading would make of
    /// them and how to choose it, and with a movement check, how many account-months agree
    /// under each reading.
    pub(crate) fn notice(
        &self,
        given: Option<SnapshotDate>,
        check: Option<&MovementCheck>,
    ) -> Option<String> {
        if given.is_some() || !self.all_first {
            return None;
        }
        let date = self.earliest?;
        let month = date.month();
        let mut text = format!(
            "every snapshot_date is the first day of a month, read as the MRR at the close of \
             that day (--snapshot-date close, the default): {date} is the MRR of {month}. If \
             the dates mark the open of their month ({date} as the starting cohort of {month}, \
             as the usual warehouse query reads it), pass --snapshot-date open: {date} is then \
             the closing MRR of {} (docs/input.md#subscription_snapshots)",
            month.plus(-1)
        );
        if let Some(c) = check {
            text.push_str(&format!(
                ". revenue_movements: {} account-months agree and {} disagree as read",
                c.agreeing,
                c.disagreements.len()
            ));
            if let Some(o) = &c.other_reading {
                text.push_str(&format!(
                    "; with --snapshot-date {}, {} agree and {} disagree",
                    o.snapshot_date, o.agreeing, o.disagreeing
                ));
            }
        }
        Some(text)
    }
}

/// Month-end MRR per account from the snapshots, and the months they span.
#[derive(Debug, Default)]
pub(crate) struct Series {
    pub(super) by_account: BTreeMap<String, BTreeMap<Month, i128>>,
    /// The currencies of each account's paid month-end snapshots (`""`: the reporting
    /// currency). Amounts are summed as they are, so an account with more than one is not
    /// checked.
    pub(super) currencies: BTreeMap<String, BTreeSet<String>>,
    pub(super) first: Option<Month>,
    pub(super) last: Option<Month>,
    /// The month of the earliest snapshot date, where the check starts. Under `open`, a
    /// snapshot dated on the 1st of it gives the MRR that month opens with (the month before
    /// it is in the series, not checked): it says nothing about movements before it.
    pub(super) check_from: Option<Month>,
}

impl Series {
    /// Adds the snapshot `s` as MRR of `m`.
    fn add(&mut self, s: &SnapshotRow, m: Month) {
        *self
            .by_account
            .entry(s.account.clone())
            .or_default()
            .entry(m)
            .or_default() += scaled(s.mrr);
        self.first = Some(self.first.map_or(m, |f| f.min(m)));
        self.last = Some(self.last.map_or(m, |l| l.max(m)));
        // Zero is zero in any currency: only paid snapshots say what an account bills in.
        if !s.mrr.is_zero() {
            self.currencies
                .entry(s.account.clone())
                .or_default()
                .insert(s.currency.clone());
        }
    }
}
