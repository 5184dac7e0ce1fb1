//! Query errors in words a person can act on: where the syntax went wrong (a character position),
//! which field is unknown, and errors that only show when a query meets the index.

use crate::error::Error;
use crate::index::{schema, KeywordField};

/// Errors Tantivy raises only when a parsed query meets the index (`title:*` on a field that has
/// no fast column) are the query's fault, not the server's.
pub(crate) fn query_time_error(error: tantivy::TantivyError) -> Error {
    match error {
        tantivy::TantivyError::SchemaError(message)
        | tantivy::TantivyError::InvalidArgument(message)
        | tantivy::TantivyError::FieldNotFound(message) => {
            Error::BadQuery { message: format!("the query cannot run on this index: {message}"), position: None }
        }
        other => other.into(),
    }
}

/// Turns a parser error into a message that says where the query went wrong.
pub(super) fn describe_query_error(text: &str, error: &tantivy::query::QueryParserError) -> Error {
    let (_, errors) = tantivy::query_grammar::parse_query_lenient(text);
    if let Some(first) = errors.first() {
        let position = text[..first.pos.min(text.len())].chars().count();
        return Error::BadQuery {
            message: format!("syntax error at character {position} of the query: {}", first.message),
            position: Some(position),
        };
    }
    // An operator with nothing on one side: say which and where.
    let words: Vec<(usize, &str)> =
        text.split_whitespace().map(|word| (word.as_ptr() as usize - text.as_ptr() as usize, word)).collect();
    let is_operator = |word: &str| matches!(word, "AND" | "OR" | "NOT");
    if let Some((offset, word)) = words.last().filter(|(_, word)| is_operator(word)) {
        let position = text[..*offset].chars().count();
        return Error::BadQuery {
            message: format!("syntax error at character {position} of the query: {word} needs a term after it"),
            position: Some(position),
        };
    }
    if let Some((_, word)) = words.first().filter(|(_, word)| *word != "NOT" && is_operator(word)) {
        return Error::BadQuery {
            message: format!("syntax error at character 0 of the query: {word} needs a term before it"),
            position: Some(0),
        };
    }
    // The syntax is fine but something named in it is not: usually an unknown field.
    let detail = error.to_string();
    let position = detail
        .split('\'')
        .nth(1)
        .filter(|name| !name.is_empty())
        .and_then(|name| text.find(&format!("{name}:")))
        .map(|byte| text[..byte].chars().count());
    let message = match position {
        Some(position) => {
            format!("{detail} (at character {position} of the query); searchable fields are {}", field_names())
        }
        None => format!("{detail}; searchable fields are {}", field_names()),
    };
    Error::BadQuery { message, position }
}

fn field_names() -> String {
    let mut names = vec![schema::TITLE, schema::BODY];
    names.extend(KeywordField::ALL.iter().map(|field| field.name()));
    names.extend([schema::PUBLISHED_AT, schema::ID]);
    names.join(", ")
}
