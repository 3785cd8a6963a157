//! Parquet twins of items.csv and mrr.csv (feature `parquet`).
//!
//! Columns carry the same names as in CSV. Accepted types: strings (Utf8, LargeUtf8,
//! Utf8View) for every column; integers for `quantity` and `interval_months`; `Date32` for
//! dates; `Decimal128` or integers for `amount` and `mrr`. Floating-point money columns are
//! refused: they cannot hold cents exactly. Each cell is validated by the same rules as CSV;
//! a rejection names the row as `line` = row number + 1 (as if there were a header line).

use crate::error::{IoError, Rejection};
use crate::read::{Cols, Layout, Sink};
use arrow_array::{
    Array, Date32Array, Decimal128Array, Int16Array, Int32Array, Int64Array, Int8Array,
    LargeStringArray, RecordBatch, StringArray, StringViewArray, UInt16Array, UInt32Array,
    UInt64Array, UInt8Array,
};
use arrow_schema::{DataType, Field, Schema};
use nrr_core::dataset::{DatasetBuilder, SourceKind};
use nrr_core::date::Date;
use nrr_core::money::{format_scaled, Decimal, MAX_AMOUNT_DECIMALS};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

fn perr(path: &Path, e: impl std::fmt::Display) -> IoError {
    IoError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// One cell as text, as it would appear in CSV (`""` for null).
fn cell(a: &dyn Array, i: usize) -> Cow<'_, str> {
    if a.is_null(i) {
        return Cow::Borrowed("");
    }
    macro_rules! ints {
        ($($t:ty),*) => {$(
            if let Some(x) = a.as_any().downcast_ref::<$t>() {
                return Cow::Owned(x.value(i).to_string());
            }
        )*};
    }
    if let Some(x) = a.as_any().downcast_ref::<StringArray>() {
        return Cow::Borrowed(x.value(i));
    }
    if let Some(x) = a.as_any().downcast_ref::<LargeStringArray>() {
        return Cow::Borrowed(x.value(i));
    }
    if let Some(x) = a.as_any().downcast_ref::<StringViewArray>() {
        return Cow::Borrowed(x.value(i));
    }
    if let Some(x) = a.as_any().downcast_ref::<Date32Array>() {
        return Cow::Owned(Date::from_days(x.value(i)).to_string());
    }
    if let Some(x) = a.as_any().downcast_ref::<Decimal128Array>() {
        return Cow::Owned(format_scaled(x.value(i), x.scale().max(0) as u32));
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
    Cow::Borrowed("")
}

fn supported(t: &DataType) -> bool {
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

/// Reads items.parquet or mrr.parquet into the builder.
pub(crate) fn read_lines_parquet(
    path: &Path,
    kind: SourceKind,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
) -> Result<(), IoError> {
    let file = std::fs::File::open(path).map_err(|source| IoError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| perr(path, e))?;
    let schema = reader.schema().clone();
    for f in schema.fields() {
        if !supported(f.data_type()) {
            return Err(perr(
                path,
                format!(
                    "column `{}` has type {}; use strings, integers, Date32 or Decimal128 (floating point cannot hold money exactly)",
                    f.name(),
                    f.data_type()
                ),
            ));
        }
    }
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let layout = Layout::new(kind, &Cols::new(&names), path)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let file_idx = builder.add_file(&name);
    let mut sink = Sink {
        builder,
        rejections,
        file: file_idx,
        name,
        layout,
    };
    let mut row_base: u64 = 0;
    for batch in reader
        .with_batch_size(64 * 1024)
        .build()
        .map_err(|e| perr(path, e))?
    {
        let batch = batch.map_err(|e| perr(path, e))?;
        let cols: Vec<&dyn Array> = batch.columns().iter().map(|c| c.as_ref()).collect();
        let mut cells: Vec<Cow<'_, str>> = Vec::with_capacity(cols.len());
        for i in 0..batch.num_rows() {
            cells.clear();
            cells.extend(cols.iter().map(|c| cell(*c, i)));
            let rec: Vec<&str> = cells.iter().map(|c| c.as_ref()).collect();
            sink.row(row_base + i as u64 + 2, rec.as_slice());
        }
        row_base += batch.num_rows() as u64;
    }
    Ok(())
}

/// Converts an items.csv into items.parquet with typed columns: dates as `Date32`, integers as
/// `Int64`, `amount` as `Decimal128(18, 6)` (every amount nrr accepts fits exactly), the rest
/// as strings. Streams in batches, so memory stays flat on large files. Every row must be
/// valid (it is meant for generated data); the first invalid value stops it with an error.
pub fn items_csv_to_parquet(csv_path: &Path, out: &Path) -> Result<u64, IoError> {
    const BATCH: usize = 128 * 1024;
    let csv_err = |source| IoError::Csv {
        path: csv_path.to_path_buf(),
        source,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .buffer_capacity(1 << 20)
        .from_path(csv_path)
        .map_err(csv_err)?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(str::to_string)
        .collect();
    let kind_of = |name: &str| match name {
        "start_date" | "end_date" => DataType::Date32,
        "quantity" | "interval_months" => DataType::Int64,
        "amount" => DataType::Decimal128(18, MAX_AMOUNT_DECIMALS as i8),
        _ => DataType::Utf8,
    };
    let fields: Vec<Field> = header
        .iter()
        .map(|h| Field::new(h, kind_of(h), h != "amount"))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let file = std::fs::File::create(out).map_err(|source| IoError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut w =
        ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| perr(out, e))?;
    let bad = |col: &str, v: &str| {
        perr(
            csv_path,
            format!("column `{col}`: `{v}` cannot be converted"),
        )
    };
    let mut columns: Vec<Vec<String>> = vec![Vec::with_capacity(BATCH); header.len()];
    let mut rows = 0u64;
    let mut records = rdr.into_records();
    loop {
        let mut n = 0;
        for rec in records.by_ref() {
            let rec = rec.map_err(csv_err)?;
            for (i, col) in columns.iter_mut().enumerate() {
                col.push(rec.get(i).unwrap_or("").to_string());
            }
            n += 1;
            if n == BATCH {
                break;
            }
        }
        if n == 0 {
            break;
        }
        rows += n as u64;
        let mut arrays: Vec<Arc<dyn Array>> = Vec::with_capacity(header.len());
        for (name, values) in header.iter().zip(&columns) {
            arrays.push(match kind_of(name) {
                DataType::Date32 => {
                    let v: Result<Vec<Option<i32>>, IoError> = values
                        .iter()
                        .map(|s| {
                            if s.is_empty() {
                                Ok(None)
                            } else {
                                Date::parse(s)
                                    .map(|d| Some(d.days()))
                                    .ok_or_else(|| bad(name, s))
                            }
                        })
                        .collect();
                    Arc::new(Date32Array::from(v?))
                }
                DataType::Int64 => {
                    let v: Result<Vec<Option<i64>>, IoError> = values
                        .iter()
                        .map(|s| {
                            if s.is_empty() {
                                Ok(None)
                            } else {
                                s.parse().map(Some).map_err(|_| bad(name, s))
                            }
                        })
                        .collect();
                    Arc::new(Int64Array::from(v?))
                }
                DataType::Decimal128(p, sc) => {
                    let v: Result<Vec<i128>, IoError> = values
                        .iter()
                        .map(|s| {
                            Decimal::parse(s, MAX_AMOUNT_DECIMALS)
                                .map(|d| {
                                    i128::from(d.mantissa)
                                        * 10i128.pow(MAX_AMOUNT_DECIMALS - d.decimals)
                                })
                                .ok_or_else(|| bad(name, s))
                        })
                        .collect();
                    Arc::new(
                        Decimal128Array::from(v?)
                            .with_precision_and_scale(p, sc)
                            .map_err(|e| perr(csv_path, e))?,
                    )
                }
                _ => Arc::new(StringArray::from_iter_values(values)),
            });
        }
        let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| perr(out, e))?;
        w.write(&batch).map_err(|e| perr(out, e))?;
        for c in &mut columns {
            c.clear();
        }
    }
    w.close().map_err(|e| perr(out, e))?;
    Ok(rows)
}
