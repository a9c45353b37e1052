//! `monban serve` as a process: what it prints must not be able to stop it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../server/tests/common/mod.rs"]
mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Client;

/// A harness that reads the address line and closes the pipe (or never reads it) must not kill
/// the server with a broken pipe: it keeps answering.
#[test]
fn a_closed_stdout_does_not_stop_the_server() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_monban"))
        .args(["serve", "--ephemeral", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--root-access-key-id", common::ROOT_ID, "--root-secret-access-key", common::ROOT_SECRET])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the read end closes before the server writes its first line
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let reply = loop {
        if let Ok(mut client) = Client::connect(addr) {
            if let Ok(reply) = client.call(&common::root(), "GetCallerIdentity", &[]) {
                break reply;
            }
        }
        assert!(child.try_wait().unwrap().is_none(), "monban serve exited");
        assert!(Instant::now() < deadline, "monban serve never answered");
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_millis(300));
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(alive, "monban serve exited after writing to a closed stdout");
}
