//! The gazetteers: place and organisation names with their canonical forms, first names, the cues
//! that precede a person's name, organisation suffixes and capitalised words that are never names.
//! Read by the rule-based extractor, by the tagger (as features) and by the alias table.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::model::{entity_key, EntityKind};

const PLACES: &str = include_str!("gazetteer/places.txt");
const ORGS: &str = include_str!("gazetteer/orgs.txt");
const FIRST_NAMES: &str = include_str!("gazetteer/first_names.txt");
/// Honorifics and roles that precede a person's name.
const PERSON_CUES: &str = include_str!("gazetteer/person_cues.txt");
/// Last words that make a capitalised sequence an organisation.
const ORG_SUFFIXES: &str = include_str!("gazetteer/org_suffixes.txt");
/// Capitalised words that are never names on their own.
const STOP_WORDS: &str = include_str!("gazetteer/stop_words.txt");

pub(crate) struct Gazetteers {
    pub(crate) places: HashMap<String, String>,
    pub(crate) orgs: HashMap<String, String>,
    pub(crate) first_names: HashSet<String>,
    pub(crate) person_cues: HashSet<&'static str>,
    pub(crate) org_suffixes: HashSet<&'static str>,
    pub(crate) stop_words: HashSet<&'static str>,
    /// `gazetteer_bits` of every word without dots, precomputed: one look-up per token.
    word_bits: HashMap<String, u8>,
}

/// The words of a list file, skipping `#` comment lines.
fn word_list(text: &'static str) -> HashSet<&'static str> {
    text.lines().filter(|line| !line.starts_with('#')).flat_map(str::split_whitespace).collect()
}

/// The key gazetteers are looked up by: case, spacing and dots folded ("U.S." = "US").
pub(crate) fn lookup_key(name: &str) -> String {
    entity_key(name).replace('.', "")
}

/// The gazetteer's canonical name for a place or organisation, if it knows the name.
pub fn canonical_name(kind: EntityKind, name: &str) -> Option<String> {
    let gazetteers = gazetteers();
    let table = match kind {
        EntityKind::Place => &gazetteers.places,
        EntityKind::Org => &gazetteers.orgs,
        EntityKind::Person => return None,
    };
    table.get(&lookup_key(name)).cloned()
}

pub(crate) fn gazetteers() -> &'static Gazetteers {
    static GAZETTEERS: OnceLock<Gazetteers> = OnceLock::new();
    GAZETTEERS.get_or_init(|| {
        let names = |text: &str| -> HashMap<String, String> {
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .map(|line| match line.split_once('=') {
                    Some((alias, canonical)) => (lookup_key(alias), canonical.trim().to_string()),
                    None => (lookup_key(line), line.to_string()),
                })
                .collect()
        };
        let mut gazetteers = Gazetteers {
            places: names(PLACES),
            orgs: names(ORGS),
            first_names: word_list(FIRST_NAMES).into_iter().map(str::to_lowercase).collect(),
            person_cues: word_list(PERSON_CUES),
            org_suffixes: word_list(ORG_SUFFIXES),
            stop_words: word_list(STOP_WORDS),
            word_bits: HashMap::new(),
        };
        let words: Vec<String> = gazetteers
            .places
            .keys()
            .chain(gazetteers.orgs.keys())
            .chain(gazetteers.first_names.iter())
            .cloned()
            .chain(gazetteers.person_cues.iter().chain(&gazetteers.org_suffixes).map(|word| word.to_string()))
            .filter(|word| !word.contains('.'))
            .collect();
        for word in words {
            let bits = slow_gazetteer_bits(&gazetteers, &word);
            gazetteers.word_bits.insert(word, bits);
        }
        gazetteers
    })
}

/// Gazetteer memberships of one lower-cased word, as bits: place, organisation, first name,
/// person cue, organisation suffix. A feature of the tagger.
pub fn gazetteer_bits(lower: &str) -> u8 {
    let gazetteers = gazetteers();
    if lower.contains('.') {
        return slow_gazetteer_bits(gazetteers, lower);
    }
    gazetteers.word_bits.get(lower).copied().unwrap_or(0)
}

fn slow_gazetteer_bits(gazetteers: &Gazetteers, lower: &str) -> u8 {
    let key = lower.replace('.', "");
    (gazetteers.places.contains_key(&key) as u8)
        | (gazetteers.orgs.contains_key(&key) as u8) << 1
        | (gazetteers.first_names.contains(lower) as u8) << 2
        | (gazetteers.person_cues.contains(key.as_str()) as u8) << 3
        | (gazetteers.org_suffixes.contains(key.as_str()) as u8) << 4
}
