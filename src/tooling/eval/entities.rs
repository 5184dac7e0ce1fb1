//! `tidings eval entities`: are the entity facets an analyst sees on real, untagged wire text
//! names of the kind they are filed under? The Reuters-21578 stories that have a title and a
//! body are ingested as JSON Lines with their PEOPLE, ORGS and PLACES tags withheld (the real
//! pipeline, the default extraction), and the top people, organisations and places by article
//! count are judged against Reuters' own vocabularies (`all-*-strings.lc.txt`) and a committed
//! list of reasoned judgments for the names those vocabularies lack.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::config::Settings;
use crate::entities::{Aliases, EntityExtractor, HeuristicExtractor};
use crate::error::{Error, Result};
use crate::index::SearchIndex;
use crate::ingest::pipeline::{extract_entities, ingest_and_index};
use crate::ingest::{ExtractPolicy, IngestOptions};
use crate::model::{entity_key, Article, EntityKind};
use crate::search::entities::EntityListRequest;
use crate::search::request::SearchRequest;
use crate::search::tuning::Tuning;
use crate::search::Engine;
use crate::store::Store;
use crate::tooling::ner::eval::PeopleRecall;

/// Names judged per kind; the contract line's purities are over the first [`SCORED`].
pub const JUDGED: usize = 100;
pub const SCORED: usize = 50;

/// What a name is, for the kind it is filed under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Named in Reuters' vocabulary for the kind, or judged right (the reason said).
    Right(String),
    Wrong(String),
    /// Neither in the vocabulary nor in the judgments: counted against purity until judged.
    Unjudged,
}

/// Reuters' vocabularies and the committed judgments.
pub struct Judge {
    vocabularies: HashMap<EntityKind, HashSet<String>>,
    judgments: HashMap<(EntityKind, String), (bool, String)>,
}

/// A vocabulary's form of a name: lower case, words joined by hyphens ("James Baker" →
/// `james-baker`).
fn slug(name: &str) -> String {
    name.split(|c: char| c.is_whitespace() || c == '-')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join("-")
        .to_lowercase()
}

impl Judge {
    /// Reads `all-people-strings.lc.txt`, `all-orgs-strings.lc.txt` and
    /// `all-places-strings.lc.txt` from `reuters`, and the judgments file: tab-separated
    /// `kind name yes|no reason`, `#` comments.
    pub fn load(reuters: &Path, judgments: &Path) -> Result<Judge> {
        let mut vocabularies = HashMap::new();
        for (kind, file) in [
            (EntityKind::Person, "all-people-strings.lc.txt"),
            (EntityKind::Org, "all-orgs-strings.lc.txt"),
            (EntityKind::Place, "all-places-strings.lc.txt"),
        ] {
            let path = reuters.join(file);
            let text = std::fs::read_to_string(&path)
                .map_err(|error| Error::Config(format!("cannot read {}: {error}", path.display())))?;
            vocabularies
                .insert(kind, text.lines().map(|line| line.trim().to_string()).filter(|l| !l.is_empty()).collect());
        }
        let text = std::fs::read_to_string(judgments)
            .map_err(|error| Error::Config(format!("cannot read {}: {error}", judgments.display())))?;
        let mut table = HashMap::new();
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let bad = |why: &str| Error::Config(format!("{}:{}: {why}", judgments.display(), number + 1));
            let [kind, name, verdict, reason] = fields[..] else {
                return Err(bad("expected four tab-separated fields: kind, name, yes|no, reason"));
            };
            let kind = EntityKind::parse(kind).ok_or_else(|| bad("kind is person, org or place"))?;
            let right = match verdict {
                "yes" => true,
                "no" => false,
                _ => return Err(bad("the verdict is yes or no")),
            };
            if reason.trim().is_empty() {
                return Err(bad("every judgment gives its reason"));
            }
            if table.insert((kind, entity_key(name)), (right, reason.trim().to_string())).is_some() {
                return Err(bad("judged twice"));
            }
        }
        Ok(Judge { vocabularies, judgments: table })
    }

    /// The judgments win over the vocabulary (they correct it where a slug is ambiguous); a
    /// person's vocabulary entry may be the surname alone (`reagan` for "Ronald Reagan").
    pub fn verdict(&self, kind: EntityKind, name: &str) -> Verdict {
        if let Some((right, reason)) = self.judgments.get(&(kind, entity_key(name))) {
            return if *right { Verdict::Right(reason.clone()) } else { Verdict::Wrong(reason.clone()) };
        }
        let vocabulary = &self.vocabularies[&kind];
        let slug = slug(name);
        if vocabulary.contains(&slug) {
            return Verdict::Right("Reuters vocabulary".into());
        }
        // A person's vocabulary entry may be the surname alone ("reagan"); a lone word that is
        // also an English word ("bond", "young", "wise") is no evidence for a full name.
        if kind == EntityKind::Person && slug.contains('-') {
            let surname = slug.rsplit('-').next().unwrap_or_default();
            if vocabulary.contains(surname) && !crate::entities::names::is_common_word(surname) {
                return Verdict::Right("Reuters vocabulary (surname)".into());
            }
        }
        Verdict::Unjudged
    }
}

/// One kind's top names and their verdicts.
struct Ranked {
    kind: EntityKind,
    names: Vec<(String, u64, Verdict)>,
}

impl Ranked {
    fn judge(kind: EntityKind, counts: Vec<(String, u64)>, judge: &Judge) -> Ranked {
        let names = counts.into_iter().map(|(name, count)| {
            let verdict = judge.verdict(kind, &name);
            (name, count, verdict)
        });
        Ranked { kind, names: names.collect() }
    }

    /// The share of the first `top` places judged right (a list shorter than `top` has the
    /// missing places wrong).
    fn purity(&self, top: usize) -> f64 {
        let shown = &self.names[..top.min(self.names.len())];
        let right = shown.iter().filter(|(_, _, verdict)| matches!(verdict, Verdict::Right(_))).count();
        right as f64 / top.max(1) as f64
    }
}

fn purity_line(prefix: &str, ranked: &[Ranked], top: usize) -> String {
    let purity = |kind| ranked.iter().find(|r| r.kind == kind).map(|r| r.purity(top)).unwrap_or(0.0);
    format!(
        "{prefix}people_purity={:.3} org_purity={:.3} place_purity={:.3}",
        purity(EntityKind::Person),
        purity(EntityKind::Org),
        purity(EntityKind::Place)
    )
}

/// The stories judged: Reuters-21578 stories with a title and a body, and the people Reuters
/// tagged on each (withheld from the extractor).
fn stories(reuters: &Path) -> Result<Vec<(Article, Vec<String>)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(reuters)
        .map_err(|error| Error::Config(format!("cannot read {}: {error}", reuters.display())))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("reut2-") && name.ends_with(".sgm"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Config(format!("no reut2-*.sgm files in {}", reuters.display())));
    }
    let mut stories = Vec::new();
    for path in files {
        let text = crate::ingest::decode_text(std::fs::read(&path)?);
        let records = crate::ingest::reuters::parse(&path.display().to_string(), &text);
        // Stories with a TITLE and a BODY (not the BRIEF ones, a title only, nor the UNPROC ones,
        // raw text), as the wire delivered them: the title, then the dateline and the body with
        // their line breaks, tables and sign-off, which the Reuters reader would tidy.
        let delivered: Vec<Option<(String, String)>> = text.split("<REUTERS").skip(1).map(delivered_text).collect();
        if delivered.len() != records.len() {
            return Err(Error::Config(format!("{}: stories the parser could not read", path.display())));
        }
        for (record, delivered) in records.into_iter().zip(delivered) {
            let Ok(mut article) = record.result else { continue };
            let Some((title, body)) = delivered else { continue };
            article.title = title;
            article.body = body;
            let people = article
                .entities
                .iter()
                .filter(|entity| entity.kind == EntityKind::Person)
                .map(|entity| entity.surfaces.first().cloned().unwrap_or_else(|| entity.name.clone()))
                .collect();
            article.entities.clear();
            stories.push((article, people));
        }
    }
    Ok(stories)
}

/// A story's title and its dateline and body as delivered, when it has both.
fn delivered_text(story: &str) -> Option<(String, String)> {
    let element = |tag: &str| -> Option<String> {
        let start = story.find(&format!("<{tag}>"))? + tag.len() + 2;
        let end = story[start..].find(&format!("</{tag}>"))? + start;
        Some(crate::ingest::reuters::decode(&story[start..end]))
    };
    let title = element("TITLE")?;
    let body = element("BODY")?;
    let dateline = element("DATELINE").unwrap_or_default();
    Some((title.trim().to_string(), format!("{}{body}", dateline.trim_start())))
}

/// Article counts per kind when `extractor` runs on each story alone (no store, no corpus).
fn counted_alone(
    extractor: &dyn EntityExtractor,
    stories: &[(Article, Vec<String>)],
) -> HashMap<EntityKind, Vec<(String, u64)>> {
    let mut articles: Vec<Article> = stories.iter().map(|(article, _)| article.clone()).collect();
    extract_entities(&mut articles, extractor, &Aliases::shipped(), ExtractPolicy::Always);
    let mut counts: HashMap<(EntityKind, String), u64> = HashMap::new();
    for article in &articles {
        let names: HashSet<(EntityKind, String)> =
            article.entities.iter().map(|entity| (entity.kind, entity.name.clone())).collect();
        for name in names {
            *counts.entry(name).or_default() += 1;
        }
    }
    let mut by_kind: HashMap<EntityKind, Vec<(String, u64)>> = HashMap::new();
    for ((kind, name), count) in counts {
        by_kind.entry(kind).or_default().push((name, count));
    }
    for names in by_kind.values_mut() {
        names.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        names.truncate(JUDGED);
    }
    by_kind
}

/// Prints `system=…` lines for the extractors compared, the run's detail lines, every name in
/// the top [`JUDGED`] judged wrong or not yet judged, the purities over the top [`JUDGED`], and
/// last the contract line `people_purity=… org_purity=… place_purity=…` over the top
/// [`SCORED`].
pub fn eval_command(reuters: &Path, judgments: &Path, seed: &Path) -> Result<()> {
    let judge = Judge::load(reuters, judgments)?;
    let stories = stories(reuters)?;

    let heuristic = counted_alone(&HeuristicExtractor, &stories);
    let heuristic: Vec<Ranked> = EntityKind::ALL
        .into_iter()
        .map(|kind| Ranked::judge(kind, heuristic.get(&kind).cloned().unwrap_or_default(), &judge))
        .collect();
    println!("{}", purity_line("system=heuristic ", &heuristic, SCORED));

    // The real pipeline: JSON Lines in a fresh data directory, the default extraction. The
    // directory is left for a look (`tidings --data-dir target/eval-entities/data serve`).
    let work = crate::config::project_path(Path::new("target/eval-entities"));
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let input = work.join("reuters-text-only.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&input)?);
    // Each story's id as the JSON Lines reader gives it, for reading its entities back.
    let mut ids = Vec::with_capacity(stories.len());
    for (article, _) in &stories {
        let line = serde_json::json!({
            "id": article.source_key.trim_start_matches("reuters:"),
            "source": article.source,
            "title": article.title,
            "body": article.body,
            "published_at": article.published_at.map(|at| at.to_rfc3339()),
        });
        let line = line.to_string();
        let parsed = crate::ingest::jsonl::parse("story", &line, "Reuters").pop().map(|record| record.result);
        let Some(Ok(parsed)) = parsed else {
            return Err(Error::Internal(format!("{}: the JSON line does not read back", article.source_key)));
        };
        ids.push(parsed.id());
        writeln!(file, "{line}")?;
    }
    file.flush()?;
    drop(file);
    let settings = Settings { data_dir: work.join("data"), ..Settings::default() };
    let started = Instant::now();
    let options = IngestOptions { progress: false, ..IngestOptions::from_settings(&settings) };
    let report = ingest_and_index(&settings, &[input], options)?;
    let seconds = started.elapsed().as_secs_f64();
    let stored = report.counts.new + report.counts.updated + report.counts.unchanged;
    println!(
        "stories={} stored={stored} ingest_seconds={seconds:.2} stories_per_second={:.0}",
        stories.len(),
        stories.len() as f64 / seconds.max(1e-9)
    );

    // Reuters people recall, the tags withheld, from what the store kept.
    let store = Store::open(&settings.store_path())?;
    let mut recall = PeopleRecall::default();
    for ((_, tags), id) in stories.iter().zip(&ids).filter(|((_, tags), _)| !tags.is_empty()) {
        let Some(kept) = store.get_article(id)? else {
            // Not stored: its tags are not found.
            recall.add(tags, &[]);
            continue;
        };
        let people: Vec<String> = kept
            .article
            .entities
            .iter()
            .filter(|entity| entity.kind == EntityKind::Person)
            .map(|entity| entity.name.clone())
            .collect();
        recall.add(tags, &people);
    }
    println!("{}", recall.line());

    let seed_text = std::fs::read_to_string(seed)
        .map_err(|error| Error::Config(format!("cannot read {}: {error}", seed.display())))?;
    let first = stories
        .first()
        .ok_or_else(|| Error::Config(format!("no story with a title and a body in {}", reuters.display())))?;
    let mut seed_article = vec![Article { body: seed_text, ..first.0.clone() }];
    seed_article[0].title.clear();
    extract_entities(
        &mut seed_article,
        crate::entities::default_extractor().as_ref(),
        &Aliases::shipped(),
        ExtractPolicy::Always,
    );
    let seed_people: Vec<String> = seed_article[0]
        .entities
        .iter()
        .filter(|entity| entity.kind == EntityKind::Person)
        .map(|entity| entity.name.clone())
        .collect();
    println!("seed_people={} names={}", seed_people.len(), seed_people.join("|"));

    let index = Arc::new(SearchIndex::open(&settings.index_path())?);
    let engine =
        Engine::new(index, &Tuning::new(&settings, Arc::new(Aliases::load(settings.aliases_file.as_deref())?)));
    let mut ranked = Vec::new();
    for kind in EntityKind::ALL {
        let request = EntityListRequest { kind, prefix: None, limit: JUDGED, search: SearchRequest::default() };
        let counts = engine.entities(&request)?.into_iter().map(|entity| (entity.name, entity.count)).collect();
        ranked.push(Ranked::judge(kind, counts, &judge));
    }
    let mut unjudged = 0;
    for kinds in &ranked {
        for (rank, (name, count, verdict)) in kinds.names.iter().enumerate() {
            let (word, why) = match verdict {
                Verdict::Right(_) => continue,
                Verdict::Wrong(reason) => ("wrong", reason.as_str()),
                Verdict::Unjudged => {
                    unjudged += 1;
                    ("unjudged", "")
                }
            };
            println!("{word} kind={} rank={} articles={count} name={name:?} why={why:?}", kinds.kind, rank + 1);
        }
    }
    println!(
        "{} top={JUDGED} unjudged={unjudged}",
        purity_line("", &ranked, JUDGED).replace("_purity=", "_purity_100=")
    );
    println!("{}", purity_line("", &ranked, SCORED));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_the_vocabularies_form() {
        assert_eq!(slug("James Baker"), "james-baker");
        assert_eq!(slug("  Karl-Otto  Poehl "), "karl-otto-poehl");
    }
}
