//! Runs the evaluation corpus (`corpus/`, see its README): one test per case, named
//! `folder/file::case`, each checking the engine's decision against the one AWS's documentation
//! gives, and checking that `explain` agrees with `authorize`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use monban_policy::{authorize, explain, EvaluationInput};
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// RFC 7396 JSON merge patch: objects merge, `null` deletes, anything else replaces.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (key, value) in p {
                if value.is_null() {
                    t.remove(key);
                } else {
                    merge(t.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

fn run_case(request: &Value, expect: &str) -> Result<(), Failed> {
    let text = serde_json::to_string(request).unwrap();
    let input = EvaluationInput::from_json(&text).map_err(|e| format!("invalid request: {e}"))?;
    let decision = authorize(&input.request, &input.policies);
    let explanation = explain(&input.request, &input.policies);
    if explanation.decision != decision.outcome {
        return Err("explain and authorize disagree".into());
    }
    if decision.outcome.as_str() != expect {
        let detail = serde_json::to_string_pretty(&explanation).unwrap();
        return Err(format!(
            "expected {expect}, got {} (missing allow: {:?})\n{detail}",
            decision.outcome.as_str(),
            decision.missing_allow
        )
        .into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let root = corpus_dir();
    let mut paths = Vec::new();
    files(&root, &mut paths);
    let mut trials = Vec::new();
    let mut total = 0;
    for path in paths {
        let label = path.strip_prefix(&root).unwrap().with_extension("").to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(&path).unwrap();
        let file: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                let message = format!("{}: not JSON: {e}", path.display());
                trials.push(Trial::test(label, move || Err(message.into())));
                continue;
            }
        };
        let file_doc = file.get("doc").and_then(Value::as_str).map(str::to_string);
        let base = file.get("base").cloned().unwrap_or_else(|| Value::Object(Default::default()));
        let cases = file.get("cases").and_then(Value::as_array).cloned().unwrap_or_default();
        if cases.is_empty() || file.get("description").and_then(Value::as_str).is_none() {
            let message = format!("{}: needs a `description` and a non-empty `cases` list", path.display());
            trials.push(Trial::test(label, move || Err(message.into())));
            continue;
        }
        let mut names = std::collections::HashSet::new();
        for case in cases {
            total += 1;
            let name = case.get("name").and_then(Value::as_str).unwrap_or("").to_string();
            let test_name = format!("{label}::{name}");
            let doc = case.get("doc").and_then(Value::as_str).map(str::to_string).or_else(|| file_doc.clone());
            let expect = case.get("expect").and_then(Value::as_str).unwrap_or("").to_string();
            let problem = if name.is_empty() || !names.insert(name.clone()) {
                Some("every case needs a unique `name`".to_string())
            } else if !doc.as_deref().is_some_and(|d| d.starts_with("https://docs.aws.amazon.com/")) {
                Some("every case must cite an AWS documentation page (`doc`)".to_string())
            } else if !["Allow", "ExplicitDeny", "ImplicitDeny"].contains(&expect.as_str()) {
                Some("`expect` must be Allow, ExplicitDeny or ImplicitDeny".to_string())
            } else {
                None
            };
            let mut request = base.clone();
            if let Some(patch) = case.get("request") {
                merge(&mut request, patch);
            }
            trials.push(Trial::test(test_name, move || match problem {
                Some(p) => Err(p.into()),
                None => run_case(&request, &expect),
            }));
        }
    }
    assert!(total > 0, "the corpus at {} has no cases", root.display());
    libtest_mimic::run(&args, trials).exit();
}
