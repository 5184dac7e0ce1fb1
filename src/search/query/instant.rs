//! As-you-type queries: never a syntax error, typos forgiven, the last word also a prefix.
//!
//! Every word must match (in the title or the body), in one of three tiers: exactly (after
//! stemming; scored by BM25F over title and body on top of the tier), within its typo budget (1
//! edit from 5 letters, 2 from 9, a swap of neighbours counting as one, none for words with
//! digits), or — for the last word while it is still being typed — as the start of a word. A
//! document's score is the sum of its words' tiers, so all-exact matches rank above one typo,
//! which rank above prefix-only matches; within a tier a title match ranks above a body match.
//!
//! Balanced `"quotes"` make a phrase and a leading `-` excludes a word; every other character of
//! query syntax (brackets, colons, stray quotes, operators) is read as a separator.

use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

use super::{Queries, UserQuery};
use crate::error::Result;
use crate::index::schema::{text_analyzer, TextFields, NEUTRAL};
use crate::search::ranking::bm25f::CombinedTermQuery;
use crate::search::ranking::ceiling::Constant;
use crate::search::ranking::in_step::{AnyOf, Combine};
use crate::search::ranking::prune::AllOf;
use crate::search::ranking::TIER;

const EXACT: f32 = (3.0 * TIER) as f32;
const TYPO: f32 = (2.0 * TIER) as f32;
const PREFIX: f32 = TIER as f32;
/// Within the typo and prefix tiers: a title match above a body match.
const TITLE_BONUS: f32 = 20.0;
const BODY_BONUS: f32 = 10.0;

/// Words (and phrases) of one as-you-type query at most.
pub const MAX_WORDS: usize = 32;

/// Edits a word may have and still match: none below 5 letters, 1 from 5, 2 from 9 (Meilisearch's
/// defaults); never for a word with a digit.
pub fn typo_budget(word: &str) -> u8 {
    if word.chars().any(|character| character.is_numeric()) {
        return 0;
    }
    match word.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// One thing the reader typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Word(String),
    Phrase(Vec<String>),
    /// Any of these words or phrases: a synonym group's entries, each as words.
    Either(Vec<Vec<String>>),
}

/// What the reader typed, read leniently.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Typed {
    /// Pieces with whether they are excluded (`-word`).
    pub pieces: Vec<(Piece, bool)>,
    /// The last piece is a word still being typed (no space or punctuation after it).
    pub last_is_prefix: bool,
}

/// A word as the highlighter needs it: lower-cased and accent-folded, its typo budget, and whether
/// it matches as a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LooseWord {
    pub folded: String,
    pub typos: u8,
    pub prefix: bool,
}

/// Splits text into words as the index's tokenizer does (runs of letters and digits).
fn words_of(text: &str) -> Vec<String> {
    text.split(|character: char| !character.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect()
}

/// Reads anything a reader may type; never fails.
pub fn read(text: &str) -> Typed {
    let mut pieces: Vec<(Piece, bool)> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let trimmed = rest.trim_start();
        if trimmed.is_empty() {
            break;
        }
        let (negated, body) = match trimmed.strip_prefix('-') {
            Some(after) if after.starts_with(|c: char| c.is_alphanumeric() || c == '"') => (true, after),
            _ => (false, trimmed),
        };
        if let Some(inside) = body.strip_prefix('"') {
            if let Some(close) = inside.find('"') {
                let words = words_of(&inside[..close]);
                match words.len() {
                    0 => {}
                    1 => pieces.push((Piece::Word(words[0].clone()), negated)),
                    _ => pieces.push((Piece::Phrase(words), negated)),
                }
                rest = &inside[close + 1..];
                continue;
            }
        }
        // A word (or a stray symbol): up to the next whitespace.
        let end = body.find(char::is_whitespace).unwrap_or(body.len());
        let chunk = &body[..end];
        let words = words_of(chunk);
        for (position, word) in words.iter().enumerate() {
            // `-abc` excludes; `-abc-def` (several words in one chunk) excludes nothing.
            pieces.push((Piece::Word(word.clone()), negated && position == 0 && words.len() == 1));
        }
        rest = &body[end..];
    }
    // The same word twice adds nothing; past MAX_WORDS words the rest are ignored.
    let mut seen: Vec<(Piece, bool)> = Vec::new();
    pieces.retain(|piece| {
        if seen.contains(piece) {
            return false;
        }
        seen.push(piece.clone());
        true
    });
    pieces.truncate(MAX_WORDS);
    // A query of only exclusions searches its words instead.
    if pieces.iter().all(|(_, negated)| *negated) {
        for piece in &mut pieces {
            piece.1 = false;
        }
    }
    let last_is_prefix = text.chars().last().is_some_and(char::is_alphanumeric)
        && matches!(pieces.last(), Some((Piece::Word(_), false)));
    Typed { pieces, last_is_prefix }
}

impl Typed {
    /// The words to highlight loosely (with typos or as prefixes), folded by `fold`.
    pub fn loose_words(&self, fold: &mut TextAnalyzer) -> Vec<LooseWord> {
        let count = self.pieces.len();
        self.pieces
            .iter()
            .enumerate()
            .filter(|(_, (_, negated))| !negated)
            .filter_map(|(position, (piece, _))| match piece {
                Piece::Word(word) => Some((position, word)),
                Piece::Phrase(_) | Piece::Either(_) => None,
            })
            .filter_map(|(position, word)| {
                let prefix = self.last_is_prefix && position + 1 == count;
                let typos = typo_budget(word);
                if !prefix && typos == 0 {
                    return None;
                }
                Some(LooseWord { folded: first_token(fold, word)?, typos, prefix })
            })
            .collect()
    }

    /// The query over one analysis' title and body fields, or `None` when nothing searchable was
    /// typed. `expand(word, typos, prefix)` lists the index's words within `typos` edits of `word`
    /// (or starting with one, for a prefix).
    pub fn query(
        &self,
        fields: &TextFields,
        title_weight: f32,
        analyzer: &mut TextAnalyzer,
        fold: &mut TextAnalyzer,
        expand: &mut dyn FnMut(&str, u8, bool) -> Vec<String>,
    ) -> Option<Box<dyn Query>> {
        let count = self.pieces.len();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (position, (piece, negated)) in self.pieces.iter().enumerate() {
            let query = match (piece, negated) {
                (Piece::Word(word), true) => first_token(analyzer, word).map(|stem| exact_match(fields, &stem)),
                (Piece::Word(word), false) => {
                    let prefix = self.last_is_prefix && position + 1 == count;
                    first_token(analyzer, word).map(|stem| {
                        let folded = first_token(fold, word).unwrap_or_else(|| stem.clone());
                        word_query(fields, title_weight, &stem, &folded, typo_budget(word), prefix, expand)
                    })
                }
                (Piece::Either(entries), _) => {
                    let alternatives: Vec<Box<dyn Query>> = entries
                        .iter()
                        .filter_map(|words| {
                            let stems: Vec<String> =
                                words.iter().filter_map(|word| first_token(analyzer, word)).collect();
                            match stems.len() {
                                0 => None,
                                1 => Some(word_query(fields, title_weight, &stems[0], &stems[0], 0, false, expand)),
                                _ => Some(phrase_query(fields, title_weight, &stems, false)),
                            }
                        })
                        .collect();
                    (!alternatives.is_empty())
                        .then(|| Box::new(AnyOf::new(alternatives, Combine::Max)) as Box<dyn Query>)
                }
                (Piece::Phrase(words), negated) => {
                    let stems: Vec<String> = words.iter().filter_map(|word| first_token(analyzer, word)).collect();
                    match stems.len() {
                        0 => None,
                        1 if *negated => Some(exact_match(fields, &stems[0])),
                        1 => Some(word_query(fields, title_weight, &stems[0], &stems[0], 0, false, expand)),
                        _ => Some(phrase_query(fields, title_weight, &stems, *negated)),
                    }
                }
            };
            if let Some(query) = query {
                clauses.push((if *negated { Occur::MustNot } else { Occur::Must }, query));
            }
        }
        if !clauses.iter().any(|(occur, _)| *occur == Occur::Must) {
            return None;
        }
        if clauses.len() == 1 {
            return clauses.pop().map(|(_, query)| query);
        }
        // Every word, in a conjunction that can drop a word's lower tiers once they cannot lift a
        // document onto the page; exclusions go through Tantivy's Boolean query.
        if clauses.iter().all(|(occur, _)| *occur == Occur::Must) {
            return Some(Box::new(AllOf::new(clauses.into_iter().map(|(_, query)| query).collect())));
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }
}

/// The first token `analyzer` makes of `word` (a word makes one; an over-long one none).
fn first_token(analyzer: &mut TextAnalyzer, word: &str) -> Option<String> {
    let mut stream = analyzer.token_stream(word);
    stream.advance().then(|| stream.token().text.clone())
}

fn term_query(field: tantivy::schema::Field, text: &str, scored: bool) -> Box<dyn Query> {
    let option = if scored { IndexRecordOption::WithFreqs } else { IndexRecordOption::Basic };
    Box::new(TermQuery::new(Term::from_field_text(field, text), option))
}

/// Either field contains the stem (unscored): for exclusions.
fn exact_match(fields: &TextFields, stem: &str) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(vec![
        (Occur::Should, term_query(fields.title, stem, false)),
        (Occur::Should, term_query(fields.body, stem, false)),
    ]))
}

/// The three tiers of one word; a document takes its best.
fn word_query(
    fields: &TextFields,
    title_weight: f32,
    stem: &str,
    folded: &str,
    typos: u8,
    prefix: bool,
    expand: &mut dyn FnMut(&str, u8, bool) -> Vec<String>,
) -> Box<dyn Query> {
    let exact = CombinedTermQuery::new(vec![
        (Term::from_field_text(fields.title, stem), title_weight),
        (Term::from_field_text(fields.body, stem), 1.0),
    ])
    .with_bonus(EXACT);
    let mut tiers: Vec<Box<dyn Query>> = vec![Box::new(exact)];
    if typos > 0 {
        let words = expand(stem, typos, false);
        if !words.is_empty() {
            tiers.push(by_field(fields, &words, TYPO));
        }
    }
    if prefix {
        let mut words = expand(folded, typos, true);
        words.retain(|word| word != stem);
        if !words.is_empty() {
            // One or two letters start too many words to look for in every body: titles only.
            let titles_only = folded.chars().count() < SHORT_PREFIX;
            tiers.push(if titles_only { in_titles(fields, &words, PREFIX) } else { by_field(fields, &words, PREFIX) });
        }
    }
    if tiers.len() == 1 {
        return tiers.pop().expect("one tier");
    }
    Box::new(AnyOf::new(tiers, Combine::Max))
}

/// The title weight of phrases at most: a 32-word phrase of words of idf 10 then scores at most
/// 32 × 10 × 2.2 × (10 + 1) ≈ 7,700, below the tier step.
const MAX_PHRASE_TITLE_WEIGHT: f32 = 10.0;

/// Prefixes shorter than this match titles only.
pub const SHORT_PREFIX: usize = 3;

/// Any of the expanded `words` in `field`. The words stay out of the query's term list: the
/// highlighter matches typos and prefixes itself rather than checking every expansion.
fn any_of(field: tantivy::schema::Field, words: &[String]) -> Box<dyn Query> {
    let clauses: Vec<(Occur, Box<dyn Query>)> =
        words.iter().map(|word| (Occur::Should, term_query(field, word, false))).collect();
    Box::new(Expanded(Box::new(BooleanQuery::new(clauses))))
}

/// A query whose terms are not reported by `query_terms`.
#[derive(Debug)]
struct Expanded(Box<dyn Query>);

impl Clone for Expanded {
    fn clone(&self) -> Self {
        Expanded(self.0.box_clone())
    }
}

impl Query for Expanded {
    fn weight(&self, scoring: tantivy::query::EnableScoring<'_>) -> tantivy::Result<Box<dyn tantivy::query::Weight>> {
        self.0.weight(scoring)
    }
}

/// Any of `words` in the title.
fn in_titles(fields: &TextFields, words: &[String], tier: f32) -> Box<dyn Query> {
    Box::new(Constant::new(any_of(fields.title, words), tier + TITLE_BONUS))
}

/// Any of `words` in the title or the body, the title scoring a little higher.
fn by_field(fields: &TextFields, words: &[String], tier: f32) -> Box<dyn Query> {
    Box::new(AnyOf::new(
        vec![
            Box::new(Constant::new(any_of(fields.title, words), tier + TITLE_BONUS)),
            Box::new(Constant::new(any_of(fields.body, words), tier + BODY_BONUS)),
        ],
        Combine::Max,
    ))
}

/// A phrase in the title or the body: exact tier for each of its words, BM25 on top.
fn phrase_query(fields: &TextFields, title_weight: f32, stems: &[String], negated: bool) -> Box<dyn Query> {
    // A phrase's BM25 does not saturate across its words: with a large configured title weight a
    // long phrase of rare words could pass the tier step. Single words are bounded by BM25F.
    let title_weight = title_weight.min(MAX_PHRASE_TITLE_WEIGHT);
    let phrase = |field| {
        Box::new(PhraseQuery::new(stems.iter().map(|stem| Term::from_field_text(field, stem)).collect()))
            as Box<dyn Query>
    };
    let either = || {
        Box::new(BooleanQuery::new(vec![(Occur::Should, phrase(fields.title)), (Occur::Should, phrase(fields.body))]))
            as Box<dyn Query>
    };
    if negated {
        return either();
    }
    Box::new(AnyOf::new(
        vec![
            Box::new(BoostQuery::new(phrase(fields.title), title_weight)),
            phrase(fields.body),
            Box::new(Constant::new(either(), EXACT * stems.len() as f32)),
        ],
        Combine::Sum,
    ))
}

impl Queries {
    /// Reads as-you-type text (see the module): the query, and the words the highlighter should
    /// match loosely (with typos, or as a prefix).
    pub fn instant(&self, text: &str, languages: Option<&[String]>) -> Result<UserQuery> {
        let tuned = self.tuned();
        let typed = tuned.synonyms.expand_typed(read(text));
        let mut fold = text_analyzer(&self.index.index, NEUTRAL);
        let loose = typed.loose_words(&mut fold);
        if !self.lexicon.is_built() {
            self.lexicon.refresh(&self.index)?;
        }
        let fields = &self.index.fields;
        let title_boost = tuned.ranking.title_boost;
        let query = self.per_analysis(languages, |analysis, _| {
            let mut analyzer = text_analyzer(&self.index.index, analysis);
            let text = fields.text_for(analysis);
            let mut expand =
                |word: &str, typos: u8, prefix: bool| self.lexicon.expand(analysis, text.body, word, typos, prefix);
            Ok(typed.query(text, title_boost, &mut analyzer, &mut fold, &mut expand))
        })?;
        Ok(UserQuery { query, loose })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(typed: &Typed) -> Vec<String> {
        typed
            .pieces
            .iter()
            .map(|(piece, negated)| {
                let text = match piece {
                    Piece::Word(word) => word.clone(),
                    Piece::Phrase(words) => format!("\"{}\"", words.join(" ")),
                    Piece::Either(entries) => {
                        let entries: Vec<String> = entries.iter().map(|words| words.join(" ")).collect();
                        format!("({})", entries.join("|"))
                    }
                };
                if *negated {
                    format!("-{text}")
                } else {
                    text
                }
            })
            .collect()
    }

    #[test]
    fn budgets_follow_word_length() {
        assert_eq!(typo_budget("oil"), 0);
        assert_eq!(typo_budget("peskov"), 1);
        assert_eq!(typo_budget("zelenksy"), 1);
        assert_eq!(typo_budget("washingtn"), 2);
        assert_eq!(typo_budget("1987000"), 0);
        assert_eq!(typo_budget("g7summit"), 0);
    }

    #[test]
    fn syntax_becomes_words() {
        assert_eq!(words(&read("title:oil AND (gulf")), vec!["title", "oil", "AND", "gulf"]);
        assert_eq!(words(&read("\"palm oil\" -cocoa pri")), vec!["\"palm oil\"", "-cocoa", "pri"]);
        assert_eq!(words(&read("\"unbalanced quote")), vec!["unbalanced", "quote"]);
        assert_eq!(words(&read("-only -negations")), vec!["only", "negations"]);
        assert_eq!(words(&read("[]{}:^~*\"\"")), Vec::<String>::new());
        assert_eq!(words(&read("U.S. a-b")), vec!["U", "S", "a", "b"]);
    }

    #[test]
    fn the_last_word_is_a_prefix_while_typed() {
        assert!(read("zel").last_is_prefix);
        assert!(!read("zel ").last_is_prefix);
        assert!(!read("\"palm oil\"").last_is_prefix);
        assert!(!read("oil -gul").last_is_prefix);
        assert!(read("oil gul").last_is_prefix);
    }
}
