//! Rounding a table of exact amounts to cents so that its rows and columns add up to given
//! totals: largest-remainder allocation in one dimension, controlled rounding in two.

use crate::money::{div_round_half_even, Money};
use std::cmp::Ordering;

/// An exact amount in cents, `num / den` with `den > 0`, signed for its part in an identity
/// (a contraction is `-1 x` its magnitude).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cents {
    num: i128,
    den: i128,
}

impl Cents {
    pub(crate) const ZERO: Cents = Cents { num: 0, den: 1 };

    /// `sign x m` in cents. The engine keeps sums of amounts far enough below `i128::MAX` for
    /// this (dataset.rs, the total bound); a derived value beyond it (an LTV over a churn
    /// near zero) saturates rather than wraps or panics; see [`Cents::try_of`].
    pub(crate) fn of(m: Money, sign: i128) -> Cents {
        Cents::try_of(m, sign).unwrap_or(Cents {
            num: if (sign < 0) == (m.units < 0) {
                i128::MAX
            } else {
                i128::MIN
            },
            den: m.denominator,
        })
    }

    /// `sign x m` in cents, when that fits `i128`.
    pub(crate) fn try_of(m: Money, sign: i128) -> Option<Cents> {
        Some(Cents {
            num: sign.checked_mul(m.units)?.checked_mul(100)?,
            den: m.denominator,
        })
    }

    pub(crate) fn of_opt(m: Option<Money>, sign: i128) -> Cents {
        m.map_or(Cents::ZERO, |m| Cents::of(m, sign))
    }

    /// Nearest whole cent, ties to even.
    pub(crate) fn round(self) -> i128 {
        div_round_half_even(self.num, self.den)
    }

    pub(crate) fn negated(self) -> Cents {
        Cents {
            num: -self.num,
            den: self.den,
        }
    }

    /// `self + other`, exactly over the two denominators' least common multiple (amounts of
    /// one report share a denominator, so this does not overflow in practice; it saturates
    /// rather than wrap).
    pub(crate) fn plus(self, other: Cents) -> Cents {
        if self.den == other.den {
            return Cents {
                num: self.num.saturating_add(other.num),
                den: self.den,
            };
        }
        let g = gcd(self.den, other.den);
        let den = (self.den / g).saturating_mul(other.den);
        Cents {
            num: self
                .num
                .saturating_mul(den / self.den)
                .saturating_add(other.num.saturating_mul(den / other.den)),
            den,
        }
    }

    fn sign(self) -> i128 {
        self.num.signum()
    }

    /// `self - y` (y in whole cents), as a fraction over `self.den`.
    fn rest(self, y: i128) -> i128 {
        self.num - y * self.den
    }
}

/// `a - ya` against `b - yb`, exactly when the cross products fit (always, for the amounts a
/// report holds), else to a millionth of a cent.
fn cmp_rest(a: Cents, ya: i128, b: Cents, yb: i128) -> Ordering {
    let (pa, pb) = (a.rest(ya), b.rest(yb));
    match (pa.checked_mul(b.den), pb.checked_mul(a.den)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => {
            let micro = |p: i128, d: i128| p / (d / 1_000_000).max(1);
            micro(pa, a.den).cmp(&micro(pb, b.den))
        }
    }
}

/// `true` when the parts add up to `total` exactly. Amounts over different denominators are
/// brought to their least common multiple; on overflow the answer is `false`, so the caller
/// rounds without forcing an identity it could not check.
pub(crate) fn adds_up(parts: &[Cents], total: Cents) -> bool {
    let mut den = total.den;
    for p in parts.iter().filter(|p| p.num != 0) {
        let g = gcd(den, p.den);
        match (den / g).checked_mul(p.den) {
            Some(l) => den = l,
            None => return false,
        }
    }
    let scaled = |c: Cents| c.num.checked_mul(den / c.den);
    let mut sum = 0i128;
    for p in parts.iter().filter(|p| p.num != 0) {
        match scaled(*p).and_then(|x| sum.checked_add(x)) {
            Some(s) => sum = s,
            None => return false,
        }
    }
    scaled(total) == Some(sum)
}

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// A candidate cell for one step of +1 (`up`) or -1 cent.
#[derive(Clone, Copy)]
struct Step {
    /// The step keeps the cell on the side of zero its exact value is on.
    keeps_sign: bool,
    /// The exact value is not zero: a zero stays zero while any other cell can move.
    moves: bool,
    value: Cents,
    shown: i128,
}

impl Step {
    fn at(value: Cents, shown: i128, up: bool) -> Step {
        let next = if up { shown + 1 } else { shown - 1 };
        Step {
            keeps_sign: next.signum() * value.sign() >= 0,
            moves: value.num != 0,
            value,
            shown,
        }
    }

    /// Whether `self` is a better cell to step than `other`: the largest rest goes up, the
    /// smallest comes down (largest remainder).
    fn beats(&self, other: &Step, up: bool) -> bool {
        let key = |s: &Step| (s.keeps_sign, s.moves);
        match key(self).cmp(&key(other)) {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal => {
                let o = cmp_rest(self.value, self.shown, other.value, other.shown);
                if up {
                    o == Ordering::Greater
                } else {
                    o == Ordering::Less
                }
            }
        }
    }
}

/// Whole cents near `v` (each cell's half-even rounding, moved by a cent at a time) whose row
/// sums meet `rows` and column sums meet `cols` where a target is given (`None`: free).
///
/// The targets must be consistent: when every row and every column has a target, the row
/// targets and the column targets have the same sum. Each step moves one cent in the cell with
/// the largest remainder (largest-remainder allocation; with both margins given, the
/// controlled rounding of statistical tables), preferring cells whose exact value is not zero
/// and steps that keep a cell's sign, so a movement that did not happen never shows a cent.
pub(crate) fn round_table(
    v: &[Vec<Cents>],
    rows: &[Option<i128>],
    cols: &[Option<i128>],
) -> Vec<Vec<i128>> {
    let nc = cols.len();
    let mut y: Vec<Vec<i128>> = v
        .iter()
        .map(|r| r.iter().map(|c| c.round()).collect())
        .collect();
    let mut d: Vec<Option<i128>> = rows
        .iter()
        .zip(&y)
        .map(|(t, r)| t.map(|t| t - r.iter().sum::<i128>()))
        .collect();
    let mut e: Vec<Option<i128>> = (0..nc)
        .map(|j| cols[j].map(|t| t - y.iter().map(|r| r[j]).sum::<i128>()))
        .collect();
    // Every step brings the total deficit one or two cents nearer zero; the bound only guards
    // against inconsistent targets.
    let total = |d: &[Option<i128>]| d.iter().flatten().map(|x| x.abs()).sum::<i128>();
    let mut budget = 2 * (total(&d) + total(&e)) + 4;
    while budget > 0 {
        budget -= 1;
        let moved = if let Some(i) = (0..y.len()).find(|&i| d[i].is_some_and(|x| x != 0)) {
            step_row(v, &mut y, &mut d, &mut e, i)
        } else if let Some(j) = (0..nc).find(|&j| e[j].is_some_and(|x| x != 0)) {
            step_column(v, &mut y, &mut d, &mut e, j)
        } else {
            break;
        };
        if !moved {
            break;
        }
    }
    y
}

/// Can a line with deficit `t` take a step of `s` (it is free, or short by that sign)?
fn takes(t: Option<i128>, s: i128) -> bool {
    t.is_none_or(|t| t * s > 0)
}

fn apply(
    y: &mut [Vec<i128>],
    d: &mut [Option<i128>],
    e: &mut [Option<i128>],
    i: usize,
    j: usize,
    s: i128,
) {
    y[i][j] += s;
    if let Some(x) = d[i].as_mut() {
        *x -= s;
    }
    if let Some(x) = e[j].as_mut() {
        *x -= s;
    }
}

/// One cent toward row `i`'s target: in a column that also needs it, else moved from another
/// row in the same column.
fn step_row(
    v: &[Vec<Cents>],
    y: &mut [Vec<i128>],
    d: &mut [Option<i128>],
    e: &mut [Option<i128>],
    i: usize,
) -> bool {
    let s = d[i].map_or(0, i128::signum);
    let up = s > 0;
    let mut best: Option<(usize, Step)> = None;
    for j in (0..e.len()).filter(|&j| takes(e[j], s)) {
        let c = Step::at(v[i][j], y[i][j], up);
        if best.as_ref().is_none_or(|(_, b)| c.beats(b, up)) {
            best = Some((j, c));
        }
    }
    if let Some((j, _)) = best {
        apply(y, d, e, i, j, s);
        return true;
    }
    let mut pair: Option<(usize, usize, Step, Step)> = None;
    for k in (0..y.len()).filter(|&k| k != i && takes(d[k], -s)) {
        for j in 0..e.len() {
            let (a, b) = (
                Step::at(v[i][j], y[i][j], up),
                Step::at(v[k][j], y[k][j], !up),
            );
            let better = pair.as_ref().is_none_or(|(_, _, pa, pb)| {
                a.beats(pa, up) || (!pa.beats(&a, up) && b.beats(pb, !up))
            });
            if better {
                pair = Some((j, k, a, b));
            }
        }
    }
    match pair {
        Some((j, k, _, _)) => {
            apply(y, d, e, i, j, s);
            apply(y, d, e, k, j, -s);
            true
        }
        None => false,
    }
}

/// One cent toward column `j`'s target, the mirror of [`step_row`].
fn step_column(
    v: &[Vec<Cents>],
    y: &mut [Vec<i128>],
    d: &mut [Option<i128>],
    e: &mut [Option<i128>],
    j: usize,
) -> bool {
    let s = e[j].map_or(0, i128::signum);
    let up = s > 0;
    let mut best: Option<(usize, Step)> = None;
    for i in (0..y.len()).filter(|&i| takes(d[i], s)) {
        let c = Step::at(v[i][j], y[i][j], up);
        if best.as_ref().is_none_or(|(_, b)| c.beats(b, up)) {
            best = Some((i, c));
        }
    }
    if let Some((i, _)) = best {
        apply(y, d, e, i, j, s);
        return true;
    }
    let mut pair: Option<(usize, usize, Step, Step)> = None;
    for l in (0..e.len()).filter(|&l| l != j && takes(e[l], -s)) {
        for i in 0..y.len() {
            let (a, b) = (
                Step::at(v[i][j], y[i][j], up),
                Step::at(v[i][l], y[i][l], !up),
            );
            let better = pair.as_ref().is_none_or(|(_, _, pa, pb)| {
                a.beats(pa, up) || (!pa.beats(&a, up) && b.beats(pb, !up))
            });
            if better {
                pair = Some((i, l, a, b));
            }
        }
    }
    match pair {
        Some((i, l, _, _)) => {
            apply(y, d, e, i, j, s);
            apply(y, d, e, i, l, -s);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(units: i128, den: i128) -> Cents {
        Cents::of(
            Money {
                units,
                denominator: den,
            },
            1,
        )
    }

    #[test]
    fn three_thirds_of_a_dollar_add_up_to_the_dollar() {
        // 33.333..., three times: each rounds to 33, the row needs 100.
        let third = c(1, 3);
        let y = round_table(
            &[vec![third, third, third]],
            &[Some(100)],
            &[None, None, None],
        );
        assert_eq!(y[0].iter().sum::<i128>(), 100);
        assert_eq!(y[0], vec![34, 33, 33]);
    }

    #[test]
    fn the_largest_remainder_takes_the_cent() {
        // 0.104, 0.207, 0.689 (cents 10.4, 20.7, 68.9) to 100: rounded 10 + 21 + 69 = 100.
        let y = round_table(
            &[vec![c(104, 1000), c(207, 1000), c(689, 1000)]],
            &[Some(101)],
            &[None, None, None],
        );
        // One more cent: the largest rest is 10.4 - 10 = 0.4.
        assert_eq!(y[0], vec![11, 21, 69]);
    }

    #[test]
    fn a_zero_stays_zero_while_another_cell_can_move() {
        let y = round_table(&[vec![Cents::ZERO, c(1, 1)]], &[Some(101)], &[None, None]);
        assert_eq!(y[0], vec![0, 101]);
    }

    #[test]
    fn rows_and_columns_both_add_up() {
        // Two segments x two figures, each 1/3 of a dollar; segment targets 67 and 66,
        // figure targets 67 and 66.
        let t = c(1, 3);
        let y = round_table(
            &[vec![t, t], vec![t, t]],
            &[Some(67), Some(66)],
            &[Some(67), Some(66)],
        );
        assert_eq!(y[0].iter().sum::<i128>(), 67);
        assert_eq!(y[1].iter().sum::<i128>(), 66);
        assert_eq!(y[0][0] + y[1][0], 67);
        assert_eq!(y[0][1] + y[1][1], 66);
    }

    #[test]
    fn adds_up_checks_exactly_across_denominators() {
        assert!(adds_up(&[c(1, 3), c(2, 3)], c(1, 1)));
        assert!(adds_up(&[c(1, 3), c(1, 6)], c(1, 2)));
        assert!(!adds_up(&[c(1, 3), c(1, 3)], c(2, 4)));
    }
}
