//! What resolve decides besides the values: where each setting came from ([`Origin`], one
//! [`Echo`] per setting, echoed by the report) and the typed `[review]` table ([`Review`]).

use super::config::Role;
use nrr_core::money::Decimal;
use std::fmt;

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Given on the command line.
    Flag,
    /// Written in the configuration file `file` at `line`.
    Config { file: String, line: usize },
    /// Set by the preset of that name.
    Preset(&'static str),
    /// Nothing chose it.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag => f.write_str("flag"),
            Origin::Config { file, line } => write!(f, "config ({file}:{line})"),
            Origin::Preset(name) => write!(f, "preset {name}"),
            Origin::Default => f.write_str("default"),
        }
    }
}

/// One setting as decided: its key in the configuration file, its value and its origin.
#[derive(Clone, Debug)]
pub(crate) struct Echo {
    pub key: &'static str,
    pub value: String,
    pub origin: Origin,
}

/// `[review]` (docs/config.md): who reviews a release and what they are shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Review {
    /// The roles that sign a release off, in order.
    pub roles: Vec<Role>,
    /// Churned or contracted accounts above this amount (reporting currency) are reviewed.
    pub churn_threshold: Decimal,
    /// Segments whose NRR or GRR moved by more than this fraction are reviewed.
    pub segment_shift_threshold: Decimal,
}

impl Default for Review {
    fn default() -> Self {
        Review {
            roles: Role::ALL.to_vec(),
            churn_threshold: Decimal {
                mantissa: 1000,
                decimals: 0,
            },
            segment_shift_threshold: Decimal {
                mantissa: 5,
                decimals: 2,
            },
        }
    }
}
