//! Parameters of `GET /v1/suggest`.

use utoipa::IntoParams;

use super::{names, pairs, unknown, Choices};
use crate::error::Result;
use crate::search::suggest::{KindOfSuggestion, SuggestLimit, SuggestRequest, SuggestText, DEFAULT_SUGGESTIONS};
use crate::search::values::number;

/// Parameters of `GET /v1/suggest`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What was typed so far (at most 200 characters); every word must start a word of the
    /// suggestion. Empty: no suggestions.
    #[param(inline)]
    pub q: Option<SuggestText>,
    /// Suggestions to return, 1–50 (default 8).
    #[param(inline)]
    pub limit: Option<SuggestLimit>,
    /// Only these kinds, comma-separated: person, org, place, title (default, or empty: all).
    #[param(value_type = Option<Vec<KindOfSuggestion>>, inline, style = Form, explode = false)]
    pub kinds: Choices<KindOfSuggestion>,
}

impl SuggestParams {
    pub fn parse(raw: &str) -> Result<SuggestRequest> {
        let mut request = SuggestRequest { limit: DEFAULT_SUGGESTIONS, ..SuggestRequest::default() };
        let mut kinds = Choices::<KindOfSuggestion>::default();
        for (key, value) in pairs(raw, &["kinds"])? {
            match key.as_ref() {
                "q" => request.q = value,
                "limit" => request.limit = number("limit", &value)?,
                "kinds" => kinds.extend(&value)?,
                other => return Err(unknown(other, &names::<SuggestParams>())),
            }
        }
        let mut kinds: Vec<_> = kinds.0.into_iter().map(|KindOfSuggestion(kind)| kind).collect();
        kinds.sort_by_key(|kind| *kind as u8);
        kinds.dedup();
        // No kinds (or an empty `kinds=`) means every kind.
        request.kinds = (!kinds.is_empty()).then_some(kinds);
        request.validate()?;
        Ok(request)
    }
}
