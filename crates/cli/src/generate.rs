//! `monban generate`: least privilege from activity. The policy that allows what a principal was
//! seen doing in CloudTrail records or monban's audit log, and nothing else, proven by the engine.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use monban_analyzer::activity::{generate, records};
use monban_catalog::Catalog;

use crate::compare::read_policy;
use crate::Exit;

/// What `generate` prints.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// The policy document alone, ready for `aws iam put-role-policy`.
    Policy,
    /// For people: the proof, what was granted on any resource, what was denied or unknown.
    Report,
    /// Everything as one JSON object.
    Json,
}

/// Arguments of `monban generate`.
#[derive(Args)]
pub struct GenerateArgs {
    /// CloudTrail log files or directories of them, `aws cloudtrail lookup-events` output, or
    /// monban's audit.log
    #[arg(required = true)]
    sources: Vec<PathBuf>,
    /// The user, role (all its sessions) or assumed-role session (ARN)
    #[arg(long)]
    principal: String,
    /// A policy the principal has now: the report adds what it grants that was never used
    #[arg(long)]
    existing: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "policy")]
    format: Format,
}

/// Runs `monban generate`: exit 0 when the engine allows every call the policy was generated
/// from with it, 2 when it does not (which would be a defect), 1 on error.
pub fn run(args: GenerateArgs) -> anyhow::Result<Exit> {
    let catalog = Catalog::embedded()?;
    let mut events = Vec::new();
    records::read(&args.sources, |event| {
        if generate::is_of(&args.principal, &event) {
            events.push(event);
        }
    })?;
    let generated = generate::generate(catalog, &args.principal, &events);
    let existing = args.existing.as_deref().map(read_policy).transpose()?;
    let unused = existing.as_ref().and_then(|p| generated.unused(catalog, p));
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Policy => writeln!(out, "{}", serde_json::to_string_pretty(&generated.document)?)?,
        Format::Report => {
            write!(out, "{}", generated.to_text())?;
            if let (Some(unused), Some(path)) = (&unused, &args.existing) {
                writeln!(out, "\ngranted by {} but never used:", path.display())?;
                write!(out, "{}", unused.to_text(catalog))?;
            }
        }
        Format::Json => {
            let mut report = generated.to_json();
            if let Some(unused) = &unused {
                report["unused"] = unused.to_json(catalog);
            }
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        }
    }
    Ok(if generated.verified_calls == generated.allowed_calls { Exit::Ok } else { Exit::No })
}
