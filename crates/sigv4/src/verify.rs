//! Reading a request's signature elements into a [`Claim`], and checking the claim against the
//! secret key into a [`Verified`].
//!
//! Header form: "Authenticating Requests: Using the Authorization Header"; query form: "Create a
//! presigned URL" / "Authenticating Requests: Using Query Parameters"; both in
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html> and
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use crate::canonical::{self, QueryParam};
use crate::error::{Malformed, ScopeMismatch, Sigv4Error};
use crate::request::{Options, Request};
use crate::sign::{self, ALGORITHM};
use crate::time::{self, UnixSeconds};

/// The longest a presigned URL may be valid: seven days, the life of a signing key
/// ("X-Amz-Expires ... The maximum value you can set is 604800").
const MAX_EXPIRES_SECS: u64 = 604_800;

/// At most this much of a malformed value is echoed back in an error.
const ECHO_LIMIT: usize = 128;

fn echo(s: &str) -> String {
    match s.char_indices().nth(ECHO_LIMIT) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

fn echo_bytes(b: &[u8]) -> String {
    echo(&String::from_utf8_lossy(b))
}

/// The date, region and service a signature is bound to (`20150830/us-east-1/iam/aws4_request`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CredentialScope {
    /// The scope's `YYYYMMDD`, always the date of the request's timestamp.
    pub date: String,
    /// The region (`us-east-1`; IAM is signed for `us-east-1` in the `aws` partition).
    pub region: String,
    /// The service signing name (`iam`, `sts`).
    pub service: String,
}

impl CredentialScope {
    /// `date/region/service/aws4_request`, the scope line of the string to sign.
    #[must_use]
    pub fn to_scope_string(&self) -> String {
        let mut out = String::with_capacity(self.date.len() + self.region.len() + self.service.len() + 15);
        for part in [&self.date, "/", &self.region, "/", &self.service, "/aws4_request"] {
            out.push_str(part);
        }
        out
    }
}

/// Where the signature travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthForm {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
    Header,
    /// `X-Amz-Algorithm`, `X-Amz-Credential`, ... query parameters (a presigned URL).
    Presigned {
        /// `X-Amz-Expires`: how long after its timestamp the URL is valid.
        expires_in: Duration,
    },
}

/// What the lookup knows about an access key: its secret, and whatever the caller wants back
/// with a successful verification (the account, the user, the session's expected token...).
#[derive(Clone)]
pub struct SigningSecret<T> {
    /// The secret access key.
    pub secret_access_key: String,
    /// Returned in [`Verified::attached`] when the signature holds.
    pub attached: T,
}

impl<T> SigningSecret<T> {
    /// A secret with the caller's data attached.
    pub fn new(secret_access_key: impl Into<String>, attached: T) -> Self {
        Self { secret_access_key: secret_access_key.into(), attached }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for SigningSecret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningSecret")
            .field("secret_access_key", &"<redacted>")
            .field("attached", &self.attached)
            .finish()
    }
}

/// A secret access key's signing key for one credential scope ("Derive a signing key" in
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>): good for that
/// day, region and service only. A verifier that keeps it for a key spares every later request of
/// the same scope the four derivation HMACs, and itself from holding or reopening the secret.
#[derive(Clone)]
pub struct ScopedKey {
    scope: CredentialScope,
    key: [u8; 32],
}

impl ScopedKey {
    /// Derives the signing key of `secret_access_key` for `scope`; `None` only if HMAC refused a
    /// key, which it never does (callers fail closed).
    #[must_use]
    pub fn derive(secret_access_key: &str, scope: &CredentialScope) -> Option<ScopedKey> {
        let key = sign::signing_key(secret_access_key, &scope.date, &scope.region, &scope.service)?;
        Some(ScopedKey { scope: scope.clone(), key })
    }

    /// The scope it signs for: a request of any other scope does not verify with it.
    #[must_use]
    pub fn scope(&self) -> &CredentialScope {
        &self.scope
    }
}

impl std::fmt::Debug for ScopedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopedKey").field("scope", &self.scope).field("key", &"<redacted>").finish()
    }
}

/// A request whose signature holds. `Debug` leaves the session token out.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified<T> {
    /// The access key id that signed the request.
    pub access_key_id: String,
    /// The date, region and service the signature is bound to.
    pub scope: CredentialScope,
    /// The request's timestamp (`X-Amz-Date`).
    pub signed_at: SystemTime,
    /// `X-Amz-Security-Token`, if the request carried one: the caller checks it belongs to the
    /// access key (temporary credentials) and has not expired.
    pub session_token: Option<String>,
    /// Header or presigned.
    pub form: AuthForm,
    /// The headers the signature covers (lowercase, sorted).
    pub signed_headers: Vec<String>,
    /// Whether the signature covers the body (`false` for `UNSIGNED-PAYLOAD`).
    pub payload_signed: bool,
    /// What the lookup attached to the secret.
    pub attached: T,
}

impl<T: std::fmt::Debug> std::fmt::Debug for Verified<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.scope)
            .field("signed_at", &self.signed_at)
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .field("form", &self.form)
            .field("signed_headers", &self.signed_headers)
            .field("payload_signed", &self.payload_signed)
            .field("attached", &self.attached)
            .finish()
    }
}

/// The payload line of the canonical request.
#[derive(Debug)]
enum PayloadHash {
    /// `X-Amz-Content-Sha256` as sent (a digest already checked against the body, or
    /// `UNSIGNED-PAYLOAD`).
    Declared { value: String, signed: bool },
    /// The body's own digest.
    Computed([u8; 32]),
}

/// A request's signature elements, read and checked for form, scope and time, but not yet
/// checked against a secret. Getting one needs no secret, so a server can look the key up
/// (asynchronously, in its store) between [`parse`] and [`Claim::verify`]. `Debug` shows the
/// elements read, not the request's headers or session token.
pub struct Claim<'r> {
    request: &'r Request<'r>,
    options: &'r Options,
    query: Vec<QueryParam<'r>>,
    form: AuthForm,
    access_key_id: String,
    scope: CredentialScope,
    timestamp: String,
    signed_at: UnixSeconds,
    signed_headers: Vec<String>,
    signature: String,
    session_token: Option<String>,
    payload: PayloadHash,
}

impl std::fmt::Debug for Claim<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claim")
            .field("form", &self.form)
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.scope)
            .field("timestamp", &self.timestamp)
            .field("signed_headers", &self.signed_headers)
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// The values of every header named `name` (case-insensitively).
fn header_values<'a>(request: &Request<'a>, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
    let headers = request.headers;
    headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
}

/// The one value of a header that must not repeat, trimmed, as text.
fn single_header<'a>(
    request: &Request<'a>,
    name: &'a str,
    display: &'static str,
) -> Result<Option<&'a str>, Malformed> {
    let mut values = header_values(request, name);
    let Some(first) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(Malformed::DuplicateHeader(display));
    }
    let text = std::str::from_utf8(first).map_err(|_| Malformed::NonUtf8Header(display))?;
    Ok(Some(text.trim_matches(|c: char| c.is_ascii_whitespace())))
}

/// The one value of a presigned query parameter, decoded.
fn single_param<'q>(query: &'q [QueryParam<'_>], name: &'static str) -> Result<Option<&'q [u8]>, Malformed> {
    let mut values = query.iter().filter(|p| p.name.as_ref() == name.as_bytes());
    let Some(first) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(Malformed::DuplicateQueryParameter(name));
    }
    Ok(Some(first.value.as_ref()))
}

fn required_param<'q>(query: &'q [QueryParam<'_>], name: &'static str) -> Result<&'q [u8], Malformed> {
    single_param(query, name)?.ok_or(Malformed::MissingQueryParameter(name))
}

/// The query parameters whose presence makes a request presigned.
const PRESIGN_PARAMS: [&str; 3] = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"];

/// The raw elements before their values are checked.
struct Elements {
    form: AuthForm,
    credential: String,
    signed_headers: String,
    signature: String,
    timestamp: UnixSeconds,
    session_token: Option<String>,
}

fn header_elements(request: &Request<'_>, authorization: &[u8]) -> Result<Elements, Malformed> {
    let text = std::str::from_utf8(authorization).map_err(|_| Malformed::NonUtf8Header("Authorization"))?;
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let (algorithm, rest) = text.split_once(|c: char| c.is_ascii_whitespace()).unwrap_or((text, ""));
    if algorithm != ALGORITHM {
        return Err(Malformed::UnsupportedAlgorithm(echo(algorithm)));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for element in rest.split(',') {
        let element = element.trim_matches(|c: char| c.is_ascii_whitespace());
        if element.is_empty() {
            continue;
        }
        let (name, value) = element.split_once('=').ok_or_else(|| Malformed::BadAuthorizationElement(echo(element)))?;
        let (slot, display) = match name {
            "Credential" => (&mut credential, "Credential"),
            "SignedHeaders" => (&mut signed_headers, "SignedHeaders"),
            "Signature" => (&mut signature, "Signature"),
            _ => return Err(Malformed::BadAuthorizationElement(echo(element))),
        };
        if slot.replace(value.to_owned()).is_some() {
            return Err(Malformed::DuplicateAuthorizationElement(display));
        }
    }
    let credential = credential.ok_or(Malformed::MissingAuthorizationElement("Credential"))?;
    let signed_headers = signed_headers.ok_or(Malformed::MissingAuthorizationElement("SignedHeaders"))?;
    let signature = signature.ok_or(Malformed::MissingAuthorizationElement("Signature"))?;

    // "The date used to create the signature must match the X-Amz-Date header, or the Date header
    // when X-Amz-Date is absent."
    let timestamp = if let Some(date) = single_header(request, "x-amz-date", "X-Amz-Date")? {
        time::parse_amz_date(date).ok_or_else(|| Malformed::BadDate(echo(date)))?
    } else if let Some(date) = single_header(request, "date", "Date")? {
        time::parse_http_date(date).ok_or_else(|| Malformed::BadDate(echo(date)))?
    } else {
        return Err(Malformed::MissingDate);
    };
    let session_token = single_header(request, "x-amz-security-token", "X-Amz-Security-Token")?.map(str::to_owned);
    Ok(Elements { form: AuthForm::Header, credential, signed_headers, signature, timestamp, session_token })
}

fn utf8_param(value: &[u8], bad: impl FnOnce(String) -> Malformed) -> Result<String, Malformed> {
    String::from_utf8(value.to_vec()).map_err(|_| bad(echo_bytes(value)))
}

fn query_elements(query: &[QueryParam<'_>]) -> Result<Elements, Malformed> {
    let algorithm = required_param(query, "X-Amz-Algorithm")?;
    if algorithm != ALGORITHM.as_bytes() {
        return Err(Malformed::UnsupportedAlgorithm(echo_bytes(algorithm)));
    }
    let credential = utf8_param(required_param(query, "X-Amz-Credential")?, Malformed::BadCredential)?;
    let date = utf8_param(required_param(query, "X-Amz-Date")?, Malformed::BadDate)?;
    let timestamp = time::parse_amz_date(&date).ok_or_else(|| Malformed::BadDate(echo(&date)))?;
    let expires = utf8_param(required_param(query, "X-Amz-Expires")?, Malformed::BadExpires)?;
    let expires_secs = Some(expires.as_str())
        .filter(|e| !e.is_empty() && e.len() <= 7 && e.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|e| e.parse::<u64>().ok())
        .filter(|e| (1..=MAX_EXPIRES_SECS).contains(e))
        .ok_or_else(|| Malformed::BadExpires(echo(&expires)))?;
    let signed_headers = utf8_param(required_param(query, "X-Amz-SignedHeaders")?, Malformed::BadSignedHeaders)?;
    let signature = String::from_utf8_lossy(required_param(query, "X-Amz-Signature")?).into_owned();
    let session_token = single_param(query, "X-Amz-Security-Token")?.map(|t| String::from_utf8_lossy(t).into_owned());
    Ok(Elements {
        form: AuthForm::Presigned { expires_in: Duration::from_secs(expires_secs) },
        credential,
        signed_headers,
        signature,
        timestamp,
        session_token,
    })
}

/// Whether `b` may appear in an HTTP field name (RFC 9110 `tchar`), lowercase only.
fn is_lower_tchar(b: u8) -> bool {
    b.is_ascii_lowercase()
        || b.is_ascii_digit()
        || matches!(
            b,
            b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
        )
}

/// Checks `SignedHeaders`: lowercase names, sorted, each once ("Signed headers: an alphabetically
/// sorted, semicolon-separated list of lowercase request header names"), `host` among them.
fn parse_signed_headers(list: &str) -> Result<Vec<String>, Malformed> {
    let bad = || Malformed::BadSignedHeaders(echo(list));
    let mut names: Vec<String> = Vec::with_capacity(list.bytes().filter(|b| *b == b';').count() + 1);
    for name in list.split(';') {
        if name.is_empty() || !name.bytes().all(is_lower_tchar) {
            return Err(bad());
        }
        if names.last().is_some_and(|prev| prev.as_str() >= name) {
            return Err(bad());
        }
        names.push(name.to_owned());
    }
    if !names.iter().any(|n| n == "host") {
        return Err(Malformed::HostNotSigned);
    }
    Ok(names)
}

/// Splits `keyid/date/region/service/aws4_request` and checks it against the request.
fn parse_credential(
    credential: &str,
    timestamp: &str,
    options: &Options,
) -> Result<(String, CredentialScope), Sigv4Error> {
    let mut parts = credential.split('/');
    let (Some(key), Some(date), Some(region), Some(service), Some(terminator), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Malformed::BadCredential(echo(credential)).into());
    };
    if key.is_empty() || region.is_empty() || service.is_empty() {
        return Err(Malformed::BadCredential(echo(credential)).into());
    }
    if terminator != "aws4_request" {
        return Err(ScopeMismatch::Terminator(echo(terminator)).into());
    }
    let request_date = timestamp.get(..8).unwrap_or(timestamp);
    if date != request_date {
        return Err(ScopeMismatch::Date {
            scope: echo(date),
            request: request_date.to_owned(),
            timestamp: timestamp.to_owned(),
        }
        .into());
    }
    if let Some(expected) = &options.region {
        if region != expected {
            return Err(ScopeMismatch::Region(echo(region)).into());
        }
    }
    if let Some(expected) = &options.service {
        if service != expected {
            return Err(ScopeMismatch::Service { expected: expected.clone(), found: echo(service) }.into());
        }
    }
    Ok((
        (*key).to_owned(),
        CredentialScope { date: (*date).to_owned(), region: (*region).to_owned(), service: (*service).to_owned() },
    ))
}

/// The request's time window: a header signature within the skew of `now` either way
/// ("Signature expired" / "Signature not yet current"); a presigned URL from no later than the
/// skew after `now` until `X-Amz-Date` + `X-Amz-Expires`. The bounds themselves are accepted.
fn check_time(form: AuthForm, signed_at: UnixSeconds, now: UnixSeconds, skew: u64) -> Result<(), Sigv4Error> {
    let skew_i = i64::try_from(skew).unwrap_or(i64::MAX);
    let skew_minutes = skew / 60;
    let latest = now.saturating_add(skew_i);
    if signed_at > latest {
        return Err(Sigv4Error::SignatureNotYetCurrent {
            signed_at: time::format_amz_date(signed_at),
            latest: time::format_amz_date(latest),
            now: time::format_amz_date(now),
            skew_minutes,
        });
    }
    match form {
        AuthForm::Header => {
            let earliest = now.saturating_sub(skew_i);
            if signed_at < earliest {
                return Err(Sigv4Error::SignatureExpired {
                    signed_at: time::format_amz_date(signed_at),
                    earliest: time::format_amz_date(earliest),
                    now: time::format_amz_date(now),
                    skew_minutes,
                });
            }
        }
        AuthForm::Presigned { expires_in } => {
            let expires = i64::try_from(expires_in.as_secs()).unwrap_or(i64::MAX);
            let expired_at = signed_at.saturating_add(expires);
            if now > expired_at {
                return Err(Sigv4Error::PresignedExpired {
                    expired_at: time::format_amz_date(expired_at),
                    now: time::format_amz_date(now),
                });
            }
        }
    }
    Ok(())
}

/// The payload line: `X-Amz-Content-Sha256` when the request declares it (checked against the
/// body), else the body's digest. Only a digest or `UNSIGNED-PAYLOAD` is understood; the
/// `STREAMING-...` forms of chunked uploads are refused, never passed through unchecked.
fn payload_hash(
    request: &Request<'_>,
    query: &[QueryParam<'_>],
    form: AuthForm,
    options: &Options,
) -> Result<PayloadHash, Sigv4Error> {
    let declared: Option<Cow<'_, str>> = match single_header(request, "x-amz-content-sha256", "X-Amz-Content-Sha256")? {
        Some(v) => Some(Cow::Borrowed(v)),
        None if matches!(form, AuthForm::Presigned { .. }) => {
            single_param(query, "X-Amz-Content-Sha256")?.map(String::from_utf8_lossy)
        }
        None => None,
    };
    let body = request.body.digest();
    let Some(value) = declared else { return Ok(PayloadHash::Computed(body)) };
    if value == "UNSIGNED-PAYLOAD" {
        if !options.allow_unsigned_payload {
            return Err(Malformed::UnsupportedPayloadHash(value.into_owned()).into());
        }
        return Ok(PayloadHash::Declared { value: value.into_owned(), signed: false });
    }
    let mut claimed = [0u8; 32];
    if value.len() != 64 || hex::decode_to_slice(value.as_bytes(), &mut claimed).is_err() {
        return Err(Malformed::UnsupportedPayloadHash(echo(&value)).into());
    }
    if claimed != body {
        return Err(Sigv4Error::ContentSha256Mismatch { claimed: value.into_owned(), computed: hex::encode(body) });
    }
    Ok(PayloadHash::Declared { value: value.into_owned(), signed: true })
}

/// Reads and checks a request's signature elements: their form, the credential scope, the time
/// window against `now`, and `X-Amz-Content-Sha256` against the body. Needs no secret.
///
/// # Errors
/// [`Sigv4Error::MissingAuthentication`] for an unsigned request; [`Sigv4Error::Incomplete`] for
/// malformed elements; [`Sigv4Error::Scope`], [`Sigv4Error::SignatureExpired`],
/// [`Sigv4Error::SignatureNotYetCurrent`], [`Sigv4Error::PresignedExpired`] and
/// [`Sigv4Error::ContentSha256Mismatch`] as their names say.
pub fn parse<'r>(request: &'r Request<'r>, now: SystemTime, options: &'r Options) -> Result<Claim<'r>, Sigv4Error> {
    let query = canonical::parse_query(request.query);
    let mut authorizations = header_values(request, "authorization");
    let authorization = authorizations.next();
    if authorizations.next().is_some() {
        return Err(Malformed::DuplicateAuthorization.into());
    }
    let presigned = query.iter().any(|p| PRESIGN_PARAMS.iter().any(|n| p.name.as_ref() == n.as_bytes()));
    let elements = match (authorization, presigned) {
        (Some(_), true) => return Err(Malformed::BothAuthForms.into()),
        (None, false) => return Err(Sigv4Error::MissingAuthentication),
        (Some(value), false) => header_elements(request, value)?,
        (None, true) => query_elements(&query)?,
    };
    let timestamp = time::format_amz_date(elements.timestamp);
    let (access_key_id, scope) = parse_credential(&elements.credential, &timestamp, options)?;
    let signed_headers = parse_signed_headers(&elements.signed_headers)?;
    check_time(elements.form, elements.timestamp, time::unix_seconds(now), options.max_skew_secs)?;
    let payload = payload_hash(request, &query, elements.form, options)?;
    Ok(Claim {
        request,
        options,
        query,
        form: elements.form,
        access_key_id,
        scope,
        timestamp,
        signed_at: elements.timestamp,
        signed_headers,
        signature: elements.signature,
        session_token: elements.session_token,
        payload,
    })
}

/// Parses and verifies in one step, looking the secret up with `lookup` (access key id → secret,
/// or `None` for a key that is unknown or refused).
///
/// # Errors
/// Those of [`parse`], then [`Sigv4Error::UnknownAccessKey`] and
/// [`Sigv4Error::SignatureDoesNotMatch`].
pub fn verify<T>(
    request: &Request<'_>,
    now: SystemTime,
    options: &Options,
    lookup: impl FnOnce(&str) -> Option<SigningSecret<T>>,
) -> Result<Verified<T>, Sigv4Error> {
    let claim = parse(request, now, options)?;
    let secret = lookup(claim.access_key_id());
    claim.verify(secret)
}

impl<'r> Claim<'r> {
    /// The access key id the request names, for the secret lookup.
    #[must_use]
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The credential scope the request names.
    #[must_use]
    pub fn scope(&self) -> &CredentialScope {
        &self.scope
    }

    /// `X-Amz-Security-Token`, if present.
    #[must_use]
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }

    /// Header or presigned.
    #[must_use]
    pub fn form(&self) -> AuthForm {
        self.form
    }

    fn canonical_request_bytes(&self) -> Vec<u8> {
        let r = self.request;
        let mut out = Vec::with_capacity(256 + r.query.len() + 64 * self.signed_headers.len());
        out.extend_from_slice(r.method.as_bytes());
        out.push(b'\n');
        canonical::canonical_uri_into(&mut out, r.path, self.options.normalize_path, self.options.double_encode_path);
        out.push(b'\n');
        let presigned = matches!(self.form, AuthForm::Presigned { .. });
        canonical::canonical_query_into(&mut out, &self.query, presigned);
        out.push(b'\n');
        let names: Vec<&str> = self.signed_headers.iter().map(String::as_str).collect();
        canonical::canonical_headers_into(&mut out, r.headers, &names);
        out.push(b'\n');
        for (i, name) in self.signed_headers.iter().enumerate() {
            if i > 0 {
                out.push(b';');
            }
            out.extend_from_slice(name.as_bytes());
        }
        out.push(b'\n');
        match &self.payload {
            PayloadHash::Declared { value, .. } => out.extend_from_slice(value.as_bytes()),
            PayloadHash::Computed(digest) => {
                let mut hex = [0u8; 64];
                // 32 bytes always fit 64 hex digits.
                let _ = hex::encode_to_slice(digest, &mut hex);
                out.extend_from_slice(&hex);
            }
        }
        out
    }

    /// The canonical request the verifier signs, as AWS shows it in a `SignatureDoesNotMatch`
    /// message (bytes that are not UTF-8 are shown replaced).
    #[must_use]
    pub fn canonical_request(&self) -> String {
        String::from_utf8_lossy(&self.canonical_request_bytes()).into_owned()
    }

    /// The string to sign the verifier computes.
    #[must_use]
    pub fn string_to_sign(&self) -> String {
        sign::string_to_sign(&self.timestamp, &self.scope.to_scope_string(), &self.canonical_request_bytes())
    }

    /// Checks the signature with the secret looked up for [`Claim::access_key_id`]; `None` means
    /// the key is unknown (or refused, e.g. inactive), which AWS answers as `InvalidClientTokenId`.
    ///
    /// # Errors
    /// [`Sigv4Error::UnknownAccessKey`] for `None`; [`Sigv4Error::SignatureDoesNotMatch`] when the
    /// signature is not the secret's.
    pub fn verify<T>(self, secret: Option<SigningSecret<T>>) -> Result<Verified<T>, Sigv4Error> {
        let Some(secret) = secret else {
            return Err(Sigv4Error::UnknownAccessKey { access_key_id: echo(&self.access_key_id) });
        };
        let key = ScopedKey::derive(&secret.secret_access_key, &self.scope);
        self.verify_with(key.as_ref(), secret.attached)
    }

    /// Checks the signature with the signing key of the request's key, derived before
    /// ([`ScopedKey::derive`]) for the request's scope. A key of another scope never matches.
    ///
    /// # Errors
    /// [`Sigv4Error::SignatureDoesNotMatch`] when the signature is not the key's.
    pub fn verify_scoped<T>(self, key: &ScopedKey, attached: T) -> Result<Verified<T>, Sigv4Error> {
        self.verify_with(Some(key), attached)
    }

    fn verify_with<T>(self, key: Option<&ScopedKey>, attached: T) -> Result<Verified<T>, Sigv4Error> {
        let canonical_request = self.canonical_request_bytes();
        let string_to_sign = sign::string_to_sign(&self.timestamp, &self.scope.to_scope_string(), &canonical_request);
        let expected = key
            .filter(|key| key.scope == self.scope)
            .and_then(|key| sign::signature_with_key(&key.key, &string_to_sign));
        let matches = expected.is_some_and(|e| sign::signature_matches(&e, &self.signature));
        if !matches {
            return Err(Sigv4Error::SignatureDoesNotMatch {
                canonical_request: String::from_utf8_lossy(&canonical_request).into_owned(),
                string_to_sign,
            });
        }
        let payload_signed = match self.payload {
            PayloadHash::Declared { signed, .. } => signed,
            PayloadHash::Computed(_) => true,
        };
        Ok(Verified {
            access_key_id: self.access_key_id,
            scope: self.scope,
            signed_at: time::system_time(self.signed_at),
            session_token: self.session_token,
            form: self.form,
            signed_headers: self.signed_headers,
            payload_signed,
            attached,
        })
    }
}
