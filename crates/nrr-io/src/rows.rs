//! Rows as a reader sees them: the header's columns ([`Cols`]), where each field of an items or
//! mrr row is ([`Layout`]), a row's fields by position ([`Fields`]), and what a bad value is
//! told it should be.

use crate::error::{Expected, IoError, RejectionKind};
use nrr_core::dataset::SourceKind;
use nrr_core::date::Date;
use nrr_core::money::Decimal;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

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

/// Which column each field of an items row is in.
#[derive(Clone, Copy)]
pub(crate) struct ItemCols {
    pub(crate) customer: usize,
    /// `amount` (the line total), `unit_amount` (per unit, times `quantity`): at least one.
    pub(crate) amount: Option<usize>,
    pub(crate) unit_amount: Option<usize>,
    pub(crate) start: usize,
    pub(crate) quantity: Option<usize>,
    pub(crate) currency: Option<usize>,
    pub(crate) interval: Option<usize>,
    pub(crate) end: Option<usize>,
    pub(crate) kind: Option<usize>,
    pub(crate) product: Option<usize>,
    pub(crate) plan: Option<usize>,
}

/// Which column each field of an mrr row is in.
#[derive(Clone, Copy)]
pub(crate) struct MrrCols {
    pub(crate) customer: usize,
    pub(crate) month: usize,
    pub(crate) mrr: usize,
    pub(crate) currency: Option<usize>,
}

/// Which column each field of a kind of file is in.
#[derive(Clone, Copy)]
pub(crate) enum Layout {
    Items(ItemCols),
    Mrr(MrrCols),
}

impl Layout {
    pub(crate) fn new(kind: SourceKind, cols: &Cols, path: &Path) -> Result<Layout, IoError> {
        Ok(match kind {
            SourceKind::Items => Layout::Items(ItemCols {
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
            }),
            SourceKind::Mrr => Layout::Mrr(MrrCols {
                customer: cols.require(path, "customer_id")?,
                month: cols.require(path, "month")?,
                mrr: cols.require(path, "mrr")?,
                currency: cols.get("currency"),
            }),
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

pub(crate) fn is_currency_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
}

pub(crate) const EXPECT_AMOUNT: &str =
    "a decimal number >= 0 with at most 6 decimal places (like 1200.00)";
/// What a decimal column expects (`base`), with why `text` is not it when that is its size:
/// more than `max` places, or more digits than exact 64-bit arithmetic holds (18).
///
/// The kind is `bad_number`, or `out_of_range` for a number with too many digits.
pub(crate) fn expect_decimal(text: &str, max: u32, base: &str) -> Expected {
    let bad_number = |text: String| Expected {
        kind: RejectionKind::BadNumber,
        text,
    };
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = !int.is_empty() || !frac.is_empty();
    if !plain || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return bad_number(base.to_string());
    }
    let places = frac.len();
    // Trailing zeros of the places carry no digit (`Decimal::parse` drops them if need be).
    let significant = int.trim_start_matches('0').len() + frac.trim_end_matches('0').len();
    if places > max as usize {
        bad_number(format!("{base}; this one has {places} decimal places"))
    } else if significant > 18 {
        Expected {
            kind: RejectionKind::OutOfRange,
            text: format!(
                "{base}; this one has {significant} digits, more than the 18 an amount may have"
            ),
        }
    } else {
        bad_number(base.to_string())
    }
}

pub(crate) const EXPECT_DATE: &str = "a calendar date YYYY-MM-DD that exists";
pub(crate) const EXPECT_CCY: &str =
    "a three-letter ISO 4217 code like USD, or empty for the reporting currency";
