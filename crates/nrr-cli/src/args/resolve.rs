//! Flags + preset + defaults -> one typed [`Settings`], decided once: a flag given on the
//! command line beats the preset, which beats the default. Commands read the result only.

use super::config::{self, At, Config, ConfigPolicies, ConfigReview};
pub(crate) use super::echo::{Echo, Origin, Review};
use super::{
    ChurnArg, CompareArgs, ConfigArgs, DataArgs, DiscountsArg, FullRefundsArg, PausesArg, PgArgs,
    PresetArg, ReportArgs, SnapshotDateArg, SourceArg, WindowArgs,
};
use nrr_core::date::Date;
use nrr_core::engine::{Options, CONCENTRATION_DEFAULT, GROSS_MARGIN_DEFAULT};
use nrr_core::money::{format_scaled, Decimal};
use nrr_core::policy::presets::Preset;
use nrr_core::policy::{
    ChurnRecognition, Discounts, FullRefunds, InvoicePolicies, PastDue, Pauses, Policies,
    Reactivation, SnapshotDate,
};
use std::path::{Path, PathBuf};

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
    /// The lifecycle policies given on the command line or in the configuration file (the
    /// others at their defaults): what items.csv and mrr.csv are checked against (a preset's
    /// reader policies do not apply to them).
    pub explicit_invoices: InvoicePolicies,
    /// `--snapshot-date` (or the file's `snapshot_date`) as given: `None` reads `close` and
    /// notes first-of-month dates.
    pub snapshot_date_given: Option<SnapshotDate>,
    /// The engine options: window, as-of date, fiscal year, today, the reactivation rule, the
    /// gross margin and concentration threshold (no segment; `top` is the report's).
    pub options: Options,
    /// The segment cuts (`--segment`, or the file's `segments`), in order.
    pub segments: Vec<String>,
    /// `[review]`: the roles and thresholds of a release's review.
    #[allow(dead_code)] // read by publishing (`nrr publish`, `nrr review`; issue 12)
    pub review: Review,
    /// The configuration file read, if any.
    pub config: Option<PathBuf>,
    /// Every setting with its value and where it came from, in the order of docs/config.md.
    pub echo: Vec<Echo>,
}

impl Settings {
    /// The preset's name, if one was chosen.
    pub(crate) fn preset_name(&self) -> Option<&'static str> {
        self.preset.map(|p| p.name)
    }

    /// The configuration file's path as the report shows it.
    pub(crate) fn config_shown(&self) -> Option<String> {
        self.config.as_ref().map(|p| p.display().to_string())
    }

    /// The echo of every setting for the report; `currency`: the reporting currency the
    /// data was read in (the value of `currency` when none was chosen).
    pub(crate) fn echo(&self, currency: &str) -> Vec<nrr_core::report::Setting> {
        self.echo
            .iter()
            .map(|e| nrr_core::report::Setting {
                key: e.key.to_string(),
                value: if e.key == "currency" && e.value.is_empty() {
                    currency.to_string()
                } else {
                    e.value.clone()
                },
                source: e.origin.to_string(),
            })
            .collect()
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

/// What a command's own flags add to the shared ones: the `--segment` cuts (report,
/// movements), `--gross-margin` and `--concentration` (report).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CmdFlags<'a> {
    pub segments: &'a [String],
    pub gross_margin: Option<Decimal>,
    pub concentration: Option<Decimal>,
}

/// The settings of a command that reads data over a window: the configuration file (found
/// beside the data or given with `--config`) is read here, once.
pub(crate) fn settings(
    data: &DataArgs,
    window: &WindowArgs,
    cmd: &CmdFlags<'_>,
) -> anyhow::Result<Settings> {
    let config = config_of(&data.config, data.data.as_deref())?;
    Ok(layered(data, window, cmd, config.as_ref()))
}

/// The configuration file of `args` and DATA, read; `None` without one.
fn config_of(args: &ConfigArgs, data: Option<&Path>) -> anyhow::Result<Option<Config>> {
    match config::find(args.config.as_deref(), args.no_config, data) {
        Some(path) => Ok(Some(config::read(&path)?)),
        None => Ok(None),
    }
}

/// Every setting decided: a flag given on the command line, else the configuration file,
/// else the preset (from the flag, else the file), else the default.
fn layered(
    data: &DataArgs,
    window: &WindowArgs,
    cmd: &CmdFlags<'_>,
    file: Option<&Config>,
) -> Settings {
    let mut l = Layers {
        file: file.map(|c| c.name.clone()),
        echo: Vec::new(),
    };
    let c = file.cloned().unwrap_or_default();
    let currency = l.pick(
        "currency",
        data.currency.clone().map(Some),
        c.currency.map(|a| at(a, Some)).as_ref(),
        None,
        None,
        |v| v.clone().unwrap_or_default(),
    );
    let source_kind = l.pick(
        "source",
        data.source.map(|s| Some(source(s))),
        c.source.map(|a| at(a, Some)).as_ref(),
        None,
        None,
        |v| v.map_or("detected".into(), |s| s.name().into()),
    );
    let timezone = l.pick(
        "timezone",
        data.given.timezone.then(|| data.timezone.clone()),
        c.timezone.as_ref(),
        None,
        nrr_io::Timezone::default(),
        ToString::to_string,
    );
    let (preset, policies, explicit_invoices, snapshot_date_given) = l.policies(data, &c.policies);
    let fiscal_year_start = l.pick(
        "fiscal_year_start",
        window.fiscal_year_start,
        c.fiscal_year_start.as_ref(),
        None,
        1,
        ToString::to_string,
    );
    let as_of = l.pick(
        "as_of",
        data.as_of.map(Some),
        c.as_of.map(|a| at(a, Some)).as_ref(),
        None,
        None,
        |v| v.map_or("from the data".into(), |d| d.to_string()),
    );
    let segments = l.pick(
        "segments",
        (!cmd.segments.is_empty()).then(|| cmd.segments.to_vec()),
        c.segments.as_ref(),
        None,
        Vec::new(),
        |v| v.join(", "),
    );
    let show = |d: &Decimal| format_scaled(i128::from(d.mantissa), d.decimals);
    let concentration = l.pick(
        "concentration",
        cmd.concentration,
        c.concentration.as_ref(),
        None,
        CONCENTRATION_DEFAULT,
        show,
    );
    let gross_margin = l.pick(
        "gross_margin",
        cmd.gross_margin,
        c.gross_margin.as_ref(),
        None,
        GROSS_MARGIN_DEFAULT,
        show,
    );
    let review = l.review(&c.review);
    Settings {
        data: data.data.clone(),
        pg: data.pg.clone(),
        currency,
        source: source_kind,
        timezone,
        skip_invalid: data.skip_invalid,
        preset,
        policies,
        explicit_invoices,
        snapshot_date_given,
        options: Options {
            from: window.from,
            to: window.to,
            today: Some(today()),
            fiscal_year_start,
            as_of,
            reactivation: policies.reactivation,
            gross_margin: Some(gross_margin),
            concentration: Some(concentration),
            ..Options::default()
        },
        segments,
        review,
        config: file.map(|c| c.path.clone()),
        echo: {
            crate::errors::record_origins(file.map(|c| c.path.as_path()), &l.echo);
            l.echo
        },
    }
}

/// `value` as a file value of another type.
fn at<T, U>(a: At<T>, f: impl FnOnce(T) -> U) -> At<U> {
    At {
        value: f(a.value),
        line: a.line,
    }
}

/// The settings as they are decided, with where each came from.
struct Layers {
    /// The configuration file's name, for the sources.
    file: Option<String>,
    echo: Vec<Echo>,
}

impl Layers {
    /// `flag` if given, else the file's value, else the preset's, else `default`; noted
    /// under `key` with its source, shown by `show`.
    fn pick<T>(
        &mut self,
        key: &'static str,
        flag: Option<T>,
        file: Option<&At<T>>,
        preset: Option<(T, &'static str)>,
        default: T,
        show: impl Fn(&T) -> String,
    ) -> T
    where
        T: Clone,
    {
        let (value, origin) = match (flag, file, preset) {
            (Some(v), _, _) => (v, Origin::Flag),
            (None, Some(a), _) => (
                a.value.clone(),
                Origin::Config {
                    file: self.file.clone().unwrap_or_default(),
                    line: a.line,
                },
            ),
            (None, None, Some((v, name))) => (v, Origin::Preset(name)),
            (None, None, None) => (default, Origin::Default),
        };
        self.echo.push(Echo {
            key,
            value: show(&value),
            origin,
        });
        value
    }

    /// The preset and the policies: each a flag, else the file, else the preset.
    fn policies(
        &mut self,
        data: &DataArgs,
        c: &ConfigPolicies,
    ) -> (
        Option<&'static Preset>,
        Policies,
        InvoicePolicies,
        Option<SnapshotDate>,
    ) {
        let given = data.given;
        let flags = flag_policies(data);
        let preset = self.pick(
            "policies.preset",
            data.preset.map(|p| Some(p.preset())),
            c.preset.clone().map(|a| at(a, Some)).as_ref(),
            None,
            None,
            |p| p.map_or("none".into(), |p| p.name.into()),
        );
        let base = preset.map(|p| (p.invoices, p.name));
        let invoices = InvoicePolicies {
            churn_recognition: self.pick(
                "policies.churn_recognition",
                given.churn_recognition.then_some(flags.churn_recognition),
                c.churn_recognition.as_ref(),
                base.map(|(b, n)| (b.churn_recognition, n)),
                ChurnRecognition::default(),
                |v| v.name().into(),
            ),
            discounts: self.pick(
                "policies.discounts",
                given.discounts.then_some(flags.discounts),
                c.discounts.as_ref(),
                base.map(|(b, n)| (b.discounts, n)),
                Discounts::default(),
                |v| v.name().into(),
            ),
            past_due: self.pick(
                "policies.past_due",
                given.past_due.then_some(flags.past_due),
                c.past_due.as_ref(),
                base.map(|(b, n)| (b.past_due, n)),
                PastDue::default(),
                |v| v.name(),
            ),
            pauses: self.pick(
                "policies.pauses",
                given.pauses.then_some(flags.pauses),
                c.pauses.as_ref(),
                base.map(|(b, n)| (b.pauses, n)),
                Pauses::default(),
                |v| v.name().into(),
            ),
            full_refunds: self.pick(
                "policies.full_refunds",
                given.full_refunds.then_some(flags.full_refunds),
                c.full_refunds.as_ref(),
                base.map(|(b, n)| (b.full_refunds, n)),
                FullRefunds::default(),
                |v| v.name().into(),
            ),
        };
        let reactivation = self.pick(
            "policies.reactivation",
            given.reactivation.then_some(data.reactivation),
            c.reactivation.as_ref(),
            preset.map(|p| (p.reactivation, p.name)),
            Reactivation::default(),
            |v| v.label(),
        );
        let snapshot_date_given = self.pick(
            "policies.snapshot_date",
            data.snapshot_date.map(|s| {
                Some(match s {
                    SnapshotDateArg::Close => SnapshotDate::Close,
                    SnapshotDateArg::Open => SnapshotDate::Open,
                })
            }),
            c.snapshot_date.clone().map(|a| at(a, Some)).as_ref(),
            None,
            None,
            |v| v.unwrap_or_default().name().into(),
        );
        let explicit_invoices = explicit_invoices(given, c, invoices);
        let policies = Policies {
            invoices,
            reactivation,
            snapshot_date: snapshot_date_given.unwrap_or_default(),
        };
        (preset, policies, explicit_invoices, snapshot_date_given)
    }

    /// `[review]`: the file's, else the defaults.
    fn review(&mut self, c: &ConfigReview) -> Review {
        let d = Review::default();
        let show = |d: &Decimal| format_scaled(i128::from(d.mantissa), d.decimals);
        Review {
            roles: self.pick("review.roles", None, c.roles.as_ref(), None, d.roles, |r| {
                r.iter().map(|r| r.name()).collect::<Vec<_>>().join(", ")
            }),
            churn_threshold: self.pick(
                "review.churn_threshold",
                None,
                c.churn_threshold.as_ref(),
                None,
                d.churn_threshold,
                show,
            ),
            segment_shift_threshold: self.pick(
                "review.segment_shift_threshold",
                None,
                c.segment_shift_threshold.as_ref(),
                None,
                d.segment_shift_threshold,
                show,
            ),
        }
    }
}

/// What items.csv and mrr.csv are checked against: the lifecycle policies written on the
/// command line or in the file (the others at their defaults), not a preset's.
fn explicit_invoices(
    given: super::Given,
    c: &ConfigPolicies,
    invoices: InvoicePolicies,
) -> InvoicePolicies {
    let d = InvoicePolicies::default();
    InvoicePolicies {
        churn_recognition: pick(
            given.churn_recognition || c.churn_recognition.is_some(),
            invoices.churn_recognition,
            d.churn_recognition,
        ),
        discounts: pick(
            given.discounts || c.discounts.is_some(),
            invoices.discounts,
            d.discounts,
        ),
        past_due: pick(
            given.past_due || c.past_due.is_some(),
            invoices.past_due,
            d.past_due,
        ),
        pauses: pick(
            given.pauses || c.pauses.is_some(),
            invoices.pauses,
            d.pauses,
        ),
        full_refunds: pick(
            given.full_refunds || c.full_refunds.is_some(),
            invoices.full_refunds,
            d.full_refunds,
        ),
    }
}

/// The settings of `nrr report`.
pub(crate) fn report(a: &ReportArgs) -> anyhow::Result<ReportSettings> {
    let cmd = CmdFlags {
        segments: &a.segment,
        gross_margin: a.gross_margin,
        concentration: a.concentration,
    };
    let mut settings = settings(&a.data, &a.window, &cmd)?;
    settings.options.top = a.top;
    Ok(ReportSettings {
        segments: settings.segments.clone(),
        settings,
        usage: a.usage,
    })
}

/// The settings of a command that reads the data without a window of its own (`nrr check`,
/// `nrr lines`): the default window, as `nrr report` would take it.
pub(crate) fn data_only(data: &DataArgs) -> anyhow::Result<Settings> {
    let mut settings = settings(
        data,
        &WindowArgs {
            from: None,
            to: None,
            fiscal_year_start: None,
        },
        &CmdFlags::default(),
    )?;
    settings.options.fiscal_year_start = Options::default().fiscal_year_start;
    Ok(settings)
}

/// The settings of each side of `nrr compare`: the data read under each preset, every other
/// choice shared. The configuration file's currency, source, timezone and fiscal year apply;
/// its policies and preset do not (each side is its preset). `None` unless exactly two
/// presets were given.
pub(crate) fn compare(a: &CompareArgs) -> anyhow::Result<Option<[Settings; 2]>> {
    let [pa, pb] = a.preset[..] else {
        return Ok(None);
    };
    let file = config_of(&a.config, Some(&a.data))?.map(|c| Config {
        policies: ConfigPolicies::default(),
        ..c
    });
    let side = |preset| {
        let data = DataArgs {
            currency: a.currency.clone(),
            skip_invalid: a.skip_invalid,
            source: a.source,
            preset: Some(preset),
            ..DataArgs::for_dir(a.data.clone())
        };
        layered(&data, &a.window, &CmdFlags::default(), file.as_ref())
    };
    Ok(Some([side(pa), side(pb)]))
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
