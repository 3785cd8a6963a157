//! `--postgres`: a real PostgreSQL server (initdb + pg_ctl on loopback, in a temporary
//! directory), fixtures loaded into it, and the reports compared with the same fixtures read
//! from files: every `invoices_*`, `stripe_*` and `snapshots_*` fixture folder (listed when the
//! tests run, each in a schema of its own), and a few others. The server binaries must be
//! installed (`.ci/run` installs the Debian package `postgresql`); without them these tests
//! fail, they do not skip.
//!
//! Each check is a test of its own; they share one server, started (and loaded) by the first
//! test that needs it ([`shared`]). The server lives in a static, which is never dropped, so a
//! watchdog process started with it stops it and removes its directory as soon as the test
//! process has ended, however it ends (a failed test, a panic, a kill).
#![cfg(feature = "postgres")]

use crate::util::{fixture_args, fixtures_dir, json_of, nrr_output as nrr};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The directory holding initdb, pg_ctl and psql: on PATH, else the newest
/// /usr/lib/postgresql/N/bin (where the Debian package puts them).
fn pg_bin() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file());
    if let Some(d) = on_path {
        return d;
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let v = e.file_name().to_string_lossy().parse().ok()?;
                    let bin = e.path().join("bin");
                    bin.join("initdb").is_file().then_some((v, bin))
                })
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions.pop().map(|v| v.1).unwrap_or_else(|| {
        panic!(
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in \
             /usr/lib/postgresql/*/bin: install them (`apt-get install -y postgresql`, as .ci/run does)"
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A command run as the `postgres` user when the test runs as root (initdb refuses root).
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run_ok(mut c: Command, what: &str) -> Output {
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A running server; stopped when dropped (while it is being loaded, a panic drops it), else
/// by its watchdog when the test process ends ([`Server::watch`]).
struct Server {
    _dir: tempfile::TempDir,
    data: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl Server {
    fn start() -> Server {
        let bin = pg_bin();
        let dir = tempfile::tempdir().expect("a temporary directory");
        if is_root() {
            run_ok(
                {
                    let mut c = Command::new("chown");
                    c.arg("postgres:").arg(dir.path());
                    c
                },
                "chown of the temporary directory to postgres",
            );
        }
        let dir_path = dir.path().to_path_buf();
        let data = dir.path().join("data");
        let sock = dir.path().join("sock");
        let mut mkdir = as_server_user(Path::new("mkdir"));
        mkdir.arg(&sock);
        run_ok(mkdir, "mkdir of the socket directory");
        let mut initdb = as_server_user(&bin.join("initdb"));
        initdb
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&data);
        run_ok(initdb, "initdb");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut start = as_server_user(&bin.join("pg_ctl"));
        start
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.path().join("server.log"))
            .args(["-w", "-o"])
            .arg(format!(
                "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off",
                sock.display()
            ))
            .arg("start");
        let server = Server {
            _dir: dir,
            data,
            bin,
            port,
        };
        run_ok(start, "pg_ctl start");
        server.watch(&dir_path);
        server
    }

    /// Starts the watchdog: a shell that waits for this process to end, then stops the server
    /// and removes its directory. Its output goes nowhere (it must not hold the test's pipes).
    // Never waited for: it outlives this process by design.
    #[allow(clippy::zombie_processes)]
    fn watch(&self, dir: &Path) {
        let runuser = if is_root() {
            "runuser -u postgres -- "
        } else {
            ""
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             {runuser}'{pg_ctl}' -D '{data}' -m immediate -w stop; rm -rf '{dir}'",
            pid = std::process::id(),
            pg_ctl = self.bin.join("pg_ctl").display(),
            data = self.data.display(),
            dir = dir.display(),
        );
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the server's watchdog");
    }

    fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs SQL (psql meta-commands allowed) as the superuser.
    fn psql(&self, sql: &str) -> String {
        let psql = self.bin.join("psql");
        let mut c = Command::new(if psql.is_file() {
            psql
        } else {
            PathBuf::from("psql")
        });
        c.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(self.url())
            .arg("-c")
            .arg(sql);
        String::from_utf8_lossy(&run_ok(c, &format!("psql {sql}")).stdout)
            .trim()
            .to_string()
    }

    /// Creates a table with the CSV header's columns (typed by `sql_type` when `typed`, else
    /// all text) and copies the file into it.
    fn load_csv(&self, table: &str, csv: &Path, typed: bool) {
        let text = std::fs::read_to_string(csv).expect("reading the fixture");
        let header = text.lines().next().expect("a header line");
        let cols: Vec<String> = header
            .split(',')
            .map(|c| format!("{c} {}", if typed { sql_type(c) } else { "text" }))
            .collect();
        self.psql(&format!("CREATE TABLE {table} ({})", cols.join(", ")));
        self.psql(&format!(
            "\\copy {table} FROM '{}' WITH (FORMAT csv, HEADER true)",
            csv.display()
        ));
    }

    /// Creates `table` (`n serial, data jsonb`) holding the Stripe objects of a `.json` or
    /// `.jsonl` file, one a row, in order.
    fn load_json(&self, table: &str, file: &Path) {
        self.psql(&format!("CREATE TABLE {table} (n serial, data jsonb)"));
        copy_json(self, table, "data", &json_objects(file));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let mut stop = as_server_user(&self.bin.join("pg_ctl"));
        stop.arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"]);
        let _ = stop.output();
    }
}

/// The SQL type of a fixture column, as a billing database would hold it: dates as `date`,
/// amounts as `numeric`, quantities as `integer`, anything else as `text`.
fn sql_type(column: &str) -> &'static str {
    match column {
        "service_period_start"
        | "service_period_end"
        | "invoice_date"
        | "effective_date"
        | "start_date"
        | "snapshot_date"
        | "movement_date" => "date",
        "amount" | "unit_amount" | "discount" | "tax" | "mrr" | "mrr_change" => "numeric",
        "quantity" => "integer",
        _ => "text",
    }
}

fn fixtures() -> PathBuf {
    fixtures_dir()
}

/// The names of the fixture folders named `prefix…`, in name order (at least `min`). Each
/// name is also a schema's name, so it must be a plain SQL identifier.
fn fixtures_named(prefix: &str, min: usize) -> Vec<String> {
    let names: Vec<String> = crate::util::fixtures_named(prefix, min)
        .iter()
        .filter_map(|p| Some(p.file_name()?.to_str()?.to_string()))
        .collect();
    for n in &names {
        assert!(
            n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "fixture {n}: not a plain SQL identifier, so no schema name"
        );
    }
    names
}

/// The files of a fixture read from `DIR` (or not at all), never from the database.
const BESIDE: [&str; 7] = [
    "NOTES.md",
    "args.txt",
    "expected.json",
    "fx.csv",
    "customers.csv",
    "annotations.csv",
    "customer_map.csv",
];

/// A kind of fixture, each read from a schema of its own: the folders named `prefix…` (at
/// least `min`), their revenue files `stem.ext` (the first of `exts` found, as the file reader
/// picks it), each with the option naming its table, in the order of the report's `inputs`;
/// `source`: the options choosing the row shape (none: detected from the columns).
struct Kind {
    prefix: &'static str,
    min: usize,
    files: &'static [(&'static str, &'static str)],
    exts: &'static [&'static str],
    source: &'static [&'static str],
}

const KINDS: [Kind; 3] = [
    Kind {
        prefix: "invoices_",
        min: 15,
        files: &[
            ("invoices", "--table"),
            ("subscription_events", "--events-table"),
        ],
        exts: &["csv"],
        source: &[],
    },
    Kind {
        prefix: "stripe_",
        min: 21,
        files: &[
            ("subscriptions", "--table"),
            ("invoices", "--invoices-table"),
            ("credit_notes", "--credit-notes-table"),
            ("refunds", "--refunds-table"),
        ],
        exts: &["json", "jsonl"],
        source: &["--source", "stripe"],
    },
    Kind {
        prefix: "snapshots_",
        min: 9,
        files: &[
            ("subscription_snapshots", "--table"),
            ("revenue_movements", "--movements-table"),
        ],
        exts: &["csv"],
        source: &[],
    },
];

/// A fixture loaded into a schema named as it.
struct SchemaFixture {
    name: String,
    /// The options that read it from there (`--source stripe`, `--table NAME`,
    /// `--events-table NAME`, …).
    args: Vec<String>,
    /// Its tables, in the order of the report's `inputs`.
    tables: Vec<String>,
}

/// Loads each revenue file `stem.ext` of fixture `name` into the table `name.stem`: a CSV file
/// typed (`sql_type`), JSON objects one a jsonb row. The first stem must be there. Any other
/// file (but `BESIDE`) fails the test, so that no fixture is compared on part of its input:
/// extend this loader instead.
fn load_fixture(s: &Server, name: &str, kind: &Kind) -> SchemaFixture {
    let dir = fixtures().join(name);
    let mut unread: Vec<String> = std::fs::read_dir(&dir)
        .expect("the fixture directory")
        .map(|e| {
            e.expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|f| !BESIDE.contains(&f.as_str()))
        .collect();
    s.psql(&format!("CREATE SCHEMA {name}"));
    let mut loaded = SchemaFixture {
        name: name.to_string(),
        args: kind.source.iter().map(|a| a.to_string()).collect(),
        tables: Vec::new(),
    };
    for (stem, option) in kind.files {
        // The first extension found, as the file reader picks it (a second one stays unread).
        let Some(file) = kind
            .exts
            .iter()
            .map(|e| format!("{stem}.{e}"))
            .find(|f| dir.join(f).is_file())
        else {
            continue;
        };
        unread.retain(|f| *f != file);
        let table = format!("{name}.{stem}");
        if file.ends_with(".csv") {
            s.load_csv(&table, &dir.join(&file), true);
        } else {
            s.load_json(&table, &dir.join(&file));
        }
        loaded.args.extend([option.to_string(), table.clone()]);
        loaded.tables.push(table);
    }
    assert!(
        unread.is_empty(),
        "fixture {name}: this test cannot load {unread:?} into PostgreSQL"
    );
    assert!(
        loaded.args.iter().any(|a| a == "--table"),
        "fixture {name}: no {}.{:?}",
        kind.files[0].0,
        kind.exts
    );
    loaded
}

/// Starts a server and loads the fixtures into it: every `invoices_*`, `stripe_*` and
/// `snapshots_*` fixture in a schema of its own (returned), and the tables of the separate
/// checks.
fn loaded_server() -> (Server, Vec<SchemaFixture>) {
    let s = Server::start();
    let schemas = KINDS
        .iter()
        .flat_map(|k| {
            fixtures_named(k.prefix, k.min)
                .into_iter()
                .map(move |n| (n, k))
        })
        .map(|(name, kind)| load_fixture(&s, &name, kind))
        .collect();
    let fx = fixtures();
    s.load_csv("items", &fx.join("worked_example_115/items.csv"), false);
    for name in TYPED_ITEMS {
        s.load_csv(name, &fx.join(name).join("items.csv"), true);
    }
    s.psql(
        "CREATE TABLE snaps (account_id text, snapshot_date date, mrr numeric(12, 2), \
         currency char(3))",
    );
    s.psql(&format!(
        "\\copy snaps FROM '{}' WITH (FORMAT csv, HEADER true)",
        fx.join("snapshots_movements_agree/subscription_snapshots.csv")
            .display()
    ));
    s.psql(
        "CREATE TABLE movements (n serial, account_id text, movement_date date, \
         movement_type text, mrr_change numeric(12, 2))",
    );
    s.psql(&format!(
        "\\copy movements (account_id, movement_date, movement_type, mrr_change) FROM '{}' \
         WITH (FORMAT csv, HEADER true)",
        fx.join("snapshots_movements_disagree/revenue_movements.csv")
            .display()
    ));
    s.psql(
        "CREATE TABLE bad (n serial, customer_id text, amount text, start_date text); \
         INSERT INTO bad (customer_id, amount, start_date) VALUES \
         ('acme', '100.00', '2024-01-01'), ('globex', '50.00', '2024-02-01'), \
         ('initech', '12,50', '2024-02-01'), ('hooli', '10.00', '2024-02-30')",
    );
    load_stripe(&s, &fx.join("stripe_invoices"));
    s.psql("CREATE TABLE stripe_lifecycle (n serial, data json)");
    copy_json(
        &s,
        "stripe_lifecycle",
        "data",
        &json_objects(&fx.join("stripe_lifecycle/subscriptions.json")),
    );
    s.psql(
        "CREATE TABLE bad_invoices (n serial, invoice_id text, customer_id text, type text, \
         subscription_id text, amount text, service_period_start date, \
         service_period_end date); \
         INSERT INTO bad_invoices (invoice_id, customer_id, type, subscription_id, amount, \
         service_period_start, service_period_end) VALUES \
         ('in-1', 'acme', 'subscription', 'sub-1', '100.00', '2024-01-01', '2024-02-01'), \
         ('in-2', 'acme', 'seat', 'sub-1', '100.00', '2024-02-01', '2024-03-01'), \
         ('in-3', 'acme', 'subscription', 'sub-1', '100.00', '2024-03-01', '2024-03-01'), \
         ('in-4', 'globex', 'subscription', 'sub-2', '50.00', '2024-01-01', '2024-02-01')",
    );
    (s, schemas)
}

/// The Stripe objects of a `.json` file (an array or a list object) or a `.jsonl` file, one
/// compact JSON text each.
fn json_objects(path: &Path) -> Vec<String> {
    if path.extension().is_some_and(|e| e == "jsonl") {
        let text = std::fs::read_to_string(path).expect("the fixture");
        return text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str::<Value>(l).expect("JSON").to_string())
            .collect();
    }
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture")).expect("JSON");
    let list = match v {
        Value::Array(a) => a,
        mut o => o["data"].take().as_array().cloned().expect("a list object"),
    };
    list.iter().map(Value::to_string).collect()
}

/// Copies JSON texts into `table`'s column `column`, one a row, in order.
fn copy_json(s: &Server, table: &str, column: &str, objects: &[String]) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let csv = dir.path().join("objects.csv");
    let text: String = objects
        .iter()
        .map(|o| format!("\"{}\"\n", o.replace('"', "\"\"")))
        .collect();
    std::fs::write(&csv, text).expect("writing the objects");
    s.psql(&format!(
        "\\copy {table} ({column}) FROM '{}' WITH (FORMAT csv)",
        csv.display()
    ));
}

/// Stripe invoice objects in `stripe_invoices` (`id` generated from `data jsonb`), and
/// `bad_stripe` (`n`, `data text`): a good subscription, then one of an unknown status in row
/// 2, malformed JSON in row 3 and a subscription item without a price in row 4.
fn load_stripe(s: &Server, dir: &Path) {
    s.psql(
        "CREATE TABLE stripe_invoices (id text GENERATED ALWAYS AS (data ->> 'id') STORED, \
         data jsonb)",
    );
    copy_json(
        s,
        "stripe_invoices",
        "data",
        &json_objects(&dir.join("invoices.json")),
    );
    let subs = json_objects(&dir.join("subscriptions.json"));
    let changed = |id: &str, change: &dyn Fn(&mut Value)| {
        let mut v: Value = serde_json::from_str(&subs[1]).expect("JSON");
        v["id"] = Value::from(id);
        change(&mut v);
        v.to_string()
    };
    let sleeping = changed("sub_bad", &|v| v["status"] = Value::from("sleeping"));
    let no_price = changed("sub_noprice", &|v| {
        let item = v["items"]["data"][0].as_object_mut().expect("an item");
        assert!(item.remove("price").is_some(), "{item:?}");
    });
    s.psql("CREATE TABLE bad_stripe (n serial, data text)");
    copy_json(
        s,
        "bad_stripe",
        "data",
        &[subs[0].clone(), sleeping, "{not json".to_string(), no_price],
    );
}

/// The report without the keys that name the input (`inputs`, and the `source` setting: the
/// PostgreSQL runs give `--source`, the files are detected) or only files have.
fn figures(mut v: Value) -> Value {
    let o = v.as_object_mut().expect("a JSON object");
    o.remove("inputs");
    o.remove("movement_check");
    if let Some(Value::Array(settings)) = o.get_mut("settings") {
        settings.retain(|s| s["key"] != "source");
    }
    v
}

/// `nrr report ARGS <the fixture's args.txt> MORE --format json`, as JSON (it must succeed).
fn report_json(args: &[&str], fixture: &str, more: &[&str]) -> Value {
    let extra = fixture_args(&fixtures().join(fixture));
    let mut a = vec!["report"];
    a.extend(args);
    a.extend(extra.iter().map(String::as_str));
    a.extend(more);
    a.extend(["--format", "json"]);
    json_of(&nrr(&a))
}

/// The fixture's directory, as an argument.
fn fixture_dir(fixture: &str) -> String {
    let dir = fixtures().join(fixture);
    dir.to_str().expect("a UTF-8 path").to_string()
}

/// The server the tests share, with the fixtures loaded: started by the first test that asks
/// (starting and loading one takes a few seconds), stopped by its watchdog at the end.
struct Shared {
    server: Server,
    url: String,
    schemas: Vec<SchemaFixture>,
}

static SHARED: OnceLock<Shared> = OnceLock::new();

fn shared() -> &'static Shared {
    SHARED.get_or_init(|| {
        let (server, schemas) = loaded_server();
        let url = server.url();
        Shared {
            server,
            url,
            schemas,
        }
    })
}

#[test]
fn every_fixture_reports_from_its_tables_as_from_its_files() {
    let Shared { url, schemas, .. } = shared();
    let differ: Vec<String> = schemas
        .iter()
        .filter_map(|f| fixture_differs_from_the_files(url, f))
        .collect();
    let names: Vec<&str> = schemas.iter().map(|f| f.name.as_str()).collect();
    eprintln!(
        "{} fixtures read from PostgreSQL: {}",
        names.len(),
        names.join(" ")
    );
    assert!(
        differ.is_empty(),
        "{} of {} fixtures report otherwise from PostgreSQL:\n{}",
        differ.len(),
        schemas.len(),
        differ.join("\n")
    );
}

#[test]
fn invoice_rows_report_exactly_as_the_csv() {
    let url: &str = &shared().url;
    invoices_report_exactly_as_the_csv(url, "invoices_cancel", &[]);
    invoices_report_exactly_as_the_csv(url, "invoices_cancel_at_cancellation", &[]);
    // A preset's forever-only discounts become `all` for invoice rows, as for invoices.csv.
    invoices_report_exactly_as_the_csv(url, "invoices_cancel", &["--preset", "stripe"]);
}

#[test]
fn stripe_object_rows_report_exactly_as_the_files() {
    let url: &str = &shared().url;
    let invoices = Some("stripe_invoices");
    stripe_objects_report_exactly_as_the_files(url, "stripe_invoices", invoices, &[]);
    stripe_objects_report_exactly_as_the_files(url, "stripe_invoices_gross", invoices, &[]);
    // A named time zone and a preset apply as to the files.
    stripe_objects_report_exactly_as_the_files(
        url,
        "stripe_lifecycle",
        None,
        &["--timezone", "America/New_York", "--preset", "chartmogul"],
    );
}

/// A fixture from the tables of its schema (`--table SCHEMA.invoices`, `--events-table …`;
/// Stripe objects with `--source stripe`; `--table SCHEMA.subscription_snapshots`,
/// `--movements-table …`), `DIR` giving fx.csv, customers.csv and annotations.csv, under its
/// args.txt: the report as from the files, the row ledger, the policies, the notices and the
/// movement check included. `None` when equal, else the fixture and the differences.
fn fixture_differs_from_the_files(url: &str, f: &SchemaFixture) -> Option<String> {
    let dir = fixture_dir(&f.name);
    let files = report_json(&[&dir], &f.name, &[]);
    let mut args = vec![dir.as_str(), "--postgres", url];
    args.extend(f.args.iter().map(String::as_str));
    let mut pg = report_json(&args, &f.name, &[]);
    assert_eq!(pg["inputs"], serde_json::json!(f.tables), "{}", f.name);
    // Notices name the inputs: the tables' names stand for the files'.
    if let Some(notices) = pg.get_mut("notices").and_then(Value::as_array_mut) {
        for n in notices {
            let mut text = n.as_str().unwrap_or_default().to_string();
            for (table, file) in f.tables.iter().zip(files["inputs"].as_array().unwrap()) {
                text = text.replace(table.as_str(), file.as_str().unwrap_or_default());
            }
            *n = Value::String(text);
        }
    }
    for key in ["rows", "policies"] {
        assert!(files[key].is_object(), "{}: no {key} in {files}", f.name);
    }
    let mut diffs = Vec::new();
    // The movement check (snapshots with movements) too: it names no input.
    let check = ".movement_check";
    differences(
        check,
        &pg["movement_check"],
        &files["movement_check"],
        &mut diffs,
    );
    differences("", &figures(pg), &figures(files), &mut diffs);
    let n = diffs.len();
    diffs.truncate(30);
    (n > 0).then(|| {
        format!(
            "  {} ({n} differences):\n    {}",
            f.name,
            diffs.join("\n    ")
        )
    })
}

/// The JSON paths where `pg` and `files` differ, with both values.
fn differences(path: &str, pg: &Value, files: &Value, out: &mut Vec<String>) {
    match (pg, files) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let (x, y) = (&pg[k.as_str()], &files[k.as_str()]);
                differences(&format!("{path}.{k}"), x, y, out);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(&format!("{path}[{i}]"), x, y, out);
            }
        }
        _ if pg != files => out.push(format!("{path}: postgres {pg}, files {files}")),
        _ => {}
    }
}

/// Items fixtures also read from a typed table of their name (`numeric` amounts and unit
/// amounts, `date`s, NULL for empty), fx.csv from the fixture's directory.
const TYPED_ITEMS: [&str; 3] = [
    "fx_eur_report_from_usd_rates",
    "fx_gbp_eur_cross_from_usd_rates",
    "unit_amount_seats",
];

#[test]
fn items_table_reports_exactly_as_the_csv() {
    let url: &str = &shared().url;
    for name in TYPED_ITEMS {
        let dir = fixture_dir(name);
        let pg = report_json(&[&dir, "--postgres", url, "--table", name], name, &[]);
        assert_eq!(pg["inputs"], serde_json::json!([name]));
        assert_eq!(
            figures(pg),
            figures(report_json(&[&dir], name, &[])),
            "{name}"
        );
    }
    let fixture = "worked_example_115";
    let dir = fixture_dir(fixture);
    let pg_args = ["--postgres", url, "--table", "items"];
    let pg = report_json(&pg_args, fixture, &[]);
    assert_eq!(pg["inputs"], serde_json::json!(["items"]));
    assert_eq!(figures(pg), figures(report_json(&[&dir], fixture, &[])));
    // A preset's reader policies do not apply to items rows, from files or from the database.
    let preset = ["--preset", "chartmogul"];
    assert_eq!(
        figures(report_json(&pg_args, fixture, &preset)),
        figures(report_json(&[&dir], fixture, &preset))
    );
}

#[test]
fn snapshots_query_reports_exactly_as_the_csv() {
    let url: &str = &shared().url;
    let dir = fixtures().join("snapshots_movements_agree");
    let files = json_of(&nrr(&[
        "report",
        dir.to_str().expect("a UTF-8 path"),
        "--format",
        "json",
    ]));
    let pg = json_of(&nrr(&[
        "report",
        "--postgres",
        url,
        "--query",
        "SELECT account_id, snapshot_date, mrr, currency FROM snaps ORDER BY account_id, snapshot_date",
        "--format",
        "json",
    ]));
    assert_eq!(pg["inputs"], serde_json::json!(["postgres query"]));
    assert_eq!(pg["rows"]["excluded"]["superseded"], 2);
    assert_eq!(figures(pg), figures(files));
}

/// Snapshots with a movements table: the same check (disagreements per account and month)
/// as subscription_snapshots.csv with revenue_movements.csv, under the fixture's policy and a
/// second one; a bad movement row is rejected with its row number (movements with other rows
/// are a usage error: `bad_stripe_objects_are_rejected_with_their_row_number_and_id`).
#[test]
fn movements_are_checked_exactly_as_from_the_csv() {
    let url: &str = &shared().url;
    let snaps = "SELECT account_id, snapshot_date, mrr, currency FROM snaps";
    // snapshots_movements_disagree's movements are in the table `movements`;
    // snapshots_movements_as_expansion's are given as a query of literal rows.
    let own = std::fs::read_to_string(
        fixtures().join("snapshots_movements_as_expansion/revenue_movements.csv"),
    )
    .expect("the fixture's movements");
    let values: Vec<String> = own
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("('{}', date '{}', '{}', {})", f[0], f[1], f[2], f[3])
        })
        .collect();
    let literal = format!(
        "SELECT * FROM (VALUES {}) AS m (account_id, movement_date, movement_type, mrr_change)",
        values.join(", ")
    );
    for (fixture, movements, name) in [
        (
            "snapshots_movements_disagree",
            ["--movements-table", "movements"],
            "movements",
        ),
        (
            "snapshots_movements_as_expansion",
            ["--movements-query", &literal],
            "postgres movements query",
        ),
    ] {
        let files = report_json(&[&fixture_dir(fixture)], fixture, &[]);
        let pg = report_json(&["--postgres", url, "--query", snaps], fixture, &movements);
        assert_eq!(pg["inputs"], serde_json::json!(["postgres query", name]));
        assert!(pg["movement_check"].is_object(), "{fixture}");
        assert_eq!(pg["movement_check"], files["movement_check"], "{fixture}");
        assert_eq!(figures(pg), figures(files), "{fixture}");
    }
    let out = nrr(&[
        "check",
        "--postgres",
        url,
        "--query",
        snaps,
        "--movements-query",
        "SELECT account_id, movement_date, movement_type, mrr_change FROM movements \
         UNION ALL SELECT 'acme', date '2024-02-01', 'upgrade', 10",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("postgres movements query:12:movement_type: `upgrade`"),
        "{text}"
    );
}

/// Snapshots dated on the 1st of a month (issue 15's example, `snapshots_first_of_month_*`)
/// from a query: `--snapshot-date open` reads them as the month before, every movement
/// agrees; without it they are read at close with the notice, which names both readings. (Each
/// fixture is also compared whole with its files in `fixture_differs_from_the_files`.)
#[test]
fn snapshot_dates_are_read_under_the_reading_chosen() {
    let url: &str = &shared().url;
    let fixture = "snapshots_first_of_month_open";
    let snaps = format!("SELECT * FROM {fixture}.subscription_snapshots");
    let movements = format!("{fixture}.revenue_movements");
    let pg_args = ["--postgres", url, "--query", &snaps];
    let more = ["--movements-table", movements.as_str()];
    let open = report_json(&pg_args, fixture, &more);
    assert_eq!(open["policies"]["snapshot_date"], "open");
    assert_eq!(open["window"]["start_month"], "2025-12");
    let january = &open["periods"][1];
    assert_eq!(
        (&january["period"], &january["nrr"]),
        (&"2026-01".into(), &0.5.into())
    );
    assert_eq!(open["movement_check"]["agreeing"], 3);
    assert_eq!(open["movement_check"]["other_reading"]["disagreeing"], 6);
    assert!(open.get("notices").is_none(), "{open}");
    // The same rows without the flag (args.txt of the `close` twin: --currency USD only).
    let close = report_json(&pg_args, "snapshots_first_of_month_close", &more);
    assert_eq!(close["policies"]["snapshot_date"], "close");
    let notice = close["notices"][0].as_str().unwrap_or_default();
    assert!(
        notice.contains("pass --snapshot-date open: 2026-01-01 is then the closing MRR of 2025-12")
            && notice.contains("with --snapshot-date open, 3 agree and 0 disagree"),
        "{close}"
    );
    let files = report_json(
        &[&fixture_dir("snapshots_first_of_month_close")],
        "snapshots_first_of_month_close",
        &[],
    );
    assert_eq!(close["notices"], files["notices"]);
    assert_eq!(close["movement_check"], files["movement_check"]);
}

#[test]
fn bad_values_are_rejected_with_their_row_number() {
    let url: &str = &shared().url;
    let out = nrr(&[
        "check",
        "--postgres",
        url,
        "--query",
        "SELECT customer_id, amount, start_date FROM bad ORDER BY n",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("postgres query:3:amount: `12,50`: expected a decimal"),
        "{text}"
    );
    assert!(
        text.contains("postgres query:4:start_date: `2024-02-30`"),
        "{text}"
    );
    assert!(text.contains("4 read, 2 used"), "{text}");
}

/// The invoices and events of a fixture from its schema's typed tables as queries, without
/// `DIR`: detected from the columns, or chosen with --source (every fixture is read from its
/// tables, with `DIR`, in `fixture_differs_from_the_files`).
fn invoices_report_exactly_as_the_csv(url: &str, fixture: &str, more: &[&str]) {
    let files = report_json(&[&fixture_dir(fixture)], fixture, more);
    let invoices = format!("SELECT * FROM {fixture}.invoices ORDER BY invoice_id, line_id");
    let events =
        format!("SELECT subscription_id, event, effective_date FROM {fixture}.subscription_events");
    for source in [&[][..], &["--source", "invoices"]] {
        let mut args = vec![
            "--postgres",
            url,
            "--query",
            &invoices,
            "--events-query",
            &events,
        ];
        args.extend(source);
        let pg = report_json(&args, fixture, more);
        assert_eq!(
            pg["inputs"],
            serde_json::json!(["postgres query", "postgres events query"])
        );
        assert_eq!(figures(pg), figures(files.clone()), "{fixture} {source:?}");
    }
}

#[test]
fn bad_invoice_rows_are_rejected_with_their_row_number() {
    let url: &str = &shared().url;
    let out = nrr(&[
        "check",
        "--postgres",
        url,
        "--query",
        "SELECT * FROM bad_invoices ORDER BY n",
        "--events-query",
        "SELECT * FROM (VALUES ('sub-1', 'canceled', '2024-03-01'), \
         ('sub-2', 'cancelled', '2024-02-01')) AS e (subscription_id, event, effective_date)",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("postgres query:2:type: `seat`: expected one of subscription"),
        "{text}"
    );
    assert!(
        text.contains("postgres query:3:service_period_end: `2024-03-01`"),
        "{text}"
    );
    assert!(
        text.contains("postgres events query:2:event: `cancelled`"),
        "{text}"
    );
    // Events go with invoice rows only.
    let out = nrr(&[
        "check",
        "--postgres",
        url,
        "--table",
        "items",
        "--events-table",
        "invoices_cancel.subscription_events",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invoice rows only"), "{err}");
}

/// Stripe subscription and invoice objects, one a row in jsonb tables (a query and a table
/// with an extra column: the `data` column is read), against the same objects from
/// subscriptions.json and invoices.json; fx.csv from the fixture directory. The subscriptions
/// are in the fixture's schema, or (without invoices) in a `json` table named as the fixture.
fn stripe_objects_report_exactly_as_the_files(
    url: &str,
    fixture: &str,
    invoices: Option<&str>,
    more: &[&str],
) {
    let dir = fixture_dir(fixture);
    let files = report_json(&[&dir], fixture, more);
    let query = match invoices {
        Some(_) => format!("SELECT data FROM {fixture}.subscriptions ORDER BY n"),
        None => format!("SELECT data FROM {fixture} ORDER BY n"),
    };
    let mut pg_args = vec![
        &dir,
        "--postgres",
        url,
        "--source",
        "stripe",
        "--query",
        &query,
    ];
    if let Some(t) = invoices {
        pg_args.extend(["--invoices-table", t]);
    }
    let pg = report_json(&pg_args, fixture, more);
    let inputs: Vec<&str> = std::iter::once("postgres query").chain(invoices).collect();
    assert_eq!(pg["inputs"], serde_json::json!(inputs));
    assert_eq!(figures(pg), figures(files), "{fixture} {more:?}");
}

/// Subscriptions, invoices, credit notes and refunds of `stripe_refund_credit` from the four
/// tables of its schema, two as queries: the same figures and row ledger as from the files.
#[test]
fn stripe_credit_notes_and_refunds_report_exactly_as_the_files() {
    let url: &str = &shared().url;
    let fixture = "stripe_refund_credit";
    let dir = fixture_dir(fixture);
    let files = report_json(&[&dir], fixture, &[]);
    let pg_args = [
        &dir,
        "--postgres",
        url,
        "--source",
        "stripe",
        "--table",
        "stripe_refund_credit.subscriptions",
        "--invoices-table",
        "stripe_refund_credit.invoices",
        "--credit-notes-query",
        "SELECT data FROM stripe_refund_credit.credit_notes ORDER BY n",
        "--refunds-query",
        "SELECT data FROM stripe_refund_credit.refunds ORDER BY n",
    ];
    let pg = report_json(&pg_args, fixture, &[]);
    assert_eq!(
        pg["inputs"],
        serde_json::json!([
            "stripe_refund_credit.subscriptions",
            "stripe_refund_credit.invoices",
            "postgres credit notes query",
            "postgres refunds query"
        ])
    );
    // The credit notes and refunds are read and counted, as from the files.
    assert_eq!(pg["rows"], files["rows"]);
    assert!(
        pg["rows"]["excluded"]["credit"].as_u64() > Some(0),
        "{}",
        pg["rows"]
    );
    assert!(
        pg["rows"]["excluded"]["refund"].as_u64() > Some(0),
        "{}",
        pg["rows"]
    );
    assert_eq!(figures(pg), figures(files));
}

#[test]
fn bad_stripe_objects_are_rejected_with_their_row_number_and_id() {
    let url: &str = &shared().url;
    let out = nrr(&[
        "check",
        "--postgres",
        url,
        "--source",
        "stripe",
        "--query",
        "SELECT data FROM bad_stripe ORDER BY n",
        "--invoices-query",
        "SELECT data::json FROM stripe_invoices WHERE false",
        "--currency",
        "USD",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("inputs: postgres query, postgres invoices query"),
        "{text}"
    );
    assert!(
        text.contains("postgres query:2:sub_bad: status: `\"sleeping\"`: expected one of"),
        "{text}"
    );
    assert!(
        text.contains("postgres query:3:column 2: `not json`: expected valid JSON"),
        "{text}"
    );
    // A subscription item without a price, as subscriptions.json's (tests/cli.rs, stripe::
    // missing_price).
    assert!(
        text.contains(
            "postgres query:4:sub_noprice: items.data[0].price: ``: expected a price object \
             (required)"
        ),
        "{text}"
    );
    assert!(text.contains("4 read, 1 used"), "{text}");
    // Subscription events go with invoice rows; Stripe invoice, credit note and refund objects
    // with --source stripe; movements with snapshot rows.
    for (args, says) in [
        (
            [
                "--source",
                "stripe",
                "--events-table",
                "invoices_cancel.subscription_events",
            ],
            "--events-query/--events-table",
        ),
        (
            ["--source", "items", "--invoices-table", "stripe_invoices"],
            "--invoices-query/--invoices-table",
        ),
        (
            [
                "--source",
                "items",
                "--credit-notes-table",
                "stripe_refund_credit.credit_notes",
            ],
            "--credit-notes-query/--credit-notes-table",
        ),
        (
            [
                "--source",
                "items",
                "--refunds-table",
                "stripe_refund_credit.refunds",
            ],
            "--refunds-query/--refunds-table",
        ),
        (
            ["--source", "items", "--movements-table", "movements"],
            "--movements-query/--movements-table",
        ),
        (
            ["--source", "stripe", "--movements-table", "movements"],
            "--movements-query/--movements-table",
        ),
    ] {
        let mut a = vec!["check", "--postgres", url, "--table", "items"];
        a.extend(args);
        let out = nrr(&a);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // Without --source stripe, a JSON column is no known row shape.
    let out = nrr(&[
        "check",
        "--postgres",
        url,
        "--table",
        "stripe_invoices.subscriptions",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--source stripe"), "{err}");
}

#[test]
fn writes_are_refused() {
    let Shared { server: s, url, .. } = shared();
    let url: &str = url;
    for sql in [
        "DELETE FROM items RETURNING *",
        "SELECT * FROM items; DROP TABLE items",
        "COMMIT; DROP TABLE items",
    ] {
        let out = nrr(&["check", "--postgres", url, "--query", sql]);
        assert_eq!(out.status.code(), Some(2), "{sql}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("PostgreSQL: postgres query:"), "{sql}: {err}");
    }
    let out = nrr(&[
        "check",
        "--postgres",
        url,
        "--query",
        "DELETE FROM items RETURNING *",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("read-only transaction"), "{err}");
    assert_eq!(s.psql("SELECT count(*) FROM items"), "9");
}

/// `nrr lines --postgres`: every fixture read from its tables becomes lines that report as
/// the tables do (tests/cli/lines.rs: the same comparison, and the same documented difference
/// for the `--pauses zero` fixtures with pauses).
#[test]
fn lines_from_tables_round_trip() {
    let Shared { url, schemas, .. } = shared();
    let failures: Vec<String> = schemas
        .iter()
        .filter_map(|f| {
            let dir = fixtures().join(&f.name);
            let mut source: Vec<std::ffi::OsString> =
                vec![dir.clone().into(), "--postgres".into(), url.into()];
            source.extend(f.args.iter().map(Into::into));
            let t = crate::lines::round_trip_from(&source, &dir, &fixture_args(&dir), "csv");
            crate::lines::round_trip_failure(&f.name, &t)
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ through lines from PostgreSQL:\n{}",
        failures.len(),
        schemas.len(),
        failures.join("\n")
    );
}

/// `nrr lines` of the typed items tables (numeric amounts, dates, several currencies with
/// fx.csv beside them) round-trip as the items fixtures' files do.
#[test]
fn lines_from_items_tables_round_trip() {
    let url: &str = &shared().url;
    let failures: Vec<String> = TYPED_ITEMS
        .iter()
        .filter_map(|name| {
            let dir = fixtures().join(name);
            let source: Vec<std::ffi::OsString> = vec![
                dir.clone().into(),
                "--postgres".into(),
                url.into(),
                "--table".into(),
                (*name).into(),
            ];
            let t = crate::lines::round_trip_from(&source, &dir, &fixture_args(&dir), "csv");
            crate::lines::round_trip_failure(name, &t)
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// SQL on the shared server, for the differential test of `nrr sql` ([`crate::sql`]).
pub(crate) fn shared_psql(sql: &str) -> String {
    shared().server.psql(sql)
}

/// Runs the script `file` on the shared server with `search_path` set to `schema`, stopping
/// at the first error.
pub(crate) fn shared_psql_file(schema: &str, file: &Path) {
    let mut c = shared_psql_in(schema);
    c.arg("-f").arg(file);
    run_ok(c, &format!("psql -f {}", file.display()));
}

/// psql on the shared server with `search_path` set to `schema`, stopping at the first error;
/// add `-f FILE` or `-c SQL`.
fn shared_psql_in(schema: &str) -> Command {
    let s = &shared().server;
    let psql = s.bin.join("psql");
    let mut c = Command::new(if psql.is_file() {
        psql
    } else {
        PathBuf::from("psql")
    });
    c.env("PGOPTIONS", format!("-c search_path={schema}"))
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(s.url());
    c
}

/// Runs the script `file` (with `-f`) or the statement `sql` (with `-c`) as
/// [`shared_psql_file`] does, for a test that expects it may fail: psql's output when it
/// succeeded, its error output when it failed.
pub(crate) fn shared_psql_try(
    schema: &str,
    flag: &str,
    what: &std::ffi::OsStr,
) -> Result<String, String> {
    let out = shared_psql_in(schema)
        .arg(flag)
        .arg(what)
        .output()
        .unwrap_or_else(|e| panic!("psql: cannot run: {e}"));
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
