//! `subscription_snapshots` and `revenue_movements`: the tables teams already keep in a
//! warehouse, as CSV, Parquet or a PostgreSQL query (docs/input.md).
//!
//! - A snapshot row is `(account_id, snapshot_date, mrr[, currency])`. What its date means is
//!   the reading [`SnapshotDate`] (`--snapshot-date`): `close`, the MRR at the end of that day
//!   (the default), or `open`, the MRR at its start, i.e. at the end of the day before. The
//!   row's **day** is that end-of-day (`open`: the date minus one day). The **last day in a
//!   month** gives the account's MRR for that month (rows of one account on that day are
//!   summed, like several mrr.csv rows of one month); rows of earlier days in the same month
//!   are excluded as `superseded`. A month with no snapshot is MRR 0, as in mrr.csv and
//!   as in the dbt mrr-playbook's customer-month spine (`coalesce(monthly_amount, 0)` in
//!   `models/customer_revenue_by_month.sql`). Each chosen month becomes one line active in
//!   exactly that month, so every definition of docs/metrics.md applies unchanged.
//! - A movement row is `(account_id, movement_date, movement_type, mrr_change)`. Movements
//!   are not figures: they are checked against the movements the snapshots imply
//!   ([`nrr_core::engine::classify`] on the month-end values, docs/metrics.md §7), and every
//!   account-month where they disagree is listed ([`MovementCheck`]). When some snapshot is
//!   dated on the 1st of a month, the check is also made under the other reading
//!   ([`OtherReading`]), and when the reading was not chosen and every snapshot is dated on a
//!   1st, a notice says how the dates were read and how to switch ([`Finished::notice`]).

use crate::currency::reporting_currency;
use crate::error::{IoError, Rejection};
use crate::options::LoadOptions;
use crate::revenue::Revenue;
use crate::rows::{
    expect_decimal, is_currency_code, Cols, Fields, EXPECT_AMOUNT, EXPECT_CCY, EXPECT_DATE,
};
use crate::source::SnapshotFiles;
use crate::table::csv::open_csv;
use crate::table::display_name;
use nrr_core::dataset::{DatasetBuilder, LineInput, Origin, SourceKind};
use nrr_core::date::{Date, Month};
use nrr_core::engine::{classify, Movement};
use nrr_core::money::{format_scaled, Decimal, MAX_AMOUNT_DECIMALS};
use nrr_core::policy::{Reactivation, SnapshotDate, Start};
use nrr_core::report::{MovementCheck, MovementDisagreement, OtherReading};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// Base name of the snapshots file (`.csv` or `.parquet`).
pub(crate) const SNAPSHOTS: &str = "subscription_snapshots";
/// Base name of the movements file read beside it.
pub(crate) const MOVEMENTS: &str = "revenue_movements";

/// The usage error for `--snapshot-date open` with an input other than subscription_snapshots
/// (`close`, the default, is accepted everywhere).
pub(crate) fn check_reading_for(opts: &LoadOptions, input: &str) -> Result<(), IoError> {
    match opts.snapshot_date {
        Some(SnapshotDate::Open) => Err(IoError::BadOption {
            option: "--snapshot-date open".into(),
            reason: format!(
                "applies to subscription_snapshots only; the revenue input here is {input}, \
                 which accepts only the default (close)"
            ),
        }),
        _ => Ok(()),
    }
}

/// Amounts are kept as integers of 10^-6 (the most places an amount may have).
const SCALE: u32 = MAX_AMOUNT_DECIMALS;

fn scaled(d: Decimal) -> i128 {
    i128::from(d.mantissa) * 10i128.pow(SCALE - d.decimals)
}

/// An exact amount of 10^-6 units as text, with at least 2 places (`-50.00`, `0.125`).
fn amount_text(v: i128) -> String {
    let s = format_scaled(v, SCALE);
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let frac = frac.trim_end_matches('0');
    format!("{int}.{frac:0<2}")
}

/// The account id and date of a snapshot or movement row (`date_column`: the date's header),
/// or the row's rejection.
fn account_and_date<'r, R: Fields + ?Sized>(
    rec: &'r R,
    (account_c, date_c, date_column): (usize, usize, &str),
    (name, line): (&str, u64),
    rej: &mut Vec<Rejection>,
) -> Option<(Cow<'r, str>, Date)> {
    let account = rec.text(account_c);
    if account.is_empty() {
        reject(rej, name, line, "account_id", "", "a non-empty account id");
        return None;
    }
    let Some(date) = rec.date(date_c) else {
        reject(rej, name, line, date_column, &rec.text(date_c), EXPECT_DATE);
        return None;
    };
    Some((account, date))
}

fn reject(
    out: &mut Vec<Rejection>,
    file: &str,
    line: u64,
    column: &str,
    value: &str,
    expected: &str,
) {
    out.push(Rejection {
        file: file.to_string(),
        line,
        column: column.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    });
}

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
struct Snap {
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
    rows: Vec<Snap>,
    read: u64,
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
        let columns = (c.account, c.date, "snapshot_date");
        let Some((account, date)) = account_and_date(rec, columns, (name, line), rej) else {
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
                expected,
            );
        }
        let mrr = match rec.decimal(c.mrr, MAX_AMOUNT_DECIMALS) {
            Some(d) if !d.is_negative() => d,
            Some(_) => return reject(rej, name, line, "mrr", &rec.text(c.mrr), EXPECT_AMOUNT),
            None => {
                let e =
                    expect_decimal(&rec.decimal_text(c.mrr), MAX_AMOUNT_DECIMALS, EXPECT_AMOUNT);
                return reject(rej, name, line, "mrr", &rec.text(c.mrr), &e);
            }
        };
        let currency = c
            .currency
            .map_or(String::new(), |i| rec.text(i).into_owned());
        if !currency.is_empty() && !is_currency_code(&currency) {
            return reject(rej, name, line, "currency", &currency, EXPECT_CCY);
        }
        self.rows.push(Snap {
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
                builder.ledger.excluded.superseded += 1;
                return;
            };
            series.add(s, m);
            if s.mrr.is_zero() {
                builder.ledger.excluded.zero_amount += 1;
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
        let is_first = |s: &Snap| s.date.ymd().2 == 1;
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
    rows: &'a [Snap],
    reading: SnapshotDate,
    mut each: impl FnMut(&'a Snap, Option<Month>),
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
    series: Series,
    other: Option<Series>,
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

/// The columns of subscription_snapshots.
const SNAPSHOT_COLUMNS: &[&str] = &["account_id", "snapshot_date", "mrr", "currency"];
/// The columns of revenue_movements.
const MOVEMENT_COLUMNS: &[&str] = &["account_id", "movement_date", "movement_type", "mrr_change"];

/// Calls `each` for every row of a CSV or Parquet file, after `start` has seen its columns
/// (checked against `known`, notices about unknown ones added to `notices`).
/// Rows that are not UTF-8 (CSV) are returned as rejections. Also reads invoices and
/// subscription events (`crate::invoices`).
pub(crate) fn each_file_row<S>(
    path: &Path,
    known: &[&str],
    notices: &mut Vec<String>,
    start: impl FnOnce(&Cols) -> Result<S, IoError>,
    mut each: impl FnMut(&mut S, u64, &dyn Fields),
) -> Result<(S, Vec<Rejection>), IoError> {
    let kind = display_name(path);
    let checked = |cols: &Cols| -> Result<S, IoError> {
        notices.extend(cols.check(path, &kind, known)?);
        start(cols)
    };
    if path.extension().is_some_and(|e| e == "parquet") {
        #[cfg(feature = "parquet")]
        return Ok((
            crate::table::parquet::each_row(path, checked, each)?,
            Vec::new(),
        ));
        #[cfg(not(feature = "parquet"))]
        return Err(IoError::Parquet {
            path: path.to_path_buf(),
            message: "this nrr was built without the `parquet` feature".into(),
        });
    }
    let csv = open_csv(path)?;
    let mut state = checked(&csv.cols())?;
    let bad = csv.rows(|line, rec| each(&mut state, line, rec))?;
    Ok((state, bad))
}

/// Reads subscription_snapshots (and revenue_movements, when present) from files.
pub(crate) fn load_files(sf: &SnapshotFiles, opts: &LoadOptions) -> Result<Revenue, IoError> {
    let mut builder = DatasetBuilder::new(SourceKind::Mrr);
    let name = display_name(&sf.snapshots);
    let file = builder.add_file(&name);
    let path = &sf.snapshots;
    let reading = opts.snapshot_date.unwrap_or_default();
    let ((_, mut snaps), bad) = each_file_row(
        path,
        SNAPSHOT_COLUMNS,
        &mut builder.notices,
        |cols| Ok((SnapshotCols::new(cols, path)?, Snapshots::new(reading))),
        |(c, snaps), line, rec| snaps.row(*c, &name, file, line, rec),
    )?;
    snaps.read += bad.len() as u64;
    snaps.rejections.extend(bad);
    let mut fin = snaps.finish(&mut builder, reading, sf.movements.is_some());
    let mut rejections = std::mem::take(&mut fin.rejections);
    let mut names = vec![name];
    let mut check = None;
    if let Some(mpath) = &sf.movements {
        let mname = display_name(mpath);
        let ((_, mut mv), bad) = each_file_row(
            mpath,
            MOVEMENT_COLUMNS,
            &mut builder.notices,
            |cols| Ok((MovementCols::new(cols, mpath)?, Movements::default())),
            |(c, mv), line, rec| mv.row(*c, &mname, line, rec),
        )?;
        rejections.append(&mut mv.rejections);
        rejections.extend(bad);
        check = Some(check_given(
            &fin,
            &mv,
            mname,
            opts,
            &mut builder,
            &mut names,
        ));
    }
    builder
        .notices
        .extend(fin.notice(opts.snapshot_date, check.as_ref()));
    let mut revenue = Revenue::new(builder, rejections, names);
    revenue.movement_check = check;
    revenue.snapshot_date = Some(fin.reading);
    Ok(revenue)
}

/// Checks the movements read from `name` against the snapshots, in the reporting currency
/// the lines give (and under the other reading when the snapshots have it), and lists `name`
/// in the report's `inputs` (its rows are checked, not figures, so no line points at it).
pub(crate) fn check_given(
    snapshots: &Finished,
    movements: &Movements,
    name: String,
    opts: &LoadOptions,
    builder: &mut DatasetBuilder,
    names: &mut Vec<String>,
) -> MovementCheck {
    let reporting = reporting_currency(opts, builder);
    let check_of = |series: &Series| {
        check_movements(series, movements, opts.reactivation, reporting.as_deref())
    };
    let mut check = check_of(&snapshots.series);
    check.other_reading = snapshots.other.as_ref().map(|other| {
        let o = check_of(other);
        OtherReading {
            snapshot_date: snapshots.reading.other().name().to_string(),
            agreeing: o.agreeing,
            disagreeing: o.disagreements.len() as u64,
        }
    });
    builder.add_file(&name);
    names.push(name);
    check
}

/// Month-end MRR per account from the snapshots, and the months they span.
#[derive(Debug, Default)]
pub(crate) struct Series {
    by_account: BTreeMap<String, BTreeMap<Month, i128>>,
    /// The currencies of each account's paid month-end snapshots (`""`: the reporting
    /// currency). Amounts are summed as they are, so an account with more than one is not
    /// checked.
    currencies: BTreeMap<String, BTreeSet<String>>,
    first: Option<Month>,
    last: Option<Month>,
    /// The month of the earliest snapshot date, where the check starts. Under `open`, a
    /// snapshot dated on the 1st of it gives the MRR that month opens with (the month before
    /// it is in the series, not checked): it says nothing about movements before it.
    check_from: Option<Month>,
}

impl Series {
    /// Adds the snapshot `s` as MRR of `m`.
    fn add(&mut self, s: &Snap, m: Month) {
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

/// Column positions of a movements table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MovementCols {
    account: usize,
    date: usize,
    kind: usize,
    change: usize,
}

impl MovementCols {
    pub(crate) fn new(cols: &Cols, path: &Path) -> Result<MovementCols, IoError> {
        Ok(MovementCols {
            account: cols.require(path, "account_id")?,
            date: cols.require(path, "movement_date")?,
            kind: cols.require(path, "movement_type")?,
            change: cols.require(path, "mrr_change")?,
        })
    }
}

/// The five movement types, as written in `movement_type`.
const TYPES: [&str; 5] = ["new", "reactivation", "expansion", "contraction", "churn"];

fn movement_name(m: Movement) -> &'static str {
    match m {
        Movement::New => "new",
        Movement::Reactivation => "reactivation",
        Movement::Expansion => "expansion",
        Movement::Contraction => "contraction",
        Movement::Churn => "churn",
        // Snapshots carry no pauses, so these never arise here.
        Movement::Paused => "paused",
        Movement::Resumed => "resumed",
    }
}

/// One valid movement row.
struct Given {
    account: String,
    month: Month,
    kind: &'static str,
    change: i128,
}

/// Collects and validates the rows of a movements table.
#[derive(Default)]
pub(crate) struct Movements {
    rows: Vec<Given>,
    /// Rejected rows, in reading order.
    pub(crate) rejections: Vec<Rejection>,
}

impl Movements {
    /// Validates one row of the table `name`.
    pub(crate) fn row<R: Fields + ?Sized>(
        &mut self,
        c: MovementCols,
        name: &str,
        line: u64,
        rec: &R,
    ) {
        let rej = &mut self.rejections;
        let columns = (c.account, c.date, "movement_date");
        let Some((account, date)) = account_and_date(rec, columns, (name, line), rej) else {
            return;
        };
        let kind_v = rec.text(c.kind);
        let Some(kind) = TYPES.iter().copied().find(|t| *t == kind_v) else {
            return reject(
                rej,
                name,
                line,
                "movement_type",
                &kind_v,
                "new, reactivation, expansion, contraction or churn",
            );
        };
        let up = matches!(kind, "new" | "reactivation" | "expansion");
        let change = match rec.decimal(c.change, MAX_AMOUNT_DECIMALS) {
            Some(d) if up && d.mantissa > 0 => scaled(d),
            Some(d) if !up && d.mantissa < 0 => scaled(d),
            _ => {
                let sign = if up { "> 0" } else { "< 0" };
                return reject(
                    rej,
                    name,
                    line,
                    "mrr_change",
                    &rec.text(c.change),
                    &format!(
                        "the change in MRR, a decimal {sign} for {kind} (at most 6 decimal places)"
                    ),
                );
            }
        };
        self.rows.push(Given {
            account: account.into_owned(),
            month: date.month(),
            kind,
            change,
        });
    }
}

/// The given movements of one account-month, combined: their types (each once, in order of
/// appearance) and the sum of their changes.
#[derive(Default)]
struct GivenMonth {
    kinds: Vec<&'static str>,
    change: i128,
}

/// Compares the given movements with the movements the snapshots imply, account by account
/// and month by month over the months the snapshots span, from the month of the earliest
/// snapshot date ([`Series::check_from`]; the first month has no MRR before it, as in the
/// report).
///
/// Amounts are compared in each account's own snapshot currency (revenue_movements has no
/// currency column), and each disagreement names that currency. An account whose paid
/// snapshots are in more than one currency cannot be compared that way: it is listed in
/// `several_currencies` and its movement rows are counted there, not checked. `reporting`
/// names the currency of snapshots with an empty `currency`.
fn check_movements(
    series: &Series,
    movements: &Movements,
    policy: Reactivation,
    reporting: Option<&str>,
) -> MovementCheck {
    let movements_read = movements.rows.len() as u64;
    let (Some(first), Some(last), Some(from)) = (series.first, series.last, series.check_from)
    else {
        return MovementCheck {
            movements_read,
            outside_snapshots: movements_read,
            ..MovementCheck::default()
        };
    };
    // Each account's currencies, an empty code resolved to the reporting currency.
    let resolved = |account: &str| -> BTreeSet<&str> {
        series
            .currencies
            .get(account)
            .map_or_else(BTreeSet::new, |codes| {
                codes
                    .iter()
                    .map(|c| match c.as_str() {
                        "" => reporting.unwrap_or(""),
                        c => c,
                    })
                    .collect()
            })
    };
    // The currency a disagreement's amounts are in (`None`: not named).
    let currency_of = |account: &str| -> Option<String> {
        let codes = resolved(account);
        let code = codes.first().filter(|c| codes.len() == 1 && !c.is_empty());
        code.map(|c| c.to_string())
    };
    let several: BTreeSet<&String> = series
        .currencies
        .keys()
        .filter(|a| resolved(a).len() > 1)
        .collect();
    let mut outside = 0;
    let mut not_checked = 0;
    let mut given: BTreeMap<(String, Month), GivenMonth> = BTreeMap::new();
    for g in &movements.rows {
        if g.month < from || g.month > last {
            outside += 1;
            continue;
        }
        if several.contains(&g.account) {
            not_checked += 1;
            continue;
        }
        let e = given.entry((g.account.clone(), g.month)).or_default();
        if !e.kinds.contains(&g.kind) {
            e.kinds.push(g.kind);
        }
        e.change += g.change;
    }
    // The movement the snapshots imply for every account-month that has one.
    let mut implied: BTreeMap<(String, Month), (&'static str, i128)> = BTreeMap::new();
    for (account, months) in &series.by_account {
        if several.contains(account) {
            continue;
        }
        let first_paid = months.iter().find(|(_, v)| **v > 0).map(|(m, _)| *m);
        let mut m = from;
        while m <= last {
            let at = |m: Month| months.get(&m).copied().unwrap_or(0);
            let prev = if m == first { 0 } else { at(m.plus(-1)) };
            let cur = at(m);
            let first_month = Some(m) == first_paid;
            // A return after months at zero counts under the reactivation rule in force, as
            // in the report (docs/policies.md#reactivation): the engine's rule.
            let start = (prev == 0 && cur > 0).then(|| {
                policy.start(first_month, || {
                    months
                        .range(..m)
                        .rev()
                        .find(|(_, v)| **v > 0)
                        .map_or(0, |(p, _)| m.index() - p.index() - 1)
                })
            });
            let classified = classify(prev, cur, cur, start == Some(Start::New)).0;
            let classified = match classified {
                Some((Movement::Reactivation, v)) if start == Some(Start::Expansion) => {
                    Some((Movement::Expansion, v))
                }
                c => c,
            };
            if let Some((mv, amount)) = classified {
                let signed = match mv {
                    Movement::Contraction | Movement::Churn => -amount,
                    _ => amount,
                };
                implied.insert((account.clone(), m), (movement_name(mv), signed));
            }
            m = m.plus(1);
        }
    }
    let mut agreeing = 0;
    let mut disagreements = Vec::new();
    let mut keys: Vec<&(String, Month)> = given.keys().chain(implied.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let g = given.get(key);
        let i = implied.get(key);
        let agree = match (g, i) {
            (Some(g), Some((kind, amount))) => g.kinds == [*kind] && g.change == *amount,
            _ => false,
        };
        if agree {
            agreeing += 1;
            continue;
        }
        let given_change = g.map_or(0, |g| g.change);
        let implied_change = i.map_or(0, |i| i.1);
        disagreements.push((
            (given_change - implied_change).abs(),
            given_change.abs().max(implied_change.abs()),
            MovementDisagreement {
                account_id: key.0.clone(),
                currency: currency_of(&key.0),
                month: key.1,
                given_type: g.map(|g| g.kinds.join("+")),
                given_amount: g.map(|g| amount_text(g.change)),
                snapshot_type: i.map(|i| i.0.to_string()),
                snapshot_amount: i.map(|i| amount_text(i.1)),
                difference: amount_text(given_change - implied_change),
            },
        ));
    }
    // Largest first: by the size of the difference, then of the amounts; then account, month.
    disagreements.sort_by(|a, b| {
        (b.0, b.1)
            .cmp(&(a.0, a.1))
            .then_with(|| a.2.account_id.cmp(&b.2.account_id))
            .then_with(|| a.2.month.cmp(&b.2.month))
    });
    MovementCheck {
        movements_read,
        agreeing,
        outside_snapshots: outside,
        several_currencies: several.into_iter().cloned().collect(),
        not_checked_several_currencies: not_checked,
        disagreements: disagreements.into_iter().map(|d| d.2).collect(),
        other_reading: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Loaded;

    #[test]
    fn amounts_keep_every_place_and_at_least_two() {
        assert_eq!(amount_text(-50_000_000), "-50.00");
        assert_eq!(amount_text(125_000), "0.125");
        assert_eq!(amount_text(1_234_567_891), "1234.567891");
        assert_eq!(amount_text(0), "0.00");
    }

    /// Loads snapshots and movements from a temporary directory, with EUR rates and
    /// `currency` as --currency.
    fn check_in(currency: Option<&str>, snapshots: &str, movements: &str) -> MovementCheck {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let files = [
            ("subscription_snapshots.csv", snapshots),
            ("revenue_movements.csv", movements),
            ("fx.csv", "date,currency,rate\n2024-01-01,EUR,1.10\n"),
        ];
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("writing a fixture");
        }
        let opts = LoadOptions {
            currency: currency.map(str::to_string),
            ..LoadOptions::default()
        };
        let loaded = crate::load(dir.path(), &opts).expect("the snapshots load");
        loaded.movement_check.expect("a movement check")
    }

    /// Loads snapshots (and movements, when given) under `reading` with USD as the reporting
    /// currency.
    fn load_read(reading: Option<SnapshotDate>, snapshots: &str, movements: &str) -> Loaded {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path();
        std::fs::write(path.join("subscription_snapshots.csv"), snapshots).expect("writing");
        if !movements.is_empty() {
            std::fs::write(path.join("revenue_movements.csv"), movements).expect("writing");
        }
        let opts = LoadOptions {
            currency: Some("USD".into()),
            snapshot_date: reading,
            ..LoadOptions::default()
        };
        crate::load(path, &opts).expect("the snapshots load")
    }

    /// Each line's month and MRR (in native units: whole amounts here), in line order.
    fn months_of(loaded: &Loaded) -> Vec<(String, i64)> {
        let lines = &loaded.dataset.lines;
        (0..lines.len())
            .map(|i| (lines.start[i].to_string(), lines.mrr[i]))
            .collect()
    }

    const MIXED: &str = "account_id,snapshot_date,mrr\n\
                         acme,2026-02-01,80\nacme,2026-02-20,60\nacme,2026-03-01,70\n";

    /// Under `open`, 2026-02-01 is January's close and 2026-03-01 February's, superseding the
    /// February day 2026-02-20; under `close`, 2026-02-20 supersedes 2026-02-01.
    #[test]
    fn open_reads_a_date_as_the_end_of_the_day_before() {
        let open = load_read(Some(SnapshotDate::Open), MIXED, "");
        assert_eq!(open.snapshot_date, Some(SnapshotDate::Open));
        assert_eq!(
            months_of(&open),
            [("2026-01".into(), 80), ("2026-02".into(), 70)]
        );
        assert_eq!(open.dataset.ledger.excluded.superseded, 1);
        let close = load_read(Some(SnapshotDate::Close), MIXED, "");
        assert_eq!(
            months_of(&close),
            [("2026-02".into(), 60), ("2026-03".into(), 70)]
        );
        assert_eq!(close.dataset.ledger.excluded.superseded, 1);
        // Not every date is a 1st: no notice, whatever the reading.
        assert!(load_read(None, MIXED, "").dataset.notices.is_empty());
    }

    const FIRSTS: &str = "account_id,snapshot_date,mrr\n\
                          a,2026-01-01,100\nb,2026-01-01,200\na,2026-02-01,150\nc,2026-02-01,50\n";
    const MOVES: &str = "account_id,movement_date,movement_type,mrr_change\n\
                         c,2026-01-10,new,50\na,2026-01-15,expansion,50\nb,2026-01-20,churn,-200\n\
                         z,2025-12-15,new,10\n";

    /// Every date a 1st and no reading given: read at close, with the notice; given, no
    /// notice. The check under `open` starts in 2026-01 (the month of the earliest date), so a
    /// December movement is outside it; under `close` it is outside too (before 2026-01).
    #[test]
    fn first_of_month_dates_are_noted_unless_the_reading_is_given() {
        let default = load_read(None, FIRSTS, MOVES);
        assert_eq!(default.snapshot_date, Some(SnapshotDate::Close));
        let notices = &default.dataset.notices;
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(
            notices[0].contains("2026-01-01 is the MRR of 2026-01")
                && notices[0].contains("2026-01-01 is then the closing MRR of 2025-12")
                && notices[0].ends_with(
                    "0 account-months agree and 6 disagree as read; with --snapshot-date open, \
                     3 agree and 0 disagree"
                ),
            "{}",
            notices[0]
        );
        let check = default.movement_check.expect("a check");
        assert_eq!((check.agreeing, check.outside_snapshots), (0, 1));
        for reading in [SnapshotDate::Close, SnapshotDate::Open] {
            let given = load_read(Some(reading), FIRSTS, MOVES);
            assert!(given.dataset.notices.is_empty(), "{reading:?}");
        }
        let open = load_read(Some(SnapshotDate::Open), FIRSTS, MOVES);
        let check = open.movement_check.expect("a check");
        assert_eq!(
            (
                check.agreeing,
                check.outside_snapshots,
                check.disagreements.len()
            ),
            (3, 1, 0)
        );
        let other = check.other_reading.expect("the other reading");
        assert_eq!(
            (
                other.snapshot_date.as_str(),
                other.agreeing,
                other.disagreeing
            ),
            ("close", 0, 6)
        );
        // Without movements the notice has no movement counts.
        let alone = load_read(None, FIRSTS, "");
        assert!(alone.dataset.notices[0].ends_with("(docs/input.md#subscription_snapshots)"));
    }

    /// [`check_in`] with USD as the reporting currency.
    fn check_of(snapshots: &str, movements: &str) -> MovementCheck {
        check_in(Some("USD"), snapshots, movements)
    }

    /// Without --currency, the one currency of the snapshots is the reporting currency, and
    /// snapshots with an empty currency are in it: one currency, checked.
    #[test]
    fn an_empty_currency_is_the_inferred_reporting_currency() {
        let c = check_in(
            None,
            "account_id,snapshot_date,mrr,currency\n\
             acme,2024-01-31,100,\nacme,2024-02-29,150,EUR\n",
            "account_id,movement_date,movement_type,mrr_change\n\
             acme,2024-01-05,new,100\nacme,2024-02-05,expansion,40\n",
        );
        assert!(c.several_currencies.is_empty(), "{c:?}");
        assert_eq!(c.agreeing, 1);
        assert_eq!(c.disagreements.len(), 1);
        assert_eq!(c.disagreements[0].currency.as_deref(), Some("EUR"));
        assert_eq!(c.disagreements[0].difference, "-10.00");
    }

    #[test]
    fn disagreements_name_the_accounts_currency() {
        let c = check_of(
            "account_id,snapshot_date,mrr,currency\n\
             acme,2024-01-31,100,EUR\nacme,2024-02-29,150,EUR\n\
             globex,2024-01-31,80,\nglobex,2024-02-29,80,\n",
            "account_id,movement_date,movement_type,mrr_change\n\
             acme,2024-01-05,new,100\nacme,2024-02-05,expansion,40\n\
             globex,2024-01-05,new,70\n",
        );
        assert_eq!(c.agreeing, 1);
        let by_account: Vec<(&str, Option<&str>, &str)> = c
            .disagreements
            .iter()
            .map(|d| {
                (
                    d.account_id.as_str(),
                    d.currency.as_deref(),
                    d.difference.as_str(),
                )
            })
            .collect();
        // EUR amounts stay in EUR (revenue_movements has no currency); an empty currency is
        // the reporting currency. Equal differences: the larger amount (globex's 80) first.
        assert_eq!(
            by_account,
            [
                ("globex", Some("USD"), "-10.00"),
                ("acme", Some("EUR"), "-10.00")
            ]
        );
        assert!(c.several_currencies.is_empty());
    }

    /// An account that moves from EUR 100 to USD 105 is a contraction in the report (from
    /// USD 110); summing the snapshots as they are would imply an expansion of 5. The check
    /// does not compare such an account: it lists it and counts its movement rows.
    #[test]
    fn an_account_in_two_currencies_is_listed_not_checked() {
        let c = check_of(
            "account_id,snapshot_date,mrr,currency\n\
             acme,2024-01-31,100,EUR\nacme,2024-02-29,105,USD\n\
             globex,2024-01-31,80,USD\nglobex,2024-02-29,0,EUR\n",
            "account_id,movement_date,movement_type,mrr_change\n\
             acme,2024-01-05,new,100\nacme,2024-02-05,expansion,5\n\
             globex,2024-01-05,new,80\nglobex,2024-02-05,churn,-80\n",
        );
        assert_eq!(c.several_currencies, ["acme"]);
        assert_eq!(c.not_checked_several_currencies, 2);
        // globex's zero snapshot in EUR says nothing about its currency.
        assert_eq!(c.agreeing, 2);
        assert!(c.disagreements.is_empty(), "{:?}", c.disagreements);
    }
}
