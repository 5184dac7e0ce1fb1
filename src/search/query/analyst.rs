//! The analyst query syntax: words, phrases, AND / OR / NOT, +must -mustnot, `field:term` and
//! ranges, parsed once, rewritten (negations, aliases, per-language fields, stop words) and built
//! per analysis with BM25F over title and body for plain words.

use tantivy::query::{Occur, Query};

use super::errors::describe_query_error;
use super::rewrite::{drop_stop_words, localise_fields, normalise_negations};
use super::Queries;
use crate::error::{Error, Result};
use crate::search::ranking::bm25f::Combiner;

impl Queries {
    /// Parses the analyst query syntax for every analysis. Errors say where in the query it went
    /// wrong. See [`Queries::analyst`].
    pub fn analyst_everywhere(&self, text: &str) -> Result<Option<Box<dyn Query>>> {
        self.analyst(text, None, false)
    }

    /// Parses the analyst query syntax once per analysis in `languages` (ISO codes; `None` for all
    /// the index holds): each analysis' query is restricted to its own articles, and the union is
    /// returned; words are ORed when `match_any`. A query of only keyword terms (`person:Putin`) is the
    /// same in every language and runs once, unrestricted.
    pub fn analyst(&self, text: &str, languages: Option<&[String]>, match_any: bool) -> Result<Option<Box<dyn Query>>> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let ast = tantivy::query_grammar::parse_query(text).map_err(|_| {
            describe_query_error(text, &tantivy::query::QueryParserError::SyntaxError(text.to_string()))
        })?;
        let tuned = self.tuned();
        let ast = tuned.synonyms.expand(normalise_negations(ast, &tuned.aliases));
        let parsers = if match_any { &tuned.any_parsers } else { &tuned.parsers };
        self.per_analysis(languages, |analysis, position| {
            let mut localised = localise_fields(ast.clone(), analysis);
            if match_any && tuned.ranking.drop_stop_words {
                // ORed, a word like "the" only adds noise: left out when other words remain.
                if let Some(stop_words) = tuned.stop_words.get(analysis) {
                    localised = drop_stop_words(localised, &mut stop_words.clone());
                }
            }
            if !tuned.ranking.combine_fields {
                return parsers[position]
                    .1
                    .build_query_from_user_input_ast(localised)
                    .map(Some)
                    .map_err(|error| describe_query_error(text, &error));
            }
            let fields = &self.index.fields.text[position];
            let mut combiner = Combiner {
                parser: &parsers[position].1,
                title: fields.title,
                body: fields.body,
                title_weight: tuned.ranking.title_boost,
                analyzer: self.index.index.tokenizer_for_field(fields.body).map_err(Error::from)?,
                default_occur: if match_any { Occur::Should } else { Occur::Must },
            };
            let query = combiner.build(localised).map_err(|error| describe_query_error(text, &error))?;
            // Nothing left to match on: no article matches (as the parser answers).
            Ok(Some(query.unwrap_or_else(|| Box::new(tantivy::query::EmptyQuery))))
        })
    }
}
