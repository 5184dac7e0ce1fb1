//! A word scored over the title and the body as if they were one field (BM25F, Robertson,
//! Zaragoza & Taylor 2004, in the "simple" form Lucene's `CombinedFieldQuery` also uses).
//!
//! Scoring each field on its own and adding the scores counts a word twice when it is both in the
//! headline and in the text: each field saturates separately, so an article whose text repeats
//! its headline (a Cranfield abstract, a wire story's lead) gets up to twice a word's weight.
//! Here the word's frequencies are first combined — each field's count weighted and normalised by
//! that field's length — and saturated once:
//!
//! ```text
//! tf~   = Σ_f  w_f · tf_f / (1 − b + b · len_f / avglen_f)
//! score = idf · (k1 + 1) · tf~ / (k1 + tf~)
//! ```
//!
//! The idf uses the largest of the fields' document frequencies (a document holding the word in
//! its title nearly always holds it in its body), so it is that of a single field.

use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::BlockSegmentPostings;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, EmptyScorer, EnableScoring, Explanation, Occur, Query, QueryParser,
    QueryParserError, Scorer, Weight,
};
use tantivy::query::{Bm25StatisticsProvider, Bm25Weight};
use tantivy::query_grammar::{UserInputAst, UserInputLeaf};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, Term, TERMINATED};

use super::in_step::{InStep, Merge};

/// BM25's saturation and length normalisation, as Tantivy and Lucene set them.
const K1: Score = 1.2;
const B: Score = 0.75;

/// One word (the same text in several fields), each field with its weight.
#[derive(Clone, Debug)]
pub struct CombinedTermQuery {
    fields: Vec<(Term, Score)>,
    /// Added to the score of every match.
    bonus: Score,
}

impl CombinedTermQuery {
    /// `fields`: the word as a term of each field, with the field's weight (> 0).
    pub fn new(fields: Vec<(Term, Score)>) -> CombinedTermQuery {
        CombinedTermQuery { fields, bonus: 0.0 }
    }

    /// The same, with `bonus` added to every match's score (as-you-type mode's exact tier).
    pub fn with_bonus(self, bonus: Score) -> CombinedTermQuery {
        CombinedTermQuery { bonus, ..self }
    }
}

impl Query for CombinedTermQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let mut fields = Vec::with_capacity(self.fields.len());
        let mut idf = 1.0;
        if let EnableScoring::Enabled { statistics_provider, .. } = scoring {
            let documents = statistics_provider.total_num_docs()?.max(1);
            let mut document_frequency = 0;
            for (term, weight) in &self.fields {
                let tokens = statistics_provider.total_num_tokens(term.field())?;
                let average_length = (tokens as Score / documents as Score).max(1e-6);
                fields.push(FieldWeight::new(term.clone(), *weight, average_length));
                document_frequency = document_frequency.max(statistics_provider.doc_freq(term)?);
            }
            idf = inverse_document_frequency(document_frequency.min(documents), documents);
        } else {
            fields.extend(self.fields.iter().map(|(term, weight)| FieldWeight::new(term.clone(), *weight, 1.0)));
        }
        Ok(Box::new(CombinedTermWeight { fields, idf, bonus: self.bonus }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for (term, _) in &self.fields {
            visitor(term, false);
        }
    }
}

impl CombinedTermQuery {
    /// The highest score of a match: the saturation's limit `idf · (k1 + 1)` plus the bonus; and
    /// the word in each field (a match holds one of them).
    pub(crate) fn ceiling(&self, searcher: &Searcher) -> tantivy::Result<(Score, Vec<Term>)> {
        let documents = searcher.total_num_docs()?.max(1);
        let mut document_frequency = 0;
        for (term, _) in &self.fields {
            document_frequency = document_frequency.max(searcher.doc_freq(term)?);
        }
        let idf = inverse_document_frequency(document_frequency.min(documents), documents);
        Ok((idf * (K1 + 1.0) + self.bonus, self.fields.iter().map(|(term, _)| term.clone()).collect()))
    }
}

/// BM25's idf, as Lucene and Tantivy compute it (never negative).
fn inverse_document_frequency(document_frequency: u64, documents: u64) -> Score {
    let ratio = (documents - document_frequency) as Score + 0.5;
    (1.0 + ratio / (document_frequency as Score + 0.5)).ln()
}

/// A field's term, with its weight divided by the length normalisation for each of the 256 length
/// codes Tantivy stores per document.
struct FieldWeight {
    term: Term,
    weight: Score,
    /// The field's average length over the index (what the normalisation divides by).
    average_length: Score,
    weight_by_length: Arc<[Score; 256]>,
}

impl FieldWeight {
    fn new(term: Term, weight: Score, average_length: Score) -> FieldWeight {
        let mut weight_by_length = [0.0; 256];
        for (code, slot) in weight_by_length.iter_mut().enumerate() {
            let length = FieldNormReader::id_to_fieldnorm(code as u8) as Score;
            *slot = weight / (1.0 - B + B * length / average_length);
        }
        FieldWeight { term, weight, average_length, weight_by_length: Arc::new(weight_by_length) }
    }
}

struct CombinedTermWeight {
    fields: Vec<FieldWeight>,
    idf: Score,
    bonus: Score,
}

impl CombinedTermWeight {
    fn combined_scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Option<CombinedTermScorer>> {
        let mut fields = Vec::with_capacity(self.fields.len());
        for field in &self.fields {
            let inverted = reader.inverted_index(field.term.field())?;
            if let Some(block) = inverted.read_block_postings(&field.term, IndexRecordOption::WithFreqs)? {
                let lengths = reader.get_fieldnorms_reader(field.term.field())?;
                let segment_average = inverted.total_num_tokens() as Score / reader.max_doc().max(1) as Score;
                fields.push(FieldPostings {
                    block,
                    at: 0,
                    lengths,
                    weight_by_length: field.weight_by_length.clone(),
                    bounds: BlockBounds::new(field, segment_average),
                });
            }
        }
        if fields.is_empty() {
            return Ok(None);
        }
        let saturation = Saturation { scale: boost * self.idf * (K1 + 1.0), bonus: boost * self.bonus };
        Ok(Some(CombinedTermScorer { union: InStep::new(fields, saturation), floor: None, worth_scoring: None }))
    }
}

impl Weight for CombinedTermWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.combined_scorer(reader, boost)? {
            Some(scorer) => Box::new(scorer),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if let Some(mut scorer) = self.combined_scorer(reader, 1.0)? {
            if scorer.doc() <= doc && scorer.seek(doc) == doc {
                let mut explanation = Explanation::new(
                    "BM25F over title and body: idf × (k1 + 1) × tf / (k1 + tf) + bonus",
                    scorer.score(),
                );
                explanation.add_const("idf", self.idf);
                explanation.add_const("k1", K1);
                let frequency: Score = scorer.union.here().map(|field| field.frequency()).sum();
                explanation.add_const("tf, combined over the fields", frequency);
                explanation.add_const("bonus", self.bonus);
                return Ok(explanation);
            }
        }
        Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match")))
    }
}

/// A field's postings of the word, walked block by block (as Tantivy's own postings are), so that
/// each block's most favourable frequency and length can bound what its documents score.
struct FieldPostings {
    block: BlockSegmentPostings,
    /// The current document's place in the block.
    at: usize,
    lengths: FieldNormReader,
    weight_by_length: Arc<[Score; 256]>,
    bounds: BlockBounds,
}

/// Documents per postings block (Tantivy's `COMPRESSION_BLOCK_SIZE`).
const BLOCK: usize = 128;

impl FieldPostings {
    /// The field's weighted, length-normalised frequency of the word in the current document.
    fn frequency(&self) -> Score {
        let doc = self.doc();
        self.weight_by_length[self.lengths.fieldnorm_id(doc) as usize] * self.block.freq(self.at) as Score
    }

    /// The last document of the current block.
    fn block_end(&self) -> DocId {
        self.block.docs().last().copied().unwrap_or(TERMINATED)
    }

    /// The most [`FieldPostings::frequency`] gives any document of the current block, if known.
    fn block_most(&mut self) -> Option<Score> {
        let BlockBounds { segment: Some(segment), most, scale } = &self.bounds else { return None };
        let share = self.block.block_max_score(&self.lengths, segment) / most;
        // tf / (tf + k1 · norm) back to tf / norm; near 1 the inversion loses its precision. A
        // block's best is never 0 (a stored pair of zeros means no lengths were kept): unknown.
        (share > 0.0 && share < 0.99).then(|| scale * share / (1.0 - share))
    }
}

/// What bounds a field's block: Tantivy keeps, for each full block, the frequency and length that
/// score best by BM25 with the segment's own average length. The index-wide average the scores
/// use may differ; a document's `tf / norm` then grows by at most their ratio (when the index's
/// average is the longer), so the block's best times that ratio bounds every document in it.
struct BlockBounds {
    /// BM25 with the segment's average length (its idf does not matter); `None` when unusable.
    segment: Option<Bm25Weight>,
    /// Its weight (the score of an unbounded frequency): what a block's best is divided by.
    most: Score,
    /// The field's weight × k1 × the ratio of the averages, padded for rounding.
    scale: Score,
}

impl BlockBounds {
    fn new(field: &FieldWeight, segment_average: Score) -> BlockBounds {
        let usable = segment_average.is_finite() && segment_average > 0.0 && field.average_length > 0.0;
        let segment = usable.then(|| Bm25Weight::for_one_term_without_explain(1, 2, segment_average));
        // The weight itself: an unbounded frequency at the shortest length (Tantivy's own
        // `max_score` takes the longest, a little less).
        let most = segment.as_ref().map_or(1.0, |segment| segment.score(0, u32::MAX));
        let ratio = (field.average_length / segment_average).max(1.0);
        BlockBounds { segment, most, scale: field.weight * K1 * ratio * (1.0 + 1e-3) }
    }
}

impl DocSet for FieldPostings {
    fn advance(&mut self) -> DocId {
        if self.at == BLOCK - 1 {
            self.at = 0;
            self.block.advance();
        } else {
            self.at += 1;
        }
        self.doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc() >= target {
            return self.doc();
        }
        // The next document first: a seek is most often to the one just after.
        self.at = (self.at + 1).min(BLOCK - 1);
        if self.doc() >= target {
            return self.doc();
        }
        self.at = self.block.seek(target);
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.block.doc(self.at)
    }

    fn size_hint(&self) -> u32 {
        self.block.doc_freq()
    }
}

/// BM25F's saturation of the fields' frequencies, added once per document.
struct Saturation {
    /// boost × idf × (k1 + 1).
    scale: Score,
    /// boost × the bonus.
    bonus: Score,
}

impl Merge<FieldPostings> for Saturation {
    fn merge<'a>(&self, here: impl Iterator<Item = &'a mut FieldPostings>) -> Score {
        self.score(here.map(|field| field.frequency()).sum())
    }
}

impl Saturation {
    fn score(&self, frequency: Score) -> Score {
        self.scale * frequency / (K1 + frequency) + self.bonus
    }
}

/// The union of the word's postings in each field, scored once per document; once told a score
/// its matches must pass ([`CombinedTermScorer::skip_below`]), it skips every stretch of
/// documents whose blocks cannot reach it (block-max, as in Ding & Suel 2011).
pub(crate) struct CombinedTermScorer {
    union: InStep<FieldPostings, Saturation>,
    floor: Option<Score>,
    /// The last stretch found worth scoring under the current floor: where it ends, and which
    /// fields (as bits) were on its first document.
    worth_scoring: Option<(DocId, u64)>,
}

impl CombinedTermScorer {
    /// From now on, matches that cannot score above `floor` may be passed over. True: the
    /// scorer may pass over matches (it may then stand on a later document).
    pub(crate) fn skip_below(&mut self, floor: Score) -> bool {
        if self.floor.is_none_or(|current| floor > current) {
            self.floor = Some(floor);
            self.worth_scoring = None;
        }
        self.pass_over_blocks_below_the_floor();
        true
    }

    /// Moves on while the stretch from the current document cannot score above the floor.
    fn pass_over_blocks_below_the_floor(&mut self) {
        let Some(floor) = self.floor else { return };
        loop {
            let doc = self.union.doc();
            if doc == TERMINATED {
                return;
            }
            // The stretch ends with the first block that ends, or before a field not on this
            // document comes in: only the fields on it add, each at most its block's best.
            let mut end = TERMINATED;
            let mut on = 0u64;
            for (position, field) in self.union.members_mut().iter().enumerate() {
                if field.doc() == doc {
                    end = end.min(field.block_end());
                    on |= 1 << position.min(63);
                } else if field.doc() != TERMINATED {
                    end = end.min(field.doc() - 1);
                }
            }
            // The same fields in the same blocks as a stretch found worth scoring: the same bound.
            if self.worth_scoring.is_some_and(|(to, fields)| doc <= to && on == fields) {
                return;
            }
            let mut most = Some(0.0);
            for field in self.union.members_mut().iter_mut().filter(|field| field.doc() == doc) {
                most = most.zip(field.block_most()).map(|(sum, field)| sum + field);
            }
            match most {
                Some(most) if end != TERMINATED && self.union.merge().score(most) <= floor => {
                    self.union.seek(end + 1);
                }
                _ => {
                    self.worth_scoring = Some((end, on));
                    return;
                }
            }
        }
    }
}

impl DocSet for CombinedTermScorer {
    fn advance(&mut self) -> DocId {
        self.union.advance();
        self.pass_over_blocks_below_the_floor();
        self.union.doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.union.seek(target);
        self.pass_over_blocks_below_the_floor();
        self.union.doc()
    }

    fn doc(&self) -> DocId {
        self.union.doc()
    }

    fn size_hint(&self) -> u32 {
        self.union.size_hint()
    }
}

impl Scorer for CombinedTermScorer {
    fn score(&mut self) -> Score {
        self.union.score()
    }
}

/// Builds the query for parsed analyst syntax as Tantivy's parser does, except that a plain word
/// (no field named, one token once analysed) becomes a [`CombinedTermQuery`] over the title and
/// the body. Phrases, named fields, ranges and the rest go through the parser. Two differences in
/// what matches, both where the parser matches nothing: a boosted word analysed away (`the^2`) is
/// dropped like any other such word (the parser keeps an empty query, which under AND matches
/// nothing), and a clause left with only exclusions matches everything but them.
pub struct Combiner<'a> {
    pub parser: &'a QueryParser,
    /// The analysis' indexed title and body.
    pub title: Field,
    pub body: Field,
    pub title_weight: Score,
    /// The analyser both fields are indexed with.
    pub analyzer: TextAnalyzer,
    /// How clauses without `+` or `-` combine.
    pub default_occur: Occur,
}

impl Combiner<'_> {
    /// `None` when nothing is left to match on (every word analysed away).
    pub fn build(&mut self, ast: UserInputAst) -> Result<Option<Box<dyn Query>>, QueryParserError> {
        match ast {
            UserInputAst::Clause(items) => {
                let mut clauses = Vec::with_capacity(items.len());
                for (occur, item) in items {
                    if let Some(query) = self.build(item)? {
                        clauses.push((occur.unwrap_or(self.default_occur), query));
                    }
                }
                if clauses.is_empty() {
                    return Ok(None);
                }
                // Only exclusions left (a stop word dropped from `the -oil`): everything but them,
                // as the analyst syntax reads a negation alone.
                if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Ok(Some(Box::new(BooleanQuery::new(clauses))))
            }
            UserInputAst::Boost(inner, boost) => Ok(self
                .build(*inner)?
                .map(|query| Box::new(BoostQuery::new(query, boost.into_inner() as Score)) as Box<dyn Query>)),
            UserInputAst::Leaf(leaf) => match *leaf {
                UserInputLeaf::Literal(literal) if literal.field_name.is_none() && !literal.prefix => {
                    let mut tokens = Vec::new();
                    self.analyzer.token_stream(&literal.phrase).process(&mut |token| tokens.push(token.text.clone()));
                    match tokens.as_slice() {
                        [] => Ok(None),
                        [word] => Ok(Some(Box::new(CombinedTermQuery::new(vec![
                            (Term::from_field_text(self.title, word), self.title_weight),
                            (Term::from_field_text(self.body, word), 1.0),
                        ])))),
                        _ => self.parsed(UserInputLeaf::Literal(literal)),
                    }
                }
                leaf => self.parsed(leaf),
            },
        }
    }

    fn parsed(&self, leaf: UserInputLeaf) -> Result<Option<Box<dyn Query>>, QueryParserError> {
        let query = self.parser.build_query_from_user_input_ast(UserInputAst::Leaf(Box::new(leaf)))?;
        // The parser answers an empty query for a leaf analysed away; in a clause it drops it.
        Ok((!query.is::<EmptyQuery>()).then_some(query))
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::Count;
    use tantivy::query::TermQuery;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::TERMINATED;
    use tantivy::{doc, DocAddress, Index, Searcher};

    use super::*;
    use crate::search::ranking::in_step::tests::run as scores;

    struct Fixture {
        searcher: Searcher,
        index: Index,
        title: Field,
        body: Field,
    }

    /// A real in-memory index of (title, body) pairs, in one segment.
    fn fixture(documents: &[(&str, &str)]) -> Fixture {
        let mut schema = Schema::builder();
        let title = schema.add_text_field("title", TEXT);
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for (headline, text) in documents {
            writer.add_document(doc!(title => *headline, body => *text)).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        Fixture { searcher, index, title, body }
    }

    fn word(fixture: &Fixture, text: &str, title_weight: Score) -> CombinedTermQuery {
        CombinedTermQuery::new(vec![
            (Term::from_field_text(fixture.title, text), title_weight),
            (Term::from_field_text(fixture.body, text), 1.0),
        ])
    }

    const NEWS: &[(&str, &str)] = &[
        ("Oil prices rise", "Crude oil rose on Monday as supply fell."),
        ("Markets calm", "Shares were steady; oil was little changed."),
        ("Oil", "Nothing else."),
        ("Coffee harvest", "Brazil expects a record coffee crop this year, growers said on Tuesday."),
        ("Grain", "Wheat and corn exports; oil oil oil oil oil oil oil oil."),
    ];

    #[test]
    fn one_field_scores_as_bm25() {
        let fixture = fixture(NEWS);
        let term = Term::from_field_text(fixture.body, "oil");
        let bm25 = scores(&fixture.searcher, &TermQuery::new(term.clone(), IndexRecordOption::WithFreqs));
        let combined = scores(&fixture.searcher, &CombinedTermQuery::new(vec![(term, 1.0)]));
        assert_eq!(bm25.len(), 3);
        assert_eq!(bm25.len(), combined.len());
        for ((doc, expected), (same_doc, score)) in bm25.iter().zip(&combined) {
            assert_eq!(doc, same_doc);
            assert!((expected - score).abs() < 1e-4, "document {doc}: BM25 {expected}, combined {score}");
        }
    }

    #[test]
    fn matches_the_union_of_the_fields() {
        let fixture = fixture(NEWS);
        let either = BooleanQuery::new(vec![
            (
                Occur::Should,
                Box::new(TermQuery::new(Term::from_field_text(fixture.title, "oil"), IndexRecordOption::Basic))
                    as Box<dyn Query>,
            ),
            (
                Occur::Should,
                Box::new(TermQuery::new(Term::from_field_text(fixture.body, "oil"), IndexRecordOption::Basic)),
            ),
        ]);
        let expected = fixture.searcher.search(&either, &Count).unwrap();
        assert_eq!(expected, 5 - 1, "every document but the coffee one");
        assert_eq!(fixture.searcher.search(&word(&fixture, "oil", 3.0), &Count).unwrap(), expected);
        let matched: Vec<u32> =
            scores(&fixture.searcher, &word(&fixture, "oil", 3.0)).iter().map(|(doc, _)| *doc).collect();
        assert_eq!(matched, vec![0, 1, 2, 4]);
        assert_eq!(fixture.searcher.search(&word(&fixture, "tea", 3.0), &Count).unwrap(), 0);
        // Inside an intersection the scorer is sought, not walked.
        let both = BooleanQuery::new(vec![
            (Occur::Must, Box::new(word(&fixture, "oil", 3.0)) as Box<dyn Query>),
            (Occur::Must, Box::new(word(&fixture, "monday", 3.0))),
        ]);
        assert_eq!(scores(&fixture.searcher, &both).iter().map(|(doc, _)| *doc).collect::<Vec<_>>(), vec![0]);
    }

    #[test]
    fn a_word_in_both_fields_saturates_once() {
        let fixture = fixture(NEWS);
        let title_only = |text: &str| {
            scores(
                &fixture.searcher,
                &TermQuery::new(Term::from_field_text(fixture.title, text), IndexRecordOption::WithFreqs),
            )
        };
        let body_only = |text: &str| {
            scores(
                &fixture.searcher,
                &TermQuery::new(Term::from_field_text(fixture.body, text), IndexRecordOption::WithFreqs),
            )
        };
        let combined = scores(&fixture.searcher, &word(&fixture, "oil", 1.0));
        // Document 0 has "oil" in its headline and its text: more than either field alone, less
        // than the two fields' scores added (which counts the word twice).
        let score_of = |list: &[(u32, Score)], doc: u32| list.iter().find(|(found, _)| *found == doc).unwrap().1;
        let together = score_of(&combined, 0);
        let apart = score_of(&title_only("oil"), 0) + score_of(&body_only("oil"), 0);
        assert!(together < apart, "combined {together} < fields added {apart}");
        assert!(together > score_of(&combined, 1), "a headline match adds to a body match");
        // However often a word repeats, the score stays below idf × (k1 + 1), the idf being that
        // of the field where the word is most frequent (the body: 3 of 5 documents).
        let repeated = score_of(&combined, 4);
        let idf = inverse_document_frequency(3, 5);
        assert!(repeated < idf * (K1 + 1.0), "{repeated}");
    }

    #[test]
    fn the_title_weight_puts_a_headline_above_a_passing_mention() {
        let fixture = fixture(NEWS);
        let ranked = |weight| {
            let mut found = scores(&fixture.searcher, &word(&fixture, "oil", weight));
            found.sort_by(|a, b| b.1.total_cmp(&a.1));
            found
        };
        // Weighted 3, the one-word headline "Oil" (document 2) outranks the passing mention in
        // document 1's text; weighted 1 only the length normalisation separates them.
        let weighted = ranked(3.0);
        let position = |list: &[(u32, Score)], doc: u32| list.iter().position(|(found, _)| *found == doc).unwrap();
        assert!(position(&weighted, 2) < position(&weighted, 1), "{weighted:?}");
        assert!(position(&weighted, 0) < position(&weighted, 1), "{weighted:?}");
        let score_of = |list: &[(u32, Score)], doc: u32| list.iter().find(|(found, _)| *found == doc).unwrap().1;
        assert!(score_of(&weighted, 2) > score_of(&ranked(1.0), 2), "the weight raises a headline match");
        assert_eq!(score_of(&weighted, 1), score_of(&ranked(1.0), 1), "and leaves a body-only match alone");
    }

    #[test]
    fn explains_its_score() {
        let fixture = fixture(NEWS);
        let query = word(&fixture, "oil", 3.0);
        let explanation = query.explain(&fixture.searcher, DocAddress::new(0, 0)).unwrap();
        let expected = scores(&fixture.searcher, &query)[0].1;
        assert!((explanation.value() - expected).abs() < 1e-5);
        assert!(query.explain(&fixture.searcher, DocAddress::new(0, 3)).is_err(), "the coffee story does not match");
    }

    /// Told a floor, the scorer passes over whole stretches of documents, never one that scores
    /// above the floor. Over segments whose average lengths are far from the index's (short
    /// bodies, long ones, mixed), so that a block's stored best is read with either ratio, and
    /// over segments alike, where most blocks are passed over once the floor is high.
    #[test]
    fn skipping_below_a_floor_keeps_every_match_above_it() {
        for (fillers, passes_over_most) in [([1, 40, 12], false), ([10, 14, 12], true)] {
            let (walked, matched) = walk_with_floors(fillers);
            assert!(!passes_over_most || walked < matched / 2, "{walked} of {matched} walked ({fillers:?})");
        }
    }

    /// Checks [`CombinedTermScorer::skip_below`] over a few floors in each segment of an index
    /// with one segment per filler length; answers the documents walked and matched under the two
    /// highest floors.
    fn walk_with_floors(fillers: [usize; 3]) -> (usize, usize) {
        let mut schema = Schema::builder();
        let title = schema.add_text_field("title", TEXT);
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let mut number = 0u64;
        for filler in fillers {
            for _ in 0..3_000 {
                number += 1;
                // Strong matches in one stretch of each segment, weak ones elsewhere.
                let strong = (1_000..1_300).contains(&(number % 3_000));
                let mut text = "grain ".repeat(1 + (number % 2) as usize + strong as usize * (number % 4) as usize);
                text.push_str(&"words of an ordinary kind ".repeat(filler + (number % 7) as usize * filler / 3));
                let headline = if strong && number.is_multiple_of(5) { "Grain prices" } else { "Markets today" };
                writer.add_document(doc!(title => headline, body => text)).unwrap();
            }
            writer.commit().unwrap();
        }
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() >= 3);
        let query = word(&Fixture { searcher: searcher.clone(), index: index.clone(), title, body }, "grain", 3.0);
        let weight = query.weight(EnableScoring::enabled_from_searcher(&searcher)).unwrap();
        let (mut walked, mut matched) = (0, 0);
        for segment in searcher.segment_readers() {
            let walk = |floor: Option<Score>| {
                let mut scorer = weight.scorer(segment, 1.0).unwrap();
                let word = scorer.downcast_mut::<CombinedTermScorer>().expect("a word's own scorer");
                if let Some(floor) = floor {
                    word.skip_below(floor);
                }
                let mut found = Vec::new();
                while word.doc() != TERMINATED {
                    found.push((word.doc(), word.score()));
                    word.advance();
                }
                found
            };
            let every = walk(None);
            let mut scores: Vec<Score> = every.iter().map(|(_, score)| *score).collect();
            scores.sort_by(f32::total_cmp);
            for share in [0.5, 0.9, 0.99, 0.999] {
                let floor = scores[(scores.len() as f64 * share) as usize];
                let kept = walk(Some(floor));
                let above: Vec<(DocId, Score)> = every.iter().copied().filter(|(_, score)| *score > floor).collect();
                let kept_above: Vec<(DocId, Score)> =
                    kept.iter().copied().filter(|(_, score)| *score > floor).collect();
                assert_eq!(kept_above, above, "floor {floor} ({share}, {fillers:?})");
                assert!(kept.iter().all(|found| every.contains(found)), "only real matches, scored as before");
                if share > 0.98 {
                    walked += kept.len();
                    matched += every.len();
                }
            }
        }
        (walked, matched)
    }

    /// The combiner changes scores, never which documents match.
    #[test]
    fn the_combiner_matches_what_the_parser_matches() {
        let fixture = fixture(NEWS);
        let parser = QueryParser::for_index(&fixture.index, vec![fixture.title, fixture.body]);
        let queries = [
            "oil",
            "oil monday",
            "oil OR coffee",
            "oil -monday",
            "oil AND NOT (monday OR crude)",
            "NOT oil",
            "(oil OR coffee) AND NOT grain",
            "\"crude oil\"",
            "title:oil",
            "oil^2 coffee",
            "+oil +crude",
            "wheat AND (corn OR rice)",
            "tea",
        ];
        fn combiner<'a>(fixture: &Fixture, parser: &'a QueryParser, default_occur: Occur) -> Combiner<'a> {
            Combiner {
                parser,
                title: fixture.title,
                body: fixture.body,
                title_weight: 3.0,
                analyzer: fixture.index.tokenizer_for_field(fixture.body).unwrap(),
                default_occur,
            }
        }
        for conjunction in [true, false] {
            let mut parser = parser.clone();
            if conjunction {
                parser.set_conjunction_by_default();
            }
            for text in queries {
                // As the engine reads them: a negation alone is "everything but".
                let ast = crate::search::query::normalise_negations(
                    tantivy::query_grammar::parse_query(text).unwrap(),
                    &crate::entities::Aliases::shipped(),
                );
                let parsed = parser.build_query_from_user_input_ast(ast.clone()).unwrap();
                let expected = fixture.searcher.search(&parsed, &Count).unwrap();
                let occur = if conjunction { Occur::Must } else { Occur::Should };
                let query =
                    combiner(&fixture, &parser, occur).build(ast).unwrap().unwrap_or_else(|| Box::new(EmptyQuery));
                assert_eq!(
                    fixture.searcher.search(&query, &Count).unwrap(),
                    expected,
                    "{text} (conjunction: {conjunction})"
                );
            }
        }
        // The errors are the parser's.
        let unknown = tantivy::query_grammar::parse_query("nosuchfield:oil").unwrap();
        assert!(matches!(
            combiner(&fixture, &parser, Occur::Must).build(unknown),
            Err(QueryParserError::FieldDoesNotExist(_))
        ));
        // Only an exclusion left (the parser refuses it): everything else, the coffee story.
        let negation = tantivy::query_grammar::parse_query("-oil").unwrap();
        let query = combiner(&fixture, &parser, Occur::Must).build(negation).unwrap().unwrap();
        assert_eq!(fixture.searcher.search(&query, &Count).unwrap(), 1);
    }
}
