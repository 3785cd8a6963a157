//! The subscription state machine: a subscription's events (cancellations, pauses,
//! delinquency) cut or bridge its segments as the lifecycle policies say.

use super::charges::{Event, EventKind};
use super::segments::{cut, overlay, Segment};
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
    pub(super) segs: Vec<Vec<Segment>>,
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
        let spells = Spells::of(events);
        // Pauses kept in MRR: the price in force the day before the pause runs on until the
        // subscription resumes, filling the time it was not invoiced.
        if self.policies.pauses == Pauses::Keep {
            for pause in &spells.pauses {
                self.bridge_pause(pause);
            }
        }
        self.cancel(&spells);
        // Pauses as churn, or as paused revenue at 0 (`zero`: the span is also marked, so
        // the engine reports paused and resumed instead of churn and reactivation).
        // Under `zero`, a pause that ends in a cancellation was churn from its first day: the
        // revenue stopped then and never came back, so it is not marked as a pause (the month
        // it began shows churn, and the bridge and the frozen cohort agree).
        if matches!(self.policies.pauses, Pauses::Churn | Pauses::Zero) {
            for pause in &spells.pauses {
                let to = self.state_end(pause.close);
                self.remove_all(pause.from, to);
                let ended_in_cancellation = matches!(pause.close, Close::Canceled(_));
                if self.policies.pauses == Pauses::Zero && !ended_in_cancellation {
                    self.paused.push((pause.from, to));
                }
            }
        }
        for spell in &spells.delinquencies {
            self.delinquency(spell);
        }
    }

    /// `--pauses keep`: the price in force the day before `pause` runs on through it.
    fn bridge_pause(&mut self, pause: &Pause) {
        let until = match pause.close {
            Close::Resumed(r) | Close::Canceled(r) => Some(r),
            Close::Open => None,
        };
        self.kept_open_pause |= until.is_none();
        for k in 0..self.segs.len() {
            let before = pause.from.add_days(-1);
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
            bridge.origin = pause.origin;
            bridge.rank = (0, from, pause.origin.line);
            let mut all = std::mem::take(&mut self.segs[k]);
            all.push(bridge);
            self.segs[k] = overlay(all);
        }
    }

    /// Cancellations, under the churn recognition rule; a request never followed by a
    /// cancellation is withdrawn if the subscription renewed after the paid period it fell
    /// in, else it ends the subscription.
    fn cancel(&mut self, spells: &Spells) {
        let rule = self.policies.churn_recognition;
        for c in &spells.cancels {
            let restart = self.restart_after(c.at);
            for k in 0..self.segs.len() {
                let from = match rule {
                    ChurnRecognition::AtPeriodEnd => self.paid_until(k, c.at),
                    ChurnRecognition::AtCancellation => c.at,
                    ChurnRecognition::AtRequest => c.requested.unwrap_or(c.at),
                };
                self.remove(k, from, restart);
            }
        }
        let Some(q) = spells.request else {
            return;
        };
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

    /// A delinquency spell, under the past-due policy.
    fn delinquency(&mut self, spell: &Delinquency) {
        let (d, close) = (spell.from, spell.close);
        let to = self.state_end(close);
        let from = match self.policies.past_due {
            PastDue::Keep => return,
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
                    return;
                }
                grace_end
            }
        };
        self.remove_all(from, to);
    }
}

/// A cancellation, and the request before it.
struct Cancellation {
    requested: Option<Date>,
    at: Date,
}

/// A pause: from its first day, the event that began it, until it closed.
struct Pause {
    from: Date,
    origin: Origin,
    close: Close,
}

/// A delinquency (past due or unpaid): from its first day until it closed.
struct Delinquency {
    from: Date,
    close: Close,
}

/// A subscription's events read in date order: the spells they open and close.
struct Spells {
    /// A cancellation request never followed by a cancellation.
    request: Option<Date>,
    cancels: Vec<Cancellation>,
    pauses: Vec<Pause>,
    delinquencies: Vec<Delinquency>,
}

impl Spells {
    /// Sorts `events` by date (then line) and reads them.
    fn of(events: &mut [Event]) -> Spells {
        events.sort_by_key(|e| (e.date, e.origin.line));
        let mut request: Option<Date> = None;
        let mut pause: Option<(Date, Origin)> = None;
        let mut delinquent: Option<Date> = None;
        let mut spells = Spells {
            request: None,
            cancels: Vec::new(),
            pauses: Vec::new(),
            delinquencies: Vec::new(),
        };
        let close = |spells: &mut Spells,
                     pause: &mut Option<(Date, Origin)>,
                     delinquent: &mut Option<Date>,
                     how: Close| {
            if let Some((from, origin)) = pause.take() {
                spells.pauses.push(Pause {
                    from,
                    origin,
                    close: how,
                });
            }
            if let Some(from) = delinquent.take() {
                spells.delinquencies.push(Delinquency { from, close: how });
            }
        };
        for e in events.iter() {
            match e.kind {
                EventKind::CancelRequested => {
                    request.get_or_insert(e.date);
                }
                EventKind::Canceled => {
                    spells.cancels.push(Cancellation {
                        requested: request.take(),
                        at: e.date,
                    });
                    close(
                        &mut spells,
                        &mut pause,
                        &mut delinquent,
                        Close::Canceled(e.date),
                    );
                }
                EventKind::Paused => {
                    pause.get_or_insert((e.date, e.origin));
                }
                EventKind::Resumed => {
                    close(
                        &mut spells,
                        &mut pause,
                        &mut delinquent,
                        Close::Resumed(e.date),
                    );
                }
                EventKind::PastDue | EventKind::Unpaid => {
                    delinquent.get_or_insert(e.date);
                }
            }
        }
        close(&mut spells, &mut pause, &mut delinquent, Close::Open);
        spells.request = request;
        spells
    }
}
