//! The columnar input the engine works on, and the builder readers fill.

use crate::customer_map::CustomerMap;
use crate::date::{Date, Month};
use crate::money::{lcm, Decimal, Scale};
use crate::report::RowLedger;
use crate::CoreError;
use rustc_hash::FxHashMap as HashMap;

/// Where an input row came from: index into [`Dataset::files`] and 1-based line.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Index into the dataset's file list.
    pub file: u16,
    /// 1-based line (or record) number in that file.
    pub line: u64,
}

/// Which kind of input the lines came from; decides the default window.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// Subscription line items (`items.csv`).
    Items,
    /// Monthly MRR per customer (`mrr.csv`).
    Mrr,
}

/// Customer ids interned in one byte buffer, so a million customers cost no million
/// allocations. A customer's index is its position in first-appearance order.
#[derive(Clone, Debug, Default)]
pub struct Ids {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// Each id's hash, so growing the table and merging builders never hash an id twice.
    hashes: Vec<u64>,
    table: hashbrown::HashTable<u32>,
}

fn hash_id(id: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(id)
}

impl Ids {
    /// Number of ids.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// `true` when there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn bytes_of(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// The id with index `i`.
    pub fn get(&self, i: usize) -> &str {
        // Only whole `&str`s are ever appended, so every range is valid UTF-8.
        std::str::from_utf8(self.bytes_of(i)).unwrap_or("")
    }

    /// All ids in index order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The index of `id`, if present.
    pub fn index_of(&self, id: &str) -> Option<u32> {
        let id = id.as_bytes();
        self.table
            .find(hash_id(id), |&i| self.bytes_of(i as usize) == id)
            .copied()
    }

    /// Orders two ids by their text (bytes), without decoding them.
    pub fn cmp_ids(&self, a: u32, b: u32) -> std::cmp::Ordering {
        self.bytes_of(a as usize).cmp(self.bytes_of(b as usize))
    }

    /// `true` when index `i` holds `id`.
    pub fn is(&self, i: u32, id: &str) -> bool {
        self.bytes_of(i as usize) == id.as_bytes()
    }

    /// Makes room for `additional` more ids (of about 16 bytes).
    pub fn reserve(&mut self, additional: usize) {
        self.ends.reserve(additional);
        self.hashes.reserve(additional);
        self.bytes.reserve(additional * 16);
        let hashes = &self.hashes;
        self.table.reserve(additional, |&j| hashes[j as usize]);
    }

    /// The index of `id`, adding it if new.
    pub fn intern(&mut self, id: &str) -> u32 {
        let id = id.as_bytes();
        self.intern_hashed(id, hash_id(id))
    }

    fn intern_hashed(&mut self, id: &[u8], h: u64) -> u32 {
        if let Some(&i) = self.table.find(h, |&i| self.bytes_of(i as usize) == id) {
            return i;
        }
        let i = self.ends.len() as u32;
        self.bytes.extend_from_slice(id);
        self.ends.push(self.bytes.len());
        self.hashes.push(h);
        let hashes = &self.hashes;
        self.table.insert_unique(h, i, |&j| hashes[j as usize]);
        i
    }

    /// Merges segments of ids (read in this order) into one set without duplicates, in
    /// first-appearance order. Returns it (without a lookup table) and, for every id of every
    /// segment in order, its index in it. Duplicates are found shard by shard (by hash) in
    /// parallel, each shard's table small enough to stay in cache.
    fn unify(segments: Vec<Ids>) -> (Ids, Vec<u32>) {
        use rayon::prelude::*;
        const SHARD_BITS: u32 = 6;
        const SHARDS: usize = 1 << SHARD_BITS;
        // Middle bits: hashbrown takes the bucket from the low bits and the tag from the top
        // seven, so sharding on either would make every id of a shard collide.
        let shard = |h: u64| ((h >> 32) as usize) & (SHARDS - 1);
        let mut bases = Vec::with_capacity(segments.len() + 1);
        let mut total = 0usize;
        for seg in &segments {
            bases.push(total);
            total += seg.len();
        }
        bases.push(total);
        // Every segment's ids bucketed by shard (a counting sort per segment).
        let buckets: Vec<(Vec<u32>, Vec<usize>)> = segments
            .par_iter()
            .map(|seg| {
                let mut offsets = vec![0usize; SHARDS + 1];
                for &h in &seg.hashes {
                    offsets[shard(h) + 1] += 1;
                }
                for k in 0..SHARDS {
                    offsets[k + 1] += offsets[k];
                }
                let mut next = offsets.clone();
                let mut order = vec![0u32; seg.len()];
                for (i, &h) in seg.hashes.iter().enumerate() {
                    order[next[shard(h)]] = i as u32;
                    next[shard(h)] += 1;
                }
                (order, offsets)
            })
            .collect();
        // Per shard: which ids repeat an earlier one, as (provisional index, first one's).
        let dups: Vec<Vec<(u32, u32)>> = (0..SHARDS)
            .into_par_iter()
            .map(|k| {
                let size: usize = buckets.iter().map(|(_, o)| o[k + 1] - o[k]).sum();
                let mut table: hashbrown::HashTable<(u32, u32)> =
                    hashbrown::HashTable::with_capacity(size);
                let mut dups = Vec::new();
                for (si, seg) in segments.iter().enumerate() {
                    let (order, offsets) = &buckets[si];
                    for &i in &order[offsets[k]..offsets[k + 1]] {
                        let (i, h) = (i as usize, seg.hashes[i as usize]);
                        let id = seg.bytes_of(i);
                        let prov = (bases[si] + i) as u32;
                        match table.find(h, |&(s2, i2)| {
                            segments[s2 as usize].bytes_of(i2 as usize) == id
                        }) {
                            Some(&(s2, i2)) => {
                                dups.push((prov, (bases[s2 as usize] + i2 as usize) as u32))
                            }
                            None => {
                                table.insert_unique(h, (si as u32, i as u32), |&(s2, i2)| {
                                    segments[s2 as usize].hashes[i2 as usize]
                                });
                            }
                        }
                    }
                }
                dups
            })
            .collect();
        let mut first: Vec<u32> = (0..total as u32).collect();
        for (prov, to) in dups.into_iter().flatten() {
            first[prov as usize] = to;
        }
        // Dense indices in first-appearance order; a repeat takes its first one's index.
        let mut dense = vec![0u32; total];
        let mut out = Ids::default();
        for (si, seg) in segments.iter().enumerate() {
            for i in 0..seg.len() {
                let prov = bases[si] + i;
                let f = first[prov] as usize;
                if f == prov {
                    dense[prov] = out.ends.len() as u32;
                    out.bytes.extend_from_slice(seg.bytes_of(i));
                    out.ends.push(out.bytes.len());
                    out.hashes.push(seg.hashes[i]);
                } else {
                    dense[prov] = dense[f];
                }
            }
        }
        (out, dense)
    }
}

/// Recurring lines, one entry per used input row, as parallel columns.
#[derive(Clone, Debug, Default)]
pub struct Lines {
    /// Customer index into [`Dataset::customers`].
    pub customer: Vec<u32>,
    /// Currency index into [`Dataset::currencies`].
    pub currency: Vec<u16>,
    /// MRR in the line's currency, in native units (`1 / (10^a * L)`).
    pub mrr: Vec<i64>,
    /// First active month: the month of `start_date`.
    pub start: Vec<Month>,
    /// First inactive month: the month of `end_date` (far future when open).
    pub end: Vec<Month>,
    /// First active day.
    pub start_date: Vec<Date>,
    /// First inactive day, if any.
    pub end_date: Vec<Option<Date>>,
    /// Billing interval in months.
    pub interval: Vec<u32>,
    /// Input position.
    pub origin: Vec<Origin>,
    /// Product line, index into [`Dataset::labels`] (`""` when not given).
    pub product: Vec<u32>,
    /// Plan or tier, index into [`Dataset::labels`].
    pub plan: Vec<u32>,
    /// Seats or units (1 when not given).
    pub quantity: Vec<u64>,
}

impl Lines {
    /// Number of lines.
    pub fn len(&self) -> usize {
        self.customer.len()
    }

    /// `true` when there are no lines.
    pub fn is_empty(&self) -> bool {
        self.customer.is_empty()
    }
}

/// A month far in the future standing for "no end".
pub const OPEN_END: Month = Month::OPEN_END;

pub use crate::fx::FxRates;

/// Everything the engine needs, validated and in exact units.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// Customer ids; a customer's index is its position.
    pub customers: Ids,
    /// Currency codes; `currencies[reporting]` is the reporting currency.
    pub currencies: Vec<String>,
    /// Product and plan names, for [`Lines::product`] and [`Lines::plan`].
    pub labels: Vec<String>,
    /// Index of the reporting currency.
    pub reporting: u16,
    /// The recurring lines.
    pub lines: Lines,
    /// The unit every figure is counted in.
    pub scale: Scale,
    /// Exchange rates.
    pub fx: FxRates,
    /// Where every input row went.
    pub ledger: RowLedger,
    /// Input file names, for [`Origin::file`].
    pub files: Vec<String>,
    /// Window used when none is given.
    pub default_window: Option<(Month, Month)>,
    /// Pauses (`--pauses zero`): spans in which a customer pays nothing but is not churned,
    /// sorted by customer. Empty for most inputs.
    pub pauses: Vec<Pause>,
    /// Usage (metered) charges, when the reader was asked for them (`--usage`): never MRR,
    /// summed by [`crate::usage::usage`] into the report's separate `usage` figure.
    pub usage: Vec<UsageCharge>,
    /// What the reader could not know about usage (for the `usage` figure's notes).
    pub usage_notes: Vec<String>,
    /// `false` when the input holds no usage amounts at all (a Stripe export without
    /// invoices): the `usage` figure is then absent, with the notes saying why.
    pub usage_known: bool,
    /// What the reader read in a way the user should know about (a reading it chose, data
    /// it could not see): the report's `notices`.
    pub notices: Vec<String>,
    /// The latest date the input shows as past, and what shows it (see the builder's).
    pub as_of: Option<(Date, String)>,
    /// Which kind of input the lines came from.
    pub kind: SourceKind,
}

/// One usage charge as the core keeps it: its amount net of discounts and tax, in its own
/// currency, placed in one month (docs/metrics.md, "Usage").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageCharge {
    /// Currency index into [`Dataset::currencies`].
    pub currency: u16,
    /// The month it counts in: the month of its last day of service.
    pub month: Month,
    /// The amount, exact as written (may be negative).
    pub amount: Decimal,
    /// Input position.
    pub origin: Origin,
}

/// One usage charge as a reader hands it over.
#[derive(Clone, Debug)]
pub struct UsageInput<'a> {
    /// Customer id.
    pub customer: &'a str,
    /// Currency code; empty means the reporting currency.
    pub currency: &'a str,
    /// The month it counts in.
    pub month: Month,
    /// Net amount (may be negative).
    pub amount: Decimal,
    /// Input position.
    pub origin: Origin,
    /// What a rejection names as the column (`currency`, or a Stripe JSON path).
    pub column: &'a str,
}

/// A customer paused over months `start..end` (the month rule of lines: paused at month M
/// when the pause covers M's last day).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pause {
    /// Customer index.
    pub customer: u32,
    /// First paused month.
    pub start: Month,
    /// First month no longer paused (far future when open).
    pub end: Month,
}

impl Dataset {
    /// The reporting currency code.
    pub fn currency(&self) -> &str {
        &self.currencies[usize::from(self.reporting)]
    }

    /// Index of a customer id.
    pub fn customer_index(&self, id: &str) -> Option<u32> {
        self.customers
            .iter()
            .position(|c| c == id)
            .map(|i| i as u32)
    }

    /// Describes an origin as `file:line`.
    pub fn describe(&self, o: Origin) -> String {
        let file = self
            .files
            .get(usize::from(o.file))
            .map_or("?", String::as_str);
        format!("{file}:{}", o.line)
    }
}

/// One recurring line as a reader hands it over.
#[derive(Clone, Debug)]
pub struct LineInput<'a> {
    /// Customer id.
    pub customer: &'a str,
    /// Currency code; empty means the reporting currency.
    pub currency: &'a str,
    /// Charge per billing interval, > 0.
    pub amount: Decimal,
    /// Billing interval in months, >= 1.
    pub interval: u32,
    /// First active day.
    pub start: Date,
    /// First inactive day (> start), if any.
    pub end: Option<Date>,
    /// Input position.
    pub origin: Origin,
}

/// What a line sells: product line, plan and quantity (all optional in the input).
#[derive(Clone, Copy, Debug)]
pub struct LineDetail<'a> {
    /// Product line (`""` when not given).
    pub product: &'a str,
    /// Plan or tier (`""` when not given).
    pub plan: &'a str,
    /// Seats or units (1 when not given).
    pub quantity: u64,
}

impl Default for LineDetail<'_> {
    fn default() -> Self {
        LineDetail {
            product: "",
            plan: "",
            quantity: 1,
        }
    }
}

/// Collects validated lines and FX rows, then fixes the exact [`Scale`].
#[derive(Debug)]
pub struct DatasetBuilder {
    kind: SourceKind,
    customers: Ids,
    /// Ids of parts absorbed from parallel readers, in order; `customers` (the ids pushed
    /// directly since the last absorb) follows them. Lines name customers by provisional
    /// index (segment base + index inside it) until `finish` merges the segments.
    segments: Vec<Ids>,
    /// Provisional index of `customers`' first id.
    base: u32,
    /// The previous line's customer: exports are usually grouped by customer, so most
    /// lookups end here without hashing.
    last_customer: Option<u32>,
    currency_ids: HashMap<String, u16>,
    currencies: Vec<String>,
    /// The previous line's currency, product and plan (most rows repeat them).
    last_labels: (u16, u32, u32),
    label_ids: HashMap<String, u32>,
    labels: Vec<String>,
    lines: Lines,
    mantissa: Vec<i64>,
    decimals: Vec<u8>,
    fx: Vec<(u16, Date, Decimal)>,
    /// fx.csv's path as the user named it, when one was read (for messages).
    fx_file: Option<String>,
    pauses: Vec<Pause>,
    /// Usage charges and the column a rejection of each names.
    usage: Vec<(UsageCharge, String)>,
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
    files: Vec<String>,
    /// customer_map.csv, applied to every line and pause by `finish`.
    customer_map: Option<CustomerMap>,
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

    fn currency_id(&mut self, code: &str) -> u16 {
        if let Some(&i) = self.currency_ids.get(code) {
            return i;
        }
        let i = self.currencies.len() as u16;
        self.currencies.push(code.to_string());
        self.currency_ids.insert(code.to_string(), i);
        i
    }

    fn label_id(&mut self, name: &str) -> u32 {
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

    /// Fixes the reporting currency and the exact scale, converting amounts to MRR units.
    ///
    /// `reporting`: the `--currency` flag, if given. Without it the only currency used by
    /// lines is the reporting currency; data without any currency reports in `XXX`.
    pub fn finish(mut self, reporting: Option<&str>) -> Result<Dataset, CoreError> {
        let used = self.line_currencies();
        let code = match reporting {
            Some(c) => c.to_string(),
            None => match used.len() {
                0 => "XXX".to_string(),
                1 => used[0].clone(),
                _ => return Err(CoreError::AmbiguousCurrency { found: used }),
            },
        };
        let reporting = self.currency_id(&code);
        // Lines with an empty currency are in the reporting currency.
        if let Some(&empty) = self.currency_ids.get("") {
            for c in &mut self.lines.currency {
                if *c == empty {
                    *c = reporting;
                }
            }
            for (u, _) in &mut self.usage {
                if u.currency == empty {
                    u.currency = reporting;
                }
            }
        }
        // Every currency the data holds amounts in needs a rate into the reporting currency.
        let mut needed = vec![false; self.currencies.len()];
        for c in self
            .lines
            .currency
            .iter()
            .chain(self.usage.iter().map(|(u, _)| &u.currency))
        {
            needed[usize::from(*c)] = true;
        }
        let needed: Vec<u16> = (0..needed.len() as u16)
            .filter(|&c| needed[usize::from(c)] && c != reporting)
            .collect();
        let (rate_decimals, fx) = crate::fx::into_reporting(&crate::fx::FxInput {
            rows: &self.fx,
            currencies: &self.currencies,
            reporting,
            needed: &needed,
            file: self.fx_file.as_deref(),
        })?;

        let amount_decimals = self.decimals.iter().copied().max().unwrap_or(0) as u32;
        let mut interval_lcm = 1u64;
        // Intervals are few (1, 3, 12, ...): a short list of those seen, checked cheaply.
        let mut seen: Vec<u32> = Vec::new();
        for &i in &self.lines.interval {
            if !seen.contains(&i) {
                seen.push(i);
                interval_lcm =
                    lcm(interval_lcm, u64::from(i)).ok_or(CoreError::PrecisionOverflow)?;
            }
        }
        let scale = Scale {
            amount_decimals,
            interval_lcm,
            rate_decimals,
        };
        // The denominator itself must fit comfortably.
        10i128
            .checked_pow(amount_decimals + rate_decimals)
            .and_then(|p| p.checked_mul(i128::from(interval_lcm)))
            .ok_or(CoreError::PrecisionOverflow)?;

        use rayon::prelude::*;
        let mrr: Vec<i64> = (0..self.mantissa.len())
            .into_par_iter()
            .with_min_len(1 << 16)
            .map(|i| {
                let up = 10i64.pow(amount_decimals - u32::from(self.decimals[i]));
                let per = (interval_lcm / u64::from(self.lines.interval[i])) as i64;
                self.mantissa[i]
                    .checked_mul(up)
                    .and_then(|v| v.checked_mul(per))
                    .ok_or(i)
            })
            .collect::<Result<_, usize>>()
            .map_err(|i| CoreError::AmountOverflow {
                at: self.position(i),
                amount: self.amount_text(i),
                interval_lcm,
            })?;
        let total: i128 = mrr.par_iter().map(|&v| i128::from(v)).sum();
        self.lines.mrr = mrr;

        let max_rate: i128 = fx
            .by_currency
            .iter()
            .flatten()
            .map(|r| i128::from(r.1))
            .fold(scale.rate_one(), i128::max);
        // Every aggregate is a sum of at most 12 months of at most 2x the total converted
        // MRR, so this bound makes unchecked arithmetic in the engine safe; the further 128
        // leaves room for the shown figures' cents (foot: x 100).
        if total
            .checked_mul(max_rate)
            .and_then(|v| v.checked_mul(64 * 128))
            .is_none()
        {
            let largest = (0..self.lines.mrr.len())
                .max_by_key(|&i| self.lines.mrr[i])
                .map_or_else(String::new, |i| {
                    format!("{}: {}", self.position(i), self.amount_text(i))
                });
            return Err(CoreError::TotalOverflow { largest });
        }

        let default_window = self.default_window();
        let customers = if self.segments.is_empty() {
            self.customers
        } else {
            let mut segments = std::mem::take(&mut self.segments);
            segments.push(self.customers);
            let (ids, dense) = Ids::unify(segments);
            use rayon::prelude::*;
            self.lines
                .customer
                .par_iter_mut()
                .for_each(|c| *c = dense[*c as usize]);
            for p in &mut self.pauses {
                p.customer = dense[p.customer as usize];
            }
            ids
        };
        let customers = match self.customer_map.take() {
            Some(map) => {
                let (ids, mapped) = merge_ids(customers, &map, &mut self.lines, &mut self.pauses);
                self.ledger.mapped = Some(mapped);
                ids
            }
            None => customers,
        };
        if let Some(n) = spells_inside_one_month(&self.lines, &customers) {
            self.notices.push(n);
        }
        let mut pauses = std::mem::take(&mut self.pauses);
        pauses.retain(|p| p.start < p.end);
        pauses.sort_by_key(|p| (p.customer, p.start));
        Ok(Dataset {
            customers,
            currencies: self.currencies,
            labels: self.labels,
            reporting,
            lines: self.lines,
            scale,
            fx,
            ledger: self.ledger,
            files: self.files,
            default_window,
            pauses,
            usage: self.usage.into_iter().map(|(u, _)| u).collect(),
            usage_notes: self.usage_notes,
            usage_known: self.usage_known,
            notices: self.notices,
            as_of: self.as_of,
            kind: self.kind,
        })
    }

    /// `file:line` of line `i`.
    fn position(&self, i: usize) -> String {
        let o = self.lines.origin[i];
        let file = self
            .files
            .get(usize::from(o.file))
            .map_or("", String::as_str);
        format!("{file}:{}", o.line)
    }

    /// Line `i`'s amount as read.
    fn amount_text(&self, i: usize) -> String {
        crate::money::format_scaled(i128::from(self.mantissa[i]), u32::from(self.decimals[i]))
    }

    fn default_window(&self) -> Option<(Month, Month)> {
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

/// The customer ids with those `map` replaces merged into their targets (new indices in
/// first-appearance order), every line and pause moved to its customer's new index; returns
/// the ids and the number of lines whose customer was mapped.
fn merge_ids(ids: Ids, map: &CustomerMap, lines: &mut Lines, pauses: &mut [Pause]) -> (Ids, u64) {
    let mut merged = Ids::default();
    let mut was_mapped = Vec::with_capacity(ids.len());
    let new_index: Vec<u32> = ids
        .iter()
        .map(|id| {
            let target = map.target(id);
            was_mapped.push(target.is_some());
            merged.intern(target.unwrap_or(id))
        })
        .collect();
    let mut mapped = 0u64;
    for c in &mut lines.customer {
        mapped += u64::from(was_mapped[*c as usize]);
        *c = new_index[*c as usize];
    }
    for p in pauses {
        p.customer = new_index[p.customer as usize];
    }
    (merged, mapped)
}

/// Says how many revenue spells (a customer's time with a line in force, lines that touch or
/// overlap joined) start and end inside one calendar month: no month-end MRR holds them, so
/// that revenue is in no figure (docs/metrics.md §5), which a reader should not have to find
/// out alone. Only customers with a line inside one month are looked at, so the usual input
/// costs one pass over the lines.
fn spells_inside_one_month(lines: &Lines, customers: &Ids) -> Option<String> {
    let inside = |i: usize| {
        lines.start[i] == lines.end[i] && lines.end_date[i].is_some_and(|e| e > lines.start_date[i])
    };
    let mut suspect = vec![false; customers.len()];
    let mut any = false;
    for i in (0..lines.len()).filter(|&i| inside(i)) {
        suspect[lines.customer[i] as usize] = true;
        any = true;
    }
    if !any {
        return None;
    }
    // (customer, start, end or far future, line) of every line of those customers.
    let far = Date::from_days(i32::MAX / 2);
    let mut spans: Vec<(u32, Date, Date, usize)> = (0..lines.len())
        .filter(|&i| suspect[lines.customer[i] as usize])
        .map(|i| {
            let end = lines.end_date[i].unwrap_or(far);
            (lines.customer[i], lines.start_date[i], end, i)
        })
        .collect();
    spans.sort_unstable();
    let mut count = 0u64;
    let mut first: Option<(u32, Date, Date, usize)> = None;
    let mut k = 0;
    while k < spans.len() {
        let (c, start, mut end, line) = spans[k];
        k += 1;
        while k < spans.len() && spans[k].0 == c && spans[k].1 <= end {
            end = end.max(spans[k].2);
            k += 1;
        }
        if end != far && start.month() == end.month() {
            count += 1;
            // The example: the earliest such spell, ties to the smaller id, so that the row
            // order of the input does not change it.
            let key = |x: &(u32, Date, Date, usize)| (x.1, customers.get(x.0 as usize));
            let this = (c, start, end, line);
            if first.is_none_or(|f| key(&this) < key(&f)) {
                first = Some(this);
            }
        }
    }
    let (c, start, end, _) = first?;
    Some(format!(
        "{count} revenue spell(s) start and end inside one calendar month (the first: customer \
         {}, {start} to {end}; nrr explain shows its lines), so no month-end MRR holds them and \
         that revenue is in no figure (docs/metrics.md §5)",
        customers.get(c as usize),
    ))
}
