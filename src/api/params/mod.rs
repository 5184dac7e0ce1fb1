//! Request parameters: query strings and JSON bodies read into the engine's request models. Each
//! parameter is declared once, as a field whose type carries its bounds or its words
//! (`search::values`): the same type reads and checks the value and states it in the OpenAPI
//! document. Unknown parameters are refused, so a typo never silently widens a search.

mod articles;
mod entities;
mod export;
mod search;
mod suggest;

use serde::{Deserialize, Deserializer};
use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, PartialSchema, ToSchema};

pub use articles::{RelatedParams, WriteParams};
pub use entities::{parse_kind, EntityListParams, EntityProfileParams, SearchFilters};
pub use export::ExportParams;
pub use search::SearchParams;
pub use suggest::SuggestParams;

use crate::error::{Error, Result};
use crate::search::values::Choice;

/// The filters, which may repeat (any of their values).
const FILTERS: [&str; 6] = ["person", "org", "place", "topic", "source", "lang"];

/// The pairs of a raw query string. A parameter not in `repeatable` given twice is refused:
/// which of its values was meant cannot be told.
fn pairs(raw: &str, repeatable: &[&str]) -> Result<Vec<(String, String)>> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        if !repeatable.contains(&key.as_ref()) && pairs.iter().any(|(seen, _)| *seen == key) {
            return Err(Error::BadParameter(format!("{key} is given more than once")));
        }
        pairs.push((key.into_owned(), value.into_owned()));
    }
    Ok(pairs)
}

/// The names of the parameters `P` documents: what an endpoint accepts is what its document
/// lists, so a name cannot be taken without being documented.
fn names<P: IntoParams>() -> Vec<String> {
    P::into_params(|| None).into_iter().map(|parameter| parameter.name).collect()
}

/// The error for a parameter an endpoint does not take.
fn unknown(name: &str, known: &[String]) -> Error {
    Error::BadParameter(format!("unknown parameter {name:?}; known parameters: {}", known.join(", ")))
}

/// A word parameter's value; `None` when empty (the default).
fn choice<T: Choice>(text: &str) -> Result<Option<T>> {
    T::parse(text)
}

/// A word parameter that must be given.
fn required_choice<T: Choice>(text: &str) -> Result<T> {
    T::parse(text)?.ok_or_else(|| Error::BadParameter(format!("{} is required: {}", T::PARAMETER, T::names())))
}

/// Values of a filter: one string or several. In a query string the parameter repeats; in JSON
/// it is a string or an array of strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(pub Vec<String>);

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(Values(match OneOrMany::deserialize(deserializer)? {
            OneOrMany::One(value) => vec![value],
            OneOrMany::Many(values) => values,
        }))
    }
}

impl PartialSchema for Values {
    fn schema() -> RefOr<Schema> {
        let text = || ObjectBuilder::new().schema_type(SchemaType::new(Type::String));
        AnyOfBuilder::new().item(text()).item(ArrayBuilder::new().items(text())).into()
    }
}

impl ToSchema for Values {}

/// Choices of a list parameter (`facets`): one or several, in JSON a string or an array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choices<T>(pub Vec<T>);

impl<T> Default for Choices<T> {
    fn default() -> Self {
        Choices(Vec::new())
    }
}

impl<T: Choice> Choices<T> {
    /// Adds the comma-separated choices of one query-string value (empty pieces ignored).
    fn extend(&mut self, text: &str) -> Result<()> {
        for piece in text.split(',').map(str::trim).filter(|piece| !piece.is_empty()) {
            if let Some(value) = T::parse(piece)? {
                self.0.push(value);
            }
        }
        Ok(())
    }
}

impl<'de, T: Choice> Deserialize<'de> for Choices<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let Values(words) = Values::deserialize(deserializer)?;
        let mut choices = Vec::with_capacity(words.len());
        for word in words {
            // An empty word is no choice, as in a query string.
            if let Some(value) = T::parse(&word).map_err(serde::de::Error::custom)? {
                choices.push(value);
            }
        }
        Ok(Choices(choices))
    }
}

impl<T: Choice> PartialSchema for Choices<T> {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new().item(T::schema()).item(ArrayBuilder::new().items(RefOr::T(T::schema()))).into()
    }
}

/// Reads a word parameter from JSON: a word, or empty / null for the default.
fn optional_choice<'de, D: Deserializer<'de>, T: Choice>(deserializer: D) -> std::result::Result<Option<T>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) => T::parse(&text).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every documented parameter is read (never "unknown") by its endpoint's parser.
    #[test]
    fn every_documented_parameter_is_read() {
        let is_read = |result: Result<()>| match result {
            Err(Error::BadParameter(message)) => !message.starts_with("unknown parameter"),
            _ => true,
        };
        for name in names::<SearchParams>() {
            assert!(is_read(SearchParams::from_query_string(&format!("{name}=x")).map(|_| ())), "search {name}");
        }
        for name in [names::<EntityListParams>(), names::<SearchFilters>()].concat() {
            let raw = if name == "kind" { "kind=x".into() } else { format!("kind=person&{name}=x") };
            assert!(is_read(EntityListParams::request(&raw).map(|_| ())), "entities {name}");
        }
        for name in names::<EntityProfileParams>() {
            let read = EntityProfileParams::request("person", "Anna".into(), &format!("{name}=x")).map(|_| ());
            assert!(is_read(read), "profile {name}");
        }
        for name in [names::<ExportParams>(), names::<SearchFilters>()].concat() {
            assert!(is_read(ExportParams::request(&format!("{name}=x"), 10).map(|_| ())), "export {name}");
        }
        for name in names::<SuggestParams>() {
            assert!(is_read(SuggestParams::parse(&format!("{name}=x")).map(|_| ())), "suggest {name}");
        }
        for name in names::<RelatedParams>() {
            assert!(is_read(RelatedParams::from_query_string(&format!("{name}=x")).map(|_| ())), "related {name}");
        }
        assert!(!is_read(SearchParams::from_query_string("colour=red").map(|_| ())), "an undocumented one is not");
    }
}
