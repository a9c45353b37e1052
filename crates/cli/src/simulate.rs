//! `monban simulate`: the offline twin of IAM's SimulateCustomPolicy, on the same implementation
//! as the server's Simulate* operations (`monban_policy::simulate`): policies, a boundary, SCP
//! levels and a resource policy given once, then every action (wildcards expanded through the
//! catalog) on every resource, with the statements that decided and the context keys missing.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use monban_catalog::Catalog;
use monban_policy::simulate::{ActionResult, MatchedStatement, Simulation, Source, SourceType};
use monban_policy::{Caller, Context, ContextValue, Outcome};

use crate::Exit;

/// Arguments of `monban simulate`.
#[derive(clap::Args)]
pub struct SimulateArgs {
    /// Identity policy files (each a policy document)
    #[arg(long = "policy", required = true)]
    policies: Vec<PathBuf>,
    /// The permissions boundary
    #[arg(long)]
    boundary: Option<PathBuf>,
    /// An SCP, one level of the organization per use, from the root down
    #[arg(long = "scp")]
    scps: Vec<PathBuf>,
    /// The resource's own policy (a bucket policy, a trust policy...)
    #[arg(long)]
    resource_policy: Option<PathBuf>,
    /// The caller's ARN (an IAM user or role); needed to match a resource policy's principals
    #[arg(long, default_value = "arn:aws:iam::123456789012:user/simulated-caller")]
    caller: String,
    /// Actions to simulate; wildcards (`s3:Get*`, `*`) expand through the catalog
    #[arg(long = "action", required = true)]
    actions: Vec<String>,
    /// Resource ARNs (default `*`)
    #[arg(long = "resource")]
    resources: Vec<String>,
    /// A context key and value, `KEY=VALUE`; give a key again for more values
    #[arg(long = "context", value_parser = parse_context)]
    context: Vec<(String, String)>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// The output formats.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// Aligned columns for people.
    Table,
    /// One JSON document with every result.
    Json,
    /// One CSV row per action and resource.
    Csv,
}

fn parse_context(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{text}` is not KEY=VALUE"))
}

fn source(path: &Path, id: String, kind: SourceType) -> anyhow::Result<Source> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))?;
    Source::parse(id, kind, &text).with_context(|| format!("`{}` is not a valid policy", path.display()))
}

/// The policy file's name, which is how results name its statements.
fn file_id(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// The actions a pattern names: itself when it has no wildcard, else every catalog action it matches.
fn expand(catalog: &Catalog, pattern: &str) -> anyhow::Result<Vec<String>> {
    if !pattern.contains(['*', '?']) {
        return Ok(vec![pattern.to_string()]);
    }
    let set = catalog.expand_checked(pattern)?;
    Ok(catalog.actions_in(&set).map(|a| format!("{}:{}", a.prefix(), a.name())).collect())
}

fn decision(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Allow => "allowed",
        Outcome::ExplicitDeny => "explicitDeny",
        Outcome::ImplicitDeny => "implicitDeny",
    }
}

fn statements(matched: &[MatchedStatement]) -> String {
    let each = matched.iter().map(|m| format!("{}:{}:{}", m.source_id, m.start.line, m.start.column));
    each.collect::<Vec<_>>().join(" ")
}

/// Runs `monban simulate`: exit 0 when every action is allowed on every resource, 2 otherwise.
pub fn run(args: SimulateArgs) -> anyhow::Result<Exit> {
    let catalog = Catalog::embedded()?;
    let mut context = Context::new();
    let mut keys: Vec<&str> = Vec::new();
    for (key, _) in &args.context {
        if !keys.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            keys.push(key);
        }
    }
    for key in keys {
        let values: Vec<&str> =
            args.context.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str()).collect();
        let value = match values.as_slice() {
            [one] => ContextValue::single(*one),
            many => ContextValue::multi(many.iter().copied()),
        };
        context.insert(key, value);
    }
    let simulation = Simulation {
        identity: args.policies.iter().map(|p| source(p, file_id(p), SourceType::None)).collect::<Result<_, _>>()?,
        boundary: args.boundary.as_deref().map(|p| source(p, file_id(p), SourceType::None)).transpose()?,
        resource_policy: args
            .resource_policy
            .as_deref()
            .map(|p| source(p, file_id(p), SourceType::Resource))
            .transpose()?,
        scps: args
            .scps
            .iter()
            .map(|p| source(p, file_id(p), SourceType::None).map(|s| vec![s]))
            .collect::<Result<_, _>>()?,
        caller: Caller::from_arn(&args.caller, None).map_err(|e| crate::UsageError(format!("--caller: {e}")))?,
        context,
    };
    let mut actions = Vec::new();
    for pattern in &args.actions {
        actions.extend(expand(catalog, pattern)?);
    }
    let results: Vec<ActionResult> = actions.iter().map(|a| simulation.run(a, &args.resources)).collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        Format::Json => {
            let json: Vec<serde_json::Value> = results
                .iter()
                .flat_map(|r| r.resources.iter().map(move |one| (r, one)))
                .map(|(r, one)| {
                    serde_json::json!({
                        "action": r.action, "resource": one.resource, "decision": decision(one.decision),
                        "matched_statements": one.matched.iter().map(|m| serde_json::json!({
                            "policy": m.source_id, "type": m.source_type.as_str(),
                            "start": {"line": m.start.line, "column": m.start.column},
                            "end": {"line": m.end.line, "column": m.end.column}})).collect::<Vec<_>>(),
                        "missing_context": one.missing_context,
                        "allowed_by_boundary": one.allowed_by_boundary,
                        "allowed_by_organizations": one.allowed_by_organizations,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
        Format::Csv => {
            writeln!(out, "action,resource,decision,matched_statements,missing_context")?;
            for r in &results {
                for one in &r.resources {
                    let missing = one.missing_context.join(" ");
                    writeln!(
                        out,
                        "{},{},{},{},{missing}",
                        r.action,
                        csv(&one.resource),
                        decision(one.decision),
                        statements(&one.matched)
                    )?;
                }
            }
        }
        Format::Table => {
            let width = results.iter().map(|r| r.action.len()).max().unwrap_or(6).max(6);
            for r in &results {
                for one in &r.resources {
                    let mut line = format!("{:width$}  {:12}  {}", r.action, decision(one.decision), one.resource);
                    if !one.matched.is_empty() {
                        line.push_str(&format!("  by {}", statements(&one.matched)));
                    }
                    if !one.missing_context.is_empty() {
                        line.push_str(&format!("  (missing {})", one.missing_context.join(", ")));
                    }
                    writeln!(out, "{line}")?;
                }
            }
        }
    }
    out.flush()?;
    let all_allowed = results.iter().all(|r| r.decision == Outcome::Allow);
    Ok(if all_allowed { Exit::Ok } else { Exit::No })
}

/// A CSV cell: quoted when it holds a comma or a quote.
fn csv(cell: &str) -> String {
    if cell.contains([',', '"']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}
