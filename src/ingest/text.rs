//! Plain-text scraped pages: strip the site chrome, take the headline once, keep the body
//! paragraphs, and date the article from its text (else the file's modification time).

use chrono::{DateTime, Utc};

use super::dates::date_from_text_at;
use crate::model::{midnight, Article, DateRule};

/// Lines that are site navigation, not the story.
const CHROME_LINES: &[&str] = &[
    "skip to content",
    "skip to main content",
    "read also:",
    "read also",
    "read more",
    "read more:",
    "latest",
    "latest news",
    "advertisement",
    "share",
    "share this article",
    "share on facebook",
    "share on twitter",
    "related",
    "related articles",
    "subscribe",
    "sign in",
    "log in",
    "menu",
    "search",
    "comments",
    "most read",
    "trending",
];

fn is_chrome(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    CHROME_LINES.contains(&lower.as_str())
}

/// Parses one scraped page. `modified` is the file's modification time, the last resort date.
pub fn parse(path: &str, text: &str, source: &str, modified: Option<DateTime<Utc>>) -> Result<Article, String> {
    let mut lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    // Chrome that is glued to the end of the last line ("Read also:\n\nLatest" without a newline).
    while let Some(last) = lines.last() {
        if last.trim().is_empty() || is_chrome(last) {
            lines.pop();
        } else {
            break;
        }
    }
    let mut content = lines.iter().map(|line| line.trim()).filter(|line| !line.is_empty() && !is_chrome(line));
    let title = content.next().ok_or("the page has no text")?.to_string();
    let title_key = title.to_lowercase();
    // The headline is repeated as heading and below the teaser: keep it once.
    let paragraphs: Vec<&str> = content.filter(|line| line.to_lowercase() != title_key).collect();
    let body = paragraphs.join("\n\n");
    let (published_at, date_rule) = match date_from_text_at(&format!("{title}\n{body}"), modified) {
        Some(day) => (Some(midnight(day)), DateRule::Text),
        None => match modified {
            Some(time) => (Some(time), DateRule::FileMtime),
            None => (None, DateRule::Unknown),
        },
    };
    Ok(Article {
        source_key: format!("file:{path}"),
        url: None,
        title,
        body,
        published_at,
        date_rule,
        source: source.to_string(),
        lang: crate::model::Lang::english(),
        entities: Vec::new(),
        topics: Vec::new(),
        authors: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_page_loses_its_chrome_and_keeps_one_headline() {
        let text = include_str!("../../tests/fixtures/seed/kremlin-trump-putin-meeting.txt");
        let article = parse("seed.txt", text, "web", None).unwrap();
        assert_eq!(article.title, "Potential Trump-Putin meeting is under consideration - Kremlin's stance revealed");
        assert!(!article.body.contains("Skip to content"));
        assert!(!article.body.contains("Read also"));
        assert!(!article.body.ends_with("Latest"));
        assert!(!article.body.contains(&article.title), "headline repeated in body");
        assert!(article.body.contains("Footsteps have been heard"));
        assert_eq!(article.date_rule, DateRule::Text);
        assert_eq!(article.published_at.unwrap().to_rfc3339(), "2025-05-05T00:00:00+00:00");
    }

    #[test]
    fn undated_page_takes_the_file_time() {
        let modified = "2024-01-02T03:04:05Z".parse().unwrap();
        let article = parse("p.txt", "Headline\n\nSome body text.", "web", Some(modified)).unwrap();
        assert_eq!(article.date_rule, DateRule::FileMtime);
        assert_eq!(article.published_at, Some(modified));
        assert!(parse("empty.txt", "Skip to content\n\n", "web", None).is_err());
    }
}
