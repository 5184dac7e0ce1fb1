//! The index schema as code, defined once, and the analyzers it needs. Tantivy does not persist
//! custom tokenizers, so [`register_analyzers`] runs every time an index is opened.

use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::Index;

use crate::model::EntityKind;

/// Bump when the schema or an analyzer changes: an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 2;

/// English analysis for title and body: lowercase, ASCII folding, stemming.
pub const TEXT_ANALYZER: &str = "tidings_en";
/// Exact-match analysis for filter and facet fields: the whole value, lower-cased.
pub const KEYWORD_ANALYZER: &str = "tidings_keyword";

/// The keyword fields: filterable in the index, facetable through their fast columns (which keep
/// the display case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeywordField {
    Person,
    Org,
    Place,
    Topic,
    Author,
    Source,
    Lang,
}

impl KeywordField {
    pub const ALL: [KeywordField; 7] = [
        KeywordField::Person,
        KeywordField::Org,
        KeywordField::Place,
        KeywordField::Topic,
        KeywordField::Author,
        KeywordField::Source,
        KeywordField::Lang,
    ];

    /// The field name, which is also the filter, facet and query-syntax name.
    pub fn name(self) -> &'static str {
        match self {
            KeywordField::Person => "person",
            KeywordField::Org => "org",
            KeywordField::Place => "place",
            KeywordField::Topic => "topic",
            KeywordField::Author => "author",
            KeywordField::Source => "source",
            KeywordField::Lang => "lang",
        }
    }

    pub fn parse(name: &str) -> Option<KeywordField> {
        KeywordField::ALL.into_iter().find(|field| field.name() == name)
    }

    pub fn for_entity(kind: EntityKind) -> KeywordField {
        match kind {
            EntityKind::Person => KeywordField::Person,
            EntityKind::Org => KeywordField::Org,
            EntityKind::Place => KeywordField::Place,
        }
    }
}

/// Handles to every field of the schema.
#[derive(Debug, Clone)]
pub struct Fields {
    pub id: Field,
    pub title: Field,
    pub body: Field,
    pub url: Field,
    pub published_at: Field,
    pub date_rule: Field,
    /// The hit's entity list as JSON, stored only: hits never go back to SQLite.
    pub entities: Field,
    keywords: Vec<(KeywordField, Field)>,
}

impl Fields {
    pub fn keyword(&self, keyword: KeywordField) -> Field {
        self.keywords
            .iter()
            .find(|(candidate, _)| *candidate == keyword)
            .map(|(_, field)| *field)
            .expect("every keyword field is in the schema")
    }
}

/// Builds the schema and returns it with its field handles.
pub fn build_schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TEXT_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let keyword = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(KEYWORD_ANALYZER).set_index_option(IndexRecordOption::Basic),
        )
        .set_fast("raw");
    let id = builder.add_text_field("id", STRING | STORED);
    let title = builder.add_text_field("title", text.clone());
    let body = builder.add_text_field("body", text);
    let url = builder.add_text_field("url", STORED);
    let published_at = builder.add_date_field(
        "published_at",
        DateOptions::default().set_indexed().set_fast().set_stored().set_precision(DateTimePrecision::Seconds),
    );
    let date_rule = builder.add_text_field("date_rule", STORED);
    let entities = builder.add_text_field("entities", STORED);
    let keywords = KeywordField::ALL
        .into_iter()
        .map(|field| {
            let options = if matches!(field, KeywordField::Source | KeywordField::Lang) {
                keyword.clone().set_stored()
            } else {
                keyword.clone()
            };
            (field, builder.add_text_field(field.name(), options))
        })
        .collect();
    (builder.build(), Fields { id, title, body, url, published_at, date_rule, entities, keywords })
}

/// Registers tidings' analyzers on an index. Must run on every open.
pub fn register_analyzers(index: &Index) {
    let english = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build();
    index.tokenizers().register(TEXT_ANALYZER, english);
    let keyword = TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).build();
    index.tokenizers().register(KEYWORD_ANALYZER, keyword);
}

/// The analyzer used for title and body, for code that tokenizes outside the index (snippets).
pub fn text_analyzer(index: &Index) -> TextAnalyzer {
    index.tokenizers().get(TEXT_ANALYZER).expect("registered on open")
}

/// The normalised form a keyword filter value is matched on.
pub fn keyword_term_text(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}
