//! The wildcard matcher agrees with a regular-expression oracle: `*` is `.*`, `?` is `.`, the rest
//! literal, matched against the whole text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use monban_policy::pattern::{Lookup, Pattern, Syntax};

struct NoContext;
impl Lookup for NoContext {
    fn single(&self, _: &str) -> Option<&str> {
        None
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Some((pattern, subject)) = text.split_once('\n') else { return };
    let mut oracle = String::from("(?s)^");
    for c in pattern.chars() {
        match c {
            '*' => oracle.push_str(".*"),
            '?' => oracle.push('.'),
            c => oracle.push_str(&regex::escape(&c.to_string())),
        }
    }
    oracle.push('$');
    let Ok(regex) = regex::Regex::new(&oracle) else { return };
    let syntax = Syntax { wildcards: true, variables: false, ignore_case: false };
    assert_eq!(Pattern::new(pattern, syntax).matches(subject, &NoContext), regex.is_match(subject), "{pattern:?} ~ {subject:?}");
});
