//! The command line: `tidings [--data-dir DIR] [--config PATH] <command>`.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::index::{SearchIndex, WriterBudget};
use crate::ingest::aliases::Aliases;
use crate::ingest::{ingest_paths, ingest_paths_with, ExtractPolicy, IngestOptions, IngestReport};
use crate::startup::Application;
use crate::store::Store;

#[derive(Debug, Parser)]
#[command(name = "tidings", version, about = "Full-text news search server")]
pub struct Cli {
    /// Data directory holding the SQLite store and the Tantivy index (default: index/ at the
    /// project root; also TIDINGS_DATA_DIR).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Configuration file (default: ./tidings.toml when present).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
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
    /// Rebuild the index from the store (stop the server first).
    Reindex,
    /// Ingest the sample shipped in the repository and serve it.
    Quickstart {
        #[arg(long)]
        addr: Option<String>,
    },
    /// Measure ingestion and search speed against peers; see BENCHMARKS.md.
    Bench(crate::bench::BenchArgs),
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
    Aliases::install(Aliases::load(settings.aliases_file.as_deref())?);
    match cli.command {
        Command::Ingest { paths, source, json, extract } => {
            let options = IngestOptions { default_source: source, progress: true, extract };
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
        Command::Reindex => {
            let store = Store::open(&settings.store_path())?;
            let indexed = crate::index::rebuild(&settings.index_path(), &store)?;
            println!("reindexed {indexed} articles into {}", settings.index_path().display());
            Ok(())
        }
        Command::Quickstart { addr } => {
            if let Some(addr) = addr {
                settings.addr = addr;
            }
            let sample = sample_dir();
            println!("ingesting the shipped sample from {}", sample.display());
            let report = ingest_and_index(&settings, &[sample], IngestOptions::default())?;
            print!("{}", report.render());
            serve(settings)
        }
        Command::Bench(args) => crate::bench::run(&settings, args),
        Command::TrainNer { conll, gmb, epochs, out } => {
            let conll: Vec<PathBuf> = conll.iter().map(|path| project_path(path)).collect();
            crate::ner::commands::train_command(
                &conll,
                gmb.as_deref().map(project_path).as_deref(),
                epochs,
                &project_path(&out),
            )
        }
        Command::Eval { what: EvalCommand::Ner { conll, reuters, model } } => {
            crate::ner::commands::eval_command(&project_path(&conll), &project_path(&reuters), model.as_deref())
        }
        Command::Watch { feeds, once } => crate::watch::run(&settings, &feeds, once),
        Command::Eval { what: EvalCommand::Dedup { reuters, bbc, labels, sample } } => {
            crate::ingest::dedup_eval::eval_command(
                &project_path(&reuters),
                &project_path(&bbc),
                &project_path(&labels),
                sample.as_deref(),
            )
        }
        Command::Eval { what: EvalCommand::Relevance { collection, time, cranfield } } => {
            crate::search::relevance_eval::eval_command(
                &project_path(&time),
                &project_path(&cranfield),
                collection.as_deref(),
            )
        }
        Command::Eval { what: EvalCommand::Extraction { dir } } => {
            crate::ingest::extraction_eval::eval_command(&project_path(&dir))
        }
    }
}

/// A path given relative to the project root is found from any working directory.
pub fn project_path(path: &Path) -> PathBuf {
    if path.is_absolute() || path.exists() {
        return path.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The sample corpus shipped in the repository.
pub fn sample_dir() -> PathBuf {
    let in_checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample");
    if in_checkout.is_dir() {
        in_checkout
    } else {
        PathBuf::from("sample")
    }
}

/// Ingests into the store, then catches the index up unless a running server holds it.
pub fn ingest_and_index(settings: &Settings, paths: &[PathBuf], options: IngestOptions) -> Result<IngestReport> {
    let mut store = Store::open(&settings.store_path())?;
    let extractor = crate::ner::text::default_extractor();
    let index = SearchIndex::open(&settings.index_path())?;
    if !index.acquire_writer(WriterBudget::Batch)? {
        let report = ingest_paths(&mut store, paths, extractor.as_ref(), &options)?;
        eprintln!("a running server holds the index: it will index these changes within seconds");
        return Ok(report);
    }
    // Each stored batch goes to the index writer's threads at once; one commit at the end (and a
    // final catch-up for anything stored by another process meanwhile).
    let report = ingest_paths_with(&mut store, paths, extractor.as_ref(), &options, &mut |store| {
        index.add_changes(store).map(|_| ())
    })?;
    index.catch_up(&store)?;
    index.release_writer()?;
    Ok(report)
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
