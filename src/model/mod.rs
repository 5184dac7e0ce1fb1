//! The domain vocabulary shared by every layer: articles, entities, ids and validated values,
//! and the near-duplicate signatures computed from an article's text.

pub mod ids;
pub mod lang;
pub mod shingles;
pub mod signature;

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub use ids::{article_id_for, ArticleId};
pub use lang::Lang;

/// Kind of a named entity. The wire names (`person`, `org`, `place`) are used everywhere:
/// JSON, filters, facets and query syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    Person,
    Org,
    Place,
}

impl EntityKind {
    pub const ALL: [EntityKind; 3] = [EntityKind::Person, EntityKind::Org, EntityKind::Place];

    /// The wire names and the common synonyms input files use; a kind's first word is its name.
    pub const WORDS: [(&'static str, EntityKind); 15] = [
        ("person", EntityKind::Person),
        ("per", EntityKind::Person),
        ("people", EntityKind::Person),
        ("persons", EntityKind::Person),
        ("org", EntityKind::Org),
        ("orgs", EntityKind::Org),
        ("organisation", EntityKind::Org),
        ("organization", EntityKind::Org),
        ("organisations", EntityKind::Org),
        ("organizations", EntityKind::Org),
        ("place", EntityKind::Place),
        ("places", EntityKind::Place),
        ("location", EntityKind::Place),
        ("loc", EntityKind::Place),
        ("gpe", EntityKind::Place),
    ];

    /// Accepts the wire names and the synonyms, in any case (input files vary).
    pub fn parse(text: &str) -> Option<EntityKind> {
        let word = text.trim().to_ascii_lowercase();
        EntityKind::WORDS.iter().find(|(candidate, _)| *candidate == word).map(|(_, kind)| *kind)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Person => "person",
            EntityKind::Org => "org",
            EntityKind::Place => "place",
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// An entity mentioned in an article, under its canonical display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entity {
    pub kind: EntityKind,
    /// Canonical display name, e.g. "Vladimir Putin".
    pub name: String,
    /// The forms as written in the text ("Putin", "Vladimir Putin").
    pub surfaces: Vec<String>,
    pub mentions: u32,
    /// The record named it (as opposed to the extractor finding it in the text): re-extraction
    /// keeps it. Set by the parser that read the record, stored, not shown.
    #[serde(skip)]
    pub brought: bool,
}

impl Entity {
    pub fn new(kind: EntityKind, name: impl Into<String>) -> Entity {
        let name = name.into();
        Entity { kind, surfaces: vec![name.clone()], name, mentions: 1, brought: false }
    }

    /// Takes in another entry of the same entity: its forms, its origin, and its mentions —
    /// summed, except that a record's entity (which counts no mentions of its own in the text)
    /// joined by what the extractor found takes the larger count, so that extracting again gives
    /// the same count.
    pub fn absorb(&mut self, other: Entity) {
        self.mentions = match self.brought == other.brought {
            true => self.mentions + other.mentions,
            false => self.mentions.max(other.mentions),
        };
        self.brought |= other.brought;
        for surface in other.surfaces {
            if !self.surfaces.contains(&surface) {
                self.surfaces.push(surface);
            }
        }
    }
}

/// The key entity names are matched on: case- and space-normalised.
pub fn entity_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The surname of a person's name of two words or more: its last word ("James A. Baker" →
/// "Baker"); `None` for a name of one word.
pub fn surname_of(name: &str) -> Option<&str> {
    let mut words = name.split_whitespace();
    words.next()?;
    words.last()
}

/// The week a time falls in: whole weeks since 1970-01-01 (the store's `person_surnames.week`).
pub fn week_of(time: &DateTime<Utc>) -> i64 {
    time.timestamp().div_euclid(7 * 86_400)
}

/// Which rule gave an article its publication date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DateRule {
    /// The source's own metadata (a JSON field, the Reuters DATE element).
    Metadata,
    /// The latest day mentioned in the text.
    Text,
    /// A `<time>` element of the page's markup.
    Markup,
    /// A date in the article's URL (`/2024/05/05/`).
    Url,
    /// The file's modification time.
    FileMtime,
    /// When the article was fetched or ingested (nothing better said when it was published).
    FetchTime,
    /// No usable date.
    Unknown,
}

impl DateRule {
    pub fn as_str(self) -> &'static str {
        match self {
            DateRule::Metadata => "metadata",
            DateRule::Text => "text",
            DateRule::Markup => "markup",
            DateRule::Url => "url",
            DateRule::FileMtime => "file_mtime",
            DateRule::FetchTime => "fetch_time",
            DateRule::Unknown => "unknown",
        }
    }

    pub fn parse(text: &str) -> DateRule {
        match text {
            "metadata" => DateRule::Metadata,
            "text" => DateRule::Text,
            "markup" => DateRule::Markup,
            "url" => DateRule::Url,
            "file_mtime" => DateRule::FileMtime,
            "fetch_time" => DateRule::FetchTime,
            _ => DateRule::Unknown,
        }
    }
}

/// An article as extraction hands it to the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// The source's own key (`reuters:NEWID`, a JSON `id`, the url, or the file path).
    pub source_key: String,
    pub url: Option<String>,
    pub title: String,
    pub body: String,
    pub published_at: Option<DateTime<Utc>>,
    pub date_rule: DateRule,
    pub source: String,
    pub lang: Lang,
    pub entities: Vec<Entity>,
    pub topics: Vec<String>,
    pub authors: Vec<String>,
}

impl Article {
    /// An English article of source `Test` titled `Story {number}`, undated, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_test(number: usize, body: &str) -> Article {
        Article {
            source_key: format!("test:{number}"),
            url: None,
            title: format!("Story {number}"),
            body: body.into(),
            published_at: None,
            date_rule: DateRule::Unknown,
            source: "Test".into(),
            lang: Lang::from_stored("en".into()),
            entities: Vec::new(),
            topics: Vec::new(),
            authors: Vec::new(),
        }
    }

    /// tidings' own stable id: derived from the source key, so re-ingesting keeps it.
    pub fn id(&self) -> ArticleId {
        ArticleId::of_source_key(&self.source_key)
    }

    /// Hash over everything the store keeps, so an unchanged article is recognised.
    pub fn content_hash(&self) -> String {
        let mut hasher = Sha256::new();
        let mut field = |value: &str| {
            hasher.update((value.len() as u64).to_le_bytes());
            hasher.update(value.as_bytes());
        };
        field(self.url.as_deref().unwrap_or(""));
        field(&self.title);
        field(&self.body);
        field(&self.published_at.map(|date| date.to_rfc3339()).unwrap_or_default());
        field(self.date_rule.as_str());
        field(&self.source);
        field(self.lang.as_str());
        for entity in &self.entities {
            field(entity.kind.as_str());
            field(&entity.name);
            field(&entity.surfaces.join("\u{1f}"));
        }
        for topic in &self.topics {
            field(topic);
        }
        for author in &self.authors {
            field(author);
        }
        ids::hex(&hasher.finalize()[..16])
    }
}

/// Midnight UTC of a day: how a date without a time is read everywhere (metadata, text, request
/// bounds).
pub fn midnight(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_kind_accepts_synonyms() {
        assert_eq!(EntityKind::parse("Organisation"), Some(EntityKind::Org));
        assert_eq!(EntityKind::parse("organization"), Some(EntityKind::Org));
        assert_eq!(EntityKind::parse("location"), Some(EntityKind::Place));
        assert_eq!(EntityKind::parse("person"), Some(EntityKind::Person));
        assert_eq!(EntityKind::parse("thing"), None);
    }

    #[test]
    fn midnight_is_the_start_of_the_day_in_utc() {
        let day = NaiveDate::from_ymd_opt(1987, 3, 1).unwrap();
        assert_eq!(midnight(day).to_rfc3339(), "1987-03-01T00:00:00+00:00");
    }
}
