//! `nrr demo`: generate a demo dataset and report on it.

use crate::args::{resolve, DataArgs, DemoArgs, ReportArgs, WindowArgs};
use anyhow::Context;
use nrr_io::generate::{generate, GenerateOptions};
use std::process::ExitCode;

pub(super) fn run(a: DemoArgs) -> anyhow::Result<ExitCode> {
    let tmp;
    let dir = match &a.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::tempdir().context("creating a temporary directory")?;
            tmp.path().to_path_buf()
        }
    };
    let opts = GenerateOptions {
        customers: a.customers,
        currencies: true,
        ..GenerateOptions::default()
    };
    generate(&opts, &dir).with_context(|| format!("writing demo data to {}", dir.display()))?;
    eprintln!(
        "demo: {} synthetic customers over {} months (seed {}) in {}{}",
        opts.customers,
        opts.months,
        opts.seed,
        dir.display(),
        if a.dir.is_none() { " (temporary)" } else { "" }
    );
    let args = ReportArgs {
        data: DataArgs {
            currency: Some("USD".into()),
            // The demo's data is generated: no configuration file applies.
            config: crate::args::ConfigArgs {
                config: None,
                no_config: true,
            },
            ..DataArgs::for_dir(dir)
        },
        window: WindowArgs {
            from: None,
            to: None,
            fiscal_year_start: None,
        },
        format: a.format,
        output: None,
        segment: Vec::new(),
        gross_margin: None,
        concentration: None,
        top: 5,
        usage: false,
        sections: Vec::new(),
    };
    let sections = if a.sections.is_empty() {
        crate::render::Sections::default()
    } else {
        crate::render::Sections(a.sections)
    };
    super::report::show(&resolve::report(&args)?, a.format, None, &sections)
}
