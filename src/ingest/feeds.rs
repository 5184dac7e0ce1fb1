//! RSS 0.9x/1.0/2.0, Atom and JSON Feed (parsed by feed-rs): one article per item.
//!
//! Feeds in the wild need help before a parser sees them: bytes in the charset the prolog declares
//! or none at all (we decode to UTF-8 first), `<rss>` without a version, dates in Portuguese or with
//! `EST` (our own date parser is plugged in), relative links (resolved against the feed's site),
//! FeedBurner's `origLink` (the publisher's address, preferred over the redirect), and truncated
//! downloads (the complete items are kept, the rest reported).

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Feed, Text};

use super::dates::{date_from_text_at, parse_date};
use super::urls::{host, normalise_url};
use super::{html, lang, Record};
use crate::model::{midnight, Article, DateRule};

/// Where a feed came from: its address when fetched (the base for relative links), the source
/// name configured for it, and when it was fetched (the reference for relative dates).
#[derive(Debug, Clone, Default)]
pub struct FeedContext {
    pub url: Option<String>,
    pub source: Option<String>,
    pub fetched_at: Option<DateTime<Utc>>,
}

/// Whether bytes look like a feed rather than an HTML page or other XML.
pub fn looks_like_feed(head: &str) -> bool {
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with('{') {
        return head.contains("jsonfeed.org/version");
    }
    head.contains("<rss") || head.contains("<rdf:RDF") || head.contains("<feed") && head.contains("Atom")
}

/// Parses one feed document into records, one per item, located at the item's line.
pub fn parse(display: &str, bytes: &[u8], context: &FeedContext) -> Vec<Record> {
    let (text, _) = html::decode(bytes);
    let text = prepare_xml(&text);
    let items = scan_items(&text);
    let (feed, truncation) = match parse_feed(&text) {
        Ok(feed) => (feed, None),
        Err(error) => match repair_truncated(&text).map(|repaired| parse_feed(&repaired)) {
            Some(Ok(feed)) => (feed, Some(error)),
            _ => return vec![Record::rejected(format!("{display}:1"), format!("not a readable feed: {error}"))],
        },
    };
    let base = feed_base(&feed, context);
    let source = context
        .source
        .clone()
        .or_else(|| feed.title.as_ref().map(|title| html::to_text(&title.content)).filter(|title| !title.is_empty()))
        .or_else(|| base.as_deref().and_then(host))
        .unwrap_or_else(|| "feed".into());
    // The language the feed declares, else the one its items are written in taken together
    // (a single headline is often too short to tell).
    let feed_lang = feed.language.as_deref().and_then(crate::model::Lang::parse).or_else(|| {
        let all: String = feed
            .entries
            .iter()
            .map(|entry| format!("{}\n{}\n", text_of(&entry.title), text_of(&entry.summary)))
            .collect();
        Some(lang::detect(&all, None)).filter(|detected| !detected.is_undetermined())
    });
    let mut records: Vec<Record> = feed
        .entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let scanned = items.get(index).filter(|_| items.len() >= feed.entries.len());
            let location = format!("{display}:{}", scanned.map_or(1, |item| item.line));
            let orig_link = scanned.and_then(|item| item.orig_link.as_deref());
            match entry_article(
                entry,
                &feed,
                orig_link,
                base.as_deref(),
                &source,
                feed_lang.as_ref().map(crate::model::Lang::as_str),
                context,
            ) {
                Ok(article) => Record::accepted(location, article),
                Err(reason) => Record::rejected(location, reason),
            }
        })
        .collect();
    // Items the parser did not hand over (an unknown namespace, a malformed element) are reported,
    // never silently lost.
    if truncation.is_none() && items.len() > feed.entries.len() {
        for item in &items[feed.entries.len()..] {
            records.push(Record::rejected(
                format!("{display}:{}", item.line),
                "item not understood by the feed parser (unexpected namespace or structure)",
            ));
        }
    }
    if let Some(error) = truncation {
        let line = items.get(feed.entries.len()).map_or(text.lines().count(), |item| item.line);
        records.push(Record::rejected(
            format!("{display}:{line}"),
            format!("feed is cut off after item {}; the rest is unreadable: {error}", feed.entries.len()),
        ));
    }
    records
}

fn parse_feed(xml: &str) -> Result<Feed, feed_rs::parser::ParseFeedError> {
    feed_rs::parser::Builder::new().timestamp_parser(parse_date).sanitize_content(false).build().parse(xml.as_bytes())
}

/// The text feed-rs gets: every XML declaration says UTF-8 (we decoded the bytes already; a
/// second declaration, as in two feeds pasted together, would otherwise make quick-xml switch
/// decoders mid-stream, which it refuses with a panic) and an `<rss>` root without a version is
/// read as RSS 2.0, which is what such feeds are.
fn prepare_xml(text: &str) -> String {
    const UTF8_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
    let mut text = text.trim_start_matches('\u{feff}').to_string();
    let mut from = 0;
    while let Some(found) = find_tag(&text[from..], "?xml") {
        let start = from + found;
        let Some(end) = text[start..].find("?>").map(|end| start + end + 2) else { break };
        text.replace_range(start..end, UTF8_DECLARATION);
        from = start + UTF8_DECLARATION.len();
    }
    // UserLand's RSS namespace: the elements are plain RSS 2.0 in all but name.
    text = text.replacen(" xmlns=\"http://backend.userland.com/rss2\"", "", 1);
    if let Some(start) = find_tag(&text, "rss") {
        let end = text[start..].find('>').map_or(text.len(), |end| start + end);
        if !text[start..end].contains("version=") {
            text.insert_str(start + "<rss".len(), " version=\"2.0\"");
        }
    }
    text
}

/// Byte offset of the first `<name` opening tag (followed by `>`, `/` or whitespace).
fn find_tag(text: &str, name: &str) -> Option<usize> {
    let pattern = format!("<{name}");
    let mut from = 0;
    while let Some(found) = text[from..].find(&pattern) {
        let start = from + found;
        let next = text[start + pattern.len()..].chars().next();
        if matches!(next, Some('>' | '/') | Some(' ' | '\t' | '\n' | '\r')) {
            return Some(start);
        }
        from = start + pattern.len();
    }
    None
}

/// An item as found in the raw XML: its line, and FeedBurner's `origLink` (feed-rs drops it).
#[derive(Debug)]
struct ScannedItem {
    line: usize,
    orig_link: Option<String>,
}

/// Finds the `<item>`/`<entry>` elements in document order.
fn scan_items(text: &str) -> Vec<ScannedItem> {
    let mut starts = Vec::new();
    for name in ["item", "entry"] {
        let mut from = 0;
        while let Some(start) = find_tag(&text[from..], name) {
            starts.push((from + start, name));
            from += start + name.len() + 1;
        }
        if !starts.is_empty() {
            break;
        }
    }
    starts
        .iter()
        .map(|&(start, name)| {
            let end = text[start..].find(&format!("</{name}>")).map_or(text.len(), |end| start + end);
            let body = &text[start..end];
            let orig_link = body.find("<feedburner:origLink>").and_then(|open| {
                let value = &body[open + "<feedburner:origLink>".len()..];
                value.find("</feedburner:origLink>").map(|close| value[..close].trim().to_string())
            });
            ScannedItem { line: text[..start].matches('\n').count() + 1, orig_link }
        })
        .collect()
}

/// A truncated feed cut back to its last complete item and closed, so those items still count.
fn repair_truncated(text: &str) -> Option<String> {
    let (close, tail) = if text.contains("</item>") {
        ("</item>", if text.contains("<rdf:RDF") { "</rdf:RDF>" } else { "</channel></rss>" })
    } else {
        ("</entry>", "</feed>")
    };
    let end = text.rfind(close)? + close.len();
    Some(format!("{}{tail}", &text[..end]))
}

/// The address relative links resolve against: where the feed was fetched, else the site the feed
/// names (its alternate link), else its self link.
fn feed_base(feed: &Feed, context: &FeedContext) -> Option<String> {
    let absolute = |href: &str| normalise_url(href, None);
    context
        .url
        .clone()
        .or_else(|| {
            feed.links.iter().filter(|link| link.rel.as_deref() != Some("self")).find_map(|l| absolute(&l.href))
        })
        .or_else(|| feed.links.iter().find_map(|link| absolute(&link.href)))
}

fn text_of(text: &Option<Text>) -> String {
    text.as_ref().map(|text| html::to_text(&text.content)).unwrap_or_default()
}

fn entry_article(
    entry: &Entry,
    feed: &Feed,
    orig_link: Option<&str>,
    base: Option<&str>,
    source: &str,
    feed_lang: Option<&str>,
    context: &FeedContext,
) -> Result<Article, String> {
    let base = entry.base.as_deref().or(base);
    let link = orig_link
        .and_then(|link| normalise_url(link, base))
        .or_else(|| {
            let page_links = entry.links.iter().filter(|link| matches!(link.rel.as_deref(), None | Some("alternate")));
            page_links.chain(entry.links.iter()).find_map(|link| normalise_url(&link.href, base))
        })
        .or_else(|| entry.id.starts_with("http").then(|| normalise_url(&entry.id, None)).flatten());
    let content = entry.content.as_ref().and_then(|content| content.body.as_deref()).map(html::to_text);
    let summary = text_of(&entry.summary);
    let media =
        entry.media.iter().find_map(|media| media.description.as_ref()).map(|text| html::to_text(&text.content));
    let body = [content, Some(summary), media].into_iter().flatten().max_by_key(|text| text.len()).unwrap_or_default();
    let mut title = text_of(&entry.title);
    if title.is_empty() {
        // RSS allows items without a title: the first line of the text stands in.
        title = body.lines().next().unwrap_or("").chars().take(120).collect();
    }
    if title.is_empty() {
        return Err("item has no title and no text".into());
    }
    let (published_at, date_rule) = match entry.published.or(entry.updated) {
        Some(date) => (Some(date), DateRule::Metadata),
        None => match date_from_text_at(&format!("{title}\n{body}"), context.fetched_at) {
            Some(day) => (Some(midnight(day)), DateRule::Text),
            None => match context.fetched_at {
                Some(fetched) => (Some(fetched), DateRule::FetchTime),
                None => (None, DateRule::Unknown),
            },
        },
    };
    let source_key = match &link {
        Some(url) => format!("url:{url}"),
        None => format!("feed:{}:{}", feed.id, entry.id),
    };
    let declared = entry.language.as_deref().or(feed_lang);
    let lang = lang::detect(&format!("{title}\n{body}"), declared);
    let mut topics: Vec<String> = Vec::new();
    for category in &entry.categories {
        let topic = category.label.as_deref().unwrap_or(&category.term).trim().to_string();
        if !topic.is_empty() && !topics.iter().any(|known| known.eq_ignore_ascii_case(&topic)) {
            topics.push(topic);
        }
    }
    let authors = entry.authors.iter().filter_map(|person| person.name.as_deref().and_then(author_name)).collect();
    Ok(Article {
        source_key,
        url: link,
        title,
        body,
        published_at,
        date_rule,
        source: source.to_string(),
        lang,
        entities: Vec::new(),
        topics,
        authors,
    })
}

/// A byline as a name: "David Smith in Washington" → "David Smith"; e-mail-only values
/// ("desk@example.com (Desk)") keep the name in brackets.
fn author_name(raw: &str) -> Option<String> {
    let mut name = html::to_text(raw);
    if let (Some(open), Some(close)) = (name.find('('), name.rfind(')')) {
        if name[..open].contains('@') && open < close {
            name = name[open + 1..close].to_string();
        }
    }
    if let Some(at) = name.find(" in ") {
        if name[at + 4..].starts_with(|c: char| c.is_uppercase()) {
            name.truncate(at);
        }
    }
    let name = name.trim().trim_start_matches("By ").trim().to_string();
    (!name.is_empty() && !name.contains('@')).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn articles(xml: &str) -> Vec<Result<Article, String>> {
        parse("test.xml", xml.as_bytes(), &FeedContext::default()).into_iter().map(|record| record.result).collect()
    }

    #[test]
    fn rss_items_become_articles() {
        let xml = r#"<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
            <title>Desk</title><link>https://news.example.com/</link>
            <item><title>Talks resume</title><link>/world/talks?utm_source=rss</link>
              <description>&lt;p&gt;Talks &lt;b&gt;resumed&lt;/b&gt; in Geneva.&lt;/p&gt;</description>
              <pubDate>Tue, 21 Aug 2012 10:33:00 EST</pubDate><dc:creator>David Smith in Washington</dc:creator>
              <category>World news</category><category>Geneva</category></item>
            <item><description>No title, only a line of text about the markets.</description></item>
        </channel></rss>"#;
        let articles = articles(xml);
        let first = articles[0].as_ref().unwrap();
        assert_eq!(first.title, "Talks resume");
        assert_eq!(first.url.as_deref(), Some("https://news.example.com/world/talks"));
        assert_eq!(first.body, "Talks resumed in Geneva.");
        assert_eq!(first.published_at.unwrap().to_rfc3339(), "2012-08-21T15:33:00+00:00");
        assert_eq!(first.authors, vec!["David Smith"]);
        assert_eq!(first.topics, vec!["World news", "Geneva"]);
        assert_eq!(first.source, "Desk");
        let second = articles[1].as_ref().unwrap();
        assert_eq!(second.title, "No title, only a line of text about the markets.");
        assert_eq!(second.date_rule, DateRule::Unknown);
    }

    #[test]
    fn rss_1_0_and_0_91_are_read() {
        let rdf = r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
            xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <channel rdf:about="https://a.example/"><title>RDF Desk</title><link>https://a.example/</link></channel>
            <item rdf:about="https://a.example/1"><title>Mill closes</title><link>https://a.example/1</link>
              <description>The mill closed after 90 years.</description><dc:date>2003-12-13T18:30:02Z</dc:date></item>
            </rdf:RDF>"#;
        let rdf = articles(rdf);
        let item = rdf[0].as_ref().unwrap();
        assert_eq!((item.title.as_str(), item.source.as_str()), ("Mill closes", "RDF Desk"));
        assert_eq!(item.published_at.unwrap().to_rfc3339(), "2003-12-13T18:30:02+00:00");
        let old = r#"<rss version="0.91"><channel><title>Old Desk</title><link>https://b.example/</link>
            <item><title>Bridge opens</title><link>https://b.example/bridge</link><description>It opened.</description></item>
            </channel></rss>"#;
        let old = articles(old);
        assert_eq!(old[0].as_ref().unwrap().url.as_deref(), Some("https://b.example/bridge"));
    }

    #[test]
    fn truncated_feed_keeps_complete_items() {
        let xml = "<rss version=\"2.0\"><channel><title>T</title>\n<item><title>One</title><link>https://a.example/1</link></item>\n<item><title>Two</title><link>https://a.example/2</link></item>\n<item><title>Thr";
        let records = parse("cut.rss", xml.as_bytes(), &FeedContext::default());
        assert_eq!(records.len(), 3);
        assert!(records[0].result.is_ok() && records[1].result.is_ok());
        let error = records[2].result.as_ref().unwrap_err();
        assert!(error.contains("cut off after item 2"), "{error}");
        assert_eq!(records[2].location, "cut.rss:4");
    }

    #[test]
    fn garbage_is_one_clear_rejection() {
        let records = parse("noise.xml", b"\x00\x01\x02 not xml at all", &FeedContext::default());
        assert_eq!(records.len(), 1);
        assert!(records[0].result.as_ref().unwrap_err().starts_with("not a readable feed"));
    }

    #[test]
    fn bylines_become_names() {
        assert_eq!(author_name("David Smith in Washington").as_deref(), Some("David Smith"));
        assert_eq!(author_name("desk@example.com (Jane Roe)").as_deref(), Some("Jane Roe"));
        assert_eq!(author_name("desk@example.com"), None);
        assert_eq!(author_name("By Lena Sun").as_deref(), Some("Lena Sun"));
    }
}
