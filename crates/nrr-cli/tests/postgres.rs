//! `--postgres`: a real PostgreSQL server started for the test (initdb + pg_ctl on loopback, in
//! a temporary directory), fixtures loaded into it, and the reports compared with the same
//! fixtures read from files. The server binaries must be installed (`.ci/run` installs the
//! Debian package `postgresql`); without them these tests fail, they do not skip.
#![cfg(feature = "postgres")]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

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

/// A running server; stopped when dropped (also when a test panics).
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
        server
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

    /// Creates a table of text columns named as the CSV header and copies the file into it.
    fn load_csv(&self, table: &str, csv: &Path) {
        let text = std::fs::read_to_string(csv).expect("reading the fixture");
        let header = text.lines().next().expect("a header line");
        let cols: Vec<String> = header.split(',').map(|c| format!("{c} text")).collect();
        self.psql(&format!("CREATE TABLE {table} ({})", cols.join(", ")));
        self.psql(&format!(
            "\\copy {table} FROM '{}' WITH (FORMAT csv, HEADER true)",
            csv.display()
        ));
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

/// Starts a server and loads the fixtures into it.
fn loaded_server() -> Server {
    let s = Server::start();
    let fx = repo().join("tests/fixtures");
    s.load_csv("items", &fx.join("worked_example_115/items.csv"));
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
    load_invoices(&s, &fx.join("invoices_cancel"));
    load_stripe(&s, &fx.join("stripe_invoices"));
    let rc = fx.join("stripe_refund_credit");
    for (table, file) in [
        ("rc_subscriptions", "subscriptions.json"),
        ("rc_invoices", "invoices.json"),
        ("rc_credit_notes", "credit_notes.json"),
        ("rc_refunds", "refunds.jsonl"),
    ] {
        s.psql(&format!("CREATE TABLE {table} (n serial, data jsonb)"));
        copy_json(&s, table, "data", &json_objects(&rc.join(file)));
    }
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
    s
}

/// The invoices and subscription events of a fixture in typed tables (`invoices`,
/// `subscription_events`): dates as `date`, amounts as `numeric`, quantities as `integer`.
fn load_invoices(s: &Server, dir: &Path) {
    s.psql(
        "CREATE TABLE invoices (invoice_id text, customer_id text, line_id text, type text, \
         subscription_id text, product text, plan text, quantity integer, amount numeric, \
         discount numeric, tax numeric, currency char(3), service_period_start date, \
         service_period_end date, invoice_date date)",
    );
    s.psql(&format!(
        "\\copy invoices FROM '{}' WITH (FORMAT csv, HEADER true)",
        dir.join("invoices.csv").display()
    ));
    s.psql(
        "CREATE TABLE subscription_events (subscription_id text, event text, effective_date date)",
    );
    s.psql(&format!(
        "\\copy subscription_events FROM '{}' WITH (FORMAT csv, HEADER true)",
        dir.join("subscription_events.csv").display()
    ));
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

/// A Stripe export synced as one object a row: `stripe_subscriptions` (`n`, `data jsonb`) and
/// `stripe_invoices` (`id`, `data jsonb`), plus `bad_stripe` (`n`, `data text`) with a
/// subscription of an unknown status in row 2 and malformed JSON in row 3.
fn load_stripe(s: &Server, dir: &Path) {
    s.psql("CREATE TABLE stripe_subscriptions (n serial, data jsonb)");
    copy_json(
        s,
        "stripe_subscriptions",
        "data",
        &json_objects(&dir.join("subscriptions.json")),
    );
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
    let mut bad: Value = serde_json::from_str(&subs[1]).expect("JSON");
    bad["id"] = Value::from("sub_bad");
    bad["status"] = Value::from("sleeping");
    s.psql("CREATE TABLE bad_stripe (n serial, data text)");
    copy_json(
        s,
        "bad_stripe",
        "data",
        &[subs[0].clone(), bad.to_string(), "{not json".to_string()],
    );
}

fn nrr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nrr"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("running nrr")
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "nrr failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// The report without the keys that name the input (`inputs`) or only files have.
fn figures(mut v: Value) -> Value {
    let o = v.as_object_mut().expect("a JSON object");
    o.remove("inputs");
    o.remove("movement_check");
    v
}

fn fixture_args(name: &str) -> Vec<String> {
    std::fs::read_to_string(repo().join("tests/fixtures").join(name).join("args.txt"))
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// `nrr report ARGS <the fixture's args.txt> MORE --format json`, as JSON (it must succeed).
fn report_json(args: &[&str], fixture: &str, more: &[&str]) -> Value {
    let extra = fixture_args(fixture);
    let mut a = vec!["report"];
    a.extend(args);
    a.extend(extra.iter().map(String::as_str));
    a.extend(more);
    a.extend(["--format", "json"]);
    json_of(&nrr(&a))
}

/// The fixture's directory, as an argument.
fn fixture_dir(fixture: &str) -> String {
    let dir = repo().join("tests/fixtures").join(fixture);
    dir.to_str().expect("a UTF-8 path").to_string()
}

/// One server for the whole file (starting one takes a few seconds); each part below is a
/// function of it, and the server is stopped when `s` is dropped, also after a failure.
#[test]
fn postgres_reads_every_shape_read_only() {
    let s = loaded_server();
    let url = s.url();
    items_table_reports_exactly_as_the_csv(&url);
    snapshots_query_reports_exactly_as_the_csv(&url);
    movements_are_checked_exactly_as_from_the_csv(&url);
    bad_values_are_rejected_with_their_row_number(&url);
    invoices_report_exactly_as_the_csv(&url, "invoices_cancel");
    invoices_report_exactly_as_the_csv(&url, "invoices_cancel_at_cancellation");
    bad_invoice_rows_are_rejected_with_their_row_number(&url);
    let invoices = Some("stripe_invoices");
    stripe_objects_report_exactly_as_the_files(&url, "stripe_invoices", invoices, &[]);
    stripe_objects_report_exactly_as_the_files(&url, "stripe_invoices_gross", invoices, &[]);
    // A named time zone and a preset apply as to the files.
    stripe_objects_report_exactly_as_the_files(
        &url,
        "stripe_lifecycle",
        None,
        &["--timezone", "America/New_York", "--preset", "chartmogul"],
    );
    stripe_credit_notes_and_refunds_report_exactly_as_the_files(&url);
    bad_stripe_objects_are_rejected_with_their_row_number_and_id(&url);
    writes_are_refused(&s, &url);
}

fn items_table_reports_exactly_as_the_csv(url: &str) {
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

fn snapshots_query_reports_exactly_as_the_csv(url: &str) {
    let dir = repo().join("tests/fixtures/snapshots_movements_agree");
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
fn movements_are_checked_exactly_as_from_the_csv(url: &str) {
    let snaps = "SELECT account_id, snapshot_date, mrr, currency FROM snaps";
    // snapshots_movements_disagree's movements are in the table `movements`;
    // snapshots_movements_as_expansion's are given as a query of literal rows.
    let own = std::fs::read_to_string(
        repo().join("tests/fixtures/snapshots_movements_as_expansion/revenue_movements.csv"),
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

fn bad_values_are_rejected_with_their_row_number(url: &str) {
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

/// The invoices and events of a fixture from two typed tables (a query and a table), under the
/// fixture's policies: the same figures and policies as from the files.
fn invoices_report_exactly_as_the_csv(url: &str, fixture: &str) {
    let files = report_json(&[&fixture_dir(fixture)], fixture, &[]);
    // Detected from the columns.
    let pg = report_json(
        &[
            "--postgres",
            url,
            "--query",
            "SELECT * FROM invoices ORDER BY invoice_id, line_id",
            "--events-table",
            "subscription_events",
        ],
        fixture,
        &[],
    );
    assert_eq!(
        pg["inputs"],
        serde_json::json!(["postgres query", "subscription_events"])
    );
    assert_eq!(figures(pg), figures(files.clone()), "{fixture}");
    // Chosen with --source, the events from a query.
    let pg = report_json(
        &[
            "--postgres",
            url,
            "--table",
            "invoices",
            "--events-query",
            "SELECT subscription_id, event, effective_date FROM subscription_events",
            "--source",
            "invoices",
        ],
        fixture,
        &[],
    );
    assert_eq!(
        pg["inputs"],
        serde_json::json!(["invoices", "postgres events query"])
    );
    assert_eq!(figures(pg), figures(files), "{fixture}");
}

fn bad_invoice_rows_are_rejected_with_their_row_number(url: &str) {
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
        "subscription_events",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invoice rows only"), "{err}");
}

/// Stripe subscription and invoice objects, one a row in jsonb tables (a query and a table
/// with an extra column: the `data` column is read), against the same objects from
/// subscriptions.json and invoices.json; fx.csv from the fixture directory. The subscriptions
/// are in `stripe_subscriptions`, or in a table named as the fixture without invoices.
fn stripe_objects_report_exactly_as_the_files(
    url: &str,
    fixture: &str,
    invoices: Option<&str>,
    more: &[&str],
) {
    let dir = fixture_dir(fixture);
    let files = report_json(&[&dir], fixture, more);
    let query = match invoices {
        Some(_) => "SELECT data FROM stripe_subscriptions ORDER BY n".to_string(),
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

/// Subscriptions, invoices, credit notes and refunds of `stripe_refund_credit` from four tables
/// (two as queries): the same figures and row ledger as from the files.
fn stripe_credit_notes_and_refunds_report_exactly_as_the_files(url: &str) {
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
        "rc_subscriptions",
        "--invoices-table",
        "rc_invoices",
        "--credit-notes-query",
        "SELECT data FROM rc_credit_notes ORDER BY n",
        "--refunds-query",
        "SELECT data FROM rc_refunds ORDER BY n",
    ];
    let pg = report_json(&pg_args, fixture, &[]);
    assert_eq!(
        pg["inputs"],
        serde_json::json!([
            "rc_subscriptions",
            "rc_invoices",
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

fn bad_stripe_objects_are_rejected_with_their_row_number_and_id(url: &str) {
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
    assert!(text.contains("3 read, 1 used"), "{text}");
    // Subscription events go with invoice rows; Stripe invoice, credit note and refund objects
    // with --source stripe; movements with snapshot rows.
    for (args, says) in [
        (
            [
                "--source",
                "stripe",
                "--events-table",
                "subscription_events",
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
                "rc_credit_notes",
            ],
            "--credit-notes-query/--credit-notes-table",
        ),
        (
            ["--source", "items", "--refunds-table", "rc_refunds"],
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
        "stripe_subscriptions",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--source stripe"), "{err}");
}

fn writes_are_refused(s: &Server, url: &str) {
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
