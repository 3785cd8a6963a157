//! The CLI's wording of library errors: where flag names (`--currency`, `--from`) and the
//! default file names (`fx.csv`) are added to what `nrr-core` reports in domain terms.
//!
//! The libraries say what is wrong with the data ("choose the reporting currency"); only the
//! command line knows that the choice is made with `--currency`. [`describe`] prints an error
//! chain as `{:#}` would, with every [`CoreError`] in it (bare or inside
//! [`IoError::Core`]) worded by [`core_message`].

use nrr_core::{CoreError, Stretch};
use nrr_io::IoError;

/// The error chain as one line, `outer: cause: cause` (anyhow's `{:#}`), each library error
/// in the CLI's words.
pub(crate) fn describe(err: &anyhow::Error) -> String {
    let parts: Vec<String> = err.chain().map(message).collect();
    parts.join(": ")
}

/// One error of a chain in the CLI's words: a [`CoreError`] through [`core_message`], any
/// other error as it displays itself.
fn message(err: &(dyn std::error::Error + 'static)) -> String {
    let core = err
        .downcast_ref::<CoreError>()
        .or_else(|| match err.downcast_ref::<IoError>() {
            Some(IoError::Core(c)) => Some(c),
            _ => None,
        });
    match core {
        Some(c) => core_message(c),
        None => err.to_string(),
    }
}

/// What the user reads for a [`CoreError`]: the core's message with the flag that makes the
/// choice it asks for, and `fx.csv` where no rates file was named.
pub(crate) fn core_message(err: &CoreError) -> String {
    match err {
        CoreError::AmbiguousCurrency { .. } => format!("{err} with --currency"),
        CoreError::NoRates {
            file: None,
            currencies,
            reporting,
            ..
        } => format!(
            "no fx.csv was read, and {} need{} rates into {reporting}, the reporting currency: \
             put an fx.csv beside the data (docs/input.md, fx.csv)",
            currencies.join(", "),
            if currencies.len() == 1 { "s" } else { "" }
        ),
        CoreError::MissingRates {
            file,
            reporting,
            missing,
        } => nrr_core::fx::missing_rates_message(
            Some(file.as_deref().unwrap_or("fx.csv")),
            reporting,
            missing,
        ),
        CoreError::TotalOverflow { largest } => format!(
            "the lines' MRR together is too large for exact arithmetic at the largest FX rate; \
             the largest line is {largest}: check its amount and the rates in fx.csv"
        ),
        CoreError::WindowTooLong {
            from,
            to,
            months,
            cause,
        } => {
            let cause = match cause {
                Some(c) if !c.is_empty() => {
                    let parts: Vec<String> = c.iter().map(stretch).collect();
                    format!(" ({})", parts.join("; "))
                }
                _ => String::new(),
            };
            format!(
                "the window {from}..{to} is {months} months long; at most {} months are \
                 reported{cause}; choose the months with --from and --to",
                nrr_core::engine::MAX_WINDOW_MONTHS
            )
        }
        CoreError::BadWindow { from, to } => {
            format!("empty window: --from {from} is after --to {to}")
        }
        CoreError::NoData => "no recurring lines to report on (give --from and --to to report \
                              an empty window)"
            .to_string(),
        _ => err.to_string(),
    }
}

/// What stretches a default window, naming `--as-of` where it can set the window's end.
fn stretch(s: &Stretch) -> String {
    match s {
        Stretch::AsOfGiven(d) => format!("it ends at --as-of {d}"),
        Stretch::AsOfFound { date, source } => {
            format!("it ends at the as-of date {date}, {source}, which --as-of can set")
        }
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nrr_core::date::Month;

    fn month(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn the_cli_names_the_flag_the_core_leaves_out() {
        let err = CoreError::AmbiguousCurrency {
            found: vec!["EUR".into(), "USD".into()],
        };
        assert!(!err.to_string().contains("--"));
        assert_eq!(
            core_message(&err),
            "the data has several currencies (EUR, USD); choose the reporting currency with \
             --currency"
        );
        let err = CoreError::BadWindow {
            from: month("2024-05"),
            to: month("2024-01"),
        };
        assert_eq!(
            err.to_string(),
            "empty window: the first month 2024-05 is after the last month 2024-01"
        );
        assert_eq!(
            core_message(&err),
            "empty window: --from 2024-05 is after --to 2024-01"
        );
    }

    #[test]
    fn a_core_error_inside_an_io_error_is_worded_too() {
        let err = anyhow::Error::from(IoError::Core(CoreError::NoData)).context("reading data");
        assert_eq!(
            describe(&err),
            "reading data: no recurring lines to report on (give --from and --to to report an \
             empty window)"
        );
    }
}
