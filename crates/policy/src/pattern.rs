//! Wildcard patterns and policy variables, compiled once.
//!
//! One type serves every place IAM matches text against policy text: `Action` (case-insensitive),
//! `Resource` and `ArnLike` (case-sensitive, per ARN segment), `StringLike`, and the plain
//! `StringEquals` family (no wildcards, but variables). A pattern is a list of pieces; policy
//! variables are resolved from the request context at match time without allocating.
//!
//! AWS: "IAM JSON policy elements: Resource" (wildcards `*` and `?` within any ARN segment) and
//! "IAM policy elements: Variables and tags" (`${key}`, `${key, 'default'}`, `${*}`, `${?}`, `${$}`).

use smallvec::SmallVec;

/// Where variable values come from: the request context, by lower-cased key.
pub trait Lookup {
    /// The value of a single-valued key. Multivalued and absent keys give `None`: AWS does not
    /// substitute them, so the policy text that names them matches nothing.
    fn single(&self, key_lowercase: &str) -> Option<&str>;
}

/// A lookup that knows no variables: for matching policy text that has none (actions), or for
/// analyses that match without a request.
pub struct NoVariables;

impl Lookup for NoVariables {
    fn single(&self, _: &str) -> Option<&str> {
        None
    }
}

/// A `${key}` or `${key, 'default'}` policy variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// The context key, lower-cased (condition keys are case-insensitive).
    pub key: Box<str>,
    /// The value used when the key is absent.
    pub default: Option<Box<str>>,
}

/// One piece of a compiled pattern, for analyses that reason about a pattern's whole language
/// (policy comparison, lint) rather than matching one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text (already lower-cased for case-insensitive patterns).
    Literal(Box<str>),
    /// `*`: any run of characters, including none.
    Star,
    /// `?`: exactly one character.
    AnyChar,
    /// A policy variable, substituted literally.
    Variable(Variable),
}

/// How the text of a policy value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Syntax {
    /// `*` and `?` are wildcards (Action, Resource, `...Like` operators).
    pub wildcards: bool,
    /// `${...}` is a policy variable (Version 2012-10-17 only).
    pub variables: bool,
    /// Match ignoring case (Action, `...IgnoreCase` operators).
    pub ignore_case: bool,
}

/// The compiled shape, with fast paths for the forms that dominate real policies.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// `*`: matches everything.
    Everything,
    /// No wildcards or variables.
    Exact(Box<str>),
    /// `prefix*` with a literal prefix.
    Prefix(Box<str>),
    /// Anything else.
    General(Box<[Piece]>),
}

/// A compiled wildcard pattern or template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    shape: Shape,
    ignore_case: bool,
}

fn lower(s: &str, ignore_case: bool) -> Box<str> {
    if ignore_case {
        s.to_lowercase().into()
    } else {
        s.into()
    }
}

/// Splits policy text into pieces. Unterminated `${` is literal text, as is everything in `${...}`
/// when variables are off.
fn pieces(text: &str, syntax: Syntax) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let flush = |literal: &mut String, out: &mut Vec<Piece>| {
        if !literal.is_empty() {
            out.push(Piece::Literal(lower(literal, syntax.ignore_case)));
            literal.clear();
        }
    };
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if syntax.variables && rest.starts_with("${") {
            if let Some(end) = rest.find('}') {
                let inner = rest.get(2..end).unwrap_or_default();
                rest = rest.get(end + 1..).unwrap_or_default();
                match inner {
                    "*" | "?" | "$" => literal.push_str(inner),
                    _ => {
                        flush(&mut literal, &mut out);
                        out.push(Piece::Variable(variable(inner)));
                    }
                }
                continue;
            }
        }
        match c {
            '*' if syntax.wildcards => {
                flush(&mut literal, &mut out);
                // Consecutive stars mean the same as one.
                if out.last() != Some(&Piece::Star) {
                    out.push(Piece::Star);
                }
            }
            '?' if syntax.wildcards => {
                flush(&mut literal, &mut out);
                out.push(Piece::AnyChar);
            }
            _ => literal.push(c),
        }
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
    }
    flush(&mut literal, &mut out);
    out
}

/// Reads the inside of `${...}`: a key, optionally `, 'default'`.
fn variable(inner: &str) -> Variable {
    let (key, default) = match inner.split_once(',') {
        Some((key, rest)) => {
            let rest = rest.trim();
            let default = rest.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')).unwrap_or(rest);
            (key.trim(), Some(Box::from(default)))
        }
        None => (inner.trim(), None),
    };
    Variable { key: key.to_lowercase().into(), default }
}

impl Pattern {
    /// Compiles policy text under the given syntax.
    pub fn new(text: &str, syntax: Syntax) -> Pattern {
        Pattern::from_pieces(pieces(text, syntax), syntax.ignore_case)
    }

    fn from_pieces(mut pieces: Vec<Piece>, ignore_case: bool) -> Pattern {
        let shape = match pieces.as_slice() {
            [Piece::Star] => Shape::Everything,
            [] => Shape::Exact("".into()),
            [Piece::Literal(s)] => Shape::Exact(s.clone()),
            [Piece::Literal(s), Piece::Star] => Shape::Prefix(s.clone()),
            _ => {
                pieces.shrink_to_fit();
                Shape::General(pieces.into_boxed_slice())
            }
        };
        Pattern { shape, ignore_case }
    }

    /// True when this pattern is `*`.
    pub fn is_everything(&self) -> bool {
        self.shape == Shape::Everything
    }

    /// The pattern as a list of pieces (the fast-path shapes spelled out), so that an analysis can
    /// build the pattern's language without re-reading policy text.
    pub fn pieces(&self) -> Vec<Piece> {
        match &self.shape {
            Shape::Everything => vec![Piece::Star],
            Shape::Exact(s) if s.is_empty() => Vec::new(),
            Shape::Exact(s) => vec![Piece::Literal(s.clone())],
            Shape::Prefix(p) if p.is_empty() => vec![Piece::Star],
            Shape::Prefix(p) => vec![Piece::Literal(p.clone()), Piece::Star],
            Shape::General(pieces) => pieces.to_vec(),
        }
    }

    /// Whether the pattern matches ignoring case (its literals are then lower case).
    pub fn ignores_case(&self) -> bool {
        self.ignore_case
    }

    /// True when the pattern has policy variables, which make it depend on the request context.
    pub fn has_variables(&self) -> bool {
        match &self.shape {
            Shape::General(pieces) => pieces.iter().any(|p| matches!(p, Piece::Variable(_))),
            _ => false,
        }
    }

    /// The variables this pattern reads, in order.
    pub fn variables(&self) -> impl Iterator<Item = &Variable> {
        let pieces: &[Piece] = match &self.shape {
            Shape::General(pieces) => pieces,
            _ => &[],
        };
        pieces.iter().filter_map(|p| match p {
            Piece::Variable(v) => Some(v),
            _ => None,
        })
    }

    /// Whether `text` matches. `text` must already be lower-cased for case-insensitive patterns
    /// when `text_is_lowercase` is true (the request's action is); otherwise it is folded here.
    pub fn matches(&self, text: &str, lookup: &dyn Lookup) -> bool {
        if self.ignore_case && text.chars().any(char::is_uppercase) {
            return self.matches_prepared(&text.to_lowercase(), lookup);
        }
        self.matches_prepared(text, lookup)
    }

    /// Like [`Pattern::matches`] for text already in the pattern's case (lower case when the
    /// pattern ignores case): the hot path for actions, which the request lower-cases once.
    pub fn matches_prepared(&self, text: &str, lookup: &dyn Lookup) -> bool {
        match &self.shape {
            Shape::Everything => true,
            Shape::Exact(s) => **s == *text,
            Shape::Prefix(p) => text.starts_with(&**p),
            Shape::General(pieces) => {
                let mut values: SmallVec<[std::borrow::Cow<'_, str>; 4]> = SmallVec::new();
                for piece in pieces.iter() {
                    if let Piece::Variable(v) = piece {
                        let Some(value) = lookup.single(&v.key).or(v.default.as_deref()) else {
                            // AWS: a variable whose key is absent makes the value match nothing.
                            return false;
                        };
                        values.push(if self.ignore_case {
                            std::borrow::Cow::Owned(value.to_lowercase())
                        } else {
                            std::borrow::Cow::Borrowed(value)
                        });
                    }
                }
                glob(pieces, text, &values)
            }
        }
    }
}

/// Glob matching with single-star backtracking: linear in practice, never exponential.
fn glob(pieces: &[Piece], text: &str, values: &[std::borrow::Cow<'_, str>]) -> bool {
    let bytes = text.as_bytes();
    let (mut pi, mut pos, mut vi) = (0usize, 0usize, 0usize);
    // After the last star seen: (piece index after it, text position it resumes at, variable index).
    let mut backtrack: Option<(usize, usize, usize)> = None;
    loop {
        let advanced = match pieces.get(pi) {
            Some(Piece::Star) => {
                backtrack = Some((pi + 1, pos, vi));
                pi += 1;
                continue;
            }
            Some(Piece::AnyChar) => match char_len(bytes, pos) {
                Some(n) => {
                    pos += n;
                    true
                }
                None => false,
            },
            Some(Piece::Literal(s)) if bytes.get(pos..pos + s.len()) == Some(s.as_bytes()) => {
                pos += s.len();
                true
            }
            Some(Piece::Literal(_)) => false,
            Some(Piece::Variable(_)) => {
                let value = values.get(vi).map(|v| v.as_bytes()).unwrap_or_default();
                vi += 1;
                if bytes.get(pos..pos + value.len()) == Some(value) {
                    pos += value.len();
                    true
                } else {
                    false
                }
            }
            None if pos == bytes.len() => return true,
            None => false,
        };
        if advanced {
            pi += 1;
            continue;
        }
        match backtrack {
            Some((resume, start, var_index)) => match char_len(bytes, start) {
                Some(n) => {
                    backtrack = Some((resume, start + n, var_index));
                    pi = resume;
                    pos = start + n;
                    vi = var_index;
                }
                None => return false,
            },
            None => return false,
        }
    }
}

/// Length in bytes of the UTF-8 character at `pos`, or `None` at the end.
fn char_len(bytes: &[u8], pos: usize) -> Option<usize> {
    let first = *bytes.get(pos)?;
    Some(match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    })
}

/// A pattern for ARNs, matched segment by segment.
///
/// AWS ("IAM JSON policy elements: Resource", "Condition operators: ARN"): each of the six
/// colon-separated segments is matched separately, so a wildcard never spans a colon between the
/// first five segments; the last segment (the resource) is the rest of the ARN, colons included.
/// Policy text with fewer than six segments (`*`, `arn:aws:s3:*`) is matched as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnPattern {
    /// Fewer than six segments: a plain pattern over the whole text.
    Whole(Pattern),
    /// Six segments: partition, service, region, account, then resource (the rest).
    Segments(Box<[Pattern; 6]>),
}

impl ArnPattern {
    /// Compiles an ARN pattern (wildcards on; variables and case as `syntax` says).
    pub fn new(text: &str, syntax: Syntax) -> ArnPattern {
        let all = pieces(text, syntax);
        // Split literal pieces at the first five colons; variables keep their colons.
        let mut segments: Vec<Vec<Piece>> = vec![Vec::new()];
        for piece in all.iter() {
            match piece {
                Piece::Literal(s) if segments.len() < 6 => {
                    let mut rest: &str = s;
                    while segments.len() < 6 {
                        let Some(i) = rest.find(':') else { break };
                        let (head, tail) = (rest.get(..i).unwrap_or_default(), rest.get(i + 1..).unwrap_or_default());
                        if !head.is_empty() {
                            if let Some(last) = segments.last_mut() {
                                last.push(Piece::Literal(head.into()));
                            }
                        }
                        segments.push(Vec::new());
                        rest = tail;
                    }
                    if !rest.is_empty() {
                        if let Some(last) = segments.last_mut() {
                            last.push(Piece::Literal(rest.into()));
                        }
                    }
                }
                other => {
                    if let Some(last) = segments.last_mut() {
                        last.push(other.clone());
                    }
                }
            }
        }
        if segments.len() < 6 {
            return ArnPattern::Whole(Pattern::from_pieces(all, syntax.ignore_case));
        }
        let mut compiled = segments.into_iter().map(|s| Pattern::from_pieces(s, syntax.ignore_case));
        let mut next = || compiled.next().unwrap_or_else(|| Pattern::from_pieces(Vec::new(), syntax.ignore_case));
        ArnPattern::Segments(Box::new([next(), next(), next(), next(), next(), next()]))
    }

    /// True for `*`.
    pub fn is_everything(&self) -> bool {
        matches!(self, ArnPattern::Whole(p) if p.is_everything())
    }

    /// True when the pattern has policy variables.
    pub fn has_variables(&self) -> bool {
        match self {
            ArnPattern::Whole(p) => p.has_variables(),
            ArnPattern::Segments(s) => s.iter().any(Pattern::has_variables),
        }
    }

    /// Whether an ARN (already split) matches. Text that is not an ARN matches only whole
    /// patterns.
    pub fn matches(&self, arn: &SplitArn<'_>, lookup: &dyn Lookup) -> bool {
        match self {
            ArnPattern::Whole(p) => p.matches(arn.text, lookup),
            ArnPattern::Segments(patterns) => match &arn.segments {
                Some(segments) => patterns.iter().zip(segments.iter()).all(|(p, s)| p.matches(s, lookup)),
                None => false,
            },
        }
    }
}

/// An ARN split into its six segments once, so that every statement can match it cheaply.
#[derive(Debug, Clone, Copy)]
pub struct SplitArn<'a> {
    /// The whole text.
    pub text: &'a str,
    /// `arn`, partition, service, region, account, resource; `None` when the text is not an ARN.
    pub segments: Option<[&'a str; 6]>,
}

impl<'a> SplitArn<'a> {
    /// Splits at the first five colons when the text starts with `arn:`.
    pub fn new(text: &'a str) -> SplitArn<'a> {
        let segments = crate::arn::Arn::parse(text)
            .map(|a| ["arn", a.partition(), a.service(), a.region(), a.account(), a.resource()]);
        SplitArn { text, segments }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Map(HashMap<&'static str, &'static str>);
    impl Lookup for Map {
        fn single(&self, key: &str) -> Option<&str> {
            self.0.get(key).copied()
        }
    }
    fn none() -> Map {
        Map(HashMap::new())
    }
    const LIKE: Syntax = Syntax { wildcards: true, variables: true, ignore_case: false };
    const ACTION: Syntax = Syntax { wildcards: true, variables: false, ignore_case: true };

    #[test]
    fn wildcards_match_runs_and_single_characters() {
        let cases = [
            ("*", "", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*a*b*", "xxaxxbxx", true),
            ("*a*b", "xxaxxbxxb", true),
            ("a**b", "ab", true),
            ("?", "é", true),
            ("??", "é", false),
            ("é*", "éa", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(Pattern::new(pattern, LIKE).matches(text, &none()), expected, "{pattern} ~ {text}");
        }
    }

    #[test]
    fn actions_ignore_case() {
        let p = Pattern::new("S3:Get*", ACTION);
        assert!(p.matches("s3:GETOBJECT", &none()));
        assert!(p.matches_prepared("s3:getobject", &none()));
        assert!(!p.matches("s3:PutObject", &none()));
    }

    #[test]
    fn variables_substitute_literally_and_missing_ones_match_nothing() {
        let ctx = Map(HashMap::from([("aws:username", "a*b")]));
        let p = Pattern::new("home/${aws:username}/*", LIKE);
        assert!(p.matches("home/a*b/x", &ctx));
        assert!(!p.matches("home/azzb/x", &ctx), "a variable's value is not a wildcard");
        assert!(!p.matches("home/a*b/x", &none()));
        let d = Pattern::new("t/${aws:PrincipalTag/team, 'none'}", LIKE);
        assert!(d.matches("t/none", &none()));
        let special = Pattern::new("a${*}b${?}${$}", LIKE);
        assert!(special.matches("a*b?$", &none()));
        assert!(!special.matches("axb?$", &none()));
    }

    #[test]
    fn arn_segments_do_not_share_wildcards() {
        let p = ArnPattern::new("arn:aws:iam::*:user/${aws:username}", LIKE);
        let ctx = Map(HashMap::from([("aws:username", "bob")]));
        assert!(p.matches(&SplitArn::new("arn:aws:iam::111122223333:user/bob"), &ctx));
        assert!(!p.matches(&SplitArn::new("arn:aws:iam::111122223333:user/alice"), &ctx));
        let q = ArnPattern::new("arn:aws:s3:::*", LIKE);
        assert!(q.matches(&SplitArn::new("arn:aws:s3:::bucket/a:b"), &none()));
        // `*` in the region segment must not swallow the account segment.
        let r = ArnPattern::new("arn:aws:sqs:*:111122223333:q", LIKE);
        assert!(!r.matches(&SplitArn::new("arn:aws:sqs:us-east-1:999:111122223333:q"), &none()));
    }
}
