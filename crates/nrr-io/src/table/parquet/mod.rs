//! Parquet twins of items.csv and mrr.csv, and (through [`each_row`]) of
//! subscription_snapshots, revenue_movements, invoices.csv and subscription_events.csv
//! (feature `parquet`).
//!
//! Columns carry the same names as in CSV. Accepted types: strings (Utf8, LargeUtf8,
//! Utf8View) for every column; integers for integer columns (`quantity`, `interval_months`);
//! `Date32` for dates; `Decimal128` or integers for money (`amount`, `mrr`, `discount`,
//! `tax`, ...). Floating-point columns are refused: they cannot hold cents exactly. Each cell
//! is validated by the same rules as CSV; a rejection names the row as `line` = row number + 1
//! (as if there were a header line).

use crate::error::{IoError, Rejection};
use crate::options::Progress;
use crate::rows::{known_columns, Cols, Fields, Layout};
use crate::table::display_name;
use crate::validate::LineValidator;
use arrow_array::{
    Array, Date32Array, Decimal128Array, Int16Array, Int32Array, Int64Array, Int8Array,
    LargeStringArray, RecordBatch, StringArray, StringViewArray, UInt16Array, UInt32Array,
    UInt64Array, UInt8Array,
};
use arrow_schema::DataType;
use nrr_core::dataset::{DatasetBuilder, SourceKind};
use nrr_core::date::Date;
use nrr_core::money::{format_scaled, Decimal};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::borrow::Cow;
use std::path::Path;

mod write;
pub use write::{items_csv_to_parquet, items_csv_to_parquet_with, write_lines, write_movements};

fn perr(path: &Path, e: impl std::fmt::Display) -> IoError {
    IoError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

thread_local! {
    /// Set while the Parquet decoder runs on this thread (its panics are reported as errors).
    static DECODING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, a call into the Parquet decoder, turning a panic into an error: the decoder
/// asserts on some damaged files (a bit width too large, a negative length, an unknown type)
/// instead of returning an error. Its panic message is kept out of the terminal.
fn decode<T>(path: &Path, f: impl FnOnce() -> Result<T, IoError>) -> Result<T, IoError> {
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !DECODING.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    let was = DECODING.with(|d| d.replace(true));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    DECODING.with(|d| d.set(was));
    out.unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| p.downcast_ref::<&str>().copied())
            .unwrap_or("");
        Err(perr(
            path,
            format!("the file is damaged: the Parquet decoder stopped ({msg})"),
        ))
    })
}

/// A column of one record batch, downcast once.
enum Col<'a> {
    Str(&'a StringArray),
    LargeStr(&'a LargeStringArray),
    View(&'a StringViewArray),
    Date(&'a Date32Array),
    Dec(&'a Decimal128Array, u32),
    Int(Vec<Option<i64>>),
    /// Dictionary-encoded strings (pandas categoricals): each row's key into the values.
    Dict(Vec<Option<usize>>, Box<Col<'a>>),
    Null,
}

impl<'a> Col<'a> {
    fn new(a: &'a dyn Array) -> Col<'a> {
        let any = a.as_any();
        macro_rules! ints {
            ($($t:ty),*) => {$(
                if let Some(x) = any.downcast_ref::<$t>() {
                    return Col::Int(x.iter().map(|v| v.and_then(|v| i64::try_from(v).ok())).collect());
                }
            )*};
        }
        if let Some(x) = any.downcast_ref::<StringArray>() {
            return Col::Str(x);
        }
        if let Some(x) = any.downcast_ref::<LargeStringArray>() {
            return Col::LargeStr(x);
        }
        if let Some(x) = any.downcast_ref::<StringViewArray>() {
            return Col::View(x);
        }
        if let Some(x) = any.downcast_ref::<Date32Array>() {
            return Col::Date(x);
        }
        if let Some(x) = any.downcast_ref::<Decimal128Array>() {
            return Col::Dec(x, x.scale().max(0) as u32);
        }
        macro_rules! dicts {
            ($($t:ty),*) => {$(
                if let Some(x) = any.downcast_ref::<arrow_array::DictionaryArray<$t>>() {
                    let keys = x.keys().iter().map(|k| k.and_then(|k| usize::try_from(k).ok())).collect();
                    return Col::Dict(keys, Box::new(Col::new(x.values().as_ref())));
                }
            )*};
        }
        {
            use arrow_array::types::*;
            dicts!(
                Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
                UInt64Type
            );
        }
        ints!(
            Int8Array,
            Int16Array,
            Int32Array,
            Int64Array,
            UInt8Array,
            UInt16Array,
            UInt32Array,
            UInt64Array
        );
        Col::Null
    }

    fn is_null(&self, r: usize) -> bool {
        match self {
            Col::Str(a) => a.is_null(r),
            Col::LargeStr(a) => a.is_null(r),
            Col::View(a) => a.is_null(r),
            Col::Date(a) => a.is_null(r),
            Col::Dec(a, _) => a.is_null(r),
            Col::Int(v) => v[r].is_none(),
            Col::Dict(keys, values) => {
                keys[r].is_none_or(|k| k >= values.len() || values.is_null(k))
            }
            Col::Null => true,
        }
    }

    /// Rows in the column (the values of a dictionary).
    fn len(&self) -> usize {
        match self {
            Col::Str(a) => a.len(),
            Col::LargeStr(a) => a.len(),
            Col::View(a) => a.len(),
            Col::Date(a) => a.len(),
            Col::Dec(a, _) => a.len(),
            Col::Int(v) => v.len(),
            Col::Dict(keys, _) => keys.len(),
            Col::Null => 0,
        }
    }

    fn str(&self, r: usize) -> Option<&str> {
        if self.is_null(r) {
            return Some("");
        }
        match self {
            Col::Str(a) => Some(a.value(r)),
            Col::LargeStr(a) => Some(a.value(r)),
            Col::View(a) => Some(a.value(r)),
            Col::Dict(keys, values) => keys[r].and_then(|k| values.str(k)),
            _ => None,
        }
    }
}

/// One row of a record batch, read through typed accessors.
struct Row<'a, 'b> {
    cols: &'b [Col<'a>],
    r: usize,
}

impl Fields for Row<'_, '_> {
    fn text(&self, i: usize) -> Cow<'_, str> {
        let Some(c) = self.cols.get(i) else {
            return Cow::Borrowed("");
        };
        if let Some(s) = c.str(self.r) {
            return Cow::Borrowed(s.trim());
        }
        Cow::Owned(match c {
            Col::Date(a) => Date::from_days(a.value(self.r)).to_string(),
            Col::Dec(a, scale) => format_scaled(a.value(self.r), *scale),
            Col::Int(v) => v[self.r].map_or_else(String::new, |n| n.to_string()),
            _ => String::new(),
        })
    }

    fn is_empty(&self, i: usize) -> bool {
        self.cols
            .get(i)
            .is_none_or(|c| c.is_null(self.r) || c.str(self.r).is_some_and(|s| s.trim().is_empty()))
    }

    fn decimal(&self, i: usize, max: u32) -> Option<Decimal> {
        match self.cols.get(i)? {
            Col::Dec(a, scale) if !a.is_null(self.r) => {
                let (mut v, mut scale) = (a.value(self.r), *scale);
                while scale > max && v % 10 == 0 {
                    v /= 10;
                    scale -= 1;
                }
                (scale <= max).then_some(Decimal {
                    mantissa: i64::try_from(v).ok()?,
                    decimals: scale,
                })
            }
            Col::Int(v) => v[self.r].map(|n| Decimal {
                mantissa: n,
                decimals: 0,
            }),
            _ => Decimal::parse(&self.text(i), max),
        }
    }

    fn date(&self, i: usize) -> Option<Date> {
        match self.cols.get(i)? {
            // Years 1 to 9999, as in CSV: a Date32 can hold millions of years.
            Col::Date(a) if !a.is_null(self.r) => Date::try_from_days(a.value(self.r)),
            _ => Date::parse(&self.text(i)),
        }
    }

    fn uint(&self, i: usize) -> Option<u64> {
        match self.cols.get(i)? {
            Col::Int(v) => v[self.r].and_then(|n| u64::try_from(n).ok()),
            _ => self.text(i).parse().ok(),
        }
    }

    fn decimal_text(&self, i: usize) -> Cow<'_, str> {
        match self.cols.get(i) {
            Some(Col::Dec(a, scale)) if !a.is_null(self.r) => {
                let (mut v, mut scale) = (a.value(self.r), *scale);
                while scale > 0 && v % 10 == 0 {
                    v /= 10;
                    scale -= 1;
                }
                Cow::Owned(format_scaled(v, scale))
            }
            _ => self.text(i),
        }
    }
}

fn supported(t: &DataType) -> bool {
    if let DataType::Dictionary(k, v) = t {
        return k.is_integer()
            && matches!(
                **v,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            );
    }
    matches!(
        t,
        DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Date32
            | DataType::Decimal128(_, _)
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Null
    )
}

/// Parses one record batch into its own builder; `first_line` is the batch's first row's
/// line number (row number + 1, as if there were a header).
fn parse_batch(
    batch: &RecordBatch,
    first_line: u64,
    kind: SourceKind,
    layout: Layout,
    name: &str,
) -> (DatasetBuilder, Vec<Rejection>) {
    let mut part = DatasetBuilder::new(kind);
    let file = part.add_file(name);
    let mut rejections = Vec::new();
    let cols: Vec<Col<'_>> = batch
        .columns()
        .iter()
        .map(|c| Col::new(c.as_ref()))
        .collect();
    let mut validator = LineValidator {
        builder: &mut part,
        rejections: &mut rejections,
        file,
        name: name.to_string(),
        layout,
    };
    for r in 0..batch.num_rows() {
        validator.row(first_line + r as u64, &Row { cols: &cols, r });
    }
    (part, rejections)
}

/// Opens a Parquet file whose column types can all be read exactly, with its columns.
fn open(path: &Path) -> Result<(ParquetRecordBatchReaderBuilder<std::fs::File>, Cols), IoError> {
    let file = std::fs::File::open(path).map_err(|source| IoError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let reader = decode(path, || {
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| perr(path, e))
    })?;
    let schema = reader.schema().clone();
    if let Some(f) = schema.fields().iter().find(|f| !supported(f.data_type())) {
        let why = if f.data_type().is_floating() {
            " (floating point cannot hold money exactly)"
        } else {
            ""
        };
        return Err(perr(
            path,
            format!(
                "column `{}` has type {}, which nrr does not read; use strings (also \
                 dictionary-encoded), integers, Date32 or Decimal128{why}",
                crate::error::printable(f.name()),
                f.data_type()
            ),
        ));
    }
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    Ok((reader, Cols::new(&names)))
}

/// Reads a Parquet file row by row, in order, for the small tables read sequentially
/// (subscription_snapshots, revenue_movements): `start` sees the columns and returns the
/// state `each` gets with every row's line number (row number + 1) and fields.
pub(crate) fn each_row<S>(
    path: &Path,
    start: impl FnOnce(&Cols) -> Result<S, IoError>,
    mut each: impl FnMut(&mut S, u64, &dyn Fields),
) -> Result<S, IoError> {
    let (reader, cols) = open(path)?;
    let mut state = start(&cols)?;
    let mut line = 2;
    let mut batches = decode(path, || reader.build().map_err(|e| perr(path, e)))?;
    while let Some(b) = decode(path, || Ok(batches.next()))? {
        let b = b.map_err(|e| perr(path, e))?;
        let cols: Vec<Col<'_>> = b.columns().iter().map(|c| Col::new(c.as_ref())).collect();
        for r in 0..b.num_rows() {
            each(&mut state, line, &Row { cols: &cols, r });
            line += 1;
        }
    }
    Ok(state)
}

/// Parsed batches of one row group, each with its rejections.
type GroupParts = Vec<(DatasetBuilder, Vec<Rejection>)>;

/// Reads items.parquet or mrr.parquet into the builder: row groups are decoded and parsed on
/// all threads, one wave of them at a time, and appended in file order.
pub(crate) fn read_lines_parquet(
    path: &Path,
    kind: SourceKind,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
    progress: Option<&Progress>,
) -> Result<(), IoError> {
    use rayon::prelude::*;
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let mut reported = 0u64;
    let (reader, cols) = open(path)?;
    let total_rows = reader.metadata().file_metadata().num_rows().max(1) as u64;
    let name = display_name(path);
    builder
        .notices
        .extend(cols.check(path, &name, known_columns(kind))?);
    let layout = Layout::new(kind, &cols, path)?;
    let file_idx = builder.add_file(&name);
    // Row groups are decoded and parsed on all threads, a wave of them at a time, and
    // appended in file order.
    let meta = reader.metadata().clone();
    let arrow_meta = decode(path, || {
        parquet::arrow::arrow_reader::ArrowReaderMetadata::try_new(meta.clone(), Default::default())
            .map_err(|e| perr(path, e))
    })?;
    let groups = meta.num_row_groups();
    let mut first_rows = Vec::with_capacity(groups);
    let mut rows_before = 0u64;
    for g in 0..groups {
        first_rows.push(rows_before);
        rows_before += meta.row_group(g).num_rows().max(0) as u64;
    }
    let read_group = |g: usize| -> Result<GroupParts, IoError> {
        let file = std::fs::File::open(path).map_err(|source| IoError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut batches = decode(path, || {
            ParquetRecordBatchReaderBuilder::new_with_metadata(file, arrow_meta.clone())
                .with_row_groups(vec![g])
                .with_batch_size(32 * 1024)
                .build()
                .map_err(|e| perr(path, e))
        })?;
        let mut line = first_rows[g] + 2;
        let mut parts = Vec::new();
        while let Some(b) = decode(path, || Ok(batches.next()))? {
            let b = b.map_err(|e| perr(path, e))?;
            parts.push(parse_batch(&b, line, kind, layout, &name));
            line += b.num_rows() as u64;
        }
        Ok(parts)
    };
    // Every row becomes at most one line: size the columns once.
    builder.reserve(usize::try_from(total_rows).unwrap_or(0));
    let wave = rayon::current_num_threads().max(1);
    let append = |waves: Vec<Result<GroupParts, IoError>>,
                  builder: &mut DatasetBuilder,
                  rejections: &mut Vec<Rejection>|
     -> Result<(), IoError> {
        for parts in waves {
            for (mut part, rej) in parts? {
                builder.append_from(&mut part, file_idx);
                rejections.extend(rej);
            }
        }
        Ok(())
    };
    let mut pending: Vec<Result<GroupParts, IoError>> = Vec::new();
    let mut g = 0;
    while g < groups {
        let upto = (g + wave).min(groups);
        // This wave of row groups is decoded while the previous one is appended.
        let previous = std::mem::take(&mut pending);
        let (waves, appended) = rayon::join(
            || {
                (g..upto)
                    .into_par_iter()
                    .map(read_group)
                    .collect::<Vec<_>>()
            },
            || append(previous, builder, rejections),
        );
        appended?;
        pending = waves;
        let done = if upto == groups {
            size
        } else {
            (size as u128 * u128::from(first_rows[upto]) / u128::from(total_rows)) as u64
        };
        Progress::advance(progress, done.saturating_sub(reported));
        reported = reported.max(done);
        g = upto;
    }
    append(pending, builder, rejections)
}
