//! What the caller hands the verifier: the request as received, and the endpoint's options.

use std::time::Duration;

/// An HTTP request as it arrived, in the parts SigV4 signs. Framework-neutral: the server builds
/// one from whatever its HTTP library gives it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method, as sent (`GET`, `POST`).
    pub method: &'a str,
    /// The path of the request target as sent on the wire, still percent-encoded, without the
    /// query string (`/`, `/a%20b`).
    pub path: &'a str,
    /// The raw query string without the `?`, still percent-encoded; empty when there is none.
    pub query: &'a str,
    /// Every header as a name/value pair, in the order received; repeated names appear repeatedly.
    /// Names are compared case-insensitively. An HTTP/2 request passes its `:authority` as `host`.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The body, or its digest when the caller already has it.
    pub body: Body<'a>,
}

/// The request body, which SigV4 signs through its SHA-256 digest.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// The body's bytes; the verifier hashes them.
    Bytes(&'a [u8]),
    /// The body's SHA-256, computed by the caller (e.g. while streaming it in).
    Sha256([u8; 32]),
}

impl Body<'_> {
    /// The empty body of a `GET`.
    pub const EMPTY: Body<'static> = Body::Bytes(&[]);

    /// A body known by its SHA-256 in hex (either case), as a streaming caller may have it.
    #[must_use]
    pub fn from_sha256_hex(hex_digest: &str) -> Option<Body<'static>> {
        let mut digest = [0u8; 32];
        hex::decode_to_slice(hex_digest, &mut digest).ok()?;
        Some(Body::Sha256(digest))
    }

    pub(crate) fn digest(&self) -> [u8; 32] {
        match self {
            Body::Bytes(b) => crate::sign::sha256(b),
            Body::Sha256(d) => *d,
        }
    }
}

/// The endpoint's verification rules. The default is what IAM and STS do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub(crate) normalize_path: bool,
    pub(crate) double_encode_path: bool,
    pub(crate) max_skew_secs: u64,
    pub(crate) service: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) allow_unsigned_payload: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            normalize_path: true,
            double_encode_path: true,
            max_skew_secs: 15 * 60,
            service: None,
            region: None,
            allow_unsigned_payload: true,
        }
    }
}

impl Options {
    /// The defaults: the path normalized and double-encoded (every service but S3), 15 minutes of
    /// clock skew, any service and region, `UNSIGNED-PAYLOAD` accepted.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether to remove dot segments and empty segments from the path before encoding it. AWS
    /// does for every service but S3.
    #[must_use]
    pub fn normalize_path(mut self, yes: bool) -> Self {
        self.normalize_path = yes;
        self
    }

    /// Whether the canonical URI encodes the (already encoded) wire path once more. AWS does for
    /// every service but S3.
    #[must_use]
    pub fn double_encode_path(mut self, yes: bool) -> Self {
        self.double_encode_path = yes;
        self
    }

    /// How far a header-signed request's timestamp may be from `now`, either way. AWS allows 15
    /// minutes ("Signature expired ... (... - 15 min.)"). Whole seconds; sub-second parts are
    /// dropped.
    #[must_use]
    pub fn max_skew(mut self, skew: Duration) -> Self {
        self.max_skew_secs = skew.as_secs();
        self
    }

    /// Requires the credential scope to name this service (`iam`, `sts`), as an endpoint serving
    /// one service does; by default any is accepted and reported in [`crate::Verified`].
    #[must_use]
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// Requires the credential scope to name this region; by default any is accepted.
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Whether `X-Amz-Content-Sha256: UNSIGNED-PAYLOAD` (a signature that does not cover the body)
    /// is accepted. [`crate::Verified::payload_signed`] tells the caller which it got.
    #[must_use]
    pub fn allow_unsigned_payload(mut self, yes: bool) -> Self {
        self.allow_unsigned_payload = yes;
        self
    }
}
