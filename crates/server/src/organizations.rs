//! An AWS Organizations organization as monban keeps it: one document (its root, organizational
//! units, member accounts, policies and attachments), read whole and changed whole in one
//! transaction (`Store::change_organization`), and what authorization needs of it: the SCP levels
//! above an account, root first (AWS Organizations User Guide, "SCP evaluation").

use std::sync::Arc;

use monban_policy::arn::Partition;
use monban_policy::Policy;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::State;

/// `SERVICE_CONTROL_POLICY`.
pub(crate) const SCP: &str = "SERVICE_CONTROL_POLICY";
/// `RESOURCE_CONTROL_POLICY`.
pub(crate) const RCP: &str = "RESOURCE_CONTROL_POLICY";

/// The AWS managed policies Organizations attaches when a policy type is enabled: id, type and
/// document ("AWS managed policies": FullAWSAccess and RCPFullAWSAccess).
pub(crate) const AWS_MANAGED: &[(&str, &str, &str, &str)] = &[
    (
        "p-FullAWSAccess",
        "FullAWSAccess",
        SCP,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    ),
    (
        "p-RCPFullAWSAccess",
        "RCPFullAWSAccess",
        RCP,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
    ),
];

/// The description AWS gives both managed policies.
pub(crate) const AWS_MANAGED_DESCRIPTION: &str = "Allows access to every operation";

/// An organization's document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Organization {
    pub(crate) id: String,
    pub(crate) management_account: String,
    pub(crate) management_email: String,
    pub(crate) feature_set: String,
    pub(crate) root: Root,
    #[serde(default)]
    pub(crate) units: Vec<Unit>,
    #[serde(default)]
    pub(crate) accounts: Vec<Member>,
    /// Customer managed policies; the AWS managed ones are [`AWS_MANAGED`].
    #[serde(default)]
    pub(crate) policies: Vec<OrgPolicy>,
    /// (policy id, target id) pairs.
    #[serde(default)]
    pub(crate) attachments: Vec<(String, String)>,
    #[serde(default)]
    pub(crate) create_requests: Vec<CreateRequest>,
    /// The service principals with trusted access (EnableAWSServiceAccess).
    #[serde(default)]
    pub(crate) service_access: Vec<String>,
    /// IAM's centralized root access features enabled for the organization (`RootSessions`,
    /// `RootCredentialsManagement`).
    #[serde(default)]
    pub(crate) root_features: Vec<String>,
    /// Tags by resource id (root, unit, account or policy), in the order they were set.
    #[serde(default)]
    pub(crate) tags: std::collections::BTreeMap<String, Vec<(String, String)>>,
    /// (account, service principal, seconds since the epoch) of each delegated administrator.
    #[serde(default)]
    pub(crate) delegated: Vec<(String, String, f64)>,
    /// Invitations to accounts (InviteAccountToOrganization).
    #[serde(default)]
    pub(crate) handshakes: Vec<Handshake>,
}

/// An invitation to join the organization, and how it ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Handshake {
    pub(crate) id: String,
    pub(crate) account: String,
    /// `OPEN`, `ACCEPTED`, `DECLINED`, `CANCELED` or `EXPIRED`.
    pub(crate) state: String,
    pub(crate) requested: f64,
    pub(crate) expires: f64,
    pub(crate) notes: Option<String>,
}

/// The organization's one root.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Root {
    pub(crate) id: String,
    /// The policy types enabled on it.
    #[serde(default)]
    pub(crate) policy_types: Vec<String>,
}

/// An organizational unit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Unit {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) parent: String,
}

/// A member account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Member {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) parent: String,
    /// `CREATED` or `INVITED`.
    pub(crate) joined_method: String,
    /// Seconds since the epoch.
    pub(crate) joined: f64,
}

/// A customer managed policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OrgPolicy {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) kind: String,
    pub(crate) content: String,
}

/// A CreateAccount request and how it ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CreateRequest {
    pub(crate) id: String,
    pub(crate) account_name: String,
    pub(crate) state: String,
    pub(crate) requested: f64,
    pub(crate) completed: Option<f64>,
    pub(crate) account_id: Option<String>,
    pub(crate) failure_reason: Option<String>,
}

/// Organizational units nest at most five levels under the root ("Quotas and service limits for
/// AWS Organizations").
pub(crate) const MAX_OU_DEPTH: usize = 5;

impl Organization {
    /// The document as stored.
    pub(crate) fn parse(document: &str) -> Result<Organization, ApiError> {
        serde_json::from_str(document).map_err(|e| ApiError::internal(format!("stored organization: {e}")))
    }

    /// The document to store.
    pub(crate) fn document(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Every member account, the management account included.
    pub(crate) fn member_ids(&self) -> Vec<String> {
        self.accounts.iter().map(|a| a.id.clone()).collect()
    }

    pub(crate) fn arn(&self, partition: Partition) -> String {
        format!("arn:{partition}:organizations::{}:organization/{}", self.management_account, self.id)
    }

    pub(crate) fn root_arn(&self, partition: Partition) -> String {
        format!("arn:{partition}:organizations::{}:root/{}/{}", self.management_account, self.id, self.root.id)
    }

    pub(crate) fn unit_arn(&self, partition: Partition, unit: &str) -> String {
        format!("arn:{partition}:organizations::{}:ou/{}/{unit}", self.management_account, self.id)
    }

    pub(crate) fn account_arn(&self, partition: Partition, account: &str) -> String {
        format!("arn:{partition}:organizations::{}:account/{}/{account}", self.management_account, self.id)
    }

    /// A policy's ARN: an AWS managed one's names no account.
    pub(crate) fn policy_arn(&self, partition: Partition, policy_id: &str, kind: &str) -> String {
        let kind = kind.to_ascii_lowercase();
        if AWS_MANAGED.iter().any(|(id, ..)| *id == policy_id) {
            return format!("arn:{partition}:organizations::aws:policy/{kind}/{policy_id}");
        }
        format!("arn:{partition}:organizations::{}:policy/{}/{kind}/{policy_id}", self.management_account, self.id)
    }

    /// The ARN of a root, unit or account of this organization.
    pub(crate) fn target_arn(&self, partition: Partition, target: &str) -> String {
        if target == self.root.id {
            self.root_arn(partition)
        } else if target.starts_with("ou-") {
            self.unit_arn(partition, target)
        } else {
            self.account_arn(partition, target)
        }
    }

    pub(crate) fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    pub(crate) fn account(&self, id: &str) -> Option<&Member> {
        self.accounts.iter().find(|a| a.id == id)
    }

    /// Whether `id` is the root or one of the units: something that can hold accounts and units.
    pub(crate) fn is_parent(&self, id: &str) -> bool {
        id == self.root.id || self.unit(id).is_some()
    }

    /// Whether `id` is the root, a unit or a member account: something a policy can be attached to.
    pub(crate) fn is_target(&self, id: &str) -> bool {
        self.is_parent(id) || self.account(id).is_some()
    }

    /// The parent of a unit or account.
    pub(crate) fn parent_of(&self, child: &str) -> Option<&str> {
        self.unit(child).map(|u| u.parent.as_str()).or_else(|| self.account(child).map(|a| a.parent.as_str()))
    }

    /// The chain from the root down to `target` (root first, `target` last).
    pub(crate) fn path_to(&self, target: &str) -> Vec<String> {
        let mut chain = vec![target.to_string()];
        let mut at = target.to_string();
        // A document is a tree; the bound only guards against a corrupt one.
        for _ in 0..=MAX_OU_DEPTH + 1 {
            match self.parent_of(&at) {
                Some(parent) => {
                    chain.push(parent.to_string());
                    at = parent.to_string();
                }
                None => break,
            }
        }
        chain.reverse();
        chain
    }

    /// `aws:PrincipalOrgPaths` of an account: `o-ID/r-ROOT/ou-.../` down to its parent.
    pub(crate) fn org_path(&self, account: &str) -> String {
        let mut path = format!("{}/", self.id);
        for step in self.path_to(account).iter().filter(|s| s.as_str() != account) {
            path.push_str(step);
            path.push('/');
        }
        path
    }

    /// A policy's type and document: a customer managed one or an AWS managed one.
    pub(crate) fn policy(&self, id: &str) -> Option<(String, String, String, String)> {
        if let Some(p) = self.policies.iter().find(|p| p.id == id) {
            return Some((p.name.clone(), p.description.clone(), p.kind.clone(), p.content.clone()));
        }
        AWS_MANAGED.iter().find(|(pid, ..)| *pid == id).map(|(_, name, kind, content)| {
            (name.to_string(), AWS_MANAGED_DESCRIPTION.to_string(), kind.to_string(), content.to_string())
        })
    }

    /// Attaches to a new unit or account the AWS managed policy of each enabled type
    /// (FullAWSAccess, RCPFullAWSAccess), as Organizations does until it is detached.
    pub(crate) fn attach_defaults(&mut self, target: &str) {
        for (id, _, kind, _) in AWS_MANAGED {
            if self.root.policy_types.iter().any(|t| t == kind) {
                self.attachments.push((id.to_string(), target.to_string()));
            }
        }
    }

    /// The policies of `kind` attached to `target`.
    pub(crate) fn attached(&self, target: &str, kind: &str) -> Vec<String> {
        self.attachments
            .iter()
            .filter(|(policy, t)| t == target && self.policy(policy).is_some_and(|p| p.2 == kind))
            .map(|(policy, _)| policy.clone())
            .collect()
    }

    /// The levels of policies of `kind` that apply to `account`, root first, or none when the type
    /// is not enabled or the account is the management account, which no SCP or RCP restricts
    /// (AWS Organizations User Guide, "Service control policies (SCPs)": "SCPs don't affect users
    /// or roles in the management account").
    pub(crate) fn levels(&self, account: &str, kind: &str) -> Vec<Vec<String>> {
        if account == self.management_account
            || !self.root.policy_types.iter().any(|t| t == kind)
            || self.account(account).is_none()
        {
            return Vec::new();
        }
        self.path_to(account).iter().map(|target| self.attached(target, kind)).collect()
    }
}

/// A new identifier: `prefix` and `n` random lower-case letters or digits, as Organizations
/// writes its ids.
pub(crate) fn new_id(prefix: &str, n: usize) -> Result<String, ApiError> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let bytes = crate::util::random_bytes::<32>()?;
    let body: String = bytes.iter().take(n).map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
    Ok(format!("{prefix}{body}"))
}

/// What authorization needs of an account's organization: its id and the account's place in it
/// (`aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`), and the SCP levels that apply to the
/// account, compiled, root first (none outside an organization, in the management account, or
/// while SCPs are not enabled).
#[derive(Debug, Default)]
pub(crate) struct OrganizationFacts {
    pub(crate) id: Option<String>,
    pub(crate) path: Option<String>,
    pub(crate) scps: Vec<Vec<Arc<Policy>>>,
    /// The RCP levels that apply to the account's resources, root first.
    pub(crate) rcps: Vec<Vec<Arc<Policy>>>,
}

/// The services of those monban serves whose resources RCPs protect: STS (role assumption), and
/// not IAM or Organizations ("Resource control policies (RCPs)": the list of supported services).
const RCP_SERVICES: &[&str] = &["sts"];

/// Whether the RCPs of a resource's account apply to `action` on it.
pub(crate) fn rcp_covers(action: &str) -> bool {
    action.split_once(':').is_some_and(|(service, _)| RCP_SERVICES.iter().any(|s| s.eq_ignore_ascii_case(service)))
}

/// The [`OrganizationFacts`] of `account`, read through the cache until the next write.
pub(crate) async fn facts(state: &State, account: &str) -> Result<Arc<OrganizationFacts>, ApiError> {
    let at = state.policies.read_at();
    if let Some(facts) = state.policies.organizations.get(at, account) {
        return Ok(facts);
    }
    let facts = match state.store.organization_of(account).await? {
        None => OrganizationFacts::default(),
        Some(stored) => {
            let organization = Organization::parse(&stored.document)?;
            let compiled = |kind: &str, what: &str| -> Result<Vec<Vec<Arc<Policy>>>, ApiError> {
                let mut levels = Vec::new();
                for level in organization.levels(account, kind) {
                    let mut policies = Vec::with_capacity(level.len());
                    for id in level {
                        if let Some((name, _, _, content)) = organization.policy(&id) {
                            policies.push(state.policies.compile(&format!("{what} {name}"), &content)?);
                        }
                    }
                    levels.push(policies);
                }
                Ok(levels)
            };
            OrganizationFacts {
                id: Some(organization.id.clone()),
                path: Some(organization.org_path(account)),
                scps: compiled(SCP, "service control policy")?,
                rcps: compiled(RCP, "resource control policy")?,
            }
        }
    };
    let facts = Arc::new(facts);
    // Every change to an organization, its creation included, is a write that moves the
    // generation on (`auth::change_of`): the facts depend on no subject.
    state.policies.keep(&state.policies.organizations, at, account.to_string(), facts.clone(), &[]);
    Ok(facts)
}
