//! Parameters of `GET /v1/articles/{id}/related`.

use utoipa::IntoParams;

use super::{names, pairs, unknown};
use crate::error::Result;
use crate::search::related::{RelatedStories, DEFAULT_RELATED};
use crate::search::values::number;

/// Parameters of `GET /v1/articles/{id}/related`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RelatedParams {
    /// Stories to return, 1–50 (default 5).
    #[param(inline)]
    pub limit: Option<RelatedStories>,
}

impl RelatedParams {
    /// The number of stories asked for.
    pub fn from_query_string(raw: &str) -> Result<usize> {
        let mut limit = DEFAULT_RELATED;
        for (key, value) in pairs(raw, &[])? {
            match key.as_ref() {
                "limit" => limit = number("limit", &value)?,
                other => return Err(unknown(other, &names::<RelatedParams>())),
            }
        }
        RelatedStories::check("limit", limit)
    }
}
