//! Customer managed policies, their versions, and attachments.

use std::collections::HashMap;

use super::*;

/// How one policy ARN is used in an account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PolicyUsage {
    /// Users, groups and roles it is attached to.
    pub attachments: i64,
    /// Users and roles that have it as their permissions boundary.
    pub boundaries: i64,
}

impl Store {
    /// Creates a customer managed policy with its first version (`v1`, the default).
    pub async fn create_managed_policy(
        &self,
        account_id: &str,
        policy: &ManagedPolicy,
        document: &str,
        tags: &[Tag],
    ) -> Result<()> {
        let account_id = account_id.to_owned();
        let policy = policy.clone();
        let document = document.to_owned();
        let tags = tags.to_vec();
        self.writes
            .write(move |tx| {
                let account_id = account_id.as_str();
                let policy = &policy;
                let document = document.as_str();
                let tags = tags.as_slice();
                let result = tx
                    .prepare_cached(
                        "INSERT INTO managed_policies (account_id, arn, name_key, name, id, path, description, \
                         default_version, next_version, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, 'v1', 2, ?, ?)",
                    )?
                    .execute(rusqlite::params![
                        account_id,
                        &policy.arn,
                        key(&policy.name),
                        &policy.name,
                        &policy.id,
                        &policy.path,
                        &policy.description,
                        &policy.created,
                        &policy.created
                    ]);
                already_exists(result, || Existing::ManagedPolicy(policy.name.clone()))?;
                tx.prepare_cached(
                    "INSERT INTO policy_versions (policy_arn, version_id, document, created) VALUES (?, \
                         'v1', ?, ?)",
                )?
                .execute(rusqlite::params![&policy.arn, document, &policy.created])?;
                insert_tags(tx, account_id, Owner::Policy, &policy.arn, tags)?;
                Ok(())
            })
            .await
    }

    /// A customer managed policy by ARN.
    pub async fn managed_policy(&self, arn: &str) -> Result<Option<ManagedPolicy>> {
        self.reader.one(
            "SELECT m.*, (SELECT COUNT(*) FROM attachments a WHERE a.policy_arn = m.arn) AS attachment_count \
             FROM managed_policies m WHERE m.arn = ?",
            [arn],
            managed_policy_from_row,
        )
    }

    /// Customer managed policies of an account under a path prefix, ordered by name.
    pub async fn list_managed_policies(&self, account_id: &str, path_prefix: &str) -> Result<Vec<ManagedPolicy>> {
        self.reader.all(
            "SELECT m.*, (SELECT COUNT(*) FROM attachments a WHERE a.policy_arn = m.arn) AS attachment_count \
             FROM managed_policies m WHERE m.account_id = ?1 AND substr(m.path, 1, length(?2)) = ?2 ORDER BY m.name_key",
            (account_id, path_prefix),
            managed_policy_from_row,
        )
    }

    /// Deletes a customer managed policy: it must be attached to nothing and have only its default
    /// version left (AWS's DeleteConflict rules).
    pub async fn delete_managed_policy(&self, arn: &str) -> Result<()> {
        let arn = arn.to_owned();
        self.writes
            .write(move |tx| {
                let arn = arn.as_str();
                let exists = tx
                    .prepare_cached("SELECT 1 FROM managed_policies WHERE arn = ?")?
                    .query_row(rusqlite::params![arn], |_| Ok(()))
                    .optional()?;
                if exists.is_none() {
                    return Err(policy_not_found(arn));
                }
                let attached: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM attachments WHERE policy_arn = ?")?
                    .query_row(rusqlite::params![arn], |r| r.get(0))?;
                // A policy in use as a permissions boundary counts as attached (IAM API Reference,
                // DeletePolicy: "you must ... remove it as a permissions boundary").
                let boundary: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM principals WHERE permissions_boundary = ?")?
                    .query_row(rusqlite::params![arn], |r| r.get(0))?;
                if attached + boundary > 0 {
                    return Err(StoreError::Conflict(Conflict::PolicyInUse));
                }
                let versions: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM policy_versions WHERE policy_arn = ?")?
                    .query_row(rusqlite::params![arn], |r| r.get(0))?;
                if versions > 1 {
                    return Err(StoreError::Conflict(Conflict::PolicyVersions));
                }
                for sql in [
                    "DELETE FROM tags WHERE kind = 'policy' AND owner_key = ?",
                    "DELETE FROM policy_versions WHERE policy_arn = ?",
                    "DELETE FROM managed_policies WHERE arn = ?",
                ] {
                    tx.prepare_cached(sql)?.execute(rusqlite::params![arn])?;
                }
                Ok(())
            })
            .await
    }

    /// Adds a version, optionally as the new default. At most five versions may exist.
    pub async fn create_policy_version(
        &self,
        arn: &str,
        document: &str,
        set_default: bool,
        now: &str,
    ) -> Result<PolicyVersion> {
        let arn = arn.to_owned();
        let document = document.to_owned();
        let now = now.to_owned();
        self.writes
            .write(move |tx| {
                let arn = arn.as_str();
                let document = document.as_str();
                let now = now.as_str();
                let next: Option<i64> = tx
                    .prepare_cached("SELECT next_version FROM managed_policies WHERE arn = ?")?
                    .query_row(rusqlite::params![arn], |r| r.get(0))
                    .optional()?;
                let next = next.ok_or_else(|| policy_not_found(arn))?;
                let count: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM policy_versions WHERE policy_arn = ?")?
                    .query_row(rusqlite::params![arn], |r| r.get(0))?;
                let quota = Quota::VersionsPerPolicy.value();
                if count >= quota {
                    return Err(StoreError::LimitExceeded(Limit::PolicyVersions(quota)));
                }
                let version_id = format!("v{next}");
                tx.prepare_cached(
                    "INSERT INTO policy_versions (policy_arn, version_id, document, created) VALUES (?, \
                         ?, ?, ?)",
                )?
                .execute(rusqlite::params![arn, &version_id, document, now])?;
                tx.prepare_cached("UPDATE managed_policies SET next_version = next_version + 1 WHERE arn = ?")?
                    .execute(rusqlite::params![arn])?;
                if set_default {
                    tx.prepare_cached("UPDATE managed_policies SET default_version = ?, updated = ? WHERE arn = ?")?
                        .execute(rusqlite::params![&version_id, now, arn])?;
                }
                Ok(PolicyVersion {
                    version_id,
                    document: document.into(),
                    created: now.into(),
                    is_default: set_default,
                })
            })
            .await
    }

    /// Every version of a policy, newest first.
    pub async fn policy_versions(&self, arn: &str) -> Result<Vec<PolicyVersion>> {
        // One snapshot, so the default and the versions are of the same committed state: a version
        // list without its default would drop the policy from a caller's policies.
        self.reader.snapshot(|conn| {
            let default: Option<String> = conn
                .prepare_cached("SELECT default_version FROM managed_policies WHERE arn = ?")?
                .query_row([arn], |r| r.get(0))
                .optional()?;
            let default = default.ok_or_else(|| policy_not_found(arn))?;
            let mut statement = conn.prepare_cached(
                "SELECT version_id, document, created FROM policy_versions WHERE policy_arn = ? \
                 ORDER BY CAST(substr(version_id, 2) AS INTEGER) DESC",
            )?;
            let versions = statement.query_map([arn], |r| {
                let version_id: String = r.get("version_id")?;
                Ok(PolicyVersion {
                    is_default: version_id == default,
                    version_id,
                    document: r.get("document")?,
                    created: r.get("created")?,
                })
            })?;
            Ok(versions.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Makes a version the default.
    pub async fn set_default_policy_version(&self, arn: &str, version_id: &str, now: &str) -> Result<()> {
        let arn = arn.to_owned();
        let version_id = version_id.to_owned();
        let now = now.to_owned();
        self.writes
            .write(move |tx| {
                let arn = arn.as_str();
                let version_id = version_id.as_str();
                let now = now.as_str();
                let exists = tx
                    .prepare_cached("SELECT 1 FROM policy_versions WHERE policy_arn = ? AND version_id = ?")?
                    .query_row(rusqlite::params![arn, version_id], |_| Ok(()))
                    .optional()?;
                if exists.is_none() {
                    return Err(StoreError::NotFound(Missing::PolicyVersion(
                        arn.to_string(),
                        version_id.to_string(),
                        false,
                    )));
                }
                tx.prepare_cached("UPDATE managed_policies SET default_version = ?, updated = ? WHERE arn = ?")?
                    .execute(rusqlite::params![version_id, now, arn])?;
                Ok(())
            })
            .await
    }

    /// Deletes a non-default version.
    pub async fn delete_policy_version(&self, arn: &str, version_id: &str) -> Result<()> {
        let arn = arn.to_owned();
        let version_id = version_id.to_owned();
        self.writes
            .write(move |tx| {
                let arn = arn.as_str();
                let version_id = version_id.as_str();
                let default: Option<String> = tx
                    .prepare_cached("SELECT default_version FROM managed_policies WHERE arn = ?")?
                    .query_row(rusqlite::params![arn], |r| r.get(0))
                    .optional()?;
                let default = default.ok_or_else(|| policy_not_found(arn))?;
                if default == version_id {
                    return Err(StoreError::Conflict(Conflict::DefaultVersion));
                }
                let done = tx
                    .prepare_cached("DELETE FROM policy_versions WHERE policy_arn = ? AND version_id = ?")?
                    .execute(rusqlite::params![arn, version_id])?;
                if done == 0 {
                    return Err(StoreError::NotFound(Missing::PolicyVersion(
                        arn.to_string(),
                        version_id.to_string(),
                        true,
                    )));
                }
                Ok(())
            })
            .await
    }

    // ----- attachments -----

    /// Attaches a managed policy (customer or AWS; the caller checks it exists) to a principal,
    /// which can hold at most 10 ("IAM and AWS STS quotas": managed policies per user, group, role).
    pub async fn attach_policy(
        &self,
        account_id: &str,
        kind: PrincipalKind,
        owner: &str,
        policy_arn: &str,
    ) -> Result<()> {
        let per_kind = match kind {
            PrincipalKind::User => Quota::AttachedPoliciesPerUser,
            PrincipalKind::Group => Quota::AttachedPoliciesPerGroup,
            PrincipalKind::Role => Quota::AttachedPoliciesPerRole,
        };
        let quota = CountCheck {
            count: "SELECT COUNT(*) FROM attachments WHERE account_id = ? AND kind = ? AND owner_key = ? AND \
                    policy_arn <> ?",
            binds: vec![account_id.to_owned(), kind.as_str().to_owned(), key(owner), policy_arn.to_owned()],
            limit: Limit::PoliciesPer(kind, per_kind.value()),
        };
        self.execute_checked(
            account_id,
            &[(kind, owner)],
            Some(quota),
            Bound::new(
                "INSERT OR IGNORE INTO attachments (account_id, kind, owner_key, policy_arn) VALUES (?, ?, ?, ?)",
                vec![
                    Box::new(account_id.to_owned()),
                    Box::new(kind.as_str()),
                    Box::new(key(owner)),
                    Box::new(policy_arn.to_owned()),
                ],
            ),
        )
        .await?;
        Ok(())
    }

    /// Detaches a managed policy; `NotFound` if it was not attached.
    pub async fn detach_policy(
        &self,
        account_id: &str,
        kind: PrincipalKind,
        owner: &str,
        policy_arn: &str,
    ) -> Result<()> {
        self.require_principal(account_id, kind, owner).await?;
        self.execute_existing(
            Bound::new(
                "DELETE FROM attachments WHERE account_id = ? AND kind = ? AND owner_key = ? AND policy_arn = ?",
                vec![
                    Box::new(account_id.to_owned()),
                    Box::new(kind.as_str()),
                    Box::new(key(owner)),
                    Box::new(policy_arn.to_owned()),
                ],
            ),
            || StoreError::NotFound(Missing::Attachment(policy_arn.to_string())),
        )
        .await
    }

    /// The ARNs of the managed policies attached to a principal.
    pub async fn attached_policies(&self, account_id: &str, kind: PrincipalKind, owner: &str) -> Result<Vec<String>> {
        self.reader.all(
            "SELECT policy_arn FROM attachments WHERE account_id = ? AND kind = ? AND owner_key = ? ORDER BY \
             policy_arn",
            (account_id, kind.as_str(), key(owner)),
            |r| Ok(r.get(0)?),
        )
    }

    /// Every principal a policy is attached to: (kind, name).
    pub async fn entities_for_policy(
        &self,
        account_id: &str,
        policy_arn: &str,
    ) -> Result<Vec<(PrincipalKind, String)>> {
        self.reader.all(
            "SELECT p.kind, p.name FROM attachments a JOIN principals p ON p.account_id = a.account_id AND \
             p.kind = a.kind AND p.name_key = a.owner_key WHERE a.account_id = ? AND a.policy_arn = ? ORDER BY p.kind, p.name_key",
            (account_id, policy_arn),
            |r| Ok((PrincipalKind::parse(&r.get::<_, String>("kind")?), r.get("name")?)),
        )
    }

    /// How each policy ARN of an account is used: attachments and permissions boundaries, counted
    /// in two queries for every policy at once (a listing of ~1,400 AWS managed policies must not
    /// cost two queries per policy).
    pub async fn policy_usage(&self, account_id: &str) -> Result<HashMap<String, PolicyUsage>> {
        let mut usage: HashMap<String, PolicyUsage> = HashMap::new();
        let attachments: Vec<(String, i64)> = self.reader.all(
            "SELECT policy_arn, COUNT(*) FROM attachments WHERE account_id = ? GROUP BY policy_arn",
            [account_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        for (arn, n) in attachments {
            usage.entry(arn).or_default().attachments = n;
        }
        let boundaries: Vec<(String, i64)> = self.reader.all(
            "SELECT permissions_boundary, COUNT(*) FROM principals WHERE account_id = ? \
             AND permissions_boundary IS NOT NULL GROUP BY permissions_boundary",
            [account_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        for (arn, n) in boundaries {
            usage.entry(arn).or_default().boundaries = n;
        }
        Ok(usage)
    }

    /// How many users and roles use a policy as their permissions boundary.
    pub async fn boundary_usage_count(&self, account_id: &str, policy_arn: &str) -> Result<i64> {
        let count = self.reader.one(
            "SELECT COUNT(*) FROM principals WHERE account_id = ? AND permissions_boundary = ?",
            (account_id, policy_arn),
            |r| Ok(r.get(0)?),
        )?;
        Ok(count.unwrap_or(0))
    }
}

fn managed_policy_from_row(r: &rusqlite::Row) -> Result<ManagedPolicy> {
    Ok(ManagedPolicy {
        arn: r.get("arn")?,
        name: r.get("name")?,
        id: r.get("id")?,
        path: r.get("path")?,
        description: r.get("description")?,
        default_version: r.get("default_version")?,
        created: r.get("created")?,
        updated: r.get("updated")?,
        attachment_count: r.get("attachment_count")?,
    })
}
