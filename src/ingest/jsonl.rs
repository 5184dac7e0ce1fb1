//! JSON Lines: one article object per line. A bad line is rejected with its line number and the
//! rest of the file goes on; an unparsable date keeps the article with an unknown date.

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::dates::parse_date;
use super::Record;
use crate::model::{Article, ArticleId, DateRule, Entity, EntityKind, Lang};

/// Characters a `source_key` has at most.
const MAX_SOURCE_KEY_CHARS: usize = 2_048;

/// An article as a JSON line (or an item of a write request) carries it. Unknown fields are
/// ignored: feeds of other tools add their own. An article needs a title or a body.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = Article)]
pub struct JsonArticle {
    /// The source's own id (a string or a number): with `source`, the article's key.
    #[schema(value_type = Option<Object>)]
    id: Option<Value>,
    title: Option<String>,
    /// The text (also `text` or `content`).
    #[serde(alias = "text", alias = "content")]
    body: Option<String>,
    /// RFC 3339, RFC 2822 or `YYYY-MM-DD` (also `date` or `published`); unreadable: date unknown.
    #[serde(alias = "date", alias = "published")]
    published_at: Option<String>,
    source: Option<String>,
    url: Option<String>,
    #[serde(default)]
    entities: Vec<JsonEntity>,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    authors: Vec<String>,
    /// ISO 639-1 (`en`, `pt-BR`; also `language`); default English.
    #[serde(alias = "language")]
    #[schema(pattern = r"^\s*([A-Za-z]{2}([-_].*)?|[Uu][Nn][Dd]\s*)$")]
    lang: Option<String>,
    /// tidings' own key of the article, as `tidings dump` writes it (`id:source:…`, `url:…`,
    /// `reuters:…`, a file's path): when given, the article's key and id, whatever `id` and `url`
    /// say.
    #[schema(min_length = 1, max_length = 2048, pattern = r"\S")]
    source_key: Option<String>,
    /// The tidings id `tidings dump` wrote beside `source_key`: checked against it (a line whose
    /// id is not its key's is rejected), ignored without one.
    #[schema(value_type = Option<String>)]
    article_id: Option<String>,
    /// How `published_at` was found (as `tidings dump` writes it); default `metadata`.
    date_rule: Option<DateRule>,
}

/// An entity an article names.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ArticleInputEntity)]
pub struct JsonEntity {
    #[schema(value_type = crate::model::EntityKind)]
    kind: String,
    #[schema(pattern = r"\S")]
    name: String,
    /// The forms it is written in in the text (default: the name).
    #[serde(default)]
    #[schema(max_items = 64)]
    surfaces: Vec<String>,
    /// How often the text names it (default 1).
    #[schema(minimum = 1)]
    mentions: Option<u32>,
    /// The extractor found it (as `tidings dump` marks it), rather than the record naming it:
    /// `reindex --extract` replaces what was extracted and keeps what records named.
    #[serde(default)]
    extracted: bool,
}

/// Parses each non-blank line of a JSON Lines file.
pub fn parse(file: &str, text: &str, default_source: &str) -> Vec<Record> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let location = format!("{file}:{}", index + 1);
            match parse_line(line, default_source) {
                Ok(article) => Record::accepted(location, article),
                Err(reason) => Record::rejected(location, reason),
            }
        })
        .collect()
}

/// One JSON object → one article.
pub fn parse_line(line: &str, default_source: &str) -> Result<Article, String> {
    let json: JsonArticle = serde_json::from_str(line).map_err(|error| format!("invalid JSON: {error}"))?;
    json_to_article(json, default_source)
}

/// A JSON value (from a line or an array element) → one article.
pub fn parse_value(value: Value, default_source: &str) -> Result<Article, String> {
    let json: JsonArticle = serde_json::from_value(value).map_err(|error| format!("invalid article: {error}"))?;
    json_to_article(json, default_source)
}

fn json_to_article(json: JsonArticle, default_source: &str) -> Result<Article, String> {
    let title = json.title.unwrap_or_default().trim().to_string();
    let body = json.body.unwrap_or_default().trim().to_string();
    if title.is_empty() && body.is_empty() {
        return Err("article has neither title nor body".into());
    }
    let mut entities = Vec::with_capacity(json.entities.len());
    for (position, entity) in json.entities.into_iter().enumerate() {
        let kind = EntityKind::parse(&entity.kind).ok_or_else(|| {
            format!("entities[{position}].kind {:?} is not person, org (organisation) or place (location)", entity.kind)
        })?;
        let name = entity.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Err(format!("entities[{position}].name is empty"));
        }
        if entity.mentions == Some(0) {
            return Err(format!("entities[{position}].mentions is at least 1"));
        }
        let mut surfaces: Vec<String> = entity
            .surfaces
            .iter()
            .map(|surface| surface.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|surface| !surface.is_empty())
            .collect();
        if surfaces.len() > 64 {
            return Err(format!("entities[{position}].surfaces: at most 64"));
        }
        if surfaces.is_empty() {
            surfaces.push(name.clone());
        }
        entities.push(Entity {
            kind,
            name,
            surfaces,
            mentions: entity.mentions.unwrap_or(1),
            brought: !entity.extracted,
        });
    }
    let lang = match json.lang {
        Some(lang) if lang.trim().eq_ignore_ascii_case(Lang::UNDETERMINED) => Lang::undetermined(),
        Some(lang) => Lang::parse(&lang).ok_or_else(|| format!("lang {lang:?} is not an ISO 639-1 code"))?,
        None => Lang::english(),
    };
    let published_at = json.published_at.as_deref().and_then(parse_date);
    let date_rule = match (published_at, json.date_rule) {
        (None, _) => DateRule::Unknown,
        (Some(_), None | Some(DateRule::Unknown)) => DateRule::Metadata,
        (Some(_), Some(rule)) => rule,
    };
    let external_id = json.id.map(|id| match id {
        Value::String(text) => text,
        other => other.to_string(),
    });
    let source = json.source.filter(|source| !source.trim().is_empty()).unwrap_or_else(|| default_source.to_string());
    let source_key = match (json.source_key, &external_id, &json.url) {
        (Some(key), _, _) => {
            let key = key.trim().to_string();
            if key.is_empty() || key.chars().count() > MAX_SOURCE_KEY_CHARS {
                return Err(format!("source_key: between 1 and {MAX_SOURCE_KEY_CHARS} characters"));
            }
            if let Some(id) = json.article_id.filter(|id| *id != ArticleId::of_source_key(&key).as_str()) {
                return Err(format!("article_id {id:?} is not the id of source_key {key:?}: the line was changed"));
            }
            key
        }
        (None, Some(id), _) => format!("id:{}:{id}", source.to_lowercase()),
        // The same key feeds and pages use, so one story reached several ways is one article.
        (None, None, Some(url)) => {
            format!("url:{}", super::urls::normalise_url(url, None).unwrap_or_else(|| url.clone()))
        }
        (None, None, None) => format!("content:{}", crate::model::article_id_for(&format!("{title}\u{1f}{body}"))),
    };
    Ok(Article {
        source_key,
        url: json.url,
        title,
        body,
        date_rule,
        published_at,
        source,
        lang,
        entities,
        topics: json.topics.into_iter().map(|topic| topic.trim().to_string()).filter(|t| !t.is_empty()).collect(),
        authors: json.authors.into_iter().map(|author| author.trim().to_string()).filter(|a| !a.is_empty()).collect(),
    })
}

/// The articles of a write request's body: NDJSON (one article per line) or a JSON array of
/// articles, each with its position (`line N`, `item N`) for the rejections.
pub fn parse_body(text: &str) -> crate::error::Result<Vec<Record>> {
    use crate::error::Error;
    let mut records = Vec::new();
    if text.trim_start().starts_with('[') {
        let items: Vec<serde_json::Value> = serde_json::from_str(text)
            .map_err(|error| Error::BadParameter(format!("the body is not a JSON array of articles: {error}")))?;
        for (index, item) in items.iter().enumerate() {
            records
                .push(Record { location: format!("item {}", index + 1), result: parse_line(&item.to_string(), "api") });
        }
    } else {
        for (index, line) in text.lines().enumerate() {
            if !line.trim().is_empty() {
                records.push(Record { location: format!("line {}", index + 1), result: parse_line(line, "api") });
            }
        }
    }
    if records.is_empty() {
        return Err(Error::BadParameter("the body holds no articles: send NDJSON or a JSON array".into()));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_rejected_and_good_ones_kept() {
        let text = "{\"title\":\"A\",\"body\":\"b\",\"published_at\":\"2025-01-02\"}\n\n{not json}\n\
            {\"title\":\"C\",\"published_at\":\"someday\"}\n{\"title\":\"D\",\"entities\":[{\"kind\":\"thing\",\"name\":\"x\"}]}\n";
        let records = parse("a.jsonl", text, "web");
        assert_eq!(records.len(), 4);
        assert!(records[0].result.is_ok());
        assert_eq!(records[1].location, "a.jsonl:3");
        assert!(records[1].result.as_ref().unwrap_err().starts_with("invalid JSON"));
        let undated = records[2].result.as_ref().unwrap();
        assert_eq!(undated.date_rule, DateRule::Unknown);
        assert!(records[3].result.as_ref().unwrap_err().contains("entities[0].kind"));
    }

    #[test]
    fn bodies_are_arrays_or_lines() {
        let array = parse_body(r#"[{"title":"A","body":"x"}, "just a string"]"#).unwrap();
        assert_eq!(array.len(), 2);
        assert!(array[0].result.is_ok() && array[1].result.is_err());
        assert_eq!(array[1].location, "item 2");
        let lines = parse_body("{\"title\":\"A\",\"body\":\"x\"}\n\nnot json\n").unwrap();
        assert_eq!((lines.len(), lines[1].location.as_str()), (2, "line 3"));
        assert!(parse_body("  ").is_err());
        assert!(parse_body("[1, 2").is_err());
    }
}
