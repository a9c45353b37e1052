//! AWS Signature Version 4 verification: the server's half of SigV4, so that requests signed by
//! the AWS CLI, boto3 and the AWS SDKs authenticate against monban as they do against AWS.
//!
//! Pure: no I/O and no clock. The caller passes the request as received ([`Request`]), the current
//! time, and the secret for the access key the request names. Both places a signature can travel
//! are verified — the `Authorization` header and the query string of a presigned URL — along with
//! `X-Amz-Security-Token` (returned for the caller to check), `X-Amz-Content-Sha256` (including
//! `UNSIGNED-PAYLOAD`), the ±15 minute clock-skew window and `X-Amz-Expires`. Signatures are
//! compared in constant time.
//!
//! The rules are AWS's "Create a signed AWS API request"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>); each module
//! cites the part it implements. Failures are [`Sigv4Error`]s that carry AWS's error code, HTTP
//! status and message.
//!
//! What is accepted, where signers or services differ:
//! - The canonical URI follows every service but S3 by default (path normalized, then encoded a
//!   second time); [`Options`] switches to S3's rules.
//! - Query strings are read as `application/x-www-form-urlencoded` (`+` is a space), as the AWS
//!   SDK for Rust reads them; the other SDKs always send `%2B` and `%20`, so they agree.
//! - A presigned URL signs every query parameter but `X-Amz-Signature`, `X-Amz-Security-Token`
//!   included, as the SDKs' presigned URLs do; a token appended after signing does not verify.
//!   In the header form the token need not be signed (it is returned either way).
//! - `X-Amz-Content-Sha256` may be a digest (checked against the body) or `UNSIGNED-PAYLOAD`
//!   (reported in [`Verified::payload_signed`]); chunked `STREAMING-...` payloads are refused.
//! - `X-Amz-Expires` is honoured as written, from 1 second to 7 days.
//!
//! Why a verifier of our own (reviewed 2026-12): `aws-sigv4`, the SDK's crate, only signs;
//! `s3s` verifies thoroughly but privately, inside its S3 service, with no session-token hook;
//! `scratchstack-aws-signature` verifies but has one maintainer, buffers and hashes the body
//! itself, and in the source reviewed handled neither `UNSIGNED-PAYLOAD` nor `X-Amz-Expires`;
//! `rusoto_signature` is unmaintained and signs only. Ours is checked against AWS's test suite and
//! re-signs random requests with `aws-sigv4` in property tests.
//!
//! With the `test-util` feature, [`signer`] signs requests too, for tests and benchmarks that
//! drive a server.
//!
//! Verification is two steps so a server can look the key up asynchronously in between:
//! [`parse`] reads the signature elements (needing no secret), [`Claim::verify`] checks them
//! against the secret. [`verify`] does both with a synchronous lookup.
//!
//! ```
//! use std::time::{Duration, SystemTime, UNIX_EPOCH};
//! use monban_sigv4::{verify, Body, Options, Request, SigningSecret};
//!
//! // The `get-vanilla` request of the AWS SigV4 test suite.
//! let authorization = "AWS4-HMAC-SHA256 \
//!     Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
//!     SignedHeaders=host;x-amz-date, \
//!     Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
//! let headers: &[(&str, &[u8])] = &[
//!     ("Host", b"example.amazonaws.com"),
//!     ("X-Amz-Date", b"20150830T123600Z"),
//!     ("Authorization", authorization.as_bytes()),
//! ];
//! let request = Request { method: "GET", path: "/", query: "", headers, body: Body::EMPTY };
//! let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z
//!
//! let verified = verify(&request, now, &Options::new(), |key_id| {
//!     (key_id == "AKIDEXAMPLE")
//!         .then(|| SigningSecret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "account 123456789012"))
//! })
//! .unwrap();
//! assert_eq!(verified.access_key_id, "AKIDEXAMPLE");
//! assert_eq!(verified.scope.service, "service");
//! assert_eq!(verified.attached, "account 123456789012");
//!
//! // Ten minutes too late for the skew window:
//! let later = now + Duration::from_secs(25 * 60);
//! let err = verify(&request, later, &Options::new(), |_| Some(SigningSecret::new("x", ()))).unwrap_err();
//! assert_eq!((err.code(), err.http_status()), ("SignatureDoesNotMatch", 403));
//! assert!(err.aws_message().starts_with("Signature expired: 20150830T123600Z is now earlier than"));
//! ```

mod canonical;
mod error;
mod request;
mod sign;
#[cfg(any(test, feature = "test-util"))]
pub mod signer;
mod time;
mod verify;

pub use error::{Malformed, ScopeMismatch, Sigv4Error};
pub use request::{Body, Options, Request};
pub use verify::{parse, verify, AuthForm, Claim, CredentialScope, ScopedKey, SigningSecret, Verified};
