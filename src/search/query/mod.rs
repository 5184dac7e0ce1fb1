//! Query building: the user's text read in its mode (the analyst syntax, or as-you-type) once per
//! analysis (stemmed language or neutral), each analysis' query restricted to its own articles,
//! then the request's filters and dates around it.

mod analyst;
mod errors;
mod filters;
pub(crate) mod instant;
mod rewrite;
pub(crate) mod synonyms;

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tantivy::query::{Query, QueryParser, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, StopWordFilter, TextAnalyzer};
use tantivy::Term;

pub(crate) use errors::query_time_error;
pub(crate) use filters::canonical_value;
#[cfg(test)]
pub(crate) use rewrite::normalise_negations;

use super::lexicon::Lexicon;
use super::ranking::ceiling::Constant;
use super::ranking::in_step::{AnyOf, Combine};
use super::ranking::prune::AllOf;
use super::request::{Mode, SearchRequest};
use super::tuning::Tuning;
use crate::config::RankingSettings;
use crate::entities::Aliases;
use crate::error::Result;
use crate::index::schema::{analysis_for, STEMMED_LANGUAGES};
use crate::index::{KeywordField, SearchIndex};
use instant::LooseWord;
use synonyms::Synonyms;

/// The Snowball project's English stop words, one per line (Tantivy's English list is Lucene's 33).
const ENGLISH_STOP_WORDS: &str = include_str!("stop_words_en.txt");

/// A query as read from the user's text, with the words the highlighter should match loosely
/// (typos, prefixes).
pub(crate) struct UserQuery {
    /// `None`: no text to match on (every article, newest first).
    pub query: Option<Box<dyn Query>>,
    pub loose: Vec<LooseWord>,
}

impl UserQuery {
    /// A copy of the query, to build further queries around it.
    pub fn cloned(&self) -> Option<Box<dyn Query>> {
        self.query.as_ref().map(|query| query.box_clone())
    }
}

/// What the queries of one index are built with.
pub(crate) struct Queries {
    index: Arc<SearchIndex>,
    /// What settings decide, swapped whole when they are reloaded: a search reads one version.
    tuned: ArcSwap<Tuned>,
    /// The index's words, for typo and prefix expansion.
    lexicon: Lexicon,
}

/// The parts of query building that settings decide.
pub(crate) struct Tuned {
    /// One parser per analysis (stemmed language or neutral): the query is analysed as that
    /// language's text is, and each language's query runs on that language's articles.
    parsers: Vec<(&'static str, QueryParser)>,
    /// The same, with words ORed (`match=any`): more matching words rank higher.
    any_parsers: Vec<(&'static str, QueryParser)>,
    /// Per analysis with a stop-word list: an analyzer that yields nothing for a stop word.
    stop_words: HashMap<&'static str, TextAnalyzer>,
    pub ranking: RankingSettings,
    /// Entity values in filters and `person:` terms are matched under their canonical names too.
    pub aliases: Arc<Aliases>,
    /// Words and phrases a query's words also match.
    synonyms: Synonyms,
}

impl Tuned {
    fn new(index: &SearchIndex, tuning: &Tuning) -> Tuned {
        let ranking = tuning.ranking;
        let parsers_for = |conjunction: bool| {
            index
                .fields
                .text
                .iter()
                .map(|text| {
                    let mut parser = QueryParser::for_index(&index.index, vec![text.title, text.body]);
                    parser.set_field_boost(text.title, ranking.title_boost);
                    if conjunction {
                        parser.set_conjunction_by_default();
                    }
                    (text.analysis, parser)
                })
                .collect::<Vec<_>>()
        };
        Tuned {
            parsers: parsers_for(true),
            any_parsers: parsers_for(false),
            stop_words: stop_word_analyzers(&tuning.stop_words),
            ranking,
            aliases: Arc::clone(&tuning.aliases),
            synonyms: Synonyms::new(&tuning.synonyms),
        }
    }
}

impl Queries {
    pub fn new(index: Arc<SearchIndex>, tuning: &Tuning) -> Queries {
        let tuned = ArcSwap::from_pointee(Tuned::new(&index, tuning));
        Queries { index, tuned, lexicon: Lexicon::default() }
    }

    /// Builds new searches with `tuning` from now on (searches under way finish with the old).
    pub fn retune(&self, tuning: &Tuning) {
        self.tuned.store(Arc::new(Tuned::new(&self.index, tuning)));
    }

    /// What settings decide now.
    pub fn tuned(&self) -> Arc<Tuned> {
        self.tuned.load_full()
    }

    pub fn aliases(&self) -> Arc<Aliases> {
        Arc::clone(&self.tuned.load().aliases)
    }

    /// Rebuilds the word list when the index changed (off the request path); true when it did.
    pub fn refresh_lexicon(&self) -> Result<bool> {
        self.lexicon.refresh(&self.index)
    }

    /// True once the word list has been built (typos and prefixes expand through it).
    pub fn lexicon_built(&self) -> bool {
        self.lexicon.is_built()
    }

    /// The request's query text read in its mode, with the words to highlight loosely.
    pub fn read(&self, request: &SearchRequest) -> Result<UserQuery> {
        let languages = request
            .filters
            .iter()
            .find(|(keyword, _)| *keyword == KeywordField::Lang)
            .map(|(_, values)| values.as_slice())
            .filter(|values| !values.is_empty());
        match request.mode {
            Mode::Analyst => {
                Ok(UserQuery { query: self.analyst(&request.q, languages, request.match_any)?, loose: Vec::new() })
            }
            Mode::Instant => self.instant(&request.q, languages),
        }
    }

    /// Builds a query once per analysis in `languages` (all when `None`; analyses without articles
    /// are skipped) and restricts each to its own articles. Identical queries (only keyword terms)
    /// run once, unrestricted.
    fn per_analysis(
        &self,
        languages: Option<&[String]>,
        mut build: impl FnMut(&'static str, usize) -> Result<Option<Box<dyn Query>>>,
    ) -> Result<Option<Box<dyn Query>>> {
        let searcher = self.index.reader.searcher();
        let wanted: Option<Vec<&str>> = languages.map(|codes| codes.iter().map(|code| analysis_for(code)).collect());
        let fields = &self.index.fields;
        let mut built: Vec<(&'static str, Box<dyn Query>, String)> = Vec::new();
        for (position, analysis) in fields.text.iter().map(|text| text.analysis).enumerate() {
            if wanted.as_ref().is_some_and(|wanted| !wanted.contains(&analysis)) {
                continue;
            }
            let term = Term::from_field_text(fields.analysis, analysis);
            if searcher.doc_freq(&term).unwrap_or(0) == 0 && !built.is_empty() {
                continue;
            }
            let Some(query) = build(analysis, position)? else { continue };
            let shape = format!("{query:?}");
            built.push((analysis, query, shape));
        }
        let Some((_, first, first_shape)) = built.first() else { return Ok(None) };
        let first_shape = first_shape.clone();
        if built.len() == 1 || built.iter().all(|(_, _, shape)| *shape == first_shape) {
            // Only keyword terms (or one language): no language restriction needed.
            return Ok(Some(first.box_clone()));
        }
        // An article has one analysis, so at most one language's query matches it: the best of
        // them is its score. Built of our own union and conjunction, so that a search can prune
        // into each language's query (see `ranking::prune`).
        let languages: Vec<Box<dyn Query>> = built
            .into_iter()
            .map(|(analysis, query, _)| {
                let only_this_language: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(fields.analysis, analysis),
                    IndexRecordOption::Basic,
                ));
                Box::new(AllOf::new(vec![query, Box::new(Constant::new(only_this_language, 0.0))])) as Box<dyn Query>
            })
            .collect();
        Ok(Some(Box::new(AnyOf::new(languages, Combine::Max))))
    }
}

/// Per stemmed language with a stop-word list, an analyzer that yields no token for a stop word:
/// Snowball's lists, as Tantivy ships them for the other languages, and ours for English, each
/// with the configured `extra` words.
fn stop_word_analyzers(extra: &[String]) -> HashMap<&'static str, TextAnalyzer> {
    let extra: Vec<String> =
        extra.iter().map(|word| word.trim().to_lowercase()).filter(|word| !word.is_empty()).collect();
    STEMMED_LANGUAGES
        .iter()
        .filter_map(|(code, language)| {
            let filter = match code {
                &"en" => StopWordFilter::remove(english_stop_words().map(str::to_string)),
                _ => StopWordFilter::new(*language)?,
            };
            let analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(filter)
                .filter(StopWordFilter::remove(extra.iter().cloned()))
                .build();
            Some((*code, analyzer))
        })
        .collect()
}

fn english_stop_words() -> impl Iterator<Item = &'static str> {
    ENGLISH_STOP_WORDS.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_english_list_is_snowballs() {
        let words: Vec<&str> = english_stop_words().collect();
        assert_eq!(words.len(), 124);
        assert_eq!((words[0], words[words.len() - 1]), ("i", "very"));
        assert!(words.contains(&"the") && !words.contains(&"oil"));
    }
}
