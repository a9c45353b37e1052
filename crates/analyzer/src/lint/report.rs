//! Lint output: text for people, JSON for programs, SARIF 2.1.0 for code scanning (GitHub loads
//! it as-is: each result has a rule id, a level, a message and a region).

use serde_json::{json, Value};

use super::{Finding, FindingType};

/// The findings of one file.
#[derive(Debug, Clone)]
pub struct LintedFile {
    /// The file as named on the command line (`-` for standard input).
    pub path: String,
    /// Its findings.
    pub findings: Vec<Finding>,
}

/// `path:line:column: TYPE CODE: message [json path]`, one line per finding.
pub fn to_text(files: &[LintedFile]) -> String {
    let mut out = String::new();
    for file in files {
        for f in &file.findings {
            let l = &f.location;
            let at = if l.path.is_empty() { String::new() } else { format!(" [{}]", l.path) };
            out.push_str(&format!(
                "{}:{}:{}: {} {}: {}{at}\n",
                file.path,
                l.start.line,
                l.start.column,
                f.finding_type.as_str(),
                f.issue_code,
                f.message
            ));
        }
    }
    out
}

/// `[{"file": ..., "findings": [{"finding_type", "issue_code", "message", "location": {"path",
/// "start": {"line", "column", "offset"}, "end": ...}}]}]`.
pub fn to_json(files: &[LintedFile]) -> Value {
    Value::Array(files.iter().map(|f| json!({"file": f.path, "findings": f.findings})).collect())
}

fn level(t: FindingType) -> &'static str {
    match t {
        FindingType::Error | FindingType::SecurityWarning => "error",
        FindingType::Warning => "warning",
        FindingType::Suggestion => "note",
    }
}

/// A SARIF 2.1.0 log with one run; rules are the issue codes found, security warnings carry a
/// `security-severity` so code scanning ranks them.
pub fn to_sarif(files: &[LintedFile]) -> Value {
    let mut rules: Vec<(&str, FindingType)> = Vec::new();
    for f in files.iter().flat_map(|f| &f.findings) {
        if !rules.iter().any(|(code, _)| *code == f.issue_code) {
            rules.push((f.issue_code, f.finding_type));
        }
    }
    rules.sort();
    let rule_json: Vec<Value> = rules
        .iter()
        .map(|(code, t)| {
            let mut rule = json!({
                "id": code,
                "name": code,
                "shortDescription": {"text": code.replace('_', " ").to_lowercase()},
                "helpUri": "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html",
                "defaultConfiguration": {"level": level(*t)},
            });
            if *t == FindingType::SecurityWarning {
                rule["properties"] = json!({"tags": ["security"], "security-severity": "7.0"});
            }
            rule
        })
        .collect();
    let rules = &rules;
    let results: Vec<Value> = files
        .iter()
        .flat_map(|file| {
            file.findings.iter().map(move |f| {
                let l = &f.location;
                json!({
                    "ruleId": f.issue_code,
                    "ruleIndex": rules.iter().position(|(c, _)| *c == f.issue_code),
                    "level": level(f.finding_type),
                    "message": {"text": format!("{}: {}", f.finding_type.as_str(), f.message)},
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": {"uri": file.path},
                            "region": {
                                "startLine": l.start.line,
                                "startColumn": l.start.column,
                                "endLine": l.end.line.max(l.start.line),
                                "endColumn": if l.end.line > l.start.line { l.end.column } else { l.end.column.max(l.start.column + 1) },
                            }
                        },
                        "logicalLocations": [{"fullyQualifiedName": l.path, "kind": "member"}],
                    }],
                })
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "monban",
                "informationUri": "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html",
                "rules": rule_json,
            }},
            "results": results,
        }],
    })
}
