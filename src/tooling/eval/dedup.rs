//! `tidings eval dedup`: near-duplicate clustering measured on Reuters-21578 and BBC News.
//!
//! For each collection: the pairs the MinHash/LSH detector joins at the threshold (exact copies and
//! near copies), recall on the exact duplicate bodies (every such pair must be joined), and
//! precision on the near (not byte-identical) pairs that were labelled by reading them
//! (`eval/dedup-labels.tsv`: collection, id, id, `same` or `different`). `--sample FILE` writes the
//! unlabelled near pairs found, with both texts' openings, for labelling.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::model::signature::{jaccard, Signature, THRESHOLD};

/// One document of a collection: its id in the collection and its body.
struct Doc {
    id: String,
    title: String,
    body: String,
}

fn reuters(dir: &Path) -> Result<Vec<Doc>> {
    let mut docs = Vec::new();
    for path in crate::ingest::expand_paths(&[dir.to_path_buf()])? {
        let text = crate::ingest::decode_text(std::fs::read(&path)?);
        for record in crate::ingest::reuters::parse(&path.display().to_string(), &text) {
            if let Ok(article) = record.result {
                let id = article.source_key.trim_start_matches("reuters:").to_string();
                docs.push(Doc { id, title: article.title, body: article.body });
            }
        }
    }
    Ok(docs)
}

fn bbc(dir: &Path) -> Result<Vec<Doc>> {
    let mut docs = Vec::new();
    let root = dir.join("bbc");
    let mut categories: Vec<_> = std::fs::read_dir(&root)?.filter_map(|entry| entry.ok()).map(|e| e.path()).collect();
    categories.sort();
    for category in categories.into_iter().filter(|path| path.is_dir()) {
        let mut files: Vec<_> =
            std::fs::read_dir(&category)?.filter_map(|entry| entry.ok()).map(|e| e.path()).collect();
        files.sort();
        for file in files {
            let text = crate::ingest::decode_text(std::fs::read(&file)?);
            let (title, body) = text.split_once('\n').unwrap_or((&text, ""));
            let name = format!(
                "{}/{}",
                category.file_name().unwrap_or_default().to_string_lossy(),
                file.file_stem().unwrap_or_default().to_string_lossy()
            );
            docs.push(Doc { id: name, title: title.trim().to_string(), body: body.trim().to_string() });
        }
    }
    Ok(docs)
}

/// The pairs joined at the threshold: (similarity estimate, index, index), index order.
fn joined_pairs(docs: &[Doc]) -> Vec<(f64, usize, usize)> {
    let signatures: Vec<Option<Signature>> = docs.iter().map(|doc| Signature::of(&doc.body)).collect();
    let mut buckets: HashMap<(usize, i64), Vec<usize>> = HashMap::new();
    for (index, signature) in signatures.iter().enumerate() {
        if let Some(signature) = signature {
            for (band, key) in signature.band_keys().into_iter().enumerate() {
                buckets.entry((band, key)).or_default().push(index);
            }
        }
    }
    let mut seen = HashSet::new();
    let mut pairs = Vec::new();
    for members in buckets.values() {
        for (position, &a) in members.iter().enumerate() {
            for &b in &members[position + 1..] {
                if !seen.insert((a, b)) {
                    continue;
                }
                let (Some(x), Some(y)) = (&signatures[a], &signatures[b]) else { continue };
                let similarity = x.similarity(y);
                if similarity >= THRESHOLD {
                    pairs.push((similarity, a, b));
                }
            }
        }
    }
    pairs.sort_by_key(|pair| (pair.1, pair.2));
    pairs
}

fn normalised(body: &str) -> String {
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Labels: (collection, id, id) → same story?
fn read_labels(path: &Path) -> Result<HashMap<(String, String, String), bool>> {
    let mut labels = HashMap::new();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(labels),
        Err(error) => return Err(error.into()),
    };
    for (number, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [collection, a, b, label, ..] = fields[..] else {
            return Err(Error::Config(format!("{}:{}: expected 4 tab-separated fields", path.display(), number + 1)));
        };
        let same = match label {
            "same" => true,
            "different" => false,
            other => {
                return Err(Error::Config(format!(
                    "{}:{}: label {other:?} is not same|different",
                    path.display(),
                    number + 1
                )))
            }
        };
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        labels.insert((collection.to_string(), a.to_string(), b.to_string()), same);
    }
    Ok(labels)
}

/// Runs the evaluation: one line per collection, then the overall line last.
pub fn eval_command(reuters_dir: &Path, bbc_dir: &Path, labels_path: &Path, sample: Option<&Path>) -> Result<()> {
    let labels = read_labels(labels_path)?;
    let mut sample_out = match sample {
        Some(path) => Some(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => None,
    };
    let (mut labelled_total, mut labelled_same) = (0usize, 0usize);
    for (collection, docs) in [("reuters", reuters(reuters_dir)?), ("bbc", bbc(bbc_dir)?)] {
        let pairs = joined_pairs(&docs);
        let joined: HashSet<(usize, usize)> = pairs.iter().map(|(_, a, b)| (*a, *b)).collect();
        let exact = exact_duplicates(&docs, &joined);
        let near: Vec<&(f64, usize, usize)> =
            pairs.iter().filter(|(_, a, b)| normalised(&docs[*a].body) != normalised(&docs[*b].body)).collect();
        let (total, same) = score_near_pairs(collection, &docs, &near, &labels, sample_out.as_mut())?;
        labelled_total += total;
        labelled_same += same;
        // Same-story pairs labelled at the lowest threshold ever labelled, and how many are joined now.
        let all_same: Vec<_> = labels.iter().filter(|((name, _, _), same)| name == collection && **same).collect();
        let index_of: HashMap<&str, usize> =
            docs.iter().enumerate().map(|(index, doc)| (doc.id.as_str(), index)).collect();
        let same_joined = all_same
            .iter()
            .filter(|((_, a, b), _)| match (index_of.get(a.as_str()), index_of.get(b.as_str())) {
                (Some(&x), Some(&y)) => joined.contains(&(x.min(y), x.max(y))),
                _ => false,
            })
            .count();
        let precision = if total == 0 { f64::NAN } else { same as f64 / total as f64 };
        println!(
            "collection={collection} docs={} repeated_texts={} exact_pairs={} exact_recall={:.4} \
             joined_pairs={} near_pairs={} labelled={total} near_precision={precision:.4} \
             labelled_same_joined={same_joined}/{}",
            docs.len(),
            exact.repeated_texts,
            exact.pairs,
            if exact.pairs == 0 { 1.0 } else { exact.joined as f64 / exact.pairs as f64 },
            pairs.len(),
            near.len(),
            all_same.len(),
        );
    }
    let precision = if labelled_total == 0 { f64::NAN } else { labelled_same as f64 / labelled_total as f64 };
    println!("threshold={THRESHOLD} labelled={labelled_total} near_precision={precision:.4}");
    Ok(())
}

/// Exact duplicate bodies (long enough to compare): how many texts repeat, the pairs of copies,
/// and how many of those pairs are joined.
struct ExactDuplicates {
    repeated_texts: usize,
    pairs: usize,
    joined: usize,
}

fn exact_duplicates(docs: &[Doc], joined: &HashSet<(usize, usize)>) -> ExactDuplicates {
    let mut by_body: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, doc) in docs.iter().enumerate() {
        if Signature::of(&doc.body).is_some() {
            by_body.entry(normalised(&doc.body)).or_default().push(index);
        }
    }
    let repeated: Vec<&Vec<usize>> = by_body.values().filter(|members| members.len() > 1).collect();
    let (mut pairs, mut joined_pairs) = (0usize, 0usize);
    for members in &repeated {
        for (position, &a) in members.iter().enumerate() {
            for &b in &members[position + 1..] {
                pairs += 1;
                joined_pairs += usize::from(joined.contains(&(a.min(b), a.max(b))));
            }
        }
    }
    let repeated_texts = repeated.iter().map(|members| members.len()).sum::<usize>() - repeated.len();
    ExactDuplicates { repeated_texts, pairs, joined: joined_pairs }
}

/// Of the near (not identical) pairs joined, how many are labelled and how many of those are the
/// same story; unlabelled pairs go to `sample` for labelling.
fn score_near_pairs(
    collection: &str,
    docs: &[Doc],
    near: &[&(f64, usize, usize)],
    labels: &HashMap<(String, String, String), bool>,
    mut sample: Option<&mut std::io::BufWriter<std::fs::File>>,
) -> Result<(usize, usize)> {
    let (mut total, mut same) = (0usize, 0usize);
    for (similarity, a, b) in near.iter().copied() {
        let (x, y) = (&docs[*a], &docs[*b]);
        let key = if x.id <= y.id { (x.id.clone(), y.id.clone()) } else { (y.id.clone(), x.id.clone()) };
        match labels.get(&(collection.to_string(), key.0.clone(), key.1.clone())) {
            Some(label) => {
                total += 1;
                same += usize::from(*label);
            }
            None => {
                if let Some(out) = sample.as_mut() {
                    let opening = |doc: &Doc| normalised(&doc.body).chars().take(400).collect::<String>();
                    writeln!(
                        out,
                        "{collection}\t{}\t{}\t?\t{similarity:.3}\t{:.3}\t{} | {}\t{} | {}",
                        key.0,
                        key.1,
                        jaccard(&x.body, &y.body),
                        x.title,
                        opening(x),
                        y.title,
                        opening(y)
                    )?;
                }
            }
        }
    }
    Ok((total, same))
}
