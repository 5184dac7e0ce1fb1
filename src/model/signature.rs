//! Near-duplicate stories: MinHash signatures over word shingles of the body, found through
//! locality-sensitive hashing (bands of the signature), so syndicated copies of one story (the same
//! wire text on several sites, small edits, another headline) share a cluster id.
//!
//! The body alone is compared: a republished story often gets a new headline. Similarity is the
//! estimated Jaccard index of the two bodies' sets of 4-word shingles (lower-cased); two articles
//! are near-duplicates at [`THRESHOLD`] or above. The threshold and its measured precision are in
//! `tidings eval dedup` and BENCHMARKS.md.

use std::collections::HashSet;

use super::shingles;

/// Hash functions in a signature.
pub const SIGNATURE_LEN: usize = 64;
/// The signature is cut into this many bands of [`ROWS`] values; articles sharing any band are
/// candidates. 16 × 4 finds pairs at Jaccard 0.8 with probability 1 − (1 − 0.8⁴)¹⁶ ≈ 0.9997.
/// The estimate's standard error at the threshold is about 0.05 with 64 hashes; 128 (0.035) cost
/// about half a second more on the Reuters ingest for no better measured precision (0.928 vs 0.923).
pub const BANDS: usize = 16;
pub const ROWS: usize = SIGNATURE_LEN / BANDS;
/// Estimated Jaccard similarity at or above which two bodies are the same story.
pub const THRESHOLD: f64 = 0.8;
/// Bodies with fewer shingles than this are not clustered: a few words say too little.
pub const MIN_SHINGLES: usize = 8;
/// Words per shingle.
const SHINGLE_WORDS: usize = 4;

/// A MinHash signature, each minimum cut to its low 16 bits (b-bit minwise hashing, Li and König,
/// 2010): two different minimums still agree by chance once in 65,536, which moves an estimate of
/// 64 positions by 0.00002, and the store keeps 128 bytes an article instead of 256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub [u16; SIGNATURE_LEN]);

impl Signature {
    /// The signature of a body, or `None` when it is too short to compare.
    pub fn of(body: &str) -> Option<Signature> {
        let mut set = shingles::run_hashes(body, SHINGLE_WORDS);
        set.sort_unstable();
        set.dedup();
        if set.len() < MIN_SHINGLES {
            return None;
        }
        // Hash i of a shingle: two 32-bit halves combined as h1 + i·h2 and mixed (a multiply-xorshift
        // finaliser), all in 32-bit lanes the compiler vectorises.
        let mut minimums = [u32::MAX; SIGNATURE_LEN];
        for shingle in &set {
            let (h1, h2) = (*shingle as u32, ((*shingle >> 32) as u32) | 1);
            for (index, minimum) in minimums.iter_mut().enumerate() {
                let mut value = h1.wrapping_add((index as u32).wrapping_mul(h2));
                value ^= value >> 16;
                value = value.wrapping_mul(0x7feb_352d);
                value ^= value >> 15;
                value = value.wrapping_mul(0x846c_a68b);
                value ^= value >> 16;
                *minimum = (*minimum).min(value);
            }
        }
        Some(Signature(minimums.map(|minimum| minimum as u16)))
    }

    /// Estimated Jaccard similarity: the share of positions where the signatures agree.
    pub fn similarity(&self, other: &Signature) -> f64 {
        let equal = self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count();
        equal as f64 / SIGNATURE_LEN as f64
    }

    /// One key per band (a hash of its rows), stored as SQLite integers.
    pub fn band_keys(&self) -> [i64; BANDS] {
        std::array::from_fn(|band| {
            let rows = &self.0[band * ROWS..(band + 1) * ROWS];
            let mut key = 0xcbf2_9ce4_8422_2325u64;
            for value in rows {
                key = (key ^ u64::from(*value)).wrapping_mul(0x0100_0000_01b3);
            }
            key as i64
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|value| value.to_le_bytes()).collect()
    }

    /// A signature as [`Signature::to_bytes`] wrote it, or as earlier versions did (the whole 32-bit
    /// minimums, of which the low 16 bits are the same signature).
    pub fn from_bytes(bytes: &[u8]) -> Option<Signature> {
        let width = match bytes.len() {
            length if length == SIGNATURE_LEN * 2 => 2,
            length if length == SIGNATURE_LEN * 4 => 4,
            _ => return None,
        };
        Some(Signature(std::array::from_fn(|index| {
            u16::from_le_bytes([bytes[index * width], bytes[index * width + 1]])
        })))
    }
}

/// Exact Jaccard similarity of two bodies' shingle sets (for evaluation).
pub fn jaccard(a: &str, b: &str) -> f64 {
    let set = |text: &str| -> HashSet<u64> { shingles::run_hashes(text, SHINGLE_WORDS).into_iter().collect() };
    let (a, b) = (set(a), set(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "Ferry crews in the harbour walked out on Friday over a pay offer the union called an \
        insult, cancelling every crossing to the islands. The operator said talks would resume on Monday and \
        apologised to passengers, who were offered refunds or places on Saturday's sailings. Union leaders \
        said the offer of two per cent fell far short of inflation and that crews had not had a rise in three \
        years, while the operator said fuel costs and falling passenger numbers left no room for more.";

    #[test]
    fn small_edits_stay_similar_and_other_stories_do_not() {
        let copy = Signature::of(STORY).unwrap();
        // A wire copy with one word changed (a sub-editor's touch).
        let edited = STORY.replace("apologised to", "wrote to");
        let edited = Signature::of(&edited).unwrap();
        assert!(copy.similarity(&edited) >= THRESHOLD, "{}", copy.similarity(&edited));
        assert_eq!(copy.similarity(&Signature::of(STORY).unwrap()), 1.0);
        let other = Signature::of(
            "The central bank raised its main interest rate by a quarter point on Thursday, citing stubborn \
             inflation in services and a tight labour market, and signalled that more increases could follow.",
        )
        .unwrap();
        assert!(copy.similarity(&other) < 0.2);
        assert!(copy.band_keys().iter().zip(edited.band_keys()).any(|(a, b)| *a == b), "candidates share a band");
    }

    #[test]
    fn short_bodies_are_not_compared_and_bytes_round_trip() {
        assert_eq!(Signature::of("Shr 10 cts vs 12 cts"), None);
        let signature = Signature::of(STORY).unwrap();
        assert_eq!(signature.to_bytes().len(), 128);
        assert_eq!(Signature::from_bytes(&signature.to_bytes()), Some(signature.clone()));
        // As earlier versions stored it: whole 32-bit minimums, read as their low 16 bits.
        let wide: Vec<u8> =
            signature.0.iter().flat_map(|value| (u32::from(*value) | 0xabcd_0000).to_le_bytes()).collect();
        assert_eq!(Signature::from_bytes(&wide), Some(signature));
        assert_eq!(Signature::from_bytes(&[1, 2, 3]), None);
    }
}
