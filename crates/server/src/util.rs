//! Small things every handler needs: time formatting, identifiers, secrets at rest.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use crate::error::ApiError;

/// `2026-11-22T06:35:44Z`: the timestamp form IAM and STS return.
pub fn iso8601(time: SystemTime) -> String {
    monban_policy::condition::format_date(time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs() as i64)
}

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// The RFC 4648 base32 alphabet, which AWS's ids and MFA seeds are written in.
pub const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// An IAM unique id or access key id: a prefix (`AIDA`, `AKIA`, `ASIA`...) and upper-case
/// base-32 characters, as AWS's are.
pub fn random_id(prefix: &str, total_len: usize) -> Result<String, ApiError> {
    let bytes = random_bytes::<32>()?;
    let n = total_len.saturating_sub(prefix.len()).min(32);
    Ok(prefix.chars().chain(bytes[..n].iter().map(|b| BASE32[usize::from(b % 32)] as char)).collect())
}

/// A random UUID (version 4) in its usual form (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`): request
/// ids and task ids. Every call makes one, so the bytes come from a per-thread buffer filled from
/// the operating system [`UUID_POOL`] bytes at a time: one system call for many ids.
pub fn uuid() -> Result<String, ApiError> {
    let mut b = pooled_random_16()?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    Ok(out)
}

/// Bytes of operating-system randomness a thread draws at once for [`uuid`].
const UUID_POOL: usize = 4096;

/// 16 bytes from this thread's buffer of operating-system randomness, refilled when spent; no
/// byte is handed out twice.
fn pooled_random_16() -> Result<[u8; 16], ApiError> {
    thread_local! {
        static POOL: std::cell::RefCell<(Box<[u8; UUID_POOL]>, usize)> =
            std::cell::RefCell::new((Box::new([0; UUID_POOL]), UUID_POOL));
    }
    POOL.with_borrow_mut(|(bytes, used)| {
        if *used + 16 > UUID_POOL {
            getrandom::getrandom(&mut bytes[..]).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
            *used = 0;
        }
        let mut out = [0u8; 16];
        out.copy_from_slice(&bytes[*used..*used + 16]);
        *used += 16;
        Ok(out)
    })
}

/// A 40-character secret access key.
pub fn random_secret() -> Result<String, ApiError> {
    let bytes = random_bytes::<30>()?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// A session token: opaque, long and random.
pub fn random_token() -> Result<String, ApiError> {
    let bytes = random_bytes::<96>()?;
    Ok(format!("FwoGZXIvYXdzE{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
}

/// The SHA-256 digest of a secret, in hex: what is stored of a session token, so that the
/// database holds nothing a caller could present.
pub fn sha256_hex(secret: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

/// Encrypts secret access keys at rest (ChaCha20-Poly1305, a random nonce per secret).
#[derive(Clone)]
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
}

impl SecretBox {
    /// A box keyed by 32 bytes.
    pub fn new(key: [u8; 32]) -> SecretBox {
        SecretBox { cipher: ChaCha20Poly1305::new(Key::from_slice(&key)) }
    }

    /// nonce ‖ ciphertext.
    pub fn seal(&self, secret: &str) -> Result<Vec<u8>, ApiError> {
        let nonce = random_bytes::<12>()?;
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), secret.as_bytes())
            .map_err(|_| ApiError::internal("encryption failed"))?;
        Ok(nonce.iter().copied().chain(sealed).collect())
    }

    /// The secret, or an error when the key does not match (a data directory used with another key).
    pub fn open(&self, sealed: &[u8]) -> Result<String, ApiError> {
        if sealed.len() < 12 {
            return Err(ApiError::internal("stored secret is truncated"));
        }
        let (nonce, ciphertext) = sealed.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| ApiError::internal("stored secret cannot be decrypted with this key"))?;
        String::from_utf8(plain).map_err(|_| ApiError::internal("stored secret is not text"))
    }
}

/// At most one argon2 computation per core at a time: each takes milliseconds and 19 MiB on
/// purpose, so a flood of password calls waits here instead of exhausting threads and memory.
async fn argon2_permit() -> Result<tokio::sync::SemaphorePermit<'static>, ApiError> {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let permits = PERMITS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
    });
    permits.acquire().await.map_err(|_| ApiError::internal("password hashing is shut down"))
}

/// Hashes a password for storage: argon2id with the crate's default cost (OWASP's minimum), a
/// random salt, as a PHC string. Runs on a blocking thread: a hash takes milliseconds on purpose.
pub async fn hash_password(password: &str) -> Result<String, ApiError> {
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    let password = password.to_owned();
    let salt_bytes = random_bytes::<16>()?;
    let _permit = argon2_permit().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| ApiError::internal(format!("salt: {e}")))?;
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| ApiError::internal(format!("password hash: {e}")))
    })
    .await
    .map_err(|e| ApiError::internal(format!("password hash task: {e}")))?
}

/// Whether `password` is the one any of `hashes` (PHC strings) was made from.
pub async fn password_matches(password: &str, hashes: Vec<String>) -> Result<bool, ApiError> {
    use argon2::password_hash::{PasswordHash, PasswordVerifier as _};
    let password = password.to_owned();
    let _permit = argon2_permit().await?;
    tokio::task::spawn_blocking(move || {
        hashes.iter().any(|hash| {
            PasswordHash::new(hash)
                .is_ok_and(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        })
    })
    .await
    .map_err(|e| ApiError::internal(format!("password check task: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_timestamps() {
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(UNIX_EPOCH + Duration::from_secs(1_795_329_344)), "2026-11-22T06:35:44Z");
        assert_eq!(iso8601(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn ids_and_secrets_have_aws_shapes() {
        let id = random_id("AKIA", 20).unwrap();
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("AKIA") && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
        assert_eq!(random_secret().unwrap().len(), 40);
    }

    #[test]
    fn uuids_are_version_4_and_distinct_across_refills() {
        let ids: std::collections::HashSet<String> = (0..3 * UUID_POOL / 16).map(|_| uuid().unwrap()).collect();
        assert_eq!(ids.len(), 3 * UUID_POOL / 16);
        for id in ids.iter().take(50) {
            assert_eq!(id.len(), 36);
            let groups: Vec<&str> = id.split('-').collect();
            assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
            assert!(groups[2].starts_with('4') && matches!(&groups[3][..1], "8" | "9" | "a" | "b"), "{id}");
            assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        }
    }

    #[test]
    fn secrets_round_trip_and_fail_under_another_key() {
        let a = SecretBox::new([7; 32]);
        let sealed = a.seal("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
        assert_eq!(a.open(&sealed).unwrap(), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        assert!(SecretBox::new([8; 32]).open(&sealed).is_err());
    }
}
