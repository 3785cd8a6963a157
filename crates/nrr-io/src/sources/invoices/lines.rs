//! From charges to the core's lines: per subscription and product, prorations placed, the
//! segments laid over each other, the events applied, then handed to the builder.

use super::charges::{Book, Charge, Event};
use super::events::SubLines;
use super::period::{length, per_interval, Length};
use super::segments::{overlay, push_merged, Seg};
use nrr_core::dataset::{DatasetBuilder, LineDetail, LineInput, Origin};
use nrr_core::date::Date;
use nrr_core::money::{div_round_half_even, Decimal};
use nrr_core::policy::InvoicePolicies;
use std::collections::HashMap;

/// Turns the charges of `book` into the builder's lines.
/// Returns the charges whose amount is too large to compute exactly: origin and net amount.
pub(crate) fn build_lines(
    book: &mut Book,
    policies: &InvoicePolicies,
    builder: &mut DatasetBuilder,
) -> Vec<(Origin, Decimal)> {
    let mut failed = Vec::new();
    let mut kept_open: Vec<String> = Vec::new();
    // Charges per subscription, in input order.
    let mut by_sub: Vec<Vec<usize>> = vec![Vec::new(); book.subs.len()];
    for (i, ch) in book.charges.iter().enumerate() {
        by_sub[ch.sub].push(i);
    }
    for (s, idx) in by_sub.iter().enumerate() {
        let mut events = std::mem::take(&mut book.subs[s].events);
        if idx.is_empty() {
            continue;
        }
        let charges: Vec<&Charge> = idx.iter().map(|&i| &book.charges[i]).collect();
        let SubscriptionLines {
            lines,
            paused,
            kept_open_pause,
        } = sub_lines(&charges, &mut events, book.as_of, policies, &mut failed);
        if kept_open_pause {
            kept_open.push(book.subs[s].id.clone());
        }
        let customer = &book.subs[s].customer;
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
fn seg_of(ch: &Charge, start: Date, amount: Decimal, interval: u32, origin: Origin) -> Seg {
    Seg {
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

/// A positive proration scaled to its full period: `net x full days / its days`, rounded
/// half-even to the proration's decimal places, over the full period's months. Without a
/// full period, 365 / 12 days make a month.
fn scaled(ch: &Charge, full: Option<(Date, Date)>) -> Option<(Decimal, u32)> {
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

/// One subscription's lines per product, and its paused spans (`--pauses zero`).
/// One subscription's lines per product, its paused spans (`--pauses zero`), and whether a
/// pause with no end kept its price running (`--pauses keep`).
struct SubscriptionLines {
    lines: Vec<(String, Vec<Seg>)>,
    paused: Vec<(Date, Option<Date>)>,
    kept_open_pause: bool,
}

/// The lines of one subscription, per product.
fn sub_lines(
    charges: &[&Charge],
    events: &mut [Event],
    as_of: Option<Date>,
    policies: &InvoicePolicies,
    failed: &mut Vec<(Origin, Decimal)>,
) -> SubscriptionLines {
    let mut products: Vec<String> = Vec::new();
    let key_of = |p: &str, products: &mut Vec<String>| match products.iter().position(|x| x == p) {
        Some(k) => k,
        None => {
            products.push(p.to_string());
            products.len() - 1
        }
    };
    let keys: Vec<usize> = charges
        .iter()
        .map(|c| key_of(&c.product, &mut products))
        .collect();
    let n = products.len();
    let mut periods: Vec<Vec<(Date, Date)>> = vec![Vec::new(); n];
    // Regular periods per product: for scaling prorations and for "paid until".
    let mut regular: Vec<Vec<(Date, Date)>> = vec![Vec::new(); n];
    for (ch, &k) in charges.iter().zip(&keys) {
        // A period refunded in full was paid until the refund (`--full-refunds end-service`).
        if (!ch.proration || !ch.net.is_negative()) && ch.served_end() > ch.start {
            periods[k].push((ch.start, ch.served_end()));
        }
        if !ch.proration {
            regular[k].push((ch.start, ch.end));
        }
    }

    // Positive prorations: the latest one matching the regular line that starts where it
    // ends moves that line's start; the others are scaled to their full period.
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

    let mut segs: Vec<Vec<Seg>> = vec![Vec::new(); n];
    for (i, ch) in charges.iter().enumerate() {
        let k = keys[i];
        if ch.proration {
            if ch.net.is_negative() || matched[i] {
                continue;
            }
            let holds = |p: &&(Date, Date)| p.0 <= ch.start && ch.start < p.1;
            let full = regular[k]
                .iter()
                .filter(holds)
                .chain(regular.iter().flatten().filter(holds))
                .copied()
                .next();
            match scaled(ch, full) {
                Some((amount, interval)) if amount.mantissa > 0 => {
                    segs[k].push(seg_of(ch, ch.start, amount, interval, ch.origin));
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
        let (start, origin) = start_of[i].unwrap_or((ch.start, ch.origin));
        segs[k].push(seg_of(ch, start, amount, interval, origin));
    }
    // Negative prorations (credit for unused time) end the line they credit.
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
    let segs: Vec<Vec<Seg>> = segs.into_iter().map(overlay).collect();

    let mut sl = SubLines {
        policies,
        as_of,
        periods,
        segs,
        paused: Vec::new(),
        kept_open_pause: false,
    };
    // Still running at the as-of date: the periods that end last stay open (not those whose
    // service a full refund ended).
    if let Some(a) = as_of {
        let last = sl
            .segs
            .iter()
            .flatten()
            .filter(|s| !s.refunded)
            .filter_map(|s| s.end)
            .max();
        if let Some(l) = last.filter(|l| *l > a) {
            for s in sl.segs.iter_mut().flatten() {
                if s.end == Some(l) && !s.refunded {
                    s.end = None;
                }
            }
        }
    }
    sl.apply_events(events);
    let paused = std::mem::take(&mut sl.paused);
    let kept_open_pause = sl.kept_open_pause;
    let lines = products
        .into_iter()
        .zip(sl.segs)
        .map(|(p, segs)| {
            let mut merged: Vec<Seg> = Vec::new();
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
