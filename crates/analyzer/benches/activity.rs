//! Least privilege from activity at scale: the workload generator's CloudTrail tree
//! (`activity::workload`: `.json.gz` files of 1,000 records in the `AWSLogs/...` tree, S3 data
//! events, copies, KMS through S3, PassRole, tags at creation, denied calls, another role's calls,
//! records delivered twice), read with duplicates dropped and turned into one proven policy per
//! principal, checked against the workload's ground truth. Prints events per minute and the
//! process's peak memory (`VmHWM`), which must not grow with the number of events.
//! `cargo bench -p monban-analyzer --bench activity` (argument: number of events, default 1,000,000).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use monban_analyzer::activity::{generate, records, workload};
use monban_catalog::Catalog;

mod common;

use common::peak_memory;

fn main() {
    let events: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let truth = workload::write(dir.path(), events).unwrap();
    println!("write: {events} events in {} files in {:.2?}", events.div_ceil(1000), t.elapsed());

    let catalog = Catalog::embedded().unwrap();
    let t = Instant::now();
    let mut activity = generate::Activity::new(catalog);
    let mut seen = 0usize;
    let mut first = records::Seen::default();
    records::read(&[dir.path().to_path_buf()], |event| {
        seen += 1;
        if !first.first(&event) {
            return;
        }
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
    let app = generated.iter().find(|g| g.principal == truth.role).unwrap();
    assert_eq!(app.allowed_calls, truth.successful_calls, "each call counted once");
    println!("peak memory: {}", peak_memory());
    println!("target: >= 1 million events per minute, memory bounded by the distinct calls");
}
