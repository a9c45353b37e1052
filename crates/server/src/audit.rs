//! The audit log: one CloudTrail-format record per call (AWS CloudTrail User Guide, "CloudTrail
//! record contents") appended to `audit.log` in the data directory.
//!
//! Nothing that could be replayed or that is a secret is written: request parameters are the
//! decoded input, so SigV4's own parameters (`X-Amz-Signature`, `X-Amz-Credential`,
//! `X-Amz-Security-Token` of a presigned request) never reach the log, and every member whose
//! shape botocore's model marks `sensitive` is removed from the request and the response, with the
//! few secrets the model does not mark ([`UNFLAGGED_SECRETS`]). A request that fails
//! authentication is recorded compactly, without its parameters, as CloudTrail records the failure
//! and not the payload: an unauthenticated caller cannot fill the disk through the log.
//!
//! Records are written by one background thread ([`AuditLog`]), so that a read call does not wait
//! for a `write(2)` under a lock shared by every call. The queue is bounded: when it is full, a
//! call waits for room (back-pressure), and no record is ever dropped. A mutating call is answered
//! only once its record has reached the operating system; a read call's record may still be
//! queued (for at most [`LINGER`] plus the time to write what is ahead of it), so a crash of the
//! process (not of the machine) loses at most the last [`QUEUE`] records of read calls.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime};

use axum::http::HeaderMap;
use serde::Serialize;
use serde_json::{json, Map, Value};
use tokio::sync::oneshot;

use crate::auth::Identity;
use crate::error::ApiError;
use crate::operation::{Access, Operation, Service};
use crate::protocol::model;
use crate::request;
use crate::{util, State};

/// Secrets in IAM's and STS's inputs and outputs whose shapes the model does not mark sensitive:
/// MFA codes and session tokens.
const UNFLAGGED_SECRETS: &[&str] = &["AuthenticationCode1", "AuthenticationCode2", "TokenCode", "SessionToken"];

/// The longest `eventName` recorded for a request that failed authentication (the longest IAM
/// operation name has 40 characters).
const MAX_EVENT_NAME: usize = 64;

/// Records waiting for the writer thread at most; a full queue makes calls wait.
pub(crate) const QUEUE: usize = 4096;

/// How long the writer waits for more records after writing some, unless a caller waits for its
/// record or the queue is half full: under load it wakes a few hundred times a second and writes
/// many records at once, instead of being woken (a futex call and a context switch) by every call.
const LINGER: Duration = Duration::from_millis(2);

/// The writer's buffer: a batch of records under load is handed to the operating system in one
/// `write(2)` (with the default 8 KiB, a record of about 1 KiB made every eighth one a system call).
const WRITE_BUFFER: usize = 256 * 1024;

/// Records written at most before a caller waiting for its record is told, however busy the queue.
const ACKNOWLEDGE_EVERY: usize = 256;

/// One record for the writer, and whom to tell once it is written.
struct Entry {
    record: Record,
    written: Option<oneshot::Sender<()>>,
}

/// A record as queued: a call still to be turned into its record, or a record made already.
enum Record {
    Call(Box<Call>),
    Made(Value),
}

/// What the writer thread is doing, so that a caller wakes it only when it has to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Writer {
    /// Writing: it looks at the queue again when done.
    Busy,
    /// Waiting at most [`LINGER`] for more records: woken only for a waiting caller or a full queue.
    Lingering,
    /// Waiting for the next record, however long: woken by it.
    Idle,
}

/// The queue between the calls and the writer thread.
struct Queue {
    entries: Vec<Entry>,
    writer: Writer,
    closed: bool,
}

/// The queue with its two signals: records for the writer, room for the callers.
struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    room: Condvar,
}

/// The audit log file and the thread that appends to it.
pub(crate) struct AuditLog {
    shared: Arc<Shared>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Drop for AuditLog {
    /// Writes what is queued before the server goes: the queue closes, the thread drains it.
    fn drop(&mut self) {
        if let Ok(mut queue) = self.shared.queue.lock() {
            queue.closed = true;
        }
        self.shared.ready.notify_all();
        self.shared.room.notify_all();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl AuditLog {
    /// Starts the writer thread on `file`; it ends, after writing everything queued, when the log
    /// is dropped.
    pub(crate) fn start(file: File) -> std::io::Result<AuditLog> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue { entries: Vec::new(), writer: Writer::Busy, closed: false }),
            ready: Condvar::new(),
            room: Condvar::new(),
        });
        let writer = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("monban-audit".into())
                .spawn(move || write_all(BufWriter::with_capacity(WRITE_BUFFER, file), &shared))?
        };
        Ok(AuditLog { shared, writer: Some(writer) })
    }

    /// Queues a record (waiting for room while the queue is full); with `wait`, the answer tells
    /// when it has been handed to the operating system.
    fn append(&self, record: Record, wait: bool) -> Option<oneshot::Receiver<()>> {
        let (written, done) = match wait {
            true => {
                let (tx, rx) = oneshot::channel();
                (Some(tx), Some(rx))
            }
            false => (None, None),
        };
        let Ok(mut queue) = self.shared.queue.lock() else { return None };
        while queue.entries.len() >= QUEUE && !queue.closed {
            queue = match self.shared.room.wait(queue) {
                Ok(queue) => queue,
                Err(_) => return None,
            };
        }
        if queue.closed {
            return None;
        }
        queue.entries.push(Entry { record, written });
        let wake = match queue.writer {
            Writer::Busy => false,
            Writer::Lingering => wait || queue.entries.len() >= QUEUE / 2,
            Writer::Idle => true,
        };
        drop(queue);
        if wake {
            self.shared.ready.notify_one();
        }
        done
    }
}

/// The writer thread: takes what is queued, writes it with one flush (one `write(2)` for many
/// records under load, and one more whenever a caller has waited [`ACKNOWLEDGE_EVERY`] records),
/// tells the callers that wait, then lingers for more.
fn write_all(mut out: BufWriter<File>, shared: &Shared) {
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    let mut batch: Vec<Entry> = Vec::new();
    loop {
        {
            let Ok(mut queue) = shared.queue.lock() else { return };
            if queue.entries.is_empty() && !queue.closed {
                queue.writer = Writer::Lingering;
                queue = match shared.ready.wait_timeout(queue, LINGER) {
                    Ok((queue, _)) => queue,
                    Err(_) => return,
                };
            }
            while queue.entries.is_empty() && !queue.closed {
                queue.writer = Writer::Idle;
                queue = match shared.ready.wait(queue) {
                    Ok(queue) => queue,
                    Err(_) => return,
                };
            }
            if queue.entries.is_empty() && queue.closed {
                break;
            }
            queue.writer = Writer::Busy;
            std::mem::swap(&mut batch, &mut queue.entries);
        }
        shared.room.notify_all();
        for (written, entry) in batch.drain(..).enumerate() {
            if !waiting.is_empty() && written % ACKNOWLEDGE_EVERY == ACKNOWLEDGE_EVERY - 1 {
                acknowledge(&mut out, &mut waiting);
            }
            let _ = match entry.record {
                Record::Call(call) => call.write(&mut out),
                Record::Made(record) => serde_json::to_writer(&mut out, &record),
            };
            let _ = out.write_all(b"\n");
            waiting.extend(entry.written);
        }
        acknowledge(&mut out, &mut waiting);
    }
    acknowledge(&mut out, &mut waiting);
}

/// Hands what is written to the operating system and tells the callers that wait for it.
fn acknowledge(out: &mut BufWriter<File>, waiting: &mut Vec<oneshot::Sender<()>>) {
    let _ = out.flush();
    for written in waiting.drain(..) {
        let _ = written.send(());
    }
}

/// One authenticated call, handed whole to the writer thread, which turns it into its record:
/// the call's own thread only moves what it already has.
pub(crate) struct Call {
    /// The caller.
    pub(crate) identity: Identity,
    /// The service the request was signed for.
    pub(crate) service: Service,
    /// Where AWS takes the request to be made: IAM's region in the partition, or the region STS
    /// was signed for.
    pub(crate) region: String,
    /// The service's model, for redaction.
    pub(crate) model: &'static model::Service,
    /// The `Action` parameter as sent.
    pub(crate) action: String,
    /// Where the request came from.
    pub(crate) source_ip: IpAddr,
    /// The `User-Agent` header, at most 256 characters.
    pub(crate) user_agent: String,
    /// The operation, when the action is one.
    pub(crate) operation: Option<Operation>,
    /// The decoded input, when it decoded.
    pub(crate) input: Option<Value>,
    /// The output, when the call succeeded.
    pub(crate) output: Option<Value>,
    /// The error's code and public message, when it failed.
    pub(crate) error: Option<(&'static str, String)>,
    /// The request id.
    pub(crate) request_id: String,
    /// When the call arrived.
    pub(crate) time: SystemTime,
    /// Every (action, resource) the call was authorized for, in order.
    pub(crate) authorizations: Vec<(String, String)>,
}

impl Call {
    fn read_only(&self) -> bool {
        self.operation.is_some_and(|op| op.access() == Access::Read)
    }

    /// Writes the CloudTrail record, serialized straight from the call: no JSON tree is built
    /// but the request's and response's members.
    fn write(self, out: &mut impl Write) -> serde_json::Result<()> {
        let read_only = self.read_only();
        let model = self.model;
        let shapes = self.operation.and_then(|op| model.operations.get(op.wire_name()));
        let identity = &self.identity;
        let record = CallRecord {
            event_version: "1.08",
            user_identity: UserIdentity {
                kind: identity.principal_type(),
                principal_id: identity.user_id(),
                arn: identity.arn(),
                account_id: identity.account(),
                access_key_id: identity.access_key_id(),
            },
            event_time: util::iso8601(self.time),
            event_source: EventSource(self.service.name()),
            event_name: &self.action,
            aws_region: &self.region,
            source_ip_address: self.source_ip,
            user_agent: &self.user_agent,
            request_parameters: redacted(model, shapes.and_then(|o| o.input.as_ref()), self.input),
            response_elements: if read_only {
                Value::Null
            } else {
                redacted(model, shapes.and_then(|o| o.output.as_ref()), self.output)
            },
            resources: resources(&self.authorizations),
            additional_event_data: AdditionalEventData { authorizations: Authorizations(&self.authorizations) },
            error_code: self.error.as_ref().map(|e| e.0),
            error_message: self.error.as_ref().map(|e| e.1.as_str()),
            request_id: &self.request_id,
            event_id: request::request_id(),
            read_only,
            event_type: "AwsApiCall",
            management_event: true,
            recipient_account_id: identity.account(),
        };
        serde_json::to_writer(out, &record)
    }
}

/// A call's CloudTrail record ("CloudTrail record contents"), in CloudTrail's order of fields.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CallRecord<'a> {
    event_version: &'static str,
    user_identity: UserIdentity<'a>,
    event_time: String,
    event_source: EventSource,
    event_name: &'a str,
    aws_region: &'a str,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: IpAddr,
    user_agent: &'a str,
    request_parameters: Value,
    response_elements: Value,
    resources: Vec<Resource<'a>>,
    /// CloudTrail's field for what a service adds; monban adds what the call needed.
    additional_event_data: AdditionalEventData<'a>,
    error_code: Option<&'static str>,
    error_message: Option<&'a str>,
    #[serde(rename = "requestID")]
    request_id: &'a str,
    #[serde(rename = "eventID")]
    event_id: String,
    read_only: bool,
    event_type: &'static str,
    management_event: bool,
    recipient_account_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserIdentity<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    principal_id: String,
    arn: String,
    account_id: &'a str,
    access_key_id: &'a str,
}

/// `iam.amazonaws.com`, written without building the string.
struct EventSource(&'static str);

impl Serialize for EventSource {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{}.amazonaws.com", self.0))
    }
}

#[derive(Serialize)]
struct AdditionalEventData<'a> {
    authorizations: Authorizations<'a>,
}

/// Every (action, resource) the call was authorized for, as `{"action", "resource"}` objects.
struct Authorizations<'a>(&'a [(String, String)]);

impl Serialize for Authorizations<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct One<'a> {
            action: &'a str,
            resource: &'a str,
        }
        serializer.collect_seq(self.0.iter().map(|(action, resource)| One { action, resource }))
    }
}

/// One of CloudTrail's `resources`.
#[derive(Serialize)]
struct Resource<'a> {
    #[serde(rename = "ARN")]
    arn: &'a str,
    #[serde(rename = "accountId")]
    account_id: &'a str,
    #[serde(rename = "type")]
    kind: Option<&'static str>,
}

/// CloudTrail's `resources`: each distinct resource ARN the call was authorized for, with its
/// account and, for IAM's entities, CloudTrail's type name ("CloudTrail record contents").
fn resources(authorizations: &[(String, String)]) -> Vec<Resource<'_>> {
    let mut seen: Vec<&str> = Vec::new();
    for (_, arn) in authorizations {
        if arn != "*" && !seen.contains(&arn.as_str()) {
            seen.push(arn);
        }
    }
    seen.into_iter()
        .map(|arn| {
            let parsed = monban_policy::arn::Arn::parse(arn);
            let account_id = parsed.as_ref().map_or("", |a| a.account());
            let kind = match parsed.as_ref().map(|a| (a.service(), a.resource_type())) {
                Some(("iam", "user")) => Some("AWS::IAM::User"),
                Some(("iam", "role")) => Some("AWS::IAM::Role"),
                Some(("iam", "group")) => Some("AWS::IAM::Group"),
                Some(("iam", "policy")) => Some("AWS::IAM::Policy"),
                Some(("iam", "instance-profile")) => Some("AWS::IAM::InstanceProfile"),
                _ => None,
            };
            Resource { arn, account_id, kind }
        })
        .collect()
}

/// Records an authenticated call; a mutating call waits until its record is written.
pub(crate) async fn call(state: &State, call: Call) {
    if let Some(log) = &state.audit {
        let wait = !call.read_only();
        if let Some(written) = log.append(Record::Call(Box::new(call)), wait) {
            let _ = written.await;
        }
    }
}

/// Records an unsigned call (AssumeRoleWithWebIdentity): the web identity user as CloudTrail
/// names one (`userIdentity.type` `WebIdentityUser`), the request and response with their
/// secrets (the token, the credentials' secret) removed. Answered once written, as a write is.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn unsigned_call(
    state: &State,
    model: &'static model::Service,
    action: &str,
    user: Value,
    input: Option<Value>,
    output: Option<Value>,
    error: Option<&ApiError>,
    peer: &SocketAddr,
    headers: &HeaderMap,
    request_id: &str,
    now: SystemTime,
) {
    let Some(log) = &state.audit else { return };
    let shapes = model.operations.get(action);
    let record = json!({
        "eventVersion": "1.08",
        "userIdentity": user,
        "eventTime": util::iso8601(now),
        "eventSource": "sts.amazonaws.com",
        "eventName": action,
        "awsRegion": state.config.partition.iam_region(),
        "sourceIPAddress": peer.ip().to_string(),
        "userAgent": user_agent(headers),
        // A refused call is recorded without its parameters, as a failed authentication is: an
        // unauthenticated caller cannot fill the disk through the log.
        "requestParameters": if error.is_some() { Value::Null } else { redacted(model, shapes.and_then(|o| o.input.as_ref()), input) },
        "responseElements": redacted(model, shapes.and_then(|o| o.output.as_ref()), output),
        "errorCode": error.map(|e| e.code),
        "errorMessage": error.map(|e| e.public_message().chars().take(256).collect::<String>()),
        "requestID": request_id,
        "eventID": request::request_id(),
        "readOnly": false,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": state.config.account_id,
    });
    if let Some(written) = log.append(Record::Made(record), true) {
        let _ = written.await;
    }
}

/// Records a request that failed authentication: what it asked for, from where, and why it was
/// refused; no parameters.
pub(crate) fn failed_authentication(
    state: &State,
    action: &str,
    peer: &SocketAddr,
    headers: &HeaderMap,
    error: &ApiError,
    request_id: &str,
    now: SystemTime,
) {
    let Some(log) = &state.audit else { return };
    // Nobody waits for it: the caller is answered with its error at once.
    let _ = log.append(
        Record::Made({
            let event_name: String = action.chars().take(MAX_EVENT_NAME).collect();
            json!({
                "eventVersion": "1.08",
                "userIdentity": Value::Null,
                "eventTime": util::iso8601(now),
                "eventName": event_name,
                "awsRegion": state.config.partition.iam_region(),
                "sourceIPAddress": peer.ip().to_string(),
                "userAgent": user_agent(headers),
                "requestParameters": Value::Null,
                "errorCode": error.code,
                "errorMessage": error.public_message().chars().take(256).collect::<String>(),
                "requestID": request_id,
                "eventID": request::request_id(),
                "eventType": "AwsApiCall",
                "recipientAccountId": state.config.account_id,
            })
        }),
        false,
    );
}

/// The `User-Agent` header as CloudTrail records it: at most 256 characters.
pub(crate) fn user_agent(headers: &HeaderMap) -> String {
    headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default().chars().take(256).collect()
}

/// A request's or response's members as the audit log keeps them: without what the model marks
/// `sensitive` or [`remove_unflagged`] knows to be secret, in CloudTrail's camelCase; `null` when
/// the call has no such shape or value.
fn redacted(model: &model::Service, shape: Option<&String>, value: Option<Value>) -> Value {
    let (Some(shape), Some(mut value)) = (shape, value) else { return Value::Null };
    model.redact(shape, &mut value);
    remove_unflagged(&mut value);
    camel_keys(value)
}

fn remove_unflagged(value: &mut Value) {
    match value {
        Value::Object(object) => {
            object.retain(|k, _| !UNFLAGGED_SECRETS.contains(&k.as_str()));
            object.values_mut().for_each(remove_unflagged);
        }
        Value::Array(items) => items.iter_mut().for_each(remove_unflagged),
        _ => {}
    }
}

/// CloudTrail writes request parameters in lowerCamelCase (`userName`).
fn camel_keys(value: Value) -> Value {
    match value {
        Value::Object(object) => {
            let out: Map<String, Value> = object
                .into_iter()
                .map(|(k, v)| {
                    let mut chars = k.chars();
                    let key: String = chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default();
                    (key, camel_keys(v))
                })
                .collect();
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(camel_keys).collect()),
        other => other,
    }
}
