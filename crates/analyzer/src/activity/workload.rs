//! A realistic CloudTrail workload with its ground truth, for testing and measuring `generate`.
//!
//! One application role (`app`, three sessions) reads and writes S3 objects (data events that list
//! the object and its bucket, as S3 writes them), copies objects between buckets, uses a KMS key
//! only through S3 (SSE-KMS: `invokedBy` s3), reads and writes a DynamoDB table (the records list
//! no resources; the table is in the parameters), publishes to SNS, creates Lambda functions
//! handing them an execution role, creates tagged IAM roles, lists its API Gateway APIs, and makes
//! calls that need nothing or are denied. Another role makes destructive calls (noise), some
//! records are delivered twice (same `eventID`), and the tree holds a digest file, as CloudTrail's
//! does ("CloudTrail record contents", "CloudTrail log file examples", CloudTrail User Guide).
//!
//! The truth is written here by hand for each kind of call, not derived from the mapping: what
//! each successful call needed (with the condition value it proves), and sensitive requests the
//! role never made. A policy generated from the workload must allow the first and deny the second.

use std::io::Write as _;
use std::path::Path;

use serde_json::{json, Value};

/// The workload's account.
pub const ACCOUNT: &str = "111122223333";
/// The workload's region.
pub const REGION: &str = "us-east-1";
/// Records per log file, as CloudTrail delivers them (at most; here always).
const PER_FILE: usize = 1000;
/// One record in this many is delivered a second time, in the next file.
const DUPLICATE_EVERY: usize = 50;

/// A request the engine is asked about: an action on a resource, perhaps with one condition key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// `s3:GetObject`.
    pub action: String,
    /// The resource's ARN, or `*`.
    pub resource: String,
    /// A condition key and its value in the request's context.
    pub context: Option<(String, String)>,
}

fn expected(action: &str, resource: &str, context: Option<(&str, &str)>) -> Expected {
    Expected { action: action.into(), resource: resource.into(), context: context.map(|(k, v)| (k.into(), v.into())) }
}

/// What a policy generated from the workload for [`Truth::role`] must decide.
#[derive(Debug, Clone)]
pub struct Truth {
    /// The application role whose policy is generated.
    pub role: String,
    /// A session of the role, the caller of the decisions.
    pub session: String,
    /// Every request a successful call of the role needed: each must be allowed.
    pub allowed: Vec<Expected>,
    /// Requests the role never made (sensitive actions, other resources, other conditions, its
    /// denied calls, the other role's calls): each must be denied.
    pub denied: Vec<Expected>,
    /// How many successful calls of the role the workload holds, each counted once.
    pub successful_calls: usize,
}

/// Writes `events` records (duplicates not counted) in the `AWSLogs/ACCOUNT/CloudTrail/REGION/...`
/// tree under `dir`, `.json.gz` files of [`PER_FILE`] records, and a digest file; returns the
/// truth. Memory does not grow with `events`.
pub fn write(dir: &Path, events: usize) -> std::io::Result<Truth> {
    let logs = dir.join(format!("AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2026/12/02"));
    std::fs::create_dir_all(&logs)?;
    let digests = dir.join(format!("AWSLogs/{ACCOUNT}/CloudTrail-Digest/{REGION}/2026/12/02"));
    std::fs::create_dir_all(&digests)?;
    std::fs::write(
        digests.join(format!("{ACCOUNT}_CloudTrail-Digest_{REGION}_trail_{REGION}_20261202T000000Z.json.gz")),
        gzip(&json!({"awsAccountId": ACCOUNT, "digestStartTime": "2026-12-02T00:00:00Z", "logFiles": []}))?,
    )?;
    let mut successful_calls = 0;
    // Records delivered again: in the next file, with their first delivery's `eventID`.
    let mut again: Vec<Value> = Vec::new();
    let mut written = 0;
    for file in 0.. {
        if written >= events {
            break;
        }
        let mut records = std::mem::take(&mut again);
        for _ in 0..PER_FILE.min(events - written) {
            let (record, successful) = call(written);
            successful_calls += usize::from(successful);
            if written % DUPLICATE_EVERY == 0 {
                again.push(record.clone());
            }
            records.push(record);
            written += 1;
        }
        let name = format!("{ACCOUNT}_CloudTrail_{REGION}_20261202T{:04}Z_{file:016x}.json.gz", file % 2400);
        std::fs::write(logs.join(name), gzip(&json!({ "Records": records }))?)?;
    }
    if !again.is_empty() {
        let late = logs.join(format!("{ACCOUNT}_CloudTrail_{REGION}_20261202T2359Z_late.json.gz"));
        std::fs::write(late, gzip(&json!({ "Records": again }))?)?;
    }
    Ok(truth(successful_calls))
}

fn gzip(document: &Value) -> std::io::Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(document.to_string().as_bytes())?;
    gz.finish()
}

/// The kinds of call, in the order the workload repeats them.
const KINDS: usize = 16;

/// The `n`th record, and whether it is a successful call of the application role.
fn call(n: usize) -> (Value, bool) {
    // Which of its kind this call is: what varies between calls of one kind.
    let i = n / KINDS;
    let app = Some(i % 3);
    let object = |bucket: &str, key: &str| {
        json!([{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/{key}")},
               {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}])
    };
    let report = format!("reports/2026/12/{}.csv", i % 40);
    let (caller, source, name, parameters, resources, error, invoked_by) = match n % KINDS {
        0 => (
            app,
            "s3",
            "GetObject",
            json!({"bucketName": "app-data", "key": report}),
            object("app-data", &report),
            None,
            None,
        ),
        1 => (
            app,
            "s3",
            "HeadObject",
            json!({"bucketName": "app-data", "key": report}),
            object("app-data", &report),
            None,
            None,
        ),
        2 => {
            let key = format!("out/{}.json", i % 5);
            (
                app,
                "s3",
                "PutObject",
                json!({"bucketName": "app-data", "key": key}),
                object("app-data", &key),
                None,
                None,
            )
        }
        3 => (
            app,
            "s3",
            "ListObjects",
            json!({"bucketName": "app-data", "prefix": "reports/"}),
            json!([{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::app-data"}]),
            None,
            None,
        ),
        4 => (
            app,
            "s3",
            "CopyObject",
            // The source as S3 takes it: URL-encoded, a version of it.
            json!({"bucketName": "app-archive", "key": "2026/summary.csv",
                   "x-amz-copy-source": "app-data/reports/summary%20q4.csv?versionId=3HL4kqtJlcpXroDTDmJ"}),
            json!([{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::app-data/reports/summary q4.csv"},
                   {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::app-archive/2026/summary.csv"},
                   {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::app-archive"}]),
            None,
            None,
        ),
        5 | 6 => (
            app,
            "kms",
            if n % KINDS == 5 { "Decrypt" } else { "GenerateDataKey" },
            json!({"encryptionContext": {"aws:s3:arn": "arn:aws:s3:::app-data"}, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
            json!([{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": KEY}]),
            None,
            Some("s3.amazonaws.com"),
        ),
        7 => (
            app,
            "dynamodb",
            "GetItem",
            json!({"tableName": "orders", "key": {"id": {"S": n.to_string()}}}),
            json!([{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table", "ARN": "arn:aws:dynamodb:us-east-1:111122223333:table/orders"}]),
            None,
            None,
        ),
        8 => (
            app,
            "dynamodb",
            "PutItem",
            json!({"tableName": "orders", "item": "HIDDEN_DUE_TO_SECURITY_REASONS"}),
            json!([]),
            None,
            None,
        ),
        9 => (app, "sns", "Publish", json!({"topicArn": TOPIC, "subject": "done"}), json!([]), None, None),
        10 => (
            app,
            "lambda",
            "CreateFunction20150331",
            json!({"functionName": format!("resize-{}", i % 4), "runtime": "python3.12", "role": EXECUTION_ROLE}),
            json!([]),
            None,
            None,
        ),
        11 => (
            app,
            "iam",
            "CreateRole",
            json!({"path": "/jobs/", "roleName": format!("worker-{}", i % 3), "tags": [{"key": "team", "value": "app"}]}),
            json!([]),
            None,
            None,
        ),
        12 => (app, "sts", "GetCallerIdentity", json!(null), json!([]), None, None),
        13 => (app, "apigateway", "GetRestApis", json!({"limit": 25}), json!([]), None, None),
        14 => (
            app,
            "s3",
            "DeleteObject",
            json!({"bucketName": "app-data", "key": report}),
            object("app-data", &report),
            Some("AccessDenied"),
            None,
        ),
        _ => (None, "s3", "DeleteBucket", json!({"bucketName": "app-data"}), json!([]), None, None),
    };
    let identity = match caller {
        Some(session) => json!({
            "type": "AssumedRole",
            "principalId": format!("AROAEXAMPLEAPP:s{session}"),
            "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/app/s{session}"),
            "accountId": ACCOUNT,
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEAPP",
                "arn": format!("arn:aws:iam::{ACCOUNT}:role/app"), "accountId": ACCOUNT, "userName": "app"}},
        }),
        None => json!({
            "type": "AssumedRole",
            "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/ops/cleanup"),
            "accountId": ACCOUNT,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": format!("arn:aws:iam::{ACCOUNT}:role/ops")}},
        }),
    };
    let mut identity = identity;
    if let Some(service) = invoked_by {
        identity["invokedBy"] = service.into();
    }
    let second = n % 86_400;
    let mut record = json!({
        "eventVersion": "1.11",
        "userIdentity": identity,
        "eventTime": format!("2026-12-02T{:02}:{:02}:{:02}Z", second / 3600, second / 60 % 60, second % 60),
        "eventSource": format!("{source}.amazonaws.com"),
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": invoked_by.unwrap_or("192.0.2.10"),
        "userAgent": "aws-sdk-rust/1.0",
        "requestParameters": parameters,
        "eventID": format!("00000000-0000-4000-8000-{n:012}"),
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
    });
    if resources.as_array().is_some_and(|r| !r.is_empty()) {
        record["resources"] = resources;
    }
    if let Some(code) = error {
        record["errorCode"] = code.into();
        record["errorMessage"] = "Access Denied".into();
    }
    (record, caller.is_some() && error.is_none())
}

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const TOPIC: &str = "arn:aws:sns:us-east-1:111122223333:jobs-done";
const EXECUTION_ROLE: &str = "arn:aws:iam::111122223333:role/resize-exec";

fn truth(successful_calls: usize) -> Truth {
    let via_s3 = Some(("kms:ViaService", "s3.us-east-1.amazonaws.com"));
    let to_lambda = Some(("iam:PassedToService", "lambda.amazonaws.com"));
    let mut allowed = vec![
        expected("s3:GetObject", "arn:aws:s3:::app-data/reports/2026/12/7.csv", None),
        expected("s3:GetObject", "arn:aws:s3:::app-data/reports/2026/12/39.csv", None),
        expected("s3:PutObject", "arn:aws:s3:::app-data/out/3.json", None),
        expected("s3:ListBucket", "arn:aws:s3:::app-data", None),
        expected("s3:GetObject", "arn:aws:s3:::app-data/reports/summary q4.csv", None),
        expected("s3:GetObjectVersion", "arn:aws:s3:::app-data/reports/summary q4.csv", None),
        expected("s3:PutObject", "arn:aws:s3:::app-archive/2026/summary.csv", None),
        expected("kms:Decrypt", KEY, via_s3),
        expected("kms:GenerateDataKey", KEY, via_s3),
        expected("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/orders", None),
        expected("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:111122223333:table/orders", None),
        expected("sns:Publish", TOPIC, None),
        expected("iam:PassRole", EXECUTION_ROLE, to_lambda),
        expected("apigateway:GET", "arn:aws:apigateway:us-east-1::/restapis", None),
    ];
    for i in 0..4 {
        let function = format!("arn:aws:lambda:us-east-1:111122223333:function:resize-{i}");
        allowed.push(expected("lambda:CreateFunction", &function, None));
    }
    for i in 0..3 {
        let role = format!("arn:aws:iam::111122223333:role/jobs/worker-{i}");
        allowed.push(expected("iam:CreateRole", &role, None));
        allowed.push(expected("iam:TagRole", &role, None));
    }
    let denied = vec![
        // Its denied call, and the other role's.
        expected("s3:DeleteObject", "arn:aws:s3:::app-data/reports/2026/12/7.csv", None),
        expected("s3:DeleteBucket", "arn:aws:s3:::app-data", None),
        // Sensitive actions on what it used.
        expected("s3:PutBucketPolicy", "arn:aws:s3:::app-data", None),
        expected("s3:PutObjectAcl", "arn:aws:s3:::app-data/out/3.json", None),
        expected("kms:ScheduleKeyDeletion", KEY, None),
        expected("kms:PutKeyPolicy", KEY, None),
        expected("dynamodb:DeleteTable", "arn:aws:dynamodb:us-east-1:111122223333:table/orders", None),
        expected("iam:CreateAccessKey", "arn:aws:iam::111122223333:user/admin", None),
        expected("iam:AttachRolePolicy", "arn:aws:iam::111122223333:role/jobs/worker-0", None),
        expected("lambda:UpdateFunctionCode", "arn:aws:lambda:us-east-1:111122223333:function:resize-0", None),
        expected("apigateway:DELETE", "arn:aws:apigateway:us-east-1::/restapis/a1b2c3", None),
        // What it used, elsewhere or otherwise.
        expected("s3:GetObject", "arn:aws:s3:::other-bucket/reports/2026/12/7.csv", None),
        expected("s3:PutObject", "arn:aws:s3:::app-data/reports/2026/12/7.csv", None),
        expected("s3:GetObject", "arn:aws:s3:::app-archive/2026/secret.csv", None),
        // A copy reads its source and writes its target, not the other way round.
        expected("s3:PutObject", "arn:aws:s3:::app-data/reports/summary q4.csv", None),
        expected("s3:GetObjectVersion", "arn:aws:s3:::app-archive/2026/summary.csv", None),
        expected("s3:GetObject", "arn:aws:s3:::app-archive/2026/summary.csv", None),
        // An object action on the bucket the data event also lists.
        expected("s3:GetObject", "arn:aws:s3:::app-data", None),
        expected("kms:Decrypt", KEY, None),
        expected("kms:Decrypt", KEY, Some(("kms:ViaService", "ec2.us-east-1.amazonaws.com"))),
        expected("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/users", None),
        expected("iam:PassRole", EXECUTION_ROLE, Some(("iam:PassedToService", "ec2.amazonaws.com"))),
        expected("iam:PassRole", "arn:aws:iam::111122223333:role/admin", to_lambda),
        expected("iam:TagRole", "arn:aws:iam::111122223333:role/app", None),
    ];
    Truth {
        role: format!("arn:aws:iam::{ACCOUNT}:role/app"),
        session: format!("arn:aws:sts::{ACCOUNT}:assumed-role/app/s0"),
        allowed,
        denied,
        successful_calls,
    }
}
