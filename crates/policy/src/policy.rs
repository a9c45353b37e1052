//! The IAM JSON policy grammar: parsing with positions, compiling once, printing back.
//!
//! AWS: "IAM JSON policy element reference" and "Grammar of the IAM JSON policy language"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>).
//! Everything that can be wrong with a document is found here, so evaluation never fails.

use std::fmt;

use serde_json::{Map, Value as JsonValue};

use crate::condition::{Operator, Values};
use crate::json::{self, Member, Node, Span, Value};
use crate::pattern::{ArnPattern, Pattern, Syntax};

/// Why a policy document (or an evaluation request holding policies) is invalid, and where: a JSON path such as
/// `Statement[2].Condition.IpAddress.aws:SourceIp` plus the line and column in the source text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}line {line}, column {column}: {message}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
pub struct DocumentError {
    /// What kind of mistake it is, for programs (lint's issue codes); the message says it in words.
    pub kind: DocumentErrorKind,
    /// The element, as a JSON path from the document root (empty for JSON syntax errors).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// 1-based line in the source text.
    pub line: usize,
    /// 1-based column (in characters) in the source text.
    pub column: usize,
    /// Byte offset in the source text.
    pub offset: usize,
}

/// What is wrong with a document, as a stable name: programs branch on this, never on the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum DocumentErrorKind {
    /// The text is not JSON (syntax, a duplicate key, too deep).
    Json,
    /// An element has the wrong JSON type (an object, string or list was expected).
    WrongType,
    /// A list that must hold something is empty.
    EmptyList,
    /// An element name the grammar does not have.
    UnknownElement,
    /// `Version` is neither `2012-10-17` nor `2008-10-17`.
    InvalidVersion,
    /// No `Statement`.
    MissingStatement,
    /// A statement without `Effect`.
    MissingEffect,
    /// `Effect` is neither `Allow` nor `Deny`.
    InvalidEffect,
    /// A statement without `Action` or `NotAction`.
    MissingAction,
    /// An element together with its `Not` form.
    ElementCombination,
    /// An action that is not `service:Action` or `*`.
    InvalidAction,
    /// A principal that is not one.
    InvalidPrincipal,
    /// An unknown condition operator.
    InvalidConditionOperator,
    /// `Null` with `IfExists` or a set qualifier.
    NullWithQualifier,
    /// A condition value that is not a number (numeric operators).
    NotANumber,
    /// A condition value that is not a date (date operators).
    NotADate,
    /// A condition value that is not a boolean (`Bool`, `Null`).
    NotABoolean,
    /// A condition value that is not base64 (`BinaryEquals`).
    NotBase64,
    /// A condition value that is not a CIDR (IP address operators).
    NotACidr,
    /// A condition value that is not a string, number or boolean.
    InvalidConditionValue,
    /// An element of an evaluation request (not of a policy) is wrong.
    InvalidRequest,
}

/// The policy language version; it decides whether `${...}` is a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Version {
    /// `2012-10-17`: the current language, with policy variables.
    V2012_10_17,
    /// `2008-10-17`: the old language; `${...}` is literal text.
    V2008_10_17,
    /// No `Version` element: read as 2008-10-17.
    Absent,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Effect {
    /// Grants, unless denied elsewhere.
    Allow,
    /// Denies, whatever else allows.
    Deny,
}

/// How a value was written: a single string or a list. Kept so the policy prints back as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    One,
    List,
}

/// `Action`/`NotAction`, `Resource`/`NotResource`: a list of compiled patterns, possibly negated.
#[derive(Debug, Clone, PartialEq)]
pub struct Element<T> {
    /// True for `NotAction`/`NotResource`/`NotPrincipal`.
    pub negated: bool,
    /// The compiled patterns, in order.
    pub patterns: Vec<T>,
    /// The patterns as written, for printing back and explanations.
    pub written: Vec<Box<str>>,
    form: Form,
}

/// One principal kind's entries in a `Principal` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum PrincipalKind {
    /// `AWS`: accounts, users, roles, sessions, `*`.
    Aws,
    /// `Service`: AWS service principals.
    Service,
    /// `Federated`: web identity and SAML providers.
    Federated,
    /// `CanonicalUser`: S3 canonical user ids.
    CanonicalUser,
}

impl PrincipalKind {
    fn key(self) -> &'static str {
        match self {
            PrincipalKind::Aws => "AWS",
            PrincipalKind::Service => "Service",
            PrincipalKind::Federated => "Federated",
            PrincipalKind::CanonicalUser => "CanonicalUser",
        }
    }
}

/// One principal value, classified once so that matching is string equality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalMatcher {
    /// `"*"` or `{"AWS": "*"}`: everyone, including anonymous callers.
    Everyone,
    /// An account id or `arn:aws:iam::ACCOUNT:root`: every principal of that account.
    Account(Box<str>),
    /// A role ARN: the role and its sessions.
    Role(Box<str>),
    /// A user, role session or federated user ARN, or any other value, compared exactly.
    Exact(Box<str>),
    /// A service principal such as `lambda.amazonaws.com`.
    Service(Box<str>),
    /// A web identity or SAML provider.
    Federated(Box<str>),
    /// An S3 canonical user id.
    CanonicalUser(Box<str>),
}

/// One kind's principal values as written, and whether as a string or a list.
type WrittenPrincipals = (PrincipalKind, Vec<Box<str>>, Form);

/// A string value read from a policy: its text, where it is, and its JSON path.
type Located<'n> = (&'n str, Span, String);

/// A `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalElement {
    /// True for `NotPrincipal`.
    pub negated: bool,
    /// Every listed principal, classified.
    pub matchers: Vec<PrincipalMatcher>,
    /// As written: `None` for the bare `"*"`, else each kind's values and form.
    written: Option<Vec<WrittenPrincipals>>,
}

/// One `Operator: { key: values }` pair of a `Condition` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator with its qualifier and `IfExists`.
    pub operator: Operator,
    /// The condition key as written.
    pub key: Box<str>,
    /// The key lower-cased, for lookups (condition keys are case-insensitive).
    pub key_lowercase: Box<str>,
    /// The compiled values.
    pub values: Values,
    /// The values as written (JSON strings, numbers or booleans).
    written: Vec<JsonValue>,
    form: Form,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The `Sid`, if any.
    pub sid: Option<Box<str>>,
    /// `Allow` or `Deny`.
    pub effect: Effect,
    /// `Principal` or `NotPrincipal` (resource-based policies).
    pub principal: Option<PrincipalElement>,
    /// `Action` or `NotAction` (lower-cased patterns).
    pub action: Element<Pattern>,
    /// `Resource` or `NotResource`; absent in role trust policies, where it means the role itself.
    pub resource: Option<Element<ArnPattern>>,
    /// Every condition; all must hold.
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// Whether the statement's `Action` (or `NotAction`) covers `action_lowercase`, whatever its
    /// resources and conditions.
    pub fn matches_action(&self, action_lowercase: &str) -> bool {
        let listed = self.action.patterns.iter().any(|p| p.matches(action_lowercase, &crate::pattern::NoVariables));
        listed != self.action.negated
    }
}

impl Condition {
    /// The values as written (JSON strings, numbers or booleans), for reports.
    pub fn written_values(&self) -> &[JsonValue] {
        &self.written
    }
}

/// A parsed and compiled policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The language version.
    pub version: Version,
    /// The `Id`, if any.
    pub id: Option<Box<str>>,
    /// The statements, in order.
    pub statements: Vec<Statement>,
    /// A name for explanations (a managed policy's name, an inline policy's name); not part of
    /// the document.
    pub name: Option<Box<str>>,
    statement_form: Form,
    version_written: bool,
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

/// Builds errors for one source text.
struct Source<'a> {
    text: &'a str,
}

impl Source<'_> {
    fn error(&self, kind: DocumentErrorKind, path: &str, span: Span, message: impl Into<String>) -> DocumentError {
        DocumentError::at(self.text, kind, path, span.start, message)
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl DocumentError {
    /// An error of `kind` at byte `offset` of `text`, the element at `path`.
    pub(crate) fn at(
        text: &str,
        kind: DocumentErrorKind,
        path: &str,
        offset: usize,
        message: impl Into<String>,
    ) -> DocumentError {
        let (line, column) = json::line_column(text, offset);
        DocumentError { kind, path: path.to_string(), message: message.into(), line, column, offset }
    }

    /// A JSON syntax error of `text`.
    pub(crate) fn json(text: &str, error: json::SyntaxError) -> DocumentError {
        DocumentError::at(text, DocumentErrorKind::Json, "", error.offset, error.message)
    }
}

impl Policy {
    /// Parses and compiles a policy document.
    pub fn parse(text: &str) -> Result<Policy, DocumentError> {
        let node = json::parse(text).map_err(|e| DocumentError::json(text, e))?;
        Policy::from_node(&node, text, "")
    }

    /// Compiles a policy from an already-read JSON node. `text` is the source the node's spans
    /// point into and `path` the node's JSON path in it, so that errors in a policy embedded in a
    /// larger document (an evaluation request) point into that document.
    pub fn from_node(node: &Node<'_>, text: &str, path: &str) -> Result<Policy, DocumentError> {
        Compiler { src: Source { text } }.policy(node, path)
    }

    /// Gives the policy a name for explanations.
    pub fn named(mut self, name: impl Into<Box<str>>) -> Policy {
        self.name = Some(name.into());
        self
    }

    /// Prints the policy back as JSON, element for element as it was written.
    pub fn to_json(&self) -> JsonValue {
        let mut doc = Map::new();
        if self.version_written {
            let v = match self.version {
                Version::V2012_10_17 => "2012-10-17",
                Version::V2008_10_17 | Version::Absent => "2008-10-17",
            };
            doc.insert("Version".into(), v.into());
        }
        if let Some(id) = &self.id {
            doc.insert("Id".into(), JsonValue::String(id.to_string()));
        }
        let statements: Vec<JsonValue> = self.statements.iter().map(Statement::to_json).collect();
        let statements = match (self.statement_form, statements.len()) {
            (Form::One, 1) => statements.into_iter().next().unwrap_or_default(),
            _ => JsonValue::Array(statements),
        };
        doc.insert("Statement".into(), statements);
        JsonValue::Object(doc)
    }
}

fn strings_to_json(items: &[Box<str>], form: Form) -> JsonValue {
    match (form, items) {
        (Form::One, [one]) => JsonValue::String(one.to_string()),
        _ => JsonValue::Array(items.iter().map(|s| JsonValue::String(s.to_string())).collect()),
    }
}

impl Statement {
    fn to_json(&self) -> JsonValue {
        let mut s = Map::new();
        if let Some(sid) = &self.sid {
            s.insert("Sid".into(), JsonValue::String(sid.to_string()));
        }
        let effect = match self.effect {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        };
        s.insert("Effect".into(), effect.into());
        if let Some(p) = &self.principal {
            let key = if p.negated { "NotPrincipal" } else { "Principal" };
            let value = match &p.written {
                None => JsonValue::String("*".into()),
                Some(kinds) => JsonValue::Object(
                    kinds
                        .iter()
                        .map(|(kind, values, form)| (kind.key().to_string(), strings_to_json(values, *form)))
                        .collect(),
                ),
            };
            s.insert(key.into(), value);
        }
        let key = if self.action.negated { "NotAction" } else { "Action" };
        s.insert(key.into(), strings_to_json(&self.action.written, self.action.form));
        if let Some(r) = &self.resource {
            let key = if r.negated { "NotResource" } else { "Resource" };
            s.insert(key.into(), strings_to_json(&r.written, r.form));
        }
        if !self.conditions.is_empty() {
            let mut block = Map::new();
            for c in &self.conditions {
                let values = match (c.form, c.written.as_slice()) {
                    (Form::One, [one]) => one.clone(),
                    _ => JsonValue::Array(c.written.clone()),
                };
                let entry = block.entry(c.operator.name()).or_insert_with(|| JsonValue::Object(Map::new()));
                if let JsonValue::Object(keys) = entry {
                    keys.insert(c.key.to_string(), values);
                }
            }
            s.insert("Condition".into(), JsonValue::Object(block));
        }
        JsonValue::Object(s)
    }
}

struct Compiler<'a> {
    src: Source<'a>,
}

impl Compiler<'_> {
    fn object<'n, 'a>(&self, node: &'n Node<'a>, path: &str, what: &str) -> Result<&'n [Member<'a>], DocumentError> {
        match &node.value {
            Value::Object(members) => Ok(members),
            other => Err(self.src.error(
                DocumentErrorKind::WrongType,
                path,
                node.span,
                format!("{what} must be an object, not {}", other.type_name()),
            )),
        }
    }

    fn string<'n>(&self, node: &'n Node<'_>, path: &str) -> Result<&'n str, DocumentError> {
        match &node.value {
            Value::String(s) => Ok(s),
            other => Err(self.src.error(
                DocumentErrorKind::WrongType,
                path,
                node.span,
                format!("expected a string, not {}", other.type_name()),
            )),
        }
    }

    /// A string or a non-empty list of strings, with the form it was written in.
    fn strings<'n>(&self, node: &'n Node<'_>, path: &str) -> Result<(Vec<Located<'n>>, Form), DocumentError> {
        match &node.value {
            Value::String(s) => Ok((vec![(s.as_ref(), node.span, path.to_string())], Form::One)),
            Value::Array(items) => {
                if items.is_empty() {
                    return Err(self.src.error(
                        DocumentErrorKind::EmptyList,
                        path,
                        node.span,
                        "must not be an empty list",
                    ));
                }
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    out.push((self.string(item, &item_path)?, item.span, item_path));
                }
                Ok((out, Form::List))
            }
            other => Err(self.src.error(
                DocumentErrorKind::WrongType,
                path,
                node.span,
                format!("expected a string or a list of strings, not {}", other.type_name()),
            )),
        }
    }

    fn policy(&self, node: &Node<'_>, path: &str) -> Result<Policy, DocumentError> {
        let members = self.object(node, path, "a policy document")?;
        let mut version = Version::Absent;
        let mut version_written = false;
        let mut id = None;
        let mut statement_node = None;
        for m in members {
            let p = child(path, &m.key);
            match m.key.as_ref() {
                "Version" => {
                    version = match self.string(&m.node, &p)? {
                        "2012-10-17" => Version::V2012_10_17,
                        "2008-10-17" => Version::V2008_10_17,
                        other => {
                            return Err(self.src.error(
                                DocumentErrorKind::InvalidVersion,
                                &p,
                                m.node.span,
                                format!("unknown version `{other}` (use `2012-10-17`)"),
                            ))
                        }
                    };
                    version_written = true;
                }
                "Id" => id = Some(Box::from(self.string(&m.node, &p)?)),
                "Statement" => statement_node = Some(m),
                other => {
                    return Err(self.src.error(
                        DocumentErrorKind::UnknownElement,
                        &p,
                        m.key_span,
                        unknown_key(other, &["Version", "Id", "Statement"]),
                    ))
                }
            }
        }
        let Some(statement_member) = statement_node else {
            return Err(self.src.error(
                DocumentErrorKind::MissingStatement,
                path,
                node.span,
                "a policy document needs a `Statement` element",
            ));
        };
        let statement_path = child(path, "Statement");
        let variables = version == Version::V2012_10_17;
        let (statements, statement_form) = match &statement_member.node.value {
            Value::Object(_) => (vec![self.statement(&statement_member.node, &statement_path, variables)?], Form::One),
            Value::Array(items) => {
                let mut statements = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    statements.push(self.statement(item, &format!("{statement_path}[{i}]"), variables)?);
                }
                (statements, Form::List)
            }
            other => {
                return Err(self.src.error(
                    DocumentErrorKind::WrongType,
                    &statement_path,
                    statement_member.node.span,
                    format!("`Statement` must be an object or a list of objects, not {}", other.type_name()),
                ))
            }
        };
        Ok(Policy { version, id, statements, name: None, statement_form, version_written })
    }

    fn statement<'n, 'a>(&self, node: &'n Node<'a>, path: &str, variables: bool) -> Result<Statement, DocumentError> {
        type Slot<'n, 'a> = Option<(&'n Member<'a>, bool)>;
        let members = self.object(node, path, "a statement")?;
        let mut sid = None;
        let mut effect = None;
        let mut principal: Slot<'n, 'a> = None;
        let mut action: Slot<'n, 'a> = None;
        let mut resource: Slot<'n, 'a> = None;
        let mut condition = None;
        for m in members {
            let p = child(path, &m.key);
            let pair = |slot: &mut Slot<'n, 'a>, negated: bool, a: &str, b: &str| -> Result<(), DocumentError> {
                if slot.is_some() {
                    return Err(self.src.error(
                        DocumentErrorKind::ElementCombination,
                        &p,
                        m.key_span,
                        format!("a statement cannot have both `{a}` and `{b}`"),
                    ));
                }
                *slot = Some((m, negated));
                Ok(())
            };
            match m.key.as_ref() {
                "Sid" => sid = Some(Box::from(self.string(&m.node, &p)?)),
                "Effect" => {
                    effect = Some(match self.string(&m.node, &p)? {
                        "Allow" => Effect::Allow,
                        "Deny" => Effect::Deny,
                        other => {
                            return Err(self.src.error(
                                DocumentErrorKind::InvalidEffect,
                                &p,
                                m.node.span,
                                format!("`Effect` must be `Allow` or `Deny`, not `{other}`"),
                            ))
                        }
                    })
                }
                "Principal" => pair(&mut principal, false, "Principal", "NotPrincipal")?,
                "NotPrincipal" => pair(&mut principal, true, "Principal", "NotPrincipal")?,
                "Action" => pair(&mut action, false, "Action", "NotAction")?,
                "NotAction" => pair(&mut action, true, "Action", "NotAction")?,
                "Resource" => pair(&mut resource, false, "Resource", "NotResource")?,
                "NotResource" => pair(&mut resource, true, "Resource", "NotResource")?,
                "Condition" => condition = Some(m),
                other => {
                    return Err(self.src.error(
                        DocumentErrorKind::UnknownElement,
                        &p,
                        m.key_span,
                        unknown_key(
                            other,
                            &[
                                "Sid",
                                "Effect",
                                "Principal",
                                "NotPrincipal",
                                "Action",
                                "NotAction",
                                "Resource",
                                "NotResource",
                                "Condition",
                            ],
                        ),
                    ))
                }
            }
        }
        let Some(effect) = effect else {
            return Err(self.src.error(
                DocumentErrorKind::MissingEffect,
                path,
                node.span,
                "a statement needs an `Effect` element",
            ));
        };
        let Some((action_member, action_negated)) = action else {
            return Err(self.src.error(
                DocumentErrorKind::MissingAction,
                path,
                node.span,
                "a statement needs an `Action` or `NotAction` element",
            ));
        };
        let action_syntax = Syntax { wildcards: true, variables: false, ignore_case: true };
        let action = self.element(
            action_member,
            action_negated,
            path,
            |t| Pattern::new(t, action_syntax),
            |text| {
                (text == "*" || text.contains(':')).then_some(()).ok_or_else(|| {
                    (DocumentErrorKind::InvalidAction, format!("`{text}` is not an action (expected `service:Action`)"))
                })
            },
        )?;
        let resource_syntax = Syntax { wildcards: true, variables, ignore_case: false };
        let resource = resource
            .map(|(m, negated)| self.element(m, negated, path, |t| ArnPattern::new(t, resource_syntax), |_| Ok(())))
            .transpose()?;
        let principal = principal.map(|(m, negated)| self.principal(m, negated, path)).transpose()?;
        let conditions = condition.map(|m| self.conditions(m, path, variables)).transpose()?.unwrap_or_default();
        Ok(Statement { sid, effect, principal, action, resource, conditions })
    }

    fn element<T>(
        &self,
        member: &Member<'_>,
        negated: bool,
        path: &str,
        compile: impl Fn(&str) -> T,
        validate: impl Fn(&str) -> Result<(), (DocumentErrorKind, String)>,
    ) -> Result<Element<T>, DocumentError> {
        let p = child(path, &member.key);
        let (items, form) = self.strings(&member.node, &p)?;
        let mut patterns = Vec::with_capacity(items.len());
        let mut written = Vec::with_capacity(items.len());
        for (text, span, item_path) in items {
            validate(text).map_err(|(kind, message)| self.src.error(kind, &item_path, span, message))?;
            patterns.push(compile(text));
            written.push(Box::from(text));
        }
        Ok(Element { negated, patterns, written, form })
    }

    fn principal(&self, member: &Member<'_>, negated: bool, path: &str) -> Result<PrincipalElement, DocumentError> {
        let p = child(path, &member.key);
        if let Value::String(s) = &member.node.value {
            if s == "*" {
                return Ok(PrincipalElement { negated, matchers: vec![PrincipalMatcher::Everyone], written: None });
            }
            return Err(self.src.error(
                DocumentErrorKind::InvalidPrincipal,
                &p,
                member.node.span,
                format!("`{s}` is not a principal: use `\"*\"` or an object such as {{\"AWS\": \"{s}\"}}"),
            ));
        }
        let members = self.object(&member.node, &p, "a principal")?;
        let mut matchers = Vec::new();
        let mut written = Vec::new();
        for m in members {
            let kp = child(&p, &m.key);
            let kind = match m.key.as_ref() {
                "AWS" => PrincipalKind::Aws,
                "Service" => PrincipalKind::Service,
                "Federated" => PrincipalKind::Federated,
                "CanonicalUser" => PrincipalKind::CanonicalUser,
                other => {
                    return Err(self.src.error(
                        DocumentErrorKind::UnknownElement,
                        &kp,
                        m.key_span,
                        unknown_key(other, &["AWS", "Service", "Federated", "CanonicalUser"]),
                    ))
                }
            };
            let (items, form) = self.strings(&m.node, &kp)?;
            for (text, _, _) in &items {
                matchers.push(classify_principal(kind, text));
            }
            written.push((kind, items.iter().map(|(t, _, _)| Box::from(*t)).collect(), form));
        }
        if matchers.is_empty() {
            return Err(self.src.error(
                DocumentErrorKind::InvalidPrincipal,
                &p,
                member.node.span,
                "a principal must name at least one principal",
            ));
        }
        Ok(PrincipalElement { negated, matchers, written: Some(written) })
    }

    fn conditions(&self, member: &Member<'_>, path: &str, variables: bool) -> Result<Vec<Condition>, DocumentError> {
        let p = child(path, "Condition");
        let mut conditions = Vec::new();
        for op_member in self.object(&member.node, &p, "`Condition`")? {
            let op_path = child(&p, &op_member.key);
            // An operator with no keys tests nothing; IAM takes it whatever its name.
            if matches!(&op_member.node.value, Value::Object(keys) if keys.is_empty()) {
                continue;
            }
            let operator = Operator::parse(&op_member.key)
                .map_err(|e| self.src.error(e.kind(), &op_path, op_member.key_span, e.to_string()))?;
            for key_member in self.object(&op_member.node, &op_path, "a condition operator's block")? {
                let key_path = child(&op_path, &key_member.key);
                let (nodes, form): (Vec<&Node<'_>>, Form) = match &key_member.node.value {
                    Value::Array(items) => (items.iter().collect(), Form::List),
                    _ => (vec![&key_member.node], Form::One),
                };
                let mut texts = Vec::with_capacity(nodes.len());
                let mut written = Vec::with_capacity(nodes.len());
                for (i, n) in nodes.iter().enumerate() {
                    let item_path = if form == Form::List { format!("{key_path}[{i}]") } else { key_path.clone() };
                    let (text, json) = match &n.value {
                        Value::String(s) => (s.to_string(), JsonValue::String(s.to_string())),
                        Value::Bool(b) => (b.to_string(), JsonValue::Bool(*b)),
                        Value::Number(raw) => {
                            let number = raw.parse::<serde_json::Number>().map_err(|_| {
                                self.src.error(
                                    DocumentErrorKind::NotANumber,
                                    &item_path,
                                    n.span,
                                    format!("`{raw}` is not a number"),
                                )
                            })?;
                            (raw.to_string(), JsonValue::Number(number))
                        }
                        other => {
                            return Err(self.src.error(
                                DocumentErrorKind::InvalidConditionValue,
                                &item_path,
                                n.span,
                                format!(
                                    "a condition value must be a string, number or boolean, not {}",
                                    other.type_name()
                                ),
                            ))
                        }
                    };
                    texts.push((text, n.span, item_path));
                    written.push(json);
                }
                let borrowed: Vec<&str> = texts.iter().map(|(t, _, _)| t.as_str()).collect();
                let values = Values::compile(&operator, &borrowed, variables).map_err(|(i, e)| {
                    let (_, span, item_path) = &texts[i.min(texts.len().saturating_sub(1))];
                    self.src.error(e.kind(), item_path, *span, e.to_string())
                })?;
                conditions.push(Condition {
                    operator,
                    key: Box::from(key_member.key.as_ref()),
                    key_lowercase: key_member.key.to_lowercase().into(),
                    values,
                    written,
                    form,
                });
            }
        }
        Ok(conditions)
    }
}

/// Classifies one principal value. AWS allows no wildcards inside principal values except the
/// whole `*`, so each kind matches by string equality
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>).
fn classify_principal(kind: PrincipalKind, text: &str) -> PrincipalMatcher {
    match kind {
        PrincipalKind::Aws => {
            if text == "*" {
                return PrincipalMatcher::Everyone;
            }
            if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
                return PrincipalMatcher::Account(text.into());
            }
            match crate::arn::Arn::parse(text) {
                Some(arn) if arn.service() == "iam" && arn.resource() == "root" => {
                    PrincipalMatcher::Account(arn.account().into())
                }
                Some(arn) if arn.service() == "iam" && arn.resource().starts_with("role/") => {
                    PrincipalMatcher::Role(text.into())
                }
                _ => PrincipalMatcher::Exact(text.into()),
            }
        }
        PrincipalKind::Service => PrincipalMatcher::Service(text.into()),
        PrincipalKind::Federated => PrincipalMatcher::Federated(text.into()),
        PrincipalKind::CanonicalUser => PrincipalMatcher::CanonicalUser(text.into()),
    }
}

fn unknown_key(key: &str, known: &[&str]) -> String {
    let suggestion = known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(key) || strsim_close(k, key))
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    format!("unknown element `{key}`{suggestion}")
}

/// True when two names differ by at most one edit: enough to catch `Efect` or `Actions`.
fn strsim_close(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.to_lowercase().chars().collect(), b.to_lowercase().chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let (mut i, mut j, mut edits) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        edits += 1;
        if edits > 1 {
            return false;
        }
        match a.len().cmp(&b.len()) {
            std::cmp::Ordering::Greater => i += 1,
            std::cmp::Ordering::Less => j += 1,
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    edits + (a.len() - i) + (b.len() - j) <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_path_line_and_column() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"},\n    {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\",\n     \"Condition\": {\"IpAddress\": {\"aws:SourceIp\": \"10.0.0.300/8\"}}}\n  ]\n}";
        let err = Policy::parse(text).unwrap_err();
        assert_eq!(err.path, "Statement[1].Condition.IpAddress.aws:SourceIp");
        assert_eq!(err.message, "`10.0.0.300/8` is not a CIDR");
        assert_eq!((err.line, err.column), (6, 50));
        assert_eq!(
            err.to_string(),
            "Statement[1].Condition.IpAddress.aws:SourceIp: line 6, column 50: `10.0.0.300/8` is not a CIDR"
        );
    }

    #[test]
    fn grammar_errors() {
        let cases = [
            (
                r#"{"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "s3:*"}}"#,
                "both `Action` and `NotAction`",
            ),
            (r#"{"Statement": {"Effect": "allow", "Action": "*"}}"#, "`Effect` must be `Allow` or `Deny`"),
            (r#"{"Statement": {"Effect": "Allow"}}"#, "needs an `Action`"),
            (r#"{"Statement": {"Effect": "Allow", "Action": []}}"#, "empty list"),
            (r#"{"Statement": {"Effect": "Allow", "Action": "*", "Efect": 1}}"#, "did you mean `Effect`"),
            (r#"{"Version": "2012-10-18", "Statement": []}"#, "unknown version"),
            (
                r#"{"Statement": {"Effect": "Allow", "Action": "*", "Condition": {"StringEquls": {"a": "b"}}}}"#,
                "unknown condition operator",
            ),
            (
                r#"{"Statement": {"Effect": "Allow", "Action": "*", "Condition": {"NumericEquals": {"a": "x"}}}}"#,
                "not a number",
            ),
            (
                r#"{"Statement": {"Effect": "Allow", "Action": "*", "Condition": {"DateEquals": {"a": "yesterday"}}}}"#,
                "not a date",
            ),
            (
                r#"{"Statement": {"Effect": "Allow", "Action": "*", "Condition": {"BinaryEquals": {"a": "!!"}}}}"#,
                "not base64",
            ),
            (
                r#"{"Statement": {"Effect": "Allow", "Action": "*", "Condition": {"Bool": {"a": [null]}}}}"#,
                "string, number or boolean",
            ),
            (r#"{"Statement": {"Effect": "Allow", "Action": "s3", "Resource": "*"}}"#, "not an action"),
            (
                r#"{"Statement": {"Effect": "Allow", "Action": "*", "Principal": "arn:aws:iam::1:root"}}"#,
                "not a principal",
            ),
            (r#"{"Statement": 5}"#, "must be an object or a list"),
            (r#"[]"#, "must be an object"),
        ];
        for (text, expected) in cases {
            let err = Policy::parse(text).unwrap_err();
            assert!(err.message.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn prints_back_as_written() {
        let text = r#"{"Version":"2012-10-17","Id":"x","Statement":{"Sid":"s","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root"],"Service":"ec2.amazonaws.com"},"NotAction":"s3:Get*","Resource":["arn:aws:s3:::b/${aws:username}","*"],"Condition":{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":false},"ForAnyValue:StringLike":{"aws:TagKeys":["a*","b"]}}}}"#;
        let policy = Policy::parse(text).unwrap();
        let expected: JsonValue = serde_json::from_str(text).unwrap();
        assert_eq!(policy.to_json(), expected);
    }

    #[test]
    fn principals_classify() {
        assert_eq!(
            classify_principal(PrincipalKind::Aws, "111122223333"),
            PrincipalMatcher::Account("111122223333".into())
        );
        assert_eq!(
            classify_principal(PrincipalKind::Aws, "arn:aws:iam::111122223333:root"),
            PrincipalMatcher::Account("111122223333".into())
        );
        assert_eq!(
            classify_principal(PrincipalKind::Aws, "arn:aws:iam::111122223333:role/p/r"),
            PrincipalMatcher::Role("arn:aws:iam::111122223333:role/p/r".into())
        );
        assert_eq!(classify_principal(PrincipalKind::Aws, "*"), PrincipalMatcher::Everyone);
    }
}
