//! Account analysis: the six IAM anti-patterns ([`audit`]), privilege-escalation paths
//! ([`escalation`]) and effective permissions ([`effective`]) of the principals described by
//! `aws iam get-account-authorization-details`.
//!
//! The input is read once ([`details`]) into plain records, then compiled into a [`Directory`]: every
//! user and role with its identity policies (own, attached and its groups'), its permissions
//! boundary and the SCP levels that govern its account, ready to be handed to
//! [`monban_policy::authorize`]. Every question the analyses ask ("can this principal assume that
//! role?", "is it admin-equivalent?") is a request decided by that one engine, with the condition
//! keys AWS would put in the context, so the analyzer never disagrees with the engine about what a
//! policy means.
//!
//! ```
//! use monban_analyzer::account::{details, escalation, Directory, Options};
//!
//! let text = r#"{"UserDetailList": [{"UserName": "dev", "UserId": "AIDA1", "Arn": "arn:aws:iam::111122223333:user/dev",
//!   "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
//!     {"Effect": "Allow", "Action": ["iam:CreateRole", "iam:PutRolePolicy", "sts:AssumeRole"], "Resource": "*"}]}}],
//!   "GroupList": [], "AttachedManagedPolicies": []}],
//!   "GroupDetailList": [], "RoleDetailList": [], "Policies": []}"#;
//! let account = details::Account::from_json(text, "account.json")?;
//! let directory = Directory::new(vec![account], Vec::new(), Options::default())?;
//! let report = escalation::analyze(&directory, None);
//! assert_eq!(report.paths.len(), 1); // CreateRole + PutRolePolicy + AssumeRole
//! # Ok::<(), monban_analyzer::account::AccountError>(())
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use monban_policy::condition::{format_date, parse_date};
use monban_policy::{
    authorize, context, Caller, Context, ContextValue, Decision, Policy, PolicySet, PolicyType, Request,
};

mod admin;
pub mod audit;
pub mod credentials;
pub mod details;
pub mod effective;
pub mod escalation;
mod managed;
pub mod organization;
pub mod synthetic;
pub mod unused;

pub use details::{Account, DetailsError};
pub use organization::{Levels, Organization};

/// What can go wrong while reading or compiling an account.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The authorization details (or an SCP file) are malformed; names the file and element.
    #[error(transparent)]
    Details(#[from] DetailsError),
    /// A credential report is malformed.
    #[error("{file}: line {line}: {message}")]
    CredentialReport {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The embedded action catalog, which admin-equivalence is proved over, cannot be read.
    #[error(transparent)]
    Catalog(#[from] monban_catalog::CatalogError),
    /// A time given to the analysis is not a date.
    #[error("`{0}` is not a date (use ISO 8601, e.g. 2024-05-01T00:00:00Z)")]
    Date(String),
}

/// Settings shared by the analyses.
#[derive(Debug, Clone)]
pub struct Options {
    /// "Now", in nanoseconds since the Unix epoch: ages of keys and last uses are measured from
    /// here, and `aws:CurrentTime` is set to it. Time is an input so every run can be replayed.
    pub now: i128,
    /// The region put in `aws:RequestedRegion` and in probe ARNs.
    pub region: String,
}

impl Default for Options {
    fn default() -> Self {
        // 2025-01-01T00:00:00Z: a fixed default keeps library results reproducible; the CLI passes
        // the real time.
        Options { now: 1_735_689_600 * NANOS_PER_SECOND, region: "us-east-1".into() }
    }
}

impl Options {
    /// Options with "now" read from an ISO 8601 date or epoch seconds.
    pub fn at(now: &str) -> Result<Options, AccountError> {
        let now = parse_date(now).ok_or_else(|| AccountError::Date(now.to_string()))?;
        Ok(Options { now, ..Options::default() })
    }
}

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const NANOS_PER_DAY: i128 = 86_400 * NANOS_PER_SECOND;

/// Whole days between an ISO 8601 date and `now`; `None` when the text is not a date.
pub(crate) fn days_since(date: &str, now: i128) -> Option<i64> {
    let then = parse_date(date)?;
    i64::try_from((now - then).div_euclid(NANOS_PER_DAY)).ok()
}

/// Users and roles: the principals that can hold credentials and act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// An IAM user (long-term credentials: password, access keys).
    User,
    /// An IAM role (temporary credentials through sessions).
    Role,
}

/// One user or role, compiled for the engine.
#[derive(Debug, Clone)]
pub struct Principal {
    /// User or role.
    pub kind: PrincipalKind,
    /// Index of its account in [`Directory::accounts`].
    pub account: usize,
    /// Index in that account's `users` or `roles`.
    pub index: usize,
    /// The ARN, with path.
    pub arn: String,
    /// The name.
    pub name: String,
    /// The account id.
    pub account_id: String,
    /// Identity policies: inline, attached and those of its groups, each named for explanations.
    pub identity: Vec<Arc<Policy>>,
    /// Whether each identity policy is inline (`true`) or managed, in the same order.
    pub inline: Vec<bool>,
    /// Managed policy ARNs behind `identity` (inline ones are `None`), in the same order.
    pub managed: Vec<Option<String>>,
    /// The permissions boundary's ARN, if one is set.
    pub boundary_arn: Option<String>,
    /// The permissions boundary, if set and resolved.
    pub boundary: Option<Arc<Policy>>,
    /// The groups (ARNs) of a user.
    pub groups: Vec<String>,
    /// Tags, which become `aws:PrincipalTag/*` and `aws:ResourceTag/*`.
    pub tags: Vec<(String, String)>,
    /// For roles: the trust policy, named `ROLE-ARN#trust`.
    pub trust: Option<Arc<Policy>>,
    /// The caller the engine sees when this principal acts (a role acts through a session).
    pub caller: Caller,
    /// The context keys AWS sets on every request of this principal.
    pub context: Context,
    /// The SCP levels that govern its requests (none in a management account, none for a
    /// service-linked role).
    pub scps: Levels,
    /// The RCP levels that govern requests on it as a resource (assuming a role).
    pub rcps: Levels,
}

impl Principal {
    /// The policies that apply when this principal makes a request, with `resource` as the
    /// resource-based policy.
    pub fn policy_set(&self, resource: Option<Arc<Policy>>) -> PolicySet {
        PolicySet {
            identity: self.identity.clone(),
            boundary: self.boundary.clone(),
            session: None,
            scps: self.scps.clone(),
            rcps: Vec::new(),
            resource,
        }
    }
}

/// A customer managed or AWS managed policy with all its versions, resolved.
#[derive(Debug, Clone)]
pub struct ManagedPolicy {
    /// The ARN.
    pub arn: String,
    /// The name.
    pub name: String,
    /// Whether AWS owns it (`arn:aws:iam::aws:policy/...`).
    pub aws_managed: bool,
    /// The default version, named by the ARN.
    pub default: Arc<Policy>,
    /// The other versions (version id, document), for `iam:SetDefaultPolicyVersion`.
    pub other_versions: Vec<(String, Arc<Policy>)>,
}

/// The compiled account(s): every principal ready for the engine, indexed by ARN.
#[derive(Debug)]
pub struct Directory {
    /// The accounts as read.
    pub accounts: Vec<Account>,
    /// Every user and role of every account.
    pub principals: Vec<Principal>,
    /// SCP levels (root first) applied to the principals of every account the organization does
    /// not list (all of them without an organization).
    pub scps: Levels,
    /// The organization whose SCPs and RCPs govern its accounts, when one was given.
    pub organization: Option<Organization>,
    /// Settings.
    pub options: Options,
    /// Managed policies by ARN (customer managed from the input, AWS managed as referenced).
    pub managed: HashMap<String, Arc<ManagedPolicy>>,
    /// Things that could not be resolved (an AWS managed policy ARN monban does not know).
    pub warnings: Vec<String>,
    by_arn: HashMap<String, usize>,
    admin: Vec<Option<Decision>>,
    prover: Arc<admin::Prover>,
    /// The policy an attacker writes onto a principal: everything.
    pub(crate) allow_all: Arc<Policy>,
}

/// Context values that an attacker may be able to supply, and what they mean in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactSet {
    /// What the attacker needs, for the report ("MFA (aws:MultiFactorAuthPresent)").
    pub label: String,
    /// The context keys and values.
    pub facts: Vec<(String, String)>,
    /// A tag (key, value) that each principal carries only if the engine lets it tag itself so
    /// (`iam:TagUser`/`iam:TagRole` on its own ARN with that `aws:RequestTag`).
    pub self_tag: Option<(String, String)>,
}

/// How many requirements [`Directory::fact_sets`] explores: each costs one more search.
pub const MAX_FACT_SETS: usize = 8;

/// The first address of an IPv4 or IPv6 network (`10.0.0.0/8` → `10.0.0.0`), or the address.
fn first_address(cidr: &str) -> Option<String> {
    let address = cidr.split('/').next()?.trim();
    address.parse::<std::net::IpAddr>().ok().map(|a| a.to_string())
}

/// The policy an attacker writes onto a principal it controls.
const ALLOW_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// The ARN of AWS's `AdministratorAccess`, the policy an attacker would attach.
pub const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

impl Directory {
    /// Compiles accounts (several files of one account are merged) and the SCP levels that
    /// govern them, and decides which principals are admin-equivalent.
    pub fn new(accounts: Vec<Account>, scps: Levels, options: Options) -> Result<Directory, AccountError> {
        Directory::in_organization(accounts, scps, None, options)
    }

    /// [`Directory::new`] for accounts of an organization: each account's principals are
    /// governed by its SCP levels and its roles by its RCP levels; `scps` apply to accounts the
    /// organization does not list.
    pub fn in_organization(
        accounts: Vec<Account>,
        scps: Levels,
        organization: Option<Organization>,
        options: Options,
    ) -> Result<Directory, AccountError> {
        let accounts = details::merge(accounts);
        let guardrails = |account: &str, service_linked: bool| -> (Levels, Levels) {
            match &organization {
                Some(org) if org.contains(account) => {
                    let scps = if service_linked { Vec::new() } else { org.scps_of(account) };
                    (scps, org.rcps_of(account))
                }
                _ if service_linked => (Vec::new(), Vec::new()),
                _ => (scps.clone(), Vec::new()),
            }
        };
        let mut warnings = Vec::new();
        let mut managed: HashMap<String, Arc<ManagedPolicy>> = HashMap::new();
        for account in &accounts {
            for p in &account.policies {
                if let Some(compiled) = p.compile() {
                    managed.insert(p.arn.clone(), Arc::new(compiled));
                }
            }
        }
        let mut resolve = |arn: &str, warnings: &mut Vec<String>| -> Option<Arc<ManagedPolicy>> {
            if let Some(p) = managed.get(arn) {
                return Some(p.clone());
            }
            match managed::aws_managed(arn) {
                Some(p) => {
                    let p = Arc::new(p);
                    managed.insert(arn.to_string(), p.clone());
                    Some(p)
                }
                None => {
                    let w = format!("managed policy `{arn}` is neither in the input's `Policies` nor a known AWS managed policy; it is ignored");
                    if !warnings.contains(&w) {
                        warnings.push(w);
                    }
                    None
                }
            }
        };
        let mut principals = Vec::new();
        for (a, account) in accounts.iter().enumerate() {
            let groups: HashMap<&str, &details::Group> = account.groups.iter().map(|g| (g.name.as_str(), g)).collect();
            for (i, user) in account.users.iter().enumerate() {
                let mut identity = Vec::new();
                let mut inline = Vec::new();
                let mut managed_arns = Vec::new();
                for p in &user.inline {
                    identity.push(p.policy.clone());
                    inline.push(true);
                    managed_arns.push(None);
                }
                for arn in &user.attached {
                    if let Some(m) = resolve(arn, &mut warnings) {
                        identity.push(m.default.clone());
                        inline.push(false);
                        managed_arns.push(Some(arn.clone()));
                    }
                }
                let mut group_arns = Vec::new();
                for g in &user.groups {
                    let Some(group) = groups.get(g.as_str()) else {
                        warnings.push(format!(
                            "{}: user `{}` is in group `{g}`, which is not in `GroupDetailList`",
                            account.source, user.name
                        ));
                        continue;
                    };
                    group_arns.push(group.arn.clone());
                    for p in &group.inline {
                        identity.push(p.policy.clone());
                        inline.push(true);
                        managed_arns.push(None);
                    }
                    for arn in &group.attached {
                        if let Some(m) = resolve(arn, &mut warnings) {
                            identity.push(m.default.clone());
                            inline.push(false);
                            managed_arns.push(Some(arn.clone()));
                        }
                    }
                }
                let boundary =
                    user.boundary.as_deref().and_then(|b| resolve(b, &mut warnings)).map(|m| m.default.clone());
                let caller = Caller::from_arn(&user.arn, None).map_err(|message| {
                    DetailsError::new(&account.source, &format!("UserDetailList[{i}].Arn"), message.to_string())
                })?;
                let kind = context::PrincipalKind::User { name: &user.name, id: &user.id };
                let place = organization.as_ref().and_then(|o| o.place(&account.id));
                let context = base_context(&options, &account.id, &user.arn, kind, &user.tags, place);
                let (scps, rcps) = guardrails(&account.id, false);
                principals.push(Principal {
                    kind: PrincipalKind::User,
                    account: a,
                    index: i,
                    arn: user.arn.clone(),
                    name: user.name.clone(),
                    account_id: account.id.clone(),
                    identity,
                    inline,
                    managed: managed_arns,
                    boundary_arn: user.boundary.clone(),
                    boundary,
                    groups: group_arns,
                    tags: user.tags.clone(),
                    trust: None,
                    caller,
                    context,
                    scps,
                    rcps,
                });
            }
            for (i, role) in account.roles.iter().enumerate() {
                let mut identity = Vec::new();
                let mut inline = Vec::new();
                let mut managed_arns = Vec::new();
                for p in &role.inline {
                    identity.push(p.policy.clone());
                    inline.push(true);
                    managed_arns.push(None);
                }
                for arn in &role.attached {
                    if let Some(m) = resolve(arn, &mut warnings) {
                        identity.push(m.default.clone());
                        inline.push(false);
                        managed_arns.push(Some(arn.clone()));
                    }
                }
                let boundary =
                    role.boundary.as_deref().and_then(|b| resolve(b, &mut warnings)).map(|m| m.default.clone());
                // A role acts through a session: arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION
                // (AWS: "IAM identifiers", role session ARNs carry no path).
                let session = format!("arn:aws:sts::{}:assumed-role/{}/monban", account.id, role.name);
                let caller = Caller::from_arn(&session, Some(&role.arn)).map_err(|message| {
                    DetailsError::new(&account.source, &format!("RoleDetailList[{i}].Arn"), message.to_string())
                })?;
                let issued = format_date(epoch_seconds(&options));
                let kind = context::PrincipalKind::AssumedRole {
                    role_id: &role.id,
                    session_name: "monban",
                    token_issued: &issued,
                    mfa_authenticated_at: None,
                };
                let place = organization.as_ref().and_then(|o| o.place(&account.id));
                let context = base_context(&options, &account.id, &role.arn, kind, &role.tags, place);
                // AWS: SCPs do not restrict service-linked roles.
                let (scps, rcps) = guardrails(&account.id, role.path.starts_with("/aws-service-role/"));
                principals.push(Principal {
                    kind: PrincipalKind::Role,
                    account: a,
                    index: i,
                    arn: role.arn.clone(),
                    name: role.name.clone(),
                    account_id: account.id.clone(),
                    identity,
                    inline,
                    managed: managed_arns,
                    boundary_arn: role.boundary.clone(),
                    boundary,
                    groups: Vec::new(),
                    tags: role.tags.clone(),
                    trust: role.trust.clone(),
                    caller,
                    context,
                    scps,
                    rcps,
                });
            }
        }
        let by_arn = principals.iter().enumerate().map(|(i, p)| (p.arn.clone(), i)).collect();
        let allow_all = Policy::parse(ALLOW_ALL)
            .map_err(|e| DetailsError::new("(built-in policy)", &e.path, e.message))?
            .named("(policy written by the attacker)");
        let mut directory = Directory {
            accounts,
            principals,
            scps,
            organization,
            options,
            managed,
            warnings,
            by_arn,
            admin: Vec::new(),
            prover: Arc::new(admin::Prover::new()?),
            allow_all: Arc::new(allow_all),
        };
        directory.admin = (0..directory.principals.len())
            .map(|i| {
                let p = &directory.principals[i];
                directory.admin_decision(p, &p.identity, p.boundary.as_ref())
            })
            .collect();
        Ok(directory)
    }

    /// A principal that does not exist yet (one an attacker would create), with no policies, as
    /// the engine would see it acting.
    pub(crate) fn new_principal(&self, kind: PrincipalKind, account_id: &str, arn: &str) -> Option<Principal> {
        let name = arn.rsplit('/').next().unwrap_or_default().to_string();
        let place = self.organization.as_ref().and_then(|o| o.place(account_id));
        // It has no unique id yet: AWS assigns a fresh one, which no policy can name.
        let (caller, context) = match kind {
            PrincipalKind::User => {
                let kind = context::PrincipalKind::User { name: &name, id: NEW_PRINCIPAL_ID };
                (Caller::from_arn(arn, None).ok()?, base_context(&self.options, account_id, arn, kind, &[], place))
            }
            PrincipalKind::Role => {
                let session = format!("arn:aws:sts::{account_id}:assumed-role/{name}/monban");
                let issued = format_date(epoch_seconds(&self.options));
                let kind = context::PrincipalKind::AssumedRole {
                    role_id: NEW_PRINCIPAL_ID,
                    session_name: "monban",
                    token_issued: &issued,
                    mfa_authenticated_at: None,
                };
                (
                    Caller::from_arn(&session, Some(arn)).ok()?,
                    base_context(&self.options, account_id, arn, kind, &[], place),
                )
            }
        };
        Some(Principal {
            kind,
            account: 0,
            index: 0,
            arn: arn.to_string(),
            name,
            account_id: account_id.to_string(),
            identity: Vec::new(),
            inline: Vec::new(),
            managed: Vec::new(),
            boundary_arn: None,
            boundary: None,
            groups: Vec::new(),
            tags: Vec::new(),
            trust: None,
            caller,
            context,
            scps: self.scps_of(account_id),
            rcps: self.rcps_of(account_id),
        })
    }

    /// The SCP levels of an account's (non-service-linked) principals.
    pub fn scps_of(&self, account: &str) -> Levels {
        match &self.organization {
            Some(org) if org.contains(account) => org.scps_of(account),
            _ => self.scps.clone(),
        }
    }

    /// The RCP levels that govern requests on an account's resources.
    pub fn rcps_of(&self, account: &str) -> Levels {
        self.organization.as_ref().map(|org| org.rcps_of(account)).unwrap_or_default()
    }

    /// The same accounts with every principal's requests carrying `facts` as well (context keys
    /// and values an attacker may be able to supply, such as MFA or a source address):
    /// admin-equivalence decided again under them.
    pub fn with_facts(&self, facts: &FactSet) -> Directory {
        let mut principals = self.principals.clone();
        for p in &mut principals {
            for (key, value) in &facts.facts {
                p.context.insert(key, ContextValue::single(value.as_str()));
            }
            if let Some((key, value)) = &facts.self_tag {
                if self.may_tag_itself(p, key, value) {
                    p.context.insert(&format!("aws:PrincipalTag/{key}"), ContextValue::single(value.as_str()));
                    p.tags.retain(|(k, _)| k != key);
                    p.tags.push((key.clone(), value.clone()));
                }
            }
        }
        let mut directory = Directory {
            accounts: self.accounts.clone(),
            principals,
            scps: self.scps.clone(),
            organization: self.organization.clone(),
            options: self.options.clone(),
            managed: self.managed.clone(),
            warnings: self.warnings.clone(),
            by_arn: self.by_arn.clone(),
            admin: Vec::new(),
            prover: self.prover.clone(),
            allow_all: self.allow_all.clone(),
        };
        directory.admin = (0..directory.principals.len())
            .map(|i| {
                let p = &directory.principals[i];
                directory.admin_decision(p, &p.identity, p.boundary.as_ref())
            })
            .collect();
        directory
    }

    /// Whether the engine lets `p` put tag `key`=`value` on itself (`iam:TagUser` or
    /// `iam:TagRole` on its own ARN, with the request's tag keys and the tags it has now).
    fn may_tag_itself(&self, p: &Principal, key: &str, value: &str) -> bool {
        let action = match p.kind {
            PrincipalKind::User => "iam:TagUser",
            PrincipalKind::Role => "iam:TagRole",
        };
        let mut context = p.context.clone();
        context.insert(&format!("aws:RequestTag/{key}"), ContextValue::single(value));
        context.insert("aws:TagKeys", ContextValue::multi(vec![key.to_string()]));
        add_resource_tags(&mut context, &p.tags);
        let request = Request::new(p.caller.clone(), action, &p.arn).with_context(context);
        authorize(&request, &p.policy_set(None)).is_allowed()
    }

    /// The facts the account's policies ask for that an attacker may be able to supply: MFA
    /// (`aws:MultiFactorAuthPresent`, `aws:MultiFactorAuthAge`), a source address in a network a
    /// condition names (`aws:SourceIp`), a VPC or VPC endpoint a condition names, a principal tag
    /// a condition names (carried only by principals allowed to tag themselves so). One set per
    /// requirement, at most [`MAX_FACT_SETS`], in the order first met.
    pub fn fact_sets(&self) -> Vec<FactSet> {
        let mut sets: Vec<FactSet> = Vec::new();
        let policies = self
            .principals
            .iter()
            .flat_map(|p| p.identity.iter().chain(&p.boundary).chain(&p.trust).chain(p.scps.iter().flatten()))
            .chain(self.managed.values().flat_map(|m| m.other_versions.iter().map(|(_, d)| d)));
        let mut seen = std::collections::HashSet::new();
        for policy in policies {
            if !seen.insert(Arc::as_ptr(policy) as usize) {
                continue;
            }
            for condition in policy.statements.iter().flat_map(|st| st.conditions.iter()) {
                let candidates: Vec<FactSet> = match &*condition.key_lowercase {
                    "aws:multifactorauthpresent" | "aws:multifactorauthage" => vec![FactSet {
                        label: "MFA (aws:MultiFactorAuthPresent)".into(),
                        facts: vec![
                            ("aws:MultiFactorAuthPresent".into(), "true".into()),
                            ("aws:MultiFactorAuthAge".into(), "0".into()),
                        ],
                        self_tag: None,
                    }],
                    key if key.starts_with("aws:principaltag/") => {
                        // The tag key as written (tag keys keep their case).
                        let tag = condition.key.get("aws:PrincipalTag/".len()..).unwrap_or_default().to_string();
                        condition
                            .written_values()
                            .iter()
                            .filter_map(serde_json::Value::as_str)
                            .filter(|v| !v.contains(['*', '?', '$']))
                            .map(|v| FactSet {
                                label: format!("tagging itself {tag}={v} (aws:PrincipalTag/{tag})"),
                                facts: Vec::new(),
                                self_tag: Some((tag.clone(), v.to_string())),
                            })
                            .collect()
                    }
                    "aws:sourceip" => condition
                        .written_values()
                        .iter()
                        .filter_map(serde_json::Value::as_str)
                        .filter_map(|cidr| {
                            let address = first_address(cidr)?;
                            Some(FactSet {
                                label: format!("a source address in {cidr} (aws:SourceIp)"),
                                facts: vec![("aws:SourceIp".into(), address)],
                                self_tag: None,
                            })
                        })
                        .collect(),
                    key @ ("aws:sourcevpc" | "aws:sourcevpce") => condition
                        .written_values()
                        .iter()
                        .filter_map(serde_json::Value::as_str)
                        .filter(|v| !v.contains(['*', '?', '$']))
                        .map(|v| {
                            let key = if key == "aws:sourcevpc" { "aws:SourceVpc" } else { "aws:SourceVpce" };
                            FactSet {
                                label: format!("a request from {v} ({key})"),
                                facts: vec![(key.into(), v.into())],
                                self_tag: None,
                            }
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                for set in candidates {
                    if sets.len() < MAX_FACT_SETS && !sets.iter().any(|s| s.label == set.label) {
                        sets.push(set);
                    }
                }
            }
        }
        sets
    }

    /// The principal with this ARN.
    pub fn principal(&self, arn: &str) -> Option<usize> {
        self.by_arn.get(arn).copied()
    }

    /// Whether principal `i` is admin-equivalent (decided by the engine, see [`Directory::admin_decision`]).
    pub fn is_admin(&self, i: usize) -> bool {
        self.admin.get(i).is_some_and(Option::is_some)
    }

    /// For an admin-equivalent principal, the decision on the first probe (its statements say why).
    pub fn admin_evidence(&self, i: usize) -> Option<&Decision> {
        self.admin.get(i).and_then(Option::as_ref)
    }

    /// Decides whether a principal with these identity policies and boundary would be
    /// admin-equivalent: allowed, on `*`, every catalog action that the SCPs allow anyone (proved
    /// with one engine decision per class of actions the policies treat alike, see
    /// [`admin::Prover`]), and every request of [`ADMIN_PROBES`] on fresh resources of its
    /// account that the SCPs allow anyone. A condition the caller cannot meet (MFA for an access
    /// key) or a narrower boundary keeps it from being admin. Returns the first allowed probe's
    /// decision, the evidence a report cites.
    pub fn admin_decision(
        &self,
        p: &Principal,
        identity: &[Arc<Policy>],
        boundary: Option<&Arc<Policy>>,
    ) -> Option<Decision> {
        let set = PolicySet {
            identity: identity.to_vec(),
            boundary: boundary.cloned(),
            session: None,
            scps: p.scps.clone(),
            rcps: Vec::new(),
            resource: None,
        };
        // What anyone in the account may do: everything, under the SCPs.
        let ceiling = PolicySet {
            identity: vec![self.allow_all.clone()],
            boundary: None,
            session: None,
            scps: p.scps.clone(),
            rcps: Vec::new(),
            resource: None,
        };
        let decide = |action: &str, resource: &str, set: &PolicySet| {
            let mut context = p.context.clone();
            if action == "iam:PassRole" {
                context.insert("iam:PassedToService", ContextValue::single("ec2.amazonaws.com"));
            }
            authorize(&Request::new(p.caller.clone(), action, resource).with_context(context), set)
        };
        let mut first = None;
        for (action, resource) in ADMIN_PROBES {
            let resource = resource.replace("{account}", &p.account_id).replace("{region}", &self.options.region);
            let decision = decide(action, &resource, &set);
            if decision.is_allowed() {
                first.get_or_insert(decision);
            } else if decide(action, &resource, &ceiling).is_allowed() {
                return None;
            }
        }
        for action in self.prover.representatives(&set).iter() {
            let decision = decide(action, "*", &set);
            if decision.is_allowed() {
                if first.is_none() {
                    first = Some(decision);
                }
            } else if decide(action, "*", &ceiling).is_allowed() {
                return None;
            }
        }
        first
    }

    /// Names the statements of a decision: `POLICY-NAME statement SID-OR-INDEX (policy type)`.
    pub fn statement_labels(set: &PolicySet, decision: &Decision) -> Vec<String> {
        decision
            .statements
            .iter()
            .filter_map(|at| {
                let policy = set.policy_at(at)?;
                let statement = policy.statements.get(usize::from(at.statement))?;
                let name = policy.name.as_deref().unwrap_or("(unnamed policy)");
                let which = statement.sid.as_deref().map_or_else(|| format!("#{}", at.statement), |s| format!("`{s}`"));
                let kind = match at.policy_type {
                    PolicyType::Identity => "identity",
                    PolicyType::ResourceBased => "trust/resource",
                    PolicyType::PermissionsBoundary => "boundary",
                    PolicyType::Session => "session",
                    PolicyType::Scp => "SCP",
                    PolicyType::Rcp => "RCP",
                };
                Some(format!("{name} statement {which} ({kind})"))
            })
            .collect()
    }
}

/// Requests that together mean "administrator": IAM permission management, passing roles, and
/// data access in the main services. Each must be allowed on a fresh resource of the principal's
/// account (`{account}` and `{region}` are filled in).
pub const ADMIN_PROBES: &[(&str, &str)] = &[
    ("iam:CreateUser", "arn:aws:iam::{account}:user/monban-probe"),
    ("iam:PutUserPolicy", "arn:aws:iam::{account}:user/monban-probe"),
    ("iam:AttachRolePolicy", "arn:aws:iam::{account}:role/monban-probe"),
    ("iam:CreateAccessKey", "arn:aws:iam::{account}:user/monban-probe"),
    ("iam:PassRole", "arn:aws:iam::{account}:role/monban-probe"),
    ("s3:GetObject", "arn:aws:s3:::monban-probe/object"),
    ("s3:PutBucketPolicy", "arn:aws:s3:::monban-probe"),
    ("ec2:RunInstances", "arn:aws:ec2:{region}:{account}:instance/i-0monbanprobe"),
    ("lambda:CreateFunction", "arn:aws:lambda:{region}:{account}:function:monban-probe"),
    ("kms:Decrypt", "arn:aws:kms:{region}:{account}:key/monban-probe"),
    ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:{region}:{account}:secret:monban-probe"),
    ("dynamodb:DeleteTable", "arn:aws:dynamodb:{region}:{account}:table/monban-probe"),
];

/// The analysis time in seconds since the epoch.
fn epoch_seconds(options: &Options) -> i64 {
    i64::try_from(options.now.div_euclid(NANOS_PER_SECOND)).unwrap_or(i64::MAX)
}

/// The unique id given to a principal that does not exist yet.
const NEW_PRINCIPAL_ID: &str = "NEWPRINCIPAL";

/// The context of a request a principal could make, from the one builder the server uses too
/// ([`monban_policy::context::request_context`]): a user signs with its long-term access key (no
/// MFA keys, so MFA-conditioned grants do not count); a role acts through a session without MFA.
fn base_context(
    options: &Options,
    account: &str,
    arn: &str,
    kind: context::PrincipalKind<'_>,
    tags: &[(String, String)],
    organization: Option<context::Organization<'_>>,
) -> Context {
    let principal = context::Principal { kind, account, arn, tags, organization };
    // Requests to AWS arrive over TLS.
    let facts = context::RequestFacts {
        epoch_seconds: epoch_seconds(options),
        source_ip: None,
        region: &options.region,
        secure_transport: true,
    };
    context::request_context(&principal, &facts)
}

/// Adds an IAM resource's tags (`aws:ResourceTag/*` and `iam:ResourceTag/*`).
pub(crate) fn add_resource_tags(context: &mut Context, tags: &[(String, String)]) {
    context::add_resource_tags(context, tags, true);
}
