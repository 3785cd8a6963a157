//! The builder readers fill: lines, FX rows, pauses and usage, until `finish` fixes the
//! reporting currency and the exact scale.

use super::*;
use crate::customer_map::CustomerMap;
use crate::money::Decimal;
use crate::report::RowLedger;
use rustc_hash::FxHashMap as HashMap;

/// Collects validated lines and FX rows, then fixes the exact [`Scale`].
#[derive(Debug)]
pub struct DatasetBuilder {
    pub(super) kind: SourceKind,
    pub(super) customers: Ids,
    /// Ids of parts absorbed from parallel readers, in order; `customers` (the ids pushed
    /// directly since the last absorb) follows them. Lines name customers by provisional
    /// index (segment base + index inside it) until `finish` merges the segments.
    pub(super) segments: Vec<Ids>,
    /// Provisional index of `customers`' first id.
    pub(super) base: u32,
    /// The previous line's customer: exports are usually grouped by customer, so most
    /// lookups end here without hashing.
    pub(super) last_customer: Option<u32>,
    pub(super) currency_ids: HashMap<String, u16>,
    pub(super) currencies: Vec<String>,
    /// The previous line's currency, product and plan (most rows repeat them).
    pub(super) last_labels: (u16, u32, u32),
    pub(super) label_ids: HashMap<String, u32>,
    pub(super) labels: Vec<String>,
    pub(super) lines: Lines,
    pub(super) mantissa: Vec<i64>,
    pub(super) decimals: Vec<u8>,
    pub(super) fx: Vec<(u16, Date, Decimal)>,
    /// fx.csv's path as the user named it, when one was read (for messages).
    pub(super) fx_file: Option<String>,
    pub(super) pauses: Vec<Pause>,
    /// Usage charges and the column a rejection of each names.
    pub(super) usage: Vec<(UsageCharge, String)>,
    /// What the reader could not know about usage ([`Dataset::usage_notes`]).
    pub usage_notes: Vec<String>,
    /// `false` when the input holds no usage amounts at all ([`Dataset::usage_known`]).
    pub usage_known: bool,
    /// Where every input row went; readers update it.
    pub ledger: RowLedger,
    /// The report's `notices` ([`Dataset::notices`]); readers add to it.
    pub notices: Vec<String>,
    /// The latest date the input shows as past, and what shows it (`the latest
    /// invoice_date`): the as-of date when none is given. Readers whose data does not show
    /// one (items, mrr.csv) leave it `None`; see `engine::as_of`.
    pub as_of: Option<(Date, String)>,
    pub(super) files: Vec<String>,
    /// customer_map.csv, applied to every line and pause by `finish`.
    pub(super) customer_map: Option<CustomerMap>,
}

impl DatasetBuilder {
    /// An empty builder for a source kind.
    pub fn new(kind: SourceKind) -> Self {
        DatasetBuilder {
            kind,
            customers: Ids::default(),
            segments: Vec::new(),
            base: 0,
            last_customer: None,
            last_labels: (u16::MAX, u32::MAX, u32::MAX),
            currency_ids: HashMap::default(),
            label_ids: HashMap::default(),
            labels: Vec::new(),
            currencies: Vec::new(),
            lines: Lines::default(),
            mantissa: Vec::new(),
            decimals: Vec::new(),
            fx: Vec::new(),
            fx_file: None,
            pauses: Vec::new(),
            usage: Vec::new(),
            usage_notes: Vec::new(),
            usage_known: true,
            ledger: RowLedger::default(),
            notices: Vec::new(),
            as_of: None,
            files: Vec::new(),
            customer_map: None,
        }
    }

    /// Registers an input file name and returns its index for [`Origin::file`].
    pub fn add_file(&mut self, name: &str) -> u16 {
        self.files.push(name.to_string());
        (self.files.len() - 1) as u16
    }

    pub(super) fn currency_id(&mut self, code: &str) -> u16 {
        if let Some(&i) = self.currency_ids.get(code) {
            return i;
        }
        let i = self.currencies.len() as u16;
        self.currencies.push(code.to_string());
        self.currency_ids.insert(code.to_string(), i);
        i
    }

    pub(super) fn label_id(&mut self, name: &str) -> u32 {
        // Products and plans are few: a scan beats hashing until there are many.
        if self.labels.len() <= 16 {
            if let Some(i) = self.labels.iter().position(|l| l == name) {
                return i as u32;
            }
        } else if let Some(&i) = self.label_ids.get(name) {
            return i;
        }
        let i = self.labels.len() as u32;
        self.labels.push(name.to_string());
        self.label_ids.insert(name.to_string(), i);
        i
    }

    /// Adds one used recurring line (no product, plan or quantity: see
    /// [`DatasetBuilder::push_line_detail`]).
    pub fn push_line(&mut self, l: LineInput<'_>) {
        self.push_line_detail(l, LineDetail::default());
    }

    /// Adds one used recurring line with its product, plan and quantity (used to attribute
    /// expansion and contraction to seats, price, plan, cross-sell or interval).
    pub fn push_line_detail(&mut self, l: LineInput<'_>, d: LineDetail<'_>) {
        let (last_ccy, last_product, last_plan) = self.last_labels;
        let same =
            |names: &[String], i: u32, name: &str| names.get(i as usize).is_some_and(|n| n == name);
        let product = if same(&self.labels, last_product, d.product) {
            last_product
        } else {
            self.label_id(d.product)
        };
        let plan = if same(&self.labels, last_plan, d.plan) {
            last_plan
        } else {
            self.label_id(d.plan)
        };
        let ccy = if same(&self.currencies, u32::from(last_ccy), l.currency) {
            last_ccy
        } else {
            self.currency_id(l.currency)
        };
        self.last_labels = (ccy, product, plan);
        self.lines.product.push(product);
        self.lines.plan.push(plan);
        self.lines.quantity.push(d.quantity);
        let c = match self.last_customer {
            Some(c) if self.customers.is(c - self.base, l.customer) => c,
            _ => self.base + self.customers.intern(l.customer),
        };
        self.last_customer = Some(c);
        let lines = &mut self.lines;
        lines.customer.push(c);
        lines.currency.push(ccy);
        lines.start.push(l.start.month());
        lines.end.push(l.end.map_or(OPEN_END, Date::month));
        lines.start_date.push(l.start);
        lines.end_date.push(l.end);
        lines.interval.push(l.interval);
        lines.origin.push(l.origin);
        self.mantissa.push(l.amount.mantissa);
        self.decimals.push(l.amount.decimals as u8);
    }

    /// Makes room for `additional` more lines (readers that can estimate their row count
    /// call this once to avoid repeated growth).
    pub fn reserve(&mut self, additional: usize) {
        let l = &mut self.lines;
        l.customer.reserve(additional);
        l.currency.reserve(additional);
        l.start.reserve(additional);
        l.end.reserve(additional);
        l.start_date.reserve(additional);
        l.end_date.reserve(additional);
        l.interval.reserve(additional);
        l.product.reserve(additional);
        l.plan.reserve(additional);
        l.quantity.reserve(additional);
        l.origin.reserve(additional);
        self.mantissa.reserve(additional);
        self.decimals.reserve(additional);
    }

    /// Makes room for `additional` more customer ids (a reader parsing one part of a file
    /// calls this with its estimate; the builder parts are appended to needs none).
    pub fn reserve_customers(&mut self, additional: usize) {
        self.customers.reserve(additional);
    }

    /// Lines pushed so far.
    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// Moves every line, FX row and ledger count of `other` (a builder that read part of one
    /// file) after this builder's, as if this builder had read them itself. `file` is this
    /// builder's index of the file `other` read. Reading a file in parts and appending the
    /// parts in order gives the same dataset as reading it whole. Cheap: customer ids are
    /// merged once, in parallel, by `finish`.
    pub fn append(&mut self, mut other: DatasetBuilder, file: u16) {
        self.append_from(&mut other, file);
    }

    /// Like [`DatasetBuilder::append`], but leaves `other` empty with its column buffers
    /// kept, so a reader can reuse it for its next part without allocating (and
    /// page-faulting) fresh memory.
    pub fn append_from(&mut self, other: &mut DatasetBuilder, file: u16) {
        // Close the directly pushed ids as a segment, then add the part's as the next ones.
        let own = std::mem::take(&mut self.customers);
        self.base += own.len() as u32;
        self.segments.push(own);
        let shift = self.base;
        let theirs = std::mem::take(&mut other.segments);
        for seg in theirs
            .into_iter()
            .chain(std::iter::once(std::mem::take(&mut other.customers)))
        {
            self.base += seg.len() as u32;
            self.segments.push(seg);
        }
        // `other`'s provisional indices start at 0; ours for it start at `shift`.
        let ymap: Vec<u16> = other
            .currencies
            .iter()
            .map(|c| self.currency_id(c))
            .collect();
        let lmap: Vec<u32> = other.labels.iter().map(|n| self.label_id(n)).collect();
        let (a, b) = (&mut self.lines, &mut other.lines);
        a.customer.extend(b.customer.iter().map(|&c| c + shift));
        a.currency
            .extend(b.currency.iter().map(|&c| ymap[usize::from(c)]));
        a.start.extend_from_slice(&b.start);
        a.end.extend_from_slice(&b.end);
        a.start_date.extend_from_slice(&b.start_date);
        a.end_date.extend_from_slice(&b.end_date);
        a.interval.extend_from_slice(&b.interval);
        a.product
            .extend(b.product.iter().map(|&i| lmap[i as usize]));
        a.plan.extend(b.plan.iter().map(|&i| lmap[i as usize]));
        a.quantity.extend_from_slice(&b.quantity);
        a.origin
            .extend(b.origin.iter().map(|o| Origin { file, line: o.line }));
        self.mantissa.extend_from_slice(&other.mantissa);
        self.decimals.extend_from_slice(&other.decimals);
        self.fx.extend(
            other
                .fx
                .drain(..)
                .map(|(c, d, r)| (ymap[usize::from(c)], d, r)),
        );
        if self.fx_file.is_none() {
            self.fx_file = other.fx_file.take();
        }
        self.pauses.extend(other.pauses.drain(..).map(|p| Pause {
            customer: p.customer + shift,
            ..p
        }));
        self.usage.extend(other.usage.drain(..).map(|(mut u, c)| {
            u.currency = ymap[usize::from(u.currency)];
            u.origin.file = file;
            (u, c)
        }));
        self.usage_notes.append(&mut other.usage_notes);
        self.usage_known &= other.usage_known;
        self.notices.append(&mut other.notices);
        self.ledger.add(&other.ledger);
        self.last_customer = None;
        other.clear();
    }

    /// Empties the builder for reuse, keeping the capacity of its line columns.
    fn clear(&mut self) {
        let kind = self.kind;
        let mut lines = std::mem::take(&mut self.lines);
        let (mut mantissa, mut decimals) = (
            std::mem::take(&mut self.mantissa),
            std::mem::take(&mut self.decimals),
        );
        let l = &mut lines;
        l.customer.clear();
        l.currency.clear();
        l.mrr.clear();
        l.start.clear();
        l.end.clear();
        l.start_date.clear();
        l.end_date.clear();
        l.interval.clear();
        l.origin.clear();
        l.product.clear();
        l.plan.clear();
        l.quantity.clear();
        mantissa.clear();
        decimals.clear();
        *self = DatasetBuilder::new(kind);
        self.lines = lines;
        self.mantissa = mantissa;
        self.decimals = decimals;
    }

    /// Merges customer ids by `map` (customer_map.csv): `finish` counts every line and pause
    /// of a mapped id under its target, and the ledger's `mapped` counts those lines.
    pub fn set_customer_map(&mut self, map: CustomerMap) {
        self.customer_map = Some(map);
    }

    /// Records that `customer` is paused from `start` (inclusive) to `end` (exclusive; `None`:
    /// still paused): its revenue is 0 then, but it is not churned (`--pauses zero`). The
    /// reader removes the revenue itself; this only marks the span.
    pub fn push_pause(&mut self, customer: &str, start: Date, end: Option<Date>) {
        let c = self.base + self.customers.intern(customer);
        self.last_customer = None;
        self.pauses.push(Pause {
            customer: c,
            start: start.month(),
            end: end.map_or(OPEN_END, Date::month),
        });
    }

    /// Adds one usage charge (`--usage`): kept apart from the lines, never MRR.
    pub fn push_usage(&mut self, u: UsageInput<'_>) {
        let currency = self.currency_id(u.currency);
        self.usage.push((
            UsageCharge {
                currency,
                month: u.month,
                amount: u.amount,
                origin: u.origin,
            },
            u.column.to_string(),
        ));
    }

    /// Adds one FX row: the value of 1 `currency` in fx.csv's base currency, from `date`
    /// (see [`crate::fx`] for how rates into the reporting currency follow).
    pub fn push_fx(&mut self, currency: &str, date: Date, rate: Decimal) {
        let c = self.currency_id(currency);
        self.fx.push((c, date, rate));
    }

    /// Names the fx.csv the rates came from, for the messages about missing rates.
    pub fn set_fx_file(&mut self, path: &str) {
        self.fx_file = Some(path.to_string());
    }

    /// Distinct non-empty currency codes used by lines, sorted.
    pub fn line_currencies(&self) -> Vec<String> {
        let mut used = vec![false; self.currencies.len()];
        for &c in &self.lines.currency {
            used[usize::from(c)] = true;
        }
        let mut v: Vec<String> = self
            .currencies
            .iter()
            .zip(used)
            .filter(|(code, u)| *u && !code.is_empty())
            .map(|(code, _)| code.clone())
            .collect();
        v.sort();
        v
    }

    /// `file:line` of line `i`.
    pub(super) fn position(&self, i: usize) -> String {
        let o = self.lines.origin[i];
        let file = self
            .files
            .get(usize::from(o.file))
            .map_or("", String::as_str);
        format!("{file}:{}", o.line)
    }

    /// Line `i`'s amount as read.
    pub(super) fn amount_text(&self, i: usize) -> String {
        crate::money::format_scaled(i128::from(self.mantissa[i]), u32::from(self.decimals[i]))
    }

    pub(super) fn default_window(&self) -> Option<(Month, Month)> {
        let l = &self.lines;
        let first = l.start.iter().min().copied()?;
        let mut last = l.start.iter().max().copied()?;
        if self.kind == SourceKind::Items {
            if let Some(e) = l.end.iter().filter(|e| **e != OPEN_END).max() {
                last = last.max(*e);
            }
        }
        Some((first, last))
    }
}
