//! The finance packet: the policies in force, the row ledger with every exclusion's amount,
//! the revenue_movements check, expansion and contraction by reason, and the customer-months
//! whose classification depends on a policy.

use super::{para, section, Ctx};
use crate::render::table::{grid, money};
use nrr_core::compare::{compare, CustomerMonthDiff, Side};
use nrr_core::engine::{compute, window, Options};
use nrr_core::money::Money;
use nrr_core::report::{
    ContractionByReason, ExcludedAmount, ExpansionByReason, MovementCheck, Policies, Reason,
    Retention, RowLedger, Setting,
};
use nrr_io::printable;
use serde::Serialize;
use std::fmt::Write;

/// The finance packet.
#[derive(Debug, Serialize)]
pub(in crate::cmd) struct Finance {
    /// The policies the input applied (the report's `policies`).
    pub policies: Policies,
    /// Every setting with its value and where it came from (the report's `settings`).
    pub settings: Vec<Setting>,
    /// The row ledger, every exclusion reason with its count and amount.
    pub ledger: Ledger,
    /// revenue_movements against subscription_snapshots, when the release has them.
    pub movement_check: Option<MovementCheck>,
    /// The period's frozen-cohort expansion and contraction, by reason.
    pub reasons: Reasons,
    /// For each other value of each policy the input applies: the customer-months of the
    /// period it would classify differently.
    pub policy_dependence: Vec<Alternative>,
}

/// The row ledger with amounts.
#[derive(Debug, Serialize)]
pub(in crate::cmd) struct Ledger {
    pub read: u64,
    pub used: u64,
    pub excluded: u64,
    pub rejected: u64,
    /// Every reason with rows excluded (and `one_time`, `zero_amount`, `zero_length` always).
    pub exclusions: Vec<Exclusion>,
}

/// One exclusion reason.
#[derive(Debug, Serialize)]
pub(in crate::cmd) struct Exclusion {
    /// The ledger's key (`one_time`).
    pub reason: &'static str,
    /// Rows excluded for it.
    pub rows: u64,
    /// The amounts those rows carry as written, per currency, with how many rows carry one
    /// (the report's `rows.excluded_amounts`); empty with no such row.
    pub amounts: Vec<ExcludedAmount>,
    /// Rows that carry no amount (a subscription_events row, a metered Stripe item): `rows`
    /// less the rows of `amounts`.
    pub without_amount: u64,
}

/// The period's expansion and contraction by reason (frozen cohort, at t0's rates).
#[derive(Debug, Serialize)]
pub(in crate::cmd) struct Reasons {
    pub expansion: Money,
    pub expansion_by_reason: ExpansionByReason,
    pub contraction: Money,
    pub contraction_by_reason: ContractionByReason,
}

/// One policy set to another value, all else as the release.
#[derive(Debug, Serialize)]
pub(in crate::cmd) struct Alternative {
    /// The policy's key in the report's `policies` (`reactivation`).
    pub policy: &'static str,
    /// Its value in force.
    pub in_force: String,
    /// The other value.
    pub alternative: String,
    /// Why the alternative could not be computed (the input refuses it), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Customer-months of the period whose month-end MRR, category or amount would differ.
    pub customer_months: u64,
    /// The largest of them (`--top`), largest first: `a` in force, `b` the alternative.
    pub changes: Vec<CustomerMonthDiff>,
    /// How many more are not listed.
    pub more: u64,
}

pub(super) fn packet(ctx: &Ctx, top: usize) -> anyhow::Result<Finance> {
    let r = &ctx.report;
    let ret = period_retention(ctx);
    Ok(Finance {
        policies: r.policies.clone(),
        settings: r.settings.clone(),
        ledger: ledger(&r.rows),
        movement_check: r.movement_check.clone(),
        reasons: Reasons {
            expansion: ret.expansion,
            expansion_by_reason: ret.expansion_by_reason.clone(),
            contraction: ret.contraction,
            contraction_by_reason: ret.contraction_by_reason.clone(),
        },
        policy_dependence: alternatives(ctx, top)?,
    })
}

/// The period's retention in the report (found when the context was built).
fn period_retention(ctx: &Ctx) -> &Retention {
    let p = &ctx.period;
    // Ctx::open found this period in this report.
    super::retention_at(&ctx.report.periods, &ctx.report.ttm, p.kind, p.start)
        .expect("the release's period is in its report")
}

/// The ledger with the amounts of the excluded rows, as the readers recorded them.
fn ledger(rows: &RowLedger) -> Ledger {
    let exclusions = Reason::ALL
        .into_iter()
        .zip(rows.excluded.fields())
        .enumerate()
        .filter(|(i, (_, (_, n)))| *i < 3 || *n > 0)
        .map(|(_, (reason, (key, n)))| Exclusion {
            reason: key,
            rows: n,
            amounts: rows.excluded_amounts.of(reason),
            without_amount: n.saturating_sub(rows.excluded_amounts.rows(reason)),
        })
        .collect();
    Ledger {
        read: rows.read,
        used: rows.used,
        excluded: rows.excluded.total(),
        rejected: rows.rejected,
        exclusions,
    }
}

/// The values each policy can take, as its flag writes them.
const CHOICES: [(&str, &str, &[&str]); 7] = [
    (
        "reactivation",
        "--reactivation",
        &["any-gap", "window:3", "as-expansion"],
    ),
    (
        "churn_recognition",
        "--churn-recognition",
        &["at-period-end", "at-cancellation", "at-request"],
    ),
    ("discounts", "--discounts", &["all", "none", "forever-only"]),
    ("past_due", "--past-due", &["keep:30", "keep", "churn"]),
    ("pauses", "--pauses", &["keep", "churn", "zero"]),
    ("full_refunds", "--full-refunds", &["ignore", "end-service"]),
    ("snapshot_date", "--snapshot-date", &["close", "open"]),
];

/// The value in force of a policy the input applies (`None`: it does not apply it).
fn in_force(p: &Policies, key: &str) -> Option<String> {
    let lifecycle = p.discounts.is_some();
    match key {
        "reactivation" => Some(p.reactivation.clone()),
        "churn_recognition" => lifecycle.then(|| p.churn_recognition.to_string()),
        "discounts" => p.discounts.clone(),
        "past_due" => p.past_due.clone(),
        "pauses" => p.pauses.clone(),
        "full_refunds" => p.full_refunds.clone(),
        "snapshot_date" => p.snapshot_date.clone(),
        _ => None,
    }
}

/// Every other value of every policy the input applies, computed with all else as the
/// release, compared customer-month by customer-month over the period.
fn alternatives(ctx: &Ctx, top: usize) -> anyhow::Result<Vec<Alternative>> {
    let ds = &ctx.loaded.dataset;
    let (from, to) = window(ds, &ctx.options)?;
    let base_opts = Options {
        from: Some(from),
        to: Some(to),
        ..ctx.options.clone()
    };
    let side_a = Side {
        label: "in force",
        dataset: ds,
        options: &base_opts,
        report: &ctx.report,
    };
    let mut out = Vec::new();
    for (key, flag, values) in CHOICES {
        let Some(current) = in_force(&ctx.report.policies, key) else {
            continue;
        };
        for &value in values.iter().filter(|&&v| v != current) {
            let mut alt = Alternative {
                policy: key,
                in_force: current.clone(),
                alternative: value.to_string(),
                error: None,
                customer_months: 0,
                changes: Vec::new(),
                more: 0,
            };
            match differences(ctx, &side_a, flag, value, (from, to)) {
                Ok(diffs) => {
                    alt.customer_months = diffs.len() as u64;
                    alt.more = diffs.len().saturating_sub(top) as u64;
                    alt.changes = diffs.into_iter().take(top).collect();
                }
                Err(e) => alt.error = Some(format!("{e:#}")),
            }
            out.push(alt);
        }
    }
    Ok(out)
}

/// The customer-months of the period that differ with `flag value` added to the release's
/// arguments, largest first.
fn differences(
    ctx: &Ctx,
    a: &Side<'_>,
    flag: &str,
    value: &str,
    (from, to): (nrr_core::date::Month, nrr_core::date::Month),
) -> anyhow::Result<Vec<CustomerMonthDiff>> {
    let mut argv = ctx.argv.clone();
    argv.extend([flag.into(), value.into()]);
    let mut args = crate::args::report_args(argv)?;
    // A flag wins over the file and the preset when marked given on the command line (as
    // `args::parse` marks it).
    let g = &mut args.data.given;
    match flag {
        "--reactivation" => g.reactivation = true,
        "--churn-recognition" => g.churn_recognition = true,
        "--discounts" => g.discounts = true,
        "--past-due" => g.past_due = true,
        "--pauses" => g.pauses = true,
        "--full-refunds" => g.full_refunds = true,
        _ => {}
    }
    let rs = crate::args::resolve::report(&args)?;
    let (loaded, skipped, bar) = crate::cmd::load(&rs.settings, false, false)?;
    drop(bar);
    let opts = Options {
        from: Some(from),
        to: Some(to),
        skipped_invalid_rows: skipped,
        ..rs.settings.options.clone()
    };
    let report = compute(&loaded.dataset, &opts)?;
    let b = Side {
        label: value,
        dataset: &loaded.dataset,
        options: &opts,
        report: &report,
    };
    // Every differing customer-month (at most one per customer and month of the window).
    let months = usize::try_from(to.index() - from.index() + 1).unwrap_or(1);
    let all = (a.dataset.customers.len() + loaded.dataset.customers.len())
        .saturating_mul(months)
        .clamp(1, usize::MAX / 8);
    let c = compare(a, &b, all)?;
    let p = &ctx.period;
    Ok(c.customer_months
        .into_iter()
        .filter(|d| d.month >= p.start && d.month <= p.end)
        .collect())
}

impl Finance {
    /// The packet as text: one section per part, in the packet's order.
    pub(super) fn text(&self, currency: &str) -> String {
        let mut s = String::new();
        self.policies_text(&mut s);
        self.ledger_text(&mut s);
        self.movement_check_text(&mut s);
        self.reasons_text(&mut s, currency);
        self.policy_dependence_text(&mut s);
        s
    }

    /// Appends "Policies in force": every policy the input applied, then every setting with
    /// its value and source.
    fn policies_text(&self, s: &mut String) {
        section(s, "Policies in force");
        let p = &self.policies;
        let mut pol = vec![
            format!("churn recognition {}", p.churn_recognition),
            format!("reactivation {}", p.reactivation),
            format!("fx {}", p.fx),
            format!("snapshot {}", p.snapshot),
        ];
        for (k, v) in [
            ("snapshot-date", &p.snapshot_date),
            ("discounts", &p.discounts),
            ("past-due", &p.past_due),
            ("pauses", &p.pauses),
            ("full-refunds", &p.full_refunds),
            ("preset", &p.preset),
        ] {
            if let Some(v) = v {
                pol.push(format!("{k} {v}"));
            }
        }
        para(s, &format!("policies: {}", pol.join(", ")));
        for x in &self.settings {
            para(
                s,
                &format!(
                    "  {} = {} ({})",
                    x.key,
                    printable(&x.value),
                    printable(&x.source)
                ),
            );
        }
    }

    /// Appends the row ledger: the counts, a table of exclusions with their amounts, and the
    /// notes on amounts.
    fn ledger_text(&self, s: &mut String) {
        section(
            s,
            "Row ledger (every input row: used, excluded or rejected)",
        );
        let l = &self.ledger;
        para(
            s,
            &format!(
                "{} read, {} used, {} excluded, {} rejected",
                l.read, l.used, l.excluded, l.rejected
            ),
        );
        let rows: Vec<Vec<String>> = l
            .exclusions
            .iter()
            .map(|e| {
                vec![
                    e.reason.to_string(),
                    e.rows.to_string(),
                    exclusion_amounts(e),
                ]
            })
            .collect();
        s.push_str(&grid(&["excluded: reason", "rows", "amount"], &rows));
        for e in l.exclusions.iter().filter(|e| e.without_amount > 0) {
            para(
                s,
                &format!(
                    "{}: {} of {} row(s) carry no amount (a subscription_events row, a metered Stripe item)",
                    e.reason, e.without_amount, e.rows
                ),
            );
        }
        para(
            s,
            "amount: the sum of the amounts the excluded rows carry as written, per currency, before any normalisation to a month (docs/cli.md, rows.excluded_amounts)",
        );
    }

    /// Appends the revenue_movements check, or why there is none.
    fn movement_check_text(&self, s: &mut String) {
        section(s, "revenue_movements check");
        match &self.movement_check {
            Some(c) => s.push_str(&crate::render::movements::section(
                c,
                crate::render::style(),
            )),
            None => para(
                s,
                "none: the release has no revenue_movements file beside subscription_snapshots",
            ),
        }
    }

    /// Appends the table of expansion and contraction by reason, in `currency`.
    fn reasons_text(&self, s: &mut String, currency: &str) {
        section(
            s,
            &format!("Expansion and contraction by reason, {currency} (frozen cohort)"),
        );
        let r = &self.reasons;
        let (e, c) = (&r.expansion_by_reason, &r.contraction_by_reason);
        let cell = |m: Option<Money>| m.map_or_else(|| "-".to_string(), money);
        let rows: Vec<Vec<String>> = [
            ("seats", Some(e.seats), Some(c.seats)),
            ("price", Some(e.price), Some(c.price)),
            ("plan", Some(e.plan), Some(c.plan)),
            ("cross_sell", Some(e.cross_sell), None),
            ("product_removed", None, Some(c.product_removed)),
            ("interval", Some(e.interval), Some(c.interval)),
            ("mixed", Some(e.mixed), Some(c.mixed)),
            ("total", Some(r.expansion), Some(r.contraction)),
        ]
        .into_iter()
        .map(|(k, x, y)| vec![k.to_string(), cell(x), cell(y)])
        .collect();
        s.push_str(&grid(&["reason", "expansion", "contraction"], &rows));
    }

    /// Appends the policy-dependent customers: each alternative value of a policy with the
    /// customer-months it changes.
    fn policy_dependence_text(&self, s: &mut String) {
        section(
            s,
            "Policy-dependent customers (each other value of a policy alone, in the period)",
        );
        if self.policy_dependence.is_empty() {
            para(s, "no policy with another value applies to this input");
        }
        for a in &self.policy_dependence {
            a.text(s);
        }
    }
}

/// An exclusion's amount cell: `0` with no row carrying one, else each currency's sum (`-`
/// for a sum too large to show).
fn exclusion_amounts(e: &Exclusion) -> String {
    if e.amounts.is_empty() {
        return "0".to_string();
    }
    e.amounts
        .iter()
        .map(|c| match &c.amount {
            Some(a) => format!("{} {}", nrr_core::money::grouped(a), printable(&c.currency)),
            None => format!("- {}", printable(&c.currency)),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Alternative {
    /// Appends this alternative: why it does not apply, or the number of customer-months it
    /// changes and a table of the largest.
    fn text(&self, s: &mut String) {
        let head = format!("{} {} -> {}", self.policy, self.in_force, self.alternative);
        if let Some(err) = &self.error {
            para(s, &format!("{head}: not applicable ({})", printable(err)));
            return;
        }
        if self.customer_months == 0 {
            para(s, &format!("{head}: no customer-month changes"));
            return;
        }
        para(
            s,
            &format!(
                "{head}: {} customer-month{} change",
                self.customer_months,
                if self.customer_months == 1 { "" } else { "s" }
            ),
        );
        let side = |m: &nrr_core::compare::SideMonth| match m.movement {
            Some(mv) => format!("{} {}", mv.name(), money(m.amount)),
            None => "no movement".to_string(),
        };
        let rows: Vec<Vec<String>> = self
            .changes
            .iter()
            .map(|d| {
                vec![
                    id_cell(&d.customer_id),
                    d.month.to_string(),
                    side(&d.a),
                    side(&d.b),
                    money(d.difference),
                ]
            })
            .collect();
        s.push_str(&grid(
            &["customer", "month", "in force", "alternative", "difference"],
            &rows,
        ));
        if self.more > 0 {
            let _ = writeln!(
                s,
                "  ... and {} more (--top N lists more; --format json)",
                self.more
            );
        }
    }
}

/// Longest customer id in a table cell; JSON has it whole.
const ID_WIDTH: usize = 40;

/// A customer id cut to [`ID_WIDTH`] characters (the grid escapes control characters).
pub(super) fn id_cell(id: &str) -> String {
    let shown = printable(id);
    if shown.chars().count() > ID_WIDTH {
        shown.chars().take(ID_WIDTH - 3).collect::<String>() + "..."
    } else {
        shown.into_owned()
    }
}
