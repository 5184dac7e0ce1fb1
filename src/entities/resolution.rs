//! People across articles: a lone surname ("Baker", "Mr. Volcker") that an article does not give
//! in full resolves to the full name the corpus uses for that surname in nearby articles (the
//! weeks around it), when one full name holds most of them. An ambiguous surname ("Brown": many
//! people) is not guessed and leaves the person facet; a lone name the corpus never gives in full
//! nearby is a company the tagger took for a person when the corpus also names it as an
//! organisation ("Pennzoil"), else a person known by one name ("Suharto"), kept. The alias table,
//! applied first, still wins: a name it knows is left as it says.

use super::coreference::add_entity_as;
use crate::model::{entity_key, Entity, EntityKind};

/// The weeks either side of an article's week whose full names count.
pub const WEEKS_AROUND: i64 = 4;
/// The share of those articles one full name must hold to be the one meant.
pub const DOMINANT_SHARE: f64 = 0.8;

/// What a lone surname is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The full name meant.
    FullName(String),
    /// Several people go by it nearby.
    Ambiguous,
    /// No one nearby is named in full with it, and the name is also an organisation's: not a
    /// person.
    Unknown,
    /// No one nearby is named in full with it: a person known by one name ("Suharto"), kept as
    /// written.
    AsWritten,
}

/// Decides among the full names nearby articles give a surname, with how many articles give
/// each (in any order; the same name may come more than once, from the store and the batch).
pub fn resolve(candidates: &[(String, u64)]) -> Resolution {
    let mut totals: Vec<(String, u64)> = Vec::new();
    for (name, count) in candidates {
        let key = entity_key(name);
        match totals.iter_mut().find(|(other, _)| entity_key(other) == key) {
            Some((_, total)) => *total += count,
            None => totals.push((name.clone(), *count)),
        }
    }
    let all: u64 = totals.iter().map(|(_, count)| count).sum();
    let Some((best, count)) = totals.into_iter().max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0))) else {
        return Resolution::Unknown;
    };
    if all == 0 {
        Resolution::Unknown
    } else if count as f64 >= DOMINANT_SHARE * all as f64 {
        Resolution::FullName(best)
    } else {
        Resolution::Ambiguous
    }
}

/// Resolves the lone people `lone` (names of one word the extractor found) among an article's
/// entities: each becomes its full name (its forms kept, so the profile lists "Baker" among James
/// Baker's) or leaves.
pub fn apply(entities: &mut Vec<Entity>, lone: &[String], mut resolve: impl FnMut(&str) -> Resolution) {
    if lone.is_empty() {
        return;
    }
    let lone_keys: Vec<String> = lone.iter().map(|name| entity_key(name)).collect();
    let (resolving, kept): (Vec<Entity>, Vec<Entity>) = std::mem::take(entities)
        .into_iter()
        .partition(|entity| entity.kind == EntityKind::Person && lone_keys.contains(&entity_key(&entity.name)));
    *entities = kept;
    for entity in resolving {
        let full = match resolve(&entity.name) {
            Resolution::FullName(full) => full,
            Resolution::AsWritten => entity.name.clone(),
            Resolution::Ambiguous | Resolution::Unknown => continue,
        };
        add_entity_as(entities, EntityKind::Person, full, entity);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_dominant_full_name_resolves() {
        let nearby = [("James Baker".to_string(), 9), ("Howard Baker".to_string(), 1), ("james baker".to_string(), 2)];
        assert_eq!(resolve(&nearby), Resolution::FullName("James Baker".into()));
        assert_eq!(resolve(&[("James Baker".into(), 3), ("Howard Baker".into(), 2)]), Resolution::Ambiguous);
        assert_eq!(resolve(&[]), Resolution::Unknown);
    }

    #[test]
    fn resolved_people_keep_their_forms_and_the_rest_leave() {
        let mut entities = vec![
            Entity { mentions: 2, ..Entity::new(EntityKind::Person, "Baker") },
            Entity::new(EntityKind::Person, "Pennzoil"),
            Entity::new(EntityKind::Person, "Ongpin"),
            Entity::new(EntityKind::Place, "Tokyo"),
        ];
        apply(&mut entities, &["Baker".into(), "Pennzoil".into()], |name| match name {
            "Baker" => Resolution::FullName("James Baker".into()),
            _ => Resolution::Unknown,
        });
        let names: Vec<(&str, &[String], u32)> =
            entities.iter().map(|e| (e.name.as_str(), e.surfaces.as_slice(), e.mentions)).collect();
        assert_eq!(
            names,
            vec![
                ("Ongpin", &["Ongpin".to_string()][..], 1),
                ("Tokyo", &["Tokyo".to_string()][..], 1),
                ("James Baker", &["Baker".to_string()][..], 2)
            ]
        );
    }
}
