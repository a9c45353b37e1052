//! What a call needed: the IAM actions, the resources they applied to, and the condition values
//! the call proves, from an activity record.
//!
//! The default is the service's IAM prefix (its signing name, or the prefix a CloudTrail event
//! source stands for) and the operation's name, confirmed in the catalog. The exceptions table
//! (`data/activity-exceptions.json`, each row citing its page) holds the calls whose action differs
//! or that need several, what calls need besides their action (a role handed to a service, tags
//! given at creation), the request parameters that fill ARN formats, and the calls a service makes
//! for its caller. API Gateway's management calls are authorized by HTTP verb on the path they call
//! (`data/apigateway-routes.tsv`, from botocore's models).

use std::collections::HashMap;

use monban_catalog::Catalog;
use monban_policy::arn::Arn;
use serde_json::Value;

use super::records::Event;

/// One permission a call needed: an action on a resource and, when the call proves one, the
/// value of a condition key it was made under — `kms:ViaService` for a KMS call a service made
/// for the caller, `iam:PassedToService` for a role handed to a service — so that the grant can be
/// narrowed to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Need {
    /// `s3:GetObject`.
    pub action: String,
    /// The resource's ARN, or `*`.
    pub resource: String,
    /// A condition key and the value the call had for it.
    pub condition: Option<(String, String)>,
}

impl Need {
    fn new(action: &str, resource: &str) -> Need {
        Need { action: action.to_string(), resource: resource.to_string(), condition: None }
    }
}

/// The exceptions to "the service's prefix and the operation's name", each citing its page.
static EXCEPTIONS: &str = include_str!("../../data/activity-exceptions.json");

#[derive(serde::Deserialize)]
struct Exceptions {
    rules: Vec<Rule>,
    prefixes: Vec<Prefix>,
    #[serde(default)]
    pass_role: Vec<PassRole>,
    #[serde(default)]
    tag_on_create: Vec<TagOnCreate>,
    #[serde(default)]
    arn_variables: HashMap<String, Value>,
    #[serde(default)]
    via_service: Vec<ViaService>,
}

/// A call that hands a role to a service: the request parameters (paths, `*` for every item of
/// a list) that hold the role's ARN or name, and the service principal it is handed to (the
/// value of `iam:PassedToService`).
#[derive(serde::Deserialize)]
struct PassRole {
    source: String,
    event: String,
    parameters: Vec<String>,
    passed_to: String,
}

/// A service whose calls, when another service makes them for the caller (`invokedBy`), carry
/// that service's name in `key`, as `service.REGION.amazonaws.com`.
#[derive(serde::Deserialize)]
struct ViaService {
    source: String,
    key: String,
}

/// A creation whose tags, given in `parameter`, need `action` on what it creates.
#[derive(serde::Deserialize)]
struct TagOnCreate {
    source: String,
    event: String,
    parameter: String,
    action: String,
}

#[derive(serde::Deserialize)]
struct Rule {
    source: String,
    event: String,
    #[serde(default)]
    actions: Option<Vec<String>>,
    #[serde(default)]
    strip_version: bool,
    /// For a copy: the action it needs on its source, named by a parameter.
    #[serde(default)]
    read_from: Option<ReadFrom>,
}

/// The source of a copy: the parameter that names it, and the action the copy needs on it.
#[derive(serde::Deserialize)]
struct ReadFrom {
    parameter: String,
    action: String,
}

#[derive(serde::Deserialize)]
struct Prefix {
    source: String,
    prefix: String,
}

fn exceptions() -> &'static Exceptions {
    static PARSED: std::sync::OnceLock<Exceptions> = std::sync::OnceLock::new();
    // The file is part of the build and its tests parse it; an empty table is the fallback.
    PARSED.get_or_init(|| {
        serde_json::from_str(EXCEPTIONS).unwrap_or(Exceptions {
            rules: Vec::new(),
            prefixes: Vec::new(),
            pass_role: Vec::new(),
            tag_on_create: Vec::new(),
            arn_variables: HashMap::new(),
            via_service: Vec::new(),
        })
    })
}

/// The actions a CloudTrail call needs: an exception's, or the service's prefix and the operation's
/// name confirmed in the catalog. `Some(empty)` for a call that needs no permission; `None` when
/// the catalog knows no such action.
fn actions_of(catalog: &Catalog, source: &str, event: &str) -> Option<Vec<String>> {
    if let Some(route) = route(source, event, None) {
        return Some(vec![catalog.find_action(&format!("apigateway:{}", route.method))?.to_string()]);
    }
    let table = exceptions();
    if let Some(actions) = table
        .rules
        .iter()
        .filter(|r| r.source == source && (r.event == event || r.event == "*"))
        .find_map(|r| r.actions.as_ref())
    {
        return Some(actions.clone());
    }
    let name = operation(source, event);
    let prefix = table.prefixes.iter().find(|p| p.source == source).map_or(source, |p| p.prefix.as_str());
    Some(vec![catalog.find_action(&format!("{prefix}:{name}"))?.to_string()])
}

/// The operation's name as the exceptions name it: for services whose rule says so (Lambda), the
/// API version CloudTrail appends dropped — `CreateFunction20150331`,
/// `UpdateFunctionConfiguration20150331v2`: eight digits of a date, then perhaps `v` and a revision.
fn operation<'e>(source: &str, event: &'e str) -> &'e str {
    let strip = exceptions().rules.iter().any(|r| r.source == source && r.strip_version);
    if !strip {
        return event;
    }
    let revision = event.trim_end_matches(|c: char| c.is_ascii_digit());
    let dated = revision.strip_suffix('v').filter(|_| revision.len() < event.len()).unwrap_or(event);
    let undated = dated.trim_end_matches(|c: char| c.is_ascii_digit());
    if dated.len() - undated.len() == 8 {
        undated
    } else {
        event
    }
}

/// The values at `path` in a JSON object: keys separated by `/`, `*` for every item of a list.
fn values_at<'v>(value: &'v Value, path: &str) -> Vec<&'v Value> {
    let mut current = vec![value];
    for key in path.split('/') {
        current = current
            .into_iter()
            .flat_map(|v| match (key, v) {
                ("*", Value::Array(items)) => items.iter().collect::<Vec<_>>(),
                (_, Value::Object(map)) => map.get(key).into_iter().collect(),
                _ => Vec::new(),
            })
            .collect();
    }
    current
}

/// What a successful CloudTrail call needed besides its own action, from its parameters:
/// `iam:PassRole` on each role it handed to a service (under `iam:PassedToService`), the tagging
/// action on what it created with tags. Each with the reason, for the report.
pub(super) fn inferred(event: &Event, needs: &[Need]) -> Vec<(Need, String)> {
    let Some(parameters) = &event.parameters else { return Vec::new() };
    let table = exceptions();
    let name = operation(&event.source, &event.name);
    let mut out = Vec::new();
    let caller = Arn::parse(&event.caller);
    for rule in table.pass_role.iter().filter(|r| r.source == event.source && r.event == name) {
        for path in &rule.parameters {
            for role in values_at(parameters, path).into_iter().filter_map(Value::as_str) {
                // A bare name is a role of the caller's account.
                let arn = if role.starts_with("arn:") {
                    role.to_string()
                } else if let Some(caller) = &caller {
                    format!("arn:{}:iam::{}:role/{role}", caller.partition(), caller.account())
                } else {
                    continue;
                };
                let reason = format!("{}:{} hands it to {} ({path})", event.source, name, rule.passed_to);
                let need = Need {
                    condition: Some(("iam:PassedToService".to_string(), rule.passed_to.clone())),
                    ..Need::new("iam:PassRole", &arn)
                };
                out.push((need, reason));
            }
        }
    }
    for rule in table.tag_on_create.iter().filter(|r| r.source == event.source && r.event == name) {
        let tagged = values_at(parameters, &rule.parameter)
            .into_iter()
            .any(|v| v.as_array().is_some_and(|a| !a.is_empty()) || v.get("items").is_some() || v.is_object());
        if !tagged {
            continue;
        }
        let mut created: Vec<&str> = needs.iter().map(|n| n.resource.as_str()).collect();
        created.dedup();
        for resource in created {
            let reason = format!("{}:{} tags what it creates ({})", event.source, name, rule.parameter);
            out.push((Need::new(&rule.action, resource), reason));
        }
    }
    out
}

/// What a call needed; `None` when its action is not in the catalog.
pub(super) fn needs(catalog: &Catalog, event: &Event) -> Option<Vec<Need>> {
    // monban's records say exactly what a call needed, nothing included (a call refused before
    // authorization, such as an unimplemented operation, needed nothing).
    if let Some(authorizations) = &event.authorizations {
        return Some(authorizations.iter().map(|(action, resource)| Need::new(action, resource)).collect());
    }
    if let Some(route) = route(&event.source, &event.name, event.parameters.as_ref()) {
        let action = catalog.find_action(&format!("apigateway:{}", route.method))?;
        let resource = route.arn(catalog, event).unwrap_or_else(|| "*".to_string());
        return Some(vec![Need::new(&action.to_string(), &resource)]);
    }
    let actions = actions_of(catalog, &event.source, &event.name)?;
    let condition = via_service(event);
    let copied = copy_source(event);
    let mut out = Vec::with_capacity(actions.len() * event.resources.len().max(1));
    for action in &actions {
        let need = |resource: &str| Need { condition: condition.clone(), ..Need::new(action, resource) };
        if let Some((read, source)) = &copied {
            // A copy reads its source and writes everything else it lists.
            if action == read {
                out.push(need(source));
                continue;
            }
        }
        if event.resources.is_empty() {
            // No resources listed: built from the request's parameters where the action's ARN
            // format allows it, otherwise `*` (reported).
            out.push(need(&arn_from_parameters(catalog, action, event).unwrap_or_else(|| "*".to_string())));
            continue;
        }
        // S3's data events list an object and its bucket: each action gets the resources of its
        // own types, or every one listed when none is of them.
        let listed = event.resources.iter().filter(|r| copied.as_ref().is_none_or(|(_, source)| source != *r));
        let of_its_types: Vec<&String> = listed.clone().filter(|r| takes(catalog, action, r)).collect();
        if of_its_types.is_empty() {
            out.extend(listed.map(|r| need(r)));
        } else {
            out.extend(of_its_types.into_iter().map(|r| need(r)));
        }
    }
    Some(out)
}

/// Whether `arn` is of one of the resource types `action` takes.
fn takes(catalog: &Catalog, action: &str, arn: &str) -> bool {
    catalog.find_action(action).is_some_and(|a| a.resource_types().any(|t| t.resource_type().matches_arn(arn)))
}

/// For a copy (S3's `CopyObject`, `UploadPartCopy`): the action it needs on what it copies, and
/// the ARN of that, from the parameter the rule names (`x-amz-copy-source`: `bucket/key`, perhaps
/// with a leading `/` and a `?versionId=`).
fn copy_source(event: &Event) -> Option<(String, String)> {
    let rule = exceptions().rules.iter().find(|r| r.source == event.source && r.event == event.name)?;
    let copy = rule.read_from.as_ref()?;
    let value = event.parameters.as_ref()?.get(&copy.parameter)?.as_str()?;
    let path = value.trim_start_matches('/').split('?').next()?;
    let partition = Arn::parse(&event.caller).map_or_else(|| "aws".to_string(), |a| a.partition().to_string());
    (path.contains('/') && !path.contains(['*', '?']))
        .then(|| (copy.action.clone(), format!("arn:{partition}:s3:::{path}")))
}

/// The condition a call made by a service for its caller carries (`kms:ViaService` for the KMS
/// calls of SSE-KMS, EBS or Secrets Manager): `s3.us-east-1.amazonaws.com`.
fn via_service(event: &Event) -> Option<(String, String)> {
    let service = event.invoked_by.as_deref()?.strip_suffix(".amazonaws.com")?;
    let rule = exceptions().via_service.iter().find(|r| r.source == event.source)?;
    let region = event.region.as_deref()?;
    Some((rule.key.clone(), format!("{service}.{region}.amazonaws.com")))
}

/// API Gateway's management operations (botocore's models), by operation name.
static ROUTES: &str = include_str!("../../data/apigateway-routes.tsv");

/// An API Gateway operation: the HTTP method that is its action, and the path that is its resource.
struct Route {
    method: &'static str,
    uri: &'static str,
}

/// The route of an API Gateway call: of the models that have the operation (the REST API's and
/// the HTTP/WebSocket API's share the event source and some names), the first whose path the
/// call's parameters fill; any, when there are no parameters to tell.
fn route(source: &str, event: &str, parameters: Option<&Value>) -> Option<Route> {
    if source != "apigateway" {
        return None;
    }
    let mut candidates = ROUTES.lines().filter(|l| !l.starts_with('#')).filter_map(|line| {
        let mut fields = line.split('\t').skip(1);
        let (operation, method, uri) = (fields.next()?, fields.next()?, fields.next()?);
        (operation == event).then_some(Route { method, uri })
    });
    let Some(parameters) = parameters else { return candidates.next() };
    let mut first = None;
    for candidate in candidates {
        if candidate.placeholders().all(|name| parameters.get(name).is_some_and(Value::is_string)) {
            return Some(candidate);
        }
        first.get_or_insert(candidate);
    }
    first
}

impl Route {
    /// The request members the path names: `restApiId` of `/restapis/{restApiId}`.
    fn placeholders(&self) -> impl Iterator<Item = &'static str> {
        self.uri.split('{').skip(1).filter_map(|part| part.split_once('}').map(|(name, _)| name))
    }

    /// `arn:aws:apigateway:us-east-1::/restapis/a1b2c3`, when the parameters fill the path and
    /// a resource type of the action has that form ("Amazon API Gateway Management" in the
    /// Service Authorization Reference).
    fn arn(&self, catalog: &Catalog, event: &Event) -> Option<String> {
        let caller = Arn::parse(&event.caller)?;
        let parameters = event.parameters.as_ref()?;
        let mut path = String::new();
        let mut rest = self.uri;
        while let Some(start) = rest.find('{') {
            path.push_str(&rest[..start]);
            let end = rest[start..].find('}')? + start;
            let value = parameters.get(&rest[start + 1..end])?.as_str()?;
            if value.is_empty() || value.contains(['*', '?', '/']) {
                return None;
            }
            path.push_str(value);
            rest = &rest[end + 1..];
        }
        path.push_str(rest);
        let arn = format!("arn:{}:apigateway:{}::{path}", caller.partition(), event.region.as_deref()?);
        let action = catalog.find_action(&format!("apigateway:{}", self.method))?;
        action.resource_types().any(|r| r.resource_type().matches_arn(&arn)).then_some(arn)
    }
}

/// The ARN of the resource a call acted on, built from the action's ARN format (its required
/// resource type) and the request parameters named in the exceptions table's `arn_variables`; or
/// a parameter that holds such an ARN whole. `None` when a variable cannot be filled.
fn arn_from_parameters(catalog: &Catalog, action: &str, event: &Event) -> Option<String> {
    let parameters = event.parameters.as_ref()?;
    let caller = Arn::parse(&event.caller)?;
    let action = catalog.find_action(action)?;
    let mut types = action.resource_types().filter(|r| r.required()).map(|r| r.resource_type());
    let (Some(resource_type), None) = (types.next(), types.next()) else { return None };
    // A parameter holding the ARN itself (a topic ARN, a function ARN).
    if let Some(map) = parameters.as_object() {
        if let Some(arn) =
            map.values().filter_map(Value::as_str).find(|v| v.starts_with("arn:") && resource_type.matches_arn(v))
        {
            return Some(arn.to_string());
        }
    }
    let table = &exceptions().arn_variables;
    let text = |key: &str| parameters.get(key).and_then(Value::as_str);
    let fill = |variable: &str| -> Option<String> {
        match variable {
            "Partition" => Some(caller.partition().to_string()),
            "Account" => Some(caller.account().to_string()),
            "Region" => event.region.clone(),
            _ => table.get(variable)?.as_array()?.iter().filter_map(Value::as_str).find_map(|source| {
                match source.split_once('+') {
                    // An IAM path and a name: `/service/` + `app` is `service/app`.
                    Some((path, name)) => {
                        let path = text(path).unwrap_or("/").trim_start_matches('/');
                        Some(format!("{path}{}", text(name)?))
                    }
                    None => text(source).map(str::to_string),
                }
            }),
        }
    };
    resource_type.arn_formats().iter().find_map(|format| {
        let mut arn = String::new();
        let mut rest = *format;
        while let Some(start) = rest.find("${") {
            arn.push_str(&rest[..start]);
            let end = rest[start..].find('}')? + start;
            let value = fill(&rest[start + 2..end])?;
            // A value must not reach into another segment or be a pattern.
            if value.is_empty() || value.contains(['*', '?']) {
                return None;
            }
            arn.push_str(&value);
            rest = &rest[end + 1..];
        }
        arn.push_str(rest);
        resource_type.matches_arn(&arn).then_some(arn)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Every action the exceptions table names is one the catalog knows, and the table parses.
    #[test]
    fn the_exceptions_name_known_actions() {
        let catalog = Catalog::embedded().unwrap();
        let table: Exceptions = serde_json::from_str(EXCEPTIONS).unwrap();
        assert!(table.rules.len() > 10);
        for rule in &table.rules {
            for action in rule.actions.iter().flatten() {
                assert!(catalog.find_action(action).is_some(), "{}:{} names unknown {action}", rule.source, rule.event);
            }
        }
        for prefix in &table.prefixes {
            assert!(catalog.service(&prefix.prefix).is_some(), "{}", prefix.prefix);
        }
        // What is inferred names known actions and operations too.
        for rule in &table.tag_on_create {
            assert!(
                catalog.find_action(&rule.action).is_some(),
                "{}:{} names unknown {}",
                rule.source,
                rule.event,
                rule.action
            );
            assert!(actions_of(catalog, &rule.source, &rule.event).is_some(), "{}:{}", rule.source, rule.event);
        }
        for rule in &table.pass_role {
            assert!(actions_of(catalog, &rule.source, &rule.event).is_some(), "{}:{}", rule.source, rule.event);
        }
        let actions = |source: &str, event: &str| actions_of(catalog, source, event);
        assert_eq!(actions("s3", "ListObjectsV2").unwrap(), ["s3:ListBucket"]);
        assert_eq!(actions("s3", "CopyObject").unwrap(), ["s3:GetObject", "s3:PutObject"]);
        assert_eq!(actions("s3", "GetObject").unwrap(), ["s3:GetObject"]);
        assert_eq!(actions("lambda", "CreateFunction20150331").unwrap(), ["lambda:CreateFunction"]);
        assert_eq!(
            actions("lambda", "UpdateFunctionConfiguration20150331v2").unwrap(),
            ["lambda:UpdateFunctionConfiguration"]
        );
        assert_eq!(actions("lambda", "Invoke").unwrap(), ["lambda:InvokeFunction"]);
        assert_eq!(actions("monitoring", "PutMetricData").unwrap(), ["cloudwatch:PutMetricData"]);
        assert_eq!(actions("sts", "GetCallerIdentity").unwrap(), Vec::<String>::new());
        assert_eq!(actions("s3", "FrobnicateBucket"), None);
        assert_eq!(actions("lambda", "GetFunction20150331v2").unwrap(), ["lambda:GetFunction"]);
        assert_eq!(actions("lambda", "ListFunctions").unwrap(), ["lambda:ListFunctions"]);
    }

    /// How many operations of the 40 most used services (botocore's models, as CloudTrail names
    /// their calls: `tools/regen-activity-operations`) map to actions the catalog knows. The figure
    /// is printed (`cargo test -p monban-analyzer coverage -- --nocapture`); it must not fall.
    #[test]
    fn coverage_over_the_most_used_services() {
        let catalog = Catalog::embedded().unwrap();
        let data = include_str!("../../data/activity-operations.tsv");
        let mut per_service: BTreeMap<&str, (usize, usize, Vec<&str>)> = BTreeMap::new();
        for line in data.lines().filter(|l| !l.starts_with('#')) {
            let [model, source, operation] = line.split('\t').collect::<Vec<_>>()[..] else { panic!("{line}") };
            let entry = per_service.entry(model).or_default();
            entry.1 += 1;
            if actions_of(catalog, source, operation).is_some() {
                entry.0 += 1;
            } else {
                entry.2.push(operation);
            }
        }
        let (mapped, total) = per_service.values().fold((0, 0), |(m, t), (sm, st, _)| (m + sm, t + st));
        println!("{mapped} of {total} operations of {} services map to catalog actions", per_service.len());
        for (model, (m, t, missing)) in &per_service {
            if m < t {
                println!("  {model}: {m} of {t}; not mapped: {}", missing.join(", "));
            }
        }
        assert_eq!(per_service.len(), 40);
        // 4,362 of 4,583 (95.2 %) with the catalog and tables of this commit (4,238 before API
        // Gateway's verbs were mapped through its routes).
        assert!(mapped * 1000 >= total * 950, "{mapped} of {total}");
    }
}
