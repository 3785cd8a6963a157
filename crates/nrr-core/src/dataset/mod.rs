//! The columnar input the engine works on, and the builder readers fill.

mod builder;
mod finish;
mod ids;
mod item_rows;

pub use builder::DatasetBuilder;
pub use finish::{Reporting, NO_CURRENCY};
pub use ids::Ids;
pub use item_rows::{ItemRow, ItemRows};

use crate::date::{Date, Month};
use crate::money::{Decimal, Scale};
use crate::report::RowLedger;

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
    /// summed by the `usage` module into the report's separate `usage` figure.
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
