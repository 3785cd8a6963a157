//! fx.csv: monthly rates for the foreign currencies, a mean-reverting random walk.

use super::calendar::{month_info, Ctx};
use super::catalogue::CURRENCIES;
use super::random::Rng;
use super::text::{push_padded, push_u64};
use super::FX_HEADER;

/// One row per foreign currency per month, dated the 1st, from the month before the window to
/// its last month: a mean-reverting random walk around typical USD rates, 6 decimals.
pub(super) fn fx_csv(ctx: &Ctx) -> Vec<u8> {
    const BASE: [u64; 2] = [1_080_000, 1_270_000]; // EUR, GBP in millionths of USD
    let mut rngs = [
        Rng::stream(ctx.seed, u64::MAX),
        Rng::stream(ctx.seed, u64::MAX - 1),
    ];
    let mut rate = [0u64; 2];
    for k in 0..2 {
        rate[k] = BASE[k] - 20_000 + rngs[k].below(40_001);
    }
    let mut out = Vec::with_capacity(64 * (ctx.months as usize + 1) * 2);
    out.extend_from_slice(FX_HEADER.as_bytes());
    out.push(b'\n');
    for m in -1..i64::from(ctx.months) {
        let (prefix, _) = month_info(ctx.first + m);
        for k in 0..2 {
            out.extend_from_slice(&prefix);
            out.extend_from_slice(b"01,");
            out.extend_from_slice(CURRENCIES[k + 1].as_bytes());
            out.push(b',');
            push_u64(&mut out, rate[k] / 1_000_000);
            out.push(b'.');
            push_padded(&mut out, rate[k] % 1_000_000, 6);
            out.push(b'\n');
            // Next month: up to +-1.5%, pulled 10% of the way back towards the base rate.
            let step = rngs[k].below(30_001) as i64 - 15_000; // ppm
            let r = rate[k] as i64;
            let pull = (BASE[k] as i64 - r) / 10;
            rate[k] = (r + r * step / 1_000_000 + pull).max(100_000) as u64;
        }
    }
    out
}
