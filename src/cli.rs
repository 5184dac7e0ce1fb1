//! The command line: `tidings [--data-dir DIR] [--config PATH] <command>`. Parses the arguments
//! and dispatches; the work is done by the modules each command names.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{project_path, sample_dir, Settings};
use crate::error::{Error, Result};
use crate::ingest::{ingest_and_index, reextract_and_index, ExtractPolicy, IngestOptions};
use crate::startup::Application;
use crate::store::Store;
use crate::tooling;

#[derive(Debug, Parser)]
#[command(name = "tidings", version, about = "Full-text news search server")]
pub struct Cli {
    /// Data directory holding the SQLite store and the Tantivy index (default: ./index, relative
    /// to the working directory; also TIDINGS_DATA_DIR).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Configuration file (default: ./tidings.toml when present).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Log lines as text (coloured only on a terminal) or as JSON objects, one per line, each
    /// with the request's span (its `request_id`, method and route).
    #[arg(long, global = true, value_enum, env = "TIDINGS_LOG_FORMAT", default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest files or directories (JSON Lines, Reuters-21578 SGML, RSS/Atom/JSON feeds, saved HTML
    /// pages, plain-text pages; .gz read transparently) into the store, then index them (or leave
    /// that to a running server).
    Ingest {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Source name for records that carry none (JSON without `source`, text pages).
        #[arg(long)]
        source: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// When the entity extractor runs: on records without entities (auto), on all (always,
        /// merged with the record's own), or never.
        #[arg(long, value_enum, default_value_t = ExtractPolicy::Auto)]
        extract: ExtractPolicy,
    },
    /// Poll the feeds of a FEEDS.toml (`[[feed]]` tables: url, every, source, full_text) on their
    /// schedules and ingest what is new; the state is kept in the store, so a restart resumes.
    Watch {
        /// The feeds file.
        feeds: PathBuf,
        /// Poll the feeds that are due once, then exit (for cron and tests).
        #[arg(long)]
        once: bool,
    },
    /// Serve the HTTP API.
    Serve {
        /// Address to bind (default 127.0.0.1:7878; also TIDINGS_ADDR).
        #[arg(long)]
        addr: Option<String>,
    },
    /// Rebuild the index from the store (stop the server first); with `--extract`, run entity
    /// extraction again over the stored articles instead, the index following what changes (a
    /// running server may stay up).
    Reindex {
        /// Re-extract entities, keeping those the records named and replacing those an earlier
        /// extractor found: on articles whose records named none (auto, the default), on all
        /// (always), or on none, dropping what was extracted (never).
        #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "auto")]
        extract: Option<ExtractPolicy>,
    },
    /// Check the data directory: the store file's integrity (every page, b-tree and constraint)
    /// and that the index holds exactly the store (every article once, as stored, up to its last
    /// change). Exits non-zero with what to do when something is wrong. Stop the server first,
    /// or its uncommitted indexing shows as a difference.
    Check,
    /// Copy the store to PATH, consistently, while a server may be running and writing; the
    /// copy is compacted. The index is not copied: `restore` rebuilds it.
    Backup {
        /// The backup file to write (must not exist).
        path: PathBuf,
    },
    /// Write every article as JSON Lines that `tidings ingest` reads back to the same articles
    /// (ids, keys, entities with their kinds, dates, topics, authors, language); one moment of the
    /// store, while a server may be running. Clusters are recomputed as the dump is ingested; keys,
    /// feeds and the ledger are not in it (`backup` copies everything).
    Dump {
        /// The file to write (must not exist; `.gz` compresses); absent or `-`: standard output.
        path: Option<PathBuf>,
    },
    /// Rebuild the data directory from a backup: the store put in place, the index rebuilt from
    /// it (stop the server first).
    Restore {
        /// A file written by `tidings backup`.
        path: PathBuf,
        /// Replace a store the data directory already holds.
        #[arg(long)]
        force: bool,
    },
    /// Print a tenant token: a JWT signed with a search key that restricts it further by a filter
    /// until it expires (what a site's backend makes for its visitors; any JWT library makes the
    /// same: HS256, `kid` the key's uid, secret the key's SHA-256 in hex).
    Token {
        /// The search key that signs it (or set TIDINGS_TOKEN_KEY).
        #[arg(long, env = "TIDINGS_TOKEN_KEY", hide_env_values = true)]
        key: String,
        /// Keyword filters as JSON, e.g. '{"source": "Example Daily"}'.
        #[arg(long)]
        filter: Option<String>,
        /// Seconds until it expires.
        #[arg(long, default_value_t = 3600)]
        expires_in: u64,
    },
    /// Ingest the sample shipped in the repository and serve it.
    Quickstart {
        #[arg(long)]
        addr: Option<String>,
    },
    /// Measure ingestion and search speed against peers; see BENCHMARKS.md.
    Bench(tooling::bench::BenchArgs),
    /// Generate a news archive of any size from the real text in ../shared/data (deterministic),
    /// as JSON Lines files `tidings ingest` reads; the bench's `--scale` runs use it.
    Corpus(tooling::corpus::CorpusArgs),
    /// Train the named-entity tagger and write its weights (deterministic).
    TrainNer {
        /// CoNLL column files to train on (repeatable).
        #[arg(long, default_value = "../shared/data/ner/conll2003/train.txt")]
        conll: Vec<PathBuf>,
        /// The GMB CSV (ner_dataset.csv[.gz]) to train on as well.
        #[arg(long)]
        gmb: Option<PathBuf>,
        #[arg(long, default_value_t = 20)]
        epochs: usize,
        #[arg(long, default_value = "models/ner.bin")]
        out: PathBuf,
    },
    /// Measure quality against reference data.
    Eval {
        #[command(subcommand)]
        what: EvalCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Entity extraction: CoNLL precision/recall/F1, Reuters people recall, speed. The last line is
    /// `micro_f1=… per_f1=… org_f1=… loc_f1=…`; compared systems' lines start with `system=`.
    Ner {
        /// Any file in CoNLL column format (default: the CoNLL-2003 English dev set).
        #[arg(long, default_value = "../shared/data/ner/conll2003/valid.txt")]
        conll: PathBuf,
        /// The Reuters-21578 folder, for people recall.
        #[arg(long, default_value = "../shared/data/reuters21578")]
        reuters: PathBuf,
        /// Weights to evaluate instead of the shipped ones (a `train-ner --out` file).
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Entity facets on real, untagged wire text: the Reuters-21578 stories with a title and a
    /// body ingested with their tags withheld, the top 100 people, organisations and places by
    /// article count judged against Reuters' vocabularies and the committed judgments. The last
    /// line is `people_purity=… org_purity=… place_purity=…` (the top 50); compared extractors'
    /// lines come before it and start with `system=`.
    Entities {
        /// The Reuters-21578 folder (reut2-*.sgm and all-*-strings.lc.txt).
        #[arg(long, default_value = "../shared/data/reuters21578")]
        reuters: PathBuf,
        /// Judgments for names the vocabularies lack (kind, name, yes|no, reason; tab-separated).
        #[arg(long, default_value = "eval/entity-judgments.tsv")]
        judgments: PathBuf,
        /// An article whose people are listed (the seed article by default).
        #[arg(long, default_value = "tests/fixtures/seed/kremlin-trump-putin-meeting.txt")]
        seed: PathBuf,
    },
    /// Main-text extraction from HTML pages, scored as the article-extraction-benchmark scores it.
    /// The last line is tidings' `f1=… precision=… recall=…`; candidate crates' lines come before
    /// it and start with `system=`.
    Extraction {
        /// The benchmark folder (ground-truth.json and html/*.html.gz).
        #[arg(long, default_value = "../shared/data/article-extraction-benchmark")]
        dir: PathBuf,
    },
    /// Ranking quality on the TIME and Cranfield test collections: nDCG@10, MAP (top 1,000),
    /// recall@100. Per collection, tidings' own line `collection=… ndcg@10=… map=… recall@100=…`
    /// comes last; baselines' and ablations' lines come before it and start with `system=`.
    Relevance {
        /// `time` or `cranfield` (default both).
        #[arg(long)]
        collection: Option<String>,
        #[arg(long, default_value = "../shared/data/time-collection")]
        time: PathBuf,
        #[arg(long, default_value = "../shared/data/cranfield")]
        cranfield: PathBuf,
    },
    /// Near-duplicate clustering on Reuters-21578 and BBC News: recall on exact duplicate bodies,
    /// precision on labelled near pairs. The last line is `threshold=… labelled=… near_precision=…`.
    Dedup {
        #[arg(long, default_value = "../shared/data/reuters21578")]
        reuters: PathBuf,
        #[arg(long, default_value = "../shared/data/bbc-news")]
        bbc: PathBuf,
        /// Labelled pairs (collection, id, id, same|different; tab-separated).
        #[arg(long, default_value = "eval/dedup-labels.tsv")]
        labels: PathBuf,
        /// Write the unlabelled near pairs found to this file, for labelling.
        #[arg(long)]
        sample: Option<PathBuf>,
    },
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    if let Some(data_dir) = cli.data_dir {
        settings.data_dir = data_dir;
    }
    match cli.command {
        Command::Ingest { paths, source, json, extract } => {
            let options = IngestOptions {
                default_source: source,
                progress: true,
                extract,
                ..IngestOptions::from_settings(&settings)
            };
            let report = ingest_and_index(&settings, &paths, options)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).map_err(|error| Error::Internal(error.to_string()))?
                );
            } else {
                print!("{}", report.render());
            }
            Ok(())
        }
        Command::Serve { addr } => {
            if let Some(addr) = addr {
                settings.addr = addr;
            }
            serve(settings)
        }
        Command::Reindex { extract: Some(policy) } => {
            let report = reextract_and_index(&settings, policy)?;
            print!("re-extracted entities: {}", report.render());
            Ok(())
        }
        Command::Reindex { extract: None } => {
            let store = Store::open(&settings.store_path())?;
            let indexed = crate::index::rebuild(&settings.index_path(), &store)?;
            println!("reindexed {indexed} articles into {}", settings.index_path().display());
            Ok(())
        }
        Command::Check => check(&settings),
        Command::Backup { path } => {
            let store = Store::open(&settings.store_path())?;
            let copied = store.backup_to(&path)?;
            println!(
                "backed up {} articles (store sequence {}, {} bytes) to {}",
                copied.articles,
                copied.seq,
                copied.bytes,
                path.display()
            );
            Ok(())
        }
        Command::Dump { path } => {
            let store = Store::open(&settings.store_path())?;
            match path.filter(|path| path.as_os_str() != "-") {
                None => {
                    let dumped = crate::ingest::dump::dump(&store, &mut std::io::stdout().lock())?;
                    eprintln!("dumped {} articles (store sequence {})", dumped.articles, dumped.seq);
                }
                Some(path) => {
                    let dumped = crate::ingest::dump::dump_to_file(&store, &path)?;
                    println!(
                        "dumped {} articles (store sequence {}, {} bytes of JSON Lines) to {}",
                        dumped.articles,
                        dumped.seq,
                        dumped.bytes,
                        path.display()
                    );
                }
            }
            Ok(())
        }
        Command::Restore { path, force } => {
            let copied = crate::store::restore(&path, &settings.store_path(), force)?;
            let store = Store::open(&settings.store_path())?;
            let indexed = crate::index::rebuild(&settings.index_path(), &store)?;
            println!(
                "restored {} articles (store sequence {}) into {}; indexed {indexed}",
                copied.articles,
                copied.seq,
                settings.data_dir.display()
            );
            Ok(())
        }
        Command::Token { key, filter, expires_in } => {
            let filter = filter
                .map(|text| serde_json::from_str::<serde_json::Value>(&text))
                .transpose()
                .map_err(|error| Error::BadParameter(format!("--filter is not JSON: {error}")))?;
            if let Some(filter) = &filter {
                crate::search::scope::Scope::from_json(filter)?;
            }
            let expires_in = i64::try_from(expires_in.min(10 * 365 * 86_400)).unwrap_or(0);
            let claims = crate::access::TokenClaims { filter, exp: chrono::Utc::now().timestamp() + expires_in };
            println!("{}", crate::access::mint_token(&key, &claims)?);
            Ok(())
        }
        Command::Quickstart { addr } => {
            if let Some(addr) = addr {
                settings.addr = addr;
            }
            let sample = sample_dir();
            println!("ingesting the shipped sample from {}", sample.display());
            let report = ingest_and_index(&settings, &[sample], IngestOptions::from_settings(&settings))?;
            print!("{}", report.render());
            serve(settings)
        }
        Command::Watch { feeds, once } => crate::ingest::watch::run(&settings, &feeds, once),
        Command::Bench(args) => tooling::bench::run(&settings, args),
        Command::Corpus(args) => tooling::corpus::command(&args),
        Command::TrainNer { conll, gmb, epochs, out } => {
            let conll: Vec<PathBuf> = conll.iter().map(|path| project_path(path)).collect();
            let gmb = gmb.as_deref().map(project_path);
            tooling::ner::commands::train_command(&conll, gmb.as_deref(), epochs, &project_path(&out))
        }
        Command::Eval { what } => eval(what),
    }
}

fn eval(what: EvalCommand) -> Result<()> {
    match what {
        EvalCommand::Ner { conll, reuters, model } => {
            tooling::ner::commands::eval_command(&project_path(&conll), &project_path(&reuters), model.as_deref())
        }
        EvalCommand::Dedup { reuters, bbc, labels, sample } => tooling::eval::dedup::eval_command(
            &project_path(&reuters),
            &project_path(&bbc),
            &project_path(&labels),
            sample.as_deref(),
        ),
        EvalCommand::Relevance { collection, time, cranfield } => tooling::eval::relevance::eval_command(
            &project_path(&time),
            &project_path(&cranfield),
            collection.as_deref(),
        ),
        EvalCommand::Entities { reuters, judgments, seed } => tooling::eval::entities::eval_command(
            &project_path(&reuters),
            &project_path(&judgments),
            &project_path(&seed),
        ),
        EvalCommand::Extraction { dir } => tooling::eval::extraction::eval_command(&project_path(&dir)),
    }
}

fn check(settings: &Settings) -> Result<()> {
    let store_path = settings.store_path();
    if !store_path.is_file() {
        return Err(Error::Config(format!("no store at {}", store_path.display())));
    }
    let store = Store::open(&store_path)?;
    let problems = store.integrity_problems()?;
    if !problems.is_empty() {
        println!("store {}: damaged\n{}", store_path.display(), problems.join("\n"));
        return Err(Error::Damaged(crate::error::STORE_DAMAGED.into()));
    }
    println!("store {}: sound", store_path.display());
    let index = crate::index::SearchIndex::open(&settings.index_path())?;
    let verification = crate::index::verify(&index, &store)?;
    println!("index {}:\n{}", settings.index_path().display(), verification.render());
    if verification.consistent() {
        Ok(())
    } else {
        Err(Error::Damaged("the index does not hold exactly the store (see above)".into()))
    }
}

fn serve(settings: Settings) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let application = Application::build(settings).await?;
        let addr = application.local_addr()?;
        println!("tidings is serving on http://{addr}  (try: curl 'http://{addr}/v1/search?q=oil&facets=place')");
        application.run_until_stopped(shutdown_signal()).await
    })
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}
