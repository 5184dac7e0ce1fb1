//! API keys: the keyring every request is checked against, and the keys made and removed
//! through the API (kept in the store as digests).

use super::Service;
use crate::access::{generate_key, Actions, KeyInfo, Keyring, NewKey};
use crate::error::{Error, Result};
use crate::search::scope::Scope;

/// A key to make: what `POST /v1/keys` asks for.
#[derive(Debug, Clone)]
pub struct KeyRequest {
    pub name: String,
    pub actions: Actions,
    pub scope: Scope,
    /// Unix seconds.
    pub expires_at: Option<i64>,
}

impl Service {
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// Makes a key: the key itself is in the answer and nowhere else (the store keeps its digest).
    pub fn create_key(&self, request: KeyRequest, now: i64) -> Result<(KeyInfo, String)> {
        if request.name.trim().is_empty() || request.name.chars().count() > 200 {
            return Err(Error::BadParameter("name: between 1 and 200 characters".into()));
        }
        if request.expires_at.is_some_and(|expires_at| expires_at <= now) {
            return Err(Error::BadParameter("expires_at: the key would have expired already".into()));
        }
        let key = generate_key()?;
        let new = NewKey {
            name: request.name.trim().to_string(),
            key: key.clone(),
            actions: request.actions,
            scope: request.scope,
            expires_at: request.expires_at,
        };
        new.check()?;
        let row = new.stored(now);
        let store = self.reader()?;
        store.insert_key(&row)?;
        self.keyring.reload(store.keys()?)?;
        let info = self.keyring.list().into_iter().find(|info| info.uid == row.uid);
        Ok((info.ok_or_else(|| Error::Internal("the new key is not in the keyring".into()))?, key))
    }

    /// Removes a key made through the API; configured keys are removed from the configuration.
    pub fn delete_key(&self, uid: &str) -> Result<()> {
        if self.keyring.is_configured(uid) {
            return Err(Error::Conflict(format!(
                "key {uid} is in the configuration: remove it there and restart the server"
            )));
        }
        let store = self.reader()?;
        if !store.delete_key(uid)? {
            return Err(Error::NotFound(format!("no key with uid {uid:?}")));
        }
        self.keyring.reload(store.keys()?)
    }
}
