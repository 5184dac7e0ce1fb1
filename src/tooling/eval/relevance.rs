//! `tidings eval relevance`: ranking quality on the TIME (news, 1963) and Cranfield test
//! collections, with binary relevance: nDCG@10, MAP over the top 1,000 and recall@100.
//!
//! The documents go through the real pipeline (JSON lines → store → index) and the queries
//! through the engine, ORed (`match=any`), as a bag of words. Baselines run in the same command:
//! a plain-BM25 configuration of tidings (no stemming, no stop words, no title weight), one
//! configuration per ranking feature turned off or on (title weights, title and body scored
//! apart instead of together, recency, every word required), and — when the Python package is
//! installed — bm25s with English stemming and stop words. Each line is `system=NAME collection=… ndcg@10=… map=…
//! recall@100=…`; tidings' own line for a collection comes last and starts with `collection=`.
//!
//! Judgments: TIME.REL numbers documents by position (1 = the first of TIME.ALL) and every entry
//! is relevant, including the three that point past the last document (they count in the number
//! of relevant documents, so no system can reach them). Cranfield's query numbers are positions
//! in cran.qry; grades 1–4 are relevant and its −1 entries are ignored.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::RankingSettings;
use crate::config::Settings;
use crate::entities::Aliases;
use crate::error::{Error, Result};
use crate::index::SearchIndex;
use crate::ingest::{ExtractPolicy, IngestOptions};
use crate::search::request::SearchRequest;
use crate::search::tuning::Tuning;
use crate::search::Engine;

/// Ranks kept per query (MAP is computed over them).
const DEPTH: usize = 1_000;

/// A test collection: documents by position (1-based in the judgments), queries, and for each
/// query the positions judged relevant.
pub struct Collection {
    pub name: &'static str,
    docs: Vec<Doc>,
    queries: Vec<String>,
    relevant: Vec<HashSet<usize>>,
}

struct Doc {
    title: String,
    body: String,
    published: Option<String>,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|error| Error::Config(format!("cannot read {}: {error}", path.display())))
        .map(|text| text.replace("\r\n", "\n"))
}

/// TIME.ALL, TIME.QUE and TIME.REL.
pub fn load_time(dir: &Path) -> Result<Collection> {
    let mut docs = Vec::new();
    let mut current: Option<(Option<String>, Vec<String>)> = None;
    for line in read(&dir.join("TIME.ALL"))?.lines() {
        if let Some(header) = line.strip_prefix("*TEXT") {
            if let Some((published, lines)) = current.take() {
                docs.push(Doc { title: String::new(), body: lines.join("\n"), published });
            }
            current = Some((time_date(header), Vec::new()));
        } else if line.starts_with("*STOP") {
            break;
        } else if let Some((_, lines)) = current.as_mut() {
            if !line.trim().is_empty() {
                lines.push(line.trim().to_string());
            }
        }
    }
    if let Some((published, lines)) = current.take() {
        docs.push(Doc { title: String::new(), body: lines.join("\n"), published });
    }
    let queries = starred_blocks(&read(&dir.join("TIME.QUE"))?, "*FIND");
    let mut relevant = vec![HashSet::new(); queries.len()];
    for line in read(&dir.join("TIME.REL"))?.lines() {
        let numbers: Vec<usize> = line.split_whitespace().filter_map(|word| word.parse().ok()).collect();
        if let Some((&query, judged)) = numbers.split_first() {
            if let Some(set) = relevant.get_mut(query.wrapping_sub(1)) {
                set.extend(judged.iter().copied());
            }
        }
    }
    Ok(Collection { name: "time", docs, queries, relevant })
}

/// `*TEXT 017 01/04/63 PAGE 020` (spacing irregular, one date missing a slash) → 1963-01-04.
fn time_date(header: &str) -> Option<String> {
    let before_page = header.split("PAGE").next()?;
    let numbers: Vec<u32> = before_page
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .filter_map(|n| n.parse().ok())
        .collect();
    let [_, month, day, year] = numbers[..] else { return None };
    let date = chrono::NaiveDate::from_ymd_opt(1900 + year as i32, month, day)?;
    Some(format!("{date}T00:00:00Z"))
}

/// The texts following each `marker` line, in order.
fn starred_blocks(text: &str, marker: &str) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with(marker) {
            blocks.push(String::new());
            inside = true;
        } else if line.starts_with("*STOP") {
            break;
        } else if inside {
            if let Some(block) = blocks.last_mut() {
                block.push(' ');
                block.push_str(line.trim());
            }
        }
    }
    blocks.into_iter().map(|block| block.trim().to_string()).collect()
}

/// cran.all.1400, cran.qry and cranqrel.
pub fn load_cranfield(dir: &Path) -> Result<Collection> {
    let records = |text: &str| -> Vec<HashMap<char, String>> {
        let mut records: Vec<HashMap<char, String>> = Vec::new();
        let mut field = ' ';
        for line in text.lines() {
            if line.starts_with(".I") {
                records.push(HashMap::new());
                field = ' ';
            } else if let Some(tag) =
                line.strip_prefix('.').and_then(|rest| rest.chars().next()).filter(|_| line.trim().len() == 2)
            {
                field = tag;
            } else if let Some(record) = records.last_mut() {
                let value = record.entry(field).or_default();
                if !value.is_empty() {
                    value.push('\n');
                }
                value.push_str(line.trim_end());
            }
        }
        records
    };
    let docs = records(&read(&dir.join("cran.all.1400"))?)
        .into_iter()
        .map(|mut record| Doc {
            title: record.remove(&'T').unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" "),
            body: record.remove(&'W').unwrap_or_default(),
            published: None,
        })
        .collect();
    let queries: Vec<String> = records(&read(&dir.join("cran.qry"))?)
        .into_iter()
        .map(|mut record| record.remove(&'W').unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut relevant = vec![HashSet::new(); queries.len()];
    for line in read(&dir.join("cranqrel"))?.lines() {
        let numbers: Vec<i64> = line.split_whitespace().filter_map(|word| word.parse().ok()).collect();
        if let [query, doc, grade] = numbers[..] {
            if (1..=4).contains(&grade) {
                if let Some(set) = relevant.get_mut((query - 1) as usize) {
                    set.insert(doc as usize);
                }
            }
        }
    }
    Ok(Collection { name: "cranfield", docs, queries, relevant })
}

/// The figures of one system on one collection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub ndcg_at_10: f64,
    pub map: f64,
    pub recall_at_100: f64,
}

/// Scores rankings (document positions, best first) against the judgments, averaged over the
/// queries that have at least one relevant document.
pub fn score(rankings: &[Vec<usize>], relevant: &[HashSet<usize>]) -> Figures {
    let mut sums = (0.0, 0.0, 0.0);
    let mut counted = 0usize;
    for (ranking, relevant) in rankings.iter().zip(relevant) {
        if relevant.is_empty() {
            continue;
        }
        counted += 1;
        let total = relevant.len() as f64;
        let mut dcg = 0.0;
        let mut found = 0usize;
        let mut precision_sum = 0.0;
        let mut found_by_100 = 0usize;
        for (rank, doc) in ranking.iter().take(DEPTH).enumerate() {
            if relevant.contains(doc) {
                found += 1;
                precision_sum += found as f64 / (rank + 1) as f64;
                if rank < 10 {
                    dcg += 1.0 / ((rank + 2) as f64).log2();
                }
                if rank < 100 {
                    found_by_100 += 1;
                }
            }
        }
        let ideal: f64 = (0..relevant.len().min(10)).map(|rank| 1.0 / ((rank + 2) as f64).log2()).sum();
        sums.0 += dcg / ideal;
        sums.1 += precision_sum / total;
        sums.2 += found_by_100 as f64 / total;
    }
    let n = counted.max(1) as f64;
    Figures { ndcg_at_10: sums.0 / n, map: sums.1 / n, recall_at_100: sums.2 / n }
}

/// A query as a bag of words: lower-cased (so that AND, OR and NOT in the text are words), no
/// syntax characters.
fn bag_of_words(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The collection ingested into a data directory, every document tagged with `lang`.
fn build(collection: &Collection, dir: &Path, lang: &str) -> Result<(Arc<SearchIndex>, HashMap<String, usize>)> {
    let settings = Settings { data_dir: dir.to_path_buf(), ..Settings::default() };
    std::fs::create_dir_all(dir)?;
    let file = dir.join(format!("{}.jsonl", collection.name));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
    let mut positions = HashMap::new();
    for (index, doc) in collection.docs.iter().enumerate() {
        let id = format!("{}", index + 1);
        let mut record = serde_json::json!({
            "id": id, "title": doc.title, "body": doc.body, "source": collection.name, "lang": lang,
        });
        if let Some(published) = &doc.published {
            record["published_at"] = serde_json::Value::String(published.clone());
        }
        serde_json::to_writer(&mut out, &record).map_err(|error| Error::Internal(error.to_string()))?;
        out.write_all(b"\n")?;
        positions.insert(crate::model::article_id_for(&format!("id:{}:{id}", collection.name)), index + 1);
    }
    out.flush()?;
    drop(out);
    let options = IngestOptions { extract: ExtractPolicy::Never, ..IngestOptions::default() };
    let report = crate::ingest::ingest_and_index(&settings, &[file], options)?;
    if report.counts.rejected > 0 {
        // Cranfield's 471 and 995 are empty records: nothing to index, nothing to find.
        eprintln!("{}: {} empty documents not indexed", collection.name, report.counts.rejected);
    }
    Ok((Arc::new(SearchIndex::open(&settings.index_path())?), positions))
}

/// Rankings of every query by one engine configuration.
fn rank(
    engine: &Engine,
    collection: &Collection,
    positions: &HashMap<String, usize>,
    options: &RunOptions,
) -> Result<Vec<Vec<usize>>> {
    let mut rankings = Vec::with_capacity(collection.queries.len());
    for query in &collection.queries {
        let request = SearchRequest {
            q: bag_of_words(query),
            match_any: !options.all_words,
            freshness: Some(if options.recency { engine.ranking().freshness_weight } else { 0.0 }),
            ..SearchRequest::default()
        };
        let plan = engine.plan_export(&request)?;
        let mut ranking = Vec::new();
        engine.export_ids(&plan, DEPTH, |id| {
            if let Some(position) = positions.get(id.as_str()) {
                ranking.push(*position);
            }
            true
        })?;
        rankings.push(ranking);
    }
    Ok(rankings)
}

#[derive(Clone, Copy)]
struct RunOptions {
    all_words: bool,
    recency: bool,
}

/// The figures as a line.
fn line(system: Option<&str>, collection: &str, figures: Figures) -> String {
    let prefix = system.map(|name| format!("system={name} ")).unwrap_or_default();
    format!(
        "{prefix}collection={collection} ndcg@10={:.4} map={:.4} recall@100={:.4}",
        figures.ndcg_at_10, figures.map, figures.recall_at_100
    )
}

/// bm25s (PyPI) with English stemming and stop words, when Python has it: rankings by position.
fn bm25s(collection: &Collection, work: &Path) -> std::result::Result<Vec<Vec<usize>>, String> {
    let input = work.join(format!("{}-bm25s.json", collection.name));
    let texts: Vec<String> = collection.docs.iter().map(|doc| format!("{} {}", doc.title, doc.body)).collect();
    let payload = serde_json::json!({"docs": texts, "queries": collection.queries});
    std::fs::write(&input, payload.to_string()).map_err(|error| error.to_string())?;
    let script = r#"
import json, sys
import bm25s, Stemmer
data = json.load(open(sys.argv[1]))
stemmer = Stemmer.Stemmer("english")
retriever = bm25s.BM25()
retriever.index(bm25s.tokenize(data["docs"], stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
k = min(1000, len(data["docs"]))
out = []
for query in data["queries"]:
    tokens = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, show_progress=False)
    if not tokens.vocab:
        out.append([]); continue
    docs, scores = retriever.retrieve(tokens, k=k, show_progress=False)
    out.append([int(d) + 1 for d, s in zip(docs[0], scores[0]) if s > 0])
print(json.dumps(out))
"#;
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&input)
        .output()
        .map_err(|error| format!("python3 cannot run: {error}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr.lines().last().unwrap_or("failed").to_string();
        return Err(reason);
    }
    serde_json::from_slice(&output.stdout).map_err(|error| format!("unreadable output: {error}"))
}

/// Runs the evaluation on the chosen collections and prints one line per system and collection.
pub fn eval_command(time_dir: &Path, cranfield_dir: &Path, which: Option<&str>) -> Result<()> {
    let mut collections = Vec::new();
    match which {
        None => {
            collections.push(load_time(time_dir)?);
            collections.push(load_cranfield(cranfield_dir)?);
        }
        Some("time") => collections.push(load_time(time_dir)?),
        Some("cranfield") => collections.push(load_cranfield(cranfield_dir)?),
        Some(other) => return Err(Error::Config(format!("--collection must be time or cranfield, not {other:?}"))),
    }
    let work: PathBuf = crate::config::project_path(Path::new("target/eval-relevance"));
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    for collection in &collections {
        let judged: usize = collection.relevant.iter().map(HashSet::len).sum();
        eprintln!(
            "{}: {} documents, {} queries, {} relevant judgments",
            collection.name,
            collection.docs.len(),
            collection.queries.len(),
            judged
        );
        let (stemmed, positions) = build(collection, &work.join(format!("{}-en", collection.name)), "en")?;
        // The same documents tagged with a language tidings has no stemmer for: the unstemmed
        // (lower-cased, accent-folded) analysis.
        let (unstemmed, _) = build(collection, &work.join(format!("{}-plain", collection.name)), "zz")?;
        let defaults = RankingSettings::default();
        // Plain BM25: each field scored on its own and the scores added, title weight 1, stop words
        // kept (and no stemming: the unstemmed index).
        let plain = RankingSettings { title_boost: 1.0, drop_stop_words: false, combine_fields: false, ..defaults };
        let any = RunOptions { all_words: false, recency: false };
        // Each line differs from the one before it in one feature: plain → stemming → stop words
        // dropped → title and body scored together (BM25F) → title weights 1.5 and 2, then
        // tidings' own (3); fields scored apart, recency and all-words each change one thing of
        // tidings' configuration.
        let configurations: [(&str, &Arc<SearchIndex>, RankingSettings, RunOptions); 9] = [
            ("tidings-plain-bm25", &unstemmed, plain, any),
            ("tidings-stemming-title-weight-1", &stemmed, plain, any),
            ("tidings-stop-words-dropped", &stemmed, RankingSettings { drop_stop_words: true, ..plain }, any),
            ("tidings-title-weight-1", &stemmed, RankingSettings { title_boost: 1.0, ..defaults }, any),
            ("tidings-title-weight-1.5", &stemmed, RankingSettings { title_boost: 1.5, ..defaults }, any),
            ("tidings-title-weight-2", &stemmed, RankingSettings { title_boost: 2.0, ..defaults }, any),
            ("tidings-fields-scored-apart", &stemmed, RankingSettings { combine_fields: false, ..defaults }, any),
            ("tidings-recency-on", &stemmed, defaults, RunOptions { all_words: false, recency: true }),
            ("tidings-all-words", &stemmed, defaults, RunOptions { all_words: true, recency: false }),
        ];
        match bm25s(collection, &work) {
            Ok(rankings) => {
                println!("{}", line(Some("bm25s"), collection.name, score(&rankings, &collection.relevant)))
            }
            Err(reason) => {
                eprintln!("system=bm25s collection={} skipped: {reason} (pip install bm25s PyStemmer)", collection.name)
            }
        }
        for (name, index, ranking, options) in configurations {
            let engine = Engine::new(Arc::clone(index), &Tuning::with_ranking(ranking, Arc::new(Aliases::shipped())));
            let rankings = rank(&engine, collection, &positions, &options)?;
            println!("{}", line(Some(name), collection.name, score(&rankings, &collection.relevant)));
        }
        let engine = Engine::new(Arc::clone(&stemmed), &Tuning::with_ranking(defaults, Arc::new(Aliases::shipped())));
        let rankings = rank(&engine, collection, &positions, &any)?;
        println!("{}", line(None, collection.name, score(&rankings, &collection.relevant)));
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_follow_their_definitions() {
        let relevant = vec![HashSet::from([1, 3, 99])];
        // Relevant at ranks 1 and 3; the third relevant document is never retrieved.
        let figures = score(&[vec![1, 2, 3]], &relevant);
        assert!((figures.map - (1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-9);
        assert!((figures.recall_at_100 - 2.0 / 3.0).abs() < 1e-9);
        let ideal = 1.0 + 1.0 / 3f64.log2() + 0.5;
        assert!((figures.ndcg_at_10 - (1.0 + 0.5) / ideal).abs() < 1e-9);
        // A query without relevant documents is not averaged in.
        assert_eq!(score(&[vec![1], vec![1]], &[HashSet::from([1]), HashSet::new()]).map, 1.0);
    }

    #[test]
    fn time_headers_give_dates() {
        assert_eq!(time_date(" 017 01/04/63 PAGE 020").as_deref(), Some("1963-01-04T00:00:00Z"));
        assert_eq!(time_date(" 431 08/30 63 PAGE 026").as_deref(), Some("1963-08-30T00:00:00Z"));
        assert_eq!(bag_of_words("VIET NAM'S \"U.S .\" AND/OR"), "viet nam s u s and or");
    }
}
