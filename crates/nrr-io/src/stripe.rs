//! Stripe API objects as exported: `subscriptions.json` (or `.jsonl`) and optionally
//! `invoices.json` (or `.jsonl`), turned into the same charges and events the invoices reader
//! builds (`crate::invoices`), so every rule of docs/policies.md applies unchanged.
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
//!   which ends the service of its lines on that day (`crate::full_refunds`).
//!
//! Timestamps are Unix seconds, read as dates in `--timezone` (UTC, a fixed offset, or an IANA
//! zone whose offset is taken at each timestamp: `crate::Timezone`).
//! Every row (a subscription item, an invoice line, a credit note or refund: `refunds`) is
//! used, excluded with a reason, or rejected with the file, the object's line, the object id
//! and the JSON path of the field.

use crate::error::{IoError, Rejection};
use crate::full_refunds::{listed, BackKind, MoneyBack, RefundBook, Resolved};
use crate::invoices::{
    build_lines, dec_str, dsub, per_interval, Book, Charge, Discounts, Event, EventKind, Length,
};
use crate::options::{LoadOptions, Progress};
use crate::revenue::Revenue;
use crate::table::display_name;
use crate::Timezone;
use nrr_core::dataset::{DatasetBuilder, Origin};
use nrr_core::date::{days_in_month, Date};
use nrr_core::money::Decimal;
use nrr_core::report::RowLedger;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

mod invoice;
mod pricing;
mod refunds;

use invoice::{invoice, InvLine, InvObj, InvStatus, KnownPrices, LineKind};

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

/// One object given in memory: JSON already parsed, or its text (parsed here, so malformed
/// JSON is a rejection like in a file).
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) enum Json {
    /// A parsed value.
    Value(Value),
    /// The JSON text of one object.
    Text(String),
}

/// Where the objects of one kind come from.
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) enum Objects {
    /// A `.json` (array or list object) or `.jsonl` file.
    File(PathBuf),
    /// Objects in memory: the input's name (for rejections and `inputs`) and each object with
    /// its row number (the "line" of rejections).
    Rows {
        name: String,
        rows: Vec<(u64, Json)>,
    },
}

impl Objects {
    /// How rejections and the report's `inputs` name the input.
    pub(crate) fn name(&self) -> String {
        match self {
            Objects::File(p) => display_name(p),
            Objects::Rows { name, .. } => name.clone(),
        }
    }

    /// Bytes read, for progress.
    fn size(&self) -> u64 {
        match self {
            Objects::File(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
            Objects::Rows { rows, .. } => rows
                .iter()
                .map(|(_, j)| match j {
                    Json::Text(t) => t.len() as u64,
                    Json::Value(_) => 0,
                })
                .sum(),
        }
    }

    /// The objects with their positions; malformed JSON is a rejection (one a file, one a
    /// row in memory).
    fn read(&self, rejections: &mut Vec<Rejection>) -> Result<Vec<Obj>, IoError> {
        let (name, rows) = match self {
            Objects::File(p) => return read_objects(p, rejections),
            Objects::Rows { name, rows } => (name, rows),
        };
        let mut out = Vec::new();
        for (index, (row, json)) in rows.iter().enumerate() {
            let value = match json {
                Json::Value(v) => v.clone(),
                Json::Text(t) => match serde_json::from_str::<Value>(t) {
                    Ok(v) => v,
                    Err(e) => {
                        let l = t.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
                        rejections.push(malformed(name, *row, e.column(), l, &e));
                        continue;
                    }
                },
            };
            out.push(Obj {
                line: *row,
                index,
                value,
            });
        }
        Ok(out)
    }
}

impl Objects {
    /// A `.json` file holding a list object that says `"has_more": true`: one page of a
    /// longer list, so the export is incomplete.
    fn has_more(&self) -> bool {
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            has_more: bool,
        }
        let Objects::File(p) = self else { return false };
        if p.extension().is_some_and(|e| e == "jsonl") {
            return false;
        }
        std::fs::read_to_string(p).is_ok_and(|t| {
            let t = t.strip_prefix('\u{feff}').unwrap_or(&t).trim_start();
            t.starts_with('{') && serde_json::from_str::<Page>(t).is_ok_and(|pg| pg.has_more)
        })
    }

    /// The objects parsed by `parse` (`rows`: the ledger rows of a parsed one), every row
    /// counted as read; malformed JSON and a bad field are rejected, one row each.
    fn parse<T>(
        &self,
        parse: impl Fn(&Value, u64) -> Result<T, Bad>,
        rows: impl Fn(&T) -> usize,
        ledger: &mut RowLedger,
        rejections: &mut Vec<Rejection>,
    ) -> Result<Vec<T>, IoError> {
        let name = self.name();
        let before = rejections.len();
        let objs = self.read(rejections)?;
        let bad_json = (rejections.len() - before) as u64;
        ledger.read += bad_json;
        ledger.rejected += bad_json;
        let mut out = Vec::new();
        for o in &objs {
            match parse(&o.value, o.line) {
                Ok(t) => {
                    ledger.read += rows(&t) as u64;
                    out.push(t);
                }
                Err(b) => {
                    ledger.read += 1;
                    ledger.rejected += 1;
                    rejections.push(Rejection {
                        file: name.clone(),
                        line: o.line,
                        column: format!("{}: {}", obj_id(o), b.path),
                        value: b.value,
                        expected: b.expected,
                    });
                }
            }
        }
        Ok(out)
    }
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

/// Stripe's zero-decimal currencies: amounts are whole units
/// (https://docs.stripe.com/currencies#zero-decimal).
const ZERO_DECIMAL: [&str; 16] = [
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];
/// Stripe's three-decimal currencies: amounts are thousandths.
const THREE_DECIMAL: [&str; 5] = ["BHD", "JOD", "KWD", "OMR", "TND"];

/// Decimal places of a currency's minor unit.
fn minor_places(currency: &str) -> u32 {
    if ZERO_DECIMAL.contains(&currency) {
        0
    } else if THREE_DECIMAL.contains(&currency) {
        3
    } else {
        2
    }
}

/// Minor units of `currency` as a decimal amount in major units.
fn major(minor: i64, currency: &str) -> Decimal {
    Decimal {
        mantissa: minor,
        decimals: minor_places(currency),
    }
}

/// The date of a Unix timestamp in `tz` (at the offset in force at that instant).
fn date_of(ts: i64, tz: &Timezone) -> Date {
    let local = ts.saturating_add(i64::from(tz.offset_at(ts)));
    Date::from_days(local.div_euclid(86_400) as i32)
}

// ---------------------------------------------------------------------------------------------
// Reading objects with their positions

/// One top-level object of a file.
struct Obj {
    /// The line where it starts.
    line: u64,
    /// Its index in the file.
    index: usize,
    value: Value,
}

/// The JSON error's message without serde_json's " at line L column C".
fn json_message(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    if msg.starts_with("recursion limit exceeded") {
        return "arrays and objects nested at most 127 deep".to_string();
    }
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    }
}

/// A rejection for malformed JSON at `line`, `column` of `text_line`.
fn malformed(
    file: &str,
    line: u64,
    column: usize,
    text_line: &str,
    e: &serde_json::Error,
) -> Rejection {
    let from = column.saturating_sub(1).min(text_line.len());
    let from = (0..=from)
        .rev()
        .find(|i| text_line.is_char_boundary(*i))
        .unwrap_or(0);
    let snippet: String = text_line[from..].chars().take(20).collect();
    Rejection {
        file: file.to_string(),
        line,
        column: format!("column {column}"),
        value: snippet,
        expected: format!("valid JSON ({})", json_message(e)),
    }
}

/// The objects of a `.json` file (an array, or a list object `{"object": "list", "data":
/// [...]}`) or a `.jsonl` file (one object a line). Malformed JSON is one rejection.
fn read_objects(path: &Path, rejections: &mut Vec<Rejection>) -> Result<Vec<Obj>, IoError> {
    let name = display_name(path);
    let text = std::fs::read_to_string(path).map_err(|source| IoError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // A byte order mark (some editors write one) is no JSON, but no reason to refuse it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = Vec::new();
    if path.extension().is_some_and(|e| e == "jsonl") {
        for (i, l) in text.lines().enumerate() {
            if l.trim().is_empty() {
                continue;
            }
            let line = i as u64 + 1;
            match serde_json::from_str::<Value>(l) {
                Ok(value) => out.push(Obj {
                    line,
                    index: out.len(),
                    value,
                }),
                Err(e) => rejections.push(malformed(&name, line, e.column(), l, &e)),
            }
        }
        return Ok(out);
    }
    #[derive(serde::Deserialize)]
    struct List<'a> {
        #[serde(borrow)]
        data: Vec<&'a RawValue>,
    }
    let parsed = if text.trim_start().starts_with('{') {
        serde_json::from_str::<List<'_>>(text).map(|l| l.data)
    } else {
        serde_json::from_str::<Vec<&RawValue>>(text)
    };
    let raws = match parsed {
        Ok(r) => r,
        Err(e) => {
            let l = text.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
            rejections.push(malformed(&name, e.line() as u64, e.column(), l, &e));
            return Ok(out);
        }
    };
    let base = text.as_ptr() as usize;
    let mut line = 1u64;
    let mut pos = 0usize;
    for (index, raw) in raws.into_iter().enumerate() {
        let at = raw.get().as_ptr() as usize - base;
        line += text.as_bytes()[pos..at]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        pos = at;
        // Well-formed, but a value may still be refused: nesting deeper than serde_json's
        // limit (128) or a number out of range (1e400), even in a field nrr does not read.
        match serde_json::from_str(raw.get()) {
            Ok(value) => out.push(Obj { line, index, value }),
            Err(e) => {
                // Line and column in the file: the object's first line starts mid-line.
                let (l, col) = if e.line() <= 1 {
                    let from = text[..at].rfind('\n').map_or(0, |i| i + 1);
                    let full = text[from..].lines().next().unwrap_or("");
                    (full, at - from + e.column())
                } else {
                    let l = raw.get().lines().nth(e.line() - 1).unwrap_or("");
                    (l, e.column())
                };
                let at_line = line + e.line().saturating_sub(1) as u64;
                rejections.push(malformed(&name, at_line, col, l, &e));
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Field access with JSON paths

/// A bad field: its JSON path in the object, its value as JSON, what it must hold.
struct Bad {
    path: String,
    value: String,
    expected: String,
}

fn bad(path: &str, v: Option<&Value>, expected: impl Into<String>) -> Bad {
    Bad {
        path: path.to_string(),
        value: v.map_or_else(String::new, Value::to_string),
        expected: expected.into(),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The field, `None` when absent or null.
fn field<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.get(key).filter(|x| !x.is_null())
}

fn opt_str<'v>(v: &'v Value, path: &str, key: &str) -> Result<Option<&'v str>, Bad> {
    match field(v, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(x) => Err(bad(&join(path, key), Some(x), "a string")),
    }
}

fn req_str<'v>(v: &'v Value, path: &str, key: &str, what: &str) -> Result<&'v str, Bad> {
    match opt_str(v, path, key)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(bad(
            &join(path, key),
            field(v, key),
            format!("{what} (required)"),
        )),
    }
}

/// An id field that may be expanded into an object with an `id`.
fn id_of<'v>(v: &'v Value, path: &str, key: &str, what: &str) -> Result<&'v str, Bad> {
    match field(v, key) {
        Some(Value::Object(_)) => req_str(&v[key], &join(path, key), "id", what),
        _ => req_str(v, path, key, what),
    }
}

/// An optional id field that may be expanded into an object with an `id`.
fn opt_id<'v>(v: &'v Value, path: &str, key: &str, what: &str) -> Result<Option<&'v str>, Bad> {
    match field(v, key) {
        Some(Value::Object(_)) => id_of(v, path, key, what).map(Some),
        _ => opt_str(v, path, key),
    }
}

fn opt_int(v: &Value, path: &str, key: &str, what: &str) -> Result<Option<i64>, Bad> {
    match field(v, key) {
        None => Ok(None),
        Some(x) => match x.as_i64() {
            Some(n) if n >= 0 => Ok(Some(n)),
            _ => Err(bad(&join(path, key), Some(x), what)),
        },
    }
}

const TS: &str = "a Unix timestamp in seconds (an integer >= 0)";

/// The latest timestamp read: 2999-12-31T23:59:59Z. A later one (253402300799,
/// 9999-12-31T23:59:59Z, is a common "never") is no billing date, and the billing periods
/// and windows after it would not fit the calendar (years 1 to 9999).
const MAX_TS: i64 = 32_503_679_999;

fn opt_ts(v: &Value, path: &str, key: &str) -> Result<Option<i64>, Bad> {
    match opt_int(v, path, key, TS)? {
        Some(t) if t > MAX_TS => Err(bad(
            &join(path, key),
            field(v, key),
            format!(
                "a Unix timestamp in seconds up to {MAX_TS} (2999-12-31T23:59:59Z); for no \
                 date at all, leave it null"
            ),
        )),
        t => Ok(t),
    }
}

fn opt_bool(v: &Value, path: &str, key: &str) -> Result<bool, Bad> {
    match field(v, key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(x) => Err(bad(&join(path, key), Some(x), "true or false")),
    }
}

fn currency(v: &Value, path: &str, key: &str) -> Result<Option<String>, Bad> {
    match opt_str(v, path, key)? {
        None => Ok(None),
        Some(s) if s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Ok(Some(s.to_ascii_uppercase()))
        }
        Some(_) => Err(bad(
            &join(path, key),
            field(v, key),
            "a three-letter ISO currency code like \"usd\"",
        )),
    }
}

/// The elements of a Stripe list (`{"data": [...]}`) or a plain array at `key`.
fn list<'v>(v: &'v Value, path: &str, key: &str) -> Result<(Vec<&'v Value>, String), Bad> {
    let p = join(path, key);
    match field(v, key) {
        None => Ok((Vec::new(), p)),
        Some(Value::Array(a)) => Ok((a.iter().collect(), p)),
        Some(Value::Object(o)) => match o.get("data") {
            Some(Value::Array(a)) => Ok((a.iter().collect(), format!("{p}.data"))),
            x => Err(bad(&format!("{p}.data"), x, "an array of objects")),
        },
        Some(x) => Err(bad(
            &p,
            Some(x),
            "a list object {\"data\": [...]} or an array",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Subscriptions

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Trialing,
    Active,
    PastDue,
    Unpaid,
    Canceled,
    Paused,
    Incomplete,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Interval {
    Day,
    Week,
    Month,
    Year,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Duration {
    Once,
    Repeating,
    Forever,
}

/// A price of a subscription item.
struct Price {
    id: String,
    product: String,
    currency: String,
    /// Per interval, in major units, for the item's quantity (`unit_amount x quantity`, or
    /// its tiers: `pricing`); 0 for a metered price.
    amount: Decimal,
    interval: Interval,
    count: u32,
    metered: bool,
}

struct Item {
    /// `si_...`, when exported: invoice lines of the current shape name it.
    id: Option<String>,
    price: Price,
    quantity: u64,
}

struct Coupon {
    id: String,
    percent_off: Option<Decimal>,
    /// Major units, in `currency`.
    amount_off: Option<(Decimal, String)>,
    duration: Duration,
    start: Option<i64>,
    end: Option<i64>,
}

struct SubObj {
    line: u64,
    id: String,
    customer: String,
    status: Status,
    start: i64,
    trial_end: Option<i64>,
    anchor: Option<i64>,
    cps: Option<i64>,
    cpe: Option<i64>,
    cancel_at: Option<i64>,
    cancel_at_period_end: bool,
    canceled_at: Option<i64>,
    ended_at: Option<i64>,
    /// `pause_collection`: `Some(resumes_at)`.
    pause_collection: Option<Option<i64>>,
    items: Vec<Item>,
    discounts: Vec<Coupon>,
    /// Past timestamps: the export was made after them (for the as-of date).
    seen: i64,
}

fn price(v: &Value, path: &str, quantity: u64) -> Result<Price, Bad> {
    let Some(p) = field(v, "price").filter(|p| p.is_object()) else {
        return Err(bad(
            &join(path, "price"),
            field(v, "price"),
            "a price object (required)",
        ));
    };
    let pp = join(path, "price");
    let id = req_str(p, &pp, "id", "a price id")?.to_string();
    let product = opt_id(p, &pp, "product", "a product id")?
        .unwrap_or("")
        .to_string();
    let cur = currency(p, &pp, "currency")?
        .ok_or_else(|| bad(&join(&pp, "currency"), None, "a currency code (required)"))?;
    let Some(r) = field(p, "recurring").filter(|r| r.is_object()) else {
        return Err(bad(
            &join(&pp, "recurring"),
            field(p, "recurring"),
            "a recurring price {interval, interval_count} (a subscription item's price recurs)",
        ));
    };
    let rp = join(&pp, "recurring");
    let interval = match opt_str(r, &rp, "interval")? {
        Some("day") => Interval::Day,
        Some("week") => Interval::Week,
        Some("month") => Interval::Month,
        Some("year") => Interval::Year,
        _ => {
            return Err(bad(
                &join(&rp, "interval"),
                field(r, "interval"),
                "day, week, month or year",
            ))
        }
    };
    let count = match opt_int(r, &rp, "interval_count", "an integer from 1 to 1095")? {
        None => 1,
        Some(n) if (1..=1095).contains(&n) => n as u32,
        Some(_) => {
            return Err(bad(
                &join(&rp, "interval_count"),
                field(r, "interval_count"),
                "an integer from 1 to 1095",
            ))
        }
    };
    let metered = match opt_str(r, &rp, "usage_type")? {
        None | Some("licensed") => false,
        Some("metered") => true,
        Some(_) => {
            return Err(bad(
                &join(&rp, "usage_type"),
                field(r, "usage_type"),
                "licensed or metered",
            ))
        }
    };
    // A metered price is never MRR: what its usage costs is on the invoices (`--usage`).
    let amount = if metered {
        Decimal {
            mantissa: 0,
            decimals: 0,
        }
    } else {
        pricing::interval_amount(p, &pp, quantity, path, &cur)?
    };
    Ok(Price {
        id,
        product,
        currency: cur,
        amount,
        interval,
        count,
        metered,
    })
}

fn quantity(v: &Value, path: &str) -> Result<u64, Bad> {
    Ok(opt_int(v, path, "quantity", "an integer >= 0")?.unwrap_or(1) as u64)
}

fn coupon(d: &Value, path: &str) -> Result<Coupon, Bad> {
    let Some(c) = field(d, "coupon").filter(|c| c.is_object()) else {
        return Err(bad(
            &join(path, "coupon"),
            field(d, "coupon"),
            "a coupon object",
        ));
    };
    let cp = join(path, "coupon");
    let percent_off = match field(c, "percent_off") {
        None => None,
        Some(x) => {
            let p = Decimal::parse(&x.to_string(), 4)
                .filter(|p| !p.is_negative() && p.mantissa <= 100 * 10i64.pow(p.decimals));
            Some(
                p.ok_or_else(|| bad(&join(&cp, "percent_off"), Some(x), "a number from 0 to 100"))?,
            )
        }
    };
    let amount_off = match opt_int(c, &cp, "amount_off", "an integer >= 0 in minor units")? {
        None => None,
        Some(n) => {
            let cur = currency(c, &cp, "currency")?
                .ok_or_else(|| bad(&join(&cp, "currency"), None, "the currency of amount_off"))?;
            Some((major(n, &cur), cur))
        }
    };
    if percent_off.is_none() && amount_off.is_none() {
        return Err(bad(&cp, Some(c), "a coupon with percent_off or amount_off"));
    }
    let duration = match opt_str(c, &cp, "duration")? {
        Some("once") => Duration::Once,
        Some("repeating") => Duration::Repeating,
        Some("forever") => Duration::Forever,
        _ => {
            return Err(bad(
                &join(&cp, "duration"),
                field(c, "duration"),
                "once, repeating or forever",
            ))
        }
    };
    let start = opt_ts(d, path, "start")?;
    let mut end = opt_ts(d, path, "end")?;
    if duration == Duration::Repeating && end.is_none() {
        let months = opt_int(c, &cp, "duration_in_months", "an integer >= 1")?
            .filter(|m| *m >= 1)
            .ok_or_else(|| {
                bad(
                    &join(&cp, "duration_in_months"),
                    field(c, "duration_in_months"),
                    "an integer >= 1 for a repeating coupon without an end",
                )
            })?;
        // The end is the start plus the months (in UTC, as Stripe computes it).
        end = start.map(|s| {
            let day = s.div_euclid(86_400);
            let rest = s.rem_euclid(86_400);
            let d = add_months(Date::from_days(day as i32), months as i32, None);
            i64::from(d.days()) * 86_400 + rest
        });
    }
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            return Err(bad(
                &join(path, "end"),
                field(d, "end"),
                "a time after start",
            ));
        }
    }
    Ok(Coupon {
        id: opt_str(d, path, "id")?.unwrap_or("").to_string(),
        percent_off,
        amount_off,
        duration,
        start,
        end,
    })
}

fn subscription(v: &Value, line: u64) -> Result<SubObj, Bad> {
    let id = req_str(v, "", "id", "a subscription id")?.to_string();
    let customer = id_of(v, "", "customer", "a customer id")?.to_string();
    let status = match opt_str(v, "", "status")? {
        Some("trialing") => Status::Trialing,
        Some("active") => Status::Active,
        Some("past_due") => Status::PastDue,
        Some("unpaid") => Status::Unpaid,
        Some("canceled") => Status::Canceled,
        Some("paused") => Status::Paused,
        Some("incomplete" | "incomplete_expired") => Status::Incomplete,
        _ => {
            return Err(bad(
                "status",
                field(v, "status"),
                "one of trialing, active, past_due, unpaid, canceled, paused, incomplete, \
                 incomplete_expired",
            ))
        }
    };
    let (items_v, ip) = list(v, "", "items")?;
    let mut items = Vec::new();
    for (i, it) in items_v.iter().enumerate() {
        let path = format!("{ip}[{i}]");
        let q = quantity(it, &path)?;
        items.push(Item {
            id: opt_str(it, &path, "id")?.map(str::to_string),
            price: price(it, &path, q)?,
            quantity: q,
        });
    }
    if items.is_empty() {
        return Err(bad("items.data", field(v, "items"), "at least one item"));
    }
    // Since API version 2025-03-31 the current period is on the items.
    let first = items_v[0];
    let period = |key: &str| -> Result<Option<i64>, Bad> {
        match opt_ts(v, "", key)? {
            Some(t) => Ok(Some(t)),
            None => opt_ts(first, &format!("{ip}[0]"), key),
        }
    };
    let cps = period("current_period_start")?;
    let cpe = period("current_period_end")?;
    if let (Some(s), Some(e)) = (cps, cpe) {
        if e <= s {
            return Err(bad(
                "current_period_end",
                field(v, "current_period_end").or(field(first, "current_period_end")),
                format!("a time after current_period_start ({s})"),
            ));
        }
    }
    let start_date = opt_ts(v, "", "start_date")?;
    let created = opt_ts(v, "", "created")?;
    let start = start_date
        .or(created)
        .ok_or_else(|| bad("start_date", None, "a Unix timestamp (required)"))?;
    let trial_start = opt_ts(v, "", "trial_start")?;
    let trial_end = opt_ts(v, "", "trial_end")?;
    if let (Some(s), Some(e)) = (trial_start, trial_end) {
        if e < s {
            return Err(bad(
                "trial_end",
                field(v, "trial_end"),
                format!("a time on or after trial_start ({s})"),
            ));
        }
    }
    let ended_at = opt_ts(v, "", "ended_at")?;
    if let Some(e) = ended_at.filter(|e| *e < start) {
        return Err(bad(
            "ended_at",
            Some(&Value::from(e)),
            format!("a time on or after start_date ({start})"),
        ));
    }
    let pause_collection = match field(v, "pause_collection") {
        None => None,
        Some(p) if p.is_object() => Some(opt_ts(p, "pause_collection", "resumes_at")?),
        Some(x) => return Err(bad("pause_collection", Some(x), "an object or null")),
    };
    let mut discounts: Vec<Coupon> = Vec::new();
    let (ds, dp) = list(v, "", "discounts")?;
    for (i, d) in ds.iter().enumerate() {
        // Unexpanded discount ids carry no coupon: they are left out (docs/input.md).
        if d.is_object() {
            discounts.push(coupon(d, &format!("{dp}[{i}]"))?);
        }
    }
    if let Some(d) = field(v, "discount").filter(|d| d.is_object()) {
        let c = coupon(d, "discount")?;
        if c.id.is_empty() || !discounts.iter().any(|x| x.id == c.id) {
            discounts.push(c);
        }
    }
    let canceled_at = opt_ts(v, "", "canceled_at")?;
    let seen = [
        Some(start),
        created,
        cps,
        canceled_at,
        ended_at,
        trial_start,
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(start);
    Ok(SubObj {
        line,
        id,
        customer,
        status,
        start,
        trial_end,
        anchor: opt_ts(v, "", "billing_cycle_anchor")?,
        cps,
        cpe,
        cancel_at: opt_ts(v, "", "cancel_at")?,
        cancel_at_period_end: opt_bool(v, "", "cancel_at_period_end")?,
        canceled_at,
        ended_at,
        pause_collection,
        items,
        discounts,
        seen,
    })
}

// ---------------------------------------------------------------------------------------------
// Billing periods and prices

/// The most billing periods read for one subscription item (a daily price for 273 years, a
/// weekly one for 1,917); a subscription needing more is rejected (docs/input.md#limits).
const MAX_PERIODS: u32 = 100_000;

/// `d` plus `n` months, on day `anchor_day` (else `d`'s day) clamped at month end, and
/// within years 1 to 9999 (timestamps are at most [`MAX_TS`], so only an absurd coupon
/// duration reaches that clamp).
fn add_months(d: Date, n: i32, anchor_day: Option<u32>) -> Date {
    let (y, m, day) = d.ymd();
    let idx = (i64::from(y) * 12 + i64::from(m) - 1 + i64::from(n)).clamp(12, 9999 * 12 + 11);
    let (ny, nm) = ((idx / 12) as i32, (idx % 12) as u32 + 1);
    let want = anchor_day.unwrap_or(day);
    // Years 1 to 9999 and a day clamped to the month's length always exist.
    Date::from_ymd(ny, nm, want.clamp(1, days_in_month(ny, nm))).unwrap_or(Date::MAX)
}

/// Billing period boundaries of a price: `boundary(k)` for any integer `k`.
struct Cycle {
    anchor: Date,
    day: u32,
    interval: Interval,
    count: u32,
}

impl Cycle {
    fn boundary(&self, k: i64) -> Date {
        let c = i64::from(self.count);
        match self.interval {
            Interval::Month => add_months(self.anchor, (k * c) as i32, Some(self.day)),
            Interval::Year => add_months(self.anchor, (k * c * 12) as i32, Some(self.day)),
            Interval::Week => self.anchor.add_days((k * c * 7) as i32),
            Interval::Day => self.anchor.add_days((k * c) as i32),
        }
    }

    /// The largest `k` with `boundary(k) <= d`.
    fn index_at(&self, d: Date) -> i64 {
        let days = f64::from(d.days() - self.anchor.days());
        let len = f64::from(self.count)
            * match self.interval {
                Interval::Day => 1.0,
                Interval::Week => 7.0,
                Interval::Month => 30.436_875,
                Interval::Year => 365.2425,
            };
        let mut k = (days / len).floor() as i64;
        while self.boundary(k) > d {
            k -= 1;
        }
        while self.boundary(k + 1) <= d {
            k += 1;
        }
        k
    }
}

/// `(amount', interval months)` with `amount' / interval` the MRR of `amount` per price
/// interval: months and years exactly, a week as 12/52 of a month, a day as 12/365.
fn rate(amount: Decimal, interval: Interval, count: u32) -> Option<(Decimal, u32)> {
    let len = match interval {
        Interval::Month => Length::Months(count),
        Interval::Year => Length::Months(count.checked_mul(12)?),
        Interval::Week => Length::Weeks(count),
        Interval::Day => Length::Days(count),
    };
    per_interval(amount, len)
}

/// `amount x (100 - percent) / 100`, trailing zeros beyond 2 places dropped.
fn percent_of(amount: Decimal, percent: Decimal) -> Option<Decimal> {
    let hundred = 100i64.checked_mul(10i64.checked_pow(percent.decimals)?)?;
    let mut d = Decimal {
        mantissa: amount.mantissa.checked_mul(hundred - percent.mantissa)?,
        decimals: amount.decimals + percent.decimals + 2,
    };
    while d.decimals > 2 && d.mantissa % 10 == 0 {
        d.mantissa /= 10;
        d.decimals -= 1;
    }
    (d.decimals <= 6).then_some(d)
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

/// `--full-refunds end-service`: notes each credit note (by its `invoice`) and refund (by the
/// invoice its `charge` or `payment_intent` paid) that handed money back; a void credit note, a
/// failed or canceled refund hand nothing back and are left out.
fn link_money_back(rb: &mut RefundBook, backs: &[refunds::Back], invs: &[InvObj], tz: &Timezone) {
    let paid_by: HashMap<&str, &str> = invs
        .iter()
        .flat_map(|i| i.paid_by.iter().map(move |p| (p.as_str(), i.id.as_str())))
        .collect();
    for b in backs.iter().filter(|b| b.counts) {
        let (kind, invoice) = match b.kind {
            refunds::Kind::CreditNote => (BackKind::Credit, b.invoice.clone()),
            refunds::Kind::Refund => (
                BackKind::Refund,
                b.charge
                    .iter()
                    .chain(&b.payment_intent)
                    .find_map(|p| paid_by.get(p.as_str()))
                    .map(|i| i.to_string()),
            ),
        };
        rb.back(MoneyBack {
            kind,
            invoice,
            amount: major(b.amount, &b.currency),
            currency: b.currency.clone(),
            date: date_of(b.at, tz),
            label: b.id.clone(),
        });
    }
}

/// The notices of `--full-refunds end-service` for a Stripe export: the invoices whose service
/// a full refund ended, and the credit notes and refunds that could end nothing.
fn refund_notices(r: &Resolved, ended: &[String], invoices: &str, notices: &mut Vec<String>) {
    if !ended.is_empty() {
        notices.push(format!(
            "--full-refunds end-service: {} invoice(s) refunded in full end the service of \
             their subscription lines on the day of the refund or credit note: {}",
            ended.len(),
            listed(ended)
        ));
    }
    let unmatched: Vec<String> = r.no_invoice.iter().chain(&r.unknown).cloned().collect();
    if !unmatched.is_empty() {
        notices.push(format!(
            "{} credit note(s) or refund(s) match no invoice in {invoices} (a credit note by its \
             invoice, a refund by the charge or payment_intent that paid the invoice), so under \
             --full-refunds end-service they end no service: {}",
            unmatched.len(),
            listed(&unmatched)
        ));
    }
    if !r.not_comparable.is_empty() {
        notices.push(format!(
            "{} credit note(s) or refund(s) are in another currency than their invoice, so \
             under --full-refunds end-service they end no service: {}",
            r.not_comparable.len(),
            listed(&r.not_comparable)
        ));
    }
}

/// `active`, `past_due`, `unpaid` or `paused`: still running at the export.
fn is_live(status: Status) -> bool {
    matches!(
        status,
        Status::Active | Status::PastDue | Status::Unpaid | Status::Paused
    )
}

/// The day a live subscription's service runs to (exclusive), as its object shows: a
/// scheduled `cancel_at` day; else its current period's end, and past the export's as-of date
/// unless it ends with that period (`cancel_at_period_end`).
fn runs_until(
    s: &SubObj,
    as_of: Option<Date>,
    d: &impl Fn(i64) -> Date,
    scheduled_end: Option<Date>,
) -> Date {
    if let Some(c) = scheduled_end {
        return c;
    }
    let period_end = s.cpe.map(d).unwrap_or_else(|| d(s.start));
    match as_of.filter(|_| !s.cancel_at_period_end) {
        Some(a) => period_end.max(a.add_days(1)),
        None => period_end,
    }
}

/// When the latest invoiced (non-proration) price of subscription `sub` ends before `until`,
/// carries it on to `until` as a charge of its own (from the subscription's object, at the
/// same monthly rate), unless its invoice was refunded in full; returns whether it did.
fn carry_last_price(book: &mut Book, sub: usize, until: Date, origin: Origin) -> bool {
    let last = book
        .charges
        .iter()
        .filter(|c| c.sub == sub && !c.proration)
        .max_by_key(|c| (c.end, c.start));
    // A price whose invoice was refunded in full (`--full-refunds end-service`) is not
    // carried: its service ended with the refund.
    let Some(last) = last.filter(|c| c.end < until && c.refunded.is_none()) else {
        return false;
    };
    let rate = last
        .rate
        .or_else(|| crate::invoices::rate_of_period(last.net, last.start, last.end));
    let Some(rate) = rate else {
        return false;
    };
    let carried = Charge {
        origin,
        sub,
        product: last.product.clone(),
        plan: last.plan.clone(),
        quantity: last.quantity,
        currency: last.currency.clone(),
        net: last.net,
        places: last.places,
        start: last.end,
        end: until,
        proration: false,
        rate: Some(rate),
        invoice: None,
        refunded: None,
    };
    book.charges.push(carried);
    true
}

/// Rejects the copy at `line` of object `id` first seen at `first`: its `rows` are left out.
fn twice(
    rej: &mut Vec<Rejection>,
    ledger: &mut RowLedger,
    file: &str,
    id: &str,
    line: u64,
    first: u64,
    rows: usize,
) {
    // Its rows were counted as read; one without rows counts as one row, as a bad object.
    if rows == 0 {
        ledger.read += 1;
    }
    ledger.rejected += rows.max(1) as u64;
    rej.push(Rejection {
        file: file.to_string(),
        line,
        column: format!("{id}: id"),
        value: format!("\"{id}\""),
        expected: format!(
            "each object once: {id} is also on line {first} (overlapping pages of an export?); \
             this copy is left out"
        ),
    });
}

/// The object's id for messages, else its position.
fn obj_id(o: &Obj) -> String {
    match o.value.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => format!("[{}]", o.index),
    }
}

/// `--usage`: a metered invoice line as a usage charge, `amount - discount_amounts (under
/// --discounts) - inclusive tax`, in the month of its last day of service (`u`: the period as
/// dates, the invoice's creation date for a line without one, and the invoices file index).
fn usage_line(
    book: &mut Book,
    inv: &InvObj,
    l: &InvLine,
    u: (Option<(Date, Date)>, Option<Date>, u16),
    discounts: Discounts,
    forever: &HashSet<&str>,
) {
    let (period, created, file) = u;
    let net = l.net(discounts, forever);
    let month = crate::invoices::usage_month(period.map(|p| p.0), period.map(|p| p.1), created);
    let (Some(net), Some(month)) = (net, month) else {
        book.usage_unplaced += 1;
        return;
    };
    book.usage.push(crate::invoices::UsageLine {
        origin: Origin {
            file,
            line: inv.line,
        },
        customer: inv.customer.clone(),
        currency: l.currency.clone(),
        net,
        month,
        column: format!("{}: {}.currency", inv.id, l.path),
    });
}

/// `--usage`: hands the usage charges to the builder, and says what is unknown: without an
/// invoices file, every usage amount (the figure is absent); with one, the metered items of
/// subscriptions that have no metered line in it.
fn usage_settle(
    subs: &[SubObj],
    invs: &[InvObj],
    has_invoices: bool,
    book: &mut Book,
    builder: &mut DatasetBuilder,
) {
    book.push_usage(builder);
    let metered = |s: &&SubObj| s.status != Status::Incomplete;
    if !has_invoices {
        let n: usize = subs
            .iter()
            .filter(metered)
            .map(|s| s.items.iter().filter(|i| i.price.metered).count())
            .sum();
        builder.usage_known = false;
        builder.usage_notes.push(format!(
            "no invoices.json or invoices.jsonl: usage is billed on invoices only, so its \
             amounts are unknown ({n} metered subscription item(s) in subscriptions.json)"
        ));
        return;
    }
    let billed: HashSet<&str> = invs
        .iter()
        .flat_map(|i| &i.lines)
        .filter(|l| l.kind == LineKind::Usage)
        .filter_map(|l| l.sub.as_deref())
        .collect();
    let n: usize = subs
        .iter()
        .filter(metered)
        .filter(|s| !billed.contains(s.id.as_str()))
        .map(|s| s.items.iter().filter(|i| i.price.metered).count())
        .sum();
    if n > 0 {
        builder.usage_notes.push(format!(
            "{n} metered subscription item(s) of subscriptions with no metered line in the \
             invoices file: their usage is not in the figure"
        ));
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
        opts.invoice_policies.pauses = crate::invoices::Pauses::Zero;
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

    #[test]
    fn timestamps_are_dates_at_the_offset() {
        // 2024-01-31T23:30:00Z.
        let ts = 1_706_743_800;
        let at = |o: i32| date_of(ts, &Timezone::fixed(o)).to_string();
        assert_eq!(at(0), "2024-01-31");
        assert_eq!(at(3600), "2024-02-01");
        assert_eq!(at(-3600), "2024-01-31");
    }

    /// Europe/Paris is +01:00 until 2024-03-31T01:00Z and from 2024-10-27T01:00Z, +02:00
    /// between: 22:30Z is the same day in winter and the next day in summer, which no fixed
    /// offset gets right on both sides of a change.
    #[test]
    fn named_zones_follow_daylight_saving() {
        let paris = Timezone::parse("Europe/Paris").unwrap();
        let day = |ts: i64, tz: &Timezone| date_of(ts, tz).to_string();
        let (winter, summer) = (Timezone::fixed(3600), Timezone::fixed(7200));
        // The day before the spring change (22:30Z = 23:30 CET): still 03-30.
        let before_spring = 1_711_837_800; // 2024-03-30T22:30:00Z
        assert_eq!(day(before_spring, &paris), "2024-03-30");
        assert_eq!(day(before_spring, &summer), "2024-03-31");
        // The day of the change (22:30Z = 00:30 CEST): already 04-01, another month.
        let after_spring = 1_711_924_200; // 2024-03-31T22:30:00Z
        assert_eq!(day(after_spring, &paris), "2024-04-01");
        assert_eq!(day(after_spring, &winter), "2024-03-31");
        assert_eq!(day(after_spring, &Timezone::default()), "2024-03-31");
        // The day before the autumn change (22:30Z = 00:30 CEST): the next day.
        let before_autumn = 1_729_981_800; // 2024-10-26T22:30:00Z
        assert_eq!(day(before_autumn, &paris), "2024-10-27");
        assert_eq!(day(before_autumn, &winter), "2024-10-26");
        // The day of the change (22:30Z = 23:30 CET): the same day.
        let after_autumn = 1_730_068_200; // 2024-10-27T22:30:00Z
        assert_eq!(day(after_autumn, &paris), "2024-10-27");
        assert_eq!(day(after_autumn, &summer), "2024-10-28");
    }

    #[test]
    fn prices_convert_to_exact_rates() {
        let a = Decimal::parse("70.00", 6).unwrap();
        assert_eq!(rate(a, Interval::Month, 3), Some((a, 3)));
        assert_eq!(rate(a, Interval::Year, 1), Some((a, 12)));
        assert_eq!(
            rate(a, Interval::Week, 2),
            Some((Decimal::parse("910.00", 6).unwrap(), 6))
        );
        // 10 days: x 365 / 120 = x 73 / 24.
        assert_eq!(
            rate(a, Interval::Day, 10),
            Some((Decimal::parse("5110.00", 6).unwrap(), 24))
        );
    }

    #[test]
    fn minor_units_follow_the_currency() {
        assert_eq!(dec_str(major(1000, "USD")), "10.00");
        assert_eq!(dec_str(major(1000, "JPY")), "1000");
        assert_eq!(dec_str(major(1000, "KWD")), "1.000");
    }

    #[test]
    fn monthly_cycles_keep_the_anchor_day() {
        let c = Cycle {
            anchor: Date::parse("2024-01-31").unwrap(),
            day: 31,
            interval: Interval::Month,
            count: 1,
        };
        assert_eq!(c.boundary(1).to_string(), "2024-02-29");
        assert_eq!(c.boundary(2).to_string(), "2024-03-31");
        assert_eq!(c.boundary(-2).to_string(), "2023-11-30");
        assert_eq!(c.index_at(Date::parse("2024-03-30").unwrap()), 1);
        assert_eq!(c.index_at(Date::parse("2024-03-31").unwrap()), 2);
    }

    #[test]
    fn percent_discounts_are_exact() {
        let a = Decimal::parse("100.00", 6).unwrap();
        let p = Decimal::parse("12.5", 4).unwrap();
        assert_eq!(dec_str(percent_of(a, p).unwrap()), "87.50");
    }
}
