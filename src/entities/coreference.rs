//! In-article coreference: a later "Putin" or "Mr. Peskov" joins the full name given earlier, and
//! mentions of one entity are merged under one name.

use crate::model::{entity_key, Entity, EntityKind};

/// Edit distance at most one (for "Zelensky" / "Zelenskyy").
fn within_one_edit(left: &str, right: &str) -> bool {
    let (left, right): (Vec<char>, Vec<char>) = (left.chars().collect(), right.chars().collect());
    if left.len().abs_diff(right.len()) > 1 {
        return false;
    }
    let (mut i, mut j, mut edits) = (0, 0, 0);
    while i < left.len() && j < right.len() {
        if left[i] == right[j] {
            i += 1;
            j += 1;
            continue;
        }
        edits += 1;
        if edits > 1 {
            return false;
        }
        match left.len().cmp(&right.len()) {
            std::cmp::Ordering::Greater => i += 1,
            std::cmp::Ordering::Less => j += 1,
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    edits + (left.len() - i) + (right.len() - j) <= 1
}

/// Adds `mentions` mentions of an entity, merging with one of the same kind and name.
pub fn add_mention(entities: &mut Vec<Entity>, kind: EntityKind, name: String, surface: String, mentions: u32) {
    let key = entity_key(&name);
    match entities.iter_mut().find(|entity| entity.kind == kind && entity_key(&entity.name) == key) {
        Some(entity) => {
            entity.mentions += mentions;
            if !entity.surfaces.contains(&surface) {
                entity.surfaces.push(surface);
            }
        }
        None => entities.push(Entity { kind, name, surfaces: vec![surface], mentions, brought: false }),
    }
}

/// Adds `entity` as an entity of `kind` named `name` (itself, or the one it joins): its mentions
/// and every form it was written in.
pub fn add_entity_as(entities: &mut Vec<Entity>, kind: EntityKind, name: String, mut entity: Entity) {
    if entity.surfaces.is_empty() {
        entity.surfaces.push(entity.name.clone());
    }
    let key = entity_key(&name);
    match entities.iter_mut().find(|existing| existing.kind == kind && entity_key(&existing.name) == key) {
        Some(existing) => existing.absorb(entity),
        None => {
            let mut surfaces: Vec<String> = Vec::with_capacity(entity.surfaces.len());
            for surface in entity.surfaces {
                if !surfaces.contains(&surface) {
                    surfaces.push(surface);
                }
            }
            entities.push(Entity { kind, name, surfaces, mentions: entity.mentions, brought: entity.brought });
        }
    }
}

/// The people an article names in full, for in-article coreference.
pub struct People {
    full_names: Vec<String>,
}

impl People {
    pub fn of(entities: &[Entity]) -> People {
        let full_names = entities
            .iter()
            .filter(|entity| entity.kind == EntityKind::Person && entity.name.contains(' '))
            .map(|entity| entity.name.clone())
            .collect();
        People { full_names }
    }

    /// The full name whose surname is `word` (or, for surnames of six letters or more, one edit
    /// away: Zelensky / Zelenskyy).
    pub fn full_name_for(&self, word: &str) -> Option<String> {
        let lower = word.to_lowercase();
        let surname = |full: &String| full.rsplit(' ').next().map(str::to_lowercase).unwrap_or_default();
        self.full_names
            .iter()
            .find(|full| surname(full) == lower)
            .or_else(|| {
                self.full_names.iter().find(|full| {
                    let surname = surname(full);
                    surname.len() >= 6 && within_one_edit(&surname, &lower)
                })
            })
            .cloned()
    }
}

/// Joins a one-word person ("Putin") to the full name given elsewhere in the article
/// ("Vladimir Putin").
pub fn join_people(entities: Vec<Entity>) -> Vec<Entity> {
    let people = People::of(&entities);
    let mut merged: Vec<Entity> = Vec::with_capacity(entities.len());
    for entity in entities {
        if entity.kind == EntityKind::Person && !entity.name.contains(' ') {
            if let Some(full) = people.full_name_for(&entity.name) {
                let form = entity.name.clone();
                add_entity_as(&mut merged, EntityKind::Person, full.clone(), entity);
                add_mention(&mut merged, EntityKind::Person, full, form, 0);
                continue;
            }
        }
        let (kind, name) = (entity.kind, entity.name.clone());
        add_entity_as(&mut merged, kind, name, entity);
    }
    merged
}

/// Joins an organisation or person ("Texaco", "Kidder", "Dean Witter") to the organisation of
/// more words that it opens in the same article ("Texaco Inc", "Kidder, Peabody", "Dean Witter
/// Reynolds"): a company named in full is then called by its first words, and a brokerage named
/// after its founders is not a person.
pub fn join_organisations(entities: Vec<Entity>) -> Vec<Entity> {
    let words_of = |name: &str| -> Vec<String> {
        name.split(' ')
            .map(|word| word.trim_matches(|c: char| c == ',' || c == ';').to_lowercase())
            .filter(|word| !word.is_empty())
            .collect()
    };
    let long: Vec<(String, Vec<String>)> = entities
        .iter()
        .filter(|entity| entity.kind == EntityKind::Org && entity.name.contains(' '))
        .map(|entity| (entity.name.clone(), words_of(&entity.name)))
        .collect();
    // A person's name opening an institution named after them is still the person ("Nelson
    // Mandela" beside the "Nelson Mandela Foundation").
    const NAMED_AFTER: &[&str] = &[
        "foundation",
        "university",
        "school",
        "college",
        "institute",
        "airport",
        "center",
        "centre",
        "hospital",
        "museum",
        "prize",
        "award",
        "library",
        "stadium",
        "memorial",
        "fund",
        "trust",
    ];
    let opened_by = |name: &str, person: bool| -> Option<String> {
        let words = words_of(name);
        let mut matches = long
            .iter()
            .filter(|(_, long_words)| long_words.len() > words.len() && long_words[..words.len()] == words[..])
            .filter(|(_, long_words)| {
                !person || !long_words.last().is_some_and(|last| NAMED_AFTER.contains(&last.as_str()))
            })
            .map(|(long_name, _)| long_name);
        let first = matches.next()?;
        // Two companies opened by the same words: which one is meant is not known.
        matches.all(|other| other == first).then(|| first.clone())
    };
    let mut merged: Vec<Entity> = Vec::with_capacity(entities.len());
    for entity in entities {
        let joinable = matches!(entity.kind, EntityKind::Org | EntityKind::Person);
        if let Some(full) = joinable.then(|| opened_by(&entity.name, entity.kind == EntityKind::Person)).flatten() {
            let form = entity.name.clone();
            add_entity_as(&mut merged, EntityKind::Org, full.clone(), entity);
            add_mention(&mut merged, EntityKind::Org, full, form, 0);
            continue;
        }
        let (kind, name) = (entity.kind, entity.name.clone());
        add_entity_as(&mut merged, kind, name, entity);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_edit_distance() {
        assert!(within_one_edit("zelensky", "zelenskyy"));
        assert!(within_one_edit("peskov", "peskow"));
        assert!(!within_one_edit("putin", "trump"));
    }
}
