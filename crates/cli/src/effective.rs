//! `monban effective`: what one principal can do after its groups, boundary and SCPs, by service
//! and access level.

use std::io::Write;

use clap::{Args, ValueEnum};
use monban_analyzer::account::effective;

use crate::audit::{load, AccountInputs};
use crate::Exit;

/// How the permissions are printed.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// For people: per service and level, actions grouped by statements and conditions.
    Text,
    /// One JSON object with every action.
    Json,
}

/// Arguments of `monban effective`.
#[derive(Args)]
pub struct EffectiveArgs {
    #[command(flatten)]
    inputs: AccountInputs,
    /// The user or role (ARN)
    #[arg(long)]
    principal: String,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// Runs `monban effective`: exit 0, or 1 on error (an unknown principal included).
pub fn run(args: EffectiveArgs) -> anyhow::Result<Exit> {
    let directory = load(&args.inputs)?;
    let report = effective::effective(&directory, &args.principal)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text => write!(out, "{}", report.to_text())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
    }
    Ok(Exit::Ok)
}
