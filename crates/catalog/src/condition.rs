//! Condition keys and their value types, so that a policy's `Condition` block can be checked against
//! the operators each key accepts.

use std::fmt;

use crate::pattern::{compile_template, matches, Op};

/// The value type of a condition key, as the Service Authorization Reference and the global
/// condition keys page name it. The `ArrayOf…` types are multivalued keys, which need a set
/// operator (`ForAnyValue:` / `ForAllValues:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConditionKeyType {
    /// `String`: string operators.
    String,
    /// `ARN`: ARN operators (string operators also work).
    Arn,
    /// `Numeric`: numeric operators.
    Numeric,
    /// `Date`: date operators.
    Date,
    /// `Bool`: the `Bool` operator.
    Bool,
    /// `IPAddress`: `IpAddress` / `NotIpAddress`.
    IpAddress,
    /// `Binary`: the `BinaryEquals` operator.
    Binary,
    /// `ArrayOfString`: a multivalued string key.
    ArrayOfString,
    /// `ArrayOfARN`: a multivalued ARN key.
    ArrayOfArn,
    /// `ArrayOfNumeric`: a multivalued numeric key.
    ArrayOfNumeric,
    /// `ArrayOfDate`: a multivalued date key.
    ArrayOfDate,
    /// `ArrayOfBool`: a multivalued boolean key.
    ArrayOfBool,
    /// `ArrayOfIPAddress`: a multivalued IP address key.
    ArrayOfIpAddress,
    /// `ArrayOfBinary`: a multivalued binary key.
    ArrayOfBinary,
}

impl ConditionKeyType {
    /// AWS's name for the type, e.g. `ArrayOfString`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionKeyType::String => "String",
            ConditionKeyType::Arn => "ARN",
            ConditionKeyType::Numeric => "Numeric",
            ConditionKeyType::Date => "Date",
            ConditionKeyType::Bool => "Bool",
            ConditionKeyType::IpAddress => "IPAddress",
            ConditionKeyType::Binary => "Binary",
            ConditionKeyType::ArrayOfString => "ArrayOfString",
            ConditionKeyType::ArrayOfArn => "ArrayOfARN",
            ConditionKeyType::ArrayOfNumeric => "ArrayOfNumeric",
            ConditionKeyType::ArrayOfDate => "ArrayOfDate",
            ConditionKeyType::ArrayOfBool => "ArrayOfBool",
            ConditionKeyType::ArrayOfIpAddress => "ArrayOfIPAddress",
            ConditionKeyType::ArrayOfBinary => "ArrayOfBinary",
        }
    }

    /// Parses AWS's name for the type (exact spelling, as in the generated data).
    pub fn from_aws_name(name: &str) -> Option<ConditionKeyType> {
        Some(match name {
            "String" => ConditionKeyType::String,
            "ARN" => ConditionKeyType::Arn,
            "Numeric" => ConditionKeyType::Numeric,
            "Date" => ConditionKeyType::Date,
            "Bool" => ConditionKeyType::Bool,
            "IPAddress" => ConditionKeyType::IpAddress,
            "Binary" => ConditionKeyType::Binary,
            "ArrayOfString" => ConditionKeyType::ArrayOfString,
            "ArrayOfARN" => ConditionKeyType::ArrayOfArn,
            "ArrayOfNumeric" => ConditionKeyType::ArrayOfNumeric,
            "ArrayOfDate" => ConditionKeyType::ArrayOfDate,
            "ArrayOfBool" => ConditionKeyType::ArrayOfBool,
            "ArrayOfIPAddress" => ConditionKeyType::ArrayOfIpAddress,
            "ArrayOfBinary" => ConditionKeyType::ArrayOfBinary,
            _ => return None,
        })
    }

    /// Whether the key carries a set of values, so that a condition on it needs `ForAnyValue:` or
    /// `ForAllValues:`.
    pub fn is_multivalued(self) -> bool {
        self.element_type() != self
    }

    /// The type of one value: `ArrayOfString` → `String`; single-valued types are their own element.
    pub fn element_type(self) -> ConditionKeyType {
        match self {
            ConditionKeyType::ArrayOfString => ConditionKeyType::String,
            ConditionKeyType::ArrayOfArn => ConditionKeyType::Arn,
            ConditionKeyType::ArrayOfNumeric => ConditionKeyType::Numeric,
            ConditionKeyType::ArrayOfDate => ConditionKeyType::Date,
            ConditionKeyType::ArrayOfBool => ConditionKeyType::Bool,
            ConditionKeyType::ArrayOfIpAddress => ConditionKeyType::IpAddress,
            ConditionKeyType::ArrayOfBinary => ConditionKeyType::Binary,
            single => single,
        }
    }
}

impl fmt::Display for ConditionKeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A condition key with its value type. Names may be templates: `aws:ResourceTag/${TagKey}` stands
/// for every `aws:ResourceTag/…` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConditionKey {
    pub(crate) name: &'static str,
    pub(crate) key_type: ConditionKeyType,
}

impl ConditionKey {
    /// The key as AWS documents it, e.g. `s3:prefix` or `aws:PrincipalTag/${TagKey}`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The key's value type.
    pub fn key_type(&self) -> ConditionKeyType {
        self.key_type
    }

    /// Whether the name has a placeholder (`${TagKey}`, `<key>`) standing for part of real keys.
    pub fn is_template(&self) -> bool {
        self.name.contains("${") || self.name.contains('<')
    }

    /// Whether `key`, as written in a policy, is this key: equal ignoring case, or an instance of
    /// the template (`aws:ResourceTag/Owner` is `aws:ResourceTag/${TagKey}`). Condition key names
    /// are case-insensitive in AWS.
    pub fn matches(&self, key: &str) -> bool {
        if self.name.eq_ignore_ascii_case(key) {
            return true;
        }
        if !self.is_template() {
            return false;
        }
        let mut ops: Vec<Op> = Vec::with_capacity(self.name.len());
        compile_template(self.name, &mut ops);
        matches(&ops, key.as_bytes(), true)
    }
}

/// The best key among `keys` for `name`: an exact match (ignoring case) before a template match.
pub(crate) fn find_key<'k>(keys: impl Iterator<Item = &'k ConditionKey> + Clone, name: &str) -> Option<ConditionKey> {
    keys.clone()
        .find(|k| k.name.eq_ignore_ascii_case(name))
        .or_else(|| keys.filter(|k| k.is_template()).find(|k| k.matches(name)))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_instances() {
        let key = ConditionKey { name: "aws:ResourceTag/${TagKey}", key_type: ConditionKeyType::String };
        assert!(key.matches("aws:resourcetag/Owner"));
        assert!(key.matches("aws:ResourceTag/${TagKey}"));
        assert!(!key.matches("aws:ResourceTag"));
        assert!(!key.matches("aws:RequestTag/Owner"));
    }

    #[test]
    fn type_names_round_trip() {
        for name in ["String", "ARN", "ArrayOfString", "IPAddress", "ArrayOfARN", "Bool"] {
            let t = ConditionKeyType::from_aws_name(name).unwrap();
            assert_eq!(t.as_str(), name);
        }
        assert!(ConditionKeyType::ArrayOfArn.is_multivalued());
        assert!(!ConditionKeyType::Date.is_multivalued());
    }
}
