//! `monban actions`: the action catalog on the command line. Looks actions up, expands patterns, lists
//! a service's actions, and summarises what a policy document allows by service and access level.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use monban_analyzer::compare::grants::{self, Limits};
use monban_catalog::{AccessLevel, Action, ActionSet, Catalog};
use monban_policy::Policy;
use serde_json::{json, Value};

use crate::{Exit, UsageError};

/// Arguments of `monban actions`.
#[derive(Args)]
#[command(after_help = "In tables, a resource type marked * is required; a lone * means the action \
                        takes only \"Resource\": \"*\".")]
pub struct ActionsArgs {
    /// Actions or wildcard patterns, case-insensitive: s3:GetObject, s3:Get*, 's3:*Object?', '*'
    patterns: Vec<String>,
    /// Only actions at this access level: List, Read, Write, "Permissions management", Tagging
    /// (repeatable)
    #[arg(long = "access-level", value_name = "LEVEL", value_parser = parse_level)]
    access_levels: Vec<AccessLevel>,
    /// Every action of this service, by prefix (s3, iam); with --policy, only this service
    /// (repeatable)
    #[arg(long, value_name = "PREFIX")]
    service: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Summarise what this policy document allows (or `-` for standard input)
    #[arg(long, value_name = "POLICY.json", conflicts_with = "patterns")]
    policy: Option<PathBuf>,
    /// Show where the catalog's data comes from: package, version and date
    #[arg(long = "version", conflicts_with_all = ["patterns", "policy", "service"])]
    data_version: bool,
}

/// How `monban actions` prints its answer.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Aligned columns for people
    Table,
    /// A JSON array (or object, for --policy and --version) for programs
    Json,
}

fn parse_level(text: &str) -> Result<AccessLevel, String> {
    text.parse().map_err(|e: monban_catalog::CatalogError| e.to_string())
}

/// Runs `monban actions`.
pub fn run(args: ActionsArgs) -> anyhow::Result<Exit> {
    let catalog = Catalog::embedded()?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    let result = if args.data_version {
        print_source(catalog, args.format, &mut out)
    } else if let Some(path) = &args.policy {
        summarise_policy(catalog, &args, path, &mut out)
    } else {
        list_actions(catalog, &args, &mut out)
    };
    match result.and_then(|()| out.flush().map_err(anyhow::Error::from)) {
        Err(e) if is_broken_pipe(&e) => Ok(Exit::Ok),
        Err(e) => Err(e),
        Ok(()) => Ok(Exit::Ok),
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

fn print_source(catalog: &Catalog, format: Format, out: &mut impl Write) -> anyhow::Result<()> {
    let s = catalog.source();
    match format {
        Format::Json => {
            let value = json!({
                "package": s.package,
                "version": s.version,
                "date": s.date,
                "dependent_actions_package": s.dependent_actions_package,
                "dependent_actions_version": s.dependent_actions_version,
                "services": catalog.services().len(),
                "actions": catalog.action_count(),
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        }
        Format::Table => {
            writeln!(out, "source             {}@{}", s.package, s.version)?;
            writeln!(out, "data date          {}", s.date)?;
            writeln!(out, "dependent actions  {}@{}", s.dependent_actions_package, s.dependent_actions_version)?;
            writeln!(out, "services           {}", catalog.services().len())?;
            writeln!(out, "actions            {}", catalog.action_count())?;
        }
    }
    Ok(())
}

/// The services named by `--service`, or an error naming the closest known prefixes.
fn selected_services(catalog: &Catalog, prefixes: &[String]) -> anyhow::Result<ActionSet> {
    let mut set = ActionSet::empty(catalog.action_count());
    for prefix in prefixes {
        if catalog.service(prefix).is_none() {
            bail!(monban_catalog::CatalogError::UnknownService {
                prefix: prefix.clone(),
                suggestions: catalog.suggest_services(prefix),
            });
        }
        set.union_with(&catalog.expand(&format!("{prefix}:*")));
    }
    Ok(set)
}

fn level_filter(levels: &[AccessLevel], action: &Action<'_>) -> bool {
    levels.is_empty() || levels.contains(&action.access_level())
}

fn list_actions(catalog: &Catalog, args: &ActionsArgs, out: &mut impl Write) -> anyhow::Result<()> {
    if args.patterns.is_empty() && args.service.is_empty() {
        return Err(UsageError(
            "give an action or pattern (e.g. `s3:Get*`), --service PREFIX, --policy FILE or --version".into(),
        )
        .into());
    }
    let mut set = selected_services(catalog, &args.service)?;
    let mut problems = Vec::new();
    for pattern in &args.patterns {
        match catalog.expand_checked(pattern) {
            Ok(found) => set.union_with(&found),
            Err(e) => problems.push(e.to_string()),
        }
    }
    if !problems.is_empty() {
        bail!(problems.join("\nerror: "));
    }
    let actions: Vec<Action<'_>> = catalog.actions_in(&set).filter(|a| level_filter(&args.access_levels, a)).collect();
    match args.format {
        Format::Json => {
            let rows: Vec<Value> = actions.iter().map(action_json).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        }
        Format::Table => {
            let rows: Vec<[String; 4]> = actions
                .iter()
                .map(|a| {
                    [
                        a.to_string(),
                        a.access_level().to_string(),
                        resource_column(a),
                        a.condition_keys().map(|k| k.name()).collect::<Vec<_>>().join(", "),
                    ]
                })
                .collect();
            let header = [
                "ACTION".to_string(),
                "ACCESS LEVEL".to_string(),
                "RESOURCE TYPES".to_string(),
                "CONDITION KEYS".to_string(),
            ];
            write_table(out, &header, &rows)?;
        }
    }
    Ok(())
}

fn resource_column(action: &Action<'_>) -> String {
    if action.takes_only_wildcard() {
        return "*".to_string();
    }
    action
        .resource_types()
        .map(|r| {
            let name = r.resource_type().name();
            if r.required() {
                format!("{name}*")
            } else {
                name.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn action_json(action: &Action<'_>) -> Value {
    json!({
        "action": action.to_string(),
        "access_level": action.access_level().as_str(),
        "resource_types": action.resource_types().map(|r| {
            let t = r.resource_type();
            json!({ "name": t.name(), "required": r.required(), "arn_formats": t.arn_formats() })
        }).collect::<Vec<_>>(),
        "condition_keys": action.condition_keys().map(|k| k.name()).collect::<Vec<_>>(),
        "dependent_actions": action.dependent_actions().collect::<Vec<_>>(),
    })
}

fn write_table<const N: usize>(out: &mut impl Write, header: &[String; N], rows: &[[String; N]]) -> io::Result<()> {
    let mut widths = header.each_ref().map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(header).chain(rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  "));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// --policy: the engine reads the document; the analyzer computes Allow minus Deny per action.

fn summarise_policy(catalog: &Catalog, args: &ActionsArgs, path: &PathBuf, out: &mut impl Write) -> anyhow::Result<()> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        io::stdin().read_to_string(&mut text).context("reading the policy from standard input")?;
        text
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))?
    };
    let policy = Policy::parse(&text).with_context(|| format!("`{}` is not a valid policy", path.display()))?;
    for (i, statement) in policy.statements.iter().enumerate() {
        for pattern in statement.action.written.iter() {
            if let Err(e) = catalog.expand_checked(pattern) {
                eprintln!("warning: statement {}: {e}", i + 1);
            }
        }
    }
    let grants = grants::summarise(catalog, &policy);
    let only = selected_services(catalog, &args.service)?;

    // service prefix → level → (actions at that level in the service, allowed ones with limits)
    type Groups<'c> = BTreeMap<&'static str, BTreeMap<AccessLevel, (usize, Vec<(Action<'c>, Limits)>)>>;
    let mut groups: Groups<'_> = BTreeMap::new();
    for (action, grant) in catalog.actions().zip(&grants) {
        let Some(limits) = grant else { continue };
        if (!args.service.is_empty() && !only.contains(action.id())) || !level_filter(&args.access_levels, &action) {
            continue;
        }
        groups.entry(action.prefix()).or_default().entry(action.access_level()).or_default().1.push((action, *limits));
    }
    for (prefix, levels) in groups.iter_mut() {
        if let Some(service) = catalog.service(prefix) {
            for action in service.actions() {
                if let Some(group) = levels.get_mut(&action.access_level()) {
                    group.0 += 1;
                }
            }
        }
    }
    let allowed: usize = groups.values().flat_map(BTreeMap::values).map(|g| g.1.len()).sum();
    let limited: usize = groups.values().flat_map(BTreeMap::values).flat_map(|g| &g.1).filter(|(_, l)| l.any()).count();

    match args.format {
        Format::Json => {
            let services: Vec<Value> = groups
                .iter()
                .map(|(prefix, levels)| {
                    let levels: Vec<Value> = levels
                        .iter()
                        .map(|(level, (total, actions))| {
                            json!({
                                "access_level": level.as_str(),
                                "actions_in_service": total,
                                "allowed": actions.iter().filter(|(_, l)| !l.any())
                                    .map(|(a, _)| a.to_string()).collect::<Vec<_>>(),
                                "limited": actions.iter().filter(|(_, l)| l.any()).map(|(a, l)| json!({
                                    "action": a.to_string(),
                                    "conditional": l.conditional,
                                    "some_resources": l.narrowed,
                                    "partly_denied": l.partly_denied,
                                })).collect::<Vec<_>>(),
                            })
                        })
                        .collect();
                    json!({
                        "service": prefix,
                        "name": catalog.service(prefix).map(|s| s.name()),
                        "access_levels": levels,
                    })
                })
                .collect();
            let value = json!({
                "allowed_actions": allowed,
                "limited_actions": limited,
                "services": services,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        }
        Format::Table => {
            writeln!(
                out,
                "allows {} in {} ({} outright, {limited} limited by conditions, resources or a \
                 partial deny)",
                plural(allowed, "action"),
                plural(groups.len(), "service"),
                allowed - limited
            )?;
            for (prefix, levels) in &groups {
                let name = catalog.service(prefix).map(|s| s.name()).unwrap_or_default();
                writeln!(out, "\n{prefix} ({name})")?;
                for (level, (total, actions)) in levels {
                    let outright: Vec<&str> = actions.iter().filter(|(_, l)| !l.any()).map(|(a, _)| a.name()).collect();
                    let mut by_limits: BTreeMap<String, Vec<&str>> = BTreeMap::new();
                    for (a, l) in actions.iter().filter(|(_, l)| l.any()) {
                        by_limits.entry(describe(*l)).or_default().push(a.name());
                    }
                    let count = format!("{}/{}", actions.len(), total);
                    let mut first = true;
                    let mut line = |label: String, names: &[&str]| -> io::Result<()> {
                        let lead = if first {
                            format!("  {:<24}{count:>9}  ", level.as_str())
                        } else {
                            format!("  {:<24}{:>9}  ", "", "")
                        };
                        first = false;
                        writeln!(out, "{lead}{label}{}", name_list(names, *total))
                    };
                    if !outright.is_empty() {
                        line(String::new(), &outright)?;
                    }
                    for (limits, names) in &by_limits {
                        line(format!("limited ({limits}): "), names)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// How a limited grant is described in the table.
fn describe(limits: Limits) -> String {
    let mut parts = Vec::new();
    if limits.conditional {
        parts.push("conditional");
    }
    if limits.narrowed {
        parts.push("some resources");
    }
    if limits.partly_denied {
        parts.push("partly denied");
    }
    parts.join(", ")
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The names of a group, or `all` when the group is the whole level, or the first few and a count.
fn name_list(names: &[&str], total: usize) -> String {
    const SHOWN: usize = 8;
    if names.len() == total && total > SHOWN {
        return "all".to_string();
    }
    if names.len() <= SHOWN {
        return names.join(", ");
    }
    format!("{}, … (+{} more)", names[..SHOWN].join(", "), names.len() - SHOWN)
}
