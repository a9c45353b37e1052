//! A small JSON reader that remembers where every value came from.
//!
//! Policy errors must name the line and column of the offending element, which `serde_json::Value`
//! forgets. This reader builds a tree of [`Node`]s that keep their byte span; line and column are
//! computed only when an error is reported. It accepts exactly RFC 8259 JSON, rejects duplicate
//! object keys (an IAM policy with two `Action` keys is ambiguous, so it is an error, not "last wins"),
//! and bounds nesting so that hostile input cannot exhaust the stack.

use std::borrow::Cow;

/// Deepest nesting accepted. IAM policies nest four levels deep; anything far beyond is hostile.
const MAX_DEPTH: usize = 64;

/// A byte range in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

/// A JSON value with the span it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    /// What the value is.
    pub value: Value<'a>,
    /// Where it is in the source.
    pub span: Span,
}

/// The JSON value kinds. Strings borrow from the source unless they held escapes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, kept as its source text so that nothing is lost to floating point.
    Number(&'a str),
    /// A string, unescaped.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Node<'a>>),
    /// An object, in source order; keys are unique.
    Object(Vec<Member<'a>>),
    /// A value read only for its extent (its text is the node's span), by [`parse_skipping`]:
    /// the caller looks the text up instead of reading it.
    Skipped,
}

/// One `"key": value` pair of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member<'a> {
    /// The key, unescaped.
    pub key: Cow<'a, str>,
    /// Where the key is, for errors that concern the key itself.
    pub key_span: Span,
    /// The value.
    pub node: Node<'a>,
}

impl Value<'_> {
    /// The JSON type's name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
            Value::Skipped => "a value",
        }
    }
}

/// Why the text is not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads one JSON document (surrounding white space allowed, nothing else).
pub fn parse(text: &str) -> Result<Node<'_>, SyntaxError> {
    parse_skipping(text, &[])
}

/// [`parse`], except that the value of a member named in `skip` (at any depth) is only measured:
/// an array keeps its shape, and every other value in it (or the value itself) becomes
/// [`Value::Skipped`]. For a reader that recognises large values by their text (a batch of
/// requests sharing policy documents), so that they are scanned, not built. A skipped value is
/// scanned for its extent only: text that is not JSON there may go unnoticed, so a caller must
/// read the document with [`parse`] whenever it does not recognise a skipped text.
pub fn parse_skipping<'a>(text: &'a str, skip: &[&str]) -> Result<Node<'a>, SyntaxError> {
    let mut reader = Reader { text, bytes: text.as_bytes(), pos: 0, skip };
    reader.skip_ws();
    let node = reader.value(0)?;
    reader.skip_ws();
    if reader.pos < reader.bytes.len() {
        return Err(reader.error("unexpected text after the end of the document"));
    }
    Ok(node)
}

/// Line and column (both 1-based; the column counts characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

struct Reader<'a, 's> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    skip: &'s [&'s str],
}

impl<'a> Reader<'a, '_> {
    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError { offset: self.pos, message: message.into() }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let start = self.pos;
        let value = match self.peek() {
            None => return Err(self.error("unexpected end of input, expected a value")),
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.keyword("true", Value::Bool(true))?,
            Some(b'f') => self.keyword("false", Value::Bool(false))?,
            Some(b'n') => self.keyword("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.error(format!("unexpected character `{}`", self.current_char()))),
        };
        Ok(Node { value, span: Span { start, end: self.pos } })
    }

    fn current_char(&self) -> char {
        self.text.get(self.pos..).and_then(|s| s.chars().next()).unwrap_or('?')
    }

    fn keyword(&mut self, word: &'static str, value: Value<'a>) -> Result<Value<'a>, SyntaxError> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error(format!("unexpected character `{}`", self.current_char())))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value<'a>, SyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("invalid number: expected digits after `.`"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("invalid number: expected digits in the exponent"));
            }
        }
        Ok(Value::Number(self.text.get(start..self.pos).unwrap_or_default()))
    }

    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        // The opening quote.
        self.pos += 1;
        let start = self.pos;
        // Fast path: no escapes, borrow from the source. The scan for the first byte that ends
        // the fast path is a tight loop over the rest of the text.
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let stop = rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
        self.pos += stop.unwrap_or(rest.len());
        match self.peek() {
            None => return Err(self.error("unterminated string")),
            Some(b'"') => {
                let s = self.text.get(start..self.pos).unwrap_or_default();
                self.pos += 1;
                return Ok(Cow::Borrowed(s));
            }
            Some(b'\\') => {}
            Some(_) => return Err(self.error("control character in string (escape it)")),
        }
        let mut owned = String::from(self.text.get(start..self.pos).unwrap_or_default());
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            owned.push(self.unicode_escape()?);
                            continue;
                        }
                        _ => return Err(self.error("invalid escape in string")),
                    };
                    self.pos += 1;
                    owned.push(escaped);
                }
                Some(b) if b < 0x20 => return Err(self.error("control character in string (escape it)")),
                Some(_) => {
                    let c = self.current_char();
                    owned.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("invalid \\u escape: expected four hex digits"))?;
        let value = u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid \\u escape"))?;
        self.pos += 4;
        Ok(value)
    }

    /// Reads the digits after `\u`, joining a surrogate pair when one follows.
    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                return Err(self.error("unpaired surrogate in \\u escape"));
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error("unpaired surrogate in \\u escape"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.error("unpaired surrogate in \\u escape"))
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>, SyntaxError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("expected `,` or `]` in array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>, SyntaxError> {
        self.pos += 1;
        let mut members: Vec<Member<'a>> = Vec::with_capacity(8);
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key in object"));
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key_span = Span { start: key_start, end: self.pos };
            if members.iter().any(|m| m.key == key) {
                return Err(SyntaxError { offset: key_start, message: format!("duplicate key `{key}`") });
            }
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:` after object key"));
            }
            self.pos += 1;
            self.skip_ws();
            let node =
                if self.skip.contains(&key.as_ref()) { self.skimmed(depth + 1)? } else { self.value(depth + 1)? };
            members.push(Member { key, key_span, node });
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.error("expected `,` or `}` in object")),
            }
        }
    }
}

impl<'a> Reader<'a, '_> {
    /// A skipped member's value: arrays keep their shape, anything else is measured.
    fn skimmed(&mut self, depth: usize) -> Result<Node<'a>, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let start = self.pos;
        if self.peek() != Some(b'[') {
            self.measure()?;
            return Ok(Node { value: Value::Skipped, span: Span { start, end: self.pos } });
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Node { value: Value::Array(items), span: Span { start, end: self.pos } });
        }
        loop {
            self.skip_ws();
            items.push(self.skimmed(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Node { value: Value::Array(items), span: Span { start, end: self.pos } });
                }
                _ => return Err(self.error("expected `,` or `]` in array")),
            }
        }
    }

    /// Moves past one value, reading only strings' quotes and escapes and the nesting of
    /// brackets and braces.
    fn measure(&mut self) -> Result<(), SyntaxError> {
        let mut open: usize = 0;
        loop {
            match self.peek() {
                None => return Err(self.error("unexpected end of input inside a value")),
                Some(b'"') => {
                    self.pos += 1;
                    loop {
                        let rest = self.bytes.get(self.pos..).unwrap_or_default();
                        self.pos += rest.iter().position(|&b| b == b'"' || b == b'\\').unwrap_or(rest.len());
                        match self.peek() {
                            None => return Err(self.error("unterminated string")),
                            Some(b'\\') => self.pos += 2,
                            _ => {
                                self.pos += 1;
                                break;
                            }
                        }
                    }
                }
                Some(b'{' | b'[') => {
                    open += 1;
                    self.pos += 1;
                }
                Some(b'}' | b']') if open > 0 => {
                    open -= 1;
                    self.pos += 1;
                }
                // A closing bracket of the enclosing value, or a separator, ends a scalar.
                Some(b'}' | b']' | b',') if open == 0 => return Ok(()),
                Some(b' ' | b'\t' | b'\n' | b'\r') if open == 0 => return Ok(()),
                Some(_) => self.pos += 1,
            }
            if open == 0 && matches!(self.bytes.get(self.pos.wrapping_sub(1)), Some(b'}' | b']' | b'"')) {
                return Ok(());
            }
            if open > MAX_DEPTH {
                return Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_members_are_measured_not_built() {
        let text = r#"{"keep": {"a": 1}, "policies": [{"x": ["]", "\"}"]}, "s", [{"y": 2}]], "one": {"z": [1, {"w": "}"}]}, "n": 5}"#;
        let node = parse_skipping(text, &["policies", "one"]).unwrap();
        let Value::Object(members) = &node.value else { panic!("object") };
        assert!(matches!(members[0].node.value, Value::Object(_)));
        let Value::Array(items) = &members[1].node.value else { panic!("array kept") };
        let texts: Vec<&str> = items.iter().map(|n| &text[n.span.start..n.span.end]).collect();
        assert_eq!(texts, [r#"{"x": ["]", "\"}"]}"#, r#""s""#, r#"[{"y": 2}]"#]);
        assert_eq!(items[0].value, Value::Skipped);
        assert!(matches!(items[2].value, Value::Array(_)), "nested lists keep their shape too");
        assert_eq!(&text[members[2].node.span.start..members[2].node.span.end], r#"{"z": [1, {"w": "}"}]}"#);
        assert_eq!(members[3].node.value, Value::Number("5"));
        // Numbers and keywords in a skipped place are measured up to their delimiter.
        let node = parse_skipping(r#"{"one": 12.5, "two": [true, null]}"#, &["one", "two"]).unwrap();
        let Value::Object(members) = &node.value else { panic!("object") };
        assert_eq!(members[0].node.span, Span { start: 8, end: 12 });
        assert!(parse_skipping(r#"{"one": {"a": "#, &["one"]).is_err());
    }

    #[test]
    fn reads_nested_values_with_spans() {
        let text = r#" {"a": [1, -2.5e3, true, null], "b": "x\u00e9\n"} "#;
        let node = parse(text).unwrap();
        let Value::Object(members) = &node.value else { panic!("object") };
        assert_eq!(members[0].key, "a");
        assert_eq!(&text[members[0].node.span.start..members[0].node.span.end], "[1, -2.5e3, true, null]");
        assert_eq!(members[1].node.value, Value::String(Cow::Owned("xé\n".into())));
    }

    #[test]
    fn surrogate_pairs_join() {
        let node = parse(r#""\ud83d\ude00""#).unwrap();
        assert_eq!(node.value, Value::String(Cow::Owned("😀".into())));
        assert!(parse(r#""\ud83d""#).is_err());
    }

    #[test]
    fn rejects_what_rfc_8259_rejects() {
        for bad in ["", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "'a'", "\"\t\"", "{} {}", "tru", "[1 2]", "nul"] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse(r#"{"Action": "a", "Action": "b"}"#).unwrap_err();
        assert!(err.message.contains("duplicate key `Action`"));
        assert_eq!(err.offset, 16);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = "[".repeat(100_000);
        assert!(parse(&text).unwrap_err().message.contains("nesting"));
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_column("ab\ncé d", 7), (2, 4));
        assert_eq!(line_column("x", 0), (1, 1));
    }
}
