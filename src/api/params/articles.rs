//! Parameters of `GET /v1/articles/{id}/related` and of the writes.

use std::time::Duration;

use utoipa::IntoParams;

use super::{names, pairs, unknown};
use crate::error::{Error, Result};
use crate::search::related::{RelatedStories, DEFAULT_RELATED};
use crate::search::values::{number, Bounded};

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

/// How long `wait=true` waits at most, in milliseconds.
pub type WaitMs = Bounded<1, 60_000>;
/// `wait=true` waits this long by default.
pub const DEFAULT_WAIT_MS: usize = 5_000;

/// Parameters of `POST /v1/articles` and `DELETE /v1/articles/{id}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WriteParams {
    /// Answer only once the write is searchable (the index holds the store sequence it reached),
    /// or once `wait_ms` has passed: then the answer is 202 with `searchable: false`.
    pub wait: Option<bool>,
    /// How long `wait=true` waits at most, 1–60,000 ms (default 5,000).
    #[param(inline)]
    pub wait_ms: Option<WaitMs>,
}

impl WriteParams {
    /// How long to wait for the write to become searchable; `None` answers at once.
    pub fn from_query_string(raw: &str) -> Result<Option<Duration>> {
        let mut wait = false;
        let mut wait_ms = DEFAULT_WAIT_MS;
        for (key, value) in pairs(raw, &[])? {
            match key.as_ref() {
                "wait" => {
                    wait = match value.trim() {
                        "true" | "1" => true,
                        "false" | "0" | "" => false,
                        other => return Err(Error::BadParameter(format!("wait must be true or false, not {other:?}"))),
                    }
                }
                "wait_ms" => wait_ms = WaitMs::check("wait_ms", number("wait_ms", &value)?)?,
                other => return Err(unknown(other, &names::<WriteParams>())),
            }
        }
        Ok(wait.then(|| Duration::from_millis(wait_ms as u64)))
    }
}
