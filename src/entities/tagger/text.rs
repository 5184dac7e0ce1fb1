//! From running text to entities: sentence splitting and CoNLL-style tokenisation with byte
//! offsets, tagging, and the [`TaggerExtractor`] that turns spans into canonical entities.

use std::ops::Range;

use std::collections::HashMap;

use super::{spans, Model};
use crate::entities::coreference::{add_mention, join_organisations, join_people};
use crate::entities::gazetteer::canonical_name;
use crate::entities::wire::{self, Reading};
use crate::entities::{names, EntityExtractor};
use crate::model::{entity_key, Entity, EntityKind};

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "sen", "rep", "gov", "st", "jr", "sr", "inc", "corp", "co", "ltd", "vs",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "lt", "col", "capt",
];

/// The most tokens a sentence holds (longer runs are cut).
pub const MAX_SENTENCE_TOKENS: usize = 200;

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
        if "\"'([{“‘<".contains(character) {
            leading.push(start + begin..start + begin + character.len_utf8());
            begin += character.len_utf8();
        } else {
            break;
        }
    }
    let mut trailing = Vec::new();
    while let Some(character) = chunk[begin..end].chars().next_back() {
        let is_period = character == '.';
        if ",;:!?\"')]}”’…>".contains(character) || (is_period && !is_abbreviation(&chunk[begin..end])) {
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
    line_ranges(text).flat_map(|line| sentences_in(text, &[line])).collect()
}

/// Sentences of a passage whose lines are `lines` (byte ranges of `text`): the lines are one
/// stream of tokens, and sentence-final punctuation ends sentences.
pub fn sentences_in(text: &str, lines: &[Range<usize>]) -> Vec<Vec<Token>> {
    let mut tokens = Vec::new();
    for line in lines {
        for chunk in text[line.clone()].split(char::is_whitespace) {
            if !chunk.is_empty() {
                let offset = chunk.as_ptr() as usize - text.as_ptr() as usize;
                split_chunk(&text[..offset + chunk.len()], offset, &mut tokens);
            }
        }
    }
    let mut sentences = Vec::new();
    let mut current = Vec::new();
    for token in tokens {
        // A run of text without sentence punctuation is cut every MAX_SENTENCE_TOKENS tokens: the
        // tagger's context is a few words, and the span repairs look across a sentence.
        let ends = matches!(&text[token.clone()], "." | "!" | "?") || current.len() + 1 >= MAX_SENTENCE_TOKENS;
        current.push(token);
        if ends {
            sentences.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        sentences.push(current);
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

/// A name found in the text, before coreference.
struct Mention {
    kind: EntityKind,
    name: String,
    surface: String,
}

/// The casing the article's prose gives each word, for reading its passages in capitals: the
/// most frequent form of a word where it does not open a sentence.
struct Casing {
    forms: HashMap<String, HashMap<String, u32>>,
}

impl Casing {
    fn learn(text: &str, sentences: &[Vec<Token>]) -> Casing {
        let mut forms: HashMap<String, HashMap<String, u32>> = HashMap::new();
        for sentence in sentences {
            for (index, token) in sentence.iter().enumerate().skip(1) {
                let word = &text[token.clone()];
                let after_quote = matches!(&text[sentence[index - 1].clone()], "\"" | "“" | "(" | "'" | "‘");
                if after_quote
                    || !word.chars().any(char::is_alphabetic)
                    || super::sentence_is_all_caps(&[word]) && word.len() > 5
                {
                    continue;
                }
                *forms.entry(word.to_lowercase()).or_default().entry(word.to_string()).or_default() += 1;
            }
        }
        Casing { forms }
    }

    /// The prose's form of a word written in capitals; a name the gazetteers know takes its
    /// canonical casing; a common English word is lower case, any other word capitalised (and
    /// what the tagger then finds in it still needs the prose's or the gazetteers' word, when
    /// the article has prose).
    fn form(&self, word: &str) -> String {
        let lower = word.to_lowercase();
        if let Some(forms) = self.forms.get(&lower) {
            if let Some((form, _)) = forms.iter().max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0))) {
                return form.clone();
            }
        }
        for kind in [EntityKind::Place, EntityKind::Org] {
            if let Some(name) = canonical_name(kind, word) {
                if !name.contains(' ') && name.to_lowercase() == lower {
                    return name;
                }
            }
        }
        if is_common_or_inflected(&lower) || !lower.chars().any(char::is_alphabetic) || lower.len() < 2 {
            return lower;
        }
        let mut characters = lower.chars();
        characters.next().map(|first| first.to_uppercase().chain(characters).collect()).unwrap_or(lower)
    }
}

/// A common word, or one inflected from it ("meets", "raises", "resigned", "talking"): a
/// headline's verbs are lower case once it is out of capitals.
fn is_common_or_inflected(lower: &str) -> bool {
    if names::is_common_word(lower) {
        return true;
    }
    let stems = |ending: &str, added: &[&str]| -> bool {
        lower.strip_suffix(ending).is_some_and(|stem| {
            stem.len() >= 3 && added.iter().any(|extra| names::is_common_word(&format!("{stem}{extra}")))
        })
    };
    stems("s", &[""]) || stems("es", &[""]) || stems("ed", &["", "e"]) || stems("ing", &["", "e"])
}

impl TaggerExtractor {
    /// The names of one sentence given its labels: spans repaired, shorthand and generic words
    /// dropped, the gazetteers settling the type of names they know.
    fn mentions(&self, words: &[&str], touching: &[bool], labels: &[u8], into: &mut Vec<Mention>) {
        let mut found = spans(labels);
        names::repair(words, &mut found);
        for (label_type, start, end) in found {
            let span = &words[start..end];
            if !names::is_name(label_type, span) {
                continue;
            }
            let opens_sentence = start == 0 || matches!(words[start - 1], "\"" | "“" | "(" | "'" | "‘" | ":" | "-");
            // "Much of the debt …", "Lately, the administration …": a sentence's first word.
            let adverb = span.len() == 1
                && span[0].len() > 5
                && span[0].ends_with("ly")
                && words.get(end).is_some_and(|next| *next == ",");
            if opens_sentence && span.len() == 1 && (names::is_common_word(span[0]) || adverb) {
                continue;
            }
            // "Chapter 11", "Section 301", "Flight 007": a word numbered is a part or a thing, not
            // a person; "Gramm-Rudman", "Dai-Ichi": one word of a hyphenated compound is not one.
            // (A figure that opens a score, "Agassi 6-4", numbers nothing.)
            let numbered = words.get(end).is_some_and(|next| next.chars().all(|c| c.is_ascii_digit()))
                && words.get(end + 1).is_none_or(|after| *after != "-");
            let hyphen_at = |at: usize| {
                words.get(at).is_some_and(|word| *word == "-")
                    && touching.get(at).copied().unwrap_or(false)
                    && touching.get(at + 1).copied().unwrap_or(false)
            };
            let hyphened = (start > 0 && hyphen_at(start - 1)) || hyphen_at(end);
            if label_type == names::PERSON && span.len() == 1 && (numbered || hyphened) {
                continue;
            }
            let surface = join_tokens(span);
            let surface = surface.trim_matches(|c: char| !c.is_alphanumeric() && c != '.');
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
                (None, Some(EntityKind::Org)) => (EntityKind::Org, organisation_name(surface)),
                (None, Some(kind)) => (kind, normalise_spaces(surface)),
                (None, None) => continue,
            };
            into.push(Mention { kind, name, surface: surface.to_string() });
        }
    }
}

/// Tokens back into text: no space before closing punctuation and possessives, none after an
/// opening one.
fn join_tokens(tokens: &[&str]) -> String {
    let mut out = String::new();
    for (index, token) in tokens.iter().enumerate() {
        let glued = index > 0
            && (matches!(*token, "'s" | "’s" | "'S" | "’S" | "," | "." | ")" | "'" | "’" | "-")
                || matches!(tokens[index - 1], "(" | "-"));
        if index > 0 && !glued {
            out.push(' ');
        }
        out.push_str(token);
    }
    out
}

/// An organisation's name without the abbreviated company suffix ("Texaco Inc" → "Texaco",
/// "E.F. Hutton and Co" → "E.F. Hutton"), so that one company is one facet value whichever form
/// a story uses; the forms stay as the entity's surfaces.
fn organisation_name(surface: &str) -> String {
    const ABBREVIATED: &[&str] =
        &["inc", "corp", "co", "cos", "ltd", "plc", "llc", "ag", "sa", "nv", "bv", "gmbh", "spa"];
    let mut words: Vec<&str> = surface.split_whitespace().collect();
    while words.len() > 1 {
        let last = words[words.len() - 1].trim_end_matches('.').trim_end_matches(',').to_lowercase();
        if ABBREVIATED.contains(&last.as_str()) {
            words.pop();
            if words.len() > 1 && matches!(words[words.len() - 1], "and" | "&") {
                words.pop();
            }
            while words.last().is_some_and(|word| *word == ",") {
                words.pop();
            }
        } else {
            break;
        }
    }
    words.join(" ").trim_end_matches(',').to_string()
}

impl EntityExtractor for TaggerExtractor {
    fn extract(&self, title: &str, body: &str) -> Vec<Entity> {
        let text = format!("{title}\n{body}");
        let passages = wire::passages(title, body, title.len() + 1);
        let tokenised: Vec<(Reading, Vec<Vec<Token>>)> =
            passages.iter().map(|passage| (passage.reading, sentences_in(&text, &passage.lines))).collect();
        let prose: Vec<Vec<Token>> = tokenised
            .iter()
            .filter(|(reading, _)| *reading == Reading::Prose)
            .flat_map(|(_, sentences)| sentences.iter().cloned())
            .collect();
        let casing = Casing::learn(&text, &prose);
        // The article is tagged as one document: a word's casing where it carries signal tells
        // the tagger about the same word in a headline or at the start of a sentence. Sentences in
        // capitals are read in the casing the prose gives them, and tell nothing themselves.
        let mut sentences: Vec<Vec<String>> = Vec::new();
        // Whether each token touches the one before it ("Gramm-Rudman", not "said Volcker - the").
        let mut touching: Vec<Vec<bool>> = Vec::new();
        let mut cased: Vec<bool> = Vec::new();
        let mut confirmable: Vec<bool> = Vec::new();
        for (reading, passage) in &tokenised {
            for sentence in passage {
                let words: Vec<&str> = sentence.iter().map(|token| &text[token.clone()]).collect();
                let capitals = *reading == Reading::Capitals || super::sentence_is_all_caps(&words);
                sentences.push(if capitals {
                    words.iter().map(|word| casing.form(word)).collect()
                } else {
                    words.iter().map(|word| word.to_string()).collect()
                });
                touching.push(
                    sentence
                        .iter()
                        .enumerate()
                        .map(|(at, token)| at > 0 && sentence[at - 1].end == token.start)
                        .collect(),
                );
                // Only prose tells how a word is written: a Title Case heading capitalises all.
                cased.push(*reading == Reading::Prose && !capitals);
                confirmable.push(capitals || *reading == Reading::Heading);
            }
        }
        let words: Vec<Vec<&str>> =
            sentences.iter().map(|sentence| sentence.iter().map(String::as_str).collect()).collect();
        let mut confirmed: Vec<Mention> = Vec::new();
        let mut unconfirmed: Vec<Mention> = Vec::new();
        let labelled = words.iter().zip(&touching).zip(self.model.tag_article(&words, &cased)).zip(&confirmable);
        for (((words, touching), labels), unsure) in labelled {
            self.mentions(words, touching, &labels, if *unsure { &mut unconfirmed } else { &mut confirmed });
        }
        // Headlines and passages in capitals name no one the prose does not: a name from them
        // counts only as a mention of a name the prose gives (its full name, or the name the
        // surname or first word starts), or one the gazetteers know.
        let mut by_key: HashMap<String, usize> = HashMap::new();
        let mut by_word: HashMap<String, usize> = HashMap::new();
        for (at, other) in confirmed.iter().enumerate() {
            let key = entity_key(&other.name);
            let word = match other.kind {
                EntityKind::Person => key.rsplit(' ').next(),
                EntityKind::Org => key.split(' ').next(),
                EntityKind::Place => None,
            };
            if let Some(word) = word.filter(|_| key.contains(' ')) {
                by_word.entry(word.to_string()).or_insert(at);
            }
            by_key.entry(key).or_insert(at);
        }
        let mut kept: Vec<Mention> = Vec::new();
        for mention in unconfirmed {
            let key = entity_key(&mention.name);
            let prose_name = by_key.get(&key).or_else(|| by_word.get(&key)).map(|at| &confirmed[*at]);
            match prose_name {
                Some(other) => {
                    kept.push(Mention { kind: other.kind, name: other.name.clone(), surface: mention.surface })
                }
                None if canonical_name(mention.kind, &mention.name).is_some() => kept.push(mention),
                // A bulletin with no prose at all (a headline alone): what the truecased words
                // give is all there is.
                None if prose.is_empty() => kept.push(mention),
                None => {}
            }
        }
        let mut entities: Vec<Entity> = Vec::new();
        for mention in confirmed.into_iter().chain(kept) {
            add_mention(&mut entities, mention.kind, mention.name, mention.surface, 1);
        }
        let mut joined = drop_person_parts(join_organisations(join_people(entities)));
        joined.sort_by(|a, b| a.kind.cmp(&b.kind).then(b.mentions.cmp(&a.mentions)).then(a.name.cmp(&b.name)));
        joined
    }
}

fn normalise_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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

    fn extracted(title: &str, body: &str) -> Vec<(EntityKind, String)> {
        let extractor = TaggerExtractor::shipped().expect("shipped weights decode");
        extractor.extract(title, body).into_iter().map(|entity| (entity.kind, entity.name)).collect()
    }

    fn has(entities: &[(EntityKind, String)], kind: EntityKind, name: &str) -> bool {
        entities.iter().any(|(k, n)| *k == kind && n == name)
    }

    fn any_named(entities: &[(EntityKind, String)], name: &str) -> bool {
        entities.iter().any(|(_, n)| n.eq_ignore_ascii_case(name))
    }

    // The error classes seen on untagged Reuters-21578 wire text (issue 13), each as it came.

    #[test]
    fn an_all_caps_headline_names_only_what_the_prose_names() {
        let found = extracted(
            "BAKER SAYS U.S. BILL RAISES QTR OUTLOOK, RESIGNS",
            "WASHINGTON, March 3 - Treasury Secretary James Baker said the bill would help.\n Reuter\n",
        );
        assert!(has(&found, EntityKind::Person, "James Baker"), "{found:?}");
        for junk in ["BAKER", "Baker", "BILL", "Bill", "QTR", "SAYS", "RAISES", "RESIGNS", "Reuter", "WASHINGTON"] {
            assert!(!found.iter().any(|(_, name)| name == junk), "{junk} in {found:?}");
        }
        // The dateline gives nothing: Washington is not named in the prose.
        assert!(!any_named(&found, "Washington"), "{found:?}");
    }

    #[test]
    fn sign_offs_bylines_and_credits_give_nothing() {
        let found = extracted(
            "Oil prices rise",
            "By Jane Whitfield\nOil prices rose in London on Monday, traders said.\n             (Reporting by Tom Hardy; Editing by Anna Kessler)\nReuter\n",
        );
        assert!(has(&found, EntityKind::Place, "London"), "{found:?}");
        for credit in ["Jane Whitfield", "Tom Hardy", "Anna Kessler", "Reuter", "Reuters"] {
            assert!(!any_named(&found, credit), "{credit} in {found:?}");
        }
    }

    #[test]
    fn an_earnings_table_gives_nothing() {
        let found = extracted(
            "GENERAL ELECTRIC CO <GE> 1ST QTR NET",
            "Shr 1.23 dlrs vs 1.10 dlrs\n    Net 560.1 mln vs 501.2 mln\n    Revs 9.1 billion vs 8.4 billion\n             \x20   Nine mths\n    Shr 3.40 dlrs vs 3.01 dlrs\n    Reuter\n",
        );
        for junk in ["Nine", "Nine Mths", "Shr", "Net", "Revs", "Co", "GE", "Reuter"] {
            assert!(!any_named(&found, junk), "{junk} in {found:?}");
        }
    }

    #[test]
    fn company_names_keep_their_whole_span_and_suffixes_are_not_names() {
        let found = extracted(
            "",
            "The Securities and Exchange Commission said Standard and Poor's Corp had downgraded the debt of              Texaco Inc on Monday. Smith Barney, Harris Upham and Co said the Co was not a party.",
        );
        assert!(has(&found, EntityKind::Org, "Securities and Exchange Commission"), "{found:?}");
        assert!(has(&found, EntityKind::Org, "Standard and Poor's"), "{found:?}");
        assert!(has(&found, EntityKind::Org, "Texaco"), "{found:?}");
        assert!(has(&found, EntityKind::Org, "Smith Barney, Harris Upham"), "{found:?}");
        for fragment in
            ["Securities", "Exchange Commission", "Poor's", "Poor", "Standard", "Co", "Corp", "Inc", "Smith Barney"]
        {
            assert!(!any_named(&found, fragment), "{fragment} in {found:?}");
        }
    }

    #[test]
    fn a_brokerage_named_after_its_founders_is_the_firm_not_a_person() {
        let found = extracted(
            "",
            "Analysts at Dean Witter Reynolds Inc said the offer was fair. Dean Witter said it would \
             advise the board. Kidder, Peabody and Co also advised. Kidder said the deal was sound.",
        );
        assert!(has(&found, EntityKind::Org, "Dean Witter Reynolds"), "{found:?}");
        for person in ["Dean Witter", "Kidder"] {
            assert!(
                !found.iter().any(|(kind, name)| *kind == EntityKind::Person && name == person),
                "{person} in {found:?}"
            );
        }
    }

    #[test]
    fn numbered_words_hyphen_fragments_and_connectives_are_not_people() {
        let found = extracted(
            "",
            "The company filed for protection under Chapter 11 on Tuesday. Moreover, the Gramm-Rudman \
             law limits the deficit, said Senator Warren Rudman. Dai-Ichi Kangyo Bank agreed.",
        );
        for junk in ["Chapter", "Moreover", "Gramm", "Dai"] {
            assert!(!any_named(&found, junk), "{junk} in {found:?}");
        }
        assert!(has(&found, EntityKind::Person, "Warren Rudman"), "{found:?}");
    }

    #[test]
    fn departments_schools_and_places_are_not_people() {
        let found = extracted(
            "",
            "Officials at the Commerce Dept said so. He taught at the Harvard Graduate School of Business. \
             Lawmakers on Capitol Hill and traders in Macao were told.",
        );
        let people: Vec<&String> =
            found.iter().filter(|(kind, _)| *kind == EntityKind::Person).map(|(_, name)| name).collect();
        assert!(people.is_empty(), "{found:?}");
        assert!(has(&found, EntityKind::Place, "Macau") && has(&found, EntityKind::Place, "Capitol Hill"), "{found:?}");
    }

    #[test]
    fn a_spaced_dash_a_score_and_a_namesake_foundation_leave_people_alone() {
        let found = extracted(
            "",
            "The dollar fell, said Volcker - the former Fed chairman. In Paris, Agassi beat Sampras 6-4 \
             on Sunday. Nelson Mandela spoke at the Nelson Mandela Foundation in Johannesburg.",
        );
        for person in ["Volcker", "Sampras", "Nelson Mandela"] {
            assert!(has(&found, EntityKind::Person, person), "{person} in {found:?}");
        }
    }

    #[test]
    fn a_headline_out_of_capitals_keeps_its_verbs_lower_case() {
        assert!(is_common_or_inflected("meets") && is_common_or_inflected("raises"));
        assert!(is_common_or_inflected("resigned") && is_common_or_inflected("talking"));
        assert!(!is_common_or_inflected("nakasone") && !is_common_or_inflected("reagan"));
    }

    #[test]
    fn first_names_generic_words_and_nationalities_are_not_names_alone() {
        let found = extracted(
            "",
            "Kuwaiti officials met the Bank and the Commission on Monday. Robert told the Federal agency that              West German and Philippine banks would lend. Much of the debt is held by the Finance Ministry.",
        );
        for junk in [
            "Kuwaiti",
            "Bank",
            "Commission",
            "Robert",
            "Federal",
            "West German",
            "Philippine",
            "Much",
            "Finance Ministry",
        ] {
            assert!(!any_named(&found, junk), "{junk} in {found:?}");
        }
    }

    #[test]
    fn a_title_case_heading_names_only_what_the_prose_names() {
        let found = extracted(
            "A Dicey Dance Between Two Giants",
            "Vladimir Putin and Donald Trump met in Alaska.\n  1. New Hope for Peace: talks resumed in Geneva.",
        );
        assert!(has(&found, EntityKind::Person, "Vladimir Putin") && has(&found, EntityKind::Person, "Donald Trump"));
        for junk in ["Dance Between Two Giants", "Dicey Dance", "Giants", "Hope", "New Hope"] {
            assert!(!any_named(&found, junk), "{junk} in {found:?}");
        }
    }

    #[test]
    fn a_headline_alone_is_read_in_its_capitals() {
        // A bulletin with no body: the truecased headline is all there is.
        // (The structured tagger reads a lone "Reagan" opening this headline as MISC, so it is
        // lost here; with the story's prose around it, it is found.)
        let found = extracted("REAGAN MEETS NAKASONE IN WASHINGTON", "");
        assert!(
            has(&found, EntityKind::Person, "Nakasone") && has(&found, EntityKind::Place, "Washington"),
            "{found:?}"
        );
        let found = extracted("REAGAN MEETS NAKASONE IN WASHINGTON", "President Reagan met Prime Minister Nakasone.");
        assert!(has(&found, EntityKind::Person, "Reagan") && has(&found, EntityKind::Person, "Nakasone"), "{found:?}");
        assert!(!any_named(&found, "MEETS") && !any_named(&found, "Meets"), "{found:?}");
    }

    #[test]
    fn a_run_without_punctuation_is_cut_into_bounded_sentences() {
        let text = "Alpha Beta ".repeat(5_000);
        let whole = 0..text.len();
        let cut = sentences_in(&text, std::slice::from_ref(&whole));
        assert_eq!(cut.iter().map(Vec::len).sum::<usize>(), 10_000);
        assert!(cut.iter().all(|sentence| sentence.len() <= MAX_SENTENCE_TOKENS), "{}", cut.len());
    }

    #[test]
    fn lines_break_sentences() {
        assert_eq!(words("Headline here\nBody text"), vec![vec!["Headline", "here"], vec!["Body", "text"]]);
    }
}
