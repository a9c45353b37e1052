//! When one set of conditions provably implies another: the part of condition comparison that is
//! decided exactly. Anything not provable here is "may allow" for the caller, never "equal".
//!
//! AWS: "IAM JSON policy elements: Condition operators" (values of one key are OR-ed, keys and
//! operators are AND-ed; `...IfExists` is true when the key is absent; negated operators are true
//! when the key is absent) and "Multivalued context keys" (`ForAllValues`, `ForAnyValue`).

use monban_policy::condition::{Operator, Values};
use monban_policy::policy::Condition;

use super::glob::{Glob, Variables};

/// Whether every request that satisfies all of `given` also satisfies all of `required`.
/// `false` means "not proven", not "disproven".
pub fn implies(given: &[&Condition], required: &[Condition]) -> bool {
    required.iter().all(|r| given.iter().any(|g| narrower(g, r)))
}

/// Whether condition `a` holding proves that condition `b` holds.
pub fn narrower(a: &Condition, b: &Condition) -> bool {
    if a.key_lowercase != b.key_lowercase || a.operator.qualifier != b.operator.qualifier {
        return false;
    }
    if a.operator == b.operator && a.values == b.values {
        return true;
    }
    // `a` true on an absent key while `b` is false there.
    if a.operator.if_exists && !b.operator.if_exists && !b.operator.is_negated() {
        return false;
    }
    if a.operator.family() != b.operator.family() || a.operator.is_negated() != b.operator.is_negated() {
        return false;
    }
    let negated = a.operator.is_negated();
    let (oa, ob) = (&a.operator, &b.operator);
    match (&a.values, &b.values) {
        (Values::Strings(va), Values::Strings(vb)) => {
            // Case-insensitive operators compare folded text; only mix them with themselves.
            let fold = |o: &Operator| o.base_name().contains("IgnoreCase");
            if fold(oa) != fold(ob) {
                return false;
            }
            let ga: Vec<Option<Glob>> = va.iter().map(|p| Glob::from_pattern(p, Variables::Drop)).collect();
            let gb: Vec<Option<Glob>> = vb.iter().map(|p| Glob::from_pattern(p, Variables::Drop)).collect();
            // The engine compiled `StringEquals` values without wildcards: one-text languages.
            if negated {
                covered(&gb, &ga, vb, va)
            } else {
                covered(&ga, &gb, va, vb)
            }
        }
        (Values::Arns(va), Values::Arns(vb)) => {
            let ga: Vec<Option<Glob>> = va.iter().map(|p| Glob::from_arn(p, Variables::Drop)).collect();
            let gb: Vec<Option<Glob>> = vb.iter().map(|p| Glob::from_arn(p, Variables::Drop)).collect();
            if negated {
                covered(&gb, &ga, vb, va)
            } else {
                covered(&ga, &gb, va, vb)
            }
        }
        (Values::Numbers(va), Values::Numbers(vb)) => ordered(oa, ob, va, vb, negated),
        (Values::Dates(va), Values::Dates(vb)) => {
            let fa: Vec<f64> = va.iter().map(|d| *d as f64).collect();
            let fb: Vec<f64> = vb.iter().map(|d| *d as f64).collect();
            ordered(oa, ob, &fa, &fb, negated)
        }
        (Values::Bools(va), Values::Bools(vb)) => oa.base_name() == ob.base_name() && va.iter().all(|v| vb.contains(v)),
        (Values::Binary(va), Values::Binary(vb)) => va.iter().all(|v| vb.contains(v)),
        (Values::Cidrs(va), Values::Cidrs(vb)) => {
            if negated {
                vb.iter().all(|b| va.iter().any(|a| a.covers(b)))
            } else {
                va.iter().all(|a| vb.iter().any(|b| b.covers(a)))
            }
        }
        (Values::Null(va), Values::Null(vb)) => va.iter().all(|v| vb.contains(v)),
        _ => false,
    }
}

/// Whether every value language of `small` is inside some value language of `big`. Values with
/// variables only match themselves, textually.
fn covered<T: PartialEq>(small: &[Option<Glob>], big: &[Option<Glob>], small_raw: &[T], big_raw: &[T]) -> bool {
    small.iter().zip(small_raw).all(|(s, raw)| {
        if big_raw.contains(raw) {
            return true;
        }
        let Some(s) = s else { return false };
        big.iter().flatten().any(|b| s.is_subset_of(b).unwrap_or(false))
    })
}

/// Numeric and date bounds: values are OR-ed, so `x < [a, b]` means `x < max(a, b)`.
fn ordered(oa: &Operator, ob: &Operator, va: &[f64], vb: &[f64], negated: bool) -> bool {
    let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let (a, b) = (oa.base_name(), ob.base_name());
    if negated {
        // `x != every a` implies `x != every b` when b's values are among a's.
        return vb.iter().all(|v| va.contains(v));
    }
    let less = |name: &str| name.ends_with("LessThan");
    let less_eq = |name: &str| name.ends_with("LessThanEquals");
    let greater = |name: &str| name.ends_with("GreaterThan");
    let greater_eq = |name: &str| name.ends_with("GreaterThanEquals");
    let equals = |name: &str| name.ends_with("Equals") && !name.contains("Than");
    if equals(a) {
        // Exact values: each must satisfy b.
        return va.iter().all(|x| satisfies(b, *x, vb));
    }
    if (less(a) || less_eq(a)) && (less(b) || less_eq(b)) {
        let (ma, mb) = (max(va), max(vb));
        return ma < mb || (ma == mb && (less(a) || less_eq(b)));
    }
    if (greater(a) || greater_eq(a)) && (greater(b) || greater_eq(b)) {
        let (ma, mb) = (min(va), min(vb));
        return ma > mb || (ma == mb && (greater(a) || greater_eq(b)));
    }
    false
}

fn satisfies(name: &str, x: f64, values: &[f64]) -> bool {
    values.iter().any(|&v| {
        if name.ends_with("LessThanEquals") {
            x <= v
        } else if name.ends_with("LessThan") {
            x < v
        } else if name.ends_with("GreaterThanEquals") {
            x >= v
        } else if name.ends_with("GreaterThan") {
            x > v
        } else {
            x == v
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use monban_policy::Policy;

    fn conditions(block: &str) -> Vec<Condition> {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{block}}}}}"#
        );
        Policy::parse(&text).unwrap().statements.remove(0).conditions
    }

    fn implied(a: &str, b: &str) -> bool {
        let a = conditions(a);
        let refs: Vec<&Condition> = a.iter().collect();
        implies(&refs, &conditions(b))
    }

    #[test]
    fn narrower_conditions_are_proven() {
        assert!(implied(
            r#"{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}"#,
            r#"{"StringEquals":{"aws:requestedregion":["eu-west-1","eu-west-2"]}}"#
        ));
        assert!(!implied(
            r#"{"StringEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}"#,
            r#"{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}"#
        ));
        assert!(implied(r#"{"StringLike":{"s3:prefix":"home/alice/*"}}"#, r#"{"StringLike":{"s3:prefix":"home/*"}}"#));
        assert!(implied(
            r#"{"StringNotEquals":{"aws:PrincipalTag/t":["a","b"]}}"#,
            r#"{"StringNotEquals":{"aws:PrincipalTag/t":"a"}}"#
        ));
        assert!(implied(
            r#"{"NumericLessThan":{"s3:max-keys":"5"}}"#,
            r#"{"NumericLessThanEquals":{"s3:max-keys":"5"}}"#
        ));
        assert!(!implied(
            r#"{"NumericLessThanEquals":{"s3:max-keys":"5"}}"#,
            r#"{"NumericLessThan":{"s3:max-keys":"5"}}"#
        ));
        assert!(implied(
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/25"}}"#,
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#
        ));
        assert!(!implied(
            r#"{"IpAddress":{"aws:SourceIp":"203.0.112.0/23"}}"#,
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#
        ));
        assert!(implied(r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#, "{}"));
        assert!(!implied("{}", r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#));
        assert!(!implied(r#"{"StringEqualsIfExists":{"a:b":"x"}}"#, r#"{"StringEquals":{"a:b":"x"}}"#));
        assert!(implied(r#"{"StringEquals":{"a:b":"x"}}"#, r#"{"StringEqualsIfExists":{"a:b":"x"}}"#));
    }
}
