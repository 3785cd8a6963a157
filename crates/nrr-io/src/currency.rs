//! The reporting currency, decided once per load: the pipeline (`load::finish`) asks here
//! after the revenue and side files are read, and hands the same answer to the movement check
//! of revenue_movements and to the core ([`DatasetBuilder::finish`]).

use crate::error::IoError;
use crate::options::LoadOptions;
use nrr_core::dataset::{DatasetBuilder, Reporting};

/// The reporting currency by the core's rule ([`DatasetBuilder::reporting`]): `--currency`,
/// else the one currency of the lines; an error when they have several.
pub(crate) fn decide(opts: &LoadOptions, builder: &DatasetBuilder) -> Result<Reporting, IoError> {
    Ok(builder.reporting(opts.currency.as_deref())?)
}
