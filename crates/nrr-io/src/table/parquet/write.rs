//! The Parquet writers: items.csv as typed Parquet (for generated data and benchmarks),
//! `nrr movements -o FILE.parquet` and `nrr lines -o FILE.parquet`.

use super::perr;
use crate::error::IoError;
use arrow_array::{Array, Date32Array, Decimal128Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use nrr_core::date::Date;
use nrr_core::money::{Decimal, MAX_AMOUNT_DECIMALS};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;

/// Converts an items.csv into items.parquet with typed columns: dates as `Date32`, integers as
/// `Int64`, `amount` and `unit_amount` as `Decimal128(18, 6)` (every amount nrr accepts fits
/// exactly; empty is null when the file has `unit_amount`), the rest as strings. Streams in batches, so memory stays flat on large files. Every row must be
/// valid (it is meant for generated data); the first invalid value stops it with an error.
pub fn items_csv_to_parquet(csv_path: &Path, out: &Path) -> Result<u64, IoError> {
    items_csv_to_parquet_with(csv_path, out, 64 * 1024)
}

/// [`items_csv_to_parquet`] with a chosen number of rows per row group.
pub fn items_csv_to_parquet_with(
    csv_path: &Path,
    out: &Path,
    row_group_rows: usize,
) -> Result<u64, IoError> {
    let batch_rows = (128 * 1024).min(row_group_rows.max(1));
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
    // `amount` is required unless a `unit_amount` column may stand in for it.
    let unit_prices = header.iter().any(|h| h == "unit_amount");
    let fields: Vec<Field> = header
        .iter()
        .map(|h| Field::new(h, item_type(h), h != "amount" || unit_prices))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    // Several row groups: readers (nrr among them) decode row groups in parallel.
    let mut w = writer(out, &schema, Some(row_group_rows))?;
    let mut columns: Vec<Vec<String>> = vec![Vec::with_capacity(batch_rows); header.len()];
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
            if n == batch_rows {
                break;
            }
        }
        if n == 0 {
            break;
        }
        rows += n as u64;
        let arrays = header
            .iter()
            .zip(&columns)
            .map(|(name, values)| {
                let column = ItemColumn {
                    name,
                    values,
                    unit_prices,
                };
                column.array(csv_path)
            })
            .collect::<Result<Vec<_>, IoError>>()?;
        let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| perr(out, e))?;
        w.write(&batch).map_err(|e| perr(out, e))?;
        for c in &mut columns {
            c.clear();
        }
    }
    w.close().map_err(|e| perr(out, e))?;
    Ok(rows)
}

/// The Parquet type of an items.csv column: dates as `Date32`, integers as `Int64`, amounts
/// as `Decimal128(18, 6)`, the rest as strings.
fn item_type(name: &str) -> DataType {
    match name {
        "start_date" | "end_date" => DataType::Date32,
        "quantity" | "interval_months" => DataType::Int64,
        "amount" | "unit_amount" => DataType::Decimal128(18, MAX_AMOUNT_DECIMALS as i8),
        _ => DataType::Utf8,
    }
}

/// One batch of an items.csv column, as text.
struct ItemColumn<'a> {
    name: &'a str,
    values: &'a [String],
    /// The file has `unit_amount`: an empty amount is null.
    unit_prices: bool,
}

impl ItemColumn<'_> {
    /// The column as an array of its Parquet type ([`item_type`]); a value that does not
    /// convert is an error naming `csv_path`.
    fn array(&self, csv_path: &Path) -> Result<Arc<dyn Array>, IoError> {
        let name = self.name;
        let bad = |v: &str| {
            perr(
                csv_path,
                format!("column `{name}`: `{v}` cannot be converted"),
            )
        };
        let values = self.values.iter();
        Ok(match item_type(name) {
            DataType::Date32 => {
                let v: Vec<Option<i32>> = values
                    .map(|s| match s.is_empty() {
                        true => Ok(None),
                        false => Date::parse(s).map(|d| Some(d.days())).ok_or_else(|| bad(s)),
                    })
                    .collect::<Result<_, _>>()?;
                Arc::new(Date32Array::from(v))
            }
            DataType::Int64 => {
                let v: Vec<Option<i64>> = values
                    .map(|s| match s.is_empty() {
                        true => Ok(None),
                        false => s.parse().map(Some).map_err(|_| bad(s)),
                    })
                    .collect::<Result<_, _>>()?;
                Arc::new(Int64Array::from(v))
            }
            DataType::Decimal128(p, sc) => {
                let v: Vec<Option<i128>> = values
                    .map(|s| {
                        if s.is_empty() && self.unit_prices {
                            return Ok(None);
                        }
                        let d = Decimal::parse(s, MAX_AMOUNT_DECIMALS).ok_or_else(|| bad(s))?;
                        let scale = 10i128.pow(MAX_AMOUNT_DECIMALS - d.decimals);
                        Ok(Some(i128::from(d.mantissa) * scale))
                    })
                    .collect::<Result<_, IoError>>()?;
                Arc::new(
                    Decimal128Array::from(v)
                        .with_precision_and_scale(p, sc)
                        .map_err(|e| perr(csv_path, e))?,
                )
            }
            _ => Arc::new(StringArray::from_iter_values(self.values)),
        })
    }
}

/// Writes every customer-month movement to a Parquet file (docs/cli.md, `nrr movements`):
/// `month` (`YYYY-MM`), `customer_id`, `category`, `reason` (null when empty) and
/// `segment_<column>` as strings; `amount` and `amount_at_month_rates` as
/// `Decimal128(38, 12)`, the values of the CSV (the same allocation to 12 decimals). Returns
/// the number of rows written.
pub fn write_movements(m: &nrr_core::movements::Movements, out: &Path) -> Result<u64, IoError> {
    use crate::write::{movement_header, movement_reason, MOVEMENT_PLACES};
    let header = movement_header(m);
    let money = DataType::Decimal128(38, MOVEMENT_PLACES as i8);
    let fields: Vec<Field> = header
        .iter()
        .enumerate()
        .map(|(i, h)| match i {
            3 => Field::new(h, DataType::Utf8, true),
            4 | 5 => Field::new(h, money.clone(), false),
            _ => Field::new(h, DataType::Utf8, false),
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let mut w = writer(out, &schema, None)?;
    let amounts = crate::write::movement_amounts(m).map_err(|e| perr(out, e))?;
    for (rows, amounts) in m.rows.chunks(64 * 1024).zip(amounts.chunks(64 * 1024)) {
        let text = |f: &dyn Fn(&nrr_core::movements::MovementRow) -> String| -> Arc<dyn Array> {
            Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
        };
        let decimal = |col: usize| -> Result<Arc<dyn Array>, IoError> {
            let v: Vec<i128> = amounts.iter().map(|a| a[col]).collect();
            if v.iter().any(|x| x.unsigned_abs() >= 10u128.pow(38)) {
                return Err(perr(out, "an amount does not fit Decimal128(38, 12)"));
            }
            Ok(Arc::new(
                Decimal128Array::from(v)
                    .with_precision_and_scale(38, MOVEMENT_PLACES as i8)
                    .map_err(|e| perr(out, e))?,
            ))
        };
        let mut arrays: Vec<Arc<dyn Array>> = vec![
            text(&|r| r.month.to_string()),
            text(&|r| r.customer_id.clone()),
            text(&|r| r.category.name().to_string()),
            Arc::new(StringArray::from(
                rows.iter()
                    .map(|r| Some(movement_reason(m, r)).filter(|s| !s.is_empty()))
                    .collect::<Vec<_>>(),
            )),
            decimal(0)?,
            decimal(1)?,
        ];
        for k in 0..m.segments.len() {
            arrays.push(text(&|r| m.segment_value(r, k).to_string()));
        }
        let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| perr(out, e))?;
        w.write(&batch).map_err(|e| perr(out, e))?;
    }
    w.close().map_err(|e| perr(out, e))?;
    Ok(m.rows.len() as u64)
}

/// Writes every recurring line as an items row to a Parquet file (docs/cli.md, `nrr lines`):
/// the columns of [`crate::write::LINE_COLUMNS`], `customer_id`, `subscription_id`,
/// `product`, `plan`, `currency` and `kind` as strings (null where the CSV is empty:
/// `subscription_id` always, `product`, `plan` and `currency` when not known),
/// `quantity` and `interval_months` as `Int64`, `start_date` and `end_date` as `Date32`
/// (`end_date` null when open), `amount` as `Decimal128(38, s)` with `s` the most places any
/// amount of the file has (2 to 6). Returns the number of rows written.
pub fn write_lines(rows: &nrr_core::dataset::ItemRows<'_>, out: &Path) -> Result<u64, IoError> {
    use crate::write::LINE_COLUMNS;
    let places = rows
        .iter()
        .map(|r| r.amount.decimals)
        .max()
        .unwrap_or(0)
        .clamp(2, MAX_AMOUNT_DECIMALS);
    let money = DataType::Decimal128(38, places as i8);
    let fields: Vec<Field> = LINE_COLUMNS
        .iter()
        .map(|&name| match name {
            "customer_id" | "kind" => Field::new(name, DataType::Utf8, false),
            "quantity" | "interval_months" => Field::new(name, DataType::Int64, false),
            "amount" => Field::new(name, money.clone(), false),
            "start_date" => Field::new(name, DataType::Date32, false),
            "end_date" => Field::new(name, DataType::Date32, true),
            _ => Field::new(name, DataType::Utf8, true),
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let mut w = writer(out, &schema, None)?;
    let mut batch_rows = Vec::with_capacity(LINES_BATCH);
    let mut written = 0u64;
    let mut it = rows.iter().peekable();
    while it.peek().is_some() {
        batch_rows.clear();
        batch_rows.extend(it.by_ref().take(LINES_BATCH));
        let batch = lines_batch(&batch_rows, places, schema.clone()).map_err(|e| perr(out, e))?;
        w.write(&batch).map_err(|e| perr(out, e))?;
        written += batch_rows.len() as u64;
    }
    w.close().map_err(|e| perr(out, e))?;
    Ok(written)
}

/// Rows per record batch of [`write_lines`].
const LINES_BATCH: usize = 64 * 1024;

/// One record batch of [`write_lines`]: `rows` with amounts at `places` decimals.
fn lines_batch<'a>(
    rows: &[nrr_core::dataset::ItemRow<'a>],
    places: u32,
    schema: Arc<Schema>,
) -> Result<RecordBatch, String> {
    let text = |f: &dyn Fn(&nrr_core::dataset::ItemRow<'a>) -> &'a str| -> Arc<dyn Array> {
        Arc::new(StringArray::from(
            rows.iter()
                .map(|r| Some(f(r)).filter(|s| !s.is_empty()))
                .collect::<Vec<_>>(),
        ))
    };
    let int =
        |f: &dyn Fn(&nrr_core::dataset::ItemRow<'_>) -> u64| -> Result<Arc<dyn Array>, String> {
            let v = rows
                .iter()
                .map(|r| i64::try_from(f(r)).map_err(|_| format!("{} does not fit Int64", f(r))))
                .collect::<Result<Vec<i64>, String>>()?;
            Ok(Arc::new(Int64Array::from(v)))
        };
    // Every amount has at most `places` decimals and fits an i64 mantissa: exact in 38 digits.
    let amounts: Vec<i128> = rows
        .iter()
        .map(|r| i128::from(r.amount.mantissa) * 10i128.pow(places - r.amount.decimals))
        .collect();
    let amount = Decimal128Array::from(amounts)
        .with_precision_and_scale(38, places as i8)
        .map_err(|e| e.to_string())?;
    let arrays: Vec<Arc<dyn Array>> = vec![
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.customer),
        )),
        Arc::new(StringArray::from(vec![None::<&str>; rows.len()])),
        text(&|r| r.product),
        text(&|r| r.plan),
        int(&|r| r.quantity)?,
        Arc::new(amount),
        text(&|r| r.currency),
        int(&|r| u64::from(r.interval))?,
        Arc::new(Date32Array::from_iter_values(
            rows.iter().map(|r| r.start.days()),
        )),
        Arc::new(Date32Array::from(
            rows.iter()
                .map(|r| r.end.map(Date::days))
                .collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|_| "recurring"),
        )),
    ];
    RecordBatch::try_new(schema, arrays).map_err(|e| e.to_string())
}

/// A Snappy-compressed Parquet writer of `schema` to a new file `out`, with row groups of at
/// most `row_group_rows` rows when given (the library's default otherwise).
fn writer(
    out: &Path,
    schema: &Arc<Schema>,
    row_group_rows: Option<usize>,
) -> Result<ArrowWriter<std::fs::File>, IoError> {
    let file = std::fs::File::create(out).map_err(|source| IoError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let mut props = WriterProperties::builder().set_compression(Compression::SNAPPY);
    if let Some(rows) = row_group_rows {
        props = props.set_max_row_group_row_count(Some(rows.max(1)));
    }
    ArrowWriter::try_new(file, schema.clone(), Some(props.build())).map_err(|e| perr(out, e))
}
