//! Exact money.
//!
//! Every MRR figure inside `nrr` is an integer count of one small unit, fixed per dataset by
//! its [`Scale`]: `1 / (10^a * L * 10^r)` where `a` is the most decimal places of any amount,
//! `L` the least common multiple of every `interval_months`, and `r` the most decimal places of
//! any FX rate (or the fixed decimals of rates derived from another base, which the `fx`
//! module sets). So `amount / interval_months` and conversion at a rate are exact integers,
//! sums are exact, and the bridge identities hold to the last unit. Rounding (half-even, 2
//! places) happens only when a figure is shown.
//!
//! Overflow: a release build wraps an unchecked `i128` product silently, so no operation here
//! multiplies units by a denominator or a power of ten unchecked. Products of two `i128`s
//! are formed in 256 bits ([`mul_wide`]) and divided back exactly ([`mul_div_round_half_even`]);
//! a result that does not fit in 128 bits is `None` (or, where documented, a panic naming
//! the broken bound), never a wrapped value. The engine keeps every amount's units below
//! `i128::MAX / 8192` (dataset finish, `check_total`), which the documented bounds rely on.

mod wide;

use wide::div_wide;
pub use wide::{cmp_products, mul_div_round_half_even, mul_wide};

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
    /// Units per 1.00 of a line's own currency before conversion: `10^a * L`. A dataset's
    /// scale is refused when `10^(a + r) * L` does not fit in an `i128` (dataset finish), so
    /// this and [`Scale::denominator`] cannot overflow for a scale the engine built.
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

    /// The value in hundredths, rounded half-even, exactly.
    ///
    /// # Panics
    ///
    /// When the cents do not fit in an `i128` (a value above about `1.7e36`). Never for an
    /// amount of a report: the engine keeps units below `i128::MAX / 8192` over a denominator
    /// of at least 1, so their cents are below `i128::MAX / 81`.
    pub fn cents(self) -> i128 {
        self.scaled(2).unwrap_or_else(|| {
            panic!(
                "money: {}/{} in cents does not fit in 128 bits",
                self.units, self.denominator
            )
        })
    }

    /// The value rounded half-even to `places` decimals, as a string. Exact for any value and
    /// any number of places: when `units x 10^places` does not fit in 128 bits the digits are
    /// found by long division.
    pub fn to_string_places(self, places: u32) -> String {
        match self.scaled(places) {
            Some(v) => format_scaled(v, places),
            None => long_decimal(self.units, self.denominator, places),
        }
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
        // Too large to scale at once: the product in 256 bits, divided back exactly.
        mul_div_round_half_even(self.units, p, self.denominator)
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

    /// `self - other` exactly, over the shared denominator when both have the same one, else
    /// over their least common multiple; `None` when that does not fit in 128 bits.
    ///
    /// ```
    /// use nrr_core::money::Money;
    /// let m = |units, denominator| Money { units, denominator };
    /// assert_eq!(m(5, 4).checked_minus(m(1, 6)), Some(m(13, 12)));
    /// assert_eq!(m(i128::MAX, 3).checked_minus(m(-1, 2)), None);
    /// ```
    pub fn checked_minus(self, other: Money) -> Option<Money> {
        if self.denominator == other.denominator {
            return Some(Money {
                units: self.units.checked_sub(other.units)?,
                denominator: self.denominator,
            });
        }
        let g = gcd_u128(
            self.denominator.unsigned_abs(),
            other.denominator.unsigned_abs(),
        ) as i128;
        let (fa, fb) = (other.denominator / g, self.denominator / g);
        Some(Money {
            units: self
                .units
                .checked_mul(fa)?
                .checked_sub(other.units.checked_mul(fb)?)?,
            denominator: self.denominator.checked_mul(fa)?,
        })
    }

    /// `self - other`: exact ([`Money::checked_minus`]) whenever that fits in 128 bits, which
    /// it always does for two amounts over one denominator within the engine's bound, and
    /// for two datasets' units unless their amounts are near that bound. Otherwise each side
    /// is rounded half-even to units of the finer denominator first (an error below one such
    /// unit, at most `10^-2` of a cent for any dataset's unit), never wrapped.
    ///
    /// # Panics
    ///
    /// When even that does not fit in 128 bits.
    pub fn minus(self, other: Money) -> Money {
        if let Some(m) = self.checked_minus(other) {
            return m;
        }
        let den = self.denominator.max(other.denominator);
        let at = |m: Money| mul_div_round_half_even(m.units, den, m.denominator);
        at(self)
            .zip(at(other))
            .and_then(|(a, b)| a.checked_sub(b))
            .map(|units| Money {
                units,
                denominator: den,
            })
            .unwrap_or_else(|| panic!("money: {self:?} - {other:?} does not fit in 128 bits"))
    }

    /// The absolute value.
    ///
    /// # Panics
    ///
    /// When `units` is `i128::MIN` (far outside the engine's bound).
    pub fn abs(self) -> Money {
        Money {
            units: self
                .units
                .checked_abs()
                .unwrap_or_else(|| panic!("money: |{self:?}| does not fit in 128 bits")),
            denominator: self.denominator,
        }
    }

    /// Exact order of two amounts, whatever their denominators (both positive): the cross
    /// products are compared in 256 bits, so this cannot overflow.
    ///
    /// ```
    /// use nrr_core::money::Money;
    /// use std::cmp::Ordering;
    /// let big = Money { units: i128::MAX, denominator: 3 };
    /// let less = Money { units: i128::MAX - 1, denominator: 3 };
    /// assert_eq!(big.cmp_exact(less), Ordering::Greater);
    /// assert_eq!(Money { units: 2, denominator: 4 }.cmp_exact(Money { units: 1, denominator: 2 }), Ordering::Equal);
    /// ```
    pub fn cmp_exact(self, other: Money) -> std::cmp::Ordering {
        cmp_products(self.units, other.denominator, other.units, self.denominator)
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
/// Any `places` (the digits are placed as text, no power of ten is formed).
pub fn format_scaled(v: i128, places: u32) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let digits = v.unsigned_abs().to_string();
    let places = places as usize;
    if places == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = places + 1);
    let (int, frac) = padded.split_at(padded.len() - places);
    format!("{sign}{int}.{frac}")
}

/// `units / den` (`den > 0`) rounded half-even to `places` decimals, by long division: exact
/// for any value and any number of places (used when `units x 10^places` overflows).
fn long_decimal(units: i128, den: i128, places: u32) -> String {
    debug_assert!(den > 0);
    let d = den.unsigned_abs();
    let a = units.unsigned_abs();
    let (int, mut r) = (a / d, a % d);
    let mut digits = int.to_string().into_bytes();
    for _ in 0..places {
        // r < d, so 10r / d is one digit; 10r needs up to 131 bits.
        let (hi, lo) = mul_wide(r, 10);
        let (q, rest) = div_wide(hi, lo, d).expect("a digit");
        digits.push(b'0' + q as u8);
        r = rest;
    }
    // Half-even on the remainder r / d: up when r > d - r, or on a tie when the last digit
    // is odd (r < d < 2^127, so d - r cannot overflow).
    let last_odd = digits.last().is_some_and(|c| (c - b'0') % 2 == 1);
    if r > d - r || (r == d - r && last_odd) {
        let mut k = digits.len();
        loop {
            if k == 0 {
                digits.insert(0, b'1');
                break;
            }
            k -= 1;
            if digits[k] == b'9' {
                digits[k] = b'0';
            } else {
                digits[k] += 1;
                break;
            }
        }
    }
    let split = digits.len() - places as usize;
    let zero = digits.iter().all(|&c| c == b'0');
    let mut out = String::with_capacity(digits.len() + 2);
    if units < 0 && !zero {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(&digits[..split]).expect("ascii digits"));
    if places > 0 {
        out.push('.');
        out.push_str(std::str::from_utf8(&digits[split..]).expect("ascii digits"));
    }
    out
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

/// `n / d` rounded to the nearest integer, ties to even. `d` must be positive. Cannot
/// overflow: `r` is compared with `d - r` (not `2r` with `d`), and `q + 1` only happens when
/// `r > 0`, so `d >= 2` and `|q| <= i128::MAX / 2`.
pub fn div_round_half_even(n: i128, d: i128) -> i128 {
    debug_assert!(d > 0);
    let q = n.div_euclid(d);
    let r = n.rem_euclid(d);
    match r.cmp(&(d - r)) {
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
    // mul_div_round_half_even wants a positive divisor: the sign moves to the multiplier
    // (i128::MIN, far outside the engine's bound, is read as -i128::MAX).
    let (m, den) = if den < 0 {
        (-1_000_000, den.saturating_neg())
    } else {
        (1_000_000, den)
    };
    let Some(micro) = mul_div_round_half_even(num, m, den) else {
        // Above 1.7e32: no 6th decimal to keep; the whole quotient.
        return Some(div_round_half_even(num, den) as f64 * m.signum() as f64);
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

/// Greatest common divisor of the magnitudes (`gcd(0, 0)` is 1, so it can always divide).
pub fn gcd_i128(a: i128, b: i128) -> i128 {
    // At most min(|a|, |b|) or a power of two up to 2^127 when both are i128::MIN: the
    // latter is clamped (it only ever divides, and i128::MAX is far outside any bound).
    i128::try_from(gcd_u128(a.unsigned_abs(), b.unsigned_abs()).max(1)).unwrap_or(i128::MAX)
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

    /// The audit's case (`nrr generate --customers 3000 --months 40 --seed 99 --currencies`,
    /// EUR report, segment `mid`, period 3): an ARPA over `10^2 x 12 x 10^12 x 320` whose
    /// reduced denominator is `2^21 x 5^14`, so its exact decimal has 21 places and
    /// `units x 10^21` overflowed (a panic in debug, `-0.3905...` in release).
    #[test]
    fn exact_string_of_an_arpa_with_many_places_does_not_overflow() {
        let arpa = Money {
            units: 365_993_858_386_676_758_110,
            denominator: 384_000_000_000_000_000,
        };
        assert_eq!(exact_string(arpa), "953.109006215304057578125");
        assert_eq!(arpa.to_string(), "953.11");
        assert_eq!(arpa.cents(), 95_311);
        let shown = Money {
            units: 95_311,
            denominator: 100,
        };
        assert_eq!(arpa.cmp_exact(shown), std::cmp::Ordering::Less);
        // The smallest such value: 1 / 2^40 has 40 places, 10^40 does not fit in an i128.
        let tiny = Money {
            units: 1,
            denominator: 1 << 40,
        };
        assert_eq!(
            exact_string(tiny),
            "0.0000000000009094947017729282379150390625"
        );
        let minus_tiny = Money {
            units: -3,
            denominator: 1 << 40,
        };
        assert_eq!(minus_tiny.to_string_places(12), "-0.000000000003");
        assert_eq!(minus_tiny.to_string_places(11), "0.00000000000");
    }

    #[test]
    fn long_division_rounds_half_even_and_carries() {
        assert_eq!(long_decimal(999_999, 1_000_000, 2), "1.00");
        assert_eq!(long_decimal(-999_999, 1_000_000, 2), "-1.00");
        assert_eq!(long_decimal(125, 1000, 2), "0.12");
        assert_eq!(long_decimal(135, 1000, 2), "0.14");
        assert_eq!(long_decimal(-135, 1000, 2), "-0.14");
        assert_eq!(long_decimal(5, 10, 0), "0");
        assert_eq!(long_decimal(15, 10, 0), "2");
        assert_eq!(long_decimal(i128::MAX, 1, 3), format!("{}.000", i128::MAX));
        assert_eq!(long_decimal(i128::MIN, 1, 1), format!("{}.0", i128::MIN));
        assert_eq!(
            long_decimal(2, i128::MAX, 40),
            "0.0000000000000000000000000000000000000118"
        );
    }

    #[test]
    fn minus_and_cmp_do_not_overflow_across_denominators() {
        let m = |units, denominator| Money { units, denominator };
        // Two datasets' units (x 1.2e15 and x 1e18): the product of the denominators and
        // the cross products overflowed; the lcm does not.
        let (a, b) = (
            m(10i128.pow(24), 12 * 10i128.pow(14)),
            m(10i128.pow(27), 10i128.pow(18)),
        );
        assert_eq!(a.minus(b), m(-5 * 10i128.pow(26), 3 * 10i128.pow(18)));
        assert_eq!(a.cmp_exact(b), std::cmp::Ordering::Less);
        // Past what the lcm holds: rounded to the finer unit, not wrapped.
        let (c, d) = (m(i128::MAX / 4, 3), m(1, 7));
        assert_eq!(c.checked_minus(d), None);
        let diff = c.minus(d);
        assert_eq!(diff.denominator, 7);
        assert!(diff.units > 0);
        assert_eq!(
            m(i128::MAX, 1).cmp_exact(m(i128::MAX - 1, 1)),
            std::cmp::Ordering::Greater
        );
        assert_eq!(
            m(i128::MIN + 1, 3).cmp_exact(m(i128::MIN + 1, 2)),
            std::cmp::Ordering::Greater
        );
        assert_eq!(div_round_half_even(i128::MAX, i128::MAX - 1), 1);
        assert_eq!(div_round_half_even(i128::MAX / 2 + 1, i128::MAX), 1);
    }

    proptest::proptest! {
        /// The 256-bit paths agree with plain i128 arithmetic wherever that does not
        /// overflow, and never wrap where it does.
        #[test]
        fn wide_arithmetic_matches_i128(
            units in proptest::num::i128::ANY,
            den in 1i128..=i128::MAX,
            small in -(1i128 << 60)..(1i128 << 60),
            places in 0u32..=45,
        ) {
            for u in [units, small, units >> 64] {
                let m = Money { units: u, denominator: den };
                let text = m.to_string_places(places);
                if let Some(n) = 10i128.checked_pow(places).and_then(|p| u.checked_mul(p)) {
                    let direct = div_round_half_even(n, den);
                    proptest::prop_assert_eq!(&text, &format_scaled(direct, places));
                    proptest::prop_assert_eq!(m.scaled(places), Some(direct));
                }
                proptest::prop_assert_eq!(&long_decimal(u, den, places), &text);
                if let (Some(x), Some(y)) = (u.checked_mul(7), small.checked_mul(den)) {
                    proptest::prop_assert_eq!(
                        m.cmp_exact(Money { units: small, denominator: 7 }),
                        x.cmp(&y)
                    );
                }
                // Round trip: the value shown at enough places, read back, is within half a
                // unit of the last place.
                let m2 = Money { units: small, denominator: den };
                if let Some(s) = m2.scaled(places) {
                    proptest::prop_assert_eq!(format_scaled(s, places), m2.to_string_places(places));
                }
            }
        }
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
