//! Rendering: aligned tables for terminals, JSON for machines (CSV lives in `nrr-io`).

pub mod movements;
pub mod table;
pub mod usage;

use std::io::IsTerminal;

/// Whether to decorate output (bold headings): only on a terminal, never with `NO_COLOR`.
#[derive(Copy, Clone, Debug)]
pub struct Style {
    pub color: bool,
}

pub fn style() -> Style {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Style {
        color: !no_color && std::io::stdout().is_terminal(),
    }
}

/// Pretty JSON with a trailing newline.
pub fn json<T: serde::Serialize>(v: &T) -> anyhow::Result<String> {
    let mut s = serde_json::to_string_pretty(v)?;
    s.push('\n');
    Ok(s)
}
