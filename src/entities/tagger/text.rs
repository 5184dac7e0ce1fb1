//! From running text to entities: sentence splitting and CoNLL-style tokenisation with byte
//! offsets, tagging, and the [`TaggerExtractor`] that turns spans into canonical entities.

use std::ops::Range;

use super::{spans, Model};
use crate::entities::coreference::{add_mention, join_people};
use crate::entities::gazetteer::canonical_name;
use crate::entities::EntityExtractor;
use crate::model::{Entity, EntityKind};

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "sen", "rep", "gov", "st", "jr", "sr", "inc", "corp", "co", "ltd", "vs",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "lt", "col", "capt",
];

/// A token: its byte range in the text.
pub type Token = Range<usize>;

fn is_abbreviation(word: &str) -> bool {
    let bare = word.trim_end_matches('.');
    // "U.S.", "a.m.", single initials ("J."), and the usual titles.
    bare.contains('.')
        || (bare.chars().count() == 1 && bare.chars().all(char::is_uppercase))
        || ABBREVIATIONS.contains(&bare.to_lowercase().as_str())
}

/// Splits a whitespace-separated chunk into tokens: leading and trailing punctuation apart,
/// possessive `'s` apart, a period kept on abbreviations, `Trump-Putin` split at the hyphen.
fn split_chunk(text: &str, start: usize, out: &mut Vec<Token>) {
    let chunk = &text[start..];
    let mut begin = 0;
    let mut end = chunk.len();
    let mut leading = Vec::new();
    while let Some(character) = chunk[begin..end].chars().next() {
        if "\"'([{“‘".contains(character) {
            leading.push(start + begin..start + begin + character.len_utf8());
            begin += character.len_utf8();
        } else {
            break;
        }
    }
    let mut trailing = Vec::new();
    while let Some(character) = chunk[begin..end].chars().next_back() {
        let is_period = character == '.';
        if ",;:!?\"')]}”’…".contains(character) || (is_period && !is_abbreviation(&chunk[begin..end])) {
            trailing.push(start + end - character.len_utf8()..start + end);
            end -= character.len_utf8();
        } else {
            break;
        }
    }
    out.extend(leading);
    let core = &chunk[begin..end];
    if !core.is_empty() {
        let possessive = ["'s", "’s", "'S", "’S"]
            .iter()
            .find_map(|suffix| core.strip_suffix(suffix).filter(|rest| !rest.is_empty()).map(|_| suffix.len()));
        let body_end = end - possessive.unwrap_or(0);
        let body = &chunk[begin..body_end];
        match body.split_once('-') {
            Some((left, right))
                if left.chars().next().is_some_and(char::is_uppercase)
                    && right.chars().next().is_some_and(char::is_uppercase) =>
            {
                let dash = start + begin + left.len();
                out.push(start + begin..dash);
                out.push(dash..dash + 1);
                out.push(dash + 1..start + body_end);
            }
            _ => out.push(start + begin..start + body_end),
        }
        if possessive.is_some() {
            out.push(start + body_end..start + end);
        }
    }
    out.extend(trailing.into_iter().rev());
}

/// Sentences of a text, each a list of tokens. Line breaks and sentence-final punctuation end
/// sentences.
pub fn sentences(text: &str) -> Vec<Vec<Token>> {
    let mut sentences = Vec::new();
    for line in line_ranges(text) {
        let mut tokens = Vec::new();
        let mut position = line.start;
        for chunk in text[line.clone()].split(char::is_whitespace) {
            if !chunk.is_empty() {
                let offset = chunk.as_ptr() as usize - text.as_ptr() as usize;
                split_chunk(&text[..offset + chunk.len()], offset, &mut tokens);
            }
            position += chunk.len() + 1;
        }
        let _ = position;
        let mut current = Vec::new();
        for token in tokens {
            let word = &text[token.clone()];
            let ends = matches!(word, "." | "!" | "?");
            current.push(token);
            if ends {
                sentences.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            sentences.push(current);
        }
    }
    sentences
}

fn line_ranges(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut start = 0;
    text.split_inclusive('\n').map(move |line| {
        let range = start..start + line.trim_end_matches(['\n', '\r']).len();
        start += line.len();
        range
    })
}

/// The tagger behind the [`EntityExtractor`] interface.
pub struct TaggerExtractor {
    model: &'static Model,
}

impl TaggerExtractor {
    /// The extractor over the shipped weights; `None` when they cannot be decoded.
    pub fn shipped() -> Option<TaggerExtractor> {
        Model::shipped().map(|model| TaggerExtractor { model })
    }

    pub fn with_model(model: &'static Model) -> TaggerExtractor {
        TaggerExtractor { model }
    }
}

fn kind_of(label_type: u8) -> Option<EntityKind> {
    match label_type {
        1 => Some(EntityKind::Person),
        2 => Some(EntityKind::Org),
        3 => Some(EntityKind::Place),
        _ => None,
    }
}

impl EntityExtractor for TaggerExtractor {
    fn extract(&self, title: &str, body: &str) -> Vec<Entity> {
        let text = format!("{title}\n{body}");
        let mut entities: Vec<Entity> = Vec::new();
        let sentences = sentences(&text);
        let words: Vec<Vec<&str>> =
            sentences.iter().map(|sentence| sentence.iter().map(|token| &text[token.clone()]).collect()).collect();
        for ((sentence, words), labels) in sentences.iter().zip(&words).zip(self.model.tag_document(&words)) {
            let headline = is_title_case_heading(words);
            for (label_type, start, end) in spans(&labels) {
                let surface = text[sentence[start].start..sentence[end - 1].end]
                    .trim_matches(|c: char| !c.is_alphanumeric() && c != '.');
                if surface.chars().count() < 2 {
                    continue;
                }
                // The gazetteers settle the type of names they know (the Kremlin is an
                // organisation whatever the tagger guessed), MISC included.
                let known = [EntityKind::Org, EntityKind::Place]
                    .into_iter()
                    .find_map(|kind| canonical_name(kind, surface).map(|name| (kind, name)));
                let (kind, name) = match (known, kind_of(label_type)) {
                    (Some(known), _) => known,
                    // A Title Case heading looks like one long name to a tagger trained on news
                    // text: there only people and known names count.
                    (None, Some(EntityKind::Person)) => (EntityKind::Person, normalise_spaces(surface)),
                    (None, Some(kind)) if !headline => (kind, normalise_spaces(surface)),
                    _ => continue,
                };
                add_mention(&mut entities, kind, name, surface.to_string(), 1);
            }
        }
        let mut joined = drop_person_parts(join_people(entities));
        joined.sort_by(|a, b| a.kind.cmp(&b.kind).then(b.mentions.cmp(&a.mentions)).then(a.name.cmp(&b.name)));
        joined
    }
}

fn normalise_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A heading such as "A Dicey Dance Between Two Giants": no final punctuation and every longer
/// word capitalised.
fn is_title_case_heading(words: &[&str]) -> bool {
    let long: Vec<&&str> = words.iter().filter(|word| word.chars().count() > 3).collect();
    let ends_like_prose = words.last().is_some_and(|word| matches!(*word, "." | "!" | "?" | "\"" | "”"));
    !ends_like_prose
        && long.len() >= 3
        && long.iter().all(|word| word.chars().next().is_some_and(char::is_uppercase))
        && !long.iter().all(|word| word.chars().all(|c| !c.is_lowercase()))
}

/// Organisations and places that are only people's names ("Trump administration" tagged as an
/// organisation "Trump", "Trump and Zelenskyy") are dropped: the people are already there.
fn drop_person_parts(entities: Vec<Entity>) -> Vec<Entity> {
    let person_words: std::collections::HashSet<String> = entities
        .iter()
        .filter(|entity| entity.kind == EntityKind::Person)
        .flat_map(|entity| {
            entity.name.split_whitespace().chain(entity.surfaces.iter().flat_map(|s| s.split_whitespace()))
        })
        .map(str::to_lowercase)
        .collect();
    entities
        .into_iter()
        .filter(|entity| {
            entity.kind == EntityKind::Person
                || !entity
                    .name
                    .split_whitespace()
                    .filter(|word| word.chars().next().is_some_and(char::is_uppercase))
                    .all(|word| person_words.contains(&word.to_lowercase()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Entity, EntityKind};

    fn words(text: &str) -> Vec<Vec<&str>> {
        sentences(text).into_iter().map(|sentence| sentence.into_iter().map(|token| &text[token]).collect()).collect()
    }

    #[test]
    fn tokenises_like_conll() {
        assert_eq!(
            words("Mr. Putin's aides met U.S. officials (in Kyiv), said Peskov. Then \"Trump-Putin\" talks."),
            vec![
                vec![
                    "Mr.",
                    "Putin",
                    "'s",
                    "aides",
                    "met",
                    "U.S.",
                    "officials",
                    "(",
                    "in",
                    "Kyiv",
                    ")",
                    ",",
                    "said",
                    "Peskov",
                    "."
                ],
                vec!["Then", "\"", "Trump", "-", "Putin", "\"", "talks", "."],
            ]
        );
    }

    fn names(entities: &[Entity], kind: EntityKind) -> Vec<String> {
        entities.iter().filter(|entity| entity.kind == kind).map(|entity| entity.name.clone()).collect()
    }

    #[test]
    fn seed_article_entities_with_the_shipped_tagger() {
        let text = include_str!("../../../tests/fixtures/seed/kremlin-trump-putin-meeting.txt");
        let entities = TaggerExtractor::shipped().expect("shipped weights decode").extract("", text);
        let people = names(&entities, EntityKind::Person);
        for person in ["Vladimir Putin", "Donald Trump", "Dmitry Peskov", "Volodymyr Zelensky"] {
            assert_eq!(people.iter().filter(|name| *name == person).count(), 1, "{person} once in {people:?}");
        }
        for partial in ["Putin", "Trump", "Peskov", "Zelensky", "Zelenskyy"] {
            assert!(!people.contains(&partial.to_string()), "{partial} joins its full name: {people:?}");
        }
        let places = names(&entities, EntityKind::Place);
        for place in ["Kyiv", "Moscow", "Washington", "Ukraine", "Russia"] {
            assert!(places.contains(&place.to_string()), "{place} in {places:?}");
        }
        let orgs = names(&entities, EntityKind::Org);
        for org in ["NATO", "Kremlin"] {
            assert!(orgs.contains(&org.to_string()), "{org} in {orgs:?}");
        }
        let all: Vec<&str> = entities.iter().flat_map(|entity| entity.surfaces.iter().map(String::as_str)).collect();
        for chrome in ["Skip", "Latest", "Read"] {
            assert!(!all.contains(&chrome), "{chrome} tagged: {all:?}");
        }
    }

    #[test]
    fn lines_break_sentences() {
        assert_eq!(words("Headline here\nBody text"), vec![vec!["Headline", "here"], vec!["Body", "text"]]);
    }
}
