//! One module per subcommand; `run` dispatches.

mod check;
mod cohorts;
mod compare;
mod customer_months;
mod demo;
mod diff;
mod explain;
mod generate;
mod init;
mod lines;
mod movements;
mod output;
mod publish;
mod report;
mod review;
mod sql;

use crate::args::{Cli, Command, Settings};
use nrr_core::policy::{Applied, Policies};
use nrr_io::{IoError, LoadOptions, Loaded};
use std::fmt;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// The data itself is invalid (exit code 1), as opposed to usage or I/O trouble (exit 2).
#[derive(Debug)]
pub(crate) struct InvalidData(pub String);

impl fmt::Display for InvalidData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidData {}

/// Exit code for an error: 1 for invalid data, 2 for usage or I/O.
pub(crate) fn exit_code_for(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if cause.downcast_ref::<InvalidData>().is_some() {
            return 1;
        }
        let core = cause.downcast_ref::<nrr_core::CoreError>().or_else(|| {
            match cause.downcast_ref::<IoError>() {
                Some(IoError::Core(c)) => Some(c),
                _ => None,
            }
        });
        if let Some(c) = core {
            use nrr_core::CoreError::*;
            return match c {
                NoRates { .. }
                | MissingRates { .. }
                | PrecisionOverflow
                | AmountOverflow { .. }
                | TotalOverflow { .. } => 1,
                // Stretched by a line of the data (not by --from/--to).
                WindowTooLong { cause: Some(_), .. } => 1,
                _ => 2,
            };
        }
        if let Some(IoError::Malformed { .. }) = cause.downcast_ref::<IoError>() {
            return 1;
        }
    }
    2
}

pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Report(a) => report::run(a),
        Command::Movements(a) => movements::run(a),
        Command::CustomerMonths(a) => customer_months::run(a),
        Command::Lines(a) => lines::run(a),
        Command::Cohorts(a) => cohorts::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Check(a) => check::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Init(a) => init::run(a),
        Command::Publish(a) => publish::run(a),
        Command::Signoff(a) => publish::signoff(a),
        Command::Verify(a) => publish::verify(a),
        Command::Diff(a) => diff::run(a),
        Command::Review(a) => review::run(a),
        Command::Generate(a) => generate::run(a),
        Command::Sql(a) => sql::run(a),
        Command::Demo(a) => demo::run(a),
    }
}

/// Shows at most this many rejections.
pub(crate) const SHOWN_REJECTIONS: usize = 20;

/// `1 row`, `2 rows`.
pub(crate) fn rows(n: usize) -> String {
    format!("{n} row{}", if n == 1 { "" } else { "s" })
}

/// The first rejections, one per line, then a count of the rest.
pub(crate) fn rejection_lines(rejections: &[nrr_io::Rejection]) -> String {
    let mut s = String::new();
    for r in rejections.iter().take(SHOWN_REJECTIONS) {
        s.push_str(&format!("  {r}\n"));
    }
    if rejections.len() > SHOWN_REJECTIONS {
        s.push_str(&format!(
            "  ... and {} more rejected rows\n",
            rejections.len() - SHOWN_REJECTIONS
        ));
    }
    s
}

/// Loads the data directory; unless `--skip-invalid`, any rejected row stops the run with
/// exit code 1 before figures are computed. Returns the data and the count of skipped rows.
/// `customers`: also read customers.csv (only segments need it); `usage`: the usage charges
/// too (`nrr report --usage`). The returned bar shows a spinner until dropped.
pub(crate) fn load(
    settings: &Settings,
    customers: bool,
    usage: bool,
) -> anyhow::Result<(Loaded, u64, crate::progress::Bar)> {
    let bar = crate::progress::Bar::for_load(settings.data.as_deref().unwrap_or(Path::new("")));
    let opts = settings.load_options(customers, usage, bar.callback());
    let loaded = load_data(settings, &opts)?;
    let n = loaded.rejections.len();
    if n == 0 {
        bar.step("computing");
        return Ok((loaded, 0, bar));
    }
    bar.clear();
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "{} rejected:\n{}",
        rows(n),
        rejection_lines(&loaded.rejections)
    );
    if settings.skip_invalid {
        let _ = writeln!(
            err,
            "warning: --skip-invalid: skipped {}; the figures exclude them",
            rows(n)
        );
        Ok((loaded, n as u64, bar))
    } else {
        Err(InvalidData(format!(
            "{} rejected; no figures computed (fix the data, or pass --skip-invalid to report without them)",
            rows(n)
        ))
        .into())
    }
}

/// The policies as the reader applied them (it reads `forever-only` discounts from a preset
/// as `all` for invoices.csv), and which ones it applied.
pub(crate) fn applied(settings: &Settings, loaded: &Loaded) -> (Policies, Applied) {
    let policies = Policies {
        invoices: loaded
            .invoice_policies
            .unwrap_or(settings.policies.invoices),
        snapshot_date: loaded
            .snapshot_date
            .unwrap_or(settings.policies.snapshot_date),
        ..settings.policies
    };
    let applied = Applied {
        lifecycle: loaded.invoice_policies.is_some(),
        snapshot_date: loaded.snapshot_date.is_some(),
    };
    (policies, applied)
}

/// Reads DATA, or with `--postgres` the rows of `--query` / `--table` (DATA, when given, is
/// then the directory of fx.csv, customers.csv and annotations.csv).
pub(crate) fn load_data(settings: &Settings, opts: &LoadOptions) -> anyhow::Result<Loaded> {
    let Some(url) = &settings.pg.postgres else {
        // Without --postgres, clap requires DATA.
        let data = settings.data.as_deref().unwrap_or(Path::new("."));
        return Ok(nrr_io::load(data, opts)?);
    };
    #[cfg(feature = "postgres")]
    {
        use nrr_io::postgres::{PgQuery, PgSource};
        let Some(query) = PgQuery::from_args(&settings.pg.query, &settings.pg.table) else {
            return Err(crate::errors::BadFlag {
                flag: "--postgres".into(),
                reason: "give the rows to read with --query \"SELECT ...\" or --table NAME".into(),
            }
            .into());
        };
        let events = PgQuery::from_args(&settings.pg.events_query, &settings.pg.events_table);
        let invoices = PgQuery::from_args(&settings.pg.invoices_query, &settings.pg.invoices_table);
        let credit_notes = PgQuery::from_args(
            &settings.pg.credit_notes_query,
            &settings.pg.credit_notes_table,
        );
        let refunds = PgQuery::from_args(&settings.pg.refunds_query, &settings.pg.refunds_table);
        let movements =
            PgQuery::from_args(&settings.pg.movements_query, &settings.pg.movements_table);
        let side = settings.data.as_deref();
        let pg = PgSource {
            url: url.clone(),
            query,
            events,
            invoices,
            credit_notes,
            refunds,
            movements,
        };
        Ok(nrr_io::postgres::load(&pg, side, opts)?)
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = url;
        Err(crate::errors::BadFlag {
            flag: "--postgres".into(),
            reason: "this nrr was built without the `postgres` feature".into(),
        }
        .into())
    }
}

/// Writes `bytes` to `path`, or to stdout without one.
pub(crate) fn emit_to(path: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    match path {
        Some(p) => {
            output::refuse_in_book(p, "--output")?;
            std::fs::write(p, bytes).with_context(|| format!("writing {}", p.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
            Ok(())
        }
    }
}

/// Writes to stdout, flushing at the end.
pub(crate) fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}
