//! Reads the evaluation request format (`docs/request-format.md`) into a [`Request`] and a
//! [`PolicySet`], with errors that point into the request file.

use std::sync::Arc;

use crate::eval::PolicySet;
use crate::json::{self, Member, Node, Span, Value};
use crate::policy::{DocumentError, DocumentErrorKind, Policy};
use crate::request::{Caller, Context, ContextValue, Request};

/// One evaluation request as read from its JSON form.
#[derive(Debug, Clone)]
pub struct EvaluationInput {
    /// The question.
    pub request: Request,
    /// The policies that apply.
    pub policies: PolicySet,
    /// The request's `id` as written (JSON text), if it has one: a batch echoes it with the
    /// decision.
    pub id: Option<String>,
}

impl EvaluationInput {
    /// Reads a request document. Unknown top-level fields (such as a batch line's `id`) are
    /// ignored; inside `principal`, `resource` and `organization` every field must be known.
    pub fn from_json(text: &str) -> Result<EvaluationInput, DocumentError> {
        EvaluationInput::from_json_with(text, &mut PolicyCache::default())
    }

    /// [`EvaluationInput::from_json`] for one of many requests: a policy whose text (and name) an
    /// earlier request had is taken from `cache` instead of being compiled again.
    pub fn from_json_with(text: &str, cache: &mut PolicyCache) -> Result<EvaluationInput, DocumentError> {
        // First with the policies only measured, taken from the cache by their text; any policy
        // not there (or any error) and the request is read in full.
        let cache = if let Ok(node) = json::parse_skipping(text, POLICY_MEMBERS) {
            let reader = Reader { text, cache: std::cell::RefCell::new(cache) };
            if let Ok(input) = reader.input(&node) {
                return Ok(input);
            }
            reader.cache.into_inner()
        } else {
            cache
        };
        let node = json::parse(text).map_err(|e| DocumentError::json(text, e))?;
        Reader { text, cache: std::cell::RefCell::new(cache) }.input(&node)
    }
}

/// The request members that hold policies (or lists, or levels of them).
/// With `principal` and `organization`, which are recognised whole.
const POLICY_MEMBERS: &[&str] = &[
    "principal",
    "organization",
    "identity_policies",
    "permissions_boundary",
    "session_policy",
    "policy",
    "scps",
    "rcps",
];

/// Compiled policies by their source text (a named policy's text includes its name), for a run of
/// requests that share policies (`monban eval --batch`): each distinct document is compiled once.
/// It may also hold a library of named policies that requests refer to as `{"ref": "NAME"}`, so
/// that a line carries a name instead of a document.
#[derive(Default)]
pub struct PolicyCache {
    compiled: std::collections::HashMap<Box<str>, Arc<Policy>, foldhash::fast::RandomState>,
    /// Whole `principal` and `organization` members by their text: a batch's lines usually share
    /// them, so they are read once.
    parts: std::collections::HashMap<Box<str>, Arc<Part>, foldhash::fast::RandomState>,
    library: std::collections::HashMap<String, Arc<Policy>>,
}

/// What a `principal` or `organization` member contributes to a request.
#[derive(Debug)]
enum Part {
    Principal {
        caller: Caller,
        identity: Vec<Arc<Policy>>,
        boundary: Option<Arc<Policy>>,
        session: Option<Vec<Arc<Policy>>>,
    },
    Organization {
        scps: Vec<Vec<Arc<Policy>>>,
        rcps: Vec<Vec<Arc<Policy>>>,
    },
}

impl PolicyCache {
    /// The most documents kept: a batch of all-different documents gains nothing from more, and
    /// memory stays bounded.
    const CAPACITY: usize = 4_096;

    /// A cache whose requests may refer to the policies of a library: a JSON object mapping
    /// each name to a POLICY (`docs/request-format.md`). Errors point into the library's text.
    pub fn with_library(text: &str) -> Result<PolicyCache, DocumentError> {
        let node = json::parse(text).map_err(|e| DocumentError::json(text, e))?;
        let mut scratch = PolicyCache::default();
        let reader = Reader { text, cache: std::cell::RefCell::new(&mut scratch) };
        let members = reader.members(&node, "", &[])?;
        let mut library = std::collections::HashMap::new();
        for m in members {
            let policy = reader.compile_policy(&m.node, &m.key)?;
            // Named by its key unless the entry names itself.
            let policy = if policy.name.is_some() { policy } else { Arc::new((*policy).clone().named(m.key.as_ref())) };
            library.insert(m.key.to_string(), policy);
        }
        Ok(PolicyCache { library, ..PolicyCache::default() })
    }
}

struct Reader<'t, 'c> {
    text: &'t str,
    cache: std::cell::RefCell<&'c mut PolicyCache>,
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl Reader<'_, '_> {
    fn error(&self, path: &str, span: Span, message: impl Into<String>) -> DocumentError {
        DocumentError::at(self.text, DocumentErrorKind::InvalidRequest, path, span.start, message)
    }

    fn members<'n, 'a>(
        &self,
        node: &'n Node<'a>,
        path: &str,
        known: &[&str],
    ) -> Result<&'n [Member<'a>], DocumentError> {
        let Value::Object(members) = &node.value else {
            return Err(self.error(path, node.span, format!("expected an object, not {}", node.value.type_name())));
        };
        if !known.is_empty() {
            if let Some(m) = members.iter().find(|m| !known.contains(&m.key.as_ref())) {
                let list = known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
                return Err(self.error(
                    &child(path, &m.key),
                    m.key_span,
                    format!("unknown field `{}` (expected one of {list})", m.key),
                ));
            }
        }
        Ok(members)
    }

    fn string<'n>(&self, node: &'n Node<'_>, path: &str) -> Result<&'n str, DocumentError> {
        self.string_at(node, || path.to_string())
    }

    /// [`Reader::string`] with the path built only for an error (the hot path of a batch).
    fn string_at<'n>(&self, node: &'n Node<'_>, path: impl FnOnce() -> String) -> Result<&'n str, DocumentError> {
        match &node.value {
            Value::String(s) => Ok(s),
            other => Err(self.error(&path(), node.span, format!("expected a string, not {}", other.type_name()))),
        }
    }

    fn get<'n, 'a>(members: &'n [Member<'a>], key: &str) -> Option<&'n Node<'a>> {
        members.iter().find(|m| m.key == key).map(|m| &m.node).filter(|n| n.value != Value::Null)
    }

    fn input(&self, node: &Node<'_>) -> Result<EvaluationInput, DocumentError> {
        let top = self.members(node, "", &[])?;
        let mut policies = PolicySet::default();
        let action_node =
            Self::get(top, "action").ok_or_else(|| self.error("", node.span, "the request needs an `action`"))?;
        let action = self.string(action_node, "action")?;
        if action != "*" && !action.contains(':') {
            return Err(self.error(
                "action",
                action_node.span,
                format!("`{action}` is not an action (expected `service:Action`)"),
            ));
        }

        let caller = match Self::get(top, "principal") {
            None => Caller::anonymous(),
            Some(p) => match &*self.part(p, "principal", |node| {
                let mut read = PolicySet::default();
                let caller = self.principal(node, &mut read)?;
                Ok(Part::Principal { caller, identity: read.identity, boundary: read.boundary, session: read.session })
            })? {
                Part::Principal { caller, identity, boundary, session } => {
                    policies.identity.clone_from(identity);
                    policies.boundary.clone_from(boundary);
                    policies.session.clone_from(session);
                    caller.clone()
                }
                Part::Organization { .. } => Caller::anonymous(),
            },
        };

        let mut resource_arn = "*".to_string();
        let mut resource_account = None;
        if let Some(r) = Self::get(top, "resource") {
            let members = self.members(r, "resource", &["arn", "account", "policy"])?;
            if let Some(arn) = Self::get(members, "arn") {
                resource_arn = self.string(arn, "resource.arn")?.to_string();
            }
            if let Some(account) = Self::get(members, "account") {
                resource_account = Some(self.string(account, "resource.account")?.to_string());
            }
            if let Some(policy) = Self::get(members, "policy") {
                policies.resource = Some(self.policy(policy, || "resource.policy".into())?);
            }
        }

        if let Some(org) = Self::get(top, "organization") {
            let part = self.part(org, "organization", |node| {
                let members = self.members(node, "organization", &["scps", "rcps"])?;
                let scps = Self::get(members, "scps").map(|n| self.levels(n, "organization.scps")).transpose()?;
                let rcps = Self::get(members, "rcps").map(|n| self.levels(n, "organization.rcps")).transpose()?;
                Ok(Part::Organization { scps: scps.unwrap_or_default(), rcps: rcps.unwrap_or_default() })
            })?;
            if let Part::Organization { scps, rcps } = &*part {
                policies.scps.clone_from(scps);
                policies.rcps.clone_from(rcps);
            }
        }

        let mut context = Context::new();
        if let Some(c) = Self::get(top, "context") {
            let members = self.members(c, "context", &[])?;
            context = Context::with_capacity(members.len());
            for m in members {
                let path = || child("context", &m.key);
                let value = match &m.node.value {
                    Value::Array(items) => {
                        let mut values = Vec::with_capacity(items.len());
                        for (i, item) in items.iter().enumerate() {
                            values.push(self.scalar(item, || format!("{}[{i}]", path()))?);
                        }
                        ContextValue::multi(values)
                    }
                    _ => ContextValue::single(self.scalar(&m.node, path)?),
                };
                context.insert(&m.key, value);
            }
        }

        let mut request = Request::new(caller, action, &resource_arn).with_context(context);
        if let Some(account) = resource_account {
            request = request.with_resource_account(&account);
        }
        let id = Self::get(top, "id").and_then(|n| self.text.get(n.span.start..n.span.end)).map(String::from);
        Ok(EvaluationInput { request, policies, id })
    }

    /// A context value: a string, or a number or boolean read as its text.
    fn scalar(&self, node: &Node<'_>, path: impl FnOnce() -> String) -> Result<String, DocumentError> {
        match &node.value {
            Value::String(s) => Ok(s.to_string()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(self.error(
                &path(),
                node.span,
                format!("a context value must be a string (or a list of strings), not {}", other.type_name()),
            )),
        }
    }

    fn principal(&self, node: &Node<'_>, policies: &mut PolicySet) -> Result<Caller, DocumentError> {
        let path = "principal";
        let members = self.members(
            node,
            path,
            &[
                "arn",
                "role_arn",
                "service",
                "federated",
                "canonical_user",
                "identity_policies",
                "permissions_boundary",
                "session_policy",
            ],
        )?;
        let field = |key: &str| -> Result<Option<&str>, DocumentError> {
            Self::get(members, key).map(|n| self.string_at(n, || child(path, key))).transpose()
        };
        let mut caller = match (field("arn")?, field("service")?, field("federated")?) {
            (Some(arn), None, None) => Caller::from_arn(arn, field("role_arn")?).map_err(|message| {
                let span = Self::get(members, "arn").map_or(node.span, |n| n.span);
                self.error("principal.arn", span, message.to_string())
            })?,
            (None, Some(service), None) => Caller::service(service),
            (None, None, Some(provider)) => Caller::web_identity(provider),
            (None, None, None) => Caller::anonymous(),
            _ => return Err(self.error(path, node.span, "give one of `arn`, `service` or `federated`")),
        };
        caller.canonical_user = field("canonical_user")?.map(Box::from);
        if let Some(list) = Self::get(members, "identity_policies") {
            policies.identity = self.policy_list(list, &|| "principal.identity_policies".into())?;
        }
        if let Some(b) = Self::get(members, "permissions_boundary") {
            policies.boundary = Some(self.policy(b, || "principal.permissions_boundary".into())?);
        }
        if let Some(s) = Self::get(members, "session_policy") {
            policies.session = Some(match &s.value {
                Value::Array(_) => self.policy_list(s, &|| "principal.session_policy".into())?,
                _ => vec![self.policy(s, || "principal.session_policy".into())?],
            });
        }
        Ok(caller)
    }

    /// A list of policies; paths are built only for errors (the hot path of a batch).
    fn policy_list(&self, node: &Node<'_>, path: &dyn Fn() -> String) -> Result<Vec<Arc<Policy>>, DocumentError> {
        let Value::Array(items) = &node.value else {
            return Err(self.error(
                &path(),
                node.span,
                format!("expected a list of policies, not {}", node.value.type_name()),
            ));
        };
        items.iter().enumerate().map(|(i, item)| self.policy(item, || format!("{}[{i}]", path()))).collect()
    }

    fn levels(&self, node: &Node<'_>, path: &str) -> Result<Vec<Vec<Arc<Policy>>>, DocumentError> {
        let Value::Array(levels) = &node.value else {
            return Err(self.error(path, node.span, "expected a list of levels (each a list of policies), root first"));
        };
        levels.iter().enumerate().map(|(i, level)| self.policy_list(level, &|| format!("{path}[{i}]"))).collect()
    }

    /// A `principal` or `organization` member: taken from the cache by its text, or read with
    /// `read` and remembered. A skipped member not in the cache is an error that sends the caller
    /// back to a full reading.
    fn part(
        &self,
        node: &Node<'_>,
        path: &str,
        read: impl FnOnce(&Node<'_>) -> Result<Part, DocumentError>,
    ) -> Result<Arc<Part>, DocumentError> {
        let source = self.text.get(node.span.start..node.span.end).unwrap_or_default();
        if let Some(part) = self.cache.borrow().parts.get(source) {
            return Ok(part.clone());
        }
        if node.value == Value::Skipped {
            return Err(self.error(path, node.span, "not read yet"));
        }
        let part = Arc::new(read(node)?);
        let mut cache = self.cache.borrow_mut();
        if cache.parts.len() >= PolicyCache::CAPACITY {
            cache.parts.clear();
        }
        cache.parts.insert(source.into(), part.clone());
        Ok(part)
    }

    /// A policy: a document object, a string holding one (optionally URL-encoded, as the IAM API
    /// returns it), or `{"name": ..., "document": ...}`.
    fn policy(&self, node: &Node<'_>, path: impl FnOnce() -> String) -> Result<Arc<Policy>, DocumentError> {
        let source = self.text.get(node.span.start..node.span.end).unwrap_or_default();
        if let Some(policy) = self.cache.borrow().compiled.get(source) {
            return Ok(policy.clone());
        }
        let path = path();
        if node.value == Value::Skipped {
            return Err(self.error(&path, node.span, "a policy not read yet"));
        }
        let policy = self.compile_policy(node, &path)?;
        let mut cache = self.cache.borrow_mut();
        if cache.compiled.len() >= PolicyCache::CAPACITY {
            cache.compiled.clear();
        }
        cache.compiled.insert(source.into(), policy.clone());
        Ok(policy)
    }

    fn compile_policy(&self, node: &Node<'_>, path: &str) -> Result<Arc<Policy>, DocumentError> {
        if let Value::Object(members) = &node.value {
            if let [only] = members.as_slice() {
                if only.key == "ref" {
                    let name = self.string(&only.node, &child(path, "ref"))?;
                    let cache = self.cache.borrow();
                    return cache.library.get(name).cloned().ok_or_else(|| {
                        let mut known: Vec<&str> = cache.library.keys().map(String::as_str).collect();
                        known.sort_unstable();
                        let known = if known.is_empty() {
                            "no policy library was given (`monban eval --batch --policies FILE`)".to_string()
                        } else {
                            format!("the library defines {}", known.join(", "))
                        };
                        self.error(&child(path, "ref"), only.node.span, format!("unknown policy `{name}`: {known}"))
                    });
                }
            }
            if let Some(document) = members.iter().find(|m| m.key == "document") {
                let members = self.members(node, path, &["name", "document"])?;
                let name = Self::get(members, "name").map(|n| self.string(n, &child(path, "name"))).transpose()?;
                let policy = self.policy_document(&document.node, &child(path, "document"))?;
                return Ok(Arc::new(match name {
                    Some(name) => policy.named(name),
                    None => policy,
                }));
            }
        }
        self.policy_document(node, path).map(Arc::new)
    }

    fn policy_document(&self, node: &Node<'_>, path: &str) -> Result<Policy, DocumentError> {
        match &node.value {
            Value::String(s) => {
                let decoded = if s.trim_start().starts_with('{') { s.to_string() } else { percent_decode(s) };
                Policy::parse(&decoded).map_err(|inner| {
                    let mut e = self.error(path, node.span, format!("in the policy text: {inner}"));
                    e.kind = inner.kind;
                    if !inner.path.is_empty() {
                        e.path = child(path, &inner.path);
                    }
                    e
                })
            }
            _ => Policy::from_node(node, self.text, path),
        }
    }
}

/// Decodes `%XX` escapes (and `+` as space), as in URL-encoded policy documents. Invalid
/// escapes are kept as written.
pub fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " ")).decode_utf8_lossy().into_owned()
}

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - _ . ~`).
const RESERVED: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes everything but the unreserved characters, as the IAM API returns policy
/// documents; the inverse of [`percent_decode`].
pub fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, RESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{authorize, Outcome};

    #[test]
    fn reads_the_documented_example() {
        let text = r#"{
          "principal": {"arn": "arn:aws:iam::111122223333:user/alice",
                        "identity_policies": [{"name": "read", "document": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}}}]},
          "resource": {"arn": "arn:aws:s3:::bucket/key"},
          "action": "s3:GetObject",
          "context": {"aws:SourceIp": "203.0.113.5", "aws:TagKeys": ["a", "b"], "s3:max-keys": 5}
        }"#;
        let input = EvaluationInput::from_json(text).unwrap();
        assert_eq!(input.policies.identity[0].name.as_deref(), Some("read"));
        assert!(input.request.context.get("aws:tagkeys").unwrap().is_multivalued());
        assert_eq!(authorize(&input.request, &input.policies).outcome, Outcome::Allow);
    }

    #[test]
    fn url_encoded_policy_strings_are_read() {
        let text = r#"{"principal": {"arn": "arn:aws:iam::1:user/a", "identity_policies": ["%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%7D"]}, "action": "s3:ListBuckets"}"#;
        let input = EvaluationInput::from_json(text).unwrap();
        assert_eq!(authorize(&input.request, &input.policies).outcome, Outcome::Allow);
    }

    #[test]
    fn errors_point_into_the_request_file() {
        let text = "{\"action\": \"s3:GetObject\",\n \"principal\": {\"arn\": \"arn:aws:iam::1:user/a\",\n  \"identity_policies\": [{\"Statement\": {\"Effect\": \"Allw\", \"Action\": \"*\"}}]}}";
        let err = EvaluationInput::from_json(text).unwrap_err();
        assert_eq!(err.path, "principal.identity_policies[0].Statement.Effect");
        assert_eq!(err.line, 3);
        let err = EvaluationInput::from_json(r#"{"action": "s3:GetObject", "resource": {"arn": "x", "acount": "1"}}"#)
            .unwrap_err();
        assert!(err.message.contains("unknown field `acount`"), "{err}");
        let err = EvaluationInput::from_json(
            r#"{"principal": {"arn": "arn:aws:sts::1:assumed-role/r/s"}, "action": "s3:GetObject"}"#,
        )
        .unwrap_err();
        assert!(err.message.contains("role_arn"), "{err}");
    }
}
