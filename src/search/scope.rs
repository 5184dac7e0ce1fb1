//! What a credential may see: keyword filters every request it makes is restricted by, as a
//! tenant's own source or language. A scope is ANDed with the request's own filters (a tenant
//! asking for another source gets nothing), and a narrower credential (a tenant token under a
//! scoped key) ANDs its scope with its parent's.

use std::collections::BTreeMap;

use serde_json::Value;

use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value as _};
use tantivy::Term;

use super::request::SearchRequest;
use super::Engine;
use crate::error::{Error, Result};
use crate::index::KeywordField;
use crate::model::ArticleId;

/// Values a scope lists per field at most, and characters per value.
const MAX_VALUES: usize = 64;
const MAX_VALUE_CHARS: usize = 200;

/// Keyword filters every request of a credential is restricted by; empty: everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Any of a field's values, every field (a field may appear twice: both must hold).
    filters: Vec<(KeywordField, Vec<String>)>,
}

impl Scope {
    /// No restriction.
    pub fn everything() -> Scope {
        Scope::default()
    }

    pub fn is_everything(&self) -> bool {
        self.filters.is_empty()
    }

    /// A scope from its JSON form: an object of filter names (`person`, `org`, `place`, `topic`,
    /// `author`, `source`, `lang`) to a value or a list of values, e.g.
    /// `{"source": "Example Daily"}` or `{"source": ["A", "B"], "lang": "en"}`.
    pub fn from_json(value: &Value) -> Result<Scope> {
        let bad = |why: String| Error::BadParameter(format!("filter: {why}"));
        let Value::Object(object) = value else {
            return Err(bad("must be an object such as {\"source\": \"Example Daily\"}".into()));
        };
        let mut filters = Vec::new();
        for (name, values) in object {
            let field = KeywordField::parse(name).ok_or_else(|| {
                bad(format!("unknown filter {name:?}; use person, org, place, topic, author, source or lang"))
            })?;
            let values: Vec<String> = match values {
                Value::String(value) => vec![value.clone()],
                Value::Array(items) => items
                    .iter()
                    .map(|item| {
                        item.as_str().map(str::to_owned).ok_or_else(|| bad(format!("{name}: values are strings")))
                    })
                    .collect::<Result<_>>()?,
                _ => return Err(bad(format!("{name}: a string or a list of strings"))),
            };
            if values.is_empty() || values.len() > MAX_VALUES {
                return Err(bad(format!("{name}: between 1 and {MAX_VALUES} values")));
            }
            if values.iter().any(|value| value.trim().is_empty() || value.chars().count() > MAX_VALUE_CHARS) {
                return Err(bad(format!("{name}: values are not empty and at most {MAX_VALUE_CHARS} characters")));
            }
            filters.push((field, values));
        }
        Ok(Scope { filters })
    }

    /// The JSON form [`Scope::from_json`] reads (`null` for everything).
    pub fn to_json(&self) -> Value {
        if self.filters.is_empty() {
            return Value::Null;
        }
        let mut object: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (field, values) in &self.filters {
            object.entry(field.name()).or_default().extend(values.iter().map(String::as_str));
        }
        serde_json::json!(object)
    }

    /// What both scopes allow.
    pub fn and(&self, other: &Scope) -> Scope {
        let mut filters = self.filters.clone();
        filters.extend(other.filters.iter().cloned());
        Scope { filters }
    }

    /// Restricts a search (and what is built on one: entity lists, exports) to the scope.
    pub fn restrict(&self, request: &mut SearchRequest) {
        request.filters.extend(self.filters.iter().cloned());
    }
}

impl Engine {
    /// `query` restricted to `scope`.
    pub(crate) fn within(&self, scope: &Scope, query: Box<dyn Query>) -> Box<dyn Query> {
        if scope.is_everything() {
            return query;
        }
        let mut request = SearchRequest::default();
        scope.restrict(&mut request);
        self.queries.restrict(&request, Some(query))
    }

    /// Which of `ids` the scope lets a credential see (all, when it sees everything).
    pub fn visible(&self, ids: &[ArticleId], scope: &Scope) -> Result<Vec<ArticleId>> {
        if scope.is_everything() || ids.is_empty() {
            return Ok(ids.to_vec());
        }
        let field = self.index.fields.id;
        let any: Vec<(Occur, Box<dyn Query>)> = ids
            .iter()
            .map(|id| {
                let term = TermQuery::new(Term::from_field_text(field, id.as_str()), IndexRecordOption::Basic);
                (Occur::Should, Box::new(term) as Box<dyn Query>)
            })
            .collect();
        let query = self.within(scope, Box::new(BooleanQuery::new(any)));
        let searcher = self.index.reader.searcher();
        let addresses = searcher.search(&query, &tantivy::collector::DocSetCollector)?;
        let mut seen = Vec::with_capacity(addresses.len());
        for address in addresses {
            let document: tantivy::TantivyDocument = searcher.doc(address)?;
            if let Some(id) = document.get_first(field).and_then(|value| value.as_str()) {
                seen.extend(ArticleId::parse(id));
            }
        }
        Ok(ids.iter().filter(|id| seen.contains(id)).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_values_and_lists_and_refuses_the_rest() {
        let scope = Scope::from_json(&serde_json::json!({"source": "Example Daily", "lang": ["en", "de"]})).unwrap();
        assert_eq!(scope.to_json(), serde_json::json!({"lang": ["en", "de"], "source": ["Example Daily"]}));
        assert_eq!(Scope::from_json(&scope.to_json()).unwrap().to_json(), scope.to_json());
        for bad in [
            serde_json::json!("source"),
            serde_json::json!({"colour": "red"}),
            serde_json::json!({"source": []}),
            serde_json::json!({"source": [1]}),
            serde_json::json!({"source": " "}),
        ] {
            assert!(Scope::from_json(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn narrowing_adds_every_filter_to_a_search() {
        let site = Scope::from_json(&serde_json::json!({"source": "A"})).unwrap();
        let token = Scope::from_json(&serde_json::json!({"lang": "en"})).unwrap();
        let mut request =
            SearchRequest { filters: vec![(KeywordField::Source, vec!["B".into()])], ..Default::default() };
        site.and(&token).restrict(&mut request);
        assert_eq!(request.filters.len(), 3);
        assert!(Scope::everything().is_everything() && !site.is_everything());
    }
}
