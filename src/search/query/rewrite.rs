//! Rewrites of a parsed query before it is built: negations as people mean them, entity terms
//! through the alias table, `title:`/`body:` pointed at one language's fields, stop words left out
//! when words are ORed.

use tantivy::query_grammar::{Occur as GrammarOccur, UserInputAst, UserInputLeaf};

use super::filters::canonical_value;
use crate::entities::Aliases;
use crate::index::schema::{self, keyword_term_text};
use crate::index::KeywordField;

/// Makes negations mean what people expect: `a AND NOT b` excludes b (Tantivy reads it as
/// `+a +(-b)`, which matches nothing), and a query of only negations (`NOT b`) means everything
/// except b.
pub(crate) fn normalise_negations(ast: UserInputAst, aliases: &Aliases) -> UserInputAst {
    fn flatten(ast: UserInputAst, aliases: &Aliases) -> UserInputAst {
        match ast {
            UserInputAst::Clause(items) => {
                let mut flattened = Vec::with_capacity(items.len());
                for (occur, item) in items {
                    let item = flatten(item, aliases);
                    match item {
                        UserInputAst::Clause(inner)
                            if occur != Some(GrammarOccur::MustNot)
                                && !inner.is_empty()
                                && inner.iter().all(|(inner_occur, _)| *inner_occur == Some(GrammarOccur::MustNot)) =>
                        {
                            flattened.extend(inner);
                        }
                        item => flattened.push((occur, item)),
                    }
                }
                UserInputAst::Clause(flattened)
            }
            UserInputAst::Boost(inner, boost) => UserInputAst::Boost(Box::new(flatten(*inner, aliases)), boost),
            UserInputAst::Leaf(leaf) => resolve_leaf_alias(*leaf, aliases),
        }
    }
    match flatten(ast, aliases) {
        UserInputAst::Clause(mut items)
            if !items.is_empty() && items.iter().all(|(occur, _)| *occur == Some(GrammarOccur::MustNot)) =>
        {
            items.push((Some(GrammarOccur::Must), UserInputAst::Leaf(Box::new(UserInputLeaf::All))));
            UserInputAst::Clause(items)
        }
        other => other,
    }
}

/// `person:Zelenskyy` in query text goes through the alias table like a filter: it matches the
/// value as written or its canonical name.
fn resolve_leaf_alias(leaf: UserInputLeaf, aliases: &Aliases) -> UserInputAst {
    if let UserInputLeaf::Literal(literal) = &leaf {
        if let Some(keyword) = literal.field_name.as_deref().and_then(KeywordField::parse) {
            let canonical = canonical_value(aliases, keyword, &literal.phrase);
            if keyword_term_text(&canonical) != keyword_term_text(&literal.phrase) {
                let mut resolved = literal.clone();
                resolved.phrase = canonical;
                return UserInputAst::Clause(vec![
                    (Some(GrammarOccur::Should), UserInputAst::Leaf(Box::new(leaf))),
                    (Some(GrammarOccur::Should), UserInputAst::Leaf(Box::new(UserInputLeaf::Literal(resolved)))),
                ]);
            }
        }
    }
    UserInputAst::Leaf(Box::new(leaf))
}

/// Points `title:` and `body:` in the query at the fields of one analysis (`title_de`, `body_de`).
pub(super) fn localise_fields(ast: UserInputAst, analysis: &str) -> UserInputAst {
    let localise = |field: Option<String>| match field.as_deref() {
        Some(name @ (schema::TITLE | schema::BODY)) => Some(schema::text_field_name(name, analysis)),
        _ => field,
    };
    match ast {
        UserInputAst::Clause(items) => UserInputAst::Clause(
            items.into_iter().map(|(occur, item)| (occur, localise_fields(item, analysis))).collect(),
        ),
        UserInputAst::Boost(inner, boost) => UserInputAst::Boost(Box::new(localise_fields(*inner, analysis)), boost),
        UserInputAst::Leaf(leaf) => UserInputAst::Leaf(Box::new(match *leaf {
            UserInputLeaf::Literal(mut literal) => {
                literal.field_name = localise(literal.field_name);
                UserInputLeaf::Literal(literal)
            }
            UserInputLeaf::Range { field, lower, upper } => {
                UserInputLeaf::Range { field: localise(field), lower, upper }
            }
            UserInputLeaf::Set { field, elements } => UserInputLeaf::Set { field: localise(field), elements },
            UserInputLeaf::Regex { field, pattern } => UserInputLeaf::Regex { field: localise(field), pattern },
            UserInputLeaf::Exists { field } => {
                UserInputLeaf::Exists { field: localise(Some(field.clone())).unwrap_or(field) }
            }
            other => other,
        })),
    }
}

/// Removes single plain words that are stop words (for `stop_words`, an analyzer that yields no
/// token for one) from a clause, unless nothing else would remain.
pub(super) fn drop_stop_words(ast: UserInputAst, stop_words: &mut tantivy::tokenizer::TextAnalyzer) -> UserInputAst {
    let mut is_stop_word = |item: &(Option<GrammarOccur>, UserInputAst)| match item {
        (None | Some(GrammarOccur::Should), UserInputAst::Leaf(leaf)) => match leaf.as_ref() {
            UserInputLeaf::Literal(literal) => {
                literal.field_name.is_none()
                    && !literal.phrase.contains(char::is_whitespace)
                    && !stop_words.token_stream(&literal.phrase).advance()
            }
            _ => false,
        },
        _ => false,
    };
    match ast {
        UserInputAst::Clause(items) => {
            let keep: Vec<bool> = items.iter().map(|item| !is_stop_word(item)).collect();
            if !keep.iter().any(|kept| *kept) {
                return UserInputAst::Clause(items);
            }
            UserInputAst::Clause(
                items
                    .into_iter()
                    .zip(keep)
                    .filter(|(_, kept)| *kept)
                    .map(|((occur, item), _)| (occur, drop_stop_words(item, stop_words)))
                    .collect(),
            )
        }
        UserInputAst::Boost(inner, boost) => UserInputAst::Boost(Box::new(drop_stop_words(*inner, stop_words)), boost),
        leaf => leaf,
    }
}
