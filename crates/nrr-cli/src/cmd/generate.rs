//! `nrr generate`: deterministic synthetic data.

use crate::args::GenerateArgs;
use anyhow::Context;
use nrr_io::generate::{generate, GenerateOptions};
use std::process::ExitCode;

pub fn run(a: GenerateArgs) -> anyhow::Result<ExitCode> {
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
    Ok(ExitCode::SUCCESS)
}
