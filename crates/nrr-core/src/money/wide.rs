//! 256-bit arithmetic on `i128`/`u128` operands: full products ([`mul_wide`]), their exact
//! division back to 128 bits ([`mul_div_round_half_even`]) and their exact order
//! ([`cmp_products`]). Re-exported from [`crate::money`], whose module doc states the overflow
//! rules these uphold.

/// The full product of two `u128`s as `(high, low)` 128-bit halves.
///
/// ```
/// use nrr_core::money::mul_wide;
/// assert_eq!(mul_wide(u128::MAX, 2), (1, u128::MAX - 1));
/// assert_eq!(mul_wide(3, 5), (0, 15));
/// ```
pub fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const M: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & M);
    let (b1, b0) = (b >> 64, b & M);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    // The middle column: at most 3 x (2^64 - 1), no overflow of u128.
    let mid = (p00 >> 64) + (p01 & M) + (p10 & M);
    let lo = (p00 & M) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// `(hi x 2^128 + lo) / d` and its remainder; `None` when `d` is 0 or the quotient does not
/// fit in 128 bits.
pub(super) fn div_wide(hi: u128, lo: u128, d: u128) -> Option<(u128, u128)> {
    if d == 0 || hi >= d {
        return None;
    }
    if hi == 0 {
        return Some((lo / d, lo % d));
    }
    // Restoring division, one bit at a time; rem < d throughout, the bit shifted out of rem
    // (carry) stands for 2^128, which exceeds d.
    let (mut q, mut rem) = (0u128, hi);
    for i in (0..128).rev() {
        let carry = rem >> 127;
        rem = (rem << 1) | ((lo >> i) & 1);
        q <<= 1;
        if carry == 1 || rem >= d {
            rem = rem.wrapping_sub(d);
            q |= 1;
        }
    }
    Some((q, rem))
}

/// `n x m / d` rounded half-even, exactly: the product is formed in 256 bits. `None` when
/// `d` is not positive or the result does not fit in an `i128`.
///
/// ```
/// use nrr_core::money::mul_div_round_half_even;
/// let big = 10i128.pow(30);
/// assert_eq!(mul_div_round_half_even(big, big, 3 * big), Some(333_333_333_333_333_333_333_333_333_333));
/// assert_eq!(mul_div_round_half_even(-5, 1, 2), Some(-2));
/// assert_eq!(mul_div_round_half_even(i128::MAX, 2, 1), None);
/// ```
pub fn mul_div_round_half_even(n: i128, m: i128, d: i128) -> Option<i128> {
    if d <= 0 {
        return None;
    }
    let negative = (n < 0) != (m < 0);
    let (hi, lo) = mul_wide(n.unsigned_abs(), m.unsigned_abs());
    let d = d.unsigned_abs();
    let (mut q, r) = div_wide(hi, lo, d)?;
    // Half-even on the magnitude; symmetric, so the sign can be applied after.
    if r > d - r || (r == d - r && q & 1 == 1) {
        q = q.checked_add(1)?;
    }
    if negative {
        0i128.checked_sub_unsigned(q)
    } else {
        i128::try_from(q).ok()
    }
}

/// The order of `a x b` against `c x d`, exactly (256-bit products; cannot overflow).
///
/// ```
/// use nrr_core::money::cmp_products;
/// use std::cmp::Ordering;
/// assert_eq!(cmp_products(i128::MAX, 3, i128::MAX, 2), Ordering::Greater);
/// assert_eq!(cmp_products(-4, 3, 2, -6), Ordering::Equal);
/// ```
pub fn cmp_products(a: i128, b: i128, c: i128, d: i128) -> std::cmp::Ordering {
    let sign = |x: i128, y: i128| x.signum() * y.signum();
    let (s1, s2) = (sign(a, b), sign(c, d));
    if s1 != s2 || s1 == 0 {
        return s1.cmp(&s2);
    }
    let p1 = mul_wide(a.unsigned_abs(), b.unsigned_abs());
    let p2 = mul_wide(c.unsigned_abs(), d.unsigned_abs());
    let by_magnitude = p1.cmp(&p2);
    if s1 > 0 {
        by_magnitude
    } else {
        by_magnitude.reverse()
    }
}
