//! API keys: who may write (and read, when reads are protected). Keys are kept as SHA-256 digests
//! and compared in constant time.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::Shared;
use crate::error::Error;

/// The configured keys, kept as SHA-256 digests: a presented key is hashed and compared with every
/// digest in constant time, so neither the comparison nor the number of keys checked leaks how
/// much of a key was right.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys {
    digests: Vec<[u8; 32]>,
    pub protect_reads: bool,
}

impl ApiKeys {
    pub fn new(keys: &[String], protect_reads: bool) -> ApiKeys {
        ApiKeys { digests: keys.iter().map(|key| Sha256::digest(key.as_bytes()).into()).collect(), protect_reads }
    }

    /// True when `presented` is one of the keys.
    pub fn accepts(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut matched = 0u8;
        for known in &self.digests {
            let difference = known.iter().zip(&digest).fold(0u8, |acc, (a, b)| acc | (a ^ b));
            matched |= u8::from(difference == 0);
        }
        matched == 1
    }

    /// Checks the `Authorization: Bearer KEY` header of a request.
    fn check(&self, request: &Request) -> Result<(), Error> {
        self.check_headers(request.headers())
    }

    /// Checks the `Authorization: Bearer KEY` header.
    pub fn check_headers(&self, headers: &axum::http::HeaderMap) -> Result<(), Error> {
        if self.digests.is_empty() {
            return Err(Error::Unauthorized(
                "this server has no API keys configured (TIDINGS_API_KEYS or api_keys in the config file)".into(),
            ));
        }
        let header = headers.get(axum::http::header::AUTHORIZATION).and_then(|value| value.to_str().ok());
        let Some(key) = header.and_then(|value| value.strip_prefix("Bearer ")).map(str::trim) else {
            return Err(Error::Unauthorized("send an API key as `Authorization: Bearer KEY`".into()));
        };
        if self.accepts(key) {
            Ok(())
        } else {
            Err(Error::Unauthorized("the API key is not valid".into()))
        }
    }
}

/// Middleware for routes that always need a key (writes).
pub async fn require_key(State(state): State<Shared>, request: Request, next: Next) -> Response {
    match state.keys.check(&request) {
        Ok(()) => next.run(request).await,
        Err(error) => ApiError(error).into_response(),
    }
}

/// Middleware for read routes: a key is needed only when the configuration protects reads.
pub async fn require_key_for_reads(State(state): State<Shared>, request: Request, next: Next) -> Response {
    if !state.keys.protect_reads {
        return next.run(request).await;
    }
    require_key(State(state), request, next).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_exactly() {
        let keys = ApiKeys::new(&["first-key-0123456789".into(), "second-key-0123456789".into()], false);
        assert!(keys.accepts("first-key-0123456789"));
        assert!(keys.accepts("second-key-0123456789"));
        assert!(!keys.accepts("first-key-012345678"));
        assert!(!keys.accepts(""));
        assert!(!ApiKeys::default().accepts(""));
    }
}
