//! `nrr explain`: one customer traced to its input rows.

use crate::args::{resolve, ExplainArgs, TextFormat};
use crate::render;
use nrr_core::engine::Options;
use std::process::ExitCode;

pub(super) fn run(a: ExplainArgs) -> anyhow::Result<ExitCode> {
    let settings = resolve::settings(&a.data, &a.window, &Default::default())?;
    let (loaded, skipped, bar) = super::load(&settings, false, false)?;
    let opts = Options {
        skipped_invalid_rows: skipped,
        ..settings.options.clone()
    };
    // An id customer_map.csv merges into another is explained as that customer.
    let map = loaded.customer_map.as_ref();
    let customer = map
        .and_then(|m| m.target(&a.customer))
        .unwrap_or(&a.customer);
    let mut ex = nrr_core::explain::explain(&loaded.dataset, &opts, customer)?;
    nrr_core::explain::attach_notes(&mut ex, &loaded.notes.notes);
    if let Some(m) = map {
        nrr_core::explain::attach_customer_map(&mut ex, m);
    }
    let text = match a.format {
        TextFormat::Json => render::json_with_settings(
            &ex,
            settings.config_shown(),
            settings.echo(loaded.dataset.currency()),
        )?,
        TextFormat::Table => render::table::explanation(&ex, render::style()),
    };
    drop(bar);
    super::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}
