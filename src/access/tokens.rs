//! Tenant tokens: a site's backend signs, with one of its search keys, a short JWT that carries a
//! filter and an expiry; the browser sends the token, and the server answers it as that key
//! restricted further by the filter, until it expires. Tokens are HS256 JWTs: the header names
//! the key by its uid (`kid`), the secret is the key's SHA-256 in hex (what the server keeps),
//! the claims are `filter` (as a key's) and `exp` (required).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::{Action, Actions, Grant, Parent};
use crate::error::{Error, Result};
use crate::search::scope::Scope;

/// What a tenant token says.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenClaims {
    /// Keyword filters, as a key's (`{"source": "Example Daily"}`); absent: the key's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<serde_json::Value>,
    /// Unix seconds.
    pub exp: i64,
}

/// A JWT is three base64url parts; its header, a JSON object, starts `eyJ`. A key never does
/// (keys are at least 16 characters without dots, or `tdg_…`).
pub(super) fn looks_like_token(presented: &str) -> bool {
    presented.starts_with("eyJ") && presented.split('.').count() == 3
}

/// The grant of a tenant token, the key that signed it found by `parent_of` its uid.
pub(super) fn grant(presented: &str, now: i64, parent_of: impl Fn(&str) -> Option<Parent>) -> Result<Grant> {
    let bad = |why: &str| Error::Unauthorized(format!("the tenant token is not valid: {why}"));
    let header = jsonwebtoken::decode_header(presented).map_err(|_| bad("it is not a JWT"))?;
    if header.alg != Algorithm::HS256 {
        return Err(bad("sign it with HS256"));
    }
    let uid = header.kid.ok_or_else(|| bad("its header names no key (kid)"))?;
    let parent = parent_of(&uid).ok_or_else(|| bad("the key that signed it is unknown"))?;
    if !parent.actions.allow(Action::Search) {
        return Err(bad("the key that signed it may not search"));
    }
    if parent.expires_at.is_some_and(|expires_at| expires_at <= now) {
        return Err(bad("the key that signed it expired"));
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_required_spec_claims(&["exp"]);
    // Expiry is checked below against the caller's clock, with no leeway.
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<TokenClaims>(
        presented,
        &DecodingKey::from_secret(parent.secret.as_bytes()),
        &validation,
    )
    .map_err(|error| match error.kind() {
        jsonwebtoken::errors::ErrorKind::InvalidSignature => bad("its signature does not match the key"),
        jsonwebtoken::errors::ErrorKind::MissingRequiredClaim(_) => bad("it has no expiry (exp)"),
        _ => bad("its claims cannot be read (filter, exp)"),
    })?
    .claims;
    if claims.exp <= now {
        return Err(bad("it expired"));
    }
    let own = match &claims.filter {
        Some(filter) => Scope::from_json(filter).map_err(|error| bad(&error.to_string()))?,
        None => Scope::everything(),
    };
    Ok(Grant {
        actions: Actions::of(&[Action::Search]),
        scope: parent.scope.and(&own),
        key_uid: Some(parent.uid),
        private: false,
    })
}

/// A tenant token signed with `key`: what a site's backend makes for each visitor (here for
/// `tidings token` and the tests; any JWT library makes the same).
pub fn mint_token(key: &str, claims: &TokenClaims) -> Result<String> {
    let header = Header { kid: Some(super::key_uid(key)), ..Header::new(Algorithm::HS256) };
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(super::token_secret(key).as_bytes()))
        .map_err(|error| Error::Internal(format!("cannot sign the token: {error}")))
}

#[cfg(test)]
mod tests {
    use super::super::{Keyring, NewKey};
    use super::*;

    const KEY: &str = "site-search-key-0123456789";

    fn keyring() -> Keyring {
        let site = NewKey {
            name: "site".into(),
            key: KEY.into(),
            actions: Actions::of(&[Action::Search]),
            scope: Scope::everything(),
            expires_at: None,
        };
        let writer = NewKey {
            name: "writer".into(),
            key: "writer-key-0123456789".into(),
            actions: Actions::of(&[Action::Write]),
            ..site.clone()
        };
        Keyring::new(&[site, writer], Vec::new()).unwrap()
    }

    #[test]
    fn a_token_narrows_its_key_until_it_expires() {
        let claims = TokenClaims { filter: Some(serde_json::json!({"source": "Example Daily"})), exp: 1_000 };
        let token = mint_token(KEY, &claims).unwrap();
        assert!(looks_like_token(&token));
        let grant = keyring().authenticate(&token, 999).unwrap();
        assert_eq!(grant.scope.to_json(), serde_json::json!({"source": ["Example Daily"]}));
        assert!(grant.actions.allow(Action::Search) && !grant.actions.allow(Action::Export));
        let expired = keyring().authenticate(&token, 1_000).unwrap_err();
        assert!(expired.to_string().contains("expired"), "{expired}");
    }

    #[test]
    fn forged_or_foreign_tokens_are_refused() {
        let claims = TokenClaims { filter: None, exp: 1_000 };
        // Signed with another secret under the site key's uid.
        let header = Header { kid: Some(crate::access::key_uid(KEY)), ..Header::new(Algorithm::HS256) };
        let forged = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(b"guess")).unwrap();
        assert!(keyring().authenticate(&forged, 0).unwrap_err().to_string().contains("signature"));
        // A key that may not search signs no tokens.
        let by_writer = mint_token("writer-key-0123456789", &claims).unwrap();
        assert!(keyring().authenticate(&by_writer, 0).unwrap_err().to_string().contains("may not search"));
        // An unknown key.
        let unknown = mint_token("unknown-key-0123456789", &claims).unwrap();
        assert!(keyring().authenticate(&unknown, 0).unwrap_err().to_string().contains("unknown"));
        // A token with its payload edited keeps the old signature.
        let token =
            mint_token(KEY, &TokenClaims { filter: Some(serde_json::json!({"source": "A"})), exp: 1_000 }).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let widened = mint_token(KEY, &TokenClaims { filter: None, exp: 1_000 }).unwrap();
        let spliced = format!("{}.{}.{}", parts[0], widened.split('.').nth(1).unwrap(), parts[2]);
        assert!(keyring().authenticate(&spliced, 0).is_err());
        // No expiry.
        let header = Header { kid: Some(crate::access::key_uid(KEY)), ..Header::new(Algorithm::HS256) };
        let secret = crate::access::token_secret(KEY);
        let endless =
            jsonwebtoken::encode(&header, &serde_json::json!({}), &EncodingKey::from_secret(secret.as_bytes()))
                .unwrap();
        assert!(keyring().authenticate(&endless, 0).unwrap_err().to_string().contains("exp"));
    }
}
