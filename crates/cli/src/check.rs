//! `monban check`: Access Analyzer's custom policy checks, offline. PASS exits 0, FAIL exits 2.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use monban_analyzer::check::{self, CheckResult, ResourceKind, Verdict};
use monban_catalog::Catalog;

use crate::compare::read_policy;
use crate::Exit;

/// How the result is printed.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// PASS or FAIL and the reasons
    Text,
    /// `{"check", "result", "reasons": [{"message", "statements", "cannot_prove"}]}`
    Json,
}

/// Arguments of `monban check`.
#[derive(Args)]
pub struct CheckArgs {
    #[command(subcommand)]
    check: Check,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    format: Format,
}

#[derive(Subcommand)]
enum Check {
    /// PASS when NEW allows nothing EXISTING does not (CheckNoNewAccess)
    NoNewAccess {
        /// The new policy
        #[arg(long)]
        new: PathBuf,
        /// The existing policy
        #[arg(long)]
        existing: PathBuf,
    },
    /// PASS when the policy grants none of the actions on the resources (CheckAccessNotGranted)
    AccessNotGranted {
        /// The policy
        policy: PathBuf,
        /// Unacceptable actions (patterns allowed; repeatable)
        #[arg(long = "action", required = true, num_args = 1..)]
        actions: Vec<String>,
        /// Only on these resources (ARN patterns; repeatable; default every resource)
        #[arg(long = "resource", num_args = 1..)]
        resources: Vec<String>,
    },
    /// PASS when the resource policy grants no public access (CheckNoPublicAccess)
    NoPublicAccess {
        /// The resource policy (or role trust policy)
        policy: PathBuf,
        /// AWS::S3::Bucket, AWS::KMS::Key, AWS::SQS::Queue, AWS::SNS::Topic,
        /// AWS::SecretsManager::Secret, AWS::IAM::AssumeRolePolicyDocument, ... (or s3, kms, role ...)
        #[arg(long = "resource-type")]
        resource_type: String,
    },
}

/// Runs `monban check`.
pub fn run(args: CheckArgs) -> anyhow::Result<Exit> {
    let catalog = Catalog::embedded()?;
    let result: CheckResult = match &args.check {
        Check::NoNewAccess { new, existing } => {
            check::no_new_access(catalog, &read_policy(new)?, &read_policy(existing)?)
        }
        Check::AccessNotGranted { policy, actions, resources } => {
            check::access_not_granted(catalog, &read_policy(policy)?, actions, resources)?
        }
        Check::NoPublicAccess { policy, resource_type } => {
            let kind = ResourceKind::parse(resource_type)?;
            check::no_public_access(catalog, &read_policy(policy)?, kind)
        }
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text => write!(out, "{}", result.to_text())?,
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&result.to_json())?)?,
    }
    Ok(if result.result == Verdict::Pass { Exit::Ok } else { Exit::No })
}
