//! The monthly MRR bridge.

use super::*;

/// One month of the MRR bridge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthRow {
    /// The month.
    pub month: Month,
    /// MRR at the end of the previous month, at that month's rates.
    pub opening_mrr: Money,
    /// First-ever paying month of a customer.
    pub new: Money,
    /// A returning customer's MRR after a month at zero.
    pub reactivation: Money,
    /// Increase of existing customers, constant currency.
    pub expansion: Money,
    /// Decrease of existing customers that stay above zero (positive magnitude).
    pub contraction: Money,
    /// MRR of customers that fell to zero (positive magnitude).
    pub churn: Money,
    /// Change from exchange rates alone.
    pub fx: Money,
    /// Segments taken from the lines (`--segment product|plan`) only: the previous month's
    /// MRR of customers whose segment changed this month, moved into this segment ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_in: Option<Money>,
    /// ... and out of it. opening + new + reactivation + expansion - contraction - churn + fx
    /// + moved_in - moved_out = closing, in every segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_out: Option<Money>,
    /// `--pauses zero` only: MRR of customers that paused this month (not churned) ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<Money>,
    /// ... and of customers back from a pause. With them, opening + new + reactivation +
    /// expansion - contraction - churn - paused + resumed + fx = closing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed: Option<Money>,
    /// MRR at the end of the month, at its rates.
    pub closing_mrr: Money,
    /// Customers with MRR > 0 at the end of the month.
    pub customers: u64,
    /// Customers counted as new.
    pub new_customers: u64,
    /// Customers counted as reactivated.
    pub reactivated_customers: u64,
    /// Customers counted as churned.
    pub churned_customers: u64,
    /// `--pauses zero` only: customers that paused this month.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_customers: Option<u64>,
    /// `--pauses zero` only: customers back from a pause this month.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_customers: Option<u64>,
    /// Expansion by reason.
    pub expansion_by_reason: ExpansionByReason,
    /// Contraction by reason.
    pub contraction_by_reason: ContractionByReason,
    /// Notes from annotations.csv for this month (omitted when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// The exact value of every amount above whose shown (footed, 2-decimal) value is not
    /// exactly it, by key (`"expansion_by_reason.seats"` for a nested one); omitted when none
    /// (docs/metrics.md, "Shown figures foot").
    #[serde(skip_serializing_if = "Exact::is_empty")]
    pub exact: Exact,
}

/// The sum of a run of months' movements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bridge {
    /// Opening MRR of the first month.
    pub opening: Money,
    /// Sum of new.
    pub new: Money,
    /// Sum of reactivation.
    pub reactivation: Money,
    /// Sum of expansion.
    pub expansion: Money,
    /// Sum of contraction (positive).
    pub contraction: Money,
    /// Sum of churn (positive).
    pub churn: Money,
    /// Sum of fx.
    pub fx: Money,
    /// Sum of paused (`--pauses zero` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<Money>,
    /// Sum of resumed (`--pauses zero` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed: Option<Money>,
    /// Sum of moved_in (segments taken from the lines only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_in: Option<Money>,
    /// Sum of moved_out (segments taken from the lines only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_out: Option<Money>,
    /// Closing MRR of the last month.
    pub closing: Money,
    /// The exact value of every amount above whose shown (footed, 2-decimal) value is not
    /// exactly it, by key (`"expansion_by_reason.seats"` for a nested one); omitted when none
    /// (docs/metrics.md, "Shown figures foot").
    #[serde(skip_serializing_if = "Exact::is_empty")]
    pub exact: Exact,
}
