//! Stripe API objects as exported: `subscriptions.json` (or `.jsonl`) and optionally
//! `invoices.json` (or `.jsonl`), turned into the same charges and events the invoices reader
//! builds (`crate::sources::invoices`), so every rule of docs/policies.md applies unchanged.
//!
//! - A subscription with invoice lines in the invoices file is priced by those lines (as
//!   invoices.csv lines: periods, prorations, discount amounts), and its status fields give
//!   the events.
//! - A subscription without invoice lines is priced by its current items: each licensed item
//!   is in force from `start_date` (from `trial_end` after a trial; from the resume date, or
//!   never, when a pause starts on or before that day) until the subscription
//!   ends, cut into billing periods anchored on `billing_cycle_anchor` (else
//!   `current_period_start`), each at `unit_amount x quantity` over the price's interval, less
//!   the coupons in force at the period's start (under `--discounts`).
//! - Status fields become events: `canceled` at `ended_at`, `cancel_requested` at
//!   `canceled_at` (when it is before the end, or with `cancel_at_period_end`), `canceled` at a
//!   future `cancel_at`; `past_due` and `unpaid` from `current_period_start`; `paused` and
//!   `pause_collection` from `current_period_start` until `pause_collection.resumes_at`.
//! - Invoice payment fields (`status`, `status_transitions`, `attempt_count`, `due_date`) give
//!   the past-due spells the subscription's current status cannot show: `past_due` at the
//!   first failed attempt (or the due date), `resumed` at `paid_at` (`Payment::delinquency`).
//! - Never MRR: trials, metered prices (`usage`), `incomplete` and `incomplete_expired`
//!   subscriptions (`incomplete`), credit notes and refunds (`refunds`). Under
//!   `--full-refunds end-service` a credit note (by its `invoice`) or refund (by the `charge`
//!   or `payment_intent` that paid an invoice) counts towards refunding that invoice in full,
//!   which ends the service of its lines on that day (`crate::sources::full_refunds`).
//!
//! Timestamps are Unix seconds, read as dates in `--timezone` (UTC, a fixed offset, or an IANA
//! zone whose offset is taken at each timestamp: `crate::Timezone`).
//! Every row (a subscription item, an invoice line, a credit note or refund: `refunds`) is
//! used, excluded with a reason, or rejected with the file, the object's line, the object id
//! and the JSON path of the field.

use crate::error::{IoError, Rejection};
use crate::options::{LoadOptions, Progress};
use crate::revenue::Revenue;
use crate::sources::full_refunds::{listed, InvoiceRefunds};
use crate::sources::invoices::{build_lines, Billing};
use crate::table::display_name;
use nrr_core::dataset::{DatasetBuilder, Origin};
use nrr_core::date::Date;
use nrr_core::report::RowLedger;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod charges;
mod cycle;
mod fields;
mod invoice;
mod items;
mod line_shapes;
mod objects;
mod payment;
mod pricing;
mod refunds;
mod status;
mod subscription;
mod usage;

use charges::invoice_charges;
use fields::{date_of, major};
use invoice::{invoice, Invoice, KnownPrices};
use items::subscription_charges;
use objects::twice;
// `Json` is named outside this module by the PostgreSQL rows (and the tests) only.
#[cfg(any(test, feature = "postgres"))]
pub(crate) use objects::Json;
pub(crate) use objects::Objects;
use refunds::{link_money_back, refund_notices};
use status::paid_late_events;
use subscription::{subscription, Subscription};
use usage::usage_settle;

/// The files of a Stripe data directory.
#[derive(Clone, Debug)]
pub(crate) struct StripeFiles {
    pub(crate) subscriptions: PathBuf,
    pub(crate) invoices: Option<PathBuf>,
    /// `credit_notes.json` or `.jsonl`: never MRR, counted as `credit`.
    pub(crate) credit_notes: Option<PathBuf>,
    /// `refunds.json` or `.jsonl`: never MRR, counted as `refund`.
    pub(crate) refunds: Option<PathBuf>,
}

impl StripeFiles {
    /// `subscriptions` with the invoices, credit notes and refunds found in `dir`.
    pub(crate) fn beside(subscriptions: PathBuf, dir: &Path) -> Result<StripeFiles, IoError> {
        Ok(StripeFiles {
            subscriptions,
            invoices: json_beside(dir, "invoices")?,
            credit_notes: json_beside(dir, refunds::Kind::CreditNote.stem())?,
            refunds: json_beside(dir, refunds::Kind::Refund.stem())?,
        })
    }
}

/// `subscriptions.json` or `subscriptions.jsonl`.
pub(crate) fn is_subscriptions_file(name: &str) -> bool {
    name == "subscriptions.json" || name == "subscriptions.jsonl"
}

/// `{stem}.json` or `{stem}.jsonl` in `dir`, if there; both is an error (one would be left
/// unread).
pub(crate) fn json_beside(dir: &Path, stem: &str) -> Result<Option<PathBuf>, IoError> {
    let found: Vec<PathBuf> = ["json", "jsonl"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .filter(|p| p.is_file())
        .collect();
    match found.as_slice() {
        [_, _] => Err(IoError::Twins {
            dir: dir.to_path_buf(),
            names: found.iter().map(|p| display_name(p)).collect(),
        }),
        _ => Ok(found.into_iter().next()),
    }
}

/// Reads a Stripe data directory's objects.
pub(crate) fn load_files(files: &StripeFiles, opts: &LoadOptions) -> Result<Revenue, IoError> {
    load_input(&files.input(), opts)
}

/// Reads Stripe objects from files or memory.
pub(crate) fn load_input(input: &StripeInput, opts: &LoadOptions) -> Result<Revenue, IoError> {
    let mut builder = DatasetBuilder::new(nrr_core::dataset::SourceKind::Items);
    let mut rejections = Vec::new();
    read(input, opts, &mut builder, &mut rejections)?;
    let mut revenue = Revenue::new(builder, rejections, input.names());
    revenue.invoice_policies = Some(opts.invoice_policies);
    Ok(revenue)
}

/// The Stripe objects to read, from files ([`StripeFiles::input`]) or from memory.
#[derive(Clone, Debug)]
pub(crate) struct StripeInput {
    pub(crate) subscriptions: Objects,
    pub(crate) invoices: Option<Objects>,
    pub(crate) credit_notes: Option<Objects>,
    pub(crate) refunds: Option<Objects>,
}

impl StripeInput {
    /// The inputs' names in reading order (the builder's file indices).
    fn names(&self) -> Vec<String> {
        std::iter::once(&self.subscriptions)
            .chain(&self.invoices)
            .chain(&self.credit_notes)
            .chain(&self.refunds)
            .map(Objects::name)
            .collect()
    }
}

impl StripeFiles {
    /// The files as a [`StripeInput`].
    pub(crate) fn input(&self) -> StripeInput {
        StripeInput {
            subscriptions: Objects::File(self.subscriptions.clone()),
            invoices: self.invoices.clone().map(Objects::File),
            credit_notes: self.credit_notes.clone().map(Objects::File),
            refunds: self.refunds.clone().map(Objects::File),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Entry point

/// What every step of [`read`] reads: the options, the inputs' names and file indices, and
/// the as-of dates.
struct Context<'a> {
    opts: &'a LoadOptions,
    sub_name: String,
    sub_file: u16,
    /// The invoices input's name, when there is one.
    inv_name: Option<String>,
    inv_file: Option<u16>,
    /// The latest time the objects show as past.
    as_of_ts: Option<i64>,
    /// The as-of date: `--as-of`, else the data's.
    as_of: Option<Date>,
}

impl Context<'_> {
    /// The date of a timestamp in `--timezone`.
    fn date(&self, ts: i64) -> Date {
        date_of(ts, &self.opts.timezone)
    }
}

/// Where the steps of [`read`] put what they find: charges and events, row counts, rejections.
struct ReadState<'a> {
    billing: &'a mut Billing,
    ledger: &'a mut RowLedger,
    rej: &'a mut Vec<Rejection>,
}

/// The objects parsed, each once.
struct Parsed {
    subs: Vec<Subscription>,
    invs: Vec<Invoice>,
    inv_name: Option<String>,
    inv_file: Option<u16>,
}

/// Reads the Stripe files into the builder: every row (subscription item, invoice line)
/// used, excluded with a reason, or rejected.
pub(crate) fn read(
    files: &StripeInput,
    opts: &LoadOptions,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
) -> Result<(), IoError> {
    let policies = &opts.invoice_policies;
    let sub_name = files.subscriptions.name();
    let sub_file = builder.add_file(&sub_name);
    let mut rej: Vec<Rejection> = Vec::new();
    let Parsed {
        subs,
        invs,
        inv_name,
        inv_file,
    } = parse(files, opts, &sub_name, builder, &mut rej)?;

    // The as-of date: the latest time the objects show as past.
    let as_of_ts = subs
        .iter()
        .map(|s| s.seen)
        .chain(invs.iter().filter_map(|i| i.created))
        .max();
    let data_as_of = as_of_ts.map(|t| date_of(t, &opts.timezone));
    // One given (`--as-of`) wins over the data's.
    let as_of = opts.as_of.or(data_as_of);
    let ctx = Context {
        opts,
        sub_name,
        sub_file,
        inv_name,
        inv_file,
        as_of_ts,
        as_of,
    };

    let mut billing = Billing::for_policies(policies);
    // The data's as-of date is said in the report; one given (`--as-of`) wins.
    if let Some(d) = as_of {
        builder.as_of = Some((
            d,
            "the latest Stripe timestamp (subscription or invoice)".into(),
        ));
    }
    billing.as_of = opts.as_of.or(as_of);
    if let Some(refunds) = billing.refunds.as_mut() {
        note_invoice_totals(refunds, &invs);
    }

    let invoiced = invoice_charges(&ctx, &subs, &invs, &mut billing, builder, &mut rej);
    let notes_rej = money_back(&ctx, files, &invs, &mut billing, builder)?;
    let mut paid_late = paid_late_events(&ctx, &invs);

    // Subscriptions: events, and charges from their items when they have no invoice lines.
    let mut uninvoiced: Vec<String> = Vec::new();
    let mut state = ReadState {
        billing: &mut billing,
        ledger: &mut builder.ledger,
        rej: &mut rej,
    };
    for s in &subs {
        let late = paid_late.remove(s.id.as_str());
        if subscription_charges(&ctx, s, invoiced.contains(&s.id), late, &mut state) {
            uninvoiced.push(s.id.clone());
        }
    }

    if !uninvoiced.is_empty() {
        builder.notices.push(format!(
            "{} live subscription(s) have no invoice in {} for their current period, so their \
             last invoiced price was carried to its end (a partial or filtered export?): {}",
            uninvoiced.len(),
            ctx.inv_name.as_deref().unwrap_or("the invoices"),
            listed(&uninvoiced)
        ));
    }
    if opts.usage {
        usage_settle(
            &subs,
            &invs,
            files.invoices.is_some(),
            &mut billing,
            builder,
        );
    }
    reject_inexact(&ctx, &mut billing, builder, &mut rej);
    rej.sort_by_key(|r| (r.file != ctx.sub_name, r.line));
    rejections.extend(rej);
    rejections.extend(notes_rej);
    Ok(())
}

/// Parses the subscriptions and invoices, each object once, and notes an input that is one
/// page of a longer list.
fn parse(
    files: &StripeInput,
    opts: &LoadOptions,
    sub_name: &str,
    builder: &mut DatasetBuilder,
    rej: &mut Vec<Rejection>,
) -> Result<Parsed, IoError> {
    let mut subs =
        files
            .subscriptions
            .parse(subscription, |s| s.items.len(), &mut builder.ledger, rej)?;
    Progress::advance(opts.progress.as_ref(), files.subscriptions.size());
    let inv_name = files.invoices.as_ref().map(Objects::name);
    let inv_file = inv_name.as_ref().map(|n| builder.add_file(n));
    let ledger = &mut builder.ledger;
    let mut invs = match &files.invoices {
        Some(o) => {
            let prices = KnownPrices::of(&subs);
            let parse = |v: &Value, line: u64| invoice(v, line, &prices);
            o.parse(parse, |i| i.lines.len(), ledger, rej)?
        }
        None => Vec::new(),
    };
    fn sub_copy(s: &Subscription) -> (&str, u64, usize) {
        (&s.id, s.line, s.items.len())
    }
    fn inv_copy(i: &Invoice) -> (&str, u64, usize) {
        (&i.id, i.line, i.lines.len())
    }
    drop_copies(&mut subs, sub_copy, sub_name, ledger, rej);
    let name = inv_name.as_deref().unwrap_or("");
    drop_copies(&mut invs, inv_copy, name, ledger, rej);
    for o in std::iter::once(&files.subscriptions).chain(&files.invoices) {
        if o.has_more() {
            builder.notices.push(format!(
                "{}: the list says \"has_more\": true, so it is one page of a longer list: \
                 the objects after it are missing (export every page)",
                o.name()
            ));
        }
    }
    Ok(Parsed {
        subs,
        invs,
        inv_name,
        inv_file,
    })
}

/// An object twice (overlapping pages of an export) would count twice: the later copy is
/// rejected, with all its rows (`copy`: an object's id, line and number of rows).
fn drop_copies<T>(
    objects: &mut Vec<T>,
    copy: impl Fn(&T) -> (&str, u64, usize),
    name: &str,
    ledger: &mut RowLedger,
    rej: &mut Vec<Rejection>,
) {
    let mut first_at: HashMap<String, u64> = HashMap::new();
    objects.retain(|o| {
        let (id, line, rows) = copy(o);
        match first_at.get(id) {
            None => {
                first_at.insert(id.to_string(), line);
                true
            }
            Some(&first) => {
                twice(rej, ledger, name, id, line, first, rows);
                false
            }
        }
    });
}

/// `--full-refunds end-service`: each invoice's total, to tell a full refund from a partial
/// one (`total`, else the sum of its lines' amounts).
fn note_invoice_totals(refunds: &mut InvoiceRefunds, invs: &[Invoice]) {
    for inv in invs {
        let i = refunds.invoice(&inv.id);
        let cur = inv
            .currency
            .clone()
            .or_else(|| inv.lines.first().map(|l| l.currency.clone()))
            .unwrap_or_default();
        match inv.total {
            Some(t) => refunds.add(i, Some(major(t, &cur)), &cur),
            None => {
                for l in &inv.lines {
                    refunds.add(i, Some(l.amount), &l.currency);
                }
            }
        }
    }
}

/// Credit notes and refunds: never MRR, but read, validated and counted (their rejections,
/// returned, follow those of the subscriptions and invoices). Under `--full-refunds
/// end-service` each is linked to its invoice, and a full refund ends the service of the
/// invoice's lines before a live subscription's last price is carried on.
fn money_back(
    ctx: &Context<'_>,
    files: &StripeInput,
    invs: &[Invoice],
    billing: &mut Billing,
    builder: &mut DatasetBuilder,
) -> Result<Vec<Rejection>, IoError> {
    let mut notes_rej: Vec<Rejection> = Vec::new();
    let mut backs: Vec<refunds::Back> = Vec::new();
    let notes = [
        (&files.credit_notes, refunds::Kind::CreditNote),
        (&files.refunds, refunds::Kind::Refund),
    ];
    for (objects, kind) in notes {
        if let Some(o) = objects {
            backs.extend(refunds::read(o, kind, builder, &mut notes_rej)?);
        }
    }
    if let Some(refunds) = billing.refunds.as_mut() {
        link_money_back(refunds, &backs, invs, &ctx.opts.timezone);
    }
    if let Some((r, ended)) = billing.apply_full_refunds() {
        let inv_file_name = ctx
            .inv_name
            .as_deref()
            .unwrap_or("the export (no invoices file)");
        refund_notices(&r, &ended, inv_file_name, &mut builder.notices);
    }
    Ok(notes_rej)
}

/// Turns the billing into lines; a charge too large to compute exactly is rejected.
fn reject_inexact(
    ctx: &Context<'_>,
    billing: &mut Billing,
    builder: &mut DatasetBuilder,
    rej: &mut Vec<Rejection>,
) {
    let policies = &ctx.opts.invoice_policies;
    let mut failed: Vec<Origin> = build_lines(billing, policies, builder)
        .into_iter()
        .map(|(o, _)| o)
        .collect();
    failed.sort_by_key(|o| (o.file, o.line));
    failed.dedup();
    for o in failed {
        builder.ledger.used = builder.ledger.used.saturating_sub(1);
        builder.ledger.rejected += 1;
        let file = if o.file == ctx.sub_file {
            ctx.sub_name.clone()
        } else {
            ctx.inv_name.clone().unwrap_or_default()
        };
        rej.push(Rejection {
            file,
            line: o.line,
            column: "amount".into(),
            value: String::new(),
            expected: "an amount small enough to compute with exactly".into(),
            kind: crate::error::RejectionKind::OutOfRange,
        });
    }
}

#[cfg(test)]
mod tests;
