//! Amazon Resource Names: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` (AWS General Reference,
//! "Amazon Resource Names (ARNs)"). One type reads them for every crate, so that no code splits
//! an ARN on `:` by hand. The resource part keeps its own `:` and `/` (`function:f:1`,
//! `user/ops/alice`). Patterns with wildcards split the same way.
//!
//! ```
//! use monban_policy::arn::Arn;
//! let arn = Arn::parse("arn:aws:iam::123456789012:user/ops/alice").unwrap();
//! assert_eq!((arn.service(), arn.account()), ("iam", "123456789012"));
//! assert_eq!((arn.resource_type(), arn.resource_name()), ("user", "alice"));
//! assert_eq!(arn.to_string(), "arn:aws:iam::123456789012:user/ops/alice");
//! ```

use std::fmt;

/// An ARN, borrowed from the text it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Arn<'a> {
    partition: &'a str,
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Reads `arn:` and the five parts after it; `None` for anything else.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut parts = text.strip_prefix("arn:")?.splitn(5, ':');
        Some(Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }

    /// `aws`, `aws-cn`, `aws-us-gov`...
    pub fn partition(&self) -> &'a str {
        self.partition
    }

    /// The service namespace (`iam`, `s3`).
    pub fn service(&self) -> &'a str {
        self.service
    }

    /// The region; empty for global resources.
    pub fn region(&self) -> &'a str {
        self.region
    }

    /// The account id; empty for resources without one (S3 buckets), `aws` for AWS managed
    /// policies.
    pub fn account(&self) -> &'a str {
        self.account
    }

    /// Everything after the account: `user/ops/alice`, `function:f:1`, `root`.
    pub fn resource(&self) -> &'a str {
        self.resource
    }

    /// The resource part up to its first `/` or `:` (`user`, `function`), or all of it.
    pub fn resource_type(&self) -> &'a str {
        self.resource.split(['/', ':']).next().unwrap_or(self.resource)
    }

    /// The resource part after its last `/` (an IAM entity's name without its path).
    pub fn resource_name(&self) -> &'a str {
        self.resource.rsplit('/').next().unwrap_or(self.resource)
    }

    /// Whether the account is a 12-digit account id.
    pub fn has_account_id(&self) -> bool {
        self.account.len() == 12 && self.account.bytes().all(|b| b.is_ascii_digit())
    }
}

impl fmt::Display for Arn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "arn:{}:{}:{}:{}:{}", self.partition, self.service, self.region, self.account, self.resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_six_parts_and_keeps_the_resource_whole() {
        let arn = Arn::parse("arn:aws:lambda:us-east-1:123456789012:function:f:1").unwrap();
        assert_eq!(arn.partition(), "aws");
        assert_eq!(arn.region(), "us-east-1");
        assert_eq!(arn.resource(), "function:f:1");
        assert_eq!(arn.resource_type(), "function");
        let bucket = Arn::parse("arn:aws:s3:::bucket/key").unwrap();
        assert_eq!((bucket.account(), bucket.resource_type(), bucket.resource_name()), ("", "bucket", "key"));
        assert!(!bucket.has_account_id());
        for text in ["arn:aws:s3", "not-an-arn", "arn:aws:iam::123456789012", ""] {
            assert_eq!(Arn::parse(text), None, "{text}");
        }
        let root = Arn::parse("arn:aws:iam::123456789012:root").unwrap();
        assert_eq!((root.resource_type(), root.resource_name()), ("root", "root"));
        assert!(root.has_account_id());
    }
}

/// An AWS partition: a group of regions with its own ARNs, endpoints and accounts (AWS General
/// Reference, "Amazon Resource Names (ARNs)": partition). An account lives in exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Partition {
    /// The standard partition.
    #[default]
    Aws,
    /// The China regions.
    AwsCn,
    /// AWS GovCloud (US).
    AwsUsGov,
}

impl Partition {
    /// Every partition.
    pub const ALL: [Partition; 3] = [Partition::Aws, Partition::AwsCn, Partition::AwsUsGov];

    /// `aws`, `aws-cn` or `aws-us-gov`, as ARNs write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }

    /// The partition an ARN's partition field names.
    pub fn parse(text: &str) -> Option<Partition> {
        Partition::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// The region where IAM, a global service, takes its requests in this partition (AWS General
    /// Reference, "AWS Identity and Access Management endpoints and quotas").
    pub fn iam_region(self) -> &'static str {
        match self {
            Partition::Aws => "us-east-1",
            Partition::AwsCn => "cn-north-1",
            Partition::AwsUsGov => "us-gov-west-1",
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
