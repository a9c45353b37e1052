//! Finding the text behind a JSON path, so that findings point at the element they are about.
//! Reads the engine's spanned JSON tree; paths are spelled as the engine spells them in its
//! errors (`Statement[1].Condition.Bool.aws:SecureTransport`).

use monban_policy::json::{Node, Value};

use super::{position, Location};

/// One step of a JSON path.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step<'a> {
    /// An object member.
    Key(&'a str),
    /// An array item.
    Index(usize),
}

/// A policy document's text and tree.
pub(crate) struct Document<'t, 'n> {
    pub(crate) text: &'t str,
    root: &'n Node<'t>,
}

impl<'t, 'n> Document<'t, 'n> {
    pub(crate) fn new(text: &'t str, root: &'n Node<'t>) -> Document<'t, 'n> {
        Document { text, root }
    }

    /// The node at a path, if every step exists.
    pub(crate) fn node(&self, path: &[Step<'_>]) -> Option<&'n Node<'t>> {
        let mut node = self.root;
        for step in path {
            node = match (step, &node.value) {
                (Step::Key(k), Value::Object(members)) => &members.iter().find(|m| m.key == *k)?.node,
                (Step::Index(i), Value::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The path to statement `i`: `Statement[i]`, or `Statement` when it is a single object.
    pub(crate) fn statement(&self, i: usize) -> Vec<Step<'static>> {
        match self.node(&[Step::Key("Statement")]).map(|n| &n.value) {
            Some(Value::Array(_)) => vec![Step::Key("Statement"), Step::Index(i)],
            _ => vec![Step::Key("Statement")],
        }
    }

    /// The path to item `j` of the value at `path`: `[j]` appended for a list, nothing for a single
    /// value.
    pub(crate) fn item<'a>(&self, path: &[Step<'a>], j: usize) -> Vec<Step<'a>> {
        let mut out = path.to_vec();
        if let Some(Node { value: Value::Array(_), .. }) = self.node(path) {
            out.push(Step::Index(j));
        }
        out
    }

    /// The location of the deepest existing node along `path`, named by the whole path.
    pub(crate) fn locate(&self, path: &[Step<'_>]) -> Location {
        let mut node = self.root;
        for step in path {
            let next = match (step, &node.value) {
                (Step::Key(k), Value::Object(members)) => members.iter().find(|m| m.key == *k).map(|m| &m.node),
                (Step::Index(i), Value::Array(items)) => items.get(*i),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        Location {
            path: spell(path),
            start: position(self.text, node.span.start),
            end: position(self.text, node.span.end),
        }
    }
}

/// `Statement[1].Condition.Bool`.
pub(crate) fn spell(path: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}
