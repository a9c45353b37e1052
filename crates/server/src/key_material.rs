//! Public key material that users upload: X.509 certificates (signing and server certificates),
//! their private keys, and SSH public keys. Parsing is done by maintained crates (x509-parser,
//! RustCrypto's pkcs1/pkcs8/sec1); this module only says what IAM checks.

use base64::Engine as _;
use md5::Digest as _;
use pkcs8::der::Decode as _;
use x509_parser::prelude::FromDer as _;

/// `rsaEncryption` (RFC 8017, appendix C).
const RSA_ENCRYPTION: pkcs8::ObjectIdentifier = pkcs8::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// `id-ecPublicKey` (RFC 5480, section 2.1.1).
const EC_PUBLIC_KEY: pkcs8::ObjectIdentifier = pkcs8::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// Why uploaded key material was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not PEM, or not the structure its label says.
    #[error("malformed")]
    Malformed,
    /// A well-formed key of a kind IAM does not take (SSH: not RSA, or under 2048 bits).
    #[error("unsupported key")]
    Unsupported,
}

/// A parsed certificate: what IAM reports and compares of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// `notAfter`, seconds since the epoch.
    pub not_after: i64,
    /// `notBefore`, seconds since the epoch.
    pub not_before: i64,
    /// SHA-256 of the DER encoding, hex: the same certificate uploaded twice has the same digest.
    pub sha256: String,
    /// The SubjectPublicKeyInfo's algorithm OID and key bits.
    public_key: PublicKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PublicKey {
    Rsa { modulus: Vec<u8>, exponent: Vec<u8> },
    Other(Vec<u8>),
}

/// A big-endian integer without its leading zero bytes, so that DER's sign byte does not matter.
fn unsigned(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
}

/// The one PEM block of `text` and its label.
fn pem(text: &str) -> Result<x509_parser::pem::Pem, KeyError> {
    let (_, block) = x509_parser::pem::parse_x509_pem(text.trim_start().as_bytes()).map_err(|_| KeyError::Malformed)?;
    Ok(block)
}

impl Certificate {
    /// The one certificate of a PEM text: anything after it (a private key pasted with it, a
    /// chain) is refused, since the body is kept and shown as uploaded.
    pub fn parse(text: &str) -> Result<Certificate, KeyError> {
        let (rest, block) =
            x509_parser::pem::parse_x509_pem(text.trim_start().as_bytes()).map_err(|_| KeyError::Malformed)?;
        if block.label != "CERTIFICATE" || !trim_ascii_start(rest).is_empty() {
            return Err(KeyError::Malformed);
        }
        Certificate::from_der(&block.contents)
    }

    fn from_der(der: &[u8]) -> Result<Certificate, KeyError> {
        let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der).map_err(|_| KeyError::Malformed)?;
        let spki = cert.public_key();
        let public_key = match spki.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
                PublicKey::Rsa { modulus: unsigned(rsa.modulus), exponent: unsigned(rsa.exponent) }
            }
            _ => PublicKey::Other(spki.subject_public_key.data.to_vec()),
        };
        Ok(Certificate {
            not_after: cert.validity().not_after.timestamp(),
            not_before: cert.validity().not_before.timestamp(),
            sha256: hex::encode(sha2::Sha256::digest(der)),
            public_key,
        })
    }

    /// Every certificate of a chain, in order; `Malformed` if any is not one.
    pub fn parse_chain(text: &str) -> Result<Vec<Certificate>, KeyError> {
        let mut certificates = Vec::new();
        let mut rest = text.trim_start().as_bytes();
        while !rest.is_empty() {
            let (next, block) = x509_parser::pem::parse_x509_pem(rest).map_err(|_| KeyError::Malformed)?;
            if block.label != "CERTIFICATE" {
                return Err(KeyError::Malformed);
            }
            certificates.push(Certificate::from_der(&block.contents)?);
            rest = trim_ascii_start(next);
        }
        if certificates.is_empty() {
            return Err(KeyError::Malformed);
        }
        Ok(certificates)
    }

    /// Whether `key` (PEM: PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY` or PKCS#8 `PRIVATE KEY`)
    /// is the private half of this certificate's public key.
    pub fn matches_private_key(&self, key: &str) -> Result<bool, KeyError> {
        let block = pem(key)?;
        let matches_rsa = |der: &[u8]| -> Result<bool, KeyError> {
            let key = pkcs1::RsaPrivateKey::from_der(der).map_err(|_| KeyError::Malformed)?;
            Ok(self.public_key
                == PublicKey::Rsa {
                    modulus: unsigned(key.modulus.as_bytes()),
                    exponent: unsigned(key.public_exponent.as_bytes()),
                })
        };
        let matches_ec = |der: &[u8]| -> Result<bool, KeyError> {
            let key = sec1::EcPrivateKey::from_der(der).map_err(|_| KeyError::Malformed)?;
            Ok(key.public_key.is_some_and(|point| self.public_key == PublicKey::Other(point.to_vec())))
        };
        match block.label.as_str() {
            "RSA PRIVATE KEY" => matches_rsa(&block.contents),
            "EC PRIVATE KEY" => matches_ec(&block.contents),
            "PRIVATE KEY" => {
                let info = pkcs8::PrivateKeyInfo::from_der(&block.contents).map_err(|_| KeyError::Malformed)?;
                match info.algorithm.oid {
                    RSA_ENCRYPTION => matches_rsa(info.private_key),
                    EC_PUBLIC_KEY => matches_ec(info.private_key),
                    _ => Err(KeyError::Unsupported),
                }
            }
            _ => Err(KeyError::Malformed),
        }
    }
}

fn trim_ascii_start(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    &bytes[start..]
}

/// An SSH public key as AWS CodeCommit takes it: RSA of at least 2048 bits, uploaded in the
/// OpenSSH form (`ssh-rsa AAAA... comment`) or as a PEM `PUBLIC KEY` (IAM API Reference,
/// "UploadSSHPublicKey").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshPublicKey {
    modulus: Vec<u8>,
    exponent: Vec<u8>,
}

/// The smallest RSA modulus accepted, in bits.
const MIN_SSH_KEY_BITS: usize = 2048;

impl SshPublicKey {
    /// Parses either encoding.
    pub fn parse(body: &str) -> Result<SshPublicKey, KeyError> {
        let body = body.trim();
        let key = if body.starts_with("-----BEGIN") {
            let block = pem(body)?;
            if block.label != "PUBLIC KEY" {
                return Err(KeyError::Malformed);
            }
            let (_, spki) =
                x509_parser::x509::SubjectPublicKeyInfo::from_der(&block.contents).map_err(|_| KeyError::Malformed)?;
            match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
                    SshPublicKey { modulus: unsigned(rsa.modulus), exponent: unsigned(rsa.exponent) }
                }
                Ok(_) => return Err(KeyError::Unsupported),
                Err(_) => return Err(KeyError::Malformed),
            }
        } else {
            let mut fields = body.split_whitespace();
            let (kind, blob) = (fields.next().unwrap_or_default(), fields.next().unwrap_or_default());
            let blob = base64::engine::general_purpose::STANDARD.decode(blob).map_err(|_| KeyError::Malformed)?;
            let mut reader = SshReader(&blob);
            let declared = reader.string().ok_or(KeyError::Malformed)?;
            if declared != kind.as_bytes() {
                return Err(KeyError::Malformed);
            }
            if kind != "ssh-rsa" {
                return Err(KeyError::Unsupported);
            }
            let exponent = unsigned(reader.string().ok_or(KeyError::Malformed)?);
            let modulus = unsigned(reader.string().ok_or(KeyError::Malformed)?);
            SshPublicKey { modulus, exponent }
        };
        // `unsigned` dropped the leading zeros, so the first byte is non-zero unless the modulus is
        // zero itself, which is no key.
        let Some(first) = key.modulus.first() else { return Err(KeyError::Unsupported) };
        let bits = key.modulus.len() * 8 - first.leading_zeros() as usize;
        if bits < MIN_SSH_KEY_BITS {
            return Err(KeyError::Unsupported);
        }
        Ok(key)
    }

    /// The OpenSSH wire blob: `string "ssh-rsa", mpint e, mpint n` (RFC 4253, 6.6).
    fn blob(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut put = |bytes: &[u8], mpint: bool| {
            let pad = mpint && bytes.first().is_some_and(|b| b & 0x80 != 0);
            let len = bytes.len() + usize::from(pad);
            out.extend_from_slice(&(len as u32).to_be_bytes());
            if pad {
                out.push(0);
            }
            out.extend_from_slice(bytes);
        };
        put(b"ssh-rsa", false);
        put(&self.exponent, true);
        put(&self.modulus, true);
        out
    }

    /// The MD5 fingerprint of the key blob, as `ssh-keygen -E md5` writes it (`aa:bb:...`).
    pub fn fingerprint(&self) -> String {
        let digest = md5::Md5::digest(self.blob());
        digest.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
    }

    /// The OpenSSH form.
    pub fn ssh(&self) -> String {
        format!("ssh-rsa {}", base64::engine::general_purpose::STANDARD.encode(self.blob()))
    }

    /// The PEM `PUBLIC KEY` (SubjectPublicKeyInfo) form.
    pub fn pem(&self) -> Result<String, KeyError> {
        use pkcs8::der::Encode as _;
        let modulus = pkcs1::UintRef::new(&self.modulus).map_err(|_| KeyError::Malformed)?;
        let exponent = pkcs1::UintRef::new(&self.exponent).map_err(|_| KeyError::Malformed)?;
        let rsa =
            pkcs1::RsaPublicKey { modulus, public_exponent: exponent }.to_der().map_err(|_| KeyError::Malformed)?;
        let spki = pkcs8::spki::SubjectPublicKeyInfoRef {
            algorithm: pkcs8::AlgorithmIdentifierRef {
                oid: RSA_ENCRYPTION,
                parameters: Some(pkcs8::der::asn1::AnyRef::NULL),
            },
            subject_public_key: pkcs8::der::asn1::BitStringRef::from_bytes(&rsa).map_err(|_| KeyError::Malformed)?,
        };
        let der = spki.to_der().map_err(|_| KeyError::Malformed)?;
        let text = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> =
            text.as_bytes().chunks(64).map(|line| std::str::from_utf8(line).unwrap_or_default()).collect();
        Ok(format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", lines.join("\n")))
    }
}

/// Reads the length-prefixed strings of an SSH key blob.
struct SshReader<'a>(&'a [u8]);

impl<'a> SshReader<'a> {
    fn string(&mut self) -> Option<&'a [u8]> {
        let (len, rest) = self.0.split_first_chunk::<4>()?;
        let len = u32::from_be_bytes(*len) as usize;
        let (value, rest) = (rest.get(..len)?, rest.get(len..)?);
        self.0 = rest;
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_CERT: &str = include_str!("../tests/data/rsa-cert.pem");
    const RSA_KEY: &str = include_str!("../tests/data/rsa-key.pem");
    const RSA_PKCS8_KEY: &str = include_str!("../tests/data/rsa-key-pkcs8.pem");
    const EC_CERT: &str = include_str!("../tests/data/ec-cert.pem");
    const EC_KEY: &str = include_str!("../tests/data/ec-key.pem");
    const SSH_KEY: &str = include_str!("../tests/data/ssh-rsa.pub");
    const SSH_FINGERPRINT: &str = include_str!("../tests/data/ssh-rsa.md5");
    const SSH_PEM: &str = include_str!("../tests/data/ssh-rsa.pem");

    #[test]
    fn a_certificate_matches_its_own_private_key_in_every_encoding_and_no_other() {
        let rsa = Certificate::parse(RSA_CERT).unwrap();
        let ec = Certificate::parse(EC_CERT).unwrap();
        assert!(rsa.not_after > rsa.not_before);
        assert!(rsa.matches_private_key(RSA_KEY).unwrap());
        assert!(rsa.matches_private_key(RSA_PKCS8_KEY).unwrap());
        assert!(!rsa.matches_private_key(EC_KEY).unwrap());
        assert!(ec.matches_private_key(EC_KEY).unwrap());
        assert!(!ec.matches_private_key(RSA_KEY).unwrap());
        assert_eq!(Certificate::parse("not a certificate"), Err(KeyError::Malformed));
        assert_eq!(Certificate::parse(RSA_KEY), Err(KeyError::Malformed));
        // A key pasted after the certificate would be kept and shown with it: refused.
        assert_eq!(Certificate::parse(&format!("{RSA_CERT}{RSA_KEY}")), Err(KeyError::Malformed));
        assert_eq!(Certificate::parse_chain(&format!("{EC_CERT}\n{RSA_CERT}")).unwrap().len(), 2);
    }

    /// The fingerprint and PEM form are what `ssh-keygen -l -E md5` and `ssh-keygen -e -m PKCS8`
    /// print for the same key (the test data was made with them).
    #[test]
    fn ssh_keys_parse_in_both_encodings_with_ssh_keygen_s_fingerprint() {
        let key = SshPublicKey::parse(SSH_KEY).unwrap();
        assert_eq!(key.fingerprint(), SSH_FINGERPRINT.trim());
        assert_eq!(key.pem().unwrap().trim(), SSH_PEM.trim());
        assert_eq!(SshPublicKey::parse(SSH_PEM).unwrap(), key);
        assert!(SSH_KEY.starts_with(&key.ssh()));
        assert_eq!(SshPublicKey::parse("ssh-rsa notbase64!"), Err(KeyError::Malformed));
        // A zero modulus (an all-zero or empty mpint) is no key, not a huge one.
        let zero = SshPublicKey { modulus: Vec::new(), exponent: vec![1, 0, 1] };
        assert_eq!(SshPublicKey::parse(&zero.ssh()), Err(KeyError::Unsupported));
        assert_eq!(SshPublicKey::parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA=="), Err(KeyError::Unsupported));
        assert_eq!(SshPublicKey::parse("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIA=="), Err(KeyError::Malformed));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1_000))]

        /// Whatever a caller uploads, and however a valid upload is cut, the parsers answer
        /// without a panic.
        #[test]
        fn uploads_never_panic(text in "\\PC{0,300}", cut in 0usize..2000, junk in "[-A-Za-z0-9+/= \n]{0,12}") {
            for valid in [RSA_CERT, RSA_KEY, EC_KEY, SSH_KEY, SSH_PEM] {
                let cut = cut.min(valid.len());
                let mangled = format!("{}{junk}{}", &valid[..cut], &valid[cut..]);
                for input in [text.as_str(), mangled.as_str()] {
                    let _ = SshPublicKey::parse(input);
                    let _ = Certificate::parse_chain(input);
                    if let Ok(cert) = Certificate::parse(RSA_CERT) {
                        let _ = cert.matches_private_key(input);
                    }
                }
            }
        }
    }
}
