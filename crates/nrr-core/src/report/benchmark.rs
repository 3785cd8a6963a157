//! Where the latest TTM NRR sits against published figures (docs/benchmarks.md).

use super::*;

/// The latest TTM NRR read against the published figures of `crates/nrr-core/data/
/// nrr_benchmarks.csv` (docs/benchmarks.md).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BenchmarkContext {
    /// 12 x closing MRR of `arr_month`, in the reporting currency.
    pub arr: Money,
    /// The last month of the window.
    pub arr_month: Month,
    /// The ARR band the figures are read for (`"$1M-$3M"`); `null` when the report is not in
    /// USD (the bands are in USD) or no published figure covers this ARR.
    pub arr_band: Option<String>,
    /// Reporting currency.
    pub currency: String,
    /// The last TTM month with an NRR; `null` when there is none.
    pub ttm_month: Option<Month>,
    /// That TTM NRR (a fraction, 6 decimals); `null` when there is none.
    pub ttm_nrr: Option<f64>,
    /// One entry per published figure that applies, band figures first; empty without a TTM
    /// NRR.
    pub comparisons: Vec<BenchmarkComparison>,
    /// One plain line saying all of the above.
    pub summary: String,
    /// The exact value of an amount above whose shown value is not exactly it, by key;
    /// omitted when none (docs/metrics.md, "Shown figures foot").
    #[serde(skip_serializing_if = "Exact::is_empty")]
    pub exact: Exact,
}

/// The TTM NRR against one published figure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BenchmarkComparison {
    /// The figure's `id` in the data file.
    pub id: &'static str,
    /// `top_quartile`, `median`, `range` or `threshold`.
    pub statistic: &'static str,
    /// The figure in percent as published (`"94"`), or the low end of a range.
    pub value_low: &'static str,
    /// The high end of a range; `null` for a single figure.
    pub value_high: Option<&'static str>,
    /// Who the figure describes.
    pub population: &'static str,
    /// Who published it.
    pub publisher: &'static str,
    /// The page that states it.
    pub source_title: &'static str,
    /// Its address.
    pub source_url: &'static str,
    /// `false` when the stating page was not located (docs/benchmarks.md).
    pub verified: bool,
    /// Where the TTM NRR sits: `above`, `below`, `equal` (single figures) or `within` (a range,
    /// ends included).
    pub relation: &'static str,
}
