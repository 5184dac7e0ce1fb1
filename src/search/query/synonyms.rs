//! Query-time synonyms: groups of words or phrases that match each other (`U.S.`, `USA`,
//! `United States`). A run of plain words in a query, or a quoted phrase, that is one of a group's
//! entries is replaced by "any entry of the group", each entry a phrase analysed as the text is.
//! Nothing is indexed differently, so a changed list applies to the next search.

use std::collections::HashMap;

use super::instant::{Piece, Typed};
use tantivy::query_grammar::{Delimiter, Occur as GrammarOccur, UserInputAst, UserInputLeaf, UserInputLiteral};

/// Entries per group and characters per entry, at most (checked with the settings).
pub const MAX_ENTRIES: usize = 32;
pub const MAX_ENTRY_CHARS: usize = 100;

/// The synonym groups, looked up by an entry's words.
#[derive(Debug, Default)]
pub(crate) struct Synonyms {
    /// An entry's words (lower case) → the entries it matches (its groups', merged).
    entries: HashMap<Vec<String>, Vec<String>>,
    /// Words in the longest entry.
    longest: usize,
}

/// The words of a text as entries are compared: letters and digits, lower case.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).map(str::to_lowercase).collect()
}

impl Synonyms {
    pub fn new(groups: &[Vec<String>]) -> Synonyms {
        let mut entries: HashMap<Vec<String>, Vec<String>> = HashMap::new();
        for group in groups {
            let group: Vec<&String> = group.iter().filter(|entry| !words(entry).is_empty()).collect();
            for entry in &group {
                let matched = entries.entry(words(entry)).or_default();
                for other in &group {
                    if !matched.iter().any(|known| words(known) == words(other)) {
                        matched.push(other.trim().to_string());
                    }
                }
            }
        }
        let longest = entries.keys().map(Vec::len).max().unwrap_or(0);
        Synonyms { entries, longest }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The query with every entry it contains replaced by its group.
    pub fn expand(&self, ast: UserInputAst) -> UserInputAst {
        if self.is_empty() {
            return ast;
        }
        match ast {
            UserInputAst::Clause(items) => UserInputAst::Clause(self.expand_items(items)),
            UserInputAst::Boost(inner, boost) => UserInputAst::Boost(Box::new(self.expand(*inner)), boost),
            leaf @ UserInputAst::Leaf(_) => {
                let mut items = self.expand_items(vec![(None, leaf)]);
                match (items.len(), items.first()) {
                    (1, Some((None, _))) => items.pop().expect("one item").1,
                    _ => UserInputAst::Clause(items),
                }
            }
        }
    }

    fn expand_items(
        &self,
        items: Vec<(Option<GrammarOccur>, UserInputAst)>,
    ) -> Vec<(Option<GrammarOccur>, UserInputAst)> {
        // Each item's words when it is a plain word (or words) of the default fields, and whether
        // it is a quoted phrase (matched only whole).
        let plain: Vec<Option<(Vec<String>, bool)>> = items
            .iter()
            .map(|(_, item)| match item {
                UserInputAst::Leaf(leaf) => match leaf.as_ref() {
                    UserInputLeaf::Literal(literal) if literal.field_name.is_none() && !literal.prefix => {
                        Some((words(&literal.phrase), literal.delimiter != Delimiter::None))
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let mut expanded = Vec::with_capacity(items.len());
        let mut items: Vec<Option<(Option<GrammarOccur>, UserInputAst)>> = items.into_iter().map(Some).collect();
        let mut start = 0;
        while start < items.len() {
            let occur = items[start].as_ref().map(|(occur, _)| *occur).expect("not taken yet");
            let mut found: Option<(usize, &Vec<String>)> = None;
            let mut run: Vec<String> = Vec::new();
            for end in start..items.len() {
                let Some((words, quoted)) = &plain[end] else { break };
                let same_occur = items[end].as_ref().is_some_and(|(other, _)| *other == occur);
                // A quoted phrase is an entry only on its own.
                if !same_occur || (*quoted && end > start) || words.is_empty() {
                    break;
                }
                run.extend(words.iter().cloned());
                if run.len() > self.longest {
                    break;
                }
                if let Some(group) = self.entries.get(&run) {
                    found = Some((end + 1, group));
                }
                if *quoted {
                    break;
                }
            }
            match found {
                Some((end, group)) => {
                    expanded.push((occur, any_of(group)));
                    start = end;
                }
                None => {
                    let (occur, item) = items[start].take().expect("not taken yet");
                    // A leaf that is no entry stays as it is; clauses are looked into.
                    let item = match item {
                        leaf @ UserInputAst::Leaf(_) => leaf,
                        other => self.expand(other),
                    };
                    expanded.push((occur, item));
                    start += 1;
                }
            }
        }
        expanded
    }
}

impl Synonyms {
    /// As-you-type pieces with each run of whole words (not the word still being typed), or
    /// phrase, that is an entry replaced by its group; exclusions are left as typed.
    pub fn expand_typed(&self, typed: Typed) -> Typed {
        if self.is_empty() {
            return typed;
        }
        let Typed { pieces, last_is_prefix } = typed;
        let whole = pieces.len() - usize::from(last_is_prefix);
        let mut expanded = Vec::with_capacity(pieces.len());
        let mut start = 0;
        while start < pieces.len() {
            let mut found: Option<(usize, &Vec<String>)> = None;
            let mut run: Vec<String> = Vec::new();
            for (end, (piece, negated)) in pieces.iter().enumerate().take(whole).skip(start) {
                let words = match piece {
                    _ if *negated => break,
                    Piece::Word(word) => vec![word.to_lowercase()],
                    Piece::Phrase(words) if end == start => words.iter().map(|word| word.to_lowercase()).collect(),
                    _ => break,
                };
                let phrase = matches!(piece, Piece::Phrase(_));
                run.extend(words);
                if run.len() > self.longest {
                    break;
                }
                if let Some(group) = self.entries.get(&run) {
                    found = Some((end + 1, group));
                }
                if phrase {
                    break;
                }
            }
            match found {
                Some((end, group)) => {
                    let entries = group
                        .iter()
                        .map(|entry| {
                            entry
                                .split(|c: char| !c.is_alphanumeric())
                                .filter(|w| !w.is_empty())
                                .map(String::from)
                                .collect()
                        })
                        .collect();
                    expanded.push((Piece::Either(entries), false));
                    start = end;
                }
                None => {
                    expanded.push(pieces[start].clone());
                    start += 1;
                }
            }
        }
        Typed { pieces: expanded, last_is_prefix }
    }
}

/// Any of the entries, each a phrase of the default fields.
fn any_of(entries: &[String]) -> UserInputAst {
    let alternatives = entries
        .iter()
        .map(|entry| {
            let literal = UserInputLiteral {
                field_name: None,
                phrase: entry.clone(),
                delimiter: if words(entry).len() > 1 { Delimiter::DoubleQuotes } else { Delimiter::None },
                slop: 0,
                prefix: false,
            };
            (Some(GrammarOccur::Should), UserInputAst::Leaf(Box::new(UserInputLeaf::Literal(literal))))
        })
        .collect();
    UserInputAst::Clause(alternatives)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(synonyms: &Synonyms, query: &str) -> String {
        format!("{:?}", synonyms.expand(tantivy::query_grammar::parse_query(query).unwrap()))
    }

    #[test]
    fn words_and_phrases_of_a_group_match_each_other() {
        let groups = vec![
            vec!["U.S.".to_string(), "USA".into(), "United States".into()],
            vec!["UK".to_string(), "Britain".into()],
        ];
        let synonyms = Synonyms::new(&groups);
        let us = r#"(?"U.S." ?USA ?"United States")"#;
        assert_eq!(expanded(&synonyms, "USA"), us);
        assert_eq!(expanded(&synonyms, "united states trade"), format!("(*{us} *trade)"));
        assert_eq!(expanded(&synonyms, "\"United States\""), us);
        assert_eq!(expanded(&synonyms, "u.s. +deficit"), format!("(*{us} +deficit)"));
        // Not across operators, into fields, or past a phrase's edge.
        assert_eq!(expanded(&synonyms, "united -states"), "(*united -states)");
        assert_eq!(expanded(&synonyms, "title:USA"), r#""title":USA"#);
        assert_eq!(expanded(&synonyms, "\"united states of\""), r#""united states of""#);
        // Negated, every entry is excluded; nested clauses are looked into.
        assert_eq!(expanded(&synonyms, "trade -uk"), "(*trade -(?UK ?Britain))");
        assert_eq!(expanded(&synonyms, "(britain OR france) AND oil"), "(+(?(?UK ?Britain) ?france) +oil)");
        assert!(Synonyms::new(&[]).is_empty());
        // As you type: whole words only, never the one being typed.
        let typed = |text: &str| synonyms.expand_typed(super::super::instant::read(text)).pieces;
        let us_entries =
            vec![vec!["U".to_string(), "S".into()], vec!["USA".into()], vec!["United".into(), "States".into()]];
        assert_eq!(typed("united states tra")[0], (Piece::Either(us_entries.clone()), false));
        assert_eq!(typed("usa ")[0], (Piece::Either(us_entries), false));
        assert_eq!(typed("trade usa")[1], (Piece::Word("usa".into()), false), "still being typed");
        assert_eq!(typed("-usa trade")[0], (Piece::Word("usa".into()), true));
    }
}
