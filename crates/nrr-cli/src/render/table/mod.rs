//! Aligned plain-text tables: the grid and its cells ([`grid`]), and one module per output
//! (the report and its figures, cohorts, an explanation, a comparison).

mod cohorts;
mod compare;
mod explain;
mod figures;
mod grid;
mod report;

pub(crate) use cohorts::cohorts;
pub(crate) use compare::comparison;
pub(crate) use explain::explanation;
pub(crate) use grid::{grid, heading, money, percent};
pub(crate) use report::{ledger, report};
