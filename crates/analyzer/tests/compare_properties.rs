//! Properties of `compare`: a policy allows nothing new over itself; adding a statement to NEW never
//! shrinks the answer; and whenever the engine allows a concrete request under NEW and denies it
//! under EXISTING, `compare` reports the action.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use monban_analyzer::compare::compare;
use monban_catalog::{ActionSet, Catalog};
use monban_policy::{authorize, Caller, Context, ContextValue, Policy, PolicySet, Request};
use proptest::prelude::*;
use serde_json::{json, Value};

const ACTIONS: &[&str] =
    &["s3:GetObject", "s3:PutObject", "s3:Get*", "s3:*", "iam:PassRole", "iam:*", "*", "s3:*Object"];
const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::c/*",
    "arn:aws:s3:::*/k",
    "arn:aws:iam::111122223333:role/*",
    "arn:aws:iam::*:role/a?",
];
const CONCRETE_ACTIONS: &[&str] =
    &["s3:GetObject", "s3:PutObject", "s3:GetObjectAcl", "iam:PassRole", "iam:CreateUser"];
const CONCRETE_RESOURCES: &[&str] =
    &["arn:aws:s3:::b/k", "arn:aws:s3:::b/x", "arn:aws:s3:::c/k", "arn:aws:iam::111122223333:role/ab", "*"];

fn condition(i: usize) -> Option<Value> {
    match i {
        1 => Some(json!({"Bool": {"aws:SecureTransport": "true"}})),
        2 => Some(json!({"StringEquals": {"aws:username": "alice"}})),
        3 => Some(json!({"StringEquals": {"aws:username": ["alice", "bob"]}})),
        _ => None,
    }
}

fn statement() -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        any::<bool>(),
        proptest::sample::subsequence(ACTIONS, 1..3),
        any::<bool>(),
        proptest::sample::subsequence(RESOURCES, 1..3),
        0usize..5,
    )
        .prop_map(|(allow, not_action, actions, not_resource, resources, cond)| {
            let mut s = json!({"Effect": if allow { "Allow" } else { "Deny" }});
            s[if not_action { "NotAction" } else { "Action" }] = json!(actions);
            s[if not_resource { "NotResource" } else { "Resource" }] = json!(resources);
            if let Some(c) = condition(cond) {
                s["Condition"] = c;
            }
            s
        })
}

fn policy() -> impl Strategy<Value = Vec<Value>> {
    proptest::collection::vec(statement(), 1..4)
}

fn parse(statements: &[Value]) -> Policy {
    Policy::parse(&json!({"Version": "2012-10-17", "Statement": statements}).to_string()).unwrap()
}

fn reported(catalog: &Catalog, new: &Policy, existing: &Policy) -> ActionSet {
    let c = compare(catalog, new, existing);
    let mut all = ActionSet::empty(catalog.action_count());
    for g in c.new_access.iter().chain(&c.may_allow) {
        all.union_with(&g.actions);
    }
    all
}

fn allowed(policy: &Policy, action: &str, resource: &str, context: usize) -> bool {
    let caller = Caller::from_arn("arn:aws:iam::111122223333:user/alice", None).unwrap();
    let mut ctx = Context::new();
    match context {
        1 => ctx.insert("aws:SecureTransport", ContextValue::single("true")),
        2 => ctx.insert("aws:username", ContextValue::single("alice")),
        3 => {
            ctx.insert("aws:username", ContextValue::single("bob"));
            ctx.insert("aws:SecureTransport", ContextValue::single("false"));
        }
        _ => {}
    }
    let request = Request::new(caller, action, resource).with_context(ctx);
    let set = PolicySet { identity: vec![Arc::new(policy.clone())], ..PolicySet::default() };
    authorize(&request, &set).is_allowed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_policy_allows_nothing_new_over_itself(p in policy()) {
        let catalog = Catalog::embedded().unwrap();
        let p = parse(&p);
        let c = compare(catalog, &p, &p);
        prop_assert!(c.new_access.is_empty() && c.may_allow.is_empty(), "{:?}", c);
    }

    #[test]
    fn adding_a_statement_never_shrinks_the_answer(new in policy(), existing in policy(), extra in statement()) {
        let catalog = Catalog::embedded().unwrap();
        let mut more = new.clone();
        more.push(extra);
        // Extra Deny statements may take access away; the property is about grants.
        prop_assume!(more.last().unwrap()["Effect"] == "Allow");
        let before = reported(catalog, &parse(&new), &parse(&existing));
        let after = reported(catalog, &parse(&more), &parse(&existing));
        let mut lost = before.clone();
        lost.subtract(&after);
        prop_assert!(lost.is_empty());
    }

    #[test]
    fn compare_reports_every_request_the_engine_newly_allows(new in policy(), existing in policy()) {
        let catalog = Catalog::embedded().unwrap();
        let (new, existing) = (parse(&new), parse(&existing));
        let found = reported(catalog, &new, &existing);
        for action in CONCRETE_ACTIONS {
            for resource in CONCRETE_RESOURCES {
                for context in 0..4 {
                    if allowed(&new, action, resource, context) && !allowed(&existing, action, resource, context) {
                        let id = catalog.find_action(action).unwrap().id();
                        prop_assert!(found.contains(id), "{action} on {resource} (context {context}) not reported");
                    }
                }
            }
        }
    }
}
