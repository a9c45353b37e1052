//! Web identity federation: the keys of an OpenID Connect provider, and a token checked against
//! them (IAM User Guide, "Create an OpenID Connect (OIDC) identity provider in IAM" and "Obtain the
//! thumbprint for an OpenID Connect identity provider"; STS API Reference,
//! AssumeRoleWithWebIdentity).
//!
//! The keys come from the issuer over HTTPS: its discovery document
//! (`ISSUER/.well-known/openid-configuration`) names its `jwks_uri`. The server certificate is
//! accepted when it chains to a trusted root certificate authority (Mozilla's, as `webpki-roots`
//! carries them); otherwise the SHA-1 thumbprint of the top certificate of the chain the server
//! sent (the certificate itself when it sent one) must be one the provider lists, as AWS does for
//! providers outside its trusted CAs. Keys are kept per issuer for an hour; a token whose key id
//! is not among them fetches them again, at most once every five seconds, so that a key rotation is
//! followed and a flood of tokens cannot make the server fetch on each.
//!
//! The signature is checked by `jsonwebtoken` with the algorithm of the key (RS256, RS384, RS512,
//! PS256..., ES256, ES384, EdDSA); `alg: none` and HMAC algorithms are refused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde_json::Value;
use sha1::Digest as _;

use monban_store::IdentityProvider;

use super::{TokenError, SKEW_SECONDS};

/// How long fetched keys are used before they are fetched again.
const KEEP_KEYS: Duration = Duration::from_secs(3600);

/// How often an unknown key id may make the server fetch the keys again: soon enough to follow a
/// rotation, seldom enough that a flood of made-up key ids fetches nothing more.
const REFETCH_AT_MOST_EVERY: Duration = Duration::from_secs(5);

/// The most a discovery document or key set may weigh.
const MAX_DOCUMENT: usize = 256 * 1024;

/// How long a fetch may take in all.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Keys fetched from issuers, by the registered provider's URL.
#[derive(Default)]
pub struct ProviderKeys {
    fetched: Mutex<HashMap<String, Fetched>>,
}

#[derive(Clone)]
struct Fetched {
    /// The keys of the last fetch that succeeded, and when.
    keys: Option<(Arc<JwkSet>, Instant)>,
    /// When a fetch was last begun, whether it succeeded or not: at most one every
    /// [`REFETCH_AT_MOST_EVERY`], however many tokens ask.
    attempted: Instant,
    /// The thumbprints the certificate was checked against (lower case, sorted): keys fetched
    /// under another provider configuration are fetched again.
    thumbprints: Vec<String>,
}

/// The message STS gives a token whose signature or claims do not hold.
const NOT_VALIDATED: &str = "The web identity token that was passed could not be validated by AWS. Get a new identity \
                             token from the identity provider and then retry the request.";

/// A token's parts as read before its signature is checked: only to find the provider and key.
pub(crate) struct Unverified {
    pub(crate) issuer: String,
    kid: Option<String>,
    alg: Algorithm,
}

/// Reads the issuer and key id of a token without trusting them.
pub(crate) fn peek(token: &str) -> Result<Unverified, TokenError> {
    let invalid = || TokenError::Invalid(NOT_VALIDATED.to_string());
    // `decode_header` refuses `alg: none` (no such algorithm).
    let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
    if matches!(header.alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
        return Err(invalid());
    }
    let payload = token.split('.').nth(1).ok_or_else(invalid)?;
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| invalid())?;
    let claims: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let issuer = claims.get("iss").and_then(Value::as_str).ok_or_else(invalid)?.to_string();
    Ok(Unverified { issuer, kid: header.kid, alg: header.alg })
}

/// The provider as its ARN and condition keys name it: the issuer URL without `https://` or a
/// trailing `/`.
pub(crate) fn provider_name(issuer: &str) -> &str {
    issuer.strip_prefix("https://").unwrap_or(issuer).trim_end_matches('/')
}

/// A verified token's claims.
pub(crate) struct Claims {
    pub(crate) subject: String,
    pub(crate) audience: String,
    pub(crate) authorized_party: Option<String>,
    pub(crate) amr: Vec<String>,
    /// Session tags from the `https://aws.amazon.com/tags` claim.
    pub(crate) tags: Vec<(String, String)>,
}

impl ProviderKeys {
    /// Checks `token` against the keys of its issuer, fetched under `thumbprints`, and its
    /// audience against `client_ids`; `now` is seconds since the epoch.
    pub(crate) async fn verify(
        &self,
        token: &str,
        peeked: &Unverified,
        provider: &IdentityProvider,
        now: u64,
    ) -> Result<Claims, TokenError> {
        let invalid = || TokenError::Invalid(NOT_VALIDATED.to_string());
        let (Some(url), client_ids, thumbprints) = (&provider.url, &provider.client_ids, &provider.thumbprints) else {
            return Err(invalid());
        };
        // The token names the provider it was looked up by; the keys are the provider's, fetched
        // from its registered URL and kept under it.
        if provider_name(&peeked.issuer) != url.as_str() {
            return Err(invalid());
        }
        let mut keys = self.keys(url, thumbprints, false).await?;
        let find = |keys: &JwkSet| match &peeked.kid {
            Some(kid) => keys.find(kid).cloned(),
            None if keys.keys.len() == 1 => keys.keys.first().cloned(),
            None => None,
        };
        let jwk = match find(&keys) {
            Some(jwk) => jwk,
            None => {
                keys = self.keys(url, thumbprints, true).await?;
                find(&keys).ok_or_else(invalid)?
            }
        };
        let key = DecodingKey::from_jwk(&jwk).map_err(|_| invalid())?;
        // The key decides the algorithm: a token may not pick a weaker one for an RSA key, say.
        if jwk.common.key_algorithm.is_some_and(|a| a.to_string() != format!("{:?}", peeked.alg)) {
            return Err(invalid());
        }
        let mut validation = Validation::new(peeked.alg);
        validation.leeway = SKEW_SECONDS;
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        validation.set_issuer(&[peeked.issuer.as_str()]);
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|_| invalid())?;
        let claims = data.claims;
        let number = |name: &str| claims.get(name).and_then(Value::as_f64).map(|n| n as u64);
        let exp = number("exp").ok_or_else(invalid)?;
        if now > exp.saturating_add(SKEW_SECONDS) {
            return Err(TokenError::Expired(format!(
                "Token expired: current date/time {} must be before the expiration date/time {}",
                monban_policy::condition::format_date(now as i64),
                monban_policy::condition::format_date(exp as i64)
            )));
        }
        if number("nbf").is_some_and(|nbf| nbf > now + SKEW_SECONDS)
            || number("iat").is_some_and(|iat| iat > now + SKEW_SECONDS)
        {
            return Err(invalid());
        }
        let audiences: Vec<String> = match claims.get("aud") {
            Some(Value::String(a)) => vec![a.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => Vec::new(),
        };
        let authorized_party = claims.get("azp").and_then(Value::as_str).map(str::to_string);
        // "aud" is read from "azp" when the token has one (IAM User Guide, OIDC condition keys).
        let audience = authorized_party.clone().or_else(|| audiences.first().cloned()).unwrap_or_default();
        if !client_ids.contains(&audience) {
            return Err(TokenError::Invalid("Incorrect token audience".to_string()));
        }
        let subject = claims.get("sub").and_then(Value::as_str).ok_or_else(invalid)?.to_string();
        let amr = match claims.get("amr") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        // "Passing session tags using AssumeRoleWithWebIdentity": principal_tags, a map of string
        // to a list of one string.
        let tags = claims
            .pointer("/https:~1~1aws.amazon.com~1tags/principal_tags")
            .and_then(Value::as_object)
            .map(|tags| {
                tags.iter()
                    .filter_map(|(k, v)| {
                        let value = v.as_array().and_then(|a| a.first()).and_then(Value::as_str).or(v.as_str())?;
                        Some((k.clone(), value.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Claims { subject, audience: audiences.first().cloned().unwrap_or_default(), authorized_party, amr, tags })
    }

    /// The provider's keys: kept ones unless they are old, were fetched under other thumbprints,
    /// or `again` asks; a fetch is begun at most once every [`REFETCH_AT_MOST_EVERY`] per provider
    /// (meanwhile the kept keys, if any, answer).
    async fn keys(&self, provider: &str, thumbprints: &[String], again: bool) -> Result<Arc<JwkSet>, TokenError> {
        let mut pins: Vec<String> = thumbprints.iter().map(|t| t.to_ascii_lowercase()).collect();
        pins.sort();
        let unreachable = || TokenError::Unreachable(UNREACHABLE.to_string());
        {
            let mut fetched = self.fetched.lock().map_err(|_| unreachable())?;
            let kept = fetched.get(provider).filter(|f| f.thumbprints == pins).cloned();
            if let Some(kept) = &kept {
                if let Some((keys, when)) = &kept.keys {
                    if !again && when.elapsed() < KEEP_KEYS {
                        return Ok(keys.clone());
                    }
                }
                if kept.attempted.elapsed() < REFETCH_AT_MOST_EVERY {
                    return kept.keys.as_ref().map(|(keys, _)| keys.clone()).ok_or_else(unreachable);
                }
            }
            let keys = kept.and_then(|k| k.keys);
            fetched
                .insert(provider.to_string(), Fetched { keys, attempted: Instant::now(), thumbprints: pins.clone() });
        }
        let keys = Arc::new(fetch_keys(&format!("https://{provider}"), &pins).await?);
        if let Ok(mut fetched) = self.fetched.lock() {
            if let Some(entry) = fetched.get_mut(provider).filter(|f| f.thumbprints == pins) {
                entry.keys = Some((keys.clone(), Instant::now()));
            }
        }
        Ok(keys)
    }
}

/// Fetches the discovery document, then the key set it names.
async fn fetch_keys(issuer: &str, thumbprints: &[String]) -> Result<JwkSet, TokenError> {
    let client = client(thumbprints)?;
    let discovery = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    let document: Value = serde_json::from_slice(&get(&client, &discovery).await?)
        .map_err(|_| TokenError::Unreachable(UNREACHABLE.to_string()))?;
    let jwks_uri = document.get("jwks_uri").and_then(Value::as_str).filter(|u| u.starts_with("https://"));
    let jwks_uri = jwks_uri.ok_or_else(|| TokenError::Unreachable(UNREACHABLE.to_string()))?;
    serde_json::from_slice(&get(&client, jwks_uri).await?).map_err(|_| TokenError::Unreachable(UNREACHABLE.to_string()))
}

/// STS's message when the provider's keys cannot be had.
const UNREACHABLE: &str = "Couldn't retrieve verification key from your identity provider, please reference \
                           AssumeRoleWithWebIdentity documentation for requirements";

/// STS's message when the certificate matches neither a trusted chain nor a thumbprint.
const THUMBPRINT: &str = "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint";

async fn get(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, TokenError> {
    let mut response = client.get(url).send().await.map_err(|e| {
        // A refused certificate is the provider's configuration, not the network.
        if format!("{e:?}").contains("thumbprint") {
            TokenError::Invalid(THUMBPRINT.to_string())
        } else {
            TokenError::Unreachable(UNREACHABLE.to_string())
        }
    })?;
    if !response.status().is_success() {
        return Err(TokenError::Unreachable(UNREACHABLE.to_string()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| TokenError::Unreachable(UNREACHABLE.to_string()))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DOCUMENT {
            return Err(TokenError::Unreachable(UNREACHABLE.to_string()));
        }
    }
    Ok(body)
}

/// An HTTPS client that accepts the issuer's certificate by its chain or by its thumbprint.
fn client(thumbprints: &[String]) -> Result<reqwest::Client, TokenError> {
    // ring's provider: the issuer's public keys need no post-quantum key exchange, and ring builds
    // without the C toolchain aws-lc-rs needs.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = Arc::new(rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() });
    let unreachable = |_| TokenError::Unreachable(UNREACHABLE.to_string());
    let chain = rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|_| TokenError::Unreachable(UNREACHABLE.to_string()))?;
    let verifier = ChainOrThumbprint { chain, thumbprints: thumbprints.to_vec(), provider: provider.clone() };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(unreachable)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|_| TokenError::Unreachable(UNREACHABLE.to_string()))
}

/// A certificate is accepted when it chains to a trusted root; otherwise a certificate the server
/// sent whose thumbprint the provider lists becomes the trust anchor, and the chain must verify
/// to it in full (signatures, validity, host name): a listed thumbprint vouches for the
/// certificate authority it names, not for whatever the server sends beside it ("Obtain the
/// thumbprint for an OpenID Connect identity provider").
#[derive(Debug)]
struct ChainOrThumbprint {
    chain: Arc<rustls::client::WebPkiServerVerifier>,
    /// Lower case.
    thumbprints: Vec<String>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

/// The SHA-1 thumbprint of a certificate, as IAM lists them (40 lower-case hex digits).
pub(crate) fn thumbprint(der: &[u8]) -> String {
    hex::encode(sha1::Sha1::digest(der))
}

impl ServerCertVerifier for ChainOrThumbprint {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Ok(verified) => Ok(verified),
            Err(refused) => {
                for pinned in std::iter::once(end_entity).chain(intermediates) {
                    if !self.thumbprints.contains(&thumbprint(pinned)) {
                        continue;
                    }
                    let mut anchor = rustls::RootCertStore::empty();
                    if anchor.add(pinned.clone()).is_err() {
                        continue;
                    }
                    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
                        Arc::new(anchor),
                        self.provider.clone(),
                    )
                    .build()
                    .map_err(|e| rustls::Error::General(format!("thumbprint: {e}")))?;
                    if let Ok(verified) =
                        verifier.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                    {
                        return Ok(verified);
                    }
                }
                Err(rustls::Error::General(format!("thumbprint: {refused}")))
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn token(header: &str, payload: &str) -> String {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.c2ln", b64(header), b64(payload))
    }

    #[test]
    fn only_asymmetric_algorithms_are_read() {
        let claims = r#"{"iss":"https://issuer.example/path","sub":"a"}"#;
        let peeked = peek(&token(r#"{"alg":"RS256","kid":"k"}"#, claims)).map_err(|e| format!("{e:?}")).unwrap();
        assert_eq!((peeked.issuer.as_str(), peeked.kid.as_deref()), ("https://issuer.example/path", Some("k")));
        for alg in ["none", "HS256", "HS512", "nonsense"] {
            let header = format!(r#"{{"alg":"{alg}"}}"#);
            assert!(matches!(peek(&token(&header, claims)), Err(TokenError::Invalid(_))), "{alg}");
        }
        assert!(peek("not a token").is_err());
        assert!(peek(&token(r#"{"alg":"RS256"}"#, r#"{"sub":"no issuer"}"#)).is_err());
    }

    #[test]
    fn providers_are_named_as_iam_names_them() {
        assert_eq!(provider_name("https://token.actions.githubusercontent.com"), "token.actions.githubusercontent.com");
        assert_eq!(provider_name("https://issuer.example/tenant/"), "issuer.example/tenant");
        // IAM User Guide, "Obtain the thumbprint": SHA-1 of the certificate, 40 hex digits.
        assert_eq!(thumbprint(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }
}
