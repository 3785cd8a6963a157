//! Pseudo-random numbers: SplitMix64, one independent stream per customer.

pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(super) const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn stream(seed: u64, stream: u64) -> Rng {
        Rng(mix(seed
            ^ mix(stream
                .wrapping_mul(GOLDEN)
                .wrapping_add(0x632B_E59B_D9B4_E019))))
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in `0..n` (n > 0).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub(super) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `bp` / 10 000.
    pub(super) fn chance(&mut self, bp: u64) -> bool {
        self.below(10_000) < bp
    }

    /// Index drawn with the given integer weights.
    pub(super) fn pick(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}
