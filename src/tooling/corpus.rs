//! `tidings corpus`: a news archive of any size, generated deterministically from real text, for
//! measuring at scale. Bodies are real sentences of Reuters-21578 and BBC News recombined into
//! paragraphs (lengths drawn around 2.7 KB), titles are real headlines spliced, dates spread over
//! ten years, sources and entities (real names from CoNLL-2003) drawn with a Zipf-like skew, and a
//! share of articles are near-duplicates of a recent one (another source, a day or two later, a
//! sentence changed). The same arguments give the same bytes; a finished corpus is recorded in
//! `corpus.json` and reused when asked for again.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::project_path;
use crate::error::{Error, Result};
use crate::ingest::{decode_text, reuters};
use crate::tooling::random::Random;

/// Bumped whenever the generator's output for the same arguments changes.
const GENERATOR_VERSION: u32 = 1;
/// The share of articles that re-run a recent story.
const NEAR_DUPLICATE_SHARE: f64 = 0.04;
/// The share of articles that arrive without entities (the extractor runs on them).
const UNTAGGED_SHARE: f64 = 0.10;
/// Ten years of publication dates: 2015-01-01 … 2024-12-31.
const FIRST_DAY: i64 = 1_420_070_400;
const DAYS: i64 = 3_653;

#[derive(Debug, Clone, clap::Args)]
pub struct CorpusArgs {
    /// How many articles.
    #[arg(long)]
    pub articles: u64,
    /// The folder the JSON Lines files go to (created; an earlier corpus there is replaced unless
    /// it is the same one).
    #[arg(long)]
    pub out: PathBuf,
    /// How many files the articles are spread over.
    #[arg(long, default_value_t = 10)]
    pub files: usize,
    /// The seed: another seed, another corpus of the same kind.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub sources: CorpusSources,
}

/// Where the real text comes from.
#[derive(Debug, Clone, clap::Args)]
pub struct CorpusSources {
    #[arg(long = "corpus-reuters", default_value = "../shared/data/reuters21578")]
    pub reuters: PathBuf,
    #[arg(long = "corpus-bbc", default_value = "../shared/data/bbc-news/bbc")]
    pub bbc: PathBuf,
    #[arg(long = "corpus-conll", default_value = "../shared/data/ner/conll2003/train.txt")]
    pub conll: PathBuf,
}

/// A generated corpus on disk.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Corpus {
    pub version: u32,
    pub articles: u64,
    pub seed: u64,
    pub files: Vec<PathBuf>,
    pub bytes: u64,
    pub near_duplicates: u64,
}

/// `tidings corpus`.
pub fn command(args: &CorpusArgs) -> Result<()> {
    let corpus = generate(args)?;
    println!(
        "{} articles ({} near-duplicates) in {} files, {:.1} MB, in {}",
        corpus.articles,
        corpus.near_duplicates,
        corpus.files.len(),
        corpus.bytes as f64 / 1e6,
        project_path(&args.out).display()
    );
    Ok(())
}

/// Generates the corpus, or finds the same one already there.
pub fn generate(args: &CorpusArgs) -> Result<Corpus> {
    if args.files == 0 || args.articles == 0 {
        return Err(Error::Config("a corpus needs at least one article and one file".into()));
    }
    let out = project_path(&args.out);
    let manifest = out.join("corpus.json");
    if let Some(existing) = read_manifest(&manifest) {
        let same = existing.version == GENERATOR_VERSION
            && existing.articles == args.articles
            && existing.seed == args.seed
            && existing.files.len() == args.files
            && existing.files.iter().all(|file| file.is_file());
        if same {
            return Ok(existing);
        }
    }
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    std::fs::create_dir_all(&out)?;
    let pools = Pools::load(&args.sources)?;
    let mut writer = Generator::new(&pools, args.seed);
    let mut files = Vec::with_capacity(args.files);
    let mut bytes = 0;
    for file_number in 0..args.files {
        let path = out.join(format!("articles-{file_number:03}.jsonl"));
        let first = args.articles * file_number as u64 / args.files as u64;
        let last = args.articles * (file_number as u64 + 1) / args.files as u64;
        let mut file = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
        for number in first..last {
            bytes += writer.write_article(&mut file, number)?;
        }
        file.flush()?;
        files.push(path);
    }
    let corpus = Corpus {
        version: GENERATOR_VERSION,
        articles: args.articles,
        seed: args.seed,
        files,
        bytes,
        near_duplicates: writer.near_duplicates,
    };
    let json = serde_json::to_string_pretty(&corpus).map_err(|error| Error::Internal(error.to_string()))?;
    std::fs::write(&manifest, json)?;
    Ok(corpus)
}

fn read_manifest(path: &Path) -> Option<Corpus> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// The real text the corpus is drawn from.
struct Pools {
    sentences: Vec<String>,
    titles: Vec<Vec<String>>,
    /// Names by how often CoNLL-2003 mentions them, most frequent first (the skew's order).
    people: Vec<String>,
    orgs: Vec<String>,
    places: Vec<String>,
    topics: Vec<String>,
}

impl Pools {
    fn load(sources: &CorpusSources) -> Result<Pools> {
        let mut sentences = Vec::new();
        let mut titles = Vec::new();
        let reuters_dir = project_path(&sources.reuters);
        for number in 0..22 {
            let path = reuters_dir.join(format!("reut2-{number:03}.sgm"));
            let text = decode_text(std::fs::read(&path).map_err(|error| missing(&path, error))?);
            for record in reuters::parse(&path.display().to_string(), &text) {
                let Ok(article) = record.result else { continue };
                split_sentences(&article.body, &mut sentences);
                push_title(&article.title, &mut titles);
            }
        }
        let bbc_dir = project_path(&sources.bbc);
        for category in ["business", "entertainment", "politics", "sport", "tech"] {
            let folder = bbc_dir.join(category);
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&folder)
                .map_err(|error| missing(&folder, error))?
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .collect();
            entries.sort();
            for path in entries {
                let text = decode_text(std::fs::read(&path)?);
                let (title, body) = text.split_once('\n').unwrap_or((&text, ""));
                push_title(title, &mut titles);
                split_sentences(body, &mut sentences);
            }
        }
        sentences.sort();
        sentences.dedup();
        let conll = project_path(&sources.conll);
        let names = conll_names(&std::fs::read_to_string(&conll).map_err(|error| missing(&conll, error))?);
        let topics = std::fs::read_to_string(reuters_dir.join("all-topics-strings.lc.txt"))?
            .lines()
            .map(str::trim)
            .filter(|topic| !topic.is_empty())
            .map(String::from)
            .collect();
        let [people, orgs, places] = names;
        if sentences.len() < 1_000 || titles.len() < 1_000 || people.is_empty() || orgs.is_empty() || places.is_empty()
        {
            return Err(Error::Config("the corpus sources hold too little text".into()));
        }
        Ok(Pools { sentences, titles, people, orgs, places, topics })
    }
}

fn missing(path: &Path, error: std::io::Error) -> Error {
    Error::Config(format!("cannot read {}: {error}", path.display()))
}

/// Sentences of a body: whitespace collapsed, cut after `.`, `?` or `!` before a capital, kept when
/// they read as prose (a few words, not a table row).
fn split_sentences(body: &str, into: &mut Vec<String>) {
    let text = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut start = 0;
    let bytes = text.as_bytes();
    for index in 0..bytes.len().saturating_sub(2) {
        let ends = matches!(bytes[index], b'.' | b'?' | b'!') && bytes[index + 1] == b' ';
        if ends && bytes[index + 2].is_ascii_uppercase() {
            keep_sentence(&text[start..=index], into);
            start = index + 2;
        }
    }
    keep_sentence(&text[start..], into);
}

fn keep_sentence(sentence: &str, into: &mut Vec<String>) {
    let sentence = without_dateline(sentence.trim());
    let words = sentence.split(' ').count();
    let letters = sentence.chars().filter(|character| character.is_alphabetic()).count();
    let prose = (6..=80).contains(&words) && letters * 10 >= sentence.len() * 6;
    if prose && sentence.ends_with(['.', '?', '!', '"']) && !sentence.eq_ignore_ascii_case("reuter") {
        into.push(sentence.to_string());
    }
}

/// A wire story's first sentence without its dateline ("WASHINGTON, April 21 - "): the recombined
/// sentence rarely opens a story.
fn without_dateline(sentence: &str) -> &str {
    let Some(dash) = sentence.get(..48).unwrap_or(sentence).find(" - ") else { return sentence };
    let head = &sentence[..dash];
    let dated = head.contains(", ") && head.ends_with(|character: char| character.is_ascii_digit());
    if dated {
        &sentence[dash + 3..]
    } else {
        sentence
    }
}

fn push_title(title: &str, into: &mut Vec<Vec<String>>) {
    let words: Vec<String> = title.split_whitespace().map(String::from).collect();
    if (2..=16).contains(&words.len()) {
        into.push(words);
    }
}

/// Person, organisation and place names of a CoNLL column file, most mentioned first.
fn conll_names(text: &str) -> [Vec<String>; 3] {
    let mut counts: [HashMap<String, u32>; 3] = Default::default();
    let mut current: Option<(usize, Vec<&str>)> = None;
    let mut finish = |current: &mut Option<(usize, Vec<&str>)>| {
        if let Some((kind, words)) = current.take() {
            *counts[kind].entry(words.join(" ")).or_default() += 1;
        }
    };
    for line in text.lines() {
        let (Some(word), Some(tag)) = (line.split(' ').next(), line.rsplit(' ').next()) else {
            finish(&mut current);
            continue;
        };
        let kind = match tag.get(2..) {
            Some("PER") => Some(0),
            Some("ORG") => Some(1),
            Some("LOC") => Some(2),
            _ => None,
        };
        match (kind, tag.starts_with("I-"), current.as_mut()) {
            (Some(kind), true, Some((open, words))) if *open == kind => words.push(word),
            (Some(kind), _, _) => {
                finish(&mut current);
                current = Some((kind, vec![word]));
            }
            (None, _, _) => finish(&mut current),
        }
    }
    finish(&mut current);
    counts.map(|names| {
        let mut names: Vec<(String, u32)> =
            names.into_iter().filter(|(name, _)| name.chars().any(char::is_lowercase) && name.len() > 2).collect();
        names.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        names.into_iter().map(|(name, _)| name).collect()
    })
}

/// News outlets with how their URLs look; drawn skewed (the first ones publish most).
const SOURCES: &[(&str, &str)] = &[
    ("Reuters", "reuters.example"),
    ("Associated Press", "apnews.example"),
    ("BBC News", "bbc.example"),
    ("The Guardian", "guardian.example"),
    ("Financial Times", "ft.example"),
    ("Bloomberg", "bloomberg.example"),
    ("The New York Times", "nytimes.example"),
    ("Agence France-Presse", "afp.example"),
    ("The Wall Street Journal", "wsj.example"),
    ("Le Monde", "lemonde.example"),
    ("The Times", "thetimes.example"),
    ("Deutsche Welle", "dw.example"),
    ("Al Jazeera", "aljazeera.example"),
    ("The Economist", "economist.example"),
    ("CNBC", "cnbc.example"),
    ("Nikkei Asia", "nikkei.example"),
    ("The Irish Times", "irishtimes.example"),
    ("The Hindu", "thehindu.example"),
    ("Sydney Morning Herald", "smh.example"),
    ("Toronto Star", "thestar.example"),
    ("Example Daily", "example.com"),
    ("Northern Courier", "courier.example"),
    ("Harbour Gazette", "gazette.example"),
    ("Valley Tribune", "tribune.example"),
    ("Capital Ledger", "ledger.example"),
];

/// What a near-duplicate needs of the story it re-runs.
#[derive(Clone)]
struct Story {
    title: String,
    sentences: Vec<u32>,
    day: i64,
    entities: Vec<(u8, u32)>,
    topics: Vec<u16>,
}

#[derive(Serialize)]
struct Line<'a> {
    id: String,
    title: &'a str,
    body: &'a str,
    published_at: String,
    source: &'a str,
    url: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    entities: Vec<LineEntity<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    topics: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<&'a str>,
    lang: &'static str,
}

#[derive(Serialize)]
struct LineEntity<'a> {
    kind: &'static str,
    name: &'a str,
}

struct Generator<'a> {
    pools: &'a Pools,
    random: Random,
    /// The last stories written, which a near-duplicate may re-run.
    recent: Vec<Story>,
    near_duplicates: u64,
    body: String,
    line: Vec<u8>,
}

impl<'a> Generator<'a> {
    fn new(pools: &'a Pools, seed: u64) -> Generator<'a> {
        Generator {
            pools,
            random: Random(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x5eed),
            recent: Vec::new(),
            near_duplicates: 0,
            body: String::new(),
            line: Vec::new(),
        }
    }

    /// Writes article `number` as one JSON line; returns the bytes written.
    fn write_article(&mut self, out: &mut impl Write, number: u64) -> Result<u64> {
        let story = if !self.recent.is_empty() && self.random.unit() < NEAR_DUPLICATE_SHARE {
            self.near_duplicates += 1;
            self.rerun()
        } else {
            self.fresh_story()
        };
        self.remember(&story);
        let (source, domain) = SOURCES[self.random.skewed(SOURCES.len())];
        let seconds = FIRST_DAY + story.day * 86_400 + self.random.below(86_400) as i64;
        let published = chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default();
        self.body.clear();
        let mut in_paragraph = 0;
        for (position, sentence) in story.sentences.iter().enumerate() {
            if position > 0 {
                in_paragraph += 1;
                self.body.push_str(if in_paragraph >= 2 + (sentence % 3) as usize { "\n\n" } else { " " });
                if self.body.ends_with('\n') {
                    in_paragraph = 0;
                }
            }
            self.body.push_str(&self.pools.sentences[*sentence as usize]);
        }
        let pools = self.pools;
        let entities = story
            .entities
            .iter()
            .map(|&(kind, name)| {
                let (kind, names) = match kind {
                    0 => ("person", &pools.people),
                    1 => ("org", &pools.orgs),
                    _ => ("place", &pools.places),
                };
                LineEntity { kind, name: &names[name as usize] }
            })
            .collect();
        let authors = if number.is_multiple_of(3) {
            vec![pools.people[(number as usize / 3) % pools.people.len()].as_str()]
        } else {
            vec![]
        };
        let id = format!("g{number:08}");
        let line = Line {
            url: format!("https://{domain}/{}/{id}", published.format("%Y/%m/%d")),
            id,
            title: &story.title,
            body: &self.body,
            published_at: published.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            source,
            entities,
            topics: story.topics.iter().map(|&topic| pools.topics[topic as usize].as_str()).collect(),
            authors,
            lang: "en",
        };
        self.line.clear();
        serde_json::to_writer(&mut self.line, &line).map_err(|error| Error::Internal(error.to_string()))?;
        self.line.push(b'\n');
        out.write_all(&self.line)?;
        Ok(self.line.len() as u64)
    }

    fn fresh_story(&mut self) -> Story {
        let pools = self.pools;
        // Body lengths spread from a few hundred bytes to about 12 KB, most near 2 KB (mean ~2.7 KB).
        let target = (2_000.0 * (-(1.0 - self.random.unit()).ln()).powf(0.9) + 250.0).min(12_000.0) as usize;
        let mut sentences = Vec::new();
        let mut length = 0;
        // Runs of consecutive pool sentences read more like one text than sentences drawn apart.
        while length < target {
            let start = self.random.below(pools.sentences.len());
            for offset in 0..1 + self.random.below(4) {
                let index = (start + offset) % pools.sentences.len();
                length += pools.sentences[index].len() + 1;
                sentences.push(index as u32);
                if length >= target {
                    break;
                }
            }
        }
        let first = &pools.titles[self.random.below(pools.titles.len())];
        let title = if self.random.unit() < 0.5 {
            first.join(" ")
        } else {
            let second = &pools.titles[self.random.below(pools.titles.len())];
            let keep = 1 + self.random.below(first.len());
            let from = self.random.below(second.len());
            first[..keep].iter().chain(&second[from..]).cloned().collect::<Vec<_>>().join(" ")
        };
        let entities = if self.random.unit() < UNTAGGED_SHARE {
            Vec::new()
        } else {
            let count = 1 + self.random.skewed(8);
            let mut entities: Vec<(u8, u32)> = (0..count)
                .map(|_| {
                    let kind = self.random.below(3) as u8;
                    let names = match kind {
                        0 => pools.people.len(),
                        1 => pools.orgs.len(),
                        _ => pools.places.len(),
                    };
                    (kind, self.random.skewed(names) as u32)
                })
                .collect();
            entities.sort_unstable();
            entities.dedup();
            entities
        };
        let topics = match pools.topics.len() {
            0 => Vec::new(),
            known => (0..self.random.below(3)).map(|_| self.random.skewed(known) as u16).collect::<Vec<_>>(),
        };
        Story { title, sentences, day: self.random.below(DAYS as usize) as i64, entities, topics }
    }

    /// A recent story again: a day or two later, another headline ending, one sentence changed.
    fn rerun(&mut self) -> Story {
        let mut story = self.recent[self.random.below(self.recent.len())].clone();
        story.day = (story.day + self.random.below(3) as i64).min(DAYS - 1);
        if story.sentences.len() > 3 {
            let at = self.random.below(story.sentences.len());
            story.sentences[at] = self.random.below(self.pools.sentences.len()) as u32;
        }
        if self.random.unit() < 0.5 {
            story.title = format!("{} - update", story.title);
        }
        story
    }

    fn remember(&mut self, story: &Story) {
        const RECENT: usize = 2_000;
        if self.recent.len() < RECENT {
            self.recent.push(story.clone());
        } else {
            let at = self.random.below(RECENT);
            self.recent[at] = story.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_are_cut_before_capitals_and_tables_are_dropped() {
        let mut sentences = Vec::new();
        split_sentences(
            "LONDON, March 3 - The bank raised its rate on Monday morning. It said\n inflation was a risk to growth this year. \
             Shr 1.2 vs 1.1 Net 3 vs 4 Revs 5 vs 6 Avg shrs 7 vs 8.",
            &mut sentences,
        );
        assert_eq!(
            sentences,
            ["The bank raised its rate on Monday morning.", "It said inflation was a risk to growth this year."]
        );
    }

    #[test]
    fn conll_names_join_spans_and_rank_by_mentions() {
        let text = "Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\nsaid VBD B-VP O\n\n\
                    Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n\nAnna NNP B-NP B-PER\nin IN O O\nBonn NNP B-NP B-LOC\n";
        let [people, orgs, places] = conll_names(text);
        assert_eq!(people, ["Peter Blackburn", "Anna"]);
        assert!(orgs.is_empty());
        assert_eq!(places, ["Bonn"]);
    }

    #[test]
    fn the_skew_favours_low_ranks_and_stays_in_bounds() {
        let mut random = Random(7);
        let draws: Vec<usize> = (0..10_000).map(|_| random.skewed(100)).collect();
        assert!(draws.iter().all(|rank| *rank < 100));
        let first_ten = draws.iter().filter(|rank| **rank < 10).count();
        let last_ten = draws.iter().filter(|rank| **rank >= 90).count();
        assert!(first_ten > 5 * last_ten, "{first_ten} vs {last_ten}");
    }
}
