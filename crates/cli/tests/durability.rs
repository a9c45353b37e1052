//! `kill -9` during a stream of writes loses no acknowledged write: `monban serve` on a data
//! directory takes CreateUser calls from several clients, is killed with SIGKILL mid-stream, and
//! after a restart on the same directory every user it answered 200 for exists.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../server/tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Client;

const WRITERS: usize = 4;

/// Starts `monban serve` on a free port and returns it with its address.
fn serve(data_dir: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_monban"))
        .args(["serve", "--quiet", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(["--root-access-key-id", common::ROOT_ID, "--root-secret-access-key", common::ROOT_SECRET])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
    let Some(addr) = line.trim().strip_prefix("listening on http://") else {
        let _ = child.kill();
        panic!("monban serve did not start: {line:?}");
    };
    let addr = addr.parse().unwrap();
    (child, addr)
}

#[test]
fn kill_9_during_writes_loses_no_acknowledged_write() {
    let data = tempfile::tempdir().unwrap();
    let (mut server, addr) = serve(data.path());
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let acknowledged = acknowledged.clone();
            std::thread::spawn(move || {
                let root = common::root();
                let mut client = Client::connect(addr).unwrap();
                for i in 0..1_000_000 {
                    // The server is killed after about a second; stop on its death or at 30 s.
                    if started.elapsed() > Duration::from_secs(30) {
                        break;
                    }
                    let name = format!("w{w}-{i}");
                    match client.call(&root, "CreateUser", &[("UserName", &name)]) {
                        Ok(r) if r.status == 200 => acknowledged.lock().unwrap().push(name),
                        Ok(r) => panic!("CreateUser {name}: HTTP {}: {}", r.status, r.body),
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    let wait = Instant::now();
    while acknowledged.lock().unwrap().len() < 200 && wait.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(500));
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    for w in writers {
        w.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 200, "only {} writes acknowledged before the kill", acknowledged.len());

    let (mut server, addr) = serve(data.path());
    let mut client = Client::connect(addr).unwrap();
    let users = common::list_users(&mut client, &common::root());
    let _ = server.kill();
    let _ = server.wait();
    let users: std::collections::HashSet<String> = users.unwrap().into_iter().collect();
    eprintln!("{} writes acknowledged before kill -9; {} users after restart", acknowledged.len(), users.len());
    let lost: Vec<&String> = acknowledged.iter().filter(|n| !users.contains(*n)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged users lost, e.g. {:?}",
        lost.len(),
        acknowledged.len(),
        lost.first()
    );
    // Writes in flight at the kill may or may not have landed; nothing else may appear.
    assert!(
        users.len() <= acknowledged.len() + WRITERS,
        "{} users for {} acknowledged",
        users.len(),
        acknowledged.len()
    );
}
