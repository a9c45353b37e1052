//! `monban escalation`: who can reach admin-equivalent permissions (or a named principal), by
//! which shortest path, decided step by step by the policy engine.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use monban_analyzer::account::escalation;

use crate::audit::{load, AccountInputs};
use crate::Exit;

/// How paths are printed.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// For people: one block per principal, one line per step with its statements.
    Text,
    /// One JSON object: `{"admins": [...], "paths": [...], "decisions": N, "steps_redecided": N}`.
    Json,
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
}

/// Arguments of `monban escalation`.
#[derive(Args)]
pub struct EscalationArgs {
    #[command(flatten)]
    inputs: AccountInputs,
    /// Find paths to this principal (user or role ARN) instead of to admin-equivalent permissions
    #[arg(long)]
    to: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Report only paths that need nothing beyond the principal's own keys: skip the searches
    /// under what the account's conditions ask for (MFA, a source address, a VPC)
    #[arg(long)]
    unconditional_only: bool,
}

/// Runs `monban escalation`: exit 0 when no principal can escalate, 2 when some can, 1 on error.
pub fn run(args: EscalationArgs) -> anyhow::Result<Exit> {
    let directory = load(&args.inputs)?;
    let to = args.to.as_deref();
    let mut report = if args.unconditional_only {
        escalation::analyze_with_progress(&directory, to, &mut progress())
    } else {
        escalation::analyze_conditional(&directory, to, &mut progress())
    };
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
    report.warnings.retain(|w| !directory.warnings.contains(w));
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text => write!(out, "{}", report.to_text())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Dot => write!(out, "{}", report.to_dot())?,
        Format::Mermaid => write!(out, "{}", report.to_mermaid())?,
    }
    if !matches!(args.format, Format::Text | Format::Json) {
        for w in &report.warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(if report.paths.is_empty() { Exit::Ok } else { Exit::No })
}

/// A progress line on standard error, shown only on a terminal and only once the analysis has
/// run for a second (short runs print nothing).
fn progress() -> impl FnMut(usize, usize) {
    let start = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    move |done, total| {
        if terminal && start.elapsed() > Duration::from_secs(1) {
            eprint!("\r\x1b[2Kescalation: {done}/{total} principals examined ({:.0?})", start.elapsed());
        }
    }
}
