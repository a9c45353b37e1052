//! `monban lint`: Access Analyzer-style policy validation of files, directories or standard input.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use clap::{Args, ValueEnum};
use monban_analyzer::lint::{self, FindingType, LintedFile, Linter, PolicyKind};
use monban_catalog::Catalog;

use crate::Exit;

/// How findings are printed.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `file:line:column: TYPE CODE: message [path]`
    Text,
    /// A JSON array of files with their findings
    Json,
    /// SARIF 2.1.0, for GitHub code scanning
    Sarif,
}

/// Arguments of `monban lint`.
#[derive(Args)]
pub struct LintArgs {
    /// Policy files, directories (every `*.json` inside, recursively) or `-` for standard input
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// What the policies are: identity, resource, trust, boundary, scp, rcp
    #[arg(long = "policy-type", default_value = "identity", value_parser = parse_kind)]
    policy_type: PolicyKind,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 2 when a finding is at or above this type: ERROR, SECURITY_WARNING, WARNING, SUGGESTION
    #[arg(long = "fail-on", default_value = "ERROR", value_parser = parse_type)]
    fail_on: FindingType,
}

fn parse_kind(text: &str) -> Result<PolicyKind, String> {
    text.parse()
}

fn parse_type(text: &str) -> Result<FindingType, String> {
    text.parse()
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("reading directory `{}`", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            if entry.is_dir() || entry.extension().is_some_and(|e| e == "json") {
                collect(&entry, out)?;
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// Runs `monban lint`.
pub fn run(args: LintArgs) -> anyhow::Result<Exit> {
    let linter = Linter::new(Catalog::embedded()?);
    let mut files = Vec::new();
    for path in &args.paths {
        if path.as_os_str() == "-" {
            files.push(path.clone());
        } else if !path.exists() {
            bail!("`{}` does not exist", path.display());
        } else {
            collect(path, &mut files)?;
        }
    }
    let mut linted = Vec::with_capacity(files.len());
    for file in &files {
        let text = if file.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).context("reading the policy from standard input")?;
            text
        } else {
            std::fs::read_to_string(file).with_context(|| format!("reading `{}`", file.display()))?
        };
        let findings = linter.lint(&text, args.policy_type);
        linted.push(LintedFile { path: file.display().to_string(), findings });
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text => write!(out, "{}", lint::to_text(&linted))?,
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&lint::to_json(&linted))?)?,
        Format::Sarif => writeln!(out, "{}", serde_json::to_string_pretty(&lint::to_sarif(&linted))?)?,
    }
    let failing = linted.iter().flat_map(|f| &f.findings).any(|f| f.finding_type >= args.fail_on);
    Ok(if failing { Exit::No } else { Exit::Ok })
}
