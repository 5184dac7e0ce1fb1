//! Article ids: tidings' own stable id, derived from the source's key so that re-ingesting an
//! article keeps it.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Digits in an article id.
const ID_DIGITS: usize = 16;

/// An article id: 16 lower-case hex digits of the SHA-256 of the article's source key. A near-
/// duplicate cluster is named by the id of its first article.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ArticleId(String);

impl ArticleId {
    /// The id of the article with this source key (`reuters:NEWID`, `id:SOURCE:ID`, `url:…`).
    pub fn of_source_key(source_key: &str) -> ArticleId {
        ArticleId(hex(&Sha256::digest(source_key.as_bytes())[..ID_DIGITS / 2]))
    }

    /// Reads an id as clients send it: exactly 16 lower-case hex digits, as tidings writes them.
    pub fn parse(text: &str) -> Option<ArticleId> {
        (text.len() == ID_DIGITS && text.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| ArticleId(text.to_string()))
    }

    /// An id read back from the store or the index, which only ever hold ids tidings made.
    pub fn from_stored(text: String) -> ArticleId {
        ArticleId(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ArticleId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl AsRef<str> for ArticleId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<ArticleId> for String {
    fn from(id: ArticleId) -> String {
        id.0
    }
}

impl PartialEq<str> for ArticleId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<String> for ArticleId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

/// The stable article id for a source key, as text.
pub fn article_id_for(source_key: &str) -> String {
    ArticleId::of_source_key(source_key).into()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_id_is_stable_and_short() {
        assert_eq!(article_id_for("reuters:1"), article_id_for("reuters:1"));
        assert_ne!(article_id_for("reuters:1"), article_id_for("reuters:2"));
        assert_eq!(article_id_for("x").len(), 16);
    }

    #[test]
    fn ids_parse_as_sixteen_hex_digits() {
        let id = ArticleId::of_source_key("reuters:1");
        assert_eq!(ArticleId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(ArticleId::parse(&id.as_str().to_uppercase()), None);
        assert_eq!(ArticleId::parse("0123"), None);
        assert_eq!(ArticleId::parse("0123456789abcdeg"), None);
        assert_eq!(ArticleId::parse(""), None);
    }
}
