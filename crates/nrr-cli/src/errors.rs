//! The CLI's wording of library errors: where flag names (`--currency`, `--from`) and the
//! default file names (`fx.csv`) are added to what `nrr-core` and `nrr-io` report in domain
//! terms.
//!
//! The libraries say what is wrong with the data ("choose the reporting currency"); only the
//! command line knows that the choice is made with `--currency`. [`describe`] prints an error
//! chain as `{:#}` would, with every [`CoreError`] in it (bare or inside
//! [`IoError::Core`]) worded by [`core_message`], and every [`IoError`] that is about a choice
//! (a [`Misfit`], `--source`, `--segment`) by [`io_message`].

use crate::args::{Echo, Origin};
use nrr_core::{CoreError, Stretch};
use nrr_io::{IoError, Misfit, StripeObjects};
use std::fmt;

/// A flag that cannot apply (a usage error, exit code 2): `{flag}: {reason}`.
#[derive(Debug)]
pub(crate) struct BadFlag {
    /// The flag and its value, as given.
    pub(crate) flag: String,
    /// Why it cannot apply.
    pub(crate) reason: String,
}

impl fmt::Display for BadFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.flag, self.reason)
    }
}

impl std::error::Error for BadFlag {}

thread_local! {
    /// Where each setting of this run came from, recorded once resolve has decided them: an
    /// error about a choice names the nrr.toml line that made it rather than a flag never
    /// given. Kept beside the errors because they reach `main` through library types that do
    /// not carry the settings; per thread, as `main` resolves and reports on one thread (and
    /// tests running side by side do not see each other's). A command that resolves twice
    /// (`nrr compare`) keeps the last.
    static ORIGINS: std::cell::RefCell<Vec<(&'static str, Origin)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Records the origin of every setting (see [`ORIGINS`]), the configuration file named by
/// its path (`data/nrr.toml`) as its other errors name it.
pub(crate) fn record_origins(config: Option<&std::path::Path>, echo: &[Echo]) {
    let origins = echo.iter().map(|e| {
        let origin = match (&e.origin, config) {
            (Origin::Config { line, .. }, Some(path)) => Origin::Config {
                file: path.display().to_string(),
                line: *line,
            },
            (o, _) => o.clone(),
        };
        (e.key, origin)
    });
    ORIGINS.with_borrow_mut(|o| *o = origins.collect());
}

/// The choice of `value` for the setting `key` as the user made it: `--flag value` when it
/// was given on the command line (or nothing recorded it), `FILE:LINE: key value` when the
/// configuration file set it.
fn chosen(key: &str, flag: &str, value: &str) -> String {
    let named = ORIGINS.with_borrow(|o| match o.iter().find(|(k, _)| *k == key) {
        Some((_, Origin::Config { file, line })) => format!("{file}:{line}: {key} {value}"),
        _ => format!("{flag} {value}"),
    });
    named.trim_end().to_string()
}

/// The error chain as one line, `outer: cause: cause` (anyhow's `{:#}`), each library error
/// in the CLI's words.
pub(crate) fn describe(err: &anyhow::Error) -> String {
    let parts: Vec<String> = err.chain().map(message).collect();
    parts.join(": ")
}

/// One error of a chain in the CLI's words: a [`CoreError`] through [`core_message`], an
/// [`IoError`] through [`io_message`], any other error as it displays itself.
fn message(err: &(dyn std::error::Error + 'static)) -> String {
    if let Some(c) = err.downcast_ref::<CoreError>() {
        return core_message(c);
    }
    match err.downcast_ref::<IoError>() {
        Some(e) => io_message(e),
        None => err.to_string(),
    }
}

/// What the user reads for an [`IoError`]: with the flag that makes the choice it is about.
pub(crate) fn io_message(err: &IoError) -> String {
    match err {
        IoError::Core(c) => core_message(c),
        IoError::Misfit(m) => misfit_message(m),
        IoError::AmbiguousInput { .. } => {
            format!("{err} with --source items|mrr|invoices|snapshots|stripe")
        }
        IoError::SourceNotFound {
            dir,
            source_name,
            expected,
            found,
        } => format!(
            "{}: --source {source_name}: no {expected} found{}",
            dir.display(),
            nrr_io::found_suffix(found)
        ),
        IoError::UnknownSegment { column, available } => format!(
            "{}: {}",
            chosen("segments", "--segment", &format!("`{column}`")),
            nrr_io::unknown_segment_reason(available)
        ),
        IoError::NoLineColumn { column } => format!(
            "{}: no line has a {column} (the `{column}` column of items.csv is absent or empty)",
            chosen("segments", "--segment", &format!("`{column}`")),
        ),
        IoError::NoObjectColumn { name, columns } => format!(
            "PostgreSQL: {name}: with --source stripe, give one column holding a Stripe object \
             as JSON per row (or a column named data); found {}",
            columns.join(", ")
        ),
        IoError::UnknownRowShape { name, columns } => format!(
            "PostgreSQL: {name}: cannot tell the row shape from the columns ({}); expected {}, \
             or choose with --source (Stripe objects as JSON: --source stripe)",
            columns.join(", "),
            nrr_io::ROW_SHAPES
        ),
        _ => err.to_string(),
    }
}

/// A load option that does not fit the input, as `--flag value: why`.
fn misfit_message(m: &Misfit) -> String {
    let (flag, reason) = match m {
        Misfit::StripeObjectsWithoutStripe { objects } => {
            let flag = match objects {
                StripeObjects::Invoices => "--invoices-query/--invoices-table",
                StripeObjects::CreditNotes => "--credit-notes-query/--credit-notes-table",
                StripeObjects::Refunds => "--refunds-query/--refunds-table",
            };
            let reason = format!(
                "Stripe {} objects go with --source stripe only",
                objects.noun()
            );
            (flag.to_string(), reason)
        }
        Misfit::EventsWithStripe => (
            "--events-query/--events-table".to_string(),
            "subscription events go with invoice rows only; with --source stripe the \
             subscription objects give the events (Stripe invoice objects: --invoices-query or \
             --invoices-table)"
                .to_string(),
        ),
        Misfit::EventsWithoutInvoices { .. } => {
            ("--events-query/--events-table".to_string(), m.to_string())
        }
        Misfit::MovementsWithoutSnapshots { .. } => (
            "--movements-query/--movements-table".to_string(),
            m.to_string(),
        ),
        Misfit::TimezoneForDates { rows: true } => (
            chosen("timezone", "--timezone", ""),
            "applies to Stripe objects only (--source stripe); other inputs hold dates, not \
             timestamps"
                .to_string(),
        ),
        Misfit::TimezoneForDates { rows: false } => (
            chosen("timezone", "--timezone", ""),
            "applies to Stripe exports only (subscriptions.json); other inputs hold dates, not \
             timestamps"
                .to_string(),
        ),
        Misfit::UsageWithoutUsageLines { input } => (
            "--usage".to_string(),
            format!(
                "applies to invoices.csv (usage lines) and Stripe exports (metered prices) \
                 only; the revenue input here is {input}, which has no usage charges"
            ),
        ),
        Misfit::OpenSnapshotDates { input } => (
            chosen("policies.snapshot_date", "--snapshot-date", "open"),
            format!(
                "applies to subscription_snapshots only; the revenue input here is {input}, \
                 which accepts only the default (close)"
            ),
        ),
        Misfit::ForeverOnlyDiscounts => (
            chosen("policies.discounts", "--discounts", "forever-only"),
            "invoices.csv does not say how long a discount lasts, so which discounts are \
             forever cannot be decided from invoices alone; use `all` (the default) or `none`"
                .to_string(),
        ),
        Misfit::PolicyNotDefault {
            policy,
            value,
            default,
            input,
        } => (
            chosen(
                &format!("policies.{}", policy.replace('-', "_")),
                &format!("--{policy}"),
                value,
            ),
            format!(
                "applies to invoices.csv only; the revenue input here is {input}, which \
                 accepts only the default ({default})"
            ),
        ),
        _ => return m.to_string(),
    };
    BadFlag { flag, reason }.to_string()
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

    /// Each misfit of a load option, worded with its flag as before nrr-io's errors were typed.
    #[test]
    fn the_cli_names_the_flag_of_each_misfit() {
        let input = || "items.csv".to_string();
        let cases: Vec<(Misfit, &str)> = vec![
            (
                Misfit::StripeObjectsWithoutStripe {
                    objects: StripeObjects::CreditNotes,
                },
                "--credit-notes-query/--credit-notes-table: Stripe credit note objects go with \
                 --source stripe only",
            ),
            (
                Misfit::EventsWithStripe,
                "--events-query/--events-table: subscription events go with invoice rows only; \
                 with --source stripe the subscription objects give the events (Stripe invoice \
                 objects: --invoices-query or --invoices-table)",
            ),
            (
                Misfit::EventsWithoutInvoices { rows: "items" },
                "--events-query/--events-table: subscription events go with invoice rows only; \
                 the rows here are items",
            ),
            (
                Misfit::MovementsWithoutSnapshots {
                    rows: "Stripe objects".into(),
                },
                "--movements-query/--movements-table: revenue movements are checked against \
                 snapshot rows (account_id, snapshot_date, mrr) only; the rows here are Stripe \
                 objects",
            ),
            (
                Misfit::TimezoneForDates { rows: true },
                "--timezone: applies to Stripe objects only (--source stripe); other inputs hold \
                 dates, not timestamps",
            ),
            (
                Misfit::TimezoneForDates { rows: false },
                "--timezone: applies to Stripe exports only (subscriptions.json); other inputs \
                 hold dates, not timestamps",
            ),
            (
                Misfit::UsageWithoutUsageLines { input: input() },
                "--usage: applies to invoices.csv (usage lines) and Stripe exports (metered \
                 prices) only; the revenue input here is items.csv, which has no usage charges",
            ),
            (
                Misfit::OpenSnapshotDates { input: input() },
                "--snapshot-date open: applies to subscription_snapshots only; the revenue input \
                 here is items.csv, which accepts only the default (close)",
            ),
            (
                Misfit::ForeverOnlyDiscounts,
                "--discounts forever-only: invoices.csv does not say how long a discount lasts, \
                 so which discounts are forever cannot be decided from invoices alone; use `all` \
                 (the default) or `none`",
            ),
            (
                Misfit::PolicyNotDefault {
                    policy: "pauses",
                    value: "churn".into(),
                    default: "keep".into(),
                    input: input(),
                },
                "--pauses churn: applies to invoices.csv only; the revenue input here is \
                 items.csv, which accepts only the default (keep)",
            ),
        ];
        for (misfit, worded) in cases {
            assert!(!misfit.to_string().contains("--"), "{misfit}");
            let err = anyhow::Error::from(IoError::from(misfit));
            assert_eq!(describe(&err), worded);
        }
    }

    /// The reader's errors about a choice the command line makes, worded with its flag.
    #[test]
    fn the_cli_names_the_flag_of_an_input_choice() {
        let cols = || vec!["a".to_string(), "b".to_string()];
        let cases = [
            (
                IoError::NoLineColumn {
                    column: "plan".into(),
                },
                "--segment `plan`: no line has a plan (the `plan` column of items.csv is absent \
                 or empty)",
            ),
            (
                IoError::NoObjectColumn {
                    name: "postgres query".into(),
                    columns: cols(),
                },
                "PostgreSQL: postgres query: with --source stripe, give one column holding a \
                 Stripe object as JSON per row (or a column named data); found a, b",
            ),
            (
                IoError::UnknownRowShape {
                    name: "postgres query".into(),
                    columns: cols(),
                },
                "PostgreSQL: postgres query: cannot tell the row shape from the columns (a, b); \
                 expected invoice_id, type, service_period_start (invoices), account_id, \
                 snapshot_date, mrr (snapshots), customer_id, month, mrr (mrr) or customer_id, \
                 amount, start_date (items), or choose with --source (Stripe objects as JSON: \
                 --source stripe)",
            ),
        ];
        for (err, worded) in cases {
            assert!(!err.to_string().contains("--"), "{err}");
            assert_eq!(io_message(&err), worded);
        }
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
