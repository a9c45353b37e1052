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

/// One line of `monban eval --batch` whose policies an earlier line had: reading the request
/// with the compiled policies taken from the cache (what a batch sharing its policies costs).
#[divan::bench]
fn batch_line_with_shared_policies(bencher: divan::Bencher) {
    let path = format!("{}/benches/requests/realistic.json", env!("CARGO_MANIFEST_DIR"));
    let line = std::fs::read_to_string(path).unwrap().replace('\n', " ");
    let mut cache = monban_policy::input::PolicyCache::default();
    EvaluationInput::from_json_with(&line, &mut cache).unwrap();
    bencher.bench_local(|| {
        let input = EvaluationInput::from_json_with(divan::black_box(&line), &mut cache).unwrap();
        authorize(&input.request, &input.policies).outcome
    });
}

/// One action on ten resources through the simulator (`monban simulate`, SimulateCustomPolicy):
/// the realistic request's policies, explained for each resource.
#[divan::bench]
fn simulate_one_action_on_ten_resources(bencher: divan::Bencher) {
    use monban_policy::simulate::{Simulation, Source, SourceType};
    let input = load("realistic");
    let source = |p: &std::sync::Arc<Policy>| Source {
        id: "policy".into(),
        kind: SourceType::None,
        policy: p.clone(),
        positions: Vec::new(),
    };
    let simulation = Simulation {
        identity: input.policies.identity.iter().map(source).collect(),
        boundary: input.policies.boundary.as_ref().map(source),
        resource_policy: None,
        scps: Vec::new(),
        caller: input.request.caller.clone(),
        context: monban_policy::Context::new(),
    };
    let resources: Vec<String> = (0..10).map(|i| format!("arn:aws:s3:::deploy-bucket/platform/{i}")).collect();
    bencher.bench_local(|| simulation.run(divan::black_box("s3:PutObject"), &resources));
}
