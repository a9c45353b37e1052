//! Adding a Deny statement never turns a denied request into an allowed one, and never turns an
//! explicit deny into anything else. Input: an evaluation request, a NUL byte, a policy whose
//! statements are all made `Deny` and added to the caller's identity policies.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use monban_policy::{authorize, EvaluationInput, Outcome, Policy};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Some((request, extra)) = text.split_once('\0') else { return };
    let Ok(input) = EvaluationInput::from_json(request) else { return };
    let Ok(extra) = Policy::parse(extra) else { return };
    let mut denying = extra.to_json();
    if let Some(statements) = denying.get_mut("Statement") {
        let list = match statements {
            serde_json::Value::Array(items) => items.iter_mut().collect::<Vec<_>>(),
            other => vec![other],
        };
        for s in list {
            s["Effect"] = "Deny".into();
        }
    }
    let Ok(deny) = Policy::parse(&denying.to_string()) else { return };
    let before = authorize(&input.request, &input.policies).outcome;
    let mut policies = input.policies.clone();
    policies.identity.push(Arc::new(deny));
    let after = authorize(&input.request, &policies).outcome;
    if before != Outcome::Allow {
        assert_ne!(after, Outcome::Allow, "a Deny statement turned {before:?} into Allow");
    }
    if before == Outcome::ExplicitDeny {
        assert_eq!(after, Outcome::ExplicitDeny);
    }
});
