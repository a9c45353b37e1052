//! The SigV4 verifier never panics on arbitrary methods, paths, query strings, headers and bodies,
//! and whatever it accepts names the key it was given and signs `host`.
//!
//! The input is split on NUL bytes into fields; each field present replaces one part of a request
//! that verifies (the AWS suite's `get-vanilla`, header or presigned form), so the fuzzer starts
//! next to the accepting path and mutates from there.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use monban_sigv4::{verify, Body, Options, Request, SigningSecret};

const KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
    SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
const QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d";
const SIGNED_AT: u64 = 1_440_938_160;

fuzz_target!(|data: &[u8]| {
    let mut fields = data.split(|&b| b == 0);
    let flags = fields.next().and_then(|f| f.first().copied()).unwrap_or(0);
    let presigned = flags & 1 != 0;
    let mut next = || fields.next().map(|f| String::from_utf8_lossy(f).into_owned());

    let method = next().unwrap_or_else(|| "GET".to_owned());
    let path = next().unwrap_or_else(|| "/".to_owned());
    let query = next().unwrap_or_else(|| if presigned { QUERY.to_owned() } else { String::new() });
    let authorization = next().or_else(|| (!presigned).then(|| AUTH.to_owned()));
    let date = next().unwrap_or_else(|| "20150830T123600Z".to_owned());
    let host = next().unwrap_or_else(|| "example.amazonaws.com".to_owned());
    let extra_name = next();
    let extra_value = next();
    let body = next().unwrap_or_default();

    let mut headers: Vec<(&str, &[u8])> = vec![("Host", host.as_bytes()), ("X-Amz-Date", date.as_bytes())];
    if let Some(a) = &authorization {
        headers.push(("Authorization", a.as_bytes()));
    }
    if let (Some(n), Some(v)) = (&extra_name, &extra_value) {
        headers.push((n.as_str(), v.as_bytes()));
    }
    let request =
        Request { method: &method, path: &path, query: &query, headers: &headers, body: Body::Bytes(body.as_bytes()) };

    // `now` around the request's time, including the edges of the skew and expiry windows.
    let offset = i64::from(flags >> 2) * 120 - 1800;
    let now = UNIX_EPOCH + Duration::from_secs(SIGNED_AT.saturating_add_signed(offset));
    let options =
        if flags & 2 != 0 { Options::new().normalize_path(false).double_encode_path(false) } else { Options::new() };

    match verify(&request, now, &options, |key| (key == KEY).then(|| SigningSecret::new(SECRET, ()))) {
        Ok(verified) => {
            assert_eq!(verified.access_key_id, KEY);
            assert!(verified.signed_headers.iter().any(|h| h == "host"));
        }
        Err(e) => {
            let _ = (e.code(), e.http_status(), e.aws_message(), e.to_string());
        }
    }
});
