//! HTML as it arrives in feeds and saved pages: character set detection and markup → text.

use dom_query::Document;
use encoding_rs::Encoding;

/// Decodes a document's bytes to text: a byte-order mark first, then the charset the document
/// declares (`<?xml … encoding=…?>` or `<meta charset=…>` within its first 2 KB), then UTF-8 if
/// the bytes are valid UTF-8, else windows-1252 (the superset of latin-1 browsers use).
/// Returns the text and the encoding that decoded it.
pub fn decode(bytes: &[u8]) -> (String, &'static Encoding) {
    if let Some((encoding, bom_length)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_length..]);
        return (text.into_owned(), encoding);
    }
    let declared = declared_charset(&bytes[..bytes.len().min(2048)]).and_then(|label| Encoding::for_label(&label));
    // A page that declares UTF-8 but is not is decoded as windows-1252, the likelier truth.
    let encoding = match declared {
        Some(encoding) if encoding != encoding_rs::UTF_8 => encoding,
        _ if std::str::from_utf8(bytes).is_ok() => encoding_rs::UTF_8,
        _ => encoding_rs::WINDOWS_1252,
    };
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    (text.into_owned(), encoding)
}

/// The charset label a document declares in its XML prolog or a meta tag.
fn declared_charset(head: &[u8]) -> Option<Vec<u8>> {
    let lower: Vec<u8> = head.to_ascii_lowercase();
    for key in [&b"encoding="[..], b"charset="] {
        if let Some(start) = find(&lower, key) {
            let rest = &lower[start + key.len()..];
            let rest = rest.strip_prefix(b"\"").or_else(|| rest.strip_prefix(b"'")).unwrap_or(rest);
            let label: Vec<u8> = rest
                .iter()
                .take_while(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b':' | b'.'))
                .copied()
                .collect();
            if !label.is_empty() {
                return Some(label);
            }
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// Elements whose content is never article text.
const NON_TEXT: &str = "script, style, noscript, template, iframe, object, svg, form, button";

/// Markup to readable text: block elements start new lines, whitespace collapses, scripts and
/// styles are dropped, entities are decoded. Text without markup comes back as it was.
pub fn to_text(html: &str) -> String {
    if !html.contains('<') && !html.contains('&') {
        return html.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    let document = Document::fragment(html);
    document.select(NON_TEXT).remove();
    let text = document.root().formatted_text().to_string();
    tidy(&text)
}

/// Collapses runs of spaces inside lines and of blank lines between paragraphs.
pub fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for paragraph in text.split("\n\n") {
        let lines: Vec<String> = paragraph
            .lines()
            .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|line| !line.is_empty())
            .collect();
        if lines.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&lines.join("\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_paragraphs() {
        let html = "<p>Fox News host <a href='x'>Sean Hannity</a> said&nbsp;so.</p><script>var x=1;</script>\
                    <p>&#8220;Joining us now,&#8221; he said.</p>";
        assert_eq!(to_text(html), "Fox News host Sean Hannity said so.\n\n\u{201c}Joining us now,\u{201d} he said.");
        assert_eq!(to_text("plain   text\nhere"), "plain text here");
        assert_eq!(to_text("<img src='a.jpg'/>  Líder na pesquisa"), "Líder na pesquisa");
    }

    #[test]
    fn decodes_declared_and_undeclared_charsets() {
        let latin1 = b"<rss><title>Not\xedcias</title></rss>";
        assert_eq!(decode(latin1).0, "<rss><title>Notícias</title></rss>");
        let cp1251 = b"<?xml version=\"1.0\" encoding=\"windows-1251\"?><t>\xcd\xee\xe2\xee\xf1\xf2\xe8</t>";
        let (text, encoding) = decode(cp1251);
        assert!(text.ends_with("<t>Новости</t>"), "{text}");
        assert_eq!(encoding, encoding_rs::WINDOWS_1251);
        let utf8 = "<meta charset=\"utf-8\"><p>Zoë</p>".as_bytes();
        assert_eq!(decode(utf8).0, "<meta charset=\"utf-8\"><p>Zoë</p>");
        let mislabelled = b"<meta charset=\"utf-8\"><p>Zo\xeb</p>";
        assert_eq!(decode(mislabelled).0, "<meta charset=\"utf-8\"><p>Zoë</p>");
    }
}
