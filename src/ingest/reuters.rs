//! Reuters-21578 SGML. Not XML: control-character references, unescaped `>`, one latin-1 byte.
//! Stories are keyed on NEWID; PEOPLE/PLACES/ORGS/TOPICS become entities and topics.

use super::dates::parse_reuters_date;
use super::Record;
use crate::model::{Article, DateRule, Entity, EntityKind};

/// Parses every `<REUTERS …>…</REUTERS>` element of a file's text.
pub fn parse(file: &str, text: &str) -> Vec<Record> {
    let mut records = Vec::new();
    let mut rest = text;
    let mut line = 1;
    while let Some(start) = rest.find("<REUTERS") {
        line += count_lines(&rest[..start]);
        let element = &rest[start..];
        let location = format!("{file}:{line}");
        let Some(end) = element.find("</REUTERS>") else {
            records.push(Record::rejected(location, "unterminated <REUTERS> element (no </REUTERS>)"));
            break;
        };
        // A second opening tag before the close means this element was cut short.
        let body = &element[..end];
        if let Some(nested) = body[1..].find("<REUTERS") {
            records.push(Record::rejected(
                location,
                "unterminated <REUTERS> element (next story starts before </REUTERS>)",
            ));
            line += count_lines(&element[..nested + 1]);
            rest = &element[nested + 1..];
            continue;
        }
        records.push(match parse_story(body) {
            Ok(article) => Record::accepted(location, article),
            Err(reason) => Record::rejected(location, reason),
        });
        let consumed = end + "</REUTERS>".len();
        line += count_lines(&element[..consumed]);
        rest = &element[consumed..];
    }
    records
}

fn count_lines(text: &str) -> usize {
    text.bytes().filter(|byte| *byte == b'\n').count()
}

fn parse_story(element: &str) -> Result<Article, String> {
    let open_tag = &element[..element.find('>').ok_or("malformed <REUTERS> tag")?];
    let new_id = attribute(open_tag, "NEWID").ok_or("missing NEWID attribute")?;
    if new_id.is_empty() || !new_id.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(format!("NEWID {new_id:?} is not a number"));
    }
    let text_tag_type = element.find("<TEXT").map(|at| &element[at..]).and_then(|text| {
        let tag = &text[..text.find('>')?];
        attribute(tag, "TYPE")
    });
    let raw_title = inner(element, "TITLE").map(decode).unwrap_or_default();
    let mut title = collapse_spaces(&raw_title);
    let mut body = inner(element, "BODY").map(|body| reflow(&decode(body))).unwrap_or_default();
    // The dateline ("SALVADOR, Feb 26 -") opens the wire text: keep it in front of the body.
    let dateline = inner(element, "DATELINE").map(|dateline| collapse_spaces(&decode(dateline))).unwrap_or_default();
    if !dateline.is_empty() && !body.is_empty() {
        body = format!("{dateline} {body}");
    }
    if text_tag_type.as_deref() == Some("UNPROC") && body.is_empty() {
        let text = inner(element, "TEXT").map(decode).unwrap_or_default();
        body = reflow(&text);
        if title.is_empty() {
            // Trimmed as every parser's title is: cut at 120 characters, it may end in a space.
            let opening: String =
                body.lines().find(|line| !line.trim().is_empty()).unwrap_or("").chars().take(120).collect();
            title = opening.trim().to_string();
        }
    }
    if title.is_empty() && body.is_empty() {
        return Err("story has neither TITLE nor BODY".into());
    }
    let date_text = inner(element, "DATE").map(decode).unwrap_or_default();
    let published_at = parse_reuters_date(&date_text);
    let mut entities = Vec::new();
    for (tag, kind) in [("PEOPLE", EntityKind::Person), ("ORGS", EntityKind::Org), ("PLACES", EntityKind::Place)] {
        for slug in list(element, tag) {
            entities.push(Entity { brought: true, ..Entity::new(kind, display_name(&slug, kind)) });
        }
    }
    Ok(Article {
        source_key: format!("reuters:{new_id}"),
        url: None,
        title,
        body,
        date_rule: if published_at.is_some() { DateRule::Metadata } else { DateRule::Unknown },
        published_at,
        source: "Reuters".into(),
        lang: crate::model::Lang::english(),
        entities,
        topics: list(element, "TOPICS"),
        authors: Vec::new(),
    })
}

/// The value of `NAME="value"` in an opening tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = tag[at..].find('"')?;
    Some(tag[at..at + end].to_string())
}

/// The raw text between `<TAG…>` and `</TAG>`.
fn inner<'a>(element: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}");
    let mut search_from = 0;
    let start = loop {
        let at = search_from + element[search_from..].find(&open)?;
        let next = element[at + open.len()..].chars().next()?;
        if next == '>' || next == ' ' {
            break at;
        }
        search_from = at + open.len();
    };
    let content_start = start + element[start..].find('>')? + 1;
    let end =
        element[content_start..].find(&format!("</{tag}>")).map(|end| content_start + end).unwrap_or(element.len());
    Some(&element[content_start..end])
}

/// The `<D>value</D>` items of a list element.
fn list(element: &str, tag: &str) -> Vec<String> {
    let Some(content) = inner(element, tag) else { return Vec::new() };
    content
        .split("<D>")
        .filter_map(|item| item.split("</D>").next())
        .map(|item| decode(item).trim().to_string())
        .filter(|item| !item.is_empty())
        .collect()
}

/// Decodes the SGML character references the collection uses; control characters are dropped.
pub fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let candidate = &rest[at..];
        // Bytes, not a string slice: the tenth byte may fall inside a character.
        let Some(semicolon) = candidate.bytes().take(10).position(|byte| byte == b';') else {
            out.push('&');
            rest = &candidate[1..];
            continue;
        };
        let entity = &candidate[1..semicolon];
        let replacement = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity.strip_prefix('#').and_then(|number| number.parse::<u32>().ok()).map(|code| {
                char::from_u32(code).filter(|c| !c.is_control() || *c == '\n' || *c == '\t').unwrap_or('\u{0}')
            }),
        };
        match replacement {
            Some('\u{0}') => {}
            Some(character) => out.push(character),
            None => out.push_str(&candidate[..=semicolon]),
        }
        rest = &candidate[semicolon + 1..];
    }
    out.push_str(rest);
    out.retain(|c| !c.is_control() || c == '\n' || c == '\t');
    out
}

/// Reuters bodies are hard-wrapped with paragraphs indented by spaces: rejoin the lines of each
/// paragraph and drop the trailing "Reuter" sign-off.
fn reflow(text: &str) -> String {
    let mut paragraphs: Vec<String> = Vec::new();
    for line in text.lines() {
        let starts_paragraph = line.starts_with("  ") || line.starts_with('\t');
        let trimmed = line.trim();
        if trimmed.is_empty() {
            paragraphs.push(String::new());
            continue;
        }
        match paragraphs.last_mut() {
            Some(last) if !starts_paragraph && !last.is_empty() => {
                last.push(' ');
                last.push_str(trimmed);
            }
            _ => paragraphs.push(trimmed.to_string()),
        }
    }
    let mut body: Vec<String> = paragraphs.into_iter().filter(|paragraph| !paragraph.is_empty()).collect();
    if let Some(last) = body.last_mut() {
        for sign_off in [" Reuter", " REUTER"] {
            if let Some(stripped) = last.strip_suffix(sign_off) {
                *last = stripped.trim_end().to_string();
            }
        }
        if last == "Reuter" || last == "REUTER" {
            body.pop();
        }
    }
    body.join("\n\n")
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reuters tags are lower-case slugs (`james-baker`, `usa`, `opec`): map them to display names.
/// Names the gazetteers know take their canonical form (`usa` → "United States").
pub fn display_name(slug: &str, kind: EntityKind) -> String {
    if let Some(canonical) = crate::entities::gazetteer::canonical_name(kind, &slug.replace('-', " ")) {
        return canonical;
    }
    if kind == EntityKind::Org && slug.len() <= 6 && !slug.contains('-') {
        return slug.to_uppercase();
    }
    slug.split('-')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|first| first.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "<REUTERS TOPICS=\"YES\" NEWID=\"7\">\n<DATE> 2-MAR-1987 10:00:00.00</DATE>\n\
        <TOPICS><D>crude</D></TOPICS>\n<PLACES><D>usa</D><D>el-salvador</D></PLACES>\n<PEOPLE><D>james-baker</D></PEOPLE>\n\
        <ORGS><D>opec</D></ORGS>\n<TEXT>&#2;\n<TITLE>OIL &lt;PRICES&gt; RISE</TITLE>\n<DATELINE>    HOUSTON, March 2 - </DATELINE><BODY>Prices rose\ntoday &amp; more.\n    New paragraph here.\n Reuter\n&#3;</BODY></TEXT>\n</REUTERS>\n";

    /// Found by the crash loop: an untitled story's title, its body's first 120 characters,
    /// kept the space at the cut, so `dump` and `ingest` did not give the same article back.
    #[test]
    fn crash_loop_an_untitled_story_has_a_trimmed_title() {
        let words = "MIDLAND RIGHTS ISSUE STILL EXPECTED SAY ANALYSTS LONDON, March 4 - Midland Bank Plc's 1986 year results do suggest that ";
        let story = format!(
            "<REUTERS NEWID=\"9\">\n<DATE> 4-MAR-1987 10:00:00.00</DATE>\n<TEXT TYPE=\"UNPROC\">&#2;\n{words}a rights issue is near.\n Reuter\n&#3;</TEXT>\n</REUTERS>\n"
        );
        assert_eq!(words.chars().count(), 120, "the cut falls just after a space");
        let records = parse("f.sgm", &story);
        let article = records[0].result.as_ref().unwrap();
        assert_eq!(article.title, words.trim_end());
    }

    #[test]
    fn parses_a_story() {
        let records = parse("f.sgm", STORY);
        assert_eq!(records.len(), 1);
        let article = records[0].result.as_ref().unwrap();
        assert_eq!(article.source_key, "reuters:7");
        assert_eq!(article.title, "OIL <PRICES> RISE");
        assert_eq!(article.body, "HOUSTON, March 2 - Prices rose today & more.\n\nNew paragraph here.");
        assert_eq!(article.published_at.unwrap().to_rfc3339(), "1987-03-02T10:00:00+00:00");
        assert_eq!(article.topics, vec!["crude"]);
        let names: Vec<_> = article.entities.iter().map(|e| (e.kind, e.name.as_str())).collect();
        assert!(names.contains(&(EntityKind::Person, "James Baker")));
        assert!(names.contains(&(EntityKind::Place, "United States")));
        assert!(names.contains(&(EntityKind::Place, "El Salvador")));
        assert!(names.contains(&(EntityKind::Org, "OPEC")));
    }

    #[test]
    fn broken_story_is_rejected_with_its_line() {
        let text = format!("<!DOCTYPE x>\n{STORY}<REUTERS NEWID=\"8\">\n<TEXT><TITLE>cut");
        let records = parse("f.sgm", &text);
        assert_eq!(records.len(), 2);
        assert!(records[0].result.is_ok());
        assert_eq!(records[1].location, "f.sgm:16");
        assert!(records[1].result.as_ref().unwrap_err().contains("unterminated"));
    }

    #[test]
    fn control_references_are_dropped() {
        assert_eq!(decode("a&#5;&#30;b &#127;c &lt;d"), "ab c <d");
    }
}
