//! Settings changed while the server runs: the configuration file read again (on `SIGHUP` or
//! `POST /v1/settings/reload`) and what searching reads of it applied to the next search.

use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

use super::Service;
use crate::config::Settings;
use crate::entities::Aliases;
use crate::error::{Error, Result};
use crate::search::tuning::{Tuning, TuningView};

/// What a reload did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reloaded {
    /// The file read (absent: no file, the defaults and the environment).
    pub file: Option<String>,
    /// The search settings now in effect.
    pub settings: TuningView,
    /// Which of them changed (`title_boost`, `freshness_weight`, `freshness_half_life_days`,
    /// `synonyms`, `stop_words`, `aliases`).
    pub changed: Vec<String>,
    /// What the reload could not apply, and what to do about it.
    pub notes: Vec<String>,
}

impl Service {
    /// The search settings in effect.
    pub fn search_settings(&self) -> TuningView {
        let settings = self.settings.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        Tuning::new(&settings, self.engine.aliases()).view(settings.aliases_file.as_deref())
    }

    /// Reads the configuration the server started from again (its file, then the environment)
    /// and applies what searching reads of it: ranking weights, synonyms and stop words to the
    /// next search, the alias table to the next search and the next write. Nothing changes when
    /// the file does not read or check.
    pub fn reload_settings(&self) -> Result<Reloaded> {
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let current = self.settings.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        // The same sources as at the start: its file (none if it had none), then the environment.
        let mut next = match current.loaded_from.as_deref() {
            Some(file) => Settings::load(Some(file))?,
            None => {
                let mut settings = Settings::default();
                settings.apply_env(|name| std::env::var(name).ok())?;
                settings
            }
        };
        // Where the server runs is fixed at its start (the command line may have said).
        next.data_dir = current.data_dir.clone();
        next.addr = current.addr.clone();
        next.check()?;
        let aliases = Arc::new(Aliases::load(next.aliases_file.as_deref())?);
        let before = self.search_settings();
        let tuning = Tuning::new(&next, Arc::clone(&aliases));
        let after = tuning.view(next.aliases_file.as_deref());
        let changed: Vec<String> = [
            ("title_boost", before.title_boost != after.title_boost),
            ("freshness_weight", before.freshness_weight != after.freshness_weight),
            ("freshness_half_life_days", before.freshness_half_life_days != after.freshness_half_life_days),
            ("synonyms", before.synonyms != after.synonyms),
            ("stop_words", before.stop_words != after.stop_words),
            ("aliases", *self.engine.aliases() != *aliases),
        ]
        .into_iter()
        .filter(|(_, changed)| *changed)
        .map(|(name, _)| name.to_string())
        .collect();
        let mut notes = Vec::new();
        if changed.iter().any(|name| name == "aliases") {
            notes.push(
                "the alias table changed: filters, person: terms and new writes use it now; articles stored \
                 before keep the names they were stored under until `tidings reindex --extract` (the server \
                 may stay up)"
                    .into(),
            );
        }
        // The search settings as they were and everything else as it now reads: anything else
        // that changed is read only at a start.
        let unchanged_search = Settings {
            title_boost: current.title_boost,
            freshness_weight: current.freshness_weight,
            freshness_half_life_days: current.freshness_half_life_days,
            synonyms: current.synonyms.clone(),
            stop_words: current.stop_words.clone(),
            aliases_file: current.aliases_file.clone(),
            ..next.clone()
        };
        if unchanged_search != current {
            notes.push("other settings changed too (keys, limits, paths, ...): they apply at the next restart".into());
        }
        self.engine.retune(&tuning);
        self.writer.set_aliases(aliases);
        let file = current.loaded_from.as_ref().map(|path| path.display().to_string());
        // The rest stays as the server started, so that the next reload compares alike.
        let kept = Settings {
            title_boost: next.title_boost,
            freshness_weight: next.freshness_weight,
            freshness_half_life_days: next.freshness_half_life_days,
            synonyms: next.synonyms,
            stop_words: next.stop_words,
            aliases_file: next.aliases_file,
            ..current
        };
        *self.settings.write().map_err(|_| Error::Internal("settings lock poisoned".into()))? = kept;
        Ok(Reloaded { file, settings: after, changed, notes })
    }
}
