//! The policy simulator's API: SimulatePrincipalPolicy, SimulateCustomPolicy and the two
//! GetContextKeysFor* operations (IAM API Reference; IAM User Guide, "Testing IAM policies with the
//! IAM policy simulator"). The decisions come from `monban_policy::simulate`, the engine that
//! enforces every call.
//!
//! One deliberate difference: AWS's simulator is documented to ignore a role's trust policy for
//! `sts:AssumeRole*`; monban evaluates whatever resource policy it is given, trust policies
//! included (docs/compatibility.md).

use monban_policy::simulate::{self, ActionResult, MatchedStatement, ResourceResult, Simulation, Source, SourceType};
use monban_policy::{Caller, Context, ContextValue, Outcome};
use serde_json::{json, Map, Value};

use super::*;

fn strings<'a>(input: &'a Value, key: &str) -> Vec<&'a str> {
    input.get(key).and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

fn invalid_entity(arn: &str) -> ApiError {
    ApiError::invalid_input(format!("Invalid Entity Arn: {arn}"))
}

/// The policies given as text in `key`, named `key.N` as the simulator names them.
fn input_policies(input: &Value, key: &str, kind: SourceType) -> Result<Vec<Source>, ApiError> {
    strings(input, key)
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let id = format!("{key}.{}", i + 1);
            Source::parse(&id, kind, text)
                .map_err(|e| ApiError::invalid_input(format!("The policy {id} is not a valid policy document: {e}")))
        })
        .collect()
}

/// The principal a PolicySourceArn names in the caller's account.
async fn source_principal(call: &Call<'_>, arn: &str) -> Result<Principal, ApiError> {
    let (kind, name, found) = principal_at(call, arn).await?.ok_or_else(|| invalid_entity(arn))?;
    found.map(std::sync::Arc::unwrap_or_clone).ok_or_else(|| not_found(kind, &name))
}

/// What PolicyExclusionList leaves out: whole policy types, managed policies by ARN, inline
/// policies by owner and name (each entry is one of the three).
#[derive(Default)]
struct Exclusions {
    types: Vec<String>,
    inline: Vec<(String, String, String)>,
    managed: Vec<String>,
}

impl Exclusions {
    fn read(input: &Value) -> Exclusions {
        let mut out = Exclusions::default();
        for item in input.get("PolicyExclusionList").and_then(Value::as_array).into_iter().flatten() {
            if let Some(kind) = optional(item, "PolicyType") {
                out.types.push(kind.to_string());
            }
            if let Some(id) = item.get("InlinePolicyIdentifier") {
                let (kind, owner, name) =
                    (text(id, "AttachmentType"), text(id, "AttachmentName"), text(id, "PolicyName"));
                out.inline.push((kind.to_lowercase(), owner.to_lowercase(), name.to_lowercase()));
            }
            if let Some(arn) = optional(item, "PolicyArn") {
                out.managed.push(arn.to_string());
            }
        }
        out
    }

    fn excludes_type(&self, kind: &str) -> bool {
        self.types.iter().any(|t| t == kind)
    }

    fn inline(&self, kind: PrincipalKind, owner: &str, name: &str) -> bool {
        self.excludes_type("inline")
            || self
                .inline
                .iter()
                .any(|(k, o, n)| k == kind.as_str() && *o == owner.to_lowercase() && *n == name.to_lowercase())
    }

    fn managed(&self, source: &Source) -> bool {
        match source.kind {
            SourceType::AwsManaged => self.excludes_type("aws-managed"),
            SourceType::UserManaged => self.excludes_type("user-managed"),
            _ => false,
        }
    }
}

/// A managed policy's default document as a simulation source (the policy's name is its id).
async fn managed_source(call: &Call<'_>, arn: &str) -> Result<Option<Source>, ApiError> {
    let (document, kind) = match managed::get(arn, call.partition()) {
        Some(aws) => (aws.document.clone(), SourceType::AwsManaged),
        None => {
            let versions = call.state.store.policy_versions(arn).await?;
            let Some(default) = versions.into_iter().find(|v| v.is_default) else { return Ok(None) };
            (default.document, SourceType::UserManaged)
        }
    };
    let source = Source::parse(policy_name_of(arn), kind, &document).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Some(source))
}

/// A principal's own policies (inline, then attached), as simulation sources.
async fn principal_sources(
    call: &Call<'_>,
    p: &Principal,
    exclusions: &Exclusions,
    into: &mut Vec<Source>,
) -> Result<(), ApiError> {
    let kind = match p.kind {
        User => SourceType::User,
        Group => SourceType::Group,
        Role => SourceType::Role,
    };
    for (name, document) in call.state.store.inline_policies(call.account(), p.kind, &p.name).await? {
        if exclusions.inline(p.kind, &p.name, &name) {
            continue;
        }
        let id = format!("{}_{}_{name}", p.kind.as_str(), p.name);
        into.push(Source::parse(id, kind, &document).map_err(|e| ApiError::internal(e.to_string()))?);
    }
    for arn in call.state.store.attached_policies(call.account(), p.kind, &p.name).await? {
        if exclusions.managed.contains(&arn) {
            continue;
        }
        into.extend(managed_source(call, &arn).await?.filter(|s| !exclusions.managed(s)));
    }
    Ok(())
}

/// Every identity policy of the principal (a user's groups' too) and its boundary.
async fn principal_policies(
    call: &Call<'_>,
    p: &Principal,
    exclusions: &Exclusions,
) -> Result<(Vec<Source>, Option<Source>), ApiError> {
    let mut identity = Vec::new();
    principal_sources(call, p, exclusions, &mut identity).await?;
    if p.kind == User {
        for group in call.state.store.groups_for_user(call.account(), &p.name).await? {
            principal_sources(call, &group, exclusions, &mut identity).await?;
        }
    }
    let boundary = match &p.permissions_boundary {
        Some(arn) if !exclusions.managed.contains(arn) && !exclusions.excludes_type("permission-boundary") => {
            managed_source(call, arn).await?
        }
        _ => None,
    };
    Ok((identity, boundary))
}

/// `ContextEntries`: each key with its values, list types multivalued.
fn context(input: &Value) -> Context {
    let mut context = Context::new();
    for entry in input.get("ContextEntries").and_then(Value::as_array).into_iter().flatten() {
        let values = strings(entry, "ContextKeyValues");
        let value = if text(entry, "ContextKeyType").ends_with("List") {
            ContextValue::multi(values.iter().copied())
        } else {
            ContextValue::single(values.first().copied().unwrap_or_default())
        };
        context.insert(text(entry, "ContextKeyName"), value);
    }
    context
}

/// The simulated caller: `CallerArn` (an IAM user), else the principal whose policies are
/// simulated; a resource policy needs a caller it can name.
fn caller(call: &Call<'_>, input: &Value, principal: Option<&Principal>) -> Result<Caller, ApiError> {
    let arn = match (optional(input, "CallerArn"), principal) {
        (Some(arn), _) => {
            let user = Arn::parse(arn).is_some_and(|a| a.service() == "iam" && a.resource_type() == "user");
            if !user {
                return Err(invalid_entity(arn));
            }
            arn.to_string()
        }
        (None, Some(p)) if p.kind != Group => p.arn.clone(),
        (None, _) if optional(input, "ResourcePolicy").is_some() => {
            return Err(ApiError::invalid_input(
                "A CallerArn that names an IAM user is required to simulate a resource policy unless the \
                 PolicySourceArn is a user.",
            ))
        }
        // Without a resource policy, nothing evaluates who the caller is.
        (None, _) => call.iam_arn("user/simulated-caller"),
    };
    Caller::from_arn(&arn, None).map_err(|_| invalid_entity(&arn))
}

fn resource_policy(input: &Value) -> Result<Option<Source>, ApiError> {
    optional(input, "ResourcePolicy")
        .map(|text| {
            Source::parse("ResourcePolicy", SourceType::Resource, text).map_err(|e| {
                ApiError::invalid_input(format!("The resource policy is not a valid policy document: {e}"))
            })
        })
        .transpose()
}

fn decision(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Allow => "allowed",
        Outcome::ExplicitDeny => "explicitDeny",
        Outcome::ImplicitDeny => "implicitDeny",
    }
}

fn statement_json(m: &MatchedStatement) -> Value {
    json!({"SourcePolicyId": m.source_id, "SourcePolicyType": m.source_type.as_str(),
        "StartPosition": {"Line": m.start.line, "Column": m.start.column},
        "EndPosition": {"Line": m.end.line, "Column": m.end.column}})
}

fn details(r: &ResourceResult, into: &mut Map<String, Value>) {
    if let Some(allowed) = r.allowed_by_boundary {
        into.insert("PermissionsBoundaryDecisionDetail".into(), json!({"AllowedByPermissionsBoundary": allowed}));
    }
    into.insert("MatchedStatements".into(), Value::Array(r.matched.iter().map(statement_json).collect()));
    into.insert("MissingContextValues".into(), json!(r.missing_context));
}

/// One action's EvaluationResult. AWS now returns one per action: the top level holds the most
/// restrictive decision; with resource ARNs, each resource's own result is under
/// ResourceSpecificResults (IAM API Reference, "EvaluationResult").
fn result_json(result: &ActionResult, resources_given: bool) -> Value {
    let mut out = Map::new();
    out.insert("EvalActionName".into(), json!(result.action));
    let name = match &result.resources[..] {
        [one] => one.resource.clone(),
        _ => "*".to_string(),
    };
    out.insert("EvalResourceName".into(), json!(name));
    out.insert("EvalDecision".into(), json!(decision(result.decision)));
    let deciding = result.resources.iter().find(|r| r.decision == result.decision);
    if let Some(r) = deciding {
        details(r, &mut out);
        if let Some(allowed) = r.allowed_by_organizations {
            out.insert("OrganizationsDecisionDetail".into(), json!({"AllowedByOrganizations": allowed}));
        }
    }
    if resources_given {
        // Same account with a resource ARN: present and empty.
        out.insert("EvalDecisionDetails".into(), json!({}));
        out.insert("MissingContextValues".into(), json!([]));
        let specific = result
            .resources
            .iter()
            .map(|r| {
                let mut one = Map::new();
                one.insert("EvalResourceName".into(), json!(r.resource));
                one.insert("EvalResourceDecision".into(), json!(decision(r.decision)));
                details(r, &mut one);
                one.insert("EvalDecisionDetails".into(), json!({}));
                Value::Object(one)
            })
            .collect();
        out.insert("ResourceSpecificResults".into(), Value::Array(specific));
    }
    Value::Object(out)
}

/// The most action-on-resource evaluations one request may ask for (a page of actions times the
/// resources): the simulator's work is bounded before it starts.
const MAX_EVALUATIONS: usize = 100_000;

fn run(simulation: &Simulation, input: &Value) -> Result<Value, ApiError> {
    if let Some(owner) = optional(input, "ResourceOwner") {
        if Arn::parse(owner).is_none() {
            return Err(ApiError::invalid_input(format!("'{owner}' is not a valid as a Resource Owner.")));
        }
    }
    let resources: Vec<String> = strings(input, "ResourceArns").into_iter().map(String::from).collect();
    // Only the page of actions asked for is simulated.
    let (actions, marker) = page(input, strings(input, "ActionNames"));
    if actions.len().saturating_mul(resources.len().max(1)) > MAX_EVALUATIONS {
        return Err(ApiError::invalid_input(format!(
            "The simulation of {} actions on {} resources is too large: at most {MAX_EVALUATIONS} evaluations \
             per request (use MaxItems to page through the actions).",
            actions.len(),
            resources.len()
        )));
    }
    let results = actions.iter().map(|a| result_json(&simulation.run(a, &resources), !resources.is_empty())).collect();
    Ok(listing("EvaluationResults", results, marker))
}

pub(super) async fn simulate_principal(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let source_arn = text(input, "PolicySourceArn");
    call.authorize(Authorization::new("iam:SimulatePrincipalPolicy", source_arn)).await?;
    let principal = source_principal(call, source_arn).await?;
    let (mut identity, mut boundary) = principal_policies(call, &principal, &Exclusions::read(input)).await?;
    identity.extend(input_policies(input, "PolicyInputList", SourceType::None)?);
    if let Some(given) =
        input_policies(input, "PermissionsBoundaryPolicyInputList", SourceType::None)?.into_iter().next()
    {
        boundary = Some(given);
    }
    let simulation = Simulation {
        identity,
        boundary,
        resource_policy: resource_policy(input)?,
        scps: Vec::new(),
        caller: caller(call, input, Some(&principal))?,
        context: context(input),
    };
    run(&simulation, input)
}

pub(super) async fn simulate_custom(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:SimulateCustomPolicy", "*")).await?;
    let mut scps = Vec::new();
    for (i, level) in
        input.get("OrderedOrganizationPolicyInputList").and_then(Value::as_array).into_iter().flatten().enumerate()
    {
        let key = format!("OrderedOrganizationPolicyInputList.{}.ServiceControlPolicyInputList", i + 1);
        let mut policies = input_policies(level, "ServiceControlPolicyInputList", SourceType::None)?;
        for (j, p) in policies.iter_mut().enumerate() {
            p.id = format!("{key}.{}", j + 1);
        }
        scps.push(policies);
    }
    let simulation = Simulation {
        identity: input_policies(input, "PolicyInputList", SourceType::None)?,
        boundary: input_policies(input, "PermissionsBoundaryPolicyInputList", SourceType::None)?.into_iter().next(),
        resource_policy: resource_policy(input)?,
        scps,
        caller: caller(call, input, None)?,
        context: context(input),
    };
    run(&simulation, input)
}

fn context_keys_of(sources: &[Source]) -> Value {
    let mut keys = Vec::new();
    for s in sources {
        simulate::context_keys(&s.policy, &mut keys);
    }
    json!({"ContextKeyNames": keys})
}

pub(super) async fn context_keys_for_principal(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let source_arn = text(input, "PolicySourceArn");
    call.authorize(Authorization::new("iam:GetContextKeysForPrincipalPolicy", source_arn)).await?;
    let principal = source_principal(call, source_arn).await?;
    let (mut sources, _) = principal_policies(call, &principal, &Exclusions::default()).await?;
    sources.extend(input_policies(input, "PolicyInputList", SourceType::None)?);
    Ok(context_keys_of(&sources))
}

pub(super) async fn context_keys_for_custom(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:GetContextKeysForCustomPolicy", "*")).await?;
    Ok(context_keys_of(&input_policies(input, "PolicyInputList", SourceType::None)?))
}
