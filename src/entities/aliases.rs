//! The alias table: variant names of one entity (Zelensky / Zelenskyy / Volodymyr Zelensky) mapped
//! to its canonical name. Ships with the project (`gazetteer/aliases.txt`); users extend it with
//! a file of their own. Used at ingestion (entities are stored under canonical names) and at query
//! time (filters and `person:` terms are looked up through it).

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::model::{entity_key, Entity, EntityKind};

const BUILTIN: &str = include_str!("gazetteer/aliases.txt");

/// Alias → canonical name, per kind.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Aliases {
    map: HashMap<(EntityKind, String), String>,
}

/// The key aliases are matched on: case, spacing and dots folded.
fn alias_key(name: &str) -> String {
    entity_key(name).replace('.', "")
}

impl Aliases {
    /// Parses `kind: alias = Canonical` lines; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Aliases> {
        let mut aliases = Aliases::default();
        aliases.extend(text, origin)?;
        Ok(aliases)
    }

    fn extend(&mut self, text: &str, origin: &str) -> Result<()> {
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason: &str| Error::Config(format!("{origin}:{}: {reason}: {line:?}", number + 1));
            let (kind, rest) = line.split_once(':').ok_or_else(|| bad("expected `kind: alias = Canonical`"))?;
            let kind = EntityKind::parse(kind).ok_or_else(|| bad("kind must be person, org or place"))?;
            let (alias, canonical) = rest.split_once('=').ok_or_else(|| bad("expected `alias = Canonical`"))?;
            let canonical = canonical.split_whitespace().collect::<Vec<_>>().join(" ");
            if alias.trim().is_empty() || canonical.is_empty() {
                return Err(bad("alias and canonical name must not be empty"));
            }
            self.map.insert((kind, alias_key(alias)), canonical.clone());
            // The canonical name maps to itself, so its casing is restored too.
            self.map.entry((kind, alias_key(&canonical))).or_insert(canonical);
        }
        Ok(())
    }

    /// The shipped table plus, when given, a user's file.
    pub fn load(extra: Option<&Path>) -> Result<Aliases> {
        let mut aliases = Aliases::parse(BUILTIN, "gazetteer/aliases.txt")?;
        if let Some(path) = extra {
            let text = std::fs::read_to_string(path)
                .map_err(|error| Error::Config(format!("cannot read aliases file {}: {error}", path.display())))?;
            aliases.extend(&text, &path.display().to_string())?;
        }
        Ok(aliases)
    }

    /// Aliases in the table.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The shipped table alone.
    pub fn shipped() -> Aliases {
        Aliases::parse(BUILTIN, "gazetteer/aliases.txt").unwrap_or_default()
    }

    /// The canonical name of `name`: the alias table first, then the place and organisation
    /// gazetteers (`usa` → United States); `None` when neither knows it.
    pub fn canonical(&self, kind: EntityKind, name: &str) -> Option<String> {
        self.map.get(&(kind, alias_key(name))).cloned().or_else(|| super::gazetteer::canonical_name(kind, name))
    }

    /// The canonical name of `name`, or `name` itself.
    pub fn resolve(&self, kind: EntityKind, name: &str) -> String {
        self.canonical(kind, name).unwrap_or_else(|| name.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// Renames entities to their canonical names and merges those that become one.
    pub fn canonicalise(&self, entities: Vec<Entity>) -> Vec<Entity> {
        let mut merged: Vec<Entity> = Vec::with_capacity(entities.len());
        for mut entity in entities {
            entity.name = self.resolve(entity.kind, &entity.name);
            let key = entity_key(&entity.name);
            match merged.iter_mut().find(|existing| existing.kind == entity.kind && entity_key(&existing.name) == key) {
                Some(existing) => existing.absorb(entity),
                None => merged.push(entity),
            }
        }
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_resolve_to_one_canonical_name() {
        let aliases = Aliases::shipped();
        for variant in ["Zelenskyy", "zelensky", "Volodymyr Zelenskyy", "VOLODYMYR  ZELENSKY"] {
            assert_eq!(aliases.resolve(EntityKind::Person, variant), "Volodymyr Zelensky", "{variant}");
        }
        assert_eq!(aliases.resolve(EntityKind::Place, "usa"), "United States");
        assert_eq!(aliases.resolve(EntityKind::Place, "U.S."), "United States");
        assert_eq!(aliases.resolve(EntityKind::Person, "Jane  Doe"), "Jane Doe");
    }

    #[test]
    fn canonicalise_merges_variants() {
        let entities =
            vec![Entity::new(EntityKind::Person, "Zelenskyy"), Entity::new(EntityKind::Person, "Volodymyr Zelensky")];
        let merged = Aliases::shipped().canonicalise(entities);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].mentions, 2);
        assert_eq!(merged[0].surfaces, vec!["Zelenskyy", "Volodymyr Zelensky"]);
    }

    #[test]
    fn user_files_are_checked_line_by_line() {
        let error = Aliases::parse("person: A = B\nthing: C = D\n", "mine.txt").unwrap_err();
        assert!(error.to_string().contains("mine.txt:2"), "{error}");
        let aliases = Aliases::parse("org: The Fed = Federal Reserve\n", "mine.txt").unwrap();
        assert_eq!(aliases.resolve(EntityKind::Org, "the fed"), "Federal Reserve");
    }
}
