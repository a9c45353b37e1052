//! Users, groups and roles: creation, lookup, rename, deletion with AWS's DeleteConflict rules,
//! group membership and inline policies.

use super::*;

/// What must be gone before a user, group or role can be deleted (bound as ?1 account, ?2 kind,
/// ?3 name key), with the conflict each is.
const DELETE_CONFLICTS: [(&str, Conflict); 10] = [
    ("SELECT COUNT(*) FROM mfa_devices WHERE account_id = ?1 AND ?2 = 'user' AND user_key = ?3", Conflict::MfaDevice),
    (
        "SELECT COUNT(*) FROM login_profiles WHERE account_id = ?1 AND ?2 = 'user' AND user_key = ?3",
        Conflict::LoginProfile,
    ),
    (
        "SELECT COUNT(*) FROM instance_profiles WHERE account_id = ?1 AND ?2 = 'role' AND role_key = ?3",
        Conflict::InstanceProfile,
    ),
    (
        "SELECT COUNT(*) FROM inline_policies WHERE account_id = ?1 AND kind = ?2 AND owner_key = ?3",
        Conflict::InlinePolicies,
    ),
    (
        "SELECT COUNT(*) FROM attachments WHERE account_id = ?1 AND kind = ?2 AND owner_key = ?3",
        Conflict::AttachedPolicies,
    ),
    ("SELECT COUNT(*) FROM access_keys WHERE account_id = ?1 AND ?2 = 'user' AND user_key = ?3", Conflict::AccessKeys),
    (
        "SELECT COUNT(*) FROM group_members WHERE account_id = ?1 AND \
         ((?2 = 'user' AND user_key = ?3) OR (?2 = 'group' AND group_key = ?3))",
        Conflict::GroupMembers,
    ),
    (
        "SELECT COUNT(*) FROM user_credentials WHERE account_id = ?1 AND ?2 = 'user' AND user_key = ?3 \
         AND kind = 'signing-certificate'",
        Conflict::UserCredentials(UserCredentialKind::SigningCertificate),
    ),
    (
        "SELECT COUNT(*) FROM user_credentials WHERE account_id = ?1 AND ?2 = 'user' AND user_key = ?3 \
         AND kind = 'ssh-public-key'",
        Conflict::UserCredentials(UserCredentialKind::SshPublicKey),
    ),
    (
        "SELECT COUNT(*) FROM user_credentials WHERE account_id = ?1 AND ?2 = 'user' AND user_key = ?3 \
         AND kind = 'service-specific'",
        Conflict::UserCredentials(UserCredentialKind::ServiceSpecific),
    ),
];

impl Store {
    /// Creates a user, group or role with its tags; fails if the name is taken (case-insensitively).
    pub async fn create_principal(&self, account_id: &str, p: &Principal) -> Result<()> {
        self.create_principal_with_tags(account_id, p, &[]).await
    }

    /// Creates a principal and its tags in one transaction.
    pub async fn create_principal_with_tags(&self, account_id: &str, p: &Principal, tags: &[Tag]) -> Result<()> {
        let (account_id, p, tags) = (account_id.to_string(), p.clone(), tags.to_vec());
        self.writes
            .write(move |tx| {
                Box::pin(async move {
                    let result = sqlx::query(
                        "INSERT INTO principals (account_id, kind, name_key, name, id, path, arn, created, \
                         description, trust_policy, max_session_duration, permissions_boundary, \
                         trust_principal_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    )
                    .bind(&account_id)
                    .bind(p.kind.as_str())
                    .bind(key(&p.name))
                    .bind(&p.name)
                    .bind(&p.id)
                    .bind(&p.path)
                    .bind(&p.arn)
                    .bind(&p.created)
                    .bind(&p.description)
                    .bind(&p.trust_policy)
                    .bind(p.max_session_duration)
                    .bind(&p.permissions_boundary)
                    .bind(&p.trust_principal_ids)
                    .execute(&mut *tx)
                    .await;
                    already_exists(result, || Existing::Principal(p.kind, p.name.clone()))?;
                    insert_tags(tx, &account_id, Owner::Principal(p.kind), &key(&p.name), &tags).await
                })
            })
            .await
    }

    /// Creates a service-linked role with the managed policy its service attaches, in one
    /// transaction (a role without its policy is never seen).
    pub async fn create_service_linked_role(&self, account_id: &str, role: &Principal, policy_arn: &str) -> Result<()> {
        let (account_id, role, policy_arn) = (account_id.to_owned(), role.clone(), policy_arn.to_owned());
        self.writes
            .write(move |tx| {
                Box::pin(async move {
                    let result = sqlx::query(
                        "INSERT INTO principals (account_id, kind, name_key, name, id, path, arn, created, description, \
                         trust_policy, max_session_duration) VALUES (?, 'role', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    )
                    .bind(&account_id)
                    .bind(key(&role.name))
                    .bind(&role.name)
                    .bind(&role.id)
                    .bind(&role.path)
                    .bind(&role.arn)
                    .bind(&role.created)
                    .bind(&role.description)
                    .bind(&role.trust_policy)
                    .bind(role.max_session_duration)
                    .execute(&mut *tx)
                    .await;
                    already_exists(result, || Existing::Principal(PrincipalKind::Role, role.name.clone()))?;
                    sqlx::query("INSERT INTO attachments (account_id, kind, owner_key, policy_arn) VALUES (?, 'role', ?, ?)")
                        .bind(&account_id)
                        .bind(key(&role.name))
                        .bind(&policy_arn)
                        .execute(&mut *tx)
                        .await?;
                    Ok(())
                })
            })
            .await
    }

    /// Deletes a service-linked role with its policies and tags, as its service does; a role still
    /// in an instance profile is in use (`Conflict`).
    pub async fn delete_service_linked_role(&self, account_id: &str, name: &str) -> Result<()> {
        let (account_id, name) = (account_id.to_owned(), name.to_owned());
        self.writes
            .write(move |tx| {
                Box::pin(async move {
                    require_in(&mut *tx, &account_id, PrincipalKind::Role, &name).await?;
                    let in_profile: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM instance_profiles WHERE account_id = ? AND role_key = ?",
                    )
                    .bind(&account_id)
                    .bind(key(&name))
                    .fetch_one(&mut *tx)
                    .await?;
                    if in_profile > 0 {
                        return Err(StoreError::Conflict(Conflict::InstanceProfile));
                    }
                    for sql in [
                        "DELETE FROM attachments WHERE account_id = ? AND kind = 'role' AND owner_key = ?",
                        "DELETE FROM inline_policies WHERE account_id = ? AND kind = 'role' AND owner_key = ?",
                    ] {
                        sqlx::query(sql).bind(&account_id).bind(key(&name)).execute(&mut *tx).await?;
                    }
                    delete_tags(&mut *tx, &account_id, Owner::Principal(PrincipalKind::Role), &name).await?;
                    sqlx::query("DELETE FROM principals WHERE account_id = ? AND kind = 'role' AND name_key = ?")
                        .bind(&account_id)
                        .bind(key(&name))
                        .execute(&mut *tx)
                        .await?;
                    Ok(())
                })
            })
            .await
    }

    /// Looks a principal up by name (case-insensitively).
    pub async fn principal(&self, account_id: &str, kind: PrincipalKind, name: &str) -> Result<Option<Principal>> {
        self.reader.one(
            "SELECT * FROM principals WHERE account_id = ? AND kind = ? AND name_key = ?",
            (account_id, kind.as_str(), key(name)),
            Principal::from_row,
        )
    }

    /// Looks a user, group or role up by its unique id (`AIDA...`, `AGPA...`, `AROA...`), in any
    /// account: what AWS's references by id resolve to.
    pub async fn principal_by_id(&self, id: &str) -> Result<Option<Principal>> {
        self.reader.one("SELECT * FROM principals WHERE id = ?", [id], Principal::from_row)
    }

    /// Whether the store holds an account (its principals can then be resolved by ARN).
    pub async fn has_account(&self, account_id: &str) -> Result<bool> {
        Ok(self.reader.one("SELECT 1 FROM accounts WHERE account_id = ?", [account_id], |_| Ok(()))?.is_some())
    }

    /// Like [`Store::principal`], but absence is a [`StoreError::NotFound`] with AWS's message.
    pub async fn require_principal(&self, account_id: &str, kind: PrincipalKind, name: &str) -> Result<Principal> {
        self.principal(account_id, kind, name).await?.ok_or_else(|| not_found(kind, name))
    }

    /// Lists principals of a kind whose path starts with `path_prefix`, ordered by name.
    pub async fn list_principals(
        &self,
        account_id: &str,
        kind: PrincipalKind,
        path_prefix: &str,
    ) -> Result<Vec<Principal>> {
        self.reader.all(
            "SELECT * FROM principals WHERE account_id = ?1 AND kind = ?2 AND substr(path, 1, length(?3)) = ?3 \
             ORDER BY name_key",
            (account_id, kind.as_str(), path_prefix),
            Principal::from_row,
        )
    }

    /// Changes one of a user's or role's attributes and nothing else, on the principal with that
    /// unique id: a concurrent change to another attribute stands, and a principal deleted and
    /// created again under the same name is another principal (`NotFound`).
    pub async fn change_principal(&self, account_id: &str, p: &Principal, change: PrincipalChange) -> Result<()> {
        let (sql, value, principal_ids): (&'static str, Option<String>, Option<String>) = match change {
            PrincipalChange::Description(d) => (
                "UPDATE principals SET description = ?1 WHERE account_id = ?2 AND kind = ?3 AND id = ?4",
                Some(d),
                None,
            ),
            // An integer column: SQLite stores the decimal text it is given as the integer.
            PrincipalChange::MaxSessionDuration(m) => (
                "UPDATE principals SET max_session_duration = ?1 WHERE account_id = ?2 AND kind = ?3 AND id = ?4",
                Some(m.to_string()),
                None,
            ),
            PrincipalChange::Boundary(b) => (
                "UPDATE principals SET permissions_boundary = ?1 WHERE account_id = ?2 AND kind = ?3 AND id = ?4",
                b,
                None,
            ),
            PrincipalChange::Trust { policy, principal_ids } => (
                "UPDATE principals SET trust_policy = ?1, trust_principal_ids = ?5 WHERE account_id = ?2 AND kind = ?3 \
                 AND id = ?4",
                Some(policy),
                principal_ids,
            ),
        };
        let query = sqlx::query(sql)
            .bind(value)
            .bind(account_id.to_owned())
            .bind(p.kind.as_str())
            .bind(p.id.clone())
            .bind(principal_ids);
        self.execute_existing(query, || not_found(p.kind, &p.name)).await
    }

    /// Deletes a principal. As in AWS, it must first have no inline policies, attached policies,
    /// access keys, group memberships (users) or members (groups): otherwise `DeleteConflict`.
    pub async fn delete_principal(&self, account_id: &str, kind: PrincipalKind, name: &str) -> Result<()> {
        let name_key = key(name);
        let account_id = account_id.to_owned();
        let name = name.to_owned();
        self.writes
            .write(move |tx| {
                Box::pin(async move {
                    let account_id = account_id.as_str();
                    let name = name.as_str();
                    let exists =
                        sqlx::query("SELECT 1 FROM principals WHERE account_id = ? AND kind = ? AND name_key = ?")
                            .bind(account_id)
                            .bind(kind.as_str())
                            .bind(&name_key)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if exists.is_none() {
                        return Err(not_found(kind, name));
                    }
                    for (sql, message) in DELETE_CONFLICTS {
                        let n: i64 = sqlx::query_scalar(sql)
                            .bind(account_id)
                            .bind(kind.as_str())
                            .bind(&name_key)
                            .fetch_one(&mut *tx)
                            .await?;
                        if n > 0 {
                            return Err(StoreError::Conflict(message));
                        }
                    }
                    delete_tags(&mut *tx, account_id, Owner::Principal(kind), name).await?;
                    sqlx::query("DELETE FROM principals WHERE account_id = ? AND kind = ? AND name_key = ?")
                        .bind(account_id)
                        .bind(kind.as_str())
                        .bind(&name_key)
                        .execute(&mut *tx)
                        .await?;
                    Ok(())
                })
            })
            .await
    }

    // ----- groups -----

    /// Adds a user to a group (both must exist). A user can be in at most 10 groups ("IAM and AWS
    /// STS quotas").
    pub async fn add_user_to_group(&self, account_id: &str, group: &str, user: &str) -> Result<()> {
        let quota = CountCheck {
            count: "SELECT COUNT(*) FROM group_members WHERE account_id = ? AND user_key = ? AND group_key <> ?",
            binds: vec![account_id.to_owned(), key(user), key(group)],
            limit: Limit::GroupsPerUser(Quota::GroupsPerUser.value()),
        };
        self.execute_checked(
            account_id,
            &[(PrincipalKind::Group, group), (PrincipalKind::User, user)],
            Some(quota),
            sqlx::query("INSERT OR IGNORE INTO group_members (account_id, group_key, user_key) VALUES (?, ?, ?)")
                .bind(account_id.to_owned())
                .bind(key(group))
                .bind(key(user)),
        )
        .await?;
        Ok(())
    }

    /// Removes a user from a group.
    pub async fn remove_user_from_group(&self, account_id: &str, group: &str, user: &str) -> Result<()> {
        self.execute_checked(
            account_id,
            &[(PrincipalKind::Group, group), (PrincipalKind::User, user)],
            None,
            sqlx::query("DELETE FROM group_members WHERE account_id = ? AND group_key = ? AND user_key = ?")
                .bind(account_id.to_owned())
                .bind(key(group))
                .bind(key(user)),
        )
        .await?;
        Ok(())
    }

    /// The groups a user belongs to.
    pub async fn groups_for_user(&self, account_id: &str, user: &str) -> Result<Vec<Principal>> {
        self.reader.all(
            "SELECT p.* FROM principals p JOIN group_members m ON m.account_id = p.account_id AND m.group_key = \
             p.name_key WHERE p.account_id = ? AND p.kind = 'group' AND m.user_key = ? ORDER BY p.name_key",
            (account_id, key(user)),
            Principal::from_row,
        )
    }

    /// The users in a group.
    pub async fn users_in_group(&self, account_id: &str, group: &str) -> Result<Vec<Principal>> {
        self.reader.all(
            "SELECT p.* FROM principals p JOIN group_members m ON m.account_id = p.account_id AND m.user_key = \
             p.name_key WHERE p.account_id = ? AND p.kind = 'user' AND m.group_key = ? ORDER BY p.name_key",
            (account_id, key(group)),
            Principal::from_row,
        )
    }

    // ----- inline policies -----

    /// Creates or replaces an inline policy of a user, group or role (which must exist). The
    /// owner's inline policies together must stay within its kind's size quota, checked in the
    /// same transaction as the write, so that concurrent puts cannot pass it together.
    pub async fn put_inline_policy(
        &self,
        account_id: &str,
        kind: PrincipalKind,
        owner: &str,
        name: &str,
        document: &str,
    ) -> Result<()> {
        let (account_id, owner, name, document) =
            (account_id.to_owned(), owner.to_owned(), name.to_owned(), document.to_owned());
        self.writes
            .write(move |tx| {
                Box::pin(async move {
                    require_in(&mut *tx, &account_id, kind, &owner).await?;
                    let others: Vec<String> = sqlx::query_scalar(
                        "SELECT document FROM inline_policies WHERE account_id = ? AND kind = ? AND owner_key = ? \
                         AND name <> ?",
                    )
                    .bind(&account_id)
                    .bind(kind.as_str())
                    .bind(key(&owner))
                    .bind(&name)
                    .fetch_all(&mut *tx)
                    .await?;
                    let quota = match kind {
                        PrincipalKind::User => Quota::UserPolicySize,
                        PrincipalKind::Group => Quota::GroupPolicySize,
                        PrincipalKind::Role => Quota::RolePolicySize,
                    };
                    let total: i64 = others.iter().map(|d| policy_size(d)).sum::<i64>() + policy_size(&document);
                    if total > quota.value() {
                        return Err(StoreError::LimitExceeded(Limit::InlinePolicySize(kind, quota.value())));
                    }
                    sqlx::query(
                        "INSERT INTO inline_policies (account_id, kind, owner_key, name, document) VALUES (?, ?, ?, ?, ?) \
                         ON CONFLICT (account_id, kind, owner_key, name) DO UPDATE SET document = excluded.document",
                    )
                    .bind(&account_id)
                    .bind(kind.as_str())
                    .bind(key(&owner))
                    .bind(&name)
                    .bind(&document)
                    .execute(&mut *tx)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    /// One inline policy's document.
    pub async fn inline_policy(
        &self,
        account_id: &str,
        kind: PrincipalKind,
        owner: &str,
        name: &str,
    ) -> Result<String> {
        self.require_principal(account_id, kind, owner).await?;
        let document: Option<String> = self.reader.one(
            "SELECT document FROM inline_policies WHERE account_id = ? AND kind = ? AND owner_key = ? AND name = ?",
            (account_id, kind.as_str(), key(owner), name),
            |r| Ok(r.get(0)?),
        )?;
        document.ok_or_else(|| StoreError::NotFound(Missing::InlinePolicy(kind, name.to_string())))
    }

    /// Every inline policy of a principal: (name, document), ordered by name.
    pub async fn inline_policies(
        &self,
        account_id: &str,
        kind: PrincipalKind,
        owner: &str,
    ) -> Result<Vec<(String, String)>> {
        self.reader.all(
            "SELECT name, document FROM inline_policies WHERE account_id = ? AND kind = ? AND owner_key = ? \
             ORDER BY name",
            (account_id, kind.as_str(), key(owner)),
            |r| Ok((r.get("name")?, r.get("document")?)),
        )
    }

    /// Deletes an inline policy.
    pub async fn delete_inline_policy(
        &self,
        account_id: &str,
        kind: PrincipalKind,
        owner: &str,
        name: &str,
    ) -> Result<()> {
        self.require_principal(account_id, kind, owner).await?;
        self.execute_existing(
            sqlx::query("DELETE FROM inline_policies WHERE account_id = ? AND kind = ? AND owner_key = ? AND name = ?")
                .bind(account_id.to_owned())
                .bind(kind.as_str())
                .bind(key(owner))
                .bind(name.to_owned()),
            || StoreError::NotFound(Missing::InlinePolicy(kind, name.to_string())),
        )
        .await
    }

    /// Renames or moves a user, group or role, carrying every reference to it along.
    pub async fn rename_principal(
        &self,
        account_id: &str,
        kind: PrincipalKind,
        name: &str,
        new_name: &str,
        new_path: &str,
        new_arn: &str,
    ) -> Result<()> {
        let (old_key, new_key) = (key(name), key(new_name));
        let account_id = account_id.to_owned();
        let name = name.to_owned();
        let new_name = new_name.to_owned();
        let new_path = new_path.to_owned();
        let new_arn = new_arn.to_owned();
        self.writes
            .write(move |tx| {
                Box::pin(async move {
                    let account_id = account_id.as_str();
                    let name = name.as_str();
                    let new_name = new_name.as_str();
                    let new_path = new_path.as_str();
                    let new_arn = new_arn.as_str();
                    if old_key != new_key {
                        let taken = sqlx::query(
                            "SELECT 1 FROM principals WHERE account_id = ? AND kind = ? AND \
                             name_key = ?",
                        )
                        .bind(account_id)
                        .bind(kind.as_str())
                        .bind(&new_key)
                        .fetch_optional(&mut *tx)
                        .await?;
                        if taken.is_some() {
                            return Err(StoreError::AlreadyExists(Existing::Principal(kind, new_name.to_string())));
                        }
                    }
                    let done = sqlx::query(
                        "UPDATE principals SET name_key = ?, name = ?, path = ?, arn = ? WHERE account_id = ? AND \
                         kind = ? AND name_key = ?",
                    )
                    .bind(&new_key)
                    .bind(new_name)
                    .bind(new_path)
                    .bind(new_arn)
                    .bind(account_id)
                    .bind(kind.as_str())
                    .bind(&old_key)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(not_found(kind, name));
                    }
                    // Policies, attachments, memberships, credentials and instance profiles follow
                    // through their foreign keys (ON UPDATE CASCADE); tags, which policies own too,
                    // have none.
                    sqlx::query("UPDATE tags SET owner_key = ? WHERE account_id = ? AND kind = ? AND owner_key = ?")
                        .bind(&new_key)
                        .bind(account_id)
                        .bind(kind.as_str())
                        .bind(&old_key)
                        .execute(&mut *tx)
                        .await?;
                    Ok(())
                })
            })
            .await
    }
}
