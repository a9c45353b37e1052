//! `monban unused`: IAM Access Analyzer's unused-access findings, offline — unused roles, users,
//! access keys and passwords, and permissions granted but not used within the window, each unused
//! permission finding with the narrowed policy made from the activity.

use std::path::PathBuf;

use clap::Args;
use monban_analyzer::account::credentials::CredentialReport;
use monban_analyzer::account::unused;
use monban_catalog::Catalog;
use monban_policy::condition::format_date;

use crate::audit::{load, read, AccountInputs, Format};
use crate::Exit;

/// Arguments of `monban unused`.
#[derive(Args)]
pub struct UnusedArgs {
    #[command(flatten)]
    inputs: AccountInputs,
    /// What the principals did: CloudTrail log files or directories of them, `aws cloudtrail
    /// lookup-events` output, or monban's audit.log
    #[arg(long = "activity", required = true)]
    activity: Vec<PathBuf>,
    /// The window: activity older than this many days before "now" does not count
    #[arg(long, default_value_t = 90)]
    days: i64,
    /// Credential report CSV (`aws iam get-credential-report`), for unused users, passwords and
    /// access keys; repeat for several accounts
    #[arg(long = "credential-report")]
    credential_reports: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// Runs `monban unused`: exit 0 without findings, 2 with findings, 1 on error.
pub fn run(args: UnusedArgs) -> anyhow::Result<Exit> {
    let directory = load(&args.inputs)?;
    let mut reports = Vec::new();
    for path in &args.credential_reports {
        reports.push(CredentialReport::from_csv(&read(path)?, &path.display().to_string())?);
    }
    let catalog = Catalog::embedded()?;
    let now = i64::try_from(directory.options.now.div_euclid(1_000_000_000)).unwrap_or(i64::MAX);
    let since = format_date(now.saturating_sub(args.days.saturating_mul(86_400)));
    let until = format_date(now);
    let usage = crate::generate::activity(
        catalog,
        &args.activity,
        None,
        (Some(since.as_str()), Some(until.as_str())),
        monban_analyzer::activity::generate::COLLAPSE,
    )?;
    let mut report = unused::unused(&directory, &reports, &usage, args.days);
    report.warnings.retain(|w| !directory.warnings.contains(w));
    let mut out = std::io::stdout().lock();
    crate::audit::print(&mut out, &report, args.format)?;
    Ok(if report.findings.is_empty() { Exit::Ok } else { Exit::No })
}
