//! Load generator: signed requests over many keep-alive loopback connections, one operation at a
//! time, each bounded in time and in count. Prints throughput and p50/p99 latency per operation.
//! By default it starts the server in-process on `127.0.0.1:0`, with a durable data directory and
//! with in-memory state; `MONBAN_LOAD_ENDPOINT=127.0.0.1:PORT` drives any IAM/STS server already
//! running on this machine instead (another monban, moto_server, ...), set up with the
//! administrator key in `MONBAN_LOAD_ACCESS_KEY_ID` / `MONBAN_LOAD_SECRET_ACCESS_KEY` (default:
//! the test root key), so the same figures can be taken of every server in one run.
//!
//! The caller is an IAM user whose inline policy allows what it calls, so every request goes
//! through key lookup, signature verification and policy evaluation, as a real client's would.
//! Reads (GetUser, GetCallerIdentity, ListPolicies with one page of 100) replay one signed
//! request per connection, as `wrk` does, so the figures are the server's and not the signing
//! client's; writes (CreateUser with a new name, AssumeRole with a new session) are signed each
//! time. `GetUser+TagUser` replays GetUser on all connections but one, which tags another user
//! all the while: what writes that change nothing a reader read cost the readers.
//!
//! `cargo bench -p monban-server --bench load`; `MONBAN_LOAD_CONNECTIONS` (default 16),
//! `MONBAN_LOAD_SECONDS` (default 5, per operation) and `MONBAN_LOAD_OPERATIONS` (a comma-separated
//! subset, such as `CreateUser,AssumeRole`) change the shape.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

/// The allocator the `monban` binary uses, so that in-process figures are the binary's, counting
/// the server's allocations (every thread but the load's own clients).
#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations (and reallocations) made by the server's threads since the start.
static SERVER_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Set on the load's client threads, whose allocations are not the server's.
    static CLIENT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

struct Counting;

impl Counting {
    fn count() {
        // During a thread's teardown its locals are gone: such an allocation is not counted.
        if !CLIENT.try_with(std::cell::Cell::get).unwrap_or(true) {
            SERVER_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

// SAFETY: every call is passed on to mimalloc unchanged; counting touches no allocation. (A
// counting allocator that can leave the load's own threads out has to wrap the allocator; this
// bench is the only place that does.)
#[allow(unsafe_code)]
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        Counting::count();
        // SAFETY: the caller's contract is mimalloc's.
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        Counting::count();
        // SAFETY: as above.
        unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: as above.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        Counting::count();
        // SAFETY: as above.
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
    }
}

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Client, SigningKey};

/// Requests per operation at most, whatever the time bound.
const MAX_REQUESTS: u64 = 200_000;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The caller's key and the role it may assume.
struct Fixture {
    user: SigningKey,
    user_name: String,
    role_arn: String,
}

fn setup(addr: SocketAddr, root: &SigningKey) -> Fixture {
    // Names of their own, so that a server already holding an earlier run's entities is fine.
    let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    let name = format!("load-{run}");
    let mut client = Client::connect(addr).unwrap();
    let mut ok = |action: &str, params: &[(&str, &str)]| {
        let reply = client.call(root, action, params).unwrap();
        assert_eq!(reply.status, 200, "{action}: {}", reply.body);
        reply
    };
    let user = ok("CreateUser", &[("UserName", &name)]);
    let user_arn = user.field("Arn").unwrap().to_string();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":["iam:GetUser","iam:CreateUser","iam:TagUser","iam:ListPolicies","sts:AssumeRole"],"Resource":"*"}]}"#;
    ok("PutUserPolicy", &[("UserName", &name), ("PolicyName", "load"), ("PolicyDocument", policy)]);
    let key = ok("CreateAccessKey", &[("UserName", &name)]);
    let user = common::key(key.field("AccessKeyId").unwrap(), key.field("SecretAccessKey").unwrap());
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{user_arn}"}},
        "Action":"sts:AssumeRole"}}]}}"#
    );
    let role = ok("CreateRole", &[("RoleName", &name), ("AssumeRolePolicyDocument", &trust)]);
    Fixture { user, user_name: name, role_arn: role.field("Arn").unwrap().to_string() }
}

/// The same caller in a member account of an organization whose SCPs apply at three levels (the
/// root, an organizational unit, the account): what SCP evaluation adds to every call. Each level
/// holds FullAWSAccess and a policy that denies something else, so every level is evaluated.
fn setup_member(addr: SocketAddr, root: &SigningKey, management: &Fixture) -> Fixture {
    let mut client = Client::connect(addr).unwrap();
    let json = |reply: common::Reply| -> serde_json::Value {
        assert_eq!(reply.status, 200, "{}", reply.body);
        serde_json::from_str(&reply.body).unwrap()
    };
    let mut org =
        |op: &str, input: serde_json::Value| json(client.call_organizations(root, op, &input.to_string()).unwrap());
    // A server that already has the organization (an earlier run against the same endpoint) is fine.
    let _ = org("CreateOrganization", serde_json::json!({"FeatureSet": "ALL"}));
    let root_id = org("ListRoots", serde_json::json!({}))["Roots"][0]["Id"].as_str().unwrap().to_string();
    let name = &management.user_name;
    let unit = org("CreateOrganizationalUnit", serde_json::json!({"ParentId": root_id, "Name": name}))
        ["OrganizationalUnit"]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let request =
        org("CreateAccount", serde_json::json!({"Email": format!("{name}@example.com"), "AccountName": name}))
            ["CreateAccountStatus"]["Id"]
            .as_str()
            .unwrap()
            .to_string();
    let account = org("DescribeCreateAccountStatus", serde_json::json!({"CreateAccountRequestId": request}))
        ["CreateAccountStatus"]["AccountId"]
        .as_str()
        .unwrap()
        .to_string();
    org(
        "MoveAccount",
        serde_json::json!({"AccountId": account, "SourceParentId": root_id, "DestinationParentId": unit}),
    );
    for (i, target) in [&root_id, &unit, &account].into_iter().enumerate() {
        let content = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"iam:DeleteAccountAlias","Resource":"*","Condition":{{"StringEquals":{{"aws:PrincipalTag/level":"{i}"}}}}}}]}}"#
        );
        let policy = org(
            "CreatePolicy",
            serde_json::json!({"Name": format!("{name}-{i}"), "Description": "", "Type": "SERVICE_CONTROL_POLICY", "Content": content}),
        )["Policy"]["PolicySummary"]["Id"]
            .as_str()
            .unwrap()
            .to_string();
        org("AttachPolicy", serde_json::json!({"PolicyId": policy, "TargetId": target}));
    }
    // The member account's administrator, through the access role CreateAccount made.
    let access_role = format!("arn:aws:iam::{account}:role/OrganizationAccountAccessRole");
    let admin = common::assume(&mut client, &management.user, &access_role, "setup")
        .unwrap_or_else(|r| panic!("AssumeRole into the member account: {}", r.body));
    let mut ok = |action: &str, params: &[(&str, &str)]| {
        let reply = client.call(&admin, action, params).unwrap();
        assert_eq!(reply.status, 200, "{action}: {}", reply.body);
        reply
    };
    let user = ok("CreateUser", &[("UserName", name)]);
    let user_arn = user.field("Arn").unwrap().to_string();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":["iam:GetUser","iam:CreateUser","iam:TagUser","iam:ListPolicies","sts:AssumeRole"],"Resource":"*"}]}"#;
    ok("PutUserPolicy", &[("UserName", name), ("PolicyName", "load"), ("PolicyDocument", policy)]);
    let key = ok("CreateAccessKey", &[("UserName", name)]);
    let user = common::key(key.field("AccessKeyId").unwrap(), key.field("SecretAccessKey").unwrap());
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{user_arn}"}},
        "Action":"sts:AssumeRole"}}]}}"#
    );
    let role = ok("CreateRole", &[("RoleName", name), ("AssumeRolePolicyDocument", &trust)]);
    Fixture { user, user_name: name.clone(), role_arn: role.field("Arn").unwrap().to_string() }
}

#[derive(Clone, Copy)]
enum Operation {
    GetUser,
    GetCallerIdentity,
    ListPolicies,
    CreateUser,
    AssumeRole,
    /// GetUser replayed on every connection but one, which tags another user meanwhile: a write
    /// that changes nothing the readers read, so their cached values stay.
    GetUserWhileTagging,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::GetUser => "GetUser",
            Operation::GetCallerIdentity => "GetCallerIdentity",
            Operation::ListPolicies => "ListPolicies",
            Operation::CreateUser => "CreateUser",
            Operation::AssumeRole => "AssumeRole",
            Operation::GetUserWhileTagging => "GetUser+TagUser",
        }
    }

    fn is_write(self) -> bool {
        matches!(self, Operation::CreateUser | Operation::AssumeRole)
    }
}

struct Outcome {
    requests: u64,
    errors: u64,
    first_error: Option<String>,
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// The server's allocations while the operation ran.
    allocations: u64,
}

fn run(addr: SocketAddr, fixture: &Fixture, op: Operation, connections: u64, limit: Duration) -> Outcome {
    let issued = Arc::new(AtomicU64::new(0));
    let allocations_before = SERVER_ALLOCATIONS.load(Ordering::Relaxed);
    let start = Instant::now();
    let deadline = start + limit;
    let threads: Vec<_> = (0..connections)
        .map(|thread| {
            let issued = issued.clone();
            let key = fixture.user.clone();
            let role_arn = fixture.role_arn.clone();
            let user_name = fixture.user_name.clone();
            std::thread::spawn(move || {
                CLIENT.with(|c| c.set(true));
                let mut client = Client::connect(addr).unwrap();
                let mut latencies = Vec::new();
                let (mut errors, mut first_error) = (0u64, None);
                let session = format!("load-{thread}");
                // A read is signed once and replayed.
                let tagging = matches!(op, Operation::GetUserWhileTagging) && thread == 0;
                let tagged = format!("{user_name}-tagged");
                if tagging {
                    let created = client.call(&key, "CreateUser", &[("UserName", &tagged)]).unwrap();
                    assert!(created.status == 200 || created.status == 409, "{}", created.body);
                }
                let replayed = match op {
                    _ if tagging => None,
                    Operation::GetUser | Operation::GetUserWhileTagging => {
                        Some(("GetUser", vec![("UserName", user_name.as_str())]))
                    }
                    Operation::GetCallerIdentity => Some(("GetCallerIdentity", vec![])),
                    Operation::ListPolicies => Some(("ListPolicies", vec![("MaxItems", "100")])),
                    Operation::CreateUser | Operation::AssumeRole => None,
                }
                .map(|(action, params)| {
                    client.sign(&key, action, &params, "us-east-1", common::service_of(action), &[])
                });
                let mut n = 0u64;
                while Instant::now() < deadline && issued.fetch_add(1, Ordering::Relaxed) < MAX_REQUESTS {
                    n += 1;
                    let name;
                    let (action, params): (&str, Vec<(&str, &str)>) = match op {
                        _ if tagging => {
                            name = n.to_string();
                            let tag = vec![("UserName", tagged.as_str()), ("Tags.member.1.Key", "n")];
                            ("TagUser", tag.into_iter().chain([("Tags.member.1.Value", name.as_str())]).collect())
                        }
                        Operation::GetUser
                        | Operation::GetCallerIdentity
                        | Operation::ListPolicies
                        | Operation::GetUserWhileTagging => ("", vec![]),
                        Operation::CreateUser => {
                            name = format!("{user_name}-{thread}-{n}");
                            ("CreateUser", vec![("UserName", name.as_str())])
                        }
                        Operation::AssumeRole => {
                            ("AssumeRole", vec![("RoleArn", role_arn.as_str()), ("RoleSessionName", session.as_str())])
                        }
                    };
                    let sent = Instant::now();
                    let reply = match &replayed {
                        Some((headers, body)) => client.send("POST", "/", headers, body.as_bytes()),
                        None => client.call(&key, action, &params),
                    };
                    latencies.push(sent.elapsed());
                    match reply {
                        Ok(r) if r.status == 200 => {}
                        Ok(r) => {
                            errors += 1;
                            first_error.get_or_insert(format!("HTTP {}: {}", r.status, r.body));
                        }
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert(e.to_string());
                            client = Client::connect(addr).unwrap();
                        }
                    }
                }
                (latencies, errors, first_error)
            })
        })
        .collect();
    let mut outcome = Outcome {
        requests: 0,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        allocations: 0,
    };
    for t in threads {
        let (latencies, errors, first_error) = t.join().unwrap();
        outcome.requests += latencies.len() as u64;
        outcome.latencies.extend(latencies);
        outcome.errors += errors;
        outcome.first_error = outcome.first_error.or(first_error);
    }
    outcome.elapsed = start.elapsed();
    outcome.allocations = SERVER_ALLOCATIONS.load(Ordering::Relaxed) - allocations_before;
    outcome.latencies.sort_unstable();
    outcome
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too, and then one short round
    // is enough to show it works.
    let quick = !std::env::args().any(|a| a == "--bench");
    let connections = env_number("MONBAN_LOAD_CONNECTIONS", 16);
    let seconds = if quick { 0.2 } else { env_number("MONBAN_LOAD_SECONDS", 5) as f64 };
    let limit = Duration::from_secs_f64(seconds);
    let all = [
        Operation::GetUser,
        Operation::GetCallerIdentity,
        Operation::ListPolicies,
        Operation::CreateUser,
        Operation::AssumeRole,
        Operation::GetUserWhileTagging,
    ];
    let operations: Vec<Operation> = match std::env::var("MONBAN_LOAD_OPERATIONS") {
        Ok(names) => names
            .split(',')
            .map(|name| {
                let found = all.iter().find(|op| op.name().eq_ignore_ascii_case(name.trim()));
                *found.unwrap_or_else(|| panic!("MONBAN_LOAD_OPERATIONS: unknown operation `{name}`"))
            })
            .collect(),
        Err(_) => all.to_vec(),
    };
    println!("{connections} connections, at most {seconds} s and {MAX_REQUESTS} requests per operation");
    println!(
        "{:<10} {:<18} {:>9} {:>7} {:>10} {:>8} {:>8} {:>11}",
        "state", "operation", "requests", "errors", "req/s", "p50 ms", "p99 ms", "allocs/req"
    );
    let mut missed = Vec::new();
    let measure = |mode: &str, addr: SocketAddr, root: &SigningKey, missed: &mut Vec<String>| {
        let management = setup(addr, root);
        // The durable server is measured a second time with the caller in a member account
        // under three levels of SCPs.
        let mut fixtures = vec![(mode.to_string(), management)];
        if mode == "durable" {
            let member = setup_member(addr, root, &fixtures[0].1);
            fixtures.push(("scp x3".to_string(), member));
        }
        for (mode, fixture) in &fixtures {
            let mode = mode.as_str();
            for op in operations.iter().copied() {
                let o = run(addr, fixture, op, connections, limit);
                let rate = o.requests as f64 / o.elapsed.as_secs_f64();
                let (p50, p99) = (percentile(&o.latencies, 0.50), percentile(&o.latencies, 0.99));
                // Of an external server, the allocations are not this process's to count.
                let allocations = if mode == "external" {
                    "-".to_string()
                } else {
                    format!("{:.0}", o.allocations as f64 / o.requests.max(1) as f64)
                };
                println!(
                    "{mode:<10} {:<18} {:>9} {:>7} {rate:>10.0} {p50:>8.2} {p99:>8.2} {allocations:>11}",
                    op.name(),
                    o.requests,
                    o.errors
                );
                if let Some(e) = &o.first_error {
                    println!("    first error: {}", e.chars().take(300).collect::<String>());
                }
                let target = if op.is_write() { 1_000.0 } else { 5_000.0 };
                if mode == "durable" && (rate < target || p99 >= 10.0 || o.errors > 0) {
                    missed.push(format!("{mode} {}", op.name()));
                }
            }
        }
    };
    if let Ok(endpoint) = std::env::var("MONBAN_LOAD_ENDPOINT") {
        let addr: SocketAddr = endpoint.parse().expect("MONBAN_LOAD_ENDPOINT is ADDRESS:PORT, such as 127.0.0.1:5000");
        assert!(addr.ip().is_loopback(), "MONBAN_LOAD_ENDPOINT must be a server on this machine (loopback)");
        let root = match (std::env::var("MONBAN_LOAD_ACCESS_KEY_ID"), std::env::var("MONBAN_LOAD_SECRET_ACCESS_KEY")) {
            (Ok(id), Ok(secret)) => common::key(&id, &secret),
            _ => common::root(),
        };
        measure("external", addr, &root, &mut missed);
        return;
    }
    for durable in [true, false] {
        let mode = if durable { "durable" } else { "ephemeral" };
        let data = tempfile::tempdir().unwrap();
        let (runtime, addr) = common::start(durable.then(|| data.path()));
        measure(mode, addr, &common::root(), &mut missed);
        if let Ok(wal) = std::fs::metadata(data.path().join("monban.db-wal")) {
            println!("    (write-ahead log at the end: {:.1} MB)", wal.len() as f64 / 1e6);
        }
        runtime.shutdown_timeout(Duration::from_secs(1));
    }
    if quick {
        return;
    }
    println!("targets (durable): reads >= 5000/s, writes >= 1000/s, p99 < 10 ms, no errors");
    if missed.is_empty() {
        println!("all met");
    } else {
        println!("missed: {}", missed.join(", "));
    }
}
