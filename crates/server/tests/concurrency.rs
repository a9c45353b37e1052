//! Many clients writing at once to a durable data directory: every write succeeds (no "database
//! is locked", no ServiceFailure) and every one is there afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::Client;

const CLIENTS: usize = 32;
const USERS_PER_CLIENT: usize = 8;

#[test]
fn thirty_two_clients_writing_at_once_all_succeed() {
    let data = tempfile::tempdir().unwrap();
    let (_runtime, addr) = common::start(Some(data.path()));
    let start = std::sync::Arc::new(std::sync::Barrier::new(CLIENTS));
    let deadline = Instant::now() + Duration::from_secs(60);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let start = start.clone();
            std::thread::spawn(move || {
                let root = common::root();
                let mut client = Client::connect(addr).unwrap();
                let mut failures = Vec::new();
                start.wait();
                for u in 0..USERS_PER_CLIENT {
                    if Instant::now() > deadline {
                        failures.push("out of time".to_string());
                        break;
                    }
                    let name = format!("c{c}-u{u}");
                    let policy = format!(
                        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"iam:GetUser",
                        "Resource":"arn:aws:iam::123456789012:user/{name}"}}]}}"#
                    );
                    let calls: [(&str, Vec<(&str, &str)>); 3] = [
                        ("CreateUser", vec![("UserName", &name)]),
                        (
                            "PutUserPolicy",
                            vec![("UserName", &name), ("PolicyName", "own"), ("PolicyDocument", &policy)],
                        ),
                        ("CreateAccessKey", vec![("UserName", &name)]),
                    ];
                    for (action, params) in calls {
                        match client.call(&root, action, &params) {
                            Ok(r) if r.status == 200 => {}
                            Ok(r) => failures.push(format!("{action} {name}: HTTP {}: {}", r.status, r.body)),
                            Err(e) => failures.push(format!("{action} {name}: {e}")),
                        }
                    }
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    assert!(failures.is_empty(), "{} failed calls, first: {:?}", failures.len(), failures.first());

    let mut client = Client::connect(addr).unwrap();
    let users = common::list_users(&mut client, &common::root()).unwrap();
    assert_eq!(users.len(), CLIENTS * USERS_PER_CLIENT);
    let keys = client.call(&common::root(), "ListAccessKeys", &[("UserName", "c31-u7")]).unwrap();
    assert_eq!(keys.status, 200, "{}", keys.body);
    assert!(keys.body.contains("<Status>Active</Status>"), "{}", keys.body);
}
