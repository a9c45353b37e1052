//! Wildcard matching: the `*` and `?` of IAM action patterns, and the `${Placeholder}`s of ARN formats
//! and condition-key templates, compiled to one small instruction list and matched in linear time.

/// One step of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// Exactly this byte (compared case-insensitively when the match folds case).
    Byte(u8),
    /// Any one byte.
    One,
    /// Any run of bytes, possibly empty.
    Run,
}

/// Whether `text` contains an IAM wildcard (`*` or `?`).
pub fn has_wildcard(text: &str) -> bool {
    text.bytes().any(|b| b == b'*' || b == b'?')
}

/// Compiles an IAM wildcard pattern: `*` is any run, `?` any one character.
pub(crate) fn compile_glob(pattern: &str) -> Vec<Op> {
    pattern
        .bytes()
        .map(|b| match b {
            b'*' => Op::Run,
            b'?' => Op::One,
            other => Op::Byte(other),
        })
        .collect()
}

/// Compiles a template: `${Name}` and `<name>` stand for a non-empty run, a literal `*` for any run.
/// Returns the ops and the number of literal bytes, which ranks how specific a template is.
pub(crate) fn compile_template(template: &str, ops: &mut Vec<Op>) -> usize {
    let bytes = template.as_bytes();
    let mut literal = 0;
    let mut i = 0;
    while i < bytes.len() {
        let close = match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => Some(b'}'),
            b'<' => Some(b'>'),
            _ => None,
        };
        if let Some(close) = close {
            if let Some(end) = bytes[i..].iter().position(|&b| b == close) {
                ops.push(Op::One);
                ops.push(Op::Run);
                i += end + 1;
                continue;
            }
        }
        if bytes[i] == b'*' {
            ops.push(Op::Run);
        } else {
            ops.push(Op::Byte(bytes[i]));
            literal += 1;
        }
        i += 1;
    }
    literal
}

/// Whether `text` matches the compiled pattern as a whole. Greedy with one backtrack point, so
/// `O(len(ops) * len(text))` at worst.
pub(crate) fn matches(ops: &[Op], text: &[u8], fold_case: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if fold_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0, 0);
    let mut resume: Option<(usize, usize)> = None;
    while t < text.len() {
        match ops.get(p) {
            Some(Op::Run) => {
                resume = Some((p + 1, t));
                p += 1;
                continue;
            }
            Some(Op::One) => {
                p += 1;
                t += 1;
                continue;
            }
            Some(Op::Byte(b)) if eq(*b, text[t]) => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match resume {
            Some((after_run, start)) => {
                p = after_run;
                t = start + 1;
                resume = Some((after_run, start + 1));
            }
            None => return false,
        }
    }
    ops[p.min(ops.len())..].iter().all(|op| *op == Op::Run)
}

/// Compares two strings as their ASCII-lowercased forms, the order of the generated data.
pub(crate) fn cmp_ignore_case(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes().map(|b| b.to_ascii_lowercase()).cmp(b.bytes().map(|b| b.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(p: &str, t: &str) -> bool {
        matches(&compile_glob(p), t.as_bytes(), true)
    }

    fn template(p: &str, t: &str) -> bool {
        let mut ops = Vec::new();
        compile_template(p, &mut ops);
        matches(&ops, t.as_bytes(), false)
    }

    #[test]
    fn globs() {
        assert!(glob("*", ""));
        assert!(glob("*", "s3:GetObject"));
        assert!(glob("s3:get*", "s3:GetObject"));
        assert!(glob("s3:*Object?", "s3:GetObjectS"));
        assert!(!glob("s3:*Object?", "s3:GetObject"));
        assert!(glob("s3:*Object", "s3:GetObjectObject"));
        assert!(glob("*:*", "iam:PassRole"));
        assert!(!glob("s3:Get", "s3:GetObject"));
        assert!(glob("a*b*c", "aXXbYYbc"));
        assert!(!glob("a*b*c", "aXXbYYb"));
        assert!(glob("??", "ab"));
        assert!(!glob("??", "abc"));
    }

    #[test]
    fn templates() {
        assert!(template("${BucketName}/${ObjectName}", "bucket/a/b/c"));
        assert!(!template("${BucketName}/${ObjectName}", "bucket/"));
        assert!(template("aws:ResourceTag/${TagKey}", "aws:ResourceTag/env"));
        assert!(template("s3:ExistingObjectTag/<key>", "s3:ExistingObjectTag/k"));
        assert!(!template("aws:ResourceTag/${TagKey}", "aws:ResourceTag/"));
        assert!(template("*", ""));
        assert!(template("literal", "literal"));
        assert!(!template("literal", "Literal"));
    }

    #[test]
    fn pathological_input_is_linear() {
        let ops = compile_glob("*a*a*a*a*a*a*a*a*b");
        let text = "a".repeat(5000);
        assert!(!matches(&ops, text.as_bytes(), true));
    }
}
