//! The generator the tools share (corpus, crash loop, soak): deterministic from its seed.

/// SplitMix64: small, fast and the same on every machine.
pub struct Random(pub u64);

impl Random {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut value = self.0;
        value = (value ^ (value >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        value = (value ^ (value >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        value ^ (value >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[0, bound)` (0 when `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            return 0;
        }
        (self.next_u64() % bound as u64) as usize
    }

    /// A rank in `[0, bound)` with a Zipf-like skew: rank r about as likely as 1/(r+1).
    pub fn skewed(&mut self, bound: usize) -> usize {
        let rank = ((bound as f64 + 1.0).ln() * self.unit()).exp() - 1.0;
        (rank as usize).min(bound - 1)
    }
}
