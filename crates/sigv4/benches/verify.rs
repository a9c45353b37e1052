//! Verification cost of a typical IAM Query-API call: `POST /` with a form-encoded
//! `CreateUser` body, signed by the AWS SDK for Rust's signer the way botocore signs it
//! (`content-type`, `host`, `x-amz-date`, and the session token for temporary credentials).
//! Run with `cargo bench -p monban-sigv4`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use monban_sigv4::{parse, verify, Body, Options, Request, SigningSecret};

fn main() {
    divan::main();
}

const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const BODY: &[u8] = b"Action=CreateUser&UserName=alice&Path=%2Fengineering%2F&Version=2010-05-08";

fn signed_at() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// The wire headers and query of the IAM call, signed in `location`.
fn iam_call(location: SignatureLocation, token: Option<&str>) -> (String, Vec<(String, String)>) {
    let identity: Identity = Credentials::new(KEY, SECRET, token.map(str::to_owned), None, "bench").into();
    let mut settings = SigningSettings::default();
    settings.signature_location = location;
    settings.expires_in = Some(Duration::from_secs(900));
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("iam")
        .time(signed_at())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let mut headers = vec![
        ("Host".to_owned(), "iam.amazonaws.com".to_owned()),
        ("Content-Type".to_owned(), "application/x-www-form-urlencoded; charset=utf-8".to_owned()),
    ];
    let signable = SignableRequest::new(
        "POST",
        "https://iam.amazonaws.com/",
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(BODY),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let (signing_headers, signing_params) = instructions.into_parts();
    headers.extend(signing_headers.iter().map(|h| (h.name().to_owned(), h.value().to_owned())));
    headers.push(("User-Agent".to_owned(), "aws-cli/2.15.0 Python/3.11.6 botocore/2.4.5".to_owned()));
    headers.push(("Content-Length".to_owned(), BODY.len().to_string()));
    let query: Vec<String> = signing_params
        .iter()
        .map(|(n, v)| {
            let v: String = v
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{n}={v}")
        })
        .collect();
    (query.join("&"), headers)
}

fn run(bencher: divan::Bencher, location: SignatureLocation, token: Option<&str>) {
    let (query, headers) = iam_call(location, token);
    let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    let request = Request { method: "POST", path: "/", query: &query, headers: &headers, body: Body::Bytes(BODY) };
    let options = Options::new().service("iam").region("us-east-1");
    let now = signed_at() + Duration::from_secs(2);
    let lookup = |key: &str| (key == KEY).then(|| SigningSecret::new(SECRET, 123_456_789_012u64));
    assert!(verify(&request, now, &options, lookup).is_ok());
    bencher.bench_local(|| verify(divan::black_box(&request), now, &options, lookup));
}

/// The common case: long-term access key, `Authorization` header.
#[divan::bench]
fn header_form(bencher: divan::Bencher) {
    run(bencher, SignatureLocation::Headers, None);
}

/// A role session: the same call with `X-Amz-Security-Token`.
#[divan::bench]
fn header_form_with_session_token(bencher: divan::Bencher) {
    run(bencher, SignatureLocation::Headers, Some("FwoGZXIvYXdzEBYaDHqa0AP1Y0WkExampleToken"));
}

/// The same call as a presigned URL.
#[divan::bench]
fn presigned_form(bencher: divan::Bencher) {
    run(bencher, SignatureLocation::QueryParams, None);
}

/// Reading the signature elements only (before the secret lookup).
#[divan::bench]
fn parse_only(bencher: divan::Bencher) {
    let (query, headers) = iam_call(SignatureLocation::Headers, None);
    let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    let request = Request { method: "POST", path: "/", query: &query, headers: &headers, body: Body::Bytes(BODY) };
    let options = Options::new();
    let now = signed_at();
    bencher.bench_local(|| parse(divan::black_box(&request), now, &options).map(|c| c.access_key_id().len()));
}
