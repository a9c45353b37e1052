//! "Did you mean": the closest known names to a misspelt one, by edit distance.

/// Levenshtein distance between `a` and `b`, ignoring ASCII case.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(!ca.eq_ignore_ascii_case(&cb));
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The largest distance still worth suggesting for a name of this length.
pub(crate) fn threshold(len: usize) -> usize {
    if len <= 4 {
        1
    } else {
        (len / 4).max(2)
    }
}

/// How close `candidate` is to `given`, if close enough to suggest: the edit distance, or for a
/// candidate that starts with a given name of four or more characters, the threshold itself.
pub(crate) fn closeness(given: &str, candidate: &str) -> Option<usize> {
    let limit = threshold(given.len());
    if candidate.len().abs_diff(given.len()) <= limit {
        let d = distance(given, candidate);
        if d <= limit {
            return Some(d);
        }
    }
    let starts = given.len() >= 4
        && candidate.len() > given.len()
        && candidate.as_bytes()[..given.len()].eq_ignore_ascii_case(given.as_bytes());
    starts.then_some(limit + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("GetObjet", "GetObject"), 1);
        assert_eq!(distance("getobject", "GetObject"), 0);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn closeness_accepts_typos_and_prefixes() {
        assert_eq!(closeness("GetObjet", "GetObject"), Some(1));
        assert!(closeness("PutBucketAcl", "GetObject").is_none());
        assert!(closeness("GetObj", "GetObjectAcl").is_some());
    }
}
