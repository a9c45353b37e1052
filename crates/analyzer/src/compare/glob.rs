//! The languages of IAM wildcard patterns, decided exactly: inclusion, overlap and difference of
//! `*`/`?` patterns, including ARN patterns whose wildcards stay within one colon-separated
//! segment.
//!
//! AWS: "IAM JSON policy elements: Resource" (each of the first five ARN segments is matched on its
//! own, so a wildcard there never spans a colon) and "IAM JSON policy elements: Action"
//! (case-insensitive `*` and `?`).
//!
//! A pattern is a small automaton: position `k` means "the first `k` tokens are matched"; a `*`
//! token loops on itself. Membership only depends on whether a character equals one of the
//! patterns' literals (or is a colon), so every question is decided over a finite alphabet: the
//! literals of the patterns involved, the colon, and one character that none of them contains.
//! [`witness`] then explores the product of the (determinised) automata and returns a shortest
//! text in every `all_of` language and in no `none_of` language, or proves there is none. That is
//! the textbook subset construction, exact for these regular languages; a state budget bounds
//! hostile inputs, and running out of it is reported, never guessed.

use std::collections::{BTreeSet, HashMap, VecDeque};

use monban_policy::pattern::{ArnPattern, Pattern, Piece};

/// Which characters one token accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Class {
    /// Exactly this character.
    Literal(char),
    /// Any character.
    Any,
    /// Any character but `:` (a wildcard inside one of an ARN's first five segments).
    AnyButColon,
}

impl Class {
    fn accepts(self, symbol: Symbol) -> bool {
        match self {
            Class::Literal(c) => symbol == Some(c),
            Class::Any => true,
            Class::AnyButColon => symbol != Some(':'),
        }
    }
}

/// The character that stands for "any character no pattern mentions" in sample texts.
const OTHER: char = '\u{2022}';

/// A character of the reduced alphabet; `None` stands for every character no pattern mentions.
type Symbol = Option<char>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Token {
    /// One character of the class.
    One(Class),
    /// Any run of characters of the class, including none.
    Run(Class),
}

/// The language of one wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Glob {
    tokens: Vec<Token>,
    /// The pattern had policy variables, which were widened to `*`.
    widened: bool,
}

/// What a policy variable stands for when a pattern is turned into a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variables {
    /// Any text: the pattern's language grows to cover every substitution (a sound upper bound).
    Widen,
    /// Nothing: the pattern matches no text unless every substitution is known (a sound lower
    /// bound); patterns with variables become empty.
    Drop,
}

/// The state budget of one decision; beyond it the answer is [`Undecided`].
const BUDGET: usize = 200_000;

/// The automaton grew past its budget, so the question was not decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the patterns are too complex to compare within the analysis budget")]
pub struct Undecided;

impl Glob {
    /// The language `{text}`.
    pub fn literal(text: &str) -> Glob {
        Glob { tokens: text.chars().map(|c| Token::One(Class::Literal(c))).collect(), widened: false }
    }

    /// Every text.
    pub fn everything() -> Glob {
        Glob { tokens: vec![Token::Run(Class::Any)], widened: false }
    }

    /// A `*`/`?` pattern over whole texts, as written (no variables). With `fold_case` the pattern
    /// and every text it is compared with must be lower-cased by the caller.
    pub fn wildcard(text: &str, fold_case: bool) -> Glob {
        let tokens = text
            .chars()
            .map(|c| match c {
                '*' => Token::Run(Class::Any),
                '?' => Token::One(Class::Any),
                c if fold_case => Token::One(Class::Literal(c.to_ascii_lowercase())),
                c => Token::One(Class::Literal(c)),
            })
            .collect();
        Glob { tokens, widened: false }
    }

    /// The language of a compiled engine pattern (an `Action` entry, a `StringLike` value).
    /// `None` when the pattern has variables and `variables` is [`Variables::Drop`].
    pub fn from_pattern(pattern: &Pattern, variables: Variables) -> Option<Glob> {
        let mut glob = Glob { tokens: Vec::new(), widened: false };
        glob.push_pieces(&pattern.pieces(), Class::Any, variables)?;
        Some(glob)
    }

    /// The language of a compiled ARN pattern (a `Resource` entry, an `ArnLike` value): whole-text
    /// wildcards for patterns with fewer than six segments, segment-bound wildcards otherwise.
    /// `None` when the pattern has variables and `variables` is [`Variables::Drop`], or when it can
    /// match nothing (a first segment that cannot be `arn`).
    pub fn from_arn(pattern: &ArnPattern, variables: Variables) -> Option<Glob> {
        match pattern {
            ArnPattern::Whole(p) => Glob::from_pattern(p, variables),
            ArnPattern::Segments(segments) => {
                // AWS matches the first segment against the literal `arn` of a real ARN.
                let first = Glob::from_pattern(&segments[0], Variables::Widen)?;
                if !first.matches("arn") {
                    return None;
                }
                let mut glob = Glob::literal("arn");
                for (i, segment) in segments.iter().enumerate().skip(1) {
                    glob.tokens.push(Token::One(Class::Literal(':')));
                    let class = if i < 5 { Class::AnyButColon } else { Class::Any };
                    glob.push_pieces(&segment.pieces(), class, variables)?;
                }
                Some(glob)
            }
        }
    }

    /// The language of a resource type's ARN format from the Service Authorization Reference
    /// (`arn:${Partition}:s3:::${BucketName}/${ObjectName}`): a placeholder is a non-empty run
    /// within its segment, a literal `*` any run. `None` for text that is not a six-part ARN.
    pub fn arn_format(format: &str) -> Option<Glob> {
        let arn = monban_policy::arn::Arn::parse(format)?;
        let parts = ["arn", arn.partition(), arn.service(), arn.region(), arn.account(), arn.resource()];
        let mut glob = Glob { tokens: Vec::new(), widened: false };
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                glob.tokens.push(Token::One(Class::Literal(':')));
            }
            let class = if i < 5 { Class::AnyButColon } else { Class::Any };
            let mut rest = *part;
            while let Some(c) = rest.chars().next() {
                let close = match c {
                    '$' if rest[1..].starts_with('{') => Some('}'),
                    '<' => Some('>'),
                    _ => None,
                };
                if let Some(end) = close.and_then(|close| rest.find(close)) {
                    glob.tokens.push(Token::One(class));
                    glob.tokens.push(Token::Run(class));
                    rest = &rest[end + 1..];
                    continue;
                }
                glob.tokens.push(if c == '*' { Token::Run(class) } else { Token::One(Class::Literal(c)) });
                rest = &rest[c.len_utf8()..];
            }
        }
        Some(glob)
    }

    fn push_pieces(&mut self, pieces: &[Piece], wildcard: Class, variables: Variables) -> Option<()> {
        for piece in pieces {
            match piece {
                Piece::Literal(text) => {
                    self.tokens.extend(text.chars().map(|c| Token::One(Class::Literal(c))));
                }
                Piece::Star => self.tokens.push(Token::Run(wildcard)),
                Piece::AnyChar => self.tokens.push(Token::One(wildcard)),
                Piece::Variable(_) => match variables {
                    Variables::Widen => {
                        self.widened = true;
                        self.tokens.push(Token::Run(wildcard));
                    }
                    Variables::Drop => return None,
                },
            }
        }
        Some(())
    }

    /// Whether the pattern had policy variables that were widened to `*`.
    pub fn is_widened(&self) -> bool {
        self.widened
    }

    /// Whether the language is every text.
    pub fn is_everything(&self) -> bool {
        !self.tokens.is_empty() && self.tokens.iter().all(|t| *t == Token::Run(Class::Any))
    }

    /// Whether the pattern has no wildcard: its language is one text.
    pub fn is_literal(&self) -> bool {
        self.tokens.iter().all(|t| matches!(t, Token::One(Class::Literal(_))))
    }

    /// One text of the language: every `*` replaced by `fill` (or nothing), every `?` by a
    /// character no pattern mentions.
    fn instance(&self, fill: Option<char>) -> String {
        let mut out = String::with_capacity(self.tokens.len());
        for t in &self.tokens {
            match t {
                Token::One(Class::Literal(c)) => out.push(*c),
                Token::One(_) => out.push(OTHER),
                Token::Run(_) => out.extend(fill),
            }
        }
        out
    }

    /// The literal text before the first wildcard.
    pub fn prefix(&self) -> String {
        self.tokens
            .iter()
            .map_while(|t| match t {
                Token::One(Class::Literal(c)) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// The literal text after the last wildcard.
    fn suffix(&self) -> String {
        let mut s: Vec<char> = self
            .tokens
            .iter()
            .rev()
            .map_while(|t| match t {
                Token::One(Class::Literal(c)) => Some(*c),
                _ => None,
            })
            .collect();
        s.reverse();
        s.into_iter().collect()
    }

    /// Whether `text` is in the language.
    pub fn matches(&self, text: &str) -> bool {
        let mut states = vec![false; self.tokens.len() + 1];
        let mut next = vec![false; self.tokens.len() + 1];
        states[0] = true;
        self.close(&mut states);
        for c in text.chars() {
            next.iter_mut().for_each(|b| *b = false);
            for (k, on) in states.iter().enumerate() {
                if !on {
                    continue;
                }
                match self.tokens.get(k) {
                    Some(Token::One(class)) if class.accepts(Some(c)) => next[k + 1] = true,
                    Some(Token::Run(class)) if class.accepts(Some(c)) => next[k] = true,
                    _ => {}
                }
            }
            self.close(&mut next);
            if !next.iter().any(|s| *s) {
                return false;
            }
            std::mem::swap(&mut states, &mut next);
        }
        states[self.tokens.len()]
    }

    fn close(&self, states: &mut [bool]) {
        for k in 0..self.tokens.len() {
            if states[k] && matches!(self.tokens[k], Token::Run(_)) {
                states[k + 1] = true;
            }
        }
    }

    /// Whether every text of `self` is a text of `other` (exact).
    pub fn is_subset_of(&self, other: &Glob) -> Result<bool, Undecided> {
        if other.is_everything() {
            return Ok(true);
        }
        if self.is_literal() {
            return Ok(other.matches(&self.prefix()));
        }
        // Cheap necessary conditions: the other's literal prefix and suffix must be forced, and two
        // sample texts of this language must be in the other's.
        if !self.prefix().starts_with(&other.prefix())
            || !self.suffix().ends_with(&other.suffix())
            || !other.matches(&self.instance(None))
            || !other.matches(&self.instance(Some(OTHER)))
        {
            return Ok(false);
        }
        Ok(shortest_witness(&[std::slice::from_ref(self)], std::slice::from_ref(other))?.is_none())
    }

    /// Whether some text is in both languages (exact): reachability in the product of the two
    /// automata, `O(len(self) * len(other))`.
    pub fn overlaps(&self, other: &Glob) -> Result<bool, Undecided> {
        let (a, b) = (&self.tokens, &other.tokens);
        let width = b.len() + 1;
        let mut seen = vec![false; (a.len() + 1) * width];
        let mut stack = vec![(0usize, 0usize)];
        seen[0] = true;
        while let Some((i, j)) = stack.pop() {
            if i == a.len() && j == b.len() {
                return Ok(true);
            }
            let mut next = |i: usize, j: usize, stack: &mut Vec<(usize, usize)>| {
                if !seen[i * width + j] {
                    seen[i * width + j] = true;
                    stack.push((i, j));
                }
            };
            if let Some(Token::Run(_)) = a.get(i) {
                next(i + 1, j, &mut stack);
            }
            if let Some(Token::Run(_)) = b.get(j) {
                next(i, j + 1, &mut stack);
            }
            if let (Some(ta), Some(tb)) = (a.get(i), b.get(j)) {
                let (ca, ra) = token_class(*ta);
                let (cb, rb) = token_class(*tb);
                if compatible(ca, cb) && !(ra && rb) {
                    next(if ra { i } else { i + 1 }, if rb { j } else { j + 1 }, &mut stack);
                }
            }
        }
        Ok(false)
    }
}

/// A token's class and whether it is a run.
fn token_class(t: Token) -> (Class, bool) {
    match t {
        Token::One(c) => (c, false),
        Token::Run(c) => (c, true),
    }
}

/// Whether two classes share a character.
fn compatible(a: Class, b: Class) -> bool {
    match (a, b) {
        (Class::Literal(x), Class::Literal(y)) => x == y,
        (Class::Literal(x), Class::AnyButColon) | (Class::AnyButColon, Class::Literal(x)) => x != ':',
        _ => true,
    }
}

impl std::fmt::Display for Glob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for token in &self.tokens {
            match token {
                Token::One(Class::Literal(c)) => write!(f, "{c}")?,
                Token::One(_) => f.write_str("?")?,
                Token::Run(_) => f.write_str("*")?,
            }
        }
        Ok(())
    }
}

/// A deterministic view of a union of patterns: the set of live positions of every pattern.
struct Union<'g> {
    globs: &'g [Glob],
    /// Where each pattern's positions start in the state vector.
    offsets: Vec<usize>,
    width: usize,
}

impl<'g> Union<'g> {
    fn new(globs: &'g [Glob]) -> Union<'g> {
        let mut offsets = Vec::with_capacity(globs.len());
        let mut width = 0;
        for g in globs {
            offsets.push(width);
            width += g.tokens.len() + 1;
        }
        Union { globs, offsets, width }
    }

    fn start(&self, out: &mut [bool]) {
        for (g, &offset) in self.globs.iter().zip(&self.offsets) {
            out[offset] = true;
            close_at(g, &mut out[offset..offset + g.tokens.len() + 1]);
        }
    }

    fn step(&self, from: &[bool], symbol: Symbol, out: &mut [bool]) {
        for (g, &offset) in self.globs.iter().zip(&self.offsets) {
            let n = g.tokens.len() + 1;
            let (src, dst) = (&from[offset..offset + n], &mut out[offset..offset + n]);
            for (k, on) in src.iter().enumerate() {
                if !on {
                    continue;
                }
                match g.tokens.get(k) {
                    Some(Token::One(class)) if class.accepts(symbol) => dst[k + 1] = true,
                    Some(Token::Run(class)) if class.accepts(symbol) => dst[k] = true,
                    _ => {}
                }
            }
            close_at(g, dst);
        }
    }

    fn accepts(&self, state: &[bool]) -> bool {
        self.globs.iter().zip(&self.offsets).any(|(g, &offset)| state[offset + g.tokens.len()])
    }
}

fn close_at(glob: &Glob, states: &mut [bool]) {
    for k in 0..glob.tokens.len() {
        if states[k] && matches!(glob.tokens[k], Token::Run(_)) {
            states[k + 1] = true;
        }
    }
}

/// A text that is in every `all_of` union and in no pattern of `none_of`, or `None` when there is
/// none. Exact; [`Undecided`] only if the automaton outgrows its budget. The text is a shortest one
/// with `example` written wherever a wildcard can take it, so that `arn:aws:s3:::prod-*` gives
/// `arn:aws:s3:::prod-example`, not the truncated-looking `arn:aws:s3:::prod-`.
///
/// `all_of` is a list of unions: `[[a, b], [c]]` asks for a text in `(a ∪ b) ∩ c`.
pub fn witness(all_of: &[&[Glob]], none_of: &[Glob]) -> Result<Option<String>, Undecided> {
    Ok(shortest_witness(all_of, none_of)?.map(|w| readable(w, all_of, none_of)))
}

/// A shortest [`witness`], for callers that only ask whether there is one.
pub fn shortest_witness(all_of: &[&[Glob]], none_of: &[Glob]) -> Result<Option<String>, Undecided> {
    if all_of.iter().any(|u| u.is_empty()) {
        return Ok(None);
    }
    // The reduced alphabet: every literal, the colon, and one character none of them is.
    let mut letters: BTreeSet<char> = BTreeSet::new();
    letters.insert(':');
    for g in all_of.iter().flat_map(|u| u.iter()).chain(none_of) {
        for t in &g.tokens {
            if let Token::One(Class::Literal(c)) | Token::Run(Class::Literal(c)) = t {
                letters.insert(*c);
            }
        }
    }
    let mut alphabet: Vec<Symbol> = letters.into_iter().map(Some).collect();
    alphabet.push(None);

    let mut unions: Vec<Union<'_>> = all_of.iter().map(|u| Union::new(u)).collect();
    unions.push(Union::new(none_of));
    let mut spans = Vec::with_capacity(unions.len());
    let mut width = 0;
    for u in &unions {
        spans.push(width);
        width += u.width;
    }
    let last = unions.len() - 1;
    let mut start = vec![false; width];
    for (u, &at) in unions.iter().zip(&spans) {
        let mut part = vec![false; u.width];
        u.start(&mut part);
        start[at..at + u.width].copy_from_slice(&part);
    }

    let mut seen: HashMap<Vec<bool>, usize> = HashMap::new();
    // Each state remembers its parent and the symbol that reached it, to spell the witness.
    let mut parents: Vec<(usize, Symbol)> = Vec::new();
    let mut queue = VecDeque::new();
    seen.insert(start.clone(), 0);
    parents.push((usize::MAX, None));
    queue.push_back((start, 0usize));
    while let Some((state, id)) = queue.pop_front() {
        let accepted = unions.iter().zip(&spans).enumerate().all(|(i, (u, &at))| {
            let a = u.accepts(&state[at..at + u.width]);
            if i == last {
                !a
            } else {
                a
            }
        });
        if accepted {
            return Ok(Some(spell(&parents, id)));
        }
        for &symbol in &alphabet {
            let mut next = vec![false; width];
            let mut alive = true;
            for (i, (u, &at)) in unions.iter().zip(&spans).enumerate() {
                u.step(&state[at..at + u.width], symbol, &mut next[at..at + u.width]);
                if i != last && !next[at..at + u.width].iter().any(|b| *b) {
                    alive = false;
                    break;
                }
            }
            if !alive || seen.contains_key(&next) {
                continue;
            }
            if seen.len() >= BUDGET {
                return Err(Undecided);
            }
            let next_id = parents.len();
            parents.push((id, symbol));
            seen.insert(next.clone(), next_id);
            queue.push_back((next, next_id));
        }
    }
    Ok(None)
}

/// Writes `example` into a witness wherever the text stays a witness (last positions first, so
/// every insertion point is still where it was found).
fn readable(shortest: String, all_of: &[&[Glob]], none_of: &[Glob]) -> String {
    const FILL: &str = "example";
    let is_witness =
        |t: &str| all_of.iter().all(|u| u.iter().any(|g| g.matches(t))) && !none_of.iter().any(|g| g.matches(t));
    let mut text = shortest;
    let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    for &at in boundaries.iter().rev() {
        let candidate = format!("{}{FILL}{}", &text[..at], &text[at..]);
        if is_witness(&candidate) {
            text = candidate;
        }
    }
    text
}

fn spell(parents: &[(usize, Symbol)], mut id: usize) -> String {
    let mut chars = Vec::new();
    while let Some(&(parent, symbol)) = parents.get(id) {
        if parent == usize::MAX {
            break;
        }
        // The "other" character is spelled as a character no pattern is likely to mention.
        chars.push(symbol.unwrap_or(OTHER));
        id = parent;
    }
    chars.reverse();
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use monban_policy::pattern::Syntax;

    fn g(text: &str) -> Glob {
        Glob::wildcard(text, false)
    }

    fn arn(text: &str) -> Glob {
        let syntax = Syntax { wildcards: true, variables: true, ignore_case: false };
        Glob::from_arn(&ArnPattern::new(text, syntax), Variables::Widen).unwrap()
    }

    #[test]
    fn inclusion_of_wildcard_languages() {
        let cases = [
            ("a*", "*", true),
            ("abc", "a*", true),
            ("a*", "a*b", false),
            ("a*b", "a*", true),
            ("a?c", "a*c", true),
            ("a*c", "a?c", false),
            ("*ab*", "*a*", true),
            ("*a*", "*ab*", false),
            ("a**", "a*", true),
            ("??*", "?*?", true),
            ("?*?", "??*", true),
            ("*a*a*", "*a*", true),
            ("x*y*z", "x*z", true),
            ("x*z", "x*y*z", false),
        ];
        for (a, b, expected) in cases {
            assert_eq!(g(a).is_subset_of(&g(b)).unwrap(), expected, "{a} ⊆ {b}");
        }
    }

    #[test]
    fn arn_wildcards_stay_in_their_segment() {
        // `*` in the region segment cannot produce a colon, so it does not cover an ARN whose
        // resource part has one... but the resource part's `*` does.
        assert!(arn("arn:aws:s3:::b/*").is_subset_of(&arn("arn:aws:s3:::*")).unwrap());
        assert!(arn("arn:aws:sqs:us-east-1:1:q").is_subset_of(&arn("arn:aws:sqs:*:*:*")).unwrap());
        assert!(!arn("arn:aws:sqs:*:*:*").is_subset_of(&arn("arn:aws:sqs:us-*:*:*")).unwrap());
        // A whole-text `*` spans colons.
        assert!(arn("arn:aws:iam::1:role/x").is_subset_of(&arn("arn:aws:iam::*")).unwrap());
        assert!(arn("arn:aws:iam::*:role/x").is_subset_of(&arn("arn:aws:iam::*")).unwrap());
    }

    #[test]
    fn witnesses_of_difference() {
        let w = witness(&[&[g("a*")]], &[g("ab*"), g("ac*")]).unwrap().unwrap();
        assert!(g("a*").matches(&w) && !g("ab*").matches(&w) && !g("ac*").matches(&w), "{w}");
        assert_eq!(witness(&[&[g("ab*")]], &[g("a*")]).unwrap(), None);
        // Examples read as names, not as truncated text.
        let w = witness(&[&[arn("arn:aws:s3:::prod-*")], &[g("*")]], &[]).unwrap().unwrap();
        assert_eq!(w, "arn:aws:s3:::prod-example");
        let w = witness(&[&[arn("arn:aws:s3:::*-logs/*")]], &[arn("arn:aws:s3:::example-logs/*")]).unwrap().unwrap();
        assert!(w.starts_with("arn:aws:s3:::") && w.contains("-logs/"), "{w}");
        assert!(!arn("arn:aws:s3:::example-logs/*").matches(&w), "{w}");
        assert!(g("a*b").overlaps(&g("*bb")).unwrap());
        assert!(!g("a*").overlaps(&g("b*")).unwrap());
    }
}
