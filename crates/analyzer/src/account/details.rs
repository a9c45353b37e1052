//! Reading `aws iam get-account-authorization-details` output into plain records.
//!
//! AWS: "GetAccountAuthorizationDetails" (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html>).
//! The AWS CLI and boto3 print policy documents as JSON objects; the raw Query API returns them as
//! URL-encoded strings ("the policy document returned is URL-encoded compliant with RFC 3986"). Both
//! are read here into the same compiled [`Policy`], so every analysis sees one account whatever
//! the encoding. Errors name the file and the element (`RoleDetailList[3].AssumeRolePolicyDocument.Statement[0].Effect`).

use std::collections::BTreeMap;
use std::sync::Arc;

use monban_policy::arn::Arn;
use monban_policy::input::percent_decode;
use monban_policy::Policy;
use serde_json::{Map, Value};

use super::ManagedPolicy;

/// Malformed input: which file, which element, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {element}: {message}")]
pub struct DetailsError {
    /// The file (or a description of the input).
    pub file: String,
    /// The element, as a JSON path (`UserDetailList[2].UserPolicyList[0].PolicyDocument`).
    pub element: String,
    /// What is wrong.
    pub message: String,
}

impl DetailsError {
    /// An error at one element of one file.
    pub fn new(file: &str, element: &str, message: impl Into<String>) -> DetailsError {
        DetailsError { file: file.to_string(), element: element.to_string(), message: message.into() }
    }
}

/// An inline policy of a user, group or role.
#[derive(Debug, Clone)]
pub struct InlinePolicy {
    /// Its name.
    pub name: String,
    /// The compiled document, named `ENTITY-ARN inline NAME` for explanations.
    pub policy: Arc<Policy>,
}

/// An IAM user (`UserDetailList`).
#[derive(Debug, Clone)]
pub struct User {
    /// `UserName`.
    pub name: String,
    /// `UserId`.
    pub id: String,
    /// `Arn`.
    pub arn: String,
    /// `Path`.
    pub path: String,
    /// `CreateDate`, ISO 8601.
    pub created: Option<String>,
    /// `UserPolicyList`.
    pub inline: Vec<InlinePolicy>,
    /// `AttachedManagedPolicies[].PolicyArn`.
    pub attached: Vec<String>,
    /// `GroupList`: group names.
    pub groups: Vec<String>,
    /// `PermissionsBoundary.PermissionsBoundaryArn`.
    pub boundary: Option<String>,
    /// `Tags`.
    pub tags: Vec<(String, String)>,
}

/// An IAM group (`GroupDetailList`).
#[derive(Debug, Clone)]
pub struct Group {
    /// `GroupName`.
    pub name: String,
    /// `GroupId`.
    pub id: String,
    /// `Arn`.
    pub arn: String,
    /// `Path`.
    pub path: String,
    /// `GroupPolicyList`.
    pub inline: Vec<InlinePolicy>,
    /// `AttachedManagedPolicies[].PolicyArn`.
    pub attached: Vec<String>,
}

/// An IAM role (`RoleDetailList`).
#[derive(Debug, Clone)]
pub struct Role {
    /// `RoleName`.
    pub name: String,
    /// `RoleId`.
    pub id: String,
    /// `Arn`.
    pub arn: String,
    /// `Path`.
    pub path: String,
    /// `CreateDate`, ISO 8601.
    pub created: Option<String>,
    /// `AssumeRolePolicyDocument`, named `ROLE-ARN trust policy`.
    pub trust: Option<Arc<Policy>>,
    /// `RolePolicyList`.
    pub inline: Vec<InlinePolicy>,
    /// `AttachedManagedPolicies[].PolicyArn`.
    pub attached: Vec<String>,
    /// `PermissionsBoundary.PermissionsBoundaryArn`.
    pub boundary: Option<String>,
    /// `Tags`.
    pub tags: Vec<(String, String)>,
    /// `RoleLastUsed.LastUsedDate`.
    pub last_used: Option<String>,
    /// `InstanceProfileList[].Arn`: an EC2 instance can only be given a role through one.
    pub instance_profiles: Vec<String>,
}

/// One version of a managed policy.
#[derive(Debug, Clone)]
pub struct PolicyVersion {
    /// `VersionId`.
    pub id: String,
    /// `IsDefaultVersion`.
    pub is_default: bool,
    /// The compiled `Document`.
    pub policy: Arc<Policy>,
}

/// A managed policy (`Policies`): customer managed ones, and AWS managed ones that are attached.
#[derive(Debug, Clone)]
pub struct ManagedPolicyRecord {
    /// `PolicyName`.
    pub name: String,
    /// `Arn`.
    pub arn: String,
    /// `DefaultVersionId`.
    pub default_version: String,
    /// `AttachmentCount`.
    pub attachment_count: u64,
    /// `PermissionsBoundaryUsageCount`.
    pub boundary_usage_count: u64,
    /// `PolicyVersionList`.
    pub versions: Vec<PolicyVersion>,
}

impl ManagedPolicyRecord {
    /// Whether AWS owns the policy.
    pub fn is_aws_managed(&self) -> bool {
        self.arn.starts_with("arn:aws:iam::aws:policy/") || self.arn.contains(":iam::aws:policy/")
    }

    /// The default version and the others, or `None` when the input has no document for it.
    pub(crate) fn compile(&self) -> Option<ManagedPolicy> {
        let default = self
            .versions
            .iter()
            .find(|v| v.is_default)
            .or_else(|| self.versions.iter().find(|v| v.id == self.default_version))?;
        Some(ManagedPolicy {
            arn: self.arn.clone(),
            name: self.name.clone(),
            aws_managed: self.is_aws_managed(),
            default: default.policy.clone(),
            other_versions: self
                .versions
                .iter()
                .filter(|v| v.id != default.id)
                .map(|v| (v.id.clone(), v.policy.clone()))
                .collect(),
        })
    }
}

/// One account's authorization details.
#[derive(Debug, Clone)]
pub struct Account {
    /// The account id, from the entities' ARNs.
    pub id: String,
    /// Where it was read from (file names, for messages).
    pub source: String,
    /// `UserDetailList`.
    pub users: Vec<User>,
    /// `GroupDetailList`.
    pub groups: Vec<Group>,
    /// `RoleDetailList`.
    pub roles: Vec<Role>,
    /// `Policies`.
    pub policies: Vec<ManagedPolicyRecord>,
}

/// Reads one JSON element at a path, with errors that name the file and the element.
struct Reader<'f> {
    file: &'f str,
}

impl Reader<'_> {
    fn error(&self, path: &str, message: impl Into<String>) -> DetailsError {
        DetailsError::new(self.file, path, message)
    }

    fn object<'v>(&self, value: &'v Value, path: &str) -> Result<&'v Map<String, Value>, DetailsError> {
        value.as_object().ok_or_else(|| self.error(path, format!("expected an object, not {}", kind(value))))
    }

    fn string<'v>(&self, map: &'v Map<String, Value>, key: &str, path: &str) -> Result<&'v str, DetailsError> {
        match map.get(key) {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(self.error(&format!("{path}.{key}"), format!("expected a string, not {}", kind(other)))),
            None => Err(self.error(path, format!("missing `{key}`"))),
        }
    }

    fn optional_string(&self, map: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>, DetailsError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.error(&format!("{path}.{key}"), format!("expected a string, not {}", kind(other)))),
        }
    }

    fn list<'v>(&self, map: &'v Map<String, Value>, key: &str, path: &str) -> Result<&'v [Value], DetailsError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self.error(&format!("{path}.{key}"), format!("expected a list, not {}", kind(other)))),
        }
    }

    fn count(&self, map: &Map<String, Value>, key: &str, path: &str) -> Result<u64, DetailsError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(0),
            Some(Value::Number(n)) => {
                n.as_u64().ok_or_else(|| self.error(&format!("{path}.{key}"), "expected a non-negative integer"))
            }
            Some(other) => Err(self.error(&format!("{path}.{key}"), format!("expected a number, not {}", kind(other)))),
        }
    }

    /// A policy document: a JSON object, or a (URL-encoded) string holding one.
    fn document(&self, value: &Value, path: &str, name: String) -> Result<Arc<Policy>, DetailsError> {
        let text = match value {
            Value::String(s) => {
                let trimmed = s.trim_start();
                if trimmed.starts_with('{') {
                    s.clone()
                } else {
                    percent_decode(s)
                }
            }
            Value::Object(_) => value.to_string(),
            other => {
                return Err(
                    self.error(path, format!("a policy document must be an object or a string, not {}", kind(other)))
                )
            }
        };
        let policy = Policy::parse(&text).map_err(|e| {
            let element = if e.path.is_empty() { path.to_string() } else { format!("{path}.{}", e.path) };
            self.error(&element, e.message)
        })?;
        Ok(Arc::new(policy.named(name)))
    }

    fn inline(
        &self,
        map: &Map<String, Value>,
        key: &str,
        path: &str,
        owner: &str,
    ) -> Result<Vec<InlinePolicy>, DetailsError> {
        let mut out = Vec::new();
        for (i, item) in self.list(map, key, path)?.iter().enumerate() {
            let p = format!("{path}.{key}[{i}]");
            let m = self.object(item, &p)?;
            let name = self.string(m, "PolicyName", &p)?.to_string();
            let doc = m.get("PolicyDocument").ok_or_else(|| self.error(&p, "missing `PolicyDocument`"))?;
            let policy = self.document(doc, &format!("{p}.PolicyDocument"), format!("{owner} inline `{name}`"))?;
            out.push(InlinePolicy { name, policy });
        }
        Ok(out)
    }

    fn attached(&self, map: &Map<String, Value>, path: &str) -> Result<Vec<String>, DetailsError> {
        let mut out = Vec::new();
        for (i, item) in self.list(map, "AttachedManagedPolicies", path)?.iter().enumerate() {
            let p = format!("{path}.AttachedManagedPolicies[{i}]");
            out.push(self.string(self.object(item, &p)?, "PolicyArn", &p)?.to_string());
        }
        Ok(out)
    }

    fn boundary(&self, map: &Map<String, Value>, path: &str) -> Result<Option<String>, DetailsError> {
        match map.get("PermissionsBoundary") {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let p = format!("{path}.PermissionsBoundary");
                Ok(Some(self.string(self.object(v, &p)?, "PermissionsBoundaryArn", &p)?.to_string()))
            }
        }
    }

    fn tags(&self, map: &Map<String, Value>, path: &str) -> Result<Vec<(String, String)>, DetailsError> {
        let mut out = Vec::new();
        for (i, item) in self.list(map, "Tags", path)?.iter().enumerate() {
            let p = format!("{path}.Tags[{i}]");
            let m = self.object(item, &p)?;
            out.push((self.string(m, "Key", &p)?.to_string(), self.string(m, "Value", &p)?.to_string()));
        }
        Ok(out)
    }

    fn user(&self, value: &Value, path: &str) -> Result<User, DetailsError> {
        let m = self.object(value, path)?;
        let arn = self.string(m, "Arn", path)?.to_string();
        let mut groups = Vec::new();
        for (i, g) in self.list(m, "GroupList", path)?.iter().enumerate() {
            match g {
                Value::String(s) => groups.push(s.clone()),
                other => {
                    return Err(self.error(
                        &format!("{path}.GroupList[{i}]"),
                        format!("expected a group name, not {}", kind(other)),
                    ))
                }
            }
        }
        Ok(User {
            name: self.string(m, "UserName", path)?.to_string(),
            id: self.optional_string(m, "UserId", path)?.unwrap_or_default(),
            path: self.optional_string(m, "Path", path)?.unwrap_or_else(|| "/".into()),
            created: self.optional_string(m, "CreateDate", path)?,
            inline: self.inline(m, "UserPolicyList", path, &arn)?,
            attached: self.attached(m, path)?,
            groups,
            boundary: self.boundary(m, path)?,
            tags: self.tags(m, path)?,
            arn,
        })
    }

    fn group(&self, value: &Value, path: &str) -> Result<Group, DetailsError> {
        let m = self.object(value, path)?;
        let arn = self.string(m, "Arn", path)?.to_string();
        Ok(Group {
            name: self.string(m, "GroupName", path)?.to_string(),
            id: self.optional_string(m, "GroupId", path)?.unwrap_or_default(),
            path: self.optional_string(m, "Path", path)?.unwrap_or_else(|| "/".into()),
            inline: self.inline(m, "GroupPolicyList", path, &arn)?,
            attached: self.attached(m, path)?,
            arn,
        })
    }

    fn role(&self, value: &Value, path: &str) -> Result<Role, DetailsError> {
        let m = self.object(value, path)?;
        let arn = self.string(m, "Arn", path)?.to_string();
        let trust = match m.get("AssumeRolePolicyDocument") {
            None | Some(Value::Null) => None,
            Some(doc) => {
                Some(self.document(doc, &format!("{path}.AssumeRolePolicyDocument"), format!("{arn} trust policy"))?)
            }
        };
        let last_used = match m.get("RoleLastUsed") {
            Some(v @ Value::Object(_)) => {
                let p = format!("{path}.RoleLastUsed");
                self.optional_string(self.object(v, &p)?, "LastUsedDate", &p)?
            }
            _ => None,
        };
        let mut instance_profiles = Vec::new();
        for (i, item) in self.list(m, "InstanceProfileList", path)?.iter().enumerate() {
            let p = format!("{path}.InstanceProfileList[{i}]");
            instance_profiles.push(self.string(self.object(item, &p)?, "Arn", &p)?.to_string());
        }
        Ok(Role {
            name: self.string(m, "RoleName", path)?.to_string(),
            id: self.optional_string(m, "RoleId", path)?.unwrap_or_default(),
            path: self.optional_string(m, "Path", path)?.unwrap_or_else(|| "/".into()),
            created: self.optional_string(m, "CreateDate", path)?,
            trust,
            inline: self.inline(m, "RolePolicyList", path, &arn)?,
            attached: self.attached(m, path)?,
            boundary: self.boundary(m, path)?,
            tags: self.tags(m, path)?,
            last_used,
            instance_profiles,
            arn,
        })
    }

    fn policy(&self, value: &Value, path: &str) -> Result<ManagedPolicyRecord, DetailsError> {
        let m = self.object(value, path)?;
        let arn = self.string(m, "Arn", path)?.to_string();
        let mut versions = Vec::new();
        for (i, item) in self.list(m, "PolicyVersionList", path)?.iter().enumerate() {
            let p = format!("{path}.PolicyVersionList[{i}]");
            let v = self.object(item, &p)?;
            let id = self.optional_string(v, "VersionId", &p)?.unwrap_or_else(|| format!("v{}", i + 1));
            let is_default = match v.get("IsDefaultVersion") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(other) => {
                    return Err(self
                        .error(&format!("{p}.IsDefaultVersion"), format!("expected a boolean, not {}", kind(other))))
                }
            };
            let doc = v.get("Document").ok_or_else(|| self.error(&p, "missing `Document`"))?;
            let name = if is_default { arn.clone() } else { format!("{arn} version {id}") };
            let policy = self.document(doc, &format!("{p}.Document"), name)?;
            versions.push(PolicyVersion { id, is_default, policy });
        }
        let record = ManagedPolicyRecord {
            name: self.string(m, "PolicyName", path)?.to_string(),
            default_version: self.optional_string(m, "DefaultVersionId", path)?.unwrap_or_default(),
            attachment_count: self.count(m, "AttachmentCount", path)?,
            boundary_usage_count: self.count(m, "PermissionsBoundaryUsageCount", path)?,
            versions,
            arn,
        };
        if !record.is_aws_managed() && record.compile().is_none() {
            return Err(self.error(path, "a customer managed policy needs its default version in `PolicyVersionList`"));
        }
        Ok(record)
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The account id in an IAM ARN (`arn:aws:iam::ACCOUNT:...`).
pub(crate) fn account_of(arn: &str) -> Option<&str> {
    Arn::parse(arn).map(|a| a.account()).filter(|a| !a.is_empty() && *a != "aws")
}

impl Account {
    /// Reads one file of authorization details. `file` names it in errors.
    pub fn from_json(text: &str, file: &str) -> Result<Account, DetailsError> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            DetailsError::new(file, &format!("line {}, column {}", e.line(), e.column()), e.to_string())
        })?;
        Account::from_value(&value, file)
    }

    /// Reads authorization details already parsed as JSON.
    pub fn from_value(value: &Value, file: &str) -> Result<Account, DetailsError> {
        let r = Reader { file };
        let root = r.object(value, "(document)")?;
        let known = ["UserDetailList", "GroupDetailList", "RoleDetailList", "Policies", "IsTruncated", "Marker"];
        if !known.iter().any(|k| root.contains_key(*k)) {
            return Err(r.error("(document)", "not the output of `aws iam get-account-authorization-details` (no `UserDetailList`, `RoleDetailList`, ...)"));
        }
        if root.get("IsTruncated") == Some(&Value::Bool(true)) {
            return Err(r.error(
                "IsTruncated",
                "the output is truncated: fetch every page (the AWS CLI does by default) or pass all pages as files",
            ));
        }
        let users = (r.list(root, "UserDetailList", "")?.iter().enumerate())
            .map(|(i, v)| r.user(v, &format!("UserDetailList[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let groups = (r.list(root, "GroupDetailList", "")?.iter().enumerate())
            .map(|(i, v)| r.group(v, &format!("GroupDetailList[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let roles = (r.list(root, "RoleDetailList", "")?.iter().enumerate())
            .map(|(i, v)| r.role(v, &format!("RoleDetailList[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let policies = (r.list(root, "Policies", "")?.iter().enumerate())
            .map(|(i, v)| r.policy(v, &format!("Policies[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let id = users
            .iter()
            .map(|u| u.arn.as_str())
            .chain(roles.iter().map(|r| r.arn.as_str()))
            .chain(groups.iter().map(|g| g.arn.as_str()))
            .chain(policies.iter().map(|p| p.arn.as_str()))
            .find_map(account_of)
            .ok_or_else(|| {
                r.error("(document)", "no user, group, role or customer managed policy to take the account id from")
            })?
            .to_string();
        for (i, u) in users.iter().enumerate() {
            if account_of(&u.arn) != Some(id.as_str()) {
                return Err(r.error(
                    &format!("UserDetailList[{i}].Arn"),
                    format!("`{}` is not in account {id}; give each account its own file", u.arn),
                ));
            }
        }
        for (i, role) in roles.iter().enumerate() {
            if account_of(&role.arn) != Some(id.as_str()) {
                return Err(r.error(
                    &format!("RoleDetailList[{i}].Arn"),
                    format!("`{}` is not in account {id}; give each account its own file", role.arn),
                ));
            }
        }
        Ok(Account { id, source: file.to_string(), users, groups, roles, policies })
    }
}

/// Merges files of the same account (pages of one listing), keeping the accounts' order.
pub(crate) fn merge(accounts: Vec<Account>) -> Vec<Account> {
    let mut order: Vec<String> = Vec::new();
    let mut by_id: BTreeMap<String, Account> = BTreeMap::new();
    for account in accounts {
        match by_id.get_mut(&account.id) {
            Some(existing) => {
                existing.source = format!("{}, {}", existing.source, account.source);
                existing.users.extend(account.users);
                existing.groups.extend(account.groups);
                existing.roles.extend(account.roles);
                for p in account.policies {
                    if !existing.policies.iter().any(|q| q.arn == p.arn) {
                        existing.policies.push(p);
                    }
                }
            }
            None => {
                order.push(account.id.clone());
                by_id.insert(account.id.clone(), account);
            }
        }
    }
    order.into_iter().filter_map(|id| by_id.remove(&id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_and_element() {
        let text = r#"{"RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r",
            "AssumeRolePolicyDocument": {"Statement": {"Effect": "Alow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}}}]}"#;
        let err = Account::from_json(text, "a.json").unwrap_err();
        assert_eq!(err.file, "a.json");
        assert_eq!(err.element, "RoleDetailList[0].AssumeRolePolicyDocument.Statement.Effect");
        let err = Account::from_json(r#"{"UserDetailList": [{"UserName": "u"}]}"#, "b.json").unwrap_err();
        assert!(err.to_string().starts_with("b.json: UserDetailList[0]: missing `Arn`"), "{err}");
        let err = Account::from_json(r#"{"UserDetailList": [{"UserName": "#, "c.json").unwrap_err();
        assert!(err.to_string().contains("c.json: line 1"), "{err}");
        let err = Account::from_json("[]", "d.json").unwrap_err();
        assert!(err.to_string().contains("expected an object"), "{err}");
    }

    #[test]
    fn url_encoded_and_object_documents_read_the_same() {
        let object = r#"{"RoleDetailList": [{"RoleName": "r", "RoleId": "AROA1", "Arn": "arn:aws:iam::111122223333:role/r",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}]}"#;
        let encoded = r#"{"RoleDetailList": [{"RoleName": "r", "RoleId": "AROA1", "Arn": "arn:aws:iam::111122223333:role/r",
            "AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D"}]}"#;
        let a = Account::from_json(object, "a").unwrap();
        let b = Account::from_json(encoded, "b").unwrap();
        assert_eq!(a.roles[0].trust, b.roles[0].trust);
        assert_eq!(a.id, "111122223333");
    }
}
