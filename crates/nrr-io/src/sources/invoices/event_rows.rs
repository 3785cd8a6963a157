//! subscription_events.csv rows (or their Parquet or database twins): each an event of the
//! subscriptions it names, or rejected.

use super::charges::{Billing, Event, EventKind};
use super::rows::Rejects;
use crate::error::{IoError, Rejection, RejectionKind::*};
use crate::rows::{Cols, Fields, EXPECT_DATE};
use crate::sources::snapshots::each_file_row;
use crate::table::display_name;
use nrr_core::dataset::{DatasetBuilder, Origin};
use nrr_core::date::Date;
use nrr_core::report::RowLedger;
use std::path::Path;

/// The row handling of a subscription events input, whatever the rows come from.
pub(super) struct EventRows<'a> {
    sub_c: usize,
    event_c: usize,
    date_c: usize,
    file: u16,
    pub(super) rej: Rejects<'a>,
}

impl<'a> EventRows<'a> {
    pub(super) fn new(
        cols: &Cols,
        path: &Path,
        name: &'a str,
        file: u16,
    ) -> Result<EventRows<'a>, IoError> {
        Ok(EventRows {
            sub_c: cols.require(path, "subscription_id")?,
            event_c: cols.require(path, "event")?,
            date_c: cols.require(path, "effective_date")?,
            file,
            rej: Rejects {
                name,
                list: Vec::new(),
            },
        })
    }

    /// Reads one row (`line`: its line in the file, or its row number in a query result).
    pub(super) fn row<R: Fields + ?Sized>(
        &mut self,
        line: u64,
        rec: &R,
        billing: &mut Billing,
        ledger: &mut RowLedger,
    ) {
        ledger.read += 1;
        let (sub_v, event_v, date_v) = (
            rec.text(self.sub_c),
            rec.text(self.event_c),
            rec.text(self.date_c),
        );
        let rej = &mut self.rej;
        if sub_v.is_empty() {
            ledger.rejected += 1;
            return rej.push(
                line,
                "subscription_id",
                "",
                MissingValue,
                "a non-empty subscription id",
            );
        }
        let Some(kind) = EventKind::parse(&event_v) else {
            ledger.rejected += 1;
            return rej.push(
                line,
                "event",
                &event_v,
                UnknownValue.or_missing(&event_v),
                "one of cancel_requested, canceled, paused, resumed, past_due, unpaid",
            );
        };
        let Some(date) = Date::parse(&date_v) else {
            ledger.rejected += 1;
            let kind = BadDate.or_missing(&date_v);
            return rej.push(line, "effective_date", &date_v, kind, EXPECT_DATE);
        };
        let Some(subs) = billing.by_id.get(sub_v.as_ref()) else {
            ledger.excluded.unknown_subscription += 1;
            return;
        };
        ledger.used += 1;
        for &s in subs {
            billing.subs[s].events.push(Event {
                origin: Origin {
                    file: self.file,
                    line,
                },
                kind,
                date,
            });
        }
    }
}

/// Reads subscription_events.csv (or .parquet) into the subscriptions of `billing`.
pub(super) fn read_events(
    path: &Path,
    file: u16,
    billing: &mut Billing,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
) -> Result<(), IoError> {
    let name = display_name(path);
    let ledger = &mut builder.ledger;
    let (rows, utf8) = each_file_row(
        path,
        &["subscription_id", "event", "effective_date"],
        &mut builder.notices,
        |cols| EventRows::new(cols, path, &name, file),
        |rows, line, rec| rows.row(line, rec, billing, ledger),
    )?;
    rows.rej.finish(utf8, &mut builder.ledger, rejections);
    Ok(())
}
