//! `tidings train-ner` and `tidings eval ner`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::eval::{self, PeopleRecall};
use super::train::{self, Document};
use crate::entities::tagger::Model;
use crate::entities::{EntityExtractor, HeuristicExtractor, TaggerExtractor};
use crate::error::{Error, Result};
use crate::model::EntityKind;

/// Trains on the given corpora and writes the weights to `out`.
pub fn train_command(conll: &[PathBuf], gmb: Option<&Path>, epochs: usize, out: &Path) -> Result<()> {
    let mut documents: Vec<Document> = Vec::new();
    for path in conll {
        let read = train::read_conll(path)?;
        let sentences: usize = read.iter().map(Vec::len).sum();
        eprintln!("train-ner: {} documents, {sentences} sentences from {}", read.len(), path.display());
        documents.extend(read);
    }
    if let Some(path) = gmb {
        let sentences = train::read_gmb(path)?;
        eprintln!("train-ner: {} sentences from {}", sentences.len(), path.display());
        documents.extend(sentences.into_iter().map(|sentence| vec![sentence]));
    }
    if documents.is_empty() {
        return Err(Error::Config("no training sentences: give --conll and/or --gmb".into()));
    }
    let started = Instant::now();
    let model = train::train(&documents, epochs, |epoch, accuracy| {
        eprintln!("train-ner: epoch {epoch}/{epochs}: token accuracy {accuracy:.4}");
    });
    let bytes = model.to_bytes();
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(out, &bytes)?;
    println!(
        "wrote {} ({:.1} MB, {} features) in {:.1} s",
        out.display(),
        bytes.len() as f64 / 1e6,
        model.weights.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Reuters stories with PEOPLE tags, the tags withheld from the extractor.
fn reuters_people(extractor: &dyn EntityExtractor, reuters: &Path) -> Result<PeopleRecall> {
    let mut recall = PeopleRecall::default();
    for number in 0..22 {
        let path = reuters.join(format!("reut2-{number:03}.sgm"));
        let text = crate::ingest::decode_text(std::fs::read(&path)?);
        for record in crate::ingest::reuters::parse(&path.display().to_string(), &text) {
            let Ok(article) = record.result else { continue };
            let tags: Vec<String> = article
                .entities
                .iter()
                .filter(|entity| entity.kind == EntityKind::Person)
                .map(|entity| entity.surfaces.first().cloned().unwrap_or_else(|| entity.name.clone()))
                .collect();
            if tags.is_empty() {
                continue;
            }
            let people: Vec<String> = extractor
                .extract(&article.title, &article.body)
                .into_iter()
                .filter(|entity| entity.kind == EntityKind::Person)
                .map(|entity| entity.name)
                .collect();
            recall.add(&tags, &people);
        }
    }
    Ok(recall)
}

/// Prints the comparison lines (`system=NAME …`), tidings' own detail lines, and last the
/// contract line `micro_f1=… per_f1=… org_f1=… loc_f1=…`.
pub fn eval_command(conll: &Path, reuters: &Path, weights: Option<&Path>) -> Result<()> {
    let model: &'static Model = match weights {
        // Leaked on purpose: the command ends right after, and extractors want 'static weights.
        Some(path) => Box::leak(Box::new(Model::from_bytes(&std::fs::read(path)?)?)),
        None => Model::shipped().ok_or_else(|| {
            Error::Config("the shipped NER weights (models/ner.bin) are missing: run `tidings train-ner`".into())
        })?,
    };
    let documents = train::read_conll(conll)?;
    let heuristic = eval::evaluate_extractor(&HeuristicExtractor, &documents);
    println!("system=heuristic {}", heuristic.line());
    let tagger = TaggerExtractor::with_model(model);
    let reuters_available = reuters.join("reut2-000.sgm").is_file();
    if reuters_available {
        println!("system=heuristic {}", reuters_people(&HeuristicExtractor, reuters)?.line());
    }
    let tokens: usize = documents.iter().flatten().map(|sentence| sentence.words.len()).sum();
    println!("conll_file={} documents={} tokens={tokens}", conll.display(), documents.len());
    if reuters_available {
        println!("{}", reuters_people(&tagger, reuters)?.line());
    } else {
        println!("reuters: {} not found, skipped", reuters.display());
    }
    println!("tokens_per_second={:.0} (tagger alone, one thread)", eval::tokens_per_second(model, &documents));
    println!("{}", eval::evaluate_model(model, &documents).line());
    Ok(())
}
