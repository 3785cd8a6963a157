//! From charges to the core's lines: per subscription and product, prorations placed, the
//! segments laid over each other, the events applied, then handed to the builder.

use super::charges::{Billing, Charge, Event};
use super::events::SubLines;
use super::period::{length, per_interval};
use super::prorations::{end_credited, full_period, match_prorations, scaled, ProrationStarts};
use super::segments::{overlay, push_merged, Segment};
use nrr_core::dataset::{DatasetBuilder, LineDetail, LineInput, Origin};
use nrr_core::date::Date;
use nrr_core::money::Decimal;
use nrr_core::policy::InvoicePolicies;

/// Turns the charges of `billing` into the builder's lines.
/// Returns the charges whose amount is too large to compute exactly: origin and net amount.
pub(crate) fn build_lines(
    billing: &mut Billing,
    policies: &InvoicePolicies,
    builder: &mut DatasetBuilder,
) -> Vec<(Origin, Decimal)> {
    let mut failed = Vec::new();
    let mut kept_open: Vec<String> = Vec::new();
    // Charges per subscription, in input order.
    let mut by_sub: Vec<Vec<usize>> = vec![Vec::new(); billing.subs.len()];
    for (i, ch) in billing.charges.iter().enumerate() {
        by_sub[ch.sub].push(i);
    }
    for (s, idx) in by_sub.iter().enumerate() {
        let mut events = std::mem::take(&mut billing.subs[s].events);
        if idx.is_empty() {
            continue;
        }
        let charges: Vec<&Charge> = idx.iter().map(|&i| &billing.charges[i]).collect();
        let SubscriptionLines {
            lines,
            paused,
            kept_open_pause,
        } = sub_lines(&charges, &mut events, billing.as_of, policies, &mut failed);
        if kept_open_pause {
            kept_open.push(billing.subs[s].id.clone());
        }
        let customer = &billing.subs[s].customer;
        for (start, end) in paused {
            builder.push_pause(customer, start, end);
        }
        for (product, segs) in lines {
            for seg in segs {
                builder.push_line_detail(
                    LineInput {
                        customer,
                        currency: &seg.currency,
                        amount: seg.amount,
                        interval: seg.interval,
                        start: seg.start,
                        end: seg.end,
                        origin: seg.origin,
                    },
                    LineDetail {
                        product: &product,
                        plan: &seg.plan,
                        quantity: seg.quantity,
                    },
                );
            }
        }
    }
    if !kept_open.is_empty() {
        const SHOWN: usize = 10;
        let more = kept_open.len().saturating_sub(SHOWN);
        builder.notices.push(format!(
            "{} subscription(s) are paused with no resume date, and under --pauses keep their \
             price runs on for good: {}{}",
            kept_open.len(),
            kept_open[..kept_open.len().min(SHOWN)].join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    failed
}

/// A segment for a charge at `(amount, interval)`, ending when its service ends.
fn segment_of(ch: &Charge, start: Date, amount: Decimal, interval: u32, origin: Origin) -> Segment {
    Segment {
        start,
        end: Some(ch.served_end()),
        amount,
        interval,
        plan: ch.plan.clone(),
        quantity: ch.quantity,
        currency: ch.currency.clone(),
        origin,
        invoiced: ch.start,
        rank: (1, start, origin.line),
        refunded: ch.served_end() < ch.end,
    }
}

/// One subscription's lines per product, and its paused spans (`--pauses zero`).
/// One subscription's lines per product, its paused spans (`--pauses zero`), and whether a
/// pause with no end kept its price running (`--pauses keep`).
struct SubscriptionLines {
    lines: Vec<(String, Vec<Segment>)>,
    paused: Vec<(Date, Option<Date>)>,
    kept_open_pause: bool,
}

/// One subscription's charges, keyed by product.
struct Products<'c> {
    charges: &'c [&'c Charge],
    /// The products, in order of first charge.
    names: Vec<String>,
    /// Each charge's index into `names`.
    keys: Vec<usize>,
}

impl<'c> Products<'c> {
    fn of(charges: &'c [&'c Charge]) -> Products<'c> {
        let mut names: Vec<String> = Vec::new();
        let key_of = |p: &str, names: &mut Vec<String>| match names.iter().position(|x| x == p) {
            Some(k) => k,
            None => {
                names.push(p.to_string());
                names.len() - 1
            }
        };
        let keys: Vec<usize> = charges
            .iter()
            .map(|c| key_of(&c.product, &mut names))
            .collect();
        Products {
            charges,
            names,
            keys,
        }
    }

    /// Invoiced service periods per product (a period refunded in full was paid until the
    /// refund: `--full-refunds end-service`), and the regular (non-proration) ones: for
    /// scaling prorations and for "paid until".
    fn periods(&self) -> ServicePeriods {
        let n = self.names.len();
        let mut paid: Vec<Vec<(Date, Date)>> = vec![Vec::new(); n];
        let mut regular: Vec<Vec<(Date, Date)>> = vec![Vec::new(); n];
        for (ch, &k) in self.charges.iter().zip(&self.keys) {
            if (!ch.proration || !ch.net.is_negative()) && ch.served_end() > ch.start {
                paid[k].push((ch.start, ch.served_end()));
            }
            if !ch.proration {
                regular[k].push((ch.start, ch.end));
            }
        }
        ServicePeriods { paid, regular }
    }

    /// The segments per product: each regular charge at its rate (from the start a matching
    /// proration gives it), each unmatched positive proration scaled to its full period;
    /// then the negative prorations end the lines they credit.
    fn segments(
        &self,
        regular: &[Vec<(Date, Date)>],
        starts: &ProrationStarts,
        failed: &mut Vec<(Origin, Decimal)>,
    ) -> Vec<Vec<Segment>> {
        let mut segs: Vec<Vec<Segment>> = vec![Vec::new(); self.names.len()];
        for (i, ch) in self.charges.iter().enumerate() {
            let k = self.keys[i];
            if ch.proration {
                if ch.net.is_negative() || starts.matched[i] {
                    continue;
                }
                match scaled(ch, full_period(ch, &regular[k], regular)) {
                    Some((amount, interval)) if amount.mantissa > 0 => {
                        segs[k].push(segment_of(ch, ch.start, amount, interval, ch.origin));
                    }
                    Some(_) => {}
                    None => failed.push((ch.origin, ch.net)),
                }
                continue;
            }
            let rate = ch
                .rate
                .or_else(|| per_interval(ch.net, length(ch.start, ch.end)));
            let Some((amount, interval)) = rate else {
                failed.push((ch.origin, ch.net));
                continue;
            };
            let (start, origin) = starts.start_of[i].unwrap_or((ch.start, ch.origin));
            segs[k].push(segment_of(ch, start, amount, interval, origin));
        }
        end_credited(self.charges, &self.keys, &mut segs);
        segs
    }
}

/// Service periods per product.
struct ServicePeriods {
    paid: Vec<Vec<(Date, Date)>>,
    regular: Vec<Vec<(Date, Date)>>,
}

/// The lines of one subscription, per product.
fn sub_lines(
    charges: &[&Charge],
    events: &mut [Event],
    as_of: Option<Date>,
    policies: &InvoicePolicies,
    failed: &mut Vec<(Origin, Decimal)>,
) -> SubscriptionLines {
    let products = Products::of(charges);
    let ServicePeriods { paid, regular } = products.periods();
    let starts = match_prorations(charges, &products.keys);
    let segs = products.segments(&regular, &starts, failed);
    let segs: Vec<Vec<Segment>> = segs.into_iter().map(overlay).collect();

    let mut sl = SubLines {
        policies,
        as_of,
        periods: paid,
        segs,
        paused: Vec::new(),
        kept_open_pause: false,
    };
    if let Some(a) = as_of {
        keep_open(&mut sl.segs, a);
    }
    sl.apply_events(events);
    let paused = std::mem::take(&mut sl.paused);
    let kept_open_pause = sl.kept_open_pause;
    let lines = products
        .names
        .into_iter()
        .zip(sl.segs)
        .map(|(p, segs)| {
            let mut merged: Vec<Segment> = Vec::new();
            for s in segs {
                if s.end.is_some_and(|e| e <= s.start) {
                    continue;
                }
                push_merged(&mut merged, s);
            }
            (p, merged)
        })
        .collect();
    SubscriptionLines {
        lines,
        paused,
        kept_open_pause,
    }
}

/// Still running at the as-of date `as_of`: the periods that end last stay open (not those
/// whose service a full refund ended).
fn keep_open(segs: &mut [Vec<Segment>], as_of: Date) {
    let last = segs
        .iter()
        .flatten()
        .filter(|s| !s.refunded)
        .filter_map(|s| s.end)
        .max();
    if let Some(l) = last.filter(|l| *l > as_of) {
        for s in segs.iter_mut().flatten() {
            if s.end == Some(l) && !s.refunded {
                s.end = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::invoices::EventKind;
    use nrr_core::policy::FullRefunds;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    /// An annual line of 1,200.00 for 2024, refunded in full on `refunded` (if any).
    fn annual(refunded: Option<&str>) -> Charge {
        Charge {
            origin: Origin { file: 0, line: 2 },
            sub: 0,
            product: "platform".into(),
            plan: "annual".into(),
            quantity: 1,
            currency: "USD".into(),
            net: Decimal::parse("1200.00", 6).unwrap(),
            places: 2,
            start: d("2024-01-01"),
            end: d("2025-01-01"),
            proration: false,
            rate: None,
            invoice: Some(0),
            refunded: refunded.map(d),
        }
    }

    /// `(start, end, amount, interval)` of each line of a one-charge subscription.
    fn lines_of(
        ch: &Charge,
        events: &mut [Event],
        as_of: &str,
    ) -> Vec<(Date, Option<Date>, Decimal, u32)> {
        let policies = InvoicePolicies {
            full_refunds: FullRefunds::EndService,
            ..InvoicePolicies::default()
        };
        let out = sub_lines(&[ch], events, Some(d(as_of)), &policies, &mut Vec::new());
        out.lines
            .into_iter()
            .flat_map(|(_, segs)| segs)
            .map(|s| (s.start, s.end, s.amount, s.interval))
            .collect()
    }

    #[test]
    fn a_line_refunded_in_full_stops_on_the_refund_day_at_its_own_rate() {
        let year = Decimal::parse("1200.00", 6).unwrap();
        // Not refunded: the year runs past the as-of date, so it stays open.
        assert_eq!(
            lines_of(&annual(None), &mut [], "2024-03-10"),
            [(d("2024-01-01"), None, year, 12)]
        );
        // Refunded on 2024-03-10: it stops then, at 1,200 over 12 months (the rate of the
        // whole period), and never stays open, even with the as-of date before the refund (a
        // Stripe credit note does not move it).
        for as_of in ["2024-03-10", "2024-02-01"] {
            assert_eq!(
                lines_of(&annual(Some("2024-03-10")), &mut [], as_of),
                [(d("2024-01-01"), Some(d("2024-03-10")), year, 12)],
                "{as_of}"
            );
        }
        // A cancellation that day, at period end: the period was paid until the refund, so
        // nothing runs on to 2025-01-01.
        let mut cancel = [Event {
            origin: Origin { file: 1, line: 2 },
            kind: EventKind::Canceled,
            date: d("2024-03-10"),
        }];
        assert_eq!(
            lines_of(&annual(Some("2024-03-10")), &mut cancel, "2024-03-10"),
            [(d("2024-01-01"), Some(d("2024-03-10")), year, 12)]
        );
        // Refunded before its service began: it never counts.
        assert!(lines_of(&annual(Some("2023-12-20")), &mut [], "2023-12-20").is_empty());
    }
}
