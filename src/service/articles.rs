//! One article in full: the store's copy with its entities' written forms, and the other articles
//! of its story.

use serde::Serialize;
use utoipa::ToSchema;

use super::Service;
use crate::error::{Error, Result};
use crate::model::{ArticleId, Entity};
use crate::search::request::Hit;
use crate::search::scope::Scope;
use crate::store::StoredArticle;

/// An article in full.
#[derive(Serialize, ToSchema)]
pub struct ArticleView {
    pub id: String,
    /// The source's own key (`reuters:NEWID`, `id:SOURCE:ID`, `url:…`, `file:…`).
    pub source_key: String,
    pub url: Option<String>,
    pub title: String,
    pub body: String,
    pub published_at: Option<String>,
    /// Which rule gave the date: metadata, markup, url, text, file_mtime, fetch_time or unknown.
    pub date_rule: String,
    pub source: String,
    pub lang: String,
    /// The near-duplicate cluster (story): the id of its first article.
    pub cluster_id: String,
    /// The ids of the other articles of the story, oldest first.
    pub duplicates: Vec<String>,
    pub topics: Vec<String>,
    pub authors: Vec<String>,
    pub entities: Vec<ArticleEntity>,
    pub ingested_at: String,
    pub updated_at: String,
    /// The store's change sequence of the last change.
    pub seq: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ArticleEntity {
    pub kind: String,
    pub name: String,
    /// The forms as written in the article.
    pub surfaces: Vec<String>,
    pub mentions: u32,
}

impl Service {
    /// The article with tidings id `id` (as a client sent it), with its story's other articles;
    /// under a scope, only an article the scope sees (else not found, as if it did not exist),
    /// with the duplicates the scope sees.
    pub fn article(&self, id: &str, scope: &Scope) -> Result<ArticleView> {
        let not_found = || Error::NotFound(format!("no article with id {id:?}"));
        let id = ArticleId::parse(id).ok_or_else(not_found)?;
        if self.engine.visible(std::slice::from_ref(&id), scope)?.is_empty() {
            return Err(not_found());
        }
        let store = self.reader()?;
        let stored = store.get_article(&id)?.ok_or_else(not_found)?;
        let members: Vec<ArticleId> =
            store.cluster_members(&stored.cluster_id)?.into_iter().filter(|member| *member != stored.id).collect();
        drop(store);
        let duplicates = self.engine.visible(&members, scope)?;
        Ok(view(stored, duplicates))
    }

    /// The stories most like the article with tidings id `id` (as a client sent it), among those
    /// the scope sees.
    pub fn related(&self, id: &str, limit: usize, scope: &Scope) -> Result<Vec<Hit>> {
        let article_id = ArticleId::parse(id).ok_or_else(|| Error::NotFound(format!("no article with id {id:?}")))?;
        self.engine.related(&article_id, limit, scope)
    }
}

fn view(stored: StoredArticle, duplicates: Vec<ArticleId>) -> ArticleView {
    let article = stored.article;
    ArticleView {
        id: stored.id.into(),
        source_key: article.source_key,
        url: article.url,
        title: article.title,
        body: article.body,
        published_at: article.published_at.map(|date| date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        date_rule: article.date_rule.as_str().into(),
        source: article.source,
        lang: article.lang.to_string(),
        cluster_id: stored.cluster_id.into(),
        duplicates: duplicates.into_iter().map(String::from).collect(),
        topics: article.topics,
        authors: article.authors,
        entities: article.entities.into_iter().map(entity).collect(),
        ingested_at: stored.ingested_at,
        updated_at: stored.updated_at,
        seq: stored.seq,
    }
}

fn entity(entity: Entity) -> ArticleEntity {
    ArticleEntity {
        kind: entity.kind.as_str().into(),
        name: entity.name,
        surfaces: entity.surfaces,
        mentions: entity.mentions,
    }
}
