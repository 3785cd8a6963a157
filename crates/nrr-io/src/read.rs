//! Readers: data directory discovery, row validation, the row ledger.

use crate::error::{IoError, Rejection};
use crate::guard::{Guarded, MAX_RECORD_BYTES};
use nrr_core::dataset::{Dataset, DatasetBuilder, LineDetail, LineInput, Origin, SourceKind};
use nrr_core::date::{Date, Month};
use nrr_core::engine::SegmentSpec;
use nrr_core::money::{Decimal, MAX_AMOUNT_DECIMALS, MAX_RATE_DECIMALS};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Options for [`load`].
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Reporting currency (`--currency`).
    pub currency: Option<String>,
    /// Read and validate customers.csv (needed for segments and by `check`; skipped
    /// otherwise, as no figure depends on it).
    pub customers: bool,
    /// Told how many more bytes of the revenue files have been read (for a progress bar).
    pub progress: Option<Progress>,
    /// The revenue input to read (`--source`); detected from the file names when `None`.
    pub source: Option<crate::source::Source>,
    /// The rules for invoices.csv (docs/policies.md); other inputs accept only the defaults.
    pub invoice_policies: nrr_core::policy::InvoicePolicies,
    /// `--timezone`: the zone in which Stripe timestamps are read as dates (UTC by default;
    /// Stripe input only).
    pub timezone: crate::Timezone,
    /// The invoice policies given explicitly (the rest at defaults), when `invoice_policies`
    /// also holds a preset's: items.csv and mrr.csv are checked against these, as a preset's
    /// reader policies do not apply to them. `None`: check `invoice_policies`.
    pub explicit_invoice_policies: Option<nrr_core::policy::InvoicePolicies>,
    /// `--usage`: collect usage (metered) charges for the report's separate `usage` figure
    /// (invoices.csv and Stripe exports only; a usage error for other inputs).
    pub usage: bool,
    /// The reactivation rule (`--reactivation`): the revenue_movements check classifies
    /// returns by it, as the report does.
    pub reactivation: nrr_core::policy::Reactivation,
    /// `--snapshot-date`: what a subscription_snapshots date means. `None`: not chosen, read
    /// as `close`, with a notice when every snapshot is dated on the 1st of a month; `open`
    /// is a usage error for other inputs.
    pub snapshot_date: Option<nrr_core::policy::SnapshotDate>,
    /// The as-of date given by the user (`--as-of`): invoice and Stripe subscriptions still
    /// running are read as running to it, instead of to the latest date the data shows.
    pub as_of: Option<nrr_core::date::Date>,
}

/// The usage error for `--usage` with an input that has no usage lines.
pub(crate) fn check_usage(opts: &LoadOptions, input: &str) -> Result<(), IoError> {
    if opts.usage {
        return Err(IoError::BadOption {
            option: "--usage".into(),
            reason: format!(
                "applies to invoices.csv (usage lines) and Stripe exports (metered prices) \
                 only; the revenue input here is {input}, which has no usage charges"
            ),
        });
    }
    Ok(())
}

/// A callback told how many more bytes of input have been read. The sum of all calls for
/// one [`load`] is the total size of the revenue files ([`revenue_bytes`]).
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(u64) + Send + Sync>);

impl Progress {
    pub(crate) fn advance(p: Option<&Progress>, bytes: u64) {
        if let Some(p) = p {
            (p.0)(bytes);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// Total size in bytes of the revenue files [`load`] would read from `dir`.
pub fn revenue_bytes(dir: &Path) -> u64 {
    crate::source::line_files(dir)
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum()
}

/// Customer attributes from `customers.csv`.
#[derive(Clone, Debug, Default)]
pub struct Attributes {
    /// Attribute column names (customer_id excluded).
    pub columns: Vec<String>,
    /// Values per customer id, in `columns` order.
    pub values: rustc_hash::FxHashMap<String, Vec<String>>,
}

/// A loaded data directory.
#[derive(Debug)]
pub struct Loaded {
    /// The validated dataset (rejected rows left out).
    pub dataset: Dataset,
    /// Every rejected row of every file, in file order.
    pub rejections: Vec<Rejection>,
    /// customers.csv, if present.
    pub attributes: Option<Attributes>,
    /// annotations.csv, if present: notes shown beside periods and customer explanations.
    pub notes: Vec<nrr_core::report::Note>,
    /// The policies applied, when the input was invoices.csv (for the report's `policies`).
    pub invoice_policies: Option<nrr_core::policy::InvoicePolicies>,
    /// revenue_movements checked against subscription_snapshots, when both were read.
    pub movement_check: Option<nrr_core::report::MovementCheck>,
    /// customer_map.csv, when present: the ids merged (`nrr explain` shows them).
    pub customer_map: Option<nrr_core::customer_map::CustomerMap>,
    /// The snapshot-date reading applied, when the input was subscription_snapshots (for the
    /// report's `policies`).
    pub snapshot_date: Option<nrr_core::policy::SnapshotDate>,
}

/// Column positions of the recognised item or mrr columns.
#[derive(Default)]
pub(crate) struct Cols {
    pub(crate) map: HashMap<String, usize>,
    /// The header's names in order.
    names: Vec<String>,
}

impl Cols {
    pub(crate) fn new(header: &[&str]) -> Cols {
        let names: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
        let mut map = HashMap::new();
        for (i, h) in names.iter().enumerate() {
            // The first of a name twice (which `check` refuses).
            map.entry(h.clone()).or_insert(i);
        }
        Cols { map, names }
    }
    pub(crate) fn get(&self, name: &str) -> Option<usize> {
        self.map.get(name).copied()
    }
    pub(crate) fn require(&self, path: &Path, name: &str) -> Result<usize, IoError> {
        self.get(name).ok_or_else(|| IoError::MissingColumn {
            path: path.to_path_buf(),
            column: name.to_string(),
            found: self.names.join(", "),
        })
    }

    /// Checks the header against the columns `known` to this kind of file (`kind`: its name
    /// in messages): a name given twice, or a name that is not known but nearly is while the
    /// known one is absent (`end_dat`, `intervall_months`: the optional column would silently
    /// read as absent), is an error; any other unknown name is returned as a notice naming
    /// the nearest known column. `known` empty: any name is known (customers.csv).
    pub(crate) fn check(
        &self,
        path: &Path,
        kind: &str,
        known: &[&str],
    ) -> Result<Vec<String>, IoError> {
        let bad = |message: String| IoError::BadHeader {
            path: path.to_path_buf(),
            message,
        };
        for (i, h) in self.names.iter().enumerate() {
            if let Some(j) = self.names[..i].iter().position(|x| x == h) {
                return Err(bad(format!(
                    "column `{h}` appears twice in the header (columns {} and {}); keep one, \
                     or rename the other",
                    j + 1,
                    i + 1
                )));
            }
        }
        if known.is_empty() {
            return Ok(Vec::new());
        }
        let mut notices = Vec::new();
        for (i, h) in self.names.iter().enumerate() {
            if known.contains(&h.as_str()) {
                continue;
            }
            let nearest = known
                .iter()
                .map(|k| (distance(&squash(h), &squash(k)), *k))
                .min()
                .map(|(d, k)| (d, k.to_string()));
            let Some((d, k)) = nearest else { continue };
            let near = d <= 2 && k.len() >= 4 && !h.is_empty();
            if near && self.get(&k).is_none() {
                return Err(bad(format!(
                    "column `{h}`: {kind} has no such column; did you mean `{k}`? Without \
                     `{k}`, nrr would read every row as if it were empty; rename the column \
                     (the {kind} columns: {})",
                    known.join(", ")
                )));
            }
            notices.push(if h.is_empty() {
                format!("{kind}: column {} has no name and is not read", i + 1)
            } else {
                format!(
                    "{kind}: column `{h}` is not read: {kind} has no such column (the nearest \
                     is `{k}`)"
                )
            });
        }
        Ok(notices)
    }
}

/// A column name lowercased, without `_`, `-`, spaces and dots: `End Date` and `end_date`
/// are the same.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Levenshtein distance (names are short).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The columns items.csv and mrr.csv are read from.
pub(crate) fn known_columns(kind: SourceKind) -> &'static [&'static str] {
    match kind {
        SourceKind::Items => &[
            "customer_id",
            "subscription_id",
            "product",
            "plan",
            "quantity",
            "amount",
            "unit_amount",
            "currency",
            "interval_months",
            "start_date",
            "end_date",
            "kind",
        ],
        SourceKind::Mrr => &["customer_id", "month", "mrr", "currency"],
    }
}

/// Which column each field of a kind of file is in.
#[derive(Clone, Copy)]
pub(crate) enum Layout {
    Items {
        customer: usize,
        /// `amount` (the line total), `unit_amount` (per unit, times `quantity`): at least one.
        amount: Option<usize>,
        unit_amount: Option<usize>,
        start: usize,
        quantity: Option<usize>,
        currency: Option<usize>,
        interval: Option<usize>,
        end: Option<usize>,
        kind: Option<usize>,
        product: Option<usize>,
        plan: Option<usize>,
    },
    Mrr {
        customer: usize,
        month: usize,
        mrr: usize,
        currency: Option<usize>,
    },
}

impl Layout {
    pub(crate) fn new(kind: SourceKind, cols: &Cols, path: &Path) -> Result<Layout, IoError> {
        Ok(match kind {
            SourceKind::Items => Layout::Items {
                customer: cols.require(path, "customer_id")?,
                amount: match (cols.get("amount"), cols.get("unit_amount")) {
                    (None, None) => Some(cols.require(path, "amount").map_err(|e| match e {
                        IoError::MissingColumn { path, found, .. } => IoError::MissingColumn {
                            path,
                            column: "amount` or `unit_amount".into(),
                            found,
                        },
                        e => e,
                    })?),
                    (amount, _) => amount,
                },
                unit_amount: cols.get("unit_amount"),
                start: cols.require(path, "start_date")?,
                quantity: cols.get("quantity"),
                currency: cols.get("currency"),
                interval: cols.get("interval_months"),
                end: cols.get("end_date"),
                kind: cols.get("kind"),
                product: cols.get("product"),
                plan: cols.get("plan"),
            },
            SourceKind::Mrr => Layout::Mrr {
                customer: cols.require(path, "customer_id")?,
                month: cols.require(path, "month")?,
                mrr: cols.require(path, "mrr")?,
                currency: cols.get("currency"),
            },
        })
    }
}

/// A row's fields by column position; missing fields read as `""` (null in Parquet).
///
/// Text formats implement [`Fields::text`] and get the typed accessors by parsing; typed
/// formats (Parquet) override them to skip the text round trip. `text` is also what a
/// rejection quotes as the offending value.
pub(crate) trait Fields {
    /// The field as text.
    fn text(&self, i: usize) -> Cow<'_, str>;
    /// `true` when the field is empty or null.
    fn is_empty(&self, i: usize) -> bool {
        self.text(i).is_empty()
    }
    /// The field as a decimal with at most `max` places.
    fn decimal(&self, i: usize, max: u32) -> Option<Decimal> {
        Decimal::parse(&self.text(i), max)
    }
    /// The field as a calendar date.
    fn date(&self, i: usize) -> Option<Date> {
        Date::parse(&self.text(i))
    }
    /// The field as a non-negative integer.
    fn uint(&self, i: usize) -> Option<u64> {
        self.text(i).parse().ok()
    }
    /// The field as text, a typed decimal with its significant places only (a Parquet
    /// `Decimal128(18, 6)` holding 135.48 reads `135.48`, not `135.480000`): the places an
    /// amount was written with, which the invoices reader keeps for prorations.
    fn decimal_text(&self, i: usize) -> Cow<'_, str> {
        self.text(i)
    }
}

/// Every field is read without the spaces around it, in every column alike (`" USD "` and
/// `" 100.00 "` are `USD` and `100.00`).
impl Fields for csv::StringRecord {
    fn text(&self, i: usize) -> Cow<'_, str> {
        Cow::Borrowed(self.get(i).unwrap_or("").trim())
    }
}

impl Fields for [&str] {
    fn text(&self, i: usize) -> Cow<'_, str> {
        Cow::Borrowed(self.get(i).copied().unwrap_or("").trim())
    }
}

/// Receives the rows of one input file and routes each to used, excluded or rejected.
pub(crate) struct Sink<'a> {
    pub(crate) builder: &'a mut DatasetBuilder,
    pub(crate) rejections: &'a mut Vec<Rejection>,
    pub(crate) file: u16,
    pub(crate) name: String,
    pub(crate) layout: Layout,
}

/// `unit x quantity` exactly (the unit's decimal places kept); `None` beyond 18 digits.
fn unit_times_quantity(unit: Decimal, quantity: u64) -> Option<Decimal> {
    let q = i64::try_from(quantity).ok()?;
    Some(Decimal {
        mantissa: unit.mantissa.checked_mul(q)?,
        decimals: unit.decimals,
    })
}

/// `true` when two decimals are the same number (`120` and `120.00`).
fn same_value(a: Decimal, b: Decimal) -> bool {
    let scaled = |d: Decimal, to: u32| i128::from(d.mantissa) * 10i128.pow(to - d.decimals);
    let to = a.decimals.max(b.decimals);
    scaled(a, to) == scaled(b, to)
}

/// A decimal as written with its places (`4000`, 2 places: `40.00`).
fn dec_text(d: Decimal) -> String {
    nrr_core::money::format_scaled(i128::from(d.mantissa), d.decimals)
}

pub(crate) fn is_currency_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
}

pub(crate) const EXPECT_AMOUNT: &str =
    "a decimal number >= 0 with at most 6 decimal places (like 1200.00)";
/// What a decimal column expects (`base`), with why `text` is not it when that is its size:
/// more than `max` places, or more digits than exact 64-bit arithmetic holds (18).
pub(crate) fn expect_decimal(text: &str, max: u32, base: &str) -> String {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = !int.is_empty() || !frac.is_empty();
    if !plain || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return base.to_string();
    }
    let places = frac.len();
    let significant = int.trim_start_matches('0').len() + places;
    if places > max as usize {
        format!("{base}; this one has {places} decimal places")
    } else if significant > 18 {
        format!("{base}; this one has {significant} digits, more than the 18 an amount may have")
    } else {
        base.to_string()
    }
}

pub(crate) const EXPECT_DATE: &str = "a calendar date YYYY-MM-DD that exists";
pub(crate) const EXPECT_CCY: &str =
    "a three-letter ISO 4217 code like USD, or empty for the reporting currency";

impl Sink<'_> {
    fn reject(&mut self, line: u64, column: &str, value: &str, expected: impl Into<String>) {
        self.builder.ledger.rejected += 1;
        self.rejections.push(Rejection {
            file: self.name.clone(),
            line,
            column: column.to_string(),
            value: value.to_string(),
            expected: expected.into(),
        });
    }

    /// The row's customer id, or `None` after rejecting an empty one.
    fn customer_of<'r, R: Fields + ?Sized>(
        &mut self,
        line: u64,
        rec: &'r R,
        col: usize,
    ) -> Option<Cow<'r, str>> {
        let v = rec.text(col);
        if v.is_empty() {
            self.reject(line, "customer_id", "", "a non-empty customer id");
            return None;
        }
        Some(v)
    }

    /// The row's currency (empty: the reporting currency), or `None` after rejecting a
    /// malformed code.
    fn currency_of<'r, R: Fields + ?Sized>(
        &mut self,
        line: u64,
        rec: &'r R,
        col: Option<usize>,
    ) -> Option<Cow<'r, str>> {
        let v = col.map_or(Cow::Borrowed(""), |i| rec.text(i));
        if !v.is_empty() && !is_currency_code(&v) {
            self.reject(line, "currency", &v, EXPECT_CCY);
            return None;
        }
        Some(v)
    }

    /// Handles one data row; `rec` holds the fields in header order.
    pub(crate) fn row<R: Fields + ?Sized>(&mut self, line: u64, rec: &R) {
        self.builder.ledger.read += 1;
        let origin = Origin {
            file: self.file,
            line,
        };
        let empty = |i: Option<usize>| i.is_none_or(|i| rec.is_empty(i));
        match self.layout {
            Layout::Items {
                customer,
                amount,
                unit_amount,
                start,
                quantity,
                currency,
                interval,
                end,
                kind,
                product,
                plan,
            } => {
                let Some(customer_v) = self.customer_of(line, rec, customer) else {
                    return;
                };
                let kind_v = kind.map_or(Cow::Borrowed(""), |i| rec.text(i));
                let one_time = match kind_v.as_ref() {
                    "" | "recurring" => false,
                    "one_time" => true,
                    v => {
                        return self.reject(
                            line,
                            "kind",
                            v,
                            "`recurring`, `one_time` or empty (recurring)",
                        )
                    }
                };
                let given = |i: Option<usize>| i.filter(|&i| !rec.is_empty(i));
                // The line total as given, and the unit price (times quantity below).
                let mut amounts = [None, None];
                for (k, (col, name)) in [(amount, "amount"), (unit_amount, "unit_amount")]
                    .into_iter()
                    .enumerate()
                {
                    let Some(i) = given(col) else { continue };
                    let Some(d) = rec.decimal(i, MAX_AMOUNT_DECIMALS) else {
                        let e = expect_decimal(
                            &rec.decimal_text(i),
                            MAX_AMOUNT_DECIMALS,
                            EXPECT_AMOUNT,
                        );
                        return self.reject(line, name, &rec.text(i), e);
                    };
                    if d.is_negative() {
                        let v = rec.text(i);
                        return self.reject(
                            line,
                            name,
                            &v,
                            "an amount >= 0 (credits and refunds are not recurring revenue)",
                        );
                    }
                    amounts[k] = Some(d);
                }
                let [total_d, unit_d] = amounts;
                let Some(given_d) = total_d.or(unit_d) else {
                    let expected = match unit_amount {
                        Some(_) => "an amount (the line total) or a unit_amount",
                        None => EXPECT_AMOUNT,
                    };
                    return self.reject(line, "amount", "", expected);
                };
                let mut quantity_n = 1;
                if let Some(q) = quantity.filter(|_| !empty(quantity)) {
                    let parsed = rec.uint(q);
                    quantity_n = parsed.unwrap_or(1);
                    if parsed.is_none() {
                        return self.reject(
                            line,
                            "quantity",
                            &rec.text(q),
                            "an integer >= 0, or empty (1)",
                        );
                    }
                }
                // The line total: as given, or unit_amount x quantity, which a given total
                // must equal.
                let amount_d = match unit_d {
                    None => given_d,
                    Some(unit) => {
                        let Some(product) = unit_times_quantity(unit, quantity_n) else {
                            let v = rec.text(unit_amount.unwrap_or_default());
                            return self.reject(
                                line,
                                "unit_amount",
                                &v,
                                format!(
                                    "a unit_amount whose product with quantity {quantity_n} has \
                                     at most 18 digits"
                                ),
                            );
                        };
                        if total_d.is_some_and(|t| !same_value(t, product)) {
                            let v = rec.text(amount.unwrap_or_default());
                            return self.reject(
                                line,
                                "amount",
                                &v,
                                format!(
                                    "unit_amount x quantity = {} x {quantity_n} = {} (or an \
                                     empty amount)",
                                    dec_text(unit),
                                    dec_text(product)
                                ),
                            );
                        }
                        product
                    }
                };
                let Some(currency_v) = self.currency_of(line, rec, currency) else {
                    return;
                };
                let interval_n = match interval.filter(|_| !empty(interval)) {
                    None => 1,
                    Some(i) => {
                        match rec.uint(i) {
                            Some(n) if (1..=u64::from(u32::MAX)).contains(&n) => n as u32,
                            _ => {
                                let v = rec.text(i);
                                return self.reject(line, "interval_months", &v, "an integer >= 1 (1 monthly, 3 quarterly, 12 annual), or empty (1)");
                            }
                        }
                    }
                };
                let Some(start_d) = rec.date(start) else {
                    return self.reject(line, "start_date", &rec.text(start), EXPECT_DATE);
                };
                let end_d = match end.filter(|_| !empty(end)) {
                    None => None,
                    Some(i) => {
                        match rec.date(i) {
                            Some(d) if d < start_d => {
                                let v = rec.text(i);
                                return self.reject(
                                    line,
                                    "end_date",
                                    &v,
                                    format!("a date on or after start_date {start_d}, or empty"),
                                );
                            }
                            Some(d) => Some(d),
                            None => {
                                let v = rec.text(i);
                                return self.reject(line, "end_date", &v, "a calendar date YYYY-MM-DD that exists, or empty (still active)");
                            }
                        }
                    }
                };
                let e = &mut self.builder.ledger.excluded;
                if one_time {
                    e.one_time += 1;
                } else if amount_d.is_zero() {
                    e.zero_amount += 1;
                } else if end_d == Some(start_d) {
                    e.zero_length += 1;
                } else {
                    self.builder.ledger.used += 1;
                    let product_v = product.map_or(Cow::Borrowed(""), |i| rec.text(i));
                    let plan_v = plan.map_or(Cow::Borrowed(""), |i| rec.text(i));
                    self.builder.push_line_detail(
                        LineInput {
                            customer: &customer_v,
                            currency: &currency_v,
                            amount: amount_d,
                            interval: interval_n,
                            start: start_d,
                            end: end_d,
                            origin,
                        },
                        LineDetail {
                            product: &product_v,
                            plan: &plan_v,
                            quantity: quantity_n,
                        },
                    );
                }
            }
            Layout::Mrr {
                customer,
                month,
                mrr,
                currency,
            } => {
                let Some(customer_v) = self.customer_of(line, rec, customer) else {
                    return;
                };
                let month_v = rec.text(month);
                let Some(m) = Month::parse(&month_v) else {
                    return self.reject(line, "month", &month_v, "a month YYYY-MM");
                };
                let Some(amount_d) = rec.decimal(mrr, MAX_AMOUNT_DECIMALS) else {
                    let v = rec.text(mrr);
                    let e =
                        expect_decimal(&rec.decimal_text(mrr), MAX_AMOUNT_DECIMALS, EXPECT_AMOUNT);
                    return self.reject(line, "mrr", &v, e);
                };
                if amount_d.is_negative() {
                    return self.reject(line, "mrr", &rec.text(mrr), "an amount >= 0");
                }
                let Some(currency_v) = self.currency_of(line, rec, currency) else {
                    return;
                };
                if amount_d.is_zero() {
                    self.builder.ledger.excluded.zero_amount += 1;
                    return;
                }
                self.builder.ledger.used += 1;
                self.builder.push_line(LineInput {
                    customer: &customer_v,
                    currency: &currency_v,
                    amount: amount_d,
                    interval: 1,
                    start: m.first_day(),
                    end: Some(m.plus(1).first_day()),
                    origin,
                });
            }
        }
    }
}

/// An open CSV file whose header has been read.
pub(crate) struct CsvFile {
    path: PathBuf,
    rdr: csv::Reader<Guarded<std::fs::File>>,
    header: Vec<String>,
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> IoError + '_ {
    move |source| IoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn open_csv(path: &Path) -> Result<CsvFile, IoError> {
    let file = std::fs::File::open(path).map_err(io_error(path))?;
    csv_from(path, file)
}

/// The CSV reader of an open file, its header read. The file is read once, from where it
/// stands: a named pipe or a device works as well as a file.
fn csv_from(path: &Path, file: std::fs::File) -> Result<CsvFile, IoError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(Guarded::new(file));
    let header = match rdr.byte_headers() {
        Ok(h) => h
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .trim()
                    .to_string()
            })
            .collect(),
        Err(source) => return Err(csv_error(path, rdr.get_ref(), source)),
    };
    Ok(CsvFile {
        path: path.to_path_buf(),
        rdr,
        header,
    })
}

/// The error of the csv layer, as the guard explains it when it stopped the reading.
fn csv_error<R>(path: &Path, guard: &Guarded<R>, source: csv::Error) -> IoError {
    match guard.error() {
        Some((line, message)) => IoError::Malformed {
            path: path.to_path_buf(),
            line,
            message,
        },
        None => IoError::Csv {
            path: path.to_path_buf(),
            source,
        },
    }
}

impl CsvFile {
    pub(crate) fn cols(&self) -> Cols {
        let names: Vec<&str> = self.header.iter().map(String::as_str).collect();
        Cols::new(&names)
    }

    /// Calls `each(line, fields)` for every data row. Rows that are not UTF-8, or do not
    /// have one field per header column, are rejected here and returned.
    pub(crate) fn rows(
        mut self,
        each: impl FnMut(u64, &csv::StringRecord),
    ) -> Result<Vec<Rejection>, IoError> {
        each_record(&mut self.rdr, &self.header, &self.path, &mut ByGuard, each)
    }
}

/// Where the records of a CSV reader start, as line numbers.
trait LineOf<R> {
    /// The line of the record the reader says starts at byte `at` (asked in file order).
    fn line(&mut self, rdr: &csv::Reader<R>, at: u64) -> u64;
    /// When the record just read (starting at byte `at`) opens a quote that is never closed:
    /// the line of that quote and the file's last line.
    fn unterminated(&self, _rdr: &csv::Reader<R>, _at: u64) -> Option<(u64, u64)> {
        None
    }
    /// Why the reader failed, when the bytes were refused (a record too long).
    fn error(&self, _rdr: &csv::Reader<R>) -> Option<(u64, String)> {
        None
    }
}

/// Lines from the [`Guarded`] reader under the csv reader.
struct ByGuard;

impl<R: std::io::Read> LineOf<Guarded<R>> for ByGuard {
    fn line(&mut self, rdr: &csv::Reader<Guarded<R>>, at: u64) -> u64 {
        rdr.get_ref().line_of(at)
    }

    fn unterminated(&self, rdr: &csv::Reader<Guarded<R>>, at: u64) -> Option<(u64, u64)> {
        let g = rdr.get_ref();
        let (open_at, open_line, last_line) = g.unterminated()?;
        // The record that runs to the end of the input and holds the opening quote.
        let (read, eof) = g.consumed();
        (eof && open_at >= at && rdr.position().byte() == read).then_some((open_line, last_line))
    }

    fn error(&self, rdr: &csv::Reader<Guarded<R>>) -> Option<(u64, String)> {
        rdr.get_ref().error()
    }
}

/// Lines of a slice of a file without quotes or lone `\r` (the parallel path): `\n` counted
/// from the slice's first line.
struct BySlice<'a> {
    bytes: &'a [u8],
    first_line: u64,
    /// Bytes already counted, and the `\n` in them.
    pos: usize,
    count: u64,
}

impl LineOf<&[u8]> for BySlice<'_> {
    fn line(&mut self, _rdr: &csv::Reader<&[u8]>, at: u64) -> u64 {
        let mut p = usize::try_from(at)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        // Step over the end of the previous line and blank lines the reader skipped.
        while p < self.bytes.len() && matches!(self.bytes[p], b'\r' | b'\n') {
            p += 1;
        }
        if p > self.pos {
            self.count += memchr::memchr_iter(b'\n', &self.bytes[self.pos..p]).count() as u64;
            self.pos = p;
        }
        self.first_line + self.count
    }
}

/// A row's text for a message: its fields joined by commas, at most 60 characters.
fn row_text(rec: &csv::ByteRecord) -> String {
    let joined: Vec<String> = rec
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    shorten(&joined.join(","), 60)
}

/// At most `n` characters of `s`, with `...` when cut.
pub(crate) fn shorten(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// Calls `each(line, fields)` for every record of `rdr`, reusing one record buffer. Records
/// that are not UTF-8, that have more or fewer fields than the header, or that open a quote
/// never closed, are returned as rejections instead.
fn each_record<R: std::io::Read, L: LineOf<R>>(
    rdr: &mut csv::Reader<R>,
    header: &[String],
    path: &Path,
    lines: &mut L,
    mut each: impl FnMut(u64, &csv::StringRecord),
) -> Result<Vec<Rejection>, IoError> {
    let mut rejections = Vec::new();
    let mut rec = csv::ByteRecord::new();
    let column = |i: usize| {
        header
            .get(i)
            .filter(|h| !h.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("#{}", i + 1))
    };
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(source) => {
                return Err(match lines.error(rdr) {
                    Some((line, message)) => IoError::Malformed {
                        path: path.to_path_buf(),
                        line,
                        message,
                    },
                    None => IoError::Csv {
                        path: path.to_path_buf(),
                        source,
                    },
                })
            }
        }
        let at = rec.position().map_or(0, csv::Position::byte);
        let line = lines.line(rdr, at);
        let mut reject = |column: String, value: String, expected: String| {
            rejections.push(Rejection {
                file: display_name(path),
                line,
                column,
                value,
                expected,
            })
        };
        if let Some((open_line, last_line)) = lines.unterminated(rdr, at) {
            let i = rec.len().saturating_sub(1);
            let field = String::from_utf8_lossy(rec.get(i).unwrap_or(b""));
            reject(
                column(i),
                format!("\"{}", shorten(&field, 40)),
                format!(
                    "a closing quote: the quote opened on line {open_line} is never closed, so \
                     this field takes in the rest of the file, to line {last_line}"
                ),
            );
            continue;
        }
        if rec.len() != header.len() {
            reject(
                "fields".into(),
                row_text(&rec),
                format!(
                    "{} field{} as in the header; the row has {} (a short row, or an unquoted \
                     comma in a value?)",
                    header.len(),
                    if header.len() == 1 { "" } else { "s" },
                    rec.len()
                ),
            );
            continue;
        }
        match csv::StringRecord::from_byte_record(rec) {
            Ok(srec) => {
                each(line, &srec);
                rec = srec.into_byte_record();
            }
            Err(e) => {
                let bad = e.into_byte_record();
                let i = bad
                    .iter()
                    .position(|f| std::str::from_utf8(f).is_err())
                    .unwrap_or(0);
                reject(
                    column(i),
                    String::from_utf8_lossy(&bad[i]).into_owned(),
                    "UTF-8 text".into(),
                );
                rec = bad;
            }
        }
    }
    Ok(rejections)
}

/// Bytes read per block by the parallel CSV path; memory stays bounded by a few blocks.
/// `NRR_CSV_BLOCK_BYTES` overrides it (tests use tiny blocks to cross many boundaries).
fn block_size() -> usize {
    std::env::var("NRR_CSV_BLOCK_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(32 << 20)
}

/// Whether the parallel path can read the file: no quote anywhere (a newline may then sit
/// inside a field) and no lone `\r` (a classic Mac line end, which it would not see). Reads
/// the whole file from where `f` stands.
fn splits_on_newlines(f: &mut std::fs::File, path: &Path) -> Result<bool, IoError> {
    use std::io::Read;
    let mut buf = vec![0u8; 1 << 20];
    let mut cr_at_end = false;
    loop {
        let n = f.read(&mut buf).map_err(io_error(path))?;
        if n == 0 {
            return Ok(!cr_at_end);
        }
        let b = &buf[..n];
        if cr_at_end && b[0] != b'\n' {
            return Ok(false);
        }
        if memchr::memchr(b'"', b).is_some() {
            return Ok(false);
        }
        for i in memchr::memchr_iter(b'\r', b) {
            match b.get(i + 1) {
                Some(b'\n') | None => {}
                Some(_) => return Ok(false),
            }
        }
        cr_at_end = b[n - 1] == b'\r';
    }
}

/// What the parallel CSV path needs to know about the file it reads.
struct CsvSpec<'a> {
    progress: Option<&'a Progress>,
    path: &'a Path,
    name: &'a str,
    kind: SourceKind,
    layout: Layout,
    header: &'a [String],
}

/// Parses one newline-aligned slice of a CSV file (no header) into its own builder.
fn parse_part(
    bytes: &[u8],
    first_line: u64,
    f: &CsvSpec<'_>,
    mut part: DatasetBuilder,
) -> Result<(DatasetBuilder, Vec<Rejection>), IoError> {
    let (name, path) = (f.name, f.path);
    // Lines are rarely shorter than 40 bytes: size the part's columns once.
    part.reserve(bytes.len() / 40);
    part.reserve_customers(bytes.len() / 80);
    let file = part.add_file(name);
    let mut pending = Vec::new();
    let mut sink = Sink {
        builder: &mut part,
        rejections: &mut pending,
        file,
        name: name.to_string(),
        layout: f.layout,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut lines = BySlice {
        bytes,
        first_line,
        pos: 0,
        count: 0,
    };
    let bad = each_record(&mut rdr, f.header, path, &mut lines, |line, rec| {
        sink.row(line, rec)
    })?;
    for r in bad {
        sink.builder.ledger.read += 1;
        sink.builder.ledger.rejected += 1;
        sink.rejections.push(r);
    }
    pending.sort_by_key(|r| r.line);
    Ok((part, pending))
}

/// Reads `input` in blocks of about `block` bytes cut after the last newline (the header
/// line left out) and sends them in order; runs on its own thread so that reading the next
/// block overlaps parsing this one. Buffers come back through `free` to be reused. A line
/// longer than [`MAX_RECORD_BYTES`] stops it with an error.
fn read_blocks(
    mut input: std::fs::File,
    path: &Path,
    block: usize,
    progress: Option<&Progress>,
    tx: &std::sync::mpsc::SyncSender<Result<Vec<u8>, IoError>>,
    free: &std::sync::mpsc::Receiver<Vec<u8>>,
) {
    use std::io::Read;
    let mut carry: Vec<u8> = Vec::new();
    let mut in_header = true;
    // A small file needs no block-sized buffers.
    let size = input.metadata().map_or(0, |m| m.len());
    let block = block.min(usize::try_from(size).unwrap_or(usize::MAX).max(1 << 16));
    // Lines before `carry`, for the error about a line too long.
    let mut lines_before: u64 = 0;
    loop {
        let mut buf = free
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(block + (1 << 16)));
        buf.clear();
        buf.append(&mut carry);
        let n = match (&mut input).take(block as u64).read_to_end(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send(Err(io_error(path)(e)));
                return;
            }
        };
        Progress::advance(progress, n as u64);
        let eof = n == 0;
        let cut = match memchr::memrchr(b'\n', &buf) {
            Some(i) => i + 1,
            None if eof => buf.len(),
            None => 0,
        };
        if !eof && buf.len() - cut > MAX_RECORD_BYTES as usize {
            let line = lines_before + memchr::memchr_iter(b'\n', &buf[..cut]).count() as u64 + 1;
            let _ = tx.send(Err(IoError::Malformed {
                path: path.to_path_buf(),
                line,
                message: format!(
                    "line {line} is longer than {MAX_RECORD_BYTES} bytes without a line break: \
                     not a CSV file? (a record is at most {MAX_RECORD_BYTES} bytes)"
                ),
            }));
            return;
        }
        if in_header {
            match memchr::memchr(b'\n', &buf) {
                Some(i) => {
                    buf.drain(..=i);
                    lines_before += 1;
                    in_header = false;
                }
                None if eof => return,
                None => {
                    carry.append(&mut buf);
                    continue;
                }
            }
        }
        let cut = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => i + 1,
                None => {
                    carry.append(&mut buf);
                    continue;
                }
            }
        };
        carry.extend_from_slice(&buf[cut..]);
        buf.truncate(cut);
        lines_before += memchr::memchr_iter(b'\n', &buf).count() as u64;
        if !buf.is_empty() && tx.send(Ok(buf)).is_err() {
            return; // the parser stopped (an error): stop reading
        }
        if eof {
            return;
        }
    }
}

/// The parsed parts of one block, in order, and the byte length of the first.
type Parsed = (
    Vec<Result<(DatasetBuilder, Vec<Rejection>), IoError>>,
    usize,
);

/// The parallel CSV path: a reader thread cuts the file into newline-aligned blocks; each
/// block is split into parts parsed on all threads while the previous block's parts are
/// appended in order. Same result as the sequential path (customers in first-appearance
/// order, rejections in line order).
fn read_lines_csv_parallel(
    input: std::fs::File,
    f: &CsvSpec<'_>,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
    file: u16,
) -> Result<(), IoError> {
    use rayon::prelude::*;
    let block = block_size();
    let parts_per_block = rayon::current_num_threads() * 4;
    let size = input.metadata().map_or(0, |m| m.len());
    let mut reserved = false;
    // Part builders are reused from block to block (their column buffers stay allocated).
    let mut pool: Vec<DatasetBuilder> = Vec::new();
    // Appends one block's parts in order and returns their builders to the pool.
    let mut append = |(parsed, first_bytes): Parsed,
                      builder: &mut DatasetBuilder,
                      rejections: &mut Vec<Rejection>,
                      pool: &mut Vec<DatasetBuilder>|
     -> Result<(), IoError> {
        for p in parsed {
            let (mut part, rej) = p?;
            if !reserved {
                // Size the columns once from the first part's rows per byte.
                let rows = part.line_count() as u64;
                builder.reserve((size * rows / first_bytes.max(1) as u64) as usize + (1 << 10));
                reserved = true;
            }
            builder.append_from(&mut part, file);
            pool.push(part);
            rejections.extend(rej);
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel(0);
        let (free_tx, free_rx) = std::sync::mpsc::channel();
        let progress = f.progress;
        let path = f.path;
        scope.spawn(move || read_blocks(input, path, block, progress, &tx, &free_rx));
        let mut next_line: u64 = 2;
        let mut pending: Option<Parsed> = None;
        for buf in rx {
            let buf = buf?;
            // Newline-aligned parts, with the line number each starts at.
            let mut bounds = vec![(0usize, next_line)];
            let step = buf.len() / parts_per_block + 1;
            let mut start = 0;
            while start + step < buf.len() {
                let Some(i) = memchr::memchr(b'\n', &buf[start + step..]) else {
                    break;
                };
                let end = start + step + i + 1;
                let lines = memchr::memchr_iter(b'\n', &buf[start..end]).count() as u64;
                let first = bounds.last().map_or(next_line, |b| b.1) + lines;
                bounds.push((end, first));
                start = end;
            }
            next_line = bounds.last().map_or(next_line, |b| b.1)
                + memchr::memchr_iter(b'\n', &buf[start..]).count() as u64;
            let ends: Vec<usize> = bounds
                .iter()
                .skip(1)
                .map(|b| b.0)
                .chain(std::iter::once(buf.len()))
                .collect();
            pool.resize_with(bounds.len().max(pool.len()), || DatasetBuilder::new(f.kind));
            let parts: Vec<DatasetBuilder> = pool.drain(..bounds.len()).collect();
            let previous = pending.take();
            // This block's parts are parsed while the previous block's are appended.
            let (parsed, appended) = rayon::join(
                || {
                    bounds
                        .par_iter()
                        .zip(ends.par_iter())
                        .zip(parts)
                        .map(|((&(s, first), &e), part)| parse_part(&buf[s..e], first, f, part))
                        .collect::<Vec<_>>()
                },
                || match previous {
                    Some(p) => append(p, builder, rejections, &mut pool),
                    None => Ok(()),
                },
            );
            appended?;
            pending = Some((parsed, ends[0]));
            let _ = free_tx.send(buf);
        }
        if let Some(p) = pending.take() {
            append(p, builder, rejections, &mut pool)?;
        }
        Ok(())
    })
}

/// Reads one items or mrr CSV file into the builder. The file is opened once; a regular file
/// without quotes or lone `\r` is read in parallel, anything else (a named pipe, a device,
/// quoted fields, classic Mac line ends) sequentially.
pub(crate) fn read_lines_csv(
    path: &Path,
    kind: SourceKind,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
    progress: Option<&Progress>,
) -> Result<(), IoError> {
    use std::io::{Seek, SeekFrom};
    let name = display_name(path);
    let mut input = std::fs::File::open(path).map_err(io_error(path))?;
    let regular = input.metadata().is_ok_and(|m| m.is_file());
    let parallel =
        regular && rayon::current_num_threads() > 1 && splits_on_newlines(&mut input, path)?;
    if regular {
        input.seek(SeekFrom::Start(0)).map_err(io_error(path))?;
    }
    // The header, read through a handle that shares the file's position.
    let csv = csv_from(path, input.try_clone().map_err(io_error(path))?)?;
    let cols = csv.cols();
    builder
        .notices
        .extend(cols.check(path, &name, known_columns(kind))?);
    let layout = Layout::new(kind, &cols, path)?;
    let file = builder.add_file(&name);
    if parallel {
        input.seek(SeekFrom::Start(0)).map_err(io_error(path))?;
        let header = csv.header.clone();
        drop(csv);
        let spec = CsvSpec {
            progress,
            path,
            name: &name,
            kind,
            layout,
            header: &header,
        };
        return read_lines_csv_parallel(input, &spec, builder, rejections, file);
    }
    drop(input);
    let mut pending = Vec::new();
    let mut sink = Sink {
        builder,
        rejections: &mut pending,
        file,
        name: name.clone(),
        layout,
    };
    let bad = csv.rows(|line, rec| sink.row(line, rec))?;
    Progress::advance(progress, std::fs::metadata(path).map_or(0, |m| m.len()));
    for r in bad {
        sink.builder.ledger.read += 1;
        sink.builder.ledger.rejected += 1;
        sink.rejections.push(r);
    }
    pending.sort_by_key(|r| r.line);
    rejections.extend(pending);
    Ok(())
}

pub(crate) fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Reads fx.csv into the builder, rejecting bad rows. Rows for any currency are kept, the
/// reporting currency's too: which currency the file is quoted in, and the rates into the
/// reporting currency that follow, are the core's rule (`nrr_core::fx`).
pub(crate) fn read_fx(
    path: &Path,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
) -> Result<(), IoError> {
    let name = display_name(path);
    builder.set_fx_file(&path.display().to_string());
    let csv = open_csv(path)?;
    let cols = csv.cols();
    builder
        .notices
        .extend(cols.check(path, "fx.csv", &["date", "currency", "rate"])?);
    let idx = (
        cols.require(path, "date")?,
        cols.require(path, "currency")?,
        cols.require(path, "rate")?,
    );
    let mut rej = Vec::new();
    let bad = csv.rows(|line, rec| {
        let f = |i: usize| rec.get(i).unwrap_or("").trim();
        let mut r = |column: &str, value: &str, expected: &str| {
            rej.push(Rejection { file: name.clone(), line, column: column.into(), value: value.into(), expected: expected.into() })
        };
        let Some(date) = Date::parse(f(idx.0)) else { return r("date", f(idx.0), EXPECT_DATE) };
        let ccy = f(idx.1);
        if !is_currency_code(ccy) {
            return r("currency", ccy, "a three-letter ISO 4217 code like EUR");
        }
        let Some(rate) = Decimal::parse(f(idx.2), MAX_RATE_DECIMALS).filter(|d| d.mantissa > 0) else {
            return r("rate", f(idx.2), "a decimal number > 0 with at most 10 decimal places (the value of 1 unit in the currency fx.csv is quoted in)");
        };
        builder.push_fx(ccy, date, rate);
    })?;
    rej.extend(bad);
    rej.sort_by_key(|r| r.line);
    rejections.extend(rej);
    Ok(())
}

/// Reads customers.csv.
fn read_customers(path: &Path, rejections: &mut Vec<Rejection>) -> Result<Attributes, IoError> {
    let name = display_name(path);
    let csv = open_csv(path)?;
    let cols = csv.cols();
    cols.check(path, "customers.csv", &[])?;
    let id_col = cols.require(path, "customer_id")?;
    let mut attrs = Attributes {
        columns: csv
            .header
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != id_col)
            .map(|(_, s)| s.clone())
            .collect(),
        values: Default::default(),
    };
    let mut rej = Vec::new();
    let bad = csv.rows(|line, rec| {
        let id = rec.get(id_col).unwrap_or("").trim();
        let mut r = |expected: &str| {
            rej.push(Rejection {
                file: name.clone(),
                line,
                column: "customer_id".into(),
                value: id.into(),
                expected: expected.into(),
            })
        };
        if id.is_empty() {
            return r("a non-empty customer id");
        }
        if attrs.values.contains_key(id) {
            return r("each customer once");
        }
        let vals = (0..attrs.columns.len() + 1)
            .filter(|i| *i != id_col)
            .map(|i| rec.get(i).unwrap_or("").trim().to_string())
            .collect();
        attrs.values.insert(id.to_string(), vals);
    })?;
    rej.extend(bad);
    rej.sort_by_key(|r| r.line);
    rejections.extend(rej);
    Ok(attrs)
}

/// `true` for `2024-03`, `2024-Q1` or `2024`.
fn is_period_label(s: &str) -> bool {
    let b = s.as_bytes();
    let year = |y: &[u8]| y.len() == 4 && y.iter().all(u8::is_ascii_digit);
    match b.len() {
        4 => year(b),
        7 if b[4] == b'-' && b[5] == b'Q' => year(&b[..4]) && (b'1'..=b'4').contains(&b[6]),
        7 => Month::parse(s).is_some(),
        _ => false,
    }
}

/// Reads annotations.csv: `period` (or `month`), optional `customer_id`, `note`.
fn read_notes(
    path: &Path,
    rejections: &mut Vec<Rejection>,
    notices: &mut Vec<String>,
) -> Result<Vec<nrr_core::report::Note>, IoError> {
    let name = display_name(path);
    let csv = open_csv(path)?;
    let cols = csv.cols();
    notices.extend(cols.check(
        path,
        "annotations.csv",
        &["period", "month", "customer_id", "note"],
    )?);
    let period = match cols.get("period") {
        Some(i) => i,
        None => cols.require(path, "month")?,
    };
    let (customer, note) = (cols.get("customer_id"), cols.require(path, "note")?);
    let mut notes = Vec::new();
    let mut rej = Vec::new();
    let bad = csv.rows(|line, rec| {
        let f = |i: usize| rec.get(i).unwrap_or("").trim();
        let mut r = |column: &str, value: &str, expected: &str| {
            rej.push(Rejection {
                file: name.clone(),
                line,
                column: column.into(),
                value: value.into(),
                expected: expected.into(),
            })
        };
        if !is_period_label(f(period)) {
            return r(
                "period",
                f(period),
                "a month YYYY-MM, a quarter YYYY-Qn or a year YYYY",
            );
        }
        if f(note).is_empty() {
            return r("note", "", "a non-empty note");
        }
        notes.push(nrr_core::report::Note {
            period: f(period).to_string(),
            customer_id: customer
                .map(f)
                .filter(|c| !c.is_empty())
                .map(str::to_string),
            note: f(note).to_string(),
        });
    })?;
    rej.extend(bad);
    rejections.extend(rej);
    Ok(notes)
}

/// `forever-only` discounts that come from a preset (`--preset stripe`), not from the command
/// line, become `all` for invoices.csv, which cannot tell how long a discount lasts (the
/// report's `policies` then says `all`); given explicitly, they stay and are refused there.
pub(crate) fn for_invoices(opts: &LoadOptions) -> LoadOptions {
    use crate::invoices::Discounts;
    let mut o = opts.clone();
    let explicit = opts.explicit_invoice_policies.map(|p| p.discounts);
    if o.invoice_policies.discounts == Discounts::ForeverOnly
        && explicit.is_some_and(|d| d != Discounts::ForeverOnly)
    {
        o.invoice_policies.discounts = Discounts::All;
    }
    o
}

/// Loads a data directory (or a single items/mrr file): every row used, excluded with a
/// reason, or rejected with its position.
pub fn load(dir: &Path, opts: &LoadOptions) -> Result<Loaded, IoError> {
    let base = if dir.is_file() {
        dir.parent().unwrap_or(Path::new("."))
    } else {
        dir
    };
    // Every input but items and mrr files has its own reader.
    let (kind, files) = match crate::source::choose(dir, opts)? {
        crate::source::Chosen::Invoices(inv) => {
            return load_invoices(Some(base), opts, |opts, builder, rejections| {
                crate::invoices::read(&inv, opts, builder, rejections)?;
                Ok(inv.paths().iter().map(|p| display_name(p)).collect())
            })
        }
        crate::source::Chosen::Snapshots(sf) => {
            return crate::snapshots::load_files(&sf, base, opts)
        }
        crate::source::Chosen::Stripe(sf) => return crate::stripe::load_files(&sf, base, opts),
        crate::source::Chosen::Lines(kind, files) => (kind, files),
    };
    let mut builder = DatasetBuilder::new(kind);
    let mut rejections = Vec::new();
    for f in &files {
        if f.extension().is_some_and(|e| e == "parquet") {
            #[cfg(feature = "parquet")]
            crate::parquet::read_lines_parquet(
                f,
                kind,
                &mut builder,
                &mut rejections,
                opts.progress.as_ref(),
            )?;
            #[cfg(not(feature = "parquet"))]
            return Err(IoError::Parquet {
                path: f.clone(),
                message: "this nrr was built without the `parquet` feature".into(),
            });
        } else {
            read_lines_csv(
                f,
                kind,
                &mut builder,
                &mut rejections,
                opts.progress.as_ref(),
            )?;
        }
    }
    let names: Vec<String> = files.iter().map(|f| display_name(f)).collect();
    finish_load(Some(base), &names, builder, rejections, opts)
}

/// What every reader of invoice rows (files, PostgreSQL) does around `read` (which returns
/// the inputs' names): a preset's discounts made fit for invoices ([`for_invoices`]), and the
/// invoice policies used reported with the figures.
pub(crate) fn load_invoices(
    base: Option<&Path>,
    opts: &LoadOptions,
    read: impl FnOnce(
        &LoadOptions,
        &mut DatasetBuilder,
        &mut Vec<Rejection>,
    ) -> Result<Vec<String>, IoError>,
) -> Result<Loaded, IoError> {
    let opts = &for_invoices(opts);
    let mut builder = DatasetBuilder::new(SourceKind::Items);
    let mut rejections = Vec::new();
    let names = read(opts, &mut builder, &mut rejections)?;
    let mut loaded = finish_load(base, &names, builder, rejections, opts)?;
    loaded.invoice_policies = Some(opts.invoice_policies);
    Ok(loaded)
}

/// The names of the files in `dir`, sorted.
pub(crate) fn dir_names(dir: &Path) -> Result<Vec<String>, IoError> {
    let io = |source| IoError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io)? {
        all.push(e.map_err(io)?.file_name().to_string_lossy().into_owned());
    }
    all.sort();
    Ok(all)
}

/// A name a revenue table is read from: `.csv`, or `.parquet` with the `parquet` feature.
pub(crate) fn is_data(n: &str) -> bool {
    n.ends_with(".csv") || (cfg!(feature = "parquet") && n.ends_with(".parquet"))
}

/// The reporting currency: `--currency`, else the one currency of the lines (an empty code
/// is the reporting currency itself); `None` when the lines have several.
pub(crate) fn reporting_currency(opts: &LoadOptions, builder: &DatasetBuilder) -> Option<String> {
    match &opts.currency {
        Some(c) => Some(c.clone()),
        None => {
            let used = builder.line_currencies();
            (used.len() == 1).then(|| used[0].clone())
        }
    }
}

/// What every revenue reader ends with: reads fx.csv, customers.csv and annotations.csv from
/// `base` (none without a base), orders the rejections and builds the dataset (which fails
/// once for currencies without rates, not row by row). `names`: the revenue inputs in reading order, as the
/// builder's file indices and the rejections name them.
pub(crate) fn finish_load(
    base: Option<&Path>,
    names: &[String],
    mut builder: DatasetBuilder,
    mut rejections: Vec<Rejection>,
    opts: &LoadOptions,
) -> Result<Loaded, IoError> {
    if let Some(fx_path) = base.map(|b| b.join("fx.csv")).filter(|p| p.exists()) {
        read_fx(&fx_path, &mut builder, &mut rejections)?;
    }
    let customers_path = base.map(|b| b.join("customers.csv"));
    let mut attributes = match customers_path.filter(|p| opts.customers && p.exists()) {
        Some(p) => Some(read_customers(&p, &mut rejections)?),
        None => None,
    };
    let notes_path = base.map(|b| b.join("annotations.csv"));
    let mut notes = match notes_path.filter(|p| p.exists()) {
        Some(p) => read_notes(&p, &mut rejections, &mut builder.notices)?,
        None => Vec::new(),
    };
    let map_path = base.map(|b| b.join(crate::customer_map::FILE));
    let customer_map = match map_path.filter(|p| p.exists()) {
        Some(p) => {
            let map = crate::customer_map::read(&p, &mut rejections, &mut builder.notices)?;
            if let Some(a) = attributes.as_mut() {
                crate::customer_map::merge_attributes(&map, a);
            }
            crate::customer_map::merge_notes(&map, &mut notes);
            builder.set_customer_map(map.clone());
            Some(map)
        }
        None => None,
    };
    // Rejections in reading order: revenue files in order, then fx.csv, customers.csv,
    // annotations.csv and customer_map.csv.
    let rank = |file: &str| {
        names.iter().position(|f| f == file).unwrap_or(match file {
            "fx.csv" => names.len(),
            "customers.csv" => names.len() + 1,
            "annotations.csv" => names.len() + 2,
            _ => names.len() + 3,
        })
    };
    rejections.sort_by_key(|r| (rank(&r.file), r.line));
    let dataset = builder.finish(opts.currency.as_deref())?;
    Ok(Loaded {
        dataset,
        rejections,
        attributes,
        notes,
        invoice_policies: None,
        movement_check: None,
        customer_map,
        snapshot_date: None,
    })
}

/// Builds a segment cut from a customers.csv column.
pub fn segment_spec(
    dataset: &Dataset,
    attributes: Option<&Attributes>,
    column: &str,
) -> Result<SegmentSpec, IoError> {
    // `product` and `plan` come from the lines (a customer's value may change by month).
    let line_column = match column {
        "product" => Some(nrr_core::engine::LineColumn::Product),
        "plan" => Some(nrr_core::engine::LineColumn::Plan),
        _ => None,
    };
    if let Some(lc) = line_column {
        let spec = SegmentSpec::by_line(dataset, lc);
        if spec.values.iter().all(String::is_empty) {
            return Err(IoError::NoLineColumn {
                column: column.to_string(),
            });
        }
        return Ok(spec);
    }
    let unknown = |a: Option<&Attributes>| IoError::UnknownSegment {
        column: column.to_string(),
        available: a.map(|a| a.columns.clone()).unwrap_or_default(),
    };
    let attrs = attributes.ok_or_else(|| unknown(None))?;
    let col = attrs
        .columns
        .iter()
        .position(|c| c == column)
        .ok_or_else(|| unknown(Some(attrs)))?;
    let mut values: Vec<String> = vec![String::new()];
    let mut index: HashMap<String, u32> = HashMap::from([(String::new(), 0)]);
    let of_customer = dataset
        .customers
        .iter()
        .map(|c| {
            let v = attrs
                .values
                .get(c)
                .and_then(|vals| vals.get(col))
                .map_or("", String::as_str);
            *index.entry(v.to_string()).or_insert_with(|| {
                values.push(v.to_string());
                (values.len() - 1) as u32
            })
        })
        .collect();
    Ok(SegmentSpec {
        column: column.to_string(),
        values,
        of_customer,
        ..SegmentSpec::default()
    })
}
