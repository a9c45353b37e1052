//! GetWebIdentityToken: a JSON web token about the caller, signed by its account's issuer, for a
//! service outside AWS (STS API Reference, GetWebIdentityToken; IAM User Guide, "IAM outbound
//! identity federation", "Token claims", "Policies for outbound identity federation").

use serde_json::{json, Map, Value};

use crate::auth::{Authorization, Identity};
use crate::error::ApiError;
use crate::federation::outbound;
use crate::handlers::iam::{self, text};
use crate::{util, Call};

/// The namespace of AWS's own claims.
const AWS_CLAIMS: &str = "https://sts.amazonaws.com/";

/// Vends a token: `sub` is the caller (a role session's role), `aud` the requested audiences, and
/// AWS's claims name its account, region, organization, tags and the request's tags. The caller
/// needs `sts:GetWebIdentityToken` (with `sts:IdentityTokenAudience`, `sts:DurationSeconds`,
/// `sts:SigningAlgorithm`), and `sts:TagGetWebIdentityToken` for tags; the account must have
/// enabled outbound federation; a session's token may not outlive it.
pub(super) async fn get_web_identity_token(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let audiences: Vec<&str> =
        input.get("Audience").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let algorithm = text(input, "SigningAlgorithm");
    let duration = input.get("DurationSeconds").and_then(Value::as_i64).unwrap_or(300);
    // Refused before anything is decided or looked up.
    let signing = outbound::signing_algorithm(algorithm)?;
    let tags = iam::tags(input);
    iam::check_tags(&tags)?;
    let mut authz = Authorization::new("sts:GetWebIdentityToken", "*")
        .with_request_tags(&tags)
        .with("sts:DurationSeconds", duration.to_string())
        .with("sts:SigningAlgorithm", algorithm);
    authz
        .context
        .push(("sts:IdentityTokenAudience".to_string(), monban_policy::ContextValue::multi(audiences.iter().copied())));
    call.authorize(authz).await?;
    if !tags.is_empty() {
        call.authorize(Authorization::new("sts:TagGetWebIdentityToken", "*").with_request_tags(&tags)).await?;
    }

    let account = call.account();
    let federation = call.state.store.outbound_federation(account).await?.filter(|f| f.enabled);
    let Some(federation) = federation else {
        return Err(ApiError::outbound_federation_disabled(
            "Outbound web identity federation is disabled for this account (EnableOutboundWebIdentityFederation).",
        ));
    };
    let now = call.context.now;
    let expires = now + std::time::Duration::from_secs(duration.max(0).unsigned_abs());
    let identity = call.identity();
    if let Some(session) = identity.session() {
        if util::iso8601(expires) > session.expires {
            return Err(ApiError::session_duration_escalation(
                "The requested DurationSeconds would let the token outlive the session that requests it.",
            ));
        }
    }

    let subject = match identity {
        Identity::Session { role, .. } => role.arn.clone(),
        other => other.arn(),
    };
    let mut aws = Map::new();
    aws.insert("aws_account".into(), json!(account));
    aws.insert("source_region".into(), json!(call.context.region));
    let organization = crate::organizations::facts(call.state, account).await?;
    if let Some(id) = &organization.id {
        aws.insert("org_id".into(), json!(id));
    }
    if let Some(path) = &organization.path {
        aws.insert("ou_path".into(), json!(path));
    }
    let principal_tags = crate::auth::effective_tags(call.state, identity).await?;
    if !principal_tags.is_empty() {
        aws.insert(
            "principal_tags".into(),
            Value::Object(principal_tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect()),
        );
    }
    if !tags.is_empty() {
        let request_tags: Map<String, Value> = tags.iter().map(|t| (t.key.clone(), json!(t.value))).collect();
        aws.insert("request_tags".into(), Value::Object(request_tags));
    }
    let epoch = |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let claims = json!({
        "iss": federation.issuer,
        "sub": subject,
        "aud": if audiences.len() == 1 { json!(audiences[0]) } else { json!(audiences) },
        "iat": epoch(now),
        "exp": epoch(expires),
        "jti": util::uuid()?,
        AWS_CLAIMS: aws,
    });
    let (rsa_key, ec_key) = outbound::open_keys(call.state, &federation)?;
    let published: Value =
        serde_json::from_str(&federation.jwks).map_err(|_| ApiError::internal("the stored key set cannot be read"))?;
    let token = outbound::sign(&claims, signing, (&rsa_key, &ec_key), &published)?;
    Ok(json!({"WebIdentityToken": token, "Expiration": util::iso8601(expires)}))
}
