//! Usage (metered) revenue, reported apart from MRR.

use super::*;

/// `--usage`: usage (metered) revenue per month, a figure of its own: never part of MRR, of
/// any movement or of the bridge identities (docs/metrics.md, "Usage").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// `false` when the input holds no usage amounts (a Stripe export without invoices):
    /// `months` and `periods` are then empty and `total` is `null`; `notes` say why.
    pub known: bool,
    /// Every month of the window: the usage billed for service in it, in the reporting
    /// currency at the month-end rate.
    pub months: Vec<UsageMonth>,
    /// The sums over each complete quarter and year of the window (as in `periods`).
    pub periods: Vec<UsagePeriod>,
    /// The sum over the window; `null` when unknown.
    pub total: Option<Money>,
    /// Usage charges counted in the window.
    pub charges: u64,
    /// Usage charges read whose month is outside the window (not in any figure).
    pub outside_window: u64,
    /// What is not in the figure, and why (omitted when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The exact value of an amount above whose shown value is not exactly it, by key;
    /// omitted when none (docs/metrics.md, "Shown figures foot").
    #[serde(skip_serializing_if = "Exact::is_empty")]
    pub exact: Exact,
}

/// One month of usage revenue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UsageMonth {
    /// The month.
    pub month: Month,
    /// Usage revenue of the month (0.00 when none), in the reporting currency.
    pub amount: Money,
    /// Usage charges placed in the month.
    pub charges: u64,
}

/// Usage revenue of a complete quarter or year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UsagePeriod {
    /// `2024-Q1` or `2024`.
    pub period: String,
    /// The sum of its months.
    pub amount: Money,
    /// The exact value of an amount above whose shown value is not exactly it, by key;
    /// omitted when none (docs/metrics.md, "Shown figures foot").
    #[serde(skip_serializing_if = "Exact::is_empty")]
    pub exact: Exact,
}
