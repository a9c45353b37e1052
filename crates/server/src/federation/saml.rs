//! SAML 2.0 federation: a SAML response checked against the signing certificates of a SAML
//! provider's metadata, and what AWS reads of its assertion (IAM User Guide, "Configure SAML
//! assertions for the authentication response" and "Create a SAML identity provider in IAM"; STS
//! API Reference, AssumeRoleWithSAML).
//!
//! The XML signature is verified by `xml-sec` under its SAML profile (enveloped signatures with
//! exclusive canonicalization, SHA-2 algorithms, same-document references only, no DTD), with the
//! keys of the provider's metadata and never a key the document carries. Signature wrapping is
//! refused by construction: the one assertion that is read is found first, by its place (the only
//! `Assertion` child of the `Response`), and the verifier must prove that a valid signature covers
//! that very element (its ID unique in the document); nothing is read from outside it but the
//! response's status.

use std::sync::OnceLock;

use base64::Engine as _;
use xml_sec::api::Operation;
use xml_sec::policy::{CompiledPolicies, PolicyCompileContext, PolicyCompiler, PolicyProfile};
use xml_sec::provider::RustCryptoProvider;
use xml_sec::xmldsig::{SignatureAlgorithm, VerificationKey, VerificationRequest};
use xml_sec::{XmlDocument, XmlDomNode, XmlSecurity};

use super::{TokenError, SKEW_SECONDS};

/// SAML 2.0 protocol messages (`Response`, `Status`).
const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// SAML 2.0 assertions.
const ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// SAML 2.0 metadata.
const METADATA: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// XML-DSig.
const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The status of a response whose user authenticated.
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// The subject confirmation a browser-posted assertion carries.
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// Where AWS's sign-in endpoint takes SAML responses: the `Recipient` an assertion must name
/// (IAM User Guide, "Configure SAML assertions for the authentication response": `SubjectConfirmationData`).
const SIGN_IN: &str = "https://signin.aws.amazon.com/saml";

/// The audiences AWS answers to: `urn:amazon:webservices` and the sign-in endpoints
/// (IAM User Guide, "Configure SAML assertions for the authentication response": `AudienceRestriction`).
fn is_aws_audience(audience: &str) -> bool {
    audience == "urn:amazon:webservices" || is_sign_in_endpoint(audience)
}

/// `https://signin.aws.amazon.com/saml` or a regional sign-in endpoint
/// (`https://REGION.signin.aws.amazon.com/saml`).
fn is_sign_in_endpoint(url: &str) -> bool {
    if url == SIGN_IN {
        return true;
    }
    url.strip_prefix("https://").and_then(|rest| rest.strip_suffix(".signin.aws.amazon.com/saml")).is_some_and(
        |region| {
            !region.is_empty() && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        },
    )
}

/// The attribute names AWS reads (IAM User Guide, "Configure SAML assertions for the
/// authentication response").
pub(crate) mod attribute {
    /// `ROLE_ARN,PROVIDER_ARN` pairs, in either order.
    pub(crate) const ROLE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
    /// The session name.
    pub(crate) const ROLE_SESSION_NAME: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
    /// The session's duration in seconds.
    pub(crate) const SESSION_DURATION: &str = "https://aws.amazon.com/SAML/Attributes/SessionDuration";
    /// A session tag: `PrincipalTag:KEY`.
    pub(crate) const PRINCIPAL_TAG: &str = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:";
    /// The source identity.
    pub(crate) const SOURCE_IDENTITY: &str = "https://aws.amazon.com/SAML/Attributes/SourceIdentity";
}

/// What a provider's metadata document says that verification needs.
pub(crate) struct Metadata {
    /// The `entityID`: the `Issuer` its responses must carry.
    pub(crate) entity_id: String,
    /// The DER certificates of its `IDPSSODescriptor`'s signing keys.
    certificates: Vec<Vec<u8>>,
}

impl Metadata {
    /// Reads a metadata document as IAM stored it (its shape was checked then). Keys marked
    /// `use="encryption"` do not sign.
    pub(crate) fn parse(document: &str) -> Result<Metadata, TokenError> {
        let invalid = |why: &str| TokenError::Invalid(format!("The SAML provider's metadata cannot be used: {why}"));
        let doc = roxmltree::Document::parse(document).map_err(|_| invalid("it is not XML"))?;
        let root = doc.root_element();
        let entity_id = root.attribute("entityID").ok_or_else(|| invalid("it has no entityID"))?.to_string();
        let mut certificates = Vec::new();
        let descriptors = root.children().filter(|n| is(n.tag_name(), METADATA, "IDPSSODescriptor"));
        for key in descriptors.flat_map(|d| d.children()).filter(|n| is(n.tag_name(), METADATA, "KeyDescriptor")) {
            if key.attribute("use").is_some_and(|u| u != "signing") {
                continue;
            }
            for cert in key.descendants().filter(|n| is(n.tag_name(), DSIG, "X509Certificate")) {
                let text: String = cert.text().unwrap_or_default().split_whitespace().collect();
                let der = base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|_| invalid("an X509Certificate is not base64"))?;
                certificates.push(der);
            }
        }
        if certificates.is_empty() {
            return Err(invalid("it names no signing certificate"));
        }
        Ok(Metadata { entity_id, certificates })
    }
}

fn is(name: roxmltree::ExpandedName<'_, '_>, namespace: &str, local: &str) -> bool {
    name.namespace() == Some(namespace) && name.name() == local
}

/// What a verified assertion says, read from the signed assertion only.
#[derive(Debug)]
pub(crate) struct Assertion {
    /// The assertion's `Issuer`: the provider's entity ID.
    pub(crate) issuer: String,
    /// The `NameID` of its subject: without one, no role may be assumed.
    pub(crate) subject: Option<String>,
    /// The `NameID`'s `Format`, as the response's `SubjectType` gives it: `persistent`,
    /// `transient`, or the format URI itself for any other.
    pub(crate) subject_type: String,
    /// The `Recipient` of the bearer confirmation (`saml:aud`).
    pub(crate) recipient: String,
    /// Its attributes, by name, each with its values in order.
    pub(crate) attributes: Vec<(String, Vec<String>)>,
    /// The `AuthnStatement`'s `SessionNotOnOrAfter`: no session outlives it.
    pub(crate) session_not_on_or_after: Option<i64>,
}

impl Assertion {
    /// The values of an attribute (none when absent).
    pub(crate) fn values(&self, name: &str) -> &[String] {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice()).unwrap_or_default()
    }
}

/// The message STS gives an assertion that does not hold.
fn invalid(why: &str) -> TokenError {
    TokenError::Invalid(format!("Invalid SAML response: {why}"))
}

/// The SAML profile's compiled policy: restricted signature placement, references and
/// transforms, SHA-2 algorithms, explicit target coverage, no external resources.
fn security() -> Result<XmlSecurity<'static>, TokenError> {
    static PROVIDER: RustCryptoProvider = RustCryptoProvider;
    static POLICIES: OnceLock<Option<CompiledPolicies>> = OnceLock::new();
    let policies = POLICIES.get_or_init(|| {
        PolicyCompiler::new(PolicyProfile::SecureSaml, &PROVIDER, None)
            .and_then(|c| c.compile(&PolicyCompileContext { external_resources: false, target_evidence: true }))
            .ok()
    });
    let policies = policies.as_ref().ok_or_else(|| invalid("the XML signature policy is unavailable"))?;
    XmlSecurity::new(policies, &PROVIDER).map_err(|_| invalid("the XML signature policy is unavailable"))
}

/// Checks a base64-encoded SAML response against `metadata` at `now` (seconds since the epoch)
/// and returns its assertion.
pub(crate) fn verify(encoded: &str, metadata: &Metadata, now: i64) -> Result<Assertion, TokenError> {
    let compact: String = encoded.split_ascii_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| invalid("it is not base64"))?;
    let xml = String::from_utf8(bytes).map_err(|_| invalid("it is not UTF-8 XML"))?;
    let security = security()?;
    let document = security.parse_document(xml, Operation::Verify).map_err(|_| invalid("it is not acceptable XML"))?;

    let (read_assertion, target, algorithm) = document.with_view(|view| -> Result<_, TokenError> {
        let root = view.document().root_element();
        if !has(root, PROTOCOL, "Response") {
            return Err(invalid("the document is not a SAML 2.0 Response"));
        }
        let status = child(root, PROTOCOL, "Status")
            .and_then(|s| child(s, PROTOCOL, "StatusCode"))
            .and_then(|c| c.attribute("Value"));
        if status != Some(SUCCESS) {
            // The status is not signed: shown only as a short, printable excerpt.
            let shown: String = status.unwrap_or("no status").chars().filter(|c| !c.is_control()).take(128).collect();
            return Err(TokenError::Rejected(format!("The identity provider's response was not a success: {shown}")));
        }
        if child(root, ASSERTION, "EncryptedAssertion").is_some() {
            return Err(invalid("the assertion is encrypted, and the SAML provider has no private key"));
        }
        let mut assertions = children(root, ASSERTION, "Assertion");
        let (Some(assertion), None) = (assertions.next(), assertions.next()) else {
            return Err(invalid("the response must carry exactly one Assertion"));
        };
        let id = assertion.attribute("ID").ok_or_else(|| invalid("the Assertion has no ID"))?;
        // The one element of that ID: a duplicate anywhere makes the lookup fail.
        let target = view.node_for_id(id, &[]).ok_or_else(|| invalid("the Assertion's ID is not unique"))?;
        let algorithms: Vec<&str> = [root, assertion]
            .into_iter()
            .filter_map(|n| child(n, DSIG, "Signature"))
            .filter_map(|s| child(s, DSIG, "SignedInfo"))
            .filter_map(|s| child(s, DSIG, "SignatureMethod"))
            .filter_map(|m| m.attribute("Algorithm"))
            .collect();
        let algorithm = match algorithms.as_slice() {
            [] => return Err(invalid("neither the Response nor the Assertion is signed")),
            [first, rest @ ..] if rest.iter().all(|a| a == first) => SignatureAlgorithm::from_uri(first),
            _ => return Err(invalid("the Response and the Assertion are signed with different algorithms")),
        };
        let algorithm = algorithm.ok_or_else(|| invalid("the signature algorithm is not supported"))?;
        Ok((read(assertion)?, target, algorithm))
    })?;
    signed_by_metadata(&security, &document, target, algorithm, metadata)?;

    let assertion = read_assertion;
    if assertion.assertion.issuer != metadata.entity_id {
        return Err(invalid("the Issuer is not the SAML provider's entity ID"));
    }
    assertion.check_times(now)?;
    Ok(assertion.assertion)
}

/// Whether a valid signature by one of the metadata's certificates covers `target`. Every
/// signature of the document must be valid.
fn signed_by_metadata(
    security: &XmlSecurity<'_>,
    document: &XmlDocument,
    target: xml_sec::NodeIdentity,
    algorithm: SignatureAlgorithm,
    metadata: &Metadata,
) -> Result<(), TokenError> {
    let unavailable = || invalid("the XML signature policy is unavailable");
    // Why a signature was refused before its value was checked (its placement, references or
    // algorithms), which no key changes.
    let mut refused = None;
    for der in &metadata.certificates {
        let Ok((_, certificate)) = x509_parser::parse_x509_certificate(der) else { continue };
        let key = VerificationKey {
            algorithm,
            public_key_bytes: certificate.tbs_certificate.subject_pki.raw.to_vec(),
            certificate_der: None,
            name: None,
        };
        let targets = [target];
        let request = VerificationRequest { expected_targets: &targets, ..Default::default() };
        let Ok(evidence) = security.verifier().map_err(|_| unavailable())?.key(&key).verify(document, &request) else {
            continue;
        };
        if evidence.accepted(document).unwrap_or(false) {
            return Ok(());
        }
        if evidence.all_valid() {
            // Made by the provider, over something else: a wrapped response.
            return Err(invalid("the signature does not cover the Assertion that is read"));
        }
        refused = refused
            .or_else(|| evidence.signatures().iter().find_map(|s| s.result().as_ref().err()).map(|e| e.to_string()));
    }
    Err(match refused {
        Some(why) => invalid(&format!("the signature is refused: {why}")),
        None => invalid("the signature was not made by a certificate of the SAML provider's metadata"),
    })
}

/// An assertion as read, with the times it is valid within.
struct Read {
    assertion: Assertion,
    /// `Conditions/@NotBefore`.
    not_before: Option<i64>,
    /// The earliest of `Conditions/@NotOnOrAfter` and the bearer confirmation's `NotOnOrAfter`.
    not_on_or_after: i64,
}

impl Read {
    fn check_times(&self, now: i64) -> Result<(), TokenError> {
        let skew = i64::try_from(SKEW_SECONDS).unwrap_or(300);
        if self.not_before.is_some_and(|t| now + skew < t) {
            return Err(invalid("the assertion is not yet valid (NotBefore)"));
        }
        if now - skew >= self.not_on_or_after {
            return Err(TokenError::Expired("Response has expired (NotOnOrAfter)".to_string()));
        }
        Ok(())
    }
}

/// Reads what AWS takes from an assertion (SAML 2.0 Core, section 2).
fn read(assertion: XmlDomNode<'_, '_>) -> Result<Read, TokenError> {
    let issuer = child(assertion, ASSERTION, "Issuer").and_then(text).ok_or_else(|| invalid("no Issuer"))?;
    let subject = child(assertion, ASSERTION, "Subject").ok_or_else(|| invalid("no Subject"))?;
    let name_id = child(subject, ASSERTION, "NameID");
    let format =
        name_id.and_then(|n| n.attribute("Format")).unwrap_or("urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified");
    // "SubjectType": the format without the SAML 2.0 name-id prefix (STS API Reference,
    // AssumeRoleWithSAML).
    let subject_type = format.strip_prefix("urn:oasis:names:tc:SAML:2.0:nameid-format:").unwrap_or(format);
    // Exactly one bearer confirmation, addressed to AWS's sign-in endpoint, with an end.
    let mut confirmations = children(subject, ASSERTION, "SubjectConfirmation");
    let (Some(confirmation), None) = (confirmations.next(), confirmations.next()) else {
        return Err(invalid("the Subject must have exactly one SubjectConfirmation"));
    };
    let confirmation = Some(confirmation)
        .filter(|c| c.attribute("Method") == Some(BEARER))
        .and_then(|c| child(c, ASSERTION, "SubjectConfirmationData"))
        .filter(|d| d.attribute("Recipient").is_some_and(is_sign_in_endpoint))
        .ok_or_else(|| invalid("no bearer SubjectConfirmationData whose Recipient is the AWS sign-in endpoint"))?;
    let recipient = confirmation.attribute("Recipient").unwrap_or(SIGN_IN).to_string();
    let confirmation_end = confirmation
        .attribute("NotOnOrAfter")
        .map(|t| time(t).ok_or_else(|| invalid("SubjectConfirmationData's NotOnOrAfter is not a date")))
        .transpose()?
        .ok_or_else(|| invalid("SubjectConfirmationData has no NotOnOrAfter"))?;

    let conditions = child(assertion, ASSERTION, "Conditions");
    let condition_time = |name: &str| -> Result<Option<i64>, TokenError> {
        match conditions.and_then(|c| c.attribute(name)) {
            Some(t) => time(t).map(Some).ok_or_else(|| invalid("a Conditions time is not a date")),
            None => Ok(None),
        }
    };
    let not_before = condition_time("NotBefore")?;
    let not_on_or_after = condition_time("NotOnOrAfter")?.map_or(confirmation_end, |t| t.min(confirmation_end));
    // An AudienceRestriction is required, and every one must admit AWS (SAML 2.0 Core, 2.5.1.4;
    // IAM User Guide: "AWS should be included as an audience").
    let mut restrictions =
        conditions.into_iter().flat_map(|c| children(c, ASSERTION, "AudienceRestriction")).peekable();
    if restrictions.peek().is_none() {
        return Err(invalid("the assertion has no AudienceRestriction naming AWS (urn:amazon:webservices)"));
    }
    for restriction in restrictions {
        if !children(restriction, ASSERTION, "Audience").filter_map(text).any(|a| is_aws_audience(&a)) {
            return Err(invalid("the AudienceRestriction does not name AWS (urn:amazon:webservices)"));
        }
    }

    let session_end = children(assertion, ASSERTION, "AuthnStatement")
        .filter_map(|a| a.attribute("SessionNotOnOrAfter"))
        .map(|t| time(t).ok_or_else(|| invalid("SessionNotOnOrAfter is not a date")))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .min();
    let mut attributes: Vec<(String, Vec<String>)> = Vec::new();
    let statements = children(assertion, ASSERTION, "AttributeStatement");
    for attribute in statements.flat_map(|s| children(s, ASSERTION, "Attribute")) {
        let Some(name) = attribute.attribute("Name") else { continue };
        let values = children(attribute, ASSERTION, "AttributeValue").map(|v| text(v).unwrap_or_default());
        match attributes.iter_mut().find(|(n, _)| n == name) {
            Some((_, existing)) => existing.extend(values),
            None => attributes.push((name.to_string(), values.collect())),
        }
    }
    Ok(Read {
        assertion: Assertion {
            issuer,
            subject: name_id.and_then(text),
            subject_type: subject_type.to_string(),
            recipient,
            attributes,
            session_not_on_or_after: session_end,
        },
        not_before,
        not_on_or_after,
    })
}

/// An `xs:dateTime` as seconds since the epoch.
fn time(text: &str) -> Option<i64> {
    let nanos = monban_policy::condition::parse_date(text.trim())?;
    i64::try_from(nanos.div_euclid(1_000_000_000)).ok()
}

fn has(node: XmlDomNode<'_, '_>, namespace: &str, local: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(namespace) && node.tag_name().name() == local
}

fn child<'a, 'i>(node: XmlDomNode<'a, 'i>, namespace: &str, local: &str) -> Option<XmlDomNode<'a, 'i>> {
    node.children().find(|n| has(*n, namespace, local))
}

fn children<'a, 'i: 'a>(
    node: XmlDomNode<'a, 'i>,
    namespace: &'a str,
    local: &'a str,
) -> impl Iterator<Item = XmlDomNode<'a, 'i>> + 'a {
    node.children().filter(move |n| has(*n, namespace, local))
}

/// An element's text, trimmed; `None` when empty.
fn text(node: XmlDomNode<'_, '_>) -> Option<String> {
    let text: String = node.children().filter(|n| n.is_text()).filter_map(|n| n.text()).collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IdP's metadata and a response whose assertion it signed, valid from 2026-01-01 to
    /// 2099-01-01 (written by `tests/data/saml/make.py`).
    const METADATA: &str = include_str!("../../tests/data/saml/metadata.xml");
    const RESPONSE: &str = include_str!("../../tests/data/saml/response.xml");
    /// 2030-01-01T00:00:00Z.
    const NOW: i64 = 1_893_456_000;

    fn encode(xml: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(xml)
    }

    #[test]
    fn a_signed_assertion_is_read() {
        let metadata = Metadata::parse(METADATA).unwrap();
        assert_eq!(metadata.entity_id, "https://idp.example.com/saml");
        let assertion = verify(&encode(RESPONSE), &metadata, NOW).unwrap();
        assert_eq!(assertion.issuer, "https://idp.example.com/saml");
        assert_eq!(assertion.subject.as_deref(), Some("alice@example.com"));
        assert_eq!(assertion.subject_type, "persistent");
        assert_eq!(assertion.recipient, SIGN_IN);
        assert_eq!(assertion.values(attribute::ROLE_SESSION_NAME), ["alice"]);
        assert_eq!(assertion.values("urn:oid:1.3.6.1.4.1.5923.1.1.1.1"), ["member", "staff"]);
        assert!(assertion.values("absent").is_empty());
    }

    #[test]
    fn a_changed_assertion_fails_its_signature() {
        let metadata = Metadata::parse(METADATA).unwrap();
        let changed = RESPONSE.replace("alice@example.com", "mallory@example.com");
        assert!(matches!(verify(&encode(&changed), &metadata, NOW), Err(TokenError::Invalid(_))));
        // The Role attribute is inside the signature as well.
        let changed = RESPONSE.replace("role/saml", "role/admin");
        assert!(matches!(verify(&encode(&changed), &metadata, NOW), Err(TokenError::Invalid(_))));
    }

    #[test]
    fn another_providers_certificate_does_not_verify() {
        // The metadata's certificate swapped for another key's: the signature no longer verifies,
        // though the response's own KeyInfo still carries the signer's certificate.
        let mut metadata = Metadata::parse(METADATA).unwrap();
        metadata.certificates = vec![with_key_altered(&metadata.certificates[0])];
        let refused = verify(&encode(RESPONSE), &metadata, NOW).unwrap_err();
        assert!(matches!(refused, TokenError::Invalid(ref m) if m.contains("certificate")), "{refused:?}");
    }

    /// The certificate with one byte of its RSA modulus changed: a certificate of a key that did
    /// not sign.
    fn with_key_altered(certificate: &[u8]) -> Vec<u8> {
        let mut der = certificate.to_vec();
        let (_, certificate) = x509_parser::parse_x509_certificate(&der).unwrap();
        let key = certificate.tbs_certificate.subject_pki.raw;
        let at = der.windows(key.len()).position(|w| w == key).unwrap() + key.len() - 40;
        der[at] ^= 0x01;
        der
    }

    #[test]
    fn times_are_checked_with_five_minutes_of_skew() {
        let metadata = Metadata::parse(METADATA).unwrap();
        // NotOnOrAfter 2099-01-01T00:00:00Z.
        let end = 4_070_908_800;
        assert!(verify(&encode(RESPONSE), &metadata, end + 299).is_ok());
        assert!(matches!(verify(&encode(RESPONSE), &metadata, end + 300), Err(TokenError::Expired(_))));
        // NotBefore 2026-01-01T00:00:00Z.
        let start = 1_767_225_600;
        assert!(verify(&encode(RESPONSE), &metadata, start - 300).is_ok());
        assert!(matches!(verify(&encode(RESPONSE), &metadata, start - 301), Err(TokenError::Invalid(_))));
    }

    #[test]
    fn documents_that_are_not_signed_responses_are_refused() {
        let metadata = Metadata::parse(METADATA).unwrap();
        for bad in
            ["not base64!", &encode("<not-xml"), &encode("<Response/>"), &encode(&RESPONSE.replace("ID=", "Xd="))]
        {
            assert!(matches!(verify(bad, &metadata, NOW), Err(TokenError::Invalid(_))), "{bad}");
        }
        // A DTD (and so any entity expansion) is refused before anything is read.
        let with_dtd = format!("<!DOCTYPE r [<!ENTITY a \"aaaa\">]>{RESPONSE}");
        assert!(matches!(verify(&encode(&with_dtd), &metadata, NOW), Err(TokenError::Invalid(_))));
    }

    #[test]
    fn only_aws_sign_in_endpoints_are_recipients() {
        assert!(is_sign_in_endpoint("https://signin.aws.amazon.com/saml"));
        assert!(is_sign_in_endpoint("https://us-east-1.signin.aws.amazon.com/saml"));
        assert!(!is_sign_in_endpoint("https://evil.example.com/.signin.aws.amazon.com/saml"));
        assert!(!is_sign_in_endpoint("https://.signin.aws.amazon.com/saml"));
        assert!(!is_sign_in_endpoint("http://signin.aws.amazon.com/saml"));
        assert!(is_aws_audience("urn:amazon:webservices"));
        assert!(!is_aws_audience("urn:amazon:webservices:other"));
    }

    #[test]
    fn metadata_without_a_signing_certificate_is_refused() {
        let encryption_only = METADATA.replace("use=\"signing\"", "use=\"encryption\"");
        assert!(Metadata::parse(&encryption_only).is_err());
        assert!(Metadata::parse("<x").is_err());
    }
}
