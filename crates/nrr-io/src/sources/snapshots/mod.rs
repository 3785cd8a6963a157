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

mod movement_check;
mod series;

use crate::error::{IoError, Misfit, Rejection, RejectionKind};
use crate::options::LoadOptions;
use crate::revenue::{DeferredCheck, Revenue};
use crate::rows::{Cols, Fields, EXPECT_DATE};
use crate::source::SnapshotFiles;
use crate::table::csv::open_csv;
use crate::table::display_name;
use movement_check::check_movements;
pub(crate) use movement_check::{MovementCols, Movements};
use nrr_core::dataset::{DatasetBuilder, SourceKind};
use nrr_core::date::Date;
use nrr_core::money::{format_scaled, Decimal, MAX_AMOUNT_DECIMALS};
use nrr_core::policy::SnapshotDate;
use nrr_core::report::{MovementCheck, OtherReading};
use series::Series;
pub(crate) use series::{Finished, SnapshotCols, Snapshots};
use std::borrow::Cow;
use std::path::Path;

/// Base name of the snapshots file (`.csv` or `.parquet`).
pub(crate) const SNAPSHOTS: &str = "subscription_snapshots";
/// Base name of the movements file read beside it.
pub(crate) const MOVEMENTS: &str = "revenue_movements";

/// The usage error for `--snapshot-date open` with an input other than subscription_snapshots
/// (`close`, the default, is accepted everywhere).
pub(crate) fn check_reading_for(opts: &LoadOptions, input: &str) -> Result<(), IoError> {
    match opts.snapshot_date {
        Some(SnapshotDate::Open) => Err(Misfit::OpenSnapshotDates {
            input: input.to_string(),
        }
        .into()),
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

/// Where a row is: its input's name and its line (or row number).
#[derive(Clone, Copy)]
struct RowAt<'a> {
    name: &'a str,
    line: u64,
}

/// The account and date columns of a snapshot or movement row, and the date's header.
#[derive(Clone, Copy)]
struct KeyColumns<'a> {
    account: usize,
    date: usize,
    date_header: &'a str,
}

/// The account id and date of a snapshot or movement row ,
/// or the row's rejection.
fn account_and_date<'r, R: Fields + ?Sized>(
    rec: &'r R,
    columns: KeyColumns<'_>,
    at: RowAt<'_>,
    rej: &mut Vec<Rejection>,
) -> Option<(Cow<'r, str>, Date)> {
    let RowAt { name, line } = at;
    let account = rec.text(columns.account);
    if account.is_empty() {
        let kind = RejectionKind::MissingValue;
        reject(
            rej,
            name,
            line,
            "account_id",
            "",
            kind,
            "a non-empty account id",
        );
        return None;
    }
    let Some(date) = rec.date(columns.date) else {
        let value = rec.text(columns.date);
        let kind = RejectionKind::BadDate.or_missing(&value);
        reject(
            rej,
            name,
            line,
            columns.date_header,
            &value,
            kind,
            EXPECT_DATE,
        );
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
    kind: RejectionKind,
    expected: &str,
) {
    out.push(Rejection {
        kind,
        file: file.to_string(),
        line,
        column: column.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    });
}

/// The columns of subscription_snapshots.
const SNAPSHOT_COLUMNS: &[&str] = &["account_id", "snapshot_date", "mrr", "currency"];
/// The columns of revenue_movements.
const MOVEMENT_COLUMNS: &[&str] = &["account_id", "movement_date", "movement_type", "mrr_change"];

/// Calls `each` for every row of a CSV or Parquet file, after `start` has seen its columns
/// (checked against `known`, notices about unknown ones added to `notices`).
/// Rows that are not UTF-8 (CSV) are returned as rejections. Also reads invoices and
/// subscription events (`crate::sources::invoices`).
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
    let reading = fin.reading;
    let mut pending = None;
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
        pending = Some(PendingCheck::new(fin, mv, mname, &mut builder, &mut names));
    } else {
        builder.notices.extend(fin.notice(opts.snapshot_date, None));
    }
    let mut revenue = Revenue::new(builder, rejections, names);
    revenue.movements = pending.map(PendingCheck::deferred);
    revenue.snapshot_date = Some(reading);
    Ok(revenue)
}

/// revenue_movements read beside the snapshots, checked against them by the load pipeline
/// once it has decided the reporting currency ([`PendingCheck::check`]).
pub(crate) struct PendingCheck {
    snapshots: Finished,
    movements: Movements,
    /// Where the snapshots' notice goes among the builder's notices (it counts the
    /// account-months the check finds agreeing).
    notice_at: usize,
}

impl PendingCheck {
    /// The movements read from `name`, to check against `snapshots`; `name` is listed in the
    /// report's `inputs` now, in reading order (its rows are checked, not figures, so no line
    /// points at it).
    pub(crate) fn new(
        snapshots: Finished,
        movements: Movements,
        name: String,
        builder: &mut DatasetBuilder,
        names: &mut Vec<String>,
    ) -> PendingCheck {
        builder.add_file(&name);
        names.push(name);
        PendingCheck {
            snapshots,
            movements,
            notice_at: builder.notices.len(),
        }
    }

    /// The check, run by the load pipeline when it has decided the reporting currency.
    pub(crate) fn deferred(self) -> DeferredCheck {
        Box::new(move |reporting, opts, notices| self.check(reporting, opts, notices))
    }

    /// The check in the reporting currency (`None`: the data names none), under the reading
    /// used and the other one when the snapshots have it; the snapshots' notice, when there is
    /// one, goes in its place among `notices`.
    pub(crate) fn check(
        self,
        reporting: Option<&str>,
        opts: &LoadOptions,
        notices: &mut Vec<String>,
    ) -> MovementCheck {
        let PendingCheck {
            snapshots,
            movements,
            notice_at,
        } = self;
        let check_of =
            |series: &Series| check_movements(series, &movements, opts.reactivation, reporting);
        let mut check = check_of(&snapshots.series);
        check.other_reading = snapshots.other.as_ref().map(|other| {
            let o = check_of(other);
            OtherReading {
                snapshot_date: snapshots.reading.other().name().to_string(),
                agreeing: o.agreeing,
                disagreeing: o.disagreements.len() as u64,
            }
        });
        if let Some(n) = snapshots.notice(opts.snapshot_date, Some(&check)) {
            notices.insert(notice_at, n);
        }
        check
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
