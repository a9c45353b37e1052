//! The lint corpus: `tests/lint_cases/*.json`, one file per check, each citing its AWS page. Every
//! case lists the issue codes its policy must produce and those it must not.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use monban_analyzer::lint::{Linter, PolicyKind};
use monban_catalog::Catalog;
use serde_json::Value;

#[test]
fn every_case_produces_exactly_what_it_lists() {
    let linter = Linter::new(Catalog::embedded().unwrap());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint_cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut failures = Vec::new();
    let mut cases = 0;
    for file in &files {
        let data: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        assert!(data["source"].as_str().unwrap().starts_with("https://docs.aws.amazon.com/"), "{file:?} must cite AWS");
        for case in data["cases"].as_array().unwrap() {
            cases += 1;
            let text = match case.get("text") {
                Some(Value::String(t)) => t.clone(),
                _ => serde_json::to_string_pretty(&case["policy"]).unwrap(),
            };
            let kind: PolicyKind = case["policy_type"].as_str().unwrap().parse().unwrap();
            let findings = linter.lint(&text, kind);
            let codes: Vec<&str> = findings.iter().map(|f| f.issue_code).collect();
            let name = format!("{}: {}", file.file_name().unwrap().to_string_lossy(), case["name"]);
            for must in case["must"].as_array().unwrap() {
                if !codes.contains(&must.as_str().unwrap()) {
                    failures.push(format!("{name}: missing {must} (got {codes:?})"));
                }
            }
            for must_not in case["must_not"].as_array().unwrap() {
                if codes.contains(&must_not.as_str().unwrap()) {
                    failures.push(format!("{name}: unexpected {must_not} (got {codes:?})"));
                }
            }
            for f in &findings {
                assert!(
                    f.location.start.line >= 1 && f.location.end.offset >= f.location.start.offset,
                    "{name}: {f:?}"
                );
            }
        }
    }
    assert!(cases >= 60, "{cases} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn locations_name_the_json_path_and_span() {
    let linter = Linter::new(Catalog::embedded().unwrap());
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"},\n    {\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:GetObjct\"], \"Resource\": \"*\"}\n  ]\n}";
    let f = linter.lint(text, PolicyKind::Identity).into_iter().find(|f| f.issue_code == "INVALID_ACTION").unwrap();
    assert_eq!(f.location.path, "Statement[1].Action[1]");
    assert_eq!((f.location.start.line, f.location.start.column), (5, 52));
    assert_eq!(f.location.end.column - f.location.start.column, "\"s3:GetObjct\"".len());
}
