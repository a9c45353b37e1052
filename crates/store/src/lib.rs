//! Persistence for monban's IAM server.
//!
//! IAM state (accounts, users, groups, roles, managed policies and their versions, inline
//! policies, attachments, tags, access keys, STS sessions) lives in an embedded SQLite database
//! in WAL mode. All writes go through one connection, so concurrent clients queue instead of
//! failing with "database is locked"; reads use a pool and never wait for writes. Every write that
//! checks something (a name is free, a user has no keys left) does it in the same transaction as
//! the change. The schema is versioned ([`migrations`]) so that another backend can follow.
//!
//! The store knows no clock and no cryptography: timestamps and already-encrypted secrets come from
//! the caller.
//!
//! ```no_run
//! # async fn demo() -> Result<(), monban_store::StoreError> {
//! use monban_store::{Principal, PrincipalKind, Store};
//! let store = Store::open_in_memory().await?;
//! store.ensure_account("123456789012", "2026-01-01T00:00:00Z").await?;
//! let user = Principal::new(PrincipalKind::User, "alice", "AIDAEXAMPLE", "/", "arn:aws:iam::123456789012:user/alice", "2026-01-01T00:00:00Z");
//! store.create_principal("123456789012", &user).await?;
//! # Ok(()) }
//! ```

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

pub mod migrations;

/// Why a store operation failed. The server maps each variant to AWS's error code.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The entity does not exist (`NoSuchEntity`).
    #[error("{0}")]
    NotFound(String),
    /// An entity with that name exists (`EntityAlreadyExists`).
    #[error("{0}")]
    AlreadyExists(String),
    /// The entity still has dependents (`DeleteConflict`).
    #[error("{0}")]
    Conflict(String),
    /// A quota would be exceeded (`LimitExceeded`).
    #[error("{0}")]
    LimitExceeded(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration {version} failed: {source}")]
    Migration {
        /// The migration's version.
        version: i64,
        /// The database error.
        source: sqlx::Error,
    },
}

type Result<T> = std::result::Result<T, StoreError>;

/// Users, groups and roles: the identities that own policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// An IAM user.
    User,
    /// An IAM group.
    Group,
    /// An IAM role.
    Role,
}

impl PrincipalKind {
    /// The name stored in the database and used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
            PrincipalKind::Role => "role",
        }
    }

    /// "user", "group", "role" with a capital letter, as AWS's messages write them.
    pub fn title(self) -> &'static str {
        match self {
            PrincipalKind::User => "User",
            PrincipalKind::Group => "Group",
            PrincipalKind::Role => "Role",
        }
    }

    fn parse(text: &str) -> PrincipalKind {
        match text {
            "group" => PrincipalKind::Group,
            "role" => PrincipalKind::Role,
            _ => PrincipalKind::User,
        }
    }
}

/// Anything that can carry tags or own policies: the three principal kinds and managed policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A user, group or role.
    Principal(PrincipalKind),
    /// A customer managed policy (keyed by ARN).
    Policy,
}

impl Owner {
    fn as_str(self) -> &'static str {
        match self {
            Owner::Principal(kind) => kind.as_str(),
            Owner::Policy => "policy",
        }
    }
}

/// A stored user, group or role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Which kind.
    pub kind: PrincipalKind,
    /// The name, as created.
    pub name: String,
    /// The unique id (`AIDA...`, `AGPA...`, `AROA...`).
    pub id: String,
    /// The path (`/` by default).
    pub path: String,
    /// The ARN.
    pub arn: String,
    /// Creation time, ISO 8601.
    pub created: String,
    /// Roles: the description.
    pub description: Option<String>,
    /// Roles: the trust policy document.
    pub trust_policy: Option<String>,
    /// Roles: the maximum session duration in seconds.
    pub max_session_duration: Option<i64>,
    /// Users and roles: the permissions boundary policy ARN.
    pub permissions_boundary: Option<String>,
}

impl Principal {
    /// A principal with the common fields set and the role-only fields empty.
    pub fn new(kind: PrincipalKind, name: &str, id: &str, path: &str, arn: &str, created: &str) -> Principal {
        Principal {
            kind,
            name: name.into(),
            id: id.into(),
            path: path.into(),
            arn: arn.into(),
            created: created.into(),
            description: None,
            trust_policy: None,
            max_session_duration: None,
            permissions_boundary: None,
        }
    }

    fn from_row(row: &SqliteRow) -> Result<Principal> {
        Ok(Principal {
            kind: PrincipalKind::parse(row.try_get::<&str, _>("kind")?),
            name: row.try_get("name")?,
            id: row.try_get("id")?,
            path: row.try_get("path")?,
            arn: row.try_get("arn")?,
            created: row.try_get("created")?,
            description: row.try_get("description")?,
            trust_policy: row.try_get("trust_policy")?,
            max_session_duration: row.try_get("max_session_duration")?,
            permissions_boundary: row.try_get("permissions_boundary")?,
        })
    }
}

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicy {
    /// The ARN.
    pub arn: String,
    /// The name.
    pub name: String,
    /// The unique id (`ANPA...`).
    pub id: String,
    /// The path.
    pub path: String,
    /// The description.
    pub description: Option<String>,
    /// The default version's id (`v1`...).
    pub default_version: String,
    /// Creation time.
    pub created: String,
    /// Last update time (a new default version).
    pub updated: String,
    /// How many users, groups and roles it is attached to.
    pub attachment_count: i64,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// `v1`, `v2`, ...
    pub version_id: String,
    /// The document as given.
    pub document: String,
    /// Creation time.
    pub created: String,
    /// Whether it is the default version.
    pub is_default: bool,
}

/// A long-term access key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The key id (`AKIA...`).
    pub access_key_id: String,
    /// The owning account.
    pub account_id: String,
    /// The owning user's name, or `None` for the root user.
    pub user_name: Option<String>,
    /// The secret, encrypted by the caller.
    pub secret: Vec<u8>,
    /// `Active` or `Inactive`.
    pub status: String,
    /// Creation time.
    pub created: String,
    /// When it was last used, where and for what.
    pub last_used: Option<String>,
    /// The service it was last used with.
    pub last_used_service: Option<String>,
    /// The region it was last used in.
    pub last_used_region: Option<String>,
}

/// Temporary credentials issued by STS for a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The temporary key id (`ASIA...`).
    pub access_key_id: String,
    /// The role's account.
    pub account_id: String,
    /// The secret, encrypted by the caller.
    pub secret: Vec<u8>,
    /// The session token the caller must present.
    pub session_token: String,
    /// The assumed role's name.
    pub role_name: String,
    /// The session name.
    pub session_name: String,
    /// Session policies (a JSON list of documents), if any were passed.
    pub session_policy: Option<String>,
    /// Session tags (a JSON object), if any.
    pub session_tags: Option<String>,
    /// The source identity, if set.
    pub source_identity: Option<String>,
    /// Expiry time, ISO 8601.
    pub expires: String,
    /// Creation time.
    pub created: String,
}

/// An instance profile and the role in it (at most one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceProfile {
    /// The name.
    pub name: String,
    /// The unique id (`AIPA...`).
    pub id: String,
    /// The path.
    pub path: String,
    /// The ARN.
    pub arn: String,
    /// Creation time.
    pub created: String,
    /// The role's name, if a role is in it.
    pub role_name: Option<String>,
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// The IAM database.
#[derive(Clone)]
pub struct Store {
    reader: SqlitePool,
    writer: SqlitePool,
    /// The background checkpointer of a database file, stopped when the last handle goes.
    _checkpoints: Option<Arc<Checkpointer>>,
}

/// How often the WAL is checkpointed into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

/// WAL frames (pages) beyond which the checkpointer also restarts the log.
const WAL_RESTART_FRAMES: i64 = 16_384;

/// Copies the WAL into the database file on a connection of its own, so that no write waits for
/// a checkpoint and its `fsync` (SQLite "Write-Ahead Logging": checkpointing). A passive
/// checkpoint never blocks the writer or the readers, but under a steady stream of writes it never
/// catches up with the last frame, so the log is never restarted: when it has grown past
/// [`WAL_RESTART_FRAMES`], a `TRUNCATE` checkpoint holds writers back for the last few frames and
/// empties it.
struct Checkpointer(tokio::task::JoinHandle<()>);

impl Checkpointer {
    fn start(pool: SqlitePool) -> Checkpointer {
        Checkpointer(tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                // A failed checkpoint leaves the WAL to the next one; nothing is lost.
                let passive: std::result::Result<(i64, i64, i64), _> =
                    sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&pool).await;
                if matches!(passive, Ok((_, frames, _)) if frames > WAL_RESTART_FRAMES) {
                    let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await;
                }
            }
        }))
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn key(name: &str) -> String {
    name.to_lowercase()
}

/// AWS's quota on managed policy versions ("IAM and AWS STS quotas").
pub const MAX_POLICY_VERSIONS: i64 = 5;

impl Store {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Store> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL: a commit survives the process being killed; only a power cut can lose
            // the last transactions (SQLite "WAL mode" documentation).
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let one = || SqlitePoolOptions::new().max_connections(1).idle_timeout(None).max_lifetime(None);
        // Commits never checkpoint: the checkpointer's own connection does.
        let writer = one().connect_with(options.clone().pragma("wal_autocheckpoint", "0")).await?;
        migrations::apply(&writer).await?;
        let checkpoints = Checkpointer::start(one().connect_with(options.clone()).await?);
        let reader = SqlitePoolOptions::new().max_connections(8).connect_with(options.read_only(true)).await?;
        Ok(Store { reader, writer, _checkpoints: Some(Arc::new(checkpoints)) })
    }

    /// An in-memory database that vanishes with the process (`monban serve --ephemeral`, tests).
    pub async fn open_in_memory() -> Result<Store> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        // One connection: an in-memory database is private to its connection.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        migrations::apply(&pool).await?;
        Ok(Store { reader: pool.clone(), writer: pool, _checkpoints: None })
    }

    /// Deletes every row of every table: the development-mode reset.
    pub async fn reset(&self) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for table in [
            "login_profiles",
            "instance_profiles",
            "sessions",
            "access_keys",
            "tags",
            "attachments",
            "policy_versions",
            "managed_policies",
            "inline_policies",
            "group_members",
            "principals",
            "accounts",
        ] {
            sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Creates the account if it does not exist.
    pub async fn ensure_account(&self, account_id: &str, now: &str) -> Result<()> {
        sqlx::query("INSERT OR IGNORE INTO accounts (account_id, created) VALUES (?, ?)")
            .bind(account_id)
            .bind(now)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The account alias, if set.
    pub async fn account_alias(&self, account_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT alias FROM accounts WHERE account_id = ?")
            .bind(account_id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.and_then(|r| r.try_get("alias").ok()).flatten())
    }

    /// Sets or clears the account alias (an account has at most one).
    pub async fn set_account_alias(&self, account_id: &str, alias: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE accounts SET alias = ? WHERE account_id = ?")
            .bind(alias)
            .bind(account_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    // ----- users, groups, roles -----

    /// Creates a user, group or role with its tags; fails if the name is taken (case-insensitively).
    pub async fn create_principal(&self, account_id: &str, p: &Principal) -> Result<()> {
        self.create_principal_with_tags(account_id, p, &[]).await
    }

    /// Creates a principal and its tags in one transaction.
    pub async fn create_principal_with_tags(&self, account_id: &str, p: &Principal, tags: &[Tag]) -> Result<()> {
        let insert = sqlx::query(
            "INSERT INTO principals (account_id, kind, name_key, name, id, path, arn, created, description, \
             trust_policy, max_session_duration, permissions_boundary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(account_id)
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
        .bind(&p.permissions_boundary);
        // One statement commits on its own; an explicit transaction (two more round trips to the
        // database thread) is needed only when tags are written with it.
        let (result, tx) = if tags.is_empty() {
            (insert.execute(&self.writer).await, None)
        } else {
            let mut tx = self.writer.begin().await?;
            (insert.execute(&mut *tx).await, Some(tx))
        };
        if let Err(sqlx::Error::Database(e)) = &result {
            if e.is_unique_violation() {
                return Err(StoreError::AlreadyExists(format!(
                    "{} with name {} already exists.",
                    p.kind.title(),
                    p.name
                )));
            }
        }
        result?;
        if let Some(mut tx) = tx {
            insert_tags(&mut tx, account_id, Owner::Principal(p.kind), &key(&p.name), tags).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Looks a principal up by name (case-insensitively).
    pub async fn principal(&self, account_id: &str, kind: PrincipalKind, name: &str) -> Result<Option<Principal>> {
        let row = sqlx::query("SELECT * FROM principals WHERE account_id = ? AND kind = ? AND name_key = ?")
            .bind(account_id)
            .bind(kind.as_str())
            .bind(key(name))
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(Principal::from_row).transpose()
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
        let rows = sqlx::query(
            "SELECT * FROM principals WHERE account_id = ? AND kind = ? AND substr(path, 1, length(?)) = ? ORDER BY name_key",
        )
        .bind(account_id)
        .bind(kind.as_str())
        .bind(path_prefix)
        .bind(path_prefix)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(Principal::from_row).collect()
    }

    /// Updates the fields a principal can change after creation.
    pub async fn update_principal(&self, account_id: &str, p: &Principal) -> Result<()> {
        let done = sqlx::query(
            "UPDATE principals SET path = ?, description = ?, trust_policy = ?, max_session_duration = ?, \
             permissions_boundary = ? WHERE account_id = ? AND kind = ? AND name_key = ?",
        )
        .bind(&p.path)
        .bind(&p.description)
        .bind(&p.trust_policy)
        .bind(p.max_session_duration)
        .bind(&p.permissions_boundary)
        .bind(account_id)
        .bind(p.kind.as_str())
        .bind(key(&p.name))
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(p.kind, &p.name));
        }
        Ok(())
    }

    /// Deletes a principal. As in AWS, it must first have no inline policies, attached policies,
    /// access keys, group memberships (users) or members (groups): otherwise `DeleteConflict`.
    pub async fn delete_principal(&self, account_id: &str, kind: PrincipalKind, name: &str) -> Result<()> {
        let name_key = key(name);
        let mut tx = self.writer.begin().await?;
        let exists = sqlx::query("SELECT 1 FROM principals WHERE account_id = ? AND kind = ? AND name_key = ?")
            .bind(account_id)
            .bind(kind.as_str())
            .bind(&name_key)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(not_found(kind, name));
        }
        let checks: [(&str, &str); 4] = [
            (
                "SELECT COUNT(*) FROM inline_policies WHERE account_id = ?1 AND kind = ?2 AND owner_key = ?3",
                "Cannot delete entity, must delete policies first.",
            ),
            (
                "SELECT COUNT(*) FROM attachments WHERE account_id = ?1 AND kind = ?2 AND owner_key = ?3",
                "Cannot delete entity, must detach all policies first.",
            ),
            (
                "SELECT COUNT(*) FROM access_keys WHERE account_id = ?1 AND ?2 = 'user' AND user_key = ?3",
                "Cannot delete entity, must delete access keys first.",
            ),
            (
                "SELECT COUNT(*) FROM group_members WHERE account_id = ?1 AND \
                 ((?2 = 'user' AND user_key = ?3) OR (?2 = 'group' AND group_key = ?3))",
                "Cannot delete entity, must remove users from group first.",
            ),
        ];
        if kind == PrincipalKind::User {
            let n: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM login_profiles WHERE account_id = ? AND user_key = ?")
                    .bind(account_id)
                    .bind(&name_key)
                    .fetch_one(&mut *tx)
                    .await?;
            if n > 0 {
                return Err(StoreError::Conflict("Cannot delete entity, must delete login profile first.".into()));
            }
        }
        if kind == PrincipalKind::Role {
            let n: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM instance_profiles WHERE account_id = ? AND role_key = ?")
                    .bind(account_id)
                    .bind(&name_key)
                    .fetch_one(&mut *tx)
                    .await?;
            if n > 0 {
                return Err(StoreError::Conflict(
                    "Cannot delete entity, must remove roles from instance profile first.".into(),
                ));
            }
        }
        for (sql, message) in checks {
            let n: i64 = sqlx::query_scalar(sql)
                .bind(account_id)
                .bind(kind.as_str())
                .bind(&name_key)
                .fetch_one(&mut *tx)
                .await?;
            if n > 0 {
                return Err(StoreError::Conflict(message.into()));
            }
        }
        sqlx::query("DELETE FROM tags WHERE account_id = ? AND kind = ? AND owner_key = ?")
            .bind(account_id)
            .bind(kind.as_str())
            .bind(&name_key)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM principals WHERE account_id = ? AND kind = ? AND name_key = ?")
            .bind(account_id)
            .bind(kind.as_str())
            .bind(&name_key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    // ----- groups -----

    /// Adds a user to a group (both must exist).
    pub async fn add_user_to_group(&self, account_id: &str, group: &str, user: &str) -> Result<()> {
        self.require_principal(account_id, PrincipalKind::Group, group).await?;
        self.require_principal(account_id, PrincipalKind::User, user).await?;
        let groups = self.groups_for_user(account_id, user).await?;
        if groups.len() >= 10 && !groups.iter().any(|g| key(&g.name) == key(group)) {
            // AWS's quota: a user can be in at most 10 groups.
            return Err(StoreError::LimitExceeded("Cannot exceed quota for GroupsPerUser: 10".into()));
        }
        sqlx::query("INSERT OR IGNORE INTO group_members (account_id, group_key, user_key) VALUES (?, ?, ?)")
            .bind(account_id)
            .bind(key(group))
            .bind(key(user))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Removes a user from a group.
    pub async fn remove_user_from_group(&self, account_id: &str, group: &str, user: &str) -> Result<()> {
        self.require_principal(account_id, PrincipalKind::Group, group).await?;
        self.require_principal(account_id, PrincipalKind::User, user).await?;
        sqlx::query("DELETE FROM group_members WHERE account_id = ? AND group_key = ? AND user_key = ?")
            .bind(account_id)
            .bind(key(group))
            .bind(key(user))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The groups a user belongs to.
    pub async fn groups_for_user(&self, account_id: &str, user: &str) -> Result<Vec<Principal>> {
        let rows = sqlx::query(
            "SELECT p.* FROM principals p JOIN group_members m ON m.account_id = p.account_id AND m.group_key = p.name_key \
             WHERE p.account_id = ? AND p.kind = 'group' AND m.user_key = ? ORDER BY p.name_key",
        )
        .bind(account_id)
        .bind(key(user))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(Principal::from_row).collect()
    }

    /// The users in a group.
    pub async fn users_in_group(&self, account_id: &str, group: &str) -> Result<Vec<Principal>> {
        let rows = sqlx::query(
            "SELECT p.* FROM principals p JOIN group_members m ON m.account_id = p.account_id AND m.user_key = p.name_key \
             WHERE p.account_id = ? AND p.kind = 'user' AND m.group_key = ? ORDER BY p.name_key",
        )
        .bind(account_id)
        .bind(key(group))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(Principal::from_row).collect()
    }

    // ----- inline policies -----

    /// Creates or replaces an inline policy of a user, group or role (which must exist).
    pub async fn put_inline_policy(
        &self,
        account_id: &str,
        kind: PrincipalKind,
        owner: &str,
        name: &str,
        document: &str,
    ) -> Result<()> {
        self.require_principal(account_id, kind, owner).await?;
        sqlx::query(
            "INSERT INTO inline_policies (account_id, kind, owner_key, name, document) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (account_id, kind, owner_key, name) DO UPDATE SET document = excluded.document",
        )
        .bind(account_id)
        .bind(kind.as_str())
        .bind(key(owner))
        .bind(name)
        .bind(document)
        .execute(&self.writer)
        .await?;
        Ok(())
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
        let document: Option<String> = sqlx::query_scalar(
            "SELECT document FROM inline_policies WHERE account_id = ? AND kind = ? AND owner_key = ? AND name = ?",
        )
        .bind(account_id)
        .bind(kind.as_str())
        .bind(key(owner))
        .bind(name)
        .fetch_optional(&self.reader)
        .await?;
        document.ok_or_else(|| {
            StoreError::NotFound(format!("The {} policy with name {name} cannot be found.", kind.as_str()))
        })
    }

    /// Every inline policy of a principal: (name, document), ordered by name.
    pub async fn inline_policies(
        &self,
        account_id: &str,
        kind: PrincipalKind,
        owner: &str,
    ) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT name, document FROM inline_policies WHERE account_id = ? AND kind = ? AND owner_key = ? ORDER BY name",
        )
        .bind(account_id)
        .bind(kind.as_str())
        .bind(key(owner))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("name")?, r.try_get("document")?))).collect()
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
        let done =
            sqlx::query("DELETE FROM inline_policies WHERE account_id = ? AND kind = ? AND owner_key = ? AND name = ?")
                .bind(account_id)
                .bind(kind.as_str())
                .bind(key(owner))
                .bind(name)
                .execute(&self.writer)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "The {} policy with name {name} cannot be found.",
                kind.as_str()
            )));
        }
        Ok(())
    }

    // ----- managed policies -----

    /// Creates a customer managed policy with its first version (`v1`, the default).
    pub async fn create_managed_policy(
        &self,
        account_id: &str,
        policy: &ManagedPolicy,
        document: &str,
        tags: &[Tag],
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let result = sqlx::query(
            "INSERT INTO managed_policies (account_id, arn, name_key, name, id, path, description, default_version, \
             next_version, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, 'v1', 2, ?, ?)",
        )
        .bind(account_id)
        .bind(&policy.arn)
        .bind(key(&policy.name))
        .bind(&policy.name)
        .bind(&policy.id)
        .bind(&policy.path)
        .bind(&policy.description)
        .bind(&policy.created)
        .bind(&policy.created)
        .execute(&mut *tx)
        .await;
        if let Err(sqlx::Error::Database(e)) = &result {
            if e.is_unique_violation() {
                return Err(StoreError::AlreadyExists(format!(
                    "A policy called {} already exists. Duplicate names are not allowed.",
                    policy.name
                )));
            }
        }
        result?;
        sqlx::query("INSERT INTO policy_versions (policy_arn, version_id, document, created) VALUES (?, 'v1', ?, ?)")
            .bind(&policy.arn)
            .bind(document)
            .bind(&policy.created)
            .execute(&mut *tx)
            .await?;
        insert_tags(&mut tx, account_id, Owner::Policy, &policy.arn, tags).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A customer managed policy by ARN.
    pub async fn managed_policy(&self, arn: &str) -> Result<Option<ManagedPolicy>> {
        let row = sqlx::query(
            "SELECT m.*, (SELECT COUNT(*) FROM attachments a WHERE a.policy_arn = m.arn) AS attachment_count \
             FROM managed_policies m WHERE m.arn = ?",
        )
        .bind(arn)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(managed_policy_from_row).transpose()
    }

    /// Customer managed policies of an account under a path prefix, ordered by name.
    pub async fn list_managed_policies(&self, account_id: &str, path_prefix: &str) -> Result<Vec<ManagedPolicy>> {
        let rows = sqlx::query(
            "SELECT m.*, (SELECT COUNT(*) FROM attachments a WHERE a.policy_arn = m.arn) AS attachment_count \
             FROM managed_policies m WHERE m.account_id = ? AND substr(m.path, 1, length(?)) = ? ORDER BY m.name_key",
        )
        .bind(account_id)
        .bind(path_prefix)
        .bind(path_prefix)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(managed_policy_from_row).collect()
    }

    /// Deletes a customer managed policy: it must be attached to nothing and have only its default
    /// version left (AWS's DeleteConflict rules).
    pub async fn delete_managed_policy(&self, arn: &str) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let exists =
            sqlx::query("SELECT 1 FROM managed_policies WHERE arn = ?").bind(arn).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(policy_not_found(arn));
        }
        let attached: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE policy_arn = ?")
            .bind(arn)
            .fetch_one(&mut *tx)
            .await?;
        if attached > 0 {
            return Err(StoreError::Conflict("Cannot delete a policy attached to entities.".into()));
        }
        let versions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM policy_versions WHERE policy_arn = ?")
            .bind(arn)
            .fetch_one(&mut *tx)
            .await?;
        if versions > 1 {
            return Err(StoreError::Conflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.".into()));
        }
        for sql in [
            "DELETE FROM tags WHERE kind = 'policy' AND owner_key = ?",
            "DELETE FROM policy_versions WHERE policy_arn = ?",
            "DELETE FROM managed_policies WHERE arn = ?",
        ] {
            sqlx::query(sql).bind(arn).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Adds a version, optionally as the new default. At most five versions may exist.
    pub async fn create_policy_version(
        &self,
        arn: &str,
        document: &str,
        set_default: bool,
        now: &str,
    ) -> Result<PolicyVersion> {
        let mut tx = self.writer.begin().await?;
        let next: Option<i64> = sqlx::query_scalar("SELECT next_version FROM managed_policies WHERE arn = ?")
            .bind(arn)
            .fetch_optional(&mut *tx)
            .await?;
        let next = next.ok_or_else(|| policy_not_found(arn))?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM policy_versions WHERE policy_arn = ?")
            .bind(arn)
            .fetch_one(&mut *tx)
            .await?;
        if count >= MAX_POLICY_VERSIONS {
            return Err(StoreError::LimitExceeded(format!(
                "A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version."
            )));
        }
        let version_id = format!("v{next}");
        sqlx::query("INSERT INTO policy_versions (policy_arn, version_id, document, created) VALUES (?, ?, ?, ?)")
            .bind(arn)
            .bind(&version_id)
            .bind(document)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE managed_policies SET next_version = next_version + 1 WHERE arn = ?")
            .bind(arn)
            .execute(&mut *tx)
            .await?;
        if set_default {
            sqlx::query("UPDATE managed_policies SET default_version = ?, updated = ? WHERE arn = ?")
                .bind(&version_id)
                .bind(now)
                .bind(arn)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(PolicyVersion { version_id, document: document.into(), created: now.into(), is_default: set_default })
    }

    /// Every version of a policy, newest first.
    pub async fn policy_versions(&self, arn: &str) -> Result<Vec<PolicyVersion>> {
        let default: Option<String> = sqlx::query_scalar("SELECT default_version FROM managed_policies WHERE arn = ?")
            .bind(arn)
            .fetch_optional(&self.reader)
            .await?;
        let default = default.ok_or_else(|| policy_not_found(arn))?;
        let rows = sqlx::query(
            "SELECT version_id, document, created FROM policy_versions WHERE policy_arn = ? \
             ORDER BY CAST(substr(version_id, 2) AS INTEGER) DESC",
        )
        .bind(arn)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let version_id: String = r.try_get("version_id")?;
                Ok(PolicyVersion {
                    is_default: version_id == default,
                    version_id,
                    document: r.try_get("document")?,
                    created: r.try_get("created")?,
                })
            })
            .collect()
    }

    /// Makes a version the default.
    pub async fn set_default_policy_version(&self, arn: &str, version_id: &str, now: &str) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let exists = sqlx::query("SELECT 1 FROM policy_versions WHERE policy_arn = ? AND version_id = ?")
            .bind(arn)
            .bind(version_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!(
                "Policy {arn} version {version_id} does not exist or is not attachable."
            )));
        }
        sqlx::query("UPDATE managed_policies SET default_version = ?, updated = ? WHERE arn = ?")
            .bind(version_id)
            .bind(now)
            .bind(arn)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a non-default version.
    pub async fn delete_policy_version(&self, arn: &str, version_id: &str) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let default: Option<String> = sqlx::query_scalar("SELECT default_version FROM managed_policies WHERE arn = ?")
            .bind(arn)
            .fetch_optional(&mut *tx)
            .await?;
        let default = default.ok_or_else(|| policy_not_found(arn))?;
        if default == version_id {
            return Err(StoreError::Conflict("Cannot delete the default version of a policy.".into()));
        }
        let done = sqlx::query("DELETE FROM policy_versions WHERE policy_arn = ? AND version_id = ?")
            .bind(arn)
            .bind(version_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "Policy {arn} version {version_id} does not exist or is not deletable."
            )));
        }
        tx.commit().await?;
        Ok(())
    }

    // ----- attachments -----

    /// Attaches a managed policy (customer or AWS; the caller checks it exists) to a principal.
    pub async fn attach_policy(
        &self,
        account_id: &str,
        kind: PrincipalKind,
        owner: &str,
        policy_arn: &str,
    ) -> Result<()> {
        self.require_principal(account_id, kind, owner).await?;
        sqlx::query("INSERT OR IGNORE INTO attachments (account_id, kind, owner_key, policy_arn) VALUES (?, ?, ?, ?)")
            .bind(account_id)
            .bind(kind.as_str())
            .bind(key(owner))
            .bind(policy_arn)
            .execute(&self.writer)
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
        let done = sqlx::query(
            "DELETE FROM attachments WHERE account_id = ? AND kind = ? AND owner_key = ? AND policy_arn = ?",
        )
        .bind(account_id)
        .bind(kind.as_str())
        .bind(key(owner))
        .bind(policy_arn)
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("Policy {policy_arn} was not found.")));
        }
        Ok(())
    }

    /// The ARNs of the managed policies attached to a principal.
    pub async fn attached_policies(&self, account_id: &str, kind: PrincipalKind, owner: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT policy_arn FROM attachments WHERE account_id = ? AND kind = ? AND owner_key = ? ORDER BY policy_arn",
        )
        .bind(account_id)
        .bind(kind.as_str())
        .bind(key(owner))
        .fetch_all(&self.reader)
        .await?)
    }

    /// Every principal a policy is attached to: (kind, name).
    pub async fn entities_for_policy(
        &self,
        account_id: &str,
        policy_arn: &str,
    ) -> Result<Vec<(PrincipalKind, String)>> {
        let rows = sqlx::query(
            "SELECT p.kind, p.name FROM attachments a JOIN principals p ON p.account_id = a.account_id AND \
             p.kind = a.kind AND p.name_key = a.owner_key WHERE a.account_id = ? AND a.policy_arn = ? ORDER BY p.kind, p.name_key",
        )
        .bind(account_id)
        .bind(policy_arn)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok((PrincipalKind::parse(r.try_get::<&str, _>("kind")?), r.try_get("name")?))).collect()
    }

    /// How many users and roles use a policy as their permissions boundary.
    pub async fn boundary_usage_count(&self, account_id: &str, policy_arn: &str) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM principals WHERE account_id = ? AND permissions_boundary = ?")
            .bind(account_id)
            .bind(policy_arn)
            .fetch_one(&self.reader)
            .await?)
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
        let mut tx = self.writer.begin().await?;
        if old_key != new_key {
            let taken = sqlx::query("SELECT 1 FROM principals WHERE account_id = ? AND kind = ? AND name_key = ?")
                .bind(account_id)
                .bind(kind.as_str())
                .bind(&new_key)
                .fetch_optional(&mut *tx)
                .await?;
            if taken.is_some() {
                return Err(StoreError::AlreadyExists(format!(
                    "{} with name {new_name} already exists.",
                    kind.title()
                )));
            }
        }
        let done = sqlx::query(
            "UPDATE principals SET name_key = ?, name = ?, path = ?, arn = ? WHERE account_id = ? AND kind = ? AND name_key = ?",
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
        let mut renames: Vec<&str> = vec![
            "UPDATE inline_policies SET owner_key = ?1 WHERE account_id = ?2 AND kind = ?3 AND owner_key = ?4",
            "UPDATE attachments SET owner_key = ?1 WHERE account_id = ?2 AND kind = ?3 AND owner_key = ?4",
            "UPDATE tags SET owner_key = ?1 WHERE account_id = ?2 AND kind = ?3 AND owner_key = ?4",
        ];
        match kind {
            PrincipalKind::User => renames.extend([
                "UPDATE group_members SET user_key = ?1 WHERE account_id = ?2 AND ?3 = 'user' AND user_key = ?4",
                "UPDATE access_keys SET user_key = ?1 WHERE account_id = ?2 AND ?3 = 'user' AND user_key = ?4",
                "UPDATE login_profiles SET user_key = ?1 WHERE account_id = ?2 AND ?3 = 'user' AND user_key = ?4",
            ]),
            PrincipalKind::Group => renames.push(
                "UPDATE group_members SET group_key = ?1 WHERE account_id = ?2 AND ?3 = 'group' AND group_key = ?4",
            ),
            PrincipalKind::Role => renames.push(
                "UPDATE instance_profiles SET role_key = ?1 WHERE account_id = ?2 AND ?3 = 'role' AND role_key = ?4",
            ),
        }
        for sql in renames {
            sqlx::query(sql)
                .bind(&new_key)
                .bind(account_id)
                .bind(kind.as_str())
                .bind(&old_key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many principals of an account a policy ARN is attached to (for AWS managed policies).
    pub async fn attachment_count(&self, account_id: &str, policy_arn: &str) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE account_id = ? AND policy_arn = ?")
            .bind(account_id)
            .bind(policy_arn)
            .fetch_one(&self.reader)
            .await?)
    }

    // ----- tags -----

    /// Adds or overwrites tags (at most 50 per entity, AWS's quota).
    pub async fn tag(&self, account_id: &str, owner: Owner, owner_key: &str, tags: &[Tag]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        insert_tags(&mut tx, account_id, owner, &owner_key_for(owner, owner_key), tags).await?;
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM tags WHERE account_id = ? AND kind = ? AND owner_key = ?")
                .bind(account_id)
                .bind(owner.as_str())
                .bind(owner_key_for(owner, owner_key))
                .fetch_one(&mut *tx)
                .await?;
        if count > 50 {
            return Err(StoreError::LimitExceeded("The number of tags has reached the maximum limit.".into()));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes tags by key.
    pub async fn untag(&self, account_id: &str, owner: Owner, owner_key: &str, keys: &[String]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for k in keys {
            sqlx::query("DELETE FROM tags WHERE account_id = ? AND kind = ? AND owner_key = ? AND key = ?")
                .bind(account_id)
                .bind(owner.as_str())
                .bind(owner_key_for(owner, owner_key))
                .bind(k)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The tags of an entity, in the order they were first set.
    pub async fn tags(&self, account_id: &str, owner: Owner, owner_key: &str) -> Result<Vec<Tag>> {
        let rows = sqlx::query(
            "SELECT key, value FROM tags WHERE account_id = ? AND kind = ? AND owner_key = ? ORDER BY position, key",
        )
        .bind(account_id)
        .bind(owner.as_str())
        .bind(owner_key_for(owner, owner_key))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok(Tag { key: r.try_get("key")?, value: r.try_get("value")? })).collect()
    }

    // ----- access keys -----

    /// Stores a new access key. A user may have at most two (AWS's quota).
    pub async fn create_access_key(&self, key_record: &AccessKey) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let user_key = key_record.user_name.as_deref().map(key);
        let existing: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM access_keys WHERE account_id = ? AND user_key IS ?")
                .bind(&key_record.account_id)
                .bind(&user_key)
                .fetch_one(&mut *tx)
                .await?;
        if existing >= 2 {
            return Err(StoreError::LimitExceeded("Cannot exceed quota for AccessKeysPerUser: 2".into()));
        }
        sqlx::query(
            "INSERT INTO access_keys (access_key_id, account_id, user_key, secret, status, created) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&key_record.access_key_id)
        .bind(&key_record.account_id)
        .bind(&user_key)
        .bind(&key_record.secret)
        .bind(&key_record.status)
        .bind(&key_record.created)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An access key by id, with its user's name as created.
    pub async fn access_key(&self, access_key_id: &str) -> Result<Option<AccessKey>> {
        let row = sqlx::query(
            "SELECT k.*, p.name AS user_name FROM access_keys k LEFT JOIN principals p ON p.account_id = k.account_id \
             AND p.kind = 'user' AND p.name_key = k.user_key WHERE k.access_key_id = ?",
        )
        .bind(access_key_id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(access_key_from_row).transpose()
    }

    /// A user's access keys (`None`: the root user's).
    pub async fn access_keys(&self, account_id: &str, user: Option<&str>) -> Result<Vec<AccessKey>> {
        let rows = sqlx::query(
            "SELECT k.*, p.name AS user_name FROM access_keys k LEFT JOIN principals p ON p.account_id = k.account_id \
             AND p.kind = 'user' AND p.name_key = k.user_key WHERE k.account_id = ? AND k.user_key IS ? ORDER BY k.created",
        )
        .bind(account_id)
        .bind(user.map(key))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(access_key_from_row).collect()
    }

    /// Sets a key's status (`Active`/`Inactive`).
    pub async fn update_access_key(
        &self,
        account_id: &str,
        user: Option<&str>,
        access_key_id: &str,
        status: &str,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE access_keys SET status = ? WHERE account_id = ? AND user_key IS ? AND access_key_id = ?",
        )
        .bind(status)
        .bind(account_id)
        .bind(user.map(key))
        .bind(access_key_id)
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("The Access Key with id {access_key_id} cannot be found.")));
        }
        Ok(())
    }

    /// Deletes a key.
    pub async fn delete_access_key(&self, account_id: &str, user: Option<&str>, access_key_id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM access_keys WHERE account_id = ? AND user_key IS ? AND access_key_id = ?")
            .bind(account_id)
            .bind(user.map(key))
            .bind(access_key_id)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("The Access Key with id {access_key_id} cannot be found.")));
        }
        Ok(())
    }

    /// Records that a key was used (GetAccessKeyLastUsed).
    pub async fn record_access_key_use(
        &self,
        access_key_id: &str,
        when: &str,
        service: &str,
        region: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE access_keys SET last_used = ?, last_used_service = ?, last_used_region = ? WHERE access_key_id = ?",
        )
        .bind(when)
        .bind(service)
        .bind(region)
        .bind(access_key_id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    // ----- STS sessions -----

    /// Stores temporary credentials.
    pub async fn create_session(&self, s: &Session) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (access_key_id, account_id, secret, session_token, role_key, session_name, \
             session_policy, session_tags, source_identity, expires, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&s.access_key_id)
        .bind(&s.account_id)
        .bind(&s.secret)
        .bind(&s.session_token)
        .bind(key(&s.role_name))
        .bind(&s.session_name)
        .bind(&s.session_policy)
        .bind(&s.session_tags)
        .bind(&s.source_identity)
        .bind(&s.expires)
        .bind(&s.created)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Temporary credentials by key id, with the role's name as created.
    pub async fn session(&self, access_key_id: &str) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT s.*, COALESCE(p.name, s.role_key) AS role_name FROM sessions s LEFT JOIN principals p ON \
             p.account_id = s.account_id AND p.kind = 'role' AND p.name_key = s.role_key WHERE s.access_key_id = ?",
        )
        .bind(access_key_id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| -> Result<Session> {
            Ok(Session {
                access_key_id: r.try_get("access_key_id")?,
                account_id: r.try_get("account_id")?,
                secret: r.try_get("secret")?,
                session_token: r.try_get("session_token")?,
                role_name: r.try_get("role_name")?,
                session_name: r.try_get("session_name")?,
                session_policy: r.try_get("session_policy")?,
                session_tags: r.try_get("session_tags")?,
                source_identity: r.try_get("source_identity")?,
                expires: r.try_get("expires")?,
                created: r.try_get("created")?,
            })
        })
        .transpose()
    }

    // ----- login profiles -----

    /// A user's login profile: (creation time, password reset required), if it has one.
    pub async fn login_profile(&self, account_id: &str, user: &str) -> Result<Option<(String, bool)>> {
        let row =
            sqlx::query("SELECT created, reset_required FROM login_profiles WHERE account_id = ? AND user_key = ?")
                .bind(account_id)
                .bind(key(user))
                .fetch_optional(&self.reader)
                .await?;
        row.map(|r| Ok((r.try_get("created")?, r.try_get::<i64, _>("reset_required")? != 0))).transpose()
    }

    /// Creates (`create`) or updates a user's login profile.
    pub async fn put_login_profile(
        &self,
        account_id: &str,
        user: &str,
        now: &str,
        reset_required: bool,
        create: bool,
    ) -> Result<()> {
        self.require_principal(account_id, PrincipalKind::User, user).await?;
        let sql = if create {
            "INSERT INTO login_profiles (account_id, user_key, created, reset_required) VALUES (?, ?, ?, ?)"
        } else {
            "UPDATE login_profiles SET reset_required = ?4 WHERE account_id = ?1 AND user_key = ?2"
        };
        let result = sqlx::query(sql)
            .bind(account_id)
            .bind(key(user))
            .bind(now)
            .bind(i64::from(reset_required))
            .execute(&self.writer)
            .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::AlreadyExists(format!("Login Profile for user {user} already exists.")))
            }
            Err(e) => Err(e.into()),
            Ok(done) if done.rows_affected() == 0 => {
                Err(StoreError::NotFound(format!("Login Profile for User {user} cannot be found.")))
            }
            Ok(_) => Ok(()),
        }
    }

    /// Deletes a user's login profile.
    pub async fn delete_login_profile(&self, account_id: &str, user: &str) -> Result<()> {
        self.require_principal(account_id, PrincipalKind::User, user).await?;
        let done = sqlx::query("DELETE FROM login_profiles WHERE account_id = ? AND user_key = ?")
            .bind(account_id)
            .bind(key(user))
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("Login Profile for User {user} cannot be found.")));
        }
        Ok(())
    }

    // ----- instance profiles -----

    /// Creates an instance profile; fails if the name is taken.
    pub async fn create_instance_profile(&self, account_id: &str, p: &InstanceProfile) -> Result<()> {
        let result = sqlx::query(
            "INSERT INTO instance_profiles (account_id, name_key, name, id, path, arn, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(account_id)
        .bind(key(&p.name))
        .bind(&p.name)
        .bind(&p.id)
        .bind(&p.path)
        .bind(&p.arn)
        .bind(&p.created)
        .execute(&self.writer)
        .await;
        if let Err(sqlx::Error::Database(e)) = &result {
            if e.is_unique_violation() {
                return Err(StoreError::AlreadyExists(format!("Instance Profile {} already exists.", p.name)));
            }
        }
        result?;
        Ok(())
    }

    /// An instance profile by name.
    pub async fn instance_profile(&self, account_id: &str, name: &str) -> Result<Option<InstanceProfile>> {
        let row = sqlx::query(
            "SELECT i.*, r.name AS role_name FROM instance_profiles i LEFT JOIN principals r ON r.account_id = i.account_id \
             AND r.kind = 'role' AND r.name_key = i.role_key WHERE i.account_id = ? AND i.name_key = ?",
        )
        .bind(account_id)
        .bind(key(name))
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(instance_profile_from_row).transpose()
    }

    /// Instance profiles under a path prefix, or those holding a role when `role` is given.
    pub async fn list_instance_profiles(
        &self,
        account_id: &str,
        path_prefix: &str,
        role: Option<&str>,
    ) -> Result<Vec<InstanceProfile>> {
        let rows = sqlx::query(
            "SELECT i.*, r.name AS role_name FROM instance_profiles i LEFT JOIN principals r ON r.account_id = i.account_id \
             AND r.kind = 'role' AND r.name_key = i.role_key WHERE i.account_id = ? AND substr(i.path, 1, length(?)) = ? \
             AND (? IS NULL OR i.role_key = ?) ORDER BY i.name_key",
        )
        .bind(account_id)
        .bind(path_prefix)
        .bind(path_prefix)
        .bind(role.map(key))
        .bind(role.map(key))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(instance_profile_from_row).collect()
    }

    /// Puts a role in an instance profile (which holds at most one: AWS's quota) or takes it out.
    pub async fn set_instance_profile_role(
        &self,
        account_id: &str,
        profile: &str,
        role: &str,
        add: bool,
    ) -> Result<()> {
        self.require_principal(account_id, PrincipalKind::Role, role).await?;
        let current = self
            .instance_profile(account_id, profile)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("Instance Profile {profile} cannot be found.")))?;
        match (add, current.role_name) {
            (true, Some(_)) => {
                return Err(StoreError::LimitExceeded(
                    "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1".into(),
                ))
            }
            (false, Some(r)) if key(&r) == key(role) => {}
            (false, _) => {
                return Err(StoreError::NotFound(format!(
                    "The role with name {role} cannot be found in instance profile {profile}."
                )))
            }
            (true, None) => {}
        }
        sqlx::query("UPDATE instance_profiles SET role_key = ? WHERE account_id = ? AND name_key = ?")
            .bind(add.then(|| key(role)))
            .bind(account_id)
            .bind(key(profile))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Deletes an instance profile, which must hold no role.
    pub async fn delete_instance_profile(&self, account_id: &str, name: &str) -> Result<()> {
        let current = self
            .instance_profile(account_id, name)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("Instance Profile {name} cannot be found.")))?;
        if current.role_name.is_some() {
            return Err(StoreError::Conflict(
                "Cannot delete entity, must remove roles from instance profile first.".into(),
            ));
        }
        sqlx::query("DELETE FROM instance_profiles WHERE account_id = ? AND name_key = ?")
            .bind(account_id)
            .bind(key(name))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Counts of each entity kind in an account (GetAccountSummary).
    pub async fn summary(&self, account_id: &str) -> Result<Vec<(&'static str, i64)>> {
        let queries: [(&'static str, &'static str); 7] = [
            ("Users", "SELECT COUNT(*) FROM principals WHERE account_id = ?1 AND kind = 'user'"),
            ("Groups", "SELECT COUNT(*) FROM principals WHERE account_id = ?1 AND kind = 'group'"),
            ("Roles", "SELECT COUNT(*) FROM principals WHERE account_id = ?1 AND kind = 'role'"),
            ("Policies", "SELECT COUNT(*) FROM managed_policies WHERE account_id = ?1"),
            ("InstanceProfiles", "SELECT COUNT(*) FROM instance_profiles WHERE account_id = ?1"),
            ("PolicyVersionsInUse", "SELECT COUNT(*) FROM attachments WHERE account_id = ?1"),
            (
                "AccountAccessKeysPresent",
                "SELECT COUNT(*) > 0 FROM access_keys WHERE account_id = ?1 AND user_key IS NULL",
            ),
        ];
        let mut out = Vec::with_capacity(queries.len());
        for (name, sql) in queries {
            let n: i64 = sqlx::query_scalar(sql).bind(account_id).fetch_one(&self.reader).await?;
            out.push((name, n));
        }
        Ok(out)
    }
}

fn owner_key_for(owner: Owner, owner_key: &str) -> String {
    match owner {
        Owner::Policy => owner_key.to_string(),
        Owner::Principal(_) => key(owner_key),
    }
}

async fn insert_tags(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    account_id: &str,
    owner: Owner,
    owner_key: &str,
    tags: &[Tag],
) -> Result<()> {
    for (i, tag) in tags.iter().enumerate() {
        sqlx::query(
            "INSERT INTO tags (account_id, kind, owner_key, key, value, position) VALUES (?, ?, ?, ?, ?, \
             COALESCE((SELECT MAX(position) + 1 FROM tags WHERE account_id = ? AND kind = ? AND owner_key = ?), ?)) \
             ON CONFLICT (account_id, kind, owner_key, key) DO UPDATE SET value = excluded.value",
        )
        .bind(account_id)
        .bind(owner.as_str())
        .bind(owner_key)
        .bind(&tag.key)
        .bind(&tag.value)
        .bind(account_id)
        .bind(owner.as_str())
        .bind(owner_key)
        .bind(i as i64)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn not_found(kind: PrincipalKind, name: &str) -> StoreError {
    StoreError::NotFound(format!("The {} with name {name} cannot be found.", kind.as_str()))
}

fn policy_not_found(arn: &str) -> StoreError {
    StoreError::NotFound(format!("Policy {arn} does not exist or is not attachable."))
}

fn managed_policy_from_row(r: &SqliteRow) -> Result<ManagedPolicy> {
    Ok(ManagedPolicy {
        arn: r.try_get("arn")?,
        name: r.try_get("name")?,
        id: r.try_get("id")?,
        path: r.try_get("path")?,
        description: r.try_get("description")?,
        default_version: r.try_get("default_version")?,
        created: r.try_get("created")?,
        updated: r.try_get("updated")?,
        attachment_count: r.try_get("attachment_count")?,
    })
}

fn instance_profile_from_row(r: &SqliteRow) -> Result<InstanceProfile> {
    Ok(InstanceProfile {
        name: r.try_get("name")?,
        id: r.try_get("id")?,
        path: r.try_get("path")?,
        arn: r.try_get("arn")?,
        created: r.try_get("created")?,
        role_name: r.try_get("role_name")?,
    })
}

fn access_key_from_row(r: &SqliteRow) -> Result<AccessKey> {
    Ok(AccessKey {
        access_key_id: r.try_get("access_key_id")?,
        account_id: r.try_get("account_id")?,
        user_name: r.try_get("user_name")?,
        secret: r.try_get("secret")?,
        status: r.try_get("status")?,
        created: r.try_get("created")?,
        last_used: r.try_get("last_used")?,
        last_used_service: r.try_get("last_used_service")?,
        last_used_region: r.try_get("last_used_region")?,
    })
}
