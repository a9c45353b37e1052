//! AWS managed policies, embedded from `data/aws-managed-policies.jsonl`.
//!
//! Authorization details list an AWS managed policy's document in `Policies` only when it is
//! attached in that account; a boundary or an `iam:PolicyARN` probe may name one that is not. The
//! file is indexed by ARN on first use and a document is compiled only when asked for.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use monban_policy::Policy;
use serde_json::Value;

use super::ManagedPolicy;

const DATA: &str = include_str!("../../../../data/aws-managed-policies.jsonl");

fn index() -> &'static HashMap<String, &'static str> {
    static INDEX: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    INDEX.get_or_init(|| {
        DATA.lines()
            .filter_map(|line| {
                // The ARN is the second field; reading the whole line as JSON only for it would
                // cost a full parse of 3 MB at start-up.
                let start = line.find("\"arn\":\"")? + 7;
                let end = start + line.get(start..)?.find('"')?;
                Some((line.get(start..end)?.to_string(), line))
            })
            .collect()
    })
}

/// The AWS managed policy with this ARN, compiled, if monban knows it.
pub(crate) fn aws_managed(arn: &str) -> Option<ManagedPolicy> {
    let line = index().get(arn)?;
    let value: Value = serde_json::from_str(line).ok()?;
    let document = value.get("document")?.to_string();
    let name = value.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
    let policy = Policy::parse(&document).ok()?.named(arn);
    Some(ManagedPolicy {
        arn: arn.to_string(),
        name,
        aws_managed: true,
        default: Arc::new(policy),
        other_versions: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn administrator_access_is_known() {
        let p = aws_managed("arn:aws:iam::aws:policy/AdministratorAccess").unwrap();
        assert_eq!(p.name, "AdministratorAccess");
        assert!(aws_managed("arn:aws:iam::aws:policy/NoSuchPolicy").is_none());
    }
}
