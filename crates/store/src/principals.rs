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

/// Whether a change is the trust policy's, which also sets the principal ids it names.
enum ChangeKind {
    Trust,
    Other,
}

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
                let result = tx
                    .prepare_cached(
                        "INSERT INTO principals (account_id, kind, name_key, name, id, path, arn, created, \
                         description, trust_policy, max_session_duration, permissions_boundary, \
                         trust_principal_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    )?
                    .execute(rusqlite::params![
                        &account_id,
                        p.kind.as_str(),
                        key(&p.name),
                        &p.name,
                        &p.id,
                        &p.path,
                        &p.arn,
                        &p.created,
                        &p.description,
                        &p.trust_policy,
                        p.max_session_duration,
                        &p.permissions_boundary,
                        &p.trust_principal_ids
                    ]);
                already_exists(result, || Existing::Principal(p.kind, p.name.clone()))?;
                insert_tags(tx, &account_id, Owner::Principal(p.kind), &key(&p.name), &tags)
            })
            .await
    }

    /// Creates a role with one attached managed policy, in one transaction (a role without its
    /// policy is never seen): a service-linked role and its service's policy, or the access role
    /// Organizations makes in a new member account.
    pub async fn create_role_with_policy(&self, account_id: &str, role: &Principal, policy_arn: &str) -> Result<()> {
        let (account_id, role, policy_arn) = (account_id.to_owned(), role.clone(), policy_arn.to_owned());
        self.writes
            .write(move |tx| {
                    let result = tx.prepare_cached("INSERT INTO principals (account_id, kind, name_key, name, id, path, arn, created, description, \
                         trust_policy, max_session_duration) VALUES (?, 'role', ?, ?, ?, ?, ?, ?, ?, ?, ?)")?.execute(rusqlite::params![&account_id, key(&role.name), &role.name, &role.id, &role.path, &role.arn, &role.created, &role.description, &role.trust_policy, role.max_session_duration]);
                    already_exists(result, || Existing::Principal(PrincipalKind::Role, role.name.clone()))?;
                    tx.prepare_cached("INSERT INTO attachments (account_id, kind, owner_key, policy_arn) VALUES (?, 'role', ?, ?)")?.execute(rusqlite::params![&account_id, key(&role.name), &policy_arn])?;
                    Ok(())
                })
            .await
    }

    /// Deletes a service-linked role with its policies and tags, as its service does; a role still
    /// in an instance profile is in use (`Conflict`).
    pub async fn delete_service_linked_role(&self, account_id: &str, name: &str) -> Result<()> {
        let (account_id, name) = (account_id.to_owned(), name.to_owned());
        self.writes
            .write(move |tx| {
                require_in(tx, &account_id, PrincipalKind::Role, &name)?;
                let in_profile: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM instance_profiles WHERE account_id = ? AND role_key = ?")?
                    .query_row(rusqlite::params![&account_id, key(&name)], |r| r.get(0))?;
                if in_profile > 0 {
                    return Err(StoreError::Conflict(Conflict::InstanceProfile));
                }
                for sql in [
                    "DELETE FROM attachments WHERE account_id = ? AND kind = 'role' AND owner_key = ?",
                    "DELETE FROM inline_policies WHERE account_id = ? AND kind = 'role' AND owner_key = ?",
                ] {
                    tx.prepare_cached(sql)?.execute(rusqlite::params![&account_id, key(&name)])?;
                }
                delete_tags(tx, &account_id, Owner::Principal(PrincipalKind::Role), &name)?;
                tx.prepare_cached("DELETE FROM principals WHERE account_id = ? AND kind = 'role' AND name_key = ?")?
                    .execute(rusqlite::params![&account_id, key(&name)])?;
                Ok(())
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
        let change_kind =
            if matches!(change, PrincipalChange::Trust { .. }) { ChangeKind::Trust } else { ChangeKind::Other };
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
        let mut values: Vec<Box<dyn rusqlite::ToSql + Send>> =
            vec![Box::new(value), Box::new(account_id.to_owned()), Box::new(p.kind.as_str()), Box::new(p.id.clone())];
        // Only the trust policy's change names the principal ids (?5).
        if matches!(change_kind, ChangeKind::Trust) {
            values.push(Box::new(principal_ids));
        }
        let query = Bound::new(sql, values);
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
                let account_id = account_id.as_str();
                let name = name.as_str();
                let exists = tx
                    .prepare_cached("SELECT 1 FROM principals WHERE account_id = ? AND kind = ? AND name_key = ?")?
                    .query_row(rusqlite::params![account_id, kind.as_str(), &name_key], |_| Ok(()))
                    .optional()?;
                if exists.is_none() {
                    return Err(not_found(kind, name));
                }
                for (sql, message) in DELETE_CONFLICTS {
                    let n: i64 = tx
                        .prepare_cached(sql)?
                        .query_row(rusqlite::params![account_id, kind.as_str(), &name_key], |r| r.get(0))?;
                    if n > 0 {
                        return Err(StoreError::Conflict(message));
                    }
                }
                delete_tags(tx, account_id, Owner::Principal(kind), name)?;
                tx.prepare_cached("DELETE FROM principals WHERE account_id = ? AND kind = ? AND name_key = ?")?
                    .execute(rusqlite::params![account_id, kind.as_str(), &name_key])?;
                Ok(())
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
            Bound::new(
                "INSERT OR IGNORE INTO group_members (account_id, group_key, user_key) VALUES (?, ?, ?)",
                vec![Box::new(account_id.to_owned()), Box::new(key(group)), Box::new(key(user))],
            ),
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
            Bound::new(
                "DELETE FROM group_members WHERE account_id = ? AND group_key = ? AND user_key = ?",
                vec![Box::new(account_id.to_owned()), Box::new(key(group)), Box::new(key(user))],
            ),
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
                require_in(tx, &account_id, kind, &owner)?;
                let others: Vec<String> = writer::column(
                    tx,
                    "SELECT document FROM inline_policies WHERE account_id = ? AND kind = ? AND owner_key = ? \
                         AND name <> ?",
                    rusqlite::params![&account_id, kind.as_str(), key(&owner), &name],
                )?;
                let quota = match kind {
                    PrincipalKind::User => Quota::UserPolicySize,
                    PrincipalKind::Group => Quota::GroupPolicySize,
                    PrincipalKind::Role => Quota::RolePolicySize,
                };
                let total: i64 = others.iter().map(|d| policy_size(d)).sum::<i64>() + policy_size(&document);
                if total > quota.value() {
                    return Err(StoreError::LimitExceeded(Limit::InlinePolicySize(kind, quota.value())));
                }
                tx.prepare_cached(
                    "INSERT INTO inline_policies (account_id, kind, owner_key, name, document) VALUES (?, ?, ?, ?, ?) \
                         ON CONFLICT (account_id, kind, owner_key, name) DO UPDATE SET document = excluded.document",
                )?
                .execute(rusqlite::params![
                    &account_id,
                    kind.as_str(),
                    key(&owner),
                    &name,
                    &document
                ])?;
                Ok(())
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
            Bound::new(
                "DELETE FROM inline_policies WHERE account_id = ? AND kind = ? AND owner_key = ? AND name = ?",
                vec![
                    Box::new(account_id.to_owned()),
                    Box::new(kind.as_str()),
                    Box::new(key(owner)),
                    Box::new(name.to_owned()),
                ],
            ),
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
                let account_id = account_id.as_str();
                let name = name.as_str();
                let new_name = new_name.as_str();
                let new_path = new_path.as_str();
                let new_arn = new_arn.as_str();
                if old_key != new_key {
                    let taken = tx
                        .prepare_cached(
                            "SELECT 1 FROM principals WHERE account_id = ? AND kind = ? AND \
                             name_key = ?",
                        )?
                        .query_row(rusqlite::params![account_id, kind.as_str(), &new_key], |_| Ok(()))
                        .optional()?;
                    if taken.is_some() {
                        return Err(StoreError::AlreadyExists(Existing::Principal(kind, new_name.to_string())));
                    }
                }
                let done = tx
                    .prepare_cached(
                        "UPDATE principals SET name_key = ?, name = ?, path = ?, arn = ? WHERE account_id = ? AND \
                         kind = ? AND name_key = ?",
                    )?
                    .execute(rusqlite::params![
                        &new_key,
                        new_name,
                        new_path,
                        new_arn,
                        account_id,
                        kind.as_str(),
                        &old_key
                    ])?;
                if done == 0 {
                    return Err(not_found(kind, name));
                }
                // Policies, attachments, memberships, credentials and instance profiles follow
                // through their foreign keys (ON UPDATE CASCADE); tags, which policies own too,
                // have none.
                tx.prepare_cached("UPDATE tags SET owner_key = ? WHERE account_id = ? AND kind = ? AND owner_key = ?")?
                    .execute(rusqlite::params![&new_key, account_id, kind.as_str(), &old_key])?;
                Ok(())
            })
            .await
    }
}
