//! What settings decide about searching, changed while the server runs (a reloaded
//! configuration): ranking weights, synonyms, the extra stop words and the alias table. All of
//! it applies at query time, so nothing in the index needs analysing again; the alias table also
//! names entities as they are stored, which articles stored before keep until `reindex
//! --extract`.

use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

use crate::config::{RankingSettings, Settings};
use crate::entities::Aliases;

/// The search-time settings.
#[derive(Debug, Clone)]
pub struct Tuning {
    pub ranking: RankingSettings,
    /// Groups of words or phrases that match each other in queries.
    pub synonyms: Vec<Vec<String>>,
    /// Words left out of ORed queries besides each language's own list.
    pub stop_words: Vec<String>,
    pub aliases: Arc<Aliases>,
}

impl Tuning {
    /// The tuning `settings` give, with the alias table already loaded.
    pub fn new(settings: &Settings, aliases: Arc<Aliases>) -> Tuning {
        Tuning {
            ranking: settings.ranking(),
            synonyms: settings.synonyms.clone(),
            stop_words: settings.stop_words.clone(),
            aliases,
        }
    }

    /// Defaults and the shipped alias table (evaluations, tests).
    pub fn with_ranking(ranking: RankingSettings, aliases: Arc<Aliases>) -> Tuning {
        Tuning { ranking, synonyms: Vec::new(), stop_words: Vec::new(), aliases }
    }

    /// What an operator sees of it.
    pub fn view(&self, aliases_file: Option<&std::path::Path>) -> TuningView {
        TuningView {
            title_boost: self.ranking.title_boost,
            freshness_weight: self.ranking.freshness_weight,
            freshness_half_life_days: self.ranking.freshness_half_life_days,
            synonyms: self.synonyms.clone(),
            stop_words: self.stop_words.clone(),
            aliases_file: aliases_file.map(|path| path.display().to_string()),
            aliases: self.aliases.len(),
        }
    }
}

/// The search settings in effect.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TuningView {
    /// How much more a word in the title weighs than in the body.
    pub title_boost: f32,
    /// The weight of recency, 0 to 1.
    pub freshness_weight: f64,
    /// Days after which an article's recency bonus has halved.
    pub freshness_half_life_days: f64,
    /// Groups of words or phrases that match each other.
    pub synonyms: Vec<Vec<String>>,
    /// Words left out of ORed (`match=any`) queries besides each language's list.
    pub stop_words: Vec<String>,
    /// The file extending the shipped alias table, if any.
    pub aliases_file: Option<String>,
    /// Aliases in the table (shipped and from the file).
    pub aliases: usize,
}
