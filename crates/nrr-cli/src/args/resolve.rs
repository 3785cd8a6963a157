//! Flags + preset + defaults -> one typed [`Settings`], decided once: a flag given on the
//! command line beats the preset, which beats the default. Commands read the result only.

use super::{
    ChurnArg, CompareArgs, DataArgs, DiscountsArg, FullRefundsArg, PausesArg, PgArgs, PresetArg,
    ReportArgs, SnapshotDateArg, SourceArg, WindowArgs,
};
use nrr_core::date::Date;
use nrr_core::engine::Options;
use nrr_core::policy::presets::Preset;
use nrr_core::policy::{
    ChurnRecognition, Discounts, FullRefunds, InvoicePolicies, Pauses, Policies, SnapshotDate,
};
use std::path::PathBuf;

/// What a command reads, under which policies, over which window: every choice made.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// DATA: the data directory or file; with `--postgres`, the directory of the side files.
    pub data: Option<PathBuf>,
    /// `--postgres` and the queries or tables to read.
    pub pg: PgArgs,
    /// The reporting currency asked for; `None`: the data's only one.
    pub currency: Option<String>,
    /// The revenue input asked for; `None`: detected from the file names.
    pub source: Option<nrr_io::Source>,
    /// The zone Stripe timestamps are read in.
    pub timezone: nrr_io::Timezone,
    /// Leave rejected rows out and go on.
    pub skip_invalid: bool,
    /// The preset the policies start from, if one was chosen.
    pub preset: Option<&'static Preset>,
    /// The policies in force.
    pub policies: Policies,
    /// The lifecycle policies given on the command line (the others at their defaults): what
    /// items.csv and mrr.csv are checked against (a preset's reader policies do not apply to
    /// them).
    pub explicit_invoices: InvoicePolicies,
    /// `--snapshot-date` as given: `None` reads `close` and notes first-of-month dates.
    pub snapshot_date_given: Option<SnapshotDate>,
    /// The engine options: window, as-of date, fiscal year, today and the reactivation rule
    /// (no segment; the report's own options are added by [`report`]).
    pub options: Options,
}

impl Settings {
    /// The preset's name, if one was chosen.
    pub(crate) fn preset_name(&self) -> Option<&'static str> {
        self.preset.map(|p| p.name)
    }

    /// The reader options of these settings; `customers`, `usage` and `progress` are the
    /// command's.
    pub(crate) fn load_options(
        &self,
        customers: bool,
        usage: bool,
        progress: Option<nrr_io::Progress>,
    ) -> nrr_io::LoadOptions {
        nrr_io::LoadOptions {
            currency: self.currency.clone(),
            customers,
            progress,
            source: self.source,
            invoice_policies: self.policies.invoices,
            timezone: self.timezone.clone(),
            explicit_invoice_policies: Some(self.explicit_invoices),
            usage,
            reactivation: self.policies.reactivation,
            as_of: self.options.as_of,
            snapshot_date: self.snapshot_date_given,
        }
    }
}

/// `nrr report` (and `nrr demo`): the settings and what the report shows.
#[derive(Clone, Debug)]
pub(crate) struct ReportSettings {
    /// Input, policies and window; `options` also carries the gross margin, concentration
    /// threshold and top-N of the report.
    pub settings: Settings,
    /// The `--segment` cuts, in order.
    pub segments: Vec<String>,
    /// `--usage`.
    pub usage: bool,
}

/// Today's date from the system clock (UTC): items data cannot tell a past end_date from a
/// scheduled one, so dates after today are not taken as past when finding the as-of date.
pub(crate) fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Days since 1970-01-01 fit i32 until the year 5.8 million.
    Date::from_days((secs / 86_400) as i32)
}

/// The settings of a command that reads data over a window.
pub(crate) fn settings(data: &DataArgs, window: &WindowArgs) -> Settings {
    let preset = data.preset.map(PresetArg::preset);
    let given = data.given;
    let flags = flag_policies(data);
    // A policy flag given on the command line, else `base`'s.
    let with_flags = |base: InvoicePolicies| InvoicePolicies {
        churn_recognition: pick(
            given.churn_recognition,
            flags.churn_recognition,
            base.churn_recognition,
        ),
        discounts: pick(given.discounts, flags.discounts, base.discounts),
        past_due: pick(given.past_due, flags.past_due, base.past_due),
        pauses: pick(given.pauses, flags.pauses, base.pauses),
        full_refunds: pick(given.full_refunds, flags.full_refunds, base.full_refunds),
    };
    let reactivation = match preset {
        Some(p) if !given.reactivation => p.reactivation,
        _ => data.reactivation,
    };
    let snapshot_date_given = data.snapshot_date.map(|s| match s {
        SnapshotDateArg::Close => SnapshotDate::Close,
        SnapshotDateArg::Open => SnapshotDate::Open,
    });
    Settings {
        data: data.data.clone(),
        pg: data.pg.clone(),
        currency: data.currency.clone(),
        source: data.source.map(source),
        timezone: data.timezone.clone(),
        skip_invalid: data.skip_invalid,
        preset,
        policies: Policies {
            invoices: with_flags(preset.map_or_else(Default::default, |p| p.invoices)),
            reactivation,
            snapshot_date: snapshot_date_given.unwrap_or_default(),
        },
        explicit_invoices: with_flags(InvoicePolicies::default()),
        snapshot_date_given,
        options: Options {
            from: window.from,
            to: window.to,
            today: Some(today()),
            fiscal_year_start: window.fiscal_year_start.unwrap_or(1),
            as_of: data.as_of,
            reactivation,
            ..Options::default()
        },
    }
}

/// The settings of `nrr report`.
pub(crate) fn report(a: &ReportArgs) -> ReportSettings {
    let mut settings = settings(&a.data, &a.window);
    settings.options.gross_margin = a.gross_margin;
    settings.options.concentration = a.concentration;
    settings.options.top = a.top;
    ReportSettings {
        settings,
        segments: a.segment.clone(),
        usage: a.usage,
    }
}

/// The settings of a command that reads the data without a window of its own (`nrr check`,
/// `nrr lines`): the default window, as `nrr report` would take it.
pub(crate) fn data_only(data: &DataArgs) -> Settings {
    let mut settings = settings(
        data,
        &WindowArgs {
            from: None,
            to: None,
            fiscal_year_start: None,
        },
    );
    settings.options.fiscal_year_start = Options::default().fiscal_year_start;
    settings
}

/// The settings of each side of `nrr compare`: the data read under each preset, every other
/// choice shared. `None` unless exactly two presets were given.
pub(crate) fn compare(a: &CompareArgs) -> Option<[Settings; 2]> {
    let [pa, pb] = a.preset[..] else {
        return None;
    };
    let side = |preset| {
        let data = DataArgs {
            currency: a.currency.clone(),
            skip_invalid: a.skip_invalid,
            source: a.source,
            preset: Some(preset),
            ..DataArgs::for_dir(a.data.clone())
        };
        settings(&data, &a.window)
    };
    Some([side(pa), side(pb)])
}

fn pick<T>(given: bool, flag: T, base: T) -> T {
    if given {
        flag
    } else {
        base
    }
}

/// The lifecycle policies the flags ask for (their defaults where not given).
fn flag_policies(data: &DataArgs) -> InvoicePolicies {
    InvoicePolicies {
        churn_recognition: match data.churn_recognition {
            ChurnArg::AtPeriodEnd => ChurnRecognition::AtPeriodEnd,
            ChurnArg::AtCancellation => ChurnRecognition::AtCancellation,
            ChurnArg::AtRequest => ChurnRecognition::AtRequest,
        },
        discounts: match data.discounts {
            DiscountsArg::All => Discounts::All,
            DiscountsArg::ForeverOnly => Discounts::ForeverOnly,
            DiscountsArg::None => Discounts::None,
        },
        past_due: data.past_due,
        pauses: match data.pauses {
            PausesArg::Keep => Pauses::Keep,
            PausesArg::Churn => Pauses::Churn,
            PausesArg::Zero => Pauses::Zero,
        },
        full_refunds: match data.full_refunds {
            FullRefundsArg::Ignore => FullRefunds::Ignore,
            FullRefundsArg::EndService => FullRefunds::EndService,
        },
    }
}

fn source(s: SourceArg) -> nrr_io::Source {
    match s {
        SourceArg::Items => nrr_io::Source::Items,
        SourceArg::Mrr => nrr_io::Source::Mrr,
        SourceArg::Invoices => nrr_io::Source::Invoices,
        SourceArg::Stripe => nrr_io::Source::Stripe,
        SourceArg::Snapshots => nrr_io::Source::Snapshots,
    }
}

impl PresetArg {
    /// The preset's policies.
    fn preset(self) -> &'static Preset {
        use clap::ValueEnum;
        let name = self
            .to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default();
        // Every PresetArg value names an entry of nrr_core::policy::presets::PRESETS (a test checks).
        nrr_core::policy::presets::preset(&name).unwrap_or(&nrr_core::policy::presets::PRESETS[0])
    }
}
