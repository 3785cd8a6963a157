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
pub(crate) use objects::{Json, Objects};
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
        });
    }
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
        let from_files = crate::load::stripe_input(&files.input(), Some(&dir), &opts).unwrap();
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
        let from_rows = crate::load::stripe_input(&input, Some(&dir), &opts).unwrap();
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
        let rej = crate::load::stripe_input(&input, Some(&dir), &opts)
            .unwrap()
            .rejections;
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
        let loaded = crate::load::stripe_input(&input, None, &LoadOptions::default()).unwrap();
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
        let loaded = crate::load::stripe_input(&input, None, &LoadOptions::default()).unwrap();
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
        let ds = crate::load::stripe_input(&input, None, &opts)
            .unwrap()
            .dataset;
        let paused: Vec<&str> = ds
            .pauses
            .iter()
            .map(|p| ds.customers.get(p.customer as usize))
            .collect();
        assert_eq!(paused, ["cus_paid_then_paused", "cus_first_period_paused"]);
    }
}
