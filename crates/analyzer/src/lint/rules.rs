//! The checks. Each one cites the Access Analyzer check (or AWS page) it follows; issue codes are
//! Access Analyzer's where it has one, and in its style otherwise.

use std::collections::HashMap;

use monban_catalog::{Action, ActionId, ConditionKeyType, ResourceType};
use monban_policy::condition::{Family, SetQualifier, Values};
use monban_policy::pattern::{ArnPattern, NoVariables, Piece};
use monban_policy::policy::{Condition, PrincipalMatcher};
use monban_policy::{DocumentError, DocumentErrorKind, Effect, Policy, Statement, Version};

use super::document::{Document, Step};
use super::{position, Finding, FindingType, Linter, Location, PolicyKind};
use crate::check::pins_caller;
use crate::compare::glob::{Glob, Variables};
use monban_policy::quotas::{policy_size, Quota};

/// Partitions AWS has (IAM User Guide, "IAM identifiers": ARN partitions).
const PARTITIONS: &[&str] =
    &["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"];

/// The size quota of each kind of policy (the one table, `monban_policy::quotas`) with Access
/// Analyzer's finding for a document over it.
fn quota(kind: PolicyKind) -> (Quota, &'static str, FindingType) {
    match kind {
        PolicyKind::Identity | PolicyKind::Boundary => {
            (Quota::PolicySize, "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", FindingType::Warning)
        }
        PolicyKind::Trust => {
            (Quota::AssumeRolePolicySize, "POLICY_SIZE_EXCEEDS_TRUST_POLICY_QUOTA", FindingType::Warning)
        }
        PolicyKind::Resource => {
            (Quota::ResourcePolicySize, "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA", FindingType::Warning)
        }
        PolicyKind::Scp => (Quota::ScpSize, "POLICY_SIZE_EXCEEDS_SCP_QUOTA", FindingType::Error),
        PolicyKind::Rcp => (Quota::RcpSize, "POLICY_SIZE_EXCEEDS_RCP_QUOTA", FindingType::Error),
    }
}

/// Turns the engine's grammar error into a finding, with Access Analyzer's issue code for its kind.
pub(crate) fn grammar_error(doc: &Document<'_, '_>, error: &DocumentError) -> Finding {
    use DocumentErrorKind as K;
    let code = match error.kind {
        K::InvalidConditionOperator => "INVALID_CONDITION_OPERATOR",
        K::InvalidEffect => "INVALID_EFFECT",
        K::MissingEffect => "MISSING_EFFECT",
        K::MissingAction => "MISSING_ACTION",
        K::MissingStatement => "MISSING_STATEMENT",
        K::InvalidVersion => "INVALID_VERSION",
        K::ElementCombination => "UNSUPPORTED_ELEMENT_COMBINATION",
        K::InvalidAction => "INVALID_ACTION",
        K::InvalidPrincipal => "INVALID_PRINCIPAL_FORMAT",
        K::NullWithQualifier => "NULL_WITH_IF_EXISTS",
        K::NotANumber => "TYPE_MISMATCH_NUMBER",
        K::NotADate => "TYPE_MISMATCH_DATE",
        K::NotABoolean => "TYPE_MISMATCH_BOOLEAN",
        K::NotBase64 => "TYPE_MISMATCH_STRING",
        K::NotACidr => "TYPE_MISMATCH_IP_RANGE",
        K::EmptyList => "EMPTY_ARRAY",
        K::UnknownElement => "INVALID_POLICY_ELEMENT",
        K::Json => "JSON_SYNTAX_ERROR",
        K::WrongType | K::InvalidConditionValue | K::InvalidRequest => "DATA_TYPE_MISMATCH",
    };
    let at = position(doc.text, error.offset);
    Finding {
        finding_type: FindingType::Error,
        issue_code: code,
        message: error.message.clone(),
        location: Location { path: error.path.clone(), start: at, end: at },
    }
}

pub(crate) struct Context<'a, 't, 'n, 'c> {
    pub(crate) linter: &'a Linter<'c>,
    pub(crate) doc: &'a Document<'t, 'n>,
    pub(crate) policy: &'a Policy,
    pub(crate) kind: PolicyKind,
}

impl Context<'_, '_, '_, '_> {
    fn at(&self, finding_type: FindingType, issue_code: &'static str, message: String, path: &[Step<'_>]) -> Finding {
        Finding { finding_type, issue_code, message, location: self.doc.locate(path) }
    }

    pub(crate) fn run(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        self.document_checks(&mut out);
        for (i, statement) in self.policy.statements.iter().enumerate() {
            let path = self.doc.statement(i);
            let entries = self.expand(statement);
            self.element_checks(statement, &path, &mut out);
            self.action_checks(statement, &entries, &path, &mut out);
            self.resource_checks(statement, &entries, &path, &mut out);
            self.condition_checks(statement, &entries, &path, &mut out);
            self.security_checks(statement, &path, &mut out);
        }
        out
    }

    /// The catalog actions of each `Action`/`NotAction` entry, computed once per statement.
    fn expand(&self, s: &Statement) -> Vec<Vec<ActionId>> {
        let catalog = self.linter.catalog;
        s.action
            .written
            .iter()
            .map(|w| {
                if w.contains(['*', '?']) {
                    catalog.expand(w).ids().collect()
                } else {
                    catalog.find_action(w).map(|a| vec![a.id()]).unwrap_or_default()
                }
            })
            .collect()
    }

    /// A condition key's catalog entry. Besides the catalog's own lookup, a key of a documented
    /// family (`secretsmanager:ResourceTag/tag-key` documents every `secretsmanager:ResourceTag/…`)
    /// is known: the reference spells some placeholders as plain words.
    fn condition_key(&self, name: &str) -> Option<monban_catalog::ConditionKey> {
        let catalog = self.linter.catalog;
        if let Some(key) = catalog.condition_key(name) {
            return Some(key);
        }
        let (family, _) = name.split_once('/')?;
        let (prefix, _) = family.split_once(':')?;
        let keys = catalog.service(prefix).map(|s| s.condition_keys()).unwrap_or_default();
        keys.iter().find(|k| k.name().split_once('/').is_some_and(|(f, _)| f.eq_ignore_ascii_case(family))).copied()
    }

    /// Version, size and Sids.
    fn document_checks(&self, out: &mut Vec<Finding>) {
        // "General Warning – Missing version"; without it `${...}` is literal text.
        if self.policy.version != Version::V2012_10_17 {
            let message = match self.policy.version {
                Version::Absent => "add \"Version\": \"2012-10-17\": without it policy variables are literal text",
                _ => "use \"Version\": \"2012-10-17\": with 2008-10-17 policy variables are literal text",
            };
            // Organizations refuses an SCP or RCP without it ("SCP syntax", "RCP syntax": every
            // policy "must include a Version element with the value 2012-10-17").
            let finding_type = match self.kind {
                PolicyKind::Scp | PolicyKind::Rcp => FindingType::Error,
                _ => FindingType::Warning,
            };
            out.push(self.at(finding_type, "MISSING_VERSION", message.to_string(), &[Step::Key("Version")]));
        }
        let (quota, code, finding_type) = quota(self.kind);
        let (limit, size) = (quota.value(), policy_size(self.doc.text));
        if size > limit {
            out.push(self.at(
                finding_type,
                code,
                format!("the policy has {size} characters without white space, over the quota of {limit}; split it into several policies"),
                &[],
            ));
        }
        // "Unique Sids required" (SCPs, RCPs) / "Unique Sids recommended" (the others).
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, s) in self.policy.statements.iter().enumerate() {
            let Some(sid) = s.sid.as_deref() else { continue };
            let mut path = self.doc.statement(i);
            path.push(Step::Key("Sid"));
            if sid.is_empty() {
                out.push(self.at(
                    FindingType::Suggestion,
                    "EMPTY_SID_VALUE",
                    "add a value to the empty `Sid`".into(),
                    &path,
                ));
                continue;
            }
            if let Some(first) = seen.insert(sid, i) {
                let (t, code) = match self.kind {
                    PolicyKind::Scp | PolicyKind::Rcp => (FindingType::Error, "UNIQUE_SIDS_REQUIRED"),
                    _ => (FindingType::Warning, "UNIQUE_SIDS_RECOMMENDED"),
                };
                out.push(self.at(
                    t,
                    code,
                    format!("the Sid `{sid}` is also used by statement {first}; use unique Sids"),
                    &path,
                ));
            }
        }
    }

    /// Elements the policy type needs or forbids.
    fn element_checks(&self, s: &Statement, path: &[Step<'_>], out: &mut Vec<Finding>) {
        let with = |key: &'static str| {
            let mut p = path.to_vec();
            p.push(Step::Key(key));
            p
        };
        let principal_key = if s.principal.as_ref().is_some_and(|p| p.negated) { "NotPrincipal" } else { "Principal" };
        match self.kind {
            PolicyKind::Identity | PolicyKind::Boundary => {
                if s.principal.is_some() {
                    out.push(self.at(
                        FindingType::Error,
                        "UNSUPPORTED_PRINCIPAL",
                        "identity-based policies and permissions boundaries cannot name principals; remove the element".into(),
                        &with(principal_key),
                    ));
                }
            }
            PolicyKind::Resource | PolicyKind::Trust => {
                if s.principal.is_none() {
                    out.push(self.at(
                        FindingType::Error,
                        "MISSING_PRINCIPAL",
                        "add a `Principal` element".into(),
                        path,
                    ));
                }
                if self.kind == PolicyKind::Trust && s.resource.is_some() {
                    let key = if s.resource.as_ref().is_some_and(|r| r.negated) { "NotResource" } else { "Resource" };
                    out.push(self.at(
                        FindingType::Error,
                        "UNSUPPORTED_RESOURCE_IN_TRUST_POLICY",
                        "a role trust policy cannot have a resource element: the resource is the role itself".into(),
                        &with(key),
                    ));
                }
            }
            PolicyKind::Scp => {
                if s.principal.is_some() {
                    out.push(self.at(
                        FindingType::Error,
                        "SCP_SYNTAX_ERROR_PRINCIPAL",
                        "SCPs cannot name principals; use the `aws:PrincipalArn` condition key".into(),
                        &with(principal_key),
                    ));
                }
            }
            PolicyKind::Rcp => {
                let everyone =
                    s.principal.as_ref().is_some_and(|p| !p.negated && p.matchers == [PrincipalMatcher::Everyone]);
                if !everyone {
                    out.push(self.at(
                        FindingType::Error,
                        "RCP_SYNTAX_ERROR_PRINCIPAL",
                        "RCPs must use \"Principal\": \"*\"; narrow principals with conditions".into(),
                        &with(principal_key),
                    ));
                }
                // "RCP syntax": Allow only in RCPFullAWSAccess; no NotAction; no "*" action; a
                // Resource or NotResource in every statement.
                if s.effect != Effect::Deny {
                    out.push(self.at(
                        FindingType::Error,
                        "RCP_SYNTAX_ERROR_ALLOW",
                        "the effect of an RCP you write must be Deny (Allow is only in RCPFullAWSAccess)".into(),
                        &with("Effect"),
                    ));
                }
                let action_key = if s.action.negated { "NotAction" } else { "Action" };
                if s.action.negated {
                    out.push(self.at(
                        FindingType::Error,
                        "RCP_SYNTAX_ERROR_NOT_ACTION",
                        "RCPs do not support NotAction; list the actions to deny".into(),
                        &with(action_key),
                    ));
                } else if s.action.written.iter().any(|a| &**a == "*") {
                    out.push(self.at(
                        FindingType::Error,
                        "RCP_SYNTAX_ERROR_ACTION_WILDCARD",
                        "an RCP's Action must name its service (`s3:*`), not `*`".into(),
                        &with(action_key),
                    ));
                }
            }
        }
        // Identity policies, boundaries and RCPs say which resources they are about.
        if matches!(self.kind, PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Rcp) && s.resource.is_none() {
            out.push(self.at(
                FindingType::Error,
                "MISSING_RESOURCE",
                "add a `Resource` or `NotResource` element".into(),
                path,
            ));
        }
    }

    /// Unknown services and actions, redundant actions.
    fn action_checks(&self, s: &Statement, entries: &[Vec<ActionId>], path: &[Step<'_>], out: &mut Vec<Finding>) {
        let catalog = self.linter.catalog;
        let key = if s.action.negated { "NotAction" } else { "Action" };
        let mut element = path.to_vec();
        element.push(Step::Key(key));
        let globs: Vec<Glob> = s.action.written.iter().map(|w| Glob::wildcard(&w.to_lowercase(), true)).collect();
        let covered = redundant(&globs);
        for (j, written) in s.action.written.iter().enumerate() {
            let item = self.doc.item(&element, j);
            if &**written == "*" {
                continue;
            }
            let Some((prefix, name)) = written.split_once(':') else { continue };
            if prefix.contains(['*', '?']) {
                out.push(self.at(
                    FindingType::Suggestion,
                    "WILDCARD_IN_SERVICE_NAME",
                    format!(
                        "`{written}` has a wildcard in the service name, which may match services you did not mean"
                    ),
                    &item,
                ));
            } else if catalog.service(prefix).is_none() {
                // A near miss of a known prefix is a typo (ERROR); anything else may be a service
                // newer or older than the catalog's snapshot (WARNING).
                let suggestions = catalog.suggest_services(prefix);
                let (t, code) = if suggestions.iter().any(|x| near(x, prefix)) {
                    (FindingType::Error, "INVALID_SERVICE_IN_ACTION")
                } else {
                    (FindingType::Warning, "UNKNOWN_SERVICE_IN_ACTION")
                };
                out.push(self.at(
                    t,
                    code,
                    format!(
                        "the service `{prefix}` in `{written}` is not in the Service Authorization Reference ({}){}",
                        catalog.source().date.get(..10).unwrap_or_default(),
                        did_you_mean(&suggestions)
                    ),
                    &item,
                ));
                continue;
            }
            if entries[j].is_empty() {
                let literal = !name.contains(['*', '?']);
                let suggestions = if literal { catalog.suggest_actions(written) } else { Vec::new() };
                let message = if literal {
                    format!(
                        "the action `{written}` is not in the Service Authorization Reference ({}){}",
                        catalog.source().date.get(..10).unwrap_or_default(),
                        did_you_mean(&suggestions)
                    )
                } else {
                    format!("`{written}` matches no action")
                };
                let typo = suggestions.iter().any(|x| x.split_once(':').is_some_and(|(_, n)| near(n, name)));
                let (t, code) = if typo {
                    (FindingType::Error, "INVALID_ACTION")
                } else {
                    (FindingType::Warning, "UNKNOWN_ACTION")
                };
                out.push(self.at(t, code, message, &item));
                continue;
            }
            // "Suggestion – Redundant action": all of this entry is covered by another one.
            if let Some(k) = covered[j] {
                out.push(self.at(
                    FindingType::Suggestion,
                    "REDUNDANT_ACTION",
                    format!("`{written}` is already covered by `{}` in the same statement", s.action.written[k]),
                    &item,
                ));
            }
        }
    }

    /// ARN syntax, region and account fields, redundant resources, and resource types that no action
    /// of the statement supports.
    fn resource_checks(&self, s: &Statement, entries: &[Vec<ActionId>], path: &[Step<'_>], out: &mut Vec<Finding>) {
        let Some(resource) = &s.resource else { return };
        let key = if resource.negated { "NotResource" } else { "Resource" };
        let mut element = path.to_vec();
        element.push(Step::Key(key));
        for (j, written) in resource.written.iter().enumerate() {
            let item = self.doc.item(&element, j);
            if let Some((t, code, message)) = self.arn_problem(written) {
                out.push(self.at(t, code, message, &item));
            }
        }
        let globs: Vec<Option<Glob>> = resource.patterns.iter().map(|p| Glob::from_arn(p, Variables::Drop)).collect();
        if globs.iter().all(Option::is_some) {
            let globs: Vec<Glob> = globs.into_iter().flatten().collect();
            for (j, k) in redundant(&globs).into_iter().enumerate() {
                if let Some(k) = k {
                    out.push(self.at(
                        FindingType::Suggestion,
                        "REDUNDANT_RESOURCE",
                        format!(
                            "`{}` is already covered by `{}` in the same statement",
                            resource.written[j], resource.written[k]
                        ),
                        &self.doc.item(&element, j),
                    ));
                }
            }
        }
        if !resource.negated && !s.action.negated {
            self.resource_mismatch(s, entries, path, out);
        }
    }

    /// What is wrong with one `Resource` entry, if anything ("Invalid ARN prefix", "Missing ARN
    /// field", "Invalid partition", "Invalid ARN service case", "Invalid ARN Region", "ARN Region
    /// not allowed", "Missing ARN Region", "Invalid ARN account", "ARN account not allowed").
    fn arn_problem(&self, written: &str) -> Option<(FindingType, &'static str, String)> {
        let wild = |t: &str| t.contains(['*', '?']) || t.contains("${");
        if written == "*" || written.starts_with(['*', '?', '$']) {
            return None;
        }
        if !written.starts_with("arn:") {
            return Some((
                FindingType::Error,
                "INVALID_ARN_PREFIX",
                format!("`{written}` is not an ARN: add the `arn:` prefix"),
            ));
        }
        let Some(arn) = monban_policy::arn::Arn::parse(written) else {
            if wild(written) {
                return None;
            }
            return Some((
                FindingType::Error,
                "MISSING_ARN_FIELD",
                format!("`{written}` lacks fields: ARNs have the form arn:partition:service:region:account:resource"),
            ));
        };
        let (partition, service, region, account) = (arn.partition(), arn.service(), arn.region(), arn.account());
        if !wild(partition) && !PARTITIONS.contains(&partition) {
            return Some((
                FindingType::Error,
                "INVALID_PARTITION",
                format!("`{partition}` is not a partition (use one of {})", PARTITIONS.join(", ")),
            ));
        }
        if service.contains(['*', '?']) {
            return Some((
                FindingType::Suggestion,
                "WILDCARD_IN_SERVICE_NAME",
                format!("`{written}` has a wildcard in the service name, which may match services you did not mean"),
            ));
        }
        if service.chars().any(|c| c.is_ascii_uppercase()) {
            return Some((
                FindingType::Error,
                "INVALID_ARN_SERVICE_CASE",
                format!("write the service `{service}` in lower case"),
            ));
        }
        let ns = self.linter.namespaces.get(service).copied();
        if !wild(region) {
            if region.is_empty() {
                if ns.is_some_and(|n| n.region_set && !n.region_empty) {
                    return Some((
                        FindingType::Error,
                        "MISSING_ARN_REGION",
                        format!("`{written}`: add a Region: {service} ARNs have one"),
                    ));
                }
            } else if !is_region(region) {
                return Some((FindingType::Error, "INVALID_ARN_REGION", format!("`{region}` is not a Region")));
            } else if ns.is_some_and(|n| n.region_empty && !n.region_set) {
                return Some((
                    FindingType::Error,
                    "ARN_REGION_NOT_ALLOWED",
                    format!("{service} ARNs have no Region; remove `{region}`"),
                ));
            }
        }
        if !wild(account) && !account.is_empty() {
            let valid = (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())) || account == "aws";
            if !valid {
                return Some((
                    FindingType::Error,
                    "INVALID_ARN_ACCOUNT",
                    format!("`{account}` is not an account id: use 12 digits"),
                ));
            }
            if ns.is_some_and(|n| n.account_empty && !n.account_set) {
                return Some((
                    FindingType::Error,
                    "ARN_ACCOUNT_NOT_ALLOWED",
                    format!("{service} ARNs have no account id; remove `{account}`"),
                ));
            }
        }
        None
    }

    /// "Resource mismatch": an action entry none of whose actions supports any resource the
    /// statement names, so the statement never applies to it (Service Authorization Reference:
    /// an action applies only to its resource types, or only to `*` when it has none).
    fn resource_mismatch(&self, s: &Statement, entries: &[Vec<ActionId>], path: &[Step<'_>], out: &mut Vec<Finding>) {
        let Some(resource) = &s.resource else { return };
        if resource.patterns.iter().any(ArnPattern::is_everything) {
            return;
        }
        let globs: Vec<Glob> = resource.patterns.iter().filter_map(|p| Glob::from_arn(p, Variables::Widen)).collect();
        let star = globs.iter().any(|g| g.matches("*"));
        let mut cache: HashMap<(&'static str, &'static str), bool> = HashMap::new();
        let mut fits = |rt: ResourceType<'_>| -> bool {
            *cache.entry((rt.service().prefix(), rt.name())).or_insert_with(|| {
                rt.arn_formats()
                    .iter()
                    .filter_map(|f| Glob::arn_format(f))
                    .any(|f| globs.iter().any(|g| g.overlaps(&f).unwrap_or(true)))
            })
        };
        let mut action_fits = |a: Action<'_>| -> bool {
            if a.takes_only_wildcard() {
                return star;
            }
            star || a.resource_types().any(|r| fits(r.resource_type()))
        };
        let catalog = self.linter.catalog;
        let mut element = path.to_vec();
        element.push(Step::Key("Action"));
        let mut mismatched = 0;
        for (j, written) in s.action.written.iter().enumerate() {
            let set = &entries[j];
            if set.is_empty() {
                mismatched += 1;
                continue;
            }
            if set.iter().filter_map(|id| catalog.get(*id)).any(&mut action_fits) {
                continue;
            }
            mismatched += 1;
            let example = set.first().and_then(|id| catalog.get(*id));
            let supported = example
                .map(|a| {
                    if a.takes_only_wildcard() {
                        "only \"*\"".to_string()
                    } else {
                        a.resource_types().map(|r| r.resource_type().name()).collect::<Vec<_>>().join(", ")
                    }
                })
                .unwrap_or_default();
            out.push(self.at(
                FindingType::Warning,
                "RESOURCE_MISMATCH",
                format!(
                    "`{written}` supports none of the statement's resources (it takes {supported}), so the statement never applies to it"
                ),
                &self.doc.item(&element, j),
            ));
        }
        if mismatched == s.action.written.len() {
            out.push(self.at(
                FindingType::Warning,
                "STATEMENT_NEVER_MATCHES",
                "no action of this statement supports any of its resources: the statement never applies".into(),
                path,
            ));
        }
    }

    /// Condition keys, operator types, qualifiers.
    fn condition_checks(&self, s: &Statement, entries: &[Vec<ActionId>], path: &[Step<'_>], out: &mut Vec<Finding>) {
        let catalog = self.linter.catalog;
        let statement_actions = (!s.action.negated).then_some(entries);
        for c in &s.conditions {
            let op_name = c.operator.name();
            let mut key_path = path.to_vec();
            key_path.push(Step::Key("Condition"));
            key_path.push(Step::Key(&op_name));
            key_path.push(Step::Key(&c.key));
            let (prefix, _) = c.key.split_once(':').unwrap_or(("", ""));
            let known = self.condition_key(&c.key);
            let identity_provider = prefix.contains(['.', '/']) || prefix.eq_ignore_ascii_case("saml");
            if known.is_none() && !identity_provider {
                // Near misses of documented keys are typos (ERROR); other unknown keys may be newer
                // than the catalog's snapshot (WARNING).
                let candidates: Vec<&'static str> = if prefix.eq_ignore_ascii_case("aws") {
                    catalog.global_condition_keys().iter().map(|k| k.name()).collect()
                } else {
                    catalog
                        .service(prefix)
                        .map(|svc| svc.condition_keys().iter().map(|k| k.name()).collect())
                        .unwrap_or_default()
                };
                let typo: Vec<String> = candidates.iter().filter(|k| near(k, &c.key)).map(|k| k.to_string()).collect();
                let (code, message) = if prefix.eq_ignore_ascii_case("aws") {
                    (
                        "INVALID_GLOBAL_CONDITION_KEY",
                        format!("`{}` is not a global condition key{}", c.key, did_you_mean(&typo)),
                    )
                } else if catalog.service(prefix).is_none() {
                    ("INVALID_SERVICE", format!("the service `{prefix}` of condition key `{}` is not in the Service Authorization Reference", c.key))
                } else {
                    (
                        "INVALID_SERVICE_CONDITION_KEY",
                        format!("the service `{prefix}` documents no condition key `{}`{}", c.key, did_you_mean(&typo)),
                    )
                };
                let (t, code) = if typo.is_empty() {
                    (FindingType::Warning, unknown_code(code))
                } else {
                    (FindingType::Error, code)
                };
                out.push(self.at(t, code, message, &key_path));
            }
            if let Some(key) = known {
                let key_type = key.key_type();
                let family = c.operator.family();
                if !operator_fits(family, key_type) {
                    out.push(self.at(
                        FindingType::Warning,
                        "TYPE_MISMATCH",
                        format!(
                            "`{}` is of type {key_type}: use {} instead of `{op_name}`",
                            c.key,
                            operator_for(key_type)
                        ),
                        &key_path,
                    ));
                }
                // "Security Warning – ForAllValues with single valued key".
                if c.operator.qualifier == Some(SetQualifier::ForAllValues) && !key_type.is_multivalued() {
                    out.push(self.at(
                        FindingType::SecurityWarning,
                        "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
                        format!(
                            "`{}` is single-valued: `ForAllValues` is also true when the key is absent, which can be overly permissive; remove `ForAllValues:`",
                            c.key
                        ),
                        &key_path,
                    ));
                }
                // "Error – Missing qualifier".
                if c.operator.qualifier.is_none() && key_type.is_multivalued() && family != Family::Null {
                    out.push(self.at(
                        FindingType::Warning,
                        "MISSING_QUALIFIER",
                        format!("`{}` has several values: use `ForAllValues:` or `ForAnyValue:`", c.key),
                        &key_path,
                    ));
                }
                // A service key that none of the statement's actions supports is never in the request.
                if !prefix.eq_ignore_ascii_case("aws") {
                    if let Some(actions) = &statement_actions {
                        let relevant = actions.iter().all(Vec::is_empty)
                            || actions.iter().flatten().filter_map(|id| catalog.get(*id)).any(|a| {
                                a.condition_keys().any(|k| k.matches(&c.key))
                                    || a.resource_types().any(|r| {
                                        r.condition_keys().any(|k| k.matches(&c.key))
                                            || r.resource_type().condition_keys().any(|k| k.matches(&c.key))
                                    })
                            });
                        if !relevant {
                            out.push(self.at(
                                FindingType::Warning,
                                "IRRELEVANT_CONDITION_KEY",
                                format!(
                                    "no action of this statement supports `{}`, so it is never in the request",
                                    c.key
                                ),
                                &key_path,
                            ));
                        }
                    }
                }
            }
            // "General Warning – Wildcard without like operator".
            if family_is_exact(c) {
                if let Values::Strings(values) = &c.values {
                    if values
                        .iter()
                        .any(|p| p.pieces().iter().any(|x| matches!(x, Piece::Literal(t) if t.contains(['*', '?']))))
                    {
                        out.push(self.at(
                            FindingType::Warning,
                            "WILDCARD_WITHOUT_LIKE_OPERATOR",
                            format!("a value of `{}` has `*` or `?`, which `{op_name}` compares literally; use a `Like` operator for wildcards", c.key),
                            &key_path,
                        ));
                    }
                }
            }
            // Empty value lists ("Suggestion – Empty array condition" and its variants).
            if c.written_values().is_empty() {
                let (code, never) = match (c.operator.qualifier, c.operator.if_exists) {
                    (Some(SetQualifier::ForAnyValue), _) => ("EMPTY_ARRAY_CONDITION_FORANYVALUE", true),
                    (Some(SetQualifier::ForAllValues), _) => ("EMPTY_ARRAY_CONDITION_FORALLVALUES", false),
                    (None, true) => ("EMPTY_ARRAY_CONDITION_IFEXISTS", false),
                    (None, false) => ("EMPTY_ARRAY_CONDITION", !c.operator.is_negated()),
                };
                out.push(self.at(FindingType::Suggestion, code, format!("`{}` has no values", c.key), &key_path));
                if never {
                    out.push(self.at(
                        FindingType::Warning,
                        "STATEMENT_NEVER_MATCHES",
                        format!("`{op_name}` with no values is never true: the statement never applies"),
                        &key_path,
                    ));
                }
            }
            // A `Bool aws:MultiFactorAuthPresent false` without IfExists: the key is absent for
            // long-term access keys ("AWS global condition context keys": aws:MultiFactorAuthPresent),
            // so the condition is false for them.
            if c.key_lowercase.as_ref() == "aws:multifactorauthpresent"
                && c.operator.base_name() == "Bool"
                && !c.operator.if_exists
                && matches!(&c.values, Values::Bools(v) if v.contains(&false))
            {
                let (t, message) = match s.effect {
                    Effect::Deny => (
                        FindingType::SecurityWarning,
                        "this Deny never applies to long-term access keys, which have no `aws:MultiFactorAuthPresent`: use `BoolIfExists`",
                    ),
                    Effect::Allow => (
                        FindingType::Warning,
                        "this condition is false for long-term access keys, which have no `aws:MultiFactorAuthPresent`: use `BoolIfExists` if that is not meant",
                    ),
                };
                out.push(self.at(t, "MFA_PRESENT_FALSE_WITHOUT_IF_EXISTS", message.to_string(), &key_path));
            }
        }
        // `Null true` with a positive operator on the same key needing the key present.
        for a in &s.conditions {
            if matches!(&a.values, Values::Null(v) if v == &[true]) {
                let conflict = s.conditions.iter().any(|b| {
                    b.key_lowercase == a.key_lowercase
                        && b.operator.family() != Family::Null
                        && !b.operator.if_exists
                        && !b.operator.is_negated()
                        && b.operator.qualifier != Some(SetQualifier::ForAllValues)
                });
                if conflict {
                    let mut p = path.to_vec();
                    p.push(Step::Key("Condition"));
                    out.push(self.at(
                        FindingType::Warning,
                        "STATEMENT_NEVER_MATCHES",
                        format!("`Null` requires `{}` to be absent while another condition needs it present: the statement never applies", a.key),
                        &p,
                    ));
                }
            }
        }
    }

    /// NotAction/NotResource/NotPrincipal, iam:PassRole, `*` on `*`, and trust policies.
    fn security_checks(&self, s: &Statement, path: &[Step<'_>], out: &mut Vec<Finding>) {
        let with = |key: &'static str| {
            let mut p = path.to_vec();
            p.push(Step::Key(key));
            p
        };
        if s.action.negated && s.action.patterns.iter().any(|p| p.is_everything()) {
            out.push(self.at(
                FindingType::Warning,
                "STATEMENT_NEVER_MATCHES",
                "`NotAction: *` excludes every action: the statement never applies".into(),
                &with("NotAction"),
            ));
        }
        if s.resource.as_ref().is_some_and(|r| r.negated && r.patterns.iter().any(ArnPattern::is_everything)) {
            out.push(self.at(
                FindingType::Warning,
                "STATEMENT_NEVER_MATCHES",
                "`NotResource: *` excludes every resource: the statement never applies".into(),
                &with("NotResource"),
            ));
        }
        if let Some(p) = &s.principal {
            if p.negated {
                match s.effect {
                    Effect::Allow => out.push(self.at(
                        FindingType::SecurityWarning,
                        "ALLOW_WITH_NOT_PRINCIPAL",
                        "Allow with NotPrincipal grants every principal not listed, anonymous ones included; use Principal".into(),
                        &with("NotPrincipal"),
                    )),
                    Effect::Deny => out.push(self.at(
                        FindingType::Warning,
                        "DENY_WITH_NOT_PRINCIPAL",
                        "Deny with NotPrincipal denies every principal with a permissions boundary whatever it lists, and excludes a session only if its role, session and account are all listed; use Principal \"*\" with the aws:PrincipalArn condition key".into(),
                        &with("NotPrincipal"),
                    )),
                }
            }
        }
        if s.effect != Effect::Allow {
            return;
        }
        let unconditional = s.conditions.is_empty();
        if matches!(self.kind, PolicyKind::Identity | PolicyKind::Resource | PolicyKind::Boundary) {
            if s.action.negated {
                out.push(self.at(
                    FindingType::SecurityWarning,
                    "ALLOW_WITH_NOT_ACTION",
                    "Allow with NotAction grants every action not listed, in every service, including future ones; list the actions to allow".into(),
                    &with("NotAction"),
                ));
            }
            if s.resource.as_ref().is_some_and(|r| r.negated) {
                out.push(self.at(
                    FindingType::SecurityWarning,
                    "ALLOW_WITH_NOT_RESOURCE",
                    "Allow with NotResource grants every resource not listed, in every service; list the resources to allow".into(),
                    &with("NotResource"),
                ));
            }
        }
        let star_action = !s.action.negated && s.action.patterns.iter().any(|p| p.is_everything());
        let star_resource =
            s.resource.as_ref().is_none_or(|r| !r.negated && r.patterns.iter().any(ArnPattern::is_everything));
        if star_action
            && star_resource
            && unconditional
            && matches!(self.kind, PolicyKind::Identity | PolicyKind::Resource)
        {
            out.push(self.at(
                FindingType::SecurityWarning,
                "STAR_ACTION_ON_STAR_RESOURCE",
                "\"Action\": \"*\" on \"Resource\": \"*\" without conditions grants full administrator access".into(),
                &with("Action"),
            ));
        }
        self.pass_role(s, path, out);
        if self.kind == PolicyKind::Trust {
            self.trust(s, path, out);
        }
    }

    /// "Security Warning – Pass role with ...": `iam:PassRole` on every role lets a principal hand any
    /// role to any service ("Granting a user permissions to pass a role to an AWS service").
    fn pass_role(&self, s: &Statement, path: &[Step<'_>], out: &mut Vec<Finding>) {
        if !matches!(self.kind, PolicyKind::Identity | PolicyKind::Boundary) {
            return;
        }
        let pass_role = "iam:passrole";
        let covering: Vec<usize> = s
            .action
            .patterns
            .iter()
            .enumerate()
            .filter(|(_, p)| p.matches_prepared(pass_role, &NoVariables))
            .map(|(i, _)| i)
            .collect();
        let grants = if s.action.negated { covering.is_empty() } else { !covering.is_empty() };
        if !grants {
            return;
        }
        if s.conditions.iter().any(|c| c.key_lowercase.as_ref() == "iam:passedtoservice") {
            return;
        }
        let star_in_action = !s.action.negated && covering.iter().all(|&i| s.action.written[i].contains('*'));
        let Some(resource) = &s.resource else { return };
        // Broad: the resource covers every role of an account.
        let broad = resource.patterns.iter().zip(resource.written.iter()).any(|(p, w)| {
            let account = monban_policy::arn::Arn::parse(w)
                .map(|a| a.account())
                .filter(|a| !a.contains(['*', '?', '$']))
                .unwrap_or("123456789012");
            let all_roles = Glob::wildcard(&format!("arn:aws:iam::{account}:role/*"), false);
            p.is_everything()
                || Glob::from_arn(p, Variables::Widen).is_some_and(|g| all_roles.is_subset_of(&g).unwrap_or(true))
        });
        let (code, message) = match (s.action.negated, resource.negated, star_in_action) {
            (true, true, _) => (
                "PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE",
                "NotAction with NotResource allows iam:PassRole on many roles",
            ),
            (false, true, true) => (
                "PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE",
                "an action wildcard with NotResource allows iam:PassRole on many roles",
            ),
            (false, true, false) => {
                ("PASS_ROLE_WITH_NOT_RESOURCE", "iam:PassRole with NotResource allows passing many roles")
            }
            (true, false, _) if broad => (
                "PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION",
                "NotAction with a resource wildcard allows iam:PassRole on every role",
            ),
            (false, false, true) if broad => (
                "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE",
                "wildcards in the action and the resource allow iam:PassRole on every role",
            ),
            (false, false, false) if broad => (
                "PASS_ROLE_WITH_STAR_IN_RESOURCE",
                "iam:PassRole with a resource wildcard allows passing every role to any service",
            ),
            _ => return,
        };
        let key = if resource.negated { "NotResource" } else { "Resource" };
        let mut p = path.to_vec();
        p.push(Step::Key(key));
        out.push(self.at(
            FindingType::SecurityWarning,
            code,
            format!("{message}; list the role ARNs or add the iam:PassedToService condition key"),
            &p,
        ));
    }

    /// Role trust policies: who can assume the role, and whether a condition narrows it
    /// ("Creating a role for web identity or OpenID Connect Federation", "Configuring a role for
    /// GitHub OIDC identity provider", "Creating a role for SAML 2.0 federation").
    fn trust(&self, s: &Statement, path: &[Step<'_>], out: &mut Vec<Finding>) {
        let Some(principal) = &s.principal else { return };
        let key = if principal.negated { "NotPrincipal" } else { "Principal" };
        let mut p = path.to_vec();
        p.push(Step::Key(key));
        let everyone = principal.negated || principal.matchers.contains(&PrincipalMatcher::Everyone);
        if everyone && !s.conditions.iter().any(pins_caller) {
            out.push(self.at(
                FindingType::SecurityWarning,
                "TRUST_POLICY_ALLOWS_ANY_PRINCIPAL",
                "any principal, in any account, can assume this role: name the principals or pin the account or organization with a condition (aws:PrincipalAccount, aws:PrincipalOrgID, aws:SourceAccount...)".into(),
                &p,
            ));
        }
        for m in &principal.matchers {
            let PrincipalMatcher::Federated(provider) = m else { continue };
            if provider.contains(":saml-provider/") {
                if !has_positive(s, |k| k == "saml:aud") {
                    out.push(self.at(
                        FindingType::Warning,
                        "MISSING_SAML_AUDIENCE_CONDITION",
                        format!("add a `SAML:aud` condition so that only assertions for this sign-in endpoint from `{provider}` can assume the role"),
                        &p,
                    ));
                }
                continue;
            }
            let host = provider.split_once(":oidc-provider/").map_or(&**provider, |(_, h)| h).to_ascii_lowercase();
            let claim = |k: &str, suffixes: &[&str]| {
                k.strip_prefix(host.as_str()).and_then(|r| r.strip_prefix(':')).is_some_and(|c| suffixes.contains(&c))
            };
            if !has_positive(s, |k| claim(k, &["aud", "azp", "app_id", "oaud", "sub", "amr"])) {
                out.push(self.at(
                    FindingType::SecurityWarning,
                    "MISSING_OIDC_AUDIENCE_CONDITION",
                    format!("anyone with a token from `{host}` can assume this role: add a condition on `{host}:aud` (and `:sub`)"),
                    &p,
                ));
            } else if host == "token.actions.githubusercontent.com" && !has_positive(s, |k| claim(k, &["sub"])) {
                out.push(self.at(
                    FindingType::SecurityWarning,
                    "MISSING_GITHUB_REPO_CONDITION_KEY",
                    "any GitHub repository's workflow can assume this role: add a condition on `token.actions.githubusercontent.com:sub` naming the repository".into(),
                    &p,
                ));
            }
        }
    }
}

/// Whether a statement has a positive condition (true only for matching values, false when the key
/// is absent) on a key the predicate accepts (lower case).
fn has_positive(s: &Statement, key: impl Fn(&str) -> bool) -> bool {
    s.conditions.iter().any(|c| {
        key(&c.key_lowercase)
            && !c.operator.is_negated()
            && !c.operator.if_exists
            && c.operator.qualifier != Some(SetQualifier::ForAllValues)
            && c.operator.family() != Family::Null
    })
}

/// Whether the operator is a non-`Like` string operator.
fn family_is_exact(c: &Condition) -> bool {
    c.operator.family() == Family::String && !c.operator.base_name().contains("Like")
}

/// Whether an operator family suits a key type ("IAM JSON policy elements: Condition operators";
/// ARN keys also take string operators).
fn operator_fits(family: Family, key_type: ConditionKeyType) -> bool {
    use ConditionKeyType as K;
    match family {
        Family::Null => true,
        Family::String => matches!(key_type.element_type(), K::String | K::Arn),
        Family::Arn => matches!(key_type.element_type(), K::Arn),
        Family::Numeric => key_type.element_type() == K::Numeric,
        Family::Date => key_type.element_type() == K::Date,
        Family::Bool => key_type.element_type() == K::Bool,
        Family::Ip => key_type.element_type() == K::IpAddress,
        Family::Binary => key_type.element_type() == K::Binary,
    }
}

fn operator_for(key_type: ConditionKeyType) -> &'static str {
    use ConditionKeyType as K;
    match key_type.element_type() {
        K::String => "a String operator",
        K::Arn => "an ARN or String operator",
        K::Numeric => "a Numeric operator",
        K::Date => "a Date operator",
        K::Bool => "the Bool operator",
        K::IpAddress => "an IpAddress operator",
        K::Binary => "the BinaryEquals operator",
        _ => "a matching operator",
    }
}

/// Whether `text` has the shape of a Region code (`us-east-1`, `us-gov-west-1`, `cn-north-1`).
fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts.first().is_some_and(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts.last().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && parts[1..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

/// For each entry, another entry that covers it entirely: a strictly larger language, or the same
/// language written earlier. Only entries whose literal prefix starts the entry's own are
/// candidates, found through an index of prefixes, so long lists stay fast.
fn redundant(globs: &[Glob]) -> Vec<Option<usize>> {
    let prefixes: Vec<String> = globs.iter().map(Glob::prefix).collect();
    let mut index: HashMap<&str, Vec<usize>> = HashMap::new();
    for (k, p) in prefixes.iter().enumerate() {
        index.entry(p.as_str()).or_default().push(k);
    }
    (0..globs.len())
        .map(|j| {
            let g = &globs[j];
            let p = &prefixes[j];
            let candidates = p
                .char_indices()
                .map(|(i, _)| &p[..i])
                .chain(std::iter::once(p.as_str()))
                .filter_map(|q| index.get(q))
                .flatten();
            candidates.copied().filter(|&k| k != j).find(|&k| {
                let other = &globs[k];
                if !g.is_subset_of(other).unwrap_or(false) {
                    return false;
                }
                !other.is_subset_of(g).unwrap_or(false) || k < j
            })
        })
        .collect()
}

/// The WARNING code for an unknown (rather than mistyped) name.
fn unknown_code(code: &'static str) -> &'static str {
    match code {
        "INVALID_GLOBAL_CONDITION_KEY" => "UNKNOWN_GLOBAL_CONDITION_KEY",
        "INVALID_SERVICE" => "UNKNOWN_SERVICE",
        _ => "UNKNOWN_SERVICE_CONDITION_KEY",
    }
}

/// Whether two names are at most two edits apart, ignoring case: a typo rather than another name.
fn near(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.to_lowercase().chars().collect(), b.to_lowercase().chars().collect());
    if a == b || a.len().abs_diff(b.len()) > 2 {
        return a == b;
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()] <= 2
}

fn did_you_mean(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        _ => format!(" (did you mean `{}`?)", suggestions.join("`, `")),
    }
}
