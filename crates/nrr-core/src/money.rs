//! Exact money.
//!
//! Every MRR figure inside `nrr` is an integer count of one small unit, fixed per dataset by
//! its [`Scale`]: `1 / (10^a * L * 10^r)` where `a` is the most decimal places of any amount,
//! `L` the least common multiple of every `interval_months`, and `r` the most decimal places of
//! any FX rate (or the fixed decimals of rates derived from another base, which the `fx`
//! module sets). So `amount / interval_months` and conversion at a rate are exact integers,
//! sums are exact, and the bridge identities hold to the last unit. Rounding (half-even, 2
//! places) happens only when a figure is shown.

use serde::{Serialize, Serializer};
use std::fmt;

/// Largest number of decimal places accepted in an amount.
pub const MAX_AMOUNT_DECIMALS: u32 = 6;
/// Largest number of decimal places accepted in an FX rate.
pub const MAX_RATE_DECIMALS: u32 = 10;

/// A non-negative-or-negative decimal as written in the input: `mantissa / 10^decimals`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Decimal {
    /// The digits as an integer.
    pub mantissa: i64,
    /// Digits after the decimal point.
    pub decimals: u32,
}

impl Decimal {
    /// Parses a plain decimal (`12`, `12.5`, `-0.25`, `+3.10`); no exponents, no thousands
    /// separators. `None` when it is not such a number, has more than `max_decimals` places or
    /// does not fit in 18 digits.
    ///
    /// ```
    /// use nrr_core::money::Decimal;
    /// let d = Decimal::parse("1000.50", 6).unwrap();
    /// assert_eq!((d.mantissa, d.decimals), (100050, 2));
    /// assert!(Decimal::parse("1e3", 6).is_none());
    /// assert!(Decimal::parse("1.1234567", 6).is_none());
    /// // 18 digits written with two places of zeros (as `nrr lines` writes amounts):
    /// let d = Decimal::parse("999999999999999999.00", 6).unwrap();
    /// assert_eq!((d.mantissa, d.decimals), (999_999_999_999_999_999, 0));
    /// assert!(Decimal::parse("9999999999999999999.00", 6).is_none());
    /// ```
    pub fn parse(s: &str, max_decimals: u32) -> Option<Decimal> {
        if let Some(d) = Self::parse_digits(s, max_decimals) {
            return Some(d);
        }
        // Places that overflow 18 digits only through trailing zeros (`999999999999999999.00`)
        // are the same value with fewer places; too many places written stays an error.
        let (int, frac) = s.split_once('.')?;
        let kept = frac.trim_end_matches('0');
        if kept.len() == frac.len() || frac.len() > max_decimals as usize {
            return None;
        }
        Self::parse_digits(&format!("{int}.{kept}"), max_decimals)
    }

    /// [`Decimal::parse`] with every written place kept.
    fn parse_digits(s: &str, max_decimals: u32) -> Option<Decimal> {
        let b = s.as_bytes();
        let (neg, digits) = match b.first()? {
            b'-' => (true, &b[1..]),
            b'+' => (false, &b[1..]),
            _ => (false, b),
        };
        if digits.is_empty() {
            return None;
        }
        let mut mantissa: i64 = 0;
        let mut decimals = 0u32;
        let mut seen_point = false;
        let mut seen_digit = false;
        for &c in digits {
            match c {
                b'0'..=b'9' => {
                    mantissa = mantissa.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
                    seen_digit = true;
                    if seen_point {
                        decimals += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => return None,
            }
        }
        if !seen_digit || decimals > max_decimals {
            return None;
        }
        Some(Decimal {
            mantissa: if neg { -mantissa } else { mantissa },
            decimals,
        })
    }

    /// True when the value is exactly zero.
    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// True when the value is below zero.
    pub fn is_negative(self) -> bool {
        self.mantissa < 0
    }
}

/// The unit all figures of one dataset are counted in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Scale {
    /// Most decimal places of any amount (`a`).
    pub amount_decimals: u32,
    /// Least common multiple of all `interval_months` (`L`).
    pub interval_lcm: u64,
    /// Most decimal places of any FX rate, or those of derived rates (`r`).
    pub rate_decimals: u32,
}

impl Default for Scale {
    fn default() -> Self {
        Scale {
            amount_decimals: 0,
            interval_lcm: 1,
            rate_decimals: 0,
        }
    }
}

impl Scale {
    /// Units per 1.00 of a line's own currency before conversion: `10^a * L`.
    pub fn native_denominator(&self) -> i128 {
        10i128.pow(self.amount_decimals) * i128::from(self.interval_lcm)
    }

    /// Units per 1.00 of the reporting currency: `10^a * L * 10^r`.
    pub fn denominator(&self) -> i128 {
        self.native_denominator() * self.rate_one()
    }

    /// The integer that stands for a rate of exactly 1.
    pub fn rate_one(&self) -> i128 {
        10i128.pow(self.rate_decimals)
    }

    /// An exact amount in reporting units.
    pub fn money(&self, units: i128) -> Money {
        Money {
            units,
            denominator: self.denominator(),
        }
    }
}

/// An exact amount: `units / denominator`. Serialises as a decimal string with 2 places,
/// rounded half-even.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Money {
    /// Count of units.
    pub units: i128,
    /// Units per 1.00.
    pub denominator: i128,
}

impl Money {
    /// Zero.
    pub const ZERO: Money = Money {
        units: 0,
        denominator: 1,
    };

    /// The value in hundredths, rounded half-even.
    pub fn cents(self) -> i128 {
        div_round_half_even(self.units * 100, self.denominator)
    }

    /// The value rounded half-even to `places` decimals, as a string.
    pub fn to_string_places(self, places: u32) -> String {
        let scaled = div_round_half_even(self.units * 10i128.pow(places), self.denominator);
        format_scaled(scaled, places)
    }

    /// The value in units of `10^-places`, rounded half-even; `None` when that does not fit
    /// in an `i128`.
    ///
    /// ```
    /// use nrr_core::money::Money;
    /// let third = Money { units: 100, denominator: 3 };
    /// assert_eq!(third.scaled(4), Some(333_333));
    /// ```
    pub fn scaled(self, places: u32) -> Option<i128> {
        let p = 10i128.checked_pow(places)?;
        if let Some(n) = self.units.checked_mul(p) {
            return Some(div_round_half_even(n, self.denominator));
        }
        // Too large to scale at once: the whole part, then the remainder (p is even, so the
        // tie still goes to the even result).
        let (q, r) = (
            self.units.div_euclid(self.denominator),
            self.units.rem_euclid(self.denominator),
        );
        let frac = div_round_half_even(r.checked_mul(p)?, self.denominator);
        q.checked_mul(p)?.checked_add(frac)
    }

    /// The value as a plain decimal string with at least 2 and at most `max_places` decimals:
    /// exact when the value has at most `max_places` decimals, else rounded half-even at the
    /// last one (see [`trimmed_decimal`]). `None` when the value does not fit (see
    /// [`Money::scaled`]).
    ///
    /// ```
    /// use nrr_core::money::Money;
    /// let m = |units, denominator| Money { units, denominator }.decimal_text(12).unwrap();
    /// assert_eq!(m(100, 1), "100.00");
    /// assert_eq!(m(-1_234_567, 10_000), "-123.4567");
    /// assert_eq!(m(100, 12), "8.333333333333");
    /// ```
    pub fn decimal_text(self, max_places: u32) -> Option<String> {
        Some(trimmed_decimal(self.scaled(max_places)?, max_places))
    }

    /// `true` when exactly zero.
    pub fn is_zero(self) -> bool {
        self.units == 0
    }

    /// `self - other`, exactly: over the shared denominator when both have the same one, else
    /// over the product of the two.
    pub fn minus(self, other: Money) -> Money {
        if self.denominator == other.denominator {
            return Money {
                units: self.units - other.units,
                denominator: self.denominator,
            };
        }
        Money {
            units: self.units * other.denominator - other.units * self.denominator,
            denominator: self.denominator * other.denominator,
        }
    }

    /// The absolute value.
    pub fn abs(self) -> Money {
        Money {
            units: self.units.abs(),
            denominator: self.denominator,
        }
    }

    /// Exact order of two amounts, whatever their denominators.
    pub fn cmp_exact(self, other: Money) -> std::cmp::Ordering {
        (self.units * other.denominator).cmp(&(other.units * self.denominator))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_places(2))
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Formats an integer count of `10^-places` as a decimal string (`-1234`, 2 -> `-12.34`).
pub fn format_scaled(v: i128, places: u32) -> String {
    let neg = v < 0;
    let a = v.unsigned_abs();
    let p = 10u128.pow(places);
    let (int, frac) = (a / p, a % p);
    let sign = if neg { "-" } else { "" };
    if places == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac:0width$}", width = places as usize)
    }
}

/// [`format_scaled`] without the trailing zeros beyond the second decimal:
/// `trimmed_decimal(12_500_000, 6)` is `12.50`, `trimmed_decimal(10_005_000, 6)` `10.005`.
pub fn trimmed_decimal(v: i128, places: u32) -> String {
    let mut s = format_scaled(v, places);
    if places > 2 {
        let keep = s.len() - (places as usize - 2);
        while s.len() > keep && s.ends_with('0') {
            s.pop();
        }
    }
    s
}

/// Exact amounts `units[i] / denominator` in whole units of `10^-places`, each rounded down
/// or up so that together they make `target` (default: their exact sum rounded half-even):
/// largest-remainder allocation, the largest remainders rounded up, equal remainders in input
/// order. An amount with at most `places` decimals stays exact. `None` when the arithmetic
/// overflows or `target` cannot be reached that way (it must lie between the sum rounded down
/// amount by amount and that sum plus the number of inexact amounts).
///
/// ```
/// use nrr_core::money::allocate;
/// // Three thirds of 1.00 at 2 places: 0.33 + 0.33 + 0.33 would show 0.99.
/// assert_eq!(allocate(&[1, 1, 1], 3, 2, None), Some(vec![34, 33, 33]));
/// assert_eq!(allocate(&[5, 10], 4, 0, None), Some(vec![1, 3])); // 1.25 + 2.5 = 3.75 -> 4
/// ```
pub fn allocate(
    units: &[i128],
    denominator: i128,
    places: u32,
    target: Option<i128>,
) -> Option<Vec<i128>> {
    let p = 10i128.checked_pow(places)?;
    let mut floors = Vec::with_capacity(units.len());
    let mut rems = Vec::with_capacity(units.len());
    for &u in units {
        let (q, r) = (u.div_euclid(denominator), u.rem_euclid(denominator));
        let rp = r.checked_mul(p)?;
        floors.push(q.checked_mul(p)?.checked_add(rp.div_euclid(denominator))?);
        rems.push(rp.rem_euclid(denominator));
    }
    let target = match target {
        Some(t) => t,
        None => Money {
            units: units.iter().try_fold(0i128, |a, &u| a.checked_add(u))?,
            denominator,
        }
        .scaled(places)?,
    };
    let floor_sum = floors
        .iter()
        .try_fold(0i128, |a: i128, &f| a.checked_add(f))?;
    let up = usize::try_from(target.checked_sub(floor_sum)?).ok()?;
    let mut order: Vec<usize> = (0..units.len()).filter(|&i| rems[i] > 0).collect();
    if up > order.len() {
        return None;
    }
    order.sort_by(|&a, &b| rems[b].cmp(&rems[a]).then(a.cmp(&b)));
    for &i in &order[..up] {
        floors[i] += 1;
    }
    Some(floors)
}

/// An exact amount as a plain decimal: every decimal it has when it ends (at least 2), else
/// rounded half-even at 12 places (`1000/12` -> `83.333333333333`).
///
/// ```
/// use nrr_core::money::{exact_string, Money};
/// assert_eq!(exact_string(Money { units: 12_345, denominator: 1000 }), "12.345");
/// assert_eq!(exact_string(Money { units: 1_000, denominator: 12 }), "83.333333333333");
/// assert_eq!(exact_string(Money { units: 7, denominator: 1 }), "7.00");
/// ```
pub fn exact_string(m: Money) -> String {
    let (mut a, mut b) = (m.units.unsigned_abs(), m.denominator.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    // a is the gcd (the denominator is positive, so a >= 1 and divides it).
    let den = m.denominator / (a.max(1) as i128);
    let (mut d, mut twos, mut fives) = (den, 0u32, 0u32);
    while d % 2 == 0 {
        d /= 2;
        twos += 1;
    }
    while d % 5 == 0 {
        d /= 5;
        fives += 1;
    }
    let places = if d == 1 { twos.max(fives).max(2) } else { 12 };
    m.to_string_places(places)
}

/// Thousands separators on a plain decimal string: `39600.00` -> `39,600.00`.
pub fn grouped(s: &str) -> String {
    let (sign, digits) = s.strip_prefix('-').map_or(("", s), |d| ("-", d));
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut out = String::from(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// `n / d` rounded to the nearest integer, ties to even. `d` must be positive.
pub fn div_round_half_even(n: i128, d: i128) -> i128 {
    debug_assert!(d > 0);
    let q = n.div_euclid(d);
    let r = n.rem_euclid(d);
    match (2 * r).cmp(&d) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

/// `num / den` rounded half-even to 6 decimals; `None` when `den` is 0.
///
/// ```
/// assert_eq!(nrr_core::money::ratio(115, 100), Some(1.15));
/// assert_eq!(nrr_core::money::ratio(2, 3), Some(0.666667));
/// assert_eq!(nrr_core::money::ratio(1, 0), None);
/// ```
pub fn ratio(num: i128, den: i128) -> Option<f64> {
    if den == 0 {
        return None;
    }
    let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
    let micro = match num.checked_mul(1_000_000) {
        Some(n) => div_round_half_even(n, den),
        // Too large to scale exactly: drop precision that cannot reach the 6th decimal.
        None => div_round_half_even(num, den / 1_000_000 + 1),
    };
    // An i128 of at most ~1e38 micro-units printed with 6 decimals; f64 holds the rounded
    // value's shortest decimal form, which serde prints back unchanged.
    format_scaled(micro, 6).parse().ok()
}

/// `product(nums) / product(dens)` rounded half-even, exactly: factors common to both sides
/// are cancelled first, so a result whose plain products would overflow 128 bits is still
/// found when the reduced ones fit (a unit as fine as `10^-18` makes such products common).
/// `None` when they do not fit, or a denominator factor is not positive.
///
/// ```
/// use nrr_core::money::mul_div_round;
/// let big = 10i128.pow(20);
/// // (1e20 x 1e20 x 3) / (1e20 x 1e20 x 2) = 1.5 -> 2, though 1e40 overflows.
/// assert_eq!(mul_div_round(&[big, big, 3], &[big, big, 2]), Some(2));
/// assert_eq!(mul_div_round(&[5, -1], &[2]), Some(-2));
/// ```
pub fn mul_div_round(nums: &[i128], dens: &[i128]) -> Option<i128> {
    if dens.iter().any(|d| *d <= 0) {
        return None;
    }
    if nums.contains(&0) {
        return Some(0);
    }
    let negative = nums.iter().filter(|n| **n < 0).count() % 2 == 1;
    let mut n: Vec<u128> = nums.iter().map(|x| x.unsigned_abs()).collect();
    let mut d: Vec<u128> = dens.iter().map(|x| x.unsigned_abs()).collect();
    for a in &mut n {
        for b in &mut d {
            let g = gcd_u128(*a, *b);
            *a /= g;
            *b /= g;
        }
    }
    let product = |v: &[u128]| {
        v.iter()
            .try_fold(1u128, |acc, x| acc.checked_mul(*x))
            .and_then(|p| i128::try_from(p).ok())
    };
    let (num, den) = (product(&n)?, product(&d)?);
    let q = div_round_half_even(if negative { -num } else { num }, den);
    Some(q)
}

fn gcd_u128(a: u128, b: u128) -> u128 {
    if b == 0 {
        a
    } else {
        gcd_u128(b, a % b)
    }
}

/// Greatest common divisor.
pub fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Least common multiple, `None` on overflow.
pub fn lcm(a: u64, b: u64) -> Option<u64> {
    (a / gcd(a, b)).checked_mul(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_even_at_the_cent() {
        let m = |units| Money {
            units,
            denominator: 1000,
        };
        assert_eq!(m(12_345).to_string(), "12.34");
        assert_eq!(m(12_355).to_string(), "12.36");
        assert_eq!(m(12_346).to_string(), "12.35");
        assert_eq!(m(-12_345).to_string(), "-12.34");
        assert_eq!(m(-12_346).to_string(), "-12.35");
        assert_eq!(m(5).to_string(), "0.00");
        assert_eq!(m(0).to_string(), "0.00");
    }

    #[test]
    fn thirds_are_exact_until_shown() {
        // 1000.00 / 12 three times is 250.00 exactly.
        let scale = Scale {
            amount_decimals: 2,
            interval_lcm: 12,
            rate_decimals: 0,
        };
        let line = 100_000 * 12 / 12; // 1000.00 at 10^2 * 12 per unit, divided by 12 months
        assert_eq!(scale.money(3 * line).to_string(), "250.00");
        assert_eq!(scale.money(line).to_string(), "83.33");
    }

    #[test]
    fn parses_decimals_strictly() {
        assert_eq!(
            Decimal::parse("0", 6),
            Some(Decimal {
                mantissa: 0,
                decimals: 0
            })
        );
        assert_eq!(
            Decimal::parse("-5.00", 6),
            Some(Decimal {
                mantissa: -500,
                decimals: 2
            })
        );
        assert_eq!(
            Decimal::parse(".5", 6),
            Some(Decimal {
                mantissa: 5,
                decimals: 1
            })
        );
        for bad in [
            "",
            "-",
            ".",
            "1.2.3",
            "1,000",
            "12a",
            " 1",
            "99999999999999999999",
        ] {
            assert_eq!(Decimal::parse(bad, 6), None, "{bad}");
        }
    }

    #[test]
    fn mul_div_round_cancels_common_factors_before_multiplying() {
        let e18 = 10i128.pow(18);
        // LTV-like: 4.6875e20 x 1 x 6e21 x 100 / (1e18 x 1 x 3 x 4.4e20): the plain products
        // overflow, the reduced ones do not. 468.75 x 6000 / (3 x 440) = 2130.681818... -> cents.
        let got = mul_div_round(
            &[46_875 * 10i128.pow(16), 1, 6 * 10i128.pow(21), 100],
            &[e18, 1, 3, 44 * 10i128.pow(19)],
        );
        assert_eq!(got, Some(213_068));
        assert_eq!(mul_div_round(&[0, i128::MAX], &[1]), Some(0));
        assert_eq!(mul_div_round(&[1], &[0]), None);
        // Coprime factors that cannot fit: None, never a wrapped value.
        assert_eq!(mul_div_round(&[i128::MAX, 3], &[2]), None);
    }

    #[test]
    fn ratio_rounds_to_six_places() {
        assert_eq!(ratio(1_070_000, 1_000_000), Some(1.07));
        assert_eq!(ratio(1, 8_000_000), Some(0.0)); // 0.000000125 -> 0.000000
        assert_eq!(ratio(3, 8_000_000), Some(0.0)); // 0.000000375 -> 0.000000
        assert_eq!(ratio(5, 8_000_000), Some(0.000001)); // 0.000000625 -> 0.000001
        assert_eq!(ratio(i128::MAX / 2, i128::MAX / 4), Some(2.0));
    }
}
