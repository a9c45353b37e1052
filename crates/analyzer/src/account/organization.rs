//! An AWS Organization as the analyses need it: which service control policies (SCPs) and
//! resource control policies (RCPs) govern each account, level by level.
//!
//! AWS ("SCP evaluation"): an action is allowed only if an SCP attached at every level from the
//! root, through each OU, down to the account allows it; a deny at any level wins. RCPs combine
//! the same way for requests on the account's resources. Neither applies to the management
//! account, and SCPs do not apply to service-linked roles
//! (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html>,
//! <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html>).
//!
//! The input is one JSON document assembled from the Organizations API's own outputs (the AWS CLI
//! commands are listed in `docs/organization-input.md`):
//!
//! ```json
//! {"Organization": {"Id": "o-exampleorgid", "MasterAccountId": "111111111111"},
//!  "Roots": [{"Id": "r-root"}],
//!  "OrganizationalUnits": [{"Id": "ou-root-prod", "Name": "prod", "ParentId": "r-root"}],
//!  "Accounts": [{"Id": "222222222222", "Name": "app", "ParentId": "ou-root-prod"}],
//!  "Policies": [{"PolicySummary": {"Id": "p-full", "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY"},
//!                "Content": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
//!                "Targets": [{"TargetId": "r-root"}, {"TargetId": "ou-root-prod"}, {"TargetId": "222222222222"}]}]}
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use monban_policy::Policy;
use serde_json::Value;

use super::DetailsError;

/// Policy levels, root first: each level's policies must allow, and any deny wins.
pub type Levels = Vec<Vec<Arc<Policy>>>;

/// The guardrails of an organization, per account.
#[derive(Debug, Clone, Default)]
pub struct Organization {
    /// The organization's id (`o-...`), for `aws:PrincipalOrgID`.
    pub id: Option<String>,
    /// The management account, which no SCP or RCP governs.
    pub management_account: Option<String>,
    scps: HashMap<String, Levels>,
    rcps: HashMap<String, Levels>,
    /// Per account: `o-ID/r-ROOT/ou-.../` (the account's `aws:PrincipalOrgPaths`).
    paths: HashMap<String, String>,
}

impl Organization {
    /// Reads the organization document described in the module documentation.
    pub fn from_json(text: &str, source: &str) -> Result<Organization, DetailsError> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            DetailsError::new(source, &format!("line {}, column {}", e.line(), e.column()), e.to_string())
        })?;
        let error = |element: &str, message: &str| DetailsError::new(source, element, message);
        let string = |v: &Value, element: &str| -> Result<String, DetailsError> {
            v.as_str().map(str::to_string).ok_or_else(|| error(element, "expected a string"))
        };
        let list = |key: &str| -> Result<&Vec<Value>, DetailsError> {
            match value.get(key) {
                Some(Value::Array(items)) => Ok(items),
                Some(_) => Err(error(key, "expected a list")),
                None => Err(error(key, "missing")),
            }
        };
        let organization = value.get("Organization");
        let id = organization.and_then(|o| o.get("Id")).and_then(Value::as_str).map(str::to_string);
        let management_account =
            organization.and_then(|o| o.get("MasterAccountId")).and_then(Value::as_str).map(str::to_string);
        // Every node's parent: OUs and accounts name theirs; roots have none.
        let mut parent: HashMap<String, String> = HashMap::new();
        let mut roots = Vec::new();
        for (k, root) in list("Roots")?.iter().enumerate() {
            roots.push(string(&root["Id"], &format!("Roots[{k}].Id"))?);
        }
        for (k, ou) in list("OrganizationalUnits").unwrap_or(&Vec::new()).iter().enumerate() {
            let element = format!("OrganizationalUnits[{k}]");
            let ou_id = string(&ou["Id"], &format!("{element}.Id"))?;
            parent.insert(ou_id, string(&ou["ParentId"], &format!("{element}.ParentId"))?);
        }
        let mut accounts = Vec::new();
        for (k, account) in list("Accounts")?.iter().enumerate() {
            let element = format!("Accounts[{k}]");
            let account_id = string(&account["Id"], &format!("{element}.Id"))?;
            parent.insert(account_id.clone(), string(&account["ParentId"], &format!("{element}.ParentId"))?);
            accounts.push(account_id);
        }
        // Policies attached to each node, by type.
        let mut attached: HashMap<(&str, String), Vec<Arc<Policy>>> = HashMap::new();
        for (k, entry) in list("Policies")?.iter().enumerate() {
            let element = format!("Policies[{k}]");
            let summary = &entry["PolicySummary"];
            let kind = match summary["Type"].as_str() {
                Some("SERVICE_CONTROL_POLICY") => "scp",
                Some("RESOURCE_CONTROL_POLICY") => "rcp",
                // Tag, backup and AI-opt-out policies do not take part in authorization.
                Some(_) => continue,
                None => return Err(error(&format!("{element}.PolicySummary.Type"), "expected a string")),
            };
            let name = summary["Name"].as_str().or(summary["Id"].as_str()).unwrap_or("(unnamed policy)");
            let content = string(&entry["Content"], &format!("{element}.Content"))?;
            let policy = Policy::parse(&content)
                .map_err(|e| error(&format!("{element}.Content"), &format!("{} at {}: {}", name, e.path, e.message)))?;
            let policy = Arc::new(policy.named(format!("{name} ({})", kind.to_uppercase())));
            let targets = match entry.get("Targets") {
                Some(Value::Array(items)) => items,
                _ => return Err(error(&format!("{element}.Targets"), "expected a list")),
            };
            for (t, target) in targets.iter().enumerate() {
                let node = string(&target["TargetId"], &format!("{element}.Targets[{t}].TargetId"))?;
                attached.entry((kind, node)).or_default().push(policy.clone());
            }
        }
        let mut scps = HashMap::new();
        let mut rcps = HashMap::new();
        let mut paths = HashMap::new();
        for account in accounts {
            // The path from the account up to its root, then read root first.
            let mut path = vec![account.clone()];
            while let Some(up) = path.last().and_then(|n| parent.get(n)) {
                if path.contains(up) || path.len() > 64 {
                    return Err(error("OrganizationalUnits", &format!("the parents of account {account} form a loop")));
                }
                path.push(up.clone());
            }
            if !path.last().is_some_and(|top| roots.contains(top)) {
                return Err(error("Accounts", &format!("account {account} does not lead up to a root of `Roots`")));
            }
            path.reverse();
            if let Some(org) = &id {
                let nodes = path.iter().take(path.len().saturating_sub(1)).map(|n| format!("{n}/")).collect::<String>();
                paths.insert(account.clone(), format!("{org}/{nodes}"));
            }
            for (kind, out) in [("scp", &mut scps), ("rcp", &mut rcps)] {
                let levels: Levels =
                    path.iter().map(|node| attached.get(&(kind, node.clone())).cloned().unwrap_or_default()).collect();
                // RCPs may be absent altogether (not enabled); SCPs at every level are required.
                if kind == "rcp" && levels.iter().all(Vec::is_empty) {
                    continue;
                }
                out.insert(account.clone(), levels);
            }
        }
        Ok(Organization { id, management_account, scps, rcps, paths })
    }

    /// Where an account sits, for the keys AWS sets on its principals' requests
    /// (`aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`).
    pub fn place(&self, account: &str) -> Option<monban_policy::context::Organization<'_>> {
        let id = self.id.as_deref().filter(|_| self.contains(account))?;
        Some(monban_policy::context::Organization { id, path: self.paths.get(account).map(String::as_str) })
    }

    /// Whether the organization lists this account (the management account included).
    pub fn contains(&self, account: &str) -> bool {
        self.scps.contains_key(account) || self.management_account.as_deref() == Some(account)
    }

    /// The SCP levels that govern the principals of an account (none for the management account).
    pub fn scps_of(&self, account: &str) -> Levels {
        if self.management_account.as_deref() == Some(account) {
            return Vec::new();
        }
        self.scps.get(account).cloned().unwrap_or_default()
    }

    /// The RCP levels that govern requests on an account's resources.
    pub fn rcps_of(&self, account: &str) -> Levels {
        if self.management_account.as_deref() == Some(account) {
            return Vec::new();
        }
        self.rcps.get(account).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str =
        r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"#;

    fn document(extra_policies: &str) -> String {
        format!(
            r#"{{"Organization": {{"Id": "o-abc", "MasterAccountId": "111111111111"}},
            "Roots": [{{"Id": "r-1"}}],
            "OrganizationalUnits": [{{"Id": "ou-1", "ParentId": "r-1"}}, {{"Id": "ou-2", "ParentId": "ou-1"}}],
            "Accounts": [{{"Id": "111111111111", "ParentId": "r-1"}}, {{"Id": "222222222222", "ParentId": "ou-2"}}],
            "Policies": [{{"PolicySummary": {{"Id": "p-full", "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY"}},
              "Content": "{FULL}", "Targets": [{{"TargetId": "r-1"}}, {{"TargetId": "ou-1"}}, {{"TargetId": "ou-2"}}, {{"TargetId": "222222222222"}}, {{"TargetId": "111111111111"}}]}}
              {extra_policies}]}}"#
        )
    }

    #[test]
    fn levels_run_from_the_root_down_to_the_account() {
        let org = Organization::from_json(&document(""), "org.json").unwrap();
        assert_eq!(org.id.as_deref(), Some("o-abc"));
        let levels = org.scps_of("222222222222");
        assert_eq!(levels.len(), 4, "root, two OUs, the account");
        assert!(levels.iter().all(|l| l.len() == 1));
        assert!(org.scps_of("111111111111").is_empty(), "the management account is exempt");
        assert!(org.rcps_of("222222222222").is_empty(), "no RCPs attached");
        assert!(org.contains("222222222222") && !org.contains("333333333333"));
        let place = org.place("222222222222").unwrap();
        assert_eq!((place.id, place.path), ("o-abc", Some("o-abc/r-1/ou-1/ou-2/")));
    }

    #[test]
    fn rcps_and_errors_name_their_element() {
        let rcp = format!(
            r#", {{"PolicySummary": {{"Name": "NoOutsiders", "Type": "RESOURCE_CONTROL_POLICY"}}, "Content": "{FULL}", "Targets": [{{"TargetId": "ou-1"}}]}}"#
        );
        let org = Organization::from_json(&document(&rcp), "org.json").unwrap();
        let levels = org.rcps_of("222222222222");
        assert_eq!(levels.iter().map(Vec::len).collect::<Vec<_>>(), [0, 1, 0, 0]);
        let broken = document("").replace(r#""ParentId": "ou-1"}]"#, r#""ParentId": "ou-9"}]"#);
        let broken = broken.replace(r#"{"Id": "ou-2", "ParentId": "ou-1"}"#, r#"{"Id": "ou-2", "ParentId": "ou-9"}"#);
        let e = Organization::from_json(&broken, "org.json").unwrap_err();
        assert!(e.to_string().contains("does not lead up to a root"), "{e}");
        let bad = document("").replacen(r#"{\"Version"#, r#"{oops\"Version"#, 1);
        let e = Organization::from_json(&bad, "org.json").unwrap_err();
        assert!(e.to_string().starts_with("org.json: Policies[0].Content"), "{e}");
    }
}
