//! Published NRR figures read by stage, and where a report's latest TTM NRR sits against them.
//!
//! The figures live in `crates/nrr-core/data/nrr_benchmarks.csv`, embedded at compile time (the
//! core reads no file at run time) and rendered as a table in `docs/benchmarks.md`. Every row
//! names the page that states it. [`context_for`] reads a report's own figures:
//!
//! - ARR = 12 x closing MRR of the last month of the window;
//! - the ARR band: the `[arr_min_usd, arr_max_usd)` range of the band figures that holds the ARR
//!   (lower bound inclusive, upper exclusive), picked only when the report is in USD, since the
//!   bands are in USD;
//! - the latest TTM NRR: the last `ttm` entry with an NRR;
//! - one comparison per applicable figure (the band's, then those for every size): `above`,
//!   `below`, `equal` or `within`, at the 6 decimals the NRR is reported with.
//!
//! The wording is context, not a grade: it says where the figure sits and what the published
//! figure is, never whether that is good or bad.

use crate::money::{div_round_half_even, format_scaled, grouped, Decimal, Money};
use crate::report::{BenchmarkComparison, BenchmarkContext, MonthRow, SegmentFigures, TtmRow};
use std::sync::OnceLock;

/// The data file, as embedded.
pub const DATA: &str = include_str!("../data/nrr_benchmarks.csv");

/// The data file's columns, in order.
pub const COLUMNS: [&str; 15] = [
    "id",
    "metric",
    "arr_min_usd",
    "arr_max_usd",
    "statistic",
    "value_low",
    "value_high",
    "population",
    "publisher",
    "source_title",
    "source_url",
    "verified",
    "phrase",
    "quote",
    "note",
];

/// The statistics a row may give.
pub const STATISTICS: [&str; 4] = ["top_quartile", "median", "range", "threshold"];

/// The note an unverified row must carry.
pub const UNVERIFIED_NOTE: &str =
    "as cited in the project's domain primer; original page not located";

/// One published figure (a row of the data file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figure {
    /// Stable identifier.
    pub id: String,
    /// Always `nrr` for now.
    pub metric: String,
    /// Lower ARR bound in USD, inclusive; `None` with `arr_max_usd` `None` means every size.
    pub arr_min_usd: Option<u64>,
    /// Upper ARR bound in USD, exclusive; `None` = unbounded.
    pub arr_max_usd: Option<u64>,
    /// One of [`STATISTICS`].
    pub statistic: String,
    /// Percent as published (`94`), or a range's low end.
    pub value_low: String,
    /// A range's high end.
    pub value_high: Option<String>,
    /// Who the figure describes.
    pub population: String,
    /// Who published it.
    pub publisher: String,
    /// Title of the page that states it.
    pub source_title: String,
    /// Address of that page.
    pub source_url: String,
    /// `false` when that page was not located and the row rests on the domain primer.
    pub verified: bool,
    /// The figure in words, with `{value}` where the value goes.
    pub phrase: String,
    /// The source's own words.
    pub quote: String,
    /// Anything a reader should know about the source.
    pub note: String,
    /// `value_low` as a fraction in millionths (94% -> 940000).
    low_micro: i64,
    /// `value_high` likewise.
    high_micro: Option<i64>,
}

impl Figure {
    /// `true` when the figure is for an ARR band rather than every size.
    pub fn is_band(&self) -> bool {
        self.arr_min_usd.is_some() || self.arr_max_usd.is_some()
    }

    /// `true` when `arr` (exact, in USD) lies in `[arr_min_usd, arr_max_usd)`.
    pub fn band_holds(&self, arr: Money) -> bool {
        let at_least = |usd: u64| {
            i128::from(usd)
                .checked_mul(arr.denominator)
                .is_some_and(|v| arr.units >= v)
        };
        let below = |usd: u64| {
            i128::from(usd)
                .checked_mul(arr.denominator)
                .is_none_or(|v| arr.units < v)
        };
        self.is_band()
            && at_least(self.arr_min_usd.unwrap_or(0))
            && self.arr_max_usd.is_none_or(below)
    }

    /// The band as text: `$1M-$3M`, `$0-$300k`, `$30M+`; `all sizes` for the rest.
    pub fn band_label(&self) -> String {
        match (self.arr_min_usd, self.arr_max_usd) {
            (None, None) => "all sizes".to_string(),
            (min, None) => format!("{}+", usd_short(min.unwrap_or(0))),
            (min, Some(max)) => format!("{}-{}", usd_short(min.unwrap_or(0)), usd_short(max)),
        }
    }

    /// The value as text: `94%`, `120-150%`.
    pub fn value_text(&self) -> String {
        value_text(&self.value_low, self.value_high.as_deref())
    }

    /// Where an NRR (a fraction in millionths) sits against the figure.
    pub fn relation(&self, nrr_micro: i64) -> &'static str {
        match self.high_micro {
            Some(high) if nrr_micro > high => "above",
            Some(_) if nrr_micro < self.low_micro => "below",
            Some(_) => "within",
            None => match nrr_micro.cmp(&self.low_micro) {
                std::cmp::Ordering::Greater => "above",
                std::cmp::Ordering::Less => "below",
                std::cmp::Ordering::Equal => "equal",
            },
        }
    }
}

/// A published value as text, from its low end and a range's high end: `94%`, `120-150%`.
pub fn value_text(low: &str, high: Option<&str>) -> String {
    match high {
        Some(h) => format!("{low}-{h}%"),
        None => format!("{low}%"),
    }
}

/// The embedded figures, parsed once.
pub fn figures() -> &'static [Figure] {
    static FIGURES: OnceLock<Vec<Figure>> = OnceLock::new();
    FIGURES.get_or_init(|| {
        parse(DATA).unwrap_or_else(|e| panic!("nrr_benchmarks.csv (a unit test checks it): {e}"))
    })
}

/// Parses and checks a benchmarks file: the exact [`COLUMNS`] header, unique ids, a source
/// title and address on every row, exact percent values, ranges with both ends and a note on
/// every unverified row.
pub fn parse(text: &str) -> Result<Vec<Figure>, String> {
    let records = split_csv(text)?;
    let (header, rows) = records.split_first().ok_or("the file is empty")?;
    if header.iter().map(String::as_str).ne(COLUMNS) {
        return Err(format!("header must be `{}`", COLUMNS.join(",")));
    }
    let mut out: Vec<Figure> = Vec::with_capacity(rows.len());
    for (i, fields) in rows.iter().enumerate() {
        let row = Row {
            fields,
            line: i + 2,
        };
        let figure = row.figure(&out)?;
        out.push(figure);
    }
    Ok(out)
}

/// One data row of the figures file while it is checked.
struct Row<'a> {
    fields: &'a [String],
    /// 1-based line in the file.
    line: usize,
}

impl Row<'_> {
    fn err(&self, m: String) -> String {
        format!("line {}: {m}", self.line)
    }

    /// Column `name`'s value, trimmed.
    fn field(&self, name: &str) -> String {
        let k = COLUMNS.iter().position(|c| *c == name).expect("a column");
        self.fields[k].trim().to_string()
    }

    fn required(&self, name: &str) -> Result<String, String> {
        let v = self.field(name);
        if v.is_empty() {
            Err(self.err(format!("`{name}` is empty")))
        } else {
            Ok(v)
        }
    }

    /// A whole number of dollars, or nothing.
    fn usd(&self, name: &str) -> Result<Option<u64>, String> {
        let v = self.field(name);
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<u64>()
            .map(Some)
            .map_err(|_| self.err(format!("`{name}` = `{v}` is not a whole number of dollars")))
    }

    fn percent(&self, name: &str, v: &str) -> Result<i64, String> {
        percent_micro(v).ok_or_else(|| {
            self.err(format!(
                "`{name}` = `{v}` is not a percent (up to 4 decimals)"
            ))
        })
    }

    /// The row as a figure, checked in column order (`seen`: the rows before it).
    fn figure(&self, seen: &[Figure]) -> Result<Figure, String> {
        let err = |m: String| self.err(m);
        if self.fields.len() != COLUMNS.len() {
            return Err(err(format!(
                "{} fields, expected {}",
                self.fields.len(),
                COLUMNS.len()
            )));
        }
        let id = self.required("id")?;
        if seen.iter().any(|o| o.id == id) {
            return Err(err(format!("id `{id}` appears twice")));
        }
        let metric = self.required("metric")?;
        if metric != "nrr" {
            return Err(err(format!("metric `{metric}`: only `nrr` is known")));
        }
        let (arr_min_usd, arr_max_usd) = (self.usd("arr_min_usd")?, self.usd("arr_max_usd")?);
        if let (Some(lo), Some(hi)) = (arr_min_usd, arr_max_usd) {
            if lo >= hi {
                return Err(err(format!("ARR band {lo}..{hi} is empty")));
            }
        }
        let statistic = self.required("statistic")?;
        let value = self.value(&statistic)?;
        let source_url = self.required("source_url")?;
        if !source_url.starts_with("https://") && !source_url.starts_with("http://") {
            return Err(err(format!(
                "source_url `{source_url}` is not a web address"
            )));
        }
        let verified = match self.field("verified").as_str() {
            "true" => true,
            "false" => false,
            v => return Err(err(format!("verified `{v}`: expected true or false"))),
        };
        let note = self.field("note");
        if !verified && !note.contains(UNVERIFIED_NOTE) {
            return Err(err(format!(
                "an unverified row's note must say `{UNVERIFIED_NOTE}`"
            )));
        }
        let phrase = self.required("phrase")?;
        if !phrase.contains("{value}") {
            return Err(err("phrase has no `{value}`".into()));
        }
        Ok(Figure {
            id,
            metric,
            arr_min_usd,
            arr_max_usd,
            statistic,
            value_low: value.low,
            value_high: value.high,
            population: self.required("population")?,
            publisher: self.required("publisher")?,
            source_title: self.required("source_title")?,
            source_url,
            verified,
            phrase,
            quote: self.field("quote"),
            note,
            low_micro: value.low_micro,
            high_micro: value.high_micro,
        })
    }

    /// The row's value of `statistic`: a low value, and a high one only for a range.
    fn value(&self, statistic: &str) -> Result<Value, String> {
        let err = |m: String| self.err(m);
        if !STATISTICS.contains(&statistic) {
            return Err(err(format!(
                "statistic `{statistic}`: expected one of {}",
                STATISTICS.join(", ")
            )));
        }
        let low = self.required("value_low")?;
        let low_micro = self.percent("value_low", &low)?;
        let high = Some(self.field("value_high")).filter(|v| !v.is_empty());
        let high_micro = match &high {
            Some(v) => Some(self.percent("value_high", v)?),
            None => None,
        };
        match (statistic == "range", high_micro) {
            (true, Some(h)) if h > low_micro => {}
            (true, _) => return Err(err("a range needs value_high above value_low".into())),
            (false, Some(_)) => return Err(err(format!("a {statistic} takes no value_high"))),
            (false, None) => {}
        }
        Ok(Value {
            low,
            low_micro,
            high,
            high_micro,
        })
    }
}

/// A row's value as written and in millionths of a percent point.
struct Value {
    low: String,
    low_micro: i64,
    high: Option<String>,
    high_micro: Option<i64>,
}

/// The benchmark context (see the module documentation) from a report's currency and total
/// figures, before the report is assembled.
pub fn context_for(currency: &str, totals: &SegmentFigures) -> Option<BenchmarkContext> {
    build(figures(), currency, &totals.months, &totals.ttm)
}

/// The context against a given set of figures; `None` without months.
fn build(
    figures: &'static [Figure],
    currency: &str,
    months: &[MonthRow],
    ttm: &[TtmRow],
) -> Option<BenchmarkContext> {
    let last = months.last()?;
    let arr = Money {
        units: last.closing_mrr.units.checked_mul(12)?,
        denominator: last.closing_mrr.denominator,
    };
    let usd = currency == "USD";
    let band: Vec<&'static Figure> = figures
        .iter()
        .filter(|f| usd && f.band_holds(arr))
        .collect();
    let arr_band = band.first().map(|f| f.band_label());
    let all_sizes = figures.iter().filter(|f| !f.is_band());
    let latest = ttm
        .iter()
        .rev()
        .find_map(|t| t.retention.nrr.map(|n| (t.month, n)));

    let mut summary = format!(
        "ARR is {} {currency} (12 x {} closing MRR)",
        grouped(&arr.to_string()),
        last.month
    );
    match (&arr_band, usd) {
        (Some(b), _) => summary.push_str(&format!(", in the {b} band.")),
        (None, true) => {
            summary.push_str("; no published figure in docs/benchmarks.md covers that ARR.")
        }
        (None, false) => summary.push_str(&format!(
            "; the ARR bands are in USD and this report is in {currency}, so no band is picked."
        )),
    }
    let mut comparisons = Vec::new();
    match latest {
        None => summary.push_str(
            " There is no TTM NRR (that needs 13 months in the window and MRR twelve months \
             before the last one), so no comparison is made.",
        ),
        Some((month, nrr)) => {
            let micro = micro_of(nrr);
            summary.push_str(&format!(" TTM NRR to {month} is {}.", percent_text(micro)));
            let mut said = |fs: &[&'static Figure], lead: &str, summary: &mut String| {
                if fs.is_empty() {
                    return;
                }
                let parts: Vec<String> = fs
                    .iter()
                    .map(|f| {
                        let rel = f.relation(micro);
                        comparisons.push(comparison(f, rel));
                        format!(
                            "{} ({})",
                            f.phrase.replace("{value}", &f.value_text()),
                            relation_words(rel)
                        )
                    })
                    .collect();
                summary.push_str(&format!(" {lead}{}.", parts.join("; ")));
            };
            if let Some(b) = &arr_band {
                said(
                    &band,
                    &format!("For companies with {b} ARR, "),
                    &mut summary,
                );
            }
            let rest: Vec<&'static Figure> = all_sizes.collect();
            said(&rest, "For all sizes: ", &mut summary);
        }
    }
    Some(BenchmarkContext {
        arr,
        arr_month: last.month,
        arr_band,
        currency: currency.to_string(),
        ttm_month: latest.map(|(m, _)| m),
        ttm_nrr: latest.map(|(_, n)| n),
        comparisons,
        summary,
        exact: Default::default(),
    })
}

fn comparison(f: &'static Figure, relation: &'static str) -> BenchmarkComparison {
    BenchmarkComparison {
        id: &f.id,
        statistic: &f.statistic,
        value_low: &f.value_low,
        value_high: f.value_high.as_deref(),
        population: &f.population,
        publisher: &f.publisher,
        source_title: &f.source_title,
        source_url: &f.source_url,
        verified: f.verified,
        relation,
    }
}

fn relation_words(rel: &str) -> &'static str {
    match rel {
        "above" => "this NRR is above it",
        "below" => "this NRR is below it",
        "within" => "this NRR is within it",
        _ => "this NRR equals it",
    }
}

/// A reported ratio (6 decimals) as an integer count of millionths.
fn micro_of(ratio: f64) -> i64 {
    // The ratio is the shortest decimal form of a 6-decimal value, so this is exact.
    (ratio * 1_000_000.0).round() as i64
}

/// Millionths of a fraction as a percentage with one decimal, half-even: `657895` -> `65.8%`.
fn percent_text(micro: i64) -> String {
    format!(
        "{}%",
        format_scaled(div_round_half_even(i128::from(micro), 1000), 1)
    )
}

/// A percent with up to 4 decimals as a fraction in millionths (`94` -> `940000`).
fn percent_micro(s: &str) -> Option<i64> {
    let d = Decimal::parse(s, 4)?;
    if d.is_negative() {
        return None;
    }
    d.mantissa.checked_mul(10i64.pow(4 - d.decimals))
}

/// `3000000` -> `$3M`, `300000` -> `$300k`, `1500` -> `$1,500`.
fn usd_short(v: u64) -> String {
    if v >= 1_000_000 && v.is_multiple_of(1_000_000) {
        format!("${}M", v / 1_000_000)
    } else if v >= 1_000 && v.is_multiple_of(1_000) {
        format!("${}k", v / 1_000)
    } else {
        format!("${}", grouped(&v.to_string()))
    }
}

/// Splits RFC 4180 CSV into records: fields may be quoted, with `""` for a quote inside; a
/// trailing newline is optional. The core has no CSV dependency and the file is small.
fn split_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut line = 1;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, '"') => return Err(format!("line {line}: a quote inside an unquoted field")),
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                line += 1;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(format!("line {line}: a quoted field is not closed"));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests;
