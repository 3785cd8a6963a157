//! `nrr check`: validation and the row ledger only.

use crate::args::{CheckArgs, Format};
use crate::render;
use std::process::ExitCode;

pub fn run(a: CheckArgs) -> anyhow::Result<ExitCode> {
    let loaded = nrr_io::load(
        &a.data.data,
        &nrr_io::LoadOptions {
            currency: a.data.currency.clone(),
        },
    )?;
    let rows = &loaded.dataset.ledger;
    let text = match a.format {
        Format::Json => render::json(&serde_json::json!({
            "currency": loaded.dataset.currency(),
            "rows": rows,
            "rejections": loaded.rejections.iter().map(|r| serde_json::json!({
                "file": r.file, "line": r.line, "column": r.column, "value": r.value, "expected": r.expected,
            })).collect::<Vec<_>>(),
        }))?,
        _ => {
            let mut s = render::table::ledger(rows);
            for r in loaded.rejections.iter() {
                s.push_str(&format!("  {r}\n"));
            }
            s
        }
    };
    super::emit(&text)?;
    if loaded.rejections.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: {} row(s) rejected", loaded.rejections.len());
        Ok(ExitCode::from(1))
    }
}
