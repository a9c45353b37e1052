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
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::SystemTime;

use axum::http::HeaderMap;
use serde_json::{json, Map, Value};

use crate::auth::Identity;
use crate::error::ApiError;
use crate::operation::{Access, Service};
use crate::protocol::model;
use crate::request::{self, Outcome};
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
    record: Value,
    written: Option<mpsc::SyncSender<()>>,
}

/// The audit log file and the thread that appends to it.
pub(crate) struct AuditLog {
    queue: mpsc::SyncSender<Entry>,
}

impl AuditLog {
    /// Starts the writer thread on `file`; it ends, after writing everything queued, when the log
    /// is dropped.
    pub(crate) fn start(file: File) -> std::io::Result<AuditLog> {
        let (queue, entries) = mpsc::sync_channel::<Entry>(QUEUE);
        std::thread::Builder::new()
            .name("monban-audit".into())
            .spawn(move || write_all(BufWriter::new(file), &entries))?;
        Ok(AuditLog { queue })
    }

    /// Queues a record; with `wait`, returns once it has been handed to the operating system.
    fn append(&self, record: Value, wait: bool) {
        let (written, done) = if wait {
            let (tx, rx) = mpsc::sync_channel(1);
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        if self.queue.send(Entry { record, written }).is_err() {
            return;
        }
        if let Some(done) = done {
            let _ = done.recv();
        }
    }
}

/// The writer thread: writes what is queued, flushes when the queue is empty (one `write(2)` for
/// many records under load), then tells the callers that wait.
fn write_all(mut out: BufWriter<File>, entries: &mpsc::Receiver<Entry>) {
    let mut waiting = Vec::new();
    while let Ok(first) = entries.recv() {
        let mut next = Some(first);
        while let Some(entry) = next {
            let _ = serde_json::to_writer(&mut out, &entry.record);
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

/// Records an authenticated call.
#[allow(clippy::too_many_arguments)]
pub(crate) fn call(
    state: &State,
    identity: &Identity,
    service: Service,
    model: &model::Service,
    action: &str,
    peer: &SocketAddr,
    headers: &HeaderMap,
    outcome: &Outcome,
    request_id: &str,
    now: SystemTime,
) {
    let read_only = outcome.operation.is_some_and(|op| op.access() == Access::Read);
    append(state, !read_only, || {
        let redacted = |shape: Option<&String>, value: Option<&Value>| -> Value {
            let (Some(shape), Some(value)) = (shape, value) else { return Value::Null };
            let mut value = value.clone();
            model.redact(shape, &mut value);
            remove_unflagged(&mut value);
            camel_keys(value)
        };
        let shapes = outcome.operation.and_then(|op| model.operations.get(op.wire_name()));
        let request = redacted(shapes.and_then(|o| o.input.as_ref()), outcome.input.as_ref());
        let response = if read_only {
            Value::Null
        } else {
            redacted(shapes.and_then(|o| o.output.as_ref()), outcome.output.as_ref())
        };
        let error = outcome.result.as_ref().err();
        json!({
            "eventVersion": "1.08",
            "userIdentity": {
                "type": identity.principal_type(),
                "principalId": identity.user_id(),
                "arn": identity.arn(),
                "accountId": identity.account(),
                "accessKeyId": identity.access_key_id(),
            },
            "eventTime": util::iso8601(now),
            "eventSource": format!("{}.amazonaws.com", service.name()),
            "eventName": action,
            "awsRegion": "us-east-1",
            "sourceIPAddress": peer.ip().to_string(),
            "userAgent": user_agent(headers),
            "requestParameters": request,
            "responseElements": response,
            "errorCode": error.map(|e| e.code),
            "errorMessage": error.map(|e| e.public_message().to_string()),
            "requestID": request_id,
            "eventID": request::request_id(),
            "readOnly": read_only,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": identity.account(),
        })
    });
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
    append(state, false, || {
        let event_name: String = action.chars().take(MAX_EVENT_NAME).collect();
        json!({
            "eventVersion": "1.08",
            "userIdentity": Value::Null,
            "eventTime": util::iso8601(now),
            "eventName": event_name,
            "awsRegion": "us-east-1",
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
    });
}

fn user_agent(headers: &HeaderMap) -> String {
    headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default().chars().take(256).collect()
}

/// Appends the record `build` makes, waiting until it is written when `wait`; without an audit
/// log (`--ephemeral`) nothing is built.
fn append(state: &State, wait: bool, build: impl FnOnce() -> Value) {
    if let Some(log) = &state.audit {
        log.append(build(), wait);
    }
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
