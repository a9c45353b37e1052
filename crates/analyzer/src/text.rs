//! Text meant for people: counted nouns and wrapped lists, shared by every report so that they
//! read alike.

/// The width reports wrap lists at: an 80-column terminal after the indentation reports use.
pub const WIDTH: usize = 100;

/// `1 action`, `3 actions`: a count with its noun in the right number.
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Joins `items` with `, ` into lines of at most [`WIDTH`] characters (an item longer than that
/// stands alone), the first line starting after `first` characters already written and every
/// other line indented by `indent` spaces. The result has no final newline.
pub fn wrap<S: AsRef<str>>(items: &[S], first: usize, indent: usize) -> String {
    let mut out = String::new();
    let mut column = first;
    for (i, item) in items.iter().enumerate() {
        let item = item.as_ref();
        let last = i + 1 == items.len();
        let width = item.chars().count() + usize::from(!last);
        if i > 0 {
            if column + 1 + width > WIDTH {
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', indent));
                column = indent;
            } else {
                out.push(' ');
                column += 1;
            }
        }
        out.push_str(item);
        if !last {
            out.push(',');
        }
        column += width;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_with_their_nouns() {
        assert_eq!(counted(1, "policy", "policies"), "1 policy");
        assert_eq!(counted(0, "policy", "policies"), "0 policies");
        assert_eq!(counted(2, "step", "steps"), "2 steps");
    }

    #[test]
    fn long_lists_wrap_under_the_width_and_keep_every_item() {
        let items: Vec<String> = (0..60).map(|i| format!("GetSomething{i}")).collect();
        let text = wrap(&items, 4, 4);
        assert!(text.lines().count() > 1, "{text}");
        for (n, line) in text.lines().enumerate() {
            let width = line.chars().count() + if n == 0 { 4 } else { 0 };
            assert!(width <= WIDTH, "{line}");
            if n > 0 {
                assert!(line.starts_with("    ") && !line.starts_with("     "), "{line}");
            }
        }
        let back: Vec<&str> = text.split(',').map(str::trim).collect();
        assert_eq!(back, items);
        assert_eq!(wrap(&["one"], 0, 2), "one");
        assert_eq!(wrap::<&str>(&[], 0, 2), "");
    }
}
