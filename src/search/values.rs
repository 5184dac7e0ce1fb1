//! Request values declared once. A numeric parameter's bounds and a word parameter's words are a
//! type: the request models read and check values through it, and the OpenAPI document states
//! its `minimum`/`maximum`, `maxLength` or `enum` from it, so the two cannot drift apart. An empty
//! optional value (`sort=`, as an HTML form sends it) means the default.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::error::{Error, Result};

/// A whole number from `MIN` to `MAX`, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounded<const MIN: usize, const MAX: usize>(usize);

impl<const MIN: usize, const MAX: usize> Bounded<MIN, MAX> {
    pub const LOWEST: usize = MIN;
    pub const HIGHEST: usize = MAX;

    pub fn get(self) -> usize {
        self.0
    }

    /// `value` when it is within the bounds; else an error naming the parameter.
    pub fn check(name: &str, value: usize) -> Result<usize> {
        if (MIN..=MAX).contains(&value) {
            Ok(value)
        } else {
            Err(Error::BadParameter(format!("{name} must be between {MIN} and {MAX}, not {value}")))
        }
    }

    /// Reads a query-string value: a whole number (its bounds are checked with the request).
    pub fn parse(name: &str, text: &str) -> Result<Bounded<MIN, MAX>> {
        number(name, text).map(Bounded)
    }
}

/// A non-negative whole number, or an error naming the parameter.
pub fn number(name: &str, text: &str) -> Result<usize> {
    text.trim()
        .parse()
        .map_err(|_| Error::BadParameter(format!("{name} must be a non-negative whole number, not {text:?}")))
}

/// In JSON a whole number may be written with a zero fraction (`40.0`), as JSON Schema counts it.
impl<'de, const MIN: usize, const MAX: usize> Deserialize<'de> for Bounded<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let number = f64::deserialize(deserializer)?;
        if number < 0.0 || number.fract() != 0.0 {
            return Err(serde::de::Error::custom(format!("expected a non-negative whole number, not {number}")));
        }
        Ok(Bounded(number as usize))
    }
}

impl<const MIN: usize, const MAX: usize> PartialSchema for Bounded<MIN, MAX> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::Integer))
            .minimum(Some(MIN as f64))
            .maximum(Some(MAX as f64))
            .into()
    }
}

impl<const MIN: usize, const MAX: usize> ToSchema for Bounded<MIN, MAX> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("Integer{MIN}To{MAX}"))
    }
}

/// Text of at most `MAX` characters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Text<const MAX: usize>(pub String);

impl<const MAX: usize> PartialSchema for Text<MAX> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(SchemaType::new(Type::String)).max_length(Some(MAX)).into()
    }
}

impl<const MAX: usize> ToSchema for Text<MAX> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("TextUpTo{MAX}"))
    }
}

/// A parameter that takes one of a few words.
pub trait Choice: Sized + Copy + PartialEq + 'static {
    /// The parameter's name, for messages.
    const PARAMETER: &'static str;
    /// Every word accepted and what it means; a meaning's first word is its name in messages.
    const WORDS: &'static [(&'static str, Self)];
    /// Whether an empty value means the default (an optional parameter) or is refused.
    const EMPTY_IS_DEFAULT: bool = true;
    /// Whether the words are read in any case (they are listed in lower case).
    const ANY_CASE: bool = false;

    /// The meaning of `text` (spaces around it ignored); `None` for an empty optional value.
    fn parse(text: &str) -> Result<Option<Self>> {
        let word = text.trim();
        if word.is_empty() && Self::EMPTY_IS_DEFAULT {
            return Ok(None);
        }
        let matches =
            |candidate: &str| if Self::ANY_CASE { candidate.eq_ignore_ascii_case(word) } else { candidate == word };
        match Self::WORDS.iter().find(|(candidate, _)| matches(candidate)) {
            Some((_, value)) => Ok(Some(*value)),
            None => Err(Error::BadParameter(format!("{} must be {}, not {text:?}", Self::PARAMETER, Self::names()))),
        }
    }

    /// The meanings' names: "a, b or c".
    fn names() -> String {
        let mut names: Vec<&str> = Vec::new();
        for (position, (word, value)) in Self::WORDS.iter().enumerate() {
            if !Self::WORDS[..position].iter().any(|(_, earlier)| earlier == value) {
                names.push(word);
            }
        }
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.join(""),
        }
    }

    /// The words as an OpenAPI string enum (with "" when empty means the default).
    fn schema() -> Schema {
        let empty = Self::EMPTY_IS_DEFAULT.then_some("");
        let words: Vec<&str> = empty.into_iter().chain(Self::WORDS.iter().map(|(word, _)| *word)).collect();
        let any_case = Self::ANY_CASE.then_some("Read in any case.");
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .enum_values(Some(words))
            .description(any_case)
            .into()
    }
}

/// Implements the OpenAPI schema of [`Choice`] types from their words.
#[macro_export]
macro_rules! choice_schema {
    ($($choice:ty),* $(,)?) => {
        $(
            impl utoipa::PartialSchema for $choice {
                fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                    <$choice as $crate::search::values::Choice>::schema().into()
                }
            }

            impl utoipa::ToSchema for $choice {}
        )*
    };
}

/// A `from`/`to` bound as sent: a date `YYYY-MM-DD`, an RFC 3339 time, or empty (no bound).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DateText(pub String);

impl PartialSchema for DateText {
    fn schema() -> RefOr<Schema> {
        let format = |known| {
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::String))
                .format(Some(SchemaFormat::KnownFormat(known)))
        };
        let empty = ObjectBuilder::new().schema_type(SchemaType::new(Type::String)).max_length(Some(0));
        AnyOfBuilder::new().item(format(KnownFormat::Date)).item(format(KnownFormat::DateTime)).item(empty).into()
    }
}

impl ToSchema for DateText {}

/// The weight of recency as sent: a number from 0 to 1, `off` or `none` (0), or empty (the
/// configured weight). A JSON body may send the number as a number.
#[derive(Debug, Clone, PartialEq)]
pub struct FreshnessText(pub String);

/// Words `freshness` takes besides a weight.
const FRESHNESS_WORDS: [&str; 3] = ["", "off", "none"];
/// A weight written as text (a query string's, or a string in JSON): a decimal from 0 to 1.
const WEIGHT_TEXT: &str = r"^(0(\.[0-9]*)?|1(\.0*)?|\.[0-9]+)$";

impl FreshnessText {
    /// The weight asked for; `None` for the configured one.
    pub fn weight(&self) -> Result<Option<f64>> {
        match self.0.trim() {
            "" => Ok(None),
            "off" | "none" => Ok(Some(0.0)),
            other => {
                other.parse::<f64>().ok().filter(|weight| (0.0..=1.0).contains(weight)).map(Some).ok_or_else(|| {
                    Error::BadParameter(format!("freshness must be a weight between 0 and 1, or off, not {other:?}"))
                })
            }
        }
    }
}

impl<'de> Deserialize<'de> for FreshnessText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Sent {
            Number(f64),
            Word(String),
        }
        Ok(FreshnessText(match Sent::deserialize(deserializer)? {
            Sent::Number(number) => number.to_string(),
            Sent::Word(word) => word,
        }))
    }
}

impl PartialSchema for FreshnessText {
    fn schema() -> RefOr<Schema> {
        let weight =
            ObjectBuilder::new().schema_type(SchemaType::new(Type::Number)).minimum(Some(0.0)).maximum(Some(1.0));
        let words = ObjectBuilder::new().schema_type(SchemaType::new(Type::String)).enum_values(Some(FRESHNESS_WORDS));
        let text = ObjectBuilder::new().schema_type(SchemaType::new(Type::String)).pattern(Some(WEIGHT_TEXT));
        AnyOfBuilder::new().item(weight).item(words).item(text).into()
    }
}

impl ToSchema for FreshnessText {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Colour {
        Red,
        Blue,
    }

    impl Choice for Colour {
        const PARAMETER: &'static str = "colour";
        const WORDS: &'static [(&'static str, Colour)] =
            &[("red", Colour::Red), ("rouge", Colour::Red), ("blue", Colour::Blue)];
    }

    #[test]
    fn choices_read_their_words_and_name_their_meanings() {
        assert_eq!(Colour::parse("rouge").unwrap(), Some(Colour::Red));
        assert_eq!(Colour::parse(" blue ").unwrap(), Some(Colour::Blue), "spaces around are ignored");
        assert!(Colour::parse("Blue").is_err(), "in the listed case only");
        assert_eq!(Colour::parse("").unwrap(), None);
        let error = Colour::parse("green").unwrap_err().to_string();
        assert_eq!(error, "colour must be red or blue, not \"green\"");
        let schema = serde_json::to_value(Colour::schema()).unwrap();
        assert_eq!(schema["enum"], serde_json::json!(["", "red", "rouge", "blue"]));
    }

    #[test]
    fn bounds_are_checked_and_stated() {
        type Limit = Bounded<1, 100>;
        assert_eq!(Limit::check("limit", 100).unwrap(), 100);
        assert_eq!(Limit::check("limit", 0).unwrap_err().to_string(), "limit must be between 1 and 100, not 0");
        assert!(Limit::parse("limit", "ten").is_err());
        let schema = serde_json::to_value(Limit::schema()).unwrap();
        assert_eq!((schema["minimum"].as_f64(), schema["maximum"].as_f64()), (Some(1.0), Some(100.0)));
    }

    #[test]
    fn freshness_is_a_weight_or_off() {
        let weight = |text: &str| FreshnessText(text.into()).weight();
        assert_eq!(weight("0.5").unwrap(), Some(0.5));
        assert_eq!(weight("off").unwrap(), Some(0.0));
        assert_eq!(weight("").unwrap(), None);
        assert!(weight("2").is_err() && weight("soon").is_err());
        let sent: FreshnessText = serde_json::from_str("0.25").unwrap();
        assert_eq!(sent.weight().unwrap(), Some(0.25));
    }
}
