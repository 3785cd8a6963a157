//! Segment cuts: by a customer attribute, or by the product or plan of the customer's lines,
//! which can change from month to month.

use super::movement::{add_movement, start_kind, Customer, Step};
use super::plan::Plan;
use super::retention::add_periods;
use super::series::{rate, Scratch};
use super::sums::Sums;
use crate::dataset::Dataset;
use crate::CoreError;

/// How to cut the figures by a customer attribute.
#[derive(Clone, Debug, Default)]
pub struct SegmentSpec {
    /// Attribute column name.
    pub column: String,
    /// Distinct values; a customer without one maps to `""`, which must be among them.
    pub values: Vec<String>,
    /// For each customer index, the index of its value in `values` (unused when `by_line`).
    pub of_customer: Vec<u32>,
    /// Cut by a column of the customer's lines instead of a customer attribute: the value of
    /// a customer in a month is the one with the most MRR then (ties to the smaller name).
    pub by_line: Option<LineColumn>,
    /// With `by_line`: for each dataset label index, the index of its value in `values`.
    pub of_label: Vec<u32>,
}

/// A line column a segment can be taken from (`--segment product`, `--segment plan`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineColumn {
    /// The product line.
    Product,
    /// The plan or tier.
    Plan,
}

impl SegmentSpec {
    /// A cut by the lines' product or plan. Values are the distinct labels the lines use,
    /// sorted by name (`""` for lines without one).
    pub fn by_line(ds: &Dataset, column: LineColumn) -> SegmentSpec {
        let col = match column {
            LineColumn::Product => &ds.lines.product,
            LineColumn::Plan => &ds.lines.plan,
        };
        let mut used = vec![false; ds.labels.len()];
        for &i in col {
            used[i as usize] = true;
        }
        let mut values: Vec<String> = ds
            .labels
            .iter()
            .zip(&used)
            .filter(|(_, u)| **u)
            .map(|(l, _)| l.clone())
            .collect();
        values.sort();
        values.dedup();
        let of_label = ds
            .labels
            .iter()
            .map(|l| values.binary_search(l).map_or(u32::MAX, |i| i as u32))
            .collect();
        SegmentSpec {
            column: match column {
                LineColumn::Product => "product".into(),
                LineColumn::Plan => "plan".into(),
            },
            values,
            of_customer: Vec::new(),
            by_line: Some(column),
            of_label,
        }
    }
}

/// [`add_customer`] for a segment taken from the lines, which can change from month to
/// month: each month's movement goes to the segment of the month (of the previous month
/// for churn), each period's cohort contribution to the segment at t0, and a customer whose
/// segment changes moves its previous MRR out of the old segment and into the new one.
pub(super) fn add_customer_by_line(
    ds: &Dataset,
    plan: &Plan,
    customer: Customer,
    spec: &SegmentSpec,
    scratch: &mut Scratch,
    sums: &mut [Sums],
) -> Result<(), CoreError> {
    line_segments(ds, plan, spec, scratch)?;
    // A one-month period's cohort belongs to the segment at t0 and the month's movement to
    // the segment at t1: when they differ the month's reasons are not the cohort's, so the
    // periods find their own.
    scratch.own_reasons = true;
    let scratch = &*scratch;
    let segments = &scratch.segments;
    let cur = &scratch.cur;
    if cur[0] > 0 {
        let m0 = &mut sums[segments[0] as usize].months[0];
        m0.d_closing += cur[0];
        m0.d_customers += 1;
    }
    for s in 1..plan.slots {
        let (prev, now) = (cur[s - 1], cur[s]);
        let at_constant_currency = scratch.at_constant_currency(s);
        let (a, b) = (segments[s - 1] as usize, segments[s] as usize);
        let moved = prev > 0 && now > 0 && a != b;
        if now == prev && at_constant_currency == prev && !moved {
            continue;
        }
        let step = Step {
            prev,
            now,
            at_constant_currency,
            was_paused: scratch.paused_at(s - 1),
            is_paused: scratch.paused_at(s),
        };
        if prev > 0 {
            let m = &mut sums[a].months[s];
            m.d_closing -= prev;
            m.d_customers -= 1;
        }
        if now > 0 {
            let m = &mut sums[b].months[s];
            m.d_closing += now;
            m.d_customers += 1;
        }
        if moved {
            sums[a].months[s].moved_out += prev;
            sums[b].months[s].moved_in += prev;
        }
        let h = if now > 0 { b } else { a };
        let why = || scratch.reason(ds, plan, s - 1, s);
        add_movement(
            &mut sums[h].months[s],
            step,
            || start_kind(ds, plan, scratch, s, customer.first, customer.reactivation),
            why,
        );
    }
    // Each segment the customer is in at some t0, once (a customer is in a few at most).
    let mut done: Vec<u32> = Vec::new();
    for &g in &segments[..plan.slots] {
        if g == u32::MAX || done.contains(&g) {
            continue;
        }
        done.push(g);
        add_periods(
            ds,
            plan,
            scratch,
            &mut sums[g as usize].periods,
            customer.index,
            Some((segments, g)),
        )?;
    }
    Ok(())
}

/// Fills `scratch.segments` with the customer's segment value per slot: the value of `spec`'s
/// line column holding the most MRR at the slot (at the slot's rates), ties to the smaller
/// name; `u32::MAX` where the customer pays nothing.
pub(crate) fn line_segments(
    ds: &Dataset,
    plan: &Plan,
    spec: &SegmentSpec,
    scratch: &mut Scratch,
) -> Result<(), CoreError> {
    let l = &ds.lines;
    let col = match spec.by_line {
        Some(LineColumn::Plan) => &l.plan,
        _ => &l.product,
    };
    let value_of = |i: u32| spec.of_label[col[i as usize] as usize];
    let n = plan.slots;
    let base = plan.base.index();
    let mut segments = std::mem::take(&mut scratch.segments);
    segments.clear();
    segments.resize(n, u32::MAX);
    let lines = &scratch.lines;
    let single = lines.iter().all(|&i| value_of(i) == value_of(lines[0]));
    if single {
        let g = value_of(lines[0]);
        for (s, v) in segments.iter_mut().enumerate() {
            if scratch.cur[s] > 0 {
                *v = g;
            }
        }
    } else {
        // Per slot, the MRR of each value (few values per customer: a short list).
        let mut by_value: Vec<(u32, i128)> = Vec::new();
        for (s, slot) in segments.iter_mut().enumerate() {
            if scratch.cur[s] <= 0 {
                continue;
            }
            by_value.clear();
            for &i in lines {
                let i = i as usize;
                let (a, b) = (l.start[i].index() - base, l.end[i].index() - base);
                if !(a <= s as i32 && (s as i32) < b) {
                    continue;
                }
                let rates = &plan.rates[usize::from(l.currency[i])];
                let v = i128::from(l.mrr[i]) * rate(plan, rates, l.currency[i], s);
                let g = value_of(i as u32);
                match by_value.iter_mut().find(|x| x.0 == g) {
                    Some(x) => x.1 += v,
                    None => by_value.push((g, v)),
                }
            }
            // Values are indices into the sorted names: the smaller index is the smaller
            // name, so ties go to it.
            *slot = by_value
                .iter()
                .max_by(|x, y| x.1.cmp(&y.1).then(y.0.cmp(&x.0)))
                .map_or(u32::MAX, |x| x.0);
        }
    }
    scratch.segments = segments;
    Ok(())
}
