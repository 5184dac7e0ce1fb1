//! Related stories: more-like-this on an article's words, plus the people, organisations and
//! places it names, leaving out its own near-duplicate cluster (copies of the same story are not
//! related stories, they are the story), one hit per story.

use tantivy::query::{BooleanQuery, BoostQuery, MoreLikeThisQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, OwnedValue, TantivyDocument, Value};
use tantivy::{DocAddress, Searcher, Term};

use super::hits::hit;
use super::query::query_time_error;
use super::ranking::{Order, Ranker};
use super::request::{Hit, HitEntity, DEFAULT_SNIPPET_CHARS};
use super::scope::Scope;
use super::snippets::{Highlighter, SnippetShape};
use super::stories::{cluster_of, first_of_each_story};
use super::values::Bounded;
use super::Engine;
use crate::error::{Error, Result};
use crate::index::schema::{analysis_for, keyword_term_text};
use crate::index::KeywordField;
use crate::model::{ArticleId, EntityKind};

/// Related stories a request may ask for.
pub type RelatedStories = Bounded<1, 50>;
pub const DEFAULT_RELATED: usize = 5;
/// How much one shared entity weighs against the text's similarity.
const ENTITY_BOOST: f32 = 1.5;

impl Engine {
    /// The stories most like article `id`, best first.
    pub fn related(&self, id: &ArticleId, limit: usize, scope: &Scope) -> Result<Vec<Hit>> {
        RelatedStories::check("limit", limit)?;
        let searcher = self.index.reader.searcher();
        let address = self
            .find(&searcher, id, scope)?
            .ok_or_else(|| Error::NotFound(format!("no article with id {:?}", id.as_str())))?;
        let fields = &self.index.fields;
        let document: TantivyDocument = searcher.doc(address)?;
        let text = |field| document.get_first(field).and_then(|value| value.as_str()).unwrap_or("").to_string();
        let lang = text(fields.keyword(KeywordField::Lang));
        let own = fields.text_for(analysis_for(&lang));
        let like_this = MoreLikeThisQuery::builder()
            .with_min_doc_frequency(2)
            .with_max_doc_frequency((searcher.num_docs() / 5).max(2))
            .with_min_term_frequency(1)
            .with_min_word_length(3)
            .with_max_query_terms(30)
            .with_document_fields(vec![
                (own.title, vec![OwnedValue::Str(text(fields.title))]),
                (own.body, vec![OwnedValue::Str(text(fields.body))]),
            ]);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, Box::new(like_this))];
        let entities: Vec<HitEntity> = serde_json::from_str(&text(fields.entities)).unwrap_or_default();
        for entity in &entities {
            let Some(kind) = EntityKind::parse(&entity.kind) else { continue };
            let field = fields.keyword(KeywordField::for_entity(kind));
            let term = Term::from_field_text(field, &keyword_term_text(&entity.name));
            let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(query), ENTITY_BOOST))));
        }
        let cluster = cluster_of(&searcher, address)?;
        let same_story = TermQuery::new(Term::from_field_u64(fields.cluster, cluster), IndexRecordOption::Basic);
        clauses.push((Occur::MustNot, Box::new(same_story)));
        let query = self.within(scope, Box::new(BooleanQuery::new(clauses)));
        // One story per hit: copies of one story share a cluster, so rank more and keep the first
        // of each.
        let ranker = Ranker { order: Order::Relevance, limit: limit * 4, after: None, freshness: None, tiered: false };
        let ranked = searcher.search(&query, &ranker).map_err(query_time_error)?;
        let top = first_of_each_story(&searcher, &ranked, limit)?;
        let highlighter = Highlighter::new(&searcher, &self.index, None, &[]);
        let shape = SnippetShape { fragments: 1, chars: DEFAULT_SNIPPET_CHARS };
        top.into_iter()
            .map(|position| hit(fields, &searcher, &highlighter, shape, Some(position.key as f32), position.address))
            .collect()
    }

    /// Where article `id` is in a snapshot, if the scope sees it.
    fn find(&self, searcher: &Searcher, id: &ArticleId, scope: &Scope) -> Result<Option<DocAddress>> {
        let query = TermQuery::new(Term::from_field_text(self.index.fields.id, id.as_str()), IndexRecordOption::Basic);
        let query = self.within(scope, Box::new(query));
        let ranker = Ranker { order: Order::Date, limit: 1, after: None, freshness: None, tiered: false };
        Ok(searcher.search(&query, &ranker)?.first().map(|position| position.address))
    }
}
