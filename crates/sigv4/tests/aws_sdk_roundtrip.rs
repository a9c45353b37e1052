//! Requests signed by the AWS SDK for Rust's signer (`aws-sigv4`) verify, and stop verifying when
//! any signed part changes.
//!
//! Random requests (method, path with dot and empty segments and characters that need encoding,
//! query parameters, repeated and mixed-case headers, body), signed in the header or the presigned
//! form, with or without a session token, with or without `X-Amz-Content-Sha256` (and
//! `UNSIGNED-PAYLOAD`), at a random time, verified at a random `now` inside the window. Then one
//! mutation: the method, the path, a query value, a signed header, the body, or the secret.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use monban_sigv4::{verify, AuthForm, Body, Options, Request, SigningSecret, Sigv4Error, Verified};
use proptest::prelude::*;

/// Percent-encodes everything but the unreserved characters (and `/` when `keep_slash`).
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Debug, Clone)]
struct Case {
    method: String,
    /// The path as sent on the wire.
    path: String,
    /// The query string as sent, before the signer's parameters.
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    presigned: bool,
    content_sha256_header: bool,
    unsigned_payload: bool,
    token: Option<String>,
    access_key_id: String,
    secret: String,
    region: String,
    service: String,
    signed_at: SystemTime,
    /// Seconds between signing and verifying (negative: the client's clock is ahead).
    delay: i64,
    expires: u64,
}

/// A request as the server receives it.
#[derive(Debug, Clone)]
struct Wire {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Wire {
    fn verify(&self, now: SystemTime, key: &str, secret: &str) -> Result<Verified<()>, Sigv4Error> {
        let headers: Vec<(&str, &[u8])> = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
        let request = Request {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: Body::Bytes(&self.body),
        };
        verify(&request, now, &Options::new(), |k| (k == key).then(|| SigningSecret::new(secret, ())))
    }
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9._~-]{1,8}",
        2 => "[a-z :@!$'()*+,;=%é/?#]{1,6}".prop_map(|s| encode(&s, false)),
        1 => Just(".".to_owned()),
        1 => Just("..".to_owned()),
        1 => Just(String::new()),
    ]
}

fn path() -> impl Strategy<Value = String> {
    (proptest::collection::vec(segment(), 0..5), any::<bool>()).prop_map(|(segments, trailing)| {
        let mut p = String::new();
        for s in &segments {
            p.push('/');
            p.push_str(s);
        }
        if trailing || p.is_empty() {
            p.push('/');
        }
        p
    })
}

fn query_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 _.~+/=&%:é-]{0,10}"
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("x-custom".to_owned()),
        Just("X-Custom".to_owned()),
        Just("content-type".to_owned()),
        Just("X-Amz-Target".to_owned()),
        Just("x-amz-meta-a".to_owned()),
        "x-[a-z0-9]{1,6}",
    ]
}

/// Header values of visible ASCII and spaces. No tabs: `aws-sigv4` collapses only runs of spaces
/// where botocore (and the verifier) collapse any white space.
fn header_value() -> impl Strategy<Value = String> {
    "[ -~]{0,12}".prop_filter("the signer refuses empty trimmed values", |v| !v.trim().is_empty())
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE"), Just("HEAD")],
            path(),
            proptest::collection::vec((query_text(), query_text()), 0..4),
            proptest::collection::vec((header_name(), header_value()), 0..4),
            proptest::collection::vec(any::<u8>(), 0..48),
        ),
        (any::<bool>(), any::<bool>(), any::<bool>(), proptest::option::of("[A-Za-z0-9/+=]{1,40}")),
        (
            "(AKIA|ASIA)[A-Z0-9]{16}",
            "[A-Za-z0-9/+]{40}",
            prop_oneof![Just("us-east-1".to_owned()), "[a-z]{2}-[a-z]{4,9}-[1-9]"],
            prop_oneof![Just("iam".to_owned()), Just("sts".to_owned()), "[a-z0-9-]{1,12}"],
            946_684_800u64..4_102_444_800u64,
            -900i64..=900,
            1u64..=604_800,
        ),
    )
        .prop_map(
            |(
                (method, path, query, headers, body),
                (presigned, content_sha256_header, unsigned_payload, token),
                (access_key_id, secret, region, service, signed_at, delay, expires),
            )| Case {
                method: method.to_owned(),
                path,
                query,
                headers,
                body,
                presigned,
                content_sha256_header: content_sha256_header && !presigned,
                unsigned_payload: unsigned_payload && content_sha256_header && !presigned,
                token,
                access_key_id,
                secret,
                region,
                service,
                signed_at: UNIX_EPOCH + Duration::from_secs(signed_at),
                delay,
                expires,
            },
        )
}

/// Signs `case` with `aws-sigv4` and returns the request as the server would receive it.
fn sign_with_sdk(case: &Case) -> Wire {
    let query_string: Vec<String> =
        case.query.iter().map(|(n, v)| format!("{}={}", encode(n, false), encode(v, false))).collect();
    let query_string = query_string.join("&");
    let uri = if query_string.is_empty() {
        format!("https://example.amazonaws.com{}", case.path)
    } else {
        format!("https://example.amazonaws.com{}?{query_string}", case.path)
    };
    let mut headers = vec![("Host".to_owned(), "example.amazonaws.com".to_owned())];
    headers.extend(case.headers.iter().cloned());

    let identity: Identity =
        Credentials::new(&case.access_key_id, &case.secret, case.token.clone(), None, "proptest").into();
    let mut settings = SigningSettings::default();
    settings.signature_location =
        if case.presigned { SignatureLocation::QueryParams } else { SignatureLocation::Headers };
    settings.expires_in = Some(Duration::from_secs(case.expires));
    if case.content_sha256_header {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&case.region)
        .name(&case.service)
        .time(case.signed_at)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let body = if case.unsigned_payload { SignableBody::UnsignedPayload } else { SignableBody::Bytes(&case.body) };
    let signable =
        SignableRequest::new(&case.method, uri, headers.iter().map(|(n, v)| (n.as_str(), v.as_str())), body).unwrap();
    let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
    let (signing_headers, signing_params) = instructions.into_parts();

    for h in &signing_headers {
        headers.push((h.name().to_owned(), h.value().to_owned()));
    }
    let mut query = query_string;
    for (name, value) in &signing_params {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&format!("{}={}", encode(name, false), encode(value, false)));
    }
    Wire { method: case.method.clone(), path: case.path.clone(), query, headers, body: case.body.clone() }
}

fn now_for(case: &Case) -> SystemTime {
    let delay = if case.presigned {
        // Anywhere from 15 minutes before the timestamp to the end of X-Amz-Expires.
        let expires = i64::try_from(case.expires).unwrap();
        if case.delay >= 0 {
            case.delay * expires / 900
        } else {
            case.delay
        }
    } else {
        case.delay
    };
    if delay >= 0 {
        case.signed_at + Duration::from_secs(delay.unsigned_abs())
    } else {
        case.signed_at - Duration::from_secs(delay.unsigned_abs())
    }
}

#[derive(Debug, Clone, Copy)]
enum Mutation {
    Method,
    Path,
    QueryValue(usize),
    SignedHeader(usize),
    Body,
    Secret,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Method),
        Just(Mutation::Path),
        any::<usize>().prop_map(Mutation::QueryValue),
        any::<usize>().prop_map(Mutation::SignedHeader),
        Just(Mutation::Body),
        Just(Mutation::Secret),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn sdk_signed_requests_verify(case in case()) {
        let wire = sign_with_sdk(&case);
        let verified = wire.verify(now_for(&case), &case.access_key_id, &case.secret);
        let verified = match verified {
            Ok(v) => v,
            Err(e) => panic!("{e}: {}\n{wire:#?}", e.aws_message()),
        };
        prop_assert_eq!(&verified.access_key_id, &case.access_key_id);
        prop_assert_eq!(&verified.scope.region, &case.region);
        prop_assert_eq!(&verified.scope.service, &case.service);
        prop_assert_eq!(verified.signed_at, case.signed_at);
        prop_assert_eq!(&verified.session_token, &case.token);
        prop_assert_eq!(verified.payload_signed, !case.unsigned_payload);
        if case.presigned {
            prop_assert_eq!(verified.form, AuthForm::Presigned { expires_in: Duration::from_secs(case.expires) });
        } else {
            prop_assert_eq!(verified.form, AuthForm::Header);
        }
    }

    #[test]
    fn mutated_requests_fail(case in case(), mutation in mutation()) {
        let wire = sign_with_sdk(&case);
        let now = now_for(&case);
        let verified = wire.verify(now, &case.access_key_id, &case.secret).unwrap();
        let mut changed = wire.clone();
        let mut secret = case.secret.clone();
        match mutation {
            Mutation::Method => {
                changed.method = if wire.method == "GET" { "POST".to_owned() } else { "GET".to_owned() };
            }
            // Appending a character that is neither `/` nor `.` changes the normalized path.
            Mutation::Path => changed.path.push('z'),
            Mutation::QueryValue(i) => {
                let mut pieces: Vec<String> = wire.query.split('&').filter(|p| !p.is_empty()).map(str::to_owned).collect();
                let i = i % pieces.len().max(1);
                let Some(piece) = pieces.get_mut(i) else { return Ok(()) };
                if piece.starts_with("X-Amz-Signature=") {
                    // The signature itself: change its last digit.
                    let last = piece.pop().unwrap();
                    piece.push(if last == '0' { '1' } else { '0' });
                } else {
                    piece.push('z');
                }
                changed.query = pieces.join("&");
            }
            Mutation::SignedHeader(i) => {
                let signed: Vec<usize> = wire
                    .headers
                    .iter()
                    .enumerate()
                    .filter(|(_, (n, _))| verified.signed_headers.contains(&n.to_ascii_lowercase()))
                    .map(|(i, _)| i)
                    .collect();
                let at = signed[i % signed.len()];
                changed.headers[at].1.push('z');
            }
            Mutation::Body => {
                if case.unsigned_payload {
                    // Not covered by the signature, by design.
                    return Ok(());
                }
                changed.body.push(0);
            }
            Mutation::Secret => secret.push('x'),
        }
        let result = changed.verify(now, &case.access_key_id, &secret);
        prop_assert!(result.is_err(), "{:?} still verifies: {:#?}", mutation, changed);
    }
}
