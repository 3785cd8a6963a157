//! What the bytes of a CSV file are checked for while they are read, whatever reads them: the
//! line each record starts on (counting `\n`, `\r\n` and a lone `\r` alike, so CRLF and
//! classic Mac files are numbered right), a record no longer than [`MAX_RECORD_BYTES`] (a file
//! without line breaks, such as a link to `/dev/zero`, stops there instead of filling memory),
//! and a quote that is never closed.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Read;

/// The longest record (a CSV row, quoted line breaks included) read: 1 MiB. Any field, any
/// line is at most this long.
pub const MAX_RECORD_BYTES: u64 = 1 << 20;

/// The flag of a two-byte break in [`State::breaks`] (offsets stay far below it).
const CRLF: u64 = 1 << 63;

/// Where the quote-aware scanner is, as the csv crate's parser would be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scan {
    /// At the start of a field.
    FieldStart,
    /// In an unquoted field.
    Unquoted,
    /// In a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field (a closing quote, or the first of `""`).
    AfterQuote,
}

/// The reading state shared between the reader and the code that asks for line numbers.
#[derive(Debug)]
struct State {
    /// Bytes passed through so far.
    offset: u64,
    /// Line breaks not yet behind a queried record: the offset of the first byte, with
    /// [`CRLF`] set for a two-byte `\r\n` (8 bytes a break: a file of blank lines read in one
    /// call of the csv reader keeps them all).
    breaks: VecDeque<u64>,
    /// Line breaks already behind a queried record.
    passed: u64,
    /// Every line break seen.
    lines: u64,
    /// The previous byte was `\r` (a following `\n` belongs to the same break).
    prev_cr: bool,
    /// The last byte read was a line break (or nothing was read).
    at_break: bool,
    quote: Scan,
    /// Offset and line of the quote that opened the current quoted field.
    opened: (u64, u64),
    /// Offset and line where the current record began.
    record: (u64, u64),
    eof: bool,
    /// Why reading stopped early.
    error: Option<(u64, String)>,
}

/// A reader that watches the bytes it passes on (see the module documentation).
#[derive(Debug)]
pub(crate) struct Guarded<R> {
    inner: R,
    state: RefCell<State>,
}

impl<R> Guarded<R> {
    pub(crate) fn new(inner: R) -> Guarded<R> {
        Guarded {
            inner,
            state: RefCell::new(State {
                offset: 0,
                breaks: VecDeque::new(),
                passed: 0,
                lines: 0,
                prev_cr: false,
                at_break: true,
                quote: Scan::FieldStart,
                opened: (0, 1),
                record: (0, 1),
                eof: false,
                error: None,
            }),
        }
    }

    /// The line (1-based) of the first byte of a record that the csv reader says starts at
    /// byte `at`: line breaks before it are counted, and blank lines the reader skipped are
    /// stepped over. Records must be asked for in file order.
    pub(crate) fn line_of(&self, at: u64) -> u64 {
        let mut s = self.state.borrow_mut();
        let mut p = at;
        loop {
            match s.breaks.front().copied() {
                Some(b) if b & !CRLF <= p => {
                    s.breaks.pop_front();
                    s.passed += 1;
                    let len = if b & CRLF == 0 { 1 } else { 2 };
                    p = p.max((b & !CRLF) + len);
                }
                _ => break,
            }
        }
        s.passed + 1
    }

    /// Why reading stopped: the line and the message, when a record grew too long.
    pub(crate) fn error(&self) -> Option<(u64, String)> {
        self.state.borrow().error.clone()
    }

    /// When the whole input has been read and it ends inside a quoted field: the offset and
    /// line of the quote that opened it, and the number of lines in the file.
    pub(crate) fn unterminated(&self) -> Option<(u64, u64, u64)> {
        let s = self.state.borrow();
        let last_line = s.lines + u64::from(!s.at_break);
        (s.eof && s.quote == Scan::Quoted).then_some((s.opened.0, s.opened.1, last_line))
    }

    /// Bytes read so far, and whether the end was reached.
    pub(crate) fn consumed(&self) -> (u64, bool) {
        let s = self.state.borrow();
        (s.offset, s.eof)
    }
}

impl State {
    /// Scans `buf`, the bytes at `self.offset`.
    fn scan(&mut self, buf: &[u8]) {
        for (i, &b) in buf.iter().enumerate() {
            let at = self.offset + i as u64;
            let is_break = b == b'\r' || (b == b'\n' && !self.prev_cr);
            if is_break {
                self.breaks.push_back(at);
                self.lines += 1;
            } else if b == b'\n' {
                // The `\n` of `\r\n`: the break recorded at the `\r` is two bytes long.
                if let Some(last) = self.breaks.back_mut() {
                    if *last + 1 == at {
                        *last |= CRLF;
                    }
                }
            }
            self.prev_cr = b == b'\r';
            self.at_break = b == b'\r' || b == b'\n';
            self.quote = match (self.quote, b) {
                (Scan::FieldStart, b'"') => {
                    self.opened = (at, self.lines + 1);
                    Scan::Quoted
                }
                (Scan::Quoted, b'"') => Scan::AfterQuote,
                (Scan::Quoted, _) => Scan::Quoted,
                (Scan::AfterQuote, b'"') => Scan::Quoted,
                (_, b',') => Scan::FieldStart,
                (_, b'\n' | b'\r') => {
                    self.record = (at + 1, self.lines + 1);
                    Scan::FieldStart
                }
                _ => Scan::Unquoted,
            };
            if self.error.is_none() && at + 1 - self.record.0 > MAX_RECORD_BYTES {
                let line = self.record.1;
                self.error = Some(if self.quote == Scan::Quoted {
                    (
                        self.opened.1,
                        format!(
                            "a quoted field opened on line {} runs on for more than {} bytes: \
                             a quote that is never closed? (a record is at most {} bytes)",
                            self.opened.1, MAX_RECORD_BYTES, MAX_RECORD_BYTES
                        ),
                    )
                } else {
                    (
                        line,
                        format!(
                            "line {line} is longer than {MAX_RECORD_BYTES} bytes without a line \
                             break: not a CSV file? (a record is at most {MAX_RECORD_BYTES} bytes)"
                        ),
                    )
                });
            }
        }
        self.offset += buf.len() as u64;
    }
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some((_, msg)) = &self.state.get_mut().error {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                msg.clone(),
            ));
        }
        let n = self.inner.read(buf)?;
        let s = self.state.get_mut();
        if n == 0 {
            s.eof = true;
        }
        s.scan(&buf[..n]);
        if let Some((_, msg)) = &s.error {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                msg.clone(),
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines the csv reader's records start on, through a guarded reader.
    fn lines(text: &[u8]) -> Vec<u64> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(Guarded::new(text));
        let mut rec = csv::ByteRecord::new();
        let mut out = Vec::new();
        while rdr.read_byte_record(&mut rec).expect("readable") {
            let at = rec.position().map_or(0, csv::Position::byte);
            out.push(rdr.get_ref().line_of(at));
        }
        out
    }

    #[test]
    fn every_line_ending_is_counted_alike() {
        assert_eq!(lines(b"h\na\nb\n"), [1, 2, 3]);
        assert_eq!(lines(b"h\r\na\r\nb\r\n"), [1, 2, 3]);
        assert_eq!(lines(b"h\ra\rb\r"), [1, 2, 3]);
        assert_eq!(lines(b"h\r\na\rb\nc"), [1, 2, 3, 4]);
    }

    #[test]
    fn blank_lines_and_quoted_breaks_are_lines() {
        assert_eq!(lines(b"h\n\n\na\n"), [1, 4]);
        assert_eq!(lines(b"h\r\n\r\na\r\n"), [1, 3]);
        assert_eq!(lines(b"h\n\"x\ny\"\nb\n"), [1, 2, 4]);
        assert_eq!(lines(b"h\r\n\"x\r\ny\",1\r\nb\r\n"), [1, 2, 4]);
    }

    #[test]
    fn an_unclosed_quote_is_found_with_its_line() {
        let g = Guarded::new(&b"h\na,\"b\nc\nd\n"[..]);
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(g);
        let mut rec = csv::ByteRecord::new();
        while rdr.read_byte_record(&mut rec).expect("readable") {}
        assert_eq!(rdr.get_ref().unterminated(), Some((4, 2, 4)));
        let g = Guarded::new(&b"h,i\na,\"b\"\"c\"\n"[..]);
        let mut rdr = csv::ReaderBuilder::new().from_reader(g);
        while rdr.read_byte_record(&mut rec).expect("readable") {}
        assert_eq!(rdr.get_ref().unterminated(), None);
    }

    #[test]
    fn a_record_without_end_stops_at_the_limit() {
        let zeros = std::io::repeat(0).take(10 * MAX_RECORD_BYTES);
        let mut rdr = csv::ReaderBuilder::new().from_reader(Guarded::new(zeros));
        let err = rdr.byte_headers().expect_err("too long");
        assert!(err.to_string().contains("line 1 is longer"), "{err}");
        assert_eq!(rdr.get_ref().error().map(|e| e.0), Some(1));
    }
}
