//! Training: corpus readers (CoNLL column files, the GMB CSV) and the structured averaged
//! perceptron (each sentence decoded whole with Viterbi, the weights moved where the best
//! sequence and the gold one differ).
//! Deterministic: the same corpora and epochs give the same weights, byte for byte.

use std::io::Read;
use std::path::Path;

use crate::entities::tagger::{
    is_begin, label_number, label_type, viterbi, FeatureMap, Lattice, Model, NUM_LABELS, OUTSIDE, START,
};
use crate::error::{Error, Result};

/// A labelled sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    pub words: Vec<String>,
    pub labels: Vec<u8>,
}

/// Sentences grouped by document (CoNLL's `-DOCSTART-`), for document-level evaluation.
pub type Document = Vec<Sentence>;

fn read_text(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|error| Error::Config(format!("cannot read {}: {error}", path.display())))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut decoded = Vec::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice()).read_to_end(&mut decoded)?;
        return Ok(decoded);
    }
    Ok(raw)
}

/// Reads a CoNLL column file (word first, BIO tag last; `-DOCSTART-` separates documents). IOB1
/// tags are turned into IOB2.
pub fn read_conll(path: &Path) -> Result<Vec<Document>> {
    let bytes = read_text(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut documents: Vec<Document> = vec![Vec::new()];
    let mut sentence = Sentence { words: Vec::new(), labels: Vec::new() };
    let flush = |sentence: &mut Sentence, documents: &mut Vec<Document>| {
        if !sentence.words.is_empty() {
            let done = std::mem::replace(sentence, Sentence { words: Vec::new(), labels: Vec::new() });
            documents.last_mut().expect("one document").push(done);
        }
    };
    for (number, line) in text.lines().enumerate() {
        let columns: Vec<&str> = line.split_whitespace().collect();
        if columns.is_empty() {
            flush(&mut sentence, &mut documents);
            continue;
        }
        if columns[0] == "-DOCSTART-" {
            flush(&mut sentence, &mut documents);
            if !documents.last().is_some_and(Vec::is_empty) {
                documents.push(Vec::new());
            }
            continue;
        }
        if columns.len() < 2 {
            return Err(Error::Config(format!("{}:{}: expected `word … TAG`", path.display(), number + 1)));
        }
        let tag = columns[columns.len() - 1];
        let mut label = label_number(tag);
        // IOB1 → IOB2: an I- that does not continue its own type begins an entity.
        // (An I- of a type we do not know is outside: label 0, nothing to turn.)
        if tag.starts_with("I-") && label != OUTSIDE {
            let previous = sentence.labels.last().copied().unwrap_or(OUTSIDE);
            if label_type(previous) != label_type(label) {
                label -= 1;
            }
        }
        sentence.words.push(columns[0].to_string());
        sentence.labels.push(label);
    }
    flush(&mut sentence, &mut documents);
    documents.retain(|document| !document.is_empty());
    Ok(documents)
}

/// GMB's types mapped onto ours: per → PER, org → ORG, geo → LOC, gpe (mostly demonyms) → MISC;
/// time, artefact, event and natural-phenomenon tags are not entities here.
fn gmb_label(tag: &str) -> u8 {
    let Some((prefix, kind)) = tag.split_once('-') else { return OUTSIDE };
    let ours = match kind {
        "per" => "PER",
        "org" => "ORG",
        "geo" => "LOC",
        "gpe" => "MISC",
        _ => return OUTSIDE,
    };
    label_number(&format!("{prefix}-{ours}"))
}

/// Reads the GMB CSV (`Sentence #,Word,POS,Tag`, Windows-1252, quoted fields). The last sentence,
/// cut off in the file, is dropped.
pub fn read_gmb(path: &Path) -> Result<Vec<Sentence>> {
    let bytes = read_text(path)?;
    let text: String = bytes.iter().map(|&byte| cp1252(byte)).collect();
    let mut sentences: Vec<Sentence> = Vec::new();
    for (number, line) in text.split('\n').enumerate().skip(1) {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let fields = csv_fields(line);
        if fields.len() != 4 {
            return Err(Error::Config(format!("{}:{}: expected 4 CSV fields", path.display(), number + 1)));
        }
        if fields[0].starts_with("Sentence:") || sentences.is_empty() {
            sentences.push(Sentence { words: Vec::new(), labels: Vec::new() });
        }
        let sentence = sentences.last_mut().expect("a sentence");
        let mut label = gmb_label(&fields[3]);
        // An I- that does not continue its own type begins an entity, as in CoNLL files.
        let previous = sentence.labels.last().copied().unwrap_or(OUTSIDE);
        if label != OUTSIDE && !is_begin(label) && label_type(previous) != label_type(label) {
            label -= 1;
        }
        sentence.words.push(fields[1].clone());
        sentence.labels.push(label);
    }
    sentences.pop();
    Ok(sentences)
}

fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(character) = chars.next() {
        match (character, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut current)),
            (other, _) => current.push(other),
        }
    }
    fields.push(current);
    fields
}

/// Windows-1252 byte → character (the 0x80–0x9F block differs from latin-1).
fn cp1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9f => HIGH[(byte - 0x80) as usize],
        other => other as char,
    }
}

/// The averaged perceptron's training state.
struct Trainer {
    index: FeatureMap<u32>,
    weights: Vec<[f32; NUM_LABELS]>,
    totals: Vec<[f32; NUM_LABELS]>,
    stamps: Vec<[u32; NUM_LABELS]>,
    step: u32,
}

impl Trainer {
    fn row(&mut self, feature: u64) -> usize {
        let next = self.weights.len() as u32;
        let row = *self.index.entry(feature).or_insert(next) as usize;
        if row == self.weights.len() {
            self.weights.push([0.0; NUM_LABELS]);
            self.totals.push([0.0; NUM_LABELS]);
            self.stamps.push([0; NUM_LABELS]);
        }
        row
    }

    fn lookup(&self, feature: u64) -> Option<&[f32; NUM_LABELS]> {
        self.index.get(&feature).map(|&row| &self.weights[row as usize])
    }

    /// Moves the weights of `features` towards `truth` and away from `guess`.
    fn update(&mut self, features: &[u64], truth: u8, guess: u8) {
        self.adjust(features, truth, 1.0);
        self.adjust(features, guess, -1.0);
    }

    /// Adds `delta` to the weight of `label` for each feature, keeping the running totals the
    /// average is taken from.
    fn adjust(&mut self, features: &[u64], label: u8, delta: f32) {
        let label = label as usize;
        for &feature in features {
            let row = self.row(feature);
            self.totals[row][label] += (self.step - self.stamps[row][label]) as f32 * self.weights[row][label];
            self.stamps[row][label] = self.step;
            self.weights[row][label] += delta;
        }
    }

    fn averaged(mut self) -> Model {
        let mut weights = FeatureMap::with_capacity_and_hasher(self.index.len(), Default::default());
        let steps = self.step.max(1) as f32;
        for (&feature, &row) in &self.index {
            let row = row as usize;
            let mut averaged = [0.0f32; NUM_LABELS];
            let step = self.step;
            let lanes =
                averaged.iter_mut().zip(self.totals[row].iter_mut()).zip(&self.stamps[row]).zip(&self.weights[row]);
            for (((average, total), stamp), weight) in lanes {
                *total += (step - stamp) as f32 * weight;
                *average = *total / steps;
            }
            // Weights too small to survive 16-bit quantisation are dropped.
            if averaged.iter().any(|weight| weight.abs() >= 1e-3) {
                weights.insert(feature, averaged);
            }
        }
        Model { weights }
    }

    /// One structured-perceptron step over a sentence: decode it whole, and where the best
    /// sequence differs from the gold one, reward the gold features and penalise the guessed ones
    /// (the observed features where the labels differ, the paired ones where the label or the one
    /// before it differs). Returns how many tokens the guess got right.
    fn learn(&mut self, lattice: &Lattice, gold: &[u8]) -> usize {
        let guess = viterbi(lattice, |feature| self.lookup(feature));
        self.step += 1;
        let label_before = |labels: &[u8], index: usize| if index == 0 { START } else { labels[index - 1] };
        for index in 0..gold.len() {
            let (truth, guessed) = (gold[index], guess[index]);
            let (truth_before, guessed_before) = (label_before(gold, index), label_before(&guess, index));
            if truth != guessed {
                self.update(lattice.observed(index), truth, guessed);
            }
            if truth != guessed || truth_before != guessed_before {
                self.adjust(&lattice.paired(index, truth_before), truth, 1.0);
                self.adjust(&lattice.paired(index, guessed_before), guessed, -1.0);
            }
        }
        gold.iter().zip(&guess).filter(|(truth, guessed)| truth == guessed).count()
    }
}

/// One training document in this many is read a sentence at a time.
const ALONE_EVERY: usize = 2;

/// Trains on the sentences of `documents` for `epochs` passes, in an order shuffled by a fixed
/// seed.
pub fn train(documents: &[Document], epochs: usize, mut progress: impl FnMut(usize, f64)) -> Model {
    let sentences: Vec<&Sentence> = documents.iter().flatten().collect();
    // Half the documents are read whole, as the extractor reads an article; every other one is
    // read a sentence at a time, as a bulletin or a headline with nothing around it is, so the weights
    // do not count on the rest of a document being there.
    let lattices: Vec<Lattice> = documents
        .iter()
        .enumerate()
        .flat_map(|(number, document)| {
            let words: Vec<Vec<&str>> =
                document.iter().map(|sentence| sentence.words.iter().map(String::as_str).collect()).collect();
            if number % ALONE_EVERY == ALONE_EVERY - 1 {
                words.iter().flat_map(|words| Lattice::document(std::slice::from_ref(words), &[true])).collect()
            } else {
                Lattice::document(&words, &vec![true; words.len()])
            }
        })
        .collect();
    let mut trainer =
        Trainer { index: FeatureMap::default(), weights: Vec::new(), totals: Vec::new(), stamps: Vec::new(), step: 0 };
    let mut order: Vec<usize> = (0..sentences.len()).collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for epoch in 0..epochs {
        // Fisher–Yates with xorshift: deterministic.
        for index in (1..order.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            order.swap(index, (seed % (index as u64 + 1)) as usize);
        }
        let (mut correct, mut total) = (0usize, 0usize);
        for &position in &order {
            correct += trainer.learn(&lattices[position], &sentences[position].labels);
            total += sentences[position].labels.len();
        }
        progress(epoch + 1, correct as f64 / total.max(1) as f64);
    }
    trainer.averaged()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_handle_quotes() {
        assert_eq!(csv_fields(r#"Sentence: 1,Thousands,NNS,O"#), vec!["Sentence: 1", "Thousands", "NNS", "O"]);
        assert_eq!(csv_fields(r#",",",",",O"#), vec!["", ",", ",", "O"]);
        assert_eq!(csv_fields(r#","""",``,O"#), vec!["", "\"", "``", "O"]);
    }

    #[test]
    fn gmb_types_map_onto_ours() {
        assert_eq!(gmb_label("B-geo"), label_number("B-LOC"));
        assert_eq!(gmb_label("I-per"), label_number("I-PER"));
        assert_eq!(gmb_label("B-tim"), OUTSIDE);
        assert_eq!(cp1252(0x92), '’');
    }

    #[test]
    fn a_tiny_corpus_is_learned() {
        let sentence = |words: &[&str], tags: &[&str]| Sentence {
            words: words.iter().map(|w| w.to_string()).collect(),
            labels: tags.iter().map(|t| label_number(t)).collect(),
        };
        let corpus = vec![
            sentence(&["Anna", "Berg", "visited", "Oslo", "."], &["B-PER", "I-PER", "O", "B-LOC", "O"]),
            sentence(&["Oslo", "welcomed", "Anna", "Berg", "."], &["B-LOC", "O", "B-PER", "I-PER", "O"]),
        ];
        let documents = vec![corpus.clone()];
        let model = train(&documents, 10, |_, _| {});
        assert_eq!(model.tag(&["Anna", "Berg", "visited", "Oslo", "."]), corpus[0].labels);
        let again = train(&documents, 10, |_, _| {});
        assert_eq!(model.to_bytes(), again.to_bytes(), "training is deterministic");
    }
}
