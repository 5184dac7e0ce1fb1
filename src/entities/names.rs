//! What counts as a name on its own, and the repairs of spans a tagger cuts wrongly. A bare
//! company suffix ("Co", "Corp"), a generic word ("Bank", "Commission", "Federal"), a lone
//! given name ("Robert"), a nationality adjective ("Kuwaiti"), financial shorthand ("Nine
//! mths", "H.K. dlrs") or a title ("Treasury Secretary") is never an entity; company names keep
//! their whole span ("Standard and Poor's Corp", "Securities and Exchange Commission", "Smith
//! Barney, Harris Upham and Co").

use std::collections::HashSet;
use std::sync::OnceLock;

use super::gazetteer::gazetteers;

/// The tagger's span types (see `tagger::label_type`).
pub const PERSON: u8 = 1;
pub const ORG: u8 = 2;
pub const PLACE: u8 = 3;

/// Company suffixes: the last word of a company's name, never a name alone.
const COMPANY_SUFFIXES: &[&str] = &[
    "co",
    "cos",
    "corp",
    "corporation",
    "inc",
    "incorporated",
    "ltd",
    "limited",
    "plc",
    "llc",
    "lp",
    "ag",
    "sa",
    "nv",
    "bv",
    "gmbh",
    "spa",
    "kk",
    "bhd",
    "pty",
    "pte",
    "oy",
    "ab",
    "asa",
    "se",
    "cie",
    "cia",
    "sca",
    "kgaa",
];

/// Nouns that end an institution's name ("… Commission", "Bank of …").
const INSTITUTIONS: &[&str] = &[
    "bank",
    "board",
    "chamber",
    "ministry",
    "department",
    "commission",
    "council",
    "court",
    "university",
    "institute",
    "college",
    "association",
    "federation",
    "league",
    "union",
    "organisation",
    "organization",
    "society",
    "office",
    "exchange",
    "party",
    "academy",
    "fund",
    "agency",
    "bureau",
    "authority",
    "committee",
    "trust",
    "service",
    "administration",
    "corporation",
    "company",
    "foundation",
    "council",
];

/// Words that name no one thing on their own.
const GENERIC: &[&str] = &[
    "bank",
    "banks",
    "commission",
    "federal",
    "board",
    "trade",
    "ministry",
    "unit",
    "units",
    "class",
    "association",
    "exchange",
    "energy",
    "department",
    "agency",
    "group",
    "company",
    "companies",
    "government",
    "council",
    "committee",
    "fund",
    "market",
    "markets",
    "securities",
    "industries",
    "industry",
    "holdings",
    "international",
    "national",
    "general",
    "electric",
    "standard",
    "poor",
    "central",
    "reserve",
    "office",
    "union",
    "party",
    "court",
    "authority",
    "bureau",
    "institute",
    "university",
    "services",
    "service",
    "loans",
    "division",
    "subsidiary",
    "administration",
    "state",
    "states",
    "world",
    "american",
    "united",
    "first",
    "new",
    "north",
    "south",
    "east",
    "west",
    "northern",
    "southern",
    "eastern",
    "western",
    "central",
    "inter",
    "trust",
    "financial",
    "capital",
    "investment",
    "investors",
    "savings",
    "federation",
    "republic",
    "kingdom",
    "city",
    "county",
    "province",
    "region",
    "island",
    "islands",
    "bay",
    "river",
    "street",
    "airlines",
    "motors",
    "petroleum",
    "oil",
    "gas",
    "steel",
    "chemical",
    "systems",
    "technologies",
    "partners",
    "brothers",
    "communications",
    "resources",
    "mines",
    "mining",
    "foods",
    "products",
    "enterprises",
    "properties",
    "insurance",
    "credit",
    "finance",
    "economic",
    "economy",
    "budget",
    "defense",
    "defence",
    "security",
    "mr",
    "mrs",
    "ms",
    "dr",
    "sir",
    "president",
    "minister",
    "chairman",
    "secretary",
    "spokesman",
    "analysts",
    "officials",
    "sources",
];

/// Words that qualify an institution without naming it ("Finance Ministry", "Central Bank").
const GENERIC_QUALIFIERS: &[&str] = &[
    "central",
    "reserve",
    "finance",
    "foreign",
    "trade",
    "economy",
    "economics",
    "interior",
    "defence",
    "defense",
    "justice",
    "industry",
    "energy",
    "transport",
    "health",
    "environment",
    "education",
    "agriculture",
    "labour",
    "labor",
    "state",
    "federal",
    "national",
    "development",
    "investment",
    "savings",
    "regional",
    "provincial",
    "municipal",
    "city",
    "local",
    "oil",
    "information",
    "planning",
    "communications",
    "petroleum",
    "mines",
    "fisheries",
    "culture",
    "tourism",
    "commerce",
    "treasury",
];

/// Institution nouns that the generic rule applies to: every country has a "Finance Ministry" and
/// a "Central Bank", and the wire names the country in the sentence. (Not "Department": the
/// U.S. style names departments unqualified, "the Commerce Department"; not "Commission" or
/// "Office": "Federal Trade Commission", "Foreign Office" are one body each.)
const GENERIC_INSTITUTIONS: &[&str] = &["bank", "banks", "ministry", "ministries"];

/// Roles: an organisation span ending in one is a title ("Treasury Secretary").
const ROLES: &[&str] = &[
    "secretary",
    "minister",
    "chairman",
    "chairwoman",
    "president",
    "spokesman",
    "spokeswoman",
    "governor",
    "director",
    "officer",
    "executive",
    "analyst",
    "economist",
    "official",
    "officials",
    "leader",
    "chief",
    "head",
    "envoy",
    "ambassador",
    "treasurer",
    "commissioner",
    "deputy",
    "aide",
    "adviser",
    "advisor",
];

/// Party members after a name: not part of it ("the Kansas Republican").
const PARTY_MEMBERS: &[&str] = &["republican", "republicans", "democrat", "democrats"];

/// A word that ends a span without being part of the name: a month ("New York Dec"; not "May",
/// a surname) or a party member.
fn is_trailing(word: &str) -> bool {
    (super::wire::MONTHS.contains(&word) && word != "may") || PARTY_MEMBERS.contains(&word)
}

/// Shorthand of tables and wire copy: a name never holds one of these words.
const SHORTHAND: &[&str] = &[
    "dlrs", "dlr", "mths", "mth", "qtr", "qtrs", "shr", "shrs", "cts", "pct", "mln", "mlns", "bln", "blns", "revs",
    "avg", "oper", "vs", "qtly", "div", "nil", "yr", "yrs", "bpd", "bbl", "tonnes", "says", "said", "rose", "fell",
    "gnp", "gdp", "cpi", "class", "raises", "resigns", "sets", "cuts", "sees", "buys", "sells", "ups", "lifts", "ends",
    "wins", "plans",
];

const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "twenty",
    "thirty", "forty", "fifty", "hundred", "thousand", "million", "billion", "first", "second", "third", "fourth",
    "fifth", "half", "quarter", "dozen",
];

/// Words inside a name that may be lower case ("Bank of England", "Standard and Poor's").
const CONNECTORS: &[&str] = &[
    "of", "and", "&", "the", "for", "de", "da", "do", "dos", "du", "del", "della", "der", "den", "van", "von", "la",
    "le", "al", "el", "bin", "ibn", "y", "e", "di", "on", "in", "-", "'s", "’s", "'", "at", "und", "et",
];

struct Lists {
    demonyms: HashSet<&'static str>,
    common_words: HashSet<&'static str>,
}

fn list_file(text: &'static str) -> HashSet<&'static str> {
    text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')).collect()
}

fn lists() -> &'static Lists {
    static LISTS: OnceLock<Lists> = OnceLock::new();
    LISTS.get_or_init(|| Lists {
        demonyms: list_file(include_str!("gazetteer/demonyms.txt")),
        common_words: list_file(include_str!("gazetteer/common_words.txt")),
    })
}

fn bare(word: &str) -> String {
    word.trim_matches(|c: char| !c.is_alphanumeric()).replace('.', "").to_lowercase()
}

fn is_company_suffix(word: &str) -> bool {
    COMPANY_SUFFIXES.contains(&bare(word).as_str())
}

fn last_word(words: &[&str]) -> String {
    words.iter().rev().map(|word| bare(word)).find(|word| !word.is_empty()).unwrap_or_default()
}

/// Words that make a person span a company's or an institution's name ("Banque Paribas",
/// "Yamaichi International").
const ORGANISATION_WORDS: &[&str] = &[
    "international",
    "banque",
    "banco",
    "banca",
    "societe",
    "compagnie",
    "bank",
    "group",
    "holdings",
    "securities",
    "industries",
    "partners",
    "capital",
    "trust",
    "petroleum",
    "motors",
    "airlines",
    "airways",
    "electric",
    "oil",
    "chemical",
    "chemicals",
    "systems",
    "resources",
    "mines",
    "mining",
    "steel",
    "communications",
    "financial",
    "insurance",
    "investments",
    "foods",
    "products",
    "enterprises",
    "properties",
    "technologies",
    "energy",
    "gas",
    "dept",
    "department",
    "ministry",
    "school",
    "university",
    "college",
    "institute",
];

fn is_capitalised(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

/// The content words of a stretch (connectors and company suffixes aside) are all generic.
fn all_generic(words: &[&str]) -> bool {
    let content: Vec<String> = words
        .iter()
        .map(|word| bare(word))
        .filter(|word| !word.is_empty() && !CONNECTORS.contains(&word.as_str()) && !is_company_suffix(word))
        .collect();
    !content.is_empty() && content.iter().all(|word| GENERIC.contains(&word.as_str()))
}

/// Mends spans `(type, start, end)` over `words`: a company suffix after a span joins it ("Texaco
/// Inc", "E.F. Hutton and Co") and makes it a company; a company or institution whose
/// name opens with generic words joined by "and" keeps them ("Standard and Poor's Corp",
/// "Securities and Exchange Commission"), and a name the organisation gazetteer knows is taken
/// whole ("General Agreement on Tariffs and Trade"); an institution followed by "of" and a name
/// takes it in ("Chicago Board of Trade"); a partnership's names before a comma join it ("Smith
/// Barney, Harris Upham and Co"); a given name closing an organisation opens the person after
/// it ("the Exchequer Nigel Lawson"); a person span holding an organisation word, ending in a
/// suffix or an institution noun is an organisation ("Banque Paribas", "Drexel Burnham Lambert
/// Inc", "Reagan Administration").
pub fn repair(words: &[&str], spans: &mut Vec<(u8, usize, usize)>) {
    spans.sort_by_key(|span| span.1);
    let in_span = |spans: &[(u8, usize, usize)], at: usize| spans.iter().any(|span| span.1 <= at && at < span.2);
    let mut suffixed = vec![false; spans.len()];
    for index in 0..spans.len() {
        let (_, start, end) = spans[index];
        let starts_span = |at: usize| spans.iter().any(|span| span.1 == at);
        if end < words.len() && is_company_suffix(words[end]) && !starts_span(end) {
            spans[index] = (ORG, start, end + 1);
        } else if end + 1 < words.len()
            && matches!(words[end], "and" | "&")
            && is_company_suffix(words[end + 1])
            && !starts_span(end + 1)
        {
            spans[index] = (ORG, start, end + 2);
        } else if end + 1 < words.len() && matches!(words[end], "and" | "&") && is_company_suffix(words[end + 1]) {
            // "and" + a suffix the tagger gave a span of its own: that span goes.
            spans[index] = (ORG, start, end + 2);
            spans.iter_mut().filter(|span| span.1 == end + 1).for_each(|span| span.2 = span.1);
        }
        let (kind, start, end) = spans[index];
        let last = last_word(&words[start..end]);
        suffixed[index] = is_company_suffix(&last);
        let organisation_word = words[start..end].iter().any(|word| ORGANISATION_WORDS.contains(&bare(word).as_str()));
        if kind != ORG
            && (suffixed[index] || (kind == PERSON && (INSTITUTIONS.contains(&last.as_str()) || organisation_word)))
        {
            spans[index].0 = ORG;
        }
    }
    let kept: Vec<usize> = (0..spans.len()).filter(|index| spans[*index].1 < spans[*index].2).collect();
    let mut current: Vec<((u8, usize, usize), bool)> =
        kept.iter().map(|index| (spans[*index], suffixed[*index])).collect();
    // Generic words before "and": labelled outside any span, or a span of their own.
    for index in 0..current.len() {
        let ((kind, start, end), _) = current[index];
        let right_last = last_word(&words[start..end]);
        let company = kind == ORG
            && (is_company_suffix(&right_last) || INSTITUTIONS.contains(&right_last.as_str()) || right_last == "trade");
        if !company || start < 2 || !matches!(words[start - 1], "and" | "&") {
            continue;
        }
        let mut left = start - 1;
        while left > 0 && is_capitalised(words[left - 1]) && !in_span(&spans_of(&current), left - 1) {
            left -= 1;
        }
        if left < start - 1 && all_generic(&words[left..start - 1]) {
            current[index].0 = (ORG, left, end);
        }
    }
    // Joins across one connector.
    let mut merged: Vec<((u8, usize, usize), bool)> = Vec::with_capacity(current.len());
    for (span, suffix) in current {
        if let Some((previous, previous_suffix)) = merged.last_mut() {
            let (kind, start, end) = *previous;
            let gap_word = (span.1 == end + 1).then(|| words[end]);
            let right_last = last_word(&words[span.1..span.2]);
            let right_is_company = span.0 == ORG
                && (is_company_suffix(&right_last)
                    || INSTITUTIONS.contains(&right_last.as_str())
                    || right_last == "trade");
            let left_last = last_word(&words[start..end]);
            let joins = match gap_word {
                Some("and" | "&") => right_is_company && kind != PLACE && all_generic(&words[start..end]),
                Some("of") => kind == ORG && INSTITUTIONS.contains(&left_last.as_str()),
                Some(",") => {
                    kind == PERSON
                        && suffix
                        && end - start >= 2
                        && !gazetteers().first_names.contains(bare(words[start]).as_str())
                }
                _ => false,
            };
            if joins {
                *previous = (ORG, start, span.2);
                *previous_suffix = suffix;
                continue;
            }
        }
        merged.push((span, suffix));
    }
    // Names the organisation gazetteer knows, across a connector and the words before it (the
    // spans the tagger gave those words go).
    let mut swallowed = vec![false; merged.len()];
    for index in 0..merged.len() {
        let ((_, start, end), _) = merged[index];
        if start >= 2 && CONNECTORS.contains(&words[start - 1].to_lowercase().as_str()) {
            // Gazetteer names are a few words long: the walk goes back at most eight.
            let mut left = start - 1;
            let floor = start.saturating_sub(8);
            while left > floor && (is_capitalised(words[left - 1]) || CONNECTORS.contains(&words[left - 1])) {
                left -= 1;
                let text = words[left..end].join(" ");
                if super::gazetteer::canonical_name(crate::model::EntityKind::Org, &text).is_some() {
                    merged[index].0 = (ORG, left, end);
                    for (other, gone) in merged[..index].iter().zip(swallowed.iter_mut()) {
                        *gone |= other.0 .2 > left;
                    }
                    break;
                }
            }
        }
    }
    let merged: Vec<((u8, usize, usize), bool)> =
        merged.into_iter().zip(swallowed).filter(|(_, gone)| !gone).map(|(span, _)| span).collect();
    // A role inside an organisation span, or a given name closing one, opens the person after
    // it ("Defense Secretary Caspar Weinberger", "the Exchequer Nigel Lawson").
    let person_from = |from: usize| {
        let mut person_end = from + 1;
        while person_end < words.len() && is_capitalised(words[person_end]) {
            person_end += 1;
        }
        person_end
    };
    let mut out: Vec<(u8, usize, usize)> = Vec::with_capacity(merged.len());
    for ((kind, start, mut end), _) in merged {
        // A month or a party member after a name is not part of it ("New York Dec", "the Kansas
        // Republican").
        while end - start >= 2 && is_trailing(&bare(words[end - 1])) {
            end -= 1;
        }
        if kind == ORG {
            let role = (start..end.saturating_sub(1)).find(|at| ROLES.contains(&bare(words[*at]).as_str()));
            if let Some(role) = role.filter(|role| is_capitalised(words[role + 1])) {
                out.push((ORG, start, role));
                out.push((PERSON, role + 1, person_from(role + 1).max(end)));
                continue;
            }
            let given = end - start >= 2 && gazetteers().first_names.contains(bare(words[end - 1]).as_str());
            if given && end < words.len() && is_capitalised(words[end]) && !CONNECTORS.contains(&words[end]) {
                out.push((ORG, start, end - 1));
                out.push((PERSON, end - 1, person_from(end)));
                continue;
            }
        }
        out.push((kind, start, end));
    }
    out.retain(|span| span.1 < span.2);
    out.dedup_by(|later, earlier| later.1 < earlier.2);
    *spans = out;
}

fn spans_of(spans: &[((u8, usize, usize), bool)]) -> Vec<(u8, usize, usize)> {
    spans.iter().map(|(span, _)| *span).collect()
}

/// A single word opening a sentence that is a common lower-case word there ("Much of the debt").
pub fn is_common_word(word: &str) -> bool {
    lists().common_words.contains(word.to_lowercase().as_str())
}

/// `is_common_word` of a word already in lower case.
pub fn is_common_lower(lower: &str) -> bool {
    lists().common_words.contains(lower)
}

/// Whether the words of a span of `kind` are a name on their own.
pub fn is_name(kind: u8, words: &[&str]) -> bool {
    let bares: Vec<String> = words.iter().map(|word| bare(word)).filter(|word| !word.is_empty()).collect();
    if bares.is_empty() {
        return false;
    }
    // A name starts with a capital (or a figure: "3M").
    if !words.iter().find(|word| word.chars().any(char::is_alphanumeric)).is_some_and(|word| {
        word.chars().find(|c| c.is_alphanumeric()).is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
    }) {
        return false;
    }
    // Every other word capitalised, a figure or a connector.
    let lower_case_word = words.iter().any(|word| {
        let first = word.chars().find(|c| c.is_alphanumeric());
        first.is_some_and(char::is_lowercase) && !CONNECTORS.contains(&word.to_lowercase().as_str())
    });
    if lower_case_word {
        return false;
    }
    if bares.iter().any(|word| SHORTHAND.contains(&word.as_str())) {
        return false;
    }
    if bares.iter().all(|word| is_company_suffix(word) || CONNECTORS.contains(&word.as_str())) {
        return false;
    }
    if bares.iter().all(|word| NUMBER_WORDS.contains(&word.as_str())) {
        return false;
    }
    let phrase = words.iter().map(|word| word.to_lowercase()).collect::<Vec<_>>().join(" ");
    let lists = lists();
    if lists.demonyms.contains(phrase.as_str()) || lists.demonyms.contains(bares.join(" ").as_str()) {
        return false;
    }
    let content: Vec<&String> =
        bares.iter().filter(|word| !is_company_suffix(word) && !CONNECTORS.contains(&word.as_str())).collect();
    if content.len() == 1 && GENERIC.contains(&content[0].as_str()) {
        return false;
    }
    if GENERIC.contains(&phrase.as_str()) {
        return false;
    }
    // A dangling connector: "BANK OF".
    if CONNECTORS.contains(&bares[bares.len() - 1].as_str()) && bares[bares.len() - 1] != "'s" {
        return false;
    }
    let last = &bares[bares.len() - 1];
    if kind != PLACE
        && GENERIC_INSTITUTIONS.contains(&last.as_str())
        && bares[..bares.len() - 1].iter().all(|word| GENERIC_QUALIFIERS.contains(&word.as_str()))
    {
        return false;
    }
    if kind == ORG && ROLES.contains(&last.as_str()) {
        return false;
    }
    // An abbreviation alone ("St.", "Ft."), not an initialism ("U.S.").
    if words.len() == 1
        && words[0].ends_with('.')
        && !words[0][..words[0].len() - 1].contains('.')
        && bares[0].len() <= 3
    {
        return false;
    }
    if kind == PERSON && bares.len() == 1 {
        let word = &bares[0];
        // A lone given name, or a lone initial.
        if gazetteers().first_names.contains(word.as_str()) || word.chars().count() == 1 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(text: &str, spans: &[(u8, usize, usize)]) -> Vec<String> {
        let words: Vec<&str> = text.split(' ').collect();
        let mut spans = spans.to_vec();
        repair(&words, &mut spans);
        spans.iter().map(|(kind, start, end)| format!("{kind}:{}", words[*start..*end].join(" "))).collect()
    }

    #[test]
    fn company_names_keep_their_whole_span() {
        assert_eq!(
            repaired("by Standard and Poor 's Corp today", &[(2, 1, 2), (2, 3, 6)]),
            vec!["2:Standard and Poor 's Corp"]
        );
        assert_eq!(
            repaired("the Securities and Exchange Commission said", &[(2, 1, 2), (2, 3, 5)]),
            vec!["2:Securities and Exchange Commission"]
        );
        assert_eq!(repaired("shares of Texaco Inc fell", &[(1, 2, 3)]), vec!["2:Texaco Inc"]);
        assert_eq!(repaired("said E.F. Hutton and Co analyst", &[(1, 1, 3)]), vec!["2:E.F. Hutton and Co"]);
        assert_eq!(
            repaired("the Chicago Board of Trade said", &[(2, 1, 3), (2, 4, 5)]),
            vec!["2:Chicago Board of Trade"]
        );
        assert_eq!(repaired("the Reagan Administration said", &[(1, 1, 3)]), vec!["2:Reagan Administration"]);
        assert_eq!(
            repaired("said Defense Secretary Caspar Weinberger today", &[(2, 1, 4), (1, 4, 5)]),
            vec!["2:Defense", "1:Caspar Weinberger"]
        );
        assert_eq!(repaired("in New York Dec 3", &[(3, 1, 4)]), vec!["3:New York"]);
        // People joined by "and" stay apart.
        assert_eq!(
            repaired("James Baker and Paul Volcker met", &[(1, 0, 2), (1, 3, 5)]),
            vec!["1:James Baker", "1:Paul Volcker"]
        );
    }

    fn name(kind: u8, text: &str) -> bool {
        is_name(kind, &text.split(' ').collect::<Vec<_>>())
    }

    #[test]
    fn what_is_never_a_name_alone() {
        for (kind, text) in [
            (PERSON, "Co"),
            (ORG, "Corp"),
            (ORG, "Co Inc"),
            (ORG, "Bank"),
            (ORG, "Commission"),
            (ORG, "Federal"),
            (ORG, "Board"),
            (ORG, "Finance Ministry"),
            (ORG, "Central Bank"),
            (ORG, "BANK OF"),
            (ORG, "Treasury Secretary"),
            (PERSON, "Kuwaiti"),
            (PLACE, "West German"),
            (PERSON, "Latin American"),
            (PERSON, "Robert"),
            (PERSON, "J."),
            (PERSON, "Nine Mths"),
            (PERSON, "H.K. Dlrs"),
            (PERSON, "Nine"),
            (PERSON, "rose"),
        ] {
            assert!(!name(kind, text), "{text} is not a name");
        }
        for (kind, text) in [
            (PERSON, "James Baker"),
            (PERSON, "Volcker"),
            (ORG, "Bank of England"),
            (ORG, "Federal Reserve"),
            (ORG, "Securities and Exchange Commission"),
            (ORG, "Standard and Poor's Corp"),
            (ORG, "Commerce Department"),
            (ORG, "Treasury"),
            (PLACE, "New York"),
            (ORG, "3M"),
        ] {
            assert!(name(kind, text), "{text} is a name");
        }
    }
}
