//! Reactivation: how a customer that pays again after months at zero counts
//! (docs/policies.md#reactivation).

/// How a customer that pays again after one or more months at zero counts
/// (`--reactivation`, docs/policies.md#reactivation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reactivation {
    /// Any gap: the return is reactivation (ChartMogul, ProfitWell, Stripe, the dbt
    /// mrr-playbook).
    #[default]
    AnyGap,
    /// A return after more than N months at zero is new business, like a first sign-up
    /// (Maxio: reactivation only within 90 days).
    Window(u32),
    /// No reactivation category: a return is expansion (Lago). The customer count still
    /// records the returning customer as reactivated, so customer counts add up.
    AsExpansion,
}

impl Reactivation {
    /// Parses `any-gap`, `window:N` (N >= 0 months) or `as-expansion`.
    ///
    /// ```
    /// use nrr_core::policy::Reactivation;
    /// assert_eq!(Reactivation::parse("window:3"), Some(Reactivation::Window(3)));
    /// assert_eq!(Reactivation::parse("as-expansion"), Some(Reactivation::AsExpansion));
    /// assert_eq!(Reactivation::parse("window:"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Reactivation> {
        match s {
            "any-gap" => Some(Reactivation::AnyGap),
            "as-expansion" => Some(Reactivation::AsExpansion),
            _ => s
                .strip_prefix("window:")
                .and_then(|n| n.parse().ok())
                .map(Reactivation::Window),
        }
    }

    /// The name echoed in the report's `policies`.
    pub fn label(self) -> String {
        match self {
            Reactivation::AnyGap => "any-gap".into(),
            Reactivation::Window(n) => format!("window:{n}"),
            Reactivation::AsExpansion => "as-expansion".into(),
        }
    }
}

/// How a customer's MRR starting from zero in a month counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// New business (the first-ever paying month, or a return after a long gap under
    /// `window:N`).
    New,
    /// Reactivation.
    Reactivation,
    /// Expansion (`as-expansion`).
    Expansion,
}

impl Reactivation {
    /// The reactivation rule, the one place it is written: how a start from zero counts.
    /// `first` says the month is the customer's first paying month ever; `months_at_zero`
    /// gives how many months at zero came before it (asked only under `window:N`). The
    /// engine's report and the snapshots' movement check both count through here.
    ///
    /// ```
    /// use nrr_core::policy::{Reactivation, Start};
    /// assert_eq!(Reactivation::Window(3).start(false, || 4), Start::New);
    /// assert_eq!(Reactivation::Window(3).start(false, || 3), Start::Reactivation);
    /// assert_eq!(Reactivation::AsExpansion.start(false, || 9), Start::Expansion);
    /// assert_eq!(Reactivation::AnyGap.start(true, || 0), Start::New);
    /// ```
    pub fn start(self, first: bool, months_at_zero: impl FnOnce() -> i32) -> Start {
        if first {
            return Start::New;
        }
        match self {
            Reactivation::AnyGap => Start::Reactivation,
            Reactivation::AsExpansion => Start::Expansion,
            Reactivation::Window(n) if months_at_zero() > n as i32 => Start::New,
            Reactivation::Window(_) => Start::Reactivation,
        }
    }
}
