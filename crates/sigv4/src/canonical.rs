//! The canonical request: the exact bytes both sides hash.
//!
//! Every rule here is from "Create a canonical request" in "Create a signed AWS API request"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request>):
//!
//! ```text
//! CanonicalRequest =
//!   HTTPMethod + '\n' + CanonicalURI + '\n' + CanonicalQueryString + '\n' +
//!   CanonicalHeaders + '\n' + SignedHeaders + '\n' + HashedPayload
//! ```

use std::borrow::Cow;

/// Whether `b` is one of RFC 3986's unreserved characters, which SigV4's URI encoding leaves as
/// they are: `A-Z a-z 0-9 - _ . ~`.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn push_escaped(out: &mut Vec<u8>, b: u8) {
    out.extend_from_slice(&[b'%', HEX_UPPER[usize::from(b >> 4)], HEX_UPPER[usize::from(b & 0x0f)]]);
}

/// SigV4's `UriEncode`: every byte but the unreserved ones becomes `%XX` with uppercase hex; `/` is
/// kept when `keep_slash` (object key names and paths), encoded otherwise (query names and values).
pub(crate) fn uri_encode_into(out: &mut Vec<u8>, bytes: &[u8], keep_slash: bool) {
    for &b in bytes {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(b);
        } else {
            push_escaped(out, b);
        }
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one query-string name or value as `application/x-www-form-urlencoded`: `%XX` escapes
/// and `+` for a space. A `%` not followed by two hex digits stands for itself.
///
/// `+` is a space as in the AWS SDK for Rust's canonicalization; the other SDKs never send a bare
/// `+` (they encode it as `%2B`), so no conforming client is affected either way.
pub(crate) fn form_decode(s: &str) -> Cow<'_, [u8]> {
    let b = s.as_bytes();
    if !b.iter().any(|&c| c == b'%' || c == b'+') {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = b.get(i + 1).copied().and_then(hex_value);
                let lo = b.get(i + 2).copied().and_then(hex_value);
                if let (Some(hi), Some(lo)) = (hi, lo) {
                    out.push(hi << 4 | lo);
                    i += 3;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// One decoded query parameter, borrowed from the query string where no decoding was needed.
#[derive(Debug)]
pub(crate) struct QueryParam<'a> {
    pub(crate) name: Cow<'a, [u8]>,
    pub(crate) value: Cow<'a, [u8]>,
}

/// Splits a raw query string (without `?`) into decoded parameters, in order. Empty pieces
/// (`a=1&&b=2`) are not parameters; a piece without `=` is a name with an empty value.
pub(crate) fn parse_query(query: &str) -> Vec<QueryParam<'_>> {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            QueryParam { name: form_decode(name), value: form_decode(value) }
        })
        .collect()
}

/// The canonical query string: each name and value URI-encoded, sorted by encoded name and then
/// encoded value, joined as `name=value` with `&`. A presigned request's own `X-Amz-Signature`
/// is left out (`skip_signature`).
pub(crate) fn canonical_query_into(out: &mut Vec<u8>, params: &[QueryParam<'_>], skip_signature: bool) {
    let mut encoded: Vec<(Vec<u8>, Vec<u8>)> = params
        .iter()
        .filter(|p| !(skip_signature && p.name.as_ref() == b"X-Amz-Signature"))
        .map(|p| {
            let mut n = Vec::with_capacity(p.name.len());
            uri_encode_into(&mut n, &p.name, false);
            let mut v = Vec::with_capacity(p.value.len());
            uri_encode_into(&mut v, &p.value, false);
            (n, v)
        })
        .collect();
    encoded.sort_unstable();
    for (i, (n, v)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(n);
        out.push(b'=');
        out.extend_from_slice(v);
    }
}

/// Removes dot segments (RFC 3986 section 5.2.4) and empty segments from an absolute path, as the
/// canonical URI of every service but S3 requires ("Normalize URI paths according to RFC 3986.
/// Remove redundant and relative path components.").
fn normalize_path(path: &str) -> Cow<'_, str> {
    if !path.contains("//") && !path.split('/').any(|s| s == "." || s == "..") {
        return Cow::Borrowed(path);
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(path.len());
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    // A path that ends in a directory (`/a/`, `/a/.`, `/a/..`) keeps its trailing slash.
    let ends_in_directory = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if out.is_empty() || (ends_in_directory && !out.ends_with('/')) {
        out.push('/');
    }
    Cow::Owned(out)
}

/// The canonical URI of a request whose path arrived as `path` (still percent-encoded, as on the
/// wire).
///
/// `double_encode`: every service but S3 URI-encodes each path segment twice; the first encoding
/// is the one the path already has on the wire, so the verifier encodes the wire form once more
/// (`%` becomes `%25`). Otherwise (S3) the wire form is used as it is, encoding only bytes that
/// may not appear raw in it.
pub(crate) fn canonical_uri_into(out: &mut Vec<u8>, path: &str, normalize: bool, double_encode: bool) {
    let absolute: Cow<'_, str> =
        if path.starts_with('/') { Cow::Borrowed(path) } else { Cow::Owned(format!("/{path}")) };
    let path = if normalize { normalize_path(&absolute) } else { absolute };
    if double_encode {
        uri_encode_into(out, path.as_bytes(), true);
        return;
    }
    let b = path.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let is_escape = c == b'%'
            && b.get(i + 1).copied().and_then(hex_value).is_some()
            && b.get(i + 2).copied().and_then(hex_value).is_some();
        if is_escape {
            out.extend_from_slice(&b[i..i + 3]);
            i += 3;
        } else {
            if is_unreserved(c) || c == b'/' {
                out.push(c);
            } else {
                push_escaped(out, c);
            }
            i += 1;
        }
    }
}

/// Appends a header value trimmed of leading and trailing whitespace, with each run of inner
/// whitespace (including the line breaks of an obsolete folded header) collapsed to one space
/// ("Trimall": "remove excess white space before and after values, and convert sequential spaces
/// to a single space").
///
/// Signers differ on what counts as white space: botocore collapses every run of white space
/// (`' '.join(value.split())`) and the AWS suite's `get-header-value-multiline` vector folds line
/// breaks, while the AWS SDK for Rust collapses only spaces. HTTP field values cannot hold CR or
/// LF, so the difference is a tab inside a signed header value; this follows botocore.
fn push_trimmed_value(out: &mut Vec<u8>, value: &[u8]) {
    let mut pending_space = false;
    let mut started = false;
    for &b in value {
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            pending_space = started;
        } else {
            if pending_space {
                out.push(b' ');
                pending_space = false;
            }
            out.push(b);
            started = true;
        }
    }
}

/// The canonical headers block for `signed` (lowercase names, in order): `name:value\n` per
/// header, where the values of every header of that name (compared case-insensitively) are
/// trimmed and joined with `,` in the order they arrived. A signed header missing from the
/// request contributes an empty value, so its signature cannot match unless it was signed empty.
pub(crate) fn canonical_headers_into(out: &mut Vec<u8>, headers: &[(&str, &[u8])], signed: &[&str]) {
    for name in signed {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let mut first = true;
        for (n, v) in headers {
            if n.eq_ignore_ascii_case(name) {
                if !first {
                    out.push(b',');
                }
                push_trimmed_value(out, v);
                first = false;
            }
        }
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(path: &str, normalize: bool, double: bool) -> String {
        let mut out = Vec::new();
        canonical_uri_into(&mut out, path, normalize, double);
        String::from_utf8(out).unwrap()
    }

    fn query(q: &str, skip: bool) -> String {
        let mut out = Vec::new();
        canonical_query_into(&mut out, &parse_query(q), skip);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn paths_normalize_like_rfc3986() {
        for (input, expected) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("//example//", "/example/"),
            ("/./example", "/example"),
            ("/a/b/.", "/a/b/"),
            ("/a/b/..", "/a/"),
            ("/../a", "/a"),
            ("a/b", "/a/b"),
            ("/a.b/..c/", "/a.b/..c/"),
        ] {
            assert_eq!(uri(input, true, false), expected, "{input:?}");
        }
        assert_eq!(uri("//example//", false, false), "//example//");
    }

    #[test]
    fn paths_double_encode_for_non_s3() {
        assert_eq!(uri("/arn%3Aaws%3Alambda", true, true), "/arn%253Aaws%253Alambda");
        assert_eq!(
            uri("/test/@connections/JBDvjfGEIAMCERw%3D", true, true),
            "/test/%40connections/JBDvjfGEIAMCERw%253D"
        );
        assert_eq!(uri("/example%20space/", true, false), "/example%20space/");
        assert_eq!(uri("/example space/", false, false), "/example%20space/");
        assert_eq!(uri("/\u{1234}", true, false), "/%E1%88%B4");
        assert_eq!(uri("/-._~09AZaz", true, true), "/-._~09AZaz");
    }

    #[test]
    fn query_sorts_by_encoded_name_then_value() {
        assert_eq!(
            query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1", false),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        assert_eq!(query("b=2&a=2&a=1", false), "a=1&a=2&b=2");
        assert_eq!(query("a&b=", false), "a=&b=");
        assert_eq!(query("a=1&&b=2&", false), "a=1&b=2");
        assert_eq!(query("a=x+y%2By%7e%zz", false), "a=x%20y%2By~%25zz");
        assert_eq!(query("X-Amz-Signature=abc&a=1", true), "a=1");
        assert_eq!(query("X-Amz-Signature=abc&a=1", false), "X-Amz-Signature=abc&a=1");
        assert_eq!(query("", false), "");
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        let headers: Vec<(&str, &[u8])> = vec![
            ("Host", b"example.amazonaws.com"),
            ("My-Header1", b"  a   b \t c  "),
            ("my-header1", b"value1\n  value2\n     value3"),
            ("Other", b"x"),
        ];
        let mut out = Vec::new();
        canonical_headers_into(&mut out, &headers, &["host", "my-header1", "missing"]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "host:example.amazonaws.com\nmy-header1:a b c,value1 value2 value3\nmissing:\n"
        );
    }
}
