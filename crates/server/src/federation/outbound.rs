//! Outbound identity federation: the JSON web tokens STS GetWebIdentityToken vends, signed by keys
//! of the caller's account, for services outside AWS to verify (IAM User Guide, "IAM outbound
//! identity federation", "Token claims"; STS API Reference, GetWebIdentityToken).
//!
//! An account that enables it gets an issuer identifier of AWS's form
//! (`https://UUID.tokens.sts.global.api.aws`) and two keys, RSA 2048 for RS256 and P-384 for
//! ES384. Their public halves are published as AWS publishes them, a discovery document and a key
//! set under the issuer's `/.well-known/`; monban serves both at
//! `ENDPOINT/outbound-federation/UUID/.well-known/openid-configuration` and `.../jwks.json`,
//! since the issuer's own host is AWS's.
//!
//! RS256 signs through `jsonwebtoken` with the `rsa` crate, which RUSTSEC-2023-0071 (Marvin:
//! timing of RSA private-key operations) names with no fixed release; its signing uses blinding,
//! and only a hash of the claims is signed.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p384::pkcs8::EncodePrivateKey as _;
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::traits::PublicKeyParts as _;
use serde_json::{json, Value};

use crate::error::ApiError;

/// The domain of the issuers AWS gives accounts.
const ISSUER_DOMAIN: &str = "tokens.sts.global.api.aws";

/// A new issuer identifier: a random UUID under AWS's token domain.
pub(crate) fn new_issuer() -> Result<String, ApiError> {
    Ok(format!("https://{}.{ISSUER_DOMAIN}", crate::util::uuid()?))
}

/// The key id of a key: the base64url SHA-256 of its public key's DER, so it changes with the key.
fn key_id(public_der: &[u8]) -> String {
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(public_der))
}

/// New signing keys: RSA 2048 (PKCS#1 DER) and P-384 (PKCS#8 DER), for the caller to seal.
pub(crate) fn new_keys() -> Result<(Vec<u8>, Vec<u8>), ApiError> {
    let failed = || ApiError::internal("could not make signing keys");
    let mut rng = rsa::rand_core::OsRng;
    let rsa_key =
        rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(|_| ApiError::internal("could not make an RSA key"))?;
    let rsa_der = rsa_key.to_pkcs1_der().map_err(|_| failed())?.as_bytes().to_vec();
    let ec_key = p384::SecretKey::random(&mut rng);
    let ec_der = ec_key.to_pkcs8_der().map_err(|_| failed())?.as_bytes().to_vec();
    Ok((rsa_der, ec_der))
}

/// The DER keys of a stored federation, unsealed.
pub(crate) fn open_keys(
    state: &crate::State,
    federation: &monban_store::OutboundFederation,
) -> Result<(Vec<u8>, Vec<u8>), ApiError> {
    let open = |sealed: &[u8]| -> Result<Vec<u8>, ApiError> {
        base64::engine::general_purpose::STANDARD
            .decode(state.secrets.open(sealed)?)
            .map_err(|_| ApiError::internal("a stored signing key cannot be read"))
    };
    Ok((open(&federation.rsa_key)?, open(&federation.ec_key)?))
}

/// The public keys of an issuer as a JSON Web Key Set.
pub(crate) fn key_set(rsa_der: &[u8], ec_der: &[u8]) -> Result<Value, ApiError> {
    use p384::elliptic_curve::sec1::ToEncodedPoint as _;
    use p384::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _};
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    let unreadable = |_| ApiError::internal("a stored signing key cannot be read");
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let rsa_public = rsa::RsaPrivateKey::from_pkcs1_der(rsa_der).map_err(unreadable)?.to_public_key();
    let rsa_spki = rsa_public.to_public_key_der().map_err(|_| ApiError::internal("a signing key cannot be encoded"))?;
    let ec_public = p384::SecretKey::from_pkcs8_der(ec_der)
        .map_err(|_| ApiError::internal("a stored signing key cannot be read"))?
        .public_key();
    let ec_spki = ec_public.to_public_key_der().map_err(|_| ApiError::internal("a signing key cannot be encoded"))?;
    let point = ec_public.to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err(ApiError::internal("a signing key cannot be encoded"));
    };
    Ok(json!({"keys": [
        {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": key_id(rsa_spki.as_bytes()),
            "n": b64(&rsa_public.n().to_bytes_be()), "e": b64(&rsa_public.e().to_bytes_be())},
        {"kty": "EC", "use": "sig", "alg": "ES384", "crv": "P-384", "kid": key_id(ec_spki.as_bytes()),
            "x": b64(x), "y": b64(y)},
    ]}))
}

/// `GET /outbound-federation/UUID/.well-known/openid-configuration` and `.../jwks.json`: the
/// issuer's public documents, for anyone to read (a disabled issuer's too: the tokens it vended
/// stay verifiable). They say what AWS's say: the key set is at `ISSUER/.well-known/jwks.json`,
/// which monban serves at the second path. Nothing the request carries is written into them.
pub(crate) async fn published(
    axum::extract::State(state): axum::extract::State<crate::State>,
    axum::extract::Path((id, document)): axum::extract::Path<(String, String)>,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let not_found = || (axum::http::StatusCode::NOT_FOUND, "no such issuer").into_response();
    let well_formed = id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    if !well_formed {
        return not_found();
    }
    let issuer = format!("https://{id}.{ISSUER_DOMAIN}");
    let Ok(Some(federation)) = state.store.outbound_federation_by_issuer(&issuer).await else { return not_found() };
    // The key set as stored when the keys were made: the private keys are never opened here.
    let body = match document.as_str() {
        "jwks.json" => federation.jwks,
        "openid-configuration" => discovery(&issuer).to_string(),
        _ => return not_found(),
    };
    let headers = [
        (axum::http::header::CONTENT_TYPE, "application/json"),
        (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
    ];
    (headers, body).into_response()
}

/// The discovery document of an issuer.
fn discovery(issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES384"],
    })
}

/// The algorithms GetWebIdentityToken signs with: RS256 and ES384 (STS API Reference,
/// GetWebIdentityToken: SigningAlgorithm).
pub(crate) fn signing_algorithm(name: &str) -> Result<Algorithm, ApiError> {
    match name {
        "RS256" => Ok(Algorithm::RS256),
        "ES384" => Ok(Algorithm::ES384),
        other => Err(ApiError::validation(format!(
            "1 validation error detected: Value '{other}' at 'signingAlgorithm' failed to satisfy constraint: \
             Member must satisfy enum value set: [RS256, ES384]"
        ))),
    }
}

/// Signs `claims` with the issuer's key for `algorithm` (from [`signing_algorithm`]), naming its
/// key id in the published key set `keys`.
pub(crate) fn sign(
    claims: &Value,
    algorithm: Algorithm,
    (rsa_der, ec_der): (&[u8], &[u8]),
    keys: &Value,
) -> Result<String, ApiError> {
    let (name, key) = match algorithm {
        Algorithm::RS256 => ("RS256", EncodingKey::from_rsa_der(rsa_der)),
        Algorithm::ES384 => ("ES384", EncodingKey::from_ec_der(ec_der)),
        _ => return Err(ApiError::internal("outbound tokens are signed with RS256 or ES384 only")),
    };
    let published = keys.get("keys").and_then(Value::as_array).into_iter().flatten();
    let kid = published.filter(|k| k.get("alg").and_then(Value::as_str) == Some(name)).find_map(|k| k.get("kid"));
    let mut header = Header::new(algorithm);
    header.kid = kid.and_then(Value::as_str).map(String::from);
    jsonwebtoken::encode(&header, claims, &key).map_err(|_| ApiError::internal("the token could not be signed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token signed with either key verifies with the published key set, under the key id its
    /// header names; it does not verify with the other key.
    #[test]
    fn tokens_verify_with_the_published_keys() {
        let (rsa_der, ec_der) = new_keys().unwrap();
        let published = key_set(&rsa_der, &ec_der).unwrap();
        let keys: jsonwebtoken::jwk::JwkSet = serde_json::from_value(published.clone()).unwrap();
        let claims = json!({"iss": "https://example", "sub": "arn:aws:iam::123456789012:user/u", "aud": "a",
            "exp": 4_070_908_800_u64});
        for (algorithm, alg) in [("RS256", Algorithm::RS256), ("ES384", Algorithm::ES384)] {
            let token = sign(&claims, signing_algorithm(algorithm).unwrap(), (&rsa_der, &ec_der), &published).unwrap();
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.alg, alg);
            let mut validation = jsonwebtoken::Validation::new(alg);
            validation.set_audience(&["a"]);
            let kid = header.kid.unwrap();
            let key = keys.find(&kid).unwrap();
            let decoded =
                jsonwebtoken::decode::<Value>(&token, &jsonwebtoken::DecodingKey::from_jwk(key).unwrap(), &validation)
                    .unwrap();
            assert_eq!(decoded.claims, claims);
            let other = keys.keys.iter().find(|k| k.common.key_id.as_deref() != Some(kid.as_str())).unwrap();
            assert!(jsonwebtoken::DecodingKey::from_jwk(other)
                .map(|other| jsonwebtoken::decode::<Value>(&token, &other, &validation).is_err())
                .unwrap_or(true));
        }
        assert!(signing_algorithm("HS256").is_err());
        assert!(sign(&claims, Algorithm::HS256, (&rsa_der, &ec_der), &published).is_err());
    }

    #[test]
    fn issuers_have_aws_form() {
        let issuer = new_issuer().unwrap();
        let id = issuer.strip_prefix("https://").unwrap().strip_suffix(".tokens.sts.global.api.aws").unwrap();
        assert_eq!(id.len(), 36);
    }
}
