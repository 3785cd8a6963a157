//! CSV files: opening one and reading its header ([`CsvFile`]), and every record checked for
//! UTF-8, its field count and unclosed quotes ([`each_record`]).

use super::{display_name, io_error};
use crate::error::{IoError, Rejection, RejectionKind};
use crate::guard::Guarded;
use crate::rows::Cols;
use std::path::{Path, PathBuf};

/// An open CSV file whose header has been read.
pub(crate) struct CsvFile {
    pub(crate) path: PathBuf,
    pub(crate) rdr: csv::Reader<Guarded<std::fs::File>>,
    pub(crate) header: Vec<String>,
}

pub(crate) fn open_csv(path: &Path) -> Result<CsvFile, IoError> {
    let file = std::fs::File::open(path).map_err(io_error(path))?;
    csv_from(path, file)
}

/// The CSV reader of an open file, its header read. The file is read once, from where it
/// stands: a named pipe or a device works as well as a file.
pub(crate) fn csv_from(path: &Path, file: std::fs::File) -> Result<CsvFile, IoError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(Guarded::new(file));
    let header = match rdr.byte_headers() {
        Ok(h) => h
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .trim()
                    .to_string()
            })
            .collect(),
        Err(source) => return Err(csv_error(path, rdr.get_ref(), source)),
    };
    Ok(CsvFile {
        path: path.to_path_buf(),
        rdr,
        header,
    })
}

/// The error of the csv layer, as the guard explains it when it stopped the reading.
fn csv_error<R>(path: &Path, guard: &Guarded<R>, source: csv::Error) -> IoError {
    match guard.error() {
        Some((line, message)) => IoError::Malformed {
            path: path.to_path_buf(),
            line,
            message,
        },
        None => IoError::Csv {
            path: path.to_path_buf(),
            source,
        },
    }
}

impl CsvFile {
    pub(crate) fn cols(&self) -> Cols {
        let names: Vec<&str> = self.header.iter().map(String::as_str).collect();
        Cols::new(&names)
    }

    /// Calls `each(line, fields)` for every data row. Rows that are not UTF-8, or do not
    /// have one field per header column, are rejected here and returned.
    pub(crate) fn rows(
        mut self,
        each: impl FnMut(u64, &csv::StringRecord),
    ) -> Result<Vec<Rejection>, IoError> {
        each_record(&mut self.rdr, &self.header, &self.path, &mut ByGuard, each)
    }
}

/// Where the records of a CSV reader start, as line numbers.
pub(crate) trait LineOf<R> {
    /// The line of the record the reader says starts at byte `at` (asked in file order).
    fn line(&mut self, rdr: &csv::Reader<R>, at: u64) -> u64;
    /// When the record just read (starting at byte `at`) opens a quote that is never closed:
    /// the line of that quote and the file's last line.
    fn unterminated(&self, _rdr: &csv::Reader<R>, _at: u64) -> Option<(u64, u64)> {
        None
    }
    /// Why the reader failed, when the bytes were refused (a record too long).
    fn error(&self, _rdr: &csv::Reader<R>) -> Option<(u64, String)> {
        None
    }
}

/// Lines from the [`Guarded`] reader under the csv reader.
struct ByGuard;

impl<R: std::io::Read> LineOf<Guarded<R>> for ByGuard {
    fn line(&mut self, rdr: &csv::Reader<Guarded<R>>, at: u64) -> u64 {
        rdr.get_ref().line_of(at)
    }

    fn unterminated(&self, rdr: &csv::Reader<Guarded<R>>, at: u64) -> Option<(u64, u64)> {
        let g = rdr.get_ref();
        let (open_at, open_line, last_line) = g.unterminated()?;
        // The record that runs to the end of the input and holds the opening quote.
        let (read, eof) = g.consumed();
        (eof && open_at >= at && rdr.position().byte() == read).then_some((open_line, last_line))
    }

    fn error(&self, rdr: &csv::Reader<Guarded<R>>) -> Option<(u64, String)> {
        rdr.get_ref().error()
    }
}

/// A row's text for a message: its fields joined by commas, at most 60 characters.
fn row_text(rec: &csv::ByteRecord) -> String {
    let joined: Vec<String> = rec
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    shorten(&joined.join(","), 60)
}

/// At most `n` characters of `s`, with `...` when cut.
pub(crate) fn shorten(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// Calls `each(line, fields)` for every record of `rdr`, reusing one record buffer. Records
/// that are not UTF-8, that have more or fewer fields than the header, or that open a quote
/// never closed, are returned as rejections instead.
pub(crate) fn each_record<R: std::io::Read, L: LineOf<R>>(
    rdr: &mut csv::Reader<R>,
    header: &[String],
    path: &Path,
    lines: &mut L,
    mut each: impl FnMut(u64, &csv::StringRecord),
) -> Result<Vec<Rejection>, IoError> {
    let mut rejections = Vec::new();
    let mut rec = csv::ByteRecord::new();
    let column = |i: usize| {
        header
            .get(i)
            .filter(|h| !h.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("#{}", i + 1))
    };
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(source) => {
                return Err(match lines.error(rdr) {
                    Some((line, message)) => IoError::Malformed {
                        path: path.to_path_buf(),
                        line,
                        message,
                    },
                    None => IoError::Csv {
                        path: path.to_path_buf(),
                        source,
                    },
                })
            }
        }
        let at = rec.position().map_or(0, csv::Position::byte);
        let line = lines.line(rdr, at);
        // A row that cannot be read as a record: an unclosed quote, a field count unlike the
        // header's, text that is not UTF-8.
        let mut reject = |column: String, value: String, expected: String| {
            rejections.push(Rejection {
                file: display_name(path),
                line,
                column,
                value,
                expected,
                kind: RejectionKind::MalformedRecord,
            })
        };
        if let Some((open_line, last_line)) = lines.unterminated(rdr, at) {
            let i = rec.len().saturating_sub(1);
            let field = String::from_utf8_lossy(rec.get(i).unwrap_or(b""));
            reject(
                column(i),
                format!("\"{}", shorten(&field, 40)),
                format!(
                    "a closing quote: the quote opened on line {open_line} is never closed, so \
                     this field takes in the rest of the file, to line {last_line}"
                ),
            );
            continue;
        }
        if rec.len() != header.len() {
            reject(
                "fields".into(),
                row_text(&rec),
                format!(
                    "{} field{} as in the header; the row has {} (a short row, or an unquoted \
                     comma in a value?)",
                    header.len(),
                    if header.len() == 1 { "" } else { "s" },
                    rec.len()
                ),
            );
            continue;
        }
        match csv::StringRecord::from_byte_record(rec) {
            Ok(srec) => {
                each(line, &srec);
                rec = srec.into_byte_record();
            }
            Err(e) => {
                let bad = e.into_byte_record();
                let i = bad
                    .iter()
                    .position(|f| std::str::from_utf8(f).is_err())
                    .unwrap_or(0);
                reject(
                    column(i),
                    String::from_utf8_lossy(&bad[i]).into_owned(),
                    "UTF-8 text".into(),
                );
                rec = bad;
            }
        }
    }
    Ok(rejections)
}
