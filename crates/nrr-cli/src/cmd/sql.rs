//! `nrr sql`: print the SQL script of `nrr_io::sql` for the chosen engine and tables
//! (docs/scale-out.md). It reads no data: a bad flag is a usage error (exit 2).

use crate::args::{DialectArg, SqlArgs};
use nrr_io::sql::{Dialect, Options};
use std::io::Write;
use std::process::ExitCode;

pub(super) fn run(a: SqlArgs) -> anyhow::Result<ExitCode> {
    let dialect = match a.dialect {
        DialectArg::Spark => Dialect::Spark,
        DialectArg::Duckdb => Dialect::DuckDb,
        DialectArg::Postgres => Dialect::Postgres,
    };
    let options = Options {
        dialect,
        lines: a.lines,
        fx: a.fx,
        customers: a.customers,
        segments: a.segment,
        prefix: a.prefix,
        currency: a.currency,
        from: a.from,
        to: a.to,
        reactivation: a.reactivation,
        fiscal_year_start: a.fiscal_year_start,
        materialize: a.materialize,
    };
    let script = nrr_io::sql::script(&options)?;
    let mut out = std::io::stdout().lock();
    out.write_all(script.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
