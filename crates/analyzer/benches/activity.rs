//! Least privilege from activity at scale: CloudTrail log files as CloudTrail delivers them
//! (`.json.gz`, 1,000 records each, in the `AWSLogs/...` tree), written here with 50 principals
//! calling 6 services on 2,000 resources, then read and turned into one proven policy per
//! principal. Prints events per minute and the process's peak memory (`VmHWM`), which must not
//! grow with the number of events. `cargo bench -p monban-analyzer --bench activity` (argument:
//! number of events, default 1,000,000).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::time::Instant;

use monban_analyzer::activity::{generate, records};
use monban_catalog::Catalog;

mod common;

use common::peak_memory;

/// (event source, event name, resource ARN or none) of the synthetic calls.
const CALLS: &[(&str, &str, Option<&str>)] = &[
    ("s3", "GetObject", Some("arn:aws:s3:::bucket-{r}/key")),
    ("s3", "ListObjectsV2", Some("arn:aws:s3:::bucket-{r}")),
    ("dynamodb", "GetItem", Some("arn:aws:dynamodb:us-east-1:111122223333:table/t{r}")),
    ("sqs", "SendMessage", Some("arn:aws:sqs:us-east-1:111122223333:q{r}")),
    ("kms", "Decrypt", Some("arn:aws:kms:us-east-1:111122223333:key/k{r}")),
    ("monitoring", "PutMetricData", None),
    ("sts", "GetCallerIdentity", None),
];

fn main() {
    let events: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let logs = dir.path().join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/12/02");
    std::fs::create_dir_all(&logs).unwrap();
    let mut written = 0;
    for file in 0.. {
        if written >= events {
            break;
        }
        let mut records = Vec::with_capacity(1000);
        for _ in 0..1000.min(events - written) {
            let (source, name, resource) = CALLS[written % CALLS.len()];
            let principal = written % 50;
            let role = format!("role-{principal}");
            let resource = resource.map(|r| r.replace("{r}", &((written / 7) % 2000).to_string()));
            let mut record = serde_json::json!({
                "eventVersion": "1.08",
                "userIdentity": {"type": "AssumedRole", "arn": format!("arn:aws:sts::111122223333:assumed-role/{role}/s{}", written % 3),
                    "sessionContext": {"sessionIssuer": {"type": "Role", "arn": format!("arn:aws:iam::111122223333:role/{role}")}}},
                "eventTime": "2026-12-02T00:00:00Z", "eventSource": format!("{source}.amazonaws.com"), "eventName": name,
                "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.1", "requestParameters": {},
                "eventID": format!("e{written}"), "eventType": "AwsApiCall", "recipientAccountId": "111122223333",
            });
            if let Some(arn) = resource {
                record["resources"] = serde_json::json!([{"ARN": arn, "accountId": "111122223333"}]);
            }
            if written % 97 == 0 {
                record["errorCode"] = "AccessDenied".into();
            }
            records.push(record);
            written += 1;
        }
        let path = logs.join(format!("111122223333_CloudTrail_us-east-1_{file:06}.json.gz"));
        let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), flate2::Compression::fast());
        gz.write_all(serde_json::json!({ "Records": records }).to_string().as_bytes()).unwrap();
        gz.finish().unwrap();
    }
    println!("write: {events} events in {} files in {:.2?}", events.div_ceil(1000), t.elapsed());

    let catalog = Catalog::embedded().unwrap();
    let t = Instant::now();
    let mut activity = generate::Activity::new(catalog);
    let mut seen = 0usize;
    records::read(&[dir.path().to_path_buf()], |event| {
        seen += 1;
        if let Some(principal) = generate::principal_of(&event) {
            activity.add(&principal, &event);
        }
    })
    .unwrap();
    let read = t.elapsed();
    let generated = activity.finish();
    let total = t.elapsed();
    let per_minute = seen as f64 / total.as_secs_f64() * 60.0;
    println!(
        "read {seen} events in {read:.2?}; {} policies generated and proven in {total:.2?} ({:.2} million events per minute)",
        generated.len(),
        per_minute / 1e6
    );
    for g in &generated {
        assert_eq!(g.verified_calls, g.allowed_calls, "{}", g.to_text());
    }
    println!("peak memory: {}", peak_memory());
    println!("target: >= 1 million events per minute, memory bounded by the distinct calls");
}
