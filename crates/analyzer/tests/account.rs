//! Account analysis against synthetic accounts with known answers: audit and escalation find every
//! planted item and nothing else, in both input encodings; plus the near-misses of the
//! CreateRole + PutRolePolicy + AssumeRole story, one by one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use monban_analyzer::account::credentials::CredentialReport;
use monban_analyzer::account::escalation::{self, Method};
use monban_analyzer::account::synthetic::{self, Synthetic};
use monban_analyzer::account::{audit, effective, Account, Directory, Options};

fn directory(details: &serde_json::Value) -> Directory {
    let account = Account::from_json(&details.to_string(), "synthetic.json").unwrap();
    Directory::new(vec![account], Vec::new(), Options::default()).unwrap()
}

fn check(s: &Synthetic, details: &serde_json::Value) {
    let dir = directory(details);
    let admins: BTreeSet<String> =
        (0..dir.principals.len()).filter(|&i| dir.is_admin(i)).map(|i| dir.principals[i].arn.clone()).collect();
    assert_eq!(admins, s.truth.admins, "admin-equivalent principals");
    let report = escalation::analyze(&dir, None);
    let found: BTreeSet<String> = report.paths.iter().map(|p| p.principal.clone()).collect();
    let missed: Vec<_> = s.truth.escalations.difference(&found).collect();
    let extra: Vec<_> = found.difference(&s.truth.escalations).collect();
    assert!(missed.is_empty() && extra.is_empty(), "missed {missed:#?}\nextra {extra:#?}");
    for path in &report.paths {
        assert!(!path.steps.is_empty(), "{path:?}");
        assert!(path.steps.iter().all(|s| !s.statements.is_empty()), "{path:#?}");
    }
    let csv = CredentialReport::from_csv(&s.credential_report, "report.csv").unwrap();
    let audit = audit::audit(&dir, &[csv], 90);
    let got: BTreeSet<(String, String)> =
        audit.findings.iter().map(|f| (f.id.to_string(), f.principal.clone())).collect();
    let missed: Vec<_> = s.truth.findings.difference(&got).collect();
    let extra: Vec<_> = got.difference(&s.truth.findings).collect();
    assert!(missed.is_empty() && extra.is_empty(), "missed {missed:#?}\nextra {extra:#?}");
}

#[test]
fn synthetic_account_ground_truth_in_both_encodings() {
    let s = synthetic::generate(200, 2);
    check(&s, &s.details);
    check(&s, &synthetic::url_encoded(&s.details));
}

#[test]
fn both_encodings_give_identical_reports() {
    let s = synthetic::generate(100, 1);
    let a = directory(&s.details);
    let b = directory(&synthetic::url_encoded(&s.details));
    let ra = serde_json::to_string(&escalation::analyze(&a, None)).unwrap();
    let rb = serde_json::to_string(&escalation::analyze(&b, None)).unwrap();
    assert_eq!(ra, rb);
    let csv = CredentialReport::from_csv(&s.credential_report, "r.csv").unwrap();
    let fa = serde_json::to_value(audit::audit(&a, std::slice::from_ref(&csv), 90).findings).unwrap();
    let fb = serde_json::to_value(audit::audit(&b, &[csv], 90).findings).unwrap();
    assert_eq!(fa, fb);
}

fn path_of<'r>(report: &'r escalation::EscalationReport, name: &str) -> Option<&'r escalation::EscalationPath> {
    report.paths.iter().find(|p| p.principal.ends_with(&format!("/{name}")))
}

#[test]
fn methods_of_planted_paths() {
    let s = synthetic::generate(50, 1);
    let dir = directory(&s.details);
    let report = escalation::analyze(&dir, None);
    let first = |name: &str| path_of(&report, name).unwrap_or_else(|| panic!("no path for {name}")).steps[0].method;
    assert_eq!(first("esc-createrole-0"), Method::CreateRole);
    assert_eq!(first("esc-assume-0"), Method::AssumeRole);
    assert_eq!(first("esc-accesskey-0"), Method::CreateAccessKey);
    assert_eq!(first("esc-selfput-0"), Method::PolicyManipulation);
    assert_eq!(first("esc-attachrole-0"), Method::PolicyManipulation);
    assert_eq!(first("esc-policyversion-0"), Method::PolicyManipulation);
    assert_eq!(first("esc-lambda-0"), Method::PassRoleLambda);
    assert_eq!(first("esc-ec2-0"), Method::PassRoleEc2);
    assert_eq!(first("esc-group-0"), Method::AddUserToGroup);
    assert_eq!(first("esc-trust-0"), Method::UpdateAssumeRolePolicy);
    assert_eq!(first("esc-unbound-0"), Method::PolicyManipulation);
    assert_eq!(first("esc-cfn-0"), Method::PassRoleCloudFormation);
    assert_eq!(first("esc-setdefault-0"), Method::PolicyManipulation);
    assert_eq!(first("esc-updatecode-0"), Method::LambdaUpdateFunctionCode);
    let hop = path_of(&report, "esc-hop-0").unwrap();
    assert_eq!(
        hop.steps.iter().map(|s| s.method).collect::<Vec<_>>(),
        [Method::AssumeRole, Method::CreateLoginProfile]
    );
    for near in [
        "near-boundary-0",
        "near-passrole-0",
        "near-mfa-0",
        "near-deny-0",
        "near-bounded-0",
        "near-trust-0",
        "near-boundedadmin-0",
    ] {
        assert!(path_of(&report, near).is_none(), "{near} must not escalate");
    }
    // The pictures name every step.
    assert!(report.to_dot().contains("create-role"));
    assert!(report.to_mermaid().contains("-->|pass-role-lambda|"));
    // With a named target, paths lead to it.
    let admin_user = format!("arn:aws:iam::{}:user/admin-user-0", synthetic::ACCOUNT);
    let to = escalation::analyze(&dir, Some(&admin_user));
    assert!(path_of(&to, "esc-accesskey-0").is_some());
    assert!(path_of(&to, "esc-hop-0").is_some());
    assert!(path_of(&to, "near-mfa-0").is_none());
}

const SEED_USER: &str = r#"{"UserDetailList": [{"UserName": "dev", "UserId": "AIDADEV", "Arn": "arn:aws:iam::000000000000:user/dev",
  "PermissionsBoundary": BOUNDARY,
  "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": POLICY}], "GroupList": [], "AttachedManagedPolicies": []}],
  "GroupDetailList": [], "RoleDetailList": [], "Policies": [{"PolicyName": "my-permissions-boundary", "Arn": "arn:aws:iam::000000000000:policy/my-permissions-boundary",
  "DefaultVersionId": "v1", "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 1,
  "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:CreateRole", "iam:PutRolePolicy", "sts:AssumeRole"], "Resource": "*"}]}}]}]}"#;

fn seed(policy: &str, boundary: bool) -> escalation::EscalationReport {
    let b = if boundary {
        r#"{"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": "arn:aws:iam::000000000000:policy/my-permissions-boundary"}"#
    } else {
        "null"
    };
    let text = SEED_USER.replace("POLICY", policy).replace("BOUNDARY", b);
    let account = Account::from_json(&text, "seed.json").unwrap();
    escalation::analyze(&Directory::new(vec![account], Vec::new(), Options::default()).unwrap(), None)
}

/// The story of the CreateRole + PutRolePolicy + AssumeRole escalation and the
/// `iam:PermissionsBoundary` condition that stops it.
#[test]
fn create_role_story_and_its_fix() {
    let open = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:CreateRole", "iam:PutRolePolicy"], "Resource": "*"}, {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}"#;
    let report = seed(open, false);
    assert_eq!(report.paths.len(), 1);
    let step = &report.paths[0].steps[0];
    assert_eq!(step.method, Method::CreateRole);
    assert!(step.actions.iter().any(|a| a.starts_with("iam:PutRolePolicy")), "{step:?}");
    let fixed = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:CreateRole", "iam:PutRolePolicy"], "Resource": "*",
        "Condition": {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::000000000000:policy/my-permissions-boundary"}}},
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}"#;
    assert!(seed(fixed, true).paths.is_empty());
    // The condition alone (the user without a boundary) still stops it: the new role is bounded.
    assert!(seed(fixed, false).paths.is_empty());
    // A condition that accepts any boundary of the account stops nothing once the account has a
    // permissive customer managed policy to use as one.
    let loose = fixed.replace("StringEquals", "StringLike").replace("policy/my-permissions-boundary", "policy/*");
    assert!(seed(&loose, false).paths.is_empty());
    let with_open_policy = SEED_USER.replace(
        r#""Policies": ["#,
        r#""Policies": [{"PolicyName": "everything", "Arn": "arn:aws:iam::000000000000:policy/everything", "DefaultVersionId": "v1",
          "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]},"#,
    );
    let text = with_open_policy.replace("POLICY", &loose).replace("BOUNDARY", "null");
    let account = Account::from_json(&text, "seed.json").unwrap();
    let report = escalation::analyze(&Directory::new(vec![account], Vec::new(), Options::default()).unwrap(), None);
    assert_eq!(report.paths.len(), 1);
    assert!(
        report.paths[0].steps[0].actions[0].contains("boundary arn:aws:iam::000000000000:policy/everything"),
        "{:?}",
        report.paths[0]
    );
}

/// `--to` follows paths through administrator permissions: a user that can only write its own
/// policy makes itself admin, then rewrites the target role's trust policy and assumes it.
#[test]
fn named_target_is_reached_through_admin_permissions() {
    let text = r#"{"UserDetailList": [{"UserName": "dev", "UserId": "AIDADEV", "Arn": "arn:aws:iam::000000000000:user/dev",
      "UserPolicyList": [{"PolicyName": "self", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": "arn:aws:iam::000000000000:user/${aws:username}"}]}}]},
      {"UserName": "bystander", "UserId": "AIDABY", "Arn": "arn:aws:iam::000000000000:user/bystander", "UserPolicyList": []}],
      "RoleDetailList": [{"RoleName": "prod", "RoleId": "AROAPROD", "Arn": "arn:aws:iam::000000000000:role/prod",
      "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}],
      "GroupDetailList": [], "Policies": []}"#;
    let account = Account::from_json(text, "multi.json").unwrap();
    let dir = Directory::new(vec![account], Vec::new(), Options::default()).unwrap();
    let report = escalation::analyze(&dir, Some("arn:aws:iam::000000000000:role/prod"));
    assert_eq!(report.paths.len(), 1, "{:#?}", report.paths);
    let path = &report.paths[0];
    assert_eq!(path.principal, "arn:aws:iam::000000000000:user/dev");
    assert_eq!(path.reaches, "arn:aws:iam::000000000000:role/prod");
    let methods: Vec<Method> = path.steps.iter().map(|s| s.method).collect();
    assert_eq!(methods, [Method::PolicyManipulation, Method::UpdateAssumeRolePolicy]);
    assert!(path.steps[1].statements.iter().any(|s| s.contains("(policy written by the attacker)")), "{path:?}");
    // A user target is taken over through its credentials.
    let report = escalation::analyze(&dir, Some("arn:aws:iam::000000000000:user/bystander"));
    assert_eq!(report.paths.len(), 1);
    assert_eq!(report.paths[0].steps[1].method, Method::CreateAccessKey);
    // An SCP that forbids rewriting trust policies leaves the role out of reach.
    let scp = monban_policy::Policy::parse(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:UpdateAssumeRolePolicy", "Resource": "*"}]}"#,
    )
    .unwrap();
    let account = Account::from_json(text, "multi.json").unwrap();
    let dir = Directory::new(vec![account], vec![vec![std::sync::Arc::new(scp)]], Options::default()).unwrap();
    assert!(escalation::analyze(&dir, Some("arn:aws:iam::000000000000:role/prod")).paths.is_empty());
}

/// A step that needs what the attacker may supply (a source address in the network a condition
/// names) is a conditional path, stated as such, not dropped; without the condition it is plain.
#[test]
fn conditional_paths_state_their_requirement() {
    let text = r#"{"UserDetailList": [{"UserName": "ops", "UserId": "AIDAOPS", "Arn": "arn:aws:iam::000000000000:user/ops",
      "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::000000000000:role/admin",
         "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}}]}],
      "RoleDetailList": [{"RoleName": "admin", "RoleId": "AROAADMIN", "Arn": "arn:aws:iam::000000000000:role/admin",
      "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "sts:AssumeRole"}]},
      "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}],
      "GroupDetailList": [], "Policies": []}"#;
    let dir =
        Directory::new(vec![Account::from_json(text, "ip.json").unwrap()], Vec::new(), Options::default()).unwrap();
    assert!(escalation::analyze(&dir, None).paths.is_empty());
    let report = escalation::analyze_conditional(&dir, None, &mut |_, _| {});
    assert_eq!(report.paths.len(), 1, "{report:#?}");
    assert_eq!(report.paths[0].requires.as_deref(), Some("a source address in 203.0.113.0/24 (aws:SourceIp)"));
    assert!(report.to_text().contains("given a source address in 203.0.113.0/24"));
    // Without the condition the same path needs nothing.
    let plain = text.replace(
        r#",
         "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#,
        "",
    );
    let dir =
        Directory::new(vec![Account::from_json(&plain, "ip.json").unwrap()], Vec::new(), Options::default()).unwrap();
    let report = escalation::analyze_conditional(&dir, None, &mut |_, _| {});
    assert_eq!(report.paths.len(), 1);
    assert_eq!(report.paths[0].requires, None);
}

/// Several accounts and their organization as one graph: each account's SCP levels govern its
/// principals (the management account exempt), the RCPs of the role's account govern assuming it.
#[test]
fn organization_guardrails_govern_each_account() {
    let user = |account: &str, name: &str| {
        format!(
            r#"{{"UserDetailList": [{{"UserName": "{name}", "UserId": "AIDA{name}", "Arn": "arn:aws:iam::{account}:user/{name}",
            "UserPolicyList": [{{"PolicyName": "p", "PolicyDocument": {{"Version": "2012-10-17", "Statement": [
              {{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::222222222222:role/admin"}}]}}}}]}}]}}"#
        )
    };
    let admin = r#"{"RoleDetailList": [{"RoleName": "admin", "RoleId": "AROAADMIN", "Arn": "arn:aws:iam::222222222222:role/admin",
      "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": [
        "arn:aws:iam::111111111111:root", "arn:aws:iam::333333333333:root", "arn:aws:iam::444444444444:root"]}, "Action": "sts:AssumeRole"}]},
      "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}]}"#;
    let accounts = || {
        vec![
            Account::from_json(&user("111111111111", "boss"), "management.json").unwrap(),
            Account::from_json(admin, "prod.json").unwrap(),
            Account::from_json(&user("333333333333", "sandboxer"), "sandbox.json").unwrap(),
            Account::from_json(&user("444444444444", "outsider"), "outside.json").unwrap(),
        ]
    };
    let everywhere = r#"[{"TargetId": "r-1"}, {"TargetId": "ou-prod"}, {"TargetId": "ou-sandbox"}, {"TargetId": "111111111111"}, {"TargetId": "222222222222"}, {"TargetId": "333333333333"}]"#;
    let allow_all = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}]}"#;
    let org = format!(
        r#"{{"Organization": {{"Id": "o-abc", "MasterAccountId": "111111111111"}}, "Roots": [{{"Id": "r-1"}}],
        "OrganizationalUnits": [{{"Id": "ou-prod", "ParentId": "r-1"}}, {{"Id": "ou-sandbox", "ParentId": "r-1"}}],
        "Accounts": [{{"Id": "111111111111", "ParentId": "r-1"}}, {{"Id": "222222222222", "ParentId": "ou-prod"}}, {{"Id": "333333333333", "ParentId": "ou-sandbox"}}],
        "Policies": [
          {{"PolicySummary": {{"Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY"}}, "Content": "{full}", "Targets": {everywhere}}},
          {{"PolicySummary": {{"Name": "RCPFullAWSAccess", "Type": "RESOURCE_CONTROL_POLICY"}}, "Content": "{allow_all}", "Targets": {everywhere}}},
          {{"PolicySummary": {{"Name": "NoRoleHopping", "Type": "SERVICE_CONTROL_POLICY"}},
            "Content": "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Deny\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"}}]}}",
            "Targets": [{{"TargetId": "ou-sandbox"}}, {{"TargetId": "111111111111"}}]}},
          {{"PolicySummary": {{"Name": "OrgOnly", "Type": "RESOURCE_CONTROL_POLICY"}},
            "Content": "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\",\"Condition\":{{\"StringNotEqualsIfExists\":{{\"aws:PrincipalOrgID\":\"o-abc\"}}}}}}]}}",
            "Targets": [{{"TargetId": "r-1"}}]}}]}}"#,
        full = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"#,
    );
    let paths = |dir: &Directory| -> Vec<String> {
        escalation::analyze(dir, None)
            .paths
            .iter()
            .map(|p| p.principal.rsplit('/').next().unwrap().to_string())
            .collect()
    };
    // Without the organization, every caller the trust policy names gets in.
    let plain = Directory::new(accounts(), Vec::new(), Options::default()).unwrap();
    assert_eq!(paths(&plain), ["boss", "sandboxer", "outsider"]);
    // With it: the sandbox OU's SCP stops its user, the RCP stops the account outside the
    // organization, and the SCP attached to the management account does not apply there.
    let org = monban_analyzer::account::Organization::from_json(&org, "org.json").unwrap();
    let dir = Directory::in_organization(accounts(), Vec::new(), Some(org), Options::default()).unwrap();
    assert_eq!(paths(&dir), ["boss"]);
}

/// A condition on the caller's tag is a requirement the caller meets only if it may tag itself:
/// a user allowed `iam:TagUser` on itself has a conditional path, one without that right none.
#[test]
fn a_principal_tag_condition_is_met_by_those_who_may_tag_themselves() {
    let user = |name: &str, statements: &str| {
        format!(
            r#"{{"UserName": "{name}", "UserId": "AIDA{name}", "Arn": "arn:aws:iam::000000000000:user/{name}",
            "UserPolicyList": [{{"PolicyName": "p", "PolicyDocument": {{"Version": "2012-10-17", "Statement": [{statements}]}}}}]}}"#
        )
    };
    let assume =
        r#"{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::000000000000:role/admin"}"#;
    let tag_self =
        r#"{"Effect": "Allow", "Action": "iam:TagUser", "Resource": "arn:aws:iam::000000000000:user/${aws:username}"}"#;
    let text = format!(
        r#"{{"UserDetailList": [{}, {}],
        "RoleDetailList": [{{"RoleName": "admin", "RoleId": "AROAADMIN", "Arn": "arn:aws:iam::000000000000:role/admin",
          "AssumeRolePolicyDocument": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::000000000000:root"}},
            "Action": "sts:AssumeRole", "Condition": {{"StringEquals": {{"aws:PrincipalTag/team": "admins"}}}}}}]}},
          "AttachedManagedPolicies": [{{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}}]}}],
        "GroupDetailList": [], "Policies": []}}"#,
        user("dev", &format!("{assume}, {tag_self}")),
        user("meek", assume),
    );
    let dir =
        Directory::new(vec![Account::from_json(&text, "tags.json").unwrap()], Vec::new(), Options::default()).unwrap();
    assert!(escalation::analyze(&dir, None).paths.is_empty());
    let report = escalation::analyze_conditional(&dir, None, &mut |_, _| {});
    assert_eq!(report.paths.len(), 1, "{report:#?}");
    assert_eq!(report.paths[0].principal, "arn:aws:iam::000000000000:user/dev");
    assert_eq!(report.paths[0].requires.as_deref(), Some("tagging itself team=admins (aws:PrincipalTag/team)"));
}

#[test]
fn scps_apply_to_every_step() {
    let s = synthetic::generate(50, 1);
    let account = Account::from_json(&s.details.to_string(), "a.json").unwrap();
    let scp = monban_policy::Policy::parse(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": ["iam:*", "sts:AssumeRole"], "Resource": "*"}]}"#,
    )
    .unwrap();
    let dir = Directory::new(vec![account], vec![vec![std::sync::Arc::new(scp)]], Options::default()).unwrap();
    let report = escalation::analyze(&dir, None);
    // Admin-equivalence is measured against what the SCPs leave anyone: the principals allowed
    // everything still are. The only ways left to them use no IAM action and no role
    // assumption: editing compute that already runs as an admin role.
    let admins: std::collections::BTreeSet<String> = report.admins.iter().cloned().collect();
    assert_eq!(admins, s.truth.admins);
    assert!(!report.paths.is_empty());
    for path in &report.paths {
        for step in &path.steps {
            assert!(step.assumes_existing_resource, "{path:#?}");
            assert!(step.actions.iter().all(|a| !a.starts_with("iam:") && !a.starts_with("sts:")), "{path:#?}");
        }
    }
}

#[test]
fn cross_account_trust_is_followed() {
    let a = r#"{"UserDetailList": [{"UserName": "ops", "UserId": "AIDAOPS", "Arn": "arn:aws:iam::111111111111:user/ops",
      "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::222222222222:role/*"}]}}]}]}"#;
    let b = r#"{"RoleDetailList": [{"RoleName": "admin", "RoleId": "AROAADMIN", "Arn": "arn:aws:iam::222222222222:role/admin",
      "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}]},
      "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}]}"#;
    let accounts = vec![Account::from_json(a, "a.json").unwrap(), Account::from_json(b, "b.json").unwrap()];
    let dir = Directory::new(accounts, Vec::new(), Options::default()).unwrap();
    let report = escalation::analyze(&dir, None);
    assert_eq!(report.paths.len(), 1);
    assert_eq!(report.paths[0].reaches, "arn:aws:iam::222222222222:role/admin");
}

#[test]
fn effective_permissions_by_service_and_level() {
    let s = synthetic::generate(50, 1);
    let dir = directory(&s.details);
    let user = format!("arn:aws:iam::{}:user/team-0-user-0", synthetic::ACCOUNT);
    let report = effective::effective(&dir, &user).unwrap();
    let s3 = report.services.iter().find(|s| s.service == "s3").unwrap();
    let write = s3.levels.iter().find(|l| l.level == "Write").unwrap();
    let put = write.actions.iter().find(|a| a.action == "s3:PutObject").unwrap();
    assert!(put.statements[0].contains("team-0-access"), "{put:?}");
    assert!(put.resources[0].contains("team-0-bucket"), "{put:?}");
    let iam = report.services.iter().find(|s| s.service == "iam").unwrap();
    let pass = iam.levels.iter().flat_map(|l| &l.actions).find(|a| a.action == "iam:PassRole").unwrap();
    assert!(pass.conditions.iter().any(|c| c.contains("iam:PassedToService")), "{pass:?}");
    // A boundary cuts what the identity policies allow.
    let capped = format!("arn:aws:iam::{}:role/near-boundedadmin-0", synthetic::ACCOUNT);
    let report = effective::effective(&dir, &capped).unwrap();
    assert_eq!(report.total_actions, 2, "{}", report.to_text());
    assert!(effective::effective(&dir, "arn:aws:iam::1:user/nobody").is_err());
}
