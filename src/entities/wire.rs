//! What an article's text holds besides prose, found before anything is tagged: credit lines
//! (the wire's sign-off "Reuter", "(AP)", bylines, "Editing by …"), datelines ("WASHINGTON, Feb
//! 26 -"), tables and financial shorthand ("Shr 1.23 dlrs vs 1.10", "Nine mths"), and passages
//! whose casing carries no signal (ALL-CAPS headlines and bulletins, Title Case headings). Hard
//! line wraps are joined back into paragraphs, so a name broken over two lines stays one name.

use std::ops::Range;

/// How a passage is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Running text: tagged as it is.
    Prose,
    /// In capitals: the words are given the casing the article's prose uses for them before
    /// tagging, and only names the prose or the gazetteers confirm are kept.
    Capitals,
    /// A Title Case heading: every word looks like a name, so only names the prose or the
    /// gazetteers confirm are kept.
    Heading,
}

/// A stretch of the text to tag: byte ranges of its lines (a paragraph wrapped over several
/// lines is one passage) and how to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    pub lines: Vec<Range<usize>>,
    pub reading: Reading,
}

/// Words of financial tables and their row labels ("Shr 1.23 dlrs vs 1.10", "Nine mths",
/// "Net profit").
const TABLE_WORDS: &[&str] = &[
    "dlrs", "dlr", "mths", "mth", "qtr", "qtrs", "shr", "shrs", "cts", "ct", "pct", "mln", "mlns", "bln", "blns",
    "revs", "avg", "oper", "vs", "nil", "yr", "yrs", "wk", "wks", "tonnes", "oz", "bbl", "bpd", "div", "qtly", "pay",
    "prior", "rec", "record", "one", "two", "three", "four", "six", "nine", "twelve", "months", "weeks", "year",
    "quarter", "first", "second", "third", "fourth", "net", "loss", "profit", "sales", "revenues", "earnings",
    "turnover", "note", "notes", "shares", "per", "share", "inc", "corp", "co", "ltd", "n.a", "na", "nc", "x", "y",
    "and", "or",
];

/// Lines that credit rather than report: a sign-off alone on its line, bylines, editing and
/// reporting credits, copyright lines. Credits open their line: only a line that starts a
/// paragraph (`opens_paragraph`) is read for them, so a wrapped line "follow Texaco's lead …"
/// stays prose; a sign-off alone is one anywhere.
fn is_credit_line(line: &str, opens_paragraph: bool) -> bool {
    let line = line.trim();
    let bare = line.strip_suffix("^M").unwrap_or(line).trim_end_matches(['.', ' ']);
    let lower = bare.to_lowercase();
    let lower = lower.trim_matches(|c: char| c == '(' || c == ')' || c == '-' || c == ' ');
    const SIGN_OFFS: &[&str] = &["reuter", "reuters", "ap", "afp", "upi", "dpa", "more", "end", "xinhua", "bloomberg"];
    if SIGN_OFFS.contains(&lower) {
        return true;
    }
    if !opens_paragraph {
        return false;
    }
    const CREDITS: &[&str] = &[
        "reporting by",
        "editing by",
        "writing by",
        "additional reporting by",
        "compiled by",
        "written by",
        "photo:",
        "photograph:",
        "photo by",
        "credit:",
        "copyright",
        "©",
        "(c)",
        "all rights reserved",
        "follow ",
        "contact ",
        "email ",
    ];
    if CREDITS.iter().any(|credit| lower.starts_with(credit)) {
        return true;
    }
    // A byline: "By Jane Smith" (and perhaps ", Reuters" or a role), short and capitalised.
    if let Some(rest) = bare.strip_prefix("By ").or_else(|| bare.strip_prefix("BY ")) {
        let words: Vec<&str> = rest.split_whitespace().collect();
        return !words.is_empty()
            && words.len() <= 8
            && words.iter().filter(|word| word.chars().next().is_some_and(char::is_uppercase)).count() * 2
                >= words.len();
    }
    false
}

fn is_number_like(word: &str) -> bool {
    let word = word.trim_matches(|c: char| "()[],;:%$*+".contains(c));
    !word.is_empty()
        && word.chars().any(|c| c.is_ascii_digit())
        && word.chars().all(|c| c.is_ascii_digit() || ".,-/%$:+".contains(c) || c.is_alphabetic())
        && word.chars().filter(|c| c.is_alphabetic()).count() <= 2
}

fn is_table_word(word: &str) -> bool {
    let lower = word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    lower.is_empty() || TABLE_WORDS.contains(&lower.as_str())
}

/// A table row or a line of financial shorthand: mostly figures and shorthand, or columns
/// aligned by runs of spaces around figures.
pub fn is_table_line(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.is_empty() {
        return false;
    }
    let figures = words.iter().filter(|word| is_number_like(word)).count();
    let shorthand = words.iter().filter(|word| !is_number_like(word) && is_table_word(word)).count();
    let dashes = words.iter().filter(|word| word.chars().all(|c| c == '-')).count();
    let columns = line.trim().matches("   ").count();
    // Three words in four figures or table words: prose about figures ("net income rose to 12.3
    // mln dlrs from 10.1 mln") has more words around them.
    (figures + dashes > 0 && (figures + shorthand + dashes) * 4 >= words.len() * 3)
        || (shorthand == words.len() && words.len() <= 4)
        || (columns >= 2 && figures + dashes > 0)
}

/// Month names and their wire abbreviations (lower case).
pub const MONTHS: &[&str] = &[
    "jan",
    "feb",
    "mar",
    "march",
    "apr",
    "april",
    "may",
    "jun",
    "june",
    "jul",
    "july",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "january",
    "february",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The length in bytes of a dateline opening `line` ("WASHINGTON, Feb 26 - ", "SAN FRANCISCO,
/// Calif., March 3 - ", "MOSCOW (AP) — "), if it has one.
pub fn dateline_length(line: &str) -> Option<usize> {
    let window = &line[..line.char_indices().nth(80).map(|(at, _)| at).unwrap_or(line.len())];
    let (at, dash) = [" - ", " -- ", " — ", " – ", " -\t"]
        .iter()
        .filter_map(|dash| window.find(dash).map(|at| (at, dash.len())))
        .min_by_key(|(at, _)| *at)?;
    let prefix = &line[..at];
    let words: Vec<&str> = prefix.split_whitespace().collect();
    let first = words.first()?;
    let first_letters: Vec<char> = first.chars().filter(|c| c.is_alphabetic()).collect();
    if words.len() > 9 || first_letters.len() < 2 || !first_letters.iter().all(|c| c.is_uppercase()) {
        return None;
    }
    let lower_words: Vec<String> =
        words.iter().map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()).collect();
    let dated = lower_words
        .windows(2)
        .any(|pair| MONTHS.contains(&pair[0].as_str()) && pair[1].chars().next().is_some_and(|c| c.is_ascii_digit()));
    let agency = prefix.contains("(AP)") || prefix.contains("(Reuters)") || prefix.contains("(AFP)");
    let capitals = prefix.chars().filter(|c| c.is_alphabetic()).all(|c| c.is_uppercase());
    (dated || agency || capitals).then_some(at + dash)
}

/// The length of a Title Case lead-in ending in a colon that opens a line ("1. New Hope for
/// Peace: …", "Key points: …"), up to the colon.
fn lead_in_length(line: &str) -> Option<usize> {
    let colon = line.find(": ")?;
    let lead = &line[..colon];
    let words: Vec<&str> = lead.split_whitespace().filter(|word| word.chars().any(char::is_alphabetic)).collect();
    let capitalised = words.iter().filter(|word| word.chars().next().is_some_and(char::is_uppercase)).count();
    // "President Reagan said: …" is a quotation, not a heading.
    const SPEECH: &[&str] =
        &["said", "says", "told", "added", "asked", "stated", "declared", "announced", "warned", "wrote"];
    let speech = words.iter().any(|word| SPEECH.contains(&word.to_lowercase().as_str()));
    (!speech && words.len() >= 2 && words.len() <= 8 && capitalised * 3 >= words.len() * 2).then_some(colon)
}

/// Mostly capitals (at least four letters, nine in ten of them upper case).
pub fn is_capitals(text: &str) -> bool {
    let (mut upper, mut letters) = (0usize, 0usize);
    for character in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        upper += character.is_uppercase() as usize;
    }
    letters >= 4 && upper * 10 >= letters * 9
}

/// A heading such as "A Dicey Dance Between Two Giants": no final punctuation and every longer
/// word capitalised.
pub fn is_title_case_heading(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    let long: Vec<&&str> = words.iter().filter(|word| word.chars().filter(|c| c.is_alphabetic()).count() > 3).collect();
    let ends_like_prose = text.trim_end().ends_with(['.', '!', '?', '"', '”']);
    !ends_like_prose
        && long.len() >= 3
        && long.iter().all(|word| word.chars().find(|c| c.is_alphabetic()).is_some_and(char::is_uppercase))
}

fn reading_of(text: &str) -> Reading {
    if is_capitals(text) {
        Reading::Capitals
    } else if is_title_case_heading(text) {
        Reading::Heading
    } else {
        Reading::Prose
    }
}

/// The passages of an article to tag: the title alone, then the body's paragraphs, without
/// credits, tables and the dateline.
pub fn passages(title: &str, body: &str, body_offset: usize) -> Vec<Passage> {
    let mut out = Vec::new();
    let title_line = trimmed_range(title, 0..title.len());
    if !title_line.is_empty() {
        out.push(Passage { reading: reading_of(&title[title_line.clone()]), lines: vec![title_line] });
    }
    let mut paragraph: Vec<Range<usize>> = Vec::new();
    let mut previous_length = 0usize;
    let mut first_text_line = true;
    let flush = |paragraph: &mut Vec<Range<usize>>, out: &mut Vec<Passage>| {
        if paragraph.is_empty() {
            return;
        }
        let lines = std::mem::take(paragraph);
        let text: String = lines
            .iter()
            .map(|line| &body[line.start - body_offset..line.end - body_offset])
            .collect::<Vec<_>>()
            .join(" ");
        out.push(Passage { reading: reading_of(&text), lines });
    };
    let mut start = 0;
    for raw in body.split_inclusive('\n') {
        let line_start = start;
        start += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let mut range = trimmed_range(body, line_start..line_start + line.len());
        let text = &body[range.clone()];
        let indented = line.starts_with("  ") || line.starts_with('\t');
        let opens_paragraph = paragraph.is_empty() || indented || previous_length < 40;
        if text.is_empty() || is_credit_line(text, opens_paragraph) || is_table_line(text) {
            flush(&mut paragraph, &mut out);
            previous_length = 0;
            continue;
        }
        if first_text_line {
            first_text_line = false;
            if let Some(length) = dateline_length(text) {
                range.start += length;
                range = trimmed_range(body, range);
                if range.is_empty() {
                    continue;
                }
            }
        }
        // A lead-in heading ("1. New Hope for Peace: Peace talks were …") is a heading of its own.
        if let Some(length) = lead_in_length(&body[range.clone()]).filter(|_| opens_paragraph) {
            flush(&mut paragraph, &mut out);
            let heading = trimmed_range(body, range.start..range.start + length);
            let lead_in = heading.start + body_offset..heading.end + body_offset;
            out.push(Passage { reading: Reading::Heading, lines: vec![lead_in] });
            range = trimmed_range(body, range.start + length + 1..range.end);
            if range.is_empty() {
                previous_length = 0;
                continue;
            }
        }
        let text = &body[range.clone()];
        // A new paragraph: an indented line, or one after a short line (a heading, a list item).
        let continues = !paragraph.is_empty() && !indented && previous_length >= 40;
        if !continues {
            flush(&mut paragraph, &mut out);
        }
        previous_length = text.len();
        paragraph.push(range.start + body_offset..range.end + body_offset);
    }
    flush(&mut paragraph, &mut out);
    strip_trailing_credit(body, body_offset, &mut out);
    out
}

/// A sign-off or credit at the end of the last paragraph ("… said. Reuter", "(Reporting by …)").
fn strip_trailing_credit(body: &str, body_offset: usize, passages: &mut Vec<Passage>) {
    let Some(last) = passages.last_mut() else { return };
    let Some(line) = last.lines.last_mut() else { return };
    if line.start < body_offset {
        return;
    }
    let text = &body[line.start - body_offset..line.end - body_offset];
    let mut keep = text.len();
    for sign_off in [" Reuter", " REUTER", " Reuters", " (AP)", " (Reuters)"] {
        if let Some(stripped) = text.strip_suffix(sign_off) {
            keep = keep.min(stripped.len());
        }
    }
    for credit in ["(Reporting by", "(Editing by", "(Writing by", "(Additional reporting by", "Editing by "] {
        if let Some(at) = text.rfind(credit) {
            keep = keep.min(at);
        }
    }
    line.end = line.start + text[..keep].trim_end().len();
    if line.start >= line.end {
        last.lines.pop();
        if last.lines.is_empty() {
            passages.pop();
        }
    }
}

fn trimmed_range(text: &str, range: Range<usize>) -> Range<usize> {
    let slice = &text[range.clone()];
    let start = range.start + (slice.len() - slice.trim_start().len());
    let end = range.start + slice.trim_end().len();
    start..end.max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(title: &str, body: &str) -> Vec<(Reading, String)> {
        let text = format!("{title}\n{body}");
        passages(title, body, title.len() + 1)
            .into_iter()
            .map(|passage| {
                let joined = passage.lines.iter().map(|line| &text[line.clone()]).collect::<Vec<_>>().join(" ");
                (passage.reading, joined)
            })
            .collect()
    }

    #[test]
    fn credits_tables_and_datelines_are_not_read() {
        let body = "WASHINGTON, Feb 26 - The U.S. Agriculture Department said prices of the\n\
                    farm reserve rose, James Baker told reporters.\n\
                    \x20   Shr 1.23 dlrs vs 1.10 dlrs\n\
                    \x20   Nine mths\n\
                    \x20   Net 12.3 mln vs 10.1 mln\n\
                    \x20Reuter\n";
        let read = texts("BAKER SAYS U.S. PRICES ROSE", body);
        assert_eq!(
            read,
            vec![
                (Reading::Capitals, "BAKER SAYS U.S. PRICES ROSE".to_string()),
                (
                    Reading::Prose,
                    "The U.S. Agriculture Department said prices of the farm reserve rose, James Baker told reporters."
                        .to_string()
                ),
            ]
        );
    }

    #[test]
    fn datelines_of_several_styles() {
        for line in ["SAN FRANCISCO, Calif., March 3 - Shares", "MOSCOW (AP) — The", "NEW YORK - Stocks"] {
            let length = dateline_length(line).expect(line);
            assert!(line[length..].starts_with(char::is_uppercase), "{line}");
        }
        assert_eq!(dateline_length("The Fed - and the Treasury - agreed"), None);
        assert_eq!(dateline_length("Mr. Baker - who spoke first - said"), None);
    }

    #[test]
    fn bylines_and_credits() {
        for line in [
            "By Jane Smith",
            "BY JANE SMITH, REUTERS",
            "(Reporting by Jane Smith; Editing by Tom Brown)",
            "REUTER^M",
            "Reuter...",
        ] {
            assert!(is_credit_line(line, true), "{line}");
        }
        assert!(!is_credit_line("By the end of the year, prices rose.", true));
        // A wrapped line of prose that happens to start like a credit is prose.
        assert!(!is_credit_line("follow Texaco Inc's lead in cutting prices, traders said.", false));
        assert!(is_credit_line("Reuter", false));
    }

    #[test]
    fn sign_off_at_the_end_of_the_last_paragraph() {
        let read = texts("Oil prices rose", "Prices rose on Monday, traders in London said. Reuter");
        assert_eq!(read.last().unwrap().1, "Prices rose on Monday, traders in London said.");
        let read = texts("", "Prices rose. (Reporting by Jane Smith; Editing by Tom Brown)");
        assert_eq!(read.last().unwrap().1, "Prices rose.");
    }

    #[test]
    fn title_case_and_capitals() {
        assert_eq!(reading_of("A Dicey Dance Between Two Giants"), Reading::Heading);
        assert_eq!(reading_of("NINE MTHS SHR PROFIT"), Reading::Capitals);
        assert_eq!(reading_of("Putin and Trump met in Alaska on Friday."), Reading::Prose);
    }
}
