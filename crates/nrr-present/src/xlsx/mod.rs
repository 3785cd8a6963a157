//! The Excel workbook: one row per period as finance keeps NRR by hand, with live formulas.
//!
//! Sheets, in order (their columns are documented in docs/cli.md#xlsx, stable like the JSON
//! keys): `Retention` ([`retention`], with NRR and GRR trend charts, [`charts`]), `Bridge` ([`bridge`]), `Cohorts` ([`cohorts`]),
//! `Segments` ([`segments`], only with `--segment`), `Movements` ([`movements`]) and
//! `Definitions` ([`definitions`]).
//!
//! Rules every sheet keeps:
//! - money is a number of the shown cents (the report's footed figures) with a 2-decimal money
//!   format; ratios are numbers with a percent format;
//! - every formula cell also stores its computed value, so a viewer that does not recalculate
//!   shows the right figure;
//! - text a user typed (customer ids, segment values, notes, file names) is written with
//!   [`Sheet::text`], always a string cell: never a formula or a number, whatever it starts
//!   with;
//! - nothing depends on a clock or the thread count: the same report gives the same bytes.

mod bridge;
mod charts;
mod cohorts;
mod definitions;
mod movements;
mod retention;
mod segments;

pub use movements::MOVEMENT_ROWS_MAX;

use nrr_core::detail::Detail;
use nrr_core::money::Money;
use nrr_core::report::Report;
use rust_xlsxwriter::{
    ColNum, DocProperties, ExcelDateTime, Format, FormatAlign, Formula, RowNum, Workbook, Worksheet,
};

/// A workbook that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("could not write the workbook: {0}")]
pub struct XlsxError(#[from] rust_xlsxwriter::XlsxError);

/// The workbook's bytes.
pub fn workbook(report: &Report, detail: &Detail) -> Result<Vec<u8>, XlsxError> {
    workbook_with(report, detail, movements_sheet(detail)?)
}

/// The `Movements` sheet ([`movements`]), written apart from the rest of the workbook: it
/// needs only the [`Detail`]'s movement rows, not the [`Report`], so a caller can write its
/// cells (600,000 at a million customers, one thread) while the report is assembled.
pub struct MovementsSheet(Worksheet);

/// The `Movements` sheet of `detail`'s movement rows, for [`workbook_with`].
pub fn movements_sheet(detail: &Detail) -> Result<MovementsSheet, XlsxError> {
    let mut ws = Worksheet::new();
    prepare(&mut ws, "Movements")?;
    movements::sheet(Sheet { ws: &mut ws }, detail, &Styles::new())?;
    Ok(MovementsSheet(ws))
}

/// The workbook's bytes, with `movements` ([`movements_sheet`] of the same `detail`) as its
/// `Movements` sheet: the same bytes as [`workbook`].
pub fn workbook_with(
    report: &Report,
    detail: &Detail,
    movements: MovementsSheet,
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    // A fixed creation time (the zip entries' times are fixed by rust_xlsxwriter): the same
    // report gives the same bytes. 2000-01-01 says "not a real date" to anyone who looks.
    let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
    book.set_properties(
        &DocProperties::new()
            .set_title("nrr revenue retention")
            .set_creation_datetime(&created),
    );
    let styles = Styles::new();
    retention::sheet(sheet(&mut book, "Retention")?, report, &styles)?;
    bridge::sheet(sheet(&mut book, "Bridge")?, report, &styles)?;
    cohorts::sheet(sheet(&mut book, "Cohorts")?, detail, &styles)?;
    if !report.segment_cuts.is_empty() {
        segments::sheet(sheet(&mut book, "Segments")?, report, &styles)?;
    }
    // A sheet made apart has the workbook's default format (the library's default, as
    // `add_worksheet` gives), so the bytes are those of a sheet added here.
    book.push_worksheet(movements.0);
    definitions::sheet(sheet(&mut book, "Definitions")?, report, &styles)?;
    Ok(book.save_to_buffer()?)
}

/// A new worksheet named `name`, wrapped.
fn sheet<'a>(book: &'a mut Workbook, name: &str) -> Result<Sheet<'a>, XlsxError> {
    let ws = book.add_worksheet();
    prepare(ws, name)?;
    Ok(Sheet { ws })
}

/// Names `ws` and sets what every sheet has.
fn prepare(ws: &mut Worksheet, name: &str) -> Result<(), XlsxError> {
    ws.set_name(name)?;
    // A formula stored with an empty result (a ratio over a zero starting MRR) keeps it empty
    // (rust_xlsxwriter would store 0).
    ws.set_formula_result_default("");
    Ok(())
}

/// The cell formats every sheet uses.
struct Styles {
    title: Format,
    heading: Format,
    header: Format,
    money: Format,
    money_bold: Format,
    percent: Format,
    percent_bold: Format,
    count: Format,
    bold: Format,
    wrap: Format,
}

impl Styles {
    fn new() -> Styles {
        let money = "#,##0.00;-#,##0.00";
        let percent = "0.00%";
        Styles {
            title: Format::new().set_bold().set_font_size(14),
            heading: Format::new().set_bold().set_font_size(12),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin),
            money: Format::new().set_num_format(money),
            money_bold: Format::new().set_num_format(money).set_bold(),
            percent: Format::new().set_num_format(percent),
            percent_bold: Format::new().set_num_format(percent).set_bold(),
            count: Format::new().set_num_format("#,##0"),
            bold: Format::new().set_bold(),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

/// A worksheet with the few ways this module writes a cell.
struct Sheet<'a> {
    ws: &'a mut Worksheet,
}

impl Sheet<'_> {
    /// Text as a string cell, never a formula or a number: user text (ids, segment values,
    /// notes) goes through here only (`write_string` writes a shared string whatever the text
    /// starts with; `write` would not be used for it).
    fn text(&mut self, row: RowNum, col: ColNum, text: &str) -> Result<(), XlsxError> {
        self.ws.write_string(row, col, text)?;
        Ok(())
    }

    /// Text with a format (always a string cell, as [`Sheet::text`]).
    fn text_f(
        &mut self,
        row: RowNum,
        col: ColNum,
        text: &str,
        f: &Format,
    ) -> Result<(), XlsxError> {
        self.ws.write_string_with_format(row, col, text, f)?;
        Ok(())
    }

    /// A row of header cells from `col` on.
    fn headers(
        &mut self,
        row: RowNum,
        col: ColNum,
        names: &[&str],
        f: &Format,
    ) -> Result<(), XlsxError> {
        for (k, name) in names.iter().enumerate() {
            self.text_f(row, col + k as ColNum, name, f)?;
        }
        Ok(())
    }

    /// Shown cents as a money number.
    fn cents(
        &mut self,
        row: RowNum,
        col: ColNum,
        cents: i128,
        f: &Format,
    ) -> Result<(), XlsxError> {
        self.ws
            .write_number_with_format(row, col, cents_f64(cents), f)?;
        Ok(())
    }

    /// A report amount, as its shown cents.
    fn money(&mut self, row: RowNum, col: ColNum, m: Money, f: &Format) -> Result<(), XlsxError> {
        self.cents(row, col, m.cents(), f)
    }

    /// A count.
    fn count(&mut self, row: RowNum, col: ColNum, n: u64, f: &Format) -> Result<(), XlsxError> {
        // Counts of rows and customers are far below 2^53: exact as f64.
        self.ws.write_number_with_format(row, col, n as f64, f)?;
        Ok(())
    }

    /// A ratio (empty cell when `None`).
    fn ratio(
        &mut self,
        row: RowNum,
        col: ColNum,
        r: Option<f64>,
        f: &Format,
    ) -> Result<(), XlsxError> {
        if let Some(r) = r {
            self.ws.write_number_with_format(row, col, r, f)?;
        }
        Ok(())
    }

    /// A formula (`=...`) with its computed value stored beside it.
    fn formula(
        &mut self,
        row: RowNum,
        col: ColNum,
        formula: &str,
        result: Cached,
        f: &Format,
    ) -> Result<(), XlsxError> {
        let formula = Formula::new(formula).set_result(result.text());
        self.ws.write_formula_with_format(row, col, formula, f)?;
        Ok(())
    }
}

/// The value stored with a formula.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Cached {
    /// Money, in cents.
    Cents(i128),
    /// A ratio.
    Ratio(f64),
    /// The empty string (a ratio over a zero).
    Empty,
}

impl Cached {
    fn text(self) -> String {
        match self {
            Cached::Cents(c) => cents_text(c),
            Cached::Ratio(r) => format!("{r}"),
            Cached::Empty => String::new(),
        }
    }
}

/// Cents as the nearest f64 of the decimal amount.
fn cents_f64(cents: i128) -> f64 {
    // Shown amounts are far below 2^53 cents, so the integer converts exactly and one
    // division gives the double nearest the decimal (as a spreadsheet reading "12.34" does).
    cents as f64 / 100.0
}

/// Cents as a decimal (`-12.34`).
fn cents_text(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let a = cents.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// The NRR and GRR of shown cents, as the formulas compute them: `(s + e - c - ch) / s` and
/// `(s - c - ch) / s`, empty when `s` is 0.
fn ratios(s: i128, expansion: i128, contraction: i128, churn: i128) -> (Cached, Cached) {
    if s == 0 {
        return (Cached::Empty, Cached::Empty);
    }
    let (s_, e, c, ch) = (
        cents_f64(s),
        cents_f64(expansion),
        cents_f64(contraction),
        cents_f64(churn),
    );
    (
        Cached::Ratio((s_ + e - c - ch) / s_),
        Cached::Ratio((s_ - c - ch) / s_),
    )
}

/// The A1 name of a cell (0-based row and column).
fn cell(row: RowNum, col: ColNum) -> String {
    format!("{}{}", column(col), row + 1)
}

/// The letters of a column (0 = `A`).
fn column(col: ColNum) -> String {
    rust_xlsxwriter::utility::column_number_to_name(col)
}

/// The notes of a period on one line each: `note` or `[customer] note`.
fn notes_text(notes: &[nrr_core::report::Note]) -> String {
    notes
        .iter()
        .map(|n| match &n.customer_id {
            Some(c) => format!("[{c}] {}", n.note),
            None => n.note.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests;
