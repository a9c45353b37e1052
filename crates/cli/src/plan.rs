//! `monban plan`: the four steps' tables — the needed permissions (A), the permissions that can
//! cause an unacceptable impact (B), and where they overlap, with the controls for each overlap;
//! and the guardrails that cap a principal at A minus B, proven by the engine.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use monban_analyzer::plan::{plan, Risks};
use monban_catalog::Catalog;

use monban_policy::Policy;

use crate::compare::read_text;
use crate::{Exit, UsageError};

/// How the tables are printed.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable tables
    Text,
    /// `{"table_1_needed": [...], "table_3_1_dangerous": [...], "table_3_2_overlaps": [...]}`
    Json,
    /// Markdown tables, for a design review
    Markdown,
    /// A standalone HTML document with the tables, for a design review
    Html,
}

/// A guardrail `--emit` writes.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// The permissions boundary: A's services minus B
    Boundary,
    /// The service control policy denying B
    Scp,
    /// The needed policy with B denied
    Policy,
}

/// Arguments of `monban plan`.
#[derive(Args)]
pub struct PlanArgs {
    /// The permissions the system needs (A): a policy file, or `-` for standard input
    #[arg(long, required_unless_present_any = ["list_risks", "activity"], conflicts_with = "activity")]
    needed: Option<PathBuf>,
    /// Or A from what a principal did: CloudTrail log files or directories, `aws cloudtrail
    /// lookup-events` output, or monban's audit.log (the policy `monban generate` makes of them)
    #[arg(long, num_args = 1.., requires = "principal")]
    activity: Vec<PathBuf>,
    /// With --activity: the role, user or session whose activity is A
    #[arg(long)]
    principal: Option<String>,
    /// The unacceptable impacts, in the built-in library's form: YAML (`risks:` and a list), or
    /// JSON for a `.json` file; the built-in library when absent
    #[arg(long)]
    unacceptable: Option<PathBuf>,
    /// Print the built-in library of impacts (or the one given) and stop
    #[arg(long)]
    list_risks: bool,
    /// Write step 4's guardrails as policy files: `boundary` (the services of A minus every action
    /// of B), `scp` (B denied), `policy` (A with B denied); each as NAME.json in --out
    #[arg(long, value_enum, num_args = 1.., requires = "out")]
    emit: Vec<Emit>,
    /// The directory --emit writes to
    #[arg(long, requires = "emit")]
    out: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs `monban plan`: exit 0 when every needed permission that carries an unacceptable impact
/// does so only under a condition the guardrails deny, and the guardrails are proven; 2 otherwise;
/// 1 on error.
pub fn run(args: PlanArgs) -> anyhow::Result<Exit> {
    let catalog = Catalog::embedded()?;
    let risks = match &args.unacceptable {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))?;
            let name = path.display().to_string();
            if path.extension().is_some_and(|e| e == "json") {
                Risks::from_json(catalog, &text, &name)?
            } else {
                Risks::from_yaml(catalog, &text, &name)?
            }
        }
        None => Risks::builtin(catalog),
    };
    let mut out = std::io::stdout().lock();
    if args.list_risks {
        match args.format {
            Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&risks)?)?,
            Format::Text | Format::Markdown | Format::Html => write!(out, "{}", risks.to_text())?,
        }
        return Ok(Exit::Ok);
    }
    let (needed, document) = match (&args.needed, &args.principal) {
        (Some(path), _) => {
            let text = read_text(path)?;
            let policy = Policy::parse(&text).with_context(|| format!("`{}` is not a valid policy", path.display()))?;
            (policy, serde_json::from_str(&text)?)
        }
        (None, Some(principal)) if !args.activity.is_empty() => {
            let window = (None, None);
            let collapse = monban_analyzer::activity::generate::COLLAPSE;
            let generated = crate::generate::activity(catalog, &args.activity, Some(principal), window, collapse)?;
            let document = generated.first().map(|g| g.document.clone()).unwrap_or_default();
            let policy = Policy::parse(&document.to_string())
                .with_context(|| format!("the policy generated from the activity of {principal}"))?;
            (policy, document)
        }
        _ => {
            return Err(UsageError("--needed POLICY or --activity SOURCE... --principal ARN is required".into()).into())
        }
    };
    let p = plan(catalog, &needed, &risks);
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
        let narrowed = p.controls.narrowed(&document);
        for kind in &args.emit {
            let (name, document) = match kind {
                Emit::Boundary => ("boundary.json", &p.controls.boundary),
                Emit::Scp => ("scp.json", &p.controls.scp),
                Emit::Policy => ("policy.json", &narrowed),
            };
            let path = dir.join(name);
            std::fs::write(&path, serde_json::to_string_pretty(document)? + "\n")
                .with_context(|| format!("writing `{}`", path.display()))?;
        }
    }
    match args.format {
        Format::Text => write!(out, "{}", p.to_text())?,
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&p.to_json())?)?,
        Format::Markdown => write!(out, "{}", p.to_markdown())?,
        Format::Html => write!(out, "{}", p.to_html())?,
    }
    let kept = p.overlaps.iter().all(|o| o.kept_by_condition());
    Ok(if kept && p.controls.proven() { Exit::Ok } else { Exit::No })
}
