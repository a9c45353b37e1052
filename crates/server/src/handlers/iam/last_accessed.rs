//! Last-accessed data (IAM User Guide, "Refining permissions in AWS using last accessed
//! information"): GenerateServiceLastAccessedDetails and GetServiceLastAccessedDetails for users,
//! roles, groups and managed policies, and RoleLastUsed in GetRole. Every authorization the
//! server decides, allowed or not, is an attempt; the recorder writes them off the calls' path.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use monban_catalog::Catalog;
use monban_policy::Policy;
use monban_store::LastAccess;
use serde_json::{json, Value};

use super::*;

/// Reports kept at most; asking for more forgets the oldest, so that asking cannot fill memory.
const MAX_JOBS: usize = 1000;

/// A report asked for: whose, at which granularity, and when. It completes at once: the data is
/// read when the report is fetched.
#[derive(Debug, Clone)]
pub(crate) struct LastAccessedJob {
    account: String,
    arn: String,
    action_level: bool,
    created: String,
}

/// Whom a report is about: each principal's unique id and ARN, and the policies whose services
/// the report lists.
struct Subject {
    principals: Vec<monban_store::Principal>,
    policies: Vec<Arc<Policy>>,
}

/// The principals and policies an ARN stands for: a user or role itself, a group's members, or
/// the users and roles a managed policy is attached to (a group's through its members).
async fn subject(call: &Call<'_>, arn: &str) -> Result<Subject, ApiError> {
    let missing = || ApiError::no_such_entity(format!("The entity {arn} does not exist."));
    let parsed = Arn::parse(arn).filter(|a| a.service() == "iam").ok_or_else(|| {
        ApiError::invalid_input(format!("ARN {arn} is not valid: it names no IAM user, group, role or policy."))
    })?;
    let account = call.account();
    let mut subject = Subject { principals: Vec::new(), policies: Vec::new() };
    if let Some((kind, name, principal)) = principal_at(call, arn).await? {
        // Only this account's entities at exactly this ARN (a path names another entity).
        let principal = principal.ok_or_else(missing)?;
        crate::auth::principal_policies(call.state, account, kind, &name, &mut subject.policies, &mut Vec::new())
            .await?;
        match kind {
            Group => subject.principals.extend(call.state.store.users_in_group(account, &name).await?),
            _ => {
                if kind == User {
                    for group in call.state.store.groups_for_user(account, &name).await? {
                        let policies = &mut subject.policies;
                        crate::auth::principal_policies(
                            call.state,
                            account,
                            Group,
                            &group.name,
                            policies,
                            &mut Vec::new(),
                        )
                        .await?;
                    }
                }
                subject.principals.push(std::sync::Arc::unwrap_or_clone(principal));
            }
        }
        return Ok(subject);
    }
    // Only this account's and AWS's managed policies are the caller's to report on.
    if parsed.account() != account && parsed.account() != "aws" {
        return Err(missing());
    }
    if parsed.resource_type() != "policy" {
        return Err(missing());
    }
    let policy = crate::auth::managed_policy(call.state, arn).await?.ok_or_else(missing)?;
    subject.policies.push(policy);
    for (kind, name) in call.state.store.entities_for_policy(account, arn).await? {
        let members = match kind {
            Group => call.state.store.users_in_group(account, &name).await?,
            _ => call.state.store.principal(account, kind, &name).await?.into_iter().collect(),
        };
        subject.principals.extend(members);
    }
    Ok(subject)
}

pub(super) async fn generate(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let arn = text(input, "Arn");
    call.authorize(Authorization::new("iam:GenerateServiceLastAccessedDetails", arn)).await?;
    subject(call, arn).await?;
    let action_level = match optional(input, "Granularity").unwrap_or("SERVICE_LEVEL") {
        "SERVICE_LEVEL" => false,
        "ACTION_LEVEL" => true,
        other => return Err(ApiError::invalid_input(format!("Granularity {other} is not valid."))),
    };
    let id = util::uuid()?;
    let job = LastAccessedJob {
        account: call.account().to_string(),
        arn: arn.to_string(),
        action_level,
        created: call.now(),
    };
    if let Ok(mut jobs) = call.state.jobs.lock() {
        // Reports are kept for a while, as AWS keeps them; the oldest go first past the cap.
        if jobs.len() >= MAX_JOBS {
            let oldest = jobs.iter().min_by(|a, b| a.1.created.cmp(&b.1.created)).map(|(id, _)| id.clone());
            if let Some(oldest) = oldest {
                jobs.remove(&oldest);
            }
        }
        jobs.insert(id.clone(), job);
    }
    Ok(json!({"JobId": id}))
}

/// The caller's report job of that id; another account's job is not the caller's to read.
fn job(call: &Call<'_>, input: &Value) -> Result<LastAccessedJob, ApiError> {
    let id = text(input, "JobId");
    let job = call.state.jobs.lock().ok().and_then(|jobs| jobs.get(id).cloned());
    job.filter(|j| j.account == call.account())
        .ok_or_else(|| ApiError::no_such_entity(format!("The job with ID {id} cannot be found.")))
}

pub(super) async fn get(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:GetServiceLastAccessedDetails", "*")).await?;
    let job = job(call, input)?;
    let subject = subject(call, &job.arn).await?;
    let ids: Vec<String> = subject.principals.iter().map(|p| p.id.clone()).collect();
    let arns: BTreeMap<&str, &str> = subject.principals.iter().map(|p| (p.id.as_str(), p.arn.as_str())).collect();
    let accesses = call.state.store.last_accessed(&ids).await?;
    let catalog = Catalog::embedded().map_err(|e| ApiError::internal(e.to_string()))?;
    let mut by_service: BTreeMap<String, Vec<&LastAccess>> = BTreeMap::new();
    for access in &accesses {
        let prefix = access.action.split(':').next().unwrap_or_default().to_lowercase();
        by_service.entry(prefix).or_default().push(access);
    }
    // The report lists every service the policies allow, used or not, and every service used.
    let mut services: BTreeSet<String> = by_service.keys().cloned().collect();
    services.extend(allowed_services(catalog, &subject.policies));
    let entries: Vec<Value> = services
        .iter()
        .map(|prefix| {
            let name = catalog.service(prefix).map_or(prefix.as_str(), |s| s.name());
            let mut entry = json!({"ServiceName": name, "ServiceNamespace": prefix});
            let used = by_service.get(prefix).map(Vec::as_slice).unwrap_or_default();
            if let Some(last) = used.iter().max_by(|a, b| a.time.cmp(&b.time)) {
                entry["LastAuthenticated"] = json!(last.time);
                entry["LastAuthenticatedEntity"] = json!(arns.get(last.principal_id.as_str()));
                entry["LastAuthenticatedRegion"] = json!(last.region);
            }
            let entities: BTreeSet<&str> = used.iter().map(|a| a.principal_id.as_str()).collect();
            entry["TotalAuthenticatedEntities"] = json!(entities.len());
            if job.action_level {
                let mut latest: BTreeMap<&str, &LastAccess> = BTreeMap::new();
                for a in used {
                    let name = a.action.split_once(':').map_or(a.action.as_str(), |(_, n)| n);
                    if latest.get(name).is_none_or(|b| a.time > b.time) {
                        latest.insert(name, a);
                    }
                }
                entry["TrackedActionsLastAccessed"] = Value::Array(
                    latest
                        .into_iter()
                        .map(|(name, a)| {
                            json!({"ActionName": name, "LastAccessedEntity": arns.get(a.principal_id.as_str()),
                                "LastAccessedTime": a.time, "LastAccessedRegion": a.region})
                        })
                        .collect(),
                );
            }
            entry
        })
        .collect();
    let (page, marker) = page(input, entries);
    let mut out = listing("ServicesLastAccessed", page, marker);
    out["JobStatus"] = json!("COMPLETED");
    out["JobType"] = json!(if job.action_level { "ACTION_LEVEL" } else { "SERVICE_LEVEL" });
    out["JobCreationDate"] = json!(job.created);
    out["JobCompletionDate"] = json!(job.created);
    Ok(out)
}

/// The entities of a report and when each last attempted one service (`ServiceNamespace`).
pub(super) async fn get_with_entities(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:GetServiceLastAccessedDetailsWithEntities", "*")).await?;
    let job = job(call, input)?;
    let namespace = text(input, "ServiceNamespace").to_lowercase();
    let subject = subject(call, &job.arn).await?;
    let ids: Vec<String> = subject.principals.iter().map(|p| p.id.clone()).collect();
    let accesses = call.state.store.last_accessed(&ids).await?;
    let mut principals = subject.principals;
    principals.sort_by(|a, b| a.name.cmp(&b.name));
    principals.dedup_by(|a, b| a.id == b.id);
    let entities: Vec<Value> = principals
        .iter()
        .map(|p| {
            let kind = match p.kind {
                User => "USER",
                Role => "ROLE",
                Group => "GROUP",
            };
            let mut entity =
                json!({"EntityInfo": {"Arn": p.arn, "Name": p.name, "Type": kind, "Id": p.id, "Path": p.path}});
            let last = accesses
                .iter()
                .filter(|a| {
                    a.principal_id == p.id
                        && a.action.split(':').next().is_some_and(|s| s.eq_ignore_ascii_case(&namespace))
                })
                .map(|a| a.time.as_str())
                .max();
            if let Some(last) = last {
                entity["LastAuthenticated"] = json!(last);
            }
            entity
        })
        .collect();
    let (page, marker) = page(input, entities);
    let mut out = listing("EntityDetailsList", page, marker);
    out["JobStatus"] = json!("COMPLETED");
    out["JobCreationDate"] = json!(job.created);
    out["JobCompletionDate"] = json!(job.created);
    Ok(out)
}

/// The services whose actions the policies' `Allow` statements name (through the catalog: a
/// wildcard, a `NotAction`), whatever their resources and conditions, as IAM's report lists them.
fn allowed_services(catalog: &Catalog, policies: &[Arc<Policy>]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for statement in policies.iter().flat_map(|p| &p.statements) {
        if statement.effect != monban_policy::Effect::Allow {
            continue;
        }
        let listed = catalog.expand_all(statement.action.written.iter().map(|s| &**s));
        let actions = if statement.action.negated { listed.complement() } else { listed };
        out.extend(catalog.actions_in(&actions).map(|a| a.prefix().to_string()));
    }
    out
}

/// A role's `RoleLastUsed`: its sessions' last attempt and where, if any.
pub(crate) async fn role_last_used(call: &Call<'_>, role_id: &str) -> Result<Option<Value>, ApiError> {
    let accesses = call.state.store.last_accessed(&[role_id.to_string()]).await?;
    Ok(accesses
        .iter()
        .max_by(|a, b| a.time.cmp(&b.time))
        .map(|last| json!({"LastUsedDate": last.time, "Region": last.region})))
}
