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
//! only once its record has reached the operating system, as before; a read call's record may
//! still be queued, so a crash of the process (not of the machine) loses at most the last
//! [`QUEUE`] records of read calls.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::sync::mpsc;
use std::time::SystemTime;

use axum::http::HeaderMap;
use serde_json::{json, Map, Value};

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

/// One record for the writer, and whom to tell once it is written.
struct Entry {
    record: Record,
    written: Option<mpsc::SyncSender<()>>,
}

/// A record as queued: a call still to be turned into its record, or a record made already.
enum Record {
    Call(Box<Call>),
    Made(Value),
}

/// The audit log file and the thread that appends to it.
pub(crate) struct AuditLog {
    queue: Option<mpsc::SyncSender<Entry>>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Drop for AuditLog {
    /// Writes what is queued before the server goes: the queue closes, the thread drains it.
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl AuditLog {
    /// Starts the writer thread on `file`; it ends, after writing everything queued, when the log
    /// is dropped.
    pub(crate) fn start(file: File) -> std::io::Result<AuditLog> {
        let (queue, entries) = mpsc::sync_channel::<Entry>(QUEUE);
        let writer = std::thread::Builder::new()
            .name("monban-audit".into())
            .spawn(move || write_all(BufWriter::new(file), &entries))?;
        Ok(AuditLog { queue: Some(queue), writer: Some(writer) })
    }

    /// Queues a record; with `wait`, returns once it has been handed to the operating system.
    fn append(&self, record: Record, wait: bool) {
        let (written, done) = if wait {
            let (tx, rx) = mpsc::sync_channel(1);
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let Some(queue) = &self.queue else { return };
        if queue.send(Entry { record, written }).is_err() {
            return;
        }
        if let Some(done) = done {
            let _ = done.recv();
        }
    }
}

/// Records written at most before a caller waiting for its record is told, however busy the queue.
const ACKNOWLEDGE_EVERY: usize = 256;

/// The writer thread: writes what is queued, flushes when the queue is empty (one `write(2)` for
/// many records under load) or when a caller has waited [`ACKNOWLEDGE_EVERY`] records, then tells
/// the callers that wait.
fn write_all(mut out: BufWriter<File>, entries: &mpsc::Receiver<Entry>) {
    let mut waiting: Vec<mpsc::SyncSender<()>> = Vec::new();
    while let Ok(first) = entries.recv() {
        let mut next = Some(first);
        let mut since_flush = 0;
        while let Some(entry) = next {
            since_flush += 1;
            if !waiting.is_empty() && since_flush >= ACKNOWLEDGE_EVERY {
                let _ = out.flush();
                waiting.drain(..).for_each(|w| {
                    let _ = w.send(());
                });
                since_flush = 0;
            }
            let record = match entry.record {
                Record::Call(call) => call.record(),
                Record::Made(record) => record,
            };
            let _ = serde_json::to_writer(&mut out, &record);
            let _ = out.write_all(b"\n");
            waiting.extend(entry.written);
            next = entries.try_recv().ok();
        }
        let _ = out.flush();
        for written in waiting.drain(..) {
            let _ = written.send(());
        }
    }
    let _ = out.flush();
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

    /// The CloudTrail record.
    fn record(self) -> Value {
        let read_only = self.read_only();
        let model = self.model;
        let redacted = |shape: Option<&String>, value: Option<Value>| -> Value {
            let (Some(shape), Some(mut value)) = (shape, value) else { return Value::Null };
            model.redact(shape, &mut value);
            remove_unflagged(&mut value);
            camel_keys(value)
        };
        let shapes = self.operation.and_then(|op| model.operations.get(op.wire_name()));
        let request = redacted(shapes.and_then(|o| o.input.as_ref()), self.input);
        let response =
            if read_only { Value::Null } else { redacted(shapes.and_then(|o| o.output.as_ref()), self.output) };
        let identity = &self.identity;
        json!({
            "eventVersion": "1.08",
            "userIdentity": {
                "type": identity.principal_type(),
                "principalId": identity.user_id(),
                "arn": identity.arn(),
                "accountId": identity.account(),
                "accessKeyId": identity.access_key_id(),
            },
            "eventTime": util::iso8601(self.time),
            "eventSource": format!("{}.amazonaws.com", self.service.name()),
            "eventName": self.action,
            "awsRegion": self.region,
            "sourceIPAddress": self.source_ip.to_string(),
            "userAgent": self.user_agent,
            "requestParameters": request,
            "responseElements": response,
            "resources": resources(&self.authorizations),
            // CloudTrail's field for what a service adds; monban adds what the call needed.
            "additionalEventData": {"authorizations": self.authorizations.iter()
                .map(|(action, resource)| json!({"action": action, "resource": resource}))
                .collect::<Vec<_>>()},
            "errorCode": self.error.as_ref().map(|e| e.0),
            "errorMessage": self.error.map(|e| e.1),
            "requestID": self.request_id,
            "eventID": request::request_id(),
            "readOnly": read_only,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": identity.account(),
        })
    }
}

/// CloudTrail's `resources`: each distinct resource ARN the call was authorized for, with its
/// account and, for IAM's entities, CloudTrail's type name ("CloudTrail record contents").
fn resources(authorizations: &[(String, String)]) -> Vec<Value> {
    let mut seen: Vec<&str> = Vec::new();
    for (_, arn) in authorizations {
        if arn != "*" && !seen.contains(&arn.as_str()) {
            seen.push(arn);
        }
    }
    seen.into_iter()
        .map(|arn| {
            let parsed = monban_policy::arn::Arn::parse(arn);
            let account = parsed.as_ref().map_or("", |a| a.account());
            let kind = match parsed.as_ref().map(|a| (a.service(), a.resource_type())) {
                Some(("iam", "user")) => Some("AWS::IAM::User"),
                Some(("iam", "role")) => Some("AWS::IAM::Role"),
                Some(("iam", "group")) => Some("AWS::IAM::Group"),
                Some(("iam", "policy")) => Some("AWS::IAM::Policy"),
                Some(("iam", "instance-profile")) => Some("AWS::IAM::InstanceProfile"),
                _ => None,
            };
            json!({"ARN": arn, "accountId": account, "type": kind})
        })
        .collect()
}

/// Records an authenticated call; a mutating call waits until its record is written.
pub(crate) fn call(state: &State, call: Call) {
    if let Some(log) = &state.audit {
        let wait = !call.read_only();
        log.append(Record::Call(Box::new(call)), wait);
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
    log.append(
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
