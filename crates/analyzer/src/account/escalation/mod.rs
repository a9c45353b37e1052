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
//! keys (no MFA: the attacker holds an access key), its boundary and the SCPs.
//!
//! The graph is never built pair by pair ([`graph`]): targets sit in pools indexed by ARN and
//! split into classes that decide alike ([`pools`]), so a caller allowed `sts:AssumeRole` on `*`
//! costs one decision per class of roles, not one per role. The shortest paths are searched
//! backwards from the targets ([`search`]), and every step of a reported path is decided again
//! by the engine on its concrete principal and target ([`steps`]).

use serde::Serialize;

use super::PrincipalKind;

mod graph;
mod methods;
mod pools;
mod report;
mod search;
mod steps;

pub use search::{analyze, analyze_conditional, analyze_with_progress};

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
    /// What the attacker must also supply for the path to exist (MFA, a source address in a
    /// named network, ...); `None` for a path that needs nothing more than the principal's keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
}

/// The result of [`analyze`].
#[derive(Debug, Clone, Serialize)]
pub struct EscalationReport {
    /// The target principal when one was named; otherwise admin-equivalence is the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Admin-equivalent principals (ARNs).
    pub admins: Vec<String>,
    /// Principals that can escalate, with their shortest paths: those that need nothing more
    /// first, then those that need what `requires` says; each part sorted by ARN.
    pub paths: Vec<EscalationPath>,
    /// The requests the engine decided to find the paths (the search's cost; it grows with the
    /// principals, not with their pairs).
    pub decisions: usize,
    /// The steps of the reported paths, each decided again by the engine on its concrete
    /// principal and target.
    pub steps_redecided: usize,
    /// Inputs that could not be resolved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}
