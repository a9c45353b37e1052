//! monban's IAM and STS server.
//!
//! One HTTP endpoint speaks the AWS Query protocol for IAM (`2010-05-08`) and STS (`2011-06-15`),
//! so the AWS CLI, boto3 and the SDKs work against it with `--endpoint-url`. Each call goes:
//! request id → SigV4 verification against stored keys ([`identity::authenticate`]) → decoding
//! and validation through botocore's model ([`model`]) → authorization by the policy engine with
//! the context AWS fills in ([`identity::check`]) → the handler, writing through the store → the
//! response encoded through the model, or AWS's error XML → one CloudTrail-format audit record.
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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State as AxumState};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::Router;
use monban_store::{AccessKey, Store};
use serde_json::{json, Value};

pub mod error;
mod iam;
pub mod identity;
pub mod managed;
mod mfa;
pub mod model;
mod sts;
pub mod util;

pub use error::ApiError;
use identity::Identity;
use util::SecretBox;

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
    policies: identity::PolicyCache,
    generation: AtomicU64,
    config: Config,
    audit: Mutex<Option<std::io::BufWriter<std::fs::File>>>,
    key_use: Mutex<HashMap<String, SystemTime>>,
}

/// A cheap handle on the server's state.
pub type State = Arc<StateInner>;

impl StateInner {
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Invalidates cached policy sets after a write.
    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Records key use for GetAccessKeyLastUsed, at most once a minute per key.
    async fn note_key_use(&self, key: &str, now: SystemTime, scope: &monban_sigv4::CredentialScope) {
        let due = self.key_use.lock().ok().is_some_and(|mut seen| {
            let stale =
                seen.get(key).is_none_or(|t| now.duration_since(*t).unwrap_or_default() > Duration::from_secs(60));
            if stale {
                seen.insert(key.to_string(), now);
            }
            stale
        });
        if due {
            let _ = self.store.record_access_key_use(key, &util::iso8601(now), &scope.service, &scope.region).await;
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
        let (store, key, audit) = match &config.data_dir {
            Some(dir) => {
                let io = |source| StartError::DataDir { path: dir.clone(), source };
                std::fs::create_dir_all(dir).map_err(io)?;
                let key = match config.secret_key {
                    Some(k) => k,
                    None => load_or_create_key(&dir.join("secret.key")).map_err(io)?,
                };
                let audit =
                    std::fs::OpenOptions::new().create(true).append(true).open(dir.join("audit.log")).map_err(io)?;
                (Store::open(&dir.join("monban.db")).await?, key, Some(std::io::BufWriter::new(audit)))
            }
            None => {
                let key = match config.secret_key {
                    Some(k) => k,
                    None => util::random_bytes::<32>().map_err(|e| StartError::Bootstrap(e.message))?,
                };
                (Store::open_in_memory().await?, key, None)
            }
        };
        let state = Arc::new(StateInner {
            store,
            secrets: SecretBox::new(key),
            policies: identity::PolicyCache::default(),
            generation: AtomicU64::new(0),
            config,
            audit: Mutex::new(audit),
            key_use: Mutex::new(HashMap::new()),
        });
        let generated_root = bootstrap(&state).await.map_err(|e| StartError::Bootstrap(e.message))?;
        Ok(Server { state, generated_root })
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
            .fallback(any(handle))
            .layer(DefaultBodyLimit::max(1024 * 1024))
            .with_state(self.state.clone())
    }

    /// Serves until the listener fails or the process is stopped.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        let app = self.router().into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app).await
    }
}

fn load_or_create_key(path: &std::path::Path) -> std::io::Result<[u8; 32]> {
    if let Ok(bytes) = std::fs::read(path) {
        return bytes.try_into().map_err(|_| std::io::Error::other("secret.key must hold exactly 32 bytes"));
    }
    let key = util::random_bytes::<32>().map_err(|e| std::io::Error::other(e.message))?;
    write_private(path, &key)?;
    Ok(key)
}

/// Writes a file readable only by its owner.
pub fn write_private(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

/// Creates the account and, if it has no root key, the root credentials.
async fn bootstrap(state: &State) -> Result<Option<RootCredentials>, ApiError> {
    let config = &state.config;
    let now = util::iso8601(SystemTime::now());
    state.store.ensure_account(&config.account_id, &now).await?;
    if let (Some(id), Some(secret)) = (&config.root_access_key_id, &config.root_secret_access_key) {
        if state.store.access_key(id).await?.is_none() {
            install_root_key(state, id, secret, &now).await?;
        }
        return Ok(None);
    }
    if !state.store.access_keys(&config.account_id, None).await?.is_empty() {
        return Ok(None);
    }
    let credentials =
        RootCredentials { access_key_id: util::random_id("AKIA", 20)?, secret_access_key: util::random_secret()? };
    install_root_key(state, &credentials.access_key_id, &credentials.secret_access_key, &now).await?;
    Ok(Some(credentials))
}

async fn install_root_key(state: &State, id: &str, secret: &str, now: &str) -> Result<(), ApiError> {
    let key = AccessKey {
        access_key_id: id.into(),
        account_id: state.config.account_id.clone(),
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
    let result = async {
        state.store.reset().await?;
        bootstrap(&state).await?;
        Ok::<_, ApiError>(())
    }
    .await;
    state.bump();
    match result {
        Ok(()) => (StatusCode::OK, "reset").into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.message).into_response(),
    }
}

/// Every operation of the IAM and STS models with whether monban implements it, as
/// `(service, operation, implemented)`, sorted: the source of docs/compatibility.md.
pub fn operations() -> Vec<(&'static str, &'static str, bool)> {
    let mut out = Vec::new();
    for (service, implemented) in [("iam", iam::IMPLEMENTED), ("sts", sts::IMPLEMENTED)] {
        if let Some(model) = model::service(service) {
            for name in model.operations.keys() {
                out.push((service, name.as_str(), implemented.contains(&name.as_str())));
            }
        }
    }
    out.sort();
    out
}

/// One call in progress: who, when, from where, and its request id.
pub struct Call<'a> {
    /// Shared state.
    pub state: &'a State,
    /// The authenticated caller and the context AWS fills in.
    pub context: identity::CallContext<'a>,
    /// The request id.
    pub request_id: String,
}

impl Call<'_> {
    /// The caller.
    pub fn identity(&self) -> &Identity {
        self.context.identity
    }

    /// The caller's account.
    pub fn account(&self) -> &str {
        self.context.identity.account()
    }

    /// Now, as IAM writes timestamps.
    pub fn now(&self) -> String {
        util::iso8601(self.context.now)
    }

    /// Authorizes an operation (see [`identity::check`]).
    pub async fn authorize(&self, what: identity::Authorization<'_>) -> Result<(), ApiError> {
        identity::check(self.state, &self.context, what).await
    }
}

fn form_params(text: &str) -> HashMap<String, String> {
    let decode = |s: &str| monban_policy::input::percent_decode(s);
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(pair), String::new()),
        })
        .collect()
}

async fn handle(
    AxumState(state): AxumState<State>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = SystemTime::now();
    let request_id = request_id();
    let query = uri.query().unwrap_or("");
    let mut params = form_params(query);
    if method == Method::POST {
        params.extend(form_params(&String::from_utf8_lossy(&body)));
    }
    let action = params.get("Action").cloned().unwrap_or_default();
    let (service_name, service) = match sts::OPERATIONS.contains(&action.as_str()) {
        true => ("sts", model::service("sts")),
        false => ("iam", model::service("iam")),
    };
    let Some(service) = service else {
        return error_response(
            "https://iam.amazonaws.com/doc/2010-05-08/",
            &request_id,
            &ApiError::internal("models missing"),
        );
    };
    let header_pairs: Vec<(&str, &[u8])> = headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes())).collect();
    let sigv4_request = monban_sigv4::Request {
        method: method.as_str(),
        path: uri.path(),
        query,
        headers: &header_pairs,
        body: monban_sigv4::Body::Bytes(&body),
    };
    let (identity, scope) = match identity::authenticate(&state, &sigv4_request, now).await {
        Ok(ok) => ok,
        Err(e) => {
            audit(&state, None, &action, service_name, &peer, &headers, &params, None, Some(&e), &request_id, now);
            return error_response(&service.namespace, &request_id, &e);
        }
    };
    let call = Call {
        state: &state,
        context: identity::CallContext {
            identity: &identity,
            now,
            source_ip: peer.ip().to_string(),
            region: scope.region.clone(),
        },
        request_id: request_id.clone(),
    };
    let result = dispatch(&call, service_name, service, &action, &params).await;
    let response = match &result {
        Ok(xml) => ([("content-type", "text/xml")], xml.1.clone()).into_response(),
        Err(e) => error_response(&service.namespace, &request_id, e),
    };
    let elements = result.as_ref().ok().map(|(v, _)| v);
    audit(
        &state,
        Some(&identity),
        &action,
        service_name,
        &peer,
        &headers,
        &params,
        elements,
        result.as_ref().err(),
        &request_id,
        now,
    );
    response
}

async fn dispatch(
    call: &Call<'_>,
    service_name: &str,
    service: &model::Service,
    action: &str,
    params: &HashMap<String, String>,
) -> Result<(Value, String), ApiError> {
    let version = params.get("Version").map(String::as_str).unwrap_or_default();
    if version != service.version {
        return Err(ApiError::invalid_action(format!("Could not find operation {action} for version {version}")));
    }
    let operation = service
        .operations
        .get(action)
        .ok_or_else(|| ApiError::invalid_action(format!("Could not find operation {action} for version {version}")))?;
    let implemented = if service_name == "sts" { sts::IMPLEMENTED } else { iam::IMPLEMENTED };
    if !implemented.contains(&action) {
        return Err(ApiError::not_implemented(action));
    }
    let input = service.decode(operation, params)?;
    let output = match service_name {
        "sts" => sts::call(call, action, &input).await?,
        _ => {
            let output = iam::call(call, action, &input).await;
            // Even a failed write may have changed something before it failed.
            if !action.starts_with("Get") && !action.starts_with("List") && !ADDS_ONLY.contains(&action) {
                call.state.bump();
            }
            output?
        }
    };
    let xml = service.encode(action, operation, &output, &call.request_id)?;
    Ok((output, xml))
}

/// Writes that only add an entity under a name or key id that nothing cached can refer to (cached
/// values are only ever computed for existing callers, and removing an entity bumps the
/// generation), so they leave the caches valid: a stream of them does not recompute every
/// caller's policy set.
const ADDS_ONLY: &[&str] = &["CreateUser", "CreateGroup", "CreateRole", "CreateAccessKey"];

fn request_id() -> String {
    let b = util::random_bytes::<16>().unwrap_or([0; 16]);
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

fn error_response(namespace: &str, request_id: &str, error: &ApiError) -> Response {
    if error.code == "ServiceFailure" {
        eprintln!("monban: request {request_id} failed: {}", error.message);
    }
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [("content-type", "text/xml")], error.to_xml(namespace, request_id)).into_response()
}

/// Request parameters never written to the audit log.
const SECRET_PARAMETERS: &[&str] = &[
    "SecretAccessKey",
    "Password",
    "OldPassword",
    "NewPassword",
    "SessionToken",
    "AuthenticationCode1",
    "AuthenticationCode2",
    "TokenCode",
];

/// Appends one CloudTrail-format record (AWS "CloudTrail record contents") to `audit.log`.
#[allow(clippy::too_many_arguments)]
fn audit(
    state: &State,
    identity: Option<&Identity>,
    action: &str,
    service: &str,
    peer: &SocketAddr,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    response: Option<&Value>,
    error: Option<&ApiError>,
    request_id: &str,
    now: SystemTime,
) {
    let Ok(mut guard) = state.audit.lock() else { return };
    let Some(out) = guard.as_mut() else { return };
    let request: serde_json::Map<String, Value> = params
        .iter()
        .filter(|(k, _)| *k != "Action" && *k != "Version" && !SECRET_PARAMETERS.contains(&k.as_str()))
        .map(|(k, v)| {
            let mut chars = k.chars();
            let key: String = chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default();
            (key, Value::String(v.clone()))
        })
        .collect();
    let mut response = response.cloned();
    if let Some(Value::Object(r)) = response.as_mut() {
        if let Some(Value::Object(key)) = r.get_mut("AccessKey") {
            key.remove("SecretAccessKey");
        }
        if let Some(Value::Object(c)) = r.get_mut("Credentials") {
            c.remove("SecretAccessKey");
            c.remove("SessionToken");
        }
        if let Some(Value::Object(device)) = r.get_mut("VirtualMFADevice") {
            device.remove("Base32StringSeed");
            device.remove("QRCodePNG");
        }
    }
    let read_only = action.starts_with("Get") || action.starts_with("List");
    let record = json!({
        "eventVersion": "1.08",
        "userIdentity": identity.map(|i| json!({
            "type": i.principal_type(),
            "principalId": i.user_id(),
            "arn": i.arn(),
            "accountId": i.account(),
            "accessKeyId": i.access_key_id(),
        })),
        "eventTime": util::iso8601(now),
        "eventSource": format!("{service}.amazonaws.com"),
        "eventName": action,
        "awsRegion": "us-east-1",
        "sourceIPAddress": peer.ip().to_string(),
        "userAgent": headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default(),
        "requestParameters": request,
        "responseElements": if read_only { Value::Null } else { response.unwrap_or(Value::Null) },
        "errorCode": error.map(|e| e.code),
        "errorMessage": error.map(|e| e.public_message().to_string()),
        "requestID": request_id,
        "eventID": crate::request_id(),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": identity.map_or(state.config.account_id.as_str(), |i| i.account()),
    });
    let _ = writeln!(out, "{record}");
    let _ = out.flush();
}
