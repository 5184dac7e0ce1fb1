//! `tidings eval extraction`: main-text extraction scored the way the Scrapinghub/Zyte
//! article-extraction-benchmark scores it, for tidings and the candidate crates side by side.
//!
//! Scoring: tokens are the `\w+` runs of a text, compared as multisets of 4-token shingles. Per page
//! tp, fp and fn are normalised to sum to 1; precision and recall are their means over pages (a page
//! with neither predicted nor true shingles counts 1, a page with nothing predicted counts 0); F1 is
//! the harmonic mean of those two means.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// One benchmark page: its id, markup, address and the hand-made article body.
pub struct Page {
    pub id: String,
    pub html: String,
    pub url: String,
    pub truth: String,
}

/// Reads `ground-truth.json` and `html/<id>.html.gz` from the benchmark folder.
pub fn read_benchmark(dir: &Path) -> Result<Vec<Page>> {
    let truth_path = dir.join("ground-truth.json");
    let truth: HashMap<String, serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(&truth_path)
            .map_err(|error| Error::Config(format!("cannot read {}: {error}", truth_path.display())))?,
    )
    .map_err(|error| Error::Config(format!("{}: {error}", truth_path.display())))?;
    let mut ids: Vec<&String> = truth.keys().collect();
    ids.sort();
    let mut pages = Vec::with_capacity(ids.len());
    for id in ids {
        let path = dir.join("html").join(format!("{id}.html.gz"));
        let mut html = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&path)?)
            .read_to_string(&mut html)
            .map_err(|error| Error::Config(format!("{}: {error}", path.display())))?;
        let entry = &truth[id];
        pages.push(Page {
            id: id.clone(),
            html,
            url: entry["url"].as_str().unwrap_or_default().to_string(),
            truth: entry["articleBody"].as_str().unwrap_or_default().to_string(),
        });
    }
    Ok(pages)
}

fn shingles(text: &str) -> HashMap<Vec<&str>, usize> {
    let tokens = crate::model::shingles::words(text);
    let mut counts = HashMap::new();
    for window in tokens.windows(4) {
        *counts.entry(window.to_vec()).or_insert(0) += 1;
    }
    counts
}

/// Precision and recall of one page.
pub fn page_scores(truth: &str, predicted: &str) -> (f64, f64) {
    let truth = shingles(truth);
    let predicted = shingles(predicted);
    let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
    for (shingle, &count) in &truth {
        let found = predicted.get(shingle).copied().unwrap_or(0);
        tp += count.min(found) as f64;
        fn_ += count.saturating_sub(found) as f64;
    }
    for (shingle, &count) in &predicted {
        fp += count.saturating_sub(truth.get(shingle).copied().unwrap_or(0)) as f64;
    }
    let total = tp + fp + fn_;
    if total > 0.0 {
        (tp, fp, fn_) = (tp / total, fp / total, fn_ / total);
    }
    // A page with no errors at all (nothing to find, nothing found) counts 1; nothing found counts 0.
    let share = |missed: f64| {
        if fp == 0.0 && fn_ == 0.0 {
            1.0
        } else if tp + missed == 0.0 {
            0.0
        } else {
            tp / (tp + missed)
        }
    };
    (share(fp), share(fn_))
}

/// The figures of one system over all pages.
#[derive(Debug, Clone)]
pub struct Scores {
    pub precision: f64,
    pub recall: f64,
    pub elapsed: Duration,
    pub pages: usize,
    /// The pages with the lowest F1, worst first: (f1, id).
    pub worst: Vec<(f64, String)>,
}

impl Scores {
    pub fn f1(&self) -> f64 {
        if self.precision + self.recall == 0.0 {
            0.0
        } else {
            2.0 * self.precision * self.recall / (self.precision + self.recall)
        }
    }

    pub fn figures(&self) -> String {
        format!("f1={:.4} precision={:.4} recall={:.4}", self.f1(), self.precision, self.recall)
    }
}

/// Scores an extractor (page markup and address → text) over the pages.
pub fn score(pages: &[Page], extract: impl Fn(&str, &str) -> String) -> Scores {
    let started = Instant::now();
    let (mut precision, mut recall) = (0.0, 0.0);
    let mut per_page = Vec::with_capacity(pages.len());
    for page in pages {
        let (p, r) = page_scores(&page.truth, &extract(&page.html, &page.url));
        precision += p;
        recall += r;
        let f1 = if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) };
        per_page.push((f1, page.id.clone()));
    }
    let elapsed = started.elapsed();
    per_page.sort_by(|a, b| a.0.total_cmp(&b.0));
    per_page.truncate(5);
    let count = pages.len().max(1) as f64;
    Scores { precision: precision / count, recall: recall / count, elapsed, pages: pages.len(), worst: per_page }
}

/// dom_smoothie (a Readability.js port), in its default configuration.
pub fn dom_smoothie_text(html: &str, url: &str) -> String {
    let url = Some(url).filter(|url| url.starts_with("http"));
    dom_smoothie::Readability::new(html, url, None)
        .ok()
        .and_then(|mut readability| readability.parse().ok())
        .map(|article| article.text_content.to_string())
        .unwrap_or_default()
}

/// rs-trafilatura as it comes.
pub fn rs_trafilatura_text(html: &str, url: &str) -> String {
    let options = rs_trafilatura::Options { url: Some(url.to_string()), ..rs_trafilatura::Options::default() };
    rs_trafilatura::extract_with_options(html, &options).map(|result| result.content_text).unwrap_or_default()
}

/// An extractor under test: page markup and address → article text.
type Extractor = fn(&str, &str) -> String;

/// Runs the evaluation and prints one line per system, tidings' own last.
pub fn eval_command(dir: &Path) -> Result<()> {
    let pages = read_benchmark(dir)?;
    if pages.is_empty() {
        return Err(Error::Config(format!("no pages in {}", dir.display())));
    }
    eprintln!("eval extraction: {} pages from {}", pages.len(), dir.display());
    let line = |name: &str, scores: &Scores| {
        let per_page = scores.elapsed.as_secs_f64() * 1000.0 / scores.pages as f64;
        let worst: Vec<String> =
            scores.worst.iter().map(|(f1, id)| format!("{}:{f1:.2}", id.get(..8).unwrap_or(id))).collect();
        eprintln!("  {name}: {per_page:.1} ms/page; worst pages {}", worst.join(" "));
    };
    let candidates: [(&str, Extractor); 2] =
        [("rs-trafilatura", rs_trafilatura_text), ("dom_smoothie", dom_smoothie_text)];
    for (name, extractor) in candidates {
        let scores = score(&pages, extractor);
        line(name, &scores);
        println!("system={name} {} ms_per_page={:.1}", scores.figures(), per_page_ms(&scores));
    }
    let ours = score(&pages, |html, url| crate::ingest::page::main_text(html, Some(url)));
    line("tidings", &ours);
    println!("{} ms_per_page={:.1}", ours.figures(), per_page_ms(&ours));
    Ok(())
}

fn per_page_ms(scores: &Scores) -> f64 {
    scores.elapsed.as_secs_f64() * 1000.0 / scores.pages.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoring_follows_the_benchmark() {
        let truth = "one two three four five six";
        assert_eq!(page_scores(truth, truth), (1.0, 1.0));
        assert_eq!(page_scores(truth, ""), (0.0, 0.0));
        assert_eq!(page_scores("", ""), (1.0, 1.0), "nothing to find and nothing found counts 1");
        // Three true shingles; the prediction has two of them and two extra.
        let (precision, recall) = page_scores(truth, "two three four five six seven eight");
        assert!((precision - 0.5).abs() < 1e-9, "{precision}");
        assert!((recall - 2.0 / 3.0).abs() < 1e-9, "{recall}");
    }
}
