//! `nrr generate`: deterministic synthetic data.

use crate::args::GenerateArgs;
use anyhow::Context;
use nrr_io::generate::{generate, GenerateOptions};
use std::process::ExitCode;

/// The files `generate` writes into `--out`.
const WRITTEN: [&str; 4] = ["items.csv", "customers.csv", "fx.csv", "items.parquet"];

pub(super) fn run(a: GenerateArgs) -> anyhow::Result<ExitCode> {
    super::output::refuse_in_book(&a.out.join(WRITTEN[0]), "--out")?;
    if !a.force {
        let there: Vec<&str> = WRITTEN
            .into_iter()
            .filter(|f| a.out.join(f).symlink_metadata().is_ok())
            .collect();
        if !there.is_empty() {
            anyhow::bail!(
                "{} already holds {}; nrr generate does not overwrite files: pass --force to \
                 replace them, or choose another --out",
                a.out.display(),
                there.join(", ")
            );
        }
    }
    let opts = GenerateOptions {
        customers: a.customers,
        months: a.months,
        seed: a.seed,
        currencies: a.currencies,
        start_year: a.start.year(),
        start_month: a.start.number(),
    };
    let summary =
        generate(&opts, &a.out).with_context(|| format!("writing {}", a.out.display()))?;
    eprintln!(
        "wrote {} customers, {} item rows to {}",
        summary.customers,
        summary.item_rows,
        a.out.display()
    );
    if a.parquet {
        write_parquet(&a.out)?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "parquet")]
fn write_parquet(dir: &std::path::Path) -> anyhow::Result<()> {
    let rows =
        nrr_io::parquet::items_csv_to_parquet(&dir.join("items.csv"), &dir.join("items.parquet"))?;
    eprintln!(
        "wrote {rows} rows to {}",
        dir.join("items.parquet").display()
    );
    Ok(())
}

#[cfg(not(feature = "parquet"))]
fn write_parquet(_: &std::path::Path) -> anyhow::Result<()> {
    anyhow::bail!("this nrr was built without the `parquet` feature")
}
