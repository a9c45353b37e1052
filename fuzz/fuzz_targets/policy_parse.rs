//! The policy and request readers and IAM's acceptance rules never panic, and a policy that parses
//! prints back to JSON that parses to the same policy.
#![no_main]

use libfuzzer_sys::fuzz_target;
use monban_policy::acceptance::{self, PolicyKind};
use monban_policy::{EvaluationInput, Policy};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(policy) = Policy::parse(text) {
        let printed = policy.to_json().to_string();
        let again = Policy::parse(&printed).expect("a printed policy parses");
        assert_eq!(again.to_json(), policy.to_json());
    }
    let _ = EvaluationInput::from_json(text);
    for kind in [PolicyKind::Managed, PolicyKind::Inline, PolicyKind::Trust, PolicyKind::Session] {
        let _ = acceptance::check(text, kind, "aws");
    }
    let _ = monban_policy::simulate::statement_positions(text);
});
