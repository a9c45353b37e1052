//! Activity records: CloudTrail's (`{"Records": [...]}` files, `aws cloudtrail lookup-events`
//! output) and monban's own audit log (one CloudTrail record per line), read into [`Event`]s.
//!
//! A CloudTrail record names the API call (`eventSource`, `eventName`), the caller
//! (`userIdentity`), the resources it touched where the service says so (`resources`) and whether
//! it failed (`errorCode`) ("CloudTrail record contents", CloudTrail User Guide). monban's records
//! add, in `additionalEventData.authorizations`, every action and resource the call was authorized
//! for: exactly what the call needed.

use std::io::{BufRead, BufReader, Read as _};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Why activity could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    /// A file or directory cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not CloudTrail records.
    #[error("{path}:{line}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The line (1 for a whole-file document).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// One API call as the activity records show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The caller's ARN (`userIdentity.arn`): a user, a root, or an assumed-role session.
    pub caller: String,
    /// The role a session was issued by (`userIdentity.sessionContext.sessionIssuer.arn`), if any.
    pub session_issuer: Option<String>,
    /// The service's endpoint name without `.amazonaws.com` (`iam`, `s3`, `monitoring`).
    pub source: String,
    /// The API operation (`CreateUser`).
    pub name: String,
    /// The error code, for a call that failed.
    pub error: Option<String>,
    /// The resource ARNs the record lists.
    pub resources: Vec<String>,
    /// Every (action, resource) the call was authorized for, when the record says so (monban's):
    /// an empty list is a call that needed nothing, or failed before it was authorized.
    pub authorizations: Option<Vec<(String, String)>>,
    /// `eventTime`, in UTC as CloudTrail writes it (`2026-12-02T10:00:00Z`).
    pub time: String,
    /// `eventID`: CloudTrail may deliver a record more than once, with the same id.
    pub id: String,
    /// `requestParameters`, for what a call needs besides its action (a role handed to a service,
    /// tags given at creation) and the ARNs of what it acted on when the record lists none.
    pub parameters: Option<Value>,
    /// `awsRegion`.
    pub region: Option<String>,
    /// The service that made the call for the caller (`userIdentity.invokedBy`, such as
    /// `s3.amazonaws.com` for the KMS calls of SSE-KMS), whose name the call's condition keys
    /// then carry (`kms:ViaService`).
    pub invoked_by: Option<String>,
}

/// The event ids seen lately, to drop CloudTrail's duplicate deliveries: a record delivered again
/// within the last [`Seen::WINDOW`] records is counted once.
#[derive(Default)]
pub struct Seen {
    ids: std::collections::HashSet<String>,
    order: std::collections::VecDeque<String>,
}

impl Seen {
    /// How many recent ids are remembered.
    pub const WINDOW: usize = 100_000;

    /// Whether this is the first delivery of `event` (events without an id always are).
    pub fn first(&mut self, event: &Event) -> bool {
        if event.id.is_empty() {
            return true;
        }
        if !self.ids.insert(event.id.clone()) {
            return false;
        }
        self.order.push_back(event.id.clone());
        if self.order.len() > Self::WINDOW {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        true
    }
}

impl Event {
    /// Whether the call was refused for want of permission: every service's denial codes.
    pub fn is_denied(&self) -> bool {
        self.error.as_deref().is_some_and(|code| {
            matches!(
                code,
                "AccessDenied" | "AccessDeniedException" | "Client.UnauthorizedOperation" | "UnauthorizedOperation"
            ) || code.ends_with("AccessDenied")
        })
    }

    fn from_record(record: &Value) -> Option<Event> {
        let text = |v: &Value| v.as_str().map(str::to_string);
        let identity = record.get("userIdentity")?;
        let source = text(record.get("eventSource")?)?;
        let source = source.strip_suffix(".amazonaws.com").unwrap_or(&source).to_string();
        let resources = record
            .get("resources")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(|r| r.get("ARN").and_then(text)).collect())
            .unwrap_or_default();
        let authorizations =
            record.pointer("/additionalEventData/authorizations").and_then(Value::as_array).map(|list| {
                list.iter().filter_map(|a| Some((text(a.get("action")?)?, text(a.get("resource")?)?))).collect()
            });
        Some(Event {
            caller: text(identity.get("arn")?)?,
            session_issuer: identity.pointer("/sessionContext/sessionIssuer/arn").and_then(text),
            source,
            name: text(record.get("eventName")?)?,
            error: record.get("errorCode").and_then(text),
            resources,
            authorizations,
            time: record.get("eventTime").and_then(text).unwrap_or_default(),
            id: record.get("eventID").and_then(text).unwrap_or_default(),
            parameters: record.get("requestParameters").filter(|v| v.is_object()).cloned(),
            region: record.get("awsRegion").and_then(text),
            invoked_by: identity.get("invokedBy").and_then(text),
        })
    }
}

/// Reads every event in `sources`: files, or directories walked recursively (files ending in
/// `.json`, `.json.gz` as CloudTrail delivers them, `.jsonl` or `.log`, in name order; CloudTrail's
/// digest files, under `CloudTrail-Digest/`, hold no events and are skipped). Records without a caller (failed authentication)
/// are skipped: nobody's permissions are shown by them.
pub fn read(sources: &[PathBuf], mut each: impl FnMut(Event)) -> Result<(), RecordsError> {
    for source in sources {
        for file in files(source)? {
            read_file(&file, &mut each)?;
        }
    }
    Ok(())
}

fn files(path: &Path) -> Result<Vec<PathBuf>, RecordsError> {
    let io = |source| RecordsError::Io { path: path.to_path_buf(), source };
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(path).map_err(io)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    let mut out = Vec::new();
    for entry in entries {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if entry.is_dir() {
            if name != "CloudTrail-Digest" {
                out.extend(files(&entry)?);
            }
        } else if [".json", ".json.gz", ".jsonl", ".log"].iter().any(|suffix| name.ends_with(suffix)) {
            out.push(entry);
        }
    }
    Ok(out)
}

fn read_file(path: &Path, each: &mut impl FnMut(Event)) -> Result<(), RecordsError> {
    let io = |source| RecordsError::Io { path: path.to_path_buf(), source };
    let format = |line: usize, message: String| RecordsError::Format { path: path.to_path_buf(), line, message };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut input: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut first = String::new();
    input.read_line(&mut first).map_err(io)?;
    if first.trim().is_empty() && input.fill_buf().map_err(io)?.is_empty() {
        return Ok(()); // an empty log: no calls yet
    }
    // A first line that is a whole object, and not a list of records, starts a log of one record
    // per line (monban's audit log, whose first record may be a failed authentication's).
    let first_record = serde_json::from_str::<Value>(&first)
        .ok()
        .filter(|v| v.is_object() && v.get("Records").is_none() && v.get("Events").is_none());
    let Some(first_record) = first_record else {
        // A whole-file document: CloudTrail's log file, or `aws cloudtrail lookup-events` output.
        let mut text = first;
        input.read_to_string(&mut text).map_err(io)?;
        let document: Value = serde_json::from_str(&text).map_err(|e| format(e.line(), e.to_string()))?;
        return read_document(&document, each).map_err(|message| format(1, message));
    };
    // One record per line (monban's audit log), read a line at a time.
    if let Some(event) = Event::from_record(&first_record) {
        each(event);
    }
    let mut line = String::new();
    for number in 2.. {
        line.clear();
        if input.read_line(&mut line).map_err(io)? == 0 {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        let record: Value = serde_json::from_str(&line).map_err(|e| format(number, e.to_string()))?;
        if let Some(event) = Event::from_record(&record) {
            each(event);
        }
    }
    Ok(())
}

fn read_document(document: &Value, each: &mut impl FnMut(Event)) -> Result<(), String> {
    if let Some(records) = document.get("Records").and_then(Value::as_array) {
        records.iter().filter_map(Event::from_record).for_each(each);
        return Ok(());
    }
    if let Some(events) = document.get("Events").and_then(Value::as_array) {
        for event in events {
            let Some(inner) = event.get("CloudTrailEvent").and_then(Value::as_str) else { continue };
            let record: Value = serde_json::from_str(inner).map_err(|e| e.to_string())?;
            if let Some(event) = Event::from_record(&record) {
                each(event);
            }
        }
        return Ok(());
    }
    if let Some(event) = document.get("eventSource").and(Event::from_record(document)) {
        each(event);
        return Ok(());
    }
    Err("not CloudTrail records: no `Records` or `Events` list".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example record of "CloudTrail record contents" (an IAM user's call), abridged.
    const CLOUDTRAIL: &str = r#"{"Records": [{
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDA6ON6E4XEGIEXAMPLE",
            "arn": "arn:aws:iam::888888888888:user/Mary", "accountId": "888888888888",
            "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "userName": "Mary"},
        "eventTime": "2023-07-19T21:25:09Z", "eventSource": "iam.amazonaws.com", "eventName": "CreateUser",
        "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.0",
        "requestParameters": {"userName": "Richard"},
        "responseElements": {"user": {"path": "/", "arn": "arn:aws:iam::888888888888:user/Richard",
            "userId": "AIDA6ON6E4XEP7EXAMPLE", "createDate": "Jul 19, 2023 9:25:09 PM", "userName": "Richard"}},
        "requestID": "2d528c76-329e-410b-9516-EXAMPLE565dc", "eventID": "ba0801a1-87ec-4d26-be87-EXAMPLE75bbb",
        "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
        "recipientAccountId": "888888888888", "eventCategory": "Management"}]}"#;

    #[test]
    fn cloudtrail_files_and_audit_lines_read_into_events() {
        let dir = std::env::temp_dir().join(format!("monban-records-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("AWSLogs/888888888888/CloudTrail/us-east-1/2023/07/19")).unwrap();
        // As CloudTrail delivers it: gzipped JSON, next to a digest directory that holds no events.
        let trail = dir.join("AWSLogs/888888888888/CloudTrail/us-east-1/2023/07/19/a.json.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, CLOUDTRAIL.as_bytes()).unwrap();
        std::fs::write(&trail, gz.finish().unwrap()).unwrap();
        let digests = dir.join("AWSLogs/888888888888/CloudTrail-Digest/us-east-1");
        std::fs::create_dir_all(&digests).unwrap();
        std::fs::write(digests.join("d.json.gz"), b"not gzip").unwrap();
        let audit = dir.join("audit.log");
        std::fs::write(
            &audit,
            // A failed authentication's record, which names no event source, may come first.
            r#"{"userIdentity": null, "eventName": "CreateUser", "errorCode": "SignatureDoesNotMatch"}
{"userIdentity": {"arn": "arn:aws:sts::1:assumed-role/app/s"}, "eventSource": "iam.amazonaws.com", "eventName": "GetUser", "errorCode": "AccessDenied", "additionalEventData": {"authorizations": [{"action": "iam:GetUser", "resource": "arn:aws:iam::1:user/x"}]}}
"#,
        )
        .unwrap();
        std::fs::write(dir.join("empty.log"), "").unwrap();
        let mut events = Vec::new();
        read(std::slice::from_ref(&dir), |e| events.push(e)).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!((events[0].source.as_str(), events[0].name.as_str()), ("iam", "CreateUser"));
        assert_eq!(events[0].caller, "arn:aws:iam::888888888888:user/Mary");
        assert!(events[1].is_denied());
        let expected = vec![("iam:GetUser".to_string(), "arn:aws:iam::1:user/x".to_string())];
        assert_eq!(events[1].authorizations, Some(expected));
        assert_eq!(events[0].authorizations, None, "CloudTrail's own records do not say");
    }

    #[test]
    fn a_file_that_is_not_records_says_where() {
        let path = std::env::temp_dir().join(format!("monban-records-bad-{}.json", std::process::id()));
        std::fs::write(&path, "{\"eventSource\": \"iam.amazonaws.com\"}\nnot json\n").unwrap();
        let error = read(std::slice::from_ref(&path), |_| {}).unwrap_err().to_string();
        std::fs::remove_file(&path).unwrap();
        assert!(error.ends_with(":2: expected ident at line 1 column 2"), "{error}");
    }
}
