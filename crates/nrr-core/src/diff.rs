//! `nrr diff`: a change of figures split by cause (docs/publishing.md, "What changed: nrr diff").
//!
//! The command computes a chain of states, each a full recomputation that changes one cause
//! more than the state before (tool version, settings, FX rates, input rows, tool version).
//! This module holds the pure part: the exact decimals of the figures, the attribution of
//! each figure's change to the steps of the chain ([`attribute`]: the part of a step is the
//! figure after it minus the figure before it, so the parts telescope to the total change
//! exactly), and the customers behind a step ([`customer_changes`]: the per-customer,
//! per-month, per-category movement amounts after the step minus before, largest first).

use serde::{Serialize, Serializer};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// An exact decimal: `units / 10^scale`.
#[derive(Copy, Clone, Debug, Default, Eq)]
pub struct Dec {
    units: i128,
    scale: u32,
}

/// The largest scale kept (more decimals are refused by [`Dec::parse`]).
const MAX_SCALE: u32 = 18;

impl Dec {
    /// Zero.
    pub const ZERO: Dec = Dec { units: 0, scale: 0 };

    /// Parses `-12.345`, `7`, `+0.5` exactly; `None` for anything else (exponents, text,
    /// more than 18 decimals, a value beyond 128 bits).
    pub fn parse(s: &str) -> Option<Dec> {
        let (neg, body) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let scale = u32::try_from(frac.len()).ok().filter(|s| *s <= MAX_SCALE)?;
        let mut units: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            units = units.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
        }
        Some(Dec {
            units: if neg { -units } else { units },
            scale,
        })
    }

    fn rescaled(self, scale: u32) -> Option<i128> {
        self.units
            .checked_mul(10i128.checked_pow(scale - self.scale)?)
    }

    fn align(a: Dec, b: Dec) -> Option<(i128, i128, u32)> {
        let scale = a.scale.max(b.scale);
        Some((a.rescaled(scale)?, b.rescaled(scale)?, scale))
    }

    /// `self + other`, exactly; `None` on overflow.
    pub fn checked_add(self, other: Dec) -> Option<Dec> {
        let (a, b, scale) = Dec::align(self, other)?;
        Some(Dec {
            units: a.checked_add(b)?,
            scale,
        })
    }

    /// `self - other`, exactly; `None` on overflow.
    pub fn checked_sub(self, other: Dec) -> Option<Dec> {
        self.checked_add(Dec {
            units: other.units.checked_neg()?,
            scale: other.scale,
        })
    }

    /// The absolute value.
    pub fn abs(self) -> Dec {
        Dec {
            units: self.units.saturating_abs(),
            scale: self.scale,
        }
    }

    /// Whether it is zero.
    pub fn is_zero(self) -> bool {
        self.units == 0
    }

    /// `+1.50`, `-0.25`, `0`: the sign written out, for a change.
    pub fn signed(self) -> String {
        if self.units > 0 {
            format!("+{self}")
        } else {
            self.to_string()
        }
    }
}

impl PartialEq for Dec {
    fn eq(&self, other: &Dec) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Ord for Dec {
    fn cmp(&self, other: &Dec) -> Ordering {
        match Dec::align(*self, *other) {
            Some((a, b, _)) => a.cmp(&b),
            // Beyond 128 bits once aligned: the signs and magnitudes decide.
            None => (
                self.units.signum(),
                self.units.unsigned_abs() / 10u128.pow(self.scale),
            )
                .cmp(&(
                    other.units.signum(),
                    other.units.unsigned_abs() / 10u128.pow(other.scale),
                )),
        }
    }
}

impl PartialOrd for Dec {
    fn partial_cmp(&self, other: &Dec) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.units < 0 { "-" } else { "" };
        let digits = self.units.unsigned_abs().to_string();
        let scale = self.scale as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

impl Serialize for Dec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A figure's value in one state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Leaf {
    /// A number (money, ratio, count), exact.
    Number(Dec),
    /// Anything else: text, `true`/`false`.
    Text(String),
    /// Absent from the report, or `null` (NRR of an empty cohort).
    Absent,
}

impl Serialize for Leaf {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Leaf::Number(d) => d.serialize(s),
            Leaf::Text(t) => s.serialize_str(t),
            Leaf::Absent => s.serialize_none(),
        }
    }
}

/// One figure's change across the chain of states.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FigureChange {
    /// Where it is in the report: `periods[2024-Q1].nrr`, `months[2024-02].churn`.
    pub figure: String,
    /// Its value in the first state (A as given).
    pub a: Leaf,
    /// Its value in the last state (B as given).
    pub b: Leaf,
    /// `b - a`, when both are numbers.
    pub change: Option<Dec>,
    /// Its value in every state, first to last.
    pub values: Vec<Leaf>,
    /// Per step, the value after the step minus the value before, when both are numbers
    /// (then the parts of all steps sum exactly to `change`); `None` for a step where the
    /// figure is text or absent on a side.
    pub parts: Vec<Option<Dec>>,
}

/// Every figure that differs between two consecutive states, in the order figures first
/// appear in the states, with its part per step (`states.len() - 1` steps). A figure whose
/// parts cancel is listed too: a step moved it.
pub fn attribute(states: &[Vec<(String, Leaf)>]) -> Vec<FigureChange> {
    let mut order: Vec<&str> = Vec::new();
    let maps: Vec<HashMap<&str, &Leaf>> = states
        .iter()
        .map(|s| s.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .collect();
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for s in states {
        for (k, _) in s {
            if seen.insert(k.as_str()) {
                order.push(k.as_str());
            }
        }
    }
    let absent = Leaf::Absent;
    let mut out = Vec::new();
    for figure in order {
        let values: Vec<&Leaf> = maps
            .iter()
            .map(|m| m.get(figure).copied().unwrap_or(&absent))
            .collect();
        if values.windows(2).all(|w| w[0] == w[1]) {
            continue;
        }
        let diff = |x: &Leaf, y: &Leaf| match (x, y) {
            (Leaf::Number(x), Leaf::Number(y)) => y.checked_sub(*x),
            _ => None,
        };
        let (first, last) = (values[0], values[values.len() - 1]);
        out.push(FigureChange {
            figure: figure.to_string(),
            a: first.clone(),
            b: last.clone(),
            change: diff(first, last),
            values: values.iter().map(|v| (*v).clone()).collect(),
            parts: values.windows(2).map(|w| diff(w[0], w[1])).collect(),
        });
    }
    out
}

/// Whether the parts of `f` sum exactly to its change (both numbers throughout).
pub fn parts_sum(f: &FigureChange) -> bool {
    let Some(change) = f.change else {
        return false;
    };
    let mut sum = Dec::ZERO;
    for p in &f.parts {
        match p.and_then(|p| sum.checked_add(p)) {
            Some(s) => sum = s,
            None => return false,
        }
    }
    sum == change
}

/// One customer-month movement of a state (a row of `movements.csv`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoveRow {
    /// The customer.
    pub customer_id: String,
    /// `YYYY-MM`.
    pub month: String,
    /// `new`, `expansion`, `churn`, `fx`, ... as `movements.csv` names it.
    pub category: String,
    /// The bridge amount (positive magnitudes; fx signed).
    pub amount: Dec,
}

/// A customer's change of one month and category across a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomerMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// The movement category.
    pub category: String,
    /// The amount before the step (0 when none).
    pub before: Dec,
    /// After.
    pub after: Dec,
    /// `after - before`: the customer's part of the step's change of
    /// `months[month].category`.
    pub change: Dec,
}

/// One customer behind a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomerChange {
    /// The customer.
    pub customer_id: String,
    /// The sum of the absolute changes of its months and categories (how it is ranked).
    pub size: Dec,
    /// Its changes, by month then category.
    pub months: Vec<CustomerMonth>,
}

/// The customers whose movements differ between `before` and `after`, largest
/// [`CustomerChange::size`] first (ties by id). Rows of the same customer, month and category
/// are summed. For each month and category, the customers' changes sum to the change of the
/// rows' total (the bridge figure, at the rows' precision). `None` on overflow.
pub fn customer_changes(before: &[MoveRow], after: &[MoveRow]) -> Option<Vec<CustomerChange>> {
    type Key<'a> = (&'a str, &'a str, &'a str);
    let mut table: BTreeMap<Key<'_>, (Dec, Dec)> = BTreeMap::new();
    for (rows, side) in [(before, 0), (after, 1)] {
        for r in rows {
            let e = table
                .entry((&r.customer_id, &r.month, &r.category))
                .or_insert((Dec::ZERO, Dec::ZERO));
            let slot = if side == 0 { &mut e.0 } else { &mut e.1 };
            *slot = slot.checked_add(r.amount)?;
        }
    }
    let mut out: Vec<CustomerChange> = Vec::new();
    for ((customer, month, category), (b, a)) in table {
        let change = a.checked_sub(b)?;
        if change.is_zero() {
            continue;
        }
        if out.last().is_none_or(|c| c.customer_id != customer) {
            out.push(CustomerChange {
                customer_id: customer.to_string(),
                size: Dec::ZERO,
                months: Vec::new(),
            });
        }
        // Pushed just above when absent.
        let c = out.last_mut()?;
        c.size = c.size.checked_add(change.abs())?;
        c.months.push(CustomerMonth {
            month: month.to_string(),
            category: category.to_string(),
            before: b,
            after: a,
            change,
        });
    }
    out.sort_by(|x, y| {
        y.size
            .cmp(&x.size)
            .then_with(|| x.customer_id.cmp(&y.customer_id))
    });
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        Dec::parse(s).unwrap()
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(d("0.1").checked_add(d("0.2")).unwrap(), d("0.3"));
        assert_eq!(
            d("100.00").checked_sub(d("0.005")).unwrap().to_string(),
            "99.995"
        );
        assert_eq!(d("-0.05").to_string(), "-0.05");
        assert_eq!(
            d("0.965986").checked_sub(d("1")).unwrap().signed(),
            "-0.034014"
        );
        assert_eq!(d("12").signed(), "+12");
        assert_eq!(d("1.50"), d("1.5"));
        assert!(d("-3") < d("2.9"));
        for bad in ["", "-", ".", "1e5", "abc", "1.2.3", "0.1234567890123456789"] {
            assert_eq!(Dec::parse(bad), None, "{bad}");
        }
    }

    fn n(s: &str) -> Leaf {
        Leaf::Number(d(s))
    }

    #[test]
    fn parts_telescope_to_the_change() {
        let state = |churn: &str, nrr: Leaf| {
            vec![
                ("months[2024-01].churn".to_string(), n(churn)),
                ("periods[2024-Q1].nrr".to_string(), nrr),
                ("months[2024-01].new".to_string(), n("5")),
            ]
        };
        let states = vec![
            state("100.00", n("0.95")),
            state("100.00", n("0.95")),
            state("130.50", Leaf::Absent),
            state("90.25", n("0.97")),
        ];
        let f = attribute(&states);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].figure, "months[2024-01].churn");
        assert_eq!(f[0].change, Some(d("-9.75")));
        // 0 + 30.50 - 40.25 = -9.75
        assert_eq!(
            f[0].parts,
            vec![Some(d("0")), Some(d("30.50")), Some(d("-40.25"))]
        );
        assert!(parts_sum(&f[0]));
        // NRR is absent in the middle state: no part for the two steps around it.
        assert_eq!(f[1].change, Some(d("0.02")));
        assert_eq!(f[1].parts, vec![Some(d("0")), None, None]);
        assert!(!parts_sum(&f[1]));
    }

    #[test]
    fn a_figure_only_one_side_has_is_listed() {
        let f = attribute(&[vec![], vec![("ttm[2024-12].nrr".to_string(), n("1.01"))]]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].a, Leaf::Absent);
        assert_eq!(f[0].change, None);
    }

    #[test]
    fn a_change_that_cancels_is_still_listed() {
        let s = |v: &str| vec![("x".to_string(), n(v))];
        let f = attribute(&[s("1"), s("2"), s("1")]);
        assert_eq!(f[0].change, Some(d("0")));
        assert!(parts_sum(&f[0]));
    }

    fn row(c: &str, m: &str, cat: &str, a: &str) -> MoveRow {
        MoveRow {
            customer_id: c.into(),
            month: m.into(),
            category: cat.into(),
            amount: d(a),
        }
    }

    #[test]
    fn customers_largest_first_and_summing_to_the_figure() {
        let before = vec![
            row("acme", "2024-02", "churn", "100"),
            row("beta", "2024-02", "expansion", "10"),
            row("beta", "2024-02", "expansion", "5"),
            row("gamma", "2024-03", "new", "40"),
        ];
        let after = vec![
            row("acme", "2024-02", "churn", "100"),
            row("beta", "2024-02", "reactivation", "15"),
            row("gamma", "2024-03", "new", "70"),
            row("delta", "2024-02", "expansion", "1"),
        ];
        let c = customer_changes(&before, &after).unwrap();
        let ids: Vec<&str> = c.iter().map(|c| c.customer_id.as_str()).collect();
        // beta: |-15| + |+15| = 30; gamma: 30; delta: 1; acme unchanged.
        assert_eq!(ids, ["beta", "gamma", "delta"]);
        assert_eq!(c[0].size, d("30"));
        assert_eq!(c[0].months[0].category, "expansion");
        assert_eq!(c[0].months[0].before, d("15"));
        assert_eq!(c[0].months[0].change, d("-15"));
        // Expansion of 2024-02: 15 -> 1, a change of -14 = beta's -15 + delta's +1.
        let exp: Dec = c
            .iter()
            .flat_map(|c| &c.months)
            .filter(|m| m.month == "2024-02" && m.category == "expansion")
            .fold(Dec::ZERO, |s, m| s.checked_add(m.change).unwrap());
        assert_eq!(exp, d("-14"));
    }
}
