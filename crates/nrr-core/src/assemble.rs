//! The whole [`Report`] a front end shows, built in one place: the figures, every segment cut,
//! the notes, the policies echo, the movement check, usage revenue, and the footing of shown
//! cents. Table, JSON and CSV (and later HTML, publishing, a server) render this value; none
//! of them computes anything.
//!
//! No I/O: the caller passes what its reader read (notes, the movement check) as plain values.

use crate::dataset::Dataset;
use crate::engine::{attach_notes, compute, Options, SegmentSpec};
use crate::policy::{Applied, Policies};
use crate::report::{MovementCheck, Notes, Report};
use crate::CoreError;

/// Everything [`assemble`] needs.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    /// The loaded data.
    pub dataset: &'a Dataset,
    /// Window, as-of date, skipped rows, gross margin, concentration, top-N. Its `segment` and
    /// `reactivation` are ignored: the cuts are `segments`, the rule is `policies`'.
    pub options: &'a Options,
    /// The segment cuts, in order: the first is the report's `segments`, the others go to
    /// `segment_cuts`. Empty: no cut.
    pub segments: &'a [SegmentSpec],
    /// The policies of the run, as resolved by the front end and applied by the reader.
    pub policies: &'a Policies,
    /// Which of `policies` the input applied (the others are not echoed).
    pub applied: Applied,
    /// The preset the policies came from, if any.
    pub preset: Option<&'a str>,
    /// annotations.csv's notes (attached to the periods they name in the window), and the
    /// name notices give that file.
    pub notes: &'a Notes,
    /// revenue_movements checked against subscription_snapshots, when both were read.
    pub movement_check: Option<&'a MovementCheck>,
    /// Also compute usage (metered) revenue per month.
    pub usage: bool,
    /// The configuration file the front end read, if any (echoed as `config`).
    pub config: Option<&'a str>,
    /// Every setting with its value and source, as the front end resolved them (echoed as
    /// `settings`).
    pub settings: &'a [crate::report::Setting],
}

/// Builds the report: one engine pass per segment cut (the totals they recompute are
/// identical), then notes, policies, movement check and usage, and finally the footing, so
/// that every output shows the same cents (docs/metrics.md, "Shown figures foot").
pub fn assemble(inputs: &Inputs<'_>) -> Result<Report, CoreError> {
    let ds = inputs.dataset;
    let options = |segment: Option<&SegmentSpec>| Options {
        segment: segment.cloned(),
        reactivation: inputs.policies.reactivation,
        ..inputs.options.clone()
    };
    let mut report = compute(ds, &options(inputs.segments.first()))?;
    for spec in inputs.segments.iter().skip(1) {
        let more = compute(ds, &options(Some(spec)))?;
        report.segment_cuts.extend(more.segments);
    }
    attach_notes(&mut report, inputs.notes);
    report.policies = crate::report::Policies::echo(inputs.policies, inputs.applied, inputs.preset);
    report.movement_check = inputs.movement_check.cloned();
    report.config = inputs.config.map(str::to_string);
    report.settings = inputs.settings.to_vec();
    if inputs.usage {
        report.usage = Some(crate::usage::usage(ds, report.window, &report.periods)?);
    }
    crate::foot::foot(&mut report);
    Ok(report)
}
