//! Matching a concrete ARN against the ARN formats of resource types, so that a policy's `Resource`
//! can be tied to the resource types an action accepts.
//!
//! AWS documents each resource type with a format such as
//! `arn:${Partition}:s3:::${BucketName}/${ObjectName}` (Service Authorization Reference, "Resource
//! types defined by …"). An ARN has six parts separated by the first five colons
//! (`arn:partition:service:region:account-id:resource`; IAM User Guide, "IAM identifiers"). A
//! placeholder matches a non-empty run of characters within its part; in the resource part, which may
//! itself hold `/` and `:`, it may span them. Because placeholders are that loose, `${BucketName}` also
//! matches `bucket/key`; callers keep the matches with the most literal characters, the most specific
//! formats (`object` over `bucket` for `arn:aws:s3:::bucket/key`).

use crate::pattern::{compile_template, matches, Op};

/// An ARN split into its six parts.
pub(crate) struct ArnParts<'a> {
    parts: [&'a str; 6],
}

impl<'a> ArnParts<'a> {
    /// Splits `arn` at its first five colons; `None` unless it starts with `arn:` and has six parts.
    pub(crate) fn parse(arn: &'a str) -> Option<ArnParts<'a>> {
        let mut parts = [""; 6];
        let mut it = arn.splitn(6, ':');
        for slot in parts.iter_mut() {
            *slot = it.next()?;
        }
        (parts[0] == "arn").then_some(ArnParts { parts })
    }

    /// The service namespace part (`s3`, `iam`, …).
    pub(crate) fn service(&self) -> &'a str {
        self.parts[2]
    }
}

/// How specifically `format` matches `arn`: `Some(literal characters in the format)` when it matches.
pub(crate) fn match_format(format: &str, arn: &ArnParts<'_>, ops: &mut Vec<Op>) -> Option<usize> {
    let format = ArnParts::parse(format)?;
    // The service part first: it rules out almost every format cheaply.
    let order = [2, 4, 3, 1, 5];
    let mut score = 0;
    for i in order {
        let (pattern, text) = (format.parts[i], arn.parts[i]);
        if !pattern.contains(['$', '*', '<']) {
            if pattern != text {
                return None;
            }
            score += pattern.len();
            continue;
        }
        ops.clear();
        score += compile_template(pattern, ops);
        if !matches(ops, text.as_bytes(), false) {
            return None;
        }
    }
    Some(score)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(format: &str, arn: &str) -> Option<usize> {
        let arn = ArnParts::parse(arn)?;
        match_format(format, &arn, &mut Vec::new())
    }

    #[test]
    fn object_is_more_specific_than_bucket() {
        let bucket = "arn:${Partition}:s3:::${BucketName}";
        let object = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
        let arn = "arn:aws:s3:::bucket/key/with/slashes";
        assert!(score(object, arn) > score(bucket, arn));
        assert!(score(object, "arn:aws:s3:::bucket").is_none());
        assert!(score(bucket, "arn:aws:s3:::bucket").is_some());
    }

    #[test]
    fn placeholders_stay_within_their_part() {
        let role = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";
        assert!(score(role, "arn:aws:iam::123456789012:role/path/to/Role").is_some());
        assert!(score(role, "arn:aws:iam:us-east-1:123456789012:role/x").is_none());
        assert!(score(role, "arn:aws:iam::123456789012:user/x").is_none());
        assert!(score(role, "not-an-arn").is_none());
    }
}
