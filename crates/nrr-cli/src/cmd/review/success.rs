//! The success packet: every account of the period's frozen cohort that churned or
//! contracted by more than `[review] churn_threshold`, largest first, with its explanation
//! and the sign-off notes that name it.

use super::finance::id_cell;
use super::{para, section, Ctx, Kind};
use crate::render::table::{explanation, grid, money};
use nrr_core::engine::{compute, Options};
use nrr_core::explain::Explanation;
use nrr_core::money::{format_scaled, Money};
use nrr_core::report::TopCustomer;
use nrr_io::printable;
use serde::Serialize;
use std::cmp::Ordering;
use std::fmt::Write;

/// The success packet.
#[derive(Debug, Serialize)]
pub(in crate::cmd) struct Success {
    /// `[review] churn_threshold`: accounts whose churn or contraction is above it are listed.
    pub churn_threshold: String,
    /// The frozen cohort's month (t0) and the period's last month (t1).
    pub t0: String,
    pub t1: String,
    /// The accounts above the threshold, largest first (ties: smaller id first).
    pub accounts: Vec<Account>,
    /// The period's churned and contracted accounts at or below the threshold: how many, and
    /// their churn and contraction in all.
    pub below_threshold: Below,
}

/// Accounts not listed.
#[derive(Debug, Serialize)]
pub(in crate::cmd) struct Below {
    pub accounts: u64,
    pub amount: Money,
}

/// One churned or contracted account.
#[derive(Debug, Serialize)]
pub(in crate::cmd) struct Account {
    pub customer_id: String,
    /// `churn` or `contraction`.
    pub movement: &'static str,
    /// Its part of the period's churn or contraction (at t0's rates).
    pub amount: Money,
    /// `awaiting a note`, or `noted` when a sign-off note names it.
    pub status: &'static str,
    /// The sign-off notes `CUSTOMER_ID: text` that name it.
    pub notes: Vec<AccountNote>,
    /// What `nrr explain` shows, its months cut to t0 to one month after the period.
    pub explanation: Explanation,
}

/// A sign-off note about one account.
#[derive(Debug, Serialize)]
pub(in crate::cmd) struct AccountNote {
    /// The role whose sign-off holds it.
    pub role: String,
    pub by: String,
    pub at: String,
    /// The note after `CUSTOMER_ID:`.
    pub text: String,
}

pub(super) fn packet(ctx: &Ctx) -> anyhow::Result<Success> {
    let ds = &ctx.loaded.dataset;
    let review = &ctx.rs.settings.review;
    let t = review.churn_threshold;
    let threshold = Money {
        units: i128::from(t.mantissa),
        denominator: 10i128.pow(t.decimals),
    };
    // Every churned and contracted customer of the period: the report's top lists, as long as
    // the customers.
    let opts = Options {
        top: ds.customers.len().max(1),
        ..ctx.options.clone()
    };
    let report = compute(ds, &opts)?;
    let p = &ctx.period;
    let top = match p.kind {
        Kind::Ttm => report
            .ttm
            .iter()
            .find(|r| r.month == p.end)
            .map(|r| r.top_customers.clone()),
        Kind::Period(g) => report
            .periods
            .iter()
            .find(|r| r.granularity == g && r.start_month == p.start)
            .map(|r| r.top_customers.clone()),
    }
    .unwrap_or_default();
    let mut listed: Vec<(&'static str, TopCustomer)> = Vec::new();
    let mut below = Below {
        accounts: 0,
        amount: ds.scale.money(0),
    };
    for (movement, list) in [("churn", top.churn), ("contraction", top.contraction)] {
        for c in list {
            if c.amount.cmp_exact(threshold) == Ordering::Greater {
                listed.push((movement, c));
            } else {
                below.accounts += 1;
                below.amount = Money {
                    units: below.amount.units + c.amount.units,
                    denominator: below.amount.denominator,
                };
            }
        }
    }
    listed.sort_by(|(_, x), (_, y)| {
        y.amount
            .cmp_exact(x.amount)
            .then_with(|| x.customer_id.cmp(&y.customer_id))
    });
    let ids: Vec<&str> = listed.iter().map(|(_, c)| c.customer_id.as_str()).collect();
    let mut explained = nrr_core::explain::explain_each(ds, &ctx.options, &ids)?;
    let notes = signoff_notes(ctx, &ids)?;
    let (from, to) = (p.t0(), p.end.plus(1));
    let accounts = listed
        .into_iter()
        .zip(explained.iter_mut())
        .map(|((movement, c), ex)| {
            nrr_core::explain::attach_notes(ex, &ctx.loaded.notes.notes);
            if let Some(m) = &ctx.loaded.customer_map {
                nrr_core::explain::attach_customer_map(ex, m);
            }
            ex.months.retain(|m| m.month >= from && m.month <= to);
            let notes: Vec<AccountNote> = notes
                .iter()
                .filter(|(id, _)| *id == c.customer_id)
                .map(|(_, n)| AccountNote {
                    role: n.role.clone(),
                    by: n.by.clone(),
                    at: n.at.clone(),
                    text: n.text.clone(),
                })
                .collect();
            Account {
                status: if notes.is_empty() {
                    "awaiting a note"
                } else {
                    "noted"
                },
                customer_id: c.customer_id,
                movement,
                amount: c.amount,
                notes,
                explanation: ex.clone(),
            }
        })
        .collect();
    Ok(Success {
        churn_threshold: format_scaled(i128::from(t.mantissa), t.decimals),
        t0: p.t0().to_string(),
        t1: p.end.to_string(),
        accounts,
        below_threshold: below,
    })
}

/// The notes of the release's sign-offs that name one of `ids` (`ID: text`; the longest id
/// that prefixes the note wins, so ids holding `:` are found too), with the id.
fn signoff_notes(ctx: &Ctx, ids: &[&str]) -> anyhow::Result<Vec<(String, AccountNote)>> {
    let mut out = Vec::new();
    for (role, s) in ctx.release.signoffs()? {
        for note in &s.notes {
            // A note names an id as it is, or as the packet shows it (`printable`: an id
            // with a control character cannot be typed into a note, its escaped form can).
            let mut named: Option<(&str, usize)> = None;
            for id in ids {
                let shown = printable(id);
                for form in [*id, &*shown] {
                    let names = note
                        .strip_prefix(form)
                        .is_some_and(|rest| rest.starts_with(':'));
                    if names && named.is_none_or(|(_, len)| form.len() > len) {
                        named = Some((id, form.len()));
                    }
                }
            }
            if let Some((id, len)) = named {
                out.push((
                    id.to_string(),
                    AccountNote {
                        role: role.clone(),
                        by: s.by.clone(),
                        at: s.at.clone(),
                        text: note[len + 1..].trim().to_string(),
                    },
                ));
            }
        }
    }
    Ok(out)
}

impl Success {
    pub(super) fn text(&self, currency: &str, release: &str) -> String {
        let mut s = String::new();
        section(
            &mut s,
            &format!(
                "Churned and contracted accounts above {} {currency}, largest first (frozen cohort: MRR at {} against {})",
                nrr_core::money::grouped(&self.churn_threshold),
                self.t0,
                self.t1
            ),
        );
        if self.accounts.is_empty() {
            para(&mut s, "none above the threshold");
        } else {
            let rows: Vec<Vec<String>> = self
                .accounts
                .iter()
                .map(|a| {
                    vec![
                        id_cell(&a.customer_id),
                        a.movement.to_string(),
                        money(a.amount),
                        a.status.to_string(),
                    ]
                })
                .collect();
            s.push_str(&grid(&["customer", "movement", "amount", "note"], &rows));
        }
        let b = &self.below_threshold;
        if b.accounts > 0 {
            para(
                &mut s,
                &format!(
                    "not listed: {} churned or contracted account{} at or below the threshold, {} in all",
                    b.accounts,
                    if b.accounts == 1 { "" } else { "s" },
                    money(b.amount)
                ),
            );
        }
        for a in &self.accounts {
            section(
                &mut s,
                &format!(
                    "{}: {} {} {currency}",
                    printable(&a.customer_id),
                    a.movement,
                    money(a.amount)
                ),
            );
            if a.notes.is_empty() {
                para(
                    &mut s,
                    &format!(
                        "awaiting a note (nrr signoff {} --role success --by NAME --note \"{}: ...\")",
                        printable(release),
                        printable(&a.customer_id)
                    ),
                );
            }
            for n in &a.notes {
                para(
                    &mut s,
                    &format!(
                        "note ({} sign-off by {}, {}): {}",
                        n.role,
                        printable(&n.by),
                        n.at,
                        printable(&n.text)
                    ),
                );
            }
            let _ = write!(s, "{}", explanation(&a.explanation, crate::render::style()));
        }
        s
    }
}
