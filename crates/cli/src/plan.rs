//! `monban plan`: the four steps' tables — the needed permissions (A), the permissions that can
//! cause an unacceptable impact (B), and where they overlap, with the controls for each overlap;
//! and the guardrails that cap a principal at A minus B, proven by the engine.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use monban_analyzer::plan::{plan, Risks};
use monban_catalog::Catalog;

use crate::compare::read_policy;
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
}

/// Arguments of `monban plan`.
#[derive(Args)]
pub struct PlanArgs {
    /// The permissions the system needs (A): a policy file, or `-` for standard input
    #[arg(long, required_unless_present = "list_risks")]
    needed: Option<PathBuf>,
    /// The unacceptable impacts, in the built-in library's form (`{"risks": [...]}`, JSON); the
    /// built-in library when absent
    #[arg(long)]
    unacceptable: Option<PathBuf>,
    /// Print the built-in library of impacts (or the one given) and stop
    #[arg(long)]
    list_risks: bool,
    /// Write step 4's guardrails to this directory: `boundary.json` (the services of A minus every
    /// action of B) and `scp.json` (B denied)
    #[arg(long)]
    emit: Option<PathBuf>,
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
            Risks::from_json(catalog, &text, &path.display().to_string())?
        }
        None => Risks::builtin(catalog),
    };
    let mut out = std::io::stdout().lock();
    if args.list_risks {
        match args.format {
            Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&risks)?)?,
            Format::Text | Format::Markdown => write!(out, "{}", risks.to_text())?,
        }
        return Ok(Exit::Ok);
    }
    let Some(needed) = &args.needed else {
        return Err(UsageError("--needed POLICY is required (or --list-risks)".into()).into());
    };
    let p = plan(catalog, &read_policy(needed)?, &risks);
    if let Some(dir) = &args.emit {
        std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
        for (name, document) in [("boundary.json", &p.controls.boundary), ("scp.json", &p.controls.scp)] {
            let path = dir.join(name);
            std::fs::write(&path, serde_json::to_string_pretty(document)? + "\n")
                .with_context(|| format!("writing `{}`", path.display()))?;
        }
    }
    match args.format {
        Format::Text => write!(out, "{}", p.to_text())?,
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&p.to_json())?)?,
        Format::Markdown => write!(out, "{}", p.to_markdown())?,
    }
    let kept = p.overlaps.iter().all(|o| o.kept_by_condition());
    Ok(if kept && p.controls.proven() { Exit::Ok } else { Exit::No })
}
