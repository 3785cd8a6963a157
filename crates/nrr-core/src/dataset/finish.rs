//! [`DatasetBuilder::finish`]: the reporting currency, the rates into it, the exact scale,
//! the amounts as MRR units and the customers as one set.

use super::ids::merge_ids;
use super::*;
use crate::money::{lcm, Scale};
use crate::CoreError;

/// The code amounts are reported in when the data names no currency at all (ISO 4217's "no
/// currency").
pub const NO_CURRENCY: &str = "XXX";

/// The reporting currency of a dataset, as [`DatasetBuilder::reporting`] decides it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reporting {
    /// A currency: the one chosen, else the only one the lines use.
    Code(String),
    /// Neither a choice nor a line names a currency: amounts are reported in [`NO_CURRENCY`].
    Unnamed,
}

impl Reporting {
    /// The code amounts are reported in.
    pub fn code(&self) -> &str {
        match self {
            Reporting::Code(c) => c,
            Reporting::Unnamed => NO_CURRENCY,
        }
    }

    /// The currency, when one is named.
    pub fn named(&self) -> Option<&str> {
        match self {
            Reporting::Code(c) => Some(c),
            Reporting::Unnamed => None,
        }
    }
}

impl DatasetBuilder {
    /// The reporting-currency rule: `chosen` (the user's choice), else the only currency the
    /// lines use (an empty code is the reporting currency itself); an error when they use
    /// several. The load pipeline decides it once and hands it to [`DatasetBuilder::finish`].
    pub fn reporting(&self, chosen: Option<&str>) -> Result<Reporting, CoreError> {
        if let Some(c) = chosen {
            return Ok(Reporting::Code(c.to_string()));
        }
        let mut used = self.line_currencies();
        match used.len() {
            0 => Ok(Reporting::Unnamed),
            1 => Ok(Reporting::Code(used.remove(0))),
            _ => Err(CoreError::AmbiguousCurrency { found: used }),
        }
    }

    /// Fixes the reporting currency (`reporting`, as [`DatasetBuilder::reporting`] decided
    /// it) and the exact scale, converting amounts to MRR units.
    pub fn finish(mut self, reporting: &Reporting) -> Result<Dataset, CoreError> {
        self.ledger.excluded_amounts.name_unnamed(reporting.code());
        let reporting = self.reporting_id(reporting.code());
        let (rate_decimals, fx) = self.rates_into(reporting)?;
        let scale = self.scale(rate_decimals)?;
        let total = self.convert_amounts(&scale)?;
        self.check_total(total, &scale, &fx)?;
        let default_window = self.default_window();
        let customers = self.final_customers();
        if let Some(n) = spells_inside_one_month(&self.lines, &customers) {
            self.notices.push(n);
        }
        let mut pauses = std::mem::take(&mut self.pauses);
        pauses.retain(|p| p.start < p.end);
        pauses.sort_by_key(|p| (p.customer, p.start));
        Ok(Dataset {
            customers,
            currencies: self.currencies,
            labels: self.labels,
            reporting,
            lines: self.lines,
            scale,
            fx,
            ledger: self.ledger,
            files: self.files,
            default_window,
            pauses,
            usage: self.usage.into_iter().map(|(u, _)| u).collect(),
            usage_notes: self.usage_notes,
            usage_known: self.usage_known,
            notices: self.notices,
            as_of: self.as_of,
            kind: self.kind,
        })
    }

    /// The reporting currency's id; lines and usage without a currency are put in it.
    fn reporting_id(&mut self, code: &str) -> u16 {
        let reporting = self.currency_id(code);
        // Lines with an empty currency are in the reporting currency.
        if let Some(&empty) = self.currency_ids.get("") {
            for c in &mut self.lines.currency {
                if *c == empty {
                    *c = reporting;
                }
            }
            for (u, _) in &mut self.usage {
                if u.currency == empty {
                    u.currency = reporting;
                }
            }
        }
        reporting
    }

    /// The rates into `reporting` of every currency the data holds amounts in, with the
    /// decimals they need.
    fn rates_into(&self, reporting: u16) -> Result<(u32, FxRates), CoreError> {
        let mut needed = vec![false; self.currencies.len()];
        for c in self
            .lines
            .currency
            .iter()
            .chain(self.usage.iter().map(|(u, _)| &u.currency))
        {
            needed[usize::from(*c)] = true;
        }
        let needed: Vec<u16> = (0..needed.len() as u16)
            .filter(|&c| needed[usize::from(c)] && c != reporting)
            .collect();
        crate::fx::into_reporting(&crate::fx::FxInput {
            rows: &self.fx,
            currencies: &self.currencies,
            reporting,
            needed: &needed,
            file: self.fx_file.as_deref(),
        })
    }

    /// The exact scale of the amounts' decimals, the intervals and `rate_decimals`.
    fn scale(&self, rate_decimals: u32) -> Result<Scale, CoreError> {
        let amount_decimals = self.decimals.iter().copied().max().unwrap_or(0) as u32;
        let mut interval_lcm = 1u64;
        // Intervals are few (1, 3, 12, ...): a short list of those seen, checked cheaply.
        let mut seen: Vec<u32> = Vec::new();
        for &i in &self.lines.interval {
            if !seen.contains(&i) {
                seen.push(i);
                interval_lcm =
                    lcm(interval_lcm, u64::from(i)).ok_or(CoreError::PrecisionOverflow)?;
            }
        }
        // The denominator itself must fit comfortably.
        10i128
            .checked_pow(amount_decimals + rate_decimals)
            .and_then(|p| p.checked_mul(i128::from(interval_lcm)))
            .ok_or(CoreError::PrecisionOverflow)?;
        Ok(Scale {
            amount_decimals,
            interval_lcm,
            rate_decimals,
        })
    }

    /// Every line's amount as MRR in units of `scale` (`lines.mrr`); returns their total.
    fn convert_amounts(&mut self, scale: &Scale) -> Result<i128, CoreError> {
        use rayon::prelude::*;
        let (amount_decimals, interval_lcm) = (scale.amount_decimals, scale.interval_lcm);
        let mrr: Vec<i64> = (0..self.mantissa.len())
            .into_par_iter()
            .with_min_len(1 << 16)
            .map(|i| {
                let up = 10i64.pow(amount_decimals - u32::from(self.decimals[i]));
                let per = (interval_lcm / u64::from(self.lines.interval[i])) as i64;
                self.mantissa[i]
                    .checked_mul(up)
                    .and_then(|v| v.checked_mul(per))
                    .ok_or(i)
            })
            .collect::<Result<_, usize>>()
            .map_err(|i| CoreError::AmountOverflow {
                at: self.position(i),
                amount: self.amount_text(i),
                interval_lcm,
            })?;
        let total: i128 = mrr.par_iter().map(|&v| i128::from(v)).sum();
        self.lines.mrr = mrr;
        Ok(total)
    }

    /// Refuses data whose `total` MRR at the largest rate could overflow the engine's sums.
    fn check_total(&self, total: i128, scale: &Scale, fx: &FxRates) -> Result<(), CoreError> {
        let max_rate: i128 = fx
            .by_currency
            .iter()
            .flatten()
            .map(|r| i128::from(r.1))
            .fold(scale.rate_one(), i128::max);
        // Every aggregate is a sum of at most 12 months of at most 2x the total converted
        // MRR, so this bound makes unchecked arithmetic in the engine safe; the further 128
        // leaves room for the shown figures' cents (foot: x 100).
        if total
            .checked_mul(max_rate)
            .and_then(|v| v.checked_mul(64 * 128))
            .is_none()
        {
            let largest = (0..self.lines.mrr.len())
                .max_by_key(|&i| self.lines.mrr[i])
                .map_or_else(String::new, |i| {
                    format!("{}: {}", self.position(i), self.amount_text(i))
                });
            return Err(CoreError::TotalOverflow { largest });
        }
        Ok(())
    }

    /// The customer ids of every reader's part as one set, merged by the customer map
    /// (lines and pauses renumbered to it).
    fn final_customers(&mut self) -> Ids {
        let customers = if self.segments.is_empty() {
            std::mem::take(&mut self.customers)
        } else {
            let mut segments = std::mem::take(&mut self.segments);
            segments.push(std::mem::take(&mut self.customers));
            let (ids, dense) = Ids::unify(segments);
            use rayon::prelude::*;
            self.lines
                .customer
                .par_iter_mut()
                .for_each(|c| *c = dense[*c as usize]);
            for p in &mut self.pauses {
                p.customer = dense[p.customer as usize];
            }
            ids
        };
        match self.customer_map.take() {
            Some(map) => {
                let (ids, mapped) = merge_ids(customers, &map, &mut self.lines, &mut self.pauses);
                self.ledger.mapped = Some(mapped);
                ids
            }
            None => customers,
        }
    }
}

/// Says how many revenue spells (a customer's time with a line in force, lines that touch or
/// overlap joined) start and end inside one calendar month: no month-end MRR holds them, so
/// that revenue is in no figure (docs/metrics.md §5), which a reader should not have to find
/// out alone. Only customers with a line inside one month are looked at, so the usual input
/// costs one pass over the lines.
fn spells_inside_one_month(lines: &Lines, customers: &Ids) -> Option<String> {
    let inside = |i: usize| {
        lines.start[i] == lines.end[i] && lines.end_date[i].is_some_and(|e| e > lines.start_date[i])
    };
    let mut suspect = vec![false; customers.len()];
    let mut any = false;
    for i in (0..lines.len()).filter(|&i| inside(i)) {
        suspect[lines.customer[i] as usize] = true;
        any = true;
    }
    if !any {
        return None;
    }
    // (customer, start, end or far future, line) of every line of those customers.
    let far = Date::from_days(i32::MAX / 2);
    let mut spans: Vec<(u32, Date, Date, usize)> = (0..lines.len())
        .filter(|&i| suspect[lines.customer[i] as usize])
        .map(|i| {
            let end = lines.end_date[i].unwrap_or(far);
            (lines.customer[i], lines.start_date[i], end, i)
        })
        .collect();
    spans.sort_unstable();
    let mut count = 0u64;
    let mut first: Option<(u32, Date, Date, usize)> = None;
    let mut k = 0;
    while k < spans.len() {
        let (c, start, mut end, line) = spans[k];
        k += 1;
        while k < spans.len() && spans[k].0 == c && spans[k].1 <= end {
            end = end.max(spans[k].2);
            k += 1;
        }
        if end != far && start.month() == end.month() {
            count += 1;
            // The example: the earliest such spell, ties to the smaller id, so that the row
            // order of the input does not change it.
            let key = |x: &(u32, Date, Date, usize)| (x.1, customers.get(x.0 as usize));
            let this = (c, start, end, line);
            if first.is_none_or(|f| key(&this) < key(&f)) {
                first = Some(this);
            }
        }
    }
    let (c, start, end, _) = first?;
    Some(format!(
        "{count} revenue spell(s) start and end inside one calendar month (the first: customer \
         {}, {start} to {end}; nrr explain shows its lines), so no month-end MRR holds them and \
         that revenue is in no figure (docs/metrics.md §5)",
        customers.get(c as usize),
    ))
}
