//! The subscription state machine: a subscription's events (cancellations, pauses,
//! delinquency) cut or bridge its segments as the lifecycle policies say.

use super::charges::{Event, EventKind};
use super::segments::{cut, overlay, Seg};
use nrr_core::dataset::Origin;
use nrr_core::date::Date;
use nrr_core::policy::{ChurnRecognition, InvoicePolicies, PastDue, Pauses};

/// How a pause or delinquency ended.
#[derive(Clone, Copy, Debug)]
pub(super) enum Close {
    Resumed(Date),
    Canceled(Date),
    Open,
}

/// One subscription's charges (grouped by product) turned into lines.
pub(super) struct SubLines<'a> {
    pub(super) policies: &'a InvoicePolicies,
    pub(super) as_of: Option<Date>,
    /// Invoiced service periods per product: `(start, end)`.
    pub(super) periods: Vec<Vec<(Date, Date)>>,
    /// Segments in force per product.
    pub(super) segs: Vec<Vec<Seg>>,
    /// `--pauses zero`: the paused spans (revenue removed, customer not churned).
    pub(super) paused: Vec<(Date, Option<Date>)>,
    /// `--pauses keep`: a pause with no end kept a price running for good.
    pub(super) kept_open_pause: bool,
}

impl SubLines<'_> {
    /// End of the paid period of product `k` that holds `d` (`d` itself when none does).
    fn paid_until(&self, k: usize, d: Date) -> Date {
        self.periods[k]
            .iter()
            .filter(|(s, e)| *s <= d && d < *e)
            .map(|p| p.1)
            .max()
            .unwrap_or(d)
    }

    /// The first invoiced period start after `d` (a restart of the subscription).
    fn restart_after(&self, d: Date) -> Option<Date> {
        self.periods
            .iter()
            .flatten()
            .map(|p| p.0)
            .filter(|s| *s > d)
            .min()
    }

    fn remove_all(&mut self, from: Date, to: Option<Date>) {
        for k in 0..self.segs.len() {
            self.remove(k, from, to);
        }
    }

    fn remove(&mut self, k: usize, from: Date, to: Option<Date>) {
        if to.is_some_and(|t| t <= from) {
            return;
        }
        let segs = std::mem::take(&mut self.segs[k]);
        self.segs[k] = cut(segs, from, to);
    }

    /// Where an unresolved state ends: at recovery, at the restart after a cancellation, or
    /// never.
    fn state_end(&self, close: Close) -> Option<Date> {
        match close {
            Close::Resumed(r) => Some(r),
            Close::Canceled(c) => self.restart_after(c),
            Close::Open => None,
        }
    }

    /// Applies the subscription's events under the policies.
    pub(super) fn apply_events(&mut self, events: &mut [Event]) {
        events.sort_by_key(|e| (e.date, e.origin.line));
        let mut request: Option<Date> = None;
        let mut pause: Option<(Date, Origin)> = None;
        let mut delinquent: Option<Date> = None;
        let mut cancels: Vec<(Option<Date>, Date)> = Vec::new();
        let mut pauses: Vec<(Date, Origin, Close)> = Vec::new();
        let mut delinquencies: Vec<(Date, Close)> = Vec::new();
        for e in events.iter() {
            match e.kind {
                EventKind::CancelRequested => {
                    request.get_or_insert(e.date);
                }
                EventKind::Canceled => {
                    cancels.push((request.take(), e.date));
                    if let Some((p, o)) = pause.take() {
                        pauses.push((p, o, Close::Canceled(e.date)));
                    }
                    if let Some(d) = delinquent.take() {
                        delinquencies.push((d, Close::Canceled(e.date)));
                    }
                }
                EventKind::Paused => {
                    pause.get_or_insert((e.date, e.origin));
                }
                EventKind::Resumed => {
                    if let Some((p, o)) = pause.take() {
                        pauses.push((p, o, Close::Resumed(e.date)));
                    }
                    if let Some(d) = delinquent.take() {
                        delinquencies.push((d, Close::Resumed(e.date)));
                    }
                }
                EventKind::PastDue | EventKind::Unpaid => {
                    delinquent.get_or_insert(e.date);
                }
            }
        }
        if let Some((p, o)) = pause {
            pauses.push((p, o, Close::Open));
        }
        if let Some(d) = delinquent {
            delinquencies.push((d, Close::Open));
        }

        // Pauses kept in MRR: the price in force the day before the pause runs on until the
        // subscription resumes, filling the time it was not invoiced.
        if self.policies.pauses == Pauses::Keep {
            for &(p, origin, close) in &pauses {
                let until = match close {
                    Close::Resumed(r) | Close::Canceled(r) => Some(r),
                    Close::Open => None,
                };
                self.kept_open_pause |= until.is_none();
                for k in 0..self.segs.len() {
                    let before = p.add_days(-1);
                    let Some(prev) = self.segs[k]
                        .iter()
                        .find(|s| s.covers(before) && !s.refunded)
                    else {
                        continue;
                    };
                    let Some(from) = prev.end else { continue };
                    if until.is_some_and(|u| u <= from) {
                        continue;
                    }
                    let mut bridge = prev.clone();
                    bridge.start = from;
                    bridge.end = until;
                    bridge.origin = origin;
                    bridge.rank = (0, from, origin.line);
                    let mut all = std::mem::take(&mut self.segs[k]);
                    all.push(bridge);
                    self.segs[k] = overlay(all);
                }
            }
        }

        // Cancellations.
        let rule = self.policies.churn_recognition;
        for &(q, c) in &cancels {
            let restart = self.restart_after(c);
            for k in 0..self.segs.len() {
                let from = match rule {
                    ChurnRecognition::AtPeriodEnd => self.paid_until(k, c),
                    ChurnRecognition::AtCancellation => c,
                    ChurnRecognition::AtRequest => q.unwrap_or(c),
                };
                self.remove(k, from, restart);
            }
        }
        // A request never followed by a cancellation: withdrawn if the subscription renewed
        // after the paid period it fell in, else it ends the subscription.
        if let Some(q) = request {
            let ends: Vec<Date> = (0..self.segs.len())
                .map(|k| self.paid_until(k, q))
                .collect();
            let last = ends.iter().copied().max().unwrap_or(q);
            let renewed = self.periods.iter().flatten().any(|p| p.0 >= last);
            if !renewed {
                for (k, &e) in ends.iter().enumerate() {
                    let from = match rule {
                        ChurnRecognition::AtRequest => q,
                        _ => e,
                    };
                    self.remove(k, from, None);
                }
            }
        }

        // Pauses as churn, or as paused revenue at 0 (`zero`: the span is also marked, so
        // the engine reports paused and resumed instead of churn and reactivation).
        // Under `zero`, a pause that ends in a cancellation was churn from its first day: the
        // revenue stopped then and never came back, so it is not marked as a pause (the month
        // it began shows churn, and the bridge and the frozen cohort agree).
        if matches!(self.policies.pauses, Pauses::Churn | Pauses::Zero) {
            for &(p, _, close) in &pauses {
                let to = self.state_end(close);
                self.remove_all(p, to);
                let ended_in_cancellation = matches!(close, Close::Canceled(_));
                if self.policies.pauses == Pauses::Zero && !ended_in_cancellation {
                    self.paused.push((p, to));
                }
            }
        }

        // Delinquency.
        for &(d, close) in &delinquencies {
            let to = self.state_end(close);
            let from = match self.policies.past_due {
                PastDue::Keep => continue,
                PastDue::Churn => d,
                PastDue::KeepDays(n) => {
                    let grace_end = d.add_days(n as i32);
                    let recovered_in_time = match close {
                        Close::Resumed(r) => r <= grace_end,
                        // Cancelled within its grace: the cancellation rule decides.
                        Close::Canceled(c) => c <= grace_end,
                        Close::Open => false,
                    };
                    // Still within its grace at the data's as-of date: not churned yet.
                    let undecided =
                        matches!(close, Close::Open) && self.as_of.is_some_and(|a| grace_end > a);
                    if recovered_in_time || undecided {
                        continue;
                    }
                    grace_end
                }
            };
            self.remove_all(from, to);
        }
    }
}
