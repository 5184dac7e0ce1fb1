//! Entities: who and what an article names. The extractor interface, the tagger (a greedy
//! averaged perceptron, `tagger/`) with the rules for real text around it (`wire`: what a story
//! holds besides prose; `names`: what a name is on its own), the first rule-based extractor,
//! in-article coreference, the gazetteers and the alias table that maps variant names to one
//! canonical name.

pub mod aliases;
pub mod coreference;
pub mod gazetteer;
pub mod heuristic;
pub mod names;
pub mod resolution;
pub mod tagger;
pub mod wire;

use crate::model::Entity;

pub use aliases::Aliases;
pub use heuristic::HeuristicExtractor;
pub use tagger::text::TaggerExtractor;

/// Anything that finds people, organisations and places in an article.
pub trait EntityExtractor: Send + Sync {
    fn extract(&self, title: &str, body: &str) -> Vec<Entity>;
}

/// The extractor ingestion uses: the tagger over the shipped weights, or the heuristic extractor
/// when the weights cannot be decoded (said once on stderr).
pub fn default_extractor() -> Box<dyn EntityExtractor> {
    match TaggerExtractor::shipped() {
        Some(tagger) => Box::new(tagger),
        None => {
            tracing::warn!("models/ner.bin could not be decoded: using the heuristic entity extractor");
            Box::new(HeuristicExtractor)
        }
    }
}
