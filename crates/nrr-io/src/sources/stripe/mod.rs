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
use crate::read::{display_name, LoadOptions, Progress};
use crate::sources::decimal::{dec_str, dsub};
use crate::sources::full_refunds::listed;
use crate::sources::invoices::{build_lines, Book, Charge, Event, EventKind};
use nrr_core::dataset::{DatasetBuilder, Origin};
use nrr_core::date::Date;
use nrr_core::money::Decimal;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

mod cycle;
mod fields;
mod invoice;
mod objects;
mod pricing;
mod refunds;
mod status;
mod subscription;
mod usage;

use cycle::{percent_of, rate, Cycle, MAX_PERIODS};
use fields::{date_of, major, minor_places};
use invoice::{invoice, InvStatus, KnownPrices, LineKind};
use objects::twice;
pub(crate) use objects::{Json, Objects};
use refunds::{link_money_back, refund_notices};
use status::{carry_last_price, is_live, runs_until};
use subscription::{subscription, Duration, Item, Status};
use usage::{usage_line, usage_settle};

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

/// Loads a Stripe data directory (fx.csv, customers.csv and annotations.csv from `base`).
pub(crate) fn load_files(
    files: &StripeFiles,
    base: &Path,
    opts: &LoadOptions,
) -> Result<crate::read::Loaded, IoError> {
    load_input(&files.input(), Some(base), opts)
}

/// Loads Stripe objects from files or memory (fx.csv, customers.csv and annotations.csv from
/// `side`, when given).
pub(crate) fn load_input(
    input: &StripeInput,
    side: Option<&Path>,
    opts: &LoadOptions,
) -> Result<crate::read::Loaded, IoError> {
    let mut builder = DatasetBuilder::new(nrr_core::dataset::SourceKind::Items);
    let mut rejections = Vec::new();
    read(input, opts, &mut builder, &mut rejections)?;
    let names = input.names();
    let mut loaded = crate::read::finish_load(side, &names, builder, rejections, opts)?;
    loaded.invoice_policies = Some(opts.invoice_policies);
    Ok(loaded)
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

/// Reads the Stripe files into the builder: every row (subscription item, invoice line)
/// used, excluded with a reason, or rejected.
pub(crate) fn read(
    files: &StripeInput,
    opts: &LoadOptions,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
) -> Result<(), IoError> {
    let policies = &opts.invoice_policies;
    let off = &opts.timezone;
    let sub_name = files.subscriptions.name();
    let sub_file = builder.add_file(&sub_name);
    let mut rej: Vec<Rejection> = Vec::new();

    // Parse.
    let subs = files.subscriptions.parse(
        subscription,
        |s| s.items.len(),
        &mut builder.ledger,
        &mut rej,
    )?;
    Progress::advance(opts.progress.as_ref(), files.subscriptions.size());
    let inv_name = files.invoices.as_ref().map(Objects::name);
    let inv_file = inv_name.as_ref().map(|n| builder.add_file(n));
    let ledger = &mut builder.ledger;
    let mut invs = match &files.invoices {
        Some(o) => {
            let prices = KnownPrices::of(&subs);
            let parse = |v: &Value, line: u64| invoice(v, line, &prices);
            o.parse(parse, |i| i.lines.len(), ledger, &mut rej)?
        }
        None => Vec::new(),
    };
    // An object twice (overlapping pages of an export) would count twice: the later copy is
    // rejected, with all its rows.
    let mut first_at: HashMap<String, u64> = HashMap::new();
    let mut subs = subs;
    subs.retain(|s| match first_at.get(&s.id) {
        None => {
            first_at.insert(s.id.clone(), s.line);
            true
        }
        Some(&first) => {
            twice(
                &mut rej,
                ledger,
                &sub_name,
                &s.id,
                s.line,
                first,
                s.items.len(),
            );
            false
        }
    });
    first_at.clear();
    invs.retain(|i| match first_at.get(&i.id) {
        None => {
            first_at.insert(i.id.clone(), i.line);
            true
        }
        Some(&first) => {
            let name = inv_name.as_deref().unwrap_or("");
            twice(&mut rej, ledger, name, &i.id, i.line, first, i.lines.len());
            false
        }
    });
    for o in std::iter::once(&files.subscriptions).chain(&files.invoices) {
        if o.has_more() {
            builder.notices.push(format!(
                "{}: the list says \"has_more\": true, so it is one page of a longer list: \
                 the objects after it are missing (export every page)",
                o.name()
            ));
        }
    }
    let ledger = &mut builder.ledger;

    // The as-of date: the latest time the objects show as past.
    let as_of_ts = subs
        .iter()
        .map(|s| s.seen)
        .chain(invs.iter().filter_map(|i| i.created))
        .max();
    let data_as_of = as_of_ts.map(|t| date_of(t, off));
    // One given (`--as-of`) wins over the data's.
    let as_of = opts.as_of.or(data_as_of);

    let mut book = Book::for_policies(policies);
    // The data's as-of date is said in the report; one given (`--as-of`) wins.
    if let Some(d) = as_of {
        builder.as_of = Some((
            d,
            "the latest Stripe timestamp (subscription or invoice)".into(),
        ));
    }
    book.as_of = opts.as_of.or(as_of);
    // `--full-refunds end-service`: each invoice's total, to tell a full refund from a partial
    // one (`total`, else the sum of its lines' amounts).
    if let Some(rb) = book.refunds.as_mut() {
        for inv in &invs {
            let i = rb.invoice(&inv.id);
            let cur = inv
                .currency
                .clone()
                .or_else(|| inv.lines.first().map(|l| l.currency.clone()))
                .unwrap_or_default();
            match inv.total {
                Some(t) => rb.add(i, Some(major(t, &cur)), &cur),
                None => {
                    for l in &inv.lines {
                        rb.add(i, Some(l.amount), &l.currency);
                    }
                }
            }
        }
    }
    let status_of: HashMap<&str, Status> = subs.iter().map(|s| (s.id.as_str(), s.status)).collect();
    let forever: HashSet<&str> = subs
        .iter()
        .flat_map(|s| &s.discounts)
        .filter(|c| c.duration == Duration::Forever && !c.id.is_empty())
        .map(|c| c.id.as_str())
        .collect();

    // Invoice lines.
    let mut invoiced: HashSet<String> = HashSet::new();
    let mut unknown_prices = 0u64;
    if let (Some(name), Some(file)) = (&inv_name, inv_file) {
        for inv in &invs {
            // A void invoice was canceled: nothing was billed, so none of its lines shows a
            // service period (a draft is the next bill and counts like an open one).
            if inv.pay.status == Some(InvStatus::Void) {
                ledger.excluded.void_invoice += inv.lines.len() as u64;
                // Its subscription is still one with invoices: priced by its other lines, not
                // by its items (all void: never billed, no MRR).
                for l in &inv.lines {
                    if let (LineKind::Recurring { .. }, Some(sub)) = (l.kind, &l.sub) {
                        invoiced.insert(sub.clone());
                    }
                }
                continue;
            }
            for l in &inv.lines {
                let proration = match l.kind {
                    LineKind::OneTime => {
                        ledger.excluded.one_time += 1;
                        continue;
                    }
                    LineKind::Usage => {
                        ledger.excluded.usage += 1;
                        if opts.usage {
                            let period = l.period.map(|(s, e)| (date_of(s, off), date_of(e, off)));
                            let created = inv.created.map(|t| date_of(t, off));
                            let u = (period, created, file);
                            usage_line(&mut book, inv, l, u, policies.discounts, &forever);
                        }
                        continue;
                    }
                    LineKind::Recurring { proration } => proration,
                };
                let sub_id = l.sub.as_deref().unwrap_or("");
                if status_of.get(sub_id) == Some(&Status::Incomplete) {
                    ledger.excluded.incomplete += 1;
                    continue;
                }
                invoiced.insert(sub_id.to_string());
                let (s, e) = l.period.expect("checked when read");
                let (start, end) = (date_of(s, off), date_of(e, off));
                let net = l.net(policies.discounts, &forever);
                let Some(net) = net.filter(|n| proration || !n.is_negative()) else {
                    ledger.rejected += 1;
                    rej.push(Rejection {
                        file: name.clone(),
                        line: inv.line,
                        column: format!("{}: {}.discount_amounts", inv.id, l.path),
                        value: dec_str(l.amount),
                        expected: "discounts and inclusive tax no larger than amount".into(),
                    });
                    continue;
                };
                if end <= start {
                    ledger.excluded.zero_length += 1;
                    continue;
                }
                if net.is_zero() {
                    ledger.excluded.zero_amount += 1;
                    let _ = book.sub(&inv.customer, sub_id);
                    continue;
                }
                ledger.used += 1;
                unknown_prices += u64::from(l.price_unknown);
                let sub = book.sub(&inv.customer, sub_id);
                let invoice = book.refunds.as_mut().map(|rb| rb.invoice(&inv.id));
                book.charges.push(Charge {
                    origin: Origin {
                        file,
                        line: inv.line,
                    },
                    sub,
                    product: l.product.clone(),
                    plan: l.plan.clone(),
                    quantity: l.quantity,
                    currency: l.currency.clone(),
                    net,
                    places: net.decimals.max(2),
                    start,
                    end,
                    proration,
                    rate: None,
                    invoice,
                    refunded: None,
                });
            }
        }
    }

    if unknown_prices > 0 {
        builder.notices.push(format!(
            "{unknown_prices} subscription line(s) in {} name a price that is neither expanded \
             nor on a subscription item in {sub_name}, so nothing shows whether it is metered: \
             they were read as licensed (MRR); to let nrr tell, export the invoices with \
             expand[]=data.lines.data.pricing.price_details.price (API 2025-12-15 and later)",
            inv_name.as_deref().unwrap_or("the invoices")
        ));
    }

    // Credit notes and refunds: never MRR, but read, validated and counted (their rejections
    // follow those of the subscriptions and invoices). Under `--full-refunds end-service` each
    // is linked to its invoice, and a full refund ends the service of the invoice's lines
    // before a live subscription's last price is carried on (below).
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
    if let Some(rb) = book.refunds.as_mut() {
        link_money_back(rb, &backs, &invs, off);
    }
    if let Some((r, ended)) = book.apply_full_refunds() {
        let inv_file_name = inv_name
            .as_deref()
            .unwrap_or("the export (no invoices file)");
        refund_notices(&r, &ended, inv_file_name, &mut builder.notices);
    }
    let ledger = &mut builder.ledger;

    // Delinquency spells shown by the invoices' payment fields, per subscription.
    let mut paid_late: HashMap<&str, Vec<Event>> = HashMap::new();
    if let Some(file) = inv_file {
        for inv in &invs {
            let Some(sub_id) = inv.sub.as_deref() else {
                continue;
            };
            let Some((first, paid, uncollectible)) = inv.pay.delinquency(inv.created, as_of_ts)
            else {
                continue;
            };
            let origin = Origin {
                file,
                line: inv.line,
            };
            let from = date_of(first, off);
            let recovered = paid.map(|p| date_of(p, off));
            if recovered.is_some_and(|r| r <= from) {
                // Failed and recovered within one day: no day was delinquent.
                continue;
            }
            let evs = paid_late.entry(sub_id).or_default();
            evs.push(Event {
                origin,
                kind: EventKind::PastDue,
                date: from,
            });
            if let Some(u) = uncollectible.map(|u| date_of(u, off)).filter(|u| *u > from) {
                evs.push(Event {
                    origin,
                    kind: EventKind::Unpaid,
                    date: u,
                });
            }
            if let Some(r) = recovered {
                evs.push(Event {
                    origin,
                    kind: EventKind::Resumed,
                    date: r,
                });
            }
        }
    }

    // Subscriptions: events, and charges from their items when they have no invoice lines.
    let mut uninvoiced: Vec<String> = Vec::new();
    for s in &subs {
        let origin = Origin {
            file: sub_file,
            line: s.line,
        };
        let licensed: Vec<&Item> = s.items.iter().filter(|i| !i.price.metered).collect();
        ledger.excluded.usage += (s.items.len() - licensed.len()) as u64;
        if s.status == Status::Incomplete {
            ledger.excluded.incomplete += licensed.len() as u64;
            continue;
        }
        let sub = book.sub(&s.customer, &s.id);
        let d = |t: i64| date_of(t, off);
        let fallback = s.cps.unwrap_or(s.start);
        let mut events: Vec<(EventKind, Date)> = Vec::new();
        let ended = s.status == Status::Canceled;
        let end_ts = if ended {
            Some(s.ended_at.or(s.canceled_at).or(s.cpe).unwrap_or(s.start))
        } else {
            None
        };
        if let Some(e) = end_ts {
            if let Some(c) = s.canceled_at.filter(|c| d(*c) < d(e)) {
                events.push((EventKind::CancelRequested, d(c)));
            }
            events.push((EventKind::Canceled, d(e)));
        } else {
            if s.cancel_at_period_end || s.cancel_at.is_some() {
                events.push((
                    EventKind::CancelRequested,
                    d(s.canceled_at.unwrap_or(fallback)),
                ));
            }
            if let Some(c) = s.cancel_at.filter(|_| !s.cancel_at_period_end) {
                events.push((EventKind::Canceled, d(c)));
            }
            match s.status {
                Status::PastDue => events.push((EventKind::PastDue, d(fallback))),
                Status::Unpaid => {
                    events.push((EventKind::PastDue, d(fallback)));
                    events.push((EventKind::Unpaid, d(fallback)));
                }
                Status::Paused => events.push((EventKind::Paused, d(fallback))),
                _ => {}
            }
            if let Some(resumes) = s.pause_collection {
                if s.status != Status::Paused {
                    events.push((EventKind::Paused, d(fallback)));
                }
                if let Some(r) = resumes {
                    events.push((EventKind::Resumed, d(r)));
                }
            }
        }
        book.subs[sub]
            .events
            .extend(
                events
                    .into_iter()
                    .map(|(kind, date)| Event { origin, kind, date }),
            );
        if let Some(evs) = paid_late.remove(s.id.as_str()) {
            book.subs[sub].events.extend(evs);
        }
        // A scheduled end (`cancel_at`, not at the period's end) is prorated by Stripe: the
        // period holding it is paid up to that day only, not to the period's end.
        let scheduled_end = s
            .cancel_at
            .filter(|_| !s.cancel_at_period_end)
            .map(d)
            .filter(|c| end_ts.is_none_or(|e| d(e) == *c));
        if invoiced.contains(&s.id) {
            // Its invoice lines price it; its items are not counted twice.
            ledger.excluded.priced_by_invoices += licensed.len() as u64;
            // A live subscription runs on past a missing invoice: its last invoiced price
            // carries to its current period's end (docs/input.md, Stripe exports).
            if is_live(s.status) {
                let until = runs_until(s, as_of, &d, scheduled_end);
                if carry_last_price(&mut book, sub, until, origin) {
                    uninvoiced.push(s.id.clone());
                }
            }
            continue;
        }

        // Priced from the items.
        let trial = s.trial_end.filter(|t| *t > s.start);
        let mut paid_from = d(trial.unwrap_or(s.start));
        // A pause (status `paused`, or `pause_collection`) from the first paid day or earlier:
        // no price was in force the day before it, so none runs on through it under any
        // `--pauses` value; the items are in force from the resume date, if any, else never.
        // Stripe's `paused` status is a trial that ended without a payment method: never
        // paid, a trial that did not convert (docs/policies.md, pauses; trials). Nothing
        // paying was paused, so the object's pause events go (under `zero` its first MRR is
        // new, not resumed). Only after a trial: without one the first period was paid at
        // `start_date`, and a `pause_collection` taken to start with that period (its start is
        // not recorded) pauses a paying subscription.
        let mut never_paid = false;
        let mut resumes: Option<Date> = None;
        let paused = !ended
            && (s.status == Status::Paused || (trial.is_some() && s.pause_collection.is_some()));
        if paused && d(fallback) <= paid_from {
            book.subs[sub].events.retain(|e| {
                e.origin != origin || !matches!(e.kind, EventKind::Paused | EventKind::Resumed)
            });
            match s.pause_collection.flatten().map(d) {
                Some(r) => {
                    paid_from = paid_from.max(r);
                    resumes = Some(paid_from);
                }
                None => never_paid = true,
            }
        }
        if s.status == Status::Trialing {
            ledger.excluded.trial += licensed.len() as u64;
            continue;
        }
        let stop = match end_ts {
            Some(e) => d(e),
            None => {
                let mut stop = runs_until(s, as_of, &d, scheduled_end).max(paid_from);
                if let Some(r) = resumes.filter(|_| scheduled_end.is_none()) {
                    // Resuming after the current period: it runs on from then.
                    stop = stop.max(r.add_days(1));
                }
                stop
            }
        };
        if never_paid || stop <= paid_from {
            if trial.is_some() {
                ledger.excluded.trial += licensed.len() as u64;
            } else {
                ledger.excluded.zero_length += licensed.len() as u64;
            }
            continue;
        }
        let mut products: HashMap<&str, usize> = HashMap::new();
        for i in &licensed {
            *products.entry(i.price.product.as_str()).or_default() += 1;
        }
        // Each coupon's amount_off per item (none for percent coupons).
        let amount_off_shares: Vec<Vec<Decimal>> = s
            .discounts
            .iter()
            .map(|c| match &c.amount_off {
                Some((amt, cur)) => {
                    let items: Vec<Option<Decimal>> = licensed
                        .iter()
                        .map(|i| (i.price.currency == *cur).then_some(i.price.amount))
                        .collect();
                    // `None` only past i64 minor units, which no parsed amount reaches.
                    pricing::spread_amount_off(*amt, minor_places(cur), &items).unwrap_or_default()
                }
                None => Vec::new(),
            })
            .collect();
        // Periods after the subscription's last event that keep the same price are one charge:
        // no event asks where they start or end (the paid period holding a cancellation, the
        // restart after it), and a line joins them anyway. A live subscription runs on to the
        // export's as-of date, which one far-off timestamp can put centuries away.
        let last_event = book.subs[sub].events.iter().map(|e| e.date).max();
        let charges_before = book.charges.len();
        let used_before = ledger.used;
        let zero_before = ledger.excluded.zero_amount;
        let mut too_many: Option<(String, Date)> = None;
        for (n, item) in licensed.iter().enumerate() {
            let p = &item.price;
            let anchor_ts = s.anchor.or(s.cps).unwrap_or(s.start);
            let anchor = d(anchor_ts);
            let cycle = Cycle {
                anchor,
                day: anchor.ymd().2,
                interval: p.interval,
                count: p.count,
            };
            let product = if products[p.product.as_str()] > 1 {
                format!("{} ({})", p.product, p.id)
            } else {
                p.product.clone()
            };
            let mut k = cycle.index_at(paid_from);
            let mut first_once: HashMap<usize, Date> = HashMap::new();
            let mut any = false;
            let mut periods = 0;
            let mut last: Option<usize> = None;
            loop {
                let (b0, b1) = (cycle.boundary(k), cycle.boundary(k + 1));
                if b0 >= stop {
                    break;
                }
                if periods == MAX_PERIODS {
                    let at = s.items.iter().position(|x| std::ptr::eq(x, *item));
                    too_many = Some((format!("items.data[{}]", at.unwrap_or(n)), b0));
                    break;
                }
                periods += 1;
                k += 1;
                let start = b0.max(paid_from);
                let mut net = Some(p.amount);
                for (ci, c) in s.discounts.iter().enumerate() {
                    let take = policies.discounts.takes(c.duration == Duration::Forever);
                    let from = c.start.map_or(paid_from, d);
                    let active = match c.duration {
                        Duration::Once => {
                            *first_once.entry(ci).or_insert_with(|| {
                                // The first period starting on or after the coupon's start.
                                let mut j = cycle.index_at(from);
                                if cycle.boundary(j) < from {
                                    j += 1;
                                }
                                cycle.boundary(j).max(paid_from)
                            }) == start
                        }
                        _ => from <= start && c.end.is_none_or(|e| start < d(e)),
                    };
                    if !(take && active) {
                        continue;
                    }
                    if let Some(pct) = c.percent_off {
                        net = net.and_then(|x| percent_of(x, pct));
                    }
                    // A fixed amount comes off the items in proportion to their amounts.
                    if let Some(share) = amount_off_shares[ci].get(n) {
                        net = net.and_then(|x| dsub(x, *share)).map(|x| {
                            if x.is_negative() {
                                Decimal {
                                    mantissa: 0,
                                    decimals: 0,
                                }
                            } else {
                                x
                            }
                        });
                    }
                }
                let Some(net) = net else { continue };
                if net.is_zero() {
                    continue;
                }
                let Some(r) = rate(net, p.interval, p.count) else {
                    continue;
                };
                any = true;
                let end = scheduled_end.map_or(b1, |c| b1.min(c));
                if let Some(prev) = last.and_then(|i| book.charges.get_mut(i)) {
                    let after_events = last_event.is_none_or(|e| prev.start > e);
                    if after_events && prev.end == start && prev.net == net && prev.rate == Some(r)
                    {
                        prev.end = end;
                        continue;
                    }
                }
                last = Some(book.charges.len());
                book.charges.push(Charge {
                    origin,
                    sub,
                    product: product.clone(),
                    plan: p.id.clone(),
                    quantity: item.quantity,
                    currency: p.currency.clone(),
                    net,
                    places: net.decimals.max(2),
                    start,
                    end,
                    proration: false,
                    rate: Some(r),
                    invoice: None,
                    refunded: None,
                });
            }
            if too_many.is_some() {
                break;
            }
            if any {
                ledger.used += 1;
            } else {
                ledger.excluded.zero_amount += 1;
            }
        }
        if let Some((path, at)) = too_many {
            // Rejected whole, rather than cut short at the limit without a word.
            book.charges.truncate(charges_before);
            ledger.used = used_before;
            ledger.excluded.zero_amount = zero_before;
            ledger.rejected += licensed.len() as u64;
            rej.push(Rejection {
                file: sub_name.clone(),
                line: s.line,
                column: format!("{}: {path}.price.recurring", s.id),
                value: format!("{} to {stop}", paid_from),
                expected: format!(
                    "at most {MAX_PERIODS} billing periods for an item, and period {} would \
                     start {at}: check its start_date, its interval and the export's latest \
                     timestamp (a live subscription runs on to it)",
                    MAX_PERIODS + 1
                ),
            });
        }
    }

    if !uninvoiced.is_empty() {
        builder.notices.push(format!(
            "{} live subscription(s) have no invoice in {} for their current period, so their \
             last invoiced price was carried to its end (a partial or filtered export?): {}",
            uninvoiced.len(),
            inv_name.as_deref().unwrap_or("the invoices"),
            listed(&uninvoiced)
        ));
    }
    if opts.usage {
        usage_settle(&subs, &invs, files.invoices.is_some(), &mut book, builder);
    }

    let mut failed: Vec<Origin> = build_lines(&mut book, policies, builder)
        .into_iter()
        .map(|(o, _)| o)
        .collect();
    failed.sort_by_key(|o| (o.file, o.line));
    failed.dedup();
    for o in failed {
        builder.ledger.used = builder.ledger.used.saturating_sub(1);
        builder.ledger.rejected += 1;
        let file = if o.file == sub_file {
            sub_name.clone()
        } else {
            inv_name.clone().unwrap_or_default()
        };
        rej.push(Rejection {
            file,
            line: o.line,
            column: "amount".into(),
            value: String::new(),
            expected: "an amount small enough to compute with exactly".into(),
        });
    }
    rej.sort_by_key(|r| (r.file != sub_name, r.line));
    rejections.extend(rej);
    rejections.extend(notes_rej);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_in_memory_read_as_the_files() {
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/stripe_invoices");
        let opts = LoadOptions {
            currency: Some("USD".into()),
            ..LoadOptions::default()
        };
        let files = StripeFiles::beside(dir.join("subscriptions.json"), &dir).unwrap();
        let from_files = load_files(&files, &dir, &opts).unwrap();
        let objects = |file: &str| -> Vec<Value> {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            match serde_json::from_str(&text).unwrap() {
                Value::Array(a) => a,
                v => v["data"].as_array().unwrap().clone(),
            }
        };
        // Subscriptions as parsed values, invoices as JSON text, the last one malformed.
        let subs: Vec<(u64, Json)> = objects("subscriptions.json")
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i as u64 + 1, Json::Value(v)))
            .collect();
        let mut invs: Vec<(u64, Json)> = objects("invoices.json")
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i as u64 + 1, Json::Text(v.to_string())))
            .collect();
        let n = invs.len() as u64;
        let input = StripeInput {
            subscriptions: Objects::Rows {
                name: "subs".into(),
                rows: subs,
            },
            invoices: Some(Objects::Rows {
                name: "invs".into(),
                rows: invs.clone(),
            }),
            credit_notes: None,
            refunds: None,
        };
        let from_rows = load_input(&input, Some(&dir), &opts).unwrap();
        assert!(from_rows.rejections.is_empty());
        assert_eq!(from_rows.dataset.ledger, from_files.dataset.ledger);
        assert_eq!(from_rows.dataset.files, ["subs", "invs"]);
        assert_eq!(
            from_rows.dataset.lines.len(),
            from_files.dataset.lines.len()
        );
        invs.push((n + 1, Json::Text("{\"id\": \"in_x\",".into())));
        let input = StripeInput {
            invoices: Some(Objects::Rows {
                name: "invs".into(),
                rows: invs,
            }),
            ..input
        };
        let rej = load_input(&input, Some(&dir), &opts).unwrap().rejections;
        assert_eq!(rej.len(), 1);
        assert_eq!((rej[0].file.as_str(), rej[0].line), ("invs", n + 1));
        assert!(rej[0].expected.starts_with("valid JSON"), "{:?}", rej[0]);
    }

    /// The lines of a `void` invoice show no service period (the bill was canceled): they are
    /// excluded as `void_invoice`; a draft counts like any other bill.
    #[test]
    fn void_invoice_lines_show_no_service() {
        // 2024-01-01, 2024-02-01, 2024-03-01, 2024-04-01.
        let days = [
            1_704_067_200i64,
            1_706_745_600,
            1_709_251_200,
            1_711_929_600,
        ];
        let sub = |id: &str| {
            serde_json::json!({
                "id": format!("sub_{id}"), "object": "subscription", "customer": format!("cus_{id}"),
                "status": "canceled",
                "start_date": days[0], "created": days[0], "canceled_at": days[3],
                "ended_at": days[3], "current_period_start": days[2], "current_period_end": days[3],
                "items": {"data": [{"quantity": 1, "price": {
                    "id": "price_m", "product": "prod", "currency": "usd", "unit_amount": 5000,
                    "recurring": {"interval": "month", "interval_count": 1}}}]}
            })
        };
        let invoice = |id: &str, status: &str, month: usize| {
            let of = if id.starts_with("in_b") { "b" } else { "a" };
            serde_json::json!({
                "id": id, "object": "invoice", "customer": format!("cus_{of}"),
                "subscription": format!("sub_{of}"),
                "currency": "usd", "created": days[month], "status": status,
                "lines": {"data": [{"type": "subscription", "amount": 5000, "quantity": 1,
                    "proration": false,
                    "period": {"start": days[month], "end": days[month + 1]}}]}
            })
        };
        let rows = |vals: Vec<serde_json::Value>, name: &str| Objects::Rows {
            name: name.into(),
            rows: vals
                .into_iter()
                .enumerate()
                .map(|(i, v)| (i as u64 + 1, Json::Value(v)))
                .collect(),
        };
        let input = StripeInput {
            // b's only invoice is void: it was never billed, and is not priced from its item.
            subscriptions: rows(vec![sub("a"), sub("b")], "subs"),
            invoices: Some(rows(
                vec![
                    invoice("in_jan", "paid", 0),
                    invoice("in_feb", "void", 1),
                    invoice("in_mar", "draft", 2),
                    invoice("in_b_jan", "void", 0),
                ],
                "invs",
            )),
            credit_notes: None,
            refunds: None,
        };
        let loaded = load_input(&input, None, &LoadOptions::default()).unwrap();
        assert!(loaded.rejections.is_empty(), "{:?}", loaded.rejections);
        let ds = &loaded.dataset;
        let mut starts: Vec<String> = (0..ds.lines.len())
            .map(|i| ds.lines.start_date[i].to_string())
            .collect();
        starts.sort();
        assert_eq!(starts, ["2024-01-01", "2024-03-01"]);
        assert_eq!(ds.ledger.excluded.void_invoice, 2);
        // Two invoice lines; each subscription's item gives its status and events, and is
        // excluded as priced by its invoices.
        assert_eq!(ds.ledger.used, 2);
        assert_eq!(ds.ledger.excluded.priced_by_invoices, 2);
        assert!(ds.ledger.balances(), "{:?}", ds.ledger);
    }

    /// Stripe pauses a subscription whose trial ends without a payment method (`status:
    /// paused`): it never paid, so no price was in force the day before the pause and
    /// `--pauses keep` has nothing to keep (docs/policies.md, pauses; trials that do not
    /// convert never make a customer). Fixture `stripe_status_paths`, globex.
    #[test]
    fn a_pause_from_the_end_of_a_trial_keeps_no_price() {
        // 2024-01-01, 2024-02-01, 2024-03-01, 2024-04-01, 2024-05-01.
        let (jan, feb, mar, apr, may) = (
            1_704_067_200i64,
            1_706_745_600i64,
            1_709_251_200i64,
            1_711_929_600i64,
            1_714_521_600i64,
        );
        let sub = |id: &str, status: &str, start: i64, trial: Option<(i64, i64)>, cps: i64| {
            serde_json::json!({
                "id": id, "object": "subscription", "customer": format!("cus_{id}"),
                "status": status, "start_date": start, "created": start,
                "current_period_start": cps, "current_period_end": cps + 2_678_400,
                "trial_start": trial.map(|t| t.0), "trial_end": trial.map(|t| t.1),
                "pause_collection": null,
                "items": {"data": [{"quantity": 1, "price": {
                    "id": "price_m", "product": "prod", "currency": "usd", "unit_amount": 5000,
                    "recurring": {"interval": "month", "interval_count": 1}}}]}
            })
        };
        // Paused at the end of its trial (current period from the trial's end).
        let paused_trial = sub("paused_trial", "paused", feb, Some((feb, mar)), mar);
        // The same with the pause taken to start at the trial's own period.
        let paused_trial_early = sub("paused_trial_early", "paused", feb, Some((feb, mar)), feb);
        // Collection paused from the trial's end until 04-01: priced from 04-01 only.
        let mut resumes = sub("resumes", "active", feb, Some((feb, mar)), mar);
        resumes["pause_collection"] = serde_json::json!({"behavior": "void", "resumes_at": apr});
        // Paid from 01-01, collection paused from 03-01: keeps its price (unchanged rule).
        let mut paid = sub("paid_then_paused", "active", jan, None, mar);
        paid["pause_collection"] = serde_json::json!({"behavior": "void", "resumes_at": null});
        // No trial, collection paused in its first period: that period was paid at its start,
        // so it keeps its price from 04-01 (the pause applies under --pauses).
        let mut first = sub("first_period_paused", "active", apr, None, apr);
        first["pause_collection"] = serde_json::json!({"behavior": "void", "resumes_at": null});
        // Sets the as-of date after every pause start.
        let clock = sub("clock", "active", jan, None, may);
        let rows = [
            paused_trial,
            paused_trial_early,
            resumes,
            paid,
            first,
            clock,
        ]
        .into_iter()
        .enumerate()
        .map(|(i, v)| (i as u64 + 1, Json::Value(v)))
        .collect();
        let input = StripeInput {
            subscriptions: Objects::Rows {
                name: "subs".into(),
                rows,
            },
            invoices: None,
            credit_notes: None,
            refunds: None,
        };
        let loaded = load_input(&input, None, &LoadOptions::default()).unwrap();
        assert!(loaded.rejections.is_empty(), "{:?}", loaded.rejections);
        let ds = &loaded.dataset;
        let first_day = |customer: &str| -> Option<String> {
            let c = ds.customers.index_of(customer)?;
            (0..ds.lines.len())
                .filter(|&i| ds.lines.customer[i] == c)
                .map(|i| ds.lines.start_date[i])
                .min()
                .map(|d| d.to_string())
        };
        assert_eq!(first_day("cus_paused_trial"), None);
        assert_eq!(first_day("cus_paused_trial_early"), None);
        assert_eq!(first_day("cus_resumes").as_deref(), Some("2024-04-01"));
        assert_eq!(
            first_day("cus_paid_then_paused").as_deref(),
            Some("2024-01-01")
        );
        assert_eq!(first_day("cus_clock").as_deref(), Some("2024-01-01"));
        assert_eq!(
            first_day("cus_first_period_paused").as_deref(),
            Some("2024-04-01")
        );
        assert_eq!(ds.ledger.excluded.trial, 2);
        assert_eq!(ds.ledger.used, 4);

        // `--pauses zero`: a pause before the first paid day pauses nothing (its first MRR
        // is new, not resumed); the pause of a paying subscription is still one.
        let mut opts = LoadOptions::default();
        opts.invoice_policies.pauses = nrr_core::policy::Pauses::Zero;
        let ds = load_input(&input, None, &opts).unwrap().dataset;
        let paused: Vec<&str> = ds
            .pauses
            .iter()
            .map(|p| ds.customers.get(p.customer as usize))
            .collect();
        assert_eq!(paused, ["cus_paid_then_paused", "cus_first_period_paused"]);
    }
}
