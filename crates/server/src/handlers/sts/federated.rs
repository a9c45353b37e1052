//! The federation operations: AssumeRoleWithWebIdentity and AssumeRoleWithSAML (STS API
//! Reference). They are called unsigned: the provider's signed statement is the credential. The
//! statement is checked first (see [`crate::federation`]); then the role's trust policy decides for
//! the principal `{"Federated": PROVIDER_ARN}` with the provider's condition keys, and the RCPs of
//! the role's account apply; then the session is issued as AssumeRole's is.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine as _;
use monban_policy::arn::Arn;
use monban_store::{PrincipalKind, SessionKind, Tag};
use serde_json::{json, Value};
use sha1::Digest as _;

use super::{issue, session_policies};
use crate::auth::Authorization;
use crate::error::ApiError;
use crate::federation::{saml, TokenError};
use crate::handlers::iam::{self, text};
use crate::State;

/// The account and name of the role a federation request names, its ARN checked.
fn role_named(role_arn: &str) -> Result<(String, String), ApiError> {
    let arn = Arn::parse(role_arn).filter(|a| a.service() == "iam" && a.region().is_empty());
    match arn.filter(|a| a.resource_type() == "role") {
        Some(arn) => Ok((arn.account().to_string(), arn.resource_name().to_string())),
        None => Err(ApiError::validation(format!("{role_arn} is invalid"))),
    }
}

/// The role of that ARN, looked up once the statement is verified; `None` when there is no such
/// role, which the caller answers as a denial.
async fn requested_role(state: &State, role_arn: &str) -> Result<Option<Arc<monban_store::Principal>>, ApiError> {
    let (account, name) = role_named(role_arn)?;
    let role = crate::auth::principal(state, &account, PrincipalKind::Role, &name).await?;
    Ok(role.filter(|r| r.arn == role_arn))
}

/// What a federated user asks of a role, for its trust decision.
struct Federated<'a> {
    /// `sts:AssumeRoleWithWebIdentity` or `sts:AssumeRoleWithSAML`.
    action: &'static str,
    provider_arn: &'a str,
    /// The provider's keys and the request's facts (`web_identity_context`, `saml_context`).
    context: monban_policy::Context,
    session_name: &'a str,
    tags: &'a [Tag],
    source_identity: Option<&'a str>,
}

/// Whether the role's trust policy allows the federated user every action the request needs (the
/// assumption; `sts:TagSession` with session tags, "Passing session tags in AWS STS";
/// `sts:SetSourceIdentity` with a source identity), and no RCP of the role's account denies one.
async fn trusted(
    state: &State,
    role: &monban_store::Principal,
    account: &str,
    federated: &Federated<'_>,
) -> Result<bool, ApiError> {
    let trust = crate::auth::trust_policy(state, role).await?;
    let organization = crate::organizations::facts(state, account).await?;
    let mut actions = vec![federated.action];
    if !federated.tags.is_empty() {
        actions.push("sts:TagSession");
    }
    if federated.source_identity.is_some() {
        actions.push("sts:SetSourceIdentity");
    }
    // The keys AssumeRole's request carries too: the session name, the session tags, the source
    // identity.
    let mut extra = Authorization::new("", "")
        .with_request_tags(federated.tags)
        .with("sts:RoleSessionName", federated.session_name);
    if let Some(source) = federated.source_identity {
        extra = extra.with("sts:SourceIdentity", source);
    }
    for action in actions {
        let mut context = federated.context.clone();
        for (key, value) in &extra.context {
            context.insert(key, value.clone());
        }
        if let Some(id) = &organization.id {
            context.insert("aws:ResourceOrgID", monban_policy::ContextValue::single(id.as_str()));
        }
        if let Some(path) = &organization.path {
            context.insert("aws:ResourceOrgPaths", monban_policy::ContextValue::single(path.as_str()));
        }
        let caller = monban_policy::Caller::web_identity(federated.provider_arn);
        let request = monban_policy::Request::new(caller, action, &role.arn).with_context(context);
        let policies = monban_policy::eval::PolicySet {
            resource: Some(trust.clone()),
            rcps: organization.rcps.clone(),
            ..Default::default()
        };
        if monban_policy::authorize(&request, &policies).outcome != monban_policy::Outcome::Allow {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The session tags a provider's statement carries (the token's `https://aws.amazon.com/tags`
/// claim, the assertion's `PrincipalTag:` attributes), held to the limits a request's tags are
/// ("Passing session tags in AWS STS": at most 50, keys of 1 to 128 characters, values of at most
/// 256, not `aws:`, no key twice).
fn statement_tags(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Vec<Tag>, ApiError> {
    let tags: Vec<Tag> = pairs.into_iter().map(|(key, value)| Tag { key, value }).collect();
    let limit = usize::try_from(monban_store::Quota::SessionTags.value()).unwrap_or(50);
    let sized = |t: &Tag| (1..=128).contains(&t.key.chars().count()) && t.value.chars().count() <= 256;
    if tags.len() > limit || !tags.iter().all(sized) {
        return Err(ApiError::invalid_identity_token(format!(
            "The session tags must be at most {limit}, each key 1 to 128 characters and each value at most 256."
        )));
    }
    iam::check_tags(&tags)?;
    Ok(tags)
}

/// How long a federated session is asked to last and will last.
struct Lifetime {
    /// `DurationSeconds` (3600 by default): the role's maximum caps it.
    requested: i64,
    /// What the statement leaves of it (SAML's `SessionDuration`, `SessionNotOnOrAfter`).
    granted: i64,
}

/// The session a federated user gets once trusted: the request's session policies, the
/// statement's tags and source identity. Returns the `Credentials` and `AssumedRoleUser` members.
#[allow(clippy::too_many_arguments)]
async fn open_session(
    state: &State,
    input: &Value,
    now: SystemTime,
    account: &str,
    role: &monban_store::Principal,
    session_name: &str,
    lifetime: Lifetime,
    tags: &[Tag],
    source_identity: Option<&str>,
) -> Result<Value, ApiError> {
    if lifetime.requested > role.max_session_duration.unwrap_or(3600) {
        return Err(ApiError::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let session_documents = session_policies(state, input, account).await?;
    let (mut session, credentials) = issue(
        state,
        now,
        account,
        SessionKind::Role,
        (role.id.clone(), role.name.clone()),
        session_name,
        lifetime.granted,
    )?;
    let session_tags: BTreeMap<&str, &str> = tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect();
    session.session_policy = (!session_documents.is_empty()).then(|| json!(session_documents).to_string());
    session.session_tags = (!session_tags.is_empty()).then(|| json!(session_tags).to_string());
    session.source_identity = source_identity.map(String::from);
    state.store.create_session(&session).await?;
    let partition = state.config.partition;
    Ok(json!({
        "Credentials": credentials,
        "AssumedRoleUser": {"AssumedRoleId": format!("{}:{session_name}", role.id),
            "Arn": format!("arn:{partition}:sts::{account}:assumed-role/{}/{session_name}", role.name)},
    }))
}

/// The request's facts, as the trust decision sees them.
fn request_facts<'a>(state: &State, epoch: i64, source_ip: &'a str) -> monban_policy::context::RequestFacts<'a> {
    monban_policy::context::RequestFacts {
        epoch_seconds: epoch,
        source_ip: Some(source_ip),
        region: state.config.partition.iam_region(),
        secure_transport: false,
    }
}

fn epoch_seconds(now: SystemTime) -> i64 {
    let seconds = now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    i64::try_from(seconds).unwrap_or(i64::MAX)
}

/// AssumeRoleWithWebIdentity: role credentials for the user of an OpenID Connect provider, on a
/// token the provider signed (STS API Reference, AssumeRoleWithWebIdentity). The token must come
/// from a provider registered in the role's account (`iss` is its URL), carry one of its client
/// ids as audience, be signed by one of the issuer's keys (see [`crate::federation::oidc`]) and
/// be within its times.
pub(crate) async fn assume_role_with_web_identity(
    state: &State,
    input: &Value,
    now: SystemTime,
    source_ip: &str,
) -> Result<Value, ApiError> {
    let role_arn = text(input, "RoleArn");
    let session_name = text(input, "RoleSessionName");
    let token = text(input, "WebIdentityToken");
    let partition = state.config.partition;
    let (account, _) = role_named(role_arn)?;
    let peeked = crate::federation::oidc::peek(token)?;
    let provider = crate::federation::oidc::provider_name(&peeked.issuer).to_string();
    let provider_arn = format!("arn:{partition}:iam::{account}:oidc-provider/{provider}");
    let registered = state.store.identity_provider(&provider_arn).await?.filter(|p| p.account_id == account);
    let Some(registered) = registered else {
        return Err(ApiError::invalid_identity_token(format!(
            "No OpenIDConnect provider found in your account for {}",
            peeked.issuer
        )));
    };
    let epoch = epoch_seconds(now);
    let claims = state.provider_keys.verify(token, &peeked, &registered, epoch.max(0).unsigned_abs()).await?;
    // Denied the same way whether or not the role exists.
    let denied = || ApiError::access_denied("Not authorized to perform sts:AssumeRoleWithWebIdentity");
    let Some(role) = requested_role(state, role_arn).await? else { return Err(denied()) };
    let who = monban_policy::context::WebIdentity {
        provider_arn: &provider_arn,
        provider: &provider,
        subject: &claims.subject,
        audience: &claims.audience,
        authorized_party: claims.authorized_party.as_deref(),
        amr: &claims.amr,
    };
    let tags: Vec<Tag> =
        claims.tags.iter().map(|(key, value)| Tag { key: key.clone(), value: value.clone() }).collect();
    iam::check_tags(&tags)?;
    let federated = Federated {
        action: "sts:AssumeRoleWithWebIdentity",
        provider_arn: &provider_arn,
        context: monban_policy::context::web_identity_context(&who, &request_facts(state, epoch, source_ip)),
        session_name,
        tags: &tags,
        source_identity: None,
    };
    if !trusted(state, &role, &account, &federated).await? {
        return Err(denied());
    }
    let requested = input.get("DurationSeconds").and_then(Value::as_i64).unwrap_or(3600);
    let lifetime = Lifetime { requested, granted: requested };
    let mut out = open_session(state, input, now, &account, &role, session_name, lifetime, &tags, None).await?;
    out["SubjectFromWebIdentityToken"] = json!(claims.subject);
    out["Provider"] = json!(peeked.issuer);
    out["Audience"] = json!(claims.authorized_party.unwrap_or(claims.audience));
    Ok(out)
}

/// A session name or source identity as AWS takes them from an assertion: 2 to 64 of
/// `[a-zA-Z_0-9+=,.@-]`.
fn is_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// AssumeRoleWithSAML: role credentials for the user of a SAML 2.0 identity provider, on the
/// response the provider signed (STS API Reference, AssumeRoleWithSAML; IAM User Guide,
/// "Configure SAML assertions for the authentication response"). `PrincipalArn` names a SAML
/// provider of the role's account; the response must be signed by a certificate of its metadata,
/// its assertion issued by the metadata's entity, addressed to AWS and within its times, and its
/// `Role` attribute must pair this role with this provider. The session is named by the
/// `RoleSessionName` attribute, may be shortened by `SessionDuration` and `SessionNotOnOrAfter`,
/// and carries the `PrincipalTag:` attributes as session tags and `SourceIdentity`.
pub(crate) async fn assume_role_with_saml(
    state: &State,
    input: &Value,
    now: SystemTime,
    source_ip: &str,
) -> Result<Value, ApiError> {
    let role_arn = text(input, "RoleArn");
    let provider_arn = text(input, "PrincipalArn");
    let (role_account, _) = role_named(role_arn)?;
    let provider = Arn::parse(provider_arn)
        .filter(|a| a.service() == "iam" && a.region().is_empty() && a.resource_type() == "saml-provider");
    let Some(provider) = provider else {
        return Err(ApiError::validation(format!("{provider_arn} is invalid")));
    };
    let account = provider.account().to_string();
    let registered = state.store.identity_provider(provider_arn).await?;
    let registered = registered.filter(|p| p.account_id == account && p.kind == monban_store::ProviderKind::Saml);
    let Some(registered) = registered else {
        return Err(ApiError::invalid_identity_token("Specified provider doesn't exist"));
    };
    let metadata = saml::Metadata::parse(registered.metadata.as_deref().unwrap_or_default())?;
    let epoch = epoch_seconds(now);
    let assertion = saml::verify(text(input, "SAMLAssertion"), &metadata, epoch)?;

    let denied = || ApiError::access_denied("Not authorized to perform sts:AssumeRoleWithSAML");
    // The Role attribute pairs roles with providers, in either order.
    let paired = assertion.values(saml::attribute::ROLE).iter().any(|pair| {
        let mut arns = pair.split(',').map(str::trim);
        match (arns.next(), arns.next(), arns.next()) {
            (Some(a), Some(b), None) => (a, b) == (role_arn, provider_arn) || (b, a) == (role_arn, provider_arn),
            _ => false,
        }
    });
    let Some(subject) = assertion.subject.as_deref().filter(|_| paired) else { return Err(denied()) };
    let session_name = match assertion.values(saml::attribute::ROLE_SESSION_NAME).first() {
        None => return Err(ApiError::invalid_identity_token("RoleSessionName is required in AuthnResponse")),
        Some(name) if !is_session_name(name) => {
            return Err(ApiError::invalid_identity_token(
                "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
            ))
        }
        Some(name) => name.as_str(),
    };
    let source_identity = assertion.values(saml::attribute::SOURCE_IDENTITY).first().map(String::as_str);
    if source_identity.is_some_and(|s| !is_session_name(s) || s.to_ascii_lowercase().starts_with("aws:")) {
        return Err(ApiError::invalid_identity_token(
            "SourceIdentity in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with aws:",
        ));
    }
    let tags = statement_tags(assertion.attributes.iter().filter_map(|(name, values)| {
        let key = name.strip_prefix(saml::attribute::PRINCIPAL_TAG)?;
        Some((key.to_string(), values.first().cloned().unwrap_or_default()))
    }))?;

    // A SAML provider is trusted by the roles of its own account.
    if role_account != account {
        return Err(denied());
    }
    let Some(role) = requested_role(state, role_arn).await? else { return Err(denied()) };
    // saml:doc and saml:namequalifier name the provider by its account and friendly name
    // (IAM User Guide, "Available keys for SAML-based AWS STS federation").
    let provider_name = provider.resource_name();
    let doc = format!("{account}/{provider_name}");
    let digest = sha1::Sha1::digest(format!("{}{account}/{provider_name}", assertion.issuer).as_bytes());
    let name_qualifier = base64::engine::general_purpose::STANDARD.encode(digest);
    let who = monban_policy::context::SamlIdentity {
        issuer: &assertion.issuer,
        subject,
        subject_type: &assertion.subject_type,
        recipient: &assertion.recipient,
        doc: &doc,
        name_qualifier: &name_qualifier,
        attributes: &assertion.attributes,
    };
    let federated = Federated {
        action: "sts:AssumeRoleWithSAML",
        provider_arn,
        context: monban_policy::context::saml_context(&who, &request_facts(state, epoch, source_ip)),
        session_name,
        tags: &tags,
        source_identity,
    };
    if !trusted(state, &role, &account, &federated).await? {
        return Err(denied());
    }
    // SessionDuration and SessionNotOnOrAfter shorten the session, never lengthen it (IAM User
    // Guide, "Configure SAML assertions for the authentication response").
    let requested = input.get("DurationSeconds").and_then(Value::as_i64).unwrap_or(3600);
    // A SessionDuration outside 900 to 43,200 seconds is not one AWS takes; it is ignored.
    let attribute = assertion.values(saml::attribute::SESSION_DURATION).first();
    let attribute = attribute.and_then(|d| d.trim().parse::<i64>().ok()).filter(|d| (900..=43_200).contains(d));
    let mut granted = attribute.map_or(requested, |a| a.min(requested));
    if let Some(end) = assertion.session_not_on_or_after {
        if end <= epoch {
            return Err(TokenError::Expired("The SAML session has ended (SessionNotOnOrAfter)".into()).into());
        }
        granted = granted.min(end - epoch);
    }
    let lifetime = Lifetime { requested, granted };
    let mut out =
        open_session(state, input, now, &account, &role, session_name, lifetime, &tags, source_identity).await?;
    out["Subject"] = json!(subject);
    out["SubjectType"] = json!(assertion.subject_type);
    out["Issuer"] = json!(assertion.issuer);
    out["Audience"] = json!(assertion.recipient);
    out["NameQualifier"] = json!(name_qualifier);
    if let Some(source) = source_identity {
        out["SourceIdentity"] = json!(source);
    }
    Ok(out)
}
