//! `monban audit`: the six IAM anti-patterns in accounts' authorization details, and the reading
//! of account inputs that `monban escalation` and `monban effective` share.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use monban_analyzer::account::credentials::CredentialReport;
use monban_analyzer::account::{audit, Account, Directory, Options, Organization};
use monban_policy::Policy;

use crate::Exit;

/// How audit results are printed.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// One JSON object: `{"findings": [...], "warnings": [...]}`.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

/// Inputs every account command takes.
#[derive(Args)]
pub struct AccountInputs {
    /// Output of `aws iam get-account-authorization-details`, one file per account (several
    /// accounts for cross-account trust; pages of one account are merged)
    #[arg(required = true)]
    pub accounts: Vec<PathBuf>,
    /// An SCP level governing the accounts: a policy file, or a JSON list of the level's policies.
    /// Repeat in order root, OU..., account
    #[arg(long = "scp")]
    pub scps: Vec<PathBuf>,
    /// The organization the accounts belong to: its OUs, accounts and SCP/RCP attachments, as
    /// described in docs/organization-input.md. Each account is then governed by its own SCP
    /// levels (`--scp` levels apply to accounts it does not list), its roles by its RCPs
    #[arg(long)]
    pub organization: Option<PathBuf>,
    /// "Now" for ages and `aws:CurrentTime` (ISO 8601 or epoch seconds); default: the clock
    #[arg(long)]
    pub now: Option<String>,
}

/// Arguments of `monban audit`.
#[derive(Args)]
pub struct AuditArgs {
    #[command(flatten)]
    inputs: AccountInputs,
    /// Credential report CSV (`aws iam get-credential-report`), for the credential, MFA, root and
    /// unused-user checks; repeat for several accounts
    #[arg(long = "credential-report")]
    credential_reports: Vec<PathBuf>,
    /// Days without use after which users, passwords, keys and roles count as unused
    #[arg(long, default_value_t = 90)]
    unused_days: i64,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))
}

/// Reads the accounts and SCP levels and compiles them.
pub fn load(inputs: &AccountInputs) -> anyhow::Result<Directory> {
    let mut accounts = Vec::new();
    for path in &inputs.accounts {
        accounts.push(Account::from_json(&read(path)?, &path.display().to_string())?);
    }
    let mut scps = Vec::new();
    for path in &inputs.scps {
        let text = read(path)?;
        let file = path.display().to_string();
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        let documents = match value {
            serde_json::Value::Array(items) => items,
            one => vec![one],
        };
        let mut level = Vec::new();
        for (k, document) in documents.iter().enumerate() {
            let policy =
                Policy::parse(&document.to_string()).map_err(|e| anyhow::anyhow!("{file}: policy {k}: {e}"))?;
            level.push(Arc::new(policy.named(format!("{file}#{k}"))));
        }
        scps.push(level);
    }
    let options = match &inputs.now {
        Some(now) => Options::at(now)?,
        None => {
            let seconds = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            Options::at(&seconds.to_string())?
        }
    };
    let organization = match &inputs.organization {
        Some(path) => Some(Organization::from_json(&read(path)?, &path.display().to_string())?),
        None => None,
    };
    let directory = Directory::in_organization(accounts, scps, organization, options)?;
    for w in &directory.warnings {
        eprintln!("warning: {w}");
    }
    Ok(directory)
}

/// Prints findings as text, JSON or SARIF (`monban audit` and `monban unused`).
pub fn print(out: &mut impl Write, report: &audit::AuditReport, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Text => write!(out, "{}", report.to_text())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)?;
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &report.to_sarif())?;
            writeln!(out)?;
            for w in &report.warnings {
                eprintln!("warning: {w}");
            }
        }
    }
    Ok(())
}

/// Runs `monban audit`: exit 0 without findings, 2 with findings, 1 on error.
pub fn run(args: AuditArgs) -> anyhow::Result<Exit> {
    let directory = load(&args.inputs)?;
    let mut reports = Vec::new();
    for path in &args.credential_reports {
        reports.push(CredentialReport::from_csv(&read(path)?, &path.display().to_string())?);
    }
    let mut report = audit::audit(&directory, &reports, args.unused_days);
    // Unresolved inputs were printed when loading.
    report.warnings.retain(|w| !directory.warnings.contains(w));
    let mut out = std::io::stdout().lock();
    print(&mut out, &report, args.format)?;
    Ok(if report.findings.is_empty() { Exit::Ok } else { Exit::No })
}
