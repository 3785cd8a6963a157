//! The reported window and the as-of date.

use super::Options;
use crate::dataset::{Dataset, SourceKind};
use crate::date::{Date, Month};
use crate::report::AsOf;
use crate::CoreError;

/// The date the report is as of: the one given, else the latest date the data shows as
/// past (the readers' own, such as the latest invoice_date or Stripe timestamp; for items,
/// the latest start_date or end_date not after today; for mrr.csv, the last day of its latest
/// month). `None` without data.
pub fn as_of(ds: &Dataset, opts: &Options) -> Option<AsOf> {
    if let Some(date) = opts.as_of {
        return Some(AsOf {
            date,
            source: "given".into(),
        });
    }
    if let Some((date, source)) = &ds.as_of {
        return Some(AsOf {
            date: *date,
            source: source.clone(),
        });
    }
    let l = &ds.lines;
    match ds.kind {
        SourceKind::Items => {
            let past = |d: &Date| opts.today.is_none_or(|t| *d <= t);
            let latest = l
                .start_date
                .iter()
                .chain(l.end_date.iter().flatten())
                .filter(|d| past(d))
                .max()?;
            Some(AsOf {
                date: *latest,
                source: if opts.today.is_some() {
                    "the latest start_date or end_date not after today".into()
                } else {
                    "the latest start_date or end_date".into()
                },
            })
        }
        SourceKind::Mrr => {
            let last = l.start_date.iter().max()?;
            Some(AsOf {
                date: last.month().last_day(),
                source: "the last day of the latest month".into(),
            })
        }
    }
}

/// The window from the options or the dataset's default. The default ends at the as-of month
/// (never after it) when the data shows an as-of date, else at the latest month a line starts
/// or ends in.
pub fn window(ds: &Dataset, opts: &Options) -> Result<(Month, Month), CoreError> {
    let default = ds.default_window;
    let from = opts
        .from
        .or(default.map(|w| w.0))
        .ok_or(CoreError::NoData)?;
    let as_of = as_of(ds, opts);
    let default_to = as_of
        .as_ref()
        .map(|a| a.date.month())
        .or(default.map(|w| w.1));
    let to = opts.to.or(default_to).unwrap_or(from);
    if from > to {
        return Err(CoreError::BadWindow { from, to });
    }
    let months = i64::from(to.index()) - i64::from(from.index()) + 1;
    if months > i64::from(MAX_WINDOW_MONTHS) {
        // Name the lines that stretch a default end of the window.
        let l = &ds.lines;
        let line_at = |pick: &dyn Fn(usize) -> bool| {
            (0..l.len()).find(|&i| pick(i)).map(|i| {
                let o = l.origin[i];
                let file = ds.files.get(usize::from(o.file)).map_or("", String::as_str);
                format!("{file}:{}", o.line)
            })
        };
        let mut cause = Vec::new();
        if opts.from.is_none() {
            if let Some(at) = line_at(&|i| l.start[i] == from) {
                cause.push(crate::Stretch::LineStarts { at, month: from });
            }
        }
        if opts.to.is_none() {
            let ends_at = |i: usize| {
                l.start[i] == to || (l.end[i] == to && l.end[i] != crate::dataset::OPEN_END)
            };
            // The default end is the as-of month: a line there, else where that date comes
            // from.
            if let Some(d) = opts.as_of {
                cause.push(crate::Stretch::AsOfGiven(d));
            } else if let Some(at) = line_at(&ends_at) {
                cause.push(crate::Stretch::LineRuns { at, month: to });
            } else if let Some(a) = &as_of {
                cause.push(crate::Stretch::AsOfFound {
                    date: a.date,
                    source: a.source.clone(),
                });
            }
        }
        return Err(CoreError::WindowTooLong {
            from,
            to,
            months,
            cause: (!cause.is_empty()).then_some(cause),
        });
    }
    Ok((from, to))
}

/// The longest window reported: 1,200 months (100 years). A longer one (a line dated
/// 9999-12-31 for "never", a year typed as 0024) is refused with the line that stretches it,
/// as its figures would need memory for every month of every customer.
pub const MAX_WINDOW_MONTHS: u32 = 1200;
