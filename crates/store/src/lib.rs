//! Persistence for monban's IAM server.
//!
//! IAM state (accounts, users, groups, roles, managed policies and their versions, inline
//! policies, attachments, tags, access keys, STS sessions) lives in an embedded SQLite database
//! in WAL mode (rusqlite, SQLite compiled in). All writes go through one connection on one thread,
//! so concurrent clients queue instead of failing with "database is locked", and the writes that
//! queue up together are committed together (group commit, in `writer`); reads run on the calling
//! thread on pooled read-only connections and never wait for writes.
//! Every write that checks something (a name is free, a user has no keys left) does it in the same
//! transaction as the change. The schema is versioned ([`migrations`]) so that another backend can
//! follow.
//!
//! The store knows no clock and no cryptography: timestamps and already-encrypted secrets come from
//! the caller.
//!
//! ```no_run
//! # async fn demo() -> Result<(), monban_store::StoreError> {
//! use monban_store::{Principal, PrincipalKind, Store};
//! let store = Store::open_in_memory().await?;
//! store.ensure_account("123456789012", "2026-01-01T00:00:00Z", "aws").await?;
//! let user = Principal::new(PrincipalKind::User, "alice", "AIDAEXAMPLE", "/", "arn:aws:iam::123456789012:user/alice", "2026-01-01T00:00:00Z");
//! store.create_principal("123456789012", &user).await?;
//! # Ok(()) }
//! ```

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use writer::Bound;

pub mod migrations;
mod readers;
mod writer;

/// Why a store operation failed. The variants say what happened as data; the server words each
/// in AWS's terms and picks AWS's error code.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The entity does not exist (`NoSuchEntity`).
    #[error("not found: {0:?}")]
    NotFound(Missing),
    /// An entity with that name exists (`EntityAlreadyExists`).
    #[error("already exists: {0:?}")]
    AlreadyExists(Existing),
    /// The entity still has dependents (`DeleteConflict`).
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// A quota would be exceeded (`LimitExceeded`).
    #[error("limit exceeded: {0:?}")]
    LimitExceeded(Limit),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// The writer thread cannot be started.
    #[error("cannot start the database's writer thread: {0}")]
    Thread(std::io::Error),
    /// The directory of an in-memory database cannot be made.
    #[error("cannot make a scratch directory for the in-memory database: {0}")]
    Scratch(std::io::Error),
    /// The write ran but its batch's transaction did not commit, so it did not happen.
    #[error("the write was not committed: {0}")]
    NotCommitted(String),
    /// A migration failed.
    #[error("migration {version} failed: {source}")]
    Migration {
        /// The migration's version.
        version: i64,
        /// The database error.
        source: rusqlite::Error,
    },
}

type Result<T> = std::result::Result<T, StoreError>;

/// What was not found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// A user, group or role, by name.
    Principal(PrincipalKind, String),
    /// An inline policy of a principal kind, by policy name.
    InlinePolicy(PrincipalKind, String),
    /// A customer managed policy, by ARN.
    ManagedPolicy(String),
    /// An attachment of a managed policy, by ARN.
    Attachment(String),
    /// A version of a managed policy: ARN, version id, and whether it was to be deleted.
    PolicyVersion(String, String, bool),
    /// An access key, by id.
    AccessKey(String),
    /// A user's login profile, by user name.
    LoginProfile(String),
    /// An instance profile, by name.
    InstanceProfile(String),
    /// A role that is not in an instance profile: (role, profile).
    RoleInInstanceProfile(String, String),
    /// An MFA device assigned to a user, by serial number.
    MfaDevice(String),
    /// A virtual MFA device, by serial number.
    VirtualMfaDevice(String),
    /// The password policy of an account, by account id.
    PasswordPolicy(String),
    /// An SSH public key, signing certificate or service-specific credential, by id.
    UserCredential(UserCredentialKind, String),
    /// A server certificate, by name.
    ServerCertificate(String),
    /// An OpenID Connect or SAML provider, by ARN.
    IdentityProvider(String),
}

/// What already exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    /// A user, group or role of that name.
    Principal(PrincipalKind, String),
    /// A customer managed policy of that name.
    ManagedPolicy(String),
    /// The user's login profile.
    LoginProfile(String),
    /// An instance profile of that name.
    InstanceProfile(String),
    /// A virtual MFA device of that path and name.
    MfaDevice,
    /// The same SSH public key on the user, or the same signing certificate in the account.
    UserCredential(UserCredentialKind),
    /// A server certificate of that name.
    ServerCertificate(String),
    /// An identity provider of that ARN.
    IdentityProvider(String),
    /// The MFA device is assigned to a user already.
    MfaDeviceInUse,
}

/// Why something cannot be deleted yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// A principal still has an MFA device.
    MfaDevice,
    /// A user still has a login profile.
    LoginProfile,
    /// A role is still in an instance profile (or an instance profile still holds a role).
    InstanceProfile,
    /// A principal still has inline policies.
    InlinePolicies,
    /// A principal still has attached managed policies.
    AttachedPolicies,
    /// A user still has access keys.
    AccessKeys,
    /// A group still has members, or a user is still in groups.
    GroupMembers,
    /// A managed policy is attached to, or a permissions boundary of, a principal.
    PolicyInUse,
    /// A managed policy has versions besides its default.
    PolicyVersions,
    /// The default version of a policy cannot be deleted.
    DefaultVersion,
    /// A virtual MFA device is still assigned to a user.
    MfaDeviceInUse,
    /// The password changed since the change to it was checked.
    PasswordChanged,
    /// A user still has SSH public keys, signing certificates or service-specific credentials.
    UserCredentials(UserCredentialKind),
}

/// Which quota ("IAM and AWS STS quotas") would be exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Access keys per user.
    AccessKeysPerUser(i64),
    /// Groups a user can be in.
    GroupsPerUser(i64),
    /// Managed policies attached to a user, group or role.
    PoliciesPer(PrincipalKind, i64),
    /// MFA devices per user.
    MfaDevicesPerUser(i64),
    /// Versions of a managed policy.
    PolicyVersions(i64),
    /// Tags on one entity.
    Tags(i64),
    /// Roles in one instance profile.
    RolesPerInstanceProfile(i64),
    /// Characters in the inline policies of one user, group or role, together.
    InlinePolicySize(PrincipalKind, i64),
    /// A count quota named by the table of quotas.
    Reached(Quota),
}

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

/// Anything that can carry tags or own policies: the three principal kinds, managed policies and
/// the other taggable IAM resources ("Tagging IAM resources" lists them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A user, group or role (keyed by name).
    Principal(PrincipalKind),
    /// A customer managed policy (keyed by ARN).
    Policy,
    /// An instance profile (keyed by name).
    InstanceProfile,
    /// A virtual MFA device (keyed by serial number).
    MfaDevice,
    /// An OpenID Connect provider (keyed by ARN).
    OidcProvider,
    /// A SAML provider (keyed by ARN).
    SamlProvider,
    /// A server certificate (keyed by name).
    ServerCertificate,
}

impl Owner {
    fn as_str(self) -> &'static str {
        match self {
            Owner::Principal(kind) => kind.as_str(),
            Owner::Policy => "policy",
            Owner::InstanceProfile => "instance-profile",
            Owner::MfaDevice => "mfa",
            Owner::OidcProvider => "oidc-provider",
            Owner::SamlProvider => "saml-provider",
            Owner::ServerCertificate => "server-certificate",
        }
    }
}

/// One attribute of a user or role to change ([`Store::change_principal`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalChange {
    /// A role's description.
    Description(String),
    /// A role's maximum session duration, in seconds.
    MaxSessionDuration(i64),
    /// A user's or role's permissions boundary (`None` removes it).
    Boundary(Option<String>),
    /// A role's trust policy, with the unique ids of the principals it names.
    Trust {
        /// The document.
        policy: String,
        /// The ids, as a JSON object from ARN to id.
        principal_ids: Option<String>,
    },
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
    /// Roles: the unique id of each IAM user and role the trust policy names, as a JSON object
    /// from ARN to id, recorded when the policy was saved.
    pub trust_principal_ids: Option<String>,
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
            trust_principal_ids: None,
        }
    }

    fn from_row(row: &rusqlite::Row) -> Result<Principal> {
        Ok(Principal {
            kind: PrincipalKind::parse(&row.get::<_, String>("kind")?),
            name: row.get("name")?,
            id: row.get("id")?,
            path: row.get("path")?,
            arn: row.get("arn")?,
            created: row.get("created")?,
            description: row.get("description")?,
            trust_policy: row.get("trust_policy")?,
            max_session_duration: row.get("max_session_duration")?,
            permissions_boundary: row.get("permissions_boundary")?,
            trust_principal_ids: row.get("trust_principal_ids")?,
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

/// Whose temporary credentials a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionKind {
    /// A role's (AssumeRole).
    #[default]
    Role,
    /// An IAM user's own (GetSessionToken).
    User,
    /// The root user's own (GetSessionToken).
    Root,
    /// A federated user's, made by an IAM user or root (GetFederationToken).
    FederatedUser,
    /// A member account's root user's, opened by the management account (AssumeRoot) and limited
    /// by its task policy.
    RootTask,
}

impl SessionKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SessionKind::Role => "role",
            SessionKind::User => "user",
            SessionKind::Root => "root",
            SessionKind::FederatedUser => "federated-user",
            SessionKind::RootTask => "root-task",
        }
    }

    pub(crate) fn parse(text: &str) -> SessionKind {
        match text {
            "user" => SessionKind::User,
            "root" => SessionKind::Root,
            "federated-user" => SessionKind::FederatedUser,
            "root-task" => SessionKind::RootTask,
            _ => SessionKind::Role,
        }
    }
}

/// Temporary credentials issued by STS: a role's session, or a user's or root's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Whose credentials they are.
    pub kind: SessionKind,
    /// The temporary key id (`ASIA...`).
    pub access_key_id: String,
    /// The role's account.
    pub account_id: String,
    /// The secret, encrypted by the caller.
    pub secret: Vec<u8>,
    /// The SHA-256 digest (hex) of the session token the caller must present: the token itself is
    /// never stored.
    pub session_token_sha256: String,
    /// The unique id of the role (or, for a user's own session, the user; for root, the account)
    /// the session belongs to: it belongs to that principal, not to its name.
    pub role_id: String,
    /// The role's (or user's) name.
    pub role_name: String,
    /// The session name.
    pub session_name: String,
    /// Session policies (a JSON list of documents), if any were passed.
    pub session_policy: Option<String>,
    /// Session tags (a JSON object), if any.
    pub session_tags: Option<String>,
    /// The source identity, if set.
    pub source_identity: Option<String>,
    /// When the caller proved possession of an MFA device for this session, if it did.
    pub mfa_authenticated: Option<String>,
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

/// A virtual MFA device and the user it is assigned to, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaDevice {
    /// The serial number: the device's ARN (`arn:aws:iam::ACCOUNT:mfa/NAME`).
    pub serial: String,
    /// The owning account.
    pub account_id: String,
    /// The name, as created.
    pub name: String,
    /// The path.
    pub path: String,
    /// The TOTP seed, encrypted by the caller.
    pub seed: Vec<u8>,
    /// Creation time.
    pub created: String,
    /// The user it is assigned to (as created), if enabled.
    pub user_name: Option<String>,
    /// When it was enabled, if it is.
    pub enabled: Option<String>,
    /// How many time steps the device's clock runs ahead of the server's (ResyncMFADevice).
    pub drift_steps: i64,
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// A count quota checked inside a write's transaction: `count` (bound with `binds` in order) must
/// stay under `limit`.
struct CountCheck {
    count: &'static str,
    binds: Vec<String>,
    limit: Limit,
}

impl Limit {
    /// The quota's value.
    pub fn value(self) -> i64 {
        match self {
            Limit::AccessKeysPerUser(n)
            | Limit::GroupsPerUser(n)
            | Limit::PoliciesPer(_, n)
            | Limit::MfaDevicesPerUser(n)
            | Limit::PolicyVersions(n)
            | Limit::Tags(n)
            | Limit::RolesPerInstanceProfile(n)
            | Limit::InlinePolicySize(_, n) => n,
            Limit::Reached(quota) => quota.value(),
        }
    }
}

/// The IAM database.
#[derive(Clone)]
pub struct Store {
    reader: Arc<readers::Readers>,
    writes: writer::Writer,
    /// The background checkpointer of a database file, stopped when the last handle goes.
    _checkpoints: Option<Arc<Checkpointer>>,
    /// The directory of an in-memory database, removed when the last handle goes.
    _scratch: Option<Arc<tempfile::TempDir>>,
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
struct Checkpointer(Option<std::sync::mpsc::Sender<()>>);

impl Checkpointer {
    fn start(conn: Connection) -> Result<Checkpointer> {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("monban-checkpoint".into())
            .spawn(move || {
                // Until the store is dropped (the sender goes), every interval.
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_INTERVAL) {
                    // A failed checkpoint leaves the WAL to the next one; nothing is lost.
                    let passive = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1));
                    if matches!(passive, Ok(frames) if frames > WAL_RESTART_FRAMES) {
                        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
                    }
                }
            })
            .map_err(StoreError::Thread)?;
        Ok(Checkpointer(Some(stop)))
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.0.take());
    }
}

/// How a connection's commits reach the disk.
#[derive(Clone, Copy)]
enum Synchronous {
    /// WAL + NORMAL: a commit survives the process being killed.
    Normal,
    /// No `fsync` at all: for a database that vanishes with the process anyway.
    Off,
}

/// Opens a read-write connection to the database file with the store's settings.
fn connect(path: &Path, synchronous: Synchronous) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(
        None,
        "synchronous",
        match synchronous {
            Synchronous::Normal => "normal",
            Synchronous::Off => "off",
        },
    )?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

/// How the store folds a name it matches case-insensitively (IAM's names are unique whatever
/// their case); whoever keys anything by a stored name folds it the same way, or two spellings the
/// store takes for one entity would be two entries.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

fn key(name: &str) -> String {
    name_key(name)
}

/// Every table, in the order a reset empties them: the referencing rows before those they
/// reference. A table the migrations create must be listed (checked by a test).
const RESET_ORDER: &[&str] = &[
    "outbound_federation",
    "organization_members",
    "organizations",
    "identity_providers",
    "server_certificates",
    "user_credentials",
    "password_policies",
    "mfa_devices",
    "login_profiles",
    "instance_profiles",
    "last_accessed",
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
];

impl Store {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Store> {
        // WAL + NORMAL: a commit survives the process being killed; only a power cut can lose the
        // last transactions (SQLite "WAL mode" documentation).
        Store::open_file(path, Synchronous::Normal, None)
    }

    /// A database that vanishes with the store (`monban serve --ephemeral`, tests). It is a file
    /// in a private directory in shared memory (`/dev/shm`, or the temporary directory where there
    /// is none), deleted when the last handle goes: the same WAL database as a durable one, so
    /// readers never wait for the writer, without a single `fsync`.
    pub async fn open_in_memory() -> Result<Store> {
        let shm = Path::new("/dev/shm");
        let parent = if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() };
        remove_orphans(&parent);
        let prefix = format!("monban-{}-", std::process::id());
        let dir = tempfile::Builder::new().prefix(&prefix).tempdir_in(parent).map_err(StoreError::Scratch)?;
        let path = dir.path().join("monban.db");
        Store::open_file(&path, Synchronous::Off, Some(Arc::new(dir)))
    }

    fn open_file(path: &Path, synchronous: Synchronous, scratch: Option<Arc<tempfile::TempDir>>) -> Result<Store> {
        let mut write = connect(path, synchronous)?;
        // Commits never checkpoint: the checkpointer's own connection does.
        write.pragma_update(None, "wal_autocheckpoint", 0)?;
        migrations::apply(&mut write)?;
        let checkpoints = Checkpointer::start(connect(path, synchronous)?)?;
        let reader = Arc::new(readers::Readers::new(path.to_path_buf()));
        Ok(Store {
            reader,
            writes: writer::Writer::start(write).map_err(StoreError::Thread)?,
            _checkpoints: Some(Arc::new(checkpoints)),
            _scratch: scratch,
        })
    }

    /// A write of one statement, which SQLite makes atomic on its own; the rows it changed. Its
    /// values are bound owned because it runs on the writer thread.
    async fn execute(&self, statement: Bound) -> Result<usize> {
        self.writes.write(move |tx| statement.run(tx)).await
    }

    /// [`Store::execute`] for a statement that changes an existing row: `missing` when it changed none.
    async fn execute_existing(&self, statement: Bound, missing: impl FnOnce() -> StoreError) -> Result<()> {
        if self.execute(statement).await? == 0 {
            return Err(missing());
        }
        Ok(())
    }

    /// Runs `statement` after checking, in the same transaction, that each of `required`
    /// principals exists (`NotFound` otherwise) and that `quota`, if given, is not reached: no
    /// concurrent delete can come between the check and the write, and no concurrent write past
    /// the quota.
    async fn execute_checked(
        &self,
        account_id: &str,
        required: &[(PrincipalKind, &str)],
        quota: Option<CountCheck>,
        statement: Bound,
    ) -> Result<usize> {
        let account_id = account_id.to_owned();
        let required: Vec<(PrincipalKind, String)> = required.iter().map(|(k, n)| (*k, (*n).to_owned())).collect();
        self.writes
            .write(move |tx| {
                for (kind, name) in &required {
                    require_in(tx, &account_id, *kind, name)?;
                }
                if let Some(quota) = quota {
                    let count: i64 = tx
                        .prepare_cached(quota.count)?
                        .query_row(rusqlite::params_from_iter(quota.binds.iter()), |r| r.get(0))?;
                    if count >= quota.limit.value() {
                        return Err(StoreError::LimitExceeded(quota.limit));
                    }
                }
                statement.run(tx)
            })
            .await
    }

    /// Returns once every write queued before it has committed (or failed): writes commit in the
    /// order they were queued. What a caller waits on when it must act after a write it no
    /// longer waits for itself.
    pub async fn settled(&self) -> Result<()> {
        self.writes.write(|_| Ok(())).await
    }

    /// Deletes every row of every table: the development-mode reset.
    pub async fn reset(&self) -> Result<()> {
        self.writes
            .write(move |tx| {
                for table in RESET_ORDER {
                    tx.prepare_cached(&format!("DELETE FROM {table}"))?.execute(rusqlite::params![])?;
                }
                Ok(())
            })
            .await
    }

    /// Creates the account in `partition` if it does not exist.
    pub async fn ensure_account(&self, account_id: &str, now: &str, partition: &str) -> Result<()> {
        self.execute(Bound::new(
            "INSERT OR IGNORE INTO accounts (account_id, created, partition) VALUES (?, ?, ?)",
            vec![Box::new(account_id.to_owned()), Box::new(now.to_owned()), Box::new(partition.to_owned())],
        ))
        .await?;
        Ok(())
    }

    /// The account's partition, if the account exists.
    pub async fn account_partition(&self, account_id: &str) -> Result<Option<String>> {
        self.reader.one("SELECT partition FROM accounts WHERE account_id = ?", [account_id], |r| Ok(r.get(0)?))
    }

    /// Every account the database holds, in order of id.
    pub async fn accounts(&self) -> Result<Vec<String>> {
        self.reader.all("SELECT account_id FROM accounts ORDER BY account_id", [], |r| Ok(r.get(0)?))
    }

    /// The account alias, if set.
    pub async fn account_alias(&self, account_id: &str) -> Result<Option<String>> {
        let alias =
            self.reader.one("SELECT alias FROM accounts WHERE account_id = ?", [account_id], |r| Ok(r.get(0)?))?;
        Ok(alias.flatten())
    }

    /// Sets or clears the account alias (an account has at most one).
    pub async fn set_account_alias(&self, account_id: &str, alias: Option<&str>) -> Result<()> {
        self.execute(Bound::new(
            "UPDATE accounts SET alias = ? WHERE account_id = ?",
            vec![Box::new(alias.map(str::to_owned)), Box::new(account_id.to_owned())],
        ))
        .await?;
        Ok(())
    }
}

mod credentials;
mod identity_providers;
pub use identity_providers::{IdentityProvider, ProviderKind};
mod last_accessed;
pub use last_accessed::LastAccess;
mod mfa;
mod organizations;
pub use organizations::{Changed, StoredOrganization};
mod outbound;
pub use outbound::OutboundFederation;
mod passwords;
pub use passwords::{LoginProfile, LoginProfileUpdate, PasswordPolicy};
mod policies;
pub use monban_policy::quotas::{policy_size, Quota};
pub use policies::PolicyUsage;
mod principals;
mod profiles;
mod server_certificates;
pub use server_certificates::ServerCertificate;
mod tags;
mod user_credentials;
pub use user_credentials::{UserCredential, UserCredentialKind};

/// Entities named by the caller are keyed by their name regardless of case, the others by ARN.
fn owner_key_for(owner: Owner, owner_key: &str) -> String {
    match owner {
        Owner::Policy | Owner::MfaDevice | Owner::OidcProvider | Owner::SamlProvider => owner_key.to_string(),
        Owner::Principal(_) | Owner::InstanceProfile | Owner::ServerCertificate => key(owner_key),
    }
}

/// Removes an entity's tags, in the transaction that deletes it.
fn delete_tags(conn: &rusqlite::Connection, account_id: &str, owner: Owner, owner_key: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM tags WHERE account_id = ? AND kind = ? AND owner_key = ?")?
        .execute(rusqlite::params![account_id, owner.as_str(), owner_key_for(owner, owner_key)])?;
    Ok(())
}

fn insert_tags(
    conn: &rusqlite::Connection,
    account_id: &str,
    owner: Owner,
    owner_key: &str,
    tags: &[Tag],
) -> Result<()> {
    for (i, tag) in tags.iter().enumerate() {
        conn.prepare_cached(
            "INSERT INTO tags (account_id, kind, owner_key, key, value, position) VALUES (?, ?, ?, ?, ?, \
             COALESCE((SELECT MAX(position) + 1 FROM tags WHERE account_id = ? AND kind = ? AND owner_key = ?), ?)) \
             ON CONFLICT (account_id, kind, owner_key, key) DO UPDATE SET value = excluded.value",
        )?
        .execute(rusqlite::params![
            account_id,
            owner.as_str(),
            owner_key,
            &tag.key,
            &tag.value,
            account_id,
            owner.as_str(),
            owner_key,
            i as i64
        ])?;
    }
    Ok(())
}

/// A unique-key violation as `AlreadyExists(existing)`; any other result unchanged.
fn already_exists<T>(
    result: std::result::Result<T, impl Into<StoreError>>,
    existing: impl FnOnce() -> Existing,
) -> Result<T> {
    match result.map_err(Into::into) {
        Err(StoreError::Database(rusqlite::Error::SqliteFailure(e, _)))
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            Err(StoreError::AlreadyExists(existing()))
        }
        other => other,
    }
}

/// Removes the in-memory databases of processes that are gone (killed before they could remove
/// their own): their directories are named `monban-PID-...`, and Linux lists live processes in
/// `/proc`. Elsewhere nothing is removed.
fn remove_orphans(parent: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("monban-")).and_then(|n| n.split('-').next()) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// `NotFound` unless the principal exists, as seen by the write's own transaction: the check that
/// a write's target exists belongs to the write.
fn require_in(tx: &rusqlite::Connection, account_id: &str, kind: PrincipalKind, name: &str) -> Result<()> {
    let found = tx
        .prepare_cached("SELECT 1 FROM principals WHERE account_id = ? AND kind = ? AND name_key = ?")?
        .query_row(rusqlite::params![account_id, kind.as_str(), key(name)], |_| Ok(()))
        .optional()?;
    found.map(|_| ()).ok_or_else(|| not_found(kind, name))
}

fn not_found(kind: PrincipalKind, name: &str) -> StoreError {
    StoreError::NotFound(Missing::Principal(kind, name.to_string()))
}

fn policy_not_found(arn: &str) -> StoreError {
    StoreError::NotFound(Missing::ManagedPolicy(arn.to_string()))
}

impl Store {
    /// When the account was created (its first start), if it exists.
    pub async fn account_created(&self, account_id: &str) -> Result<Option<String>> {
        self.reader.one("SELECT created FROM accounts WHERE account_id = ?", [account_id], |r| Ok(r.get(0)?))
    }

    /// The version of the tokens STS's global endpoint issues for the account (1 or 2).
    pub async fn global_endpoint_token_version(&self, account_id: &str) -> Result<i64> {
        let version = self.reader.one(
            "SELECT global_endpoint_token_version FROM accounts WHERE account_id = ?",
            [account_id],
            |r| Ok(r.get(0)?),
        )?;
        Ok(version.unwrap_or(1))
    }

    /// Sets it (SetSecurityTokenServicePreferences).
    pub async fn set_global_endpoint_token_version(&self, account_id: &str, version: i64) -> Result<()> {
        self.execute(Bound::new(
            "UPDATE accounts SET global_endpoint_token_version = ? WHERE account_id = ?",
            vec![Box::new(version), Box::new(account_id.to_owned())],
        ))
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod reset_tests {
    /// A reset empties every table the migrations make: a new table must join [`super::RESET_ORDER`].
    #[test]
    fn every_table_is_reset() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::migrations::apply(&mut conn).unwrap();
        let mut statement = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").unwrap();
        let mut tables: Vec<String> = statement.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        tables.retain(|t| t != "schema_migrations" && !t.starts_with("sqlite_"));
        tables.sort();
        let mut reset: Vec<String> = super::RESET_ORDER.iter().map(|t| t.to_string()).collect();
        reset.sort();
        assert_eq!(tables, reset);
    }
}
