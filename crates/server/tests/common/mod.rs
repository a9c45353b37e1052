//! A small signed HTTP/1.1 client for driving a running server: form-encoded `POST /` over one
//! keep-alive loopback connection, signed in the header form by `monban_sigv4::signer`. Shared by
//! the server's tests, its load benchmark and the command line's tests (through `#[path]`).

#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, SystemTime};

pub use monban_sigv4::signer::SigningKey;
use monban_sigv4::{signer, Body, Request};

/// A key from an id and a secret.
pub fn key(access_key_id: &str, secret_access_key: &str) -> SigningKey {
    SigningKey { access_key_id: access_key_id.into(), secret_access_key: secret_access_key.into(), session_token: None }
}

/// One answer: the status and the body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    /// The text of the first `<tag>` element.
    pub fn field(&self, tag: &str) -> Option<&str> {
        field(&self.body, tag)
    }
}

/// The text of the first `<tag>` element of `xml`.
pub fn field<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(&xml[start..end])
}

/// Percent-encodes a form value (everything but the unreserved characters).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes a percent-encoded value (policy documents come back URL-encoded).
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => {
                out.push(u8::from_str_radix(std::str::from_utf8(hex).unwrap_or("00"), 16).unwrap_or(0));
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `Action=...&Version=...` and the parameters, form-encoded.
pub fn form(action: &str, params: &[(&str, &str)]) -> String {
    let version = if STS.contains(&action) { "2011-06-15" } else { "2010-05-08" };
    let mut body = format!("Action={action}&Version={version}");
    for (k, v) in params {
        body.push('&');
        body.push_str(&encode(k));
        body.push('=');
        body.push_str(&encode(v));
    }
    body
}

/// The STS actions; every other action goes to IAM.
const STS: &[&str] = &["AssumeRole", "GetCallerIdentity"];

/// The signing name of the service an action belongs to (of the actions these helpers call).
pub fn service_of(action: &str) -> &'static str {
    if STS.contains(&action) {
        "sts"
    } else {
        "iam"
    }
}

/// One keep-alive connection.
pub struct Client {
    reader: BufReader<TcpStream>,
    host: String,
    addr: SocketAddr,
    /// The server said `connection: close`: the next request opens a new connection.
    closed: bool,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> io::Result<Client> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_write_timeout(Some(Duration::from_secs(30)))?;
        Ok(Client { reader: BufReader::new(stream), host: addr.to_string(), addr, closed: false })
    }

    /// Calls `Action` with `params` (the `Version` is added), signed by `key` for `us-east-1` and
    /// the action's service.
    pub fn call(&mut self, key: &SigningKey, action: &str, params: &[(&str, &str)]) -> io::Result<Reply> {
        self.call_scoped(key, action, params, "us-east-1", service_of(action), &[])
    }

    /// Calls `Action` signed for the credential scope `region`/`service`, with `extra` headers
    /// (signed too).
    pub fn call_scoped(
        &mut self,
        key: &SigningKey,
        action: &str,
        params: &[(&str, &str)],
        region: &str,
        service: &str,
        extra: &[(&str, &str)],
    ) -> io::Result<Reply> {
        let (headers, body) = self.sign(key, action, params, region, service, extra);
        self.send("POST", "/", &headers, body.as_bytes())
    }

    /// The headers and body of a signed `POST /` calling `Action`, to send now or to replay (a
    /// signature stays valid for five minutes, so a load test can measure the server alone).
    pub fn sign(
        &self,
        key: &SigningKey,
        action: &str,
        params: &[(&str, &str)],
        region: &str,
        service: &str,
        extra: &[(&str, &str)],
    ) -> (Vec<(String, String)>, String) {
        let body = form(action, params);
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        let mut headers: Vec<(&str, &[u8])> =
            vec![("host", self.host.as_bytes()), ("content-type", content_type.as_bytes())];
        headers.extend(extra.iter().map(|(n, v)| (*n, v.as_bytes())));
        let request =
            Request { method: "POST", path: "/", query: "", headers: &headers, body: Body::Bytes(body.as_bytes()) };
        let signed = signer::sign_headers(&request, key, region, service, SystemTime::now());
        let mut all: Vec<(String, String)> = extra.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        all.extend(signed.into_iter().map(|(n, v)| (n.to_string(), v)));
        (all, body)
    }

    /// Calls an AWS Organizations operation (the JSON 1.1 protocol) with `input`, signed by `key`.
    pub fn call_organizations(&mut self, key: &SigningKey, operation: &str, input: &str) -> io::Result<Reply> {
        let target = format!("AWSOrganizationsV20161128.{operation}");
        let content_type = "application/x-amz-json-1.1";
        let headers: Vec<(&str, &[u8])> = vec![
            ("host", self.host.as_bytes()),
            ("content-type", content_type.as_bytes()),
            ("x-amz-target", target.as_bytes()),
        ];
        let request =
            Request { method: "POST", path: "/", query: "", headers: &headers, body: Body::Bytes(input.as_bytes()) };
        let signed = signer::sign_headers(&request, key, "us-east-1", "organizations", SystemTime::now());
        let mut all =
            vec![("content-type".to_string(), content_type.to_string()), ("x-amz-target".to_string(), target)];
        all.extend(signed.into_iter().map(|(n, v)| (n.to_string(), v)));
        self.send("POST", "/", &all, input.as_bytes())
    }

    /// Sends one request as given (no signing) and reads the reply.
    pub fn send(&mut self, method: &str, target: &str, headers: &[(String, String)], body: &[u8]) -> io::Result<Reply> {
        if self.closed {
            *self = Client::connect(self.addr)?;
        }
        let mut head = format!("{method} {target} HTTP/1.1\r\ncontent-length: {}\r\n", body.len());
        // Defaults for what the caller did not set (a signed request carries its own).
        let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        if !has("host") {
            head.push_str(&format!("host: {}\r\n", self.host));
        }
        if !has("content-type") {
            head.push_str("content-type: application/x-www-form-urlencoded; charset=utf-8\r\n");
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        self.read_reply()
    }

    /// A `GET` presigned in the query string (AWS "Authenticating requests: using query parameters").
    pub fn presigned_get(&mut self, key: &SigningKey, action: &str, params: &[(&str, &str)]) -> io::Result<Reply> {
        let service = service_of(action);
        let query = form(action, params);
        let headers: [(&str, &[u8]); 1] = [("host", self.host.as_bytes())];
        let request = Request { method: "GET", path: "/", query: &query, headers: &headers, body: Body::EMPTY };
        let signed = signer::presign(&request, key, "us-east-1", service, SystemTime::now(), 300);
        self.send("GET", &format!("/?{signed}"), &[], b"")
    }

    /// The host header this client sends.
    pub fn host(&self) -> &str {
        &self.host
    }

    fn read_reply(&mut self) -> io::Result<Reply> {
        let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
        }
        let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad("status line"))?;
        let (mut length, mut chunked) = (None, false);
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(bad("headers cut short"));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.trim().eq_ignore_ascii_case("chunked");
                } else if name.eq_ignore_ascii_case("connection") {
                    self.closed = value.trim().eq_ignore_ascii_case("close");
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim(), 16).map_err(|_| bad("chunk size"))?;
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk)?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else {
            body.resize(length.ok_or_else(|| bad("no content-length"))?, 0);
            self.reader.read_exact(&mut body)?;
        }
        Ok(Reply { status, body: String::from_utf8_lossy(&body).into_owned() })
    }
}

/// The account the helpers start servers for.
pub const ACCOUNT: &str = "123456789012";
/// Root credentials installed at start.
pub const ROOT_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const ROOT_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The root user's key.
pub fn root() -> SigningKey {
    key(ROOT_ID, ROOT_SECRET)
}

/// Starts a server in this process on `127.0.0.1:0`, with state in `data_dir` or in memory; it
/// runs until the returned runtime is dropped.
pub fn start(data_dir: Option<&std::path::Path>) -> (tokio::runtime::Runtime, SocketAddr) {
    start_with(monban_server::Config {
        root_access_key_id: Some(ROOT_ID.into()),
        root_secret_access_key: Some(ROOT_SECRET.into()),
        data_dir: data_dir.map(std::path::Path::to_path_buf),
        ..monban_server::Config::ephemeral(ACCOUNT)
    })
}

/// Starts a server with `config` (see [`start`]).
pub fn start_with(config: monban_server::Config) -> (tokio::runtime::Runtime, SocketAddr) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let addr = runtime.block_on(async {
        let server = monban_server::Server::start(config).await.expect("server starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(server.serve(listener));
        addr
    });
    (runtime, addr)
}

/// Every user name, through ListUsers' pages.
pub fn list_users(client: &mut Client, key: &SigningKey) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..10_000 {
        let mut params = vec![("MaxItems", "100")];
        if let Some(m) = &marker {
            params.push(("Marker", m.as_str()));
        }
        let reply = client.call(key, "ListUsers", &params)?;
        if reply.status != 200 {
            return Err(io::Error::other(format!("ListUsers: HTTP {}: {}", reply.status, reply.body)));
        }
        let mut rest = reply.body.as_str();
        while let Some(at) = rest.find("<UserName>") {
            rest = &rest[at..];
            names.extend(field(rest, "UserName").map(String::from));
            rest = &rest["<UserName>".len()..];
        }
        match (reply.field("IsTruncated"), reply.field("Marker")) {
            (Some("true"), Some(m)) => marker = Some(m.to_string()),
            _ => return Ok(names),
        }
    }
    Err(io::Error::other("ListUsers never ended"))
}

/// Creates a user with one inline policy (`policy`, a JSON document; none when empty) and an
/// access key, and returns the key.
pub fn user(client: &mut Client, name: &str, policy: &str) -> SigningKey {
    let root = root();
    let created = client.call(&root, "CreateUser", &[("UserName", name)]).expect("CreateUser");
    assert_eq!(created.status, 200, "CreateUser {name}: {}", created.body);
    if !policy.is_empty() {
        let put = client
            .call(&root, "PutUserPolicy", &[("UserName", name), ("PolicyName", "p"), ("PolicyDocument", policy)])
            .expect("PutUserPolicy");
        assert_eq!(put.status, 200, "PutUserPolicy {name}: {}", put.body);
    }
    let reply = client.call(&root, "CreateAccessKey", &[("UserName", name)]).expect("CreateAccessKey");
    assert_eq!(reply.status, 200, "CreateAccessKey {name}: {}", reply.body);
    key(reply.field("AccessKeyId").expect("key id"), reply.field("SecretAccessKey").expect("secret"))
}

/// A policy document allowing `action` on `resource`.
pub fn allow(action: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}]}}"#
    )
}

/// Assumes `role_arn` as `key`: the session's key, or the reply that refused it.
pub fn assume(client: &mut Client, key: &SigningKey, role_arn: &str, session: &str) -> Result<SigningKey, Reply> {
    let reply =
        client.call(key, "AssumeRole", &[("RoleArn", role_arn), ("RoleSessionName", session)]).expect("AssumeRole");
    if reply.status != 200 {
        return Err(reply);
    }
    Ok(SigningKey {
        access_key_id: reply.field("AccessKeyId").expect("key id").into(),
        secret_access_key: reply.field("SecretAccessKey").expect("secret").into(),
        session_token: Some(reply.field("SessionToken").expect("token").into()),
    })
}

/// The audit log once it holds at least `records` records: read calls' records are written by a
/// background thread, a moment after the call is answered.
pub fn audit_log(path: &std::path::Path, records: usize) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let log = std::fs::read_to_string(path).unwrap_or_default();
        if log.lines().count() >= records || std::time::Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
