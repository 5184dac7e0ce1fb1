//! Languages: ISO 639-1 codes, lower case, or `und` when the language could not be told.

use std::fmt;

use serde::Serialize;

/// An article's language.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Lang(String);

impl Lang {
    /// The code of a language that could not be determined (ISO 639-2's `und`).
    pub const UNDETERMINED: &'static str = "und";

    /// Reads a language tag (`en`, `EN-us`, `pt_BR`) as its ISO 639-1 code; `None` for anything
    /// else (`english`, `deu`).
    pub fn parse(text: &str) -> Option<Lang> {
        let code = text.trim().to_ascii_lowercase();
        let code = code.split(['-', '_']).next().unwrap_or("");
        (code.len() == 2 && code.bytes().all(|byte| byte.is_ascii_lowercase())).then(|| Lang(code.to_string()))
    }

    /// English, the language of sources that are English by definition (Reuters-21578).
    pub fn english() -> Lang {
        Lang("en".into())
    }

    pub fn undetermined() -> Lang {
        Lang(Lang::UNDETERMINED.into())
    }

    /// A code read back from the store, which only holds codes tidings wrote.
    pub fn from_stored(code: String) -> Lang {
        Lang(code)
    }

    pub fn is_undetermined(&self) -> bool {
        self.0 == Lang::UNDETERMINED
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Lang {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lang_codes_are_normalised() {
        assert_eq!(Lang::parse("EN-us").map(|lang| lang.to_string()).as_deref(), Some("en"));
        assert_eq!(Lang::parse("pt_BR").map(|lang| lang.to_string()).as_deref(), Some("pt"));
        assert_eq!(Lang::parse("english"), None);
        assert!(Lang::undetermined().is_undetermined());
    }
}
