//! `invoices.csv` (invoice line items, the shape revenue tools import) and the optional
//! `subscription_events.csv` (or their Parquet twins), turned into the core's recurring lines
//! under named policies.
//!
//! The rules are written down in `docs/input.md` (columns, validation) and `docs/policies.md`
//! (what each policy does, with examples). In short:
//!
//! - A `subscription` line's MRR is `(amount - discount - tax)` over its service period in
//!   months: whole calendar months (same day of month, clamped at month end) give `n` months;
//!   whole weeks give `w x 12 / 52` months (the line is handed to the core as `amount x 13`
//!   over `3w` months); any other length of `d` days gives `d x 12 / 365` months (`amount x
//!   365 / g` over `12d / g` months, `g` their greatest common divisor). Exact in every case.
//! - A `proration` line is never a movement of its own: it moves the date at which a price
//!   applies. A positive proration for `[s, e)` whose subscription, product, plan, quantity and
//!   currency match the next regular line starting at `e` makes that line start at `s`. An
//!   unmatched one is scaled to its full period (the regular period of the same product, else
//!   of the subscription, holding `s`): `net x full days / proration days`, rounded half-even
//!   to the proration's own decimal places (at least 2), over that period's months. A negative
//!   proration (credit for unused time) ends, at `s`, the line of its product invoiced before
//!   `s` and running past it.
//! - Within one subscription and product, the line that started last is in force
//!   (an upgrade replaces the old price from its start); consecutive periods at the same price
//!   become one line; a gap between service periods is a time without revenue.
//! - `one_time`, `tax`, `credit`, `refund` and `usage` lines never move MRR: each is excluded
//!   with its reason. A line whose net amount is 0 (a trial, a free plan, a 100% discount) is
//!   excluded as `zero_amount`. Under `--full-refunds end-service` a `credit` or `refund` line
//!   that names its invoice (`reference_invoice_id`) counts towards refunding that invoice in
//!   full, which ends the service of the invoice's lines on that day (`crate::sources::full_refunds`).
//! - A subscription stays active until its last service period ends; when that end is after
//!   the data's as-of date (the latest `invoice_date`), the subscription is still running and
//!   stays open, unless an event ends it.
//! - Events (cancellations, pauses, delinquency) then cut or bridge revenue as the policies
//!   say ([`InvoicePolicies`]).

mod charges;
mod event_rows;
mod events;
mod invoice_line;
mod lines;
mod period;
mod prorations;
mod rows;
mod segments;

use crate::error::{IoError, Misfit, Rejection};
use crate::options::{LoadOptions, Progress};
use crate::rows::Fields;
use crate::sources::decimal::dec_str;
use crate::sources::full_refunds::{listed, Resolved};
use crate::table::display_name;
use event_rows::{read_events, EventRows};
use nrr_core::dataset::DatasetBuilder;
pub(crate) use nrr_core::policy::{Discounts, InvoicePolicies};
use rows::{read_invoices, InvoiceRows};
use std::path::{Path, PathBuf};

pub(crate) use charges::{usage_month, Billing, Charge, Event, EventKind, UsageLine};
pub(crate) use lines::build_lines;
pub(crate) use period::{per_interval, rate_of_period, Length};
pub(crate) use rows::Table;

// ---------------------------------------------------------------------------------------------
// Entry point

/// The files of an invoices data directory.
#[derive(Clone, Debug)]
pub(crate) struct InvoiceFiles {
    pub(crate) invoices: PathBuf,
    pub(crate) events: Option<PathBuf>,
}

impl InvoiceFiles {
    /// The files in reading order (the builder's file indices).
    pub(crate) fn paths(&self) -> Vec<PathBuf> {
        std::iter::once(self.invoices.clone())
            .chain(self.events.clone())
            .collect()
    }
}

/// Reads invoices.csv (and subscription_events.csv), or their Parquet twins, into the
/// builder: every row used, excluded with a reason, or rejected.
pub(crate) fn read(
    files: &InvoiceFiles,
    opts: &LoadOptions,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
) -> Result<(), IoError> {
    let policies = &opts.invoice_policies;
    check_for_invoices(policies)?;
    let mut billing = Billing {
        usage_asked: opts.usage,
        ..Billing::for_policies(policies)
    };
    let inv_name = display_name(&files.invoices);
    let inv_file = builder.add_file(&inv_name);
    let mut rej = Vec::new();
    read_invoices(
        &files.invoices,
        inv_file,
        policies,
        &mut billing,
        builder,
        &mut rej,
    )?;
    Progress::advance(
        opts.progress.as_ref(),
        std::fs::metadata(&files.invoices).map_or(0, |m| m.len()),
    );
    if let Some(ev) = &files.events {
        let ev_file = builder.add_file(&display_name(ev));
        read_events(ev, ev_file, &mut billing, builder, &mut rej)?;
    }
    settle(billing, &inv_name, opts, builder, rej, rejections)
}

/// [`read`] for rows already read (a database query): the invoice rows and, optionally, the
/// subscription event rows, under the same rules and policies. Rejections name each table's
/// `name` and its row number (1 = the first row).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn read_tables<R: Fields>(
    invoices: &Table<'_, R>,
    events: Option<&Table<'_, R>>,
    opts: &LoadOptions,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
) -> Result<(), IoError> {
    let policies = &opts.invoice_policies;
    check_for_invoices(policies)?;
    let mut billing = Billing {
        usage_asked: opts.usage,
        ..Billing::for_policies(policies)
    };
    let mut rej = Vec::new();
    let inv_file = builder.add_file(invoices.name);
    let path = Path::new(invoices.name);
    let mut rows = InvoiceRows::new(invoices.cols, path, invoices.name, inv_file, policies)?;
    for (i, r) in invoices.rows.iter().enumerate() {
        rows.row(i as u64 + 1, r, &mut billing, &mut builder.ledger);
    }
    rows.rej.finish(Vec::new(), &mut builder.ledger, &mut rej);
    if let Some(ev) = events {
        let ev_file = builder.add_file(ev.name);
        let mut rows = EventRows::new(ev.cols, Path::new(ev.name), ev.name, ev_file)?;
        for (i, r) in ev.rows.iter().enumerate() {
            rows.row(i as u64 + 1, r, &mut billing, &mut builder.ledger);
        }
        rows.rej.finish(Vec::new(), &mut builder.ledger, &mut rej);
    }
    settle(billing, invoices.name, opts, builder, rej, rejections)
}

/// The notices of `--full-refunds end-service` for invoices.csv: the invoices whose service a
/// full refund ended, and the credit and refund lines that could end nothing.
fn refund_notices(r: &Resolved, ended: &[String], notices: &mut Vec<String>) {
    if !ended.is_empty() {
        notices.push(format!(
            "--full-refunds end-service: {} invoice(s) refunded in full end the service of \
             their subscription lines on the day of the refund or credit: {}",
            ended.len(),
            listed(ended)
        ));
    }
    let cases = [
        (
            &r.no_invoice,
            "name no invoice (reference_invoice_id is empty)",
        ),
        (
            &r.unknown,
            "name an invoice that has no line of its own in the data",
        ),
        (
            &r.not_comparable,
            "are in another currency than the invoice they name (or it is in several)",
        ),
    ];
    for (items, why) in cases {
        if !items.is_empty() {
            notices.push(format!(
                "{} credit or refund line(s) {why}, so under --full-refunds end-service they \
                 end no service: {}",
                items.len(),
                listed(items)
            ));
        }
    }
}

/// What both entry points end with: turns the billing into lines and hands the rejections over
/// (invoice rows first, by line).
fn settle(
    mut billing: Billing,
    inv_name: &str,
    opts: &LoadOptions,
    builder: &mut DatasetBuilder,
    mut rej: Vec<Rejection>,
    rejections: &mut Vec<Rejection>,
) -> Result<(), IoError> {
    let policies = &opts.invoice_policies;
    builder.ledger.used += billing.charges.len() as u64;
    billing.push_usage(builder);
    // The data's as-of date is said in the report; one given (`--as-of`) wins.
    if let Some(d) = billing.as_of {
        builder.as_of = Some((d, "the latest invoice_date or event date".to_string()));
    }
    if opts.as_of.is_some() {
        billing.as_of = opts.as_of;
    }
    if let Some((r, ended)) = billing.apply_full_refunds() {
        refund_notices(&r, &ended, &mut builder.notices);
    }
    for (o, net) in build_lines(&mut billing, policies, builder) {
        builder.ledger.used -= 1;
        builder.ledger.rejected += 1;
        rej.push(Rejection {
            file: inv_name.to_string(),
            line: o.line,
            column: "amount".into(),
            value: dec_str(net),
            expected: "a net amount small enough to spread over its service period exactly".into(),
            kind: crate::error::RejectionKind::OutOfRange,
        });
    }
    rej.sort_by_key(|r| (r.file != inv_name, r.line));
    rejections.extend(rej);
    Ok(())
}

/// Usage errors: a policy the invoices reader cannot apply.
fn check_for_invoices(policies: &InvoicePolicies) -> Result<(), IoError> {
    if policies.discounts == Discounts::ForeverOnly {
        return Err(Misfit::ForeverOnlyDiscounts.into());
    }
    Ok(())
}

/// Usage errors: a lifecycle policy other than its default for an input it does not apply to.
pub(crate) fn check_for_lines(policies: &InvoicePolicies, input: &str) -> Result<(), IoError> {
    match policies.first_not_default() {
        None => Ok(()),
        Some((policy, value, default)) => Err(Misfit::PolicyNotDefault {
            policy,
            value,
            default,
            input: input.to_string(),
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use nrr_core::policy::PastDue;

    #[test]
    fn past_due_policies_parse() {
        assert_eq!(PastDue::parse("keep:30"), Some(PastDue::KeepDays(30)));
        assert_eq!(PastDue::parse("keep"), Some(PastDue::Keep));
        assert_eq!(PastDue::parse("churn"), Some(PastDue::Churn));
        assert_eq!(PastDue::parse("keep:x"), None);
        assert_eq!(PastDue::parse("keep:-1"), None);
        assert_eq!(PastDue::default().name(), "keep:30");
    }
}
