//! Synthetic accounts with known answers, for tests and benchmarks.
//!
//! [`generate`] builds `get-account-authorization-details` output and a credential report for an
//! account of a given number of roles (users are 30% of that, in teams with groups, managed
//! policies, roles they may assume and pass to Lambda), all of it clean for every audit check.
//! Into it are planted, `replicas` times: admin-equivalent principals (AWS managed, customer
//! managed), a `NotAction` role one step from admin, principals with an escalation path (one per method family, one of two
//! steps), near-misses that must not produce a path (the permissions-boundary fix from the
//! CreateRole story, a PassRole scoped to a harmless role, an MFA-conditioned CreateAccessKey, an
//! explicit Deny, a boundary that caps what a self-written policy grants, a role trusted only by a
//! service, a bounded admin), and one instance of each audit finding. [`GroundTruth`] lists them.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use monban_policy::input::percent_encode;

/// The account id of synthetic accounts.
pub const ACCOUNT: &str = "111122223333";

/// What must be found, and nothing else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroundTruth {
    /// Admin-equivalent principals (ARNs).
    pub admins: BTreeSet<String>,
    /// Non-admin principals with a path to admin-equivalent permissions (ARNs).
    pub escalations: BTreeSet<String>,
    /// Principals with a path only when they also supply what a condition asks for (MFA).
    pub conditional: BTreeSet<String>,
    /// Audit findings as (check id, subject ARN).
    pub findings: BTreeSet<(String, String)>,
}

/// A generated account.
#[derive(Debug, Clone)]
pub struct Synthetic {
    /// `get-account-authorization-details` output, documents as JSON objects (as the CLI prints).
    pub details: Value,
    /// The credential report CSV.
    pub credential_report: String,
    /// The answers.
    pub truth: GroundTruth,
}

const RECENT: &str = "2024-12-20T00:00:00Z";
const CREATED: &str = "2022-06-01T00:00:00Z";
const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";
const ADMIN_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:{kind}/{name}")
}

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow(action: Value, resource: Value) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

fn trust_service(service: &str) -> Value {
    doc(json!([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]))
}

fn trust_account() -> Value {
    doc(
        json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole"}]),
    )
}

/// Credential columns of one user.
#[derive(Clone)]
struct Creds {
    password: Option<&'static str>,
    mfa: bool,
    keys: [Option<(&'static str, &'static str)>; 2],
}

impl Creds {
    fn console() -> Creds {
        Creds { password: Some(RECENT), mfa: true, keys: [None, None] }
    }
}

/// A customer managed policy: name, ARN, versions (document, is default).
type PlantedPolicy = (String, String, Vec<(Value, bool)>);

#[derive(Default)]
struct Builder {
    users: Vec<Value>,
    groups: Vec<Value>,
    roles: Vec<Value>,
    policies: Vec<PlantedPolicy>,
    attachments: std::collections::HashMap<String, (u64, u64)>,
    rows: Vec<String>,
    truth: GroundTruth,
}

impl Builder {
    fn policy(&mut self, name: &str, document: Value) -> String {
        self.versioned(name, vec![(document, true)])
    }

    fn versioned(&mut self, name: &str, versions: Vec<(Value, bool)>) -> String {
        let a = arn("policy", name);
        self.policies.push((name.to_string(), a.clone(), versions));
        a
    }

    fn attach(&mut self, policy: &str) -> Value {
        self.attachments.entry(policy.to_string()).or_default().0 += 1;
        let name = policy.rsplit('/').next().unwrap_or_default();
        json!({"PolicyName": name, "PolicyArn": policy})
    }

    fn boundary(&mut self, policy: &str) -> Value {
        self.attachments.entry(policy.to_string()).or_default().1 += 1;
        json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": policy})
    }

    #[allow(clippy::too_many_arguments)]
    fn user(
        &mut self,
        name: &str,
        groups: &[&str],
        attached: &[&str],
        inline: Vec<(&str, Value)>,
        boundary: Option<&str>,
        creds: Creds,
    ) -> String {
        let a = arn("user", name);
        let attached: Vec<Value> = attached.iter().map(|p| self.attach(p)).collect();
        let mut user = json!({
            "Path": "/", "UserName": name, "UserId": format!("AIDA{}", name.to_uppercase().replace('-', "")), "Arn": a,
            "CreateDate": CREATED, "GroupList": groups,
            "UserPolicyList": inline.into_iter().map(|(n, d)| json!({"PolicyName": n, "PolicyDocument": d})).collect::<Vec<_>>(),
            "AttachedManagedPolicies": attached, "Tags": []
        });
        if let Some(b) = boundary {
            user["PermissionsBoundary"] = self.boundary(b);
        }
        self.users.push(user);
        let key = |k: Option<(&str, &str)>| match k {
            Some((rotated, used)) => format!("true,{rotated},{used},us-east-1,s3"),
            None => "false,N/A,N/A,N/A,N/A".to_string(),
        };
        self.rows.push(format!(
            "{name},{a},{CREATED},{},{},{CREATED},N/A,{},{},{},false,N/A,false,N/A",
            creds.password.is_some(),
            creds.password.unwrap_or("N/A"),
            creds.mfa,
            key(creds.keys[0]),
            key(creds.keys[1]),
        ));
        a
    }

    #[allow(clippy::too_many_arguments)]
    fn role(
        &mut self,
        name: &str,
        trust: Value,
        attached: &[&str],
        inline: Vec<(&str, Value)>,
        boundary: Option<&str>,
        last_used: Option<&str>,
        profile: bool,
    ) -> String {
        let a = arn("role", name);
        let attached: Vec<Value> = attached.iter().map(|p| self.attach(p)).collect();
        let mut role = json!({
            "Path": "/", "RoleName": name, "RoleId": format!("AROA{}", name.to_uppercase().replace('-', "")), "Arn": a,
            "CreateDate": CREATED, "AssumeRolePolicyDocument": trust,
            "InstanceProfileList": if profile { json!([{"InstanceProfileName": name, "Arn": arn("instance-profile", name)}]) } else { json!([]) },
            "RolePolicyList": inline.into_iter().map(|(n, d)| json!({"PolicyName": n, "PolicyDocument": d})).collect::<Vec<_>>(),
            "AttachedManagedPolicies": attached, "Tags": [],
            "RoleLastUsed": match last_used { Some(d) => json!({"LastUsedDate": d, "Region": "us-east-1"}), None => json!({}) }
        });
        if let Some(b) = boundary {
            role["PermissionsBoundary"] = self.boundary(b);
        }
        self.roles.push(role);
        a
    }

    fn group(&mut self, name: &str, attached: &[&str]) -> String {
        let a = arn("group", name);
        let attached: Vec<Value> = attached.iter().map(|p| self.attach(p)).collect();
        self.groups.push(json!({"Path": "/", "GroupName": name, "GroupId": format!("AGPA{}", name.to_uppercase().replace('-', "")), "Arn": a, "GroupPolicyList": [], "AttachedManagedPolicies": attached}));
        a
    }

    fn finding(&mut self, id: &str, subject: &str) {
        self.truth.findings.insert((id.to_string(), subject.to_string()));
    }

    fn admin(&mut self, principal: &str) {
        self.truth.admins.insert(principal.to_string());
        self.finding("permissions.admin-equivalent", principal);
    }

    fn finish(mut self) -> Synthetic {
        let mut policies = Vec::new();
        for (name, a, versions) in std::mem::take(&mut self.policies) {
            let (attachments, boundaries) = self.attachments.get(&a).copied().unwrap_or_default();
            let list: Vec<Value> = versions
                .into_iter()
                .enumerate()
                .map(|(k, (d, default))| json!({"Document": d, "VersionId": format!("v{}", k + 1), "IsDefaultVersion": default, "CreateDate": CREATED}))
                .collect();
            let default = list
                .iter()
                .find(|v| v["IsDefaultVersion"] == json!(true))
                .map(|v| v["VersionId"].clone())
                .unwrap_or(json!("v1"));
            policies.push(json!({
                "PolicyName": name, "PolicyId": format!("ANPA{}", name.to_uppercase().replace('-', "")), "Arn": a, "Path": "/",
                "DefaultVersionId": default, "AttachmentCount": attachments, "PermissionsBoundaryUsageCount": boundaries,
                "IsAttachable": true, "CreateDate": CREATED, "UpdateDate": CREATED, "PolicyVersionList": list
            }));
        }
        // AWS managed policies appear in `Policies` when attached; their documents come from the
        // embedded data, so the listing carries only the ARN (a reader must resolve it).
        let details = json!({
            "UserDetailList": self.users, "GroupDetailList": self.groups, "RoleDetailList": self.roles,
            "Policies": policies, "IsTruncated": false
        });
        let mut csv = String::from(HEADER);
        csv.push('\n');
        for row in &self.rows {
            csv.push_str(row);
            csv.push('\n');
        }
        Synthetic { details, credential_report: csv, truth: self.truth }
    }
}

/// How the background principals trust each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Trust {
    /// Teams: each principal may assume only its team's roles (sparse; the edges grow linearly).
    #[default]
    Teams,
    /// Dense trust, the shape that makes escalation graphs quadratic: every background role trusts
    /// its account, and every user and every second role holds `sts:AssumeRole` on `*` in an
    /// inline policy of its own (no two documents alike), denied on `role/*admin*`. Every tenth user
    /// lacks that deny and so escalates through the planted admin roles.
    Dense,
}

/// Generates an account with `roles` background roles (and 30% as many users) and `replicas`
/// copies of every planted item.
pub fn generate(roles: usize, replicas: usize) -> Synthetic {
    generate_shaped(roles, replicas, Trust::Teams)
}

/// [`generate`] with the background's trust shape chosen.
pub fn generate_shaped(roles: usize, replicas: usize, trust: Trust) -> Synthetic {
    let mut b = Builder::default();
    // The root user: access key, no MFA, used yesterday.
    b.rows.push(format!(
        "<root_account>,arn:aws:iam::{ACCOUNT}:root,{CREATED},not_supported,2024-12-31T00:00:00Z,not_supported,not_supported,false,true,2021-01-01T00:00:00Z,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
    ));
    let root = format!("arn:aws:iam::{ACCOUNT}:root");
    for id in ["root.access-key", "root.no-mfa", "root.recent-use"] {
        b.finding(id, &root);
    }
    background(&mut b, roles, trust);
    for r in 0..replicas {
        plant(&mut b, r);
    }
    b.finish()
}

/// Teams: a group with a customer managed policy (assume and pass the team's roles, invoke the
/// team's functions, read and write the team's bucket), roles trusted by the account and by
/// Lambda, users with console access and MFA. Clean for every check; many edges, no escalation.
fn background(b: &mut Builder, roles: usize, shape: Trust) {
    let dense = shape == Trust::Dense;
    // A document of its own for each dense principal; `escalates` leaves the deny out.
    let assume_anything = |name: &str, escalates: bool| {
        let sid = format!("Assume{}", name.replace('-', ""));
        let mut statements = vec![json!({"Sid": sid, "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})];
        if !escalates {
            statements.push(json!({"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": arn("role", "*admin*")}));
        }
        vec![("assume-anything", doc(json!(statements)))]
    };
    let teams = roles.div_ceil(50).max(1);
    let users = roles * 3 / 10;
    for t in 0..teams {
        let team_roles = roles / teams + usize::from(t < roles % teams);
        let team_users = users / teams + usize::from(t < users % teams);
        let policy = b.policy(
            &format!("team-{t}-access"),
            doc(json!([
                allow(json!(["sts:AssumeRole"]), json!(arn("role", &format!("team-{t}-*")))),
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": arn("role", &format!("team-{t}-*")),
                 "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
                allow(json!(["lambda:CreateFunction", "lambda:InvokeFunction"]), json!(format!("arn:aws:lambda:*:{ACCOUNT}:function:team-{t}-*"))),
                allow(json!(["s3:GetObject", "s3:PutObject"]), json!(format!("arn:aws:s3:::team-{t}-bucket/*")))
            ])),
        );
        let role_policy = b.policy(
            &format!("team-{t}-service"),
            doc(json!([allow(
                json!(["s3:GetObject", "dynamodb:GetItem", "dynamodb:PutItem"]),
                json!([
                    format!("arn:aws:s3:::team-{t}-bucket/*"),
                    format!("arn:aws:dynamodb:*:{ACCOUNT}:table/team-{t}-*")
                ])
            )])),
        );
        let group = format!("team-{t}");
        b.group(&group, &[&policy]);
        for k in 0..team_roles {
            let name = format!("team-{t}-svc-{k}");
            let trust = if k % 2 == 0 || dense { trust_account() } else { trust_service("lambda.amazonaws.com") };
            let inline = if dense && k % 2 == 0 { assume_anything(&name, false) } else { vec![] };
            b.role(&name, trust, &[&role_policy], inline, None, Some(RECENT), false);
        }
        for k in 0..team_users {
            let name = format!("team-{t}-user-{k}");
            let escalates = dense && k % 10 == 0;
            let inline = if dense { assume_anything(&name, escalates) } else { vec![] };
            let user = b.user(&name, &[&group], &[], inline, None, Creds::console());
            if escalates {
                b.truth.escalations.insert(user);
            }
        }
    }
}

/// One copy of every planted item, names suffixed with `-r`.
fn plant(b: &mut Builder, r: usize) {
    let n = |name: &str| format!("{name}-{r}");

    // Admin-equivalents.
    let admin_role = b.role(&n("admin-role"), trust_account(), &[ADMIN_ACCESS], vec![], None, Some(RECENT), false);
    b.admin(&admin_role);
    b.finding("permissions.aws-managed-only", &admin_role);
    let admins_group = b.group(&n("admins"), &[ADMIN_ACCESS]);
    let admin_user = b.user(&n("admin-user"), &[&n("admins")], &[], vec![], None, Creds::console());
    b.admin(&admin_user);
    b.finding("permissions.aws-managed-only", &admin_user);
    let not_action = b.policy(
        &n("notaction-admin"),
        doc(json!([{"Effect": "Allow", "NotAction": "cloudtrail:DeleteTrail", "Resource": "*"}])),
    );
    // Everything but one action is not admin-equivalent (proved over the catalog), but it writes
    // an admin policy onto itself in one step.
    let na_role = b.role(&n("notaction-admin"), trust_account(), &[&not_action], vec![], None, Some(RECENT), false);
    b.truth.escalations.insert(na_role);
    b.finding("permissions.service-wildcard", &not_action);
    let lambda_admin = b.role(
        &n("lambda-admin"),
        trust_service("lambda.amazonaws.com"),
        &[ADMIN_ACCESS],
        vec![],
        None,
        Some(RECENT),
        false,
    );
    b.admin(&lambda_admin);
    b.finding("permissions.aws-managed-only", &lambda_admin);
    let star = b.policy(&n("ec2-admin"), doc(json!([allow(json!("*"), json!("*"))])));
    let ec2_admin =
        b.role(&n("ec2-admin"), trust_service("ec2.amazonaws.com"), &[&star], vec![], None, Some(RECENT), true);
    b.admin(&ec2_admin);
    b.finding("permissions.service-wildcard", &star);
    let cfn_admin = b.role(
        &n("cfn-admin"),
        trust_service("cloudformation.amazonaws.com"),
        &[ADMIN_ACCESS],
        vec![],
        None,
        Some(RECENT),
        false,
    );
    b.admin(&cfn_admin);
    b.finding("permissions.aws-managed-only", &cfn_admin);
    let svc_admin =
        b.role(&n("svc-admin"), trust_service("ec2.amazonaws.com"), &[ADMIN_ACCESS], vec![], None, Some(RECENT), false);
    b.admin(&svc_admin);
    b.finding("permissions.aws-managed-only", &svc_admin);

    // Escalations: (name, statements).
    let escalate = |b: &mut Builder, name: &str, statements: Value| -> String {
        let policy = b.policy(&format!("{name}-policy"), doc(statements));
        let user = b.user(name, &[], &[&policy], vec![], None, Creds::console());
        b.truth.escalations.insert(user.clone());
        user
    };
    // The CreateRole story: create a role, write an admin policy into it, assume it.
    escalate(
        b,
        &n("esc-createrole"),
        json!([
            allow(json!(["iam:CreateRole", "iam:PutRolePolicy"]), json!(arn("role", "dev-*"))),
            allow(json!("sts:AssumeRole"), json!(arn("role", "dev-*")))
        ]),
    );
    escalate(b, &n("esc-assume"), json!([allow(json!("sts:AssumeRole"), json!(admin_role))]));
    escalate(b, &n("esc-accesskey"), json!([allow(json!("iam:CreateAccessKey"), json!(admin_user))]));
    escalate(b, &n("esc-selfput"), json!([allow(json!("iam:PutUserPolicy"), json!(arn("user", "${aws:username}")))]));
    let self_attach = b.policy(
        &n("esc-attachrole-policy"),
        doc(json!([allow(json!("iam:AttachRolePolicy"), json!(arn("role", &n("esc-attachrole"))))])),
    );
    let attach_role = b.role(
        &n("esc-attachrole"),
        trust_service("ec2.amazonaws.com"),
        &[&self_attach],
        vec![],
        None,
        Some(RECENT),
        false,
    );
    b.truth.escalations.insert(attach_role);
    // CreatePolicyVersion on the policy the user itself has.
    let own = arn("policy", &format!("{}-policy", n("esc-policyversion")));
    escalate(b, &n("esc-policyversion"), json!([allow(json!("iam:CreatePolicyVersion"), json!(own))]));
    escalate(
        b,
        &n("esc-lambda"),
        json!([
            allow(json!("iam:PassRole"), json!(arn("role", "*"))),
            allow(
                json!(["lambda:CreateFunction", "lambda:InvokeFunction"]),
                json!(format!("arn:aws:lambda:*:{ACCOUNT}:function:*"))
            )
        ]),
    );
    escalate(
        b,
        &n("esc-ec2"),
        json!([
            allow(json!("iam:PassRole"), json!(ec2_admin)),
            allow(json!("ec2:RunInstances"), json!(format!("arn:aws:ec2:*:{ACCOUNT}:instance/*")))
        ]),
    );
    escalate(b, &n("esc-group"), json!([allow(json!("iam:AddUserToGroup"), json!(admins_group))]));
    escalate(b, &n("esc-trust"), json!([allow(json!("iam:UpdateAssumeRolePolicy"), json!(admin_role))]));
    let hop_user =
        escalate(b, &n("esc-hop"), json!([allow(json!("sts:AssumeRole"), json!(arn("role", &n("hop-role"))))]));
    let hop_policy =
        b.policy(&n("hop-role-policy"), doc(json!([allow(json!("iam:CreateLoginProfile"), json!(admin_user))])));
    let hop_role = b.role(
        &n("hop-role"),
        doc(json!([{"Effect": "Allow", "Principal": {"AWS": hop_user}, "Action": "sts:AssumeRole"}])),
        &[&hop_policy],
        vec![],
        None,
        Some(RECENT),
        false,
    );
    b.truth.escalations.insert(hop_role);
    let unbound_boundary = b.policy(
        &n("unbound-boundary"),
        doc(json!([
            allow(json!("iam:DeleteRolePermissionsBoundary"), json!(arn("role", &n("esc-unbound")))),
            allow(json!("s3:GetObject"), json!("arn:aws:s3:::shared-bucket/*"))
        ])),
    );
    let unbound = b.role(
        &n("esc-unbound"),
        trust_service("ec2.amazonaws.com"),
        &[ADMIN_ACCESS],
        vec![],
        Some(&unbound_boundary),
        Some(RECENT),
        false,
    );
    b.truth.escalations.insert(unbound.clone());
    b.finding("permissions.aws-managed-only", &unbound);
    escalate(
        b,
        &n("esc-cfn"),
        json!([
            allow(json!("iam:PassRole"), json!(cfn_admin)),
            allow(json!("cloudformation:CreateStack"), json!(format!("arn:aws:cloudformation:*:{ACCOUNT}:stack/*")))
        ]),
    );
    let setdefault = arn("policy", &n("esc-setdefault-policy"));
    let versioned = b.versioned(
        &n("esc-setdefault-policy"),
        vec![
            (doc(json!([allow(json!("iam:SetDefaultPolicyVersion"), json!(setdefault))])), true),
            (doc(json!([allow(json!("*"), json!("*"))])), false),
        ],
    );
    let sd_user = b.user(&n("esc-setdefault"), &[], &[&versioned], vec![], None, Creds::console());
    b.truth.escalations.insert(sd_user);
    escalate(
        b,
        &n("esc-updatecode"),
        json!([allow(json!("lambda:UpdateFunctionCode"), json!(format!("arn:aws:lambda:*:{ACCOUNT}:function:*")))]),
    );

    // Near-misses: no path may be found for these (near-mfa has one given MFA: `conditional`).
    let near = |b: &mut Builder, name: &str, statements: Value, boundary: Option<&str>| -> String {
        let policy = b.policy(&format!("{name}-policy"), doc(statements));
        b.user(name, &[], &[&policy], vec![], boundary, Creds::console())
    };
    let dev_boundary = arn("policy", &n("dev-boundary"));
    b.policy(
        &n("dev-boundary"),
        doc(json!([allow(json!(["iam:CreateRole", "iam:PutRolePolicy", "sts:AssumeRole"]), json!("*"))])),
    );
    b.finding("permissions.write-on-star", &dev_boundary);
    near(
        b,
        &n("near-boundary"),
        json!([
            {"Effect": "Allow", "Action": ["iam:CreateRole", "iam:PutRolePolicy"], "Resource": arn("role", "*"),
             "Condition": {"StringEquals": {"iam:PermissionsBoundary": dev_boundary}}},
            allow(json!("sts:AssumeRole"), json!(arn("role", "dev-*")))
        ]),
        Some(&dev_boundary),
    );
    let harmless_policy =
        b.policy(&n("harmless"), doc(json!([allow(json!("s3:GetObject"), json!("arn:aws:s3:::public-assets/*"))])));
    let harmless = b.role(
        &n("harmless"),
        trust_service("lambda.amazonaws.com"),
        &[&harmless_policy],
        vec![],
        None,
        Some(RECENT),
        false,
    );
    near(
        b,
        &n("near-passrole"),
        json!([
            allow(json!("iam:PassRole"), json!(harmless)),
            allow(
                json!(["lambda:CreateFunction", "lambda:InvokeFunction"]),
                json!(format!("arn:aws:lambda:*:{ACCOUNT}:function:*"))
            )
        ]),
        None,
    );
    let near_mfa = near(
        b,
        &n("near-mfa"),
        json!([
            {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": admin_user, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
        ]),
        None,
    );
    b.truth.conditional.insert(near_mfa);
    near(
        b,
        &n("near-deny"),
        json!([
            allow(json!("sts:AssumeRole"), json!(admin_role)),
            {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}
        ]),
        None,
    );
    let readonly = b.policy(
        &n("readonly-boundary"),
        doc(json!([allow(
            json!(["iam:PutUserPolicy", "s3:GetObject"]),
            json!([arn("user", "${aws:username}"), "arn:aws:s3:::shared-bucket/*"])
        )])),
    );
    near(
        b,
        &n("near-bounded"),
        json!([allow(json!("iam:PutUserPolicy"), json!(arn("user", "${aws:username}")))]),
        Some(&readonly),
    );
    near(b, &n("near-trust"), json!([allow(json!("sts:AssumeRole"), json!(svc_admin))]), None);
    let capped = b.role(
        &n("near-boundedadmin"),
        trust_service("ec2.amazonaws.com"),
        &[ADMIN_ACCESS],
        vec![],
        Some(&readonly),
        Some(RECENT),
        false,
    );
    b.finding("permissions.aws-managed-only", &capped);

    // Audit findings.
    let key_old = b.user(
        &n("key-old"),
        &[],
        &[&harmless_policy],
        vec![],
        None,
        Creds { password: None, mfa: false, keys: [Some(("2023-06-01T00:00:00Z", RECENT)), None] },
    );
    b.finding("credentials.old-access-key", &key_old);
    b.finding("credentials.workload-user", &key_old);
    let key_two = b.user(
        &n("key-two"),
        &[],
        &[&harmless_policy],
        vec![],
        None,
        Creds {
            password: Some(RECENT),
            mfa: true,
            keys: [Some(("2024-12-01T00:00:00Z", RECENT)), Some(("2024-12-10T00:00:00Z", RECENT))],
        },
    );
    b.finding("credentials.two-active-keys", &key_two);
    let no_mfa = b.user(
        &n("console-nomfa"),
        &[],
        &[&harmless_policy],
        vec![],
        None,
        Creds { password: Some(RECENT), mfa: false, keys: [None, None] },
    );
    b.finding("mfa.console-without-mfa", &no_mfa);
    let unused_user = b.user(
        &n("unused-user"),
        &[],
        &[&harmless_policy],
        vec![],
        None,
        Creds { password: Some("2024-01-01T00:00:00Z"), mfa: true, keys: [None, None] },
    );
    b.finding("unused.user", &unused_user);
    let unused_key = b.user(
        &n("unused-key"),
        &[],
        &[&harmless_policy],
        vec![],
        None,
        Creds { password: Some(RECENT), mfa: true, keys: [Some(("2024-06-01T00:00:00Z", "N/A")), None] },
    );
    b.finding("unused.access-key", &unused_key);
    b.finding("credentials.old-access-key", &unused_key);
    let unused_role = b.role(
        &n("unused-role"),
        trust_service("ec2.amazonaws.com"),
        &[&harmless_policy],
        vec![],
        None,
        Some("2023-01-01T00:00:00Z"),
        false,
    );
    b.finding("unused.role", &unused_role);
    let unused_policy = b
        .policy(&n("unused-policy"), doc(json!([allow(json!("s3:GetObject"), json!("arn:aws:s3:::shared-bucket/*"))])));
    b.finding("unused.policy", &unused_policy);
    let inline_only = b.user(
        &n("inline-only"),
        &[],
        &[],
        vec![("inline", doc(json!([allow(json!("s3:GetObject"), json!("arn:aws:s3:::shared-bucket/*"))])))],
        None,
        Creds::console(),
    );
    b.finding("permissions.inline-only", &inline_only);
    let everyone = b.role(
        &n("trust-everyone"),
        doc(json!([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}])),
        &[&harmless_policy],
        vec![],
        None,
        Some(RECENT),
        false,
    );
    b.finding("trust.everyone", &everyone);
    let xacct = b.role(&n("trust-xacct"), doc(json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}])), &[&harmless_policy], vec![], None, Some(RECENT), false);
    b.finding("trust.cross-account", &xacct);
    b.role(&n("trust-xacct-ok"), doc(json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "a-secret-shared-with-the-vendor"}}}])), &[&harmless_policy], vec![], None, Some(RECENT), false);
    let provider = arn("oidc-provider", "token.actions.githubusercontent.com");
    let github = b.role(&n("trust-github"), doc(json!([{"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}])), &[&harmless_policy], vec![], None, Some(RECENT), false);
    b.finding("trust.federated", &github);
    b.role(&n("trust-github-ok"), doc(json!([{"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}, "StringLike": {"token.actions.githubusercontent.com:sub": "repo:example/app:ref:refs/heads/main"}}}])), &[&harmless_policy], vec![], None, Some(RECENT), false);
    let s3_all = b.policy(&n("s3-all"), doc(json!([allow(json!("s3:*"), json!("arn:aws:s3:::shared-bucket/*"))])));
    b.role(&n("wildcard-role"), trust_service("ec2.amazonaws.com"), &[&s3_all], vec![], None, Some(RECENT), false);
    b.finding("permissions.service-wildcard", &s3_all);
    let terminate = b.policy(&n("write-star"), doc(json!([allow(json!("ec2:TerminateInstances"), json!("*"))])));
    b.role(&n("write-star-role"), trust_service("ec2.amazonaws.com"), &[&terminate], vec![], None, Some(RECENT), false);
    b.finding("permissions.write-on-star", &terminate);
}

/// The same details with every policy document as a URL-encoded string, as the raw IAM API
/// returns them.
pub fn url_encoded(details: &Value) -> Value {
    fn walk(value: &Value, key: Option<&str>) -> Value {
        match value {
            Value::Object(map) if matches!(key, Some("PolicyDocument" | "AssumeRolePolicyDocument" | "Document")) => {
                Value::String(percent_encode(&Value::Object(map.clone()).to_string()))
            }
            Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), walk(v, Some(k)))).collect()),
            Value::Array(items) => Value::Array(items.iter().map(|v| walk(v, None)).collect()),
            other => other.clone(),
        }
    }
    walk(details, None)
}
