//! Vendor presets (`--preset`): the combination of policies each tool documents, so a user
//! can reproduce the figure their old tool showed. The table, with the reasons and sources for
//! each choice, is in docs/policies.md; `PRESETS` must stay in step with it (a test checks).

use super::{
    ChurnRecognition, Discounts, FullRefunds, InvoicePolicies, PastDue, Pauses, Reactivation,
};

/// One tool's documented policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    /// `chartmogul`, `profitwell`, `baremetrics`, `stripe`, `maxio` or `dbt`.
    pub name: &'static str,
    /// The reader policies (they act on invoices.csv; items.csv and mrr.csv already hold
    /// their result and ignore them).
    pub invoices: InvoicePolicies,
    /// How a returning customer counts.
    pub reactivation: Reactivation,
}

/// Every preset, in the order of docs/policies.md.
pub const PRESETS: [Preset; 6] = [
    Preset {
        name: "chartmogul",
        invoices: InvoicePolicies {
            churn_recognition: ChurnRecognition::AtPeriodEnd,
            discounts: Discounts::All,
            past_due: PastDue::Keep,
            pauses: Pauses::Keep,
            full_refunds: FullRefunds::Ignore,
        },
        reactivation: Reactivation::AnyGap,
    },
    Preset {
        name: "profitwell",
        invoices: InvoicePolicies {
            churn_recognition: ChurnRecognition::AtPeriodEnd,
            discounts: Discounts::All,
            past_due: PastDue::KeepDays(15),
            pauses: Pauses::Zero,
            full_refunds: FullRefunds::Ignore,
        },
        reactivation: Reactivation::AnyGap,
    },
    Preset {
        name: "baremetrics",
        invoices: InvoicePolicies {
            churn_recognition: ChurnRecognition::AtPeriodEnd,
            discounts: Discounts::All,
            past_due: PastDue::KeepDays(30),
            pauses: Pauses::Keep,
            full_refunds: FullRefunds::Ignore,
        },
        reactivation: Reactivation::AnyGap,
    },
    Preset {
        name: "stripe",
        invoices: InvoicePolicies {
            churn_recognition: ChurnRecognition::AtCancellation,
            discounts: Discounts::ForeverOnly,
            past_due: PastDue::Keep,
            pauses: Pauses::Churn,
            full_refunds: FullRefunds::Ignore,
        },
        reactivation: Reactivation::AnyGap,
    },
    Preset {
        name: "maxio",
        invoices: InvoicePolicies {
            churn_recognition: ChurnRecognition::AtCancellation,
            discounts: Discounts::All,
            past_due: PastDue::Keep,
            pauses: Pauses::Keep,
            full_refunds: FullRefunds::Ignore,
        },
        reactivation: Reactivation::Window(3),
    },
    Preset {
        name: "dbt",
        invoices: InvoicePolicies {
            churn_recognition: ChurnRecognition::AtPeriodEnd,
            discounts: Discounts::All,
            past_due: PastDue::KeepDays(30),
            pauses: Pauses::Keep,
            full_refunds: FullRefunds::Ignore,
        },
        reactivation: Reactivation::AnyGap,
    },
];

/// The preset named `name`.
///
/// ```
/// let maxio = nrr_core::policy::presets::preset("maxio").unwrap();
/// assert_eq!(maxio.reactivation, nrr_core::policy::Reactivation::Window(3));
/// assert!(nrr_core::policy::presets::preset("quickbooks").is_none());
/// ```
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/policies.md's preset table lists every preset with the values this module uses.
    #[test]
    fn the_docs_table_matches_the_presets() {
        let doc = include_str!("../../../../docs/policies.md");
        for p in PRESETS {
            let row = doc
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", p.name)))
                .unwrap_or_else(|| panic!("docs/policies.md has no preset row for {}", p.name));
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let want = [
                p.invoices.churn_recognition.name().to_string(),
                p.reactivation.label(),
                p.invoices.discounts.name().to_string(),
                p.invoices.past_due.name(),
                p.invoices.pauses.name().to_string(),
                p.invoices.full_refunds.name().to_string(),
            ];
            for (k, w) in want.iter().enumerate() {
                assert!(
                    cells[3 + k].starts_with(&format!("`{w}`")),
                    "{}: column {} is {:?}, the code says {w}",
                    p.name,
                    k + 3,
                    cells[3 + k]
                );
            }
        }
    }
}
