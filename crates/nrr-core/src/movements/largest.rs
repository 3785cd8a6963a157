//! The largest movement rows of every month and category: the movement list a sheet can
//! hold ([`largest_movements`]).

use super::{made_rows, At, Category, Made, Movements, Row, RowOrder};
use crate::dataset::Dataset;
use crate::engine::Options;
use crate::CoreError;
use rayon::prelude::*;

/// The largest movement rows, at most `cap` of them: the movement list a sheet can hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Largest {
    /// The rows kept, in [`movements`](super::movements) order (no segment columns).
    pub movements: Movements,
    /// The number of rows [`movements`](super::movements) gives.
    pub total: usize,
    /// When rows were left out: the number kept of each month and category.
    pub per_group: Option<usize>,
}

/// Every customer-month movement, as [`movements`](super::movements) without cuts, when
/// there are at most `cap`; above `cap`, for every month and category its `k` largest rows by
/// amount (fx by size; ties to the earlier row, the smaller customer id), `k` the largest
/// number that keeps the rows within `cap`. Only the kept rows are made into
/// [`MovementRow`](super::MovementRow)s, so a million customers' 2.4 million rows cost a pass
/// and a few integers each, not a string each.
pub fn largest_movements(ds: &Dataset, opts: &Options, cap: usize) -> Result<Largest, CoreError> {
    Ok(largest_of(
        ds,
        made_rows(ds, opts, &[], &[], RowOrder::ByIndex)?,
        cap,
    ))
}

/// [`largest_movements`] of rows already made (without cuts).
/// The rows may be in any customer order ([`RowOrder`]): each customer's rows are adjacent,
/// by month, category and cut.
pub(crate) fn largest_of(ds: &Dataset, made: Made, cap: usize) -> Largest {
    let total = made.len();
    let (mut order, per_group) = if total <= cap {
        (made.all().collect(), None)
    } else {
        let (kept, k) = largest_of_groups(ds, &made, cap);
        (kept, Some(k))
    };
    // By month, customer id, then place (a customer's rows are in category and cut order).
    order.par_sort_unstable_by(|&a, &b| {
        let (x, y) = (made.row(a), made.row(b));
        x.month
            .cmp(&y.month)
            .then_with(|| ds.customers.cmp_ids(x.customer, y.customer))
            .then(a.cmp(&b))
    });
    Largest {
        movements: made.into_movements(ds, &[], &order),
        total,
        per_group,
    }
}

/// The `k` largest rows of every month and category, with the largest `k` that keeps them
/// within `cap`.
fn largest_of_groups(ds: &Dataset, made: &Made, cap: usize) -> (Vec<At>, usize) {
    // A group is a month and a category: `slot * CATEGORIES + category.index()`.
    let groups = made.plan_slots * Category::COUNT;
    let group = |r: &Row| made.slot(r) * Category::COUNT + r.category.index();
    // Each chunk's rows by group (a counting sort, in parallel): `starts[g]..starts[g + 1]`
    // of the keys are group g's, in row order. A key holds the row's size, so that choosing
    // the largest compares rows in the chunks only on a tie.
    let by_chunk: Vec<(Vec<usize>, Vec<Key>)> = made
        .chunks
        .par_iter()
        .enumerate()
        .map(|(c, rows)| {
            let mut starts = vec![0usize; groups + 1];
            for r in rows {
                starts[group(r) + 1] += 1;
            }
            for g in 0..groups {
                starts[g + 1] += starts[g];
            }
            let mut next = starts.clone();
            let mut keys = vec![Key::default(); rows.len()];
            for (i, r) in rows.iter().enumerate() {
                let g = group(r);
                keys[next[g]] = Key {
                    size: u64::try_from(r.amount.unsigned_abs()).unwrap_or(u64::MAX),
                    at: At::new(c, i),
                };
                next[g] += 1;
            }
            (starts, keys)
        })
        .collect();
    let sizes: Vec<usize> = (0..groups)
        .map(|g| by_chunk.iter().map(|(s, _)| s[g + 1] - s[g]).sum())
        .collect();
    let kept_with = |k: usize| -> usize { sizes.iter().map(|&n| n.min(k)).sum() };
    // The largest k with kept_with(k) <= cap: kept_with grows with k, and kept_with(0) = 0.
    let (mut lo, mut hi) = (0usize, sizes.iter().copied().max().unwrap_or(0));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if kept_with(mid) <= cap {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let k = lo;
    // Largest first (fx by size), ties to the earlier row (the smaller customer id). The
    // keys' sizes order as the amounts do (a size past u64 is cut to u64::MAX, a tie).
    let largest_first = |a: &Key, b: &Key| {
        b.size.cmp(&a.size).then_with(|| {
            let (x, y) = (made.row(a.at), made.row(b.at));
            y.amount
                .unsigned_abs()
                .cmp(&x.amount.unsigned_abs())
                .then_with(|| ds.customers.cmp_ids(x.customer, y.customer))
                .then(a.at.cmp(&b.at))
        })
    };
    let kept: Vec<Vec<At>> = (0..groups)
        .into_par_iter()
        .map(|g| {
            if k == 0 || sizes[g] == 0 {
                return Vec::new();
            }
            let mut keys: Vec<Key> = Vec::with_capacity(sizes[g]);
            for (starts, chunk) in &by_chunk {
                keys.extend_from_slice(&chunk[starts[g]..starts[g + 1]]);
            }
            if keys.len() > k {
                keys.select_nth_unstable_by(k - 1, largest_first);
                keys.truncate(k);
            }
            keys.into_iter().map(|key| key.at).collect()
        })
        .collect();
    (kept.into_iter().flatten().collect(), k)
}

/// A row of [`largest_of_groups`]: its place and its amount's size.
#[derive(Copy, Clone, Debug, Default)]
struct Key {
    size: u64,
    at: At,
}
