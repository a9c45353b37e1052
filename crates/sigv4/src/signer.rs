//! The client's half, for tests and benchmarks that drive a server with signed requests (feature
//! `test-util`): the `Authorization` header form of "Create a signed AWS API request"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>), built from the
//! same canonical request and signing key as verification. Real clients sign with their SDK.

use std::time::SystemTime;

use crate::{canonical, sign, time, Request};

/// The key that signs: a long-term access key, or temporary credentials with their session token.
#[derive(Debug, Clone)]
pub struct SigningKey {
    /// `AKIA...` or `ASIA...`.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// Temporary credentials' session token, sent as `X-Amz-Security-Token`.
    pub session_token: Option<String>,
}

/// Signs a request in the header form. Every header of `request` is signed (include `host`); the
/// headers to add are returned: `x-amz-date`, `x-amz-security-token` when the key has one, and
/// `authorization`.
#[must_use]
pub fn sign_headers(
    request: &Request<'_>,
    key: &SigningKey,
    region: &str,
    service: &str,
    now: SystemTime,
) -> Vec<(&'static str, String)> {
    let Request { method, path, query, headers, body } = request;
    let timestamp = time::format_amz_date(time::unix_seconds(now));
    let date = &timestamp[..8];
    let mut added: Vec<(&'static str, String)> = vec![("x-amz-date", timestamp.clone())];
    if let Some(token) = &key.session_token {
        added.push(("x-amz-security-token", token.clone()));
    }
    let all: Vec<(&str, &[u8])> =
        headers.iter().copied().chain(added.iter().map(|(n, v)| (*n, v.as_bytes()))).collect();
    let mut names: Vec<String> = all.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    names.sort_unstable();
    names.dedup();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let signed_headers = names.join(";");

    let mut canonical_request = Vec::with_capacity(512 + query.len());
    canonical_request.extend_from_slice(method.as_bytes());
    canonical_request.push(b'\n');
    canonical::canonical_uri_into(&mut canonical_request, path, true, true);
    canonical_request.push(b'\n');
    canonical::canonical_query_into(&mut canonical_request, &canonical::parse_query(query), false);
    canonical_request.push(b'\n');
    canonical::canonical_headers_into(&mut canonical_request, &all, &name_refs);
    canonical_request.push(b'\n');
    canonical_request.extend_from_slice(signed_headers.as_bytes());
    canonical_request.push(b'\n');
    canonical_request.extend_from_slice(payload_line(headers, body).as_bytes());

    let scope = format!("{date}/{region}/{service}/aws4_request");
    let string_to_sign = sign::string_to_sign(&timestamp, &scope, &canonical_request);
    let signature = sign::signature(&key.secret_access_key, date, region, service, &string_to_sign)
        .map(hex::encode)
        .unwrap_or_default();
    added.push((
        "authorization",
        format!(
            "{} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            sign::ALGORITHM,
            key.access_key_id
        ),
    ));
    added
}

/// The payload line: a declared `x-amz-content-sha256` (such as `UNSIGNED-PAYLOAD`) as the client
/// sent it, else the body's digest, as AWS's signers do.
fn payload_line(headers: &[(&str, &[u8])], body: &crate::Body<'_>) -> String {
    headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-amz-content-sha256"))
        .map(|(_, value)| String::from_utf8_lossy(value).into_owned())
        .unwrap_or_else(|| hex::encode(body.digest()))
}

/// Signs a request in the presigned (query string) form: returns the query string to send, the
/// request's own `query` followed by the `X-Amz-*` parameters and `X-Amz-Signature`. Only `host`
/// is signed.
#[must_use]
pub fn presign(
    request: &Request<'_>,
    key: &SigningKey,
    region: &str,
    service: &str,
    now: SystemTime,
    expires_secs: u64,
) -> String {
    let Request { method, path, query, headers, body } = request;
    let timestamp = time::format_amz_date(time::unix_seconds(now));
    let date = &timestamp[..8];
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let encode = |s: &str| {
        let mut out = Vec::new();
        canonical::uri_encode_into(&mut out, s.as_bytes(), false);
        String::from_utf8_lossy(&out).into_owned()
    };
    let mut full = String::from(*query);
    let mut add = |name: &str, value: &str| {
        if !full.is_empty() {
            full.push('&');
        }
        full.push_str(name);
        full.push('=');
        full.push_str(&encode(value));
    };
    add("X-Amz-Algorithm", sign::ALGORITHM);
    add("X-Amz-Credential", &format!("{}/{scope}", key.access_key_id));
    add("X-Amz-Date", &timestamp);
    add("X-Amz-Expires", &expires_secs.to_string());
    add("X-Amz-SignedHeaders", "host");
    if let Some(token) = &key.session_token {
        add("X-Amz-Security-Token", token);
    }
    let host: Vec<(&str, &[u8])> = headers.iter().copied().filter(|(n, _)| n.eq_ignore_ascii_case("host")).collect();
    let mut canonical_request = Vec::with_capacity(512 + full.len());
    canonical_request.extend_from_slice(method.as_bytes());
    canonical_request.push(b'\n');
    canonical::canonical_uri_into(&mut canonical_request, path, true, true);
    canonical_request.push(b'\n');
    canonical::canonical_query_into(&mut canonical_request, &canonical::parse_query(&full), false);
    canonical_request.push(b'\n');
    canonical::canonical_headers_into(&mut canonical_request, &host, &["host"]);
    canonical_request.extend_from_slice(b"\nhost\n");
    canonical_request.extend_from_slice(payload_line(headers, body).as_bytes());
    let string_to_sign = sign::string_to_sign(&timestamp, &scope, &canonical_request);
    let signature = sign::signature(&key.secret_access_key, date, region, service, &string_to_sign)
        .map(hex::encode)
        .unwrap_or_default();
    format!("{full}&X-Amz-Signature={signature}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{verify, Body, Options, SigningSecret};

    #[test]
    fn signed_requests_verify() {
        let key = SigningKey {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: Some("token".into()),
        };
        let body = b"Action=GetUser&Version=2010-05-08";
        let now = SystemTime::now();
        let sent: [(&str, &[u8]); 2] =
            [("host", b"127.0.0.1:4510"), ("content-type", b"application/x-www-form-urlencoded")];
        let unsigned = Request { method: "POST", path: "/", query: "", headers: &sent, body: Body::Bytes(body) };
        let added = sign_headers(&unsigned, &key, "us-east-1", "iam", now);
        let headers: Vec<(&str, &[u8])> =
            sent.iter().copied().chain(added.iter().map(|(n, v)| (*n, v.as_bytes()))).collect();
        let request = Request { headers: &headers, ..unsigned };
        let verified = verify(&request, now, &Options::new(), |_| Some(SigningSecret::new("secret", ()))).unwrap();
        assert_eq!(verified.session_token.as_deref(), Some("token"));
        assert_eq!(verified.signed_headers, ["content-type", "host", "x-amz-date", "x-amz-security-token"]);
    }
}
