//! Named-entity recognition: a greedy averaged-perceptron tagger over BIO labels (PER, ORG, LOC,
//! MISC), trained by `tidings train-ner` from the corpora in `../shared/data/ner`, its weights
//! shipped in `models/ner.bin` and loaded once.

pub mod features;
pub mod text;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use crate::error::{Error, Result};
use features::{Context, TokenInfo};

/// The labels, in the order of the weight rows.
pub const LABELS: [&str; 9] = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"];
pub const NUM_LABELS: usize = LABELS.len();
pub const OUTSIDE: u8 = 0;

/// The label number of a BIO tag; other schemes' types map onto ours (GMB's geo → LOC, …).
pub fn label_number(tag: &str) -> u8 {
    LABELS.iter().position(|label| *label == tag).map(|position| position as u8).unwrap_or(OUTSIDE)
}

/// `Some(type)` of a label: 1 = PER, 2 = ORG, 3 = LOC, 4 = MISC.
pub fn label_type(label: u8) -> Option<u8> {
    (label != OUTSIDE).then(|| label.div_ceil(2))
}

pub fn is_begin(label: u8) -> bool {
    label % 2 == 1
}

/// Feature hashes are already uniform: use them as they are.
#[derive(Default)]
pub struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 << 8) | *byte as u64;
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

pub type FeatureMap<V> = HashMap<u64, V, BuildHasherDefault<IdentityHasher>>;

/// A trained tagger.
pub struct Model {
    pub weights: FeatureMap<[f32; NUM_LABELS]>,
}

const MAGIC: &[u8; 8] = b"TDNER\x00\x01\x00";

/// The shipped weights (see `models/README.md`).
static SHIPPED: &[u8] = include_bytes!("../../../models/ner.bin");

impl Model {
    /// The shipped model, decoded once per process.
    pub fn shipped() -> Option<&'static Model> {
        static MODEL: OnceLock<Option<Model>> = OnceLock::new();
        MODEL.get_or_init(|| Model::from_bytes(SHIPPED).ok()).as_ref()
    }

    /// Serialises as `MAGIC, scale f32, count u32, then (hash u64, [i16; 9]) sorted by hash`:
    /// weights quantised to 16 bits, deterministic byte for byte.
    pub fn to_bytes(&self) -> Vec<u8> {
        let largest =
            self.weights.values().flat_map(|row| row.iter()).fold(0.0f32, |max, weight| max.max(weight.abs()));
        let scale = if largest > 0.0 { largest / i16::MAX as f32 } else { 1.0 };
        let mut keys: Vec<u64> = self.weights.keys().copied().collect();
        keys.sort_unstable();
        let mut out = Vec::with_capacity(16 + keys.len() * (8 + 2 * NUM_LABELS));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&scale.to_le_bytes());
        out.extend_from_slice(&(keys.len() as u32).to_le_bytes());
        for key in keys {
            out.extend_from_slice(&key.to_le_bytes());
            for weight in self.weights[&key] {
                out.extend_from_slice(&((weight / scale).round() as i16).to_le_bytes());
            }
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        let corrupt = |what: &str| Error::Internal(format!("NER weights: {what}"));
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return Err(corrupt("not a tidings NER model (bad header)"));
        }
        let scale = f32::from_le_bytes(bytes[8..12].try_into().map_err(|_| corrupt("short header"))?);
        let count = u32::from_le_bytes(bytes[12..16].try_into().map_err(|_| corrupt("short header"))?) as usize;
        let row = 8 + 2 * NUM_LABELS;
        if bytes.len() != 16 + count * row {
            return Err(corrupt("length does not match the feature count"));
        }
        let mut weights = FeatureMap::with_capacity_and_hasher(count, Default::default());
        for chunk in bytes[16..].chunks_exact(row) {
            let key = u64::from_le_bytes(chunk[..8].try_into().map_err(|_| corrupt("short row"))?);
            let mut values = [0.0f32; NUM_LABELS];
            for (label, value) in values.iter_mut().enumerate() {
                let at = 8 + 2 * label;
                *value = i16::from_le_bytes([chunk[at], chunk[at + 1]]) as f32 * scale;
            }
            weights.insert(key, values);
        }
        Ok(Model { weights })
    }

    fn scores(&self, features: &[u64]) -> [f32; NUM_LABELS] {
        let mut scores = [0.0f32; NUM_LABELS];
        for feature in features {
            if let Some(row) = self.weights.get(feature) {
                for (score, weight) in scores.iter_mut().zip(row) {
                    *score += weight;
                }
            }
        }
        scores
    }

    /// The best label allowed after `previous` (an `I-` label only continues its own type).
    pub fn best_label(scores: &[f32; NUM_LABELS], previous: u8) -> u8 {
        let mut best = (f32::NEG_INFINITY, OUTSIDE);
        for (label, score) in scores.iter().enumerate() {
            let label = label as u8;
            if label != OUTSIDE && !is_begin(label) && label_type(previous) != label_type(label) {
                continue;
            }
            if *score > best.0 {
                best = (*score, label);
            }
        }
        best.1
    }

    /// Labels one sentence, left to right.
    pub fn tag(&self, words: &[&str]) -> Vec<u8> {
        self.tag_document(&[words.to_vec()]).pop().unwrap_or_default()
    }

    /// Labels the sentences of one document.
    pub fn tag_document(&self, sentences: &[Vec<&str>]) -> Vec<Vec<u8>> {
        let mut features = Vec::with_capacity(48);
        sentences
            .iter()
            .map(|words| {
                decode(words, &mut features, |_, features, previous| {
                    Model::best_label(&self.scores(features), previous)
                })
            })
            .collect()
    }
}

/// Greedy left-to-right decoding, shared by tagging and training: for each position, `choose` gets
/// its index, its features (which include the two labels chosen before it) and the previous label,
/// and returns the label to keep.
pub fn decode(words: &[&str], features: &mut Vec<u64>, mut choose: impl FnMut(usize, &[u64], u8) -> u8) -> Vec<u8> {
    let tokens = token_infos(words);
    let all_caps = sentence_is_all_caps(words);
    let mut labels: Vec<u8> = Vec::with_capacity(words.len());
    for index in 0..words.len() {
        let previous = [
            index.checked_sub(2).map(|at| labels[at]).unwrap_or(OUTSIDE),
            index.checked_sub(1).map(|at| labels[at]).unwrap_or(OUTSIDE),
        ];
        features::extract(&Context { tokens: &tokens, index, previous, all_caps }, features);
        labels.push(choose(index, features, previous[1]));
    }
    labels
}

/// Per-token facts for a sentence.
pub fn token_infos<'a>(words: &[&'a str]) -> Vec<TokenInfo<'a>> {
    words
        .iter()
        .map(|word| {
            let lower = if word.is_ascii() { word.to_ascii_lowercase() } else { word.to_lowercase() };
            TokenInfo {
                word,
                shape: features::shape(word),
                gazetteer: crate::entities::gazetteer::gazetteer_bits(&lower),
                lower,
            }
        })
        .collect()
}

/// A headline in capitals: casing tells nothing there.
pub fn sentence_is_all_caps(words: &[&str]) -> bool {
    let letters: Vec<char> = words.iter().flat_map(|word| word.chars()).filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 4 && letters.iter().all(|c| c.is_uppercase())
}

/// Spans `(type, start, end)` of a label sequence; an `I-` without a `B-` starts a span.
pub fn spans(labels: &[u8]) -> Vec<(u8, usize, usize)> {
    let mut found = Vec::new();
    let mut open: Option<(u8, usize)> = None;
    for (index, &label) in labels.iter().enumerate() {
        let kind = label_type(label);
        match (open, kind) {
            (Some((open_kind, _)), Some(kind)) if !is_begin(label) && open_kind == kind => {}
            _ => {
                if let Some((open_kind, start)) = open.take() {
                    found.push((open_kind, start, index));
                }
                if let Some(kind) = kind {
                    open = Some((kind, index));
                }
            }
        }
    }
    if let Some((kind, start)) = open {
        found.push((kind, start, labels.len()));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_follow_bio() {
        let labels: Vec<u8> =
            ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-ORG"].iter().map(|tag| label_number(tag)).collect();
        assert_eq!(spans(&labels), vec![(1, 0, 2), (3, 3, 4), (3, 4, 5), (2, 5, 6)]);
    }

    #[test]
    fn inside_labels_only_continue_their_type() {
        let mut scores = [0.0f32; NUM_LABELS];
        scores[label_number("I-PER") as usize] = 5.0;
        scores[label_number("B-ORG") as usize] = 1.0;
        assert_eq!(Model::best_label(&scores, label_number("B-LOC")), label_number("B-ORG"));
        assert_eq!(Model::best_label(&scores, label_number("B-PER")), label_number("I-PER"));
    }

    #[test]
    fn weights_round_trip() {
        let mut weights = FeatureMap::default();
        weights.insert(42, [1.0, -2.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0]);
        let bytes = Model { weights }.to_bytes();
        let model = Model::from_bytes(&bytes).unwrap();
        let row = model.weights[&42];
        assert!((row[1] + 2.0).abs() < 1e-3 && (row[8] - 3.0).abs() < 1e-3);
        assert!(Model::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    }
}
