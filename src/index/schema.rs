//! The index schema as code, defined once, and the analyzers it needs. Tantivy does not persist
//! custom tokenizers, so [`register_analyzers`] runs every time an index is opened.

use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
    STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
    TokenizerManager,
};
use tantivy::Index;

use crate::model::EntityKind;

/// The field names, defined once: the schema is built with them and fast columns are read by them.
pub const ID: &str = "id";
pub const TITLE: &str = "title";
pub const BODY: &str = "body";
pub const ANALYSIS: &str = "analysis";
pub const CLUSTER: &str = "cluster";
pub const URL: &str = "url";
pub const PUBLISHED_AT: &str = "published_at";
pub const DATE_RULE: &str = "date_rule";
pub const ENTITIES: &str = "entities";

/// The name of the title or body field (`base`: [`TITLE`] or [`BODY`]) of one analysis.
pub fn text_field_name(base: &str, analysis: &str) -> String {
    format!("{base}_{analysis}")
}

/// Bump when the schema, an analyzer or the index settings change: an index of another version is
/// rebuilt. 5: documents sorted newest first.
pub const SCHEMA_VERSION: u32 = 5;

/// The languages Tantivy has a stemmer for, by ISO 639-1 code. Each gets its own title and body
/// fields analysed with its stemmer; an article's text goes to the fields of its language, and
/// other languages to the language-neutral fields.
pub const STEMMED_LANGUAGES: [(&str, Language); 18] = [
    ("en", Language::English),
    ("ar", Language::Arabic),
    ("da", Language::Danish),
    ("de", Language::German),
    ("el", Language::Greek),
    ("es", Language::Spanish),
    ("fi", Language::Finnish),
    ("fr", Language::French),
    ("hu", Language::Hungarian),
    ("it", Language::Italian),
    ("nl", Language::Dutch),
    ("no", Language::Norwegian),
    ("pt", Language::Portuguese),
    ("ro", Language::Romanian),
    ("ru", Language::Russian),
    ("sv", Language::Swedish),
    ("ta", Language::Tamil),
    ("tr", Language::Turkish),
];

/// The analysis of text in languages without a stemmer: lower case and ASCII folding only.
pub const NEUTRAL: &str = "neutral";

/// The analysis an article in language `lang` (ISO 639-1) gets: its own stemmer's, or neutral.
pub fn analysis_for(lang: &str) -> &'static str {
    let lang = match lang {
        "nb" | "nn" => "no",
        other => other,
    };
    STEMMED_LANGUAGES.iter().find(|(code, _)| *code == lang).map_or(NEUTRAL, |(code, _)| code)
}

/// Every analysis, stemmed languages first.
pub fn all_analyses() -> impl Iterator<Item = &'static str> {
    STEMMED_LANGUAGES.iter().map(|(code, _)| *code).chain([NEUTRAL])
}

fn analyzer_name(analysis: &str) -> String {
    format!("tidings_{analysis}")
}
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

/// The indexed title and body fields of one analysis (a stemmed language, or neutral).
#[derive(Debug, Clone)]
pub struct TextFields {
    pub analysis: &'static str,
    pub title: Field,
    pub body: Field,
}

/// Handles to every field of the schema.
#[derive(Debug, Clone)]
pub struct Fields {
    pub id: Field,
    /// Title and body as stored for display; they are searched through [`Fields::text`].
    pub title: Field,
    pub body: Field,
    /// Title and body indexed per analysis.
    pub text: Vec<TextFields>,
    /// Which analysis an article's text went to (not stored; restricts each language's query
    /// to that language's articles).
    pub analysis: Field,
    /// The near-duplicate cluster as a number (its 16 hex digits), fast for collapsing.
    pub cluster: Field,
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

    /// The indexed fields for an analysis (see [`analysis_for`]).
    pub fn text_for(&self, analysis: &str) -> &TextFields {
        self.text.iter().find(|fields| fields.analysis == analysis).unwrap_or_else(|| {
            self.text.iter().find(|fields| fields.analysis == NEUTRAL).expect("the neutral fields are in the schema")
        })
    }

    /// The analysis a title or body field belongs to, if it is one.
    pub fn analysis_of(&self, field: Field) -> Option<&'static str> {
        self.text.iter().find(|fields| fields.title == field || fields.body == field).map(|fields| fields.analysis)
    }
}

/// Builds the schema and returns it with its field handles.
pub fn build_schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let indexed_text = |analysis: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(&analyzer_name(analysis))
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let keyword = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(KEYWORD_ANALYZER).set_index_option(IndexRecordOption::Basic),
        )
        .set_fast("raw");
    let id = builder.add_text_field(ID, STRING | STORED);
    let title = builder.add_text_field(TITLE, STORED);
    let body = builder.add_text_field(BODY, STORED);
    let text = all_analyses()
        .map(|analysis| TextFields {
            analysis,
            title: builder.add_text_field(&text_field_name(TITLE, analysis), indexed_text(analysis)),
            body: builder.add_text_field(&text_field_name(BODY, analysis), indexed_text(analysis)),
        })
        .collect();
    let analysis = builder.add_text_field(ANALYSIS, STRING);
    let cluster = builder.add_u64_field(CLUSTER, NumericOptions::default().set_indexed().set_fast().set_stored());
    let url = builder.add_text_field(URL, STORED);
    let published_at = builder.add_date_field(
        PUBLISHED_AT,
        DateOptions::default().set_indexed().set_fast().set_stored().set_precision(DateTimePrecision::Seconds),
    );
    let date_rule = builder.add_text_field(DATE_RULE, STORED);
    let entities = builder.add_text_field(ENTITIES, STORED);
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
    (
        builder.build(),
        Fields { id, title, body, text, analysis, cluster, url, published_at, date_rule, entities, keywords },
    )
}

/// The analyzer of one analysis: English keeps its original order (fold, then stem); other
/// languages stem first, since their stemmers expect their own letters (ä, ß, ç), then fold.
fn build_analyzer(analysis: &str) -> TextAnalyzer {
    let base =
        || TextAnalyzer::builder(SimpleTokenizer::default()).filter(RemoveLongFilter::limit(40)).filter(LowerCaser);
    match STEMMED_LANGUAGES.iter().find(|(code, _)| *code == analysis) {
        Some(("en", language)) => base().filter(AsciiFoldingFilter).filter(Stemmer::new(*language)).build(),
        Some((_, language)) => base().filter(Stemmer::new(*language)).filter(AsciiFoldingFilter).build(),
        None => base().filter(AsciiFoldingFilter).build(),
    }
}

/// Registers tidings' analyzers on an index. Must run on every open.
pub fn register_analyzers(index: &Index) {
    register_on(index.tokenizers());
}

/// Registers the analyzers on a tokenizer manager (the index's, or a query parser's).
pub fn register_on(manager: &TokenizerManager) {
    for analysis in all_analyses() {
        manager.register(&analyzer_name(analysis), build_analyzer(analysis));
    }
    let keyword = TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).build();
    manager.register(KEYWORD_ANALYZER, keyword);
}

/// The analyzer of an analysis, for code that tokenizes outside the index (snippets).
pub fn text_analyzer(index: &Index, analysis: &str) -> TextAnalyzer {
    index.tokenizers().get(&analyzer_name(analysis)).expect("registered on open")
}

/// The number a cluster id (16 hex digits, an article id) is indexed as.
pub fn cluster_key(cluster_id: &str) -> u64 {
    u64::from_str_radix(cluster_id, 16).unwrap_or_else(|_| crate::model::shingles::hash_words(&[cluster_id]))
}

/// The cluster id for its indexed number.
pub fn cluster_id(key: u64) -> String {
    format!("{key:016x}")
}

/// The normalised form a keyword filter value is matched on.
pub fn keyword_term_text(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}
