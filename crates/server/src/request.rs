//! The flow of one call: body → authentication and routing by credential scope → the typed
//! operation → decoding → the handler (which authorizes, then reads or writes) → the response, or
//! AWS's error XML → one audit record.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::SystemTime;

use axum::extract::{ConnectInfo, State as AxumState};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::auth::{self, Identity};
use crate::error::ApiError;
use crate::handlers::{iam, organizations, sts};
use crate::operation::{Access, Operation, Service};
use crate::protocol::{self, error_response, model};
use crate::{audit, util, State};

/// Whether monban implements `op` (the others answer NotImplemented).
pub fn implemented(op: Operation) -> bool {
    match op {
        Operation::Iam(op) => iam::handler(op).is_some(),
        Operation::Sts(op) => sts::handler(op).is_some(),
        Operation::Organizations(op) => organizations::handler(op).is_some(),
    }
}

/// Every operation of the IAM, STS and Organizations models with whether monban implements it, as
/// `(service, operation, implemented)`, sorted: the source of docs/compatibility.md.
pub fn operations() -> Vec<(&'static str, &'static str, bool)> {
    let mut out: Vec<_> = Operation::all().map(|op| (op.service().name(), op.wire_name(), implemented(op))).collect();
    out.sort();
    out
}

/// One call in progress: who, when, from where, and its request id.
pub struct Call<'a> {
    /// Shared state.
    pub state: &'a State,
    /// The authenticated caller and the context AWS fills in.
    pub context: auth::CallContext<'a>,
    /// The request id.
    pub request_id: String,
    /// Every (action, resource) the call was authorized for, allowed or not, in order: what the
    /// audit record names as the call's needs, so that `monban generate` grants exactly them.
    pub authorizations: std::sync::Mutex<Vec<(String, String)>>,
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

    /// The caller's account's partition.
    pub fn partition(&self) -> monban_policy::arn::Partition {
        self.state.config.partition
    }

    /// The ARN of an IAM resource of the caller's account (`user/ops/alice`, `root`), in its
    /// partition.
    pub fn iam_arn(&self, resource: &str) -> String {
        format!("arn:{}:iam::{}:{resource}", self.partition(), self.account())
    }

    /// Now, as IAM writes timestamps.
    pub fn now(&self) -> String {
        util::iso8601(self.context.now)
    }

    /// Authorizes an operation (see [`auth::check`]).
    pub async fn authorize(&self, what: auth::Authorization<'_>) -> Result<(), ApiError> {
        if let Ok(mut seen) = self.authorizations.lock() {
            seen.push((what.action.to_string(), what.resource.to_string()));
        }
        auth::check(self.state, &self.context, what).await
    }
}

/// The largest request body accepted. AWS's Query APIs take parameters of at most a few hundred
/// kilobytes (the largest IAM member is a 128 KB policy document).
const MAX_BODY: usize = 1024 * 1024;

pub(crate) async fn handle(
    AxumState(state): AxumState<State>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let now = SystemTime::now();
    let request_id = request_id();
    // A JSON-protocol request names its operation in `X-Amz-Target`; a Query one in `Action`.
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    let wire = match target {
        Some(_) => Wire::Json,
        None => Wire::Query(model::service("iam").map_or("", |m| m.namespace.as_str())),
    };
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        let error =
            ApiError::request_entity_too_large(format!("Request body too large: the limit is {MAX_BODY} bytes."));
        return wire.error(&request_id, &error);
    };
    let query = uri.query().unwrap_or("");
    let mut params = HashMap::new();
    let action = match target {
        Some(target) => protocol::json::target_operation(target).to_string(),
        None => {
            params = protocol::form_params(query.as_bytes());
            if method == Method::POST {
                params.extend(protocol::form_params(&body));
            }
            params.get("Action").cloned().unwrap_or_default()
        }
    };
    if target.is_none() && UNSIGNED.contains(&action.as_str()) && unsigned(&headers, query) {
        return federated(&state, peer, &headers, &params, &action, now, &request_id).await;
    }
    let header_pairs: Vec<(&str, &[u8])> = headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes())).collect();
    let sigv4_request = monban_sigv4::Request {
        method: method.as_str(),
        path: uri.path(),
        query,
        headers: &header_pairs,
        body: monban_sigv4::Body::Bytes(&body),
    };
    let (identity, scope, service) = match auth::authenticate(&state, &sigv4_request, &action, now).await {
        Ok(ok) => ok,
        Err(e) => {
            audit::failed_authentication(&state, &action, &peer, &headers, &e, &request_id, now);
            return wire.error(&request_id, &e);
        }
    };
    let Some(model) = model::service(service.name()) else {
        return wire.error(&request_id, &ApiError::internal("models missing"));
    };
    let wire = if model.protocol == "json" { Wire::Json } else { Wire::Query(&model.namespace) };
    let input = match wire {
        Wire::Json => Input::Json(&body),
        Wire::Query(_) => Input::Form(&params),
    };
    let call = Call {
        state: &state,
        context: auth::CallContext {
            identity: &identity,
            now,
            source_ip: peer.ip().to_string(),
            region: service.requested_region(&scope.region, state.config.partition).to_string(),
        },
        request_id: request_id.clone(),
        authorizations: std::sync::Mutex::default(),
    };
    let outcome = dispatch(&call, service, model, &action, input).await;
    let region = call.context.region;
    let authorizations = call.authorizations.into_inner().unwrap_or_default();
    let name = outcome.operation.map_or(action.as_str(), |op| op.action());
    log_request(&state, || identity.arn(), name, outcome.result.as_ref().err(), now);
    let Outcome { operation, input, output, result } = outcome;
    let (response, error) = match result {
        Ok(body) => (wire.ok(&request_id, body), None),
        Err(e) => (wire.error(&request_id, &e), Some((e.code, e.public_message().to_string()))),
    };
    if state.audit.is_some() {
        let user_agent = audit::user_agent(&headers);
        let (source_ip, time) = (peer.ip(), now);
        let record = audit::Call {
            identity,
            service,
            region,
            model,
            action,
            source_ip,
            user_agent,
            operation,
            input,
            output,
            error,
            request_id,
            time,
            authorizations,
        };
        audit::call(&state, record).await;
    }
    response
}

/// The operations AWS takes unsigned: the token or assertion is the credential (STS API
/// Reference, AssumeRoleWithWebIdentity and AssumeRoleWithSAML: "does not require the use of AWS
/// security credentials"). Every other unsigned request is refused.
const UNSIGNED: &[&str] = &["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"];

/// Whether a request carries no SigV4 signature at all (neither header nor presigned).
fn unsigned(headers: &HeaderMap, query: &str) -> bool {
    let presigned =
        query.split('&').any(|p| p.split('=').next().is_some_and(|k| k.eq_ignore_ascii_case("X-Amz-Signature")));
    !headers.contains_key("authorization") && !presigned
}

/// An unsigned federation call: decoded and answered as STS does, recorded as the web identity
/// or SAML user's.
async fn federated(
    state: &State,
    peer: SocketAddr,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    action: &str,
    now: SystemTime,
    request_id: &str,
) -> Response {
    let Some(model) = model::service("sts") else {
        return error_response("", request_id, &ApiError::internal("models missing"));
    };
    let version = params.get("Version").map(String::as_str).unwrap_or_default();
    let Some(shapes) = model.operations.get(action).filter(|_| version == model.version) else {
        let e = ApiError::invalid_action(format!("Could not find operation {action} for version {version}"));
        return error_response(&model.namespace, request_id, &e);
    };
    let input = match model.decode(shapes, params) {
        Ok(input) => input,
        Err(e) => return error_response(&model.namespace, request_id, &e),
    };
    let source_ip = peer.ip().to_string();
    let result = match action {
        "AssumeRoleWithSAML" => sts::federated::assume_role_with_saml(state, &input, now, &source_ip).await,
        _ => sts::federated::assume_role_with_web_identity(state, &input, now, &source_ip).await,
    };
    let (response, output, error) = match result {
        Ok(output) => match model.encode(action, shapes, &output, request_id) {
            Ok(xml) => ((protocol::XML, xml).into_response(), Some(output), None),
            Err(e) => (error_response(&model.namespace, request_id, &e), None, Some(e)),
        },
        Err(e) => (error_response(&model.namespace, request_id, &e), None, Some(e)),
    };
    // CloudTrail's userIdentity for the two: the subject and the provider that vouched for it
    // (for SAML, its NameQualifier), known only once the statement verified.
    let field = |name: &str| output.as_ref().and_then(|o| o.get(name)).cloned();
    let user = match action {
        "AssumeRoleWithSAML" => serde_json::json!({"type": "SAMLUser", "userName": field("Subject"),
            "identityProvider": field("NameQualifier")}),
        _ => serde_json::json!({"type": "WebIdentityUser", "userName": field("SubjectFromWebIdentityToken"),
            "identityProvider": field("Provider")}),
    };
    // The request log names the provider that vouched for the caller, once it did.
    let provider = match action {
        "AssumeRoleWithSAML" => output.as_ref().and(params.get("PrincipalArn")).map(String::as_str),
        _ => output.as_ref().and_then(|o| o.get("Provider")).and_then(Value::as_str),
    };
    log_request(state, || provider.unwrap_or("anonymous").to_string(), action, error.as_ref(), now);
    audit::unsigned_call(
        state,
        model,
        action,
        user,
        Some(input),
        output,
        error.as_ref(),
        &peer,
        headers,
        request_id,
        now,
    )
    .await;
    response
}

/// One line on stderr per call (see [`crate::RequestLog`]): what a person trying policies looks
/// at to see which call was denied and why.
fn log_request(state: &State, caller: impl FnOnce() -> String, name: &str, error: Option<&ApiError>, now: SystemTime) {
    let format = state.config.request_log;
    if format == crate::RequestLog::Off {
        return;
    }
    let caller = caller();
    let (result, message, decided_by) = match error {
        None => ("OK", "", None),
        Some(e) => (e.code, e.public_message(), e.decided_by.as_deref()),
    };
    let line = match format {
        crate::RequestLog::Json => serde_json::json!({
            "time": util::iso8601(now), "caller": &caller, "action": name, "result": result,
            "message": (!message.is_empty()).then_some(message), "decided_by": decided_by,
        })
        .to_string(),
        _ => {
            // One call, one line: what a caller chose (a name, a message quoting its input) cannot
            // start another.
            let printable =
                |text: &str| -> String { text.chars().map(|c| if c.is_control() { '?' } else { c }).collect() };
            let mut line = format!("{} {} {name} {result}", util::iso8601(now), printable(&caller));
            if !message.is_empty() {
                line = format!("{line}: {}", printable(message));
            }
            if let Some(decided_by) = decided_by {
                line = format!("{line} [decided by {decided_by}]");
            }
            line
        }
    };
    eprintln!("{line}");
}

/// What one dispatched call produced: the operation (absent when the action is unknown), its
/// decoded input (absent when it did not decode), its output, and the response body or error.
pub(crate) struct Outcome {
    pub(crate) operation: Option<Operation>,
    pub(crate) input: Option<Value>,
    pub(crate) output: Option<Value>,
    pub(crate) result: Result<String, ApiError>,
}

/// How a service's requests and responses are written.
#[derive(Clone, Copy)]
enum Wire<'m> {
    /// The AWS Query protocol (IAM, STS), with the service's XML namespace.
    Query(&'m str),
    /// The JSON 1.1 protocol (Organizations).
    Json,
}

impl Wire<'_> {
    fn ok(self, request_id: &str, body: String) -> Response {
        match self {
            Wire::Query(_) => (protocol::XML, body).into_response(),
            Wire::Json => ([("content-type", protocol::json::CONTENT_TYPE), ("x-amzn-requestid", request_id)], body)
                .into_response(),
        }
    }

    fn error(self, request_id: &str, error: &ApiError) -> Response {
        match self {
            Wire::Query(namespace) => error_response(namespace, request_id, error),
            Wire::Json => protocol::json::error_response(request_id, error),
        }
    }
}

/// A request's input as it arrived: Query parameters, or a JSON document.
#[derive(Clone, Copy)]
enum Input<'a> {
    Form(&'a HashMap<String, String>),
    Json(&'a [u8]),
}

async fn dispatch(
    call: &Call<'_>,
    service: Service,
    model: &'static model::Service,
    action: &str,
    raw: Input<'_>,
) -> Outcome {
    let mut outcome = Outcome { operation: None, input: None, output: None, result: Err(ApiError::internal("")) };
    let operation = match raw {
        Input::Form(params) => {
            let version = params.get("Version").map(String::as_str).unwrap_or_default();
            let operation = Operation::from_wire(service, action).filter(|_| version == model.version);
            if operation.is_none() {
                outcome.result =
                    Err(ApiError::invalid_action(format!("Could not find operation {action} for version {version}")));
                return outcome;
            }
            operation
        }
        Input::Json(_) => Operation::from_wire(service, action),
    };
    let (Some(op), Some(shapes)) = (operation, model.operations.get(action)) else {
        outcome.result = Err(ApiError::unknown_operation(format!("Could not find operation {action}")));
        return outcome;
    };
    outcome.operation = Some(op);
    if !implemented(op) {
        outcome.result = Err(ApiError::not_implemented(action));
        return outcome;
    }
    let decoded = match raw {
        Input::Form(params) => model.decode(shapes, params),
        Input::Json(body) => model.decode_json(shapes, body),
    };
    let input = match decoded {
        Ok(input) => input,
        Err(e) => {
            outcome.result = Err(e);
            return outcome;
        }
    };
    // Even a failed write may have changed something before it failed.
    let change = (op.access() == Access::Write)
        .then(|| crate::auth::PendingChange::new(call.state, crate::auth::change_of(op, &input, call.account())));
    let output = match op {
        Operation::Iam(op) => match iam::handler(op) {
            Some(handler) => handler(op, call, &input).await,
            None => Err(ApiError::not_implemented(action)),
        },
        Operation::Sts(op) => match sts::handler(op) {
            Some(handler) => handler(op, call, &input).await,
            None => Err(ApiError::not_implemented(action)),
        },
        Operation::Organizations(op) => match organizations::handler(op) {
            Some(handler) => handler(op, call, &input).await,
            None => Err(ApiError::not_implemented(action)),
        },
    };
    if let Some(change) = change {
        change.ran();
    }
    outcome.input = Some(input);
    outcome.result = match output {
        Ok(output) => {
            let body = match raw {
                Input::Form(_) => model.encode(action, shapes, &output, &call.request_id),
                Input::Json(_) => model.encode_json(shapes, &output),
            };
            outcome.output = Some(output);
            body
        }
        Err(e) => Err(e),
    };
    outcome
}

pub(crate) fn request_id() -> String {
    util::uuid().unwrap_or_else(|_| "00000000-0000-0000-0000-000000000000".into())
}
