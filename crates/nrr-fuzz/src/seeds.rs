//! The inputs: a data directory's files, and the seeds (every fixture directory, built-in
//! inputs, generated data and Parquet twins of the CSV ones).

use crate::rng::Rng;
use std::path::{Path, PathBuf};

/// One file of an input directory. A Parquet file keeps the CSV it was written from, so that
/// it can be mutated as CSV and written again.
#[derive(Clone)]
pub(crate) struct File {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) csv_twin: Option<Vec<u8>>,
}

/// One input: a data directory.
#[derive(Clone)]
pub(crate) struct Input {
    pub(crate) origin: String,
    pub(crate) files: Vec<File>,
}

impl Input {
    pub(crate) fn size(&self) -> usize {
        self.files.iter().map(|f| f.bytes.len()).sum()
    }
}

pub(crate) fn is_data(name: &str) -> bool {
    name != "expected.json"
        && [".csv", ".json", ".jsonl", ".parquet"]
            .iter()
            .any(|e| name.ends_with(e))
}

/// The seeds: every fixture directory, built-in inputs, and Parquet twins of the CSV ones.
pub(crate) fn seeds(fixtures: &Path) -> Vec<Input> {
    let mut out = fixture_seeds(fixtures);
    out.extend(builtin_seeds());
    out.extend(generated_seeds());
    let twins = parquet_twins(&out);
    out.extend(twins);
    out
}

/// Every fixture directory with data files, in name order.
fn fixture_seeds(fixtures: &Path) -> Vec<Input> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    dirs.sort();
    for d in dirs {
        let mut files = Vec::new();
        let mut names: Vec<PathBuf> = std::fs::read_dir(&d)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        names.sort();
        for p in names {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            if let (Some(name), Ok(bytes)) = (name, std::fs::read(&p)) {
                if is_data(&name) {
                    files.push(File {
                        name,
                        bytes,
                        csv_twin: None,
                    });
                }
            }
        }
        if !files.is_empty() {
            let origin = d
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            out.push(Input { origin, files });
        }
    }
    out
}

/// The inputs no fixture has: mrr.csv, annotations.csv (both headers), customer_map.csv.
fn builtin_seeds() -> Vec<Input> {
    let mut out = Vec::new();
    let text = |name: &str, s: &str| File {
        name: name.to_string(),
        bytes: s.as_bytes().to_vec(),
        csv_twin: None,
    };
    out.push(Input {
        origin: "builtin-mrr".into(),
        files: vec![
            text(
                "mrr.csv",
                "customer_id,month,mrr,currency\nacme,2023-12,2000.00,USD\nacme,2024-03,2400.00,USD\nglobex,2023-12,1500.00,EUR\nglobex,2024-01,1500.00,EUR\ninitech,2023-12,2000.00,\n",
            ),
            text("fx.csv", "date,currency,rate\n2023-11-01,EUR,1.10\n2024-02-15,EUR,1.20\n"),
            text(
                "annotations.csv",
                "period,customer_id,note\n2024-Q1,,Price rise\n2024-01,acme,\"Moved to annual, restructured\"\n",
            ),
            text("customers.csv", "customer_id,segment,region\nacme,smb,emea\nglobex,ent,amer\n"),
        ],
    });
    out.push(Input {
        origin: "builtin-items".into(),
        files: vec![
            text(
                "items.csv",
                "customer_id,subscription_id,product,plan,quantity,amount,currency,interval_months,start_date,end_date,kind\r\nacme,acme-1,platform,business,2,1000.00,USD,1,2023-12-01,,recurring\r\nacme,acme-setup,onboarding,setup-fee,1,5000.00,USD,1,2024-01-15,,one_time\r\nglobex,globex-1,platform,team,3,\"750.00\",,12,2024-01-01,2025-01-01,\r\n",
            ),
            text("annotations.csv", "month,note\n2024-01,Migration week\n2030-01,Outside\n"),
            text("customers.csv", "customer_id,segment\nacme,smb\nglobex,ent\n"),
            text(
                "customer_map.csv",
                "from_customer_id,to_customer_id,note\r\nglobex,acme,\"merged, 2024\"\r\nold,acme,\r\n",
            ),
        ],
    });
    out
}

/// Generated data (several currencies, fx.csv) and its snappy-compressed items.parquet, as
/// `nrr generate --parquet` writes them: a file of the size and shape users have.
fn generated_seeds() -> Vec<Input> {
    let mut out = Vec::new();
    let gen = std::env::temp_dir().join(format!("nrr-fuzz-seed-{}", std::process::id()));
    let opts = nrr_io::generate::GenerateOptions {
        customers: 40,
        months: 12,
        seed: 5,
        currencies: true,
        start_year: 2023,
        start_month: 1,
    };
    if nrr_io::generate::generate(&opts, &gen).is_ok() {
        let read = |n: &str| std::fs::read(gen.join(n)).unwrap_or_default();
        let mut files = vec![
            File {
                name: "items.csv".into(),
                bytes: read("items.csv"),
                csv_twin: None,
            },
            File {
                name: "fx.csv".into(),
                bytes: read("fx.csv"),
                csv_twin: None,
            },
        ];
        out.push(Input {
            origin: "generated".into(),
            files: files.clone(),
        });
        let pq = gen.join("items.parquet");
        if nrr_io::parquet::items_csv_to_parquet_with(&gen.join("items.csv"), &pq, 64).is_ok() {
            files[0] = File {
                name: "items.parquet".into(),
                bytes: std::fs::read(&pq).unwrap_or_default(),
                csv_twin: None,
            };
            out.push(Input {
                origin: "generated-parquet".into(),
                files,
            });
        }
    }
    let _ = std::fs::remove_dir_all(&gen);
    out
}

/// Parquet twins of every CSV revenue seed (the same directory, the CSV replaced).
fn parquet_twins(seeds: &[Input]) -> Vec<Input> {
    let parquet_stems = [
        "items",
        "mrr",
        "invoices",
        "subscription_events",
        "subscription_snapshots",
        "revenue_movements",
    ];
    let mut twins = Vec::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for s in seeds {
        let mut t = s.clone();
        let mut any = false;
        for f in &mut t.files {
            let Some(stem) = f.name.strip_suffix(".csv") else {
                continue;
            };
            if !parquet_stems.contains(&stem) {
                continue;
            }
            if let Some(pq) = to_parquet(&f.bytes, &mut rng) {
                f.csv_twin = Some(std::mem::replace(&mut f.bytes, pq));
                f.name = format!("{stem}.parquet");
                any = true;
            }
        }
        if any {
            t.origin = format!("{}-parquet", s.origin);
            twins.push(t);
        }
    }
    twins
}

/// A CSV file as Parquet: dates as Date32, counts as Int64, amounts as Decimal128(18, 6) when
/// every cell converts (else strings), other columns as strings, plain or dictionary-encoded.
pub(crate) fn to_parquet(csv_bytes: &[u8], rng: &mut Rng) -> Option<Vec<u8>> {
    use arrow_array::{
        Array, Date32Array, Decimal128Array, DictionaryArray, Int64Array, RecordBatch, StringArray,
    };
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_bytes);
    let header: Vec<String> = rdr.headers().ok()?.iter().map(str::to_string).collect();
    if header.is_empty() {
        return None;
    }
    let mut columns: Vec<Vec<Option<String>>> = vec![Vec::new(); header.len()];
    for rec in rdr.records() {
        let rec = rec.ok()?;
        for (i, c) in columns.iter_mut().enumerate() {
            c.push(rec.get(i).filter(|v| !v.is_empty()).map(str::to_string));
        }
    }
    let mut fields = Vec::new();
    let mut arrays: Vec<Arc<dyn Array>> = Vec::new();
    let date = |s: &str| nrr_core::date::Date::parse(s).map(nrr_core::date::Date::days);
    for (name, values) in header.iter().zip(&columns) {
        let all = |ok: &dyn Fn(&str) -> bool| values.iter().flatten().all(|v| ok(v));
        let (dt, array): (DataType, Arc<dyn Array>) = if (name.contains("date")
            || name.starts_with("service_period"))
            && all(&|v| date(v).is_some())
        {
            let a: Date32Array = values.iter().map(|v| v.as_deref().and_then(date)).collect();
            (DataType::Date32, Arc::new(a))
        } else if matches!(name.as_str(), "quantity" | "interval_months")
            && all(&|v| v.parse::<i64>().is_ok())
        {
            let a: Int64Array = values
                .iter()
                .map(|v| v.as_deref().and_then(|v| v.parse().ok()))
                .collect();
            (DataType::Int64, Arc::new(a))
        } else if matches!(
            name.as_str(),
            "amount" | "mrr" | "discount" | "tax" | "mrr_change"
        ) && all(&|v| nrr_core::money::Decimal::parse(v, 6).is_some())
        {
            let scaled = |v: &str| {
                nrr_core::money::Decimal::parse(v, 6)
                    .map(|d| i128::from(d.mantissa) * 10i128.pow(6 - d.decimals))
            };
            let a: Decimal128Array = values
                .iter()
                .map(|v| v.as_deref().and_then(scaled))
                .collect();
            let a = a.with_precision_and_scale(18, 6).ok()?;
            (DataType::Decimal128(18, 6), Arc::new(a))
        } else if rng.chance(2) {
            let a: DictionaryArray<arrow_array::types::Int32Type> =
                values.iter().map(|v| v.as_deref()).collect();
            (
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                Arc::new(a),
            )
        } else {
            let a: StringArray = values.iter().map(|v| v.as_deref()).collect();
            (DataType::Utf8, Arc::new(a))
        };
        fields.push(Field::new(name, dt, true));
        arrays.push(array);
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).ok()?;
    let mut out = Vec::new();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(1 + rng.below(4)))
        .build();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, schema, Some(props)).ok()?;
    w.write(&batch).ok()?;
    w.close().ok()?;
    Some(out)
}
