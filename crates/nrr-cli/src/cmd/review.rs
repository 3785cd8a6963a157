//! `nrr review RELEASE --role finance|success|marketing`: one role's review packet of a
//! release (docs/publishing.md, "Review packets"). Every figure is computed again from the
//! release's pinned `inputs/`, read with its pinned `nrr.toml` and window (as `nrr publish`
//! computed it); the packet says whether that gives the published figures of the period.
//!
//! - [`finance`]: the policies, the row ledger with each exclusion's amount, the
//!   revenue_movements check, expansion and contraction by reason, and the customer-months
//!   another value of a policy would classify differently;
//! - [`success`]: the churned and contracted accounts above `[review] churn_threshold`, with
//!   their explanation and the sign-off notes that name them;
//! - [`marketing`]: the segment values whose NRR or GRR moved more than
//!   `[review] segment_shift_threshold` against the previous period and a year earlier.

mod finance;
mod marketing;
mod success;

use crate::args::config::Role;
use crate::args::{resolve, ReportSettings, ReviewArgs, TextFormat};
use crate::render;
use anyhow::Context;
use nrr_core::assemble::{assemble, Inputs};
use nrr_core::date::Month;
use nrr_core::engine::Options;
use nrr_core::report::{Granularity, Report, Retention};
use nrr_io::book::{Book, Release};
use serde::Serialize;
use std::ffi::OsString;
use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

pub(super) fn run(a: ReviewArgs) -> anyhow::Result<ExitCode> {
    let book = Book::at(&a.book.book);
    let release = book.find(&a.release)?;
    let ctx = Ctx::open(release)?;
    let mut packet = Packet::head(&ctx, a.role);
    match a.role {
        Role::Finance => packet.finance = Some(finance::packet(&ctx, a.top)?),
        Role::Success => packet.success = Some(success::packet(&ctx)?),
        Role::Marketing => packet.marketing = Some(marketing::packet(&ctx)),
    }
    let text = match a.format {
        TextFormat::Json => render::json(&packet)?,
        TextFormat::Table => packet.text(),
    };
    super::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The kind of period a release publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A report period (`periods`) of this granularity.
    Period(Granularity),
    /// Trailing twelve months (`ttm`).
    Ttm,
}

/// The release's period: its kind and months.
#[derive(Clone, Debug)]
pub(super) struct Period {
    pub kind: Kind,
    /// First month (for TTM, eleven months before `end`).
    pub start: Month,
    /// Last month.
    pub end: Month,
}

impl Period {
    /// The month before the period: the frozen cohort's month (t0).
    pub(super) fn t0(&self) -> Month {
        self.start.plus(-1)
    }
}

/// The frozen-cohort retention of the period of `kind` starting at `start` in these rows
/// (a report's, or a segment value's).
pub(super) fn retention_at<'a>(
    periods: &'a [nrr_core::report::PeriodRow],
    ttm: &'a [nrr_core::report::TtmRow],
    kind: Kind,
    start: Month,
) -> Option<&'a Retention> {
    match kind {
        Kind::Period(g) => periods
            .iter()
            .find(|p| p.granularity == g && p.start_month == start)
            .map(|p| &p.retention),
        Kind::Ttm => ttm
            .iter()
            .find(|t| t.month == start.plus(11))
            .map(|t| &t.retention),
    }
}

/// What every packet is computed from: the release, its settings, its data read again and
/// its report computed again.
pub(super) struct Ctx {
    pub release: Release,
    /// The settings of `nrr report` on the pinned inputs.
    pub rs: ReportSettings,
    /// The `nrr report` arguments of the release (the pinned inputs, nrr.toml and window).
    pub argv: Vec<OsString>,
    pub loaded: nrr_io::Loaded,
    /// The engine options of the report (window, as-of date, reactivation, top).
    pub options: Options,
    /// The report, with every segment cut of the configuration.
    pub report: Report,
    pub period: Period,
    /// The period's figures computed now equal the published ones (release.json `figures`).
    pub matches_published: bool,
}

impl Ctx {
    fn open(release: Release) -> anyhow::Result<Ctx> {
        let inputs = release.inputs_dir();
        let argv = report_argv(&inputs, &release.manifest.window_args);
        let args = crate::args::report_args(argv.clone())
            .context("the release's report arguments (release.json window_args)")?;
        let rs = resolve::report(&args)?;
        let (loaded, skipped, bar) = super::load(&rs.settings, !rs.segments.is_empty(), false)?;
        drop(bar);
        let options = Options {
            skipped_invalid_rows: skipped,
            ..rs.settings.options.clone()
        };
        let report = assemble_report(&rs, &loaded, &options)?;
        let m = &release.manifest;
        let (period, now) = find_period(&report, &m.period).ok_or_else(|| {
            super::InvalidData(format!(
                "release {}: its report has no period {} (release.json and the pinned inputs disagree)",
                m.release, m.period
            ))
        })?;
        let matches_published = now == m.figures;
        Ok(Ctx {
            release,
            rs,
            argv,
            loaded,
            options,
            report,
            period,
            matches_published,
        })
    }

    /// The reporting currency.
    pub(super) fn currency(&self) -> &str {
        &self.report.currency
    }

    /// The release's `[review]` roles.
    pub(super) fn roles(&self) -> &[Role] {
        &self.rs.settings.review.roles
    }
}

/// `nrr report` arguments of a release: its `inputs/`, with `inputs/nrr.toml` when it pins
/// one (else `--no-config`), and its window flags (as `nrr publish` computed it).
pub(super) fn report_argv(inputs: &Path, window_args: &[String]) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec!["nrr report".into(), inputs.into()];
    let config = inputs.join(crate::args::config::FILE_NAME);
    if config.is_file() {
        argv.push("--config".into());
        argv.push(config.into());
    } else {
        argv.push("--no-config".into());
    }
    argv.extend(window_args.iter().map(Into::into));
    argv
}

/// The report of the loaded data as `nrr report` assembles it (footed, every cut).
fn assemble_report(
    rs: &ReportSettings,
    loaded: &nrr_io::Loaded,
    options: &Options,
) -> anyhow::Result<Report> {
    let s = &rs.settings;
    let segments = rs
        .segments
        .iter()
        .map(|col| nrr_io::segment_spec(&loaded.dataset, loaded.attributes.as_ref(), col))
        .collect::<Result<Vec<_>, _>>()?;
    let (policies, applied) = super::applied(s, loaded);
    let settings = s.echo(loaded.dataset.currency());
    let config = s.config_shown();
    let inputs = Inputs {
        dataset: &loaded.dataset,
        options,
        segments: &segments,
        policies: &policies,
        applied,
        preset: s.preset_name(),
        notes: &loaded.notes,
        movement_check: loaded.movement_check.as_ref(),
        usage: false,
        config: config.as_deref(),
        settings: &settings,
    };
    Ok(assemble(&inputs)?)
}

/// The release's period in the report, and its row as JSON (to compare with the published
/// figures).
fn find_period(report: &Report, label: &str) -> Option<(Period, serde_json::Value)> {
    if let Some(m) = label.strip_prefix("TTM-") {
        let t = report.ttm.iter().find(|t| t.month.to_string() == m)?;
        let period = Period {
            kind: Kind::Ttm,
            start: t.month.plus(-11),
            end: t.month,
        };
        return Some((period, serde_json::to_value(t).ok()?));
    }
    let p = report.periods.iter().find(|p| p.period == label)?;
    let period = Period {
        kind: Kind::Period(p.granularity),
        start: p.start_month,
        end: p.end_month,
    };
    Some((period, serde_json::to_value(p).ok()?))
}

/// A review packet (JSON: docs/publishing.md#review-packets). Exactly one of `finance`,
/// `success` and `marketing` is present: the role's.
#[derive(Debug, Serialize)]
pub(super) struct Packet {
    /// The release's id.
    pub release: String,
    /// Its hash (SHA-256 of release.json).
    pub sha256: String,
    /// The period it publishes.
    pub period: String,
    /// `draft` or `final`.
    pub status: &'static str,
    /// `finance`, `success` or `marketing`.
    pub role: &'static str,
    /// Whether the role is one of the release's `[review] roles` (a packet of another role is
    /// shown for information: that role does not sign this release off).
    pub review_role: bool,
    /// The release's `[review] roles`.
    pub roles: Vec<&'static str>,
    /// The reporting currency.
    pub currency: String,
    /// The tool that published the release, and the one that computed this packet.
    pub published_by: String,
    pub computed_by: String,
    /// Whether the period's figures computed now from the pinned inputs equal the published
    /// ones (otherwise `nrr verify` says which moved).
    pub matches_published: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finance: Option<finance::Finance>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<success::Success>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marketing: Option<marketing::Marketing>,
}

impl Packet {
    fn head(ctx: &Ctx, role: Role) -> Packet {
        let r = &ctx.release;
        Packet {
            release: r.id().to_string(),
            sha256: r.hash.clone(),
            period: r.manifest.period.clone(),
            status: if r.final_record().ok().flatten().is_some() {
                "final"
            } else {
                "draft"
            },
            role: role.name(),
            review_role: ctx.roles().contains(&role),
            roles: ctx.roles().iter().map(|r| r.name()).collect(),
            currency: ctx.currency().to_string(),
            published_by: r.manifest.tool.clone(),
            computed_by: format!("nrr {}", env!("CARGO_PKG_VERSION")),
            matches_published: ctx.matches_published,
            finance: None,
            success: None,
            marketing: None,
        }
    }

    /// The packet as text for a terminal.
    fn text(&self) -> String {
        let mut s = String::new();
        let width = render::width();
        let mut line = |text: String| s.push_str(&render::wrap(&text, width, "  "));
        line(format!(
            "nrr review: {} packet of release {} (period {}, {}), currency {}",
            self.role,
            nrr_io::printable(&self.release),
            nrr_io::printable(&self.period),
            self.status,
            self.currency
        ));
        line(format!("  sha256 {}", self.sha256));
        line(format!(
            "computed from the release's pinned inputs by {} (published by {}): {}",
            self.computed_by,
            nrr_io::printable(&self.published_by),
            if self.matches_published {
                "the published figures"
            } else {
                "the period's figures DIFFER from the published ones; run nrr verify"
            }
        ));
        if !self.review_role {
            line(format!(
                "{} is not a review role of this release ([review] roles: {}): shown for information, it signs nothing off",
                self.role,
                self.roles.join(", ")
            ));
        }
        if let Some(f) = &self.finance {
            s.push_str(&f.text(&self.currency));
        }
        if let Some(x) = &self.success {
            s.push_str(&x.text(&self.currency, &self.release));
        }
        if let Some(m) = &self.marketing {
            s.push_str(&m.text());
        }
        s
    }
}

/// A heading, then `body`.
pub(super) fn section(out: &mut String, title: &str) {
    render::table::heading(out, render::style(), title);
}

/// Appends `text` wrapped to the terminal's width.
pub(super) fn para(out: &mut String, text: &str) {
    let _ = write!(out, "{}", render::wrap(text, render::width(), "  "));
}
