//! `monban compare NEW EXISTING`: what NEW allows that EXISTING does not.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use monban_analyzer::compare::compare;
use monban_catalog::Catalog;
use monban_policy::Policy;

use crate::Exit;

/// How the answer is printed.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable summary by service and access level
    Text,
    /// `{"new_access": [...], "may_allow": [...], "unchecked_actions": [...]}`
    Json,
}

/// Arguments of `monban compare`.
#[derive(Args)]
pub struct CompareArgs {
    /// The new policy (or `-` for standard input)
    new: PathBuf,
    /// The existing policy
    existing: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Reads and parses a policy file (or standard input for `-`), with the engine's positioned errors.
pub fn read_policy(path: &Path) -> anyhow::Result<Policy> {
    let text = read_text(path)?;
    Policy::parse(&text).with_context(|| format!("`{}` is not a valid policy", path.display()))
}

/// Reads a file, or standard input for `-`.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).context("reading standard input")?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))
    }
}

/// Runs `monban compare`: exit 0 when NEW allows nothing more, 2 when it does (or may).
pub fn run(args: CompareArgs) -> anyhow::Result<Exit> {
    let catalog = Catalog::embedded()?;
    let new = read_policy(&args.new)?;
    let existing = read_policy(&args.existing)?;
    let c = compare(catalog, &new, &existing);
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text => write!(out, "{}", c.to_text(catalog))?,
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&c.to_json(catalog))?)?,
    }
    Ok(if c.is_empty() { Exit::Ok } else { Exit::No })
}
