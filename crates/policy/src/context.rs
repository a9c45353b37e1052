//! The request context AWS fills in, built in one place for every user of the engine: the server
//! (a live request) and the analyzer (a request a principal could make) describe the principal and
//! the request as facts, and [`request_context`] turns them into the global condition keys AWS
//! documents ("AWS global condition context keys", IAM User Guide). Keys the caller knows beyond
//! these (`aws:RequestTag/*`, `iam:PermissionsBoundary`, ...) are added to the returned context.
//!
//! ```
//! use monban_policy::context::{request_context, Principal, PrincipalKind, RequestFacts};
//! let tags = [("team".to_string(), "blue".to_string())];
//! let alice = Principal {
//!     kind: PrincipalKind::User { name: "alice", id: "AIDAEXAMPLE" },
//!     account: "123456789012",
//!     arn: "arn:aws:iam::123456789012:user/alice",
//!     tags: &tags,
//!     organization: None,
//! };
//! let facts = RequestFacts {
//!     epoch_seconds: 1_795_329_344,
//!     source_ip: Some("192.0.2.1"),
//!     region: "us-east-1",
//!     secure_transport: true,
//! };
//! let context = request_context(&alice, &facts);
//! assert_eq!(context.get("aws:username").unwrap().values()[0].as_ref(), "alice");
//! assert_eq!(context.get("aws:principaltag/team").unwrap().values()[0].as_ref(), "blue");
//! ```

use std::sync::Arc;

use crate::condition::format_date;
use crate::request::{Context, ContextValue};

/// Who makes the request, as AWS knows it when it fills in the context.
#[derive(Debug, Clone, Copy)]
pub enum PrincipalKind<'a> {
    /// The account's root user.
    Root,
    /// An IAM user, by name and unique id (`AIDA...`).
    User {
        /// The user name (`aws:username`).
        name: &'a str,
        /// The unique id (`aws:userid`).
        id: &'a str,
    },
    /// An IAM user signing with its own temporary credentials (GetSessionToken).
    UserSession {
        /// The user name (`aws:username`).
        name: &'a str,
        /// The unique id (`aws:userid`).
        id: &'a str,
        /// When the temporary credentials were issued (`aws:TokenIssueTime`), ISO 8601.
        token_issued: &'a str,
        /// When the session was authenticated with MFA (seconds since the epoch), if it was.
        mfa_authenticated_at: Option<i64>,
    },
    /// A federated user (GetFederationToken).
    FederatedUser {
        /// The name it was given (`aws:userid` is `ACCOUNT:NAME`).
        name: &'a str,
        /// When the temporary credentials were issued (`aws:TokenIssueTime`), ISO 8601.
        token_issued: &'a str,
    },
    /// A role session.
    AssumedRole {
        /// The role's unique id (`AROA...`).
        role_id: &'a str,
        /// The session name.
        session_name: &'a str,
        /// When the temporary credentials were issued (`aws:TokenIssueTime`), ISO 8601.
        token_issued: &'a str,
        /// When the session was authenticated with MFA (seconds since the epoch), if it was
        /// (`aws:MultiFactorAuthPresent`, and `aws:MultiFactorAuthAge` counted to each request).
        mfa_authenticated_at: Option<i64>,
    },
}

/// The principal: its kind, account, ARN (the role's ARN for a role session: `aws:PrincipalArn`)
/// and its effective tags (a session's tags override its role's).
#[derive(Debug, Clone, Copy)]
pub struct Principal<'a> {
    /// What it is.
    pub kind: PrincipalKind<'a>,
    /// Its account (`aws:PrincipalAccount`).
    pub account: &'a str,
    /// `aws:PrincipalArn`: the user's ARN, the role's ARN for a session, `...:root` for root.
    pub arn: &'a str,
    /// `aws:PrincipalTag/*` and `aws:PrincipalTagKeys`.
    pub tags: &'a [(String, String)],
    /// The organization of its account, when it belongs to one.
    pub organization: Option<Organization<'a>>,
}

/// Where a principal's account sits in AWS Organizations.
#[derive(Debug, Clone, Copy)]
pub struct Organization<'a> {
    /// `aws:PrincipalOrgID` (`o-...`).
    pub id: &'a str,
    /// `aws:PrincipalOrgPaths`: `o-ID/r-ROOT/ou-.../`, when the account's place is known.
    pub path: Option<&'a str>,
}

/// Facts about the request itself.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// When, in seconds since the epoch (`aws:CurrentTime`, `aws:EpochTime`).
    pub epoch_seconds: i64,
    /// Where from (`aws:SourceIp`), when known.
    pub source_ip: Option<&'a str>,
    /// `aws:RequestedRegion`.
    pub region: &'a str,
    /// Whether the request arrived over TLS (`aws:SecureTransport`): AWS's API endpoints take
    /// only TLS; `monban serve` speaks plain HTTP and says so.
    pub secure_transport: bool,
}

/// The context AWS fills in for a request by `principal`: its keys ([`principal_context`]) and
/// the request's own ([`request_context_over`]). The request is made by the principal itself, not
/// by a service on its behalf, so `aws:ViaAWSService` and `aws:PrincipalIsAWSService` are false.
/// `aws:MultiFactorAuthPresent` is present only for temporary credentials: requests signed with
/// long-term access keys carry neither MFA key.
pub fn request_context(principal: &Principal<'_>, request: &RequestFacts<'_>) -> Context {
    request_context_over(&principal_context(principal), request)
}

/// The keys that depend on who asks and not on the request: the same for every request of one
/// principal (and session), so a server builds them once and shares them.
#[derive(Debug, Clone)]
pub struct PrincipalContext {
    keys: Arc<Context>,
    /// When the session was authenticated with MFA, in seconds since the epoch:
    /// `aws:MultiFactorAuthAge` is counted from it to each request.
    mfa_authenticated_at: Option<i64>,
}

/// The principal's half of the request context (see [`request_context`]).
pub fn principal_context(principal: &Principal<'_>) -> PrincipalContext {
    let mut context = Context::with_capacity(12 + principal.tags.len());
    let mut single = |key: &'static str, value: &str| context.insert_static(key, ContextValue::single(value));
    single("aws:principalarn", principal.arn);
    single("aws:principalaccount", principal.account);
    if let Some(org) = principal.organization {
        single("aws:principalorgid", org.id);
        if let Some(path) = org.path {
            single("aws:principalorgpaths", path);
        }
    }
    // Temporary credentials: when they were issued, and whether MFA was used.
    let mut mfa_authenticated_at = None;
    let mut session = |token_issued: &str, mfa_at: Option<i64>| {
        single("aws:tokenissuetime", token_issued);
        single("aws:multifactorauthpresent", if mfa_at.is_some() { "true" } else { "false" });
        mfa_authenticated_at = mfa_at;
    };
    let (principal_type, userid, username) = match principal.kind {
        PrincipalKind::Root => ("Account", principal.account.to_string(), None),
        PrincipalKind::User { name, id } => ("User", id.to_string(), Some(name)),
        PrincipalKind::UserSession { name, id, token_issued, mfa_authenticated_at } => {
            session(token_issued, mfa_authenticated_at);
            ("User", id.to_string(), Some(name))
        }
        PrincipalKind::AssumedRole { role_id, session_name, token_issued, mfa_authenticated_at } => {
            session(token_issued, mfa_authenticated_at);
            ("AssumedRole", format!("{role_id}:{session_name}"), None)
        }
        // A federation token is never issued with MFA.
        PrincipalKind::FederatedUser { name, token_issued } => {
            session(token_issued, None);
            ("FederatedUser", format!("{}:{name}", principal.account), None)
        }
    };
    context.insert_static("aws:principaltype", ContextValue::single(principal_type));
    context.insert_static("aws:userid", ContextValue::single(userid));
    if let Some(name) = username {
        context.insert_static("aws:username", ContextValue::single(name));
    }
    if !principal.tags.is_empty() {
        for (k, v) in principal.tags {
            context.insert(&format!("aws:PrincipalTag/{k}"), ContextValue::single(v.as_str()));
        }
        let keys = ContextValue::multi(principal.tags.iter().map(|(k, _)| k.as_str()));
        context.insert_static("aws:principaltagkeys", keys);
    }
    add_not_via_service(&mut context);
    PrincipalContext { keys: Arc::new(context), mfa_authenticated_at }
}

/// A request's context: its own facts over its principal's keys (shared, not copied), with
/// `aws:MultiFactorAuthAge` counted to this request.
pub fn request_context_over(principal: &PrincipalContext, request: &RequestFacts<'_>) -> Context {
    let mut context = Context::over(principal.keys.clone());
    add_request_facts(&mut context, request);
    if let Some(at) = principal.mfa_authenticated_at {
        let age = request.epoch_seconds.saturating_sub(at).max(0);
        context.insert_static("aws:multifactorauthage", ContextValue::single(age.to_string()));
    }
    context
}

/// The keys every request carries whoever makes it: transport, region, time, source address.
fn add_request_facts(context: &mut Context, request: &RequestFacts<'_>) {
    let mut single = |key: &'static str, value: &str| context.insert_static(key, ContextValue::single(value));
    single("aws:securetransport", if request.secure_transport { "true" } else { "false" });
    single("aws:requestedregion", request.region);
    single("aws:epochtime", &request.epoch_seconds.to_string());
    single("aws:currenttime", &format_date(request.epoch_seconds));
    if let Some(ip) = request.source_ip {
        single("aws:sourceip", ip);
    }
}

/// `aws:ViaAWSService` and `aws:PrincipalIsAWSService`: false, as the caller asks itself.
fn add_not_via_service(context: &mut Context) {
    context.insert_static("aws:viaawsservice", ContextValue::single("false"));
    context.insert_static("aws:principalisawsservice", ContextValue::single("false"));
}

/// What an OpenID Connect token says of its user, as AssumeRoleWithWebIdentity reads it.
#[derive(Debug, Clone, Copy)]
pub struct WebIdentity<'a> {
    /// The provider's ARN (`arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH`): `aws:FederatedProvider`.
    pub provider_arn: &'a str,
    /// The provider as condition keys name it: its URL without `https://` (`HOST/PATH`).
    pub provider: &'a str,
    /// The `sub` claim.
    pub subject: &'a str,
    /// The `aud` claim (its first value when it is a list).
    pub audience: &'a str,
    /// The `azp` claim, when present.
    pub authorized_party: Option<&'a str>,
    /// The `amr` claim's values (Amazon Cognito only).
    pub amr: &'a [String],
}

/// The context AWS fills in for AssumeRoleWithWebIdentity (IAM User Guide, "Available keys for AWS
/// OIDC federation"): `PROVIDER:sub`; `PROVIDER:aud` is `azp` when the token has one (its `aud`
/// then goes to `PROVIDER:oaud`), else `aud`; `PROVIDER:amr` for Amazon Cognito;
/// `aws:FederatedProvider`; and the request's own facts.
pub fn web_identity_context(who: &WebIdentity<'_>, request: &RequestFacts<'_>) -> Context {
    let mut context = Context::new();
    add_request_facts(&mut context, request);
    add_not_via_service(&mut context);
    let provider = who.provider;
    context.insert("aws:FederatedProvider", ContextValue::single(who.provider_arn));
    context.insert(&format!("{provider}:sub"), ContextValue::single(who.subject));
    match who.authorized_party {
        Some(azp) => {
            context.insert(&format!("{provider}:aud"), ContextValue::single(azp));
            context.insert(&format!("{provider}:oaud"), ContextValue::single(who.audience));
        }
        None => context.insert(&format!("{provider}:aud"), ContextValue::single(who.audience)),
    }
    if provider == "cognito-identity.amazonaws.com" && !who.amr.is_empty() {
        context.insert(&format!("{provider}:amr"), ContextValue::multi(who.amr.iter().map(String::as_str)));
    }
    context
}

/// What a SAML assertion says of its user, as AssumeRoleWithSAML reads it.
#[derive(Debug, Clone, Copy)]
pub struct SamlIdentity<'a> {
    /// The assertion's `Issuer` (`saml:iss`).
    pub issuer: &'a str,
    /// The subject's `NameID` (`saml:sub`).
    pub subject: &'a str,
    /// `persistent`, `transient` or the `NameID`'s format URI (`saml:sub_type`).
    pub subject_type: &'a str,
    /// The bearer confirmation's `Recipient` (`saml:aud`).
    pub recipient: &'a str,
    /// `ACCOUNT/PROVIDER_NAME` (`saml:doc`).
    pub doc: &'a str,
    /// `Base64(SHA1(issuer + account + "/" + provider name))` (`saml:namequalifier`).
    pub name_qualifier: &'a str,
    /// The assertion's attributes by name, each with its values.
    pub attributes: &'a [(String, Vec<String>)],
}

/// The attributes whose values become `saml:` keys, by the attribute names IdPs send (IAM User
/// Guide, "Configure SAML assertions for the authentication response", mapping of SAML attributes
/// to trust policy context keys): eduPerson and eduOrg by OID, X.500 and LDAP by OID.
const SAML_ATTRIBUTE_KEYS: &[(&str, &str)] = &[
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "saml:edupersonaffiliation"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.2", "saml:edupersonnickname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.3", "saml:edupersonorgdn"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.4", "saml:edupersonorgunitdn"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.5", "saml:edupersonprimaryaffiliation"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "saml:edupersonprincipalname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.7", "saml:edupersonentitlement"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.8", "saml:edupersonprimaryorgunitdn"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.9", "saml:edupersonscopedaffiliation"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.10", "saml:edupersontargetedid"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.11", "saml:edupersonassurance"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.2", "saml:eduorghomepageuri"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.3", "saml:eduorgidentityauthnpolicyuri"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.4", "saml:eduorglegalname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.5", "saml:eduorgsuperioruri"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.6", "saml:eduorgwhitepagesuri"),
    ("urn:oid:2.5.4.3", "saml:cn"),
    ("urn:oid:2.5.4.4", "saml:surname"),
    ("urn:oid:2.5.4.41", "saml:name"),
    ("urn:oid:2.5.4.42", "saml:givenName"),
    ("urn:oid:2.5.4.45", "saml:x500UniqueIdentifier"),
    ("urn:oid:0.9.2342.19200300.100.1.1", "saml:uid"),
    ("urn:oid:0.9.2342.19200300.100.1.3", "saml:mail"),
    ("urn:oid:0.9.2342.19200300.100.1.45", "saml:organizationStatus"),
    ("http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid", "saml:primaryGroupSID"),
];

/// The context AWS fills in for AssumeRoleWithSAML (IAM User Guide, "Available keys for SAML-based
/// AWS STS federation"): `saml:aud` (the `Recipient`), `saml:iss`, `saml:sub`, `saml:sub_type`,
/// `saml:doc`, `saml:namequalifier`, the mapped attributes, and the request's own facts.
pub fn saml_context(who: &SamlIdentity<'_>, request: &RequestFacts<'_>) -> Context {
    let mut context = Context::new();
    add_request_facts(&mut context, request);
    add_not_via_service(&mut context);
    context.insert("saml:aud", ContextValue::single(who.recipient));
    context.insert("saml:iss", ContextValue::single(who.issuer));
    context.insert("saml:sub", ContextValue::single(who.subject));
    context.insert("saml:sub_type", ContextValue::single(who.subject_type));
    context.insert("saml:doc", ContextValue::single(who.doc));
    context.insert("saml:namequalifier", ContextValue::single(who.name_qualifier));
    for (name, values) in who.attributes {
        if let Some((_, key)) = SAML_ATTRIBUTE_KEYS.iter().find(|(n, _)| n == name) {
            context.insert(key, ContextValue::multi(values.iter().map(String::as_str)));
        }
    }
    context
}

/// Adds a resource's tags (see [`resource_tag_keys`]).
pub fn add_resource_tags(context: &mut Context, tags: &[(String, String)], iam_resource: bool) {
    for (key, value) in resource_tag_keys(tags, iam_resource) {
        context.insert(&key, ContextValue::single(value));
    }
}

/// The keys a resource's tags give: `aws:ResourceTag/*`, and for IAM resources (users, roles,
/// policies...) also `iam:ResourceTag/*`, which IAM's actions list.
pub fn resource_tag_keys<'t>(
    tags: &'t [(String, String)],
    iam_resource: bool,
) -> impl Iterator<Item = (String, &'t str)> + 't {
    tags.iter().flat_map(move |(k, v)| {
        let iam = iam_resource.then(|| (format!("iam:ResourceTag/{k}"), v.as_str()));
        std::iter::once((format!("aws:ResourceTag/{k}"), v.as_str())).chain(iam)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value<'c>(context: &'c Context, key: &str) -> Option<Vec<&'c str>> {
        context.get(&key.to_lowercase()).map(|v| v.values().iter().map(AsRef::as_ref).collect())
    }

    #[test]
    fn a_role_session_carries_session_keys_and_mfa_only_when_used() {
        let tags = [("team".to_string(), "blue".to_string()), ("env".to_string(), "prod".to_string())];
        let session = Principal {
            kind: PrincipalKind::AssumedRole {
                role_id: "AROAEXAMPLE",
                session_name: "s",
                token_issued: "2026-11-22T06:35:44Z",
                mfa_authenticated_at: None,
            },
            account: "123456789012",
            arn: "arn:aws:iam::123456789012:role/r",
            tags: &tags,
            organization: None,
        };
        let facts =
            RequestFacts { epoch_seconds: 1_795_329_344, source_ip: None, region: "eu-west-1", secure_transport: true };
        let context = request_context(&session, &facts);
        assert_eq!(value(&context, "aws:userid"), Some(vec!["AROAEXAMPLE:s"]));
        assert_eq!(value(&context, "aws:PrincipalType"), Some(vec!["AssumedRole"]));
        assert_eq!(value(&context, "aws:MultiFactorAuthPresent"), Some(vec!["false"]));
        assert_eq!(value(&context, "aws:MultiFactorAuthAge"), None);
        assert_eq!(value(&context, "aws:PrincipalTagKeys"), Some(vec!["team", "env"]));
        assert_eq!(value(&context, "aws:username"), None);
        assert_eq!(value(&context, "aws:SourceIp"), None);
        assert_eq!(value(&context, "aws:CurrentTime"), Some(vec!["2026-11-22T06:35:44Z"]));

        let user = Principal { kind: PrincipalKind::User { name: "alice", id: "AIDA" }, tags: &[], ..session };
        let context = request_context(&user, &facts);
        assert_eq!(value(&context, "aws:MultiFactorAuthPresent"), None);
        assert_eq!(value(&context, "aws:PrincipalTagKeys"), None);
        assert_eq!(value(&context, "aws:username"), Some(vec!["alice"]));
        assert_eq!(value(&context, "aws:PrincipalOrgID"), None);

        // A member of an organization carries its id and its place in it.
        let org = Organization { id: "o-abc", path: Some("o-abc/r-1/ou-1/") };
        let member = Principal { organization: Some(org), ..user };
        let context = request_context(&member, &facts);
        assert_eq!(value(&context, "aws:PrincipalOrgID"), Some(vec!["o-abc"]));
        assert_eq!(value(&context, "aws:PrincipalOrgPaths"), Some(vec!["o-abc/r-1/ou-1/"]));
    }

    /// `aws:MultiFactorAuthAge` is the seconds since the credentials were authenticated with MFA
    /// (IAM User Guide, "AWS global condition context keys", aws:MultiFactorAuthAge): counted to
    /// each request, however long ago the principal's keys were built.
    #[test]
    fn a_principals_keys_are_built_once_and_each_request_counts_its_own_mfa_age() {
        let session = Principal {
            kind: PrincipalKind::AssumedRole {
                role_id: "AROAEXAMPLE",
                session_name: "s",
                token_issued: "2026-11-22T06:35:44Z",
                mfa_authenticated_at: Some(1_795_329_000),
            },
            account: "123456789012",
            arn: "arn:aws:iam::123456789012:role/r",
            tags: &[],
            organization: None,
        };
        let shared = principal_context(&session);
        for (epoch, age) in [(1_795_329_344, "344"), (1_795_329_400, "400"), (1_795_328_000, "0")] {
            let facts =
                RequestFacts { epoch_seconds: epoch, source_ip: None, region: "eu-west-1", secure_transport: true };
            let context = request_context_over(&shared, &facts);
            assert_eq!(value(&context, "aws:MultiFactorAuthPresent"), Some(vec!["true"]));
            assert_eq!(value(&context, "aws:MultiFactorAuthAge"), Some(vec![age]));
            assert_eq!(value(&context, "aws:EpochTime"), Some(vec![epoch.to_string().as_str()]));
            // The same keys and values as a context built whole for this request.
            assert_eq!(context, request_context(&session, &facts));
        }
    }
}
