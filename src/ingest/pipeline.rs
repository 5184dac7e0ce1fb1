//! The one ingestion pipeline: records → tally → entities → store → counts → index, each run
//! recorded in the store's ledger. The command line, the write API and `watch` all go through an
//! [`Ingestor`], so every path counts, rejects and records the same way.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use indicatif::{ProgressBar, ProgressStyle};

use super::files::{expand_paths, read_batches};
use super::{ExtractPolicy, IngestOptions, IngestReport, Record};
use crate::config::Settings;
use crate::entities::{resolution, Aliases, EntityExtractor};
use crate::error::{Error, Result};
use crate::index::{SearchIndex, WriterBudget};
use crate::model::{entity_key, surname_of, week_of, Article, ArticleId, Entity, EntityKind, Lang};
use crate::store::Store;

/// Who brings the index up to date with what an [`Ingestor`] stores.
pub enum IndexHandOff {
    /// This process holds the index writer: each stored batch is handed to it at once (indexing
    /// overlaps the next batch's extraction) and [`Ingestor::commit`] makes it searchable.
    Writer(Arc<SearchIndex>),
    /// Another process, or this server's own background indexer, follows the store.
    Follower,
}

/// Ingests into one store: owns the store connection, the entity extractor, the alias table and
/// the hand-off to the index. The store is locked only to write: entities are extracted outside
/// the lock, so concurrent writers wait only for each other's upserts.
pub struct Ingestor {
    store: Mutex<Store>,
    extractor: Box<dyn EntityExtractor>,
    /// Swapped when the settings are reloaded: a batch reads one version.
    aliases: arc_swap::ArcSwap<Aliases>,
    index: IndexHandOff,
    /// Changes handed to the index writer since its last commit, and how many make a commit.
    uncommitted: AtomicUsize,
    commit_every: usize,
}

/// The articles one batch of records became, and the run's report.
pub struct Ingested {
    pub report: IngestReport,
    /// The ids of the articles written or found unchanged, in the order of the records.
    pub ids: Vec<ArticleId>,
}

impl Ingestor {
    pub fn new(
        store: Store,
        extractor: Box<dyn EntityExtractor>,
        aliases: Arc<Aliases>,
        index: IndexHandOff,
    ) -> Ingestor {
        Ingestor {
            store: Mutex::new(store),
            extractor,
            aliases: arc_swap::ArcSwap::new(aliases),
            index,
            uncommitted: AtomicUsize::new(0),
            commit_every: crate::config::Settings::default().ingest_commit_every,
        }
    }

    /// Opens the data directory's store with the default extractor and the settings' alias table
    /// (the shipped one extended by `aliases_file`), and takes the index writer with `budget` when
    /// no other process holds it (else a running server indexes what this stores). This process
    /// does not search the index it writes.
    pub fn open(settings: &Settings, budget: WriterBudget) -> Result<Ingestor> {
        let aliases = Arc::new(Aliases::load(settings.aliases_file.as_deref())?);
        let store = Store::open(&settings.store_path())?;
        let index = Arc::new(SearchIndex::open_for_writing(&settings.index_path())?);
        let hand_off = if index.acquire_writer(budget)? { IndexHandOff::Writer(index) } else { IndexHandOff::Follower };
        let mut ingestor = Ingestor::new(store, crate::entities::default_extractor(), aliases, hand_off);
        ingestor.commit_every = settings.ingest_commit_every.max(1);
        Ok(ingestor)
    }

    /// The store this ingestor writes (for what the pipeline does not cover: feed state, lookups).
    /// A writer that panicked leaves it as its last committed transaction did, so it is handed
    /// out even then.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// True when a running server (not this process) will index what is stored.
    pub fn indexed_elsewhere(&self) -> bool {
        matches!(self.index, IndexHandOff::Follower)
    }

    /// Ingests files and directories as one run of the ledger. Files are read in batches (JSON
    /// Lines streamed), each batch's articles stored while the next batch's entities are
    /// extracted and handed to the index writer as they are stored, so memory holds two batches
    /// whatever the size of a file or of the run.
    pub fn ingest_paths(&self, paths: &[PathBuf], options: &IngestOptions) -> Result<IngestReport> {
        let files = expand_paths(paths)?;
        let origins: Vec<String> = paths.iter().map(|path| path.display().to_string()).collect();
        let run_id = self.store().start_run(&origins)?;
        let mut report = IngestReport { files: files.len() as u64, ..IngestReport::default() };
        let progress = progress_bar(options.progress, &files);
        let mut stored_batch: Option<Extracted> = None;
        for path in &files {
            progress.set_message(path.file_name().map(|name| name.to_string_lossy().to_string()).unwrap_or_default());
            let batches = match read_batches(path, options) {
                Ok(batches) => batches,
                Err(error) => {
                    report.reject_file(format!("{}:0", path.display()), format!("cannot read file: {error}"));
                    continue;
                }
            };
            for batch in batches {
                report.bytes += batch.bytes;
                progress.inc(batch.bytes);
                let articles = report.tally(batch.records);
                // The previous batch's articles are stored while this batch's are extracted.
                let previous = stored_batch.replace(Extracted { articles, found: Vec::new() });
                let current = stored_batch.as_mut().expect("just stored");
                current.found =
                    self.store_while_extracting(previous, &mut current.articles, options.extract, &mut report)?;
            }
        }
        if let Some(mut batch) = stored_batch {
            self.store_batch(&mut self.store(), &mut batch, &mut report)?;
        }
        progress.finish_and_clear();
        self.store().finish_run(run_id, &report.counts, &report.ledger_rejections())?;
        Ok(report)
    }

    /// Ingests records read elsewhere (a write request's body, a feed poll) as one run of the
    /// ledger, named by `origin`; the extractor runs on records without entities, before the
    /// store is locked.
    pub fn ingest_records(&self, origin: &str, records: Vec<Record>) -> Result<Ingested> {
        let mut report = IngestReport::default();
        let mut articles = report.tally(records);
        let found = extract_entities(&mut articles, self.extractor.as_ref(), &self.aliases.load(), ExtractPolicy::Auto);
        let mut batch = Extracted { articles, found };
        let mut store = self.store();
        let run_id = store.start_run(&[origin.to_string()])?;
        self.store_batch(&mut store, &mut batch, &mut report)?;
        store.finish_run(run_id, &report.counts, &report.ledger_rejections())?;
        Ok(Ingested { report, ids: batch.articles.iter().map(Article::id).collect() })
    }

    /// Runs extraction again over every stored article, `policy` saying on which as at ingest
    /// (auto: those whose records named no entities): the entities a record brought are kept,
    /// those an extractor found before are replaced by what this one finds, people are resolved
    /// across articles as at ingest, and what changes goes to the index. Articles written before
    /// the store recorded where entities came from (migration 6) count as bringing none. One run
    /// of the ledger, named `reindex --extract`; articles are read and written in batches, oldest
    /// change first, and the run ends at the last change it found when it started.
    pub fn reextract(&self, policy: ExtractPolicy) -> Result<IngestReport> {
        const BATCH: usize = 1_000;
        let run_id = self.store().start_run(&["reindex --extract".to_string()])?;
        let mut report = IngestReport::default();
        let last = self.store().max_seq()?;
        let mut after = 0;
        while after < last {
            let stored = self.store().articles_after(after, BATCH)?;
            let Some(newest) = stored.last() else { break };
            after = newest.seq;
            let mut read_at: Vec<i64> = Vec::with_capacity(stored.len());
            let (mut articles, before): (Vec<Article>, Vec<Vec<Entity>>) = stored
                .into_iter()
                .filter(|stored| stored.seq <= last)
                .map(|stored| {
                    read_at.push(stored.seq);
                    let mut article = stored.article;
                    let before = article.entities.clone();
                    article.entities.retain(|entity| entity.brought);
                    (article, before)
                })
                .unzip();
            report.counts.read += articles.len() as u64;
            let found = extract_entities(&mut articles, self.extractor.as_ref(), &self.aliases.load(), policy);
            let mut batch = Extracted { articles, found };
            let mut store = self.store();
            let hashes = resolve_people(&store, &mut batch)?;
            // Only articles whose entities changed are written (and take a new sequence number).
            let mut changed: (Vec<Article>, Vec<String>, Vec<i64>) = (Vec::new(), Vec::new(), Vec::new());
            for (((article, hash), before), seq) in batch.articles.into_iter().zip(hashes).zip(&before).zip(&read_at) {
                if same_entities(&article.entities, before) {
                    report.counts.unchanged += 1;
                } else {
                    changed.0.push(article);
                    changed.1.push(hash);
                    changed.2.push(*seq);
                }
            }
            report.count_outcomes(store.rewrite_articles_hashed(&changed.0, &changed.1, &changed.2)?);
            self.hand_to_index(&store)?;
        }
        self.store().finish_run(run_id, &report.counts, &report.ledger_rejections())?;
        Ok(report)
    }

    /// Names entities through `aliases` from the next batch on (articles stored before keep
    /// their names until `reindex --extract`).
    pub fn set_aliases(&self, aliases: Arc<Aliases>) {
        self.aliases.store(aliases);
    }

    /// Deletes one article (a tombstone the index follows); `false` when there is none.
    pub fn delete(&self, id: &ArticleId) -> Result<bool> {
        self.store().delete_article(id)
    }

    /// Makes everything handed to the index writer searchable, with a last catch-up for what
    /// another process stored meanwhile. Nothing to do when the index is followed elsewhere.
    pub fn commit(&self) -> Result<()> {
        if let IndexHandOff::Writer(index) = &self.index {
            index.catch_up(&self.store())?;
            self.uncommitted.store(0, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Commits and releases the index writer (waiting for its merges).
    pub fn finish(self) -> Result<()> {
        self.commit()?;
        if let IndexHandOff::Writer(index) = &self.index {
            index.release_writer()?;
        }
        Ok(())
    }

    /// Stores `previous` (when there is one) and hands it to the index writer on another thread
    /// while the entities of `current` are extracted; returns the people found in `current`.
    fn store_while_extracting(
        &self,
        previous: Option<Extracted>,
        current: &mut [Article],
        policy: ExtractPolicy,
        report: &mut IngestReport,
    ) -> Result<Vec<Vec<String>>> {
        let Some(mut batch) = previous else {
            return Ok(extract_entities(current, self.extractor.as_ref(), &self.aliases.load(), policy));
        };
        let mut store = self.store();
        let (outcomes, found) = std::thread::scope(|scope| {
            let store = &mut *store;
            // The stored batch goes on to the index writer on the same thread, so reading it
            // back and building its documents overlap the extraction too.
            let storing = scope.spawn(move || {
                let hashes = resolve_people(store, &mut batch)?;
                let outcomes = store.upsert_articles_hashed(&batch.articles, &hashes)?;
                self.hand_to_index(store)?;
                Ok::<_, Error>(outcomes)
            });
            let found = extract_entities(current, self.extractor.as_ref(), &self.aliases.load(), policy);
            let outcomes = storing.join().map_err(|_| Error::Internal("the store writer panicked".into()))??;
            Ok::<_, Error>((outcomes, found))
        })?;
        report.count_outcomes(outcomes);
        Ok(found)
    }

    fn store_batch(&self, store: &mut Store, batch: &mut Extracted, report: &mut IngestReport) -> Result<()> {
        let hashes = resolve_people(store, batch)?;
        report.count_outcomes(store.upsert_articles_hashed(&batch.articles, &hashes)?);
        self.hand_to_index(store)
    }

    fn hand_to_index(&self, store: &Store) -> Result<()> {
        if let IndexHandOff::Writer(index) = &self.index {
            let handed = index.add_changes(store)?;
            if self.uncommitted.fetch_add(handed, Ordering::Relaxed) + handed >= self.commit_every {
                index.commit_changes()?;
                self.uncommitted.store(0, Ordering::Relaxed);
            }
        }
        Ok(())
    }
}

/// Ingests files into a data directory and makes them searchable: indexed here when no server
/// holds the index, else left to the server, which follows the store.
pub fn ingest_and_index(settings: &Settings, paths: &[PathBuf], options: IngestOptions) -> Result<IngestReport> {
    let ingestor = Ingestor::open(settings, WriterBudget::Batch)?;
    let report = ingestor.ingest_paths(paths, &options)?;
    if ingestor.indexed_elsewhere() {
        eprintln!("a running server holds the index: it will index these changes within seconds");
    }
    ingestor.finish()?;
    Ok(report)
}

/// Whether two lists name the same entities, each with the same forms, mentions and origin, in
/// any order.
fn same_entities(left: &[Entity], right: &[Entity]) -> bool {
    let sorted = |entities: &[Entity]| {
        let mut rows: Vec<(EntityKind, String, Vec<String>, u32, bool)> = entities
            .iter()
            .map(|entity| {
                let mut surfaces = entity.surfaces.clone();
                surfaces.sort();
                (entity.kind, entity.name.clone(), surfaces, entity.mentions, entity.brought)
            })
            .collect();
        rows.sort();
        rows
    };
    left.len() == right.len() && sorted(left) == sorted(right)
}

/// Runs extraction again over a data directory's stored articles (`Ingestor::reextract`) and
/// makes the changes searchable, as `ingest_and_index` does.
pub fn reextract_and_index(settings: &Settings, policy: ExtractPolicy) -> Result<IngestReport> {
    let ingestor = Ingestor::open(settings, WriterBudget::Batch)?;
    let report = ingestor.reextract(policy)?;
    if ingestor.indexed_elsewhere() {
        eprintln!("a running server holds the index: it will index these changes within seconds");
    }
    ingestor.finish()?;
    Ok(report)
}

/// Runs the extractor where the policy says, on English articles (or those whose language could
/// not be told), on all cores, and stores entities under their canonical names. Returns, per
/// article, the people the extractor found (not the record's own), which [`resolve_people`]
/// checks across articles.
pub fn extract_entities(
    articles: &mut [Article],
    extractor: &dyn EntityExtractor,
    aliases: &Aliases,
    policy: ExtractPolicy,
) -> Vec<Vec<String>> {
    let workers = std::thread::available_parallelism().map(|cores| cores.get()).unwrap_or(1).max(1);
    let chunk = articles.len().div_ceil(workers).max(1);
    let mut lone: Vec<Vec<String>> = vec![Vec::new(); articles.len()];
    std::thread::scope(|scope| {
        for (part, lone) in articles.chunks_mut(chunk).zip(lone.chunks_mut(chunk)) {
            scope.spawn(move || {
                for (article, lone) in part.iter_mut().zip(lone) {
                    // The record's own people, under the names the alias table gives them.
                    let brought: Vec<String> = article
                        .entities
                        .iter()
                        .filter(|entity| entity.kind == EntityKind::Person && entity.brought)
                        .map(|entity| entity_key(&aliases.resolve(EntityKind::Person, &entity.name)))
                        .collect();
                    let run_extractor = match policy {
                        ExtractPolicy::Auto => article.entities.is_empty(),
                        ExtractPolicy::Always => true,
                        ExtractPolicy::Never => false,
                    };
                    // The tagger and its rules are English: in another language (German capitalises
                    // every noun) they would find junk, so such an article keeps only the
                    // entities its record brings.
                    let english = matches!(article.lang.as_str(), "en" | Lang::UNDETERMINED);
                    if run_extractor && english {
                        // What a record says an extractor found (a dump's line) is found again.
                        article.entities.retain(|entity| entity.brought);
                        let found = extractor.extract(&article.title, &article.body);
                        article.entities.extend(found);
                    }
                    article.entities = aliases.canonicalise(std::mem::take(&mut article.entities));
                    if run_extractor && english {
                        *lone = article
                            .entities
                            .iter()
                            .filter(|entity| entity.kind == EntityKind::Person)
                            .filter(|entity| !brought.contains(&entity_key(&entity.name)))
                            // A name the alias table knows is as the table says.
                            .filter(|entity| aliases.canonical(EntityKind::Person, &entity.name).is_none())
                            .map(|entity| entity.name.clone())
                            .collect();
                    }
                }
            });
        }
    });
    lone
}

/// People of an article that the corpus calls organisations become organisations (merged with
/// one of the same name).
fn retype_as_organisations(entities: &mut Vec<crate::model::Entity>, names: &[String]) {
    let (moving, kept): (Vec<_>, Vec<_>) = std::mem::take(entities)
        .into_iter()
        .partition(|entity| entity.kind == EntityKind::Person && names.contains(&entity.name));
    *entities = kept;
    for entity in moving {
        let name = entity.name.clone();
        crate::entities::coreference::add_entity_as(entities, EntityKind::Org, name, entity);
    }
}

/// A batch of articles with the people the extractor found in each.
struct Extracted {
    articles: Vec<Article>,
    found: Vec<Vec<String>>,
}

/// Checks the people the extractor found against the corpus: a name the store's articles and
/// the batch's give as an organisation more often than as a person is one ("E.F. Hutton"), and
/// each lone surname resolves to the full name used for it in the weeks around the article (see
/// `entities::resolution`). Returns the articles' content hashes from before: what the corpus
/// changes does not make the same input a changed article.
fn resolve_people(store: &Store, batch: &mut Extracted) -> Result<Vec<String>> {
    let hashes: Vec<String> = batch.articles.iter().map(Article::content_hash).collect();
    if batch.found.iter().all(Vec::is_empty) {
        return Ok(hashes);
    }
    // Votes of the batch itself: articles naming each name (by key) as a person, as an organisation.
    let mut batch_votes: HashMap<String, (u64, u64)> = HashMap::new();
    for article in &batch.articles {
        for entity in &article.entities {
            let votes = batch_votes.entry(entity_key(&entity.name)).or_default();
            match entity.kind {
                EntityKind::Person => votes.0 += 1,
                EntityKind::Org => votes.1 += 1,
                EntityKind::Place => {}
            }
        }
    }
    // Organisations of the batch by the names of two words or more that open them ("Dean Witter"
    // opens "Dean Witter Reynolds"): a brokerage named after its founders is not a person.
    let mut batch_opened: HashMap<String, u64> = HashMap::new();
    for article in &batch.articles {
        let mut opened: Vec<String> = Vec::new();
        for entity in article.entities.iter().filter(|entity| entity.kind == EntityKind::Org) {
            let words: Vec<&str> = entity.name.split_whitespace().collect();
            for length in 2..words.len() {
                opened.push(entity_key(&words[..length].join(" ").replace(',', "")));
            }
        }
        opened.sort();
        opened.dedup();
        for key in opened {
            *batch_opened.entry(key).or_default() += 1;
        }
    }
    for (article, found) in batch.articles.iter_mut().zip(batch.found.iter_mut()) {
        let mut organisations = Vec::new();
        for name in found.iter() {
            let key = entity_key(name);
            let (mut person, mut organisation) = batch_votes.get(&key).copied().unwrap_or_default();
            person += store.entity_articles(EntityKind::Person, name)?;
            organisation += store.entity_articles(EntityKind::Org, name)?;
            // A full name only: a lone surname opening a company's name ("Baker" of "Baker
            // Hughes") is left to the resolution below.
            let mut opened = 0;
            if name.contains(' ') {
                opened += batch_opened.get(&key).copied().unwrap_or_default();
                opened += store.entity_articles_opened_by(EntityKind::Org, name)?;
                // "Donaldson Lufkin" opens "Donaldson, Lufkin and Jenrette".
                if let Some((first, rest)) = name.split_once(' ') {
                    opened += store.entity_articles_opened_by(EntityKind::Org, &format!("{first}, {rest}"))?;
                }
            }
            // Organisations the name opens count against it only by a wide margin: a person often
            // has a namesake institution.
            if organisation > person || opened > 2 * person {
                organisations.push(name.clone());
            }
        }
        if !organisations.is_empty() {
            retype_as_organisations(&mut article.entities, &organisations);
            found.retain(|name| !organisations.contains(name));
        }
    }
    let lone: Vec<Vec<String>> =
        batch.found.iter().map(|found| found.iter().filter(|name| !name.contains(' ')).cloned().collect()).collect();
    let now = chrono::Utc::now();
    let week = |article: &Article| week_of(&article.published_at.unwrap_or(now));
    // The batch's own people named in full, by surname, then by full name and week: articles.
    let mut in_batch: HashMap<String, HashMap<(String, i64), u64>> = HashMap::new();
    for article in &batch.articles {
        for entity in article.entities.iter().filter(|entity| entity.kind == EntityKind::Person) {
            if let Some(surname) = surname_of(&entity.name) {
                let named = in_batch.entry(surname.to_lowercase()).or_default();
                *named.entry((entity.name.clone(), week(article))).or_default() += 1;
            }
        }
    }
    // One decision per surname and week, whichever article asks.
    let mut decided: HashMap<(String, i64), resolution::Resolution> = HashMap::new();
    for (article, lone) in batch.articles.iter_mut().zip(&lone) {
        if lone.is_empty() {
            continue;
        }
        let here = week(article);
        let weeks = here - resolution::WEEKS_AROUND..=here + resolution::WEEKS_AROUND;
        let mut failed = None;
        resolution::apply(&mut article.entities, lone, |surname| {
            let key = (surname.to_lowercase(), here);
            if let Some(decision) = decided.get(&key) {
                return decision.clone();
            }
            let decision = match decide(store, surname, weeks.clone(), in_batch.get(&key.0), batch_votes.get(&key.0)) {
                Ok(decision) => decision,
                Err(error) => {
                    failed = Some(error);
                    resolution::Resolution::Ambiguous
                }
            };
            decided.insert(key, decision.clone());
            decision
        });
        if let Some(error) = failed {
            return Err(error);
        }
    }
    Ok(hashes)
}

/// What a lone surname is in the weeks `weeks`, from the store's full names, the batch's
/// (`in_batch`: by full name and week) and whether it is known as an organisation.
fn decide(
    store: &Store,
    surname: &str,
    weeks: std::ops::RangeInclusive<i64>,
    in_batch: Option<&HashMap<(String, i64), u64>>,
    batch_votes: Option<&(u64, u64)>,
) -> Result<resolution::Resolution> {
    let mut candidates = store.full_names_by_surname(surname, weeks.clone())?;
    if let Some(named) = in_batch {
        candidates.extend(
            named.iter().filter(|((_, at), _)| weeks.contains(at)).map(|((name, _), count)| (name.clone(), *count)),
        );
    }
    let decision = resolution::resolve(&candidates);
    if decision != resolution::Resolution::Unknown {
        return Ok(decision);
    }
    // No one nearby has it as a surname: a name the corpus also gives as an organisation is a
    // company the tagger took for a person; any other stays as it is written (a person known by
    // one name: Suharto).
    let organisation = batch_votes.map_or(0, |votes| votes.1) + store.entity_articles(EntityKind::Org, surname)?;
    Ok(if organisation > 0 { resolution::Resolution::Unknown } else { resolution::Resolution::AsWritten })
}

fn progress_bar(enabled: bool, files: &[PathBuf]) -> ProgressBar {
    use std::io::IsTerminal;
    if !enabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let total: u64 = files.iter().filter_map(|path| std::fs::metadata(path).ok()).map(|metadata| metadata.len()).sum();
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
