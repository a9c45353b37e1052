//! docs/compatibility.md lists every IAM, STS and Organizations operation of botocore's models and whether
//! monban implements it. This test keeps the page true: it fails when the page and the server
//! disagree. `UPDATE_COMPATIBILITY=1 cargo test -p monban-server --test compatibility` rewrites it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Notes by operation, from crates/server/data/compatibility-notes.tsv.
fn notes() -> Vec<(String, String)> {
    let text = include_str!("../data/compatibility-notes.tsv");
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (op, note) = line.split_once('\t').expect("operation<TAB>note");
            (op.to_string(), note.to_string())
        })
        .collect()
}

fn render() -> String {
    let operations = monban_server::operations();
    let notes = notes();
    // A note names its operation alone, or as `service:Operation` where two services share a name.
    let note_of = |service: &str, name: &str| {
        let qualified = format!("{service}:{name}");
        notes
            .iter()
            .find(|(op, _)| *op == qualified)
            .or_else(|| notes.iter().find(|(op, _)| op == name && service != "organizations"))
            .map_or("", |(_, note)| note.as_str())
    };
    let implemented = operations.iter().filter(|(_, _, i)| *i).count();
    let mut page = String::from(
        "# IAM, STS and Organizations compatibility\n\n\
         Every operation of the IAM (`2010-05-08`), STS (`2011-06-15`) and AWS Organizations (`2016-11-28`)\n\
         APIs, as botocore's service models list them, and whether `monban serve` implements it. An operation marked \"not yet\" answers with\n\
         AWS's error shape: HTTP 501, code `NotImplemented`. This page is checked by\n\
         `crates/server/tests/compatibility.rs`; regenerate it with\n\
         `UPDATE_COMPATIBILITY=1 cargo test -p monban-server --test compatibility`; the notes come from\n\
         `crates/server/data/compatibility-notes.tsv`: why an operation is not implemented, and where\n\
         monban differs from AWS or answers with a message no AWS page documents (\"unverified\").\n\n",
    );
    page.push_str(&format!("{implemented} of {} operations are implemented.\n", operations.len()));
    for (service, title) in [("iam", "IAM"), ("sts", "STS"), ("organizations", "Organizations")] {
        page.push_str(&format!("\n## {title}\n\n| operation | status | notes |\n| --- | --- | --- |\n"));
        for (_, name, done) in operations.iter().filter(|(s, _, _)| *s == service) {
            let status = if *done { "implemented" } else { "not yet" };
            page.push_str(&format!("| {name} | {status} | {} |\n", note_of(service, name)));
        }
    }
    page
}

#[test]
fn compatibility_page_matches_the_server() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/compatibility.md");
    let expected = render();
    if std::env::var_os("UPDATE_COMPATIBILITY").is_some() {
        std::fs::write(path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(actual == expected, "docs/compatibility.md is out of date: run UPDATE_COMPATIBILITY=1 cargo test -p monban-server --test compatibility");
}

#[test]
fn every_note_names_an_operation() {
    let operations = monban_server::operations();
    for (op, _) in notes() {
        let (service, name) = op.split_once(':').map_or((None, op.as_str()), |(s, n)| (Some(s), n));
        assert!(
            operations.iter().any(|(s, n, _)| *n == name && service.is_none_or(|service| service == *s)),
            "compatibility-notes.tsv: no operation {op}"
        );
    }
}

#[test]
fn the_models_list_every_operation() {
    let operations = monban_server::operations();
    assert!(operations.iter().filter(|(s, _, _)| *s == "iam").count() >= 170);
    assert!(operations.iter().any(|(s, n, i)| *s == "sts" && *n == "AssumeRole" && *i));
}
