//! Condition operators: one table, compiled values, and the evaluation rules for missing keys,
//! multivalued keys and set qualifiers.
//!
//! AWS: "IAM JSON policy elements: Condition operators" and "Multivalued context keys"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>).
//!
//! The rules, for a compiled condition `Operator key: [v1, v2, ...]`:
//! - values are OR-ed: a context value satisfies a positive operator when it matches any value, and a
//!   negated operator (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`...) when it matches none;
//! - an absent key (or an empty set) makes a positive operator false and a negated one true, unless
//!   `...IfExists` makes every operator true; `Null` tests presence itself;
//! - `ForAnyValue:` needs at least one context value to satisfy the operator (false when absent);
//!   `ForAllValues:` needs every context value to (true when absent or empty); without a qualifier,
//!   a positive operator needs some value to match and a negated one needs all to not match;
//! - a context value of the wrong type (not a number for `Numeric...`, not an IP for `IpAddress`)
//!   satisfies neither a positive nor a negated operator.

use std::net::IpAddr;

use base64::Engine as _;

use crate::pattern::{ArnPattern, Lookup, Pattern, SplitArn, Syntax};
use crate::policy::DocumentErrorKind;

/// The operator families, each with its own value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Family {
    /// `StringEquals`, `StringLike`, ... (text; variables allowed)
    String,
    /// `NumericEquals`, ... (decimal numbers)
    Numeric,
    /// `DateEquals`, ... (ISO 8601 or epoch seconds)
    Date,
    /// `Bool`
    Bool,
    /// `BinaryEquals` (base64)
    Binary,
    /// `IpAddress`, `NotIpAddress` (CIDRs, IPv4 and IPv6)
    Ip,
    /// `ArnEquals`, `ArnLike`, ... (per-segment wildcards; variables allowed)
    Arn,
    /// `Null` (presence test)
    Null,
}

/// How a context value is compared with a policy value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    Equals,
    EqualsIgnoreCase,
    Like,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
    InRange,
    Presence,
}

/// One row of the operator table.
#[derive(Debug)]
struct OperatorInfo {
    name: &'static str,
    family: Family,
    test: Test,
    negated: bool,
}

const fn op(name: &'static str, family: Family, test: Test, negated: bool) -> OperatorInfo {
    OperatorInfo { name, family, test, negated }
}

/// Every base operator AWS defines; `IfExists` and the set qualifiers are read around these names.
static OPERATORS: &[OperatorInfo] = &[
    op("StringEquals", Family::String, Test::Equals, false),
    op("StringNotEquals", Family::String, Test::Equals, true),
    op("StringEqualsIgnoreCase", Family::String, Test::EqualsIgnoreCase, false),
    op("StringNotEqualsIgnoreCase", Family::String, Test::EqualsIgnoreCase, true),
    op("StringLike", Family::String, Test::Like, false),
    op("StringNotLike", Family::String, Test::Like, true),
    op("NumericEquals", Family::Numeric, Test::Equals, false),
    op("NumericNotEquals", Family::Numeric, Test::Equals, true),
    op("NumericLessThan", Family::Numeric, Test::LessThan, false),
    op("NumericLessThanEquals", Family::Numeric, Test::LessThanEquals, false),
    op("NumericGreaterThan", Family::Numeric, Test::GreaterThan, false),
    op("NumericGreaterThanEquals", Family::Numeric, Test::GreaterThanEquals, false),
    op("DateEquals", Family::Date, Test::Equals, false),
    op("DateNotEquals", Family::Date, Test::Equals, true),
    op("DateLessThan", Family::Date, Test::LessThan, false),
    op("DateLessThanEquals", Family::Date, Test::LessThanEquals, false),
    op("DateGreaterThan", Family::Date, Test::GreaterThan, false),
    op("DateGreaterThanEquals", Family::Date, Test::GreaterThanEquals, false),
    op("Bool", Family::Bool, Test::Equals, false),
    op("BinaryEquals", Family::Binary, Test::Equals, false),
    op("IpAddress", Family::Ip, Test::InRange, false),
    op("NotIpAddress", Family::Ip, Test::InRange, true),
    op("ArnEquals", Family::Arn, Test::Like, false),
    op("ArnLike", Family::Arn, Test::Like, false),
    op("ArnNotEquals", Family::Arn, Test::Like, true),
    op("ArnNotLike", Family::Arn, Test::Like, true),
    op("Null", Family::Null, Test::Presence, false),
];

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SetQualifier {
    /// Every context value must satisfy the operator (true when the key is absent).
    ForAllValues,
    /// At least one context value must satisfy the operator (false when the key is absent).
    ForAnyValue,
}

/// Why an operator name is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperatorError {
    /// No such operator (perhaps a different case of one).
    #[error("unknown condition operator `{name}`{}", suggestion.map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    Unknown {
        /// The name as written.
        name: String,
        /// The operator it differs from only in case.
        suggestion: Option<&'static str>,
    },
    /// `Null` takes neither `IfExists` nor a set qualifier.
    #[error("`Null` cannot take `IfExists` or a set qualifier (`{0}`)")]
    NullWithQualifier(String),
}

impl OperatorError {
    /// The document error kind it is.
    pub fn kind(&self) -> DocumentErrorKind {
        match self {
            OperatorError::Unknown { .. } => DocumentErrorKind::InvalidConditionOperator,
            OperatorError::NullWithQualifier(_) => DocumentErrorKind::NullWithQualifier,
        }
    }
}

/// A condition value that its operator cannot read: the text and the family that wanted another
/// type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not {}", expected(*family))]
pub struct ValueError {
    /// The value as written.
    pub text: String,
    /// The operator's family.
    pub family: Family,
}

fn expected(family: Family) -> &'static str {
    match family {
        Family::Numeric => "a number",
        Family::Date => "a date (ISO 8601 or epoch seconds)",
        Family::Bool => "a boolean (`true` or `false`)",
        Family::Null => "a boolean (`Null` takes `true` or `false`)",
        Family::Binary => "base64",
        Family::Ip => "a CIDR",
        Family::String | Family::Arn => "a string",
    }
}

impl ValueError {
    /// The document error kind it is.
    pub fn kind(&self) -> DocumentErrorKind {
        match self.family {
            Family::Numeric => DocumentErrorKind::NotANumber,
            Family::Date => DocumentErrorKind::NotADate,
            Family::Bool | Family::Null => DocumentErrorKind::NotABoolean,
            Family::Binary => DocumentErrorKind::NotBase64,
            Family::Ip => DocumentErrorKind::NotACidr,
            Family::String | Family::Arn => DocumentErrorKind::InvalidConditionValue,
        }
    }
}

/// A parsed operator name such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy)]
pub struct Operator {
    info: &'static OperatorInfo,
    /// The set qualifier, if any.
    pub qualifier: Option<SetQualifier>,
    /// Whether `IfExists` was appended.
    pub if_exists: bool,
}

impl PartialEq for Operator {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.info, other.info) && self.qualifier == other.qualifier && self.if_exists == other.if_exists
    }
}

impl Operator {
    /// Reads an operator name. Names are case-sensitive, as in AWS.
    pub fn parse(name: &str) -> Result<Operator, OperatorError> {
        let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else {
            (None, name)
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let info = OPERATORS.iter().find(|o| o.name == base).ok_or_else(|| OperatorError::Unknown {
            name: name.to_string(),
            suggestion: OPERATORS.iter().find(|o| o.name.eq_ignore_ascii_case(base)).map(|o| o.name),
        })?;
        if info.family == Family::Null && (if_exists || qualifier.is_some()) {
            return Err(OperatorError::NullWithQualifier(name.to_string()));
        }
        Ok(Operator { info, qualifier, if_exists })
    }

    /// The operator's full name as written in policies.
    pub fn name(&self) -> String {
        let prefix = match self.qualifier {
            Some(SetQualifier::ForAllValues) => "ForAllValues:",
            Some(SetQualifier::ForAnyValue) => "ForAnyValue:",
            None => "",
        };
        let suffix = if self.if_exists { "IfExists" } else { "" };
        format!("{prefix}{}{suffix}", self.info.name)
    }

    /// The base operator's name, without qualifier or `IfExists`.
    pub fn base_name(&self) -> &'static str {
        self.info.name
    }

    /// The value family, which decides how policy values are read.
    pub fn family(&self) -> Family {
        self.info.family
    }

    /// Whether this is a negated operator (`StringNotEquals`, `NotIpAddress`, ...).
    pub fn is_negated(&self) -> bool {
        self.info.negated
    }
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Reads `a.b.c.d/n`, `a::b/n`, or a plain address (a single host).
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = addr.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 3 => {
                p.parse::<u8>().ok()?
            }
            Some(_) => return None,
            None => max,
        };
        (prefix <= max).then_some(Cidr { network, prefix })
    }

    /// The network address as written (host bits are kept, as AWS ignores them when matching).
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length in bits.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether every address of `other` is inside this network, for comparing conditions.
    pub fn covers(&self, other: &Cidr) -> bool {
        other.prefix >= self.prefix && self.contains(other.network)
    }

    /// Whether the address is inside the network. IPv4 and IPv6 never match each other.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Reads a decimal number as AWS's numeric operators do: an optional sign, digits, an optional
/// fraction. Exponents, `inf` and `NaN` are not numbers here.
pub fn parse_number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        text.parse().ok()
    } else {
        None
    }
}

/// Reads a date as nanoseconds since the Unix epoch: epoch seconds (`1700000000`), or ISO 8601
/// (`2020-01-01`, `2020-01-01T12:00:00Z`, with optional minutes-only time, fractional seconds and a
/// `Z` or `±hh:mm` offset; no offset means UTC).
pub fn parse_date(text: &str) -> Option<i128> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) || text.starts_with('-') {
        let seconds: i128 = text.parse().ok()?;
        return seconds.checked_mul(1_000_000_000);
    }
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(range)?;
        s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse().ok())?
    };
    if b.len() < 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let mut seconds = days_from_civil(year, month, day)? * 86_400;
    let mut nanos: i64 = 0;
    let rest = text.get(10..)?;
    if !rest.is_empty() {
        let time = rest.strip_prefix(['T', 't'])?;
        let tb = time.as_bytes();
        if tb.len() < 5 || tb.get(2) != Some(&b':') {
            return None;
        }
        let (hour, minute) = (num(11..13)?, num(14..16)?);
        let mut i = 16;
        let mut second = 0;
        if b.get(i) == Some(&b':') {
            second = num(i + 1..i + 3)?;
            i += 3;
            if b.get(i) == Some(&b'.') {
                let start = i + 1;
                let mut end = start;
                while b.get(end).is_some_and(u8::is_ascii_digit) {
                    end += 1;
                }
                let frac = text.get(start..end)?;
                if frac.is_empty() {
                    return None;
                }
                let padded = format!("{:0<9}", frac.get(..frac.len().min(9))?);
                nanos = padded.parse().ok()?;
                i = end;
            }
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        seconds += hour * 3600 + minute * 60 + second;
        let offset = text.get(i..)?;
        match offset {
            "" | "Z" | "z" => {}
            _ => {
                let sign = match offset.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return None,
                };
                let o = offset.get(1..)?;
                let (oh, om) = match o.len() {
                    5 if o.as_bytes().get(2) == Some(&b':') => (o.get(0..2)?, o.get(3..5)?),
                    4 => (o.get(0..2)?, o.get(2..4)?),
                    2 => (o, "00"),
                    _ => return None,
                };
                let (oh, om): (i64, i64) = (oh.parse().ok()?, om.parse().ok()?);
                if oh > 23 || om > 59 {
                    return None;
                }
                seconds -= sign * (oh * 3600 + om * 60);
            }
        }
    }
    Some(i128::from(seconds) * 1_000_000_000 + i128::from(nanos))
}

/// Writes seconds since the Unix epoch as the ISO 8601 UTC form AWS uses everywhere
/// (`2026-11-22T06:35:44Z`), the inverse of [`parse_date`] for whole seconds. Times beyond the
/// years -9999..=9999 are written as the nearest of those.
pub fn format_date(epoch_seconds: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(epoch_seconds).unwrap_or(if epoch_seconds < 0 {
        time::PrimitiveDateTime::MIN.assume_utc()
    } else {
        time::PrimitiveDateTime::MAX.assume_utc()
    });
    // A format described once, at compile time: every request's `aws:CurrentTime` is written
    // here.
    const ISO8601: &[time::format_description::BorrowedFormatItem<'_>] =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(ISO8601).unwrap_or_default()
}

/// Days since 1970-01-01 of a proleptic Gregorian date, if it is one.
fn days_from_civil(year: i64, month: i64, day: i64) -> Option<i64> {
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    Some(i64::from(
        date.to_julian_day() - time::Date::from_calendar_date(1970, time::Month::January, 1).ok()?.to_julian_day(),
    ))
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// The policy values of one condition, compiled for their family.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// String operators (and `StringLike` patterns).
    Strings(Vec<Pattern>),
    /// Numeric operators.
    Numbers(Vec<f64>),
    /// Date operators, in nanoseconds since the epoch.
    Dates(Vec<i128>),
    /// `Bool`.
    Bools(Vec<bool>),
    /// `BinaryEquals`, decoded.
    Binary(Vec<Vec<u8>>),
    /// `IpAddress` / `NotIpAddress`.
    Cidrs(Vec<Cidr>),
    /// ARN operators.
    Arns(Vec<ArnPattern>),
    /// `Null`: `true` means "the key must be absent".
    Null(Vec<bool>),
}

impl Values {
    /// Compiles the policy's text values for an operator; the error says which value is wrong and why.
    /// `variables` is whether `${...}` is substituted (policy Version 2012-10-17).
    pub fn compile(operator: &Operator, texts: &[&str], variables: bool) -> Result<Values, (usize, ValueError)> {
        let family = operator.info.family;
        fn read<T>(
            texts: &[&str],
            family: Family,
            parse: impl Fn(&str) -> Option<T>,
        ) -> Result<Vec<T>, (usize, ValueError)> {
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| parse(t).ok_or_else(|| (i, ValueError { text: (*t).to_string(), family })))
                .collect()
        }
        Ok(match family {
            Family::String => {
                let syntax = Syntax {
                    wildcards: operator.info.test == Test::Like,
                    variables,
                    ignore_case: operator.info.test == Test::EqualsIgnoreCase,
                };
                Values::Strings(read(texts, family, |t| Some(Pattern::new(t, syntax)))?)
            }
            Family::Numeric => Values::Numbers(read(texts, family, parse_number)?),
            Family::Date => Values::Dates(read(texts, family, parse_date)?),
            Family::Bool => Values::Bools(read(texts, family, parse_bool)?),
            Family::Binary => {
                Values::Binary(read(texts, family, |t| base64::engine::general_purpose::STANDARD.decode(t).ok())?)
            }
            Family::Ip => Values::Cidrs(read(texts, family, Cidr::parse)?),
            Family::Arn => {
                let syntax = Syntax { wildcards: true, variables, ignore_case: false };
                Values::Arns(read(texts, family, |t| Some(ArnPattern::new(t, syntax)))?)
            }
            Family::Null => Values::Null(read(texts, family, parse_bool)?),
        })
    }
}

/// Evaluates one condition (one operator and one key) against the key's context values.
pub fn evaluate(operator: &Operator, values: &Values, context: Option<&[Box<str>]>, lookup: &dyn Lookup) -> bool {
    let present = context.filter(|v| !v.is_empty());
    if let Values::Null(expect_absent) = values {
        return expect_absent.iter().any(|&absent| absent == present.is_none());
    }
    let Some(context) = present else {
        // AWS: an absent key makes the condition false, except for IfExists (true), negated
        // operators (true) and ForAllValues (true: the empty set is a subset of anything).
        return operator.if_exists
            || match operator.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => operator.info.negated,
            };
    };
    let satisfies = |value: &str| -> bool {
        match matches_any(operator.info.test, values, value, lookup) {
            Some(matched) => matched != operator.info.negated,
            None => false,
        }
    };
    match operator.qualifier {
        Some(SetQualifier::ForAllValues) => context.iter().all(|v| satisfies(v)),
        Some(SetQualifier::ForAnyValue) => context.iter().any(|v| satisfies(v)),
        None if operator.info.negated => context.iter().all(|v| satisfies(v)),
        None => context.iter().any(|v| satisfies(v)),
    }
}

/// Whether one context value matches any policy value; `None` when it is not of the operator's type.
fn matches_any(test: Test, values: &Values, value: &str, lookup: &dyn Lookup) -> Option<bool> {
    Some(match values {
        Values::Strings(patterns) => patterns.iter().any(|p| p.matches(value, lookup)),
        Values::Numbers(numbers) => {
            let n = parse_number(value)?;
            numbers.iter().any(|&v| compare(test, n.partial_cmp(&v)))
        }
        Values::Dates(dates) => {
            let d = parse_date(value)?;
            dates.iter().any(|&v| compare(test, Some(d.cmp(&v))))
        }
        Values::Bools(bools) => {
            let b = parse_bool(value)?;
            bools.contains(&b)
        }
        Values::Binary(blobs) => {
            let bytes = base64::engine::general_purpose::STANDARD.decode(value).ok()?;
            blobs.contains(&bytes)
        }
        Values::Cidrs(cidrs) => {
            let ip: IpAddr = value.parse().ok()?;
            cidrs.iter().any(|c| c.contains(ip))
        }
        Values::Arns(patterns) => {
            let arn = SplitArn::new(value);
            arn.segments?;
            patterns.iter().any(|p| p.matches(&arn, lookup))
        }
        Values::Null(_) => return None,
    })
}

fn compare(test: Test, ordering: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::*;
    matches!(
        (test, ordering),
        (Test::Equals, Some(Equal))
            | (Test::LessThan, Some(Less))
            | (Test::LessThanEquals, Some(Less | Equal))
            | (Test::GreaterThan, Some(Greater))
            | (Test::GreaterThanEquals, Some(Greater | Equal))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Empty;
    impl Lookup for Empty {
        fn single(&self, _: &str) -> Option<&str> {
            None
        }
    }

    fn check(op: &str, policy: &[&str], context: Option<&[&str]>) -> bool {
        let operator = Operator::parse(op).unwrap();
        let values = Values::compile(&operator, policy, true).unwrap();
        let context: Option<Vec<Box<str>>> = context.map(|c| c.iter().map(|s| Box::from(*s)).collect());
        evaluate(&operator, &values, context.as_deref(), &Empty)
    }

    #[test]
    fn operator_names_parse_with_qualifiers_and_if_exists() {
        let o = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(o.qualifier, Some(SetQualifier::ForAnyValue));
        assert!(o.if_exists);
        assert_eq!(o.name(), "ForAnyValue:StringLikeIfExists");
        assert!(Operator::parse("StringEqual").is_err());
        assert!(Operator::parse("stringequals").unwrap_err().to_string().contains("did you mean `StringEquals`"));
        assert!(Operator::parse("NullIfExists").is_err());
    }

    #[test]
    fn missing_keys_follow_the_operator() {
        assert!(!check("StringEquals", &["a"], None));
        assert!(check("StringNotEquals", &["a"], None));
        assert!(check("StringEqualsIfExists", &["a"], None));
        assert!(check("ForAllValues:StringEquals", &["a"], None));
        assert!(!check("ForAnyValue:StringEquals", &["a"], None));
        assert!(check("ForAllValues:StringEquals", &["a"], Some(&[])));
        assert!(check("Null", &["true"], None));
        assert!(!check("Null", &["false"], None));
        assert!(check("Null", &["false"], Some(&["x"])));
    }

    #[test]
    fn negated_operators_need_every_value_to_differ() {
        assert!(!check("StringNotEquals", &["a", "b"], Some(&["b"])));
        assert!(check("StringNotEquals", &["a", "b"], Some(&["c"])));
        assert!(!check("StringNotEquals", &["a"], Some(&["a", "c"])));
        assert!(check("ForAnyValue:StringNotEquals", &["a"], Some(&["a", "c"])));
    }

    #[test]
    fn sets() {
        assert!(check("ForAllValues:StringEquals", &["a", "b"], Some(&["a", "b"])));
        assert!(!check("ForAllValues:StringEquals", &["a", "b"], Some(&["a", "c"])));
        assert!(check("ForAnyValue:StringEquals", &["a"], Some(&["c", "a"])));
    }

    #[test]
    fn typed_families() {
        assert!(check("NumericLessThan", &["10"], Some(&["9.5"])));
        assert!(!check("NumericLessThan", &["10"], Some(&["ten"])));
        assert!(!check("NumericNotEquals", &["10"], Some(&["ten"])), "wrong type satisfies neither");
        assert!(check("DateGreaterThan", &["2020-01-01T00:00:00Z"], Some(&["1600000000"])));
        assert!(check("DateEquals", &["2020-01-01T09:00:00+09:00"], Some(&["2020-01-01"])));
        assert!(check("Bool", &["false"], Some(&["FALSE"])));
        assert!(check("BinaryEquals", &["QmluYXJ5VmFsdWU="], Some(&["QmluYXJ5VmFsdWU="])));
        assert!(check("IpAddress", &["203.0.113.0/24"], Some(&["203.0.113.9"])));
        assert!(check("IpAddress", &["2001:db8::/32"], Some(&["2001:db8::1"])));
        assert!(!check("IpAddress", &["203.0.113.0/24"], Some(&["2001:db8::1"])));
        assert!(check("NotIpAddress", &["203.0.113.0/24"], Some(&["198.51.100.1"])));
        assert!(check("ArnLike", &["arn:aws:iam::*:role/x*"], Some(&["arn:aws:iam::1:role/xy"])));
        assert!(!check("ArnLike", &["arn:aws:iam::*:role/x*"], Some(&["not-an-arn"])));
    }

    #[test]
    fn bad_values_are_compile_errors() {
        let ip = Operator::parse("IpAddress").unwrap();
        let (index, error) = Values::compile(&ip, &["10.0.0.300/8"], true).unwrap_err();
        assert_eq!((index, error.to_string()), (0, "`10.0.0.300/8` is not a CIDR".to_string()));
        assert_eq!(error.kind(), DocumentErrorKind::NotACidr);
        let n = Operator::parse("NumericEquals").unwrap();
        assert!(Values::compile(&n, &["1", "1e3"], true).is_err());
        let d = Operator::parse("DateEquals").unwrap();
        assert!(Values::compile(&d, &["2020-02-30"], true).is_err());
    }

    #[test]
    fn dates_format_and_parse_back() {
        for secs in [0i64, 951_782_400, 1_795_329_344, -86_400, 4_102_444_800] {
            let text = format_date(secs);
            assert_eq!(parse_date(&text), Some(i128::from(secs) * 1_000_000_000), "{text}");
        }
        assert_eq!(format_date(1_795_329_344), "2026-11-22T06:35:44Z");
        // Years are four digits, zero-padded; beyond the representable range, its ends.
        assert_eq!(format_date(-46_374_396_711), "0500-06-15T07:08:09Z");
        assert_eq!(format_date(i64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(format_date(i64::MIN), "-9999-01-01T00:00:00Z");
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000_000_000));
        assert_eq!(parse_date("2000-03-01T00:00:00.5Z"), Some(951_868_800_500_000_000));
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_date("2024-02-29"), parse_date("1709164800"));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2020-01-01T25:00:00Z"), None);
    }
}
