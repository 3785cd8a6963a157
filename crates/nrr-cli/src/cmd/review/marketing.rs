//! The marketing packet: for each segment cut of the release's configuration, the segment
//! values whose NRR or GRR moved by more than `[review] segment_shift_threshold` against the
//! previous period of the same kind and against the same period a year earlier.

use super::finance::id_cell;
use super::{para, retention_at, section, Ctx, Kind};
use crate::render::table::{grid, percent};
use nrr_core::date::Month;
use nrr_core::money::{format_scaled, Decimal};
use nrr_core::report::{Granularity, Retention, Segments};
use serde::Serialize;

/// The marketing packet.
#[derive(Debug, Serialize)]
pub(in crate::cmd) struct Marketing {
    /// `[review] segment_shift_threshold` (0.05: 5 points).
    pub segment_shift_threshold: String,
    /// The period compared with: the previous one of the same kind.
    pub previous: Comparison,
    /// The same period a year earlier.
    pub year_earlier: Comparison,
    /// One entry per segment cut, in the configuration's order (empty: no cut).
    pub cuts: Vec<Cut>,
}

/// A period compared with.
#[derive(Debug, Serialize)]
pub(in crate::cmd) struct Comparison {
    /// Its label (`2024-Q4`, `TTM-2024-11`).
    pub period: String,
    /// Whether the release's report holds it (it may lie before the window's start, or not be
    /// complete in it).
    pub available: bool,
}

/// One segment cut.
#[derive(Debug, Serialize)]
pub(in crate::cmd) struct Cut {
    /// The column (`segment`, `region`, `product`).
    pub column: String,
    /// Segment values with figures in the period.
    pub values: u64,
    /// The values whose NRR or GRR moved more than the threshold, one entry per value and
    /// metric that moved, in value order, NRR before GRR.
    pub shifts: Vec<Shift>,
    /// Values with an NRR in the period but none in either period compared with (new, or
    /// without starting MRR there): nothing to compare.
    pub not_comparable: Vec<String>,
}

/// One value's metric in the period and in the periods compared with.
#[derive(Debug, Serialize)]
pub(in crate::cmd) struct Shift {
    pub value: String,
    /// `nrr` or `grr`.
    pub metric: &'static str,
    /// In the release's period.
    pub now: Option<f64>,
    /// In the previous period, and `now` minus it (a fraction: 0.073 is 7.3 points).
    pub previous: Option<f64>,
    pub previous_change: Option<f64>,
    /// A year earlier, and `now` minus it.
    pub year_earlier: Option<f64>,
    pub year_earlier_change: Option<f64>,
}

pub(super) fn packet(ctx: &Ctx) -> Marketing {
    let t = ctx.rs.settings.review.segment_shift_threshold;
    let r = &ctx.report;
    let p = &ctx.period;
    let months = match p.kind {
        Kind::Ttm => 1,
        Kind::Period(Granularity::Month) => 1,
        Kind::Period(Granularity::Quarter) => 3,
        Kind::Period(Granularity::Year) => 12,
    };
    let prev_start = p.start.plus(-months);
    let year_start = p.start.plus(-12);
    let comparison = |start: Month| Comparison {
        period: label(p.kind, start, r.fiscal_year_start),
        available: retention_at(&r.periods, &r.ttm, p.kind, start).is_some(),
    };
    // `segment_cuts` holds every cut (`segments` repeats the first).
    let all: Vec<&Segments> = if r.segment_cuts.is_empty() {
        r.segments.iter().collect()
    } else {
        r.segment_cuts.iter().collect()
    };
    let cuts = all
        .into_iter()
        .map(|c| cut(c, p.kind, p.start, prev_start, year_start, t))
        .collect();
    Marketing {
        segment_shift_threshold: format_scaled(i128::from(t.mantissa), t.decimals),
        previous: comparison(prev_start),
        year_earlier: comparison(year_start),
        cuts,
    }
}

/// The label of the period of `kind` starting at `start`, as the report labels it.
fn label(kind: Kind, start: Month, fiscal_year_start: u32) -> String {
    let fiscal = fiscal_year_start.clamp(1, 12);
    let into_year = (start.number() + 12 - fiscal) % 12;
    let year = if fiscal == 1 {
        start.year().to_string()
    } else {
        format!("FY{}", start.plus(11 - into_year as i32).year())
    };
    match kind {
        Kind::Ttm => format!("TTM-{}", start.plus(11)),
        Kind::Period(Granularity::Month) => start.to_string(),
        Kind::Period(Granularity::Quarter) => format!("{year}-Q{}", into_year / 3 + 1),
        Kind::Period(Granularity::Year) => year,
    }
}

/// A metric of a retention row.
type Metric = fn(&Retention) -> Option<f64>;

/// A 6-decimal figure in millionths, exactly (the report rounds NRR and GRR to 6 decimals).
fn millionths(x: f64) -> i128 {
    (x * 1e6).round() as i128
}

/// `|a - b| > threshold`, exactly on the 6-decimal figures.
fn moved(a: i128, b: i128, t: Decimal) -> bool {
    // |a - b| / 10^6 > m / 10^d  <=>  |a - b| * 10^d > m * 10^6
    (a - b).abs() * 10i128.pow(t.decimals) > i128::from(t.mantissa) * 1_000_000
}

fn cut(c: &Segments, kind: Kind, start: Month, prev: Month, year: Month, t: Decimal) -> Cut {
    let mut shifts = Vec::new();
    let mut values = 0;
    let mut not_comparable = Vec::new();
    for (value, f) in &c.values {
        let at = |m: Month| retention_at(&f.periods, &f.ttm, kind, m);
        let Some(now) = at(start) else { continue };
        values += 1;
        let (p, y) = (at(prev), at(year));
        if now.nrr.is_some() && [p, y].iter().all(|o| o.and_then(|r| r.nrr).is_none()) {
            not_comparable.push(value.clone());
        }
        let metrics: [(&'static str, Metric); 2] = [("nrr", |r| r.nrr), ("grr", |r| r.grr)];
        for (metric, get) in metrics {
            let n = get(now);
            let change = |other: Option<&Retention>| -> (Option<f64>, Option<f64>, bool) {
                let o = other.and_then(get);
                match (n, o) {
                    (Some(n), Some(o)) => {
                        let d = millionths(n) - millionths(o);
                        (
                            Some(o),
                            Some(d as f64 / 1e6),
                            moved(millionths(n), millionths(o), t),
                        )
                    }
                    _ => (o, None, false),
                }
            };
            let (pv, pc, pm) = change(p);
            let (yv, yc, ym) = change(y);
            if pm || ym {
                shifts.push(Shift {
                    value: value.clone(),
                    metric,
                    now: n,
                    previous: pv,
                    previous_change: pc,
                    year_earlier: yv,
                    year_earlier_change: yc,
                });
            }
        }
    }
    Cut {
        column: c.column.clone(),
        values,
        shifts,
        not_comparable,
    }
}

/// A change as points (`+7.3 pts`), `-` when undefined.
fn points(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{:+.1} pts", v * 100.0))
}

impl Marketing {
    pub(super) fn text(&self) -> String {
        let mut s = String::new();
        let t = self.segment_shift_threshold.parse::<f64>().map_or_else(
            |_| self.segment_shift_threshold.clone(),
            |v| format!("{:.1}", v * 100.0),
        );
        section(
            &mut s,
            &format!(
                "Segment values whose NRR or GRR moved more than {t} points (against {} and {})",
                self.previous.period, self.year_earlier.period
            ),
        );
        for c in [&self.previous, &self.year_earlier] {
            if !c.available {
                para(
                    &mut s,
                    &format!(
                        "{} is outside the release's window (or not complete in it): no comparison with it",
                        c.period
                    ),
                );
            }
        }
        if self.previous.period == self.year_earlier.period {
            para(
                &mut s,
                "for a year, the previous period is the same period a year earlier",
            );
        }
        if self.cuts.is_empty() {
            para(
                &mut s,
                "the release has no segment cut (nrr.toml `segments`): nothing to compare",
            );
        }
        for c in &self.cuts {
            section(
                &mut s,
                &format!(
                    "by {} ({} value{})",
                    nrr_io::printable(&c.column),
                    c.values,
                    if c.values == 1 { "" } else { "s" }
                ),
            );
            if !c.not_comparable.is_empty() {
                let names: Vec<String> = c
                    .not_comparable
                    .iter()
                    .map(|v| {
                        if v.is_empty() {
                            "(no value)".to_string()
                        } else {
                            id_cell(v)
                        }
                    })
                    .collect();
                para(
                    &mut s,
                    &format!("no NRR to compare with for: {}", names.join(", ")),
                );
            }
            if c.shifts.is_empty() {
                para(&mut s, "no value moved more than the threshold");
                continue;
            }
            let rows: Vec<Vec<String>> = c
                .shifts
                .iter()
                .map(|x| {
                    vec![
                        id_cell(&x.value),
                        x.metric.to_uppercase(),
                        percent(x.now),
                        percent(x.previous),
                        points(x.previous_change),
                        percent(x.year_earlier),
                        points(x.year_earlier_change),
                    ]
                })
                .collect();
            let prev = self.previous.period.clone();
            let year = self.year_earlier.period.clone();
            s.push_str(&grid(
                &["value", "metric", "now", &prev, "change", &year, "change"],
                &rows,
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moved_is_strictly_more_than_the_threshold() {
        let t = Decimal {
            mantissa: 5,
            decimals: 2,
        };
        assert!(!moved(1_000_000, 950_000, t));
        assert!(moved(1_000_000, 949_999, t));
        assert!(moved(900_000, 950_001, t));
    }

    #[test]
    fn labels_follow_the_report() {
        let m = |s| Month::parse(s).expect("a month");
        let q = Kind::Period(Granularity::Quarter);
        assert_eq!(label(q, m("2024-10"), 1), "2024-Q4");
        assert_eq!(label(q, m("2024-07"), 7), "FY2025-Q1");
        assert_eq!(
            label(Kind::Period(Granularity::Year), m("2024-07"), 7),
            "FY2025"
        );
        assert_eq!(label(Kind::Ttm, m("2024-01"), 1), "TTM-2024-12");
    }
}
