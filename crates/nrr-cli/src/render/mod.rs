//! Rendering: aligned tables for terminals, JSON for machines (CSV lives in `nrr-io`).

pub(crate) mod movements;
pub(crate) mod summary;
pub(crate) mod table;
pub(crate) mod usage;

use std::io::IsTerminal;

/// Whether to decorate output (bold headings): only on a terminal, never with `NO_COLOR`.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Style {
    pub color: bool,
}

/// A section of the table report (`--sections`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    /// The headline: closing MRR and ARR, TTM NRR and GRR, logo churn, quick ratio, the
    /// latest complete quarter.
    Summary,
    /// Retention of every month.
    Months,
    /// Retention of every complete quarter.
    Quarters,
    /// Retention of every complete year.
    Years,
    /// Trailing-twelve-month retention at every month.
    Ttm,
    /// ARR, ARPA, customer counts, churn rates, quick ratio and LTV by quarter and year.
    Metrics,
    /// Expansion and contraction by reason.
    Reasons,
    /// Customers carrying a large share of a period's expansion or churn.
    Concentration,
    /// The `--top N` customers by churn, contraction and expansion of the latest quarter, year
    /// and TTM (none with `--top 0`).
    Top,
    /// The monthly MRR bridge.
    Bridge,
    /// Retention by segment (with --segment).
    Segments,
    /// Published NRR figures for context.
    Context,
    /// Every section.
    All,
}

impl Section {
    /// What the table shows when `--sections` is not given.
    pub(crate) const DEFAULT: [Section; 7] = [
        Section::Summary,
        Section::Quarters,
        Section::Years,
        Section::Top,
        Section::Bridge,
        Section::Segments,
        Section::Context,
    ];
}

/// The sections asked for.
#[derive(Clone, Debug)]
pub(crate) struct Sections(pub Vec<Section>);

impl Sections {
    /// Whether `s` is shown.
    pub(crate) fn show(&self, s: Section) -> bool {
        self.0.iter().any(|x| *x == s || *x == Section::All)
    }
}

impl Default for Sections {
    fn default() -> Self {
        Sections(Section::DEFAULT.to_vec())
    }
}

/// The width text output keeps within: `COLUMNS` when set, else the terminal's width, else 80
/// (output to a file or a pipe). Decided once per run.
pub(crate) fn width() -> usize {
    static WIDTH: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *WIDTH.get_or_init(|| {
        let given = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|w| *w >= 20);
        given
            .or_else(|| {
                std::io::stdout()
                    .is_terminal()
                    .then(terminal_size::terminal_size)
                    .flatten()
                    .map(|(w, _)| usize::from(w.0))
            })
            .unwrap_or(80)
    })
}

/// `text` broken at spaces into lines of at most `width` characters (a word longer than that,
/// such as an address, stays whole on its own line); lines after the first start with
/// `indent`. Every line ends with a newline.
pub(crate) fn wrap(text: &str, width: usize, indent: &str) -> String {
    if text.chars().count() <= width {
        // Fits: unchanged (its spacing may be a table's alignment).
        return format!("{text}\n");
    }
    let mut out = String::new();
    // A line that starts indented (already wrapped) keeps its indent.
    let lead = &text[..text.len() - text.trim_start_matches(' ').len()];
    let mut line = lead.to_string();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let len = line.chars().count();
        let fresh = line == indent || line == lead;
        if !fresh && len + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line = indent.to_string();
        } else if !fresh {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

pub(crate) fn style() -> Style {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Style {
        color: !no_color && std::io::stdout().is_terminal(),
    }
}

/// Pretty JSON of `v` followed by `config` (the file read, when one was) and `settings`
/// (every setting, its value and where it came from), as `nrr report` ends its JSON: how
/// `nrr cohorts`, `nrr explain` and `nrr check` echo their settings (docs/config.md).
pub(crate) fn json_with_settings<T: serde::Serialize>(
    v: &T,
    config: Option<String>,
    settings: Vec<nrr_core::report::Setting>,
) -> anyhow::Result<String> {
    #[derive(serde::Serialize)]
    struct WithSettings<'a, T> {
        #[serde(flatten)]
        inner: &'a T,
        #[serde(skip_serializing_if = "Option::is_none")]
        config: Option<String>,
        settings: Vec<nrr_core::report::Setting>,
    }
    json(&WithSettings {
        inner: v,
        config,
        settings,
    })
}

/// Pretty JSON with a trailing newline.
pub(crate) fn json<T: serde::Serialize>(v: &T) -> anyhow::Result<String> {
    let mut s = serde_json::to_string_pretty(v)?;
    s.push('\n');
    Ok(s)
}
