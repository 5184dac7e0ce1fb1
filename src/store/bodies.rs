//! Article bodies as the store keeps them: zstd frames compressed with a dictionary trained on the
//! store's own bodies, once it holds enough of them to learn from.
//!
//! A body of a few KB compresses poorly on its own: most of what makes news text predictable (its
//! words, names and turns of phrase) has to be spelled out again in every frame. A dictionary of
//! 256 KB learnt from [`TRAINING_SAMPLES`] bodies carries that once. On the generated 1M corpus a
//! 2.3 KB body takes 1.21 KB as plain zstd and 0.83 KB with the dictionary; on the real BBC News
//! articles in ../shared/data (trained on 1,200, measured on the other 1,025) 1.18 against
//! 0.88 KB. The dictionary is trained once, when the store first holds [`TRAINING_SAMPLES`]
//! articles, from the newest of them; the bodies written before it are recompressed with it.
//!
//! Every frame names its dictionary (zstd writes the dictionary's id into the frame header), so
//! bodies written before a dictionary existed, by another process with a newer one, or by earlier
//! versions (plain zstd, LZ4 with the length in front, TEXT) all read back.

use std::cell::RefCell;
use std::collections::HashMap;

use rusqlite::types::{FromSql, FromSqlResult, ValueRef};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, Result};

/// The zstd level bodies are written with (levels 5 and 7 gain 4% and 8% more, for twice and
/// four times the time).
const LEVEL: i32 = 3;

/// How many bodies the store holds before it trains a dictionary, and how many it trains on.
pub(super) const TRAINING_SAMPLES: usize = 5_000;

/// The largest dictionary trained, and its share of the samples at most (a small store's few
/// samples make a small dictionary).
const DICTIONARY_BYTES: usize = 256 << 10;
const SAMPLE_BYTES_PER_DICTIONARY_BYTE: usize = 8;

/// The most body text a dictionary is trained on, and the largest body taken as a sample (by its
/// stored size, then by its text): 5,000 news articles are about 12 MB.
const SAMPLE_BYTES: usize = 64 << 20;
const SAMPLE_BODY_BYTES: usize = 256 << 10;

/// No body is larger (the largest input read whole is 256 MB): a frame claiming more is damaged,
/// and is refused before anything is reserved for it.
const MAX_BODY_BYTES: u64 = 320 << 20;

/// How every zstd frame begins (an LZ4 blob begins with a length, far below it).
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// A `body` column as read, not yet decoded: decode it with [`super::Store::decode_body`].
#[derive(Debug, Clone)]
pub enum RawBody {
    /// Written before bodies were compressed.
    Text(String),
    Blob(Vec<u8>),
}

impl FromSql for RawBody {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Blob(bytes) => Ok(RawBody::Blob(bytes.to_vec())),
            value => String::column_result(value).map(RawBody::Text),
        }
    }
}

/// One connection's body codec: the dictionary new bodies are written with, and a decompressor
/// per dictionary met in frames, loaded from `body_dictionaries` when first needed.
pub(super) struct Bodies {
    /// The newest dictionary's id and a compressor holding it; `None` before one is trained.
    writer: Option<(u32, zstd::bulk::Compressor<'static>)>,
    /// The compressor without a dictionary, made when first needed.
    plain: Option<zstd::bulk::Compressor<'static>>,
    /// Decompressors by dictionary id (0: no dictionary).
    readers: RefCell<HashMap<u32, zstd::bulk::Decompressor<'static>>>,
    /// The store trains a dictionary once its newest article's rowid reaches this; `None` once one
    /// exists.
    train_at: Option<i64>,
    /// How many bodies a dictionary is trained on.
    samples: usize,
}

impl Bodies {
    /// The codec of a connection to the store: the newest dictionary, if one was trained.
    pub(super) fn open(connection: &Connection) -> Result<Bodies> {
        let mut bodies = Bodies {
            writer: None,
            plain: None,
            readers: RefCell::new(HashMap::new()),
            train_at: Some(TRAINING_SAMPLES as i64),
            samples: TRAINING_SAMPLES,
        };
        bodies.use_newest(connection)?;
        Ok(bodies)
    }

    /// Trains on `samples` bodies once the store holds that many (tests use a few).
    #[cfg(test)]
    pub(super) fn train_after(&mut self, samples: usize) {
        self.samples = samples;
        if self.train_at.is_some() {
            self.train_at = Some(samples as i64);
        }
    }

    /// Writes new bodies with the newest dictionary in the store, when there is one. `false` when
    /// there is none.
    fn use_newest(&mut self, connection: &Connection) -> Result<bool> {
        let newest: Option<(u32, Vec<u8>)> = connection
            .query_row("select dict_id, dictionary from body_dictionaries order by rowid desc limit 1", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?;
        let Some((id, dictionary)) = newest else { return Ok(false) };
        if self.writer.as_ref().is_some_and(|(current, _)| *current == id) {
            return Ok(true);
        }
        self.writer = Some((id, zstd::bulk::Compressor::with_dictionary(LEVEL, &dictionary)?));
        self.train_at = None;
        Ok(true)
    }

    /// Forgets what a rolled-back transaction may have taught this codec (a dictionary trained in
    /// it), reading the store's newest dictionary again.
    pub(super) fn forget_uncommitted(&mut self, connection: &Connection) {
        self.writer = None;
        self.train_at = Some(self.samples as i64);
        if let Err(error) = self.use_newest(connection) {
            tracing::warn!(%error, "cannot read the store's body dictionaries; new bodies go without one");
        }
    }

    /// A body as the column takes it.
    pub(super) fn compress(&mut self, body: &str) -> Result<Vec<u8>> {
        let compressor = match &mut self.writer {
            Some((_, compressor)) => compressor,
            None => match &mut self.plain {
                Some(compressor) => compressor,
                plain => plain.insert(zstd::bulk::Compressor::new(LEVEL)?),
            },
        };
        Ok(compressor.compress(body.as_bytes())?)
    }

    /// A body column read back: any frame this or an earlier version wrote, loading the
    /// dictionary it names from `connection` the first time it is met.
    pub(super) fn decode(&self, connection: &Connection, raw: RawBody) -> Result<String> {
        let bytes = match raw {
            RawBody::Text(text) => return Ok(text),
            RawBody::Blob(bytes) if bytes.starts_with(&ZSTD_MAGIC) => self.decompress(connection, &bytes)?,
            RawBody::Blob(bytes) => lz4_flex::decompress_size_prepended(&bytes)
                .map_err(|error| Error::Internal(format!("a damaged LZ4 body: {error}")))?,
        };
        String::from_utf8(bytes).map_err(|error| Error::Internal(format!("a body that is not UTF-8: {error}")))
    }

    fn decompress(&self, connection: &Connection, frame: &[u8]) -> Result<Vec<u8>> {
        let size = zstd::zstd_safe::get_frame_content_size(frame)
            .ok()
            .flatten()
            .filter(|size| *size <= MAX_BODY_BYTES)
            .ok_or_else(|| Error::Internal("a body frame without a plausible size".into()))?;
        let id = zstd::zstd_safe::get_dict_id_from_frame(frame).map_or(0, |id| id.get());
        let mut readers = self.readers.borrow_mut();
        let reader = match readers.entry(id) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let decompressor = if id == 0 {
                    zstd::bulk::Decompressor::new()?
                } else {
                    let dictionary: Vec<u8> = connection
                        .query_row("select dictionary from body_dictionaries where dict_id = ?1", [id], |row| {
                            row.get(0)
                        })
                        .optional()?
                        .ok_or_else(|| {
                            Error::Internal(format!("a body compressed with dictionary {id}, which the store lacks"))
                        })?;
                    zstd::bulk::Decompressor::with_dictionary(&dictionary)?
                };
                entry.insert(decompressor)
            }
        };
        Ok(reader.decompress(frame, size as usize)?)
    }

    /// Trains the store's dictionary when it is due (the store holds enough articles and has
    /// none), inside the writer's `transaction`, and recompresses the bodies written before it
    /// when they are no more than twice the samples (a store trained as it fills; an older, larger
    /// store keeps its earlier bodies as they are and compresses new ones with the dictionary).
    pub(super) fn train_if_due(&mut self, transaction: &Connection) -> Result<()> {
        let Some(train_at) = self.train_at else { return Ok(()) };
        let newest: i64 =
            transaction.query_row("select coalesce(max(rowid), 0) from articles", [], |row| row.get(0))?;
        if newest < train_at {
            return Ok(());
        }
        // Another writer may have trained one since this connection looked.
        if self.use_newest(transaction)? {
            return Ok(());
        }
        let samples = self.newest_bodies(transaction)?;
        let total: usize = samples.iter().map(String::len).sum();
        let size = DICTIONARY_BYTES.min(total / SAMPLE_BYTES_PER_DICTIONARY_BYTE);
        let trained = zstd::dict::from_samples(&samples, size)
            .ok()
            .filter(|dictionary| zstd::zstd_safe::get_dict_id_from_dict(dictionary).is_some());
        let Some(dictionary) = trained else {
            // Too little to learn from (bodies of a few words): try again at twice the size.
            tracing::debug!(bodies = samples.len(), bytes = total, "no body dictionary trained yet");
            self.train_at = Some(newest.saturating_mul(2));
            return Ok(());
        };
        let id = zstd::zstd_safe::get_dict_id_from_dict(&dictionary).map_or(0, |id| id.get());
        transaction.execute(
            "insert into body_dictionaries (dict_id, dictionary, trained_at, samples) values (?1, ?2, ?3, ?4)
             on conflict (dict_id) do nothing",
            params![id, dictionary, super::now_rfc3339(), samples.len() as i64],
        )?;
        self.use_newest(transaction)?;
        tracing::info!(bodies = samples.len(), bytes = dictionary.len(), "trained the store's body dictionary");
        if newest <= 2 * self.samples as i64 {
            self.recompress(transaction)?;
        }
        Ok(())
    }

    /// The newest bodies to train on, at most [`SAMPLE_BYTES`] of them in all; a body larger than
    /// [`SAMPLE_BODY_BYTES`] (a document, not an article) or one that cannot be read (damaged) is
    /// no sample, and stops nothing.
    fn newest_bodies(&self, connection: &Connection) -> Result<Vec<String>> {
        let mut statement =
            connection.prepare("select body from articles where length(body) <= ?2 order by rowid desc limit ?1")?;
        let mut rows = statement.query(params![self.samples as i64, SAMPLE_BODY_BYTES as i64])?;
        let (mut samples, mut total) = (Vec::new(), 0);
        while let Some(row) = rows.next()? {
            let Ok(body) = self.decode(connection, row.get::<_, RawBody>(0)?) else { continue };
            if body.len() > SAMPLE_BODY_BYTES {
                continue;
            }
            total += body.len();
            samples.push(body);
            if total >= SAMPLE_BYTES {
                break;
            }
        }
        Ok(samples)
    }

    /// Rewrites every body with the current dictionary.
    fn recompress(&mut self, connection: &Connection) -> Result<()> {
        let rows: Vec<(i64, RawBody)> = connection
            .prepare("select rowid, body from articles")?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut update = connection.prepare("update articles set body = ?2 where rowid = ?1")?;
        for (rowid, raw) in rows {
            match self.decode(connection, raw) {
                Ok(body) => update.execute(params![rowid, self.compress(&body)?])?,
                // Left as it was: a damaged body stays as readable (or not) as before.
                Err(error) => {
                    tracing::warn!(rowid, %error, "a body that cannot be read is not recompressed");
                    continue;
                }
            };
        }
        Ok(())
    }

    /// The id of the dictionary new bodies are written with (0: none yet).
    #[cfg(test)]
    pub(super) fn dictionary(&self) -> u32 {
        self.writer.as_ref().map_or(0, |(id, _)| *id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Article, Entity, EntityKind};
    use crate::store::{Store, Upsert};

    /// A body of news-like sentences, different for every number.
    fn body(number: usize) -> String {
        const WORDS: [&str; 16] = [
            "bank",
            "rates",
            "inflation",
            "minister",
            "government",
            "market",
            "shares",
            "oil",
            "prices",
            "quarter",
            "company",
            "profit",
            "trade",
            "deficit",
            "dollar",
            "talks",
        ];
        (0..24)
            .map(|sentence| {
                let word = |k: usize| WORDS[(number * 7 + sentence * 3 + k * 5) % WORDS.len()];
                format!("The {} {} said the {} rose {} percent on day {number}.", word(0), word(1), word(2), sentence)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn frames(store: &Store) -> Vec<Vec<u8>> {
        let mut statement = store.connection().prepare("select body from articles order by rowid").unwrap();
        statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
    }

    fn dictionary_of(frame: &[u8]) -> u32 {
        zstd::zstd_safe::get_dict_id_from_frame(frame).map_or(0, |id| id.get())
    }

    #[test]
    fn a_dictionary_is_trained_once_enough_bodies_are_stored_and_every_body_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tidings.sqlite3");
        let mut writer = Store::open(&path).unwrap();
        writer.bodies.train_after(60);
        // A reader opened before any dictionary exists meets it first in a frame.
        let reader = Store::open(&path).unwrap();
        let articles: Vec<Article> = (0..100).map(|number| Article::for_test(number, &body(number))).collect();
        writer.upsert_articles(&articles[..50]).unwrap();
        assert_eq!(writer.bodies.dictionary(), 0, "50 bodies are too few to train on");
        assert!(frames(&writer).iter().all(|frame| dictionary_of(frame) == 0));
        let plain: usize = frames(&writer).iter().map(Vec::len).sum();

        writer.upsert_articles(&articles[50..]).unwrap();
        let id = writer.bodies.dictionary();
        assert_ne!(id, 0, "trained at 60 bodies");
        let stored = frames(&writer);
        assert!(stored.iter().all(|frame| dictionary_of(frame) == id), "the first bodies were recompressed");
        let with_dictionary: usize = stored[..50].iter().map(Vec::len).sum();
        assert!(with_dictionary * 10 < plain * 8, "{with_dictionary} bytes with the dictionary, {plain} without");

        for store in [&writer, &reader] {
            for article in &articles {
                let read = store.get_article(&article.id()).unwrap().expect("stored");
                assert_eq!(read.article.body, article.body);
            }
        }
        // A new connection writes with the stored dictionary.
        drop(writer);
        let mut reopened = Store::open(&path).unwrap();
        assert_eq!(reopened.bodies.dictionary(), id);
        let late = Article::for_test(1000, &body(1000));
        reopened.upsert_articles(std::slice::from_ref(&late)).unwrap();
        assert_eq!(dictionary_of(frames(&reopened).last().unwrap()), id);
        assert_eq!(reader.get_article(&late.id()).unwrap().unwrap().article.body, late.body);
    }

    #[test]
    fn a_dictionary_trained_in_a_transaction_that_rolls_back_is_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("tidings.sqlite3")).unwrap();
        store.bodies.train_after(1_000);
        let articles: Vec<Article> = (0..80).map(|number| Article::for_test(number, &body(number))).collect();
        store.upsert_articles(&articles).unwrap();
        // One body damaged on disk: it is neither a sample nor recompressed, and stops nothing.
        store.connection.execute("update articles set body = x'28b52ffd010203' where rowid = 5", []).unwrap();
        store.bodies.train_after(60);
        let transaction = store.connection.transaction().unwrap();
        store.bodies.train_if_due(&transaction).unwrap();
        assert_ne!(store.bodies.dictionary(), 0);
        drop(transaction);
        store.bodies.forget_uncommitted(&store.connection);
        assert_eq!(store.bodies.dictionary(), 0, "the dictionary went with the transaction");
        store.upsert_articles(&[Article::for_test(80, &body(80))]).unwrap();
        let id = store.bodies.dictionary();
        assert_ne!(id, 0, "trained again, and kept this time");
        for (number, article) in articles.iter().enumerate().filter(|(number, _)| *number != 4) {
            let read = store.get_article(&article.id()).unwrap().expect("stored");
            assert_eq!(read.article.body, article.body, "article {number}");
        }
        assert!(store.get_article(&articles[4].id()).is_err(), "the damaged body is an error, as before");
    }

    #[test]
    fn a_body_larger_than_an_article_is_no_sample() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("tidings.sqlite3")).unwrap();
        store.bodies.train_after(1_000);
        let mut articles: Vec<Article> = (0..60).map(|number| Article::for_test(number, &body(number))).collect();
        // Incompressible, so that its stored size passes the bound too.
        let document: String =
            (0..400_000u64).map(|n| char::from(b'a' + (n.wrapping_mul(0x9e37_79b9) >> 7) as u8 % 26)).collect();
        articles.push(Article::for_test(60, &document));
        store.upsert_articles(&articles).unwrap();
        let samples = store.bodies.newest_bodies(&store.connection).unwrap();
        assert_eq!(samples.len(), 60, "the document is left out");
        assert!(samples.iter().all(|sample| sample.len() <= SAMPLE_BODY_BYTES));
        assert_eq!(store.get_article(&articles[60].id()).unwrap().unwrap().article.body, document);
    }

    #[test]
    fn bodies_written_by_earlier_versions_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("tidings.sqlite3")).unwrap();
        let text = "The central bank raised rates. ".repeat(40) + "Ünïcode ends it.";
        let zstd = zstd::bulk::compress(text.as_bytes(), 3).unwrap();
        let lz4 = lz4_flex::compress_prepend_size(text.as_bytes());
        assert!(zstd.len() < text.len() / 4, "{} bytes for {}", zstd.len(), text.len());
        for raw in [RawBody::Text(text.clone()), RawBody::Blob(zstd), RawBody::Blob(lz4)] {
            assert_eq!(store.decode_body(raw).unwrap(), text);
        }
        let damaged = RawBody::Blob(vec![0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3]);
        assert!(store.decode_body(damaged).is_err(), "a damaged frame is an error, not a panic");
    }

    #[test]
    fn an_article_twice_in_one_batch_is_written_as_in_two() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("tidings.sqlite3")).unwrap();
        let mut first = Article::for_test(1, &body(1));
        first.entities = vec![Entity::new(EntityKind::Place, "Tokyo")];
        let mut changed = Article::for_test(1, &body(2));
        changed.entities = vec![Entity::new(EntityKind::Place, "Osaka")];
        let outcomes = store.upsert_articles(&[first.clone(), first.clone(), changed.clone()]).unwrap();
        assert_eq!(outcomes, [Upsert::New, Upsert::Unchanged, Upsert::Updated]);
        assert_eq!(store.count_articles().unwrap(), 1);
        let read = store.get_article(&first.id()).unwrap().unwrap();
        assert_eq!((read.article.body, read.seq), (changed.body, 2), "the last copy, one sequence each change");
        assert!(store.entity_surfaces(EntityKind::Place, "Tokyo").unwrap().is_empty());
        assert_eq!(store.entity_surfaces(EntityKind::Place, "Osaka").unwrap(), ["Osaka"]);
        let counted: i64 =
            store.connection().query_row("select sum(articles) from entity_surfaces", [], |row| row.get(0)).unwrap();
        assert_eq!(counted, 1);
    }

    #[test]
    fn entity_forms_are_counted_per_article_through_changes_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("tidings.sqlite3")).unwrap();
        let with = |number: usize, surfaces: &[&str]| {
            let mut article = Article::for_test(number, &body(number));
            let mut baker = Entity::new(EntityKind::Person, "James Baker");
            baker.surfaces = surfaces.iter().map(|surface| surface.to_string()).collect();
            article.entities = vec![baker, Entity::new(EntityKind::Place, "Tokyo")];
            article
        };
        let articles =
            [with(1, &["James Baker", "Baker"]), with(2, &["Baker"]), with(3, &["James Baker"]), with(4, &["Baker"])];
        store.upsert_articles(&articles).unwrap();
        let aliases = |store: &Store| store.entity_surfaces(EntityKind::Person, "james baker").unwrap();
        assert_eq!(aliases(&store), ["Baker", "James Baker"], "3 articles against 2, looked up without case");
        let read = store.get_article(&articles[0].id()).unwrap().unwrap();
        assert_eq!(
            read.article.entities.iter().map(|e| e.surfaces.clone()).collect::<Vec<_>>(),
            [vec!["James Baker".to_string(), "Baker".into()], vec!["Tokyo".into()]]
        );
        // Two articles change their forms, one goes.
        store.upsert_articles(&[with(2, &["James Baker"]), with(4, &["James A. Baker"])]).unwrap();
        assert!(store.delete_article(&articles[0].id()).unwrap());
        assert_eq!(aliases(&store), ["James Baker", "James A. Baker"]);
        let counted: i64 = store
            .connection()
            .query_row("select sum(articles) from entity_surfaces where kind = 'place'", [], |row| row.get(0))
            .unwrap();
        assert_eq!(counted, 3, "Tokyo in the three articles left");
    }
}
