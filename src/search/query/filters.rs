//! Filters and date bounds: the user's query (or every article) restricted by the request's
//! keyword filters, matched as written and under their canonical names, and its date range.
//! Neither changes a score.

use std::ops::Bound;

use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DateTime, Term};

use super::Queries;
use crate::entities::Aliases;
use crate::index::schema::keyword_term_text;
use crate::index::KeywordField;
use crate::model::EntityKind;
use crate::search::ranking::ceiling::Constant;
use crate::search::request::SearchRequest;

impl Queries {
    /// The user's query (or all documents) restricted by the filters, which do not score.
    pub(crate) fn restrict(&self, request: &SearchRequest, user_query: Option<Box<dyn Query>>) -> Box<dyn Query> {
        let fields = &self.index.fields;
        let aliases = self.aliases();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        clauses.push((Occur::Must, user_query.unwrap_or_else(|| Box::new(AllQuery))));
        for (keyword, values) in &request.filters {
            if values.is_empty() {
                continue;
            }
            let field = fields.keyword(*keyword);
            // Each value matches as written and under its canonical name (articles stored before
            // an alias was added keep the old name).
            let mut keys: Vec<String> = values
                .iter()
                .flat_map(|value| {
                    [keyword_term_text(value), keyword_term_text(&canonical_value(&aliases, *keyword, value))]
                })
                .collect();
            keys.sort();
            keys.dedup();
            let alternatives: Vec<(Occur, Box<dyn Query>)> = keys
                .iter()
                .map(|key| {
                    let term = Term::from_field_text(field, key);
                    (Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>)
                })
                .collect();
            clauses.push((Occur::Must, Box::new(Constant::new(Box::new(BooleanQuery::new(alternatives)), 0.0))));
        }
        if request.from.is_some() || request.to.is_some() {
            let bound = |date: Option<chrono::DateTime<chrono::Utc>>| match date {
                Some(date) => Bound::Included(Term::from_field_date(
                    fields.published_at,
                    DateTime::from_timestamp_secs(date.timestamp()),
                )),
                None => Bound::Unbounded,
            };
            let range = RangeQuery::new(bound(request.from), bound(request.to));
            clauses.push((Occur::Must, Box::new(Constant::new(Box::new(range), 0.0))));
        }
        if clauses.len() == 1 {
            return clauses.pop().map(|(_, query)| query).expect("one clause");
        }
        Box::new(BooleanQuery::new(clauses))
    }
}

/// Entity values are matched through the alias table: `person=Zelenskyy` finds Zelensky.
pub(crate) fn canonical_value(aliases: &Aliases, keyword: KeywordField, value: &str) -> String {
    let kind = match keyword {
        KeywordField::Person => EntityKind::Person,
        KeywordField::Org => EntityKind::Org,
        KeywordField::Place => EntityKind::Place,
        _ => return value.to_string(),
    };
    aliases.resolve(kind, value)
}
