//! `tidings dump`: every stored article as a line of JSON Lines that `tidings ingest` reads back
//! to the same article — its key (so its id), text, dates and how they were found, source,
//! language, topics, authors, and its entities with their kinds, forms, mentions and whether a
//! record named them or an extractor found them. Near-duplicate clusters are not written: they
//! are recomputed as the lines are ingested, in the order they were stored. A dump is one moment
//! of the store, taken while a server may be writing; keys, feeds and the ledger are not in it
//! (`tidings backup` copies everything).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{Article, ArticleId, DateRule, Entity};
use crate::store::Store;

/// What a dump wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dumped {
    pub articles: u64,
    /// The store's sequence at the moment dumped.
    pub seq: i64,
    pub bytes: u64,
}

/// One line: the fields [`super::jsonl`] reads.
#[derive(Serialize)]
struct Line<'a> {
    article_id: &'a ArticleId,
    source_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    title: &'a str,
    body: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    published_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_rule: Option<DateRule>,
    source: &'a str,
    lang: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    entities: Vec<LineEntity<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    topics: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    authors: &'a [String],
}

#[derive(Serialize)]
struct LineEntity<'a> {
    kind: &'static str,
    name: &'a str,
    /// Left out when it is only the name.
    #[serde(skip_serializing_if = "Option::is_none")]
    surfaces: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mentions: Option<u32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    extracted: bool,
}

impl<'a> Line<'a> {
    fn of(id: &'a ArticleId, article: &'a Article) -> Line<'a> {
        Line {
            article_id: id,
            source_key: &article.source_key,
            url: article.url.as_deref(),
            title: &article.title,
            body: &article.body,
            published_at: article.published_at.map(|date| date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            date_rule: article.published_at.is_some().then_some(article.date_rule),
            source: &article.source,
            lang: article.lang.as_str(),
            entities: article.entities.iter().map(LineEntity::of).collect(),
            topics: &article.topics,
            authors: &article.authors,
        }
    }
}

impl<'a> LineEntity<'a> {
    fn of(entity: &'a Entity) -> LineEntity<'a> {
        let only_the_name = entity.surfaces.len() == 1 && entity.surfaces[0] == entity.name;
        LineEntity {
            kind: entity.kind.as_str(),
            name: &entity.name,
            surfaces: (!only_the_name).then_some(entity.surfaces.as_slice()),
            mentions: (entity.mentions != 1).then_some(entity.mentions),
            extracted: !entity.brought,
        }
    }
}

/// Writes every article of `store` to `out`, oldest change first, as one read of the store.
pub fn dump(store: &Store, out: &mut dyn Write) -> Result<Dumped> {
    const BATCH: usize = 1_000;
    store.read_snapshot(|store| {
        let seq = store.max_seq()?;
        let mut dumped = Dumped { articles: 0, seq, bytes: 0 };
        let mut after = 0;
        let mut line = Vec::new();
        loop {
            let batch = store.articles_after(after, BATCH)?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            for stored in &batch {
                line.clear();
                serde_json::to_writer(&mut line, &Line::of(&stored.id, &stored.article))
                    .map_err(std::io::Error::from)?;
                line.push(b'\n');
                out.write_all(&line)?;
                dumped.articles += 1;
                dumped.bytes += line.len() as u64;
            }
        }
        out.flush()?;
        Ok(dumped)
    })
}

/// Writes the dump to a new file at `path` (gzip-compressed when it ends in `.gz`, which
/// `ingest` reads as it is): into `PATH.partial` first, renamed when complete, so a dump cut short
/// never looks whole.
pub fn dump_to_file(store: &Store, path: &Path) -> Result<Dumped> {
    if path.exists() {
        return Err(Error::BadParameter(format!("{} exists already: dump to a new file", path.display())));
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let written = (|| {
        let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&partial)?);
        let dumped = if path.extension().is_some_and(|extension| extension == "gz") {
            let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::default());
            let dumped = dump(store, &mut encoder)?;
            encoder.finish()?.into_inner().map_err(|error| error.into_error())?.sync_all()?;
            dumped
        } else {
            let mut file = file;
            let dumped = dump(store, &mut file)?;
            file.into_inner().map_err(|error| error.into_error())?.sync_all()?;
            dumped
        };
        std::fs::rename(&partial, path)?;
        Ok(dumped)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntityKind, Lang};

    #[test]
    fn a_dumped_article_reads_back_the_same() {
        let mut article = Article::for_test(7, "Baker met Volcker in Washington.");
        article.source_key = "url:https://example.com/a?b=1".into();
        article.url = Some("https://example.com/a?b=1".into());
        article.published_at = Some(chrono::DateTime::from_timestamp(1_600_000_000, 0).unwrap());
        article.date_rule = DateRule::Text;
        article.lang = Lang::undetermined();
        article.topics = vec!["money-fx".into()];
        article.authors = vec!["A. Writer".into()];
        let mut baker = Entity::new(EntityKind::Person, "James Baker");
        baker.surfaces = vec!["Baker".into(), "James Baker".into()];
        baker.mentions = 3;
        let tagged = Entity { brought: true, ..Entity::new(EntityKind::Place, "Washington") };
        article.entities = vec![baker, tagged];
        let id = article.id();
        let text = serde_json::to_string(&Line::of(&id, &article)).unwrap();
        let read = super::super::jsonl::parse_line(&text, "elsewhere").unwrap();
        assert_eq!(read.id(), id);
        assert_eq!(read.content_hash(), article.content_hash());
        assert_eq!(
            (read.date_rule, read.lang.as_str(), &read.url, &read.topics, &read.authors),
            (DateRule::Text, "und", &article.url, &article.topics, &article.authors)
        );
        let entity = |entity: &Entity| {
            (entity.kind, entity.name.clone(), entity.surfaces.clone(), entity.mentions, entity.brought)
        };
        assert_eq!(
            read.entities.iter().map(entity).collect::<Vec<_>>(),
            article.entities.iter().map(entity).collect::<Vec<_>>()
        );
        // A line whose id is not its key's was changed by hand: refused, not stored under another id.
        let tampered = text.replace("url:https://example.com/a?b=1", "url:https://example.com/other");
        assert!(super::super::jsonl::parse_line(&tampered, "x").unwrap_err().contains("article_id"));
    }
}
