//! Items and mrr CSV files into the builder: the deterministic parallel block reader for plain
//! files, the sequential reader for everything else.

use super::csv::{csv_from, each_record, LineOf};
use super::{display_name, io_error};
use crate::error::{IoError, Rejection};
use crate::guard::MAX_RECORD_BYTES;
use crate::options::Progress;
use crate::rows::{known_columns, Layout};
use crate::validate::LineValidator;
use nrr_core::dataset::{DatasetBuilder, SourceKind};
use std::path::Path;

/// Lines of a slice of a file without quotes or lone `\r` (the parallel path): `\n` counted
/// from the slice's first line.
struct BySlice<'a> {
    bytes: &'a [u8],
    first_line: u64,
    /// Bytes already counted, and the `\n` in them.
    pos: usize,
    count: u64,
}

impl LineOf<&[u8]> for BySlice<'_> {
    fn line(&mut self, _rdr: &csv::Reader<&[u8]>, at: u64) -> u64 {
        let mut p = usize::try_from(at)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        // Step over the end of the previous line and blank lines the reader skipped.
        while p < self.bytes.len() && matches!(self.bytes[p], b'\r' | b'\n') {
            p += 1;
        }
        if p > self.pos {
            self.count += memchr::memchr_iter(b'\n', &self.bytes[self.pos..p]).count() as u64;
            self.pos = p;
        }
        self.first_line + self.count
    }
}

/// Bytes read per block by the parallel CSV path; memory stays bounded by a few blocks.
/// `NRR_CSV_BLOCK_BYTES` overrides it (tests use tiny blocks to cross many boundaries).
fn block_size() -> usize {
    std::env::var("NRR_CSV_BLOCK_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(32 << 20)
}

/// Whether the parallel path can read the file: no quote anywhere (a newline may then sit
/// inside a field) and no lone `\r` (a classic Mac line end, which it would not see). Reads
/// the whole file from where `f` stands.
fn splits_on_newlines(f: &mut std::fs::File, path: &Path) -> Result<bool, IoError> {
    use std::io::Read;
    let mut buf = vec![0u8; 1 << 20];
    let mut cr_at_end = false;
    loop {
        let n = f.read(&mut buf).map_err(io_error(path))?;
        if n == 0 {
            return Ok(!cr_at_end);
        }
        let b = &buf[..n];
        if cr_at_end && b[0] != b'\n' {
            return Ok(false);
        }
        if memchr::memchr(b'"', b).is_some() {
            return Ok(false);
        }
        for i in memchr::memchr_iter(b'\r', b) {
            match b.get(i + 1) {
                Some(b'\n') | None => {}
                Some(_) => return Ok(false),
            }
        }
        cr_at_end = b[n - 1] == b'\r';
    }
}

/// What the parallel CSV path needs to know about the file it reads.
struct CsvSpec<'a> {
    progress: Option<&'a Progress>,
    path: &'a Path,
    name: &'a str,
    kind: SourceKind,
    layout: Layout,
    header: &'a [String],
}

/// Parses one newline-aligned slice of a CSV file (no header) into its own builder.
fn parse_part(
    bytes: &[u8],
    first_line: u64,
    f: &CsvSpec<'_>,
    mut part: DatasetBuilder,
) -> Result<(DatasetBuilder, Vec<Rejection>), IoError> {
    let (name, path) = (f.name, f.path);
    // Lines are rarely shorter than 40 bytes: size the part's columns once.
    part.reserve(bytes.len() / 40);
    part.reserve_customers(bytes.len() / 80);
    let file = part.add_file(name);
    let mut pending = Vec::new();
    let mut validator = LineValidator {
        builder: &mut part,
        rejections: &mut pending,
        file,
        name: name.to_string(),
        layout: f.layout,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut lines = BySlice {
        bytes,
        first_line,
        pos: 0,
        count: 0,
    };
    let bad = each_record(&mut rdr, f.header, path, &mut lines, |line, rec| {
        validator.row(line, rec)
    })?;
    for r in bad {
        validator.builder.ledger.read += 1;
        validator.builder.ledger.rejected += 1;
        validator.rejections.push(r);
    }
    pending.sort_by_key(|r| r.line);
    Ok((part, pending))
}

/// Reads `input` in blocks of about `block` bytes cut after the last newline (the header
/// line left out) and sends them in order; runs on its own thread so that reading the next
/// block overlaps parsing this one. Buffers come back through `free` to be reused. A line
/// longer than [`MAX_RECORD_BYTES`] stops it with an error.
fn read_blocks(
    mut input: std::fs::File,
    path: &Path,
    block: usize,
    progress: Option<&Progress>,
    tx: &std::sync::mpsc::SyncSender<Result<Vec<u8>, IoError>>,
    free: &std::sync::mpsc::Receiver<Vec<u8>>,
) {
    use std::io::Read;
    let mut carry: Vec<u8> = Vec::new();
    let mut in_header = true;
    // A small file needs no block-sized buffers.
    let size = input.metadata().map_or(0, |m| m.len());
    let block = block.min(usize::try_from(size).unwrap_or(usize::MAX).max(1 << 16));
    // Lines before `carry`, for the error about a line too long.
    let mut lines_before: u64 = 0;
    loop {
        let mut buf = free
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(block + (1 << 16)));
        buf.clear();
        buf.append(&mut carry);
        let n = match (&mut input).take(block as u64).read_to_end(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send(Err(io_error(path)(e)));
                return;
            }
        };
        Progress::advance(progress, n as u64);
        let eof = n == 0;
        let cut = match memchr::memrchr(b'\n', &buf) {
            Some(i) => i + 1,
            None if eof => buf.len(),
            None => 0,
        };
        if !eof && buf.len() - cut > MAX_RECORD_BYTES as usize {
            let line = lines_before + memchr::memchr_iter(b'\n', &buf[..cut]).count() as u64 + 1;
            let _ = tx.send(Err(IoError::Malformed {
                path: path.to_path_buf(),
                line,
                message: format!(
                    "line {line} is longer than {MAX_RECORD_BYTES} bytes without a line break: \
                     not a CSV file? (a record is at most {MAX_RECORD_BYTES} bytes)"
                ),
            }));
            return;
        }
        if in_header {
            match memchr::memchr(b'\n', &buf) {
                Some(i) => {
                    buf.drain(..=i);
                    lines_before += 1;
                    in_header = false;
                }
                None if eof => return,
                None => {
                    carry.append(&mut buf);
                    continue;
                }
            }
        }
        let cut = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => i + 1,
                None => {
                    carry.append(&mut buf);
                    continue;
                }
            }
        };
        carry.extend_from_slice(&buf[cut..]);
        buf.truncate(cut);
        lines_before += memchr::memchr_iter(b'\n', &buf).count() as u64;
        if !buf.is_empty() && tx.send(Ok(buf)).is_err() {
            return; // the parser stopped (an error): stop reading
        }
        if eof {
            return;
        }
    }
}

/// The parsed parts of one block, in order, and the byte length of the first.
struct ParsedBlock {
    parts: Vec<Result<(DatasetBuilder, Vec<Rejection>), IoError>>,
    first_bytes: usize,
}

/// The parallel CSV path: a reader thread cuts the file into newline-aligned blocks; each
/// block is split into parts parsed on all threads while the previous block's parts are
/// appended in order. Same result as the sequential path (customers in first-appearance
/// order, rejections in line order).
fn read_lines_csv_parallel(
    input: std::fs::File,
    f: &CsvSpec<'_>,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
    file: u16,
) -> Result<(), IoError> {
    use rayon::prelude::*;
    let block = block_size();
    let parts_per_block = rayon::current_num_threads() * 4;
    let size = input.metadata().map_or(0, |m| m.len());
    let mut reserved = false;
    // Part builders are reused from block to block (their column buffers stay allocated).
    let mut pool: Vec<DatasetBuilder> = Vec::new();
    // Appends one block's parts in order and returns their builders to the pool.
    let mut append = |block: ParsedBlock,
                      builder: &mut DatasetBuilder,
                      rejections: &mut Vec<Rejection>,
                      pool: &mut Vec<DatasetBuilder>|
     -> Result<(), IoError> {
        for p in block.parts {
            let (mut part, rej) = p?;
            if !reserved {
                // Size the columns once from the first part's rows per byte.
                let rows = part.line_count() as u64;
                builder
                    .reserve((size * rows / block.first_bytes.max(1) as u64) as usize + (1 << 10));
                reserved = true;
            }
            builder.append_from(&mut part, file);
            pool.push(part);
            rejections.extend(rej);
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel(0);
        let (free_tx, free_rx) = std::sync::mpsc::channel();
        let progress = f.progress;
        let path = f.path;
        scope.spawn(move || read_blocks(input, path, block, progress, &tx, &free_rx));
        let mut next_line: u64 = 2;
        let mut pending: Option<ParsedBlock> = None;
        for buf in rx {
            let buf = buf?;
            // Newline-aligned parts, with the line number each starts at.
            let mut bounds = vec![(0usize, next_line)];
            let step = buf.len() / parts_per_block + 1;
            let mut start = 0;
            while start + step < buf.len() {
                let Some(i) = memchr::memchr(b'\n', &buf[start + step..]) else {
                    break;
                };
                let end = start + step + i + 1;
                let lines = memchr::memchr_iter(b'\n', &buf[start..end]).count() as u64;
                let first = bounds.last().map_or(next_line, |b| b.1) + lines;
                bounds.push((end, first));
                start = end;
            }
            next_line = bounds.last().map_or(next_line, |b| b.1)
                + memchr::memchr_iter(b'\n', &buf[start..]).count() as u64;
            let ends: Vec<usize> = bounds
                .iter()
                .skip(1)
                .map(|b| b.0)
                .chain(std::iter::once(buf.len()))
                .collect();
            pool.resize_with(bounds.len().max(pool.len()), || DatasetBuilder::new(f.kind));
            let parts: Vec<DatasetBuilder> = pool.drain(..bounds.len()).collect();
            let previous = pending.take();
            // This block's parts are parsed while the previous block's are appended.
            let (parsed, appended) = rayon::join(
                || {
                    bounds
                        .par_iter()
                        .zip(ends.par_iter())
                        .zip(parts)
                        .map(|((&(s, first), &e), part)| parse_part(&buf[s..e], first, f, part))
                        .collect::<Vec<_>>()
                },
                || match previous {
                    Some(p) => append(p, builder, rejections, &mut pool),
                    None => Ok(()),
                },
            );
            appended?;
            pending = Some(ParsedBlock {
                parts: parsed,
                first_bytes: ends[0],
            });
            let _ = free_tx.send(buf);
        }
        if let Some(p) = pending.take() {
            append(p, builder, rejections, &mut pool)?;
        }
        Ok(())
    })
}

/// Reads one items or mrr CSV file into the builder. The file is opened once; a regular file
/// without quotes or lone `\r` is read in parallel, anything else (a named pipe, a device,
/// quoted fields, classic Mac line ends) sequentially.
pub(crate) fn read_lines_csv(
    path: &Path,
    kind: SourceKind,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
    progress: Option<&Progress>,
) -> Result<(), IoError> {
    use std::io::{Seek, SeekFrom};
    let name = display_name(path);
    let mut input = std::fs::File::open(path).map_err(io_error(path))?;
    let regular = input.metadata().is_ok_and(|m| m.is_file());
    let parallel =
        regular && rayon::current_num_threads() > 1 && splits_on_newlines(&mut input, path)?;
    if regular {
        input.seek(SeekFrom::Start(0)).map_err(io_error(path))?;
    }
    // The header, read through a handle that shares the file's position.
    let csv = csv_from(path, input.try_clone().map_err(io_error(path))?)?;
    let cols = csv.cols();
    builder
        .notices
        .extend(cols.check(path, &name, known_columns(kind))?);
    let layout = Layout::new(kind, &cols, path)?;
    let file = builder.add_file(&name);
    if parallel {
        input.seek(SeekFrom::Start(0)).map_err(io_error(path))?;
        let header = csv.header.clone();
        drop(csv);
        let spec = CsvSpec {
            progress,
            path,
            name: &name,
            kind,
            layout,
            header: &header,
        };
        return read_lines_csv_parallel(input, &spec, builder, rejections, file);
    }
    drop(input);
    let mut pending = Vec::new();
    let mut validator = LineValidator {
        builder,
        rejections: &mut pending,
        file,
        name: name.clone(),
        layout,
    };
    let bad = csv.rows(|line, rec| validator.row(line, rec))?;
    Progress::advance(progress, std::fs::metadata(path).map_or(0, |m| m.len()));
    for r in bad {
        validator.builder.ledger.read += 1;
        validator.builder.ledger.rejected += 1;
        validator.rejections.push(r);
    }
    pending.sort_by_key(|r| r.line);
    rejections.extend(pending);
    Ok(())
}
