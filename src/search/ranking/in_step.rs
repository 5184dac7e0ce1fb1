//! A union of a few queries that keeps no buffer.
//!
//! Tantivy's unions (`BooleanQuery` of `Should` clauses, `DisjunctionMaxQuery`) score documents in
//! windows of 4,096 and allocate one combiner per document of the window for every segment — 16 to
//! 64 KB per union per segment. An as-you-type query nests several small unions per word (its
//! tiers, title or body), so on every keystroke it allocated and zeroed hundreds of kilobytes that
//! the allocator then kept. With two to four children, walking them in step costs less.

use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};

use std::sync::Arc;

use super::prune::{BestOf, LazyCeilings, MemberCeilings};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term, TERMINATED};

/// How the scores of the children matching a document combine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Combine {
    /// The best child's score (a disjunction max without tie-breaker).
    Max,
    /// The children's scores added.
    Sum,
}

/// Matches what any child matches.
#[derive(Debug)]
pub struct AnyOf {
    children: Arc<Vec<Box<dyn Query>>>,
    combine: Combine,
}

impl AnyOf {
    pub fn new(children: Vec<Box<dyn Query>>, combine: Combine) -> AnyOf {
        AnyOf { children: Arc::new(children), combine }
    }

    /// The children and how their scores combine.
    pub fn parts(&self) -> (&[Box<dyn Query>], Combine) {
        (&self.children, self.combine)
    }
}

impl Clone for AnyOf {
    fn clone(&self) -> Self {
        AnyOf { children: Arc::clone(&self.children), combine: self.combine }
    }
}

impl Query for AnyOf {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self.children.iter().map(|child| child.weight(scoring)).collect::<tantivy::Result<_>>()?;
        // A best-of union can drop members that no longer matter (see `prune`).
        let ceilings = match self.combine {
            Combine::Max => LazyCeilings::of(&self.children, scoring),
            Combine::Sum => None,
        };
        Ok(Box::new(AnyOfWeight { weights, combine: self.combine, ceilings }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for child in self.children.iter() {
            child.query_terms(visitor);
        }
    }
}

struct AnyOfWeight {
    weights: Vec<Box<dyn Weight>>,
    combine: Combine,
    /// For a best-of union with scores: its children's ceilings, once needed.
    ceilings: Option<Arc<LazyCeilings>>,
}

impl Weight for AnyOfWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorers = Vec::with_capacity(self.weights.len());
        for (position, weight) in self.weights.iter().enumerate() {
            let scorer = weight.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                scorers.push((scorer, position));
            }
        }
        Ok(match (scorers.len(), &self.ceilings) {
            (0, _) => Box::new(EmptyScorer),
            (1, _) => scorers.pop().expect("one scorer").0,
            // The ceilings are of unboosted scores: a boosted union is not pruned.
            (_, Some(lazy)) if boost == 1.0 => Box::new(BestOf::new(scorers, MemberCeilings::new(Arc::clone(lazy)))),
            _ => Box::new(InStep::new(scorers.into_iter().map(|(scorer, _)| scorer).collect(), self.combine)),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match")));
        }
        let mut explanation = Explanation::new(
            match self.combine {
                Combine::Max => "best of",
                Combine::Sum => "sum of",
            },
            scorer.score(),
        );
        for weight in &self.weights {
            if let Ok(child) = weight.explain(reader, doc) {
                explanation.add_detail(child);
            }
        }
        Ok(explanation)
    }
}

/// How the members of an [`InStep`] union on a document make its score.
pub trait Merge<T>: Send + Sync + 'static {
    fn merge<'a>(&self, here: impl Iterator<Item = &'a mut T>) -> Score
    where
        T: 'a;
}

impl Merge<Box<dyn Scorer>> for Combine {
    fn merge<'a>(&self, here: impl Iterator<Item = &'a mut Box<dyn Scorer>>) -> Score {
        let scores = here.map(|scorer| scorer.score());
        match self {
            Combine::Max => scores.fold(0.0, Score::max),
            Combine::Sum => scores.sum(),
        }
    }
}

/// Doc sets walked in step: the union's document is the lowest of theirs, each advances past it
/// only when it is there, and `merge` scores the ones on it.
pub struct InStep<T, M> {
    members: Vec<T>,
    doc: DocId,
    merge: M,
}

impl<T: DocSet, M> InStep<T, M> {
    pub fn new(members: Vec<T>, merge: M) -> InStep<T, M> {
        let mut union = InStep { members, doc: 0, merge };
        union.doc = union.lowest();
        union
    }

    fn lowest(&self) -> DocId {
        self.members.iter().map(|member| member.doc()).min().unwrap_or(TERMINATED)
    }

    /// The members, where they stand.
    pub fn members_mut(&mut self) -> &mut [T] {
        &mut self.members
    }

    /// How the members' scores combine.
    pub fn merge(&self) -> &M {
        &self.merge
    }

    /// One member, by position.
    pub fn member_mut(&mut self, position: usize) -> &mut T {
        &mut self.members[position]
    }

    /// Drops a member; [`InStep::settle`] then finds the union's document again.
    pub fn remove(&mut self, position: usize) -> T {
        self.members.remove(position)
    }

    /// After members were dropped or moved on: the union stands on the lowest of theirs.
    pub fn settle(&mut self) {
        self.doc = self.lowest();
    }

    /// The members on the current document.
    pub fn here(&mut self) -> impl Iterator<Item = &mut T> {
        let doc = self.doc;
        self.members.iter_mut().filter(move |member| member.doc() == doc)
    }
}

impl<T: DocSet, M: Send + 'static> DocSet for InStep<T, M> {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        for member in self.here() {
            member.advance();
        }
        self.doc = self.lowest();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for member in &mut self.members {
            if member.doc() < target {
                member.seek(target);
            }
        }
        self.doc = self.lowest();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.members.iter().map(|member| member.size_hint()).fold(0u32, u32::saturating_add)
    }
}

impl<T: DocSet + 'static, M: Merge<T>> Scorer for InStep<T, M> {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        self.merge.merge(self.members.iter_mut().filter(move |member| member.doc() == doc))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{doc, DocAddress, Index};

    use super::*;

    /// Scores by document, sorted by document (up to 1,000 matches).
    pub(crate) fn run(searcher: &tantivy::Searcher, query: &dyn Query) -> Vec<(u32, Score)> {
        let mut found: Vec<(u32, Score)> = searcher
            .search(query, &TopDocs::with_limit(1000).order_by_score())
            .unwrap()
            .into_iter()
            .map(|(score, DocAddress { doc_id, .. })| (doc_id, score))
            .collect();
        found.sort_by_key(|(doc, _)| *doc);
        found
    }

    /// Same documents and scores as Tantivy's own unions, over 300 documents in two segments.
    #[test]
    fn matches_and_scores_as_tantivy_unions() {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for number in 0..300u32 {
            let mut words = Vec::new();
            for (word, every) in [("two", 2), ("three", 3), ("five", 5), ("seven", 7)] {
                if number % every == 0 {
                    words.push(word);
                }
            }
            words.push("any");
            writer.add_document(doc!(text => words.join(" "))).unwrap();
            if number == 150 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        let term = |word: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(text, word), IndexRecordOption::WithFreqs))
        };
        let words = ["two", "three", "seven"];
        let children = || words.iter().map(|word| term(word)).collect::<Vec<_>>();
        let sum = BooleanQuery::new(children().into_iter().map(|child| (Occur::Should, child)).collect());
        let max = DisjunctionMaxQuery::new(children());
        for (ours, theirs) in [
            (AnyOf::new(children(), Combine::Sum), Box::new(sum) as Box<dyn Query>),
            (AnyOf::new(children(), Combine::Max), Box::new(max)),
        ] {
            let expected = run(&searcher, theirs.as_ref());
            let found = run(&searcher, &ours);
            // Multiples of 2, 3 or 7 below 300, counted independently.
            assert_eq!(expected.len(), (0..300).filter(|n| n % 2 == 0 || n % 3 == 0 || n % 7 == 0).count());
            assert_eq!(found.len(), expected.len());
            for ((doc, score), (expected_doc, expected_score)) in found.iter().zip(&expected) {
                assert_eq!(doc, expected_doc);
                assert!((score - expected_score).abs() < 1e-4, "document {doc}: {score} against {expected_score}");
            }
            assert_eq!(searcher.search(&ours, &Count).unwrap(), expected.len());
        }
        // Inside an intersection it is sought: multiples of 5 that are multiples of 2, 3 or 7.
        let both = BooleanQuery::new(vec![
            (Occur::Must, Box::new(AnyOf::new(children(), Combine::Max)) as Box<dyn Query>),
            (Occur::Must, Box::new(ConstScoreQuery::new(term("five"), 0.0))),
        ]);
        let expected = (0..300).filter(|n| n % 5 == 0 && (n % 2 == 0 || n % 3 == 0 || n % 7 == 0)).count();
        assert_eq!(searcher.search(&both, &Count).unwrap(), expected);
        // No child matching, or one.
        assert_eq!(searcher.search(&AnyOf::new(vec![term("none")], Combine::Sum), &Count).unwrap(), 0);
        let one = AnyOf::new(vec![term("none"), term("seven")], Combine::Sum);
        assert_eq!(searcher.search(&one, &Count).unwrap(), (0..300).filter(|n| n % 7 == 0).count());
        let explained = one.explain(&searcher, DocAddress::new(0, 7)).unwrap();
        assert!(explained.value() > 0.0);
    }
}
