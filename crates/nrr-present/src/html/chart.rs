//! Charts as inline SVG, written from the report's figures: stacked bars with a line, lines,
//! and a waterfall. Amounts are integer cents (the shown, footed figures), so a bar's height
//! and its tooltip come from the same number the tables and the JSON show.

use super::escape::text;
use super::fmt::{cents, percent};
use std::fmt::Write;

/// Plot area inside the SVG's view box.
const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 46.0;

/// One stacked series: a movement, above zero (`sign` 1) or below (-1).
pub(crate) struct Series {
    /// The movement's name, as the JSON key (`new`, `churn`, ...): its class and drill key.
    pub(crate) name: &'static str,
    /// What the legend says.
    pub(crate) label: &'static str,
    /// 1: stacked above zero; -1: below (the value is a positive magnitude).
    pub(crate) sign: i8,
    /// Cents per x position.
    pub(crate) values: Vec<i128>,
}

/// A chart's x axis: one label per position, and notes at some positions.
pub(crate) struct Axis<'a> {
    /// Period labels (`2024-03`, `2024-Q1`).
    pub(crate) labels: &'a [String],
    /// Notes per position (shown as a marker under the axis with the notes as its tooltip).
    pub(crate) notes: &'a [Vec<String>],
}

/// A y scale from `lo` to `hi` with round ticks.
struct Scale {
    lo: f64,
    hi: f64,
    step: f64,
}

impl Scale {
    fn new(lo: f64, hi: f64) -> Scale {
        let (lo, hi) = if (hi - lo).abs() < f64::EPSILON {
            (lo - 1.0, hi + 1.0)
        } else {
            (lo, hi)
        };
        let raw = (hi - lo) / 5.0;
        let mag = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 2.5, 5.0, 10.0]
            .iter()
            .map(|m| m * mag)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * mag);
        Scale {
            lo: (lo / step).floor() * step,
            hi: (hi / step).ceil() * step,
            step,
        }
    }

    fn y(&self, v: f64) -> f64 {
        TOP + (self.hi - v) / (self.hi - self.lo) * (HEIGHT - TOP - BOTTOM)
    }

    fn ticks(&self) -> Vec<f64> {
        let n = ((self.hi - self.lo) / self.step).round() as i64;
        (0..=n).map(|i| self.lo + i as f64 * self.step).collect()
    }
}

/// The x position of slot `i` of `n` (its left edge) and the slot width.
fn slot(i: usize, n: usize) -> (f64, f64) {
    let w = (WIDTH - LEFT - RIGHT) / n.max(1) as f64;
    (LEFT + i as f64 * w, w)
}

fn open_svg(out: &mut String, id: &str, title: &str) {
    let _ = write!(
        out,
        "<svg id=\"{id}\" class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{}\">",
        text(title)
    );
}

/// Grid lines and y labels; `fmt` writes a tick's label.
fn y_axis(out: &mut String, scale: &Scale, fmt: &dyn Fn(f64) -> String) {
    for t in scale.ticks() {
        let y = scale.y(t);
        let _ = write!(
            out,
            "<line class=\"grid{}\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            if t == 0.0 { " zero" } else { "" },
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            text(&fmt(t))
        );
    }
}

/// X labels (thinned to fit) and note markers.
fn x_axis(out: &mut String, axis: &Axis<'_>) {
    let n = axis.labels.len();
    let every = n.div_ceil(18).max(1);
    for (i, label) in axis.labels.iter().enumerate() {
        let (x, w) = slot(i, n);
        let cx = x + w / 2.0;
        if i % every == 0 {
            let _ = write!(
                out,
                "<text class=\"tick\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                HEIGHT - BOTTOM + 16.0,
                text(label)
            );
        }
        if let Some(notes) = axis.notes.get(i).filter(|n| !n.is_empty()) {
            let y = HEIGHT - BOTTOM + 24.0;
            let _ = write!(
                out,
                "<path class=\"note-marker\" d=\"M{:.1} {y:.1} l5 9 h-10 z\"><title>{}: {}</title></path>",
                cx,
                text(label),
                text(&notes.join(" | "))
            );
        }
    }
}

/// Stacked bars by position (above and below zero), an optional line (the net change), and
/// a drill key on every bar: `data-period` and `data-category`.
pub(crate) fn stacked(
    id: &str,
    title: &str,
    axis: &Axis<'_>,
    series: &[Series],
    line: Option<(&str, &[i128])>,
) -> String {
    let n = axis.labels.len();
    let mut hi = 0f64;
    let mut lo = 0f64;
    for i in 0..n {
        let up: i128 = series
            .iter()
            .filter(|s| s.sign > 0)
            .map(|s| s.values[i].max(0))
            .sum();
        let down: i128 = series
            .iter()
            .filter(|s| s.sign < 0)
            .map(|s| s.values[i].max(0))
            .sum();
        hi = hi.max(up as f64 / 100.0);
        lo = lo.min(-(down as f64) / 100.0);
    }
    if let Some((_, values)) = line {
        for v in values {
            hi = hi.max(*v as f64 / 100.0);
            lo = lo.min(*v as f64 / 100.0);
        }
    }
    let scale = Scale::new(lo, hi);
    let mut out = String::new();
    open_svg(&mut out, id, title);
    y_axis(&mut out, &scale, &|t| super::fmt::short_money(t));
    for i in 0..n {
        let (x, w) = slot(i, n);
        let (mut up, mut down) = (0f64, 0f64);
        for s in series {
            let v = s.values[i].max(0) as f64 / 100.0;
            if v == 0.0 {
                continue;
            }
            let (y0, y1) = if s.sign > 0 {
                up += v;
                (scale.y(up), scale.y(up - v))
            } else {
                down += v;
                (scale.y(-down + v), scale.y(-down))
            };
            let _ = write!(
                out,
                "<rect class=\"bar m-{name}\" x=\"{:.1}\" y=\"{y0:.1}\" width=\"{:.1}\" height=\"{:.1}\" data-period=\"{period}\" data-category=\"{name}\" data-v=\"{v}\" tabindex=\"0\"><title>{period} {label}: {shown}</title></rect>",
                x + w * 0.15,
                w * 0.7,
                (y1 - y0).max(0.5),
                name = s.name,
                period = text(&axis.labels[i]),
                label = s.label,
                v = cents(s.values[i]),
                shown = super::fmt::money_cents(s.values[i]),
            );
        }
    }
    if let Some((label, values)) = line {
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let (x, w) = slot(i, n);
                format!("{:.1},{:.1}", x + w / 2.0, scale.y(*v as f64 / 100.0))
            })
            .collect();
        let _ = write!(
            out,
            "<polyline class=\"net\" points=\"{}\"/>",
            points.join(" ")
        );
        for (i, v) in values.iter().enumerate() {
            let (x, w) = slot(i, n);
            let _ = write!(
                out,
                "<circle class=\"net-dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" data-v=\"{}\"><title>{} {label}: {}</title></circle>",
                x + w / 2.0,
                scale.y(*v as f64 / 100.0),
                cents(*v),
                text(&axis.labels[i]),
                super::fmt::money_cents(*v)
            );
        }
    }
    x_axis(&mut out, axis);
    out.push_str("</svg>");
    out
}

/// One line of a [`lines`] chart.
pub(crate) struct Line<'a> {
    /// Its class (`nrr`, `grr`).
    pub(crate) class: &'static str,
    /// What the legend and tooltips say.
    pub(crate) label: &'static str,
    /// Ratios per position (`None`: undefined there).
    pub(crate) values: &'a [Option<f64>],
}

/// Ratio lines over periods, with horizontal reference lines (label, ratio).
pub(crate) fn lines(
    id: &str,
    title: &str,
    axis: &Axis<'_>,
    series: &[Line<'_>],
    references: &[(String, f64)],
) -> String {
    let n = axis.labels.len();
    let all = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .chain(references.iter().map(|r| r.1));
    let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo > hi { (0.0, 1.0) } else { (lo, hi) };
    let scale = Scale::new(lo - 0.02, hi + 0.02);
    let mut out = String::new();
    open_svg(&mut out, id, title);
    y_axis(&mut out, &scale, &|t| format!("{:.0}%", t * 100.0));
    for (label, v) in references {
        let y = scale.y(*v);
        let _ = write!(
            out,
            "<line class=\"reference\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"><title>{}</title></line><text class=\"reference-label\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            text(label),
            WIDTH - RIGHT - 2.0,
            y - 3.0,
            text(label)
        );
    }
    for s in series {
        let mut d = String::new();
        let mut pen_down = false;
        for (i, v) in s.values.iter().enumerate() {
            let (x, w) = slot(i, n);
            match v {
                Some(v) => {
                    let _ = write!(
                        d,
                        "{}{:.1} {:.1} ",
                        if pen_down { "L" } else { "M" },
                        x + w / 2.0,
                        scale.y(*v)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let _ = write!(out, "<path class=\"line {}\" d=\"{}\"/>", s.class, d.trim());
        for (i, v) in s.values.iter().enumerate() {
            if let Some(v) = v {
                let (x, w) = slot(i, n);
                let _ = write!(
                    out,
                    "<circle class=\"dot {}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" data-v=\"{v}\"><title>{} {}: {}</title></circle>",
                    s.class,
                    x + w / 2.0,
                    scale.y(*v),
                    text(&axis.labels[i]),
                    s.label,
                    percent(Some(*v))
                );
            }
        }
    }
    x_axis(&mut out, axis);
    out.push_str("</svg>");
    out
}

/// One step of a waterfall: a named amount (cents) that floats from the running total, or a
/// balance drawn from zero.
pub(crate) struct Step {
    /// Its class and drill key (`opening`, `new`, ...).
    pub(crate) name: &'static str,
    /// What the axis says.
    pub(crate) label: &'static str,
    /// Cents: a balance, or a signed change.
    pub(crate) cents: i128,
    /// A balance (opening, closing) rather than a change.
    pub(crate) balance: bool,
}

/// A waterfall bridge of one period: opening, each movement floating, closing.
pub(crate) fn waterfall(id: &str, period: &str, steps: &[Step], drill: bool) -> String {
    let mut running = 0i128;
    let mut spans: Vec<(i128, i128)> = Vec::with_capacity(steps.len());
    for s in steps {
        let (a, b) = if s.balance {
            running = s.cents;
            (0, s.cents)
        } else {
            let from = running;
            running += s.cents;
            (from, running)
        };
        spans.push((a.min(b), a.max(b)));
    }
    // The levels the bridge passes through; when all are positive and the changes small
    // beside them, the axis starts below the lowest level (the balances are drawn from
    // there, and the axis labels say where), so that the movements can be seen.
    let levels = spans.iter().zip(steps).flat_map(|(s, st)| {
        if st.balance {
            vec![s.1]
        } else {
            vec![s.0, s.1]
        }
    });
    let (lo_level, hi_level) =
        levels.fold((i128::MAX, i128::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let base = if lo_level > 0 && lo_level != i128::MAX {
        (lo_level - 2 * (hi_level - lo_level)).max(0)
    } else {
        0
    };
    for ((a, _), st) in spans.iter_mut().zip(steps) {
        if st.balance {
            *a = base;
        }
    }
    let lo = spans.iter().map(|s| s.0).min().unwrap_or(0).min(base) as f64 / 100.0;
    let hi = spans.iter().map(|s| s.1).max().unwrap_or(0) as f64 / 100.0;
    let scale = Scale::new(lo, hi);
    let mut out = String::new();
    open_svg(&mut out, id, &format!("MRR bridge {period}"));
    y_axis(&mut out, &scale, &|t| super::fmt::short_money(t));
    let n = steps.len();
    for (i, (s, (a, b))) in steps.iter().zip(&spans).enumerate() {
        let (x, w) = slot(i, n);
        let y0 = scale.y(*b as f64 / 100.0);
        let y1 = scale.y(*a as f64 / 100.0);
        let drill_attr = if drill && !s.balance {
            format!(
                " data-period=\"{}\" data-category=\"{}\" tabindex=\"0\"",
                text(period),
                s.name
            )
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "<rect class=\"step m-{} {}\" x=\"{:.1}\" y=\"{y0:.1}\" width=\"{:.1}\" height=\"{:.1}\" data-v=\"{}\"{drill_attr}><title>{} {}: {}</title></rect>",
            s.name,
            if s.cents < 0 { "down" } else { "up" },
            x + w * 0.15,
            w * 0.7,
            (y1 - y0).max(0.5),
            cents(s.cents),
            text(period),
            s.label,
            super::fmt::money_cents(s.cents)
        );
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x + w / 2.0,
            HEIGHT - BOTTOM + 16.0,
            s.label
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        let s = Scale::new(-1234.0, 98765.0);
        assert!(s.lo <= -1234.0 && s.hi >= 98765.0);
        assert_eq!(s.step, 20000.0);
        assert!(s.ticks().contains(&0.0));
    }

    #[test]
    fn a_bar_carries_its_figure_and_drill_key() {
        let labels = vec!["2024-01".to_string(), "2024-02".to_string()];
        let notes = vec![vec![], vec!["<b>price rise</b>".to_string()]];
        let svg = stacked(
            "m",
            "t",
            &Axis {
                labels: &labels,
                notes: &notes,
            },
            &[Series {
                name: "new",
                label: "New",
                sign: 1,
                values: vec![12345, 0],
            }],
            Some(("Net change", &[12345, -500])),
        );
        assert!(svg.contains("data-period=\"2024-01\" data-category=\"new\" data-v=\"123.45\""));
        assert!(svg.contains("<title>2024-01 New: 123.45</title>"));
        assert!(svg.contains("&lt;b&gt;price rise&lt;/b&gt;"));
        assert!(svg.contains("data-v=\"-5.00\""));
    }
}
