//! Features of a token in context, hashed (FNV-1a, stable across builds) without allocating:
//! the word and its neighbours, shapes, affixes, casing and gazetteer membership (`observed`),
//! and the few that pair a token with the label before it (`paired`), which the decoder scores
//! once for every label the previous token may have.

/// The word shape: `Xxxx` → `Xx`, `IBM` → `X`, `1987` → `d`, `U.S.` → `X.X.` (runs collapsed).
pub fn shape(word: &str) -> String {
    let mut out = String::with_capacity(8);
    let mut last = '\0';
    for character in word.chars() {
        let class = if character.is_uppercase() {
            'X'
        } else if character.is_lowercase() {
            'x'
        } else if character.is_ascii_digit() {
            'd'
        } else {
            character
        };
        if class != last {
            out.push(class);
            last = class;
        }
    }
    out
}

/// A stable 64-bit FNV-1a hash of a feature: its template number and its parts.
#[derive(Clone, Copy)]
pub struct FeatureHash(u64);

impl FeatureHash {
    pub fn new(template: u8) -> FeatureHash {
        FeatureHash(0xcbf2_9ce4_8422_2325).byte(template)
    }

    fn byte(self, byte: u8) -> FeatureHash {
        FeatureHash((self.0 ^ byte as u64).wrapping_mul(0x0000_0100_0000_01b3))
    }

    pub fn text(mut self, text: &str) -> FeatureHash {
        for byte in text.bytes() {
            self = self.byte(byte);
        }
        self.byte(0xff)
    }

    pub fn lower(mut self, text: &str) -> FeatureHash {
        for character in text.chars() {
            if character.is_ascii() {
                self = self.byte(character.to_ascii_lowercase() as u8);
            } else {
                let mut buffer = [0u8; 4];
                for lowered in character.to_lowercase() {
                    for byte in lowered.encode_utf8(&mut buffer).bytes() {
                        self = self.byte(byte);
                    }
                }
            }
        }
        self.byte(0xff)
    }

    pub fn number(self, value: u8) -> FeatureHash {
        self.byte(value).byte(0xfe)
    }

    pub fn finish(self) -> u64 {
        self.0
    }

    /// This feature paired with the previous token's label.
    pub fn with_label(self, label: u8) -> u64 {
        self.number(label).finish()
    }
}

/// Per-token facts computed once per sentence.
pub struct TokenInfo<'a> {
    pub word: &'a str,
    pub shape: String,
    pub lower: String,
    /// Bit set of gazetteer memberships (place, org, first name, person cue, org suffix).
    pub gazetteer: u8,
    /// A common English word (written in lower case in running text).
    pub common: bool,
}

/// What the rest of its document says of a word, by the hash of its lower-case form: that it
/// follows a given name or a person's title somewhere ("Baker" after "James"), that it is
/// capitalised where casing tells (not first in its sentence, not in a headline in capitals), that
/// it is written in lower case. A sentence-initial "Baker" or a headline's word is read by these.
#[derive(Default)]
pub struct DocumentFacts {
    words: super::FeatureMap<u8>,
}

const SURNAME: u8 = 1;
const CAPITALISED: u8 = 2;
const LOWER: u8 = 4;
const GIVEN_NAME_OR_TITLE: u8 = 4 | 8;

fn starts_upper(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

impl DocumentFacts {
    fn key(lower: &str) -> u64 {
        FeatureHash::new(255).text(lower).finish()
    }

    /// Learns from a document's sentences whose casing carries signal (`cased`).
    pub fn learn<'a, 'b>(sentences: impl Iterator<Item = (&'b [TokenInfo<'a>], bool)>) -> DocumentFacts
    where
        'a: 'b,
    {
        let mut facts = DocumentFacts::default();
        for (tokens, cased) in sentences {
            if !cased {
                continue;
            }

            for (index, token) in tokens.iter().enumerate() {
                let mut bits = 0;
                if token.word.chars().next().is_some_and(char::is_lowercase) {
                    bits |= LOWER;
                }
                if index > 0 && starts_upper(token.word) {
                    let before = &tokens[index - 1];
                    if before.word.chars().next().is_some_and(char::is_alphanumeric) {
                        bits |= CAPITALISED;
                    }
                    if starts_upper(before.word) && before.gazetteer & GIVEN_NAME_OR_TITLE != 0 {
                        bits |= SURNAME;
                    }
                }
                if bits != 0 {
                    *facts.words.entry(DocumentFacts::key(&token.lower)).or_default() |= bits;
                }
            }
        }
        facts
    }

    pub fn of(&self, lower: &str) -> u8 {
        self.words.get(&DocumentFacts::key(lower)).copied().unwrap_or(0)
    }
}

/// Everything the features of position `index` need.
pub struct Context<'a, 'b> {
    pub tokens: &'b [TokenInfo<'a>],
    pub index: usize,
    /// The whole sentence is in capitals (a CoNLL-style headline).
    pub all_caps: bool,
    pub document: &'b DocumentFacts,
}

/// How many features pair with the previous label.
pub const PAIRED: usize = 4;

fn prefix(word: &str, chars: usize) -> &str {
    if word.is_ascii() {
        return &word[..chars.min(word.len())];
    }
    word.char_indices().nth(chars).map(|(at, _)| &word[..at]).unwrap_or(word)
}

fn suffix(word: &str, chars: usize) -> &str {
    if word.is_ascii() {
        return &word[word.len().saturating_sub(chars)..];
    }
    let count = word.chars().count();
    if count <= chars {
        return word;
    }
    word.char_indices().nth(count - chars).map(|(at, _)| &word[at..]).unwrap_or(word)
}

/// Appends the hashed label-free features of one position to `out`.
pub fn observed(context: &Context<'_, '_>, out: &mut Vec<u64>) {
    let tokens = context.tokens;
    let index = context.index;
    let token = &tokens[index];
    let word_at = |offset: isize| -> Option<&TokenInfo<'_>> {
        let position = index as isize + offset;
        (position >= 0).then(|| tokens.get(position as usize)).flatten()
    };
    let mut push = |hash: FeatureHash| out.push(hash.finish());
    push(FeatureHash::new(0));
    push(FeatureHash::new(1).text(&token.lower));
    push(FeatureHash::new(2).text(token.word));
    push(FeatureHash::new(3).text(&token.shape));
    for length in 1..=4 {
        push(FeatureHash::new(4).number(length as u8).text(prefix(&token.lower, length)));
        push(FeatureHash::new(5).number(length as u8).text(suffix(&token.lower, length)));
    }
    push(FeatureHash::new(6).number(token.gazetteer));
    push(FeatureHash::new(7).number((index == 0) as u8).text(&token.shape));
    push(FeatureHash::new(8).number(context.all_caps as u8).text(&token.shape));
    // A capitalised word that is no common word is a name even first in a sentence.
    push(FeatureHash::new(24).number(token.common as u8 | ((index == 0) as u8) << 1).text(&token.shape));
    // Only what the document does say: its silence about a word tells nothing.
    let known = context.document.of(&token.lower);
    if known != 0 {
        push(FeatureHash::new(21).number(known).text(&token.shape));
        push(FeatureHash::new(22).number(known).number((index == 0) as u8 | (context.all_caps as u8) << 1));
    }
    for offset in [-2isize, -1, 1, 2] {
        let code = (offset + 2) as u8;
        match word_at(offset) {
            Some(other) => {
                push(FeatureHash::new(9).number(code).text(&other.lower));
                push(FeatureHash::new(10).number(code).text(&other.shape));
                push(FeatureHash::new(11).number(code).number(other.gazetteer));
            }
            None => push(FeatureHash::new(12).number(code)),
        }
    }
    let previous = word_at(-1).map(|other| other.lower.as_str()).unwrap_or("<s>");
    let next = word_at(1).map(|other| other.lower.as_str()).unwrap_or("</s>");
    push(FeatureHash::new(13).text(previous).text(&token.lower));
    push(FeatureHash::new(14).text(&token.lower).text(next));
    push(
        FeatureHash::new(15)
            .text(word_at(-1).map(|o| o.shape.as_str()).unwrap_or("<s>"))
            .text(&token.shape)
            .text(word_at(1).map(|o| o.shape.as_str()).unwrap_or("</s>")),
    );
}

/// The features of one position that pair with the previous label, before the label is mixed in
/// (`FeatureHash::with_label`): the label alone (a transition), and with this word, its shape and
/// the next word.
pub fn paired(context: &Context<'_, '_>) -> [FeatureHash; PAIRED] {
    let token = &context.tokens[context.index];
    let next = context.tokens.get(context.index + 1).map(|other| other.lower.as_str()).unwrap_or("</s>");
    [
        FeatureHash::new(16),
        FeatureHash::new(18).text(&token.lower),
        FeatureHash::new(19).text(&token.shape),
        FeatureHash::new(20).text(next),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_collapse_runs() {
        assert_eq!(shape("Putin"), "Xx");
        assert_eq!(shape("NATO"), "X");
        assert_eq!(shape("U.S."), "X.X.");
        assert_eq!(shape("1987"), "d");
        assert_eq!(shape("McDonald's"), "XxXx'x");
    }

    #[test]
    fn hashes_are_stable_and_distinct() {
        assert_eq!(FeatureHash::new(1).text("putin").finish(), FeatureHash::new(1).lower("Putin").finish());
        assert_ne!(FeatureHash::new(1).text("putin").finish(), FeatureHash::new(2).text("putin").finish());
        // Fixed value: the shipped weights depend on it never changing.
        assert_eq!(FeatureHash::new(0).finish(), 0xaf63_bd4c_8601_b7df);
    }

    #[test]
    fn affixes_respect_characters() {
        assert_eq!(prefix("zürich", 2), "zü");
        assert_eq!(suffix("zürich", 3), "ich");
        assert_eq!(suffix("ab", 4), "ab");
    }
}
