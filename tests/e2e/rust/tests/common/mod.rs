//! Starts `monban serve` for one test and builds AWS SDK clients pointed at it.
//!
//! Every test gets its own ephemeral server on `127.0.0.1:0`, so tests run in parallel without
//! sharing state. The binary is `$MONBAN_BIN`, or `target/debug/monban` of the repository.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_sdk_iam::error::ProvideErrorMetadata;

pub const ACCOUNT: &str = "123456789012";
pub const ROOT_KEY_ID: &str = "AKIAROOTROOTROOT0001";
pub const ROOT_SECRET: &str = "monbanE2eRootSecret/AccessKey+0123456789";

/// A running `monban serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub endpoint: String,
}

fn monban_bin() -> PathBuf {
    match std::env::var_os("MONBAN_BIN") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../target/debug/monban"),
    }
}

impl Server {
    pub fn start() -> Server {
        let bin = monban_bin();
        assert!(
            bin.is_file(),
            "monban binary not found at {} (build it with `cargo build -p monban` or set MONBAN_BIN)",
            bin.display()
        );
        let stderr = if std::env::var_os("MONBAN_E2E_SERVER_LOG").is_some() { Stdio::inherit() } else { Stdio::null() };
        let mut child = Command::new(&bin)
            .args([
                "serve",
                "--ephemeral",
                "--dev",
                "--listen",
                "127.0.0.1:0",
                "--account-id",
                ACCOUNT,
                "--root-access-key-id",
                ROOT_KEY_ID,
                "--root-secret-access-key",
                ROOT_SECRET,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let stdout = child.stdout.take().expect("stdout is piped");
        // From here on, a panic drops the server, which kills the process.
        let mut server = Server { child, endpoint: String::new() };
        // Read the first line on a thread so that a server that never prints cannot hang the test.
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let read = reader.read_line(&mut line).unwrap_or(0);
            let _ = sender.send((read, line));
            // Keep draining stdout so the server never blocks on a full pipe.
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        let (read, line) = match receiver.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(first) => first,
            Err(_) => panic!("monban serve printed no address within 30 s"),
        };
        if read == 0 {
            let status = server.child.wait().ok();
            panic!("monban serve exited before printing its address (status {status:?})");
        }
        server.endpoint = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from monban serve: {line:?}"))
            .to_string();
        assert!(server.endpoint.starts_with("http://127.0.0.1:"), "unexpected address in {line:?}");
        server
    }

    async fn config(&self, creds: Credentials, region: &'static str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region))
            .endpoint_url(&self.endpoint)
            .credentials_provider(creds)
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .load()
            .await
    }

    /// Clients signing with the given credentials (region `us-east-1`).
    pub async fn clients(&self, key_id: &str, secret: &str, token: Option<&str>) -> Clients {
        self.clients_in(key_id, secret, token, "us-east-1").await
    }

    /// Clients signing with the given credentials for the given region.
    pub async fn clients_in(&self, key_id: &str, secret: &str, token: Option<&str>, region: &'static str) -> Clients {
        let creds = Credentials::new(key_id, secret, token.map(str::to_string), None, "monban-e2e");
        let conf = self.config(creds, region).await;
        Clients { iam: aws_sdk_iam::Client::new(&conf), sts: aws_sdk_sts::Client::new(&conf) }
    }

    pub async fn root(&self) -> Clients {
        self.clients(ROOT_KEY_ID, ROOT_SECRET, None).await
    }

    /// Creates a user with the given inline policy (if any) and an access key; returns its clients.
    pub async fn user_with_policy(&self, name: &str, policy: Option<&str>) -> Clients {
        let root = self.root().await;
        root.iam.create_user().user_name(name).send().await.expect("CreateUser");
        if let Some(doc) = policy {
            root.iam
                .put_user_policy()
                .user_name(name)
                .policy_name("inline")
                .policy_document(doc)
                .send()
                .await
                .expect("PutUserPolicy");
        }
        let key = root.iam.create_access_key().user_name(name).send().await.expect("CreateAccessKey");
        let key = key.access_key().expect("AccessKey in the response");
        self.clients(key.access_key_id(), key.secret_access_key(), None).await
    }

    /// Sends `POST /moto-api/reset` and returns the HTTP status code.
    pub async fn reset(&self) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.endpoint.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let request =
            format!("POST /moto-api/reset HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.expect("read");
        let text = String::from_utf8_lossy(&response);
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Clients {
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
}

/// The AWS error code and message of a failed call; panics if the call succeeded.
pub fn error_of<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> (String, String) {
    match result {
        Ok(v) => panic!("expected an AWS error, got success: {v:?}"),
        Err(e) => {
            let code = e.code().map(str::to_string);
            let message = e.message().map(str::to_string);
            match code {
                Some(code) => (code, message.unwrap_or_default()),
                None => panic!("error without an AWS error code: {e:?}"),
            }
        }
    }
}

pub fn policy(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}
