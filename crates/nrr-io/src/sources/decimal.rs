//! Exact decimal arithmetic on amounts as written (shared by the invoice, Stripe and refund
//! readers).

use nrr_core::money::Decimal;

/// Both values with the same number of decimals.
pub(crate) fn align(a: Decimal, b: Decimal) -> Option<(i64, i64, u32)> {
    let d = a.decimals.max(b.decimals);
    let up = |x: Decimal| {
        10i64
            .checked_pow(d - x.decimals)
            .and_then(|p| x.mantissa.checked_mul(p))
    };
    Some((up(a)?, up(b)?, d))
}

pub(crate) fn dsub(a: Decimal, b: Decimal) -> Option<Decimal> {
    let (x, y, d) = align(a, b)?;
    Some(Decimal {
        mantissa: x.checked_sub(y)?,
        decimals: d,
    })
}

pub(crate) fn dmul(a: Decimal, k: i64) -> Option<Decimal> {
    Some(Decimal {
        mantissa: a.mantissa.checked_mul(k)?,
        decimals: a.decimals,
    })
}

/// The decimal as written: `-12.50`.
pub(crate) fn dec_str(d: Decimal) -> String {
    let digits = d.mantissa.unsigned_abs().to_string();
    let places = d.decimals as usize;
    let digits = format!("{digits:0>width$}", width = places + 1);
    let (int, frac) = digits.split_at(digits.len() - places);
    let sign = if d.mantissa < 0 { "-" } else { "" };
    if places == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

pub(crate) fn same_value(a: Decimal, b: Decimal) -> bool {
    align(a, b).is_some_and(|(x, y, _)| x == y)
}

pub(crate) const ZERO: Decimal = Decimal {
    mantissa: 0,
    decimals: 0,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_print_as_written() {
        for s in ["12.50", "-0.05", "7", "0.000001", "-100.00"] {
            assert_eq!(dec_str(Decimal::parse(s, 6).unwrap()), s);
        }
    }
}
