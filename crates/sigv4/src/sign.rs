//! The cryptographic half: the string to sign, the signing key and the signature, per "Create a
//! string to sign", "Derive a signing key" and "Calculate the signature" in
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The only algorithm this crate verifies.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// HMAC-SHA256 of `data` under `key`. `None` only if the MAC refused the key, which HMAC never
/// does (it accepts keys of any length); callers fail closed on it.
fn hmac_sha256(key: &[u8], data: &[u8]) -> Option<[u8; 32]> {
    let mut mac = HmacSha256::new_from_slice(key).ok()?;
    mac.update(data);
    Some(mac.finalize().into_bytes().into())
}

/// `AWS4-HMAC-SHA256 \n timestamp \n scope \n hex(sha256(canonical request))`.
pub(crate) fn string_to_sign(timestamp: &str, scope: &str, canonical_request: &[u8]) -> String {
    let mut hashed = [0u8; 64];
    // 32 bytes always fit 64 hex digits.
    let _ = hex::encode_to_slice(sha256(canonical_request), &mut hashed);
    let hashed = std::str::from_utf8(&hashed).unwrap_or_default();
    let mut out = String::with_capacity(ALGORITHM.len() + timestamp.len() + scope.len() + 67);
    for part in [ALGORITHM, "\n", timestamp, "\n", scope, "\n", hashed] {
        out.push_str(part);
    }
    out
}

/// The signing key of "Derive a signing key": the secret through the scope's date, region and
/// service. `None` only if HMAC refused a key, which it never does.
pub(crate) fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> Option<[u8; 32]> {
    let mut secret = Vec::with_capacity(4 + secret_access_key.len());
    secret.extend_from_slice(b"AWS4");
    secret.extend_from_slice(secret_access_key.as_bytes());
    let k_date = hmac_sha256(&secret, date.as_bytes())?;
    let k_region = hmac_sha256(&k_date, region.as_bytes())?;
    let k_service = hmac_sha256(&k_region, service.as_bytes())?;
    hmac_sha256(&k_service, b"aws4_request")
}

/// The signature: the signing key applied to the string to sign.
pub(crate) fn signature_with_key(signing_key: &[u8; 32], string_to_sign: &str) -> Option<[u8; 32]> {
    hmac_sha256(signing_key, string_to_sign.as_bytes())
}

/// The signature made with the secret itself, deriving its signing key for the scope (the
/// client's half; the verifier keeps signing keys, [`crate::ScopedKey`]).
#[cfg(any(test, feature = "test-util"))]
pub(crate) fn signature(
    secret_access_key: &str,
    date: &str,
    region: &str,
    service: &str,
    string_to_sign: &str,
) -> Option<[u8; 32]> {
    signature_with_key(&signing_key(secret_access_key, date, region, service)?, string_to_sign)
}

/// Whether `provided` (hex, as the request carries it) is `expected`, in time independent of where
/// they differ. A `provided` that is not 64 lowercase hex digits never matches: signers write
/// lowercase ("Calculate the signature": `hex(HMAC-SHA256(...))` in lowercase), and accepting
/// one spelling only means every changed byte of a signature is a different signature.
pub(crate) fn signature_matches(expected: &[u8; 32], provided: &str) -> bool {
    if !provided.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return false;
    }
    let mut decoded = [0u8; 32];
    if hex::decode_to_slice(provided, &mut decoded).is_err() {
        return false;
    }
    bool::from(expected.ct_eq(&decoded))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of "Derive a signing key" / the `get-vanilla` vector.
    #[test]
    fn get_vanilla_signature() {
        let sts = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
                   bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63";
        let sig =
            signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "service", sts).unwrap();
        assert_eq!(hex::encode(sig), "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
        assert!(signature_matches(&sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
        assert!(!signature_matches(&sig, "5FA00FA31553B73EBF1942676E86291E8372FF2A2260956D9B8AAE1D763FBF31"));
        assert!(!signature_matches(&sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf30"));
        assert!(!signature_matches(&sig, "5fa00fa3"));
        assert!(!signature_matches(&sig, ""));
    }
}
