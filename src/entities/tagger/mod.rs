//! Named-entity recognition: a structured averaged perceptron over BIO labels (PER, ORG, LOC,
//! MISC), decoded with Viterbi over each sentence (the best label sequence under first-order
//! features, not a left-to-right guess whose errors cascade), trained by `tidings train-ner` from
//! the corpora in `../shared/data/ner`, its weights shipped in `models/ner.bin` and loaded once.

pub mod features;
pub mod text;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use crate::error::{Error, Result};
use features::{Context, DocumentFacts, FeatureHash, TokenInfo, PAIRED};

/// The labels, in the order of the weight rows.
pub const LABELS: [&str; 9] = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"];
pub const NUM_LABELS: usize = LABELS.len();
pub const OUTSIDE: u8 = 0;
/// The "previous label" of a sentence's first token.
pub const START: u8 = NUM_LABELS as u8;

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

/// Whether `label` may follow `previous`: an `I-` label only continues its own type.
pub fn may_follow(previous: u8, label: u8) -> bool {
    label == OUTSIDE || is_begin(label) || (previous != START && label_type(previous) == label_type(label))
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

    fn row(&self, feature: u64) -> Option<&[f32; NUM_LABELS]> {
        self.weights.get(&feature)
    }

    /// Labels one sentence, as a document of its own.
    pub fn tag(&self, words: &[&str]) -> Vec<u8> {
        self.tag_document(&[words.to_vec()]).pop().unwrap_or_default()
    }

    /// Labels the sentences of one document (each word also read by what the others say of it).
    pub fn tag_document(&self, sentences: &[Vec<&str>]) -> Vec<Vec<u8>> {
        let cased: Vec<bool> = sentences.iter().map(|words| !sentence_is_all_caps(words)).collect();
        self.tag_article(sentences, &cased)
    }

    /// Labels the sentences of one document, of which only those `cased` says carry their own
    /// casing (not truecased from elsewhere) tell the others how a word is written.
    pub fn tag_article(&self, sentences: &[Vec<&str>], cased: &[bool]) -> Vec<Vec<u8>> {
        Lattice::document(sentences, cased)
            .iter()
            .map(|lattice| viterbi(lattice, |feature| self.row(feature)))
            .collect()
    }
}

/// The features of a sentence, computed once and shared by decoding and training.
pub struct Lattice {
    observed: Vec<u64>,
    /// Where each position's observed features start in `observed` (one more entry than positions).
    starts: Vec<usize>,
    paired: Vec<[FeatureHash; PAIRED]>,
}

impl Lattice {
    /// The lattices of a document's sentences; `cased` says which carry their own casing.
    pub fn document(sentences: &[Vec<&str>], cased: &[bool]) -> Vec<Lattice> {
        let read: Vec<(Vec<TokenInfo<'_>>, bool)> =
            sentences.iter().map(|words| (token_infos(words), sentence_is_all_caps(words))).collect();
        let document = DocumentFacts::learn(
            read.iter().zip(cased).map(|((tokens, all_caps), cased)| (tokens.as_slice(), *cased && !all_caps)),
        );
        read.iter()
            .map(|(tokens, all_caps)| {
                let mut lattice = Lattice {
                    observed: Vec::with_capacity(tokens.len() * 34),
                    starts: vec![0],
                    paired: Vec::with_capacity(tokens.len()),
                };
                for index in 0..tokens.len() {
                    let context = Context { tokens, index, all_caps: *all_caps, document: &document };
                    features::observed(&context, &mut lattice.observed);
                    lattice.starts.push(lattice.observed.len());
                    lattice.paired.push(features::paired(&context));
                }
                lattice
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.paired.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paired.is_empty()
    }

    /// The label-free features of a position.
    pub fn observed(&self, index: usize) -> &[u64] {
        &self.observed[self.starts[index]..self.starts[index + 1]]
    }

    /// The features of a position given the previous token's label.
    pub fn paired(&self, index: usize, previous: u8) -> [u64; PAIRED] {
        self.paired[index].map(|feature| feature.with_label(previous))
    }
}

fn add_rows<'w>(scores: &mut [f32; NUM_LABELS], features: &[u64], row: &impl Fn(u64) -> Option<&'w [f32; NUM_LABELS]>) {
    for &feature in features {
        if let Some(weights) = row(feature) {
            for (score, weight) in scores.iter_mut().zip(weights) {
                *score += weight;
            }
        }
    }
}

/// The best label sequence of a sentence under the weights `row` looks up: Viterbi over the
/// nine labels, each position scored by its observed features and, for every label the previous
/// position may hold, the features paired with it; `I-` labels only continue their own type.
pub fn viterbi<'w>(lattice: &Lattice, row: impl Fn(u64) -> Option<&'w [f32; NUM_LABELS]>) -> Vec<u8> {
    let length = lattice.len();
    if length == 0 {
        return Vec::new();
    }
    let mut best = vec![[f32::NEG_INFINITY; NUM_LABELS]; length];
    let mut back = vec![[OUTSIDE; NUM_LABELS]; length];
    for index in 0..length {
        let mut emission = [0.0f32; NUM_LABELS];
        add_rows(&mut emission, lattice.observed(index), &row);
        let previous_labels: &[u8] = if index == 0 { &[START] } else { &ALL_LABELS };
        for &previous in previous_labels {
            let before = if index == 0 { 0.0 } else { best[index - 1][previous as usize] };
            if before == f32::NEG_INFINITY {
                continue;
            }
            let mut transition = [0.0f32; NUM_LABELS];
            add_rows(&mut transition, &lattice.paired(index, previous), &row);
            for label in 0..NUM_LABELS {
                if !may_follow(previous, label as u8) {
                    continue;
                }
                let score = before + transition[label] + emission[label];
                if score > best[index][label] {
                    best[index][label] = score;
                    back[index][label] = previous;
                }
            }
        }
    }
    let mut label = (0..NUM_LABELS)
        .max_by(|a, b| best[length - 1][*a].total_cmp(&best[length - 1][*b]).then(b.cmp(a)))
        .unwrap_or(0) as u8;
    let mut labels = vec![OUTSIDE; length];
    for index in (0..length).rev() {
        labels[index] = label;
        label = back[index][label as usize];
    }
    labels
}

const ALL_LABELS: [u8; NUM_LABELS] = [0, 1, 2, 3, 4, 5, 6, 7, 8];

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
                common: crate::entities::names::is_common_lower(&lower),
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
        assert!(may_follow(label_number("B-PER"), label_number("I-PER")));
        assert!(may_follow(label_number("I-PER"), label_number("I-PER")));
        assert!(!may_follow(label_number("B-LOC"), label_number("I-PER")));
        assert!(!may_follow(START, label_number("I-ORG")));
        assert!(may_follow(START, label_number("B-ORG")));
    }

    #[test]
    fn viterbi_prefers_the_best_sequence_over_the_best_first_step() {
        // One word whose best label alone (I-PER after B-PER) needs a first label that scores a
        // little worse than the greedy choice: the sequence wins.
        let words = ["Anna", "Berg"];
        let lattice = Lattice::document(&[words.to_vec()], &[true]).remove(0);
        let mut weights = FeatureMap::default();
        let mut first = [0.0f32; NUM_LABELS];
        first[label_number("B-LOC") as usize] = 1.0;
        first[label_number("B-PER") as usize] = 0.9;
        weights.insert(lattice.observed(0)[1], first);
        let mut second = [0.0f32; NUM_LABELS];
        second[label_number("I-PER") as usize] = 2.0;
        weights.insert(lattice.observed(1)[1], second);
        let model = Model { weights };
        assert_eq!(model.tag(&words), vec![label_number("B-PER"), label_number("I-PER")]);
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
