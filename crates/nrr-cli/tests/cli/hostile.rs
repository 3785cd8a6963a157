//! The catalogue of hostile inputs (issue 14): every case in `tests/hostile/<case>/` is run and
//! must end with its expected exit code (an error with exit 1 or 2, or figures with exit 0),
//! never a panic, an abort or a hang; its transcript (exit code, stdout, stderr) is a snapshot
//! in `tests/cli/snapshots/cli__hostile__<case>.snap`.
//!
//! A case is a directory with `case.txt` and the files of `data/`. `case.txt` holds:
//! - `args: ...`: the command line (whitespace-separated) run in a temporary copy of the case,
//!   where `data` is the data directory;
//! - `exit: N`: the expected exit code;
//! - `setup: ...` (any number): what cannot be a plain file in git, made before the run:
//!   `dev-zero PATH` (a link to /dev/zero), `fifo PATH SOURCE` (a named pipe fed with SOURCE),
//!   `long-line PATH BYTES` (a header, then a line of BYTES bytes without a line break),
//!   `parquet CSV [dict=COLUMN]` (CSV written as Parquet with typed columns; a cell
//!   `#days:N` is a raw Date32, a column with a cell `#dec38:N` is Decimal128(38, 0)).
//! - lines starting with `#`: what the case shows.
//!
//! To regenerate after an intended change: `INSTA_UPDATE=always cargo test -p nrr-cli --test
//! cli hostile`, then review the `.snap` files.

use crate::util::{copy_dir, repo_root};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// At least this many cases (issue 14 asks for 60; the rejection transcripts of
/// `tests/cli.rs` come on top).
const MIN_CASES: usize = 60;

/// A CSV file as Parquet (see the module documentation).
fn to_parquet(csv_path: &Path, dict: &[&str]) {
    use arrow_array::{
        Array, Date32Array, Decimal128Array, DictionaryArray, Int64Array, RecordBatch, StringArray,
    };
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(csv_path)
        .expect("a CSV file");
    let header: Vec<String> = rdr
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_string)
        .collect();
    let mut columns: Vec<Vec<Option<String>>> = vec![Vec::new(); header.len()];
    for rec in rdr.records() {
        let rec = rec.expect("a record");
        for (i, c) in columns.iter_mut().enumerate() {
            c.push(rec.get(i).filter(|v| !v.is_empty()).map(str::to_string));
        }
    }
    let mut fields = Vec::new();
    let mut arrays: Vec<Arc<dyn Array>> = Vec::new();
    for (name, values) in header.iter().zip(&columns) {
        let any = |p: &str| values.iter().flatten().any(|v| v.starts_with(p));
        let (dt, a): (DataType, Arc<dyn Array>) = if name.contains("date") {
            let a: Date32Array = values
                .iter()
                .map(|v| {
                    v.as_deref().map(|v| match v.strip_prefix("#days:") {
                        Some(n) => n.parse().expect("days"),
                        None => nrr_core::date::Date::parse(v).expect("a date").days(),
                    })
                })
                .collect();
            (DataType::Date32, Arc::new(a))
        } else if any("#dec38:") {
            let a: Decimal128Array = values
                .iter()
                .map(|v| {
                    v.as_deref().map(|v| {
                        v.trim_start_matches("#dec38:")
                            .parse::<i128>()
                            .expect("i128")
                    })
                })
                .collect();
            let a = a
                .with_precision_and_scale(38, 0)
                .expect("Decimal128(38, 0)");
            (DataType::Decimal128(38, 0), Arc::new(a))
        } else if name == "interval_months" || name == "quantity" {
            let a: Int64Array = values
                .iter()
                .map(|v| v.as_deref().map(|v| v.parse().expect("an integer")))
                .collect();
            (DataType::Int64, Arc::new(a))
        } else if dict.contains(&name.as_str()) {
            let a: DictionaryArray<arrow_array::types::Int8Type> =
                values.iter().map(|v| v.as_deref()).collect();
            (
                DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8)),
                Arc::new(a),
            )
        } else {
            let a: StringArray = values.iter().map(|v| v.as_deref()).collect();
            (DataType::Utf8, Arc::new(a))
        };
        fields.push(Field::new(name, dt, true));
        arrays.push(a);
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).expect("a batch");
    let out = csv_path.with_extension("parquet");
    let file = std::fs::File::create(&out).expect("creating the Parquet file");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None).expect("a writer");
    w.write(&batch).expect("writing");
    w.close().expect("closing");
    std::fs::remove_file(csv_path).expect("removing the CSV file");
}

struct Case {
    name: String,
    args: Vec<String>,
    exit: i32,
    setup: Vec<Vec<String>>,
}

fn case(dir: &Path) -> Case {
    let text = std::fs::read_to_string(dir.join("case.txt")).expect("case.txt");
    let name = dir
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    let mut c = Case {
        name,
        args: Vec::new(),
        exit: -1,
        setup: Vec::new(),
    };
    for l in text.lines() {
        if let Some(a) = l.strip_prefix("args:") {
            c.args = a.split_whitespace().map(str::to_string).collect();
        } else if let Some(e) = l.strip_prefix("exit:") {
            c.exit = e.trim().parse().expect("an exit code");
        } else if let Some(s) = l.strip_prefix("setup:") {
            c.setup
                .push(s.split_whitespace().map(str::to_string).collect());
        }
    }
    assert!(
        !c.args.is_empty() && c.exit >= 0,
        "{}: args and exit",
        c.name
    );
    c
}

/// Runs one case in a temporary copy; returns the transcript, or what went wrong.
fn run(dir: &Path, c: &Case) -> Result<String, String> {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let work = tmp.path();
    copy_dir(dir, work);
    let mut feeders = Vec::new();
    for s in &c.setup {
        let at = |i: usize| work.join(&s[i]);
        // Git keeps no empty directory: a case whose only input is made here (a link, a
        // long line) has no data directory of its own.
        if let Some(parent) = at(1).parent() {
            std::fs::create_dir_all(parent).expect("the case's directory");
        }
        match s[0].as_str() {
            "dev-zero" => std::os::unix::fs::symlink("/dev/zero", at(1)).expect("a link"),
            "fifo" => {
                let ok = Command::new("mkfifo")
                    .arg(at(1))
                    .status()
                    .is_ok_and(|s| s.success());
                assert!(ok, "mkfifo");
                let (pipe, source) = (at(1), at(2));
                feeders.push(std::thread::spawn(move || {
                    let bytes = std::fs::read(source).expect("the source");
                    // Opening blocks until nrr opens the pipe to read.
                    let _ = std::fs::write(pipe, bytes);
                }));
            }
            "long-line" => {
                let n: usize = s[2].parse().expect("a size");
                let mut b = b"customer_id,amount,start_date\n".to_vec();
                b.extend(std::iter::repeat_n(b'a', n));
                std::fs::write(at(1), b).expect("writing");
            }
            "parquet" => {
                let dict: Vec<&str> = s[2..]
                    .iter()
                    .filter_map(|a| a.strip_prefix("dict="))
                    .collect();
                to_parquet(&at(1), &dict);
            }
            other => panic!("{}: unknown setup {other}", c.name),
        }
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_nrr"))
        .args(&c.args)
        .current_dir(work)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running nrr");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("waiting") {
            break Some(s);
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output().expect("the output");
    for f in feeders {
        if status.is_some() {
            let _ = f.join();
        }
    }
    let code = status.and_then(|s| s.code());
    let mut t = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        code.map_or_else(|| "none (killed or signal)".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for p in [work.canonicalize().ok(), Some(work.to_path_buf())]
        .into_iter()
        .flatten()
    {
        t = t.replace(&p.display().to_string(), "[TMP]");
    }
    if status.is_none() {
        return Err(format!(
            "{}: still running after 60 s (a hang)\n{t}",
            c.name
        ));
    }
    if t.contains("panicked") {
        return Err(format!("{}: a panic\n{t}", c.name));
    }
    if code != Some(c.exit) {
        return Err(format!("{}: exit code, expected {}\n{t}", c.name, c.exit));
    }
    Ok(t)
}

#[test]
fn every_hostile_case_ends_cleanly() {
    let dir = repo_root().join("tests/hostile");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/hostile")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= MIN_CASES,
        "{} cases in tests/hostile",
        dirs.len()
    );
    let mut failed = Vec::new();
    for d in &dirs {
        let c = case(d);
        match run(d, &c) {
            Ok(t) => insta::assert_snapshot!(c.name.clone(), t),
            Err(e) => failed.push(e),
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
