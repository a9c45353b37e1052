//! Whether IAM accepts a policy document, and if not, IAM's own words for why.
//!
//! [`crate::Policy::parse`] explains a bad policy to a person, with a path, a line and a column;
//! this module says what IAM answers on the wire when it refuses one (`MalformedPolicyDocument`
//! and a fixed message), so that a sandbox refuses exactly what IAM refuses and says it as IAM
//! does. The checks run in IAM's order, as the AWS-recorded answers show it: syntax, version,
//! legacy parsing, statement ids, actions, resources, resource format, action format.
//! The cases and their sources are in `tests/data/policy-acceptance.json`.

use serde_json::{Map, Value};

use crate::condition::{parse_date, Family, Operator};

/// Which kind of policy a document is, as IAM's rules differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// A customer managed policy (CreatePolicy, CreatePolicyVersion): Version 2012-10-17 required.
    Managed,
    /// A user's, group's or role's inline policy.
    Inline,
    /// A role's trust policy (CreateRole, UpdateAssumeRolePolicy).
    Trust,
    /// A session policy (AssumeRole's `Policy`).
    Session,
}

/// Why IAM refuses a document: its `MalformedPolicyDocument` message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Rejection(pub String);

const SYNTAX: &str = "Syntax errors in policy.";
const LEGACY: &str = "The policy failed legacy parsing";
const TOP_LEVEL_KEYS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_KEYS: [&str; 9] =
    ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"];
/// The partitions an ARN can name.
const PARTITIONS: [&str; 3] = ["aws", "aws-cn", "aws-us-gov"];
/// What an IAM resource's part after the account may start with (besides `*` and `root`).
const IAM_RESOURCE_PREFIXES: [&str; 13] = [
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];
/// The actions a trust policy may allow.
const TRUST_ACTIONS: [&str; 6] = [
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
];

fn reject<T>(message: impl Into<String>) -> Result<T, Rejection> {
    Err(Rejection(message.into()))
}

/// A string or a list of strings (`Action`, `Resource`): `None` for anything else.
fn strings(value: &Value) -> Option<Vec<&str>> {
    match value {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(items) => items.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

/// Checks `text` as IAM does for a policy of `kind` in an account of `partition`.
pub fn check(text: &str, kind: PolicyKind, partition: &str) -> Result<(), Rejection> {
    let document: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        // Trust policies word it differently (CreateRole and UpdateAssumeRolePolicy).
        Err(_) if kind == PolicyKind::Trust => return reject("This policy contains invalid Json"),
        Err(_) => return reject(SYNTAX),
    };
    let statements = syntax(&document)?;
    version(&document, kind)?;
    legacy(&statements)?;
    sids(&statements)?;
    for s in &statements {
        if !s.contains_key("Action") && !s.contains_key("NotAction")
            || s.get("Action").or(s.get("NotAction")).and_then(strings).is_some_and(|a| a.is_empty())
        {
            return reject("Policy statement must contain actions.");
        }
    }
    principals(&statements, kind)?;
    if matches!(kind, PolicyKind::Managed | PolicyKind::Inline | PolicyKind::Session) {
        for s in &statements {
            let resources = s.get("Resource").or(s.get("NotResource")).and_then(strings);
            if resources.is_none_or(|r| r.is_empty()) {
                return reject("Policy statement must contain resources.");
            }
        }
    }
    for s in &statements {
        for resource in s.get("Resource").or(s.get("NotResource")).and_then(strings).unwrap_or_default() {
            resource_format(resource, partition)?;
        }
    }
    for s in &statements {
        for action in s.get("Action").or(s.get("NotAction")).and_then(strings).unwrap_or_default() {
            action_format(action)?;
        }
    }
    if kind == PolicyKind::Trust {
        let allows_other = statements.iter().filter_map(|s| s.get("Action").and_then(strings)).flatten().any(|a| {
            let a = a.to_ascii_lowercase();
            a != "*" && a != "sts:*" && !TRUST_ACTIONS.contains(&a.as_str())
        });
        if allows_other {
            return reject("AssumeRole policy may only specify STS AssumeRole actions.");
        }
    }
    Ok(())
}

/// The two kinds of AWS Organizations authorization policy, whose grammars differ from IAM's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganizationPolicyKind {
    /// A service control policy ("SCP syntax", AWS Organizations User Guide).
    Scp,
    /// A customer managed resource control policy ("RCP syntax", AWS Organizations User Guide).
    Rcp,
}

/// What Organizations answers a document it refuses (`MalformedPolicyDocumentException`).
pub const ORGANIZATIONS_MALFORMED: &str =
    "The provided policy document does not meet the requirements of the specified policy type.";

/// Checks `text` as Organizations does before storing a policy of `kind` (CreatePolicy,
/// UpdatePolicy): the IAM policy shape, version `2012-10-17`, and each kind's own rules. An SCP
/// has the full IAM language but names no principal ("SCP syntax": "Unsupported elements ...
/// `NotPrincipal`, `Principal`"). A customer RCP only denies, names the principal `"*"`, has an
/// `Action` that is not `"*"` and a resource, and has no `NotPrincipal` or `NotAction` ("RCP
/// syntax"). The refusal says which rule the document broke after Organizations' own sentence.
pub fn check_organization_policy(text: &str, kind: OrganizationPolicyKind) -> Result<(), Rejection> {
    let refuse = |why: &str| reject(format!("{ORGANIZATIONS_MALFORMED} {why}"));
    let Ok(document) = serde_json::from_str::<Value>(text) else { return refuse("It is not JSON.") };
    let Ok(statements) = syntax(&document) else { return refuse("It is not a policy document.") };
    if document.get("Version").and_then(Value::as_str) != Some("2012-10-17") {
        return refuse("Version must be \"2012-10-17\".");
    }
    for s in &statements {
        let has = |key: &str| s.contains_key(key);
        match kind {
            OrganizationPolicyKind::Scp => {
                if has("Principal") || has("NotPrincipal") {
                    return refuse("SCPs do not support Principal or NotPrincipal.");
                }
                if !has("Action") && !has("NotAction") {
                    return refuse("Each statement must contain Action or NotAction.");
                }
            }
            OrganizationPolicyKind::Rcp => {
                let effect = s.get("Effect").and_then(Value::as_str).unwrap_or_default();
                if !effect.eq_ignore_ascii_case("deny") {
                    return refuse("The Effect of a customer managed RCP must be Deny.");
                }
                if has("NotPrincipal") || has("NotAction") {
                    return refuse("RCPs do not support NotPrincipal or NotAction.");
                }
                if s.get("Principal").and_then(Value::as_str) != Some("*") {
                    return refuse("Each statement must contain \"Principal\": \"*\".");
                }
                let actions = s.get("Action").and_then(strings).unwrap_or_default();
                if actions.is_empty() || actions.contains(&"*") {
                    return refuse("Each statement must contain an Action that names its service (not \"*\").");
                }
                if !has("Resource") && !has("NotResource") {
                    return refuse("Each statement must contain Resource or NotResource.");
                }
            }
        }
    }
    Ok(())
}

/// The document's shape: known keys, value types, operators. Returns the statements.
fn syntax(document: &Value) -> Result<Vec<&Map<String, Value>>, Rejection> {
    let Value::Object(top) = document else { return reject(SYNTAX) };
    if top.keys().any(|k| !TOP_LEVEL_KEYS.contains(&k.as_str())) {
        return reject(SYNTAX);
    }
    if top.get("Id").is_some_and(|id| !id.is_string()) || top.get("Version").is_some_and(|v| !v.is_string()) {
        return reject(SYNTAX);
    }
    let statements: Vec<&Map<String, Value>> = match top.get("Statement") {
        Some(Value::Object(one)) => vec![one],
        Some(Value::Array(items)) if !items.is_empty() => {
            items.iter().map(Value::as_object).collect::<Option<_>>().map_or_else(|| reject(SYNTAX), Ok)?
        }
        _ => return reject(SYNTAX),
    };
    for s in &statements {
        if s.keys().any(|k| !STATEMENT_KEYS.contains(&k.as_str())) {
            return reject(SYNTAX);
        }
        if s.get("Sid").is_some_and(|sid| !sid.is_string()) {
            return reject(SYNTAX);
        }
        let effect = s.get("Effect").and_then(Value::as_str).unwrap_or_default();
        if !effect.eq_ignore_ascii_case("allow") && !effect.eq_ignore_ascii_case("deny") {
            return reject(SYNTAX);
        }
        for (a, b) in [("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal")] {
            if s.contains_key(a) && s.contains_key(b) {
                return reject(SYNTAX);
            }
        }
        for key in ["Action", "NotAction", "Resource", "NotResource"] {
            if s.get(key).is_some_and(|v| strings(v).is_none()) {
                return reject(SYNTAX);
            }
        }
        if let Some(condition) = s.get("Condition") {
            conditions(condition)?;
        }
    }
    Ok(statements)
}

/// A `Condition` block: operators (known, unless their block is empty) to keys to scalar values.
fn conditions(condition: &Value) -> Result<(), Rejection> {
    let Value::Object(operators) = condition else { return reject(SYNTAX) };
    for (operator, keys) in operators {
        let Value::Object(keys) = keys else { return reject(SYNTAX) };
        if keys.is_empty() {
            continue;
        }
        if Operator::parse(operator).is_err() {
            return reject(SYNTAX);
        }
        for value in keys.values() {
            let scalar = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
            let ok = match value {
                Value::Array(items) => items.iter().all(scalar),
                other => scalar(other),
            };
            if !ok {
                return reject(SYNTAX);
            }
        }
    }
    Ok(())
}

/// Managed policies must be version 2012-10-17; the older version (or none, which means it) is
/// accepted elsewhere; any other value is a syntax error.
fn version(document: &Value, kind: PolicyKind) -> Result<(), Rejection> {
    match document.get("Version").and_then(Value::as_str) {
        Some("2012-10-17") => Ok(()),
        Some("2008-10-17") | None if kind == PolicyKind::Managed => {
            reject("Policy document must be version 2012-10-17 or greater.")
        }
        Some("2008-10-17") | None => Ok(()),
        Some(_) => reject(SYNTAX),
    }
}

/// What IAM's older parser, which still runs, refuses: an `Effect` in the wrong case, a date
/// condition value that is not a date, a resource ARN with an empty service or too few parts.
fn legacy(statements: &[&Map<String, Value>]) -> Result<(), Rejection> {
    for s in statements {
        let effect = s.get("Effect").and_then(Value::as_str).unwrap_or_default();
        if effect != "Allow" && effect != "Deny" {
            return reject(LEGACY);
        }
        if let Some(Value::Object(operators)) = s.get("Condition") {
            for (operator, keys) in operators {
                let dated = Operator::parse(operator).is_ok_and(|o| o.family() == Family::Date);
                let values = keys.as_object().into_iter().flat_map(|k| k.values()).flat_map(|v| match v {
                    Value::Array(items) => items.iter().collect::<Vec<_>>(),
                    one => vec![one],
                });
                for value in values {
                    let text = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    if dated && !plausible_date(&text) {
                        return reject(LEGACY);
                    }
                }
            }
        }
        for resource in s.get("Resource").or(s.get("NotResource")).and_then(strings).unwrap_or_default() {
            let parts: Vec<&str> = resource.split(':').collect();
            let empty_service = parts.len() >= 3 && parts[2].is_empty();
            let too_short = parts.len() < 6 && resource.contains("::") && parts[0] == "arn";
            if resource.starts_with("arn:") && (too_short || empty_service) {
                return reject(LEGACY);
            }
        }
    }
    Ok(())
}

/// Whether IAM's legacy parser takes a date condition value: epoch seconds that fit 64 bits, or
/// text that is not a malformed ISO 8601 date (IAM takes some fragments, such as `01T`).
fn plausible_date(text: &str) -> bool {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().is_ok();
    }
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    let looks_iso =
        text.len() >= 7 && text.as_bytes()[..4].iter().all(u8::is_ascii_digit) && text.as_bytes()[4] == b'-';
    !looks_iso || parse_date(text).is_some()
}

/// Statement ids: letters and digits only, unique in the policy (an empty `Sid` may repeat).
fn sids(statements: &[&Map<String, Value>]) -> Result<(), Rejection> {
    let mut seen: Vec<&str> = Vec::new();
    for sid in statements.iter().filter_map(|s| s.get("Sid").and_then(Value::as_str)) {
        if !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return reject(
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression \
                 [0-9A-Za-z]*",
            );
        }
        if !sid.is_empty() && seen.contains(&sid) {
            return reject("Statement IDs (SID) in a single policy must be unique.");
        }
        seen.push(sid);
    }
    Ok(())
}

/// Identity and session policies name no principal; trust policies must, and cannot name
/// resources.
fn principals(statements: &[&Map<String, Value>], kind: PolicyKind) -> Result<(), Rejection> {
    for s in statements {
        let names = s.contains_key("Principal") || s.contains_key("NotPrincipal");
        match kind {
            PolicyKind::Trust if s.contains_key("Resource") || s.contains_key("NotResource") => {
                return reject("Has prohibited field Resource");
            }
            PolicyKind::Trust if !names => return reject("Missing required field Principal"),
            PolicyKind::Trust if s.get("Principal").and_then(Value::as_str) == Some("*") => {
                return reject("AssumeRolepolicy contained an invalid principal: \"STAR\":\"*\".");
            }
            PolicyKind::Trust => {}
            _ if names => return reject("Policy document should not specify a principal."),
            _ => {}
        }
    }
    Ok(())
}

/// A `Resource` value: `*`, or an ARN of a known partition (the account's) whose IAM and S3
/// resources carry no region and whose IAM resources are of a known type.
fn resource_format(resource: &str, partition: &str) -> Result<(), Rejection> {
    if resource == "*" {
        return Ok(());
    }
    if !resource.contains(':') {
        return reject(format!("Resource {resource} must be in ARN format or \"*\"."));
    }
    let mut parts: Vec<&str> = resource.split(':').collect();
    if parts.len() == 2 {
        return reject("Resource vendor must be fully qualified and cannot contain regexes.");
    }
    // The first field is read as `arn`; the fields are padded to six for the message.
    let given_partition = parts[1];
    if !partition_matches(given_partition, partition) {
        let mut padded: Vec<&str> = std::iter::once("arn").chain(parts.iter().skip(1).copied()).collect();
        while padded.len() < 6 {
            padded.push("*");
        }
        let shown_partition = padded[1];
        return reject(format!("Partition \"{shown_partition}\" is not valid for resource \"{}\".", padded.join(":")));
    }
    while parts.len() < 6 {
        parts.push("");
    }
    let (service, region, rest) = (parts[2], parts[3], parts[5..].join(":"));
    if service == "iam" {
        if !region.is_empty() {
            return reject(format!("IAM resource {resource} cannot contain region information."));
        }
        let known = rest == "*" || rest == "root" || IAM_RESOURCE_PREFIXES.iter().any(|p| rest.starts_with(p));
        if !known && !rest.is_empty() {
            return reject(
                "IAM resource path must either be \"*\", root, or start with user/, federated-user/, role/, group/, \
                 instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, \
                 report/, access-report/.",
            );
        }
    }
    if service == "s3" && !region.is_empty() && !rest.starts_with("accesspoint/") && region != "*" {
        return reject(format!("Resource {resource} can not contain region information."));
    }
    Ok(())
}

/// Whether an ARN's partition field names the account's partition: exactly, or by wildcards
/// (`arn:*:...`, as AWS's own managed policies write it).
fn partition_matches(given: &str, partition: &str) -> bool {
    if !given.contains(['*', '?']) {
        return PARTITIONS.contains(&given) && given == partition;
    }
    let syntax = crate::pattern::Syntax { wildcards: true, variables: false, ignore_case: false };
    crate::pattern::Pattern::new(given, syntax).matches(partition, &crate::pattern::NoVariables)
}

/// An `Action` value: `*`, or `vendor:action` with one colon and a vendor of letters, digits,
/// dots and hyphens.
fn action_format(action: &str) -> Result<(), Rejection> {
    if action == "*" {
        return Ok(());
    }
    let Some((vendor, _)) = action.split_once(':') else {
        return reject("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
    };
    if action.matches(':').count() > 1 {
        return reject("Actions/Condition can contain only one colon.");
    }
    if vendor.is_empty() || !vendor.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'*') {
        return reject(format!("Vendor {vendor} is not valid"));
    }
    Ok(())
}
