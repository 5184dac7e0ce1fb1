//! API keys made through the API: their digests, actions, filters and expiry. The keys
//! themselves are never stored.

use rusqlite::params;

use super::Store;
use crate::error::Result;

/// One stored key, as the `api_keys` table holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub uid: String,
    pub name: String,
    /// Hex SHA-256 of the key.
    pub digest: String,
    /// The key's first characters.
    pub prefix: String,
    /// Space-separated actions.
    pub actions: String,
    /// The filter's JSON object, if any.
    pub filter: Option<String>,
    /// Unix seconds.
    pub expires_at: Option<i64>,
    pub created_at: i64,
}

impl Store {
    pub fn insert_key(&self, key: &StoredKey) -> Result<()> {
        self.connection
            .prepare_cached(
                "insert into api_keys (uid, name, digest, prefix, actions, filter, expires_at, created_at)
                 values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                key.uid,
                key.name,
                key.digest,
                key.prefix,
                key.actions,
                key.filter,
                key.expires_at,
                key.created_at
            ])?;
        Ok(())
    }

    /// Every stored key, oldest first.
    pub fn keys(&self) -> Result<Vec<StoredKey>> {
        let mut statement = self.connection.prepare_cached(
            "select uid, name, digest, prefix, actions, filter, expires_at, created_at from api_keys
             order by created_at, uid",
        )?;
        let keys = statement
            .query_map([], |row| {
                Ok(StoredKey {
                    uid: row.get(0)?,
                    name: row.get(1)?,
                    digest: row.get(2)?,
                    prefix: row.get(3)?,
                    actions: row.get(4)?,
                    filter: row.get(5)?,
                    expires_at: row.get(6)?,
                    created_at: row.get(7)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(keys)
    }

    /// Removes a key; false when there was none with that uid.
    pub fn delete_key(&self, uid: &str) -> Result<bool> {
        Ok(self.connection.prepare_cached("delete from api_keys where uid = ?1")?.execute([uid])? > 0)
    }
}
