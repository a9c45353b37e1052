//! monban's IAM and STS server.
//!
//! One HTTP endpoint speaks the AWS Query protocol for IAM (`2010-05-08`) and STS (`2011-06-15`),
//! so the AWS CLI, boto3 and the SDKs work against it with `--endpoint-url`. Each call goes:
//! request id → SigV4 verification against stored keys ([`auth::authenticate`]), the
//! credential scope choosing the service → the typed operation ([`operation`]) → decoding and
//! validation through botocore's model ([`protocol`]) → authorization by the policy engine with
//! the context AWS fills in ([`auth::check`]) → the handler (`handlers`, one file per entity family), writing through the
//! store → the response encoded through the model, or AWS's error XML → one CloudTrail-format
//! audit record (`audit`). This file only starts the server; [`request`] is the flow of one call.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = monban_server::Config::ephemeral("123456789012");
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let server = monban_server::Server::start(config).await?;
//! server.serve(listener).await?;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::State as AxumState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use monban_store::{AccessKey, Store};

mod audit;
pub mod auth;
pub mod error;
pub mod federation;
mod handlers;
mod key_material;
pub mod managed;
pub mod operation;
mod operations;
mod organizations;
pub mod protocol;
pub mod request;
pub mod util;

pub use error::ApiError;
pub use request::{implemented, operations, Call};
use util::SecretBox;

pub use monban_policy::arn::Partition;

/// How the server starts.
#[derive(Debug, Clone)]
pub struct Config {
    /// The account to create on first start.
    pub account_id: String,
    /// Root credentials to install (generated when absent and none exist).
    pub root_access_key_id: Option<String>,
    /// The root secret matching `root_access_key_id`.
    pub root_secret_access_key: Option<String>,
    /// Where state lives; `None` keeps it in memory.
    pub data_dir: Option<PathBuf>,
    /// Enables `POST /moto-api/reset` and `POST /monban/reset`.
    pub dev: bool,
    /// The key that encrypts secrets at rest; read from or created in the data directory when absent.
    pub secret_key: Option<[u8; 32]>,
    /// The request log on stderr: one line per call, for the person trying policies.
    pub request_log: RequestLog,
    /// Where the audit log goes when there is no data directory (`--ephemeral`).
    pub audit_log: Option<PathBuf>,
    /// The account's partition: its ARNs and the regions requests may be signed for.
    pub partition: Partition,
}

/// How each call is reported on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestLog {
    /// Nothing.
    Off,
    /// One line of text per call: time, caller, action, outcome and, for an error, AWS's message.
    Text,
    /// The same as one JSON object per line.
    Json,
}

impl Config {
    /// In-memory state for one account.
    pub fn ephemeral(account_id: &str) -> Config {
        Config {
            account_id: account_id.into(),
            root_access_key_id: None,
            root_secret_access_key: None,
            data_dir: None,
            dev: false,
            secret_key: None,
            request_log: RequestLog::Off,
            audit_log: None,
            partition: Partition::Aws,
        }
    }
}

/// Errors that stop the server from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data directory cannot be used.
    #[error("data directory `{path}`: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database cannot be opened.
    #[error(transparent)]
    Store(#[from] monban_store::StoreError),
    /// Bootstrap failed.
    #[error("{0}")]
    Bootstrap(String),
    /// The data directory holds no account yet.
    #[error("data directory `{}` holds no account: start `monban serve --data-dir {}` once first", .0.display(), .0.display())]
    NoAccount(PathBuf),
    /// Another server uses the data directory.
    #[error("data directory `{}` is in use by another monban server (it holds `{}`)", .0.display(), .0.join("lock").display())]
    Locked(PathBuf),
    /// The data directory holds another account.
    #[error(
        "data directory `{}` holds account {stored}, not {requested}: start with --account-id {stored}, add \
         {requested} with `monban account create --data-dir {} --account-id {requested}`, or use another \
         --data-dir",
        dir.display(),
        dir.display()
    )]
    OtherAccount {
        /// The directory.
        dir: PathBuf,
        /// The account it holds.
        stored: String,
        /// The account asked for.
        requested: String,
    },
    /// The data directory's account is in another partition.
    #[error(
        "data directory `{}` holds account {account} in partition {stored}, not {requested}: start with \
         --partition {stored} (an account never changes partition)",
        dir.display()
    )]
    OtherPartition {
        /// The directory.
        dir: PathBuf,
        /// The account.
        account: String,
        /// Its partition.
        stored: String,
        /// The partition asked for.
        requested: Partition,
    },
    /// The secret key does not open the secrets stored in the data directory.
    #[error(
        "the secret key does not decrypt the secrets stored in `{}`: start with the key this data \
         directory was created with (its `secret.key`, or --secret-key / MONBAN_SECRET_KEY)",
        .0.display()
    )]
    WrongSecretKey(PathBuf),
}

/// Root credentials, as shown once at first start.
#[derive(Debug, Clone)]
pub struct RootCredentials {
    /// The key id.
    pub access_key_id: String,
    /// The secret.
    pub secret_access_key: String,
}

/// Shared state of a running server.
pub struct StateInner {
    store: Store,
    secrets: SecretBox,
    policies: auth::PolicyCache,
    config: Config,
    audit: Option<audit::AuditLog>,
    key_use: Mutex<HashMap<String, SystemTime>>,
    /// Attempts not yet recorded as last-accessed data: the latest time and region per principal
    /// id and action, written by the recorder task (see [`StateInner::note_access`]).
    accesses: Mutex<HashMap<String, LatestAccesses>>,
    /// GenerateServiceLastAccessedDetails jobs by id (they complete at once; kept for the life of
    /// the server, as AWS keeps a report for a while).
    jobs: Mutex<HashMap<String, handlers::LastAccessedJob>>,
    /// The latest credential report of each account (kept for the life of the server; a restart
    /// answers ReportNotPresent until one is generated again).
    credential_reports: Mutex<HashMap<String, handlers::CredentialReport>>,
    /// Failed ChangePassword attempts by user id: how many, and when the first of them was.
    password_failures: Mutex<HashMap<String, (u32, SystemTime)>>,
    /// DeleteServiceLinkedRole's task ids, by account (each deletion completes at once).
    deletion_tasks: Mutex<HashMap<String, Vec<String>>>,
    /// OpenID Connect providers' keys, fetched for AssumeRoleWithWebIdentity.
    provider_keys: federation::oidc::ProviderKeys,
    /// The data directory's lock, held while the server runs.
    _lock: Option<std::fs::File>,
}

/// Wrong old passwords ChangePassword takes from one user before it pauses them.
const PASSWORD_ATTEMPTS: u32 = 5;

/// How long a user is paused after too many wrong old passwords.
const PASSWORD_LOCKOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// A cheap handle on the server's state.
pub type State = Arc<StateInner>;

impl StateInner {
    /// Whether a user may try ChangePassword now: after [`PASSWORD_ATTEMPTS`] wrong old passwords
    /// within [`PASSWORD_LOCKOUT`], not until that time has passed since the first of them.
    fn password_attempt_allowed(&self, user_id: &str, now: SystemTime) -> bool {
        let Ok(mut failures) = self.password_failures.lock() else { return false };
        match failures.get(user_id) {
            Some((_, first)) if now.duration_since(*first).unwrap_or_default() >= PASSWORD_LOCKOUT => {
                failures.remove(user_id);
                true
            }
            Some((count, _)) => *count < PASSWORD_ATTEMPTS,
            None => true,
        }
    }

    /// Counts a wrong old password (`failed`), or forgets the failures after a success.
    fn note_password_attempt(&self, user_id: &str, now: SystemTime, failed: bool) {
        if let Ok(mut failures) = self.password_failures.lock() {
            if failed {
                failures.entry(user_id.to_string()).or_insert((0, now)).0 += 1;
            } else {
                failures.remove(user_id);
            }
        }
    }

    fn note_deletion_task(&self, account: &str, task: &str) {
        if let Ok(mut tasks) = self.deletion_tasks.lock() {
            tasks.entry(account.to_string()).or_default().push(task.to_string());
        }
    }

    fn has_deletion_task(&self, account: &str, task: &str) -> bool {
        self.deletion_tasks.lock().is_ok_and(|tasks| tasks.get(account).is_some_and(|t| t.iter().any(|x| x == task)))
    }

    fn credential_report(&self, account: &str) -> Option<handlers::CredentialReport> {
        self.credential_reports.lock().ok()?.get(account).cloned()
    }

    fn set_credential_report(&self, account: &str, report: handlers::CredentialReport) {
        if let Ok(mut reports) = self.credential_reports.lock() {
            reports.insert(account.to_string(), report);
        }
    }

    /// Notes an attempt of `action` by the principal with unique id `principal_id`, allowed or
    /// not (last-accessed data counts every attempt): only a map update on the call's path, which
    /// allocates only for a principal, action or region not seen since the last round.
    fn note_access(&self, principal_id: &str, action: &str, time: SystemTime, region: &str) {
        let Ok(mut pending) = self.accesses.lock() else { return };
        if !pending.contains_key(principal_id) {
            pending.insert(principal_id.to_string(), HashMap::new());
        }
        let Some(actions) = pending.get_mut(principal_id) else { return };
        match actions.get_mut(action) {
            Some((latest, latest_region)) => {
                *latest = time;
                if latest_region != region {
                    *latest_region = region.to_string();
                }
            }
            None => {
                actions.insert(action.to_string(), (time, region.to_string()));
            }
        }
    }

    /// Records key use for GetAccessKeyLastUsed, at most once a minute per key, off the call's
    /// path: the write is queued to the store's writer and the call does not wait for it (a crash
    /// can lose the last minute of last-used times, never a call).
    fn note_key_use(&self, key: &str, now: SystemTime, scope: &monban_sigv4::CredentialScope) {
        let due = self.key_use.lock().ok().is_some_and(|mut seen| {
            let stale =
                seen.get(key).is_none_or(|t| now.duration_since(*t).unwrap_or_default() > Duration::from_secs(60));
            if stale {
                seen.insert(key.to_string(), now);
            }
            stale
        });
        if due {
            let store = self.store.clone();
            let (key, when, service, region) =
                (key.to_string(), util::iso8601(now), scope.service.clone(), scope.region.clone());
            tokio::spawn(async move {
                if let Err(e) = store.record_access_key_use(&key, &when, &service, &region).await {
                    eprintln!("monban: the last use of access key {key} was not recorded: {e}");
                }
            });
        }
    }
}

/// A started server: state opened, account and root credentials in place.
pub struct Server {
    state: State,
    /// Root credentials generated at this start (shown once), if any.
    pub generated_root: Option<RootCredentials>,
}

impl Server {
    /// Opens state and creates the account and root credentials if needed.
    pub async fn start(config: Config) -> Result<Server, StartError> {
        let mut lock = None;
        let (store, key, audit) = match &config.data_dir {
            Some(dir) => {
                let io = |source| StartError::DataDir { path: dir.clone(), source };
                make_private_dir(dir).map_err(io)?;
                lock = Some(lock_data_dir(dir)?);
                let key = match config.secret_key {
                    Some(k) => k,
                    None => load_or_create_key(&dir.join("secret.key")).map_err(io)?,
                };
                let audit = private_options().append(true).open(dir.join("audit.log")).map_err(io)?;
                // SQLite creates the WAL and shared-memory files with the database file's mode.
                private_options().append(true).open(dir.join("monban.db")).map_err(io)?;
                for file in ["monban.db", "monban.db-wal", "monban.db-shm", "audit.log", "secret.key"] {
                    restrict(&dir.join(file)).map_err(io)?;
                }
                let audit = audit::AuditLog::start(audit).map_err(io)?;
                (Store::open(&dir.join("monban.db")).await?, key, Some(audit))
            }
            None => {
                let key = match config.secret_key {
                    Some(k) => k,
                    None => util::random_bytes::<32>().map_err(|e| StartError::Bootstrap(e.message))?,
                };
                let audit = match &config.audit_log {
                    Some(path) => {
                        let io = |source| StartError::DataDir { path: path.clone(), source };
                        Some(
                            audit::AuditLog::start(private_options().append(true).open(path).map_err(io)?)
                                .map_err(io)?,
                        )
                    }
                    None => None,
                };
                (Store::open_in_memory().await?, key, audit)
            }
        };
        if let Some(dir) = &config.data_dir {
            check_account(&store, dir, &config.account_id, config.partition).await?;
        }
        let state = Arc::new(StateInner {
            store,
            secrets: SecretBox::new(key),
            policies: auth::PolicyCache::default(),
            config,
            audit,
            key_use: Mutex::new(HashMap::new()),
            accesses: Mutex::new(HashMap::new()),
            jobs: Mutex::new(HashMap::new()),
            credential_reports: Mutex::new(HashMap::new()),
            deletion_tasks: Mutex::new(HashMap::new()),
            password_failures: Mutex::new(HashMap::new()),
            provider_keys: federation::oidc::ProviderKeys::default(),
            _lock: lock,
        });
        record_accesses(Arc::downgrade(&state));
        let generated_root = bootstrap(&state).await.map_err(|e| StartError::Bootstrap(e.message))?;
        check_secret_key(&state).await?;
        Ok(Server { state, generated_root })
    }

    /// Adds a standalone account with new root credentials to the data directory of a stopped
    /// server (`monban account create`): an account of the partition of those stored, with its
    /// own root user and IAM entities, which requests reach through its credentials. `account_id`
    /// is 12 digits not in use, or a new one is made.
    pub async fn create_account(
        data_dir: &std::path::Path,
        account_id: Option<&str>,
        secret_key: Option<[u8; 32]>,
    ) -> Result<(String, RootCredentials), StartError> {
        let missing = || StartError::NoAccount(data_dir.to_path_buf());
        if !data_dir.join("monban.db").is_file() {
            return Err(missing());
        }
        let (first, partition) = {
            let store = Store::open(&data_dir.join("monban.db")).await?;
            // The server opens as an account that has a root key (a member account Organizations
            // created has none, and opening as it would make one nobody knows).
            let mut first = None;
            for account in store.accounts().await? {
                if !store.access_keys(&account, None).await?.is_empty() {
                    first = Some(account);
                    break;
                }
            }
            let first = first.ok_or_else(missing)?;
            let partition = store.account_partition(&first).await?.as_deref().and_then(Partition::parse);
            (first, partition.unwrap_or(Partition::Aws))
        };
        let config =
            Config { data_dir: Some(data_dir.to_path_buf()), secret_key, partition, ..Config::ephemeral(&first) };
        let server = Server::start(config).await?;
        let state = &server.state;
        let existing = state.store.accounts().await?;
        let account = match account_id {
            Some(id) if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) => {
                if existing.iter().any(|a| a == id) {
                    return Err(StartError::Bootstrap(format!(
                        "account {id} exists already in {}",
                        data_dir.display()
                    )));
                }
                id.to_string()
            }
            Some(id) => return Err(StartError::Bootstrap(format!("`{id}` is not an account id (12 digits)"))),
            None => new_account_id(&existing).map_err(|e| StartError::Bootstrap(e.message))?,
        };
        let now = util::iso8601(SystemTime::now());
        state.store.ensure_account(&account, &now, partition.as_str()).await?;
        let bootstrap = |e: ApiError| StartError::Bootstrap(e.message);
        let credentials = RootCredentials {
            access_key_id: util::random_id("AKIA", 20).map_err(bootstrap)?,
            secret_access_key: util::random_secret().map_err(bootstrap)?,
        };
        install_root_key(state, &account, &credentials.access_key_id, &credentials.secret_access_key, &now)
            .await
            .map_err(bootstrap)?;
        Ok((account, credentials))
    }

    /// The shared state (for in-process tests and tools).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The HTTP routes.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/moto-api/reset", post(reset))
            .route("/monban/reset", post(reset))
            .route("/outbound-federation/{id}/.well-known/{document}", get(federation::outbound::published))
            .fallback(any(request::handle))
            .with_state(self.state.clone())
    }

    /// Serves until the listener fails or the process is stopped.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        self.serve_until(listener, std::future::pending()).await
    }

    /// Serves until `shutdown` completes, then finishes the calls in flight and returns, so that
    /// what the server holds (the audit queue, an in-memory database's directory) is put away.
    pub async fn serve_until(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = self.router().into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app).with_graceful_shutdown(shutdown).await
    }
}

/// How often noted attempts are written: what a crash can lose of last-accessed data.
const RECORD_ACCESSES_EVERY: Duration = Duration::from_millis(500);

/// One principal's attempts not yet recorded: the latest time and region per action.
type LatestAccesses = HashMap<String, (SystemTime, String)>;

/// Writes the attempts noted since the last round, in one write, until the server is gone. The
/// map holds one entry per principal and action, so it stays bounded however many calls come.
fn record_accesses(state: std::sync::Weak<StateInner>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(RECORD_ACCESSES_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(state) = state.upgrade() else { return };
            let pending = state.accesses.lock().map(|mut p| std::mem::take(&mut *p)).unwrap_or_default();
            if pending.is_empty() {
                continue;
            }
            let accesses = pending
                .into_iter()
                .flat_map(|(principal_id, actions)| {
                    actions.into_iter().map(move |(action, (time, region))| monban_store::LastAccess {
                        principal_id: principal_id.clone(),
                        action,
                        time: util::iso8601(time),
                        region,
                    })
                })
                .collect();
            if let Err(e) = state.store.record_last_accessed(accesses).await {
                eprintln!("monban: last-accessed data was not recorded: {e}");
            }
        }
    });
}

fn load_or_create_key(path: &std::path::Path) -> std::io::Result<[u8; 32]> {
    if let Ok(bytes) = std::fs::read(path) {
        return bytes.try_into().map_err(|_| std::io::Error::other("secret.key must hold exactly 32 bytes"));
    }
    let key = util::random_bytes::<32>().map_err(|e| std::io::Error::other(e.message))?;
    write_private(path, &key)?;
    Ok(key)
}

/// Open options that create a file readable and writable only by its owner.
fn private_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Makes an existing file readable and writable only by its owner (files of data directories made
/// before this rule, or by another program).
fn restrict(path: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if path.exists() {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Creates the data directory if needed and makes it accessible only to its owner.
fn make_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes a file readable only by its owner.
pub fn write_private(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = private_options().write(true).truncate(true).open(path)?;
    restrict(path)?;
    file.write_all(contents)
}

/// Takes the data directory's lock: two servers writing one database would each cache state the
/// other changes.
fn lock_data_dir(dir: &std::path::Path) -> Result<std::fs::File, StartError> {
    let path = dir.join("lock");
    let file = private_options()
        .write(true)
        .truncate(false)
        .open(&path)
        .map_err(|source| StartError::DataDir { path: path.clone(), source })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StartError::Locked(dir.to_path_buf())),
        Err(std::fs::TryLockError::Error(source)) => Err(StartError::DataDir { path, source }),
    }
}

/// A server starts as an account its data directory holds: starting it as another would silently
/// create a second account beside the first (`monban account create` adds one on purpose).
async fn check_account(
    store: &Store,
    dir: &std::path::Path,
    requested: &str,
    partition: Partition,
) -> Result<(), StartError> {
    let stored = store.accounts().await?;
    if let Some(first) = stored.first().filter(|_| !stored.iter().any(|a| a == requested)) {
        return Err(StartError::OtherAccount {
            dir: dir.to_path_buf(),
            stored: first.clone(),
            requested: requested.to_string(),
        });
    }
    match store.account_partition(requested).await? {
        Some(stored) if stored != partition.as_str() => Err(StartError::OtherPartition {
            dir: dir.to_path_buf(),
            account: requested.to_string(),
            stored,
            requested: partition,
        }),
        _ => Ok(()),
    }
}

/// Refuses a secret key that does not open the stored secrets: a server started with it would
/// fail every call.
async fn check_secret_key(state: &State) -> Result<(), StartError> {
    let keys = state.store.access_keys(&state.config.account_id, None).await?;
    if let Some(key) = keys.first() {
        if state.secrets.open(&key.secret).is_err() {
            let dir = state.config.data_dir.clone().unwrap_or_default();
            return Err(StartError::WrongSecretKey(dir));
        }
    }
    Ok(())
}

/// Creates the account and, if it has no root key, the root credentials.
async fn bootstrap(state: &State) -> Result<Option<RootCredentials>, ApiError> {
    let config = &state.config;
    let now = util::iso8601(SystemTime::now());
    state.store.ensure_account(&config.account_id, &now, config.partition.as_str()).await?;
    if let (Some(id), Some(secret)) = (&config.root_access_key_id, &config.root_secret_access_key) {
        if state.store.access_key(id).await?.is_none() {
            install_root_key(state, &config.account_id, id, secret, &now).await?;
        }
        return Ok(None);
    }
    if !state.store.access_keys(&config.account_id, None).await?.is_empty() {
        return Ok(None);
    }
    let credentials =
        RootCredentials { access_key_id: util::random_id("AKIA", 20)?, secret_access_key: util::random_secret()? };
    install_root_key(state, &config.account_id, &credentials.access_key_id, &credentials.secret_access_key, &now)
        .await?;
    Ok(Some(credentials))
}

/// A new account id (12 digits, not starting with 0) that no account of `existing` has.
pub(crate) fn new_account_id(existing: &[String]) -> Result<String, ApiError> {
    loop {
        let digits = util::random_bytes::<12>()?;
        let id: String = digits.iter().map(|d| char::from(b'0' + d % 10)).collect();
        if !id.starts_with('0') && !existing.contains(&id) {
            return Ok(id);
        }
    }
}

async fn install_root_key(state: &State, account: &str, id: &str, secret: &str, now: &str) -> Result<(), ApiError> {
    let key = AccessKey {
        access_key_id: id.into(),
        account_id: account.into(),
        user_name: None,
        secret: state.secrets.seal(secret)?,
        status: "Active".into(),
        created: now.into(),
        last_used: None,
        last_used_service: None,
        last_used_region: None,
    };
    state.store.create_access_key(&key).await?;
    Ok(())
}

async fn reset(AxumState(state): AxumState<State>) -> Response {
    if !state.config.dev {
        return (StatusCode::NOT_FOUND, "reset is only available with --dev").into_response();
    }
    let change = auth::PendingChange::new(&state, auth::Change::Anything);
    let result = async {
        state.store.reset().await?;
        if let Ok(mut reports) = state.credential_reports.lock() {
            reports.clear();
        }
        if let Ok(mut jobs) = state.jobs.lock() {
            jobs.clear();
        }
        if let Ok(mut tasks) = state.deletion_tasks.lock() {
            tasks.clear();
        }
        if let Ok(mut failures) = state.password_failures.lock() {
            failures.clear();
        }
        bootstrap(&state).await?;
        Ok::<_, ApiError>(())
    }
    .await;
    change.ran();
    match result {
        Ok(()) => (StatusCode::OK, "reset").into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.message).into_response(),
    }
}
