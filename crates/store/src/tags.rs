//! Tags on users, roles and managed policies.

use super::*;

impl Store {
    /// Adds or overwrites tags (at most 50 per entity, AWS's quota).
    pub async fn tag(&self, account_id: &str, owner: Owner, owner_key: &str, tags: &[Tag]) -> Result<()> {
        let account_id = account_id.to_owned();
        let owner_key = owner_key.to_owned();
        let tags = tags.to_vec();
        self.writes
            .write(move |tx| {
                let account_id = account_id.as_str();
                let owner_key = owner_key.as_str();
                let tags = tags.as_slice();
                // Checked in the transaction that writes: tags set on an entity being deleted
                // would otherwise outlive it and pass to the next one of its name.
                require_owner(tx, account_id, owner, owner_key)?;
                insert_tags(tx, account_id, owner, &owner_key_for(owner, owner_key), tags)?;
                let count: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM tags WHERE account_id = ? AND kind = ? AND owner_key = ?")?
                    .query_row(rusqlite::params![account_id, owner.as_str(), owner_key_for(owner, owner_key)], |r| {
                        r.get(0)
                    })?;
                let quota = Quota::TagsPerEntity.value();
                if count > quota {
                    return Err(StoreError::LimitExceeded(Limit::Tags(quota)));
                }
                Ok(())
            })
            .await
    }

    /// Removes tags by key.
    pub async fn untag(&self, account_id: &str, owner: Owner, owner_key: &str, keys: &[String]) -> Result<()> {
        let account_id = account_id.to_owned();
        let owner_key = owner_key.to_owned();
        let keys = keys.to_vec();
        self.writes
            .write(move |tx| {
                let account_id = account_id.as_str();
                let owner_key = owner_key.as_str();
                let keys = keys.as_slice();
                for k in keys {
                    tx.prepare_cached(
                        "DELETE FROM tags WHERE account_id = ? AND kind = ? AND owner_key = ? AND key = ?",
                    )?
                    .execute(rusqlite::params![
                        account_id,
                        owner.as_str(),
                        owner_key_for(owner, owner_key),
                        k
                    ])?;
                }
                Ok(())
            })
            .await
    }

    /// The tags of an entity, in the order they were first set.
    pub async fn tags(&self, account_id: &str, owner: Owner, owner_key: &str) -> Result<Vec<Tag>> {
        self.reader.all(
            "SELECT key, value FROM tags WHERE account_id = ? AND kind = ? AND owner_key = ? ORDER BY position, key",
            (account_id, owner.as_str(), owner_key_for(owner, owner_key)),
            |r| Ok(Tag { key: r.get("key")?, value: r.get("value")? }),
        )
    }
}

/// `NotFound` unless the entity that would own tags exists, as the write's transaction sees it.
fn require_owner(tx: &rusqlite::Connection, account_id: &str, owner: Owner, owner_key: &str) -> Result<()> {
    let key_for = owner_key_for(owner, owner_key);
    let (sql, missing) = match owner {
        Owner::Principal(kind) => (
            "SELECT 1 FROM principals WHERE account_id = ?1 AND kind = ?3 AND name_key = ?2",
            Missing::Principal(kind, owner_key.to_string()),
        ),
        Owner::Policy => (
            "SELECT 1 FROM managed_policies WHERE account_id = ?1 AND arn = ?2",
            Missing::ManagedPolicy(owner_key.to_string()),
        ),
        Owner::InstanceProfile => (
            "SELECT 1 FROM instance_profiles WHERE account_id = ?1 AND name_key = ?2",
            Missing::InstanceProfile(owner_key.to_string()),
        ),
        Owner::MfaDevice => (
            "SELECT 1 FROM mfa_devices WHERE account_id = ?1 AND serial = ?2",
            Missing::VirtualMfaDevice(owner_key.to_string()),
        ),
        Owner::OidcProvider | Owner::SamlProvider => (
            "SELECT 1 FROM identity_providers WHERE account_id = ?1 AND arn = ?2",
            Missing::IdentityProvider(owner_key.to_string()),
        ),
        Owner::ServerCertificate => (
            "SELECT 1 FROM server_certificates WHERE account_id = ?1 AND name_key = ?2",
            Missing::ServerCertificate(owner_key.to_string()),
        ),
    };
    let kind = match owner {
        Owner::Principal(kind) => kind.as_str(),
        _ => "",
    };
    // Only a principal's statement names its kind (?3).
    let mut statement = tx.prepare_cached(sql)?;
    let found: Option<i64> = if statement.parameter_count() == 3 {
        statement.query_row(rusqlite::params![account_id, &key_for, kind], |r| r.get(0)).optional()?
    } else {
        statement.query_row(rusqlite::params![account_id, &key_for], |r| r.get(0)).optional()?
    };
    found.map(|_| ()).ok_or(StoreError::NotFound(missing))
}
