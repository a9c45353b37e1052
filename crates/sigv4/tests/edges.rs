//! Time windows at their exact edges, every error's AWS code and status, and malformed input:
//! each malformed shape gets its error, and arbitrary input never panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use monban_sigv4::{
    parse, verify, Body, CredentialScope, Malformed, Options, Request, ScopeMismatch, ScopedKey, SigningSecret,
    Sigv4Error, Verified,
};
use proptest::prelude::*;
use sha2::Sha256;

const KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2015-08-30T12:36:00Z, when the suite's requests are signed.
const SIGNED_AT: u64 = 1_440_938_160;
const MIN: u64 = 60;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// `get-vanilla` from the AWS suite, header form.
const VANILLA_AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
    SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

/// `get-vanilla` from the AWS suite, presigned form (X-Amz-Expires=3600).
const VANILLA_QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d";

fn lookup(key: &str) -> Option<SigningSecret<&'static str>> {
    (key == KEY).then(|| SigningSecret::new(SECRET, "attached"))
}

fn check(
    query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    now: SystemTime,
    options: &Options,
) -> Result<Verified<&'static str>, Sigv4Error> {
    let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    let request = Request { method: "GET", path: "/", query, headers: &headers, body: Body::Bytes(body) };
    verify(&request, now, options, lookup)
}

fn header_form(now: SystemTime) -> Result<Verified<&'static str>, Sigv4Error> {
    check(
        "",
        &[("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z"), ("Authorization", VANILLA_AUTH)],
        b"",
        now,
        &Options::new(),
    )
}

fn query_form(now: SystemTime) -> Result<Verified<&'static str>, Sigv4Error> {
    check(VANILLA_QUERY, &[("Host", "example.amazonaws.com")], b"", now, &Options::new())
}

/// Signs `headers` (which must include a placeholder `Authorization` with the right Credential
/// and SignedHeaders) by computing the string to sign with the verifier and the signature with
/// HMAC-SHA256 directly.
fn sign_headers(query: &str, headers: &mut [(String, String)], body: &[u8], now: SystemTime, options: &Options) {
    let (string_to_sign, date, region, service) = {
        let hs: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
        let request = Request { method: "GET", path: "/", query, headers: &hs, body: Body::Bytes(body) };
        let claim = parse(&request, now, options).unwrap();
        let s = claim.scope();
        (claim.string_to_sign(), s.date.clone(), s.region.clone(), s.service.clone())
    };
    let mac = |key: &[u8], data: &[u8]| -> Vec<u8> {
        let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
        m.update(data);
        m.finalize().into_bytes().to_vec()
    };
    let mut k = mac(format!("AWS4{SECRET}").as_bytes(), date.as_bytes());
    for part in [region.as_bytes(), service.as_bytes(), b"aws4_request"] {
        k = mac(&k, part);
    }
    let signature = hex::encode(mac(&k, string_to_sign.as_bytes()));
    let auth = headers.iter_mut().find(|(n, _)| n == "Authorization").unwrap();
    auth.1 = auth.1.replace("Signature=0", &format!("Signature={signature}"));
}

#[test]
fn header_form_accepts_exactly_fifteen_minutes_of_skew() {
    assert!(header_form(at(SIGNED_AT)).is_ok());
    assert!(header_form(at(SIGNED_AT + 15 * MIN)).is_ok());
    assert!(header_form(at(SIGNED_AT - 15 * MIN)).is_ok());
    // Sub-second parts of `now` are dropped: still the same second as the edge.
    assert!(header_form(at(SIGNED_AT + 15 * MIN) + Duration::from_millis(999)).is_ok());
}

#[test]
fn header_form_rejects_a_second_past_the_skew() {
    let err = header_form(at(SIGNED_AT + 15 * MIN + 1)).unwrap_err();
    assert!(matches!(err, Sigv4Error::SignatureExpired { .. }), "{err:?}");
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert_eq!(err.http_status(), 403);
    assert_eq!(
        err.aws_message(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)"
    );

    let err = header_form(at(SIGNED_AT - 15 * MIN - 1)).unwrap_err();
    assert!(matches!(err, Sigv4Error::SignatureNotYetCurrent { .. }), "{err:?}");
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert_eq!(err.http_status(), 403);
    assert_eq!(
        err.aws_message(),
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T122059Z + 15 min.)"
    );
}

#[test]
fn skew_is_configurable() {
    let options = Options::new().max_skew(Duration::from_secs(5 * MIN));
    let headers =
        [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z"), ("Authorization", VANILLA_AUTH)];
    assert!(check("", &headers, b"", at(SIGNED_AT + 5 * MIN), &options).is_ok());
    let err = check("", &headers, b"", at(SIGNED_AT + 5 * MIN + 1), &options).unwrap_err();
    assert!(err.aws_message().ends_with("- 5 min.)"), "{}", err.aws_message());
}

#[test]
fn presigned_form_is_valid_until_exactly_x_amz_expires() {
    assert!(query_form(at(SIGNED_AT)).is_ok());
    // Past the header form's skew, but within X-Amz-Expires.
    assert!(query_form(at(SIGNED_AT + 30 * MIN)).is_ok());
    assert!(query_form(at(SIGNED_AT + 3600)).is_ok());
    let err = query_form(at(SIGNED_AT + 3601)).unwrap_err();
    assert!(matches!(err, Sigv4Error::PresignedExpired { .. }), "{err:?}");
    assert_eq!((err.code(), err.http_status()), ("ExpiredToken", 403));
    assert_eq!(err.aws_message(), "Request has expired");
}

#[test]
fn presigned_form_accepts_fifteen_minutes_of_clock_ahead() {
    assert!(query_form(at(SIGNED_AT - 15 * MIN)).is_ok());
    let err = query_form(at(SIGNED_AT - 15 * MIN - 1)).unwrap_err();
    assert!(matches!(err, Sigv4Error::SignatureNotYetCurrent { .. }), "{err:?}");
}

#[test]
fn verified_carries_what_the_caller_needs() {
    let v = header_form(at(SIGNED_AT)).unwrap();
    assert_eq!(v.access_key_id, KEY);
    assert_eq!(v.scope.to_scope_string(), "20150830/us-east-1/service/aws4_request");
    assert_eq!(v.signed_at, at(SIGNED_AT));
    assert_eq!(v.signed_headers, ["host", "x-amz-date"]);
    assert!(v.payload_signed);
    assert_eq!(v.session_token, None);
    assert_eq!(v.attached, "attached");
}

/// A signing key derived once for the request's scope verifies it as the secret does; one
/// derived for another day, region or service does not, nor does another secret's.
#[test]
fn a_scoped_key_verifies_only_its_own_scope() {
    let headers: Vec<(&str, &[u8])> = vec![
        ("Host", b"example.amazonaws.com"),
        ("X-Amz-Date", b"20150830T123600Z"),
        ("Authorization", VANILLA_AUTH.as_bytes()),
    ];
    let request = Request { method: "GET", path: "/", query: "", headers: &headers, body: Body::Bytes(b"") };
    let options = Options::new();
    let claim = || parse(&request, at(SIGNED_AT), &options).unwrap();
    let scope = |date: &str, region: &str, service: &str| CredentialScope {
        date: date.into(),
        region: region.into(),
        service: service.into(),
    };
    let key = ScopedKey::derive(SECRET, claim().scope()).unwrap();
    assert_eq!(key.scope(), &scope("20150830", "us-east-1", "service"));
    assert_eq!(claim().verify_scoped(&key, "attached").unwrap(), header_form(at(SIGNED_AT)).unwrap());
    for other in [
        ScopedKey::derive(SECRET, &scope("20150831", "us-east-1", "service")),
        ScopedKey::derive(SECRET, &scope("20150830", "us-west-2", "service")),
        ScopedKey::derive(SECRET, &scope("20150830", "us-east-1", "iam")),
        ScopedKey::derive("another secret", claim().scope()),
    ] {
        let err = claim().verify_scoped(&other.unwrap(), "attached").unwrap_err();
        assert_eq!(err.code(), "SignatureDoesNotMatch", "{err:?}");
    }
    assert!(!format!("{key:?}").contains(SECRET));
}

#[test]
fn unknown_key_is_invalid_client_token_id() {
    let auth = VANILLA_AUTH.replace("AKIDEXAMPLE", "AKIDUNKNOWN");
    let err = check(
        "",
        &[("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z"), ("Authorization", &auth)],
        b"",
        at(SIGNED_AT),
        &Options::new(),
    )
    .unwrap_err();
    assert_eq!(err, Sigv4Error::UnknownAccessKey { access_key_id: "AKIDUNKNOWN".to_owned() });
    assert_eq!((err.code(), err.http_status()), ("InvalidClientTokenId", 403));
    assert_eq!(err.aws_message(), "The security token included in the request is invalid.");
}

#[test]
fn wrong_signature_is_signature_does_not_match_with_the_canonical_request() {
    let auth = VANILLA_AUTH.replace("bf31", "bf30");
    let err = check(
        "",
        &[("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z"), ("Authorization", &auth)],
        b"",
        at(SIGNED_AT),
        &Options::new(),
    )
    .unwrap_err();
    assert_eq!((err.code(), err.http_status()), ("SignatureDoesNotMatch", 403));
    let Sigv4Error::SignatureDoesNotMatch { canonical_request, string_to_sign } = err else { panic!() };
    assert_eq!(
        canonical_request,
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert!(string_to_sign.ends_with("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"));
}

fn header_error(headers: &[(&str, &str)]) -> Sigv4Error {
    check("", headers, b"", at(SIGNED_AT), &Options::new()).unwrap_err()
}

fn with_auth(auth: &str) -> Sigv4Error {
    header_error(&[("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z"), ("Authorization", auth)])
}

#[test]
fn unsigned_request_is_missing_authentication_token() {
    let err = header_error(&[("Host", "example.amazonaws.com")]);
    assert_eq!(err, Sigv4Error::MissingAuthentication);
    assert_eq!((err.code(), err.http_status()), ("MissingAuthenticationToken", 403));
    // Query parameters that are not SigV4's do not make a request presigned.
    let err = check("Action=ListUsers&Version=2010-05-08", &[("Host", "h")], b"", at(SIGNED_AT), &Options::new())
        .unwrap_err();
    assert_eq!(err, Sigv4Error::MissingAuthentication);
}

#[test]
fn malformed_authorization_headers_are_incomplete_signatures() {
    let cases: Vec<(String, Malformed)> = vec![
        ("".to_owned(), Malformed::UnsupportedAlgorithm(String::new())),
        ("AWS AKID:signature".to_owned(), Malformed::UnsupportedAlgorithm("AWS".to_owned())),
        ("AWS4-HMAC-SHA512 Credential=a".to_owned(), Malformed::UnsupportedAlgorithm("AWS4-HMAC-SHA512".to_owned())),
        ("AWS4-HMAC-SHA256".to_owned(), Malformed::MissingAuthorizationElement("Credential")),
        ("AWS4-HMAC-SHA256 Credential".to_owned(), Malformed::BadAuthorizationElement("Credential".to_owned())),
        ("AWS4-HMAC-SHA256 Foo=bar".to_owned(), Malformed::BadAuthorizationElement("Foo=bar".to_owned())),
        (
            VANILLA_AUTH.replace(", SignedHeaders=host;x-amz-date", ""),
            Malformed::MissingAuthorizationElement("SignedHeaders"),
        ),
        (
            VANILLA_AUTH.replace(", Signature=", ", Nope=").replace("Nope=", "Signature=x, Signature="),
            Malformed::DuplicateAuthorizationElement("Signature"),
        ),
        (
            VANILLA_AUTH.split(", Signature").next().unwrap().to_owned(),
            Malformed::MissingAuthorizationElement("Signature"),
        ),
        (
            VANILLA_AUTH.replace("AKIDEXAMPLE/", ""),
            Malformed::BadCredential("20150830/us-east-1/service/aws4_request".to_owned()),
        ),
        (
            VANILLA_AUTH.replace("/us-east-1/", "//"),
            Malformed::BadCredential("AKIDEXAMPLE/20150830//service/aws4_request".to_owned()),
        ),
        (
            VANILLA_AUTH.replace("host;x-amz-date", "x-amz-date;host"),
            Malformed::BadSignedHeaders("x-amz-date;host".to_owned()),
        ),
        (
            VANILLA_AUTH.replace("host;x-amz-date", "Host;x-amz-date"),
            Malformed::BadSignedHeaders("Host;x-amz-date".to_owned()),
        ),
        (
            VANILLA_AUTH.replace("host;x-amz-date", "host;;x-amz-date"),
            Malformed::BadSignedHeaders("host;;x-amz-date".to_owned()),
        ),
        (VANILLA_AUTH.replace("host;x-amz-date", "host;host"), Malformed::BadSignedHeaders("host;host".to_owned())),
        (VANILLA_AUTH.replace("host;x-amz-date", "x-amz-date"), Malformed::HostNotSigned),
    ];
    for (auth, expected) in cases {
        let err = with_auth(&auth);
        assert_eq!(err, Sigv4Error::Incomplete(expected), "{auth}");
        assert_eq!((err.code(), err.http_status()), ("IncompleteSignature", 400));
    }
    // Whitespace around the elements is tolerated, as the SDKs' spacing varies.
    let spaced = VANILLA_AUTH.replace(", ", " ,  ").replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256   ");
    assert!(check(
        "",
        &[("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z"), ("Authorization", &spaced)],
        b"",
        at(SIGNED_AT),
        &Options::new()
    )
    .is_ok());
}

#[test]
fn scope_mismatches_are_signature_does_not_match() {
    let err = with_auth(&VANILLA_AUTH.replace("/20150830/", "/20150831/"));
    assert_eq!(
        err,
        Sigv4Error::Scope(ScopeMismatch::Date {
            scope: "20150831".to_owned(),
            request: "20150830".to_owned(),
            timestamp: "20150830T123600Z".to_owned()
        })
    );
    assert_eq!((err.code(), err.http_status()), ("SignatureDoesNotMatch", 403));
    let err = with_auth(&VANILLA_AUTH.replace("aws4_request", "aws5_request"));
    assert_eq!(err, Sigv4Error::Scope(ScopeMismatch::Terminator("aws5_request".to_owned())));

    let headers =
        [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z"), ("Authorization", VANILLA_AUTH)];
    let err = check("", &headers, b"", at(SIGNED_AT), &Options::new().service("iam")).unwrap_err();
    assert_eq!(err.aws_message(), "Credential should be scoped to correct service: 'iam'. ",);
    let err = check("", &headers, b"", at(SIGNED_AT), &Options::new().region("eu-west-1")).unwrap_err();
    assert_eq!(err, Sigv4Error::Scope(ScopeMismatch::Region("us-east-1".to_owned())));
    assert!(check("", &headers, b"", at(SIGNED_AT), &Options::new().service("service").region("us-east-1")).is_ok());
}

#[test]
fn dates_must_be_present_single_and_well_formed() {
    let err = header_error(&[("Host", "example.amazonaws.com"), ("Authorization", VANILLA_AUTH)]);
    assert_eq!(err, Sigv4Error::Incomplete(Malformed::MissingDate));
    let err = header_error(&[
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "2015-08-30T12:36:00Z"),
        ("Authorization", VANILLA_AUTH),
    ]);
    assert_eq!(err, Sigv4Error::Incomplete(Malformed::BadDate("2015-08-30T12:36:00Z".to_owned())));
    let err = header_error(&[
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("x-amz-date", "20150830T123600Z"),
        ("Authorization", VANILLA_AUTH),
    ]);
    assert_eq!(err, Sigv4Error::Incomplete(Malformed::DuplicateHeader("X-Amz-Date")));
}

#[test]
fn date_header_is_used_when_x_amz_date_is_absent() {
    let options = Options::new();
    let mut headers = vec![
        ("Host".to_owned(), "example.amazonaws.com".to_owned()),
        ("Date".to_owned(), "Sun, 30 Aug 2015 12:36:00 GMT".to_owned()),
        (
            "Authorization".to_owned(),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=date;host, Signature=0"
                .to_owned(),
        ),
    ];
    sign_headers("", &mut headers, b"", at(SIGNED_AT), &options);
    let hs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let v = check("", &hs, b"", at(SIGNED_AT), &options).unwrap();
    assert_eq!(v.signed_at, at(SIGNED_AT));
}

#[test]
fn only_one_authentication_mechanism() {
    let err = check(
        VANILLA_QUERY,
        &[("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z"), ("Authorization", VANILLA_AUTH)],
        b"",
        at(SIGNED_AT),
        &Options::new(),
    )
    .unwrap_err();
    assert_eq!(err, Sigv4Error::Incomplete(Malformed::BothAuthForms));
    let err = header_error(&[
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", VANILLA_AUTH),
        ("authorization", VANILLA_AUTH),
    ]);
    assert_eq!(err, Sigv4Error::Incomplete(Malformed::DuplicateAuthorization));
}

#[test]
fn malformed_presigned_parameters_are_incomplete_signatures() {
    let host = [("Host", "example.amazonaws.com")];
    let cases: Vec<(String, Malformed)> = vec![
        (
            VANILLA_QUERY.replace("X-Amz-Algorithm=AWS4-HMAC-SHA256&", ""),
            Malformed::MissingQueryParameter("X-Amz-Algorithm"),
        ),
        (
            VANILLA_QUERY.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"),
            Malformed::UnsupportedAlgorithm("AWS4-ECDSA-P256-SHA256".to_owned()),
        ),
        (VANILLA_QUERY.replace("&X-Amz-Expires=3600", ""), Malformed::MissingQueryParameter("X-Amz-Expires")),
        (
            VANILLA_QUERY.replace("&X-Amz-SignedHeaders=host", ""),
            Malformed::MissingQueryParameter("X-Amz-SignedHeaders"),
        ),
        (VANILLA_QUERY.replace("&X-Amz-Date=20150830T123600Z", ""), Malformed::MissingQueryParameter("X-Amz-Date")),
        (
            VANILLA_QUERY.split("&X-Amz-Signature").next().unwrap().to_owned(),
            Malformed::MissingQueryParameter("X-Amz-Signature"),
        ),
        (format!("{VANILLA_QUERY}&X-Amz-Expires=3600"), Malformed::DuplicateQueryParameter("X-Amz-Expires")),
        (VANILLA_QUERY.replace("X-Amz-Expires=3600", "X-Amz-Expires=0"), Malformed::BadExpires("0".to_owned())),
        (
            VANILLA_QUERY.replace("X-Amz-Expires=3600", "X-Amz-Expires=604801"),
            Malformed::BadExpires("604801".to_owned()),
        ),
        (VANILLA_QUERY.replace("X-Amz-Expires=3600", "X-Amz-Expires=-1"), Malformed::BadExpires("-1".to_owned())),
        (VANILLA_QUERY.replace("X-Amz-Expires=3600", "X-Amz-Expires=%2B10"), Malformed::BadExpires("+10".to_owned())),
        (
            VANILLA_QUERY.replace("X-Amz-Date=20150830T123600Z", "X-Amz-Date=yesterday"),
            Malformed::BadDate("yesterday".to_owned()),
        ),
        (
            VANILLA_QUERY.replace("X-Amz-Credential=AKIDEXAMPLE%2F", "X-Amz-Credential="),
            Malformed::BadCredential("20150830/us-east-1/service/aws4_request".to_owned()),
        ),
        (VANILLA_QUERY.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date"), Malformed::HostNotSigned),
    ];
    for (query, expected) in cases {
        let err = check(&query, &host, b"", at(SIGNED_AT), &Options::new()).unwrap_err();
        assert_eq!(err, Sigv4Error::Incomplete(expected), "{query}");
    }
    assert!(check(
        &VANILLA_QUERY.replace("X-Amz-Expires=3600", "X-Amz-Expires=604800"),
        &host,
        b"",
        at(SIGNED_AT),
        &Options::new()
    )
    .unwrap_err()
    .to_string()
    .contains("signature does not match"));
}

/// A header-form request over `body` with `X-Amz-Content-Sha256: declared`, signed.
fn content_sha256_request(declared: &str, body: &[u8], options: &Options) -> Vec<(String, String)> {
    let mut headers = vec![
        ("Host".to_owned(), "example.amazonaws.com".to_owned()),
        ("X-Amz-Date".to_owned(), "20150830T123600Z".to_owned()),
        ("X-Amz-Content-Sha256".to_owned(), declared.to_owned()),
        (
            "Authorization".to_owned(),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0"
                .to_owned(),
        ),
    ];
    sign_headers("", &mut headers, body, at(SIGNED_AT), options);
    headers
}

#[test]
fn x_amz_content_sha256_is_checked_against_the_body() {
    let body = b"Action=ListUsers&Version=2010-05-08";
    let digest = hex::encode(<Sha256 as sha2::Digest>::digest(body));
    let options = Options::new();
    let headers = content_sha256_request(&digest, body, &options);
    let hs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert!(check("", &hs, body, at(SIGNED_AT), &options).unwrap().payload_signed);

    // The body the caller digested itself.
    let hb: Vec<(&str, &[u8])> = hs.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    let request =
        Request { method: "GET", path: "/", query: "", headers: &hb, body: Body::from_sha256_hex(&digest).unwrap() };
    assert!(verify(&request, at(SIGNED_AT), &options, lookup).is_ok());

    let err = check("", &hs, b"Action=DeleteUser", at(SIGNED_AT), &options).unwrap_err();
    assert!(matches!(err, Sigv4Error::ContentSha256Mismatch { .. }), "{err:?}");
    assert_eq!((err.code(), err.http_status()), ("XAmzContentSHA256Mismatch", 400));
}

#[test]
fn unsigned_payload_is_reported_and_can_be_refused() {
    let options = Options::new();
    let headers = content_sha256_request("UNSIGNED-PAYLOAD", b"anything", &options);
    let hs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let v = check("", &hs, b"anything else", at(SIGNED_AT), &options).unwrap();
    assert!(!v.payload_signed);
    let strict = Options::new().allow_unsigned_payload(false);
    let err = check("", &hs, b"anything", at(SIGNED_AT), &strict).unwrap_err();
    assert_eq!(err, Sigv4Error::Incomplete(Malformed::UnsupportedPayloadHash("UNSIGNED-PAYLOAD".to_owned())));
}

#[test]
fn streaming_payloads_are_refused() {
    let headers = [
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("Authorization", VANILLA_AUTH),
    ];
    let err = check("", &headers, b"", at(SIGNED_AT), &Options::new()).unwrap_err();
    assert_eq!(
        err,
        Sigv4Error::Incomplete(Malformed::UnsupportedPayloadHash("STREAMING-AWS4-HMAC-SHA256-PAYLOAD".to_owned()))
    );
}

#[test]
fn session_token_is_returned_and_must_be_single() {
    let options = Options::new();
    let mut headers = vec![
        ("Host".to_owned(), "example.amazonaws.com".to_owned()),
        ("X-Amz-Date".to_owned(), "20150830T123600Z".to_owned()),
        ("X-Amz-Security-Token".to_owned(), "  session+token/==  ".to_owned()),
        (
            "Authorization".to_owned(),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=0"
                .to_owned(),
        ),
    ];
    sign_headers("", &mut headers, b"", at(SIGNED_AT), &options);
    let hs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let v = check("", &hs, b"", at(SIGNED_AT), &options).unwrap();
    assert_eq!(v.session_token.as_deref(), Some("session+token/=="));
    assert!(!format!("{v:?}").contains("session+token"), "Debug shows the token");

    let mut twice = hs.clone();
    twice.push(("x-amz-security-token", "other"));
    let err = check("", &twice, b"", at(SIGNED_AT), &options).unwrap_err();
    assert_eq!(err, Sigv4Error::Incomplete(Malformed::DuplicateHeader("X-Amz-Security-Token")));
}

#[test]
fn long_malformed_values_are_echoed_truncated() {
    let long = "x".repeat(10_000);
    let err = with_auth(&format!("{long} Credential=a"));
    let Sigv4Error::Incomplete(Malformed::UnsupportedAlgorithm(echoed)) = &err else { panic!("{err:?}") };
    assert!(echoed.len() < 200);
    assert!(err.aws_message().len() < 300);
}

#[test]
fn error_codes_and_statuses() {
    let cases: Vec<(Sigv4Error, &str, u16)> = vec![
        (Sigv4Error::MissingAuthentication, "MissingAuthenticationToken", 403),
        (Sigv4Error::Incomplete(Malformed::MissingDate), "IncompleteSignature", 400),
        (Sigv4Error::UnknownAccessKey { access_key_id: "a".to_owned() }, "InvalidClientTokenId", 403),
        (Sigv4Error::Scope(ScopeMismatch::Region("r".to_owned())), "SignatureDoesNotMatch", 403),
        (
            Sigv4Error::SignatureDoesNotMatch { canonical_request: String::new(), string_to_sign: String::new() },
            "SignatureDoesNotMatch",
            403,
        ),
        (Sigv4Error::PresignedExpired { expired_at: String::new(), now: String::new() }, "ExpiredToken", 403),
        (
            Sigv4Error::ContentSha256Mismatch { claimed: String::new(), computed: String::new() },
            "XAmzContentSHA256Mismatch",
            400,
        ),
    ];
    for (err, code, status) in cases {
        assert_eq!((err.code(), err.http_status()), (code, status), "{err:?}");
        assert!(err.is_sender_fault());
        let display = err.to_string();
        assert!(!display.ends_with('.'), "{display}");
        assert!(display.chars().next().unwrap().is_lowercase(), "{display}");
    }
}

/// Pieces an `Authorization` header is made of, to build near-misses from.
fn auth_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("AWS4-HMAC-SHA256".to_owned()),
        Just("Credential=".to_owned()),
        Just("SignedHeaders=".to_owned()),
        Just("Signature=".to_owned()),
        Just("AKIDEXAMPLE/20150830/us-east-1/service/aws4_request".to_owned()),
        Just("host;x-amz-date".to_owned()),
        Just("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31".to_owned()),
        Just(",".to_owned()),
        Just(" ".to_owned()),
        Just("/".to_owned()),
        Just(";".to_owned()),
        Just("=".to_owned()),
        ".{0,6}",
    ]
}

fn query_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("X-Amz-Algorithm=AWS4-HMAC-SHA256".to_owned()),
        Just("X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request".to_owned()),
        Just("X-Amz-Date=20150830T123600Z".to_owned()),
        Just("X-Amz-Expires=".to_owned()),
        Just("X-Amz-SignedHeaders=host".to_owned()),
        Just("X-Amz-Signature=".to_owned()),
        Just("X-Amz-Security-Token=".to_owned()),
        Just("X-Amz-Content-Sha256=UNSIGNED-PAYLOAD".to_owned()),
        Just("&".to_owned()),
        Just("%".to_owned()),
        Just("%E1%88".to_owned()),
        Just("+".to_owned()),
        "[0-9]{1,8}",
        ".{0,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn malformed_authorization_never_panics(
        pieces in proptest::collection::vec(auth_piece(), 0..16),
        date in prop_oneof![Just("20150830T123600Z".to_owned()), ".{0,20}"],
        extra in proptest::collection::vec((".{0,12}", proptest::collection::vec(any::<u8>(), 0..16)), 0..4),
        now in any::<u64>(),
    ) {
        let auth = pieces.concat();
        let mut headers: Vec<(&str, &[u8])> = vec![
            ("Host", b"example.amazonaws.com"),
            ("X-Amz-Date", date.as_bytes()),
            ("Authorization", auth.as_bytes()),
        ];
        headers.extend(extra.iter().map(|(n, v)| (n.as_str(), v.as_slice())));
        let request = Request { method: "GET", path: "/", query: "", headers: &headers, body: Body::EMPTY };
        let now = UNIX_EPOCH.checked_add(Duration::from_secs(now >> 20)).unwrap_or(UNIX_EPOCH);
        let _ = verify(&request, now, &Options::new(), lookup);
    }

    #[test]
    fn malformed_query_never_panics(
        pieces in proptest::collection::vec(query_piece(), 0..16),
        path in ".{0,16}",
        method in ".{0,6}",
        body in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let query = pieces.join("&");
        let headers: Vec<(&str, &[u8])> = vec![("Host", b"example.amazonaws.com")];
        let request = Request { method: &method, path: &path, query: &query, headers: &headers, body: Body::Bytes(&body) };
        let _ = verify(&request, at(SIGNED_AT), &Options::new(), lookup);
        let _ = verify(&request, at(SIGNED_AT), &Options::new().normalize_path(false).double_encode_path(false), lookup);
    }

    #[test]
    fn arbitrary_bytes_never_panic(auth in proptest::collection::vec(any::<u8>(), 0..200), query in ".{0,200}") {
        let headers: Vec<(&str, &[u8])> = vec![("Host", b"h"), ("X-Amz-Date", b"20150830T123600Z"), ("Authorization", &auth)];
        let request = Request { method: "POST", path: "/", query: &query, headers: &headers, body: Body::EMPTY };
        let _ = verify(&request, at(SIGNED_AT), &Options::new(), lookup);
    }
}
