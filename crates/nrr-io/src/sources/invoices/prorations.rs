//! Prorations: a positive one moves the start of the regular line it leads into, or is
//! scaled to its full period; a negative one (credit for unused time) ends the line it
//! credits.

use super::charges::Charge;
use super::period::{length, per_interval, Length};
use super::segments::Segment;
use nrr_core::dataset::Origin;
use nrr_core::date::Date;
use nrr_core::money::{div_round_half_even, Decimal};
use std::collections::HashMap;

/// Where positive prorations moved the start of regular charges.
pub(super) struct ProrationStarts {
    /// Per charge: the start (and origin) a matching proration gives it.
    pub(super) start_of: Vec<Option<(Date, Origin)>>,
    /// Per charge: a proration that moved a start (not scaled on its own).
    pub(super) matched: Vec<bool>,
}

/// Positive prorations: the latest one matching the regular line that starts where it ends
/// moves that line's start; the others are scaled to their full period. `keys`: each
/// charge's product.
pub(super) fn match_prorations(charges: &[&Charge], keys: &[usize]) -> ProrationStarts {
    let mut start_of: Vec<Option<(Date, Origin)>> = vec![None; charges.len()];
    let mut matched = vec![false; charges.len()];
    // Positive prorations by (product, end day): one look-up a regular charge, not a scan of
    // every charge (a subscription can have thousands of periods).
    let mut by_end: HashMap<(usize, Date), Vec<usize>> = HashMap::new();
    for (j, p) in charges.iter().enumerate() {
        if p.proration && !p.net.is_negative() {
            by_end.entry((keys[j], p.end)).or_default().push(j);
        }
    }
    for (i, ch) in charges.iter().enumerate() {
        if ch.proration {
            continue;
        }
        let best = by_end
            .get(&(keys[i], ch.start))
            .into_iter()
            .flatten()
            .map(|&j| (j, charges[j]))
            .filter(|(_, p)| {
                p.plan == ch.plan && p.quantity == ch.quantity && p.currency == ch.currency
            })
            .max_by_key(|(j, p)| (p.start, p.origin.line, *j));
        if let Some((j, p)) = best {
            start_of[i] = Some((p.start, p.origin));
            matched[j] = true;
        }
    }
    ProrationStarts { start_of, matched }
}

/// The regular period holding a proration's start: of its own product (`own`), else of any
/// product of the subscription (`all`).
pub(super) fn full_period(
    ch: &Charge,
    own: &[(Date, Date)],
    all: &[Vec<(Date, Date)>],
) -> Option<(Date, Date)> {
    let holds = |p: &&(Date, Date)| p.0 <= ch.start && ch.start < p.1;
    own.iter()
        .filter(holds)
        .chain(all.iter().flatten().filter(holds))
        .copied()
        .next()
}

/// Negative prorations (credit for unused time) end the line they credit.
pub(super) fn end_credited(charges: &[&Charge], keys: &[usize], segs: &mut [Vec<Segment>]) {
    for (i, ch) in charges.iter().enumerate() {
        if !(ch.proration && ch.net.is_negative()) {
            continue;
        }
        for s in &mut segs[keys[i]] {
            // Only a line invoiced before the credit's start and running past it (not the new
            // price that starts on the same day).
            if s.invoiced < ch.start && s.end.is_some_and(|e| ch.start < e) {
                s.end = Some(ch.start);
            }
        }
    }
}

/// A positive proration scaled to its full period: `net x full days / its days`, rounded
/// half-even to the proration's decimal places, over the full period's months. Without a
/// full period, 365 / 12 days make a month.
pub(super) fn scaled(ch: &Charge, full: Option<(Date, Date)>) -> Option<(Decimal, u32)> {
    let part = i128::from(ch.end.days() - ch.start.days());
    let up = 10i128.checked_pow(ch.places.checked_sub(ch.net.decimals)?)?;
    let m = i128::from(ch.net.mantissa).checked_mul(up)?;
    let (num, den, len) = match full {
        Some((fs, fe)) => (i128::from(fe.days() - fs.days()), part, length(fs, fe)),
        None => match length(ch.start, ch.end) {
            // A whole number of months or weeks is its own full period.
            len @ (Length::Months(_) | Length::Weeks(_)) => (1, 1, len),
            Length::Days(_) => (365, 12 * part, Length::Months(1)),
        },
    };
    let v = div_round_half_even(m.checked_mul(num)?, den);
    let amount = Decimal {
        mantissa: i64::try_from(v).ok()?,
        decimals: ch.places,
    };
    per_interval(amount, len)
}
