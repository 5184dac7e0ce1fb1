//! Measuring extractors: entity-level precision, recall and F1 (exact span and type) on CoNLL
//! files, and recall of the people Reuters-21578 tagged on its stories.

use std::collections::HashSet;
use std::time::Instant;

use super::train::Document;
use crate::entities::tagger::{spans, Model};
use crate::entities::EntityExtractor;
use crate::model::EntityKind;

/// True positives, false positives and false negatives per type (1 PER, 2 ORG, 3 LOC).
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub true_positives: [u64; 4],
    pub false_positives: [u64; 4],
    pub false_negatives: [u64; 4],
}

/// Types scored: PER, ORG, LOC (MISC is trained on but not extracted).
const SCORED: [u8; 3] = [1, 2, 3];

fn f1(true_positives: u64, false_positives: u64, false_negatives: u64) -> (f64, f64, f64) {
    let precision = true_positives as f64 / (true_positives + false_positives).max(1) as f64;
    let recall = true_positives as f64 / (true_positives + false_negatives).max(1) as f64;
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    (precision, recall, f1)
}

impl Counts {
    /// Adds the comparison of one sentence's gold and predicted spans.
    pub fn add(&mut self, gold: &[(u8, usize, usize)], predicted: &[(u8, usize, usize)]) {
        let gold: HashSet<_> = gold.iter().filter(|span| SCORED.contains(&span.0)).collect();
        let predicted: HashSet<_> = predicted.iter().filter(|span| SCORED.contains(&span.0)).collect();
        for span in &predicted {
            if gold.contains(span) {
                self.true_positives[span.0 as usize] += 1;
            } else {
                self.false_positives[span.0 as usize] += 1;
            }
        }
        for span in gold.difference(&predicted) {
            self.false_negatives[span.0 as usize] += 1;
        }
    }

    /// (precision, recall, F1) of one type.
    pub fn of_type(&self, kind: u8) -> (f64, f64, f64) {
        let kind = kind as usize;
        f1(self.true_positives[kind], self.false_positives[kind], self.false_negatives[kind])
    }

    /// Micro-averaged (precision, recall, F1) over PER, ORG and LOC.
    pub fn micro(&self) -> (f64, f64, f64) {
        let sum = |values: &[u64; 4]| SCORED.iter().map(|kind| values[*kind as usize]).sum::<u64>();
        f1(sum(&self.true_positives), sum(&self.false_positives), sum(&self.false_negatives))
    }

    /// `micro_f1=… per_f1=… org_f1=… loc_f1=…` (the eval contract), then precision and recall.
    pub fn line(&self) -> String {
        let (precision, recall, micro) = self.micro();
        format!(
            "micro_f1={micro:.4} per_f1={:.4} org_f1={:.4} loc_f1={:.4} precision={precision:.4} recall={recall:.4}",
            self.of_type(1).2,
            self.of_type(2).2,
            self.of_type(3).2
        )
    }
}

/// Scores a model on CoNLL documents.
pub fn evaluate_model(model: &Model, documents: &[Document]) -> Counts {
    let mut counts = Counts::default();
    for document in documents {
        let sentences: Vec<Vec<&str>> =
            document.iter().map(|sentence| sentence.words.iter().map(String::as_str).collect()).collect();
        for (sentence, labels) in document.iter().zip(model.tag_document(&sentences)) {
            counts.add(&spans(&sentence.labels), &spans(&labels));
        }
    }
    counts
}

/// Scores any extractor on CoNLL documents: each document's text goes through the extractor, and
/// every occurrence of a surface form it reports becomes a predicted span of its kind.
pub fn evaluate_extractor(extractor: &dyn EntityExtractor, documents: &[Document]) -> Counts {
    let mut counts = Counts::default();
    for document in documents {
        let text = document.iter().map(|sentence| sentence.words.join(" ")).collect::<Vec<_>>().join("\n");
        let mut surfaces: Vec<(u8, Vec<String>)> = Vec::new();
        for entity in extractor.extract("", &text) {
            let kind = match entity.kind {
                EntityKind::Person => 1,
                EntityKind::Org => 2,
                EntityKind::Place => 3,
            };
            for surface in entity.surfaces {
                surfaces.push((kind, surface.split_whitespace().map(String::from).collect()));
            }
        }
        // Longest surfaces first, so "Vladimir Putin" is one span, not "Putin" inside it.
        surfaces.sort_by_key(|(_, words)| std::cmp::Reverse(words.len()));
        for sentence in document {
            let mut taken = vec![false; sentence.words.len()];
            let mut predicted = Vec::new();
            for (kind, words) in &surfaces {
                if words.is_empty() || words.len() > sentence.words.len() {
                    continue;
                }
                for start in 0..=sentence.words.len() - words.len() {
                    let end = start + words.len();
                    if !taken[start..end].iter().any(|t| *t) && sentence.words[start..end] == words[..] {
                        taken[start..end].iter_mut().for_each(|t| *t = true);
                        predicted.push((*kind, start, end));
                    }
                }
            }
            counts.add(&spans(&sentence.labels), &predicted);
        }
    }
    counts
}

/// Tokens per second of a model tagging these documents on one thread (three passes).
pub fn tokens_per_second(model: &Model, documents: &[Document]) -> f64 {
    let documents: Vec<Vec<Vec<&str>>> = documents
        .iter()
        .map(|document| document.iter().map(|sentence| sentence.words.iter().map(String::as_str).collect()).collect())
        .collect();
    let tokens: usize = documents.iter().flatten().map(Vec::len).sum();
    let started = Instant::now();
    let mut labelled = 0usize;
    for _ in 0..3 {
        for document in &documents {
            labelled += model.tag_document(document).iter().map(Vec::len).sum::<usize>();
        }
    }
    debug_assert_eq!(labelled, tokens * 3);
    labelled as f64 / started.elapsed().as_secs_f64()
}

/// Reuters people: of the stories with PEOPLE tags, how many tagged people the extractor finds in
/// the text (a tag counts as found when an extracted person's name contains the tag's last word —
/// `james-baker` is found by "Baker" or "James Baker"), and how many extracted people match no tag.
#[derive(Debug, Default, Clone, Copy)]
pub struct PeopleRecall {
    pub stories: u64,
    pub tagged: u64,
    pub found: u64,
    pub extra: u64,
}

impl PeopleRecall {
    pub fn add(&mut self, tags: &[String], extracted: &[String]) {
        let surname = |tag: &str| tag.rsplit(['-', ' ']).next().unwrap_or(tag).to_lowercase();
        let names: Vec<Vec<String>> =
            extracted.iter().map(|name| name.split([' ', '-']).map(str::to_lowercase).collect()).collect();
        self.stories += 1;
        for tag in tags {
            self.tagged += 1;
            let wanted = surname(tag);
            if names.iter().any(|words| words.contains(&wanted)) {
                self.found += 1;
            }
        }
        let tag_surnames: Vec<String> = tags.iter().map(|tag| surname(tag)).collect();
        self.extra += names.iter().filter(|words| !words.iter().any(|word| tag_surnames.contains(word))).count() as u64;
    }

    pub fn line(&self) -> String {
        format!(
            "reuters_people_recall={:.4} extra_people_per_story={:.3} stories={} tagged_people={}",
            self.found as f64 / self.tagged.max(1) as f64,
            self.extra as f64 / self.stories.max(1) as f64,
            self.stories,
            self.tagged
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_span_and_type() {
        let mut counts = Counts::default();
        counts.add(&[(1, 0, 2), (3, 4, 5)], &[(1, 0, 2), (2, 4, 5), (1, 6, 7)]);
        assert_eq!(counts.true_positives[1], 1);
        assert_eq!(counts.false_positives[2] + counts.false_positives[1], 2);
        assert_eq!(counts.false_negatives[3], 1);
        let (precision, recall, _) = counts.micro();
        assert!((precision - 1.0 / 3.0).abs() < 1e-9 && (recall - 0.5).abs() < 1e-9);
    }

    #[test]
    fn people_match_on_surname() {
        let mut recall = PeopleRecall::default();
        recall.add(&["james-baker".into(), "volcker".into()], &["James Baker".into(), "Alan Greenspan".into()]);
        assert_eq!((recall.tagged, recall.found, recall.extra), (2, 1, 1));
    }
}
