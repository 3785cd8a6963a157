//! Documents people look at, drawn from one assembled [`nrr_core::report::Report`] and its
//! [`nrr_core::detail::Detail`]: a self-contained HTML report (`html`) and an Excel workbook
//! with live formulas (`xlsx`). Neither computes a figure: both show the report's, so every
//! format agrees with `--format json` to the cent.

pub mod html;
#[cfg(feature = "xlsx")]
pub mod xlsx;
