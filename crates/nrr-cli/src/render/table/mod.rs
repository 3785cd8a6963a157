//! Aligned plain-text tables: the grid and its cells ([`grid`]), and one module per output
//! (the report and its figures, cohorts, an explanation, a comparison).

mod cohorts;
mod compare;
mod explain;
mod figures;
mod grid;
mod report;

pub use cohorts::cohorts;
pub use compare::comparison;
pub use explain::explanation;
pub use grid::{grid, heading, money, percent};
pub use report::{ledger, report};
