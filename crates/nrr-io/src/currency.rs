//! The reporting-currency rule, written once: every reader that needs the reporting currency
//! before the dataset is built asks here, and the pipeline hands the same answer to the core.

use crate::options::LoadOptions;
use nrr_core::dataset::DatasetBuilder;

/// The reporting currency: `--currency`, else the one currency of the lines (an empty code
/// is the reporting currency itself); `None` when the lines have several.
pub(crate) fn reporting_currency(opts: &LoadOptions, builder: &DatasetBuilder) -> Option<String> {
    match &opts.currency {
        Some(c) => Some(c.clone()),
        None => {
            let used = builder.line_currencies();
            (used.len() == 1).then(|| used[0].clone())
        }
    }
}
