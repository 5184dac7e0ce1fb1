//! Article URLs as identities: resolved against their base, tracking parameters dropped, so the
//! same story reached through a feed, a saved page or the API is one article.

use url::Url;

/// Query parameters that only track the reader, never select the content.
fn is_tracking_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_")
        || name.starts_with("at_")
        || matches!(
            name.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "mc_cid"
                | "mc_eid"
                | "igshid"
                | "ocid"
                | "cmpid"
                | "ito"
                | "_ga"
        )
}

/// Resolves `link` against `base` (when relative) and normalises it: http(s) only, fragment and
/// tracking parameters dropped, host lower-cased (by the URL parser). `None` for what is not a
/// web address.
pub fn normalise_url(link: &str, base: Option<&str>) -> Option<String> {
    let link = link.trim();
    if link.is_empty() {
        return None;
    }
    let parsed = match Url::parse(link) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => Url::parse(base?).ok()?.join(link).ok()?,
        Err(_) => return None,
    };
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return None;
    }
    let mut url = parsed;
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !is_tracking_parameter(name))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Some(url.to_string())
}

/// The host of a URL without `www.`, a fallback source name.
pub fn host(url: &str) -> Option<String> {
    let host = Url::parse(url).ok()?.host_str()?.to_ascii_lowercase();
    Some(host.strip_prefix("www.").unwrap_or(&host).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_links() {
        let cases = [
            ("https://example.com/a?utm_source=rss&utm_medium=feed", None, Some("https://example.com/a")),
            ("https://example.com/a?id=7&utm_campaign=x#comments", None, Some("https://example.com/a?id=7")),
            ("HTTPS://WWW.Example.COM/Story", None, Some("https://www.example.com/Story")),
            (
                "/livewire/story-1",
                Some("http://talkingpointsmemo.com"),
                Some("http://talkingpointsmemo.com/livewire/story-1"),
            ),
            ("story-2.html", Some("https://site.pt/nacional/"), Some("https://site.pt/nacional/story-2.html")),
            ("/relative/without/base", None, None),
            ("mailto:desk@example.com", None, None),
            ("javascript:alert(1)", None, None),
            ("  ", None, None),
        ];
        for (link, base, expected) in cases {
            assert_eq!(normalise_url(link, base).as_deref(), expected, "{link}");
        }
    }

    #[test]
    fn host_drops_www() {
        assert_eq!(host("https://www.theguardian.com/us").as_deref(), Some("theguardian.com"));
        assert_eq!(host("not a url"), None);
    }
}
