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
/// that service's name in `key`, as `service.REGION.amazonaws.com`: `services` maps each
/// `invokedBy` the table knows to that name.
#[derive(serde::Deserialize)]
struct ViaService {
    source: String,
    key: String,
    services: HashMap<String, String>,
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
    if source == "apigateway" {
        let route = routes().get(event)?.first()?;
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
                    // Only a role, named exactly (API Gateway's `arn:aws:iam::*:user/*` passes the
                    // caller's own credentials, not a role).
                    let is_role = Arn::parse(role).is_some_and(|a| a.service() == "iam" && a.resource_type() == "role");
                    if !is_role || role.contains(['*', '?']) {
                        continue;
                    }
                    role.to_string()
                } else if role.contains(['*', '?', '/', ':']) {
                    continue;
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
    if event.source == "apigateway" {
        return api_gateway(catalog, event);
    }
    let actions = actions_of(catalog, &event.source, &event.name)?;
    let condition = via_service(event);
    let copy = copy_of(event);
    let mut out = Vec::with_capacity(actions.len() * event.resources.len().max(1));
    for action in &actions {
        let need = |resource: &str| Need { condition: condition.clone(), ..Need::new(action, resource) };
        if let Some(copy) = &copy {
            // A copy reads its source and writes its target, both named by its parameters.
            if action == &copy.read {
                out.extend(copy.source_needs.iter().map(|(a, r)| Need::new(a, r)));
            } else {
                out.push(need(&copy.target));
            }
            continue;
        }
        // S3's data events list an object and its bucket: each action gets the resources of its
        // own types. None of them (or none listed): the ARN built from the request's parameters
        // where the action's ARN format allows it, otherwise `*` (reported).
        let of_its_types: Vec<&String> = event.resources.iter().filter(|r| takes(catalog, action, r)).collect();
        if of_its_types.is_empty() {
            out.push(need(&arn_from_parameters(catalog, action, event).unwrap_or_else(|| "*".to_string())));
        } else {
            out.extend(of_its_types.into_iter().map(|r| need(r)));
        }
    }
    Some(out)
}

/// Whether `arn` is, most specifically, of a resource type `action` takes: an object ARN is of
/// `object`, not of `bucket` (whose `${BucketName}` would match it too).
fn takes(catalog: &Catalog, action: &str, arn: &str) -> bool {
    let Some(found) = catalog.find_action(action) else { return false };
    let types = found.service().resource_types_for_arn(arn);
    found.resource_types().any(|t| types.iter().any(|best| best.name() == t.resource_type().name()))
}

/// What a copy (S3's `CopyObject`, `UploadPartCopy`) needs, from its parameters.
struct Copy {
    /// The action the rule names for the source (`s3:GetObject`).
    read: String,
    /// What it needs on the source: that action, and `s3:GetObjectVersion` when a version is
    /// copied (S3 API Reference, `CopyObject`: "to copy a specific version ... s3:GetObjectVersion").
    source_needs: Vec<(String, String)>,
    /// The object it writes: `bucketName` and `key`.
    target: String,
}

/// A copy's source is `x-amz-copy-source`, URL-encoded: `bucket/key` (perhaps with a leading `/`),
/// or an access point's object ARN, either perhaps with `?versionId=`. `None` unless the rule names
/// a source and both ends can be read.
fn copy_of(event: &Event) -> Option<Copy> {
    let rule = exceptions().rules.iter().find(|r| r.source == event.source && r.event == event.name)?;
    let copy = rule.read_from.as_ref()?;
    let parameters = event.parameters.as_ref()?;
    let text = |key: &str| parameters.get(key).and_then(Value::as_str);
    let partition = Arn::parse(&event.caller).map_or_else(|| "aws".to_string(), |a| a.partition().to_string());
    let (path, version) = match text(&copy.parameter)?.split_once("?versionId=") {
        Some((path, version)) => (path, Some(version)),
        None => (text(&copy.parameter)?, None),
    };
    let path = percent_encoding::percent_decode_str(path).decode_utf8().ok()?;
    let path = path.trim_start_matches('/');
    let source = if path.starts_with("arn:") {
        // `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/object/KEY` is the object's ARN already.
        Arn::parse(path).filter(|a| a.service() == "s3" && a.resource().contains("/object/"))?;
        path.to_string()
    } else {
        format!("arn:{partition}:s3:::{path}")
    };
    let (bucket, key) = (text("bucketName")?, text("key")?);
    if !path.contains('/') || [path, bucket, key].iter().any(|v| v.contains(['*', '?'])) {
        return None;
    }
    let mut source_needs = vec![(copy.action.clone(), source.clone())];
    if version.is_some_and(|v| !v.is_empty()) {
        source_needs.push(("s3:GetObjectVersion".to_string(), source));
    }
    Some(Copy { read: copy.action.clone(), source_needs, target: format!("arn:{partition}:s3:::{bucket}/{key}") })
}

/// The condition a call made by a service for its caller carries (`kms:ViaService` for the KMS
/// calls of SSE-KMS, Secrets Manager or Parameter Store): `s3.us-east-1.amazonaws.com`. Only for
/// the services the table lists, by the name CloudTrail gives them in `invokedBy`, each with the
/// name the key gives them; another service's call is granted without the condition.
fn via_service(event: &Event) -> Option<(String, String)> {
    let invoked_by = event.invoked_by.as_deref()?;
    let rule = exceptions().via_service.iter().find(|r| r.source == event.source)?;
    let service = rule.services.get(invoked_by)?;
    let region = event.region.as_deref()?;
    // The China regions' endpoints end in `.amazonaws.com.cn`.
    let domain = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
    Some((rule.key.clone(), format!("{service}.{region}.{domain}")))
}

/// What an API Gateway management call needed: its route's HTTP verb on its path (API Gateway
/// Developer Guide, "Control access for managing an API with IAM permissions"). Where the REST
/// API's and the HTTP API's models both have the operation and the parameters fill both paths
/// (tagging by resource ARN), both. `None` (not granted, reported) when no route's path can be
/// filled: a verb on `*` would be every call of that verb on every API.
fn api_gateway(catalog: &Catalog, event: &Event) -> Option<Vec<Need>> {
    let mut out: Vec<Need> = Vec::new();
    for route in routes().get(event.name.as_str())? {
        let action = catalog.find_action(&format!("apigateway:{}", route.method))?.to_string();
        if let Some(resource) = route.arn(catalog, event, &action) {
            let need = Need::new(&action, &resource);
            if !out.contains(&need) {
                out.push(need);
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// API Gateway's management operations (botocore's models).
static ROUTES: &str = include_str!("../../data/apigateway-routes.tsv");

/// An API Gateway operation: the HTTP method that is its action, and the path that is its resource.
struct Route {
    method: &'static str,
    uri: &'static str,
}

/// Every operation's routes (one per model that has it), read once.
fn routes() -> &'static HashMap<&'static str, Vec<Route>> {
    static PARSED: std::sync::OnceLock<HashMap<&'static str, Vec<Route>>> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| {
        let mut routes: HashMap<&'static str, Vec<Route>> = HashMap::new();
        for line in ROUTES.lines().filter(|l| !l.starts_with('#')) {
            let mut fields = line.split('\t').skip(1);
            if let (Some(operation), Some(method), Some(uri)) = (fields.next(), fields.next(), fields.next()) {
                routes.entry(operation).or_default().push(Route { method, uri });
            }
        }
        routes
    })
}

impl Route {
    /// `arn:aws:apigateway:us-east-1::/restapis/a1b2c3`, when the parameters fill the path and
    /// a resource type of the service has that form ("Amazon API Gateway Management" in the
    /// Service Authorization Reference). A resource ARN in the path (`/tags/{resourceArn}`) is
    /// URL-encoded, as the tags resource type's `${UrlEncodedResourceARN}` says; any other value
    /// must be one path segment.
    fn arn(&self, catalog: &Catalog, event: &Event, action: &str) -> Option<String> {
        let caller = Arn::parse(&event.caller)?;
        let parameters = event.parameters.as_ref()?;
        let mut path = String::new();
        let mut rest = self.uri;
        while let Some(start) = rest.find('{') {
            path.push_str(&rest[..start]);
            let end = rest[start..].find('}')? + start;
            let name = &rest[start + 1..end];
            let value = parameters.get(name)?.as_str()?;
            if value.is_empty() || value.contains(['*', '?']) {
                return None;
            }
            if name == "resourceArn" {
                path.extend(percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC));
            } else if value.contains('/') {
                return None;
            } else {
                path.push_str(value);
            }
            rest = &rest[end + 1..];
        }
        path.push_str(rest);
        let arn = format!("arn:{}:apigateway:{}::{path}", caller.partition(), event.region.as_deref()?);
        // Of the service's resource types, not only those the reference lists for the verb: its
        // lists for the verbs are partial (PUT lists no integration), and the guide's rule is the path.
        let service = catalog.find_action(action)?.service();
        (!service.resource_types_for_arn(&arn).is_empty()).then_some(arn)
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
