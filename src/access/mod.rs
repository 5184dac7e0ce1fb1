//! Who may do what. A request presents an API key or a tenant token (`Authorization: Bearer …`);
//! the [`Keyring`] turns it into a [`Grant`]: the actions it allows (`search`, `write`,
//! `export`, `admin`, admin implying the others) and the [`Scope`] of articles it sees.
//!
//! Keys come from the configuration (`api_keys`, `search_keys`, `[[keys]]`) and from the store
//! (made through `POST /v1/keys`); only their SHA-256 digests are kept, and a presented key is
//! compared with every digest in constant time. A tenant token (`tokens.rs`) is a JWT signed with
//! a search key's digest: it narrows that key's scope with a filter of its own until it expires.

mod tokens;

use std::sync::RwLock;

use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::search::scope::Scope;
use crate::store::StoredKey;
pub use tokens::{mint_token, TokenClaims};

/// What a credential may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Search, suggest, entities, related stories, article lookups, figures.
    Search,
    /// Add, replace and delete articles.
    Write,
    /// Stream every match of a search (`/v1/export`).
    Export,
    /// Everything, and managing keys (`/v1/keys`).
    Admin,
}

impl Action {
    pub const ALL: [Action; 4] = [Action::Search, Action::Write, Action::Export, Action::Admin];

    pub fn name(self) -> &'static str {
        match self {
            Action::Search => "search",
            Action::Write => "write",
            Action::Export => "export",
            Action::Admin => "admin",
        }
    }

    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|action| action.name() == name.trim())
    }
}

/// A set of actions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Actions(u8);

impl Actions {
    pub const NONE: Actions = Actions(0);

    pub fn of(actions: &[Action]) -> Actions {
        Actions(actions.iter().fold(0, |bits, action| bits | 1 << *action as u8))
    }

    /// Reads action names; an empty list or an unknown name is an error.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Actions> {
        if names.is_empty() {
            return Err(Error::BadParameter("actions: name at least one of search, write, export, admin".into()));
        }
        let actions = names
            .iter()
            .map(|name| {
                Action::parse(name.as_ref()).ok_or_else(|| {
                    Error::BadParameter(format!(
                        "actions: unknown action {:?}; use search, write, export or admin",
                        name.as_ref()
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Actions::of(&actions))
    }

    /// True when the set allows `action` (admin allows everything).
    pub fn allow(self, action: Action) -> bool {
        self.0 & (1 << action as u8 | 1 << Action::Admin as u8) != 0
    }

    pub fn with(self, other: Actions) -> Actions {
        Actions(self.0 | other.0)
    }

    /// The actions named, in order.
    pub fn list(self) -> Vec<Action> {
        Action::ALL.into_iter().filter(|action| self.0 & (1 << *action as u8) != 0).collect()
    }

    /// True when a key with these actions must be kept private (anything beyond search): such a
    /// key is its own client; a search-only key may be public, shared by many.
    pub fn private(self) -> bool {
        self.list().iter().any(|action| *action != Action::Search)
    }
}

/// Where a key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The configuration: changed by editing it.
    Config,
    /// `POST /v1/keys`: removed with `DELETE /v1/keys/{uid}`.
    Api,
}

/// A key as an operator sees it: everything but the key.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyInfo {
    /// Names the key in tenant tokens (their `kid`) and in `DELETE /v1/keys/{uid}`; derived from the
    /// key, so its holder can work it out too (see `tidings token`).
    pub uid: String,
    pub name: String,
    /// The key's first characters.
    pub prefix: String,
    pub actions: Vec<Action>,
    /// Keyword filters every request of the key is restricted to.
    #[schema(value_type = Option<Object>)]
    pub filter: serde_json::Value,
    /// RFC 3339; absent: never.
    pub expires_at: Option<String>,
    pub created_at: Option<String>,
    pub origin: Origin,
}

/// A key the keyring knows.
#[derive(Clone)]
struct Entry {
    uid: String,
    name: String,
    prefix: String,
    digest: [u8; 32],
    /// The digest in hex: a tenant token's HMAC secret.
    secret: String,
    actions: Actions,
    scope: Scope,
    expires_at: Option<i64>,
    created_at: Option<i64>,
    origin: Origin,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Entry").field("uid", &self.uid).field("name", &self.name).finish_non_exhaustive()
    }
}

impl Entry {
    fn info(&self) -> KeyInfo {
        KeyInfo {
            uid: self.uid.clone(),
            name: self.name.clone(),
            prefix: self.prefix.clone(),
            actions: self.actions.list(),
            filter: self.scope.to_json(),
            expires_at: self.expires_at.map(rfc3339),
            created_at: self.created_at.map(rfc3339),
            origin: self.origin,
        }
    }

    fn expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|expires_at| expires_at <= now)
    }
}

/// A key to put in the keyring: from the configuration or a `POST /v1/keys`.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub name: String,
    pub key: String,
    pub actions: Actions,
    pub scope: Scope,
    /// Unix seconds.
    pub expires_at: Option<i64>,
}

impl NewKey {
    /// Checks what every key must be: long enough, and a filter only on keys that read (a write
    /// or admin key sees and changes everything).
    pub fn check(&self) -> Result<()> {
        if self.key.chars().count() < MIN_KEY_CHARS {
            return Err(Error::Config(format!("key {:?}: keys are at least {MIN_KEY_CHARS} characters", self.name)));
        }
        if !self.scope.is_everything() && (self.actions.allow(Action::Write) || self.actions.allow(Action::Admin)) {
            return Err(Error::BadParameter(format!(
                "key {:?}: a filter restricts what a key sees; keys that write or administer see everything",
                self.name
            )));
        }
        Ok(())
    }

    /// The row the store keeps (the digest, never the key).
    pub fn stored(&self, now: i64) -> StoredKey {
        let digest = hex(&Sha256::digest(self.key.as_bytes()));
        StoredKey {
            uid: uid_of(&digest),
            name: self.name.clone(),
            prefix: prefix_of(&self.key),
            digest,
            actions: self.actions.list().iter().map(|action| action.name()).collect::<Vec<_>>().join(" "),
            filter: (!self.scope.is_everything()).then(|| self.scope.to_json().to_string()),
            expires_at: self.expires_at,
            created_at: now,
        }
    }
}

/// The keys the configuration names: `api_keys` (admin), `search_keys` (search only) and the
/// `[[keys]]` tables.
pub fn configured_keys(settings: &Settings) -> Result<Vec<NewKey>> {
    let mut keys = Vec::new();
    for (list, label, action) in
        [(&settings.api_keys, "admin", Action::Admin), (&settings.search_keys, "search", Action::Search)]
    {
        keys.extend(list.iter().enumerate().map(|(number, key)| NewKey {
            name: format!("{label} key {}", number + 1),
            key: key.clone(),
            actions: Actions::of(&[action]),
            scope: Scope::everything(),
            expires_at: None,
        }));
    }
    for key in &settings.keys {
        let config = |error: Error| Error::Config(format!("[[keys]] {:?}: {error}", key.name));
        keys.push(NewKey {
            name: key.name.clone(),
            key: key.key.clone(),
            actions: Actions::parse(&key.actions).map_err(config)?,
            scope: key.filter.as_ref().map(Scope::from_json).transpose().map_err(config)?.unwrap_or_default(),
            expires_at: key.expires_at.as_deref().map(parse_expiry).transpose().map_err(config)?,
        });
    }
    Ok(keys)
}

/// Characters a key has at least.
pub const MIN_KEY_CHARS: usize = 16;

/// What a request may do, and what it sees.
#[derive(Debug, Clone)]
pub struct Grant {
    pub actions: Actions,
    pub scope: Scope,
    /// The key presented (or the key a token was signed with); `None` for no credential.
    pub key_uid: Option<String>,
    /// The credential is a private key (one that does more than search): rate limits count its
    /// requests by key rather than by client address.
    pub private: bool,
}

impl Grant {
    /// A request that presented nothing: the public actions, everything in sight.
    pub fn anonymous(public: Actions) -> Grant {
        Grant { actions: public, scope: Scope::everything(), key_uid: None, private: false }
    }

    /// `Ok` when the grant allows `action`, else the 403 to answer.
    pub fn require(&self, action: Action) -> Result<()> {
        if self.actions.allow(action) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("this key may not {}", verb(action))))
        }
    }
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Search => "search",
        Action::Write => "write articles",
        Action::Export => "export",
        Action::Admin => "administer this server (the admin action)",
    }
}

/// The keys a server accepts: the configured ones, fixed, and the stored ones, reloaded when
/// they change.
#[derive(Debug, Default)]
pub struct Keyring {
    configured: Vec<Entry>,
    stored: RwLock<Vec<Entry>>,
}

impl Keyring {
    /// The configured keys (checked) and the store's.
    pub fn new(configured: &[NewKey], stored: Vec<StoredKey>) -> Result<Keyring> {
        let configured = configured
            .iter()
            .map(|key| {
                key.check()?;
                Ok(entry(&key.stored(0), Origin::Config))
            })
            .collect::<Result<Vec<_>>>()?;
        let keyring = Keyring { configured, stored: RwLock::default() };
        keyring.reload(stored)?;
        Ok(keyring)
    }

    /// Replaces the stored keys with what the store now holds.
    pub fn reload(&self, stored: Vec<StoredKey>) -> Result<()> {
        let entries = stored.iter().map(|key| entry(key, Origin::Api)).collect();
        *self.stored.write().map_err(|_| Error::Internal("keyring lock poisoned".into()))? = entries;
        Ok(())
    }

    /// True when no key at all is known (nothing can be authorised).
    pub fn is_empty(&self) -> bool {
        self.configured.is_empty() && self.stored.read().map(|stored| stored.is_empty()).unwrap_or(true)
    }

    /// Every key, configured ones first.
    pub fn list(&self) -> Vec<KeyInfo> {
        let stored = self.stored.read().map(|stored| stored.clone()).unwrap_or_default();
        self.configured.iter().chain(&stored).map(Entry::info).collect()
    }

    /// True when `uid` names a configured key (which only the configuration can remove).
    pub fn is_configured(&self, uid: &str) -> bool {
        self.configured.iter().any(|entry| entry.uid == uid)
    }

    /// The grant of a presented credential (an API key or a tenant token), at `now` (Unix
    /// seconds): 401 when it is unknown, forged or expired.
    pub fn authenticate(&self, presented: &str, now: i64) -> Result<Grant> {
        let stored = self.stored.read().map_err(|_| Error::Internal("keyring lock poisoned".into()))?;
        let entries = || self.configured.iter().chain(stored.iter());
        if tokens::looks_like_token(presented) {
            return tokens::grant(presented, now, |uid| entries().find(|entry| entry.uid == uid).map(Entry::parent));
        }
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        // Every digest is compared, each in constant time, so neither how much of a key was right
        // nor which key matched shows in the time taken.
        let mut found = None;
        for entry in entries() {
            let difference = entry.digest.iter().zip(&digest).fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if difference == 0 {
                found = Some(entry);
            }
        }
        let Some(entry) = found else { return Err(Error::Unauthorized("the API key is not valid".into())) };
        if entry.expired(now) {
            return Err(Error::Unauthorized(format!(
                "the API key {:?} expired at {}",
                entry.name,
                rfc3339(entry.expires_at.unwrap_or_default())
            )));
        }
        Ok(Grant {
            actions: entry.actions,
            scope: entry.scope.clone(),
            key_uid: Some(entry.uid.clone()),
            private: entry.actions.private(),
        })
    }
}

/// What a tenant token needs of the key that signed it.
pub(crate) struct Parent {
    uid: String,
    secret: String,
    actions: Actions,
    scope: Scope,
    expires_at: Option<i64>,
}

impl Entry {
    fn parent(&self) -> Parent {
        Parent {
            uid: self.uid.clone(),
            secret: self.secret.clone(),
            actions: self.actions,
            scope: self.scope.clone(),
            expires_at: self.expires_at,
        }
    }
}

fn entry(key: &StoredKey, origin: Origin) -> Entry {
    let mut digest = [0u8; 32];
    for (byte, pair) in digest.iter_mut().zip(key.digest.as_bytes().chunks(2)) {
        *byte = std::str::from_utf8(pair).ok().and_then(|pair| u8::from_str_radix(pair, 16).ok()).unwrap_or(0);
    }
    let actions: Vec<&str> = key.actions.split_whitespace().collect();
    let scope = key
        .filter
        .as_deref()
        .and_then(|filter| serde_json::from_str(filter).ok())
        .and_then(|filter| Scope::from_json(&filter).ok())
        .unwrap_or_default();
    Entry {
        uid: key.uid.clone(),
        name: key.name.clone(),
        prefix: key.prefix.clone(),
        digest,
        secret: key.digest.clone(),
        actions: Actions::parse(&actions).unwrap_or(Actions::NONE),
        scope,
        expires_at: key.expires_at,
        created_at: (origin == Origin::Api).then_some(key.created_at),
        origin,
    }
}

/// The uid of the key whose digest (hex) is `digest`: the first 16 hex digits of its SHA-256.
fn uid_of(digest: &str) -> String {
    hex(&Sha256::digest(digest.as_bytes()))[..16].to_string()
}

/// The uid of a key, as the keyring names it.
pub fn key_uid(key: &str) -> String {
    uid_of(&hex(&Sha256::digest(key.as_bytes())))
}

/// The secret a tenant token of `key` is signed with: the key's SHA-256, in hex.
pub fn token_secret(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

fn prefix_of(key: &str) -> String {
    key.chars().take(8).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|date| date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// A new random key: `tdg_` and 40 hex digits (160 bits from the operating system).
pub fn generate_key() -> Result<String> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|error| Error::Internal(format!("no randomness for a key: {error}")))?;
    Ok(format!("tdg_{}", hex(&bytes)))
}

/// Reads an RFC 3339 date or a date (`2027-01-31`, midnight UTC) into Unix seconds.
pub fn parse_expiry(text: &str) -> Result<i64> {
    let text = text.trim();
    if let Ok(date) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(date.timestamp());
    }
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).map(|date| date.and_utc().timestamp()).unwrap_or_default());
    }
    Err(Error::BadParameter(format!("expires_at: {text:?} is not an RFC 3339 date such as 2027-01-31T00:00:00Z")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, key: &str, actions: &[Action], filter: Option<serde_json::Value>) -> NewKey {
        NewKey {
            name: name.into(),
            key: key.into(),
            actions: Actions::of(actions),
            scope: filter.map(|filter| Scope::from_json(&filter).unwrap()).unwrap_or_default(),
            expires_at: None,
        }
    }

    #[test]
    fn keys_match_exactly_and_carry_their_actions() {
        let keyring = Keyring::new(
            &[
                key("admin", "first-key-0123456789", &[Action::Admin], None),
                key("page", "second-key-0123456789", &[Action::Search], None),
            ],
            Vec::new(),
        )
        .unwrap();
        let admin = keyring.authenticate("first-key-0123456789", 0).unwrap();
        assert!(admin.actions.allow(Action::Write) && admin.actions.allow(Action::Export) && admin.private);
        let page = keyring.authenticate("second-key-0123456789", 0).unwrap();
        assert!(page.actions.allow(Action::Search) && !page.actions.allow(Action::Write) && !page.private);
        assert_eq!(page.require(Action::Export).unwrap_err().code(), "forbidden");
        for wrong in ["first-key-012345678", "", "second-key-0123456789 "] {
            assert_eq!(keyring.authenticate(wrong, 0).unwrap_err().code(), "unauthorized", "{wrong:?}");
        }
        assert!(Keyring::default().authenticate("first-key-0123456789", 0).is_err());
    }

    #[test]
    fn expired_keys_and_filtered_writers_are_refused() {
        let mut expiring = key("old", "expiring-key-0123456789", &[Action::Search], None);
        expiring.expires_at = Some(100);
        let keyring = Keyring::new(&[expiring], Vec::new()).unwrap();
        assert!(keyring.authenticate("expiring-key-0123456789", 99).is_ok());
        let error = keyring.authenticate("expiring-key-0123456789", 100).unwrap_err();
        assert!(error.to_string().contains("expired"), "{error}");
        let writer = key("w", "writer-key-0123456789", &[Action::Write], Some(serde_json::json!({"source": "A"})));
        assert!(writer.check().is_err());
        assert!(key("short", "short", &[Action::Search], None).check().is_err());
    }

    #[test]
    fn stored_keys_keep_only_a_digest() {
        let made = key("made", "tdg_made-key-0123456789", &[Action::Search, Action::Export], None);
        let row = made.stored(1_800_000_000);
        assert!(!row.digest.contains("made-key") && row.digest.len() == 64);
        assert_eq!(row.uid, key_uid("tdg_made-key-0123456789"));
        assert_eq!(row.actions, "search export");
        let keyring = Keyring::new(&[], vec![row]).unwrap();
        let grant = keyring.authenticate("tdg_made-key-0123456789", 0).unwrap();
        assert!(grant.actions.allow(Action::Export) && grant.private);
        assert_eq!(keyring.list()[0].origin, Origin::Api);
        let generated = generate_key().unwrap();
        assert!(generated.starts_with("tdg_") && generated.len() == 44 && generated != generate_key().unwrap());
    }
}
