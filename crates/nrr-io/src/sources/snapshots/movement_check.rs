//! revenue_movements rows, checked against the movements the snapshots imply.

use super::series::Series;
use super::{account_and_date, amount_text, reject, scaled, KeyColumns, RowAt};
use crate::error::{IoError, Rejection, RejectionKind};
use crate::rows::{Cols, Fields};
use nrr_core::date::Month;
use nrr_core::engine::{classify, Movement};
use nrr_core::money::MAX_AMOUNT_DECIMALS;
use nrr_core::policy::{Reactivation, Start};
use nrr_core::report::{MovementCheck, MovementDisagreement};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Column positions of a movements table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MovementCols {
    account: usize,
    date: usize,
    kind: usize,
    change: usize,
}

impl MovementCols {
    pub(crate) fn new(cols: &Cols, path: &Path) -> Result<MovementCols, IoError> {
        Ok(MovementCols {
            account: cols.require(path, "account_id")?,
            date: cols.require(path, "movement_date")?,
            kind: cols.require(path, "movement_type")?,
            change: cols.require(path, "mrr_change")?,
        })
    }
}

/// The five movement types, as written in `movement_type`.
const TYPES: [&str; 5] = ["new", "reactivation", "expansion", "contraction", "churn"];

/// One valid movement row.
struct Given {
    account: String,
    month: Month,
    kind: &'static str,
    change: i128,
}

/// Collects and validates the rows of a movements table.
#[derive(Default)]
pub(crate) struct Movements {
    rows: Vec<Given>,
    /// Rejected rows, in reading order.
    pub(crate) rejections: Vec<Rejection>,
}

impl Movements {
    /// Validates one row of the table `name`.
    pub(crate) fn row<R: Fields + ?Sized>(
        &mut self,
        c: MovementCols,
        name: &str,
        line: u64,
        rec: &R,
    ) {
        let rej = &mut self.rejections;
        let columns = KeyColumns {
            account: c.account,
            date: c.date,
            date_header: "movement_date",
        };
        let at = RowAt { name, line };
        let Some((account, date)) = account_and_date(rec, columns, at, rej) else {
            return;
        };
        let kind_v = rec.text(c.kind);
        let Some(kind) = TYPES.iter().copied().find(|t| *t == kind_v) else {
            return reject(
                rej,
                name,
                line,
                "movement_type",
                &kind_v,
                RejectionKind::UnknownValue.or_missing(&kind_v),
                "new, reactivation, expansion, contraction or churn",
            );
        };
        let up = matches!(kind, "new" | "reactivation" | "expansion");
        let parsed = rec.decimal(c.change, MAX_AMOUNT_DECIMALS);
        let change = match parsed {
            Some(d) if up && d.mantissa > 0 => scaled(d),
            Some(d) if !up && d.mantissa < 0 => scaled(d),
            _ => {
                let sign = if up { "> 0" } else { "< 0" };
                let value = rec.text(c.change);
                // A number of the wrong sign disagrees with its type; anything else is no
                // number of the allowed form.
                let problem = match parsed {
                    Some(_) => RejectionKind::InconsistentAmount,
                    None => RejectionKind::BadNumber.or_missing(&value),
                };
                return reject(
                    rej,
                    name,
                    line,
                    "mrr_change",
                    &value,
                    problem,
                    &format!(
                        "the change in MRR, a decimal {sign} for {kind} (at most 6 decimal places)"
                    ),
                );
            }
        };
        self.rows.push(Given {
            account: account.into_owned(),
            month: date.month(),
            kind,
            change,
        });
    }
}

/// The given movements of one account-month, combined: their types (each once, in order of
/// appearance) and the sum of their changes.
#[derive(Default)]
struct GivenMonth {
    kinds: Vec<&'static str>,
    change: i128,
}

/// Compares the given movements with the movements the snapshots imply, account by account
/// and month by month over the months the snapshots span, from the month of the earliest
/// snapshot date ([`Series::check_from`]; the first month has no MRR before it, as in the
/// report).
///
/// Amounts are compared in each account's own snapshot currency (revenue_movements has no
/// currency column), and each disagreement names that currency. An account whose paid
/// snapshots are in more than one currency cannot be compared that way: it is listed in
/// `several_currencies` and its movement rows are counted there, not checked. `reporting`
/// names the currency of snapshots with an empty `currency`.
pub(super) fn check_movements(
    series: &Series,
    movements: &Movements,
    policy: Reactivation,
    reporting: Option<&str>,
) -> MovementCheck {
    let movements_read = movements.rows.len() as u64;
    let (Some(first), Some(last), Some(from)) = (series.first, series.last, series.check_from)
    else {
        return MovementCheck {
            movements_read,
            outside_snapshots: movements_read,
            ..MovementCheck::default()
        };
    };
    let span = CheckSpan { first, from, last };
    let currencies = AccountCurrencies { series, reporting };
    let several: BTreeSet<&String> = series
        .currencies
        .keys()
        .filter(|a| currencies.resolved(a).len() > 1)
        .collect();
    let given = GivenTally::of(movements, span, &several);
    let implied = implied_movements(series, span, &several, policy);
    let (agreeing, disagreements) = compare(&given.by_month, &implied, &currencies);
    MovementCheck {
        movements_read,
        agreeing,
        outside_snapshots: given.outside,
        several_currencies: several.into_iter().cloned().collect(),
        not_checked_several_currencies: given.not_checked,
        disagreements,
        other_reading: None,
    }
}

/// The months a check spans: the series' first and last month, and the month it starts.
#[derive(Clone, Copy)]
struct CheckSpan {
    first: Month,
    from: Month,
    last: Month,
}

/// Each account's snapshot currencies, an empty code resolved to the reporting currency.
struct AccountCurrencies<'s> {
    series: &'s Series,
    reporting: Option<&'s str>,
}

impl<'s> AccountCurrencies<'s> {
    /// The account's currencies.
    fn resolved(&self, account: &str) -> BTreeSet<&'s str> {
        let reporting = self.reporting;
        self.series
            .currencies
            .get(account)
            .map_or_else(BTreeSet::new, |codes| {
                codes
                    .iter()
                    .map(|c| match c.as_str() {
                        "" => reporting.unwrap_or(""),
                        c => c,
                    })
                    .collect()
            })
    }

    /// The currency a disagreement's amounts are in (`None`: not named).
    fn currency_of(&self, account: &str) -> Option<String> {
        let codes = self.resolved(account);
        let code = codes.first().filter(|c| codes.len() == 1 && !c.is_empty());
        code.map(|c| c.to_string())
    }
}

/// The given movements combined per account-month, and the rows not checked.
struct GivenTally {
    by_month: BTreeMap<(String, Month), GivenMonth>,
    /// Rows outside the months the check spans.
    outside: u64,
    /// Rows of accounts in several currencies.
    not_checked: u64,
}

impl GivenTally {
    fn of(movements: &Movements, span: CheckSpan, several: &BTreeSet<&String>) -> GivenTally {
        let mut tally = GivenTally {
            by_month: BTreeMap::new(),
            outside: 0,
            not_checked: 0,
        };
        for g in &movements.rows {
            if g.month < span.from || g.month > span.last {
                tally.outside += 1;
                continue;
            }
            if several.contains(&g.account) {
                tally.not_checked += 1;
                continue;
            }
            let e = tally
                .by_month
                .entry((g.account.clone(), g.month))
                .or_default();
            if !e.kinds.contains(&g.kind) {
                e.kinds.push(g.kind);
            }
            e.change += g.change;
        }
        tally
    }
}

/// The movement the snapshots imply for every account-month that has one: its type and
/// signed amount.
fn implied_movements(
    series: &Series,
    span: CheckSpan,
    several: &BTreeSet<&String>,
    policy: Reactivation,
) -> BTreeMap<(String, Month), (&'static str, i128)> {
    let mut implied: BTreeMap<(String, Month), (&'static str, i128)> = BTreeMap::new();
    for (account, months) in &series.by_account {
        if several.contains(account) {
            continue;
        }
        let first_paid = months.iter().find(|(_, v)| **v > 0).map(|(m, _)| *m);
        let mut m = span.from;
        while m <= span.last {
            let at = |m: Month| months.get(&m).copied().unwrap_or(0);
            let prev = if m == span.first { 0 } else { at(m.plus(-1)) };
            let cur = at(m);
            let first_month = Some(m) == first_paid;
            // A return after months at zero counts under the reactivation rule in force, as
            // in the report (docs/policies.md#reactivation): the engine's rule.
            let start = (prev == 0 && cur > 0).then(|| {
                policy.start(first_month, || {
                    months
                        .range(..m)
                        .rev()
                        .find(|(_, v)| **v > 0)
                        .map_or(0, |(p, _)| m.index() - p.index() - 1)
                })
            });
            let classified = classify(prev, cur, cur, start == Some(Start::New)).0;
            let classified = match classified {
                Some((Movement::Reactivation, v)) if start == Some(Start::Expansion) => {
                    Some((Movement::Expansion, v))
                }
                c => c,
            };
            if let Some((mv, amount)) = classified {
                let signed = match mv {
                    Movement::Contraction | Movement::Churn => -amount,
                    _ => amount,
                };
                implied.insert((account.clone(), m), (mv.name(), signed));
            }
            m = m.plus(1);
        }
    }
    implied
}

/// The account-months where the given and implied movements agree (counted) or not
/// (listed, largest difference first).
fn compare(
    given: &BTreeMap<(String, Month), GivenMonth>,
    implied: &BTreeMap<(String, Month), (&'static str, i128)>,
    currencies: &AccountCurrencies<'_>,
) -> (u64, Vec<MovementDisagreement>) {
    let mut agreeing = 0;
    let mut disagreements = Vec::new();
    let mut keys: Vec<&(String, Month)> = given.keys().chain(implied.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let g = given.get(key);
        let i = implied.get(key);
        let agree = match (g, i) {
            (Some(g), Some((kind, amount))) => g.kinds == [*kind] && g.change == *amount,
            _ => false,
        };
        if agree {
            agreeing += 1;
            continue;
        }
        let given_change = g.map_or(0, |g| g.change);
        let implied_change = i.map_or(0, |i| i.1);
        disagreements.push((
            (given_change - implied_change).abs(),
            given_change.abs().max(implied_change.abs()),
            MovementDisagreement {
                account_id: key.0.clone(),
                currency: currencies.currency_of(&key.0),
                month: key.1,
                given_type: g.map(|g| g.kinds.join("+")),
                given_amount: g.map(|g| amount_text(g.change)),
                snapshot_type: i.map(|i| i.0.to_string()),
                snapshot_amount: i.map(|i| amount_text(i.1)),
                difference: amount_text(given_change - implied_change),
            },
        ));
    }
    // Largest first: by the size of the difference, then of the amounts; then account, month.
    disagreements.sort_by(|a, b| {
        (b.0, b.1)
            .cmp(&(a.0, a.1))
            .then_with(|| a.2.account_id.cmp(&b.2.account_id))
            .then_with(|| a.2.month.cmp(&b.2.month))
    });
    let disagreements = disagreements.into_iter().map(|d| d.2).collect();
    (agreeing, disagreements)
}
