//! Why a request failed verification, and how AWS would say so on the wire.
//!
//! Each variant knows its AWS error code and HTTP status in one place ([`Sigv4Error::code`],
//! [`Sigv4Error::http_status`]), and the message AWS sends with it ([`Sigv4Error::aws_message`]).
//! The codes and statuses are those of the IAM API's common errors
//! (<https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html>); the messages follow
//! "Troubleshoot signed requests for AWS APIs"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html>).

use std::fmt;

/// A failed SigV4 verification.
///
/// `Display` follows the project's convention (lowercase, no final period); the text that AWS puts
/// in its error XML is [`Sigv4Error::aws_message`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Sigv4Error {
    /// Neither an `Authorization` header nor `X-Amz-Algorithm` query parameter: the request is
    /// anonymous, which IAM and STS never accept.
    #[error("request is missing an authentication token")]
    MissingAuthentication,

    /// The request tries to authenticate but its signature elements are malformed or incomplete.
    #[error("incomplete signature: {0}")]
    Incomplete(#[from] Malformed),

    /// The access key id is not known to the secret lookup (or the caller refused it, e.g. because
    /// the key is inactive — AWS answers an inactive key the same way).
    #[error("unknown access key id `{access_key_id}`")]
    UnknownAccessKey {
        /// The access key id the request named.
        access_key_id: String,
    },

    /// The credential scope is well formed but does not fit the request or this endpoint.
    #[error("credential scope mismatch: {0}")]
    Scope(#[from] ScopeMismatch),

    /// The signature is well formed but not the one the secret key produces for this request.
    #[error("signature does not match")]
    SignatureDoesNotMatch {
        /// The canonical request the verifier computed; AWS shows it to help clients debug.
        canonical_request: String,
        /// The string to sign the verifier computed.
        string_to_sign: String,
    },

    /// The request was signed more than the allowed skew (15 minutes) before `now`.
    #[error("signature expired: `{signed_at}` is earlier than `{earliest}`")]
    SignatureExpired {
        /// The request's timestamp (`YYYYMMDDTHHMMSSZ`).
        signed_at: String,
        /// The earliest accepted timestamp, `now` minus the skew.
        earliest: String,
        /// The verifier's `now`.
        now: String,
        /// The allowed skew in whole minutes.
        skew_minutes: u64,
    },

    /// The request was signed more than the allowed skew (15 minutes) after `now`.
    #[error("signature not yet current: `{signed_at}` is later than `{latest}`")]
    SignatureNotYetCurrent {
        /// The request's timestamp (`YYYYMMDDTHHMMSSZ`).
        signed_at: String,
        /// The latest accepted timestamp, `now` plus the skew.
        latest: String,
        /// The verifier's `now`.
        now: String,
        /// The allowed skew in whole minutes.
        skew_minutes: u64,
    },

    /// A presigned URL used after `X-Amz-Date` + `X-Amz-Expires`.
    #[error("presigned request expired at `{expired_at}`")]
    PresignedExpired {
        /// When the URL stopped being valid (`YYYYMMDDTHHMMSSZ`).
        expired_at: String,
        /// The verifier's `now`.
        now: String,
    },

    /// `X-Amz-Content-Sha256` names a digest that is not the digest of the body received.
    #[error("x-amz-content-sha256 `{claimed}` does not match the body's digest `{computed}`")]
    ContentSha256Mismatch {
        /// The header's value.
        claimed: String,
        /// The SHA-256 of the body as received (hex).
        computed: String,
    },
}

impl Sigv4Error {
    /// The AWS error code for the `<Code>` element of the error response.
    ///
    /// Clock skew answers `SignatureDoesNotMatch`, as IAM and STS do ("Signature expired: ... is
    /// now earlier than ... (... - 15 min.)" is returned with that code by GetCallerIdentity and
    /// AssumeRole); an expired presigned URL answers `ExpiredToken`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingAuthentication => "MissingAuthenticationToken",
            Self::Incomplete(_) => "IncompleteSignature",
            Self::UnknownAccessKey { .. } => "InvalidClientTokenId",
            Self::Scope(_)
            | Self::SignatureDoesNotMatch { .. }
            | Self::SignatureExpired { .. }
            | Self::SignatureNotYetCurrent { .. } => "SignatureDoesNotMatch",
            Self::PresignedExpired { .. } => "ExpiredToken",
            Self::ContentSha256Mismatch { .. } => "XAmzContentSHA256Mismatch",
        }
    }

    /// The HTTP status AWS answers this error with.
    #[must_use]
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Incomplete(_) | Self::ContentSha256Mismatch { .. } => 400,
            Self::MissingAuthentication
            | Self::UnknownAccessKey { .. }
            | Self::Scope(_)
            | Self::SignatureDoesNotMatch { .. }
            | Self::SignatureExpired { .. }
            | Self::SignatureNotYetCurrent { .. }
            | Self::PresignedExpired { .. } => 403,
        }
    }

    /// Whether the fault is the sender's (`<Type>Sender</Type>` in the Query protocol's error XML).
    /// Every verification failure is.
    #[must_use]
    pub fn is_sender_fault(&self) -> bool {
        true
    }

    /// The message AWS sends with this error, for the `<Message>` element.
    ///
    /// For `SignatureDoesNotMatch` this is AWS's short sentence; the canonical request and string
    /// to sign are in the variant for a server that wants to show them as AWS does.
    #[must_use]
    pub fn aws_message(&self) -> String {
        match self {
            Self::MissingAuthentication => "Request is missing Authentication Token".to_owned(),
            Self::Incomplete(m) => m.aws_message(),
            Self::UnknownAccessKey { .. } => "The security token included in the request is invalid.".to_owned(),
            Self::Scope(s) => s.aws_message(),
            Self::SignatureDoesNotMatch { .. } => "The request signature we calculated does not \
                match the signature you provided. Check your AWS Secret Access Key and signing \
                method. Consult the service documentation for details."
                .to_owned(),
            Self::SignatureExpired { signed_at, earliest, now, skew_minutes } => {
                format!("Signature expired: {signed_at} is now earlier than {earliest} ({now} - {skew_minutes} min.)")
            }
            Self::SignatureNotYetCurrent { signed_at, latest, now, skew_minutes } => format!(
                "Signature not yet current: {signed_at} is still later than {latest} ({now} + {skew_minutes} min.)"
            ),
            Self::PresignedExpired { .. } => "Request has expired".to_owned(),
            Self::ContentSha256Mismatch { .. } => {
                "The provided 'x-amz-content-sha256' header does not match what was computed.".to_owned()
            }
        }
    }
}

/// How the signature elements of a request are malformed (`IncompleteSignature`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// Both the `Authorization` header and presigned query parameters are present.
    BothAuthForms,
    /// More than one `Authorization` header.
    DuplicateAuthorization,
    /// The `Authorization` header or `X-Amz-Algorithm` names an algorithm other than
    /// `AWS4-HMAC-SHA256`.
    UnsupportedAlgorithm(String),
    /// An `Authorization` header element is not `Name=Value`, or names an unknown element.
    BadAuthorizationElement(String),
    /// An `Authorization` header element appears twice.
    DuplicateAuthorizationElement(&'static str),
    /// The `Authorization` header lacks `Credential`, `SignedHeaders` or `Signature`.
    MissingAuthorizationElement(&'static str),
    /// A required presigned query parameter is missing.
    MissingQueryParameter(&'static str),
    /// A presigned query parameter appears twice.
    DuplicateQueryParameter(&'static str),
    /// The credential is not `keyid/date/region/service/aws4_request`.
    BadCredential(String),
    /// Neither `X-Amz-Date` nor `Date` is present (header form).
    MissingDate,
    /// A singleton header (`X-Amz-Date`, `X-Amz-Security-Token`, `X-Amz-Content-Sha256`) appears
    /// more than once.
    DuplicateHeader(&'static str),
    /// The date is not in `YYYYMMDDTHHMMSSZ` (or, for `Date`, IMF-fixdate) form.
    BadDate(String),
    /// `X-Amz-Expires` is not an integer in 1..=604800.
    BadExpires(String),
    /// `SignedHeaders` is empty, not lowercase, not sorted, or repeats a name.
    BadSignedHeaders(String),
    /// `host` is not among the signed headers.
    HostNotSigned,
    /// `X-Amz-Content-Sha256` is neither a SHA-256 hex digest nor `UNSIGNED-PAYLOAD` (streaming
    /// payloads are not supported), or `UNSIGNED-PAYLOAD` where the options forbid it.
    UnsupportedPayloadHash(String),
    /// A header value the verifier needs as text is not valid UTF-8.
    NonUtf8Header(&'static str),
}

impl Malformed {
    /// AWS's message for this condition.
    #[must_use]
    pub fn aws_message(&self) -> String {
        match self {
            Self::BothAuthForms => "Only one auth mechanism allowed; only the X-Amz-Algorithm query \
                parameter or the Authorization header should be specified"
                .to_owned(),
            Self::DuplicateAuthorization => "Only one Authorization header is allowed".to_owned(),
            Self::UnsupportedAlgorithm(a) => {
                format!("Unsupported AWS 'algorithm': '{a}'")
            }
            Self::BadAuthorizationElement(e) => {
                format!("'{e}' not a valid key=value pair (missing equal-sign) in Authorization header")
            }
            Self::DuplicateAuthorizationElement(e) => {
                format!("Authorization header has duplicate '{e}' parameter")
            }
            Self::MissingAuthorizationElement(e) => {
                format!("Authorization header requires '{e}' parameter.")
            }
            Self::MissingQueryParameter(p) => {
                format!("AWS query-string parameters must include '{p}'. Re-examine the query-string parameters.")
            }
            Self::DuplicateQueryParameter(p) => {
                format!("AWS query-string parameter '{p}' must appear only once")
            }
            Self::BadCredential(c) => format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. \
                 keyid/date/region/service/term, got '{c}'"
            ),
            Self::MissingDate => "Authorization header requires existence of either a \
                'X-Amz-Date' or a 'Date' header."
                .to_owned(),
            Self::DuplicateHeader(h) => format!("Only one '{h}' header is allowed"),
            Self::BadDate(d) => {
                format!("Date must be in ISO-8601 'basic format'. Got '{d}'. See http://en.wikipedia.org/wiki/ISO_8601")
            }
            Self::BadExpires(e) => {
                format!("X-Amz-Expires must be an integer between 1 and 604800 (one week), got '{e}'")
            }
            Self::BadSignedHeaders(h) => format!(
                "SignedHeaders must be a non-empty, sorted, semicolon-separated list of lowercase \
                 header names, got '{h}'"
            ),
            Self::HostNotSigned => {
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned()
            }
            Self::UnsupportedPayloadHash(v) => {
                format!("Unsupported x-amz-content-sha256 value '{v}'")
            }
            Self::NonUtf8Header(h) => format!("Header '{h}' must be valid UTF-8"),
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BothAuthForms => {
                f.write_str("both the authorization header and presigned query parameters are present")
            }
            Self::DuplicateAuthorization => f.write_str("more than one authorization header"),
            Self::UnsupportedAlgorithm(a) => write!(f, "unsupported algorithm `{a}`"),
            Self::BadAuthorizationElement(e) => write!(f, "bad authorization element `{e}`"),
            Self::DuplicateAuthorizationElement(e) => {
                write!(f, "duplicate authorization element `{e}`")
            }
            Self::MissingAuthorizationElement(e) => {
                write!(f, "authorization header lacks `{e}`")
            }
            Self::MissingQueryParameter(p) => write!(f, "missing query parameter `{p}`"),
            Self::DuplicateQueryParameter(p) => write!(f, "duplicate query parameter `{p}`"),
            Self::BadCredential(c) => write!(f, "malformed credential `{c}`"),
            Self::MissingDate => f.write_str("neither x-amz-date nor date is present"),
            Self::DuplicateHeader(h) => write!(f, "duplicate header `{h}`"),
            Self::BadDate(d) => write!(f, "malformed date `{d}`"),
            Self::BadExpires(e) => write!(f, "malformed x-amz-expires `{e}`"),
            Self::BadSignedHeaders(h) => write!(f, "malformed signed headers `{h}`"),
            Self::HostNotSigned => f.write_str("host is not a signed header"),
            Self::UnsupportedPayloadHash(v) => {
                write!(f, "unsupported x-amz-content-sha256 `{v}`")
            }
            Self::NonUtf8Header(h) => write!(f, "header `{h}` is not valid utf-8"),
        }
    }
}

impl std::error::Error for Malformed {}

/// How a well-formed credential scope fails to fit (`SignatureDoesNotMatch`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScopeMismatch {
    /// The scope's date is not the date of `X-Amz-Date`.
    Date {
        /// The scope's `YYYYMMDD`.
        scope: String,
        /// The request timestamp's `YYYYMMDD`.
        request: String,
        /// The request timestamp.
        timestamp: String,
    },
    /// The scope names a region other than the one the options require.
    Region(String),
    /// The scope names a service other than the one the options require.
    Service {
        /// The service the options require.
        expected: String,
        /// The service the scope names.
        found: String,
    },
    /// The scope's last element is not `aws4_request`.
    Terminator(String),
}

impl ScopeMismatch {
    /// AWS's message for this condition.
    #[must_use]
    pub fn aws_message(&self) -> String {
        match self {
            Self::Date { scope, request, timestamp } => format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
                 from HTTP: '{scope}' != '{request}', from '{timestamp}'."
            ),
            Self::Region(r) => format!("Credential should be scoped to a valid region, not '{r}'. "),
            Self::Service { expected, .. } => {
                format!("Credential should be scoped to correct service: '{expected}'. ")
            }
            Self::Terminator(t) => {
                format!("Credential should be scoped with a valid terminator: 'aws4_request', not '{t}'. ")
            }
        }
    }
}

impl fmt::Display for ScopeMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Date { scope, request, .. } => {
                write!(f, "scope date `{scope}` is not the request date `{request}`")
            }
            Self::Region(r) => write!(f, "unexpected region `{r}`"),
            Self::Service { expected, found } => {
                write!(f, "service `{found}` where `{expected}` was expected")
            }
            Self::Terminator(t) => write!(f, "terminator `{t}` is not `aws4_request`"),
        }
    }
}

impl std::error::Error for ScopeMismatch {}
