//! The AWS Query protocol, driven by botocore's service models.
//!
//! `data/aws-models.json` (made by `tools/regen-botocore-model`) holds the IAM and STS shapes:
//! every operation's input and output, member names and order, list wrappers, required members
//! and constraints. Requests are decoded and validated through the input shape, and responses are
//! encoded through the output shape, so a field can only reach a client under the name botocore
//! expects; a handler that returns a field the model does not know is a bug the encoder reports.
//!
//! Serialization rules: botocore's `QuerySerializer` (input) and `QueryParser` (output), AWS
//! "Query API request" documentation.

use std::collections::HashMap;
use std::sync::OnceLock;

use monban_policy::arn::Partition;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::ApiError;

static MODELS: &str = include_str!("../../data/aws-models.json");

/// One service's operations and shapes.
#[derive(Debug, Deserialize)]
pub struct Service {
    /// The API version (`2010-05-08`).
    pub version: String,
    /// The XML namespace of responses (empty for a JSON service).
    pub namespace: String,
    /// `query` or `json`: how requests and responses are written.
    pub protocol: String,
    /// A JSON service's prefix of `X-Amz-Target` (`AWSOrganizationsV20161128`).
    pub target_prefix: Option<String>,
    /// Operations by name.
    pub operations: HashMap<String, Operation, NameHasher>,
    /// Shapes by name (looked up for every value encoded and decoded).
    pub shapes: HashMap<String, Shape, NameHasher>,
}

/// The models' maps hash names with `foldhash`: their keys come from the embedded models, and
/// SipHash's resistance to chosen keys would only slow every lookup.
type NameHasher = foldhash::fast::RandomState;

/// An operation's shapes.
#[derive(Debug, Deserialize)]
pub struct Operation {
    /// The input shape.
    pub input: Option<String>,
    /// The output shape.
    pub output: Option<String>,
    /// The element wrapping the output (`CreateUserResult`).
    pub result: Option<String>,
}

/// A member of a structure, or the element of a list.
#[derive(Debug, Deserialize)]
pub struct Member {
    /// The member name (absent for list elements).
    #[serde(default)]
    pub name: String,
    /// Its shape.
    pub shape: String,
    /// The wire name, when it differs.
    #[serde(rename = "locationName")]
    pub location_name: Option<String>,
}

/// A shape: structure, list, map or scalar, with its constraints.
#[derive(Debug, Deserialize)]
pub struct Shape {
    /// `structure`, `list`, `map`, `string`, `integer`, `long`, `boolean`, `timestamp`, `blob`...
    #[serde(rename = "type")]
    pub kind: String,
    /// Structure members, in order.
    #[serde(default)]
    pub members: Vec<Member>,
    /// Required member names.
    #[serde(default)]
    pub required: Vec<String>,
    /// List element.
    pub member: Option<Member>,
    /// Map key.
    pub key: Option<Member>,
    /// Map value.
    pub value: Option<Member>,
    /// Minimum length or value.
    pub min: Option<f64>,
    /// Maximum length or value.
    pub max: Option<f64>,
    /// Pattern the whole string must match.
    pub pattern: Option<String>,
    /// Allowed values.
    #[serde(rename = "enum")]
    pub allowed: Option<Vec<String>>,
    /// Whether a list is flattened.
    #[serde(default)]
    pub flattened: bool,
    /// Whether values of this shape are secrets (never logged).
    #[serde(default)]
    pub sensitive: bool,
}

#[derive(Debug, Deserialize)]
struct Models {
    services: HashMap<String, Service>,
    /// The regions of each partition, from botocore's endpoints.json.
    partitions: HashMap<String, Vec<String>>,
}

fn models() -> Option<&'static Models> {
    static LOADED: OnceLock<Option<Models>> = OnceLock::new();
    LOADED.get_or_init(|| serde_json::from_str(MODELS).ok()).as_ref()
}

/// A service's model, by signing name (`iam`, `sts`, `organizations`).
pub fn service(name: &str) -> Option<&'static Service> {
    models()?.services.get(name)
}

/// Whether `region` is a region of `partition`: a credential scope must name one of its account's.
pub fn is_region(partition: Partition, region: &str) -> bool {
    models()
        .and_then(|m| m.partitions.get(partition.as_str()))
        .is_some_and(|regions| regions.iter().any(|r| r == region))
}

/// Query parameters as a tree of their dot-separated names (`Tags.member.1.Key`), built in one
/// pass, so that decoding never searches the whole parameter list.
#[derive(Default)]
struct ParamTree<'p> {
    value: Option<&'p str>,
    children: HashMap<&'p str, ParamTree<'p>>,
}

impl<'p> ParamTree<'p> {
    /// Names with more parts than this are no member of any model (IAM's deepest input,
    /// `ContextEntries.member.N.ContextKeyValues.member.N`, has six) and are dropped, which also
    /// bounds the tree's depth.
    const MAX_PARTS: usize = 16;

    fn build(params: &'p HashMap<String, String>) -> ParamTree<'p> {
        let mut root = ParamTree::default();
        for (name, value) in params {
            if name.split('.').nth(Self::MAX_PARTS).is_some() {
                continue;
            }
            let mut node = &mut root;
            for part in name.split('.') {
                node = node.children.entry(part).or_default();
            }
            node.value = Some(value);
        }
        root
    }

    fn child(&self, name: &str) -> Option<&ParamTree<'p>> {
        self.children.get(name)
    }
}

/// A constraint pattern from the model. Most compile with `regex`; a few use look-around
/// (`accountAliasType`: `-(?!-)`), which needs `fancy-regex`.
enum Constraint {
    Plain(regex::Regex),
    LookAround(Box<fancy_regex::Regex>),
}

fn patterns() -> &'static std::sync::Mutex<HashMap<String, Option<Constraint>>> {
    static CACHE: OnceLock<std::sync::Mutex<HashMap<String, Option<Constraint>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The model's patterns are AWS's validators' (Java's `java.util.regex`), where `\w`, `\d` and `\s`
/// are ASCII classes; in the `regex` crate they are Unicode's. Each is rewritten as its POSIX class,
/// which is ASCII in both: `[\w+=,.@-]`, the pattern of IAM's names, refuses `José` as IAM does.
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let (mut chars, mut in_class) = (pattern.chars(), false);
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('w' | 'd' | 's')) => {
                    let posix = match e {
                        'w' => "[:word:]",
                        'd' => "[:digit:]",
                        _ => "[:space:]",
                    };
                    if in_class {
                        out.push_str(posix);
                    } else {
                        out.push('[');
                        out.push_str(posix);
                        out.push(']');
                    }
                }
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push(c);
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn matches_pattern(pattern: &str, text: &str) -> bool {
    let Ok(mut cache) = patterns().lock() else { return true };
    let constraint = cache.entry(pattern.to_string()).or_insert_with(|| {
        let anchored = format!("^(?:{})$", ascii_classes(pattern));
        match regex::Regex::new(&anchored) {
            Ok(r) => Some(Constraint::Plain(r)),
            Err(_) => fancy_regex::Regex::new(&anchored).ok().map(|r| Constraint::LookAround(Box::new(r))),
        }
    });
    match constraint {
        Some(Constraint::Plain(r)) => r.is_match(text),
        Some(Constraint::LookAround(r)) => r.is_match(text).unwrap_or(false),
        // A pattern neither engine reads is not enforced; the model test below keeps this from happening.
        None => true,
    }
}

/// AWS writes validated member names in lowerCamelCase: `userName`.
pub(crate) fn camel(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

impl Service {
    pub(crate) fn shape(&self, name: &str) -> Result<&Shape, ApiError> {
        self.shapes.get(name).ok_or_else(|| ApiError::internal(format!("model has no shape `{name}`")))
    }

    /// Decodes and validates an operation's parameters into a JSON object keyed by member name.
    /// The work is linear in the size of the parameters: their names are split into a tree once,
    /// and a list stops being read one element past the model's maximum.
    pub fn decode(&self, operation: &Operation, params: &HashMap<String, String>) -> Result<Value, ApiError> {
        let Some(input) = &operation.input else { return Ok(Value::Object(Map::new())) };
        let tree = ParamTree::build(params);
        let mut errors = Vec::new();
        let value = self.decode_shape(input, Some(&tree), &mut errors, "")?;
        if !errors.is_empty() {
            let n = errors.len();
            let noun = if n == 1 { "error" } else { "errors" };
            return Err(ApiError::validation(format!("{n} validation {noun} detected: {}", errors.join("; "))));
        }
        Ok(value.unwrap_or_else(|| Value::Object(Map::new())))
    }

    fn decode_shape(
        &self,
        shape_name: &str,
        node: Option<&ParamTree<'_>>,
        errors: &mut Vec<String>,
        path: &str,
    ) -> Result<Option<Value>, ApiError> {
        let Some(node) = node else { return Ok(None) };
        let shape = self.shape(shape_name)?;
        match shape.kind.as_str() {
            "structure" => {
                if !path.is_empty() && node.children.is_empty() {
                    return Ok(None);
                }
                let mut object = Map::new();
                for m in &shape.members {
                    let wire = m.location_name.as_deref().unwrap_or(&m.name);
                    let member_path =
                        if path.is_empty() { camel(&m.name) } else { format!("{path}.{}", camel(&m.name)) };
                    if let Some(v) = self.decode_shape(&m.shape, node.child(wire), errors, &member_path)? {
                        object.insert(m.name.clone(), v);
                    } else if shape.required.contains(&m.name) {
                        errors.push(format!(
                            "Value null at '{member_path}' failed to satisfy constraint: Member must not be null"
                        ));
                    }
                }
                Ok(Some(Value::Object(object)))
            }
            "list" => {
                let member = shape.member.as_ref().ok_or_else(|| ApiError::internal("list without member"))?;
                let elements = if shape.flattened {
                    Some(node)
                } else {
                    node.child(member.location_name.as_deref().unwrap_or("member"))
                };
                // One element past the maximum is enough to report the list as too long.
                let limit = shape.max.map_or(usize::MAX, |max| (max.max(0.0) as usize).saturating_add(1));
                let mut items = Vec::new();
                for i in 1..=limit {
                    let element = elements.and_then(|e| e.child(&i.to_string()));
                    match self.decode_shape(&member.shape, element, errors, &format!("{path}.{i}.member"))? {
                        Some(v) => items.push(v),
                        None => break,
                    }
                }
                if items.is_empty() && node.value.is_none() {
                    return Ok(None);
                }
                self.check_count(shape, items.len(), path, errors);
                Ok(Some(Value::Array(items)))
            }
            "map" => {
                let (Some(k), Some(v)) = (&shape.key, &shape.value) else {
                    return Err(ApiError::internal("map without key or value"));
                };
                let key_name = k.location_name.as_deref().unwrap_or("key");
                let value_name = v.location_name.as_deref().unwrap_or("value");
                let limit = shape.max.map_or(usize::MAX, |max| (max.max(0.0) as usize).saturating_add(1));
                let entries = node.child("entry");
                let mut object = Map::new();
                for i in 1..=limit {
                    let Some(entry) = entries.and_then(|e| e.child(&i.to_string())) else { break };
                    let Some(key) = entry.child(key_name).and_then(|k| k.value) else { break };
                    if let Some(value) = self.decode_shape(&v.shape, entry.child(value_name), errors, path)? {
                        object.insert(key.to_string(), value);
                    }
                }
                Ok((!object.is_empty()).then_some(Value::Object(object)))
            }
            kind => {
                let Some(text) = node.value else { return Ok(None) };
                Ok(Some(self.decode_scalar(kind, shape, text, path, errors)))
            }
        }
    }

    /// Removes every member whose shape the model marks `sensitive` (secrets, passwords, seeds)
    /// from a decoded input or an output of `shape_name`, at any depth.
    pub fn redact(&self, shape_name: &str, value: &mut Value) {
        let Some(shape) = self.shapes.get(shape_name) else { return };
        match value {
            Value::Object(object) if shape.kind == "structure" => {
                for m in &shape.members {
                    let sensitive = self.shapes.get(&m.shape).is_some_and(|s| s.sensitive);
                    if sensitive {
                        object.remove(&m.name);
                    } else if let Some(v) = object.get_mut(&m.name) {
                        self.redact(&m.shape, v);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(member) = &shape.member {
                    for item in items {
                        self.redact(&member.shape, item);
                    }
                }
            }
            _ => {}
        }
    }

    pub(crate) fn check_count(&self, shape: &Shape, n: usize, path: &str, errors: &mut Vec<String>) {
        if shape.min.is_some_and(|min| (n as f64) < min) {
            errors.push(format!(
                "Value at '{path}' failed to satisfy constraint: Member must have length greater than or equal to {}",
                shape.min.unwrap_or_default()
            ));
        }
        if shape.max.is_some_and(|max| (n as f64) > max) {
            errors.push(format!(
                "Value at '{path}' failed to satisfy constraint: Member must have length less than or equal to {}",
                shape.max.unwrap_or_default()
            ));
        }
    }

    pub(crate) fn decode_scalar(
        &self,
        kind: &str,
        shape: &Shape,
        text: &str,
        path: &str,
        errors: &mut Vec<String>,
    ) -> Value {
        let shown = if text.len() > 256 {
            format!("{}...", text.chars().take(256).collect::<String>())
        } else {
            text.to_string()
        };
        match kind {
            "integer" | "long" => match text.parse::<i64>() {
                Ok(n) => {
                    if shape.min.is_some_and(|m| (n as f64) < m) {
                        errors.push(format!(
                            "Value '{n}' at '{path}' failed to satisfy constraint: Member must have value greater than or equal to {}",
                            shape.min.unwrap_or_default()
                        ));
                    }
                    if shape.max.is_some_and(|m| (n as f64) > m) {
                        errors.push(format!(
                            "Value '{n}' at '{path}' failed to satisfy constraint: Member must have value less than or equal to {}",
                            shape.max.unwrap_or_default()
                        ));
                    }
                    Value::from(n)
                }
                Err(_) => {
                    errors.push(format!(
                        "Value '{shown}' at '{path}' failed to satisfy constraint: Member must be a number"
                    ));
                    Value::Null
                }
            },
            "boolean" => match text {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => {
                    errors.push(format!(
                        "Value '{shown}' at '{path}' failed to satisfy constraint: Member must be a boolean"
                    ));
                    Value::Null
                }
            },
            _ => {
                let length = text.chars().count() as f64;
                if shape.min.is_some_and(|m| length < m) {
                    errors.push(format!(
                        "Value '{shown}' at '{path}' failed to satisfy constraint: Member must have length greater than or equal to {}",
                        shape.min.unwrap_or_default()
                    ));
                }
                if shape.max.is_some_and(|m| length > m) {
                    errors.push(format!(
                        "Value '{shown}' at '{path}' failed to satisfy constraint: Member must have length less than or equal to {}",
                        shape.max.unwrap_or_default()
                    ));
                }
                if let Some(pattern) = &shape.pattern {
                    if !matches_pattern(pattern, text) {
                        errors.push(format!(
                            "Value '{shown}' at '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
                        ));
                    }
                }
                if let Some(allowed) = &shape.allowed {
                    if !allowed.iter().any(|a| a == text) {
                        errors.push(format!(
                            "Value '{shown}' at '{path}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                            allowed.join(", ")
                        ));
                    }
                }
                Value::String(text.to_string())
            }
        }
    }

    /// Encodes an operation's result as the XML document AWS returns.
    pub fn encode(
        &self,
        action: &str,
        operation: &Operation,
        result: &Value,
        request_id: &str,
    ) -> Result<String, ApiError> {
        let mut xml = String::with_capacity(1024);
        for part in ["<", action, "Response xmlns=\"", &self.namespace, "\">"] {
            xml.push_str(part);
        }
        if let (Some(output), Some(wrapper)) = (&operation.output, &operation.result) {
            open(&mut xml, wrapper);
            self.encode_members(output, result, &mut xml)?;
            close(&mut xml, wrapper);
        }
        xml.push_str("<ResponseMetadata><RequestId>");
        escape_into(&mut xml, request_id);
        xml.push_str("</RequestId></ResponseMetadata>");
        for part in ["</", action, "Response>"] {
            xml.push_str(part);
        }
        Ok(xml)
    }

    fn encode_members(&self, shape_name: &str, value: &Value, xml: &mut String) -> Result<(), ApiError> {
        self.encode_members_of(self.shape(shape_name)?, shape_name, value, xml)
    }

    fn encode_members_of(
        &self,
        shape: &Shape,
        shape_name: &str,
        value: &Value,
        xml: &mut String,
    ) -> Result<(), ApiError> {
        let Value::Object(object) = value else {
            return Err(ApiError::internal(format!("`{shape_name}` must be an object")));
        };
        // Each field is matched to its member once (a structure has a few members), then written
        // in the model's order.
        let mut present = Vec::with_capacity(object.len());
        for (name, v) in object {
            let Some(index) = shape.members.iter().position(|m| &m.name == name) else {
                return Err(ApiError::internal(format!("`{shape_name}` has no member `{name}`")));
            };
            if !v.is_null() {
                present.push((index, v));
            }
        }
        present.sort_unstable_by_key(|(index, _)| *index);
        for (index, v) in present {
            let m = &shape.members[index];
            let tag = m.location_name.as_deref().unwrap_or(&m.name);
            self.encode_value(&m.shape, tag, v, xml)?;
        }
        Ok(())
    }

    fn encode_value(&self, shape_name: &str, tag: &str, value: &Value, xml: &mut String) -> Result<(), ApiError> {
        let shape = self.shape(shape_name)?;
        match shape.kind.as_str() {
            "structure" => {
                open(xml, tag);
                self.encode_members_of(shape, shape_name, value, xml)?;
                close(xml, tag);
            }
            "list" => {
                let member = shape.member.as_ref().ok_or_else(|| ApiError::internal("list without member"))?;
                let Value::Array(items) = value else {
                    return Err(ApiError::internal(format!("`{tag}` must be a list")));
                };
                let element = member.location_name.as_deref().unwrap_or("member");
                if shape.flattened {
                    for item in items {
                        self.encode_value(&member.shape, tag, item, xml)?;
                    }
                } else {
                    open(xml, tag);
                    for item in items {
                        self.encode_value(&member.shape, element, item, xml)?;
                    }
                    close(xml, tag);
                }
            }
            "map" => {
                let (Some(k), Some(v)) = (&shape.key, &shape.value) else {
                    return Err(ApiError::internal("map without key or value"));
                };
                let Value::Object(entries) = value else {
                    return Err(ApiError::internal(format!("`{tag}` must be an object")));
                };
                open(xml, tag);
                for (key, item) in entries {
                    xml.push_str("<entry>");
                    self.encode_value(
                        &k.shape,
                        k.location_name.as_deref().unwrap_or("key"),
                        &Value::String(key.clone()),
                        xml,
                    )?;
                    self.encode_value(&v.shape, v.location_name.as_deref().unwrap_or("value"), item, xml)?;
                    xml.push_str("</entry>");
                }
                close(xml, tag);
            }
            _ => {
                open(xml, tag);
                match value {
                    Value::String(s) => escape_into(xml, s),
                    Value::Bool(b) => xml.push_str(if *b { "true" } else { "false" }),
                    Value::Number(n) => xml.push_str(&n.to_string()),
                    other => return Err(ApiError::internal(format!("`{tag}` cannot hold {other}"))),
                }
                close(xml, tag);
            }
        }
        Ok(())
    }
}

/// Escapes text for an XML element.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// [`escape`], appended to `out`: text without markup characters (nearly all) is copied whole.
pub fn escape_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&apos;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

/// `<tag>`.
fn open(xml: &mut String, tag: &str) {
    xml.push('<');
    xml.push_str(tag);
    xml.push('>');
}

/// `</tag>`.
fn close(xml: &mut String, tag: &str) {
    xml.push_str("</");
    xml.push_str(tag);
    xml.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Java's `\w`, `\d` and `\s` are ASCII (java.util.regex.Pattern, "Predefined character
    /// classes"): IAM refuses a user named `José`.
    #[test]
    fn patterns_read_their_classes_as_ascii_as_aws_does() {
        assert!(matches_pattern("[\\w+=,.@-]+", "Jose_1+=,.@-"));
        assert!(!matches_pattern("[\\w+=,.@-]+", "José"));
        assert!(!matches_pattern("[\\w+=,.@-]+", "\u{212A}im"));
        assert!(matches_pattern("[:\\w]+", "a:b_1"));
        assert!(matches_pattern("\\d{12}", "123456789012"));
        assert!(!matches_pattern("\\d{12}", "١٢٣٤٥٦٧٨٩٠١٢"));
        assert!(matches_pattern("[^\\s@]+@[^\\s@]+\\.[^\\s@]+", "a@b.c"));
        assert!(!matches_pattern("[^\\s@]+@[^\\s@]+\\.[^\\s@]+", "a b@c.d"));
        assert!(matches_pattern("[\\s\\S]*", "é\n\t"));
        assert_eq!(ascii_classes("[\\w+=,.@-]+"), "[[:word:]+=,.@-]+");
        assert_eq!(ascii_classes("\\d{12}\\.\\s"), "[[:digit:]]{12}\\.[[:space:]]");
    }

    /// Every markup character is written as its entity, wherever it stands; the rest, multi-byte
    /// characters included, is copied as it is.
    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("<a href=\"x\">&'é'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;é&apos;&lt;/a&gt;");
        assert_eq!(escape("&"), "&amp;");
        assert_eq!(escape(""), "");
    }

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn decodes_structures_lists_and_validates() {
        let iam = service("iam").unwrap();
        let op = &iam.operations["CreateUser"];
        let v = iam
            .decode(op, &params(&[("UserName", "alice"), ("Tags.member.1.Key", "team"), ("Tags.member.1.Value", "a")]))
            .unwrap();
        assert_eq!(v, json!({"UserName": "alice", "Tags": [{"Key": "team", "Value": "a"}]}));
        let err = iam.decode(op, &params(&[("UserName", "bad name!")])).unwrap_err();
        assert_eq!(err.code, "ValidationError");
        assert!(
            err.message
                .contains("at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern"),
            "{}",
            err.message
        );
        let err = iam.decode(op, &params(&[])).unwrap_err();
        assert!(err.message.contains("Value null at 'userName'"));
    }

    #[test]
    fn lists_stop_one_element_past_their_maximum_and_deep_names_are_ignored() {
        let iam = service("iam").unwrap();
        let op = &iam.operations["CreateUser"];
        let mut many: Vec<(String, String)> = vec![("UserName".into(), "alice".into())];
        for i in 1..=5_000 {
            many.push((format!("Tags.member.{i}.Key"), format!("k{i}")));
            many.push((format!("Tags.member.{i}.Value"), "v".into()));
        }
        many.push((format!("x{}", ".x".repeat(100_000)), "deep".into()));
        let params: HashMap<String, String> = many.into_iter().collect();
        let err = iam.decode(op, &params).unwrap_err();
        assert_eq!(err.code, "ValidationError");
        assert!(
            err.message
                .contains("at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"),
            "{}",
            err.message
        );
    }

    #[test]
    fn sensitive_members_are_redacted_at_any_depth() {
        let iam = service("iam").unwrap();
        let mut out =
            json!({"AccessKey": {"UserName": "a", "AccessKeyId": "AKIA", "Status": "Active", "SecretAccessKey": "s"}});
        iam.redact(iam.operations["CreateAccessKey"].output.as_deref().unwrap(), &mut out);
        assert_eq!(out, json!({"AccessKey": {"UserName": "a", "AccessKeyId": "AKIA", "Status": "Active"}}));
        let mut input = json!({"UserName": "a", "Password": "p"});
        iam.redact(iam.operations["CreateLoginProfile"].input.as_deref().unwrap(), &mut input);
        assert_eq!(input, json!({"UserName": "a"}));
        assert!(is_region(Partition::Aws, "eu-west-1") && !is_region(Partition::Aws, "xx-nowhere-1"));
        assert!(is_region(Partition::AwsCn, "cn-north-1") && !is_region(Partition::Aws, "cn-north-1"));
        assert!(is_region(Partition::AwsUsGov, "us-gov-west-1"));
    }

    #[test]
    fn every_model_pattern_compiles() {
        for name in ["iam", "sts"] {
            for (shape_name, shape) in &service(name).unwrap().shapes {
                if let Some(p) = &shape.pattern {
                    let anchored = format!("^(?:{p})$");
                    assert!(
                        regex::Regex::new(&anchored).is_ok() || fancy_regex::Regex::new(&anchored).is_ok(),
                        "{name}.{shape_name}: {p}"
                    );
                }
            }
        }
        assert!(!matches_pattern(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", "double--dash"));
        assert!(matches_pattern(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", "my-company"));
    }

    #[test]
    fn encodes_by_shape_and_rejects_unknown_fields() {
        let iam = service("iam").unwrap();
        let op = &iam.operations["ListUsers"];
        let xml = iam
            .encode("ListUsers", op, &json!({"Users": [{"UserName": "a&b", "Path": "/", "UserId": "AIDA", "Arn": "arn", "CreateDate": "2026-01-01T00:00:00Z"}], "IsTruncated": false}), "rid")
            .unwrap();
        assert!(xml.contains("<ListUsersResult><Users><member><Path>/</Path><UserName>a&amp;b</UserName>"), "{xml}");
        assert!(xml.contains("<IsTruncated>false</IsTruncated></ListUsersResult>"));
        assert!(iam.encode("ListUsers", op, &json!({"Userz": []}), "rid").is_err());
    }
}
