//! Privilege-escalation paths: which principals can gain administrator-equivalent permissions (or
//! the permissions of a named principal), by the shortest chain of steps, and through which
//! statements.
//!
//! The graph's nodes are users and roles; an edge `A → B` means "A can gain B's permissions":
//! assume B (trust policy and A's side both decided), take over B's credentials, rewrite B's
//! trust policy, or pass B to a new compute resource (or edit an existing one that runs as B).
//! Steps that end in administrator permissions directly (writing a policy onto oneself or onto a
//! principal one can reach, creating a role or user with an admin policy) are final steps.
//! The methods and their sources (Rhino Security Labs' list, pathfinding.cloud) are listed in
//! `docs/escalation-methods.md`.
//!
//! Every step is a request decided by [`monban_policy::authorize`] on the concrete target: its
//! ARN and tags, `iam:PassedToService`, `iam:PermissionsBoundary`, `iam:PolicyARN`, the caller's
//! keys (no MFA: the attacker holds an access key), its boundary and the SCPs. Candidate targets
//! come from indexes, never from all pairs: roles by the principals their trust policies name
//! (and by service principal), and targets by the resource patterns of the statements that could
//! allow the action.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::sync::Arc;

use monban_policy::pattern::SplitArn;
use monban_policy::policy::PrincipalMatcher;
use monban_policy::{authorize, Caller, ContextValue, Effect, Policy, PolicySet, Request};
use serde::Serialize;

use super::{add_resource_tags, Directory, Principal, PrincipalKind, ADMINISTRATOR_ACCESS};

/// How one step gains permissions. The ids are stable; `docs/escalation-methods.md` describes each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// `sts:AssumeRole` on a role whose trust policy allows the caller.
    AssumeRole,
    /// `iam:CreateAccessKey` for another user.
    CreateAccessKey,
    /// `iam:CreateLoginProfile` for another user (a console password).
    CreateLoginProfile,
    /// `iam:UpdateLoginProfile` for another user (reset the password).
    UpdateLoginProfile,
    /// `iam:UpdateAssumeRolePolicy` to trust oneself, then `sts:AssumeRole`.
    UpdateAssumeRolePolicy,
    /// Writing, attaching, versioning or unbounding policies so that a principal becomes admin.
    PolicyManipulation,
    /// `iam:AddUserToGroup` into a group whose policies make the user admin.
    AddUserToGroup,
    /// `iam:CreateRole` + `iam:PutRolePolicy`/`iam:AttachRolePolicy` + `sts:AssumeRole`.
    CreateRole,
    /// `iam:CreateUser` + `iam:PutUserPolicy`/`iam:AttachUserPolicy` + `iam:CreateAccessKey`.
    CreateUser,
    /// `iam:PassRole` to a new EC2 instance (`ec2:RunInstances`).
    PassRoleEc2,
    /// `iam:PassRole` to a new Lambda function, then invoke it or give it an event source.
    PassRoleLambda,
    /// `iam:PassRole` to a new Glue development endpoint or job.
    PassRoleGlue,
    /// `iam:PassRole` to a new CloudFormation stack.
    PassRoleCloudFormation,
    /// `iam:PassRole` to a new CodeBuild project, then start a build.
    PassRoleCodeBuild,
    /// `iam:PassRole` to a new SageMaker notebook, training or processing job.
    PassRoleSageMaker,
    /// `iam:PassRole` to a new ECS task definition, then run it.
    PassRoleEcs,
    /// `iam:PassRole` to a new Data Pipeline.
    PassRoleDataPipeline,
    /// `lambda:UpdateFunctionCode` on an existing function that runs as the role.
    LambdaUpdateFunctionCode,
    /// `glue:UpdateDevEndpoint` (new SSH key) on an existing endpoint that runs as the role.
    GlueUpdateDevEndpoint,
    /// `ssm:SendCommand`/`ssm:StartSession` on an existing instance that runs as the role.
    SsmExistingInstance,
    /// `codebuild:StartBuild` with a buildspec override on an existing project that runs as the role.
    CodeBuildStartBuild,
    /// `cloudformation:UpdateStack` on an existing stack that runs as the role.
    CloudFormationUpdateStack,
}

impl Method {
    /// The method's stable id, as in the docs and the JSON output.
    pub fn id(self) -> &'static str {
        match self {
            Method::AssumeRole => "assume-role",
            Method::CreateAccessKey => "create-access-key",
            Method::CreateLoginProfile => "create-login-profile",
            Method::UpdateLoginProfile => "update-login-profile",
            Method::UpdateAssumeRolePolicy => "update-assume-role-policy",
            Method::PolicyManipulation => "policy-manipulation",
            Method::AddUserToGroup => "add-user-to-group",
            Method::CreateRole => "create-role",
            Method::CreateUser => "create-user",
            Method::PassRoleEc2 => "pass-role-ec2",
            Method::PassRoleLambda => "pass-role-lambda",
            Method::PassRoleGlue => "pass-role-glue",
            Method::PassRoleCloudFormation => "pass-role-cloud-formation",
            Method::PassRoleCodeBuild => "pass-role-code-build",
            Method::PassRoleSageMaker => "pass-role-sage-maker",
            Method::PassRoleEcs => "pass-role-ecs",
            Method::PassRoleDataPipeline => "pass-role-data-pipeline",
            Method::LambdaUpdateFunctionCode => "lambda-update-function-code",
            Method::GlueUpdateDevEndpoint => "glue-update-dev-endpoint",
            Method::SsmExistingInstance => "ssm-existing-instance",
            Method::CodeBuildStartBuild => "code-build-start-build",
            Method::CloudFormationUpdateStack => "cloud-formation-update-stack",
        }
    }
}

/// One step of a path: who acts, on what, how, and which statements allowed each request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The principal that acts (ARN).
    pub from: String,
    /// The principal whose permissions are gained, or the one modified or created (ARN).
    pub to: String,
    /// How.
    pub method: Method,
    /// The requests made, `action on resource`.
    pub actions: Vec<String>,
    /// The statements that allowed them (`POLICY statement SID (type)`).
    pub statements: Vec<String>,
    /// True when the step relies on a resource the authorization details cannot show (an
    /// existing Lambda function, instance, endpoint, project or stack running as the role).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub assumes_existing_resource: bool,
}

/// The shortest path from one principal to the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EscalationPath {
    /// The principal that can escalate (ARN).
    pub principal: String,
    /// User or role.
    pub kind: PrincipalKind,
    /// What is reached: an admin-equivalent principal's ARN, the `--to` principal, or
    /// `administrator (ARN modified or created)` for final steps that make one admin.
    pub reaches: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// The result of [`analyze`].
#[derive(Debug, Clone, Serialize)]
pub struct EscalationReport {
    /// The target principal when one was named; otherwise admin-equivalence is the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Admin-equivalent principals (ARNs).
    pub admins: Vec<String>,
    /// Principals that can escalate, with their shortest paths, sorted by ARN.
    pub paths: Vec<EscalationPath>,
    /// The number of edges in the graph ("A can gain B's permissions").
    pub edges: usize,
    /// Inputs that could not be resolved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A compute service a role can be passed to, and the requests that create and start the
/// resource (any one alternative suffices). `{account}`, `{region}` are filled in.
struct Compute {
    method: Method,
    service: &'static str,
    alternatives: &'static [&'static [(&'static str, &'static str)]],
    needs_instance_profile: bool,
}

const NEW_COMPUTE: &[Compute] = &[
    Compute {
        method: Method::PassRoleEc2,
        service: "ec2.amazonaws.com",
        alternatives: &[&[("ec2:RunInstances", "arn:aws:ec2:{region}:{account}:instance/i-0monbanprobe")]],
        needs_instance_profile: true,
    },
    Compute {
        method: Method::PassRoleLambda,
        service: "lambda.amazonaws.com",
        alternatives: &[
            &[
                ("lambda:CreateFunction", "arn:aws:lambda:{region}:{account}:function:monban-probe"),
                ("lambda:InvokeFunction", "arn:aws:lambda:{region}:{account}:function:monban-probe"),
            ],
            &[
                ("lambda:CreateFunction", "arn:aws:lambda:{region}:{account}:function:monban-probe"),
                ("lambda:CreateEventSourceMapping", "*"),
            ],
        ],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::PassRoleGlue,
        service: "glue.amazonaws.com",
        alternatives: &[
            &[("glue:CreateDevEndpoint", "arn:aws:glue:{region}:{account}:devEndpoint/monban-probe")],
            &[
                ("glue:CreateJob", "arn:aws:glue:{region}:{account}:job/monban-probe"),
                ("glue:StartJobRun", "arn:aws:glue:{region}:{account}:job/monban-probe"),
            ],
        ],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::PassRoleCloudFormation,
        service: "cloudformation.amazonaws.com",
        alternatives: &[&[(
            "cloudformation:CreateStack",
            "arn:aws:cloudformation:{region}:{account}:stack/monban-probe/0",
        )]],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::PassRoleCodeBuild,
        service: "codebuild.amazonaws.com",
        alternatives: &[&[
            ("codebuild:CreateProject", "arn:aws:codebuild:{region}:{account}:project/monban-probe"),
            ("codebuild:StartBuild", "arn:aws:codebuild:{region}:{account}:project/monban-probe"),
        ]],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::PassRoleSageMaker,
        service: "sagemaker.amazonaws.com",
        alternatives: &[
            &[
                (
                    "sagemaker:CreateNotebookInstance",
                    "arn:aws:sagemaker:{region}:{account}:notebook-instance/monban-probe",
                ),
                (
                    "sagemaker:CreatePresignedNotebookInstanceUrl",
                    "arn:aws:sagemaker:{region}:{account}:notebook-instance/monban-probe",
                ),
            ],
            &[("sagemaker:CreateTrainingJob", "arn:aws:sagemaker:{region}:{account}:training-job/monban-probe")],
            &[("sagemaker:CreateProcessingJob", "arn:aws:sagemaker:{region}:{account}:processing-job/monban-probe")],
        ],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::PassRoleEcs,
        service: "ecs-tasks.amazonaws.com",
        alternatives: &[
            &[
                ("ecs:RegisterTaskDefinition", "*"),
                ("ecs:RunTask", "arn:aws:ecs:{region}:{account}:task-definition/monban-probe:1"),
            ],
            &[
                ("ecs:RegisterTaskDefinition", "*"),
                ("ecs:StartTask", "arn:aws:ecs:{region}:{account}:task-definition/monban-probe:1"),
            ],
            &[
                ("ecs:RegisterTaskDefinition", "*"),
                ("ecs:CreateService", "arn:aws:ecs:{region}:{account}:service/default/monban-probe"),
            ],
        ],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::PassRoleDataPipeline,
        service: "datapipeline.amazonaws.com",
        alternatives: &[&[
            ("datapipeline:CreatePipeline", "*"),
            ("datapipeline:PutPipelineDefinition", "arn:aws:datapipeline:{region}:{account}:pipeline/df-monbanprobe"),
            ("datapipeline:ActivatePipeline", "arn:aws:datapipeline:{region}:{account}:pipeline/df-monbanprobe"),
        ]],
        needs_instance_profile: false,
    },
];

const EXISTING_COMPUTE: &[Compute] = &[
    Compute {
        method: Method::LambdaUpdateFunctionCode,
        service: "lambda.amazonaws.com",
        alternatives: &[&[("lambda:UpdateFunctionCode", "arn:aws:lambda:{region}:{account}:function:monban-existing")]],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::GlueUpdateDevEndpoint,
        service: "glue.amazonaws.com",
        alternatives: &[&[("glue:UpdateDevEndpoint", "arn:aws:glue:{region}:{account}:devEndpoint/monban-existing")]],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::SsmExistingInstance,
        service: "ec2.amazonaws.com",
        alternatives: &[
            &[("ssm:SendCommand", "arn:aws:ec2:{region}:{account}:instance/i-0monbanexisting")],
            &[("ssm:StartSession", "arn:aws:ec2:{region}:{account}:instance/i-0monbanexisting")],
        ],
        needs_instance_profile: true,
    },
    Compute {
        method: Method::CodeBuildStartBuild,
        service: "codebuild.amazonaws.com",
        alternatives: &[&[("codebuild:StartBuild", "arn:aws:codebuild:{region}:{account}:project/monban-existing")]],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::CloudFormationUpdateStack,
        service: "cloudformation.amazonaws.com",
        alternatives: &[&[(
            "cloudformation:UpdateStack",
            "arn:aws:cloudformation:{region}:{account}:stack/monban-existing/0",
        )]],
        needs_instance_profile: false,
    },
];

/// The graph: edges between existing principals, and final steps that make one admin.
struct Graph {
    edges: Vec<(usize, usize, Step)>,
    /// A principal's final steps to administrator permissions (its own, or a reachable principal's).
    finals: Vec<(usize, Vec<Step>, String)>,
    /// "X can make Y admin" for Y ≠ X; final once X can reach Y.
    makes_admin: Vec<(usize, usize, Step)>,
}

struct Analysis<'d> {
    dir: &'d Directory,
    sets: Vec<PolicySet>,
    allow_all: Arc<Policy>,
    /// Per account id: its users and roles (principal indices).
    users: HashMap<&'d str, Vec<usize>>,
    roles: HashMap<&'d str, Vec<usize>>,
    /// Roles by the service principals their trust policies name.
    by_service: HashMap<String, Vec<usize>>,
    /// Per account id: its groups' ARNs and, per group, its members.
    groups: HashMap<&'d str, Vec<&'d str>>,
    members: HashMap<&'d str, Vec<usize>>,
    /// Per account id: its customer managed policies' ARNs and, per policy, who has it.
    policies: HashMap<&'d str, Vec<&'d str>>,
    holders: HashMap<&'d str, Vec<usize>>,
    /// Per account id: customer managed policies that, as a boundary, leave an admin policy
    /// admin (boundaries an attacker creating a principal would choose).
    permissive: HashMap<&'d str, Vec<&'d str>>,
}

/// One allowed request: action, resource, the statements that allowed it.
type Request3 = (String, String, Vec<String>);

/// Lower-cased action, for statement prefilters.
fn lower(action: &str) -> String {
    action.to_ascii_lowercase()
}

impl<'d> Analysis<'d> {
    fn new(dir: &'d Directory) -> Analysis<'d> {
        let sets = dir.principals.iter().map(|p| p.policy_set(&dir.scps, None)).collect();
        let mut users: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut roles: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_service: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in dir.principals.iter().enumerate() {
            match p.kind {
                PrincipalKind::User => users.entry(&p.account_id).or_default().push(i),
                PrincipalKind::Role => roles.entry(&p.account_id).or_default().push(i),
            }
            if let Some(trust) = &p.trust {
                let mut seen = HashSet::new();
                for st in trust_statements(trust, p) {
                    for m in st.principal.iter().flat_map(|e| e.matchers.iter()) {
                        if let PrincipalMatcher::Service(s) = m {
                            if seen.insert(s.to_string()) {
                                by_service.entry(s.to_string()).or_default().push(i);
                            }
                        }
                    }
                }
            }
        }
        let mut groups: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut policies: HashMap<&str, Vec<&str>> = HashMap::new();
        for account in &dir.accounts {
            groups.insert(&account.id, account.groups.iter().map(|g| g.arn.as_str()).collect());
            policies.insert(
                &account.id,
                account.policies.iter().filter(|p| !p.is_aws_managed()).map(|p| p.arn.as_str()).collect(),
            );
        }
        let mut members: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut holders: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, p) in dir.principals.iter().enumerate() {
            for g in &p.groups {
                members.entry(g.as_str()).or_default().push(i);
            }
            for m in p.managed.iter().flatten() {
                let list = holders.entry(m.as_str()).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        let mut permissive: HashMap<&str, Vec<&str>> = HashMap::new();
        for account in &dir.accounts {
            let probe = dir.new_principal(
                PrincipalKind::Role,
                &account.id,
                &format!("arn:aws:iam::{}:role/monban-probe", account.id),
            );
            let Some(probe) = probe else { continue };
            for arn in policies.get(account.id.as_str()).into_iter().flatten() {
                let Some(policy) = dir.managed.get(*arn) else { continue };
                if dir.admin_decision(&probe, std::slice::from_ref(&dir.allow_all), Some(&policy.default)).is_some() {
                    permissive.entry(&account.id).or_default().push(arn);
                }
            }
        }
        Analysis {
            dir,
            sets,
            allow_all: dir.allow_all.clone(),
            users,
            roles,
            by_service,
            groups,
            members,
            policies,
            holders,
            permissive,
        }
    }

    fn p(&self, i: usize) -> &'d Principal {
        &self.dir.principals[i]
    }

    fn resource(&self, template: &str, p: &Principal) -> String {
        template.replace("{account}", &p.account_id).replace("{region}", &self.dir.options.region)
    }

    /// Whether an identity `Allow` statement of `i` names the action, and so does its boundary
    /// and every SCP level (resources and conditions aside): the cheap test that keeps the engine
    /// from being asked about principals that cannot possibly do something.
    fn may(&self, i: usize, action_lower: &str) -> bool {
        let p = self.p(i);
        let names = |policies: &mut dyn Iterator<Item = &Arc<Policy>>| {
            policies.flat_map(|pol| pol.statements.iter()).any(|st| {
                st.effect == Effect::Allow
                    && st.action.patterns.iter().any(|pat| pat.matches_prepared(action_lower, &p.context))
                        != st.action.negated
            })
        };
        names(&mut p.identity.iter())
            && p.boundary.as_ref().is_none_or(|b| names(&mut std::iter::once(b)))
            && self.dir.scps.iter().all(|level| names(&mut level.iter()))
    }

    /// The principals of `pool` that the resource patterns of `i`'s statements allowing the action
    /// can match: literal ARNs are looked up, patterns are matched with `i`'s variables.
    fn candidates(&self, i: usize, action_lower: &str, pool: &[usize]) -> Vec<usize> {
        let arns: Vec<&str> = pool.iter().map(|&t| self.p(t).arn.as_str()).collect();
        self.matching(i, action_lower, &arns).into_iter().map(|k| pool[k]).collect()
    }

    /// The positions in `arns` that some resource pattern of `i`'s statements allowing the action
    /// matches (all of them for `*`, `NotResource` or no `Resource`).
    fn matching(&self, i: usize, action_lower: &str, arns: &[&str]) -> Vec<usize> {
        let p = self.p(i);
        let everything = || (0..arns.len()).collect();
        let mut out: Vec<usize> = Vec::new();
        let mut seen = vec![false; arns.len()];
        for st in p.identity.iter().flat_map(|pol| pol.statements.iter()) {
            if st.effect != Effect::Allow
                || st.action.patterns.iter().any(|pat| pat.matches_prepared(action_lower, &p.context))
                    == st.action.negated
            {
                continue;
            }
            let Some(resource) = &st.resource else { return everything() };
            if resource.negated || resource.patterns.iter().any(|r| r.is_everything()) {
                return everything();
            }
            for (pattern, written) in resource.patterns.iter().zip(&resource.written) {
                let literal = !written.contains(['*', '?', '$']);
                for (k, arn) in arns.iter().enumerate() {
                    let hit =
                        if literal { **written == **arn } else { pattern.matches(&SplitArn::new(arn), &p.context) };
                    if hit && !seen[k] {
                        seen[k] = true;
                        out.push(k);
                    }
                }
            }
        }
        out
    }

    /// Asks the engine whether principal `i` may do `action` on `resource` with extra context
    /// keys, the target's tags and, for trust policies, a resource-based policy. Returns the
    /// deciding statements when allowed.
    fn allowed(
        &self,
        i: usize,
        action: &str,
        resource: &str,
        extra: &[(&str, &str)],
        tags: &[(String, String)],
        resource_policy: Option<&Arc<Policy>>,
    ) -> Option<Vec<String>> {
        let p = self.p(i);
        let mut context = p.context.clone();
        for (k, v) in extra {
            context.insert(k, ContextValue::single(*v));
        }
        add_resource_tags(&mut context, tags);
        let request = Request::new(p.caller.clone(), action, resource).with_context(context);
        let decision = match resource_policy {
            None => authorize(&request, &self.sets[i]),
            Some(policy) => {
                let mut set = self.sets[i].clone();
                set.resource = Some(policy.clone());
                let decision = authorize(&request, &set);
                return decision.is_allowed().then(|| Directory::statement_labels(&set, &decision));
            }
        };
        decision.is_allowed().then(|| Directory::statement_labels(&self.sets[i], &decision))
    }

    fn step(&self, from: usize, to: &str, method: Method) -> Step {
        Step {
            from: self.p(from).arn.clone(),
            to: to.to_string(),
            method,
            actions: Vec::new(),
            statements: Vec::new(),
            assumes_existing_resource: false,
        }
    }

    /// Records one allowed request in a step.
    fn add(step: &mut Step, action: &str, resource: &str, statements: Vec<String>) {
        step.actions.push(format!("{action} on {resource}"));
        for s in statements {
            if !step.statements.contains(&s) {
                step.statements.push(s);
            }
        }
    }

    /// A trust policy that names principal `i` directly, as an attacker who may rewrite or write
    /// a trust policy would.
    fn trust_naming(&self, i: usize) -> Option<Arc<Policy>> {
        let p = self.p(i);
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"sts:AssumeRole"}}]}}"#,
            p.arn
        );
        Policy::parse(&text).ok().map(|p| Arc::new(p.named("(trust policy written by the attacker)")))
    }

    fn build(&self, target: Option<usize>) -> Graph {
        let mut graph = Graph { edges: Vec::new(), finals: Vec::new(), makes_admin: Vec::new() };
        let n = self.dir.principals.len();
        // Admins need no path; with a named target they may be on one, so they act too.
        let acts = |i: usize| target.is_some() || !self.dir.is_admin(i);
        self.assume_role_edges(&mut graph, &acts);
        for i in 0..n {
            if !acts(i) {
                continue;
            }
            self.credential_edges(&mut graph, i);
            self.update_trust_edges(&mut graph, i);
            self.compute_edges(&mut graph, i);
            if target.is_none() {
                self.manipulation(&mut graph, i);
                self.create_principal(&mut graph, i, PrincipalKind::Role);
                self.create_principal(&mut graph, i, PrincipalKind::User);
            }
        }
        graph
    }

    /// `sts:AssumeRole`: candidates come from the principals each trust policy names. A trust in
    /// a whole account is joined from the other side: each principal of that account whose
    /// statements allow `sts:AssumeRole` on a matching role ARN.
    fn assume_role_edges(&self, graph: &mut Graph, acts: &dyn Fn(usize) -> bool) {
        let assume = lower("sts:AssumeRole");
        let everyone: Vec<usize> = (0..self.dir.principals.len()).filter(|&i| acts(i)).collect();
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut trusting_account: HashMap<&str, Vec<usize>> = HashMap::new();
        for (r, role) in self.dir.principals.iter().enumerate() {
            let Some(trust) = &role.trust else { continue };
            let mut accounts: Vec<&str> = Vec::new();
            for st in trust_statements(trust, role) {
                let Some(element) = &st.principal else { continue };
                if element.negated {
                    pairs.extend(everyone.iter().map(|&c| (c, r)));
                    continue;
                }
                for m in &element.matchers {
                    match m {
                        PrincipalMatcher::Everyone => pairs.extend(everyone.iter().map(|&c| (c, r))),
                        PrincipalMatcher::Account(a) if !accounts.contains(&&**a) => accounts.push(a),
                        PrincipalMatcher::Role(arn) | PrincipalMatcher::Exact(arn) => {
                            if let Some(c) = self.dir.principal(arn).filter(|&c| acts(c)) {
                                pairs.push((c, r));
                            }
                        }
                        _ => {}
                    }
                }
            }
            for a in accounts {
                trusting_account.entry(a).or_default().push(r);
            }
        }
        for (c, p) in self.dir.principals.iter().enumerate() {
            if !acts(c) || !self.may(c, &assume) {
                continue;
            }
            if let Some(roles) = trusting_account.get(p.account_id.as_str()) {
                pairs.extend(self.candidates(c, &assume, roles).into_iter().map(|r| (c, r)));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        for (c, r) in pairs {
            if c == r {
                continue;
            }
            let role = self.p(r);
            let Some(trust) = &role.trust else { continue };
            if let Some(statements) = self.allowed(c, "sts:AssumeRole", &role.arn, &[], &role.tags, Some(trust)) {
                let mut step = self.step(c, &role.arn, Method::AssumeRole);
                Self::add(&mut step, "sts:AssumeRole", &role.arn, statements);
                graph.edges.push((c, r, step));
            }
        }
    }

    /// `iam:CreateAccessKey`, `iam:CreateLoginProfile`, `iam:UpdateLoginProfile` on other users:
    /// one edge per user, by the first method the engine allows.
    fn credential_edges(&self, graph: &mut Graph, i: usize) {
        const METHODS: [(&str, Method); 3] = [
            ("iam:CreateAccessKey", Method::CreateAccessKey),
            ("iam:CreateLoginProfile", Method::CreateLoginProfile),
            ("iam:UpdateLoginProfile", Method::UpdateLoginProfile),
        ];
        let p = self.p(i);
        let Some(users) = self.users.get(p.account_id.as_str()) else { return };
        let mut candidates: Vec<usize> = Vec::new();
        for (action, _) in METHODS {
            let a = lower(action);
            if self.may(i, &a) {
                for u in self.candidates(i, &a, users) {
                    if u != i && !candidates.contains(&u) {
                        candidates.push(u);
                    }
                }
            }
        }
        for u in candidates {
            let user = self.p(u);
            for (action, method) in METHODS {
                if let Some(statements) = self.allowed(i, action, &user.arn, &[], &user.tags, None) {
                    let mut step = self.step(i, &user.arn, method);
                    Self::add(&mut step, action, &user.arn, statements);
                    graph.edges.push((i, u, step));
                    break;
                }
            }
        }
    }

    /// `iam:UpdateAssumeRolePolicy`, then `sts:AssumeRole` under the rewritten trust policy.
    fn update_trust_edges(&self, graph: &mut Graph, i: usize) {
        let a = lower("iam:UpdateAssumeRolePolicy");
        if !self.may(i, &a) {
            return;
        }
        let p = self.p(i);
        let Some(roles) = self.roles.get(p.account_id.as_str()) else { return };
        let Some(rewritten) = self.trust_naming(i) else { return };
        for r in self.candidates(i, &a, roles) {
            if r == i {
                continue;
            }
            let role = self.p(r);
            let Some(s1) = self.allowed(i, "iam:UpdateAssumeRolePolicy", &role.arn, &[], &role.tags, None) else {
                continue;
            };
            let Some(s2) = self.allowed(i, "sts:AssumeRole", &role.arn, &[], &role.tags, Some(&rewritten)) else {
                continue;
            };
            let mut step = self.step(i, &role.arn, Method::UpdateAssumeRolePolicy);
            Self::add(&mut step, "iam:UpdateAssumeRolePolicy", &role.arn, s1);
            Self::add(&mut step, "sts:AssumeRole", &role.arn, s2);
            graph.edges.push((i, r, step));
        }
    }

    /// The requests of one alternative of a compute entry, all allowed, or `None`.
    fn compute_requests(&self, i: usize, compute: &Compute) -> Option<Vec<Request3>> {
        let p = self.p(i);
        'alternatives: for alternative in compute.alternatives {
            let mut done = Vec::new();
            for (action, template) in alternative.iter() {
                if !self.may(i, &lower(action)) {
                    continue 'alternatives;
                }
                let resource = self.resource(template, p);
                match self.allowed(i, action, &resource, &[], &[], None) {
                    Some(statements) => done.push((action.to_string(), resource, statements)),
                    None => continue 'alternatives,
                }
            }
            return Some(done);
        }
        None
    }

    /// Whether the service may assume the role under its trust policy.
    fn service_trusted(&self, r: usize, service: &str) -> bool {
        let role = self.p(r);
        let Some(trust) = &role.trust else { return false };
        let request = Request::new(Caller::service(service), "sts:AssumeRole", &role.arn);
        let set = PolicySet { resource: Some(trust.clone()), ..PolicySet::default() };
        authorize(&request, &set).is_allowed()
    }

    /// `iam:PassRole` to new compute, and edits of existing compute that runs as a role.
    fn compute_edges(&self, graph: &mut Graph, i: usize) {
        let p = self.p(i);
        let Some(roles) = self.roles.get(p.account_id.as_str()) else { return };
        let pass = lower("iam:PassRole");
        let can_pass = self.may(i, &pass);
        let mut passable: Option<Vec<usize>> = None;
        let mut profile_steps: Option<Option<Vec<Request3>>> = None;
        for (existing, table) in [(false, NEW_COMPUTE), (true, EXISTING_COMPUTE)] {
            if !existing && !can_pass {
                continue;
            }
            for compute in table {
                let Some(trusting) = self.by_service.get(compute.service) else { continue };
                let Some(requests) = self.compute_requests(i, compute) else { continue };
                let targets: Vec<usize> = if existing {
                    trusting.iter().copied().filter(|r| roles.contains(r)).collect()
                } else {
                    let passable = passable.get_or_insert_with(|| self.candidates(i, &pass, roles));
                    trusting.iter().copied().filter(|r| passable.contains(r)).collect()
                };
                for r in targets {
                    if r == i || !self.service_trusted(r, compute.service) {
                        continue;
                    }
                    let role = self.p(r);
                    let mut step = self.step(i, &role.arn, compute.method);
                    step.assumes_existing_resource = existing;
                    if !existing {
                        let Some(statements) = self.allowed(
                            i,
                            "iam:PassRole",
                            &role.arn,
                            &[("iam:PassedToService", compute.service)],
                            &[],
                            None,
                        ) else {
                            continue;
                        };
                        Self::add(&mut step, "iam:PassRole", &role.arn, statements);
                    }
                    if compute.needs_instance_profile {
                        let has_profile =
                            !self.dir.accounts[role.account].roles[role.index].instance_profiles.is_empty();
                        if !has_profile {
                            if existing {
                                continue;
                            }
                            let made = profile_steps.get_or_insert_with(|| self.instance_profile(i));
                            let Some(made) = made else { continue };
                            for (action, resource, statements) in made.clone() {
                                Self::add(&mut step, &action, &resource, statements);
                            }
                        }
                    }
                    for (action, resource, statements) in &requests {
                        Self::add(&mut step, action, resource, statements.clone());
                    }
                    graph.edges.push((i, r, step));
                }
            }
        }
    }

    /// `iam:CreateInstanceProfile` + `iam:AddRoleToInstanceProfile`, for EC2 when the role has
    /// no instance profile yet.
    fn instance_profile(&self, i: usize) -> Option<Vec<Request3>> {
        let p = self.p(i);
        let arn = format!("arn:aws:iam::{}:instance-profile/monban-probe", p.account_id);
        let mut out = Vec::new();
        for action in ["iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"] {
            let statements = self.allowed(i, action, &arn, &[], &[], None)?;
            out.push((action.to_string(), arn.clone(), statements));
        }
        Some(out)
    }

    /// Policy manipulation: can `i` make some principal `y` of its account admin-equivalent by
    /// writing or attaching a policy (on `y`, its groups or its customer managed policies),
    /// switching a policy's default version, removing or replacing `y`'s boundary, or adding
    /// `y` to a group?
    fn manipulation(&self, graph: &mut Graph, i: usize) {
        const ACTIONS: [&str; 14] = [
            "iam:PutUserPolicy",
            "iam:AttachUserPolicy",
            "iam:PutRolePolicy",
            "iam:AttachRolePolicy",
            "iam:PutGroupPolicy",
            "iam:AttachGroupPolicy",
            "iam:CreatePolicyVersion",
            "iam:SetDefaultPolicyVersion",
            "iam:DeleteUserPermissionsBoundary",
            "iam:PutUserPermissionsBoundary",
            "iam:DeleteRolePermissionsBoundary",
            "iam:PutRolePermissionsBoundary",
            "iam:AddUserToGroup",
            "iam:CreateAccessKey",
        ];
        let may: Vec<bool> = ACTIONS.iter().map(|a| self.may(i, &lower(a))).collect();
        if !may.iter().take(13).any(|m| *m) {
            return;
        }
        let p = self.p(i);
        let mut targets: Vec<usize> = Vec::new();
        let pool_users = self.users.get(p.account_id.as_str()).map(Vec::as_slice).unwrap_or_default();
        let pool_roles = self.roles.get(p.account_id.as_str()).map(Vec::as_slice).unwrap_or_default();
        let mut seen = HashSet::new();
        let mut add_targets = |list: Vec<usize>, targets: &mut Vec<usize>| {
            for t in list {
                if seen.insert(t) {
                    targets.push(t);
                }
            }
        };
        for (k, action) in ACTIONS.iter().enumerate().take(12) {
            if !may[k] {
                continue;
            }
            let a = lower(action);
            match *action {
                "iam:PutUserPolicy"
                | "iam:AttachUserPolicy"
                | "iam:DeleteUserPermissionsBoundary"
                | "iam:PutUserPermissionsBoundary" => add_targets(self.candidates(i, &a, pool_users), &mut targets),
                "iam:PutRolePolicy"
                | "iam:AttachRolePolicy"
                | "iam:DeleteRolePermissionsBoundary"
                | "iam:PutRolePermissionsBoundary" => add_targets(self.candidates(i, &a, pool_roles), &mut targets),
                // Through a group: its members; through a policy: who has it attached.
                "iam:PutGroupPolicy" | "iam:AttachGroupPolicy" => {
                    let arns = self.groups.get(p.account_id.as_str()).map(Vec::as_slice).unwrap_or_default();
                    for k in self.matching(i, &a, arns) {
                        add_targets(self.members.get(arns[k]).cloned().unwrap_or_default(), &mut targets);
                    }
                }
                _ => {
                    let arns = self.policies.get(p.account_id.as_str()).map(Vec::as_slice).unwrap_or_default();
                    for k in self.matching(i, &a, arns) {
                        add_targets(self.holders.get(arns[k]).cloned().unwrap_or_default(), &mut targets);
                    }
                }
            }
        }
        // Joining a group: oneself, or a user whose credentials one can take over.
        let mut joiners: Vec<usize> = Vec::new();
        if may[12] {
            joiners = graph
                .edges
                .iter()
                .filter(|(f, t, _)| *f == i && self.p(*t).kind == PrincipalKind::User)
                .map(|(_, t, _)| *t)
                .collect();
            if p.kind == PrincipalKind::User {
                joiners.push(i);
            }
            add_targets(joiners.clone(), &mut targets);
        }
        let joinable: Vec<&str> = if may[12] {
            let arns = self.groups.get(p.account_id.as_str()).map(Vec::as_slice).unwrap_or_default();
            self.matching(i, &lower("iam:AddUserToGroup"), arns).into_iter().map(|k| arns[k]).collect()
        } else {
            Vec::new()
        };
        for y in targets {
            if self.dir.is_admin(y) {
                continue;
            }
            let groups = if joiners.contains(&y) { joinable.as_slice() } else { &[] };
            if let Some(step) = self.make_admin(i, y, &may, groups) {
                if y == i {
                    graph.finals.push((i, vec![step], format!("administrator ({} modified)", p.arn)));
                } else {
                    graph.makes_admin.push((i, y, step));
                }
            }
        }
    }

    /// Whether `i` can make `y` admin-equivalent, and the step that does.
    fn make_admin(&self, i: usize, y: usize, may: &[bool], joinable: &[&str]) -> Option<Step> {
        let target = self.p(y);
        let is_user = target.kind == PrincipalKind::User;
        let boundary_key: Vec<(&str, &str)> =
            target.boundary_arn.as_deref().map(|b| vec![("iam:PermissionsBoundary", b)]).unwrap_or_default();
        let mut with_policy_key = boundary_key.clone();
        with_policy_key.push(("iam:PolicyARN", ADMINISTRATOR_ACCESS));
        // 1. Can `i` add an allow-everything policy to `y`?
        let mut add: Option<(String, String, Vec<String>)> = None;
        let (put, attach) = if is_user {
            (("iam:PutUserPolicy", 0), ("iam:AttachUserPolicy", 1))
        } else {
            (("iam:PutRolePolicy", 2), ("iam:AttachRolePolicy", 3))
        };
        for ((action, k), keys) in [(put, &boundary_key), (attach, &with_policy_key)] {
            if add.is_none() && may[k] {
                if let Some(s) = self.allowed(i, action, &target.arn, keys, &target.tags, None) {
                    add = Some((action.to_string(), target.arn.clone(), s));
                }
            }
        }
        let account = &self.dir.accounts[target.account];
        for g in &target.groups {
            for (action, k, keys) in [
                ("iam:PutGroupPolicy", 4, &[][..]),
                ("iam:AttachGroupPolicy", 5, &[("iam:PolicyARN", ADMINISTRATOR_ACCESS)][..]),
            ] {
                if add.is_none() && may[k] {
                    if let Some(s) = self.allowed(i, action, g, keys, &[], None) {
                        add = Some((action.to_string(), g.clone(), s));
                    }
                }
            }
        }
        if add.is_none() && may[6] {
            for arn in target.managed.iter().flatten() {
                let customer = self.dir.managed.get(arn).is_some_and(|m| !m.aws_managed);
                if customer {
                    if let Some(s) = self.allowed(i, "iam:CreatePolicyVersion", arn, &[], &[], None) {
                        add = Some(("iam:CreatePolicyVersion".into(), arn.clone(), s));
                        break;
                    }
                }
            }
        }
        // 2. Can `i` remove `y`'s boundary or replace it with AdministratorAccess?
        let mut unbound: Option<(String, String, Vec<String>)> = None;
        if let Some(b) = &target.boundary_arn {
            let (delete, put) = if is_user {
                (("iam:DeleteUserPermissionsBoundary", 8), ("iam:PutUserPermissionsBoundary", 9))
            } else {
                (("iam:DeleteRolePermissionsBoundary", 10), ("iam:PutRolePermissionsBoundary", 11))
            };
            if may[delete.1] {
                unbound = self
                    .allowed(i, delete.0, &target.arn, &[("iam:PermissionsBoundary", b)], &target.tags, None)
                    .map(|s| (delete.0.to_string(), target.arn.clone(), s));
            }
            if unbound.is_none() && may[put.1] {
                unbound = self
                    .allowed(
                        i,
                        put.0,
                        &target.arn,
                        &[("iam:PermissionsBoundary", ADMINISTRATOR_ACCESS)],
                        &target.tags,
                        None,
                    )
                    .map(|s| (put.0.to_string(), target.arn.clone(), s));
            }
        }
        let boundary = if unbound.is_some() { None } else { target.boundary.as_ref() };
        let mut identity = target.identity.clone();
        if add.is_some() {
            identity.push(self.allow_all.clone());
        }
        if (add.is_some() || unbound.is_some()) && self.dir.admin_decision(target, &identity, boundary).is_some() {
            let mut step = self.step(i, &target.arn, Method::PolicyManipulation);
            for (action, resource, s) in add.into_iter().chain(unbound) {
                Self::add(&mut step, &action, &resource, s);
            }
            return Some(step);
        }
        // 3. A non-default version of one of `y`'s policies that would make it admin.
        if may[7] {
            for (k, arn) in target.managed.iter().enumerate() {
                let Some(arn) = arn else { continue };
                let Some(policy) = self.dir.managed.get(arn) else { continue };
                for (version, document) in &policy.other_versions {
                    let mut identity = target.identity.clone();
                    identity[k] = document.clone();
                    if self.dir.admin_decision(target, &identity, target.boundary.as_ref()).is_none() {
                        continue;
                    }
                    if let Some(s) = self.allowed(i, "iam:SetDefaultPolicyVersion", arn, &[], &[], None) {
                        let mut step = self.step(i, &target.arn, Method::PolicyManipulation);
                        Self::add(&mut step, "iam:SetDefaultPolicyVersion", &format!("{arn} (to {version})"), s);
                        return Some(step);
                    }
                }
            }
        }
        // 4. A group whose policies would make `y` (a user) admin.
        if is_user {
            for group in account.groups.iter().filter(|g| joinable.contains(&g.arn.as_str())) {
                if target.groups.contains(&group.arn) {
                    continue;
                }
                let mut identity = target.identity.clone();
                identity.extend(group.inline.iter().map(|p| p.policy.clone()));
                identity
                    .extend(group.attached.iter().filter_map(|a| self.dir.managed.get(a)).map(|m| m.default.clone()));
                if self.dir.admin_decision(target, &identity, target.boundary.as_ref()).is_none() {
                    continue;
                }
                if let Some(s) = self.allowed(i, "iam:AddUserToGroup", &group.arn, &[], &[], None) {
                    let mut step = self.step(i, &target.arn, Method::AddUserToGroup);
                    Self::add(&mut step, "iam:AddUserToGroup", &format!("{} (user {})", group.arn, target.name), s);
                    return Some(step);
                }
            }
        }
        None
    }

    /// `iam:CreateRole` + write/attach policy + `sts:AssumeRole`, or `iam:CreateUser` + write/attach
    /// policy + `iam:CreateAccessKey`: a new principal with an admin policy, under whatever
    /// permissions boundary the caller's conditions force on it.
    fn create_principal(&self, graph: &mut Graph, i: usize, kind: PrincipalKind) {
        let (create, put, attach, use_it, noun, method) = match kind {
            PrincipalKind::Role => (
                "iam:CreateRole",
                "iam:PutRolePolicy",
                "iam:AttachRolePolicy",
                "sts:AssumeRole",
                "role",
                Method::CreateRole,
            ),
            PrincipalKind::User => (
                "iam:CreateUser",
                "iam:PutUserPolicy",
                "iam:AttachUserPolicy",
                "iam:CreateAccessKey",
                "user",
                Method::CreateUser,
            ),
        };
        let create_l = lower(create);
        if !self.may(i, &create_l) || !(self.may(i, &lower(put)) || self.may(i, &lower(attach))) {
            return;
        }
        let p = self.p(i);
        // Names the attacker may choose: what the resource patterns allow, wildcards filled in.
        let mut names = vec![format!("arn:aws:iam::{}:{noun}/monban-escalation-probe", p.account_id)];
        let mut boundaries: Vec<Option<String>> = vec![None, Some(ADMINISTRATOR_ACCESS.to_string())];
        for policy in &p.identity {
            for st in &policy.statements {
                let covers = st.effect == Effect::Allow
                    && st.action.patterns.iter().any(|pat| pat.matches_prepared(&create_l, &p.context))
                        != st.action.negated;
                if !covers {
                    continue;
                }
                for written in st.resource.iter().filter(|r| !r.negated).flat_map(|r| r.written.iter()) {
                    if let Some(arn) = fill_pattern(written, &p.account_id, noun) {
                        if !names.contains(&arn) {
                            names.push(arn);
                        }
                    }
                }
            }
            collect_boundary_values(&policy.to_json(), &mut boundaries);
        }
        names.truncate(6);
        for arn in self.permissive.get(p.account_id.as_str()).into_iter().flatten() {
            if !boundaries.iter().any(|b| b.as_deref() == Some(*arn)) {
                boundaries.push(Some(arn.to_string()));
            }
        }
        for name in &names {
            for boundary in &boundaries {
                let keys: Vec<(&str, &str)> =
                    boundary.as_deref().map(|b| vec![("iam:PermissionsBoundary", b)]).unwrap_or_default();
                let Some(s_create) = self.allowed(i, create, name, &keys, &[], None) else { continue };
                let mut attach_keys = keys.clone();
                attach_keys.push(("iam:PolicyARN", ADMINISTRATOR_ACCESS));
                let written = self
                    .allowed(i, put, name, &keys, &[], None)
                    .map(|s| (put, s))
                    .or_else(|| self.allowed(i, attach, name, &attach_keys, &[], None).map(|s| (attach, s)));
                let Some((write_action, s_write)) = written else { continue };
                // The new principal: the admin policy, and the boundary it was created with.
                let boundary_policy = match boundary {
                    None => None,
                    Some(b) => match self
                        .dir
                        .managed
                        .get(b)
                        .map(|m| m.default.clone())
                        .or_else(|| super::managed::aws_managed(b).map(|m| m.default))
                    {
                        Some(policy) => Some(policy),
                        None => continue,
                    },
                };
                let Some(new) = self.dir.new_principal(kind, &p.account_id, name) else { continue };
                if self
                    .dir
                    .admin_decision(&new, std::slice::from_ref(&self.allow_all), boundary_policy.as_ref())
                    .is_none()
                {
                    continue;
                }
                let s_use = match kind {
                    PrincipalKind::Role => {
                        let Some(trust) = self.trust_naming(i) else { continue };
                        self.allowed(i, use_it, name, &[], &[], Some(&trust))
                    }
                    PrincipalKind::User => self.allowed(i, use_it, name, &[], &[], None),
                };
                let Some(s_use) = s_use else { continue };
                let mut step = self.step(i, name, method);
                let create_desc = match boundary {
                    Some(b) => format!("{name} (boundary {b})"),
                    None => name.clone(),
                };
                Self::add(&mut step, create, &create_desc, s_create);
                Self::add(&mut step, write_action, name, s_write);
                Self::add(&mut step, use_it, name, s_use);
                graph.finals.push((i, vec![step], format!("administrator ({name} created)")));
                return;
            }
        }
    }
}

/// The `Allow` statements of a trust policy that cover `sts:AssumeRole`.
fn trust_statements<'a>(
    trust: &'a Policy,
    role: &'a Principal,
) -> impl Iterator<Item = &'a monban_policy::Statement> + 'a {
    trust.statements.iter().filter(move |st| {
        st.effect == Effect::Allow
            && st.action.patterns.iter().any(|p| p.matches_prepared("sts:assumerole", &role.context))
                != st.action.negated
    })
}

/// A concrete IAM ARN that a resource pattern of `CreateRole`/`CreateUser` allows: wildcards filled
/// with `x`, the account set. `None` for patterns with variables or of another resource type.
fn fill_pattern(pattern: &str, account: &str, noun: &str) -> Option<String> {
    if pattern == "*" || pattern.contains('$') {
        return None;
    }
    let arn = monban_policy::arn::Arn::parse(pattern)?;
    let (service, resource) = (arn.service(), arn.resource());
    if !(service == "iam" || service.contains('*')) {
        return None;
    }
    let resource = resource.replace(['*', '?'], "x");
    let resource = if resource.starts_with(&format!("{noun}/")) {
        resource
    } else if resource.chars().all(|c| c == 'x') {
        format!("{noun}/x")
    } else {
        return None;
    };
    Some(format!("arn:aws:iam::{account}:{resource}"))
}

/// Every literal value given to `iam:PermissionsBoundary` in a policy's conditions: the
/// boundaries an attacker can be forced to (or may) set on what it creates.
fn collect_boundary_values(json: &serde_json::Value, out: &mut Vec<Option<String>>) {
    match json {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if k.eq_ignore_ascii_case("iam:PermissionsBoundary") {
                    let values: Vec<&serde_json::Value> = match v {
                        serde_json::Value::Array(items) => items.iter().collect(),
                        other => vec![other],
                    };
                    for value in values.into_iter().filter_map(serde_json::Value::as_str) {
                        if !value.contains(['*', '?', '$']) && !out.iter().any(|o| o.as_deref() == Some(value)) {
                            out.push(Some(value.to_string()));
                        }
                    }
                } else {
                    collect_boundary_values(v, out);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_boundary_values(v, out)),
        _ => {}
    }
}

/// How a principal reaches the target in the shortest-path tree.
#[derive(Clone)]
enum Next {
    /// It is the target (admin-equivalent, or the named principal).
    Target,
    /// Follow edge `e`.
    Edge(usize),
    /// Its own final steps (index into the finals).
    Final(usize),
}

/// Finds every principal that can reach admin-equivalent permissions (or the principal `to`,
/// an ARN), with its shortest path.
pub fn analyze(dir: &Directory, to: Option<&str>) -> EscalationReport {
    let analysis = Analysis::new(dir);
    let target = to.and_then(|arn| dir.principal(arn));
    let mut warnings = dir.warnings.clone();
    if let (Some(arn), None) = (to, target) {
        warnings.push(format!("`{arn}` is not a user or role of the accounts read"));
    }
    let mut graph = analysis.build(target);
    let n = dir.principals.len();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (e, (from, _, _)) in graph.edges.iter().enumerate() {
        out[*from].push(e);
    }
    // "X can make Y admin" is a final step of X once X can reach Y.
    let makes_admin = std::mem::take(&mut graph.makes_admin);
    let mut by_actor: HashMap<usize, Vec<(usize, Step)>> = HashMap::new();
    for (x, y, step) in makes_admin {
        by_actor.entry(x).or_default().push((y, step));
    }
    for (x, list) in by_actor {
        let reach = bfs(x, &graph.edges, &out);
        for (y, step) in list {
            if let Some(path) = reach.get(&y) {
                let mut steps = vec![step];
                steps.extend(path.iter().map(|&e| graph.edges[e].2.clone()));
                let reaches = format!("administrator ({} modified)", dir.principals[y].arn);
                graph.finals.push((x, steps, reaches));
            }
        }
    }
    // Dijkstra from the targets over reversed edges (unit weights; final steps weigh their length).
    let mut dist = vec![usize::MAX; n];
    let mut next: Vec<Option<Next>> = vec![None; n];
    let mut heap = BinaryHeap::new();
    match (to, target) {
        (Some(_), Some(t)) => {
            dist[t] = 0;
            next[t] = Some(Next::Target);
            heap.push(Reverse((0, t)));
        }
        (Some(_), None) => {}
        (None, _) => {
            for i in (0..n).filter(|&i| dir.is_admin(i)) {
                dist[i] = 0;
                next[i] = Some(Next::Target);
                heap.push(Reverse((0, i)));
            }
            for (f, (x, steps, _)) in graph.finals.iter().enumerate() {
                if steps.len() < dist[*x] {
                    dist[*x] = steps.len();
                    next[*x] = Some(Next::Final(f));
                    heap.push(Reverse((steps.len(), *x)));
                }
            }
        }
    }
    let mut incoming: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (e, (_, to, _)) in graph.edges.iter().enumerate() {
        incoming[*to].push(e);
    }
    while let Some(Reverse((d, v))) = heap.pop() {
        if d > dist[v] {
            continue;
        }
        for &e in &incoming[v] {
            let u = graph.edges[e].0;
            if d + 1 < dist[u] {
                dist[u] = d + 1;
                next[u] = Some(Next::Edge(e));
                heap.push(Reverse((d + 1, u)));
            }
        }
    }
    let mut paths = Vec::new();
    for (i, p) in dir.principals.iter().enumerate() {
        if dist[i] == usize::MAX || matches!(next[i], Some(Next::Target)) {
            continue;
        }
        let mut steps = Vec::new();
        let mut at = i;
        let mut reaches = String::new();
        for _ in 0..=n {
            match &next[at] {
                Some(Next::Edge(e)) => {
                    steps.push(graph.edges[*e].2.clone());
                    at = graph.edges[*e].1;
                }
                Some(Next::Final(f)) => {
                    let (_, final_steps, what) = &graph.finals[*f];
                    steps.extend(final_steps.iter().cloned());
                    reaches = what.clone();
                    break;
                }
                Some(Next::Target) | None => {
                    reaches = dir.principals[at].arn.clone();
                    break;
                }
            }
        }
        paths.push(EscalationPath { principal: p.arn.clone(), kind: p.kind, reaches, steps });
    }
    paths.sort_by(|a, b| a.principal.cmp(&b.principal));
    let mut admins: Vec<String> = (0..n).filter(|&i| dir.is_admin(i)).map(|i| dir.principals[i].arn.clone()).collect();
    admins.sort();
    EscalationReport { target: to.map(str::to_string), admins, paths, edges: graph.edges.len(), warnings }
}

/// Shortest edge paths from `start` to every principal it can reach.
fn bfs(start: usize, edges: &[(usize, usize, Step)], out: &[Vec<usize>]) -> HashMap<usize, Vec<usize>> {
    let mut paths: HashMap<usize, Vec<usize>> = HashMap::new();
    paths.insert(start, Vec::new());
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        let here = paths.get(&v).cloned().unwrap_or_default();
        for &e in &out[v] {
            let to = edges[e].1;
            if let std::collections::hash_map::Entry::Vacant(slot) = paths.entry(to) {
                let mut path = here.clone();
                path.push(e);
                slot.insert(path);
                queue.push_back(to);
            }
        }
    }
    paths
}

impl EscalationReport {
    /// The report for people: one block per principal, one line per step.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let what = self.target.as_deref().unwrap_or("admin-equivalent permissions");
        let admins =
            crate::text::counted(self.admins.len(), "admin-equivalent principal", "admin-equivalent principals");
        let _ = writeln!(s, "{admins}; {}", crate::text::counted(self.edges, "edge", "edges"));
        for a in &self.admins {
            let _ = writeln!(s, "  admin: {a}");
        }
        if self.paths.is_empty() {
            let _ = writeln!(s, "\nno principal can escalate to {what}");
        }
        for path in &self.paths {
            let steps = crate::text::counted(path.steps.len(), "step", "steps");
            let _ = writeln!(s, "\n{} can reach {} in {steps}:", path.principal, path.reaches);
            for (k, step) in path.steps.iter().enumerate() {
                let existing = if step.assumes_existing_resource { " [if such a resource exists]" } else { "" };
                let _ = writeln!(s, "  {}. {} --{}--> {}{existing}", k + 1, step.from, step.method.id(), step.to);
                for a in &step.actions {
                    let _ = writeln!(s, "       {a}");
                }
                for st in &step.statements {
                    let _ = writeln!(s, "       allowed by {st}");
                }
            }
        }
        for w in &self.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
        s
    }

    fn picture_edges(&self) -> Vec<(String, String, &'static str)> {
        let mut edges = Vec::new();
        for path in &self.paths {
            for step in &path.steps {
                let e = (step.from.clone(), step.to.clone(), step.method.id());
                if !edges.contains(&e) {
                    edges.push(e);
                }
            }
        }
        edges
    }

    /// Graphviz DOT: principals on paths, admins in red, one arrow per step.
    pub fn to_dot(&self) -> String {
        let mut s = String::from("digraph escalation {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
        for a in &self.admins {
            let _ = writeln!(s, "  \"{a}\" [color=red, style=bold];");
        }
        for (from, to, method) in self.picture_edges() {
            let _ = writeln!(s, "  \"{from}\" -> \"{to}\" [label=\"{method}\"];");
        }
        s.push_str("}\n");
        s
    }

    /// Mermaid flowchart: the same picture as [`EscalationReport::to_dot`].
    pub fn to_mermaid(&self) -> String {
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut s = String::from("flowchart LR\n");
        let mut id = |arn: &str, s: &mut String| -> String {
            let n = ids.len();
            let k = *ids.entry(arn.to_string()).or_insert_with(|| {
                let _ = writeln!(s, "  n{n}[\"{}\"]", arn.replace('"', "'"));
                n
            });
            format!("n{k}")
        };
        for (from, to, method) in self.picture_edges() {
            let a = id(&from, &mut s);
            let b = id(&to, &mut s);
            let _ = writeln!(s, "  {a} -->|{method}| {b}");
        }
        let admin_ids: Vec<String> = self.admins.iter().filter_map(|a| ids.get(a).map(|k| format!("n{k}"))).collect();
        if !admin_ids.is_empty() {
            let _ = writeln!(s, "  classDef admin stroke:#d00,stroke-width:3px");
            let _ = writeln!(s, "  class {} admin", admin_ids.join(","));
        }
        s
    }
}
