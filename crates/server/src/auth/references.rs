//! Principals named in resource-based policies (role trust policies), referenced by unique id.
//!
//! AWS: "If your Principal element in a role trust policy contains an ARN that points to a specific
//! IAM role, then that ARN transforms to the role's unique principal ID when you save the policy.
//! This helps mitigate the risk of someone escalating their privileges by removing and recreating
//! the role. You don't normally see this ID in the console, because IAM uses a reverse
//! transformation back to the role ARN when the trust policy is displayed. However, if you delete
//! the role, then you break the relationship" (IAM User Guide, "AWS JSON policy elements:
//! Principal", IAM role principals; the same holds for IAM users).
//!
//! monban keeps the document as written and, beside it, the id of each IAM user and role it names
//! ([`record`]). [`resolve`] gives the document as it applies now: a principal that was renamed or
//! moved appears under its current ARN, and one that is gone appears as its unique id, which no
//! caller's ARN matches, so a later principal of the same name is not trusted.

use std::collections::BTreeMap;

use monban_policy::arn::Arn;
use monban_policy::policy::PrincipalMatcher;
use monban_policy::Policy;
use monban_store::PrincipalKind;
use serde_json::Value;

use crate::error::ApiError;
use crate::State;

/// The IAM user or role an ARN names: (account, kind, name), or `None` for anything else (an
/// account, a role session, a service).
fn iam_principal(arn: &str) -> Option<(&str, PrincipalKind, &str)> {
    let arn = Arn::parse(arn).filter(|a| a.service() == "iam" && a.region().is_empty())?;
    let kind = match arn.resource_type() {
        "user" => PrincipalKind::User,
        "role" => PrincipalKind::Role,
        _ => return None,
    };
    Some((arn.account(), kind, arn.resource_name()))
}

/// The unique id of every IAM user and role `policy` names, as the JSON object stored beside
/// the document (`None` when it names none). A user or role of an account held here that does
/// not exist is refused as IAM refuses it.
pub async fn record(state: &State, policy: &Policy) -> Result<Option<String>, ApiError> {
    let mut ids = BTreeMap::new();
    let named = policy.statements.iter().filter_map(|s| s.principal.as_ref()).flat_map(|p| p.matchers.iter());
    for matcher in named {
        let (PrincipalMatcher::Exact(arn) | PrincipalMatcher::Role(arn)) = matcher else { continue };
        let Some((account, kind, name)) = iam_principal(arn) else { continue };
        if !state.store.has_account(account).await? {
            // Another account's principals are not known here.
            continue;
        }
        let principal = state.store.principal(account, kind, name).await?.filter(|p| p.arn == **arn);
        let Some(principal) = principal else {
            return Err(ApiError::malformed_policy(format!("Invalid principal in policy: \"AWS\":\"{arn}\"")));
        };
        ids.insert(arn.to_string(), principal.id);
    }
    Ok((!ids.is_empty()).then(|| serde_json::json!(ids).to_string()))
}

/// The document as it applies now and as IAM shows it: each recorded principal under its current
/// ARN, or under its unique id once it is gone.
pub async fn resolve(state: &State, document: &str, ids: Option<&str>) -> Result<String, ApiError> {
    let Some(ids) = ids else { return Ok(document.to_string()) };
    let ids: BTreeMap<String, String> =
        serde_json::from_str(ids).map_err(|e| ApiError::internal(format!("stored principal ids: {e}")))?;
    let mut replacements = BTreeMap::new();
    for (arn, id) in ids {
        let current = state.store.principal_by_id(&id).await?.map(|p| p.arn);
        match current {
            Some(current) if current == arn => {}
            Some(current) => {
                replacements.insert(arn, current);
            }
            None => {
                replacements.insert(arn, id);
            }
        }
    }
    if replacements.is_empty() {
        return Ok(document.to_string());
    }
    let mut parsed: Value =
        serde_json::from_str(document).map_err(|e| ApiError::internal(format!("stored trust policy: {e}")))?;
    let statements = match parsed.get_mut("Statement") {
        Some(Value::Array(items)) => items.iter_mut().collect(),
        Some(single) => vec![single],
        None => Vec::new(),
    };
    for statement in statements {
        for element in ["Principal", "NotPrincipal"] {
            let Some(aws) = statement.get_mut(element).and_then(|p| p.get_mut("AWS")) else { continue };
            let values: Vec<&mut Value> = match aws {
                Value::Array(items) => items.iter_mut().collect(),
                single => vec![single],
            };
            for value in values {
                if let Some(replacement) = value.as_str().and_then(|arn| replacements.get(arn)) {
                    *value = Value::String(replacement.clone());
                }
            }
        }
    }
    Ok(parsed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_iam_users_and_roles_are_recorded() {
        assert_eq!(
            iam_principal("arn:aws:iam::123456789012:user/ops/alice"),
            Some(("123456789012", PrincipalKind::User, "alice"))
        );
        assert_eq!(
            iam_principal("arn:aws:iam::123456789012:role/deployer"),
            Some(("123456789012", PrincipalKind::Role, "deployer"))
        );
        assert_eq!(iam_principal("arn:aws:iam::123456789012:root"), None);
        assert_eq!(iam_principal("arn:aws:sts::123456789012:assumed-role/r/s"), None);
        assert_eq!(iam_principal("123456789012"), None);
    }
}
