//! Figures as the page shows them: money with thousands separators and two decimals (the
//! report's shown, footed cents), ratios as percentages with one decimal.

use nrr_core::money::{format_scaled, grouped, Money};

/// Cents as a plain decimal, as the JSON writes money: `-1234.50`.
pub(crate) fn cents(v: i128) -> String {
    format_scaled(v, 2)
}

/// Cents with thousands separators: `-1,234.50`.
pub(crate) fn money_cents(v: i128) -> String {
    grouped(&cents(v))
}

/// A shown amount with thousands separators.
pub(crate) fn money(m: Money) -> String {
    grouped(&m.to_string())
}

/// An axis label: `12.5k`, `1.2M`.
pub(crate) fn short_money(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}B", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// A ratio as a percentage with one decimal; `–` when undefined.
pub(crate) fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "–".to_string(), |v| format!("{:.1}%", v * 100.0))
}

/// A ratio as the JSON writes it (for `data-v`); empty when undefined.
pub(crate) fn ratio_value(r: Option<f64>) -> String {
    r.map_or_else(String::new, |v| v.to_string())
}
