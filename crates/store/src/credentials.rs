//! Access keys and STS sessions.

use super::*;

impl Store {
    /// Stores a new access key. A user may have at most two (AWS's quota).
    pub async fn create_access_key(&self, key_record: &AccessKey) -> Result<()> {
        let key_record = key_record.clone();
        self.writes
            .write(move |tx| {
                let key_record = &key_record;
                let user_key = key_record.user_name.as_deref().map(key);
                let existing: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM access_keys WHERE account_id = ? AND user_key IS ?")?
                    .query_row(rusqlite::params![&key_record.account_id, &user_key], |r| r.get(0))?;
                let quota = Quota::AccessKeysPerUser.value();
                if existing >= quota {
                    return Err(StoreError::LimitExceeded(Limit::AccessKeysPerUser(quota)));
                }
                tx.prepare_cached(
                    "INSERT INTO access_keys (access_key_id, account_id, user_key, secret, status, created) \
                         VALUES (?, ?, ?, ?, ?, ?)",
                )?
                .execute(rusqlite::params![
                    &key_record.access_key_id,
                    &key_record.account_id,
                    &user_key,
                    &key_record.secret,
                    &key_record.status,
                    &key_record.created
                ])?;
                Ok(())
            })
            .await
    }

    /// An access key by id, with its user's name as created.
    pub async fn access_key(&self, access_key_id: &str) -> Result<Option<AccessKey>> {
        self.reader.one(
            "SELECT k.*, p.name AS user_name FROM access_keys k LEFT JOIN principals p ON p.account_id = k.account_id \
             AND p.kind = 'user' AND p.name_key = k.user_key WHERE k.access_key_id = ?",
            [access_key_id],
            access_key_from_row,
        )
    }

    /// A user's access keys (`None`: the root user's).
    pub async fn access_keys(&self, account_id: &str, user: Option<&str>) -> Result<Vec<AccessKey>> {
        self.reader.all(
            "SELECT k.*, p.name AS user_name FROM access_keys k LEFT JOIN principals p ON p.account_id = k.account_id \
             AND p.kind = 'user' AND p.name_key = k.user_key WHERE k.account_id = ? AND k.user_key IS ? ORDER BY k.created",
            (account_id, user.map(key)),
            access_key_from_row,
        )
    }

    /// Sets a key's status (`Active`/`Inactive`).
    pub async fn update_access_key(
        &self,
        account_id: &str,
        user: Option<&str>,
        access_key_id: &str,
        status: &str,
    ) -> Result<()> {
        self.execute_existing(
            Bound::new(
                "UPDATE access_keys SET status = ? WHERE account_id = ? AND user_key IS ? AND access_key_id = ?",
                vec![
                    Box::new(status.to_owned()),
                    Box::new(account_id.to_owned()),
                    Box::new(user.map(key)),
                    Box::new(access_key_id.to_owned()),
                ],
            ),
            || StoreError::NotFound(Missing::AccessKey(access_key_id.to_string())),
        )
        .await
    }

    /// Deletes a key.
    pub async fn delete_access_key(&self, account_id: &str, user: Option<&str>, access_key_id: &str) -> Result<()> {
        self.execute_existing(
            Bound::new(
                "DELETE FROM access_keys WHERE account_id = ? AND user_key IS ? AND access_key_id = ?",
                vec![Box::new(account_id.to_owned()), Box::new(user.map(key)), Box::new(access_key_id.to_owned())],
            ),
            || StoreError::NotFound(Missing::AccessKey(access_key_id.to_string())),
        )
        .await
    }

    /// Records that a key was used (GetAccessKeyLastUsed).
    pub async fn record_access_key_use(
        &self,
        access_key_id: &str,
        when: &str,
        service: &str,
        region: &str,
    ) -> Result<()> {
        self.execute(Bound::new(
            "UPDATE access_keys SET last_used = ?, last_used_service = ?, last_used_region = ? WHERE access_key_id = ?",
            vec![
                Box::new(when.to_owned()),
                Box::new(service.to_owned()),
                Box::new(region.to_owned()),
                Box::new(access_key_id.to_owned()),
            ],
        ))
        .await?;
        Ok(())
    }

    // ----- STS sessions -----

    /// Stores temporary credentials.
    pub async fn create_session(&self, s: &Session) -> Result<()> {
        self.execute(Bound::new(
            "INSERT INTO sessions (access_key_id, account_id, secret, session_token, role_id, role_key, \
                 session_name, session_policy, session_tags, source_identity, mfa_authenticated, expires, created, \
                 kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                Box::new(s.access_key_id.clone()),
                Box::new(s.account_id.clone()),
                Box::new(s.secret.clone()),
                Box::new(s.session_token_sha256.clone()),
                Box::new(s.role_id.clone()),
                Box::new(key(&s.role_name)),
                Box::new(s.session_name.clone()),
                Box::new(s.session_policy.clone()),
                Box::new(s.session_tags.clone()),
                Box::new(s.source_identity.clone()),
                Box::new(s.mfa_authenticated.clone()),
                Box::new(s.expires.clone()),
                Box::new(s.created.clone()),
                Box::new(s.kind.as_str()),
            ],
        ))
        .await?;
        Ok(())
    }

    /// Temporary credentials by key id, with the role's current name (the name it had when the
    /// session was issued if the role is gone).
    pub async fn session(&self, access_key_id: &str) -> Result<Option<Session>> {
        self.reader.one(
            "SELECT s.*, COALESCE(p.name, s.role_key) AS role_name FROM sessions s LEFT JOIN principals p ON \
             p.id = s.role_id WHERE s.access_key_id = ?",
            [access_key_id],
            |r| {
                Ok(Session {
                    kind: SessionKind::parse(&r.get::<_, String>("kind")?),
                    access_key_id: r.get("access_key_id")?,
                    account_id: r.get("account_id")?,
                    secret: r.get("secret")?,
                    session_token_sha256: r.get("session_token")?,
                    role_id: r.get("role_id")?,
                    role_name: r.get("role_name")?,
                    session_name: r.get("session_name")?,
                    session_policy: r.get("session_policy")?,
                    session_tags: r.get("session_tags")?,
                    source_identity: r.get("source_identity")?,
                    mfa_authenticated: r.get("mfa_authenticated")?,
                    expires: r.get("expires")?,
                    created: r.get("created")?,
                })
            },
        )
    }
}

fn access_key_from_row(r: &rusqlite::Row) -> Result<AccessKey> {
    Ok(AccessKey {
        access_key_id: r.get("access_key_id")?,
        account_id: r.get("account_id")?,
        user_name: r.get("user_name")?,
        secret: r.get("secret")?,
        status: r.get("status")?,
        created: r.get("created")?,
        last_used: r.get("last_used")?,
        last_used_service: r.get("last_used_service")?,
        last_used_region: r.get("last_used_region")?,
    })
}
