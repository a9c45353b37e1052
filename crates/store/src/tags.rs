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
                Box::pin(async move {
                    let account_id = account_id.as_str();
                    let owner_key = owner_key.as_str();
                    let tags = tags.as_slice();
                    insert_tags(tx, account_id, owner, &owner_key_for(owner, owner_key), tags).await?;
                    let count: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM tags WHERE account_id = ? AND kind = ? AND owner_key = ?",
                    )
                    .bind(account_id)
                    .bind(owner.as_str())
                    .bind(owner_key_for(owner, owner_key))
                    .fetch_one(&mut *tx)
                    .await?;
                    let quota = Quota::TagsPerEntity.value();
                    if count > quota {
                        return Err(StoreError::LimitExceeded(Limit::Tags(quota)));
                    }
                    Ok(())
                })
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
                Box::pin(async move {
                    let account_id = account_id.as_str();
                    let owner_key = owner_key.as_str();
                    let keys = keys.as_slice();
                    for k in keys {
                        sqlx::query("DELETE FROM tags WHERE account_id = ? AND kind = ? AND owner_key = ? AND key = ?")
                            .bind(account_id)
                            .bind(owner.as_str())
                            .bind(owner_key_for(owner, owner_key))
                            .bind(k)
                            .execute(&mut *tx)
                            .await?;
                    }
                    Ok(())
                })
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
