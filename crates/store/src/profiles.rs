//! Instance profiles, and the account summary.

use super::*;

impl Store {
    /// Creates an instance profile; fails if the name is taken.
    pub async fn create_instance_profile(&self, account_id: &str, p: &InstanceProfile, tags: &[Tag]) -> Result<()> {
        let (account_id, p, tags) = (account_id.to_owned(), p.clone(), tags.to_vec());
        self.writes
            .write(move |tx| {
                let result = tx
                    .prepare_cached(
                        "INSERT INTO instance_profiles (account_id, name_key, name, id, path, arn, created) \
                         VALUES (?, ?, ?, ?, ?, ?, ?)",
                    )?
                    .execute(rusqlite::params![&account_id, key(&p.name), &p.name, &p.id, &p.path, &p.arn, &p.created]);
                already_exists(result, || Existing::InstanceProfile(p.name.clone()))?;
                insert_tags(tx, &account_id, Owner::InstanceProfile, &key(&p.name), &tags)
            })
            .await
    }

    /// An instance profile by name.
    pub async fn instance_profile(&self, account_id: &str, name: &str) -> Result<Option<InstanceProfile>> {
        self.reader.one(
            "SELECT i.*, r.name AS role_name FROM instance_profiles i LEFT JOIN principals r ON r.account_id = \
             i.account_id AND r.kind = 'role' AND r.name_key = i.role_key WHERE i.account_id = ? AND i.name_key = ?",
            (account_id, key(name)),
            instance_profile_from_row,
        )
    }

    /// Instance profiles under a path prefix, or those holding a role when `role` is given.
    pub async fn list_instance_profiles(
        &self,
        account_id: &str,
        path_prefix: &str,
        role: Option<&str>,
    ) -> Result<Vec<InstanceProfile>> {
        self.reader.all(
            "SELECT i.*, r.name AS role_name FROM instance_profiles i LEFT JOIN principals r ON r.account_id = \
             i.account_id \
             AND r.kind = 'role' AND r.name_key = i.role_key WHERE i.account_id = ?1 AND substr(i.path, 1, length(?2)) = ?2 \
             AND (?3 IS NULL OR i.role_key = ?3) ORDER BY i.name_key",
            (account_id, path_prefix, role.map(key)),
            instance_profile_from_row,
        )
    }

    /// Puts a role in an instance profile (which holds at most one: AWS's quota) or takes it out.
    /// The checks and the change are one conditional write in one transaction, so that of two
    /// concurrent additions one succeeds and the other is refused.
    pub async fn set_instance_profile_role(
        &self,
        account_id: &str,
        profile: &str,
        role: &str,
        add: bool,
    ) -> Result<()> {
        let (account_id, profile, role) = (account_id.to_owned(), profile.to_owned(), role.to_owned());
        self.writes
            .write(move |tx| {
                require_in(tx, &account_id, PrincipalKind::Role, &role)?;
                let changed = if add {
                    tx.prepare_cached(
                        "UPDATE instance_profiles SET role_key = ? WHERE account_id = ? AND name_key = ? \
                             AND role_key IS NULL",
                    )?
                    .execute(rusqlite::params![key(&role), &account_id, key(&profile)])?
                } else {
                    tx.prepare_cached(
                        "UPDATE instance_profiles SET role_key = NULL WHERE account_id = ? AND name_key = ? \
                             AND role_key = ?",
                    )?
                    .execute(rusqlite::params![&account_id, key(&profile), key(&role)])?
                };
                if changed == 1 {
                    return Ok(());
                }
                // Nothing changed: say why, from the same transaction's view.
                let exists = profile_exists(tx, &account_id, &profile)?;
                Err(match (exists, add) {
                    (false, _) => StoreError::NotFound(Missing::InstanceProfile(profile.clone())),
                    (true, true) => StoreError::LimitExceeded(Limit::RolesPerInstanceProfile(
                        Quota::RolesPerInstanceProfile.value(),
                    )),
                    (true, false) => {
                        StoreError::NotFound(Missing::RoleInInstanceProfile(role.clone(), profile.clone()))
                    }
                })
            })
            .await
    }

    /// Deletes an instance profile, which must hold no role (checked by the delete itself).
    pub async fn delete_instance_profile(&self, account_id: &str, name: &str) -> Result<()> {
        let (account_id, name) = (account_id.to_owned(), name.to_owned());
        self.writes
            .write(move |tx| {
                let deleted = tx
                    .prepare_cached(
                        "DELETE FROM instance_profiles WHERE account_id = ? AND name_key = ? AND role_key IS NULL",
                    )?
                    .execute(rusqlite::params![&account_id, key(&name)])?;
                if deleted == 1 {
                    return delete_tags(tx, &account_id, Owner::InstanceProfile, &name);
                }
                let exists = profile_exists(tx, &account_id, &name)?;
                Err(match exists {
                    false => StoreError::NotFound(Missing::InstanceProfile(name.clone())),
                    true => StoreError::Conflict(Conflict::InstanceProfile),
                })
            })
            .await
    }

    /// Counts of each entity kind in an account (GetAccountSummary).
    pub async fn summary(&self, account_id: &str) -> Result<Vec<(&'static str, i64)>> {
        let queries: [(&'static str, &'static str); 11] = [
            ("Users", "SELECT COUNT(*) FROM principals WHERE account_id = ?1 AND kind = 'user'"),
            ("Groups", "SELECT COUNT(*) FROM principals WHERE account_id = ?1 AND kind = 'group'"),
            ("Roles", "SELECT COUNT(*) FROM principals WHERE account_id = ?1 AND kind = 'role'"),
            ("Policies", "SELECT COUNT(*) FROM managed_policies WHERE account_id = ?1"),
            ("InstanceProfiles", "SELECT COUNT(*) FROM instance_profiles WHERE account_id = ?1"),
            ("PolicyVersionsInUse", "SELECT COUNT(*) FROM attachments WHERE account_id = ?1"),
            ("MFADevices", "SELECT COUNT(*) FROM mfa_devices WHERE account_id = ?1"),
            ("MFADevicesInUse", "SELECT COUNT(*) FROM mfa_devices WHERE account_id = ?1 AND enabled IS NOT NULL"),
            (
                "AccountAccessKeysPresent",
                "SELECT COUNT(*) > 0 FROM access_keys WHERE account_id = ?1 AND user_key IS NULL",
            ),
            ("ServerCertificates", "SELECT COUNT(*) FROM server_certificates WHERE account_id = ?1"),
            ("Providers", "SELECT COUNT(*) FROM identity_providers WHERE account_id = ?1"),
        ];
        let mut out = Vec::with_capacity(queries.len());
        for (name, sql) in queries {
            let n: Option<i64> = self.reader.one(sql, [account_id], |r| Ok(r.get(0)?))?;
            out.push((name, n.unwrap_or(0)));
        }
        Ok(out)
    }
}

fn instance_profile_from_row(r: &rusqlite::Row) -> Result<InstanceProfile> {
    Ok(InstanceProfile {
        name: r.get("name")?,
        id: r.get("id")?,
        path: r.get("path")?,
        arn: r.get("arn")?,
        created: r.get("created")?,
        role_name: r.get("role_name")?,
    })
}

/// Whether the instance profile exists, as the write's own transaction sees it: why a conditional
/// write changed nothing.
fn profile_exists(tx: &rusqlite::Connection, account_id: &str, name: &str) -> Result<bool> {
    let found = tx
        .prepare_cached("SELECT 1 FROM instance_profiles WHERE account_id = ? AND name_key = ?")?
        .query_row(rusqlite::params![account_id, key(name)], |_| Ok(()))
        .optional()?;
    Ok(found.is_some())
}
