//! The cells and the grid: money and percent cells, ids safe in a cell, columns aligned
//! within the terminal width, notes beside rows, section headings.

use crate::render::Style;
use nrr_core::money::Money;
use nrr_io::printable;
use std::fmt::Write;

/// `1234567.891` -> `1,234,567.89`.
pub(crate) fn money(m: Money) -> String {
    nrr_core::money::grouped(&m.to_string())
}

/// A ratio as a percentage with one decimal, `-` when undefined.
pub(crate) fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

/// Lays out rows under headers: first column left-aligned, the rest right-aligned.
pub(crate) fn grid(headers: &[&str], rows: &[Vec<String>]) -> String {
    aligned(headers, rows, 1)
}

/// Like [`grid`], with every column left-aligned (for text such as addresses).
pub(super) fn left_grid(headers: &[&str], rows: &[Vec<String>]) -> String {
    aligned(headers, rows, usize::MAX)
}

/// Columns two spaces apart, each as wide as its widest cell; the first `left` columns
/// left-aligned, the rest right-aligned. Trailing spaces are trimmed. A table wider than the
/// output ([`crate::render::width`]) is cut into blocks of columns that fit, one under the other (a
/// blank line apart), each repeating the first column.
pub(super) fn aligned(headers: &[&str], rows: &[Vec<String>], left: usize) -> String {
    // Text from the data with its control characters escaped: a cell cannot break its line
    // or send the terminal a command.
    let headers: Vec<String> = headers.iter().map(|h| printable(h).into_owned()).collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| printable(c).into_owned()).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let blocks = column_blocks(&widths, crate::render::width());
    let mut out = String::new();
    for (b, cols) in blocks.iter().enumerate() {
        if b > 0 {
            out.push('\n');
        }
        let line = |out: &mut String, cells: &dyn Fn(usize) -> String| {
            let mut l = String::new();
            for (k, &i) in cols.iter().enumerate() {
                let c = cells(i);
                let pad = " ".repeat(widths[i].saturating_sub(c.chars().count()));
                if k > 0 {
                    l.push_str("  ");
                }
                if i >= left {
                    l.push_str(&pad);
                    l.push_str(&c);
                } else {
                    l.push_str(&c);
                    l.push_str(&pad);
                }
            }
            out.push_str(l.trim_end());
            out.push('\n');
        };
        line(&mut out, &|i| {
            headers.get(i).copied().unwrap_or("").to_string()
        });
        for r in &rows {
            line(&mut out, &|i| r.get(i).cloned().unwrap_or_default());
        }
    }
    out
}

/// The columns of each block: all of them when they fit `width`, else column 0 followed by
/// as many of the next columns as fit (at least one per block).
fn column_blocks(widths: &[usize], width: usize) -> Vec<Vec<usize>> {
    let total: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
    if total <= width || widths.len() <= 2 {
        return vec![(0..widths.len()).collect()];
    }
    let mut blocks = Vec::new();
    let mut cur = vec![0];
    let mut used = widths[0];
    for (i, &w) in widths.iter().enumerate().skip(1) {
        if cur.len() > 1 && used + 2 + w > width {
            blocks.push(std::mem::replace(&mut cur, vec![0]));
            used = widths[0];
        }
        cur.push(i);
        used += 2 + w;
    }
    blocks.push(cur);
    blocks
}

/// Appends each row's notes (from annotations.csv) after its line of a grid, so the "why"
/// travels beside the number without disturbing the alignment.
pub(super) fn with_notes(grid_text: String, notes: &[String]) -> String {
    if notes.iter().all(String::is_empty) {
        return grid_text;
    }
    // The rows are the last `notes.len()` lines: those of the last block when the grid is
    // cut into blocks.
    let lines: Vec<&str> = grid_text.lines().collect();
    let first_row = lines.len().saturating_sub(notes.len());
    let mut out = String::with_capacity(grid_text.len());
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        if let Some(n) = i
            .checked_sub(first_row)
            .and_then(|r| notes.get(r))
            .filter(|n| !n.is_empty())
        {
            out.push_str("  # ");
            out.push_str(&printable(n));
        }
        out.push('\n');
    }
    out
}

/// A section heading: a blank line, then the title (bold on a colour terminal).
pub(crate) fn heading(out: &mut String, style: Style, text: &str) {
    let text = printable(text);
    let text = crate::render::wrap(&text, crate::render::width(), "  ");
    let text = text.trim_end();
    if style.color {
        let _ = writeln!(out, "\n\x1b[1m{text}\x1b[0m");
    } else {
        let _ = writeln!(out, "\n{text}");
    }
}

/// Longest customer id shown in a table cell; longer ones are cut (JSON has them whole).
pub(super) const ID_WIDTH: usize = 40;

/// A customer id as typed by a user, safe in a table: control characters (a newline, an
/// escape code) and invisible formatting ones (a right-to-left override) written as escapes, and at most `max` characters (the last three `...` when
/// cut).
pub(super) fn id_cell_within(id: &str, max: usize) -> String {
    let mut out: String = id
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if nrr_io::is_unsafe_char(c) {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    if out.chars().count() > max {
        out = out.chars().take(max.saturating_sub(3)).collect::<String>() + "...";
    }
    out
}

/// [`id_cell_within`] at most [`ID_WIDTH`] characters.
pub(super) fn id_cell(id: &str) -> String {
    id_cell_within(id, ID_WIDTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_gets_thousands_separators() {
        let m = |u| Money {
            units: u,
            denominator: 100,
        };
        assert_eq!(money(m(123_456_789)), "1,234,567.89");
        assert_eq!(money(m(-100_000)), "-1,000.00");
        assert_eq!(money(m(99_999)), "999.99");
        assert_eq!(money(m(0)), "0.00");
    }

    #[test]
    fn grid_aligns_columns() {
        let g = grid(
            &["a", "bb"],
            &[
                vec!["xyz".into(), "1".into()],
                vec!["x".into(), "100".into()],
            ],
        );
        assert_eq!(g, "a     bb\nxyz    1\nx    100\n");
    }
}
