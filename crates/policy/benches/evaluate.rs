//! Decision and parsing throughput. Workloads: `benches/requests/*.json` (request format) and every
//! AWS managed policy in `data/`. Run with `cargo bench -p monban-policy`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use monban_policy::{authorize, EvaluationInput, Outcome, Policy};

fn main() {
    divan::main();
}

fn load(name: &str) -> EvaluationInput {
    let path = format!("{}/benches/requests/{name}.json", env!("CARGO_MANIFEST_DIR"));
    EvaluationInput::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// One identity policy of three statements.
#[divan::bench]
fn simple_request(bencher: divan::Bencher) {
    let input = load("simple");
    assert_eq!(authorize(&input.request, &input.policies).outcome, Outcome::Allow);
    bencher.bench_local(|| authorize(divan::black_box(&input.request), divan::black_box(&input.policies)));
}

/// A role session with a ten-statement policy (wildcards, IpAddress, Bool, StringLike, variables),
/// a boundary, two SCP levels and a bucket policy.
#[divan::bench]
fn realistic_request(bencher: divan::Bencher) {
    let input = load("realistic");
    assert_eq!(authorize(&input.request, &input.policies).outcome, Outcome::Allow);
    bencher.bench_local(|| authorize(divan::black_box(&input.request), divan::black_box(&input.policies)));
}

/// Parsing and compiling all 1,594 AWS managed policies.
#[divan::bench(sample_count = 20)]
fn parse_all_managed_policies(bencher: divan::Bencher) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/aws-managed-policies.jsonl");
    let documents: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            serde_json::to_string_pretty(&record["document"]).unwrap()
        })
        .collect();
    assert!(documents.len() >= 1594);
    bencher.bench_local(|| {
        for document in &documents {
            divan::black_box(Policy::parse(document).unwrap());
        }
    });
}
