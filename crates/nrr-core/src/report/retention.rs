//! Frozen-cohort retention by period and TTM, the period metrics, concentration, top
//! customers and the reasons for expansion and contraction.

use super::*;

/// Frozen-cohort retention between t0 and t1.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Retention {
    /// Cohort MRR at t0.
    pub starting_mrr: Money,
    /// Growth of cohort customers still paying at t1, at t0's rates.
    pub expansion: Money,
    /// Decline of cohort customers still paying at t1 (positive).
    pub contraction: Money,
    /// t0 MRR of cohort customers at zero at t1 (positive).
    pub churn: Money,
    /// Cohort MRR at t1, at t0's rates.
    pub ending_cohort_mrr: Money,
    /// ending / starting; `null` when starting is 0.
    pub nrr: Option<f64>,
    /// (starting - contraction - churn) / starting; `null` when starting is 0.
    pub grr: Option<f64>,
    /// Customers with MRR > 0 at t0.
    pub cohort_customers: u64,
    /// Cohort customers with MRR 0 at t1.
    pub churned_customers: u64,
    /// churned / cohort customers; `null` for an empty cohort.
    pub logo_churn_rate: Option<f64>,
    /// Cohort MRR at t1 at t1's rates minus at t0's rates.
    pub fx_impact: Money,
    /// Cohort expansion by reason.
    pub expansion_by_reason: ExpansionByReason,
    /// Cohort contraction by reason.
    pub contraction_by_reason: ContractionByReason,
    /// The exact value of every amount above whose shown (footed, 2-decimal) value is not
    /// exactly it, by key (`"expansion_by_reason.seats"` for a nested one); omitted when none
    /// (docs/metrics.md, "Shown figures foot").
    #[serde(skip_serializing_if = "Exact::is_empty")]
    pub exact: Exact,
}

/// Operating metrics of a period, from its bridge and customer counts (docs/metrics.md).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodMetrics {
    /// 12 x closing MRR.
    pub arr: Money,
    /// Closing MRR / customers at the end; `null` without customers.
    pub arpa: Option<Money>,
    /// Customers with MRR > 0 at the end of the month before the period.
    pub customers_start: u64,
    /// New customers in the period's months.
    pub customers_new: u64,
    /// Reactivations in the period's months.
    pub customers_reactivated: u64,
    /// Churn events in the period's months (a customer churning twice counts twice).
    pub customers_churned: u64,
    /// Customers with MRR > 0 at the end of the period.
    pub customers_end: u64,
    /// Bridge churn / opening MRR.
    pub revenue_churn_rate: Option<f64>,
    /// (churn + contraction - expansion - reactivation) / opening MRR.
    pub net_mrr_churn_rate: Option<f64>,
    /// (new + reactivation + expansion) / (contraction + churn).
    pub quick_ratio: Option<f64>,
    /// ARPA x gross margin / monthly revenue churn rate (sum of churn / sum of opening MRR
    /// over the period's months); `null` without churn or customers.
    pub ltv: Option<Money>,
    /// The exact value of every amount above whose shown (footed, 2-decimal) value is not
    /// exactly it, by key (`"expansion_by_reason.seats"` for a nested one); omitted when none
    /// (docs/metrics.md, "Shown figures foot").
    #[serde(skip_serializing_if = "Exact::is_empty")]
    pub exact: Exact,
}

/// One customer carrying more than the configured share of a period's cohort expansion or
/// churn: worth a look before the figure is read as a trend.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Concentration {
    /// `expansion` or `churn`.
    pub movement: &'static str,
    /// The customer.
    pub customer_id: String,
    /// Its contribution.
    pub amount: Money,
    /// Its share of the period's total for that movement (6 decimals).
    pub share: Option<f64>,
}

/// The cohort customers that churned, contracted and expanded the most in a period (`--top N`,
/// docs/metrics.md "Top customers"): each list is largest first, ties to the smaller customer
/// id, at most N long. Amounts are parts of the period's cohort `churn`, `contraction` and
/// `expansion` (at t0's rates). Empty lists are omitted, and the whole object when all are.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TopCustomers {
    /// By churn: their MRR at t0.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub churn: Vec<TopCustomer>,
    /// By contraction: t0 MRR minus t1 MRR at t0's rates (a customer paused at t1 under
    /// `--pauses zero` contracts by its t0 MRR, as in the cohort figure).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contraction: Vec<TopCustomer>,
    /// By expansion: t1 MRR at t0's rates minus t0 MRR.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expansion: Vec<TopCustomer>,
}

impl TopCustomers {
    /// `true` when every list is empty.
    pub fn is_empty(&self) -> bool {
        self.churn.is_empty() && self.contraction.is_empty() && self.expansion.is_empty()
    }
}

/// One entry of a [`TopCustomers`] list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopCustomer {
    /// The customer.
    pub customer_id: String,
    /// Its contribution (positive).
    pub amount: Money,
    /// Its share of the period's cohort figure for the movement (6 decimals).
    pub share: Option<f64>,
}

/// Expansion split by why it happened (docs/metrics.md): the parts sum to the expansion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpansionByReason {
    /// More seats or units on the same product and plan.
    pub seats: Money,
    /// Same product, plan, quantity and interval; only the amount rose.
    pub price: Money,
    /// A move to another plan of the same product.
    pub plan: Money,
    /// A product line the customer did not have before.
    pub cross_sell: Money,
    /// A change of billing interval.
    pub interval: Money,
    /// Several of these at once.
    pub mixed: Money,
}

/// Contraction split by why it happened: the parts sum to the contraction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContractionByReason {
    /// Fewer seats or units on the same product and plan.
    pub seats: Money,
    /// Only the amount fell.
    pub price: Money,
    /// A move to another plan of the same product.
    pub plan: Money,
    /// A product line the customer dropped.
    pub product_removed: Money,
    /// A change of billing interval.
    pub interval: Money,
    /// Several of these at once.
    pub mixed: Money,
}

/// Granularity of a reported period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// One calendar month.
    Month,
    /// A complete calendar quarter.
    Quarter,
    /// A complete calendar year.
    Year,
}

/// A reported period: month, quarter or year.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodRow {
    /// `2024-03`, `2024-Q1` or `2024`.
    pub period: String,
    /// Month, quarter or year.
    pub granularity: Granularity,
    /// First month of the period.
    pub start_month: Month,
    /// Last month of the period (t1).
    pub end_month: Month,
    /// Frozen-cohort retention.
    #[serde(flatten)]
    pub retention: Retention,
    /// The period's MRR bridge.
    pub bridge: Bridge,
    /// ARR, ARPA, customer counts, churn rates, quick ratio, LTV.
    pub metrics: PeriodMetrics,
    /// Notes from annotations.csv for this period (omitted when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// Customers above the concentration threshold (omitted when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub concentration: Vec<Concentration>,
    /// The top churned, contracted and expanded cohort customers (`--top`; totals only;
    /// omitted when none).
    #[serde(skip_serializing_if = "TopCustomers::is_empty")]
    pub top_customers: TopCustomers,
}

/// Trailing-twelve-month retention at one month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TtmRow {
    /// t1.
    pub month: Month,
    /// The month twelve months earlier.
    pub t0: Month,
    /// Frozen-cohort retention.
    #[serde(flatten)]
    pub retention: Retention,
    /// The twelve months' MRR bridge.
    pub bridge: Bridge,
    /// ARR, ARPA, customer counts, churn rates, quick ratio, LTV over the twelve months.
    pub metrics: PeriodMetrics,
    /// Customers above the concentration threshold (omitted when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub concentration: Vec<Concentration>,
    /// The top churned, contracted and expanded cohort customers (`--top`; totals only;
    /// omitted when none).
    #[serde(skip_serializing_if = "TopCustomers::is_empty")]
    pub top_customers: TopCustomers,
}
