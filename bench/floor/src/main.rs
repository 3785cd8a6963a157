//! `nrr-floor ITEMS_CSV`: the benchmark floor. Reads items.csv once and parses every field a
//! report uses into typed columns (ids, products and plans into string buffers, amounts as
//! exact integers, quantities and intervals as integers, dates as day numbers),
//! single-threaded, and does nothing else (`subscription_id`, which no figure uses, is
//! skipped, as `nrr report` skips it). `bench/run.sh` compares `nrr report` with this: the
//! time no CSV-based report can beat without reading less.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use nrr_core::date::Date;
use nrr_core::money::Decimal;
use std::process::ExitCode;

/// Typed columns of items.csv.
#[derive(Default)]
struct Columns {
    ids: Vec<u8>,
    id_ends: Vec<u32>,
    labels: Vec<u8>,
    label_ends: Vec<u32>,
    quantity: Vec<u64>,
    amount: Vec<i64>,
    decimals: Vec<u8>,
    interval: Vec<u32>,
    start: Vec<i32>,
    end: Vec<i32>,
    one_time: Vec<bool>,
    currency: Vec<[u8; 3]>,
    bad: u64,
}

fn text(rec: &csv::ByteRecord, i: Option<usize>) -> &str {
    i.and_then(|i| rec.get(i))
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or("")
}

fn run(path: &str) -> Result<Columns, Box<dyn std::error::Error>> {
    let mut rdr = csv::ReaderBuilder::new()
        .buffer_capacity(1 << 20)
        .from_path(path)?;
    let header = rdr.byte_headers()?.clone();
    let col = |name: &str| header.iter().position(|h| h == name.as_bytes());
    let (cust, amount, start) = (col("customer_id"), col("amount"), col("start_date"));
    let (product, plan, quantity) = (col("product"), col("plan"), col("quantity"));
    let (interval, end, kind, ccy) = (
        col("interval_months"),
        col("end_date"),
        col("kind"),
        col("currency"),
    );
    let mut c = Columns::default();
    let mut rec = csv::ByteRecord::new();
    while rdr.read_byte_record(&mut rec)? {
        c.ids.extend_from_slice(text(&rec, cust).as_bytes());
        c.id_ends.push(c.ids.len() as u32);
        for label in [product, plan] {
            c.labels.extend_from_slice(text(&rec, label).as_bytes());
            c.label_ends.push(c.labels.len() as u32);
        }
        c.quantity.push(text(&rec, quantity).parse().unwrap_or(1));
        let a = Decimal::parse(text(&rec, amount), 6);
        c.amount.push(a.map_or(0, |a| a.mantissa));
        c.decimals.push(a.map_or(0, |a| a.decimals as u8));
        c.interval.push(text(&rec, interval).parse().unwrap_or(1));
        c.start
            .push(Date::parse(text(&rec, start)).map_or(i32::MIN, Date::days));
        c.end
            .push(Date::parse(text(&rec, end)).map_or(i32::MAX, Date::days));
        c.one_time.push(text(&rec, kind) == "one_time");
        let mut code = [0u8; 3];
        code.copy_from_slice(text(&rec, ccy).as_bytes().get(..3).unwrap_or(b"   "));
        c.currency.push(code);
        c.bad += u64::from(a.is_none());
    }
    Ok(c)
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: nrr-floor ITEMS_CSV");
        return ExitCode::from(2);
    };
    match run(&path) {
        Ok(c) => {
            println!(
                "{} rows parsed ({} unparsable amounts)",
                c.amount.len(),
                c.bad
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
