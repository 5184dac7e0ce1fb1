//! Entity extraction, first version: capitalised sequences classified by honorifics and roles,
//! organisation suffixes, acronyms and small gazetteers, with in-article coreference so that a
//! later "Putin" joins the "Vladimir Putin" named earlier. Kept as the fallback and the baseline
//! the tagger is measured against.

use super::coreference::{add_mention, join_people, People};
use super::gazetteer::{gazetteers, lookup_key};
use super::EntityExtractor;
use crate::model::{Entity, EntityKind};

/// The fast rule-based extractor.
#[derive(Debug, Default, Clone, Copy)]
pub struct HeuristicExtractor;

/// A word of the text with what the rules need to know about it.
#[derive(Debug, Clone)]
struct Word<'a> {
    text: &'a str,
    /// The word starts a sentence or a line.
    starts_sentence: bool,
    /// Followed by a comma or other punctuation that breaks a name.
    breaks_after: bool,
}

fn is_capitalised(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

fn is_acronym(word: &str) -> bool {
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    (2..=6).contains(&letters) && word.chars().all(|c| c.is_uppercase() || c == '.' || c == '&')
}

/// Splits the text into words, stripping possessives and punctuation and noting sentence breaks.
fn words(text: &str) -> Vec<Word<'_>> {
    let mut words = Vec::new();
    let mut starts_sentence = true;
    for raw in text.split_inclusive(|c: char| c.is_whitespace() || c == '-' || c == '/') {
        let newline = raw.ends_with('\n');
        let trimmed = raw.trim_end_matches(|c: char| c.is_whitespace() || c == '-' || c == '/');
        let leading = trimmed.trim_start_matches(|c: char| !c.is_alphanumeric());
        let opens_quote = leading.len() != trimmed.len();
        let mut core = leading.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '.');
        let tail = &leading[core.len()..];
        for possessive in ["'s", "\u{2019}s", "'", "\u{2019}"] {
            if let Some(stripped) = core.strip_suffix(possessive) {
                core = stripped;
            }
        }
        let ends_with_period = core.ends_with('.') && !is_acronym(core) && core.len() > 3;
        let core = if ends_with_period { core.trim_end_matches('.') } else { core };
        let ends_sentence = newline
            || ends_with_period
            || tail.contains(['.', '!', '?', ':'])
            || (core.ends_with('.') && !is_abbreviation(core));
        if !core.is_empty() {
            words.push(Word {
                text: core.trim_end_matches('.').trim_end_matches(|c: char| !c.is_alphanumeric() && c != '.'),
                starts_sentence: starts_sentence || opens_quote,
                breaks_after: ends_sentence || tail.contains([',', ';', '"', '\u{201d}', ')', '(', '[']),
            });
        }
        if !core.is_empty() || newline {
            starts_sentence = ends_sentence;
        }
    }
    words
}

fn is_abbreviation(word: &str) -> bool {
    matches!(
        word.to_ascii_lowercase().as_str(),
        "mr." | "mrs." | "ms." | "dr." | "gen." | "sen." | "rep." | "gov." | "st." | "u.s." | "u.k." | "prof."
    )
}

/// A capitalised run of words: a candidate name.
#[derive(Debug)]
struct Candidate {
    words: Vec<String>,
    /// The word before the run, lower-cased (a role or honorific).
    previous: Option<String>,
}

fn candidates(text: &str) -> Vec<Candidate> {
    let gazetteers = gazetteers();
    let words = words(text);
    let mut found = Vec::new();
    let mut index = 0;
    while index < words.len() {
        let word = &words[index];
        if !is_capitalised(word.text) {
            index += 1;
            continue;
        }
        let start = index;
        let mut run = vec![word.text.to_string()];
        let mut end = index;
        while !words[end].breaks_after && end + 1 < words.len() {
            let next = &words[end + 1];
            if is_capitalised(next.text) && !next.starts_sentence {
                run.push(next.text.to_string());
                end += 1;
            } else if matches!(next.text, "of" | "de" | "van" | "von" | "al" | "bin" | "la" | "der" | "du")
                && words.get(end + 2).is_some_and(|after| is_capitalised(after.text) && !next.breaks_after)
            {
                run.push(next.text.to_string());
                run.push(words[end + 2].text.to_string());
                end += 2;
            } else {
                break;
            }
        }
        // Leading stop words ("The Kremlin", "But Putin") and honorifics ("Mr. Volcker",
        // "President Zelensky") are not part of the name; a stripped honorific cues a person.
        let mut skip = 0;
        while skip < run.len() {
            let lower = run[skip].to_lowercase();
            let is_cue = gazetteers.person_cues.contains(lower.as_str()) && skip + 1 < run.len();
            if !(gazetteers.stop_words.contains(lower.as_str()) || is_cue) {
                break;
            }
            skip += 1;
        }
        let previous = if skip > 0 {
            Some(run[skip - 1].to_lowercase())
        } else {
            start.checked_sub(1).map(|i| words[i].text.to_lowercase())
        };
        let name_words: Vec<String> = run.into_iter().skip(skip).collect();
        if !name_words.is_empty() {
            found.push(Candidate { words: name_words, previous });
        }
        index = end + 1;
    }
    found
}

/// The kind and canonical name of a candidate, with the words of the text that name it.
fn classify(candidate: &Candidate) -> Option<(EntityKind, String, String)> {
    let gazetteers = gazetteers();
    let name = candidate.words.join(" ");
    let surface = name.clone();
    let key = lookup_key(&name);
    if let Some(canonical) = gazetteers.orgs.get(&key) {
        return Some((EntityKind::Org, canonical.clone(), surface));
    }
    if let Some(canonical) = gazetteers.places.get(&key) {
        return Some((EntityKind::Place, canonical.clone(), surface));
    }
    let first = candidate.words[0].to_lowercase();
    let last = candidate.words.last().map(|word| word.to_lowercase()).unwrap_or_default();
    if candidate.words.len() == 1 {
        if is_acronym(&name) && name.len() >= 2 && !gazetteers.stop_words.contains(key.as_str()) {
            return Some((EntityKind::Org, name.replace('.', ""), surface));
        }
        let cued = candidate
            .previous
            .as_deref()
            .is_some_and(|previous| gazetteers.person_cues.contains(previous.trim_end_matches('.')));
        if cued && !gazetteers.stop_words.contains(key.as_str()) {
            return Some((EntityKind::Person, name, surface));
        }
        return None;
    }
    if gazetteers.org_suffixes.contains(last.trim_end_matches('.')) {
        return Some((EntityKind::Org, name, surface));
    }
    if candidate.words.iter().any(|word| gazetteers.stop_words.contains(word.to_lowercase().as_str())) {
        return None;
    }
    let cued = candidate
        .previous
        .as_deref()
        .is_some_and(|previous| gazetteers.person_cues.contains(previous.trim_end_matches('.')));
    let looks_like_person = candidate.words.len() <= 4
        && candidate.words.iter().all(|word| word.chars().skip(1).all(|c| c.is_lowercase() || c == '\'' || c == '.'));
    if looks_like_person && (gazetteers.first_names.contains(&first) || cued) {
        return Some((EntityKind::Person, name, surface));
    }
    // "Treasury Secretary James Baker": a role inside the run cues the name after it.
    if candidate.words.len() >= 3 {
        for split in 1..candidate.words.len() - 1 {
            let role = candidate.words[split].to_lowercase();
            if gazetteers.person_cues.contains(role.as_str()) {
                let rest = Candidate { words: candidate.words[split + 1..].to_vec(), previous: Some(role) };
                return classify(&rest);
            }
        }
    }
    None
}

impl EntityExtractor for HeuristicExtractor {
    fn extract(&self, title: &str, body: &str) -> Vec<Entity> {
        let gazetteers = gazetteers();
        let text = format!("{title}\n{body}");
        let mut entities: Vec<Entity> = Vec::new();
        // First pass: names the rules classify on their own.
        let mut unresolved = Vec::new();
        for candidate in candidates(&text) {
            match classify(&candidate) {
                Some((kind, name, surface)) => add_mention(&mut entities, kind, name, surface, 1),
                None => unresolved.push(candidate),
            }
        }
        // Second pass: in-article coreference, then known single names inside unclassified runs
        // ("Trump administration", "Moscow's wishlist").
        let people = People::of(&entities);
        let mut merged = join_people(entities);
        for candidate in unresolved {
            for word in &candidate.words {
                if let Some(full) = people.full_name_for(word) {
                    add_mention(&mut merged, EntityKind::Person, full, word.clone(), 1);
                } else if candidate.words.len() > 1 {
                    let key = lookup_key(word);
                    if let Some(canonical) = gazetteers.places.get(&key) {
                        add_mention(&mut merged, EntityKind::Place, canonical.clone(), word.clone(), 1);
                    } else if let Some(canonical) = gazetteers.orgs.get(&key) {
                        add_mention(&mut merged, EntityKind::Org, canonical.clone(), word.clone(), 1);
                    }
                }
            }
        }
        merged.sort_by(|a, b| a.kind.cmp(&b.kind).then(b.mentions.cmp(&a.mentions)).then(a.name.cmp(&b.name)));
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(entities: &[Entity], kind: EntityKind) -> Vec<String> {
        let mut names: Vec<String> = entities.iter().filter(|e| e.kind == kind).map(|e| e.name.clone()).collect();
        names.sort();
        names
    }

    #[test]
    fn seed_article_people_places_and_orgs() {
        let text = include_str!("../../tests/fixtures/seed/kremlin-trump-putin-meeting.txt");
        let entities = HeuristicExtractor.extract("", text);
        let people = names(&entities, EntityKind::Person);
        for expected in ["Donald Trump", "Dmitry Peskov", "Vladimir Putin", "Volodymyr Zelensky"] {
            assert_eq!(people.iter().filter(|name| *name == expected).count(), 1, "{expected} in {people:?}");
        }
        for partial in ["Putin", "Trump", "Peskov", "Zelenskyy"] {
            assert!(!people.contains(&partial.to_string()), "{partial} should have joined its full name: {people:?}");
        }
        let places = names(&entities, EntityKind::Place);
        for expected in ["Kyiv", "Moscow", "Russia", "Ukraine", "Washington"] {
            assert!(places.contains(&expected.to_string()), "{expected} in {places:?}");
        }
        let orgs = names(&entities, EntityKind::Org);
        for expected in ["Kremlin", "NATO"] {
            assert!(orgs.contains(&expected.to_string()), "{expected} in {orgs:?}");
        }
        let all: Vec<&str> = entities.iter().map(|e| e.name.as_str()).collect();
        for chrome in ["Skip", "Latest", "Read"] {
            assert!(!all.contains(&chrome), "{chrome} tagged: {all:?}");
        }
    }

    #[test]
    fn honorifics_and_org_suffixes() {
        let entities = HeuristicExtractor.extract(
            "Bank moves",
            "Mr. Volcker told reporters that Chase Manhattan Bank would lend more. Treasury Secretary James Baker agreed.",
        );
        assert!(names(&entities, EntityKind::Person).contains(&"Volcker".to_string()), "{entities:?}");
        assert!(names(&entities, EntityKind::Person).contains(&"James Baker".to_string()), "{entities:?}");
        assert!(names(&entities, EntityKind::Org).contains(&"Chase Manhattan Bank".to_string()), "{entities:?}");
    }
}
