//! Segments: stretches of time at one price, laid over each other (the latest start wins),
//! joined when contiguous at the same price, and cut by events.

use crate::sources::decimal::same_value;
use nrr_core::dataset::Origin;
use nrr_core::date::Date;
use nrr_core::money::Decimal;

/// A stretch of time at one price: an invoiced period, a merged run of them, or a bridge.
#[derive(Clone, Debug)]
pub(super) struct Segment {
    pub(super) start: Date,
    /// `None`: still running.
    pub(super) end: Option<Date>,
    pub(super) amount: Decimal,
    pub(super) interval: u32,
    pub(super) plan: String,
    pub(super) quantity: u64,
    pub(super) currency: String,
    pub(super) origin: Origin,
    /// Start of the invoiced period it came from (before a proration moved it).
    pub(super) invoiced: Date,
    /// Overlay priority: the highest covering segment is in force.
    pub(super) rank: (u8, Date, u64),
    /// Its end is the day its invoice was refunded in full (`--full-refunds end-service`):
    /// the service ended then, so it never stays open past the as-of date.
    pub(super) refunded: bool,
}

impl Segment {
    pub(super) fn same_price(&self, o: &Segment) -> bool {
        same_value(self.amount, o.amount)
            && self.interval == o.interval
            && self.plan == o.plan
            && self.quantity == o.quantity
            && self.currency == o.currency
    }

    pub(super) fn covers(&self, d: Date) -> bool {
        self.start <= d && self.end.is_none_or(|e| d < e)
    }
}

/// At every instant, the covering segment of highest rank; adjacent pieces of the same
/// segment, or at the same price, are joined.
pub(super) fn overlay(mut segs: Vec<Segment>) -> Vec<Segment> {
    if segs.is_empty() {
        return segs;
    }
    let mut bounds: Vec<Date> = segs
        .iter()
        .flat_map(|s| std::iter::once(s.start).chain(s.end))
        .collect();
    bounds.sort();
    bounds.dedup();
    segs.sort_by_key(|s| s.start);
    let mut out: Vec<Segment> = Vec::new();
    let mut active: Vec<usize> = Vec::new();
    let mut next = 0;
    for (i, &b) in bounds.iter().enumerate() {
        while next < segs.len() && segs[next].start <= b {
            active.push(next);
            next += 1;
        }
        active.retain(|&k| segs[k].covers(b));
        let Some(&top) = active.iter().max_by_key(|&&k| segs[k].rank) else {
            continue;
        };
        let piece_end = bounds.get(i + 1).copied();
        let mut piece = segs[top].clone();
        piece.start = b;
        piece.end = match (piece_end, segs[top].end) {
            (Some(pe), _) => Some(pe),
            (None, e) => e,
        };
        push_merged(&mut out, piece);
    }
    out
}

/// Appends `piece`, joining it to the last one when contiguous at the same price.
pub(super) fn push_merged(out: &mut Vec<Segment>, piece: Segment) {
    if let Some(last) = out.last_mut() {
        if last.end == Some(piece.start) && last.same_price(&piece) {
            last.end = piece.end;
            last.refunded = piece.refunded;
            return;
        }
    }
    out.push(piece);
}

/// Removes `[from, to)` (`to = None`: for good) from every segment.
pub(super) fn cut(segs: Vec<Segment>, from: Date, to: Option<Date>) -> Vec<Segment> {
    let mut out = Vec::with_capacity(segs.len());
    for s in segs {
        let ends_before = s.end.is_some_and(|e| e <= from);
        let starts_after = to.is_some_and(|t| s.start >= t);
        if ends_before || starts_after {
            out.push(s);
            continue;
        }
        if s.start < from {
            let mut a = s.clone();
            a.end = Some(from);
            out.push(a);
        }
        if let Some(t) = to {
            if s.end.is_none_or(|e| e > t) {
                let mut b = s;
                b.start = t;
                out.push(b);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn a_later_segment_wins_and_the_earlier_resumes_after_it() {
        let o = Origin { file: 0, line: 2 };
        let seg = |s: &str, e: &str, amt: &str, line: u64| Segment {
            start: d(s),
            end: Some(d(e)),
            amount: Decimal::parse(amt, 6).unwrap(),
            interval: 1,
            plan: String::new(),
            quantity: 1,
            currency: String::new(),
            origin: Origin { line, ..o },
            invoiced: d(s),
            rank: (1, d(s), line),
            refunded: false,
        };
        let out = overlay(vec![
            seg("2024-01-10", "2024-03-01", "500", 2),
            seg("2024-01-15", "2024-02-01", "300", 3),
        ]);
        let got: Vec<(String, String, i64)> = out
            .iter()
            .map(|s| {
                (
                    s.start.to_string(),
                    s.end.unwrap().to_string(),
                    s.amount.mantissa,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("2024-01-10".into(), "2024-01-15".into(), 500),
                ("2024-01-15".into(), "2024-02-01".into(), 300),
                ("2024-02-01".into(), "2024-03-01".into(), 500),
            ]
        );
    }
}
